/* ARP-based resolution of backend MACs and ports.  See neighbor.h. */
#include <config.h>
#include "controller/neighbor.h"

#include "controller/ofctrl.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(neighbor);

/* Unresolved: probe quickly at first, then settle at once per second. */
#define FAST_PROBE_MS 200
#define FAST_PROBES 5
#define SLOW_PROBE_MS 1000
#define DEFAULT_REFRESH_MS 30000

/* At most this many probes per neighbor_run(): a cold start with
 * hundreds of thousands of backends spreads its ARPs out. */
#define MAX_PROBES_PER_RUN 256

void
neighbor_table_init(struct neighbor_table *t, struct eth_addr mac)
{
    hmap_init(&t->neighbors);
    t->mac = mac;
    t->refresh_ms = DEFAULT_REFRESH_MS;
}

void
neighbor_table_destroy(struct neighbor_table *t)
{
    struct neighbor *n;

    HMAP_FOR_EACH_POP (n, node, &t->neighbors) {
        free(n);
    }
    hmap_destroy(&t->neighbors);
}

const struct neighbor *
neighbor_find(const struct neighbor_table *t, ovs_be32 ip)
{
    struct neighbor *n;

    HMAP_FOR_EACH_WITH_HASH (n, node, hash_int((OVS_FORCE uint32_t) ip, 0),
                             &t->neighbors) {
        if (n->ip == ip) {
            return n;
        }
    }
    return NULL;
}

void
neighbor_ref(struct neighbor_table *t, ovs_be32 ip)
{
    struct neighbor *n = CONST_CAST(struct neighbor *, neighbor_find(t, ip));

    if (!n) {
        n = xzalloc(sizeof *n);
        n->ip = ip;
        n->next_probe = time_msec();
        hmap_insert(&t->neighbors, &n->node,
                    hash_int((OVS_FORCE uint32_t) ip, 0));
    }
    n->refcount++;
}

void
neighbor_unref(struct neighbor_table *t, ovs_be32 ip)
{
    struct neighbor *n = CONST_CAST(struct neighbor *, neighbor_find(t, ip));

    if (n && !--n->refcount) {
        hmap_remove(&t->neighbors, &n->node);
        free(n);
    }
}

/* After a reconnection the switch may sit elsewhere in the network. */
void
neighbor_probe_all_soon(struct neighbor_table *t)
{
    struct neighbor *n;
    long long int now = time_msec();

    HMAP_FOR_EACH (n, node, &t->neighbors) {
        n->next_probe = now;
        n->n_probes = 0;
    }
}

static void
send_probe(const struct neighbor_table *t, struct ofctrl *ofc, ovs_be32 ip)
{
    struct dp_packet packet;

    dp_packet_init(&packet, 0);
    compose_arp(&packet, ARP_OP_REQUEST, t->mac, eth_addr_zero, true,
                htonl(0), ip);
    ofctrl_send_packet(ofc, &packet, OFPP_FLOOD);
    dp_packet_uninit(&packet);
}

static long long int
probe_interval(const struct neighbor_table *t, const struct neighbor *n)
{
    if (n->resolved && n->n_probes == 0) {
        return t->refresh_ms;
    }
    return n->n_probes < FAST_PROBES ? FAST_PROBE_MS : SLOW_PROBE_MS;
}

void
neighbor_run(struct neighbor_table *t, struct ofctrl *ofc)
{
    long long int now = time_msec();
    int budget = MAX_PROBES_PER_RUN;
    struct neighbor *n;

    if (!ofctrl_is_connected(ofc)) {
        return;
    }
    HMAP_FOR_EACH (n, node, &t->neighbors) {
        if (n->next_probe <= now && budget > 0) {
            budget--;
            send_probe(t, ofc, n->ip);
            n->n_probes++;
            n->next_probe = now + probe_interval(t, n);
        }
    }
}

void
neighbor_wait(const struct neighbor_table *t)
{
    const struct neighbor *n;

    HMAP_FOR_EACH (n, node, &t->neighbors) {
        poll_timer_wait_until(n->next_probe);
    }
}

/* Learns from an ARP reply in 'flow' that arrived on 'in_port'.  Returns
 * the neighbor it concerns, or NULL if dsrd did not ask; '*changed' tells
 * whether its MAC or port differs from before. */
const struct neighbor *
neighbor_handle_arp(struct neighbor_table *t, const struct flow *flow,
                    ofp_port_t in_port, bool *changed)
{
    struct neighbor *n;

    *changed = false;
    if (flow->dl_type != htons(ETH_TYPE_ARP)
        || flow->nw_proto != ARP_OP_REPLY) {
        return NULL;
    }
    n = CONST_CAST(struct neighbor *, neighbor_find(t, flow->nw_src));
    if (!n) {
        return NULL;
    }
    if (!n->resolved || !eth_addr_equals(n->mac, flow->arp_sha)
        || n->port != in_port) {
        if (n->resolved) {
            VLOG_INFO(IP_FMT" moved: "ETH_ADDR_FMT" port %"PRIu32" -> "
                      ETH_ADDR_FMT" port %"PRIu32, IP_ARGS(n->ip),
                      ETH_ADDR_ARGS(n->mac), ofp_to_u16(n->port),
                      ETH_ADDR_ARGS(flow->arp_sha), ofp_to_u16(in_port));
        } else {
            VLOG_INFO(IP_FMT" is at "ETH_ADDR_FMT" on port %"PRIu32,
                      IP_ARGS(n->ip), ETH_ADDR_ARGS(flow->arp_sha),
                      ofp_to_u16(in_port));
        }
        n->resolved = true;
        n->mac = flow->arp_sha;
        n->port = in_port;
        *changed = true;
    }
    n->resolved_at = time_msec();
    n->n_probes = 0;
    n->next_probe = n->resolved_at + t->refresh_ms;
    return n;
}
