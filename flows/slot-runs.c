/* Slot tables as runs.  See slot-runs.h. */
#include <config.h>
#include "flows/slot-runs.h"

#include <stdlib.h>
#include <string.h>
#include "flows/slots.h"
#include "util.h"

/* A table of 'size' entries (at least 1), as runs. */
struct slot_runs *
slot_runs_from_table(const uint32_t *table, size_t size)
{
    struct slot_runs *r = xmalloc(sizeof *r);
    size_t n = 1;

    for (size_t e = 1; e < size; e++) {
        n += table[e] != table[e - 1];
    }
    r->size = size;
    r->n = 0;
    r->runs = xmalloc(n * sizeof *r->runs);
    for (size_t e = 0; e < size; e++) {
        if (!e || table[e] != table[e - 1]) {
            r->runs[r->n].first = e;
            r->runs[r->n].id = table[e];
            r->n++;
        }
    }
    return r;
}

/* 'r''s entries, 'r->size' of them, freed by the caller. */
uint32_t *
slot_runs_to_table(const struct slot_runs *r)
{
    uint32_t *table = xmalloc(r->size * sizeof *table);

    for (size_t i = 0; i < r->n; i++) {
        size_t length = slot_run_length(r, i);
        for (size_t e = r->runs[i].first; length--; e++) {
            table[e] = r->runs[i].id;
        }
    }
    return table;
}

void
slot_runs_destroy(struct slot_runs *r)
{
    if (r) {
        free(r->runs);
        free(r);
    }
}

/* Whether 'a' and 'b' (either may be NULL) are the same table: runs are
 * maximal, so the same entries give the same runs. */
bool
slot_runs_equal(const struct slot_runs *a, const struct slot_runs *b)
{
    return (!a || !b ? a == b
            : a->size == b->size && a->n == b->n
              && !memcmp(a->runs, b->runs, a->n * sizeof *a->runs));
}

size_t *
slot_runs_positions(const struct slot_runs *r, const uint32_t *ids,
                    size_t n)
{
    uint32_t (*sorted)[2] = xmalloc((n + 1) * sizeof *sorted);
    size_t *pos = xmalloc(r->n * sizeof *pos);

    for (size_t i = 0; i < n; i++) {
        sorted[i][0] = ids[i];
        sorted[i][1] = i;
    }
    qsort(sorted, n, sizeof *sorted, slots_compare_ids);
    for (size_t k = 0; k < r->n; k++) {
        uint32_t key[2] = { r->runs[k].id, 0 };
        const uint32_t (*found)[2] = (n ? bsearch(key, sorted, n,
                                                  sizeof *sorted,
                                                  slots_compare_ids)
                                      : NULL);
        pos[k] = found ? (*found)[1] : SIZE_MAX;
    }
    free(sorted);
    return pos;
}

size_t *
slot_runs_holdings(const struct slot_runs *r, const uint32_t *ids, size_t n)
{
    size_t *pos = slot_runs_positions(r, ids, n);
    size_t *held = xcalloc(n + 1, sizeof *held);

    for (size_t k = 0; k < r->n; k++) {
        if (pos[k] != SIZE_MAX) {
            held[pos[k]] += slot_run_length(r, k);
        }
    }
    free(pos);
    return held;
}
