/* Compaction of a fine slot table (flows/slots.h), so that table 25's
 * flows stay in proportion to a service's backends whatever the history
 * of its changes.  Pure functions; flows/README.md explains why and
 * what it costs. */
#ifndef DSR_SLOTS_COMPACT_H
#define DSR_SLOTS_COMPACT_H 1

#include <stddef.h>
#include <stdint.h>
#include "flows/slots.h"

/* Past this many table 25 flows a backend a fine table is laid anew.  A
 * new service's table costs 10 to 14 (flows/README.md), and removing or
 * adding a backend stays well under it, so only a long history of weight
 * changes leads there. */
#define SLOTS_COMPACT_BUDGET 32

/* The aligned blocks of sub-slots, each held by one backend, that one
 * slot's DSR_SLOTS_FINE / DSR_SLOTS sub-slots 'sub' make: the leaves of
 * its tree in table 25. */
size_t slots_subslot_blocks(const uint32_t *sub);

/* Table 25's flows for one slot's DSR_SLOTS_FINE / DSR_SLOTS sub-slots
 * 'sub', as pipeline-slots.c makes them: 0 for a whole slot (its bucket
 * names the backend), else the nodes of its tree, 2 x leaves - 1. */
size_t slots_subslot_flows(const uint32_t *sub);

/* Table 25's flows for a fine 'table'. */
size_t slots_fine_flows(const uint32_t table[DSR_SLOTS_FINE]);

/* If fine 'table' costs more than SLOTS_COMPACT_BUDGET flows for each of
 * its 'n' 'backends', lays it anew as a new service's table is laid (each
 * backend's whole slots, then the rest of its share packed into slots
 * left to split), keeping each backend where it holds most, ties
 * broken by the backends' keys, so every node lays it the same.  Shares do
 * not change, but entries move beyond what any change requires.
 * Returns the entries moved. */
size_t slots_compact(uint32_t table[DSR_SLOTS_FINE],
                     const struct slots_backend *backends, size_t n);

#endif /* flows/slots-compact.h */
