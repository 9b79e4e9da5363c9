/* Which backends of a service take new connections and which keep their
 * pinned ones, and what each of the service's slots holds as a result:
 * the pure part of programming a service (lb.c gathers what it needs
 * from neighbors, tunnels and health; flows/pipeline.h turns the result
 * into flows).  tests/test-lb.c covers it. */
#ifndef DSR_LB_SLOTS_H
#define DSR_LB_SLOTS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "controller/model.h"
#include "flows/pipeline.h"
#include "flows/slots.h"
#include "openvswitch/types.h"
#include "packets.h"

/* A backend as lb sees it when it programs its service. */
struct lb_backend_view {
    ovs_be32 ip;                /* Its pin key: the IPv4 address, or a
                                 * 32-bit key of an IPv6 one
                                 * (dsr_ip_slot_key()). */
    struct in6_addr addr;       /* Its address (IPv4-mapped for IPv4). */
    uint32_t id;                /* What its slots hold. */
    uint16_t weight;
    enum dsr_backend_state state;
    bool down;                  /* Its health check says so. */
    bool deliverable;           /* MAC known (l2) or port known (tunnels). */
    struct eth_addr mac;        /* As struct pipeline_backend's 'mac'. */
    uint32_t port;              /* As struct pipeline_backend's 'port'. */
};

/* What a service's flows and group are made of. */
struct lb_slots {
    struct pipeline_backend *reachable; /* Keep their pinned connections. */
    size_t n_reachable;
    struct slots_backend *usable;   /* Take new connections, by bucket id. */
    size_t n_usable;
    ovs_be32 *slot_ips;             /* Each slot's backend, or 0: drop. */
    size_t n_slots;                 /* DSR_SLOTS or DSR_SLOTS_FINE. */
};

void lb_slots_compute(const uint32_t *base, size_t n_slots,
                      const struct lb_backend_view *, size_t n,
                      enum dsr_all_down, struct lb_slots *);
bool lb_slots_is_usable(const struct lb_slots *, uint32_t id);
void lb_slots_destroy(struct lb_slots *);

#endif /* controller/lb-slots.h */
