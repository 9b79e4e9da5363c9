/* OpenFlow connection for one bridge, and the driver of its
 * synchronization: each ofctrl_run() follows the connection, reads the
 * switch's messages, and moves the state on (ofctrl-private.h has the
 * states and the files that do each part).  See ofctrl.h. */
#include <config.h>
#include "controller/ofctrl.h"

#include <sys/stat.h>
#include "controller/ofctrl-private.h"
#include "coverage.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/rconn.h"
#include "openvswitch/vlog.h"
#include "openvswitch/vconn.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl);

COVERAGE_DEFINE(ofctrl_connect);

/* How often a missing unix socket is looked for while disconnected. */
#define SOCKET_CHECK_MS 50

/* Seconds between echo probes, and the most backoff between reconnect
 * attempts: OVS restarts are noticed within a few seconds. */
#define PROBE_INTERVAL_S 5
#define MAX_BACKOFF_S 1

/* The longest a (re)connection holds (see ofctrl.h): ARP answers take
 * milliseconds. */
#define HOLD_MS 1000
#define HOLD_MAX_MS 10000       /* Extended while answers come in. */

struct ofctrl *
ofctrl_create(const char *bridge, const char *target,
              ofctrl_packet_in_cb *cb, void *aux)
{
    struct ofctrl *ofc = xzalloc(sizeof *ofc);

    ofc->bridge = xstrdup(bridge);
    ofc->rconn = rconn_create(PROBE_INTERVAL_S, MAX_BACKOFF_S, 0,
                              1u << OFP15_VERSION);
    ofc->target = xstrdup(target);
    ofc->conn_seqno = rconn_get_connection_seqno(ofc->rconn);
    ofc->packet_in_cb = cb;
    ofc->packet_in_aux = aux;
    ofc->state = OFCTRL_S_NEW;
    ofctrl_bundle_init(ofc);
    ofctrl_reconcile_init(ofc);
    ofc->stats = ofctrl_stats_create();
    return ofc;
}

void
ofctrl_destroy(struct ofctrl *ofc)
{
    if (ofc) {
        rconn_destroy(ofc->rconn);
        ofctrl_bundle_destroy(ofc);
        ofctrl_reconcile_destroy(ofc);
        ofctrl_stats_destroy(ofc->stats);
        free(ofc->bridge);
        free(ofc->target);
        free(ofc->last_error);
        free(ofc);
    }
}

/* Sets what 'cookie' should hold on the bridge; NULL removes it all.  The
 * switch is updated by a later ofctrl_run(). */
void
ofctrl_set_owner(struct ofctrl *ofc, uint64_t cookie, struct dsr_owner *owner)
{
    ofctrl_entry_set(&ofc->desired, cookie, owner);
    ofctrl_entry_set(&ofc->rejected, cookie, NULL);
    ofctrl_mark_dirty(ofc, cookie);
    ofc->change_seqno++;
}

/* Changes whenever ofctrl_get_rejection() may answer differently: an
 * owner set (which clears its rejection) or rejected by OVS. */
uint64_t
ofctrl_get_rejection_seqno(const struct ofctrl *ofc)
{
    return ofc->change_seqno + ofc->rejected_seqno;
}

uint64_t
ofctrl_get_change_seqno(const struct ofctrl *ofc)
{
    return ofc->change_seqno;
}

enum ofctrl_change_state
ofctrl_get_change_state(const struct ofctrl *ofc, uint64_t seqno,
                        const char **error)
{
    if (seqno >= ofc->failed_from && seqno <= ofc->failed_to) {
        *error = ofc->last_error;
        return OFCTRL_CHANGE_FAILED;
    }
    *error = NULL;
    return (seqno <= ofc->acked_seqno ? OFCTRL_CHANGE_DONE
                                      : OFCTRL_CHANGE_PENDING);
}

void
ofctrl_send(struct ofctrl *ofc, struct ofpbuf *msg)
{
    rconn_send(ofc->rconn, msg, NULL);
}

/* Sends 'packet' out of 'out_port' (e.g. OFPP_FLOOD) with a packet-out, as
 * if it came from the controller. */
void
ofctrl_send_packet(struct ofctrl *ofc, const struct dp_packet *packet,
                   ofp_port_t out_port)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);

    ofpact_put_OUTPUT(&ofpacts)->port = out_port;
    ofctrl_send_packet_out(ofc, packet, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Sends 'packet' through the pipeline from 'table' on, with a packet-out
 * whose action is resubmit(,table). */
void
ofctrl_send_packet_to_table(struct ofctrl *ofc,
                            const struct dp_packet *packet, uint8_t table)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
    struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(&ofpacts);

    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = table;
    ofctrl_send_packet_out(ofc, packet, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

/* Sends 'packet' with a packet-out whose actions are 'ofpacts', as if it
 * came from the controller. */
void
ofctrl_send_packet_out(struct ofctrl *ofc, const struct dp_packet *packet,
                       const struct ofpbuf *ofpacts)
{
    if (!rconn_is_connected(ofc->rconn)) {
        return;
    }
    struct ofputil_packet_out po = {
        .packet = dp_packet_data(packet),
        .packet_len = dp_packet_size(packet),
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts->data,
        .ofpacts_len = ofpacts->size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, OFPP_CONTROLLER);
    rconn_send(ofc->rconn, ofputil_encode_packet_out(&po, OFPUTIL_P_OF15_OXM),
               NULL);
}

bool
ofctrl_is_connected(const struct ofctrl *ofc)
{
    return rconn_is_connected(ofc->rconn);
}

/* True if the switch has acknowledged everything desired. */
bool
ofctrl_is_synced(const struct ofctrl *ofc)
{
    return (rconn_is_connected(ofc->rconn) && ofc->state == OFCTRL_S_READY
            && hmap_is_empty(&ofc->dirty));
}

unsigned int
ofctrl_get_connection_seqno(const struct ofctrl *ofc)
{
    return rconn_get_connection_seqno(ofc->rconn);
}

static void
handle_packet_in(struct ofctrl *ofc, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofputil_packet_in pin;
    struct dp_packet packet;
    struct flow flow;

    enum ofperr error = ofputil_decode_packet_in(oh, true, NULL, NULL, &pin,
                                                 NULL, NULL, NULL);
    if (error) {
        VLOG_WARN_RL(&rl, "%s: bad packet-in: %s", ofc->bridge,
                     ofperr_to_string(error));
        return;
    }
    dp_packet_use_const(&packet, pin.packet, pin.packet_len);
    flow_extract(&packet, &flow);
    if (ofc->packet_in_cb) {
        ofc->packet_in_cb(ofc->packet_in_aux, &flow, &packet,
                          pin.flow_metadata.flow.in_port.ofp_port);
    }
}

static void handle_get_config_reply(struct ofctrl *,
                                    const struct ofp_header *);

/* Handles one message from the switch. */
void
ofctrl_handle_message(struct ofctrl *ofc, const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    bool dumping = ofc->state == OFCTRL_S_DUMPING;
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        return;
    }
    switch (type) {
    case OFPTYPE_ECHO_REQUEST:
        rconn_send(ofc->rconn, ofputil_encode_echo_reply(oh), NULL);
        break;
    case OFPTYPE_ERROR:
        ofctrl_handle_error(ofc, oh);
        break;
    case OFPTYPE_BUNDLE_CONTROL:
        ofctrl_handle_bundle_reply(ofc, oh);
        break;
    case OFPTYPE_PACKET_IN:
        handle_packet_in(ofc, oh);
        break;
    case OFPTYPE_GET_CONFIG_REPLY:
        handle_get_config_reply(ofc, oh);
        break;
    case OFPTYPE_FLOW_STATS_REPLY:
        if (dumping && oh->xid == ofc->dump_flow_xid) {
            ofctrl_handle_dump_flows(ofc, oh);
        } else {
            ofctrl_handle_flow_stats_reply(ofc, oh);
        }
        break;
    case OFPTYPE_GROUP_DESC_STATS_REPLY:
        if (dumping && oh->xid == ofc->dump_group_xid) {
            ofctrl_handle_dump_groups(ofc, oh);
        }
        break;
    default:
        break;
    }
}

/* OVS sends no packet-ins to a "service" connection (a bridge's mgmt
 * socket, which dsrd uses) unless it sets a nonzero miss_send_len.  The
 * switch config also holds the bridge's fragment handling, which belongs
 * to the operator: read it first, then write it back unchanged. */
static void
request_packet_ins(struct ofctrl *ofc)
{
    rconn_send(ofc->rconn, ofpraw_alloc(OFPRAW_OFPT_GET_CONFIG_REQUEST,
                                        OFP15_VERSION, 0), NULL);
}

static void
handle_get_config_reply(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofputil_switch_config config;

    ofputil_decode_get_config_reply(oh, &config);
    if (config.miss_send_len != UINT16_MAX) {
        config.miss_send_len = UINT16_MAX;
        rconn_send(ofc->rconn, ofputil_encode_set_config(&config,
                                                         OFP15_VERSION),
                   NULL);
    }
}

/* Polls a unix socket target while disconnected (see 'target'). */
static void
watch_socket(struct ofctrl *ofc)
{
    long long int now = time_msec();
    struct stat st;

    if (rconn_is_connected(ofc->rconn) || strncmp(ofc->target, "unix:", 5)
        || now < ofc->next_socket_check) {
        return;
    }
    ofc->next_socket_check = now + SOCKET_CHECK_MS;
    /* Only a new socket file (a new ovs-vswitchd) is worth an early try:
     * a dead one's file stays until it is replaced. */
    if (!stat(ofc->target + 5, &st)
        && (st.st_ino != ofc->socket_ino
            || st.st_ctim.tv_sec != ofc->socket_ctime.tv_sec
            || st.st_ctim.tv_nsec != ofc->socket_ctime.tv_nsec)) {
        ofc->socket_ino = st.st_ino;
        ofc->socket_ctime = st.st_ctim;
        if (!strcmp(rconn_get_state(ofc->rconn), "BACKOFF")) {
            rconn_connect(ofc->rconn, ofc->target, ofc->bridge);
        }
    }
}

/* The connection is gone, and with it whatever was in flight. */
void
ofctrl_disconnected(struct ofctrl *ofc)
{
    ofctrl_stats_disconnected(ofc->stats);
    ofctrl_bundle_forget(ofc);
    ofc->resync_after = 0;
    ofc->hold_until = 0;
    ofctrl_transition(ofc, OFCTRL_E_DISCONNECTED);
}

/* A new connection is up: it starts a sync, which holds (see ofctrl.h).
 * Whatever the previous connection had in flight is gone. */
void
ofctrl_connected(struct ofctrl *ofc)
{
    ofctrl_stats_disconnected(ofc->stats);
    ofctrl_bundle_forget(ofc);
    ofc->resync_after = 0;
    ofctrl_transition(ofc, OFCTRL_E_CONNECTED);
    ofc->hold_from = time_msec();
    ofc->hold_until = ofc->deferred ? LLONG_MAX : ofc->hold_from + HOLD_MS;
    COVERAGE_INC(ofctrl_connect);
    VLOG_INFO("%s: connected, programming the bridge", ofc->bridge);
    request_packet_ins(ofc);
    ofc->connected_at = time_msec();
    ofc->n_sent_flow_mods = ofc->n_sent_group_mods = 0;
}

static void
check_connection(struct ofctrl *ofc)
{
    unsigned int seqno = rconn_get_connection_seqno(ofc->rconn);

    if (seqno != ofc->conn_seqno) {
        ofc->conn_seqno = seqno;
        if (rconn_is_connected(ofc->rconn)) {
            ofctrl_connected(ofc);
        } else {
            ofctrl_disconnected(ofc);
        }
    }
}

/* Moves the sync on: reads the switch back, reconciles once the dumps
 * are in and the hold is over, and sends what is dirty. */
static void
run_sync(struct ofctrl *ofc)
{
    long long int now = time_msec();

    if (ofc->hold_until && now >= ofc->hold_until) {
        ofc->hold_until = 0;
    }
    if (ofc->state == OFCTRL_S_DUMPING && !ofc->dumps_pending) {
        if (ofc->hold_until && !ofctrl_dump_is_empty(ofc)) {
            ofctrl_transition(ofc, OFCTRL_E_DUMPED_HELD);
        } else {
            /* A switch without any of dsrd's flows has nothing the hold
             * could keep: program it now (a cold start of a big config
             * saves the wait for ARP answers). */
            ofctrl_reconcile(ofc);
        }
    }
    if (ofc->state == OFCTRL_S_HELD && !ofc->hold_until) {
        /* Against the complete desired state only. */
        ofctrl_reconcile(ofc);
    }
    if (rconn_is_connected(ofc->rconn) && now >= ofc->resync_after) {
        /* Reading the switch back may start while held (it sends
         * nothing, and at 10,000 services it takes a while). */
        if (ofc->state == OFCTRL_S_RESYNC) {
            ofctrl_start_reconcile(ofc);
        } else if (ofc->state == OFCTRL_S_READY
                   && !hmap_is_empty(&ofc->dirty)) {
            ofctrl_send_changes(ofc);
        }
    }
}

void
ofctrl_run(struct ofctrl *ofc)
{
    if (ofc->state == OFCTRL_S_NEW) {
        /* Not at creation: loading a big configuration takes longer than
         * rconn gives a connection to say hello, which would cost a
         * second of backoff. */
        rconn_connect(ofc->rconn, ofc->target, ofc->bridge);
        ofctrl_transition(ofc, OFCTRL_E_START);
    }
    watch_socket(ofc);
    rconn_run(ofc->rconn);
    check_connection(ofc);

    /* Bounded, so one busy switch cannot starve the rest of the loop. */
    for (int i = 0; i < 500; i++) {
        struct ofpbuf *msg = rconn_recv(ofc->rconn);
        if (!msg) {
            break;
        }
        ofctrl_handle_message(ofc, msg);
        ofpbuf_delete(msg);
    }

    run_sync(ofc);
    if (ofc->connected_at && ofctrl_is_synced(ofc)) {
        VLOG_INFO("%s: in sync %lld ms after connecting (%"PRIuSIZE" flow "
                  "mods, %"PRIuSIZE" group mods)", ofc->bridge,
                  time_msec() - ofc->connected_at, ofc->n_sent_flow_mods,
                  ofc->n_sent_group_mods);
        ofc->connected_at = 0;
    }
}

void
ofctrl_wait(struct ofctrl *ofc)
{
    if (!rconn_is_connected(ofc->rconn) && !strncmp(ofc->target, "unix:", 5)) {
        poll_timer_wait_until(ofc->next_socket_check);
    }
    rconn_run_wait(ofc->rconn);
    rconn_recv_wait(ofc->rconn);
    if ((ofc->state == OFCTRL_S_DUMPING && !ofc->dumps_pending)
        || (ofc->state == OFCTRL_S_HELD && !ofc->hold_until)) {
        poll_immediate_wake();
    }
    if (ofc->hold_until) {
        poll_timer_wait_until(ofc->hold_until);
    }
    if (rconn_is_connected(ofc->rconn)
        && (ofc->state == OFCTRL_S_RESYNC
            || (ofc->state == OFCTRL_S_READY
                && !hmap_is_empty(&ofc->dirty)))) {
        poll_timer_wait_until(ofc->resync_after);
    }
}

/* Returns OVS's error text if OVS refused what 'cookie' wants, else
 * NULL. */
const char *
ofctrl_get_rejection(const struct ofctrl *ofc, uint64_t cookie)
{
    return (ofctrl_entry_find(&ofc->rejected, cookie)
            ? (ofc->last_error ? ofc->last_error : "rejected") : NULL);
}

/* Keeps the hold of the sync after a (re)connection for another
 * HOLD_MS, to at most HOLD_MAX_MS after it began: the caller's desired
 * state is still being completed (see ofctrl.h).  Nothing if there is no
 * hold. */
void
ofctrl_extend_hold(struct ofctrl *ofc)
{
    if (ofc->hold_until) {
        ofc->hold_until = MIN(MAX(ofc->hold_until, time_msec() + HOLD_MS),
                              ofc->hold_from + HOLD_MAX_MS);
    }
}

/* Ends the hold of the sync after a (re)connection (see ofctrl.h): the
 * caller's desired state is complete.  Nothing if there is no hold. */
void
ofctrl_release_hold(struct ofctrl *ofc)
{
    if (ofc->hold_until) {
        VLOG_DBG("%s: hold released", ofc->bridge);
        ofc->hold_until = 0;
    }
}

/* Until ofctrl_hold(), the first sync after a connection reads the switch
 * back and changes nothing, however long that takes: the caller does not
 * know its desired state yet. */
void
ofctrl_defer_sync(struct ofctrl *ofc)
{
    ofc->deferred = true;
    if (ofc->hold_until) {
        ofc->hold_until = LLONG_MAX;
    }
}

/* Ends ofctrl_defer_sync(), and holds the first sync after the connection
 * (see ofctrl.h) for HOLD_MS from now, unless it is done: the caller is
 * now completing its desired state (its neighbors' answers start now). */
void
ofctrl_hold(struct ofctrl *ofc)
{
    ofc->deferred = false;
    if (ofc->state == OFCTRL_S_RESYNC || ofc->state == OFCTRL_S_DUMPING
        || ofc->state == OFCTRL_S_HELD) {
        ofc->hold_from = time_msec();
        ofc->hold_until = ofc->hold_from + HOLD_MS;
    }
}

/* For an ofctrl created without a packet-in callback; packet-ins before
 * this are dropped. */
void
ofctrl_set_packet_in_cb(struct ofctrl *ofc, ofctrl_packet_in_cb *cb,
                        void *aux)
{
    ofc->packet_in_cb = cb;
    ofc->packet_in_aux = aux;
}

/* True once the switch is being read back after a connection (or has
 * been): its dump requests are sent. */
bool
ofctrl_is_reading_back(const struct ofctrl *ofc)
{
    return ofc->state > OFCTRL_S_RESYNC;
}

/* Groups 1..'limit' are dsrd's (service ids): on reconciliation, those
 * that no service wants are deleted. */
void
ofctrl_set_group_limit(struct ofctrl *ofc, uint32_t limit)
{
    ofc->group_limit = limit;
}

void
ofctrl_format_status(const struct ofctrl *ofc, struct ds *s)
{
    ds_put_format(s, "%s: %s, %s; %llu bundles, %llu messages, "
                  "%llu errors", ofc->bridge,
                  rconn_is_connected(ofc->rconn) ? "connected"
                                                 : "not connected",
                  ofctrl_is_synced(ofc) ? "in sync" : "changes pending",
                  ofc->n_bundles, ofc->n_messages, ofc->n_errors);
    if (!hmap_is_empty(&ofc->rejected)) {
        ds_put_format(s, "; %"PRIuSIZE" owners rejected by OVS",
                      hmap_count(&ofc->rejected));
    }
    ds_put_char(s, '\n');
}
