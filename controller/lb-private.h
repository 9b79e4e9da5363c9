/* What the files of the load balancer share (lb.c, lb-neighbors.c,
 * lb-probe.c, lb-reactions.c, lb-show.c, lb-status.c): the lb and its
 * per-bridge state.  Nothing outside them includes this; the rest of
 * dsrd sees lb.h. */
#ifndef DSR_LB_PRIVATE_H
#define DSR_LB_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/neighbor.h"
#include "controller/tunnel.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "hmapx.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"
#include "packets.h"

struct vswitchd_relax;
struct dp_packet;
struct flow;
struct health_dsr_probe;

/* A VIP on a bridge; several services may share it. */
struct lb_vip {
    struct hmap_node node;          /* In struct lb_bridge's 'vips'. */
    struct in6_addr ip;             /* IPv6, or IPv4-mapped. */
    struct eth_addr mac;
    int refcount;                   /* Services using it. */
    bool announce;                  /* Gratuitous ARP (unsolicited NA)
                                     * still to send. */
    bool programmed;                /* Its flows are set: false only for
                                     * a clash (lb_vip_clash()). */
};

/* The services that use one backend address, for recomputing them when
 * the address resolves. */
struct lb_ip_users {
    struct hmap_node node;          /* In struct lb_bridge's 'ip_users'. */
    struct in6_addr ip;
    struct hmapx services;          /* struct dsr_service *. */
};

/* A backend MAC whose location flows are installed. */
struct lb_location {
    struct hmap_node node;          /* In struct lb_bridge's 'locations'. */
    struct eth_addr mac;
    ofp_port_t port;
    int refcount;                   /* Neighbors resolved to this MAC. */
};

/* When a backend last joined or left the backends its service's slots
 * are given to. */
struct lb_backend_state {
    struct hmap_node node;          /* In lb_bridge's 'backend_states'. */
    uint32_t service_id;
    uint32_t backend_id;
    bool in_slots;
    long long int since;            /* time_wall_msec() of the change. */
};

struct lb_bridge {
    struct hmap_node node;          /* In struct lb's 'bridges'. */
    const struct lb *lb;
    const struct dsr_bridge_config *cfg;
    struct ofctrl *ofctrl;
    struct neighbor_table neighbors;
    size_t n_unresolved;            /* 'neighbors'' at the last run. */
    unsigned int conn_seqno;        /* Last connection we reacted to. */
    unsigned int adopted_seqno;     /* Last connection whose dump
                                     * lb_adopt_neighbors() read. */
    bool awaiting;                  /* It found backends new to the
                                     * switch: their answers are worth
                                     * the hold. */
    struct hmap vips;               /* struct lb_vip. */
    struct hmap ip_users;           /* struct lb_ip_users. */
    struct hmap locations;          /* struct lb_location. */
    struct hmapx dirty_services;    /* struct dsr_service * to recompute. */
    unsigned int stats_round;       /* Last statistics round asked for. */
    struct vswitchd_relax *relax;   /* A local switch's conntrack
                                     * settings; NULL for a remote one. */
    bool pin_syns;                  /* Not on the kernel datapath
                                     * (pipeline_base()). */
    bool nd_in_flows;               /* What IPv6 VIPs were programmed
                                     * with: lb_nd_in_flows(). */
    struct hmap backend_states;     /* struct lb_backend_state. */
    bool any_to_announce;           /* Some VIP's 'announce' is set. */
    long long int na_second;        /* Second that 'na_budget' is for. */
    int na_budget;                  /* Advertisements dsrd may still send
                                     * this second (lb-vip.c). */
    struct tunnel_state tunnels;    /* Ports and routes of gre and ipip
                                     * services (controller/tunnel.h). */

    /* Reaction time of health changes: decision to OVS's commit. */
    long long int decided_usec;     /* Oldest unprogrammed decision, or 0. */
    struct reaction_wait *waits;    /* Programmed, waiting for OVS. */
    size_t n_waits, allocated_waits;
};

/* A programmed health decision waiting for OVS to commit it. */
struct reaction_wait {
    long long int decided_usec;
    uint64_t seqno;
};

/* The last reaction times, in microseconds, for dsr/health-reaction. */
#define LB_REACTION_SAMPLES 10000

struct lb {
    const struct dsr_config *cfg;   /* Not owned: services live there. */
    struct hmap bridges;            /* struct lb_bridge, by name. */
    unsigned long long stats_requests;
    struct health *health;
    long long int *reactions;       /* Ring of LB_REACTION_SAMPLES. */
    size_t n_reactions;             /* Total recorded. */
    bool probing;                   /* Health checks have started. */
    const struct datapath_monitor *datapaths;   /* May be null. */
    struct hmap health_down;        /* struct lb_down: backends the checks
                                     * found down (maybe stale: see
                                     * lb_get_backends_down()). */
    uint64_t health_seqno;          /* Changes with 'health_down'. */
};

/* lb-status.c: the record behind lb_get_backends_down(). */
void lb_note_health(struct lb *, uint32_t service_id,
                    const struct in6_addr *, bool up);
void lb_forget_health(struct lb *, uint32_t service_id);

/* How the pipeline delivers to a backend of a service in 'mode'. */
static inline enum pipeline_mode
lb_pipeline_mode(enum dsr_mode mode)
{
    return (mode == DSR_MODE_GRE ? PIPELINE_MODE_GRE
            : mode == DSR_MODE_IPIP ? PIPELINE_MODE_IPIP
            : PIPELINE_MODE_L2);
}

static inline struct lb_bridge *
lb_find_bridge(const struct lb *lb, const char *name)
{
    struct lb_bridge *br;

    HMAP_FOR_EACH_WITH_HASH (br, node, hash_string(name, 0), &lb->bridges) {
        if (!strcmp(br->cfg->name, name)) {
            return br;
        }
    }
    return NULL;
}

struct lb_slots;
void lb_bridge_slots(const struct lb *, const struct lb_bridge *,
                     const struct dsr_service *, struct lb_slots *);
static inline struct lb_backend_state *
lb_find_backend_state(const struct lb_bridge *br, uint32_t service_id,
                      uint32_t backend_id)
{
    struct lb_backend_state *b;

    HMAP_FOR_EACH_WITH_HASH (b, node, hash_2words(service_id, backend_id),
                             &br->backend_states) {
        if (b->service_id == service_id && b->backend_id == backend_id) {
            return b;
        }
    }
    return NULL;
}

/* lb.c. */
struct lb_ip_users *lb_find_ip_users(const struct lb_bridge *,
                                     const struct in6_addr *);

/* lb-neighbors.c: backends' MACs and ports, as answers or the switch's
 * flows tell them. */
struct neighbor_change;
void lb_location_release(struct lb_bridge *, struct eth_addr mac);
void lb_neighbor_learned(struct lb_bridge *, const struct neighbor *,
                         const struct neighbor_change *);
size_t lb_adopt_service_neighbors(struct lb_bridge *,
                                  const struct dsr_service *, bool *awaiting);
void lb_adopt_neighbors(struct lb_bridge *);

/* lb-probe.c: DSR-path probes, sent for the health checker and answered
 * through the bridge's packet-ins. */
bool lb_probe_send(void *lb, const struct health_dsr_probe *);
bool lb_probe_packet_in(struct lb_bridge *, const struct flow *,
                        const struct dp_packet *);

/* lb-reactions.c: how long health decisions take to reach OVS. */
/* lb-vip.c: VIPs on the segment. */
uint32_t lb_vip_hash(const struct in6_addr *);
struct lb_vip *lb_find_vip(const struct lb_bridge *, const struct in6_addr *);
const struct lb_vip *lb_vip_clash(const struct lb_bridge *,
                                  const struct lb_vip *);
void lb_vip_announce(struct lb_bridge *, const struct lb_vip *);
void lb_vip_send_mld_report(struct lb_bridge *, const struct in6_addr *,
                            size_t n, uint8_t type);
bool lb_vip_answer_mld_query(struct lb_bridge *, const struct flow *,
                             bool routed);
bool lb_vip_answer_ns(struct lb_bridge *, const struct flow *,
                      ofp_port_t in_port);

/* Whether the bridge's datapath answers Neighbor Solicitations for IPv6
 * VIPs in flows: one known to rewrite ND fields (userspace, DPDK; not the
 * kernel's, whose switch refuses the flows, failing the whole bundle).
 * Until OVSDB says which, dsrd answers them itself, which works on all. */
static inline bool
lb_nd_in_flows(const struct lb_bridge *br)
{
    return (br->tunnels.kind == DATAPATH_USERSPACE
            || br->tunnels.kind == DATAPATH_DPDK);
}

void lb_reactions_note_programmed(struct lb_bridge *);
void lb_reactions_record(struct lb_bridge *);

#endif /* controller/lb-private.h */
