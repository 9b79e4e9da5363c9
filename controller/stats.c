/* Rendering of OVS's counters and dsrd's states.  See stats.h. */
#include <config.h>
#include "controller/stats.h"

#include <arpa/inet.h>
#include "controller/config.h"
#include "controller/health.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

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
            char ip[INET_ADDRSTRLEN];

            lb_get_backend_counters(lb, svc, be, &c);
            inet_ntop(AF_INET, &be->ip, ip, sizeof ip);
            json_array_append_new(backends, json_pack(
                "{s:s, s:I, s:I, s:I}", "ip", ip,
                "bucket_id", (json_int_t) be->bucket_id,
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

/* Label values here are names ([A-Za-z0-9_.-]), addresses and fixed
 * words: nothing needs escaping. */
char *
stats_to_prometheus(const struct dsr_config *cfg, const struct lb *lb)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofctrl_counters c;

    put_help(&s, "dsr_bridge_connected", "gauge",
             "1 if dsrd's OpenFlow connection to the bridge is up.");
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        bool connected, synced;
        lb_bridge_status(lb, cfg->bridges[i].name, &connected, &synced);
        ds_put_format(&s, "dsr_bridge_connected{bridge=\"%s\"} %d\n",
                      cfg->bridges[i].name, connected);
    }
    put_help(&s, "dsr_bridge_in_sync", "gauge",
             "1 if the bridge has every change dsrd made.");
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        bool connected, synced;
        lb_bridge_status(lb, cfg->bridges[i].name, &connected, &synced);
        ds_put_format(&s, "dsr_bridge_in_sync{bridge=\"%s\"} %d\n",
                      cfg->bridges[i].name, synced);
    }
    put_help(&s, "dsr_config_version", "gauge",
             "Version of the configuration; grows with every change.");
    ds_put_format(&s, "dsr_config_version %"PRIu64"\n", cfg->version);

    put_help(&s, "dsr_service_packets_total", "counter",
             "Packets to the service, from OVS's flow statistics.");
    for (size_t i = 0; sorted[i]; i++) {
        lb_get_service_counters(lb, sorted[i], &c);
        ds_put_format(&s, "dsr_service_packets_total{service=\"%s\","
                      "vip=\""IP_FMT"\"} %"PRIu64"\n", sorted[i]->name,
                      IP_ARGS(sorted[i]->vip), c.packets);
    }
    put_help(&s, "dsr_service_bytes_total", "counter",
             "Bytes to the service, from OVS's flow statistics.");
    for (size_t i = 0; sorted[i]; i++) {
        lb_get_service_counters(lb, sorted[i], &c);
        ds_put_format(&s, "dsr_service_bytes_total{service=\"%s\","
                      "vip=\""IP_FMT"\"} %"PRIu64"\n", sorted[i]->name,
                      IP_ARGS(sorted[i]->vip), c.bytes);
    }

    static const char *const kinds[] = { "packets", "bytes" };
    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        char *name = xasprintf("dsr_backend_%s_total", kinds[k]);
        char *help = xasprintf("%s sent to the backend, from OVS's "
                               "bucket statistics.",
                               k ? "Bytes" : "Packets");
        put_help(&s, name, "counter", help);
        for (size_t i = 0; sorted[i]; i++) {
            for (size_t j = 0; j < sorted[i]->n_backends; j++) {
                const struct dsr_backend *be = &sorted[i]->backends[j];
                lb_get_backend_counters(lb, sorted[i], be, &c);
                ds_put_format(&s, "%s{service=\"%s\",backend=\""IP_FMT"\"} "
                              "%"PRIu64"\n", name, sorted[i]->name,
                              IP_ARGS(be->ip), k ? c.bytes : c.packets);
            }
        }
        free(name);
        free(help);
    }

    put_help(&s, "dsr_backend_in_group", "gauge",
             "1 if the backend has a bucket: active and its MAC known.");
    for (size_t i = 0; sorted[i]; i++) {
        for (size_t j = 0; j < sorted[i]->n_backends; j++) {
            const struct dsr_backend *be = &sorted[i]->backends[j];
            struct lb_backend_info info;
            lb_get_backend_info(lb, sorted[i], be, &info);
            ds_put_format(&s, "dsr_backend_in_group{service=\"%s\","
                          "backend=\""IP_FMT"\",state=\"%s\"} %d\n",
                          sorted[i]->name, IP_ARGS(be->ip),
                          dsr_backend_state_to_string(be->state),
                          info.in_slots);
        }
    }
    /* Health, one metric family at a time (the text format wants each
     * family's samples together). */
    static const struct {
        const char *name, *help;
    } families[] = {
        { "dsr_backend_up", "Health: 1 up (or unchecked), 0 down." },
        { "dsr_backend_check_failures", "Consecutive failed probes." },
        { "dsr_backend_probe_latency_ms", "Duration of the last probe." },
        { "dsr_backend_health_since_seconds",
          "Unix time of the last health change." },
    };
    for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
        put_help(&s, families[f].name, "gauge", families[f].help);
        for (size_t i = 0; sorted[i]; i++) {
            for (size_t j = 0; j < sorted[i]->n_backends; j++) {
                const struct dsr_backend *be = &sorted[i]->backends[j];
                struct health_status hs;

                lb_get_health(lb, sorted[i], be, &hs);
                if (f && !hs.checked) {
                    continue;
                }
                ds_put_format(&s, "%s{service=\"%s\",backend=\""IP_FMT
                              "\"", families[f].name, sorted[i]->name,
                              IP_ARGS(be->ip));
                switch (f) {
                case 0:
                    ds_put_format(&s, ",check=\"%s\"} %d\n", hs.type,
                                  hs.up);
                    break;
                case 1:
                    ds_put_format(&s, "} %d\n", hs.failures);
                    break;
                case 2:
                    ds_put_format(&s, "} %.1f\n", hs.latency_ms);
                    break;
                default:
                    ds_put_format(&s, "} %lld\n", hs.since / 1000);
                    break;
                }
            }
        }
    }
    put_help(&s, "dsr_service_healthy_backends", "gauge",
             "Backends that can take new connections; 0 means the VIP "
             "should be withdrawn.");
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_format(&s, "dsr_service_healthy_backends{service=\"%s\","
                      "vip=\""IP_FMT"\"} %"PRIuSIZE"\n", sorted[i]->name,
                      IP_ARGS(sorted[i]->vip),
                      lb_count_healthy(lb, sorted[i]));
    }
    free(sorted);
    return ds_steal_cstr(&s);
}
