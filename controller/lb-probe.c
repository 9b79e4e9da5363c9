/* DSR-path health probes (controller/health.md): dsrd sends a SYN from
 * the bridge's probe address to the VIP through the data path, as a
 * client's packet after its slot, and the backend's answer comes back
 * as a packet-in.  Only l2 services are probed this way yet. */
#include <config.h>
#include "controller/lb-private.h"

#include "controller/health.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "controller/probe-packet.h"
#include "dp-packet.h"
#include "flow.h"
#include "flows/pipeline.h"
#include "random.h"

/* Sends a DSR-path probe: a SYN from the bridge's probe address to the VIP,
 * addressed to the backend's MAC and delivered by table 10, exactly as a
 * client's packet after its bucket. */
bool
lb_probe_send(void *lb_, uint32_t service_id, ovs_be32 ip, uint16_t port,
              uint16_t sport)
{
    struct lb *lb = lb_;
    const struct dsr_service *svc = dsr_config_find_service_by_id(lb->cfg,
                                                                  service_id);
    struct lb_bridge *br = svc ? lb_find_bridge(lb, svc->bridge) : NULL;
    const struct dsr_backend *be = svc ? dsr_service_find_backend(svc, ip)
                                       : NULL;
    const struct neighbor *nb = br ? neighbor_find(&br->neighbors, ip)
                                   : NULL;
    struct dp_packet packet;

    /* DSR-path probes through tunnels are not done yet. */
    if (!be || !br || !br->cfg->probe_ip || svc->mode != DSR_MODE_L2
        || !ofctrl_is_connected(br->ofctrl)
        || (!be->has_mac && !(nb && nb->resolved))) {
        return false;
    }
    dp_packet_init(&packet, 128);
    probe_packet_tcp(&packet, svc->mac, be->has_mac ? be->mac : nb->mac,
                     br->cfg->probe_ip, svc->vip, sport, port,
                     random_uint32(), 0, TCP_SYN);
    ofctrl_send_packet_to_table(br->ofctrl, &packet, DSR_TABLE_DELIVER);
    dp_packet_uninit(&packet);
    return true;
}

/* A backend answered a DSR-path probe: tell the checker, and reset the
 * half-open connection on the backend. */
static void
handle_probe_reply(struct lb_bridge *br, const struct flow *flow,
                   const struct dp_packet *reply)
{
    uint16_t tcp_flags = ntohs(flow->tcp_flags);
    const struct tcp_header *tcp = dp_packet_l4(reply);

    if (!tcp || dp_packet_l4_size(reply) < sizeof *tcp) {
        return;
    }

    if (tcp_flags & TCP_RST) {
        health_dsr_reply(br->lb->health, ntohs(flow->tp_dst), false);
    } else if ((tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
        struct dp_packet packet;

        health_dsr_reply(br->lb->health, ntohs(flow->tp_dst), true);
        dp_packet_init(&packet, 128);
        probe_packet_tcp(&packet, flow->dl_dst, flow->dl_src,
                         flow->nw_dst, flow->nw_src, ntohs(flow->tp_dst),
                         ntohs(flow->tp_src),
                         ntohl(get_16aligned_be32(&tcp->tcp_ack)), 0,
                         TCP_RST);
        ofctrl_send_packet_to_table(br->ofctrl, &packet, DSR_TABLE_DELIVER);
        dp_packet_uninit(&packet);
    }
}

/* Handles 'packet' if it answers a DSR-path probe (it is addressed to
 * the bridge's probe address); returns true if so. */
bool
lb_probe_packet_in(struct lb_bridge *br, const struct flow *flow,
                   const struct dp_packet *packet)
{
    if (br->cfg->probe_ip && flow->dl_type == htons(ETH_TYPE_IP)
        && flow->nw_proto == IPPROTO_TCP
        && flow->nw_dst == br->cfg->probe_ip) {
        handle_probe_reply(br, flow, packet);
        return true;
    }
    return false;
}
