/* Desired OpenFlow state, grouped by owner, and the messages that move a
 * switch from one owner's state to another.
 *
 * An owner is everything one object contributes to a bridge (a service, a
 * VIP, a backend's location, the bridge's base flows): flows keyed by
 * (table, priority, match) and at most one group, all under one cookie.
 * Flows and groups are kept in ovs-ofctl syntax, so what dsrd holds reads
 * exactly like `ovs-ofctl dump-flows` and the unit tests compare text.
 * Owners are immutable once built and reference counted, so a bridge's
 * "desired" and "installed" tables can share them. */
#ifndef DSR_FLOW_SET_H
#define DSR_FLOW_SET_H 1

#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"

struct ds;

/* One flow, in ovs-ofctl syntax. */
struct dsr_flow {
    struct hmap_node node;      /* In struct dsr_owner's 'flows'. */
    uint8_t table_id;
    uint16_t priority;
    char *match;                /* e.g. "tcp,nw_dst=10.0.0.100,tp_dst=80". */
    char *actions;              /* e.g. "group:1". */
};

struct dsr_owner {
    struct hmap_node node;      /* In an owner table, by cookie. */
    uint64_t cookie;            /* Identifies the owner on the switch. */
    struct hmap flows;          /* struct dsr_flow. */
    uint32_t group_id;          /* Meaningful only if 'group' is set. */
    char *group;                /* Group spec after "group_id=N,", or NULL. */
    uint32_t *bucket_ids;       /* The group's bucket ids, in order, to map */
    size_t n_buckets;           /* OVS's per-bucket counters to backends. */
    int refcount;
};

struct dsr_owner *dsr_owner_create(uint64_t cookie);
struct dsr_owner *dsr_owner_ref(struct dsr_owner *);
void dsr_owner_unref(struct dsr_owner *);

void dsr_owner_add_flow(struct dsr_owner *, uint8_t table_id,
                        uint16_t priority, const char *match,
                        const char *actions);
void dsr_owner_set_group(struct dsr_owner *, uint32_t group_id,
                         const char *spec, const uint32_t *bucket_ids,
                         size_t n_buckets);
const struct dsr_flow *dsr_owner_find_flow(const struct dsr_owner *,
                                           uint8_t table_id,
                                           uint16_t priority,
                                           const char *match);
void dsr_owner_format(const struct dsr_owner *, struct ds *);

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
char *dsr_ofmsgs_delete_by_cookie(struct dsr_ofmsgs *, uint64_t cookie,
                                  uint64_t mask) OVS_WARN_UNUSED_RESULT;

#endif /* flows/flow-set.h */
