/* DSR-path health probes (controller/health.md): dsrd sends a SYN, or a
 * udp check's datagram, from the bridge's probe address to the VIP
 * through the data path, delivered to the backend as a client's packet is
 * after its slot (MAC rewrite, GRE or IPIP: the same actions as the
 * backend's flow in table 22), and the backend's answer comes back as a
 * packet-in. */
#include <config.h>
#include "controller/lb-private.h"

#include "controller/health.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "controller/probe-packet.h"
#include "dp-packet.h"
#include "flow.h"
#include "flows/pipeline.h"
#include "openvswitch/ofpbuf.h"
#include "random.h"

/* Sends 'packet' to backend 'ip' of 'svc' as the service's traffic to it
 * travels; returns false if it cannot be delivered (MAC unknown, tunnel
 * port missing). */
static bool
deliver(struct lb_bridge *br, const struct dsr_service *svc,
        const struct in6_addr *ip, struct dp_packet *packet)
{
    const struct dsr_backend *be = dsr_service_find_backend(svc, ip);
    const struct neighbor *nb = neighbor_find(&br->neighbors, ip);
    struct eth_addr mac = eth_addr_zero;
    uint32_t port = 0;
    uint64_t stub[128 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    if (!be || !ofctrl_is_connected(br->ofctrl)) {
        return false;
    } else if (svc->mode != DSR_MODE_L2) {
        if (!tunnel_delivery(&br->tunnels, svc, &port, &mac)) {
            return false;
        }
    } else if (be->has_mac || (nb && nb->resolved)) {
        mac = be->has_mac ? be->mac : nb->mac;
    } else {
        return false;
    }
    pipeline_put_delivery(lb_pipeline_mode(svc->mode), svc->mac, ip, mac,
                          port, &ofpacts);
    ofctrl_send_packet_out(br->ofctrl, packet, &ofpacts);
    ofpbuf_uninit(&ofpacts);
    return true;
}

/* The bridge's probe address of 'vip''s family, in 'src'; false if the
 * bridge has none. */
static bool
probe_source(const struct dsr_bridge_config *cfg, const struct in6_addr *vip,
             struct in6_addr *src)
{
    if (IN6_IS_ADDR_V4MAPPED(vip)) {
        *src = in6_addr_mapped_ipv4(cfg->probe_ip);
        return cfg->probe_ip != 0;
    }
    *src = cfg->probe_ip6;
    return ipv6_addr_is_set(&cfg->probe_ip6);
}

/* Sends a DSR-path probe: a SYN or a datagram from the bridge's probe
 * address to the VIP, delivered to the backend as a client's packet. */
bool
lb_probe_send(void *lb_, const struct health_dsr_probe *probe)
{
    struct lb *lb = lb_;
    const struct dsr_service *svc = dsr_config_find_service_by_id(
        lb->cfg, probe->service_id);
    struct lb_bridge *br = svc ? lb_find_bridge(lb, svc->bridge) : NULL;
    struct in6_addr src;
    struct dp_packet packet;
    bool sent;

    if (!br || !probe_source(br->cfg, &svc->vip, &src)) {
        return false;
    }
    dp_packet_init(&packet, 128 + probe->payload_len);
    if (probe->udp) {
        probe_packet_udp(&packet, br->cfg->mac, svc->mac, &src, &svc->vip,
                         probe->sport, probe->port, probe->payload,
                         probe->payload_len);
    } else {
        probe_packet_tcp(&packet, br->cfg->mac, svc->mac, &src, &svc->vip,
                         probe->sport, probe->port, random_uint32(), 0,
                         TCP_SYN);
    }
    sent = deliver(br, svc, &probe->ip, &packet);
    dp_packet_uninit(&packet);
    return sent;
}

/* 'flow''s addresses, IPv4-mapped for IPv4. */
static void
flow_addresses(const struct flow *flow, struct in6_addr *src,
               struct in6_addr *dst)
{
    if (flow->dl_type == htons(ETH_TYPE_IPV6)) {
        *src = flow->ipv6_src;
        *dst = flow->ipv6_dst;
    } else {
        *src = in6_addr_mapped_ipv4(flow->nw_src);
        *dst = in6_addr_mapped_ipv4(flow->nw_dst);
    }
}

/* A backend answered a DSR-path probe: tell the checker, and reset the
 * half-open connection a SYN-ACK leaves on the backend. */
static void
handle_probe_reply(struct lb_bridge *br, const struct flow *flow,
                   const struct dp_packet *reply)
{
    struct health_dsr_reply r;
    uint32_t service_id;
    struct in6_addr ip;

    if (health_dsr_reply_parse(flow, reply, &r)
        && health_dsr_reply(br->lb->health, &r, &service_id, &ip)
        && !r.udp && r.syn_ack) {
        const struct tcp_header *tcp = dp_packet_l4(reply);
        const struct dsr_service *svc = dsr_config_find_service_by_id(
            br->lb->cfg, service_id);
        struct in6_addr src, dst;
        struct dp_packet packet;

        flow_addresses(flow, &src, &dst);
        dp_packet_init(&packet, 128);
        probe_packet_tcp(&packet, flow->dl_dst, flow->dl_src, &dst, &src,
                         ntohs(flow->tp_dst), ntohs(flow->tp_src),
                         ntohl(get_16aligned_be32(&tcp->tcp_ack)), 0,
                         TCP_RST);
        if (svc) {
            deliver(br, svc, &ip, &packet);
        }
        dp_packet_uninit(&packet);
    }
}

/* Handles 'packet' if it answers a DSR-path probe (it is addressed to
 * one of the bridge's probe addresses); returns true if so. */
bool
lb_probe_packet_in(struct lb_bridge *br, const struct flow *flow,
                   const struct dp_packet *packet)
{
    const struct dsr_bridge_config *cfg = br->cfg;

    if (flow->nw_proto != IPPROTO_TCP && flow->nw_proto != IPPROTO_UDP) {
        return false;
    } else if ((flow->dl_type == htons(ETH_TYPE_IP) && cfg->probe_ip
                && flow->nw_dst == cfg->probe_ip)
               || (flow->dl_type == htons(ETH_TYPE_IPV6)
                   && ipv6_addr_is_set(&cfg->probe_ip6)
                   && ipv6_addr_equals(&flow->ipv6_dst, &cfg->probe_ip6))) {
        handle_probe_reply(br, flow, packet);
        return true;
    }
    return false;
}
