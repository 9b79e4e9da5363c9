/* MLDv2 reports (RFC 3810) for the solicited-node multicast groups of the
 * IPv6 addresses a bridge answers Neighbor Solicitations for: its VIPs
 * and its probe_ip6.  A switch with MLD snooping forwards a solicitation
 * only to the ports that reported its group (RFC 4541), and the load
 * balancer holds no address whose stack would report it: without these
 * reports, clients behind such a switch never resolve an IPv6 VIP. */
#ifndef DSR_MLD_H
#define DSR_MLD_H 1

#include <stddef.h>
#include <stdint.h>
#include "packets.h"

struct dp_packet;

/* Records a report carries at most: 64 of 20 bytes keep it far below
 * 1,280 bytes, the least MTU of IPv6. */
#define MLD_MAX_RECORDS 64

/* Record types: the answer to a query, and an unsolicited join. */
#define MLD2_MODE_IS_EXCLUDE 2
#define MLD2_CHANGE_TO_EXCLUDE 4

/* An MLDv2 report from 'eth_src''s link-local address to all MLDv2
 * routers (ff02::16), joining the solicited-node group of each of the
 * 'n' (at most MLD_MAX_RECORDS) 'addrs' with records of 'type'. */
void mld_compose_report(struct dp_packet *, struct eth_addr eth_src,
                        const struct in6_addr *addrs, size_t n,
                        uint8_t type);

#endif /* controller/mld.h */
