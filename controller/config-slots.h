/* A service's slot table as the configuration's JSON carries it: each
 * backend's "slots", either a bitmap of the 256 slots of a coarse table
 * as 64 hex digits, or the entries of a fine table (flows/slots.h) as
 * ranges, "0-64,300,400-410".  The state file, the journal, the API and
 * other nodes all use it, so that a table survives restarts and every
 * node holds the same one. */
#ifndef DSR_CONFIG_SLOTS_H
#define DSR_CONFIG_SLOTS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds;

/* The table size that 'text' is written for: DSR_SLOTS for a bitmap,
 * DSR_SLOTS_FINE for ranges, 0 if it is neither. */
size_t config_slots_size(const char *text);

/* Gives 'id' each entry of 'table' (of 'n_slots' entries, the size
 * 'text' is written for) that 'text' names and no one holds yet.  False,
 * changing nothing, if 'text' is malformed. */
bool config_slots_apply(const char *text, uint32_t *table, size_t n_slots,
                        uint32_t id);

/* The "slots" of each of 'ids' (n of them) in table 'r', in O(runs + n
 * log n): initializes out[i] for ids[i]; the caller destroys each. */
struct slot_runs;
void config_slots_format_all(const struct slot_runs *r, const uint32_t *ids,
                             size_t n, struct ds *out);

/* The "slots" of each backend of 'svc' (which has a table), in the order
 * of its backends; the caller destroys each and frees the array. */
struct dsr_service;
struct ds *config_slots_texts(const struct dsr_service *);

#endif /* controller/config-slots.h */
