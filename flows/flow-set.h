/* Desired OpenFlow state, grouped by owner, and the messages that move a
 * switch from one owner's state to another.
 *
 * An owner is everything one object contributes to a bridge (a service, a
 * VIP, a backend's location, the bridge's base flows): flows keyed by
 * (table, priority, match) and at most one group, all under one cookie.
 * Flows are held decoded (a minimatch and OVS's internal actions), so a
 * diff compares structures and an encode never parses text; they can be
 * built from ovs-ofctl text where speed does not matter, and
 * dsr_owner_format() prints them as `ovs-ofctl dump-flows` would.  A
 * service's group is held as its slot table (256 addresses) rather than
 * as 256 buckets.  Owners are immutable once built and reference counted,
 * so a bridge's "desired" and "installed" tables can share them. */
#ifndef DSR_FLOW_SET_H
#define DSR_FLOW_SET_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/types.h"
#include "flows/slots.h"

struct ds;
struct ofpact;
struct ofpbuf;
struct ofputil_group_desc;
struct ofputil_group_mod;

/* One flow. */
struct dsr_flow {
    struct hmap_node node;      /* In struct dsr_owner's 'flows'. */
    uint8_t table_id;
    uint16_t priority;
    struct minimatch match;
    struct ofpact *ofpacts;
    size_t ofpacts_len;
};

/* A select group whose bucket i (bucket_id i) loads slot i's backend
 * address into reg1 and resubmits to 'next_table' (flows/slots.h), or,
 * for a slot split into sub-slots, resubmits to 'split_table', whose
 * flows pick the backend by further bits of dp_hash. */
struct dsr_slot_group {
    enum dsr_slot_hash hash;
    bool ipv6;                  /* With DSR_SLOT_HASH_IP_SRC:
                                 * fields(ipv6_src) (ip_src ignores IPv6
                                 * packets). */
    bool sym_l4;                /* With DSR_SLOT_HASH_DP: the datapath
                                 * hashes the packet's headers
                                 * (OVS_HASH_ALG_SYM_L4), not the hash a
                                 * sender's socket gave it. */
    uint8_t next_table;
    uint8_t split_table;
    ovs_be32 slot_ips[DSR_SLOTS];     /* 0: the bucket drops. */
    bool split[DSR_SLOTS];            /* Instead of slot_ips[i]. */
};

/* Many flows of one shape, a row each: the per-backend flows of a
 * service.  A row takes 16 bytes where a decoded flow takes about 220,
 * which matters at 320,000 backends; its flow is built when needed. */
struct dsr_row {
    uint32_t key;               /* Unique in the owner; rows sorted by it. */
    struct eth_addr mac;
    uint16_t flags;
    uint32_t port;
};

/* Builds the flow of 'row' from the owner's row context 'ctx'.  The match
 * may depend only on 'ctx' and the row's key. */
typedef void dsr_row_builder(const void *ctx, const struct dsr_row *row,
                             uint8_t *table_id, uint16_t *priority,
                             struct match *, struct ofpbuf *ofpacts);

struct dsr_owner {
    struct hmap_node node;      /* In an owner table, by cookie. */
    uint64_t cookie;            /* Identifies the owner on the switch. */
    struct hmap flows;          /* struct dsr_flow. */
    uint32_t group_id;          /* Meaningful only with a group. */
    char *group;                /* Group spec after "group_id=N,", or NULL. */
    struct dsr_slot_group *slot_group;      /* Or this, or neither. */
    char *error;                /* Text that did not parse, or NULL. */
    dsr_row_builder *row_builder;   /* Flows of 'rows', if any. */
    void *row_ctx;
    size_t row_ctx_size;
    struct dsr_row *rows;
    size_t n_rows;
    int refcount;
};

struct dsr_owner *dsr_owner_create(uint64_t cookie);
struct dsr_owner *dsr_owner_ref(struct dsr_owner *);
void dsr_owner_unref(struct dsr_owner *);

void dsr_owner_add_flow(struct dsr_owner *, uint8_t table_id,
                        uint16_t priority, const char *match,
                        const char *actions);
void dsr_owner_add_flow_match(struct dsr_owner *, uint8_t table_id,
                              uint16_t priority, const struct match *,
                              const struct ofpact *, size_t ofpacts_len);
void dsr_owner_set_rows(struct dsr_owner *, dsr_row_builder *,
                        const void *ctx, size_t ctx_size,
                        const struct dsr_row *, size_t n);
size_t dsr_owner_count_flows(const struct dsr_owner *);
void dsr_owner_row_flow(const struct dsr_owner *, size_t i,
                        struct dsr_flow *, struct ofpbuf *ofpacts);
void dsr_owner_copy_flows(struct dsr_owner *dst, const struct dsr_owner *src);
void dsr_owner_set_group(struct dsr_owner *, uint32_t group_id,
                         const char *spec);
void dsr_owner_set_slot_group(struct dsr_owner *, uint32_t group_id,
                              const struct dsr_slot_group *);
bool dsr_owner_has_group(const struct dsr_owner *);
const struct dsr_flow *dsr_owner_find_flow(const struct dsr_owner *,
                                           uint8_t table_id,
                                           uint16_t priority,
                                           const struct minimatch *);
void dsr_owner_format(const struct dsr_owner *, struct ds *);

bool dsr_flow_same_on_wire(const struct dsr_flow *, const struct dsr_flow *);
bool dsr_slot_group_from_desc(const struct ofputil_group_desc *,
                              struct dsr_slot_group *);
bool dsr_slot_group_equal(const struct dsr_slot_group *,
                          const struct dsr_slot_group *);
void dsr_slot_group_to_mod(uint32_t group_id, const struct dsr_slot_group *,
                           struct ofputil_group_mod *);

/* OpenFlow 1.5 messages in the order a switch must apply them: flows that
 * go away first (they may use a group that goes away), then groups, then
 * flows (which may use the new groups), and deleted groups last. */
struct dsr_ofmsgs {
    struct ovs_list flow_dels;  /* struct ofpbuf, via 'list_node'. */
    struct ovs_list group_puts;
    struct ovs_list flow_puts;
    struct ovs_list group_dels;
    size_t n_flow_mods;
    size_t n_group_mods;
};

void dsr_ofmsgs_init(struct dsr_ofmsgs *);
void dsr_ofmsgs_destroy(struct dsr_ofmsgs *);
size_t dsr_ofmsgs_count(const struct dsr_ofmsgs *);
void dsr_ofmsgs_take(struct dsr_ofmsgs *, struct ovs_list *out);
void dsr_ofmsgs_splice(struct dsr_ofmsgs *dst, struct dsr_ofmsgs *src);

char *dsr_owner_diff(const struct dsr_owner *old,
                     const struct dsr_owner *new,
                     struct dsr_ofmsgs *) OVS_WARN_UNUSED_RESULT;

#endif /* flows/flow-set.h */
