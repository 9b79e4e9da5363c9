/* dsrd's persistent state, so that no accepted change is ever lost: a
 * snapshot of the whole configuration (ids and versions included) plus a
 * journal of the changes since, one JSON line per write, fsynced before
 * the write is acknowledged.  A write costs in proportion to the change,
 * not to the configuration; the journal is folded into a new snapshot
 * (temporary file, fsync, rename, fsync of the directory) once it grows
 * larger than the snapshot, which keeps that cost amortized.
 *
 * The configuration file only seeds the state the first time. */
#ifndef DSR_STORE_H
#define DSR_STORE_H 1

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"

struct dsr_config;
struct dsr_service;

/* One change: 'put' replaces or creates a service, 'deleted' names one
 * that is gone. */
struct store_change {
    const struct dsr_service *put;
    const char *deleted;
};

struct store *store_open(const char *state_file, const char *config_file,
                         struct dsr_config *, bool *from_state,
                         char **errorp);
void store_close(struct store *);
char *store_commit(struct store *, const struct dsr_config *,
                   const struct store_change *, size_t n)
    OVS_WARN_UNUSED_RESULT;
char *store_snapshot(struct store *, const struct dsr_config *)
    OVS_WARN_UNUSED_RESULT;

#endif /* controller/store.h */
