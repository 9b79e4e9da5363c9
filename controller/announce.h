/* Announcing VIPs by BGP, through a kernel routing table.
 *
 * With "announce": {"mode": "bgp"}, dsrd talks to no BGP daemon: it keeps
 * a VIP/32 (IPv6: VIP/128) route in its own kernel table (announce.table,
 * protocol announce.protocol, through the bridge's LOCAL port) exactly
 * while this node can serve the VIP, and a routing daemon that learns that
 * table (BIRD's "protocol kernel { kernel table N; learn; }", FRR's "ip
 * import-table N") announces it.  Either side may restart: the table is
 * the contract (deploy/bgp/README.md).
 *
 * A node can serve a VIP while every one of the VIP's services can: its
 * bridge is connected and has been in sync since it (re)connected, OVS
 * accepted the service's flows, and it has a backend that takes new
 * connections.  (A node that announced a VIP one of whose services it
 * cannot serve would attract that service's clients and lose them; the
 * services of one VIP share its fate, and a service that must not takes
 * a VIP of its own.)  A VIP that stops being servable is withdrawn at
 * once; one that becomes servable again is announced after
 * announce.hold_down_ms.
 * A service's own "announce" may keep its VIP off some nodes and give the
 * route a metric per node, which the routing daemon sends as the MED:
 * active-standby per VIP.
 * Losing the switch withdraws every VIP on that bridge: the userspace
 * datapath's LOCAL port outlives ovs-vswitchd, and with it the route. */
#ifndef DSR_ANNOUNCE_H
#define DSR_ANNOUNCE_H 1

#include <stdbool.h>
#include <jansson.h>
#include <netinet/in.h>
#include "openvswitch/compiler.h"

struct dsr_announce;
struct dsr_config;
struct lb;

struct announcer *announcer_create(const struct dsr_announce *,
                                   const char *drain_file,
                                   const char *node_name);
void announcer_destroy(struct announcer *);
void announcer_run(struct announcer *, const struct dsr_config *,
                   const struct lb *);
void announcer_wait(struct announcer *);
void announcer_withdraw_all(struct announcer *);
char *announcer_set_drained(struct announcer *, bool drained)
    OVS_WARN_UNUSED_RESULT;
bool announcer_is_drained(const struct announcer *);
json_t *announcer_to_json(const struct announcer *);
bool announcer_is_announced(const struct announcer *,
                            const struct in6_addr *vip);

char *announce_flush(const struct dsr_announce *) OVS_WARN_UNUSED_RESULT;

#endif /* controller/announce.h */
