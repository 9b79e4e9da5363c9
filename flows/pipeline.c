/* Translation of bridges, VIPs, services and backend locations into
 * OpenFlow flows and groups.  Pure functions that never talk to a switch:
 * the few flows per object are written in ovs-ofctl syntax, the many
 * (a flow per backend, a bucket per slot) are built directly. */
#include <config.h>
#include "flows/pipeline.h"

#include "flows/flow-set.h"
#include "flows/slots.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "flow.h"
#include "util.h"

uint64_t
pipeline_mac_to_id(struct eth_addr mac)
{
    return eth_addr_to_uint64(mac);
}

static void
add_arp_responder(struct dsr_owner *owner, ovs_be32 ip, struct eth_addr mac)
{
    char *match = xasprintf("arp,arp_tpa="IP_FMT",arp_op=1", IP_ARGS(ip));
    char *actions = xasprintf("move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                              "set_field:"ETH_ADDR_FMT"->eth_src,"
                              "set_field:2->arp_op,"
                              "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
                              "set_field:"ETH_ADDR_FMT"->arp_sha,"
                              "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
                              "set_field:"IP_FMT"->arp_spa,"
                              "IN_PORT",
                              ETH_ADDR_ARGS(mac), ETH_ADDR_ARGS(mac),
                              IP_ARGS(ip));
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_RESPONDER,
                       match, actions);
    free(match);
    free(actions);
}

/* The bridge's own flows: normal switching for everything dsrd does not
 * claim, ARP replies addressed to dsrd's resolver, and, with a probe
 * address, ARP for it and the backends' answers to DSR-path probes.
 * Without 'pin_syns' (the kernel datapath: see flows/README.md,
 * "Connection pinning") SYNs pass table 21 unpinned. */
struct dsr_owner *
pipeline_base(struct eth_addr bridge_mac, ovs_be32 probe_ip, bool pin_syns)
{
    struct dsr_owner *owner = dsr_owner_create(dsr_cookie(DSR_COOKIE_BASE,
                                                          0));
    /* dsrd resolves backends with ARP probes (sender 0.0.0.0), so their
     * replies are for 0.0.0.0: the host's own ARP replies, to its address
     * on the bridge, which may share the MAC (a node announcing by BGP),
     * go on to the host. */
    char *match = xasprintf("arp,dl_dst="ETH_ADDR_FMT",arp_op=2,"
                            "arp_tpa=0.0.0.0", ETH_ADDR_ARGS(bridge_mac));

    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_FOR_DSRD,
                       match, "controller");
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_NORMAL, "",
                       "NORMAL");
    dsr_owner_add_flow(owner, DSR_TABLE_DELIVER, DSR_PRIO_NORMAL, "",
                       "NORMAL");
    free(match);

    /* Connection pinning, shared by all services (see pipeline_service()):
     * a pinned connection's ct_mark says its backend; a new one is
     * committed with the backend its slot chose. */
    match = xasprintf("move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],resubmit(,%d)",
                      DSR_TABLE_BACKEND);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_LOOKUP, DSR_PRIO_NORMAL, "ip",
                       match);
    free(match);
    match = xasprintf("ct(commit,zone=%d,exec(move:NXM_NX_REG1[]->"
                      "NXM_NX_CT_MARK[],move:NXM_NX_REG0[]->"
                      "NXM_NX_CT_LABEL[0..31])),resubmit(,%d)",
                      DSR_CT_ZONE, DSR_TABLE_BACKEND);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_COMMIT, DSR_PRIO_NORMAL, "ip",
                       match);
    free(match);
    if (!pin_syns) {
        /* The kernel's TCP tracker takes the client's ACK after a SYN it
         * saw alone (no SYN-ACK: DSR) for invalid, so a pin made by the
         * SYN would never be found: the handshake's next packet, new to
         * conntrack, commits the pin instead. */
        match = xasprintf("resubmit(,%d)", DSR_TABLE_BACKEND);
        dsr_owner_add_flow(owner, DSR_TABLE_CT_COMMIT, DSR_PRIO_SYN_UNPINNED,
                           "tcp,tcp_flags=+syn-ack", match);
        free(match);
    }
    /* An ICMP error conntrack relates to a pinned connection (its inner
     * header is the connection's reply) goes to that connection's
     * backend: the pin's label names the service, its mark the backend.
     * This is what makes path MTU discovery work through DSR. */
    match = xasprintf("move:NXM_NX_CT_LABEL[0..31]->NXM_NX_REG0[],"
                      "move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],"
                      "set_field:1->reg2,resubmit(,%d)", DSR_TABLE_BACKEND);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_RELATED, DSR_PRIO_NORMAL,
                       "ct_state=+rel+trk,ip", match);
    /* Fragments reassembled by conntrack carry their flow's pin, as the
     * related ICMP errors do.  A flow whose first datagram comes in
     * fragments has no pin yet and nothing to name its service (only
     * the first fragment has ports): it is dropped. */
    dsr_owner_add_flow(owner, DSR_TABLE_FRAGMENTS, DSR_PRIO_NORMAL,
                       "ct_state=+trk-inv,ip", match);
    free(match);
    /* Neither may pin anew (an ICMP error would re-pin its connection by
     * its own hash): without a valid pin they stop here. */
    dsr_owner_add_flow(owner, DSR_TABLE_BACKEND, DSR_PRIO_STALE_PIN_ONLY,
                       "reg2=1", "drop");
    if (probe_ip) {
        add_arp_responder(owner, probe_ip, bridge_mac);
        for (int tcp = 1; tcp >= 0; tcp--) {
            match = xasprintf("%s,nw_dst="IP_FMT, tcp ? "tcp" : "udp",
                              IP_ARGS(probe_ip));
            dsr_owner_add_flow(owner, DSR_TABLE_INGRESS,
                               DSR_PRIO_ARP_FOR_DSRD, match, "controller");
            free(match);
        }
    }
    return owner;
}

/* ",dl_dst=MAC" for a routed VIP's flows, else "". */
static char *
routed_match(const struct eth_addr *routed_to)
{
    return (routed_to
            ? xasprintf(",dl_dst="ETH_ADDR_FMT, ETH_ADDR_ARGS(*routed_to))
            : xstrdup(""));
}

/* A VIP: the bridge answers ARP for it with the service MAC (backends,
 * which hold the VIP on loopback, must never answer), and drops traffic to
 * it that no service claims instead of flooding it to every backend.
 *
 * A VIP routed to this node (announced by BGP, controller/announce.h) has
 * no ARP responder: routers send its packets to the node's own MAC,
 * 'routed_to', and only those are taken.  Frames of the VIP for another
 * node's MAC, which a switch floods when that node is gone, are dropped,
 * or every surviving node would deliver them. */
struct dsr_owner *
pipeline_vip(ovs_be32 vip, struct eth_addr mac,
             const struct eth_addr *routed_to)
{
    struct dsr_owner *owner = dsr_owner_create(
        dsr_cookie(DSR_COOKIE_VIP, ntohl(vip)));
    char *routed = routed_match(routed_to);
    char *match;

    if (!routed_to) {
        add_arp_responder(owner, vip, mac);
    }
    match = xasprintf("ip,nw_dst="IP_FMT, IP_ARGS(vip));
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_NO_SERVICE,
                       match, "drop");
    free(match);

    /* Fragments carry no ports after the first: conntrack reassembles
     * the datagram and gives every fragment its tuple (ct_tp_dst...). */
    match = xasprintf("ip,nw_dst="IP_FMT",ip_frag=yes%s", IP_ARGS(vip),
                      routed);
    char *frag_actions = xasprintf("ct(zone=%d,table=%d)", DSR_CT_ZONE,
                                   DSR_TABLE_FRAGMENTS);
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_FRAGMENT,
                       match, frag_actions);
    free(frag_actions);
    free(match);

    /* ICMP errors (destination unreachable, time exceeded) about the
     * backends' replies come to the VIP, their source. */
    char *actions = xasprintf("ct(zone=%d,table=%d)", DSR_CT_ZONE,
                              DSR_TABLE_CT_RELATED);
    for (int type = 3; type <= 11; type += 8) {
        match = xasprintf("icmp,nw_dst="IP_FMT",icmp_type=%d%s",
                          IP_ARGS(vip), type, routed);
        dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_ICMP_ERROR,
                           match, actions);
        free(match);
    }
    free(actions);
    free(routed);
    return owner;
}

/* The service's group: bucket i is slot i and loads its backend's
 * address into reg1. */
static void
set_slot_group(struct dsr_owner *owner, const struct pipeline_service *svc,
               const ovs_be32 *slot_ips)
{
    struct dsr_slot_group sg;

    memset(&sg, 0, sizeof sg);
    sg.hash_ip_src = svc->hash_source_ip;
    sg.next_table = (svc->pin_connections ? DSR_TABLE_CT_COMMIT
                                          : DSR_TABLE_BACKEND);
    memcpy(sg.slot_ips, slot_ips, sizeof sg.slot_ips);
    dsr_owner_set_slot_group(owner, svc->id, &sg);
}

/* What the per-backend flows of a service share. */
struct backend_rows_ctx {
    uint32_t service_id;
    uint32_t mode;              /* enum pipeline_mode. */
    struct eth_addr service_mac;
};

#define ROW_DELIVERABLE 1

static void
put_output(struct ofpbuf *ofpacts, uint32_t port)
{
    ofpact_put_OUTPUT(ofpacts)->port = u16_to_ofp(port);
}

/* DSR_TABLE_BACKEND: connections of the service pinned to a backend (or
 * placed on it by the group) go to it, by the service's mode
 * (flows/README.md, "Table 22"):
 *   l2    the backend's MAC as destination, table 10 finds its port;
 *   gre   the backend's address as tunnel destination, out of the GRE port
 *         (remote_ip=flow, packet_type=legacy_l3): outer IPv4 + GRE + the
 *         client's packet, untouched;
 *   ipip  the backend's address as packet mark, out of the internal port
 *         into the host's kernel, whose tc filter for that mark
 *         encapsulates it in IPIP (controller/ipip.c).
 * While a backend cannot be delivered to (MAC or port unknown) its
 * connections wait (are dropped) rather than lose their pins.  A row per
 * backend (flow-set.h): a big config has hundreds of thousands. */
static void
build_backend_flow(const void *ctx_, const struct dsr_row *row,
                   uint8_t *table_id, uint16_t *priority,
                   struct match *match, struct ofpbuf *ofpacts)
{
    const struct backend_rows_ctx *ctx = ctx_;
    ovs_be32 ip = htonl(row->key);

    *table_id = DSR_TABLE_BACKEND;
    *priority = DSR_PRIO_PINNED;
    match_set_reg(match, 0, ctx->service_id);
    match_set_reg(match, 1, row->key);
    if (!(row->flags & ROW_DELIVERABLE)) {
        return;
    }
    pipeline_put_delivery(ctx->mode, ctx->service_mac, ip, row->mac,
                          row->port, ofpacts);
}

/* Puts into 'ofpacts' what sends a packet of a service in 'mode' to the
 * backend 'ip' (at 'mac' or through 'port', as struct pipeline_backend
 * says): the actions of its DSR_TABLE_BACKEND flow, which dsrd's DSR-path
 * probes also use to travel as a client's packet does. */
void
pipeline_put_delivery(enum pipeline_mode mode, struct eth_addr service_mac,
                      ovs_be32 ip, struct eth_addr mac, uint32_t port,
                      struct ofpbuf *ofpacts)
{
    switch (mode) {
    case PIPELINE_MODE_GRE:
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_TUN_DST), &ip, NULL);
        put_output(ofpacts, port);
        break;
    case PIPELINE_MODE_IPIP:
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_PKT_MARK), &ip, NULL);
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_ETH_DST), &mac, NULL);
        put_output(ofpacts, port);
        break;
    case PIPELINE_MODE_L2:
    default: {
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_ETH_DST), &mac, NULL);
        ofpact_put_set_field(ofpacts, mf_from_id(MFF_ETH_SRC), &service_mac,
                             NULL);
        struct ofpact_resubmit *rs = ofpact_put_RESUBMIT(ofpacts);
        rs->in_port = OFPP_IN_PORT;
        rs->table_id = DSR_TABLE_DELIVER;
        break;
    }
    }
}

static void
set_backend_rows(struct dsr_owner *owner,
                 const struct pipeline_service *svc,
                 const struct pipeline_backend *backends, size_t n)
{
    struct backend_rows_ctx ctx;
    struct dsr_row *rows = xmalloc((n + 1) * sizeof *rows);

    memset(&ctx, 0, sizeof ctx);    /* Compared byte for byte. */
    ctx.service_id = svc->id;
    ctx.mode = svc->mode;
    ctx.service_mac = svc->mac;
    for (size_t i = 0; i < n; i++) {
        rows[i] = (struct dsr_row) {
            .key = ntohl(backends[i].ip),
            .mac = backends[i].has_mac ? backends[i].mac : eth_addr_zero,
            .flags = backends[i].has_mac ? ROW_DELIVERABLE : 0,
            .port = backends[i].has_mac ? backends[i].port : 0,
        };
    }
    dsr_owner_set_rows(owner, build_backend_flow, &ctx, sizeof ctx, rows, n);
    free(rows);
}

/* A service: its classifier flows (one per protocol) name the service in
 * reg0 and look the connection up in conntrack.  Per backend, a flow in
 * DSR_TABLE_BACKEND delivers the connections pinned to it (draining
 * backends keep theirs); a connection without a valid pin goes to the
 * group, whose bucket i is slot i of the table and pins the connection to
 * that slot's backend.  Pins name backends by address, so a pin to a
 * deleted backend never matches another. */
struct dsr_owner *
pipeline_service(const struct pipeline_service *svc,
                 const struct pipeline_backend *backends, size_t n_backends,
                 const ovs_be32 *slot_ips)
{
    struct dsr_owner *owner = dsr_owner_create(
        dsr_cookie(DSR_COOKIE_SERVICE, svc->id));
    struct ds s = DS_EMPTY_INITIALIZER;
    char *syn_actions = xasprintf("set_field:%"PRIu32"->reg0,group:%"PRIu32,
                                  svc->id, svc->id);
    /* Without pins every packet goes straight to the slots. */
    char *actions = (svc->pin_connections
                     ? xasprintf("set_field:%"PRIu32"->reg0,"
                                 "ct(zone=%d,table=%d)",
                                 svc->id, DSR_CT_ZONE, DSR_TABLE_CT_LOOKUP)
                     : xstrdup(syn_actions));

    for (int tcp = 1; tcp >= 0; tcp--) {
        if (tcp ? svc->tcp : svc->udp) {
            ds_clear(&s);
            ds_put_format(&s, "%s,nw_dst="IP_FMT, tcp ? "tcp" : "udp",
                          IP_ARGS(svc->vip));
            if (svc->routed) {
                ds_put_format(&s, ",dl_dst="ETH_ADDR_FMT,
                              ETH_ADDR_ARGS(svc->routed_to));
            }
            if (svc->port) {
                ds_put_format(&s, ",tp_dst=%"PRIu16, svc->port);
            }
            int priority = (svc->port ? DSR_PRIO_SERVICE_PORT
                            : DSR_PRIO_SERVICE_ALL_PORTS);
            dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, priority,
                               ds_cstr(&s), actions);
            if (tcp && svc->pin_connections) {
                /* A SYN starts a connection: no pin to look up, straight
                 * to the slots, and table 21 pins it to the slot's
                 * backend.  (Were the pin left to the handshake's next
                 * packet, a slot moved in between, by a weight change or
                 * a backend added, would send that packet to another
                 * backend, which resets the connection.)  A SYN sent
                 * again re-pins its connection to its slot's backend. */
                ds_put_cstr(&s, ",tcp_flags=+syn-ack");
                dsr_owner_add_flow(owner, DSR_TABLE_INGRESS,
                                   priority + DSR_PRIO_SYN_BONUS,
                                   ds_cstr(&s), syn_actions);
            }
        }
    }
    free(actions);
    free(syn_actions);

    set_backend_rows(owner, svc, backends, n_backends);
    if (svc->pin_connections) {
        char *match = xasprintf("reg0=%"PRIu32, svc->id);
        actions = xasprintf("group:%"PRIu32, svc->id);
        dsr_owner_add_flow(owner, DSR_TABLE_BACKEND, DSR_PRIO_UNPINNED,
                           match, actions);
        free(match);
        free(actions);
    }

    /* dp_hash: the datapath hashes the 5-tuple, no upcall per
     * connection.  source-ip needs OVS's hash method, one upcall per
     * client address. */
    set_slot_group(owner, svc, slot_ips);
    ds_destroy(&s);
    return owner;
}

/* Where a backend MAC lives, as learned from its ARP reply.  Delivery is
 * separate from the groups so that a backend moving to another port
 * changes two flows, not every group it belongs to.  A backend behind the
 * port the client's packet came in on (a one-armed load balancer) needs
 * IN_PORT, since OpenFlow never outputs to the ingress port otherwise. */
struct dsr_owner *
pipeline_backend_location(struct eth_addr mac, ofp_port_t port)
{
    struct dsr_owner *owner = dsr_owner_create(
        dsr_cookie(DSR_COOKIE_BACKEND, pipeline_mac_to_id(mac)));
    char *match, *actions;

    match = xasprintf("dl_dst="ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));
    actions = xasprintf("output:%"PRIu32, ofp_to_u16(port));
    dsr_owner_add_flow(owner, DSR_TABLE_DELIVER, DSR_PRIO_DELIVER, match,
                       actions);
    free(match);
    free(actions);

    match = xasprintf("in_port=%"PRIu32",dl_dst="ETH_ADDR_FMT,
                      ofp_to_u16(port), ETH_ADDR_ARGS(mac));
    dsr_owner_add_flow(owner, DSR_TABLE_DELIVER, DSR_PRIO_DELIVER_HAIRPIN,
                       match, "IN_PORT");
    free(match);
    return owner;
}
