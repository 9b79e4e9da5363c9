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
#include "hash.h"
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

/* Connection pinning, shared by all services (see pipeline_service()),
 * for IPv4 ('v6' false) or IPv6: the same layout for both, a pin's
 * ct_mark names its backend (an IPv4 address, or an IPv6 backend's
 * 32-bit key) and its ct_label[0..31] its service. */
static void
add_pin_flows(struct dsr_owner *owner, bool v6, bool pin_syns)
{
    const char *ip = v6 ? "ipv6" : "ip";
    char *match, *actions;

    /* A pinned connection's ct_mark says its backend; a new one is
     * committed with the backend its slot chose. */
    actions = xasprintf("move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],resubmit(,%d)",
                        DSR_TABLE_BACKEND);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_LOOKUP, DSR_PRIO_NORMAL, ip,
                       actions);
    free(actions);
    actions = xasprintf("ct(commit,zone=%d,exec(move:NXM_NX_REG1[]->"
                        "NXM_NX_CT_MARK[],move:NXM_NX_REG0[]->"
                        "NXM_NX_CT_LABEL[0..31])),resubmit(,%d)",
                        DSR_CT_ZONE, DSR_TABLE_BACKEND);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_COMMIT, DSR_PRIO_NORMAL, ip,
                       actions);
    free(actions);
    if (!pin_syns) {
        /* The kernel's TCP tracker takes the client's ACK after a SYN it
         * saw alone (no SYN-ACK: DSR) for invalid, so a pin made by the
         * SYN would never be found: the handshake's next packet, new to
         * conntrack, commits the pin instead.
         *
         * The SYN still looks its 5-tuple up.  An earlier connection
         * from the same client port may have left its pin: one-way, the
         * tracker leaves a closed connection in FIN_WAIT or CLOSE_WAIT
         * (minutes) and ignores a SYN there, so the new connection's next
         * packets would follow the old pin to the old backend, whose
         * TIME_WAIT socket answers them with bare ACKs: the connection
         * hangs (Linux starts a new run of source ports every 10 s, and
         * NAT gateways reuse ports).  A SYN that finds a pin (ct_mark set)
         * re-pins it to its own slot's backend by the commit flow below,
         * as a SYN does on the other datapaths; a SYN without one (no
         * entry, or one the tracker dropped to reopen it) passes
         * unpinned. */
        const char *tcp = v6 ? "tcp6" : "tcp";
        match = xasprintf("ct_state=-trk,%s,tcp_flags=+syn-ack", tcp);
        actions = xasprintf("ct(zone=%d,table=%d)", DSR_CT_ZONE,
                            DSR_TABLE_CT_COMMIT);
        dsr_owner_add_flow(owner, DSR_TABLE_CT_COMMIT, DSR_PRIO_SYN_UNPINNED,
                           match, actions);
        free(match);
        free(actions);
        match = xasprintf("ct_state=+trk,ct_mark=0,%s,tcp_flags=+syn-ack",
                          tcp);
        actions = xasprintf("resubmit(,%d)", DSR_TABLE_BACKEND);
        dsr_owner_add_flow(owner, DSR_TABLE_CT_COMMIT, DSR_PRIO_SYN_UNPINNED,
                           match, actions);
        free(match);
        free(actions);
    }
    /* An ICMP error conntrack relates to a pinned connection (its inner
     * header is the connection's reply) goes to that connection's
     * backend: the pin's label names the service, its mark the backend.
     * This is what makes path MTU discovery work through DSR. */
    actions = xasprintf("move:NXM_NX_CT_LABEL[0..31]->NXM_NX_REG0[],"
                        "move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],"
                        "set_field:1->reg2,resubmit(,%d)", DSR_TABLE_BACKEND);
    match = xasprintf("ct_state=+rel+trk,%s", ip);
    dsr_owner_add_flow(owner, DSR_TABLE_CT_RELATED, DSR_PRIO_NORMAL, match,
                       actions);
    free(match);
    /* Fragments reassembled by conntrack carry their flow's pin, as the
     * related ICMP errors do.  A flow whose first datagram comes in
     * fragments has no pin yet and nothing to name its service (only
     * the first fragment has ports): it is dropped. */
    match = xasprintf("ct_state=+trk-inv,%s", ip);
    dsr_owner_add_flow(owner, DSR_TABLE_FRAGMENTS, DSR_PRIO_NORMAL, match,
                       actions);
    free(match);
    free(actions);
}

static void add_probe_ip6_flows(struct dsr_owner *,
                                const struct in6_addr *ip,
                                struct eth_addr mac, bool nd_in_flows);

/* The bridge's own flows: normal switching for everything dsrd does not
 * claim, ARP replies addressed to dsrd's resolver, and, with a probe
 * address, ARP for it and the backends' answers to DSR-path probes.
 * Without 'pin_syns' (the kernel datapath: see flows/README.md,
 * "Connection pinning") SYNs pass table 21 unpinned. */
struct dsr_owner *
pipeline_base(struct eth_addr bridge_mac, ovs_be32 probe_ip,
              const struct in6_addr *probe_ip6, bool pin_syns,
              bool nd_in_flows)
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
    free(match);
    /* IPv6 backends answer dsrd's Neighbor Solicitations (sent from the
     * bridge MAC's link-local address) to the bridge MAC; the host's own
     * stack may use the same MAC and address, so it gets them too. */
    match = xasprintf("icmp6,icmp_type=136,icmp_code=0,dl_dst="ETH_ADDR_FMT,
                      ETH_ADDR_ARGS(bridge_mac));
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_FOR_DSRD,
                       match, "controller,NORMAL");
    /* MLD queries: dsrd reports the groups of the addresses the bridge
     * answers solicitations for (controller/mld.h); the others on the
     * segment answer as ever. */
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_FOR_DSRD,
                       "icmp6,icmp_type=130,icmp_code=0",
                       "controller,NORMAL");
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_NORMAL, "",
                       "NORMAL");
    dsr_owner_add_flow(owner, DSR_TABLE_DELIVER, DSR_PRIO_NORMAL, "",
                       "NORMAL");
    free(match);

    for (int v6 = 0; v6 <= 1; v6++) {
        add_pin_flows(owner, v6, pin_syns);
    }
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
    if (ipv6_addr_is_set(probe_ip6)) {
        add_probe_ip6_flows(owner, probe_ip6, bridge_mac, nd_in_flows);
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

/* The text of 'ip' in a match: "nw_dst=10.0.0.1" for IPv4 (mapped) or
 * "ipv6_dst=2001:db8::1" for IPv6, with 'field' "dst" or "src". */
static void
put_ip_field(struct ds *s, const char *field, const struct in6_addr *ip)
{
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        ds_put_format(s, "nw_%s="IP_FMT, field,
                      IP_ARGS(in6_addr_get_mapped_ipv4(ip)));
    } else {
        ds_put_format(s, "ipv6_%s=", field);
        ipv6_format_addr(ip, s);
    }
}

/* The 48 bits of a VIP's cookie and owner: an IPv4 address as a number;
 * for IPv6, bit 47 and 47 bits of a hash.  Two IPv6 VIPs of a bridge
 * clash about once in 3 million bridges of 10,000 IPv6 VIPs; lb-vip.c
 * detects it and leaves the second unprogrammed, with an error. */
uint64_t
pipeline_vip_id(const struct in6_addr *vip)
{
    if (IN6_IS_ADDR_V4MAPPED(vip)) {
        return ntohl(in6_addr_get_mapped_ipv4(vip));
    }
    return (UINT64_C(1) << 47) | (hash_bytes64((const uint64_t *) vip,
                                               sizeof *vip, 0)
                                  & ((UINT64_C(1) << 47) - 1));
}

/* Sends Neighbor Solicitations for an IPv6 VIP from table 0 to
 * DSR_TABLE_ND, which matches what else an answer depends on (source,
 * hop limit, options).  Were those matched in table 0, every TCP or UDP
 * megaflow to any VIP would match them too (OVS's staged lookup reads the
 * L3 fields of a subtable together), and each IPv6 client address would
 * cost an upcall.  Duplicate address detection of the VIP by some host
 * (source ::) is not answered: the answer would go to ::, and a host
 * configuring the VIP without "nodad" is misconfigured.  A solicitation
 * whose hop limit is not 255 is invalid (RFC 4861, 7.1.1) and dropped by
 * the table's miss. */
static void
add_nd_entry(struct dsr_owner *owner, const char *vip_s)
{
    char *match = xasprintf("icmp6,icmp_type=135,icmp_code=0,nd_target=%s",
                            vip_s);
    char *actions = xasprintf("resubmit(,%d)", DSR_TABLE_ND);
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_RESPONDER,
                       match, actions);
    free(match);
    free(actions);
    match = xasprintf("icmp6,icmp_type=135,ipv6_src=::,nd_target=%s", vip_s);
    dsr_owner_add_flow(owner, DSR_TABLE_ND, DSR_PRIO_ND_DAD, match, "drop");
    free(match);
}

/* Answers a Neighbor Solicitation for an IPv6 VIP with the service MAC,
 * in flows (ovs-vswitchd's slow path, as for ARP): the NS is turned into
 * a solicited Advertisement in place (flags S and O, its source link-layer
 * option becoming the target link-layer option) and sent back, and the NA
 * flow of the same table fills the option (OVS sets nd_tll only in a flow
 * that matches an NA).  The checksum is recomputed by OVS.  A
 * solicitation without options (a unicast reachability probe) gets an
 * advertisement without one (RFC 4861, 7.2.4): setting nd_options_type
 * on it would write past its end. */
static void
add_nd_responder(struct dsr_owner *owner, const struct in6_addr *vip,
                 struct eth_addr mac)
{
    struct ds m = DS_EMPTY_INITIALIZER;
    struct ds a = DS_EMPTY_INITIALIZER;
    char vip_s[INET6_ADDRSTRLEN];

    ipv6_string_mapped(vip_s, vip);
    add_nd_entry(owner, vip_s);
    for (int options = 1; options >= 0; options--) {
        ds_clear(&m);
        ds_put_format(&m, "icmp6,icmp_type=135,nw_ttl=255,nd_target=%s,"
                      "nd_options_type=%d", vip_s, options);
        ds_clear(&a);
        ds_put_format(&a, "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
                      "set_field:"ETH_ADDR_FMT"->eth_src,"
                      "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
                      "set_field:%s->ipv6_src,"
                      "set_field:136->icmpv6_type,"
                      "set_field:%#"PRIx32"->nd_reserved,",
                      ETH_ADDR_ARGS(mac), vip_s,
                      ND_RSO_SOLICITED | ND_RSO_OVERRIDE);
        if (options) {
            ds_put_format(&a, "set_field:2->nd_options_type,resubmit(,%d)",
                          DSR_TABLE_ND);
        } else {
            ds_put_cstr(&a, "IN_PORT");
        }
        dsr_owner_add_flow(owner, DSR_TABLE_ND, DSR_PRIO_ARP_RESPONDER,
                           ds_cstr(&m), ds_cstr(&a));
    }
    ds_clear(&m);
    ds_put_format(&m, "icmp6,icmp_type=136,nd_target=%s", vip_s);
    ds_clear(&a);
    ds_put_format(&a, "set_field:"ETH_ADDR_FMT"->nd_tll,IN_PORT",
                  ETH_ADDR_ARGS(mac));
    dsr_owner_add_flow(owner, DSR_TABLE_ND, DSR_PRIO_ARP_RESPONDER,
                       ds_cstr(&m), ds_cstr(&a));
    ds_destroy(&m);
    ds_destroy(&a);
}

/* Where a datapath cannot rewrite ND fields (the kernel's: no nd_ext),
 * dsrd answers the VIP's Neighbor Solicitations itself (lb-vip.c). */
static void
add_nd_to_dsrd(struct dsr_owner *owner, const struct in6_addr *vip)
{
    char vip_s[INET6_ADDRSTRLEN];

    ipv6_string_mapped(vip_s, vip);
    add_nd_entry(owner, vip_s);
    char *match = xasprintf("icmp6,icmp_type=135,nw_ttl=255,nd_target=%s",
                            vip_s);
    dsr_owner_add_flow(owner, DSR_TABLE_ND, DSR_PRIO_ARP_RESPONDER, match,
                       "controller");
    free(match);
}

/* The IPv6 probe address: answered by ND as a VIP is, and the answers to
 * the probes sent from it to dsrd. */
static void
add_probe_ip6_flows(struct dsr_owner *owner, const struct in6_addr *ip,
                    struct eth_addr mac, bool nd_in_flows)
{
    char ip_s[INET6_ADDRSTRLEN];

    if (nd_in_flows) {
        add_nd_responder(owner, ip, mac);
    } else {
        add_nd_to_dsrd(owner, ip);
    }
    ipv6_string_mapped(ip_s, ip);
    for (int tcp = 1; tcp >= 0; tcp--) {
        char *match = xasprintf("%s,ipv6_dst=%s", tcp ? "tcp6" : "udp6",
                                ip_s);
        dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_ARP_FOR_DSRD,
                           match, "controller");
        free(match);
    }
}

/* A VIP: the bridge answers ARP (or, for IPv6, Neighbor Solicitations)
 * for it with the service MAC (backends, which hold the VIP on loopback,
 * must never answer), and drops traffic to it that no service claims
 * instead of flooding it to every backend.  'nd_in_flows' says whether
 * the datapath can answer NS in flows (add_nd_responder()).
 *
 * A VIP routed to this node (announced by BGP, controller/announce.h) has
 * no ARP responder: routers send its packets to the node's own MAC,
 * 'routed_to', and only those are taken.  Frames of the VIP for another
 * node's MAC, which a switch floods when that node is gone, are dropped,
 * or every surviving node would deliver them. */
struct dsr_owner *
pipeline_vip(const struct in6_addr *vip, struct eth_addr mac,
             const struct eth_addr *routed_to, bool nd_in_flows)
{
    struct dsr_owner *owner = dsr_owner_create(
        dsr_cookie(DSR_COOKIE_VIP, pipeline_vip_id(vip)));
    bool v4 = IN6_IS_ADDR_V4MAPPED(vip);
    char *routed = routed_match(routed_to);
    struct ds m = DS_EMPTY_INITIALIZER;

    if (!routed_to) {
        if (v4) {
            add_arp_responder(owner, in6_addr_get_mapped_ipv4(vip), mac);
        } else if (nd_in_flows) {
            add_nd_responder(owner, vip, mac);
        } else {
            add_nd_to_dsrd(owner, vip);
        }
    }
    ds_put_format(&m, "%s,", v4 ? "ip" : "ipv6");
    put_ip_field(&m, "dst", vip);
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_NO_SERVICE,
                       ds_cstr(&m), "drop");

    /* Fragments carry no ports after the first: conntrack reassembles
     * the datagram and gives every fragment its tuple (ct_tp_dst...). */
    ds_put_format(&m, ",ip_frag=yes%s", routed);
    char *actions = xasprintf("ct(zone=%d,table=%d)", DSR_CT_ZONE,
                              DSR_TABLE_FRAGMENTS);
    dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_FRAGMENT,
                       ds_cstr(&m), actions);
    free(actions);

    /* ICMP errors about the backends' replies come to the VIP, their
     * source: destination unreachable and time exceeded (IPv4: 3, 11),
     * destination unreachable, packet too big, time exceeded and
     * parameter problem (ICMPv6: 1 to 4). */
    static const int icmp4_errors[] = { 3, 11 };
    static const int icmp6_errors[] = { 1, 2, 3, 4 };
    const int *types = v4 ? icmp4_errors : icmp6_errors;
    size_t n_types = (v4 ? ARRAY_SIZE(icmp4_errors)
                      : ARRAY_SIZE(icmp6_errors));
    actions = xasprintf("ct(zone=%d,table=%d)", DSR_CT_ZONE,
                        DSR_TABLE_CT_RELATED);
    for (size_t i = 0; i < n_types; i++) {
        ds_clear(&m);
        ds_put_format(&m, "%s,", v4 ? "icmp" : "icmp6");
        put_ip_field(&m, "dst", vip);
        ds_put_format(&m, ",icmp_type=%d%s", types[i], routed);
        dsr_owner_add_flow(owner, DSR_TABLE_INGRESS, DSR_PRIO_VIP_ICMP_ERROR,
                           ds_cstr(&m), actions);
    }
    free(actions);
    free(routed);
    ds_destroy(&m);
    return owner;
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
    struct in6_addr addr = in6_addr_mapped_ipv4(htonl(row->key));

    *table_id = DSR_TABLE_BACKEND;
    *priority = DSR_PRIO_PINNED;
    match_set_reg(match, 0, ctx->service_id);
    match_set_reg(match, 1, row->key);
    if (!(row->flags & ROW_DELIVERABLE)) {
        return;
    }
    pipeline_put_delivery(ctx->mode, ctx->service_mac, &addr, row->mac,
                          row->port, ofpacts);
}

/* Puts into 'ofpacts' what sends a packet of a service in 'mode' to the
 * backend at 'addr' (IPv4-mapped for IPv4; at 'mac' or through 'port', as
 * struct pipeline_backend says): the actions of its DSR_TABLE_BACKEND
 * flow, which dsrd's DSR-path probes also use to travel as a client's
 * packet does.  gre's outer family is the backend's: OVS's one flow-based
 * GRE port builds the outer header from tun_dst or tun_ipv6_dst, whatever
 * the client's family. */
void
pipeline_put_delivery(enum pipeline_mode mode, struct eth_addr service_mac,
                      const struct in6_addr *addr, struct eth_addr mac,
                      uint32_t port, struct ofpbuf *ofpacts)
{
    ovs_be32 ip = in6_addr_get_mapped_ipv4(addr);

    switch (mode) {
    case PIPELINE_MODE_GRE:
        if (IN6_IS_ADDR_V4MAPPED(addr)) {
            ofpact_put_set_field(ofpacts, mf_from_id(MFF_TUN_DST), &ip, NULL);
        } else {
            ofpact_put_set_field(ofpacts, mf_from_id(MFF_TUN_IPV6_DST), addr,
                                 NULL);
        }
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

/* The DSR_TABLE_BACKEND flow of a gre backend with an IPv6 address: a
 * 16-byte row has no room for its tunnel destination, so it is a flow of
 * its own, with the same actions a row's flow would have. */
static void
add_gre6_backend_flow(struct dsr_owner *owner, uint32_t service_id,
                      const struct pipeline_backend *be)
{
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);
    struct match match;

    match_init_catchall(&match);
    match_set_reg(&match, 0, service_id);
    match_set_reg(&match, 1, ntohl(be->ip));
    if (be->has_mac) {
        pipeline_put_delivery(PIPELINE_MODE_GRE, eth_addr_zero, &be->addr,
                              eth_addr_zero, be->port, &ofpacts);
    }
    dsr_owner_add_flow_match(owner, DSR_TABLE_BACKEND, DSR_PRIO_PINNED,
                             &match, ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
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
    size_t n_rows = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pipeline_backend *be = &backends[i];
        if (svc->mode == PIPELINE_MODE_GRE
            && !IN6_IS_ADDR_V4MAPPED(&be->addr)) {
            add_gre6_backend_flow(owner, svc->id, be);
            continue;
        }
        rows[n_rows++] = (struct dsr_row) {
            .key = ntohl(be->ip),
            .mac = be->has_mac ? be->mac : eth_addr_zero,
            .flags = be->has_mac ? ROW_DELIVERABLE : 0,
            .port = be->has_mac ? be->port : 0,
        };
    }
    dsr_owner_set_rows(owner, build_backend_flow, &ctx, sizeof ctx, rows,
                       n_rows);
    free(rows);
}

/* The actions that hand a packet of 'svc' to its group.  With 'sym_l4'
 * (the kernel datapath) an IPv6 packet's flow label is cleared first: the
 * kernel hashes an IPv6 packet with a flow label by its addresses and
 * label alone, and a Linux sender changes its label at every
 * retransmission timeout, so one connection's packets would hash apart
 * (flows/README.md, "Connection pinning"). */
static bool
clears_flow_label(const struct pipeline_service *svc)
{
    return (svc->sym_l4 && svc->hash == DSR_SLOT_HASH_DP
            && !IN6_IS_ADDR_V4MAPPED(&svc->vip));
}

static char *
group_actions(const struct pipeline_service *svc)
{
    return xasprintf("%sgroup:%"PRIu32,
                     clears_flow_label(svc) ? "set_field:0->ipv6_label," : "",
                     svc->id);
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
                 const ovs_be32 *slot_ips, size_t n_slots)
{
    struct dsr_owner *owner = dsr_owner_create(
        dsr_cookie(DSR_COOKIE_SERVICE, svc->id));
    struct ds s = DS_EMPTY_INITIALIZER;
    char *group = group_actions(svc);
    char *syn_actions = xasprintf("set_field:%"PRIu32"->reg0,%s", svc->id,
                                  group);
    /* Without pins every packet goes straight to the slots. */
    char *actions = (svc->pin_connections
                     ? xasprintf("set_field:%"PRIu32"->reg0,"
                                 "ct(zone=%d,table=%d)",
                                 svc->id, DSR_CT_ZONE, DSR_TABLE_CT_LOOKUP)
                     : xstrdup(syn_actions));

    for (int tcp = 1; tcp >= 0; tcp--) {
        if (tcp ? svc->tcp : svc->udp) {
            ds_clear(&s);
            bool v4 = IN6_IS_ADDR_V4MAPPED(&svc->vip);
            ds_put_format(&s, "%s,", (tcp ? (v4 ? "tcp" : "tcp6")
                                      : (v4 ? "udp" : "udp6")));
            put_ip_field(&s, "dst", &svc->vip);
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
        char *match = xasprintf("%sreg0=%"PRIu32,
                                clears_flow_label(svc) ? "ipv6," : "",
                                svc->id);
        dsr_owner_add_flow(owner, DSR_TABLE_BACKEND, DSR_PRIO_UNPINNED,
                           match, group);
        free(match);
    }
    free(group);

    /* dp_hash: the datapath hashes the 5-tuple, no upcall per
     * connection.  source-ip needs OVS's hash method, one upcall per
     * client address. */
    pipeline_set_slots(owner, svc, slot_ips, n_slots);
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

/* The port of a location owner's output (not its hairpin's IN_PORT). */
bool
pipeline_read_location(const struct dsr_owner *owner, ofp_port_t *port)
{
    const struct dsr_flow *flow;

    HMAP_FOR_EACH (flow, node, &owner->flows) {
        const struct ofpact *a;

        if (flow->table_id != DSR_TABLE_DELIVER
            || flow->priority != DSR_PRIO_DELIVER) {
            continue;
        }
        OFPACT_FOR_EACH (a, flow->ofpacts, flow->ofpacts_len) {
            if (a->type == OFPACT_OUTPUT
                && ofpact_get_OUTPUT(a)->port != OFPP_IN_PORT) {
                *port = ofpact_get_OUTPUT(a)->port;
                return true;
            }
        }
    }
    return false;
}

/* What 'owner', an l2 service's flows, does with the connections of its
 * backend 'key' (struct pipeline_backend's 'ip'); '*mac' is where it
 * sends them, if anywhere. */
enum pipeline_row_state
pipeline_read_backend_mac(const struct dsr_owner *owner, uint32_t service_id,
                          ovs_be32 key, struct eth_addr *mac)
{
    struct minimatch mm;
    struct match match;

    match_init_catchall(&match);
    match_set_reg(&match, 0, service_id);
    match_set_reg(&match, 1, ntohl(key));
    minimatch_init(&mm, &match);
    const struct dsr_flow *flow = dsr_owner_find_flow(
        owner, DSR_TABLE_BACKEND, DSR_PRIO_PINNED, &mm);
    minimatch_destroy(&mm);
    if (!flow) {
        return PIPELINE_ROW_ABSENT;
    }

    const struct ofpact *a;
    OFPACT_FOR_EACH (a, flow->ofpacts, flow->ofpacts_len) {
        if (a->type == OFPACT_SET_FIELD
            && ofpact_get_SET_FIELD(a)->field->id == MFF_ETH_DST) {
            *mac = ofpact_get_SET_FIELD(a)->value->mac;
            return PIPELINE_ROW_DELIVERABLE;
        }
    }
    return PIPELINE_ROW_UNDELIVERABLE;
}
