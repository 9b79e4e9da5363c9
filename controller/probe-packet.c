/* Building the DSR-path probe's TCP segments.  See probe-packet.h. */
#include <config.h>
#include "controller/probe-packet.h"

#include <string.h>
#include "csum.h"
#include "dp-packet.h"
#include "util.h"

void
probe_packet_tcp(struct dp_packet *packet, struct eth_addr eth_src,
                 struct eth_addr eth_dst, ovs_be32 src, ovs_be32 dst,
                 uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                 uint16_t flags)
{
    size_t len = sizeof(struct ip_header) + sizeof(struct tcp_header);
    struct ip_header *ip = eth_compose(packet, eth_dst, eth_src,
                                       ETH_TYPE_IP, len);
    struct tcp_header *tcp = (struct tcp_header *) (ip + 1);

    memset(ip, 0, len);
    ip->ip_ihl_ver = IP_IHL_VER(5, 4);
    ip->ip_tot_len = htons(len);
    ip->ip_frag_off = htons(IP_DONT_FRAGMENT);
    ip->ip_ttl = 64;
    ip->ip_proto = IPPROTO_TCP;
    put_16aligned_be32(&ip->ip_src, src);
    put_16aligned_be32(&ip->ip_dst, dst);
    ip->ip_csum = csum(ip, sizeof *ip);

    tcp->tcp_src = htons(sport);
    tcp->tcp_dst = htons(dport);
    put_16aligned_be32(&tcp->tcp_seq, htonl(seq));
    put_16aligned_be32(&tcp->tcp_ack, htonl(ack));
    tcp->tcp_ctl = TCP_CTL(flags, 5);
    tcp->tcp_winsz = htons(1024);
    tcp->tcp_csum = csum_finish(csum_continue(packet_csum_pseudoheader(ip),
                                              tcp, sizeof *tcp));
}
