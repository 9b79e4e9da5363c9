/* The kernel side of "ipip" services (flows/README.md, "Delivery by
 * mode"): OVS hands each packet to the host's kernel on an internal port
 * with the backend's IPv4 address as packet mark; for each backend, a tc
 * "fw" filter on that port's ingress (handle = the mark) sets the tunnel
 * destination (tunnel_key) and redirects the packet to an ipip device in
 * external mode, which encapsulates it.  dsrd programs all of it over
 * rtnetlink, idempotently, and removes the filters of backends that are
 * gone; it must run in the network namespace of the internal port. */
#ifndef DSR_IPIP_H
#define DSR_IPIP_H 1

#include <stddef.h>
#include "openvswitch/types.h"

/* The ipip device dsrd creates (external mode: one for every backend). */
#define IPIP_TX_DEVICE "dsr-ipip-tx"

/* tc priority of dsrd's filters on the internal port. */
#define IPIP_TC_PRIO 0xd5

struct ipip *ipip_create(const char *port);
void ipip_destroy(struct ipip *);
char *ipip_sync(struct ipip *, const ovs_be32 *ips, size_t n);
void ipip_invalidate(struct ipip *);
size_t ipip_count(const struct ipip *);

#endif /* controller/ipip.h */
