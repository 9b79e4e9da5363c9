/* The slot table of a service: DSR_SLOTS slots, each naming the backend
 * that new connections hashing to it go to.  OVS hashes each new
 * connection in the datapath (a dp_hash select group, one bucket per
 * slot), so no connection costs an upcall; dsrd decides what each slot
 * holds.  Pure functions; flows/README.md explains the design and its
 * measured properties. */
#ifndef DSR_SLOTS_H
#define DSR_SLOTS_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* OVS maps at most 256 dp_hash values onto a group's buckets
 * (ofproto-dpif.c, MAX_SELECT_GROUP_HASH_VALUES); with 256 equal-weight
 * buckets value i goes to bucket i. */
#define DSR_SLOTS 256
#define DSR_SLOT_NONE UINT32_MAX

/* A service whose shares 256 slots cannot give to within 1 % (more than
 * 256 backends, or weights finer than 1/256) gets a fine table instead:
 * DSR_SLOTS_FINE entries, entry e being sub-slot e % 256 of slot e / 256.
 * Bucket i of the group still takes dp_hash & 0xff; a slot that holds
 * several backends sends its packets on to a table that matches the
 * sub-slot, dp_hash bits 8 to 15, by prefix (flows/README.md). */
#define DSR_SUBSLOT_BITS 8
#define DSR_SLOTS_FINE (DSR_SLOTS << DSR_SUBSLOT_BITS)

/* A node of a split slot's tree of sub-slot flows, as reg3 holds it: the
 * slot, and the node's heap index (1: the root, whose children are 2 and
 * 3) over the sub-slot's bits, most significant first. */
#define DSR_SUBSLOT_NODE(SLOT, H) ((uint32_t) (SLOT) << 16 | (H))

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

/* The same for a fine table: each backend's share of DSR_SLOTS_FINE,
 * moving the entries that split the fewest slots (flows/README.md), as
 * each split slot costs table 25 flows. */
void slots_rebalance_fine(uint32_t table[DSR_SLOTS_FINE],
                          const struct slots_backend *backends, size_t n);

/* Whether 256 slots give every backend of 'backends' its share to
 * within 1 %. */
bool slots_coarse_fits(const struct slots_backend *backends, size_t n);

/* The operator's table of a service, '*table' of 'n_slots' (DSR_SLOTS
 * or DSR_SLOTS_FINE) entries, rebalanced for 'backends': made fine when
 * 'allow_fine' and 256 slots do not fit, made coarse again when every
 * slot ends up whole or fine tables are not allowed.  Returns the
 * table's new size; '*table' may be reallocated. */
size_t slots_update(uint32_t **table, size_t n_slots,
                    const struct slots_backend *backends, size_t n,
                    bool allow_fine);

/* The table OVS gets: 'base' (of 'n_slots' entries) with every entry
 * whose backend is not in 'usable' (down, draining, disabled, MAC
 * unknown) given to a usable backend: the owner of a kept entry that a
 * lost block probes, or by weighted rendezvous hashing when most of the
 * table is lost.  A backend's failure and recovery move exactly its own
 * entries. */
void slots_effective(const uint32_t *base, size_t n_slots,
                     const struct slots_backend *usable, size_t n,
                     uint32_t *out);

/* The indexes of 'backends' (n of them) in the order of their bucket
 * ids, for slots_by_id(), or of their keys, an order every node shares.
 * Freed by the caller. */
size_t *slots_index_by_id(const struct slots_backend *backends, size_t n);
size_t *slots_index_by_key(const struct slots_backend *backends, size_t n);

/* The index in 'backends' of the backend with bucket 'id', or SIZE_MAX:
 * O(log n) through 'index' from slots_index_by_id(). */
size_t slots_by_id(const struct slots_backend *backends, const size_t *index,
                   size_t n, uint32_t id);

/* qsort()'s and bsearch()'s order of uint32_t ids (or of arrays that
 * start with one). */
int slots_compare_ids(const void *a, const void *b);

uint64_t slots_hash(uint64_t key, uint64_t slot);

#endif /* flows/slots.h */
