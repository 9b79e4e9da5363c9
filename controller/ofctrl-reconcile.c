/* Reading one bridge back after a (re)connection: dsrd's flows (by cookie
 * tag) and all groups are dumped, compared owner by owner with the desired
 * state, and 'installed' becomes what the switch really has, so that only
 * the difference is sent: a restarted dsrd, or one that lost track,
 * changes nothing that is already right.  See ofctrl-private.h. */
#include <config.h>
#include "controller/ofctrl-private.h"

#include <malloc.h>
#include "coverage.h"
#include "flows/flow-set.h"
#include "flows/group-desc.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl_reconcile);

COVERAGE_DEFINE(ofctrl_reconcile);
COVERAGE_DEFINE(ofctrl_reconcile_clean);

/* One cookie's flows as the switch reported them. */
struct dumped_owner {
    struct hmap_node node;      /* By hash of 'cookie'. */
    uint64_t cookie;
    struct dsr_owner *owner;
};

/* One group as the switch reported it: its slot table (1 KB where the
 * decoded group of 256 buckets takes some 40), or nothing if it is not a
 * slot group. */
struct dumped_group {
    struct hmap_node node;      /* By group id. */
    uint32_t group_id;
    struct dsr_slot_group *slots;   /* NULL: not a slot group. */
    bool claimed;               /* A desired owner has this group. */
};

static void
clear_dump(struct ofctrl *ofc)
{
    struct dumped_owner *d;
    struct dumped_group *g;

    HMAP_FOR_EACH_POP (d, node, &ofc->dumped) {
        dsr_owner_unref(d->owner);
        free(d);
    }
    HMAP_FOR_EACH_POP (g, node, &ofc->dumped_groups) {
        free(g->slots);
        free(g);
    }
}

void
ofctrl_reconcile_init(struct ofctrl *ofc)
{
    hmap_init(&ofc->dumped);
    hmap_init(&ofc->dumped_groups);
}

void
ofctrl_reconcile_destroy(struct ofctrl *ofc)
{
    clear_dump(ofc);
    hmap_destroy(&ofc->dumped);
    hmap_destroy(&ofc->dumped_groups);
}

/* Asks the switch for dsrd's flows and for all groups. */
void
ofctrl_start_reconcile(struct ofctrl *ofc)
{
    struct ofpbuf *msg;

    clear_dump(ofc);
    msg = ofctrl_encode_dsr_flows_request();
    ofc->dump_flow_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);
    msg = ofputil_encode_group_desc_request(OFP15_VERSION, OFPG_ALL);
    ofc->dump_group_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);
    ofc->dumps_pending = 2;
    ofctrl_transition(ofc, OFCTRL_E_DUMP_SENT);
}

bool
ofctrl_dump_is_empty(const struct ofctrl *ofc)
{
    return hmap_is_empty(&ofc->dumped) && hmap_is_empty(&ofc->dumped_groups);
}
static struct dumped_owner *
find_dumped(const struct ofctrl *ofc, uint64_t cookie)
{
    struct dumped_owner *d;

    HMAP_FOR_EACH_WITH_HASH (d, node, ofctrl_cookie_hash(cookie),
                             &ofc->dumped) {
        if (d->cookie == cookie) {
            return d;
        }
    }
    return NULL;
}

bool
ofctrl_is_held(const struct ofctrl *ofc)
{
    return ofc->state == OFCTRL_S_HELD;
}

const struct dsr_owner *
ofctrl_held_dump(const struct ofctrl *ofc, uint64_t cookie)
{
    const struct dumped_owner *d = (ofctrl_is_held(ofc)
                                    ? find_dumped(ofc, cookie) : NULL);
    return d ? d->owner : NULL;
}

static struct dumped_group *
find_dumped_group(const struct ofctrl *ofc, uint32_t group_id)
{
    struct dumped_group *g;

    HMAP_FOR_EACH_WITH_HASH (g, node, hash_int(group_id, 0),
                             &ofc->dumped_groups) {
        if (g->group_id == group_id) {
            return g;
        }
    }
    return NULL;
}

void
ofctrl_handle_dump_flows(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofputil_flow_stats fs;
    struct ofpbuf ofpacts;

    ofpbuf_init(&ofpacts, 64);
    while (!ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts)) {
        uint64_t cookie = ntohll(fs.cookie);
        struct dumped_owner *d = find_dumped(ofc, cookie);

        if (!d) {
            d = xzalloc(sizeof *d);
            d->cookie = cookie;
            d->owner = dsr_owner_create(cookie);
            hmap_insert(&ofc->dumped, &d->node, ofctrl_cookie_hash(cookie));
        }
        dsr_owner_add_flow_match(d->owner, fs.table_id, fs.priority,
                                 &fs.match, fs.ofpacts, fs.ofpacts_len);
    }
    ofpbuf_uninit(&ofpacts);
    if (!ofpmp_more(oh)) {
        ofc->dumps_pending--;
    }
}

void
ofctrl_handle_dump_groups(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofputil_group_desc gd;

    while (!dsr_decode_group_desc_reply(&gd, &b, oh->version)) {
        struct dumped_group *g = xzalloc(sizeof *g);
        struct dsr_slot_group sg;

        g->group_id = gd.group_id;
        if (dsr_slot_group_from_desc(&gd, &sg)) {
            g->slots = xmemdup(&sg, sizeof sg);
        }
        hmap_insert(&ofc->dumped_groups, &g->node, hash_int(g->group_id, 0));
        ofputil_uninit_group_desc(&gd);
    }
    if (!ofpmp_more(oh)) {
        ofc->dumps_pending--;
    }
}

/* Whether the switch has the flows of all of 'owner''s rows. */
static bool
rows_match_dump(const struct dsr_owner *owner, const struct dumped_owner *d)
{
    struct ofpbuf ofpacts;
    bool same = true;

    ofpbuf_init(&ofpacts, 64);
    for (size_t i = 0; same && i < owner->n_rows; i++) {
        struct dsr_flow row;

        dsr_owner_row_flow(owner, i, &row, &ofpacts);
        const struct dsr_flow *have = dsr_owner_find_flow(
            d->owner, row.table_id, row.priority, &row.match);
        same = have && dsr_flow_same_on_wire(have, &row);
        minimatch_destroy(&row.match);
    }
    ofpbuf_uninit(&ofpacts);
    return same;
}

/* Whether the switch has exactly what 'owner' wants. */
static bool
owner_matches_dump(const struct ofctrl *ofc, const struct dsr_owner *owner,
                   const struct dumped_owner *d)
{
    const struct dsr_flow *flow;

    if ((d ? hmap_count(&d->owner->flows) : 0)
        != dsr_owner_count_flows(owner) || owner->error) {
        return false;
    }
    if (!rows_match_dump(owner, d)) {
        VLOG_DBG("cookie %#"PRIx64": a per-backend flow differs",
                 owner->cookie);
        return false;
    }
    HMAP_FOR_EACH (flow, node, &owner->flows) {
        const struct dsr_flow *have = dsr_owner_find_flow(
            d->owner, flow->table_id, flow->priority, &flow->match);
        if (!have || !dsr_flow_same_on_wire(have, flow)) {
            if (VLOG_IS_DBG_ENABLED()) {
                struct ds s = DS_EMPTY_INITIALIZER;
                dsr_owner_format(owner, &s);
                ds_put_cstr(&s, "  but the switch has:\n");
                dsr_owner_format(d->owner, &s);
                VLOG_DBG("cookie %#"PRIx64" wants:\n%s", owner->cookie,
                         ds_cstr(&s));
                ds_destroy(&s);
            }
            return false;
        }
    }
    if (dsr_owner_has_group(owner)) {
        const struct dumped_group *g = find_dumped_group(ofc,
                                                         owner->group_id);
        if (!g || !g->slots || !owner->slot_group
            || !dsr_slot_group_equal(g->slots, owner->slot_group)) {
            VLOG_DBG("cookie %#"PRIx64": group %"PRIu32" differs",
                     owner->cookie, owner->group_id);
            return false;
        }
    }
    return true;
}

/* What we know the switch has for 'cookie', from the dump. */
static struct dsr_owner *
owner_from_dump(struct ofctrl *ofc, uint64_t cookie, uint32_t group_id)
{
    struct dumped_owner *d = find_dumped(ofc, cookie);
    struct dumped_group *g = group_id ? find_dumped_group(ofc, group_id)
                                      : NULL;
    struct dsr_owner *owner = dsr_owner_create(cookie);

    if (d) {
        dsr_owner_copy_flows(owner, d->owner);
    }
    if (g) {
        /* A spec no owner can have: the diff replaces or deletes it. */
        dsr_owner_set_group(owner, group_id, "(as found on the switch)");
        g->claimed = true;
    }
    return owner;
}


/* Sets 'installed' to what the switch has for each desired owner and
 * marks those that differ.  Returns the number already right. */
static size_t
reconcile_desired(struct ofctrl *ofc)
{
    struct owner_entry *e;
    size_t n_same = 0;

    HMAP_FOR_EACH (e, node, &ofc->desired) {
        struct dsr_owner *want = e->owner;
        struct dumped_owner *d = find_dumped(ofc, e->cookie);

        if (!ofctrl_entry_find(&ofc->rejected, e->cookie)
            && owner_matches_dump(ofc, want, d)) {
            ofctrl_entry_set(&ofc->installed, e->cookie, want);
            if (dsr_owner_has_group(want)) {
                find_dumped_group(ofc, want->group_id)->claimed = true;
            }
            n_same++;
        } else {
            struct dsr_owner *have = owner_from_dump(
                ofc, e->cookie,
                dsr_owner_has_group(want) ? want->group_id : 0);
            ofctrl_entry_set(&ofc->installed, e->cookie, have);
            dsr_owner_unref(have);
            ofctrl_mark_dirty(ofc, e->cookie);
        }
    }
    return n_same;
}

/* Marks for deletion what the switch has that nothing wants. */
static void
reconcile_stale(struct ofctrl *ofc)
{
    struct dumped_owner *d;
    struct dumped_group *g;

    /* dsrd's flows that nothing wants any more. */
    HMAP_FOR_EACH (d, node, &ofc->dumped) {
        if (!ofctrl_entry_find(&ofc->desired, d->cookie)) {
            ofctrl_entry_set(&ofc->installed, d->cookie, d->owner);
            ofctrl_mark_dirty(ofc, d->cookie);
        }
    }
    /* Groups in dsrd's range that nothing wants: left by services deleted
     * while dsrd was away. */
    HMAP_FOR_EACH (g, node, &ofc->dumped_groups) {
        if (!g->claimed && g->group_id <= ofc->group_limit) {
            uint64_t cookie = dsr_cookie(DSR_COOKIE_SERVICE, g->group_id);
            struct owner_entry *have = ofctrl_entry_find(&ofc->installed,
                                                         cookie);
            struct dsr_owner *owner = dsr_owner_create(cookie);

            if (have) {
                /* Keep its flows; add the group, to delete both. */
                dsr_owner_copy_flows(owner, have->owner);
            }
            dsr_owner_set_group(owner, g->group_id,
                                "(as found on the switch)");
            ofctrl_entry_set(&ofc->installed, cookie, owner);
            dsr_owner_unref(owner);
            ofctrl_mark_dirty(ofc, cookie);
        }
    }
}

/* Both dumps are in: sets 'installed' to what the switch really has and
 * marks what differs from the desired state, so that the next bundle
 * carries only that.  Ends the hold: it is over once the switch is
 * compared against the complete desired state. */
void
ofctrl_reconcile(struct ofctrl *ofc)
{
    ofctrl_entries_clear(&ofc->installed);
    ofctrl_entries_clear(&ofc->dirty);

    size_t n_same = reconcile_desired(ofc);
    reconcile_stale(ofc);

    COVERAGE_INC(ofctrl_reconcile);
    if (hmap_is_empty(&ofc->dirty)) {
        /* No bundle will acknowledge the changes made so far: the switch
         * has them already. */
        ofc->acked_seqno = ofc->change_seqno;
        COVERAGE_INC(ofctrl_reconcile_clean);
    }
    VLOG_INFO("%s: reconciled: %"PRIuSIZE" owners already right, %"PRIuSIZE
              " to change", ofc->bridge, n_same, hmap_count(&ofc->dirty));
    bool big = hmap_count(&ofc->dumped) >= BIG_BUNDLE;
    clear_dump(ofc);
    if (big) {
        /* The decoded dump is gone: give its memory back. */
        malloc_trim(0);
    }
    ofc->hold_until = 0;
    ofctrl_transition(ofc, OFCTRL_E_RECONCILED);
}
