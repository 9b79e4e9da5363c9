/* TCP segments and UDP datagrams for the DSR-path probe (health.h): built
 * by dsrd, sent with a packet-out, rewritten or encapsulated by the data
 * path like client traffic. */
#ifndef DSR_PROBE_PACKET_H
#define DSR_PROBE_PACKET_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"
#include "packets.h"

struct dp_packet;

/* A TCP segment with 'flags' (TCP_SYN, TCP_RST...) from
 * 'src':'sport' to 'dst':'dport', in an Ethernet frame: IPv4 if 'src' is
 * IPv4-mapped, else IPv6 ('dst' of the same family). */
void probe_packet_tcp(struct dp_packet *, struct eth_addr eth_src,
                      struct eth_addr eth_dst, const struct in6_addr *src,
                      const struct in6_addr *dst, uint16_t sport,
                      uint16_t dport, uint32_t seq, uint32_t ack,
                      uint16_t flags);

/* A UDP datagram carrying 'len' bytes of 'payload' from 'src':'sport' to
 * 'dst':'dport', in an Ethernet frame, of the family of 'src' as above. */
void probe_packet_udp(struct dp_packet *, struct eth_addr eth_src,
                      struct eth_addr eth_dst, const struct in6_addr *src,
                      const struct in6_addr *dst, uint16_t sport,
                      uint16_t dport, const void *payload, size_t len);

#endif /* controller/probe-packet.h */
