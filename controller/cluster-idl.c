/* The OVS_DSR database through OVS's IDL.  See cluster-idl.h. */
#include <config.h>
#include "controller/cluster-idl.h"

#include <string.h>
#include "controller/dsr-idl.h"
#include "ovsdb-idl.h"
#include "sset.h"
#include "util.h"

struct cluster_idl {
    struct ovsdb_idl *idl;
    struct ovsdb_idl_index *services_by_name;
};

struct cluster_idl_txn {
    struct cluster_idl *store;
    struct ovsdb_idl_txn *txn;
};

struct cluster_idl *
cluster_idl_create(const char *remote)
{
    struct cluster_idl *store = xmalloc(sizeof *store);

    store->idl = ovsdb_idl_create_unconnected(&dsrrec_idl_class, true);
    /* Any member will do, as for ovn-controller: a follower forwards
     * writes to the leader, and a node stays connected through a leader
     * election instead of backing off while it finds the new leader. */
    ovsdb_idl_set_leader_only(store->idl, false);
    ovsdb_idl_set_remote(store->idl, remote, true);
    ovsdb_idl_track_add_all(store->idl);
    store->services_by_name = ovsdb_idl_index_create1(
        store->idl, &dsrrec_service_col_name);
    return store;
}

void
cluster_idl_destroy(struct cluster_idl *store)
{
    if (store) {
        ovsdb_idl_destroy(store->idl);
        free(store);
    }
}

void
cluster_idl_run(struct cluster_idl *store)
{
    ovsdb_idl_run(store->idl);
}

void
cluster_idl_wait(struct cluster_idl *store)
{
    ovsdb_idl_wait(store->idl);
}

bool
cluster_idl_is_connected(const struct cluster_idl *store)
{
    return ovsdb_idl_is_connected(store->idl);
}

bool
cluster_idl_has_contents(const struct cluster_idl *store)
{
    return ovsdb_idl_has_ever_connected(store->idl);
}

unsigned int
cluster_idl_seqno(const struct cluster_idl *store)
{
    return ovsdb_idl_get_seqno(store->idl);
}

bool
cluster_idl_get_global(const struct cluster_idl *store, uint64_t *cfg,
                       uint32_t *next_service_id)
{
    const struct dsrrec_dsr_global *g = dsrrec_dsr_global_first(store->idl);

    if (!g) {
        return false;
    }
    *cfg = g->cfg;
    *next_service_id = g->next_service_id;
    return true;
}

bool
cluster_idl_has_global(const struct cluster_idl *store)
{
    return dsrrec_dsr_global_first(store->idl) != NULL;
}

void
cluster_idl_services(const struct cluster_idl *store, bool tracked,
                     cluster_idl_service_cb *cb, void *aux)
{
    const struct dsrrec_service *row;

    if (tracked) {
        DSRREC_SERVICE_FOR_EACH_TRACKED (row, store->idl) {
            cb(aux, row->name,
               dsrrec_service_is_deleted(row) ? NULL : row->config);
        }
    } else {
        DSRREC_SERVICE_FOR_EACH (row, store->idl) {
            cb(aux, row->name, row->config);
        }
    }
}

void
cluster_idl_track_clear(struct cluster_idl *store)
{
    ovsdb_idl_track_clear(store->idl);
}

void
cluster_idl_nodes(const struct cluster_idl *store, cluster_idl_node_cb *cb,
                  void *aux)
{
    const struct dsrrec_node *row;

    DSRREC_NODE_FOR_EACH (row, store->idl) {
        struct cluster_idl_node node = {
            .name = row->name,
            .applied_cfg = row->applied_cfg,
            .status = row->status,
            .backends_down = row->backends_down,
            .n_backends_down = row->n_backends_down,
        };
        cb(aux, &node);
    }
}

static const struct dsrrec_node *
find_node(const struct cluster_idl *store, const char *name)
{
    const struct dsrrec_node *row;

    DSRREC_NODE_FOR_EACH (row, store->idl) {
        if (!strcmp(row->name, name)) {
            return row;
        }
    }
    return NULL;
}

bool
cluster_idl_node_says(const struct cluster_idl *store, const char *name,
                      uint64_t applied_cfg, const char *status,
                      const struct sset *backends_down)
{
    const struct dsrrec_node *row = find_node(store, name);

    if (!row || row->applied_cfg != (int64_t) applied_cfg
        || strcmp(row->status, status)
        || row->n_backends_down != sset_count(backends_down)) {
        return false;
    }
    for (size_t i = 0; i < row->n_backends_down; i++) {
        if (!sset_contains(backends_down, row->backends_down[i])) {
            return false;
        }
    }
    return true;
}

static const struct dsrrec_service *
find_service(const struct cluster_idl *store, const char *name)
{
    struct dsrrec_service *key;

    key = dsrrec_service_index_init_row(store->services_by_name);
    dsrrec_service_index_set_name(key, name);
    const struct dsrrec_service *row
        = dsrrec_service_index_find(store->services_by_name, key);
    dsrrec_service_index_destroy_row(key);
    return row;
}

const char *
cluster_idl_service_config(const struct cluster_idl *store, const char *name)
{
    const struct dsrrec_service *row = find_service(store, name);

    return row ? row->config : NULL;
}

/* Transactions. */

struct cluster_idl_txn *
cluster_idl_txn_begin(struct cluster_idl *store, const char *comment)
{
    struct cluster_idl_txn *t = xmalloc(sizeof *t);

    t->store = store;
    t->txn = ovsdb_idl_txn_create(store->idl);
    ovsdb_idl_txn_add_comment(t->txn, "%s", comment);
    return t;
}

void
cluster_idl_txn_set_global(struct cluster_idl_txn *t, uint64_t cfg,
                           uint32_t next_service_id)
{
    const struct dsrrec_dsr_global *g = dsrrec_dsr_global_first(t->store->idl);

    if (g) {
        dsrrec_dsr_global_verify_cfg(g);
    } else {
        /* The table holds one row at most: of two nodes seeding an empty
         * store, one fails. */
        g = dsrrec_dsr_global_insert(t->txn);
    }
    dsrrec_dsr_global_set_cfg(g, cfg);
    dsrrec_dsr_global_set_next_service_id(g, next_service_id);
}

void
cluster_idl_txn_put_service(struct cluster_idl_txn *t, const char *name,
                            const char *config)
{
    const struct dsrrec_service *row = find_service(t->store, name);

    if (!row) {
        row = dsrrec_service_insert(t->txn);
        dsrrec_service_set_name(row, name);
    }
    dsrrec_service_set_config(row, config);
}

void
cluster_idl_txn_delete_service(struct cluster_idl_txn *t, const char *name)
{
    const struct dsrrec_service *row = find_service(t->store, name);

    if (row) {
        dsrrec_service_delete(row);
    }
}

void
cluster_idl_txn_set_node(struct cluster_idl_txn *t, const char *name,
                         uint64_t applied_cfg, const char *status,
                         const struct sset *backends_down)
{
    const struct dsrrec_node *row = find_node(t->store, name);

    if (!row) {
        row = dsrrec_node_insert(t->txn);
        dsrrec_node_set_name(row, name);
    }
    dsrrec_node_set_applied_cfg(row, applied_cfg);
    dsrrec_node_set_status(row, status);

    const char **down = sset_sort(backends_down);
    dsrrec_node_set_backends_down(row, down, sset_count(backends_down));
    free(down);
}

void
cluster_idl_txn_commit(struct cluster_idl_txn *t)
{
    ovsdb_idl_txn_commit(t->txn);
}

enum cluster_idl_status
cluster_idl_txn_poll(struct cluster_idl_txn *t, char **errorp)
{
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(t->txn);

    *errorp = NULL;
    switch (status) {
    case TXN_INCOMPLETE:
        return CLUSTER_IDL_PENDING;
    case TXN_SUCCESS:
    case TXN_UNCHANGED:
        return CLUSTER_IDL_SUCCESS;
    case TXN_TRY_AGAIN:
        return CLUSTER_IDL_TRY_AGAIN;
    case TXN_UNCOMMITTED:
    case TXN_ABORTED:
    case TXN_NOT_LOCKED:
    case TXN_ERROR:
    default: {
        const char *error = ovsdb_idl_txn_get_error(t->txn);
        *errorp = xasprintf("%s%s%s", ovsdb_idl_txn_status_to_string(status),
                            error ? ": " : "", error ? error : "");
        return CLUSTER_IDL_FAILED;
    }
    }
}

void
cluster_idl_txn_wait(const struct cluster_idl_txn *t)
{
    ovsdb_idl_txn_wait(t->txn);
}

void
cluster_idl_txn_destroy(struct cluster_idl_txn *t)
{
    if (t) {
        ovsdb_idl_txn_destroy(t->txn);
        free(t);
    }
}
