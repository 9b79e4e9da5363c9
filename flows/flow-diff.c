/* The OpenFlow messages that turn the switch's copy of an owner into
 * another version of it: dsr_owner_diff() and the message lists it fills,
 * in the phase order a switch needs (flow-set.h).  flow-set.c owns the
 * owners themselves; this file only reads them. */
#include <config.h>
#include "flows/flow-set.h"

#include <stdlib.h>
#include <string.h>
#include "byte-order.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/ofp-actions.h"
#include "util.h"

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

static void
push_flow_mod__(struct dsr_ofmsgs *msgs, struct ovs_list *list,
                const struct ofputil_flow_mod *fm)
{
    struct ofpbuf *msg = ofputil_encode_flow_mod(fm, OFPUTIL_P_OF15_OXM);

    ovs_list_push_back(list, &msg->list_node);
    msgs->n_flow_mods++;
}

static void
flow_mod__(struct dsr_ofmsgs *msgs, uint64_t cookie,
           const struct dsr_flow *flow, bool add)
{
    struct ofputil_flow_mod fm = {
        .match = flow->match,
        .priority = flow->priority,
        .table_id = flow->table_id,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
    };

    if (add) {
        fm.command = OFPFC_ADD;
        fm.new_cookie = htonll(cookie);
        fm.ofpacts = flow->ofpacts;
        fm.ofpacts_len = flow->ofpacts_len;
    } else {
        /* Deletes are strict and touch only flows with this cookie. */
        fm.command = OFPFC_DELETE_STRICT;
        fm.cookie = htonll(cookie);
        fm.cookie_mask = OVS_BE64_MAX;
    }
    push_flow_mod__(msgs, add ? &msgs->flow_puts : &msgs->flow_dels, &fm);
}

static char *
push_group_mod__(struct dsr_ofmsgs *msgs, struct ovs_list *list,
                 struct ofputil_group_mod *gm)
{
    struct ofpbuf *msg = ofputil_encode_group_mod(OFP15_VERSION, gm, NULL,
                                                  -1);
    if (msg->size > UINT16_MAX) {
        /* OpenFlow lengths are 16 bits: the message would be cut. */
        size_t size = msg->size;
        ofpbuf_delete(msg);
        return xasprintf("group_id=%"PRIu32": group mod of %"PRIuSIZE
                         " bytes exceeds OpenFlow's 65535", gm->group_id,
                         size);
    }
    ovs_list_push_back(list, &msg->list_node);
    msgs->n_group_mods++;
    return NULL;
}


static char *
group_mod__(struct dsr_ofmsgs *msgs, const struct dsr_owner *owner, bool add)
{
    struct ovs_list *list = add ? &msgs->group_puts : &msgs->group_dels;
    struct ofputil_group_mod gm;
    char *error;

    if (add && owner->slot_group) {
        dsr_slot_group_to_mod(owner->group_id, owner->slot_group, &gm);
        error = push_group_mod__(msgs, list, &gm);
        ofputil_uninit_group_mod(&gm);
        return error;
    }

    char *text = (add
                  ? xasprintf("group_id=%"PRIu32",%s", owner->group_id,
                              owner->group)
                  : xasprintf("group_id=%"PRIu32, owner->group_id));
    enum ofputil_protocol usable;
    error = parse_ofp_group_mod_str(&gm, add ? OFPGC11_ADD_OR_MOD
                                             : OFPGC11_DELETE,
                                    text, NULL, NULL, &usable);
    if (error) {
        char *full = xasprintf("%s: %s", text, error);
        free(error);
        free(text);
        return full;
    }
    free(text);
    error = push_group_mod__(msgs, list, &gm);
    ofputil_uninit_group_mod(&gm);
    return error;
}

static bool
same_group(const struct dsr_owner *a, const struct dsr_owner *b)
{
    if (a->group_id != b->group_id) {
        return false;
    } else if (a->slot_group && b->slot_group) {
        return dsr_slot_group_equal(a->slot_group, b->slot_group);
    } else if (a->group && b->group) {
        return !strcmp(a->group, b->group);
    }
    return false;
}

/* Sends row 'i' of 'owner' as an add or a delete. */
static void
row_mod__(struct dsr_ofmsgs *msgs, const struct dsr_owner *owner, size_t i,
          bool add, struct ofpbuf *ofpacts)
{
    struct dsr_flow row;

    dsr_owner_row_flow(owner, i, &row, ofpacts);
    flow_mod__(msgs, owner->cookie, &row, add);
    minimatch_destroy(&row.match);
}

/* The rows part of dsr_owner_diff(), for owners with the same builder: a
 * merge of the sorted rows.  A row's match depends only on its key, so a
 * changed row is one add, which replaces its flow. */
static void
diff_rows(const struct dsr_owner *old, const struct dsr_owner *new,
          struct dsr_ofmsgs *msgs)
{
    size_t n_old = old ? old->n_rows : 0;
    size_t n_new = new ? new->n_rows : 0;
    bool same_ctx = (old && new && old->row_ctx_size == new->row_ctx_size
                     && (!old->row_ctx_size
                         || !memcmp(old->row_ctx, new->row_ctx,
                                    old->row_ctx_size)));
    struct ofpbuf ofpacts;
    size_t i = 0, j = 0;

    ofpbuf_init(&ofpacts, 64);
    while (i < n_old || j < n_new) {
        if (j == n_new || (i < n_old && old->rows[i].key < new->rows[j].key)) {
            row_mod__(msgs, old, i++, false, &ofpacts);
        } else if (i == n_old || new->rows[j].key < old->rows[i].key) {
            row_mod__(msgs, new, j++, true, &ofpacts);
        } else {
            if (!same_ctx || memcmp(&old->rows[i], &new->rows[j],
                                    sizeof old->rows[i])) {
                row_mod__(msgs, new, j, true, &ofpacts);
            }
            i++;
            j++;
        }
    }
    ofpbuf_uninit(&ofpacts);
}

/* Appends to 'msgs' what turns the switch's copy of 'old' into 'new'.
 * Either may be NULL (owner appears or disappears); both, if given, have
 * the same cookie.  Unchanged flows and groups cost nothing. */
char *
dsr_owner_diff(const struct dsr_owner *old, const struct dsr_owner *new,
               struct dsr_ofmsgs *msgs)
{
    const struct dsr_flow *flow;
    char *error;

    if (new && new->error) {
        return xstrdup(new->error);
    }
    if (old && new && old->row_builder != new->row_builder) {
        /* Different shapes (an owner read back from a switch has no
         * rows): compare flow by flow. */
        struct dsr_owner *a = dsr_owner_create(old->cookie);
        struct dsr_owner *b = dsr_owner_create(new->cookie);

        dsr_owner_copy_flows(a, old);
        dsr_owner_copy_flows(b, new);
        a->group_id = old->group_id;
        a->group = nullable_xstrdup(old->group);
        a->slot_group = (old->slot_group
                         ? xmemdup(old->slot_group, sizeof *old->slot_group)
                         : NULL);
        b->group_id = new->group_id;
        b->group = nullable_xstrdup(new->group);
        b->slot_group = (new->slot_group
                         ? xmemdup(new->slot_group, sizeof *new->slot_group)
                         : NULL);
        error = dsr_owner_diff(a, b, msgs);
        dsr_owner_unref(a);
        dsr_owner_unref(b);
        return error;
    }
    diff_rows(old, new, msgs);
    if (old) {
        HMAP_FOR_EACH (flow, node, &old->flows) {
            if (!new || !dsr_owner_find_flow(new, flow->table_id,
                                             flow->priority, &flow->match)) {
                flow_mod__(msgs, old->cookie, flow, false);
            }
        }
        if (dsr_owner_has_group(old)
            && (!new || !dsr_owner_has_group(new)
                || new->group_id != old->group_id)) {
            error = group_mod__(msgs, old, false);
            if (error) {
                return error;
            }
        }
    }
    if (new) {
        if (dsr_owner_has_group(new)
            && (!old || !dsr_owner_has_group(old) || !same_group(old, new))) {
            error = group_mod__(msgs, new, true);
            if (error) {
                return error;
            }
        }
        HMAP_FOR_EACH (flow, node, &new->flows) {
            const struct dsr_flow *prev = (old
                                           ? dsr_owner_find_flow(
                                                 old, flow->table_id,
                                                 flow->priority, &flow->match)
                                           : NULL);
            if (!prev || !dsr_flow_same_on_wire(prev, flow)) {
                flow_mod__(msgs, new->cookie, flow, true);
            }
        }
    }
    return NULL;
}
