/* The OVS_DSR database (schemas/ovs-dsr.ovsschema) through OVS's IDL, in
 * plain C types.  It is a file of its own because OVS's json.h, which the
 * IDL needs, and jansson, which the model needs, cannot be included
 * together; cluster.c and cluster-write.c see the store only through
 * this interface. */
#ifndef DSR_CLUSTER_IDL_H
#define DSR_CLUSTER_IDL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cluster_idl *cluster_idl_create(const char *remote);
void cluster_idl_destroy(struct cluster_idl *);
void cluster_idl_run(struct cluster_idl *);
void cluster_idl_wait(struct cluster_idl *);

bool cluster_idl_is_connected(const struct cluster_idl *);
/* Whether the replica holds a whole copy of the store (which may be old
 * while not connected). */
bool cluster_idl_has_contents(const struct cluster_idl *);
unsigned int cluster_idl_seqno(const struct cluster_idl *);

/* DSR_Global: false if the store has none yet (a new, empty store). */
bool cluster_idl_get_global(const struct cluster_idl *, uint64_t *cfg,
                            uint32_t *next_service_id);
bool cluster_idl_has_global(const struct cluster_idl *);

/* Calls 'cb' for each Service row, or with 'tracked' for each one that
 * changed since cluster_idl_track_clear() ('config' NULL: deleted). */
typedef void cluster_idl_service_cb(void *aux, const char *name,
                                    const char *config);
void cluster_idl_services(const struct cluster_idl *, bool tracked,
                          cluster_idl_service_cb *, void *aux);
void cluster_idl_track_clear(struct cluster_idl *);
/* Service row 'name''s config, or NULL if there is none. */
const char *cluster_idl_service_config(const struct cluster_idl *,
                                       const char *name);

/* A Node row: what a node applied, and the backends it sees down
 * ("SERVICE/IP"). */
struct cluster_idl_node {
    const char *name;
    uint64_t applied_cfg;
    const char *status;
    char **backends_down;
    size_t n_backends_down;
};

/* Calls 'cb' for each Node row. */
typedef void cluster_idl_node_cb(void *aux, const struct cluster_idl_node *);
void cluster_idl_nodes(const struct cluster_idl *, cluster_idl_node_cb *,
                       void *aux);
struct sset;
bool cluster_idl_node_says(const struct cluster_idl *, const char *name,
                           uint64_t applied_cfg, const char *status,
                           const struct sset *backends_down);

/* Transactions.  Build one in a single pass of the main loop (between two
 * cluster_idl_run()s), then commit it and poll until not PENDING. */
struct cluster_idl_txn *cluster_idl_txn_begin(struct cluster_idl *,
                                              const char *comment);
/* Sets DSR_Global, inserting it if the store has none; a store that
 * has one must still be at the 'cfg' read by cluster_idl_get_global(), or
 * the transaction ends in CLUSTER_IDL_TRY_AGAIN. */
void cluster_idl_txn_set_global(struct cluster_idl_txn *, uint64_t cfg,
                                uint32_t next_service_id);
void cluster_idl_txn_put_service(struct cluster_idl_txn *, const char *name,
                                 const char *config);
void cluster_idl_txn_delete_service(struct cluster_idl_txn *,
                                    const char *name);
void cluster_idl_txn_set_node(struct cluster_idl_txn *, const char *name,
                              uint64_t applied_cfg, const char *status,
                              const struct sset *backends_down);
void cluster_idl_txn_commit(struct cluster_idl_txn *);

enum cluster_idl_status {
    CLUSTER_IDL_PENDING,
    CLUSTER_IDL_SUCCESS,
    CLUSTER_IDL_TRY_AGAIN,      /* Another write came first. */
    CLUSTER_IDL_FAILED,
};
enum cluster_idl_status cluster_idl_txn_poll(struct cluster_idl_txn *,
                                             char **errorp);
void cluster_idl_txn_wait(const struct cluster_idl_txn *);
void cluster_idl_txn_destroy(struct cluster_idl_txn *);

#endif /* controller/cluster-idl.h */
