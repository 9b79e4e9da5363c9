/* Owners of flows and groups, and the diff between two versions of one.
 * See flow-set.h. */
#include <config.h>
#include "flows/flow-set.h"

#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

static uint32_t
flow_hash__(uint8_t table_id, uint16_t priority, const char *match)
{
    return hash_string(match, hash_2words(table_id, priority));
}

struct dsr_owner *
dsr_owner_create(uint64_t cookie)
{
    struct dsr_owner *owner = xzalloc(sizeof *owner);

    owner->cookie = cookie;
    hmap_init(&owner->flows);
    owner->refcount = 1;
    return owner;
}

struct dsr_owner *
dsr_owner_ref(struct dsr_owner *owner)
{
    if (owner) {
        owner->refcount++;
    }
    return owner;
}

void
dsr_owner_unref(struct dsr_owner *owner)
{
    if (owner && !--owner->refcount) {
        struct dsr_flow *flow;

        HMAP_FOR_EACH_POP (flow, node, &owner->flows) {
            free(flow->match);
            free(flow->actions);
            free(flow);
        }
        hmap_destroy(&owner->flows);
        free(owner->group);
        free(owner->bucket_ids);
        free(owner);
    }
}

const struct dsr_flow *
dsr_owner_find_flow(const struct dsr_owner *owner, uint8_t table_id,
                    uint16_t priority, const char *match)
{
    const struct dsr_flow *flow;

    HMAP_FOR_EACH_WITH_HASH (flow, node,
                             flow_hash__(table_id, priority, match),
                             &owner->flows) {
        if (flow->table_id == table_id && flow->priority == priority
            && !strcmp(flow->match, match)) {
            return flow;
        }
    }
    return NULL;
}

/* Adds a flow; a second flow with the same key replaces the first. */
void
dsr_owner_add_flow(struct dsr_owner *owner, uint8_t table_id,
                   uint16_t priority, const char *match, const char *actions)
{
    struct dsr_flow *flow = CONST_CAST(struct dsr_flow *,
                                       dsr_owner_find_flow(owner, table_id,
                                                           priority, match));
    if (flow) {
        free(flow->actions);
    } else {
        flow = xmalloc(sizeof *flow);
        flow->table_id = table_id;
        flow->priority = priority;
        flow->match = xstrdup(match);
        hmap_insert(&owner->flows, &flow->node,
                    flow_hash__(table_id, priority, match));
    }
    flow->actions = xstrdup(actions);
}

void
dsr_owner_set_group(struct dsr_owner *owner, uint32_t group_id,
                    const char *spec, const uint32_t *bucket_ids,
                    size_t n_buckets)
{
    free(owner->group);
    free(owner->bucket_ids);
    owner->group_id = group_id;
    owner->group = xstrdup(spec);
    owner->bucket_ids = n_buckets ? xmemdup(bucket_ids,
                                            n_buckets * sizeof *bucket_ids)
                                  : NULL;
    owner->n_buckets = n_buckets;
}

static void
put_flow__(struct ds *s, uint64_t cookie, const struct dsr_flow *flow,
           bool with_actions)
{
    ds_put_format(s, "table=%"PRIu8",priority=%"PRIu16",cookie=%#"PRIx64,
                  flow->table_id, flow->priority, cookie);
    if (!with_actions) {
        ds_put_cstr(s, "/-1");
    }
    if (flow->match[0]) {
        ds_put_format(s, ",%s", flow->match);
    }
    if (with_actions) {
        ds_put_format(s, " actions=%s", flow->actions);
    }
}

static int
compare_lines__(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;

    return strcmp(*a, *b);
}

/* Appends the owner's flows, sorted, then its group, one per line. */
void
dsr_owner_format(const struct dsr_owner *owner, struct ds *s)
{
    size_t n = hmap_count(&owner->flows);
    char **lines = xmalloc(n * sizeof *lines);
    const struct dsr_flow *flow;
    size_t i = 0;

    HMAP_FOR_EACH (flow, node, &owner->flows) {
        struct ds line = DS_EMPTY_INITIALIZER;
        put_flow__(&line, owner->cookie, flow, true);
        lines[i++] = ds_steal_cstr(&line);
    }
    qsort(lines, n, sizeof *lines, compare_lines__);
    for (i = 0; i < n; i++) {
        ds_put_format(s, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    if (owner->group) {
        ds_put_format(s, "group_id=%"PRIu32",%s\n", owner->group_id,
                      owner->group);
    }
}

void
dsr_ofmsgs_init(struct dsr_ofmsgs *msgs)
{
    ovs_list_init(&msgs->flow_dels);
    ovs_list_init(&msgs->group_puts);
    ovs_list_init(&msgs->flow_puts);
    ovs_list_init(&msgs->group_dels);
    msgs->n_flow_mods = 0;
    msgs->n_group_mods = 0;
}

static void
free_list__(struct ovs_list *list)
{
    struct ofpbuf *msg;

    LIST_FOR_EACH_POP (msg, list_node, list) {
        ofpbuf_delete(msg);
    }
}

void
dsr_ofmsgs_destroy(struct dsr_ofmsgs *msgs)
{
    free_list__(&msgs->flow_dels);
    free_list__(&msgs->group_puts);
    free_list__(&msgs->flow_puts);
    free_list__(&msgs->group_dels);
    dsr_ofmsgs_init(msgs);
}

size_t
dsr_ofmsgs_count(const struct dsr_ofmsgs *msgs)
{
    return msgs->n_flow_mods + msgs->n_group_mods;
}

/* Moves all messages, in apply order, to the end of 'out'. */
void
dsr_ofmsgs_take(struct dsr_ofmsgs *msgs, struct ovs_list *out)
{
    ovs_list_push_back_all(out, &msgs->flow_dels);
    ovs_list_push_back_all(out, &msgs->group_puts);
    ovs_list_push_back_all(out, &msgs->flow_puts);
    ovs_list_push_back_all(out, &msgs->group_dels);
    dsr_ofmsgs_init(msgs);
}

/* Moves all of 'src' to the ends of the same phases of 'dst'. */
void
dsr_ofmsgs_splice(struct dsr_ofmsgs *dst, struct dsr_ofmsgs *src)
{
    ovs_list_push_back_all(&dst->flow_dels, &src->flow_dels);
    ovs_list_push_back_all(&dst->group_puts, &src->group_puts);
    ovs_list_push_back_all(&dst->flow_puts, &src->flow_puts);
    ovs_list_push_back_all(&dst->group_dels, &src->group_dels);
    dst->n_flow_mods += src->n_flow_mods;
    dst->n_group_mods += src->n_group_mods;
    dsr_ofmsgs_init(src);
}

static char *
put_flow_mod__(struct dsr_ofmsgs *msgs, struct ovs_list *list,
               const char *text, int command)
{
    enum ofputil_protocol usable;
    struct ofputil_flow_mod fm;

    char *error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, command,
                                         &usable);
    if (error) {
        char *full = xasprintf("%s: %s", text, error);
        free(error);
        return full;
    }
    struct ofpbuf *msg = ofputil_encode_flow_mod(&fm, OFPUTIL_P_OF15_OXM);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
    minimatch_destroy(&fm.match);
    ovs_list_push_back(list, &msg->list_node);
    msgs->n_flow_mods++;
    return NULL;
}

static char *
put_group_mod__(struct dsr_ofmsgs *msgs, struct ovs_list *list,
                const char *text, int command)
{
    enum ofputil_protocol usable;
    struct ofputil_group_mod gm;

    char *error = parse_ofp_group_mod_str(&gm, command, text, NULL, NULL,
                                          &usable);
    if (error) {
        char *full = xasprintf("%s: %s", text, error);
        free(error);
        return full;
    }
    struct ofpbuf *msg = ofputil_encode_group_mod(OFP15_VERSION, &gm, NULL,
                                                  -1);
    ofputil_uninit_group_mod(&gm);
    if (msg->size > UINT16_MAX) {
        /* OpenFlow lengths are 16 bits: the message would be cut. */
        size_t size = msg->size;
        ofpbuf_delete(msg);
        return xasprintf("group_id=%"PRIu32": group mod of %"PRIuSIZE
                         " bytes exceeds OpenFlow's 65535", gm.group_id,
                         size);
    }
    ovs_list_push_back(list, &msg->list_node);
    msgs->n_group_mods++;
    return NULL;
}

static char *
flow_mod__(struct dsr_ofmsgs *msgs, uint64_t cookie,
           const struct dsr_flow *flow, bool add)
{
    struct ds text = DS_EMPTY_INITIALIZER;

    put_flow__(&text, cookie, flow, add);
    char *error = put_flow_mod__(msgs, add ? &msgs->flow_puts
                                           : &msgs->flow_dels,
                                 ds_cstr(&text),
                                 add ? OFPFC_ADD : OFPFC_DELETE_STRICT);
    ds_destroy(&text);
    return error;
}

static char *
group_mod__(struct dsr_ofmsgs *msgs, const struct dsr_owner *owner, bool add)
{
    char *text = (add
                  ? xasprintf("group_id=%"PRIu32",%s", owner->group_id,
                              owner->group)
                  : xasprintf("group_id=%"PRIu32, owner->group_id));
    char *error = put_group_mod__(msgs, add ? &msgs->group_puts
                                            : &msgs->group_dels,
                                  text, add ? OFPGC11_ADD_OR_MOD
                                            : OFPGC11_DELETE);
    free(text);
    return error;
}

/* Appends to 'msgs' what turns the switch's copy of 'old' into 'new'.
 * Either may be NULL (owner appears or disappears); both, if given, have
 * the same cookie.  Unchanged flows and groups cost nothing. */
char *
dsr_owner_diff(const struct dsr_owner *old, const struct dsr_owner *new,
               struct dsr_ofmsgs *msgs)
{
    const struct dsr_flow *flow;
    char *error = NULL;

    if (old) {
        HMAP_FOR_EACH (flow, node, &old->flows) {
            if (!new || !dsr_owner_find_flow(new, flow->table_id,
                                             flow->priority, flow->match)) {
                error = flow_mod__(msgs, old->cookie, flow, false);
                if (error) {
                    return error;
                }
            }
        }
        if (old->group && (!new || !new->group
                           || new->group_id != old->group_id)) {
            error = group_mod__(msgs, old, false);
            if (error) {
                return error;
            }
        }
    }
    if (new) {
        if (new->group && (!old || !old->group
                           || old->group_id != new->group_id
                           || strcmp(old->group, new->group))) {
            error = group_mod__(msgs, new, true);
            if (error) {
                return error;
            }
        }
        HMAP_FOR_EACH (flow, node, &new->flows) {
            const struct dsr_flow *prev = (old
                                           ? dsr_owner_find_flow(
                                                 old, flow->table_id,
                                                 flow->priority, flow->match)
                                           : NULL);
            if (!prev || strcmp(prev->actions, flow->actions)) {
                error = flow_mod__(msgs, new->cookie, flow, true);
                if (error) {
                    return error;
                }
            }
        }
    }
    return NULL;
}

/* Appends a delete of every flow whose cookie matches 'cookie'/'mask', in
 * all tables: a full resynchronization starts with this. */
char *
dsr_ofmsgs_delete_by_cookie(struct dsr_ofmsgs *msgs, uint64_t cookie,
                            uint64_t mask)
{
    char *text = xasprintf("cookie=%#"PRIx64"/%#"PRIx64, cookie, mask);
    char *error = put_flow_mod__(msgs, &msgs->flow_dels, text, OFPFC_DELETE);

    free(text);
    return error;
}
