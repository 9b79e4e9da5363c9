/* Following a clustered store.  See cluster.h. */
#include <config.h>
#include "controller/cluster.h"

#include <string.h>
#include "controller/cluster-private.h"
#include "controller/config.h"
#include "controller/cluster-idl.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/txn.h"
#include "coverage.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "sset.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(cluster);

static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

COVERAGE_DEFINE(cluster_apply);

/* A store version in force here, waiting for this node's bridges. */
struct cluster_applying {
    struct ovs_list node;
    struct txn *txn;
    uint64_t cfg;
};

struct cluster *
cluster_create(const char *remote, const char *node_name,
               struct dsr_config *cfg, struct txn_store *local, struct lb *lb)
{
    struct cluster *c = xzalloc(sizeof *c);

    c->store = cluster_idl_create(remote);
    c->node_name = xstrdup(node_name);
    c->cfg = cfg;
    c->local = local;
    c->lb = lb;
    ovs_list_init(&c->applying);
    shash_init(&c->write_rows);
    sset_init(&c->backends_down);
    c->reported_ms = LLONG_MIN;
    c->report_ms = LLONG_MAX;
    return c;
}

void
cluster_destroy(struct cluster *c)
{
    if (c) {
        struct cluster_applying *a;
        LIST_FOR_EACH_POP (a, node, &c->applying) {
            txn_destroy(a->txn);
            free(a);
        }
        cluster_write_end(c);
        shash_destroy(&c->write_rows);
        sset_destroy(&c->backends_down);
        cluster_idl_txn_destroy(c->node_txn);
        cluster_idl_txn_destroy(c->seed_txn);
        cluster_idl_destroy(c->store);
        free(c->node_name);
        free(c->error);
        free(c);
    }
}

static void
set_error(struct cluster *c, char *error)
{
    if (error) {
        VLOG_ERR("the store's configuration is not in force here: %s",
                 error);
    }
    free(c->error);
    c->error = error;
}

/* Stages the service that the Service row 'name' holds as 'config' in
 * place of the one of that name in force (if any).  Returns an error,
 * staging nothing, if 'config' is not a valid service of that name. */
static char *
stage_row(struct cluster *c, struct txn *txn, const char *name,
          const char *config)
{
    struct dsr_service *old = dsr_config_find_service(c->cfg, name);
    json_error_t jerror;
    json_t *json = json_loads(config, 0, &jerror);

    if (!json) {
        return xasprintf("Service[\"%s\"].config: %s", name, jerror.text);
    }
    char *error = NULL;
    if (!old || !dsr_service_json_same(c->cfg, json, old)) {
        char *path = xasprintf("Service[\"%s\"].config", name);
        struct dsr_service *svc;
        error = dsr_service_from_json(c->cfg, json, path, true, old, &svc);
        if (!error && strcmp(svc->name, name)) {
            error = xasprintf("%s: names service \"%s\"", path, svc->name);
            dsr_service_destroy(svc);
        } else if (!error) {
            txn_replace(txn, old, svc, path);
        }
        free(path);
    }
    json_decref(json);
    return error;
}

/* The rows of one pass: the last state of each name. */
static void
collect_row(void *rows_, const char *name, const char *config)
{
    struct shash *rows = rows_;

    if (config) {
        shash_replace(rows, name, CONST_CAST(char *, config));
    } else if (!shash_find(rows, name)) {
        shash_add(rows, name, NULL);
    }
}

/* Stages the difference between the store's services and those in force:
 * all of them ('full', on a new connection) or those that changed since
 * the last pass.  A name deleted and inserted again in one pass is one
 * replacement. */
static char *
stage(struct cluster *c, struct txn *txn, bool full)
{
    struct shash rows = SHASH_INITIALIZER(&rows);
    char *error = NULL;

    cluster_idl_services(c->store, !full, collect_row, &rows);
    struct shash_node *node;
    SHASH_FOR_EACH (node, &rows) {
        struct dsr_service *old = dsr_config_find_service(c->cfg,
                                                          node->name);
        if (node->data) {
            error = stage_row(c, txn, node->name, node->data);
            if (error) {
                break;
            }
        } else if (old) {
            txn_replace(txn, old, NULL, NULL);
        }
    }
    if (full && !error) {
        struct dsr_service *svc;
        HMAP_FOR_EACH (svc, name_node, &c->cfg->services) {
            if (!shash_find(&rows, svc->name)) {
                txn_replace(txn, svc, NULL, NULL);
            }
        }
    }
    shash_destroy(&rows);
    return error;
}

/* Waits for 'txn' (may be NULL: nothing to wait for but the versions
 * before) to reach this node's bridges, as store version 'cfg'. */
static void
push_applying(struct cluster *c, struct txn *txn, uint64_t cfg)
{
    struct cluster_applying *a = xmalloc(sizeof *a);

    a->txn = txn;
    a->cfg = cfg;
    ovs_list_push_back(&c->applying, &a->node);
}

/* Puts the store's configuration in force here, as of its version 'store_cfg'. */
static void
follow(struct cluster *c, uint64_t store_cfg)
{
    struct txn *txn = txn_begin(c->cfg, c->local, c->lb);
    bool full = !c->synced;
    char *error = stage(c, txn, full);

    txn_set_audit(txn, "store", NULL, full ? "follow (all)" : "follow");
    c->synced = true;
    c->store_cfg = store_cfg;
    if (!error && txn_n_changes(txn)) {
        error = txn_check(txn, NULL);
    }
    if (error || !txn_n_changes(txn)) {
        set_error(c, error);
        txn_destroy(txn);
        if (error) {
            /* The whole store again at its next change, which may be the
             * fix: this pass's changes are applied with it. */
            c->synced = false;
        } else {
            /* In force here once the versions before it are. */
            push_applying(c, NULL, store_cfg);
        }
        return;
    }
    txn_set_version(txn, store_cfg);
    error = txn_commit(txn);
    if (error) {
        set_error(c, error);
        txn_destroy(txn);
        c->synced = false;      /* Try everything again next time. */
        return;
    }
    set_error(c, NULL);
    COVERAGE_INC(cluster_apply);
    VLOG_INFO("store version %"PRIu64": %"PRIuSIZE" services change",
              store_cfg, txn_n_changes(txn));

    push_applying(c, txn, store_cfg);
}

static enum txn_state
applying_state(const struct cluster_applying *a, const char **failure)
{
    *failure = NULL;
    return a->txn ? txn_poll(a->txn, failure) : TXN_DONE;
}

/* Follows this node's bridges: a version leaves 'applying' once every
 * bridge has it (or refused it). */
static void
run_applying(struct cluster *c)
{
    struct cluster_applying *a;

    LIST_FOR_EACH_SAFE (a, node, &c->applying) {
        const char *failure;
        enum txn_state state = applying_state(a, &failure);
        if (state == TXN_PENDING || state == TXN_DISCONNECTED) {
            break;
        }
        if (state == TXN_FAILED) {
            set_error(c, xasprintf("store version %"PRIu64": OVS refused "
                                   "it: %s", a->cfg, failure));
        }
        c->bridged_cfg = a->cfg;
        ovs_list_remove(&a->node);
        txn_destroy(a->txn);
        free(a);
    }
}

/* The backends this node's health checks take out of their slots. */
static void
refresh_health_view(struct cluster *c)
{
    uint64_t health_seqno = lb_health_seqno(c->lb);

    if (health_seqno != c->health_seqno) {
        c->health_seqno = health_seqno;
        sset_clear(&c->backends_down);
        lb_get_backends_down(c->lb, &c->backends_down);
    }
}

/* Says in this node's Node row which version it has applied, how, and
 * which backends it sees down: at once, or CLUSTER_REPORT_MS after the
 * last time. */
static void
report(struct cluster *c)
{
    const char *status = c->error ? c->error : "ok";
    char *error;

    refresh_health_view(c);
    if (c->node_txn) {
        enum cluster_idl_status st = cluster_idl_txn_poll(c->node_txn, &error);
        if (st == CLUSTER_IDL_PENDING) {
            return;
        }
        if (error) {
            VLOG_WARN_RL(&rl, "reporting to the store: %s", error);
            free(error);
        }
        cluster_idl_txn_destroy(c->node_txn);
        c->node_txn = NULL;
    }
    if (cluster_idl_node_says(c->store, c->node_name, c->bridged_cfg,
                              status, &c->backends_down)) {
        c->report_ms = LLONG_MAX;
        return;
    }
    long long int now = time_msec();
    c->report_ms = (c->reported_ms > now - CLUSTER_REPORT_MS
                    ? c->reported_ms + CLUSTER_REPORT_MS : now);
    if (c->report_ms > now) {
        return;                 /* cluster_wait() wakes us then. */
    }
    c->reported_ms = now;
    c->report_ms = LLONG_MAX;

    char *comment = xasprintf("dsrd %s: applied", c->node_name);
    c->node_txn = cluster_idl_txn_begin(c->store, comment);
    free(comment);
    cluster_idl_txn_set_node(c->node_txn, c->node_name, c->bridged_cfg,
                             status, &c->backends_down);
    cluster_idl_txn_commit(c->node_txn);
}

void
cluster_run(struct cluster *c)
{
    cluster_idl_run(c->store);

    bool connected = cluster_idl_is_connected(c->store);
    if (!connected) {
        /* The next contents are compared whole: a new connection may
         * start over from a full copy. */
        c->synced = false;
        c->report_ms = LLONG_MAX;   /* Reported again once connected. */
    }
    /* Disconnected, the replica may be old: the configuration in force
     * stays as it is until the store is back. */
    unsigned int seqno = cluster_idl_seqno(c->store);
    if (connected && cluster_idl_has_contents(c->store)
        && (seqno != c->idl_seqno || (!c->synced && !c->error))) {
        uint64_t store_cfg;
        uint32_t next_service_id;
        c->idl_seqno = seqno;
        if (cluster_idl_get_global(c->store, &store_cfg, &next_service_id)) {
            follow(c, store_cfg);
            c->n_follows++;
        } else {
            cluster_seed(c);
        }
        cluster_idl_track_clear(c->store);
    } else if (c->seed_txn) {
        cluster_seed(c);
    }
    run_applying(c);
    if (connected && cluster_idl_has_contents(c->store)) {
        report(c);
    }
}

void
cluster_wait(struct cluster *c)
{
    cluster_idl_wait(c->store);
    if (c->node_txn) {
        cluster_idl_txn_wait(c->node_txn);
    }
    if (c->write_txn) {
        cluster_idl_txn_wait(c->write_txn);
    }
    if (c->seed_txn) {
        cluster_idl_txn_wait(c->seed_txn);
    }
    if (c->write_unsure) {
        poll_timer_wait_until(c->write_unsure_since + CLUSTER_UNSURE_MS);
    }
    if (c->report_ms != LLONG_MAX) {
        poll_timer_wait_until(c->report_ms);
    }
}

bool
cluster_is_current(const struct cluster *c)
{
    return (cluster_idl_is_connected(c->store) && c->synced && !c->error
            && cluster_idl_has_global(c->store));
}

/* Whether the store's version 'cfg' is in force here: APPLIED once every
 * bridge has it, ACCEPTED while a disconnected bridge waits for it, else
 * PENDING. */
enum cluster_write_state
cluster_applied_here(const struct cluster *c, uint64_t cfg)
{
    if (c->bridged_cfg >= cfg) {
        return CLUSTER_WRITE_APPLIED;
    }
    struct cluster_applying *a;
    LIST_FOR_EACH (a, node, &c->applying) {
        if (a->cfg >= cfg) {
            const char *failure;
            enum txn_state state = applying_state(a, &failure);
            return (state == TXN_PENDING ? CLUSTER_WRITE_PENDING
                    : state == TXN_DISCONNECTED ? CLUSTER_WRITE_ACCEPTED
                    : CLUSTER_WRITE_APPLIED);
        }
    }
    return CLUSTER_WRITE_PENDING;
}

struct nodes_applied {
    uint64_t cfg;
    struct ds *names;
    bool all;
};

static void
node_applied(void *na_, const struct cluster_idl_node *node)
{
    struct nodes_applied *na = na_;

    if (node->applied_cfg >= na->cfg) {
        ds_put_format(na->names, "%s%s", na->names->length ? "," : "",
                      node->name);
    } else {
        na->all = false;
    }
}

bool
cluster_nodes_applied(const struct cluster *c, uint64_t cfg,
                      struct ds *names)
{
    struct nodes_applied na = { .cfg = cfg, .names = names, .all = true };

    cluster_idl_nodes(c->store, node_applied, &na);
    return na.all;
}

/* The nodes and, for each backend some node sees down, which ones. */
struct nodes_json {
    json_t *nodes;
    struct shash down_on;       /* "SVC/IP" to a JSON array of nodes. */
};

static void
node_to_json(void *nj_, const struct cluster_idl_node *node)
{
    struct nodes_json *nj = nj_;
    json_t *down = json_array();

    for (size_t i = 0; i < node->n_backends_down; i++) {
        const char *backend = node->backends_down[i];
        json_t *on = shash_find_data(&nj->down_on, backend);
        if (!on) {
            on = json_array();
            shash_add(&nj->down_on, backend, on);
        }
        json_array_append_new(on, json_string(node->name));
        json_array_append_new(down, json_string(backend));
    }
    json_array_append_new(nj->nodes, json_pack(
        "{s:s, s:I, s:s, s:o}", "name", node->name,
        "applied_version", (json_int_t) node->applied_cfg,
        "status", node->status, "backends_down", down));
}

/* The backends that some nodes see down and others up: each node's health
 * is its own, so an operator wants to see where they disagree. */
static json_t *
health_disagreements(struct nodes_json *nj)
{
    size_t n_nodes = json_array_size(nj->nodes);
    json_t *disagree = json_array();
    const struct shash_node **sorted = shash_sort(&nj->down_on);

    for (size_t i = 0; i < shash_count(&nj->down_on); i++) {
        json_t *on = sorted[i]->data;
        if (json_array_size(on) < n_nodes) {
            json_array_append_new(disagree, json_pack(
                "{s:s, s:O}", "backend", sorted[i]->name, "down_on", on));
        }
    }
    free(sorted);

    struct shash_node *node;
    SHASH_FOR_EACH (node, &nj->down_on) {
        json_decref(node->data);
    }
    shash_destroy(&nj->down_on);
    return disagree;
}

json_t *
cluster_to_json(const struct cluster *c)
{
    struct nodes_json nj = { .nodes = json_array() };

    shash_init(&nj.down_on);
    cluster_idl_nodes(c->store, node_to_json, &nj);
    json_t *disagree = health_disagreements(&nj);
    return json_pack("{s:s, s:b, s:b, s:I, s:I, s:s?, s:o, s:o}",
                     "node", c->node_name,
                     "connected", cluster_idl_is_connected(c->store),
                     "current", cluster_is_current(c),
                     "store_version", (json_int_t) c->store_cfg,
                     "applied_version", (json_int_t) c->bridged_cfg,
                     "error", c->error, "nodes", nj.nodes,
                     "health_disagreements", disagree);
}
