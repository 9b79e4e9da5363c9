/* Resolution of backend MAC addresses, and of the bridge port behind each,
 * by ARP (IPv4) or Neighbor Discovery (IPv6) through the switch: dsrd
 * sends probes as packet-outs and learns from the replies that the bridge
 * hands back as packet-ins.  ARP probes use sender IP 0.0.0.0 (RFC 5227),
 * so backends answer without adding dsrd to their neighbor tables;
 * Neighbor Solicitations come from the bridge MAC's link-local address
 * (never from ::, which a backend takes for duplicate address detection
 * and which fails its own address if still tentative).  Resolved entries
 * are refreshed every few seconds with unicast probes; when those go
 * unanswered, probes are broadcast (multicast) again, which finds a
 * backend that moved or changed MAC. */
#ifndef DSR_NEIGHBOR_H
#define DSR_NEIGHBOR_H 1

#include <stdbool.h>
#include "heap.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"
#include "packets.h"

struct flow;
struct ofctrl;

struct neighbor {
    struct hmap_node node;      /* In struct neighbor_table, by 'ip'. */
    struct heap_node due_node;  /* In struct neighbor_table's 'due'. */
    struct in6_addr ip;         /* IPv6, or IPv4-mapped. */
    bool resolved;              /* 'mac' and 'port' are valid. */
    struct eth_addr mac;
    ofp_port_t port;            /* Where the last reply came in. */
    long long int resolved_at;  /* time_msec() of the last reply. */
    int refcount;               /* Backends that use this address. */
    long long int next_probe;   /* time_msec() of the next ARP probe. */
    int n_probes;               /* Sent since the last reply. */
};

struct neighbor_table {
    struct hmap neighbors;      /* struct neighbor. */
    size_t n_unresolved;        /* Neighbors not 'resolved'. */
    struct heap due;            /* struct neighbor by 'next_probe', the
                                 * earliest first: a run looks at the
                                 * neighbors it probes, not at all. */
    struct eth_addr mac;        /* Sender MAC of probes. */
    long long int refresh_ms;   /* Re-probe interval once resolved. */
    bool connected;             /* The bridge was there at the last run. */
    long long int next_wakeup;  /* Earliest 'next_probe', or LLONG_MAX. */
    long long int budget_second;    /* Second that 'budget' is for. */
    int budget;                 /* Probes still allowed this second. */
};

void neighbor_table_init(struct neighbor_table *, struct eth_addr mac);
void neighbor_table_destroy(struct neighbor_table *);

void neighbor_ref(struct neighbor_table *, const struct in6_addr *ip);
void neighbor_unref(struct neighbor_table *, const struct in6_addr *ip);
const struct neighbor *neighbor_find(const struct neighbor_table *,
                                     const struct in6_addr *ip);

void neighbor_probe_all_soon(struct neighbor_table *);
bool neighbor_table_settled(const struct neighbor_table *);
void neighbor_run(struct neighbor_table *, struct ofctrl *);
void neighbor_wait(const struct neighbor_table *);

/* What an answer changed of its neighbor. */
struct neighbor_change {
    bool changed;               /* Its MAC or port differs from before. */
    bool was_resolved;          /* Before the answer. */
    struct eth_addr old_mac;    /* Before the answer, if 'was_resolved'. */
};
const struct neighbor *neighbor_handle_reply(struct neighbor_table *,
                                             const struct flow *,
                                             ofp_port_t in_port,
                                             struct neighbor_change *);
const struct neighbor *neighbor_adopt(struct neighbor_table *,
                                      const struct in6_addr *ip,
                                      struct eth_addr mac, ofp_port_t port,
                                      struct neighbor_change *);

#endif /* controller/neighbor.h */
