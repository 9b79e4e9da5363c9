/* The write path.  See txn.h.
 *
 * The rule: the model, the journal and OVS agree, or the change is undone.
 * A commit goes in this order:
 *
 *   1. The configuration's version goes up and the changes enter its
 *      indexes; new parts get the new version (dsr_config_stamp_service()).
 *   2. lb gets the new services: they are its desired state from now on.
 *   3. The store saves them (a journal record, fsynced).  If it cannot,
 *      steps 2 and 1 are undone and the version goes back, as if nothing
 *      had happened.
 *   4. Each bridge's change seqno is read, after step 2, so that an
 *      acknowledgement never covers less than the change.
 *
 * Step 2 comes before the fsync yet OVS never sees a change that was not
 * saved: lb only records desired state, and nothing goes to a switch
 * before the next ofctrl_run() (lb_run(), in the next pass of the main
 * loop), by which time a failed save has been undone.
 *
 * Then txn_poll() follows the bridges.  If OVS refuses the change, it is
 * undone as a change of its own: the old services come back with a new
 * version, are saved and handed to lb again.  A version number never
 * names two different contents, so a client's If-Match never matches a
 * configuration it did not see. */
#include <config.h>
#include "controller/txn.h"

#include <string.h>
#include "controller/config.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "schemas/schemas.h"
#include "coverage.h"
#include "hmapx.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(txn);

COVERAGE_DEFINE(txn_commit);
COVERAGE_DEFINE(txn_rollback);

struct txn {
    struct dsr_config *cfg;
    struct txn_store *store;
    struct lb *lb;

    struct txn_change *changes;
    char **paths;               /* Each change's 'new' in the request, for
                                 * errors; NULL for a deletion. */
    size_t n_changes, allocated;
    bool document;              /* Staged by txn_put_document*(). */

    bool applied;               /* txn_commit() ran: the 'old' services are
                                 * out of the configuration (theirs, after
                                 * an undo) and owned here. */
    struct lb_change *acks;     /* Each bridge's seqno after the change. */
    size_t n_acks;
    enum txn_state state;
    char *error;                /* OVS's, if TXN_FAILED. */
    json_t *audit;              /* See txn_set_audit(). */
    uint64_t version;           /* See txn_set_version(); 0: the next. */
};

struct txn *
txn_begin(struct dsr_config *cfg, struct txn_store *store, struct lb *lb)
{
    struct txn *txn = xzalloc(sizeof *txn);

    txn->cfg = cfg;
    txn->store = store;
    txn->lb = lb;
    txn->state = TXN_PENDING;
    txn->audit = json_object();
    return txn;
}

void
txn_set_audit(struct txn *txn, const char *client, const char *identity,
              const char *request)
{
    json_decref(txn->audit);
    txn->audit = json_pack("{s:s, s:s?, s:s}", "client", client,
                           "identity", identity, "request", request);
}

void
txn_destroy(struct txn *txn)
{
    if (txn) {
        for (size_t i = 0; i < txn->n_changes; i++) {
            struct txn_change *c = &txn->changes[i];
            dsr_service_destroy(txn->applied ? c->old : c->new);
            free(txn->paths[i]);
        }
        free(txn->changes);
        free(txn->paths);
        free(txn->acks);
        free(txn->error);
        json_decref(txn->audit);
        free(txn);
    }
}

/* Stages a change, taking 'path'. */
static void
stage(struct txn *txn, struct dsr_service *old, struct dsr_service *new,
      char *path)
{
    ovs_assert(!txn->applied);
    if (txn->n_changes >= txn->allocated) {
        size_t allocated = txn->allocated;
        txn->changes = x2nrealloc(txn->changes, &allocated,
                                  sizeof *txn->changes);
        txn->paths = xrealloc(txn->paths, allocated * sizeof *txn->paths);
        txn->allocated = allocated;
    }
    txn->changes[txn->n_changes] = (struct txn_change) { old, new };
    txn->paths[txn->n_changes] = path;
    txn->n_changes++;
}

void
txn_replace(struct txn *txn, struct dsr_service *old, struct dsr_service *new,
            const char *path)
{
    stage(txn, old, new, new ? nullable_xstrdup(path) : NULL);
}

size_t
txn_n_changes(const struct txn *txn)
{
    return txn->n_changes;
}

const struct txn_change *
txn_get_changes(const struct txn *txn, size_t *n)
{
    *n = txn->n_changes;
    return txn->changes;
}

void
txn_set_version(struct txn *txn, uint64_t version)
{
    ovs_assert(version);
    txn->version = version;
}

/* Checking. */

static char *
check_service(const struct dsr_config *cfg, const struct dsr_service *svc,
              const struct dsr_service *replacing, const char *path,
              enum txn_check_error *kind)
{
    char *error = dsr_config_check_limits(cfg, svc, replacing, path);

    *kind = TXN_CHECK_LIMIT;
    if (!error) {
        *kind = TXN_CHECK_CONFLICT;
        error = dsr_config_check_service(cfg, svc, replacing, path);
    }
    return error;
}

/* Checks the new services against the configuration as it will be, by
 * taking the services they remove or replace out of its indexes and
 * adding each new one once checked, at a cost proportional to the change;
 * then puts everything back as it was. */
static char *
check_changes(struct txn *txn, enum txn_check_error *kind)
{
    struct dsr_config *cfg = txn->cfg;
    const struct txn_change *changes = txn->changes;
    uint32_t next_service_id = cfg->next_service_id;
    size_t n = txn->n_changes;
    char *error = NULL;
    size_t i;

    for (i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_remove_service(cfg, changes[i].old);
        }
    }
    for (i = 0; i < n; i++) {
        if (changes[i].new) {
            error = check_service(cfg, changes[i].new, NULL, txn->paths[i],
                                  kind);
            if (error) {
                break;
            }
            dsr_config_add_service(cfg, changes[i].new);
        }
    }
    for (size_t j = 0; j < i; j++) {
        if (changes[j].new) {
            dsr_config_remove_service(cfg, changes[j].new);
        }
    }
    for (i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_add_service(cfg, changes[i].old);
        }
    }
    cfg->next_service_id = next_service_id;
    return error;
}

char *
txn_check(struct txn *txn, enum txn_check_error *kind)
{
    enum txn_check_error ignored;
    char *error;

    kind = kind ? kind : &ignored;
    if (txn->n_changes == 1 && !txn->document) {
        /* One service against the others: the indexes can stay as they
         * are, the service it replaces being left out of the checks. */
        const struct txn_change *c = &txn->changes[0];
        error = (c->new
                 ? check_service(txn->cfg, c->new, c->old, txn->paths[0],
                                 kind)
                 : NULL);
    } else {
        error = check_changes(txn, kind);
    }
    if (!error && txn->document) {
        VLOG_INFO("PUT /v1/config: %"PRIuSIZE" services change",
                  txn->n_changes);
    }
    return error;
}

/* Committing. */

/* Brings the configuration and lb from the 'old' to the 'new' of every
 * change. */
static void
apply_changes(struct txn *txn)
{
    const struct txn_change *changes = txn->changes;
    size_t n = txn->n_changes;

    for (size_t i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_remove_service(txn->cfg, changes[i].old);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (changes[i].new) {
            dsr_config_add_service(txn->cfg, changes[i].new);
            dsr_config_stamp_service(txn->cfg, changes[i].new);
        }
    }
    /* Additions before removals, so that a backend that moves from one
     * service to another keeps its resolved MAC. */
    for (size_t i = 0; i < n; i++) {
        if (changes[i].new && changes[i].old) {
            lb_replace_service(txn->lb, changes[i].old, changes[i].new);
        } else if (changes[i].new) {
            lb_add_service(txn->lb, changes[i].new);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!changes[i].new) {
            lb_remove_service(txn->lb, changes[i].old);
        }
    }
}

/* Swaps old and new in every change, so that apply_changes() undoes. */
static void
invert_changes(struct txn *txn)
{
    for (size_t i = 0; i < txn->n_changes; i++) {
        struct txn_change *c = &txn->changes[i];
        struct dsr_service *tmp = c->old;
        c->old = c->new;
        c->new = tmp;
    }
}

static char *
save_changes(struct txn *txn)
{
    return txn->store->commit(txn->store, txn->cfg, txn->changes,
                              txn->n_changes, txn->audit);
}

char *
txn_commit(struct txn *txn)
{
    uint64_t prev_version = txn->cfg->version;

    ovs_assert(!txn->applied);
    txn->applied = true;
    txn->cfg->version = txn->version ? txn->version : prev_version + 1;
    apply_changes(txn);

    char *error = save_changes(txn);
    if (error) {
        VLOG_ERR("change not saved, so not applied: %s", error);
        invert_changes(txn);
        apply_changes(txn);
        txn->cfg->version = prev_version;
        txn->state = TXN_FAILED;
        COVERAGE_INC(txn_rollback);
        return error;
    }
    COVERAGE_INC(txn_commit);

    txn->acks = xcalloc(MAX(txn->cfg->n_bridges, 1), sizeof *txn->acks);
    txn->n_acks = lb_get_changes(txn->lb, txn->acks, txn->cfg->n_bridges);
    return NULL;
}

/* Undoes the committed changes as a change of their own, with a new
 * version: OVS refused them with 'failure'. */
static void
undo_refused(struct txn *txn, const char *failure)
{
    VLOG_WARN("OVS rejected a change, rolling it back: %s", failure);
    json_object_set_new(txn->audit, "rollback", json_string(failure));
    invert_changes(txn);
    txn->cfg->version++;
    apply_changes(txn);
    char *error = save_changes(txn);
    if (error) {
        VLOG_ERR("%s", error);
        free(error);
    }
    COVERAGE_INC(txn_rollback);
}

enum txn_state
txn_poll(struct txn *txn, const char **errorp)
{
    ovs_assert(txn->applied);
    if (txn->state != TXN_DONE && txn->state != TXN_FAILED) {
        const char *failure = NULL;
        bool done = true;
        bool unreachable = false;

        for (size_t i = 0; i < txn->n_acks; i++) {
            const char *error;
            enum lb_change_state state = lb_get_change_state(
                txn->lb, &txn->acks[i], &error);
            if (state == LB_CHANGE_FAILED) {
                failure = error ? error : "OpenFlow error";
            } else if (state == LB_CHANGE_PENDING) {
                bool connected, synced;
                done = false;
                lb_bridge_status(txn->lb, txn->acks[i].bridge, &connected,
                                 &synced);
                unreachable |= !connected;
            }
        }
        if (failure) {
            txn->error = xstrdup(failure);
            undo_refused(txn, failure);
            txn->state = TXN_FAILED;
        } else {
            txn->state = (done ? TXN_DONE
                          : unreachable ? TXN_DISCONNECTED
                          : TXN_PENDING);
        }
    }
    *errorp = txn->error;
    return txn->state;
}

/* Documents. */

/* Checks that document 'json' has the bridges and limits in force, which
 * cannot change while dsrd runs. */
static char *
check_settings(const struct dsr_config *cfg, const json_t *json)
{
    struct dsr_config check;

    dsr_config_init(&check);
    char *error = dsr_config_settings_from_json(json, &check);
    if (error) {
        dsr_config_destroy(&check);
        return error;
    }
    bool same_bridges = check.n_bridges == cfg->n_bridges;
    for (size_t i = 0; same_bridges && i < check.n_bridges; i++) {
        const struct dsr_bridge_config *a = &check.bridges[i];
        const struct dsr_bridge_config *b = dsr_config_find_bridge(cfg,
                                                                   a->name);
        same_bridges = (b && !strcmp(a->target, b->target)
                        && eth_addr_equals(a->mac, b->mac)
                        && a->probe_ip == b->probe_ip
                        && ipv6_addr_equals(&a->probe_ip6, &b->probe_ip6)
                        && nullable_string_is_equal(a->gre_port, b->gre_port)
                        && !strcmp(a->ipip_port, b->ipip_port)
                        && a->ct_zone_limit == b->ct_zone_limit
                        && dsr_ct_timeouts_equal(&a->ct_timeouts,
                                                 &b->ct_timeouts));
    }
    bool same_limits = dsr_limits_equal(&check.limits, &cfg->limits);
    bool same_announce = dsr_announce_equal(&check.announce, &cfg->announce);
    dsr_config_destroy(&check);
    if (!same_bridges || !same_limits || !same_announce) {
        const char *what = (!same_bridges ? "bridges"
                            : !same_limits ? "limits" : "announce");
        return xasprintf("$.%s: %s cannot change while dsrd runs: edit the "
                         "state file and restart dsrd", what, what);
    }
    return NULL;
}

static char *
check_service_count(const struct dsr_config *cfg, size_t n)
{
    size_t max = cfg->limits.max_services;

    return (n > max
            ? xasprintf("$.services: %"PRIuSIZE" services, more than "
                        "limits.max_services (%"PRIuSIZE")", n, max)
            : NULL);
}

/* A new document's services, taken one at a time: 'names' catches a
 * name given twice, 'kept' collects the services in force that the
 * document keeps.  A service that differs from the one it replaces (or
 * is new) is staged in 'txn' with its path. */
struct document_diff {
    struct txn *txn;
    struct hmapx kept;
    struct sset names;
};

static void
diff_init(struct document_diff *diff, struct txn *txn)
{
    diff->txn = txn;
    hmapx_init(&diff->kept);
    sset_init(&diff->names);
    txn->document = true;
}

static char *
duplicate_name(size_t i, const char *name)
{
    return xasprintf("$.services[%"PRIuSIZE"].name: service \"%s\" "
                     "already exists", i, name);
}

/* Takes service 's', the document's 'i'th; 'valid' if the whole document
 * passed its schema already. */
static char *
diff_service(struct document_diff *diff, const json_t *s, size_t i,
             bool valid)
{
    const struct dsr_config *cfg = diff->txn->cfg;
    const char *name = json_string_value(json_object_get(s, "name"));
    struct dsr_service *old = (name ? dsr_config_find_service(cfg, name)
                                    : NULL);
    struct dsr_service *svc = NULL;

    if (name && !sset_add(&diff->names, name)) {
        return duplicate_name(i, name);
    }
    char *path = xasprintf("$.services[%"PRIuSIZE"]", i);
    /* The cheap comparison's answer holds only for valid JSON: a line that
     * changed is checked against the schema first. */
    char *error = valid ? NULL : dsr_schema_validate("service.schema.json",
                                                     s, path);
    if (!error && old) {
        hmapx_add(&diff->kept, old);
        if (dsr_service_json_same(cfg, s, old)) {
            free(path);
            return NULL;
        }
    }
    if (!error) {
        error = dsr_service_from_valid_json(cfg, s, path, false, old, &svc);
    }
    if (svc && old && dsr_service_equal(old, svc)) {
        dsr_service_destroy(svc);
        svc = NULL;
    }
    if (svc) {
        stage(diff->txn, old, svc, path);
    } else {
        free(path);
    }
    return error;
}

/* Takes service 'old', unchanged, the document's 'i'th. */
static char *
diff_same(struct document_diff *diff, const struct dsr_service *old,
          size_t i)
{
    if (!sset_add(&diff->names, old->name)) {
        return duplicate_name(i, old->name);
    }
    hmapx_add(&diff->kept, CONST_CAST(struct dsr_service *, old));
    return NULL;
}

/* Unless there was an 'error', stages the deletion of every service that
 * the document lacks, after the services it puts (so a removed service's
 * VIP or backends are free for a new one in txn_check()).  Returns
 * 'error'. */
static char *
diff_finish(struct document_diff *diff, char *error)
{
    struct txn *txn = diff->txn;
    struct dsr_service *old;

    if (!error) {
        HMAP_FOR_EACH (old, name_node, &txn->cfg->services) {
            if (!hmapx_contains(&diff->kept, old)) {
                stage(txn, old, NULL, NULL);
            }
        }
    }
    hmapx_destroy(&diff->kept);
    sset_destroy(&diff->names);
    return error;
}

/* Unchanged services cost a comparison of their JSON with the model: they
 * are not parsed, serialized, journaled or handed to lb. */
char *
txn_put_document(struct txn *txn, const json_t *json)
{
    char *error = check_settings(txn->cfg, json);
    if (error) {
        return error;
    }

    const json_t *services = json_object_get(json, "services");
    size_t n = json_array_size(services);
    error = check_service_count(txn->cfg, n);
    if (error) {
        return error;
    }

    struct document_diff diff;
    diff_init(&diff, txn);
    for (size_t i = 0; !error && i < n; i++) {
        error = diff_service(&diff, json_array_get(services, i), i, true);
    }
    return diff_finish(&diff, error);
}

/* Documents a service a line. */

/* Parses into 'parsed[i]' each of the 'n' lines that is not byte for byte
 * the service in force at its place in 'sorted' (those stay NULL).
 * Returns false if one does not parse. */
static bool
parse_changed_lines(const struct dsr_service **sorted, const char **starts,
                    const size_t *lens, size_t n, json_t **parsed)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    bool in_force = true;       /* Does 'sorted' reach line 'i'? */
    bool ok = true;

    for (size_t i = 0; ok && i < n; i++) {
        in_force = in_force && sorted[i];
        if (in_force) {
            ds_clear(&text);
            dsr_service_put_json(&text, sorted[i]);
            if (text.length == lens[i]
                && !memcmp(text.string, starts[i], lens[i])) {
                continue;
            }
        }
        parsed[i] = json_loadb(starts[i], lens[i], JSON_REJECT_DUPLICATES,
                               NULL);
        ok = parsed[i] != NULL;
    }
    ds_destroy(&text);
    return ok;
}

/* Stages a document whose head is 'head' and whose 'n' services are
 * 'parsed' (NULL: the same as the service in force at that place in
 * 'sorted'). */
static char *
put_lines(struct txn *txn, const json_t *head,
          const struct dsr_service **sorted, json_t **parsed, size_t n)
{
    char *error = check_settings(txn->cfg, head);
    if (!error) {
        error = check_service_count(txn->cfg, n);
    }
    if (error) {
        return error;
    }

    size_t n_parsed = 0;
    for (size_t i = 0; i < n; i++) {
        n_parsed += parsed[i] != NULL;
    }
    VLOG_INFO("PUT /v1/config: a service a line, %"PRIuSIZE" of %"PRIuSIZE
              " parsed", n_parsed, n);

    struct document_diff diff;
    diff_init(&diff, txn);
    for (size_t i = 0; !error && i < n; i++) {
        error = (parsed[i]
                 ? diff_service(&diff, parsed[i], i, false)
                 : diff_same(&diff, sorted[i], i));
    }
    return diff_finish(&diff, error);
}

/* A service line byte for byte equal to the service in force at its place
 * costs a memcmp(), and only the other lines are parsed, so replacing
 * 10,000 services of which 100 changed never builds the whole document
 * (60 MB of text, seconds for jansson). */
bool
txn_put_document_lines(struct txn *txn, const char *text, size_t len,
                       char **errorp)
{
    const char **starts;
    size_t *lens, head_len;
    size_t n = dsr_config_split_lines(text, len, &head_len, &starts,
                                      &lens);

    *errorp = NULL;
    if (n == SIZE_MAX) {
        free(starts);
        free(lens);
        return false;
    }

    const struct dsr_service **sorted = dsr_config_sorted_services(txn->cfg);
    json_t **parsed = xcalloc(n + 1, sizeof *parsed);
    json_t *head = NULL;
    bool laid_out = (parse_changed_lines(sorted, starts, lens, n, parsed)
                     && (head = dsr_config_parse_head(text, head_len))
                        != NULL);
    if (laid_out) {
        *errorp = put_lines(txn, head, sorted, parsed, n);
    }
    json_decref(head);
    for (size_t i = 0; i < n; i++) {
        json_decref(parsed[i]);
    }
    free(parsed);
    free(sorted);
    free(starts);
    free(lens);
    return laid_out;
}
