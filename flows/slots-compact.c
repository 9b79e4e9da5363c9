/* Compaction of fine slot tables.  See slots-compact.h and
 * flows/README.md.
 *
 * Rebalancing moves only the entries that the new shares require, so
 * under weight churn a backend that grows takes its entries from every
 * other backend, a few from each, and its runs multiply with the history
 * of changes.  Each run inside a split slot costs table 25 flows, and
 * that cost must stay in proportion to the backends.  Compaction gives up
 * the minimal move for a bounded one: it re-lays the worst slots, each
 * backend's entries of a slot packed into the aligned blocks of its
 * count's binary digits (the fewest leaves a slot's tree can have), each
 * block where most of its entries already are. */
#include <config.h>
#include "flows/slots-compact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

#define SUB (DSR_SLOTS_FINE / DSR_SLOTS)

/* The aligned power-of-two blocks that cover sub-slots [a, b) exactly,
 * the fewest that do. */
static size_t
aligned_blocks(size_t a, size_t b)
{
    size_t n = 0;

    while (a < b) {
        size_t size = a ? a & -a : SUB;
        while (a + size > b) {
            size /= 2;
        }
        a += size;
        n++;
    }
    return n;
}

/* A slot's tree has a leaf for each maximal aligned block of sub-slots
 * that one backend holds: no such block spans two runs, and each run's
 * fewest aligned blocks are maximal. */
size_t
slots_subslot_blocks(const uint32_t *sub)
{
    size_t n = 0;

    for (size_t a = 0, b; a < SUB; a = b) {
        for (b = a + 1; b < SUB && sub[b] == sub[a]; b++) {
            continue;
        }
        n += aligned_blocks(a, b);
    }
    return n;
}

size_t
slots_subslot_flows(const uint32_t *sub)
{
    size_t leaves = slots_subslot_blocks(sub);

    return leaves > 1 ? 2 * leaves - 1 : 0;
}

size_t
slots_fine_flows(const uint32_t table[DSR_SLOTS_FINE])
{
    size_t flows = 0;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        flows += slots_subslot_flows(&table[s * SUB]);
    }
    return flows;
}


/* One backend's entries in a slot. */
struct holder {
    uint32_t id;
    size_t count;
    size_t rank;                /* Its backend's place in key order. */
};

/* Larger holders first, so that they keep more of their place. */
static int
compare_holders(const void *a_, const void *b_)
{
    const struct holder *a = a_, *b = b_;

    return (a->count != b->count ? (a->count > b->count ? -1 : 1)
            : a->rank < b->rank ? -1 : a->rank > b->rank);
}

/* The free aligned block of 'size' sub-slots where 'id' holds most
 * entries of 'old'.  Blocks are placed largest first, each aligned, so a
 * free first sub-slot means a free block. */
static size_t
best_place(const uint32_t *old, const bool used[SUB], uint32_t id,
           size_t size)
{
    size_t best = SIZE_MAX, best_overlap = 0;

    for (size_t p = 0; p < SUB; p += size) {
        if (used[p]) {
            continue;
        }
        size_t overlap = 0;
        for (size_t k = p; k < p + size; k++) {
            overlap += old[k] == id;
        }
        if (best == SIZE_MAX || overlap > best_overlap) {
            best = p;
            best_overlap = overlap;
        }
    }
    ovs_assert(best != SIZE_MAX);
    return best;
}

/* Lays the 'n' holders 'h', whose counts add up to SUB, into slot 'out':
 * each as the aligned blocks of its count's binary digits, largest first
 * (so they always fit), each block where its holder has most entries of
 * 'old', the slot as it was. */
static void
pack_slot(const uint32_t *old, struct holder *h, size_t n, uint32_t *out)
{
    bool used[SUB] = { false };

    qsort(h, n, sizeof *h, compare_holders);
    for (size_t size = SUB; size; size /= 2) {
        for (size_t i = 0; i < n; i++) {
            if (h[i].count & size) {
                size_t p = best_place(old, used, h[i].id, size);
                for (size_t k = p; k < p + size; k++) {
                    out[k] = h[i].id;
                    used[k] = true;
                }
            }
        }
    }
}

/* What a table holds: each backend's entries in all and in each slot.
 * Backends are indexed in the order of their keys, which every node
 * shares (bucket ids are a node's own), so that every choice below, ties
 * included, is the same on every node. */
struct census {
    uint32_t *ids;              /* By index. */
    size_t n;
    const struct slots_backend *backends;
    size_t *by_id;              /* slots_index_by_id(). */
    size_t *rank;               /* A backend's index here, by its index in
                                 * 'backends'. */
    size_t *total;              /* By index. */
    uint16_t *in_slot;          /* [slot * n + index]. */
};

/* The index of the backend with 'id', or SIZE_MAX. */
static size_t
census_index(const struct census *c, uint32_t id)
{
    size_t b = slots_by_id(c->backends, c->by_id, c->n, id);

    return b == SIZE_MAX ? SIZE_MAX : c->rank[b];
}

static void
census_destroy(struct census *c)
{
    free(c->ids);
    free(c->by_id);
    free(c->rank);
    free(c->total);
    free(c->in_slot);
}

/* Counts 'table''s entries by the 'n' 'backends'.  False, with 'c'
 * destroyed, if an entry names none of them. */
static bool
census_init(struct census *c, const uint32_t *table,
            const struct slots_backend *backends, size_t n)
{
    size_t *by_key = slots_index_by_key(backends, n);

    c->n = n;
    c->backends = backends;
    c->by_id = slots_index_by_id(backends, n);
    c->ids = xmalloc(n * sizeof *c->ids);
    c->rank = xmalloc(n * sizeof *c->rank);
    for (size_t i = 0; i < n; i++) {
        c->ids[i] = backends[by_key[i]].id;
        c->rank[by_key[i]] = i;
    }
    free(by_key);
    c->total = xcalloc(n, sizeof *c->total);
    c->in_slot = xcalloc(DSR_SLOTS * n, sizeof *c->in_slot);
    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        size_t i = census_index(c, table[e]);
        if (i == SIZE_MAX) {
            census_destroy(c);
            return false;
        }
        c->total[i]++;
        c->in_slot[e / SUB * n + i]++;
    }
    return true;
}

/* A backend's entries in a slot, as a claim to make the slot its own. */
struct claim {
    size_t slot, i, count;
};

static int
compare_claims(const void *a_, const void *b_)
{
    const struct claim *a = a_, *b = b_;

    return (a->count != b->count ? (a->count > b->count ? -1 : 1)
            : a->slot != b->slot ? (a->slot < b->slot ? -1 : 1)
            : a->i < b->i ? -1 : a->i > b->i);
}

/* Gives each backend its whole slots, total / SUB of them, those where
 * it holds most first: 'owner[s]' is its index, or SIZE_MAX for a slot
 * left to split. */
static void
assign_whole(const struct census *c, size_t owner[DSR_SLOTS])
{
    size_t *need = xmalloc(c->n * sizeof *need);
    struct claim *claims = xmalloc(MIN(DSR_SLOTS * c->n, DSR_SLOTS_FINE)
                                   * sizeof *claims);
    size_t n = 0;

    for (size_t i = 0; i < c->n; i++) {
        need[i] = c->total[i] / SUB;
    }
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        owner[s] = SIZE_MAX;
        for (size_t i = 0; i < c->n; i++) {
            size_t count = c->in_slot[s * c->n + i];
            if (count && need[i]) {
                claims[n++] = (struct claim) { s, i, count };
            }
        }
    }
    qsort(claims, n, sizeof *claims, compare_claims);
    for (size_t k = 0; k < n; k++) {
        if (owner[claims[k].slot] == SIZE_MAX && need[claims[k].i]) {
            owner[claims[k].slot] = claims[k].i;
            need[claims[k].i]--;
        }
    }
    /* The whole slots add up to at most DSR_SLOTS, so there are enough
     * left for backends still short of theirs. */
    for (size_t i = 0, s = 0; i < c->n; i++) {
        for (; need[i]; need[i]--) {
            while (owner[s] != SIZE_MAX) {
                s++;
            }
            owner[s] = i;
        }
    }
    free(claims);
    free(need);
}

/* A slot left to split, as it fills: the pieces of backends it holds. */
struct split_slot {
    size_t slot, room, n;
    struct holder h[SUB];
};

/* Puts up to 'count' of backend 'i''s entries into 'ss'; returns how
 * many. */
static size_t
put_piece(struct split_slot *ss, const struct census *c, size_t i,
          size_t count)
{
    size_t n = MIN(count, ss->room);

    if (n) {
        ss->h[ss->n++] = (struct holder) { c->ids[i], n, i };
        ss->room -= n;
    }
    return n;
}

/* A backend's entries beyond its whole slots, and the slot left to split
 * where it holds most of them (its home). */
struct rest {
    size_t i, count, home, there;
};

static int
compare_rests(const void *a_, const void *b_)
{
    const struct rest *a = a_, *b = b_;

    return (a->there != b->there ? (a->there > b->there ? -1 : 1)
            : a->i < b->i ? -1 : a->i > b->i);
}

/* The slot of the 'n' 'ss' with room where backend 'i' holds most. */
static size_t
roomiest_home(const struct census *c, const struct split_slot *ss, size_t n,
              size_t i)
{
    size_t best = SIZE_MAX, best_there = 0;

    for (size_t k = 0; k < n; k++) {
        size_t there = c->in_slot[ss[k].slot * c->n + i];
        if (ss[k].room && (best == SIZE_MAX || there > best_there)) {
            best = k;
            best_there = there;
        }
    }
    return best;
}

/* Lays each backend's rest into the 'n' slots 'ss': into its home, the
 * backends that hold most there first; what does not fit, into the slots
 * with room where it holds most.  The rests add up to the room. */
static void
lay_rests(const struct census *c, struct split_slot *ss, size_t n)
{
    struct rest *rests = xmalloc(c->n * sizeof *rests);
    size_t n_rests = 0;

    for (size_t i = 0; i < c->n; i++) {
        struct rest r = { i, c->total[i] % SUB, SIZE_MAX, 0 };
        for (size_t k = 0; r.count && k < n; k++) {
            size_t there = c->in_slot[ss[k].slot * c->n + i];
            if (there > r.there) {
                r.home = k;
                r.there = there;
            }
        }
        if (r.count) {
            rests[n_rests++] = r;
        }
    }
    qsort(rests, n_rests, sizeof *rests, compare_rests);
    for (size_t k = 0; k < n_rests; k++) {
        struct rest *r = &rests[k];
        if (r->home != SIZE_MAX) {
            r->count -= put_piece(&ss[r->home], c, r->i, r->count);
        }
    }
    for (size_t k = 0; k < n_rests; k++) {
        struct rest *r = &rests[k];
        while (r->count) {
            size_t home = roomiest_home(c, ss, n, r->i);
            ovs_assert(home != SIZE_MAX);
            r->count -= put_piece(&ss[home], c, r->i, r->count);
        }
    }
    free(rests);
}

/* Lays 'table', counted in 'c', anew into 'out' as a new service's
 * table is laid (whole slots, then the rests in the slots left, each
 * slot packed), keeping each backend's entries where it held most. */
static void
relayout(const struct census *c, const uint32_t *table, uint32_t *out)
{
    struct split_slot *ss = xmalloc(DSR_SLOTS * sizeof *ss);
    size_t owner[DSR_SLOTS], n = 0;

    assign_whole(c, owner);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (owner[s] == SIZE_MAX) {
            ss[n++] = (struct split_slot) { .slot = s, .room = SUB };
        }
        for (size_t k = 0; owner[s] != SIZE_MAX && k < SUB; k++) {
            out[s * SUB + k] = c->ids[owner[s]];
        }
    }
    lay_rests(c, ss, n);
    for (size_t k = 0; k < n; k++) {
        size_t first = ss[k].slot * SUB;
        pack_slot(&table[first], ss[k].h, ss[k].n, &out[first]);
    }
    free(ss);
}

size_t
slots_compact(uint32_t table[DSR_SLOTS_FINE],
              const struct slots_backend *backends, size_t n)
{
    size_t flows = slots_fine_flows(table);
    struct census c;

    if (flows <= SLOTS_COMPACT_BUDGET * n
        || !census_init(&c, table, backends, n)) {
        return 0;
    }

    uint32_t *out = xmalloc(DSR_SLOTS_FINE * sizeof *out);
    size_t moved = 0;
    relayout(&c, table, out);
    if (slots_fine_flows(out) < flows) {
        for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
            moved += table[e] != out[e];
        }
        memcpy(table, out, DSR_SLOTS_FINE * sizeof *table);
    }
    free(out);
    census_destroy(&c);
    return moved;
}
