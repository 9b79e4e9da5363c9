/* The REST API: routing, validation, transactions.  See api.h. */
#include <config.h>
#include "controller/api.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/api-request.h"
#include "controller/config.h"
#include "controller/http.h"
#include "controller/json-merge.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/stats.h"
#include "controller/status.h"
#include "controller/utf8.h"
#include "controller/store.h"
#include "openvswitch/dynamic-string.h"
#include "hmapx.h"
#include "sset.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(api);

/* How long a write waits for OVS before answering 202 Accepted. */
#define API_ACK_TIMEOUT_MS 2000
#define API_MAX_BRIDGES 64

/* One service replaced, created (old NULL) or deleted (new NULL). */
struct api_change {
    struct dsr_service *old;    /* Out of the config; owned here. */
    struct dsr_service *new;    /* In the config. */
};

/* An applied write waiting for OVS's verdict. */
struct api_txn {
    struct http_request *req;
    struct api_change *changes;
    size_t n_changes;
    uint64_t prev_version;      /* Config version before the write. */
    struct lb_change acks[API_MAX_BRIDGES];
    size_t n_acks;
    long long int deadline;
    unsigned int status;        /* Success response. */
    json_t *body;
    struct ds text;             /* Success response as text, if 'body' is
                                 * NULL and 'text_body'. */
    bool text_body;
    char *etag;
    char *location;
};

/* A write waiting for its turn, or a read waiting for OVS's counters. */
struct api_queued {
    struct ovs_list node;
    struct http_request *req;
    unsigned long long stats_token;
    long long int deadline;
    bool prometheus;
};

struct api {
    struct dsr_config *cfg;
    struct lb *lb;
    struct store *store;
    struct http_server *http;
    struct ovs_list queue;      /* struct api_queued: writes. */
    struct ovs_list stats_waiters;  /* struct api_queued: stats reads. */
    struct api_txn *pending;
    const struct datapath_monitor *datapaths;   /* May be null. */
};

static void handle_request(void *api, struct http_request *);

struct api *
api_create(struct dsr_config *cfg, struct lb *lb, struct store *store,
           const struct http_server_options *opts, char **errorp)
{
    struct api *api = xzalloc(sizeof *api);

    api->cfg = cfg;
    api->lb = lb;
    api->store = store;
    ovs_list_init(&api->queue);
    ovs_list_init(&api->stats_waiters);
    api->http = http_server_create(opts, handle_request, api, errorp);
    if (!api->http) {
        free(api);
        return NULL;
    }
    return api;
}

/* Lets /v1/status report each bridge's datapath from 'dpm'. */
void
api_set_datapaths(struct api *api, const struct datapath_monitor *dpm)
{
    api->datapaths = dpm;
}

/* Error responses. */

static void
respond_not_found(struct http_request *req, const char *what)
{
    char *reason = xasprintf("no %s", what);
    http_respond_error(req, 404, "not-found", NULL, reason);
    free(reason);
}

/* Answers with an error "PATH: REASON" from config.c or the schema
 * validator, the path going into its own field. */
static void
respond_path_error(struct http_request *req, unsigned int status,
                   const char *kind, const char *error)
{
    const char *sep = error[0] == '$' ? strstr(error, ": ") : NULL;

    if (sep) {
        char *path = xmemdup0(error, sep - error);
        http_respond_error(req, status, kind, path, sep + 2);
        free(path);
    } else {
        http_respond_error(req, status, kind, NULL, error);
    }
}

static bool
nullable_string_equals(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* Checks If-Match against 'version'; answers 412 and returns false on a
 * mismatch. */
static bool
check_if_match(struct http_request *req, uint64_t version)
{
    const char *if_match = http_request_header(req, "If-Match");
    bool ok = api_if_match(if_match, version);

    if (!ok) {
        char *reason = xasprintf("If-Match %s does not match the current "
                                 "version %"PRIu64, if_match, version);
        http_respond_error(req, 412, "precondition-failed", NULL, reason);
        free(reason);
    }
    return ok;
}

/* Parses the request body as JSON; answers 400/415 and returns NULL if it
 * is not (see api_body_parse()). */
static json_t *
parse_body(struct http_request *req)
{
    struct api_request_error e;
    size_t len;
    const char *body = http_request_body(req, &len);
    json_t *json = api_body_parse(http_request_header(req, "Content-Type"),
                                  body, len, &e);

    if (!json) {
        http_respond_error(req, e.status, e.error, NULL, e.reason);
        free(e.reason);
    }
    return json;
}

/* Transactions. */

/* Journals 'changes' (see store.h). */
static char *
save_changes(struct api *api, const struct api_change *changes, size_t n)
{
    struct store_change *sc = xmalloc(n * sizeof *sc);

    for (size_t i = 0; i < n; i++) {
        sc[i].put = changes[i].new;
        sc[i].deleted = changes[i].new ? NULL : changes[i].old->name;
    }
    char *error = store_commit(api->store, api->cfg, sc, n);
    free(sc);
    return error;
}

static void
apply_changes(struct api *api, struct api_change *changes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_remove_service(api->cfg, changes[i].old);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (changes[i].new) {
            dsr_config_add_service(api->cfg, changes[i].new);
            dsr_config_stamp_service(api->cfg, changes[i].new);
        }
    }
    /* Additions before removals, so that a backend that moves from one
     * service to another keeps its resolved MAC. */
    for (size_t i = 0; i < n; i++) {
        if (changes[i].new && changes[i].old) {
            lb_replace_service(api->lb, changes[i].old, changes[i].new);
        } else if (changes[i].new) {
            lb_add_service(api->lb, changes[i].new);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!changes[i].new) {
            lb_remove_service(api->lb, changes[i].old);
        }
    }
}

/* Swaps old and new in every change, so that apply_changes() undoes. */
static void
invert_changes(struct api_change *changes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct dsr_service *tmp = changes[i].old;
        changes[i].old = changes[i].new;
        changes[i].new = tmp;
    }
}

static void
free_olds(struct api_change *changes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dsr_service_destroy(changes[i].old);
    }
    free(changes);
}

static void
txn_destroy(struct api_txn *txn)
{
    json_decref(txn->body);
    ds_destroy(&txn->text);
    free(txn->etag);
    free(txn->location);
    free(txn);
}

/* What a successful write answers with. */
enum api_result {
    RESULT_NONE,                /* No body (204). */
    RESULT_SERVICE,             /* The service 'name'. */
    RESULT_BACKEND,             /* Backend 'ip' of service 'name'. */
    RESULT_CONFIG,              /* The whole configuration. */
};

static json_t *
build_result(const struct api *api, struct api_txn *txn,
             enum api_result result, const char *name, const char *ip,
             uint64_t *version)
{
    const struct dsr_service *svc;
    struct in_addr addr;

    switch (result) {
    case RESULT_NONE:
        return NULL;
    case RESULT_SERVICE:
        svc = dsr_config_find_service(api->cfg, name);
        *version = svc->version;
        return dsr_service_to_json(svc);
    case RESULT_BACKEND:
        svc = dsr_config_find_service(api->cfg, name);
        if (inet_pton(AF_INET, ip, &addr) == 1) {
            const struct dsr_backend *be = dsr_service_find_backend(
                svc, addr.s_addr);
            if (be) {
                *version = be->version;
                return dsr_backend_to_json(svc, be);
            }
        }
        return NULL;
    case RESULT_CONFIG:
        *version = api->cfg->version;
        dsr_config_put_json(&txn->text, api->cfg);
        txn->text_body = true;
        return NULL;
    }
    return NULL;
}

/* Applies 'changes' (taking ownership) as one write: config, state file,
 * then OVS.  The response ('status' and 'result') goes out once OVS has
 * it. */
static void
commit(struct api *api, struct http_request *req,
       struct api_change *changes, size_t n, unsigned int status,
       enum api_result result, const char *name, const char *ip,
       const char *location)
{
    struct api_txn *txn = xzalloc(sizeof *txn);
    uint64_t version = 0;

    ds_init(&txn->text);
    txn->req = req;
    txn->changes = changes;
    txn->n_changes = n;
    txn->prev_version = api->cfg->version;
    api->cfg->version++;
    apply_changes(api, changes, n);

    char *error = save_changes(api, changes, n);
    if (error) {
        VLOG_ERR("change not saved, so not applied: %s", error);
        invert_changes(changes, n);
        apply_changes(api, changes, n);
        api->cfg->version = txn->prev_version;
        http_respond_error(req, 500, "internal", NULL, error);
        free(error);
        free_olds(changes, n);
        free(txn);
        return;
    }

    txn->status = status;
    txn->body = build_result(api, txn, result, name, ip, &version);
    txn->etag = version ? api_etag(version) : NULL;
    txn->location = location ? xstrdup(location) : NULL;
    txn->n_acks = lb_get_changes(api->lb, txn->acks, API_MAX_BRIDGES);
    txn->deadline = time_msec() + API_ACK_TIMEOUT_MS;
    api->pending = txn;
}

/* Answers the pending write once every bridge has its verdict. */
static void
run_pending(struct api *api)
{
    struct api_txn *txn = api->pending;
    const char *failure = NULL;
    bool done = true;
    bool unreachable = false;

    for (size_t i = 0; i < txn->n_acks; i++) {
        const char *error;
        enum lb_change_state state = lb_get_change_state(api->lb,
                                                         &txn->acks[i],
                                                         &error);
        if (state == LB_CHANGE_FAILED) {
            failure = error ? error : "OpenFlow error";
        } else if (state == LB_CHANGE_PENDING) {
            bool connected, synced;
            done = false;
            lb_bridge_status(api->lb, txn->acks[i].bridge, &connected,
                             &synced);
            unreachable |= !connected;
        }
    }

    if (failure) {
        /* OVS refused: the state must not claim what OVS does not have. */
        VLOG_WARN("OVS rejected a change, rolling it back: %s", failure);
        /* The rollback is a change of its own, with a new version: a
         * version number never names two different contents. */
        invert_changes(txn->changes, txn->n_changes);
        api->cfg->version++;
        apply_changes(api, txn->changes, txn->n_changes);
        char *error = save_changes(api, txn->changes, txn->n_changes);
        if (error) {
            VLOG_ERR("%s", error);
            free(error);
        }
        http_respond_error(txn->req, 502, "switch-error", NULL, failure);
    } else if (done && txn->text_body) {
        http_respond_ds(txn->req, txn->status, &txn->text, txn->etag,
                        txn->location);
    } else if (done) {
        http_respond_json(txn->req, txn->status, json_incref(txn->body),
                          txn->etag, txn->location);
    } else if ((unreachable || time_msec() >= txn->deadline)
               && txn->text_body) {
        struct ds body = DS_EMPTY_INITIALIZER;
        ds_put_cstr(&body, "{\"status\": \"pending\", \"result\": ");
        ds_put_buffer(&body, txn->text.string, txn->text.length);
        ds_put_cstr(&body, "}\n");
        http_respond_ds(txn->req, 202, &body, txn->etag, txn->location);
    } else if (unreachable || time_msec() >= txn->deadline) {
        /* Saved, and OVS gets it when it is back: say so. */
        json_t *body = json_pack("{s:s, s:O}", "status", "pending",
                                 "result", txn->body ? txn->body
                                                     : json_null());
        http_respond_json(txn->req, 202, body, txn->etag, txn->location);
    } else {
        return;
    }
    free_olds(txn->changes, txn->n_changes);
    txn_destroy(txn);
    api->pending = NULL;
}

/* Resources. */

/* Rewrites "$.backends[INDEX]..." in 'error' as "$...", so errors about
 * a backend request name fields of the request's body. */
static char *
backend_error_path(char *error, size_t index)
{
    char *prefix = xasprintf("$.backends[%"PRIuSIZE"]", index);
    size_t len = strlen(prefix);

    if (!strncmp(error, prefix, len)) {
        char *rebased = xasprintf("$%s", error + len);
        free(error);
        error = rebased;
    }
    free(prefix);
    return error;
}

/* The one write path for services and backends: parses 'json' as the
 * service that replaces 'old' (NULL: a new one), checks it against the
 * others and commits it.  For a backend request, 'backend' is the edited
 * backend's index (errors are then about the request's body) and 'ip' its
 * address; otherwise SIZE_MAX and NULL. */
static void
replace_service(struct api *api, struct http_request *req,
                const json_t *json, struct dsr_service *old,
                unsigned int status, enum api_result result,
                size_t backend, const char *ip, const char *location)
{
    struct dsr_service *svc;
    char *error = dsr_service_from_json(api->cfg, json, "$", false, old,
                                        &svc);
    if (error) {
        error = backend_error_path(error, backend);
        respond_path_error(req, 422, "invalid", error);
        free(error);
        return;
    }
    if (old && strcmp(old->name, svc->name)) {
        http_respond_error(req, 422, "invalid", "$.name",
                           "a service cannot be renamed: create a new one");
        dsr_service_destroy(svc);
        return;
    }
    const char *kind = "limit-reached";
    error = dsr_config_check_limits(api->cfg, svc, old, "$");
    if (!error) {
        kind = "conflict";
        error = dsr_config_check_service(api->cfg, svc, old, "$");
    }
    if (error) {
        error = backend_error_path(error, backend);
        respond_path_error(req, 409, kind, error);
        free(error);
        dsr_service_destroy(svc);
        return;
    }

    struct api_change *change = xmalloc(sizeof *change);
    change->old = old;
    change->new = svc;
    commit(api, req, change, 1, status, result, svc->name, ip, location);
}

/* A service request's body replaces 'old' (NULL: creates). */
static void
put_service(struct api *api, struct http_request *req, const json_t *json,
            struct dsr_service *old, unsigned int status)
{
    const char *name = json_string_value(json_object_get(json, "name"));
    char *location = (status == 201 && name
                      ? xasprintf("/v1/services/%s", name) : NULL);

    replace_service(api, req, json, old, status, RESULT_SERVICE, SIZE_MAX,
                    NULL, location);
    free(location);
}

/* 'service_json' is 'old' with its backend list edited at 'index'. */
static void
put_backends(struct api *api, struct http_request *req,
             struct dsr_service *old, const json_t *service_json,
             size_t index, unsigned int status, const char *ip,
             const char *location)
{
    replace_service(api, req, service_json, old, status,
                    ip ? RESULT_BACKEND : RESULT_NONE, index, ip, location);
}

static void
delete_service(struct api *api, struct http_request *req,
               struct dsr_service *old)
{
    struct api_change *change = xmalloc(sizeof *change);

    change->old = old;
    change->new = NULL;
    commit(api, req, change, 1, 204, RESULT_NONE, NULL, NULL, NULL);
}

static void
handle_services(struct api *api, struct http_request *req, const char *name)
{
    const char *method = http_request_method(req);
    struct dsr_service *svc = name ? dsr_config_find_service(api->cfg, name)
                                   : NULL;
    json_t *json;

    if (!name && !strcmp(method, "GET")) {
        const struct dsr_service **sorted = dsr_config_sorted_services(
            api->cfg);
        struct ds list = DS_EMPTY_INITIALIZER;
        ds_put_char(&list, '[');
        for (size_t i = 0; sorted[i]; i++) {
            ds_put_cstr(&list, i ? ",\n " : "\n ");
            dsr_service_put_json(&list, sorted[i]);
        }
        ds_put_cstr(&list, "\n]\n");
        free(sorted);
        char *etag = api_etag(api->cfg->version);
        http_respond_ds(req, 200, &list, etag, NULL);
        free(etag);
    } else if (!name && !strcmp(method, "POST")) {
        if ((json = parse_body(req))) {
            put_service(api, req, json, NULL, 201);
            json_decref(json);
        }
    } else if (!name) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or POST on /v1/services");
    } else if (!strcmp(method, "PUT") && !svc) {
        if ((json = parse_body(req))) {
            put_service(api, req, json, NULL, 201);
            json_decref(json);
        }
    } else if (!svc) {
        respond_not_found(req, "such service");
    } else if (!strcmp(method, "GET")) {
        char *etag = api_etag(svc->version);
        http_respond_json(req, 200, dsr_service_to_json(svc), etag, NULL);
        free(etag);
    } else if (!check_if_match(req, svc->version)) {
        /* Answered. */
    } else if (!strcmp(method, "PUT")) {
        if ((json = parse_body(req))) {
            put_service(api, req, json, svc, 200);
            json_decref(json);
        }
    } else if (!strcmp(method, "PATCH")) {
        if ((json = parse_body(req))) {
            json_t *current = dsr_service_to_json(svc);
            json_t *patched = json_merge_patch(current, json);
            put_service(api, req, patched, svc, 200);
            json_decref(patched);
            json_decref(current);
            json_decref(json);
        }
    } else if (!strcmp(method, "DELETE")) {
        delete_service(api, req, svc);
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET, PUT, PATCH or DELETE on a service");
    }
}

/* Backends are edited by replacing their service with a copy whose
 * backend list changed: one code path, checked like any service. */
static void
handle_backends(struct api *api, struct http_request *req, const char *name,
                const char *ip_text)
{
    const char *method = http_request_method(req);
    struct dsr_service *svc = dsr_config_find_service(api->cfg, name);
    const struct dsr_backend *be = NULL;
    ovs_be32 ip = 0;
    json_t *json;

    if (!svc) {
        respond_not_found(req, "such service");
        return;
    }
    if (ip_text) {
        struct in_addr addr;
        if (inet_pton(AF_INET, ip_text, &addr) != 1
            || !(be = dsr_service_find_backend(svc, addr.s_addr))) {
            respond_not_found(req, "such backend in this service");
            return;
        }
        ip = addr.s_addr;
    }

    json_t *current = dsr_service_to_json(svc);
    json_t *backends = json_object_get(current, "backends");
    size_t index = 0;
    for (size_t i = 0; be && i < svc->n_backends; i++) {
        if (svc->backends[i].ip == ip) {
            index = i;
        }
    }

    if (!ip_text && !strcmp(method, "GET")) {
        char *etag = api_etag(svc->version);
        http_respond_json(req, 200, json_incref(backends), etag, NULL);
        free(etag);
    } else if (!ip_text && !strcmp(method, "POST")) {
        if ((json = parse_body(req))) {
            json_object_del(json, "slots");     /* Taken by rebalancing. */
            const char *new_ip = json_string_value(json_object_get(json,
                                                                   "ip"));
            struct in_addr addr;
            if (new_ip && inet_pton(AF_INET, new_ip, &addr) == 1
                && dsr_service_find_backend(svc, addr.s_addr)) {
                http_respond_error(req, 409, "conflict", "$.ip",
                                   "the service already has this backend");
            } else {
                json_array_append(backends, json);
                char *location = xasprintf("/v1/services/%s/backends/%s",
                                           name, new_ip ? new_ip : "");
                put_backends(api, req, svc, current,
                             json_array_size(backends) - 1, 201, new_ip,
                             location);
                free(location);
            }
            json_decref(json);
        }
    } else if (!ip_text) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or POST on backends");
    } else if (!strcmp(method, "GET")) {
        char *etag = api_etag(be->version);
        http_respond_json(req, 200, dsr_backend_to_json(svc, be), etag,
                          NULL);
        free(etag);
    } else if (!check_if_match(req, be->version)) {
        /* Answered. */
    } else if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        if ((json = parse_body(req))) {
            /* A backend keeps its slots; only the service's table, given
             * whole, can set them (else a stale copy would move them). */
            json_t *current_be = json_array_get(backends, index);
            json_t *slots = json_object_get(current_be, "slots");
            json_object_del(json, "slots");
            json_t *patched = (!strcmp(method, "PATCH")
                               ? json_merge_patch(current_be, json)
                               : json_incref(json));
            if (slots && json_is_object(patched)) {
                json_object_set(patched, "slots", slots);
            }
            const char *new_ip = json_string_value(json_object_get(patched,
                                                                   "ip"));
            if (new_ip && strcmp(new_ip, ip_text)) {
                http_respond_error(req, 422, "invalid", "$.ip",
                                   "the address identifies the backend: "
                                   "add a new backend instead");
            } else {
                if (!new_ip && json_is_object(patched)) {
                    json_object_set_new(patched, "ip", json_string(ip_text));
                }
                json_array_set(backends, index, patched);
                put_backends(api, req, svc, current, index, 200, ip_text,
                             NULL);
            }
            json_decref(patched);
            json_decref(json);
        }
    } else if (!strcmp(method, "DELETE")) {
        json_array_remove(backends, index);
        put_backends(api, req, svc, current, SIZE_MAX, 204, NULL, NULL);
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET, PUT, PATCH or DELETE on a backend");
    }
    json_decref(current);
}

/* Answers with the whole configuration. */
static void
respond_config(struct api *api, struct http_request *req)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    char *etag = api_etag(api->cfg->version);

    dsr_config_put_json(&text, api->cfg);
    http_respond_ds(req, 200, &text, etag, NULL);
    free(etag);
}

/* Checks the services that 'changes' add against the configuration as it
 * will be (the ones they remove or replace gone), as a whole document
 * would be checked, at a cost proportional to the change; leaves the
 * configuration as it was.  'paths' are the new services' places in the
 * document. */
static char *
check_changes(struct dsr_config *cfg, struct api_change *changes, size_t n,
              char **paths)
{
    uint32_t next_service_id = cfg->next_service_id;
    char *error = NULL;
    size_t n_added;

    for (size_t i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_remove_service(cfg, changes[i].old);
        }
    }
    for (n_added = 0; n_added < n && changes[n_added].new; n_added++) {
        struct dsr_service *svc = changes[n_added].new;

        error = dsr_config_check_limits(cfg, svc, NULL, paths[n_added]);
        if (!error) {
            error = dsr_config_check_service(cfg, svc, NULL, paths[n_added]);
        }
        if (error) {
            break;
        }
        dsr_config_add_service(cfg, svc);
    }
    for (size_t i = 0; i < n_added; i++) {
        dsr_config_remove_service(cfg, changes[i].new);
    }
    for (size_t i = 0; i < n; i++) {
        if (changes[i].old) {
            dsr_config_add_service(cfg, changes[i].old);
        }
    }
    cfg->next_service_id = next_service_id;
    return error;
}

/* Compares the new document's bridges and limits with those in force,
 * which cannot change while dsrd runs; answers 422 and returns false if
 * they differ or the document is invalid. */
static bool
check_settings(struct api *api, struct http_request *req, const json_t *json)
{
    struct dsr_config check;

    dsr_config_init(&check);
    char *error = dsr_config_settings_from_json(json, &check);
    if (error) {
        respond_path_error(req, 422, "invalid", error);
        free(error);
        dsr_config_destroy(&check);
        return false;
    }
    bool same_bridges = check.n_bridges == api->cfg->n_bridges;
    for (size_t i = 0; same_bridges && i < check.n_bridges; i++) {
        const struct dsr_bridge_config *a = &check.bridges[i];
        const struct dsr_bridge_config *b = dsr_config_find_bridge(
            api->cfg, a->name);
        same_bridges = (b && !strcmp(a->target, b->target)
                        && eth_addr_equals(a->mac, b->mac)
                        && nullable_string_equals(a->gre_port, b->gre_port)
                        && !strcmp(a->ipip_port, b->ipip_port));
    }
    bool same_limits = dsr_limits_equal(&check.limits, &api->cfg->limits);
    dsr_config_destroy(&check);
    if (!same_bridges || !same_limits) {
        const char *what = same_bridges ? "limits" : "bridges";
        char *path = xasprintf("$.%s", what);
        char *reason = xasprintf("%s cannot change while dsrd runs: edit "
                                 "the state file and restart dsrd", what);
        http_respond_error(req, 422, "invalid", path, reason);
        free(reason);
        free(path);
        return false;
    }
    return true;
}

/* The part of a PUT /v1/config that one service of the new document
 * makes: 'name' and 'seen' collect the services the document keeps; a
 * service that differs from the one it replaces (or is new) goes into
 * 'changes' with its path. */
struct config_put {
    struct api_change *changes;
    char **paths;
    size_t n_changes;
    struct hmapx seen;
    struct sset names;
};

static void
config_put_init(struct config_put *put, const struct dsr_config *cfg,
                size_t n)
{
    put->changes = xcalloc(n + hmap_count(&cfg->services),
                           sizeof *put->changes);
    put->paths = xcalloc(n, sizeof *put->paths);
    put->n_changes = 0;
    hmapx_init(&put->seen);
    sset_init(&put->names);
}

/* Takes service 's', the document's 'i'th; 'valid' if the whole document
 * passed its schema already. */
static char *
config_put_service(struct api *api, struct config_put *put, const json_t *s,
                   size_t i, bool valid)
{
    const char *name = json_string_value(json_object_get(s, "name"));
    struct dsr_service *old = (name ? dsr_config_find_service(api->cfg, name)
                                    : NULL);
    struct dsr_service *svc = NULL;

    if (name && !sset_add(&put->names, name)) {
        return xasprintf("$.services[%"PRIuSIZE"].name: service \"%s\" "
                         "already exists", i, name);
    } else if (old) {
        hmapx_add(&put->seen, old);
        if (dsr_service_json_same(api->cfg, s, old)) {
            return NULL;
        }
    }
    char *path = xasprintf("$.services[%"PRIuSIZE"]", i);
    char *error = (valid
                   ? dsr_service_from_valid_json(api->cfg, s, path, false,
                                                 old, &svc)
                   : dsr_service_from_json(api->cfg, s, path, false, old,
                                           &svc));
    if (svc && old && dsr_service_equal(old, svc)) {
        dsr_service_destroy(svc);
        svc = NULL;
    }
    if (svc) {
        put->changes[put->n_changes].old = old;
        put->changes[put->n_changes].new = svc;
        put->paths[put->n_changes++] = path;
    } else {
        free(path);
    }
    return error;
}

/* Takes service 'old', unchanged, the document's 'i'th. */
static char *
config_put_same(struct config_put *put, const struct dsr_service *old,
                size_t i)
{
    if (!sset_add(&put->names, old->name)) {
        return xasprintf("$.services[%"PRIuSIZE"].name: service \"%s\" "
                         "already exists", i, old->name);
    }
    hmapx_add(&put->seen, CONST_CAST(struct dsr_service *, old));
    return NULL;
}

static void
config_put_destroy(struct config_put *put, size_t n_puts, bool failed)
{
    for (size_t i = 0; i < n_puts; i++) {
        free(put->paths[i]);
        if (failed) {
            dsr_service_destroy(put->changes[i].new);
        }
    }
    free(put->paths);
    free(put->changes);
    hmapx_destroy(&put->seen);
    sset_destroy(&put->names);
}

/* Applies what 'put' collected (or reports 'error'): the services the
 * document lacks are deleted, and the whole is one write. */
static void
config_put_finish(struct api *api, struct http_request *req,
                  struct config_put *put, char *error)
{
    /* New and replaced services first: check_changes() wants them so. */
    size_t n_puts = put->n_changes;
    struct dsr_service *old;
    HMAP_FOR_EACH (old, name_node, &api->cfg->services) {
        if (!error && !hmapx_contains(&put->seen, old)) {
            put->changes[put->n_changes].old = old;
            put->changes[put->n_changes].new = NULL;
            put->n_changes++;
        }
    }
    if (!error) {
        error = check_changes(api->cfg, put->changes, put->n_changes,
                              put->paths);
    }
    if (error) {
        respond_path_error(req, 422, "invalid", error);
        free(error);
        config_put_destroy(put, n_puts, true);
        return;
    }

    VLOG_INFO("PUT /v1/config: %"PRIuSIZE" services change", put->n_changes);
    if (!put->n_changes) {
        respond_config(api, req);
    } else {
        /* commit() takes the changes. */
        commit(api, req, put->changes, put->n_changes, 200, RESULT_CONFIG,
               NULL, NULL, NULL);
        put->changes = NULL;
    }
    config_put_destroy(put, n_puts, false);
}

static bool
check_service_count(struct api *api, struct http_request *req, size_t n)
{
    size_t max = api->cfg->limits.max_services;

    if (n > max) {
        char *reason = xasprintf("%"PRIuSIZE" services, more than "
                                 "limits.max_services (%"PRIuSIZE")", n, max);
        http_respond_error(req, 422, "invalid", "$.services", reason);
        free(reason);
        return false;
    }
    return true;
}

/* PUT /v1/config: the new document is checked as a whole, then applied as
 * one write that touches only the services that differ.  Unchanged
 * services cost a comparison of their JSON with the model: they are not
 * parsed, serialized, journaled or handed to the load balancer. */
static void
put_config(struct api *api, struct http_request *req, const json_t *json)
{
    if (!check_settings(api, req, json)) {
        return;
    }

    const json_t *services = json_object_get(json, "services");
    size_t n = json_array_size(services);
    if (!check_service_count(api, req, n)) {
        return;
    }

    struct config_put put;
    char *error = NULL;

    config_put_init(&put, api->cfg, n);
    for (size_t i = 0; !error && i < n; i++) {
        error = config_put_service(api, &put, json_array_get(services, i), i,
                                   true);
    }
    config_put_finish(api, req, &put, error);
}

/* The lines of a body laid out as GET /v1/config writes it (see
 * dsr_config_put_json()): a head up to and with "services": [, then a
 * service a line, each but the last ending in a comma, then " ]}".
 * Returns the number of service lines, or SIZE_MAX if 'body' is laid out
 * otherwise; '*head_len' gets the head's length, '*starts' and '*lens'
 * (malloc'd, also on failure) the services' text, without indent and
 * comma. */
static const char config_services_line[] = "\n \"services\": [\n";

static size_t
config_lines(const char *body, size_t len, size_t *head_len,
             const char ***starts, size_t **lens)
{
    const char *end = body + len;
    const char *p = memmem(body, len, config_services_line,
                           strlen(config_services_line));
    size_t n = 0, allocated = 0;

    *starts = NULL;
    *lens = NULL;
    if (!p || len < 12 || strncmp(body, "{\"version\": ", 12)) {
        return SIZE_MAX;
    }
    *head_len = p - body;
    p += strlen(config_services_line);
    while (p < end) {
        const char *eol = memchr(p, '\n', end - p);
        size_t line = (eol ? eol : end) - p;

        if (line == 3 && !memcmp(p, " ]}", 3) && (!eol || eol + 1 == end)) {
            return n;
        }
        bool comma = line > 0 && p[line - 1] == ',';
        bool last = eol && eol + 4 <= end && !memcmp(eol + 1, " ]}", 3);
        if (!eol || comma == last) {
            return SIZE_MAX;    /* A comma on all but the last. */
        }
        if (n >= allocated) {
            size_t a = allocated;
            *starts = x2nrealloc(*starts, &a, sizeof **starts);
            *lens = xrealloc(*lens, a * sizeof **lens);
            allocated = a;
        }
        size_t indent = MIN(strspn(p, " "), line - comma);  /* "  " */
        (*starts)[n] = p + indent;
        (*lens)[n] = line - comma - indent;
        n++;
        p = eol + 1;
    }
    return SIZE_MAX;
}

/* PUT /v1/config of a body laid out as GET /v1/config gives it: a service
 * line byte for byte equal to the service in force at its place costs a
 * memcmp(), and only the other lines are parsed, so replacing 10,000
 * services of which 100 changed never builds the whole document (60 MB
 * of text, seconds for jansson).  Returns false, having answered nothing,
 * if the body is not laid out so or a changed line does not parse: the
 * whole document's parse then says what is wrong. */
static bool
put_config_lines(struct api *api, struct http_request *req)
{
    const char *type = http_request_header(req, "Content-Type");
    size_t len, head_len, bad;
    const char *body = http_request_body(req, &len);

    if ((type && !strstr(type, "json")) || !utf8_is_valid(body, len, &bad)) {
        return false;
    }
    const char **starts;
    size_t *lens;
    size_t n = config_lines(body, len, &head_len, &starts, &lens);
    if (n == SIZE_MAX) {
        free(starts);
        free(lens);
        return false;
    }

    /* Each changed line, parsed; NULL where the line is the service in
     * force. */
    const struct dsr_service **sorted = dsr_config_sorted_services(api->cfg);
    json_t **parsed = xcalloc(n + 1, sizeof *parsed);
    struct ds text = DS_EMPTY_INITIALIZER;
    size_t n_sorted = 0;
    bool laid_out = true;

    while (sorted[n_sorted]) {
        n_sorted++;
    }
    for (size_t i = 0; laid_out && i < n; i++) {
        if (i < n_sorted) {
            ds_clear(&text);
            dsr_service_put_json(&text, sorted[i]);
            if (text.length == lens[i]
                && !memcmp(text.string, starts[i], lens[i])) {
                continue;
            }
        }
        parsed[i] = json_loadb(starts[i], lens[i], JSON_REJECT_DUPLICATES,
                               NULL);
        laid_out = parsed[i] != NULL;
    }
    ds_destroy(&text);

    json_t *head = NULL;
    if (laid_out) {
        struct ds h = DS_EMPTY_INITIALIZER;
        ds_put_buffer(&h, body, head_len);
        ds_put_cstr(&h, "\n \"services\": []}");
        head = json_loadb(h.string, h.length, JSON_REJECT_DUPLICATES, NULL);
        ds_destroy(&h);
        laid_out = head != NULL;
    }
    if (laid_out && check_settings(api, req, head)
        && check_service_count(api, req, n)) {
        struct config_put put;
        char *error = NULL;
        size_t n_parsed = 0;

        for (size_t i = 0; i < n; i++) {
            n_parsed += parsed[i] != NULL;
        }
        VLOG_INFO("PUT /v1/config: a service a line, %"PRIuSIZE" of %"
                  PRIuSIZE" parsed", n_parsed, n);

        config_put_init(&put, api->cfg, n);
        for (size_t i = 0; !error && i < n; i++) {
            error = (parsed[i]
                     ? config_put_service(api, &put, parsed[i], i, false)
                     : config_put_same(&put, sorted[i], i));
        }
        config_put_finish(api, req, &put, error);
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

static void
handle_config(struct api *api, struct http_request *req)
{
    const char *method = http_request_method(req);
    json_t *json;

    if (!strcmp(method, "GET")) {
        respond_config(api, req);
    } else if (!strcmp(method, "PUT")) {
        if (check_if_match(req, api->cfg->version)
            && !put_config_lines(api, req)
            && (json = parse_body(req))) {
            put_config(api, req, json);
            json_decref(json);
            dsr_config_trim_heap();
        }
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or PUT on /v1/config");
    }
}

static void
handle_status(struct api *api, struct http_request *req)
{
    http_respond_json(req, 200,
                      status_to_json(api->cfg, api->lb, api->datapaths),
                      NULL, NULL);
}

/* GET /v1/stats and /metrics: answered once OVS has sent fresh counters
 * (or after a second, with the last ones). */
static void
handle_stats(struct api *api, struct http_request *req, bool prometheus)
{
    if (strcmp(http_request_method(req), "GET")) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET");
        return;
    }
    struct api_queued *q = xmalloc(sizeof *q);
    q->req = req;
    q->stats_token = lb_request_stats(api->lb);
    q->deadline = time_msec() + 1000;
    q->prometheus = prometheus;
    ovs_list_push_back(&api->stats_waiters, &q->node);
}

static void
run_stats_waiters(struct api *api)
{
    struct api_queued *q;

    LIST_FOR_EACH_SAFE (q, node, &api->stats_waiters) {
        if (!lb_stats_done(api->lb, q->stats_token)
            && time_msec() < q->deadline) {
            continue;
        }
        if (q->prometheus) {
            char *text = stats_to_prometheus(api->cfg, api->lb);
            http_respond(q->req, 200, "text/plain; version=0.0.4", text,
                         strlen(text), NULL, NULL);
            free(text);
        } else {
            http_respond_json(q->req, 200, stats_to_json(api->cfg, api->lb),
                              NULL, NULL);
        }
        ovs_list_remove(&q->node);
        free(q);
    }
}

static bool
is_write(const char *method)
{
    return strcmp(method, "GET") && strcmp(method, "HEAD");
}

static void
dispatch(struct api *api, struct http_request *req)
{
    struct api_route route;
    char *error = api_route_parse(http_request_url(req), &route);

    if (error) {
        http_respond_error(req, 400, "bad-request", NULL, error);
        free(error);
        return;
    }
    switch (route.resource) {
    case API_METRICS:
    case API_STATS:
        handle_stats(api, req, route.resource == API_METRICS);
        break;
    case API_SERVICES:
        handle_services(api, req, route.service);
        break;
    case API_BACKENDS:
        handle_backends(api, req, route.service, route.backend);
        break;
    case API_CONFIG:
        handle_config(api, req);
        break;
    case API_STATUS:
        handle_status(api, req);
        break;
    case API_NOT_FOUND:
        respond_not_found(req, route.not_found);
        break;
    }
    api_route_destroy(&route);
}

static void
handle_request(void *api_, struct http_request *req)
{
    struct api *api = api_;

    if (is_write(http_request_method(req))
        && (api->pending || !ovs_list_is_empty(&api->queue))) {
        struct api_queued *q = xmalloc(sizeof *q);
        q->req = req;
        ovs_list_push_back(&api->queue, &q->node);
        return;
    }
    dispatch(api, req);
}

void
api_run(struct api *api)
{
    http_server_run(api->http);
    if (api->pending) {
        run_pending(api);
    }
    run_stats_waiters(api);
    while (!api->pending && !ovs_list_is_empty(&api->queue)) {
        struct api_queued *q = CONTAINER_OF(ovs_list_pop_front(&api->queue),
                                            struct api_queued, node);
        dispatch(api, q->req);
        free(q);
    }
}

void
api_wait(struct api *api)
{
    http_server_wait(api->http);
    if (api->pending) {
        poll_timer_wait_until(api->pending->deadline);
    }
    const struct api_queued *q;
    LIST_FOR_EACH (q, node, &api->stats_waiters) {
        poll_timer_wait_until(q->deadline);
    }
}

void
api_destroy(struct api *api)
{
    if (api) {
        http_server_destroy(api->http);
        if (api->pending) {
            free_olds(api->pending->changes, api->pending->n_changes);
            txn_destroy(api->pending);
        }
        free(api);
    }
}
