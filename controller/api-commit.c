/* A write's commit and its answer, to the local store or to a clustered
 * one.  See api-commit.h. */
#include <config.h>
#include "controller/api-commit.h"

#include <string.h>
#include "controller/api-request.h"
#include "controller/api-respond.h"
#include "controller/cluster.h"
#include "controller/config.h"
#include "controller/http.h"
#include "controller/model.h"
#include "controller/txn.h"
#include "openvswitch/dynamic-string.h"
#include "timeval.h"
#include "util.h"

/* How long a write waits for OVS before answering 202 Accepted. */
#define API_ACK_TIMEOUT_MS 2000

/* With a clustered store: how long a write waits for the store to be
 * reachable and for its commit (longer than a leader election), before
 * answering 503 or 504. */
#define API_STORE_TIMEOUT_MS 10000

/* A committed write waiting for OVS's verdict, and its answer. */
struct api_commit {
    const struct dsr_config *cfg;
    struct cluster *cluster;    /* NULL: the local store. */
    struct http_request *req;
    struct txn *txn;
    long long int deadline;
    unsigned int status;        /* Success response. */
    json_t *body;
    struct ds text;             /* Success response as text, if 'body' is
                                 * NULL and 'text_body'. */
    bool text_body;
    char *etag;
    char *location;

    /* With a clustered store, the answer is built once the write is in
     * force here, from these. */
    enum api_result result;
    char *name;
    char *ip;
    bool wait_nodes;            /* "?wait=nodes": answer once every node
                                 * has applied the write, or at the
                                 * deadline. */
    uint64_t store_version;     /* The version the write made, once it is
                                 * in force here; else 0. */
    bool accepted;              /* In force here, yet not on a bridge. */
};

void
api_commit_destroy(struct api_commit *p)
{
    txn_destroy(p->txn);
    json_decref(p->body);
    ds_destroy(&p->text);
    free(p->etag);
    free(p->location);
    free(p->name);
    free(p->ip);
    free(p);
}

/* The body of a successful write, for service 'name' (if any); sets
 * '*version' to what it shows, for the ETag. */
static json_t *
build_result(struct api_commit *p,
             enum api_result result, const char *name, const char *ip,
             uint64_t *version)
{
    const struct dsr_service *svc;
    struct in6_addr addr;

    switch (result) {
    case RESULT_NONE:
        return NULL;
    case RESULT_SERVICE:
        /* Gone only if, with a clustered store, a later write through
         * another node deleted it already. */
        svc = dsr_config_find_service(p->cfg, name);
        if (!svc) {
            return NULL;
        }
        *version = svc->version;
        return dsr_service_to_json(svc);
    case RESULT_BACKEND:
        svc = dsr_config_find_service(p->cfg, name);
        if (svc && dsr_ip_parse(ip, &addr)) {
            const struct dsr_backend *be = dsr_service_find_backend(svc,
                                                                    &addr);
            if (be) {
                *version = be->version;
                return dsr_backend_to_json(svc, be);
            }
        }
        return NULL;
    case RESULT_CONFIG:
        *version = p->cfg->version;
        dsr_config_put_json(&p->text, p->cfg);
        p->text_body = true;
        return NULL;
    }
    return NULL;
}

/* A write of 'txn' by 'req', to be answered as 'reply' says. */
static struct api_commit *
create(const struct dsr_config *cfg, struct http_request *req,
       struct txn *txn, const char *name, const struct api_reply *reply)
{
    struct api_commit *p = xzalloc(sizeof *p);

    p->cfg = cfg;
    ds_init(&p->text);
    p->req = req;
    p->txn = txn;
    p->status = reply->status;
    p->result = reply->result;
    p->name = nullable_xstrdup(name);
    p->ip = nullable_xstrdup(reply->ip);
    p->location = nullable_xstrdup(reply->location);
    return p;
}

/* Builds the success answer's body and ETag from the configuration in
 * force. */
static void
build_answer(struct api_commit *p)
{
    uint64_t version = 0;

    p->body = build_result(p, p->result, p->name, p->ip, &version);
    p->etag = version ? api_etag(version) : NULL;
}

/* Commits 'txn', which passed txn_check(), taking it; 'name' is the
 * service written (NULL: none or several).  The answer goes out once OVS
 * has the change (api_commit_run()); with a clustered store, once the
 * store has committed it and this node applied it from there. */
struct api_commit *
api_commit(struct cluster *cluster, const struct dsr_config *cfg,
           struct http_request *req, struct txn *txn, const char *name,
           const struct api_reply *reply)
{
    const char *wait = http_request_query(req, "wait");
    if (wait && (strcmp(wait, "nodes") || !cluster)) {
        http_respond_error(req, 400, "bad-request", NULL,
                           cluster ? "query parameter wait: \"nodes\" is "
                           "its only value"
                           : "query parameter wait=nodes: dsrd has no "
                           "clustered store (--db)");
        txn_destroy(txn);
        return NULL;
    }
    if (cluster) {
        struct api_commit *p = create(cfg, req, txn, name, reply);
        p->wait_nodes = wait != NULL;
        cluster_propose(cluster, txn);
        p->cluster = cluster;
        p->deadline = time_msec() + API_STORE_TIMEOUT_MS;
        return p;
    }

    char *error = txn_commit(txn);
    if (error) {
        http_respond_error(req, 500, "internal", NULL, error);
        free(error);
        txn_destroy(txn);
        return NULL;
    }
    struct api_commit *p = create(cfg, req, txn, name, reply);
    build_answer(p);
    p->deadline = time_msec() + API_ACK_TIMEOUT_MS;
    return p;
}

/* Answers 202 Accepted: the write is saved and in force, and OVS gets it
 * once its bridge is back (or has answered). */
static void
respond_accepted(struct api_commit *p)
{
    if (p->text_body) {
        struct ds body = DS_EMPTY_INITIALIZER;
        ds_put_cstr(&body, "{\"status\": \"pending\", \"result\": ");
        ds_put_buffer(&body, p->text.string, p->text.length);
        ds_put_cstr(&body, "}\n");
        http_respond_ds(p->req, 202, &body, p->etag, p->location);
    } else {
        json_t *body = json_pack("{s:s, s:O}", "status", "pending",
                                 "result", p->body ? p->body : json_null());
        http_respond_json(p->req, 202, body, p->etag, p->location);
    }
}

static void
respond_done(struct api_commit *p)
{
    if (p->text_body) {
        http_respond_ds(p->req, p->status, &p->text, p->etag, p->location);
    } else {
        http_respond_json(p->req, p->status, json_incref(p->body), p->etag,
                          p->location);
    }
}

enum write_progress {
    WRITE_PENDING,
    WRITE_ENDED,                /* Answered with an error, or to retry. */
    WRITE_IN_FORCE,             /* Here: 'store_version' says which. */
};

/* Follows the write in the store until it is in force here, or ends
 * otherwise. */
static enum write_progress
run_write(struct api_commit *p, struct http_request **retry)
{
    char *error;
    enum cluster_write_state state = cluster_write_poll(p->cluster, &error);

    switch (state) {
    case CLUSTER_WRITE_PENDING:
        if (time_msec() < p->deadline) {
            return WRITE_PENDING;
        }
        /* Neither refused nor known to be committed. */
        http_respond_error(p->req, 504, "store-timeout", NULL,
                           "the clustered store has not answered; the "
                           "write may or may not be committed: read it "
                           "back before trying again");
        break;
    case CLUSTER_WRITE_RETRY:
        /* Checked again against the configuration that came first. */
        *retry = p->req;
        break;
    case CLUSTER_WRITE_FAILED:
        http_respond_error(p->req, 503, "store-error", NULL, error);
        free(error);
        break;
    case CLUSTER_WRITE_APPLIED:
    case CLUSTER_WRITE_ACCEPTED:
        p->store_version = cluster_write_version(p->cluster);
        p->accepted = state == CLUSTER_WRITE_ACCEPTED;
        cluster_write_end(p->cluster);
        return WRITE_IN_FORCE;
    }
    cluster_write_end(p->cluster);
    return WRITE_ENDED;
}

/* Answers the pending write once every bridge has its verdict, or once it
 * is clear that OVS will have it later; with "?wait=nodes", once every
 * node says it applied it too.  The answer says which nodes had. */
static bool
run_cluster(struct api_commit *p, struct http_request **retry)
{
    if (!p->store_version) {
        enum write_progress progress = run_write(p, retry);
        if (progress != WRITE_IN_FORCE) {
            return progress == WRITE_ENDED;
        }
    }

    struct ds applied = DS_EMPTY_INITIALIZER;
    bool all = cluster_nodes_applied(p->cluster, p->store_version, &applied);
    if (p->wait_nodes && !all && !p->accepted
        && time_msec() < p->deadline) {
        ds_destroy(&applied);
        return false;
    }
    build_answer(p);
    if (p->accepted) {
        respond_accepted(p);
    } else {
        respond_done(p);
    }
    char version[32];
    snprintf(version, sizeof version, "%"PRIu64, p->store_version);
    http_add_header(p->req, "DSR-Store-Version", version);
    http_add_header(p->req, "DSR-Applied-On", ds_cstr(&applied));
    ds_destroy(&applied);
    return true;
}

bool
api_commit_run(struct api_commit *p, struct http_request **retry)
{
    *retry = NULL;
    if (p->cluster) {
        return run_cluster(p, retry);
    }
    const char *failure;
    enum txn_state state = txn_poll(p->txn, &failure);

    if (state == TXN_FAILED) {
        /* Already undone: the state does not claim what OVS lacks. */
        http_respond_error(p->req, 502, "switch-error", NULL, failure);
    } else if (state == TXN_DONE) {
        respond_done(p);
    } else if (state == TXN_DISCONNECTED || time_msec() >= p->deadline) {
        respond_accepted(p);
    } else {
        return false;
    }
    return true;
}

long long int
api_commit_deadline(const struct api_commit *p)
{
    return p->deadline;
}
