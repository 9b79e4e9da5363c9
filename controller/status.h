/* The API's /v1/status view: for each bridge, whether dsrd is connected
 * and in sync and which datapath it runs; for each service, whether OVS
 * has it and, for each backend, its health, MAC and whether it takes new
 * connections.  Read-only, like its sibling stats.h: it reads the
 * configuration in force, lb's view of the data plane and the datapath
 * monitor, and writes nothing. */
#ifndef DSR_STATUS_H
#define DSR_STATUS_H 1

#include <jansson.h>

struct datapath_monitor;
struct announcer;
struct dsr_config;
struct lb;

/* 'dpm' may be NULL (no OVSDB): datapaths are then unknown. */
json_t *status_to_json(const struct dsr_config *, const struct lb *,
                       const struct datapath_monitor *,
                       const struct announcer *);

#endif /* controller/status.h */
