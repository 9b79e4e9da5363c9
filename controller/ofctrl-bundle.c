/* One bridge's cookie tables (desired, installed, dirty, rejected), and
 * the changes between them sent as one atomic, ordered bundle at a time,
 * with OVS's answer: committed, or refused and undone.  See ofctrl.h and
 * ofctrl-private.h. */
#include <config.h>
#include "controller/ofctrl-private.h"

#include <malloc.h>
#include "coverage.h"
#include "flows/flow-set.h"
#include "hash.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl_bundle);

COVERAGE_DEFINE(ofctrl_bundle_commit);
COVERAGE_DEFINE(ofctrl_flow_mod);
COVERAGE_DEFINE(ofctrl_group_mod);
COVERAGE_DEFINE(ofctrl_msg);

/* A full resynchronization after an OpenFlow error waits this long, so a
 * switch that keeps rejecting something is not hammered. */
#define RESYNC_BACKOFF_MS 1000

/* A bundle is handed to rconn this many messages at a time. */
#define BUNDLE_CHUNK 5000

/* What the switch had for one cookie before the bundle in flight, to
 * restore our copy if OVS refuses the bundle. */
struct undo_entry {
    struct hmap_node node;      /* By hash of 'cookie'. */
    uint64_t cookie;
    struct dsr_owner *owner;    /* Reference held; NULL if none. */
};

uint32_t
ofctrl_cookie_hash(uint64_t cookie)
{
    return hash_uint64(cookie);
}

struct owner_entry *
ofctrl_entry_find(const struct hmap *map, uint64_t cookie)
{
    struct owner_entry *e;

    HMAP_FOR_EACH_WITH_HASH (e, node, ofctrl_cookie_hash(cookie), map) {
        if (e->cookie == cookie) {
            return e;
        }
    }
    return NULL;
}

/* Makes 'cookie' map to 'owner' in 'map' (NULL removes it). */
void
ofctrl_entry_set(struct hmap *map, uint64_t cookie, struct dsr_owner *owner)
{
    struct owner_entry *e = ofctrl_entry_find(map, cookie);

    if (e) {
        struct dsr_owner *old = e->owner;
        if (owner) {
            e->owner = dsr_owner_ref(owner);
            dsr_owner_unref(old);
        } else {
            dsr_owner_unref(old);
            hmap_remove(map, &e->node);
            free(e);
        }
    } else if (owner) {
        e = xmalloc(sizeof *e);
        e->cookie = cookie;
        e->owner = dsr_owner_ref(owner);
        hmap_insert(map, &e->node, ofctrl_cookie_hash(cookie));
    }
}

void
ofctrl_entries_clear(struct hmap *map)
{
    struct owner_entry *e;

    HMAP_FOR_EACH_POP (e, node, map) {
        dsr_owner_unref(e->owner);
        free(e);
    }
}

void
ofctrl_mark_dirty(struct ofctrl *ofc, uint64_t cookie)
{
    if (!ofctrl_entry_find(&ofc->dirty, cookie)) {
        struct owner_entry *e = xzalloc(sizeof *e);
        e->cookie = cookie;
        hmap_insert(&ofc->dirty, &e->node, ofctrl_cookie_hash(cookie));
    }
}

static void
clear_xids(struct ofctrl *ofc)
{
    struct xid_owner *xo;

    HMAP_FOR_EACH_POP (xo, node, &ofc->xids) {
        free(xo);
    }
}

static void
clear_undo(struct ofctrl *ofc)
{
    struct undo_entry *u;

    HMAP_FOR_EACH_POP (u, node, &ofc->undo) {
        dsr_owner_unref(u->owner);
        free(u);
    }
}

void
ofctrl_bundle_init(struct ofctrl *ofc)
{
    hmap_init(&ofc->desired);
    hmap_init(&ofc->installed);
    hmap_init(&ofc->dirty);
    hmap_init(&ofc->rejected);
    hmap_init(&ofc->xids);
    hmap_init(&ofc->undo);
    ofc->failed_from = 1;       /* An empty window. */
}

void
ofctrl_bundle_destroy(struct ofctrl *ofc)
{
    ofctrl_entries_clear(&ofc->desired);
    ofctrl_entries_clear(&ofc->installed);
    ofctrl_entries_clear(&ofc->dirty);
    ofctrl_entries_clear(&ofc->rejected);
    clear_xids(ofc);
    clear_undo(ofc);
    hmap_destroy(&ofc->desired);
    hmap_destroy(&ofc->installed);
    hmap_destroy(&ofc->dirty);
    hmap_destroy(&ofc->rejected);
    hmap_destroy(&ofc->xids);
    hmap_destroy(&ofc->undo);
}

/* The connection is gone, and with it the bundle in flight. */
void
ofctrl_bundle_forget(struct ofctrl *ofc)
{
    clear_undo(ofc);
}

static void
remember_undo(struct ofctrl *ofc, uint64_t cookie, struct dsr_owner *owner)
{
    struct undo_entry *u = xmalloc(sizeof *u);

    u->cookie = cookie;
    u->owner = dsr_owner_ref(owner);
    hmap_insert(&ofc->undo, &u->node, ofctrl_cookie_hash(cookie));
}

/* OVS refused an atomic bundle, so the switch still has what it had
 * before: put our copy back and try the owners again (all but those OVS
 * named). */
static void
undo_bundle(struct ofctrl *ofc)
{
    struct undo_entry *u;

    HMAP_FOR_EACH_POP (u, node, &ofc->undo) {
        ofctrl_entry_set(&ofc->installed, u->cookie, u->owner);
        dsr_owner_unref(u->owner);
        ofctrl_mark_dirty(ofc, u->cookie);
        free(u);
    }
}

static void
remember_xids(struct ofctrl *ofc, const struct dsr_ofmsgs *msgs,
              uint64_t cookie)
{
    const struct ovs_list *lists[] = {
        &msgs->flow_dels, &msgs->group_puts, &msgs->flow_puts,
        &msgs->group_dels,
    };

    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        const struct ofpbuf *msg;
        LIST_FOR_EACH (msg, list_node, lists[i]) {
            struct xid_owner *xo = xmalloc(sizeof *xo);
            xo->xid = ((const struct ofp_header *) msg->data)->xid;
            xo->cookie = cookie;
            hmap_insert(&ofc->xids, &xo->node,
                        hash_int((OVS_FORCE uint32_t) xo->xid, 0));
        }
    }
}

static const struct xid_owner *
find_xid(const struct ofctrl *ofc, ovs_be32 xid)
{
    const struct xid_owner *xo;

    HMAP_FOR_EACH_WITH_HASH (xo, node, hash_int((OVS_FORCE uint32_t) xid, 0),
                             &ofc->xids) {
        if (xo->xid == xid) {
            return xo;
        }
    }
    return NULL;
}

static void
send_bundle_ctrl(struct ofctrl *ofc, uint16_t type, ovs_be32 *xid)
{
    struct ofputil_bundle_ctrl_msg bcm = {
        .bundle_id = ofc->bundle_id,
        .type = type,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_ctrl_request(OFP15_VERSION,
                                                            &bcm);
    if (xid) {
        *xid = ((struct ofp_header *) msg->data)->xid;
    }
    rconn_send(ofc->rconn, msg, NULL);
}

/* Sends 'msgs' (in their phase order) into the bundle, opening it first
 * if nothing was added to it yet ('n_added' messages), and lets rconn
 * start writing them: OVS decodes a bundle's messages as they arrive, so
 * a big bundle's encoding here and decoding there overlap.  Phase order
 * holds within each chunk, which is all the switch needs: an owner's
 * messages never span two chunks, and owners share no groups.  Returns
 * the number of messages. */
static size_t
add_to_bundle(struct ofctrl *ofc, struct dsr_ofmsgs *msgs, size_t n_added)
{
    struct ovs_list list = OVS_LIST_INITIALIZER(&list);
    size_t n = dsr_ofmsgs_count(msgs);
    struct ofpbuf *msg;

    if (!n) {
        return 0;
    }
    if (!n_added) {
        ofc->bundle_id++;
        ofc->bundle_flow_mods = ofc->bundle_group_mods = 0;
        send_bundle_ctrl(ofc, OFPBCT_OPEN_REQUEST, NULL);
    }
    ofc->bundle_flow_mods += msgs->n_flow_mods;
    ofc->bundle_group_mods += msgs->n_group_mods;
    ofc->n_sent_flow_mods += msgs->n_flow_mods;
    ofc->n_sent_group_mods += msgs->n_group_mods;
    COVERAGE_ADD(ofctrl_flow_mod, msgs->n_flow_mods);
    COVERAGE_ADD(ofctrl_group_mod, msgs->n_group_mods);
    dsr_ofmsgs_take(msgs, &list);
    LIST_FOR_EACH_POP (msg, list_node, &list) {
        struct ofputil_bundle_add_msg bam = {
            .bundle_id = ofc->bundle_id,
            .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
            .msg = msg->data,
        };
        rconn_send(ofc->rconn, ofputil_encode_bundle_add(OFP15_VERSION,
                                                         &bam), NULL);
        ofpbuf_delete(msg);
    }
    rconn_run(ofc->rconn);
    return n;
}

/* Puts into 'msgs' what makes the switch's copy of 'cookie' what is
 * desired, and updates 'installed' to match.  Owners OVS rejected stay
 * off the switch until they change, so one bad owner cannot block all
 * the others. */
static void
diff_owner(struct ofctrl *ofc, uint64_t cookie, struct dsr_ofmsgs *msgs)
{
    struct owner_entry *want = ofctrl_entry_find(&ofc->desired, cookie);
    struct owner_entry *have = ofctrl_entry_find(&ofc->installed, cookie);
    struct dsr_owner *new = (want && !ofctrl_entry_find(&ofc->rejected,
                                                        cookie)
                             ? want->owner : NULL);

    char *error = dsr_owner_diff(have ? have->owner : NULL, new, msgs);
    if (error) {
        /* Text OVS cannot encode: keep the owner off the switch. */
        VLOG_ERR("%s: cookie %#"PRIx64": %s", ofc->bridge, cookie, error);
        free(error);
        dsr_ofmsgs_destroy(msgs);
        if (want) {
            ofctrl_entry_set(&ofc->rejected, cookie, want->owner);
            ofc->rejected_seqno++;
        }
        if (have) {
            /* Remove what the switch has of it. */
            error = dsr_owner_diff(have->owner, NULL, msgs);
            ovs_assert(!error);
            remember_undo(ofc, cookie, have->owner);
            ofctrl_entry_set(&ofc->installed, cookie, NULL);
        }
    } else {
        if (dsr_ofmsgs_count(msgs)) {
            remember_undo(ofc, cookie, have ? have->owner : NULL);
        }
        ofctrl_entry_set(&ofc->installed, cookie, new);
    }
    remember_xids(ofc, msgs, cookie);
}

/* Diffs every dirty owner against what the switch has and sends the
 * result as one atomic bundle. */
void
ofctrl_send_changes(struct ofctrl *ofc)
{
    struct dsr_ofmsgs msgs, scratch;
    struct owner_entry *e;
    size_t n = 0;

    dsr_ofmsgs_init(&msgs);
    dsr_ofmsgs_init(&scratch);
    clear_xids(ofc);
    clear_undo(ofc);
    ofc->sending_seqno = ofc->change_seqno;

    HMAP_FOR_EACH_POP (e, node, &ofc->dirty) {
        diff_owner(ofc, e->cookie, &scratch);
        dsr_ofmsgs_splice(&msgs, &scratch);
        free(e);
        if (dsr_ofmsgs_count(&msgs) >= BUNDLE_CHUNK) {
            n += add_to_bundle(ofc, &msgs, n);
        }
    }
    n += add_to_bundle(ofc, &msgs, n);
    if (!n) {
        ofc->acked_seqno = ofc->sending_seqno;
        return;
    }
    VLOG_DBG("%s: bundle %"PRIu32": %"PRIuSIZE" flow mods, %"PRIuSIZE
             " group mods", ofc->bridge, ofc->bundle_id,
             ofc->bundle_flow_mods, ofc->bundle_group_mods);
    send_bundle_ctrl(ofc, OFPBCT_COMMIT_REQUEST, &ofc->commit_xid);
    ofctrl_transition(ofc, OFCTRL_E_BUNDLE_SENT);
    ofc->sent_at = time_msec();
    ofc->n_bundles++;
    ofc->n_messages += n;
    COVERAGE_ADD(ofctrl_msg, n);
    ofc->bundle_size = n;
}

static bool
bundle_in_flight(const struct ofctrl *ofc)
{
    return (ofc->state == OFCTRL_S_COMMITTING
            || ofc->state == OFCTRL_S_REJECTED);
}

/* The bundle in flight did not go in whole.  If OVS refused the commit,
 * which is atomic, the switch is as before the bundle; otherwise (some
 * message refused when added, the rest committed) what it has is unknown
 * and it is read back.  Either way after a pause, and without the owners
 * OVS named. */
static void
bundle_failed(struct ofctrl *ofc, bool commit_refused)
{
    if (commit_refused) {
        undo_bundle(ofc);
        ofctrl_transition(ofc, OFCTRL_E_UNDONE);
    } else {
        clear_undo(ofc);
        ofctrl_transition(ofc, OFCTRL_E_COMMITTED);
    }
    ofc->resync_after = time_msec() + RESYNC_BACKOFF_MS;
    ofc->failed_from = ofc->acked_seqno + 1;
    ofc->failed_to = ofc->sending_seqno;
    clear_xids(ofc);
}

void
ofctrl_handle_error(struct ofctrl *ofc, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
    char *text = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 1);
    bool in_flight = bundle_in_flight(ofc);
    const struct xid_owner *xo = in_flight ? find_xid(ofc, oh->xid) : NULL;

    VLOG_ERR_RL(&rl, "%s: OpenFlow error: %s", ofc->bridge, text);
    ofc->n_errors++;
    if (in_flight && (xo || oh->xid == ofc->commit_xid)
        && ofc->state != OFCTRL_S_REJECTED) {
        /* OVS reports the message that failed, then the commit: the
         * first says why.  (Errors about packet-outs or statistics
         * requests say nothing about the bundle.) */
        free(ofc->last_error);
        ofc->last_error = xstrdup(text);
        ofctrl_transition(ofc, OFCTRL_E_REJECTED);
    }
    if (xo && xo->cookie) {
        struct owner_entry *want = ofctrl_entry_find(&ofc->desired,
                                                     xo->cookie);
        if (want) {
            VLOG_WARN_RL(&rl, "%s: leaving cookie %#"PRIx64" off the "
                         "switch until it changes", ofc->bridge,
                         xo->cookie);
            ofctrl_entry_set(&ofc->rejected, xo->cookie, want->owner);
            ofc->rejected_seqno++;
        }
    }
    if (in_flight && oh->xid == ofc->commit_xid) {
        bundle_failed(ofc, true);
    }
    free(text);
}

void
ofctrl_handle_bundle_reply(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofputil_bundle_ctrl_msg bcm;

    if (ofputil_decode_bundle_ctrl(oh, &bcm)
        || bcm.type != OFPBCT_COMMIT_REPLY || !bundle_in_flight(ofc)
        || oh->xid != ofc->commit_xid || bcm.bundle_id != ofc->bundle_id) {
        return;
    }
    if (ofc->state == OFCTRL_S_REJECTED) {
        /* Committed without the messages OVS refused. */
        bundle_failed(ofc, false);
        return;
    }
    ofctrl_transition(ofc, OFCTRL_E_COMMITTED);
    COVERAGE_INC(ofctrl_bundle_commit);
    ofc->acked_seqno = ofc->sending_seqno;
    clear_xids(ofc);
    clear_undo(ofc);
    VLOG_DBG("%s: bundle %"PRIu32" committed in %lld ms", ofc->bridge,
             bcm.bundle_id, time_msec() - ofc->sent_at);
    if (ofc->bundle_size >= BIG_BUNDLE) {
        /* The encoded messages of a big bundle (tens of MB at 10,000
         * services) are freed by now: give the memory back. */
        malloc_trim(0);
    }
}
