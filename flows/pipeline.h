/* The OpenFlow pipeline dsrd installs: table layout, priorities, cookies,
 * and the translation of each object into an owner of flows and groups
 * (flow-set.h).  flows/README.md explains the layout for operators. */
#ifndef DSR_PIPELINE_H
#define DSR_PIPELINE_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "openvswitch/compiler.h"
#include "openvswitch/types.h"
#include "flows/slots.h"
#include "packets.h"

struct dsr_owner;
struct ofpbuf;

/* Tables, in the order a client's packet to a service crosses them (see
 * flows/README.md): the classifier puts the service id in reg0 and looks
 * the connection up in conntrack; a connection already pinned to a
 * backend carries the backend's address in ct_mark (and the service in
 * ct_label), a new one gets it from the service's group and is committed
 * with it.  reg1 holds the backend's address, reg2 = 1 marks a packet
 * (ICMP error, fragment) that may follow a pin but must not make one. */
enum dsr_table {
    DSR_TABLE_INGRESS = 0,      /* ARP for VIPs, service classifier,
                                 * everything else to NORMAL. */
    DSR_TABLE_DELIVER = 10,     /* Backend MAC -> the port it lives on. */
    DSR_TABLE_CT_LOOKUP = 20,   /* ct_mark -> reg1. */
    DSR_TABLE_CT_COMMIT = 21,   /* Pins a new connection: reg1 -> ct_mark. */
    DSR_TABLE_BACKEND = 22,     /* (service, reg1) -> backend MAC; no or a
                                 * stale pin -> the service's group. */
    DSR_TABLE_CT_RELATED = 23,  /* ICMP error about a pinned connection ->
                                 * the backend that owns it. */
    DSR_TABLE_FRAGMENTS = 24,   /* Fragments, after conntrack reassembled
                                 * them: the flow's pin, as above. */
    DSR_TABLE_SUBSLOT = 25,     /* A fine table's split slots: (service,
                                 * tree node in reg3) -> reg1, or the
                                 * next bit of dp_hash. */
    DSR_TABLE_ND = 30,          /* Neighbor Solicitations for IPv6 VIPs:
                                 * answered (turned into Advertisements,
                                 * whose target MAC a flow matching the NA
                                 * sets: OVS sets nd_tll only there), sent
                                 * to dsrd, or dropped. */
};

/* Every packet starts in table 0.  The tables' numbers rise in the
 * enum's order, so that no two share one, and fit an OpenFlow table id
 * (255 means "all tables"). */
BUILD_ASSERT_DECL(DSR_TABLE_INGRESS == 0);
BUILD_ASSERT_DECL(DSR_TABLE_INGRESS < DSR_TABLE_DELIVER);
BUILD_ASSERT_DECL(DSR_TABLE_DELIVER < DSR_TABLE_CT_LOOKUP);
BUILD_ASSERT_DECL(DSR_TABLE_CT_LOOKUP < DSR_TABLE_CT_COMMIT);
BUILD_ASSERT_DECL(DSR_TABLE_CT_COMMIT < DSR_TABLE_BACKEND);
BUILD_ASSERT_DECL(DSR_TABLE_BACKEND < DSR_TABLE_CT_RELATED);
BUILD_ASSERT_DECL(DSR_TABLE_CT_RELATED < DSR_TABLE_FRAGMENTS);
BUILD_ASSERT_DECL(DSR_TABLE_FRAGMENTS < DSR_TABLE_SUBSLOT);
BUILD_ASSERT_DECL(DSR_TABLE_SUBSLOT < DSR_TABLE_ND);
BUILD_ASSERT_DECL(DSR_TABLE_ND < 255);

/* The conntrack zone of dsrd's connection pins, apart from the
 * operator's own uses of conntrack. */
#define DSR_CT_ZONE 0xd5d5

/* Priorities in DSR_TABLE_INGRESS. */
enum {
    DSR_PRIO_ARP_FOR_DSRD = 400,    /* ARP replies (and Neighbor
                                     * Advertisements) to dsrd's resolver. */
    DSR_PRIO_ND_DAD = 310,          /* DSR_TABLE_ND: duplicate address
                                     * detection of a VIP by some host:
                                     * not answered. */
    DSR_PRIO_ARP_RESPONDER = 300,   /* ARP requests (Neighbor
                                     * Solicitations) for a VIP. */
    DSR_PRIO_SERVICE_PORT = 200,    /* A service on one port. */
    DSR_PRIO_SERVICE_ALL_PORTS = 190,   /* A service on all ports. */
    DSR_PRIO_SYN_BONUS = 5,         /* Added for a TCP service's SYNs. */
    DSR_PRIO_VIP_FRAGMENT = 250,    /* IP fragments to a VIP: reassembly. */
    DSR_PRIO_VIP_ICMP_ERROR = 150,  /* ICMP errors to a VIP: to conntrack. */
    DSR_PRIO_VIP_NO_SERVICE = 100,  /* Other traffic to a VIP: dropped. */
    DSR_PRIO_NORMAL = 0,            /* The bridge stays a normal switch. */
};

/* What the order of table 0 must keep (flows/README.md, "Table 0"):
 * - fragments go to reassembly before any service flow sees them (a
 *   first fragment has ports and would be classified alone): 250 above
 *   a one-port service's SYNs, 200 + 5;
 * - a one-port service wins over an all-ports one on the same VIP, SYNs
 *   included: 200 above 190 + 5;
 * - every service flow, and the VIP's ICMP errors, come before the VIP's
 *   drop of what no service claims, which comes before NORMAL (that
 *   would flood a VIP's traffic to every backend);
 * - the ARP flows come before NORMAL. */
BUILD_ASSERT_DECL(DSR_PRIO_SYN_BONUS > 0);
BUILD_ASSERT_DECL(DSR_PRIO_VIP_FRAGMENT
                  > DSR_PRIO_SERVICE_PORT + DSR_PRIO_SYN_BONUS);
BUILD_ASSERT_DECL(DSR_PRIO_SERVICE_PORT
                  > DSR_PRIO_SERVICE_ALL_PORTS + DSR_PRIO_SYN_BONUS);
BUILD_ASSERT_DECL(DSR_PRIO_SERVICE_ALL_PORTS > DSR_PRIO_VIP_NO_SERVICE);
BUILD_ASSERT_DECL(DSR_PRIO_VIP_ICMP_ERROR > DSR_PRIO_VIP_NO_SERVICE);
BUILD_ASSERT_DECL(DSR_PRIO_VIP_NO_SERVICE > DSR_PRIO_NORMAL);
BUILD_ASSERT_DECL(DSR_PRIO_ARP_RESPONDER > DSR_PRIO_NORMAL);
BUILD_ASSERT_DECL(DSR_PRIO_ARP_FOR_DSRD > DSR_PRIO_NORMAL);
BUILD_ASSERT_DECL(DSR_PRIO_ND_DAD > DSR_PRIO_ARP_RESPONDER);

/* Priorities in DSR_TABLE_CT_COMMIT. */
enum {
    DSR_PRIO_SYN_UNPINNED = 10,     /* Kernel datapath: SYNs pass unpinned
                                     * (but re-pin an old pin). */
};
BUILD_ASSERT_DECL((int) DSR_PRIO_SYN_UNPINNED > (int) DSR_PRIO_NORMAL);

/* Priorities in DSR_TABLE_BACKEND. */
enum {
    DSR_PRIO_PINNED = 100,          /* (service, backend) -> backend. */
    DSR_PRIO_STALE_PIN_ONLY = 1,    /* reg2 = 1 without a valid pin: drop. */
    DSR_PRIO_UNPINNED = 0,          /* Service -> its group. */
};
/* A valid pin wins; an ICMP error or fragment without one stops before
 * the group, which would pin its connection anew. */
BUILD_ASSERT_DECL(DSR_PRIO_PINNED > DSR_PRIO_STALE_PIN_ONLY);
BUILD_ASSERT_DECL(DSR_PRIO_STALE_PIN_ONLY > DSR_PRIO_UNPINNED);

/* Priorities in DSR_TABLE_SUBSLOT. */
enum {
    DSR_PRIO_SUBSLOT = 100,         /* (service, node) -> backend or bit. */
};

/* Priorities in DSR_TABLE_DELIVER. */
enum {
    DSR_PRIO_DELIVER_HAIRPIN = 110, /* Backend behind the ingress port. */
    DSR_PRIO_DELIVER = 100,         /* Backend behind another port. */
};
/* The ingress port's own flow wins (OpenFlow never outputs to the
 * ingress port but through IN_PORT); both beat NORMAL. */
BUILD_ASSERT_DECL(DSR_PRIO_DELIVER_HAIRPIN > DSR_PRIO_DELIVER);
BUILD_ASSERT_DECL((int) DSR_PRIO_DELIVER > (int) DSR_PRIO_NORMAL);

/* Cookies: 0xd5 in the top byte marks dsrd's flows, the next byte says
 * what kind of object owns the flow, the low 48 bits which one:
 *   0xd500000000000000  base flows of the bridge
 *   0xd50100000000002a  service 42 (its group is group 42)
 *   0xd5020000c0a80a64  VIP 192.168.10.100
 *   0xd5028...          an IPv6 VIP: bit 47 set, 47 bits of a hash of it
 *                       (pipeline_vip_id())
 *   0xd503aabbccddeeff  location of backend MAC aa:bb:cc:dd:ee:ff
 * so `ovs-ofctl dump-flows BR cookie=0xd50100000000002a/-1` shows one
 * service and `cookie=0xd500000000000000/0xff00000000000000` all of
 * dsrd's flows. */
#define DSR_COOKIE_TAG       UINT64_C(0xd500000000000000)
#define DSR_COOKIE_TAG_MASK  UINT64_C(0xff00000000000000)
enum dsr_cookie_kind {
    DSR_COOKIE_BASE = 0,
    DSR_COOKIE_SERVICE = 1,
    DSR_COOKIE_VIP = 2,
    DSR_COOKIE_BACKEND = 3,
};

static inline uint64_t
dsr_cookie(enum dsr_cookie_kind kind, uint64_t id)
{
    return DSR_COOKIE_TAG | (uint64_t) kind << 48
           | (id & UINT64_C(0xffffffffffff));
}

/* A backend as the pipeline sees it: one whose pinned connections stay
 * (draining backends too).  Until it can be delivered to (its MAC known;
 * for tunnel modes, the bridge's tunnel port known) its connections wait
 * (are dropped) rather than lose their pins. */
struct pipeline_backend {
    ovs_be32 ip;                /* Names it in pins and slots: the IPv4
                                 * address, or for IPv6 a 32-bit key
                                 * (flows/README.md, "Connection pinning"). */
    bool has_mac;               /* Deliverable: 'mac' (l2) or 'port'. */
    struct eth_addr mac;        /* l2: the backend's MAC; ipip: the MAC of
                                 * the internal port into the kernel. */
    uint32_t port;              /* gre: the GRE port; ipip: the internal
                                 * port (OpenFlow port numbers). */
    struct in6_addr addr;       /* Its address (IPv4-mapped for IPv4): the
                                 * tunnel destination of gre. */
};

/* How a service's packets leave for a backend (flows/README.md,
 * "Delivery by mode"). */
enum pipeline_mode {
    PIPELINE_MODE_L2,           /* The backend's MAC as eth_dst. */
    PIPELINE_MODE_GRE,          /* GRE to the backend's IP (OVS tunnel). */
    PIPELINE_MODE_IPIP,         /* Packet mark, into the host's kernel. */
};

/* A service as the pipeline sees it: what its flows and group are made
 * of, filled by the controller from its configuration. */
struct pipeline_service {
    uint32_t id;                /* reg0, group id, low bits of the cookie. */
    struct in6_addr vip;        /* IPv6, or IPv4-mapped for IPv4. */
    bool tcp;                   /* Classifies TCP to the VIP... */
    bool udp;                   /* ...and/or UDP. */
    uint16_t port;              /* Destination port; 0 means all ports. */
    enum pipeline_mode mode;
    enum dsr_slot_hash hash;    /* How the group picks a packet's slot. */
    bool sym_l4;                /* dp_hash of the headers, not of the
                                 * socket's hash (the kernel datapath:
                                 * flows/README.md, "Connection
                                 * pinning"). */
    struct eth_addr mac;        /* l2: eth_src of frames to backends. */
    bool pin_connections;       /* Conntrack pins (README.md). */
    bool routed;                /* Its VIP is routed to this node (BGP): */
    struct eth_addr routed_to;  /* only frames to this MAC are taken. */
};

struct dsr_owner *pipeline_base(struct eth_addr bridge_mac,
                                ovs_be32 probe_ip,
                                const struct in6_addr *probe_ip6,
                                bool pin_syns, bool nd_in_flows);
struct dsr_owner *pipeline_vip(const struct in6_addr *vip,
                               struct eth_addr mac,
                               const struct eth_addr *routed_to,
                               bool nd_in_flows);
uint64_t pipeline_vip_id(const struct in6_addr *vip);
struct dsr_owner *pipeline_service(const struct pipeline_service *,
                                   const struct pipeline_backend *,
                                   size_t n_backends,
                                   const ovs_be32 *slot_ips, size_t n_slots);
void pipeline_set_slots(struct dsr_owner *, const struct pipeline_service *,
                        const ovs_be32 *slot_ips, size_t n_slots);
struct dsr_owner *pipeline_backend_location(struct eth_addr mac,
                                            ofp_port_t port);

/* Reading the switch's flows back (a restart learns from them what dsrd
 * would otherwise ask the network again): the inverses of
 * pipeline_backend_location() and of an l2 service's DSR_TABLE_BACKEND
 * flows, on the flows of one cookie. */
bool pipeline_read_location(const struct dsr_owner *, ofp_port_t *port);
enum pipeline_row_state {
    PIPELINE_ROW_ABSENT,        /* No flow for that backend. */
    PIPELINE_ROW_UNDELIVERABLE, /* Its connections wait: MAC unknown. */
    PIPELINE_ROW_DELIVERABLE,   /* Sent to the MAC returned. */
};
enum pipeline_row_state pipeline_read_backend_mac(const struct dsr_owner *,
                                                  uint32_t service_id,
                                                  ovs_be32 key,
                                                  struct eth_addr *mac);

uint64_t pipeline_mac_to_id(struct eth_addr);
void pipeline_put_delivery(enum pipeline_mode, struct eth_addr service_mac,
                           const struct in6_addr *addr, struct eth_addr mac,
                           uint32_t port, struct ofpbuf *ofpacts);

#endif /* flows/pipeline.h */
