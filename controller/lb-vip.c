/* VIPs on the segment: the packets dsrd itself sends for them.  A VIP
 * is announced when first programmed and after each reconnection
 * (gratuitous ARP for IPv4, an unsolicited Neighbor Advertisement and an
 * MLD report of its solicited-node group for IPv6), on a datapath that
 * cannot answer Neighbor Solicitations in flows (flows/pipeline.c,
 * add_nd_to_dsrd()) dsrd answers them, and it answers MLD queries
 * (controller/mld.h). */
#include <config.h>

#include "controller/lb-private.h"
#include "controller/mld.h"
#include "controller/ofctrl.h"
#include "coverage.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/vlog.h"
#include "timeval.h"

VLOG_DEFINE_THIS_MODULE(lb_vip);

/* Neighbor Advertisements dsrd sent in answer to a solicitation, and
 * solicitations it left unanswered over its budget; MLD reports sent. */
COVERAGE_DEFINE(lb_vip_na_sent);
COVERAGE_DEFINE(lb_vip_na_over_budget);
COVERAGE_DEFINE(lb_vip_mld_report);

/* Answers per second and bridge, at most: a flood of solicitations costs
 * dsrd a bounded amount (the datapath's flows answer for free where they
 * can). */
#define MAX_NA_PER_SEC 1000

/* VIPs are hashed by their owner's id, so that VIPs whose ids clash
 * meet in one bucket (lb_vip_clash()). */
uint32_t
lb_vip_hash(const struct in6_addr *ip)
{
    return hash_uint64(pipeline_vip_id(ip));
}

struct lb_vip *
lb_find_vip(const struct lb_bridge *br, const struct in6_addr *ip)
{
    struct lb_vip *vip;

    HMAP_FOR_EACH_WITH_HASH (vip, node, lb_vip_hash(ip), &br->vips) {
        if (ipv6_addr_equals(&vip->ip, ip)) {
            return vip;
        }
    }
    return NULL;
}

/* Another VIP of the bridge whose flows would share 'vip''s cookie (two
 * IPv6 VIPs whose 47-bit hashes clash, pipeline_vip_id()), or NULL. */
const struct lb_vip *
lb_vip_clash(const struct lb_bridge *br, const struct lb_vip *vip)
{
    const struct lb_vip *other;
    uint64_t id = pipeline_vip_id(&vip->ip);

    HMAP_FOR_EACH_WITH_HASH (other, node, lb_vip_hash(&vip->ip), &br->vips) {
        if (other != vip && pipeline_vip_id(&other->ip) == id) {
            return other;
        }
    }
    return NULL;
}

/* Gratuitous ARP for an IPv4 VIP, an unsolicited Neighbor Advertisement
 * (override, not solicited, to all nodes) for an IPv6 one, so that
 * neighbors that know the VIP learn the service MAC at once instead of
 * waiting for their cache entries to expire. */
void
lb_vip_announce(struct lb_bridge *br, const struct lb_vip *vip)
{
    struct dp_packet packet;
    char ip_s[INET6_ADDRSTRLEN];

    dp_packet_init(&packet, 0);
    if (IN6_IS_ADDR_V4MAPPED(&vip->ip)) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(&vip->ip);
        compose_arp(&packet, ARP_OP_REQUEST, vip->mac, eth_addr_zero, true,
                    ip4, ip4);
    } else {
        static const struct in6_addr all_nodes = IN6ADDR_ALL_HOSTS_INIT;
        struct eth_addr dst;
        ipv6_multicast_to_ethernet(&dst, &all_nodes);
        compose_nd_na(&packet, vip->mac, dst, &vip->ip, &all_nodes,
                      htonl(ND_RSO_OVERRIDE));
        lb_vip_send_mld_report(br, &vip->ip, 1, MLD2_CHANGE_TO_EXCLUDE);
    }
    ofctrl_send_packet(br->ofctrl, &packet, OFPP_FLOOD);
    dp_packet_uninit(&packet);
    VLOG_INFO("%s: announced VIP %s at "ETH_ADDR_FMT, br->cfg->name,
              dsr_ip_to_string(&vip->ip, ip_s), ETH_ADDR_ARGS(vip->mac));
}

/* MLD reports joining the solicited-node groups of 'addrs', out of every
 * port: the switch's snooping then forwards their solicitations here. */
void
lb_vip_send_mld_report(struct lb_bridge *br, const struct in6_addr *addrs,
                       size_t n, uint8_t type)
{
    for (size_t i = 0; i < n; i += MLD_MAX_RECORDS) {
        struct dp_packet packet;

        dp_packet_init(&packet, 0);
        mld_compose_report(&packet, br->cfg->mac, &addrs[i],
                           MIN(n - i, MLD_MAX_RECORDS), type);
        ofctrl_send_packet(br->ofctrl, &packet, OFPP_FLOOD);
        dp_packet_uninit(&packet);
        COVERAGE_INC(lb_vip_mld_report);
    }
}

static bool
take_na_budget(struct lb_bridge *br)
{
    long long int second = time_msec() / 1000;

    if (second != br->na_second) {
        br->na_second = second;
        br->na_budget = MAX_NA_PER_SEC;
    }
    if (!br->na_budget) {
        COVERAGE_INC(lb_vip_na_over_budget);
        return false;
    }
    br->na_budget--;
    return true;
}

static bool
is_icmp6(const struct flow *flow, uint8_t type)
{
    return (flow->dl_type == htons(ETH_TYPE_IPV6)
            && flow->nw_proto == IPPROTO_ICMPV6
            && flow->tp_src == htons(type));
}

/* If 'flow' is a Neighbor Solicitation for one of the bridge's VIPs or
 * its IPv6 probe address (sent to dsrd by add_nd_to_dsrd()'s flow),
 * answers it out of the port it came in on, with the service (or bridge)
 * MAC, and returns true. */
bool
lb_vip_answer_ns(struct lb_bridge *br, const struct flow *flow,
                 ofp_port_t in_port)
{
    if (!is_icmp6(flow, ND_NEIGHBOR_SOLICIT)) {
        return false;
    }
    const struct lb_vip *vip = lb_find_vip(br, &flow->nd_target);
    bool probe_ip = (ipv6_addr_is_set(&br->cfg->probe_ip6)
                     && ipv6_addr_equals(&flow->nd_target,
                                         &br->cfg->probe_ip6));
    if ((!vip && !probe_ip) || !ipv6_addr_is_set(&flow->ipv6_src)) {
        /* Not ours, or duplicate address detection: silence. */
        return vip || probe_ip;
    }
    if (take_na_budget(br)) {
        struct dp_packet na;

        dp_packet_init(&na, 0);
        compose_nd_na(&na, vip ? vip->mac : br->cfg->mac, flow->dl_src,
                      &flow->nd_target, &flow->ipv6_src,
                      htonl(ND_RSO_SOLICITED | ND_RSO_OVERRIDE));
        ofctrl_send_packet(br->ofctrl, &na, in_port);
        dp_packet_uninit(&na);
        COVERAGE_INC(lb_vip_na_sent);
    }
    return true;
}

/* If 'flow' is an MLD query (sent to dsrd, and switched on, by
 * pipeline_base()'s flow), answers it with reports of the groups of the
 * bridge's IPv6 VIPs and probe_ip6, unless 'routed' (VIPs announced by
 * BGP, which no neighbor solicits), and returns true. */
bool
lb_vip_answer_mld_query(struct lb_bridge *br, const struct flow *flow,
                        bool routed)
{
    if (!is_icmp6(flow, MLD_QUERY)) {
        return false;
    }
    if (routed || !take_na_budget(br)) {
        return true;
    }

    struct in6_addr *addrs = xmalloc((hmap_count(&br->vips) + 1)
                                     * sizeof *addrs);
    const struct lb_vip *vip;
    size_t n = 0;
    HMAP_FOR_EACH (vip, node, &br->vips) {
        if (!IN6_IS_ADDR_V4MAPPED(&vip->ip) && vip->programmed) {
            addrs[n++] = vip->ip;
        }
    }
    if (ipv6_addr_is_set(&br->cfg->probe_ip6)) {
        addrs[n++] = br->cfg->probe_ip6;
    }
    lb_vip_send_mld_report(br, addrs, n, MLD2_MODE_IS_EXCLUDE);
    free(addrs);
    return true;
}
