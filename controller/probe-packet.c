/* Building the DSR-path probe's TCP segments and UDP datagrams.  See
 * probe-packet.h. */
#include <config.h>
#include "controller/probe-packet.h"

#include <string.h>
#include "csum.h"
#include "dp-packet.h"
#include "util.h"

/* An IPv4 or IPv6 header (by 'src', IPv4-mapped or not) for 'l4_len'
 * bytes of 'proto' in an Ethernet frame; returns where the L4 header
 * goes. */
static void *
put_ip(struct dp_packet *packet, struct eth_addr eth_src,
       struct eth_addr eth_dst, const struct in6_addr *src,
       const struct in6_addr *dst, uint8_t proto, size_t l4_len)
{
    if (!IN6_IS_ADDR_V4MAPPED(src)) {
        size_t len = sizeof(struct ovs_16aligned_ip6_hdr) + l4_len;
        struct ovs_16aligned_ip6_hdr *ip6 = eth_compose(
            packet, eth_dst, eth_src, ETH_TYPE_IPV6, len);

        memset(ip6, 0, len);
        struct ovs_16aligned_ip6_hdrctl *ctl = &ip6->ip6_ctlun.ip6_un1;
        put_16aligned_be32(&ctl->ip6_un1_flow, htonl(6 << 28));
        ctl->ip6_un1_plen = htons(l4_len);
        ctl->ip6_un1_nxt = proto;
        ctl->ip6_un1_hlim = 64;
        memcpy(&ip6->ip6_src, src, sizeof *src);
        memcpy(&ip6->ip6_dst, dst, sizeof *dst);
        return ip6 + 1;
    }

    size_t len = sizeof(struct ip_header) + l4_len;
    struct ip_header *ip = eth_compose(packet, eth_dst, eth_src,
                                       ETH_TYPE_IP, len);

    memset(ip, 0, len);
    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(len);
    ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
    ip->ip_ttl = 64;
    ip->ip_proto = proto;
    put_16aligned_be32(&ip->ip_src, in6_addr_get_mapped_ipv4(src));
    put_16aligned_be32(&ip->ip_dst, in6_addr_get_mapped_ipv4(dst));
    ip->ip_csum = csum(ip, sizeof *ip);
    return ip + 1;
}

/* The checksum of the 'len' bytes of L4 header and data at 'l4' in
 * 'packet', whose IP header put_ip() wrote. */
static ovs_be16
l4_csum(const struct dp_packet *packet, const void *l4, size_t len,
        uint8_t proto)
{
    const struct eth_header *eth = dp_packet_data(packet);

    if (eth->eth_type == htons(ETH_TYPE_IPV6)) {
        return packet_csum_upperlayer6(dp_packet_l3(packet), l4, proto, len);
    }
    return csum_finish(csum_continue(
                           packet_csum_pseudoheader(dp_packet_l3(packet)),
                           l4, len));
}

void
probe_packet_tcp(struct dp_packet *packet, struct eth_addr eth_src,
                 struct eth_addr eth_dst, const struct in6_addr *src,
                 const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                 uint32_t seq, uint32_t ack, uint16_t flags)
{
    struct tcp_header *tcp = put_ip(packet, eth_src, eth_dst, src, dst,
                                    IPPROTO_TCP, sizeof *tcp);

    tcp->tcp_src = htons(sport);
    tcp->tcp_dst = htons(dport);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(ack));
    tcp->tcp_ctl = TCP_CTL(flags, 5);
    tcp->tcp_winsz = htons(1024);
    tcp->tcp_csum = l4_csum(packet, tcp, sizeof *tcp, IPPROTO_TCP);
}

void
probe_packet_udp(struct dp_packet *packet, struct eth_addr eth_src,
                 struct eth_addr eth_dst, const struct in6_addr *src,
                 const struct in6_addr *dst, uint16_t sport, uint16_t dport,
                 const void *payload, size_t len)
{
    size_t udp_len = sizeof(struct udp_header) + len;
    struct udp_header *udp = put_ip(packet, eth_src, eth_dst, src, dst,
                                    IPPROTO_UDP, udp_len);

    memcpy(udp + 1, payload, len);
    udp->udp_src = htons(sport);
    udp->udp_dst = htons(dport);
    udp->udp_len = htons(udp_len);
    udp->udp_csum = l4_csum(packet, udp, udp_len, IPPROTO_UDP);
    if (!udp->udp_csum) {
        udp->udp_csum = htons(0xffff);
    }
}
