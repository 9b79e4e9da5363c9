/* Live counters and states for the API: /v1/stats as JSON and /metrics in
 * the Prometheus text format, from the counters OVS keeps (flow and group
 * statistics), never counted by dsrd itself. */
#ifndef DSR_STATS_H
#define DSR_STATS_H 1

#include <jansson.h>

struct dsr_config;
struct lb;
struct announcer;

json_t *stats_to_json(const struct dsr_config *, const struct lb *);
char *stats_to_prometheus(const struct dsr_config *, const struct lb *,
                          const struct announcer *,
                          long long start_wall_msec);

#endif /* controller/stats.h */
