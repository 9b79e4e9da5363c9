/* What the tunnel modes ("gre", "ipip") need on a bridge, found and
 * checked: the OVS port each mode sends out of, the routes to the
 * backends, and (ipip) the host kernel's encapsulation, which dsrd
 * programs (controller/ipip.h).  README.md, "L3 DSR: GRE and IPIP", says
 * how to set a node up; each missing piece is logged, reported in
 * /v1/status as the service's error and dsr/show, and the backends of the
 * services it concerns take no traffic until it is fixed. */
#ifndef DSR_TUNNEL_H
#define DSR_TUNNEL_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"
#include "packets.h"
#include "controller/datapath.h"

struct datapath_monitor;
struct dsr_bridge_config;
struct dsr_config;
struct dsr_service;
struct ds;
struct ipip;
struct vswitchd_client;

struct tunnel_state {
    const struct dsr_bridge_config *cfg;
    bool local;                 /* ovs-vswitchd is ours to ask (routes). */
    bool read;                  /* Ports read from OVSDB at 'dp_seqno'. */
    unsigned int dp_seqno;
    enum datapath_kind kind;

    uint32_t gre_port;          /* OpenFlow port, if !gre_error. */
    char *gre_error;
    uint32_t ipip_port;         /* OpenFlow port, if !ipip_error. */
    struct eth_addr ipip_mac;
    char *ipip_error;

    struct hmap routes;         /* struct tunnel_route, GRE backends. */
    long long int recheck_at;   /* Next look at failed routes. */
    struct vswitchd_client *vswitchd;   /* Asks for the routes. */
    struct ovs_list to_ask;     /* struct tunnel_route, not asked yet. */
    struct ovs_list asked;      /* struct tunnel_route, answer to come. */
    size_t n_asked;
    struct hmap notes;          /* struct tunnel_service_note. */

    struct ipip *ipip;          /* Kernel side of ipip services, or NULL
                                 * until one exists. */
    char *ipip_kernel_error;    /* Why the kernel side is not ready. */
    bool ipip_dirty;            /* ipip backends may have changed. */
    long long int ipip_retry_at;
};

void tunnel_state_init(struct tunnel_state *,
                       const struct dsr_bridge_config *, bool local);
void tunnel_state_destroy(struct tunnel_state *);
bool tunnel_state_refresh(struct tunnel_state *,
                          const struct datapath_monitor *);
bool tunnel_run(struct tunnel_state *, const struct datapath_monitor *);
void tunnel_wait(const struct tunnel_state *);
void tunnel_forget_routes(struct tunnel_state *);
bool tunnel_state_settled(const struct tunnel_state *);

bool tunnel_delivery(const struct tunnel_state *, const struct dsr_service *,
                     uint32_t *port, struct eth_addr *mac);
void tunnel_check_routes(struct tunnel_state *, const struct dsr_service *);
const char *tunnel_service_error(const struct tunnel_state *,
                                 const struct dsr_service *);
void tunnel_note_service(struct tunnel_state *, const struct dsr_service *,
                         uint32_t id);
bool tunnel_sync_ipip(struct tunnel_state *, const struct dsr_config *);

#endif /* controller/tunnel.h */
