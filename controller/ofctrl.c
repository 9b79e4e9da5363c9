/* OpenFlow connection and desired/installed synchronization for one
 * bridge.  See ofctrl.h. */
#include <config.h>
#include "controller/ofctrl.h"

#include <errno.h>
#include "dp-packet.h"
#include "flow.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-print.h"
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

/* A full resynchronization after an OpenFlow error waits this long, so a
 * switch that keeps rejecting something is not hammered. */
#define RESYNC_BACKOFF_MS 1000

/* Seconds between echo probes, and the most backoff between reconnect
 * attempts: OVS restarts are noticed within a few seconds. */
#define PROBE_INTERVAL_S 5
#define MAX_BACKOFF_S 1

/* An owner's cookie in one of the bridge's tables. */
struct owner_slot {
    struct hmap_node node;      /* By hash of 'cookie'. */
    uint64_t cookie;
    struct dsr_owner *owner;    /* Reference held; never NULL. */
};

/* The owner behind one message of the bundle in flight. */
struct xid_owner {
    struct hmap_node node;      /* By 'xid'. */
    ovs_be32 xid;
    uint64_t cookie;
};

struct ofctrl {
    char *bridge;
    struct rconn *rconn;
    unsigned int conn_seqno;    /* rconn's seqno we last synced after. */
    ofctrl_packet_in_cb *packet_in_cb;
    void *packet_in_aux;

    struct hmap desired;        /* struct owner_slot. */
    struct hmap installed;      /* struct owner_slot: as sent to OVS. */
    struct hmap dirty;          /* struct owner_slot without owner. */
    struct hmap rejected;       /* struct owner_slot: desired owners that
                                 * OVS refused; left off the switch until
                                 * they change. */
    struct hmap xids;           /* struct xid_owner, for the bundle in
                                 * flight. */
    bool full_sync;             /* Next bundle replaces everything. */
    long long int resync_after; /* Not before this time (ms). */

    /* The bundle in flight, if any: only one at a time, so changes queue
     * up and go in the next one. */
    bool in_flight;
    uint32_t bundle_id;
    ovs_be32 commit_xid;
    long long int sent_at;

    /* Change tracking (see ofctrl.h): changes up to 'acked_seqno' are on
     * the switch; those in [failed_from, failed_to] were rejected. */
    uint64_t change_seqno;      /* Latest ofctrl_set_owner(). */
    uint64_t sending_seqno;     /* Latest change in the bundle in flight. */
    uint64_t acked_seqno;
    uint64_t failed_from, failed_to;
    char *last_error;           /* OVS's text for the last failure. */
    bool bundle_failed;         /* 'last_error' is about the bundle in
                                 * flight. */

    /* Statistics for status and logs. */
    unsigned long long n_bundles;
    unsigned long long n_errors;
    unsigned long long n_messages;
};

static uint32_t
cookie_hash(uint64_t cookie)
{
    return hash_uint64(cookie);
}

static struct owner_slot *
slot_find(const struct hmap *map, uint64_t cookie)
{
    struct owner_slot *slot;

    HMAP_FOR_EACH_WITH_HASH (slot, node, cookie_hash(cookie), map) {
        if (slot->cookie == cookie) {
            return slot;
        }
    }
    return NULL;
}

/* Makes 'cookie' map to 'owner' in 'map' (NULL removes it). */
static void
slot_set(struct hmap *map, uint64_t cookie, struct dsr_owner *owner)
{
    struct owner_slot *slot = slot_find(map, cookie);

    if (slot) {
        struct dsr_owner *old = slot->owner;
        if (owner) {
            slot->owner = dsr_owner_ref(owner);
            dsr_owner_unref(old);
        } else {
            dsr_owner_unref(old);
            hmap_remove(map, &slot->node);
            free(slot);
        }
    } else if (owner) {
        slot = xmalloc(sizeof *slot);
        slot->cookie = cookie;
        slot->owner = dsr_owner_ref(owner);
        hmap_insert(map, &slot->node, cookie_hash(cookie));
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
mark_dirty(struct ofctrl *ofc, uint64_t cookie)
{
    if (!slot_find(&ofc->dirty, cookie)) {
        struct owner_slot *slot = xzalloc(sizeof *slot);
        slot->cookie = cookie;
        hmap_insert(&ofc->dirty, &slot->node, cookie_hash(cookie));
    }
}

static void
slots_clear(struct hmap *map)
{
    struct owner_slot *slot;

    HMAP_FOR_EACH_POP (slot, node, map) {
        dsr_owner_unref(slot->owner);
        free(slot);
    }
}

struct ofctrl *
ofctrl_create(const char *bridge, const char *target,
              ofctrl_packet_in_cb *cb, void *aux)
{
    struct ofctrl *ofc = xzalloc(sizeof *ofc);

    ofc->bridge = xstrdup(bridge);
    ofc->rconn = rconn_create(PROBE_INTERVAL_S, MAX_BACKOFF_S, 0,
                              1u << OFP15_VERSION);
    rconn_connect(ofc->rconn, target, bridge);
    ofc->conn_seqno = rconn_get_connection_seqno(ofc->rconn);
    ofc->packet_in_cb = cb;
    ofc->packet_in_aux = aux;
    hmap_init(&ofc->desired);
    hmap_init(&ofc->installed);
    hmap_init(&ofc->dirty);
    hmap_init(&ofc->rejected);
    hmap_init(&ofc->xids);
    ofc->full_sync = true;
    ofc->failed_from = 1;       /* An empty window. */
    return ofc;
}

void
ofctrl_destroy(struct ofctrl *ofc)
{
    if (ofc) {
        rconn_destroy(ofc->rconn);
        slots_clear(&ofc->desired);
        slots_clear(&ofc->installed);
        slots_clear(&ofc->dirty);
        slots_clear(&ofc->rejected);
        clear_xids(ofc);
        hmap_destroy(&ofc->rejected);
        hmap_destroy(&ofc->xids);
        hmap_destroy(&ofc->desired);
        hmap_destroy(&ofc->installed);
        hmap_destroy(&ofc->dirty);
        free(ofc->bridge);
        free(ofc->last_error);
        free(ofc);
    }
}

/* Sets what 'cookie' should hold on the bridge; NULL removes it all.  The
 * switch is updated by a later ofctrl_run(). */
void
ofctrl_set_owner(struct ofctrl *ofc, uint64_t cookie, struct dsr_owner *owner)
{
    slot_set(&ofc->desired, cookie, owner);
    slot_set(&ofc->rejected, cookie, NULL);
    mark_dirty(ofc, cookie);
    ofc->change_seqno++;
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

    if (!rconn_is_connected(ofc->rconn)) {
        return;
    }
    ofpact_put_OUTPUT(&ofpacts)->port = out_port;
    struct ofputil_packet_out po = {
        .packet = dp_packet_data(packet),
        .packet_len = dp_packet_size(packet),
        .buffer_id = UINT32_MAX,
        .ofpacts = ofpacts.data,
        .ofpacts_len = ofpacts.size,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, OFPP_CONTROLLER);
    rconn_send(ofc->rconn, ofputil_encode_packet_out(&po, OFPUTIL_P_OF15_OXM),
               NULL);
    ofpbuf_uninit(&ofpacts);
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
    return (rconn_is_connected(ofc->rconn) && !ofc->in_flight
            && !ofc->full_sync && hmap_is_empty(&ofc->dirty));
}

unsigned int
ofctrl_get_connection_seqno(const struct ofctrl *ofc)
{
    return rconn_get_connection_seqno(ofc->rconn);
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

/* Diffs every dirty owner against what the switch has and sends the
 * result as one atomic bundle.  Owners OVS rejected stay off the switch
 * until they change, so one bad owner cannot block all the others. */
static void
send_changes(struct ofctrl *ofc)
{
    struct dsr_ofmsgs msgs, scratch;
    struct owner_slot *slot;

    dsr_ofmsgs_init(&msgs);
    dsr_ofmsgs_init(&scratch);
    clear_xids(ofc);
    ofc->sending_seqno = ofc->change_seqno;
    if (ofc->full_sync) {
        char *error = dsr_ofmsgs_delete_by_cookie(&msgs, DSR_COOKIE_TAG,
                                                  DSR_COOKIE_TAG_MASK);
        ovs_assert(!error);
        slots_clear(&ofc->installed);
        slots_clear(&ofc->dirty);
        HMAP_FOR_EACH (slot, node, &ofc->desired) {
            mark_dirty(ofc, slot->cookie);
        }
        ofc->full_sync = false;
    }

    HMAP_FOR_EACH_POP (slot, node, &ofc->dirty) {
        struct owner_slot *want = slot_find(&ofc->desired, slot->cookie);
        struct owner_slot *have = slot_find(&ofc->installed, slot->cookie);
        struct dsr_owner *new = (want && !slot_find(&ofc->rejected,
                                                    slot->cookie)
                                 ? want->owner : NULL);

        char *error = dsr_owner_diff(have ? have->owner : NULL, new,
                                     &scratch);
        if (error) {
            /* Text OVS cannot encode: keep the owner off the switch. */
            VLOG_ERR("%s: cookie %#"PRIx64": %s", ofc->bridge,
                     slot->cookie, error);
            free(error);
            dsr_ofmsgs_destroy(&scratch);
            if (want) {
                slot_set(&ofc->rejected, slot->cookie, want->owner);
            }
            if (have) {
                /* Remove what the switch has of it. */
                error = dsr_owner_diff(have->owner, NULL, &scratch);
                ovs_assert(!error);
                slot_set(&ofc->installed, slot->cookie, NULL);
            }
        } else {
            slot_set(&ofc->installed, slot->cookie, new);
        }
        remember_xids(ofc, &scratch, slot->cookie);
        dsr_ofmsgs_splice(&msgs, &scratch);
        free(slot);
    }

    size_t n = dsr_ofmsgs_count(&msgs);
    if (!n) {
        dsr_ofmsgs_destroy(&msgs);
        ofc->acked_seqno = ofc->sending_seqno;
        return;
    }
    VLOG_DBG("%s: bundle %"PRIu32": %"PRIuSIZE" flow mods, %"PRIuSIZE
             " group mods", ofc->bridge, ofc->bundle_id + 1,
             msgs.n_flow_mods, msgs.n_group_mods);

    struct ovs_list list = OVS_LIST_INITIALIZER(&list);
    struct ofpbuf *msg;

    dsr_ofmsgs_take(&msgs, &list);
    ofc->bundle_id++;
    send_bundle_ctrl(ofc, OFPBCT_OPEN_REQUEST, NULL);
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
    send_bundle_ctrl(ofc, OFPBCT_COMMIT_REQUEST, &ofc->commit_xid);
    ofc->in_flight = true;
    ofc->bundle_failed = false;
    ofc->sent_at = time_msec();
    ofc->n_bundles++;
    ofc->n_messages += n;
}

/* The bundle in flight did not go in whole.  What the switch has is
 * unknown now: replace everything, after a pause, leaving out the owners
 * OVS named. */
static void
bundle_failed(struct ofctrl *ofc)
{
    ofc->in_flight = false;
    ofc->full_sync = true;
    ofc->resync_after = time_msec() + RESYNC_BACKOFF_MS;
    ofc->failed_from = ofc->acked_seqno + 1;
    ofc->failed_to = ofc->sending_seqno;
    clear_xids(ofc);
}

static void
handle_error(struct ofctrl *ofc, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 10);
    char *text = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 1);
    const struct xid_owner *xo = ofc->in_flight ? find_xid(ofc, oh->xid)
                                                : NULL;

    VLOG_ERR_RL(&rl, "%s: OpenFlow error: %s", ofc->bridge, text);
    ofc->n_errors++;
    if (ofc->in_flight && !ofc->bundle_failed) {
        /* OVS reports the message that failed, then the commit: the
         * first says why. */
        free(ofc->last_error);
        ofc->last_error = xstrdup(text);
        ofc->bundle_failed = true;
    }
    if (xo && xo->cookie) {
        struct owner_slot *want = slot_find(&ofc->desired, xo->cookie);
        if (want) {
            VLOG_WARN_RL(&rl, "%s: leaving cookie %#"PRIx64" off the "
                         "switch until it changes", ofc->bridge,
                         xo->cookie);
            slot_set(&ofc->rejected, xo->cookie, want->owner);
        }
    }
    if (ofc->in_flight && oh->xid == ofc->commit_xid) {
        bundle_failed(ofc);
    }
    free(text);
}

static void
handle_bundle_reply(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofputil_bundle_ctrl_msg bcm;

    if (!ofputil_decode_bundle_ctrl(oh, &bcm)
        && bcm.type == OFPBCT_COMMIT_REPLY && ofc->in_flight
        && oh->xid == ofc->commit_xid && bcm.bundle_id == ofc->bundle_id) {
        if (ofc->bundle_failed) {
            /* Committed without the messages OVS refused. */
            bundle_failed(ofc);
            return;
        }
        ofc->in_flight = false;
        ofc->acked_seqno = ofc->sending_seqno;
        clear_xids(ofc);
        VLOG_DBG("%s: bundle %"PRIu32" committed in %lld ms", ofc->bridge,
                 bcm.bundle_id, time_msec() - ofc->sent_at);
    }
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

static void
handle_message(struct ofctrl *ofc, const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    enum ofptype type;

    if (ofptype_decode(&type, oh)) {
        return;
    }
    switch (type) {
    case OFPTYPE_ECHO_REQUEST:
        rconn_send(ofc->rconn, ofputil_encode_echo_reply(oh), NULL);
        break;
    case OFPTYPE_ERROR:
        handle_error(ofc, oh);
        break;
    case OFPTYPE_BUNDLE_CONTROL:
        handle_bundle_reply(ofc, oh);
        break;
    case OFPTYPE_PACKET_IN:
        handle_packet_in(ofc, oh);
        break;
    case OFPTYPE_GET_CONFIG_REPLY:
        handle_get_config_reply(ofc, oh);
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

void
ofctrl_run(struct ofctrl *ofc)
{
    rconn_run(ofc->rconn);

    unsigned int seqno = rconn_get_connection_seqno(ofc->rconn);
    if (seqno != ofc->conn_seqno) {
        ofc->conn_seqno = seqno;
        ofc->in_flight = false;
        ofc->full_sync = true;
        ofc->resync_after = 0;
        if (rconn_is_connected(ofc->rconn)) {
            VLOG_INFO("%s: connected, programming the bridge", ofc->bridge);
            request_packet_ins(ofc);
        }
    }

    /* Bounded, so one busy switch cannot starve the rest of the loop. */
    for (int i = 0; i < 500; i++) {
        struct ofpbuf *msg = rconn_recv(ofc->rconn);
        if (!msg) {
            break;
        }
        handle_message(ofc, msg);
        ofpbuf_delete(msg);
    }

    if (rconn_is_connected(ofc->rconn) && !ofc->in_flight
        && (ofc->full_sync || !hmap_is_empty(&ofc->dirty))
        && time_msec() >= ofc->resync_after) {
        send_changes(ofc);
    }
}

void
ofctrl_wait(struct ofctrl *ofc)
{
    rconn_run_wait(ofc->rconn);
    rconn_recv_wait(ofc->rconn);
    if (rconn_is_connected(ofc->rconn) && !ofc->in_flight
        && (ofc->full_sync || !hmap_is_empty(&ofc->dirty))) {
        poll_timer_wait_until(ofc->resync_after);
    }
}

/* Returns OVS's error text if OVS refused what 'cookie' wants, else
 * NULL. */
const char *
ofctrl_get_rejection(const struct ofctrl *ofc, uint64_t cookie)
{
    return (slot_find(&ofc->rejected, cookie)
            ? (ofc->last_error ? ofc->last_error : "rejected") : NULL);
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
