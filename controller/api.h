/* dsrd's REST API (/v1/...), JSON in and out; see README.md and
 * schemas/openapi.json.  It routes requests, parses their bodies, checks
 * If-Match and shapes the answers; every write goes through a
 * transaction (txn.h), which saves it to the state file ('store') before
 * OVS gets it.  A write is answered only once OVS has committed it (or it
 * was rolled back, if OVS rejected it).  Writes are applied one at a time,
 * in arrival order. */
#ifndef DSR_API_H
#define DSR_API_H 1

struct announcer;
struct datapath_monitor;
struct dsr_config;
struct http_server_options;
struct lb;
struct trace;
struct txn_store;

struct api *api_create(struct dsr_config *, struct lb *, struct txn_store *,
                       const struct http_server_options *, char **errorp);
struct cluster;
void api_set_cluster(struct api *, struct cluster *);
void api_set_sources(struct api *, const struct datapath_monitor *,
                     struct trace *, struct announcer *);
void api_destroy(struct api *);
void api_run(struct api *);
void api_wait(struct api *);

#endif /* controller/api.h */
