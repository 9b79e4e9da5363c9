/* Building the DSR-path probe's TCP segments and UDP datagrams.  See
 * probe-packet.h. */
#include <config.h>
#include "controller/probe-packet.h"

#include <string.h>
#include "csum.h"
#include "dp-packet.h"
#include "util.h"

/* An IPv4 header for 'l4_len' bytes of 'proto' in an Ethernet frame;
 * returns where the L4 header goes. */
static void *
put_ip(struct dp_packet *packet, struct eth_addr eth_src,
       struct eth_addr eth_dst, ovs_be32 src, ovs_be32 dst, uint8_t proto,
       size_t l4_len)
{
    size_t len = sizeof(struct ip_header) + l4_len;
    struct ip_header *ip = eth_compose(packet, eth_dst, eth_src,
                                       ETH_TYPE_IP, len);

    memset(ip, 0, len);
    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(len);
    ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
    ip->ip_ttl = 64;
    ip->ip_proto = proto;
    put_16aligned_be32(&ip->ip_src, src);
    put_16aligned_be32(&ip->ip_dst, dst);
    ip->ip_csum = csum(ip, sizeof *ip);
    return ip + 1;
}

void
probe_packet_tcp(struct dp_packet *packet, struct eth_addr eth_src,
                 struct eth_addr eth_dst, ovs_be32 src, ovs_be32 dst,
                 uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                 uint16_t flags)
{
    struct tcp_header *tcp = put_ip(packet, eth_src, eth_dst, src, dst,
                                    IPPROTO_TCP, sizeof *tcp);
    const struct ip_header *ip = dp_packet_l3(packet);

    tcp->tcp_src = htons(sport);
    tcp->tcp_dst = htons(dport);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(ack));
    tcp->tcp_ctl = TCP_CTL(flags, 5);
    tcp->tcp_winsz = htons(1024);
    tcp->tcp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                              tcp, sizeof *tcp));
}

void
probe_packet_udp(struct dp_packet *packet, struct eth_addr eth_src,
                 struct eth_addr eth_dst, ovs_be32 src, ovs_be32 dst,
                 uint16_t sport, uint16_t dport, const void *payload,
                 size_t len)
{
    size_t udp_len = sizeof(struct udp_header) + len;
    struct udp_header *udp = put_ip(packet, eth_src, eth_dst, src, dst,
                                    IPPROTO_UDP, udp_len);
    const struct ip_header *ip = dp_packet_l3(packet);

    memcpy(udp + 1, payload, len);
    udp->udp_src = htons(sport);
    udp->udp_dst = htons(dport);
    udp->udp_len = htons(udp_len);
    udp->udp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                              udp, udp_len));
    if (!udp->udp_csum) {
        udp->udp_csum = htons(0xffff);
    }
}
