/* Read-only views of lb for the API, the metrics and dsrd: what the data
 * plane knows of each backend, each bridge's connection, why a service is
 * not delivered, OVS's counters and the health checker's verdicts. */
#include <config.h>
#include "controller/lb-private.h"

#include "controller/health.h"
#include "controller/lb-slots.h"
#include "flows/slot-runs.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "flows/pipeline.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "sset.h"
#include "util.h"

/* What lb-slots.c needs to know of 'be', a backend of 'svc'. */
static void
view_backend(const struct lb *lb, const struct lb_bridge *br,
             const struct dsr_service *svc, const struct dsr_backend *be,
             struct lb_backend_view *v)
{
    const struct neighbor *nb = neighbor_find(&br->neighbors, &be->ip);
    bool resolved = nb && nb->resolved;

    v->ip = htonl(dsr_ip_slot_key(&be->ip));
    v->addr = be->ip;
    v->id = be->id;
    v->weight = be->weight;
    v->state = be->state;
    v->down = health_is_down(lb->health, svc->id, &be->ip);
    if (svc->mode != DSR_MODE_L2) {
        /* Tunnel modes: no MAC to learn, the bridge's port decides. */
        v->deliverable = tunnel_delivery(&br->tunnels, svc, &v->port,
                                         &v->mac);
    } else {
        v->deliverable = be->has_mac || resolved;
        v->port = 0;
        v->mac = (be->has_mac ? be->mac
                  : resolved ? nb->mac : eth_addr_zero);
    }
}

/* What 'svc''s slots hold and which of its backends keep their pins,
 * from the same inputs as its group and flows on 'br' (lb.c's
 * program_service()).  The caller lb_slots_destroy()s 'slots'. */
void
lb_bridge_slots(const struct lb *lb, const struct lb_bridge *br,
                const struct dsr_service *svc, struct lb_slots *slots)
{
    struct lb_backend_view *views = xmalloc((svc->n_backends + 1)
                                            * sizeof *views);

    for (size_t i = 0; i < svc->n_backends; i++) {
        view_backend(lb, br, svc, &svc->backends[i], &views[i]);
    }
    uint32_t *base = slot_runs_to_table(svc->slots);
    lb_slots_compute(base, svc->slots->size, views, svc->n_backends,
                     svc->on_all_down, slots);
    free(base);
    free(views);
}

/* lb_bridge_slots() for the bridge of 'svc'; false if dsrd has no such
 * bridge ('slots' is then untouched). */
bool
lb_get_slots(const struct lb *lb, const struct dsr_service *svc,
             struct lb_slots *slots)
{
    const struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);

    if (br) {
        lb_bridge_slots(lb, br, svc, slots);
    }
    return br != NULL;
}

void
lb_get_backend_info(const struct lb *lb, const struct dsr_service *svc,
                    const struct dsr_backend *be,
                    struct lb_backend_info *info)
{
    const struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);
    const struct neighbor *nb = (br ? neighbor_find(&br->neighbors, &be->ip)
                                    : NULL);

    memset(info, 0, sizeof *info);
    info->resolved = nb && nb->resolved;
    info->mac_known = be->has_mac || info->resolved;
    info->mac = be->has_mac ? be->mac : info->resolved ? nb->mac
                                                       : eth_addr_zero;
    info->port = info->resolved ? ofp_to_u16(nb->port) : 0;
    /* What was last programmed: state, MAC, health and on_all_down. */
    const struct lb_backend_state *b = (br ? lb_find_backend_state(
                                                br, svc->id, be->id)
                                          : NULL);
    info->in_slots = b && b->in_slots;
    info->since = b ? b->since : 0;
}

bool
lb_bridge_status(const struct lb *lb, const char *bridge, bool *connected,
                 bool *synced)
{
    const struct lb_bridge *br = lb_find_bridge(lb, bridge);

    *connected = br && ofctrl_is_connected(br->ofctrl);
    *synced = br && ofctrl_is_synced(br->ofctrl);
    return br != NULL;
}

/* Changes whenever lb_service_rejection() or lb_count_healthy() may answer
 * differently for some service: every change of health, state, tunnel
 * or configuration reprograms its service (ofctrl_set_owner()), and OVS
 * rejecting an owner is counted too. */
uint64_t
lb_service_state_seqno(const struct lb *lb)
{
    const struct lb_bridge *br;
    uint64_t seqno = 0;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        seqno += ofctrl_get_rejection_seqno(br->ofctrl);
    }
    return seqno;
}

const char *
lb_service_rejection(const struct lb *lb, const struct dsr_service *svc)
{
    const struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);
    const char *error = br ? tunnel_service_error(&br->tunnels, svc) : NULL;

    return (error ? error
            : br ? ofctrl_get_rejection(br->ofctrl,
                                        dsr_cookie(DSR_COOKIE_SERVICE,
                                                   svc->id))
            : NULL);
}

/* The token is the sum of the bridges' round numbers: rounds only grow,
 * so "done" can be checked bridge by bridge against the rounds asked. */
unsigned long long
lb_request_stats(struct lb *lb)
{
    struct lb_bridge *br;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        br->stats_round = ofctrl_request_stats(br->ofctrl);
    }
    return ++lb->stats_requests;
}

bool
lb_stats_done(const struct lb *lb, unsigned long long token OVS_UNUSED)
{
    const struct lb_bridge *br;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        if (!ofctrl_stats_done(br->ofctrl, br->stats_round)) {
            return false;
        }
    }
    return true;
}

/* Packets and bytes that matched the service's classifier flows. */
void
lb_get_service_counters(const struct lb *lb, const struct dsr_service *svc,
                        struct ofctrl_counters *c)
{
    const struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);

    if (!br || !ofctrl_get_cookie_counters(
            br->ofctrl, dsr_cookie(DSR_COOKIE_SERVICE, svc->id), c)) {
        c->packets = c->bytes = 0;
    }
}

/* Packets and bytes delivered to the backend; false if it has no flow in
 * the last statistics. */
bool
lb_get_backend_counters(const struct lb *lb, const struct dsr_service *svc,
                        const struct dsr_backend *be,
                        struct ofctrl_counters *c)
{
    const struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);

    c->packets = c->bytes = 0;
    return br && ofctrl_get_backend_counters(br->ofctrl, svc->id,
                                             dsr_ip_slot_key(&be->ip), c);
}

void
lb_get_health(const struct lb *lb, const struct dsr_service *svc,
              const struct dsr_backend *be, struct health_status *status)
{
    health_get_status(lb->health, svc->id, &be->ip,
                      status);
}

/* The number of backends that could take new connections now: the
 * "has healthy backends" signal, for withdrawing a VIP. */
size_t
lb_count_healthy(const struct lb *lb, const struct dsr_service *svc)
{
    size_t n = 0;

    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        n += (be->state == DSR_BACKEND_ACTIVE
              && !health_is_down(lb->health, svc->id, &be->ip));
    }
    return n;
}

/* A backend the health checks found down. */
struct lb_down {
    struct hmap_node node;
    uint32_t service_id;
    struct in6_addr ip;
};

static uint32_t
hash_down(uint32_t service_id, const struct in6_addr *ip)
{
    return hash_bytes(ip, sizeof *ip, service_id);
}

static struct lb_down *
find_down(const struct lb *lb, uint32_t service_id, const struct in6_addr *ip)
{
    struct lb_down *d;

    HMAP_FOR_EACH_WITH_HASH (d, node, hash_down(service_id, ip),
                             &lb->health_down) {
        if (d->service_id == service_id && ipv6_addr_equals(&d->ip, ip)) {
            return d;
        }
    }
    return NULL;
}

/* Keeps the record of backends seen down, so that listing them costs in
 * proportion to them, not to every backend of every service. */
void
lb_note_health(struct lb *lb, uint32_t service_id, const struct in6_addr *ip,
               bool up)
{
    struct lb_down *d = find_down(lb, service_id, ip);

    if (up && d) {
        hmap_remove(&lb->health_down, &d->node);
        free(d);
    } else if (!up && !d) {
        d = xmalloc(sizeof *d);
        d->service_id = service_id;
        d->ip = *ip;
        hmap_insert(&lb->health_down, &d->node, hash_down(service_id, ip));
    }
    lb->health_seqno++;
}

/* Forgets what the checks said of service 'service_id''s backends (of
 * every service if 0). */
void
lb_forget_health(struct lb *lb, uint32_t service_id)
{
    struct lb_down *d;

    HMAP_FOR_EACH_SAFE (d, node, &lb->health_down) {
        if (!service_id || d->service_id == service_id) {
            hmap_remove(&lb->health_down, &d->node);
            free(d);
        }
    }
    lb->health_seqno++;
}

/* Changes whenever lb_get_backends_down() may answer differently. */
uint64_t
lb_health_seqno(const struct lb *lb)
{
    return lb->health_seqno;
}

/* Adds to 'down' "SERVICE/IP" for each backend that the health checks
 * take out of its service's slots now. */
void
lb_get_backends_down(const struct lb *lb, struct sset *down)
{
    const struct lb_down *d;

    HMAP_FOR_EACH (d, node, &lb->health_down) {
        const struct dsr_service *svc
            = dsr_config_find_service_by_id(lb->cfg, d->service_id);
        /* A backend that left its service, or came back into it, and has
         * not been checked since is not down. */
        if (svc && health_is_down(lb->health, d->service_id, &d->ip)) {
            struct ds s = DS_EMPTY_INITIALIZER;
            ds_put_format(&s, "%s/", svc->name);
            dsr_ip_format(&d->ip, &s);
            sset_add_and_free(down, ds_steal_cstr(&s));
        }
    }
}
