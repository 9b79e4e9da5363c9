/* The API's read-only views of dsrd: GET /v1/stats and /metrics (answered
 * once OVS has sent fresh counters), /v1/status and the status page.  They
 * never wait behind writes. */
#ifndef DSR_API_VIEWS_H
#define DSR_API_VIEWS_H 1

#include <stdbool.h>
#include "openvswitch/list.h"

struct announcer;
struct datapath_monitor;
struct dsr_config;
struct http_request;
struct lb;

struct api_views {
    const struct dsr_config *cfg;
    struct lb *lb;
    const struct datapath_monitor *datapaths;   /* May be null. */
    const struct announcer *announcer;          /* May be null. */
    long long start_wall_msec;  /* When dsrd started serving. */
    struct ovs_list stats_waiters;              /* Stats reads. */
};

void api_views_init(struct api_views *, const struct dsr_config *,
                    struct lb *);
void api_views_stats(struct api_views *, struct http_request *,
                     bool prometheus);
void api_views_status(const struct api_views *, struct http_request *);
void api_views_page(const struct api_views *, struct http_request *);
void api_views_run(struct api_views *);
void api_views_wait(const struct api_views *);

#endif /* controller/api-views.h */
