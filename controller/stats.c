/* Rendering of OVS's counters and dsrd's states.  See stats.h. */
#include <config.h>
#include "controller/stats.h"

#include <arpa/inet.h>
#include "controller/announce.h"
#include "controller/config.h"
#include "controller/health.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* An address as text, in a buffer that lives to the end of the enclosing
 * block: for the many labels below. */
#define IPS(IP) dsr_ip_to_string(IP, (char[INET6_ADDRSTRLEN]) { 0 })

json_t *
stats_to_json(const struct dsr_config *cfg, const struct lb *lb)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    json_t *services = json_array();

    for (size_t i = 0; sorted[i]; i++) {
        const struct dsr_service *svc = sorted[i];
        struct ofctrl_counters c;
        json_t *backends = json_array();

        for (size_t j = 0; j < svc->n_backends; j++) {
            const struct dsr_backend *be = &svc->backends[j];
            char ip[INET6_ADDRSTRLEN];

            lb_get_backend_counters(lb, svc, be, &c);
            dsr_ip_to_string(&be->ip, ip);
            json_array_append_new(backends, json_pack(
                "{s:s, s:I, s:I, s:I}", "ip", ip,
                "id", (json_int_t) be->id,
                "packets", (json_int_t) c.packets,
                "bytes", (json_int_t) c.bytes));
        }
        lb_get_service_counters(lb, svc, &c);
        json_array_append_new(services, json_pack(
            "{s:s, s:I, s:I, s:I, s:o}", "name", svc->name,
            "id", (json_int_t) svc->id, "packets", (json_int_t) c.packets,
            "bytes", (json_int_t) c.bytes, "backends", backends));
    }
    free(sorted);
    return json_pack("{s:o}", "services", services);
}

static void
put_help(struct ds *s, const char *name, const char *type, const char *help)
{
    ds_put_format(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Each metric family below is written whole, one after the other: the
 * text format wants each family's samples together.  Label values are
 * names ([A-Za-z0-9_.-]), addresses and fixed words: nothing needs
 * escaping. */

/* A family with a sample per bridge, per service or per backend whose
 * value is one of two: a bridge's connected or in-sync flag, or OVS's
 * packet or byte count. */
struct two_way_family {
    const char *name;
    const char *help;
    bool second;                /* in_sync, or bytes. */
};

static void
put_bridge_metrics(struct ds *s, const struct dsr_config *cfg,
                   const struct lb *lb)
{
    static const struct two_way_family families[] = {
        { "dsr_bridge_connected",
          "1 if dsrd's OpenFlow connection to the bridge is up.", false },
        { "dsr_bridge_in_sync",
          "1 if the bridge has every change dsrd made.", true },
    };

    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        put_help(s, families[f].name, "gauge", families[f].help);
        for (size_t i = 0; i < cfg->n_bridges; i++) {
            bool connected, synced;
            lb_bridge_status(lb, cfg->bridges[i].name, &connected, &synced);
            ds_put_format(s, "%s{bridge=\"%s\"} %d\n", families[f].name,
                          cfg->bridges[i].name,
                          families[f].second ? synced : connected);
        }
    }
}

static uint64_t
counter_value(const struct ofctrl_counters *c, bool bytes)
{
    return bytes ? c->bytes : c->packets;
}

static void
put_service_counters(struct ds *s, const struct dsr_service **sorted,
                     const struct lb *lb)
{
    static const struct two_way_family families[] = {
        { "dsr_service_packets_total",
          "Packets to the service, from OVS's flow statistics.", false },
        { "dsr_service_bytes_total",
          "Bytes to the service, from OVS's flow statistics.", true },
    };

    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        put_help(s, families[f].name, "counter", families[f].help);
        for (size_t i = 0; sorted[i]; i++) {
            struct ofctrl_counters c;
            lb_get_service_counters(lb, sorted[i], &c);
            ds_put_format(s, "%s{service=\"%s\",vip=\"%s\"} %"PRIu64
                          "\n", families[f].name, sorted[i]->name,
                          IPS(&sorted[i]->vip),
                          counter_value(&c, families[f].second));
        }
    }
}

static void
put_backend_counters(struct ds *s, const struct dsr_service **sorted,
                     const struct lb *lb)
{
    static const struct two_way_family families[] = {
        { "dsr_backend_packets_total",
          "Packets sent to the backend, from OVS's bucket statistics.",
          false },
        { "dsr_backend_bytes_total",
          "Bytes sent to the backend, from OVS's bucket statistics.", true },
    };

    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        put_help(s, families[f].name, "counter", families[f].help);
        for (size_t i = 0; sorted[i]; i++) {
            for (size_t j = 0; j < sorted[i]->n_backends; j++) {
                const struct dsr_backend *be = &sorted[i]->backends[j];
                struct ofctrl_counters c;
                lb_get_backend_counters(lb, sorted[i], be, &c);
                ds_put_format(s, "%s{service=\"%s\",backend=\"%s\"} "
                              "%"PRIu64"\n", families[f].name,
                              sorted[i]->name, IPS(&be->ip),
                              counter_value(&c, families[f].second));
            }
        }
    }
}

static void
put_backend_in_slots(struct ds *s, const struct dsr_service **sorted,
                     const struct lb *lb)
{
    put_help(s, "dsr_backend_in_slots", "gauge",
             "1 if the backend holds slots: takes new connections.");
    for (size_t i = 0; sorted[i]; i++) {
        for (size_t j = 0; j < sorted[i]->n_backends; j++) {
            const struct dsr_backend *be = &sorted[i]->backends[j];
            struct lb_backend_info info;
            lb_get_backend_info(lb, sorted[i], be, &info);
            ds_put_format(s, "dsr_backend_in_slots{service=\"%s\","
                          "backend=\"%s\",state=\"%s\"} %d\n",
                          sorted[i]->name, IPS(&be->ip),
                          dsr_backend_state_to_string(be->state),
                          info.in_slots);
        }
    }
}

/* The end of a health sample, after its service and backend labels. */
static void
put_health_up(struct ds *s, const struct health_status *hs)
{
    ds_put_format(s, ",check=\"%s\"} %d\n", hs->type, hs->up);
}

static void
put_health_failures(struct ds *s, const struct health_status *hs)
{
    ds_put_format(s, "} %d\n", hs->failures);
}

static void
put_health_latency(struct ds *s, const struct health_status *hs)
{
    ds_put_format(s, "} %.4f\n", hs->latency_ms / 1000.0);
}

static void
put_health_since(struct ds *s, const struct health_status *hs)
{
    ds_put_format(s, "} %lld\n", hs->since / 1000);
}

static void
put_backend_health(struct ds *s, const struct dsr_service **sorted,
                   const struct lb *lb)
{
    static const struct {
        const char *name, *help;
        bool checked_only;      /* No sample for an unchecked backend. */
        void (*put)(struct ds *, const struct health_status *);
    } families[] = {
        { "dsr_backend_up", "Health: 1 up (or unchecked), 0 down.",
          false, put_health_up },
        { "dsr_backend_check_failures", "Consecutive failed probes.",
          true, put_health_failures },
        { "dsr_backend_probe_duration_seconds",
          "Duration of the last probe.", true, put_health_latency },
        { "dsr_backend_health_change_timestamp_seconds",
          "Unix time of the last health change.", true, put_health_since },
    };

    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        put_help(s, families[f].name, "gauge", families[f].help);
        for (size_t i = 0; sorted[i]; i++) {
            for (size_t j = 0; j < sorted[i]->n_backends; j++) {
                const struct dsr_backend *be = &sorted[i]->backends[j];
                struct health_status hs;

                lb_get_health(lb, sorted[i], be, &hs);
                if (families[f].checked_only && !hs.checked) {
                    continue;
                }
                ds_put_format(s, "%s{service=\"%s\",backend=\"%s\"",
                              families[f].name, sorted[i]->name,
                              IPS(&be->ip));
                families[f].put(s, &hs);
            }
        }
    }
}

static void
put_healthy_backends(struct ds *s, const struct dsr_service **sorted,
                     const struct lb *lb)
{
    put_help(s, "dsr_service_healthy_backends", "gauge",
             "Backends that can take new connections; 0 means the VIP "
             "should be withdrawn.");
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_format(s, "dsr_service_healthy_backends{service=\"%s\","
                      "vip=\"%s\"} %"PRIuSIZE"\n", sorted[i]->name,
                      IPS(&sorted[i]->vip),
                      lb_count_healthy(lb, sorted[i]));
    }
}

/* Whether each service's flows are in OVS, as OVS accepted them: for an
 * l2 service, its ARP responder answers for the VIP. */
static void
put_programmed(struct ds *s, const struct dsr_service **sorted,
               const struct lb *lb)
{
    put_help(s, "dsr_service_programmed", "gauge",
             "1 if the service's flows (its ARP responder too) are on its "
             "bridge as OVS accepted them.");
    for (size_t i = 0; sorted[i]; i++) {
        bool connected, synced;
        lb_bridge_status(lb, sorted[i]->bridge, &connected, &synced);
        ds_put_format(s, "dsr_service_programmed{service=\"%s\",vip=\"%s\"}"
                      " %d\n", sorted[i]->name, IPS(&sorted[i]->vip),
                      synced && !lb_service_rejection(lb, sorted[i]));
    }
}

/* BGP mode only: whether each service's VIP is in the routing table that
 * the routing daemon announces (the same value for services that share a
 * VIP).  ARP mode has no such state: dsr_service_programmed tells that the
 * ARP responder is there. */
static void
put_announced(struct ds *s, const struct dsr_service **sorted,
              const struct announcer *announcer)
{
    if (!announcer) {
        return;
    }
    put_help(s, "dsr_service_announced", "gauge",
             "1 if the service's VIP route is in the table that BGP "
             "announces.");
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_format(s, "dsr_service_announced{service=\"%s\",vip=\"%s\"}"
                      " %d\n", sorted[i]->name, IPS(&sorted[i]->vip),
                      announcer_is_announced(announcer, &sorted[i]->vip));
    }
}

/* Who is answering, and since when: a restart shows as a new start time,
 * which the alert rules look for (deploy/prometheus/). */
static void
put_process(struct ds *s, long long start_wall_msec)
{
    put_help(s, "dsr_build_info", "gauge", "dsrd's version, as a label.");
    ds_put_format(s, "dsr_build_info{version=\"%s\"} 1\n", DSR_VERSION);
    put_help(s, "process_start_time_seconds", "gauge",
             "Start time of dsrd since the Unix epoch, in seconds.");
    ds_put_format(s, "process_start_time_seconds %.3f\n",
                  start_wall_msec / 1000.0);
}

char *
stats_to_prometheus(const struct dsr_config *cfg, const struct lb *lb,
                    const struct announcer *announcer,
                    long long start_wall_msec)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    struct ds s = DS_EMPTY_INITIALIZER;

    put_process(&s, start_wall_msec);
    put_bridge_metrics(&s, cfg, lb);
    put_help(&s, "dsr_config_version", "gauge",
             "Version of the configuration; grows with every change.");
    ds_put_format(&s, "dsr_config_version %"PRIu64"\n", cfg->version);
    put_service_counters(&s, sorted, lb);
    put_backend_counters(&s, sorted, lb);
    put_backend_in_slots(&s, sorted, lb);
    put_backend_health(&s, sorted, lb);
    put_healthy_backends(&s, sorted, lb);
    put_programmed(&s, sorted, lb);
    put_announced(&s, sorted, announcer);
    free(sorted);
    return ds_steal_cstr(&s);
}
