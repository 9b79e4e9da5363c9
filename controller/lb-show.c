/* "dsr/show": the bridges, their services and backends as dsrd sees
 * them (MACs, ports, backend ids, tunnel errors, why a backend is
 * health-down), for operators; a read-only view of lb's state. */
#include <config.h>
#include "controller/lb-private.h"

#include <stdlib.h>
#include "controller/health.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "flows/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "flow.h"
#include "util.h"

static int
compare_services(const void *a_, const void *b_)
{
    const struct dsr_service *const *a = a_;
    const struct dsr_service *const *b = b_;

    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

static void
format_backend(const struct lb_bridge *br, const struct dsr_service *svc,
               const struct dsr_backend *be, struct ds *s)
{
    const struct neighbor *nb = neighbor_find(&br->neighbors, &be->ip);
    bool known = be->has_mac || (nb && nb->resolved);
    uint32_t port;
    struct eth_addr mac;

    /* As last programmed: state, MAC, health and on_all_down. */
    const struct lb_backend_state *b = lb_find_backend_state(br, svc->id,
                                                             be->id);
    bool in_slots = b && b->in_slots;

    ds_put_cstr(s, "    backend ");
    dsr_ip_format(&be->ip, s);
    ds_put_cstr(s, ": ");
    if (svc->mode != DSR_MODE_L2) {
        known = tunnel_delivery(&br->tunnels, svc, &port, &mac);
        ds_put_format(s, "%s", dsr_mode_to_string(svc->mode));
        if (known) {
            ds_put_format(s, " port %"PRIu32, port);
        } else {
            ds_put_cstr(s, " port missing");
        }
    } else if (be->has_mac) {
        ds_put_format(s, "mac "ETH_ADDR_FMT" (configured)",
                      ETH_ADDR_ARGS(be->mac));
    } else if (known) {
        ds_put_format(s, "mac "ETH_ADDR_FMT" (%s)", ETH_ADDR_ARGS(nb->mac),
                      IN6_IS_ADDR_V4MAPPED(&be->ip) ? "arp" : "nd");
    } else {
        ds_put_cstr(s, "mac unresolved");
    }
    if (nb && nb->resolved && svc->mode == DSR_MODE_L2) {
        ds_put_format(s, ", port %"PRIu32, ofp_to_u16(nb->port));
    }
    ds_put_format(s, ", weight %"PRIu16", %s, id %"PRIu32"%s\n",
                  be->weight, dsr_backend_state_to_string(be->state),
                  be->id, in_slots ? "" : " (no slots)");

    struct health_status health;
    health_get_status(br->lb->health, svc->id, &be->ip, &health);
    if (health.checked && !health.up) {
        ds_put_format(s, "      health down (%s): %s\n", health.type,
                      health.reason);
    }
}

/* The "dsr/show" text: bridges, services, backends, MACs, backend ids. */
void
lb_format_show(const struct lb *lb, struct ds *s)
{
    const struct dsr_service **services;
    const struct dsr_service *svc;
    const struct lb_bridge *br;
    size_t n = 0;

    services = xmalloc(hmap_count(&lb->cfg->services) * sizeof *services);
    HMAP_FOR_EACH (svc, name_node, &lb->cfg->services) {
        services[n++] = svc;
    }
    qsort(services, n, sizeof *services, compare_services);

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        ds_put_cstr(s, "bridge ");
        ofctrl_format_status(br->ofctrl, s);
        for (size_t i = 0; i < n; i++) {
            svc = services[i];
            if (strcmp(svc->bridge, br->cfg->name)) {
                continue;
            }
            char port[8], vip[INET6_ADDRSTRLEN];
            snprintf(port, sizeof port, "%"PRIu16, svc->port);
            ds_put_format(s, "  service %s: %s %s port %s, %s, "
                          "hash %s, mac "ETH_ADDR_FMT", group %"PRIu32
                          ", cookie %#"PRIx64"\n", svc->name,
                          dsr_ip_to_string(&svc->vip, vip),
                          dsr_protocol_to_string(svc->protocol),
                          svc->port ? port : "*",
                          dsr_mode_to_string(svc->mode),
                          dsr_hash_to_string(svc->hash),
                          ETH_ADDR_ARGS(svc->mac), svc->id,
                          dsr_cookie(DSR_COOKIE_SERVICE, svc->id));
            for (size_t j = 0; j < svc->n_backends; j++) {
                format_backend(br, svc, &svc->backends[j], s);
            }
            const char *error = tunnel_service_error(&br->tunnels, svc);
            if (error) {
                ds_put_format(s, "    error: %s\n", error);
            }
        }
    }
    free(services);
}
