/* ARP and ND resolution of backend MACs and ports.  See neighbor.h. */
#include <config.h>
#include "controller/neighbor.h"

#include <string.h>
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "coverage.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(neighbor);

/* ARP requests and Neighbor Solicitations sent (ovs-appctl -t dsrd
 * coverage/show). */
COVERAGE_DEFINE(neighbor_probe);
/* Neighbors taken from the switch's flows after a (re)connection. */
COVERAGE_DEFINE(neighbor_adopted);

/* Unresolved: probe quickly at first, then back off, doubling up to the
 * refresh interval. */
#define FAST_PROBE_MS 200
#define FAST_PROBES 5
#define DEFAULT_REFRESH_MS 5000

/* A resolved neighbor is refreshed with unicast probes (no broadcast to
 * the whole segment); after this many go unanswered it may have moved or
 * changed MAC, and probes are broadcast again. */
#define UNICAST_PROBES 2

/* Probes per second, at most: a cold start with hundreds of thousands of
 * backends spreads its ARPs out instead of flooding the segment. */
#define MAX_PROBES_PER_SEC 2000

void
neighbor_table_init(struct neighbor_table *t, struct eth_addr mac)
{
    hmap_init(&t->neighbors);
    heap_init(&t->due);
    t->n_unresolved = 0;
    t->mac = mac;
    t->refresh_ms = DEFAULT_REFRESH_MS;
    t->connected = false;
    t->next_wakeup = LLONG_MAX;
    t->budget_second = 0;
    t->budget = 0;
}

void
neighbor_table_destroy(struct neighbor_table *t)
{
    struct neighbor *n;

    HMAP_FOR_EACH_POP (n, node, &t->neighbors) {
        free(n);
    }
    hmap_destroy(&t->neighbors);
    heap_destroy(&t->due);
}

/* Heap priority of a probe time: the earliest is the heap's maximum. */
static uint64_t
due_priority(long long int when)
{
    return UINT64_MAX - (uint64_t) MAX(when, 0);
}

static void
set_next_probe(struct neighbor_table *t, struct neighbor *n,
               long long int when)
{
    n->next_probe = when;
    heap_change(&t->due, &n->due_node, due_priority(when));
    t->next_wakeup = MIN(t->next_wakeup, when);
}

const struct neighbor *
neighbor_find(const struct neighbor_table *t, const struct in6_addr *ip)
{
    struct neighbor *n;

    HMAP_FOR_EACH_WITH_HASH (n, node, dsr_ip_hash(ip, 0), &t->neighbors) {
        if (ipv6_addr_equals(&n->ip, ip)) {
            return n;
        }
    }
    return NULL;
}

void
neighbor_ref(struct neighbor_table *t, const struct in6_addr *ip)
{
    struct neighbor *n = CONST_CAST(struct neighbor *, neighbor_find(t, ip));

    if (!n) {
        n = xzalloc(sizeof *n);
        n->ip = *ip;
        n->next_probe = time_msec();
        t->next_wakeup = MIN(t->next_wakeup, n->next_probe);
        hmap_insert(&t->neighbors, &n->node, dsr_ip_hash(ip, 0));
        heap_insert(&t->due, &n->due_node, due_priority(n->next_probe));
        t->n_unresolved++;
    }
    n->refcount++;
}

void
neighbor_unref(struct neighbor_table *t, const struct in6_addr *ip)
{
    struct neighbor *n = CONST_CAST(struct neighbor *, neighbor_find(t, ip));

    if (n && !--n->refcount) {
        t->n_unresolved -= !n->resolved;
        hmap_remove(&t->neighbors, &n->node);
        heap_remove(&t->due, &n->due_node);
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
        heap_raw_change(&n->due_node, due_priority(now));
    }
    heap_rebuild(&t->due);
    t->next_wakeup = now;
}

static void
send_probe(const struct neighbor_table *t, struct ofctrl *ofc,
           const struct neighbor *n)
{
    bool unicast = n->resolved && n->n_probes < UNICAST_PROBES;
    struct dp_packet packet;

    COVERAGE_INC(neighbor_probe);
    dp_packet_init(&packet, 0);
    if (IN6_IS_ADDR_V4MAPPED(&n->ip)) {
        compose_arp(&packet, ARP_OP_REQUEST, t->mac, eth_addr_zero, !unicast,
                    htonl(0), in6_addr_get_mapped_ipv4(&n->ip));
    } else {
        /* To the solicited-node group; a unicast refresh goes to the
         * backend's MAC, which it accepts as it is in that group. */
        struct in6_addr lla;
        in6_generate_lla(t->mac, &lla);
        compose_nd_ns(&packet, t->mac, &lla, &n->ip);
    }
    if (unicast) {
        struct eth_header *eth = dp_packet_eth(&packet);
        eth->eth_dst = n->mac;
    }
    ofctrl_send_packet(ofc, &packet, unicast ? n->port : OFPP_FLOOD);
    dp_packet_uninit(&packet);
}

/* Time to the next probe of 'n', which has just been probed. */
static long long int
probe_interval(const struct neighbor_table *t, const struct neighbor *n)
{
    if (n->n_probes <= FAST_PROBES) {
        return FAST_PROBE_MS;
    }
    long long int backoff = (long long int) FAST_PROBE_MS
                            << MIN(n->n_probes - FAST_PROBES, 10);
    return MIN(backoff, t->refresh_ms);
}

void
neighbor_run(struct neighbor_table *t, struct ofctrl *ofc)
{
    long long int now = time_msec();
    struct neighbor *n;

    t->connected = ofctrl_is_connected(ofc);
    if (!t->connected || now < t->next_wakeup) {
        /* Nothing due. */
        return;
    }
    if (now / 1000 != t->budget_second) {
        t->budget_second = now / 1000;
        t->budget = MAX_PROBES_PER_SEC;
    }
    while (!heap_is_empty(&t->due) && t->budget > 0) {
        n = CONTAINER_OF(heap_max(&t->due), struct neighbor, due_node);
        if (n->next_probe > now) {
            break;
        }
        t->budget--;
        send_probe(t, ofc, n);
        n->n_probes++;
        set_next_probe(t, n, now + probe_interval(t, n));
    }
    t->next_wakeup = LLONG_MAX;
    if (!heap_is_empty(&t->due)) {
        n = CONTAINER_OF(heap_max(&t->due), struct neighbor, due_node);
        t->next_wakeup = n->next_probe;
    }
    if (!t->budget) {
        t->next_wakeup = MAX(t->next_wakeup, (t->budget_second + 1) * 1000);
    }
    if (t->next_wakeup == LLONG_MAX) {
        t->next_wakeup = now + t->refresh_ms;
    }
}

void
neighbor_wait(const struct neighbor_table *t)
{
    /* Nothing to probe while the bridge is away: the reconnection wakes
     * us. */
    if (t->connected && t->next_wakeup != LLONG_MAX) {
        poll_timer_wait_until(t->next_wakeup);
    }
}

/* The address an ARP reply or a Neighbor Advertisement in 'flow'
 * resolves, into '*ip': false if 'flow' is neither. */
static bool
reply_address(const struct flow *flow, struct in6_addr *ip)
{
    if (flow->dl_type == htons(ETH_TYPE_ARP)
        && flow->nw_proto == ARP_OP_REPLY) {
        in6_addr_set_mapped_ipv4(ip, flow->nw_src);
        return true;
    }
    if (flow->dl_type == htons(ETH_TYPE_IPV6)
        && flow->nw_proto == IPPROTO_ICMPV6
        && flow->tp_src == htons(ND_NEIGHBOR_ADVERT)) {
        *ip = flow->nd_target;
        return true;
    }
    return false;
}

static void
log_change(const struct neighbor *n, struct eth_addr mac, ofp_port_t port)
{
    char s[INET6_ADDRSTRLEN];

    ipv6_string_mapped(s, &n->ip);
    if (n->resolved) {
        VLOG_INFO("%s moved: "ETH_ADDR_FMT" port %"PRIu32" -> "
                  ETH_ADDR_FMT" port %"PRIu32, s,
                  ETH_ADDR_ARGS(n->mac), ofp_to_u16(n->port),
                  ETH_ADDR_ARGS(mac), ofp_to_u16(port));
    } else {
        VLOG_INFO("%s is at "ETH_ADDR_FMT" on port %"PRIu32, s,
                  ETH_ADDR_ARGS(mac), ofp_to_u16(port));
    }
}

/* 'n' is at 'mac' behind 'in_port': records it, and in '*change' what
 * changed; logs a change if 'log'. */
static void
learn(struct neighbor_table *t, struct neighbor *n, struct eth_addr mac,
      ofp_port_t in_port, bool log, struct neighbor_change *change)
{
    change->was_resolved = n->resolved;
    change->old_mac = n->mac;
    if (!n->resolved || !eth_addr_equals(n->mac, mac)
        || n->port != in_port) {
        if (log) {
            log_change(n, mac, in_port);
        }
        t->n_unresolved -= !n->resolved;
        n->resolved = true;
        n->mac = mac;
        n->port = in_port;
        change->changed = true;
    }
    n->resolved_at = time_msec();
    n->n_probes = 0;
    set_next_probe(t, n, n->resolved_at + t->refresh_ms);
}

/* Learns from an ARP reply or a Neighbor Advertisement in 'flow' that
 * arrived on 'in_port'.  Returns the neighbor it concerns, or NULL if
 * 'flow' is neither or dsrd did not ask; '*change' says what it changed. */
const struct neighbor *
neighbor_handle_reply(struct neighbor_table *t, const struct flow *flow,
                      ofp_port_t in_port, struct neighbor_change *change)
{
    struct in6_addr ip;
    struct neighbor *n;

    memset(change, 0, sizeof *change);
    if (!reply_address(flow, &ip)) {
        return NULL;
    }
    /* The sender's MAC (ARP) or the target link-layer option (ND, which
     * an advertisement solicited by a multicast NS must carry: RFC 4861,
     * 7.2.4). */
    struct eth_addr mac = (flow->dl_type == htons(ETH_TYPE_ARP)
                           ? flow->arp_sha : flow->arp_tha);
    /* Backends' traffic is sent to this MAC: a multicast or zero one
     * would flood it or blackhole it. */
    if (eth_addr_is_multicast(mac) || eth_addr_is_zero(mac)) {
        return NULL;
    }
    n = CONST_CAST(struct neighbor *, neighbor_find(t, &ip));
    if (!n || !n->n_probes) {
        /* Unsolicited: dsrd did not ask since the last answer.  Taking it
         * would let any host on the segment claim a backend's traffic. */
        return NULL;
    }
    learn(t, n, mac, in_port, true, change);
    return n;
}

/* Takes what the switch's flows say of a neighbor that dsrd has not
 * resolved yet (its MAC, and 'port' behind it), as if it had answered:
 * after a restart, dsrd need not wait for answers to know what the switch
 * already does.  The next probes check it.  Returns the neighbor, or NULL
 * if 'ip' has none or it is resolved already; '*change' as
 * neighbor_handle_reply() says. */
const struct neighbor *
neighbor_adopt(struct neighbor_table *t, const struct in6_addr *ip,
               struct eth_addr mac, ofp_port_t port,
               struct neighbor_change *change)
{
    struct neighbor *n = CONST_CAST(struct neighbor *, neighbor_find(t, ip));

    memset(change, 0, sizeof *change);
    if (!n || n->resolved) {
        return NULL;
    }
    learn(t, n, mac, port, false, change);
    /* Checked at once by a unicast probe to 'port': a backend that changed
     * its MAC while dsrd was away is found by the broadcasts that follow
     * unanswered ones. */
    set_next_probe(t, n, time_msec());
    COVERAGE_INC(neighbor_adopted);
    return n;
}

/* True if no neighbor is still waiting for its first answer. */
bool
neighbor_table_settled(const struct neighbor_table *t)
{
    return !t->n_unresolved;
}
