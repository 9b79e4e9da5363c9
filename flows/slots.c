/* Slot tables.  See slots.h and flows/README.md. */
#include <config.h>
#include "flows/slots.h"

#include <stdbool.h>
#include <stdlib.h>
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

/* Largest-remainder shares of DSR_SLOTS by weight; equal remainders are
 * ordered by hash so that every node rounds the same way. */
static void
compute_quotas(const struct slots_backend *backends, size_t n,
               size_t *quota)
{
    uint64_t total = 0;
    size_t given = 0;

    for (size_t i = 0; i < n; i++) {
        total += backends[i].weight;
    }
    for (size_t i = 0; i < n; i++) {
        quota[i] = total ? (uint64_t) DSR_SLOTS * backends[i].weight / total
                         : 0;
        given += quota[i];
    }
    while (total && given < DSR_SLOTS) {
        size_t best = SIZE_MAX;
        uint64_t best_rem = 0, best_hash = 0;

        for (size_t i = 0; i < n; i++) {
            uint64_t exact = (uint64_t) DSR_SLOTS * backends[i].weight;
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
    compute_quotas(backends, n, quota);
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

void
slots_effective(const uint32_t base[DSR_SLOTS],
                const struct slots_backend *usable, size_t n,
                uint32_t out[DSR_SLOTS])
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (find_backend(usable, n, base[s]) != SIZE_MAX) {
            out[s] = base[s];
            continue;
        }
        size_t best = SIZE_MAX;
        struct weighted_score best_score = { 0, 1 };
        for (size_t i = 0; i < n; i++) {
            struct weighted_score score = weighted_score(&usable[i], s);
            if (usable[i].weight
                && (best == SIZE_MAX || score_beats(score, best_score)
                    || (!score_beats(best_score, score)
                        && usable[i].key > usable[best].key))) {
                best = i;
                best_score = score;
            }
        }
        out[s] = best == SIZE_MAX ? DSR_SLOT_NONE : usable[best].id;
    }
}
