/* dsrd's persistent state, so that no accepted change is ever lost: a
 * snapshot of the whole configuration (ids and versions included) plus a
 * journal of the changes since, one JSON line per write, fsynced before
 * the write is acknowledged.  A write costs in proportion to the change,
 * not to the configuration; the journal is folded into a new snapshot
 * (temporary file, fsync, rename, fsync of the directory) once it grows
 * larger than the snapshot, which keeps that cost amortized.
 *
 * The configuration file only seeds the state the first time.  Writes
 * come from txn.c, through the struct txn_store that
 * store_get_txn_store() returns. */
#ifndef DSR_STORE_H
#define DSR_STORE_H 1

#include <stdbool.h>
#include <stddef.h>
#include "openvswitch/compiler.h"

struct dsr_config;

struct store *store_open(const char *state_file, const char *config_file,
                         struct dsr_config *, bool *from_state,
                         char **errorp);
void store_close(struct store *);
char *store_snapshot(struct store *, const struct dsr_config *)
    OVS_WARN_UNUSED_RESULT;

/* With a clustered store (cluster.h) the state file is only this node's
 * cache of it: a change is in force once the cluster committed it, and a
 * record the machine's crash loses is read from the cluster again, so
 * the journal is not synced before each change. */
void store_set_cache_only(struct store *, bool cache_only);

/* The store as txn.c sees it: its 'commit' writes one journal record
 * (see txn.h). */
struct txn_store *store_get_txn_store(struct store *);

#endif /* controller/store.h */
