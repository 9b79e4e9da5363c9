/* Unit tests: ofctrl's connection/sync states.  The transition table is
 * checked as a pure function; the rest drives a real struct ofctrl whose
 * bridge never answers (its rconn never connects, so what it sends is
 * dropped), playing the switch by handing it the replies a switch would
 * send: the connection, the hold and its release, a reconciliation that
 * finds the switch right or wrong, a bundle committed, refused and
 * undone, or partly refused, and a disconnection. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include "controller/ofctrl-private.h"
#include "coverage.h"
#include "flow.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "packets.h"
#include "timeval.h"
#include "util.h"

#define S(NAME) OFCTRL_S_##NAME
#define E(NAME) OFCTRL_E_##NAME
#define NONE OFCTRL_N_STATES

/* Every transition the diagram in ofctrl-private.h draws, and some that
 * it does not (NONE). */
START_TEST(test_transition_table)
{
    static const struct {
        enum ofctrl_state from;
        enum ofctrl_event event;
        enum ofctrl_state to;
    } cases[] = {
        { S(NEW), E(START), S(DISCONNECTED) },
        { S(NEW), E(CONNECTED), NONE },
        { S(NEW), E(DISCONNECTED), NONE },
        { S(DISCONNECTED), E(START), NONE },
        { S(DISCONNECTED), E(CONNECTED), S(RESYNC) },
        { S(DISCONNECTED), E(DISCONNECTED), S(DISCONNECTED) },
        { S(DISCONNECTED), E(BUNDLE_SENT), NONE },
        { S(DISCONNECTED), E(DUMP_SENT), NONE },
        { S(RESYNC), E(DUMP_SENT), S(DUMPING) },
        { S(RESYNC), E(BUNDLE_SENT), NONE },
        { S(RESYNC), E(RECONCILED), NONE },
        { S(DUMPING), E(DUMPED_HELD), S(HELD) },
        { S(DUMPING), E(RECONCILED), S(READY) },
        { S(DUMPING), E(BUNDLE_SENT), NONE },
        { S(HELD), E(RECONCILED), S(READY) },
        { S(HELD), E(BUNDLE_SENT), NONE },
        { S(HELD), E(DUMPED_HELD), NONE },
        { S(READY), E(BUNDLE_SENT), S(COMMITTING) },
        { S(READY), E(COMMITTED), NONE },
        { S(READY), E(UNDONE), NONE },
        { S(READY), E(REJECTED), NONE },
        { S(READY), E(DUMPED_HELD), NONE },
        { S(COMMITTING), E(COMMITTED), S(READY) },
        { S(COMMITTING), E(UNDONE), S(READY) },
        { S(COMMITTING), E(REJECTED), S(REJECTED) },
        { S(COMMITTING), E(BUNDLE_SENT), NONE },
        { S(REJECTED), E(REJECTED), S(REJECTED) },
        { S(REJECTED), E(UNDONE), S(READY) },
        { S(REJECTED), E(COMMITTED), S(RESYNC) },
        { S(REJECTED), E(BUNDLE_SENT), NONE },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum ofctrl_state to = ofctrl_state_next(cases[i].from,
                                                 cases[i].event);
        ck_assert_msg(to == cases[i].to, "%s --%s--> %s, not %s",
                      ofctrl_state_name(cases[i].from),
                      ofctrl_event_name(cases[i].event),
                      ofctrl_state_name(to),
                      ofctrl_state_name(cases[i].to));
    }
}
END_TEST

/* A connection may come or go in any state but NEW. */
START_TEST(test_connection_from_any_state)
{
    for (enum ofctrl_state s = S(DISCONNECTED); s < NONE; s++) {
        ck_assert_int_eq(ofctrl_state_next(s, E(CONNECTED)), S(RESYNC));
        ck_assert_int_eq(ofctrl_state_next(s, E(DISCONNECTED)),
                         S(DISCONNECTED));
    }
    for (enum ofctrl_state s = S(NEW); s < NONE; s++) {
        ck_assert_str_ne(ofctrl_state_name(s), "(invalid)");
    }
}
END_TEST

/* The cookie of the test's one owner: a VIP's. */
#define COOKIE dsr_cookie(DSR_COOKIE_VIP, 1)

/* An owner of COOKIE with one flow to 10.0.0.'last_byte', written as
 * flows/pipeline.c writes its flows. */
static struct dsr_owner *
make_owner(uint16_t priority, uint8_t last_byte)
{
    struct dsr_owner *owner = dsr_owner_create(COOKIE);
    char *match = xasprintf("ip,nw_dst=10.0.0.%"PRIu8, last_byte);

    dsr_owner_add_flow(owner, 0, priority, match, "output:1");
    ovs_assert(!owner->error);
    free(match);
    return owner;
}

/* Makes COOKIE's desired state that one flow. */
static void
set_owner(struct ofctrl *ofc, uint16_t priority, uint8_t last_byte)
{
    struct dsr_owner *owner = make_owner(priority, last_byte);

    ofctrl_set_owner(ofc, COOKIE, owner);
    dsr_owner_unref(owner);
}

/* The coverage counters ofctrl defines (coverage.h has no reader). */
extern struct coverage_counter counter_ofctrl_connect;
extern struct coverage_counter counter_ofctrl_reconcile;
extern struct coverage_counter counter_ofctrl_reconcile_clean;
extern struct coverage_counter counter_ofctrl_state_change;

/* A coverage counter's total, as coverage/read-counter reads it. */
static unsigned long long
read_counter(struct coverage_counter *c)
{
    c->total += c->count();
    return c->total;
}
#define counter(NAME) read_counter(&counter_##NAME)

static struct ofctrl *
create(void)
{
    struct ofctrl *ofc = ofctrl_create("br-test",
                                       "unix:/nonexistent/br-test.mgmt",
                                       NULL, NULL);

    ck_assert_int_eq(ofc->state, S(NEW));
    ofctrl_run(ofc);
    ck_assert_int_eq(ofc->state, S(DISCONNECTED));
    return ofc;
}

/* Never connected: nothing is in sync, changes stay pending, and the
 * statistics rounds do not wait for a switch that is not there. */
START_TEST(test_never_connected)
{
    unsigned long long changes = counter(ofctrl_state_change);
    struct ofctrl *ofc = create();
    const char *error;

    ck_assert_uint_eq(counter(ofctrl_state_change), changes + 1);
    ck_assert(!ofctrl_is_connected(ofc));
    ck_assert(!ofctrl_is_synced(ofc));
    set_owner(ofc, 100, 1);
    ck_assert_int_eq(ofctrl_get_change_state(ofc, 1, &error),
                     OFCTRL_CHANGE_PENDING);
    ofctrl_release_hold(ofc);
    ofctrl_run(ofc);
    ofctrl_wait(ofc);
    ck_assert_int_eq(ofc->state, S(DISCONNECTED));
    ck_assert_uint_eq(ofctrl_request_stats(ofc), 0);
    ck_assert(ofctrl_stats_done(ofc, 0));
    ofctrl_destroy(ofc);
}
END_TEST

/* Hands 'msg' to 'ofc' as if the switch had sent it. */
static void
deliver(struct ofctrl *ofc, struct ofpbuf *msg)
{
    ofpmsg_update_length(msg);      /* As vconn does before sending. */
    ofctrl_handle_message(ofc, msg);
    ofpbuf_delete(msg);
}

/* Plays the switch's answer to the flow dump: what make_owner() makes
 * for 'priority' and 'last_byte', or no flow if 'priority' is 0. */
static void
reply_dump_flows(struct ofctrl *ofc, uint16_t priority, uint8_t last_byte)
{
    struct ofputil_flow_stats_request fsr = {
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    struct ovs_list replies;

    match_init_catchall(&fsr.match);
    struct ofpbuf *request = ofputil_encode_flow_stats_request(
        &fsr, OFPUTIL_P_OF15_OXM);
    ofpmsg_update_length(request);
    ((struct ofp_header *) request->data)->xid = ofc->dump_flow_xid;
    ofpmp_init(&replies, request->data);
    if (priority) {
        struct dsr_owner *owner = make_owner(priority, last_byte);
        const struct dsr_flow *flow;

        HMAP_FOR_EACH (flow, node, &owner->flows) {
            struct ofputil_flow_stats fs = {
                .table_id = flow->table_id,
                .priority = flow->priority,
                .cookie = htonll(COOKIE),
                .ofpacts = flow->ofpacts,
                .ofpacts_len = flow->ofpacts_len,
            };
            minimatch_expand(&flow->match, &fs.match);
            ofputil_append_flow_stats_reply(&fs, &replies, NULL);
        }
        dsr_owner_unref(owner);
    }
    ovs_assert(ovs_list_is_singleton(&replies));
    deliver(ofc, ofpbuf_from_list(ovs_list_pop_front(&replies)));
    ofpbuf_delete(request);
}

/* Plays the switch's answer to the group dump: no groups. */
static void
reply_dump_groups(struct ofctrl *ofc)
{
    struct ofpbuf *request = ofputil_encode_group_desc_request(OFP15_VERSION,
                                                               OFPG_ALL);

    ofpmsg_update_length(request);
    ((struct ofp_header *) request->data)->xid = ofc->dump_group_xid;
    deliver(ofc, ofpraw_alloc_stats_reply(request->data, 0));
    ofpbuf_delete(request);
}

/* The commit request of the bundle in flight, for OVS's answers to it. */
static struct ofpbuf *
commit_request(const struct ofctrl *ofc)
{
    struct ofputil_bundle_ctrl_msg bcm = {
        .bundle_id = ofc->bundle_id,
        .type = OFPBCT_COMMIT_REQUEST,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *request = ofputil_encode_bundle_ctrl_request(OFP15_VERSION,
                                                                &bcm);

    ofpmsg_update_length(request);
    ((struct ofp_header *) request->data)->xid = ofc->commit_xid;
    return request;
}

static void
reply_commit(struct ofctrl *ofc)
{
    struct ofpbuf *request = commit_request(ofc);
    struct ofputil_bundle_ctrl_msg bcm = {
        .bundle_id = ofc->bundle_id,
        .type = OFPBCT_COMMIT_REPLY,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };

    deliver(ofc, ofputil_encode_bundle_ctrl_reply(request->data, &bcm));
    ofpbuf_delete(request);
}

static void
refuse_commit(struct ofctrl *ofc)
{
    struct ofpbuf *request = commit_request(ofc);

    deliver(ofc, ofperr_encode_reply(OFPERR_OFPBFC_MSG_FAILED,
                                     request->data));
    ofpbuf_delete(request);
}

/* Connects (as ofctrl_run() would on rconn's word) and reads the switch
 * back; the dumps are still to be answered. */
static struct ofctrl *
connect_and_dump(void)
{
    struct ofctrl *ofc = create();
    unsigned long long connects = counter(ofctrl_connect);

    ofctrl_connected(ofc);
    ck_assert_uint_eq(counter(ofctrl_connect), connects + 1);
    ck_assert_int_eq(ofc->state, S(RESYNC));
    ck_assert(ofc->hold_until > time_msec());
    ofctrl_start_reconcile(ofc);
    ck_assert_int_eq(ofc->state, S(DUMPING));
    return ofc;
}

/* Connects, wants COOKIE's flow to 10.0.0.'want', plays a switch whose
 * flow for it goes to 10.0.0.'have' (no flow if 0), and runs once. */
static struct ofctrl *
read_back(uint8_t want, uint8_t have)
{
    struct ofctrl *ofc = connect_and_dump();

    set_owner(ofc, 100, want);
    reply_dump_flows(ofc, have ? 100 : 0, have);
    ck_assert_int_eq(ofc->state, S(DUMPING));
    reply_dump_groups(ofc);
    ofctrl_run(ofc);
    return ofc;
}

/* A switch with none of dsrd's flows is programmed at once: the hold
 * has nothing to keep. */
START_TEST(test_empty_switch_skips_hold)
{
    unsigned long long reconciles = counter(ofctrl_reconcile);
    struct ofctrl *ofc = read_back(1, 0);

    ck_assert_int_eq(ofc->state, S(READY));
    ck_assert_uint_eq(counter(ofctrl_reconcile), reconciles + 1);
    ck_assert_int_eq(ofc->hold_until, 0);
    ck_assert_uint_eq(hmap_count(&ofc->dirty), 1);
    ofctrl_destroy(ofc);
}
END_TEST

/* The switch has dsrd's flows: the sync holds until released, then finds
 * the switch right and has nothing to send, and the changes made so far
 * are done. */
START_TEST(test_hold_then_right)
{
    unsigned long long clean = counter(ofctrl_reconcile_clean);
    struct ofctrl *ofc = read_back(1, 1);
    const char *error;

    ck_assert_int_eq(ofc->state, S(HELD));
    ofctrl_run(ofc);
    ck_assert_int_eq(ofc->state, S(HELD));
    ofctrl_release_hold(ofc);
    ofctrl_run(ofc);
    ck_assert_int_eq(ofc->state, S(READY));
    ck_assert_uint_eq(counter(ofctrl_reconcile_clean), clean + 1);
    ck_assert(hmap_is_empty(&ofc->dirty));
    ck_assert_int_eq(ofctrl_get_change_state(ofc, ofc->change_seqno,
                                             &error), OFCTRL_CHANGE_DONE);
    ofctrl_destroy(ofc);
}
END_TEST

/* Nobody releases the hold: it ends by itself at its deadline. */
START_TEST(test_hold_deadline)
{
    struct ofctrl *ofc = read_back(1, 1);

    ck_assert_int_eq(ofc->state, S(HELD));
    ofc->hold_until = time_msec();
    ofctrl_run(ofc);
    ck_assert_int_eq(ofc->state, S(READY));
    ofctrl_destroy(ofc);
}
END_TEST

/* The switch has something else: the reconciliation marks it, and the
 * bundle that fixes it is refused (undone: the switch keeps what it had,
 * and it is tried again), then committed. */
START_TEST(test_wrong_then_undo_then_commit)
{
    unsigned long long clean = counter(ofctrl_reconcile_clean);
    struct ofctrl *ofc = read_back(1, 2);
    const char *error;

    ofctrl_release_hold(ofc);
    ofctrl_run(ofc);
    ck_assert_int_eq(ofc->state, S(READY));
    ck_assert_uint_eq(counter(ofctrl_reconcile_clean), clean);
    ck_assert_uint_eq(hmap_count(&ofc->dirty), 1);
    struct dsr_owner *dumped = ofctrl_entry_find(&ofc->installed,
                                                 COOKIE)->owner;

    uint64_t seqno = ofc->change_seqno;
    ofctrl_send_changes(ofc);
    ck_assert_int_eq(ofc->state, S(COMMITTING));
    ck_assert(hmap_is_empty(&ofc->dirty));
    ck_assert_ptr_eq(ofctrl_entry_find(&ofc->desired, COOKIE)->owner,
                     ofctrl_entry_find(&ofc->installed, COOKIE)->owner);

    refuse_commit(ofc);
    ck_assert_int_eq(ofc->state, S(READY));
    ck_assert_ptr_eq(ofctrl_entry_find(&ofc->installed, COOKIE)->owner,
                     dumped);
    ck_assert_uint_eq(hmap_count(&ofc->dirty), 1);
    ck_assert_int_eq(ofctrl_get_change_state(ofc, seqno, &error),
                     OFCTRL_CHANGE_FAILED);
    ck_assert_ptr_nonnull(error);

    set_owner(ofc, 100, 3);
    ofctrl_send_changes(ofc);
    ck_assert_int_eq(ofc->state, S(COMMITTING));
    reply_commit(ofc);
    ck_assert_int_eq(ofc->state, S(READY));
    ck_assert(hmap_is_empty(&ofc->dirty));
    ck_assert_int_eq(ofctrl_get_change_state(ofc, ofc->change_seqno,
                                             &error), OFCTRL_CHANGE_DONE);
    ofctrl_destroy(ofc);
}
END_TEST

/* OVS refuses a message of the bundle, then commits the rest: its owner
 * stays off the switch until it changes, and what the switch has is
 * read back. */
START_TEST(test_rejected_then_committed)
{
    struct ofctrl *ofc = read_back(1, 0);
    const char *error;

    uint64_t seqno = ofc->change_seqno;
    ofctrl_send_changes(ofc);
    ck_assert_int_eq(ofc->state, S(COMMITTING));
    ck_assert(!hmap_is_empty(&ofc->xids));

    /* OVS's error about one of the bundle's messages. */
    const struct xid_owner *xo = CONTAINER_OF(hmap_first(&ofc->xids),
                                              struct xid_owner, node);
    ck_assert_uint_eq(xo->cookie, COOKIE);
    struct ofpbuf *msg = ofpraw_alloc_xid(OFPRAW_OFPT11_BARRIER_REQUEST,
                                          OFP15_VERSION, xo->xid, 0);
    ofpmsg_update_length(msg);
    deliver(ofc, ofperr_encode_reply(OFPERR_OFPBRC_EPERM, msg->data));
    ofpbuf_delete(msg);
    ck_assert_int_eq(ofc->state, S(REJECTED));
    ck_assert_ptr_nonnull(ofctrl_get_rejection(ofc, COOKIE));

    reply_commit(ofc);
    ck_assert_int_eq(ofc->state, S(RESYNC));
    ck_assert_int_eq(ofctrl_get_change_state(ofc, seqno, &error),
                     OFCTRL_CHANGE_FAILED);
    ck_assert_ptr_nonnull(error);
    ck_assert(ofc->resync_after > time_msec());

    set_owner(ofc, 100, 2);
    ck_assert_ptr_null(ofctrl_get_rejection(ofc, COOKIE));
    ofctrl_destroy(ofc);
}
END_TEST

/* A disconnection drops the bundle in flight; the next connection reads
 * the switch back again, and holds again. */
START_TEST(test_disconnect)
{
    struct ofctrl *ofc = read_back(1, 0);

    ofctrl_send_changes(ofc);
    ck_assert_int_eq(ofc->state, S(COMMITTING));

    ofctrl_disconnected(ofc);
    ck_assert_int_eq(ofc->state, S(DISCONNECTED));
    ck_assert_int_eq(ofc->hold_until, 0);
    reply_commit(ofc);          /* Too late: ignored. */
    ck_assert_int_eq(ofc->state, S(DISCONNECTED));

    ofctrl_connected(ofc);
    ck_assert_int_eq(ofc->state, S(RESYNC));
    ck_assert(ofc->hold_until);
    ofctrl_destroy(ofc);
}
END_TEST

CHECK_MAIN("ofctrl",
           CHECK_TEST(test_transition_table),
           CHECK_TEST(test_connection_from_any_state),
           CHECK_TEST(test_never_connected),
           CHECK_TEST(test_empty_switch_skips_hold),
           CHECK_TEST(test_hold_then_right),
           CHECK_TEST(test_hold_deadline),
           CHECK_TEST(test_wrong_then_undo_then_commit),
           CHECK_TEST(test_rejected_then_committed),
           CHECK_TEST(test_disconnect))
