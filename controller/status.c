/* Rendering of /v1/status.  See status.h. */
#include <config.h>
#include "controller/status.h"

#include <arpa/inet.h>
#include <time.h>
#include "controller/config.h"
#include "controller/datapath.h"
#include "controller/health.h"
#include "controller/announce.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "packets.h"
#include "util.h"

/* Sets 'key' in 'j' to wall-clock time 'msec' in ISO 8601, UTC, to the
 * second. */
static void
set_time(json_t *j, const char *key, long long int msec)
{
    char text[32];
    time_t t = msec / 1000;
    struct tm tm;

    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_object_set_new(j, key, json_string(text));
}

static void
set_health(json_t *j, const struct health_status *hs)
{
    json_object_set_new(j, "check", json_string(hs->type));
    set_time(j, "health_since", hs->since);
    json_object_set_new(j, "failures", json_integer(hs->failures));
    json_object_set_new(j, "probe_latency_ms", json_real(hs->latency_ms));
    if (hs->reason[0]) {
        json_object_set_new(j, "reason", json_string(hs->reason));
    }
}

static json_t *
backend_status(const struct lb *lb, const struct dsr_service *svc,
               const struct dsr_backend *be)
{
    struct lb_backend_info info;
    struct health_status hs;
    char ip[INET6_ADDRSTRLEN];

    lb_get_backend_info(lb, svc, be, &info);
    lb_get_health(lb, svc, be, &hs);
    dsr_ip_to_string(&be->ip, ip);
    json_t *j = json_pack("{s:s, s:I, s:s, s:b, s:s}",
                          "ip", ip, "id", (json_int_t) be->id,
                          "state", dsr_backend_state_to_string(be->state),
                          "in_slots", info.in_slots,
                          "health", !hs.checked ? "unchecked"
                                    : hs.up ? "up" : "down");
    if (hs.checked) {
        set_health(j, &hs);
    }
    if (info.mac_known) {
        char mac[ETH_ADDR_STRLEN + 1];
        snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(info.mac));
        json_object_set_new(j, "mac", json_string(mac));
        json_object_set_new(j, "mac_source",
                            json_string(be->has_mac ? "config" : "arp"));
    } else {
        json_object_set_new(j, "mac", json_null());
        json_object_set_new(j, "mac_source", json_string("unresolved"));
    }
    if (info.resolved) {
        json_object_set_new(j, "ofport", json_integer(info.port));
    }
    if (info.since) {
        set_time(j, "since", info.since);
    }
    return j;
}

static json_t *
ct_timeouts_to_json(const struct dsr_ct_timeouts *t)
{
    return json_pack("{s:I, s:I, s:I, s:I}",
                     "tcp_syn", (json_int_t) t->tcp_syn,
                     "tcp", (json_int_t) t->tcp, "udp", (json_int_t) t->udp,
                     "icmp", (json_int_t) t->icmp);
}

/* Whether every node on datapath 'dp' sends a connection's 5-tuple to the
 * same slot (deploy/bgp/README.md, "The same backend on every node"):
 * {"consistent": true|false, "because": "..."}. */
static json_t *
cross_node_to_json(enum datapath_kind dp)
{
    bool yes = dp == DATAPATH_USERSPACE;
    const char *because
        = (dp == DATAPATH_USERSPACE
           ? "the userspace datapath's 5-tuple hash is the same on every "
             "node with the same OVS build and CPU features"
           : dp == DATAPATH_KERNEL
           ? "the kernel datapath seeds its hash at boot: a connection "
             "moved to another node lands on another slot unless pinned "
             "there or its service hashes by source-ip or "
             "5-tuple-cross-node"
           : dp == DATAPATH_DPDK
           ? "a DPDK port's hash may come from the NIC (RSS), which "
             "differs between NICs and their settings"
           : "the datapath is not known yet");
    return json_pack("{s:b, s:s}", "consistent", yes, "because", because);
}

static json_t *
bridges_status(const struct dsr_config *cfg, const struct lb *lb,
               const struct datapath_monitor *dpm)
{
    json_t *bridges = json_array();

    for (size_t i = 0; i < cfg->n_bridges; i++) {
        const char *name = cfg->bridges[i].name;
        bool connected, synced;
        const char *dp_type;
        enum datapath_kind dp = datapath_monitor_get(dpm, name, &dp_type);

        lb_bridge_status(lb, name, &connected, &synced);
        json_array_append_new(bridges,
                              json_pack("{s:s, s:b, s:b, s:s, s:s, s:I, "
                                        "s:o, s:s, s:o}",
                                        "name", name,
                                        "connected", connected,
                                        "in_sync", synced,
                                        "datapath",
                                        datapath_kind_to_string(dp),
                                        "datapath_type", dp_type,
                                        "ct_zone_limit", (json_int_t)
                                        cfg->bridges[i].ct_zone_limit,
                                        "ct_timeouts", ct_timeouts_to_json(
                                            &cfg->bridges[i].ct_timeouts),
                                        "ct_timeouts_state",
                                        datapath_monitor_ct_policy_state(
                                            dpm),
                                        "cross_node", cross_node_to_json(dp)));
    }
    return bridges;
}

static json_t *
service_status(const struct lb *lb, const struct dsr_service *svc)
{
    json_t *backends = json_array();
    bool connected, synced;

    lb_bridge_status(lb, svc->bridge, &connected, &synced);
    for (size_t j = 0; j < svc->n_backends; j++) {
        json_array_append_new(backends,
                              backend_status(lb, svc, &svc->backends[j]));
    }
    const char *rejection = lb_service_rejection(lb, svc);
    size_t healthy = lb_count_healthy(lb, svc);
    json_t *j = json_pack("{s:s, s:I, s:I, s:b, s:b, s:I, s:o}",
                          "name", svc->name,
                          "id", (json_int_t) svc->id,
                          "version", (json_int_t) svc->version,
                          "programmed", synced && !rejection,
                          "has_healthy_backends", healthy > 0,
                          "healthy_backends", (json_int_t) healthy,
                          "backends", backends);
    if (rejection) {
        json_object_set_new(j, "error", json_string(rejection));
    }
    return j;
}

json_t *
status_to_json(const struct dsr_config *cfg, const struct lb *lb,
               const struct datapath_monitor *dpm,
               const struct announcer *announcer)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    json_t *services = json_array();

    for (size_t i = 0; sorted[i]; i++) {
        json_array_append_new(services, service_status(lb, sorted[i]));
    }
    free(sorted);
    return json_pack("{s:I, s:o, s:o, s:o}",
                     "version", (json_int_t) cfg->version,
                     "bridges", bridges_status(cfg, lb, dpm),
                     "announce", announcer_to_json(announcer),
                     "services", services);
}
