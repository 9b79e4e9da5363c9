/* MLDv2 reports; see mld.h. */
#include <config.h>
#include "controller/mld.h"

#include <string.h>
#include "dp-packet.h"
#include "util.h"

/* ff02::16, all MLDv2-capable routers. */
static const struct in6_addr all_mld2_routers = {{{
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16 }}};

/* A Hop-by-Hop Options header with the Router Alert option (RFC 2711)
 * for MLD, padded to 8 bytes: MLD messages must carry it (RFC 3810, 5),
 * and Linux's bridge snoops none without it. */
static const uint8_t router_alert_hbh[8] = {
    IPPROTO_ICMPV6, 0,          /* Next header, length in 8-byte units - 1. */
    5, 2, 0, 0,                 /* Router Alert: MLD. */
    1, 0,                       /* PadN. */
};

void
mld_compose_report(struct dp_packet *packet, struct eth_addr eth_src,
                   const struct in6_addr *addrs, size_t n, uint8_t type)
{
    size_t mld_len = MLD_HEADER_LEN + n * MLD2_RECORD_LEN;
    size_t plen = sizeof router_alert_hbh + mld_len;
    struct eth_addr eth_dst;
    struct in6_addr src;

    ovs_assert(n <= MLD_MAX_RECORDS);
    ipv6_multicast_to_ethernet(&eth_dst, &all_mld2_routers);
    in6_generate_lla(eth_src, &src);

    struct ovs_16aligned_ip6_hdr *ip6 = eth_compose(
        packet, eth_dst, eth_src, ETH_TYPE_IPV6, IPV6_HEADER_LEN + plen);
    struct ovs_16aligned_ip6_hdrctl *ctl = &ip6->ip6_ctlun.ip6_un1;
    memset(ip6, 0, IPV6_HEADER_LEN + plen);
    put_16aligned_be32(&ctl->ip6_un1_flow, htonl(6 << 28));
    ctl->ip6_un1_plen = htons(plen);
    ctl->ip6_un1_nxt = IPPROTO_HOPOPTS;
    ctl->ip6_un1_hlim = 1;
    memcpy(&ip6->ip6_src, &src, sizeof src);
    memcpy(&ip6->ip6_dst, &all_mld2_routers, sizeof all_mld2_routers);

    uint8_t *hbh = (uint8_t *) (ip6 + 1);
    memcpy(hbh, router_alert_hbh, sizeof router_alert_hbh);

    struct mld_header *mld = (struct mld_header *) (hbh + sizeof
                                                    router_alert_hbh);
    mld->type = MLD2_REPORT;
    mld->ngrp = htons(n);
    struct mld2_record *records = (struct mld2_record *) (mld + 1);
    for (size_t i = 0; i < n; i++) {
        struct in6_addr group;

        in6_addr_solicited_node(&group, &addrs[i]);
        records[i].type = type;
        memcpy(&records[i].maddr, &group, sizeof group);
    }
    mld->csum = packet_csum_upperlayer6(ip6, mld, IPPROTO_ICMPV6, mld_len);
}
