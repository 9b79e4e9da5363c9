/* The REST API: routes, request bodies, ETag/If-Match and responses.  The
 * writes themselves are txn.c's; see api.h. */
#include <config.h>
#include "controller/api.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/api-commit.h"
#include "controller/api-request.h"
#include "controller/api-history.h"
#include "controller/api-node.h"
#include "controller/api-respond.h"
#include "controller/api-trace.h"
#include "controller/api-views.h"
#include "controller/cluster.h"
#include "controller/config.h"
#include "controller/http.h"
#include "controller/json-merge.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/txn.h"
#include "controller/utf8.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(api);

/* A write waiting for its turn. */
struct api_queued {
    struct ovs_list node;
    struct http_request *req;
    long long int deadline;     /* For the clustered store to be back. */
};

struct api {
    struct dsr_config *cfg;     /* Read here; written by txn.c only. */
    struct lb *lb;
    struct txn_store *store;
    struct http_server *http;
    struct ovs_list queue;      /* struct api_queued: writes. */
    struct api_commit *pending;
    struct api_views views;     /* Reads. */
    struct trace *trace;        /* Answers /v1/trace; may be null. */
    struct announcer *announcer;    /* BGP mode's; may be null. */
    struct cluster *cluster;    /* The clustered store; may be null. */
};

static void handle_request(void *api, struct http_request *);

struct api *
api_create(struct dsr_config *cfg, struct lb *lb, struct txn_store *store,
           const struct http_server_options *opts, char **errorp)
{
    struct api *api = xzalloc(sizeof *api);

    api->cfg = cfg;
    api->lb = lb;
    api->store = store;
    api_views_init(&api->views, cfg, lb);
    ovs_list_init(&api->queue);
    api->http = http_server_create(opts, handle_request, api, errorp);
    if (!api->http) {
        free(api);
        return NULL;
    }
    return api;
}

/* Lets /v1/status report each bridge's datapath from 'dpm', and
 * /v1/trace answer through 'trace'. */
void
api_set_sources(struct api *api, const struct datapath_monitor *dpm,
                struct trace *trace, struct announcer *announcer)
{
    api->views.datapaths = dpm;
    api->views.announcer = announcer;
    api->trace = trace;
    api->announcer = announcer;
}

/* Makes the clustered store 'cluster' the one writes go to. */
void
api_set_cluster(struct api *api, struct cluster *cluster)
{
    api->cluster = cluster;
}

/* Writes. */

/* How long a queued write waits, with a clustered store, for this node to
 * be in sync with the store before it is answered 503. */
#define API_STORE_WAIT_MS 10000

static void
commit(struct api *api, struct http_request *req, struct txn *txn,
       const char *name, const struct api_reply *reply)
{
    ovs_assert(!api->pending);
    api->pending = api_commit(api->cluster, api->cfg, req, txn, name, reply);
}

/* A transaction for a write 'req' asks for, with its audit entry. */
static struct txn *
begin(struct api *api, const struct http_request *req)
{
    struct txn *txn = txn_begin(api->cfg, api->store, api->lb);
    char *request = xasprintf("%s %s", http_request_method(req),
                              http_request_url(req));

    txn_set_audit(txn, http_request_client(req), http_request_identity(req),
                  request);
    free(request);
    return txn;
}

/* Resources. */

/* The one write path for services and backends: parses 'json' as the
 * service that replaces 'old' (NULL: a new one), checks it against the
 * others and commits it.  For a backend request, 'backend' is the edited
 * backend's index (errors are then about the request's body); otherwise
 * SIZE_MAX. */
static void
replace_service(struct api *api, struct http_request *req,
                const json_t *json, struct dsr_service *old, size_t backend,
                const struct api_reply *reply)
{
    struct dsr_service *svc;
    char *error = dsr_service_from_json(api->cfg, json, "$", false, old,
                                        &svc);
    if (error) {
        error = api_backend_error_path(error, backend);
        api_respond_path_error(req, 422, "invalid", error);
        free(error);
        return;
    }
    if (old && strcmp(old->name, svc->name)) {
        http_respond_error(req, 422, "invalid", "$.name",
                           "a service cannot be renamed: create a new one");
        dsr_service_destroy(svc);
        return;
    }

    struct txn *txn = begin(api, req);
    enum txn_check_error kind;

    txn_replace(txn, old, svc, "$");
    error = txn_check(txn, &kind);
    if (error) {
        error = api_backend_error_path(error, backend);
        api_respond_path_error(req, 409, (kind == TXN_CHECK_LIMIT
                                          ? "limit-reached" : "conflict"),
                               error);
        free(error);
        txn_destroy(txn);
        return;
    }
    commit(api, req, txn, svc->name, reply);
}

/* A service request's body replaces 'old' (NULL: creates); with 'patch',
 * it is a merge patch of 'old'. */
static void
put_service(struct api *api, struct http_request *req,
            struct dsr_service *old, unsigned int status, bool patch)
{
    json_t *body = api_parse_body(req);

    if (!body) {
        return;
    }
    json_t *current = patch ? dsr_service_to_json(old) : NULL;
    json_t *json = patch ? json_merge_patch(current, body) : json_incref(body);
    const char *name = json_string_value(json_object_get(json, "name"));
    char *location = (status == 201 && name
                      ? xasprintf("/v1/services/%s", name) : NULL);
    struct api_reply reply = { status, RESULT_SERVICE, NULL, location };

    replace_service(api, req, json, old, SIZE_MAX, &reply);
    free(location);
    json_decref(json);
    json_decref(current);
    json_decref(body);
}

static void
delete_service(struct api *api, struct http_request *req,
               struct dsr_service *old)
{
    struct txn *txn = begin(api, req);
    struct api_reply reply = { 204, RESULT_NONE, NULL, NULL };

    /* A deletion conflicts with nothing: there is nothing to check. */
    txn_replace(txn, old, NULL, NULL);
    commit(api, req, txn, NULL, &reply);
}

/* Answers with every service, a line each. */
static void
respond_services(struct api *api, struct http_request *req)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(api->cfg);
    struct ds list = DS_EMPTY_INITIALIZER;
    char *etag = api_etag(api->cfg->version);

    ds_put_char(&list, '[');
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_cstr(&list, i ? ",\n " : "\n ");
        dsr_service_put_json(&list, sorted[i]);
    }
    ds_put_cstr(&list, "\n]\n");
    free(sorted);
    http_respond_ds(req, 200, &list, etag, NULL);
    free(etag);
}

static void
handle_services(struct api *api, struct http_request *req, const char *name)
{
    const char *method = http_request_method(req);
    struct dsr_service *svc = name ? dsr_config_find_service(api->cfg, name)
                                   : NULL;

    if (!name && !strcmp(method, "GET")) {
        respond_services(api, req);
    } else if (!name && !strcmp(method, "POST")) {
        put_service(api, req, NULL, 201, false);
    } else if (!name) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or POST on /v1/services");
    } else if (!strcmp(method, "PUT") && !svc) {
        put_service(api, req, NULL, 201, false);
    } else if (!svc) {
        api_respond_not_found(req, "such service");
    } else if (!strcmp(method, "GET")) {
        char *etag = api_etag(svc->version);
        http_respond_json(req, 200, dsr_service_to_json(svc), etag, NULL);
        free(etag);
    } else if (!api_check_if_match(req, svc->version)) {
        /* Answered. */
    } else if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        put_service(api, req, svc, 200, !strcmp(method, "PATCH"));
    } else if (!strcmp(method, "DELETE")) {
        delete_service(api, req, svc);
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET, PUT, PATCH or DELETE on a service");
    }
}

/* Backends are edited by replacing their service with a copy whose
 * backend list changed: one code path, checked like any service. */

/* POST /v1/services/NAME/backends: 'current' is 'svc' as JSON. */
static void
post_backend(struct api *api, struct http_request *req,
             struct dsr_service *svc, json_t *current)
{
    json_t *backends = json_object_get(current, "backends");
    json_t *json = api_parse_body(req);

    if (!json) {
        return;
    }
    json_object_del(json, "slots");     /* Taken by rebalancing. */
    const char *ip = json_string_value(json_object_get(json, "ip"));
    struct in6_addr addr;
    if (ip && dsr_ip_parse(ip, &addr)
        && dsr_service_find_backend(svc, &addr)) {
        http_respond_error(req, 409, "conflict", "$.ip",
                           "the service already has this backend");
    } else {
        json_array_append(backends, json);
        char *location = xasprintf("/v1/services/%s/backends/%s",
                                   svc->name, ip ? ip : "");
        struct api_reply reply = {
            201, ip ? RESULT_BACKEND : RESULT_NONE, ip, location
        };
        replace_service(api, req, current, svc,
                        json_array_size(backends) - 1, &reply);
        free(location);
    }
    json_decref(json);
}

/* PUT or PATCH of backend 'ip', the 'index'th of 'svc'; 'current' is
 * 'svc' as JSON. */
static void
put_backend(struct api *api, struct http_request *req,
            struct dsr_service *svc, json_t *current, size_t index,
            const struct in6_addr *addr)
{
    char ip[INET6_ADDRSTRLEN];
    dsr_ip_to_string(addr, ip);

    json_t *json = api_parse_body(req);

    if (!json) {
        return;
    }
    /* A backend keeps its slots; only the service's table, given whole,
     * can set them (else a stale copy would move them). */
    json_t *backends = json_object_get(current, "backends");
    json_t *current_be = json_array_get(backends, index);
    json_t *slots = json_object_get(current_be, "slots");
    json_object_del(json, "slots");
    json_t *patched = (!strcmp(http_request_method(req), "PATCH")
                       ? json_merge_patch(current_be, json)
                       : json_incref(json));
    if (slots && json_is_object(patched)) {
        json_object_set(patched, "slots", slots);
    }
    const char *new_ip = json_string_value(json_object_get(patched, "ip"));
    struct in6_addr new_addr;
    if (new_ip && (!dsr_ip_parse(new_ip, &new_addr)
                   || !ipv6_addr_equals(&new_addr, addr))) {
        http_respond_error(req, 422, "invalid", "$.ip",
                           "the address identifies the backend: "
                           "add a new backend instead");
    } else {
        if (!new_ip && json_is_object(patched)) {
            json_object_set_new(patched, "ip", json_string(ip));
        }
        json_array_set(backends, index, patched);
        struct api_reply reply = { 200, RESULT_BACKEND, ip, NULL };
        replace_service(api, req, current, svc, index, &reply);
    }
    json_decref(patched);
    json_decref(json);
}

static void
handle_backends(struct api *api, struct http_request *req, const char *name,
                const char *ip_text)
{
    const char *method = http_request_method(req);
    struct dsr_service *svc = dsr_config_find_service(api->cfg, name);
    const struct dsr_backend *be = NULL;

    if (!svc) {
        api_respond_not_found(req, "such service");
        return;
    }
    struct in6_addr addr;
    if (ip_text && (!dsr_ip_parse(ip_text, &addr)
                    || !(be = dsr_service_find_backend(svc, &addr)))) {
        api_respond_not_found(req, "such backend in this service");
        return;
    }

    json_t *current = dsr_service_to_json(svc);
    json_t *backends = json_object_get(current, "backends");
    size_t index = be ? be - svc->backends : 0;

    if (!ip_text && !strcmp(method, "GET")) {
        char *etag = api_etag(svc->version);
        http_respond_json(req, 200, json_incref(backends), etag, NULL);
        free(etag);
    } else if (!ip_text && !strcmp(method, "POST")) {
        post_backend(api, req, svc, current);
    } else if (!ip_text) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or POST on backends");
    } else if (!strcmp(method, "GET")) {
        char *etag = api_etag(be->version);
        http_respond_json(req, 200, dsr_backend_to_json(svc, be), etag,
                          NULL);
        free(etag);
    } else if (!api_check_if_match(req, be->version)) {
        /* Answered. */
    } else if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        put_backend(api, req, svc, current, index, &addr);
    } else if (!strcmp(method, "DELETE")) {
        struct api_reply reply = { 204, RESULT_NONE, NULL, NULL };
        json_array_remove(backends, index);
        replace_service(api, req, current, svc, SIZE_MAX, &reply);
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

/* Stages a PUT /v1/config body laid out as GET /v1/config gives it, a
 * service a line (see txn_put_document_lines()).  Returns false, having
 * staged nothing, if the body is not so laid out. */
static bool
put_config_lines(struct http_request *req, struct txn *txn, char **errorp)
{
    const char *type = http_request_header(req, "Content-Type");
    size_t len, bad;
    const char *body = http_request_body(req, &len);

    *errorp = NULL;
    return ((!type || strstr(type, "json"))
            && utf8_is_valid(body, len, &bad)
            && txn_put_document_lines(txn, body, len, errorp));
}

/* PUT /v1/config: the new document is checked as a whole, then applied as
 * one write that touches only the services that differ. */
static void
put_config(struct api *api, struct http_request *req)
{
    struct txn *txn = begin(api, req);
    json_t *json = NULL;
    char *error;

    if (!put_config_lines(req, txn, &error)) {
        json = api_parse_body(req);
        if (!json) {
            txn_destroy(txn);
            return;
        }
        error = txn_put_document(txn, json);
    }
    if (!error) {
        error = txn_check(txn, NULL);
    }

    if (error) {
        api_respond_path_error(req, 422, "invalid", error);
        free(error);
        txn_destroy(txn);
    } else if (!txn_n_changes(txn)) {
        respond_config(api, req);
        txn_destroy(txn);
    } else {
        struct api_reply reply = { 200, RESULT_CONFIG, NULL, NULL };
        commit(api, req, txn, NULL, &reply);
    }
    if (json) {
        json_decref(json);
        dsr_config_trim_heap();
    }
}

static void
handle_config(struct api *api, struct http_request *req)
{
    const char *method = http_request_method(req);

    if (!strcmp(method, "GET")) {
        respond_config(api, req);
    } else if (!strcmp(method, "PUT")) {
        if (api_check_if_match(req, api->cfg->version)) {
            put_config(api, req);
        }
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or PUT on /v1/config");
    }
}

static void
respond_cluster(struct api *api, struct http_request *req)
{
    if (!api->cluster) {
        api_respond_not_found(req, "clustered store (dsrd runs without "
                              "--db)");
    } else if (strcmp(http_request_method(req), "GET")) {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET on /v1/cluster");
    } else {
        http_respond_json(req, 200, cluster_to_json(api->cluster), NULL,
                          NULL);
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
        api_views_stats(&api->views, req, route.resource == API_METRICS);
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
        api_views_status(&api->views, req);
        break;
    case API_TRACE:
        api_trace_handle(api->trace, req);
        break;
    case API_HISTORY:
        api_history_handle(api->store, req);
        break;
    case API_PAGE:
        api_views_page(&api->views, req);
        break;
    case API_NODE:
        api_node_handle(api->announcer, req);
        break;
    case API_CLUSTER:
        respond_cluster(api, req);
        break;
    case API_NOT_FOUND:
        api_respond_not_found(req, route.not_found);
        break;
    }
    api_route_destroy(&route);
}

/* Queues write 'req' at the back, or at the 'front' (a write to check
 * again). */
static void
enqueue(struct api *api, struct http_request *req, bool front)
{
    struct api_queued *q = xmalloc(sizeof *q);

    q->req = req;
    q->deadline = time_msec() + API_STORE_WAIT_MS;
    if (front) {
        ovs_list_push_front(&api->queue, &q->node);
    } else {
        ovs_list_push_back(&api->queue, &q->node);
    }
}

static void
handle_request(void *api_, struct http_request *req)
{
    struct api *api = api_;

    if (is_write(http_request_method(req))
        && (api->pending || !ovs_list_is_empty(&api->queue)
            || (api->cluster && !cluster_is_current(api->cluster)))) {
        enqueue(api, req, false);
        return;
    }
    dispatch(api, req);
}

/* Whether the next queued write may go: with a clustered store, once this
 * node is current with it, or (to answer 503) once it waited too long. */
static bool
may_dispatch(const struct api *api)
{
    if (api->pending || ovs_list_is_empty(&api->queue)) {
        return false;
    } else if (!api->cluster || cluster_is_current(api->cluster)) {
        return true;
    }
    const struct api_queued *q = CONTAINER_OF(ovs_list_front(&api->queue),
                                              struct api_queued, node);
    return time_msec() >= q->deadline;
}

void
api_run(struct api *api)
{
    http_server_run(api->http);
    struct http_request *retry;
    if (api->pending && api_commit_run(api->pending, &retry)) {
        api_commit_destroy(api->pending);
        api->pending = NULL;
        if (retry) {
            enqueue(api, retry, true);
        }
    }
    api_views_run(&api->views);
    while (may_dispatch(api)) {
        struct api_queued *q = CONTAINER_OF(ovs_list_pop_front(&api->queue),
                                            struct api_queued, node);
        if (api->cluster && !cluster_is_current(api->cluster)) {
            http_respond_error(q->req, 503, "store-unavailable", NULL,
                               "this node is not in sync with the "
                               "clustered store (see /v1/cluster)");
        } else {
            dispatch(api, q->req);
        }
        free(q);
    }
}

void
api_wait(struct api *api)
{
    http_server_wait(api->http);
    if (api->pending) {
        poll_timer_wait_until(api_commit_deadline(api->pending));
    } else if (!ovs_list_is_empty(&api->queue)) {
        const struct api_queued *q = CONTAINER_OF(
            ovs_list_front(&api->queue), struct api_queued, node);
        poll_timer_wait_until(q->deadline);
    }
    api_views_wait(&api->views);
}

void
api_destroy(struct api *api)
{
    if (api) {
        http_server_destroy(api->http);
        if (api->pending) {
            api_commit_destroy(api->pending);
        }
        free(api);
    }
}
