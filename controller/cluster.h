/* A clustered store: the services of every node, in an OVS_DSR database
 * (schemas/ovs-dsr.ovsschema) served by a clustered ovsdb-server (Raft),
 * read through OVS's IDL.  dsrd --db=REMOTE follows it: each change to a
 * Service row becomes a local transaction (txn.c) with the cluster's
 * version, saved in the local state file as a cache for the next start,
 * and applied to this node's bridges; the node then reports the version
 * it applied in its Node row.  The API's writes go to the cluster as one
 * OVSDB transaction that verifies DSR_Global's version, so that writes
 * through different nodes are serialized and each is checked against the
 * configuration it replaces; the writer applies its own write as every
 * other node does, from the database.
 *
 * The bridges, limits and announce settings stay in each node's local
 * configuration: they describe the node, not the service.  A service
 * that names a bridge needs a bridge of that name on every node.
 *
 * An empty cluster (no DSR_Global row) is seeded by the first node that
 * connects, with its local services and version: that is how a node's
 * local state moves into a new cluster. */
#ifndef DSR_CLUSTER_H
#define DSR_CLUSTER_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct dsr_config;
struct lb;
struct txn;
struct txn_store;

struct cluster *cluster_create(const char *remote, const char *node_name,
                               struct dsr_config *, struct txn_store *local,
                               struct lb *);
void cluster_destroy(struct cluster *);
void cluster_run(struct cluster *);
void cluster_wait(struct cluster *);

/* Whether the configuration in force is the cluster's latest, so that a
 * write checked against it may be proposed. */
bool cluster_is_current(const struct cluster *);

/* Proposes the changes of 'txn', checked (txn_check()) against the
 * configuration in force while cluster_is_current(), as one write; the
 * changes' new services get their ids and versions here.  One write at a
 * time: cluster_write_poll() follows it until it is no longer
 * CLUSTER_WRITE_PENDING. */
void cluster_propose(struct cluster *, struct txn *);

enum cluster_write_state {
    CLUSTER_WRITE_PENDING,      /* Not committed, or not applied here. */
    CLUSTER_WRITE_APPLIED,      /* Committed, and on this node's bridges. */
    CLUSTER_WRITE_ACCEPTED,     /* Committed and in force here; a bridge
                                 * that is not connected gets it later. */
    CLUSTER_WRITE_RETRY,        /* Another write came first: check again
                                 * against the configuration it made. */
    CLUSTER_WRITE_FAILED,       /* Not committed: '*error' says why. */
};
enum cluster_write_state cluster_write_poll(struct cluster *, char **error);
/* Forgets the write, whatever its state: one still PENDING may yet be
 * committed (the store answers later), and is then applied as any other
 * change of the store. */
void cluster_write_end(struct cluster *);

/* The store version the write makes (while it is not ended). */
uint64_t cluster_write_version(const struct cluster *);

/* Appends to 'names' the nodes whose Node row says they applied store
 * version 'cfg' (comma-separated); returns whether every node's does. */
struct ds;
bool cluster_nodes_applied(const struct cluster *, uint64_t cfg,
                           struct ds *names);

/* GET /v1/cluster: this node, its view of the store and every node's
 * applied version. */
json_t *cluster_to_json(const struct cluster *);

#endif /* controller/cluster.h */
