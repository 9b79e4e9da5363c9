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
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cluster_write);

COVERAGE_DEFINE(cluster_write);
COVERAGE_DEFINE(cluster_write_retry);

/* Writes 'svc' as its Service row.  Its bridge and MAC stay out of it
 * where they are this node's defaults (its only bridge, that bridge's
 * MAC), so that each node reads its own: nodes in bgp mode each have
 * their own MAC. */
static void
put_service(const struct cluster *c, struct cluster_idl_txn *t,
            const struct dsr_service *svc)
{
    const struct dsr_bridge_config *br = dsr_config_find_bridge(c->cfg,
                                                                svc->bridge);
    struct ds doc = DS_EMPTY_INITIALIZER;

    dsr_service_put_json(&doc, svc);
    json_t *json = json_loadb(doc.string, doc.length, 0, NULL);
    ovs_assert(json);
    if (c->cfg->n_bridges == 1) {
        json_object_del(json, "bridge");
    }
    if (br && eth_addr_equals(br->mac, svc->mac)) {
        json_object_del(json, "mac");
    }
    char *text = json_dumps(json, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cluster_idl_txn_put_service(t, svc->name, text);
    free(text);
    json_decref(json);
    ds_destroy(&doc);
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
        put_service(c, t, svc);
    }
    cluster_idl_txn_commit(t);
    c->seed_txn = t;
}

void
cluster_propose(struct cluster *c, struct txn *txn)
{
    uint64_t store_cfg;
    uint32_t store_next_id;
    ovs_assert(!c->write_txn
               && cluster_idl_get_global(c->store, &store_cfg,
                                         &store_next_id));

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
            continue;
        }
        /* Ids and versions are the writer's to give, so that every node
         * reads the same ones. */
        if (!ch->new->id) {
            ch->new->id = next_id++;
        }
        dsr_service_stamp(ch->new, cfg);
        put_service(c, t, ch->new);
    }
    /* Verifies that the configuration the write was checked against is
     * still the store's. */
    cluster_idl_txn_set_global(t, cfg, next_id);
    cluster_idl_txn_commit(t);
    c->write_txn = t;
    c->write_cfg = cfg;
    c->write_committed = false;
    COVERAGE_INC(cluster_write);
}

void
cluster_write_end(struct cluster *c)
{
    cluster_idl_txn_destroy(c->write_txn);
    c->write_txn = NULL;
    c->write_committed = false;
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
        } else if (status == CLUSTER_IDL_TRY_AGAIN) {
            COVERAGE_INC(cluster_write_retry);
            cluster_write_end(c);
            return CLUSTER_WRITE_RETRY;
        } else if (status == CLUSTER_IDL_FAILED) {
            *errorp = xasprintf("the store did not take the change: %s",
                                error);
            free(error);
            cluster_write_end(c);
            return CLUSTER_WRITE_FAILED;
        }
        cluster_idl_txn_destroy(c->write_txn);
        c->write_txn = NULL;
        c->write_committed = true;
    }
    ovs_assert(c->write_committed);
    return cluster_applied_here(c, c->write_cfg);
}
