/* The OpenFlow pipeline dsrd installs: table layout, priorities, cookies,
 * and the translation of each object into an owner of flows and groups
 * (flow-set.h).  flows/README.md explains the layout for operators. */
#ifndef DSR_PIPELINE_H
#define DSR_PIPELINE_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"
#include "packets.h"

struct dsr_owner;
struct dsr_service;

/* Tables.  Packets enter at DSR_TABLE_INGRESS; only group buckets resubmit
 * to DSR_TABLE_DELIVER. */
enum dsr_table {
    DSR_TABLE_INGRESS = 0,      /* ARP for VIPs, service classifier,
                                 * everything else to NORMAL. */
    DSR_TABLE_DELIVER = 10,     /* Backend MAC -> the port it lives on. */
};

/* Priorities in DSR_TABLE_INGRESS. */
enum {
    DSR_PRIO_ARP_FOR_DSRD = 400,    /* ARP replies to dsrd's resolver. */
    DSR_PRIO_ARP_RESPONDER = 300,   /* ARP requests for a VIP. */
    DSR_PRIO_SERVICE_PORT = 200,    /* A service on one port. */
    DSR_PRIO_SERVICE_ALL_PORTS = 190,   /* A service on all ports. */
    DSR_PRIO_VIP_NO_SERVICE = 100,  /* Other traffic to a VIP: dropped. */
    DSR_PRIO_NORMAL = 0,            /* The bridge stays a normal switch. */
};

/* Priorities in DSR_TABLE_DELIVER. */
enum {
    DSR_PRIO_DELIVER_HAIRPIN = 110, /* Backend behind the ingress port. */
    DSR_PRIO_DELIVER = 100,         /* Backend behind another port. */
};

/* Cookies: 0xd5 in the top byte marks dsrd's flows, the next byte says
 * what kind of object owns the flow, the low 48 bits which one:
 *   0xd500000000000000  base flows of the bridge
 *   0xd50100000000002a  service 42 (its group is group 42)
 *   0xd5020000c0a80a64  VIP 192.168.10.100
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

/* A backend as the pipeline sees it: only those that may take new
 * connections and whose MAC is known. */
struct pipeline_backend {
    struct eth_addr mac;
    uint16_t weight;
    uint32_t bucket_id;
};

struct dsr_owner *pipeline_base(struct eth_addr bridge_mac,
                                ovs_be32 probe_ip);
struct dsr_owner *pipeline_vip(ovs_be32 vip, struct eth_addr mac);
struct dsr_owner *pipeline_service(const struct dsr_service *,
                                   const struct pipeline_backend *,
                                   size_t n_backends);
struct dsr_owner *pipeline_backend_location(struct eth_addr mac,
                                            ofp_port_t port);

uint64_t pipeline_mac_to_id(struct eth_addr);

#endif /* flows/pipeline.h */
