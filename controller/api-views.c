/* See api-views.h. */
#include <config.h>
#include "controller/api-views.h"

#include <string.h>
#include <sys/random.h>
#include "controller/http.h"
#include "controller/lb.h"
#include "controller/stats.h"
#include "controller/status.h"
#include "controller/status-page.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

/* A stats read waiting for OVS's counters. */
struct stats_waiter {
    struct ovs_list node;
    struct http_request *req;
    unsigned long long token;   /* From lb_request_stats(). */
    long long int deadline;     /* Answer with the last counters then. */
    bool prometheus;            /* /metrics rather than /v1/stats. */
};

void
api_views_init(struct api_views *v, const struct dsr_config *cfg,
               struct lb *lb)
{
    memset(v, 0, sizeof *v);
    v->cfg = cfg;
    v->lb = lb;
    v->start_wall_msec = time_wall_msec();
    ovs_list_init(&v->stats_waiters);
}

static bool
check_get(struct http_request *req)
{
    if (strcmp(http_request_method(req), "GET")) {
        http_respond_error(req, 405, "method-not-allowed", NULL, "use GET");
        return false;
    }
    return true;
}

/* GET /v1/stats and /metrics: answered once OVS has sent fresh counters
 * (or after a second, with the last ones). */
void
api_views_stats(struct api_views *v, struct http_request *req,
                bool prometheus)
{
    if (check_get(req)) {
        struct stats_waiter *w = xmalloc(sizeof *w);
        w->req = req;
        w->token = lb_request_stats(v->lb);
        w->deadline = time_msec() + 1000;
        w->prometheus = prometheus;
        ovs_list_push_back(&v->stats_waiters, &w->node);
    }
}

void
api_views_run(struct api_views *v)
{
    struct stats_waiter *w;

    LIST_FOR_EACH_SAFE (w, node, &v->stats_waiters) {
        if (!lb_stats_done(v->lb, w->token) && time_msec() < w->deadline) {
            continue;
        }
        if (w->prometheus) {
            char *text = stats_to_prometheus(v->cfg, v->lb, v->announcer,
                                             v->start_wall_msec);
            http_respond(w->req, 200, "text/plain; version=0.0.4", text,
                         strlen(text), NULL, NULL);
            free(text);
        } else {
            http_respond_json(w->req, 200, stats_to_json(v->cfg, v->lb),
                              NULL, NULL);
        }
        ovs_list_remove(&w->node);
        free(w);
    }
}

void
api_views_wait(const struct api_views *v)
{
    const struct stats_waiter *w;

    LIST_FOR_EACH (w, node, &v->stats_waiters) {
        poll_timer_wait_until(w->deadline);
    }
}

void
api_views_status(const struct api_views *v, struct http_request *req)
{
    http_respond_json(req, 200, status_to_json(v->cfg, v->lb, v->datapaths,
                                               v->announcer),
                      NULL, NULL);
}

/* The status page (status-page.h), with a nonce of its own for its
 * Content-Security-Policy. */
void
api_views_page(const struct api_views *v, struct http_request *req)
{
    uint8_t random[16];
    char nonce[2 * sizeof random + 1];
    struct ds html = DS_EMPTY_INITIALIZER;

    if (!check_get(req)) {
        return;
    }
    if (getrandom(random, sizeof random, 0) != sizeof random) {
        http_respond_error(req, 500, "internal", NULL, "no random bytes");
        return;
    }
    for (size_t i = 0; i < sizeof random; i++) {
        snprintf(&nonce[2 * i], 3, "%02x", random[i]);
    }
    json_t *status = status_to_json(v->cfg, v->lb, v->datapaths,
                                    v->announcer);
    status_page_render(v->cfg, status, nonce, &html);
    json_decref(status);
    http_respond_page(req, &html, nonce);
}
