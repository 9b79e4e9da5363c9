/* cluster.c and cluster-write.c's shared state.  See cluster.h. */
#ifndef DSR_CLUSTER_PRIVATE_H
#define DSR_CLUSTER_PRIVATE_H 1

#include <stdbool.h>
#include <stdint.h>
#include "controller/cluster.h"
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "sset.h"

struct dsr_config;
struct lb;
struct txn_store;

/* How long a write the store answered "try again" waits for the store's
 * contents to say whether it was committed, at most. */
#define CLUSTER_UNSURE_MS 1000

/* A node writes its Node row at most this often: in a burst of writes,
 * every node reporting every version would multiply the store's own
 * writes by the number of nodes.  A lone change is reported at once. */
#define CLUSTER_REPORT_MS 10

struct cluster {
    struct cluster_idl *store;
    char *node_name;
    struct dsr_config *cfg;
    struct txn_store *local;
    struct lb *lb;

    /* Following the store. */
    bool synced;                /* The whole store was applied since the
                                 * connection (re)started. */
    unsigned int idl_seqno;     /* The IDL's seqno when last followed. */
    uint64_t store_cfg;         /* DSR_Global's cfg when last followed. */
    char *error;                /* Why a change of the store is not in
                                 * force here, or NULL. */
    struct ovs_list applying;   /* struct cluster_applying, oldest first. */
    uint64_t bridged_cfg;       /* Last store version on every bridge. */

    /* Reporting: the Node row. */
    struct cluster_idl_txn *node_txn;
    struct sset backends_down;  /* This node's health view ("SVC/IP"). */
    uint64_t health_seqno;      /* lb_health_seqno() it is of. */
    long long int reported_ms;  /* When the Node row was last written. */
    long long int report_ms;    /* When it is to be written next, or
                                 * LLONG_MAX if it says what it should. */

    /* Writing. */
    struct cluster_idl_txn *seed_txn;     /* Seeding an empty store. */
    struct cluster_idl_txn *write_txn;
    uint64_t write_cfg;         /* The version the write makes. */
    struct shash write_rows;    /* Service name to the config written, or
                                 * NULL for a deletion. */
    /* The store answered "try again", yet the write may have been
     * committed (a connection lost with the answer): decided once the
     * store's contents have been followed since. */
    bool write_unsure;
    unsigned int write_follows;
    long long int write_unsure_since;
    unsigned int n_follows;     /* Passes of follow() so far. */
};

/* cluster.c. */
enum cluster_write_state cluster_applied_here(const struct cluster *,
                                              uint64_t cfg);

/* cluster-write.c. */
void cluster_seed(struct cluster *);

#endif /* controller/cluster-private.h */
