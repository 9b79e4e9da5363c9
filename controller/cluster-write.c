/* Writing to a clustered store: the API's writes, and the seeding of an
 * empty store.  See cluster.h. */
#include <config.h>
#include "controller/cluster.h"

#include "controller/cluster-private.h"
#include "controller/config.h"
#include "controller/cluster-idl.h"
#include "controller/model.h"
#include "controller/txn.h"
#include "coverage.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cluster_write);

COVERAGE_DEFINE(cluster_write);
COVERAGE_DEFINE(cluster_write_retry);

/* Writes 'svc' as its Service row and returns the row's config, for the
 * caller to free.  Its bridge and MAC stay out of it where they are this
 * node's defaults (its only bridge, that bridge's MAC), so that each node
 * reads its own: nodes in bgp mode each have their own MAC. */
static char *
put_service(const struct cluster *c, struct cluster_idl_txn *t,
            const struct dsr_service *svc)
{
    const struct dsr_bridge_config *br = dsr_config_find_bridge(c->cfg,
                                                                svc->bridge);
    json_t *json = dsr_service_to_json(svc);

    if (c->cfg->n_bridges == 1) {
        json_object_del(json, "bridge");
    }
    if (br && eth_addr_equals(br->mac, svc->mac)) {
        json_object_del(json, "mac");
    }
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cluster_idl_txn_put_service(t, svc->name, text);
    json_decref(json);
    return text;
}

/* Seeds an empty store (no DSR_Global row) with this node's services and
 * version.  If another node seeds it first, the transaction fails on the
 * table's one row, and this node follows that node's services. */
void
cluster_seed(struct cluster *c)
{
    if (c->seed_txn) {
        char *error;
        enum cluster_idl_status status = cluster_idl_txn_poll(c->seed_txn,
                                                              &error);
        if (status == CLUSTER_IDL_PENDING) {
            return;
        }
        VLOG_INFO("seeding the store with %"PRIuSIZE" services: %s",
                  hmap_count(&c->cfg->services), error ? error : "done");
        free(error);
        cluster_idl_txn_destroy(c->seed_txn);
        c->seed_txn = NULL;
        return;
    }

    char *comment = xasprintf("dsrd %s: seed", c->node_name);
    struct cluster_idl_txn *t = cluster_idl_txn_begin(c->store, comment);
    free(comment);
    cluster_idl_txn_set_global(t, MAX(c->cfg->version, 1),
                               c->cfg->next_service_id);

    const struct dsr_service *svc;
    HMAP_FOR_EACH (svc, name_node, &c->cfg->services) {
        free(put_service(c, t, svc));
    }
    cluster_idl_txn_commit(t);
    c->seed_txn = t;
}

void
cluster_propose(struct cluster *c, struct txn *txn)
{
    uint64_t store_cfg;
    uint32_t store_next_id;
    bool has_global = cluster_idl_get_global(c->store, &store_cfg,
                                             &store_next_id);
    ovs_assert(!c->write_txn && has_global);

    shash_clear_free_data(&c->write_rows);
    char *comment = xasprintf("dsrd %s: write", c->node_name);
    struct cluster_idl_txn *t = cluster_idl_txn_begin(c->store, comment);
    free(comment);
    uint64_t cfg = store_cfg + 1;
    uint32_t next_id = MAX(store_next_id, c->cfg->next_service_id);

    size_t n;
    const struct txn_change *changes = txn_get_changes(txn, &n);
    for (size_t i = 0; i < n; i++) {
        const struct txn_change *ch = &changes[i];
        if (!ch->new) {
            cluster_idl_txn_delete_service(t, ch->old->name);
            free(shash_replace(&c->write_rows, ch->old->name, NULL));
            continue;
        }
        /* Ids and versions are the writer's to give, so that every node
         * reads the same ones. */
        if (!ch->new->id) {
            ch->new->id = next_id++;
        }
        dsr_service_stamp(ch->new, cfg);
        free(shash_replace(&c->write_rows, ch->new->name,
                           put_service(c, t, ch->new)));
    }
    /* Verifies that the configuration the write was checked against is
     * still the store's. */
    cluster_idl_txn_set_global(t, cfg, next_id);
    cluster_idl_txn_commit(t);
    c->write_txn = t;
    c->write_cfg = cfg;
    COVERAGE_INC(cluster_write);
}

void
cluster_write_end(struct cluster *c)
{
    cluster_idl_txn_destroy(c->write_txn);
    c->write_txn = NULL;
    c->write_unsure = false;
    shash_clear_free_data(&c->write_rows);
}

uint64_t
cluster_write_version(const struct cluster *c)
{
    return c->write_cfg;
}

/* Whether the store holds what the write wrote, with its version: then it
 * was committed, whatever the answer said. */
static bool
write_landed(const struct cluster *c)
{
    uint64_t store_cfg;
    uint32_t next_service_id;

    if (!cluster_idl_get_global(c->store, &store_cfg, &next_service_id)
        || store_cfg < c->write_cfg) {
        return false;
    }
    struct shash_node *node;
    SHASH_FOR_EACH (node, &c->write_rows) {
        const char *config = cluster_idl_service_config(c->store,
                                                        node->name);
        if (!nullable_string_is_equal(config, node->data)) {
            return false;
        }
    }
    return true;
}

/* After "try again": PENDING until the store's contents tell whether the
 * write was committed after all (its rows are there, with its version),
 * then RETRY if it was not. */
static enum cluster_write_state
decide_unsure(struct cluster *c)
{
    bool followed = c->n_follows != c->write_follows;
    if (!cluster_is_current(c)
        || (!followed
            && time_msec() < c->write_unsure_since + CLUSTER_UNSURE_MS)) {
        return CLUSTER_WRITE_PENDING;
    }
    c->write_unsure = false;
    if (!write_landed(c)) {
        COVERAGE_INC(cluster_write_retry);
        cluster_write_end(c);
        return CLUSTER_WRITE_RETRY;
    }
    VLOG_INFO("store version %"PRIu64": committed, although the store's "
              "answer said to try again", c->write_cfg);
    return cluster_applied_here(c, c->write_cfg);
}

enum cluster_write_state
cluster_write_poll(struct cluster *c, char **errorp)
{
    *errorp = NULL;
    if (c->write_txn) {
        char *error;
        enum cluster_idl_status status = cluster_idl_txn_poll(c->write_txn,
                                                              &error);
        if (status == CLUSTER_IDL_PENDING) {
            return CLUSTER_WRITE_PENDING;
        } else if (status == CLUSTER_IDL_FAILED) {
            *errorp = xasprintf("the store did not take the change: %s",
                                error);
            free(error);
            cluster_write_end(c);
            return CLUSTER_WRITE_FAILED;
        }
        cluster_idl_txn_destroy(c->write_txn);
        c->write_txn = NULL;
        if (status == CLUSTER_IDL_TRY_AGAIN) {
            c->write_unsure = true;
            c->write_follows = c->n_follows;
            c->write_unsure_since = time_msec();
        }
    }
    /* Committed, unless 'write_unsure'. */
    return (c->write_unsure ? decide_unsure(c)
            : cluster_applied_here(c, c->write_cfg));
}
