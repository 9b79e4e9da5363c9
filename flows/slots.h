/* The slot table of a service: DSR_SLOTS slots, each naming the backend
 * that new connections hashing to it go to.  OVS hashes each new
 * connection in the datapath (a dp_hash select group, one bucket per
 * slot), so no connection costs an upcall; dsrd decides what each slot
 * holds.  Pure functions; flows/README.md explains the design and its
 * measured properties. */
#ifndef DSR_SLOTS_H
#define DSR_SLOTS_H 1

#include <stddef.h>
#include <stdint.h>

/* OVS maps at most 256 dp_hash values onto a group's buckets
 * (ofproto-dpif.c, MAX_SELECT_GROUP_HASH_VALUES); with 256 equal-weight
 * buckets value i goes to bucket i. */
#define DSR_SLOTS 256
#define DSR_SLOT_NONE UINT32_MAX

/* How a slot group picks a packet's bucket. */
enum dsr_slot_hash {
    DSR_SLOT_HASH_DP,           /* selection_method=dp_hash: the
                                 * datapath's 5-tuple hash. */
    DSR_SLOT_HASH_IP_SRC,       /* selection_method=hash,fields(ip_src). */
    DSR_SLOT_HASH_5TUPLE,       /* selection_method=hash over addresses and
                                 * ports (DSR_SLOT_HASH_5TUPLE_FIELDS):
                                 * ovs-vswitchd's hash, the same on every
                                 * node and datapath. */
};
#define DSR_SLOT_HASH_5TUPLE_FIELDS \
    "ip_src,ip_dst,ipv6_src,ipv6_dst,tcp_src,tcp_dst,udp_src,udp_dst"

struct slots_backend {
    uint32_t id;                /* What a slot holds: the bucket id. */
    uint64_t key;               /* The same on every node: its address. */
    uint32_t weight;
};

/* The operator's table: moves the fewest slots that bring each backend
 * of 'backends' to its weighted share, given what 'table' held before
 * (all DSR_SLOT_NONE for a new service). */
void slots_rebalance(uint32_t table[DSR_SLOTS],
                     const struct slots_backend *backends, size_t n);

/* The table OVS gets: 'base' with every slot whose backend is not in
 * 'usable' (down, draining, disabled, MAC unknown) given to a usable
 * backend by weighted rendezvous hashing, so a backend's failure and
 * recovery move exactly its own slots. */
void slots_effective(const uint32_t base[DSR_SLOTS],
                     const struct slots_backend *usable, size_t n,
                     uint32_t out[DSR_SLOTS]);

uint64_t slots_hash(uint64_t key, uint64_t slot);

#endif /* flows/slots.h */
