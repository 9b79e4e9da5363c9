/* A slot table at rest, as its runs: entries in a row that one backend
 * holds.  flows/slots.h computes on arrays of DSR_SLOTS or DSR_SLOTS_FINE
 * entries; a service keeps its table as runs between changes, because a
 * fine table of a few backends is a few hundred runs (a few KiB) where
 * its entries take 256 KiB, and most services of 5 or more backends have
 * a fine table. */
#ifndef DSR_SLOT_RUNS_H
#define DSR_SLOT_RUNS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slot_run {
    uint32_t first;             /* Its first entry; it ends where the next
                                 * run starts, the last at the table's
                                 * end. */
    uint32_t id;                /* What its entries hold: a bucket id, or
                                 * DSR_SLOT_NONE. */
};

struct slot_runs {
    size_t size;                /* Entries: DSR_SLOTS or DSR_SLOTS_FINE. */
    size_t n;                   /* Runs, at least 1. */
    struct slot_run *runs;      /* In the order of their entries. */
};

struct slot_runs *slot_runs_from_table(const uint32_t *table, size_t size);
uint32_t *slot_runs_to_table(const struct slot_runs *);
void slot_runs_destroy(struct slot_runs *);
bool slot_runs_equal(const struct slot_runs *, const struct slot_runs *);

/* For each run of 'r', the position in 'ids' (n of them) of the id it
 * holds, or SIZE_MAX: one sort and a search a run, where scanning 'ids'
 * for each run would cost runs x n.  Freed by the caller. */
size_t *slot_runs_positions(const struct slot_runs *r, const uint32_t *ids,
                            size_t n);

/* How many entries of 'r' each of the 'n' backends 'ids' holds, in the
 * order of 'ids' (freed by the caller). */
size_t *slot_runs_holdings(const struct slot_runs *r, const uint32_t *ids,
                           size_t n);

/* The number of entries run 'i' of 'r' holds. */
static inline size_t
slot_run_length(const struct slot_runs *r, size_t i)
{
    return (i + 1 < r->n ? r->runs[i + 1].first : r->size) - r->runs[i].first;
}

#endif /* flows/slot-runs.h */
