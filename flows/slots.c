/* Slot tables.  See slots.h and flows/README.md. */
#include <config.h>
#include "flows/slots.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "flows/slots-compact.h"
#include "util.h"

/* splitmix64's finalizer, written out rather than taken from OVS's
 * hash.h, whose results depend on the CPU features a build targets: two
 * nodes must compute the same tables even if built differently. */
uint64_t
slots_hash(uint64_t key, uint64_t slot)
{
    uint64_t z = key * UINT64_C(0x9e3779b97f4a7c15) + slot + 1;

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static size_t
find_backend(const struct slots_backend *backends, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++) {
        if (backends[i].id == id) {
            return i;
        }
    }
    return SIZE_MAX;
}

/* Largest-remainder shares of 'n_slots' by weight; equal remainders are
 * ordered by hash so that every node rounds the same way. */
static void
compute_quotas(const struct slots_backend *backends, size_t n,
               size_t n_slots, size_t *quota)
{
    uint64_t total = 0;
    size_t given = 0;

    for (size_t i = 0; i < n; i++) {
        total += backends[i].weight;
    }
    for (size_t i = 0; i < n; i++) {
        quota[i] = total ? (uint64_t) n_slots * backends[i].weight / total
                         : 0;
        given += quota[i];
    }
    while (total && given < n_slots) {
        size_t best = SIZE_MAX;
        uint64_t best_rem = 0, best_hash = 0;

        for (size_t i = 0; i < n; i++) {
            uint64_t exact = (uint64_t) n_slots * backends[i].weight;
            uint64_t rem = exact - quota[i] * total;
            uint64_t h = slots_hash(backends[i].key, DSR_SLOTS);

            if (exact <= quota[i] * total) {
                continue;       /* Already rounded up. */
            }
            if (best == SIZE_MAX || rem > best_rem
                || (rem == best_rem && h > best_hash)) {
                best = i;
                best_rem = rem;
                best_hash = h;
            }
        }
        quota[best]++;
        given++;
    }
}

static int
compare_u64(const void *a_, const void *b_)
{
    const uint64_t *a = a_, *b = b_;
    return *a < *b ? -1 : *a > *b;
}

/* Frees the slots of backend 'i' beyond its quota: those it likes least,
 * so that the choice does not depend on the table's history. */
static void
release_excess(uint32_t table[DSR_SLOTS], const struct slots_backend *be,
               size_t count, size_t quota)
{
    uint64_t ranked[DSR_SLOTS];
    size_t n = 0;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (table[s] == be->id) {
            /* Score in the high bits, slot in the low byte. */
            ranked[n++] = (slots_hash(be->key, s) & ~UINT64_C(0xff)) | s;
        }
    }
    qsort(ranked, n, sizeof *ranked, compare_u64);
    for (size_t k = 0; k < count - quota; k++) {
        table[ranked[k] & 0xff] = DSR_SLOT_NONE;
    }
}

void
slots_rebalance(uint32_t table[DSR_SLOTS],
                const struct slots_backend *backends, size_t n)
{
    size_t *count = xcalloc(n + 1, sizeof *count);
    size_t *quota = xcalloc(n + 1, sizeof *quota);

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        size_t i = find_backend(backends, n, table[s]);
        if (i == SIZE_MAX) {
            table[s] = DSR_SLOT_NONE;
        } else {
            count[i]++;
        }
    }
    compute_quotas(backends, n, DSR_SLOTS, quota);
    for (size_t i = 0; i < n; i++) {
        if (count[i] > quota[i]) {
            release_excess(table, &backends[i], count[i], quota[i]);
            count[i] = quota[i];
        }
    }
    /* Each free slot goes to the backend below its share that ranks it
     * highest. */
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (table[s] != DSR_SLOT_NONE) {
            continue;
        }
        size_t best = SIZE_MAX;
        uint64_t best_score = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t score = slots_hash(backends[i].key, s);
            if (count[i] < quota[i]
                && (best == SIZE_MAX || score > best_score)) {
                best = i;
                best_score = score;
            }
        }
        if (best == SIZE_MAX) {
            break;              /* No backends, or none with weight. */
        }
        table[s] = backends[best].id;
        count[best]++;
    }
    free(count);
    free(quota);
}

/* log2(x) in 16.16 fixed point, for x >= 1: integer arithmetic, so that
 * every node computes the same (libm's log() may differ in the last bit
 * between libraries). */
static uint64_t
log2_q16(uint64_t x)
{
    int exp = 63 - __builtin_clzll(x);
    uint64_t result = (uint64_t) exp << 16;
    /* The mantissa in [1, 2), 31 fraction bits; each squaring yields the
     * next bit of the logarithm. */
    uint64_t m = exp >= 31 ? x >> (exp - 31) : x << (31 - exp);

    for (int bit = 15; bit >= 0; bit--) {
        m = (m * m) >> 31;
        if (m >= UINT64_C(2) << 31) {
            m >>= 1;
            result |= UINT64_C(1) << bit;
        }
    }
    return result;
}

/* Weighted rendezvous: backend i's score is w_i / -log2(u_i), u_i uniform
 * in (0, 1] from the hash; the highest wins, each backend in proportion
 * to its weight.  Compared as fractions, w_a * nl_b > w_b * nl_a. */
struct weighted_score {
    uint64_t weight;
    uint64_t neg_log;           /* -log2(u), 16.16, at least 1. */
};

static struct weighted_score
weighted_score(const struct slots_backend *be, size_t slot)
{
    uint64_t u = (slots_hash(be->key, slot) >> 11) + 1;     /* 1..2^53 */
    uint64_t neg_log = (UINT64_C(53) << 16) - log2_q16(u);

    return (struct weighted_score) { be->weight, neg_log ? neg_log : 1 };
}

static bool
score_beats(struct weighted_score a, struct weighted_score b)
{
    return a.weight * b.neg_log > b.weight * a.neg_log;
}

static int
compare_ids(const void *a_, const void *b_, void *backends_)
{
    const struct slots_backend *backends = backends_;
    uint32_t a = backends[*(const size_t *) a_].id;
    uint32_t b = backends[*(const size_t *) b_].id;

    return a < b ? -1 : a > b;
}

static int
compare_keys(const void *a_, const void *b_, void *backends_)
{
    const struct slots_backend *backends = backends_;
    uint64_t a = backends[*(const size_t *) a_].key;
    uint64_t b = backends[*(const size_t *) b_].key;

    return a < b ? -1 : a > b;
}

static size_t *
sorted_index(const struct slots_backend *backends, size_t n,
             int (*compare)(const void *, const void *, void *))
{
    size_t *index = xmalloc((n + 1) * sizeof *index);

    for (size_t i = 0; i < n; i++) {
        index[i] = i;
    }
    qsort_r(index, n, sizeof *index, compare,
            CONST_CAST(struct slots_backend *, backends));
    return index;
}

size_t *
slots_index_by_id(const struct slots_backend *backends, size_t n)
{
    return sorted_index(backends, n, compare_ids);
}

size_t *
slots_index_by_key(const struct slots_backend *backends, size_t n)
{
    return sorted_index(backends, n, compare_keys);
}

size_t
slots_by_id(const struct slots_backend *backends, const size_t *index,
            size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t mid_id = backends[index[mid]].id;

        if (mid_id == id) {
            return index[mid];
        } else if (mid_id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return SIZE_MAX;
}

/* The usable backend that weighted rendezvous hashing gives 'slot'. */
static uint32_t
rendezvous(const struct slots_backend *usable, size_t n, size_t slot)
{
    size_t best = SIZE_MAX;
    struct weighted_score best_score = { 0, 1 };

    for (size_t i = 0; i < n; i++) {
        struct weighted_score score = weighted_score(&usable[i], slot);
        if (usable[i].weight
            && (best == SIZE_MAX || score_beats(score, best_score)
                || (!score_beats(best_score, score)
                    && usable[i].key > usable[best].key))) {
            best = i;
            best_score = score;
        }
    }
    return best == SIZE_MAX ? DSR_SLOT_NONE : usable[best].id;
}

int
slots_compare_ids(const void *a_, const void *b_)
{
    const uint32_t *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* How many times 'id' is in 'sorted' (n of them). */
static size_t
count_in_sorted(const uint32_t *sorted, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    size_t first = lo;
    while (lo < n && sorted[lo] == id) {
        lo++;
    }
    return lo - first;
}

/* Entries of the operator's table a lost block tries before it falls
 * back to rendezvous over every usable backend. */
#define EFFECTIVE_PROBES 32

/* The usable backend that takes lost 'block' of 'base': the owner of the
 * first of EFFECTIVE_PROBES pseudo-random entries that kept their owner
 * in 'out', so that usable backends take blocks in proportion to their
 * entries, that is, to their weights, for a few probes while most of the
 * table is kept; weighted rendezvous over 'usable' if none did, which
 * happens when most of it is lost, and then few backends are usable.
 * Rendezvous for every block cost blocks x usable backends: 200 ms with
 * 500 of 1,000 down.  Either way a pure function of the block, 'base' and
 * the usable set. */
static uint32_t
block_winner(const uint32_t *base, const uint32_t *out, size_t n_slots,
             const struct slots_backend *usable, size_t n, size_t block)
{
    for (uint64_t i = 0; i < EFFECTIVE_PROBES; i++) {
        size_t p = slots_hash(block, (UINT64_C(1) << 32) | i) % n_slots;

        if (base[p] != DSR_SLOT_NONE && out[p] == base[p]) {
            return base[p];
        }
    }
    return rendezvous(usable, n, block);
}

/* The aligned blocks in which a fine table's entries of a backend that
 * holds 'count' of them move when it cannot take connections: about 16
 * blocks, each to one backend, so that its load spreads over several
 * backends while its runs stay few (each block adds a flow or two, where
 * entries moved one by one would add one each), at most a slot.  A coarse
 * table's slots move one by one. */
static size_t
moving_block(size_t n_slots, size_t count)
{
    size_t unit = 1;

    while (n_slots == DSR_SLOTS_FINE && unit * 16 <= count
           && unit < DSR_SLOTS_FINE / DSR_SLOTS) {
        unit *= 2;
    }
    return unit;
}

void
slots_effective(const uint32_t *base, size_t n_slots,
                const struct slots_backend *usable, size_t n,
                uint32_t *out)
{
    size_t *index = slots_index_by_id(usable, n);
    uint32_t *lost = xmalloc(n_slots * sizeof *lost);
    size_t n_lost = 0;

    for (size_t s = 0; s < n_slots; s++) {
        bool kept = (s && base[s] == base[s - 1]
                     ? out[s - 1] == base[s]
                     : slots_by_id(usable, index, n, base[s]) != SIZE_MAX);
        out[s] = kept ? base[s] : DSR_SLOT_NONE;
        if (!kept) {
            lost[n_lost++] = base[s];
        }
    }
    qsort(lost, n_lost, sizeof *lost, slots_compare_ids);

    size_t unit = 1, block = SIZE_MAX;
    uint32_t winner = DSR_SLOT_NONE;
    for (size_t s = 0; s < n_slots; s++) {
        if (out[s] != DSR_SLOT_NONE || !n_lost) {
            continue;
        }
        if (!s || base[s] != base[s - 1] || out[s - 1] == base[s - 1]) {
            unit = moving_block(n_slots, count_in_sorted(lost, n_lost,
                                                         base[s]));
        }
        if ((s & ~(unit - 1)) != block) {
            block = s & ~(unit - 1);
            winner = block_winner(base, out, n_slots, usable, n, block);
        }
        out[s] = winner;
    }
    free(lost);
    free(index);
}

/* Fine tables. */

bool
slots_coarse_fits(const struct slots_backend *backends, size_t n)
{
    if (n > DSR_SLOTS) {
        return false;
    }

    size_t *quota = xcalloc(n + 1, sizeof *quota);
    uint64_t total = 0;
    bool fits = true;

    compute_quotas(backends, n, DSR_SLOTS, quota);
    for (size_t i = 0; i < n; i++) {
        total += backends[i].weight;
    }
    for (size_t i = 0; fits && i < n; i++) {
        /* |quota - exact| <= exact / 100, scaled by the total weight. */
        uint64_t exact = (uint64_t) DSR_SLOTS * backends[i].weight;
        uint64_t got = quota[i] * total;
        uint64_t diff = got > exact ? got - exact : exact - got;

        fits = diff * 100 <= exact;
    }
    free(quota);
    return fits;
}

#define SUB (DSR_SLOTS_FINE / DSR_SLOTS)

/* Whether slot 's' of a fine table holds one value in all its entries. */
static bool
slot_is_whole(const uint32_t *table, size_t s)
{
    const uint32_t *sub = &table[s * SUB];

    for (size_t k = 1; k < SUB; k++) {
        if (sub[k] != sub[0]) {
            return false;
        }
    }
    return true;
}

/* The state of a fine rebalancing: what each backend holds and should. */
struct fine {
    uint32_t *table;
    const struct slots_backend *backends;
    const size_t *index;        /* slots_index_by_id(). */
    size_t n;
    size_t *count, *quota;
};

static size_t
fine_owner(const struct fine *f, uint32_t id)
{
    return id == DSR_SLOT_NONE ? SIZE_MAX : slots_by_id(f->backends, f->index,
                                                  f->n, id);
}

/* A run of one backend's entries inside a split slot. */
struct fine_run {
    size_t start, len, owner;
    bool at_start;              /* A backend below its share precedes it. */
    bool borders;               /* One precedes or follows it. */
};

static int
compare_runs(const void *a_, const void *b_)
{
    const struct fine_run *a = a_, *b = b_;

    return (a->borders != b->borders ? (a->borders ? -1 : 1)
            : a->len != b->len ? (a->len < b->len ? -1 : 1)
            : a->start < b->start ? -1 : a->start > b->start);
}

/* Whether table entry 'e' belongs to a backend below its share. */
static bool
fine_is_short(const struct fine *f, size_t e)
{
    size_t i = fine_owner(f, f->table[e]);

    return i != SIZE_MAX && f->count[i] < f->quota[i];
}

/* The runs of backends above their share in split slots (x2nrealloc()ed
 * into '*runs'); returns how many. */
static size_t
fine_excess_runs(const struct fine *f, struct fine_run **runs)
{
    size_t n_runs = 0, allocated = 0;

    *runs = NULL;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        size_t end = (s + 1) * SUB;

        if (slot_is_whole(f->table, s)) {
            continue;
        }
        for (size_t e = s * SUB; e < end;) {
            size_t start = e, i = fine_owner(f, f->table[e]);
            while (e < end && f->table[e] == f->table[start]) {
                e++;
            }
            if (i == SIZE_MAX || f->count[i] <= f->quota[i]) {
                continue;
            }
            if (n_runs >= allocated) {
                *runs = x2nrealloc(*runs, &allocated, sizeof **runs);
            }
            bool before = start > s * SUB && fine_is_short(f, start - 1);
            bool after = e < end && fine_is_short(f, e);
            (*runs)[n_runs++] = (struct fine_run) {
                .start = start, .len = e - start, .owner = i,
                .at_start = before && !after, .borders = before || after,
            };
        }
    }
    return n_runs;
}

/* Frees the entries of backends above their share in split slots: they
 * go first, as freeing them splits no slot.  First the runs that border
 * a backend below its share, from that side, as fine_fill_gaps() then
 * grows its run over them; then the shortest runs, whole, so that a
 * backend's scattered pieces go back before its long runs shrink. */
static void
fine_release_split(struct fine *f)
{
    struct fine_run *runs;
    size_t n_runs = fine_excess_runs(f, &runs);

    if (n_runs) {
        qsort(runs, n_runs, sizeof *runs, compare_runs);  /* NULL if 0. */
    }
    for (size_t r = 0; r < n_runs; r++) {
        size_t i = runs[r].owner;
        size_t n = MIN(runs[r].len, f->count[i] - f->quota[i]);
        size_t first = (runs[r].at_start ? runs[r].start
                        : runs[r].start + runs[r].len - n);

        for (size_t e = first; e < first + n; e++) {
            f->table[e] = DSR_SLOT_NONE;
        }
        f->count[i] -= n;
    }
    free(runs);
}

/* Frees the end of each whole slot whose backend is at least 'min' above
 * its share: as much of the slot as it is above, up to all of it. */
static void
fine_release_whole(struct fine *f, size_t min)
{
    for (size_t s = DSR_SLOTS; s-- > 0;) {
        uint32_t *sub = &f->table[s * SUB];
        size_t i = fine_owner(f, sub[0]);

        if (i != SIZE_MAX && f->count[i] >= f->quota[i] + min
            && slot_is_whole(f->table, s)) {
            size_t n = MIN(f->count[i] - f->quota[i], SUB);
            for (size_t k = SUB - n; k < SUB; k++) {
                sub[k] = DSR_SLOT_NONE;
            }
            f->count[i] -= n;
        }
    }
}

/* Frees the entries of backends above their share, in the order that
 * splits the fewest slots, as each split slot costs table 25 flows: first
 * their entries in slots already split, then whole slots, then what is
 * left from the end of one whole slot each. */
static void
fine_release(struct fine *f)
{
    fine_release_split(f);
    fine_release_whole(f, SUB);
    fine_release_whole(f, 1);
}

/* Gives backend 'i' free entries of slot 's' while it is below its share;
 * returns how many free entries the slot has left. */
static size_t
fine_fill_slot(struct fine *f, size_t s, size_t i, size_t n_free)
{
    uint32_t *sub = &f->table[s * SUB];

    for (size_t k = 0; k < SUB && n_free && f->count[i] < f->quota[i]; k++) {
        if (sub[k] == DSR_SLOT_NONE) {
            sub[k] = f->backends[i].id;
            f->count[i]++;
            n_free--;
        }
    }
    return n_free;
}

/* Gives each run of free entries of slot 's' to the backends whose runs
 * border it, while they are below their share: the one before it from
 * its start, the one after it from its end, so that their runs grow
 * rather than new ones start (each costs table 25 flows).  Returns how
 * many free entries the slot has left. */
static size_t
fine_fill_gaps(struct fine *f, size_t s)
{
    uint32_t *sub = &f->table[s * SUB];
    size_t n_free = 0;

    for (size_t a = 0; a < SUB; a++) {
        if (sub[a] != DSR_SLOT_NONE) {
            continue;
        }
        size_t b = a;
        while (b < SUB && sub[b] == DSR_SLOT_NONE) {
            b++;
        }
        size_t before = a ? fine_owner(f, sub[a - 1]) : SIZE_MAX;
        size_t after = b < SUB ? fine_owner(f, sub[b]) : SIZE_MAX;
        for (; before != SIZE_MAX && a < b
               && f->count[before] < f->quota[before]; a++) {
            sub[a] = f->backends[before].id;
            f->count[before]++;
        }
        for (; after != SIZE_MAX && a < b
               && f->count[after] < f->quota[after]; b--) {
            sub[b - 1] = f->backends[after].id;
            f->count[after]++;
        }
        n_free += b - a;
        a = b;
    }
    return n_free;
}

/* Gives the free entries to the backends below their share, in the order
 * that splits the fewest slots: the free entries of a slot to backends
 * below their share that already hold some of it, whole free slots to
 * backends short of at least a slot, then the rest in runs, to backends
 * in the order of their keys. */
static void
fine_assign(struct fine *f, const size_t *by_key)
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        const uint32_t *sub = &f->table[s * SUB];
        size_t n_free = 0;

        for (size_t k = 0; k < SUB; k++) {
            n_free += sub[k] == DSR_SLOT_NONE;
        }
        if (n_free && n_free < SUB) {
            n_free = fine_fill_gaps(f, s);
        }
        for (size_t k = 0; n_free && n_free < SUB && k < SUB; k++) {
            size_t i = fine_owner(f, sub[k]);
            if (i != SIZE_MAX && (!k || sub[k] != sub[k - 1])) {
                n_free = fine_fill_slot(f, s, i, n_free);
            }
        }
    }

    size_t k = 0;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        while (k < f->n && f->quota[by_key[k]] - f->count[by_key[k]] < SUB) {
            k++;
        }
        if (k < f->n && f->table[s * SUB] == DSR_SLOT_NONE
            && slot_is_whole(f->table, s)) {
            fine_fill_slot(f, s, by_key[k], SUB);
        }
    }

    size_t e = 0;
    for (k = 0; k < f->n; k++) {
        size_t i = by_key[k];
        while (f->count[i] < f->quota[i]) {
            while (f->table[e] != DSR_SLOT_NONE) {
                e++;
            }
            f->table[e] = f->backends[i].id;
            f->count[i]++;
        }
    }
}

void
slots_rebalance_fine(uint32_t table[DSR_SLOTS_FINE],
                     const struct slots_backend *backends, size_t n)
{
    size_t *index = slots_index_by_id(backends, n);
    struct fine f = {
        .table = table, .backends = backends, .index = index, .n = n,
        .count = xcalloc(n + 1, sizeof *f.count),
        .quota = xcalloc(n + 1, sizeof *f.quota),
    };

    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        size_t i = fine_owner(&f, table[e]);
        if (i == SIZE_MAX) {
            table[e] = DSR_SLOT_NONE;
        } else {
            f.count[i]++;
        }
    }
    compute_quotas(backends, n, DSR_SLOTS_FINE, f.quota);
    fine_release(&f);

    /* Free entries go out by key, so that a fresh table does not depend
     * on the order of 'backends'. */
    size_t *by_key = slots_index_by_key(backends, n);
    fine_assign(&f, by_key);
    free(by_key);
    free(index);
    free(f.count);
    free(f.quota);
}

/* Whether every slot of fine 'table' holds one backend only. */
static bool
fine_is_coarse(const uint32_t table[DSR_SLOTS_FINE])
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (!slot_is_whole(table, s)) {
            return false;
        }
    }
    return true;
}

size_t
slots_update(uint32_t **table, size_t n_slots,
             const struct slots_backend *backends, size_t n, bool allow_fine)
{
    const size_t sub = DSR_SLOTS_FINE / DSR_SLOTS;
    bool fine = allow_fine && (n_slots == DSR_SLOTS_FINE
                               || !slots_coarse_fits(backends, n));
    uint32_t *t = *table;

    if (fine && n_slots == DSR_SLOTS) {
        t = xrealloc(t, DSR_SLOTS_FINE * sizeof *t);
        for (size_t e = DSR_SLOTS_FINE; e-- > 0;) {
            t[e] = t[e / sub];
        }
    } else if (!fine && n_slots == DSR_SLOTS_FINE) {
        /* Fine tables no longer allowed: each slot keeps its first
         * sub-slot's backend. */
        for (size_t s = 0; s < DSR_SLOTS; s++) {
            t[s] = t[s * sub];
        }
        t = xrealloc(t, DSR_SLOTS * sizeof *t);
    }
    *table = t;
    if (!fine) {
        slots_rebalance(t, backends, n);
        return DSR_SLOTS;
    }
    /* Only a table that changed is laid anew: one loaded as it was
     * (a restart, another node's JSON) stays as it is. */
    uint32_t *before = xmemdup(t, DSR_SLOTS_FINE * sizeof *t);
    slots_rebalance_fine(t, backends, n);
    if (memcmp(before, t, DSR_SLOTS_FINE * sizeof *t)) {
        slots_compact(t, backends, n);
    }
    free(before);
    if (fine_is_coarse(t)) {
        for (size_t s = 0; s < DSR_SLOTS; s++) {
            t[s] = t[s * sub];
        }
        *table = xrealloc(t, DSR_SLOTS * sizeof *t);
        return DSR_SLOTS;
    }
    return DSR_SLOTS_FINE;
}
