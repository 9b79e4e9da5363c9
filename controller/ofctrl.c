/* OpenFlow connection and desired/installed synchronization for one
 * bridge.  See ofctrl.h. */
#include <config.h>
#include "controller/ofctrl.h"

#include <errno.h>
#include <malloc.h>
#include <sys/stat.h>
#include "dp-packet.h"
#include "flow.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "byte-order.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
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

/* Bundles of at least this many messages are followed by malloc_trim(). */
#define BIG_BUNDLE 10000

/* A bundle is handed to rconn this many messages at a time. */
#define BUNDLE_CHUNK 5000

/* How often a missing unix socket is looked for while disconnected. */
#define SOCKET_CHECK_MS 50

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

/* What the switch had for one cookie before the bundle in flight, to
 * restore our copy if OVS refuses the bundle. */
struct undo_slot {
    struct hmap_node node;      /* By hash of 'cookie'. */
    uint64_t cookie;
    struct dsr_owner *owner;    /* Reference held; NULL if none. */
};

/* The owner behind one message of the bundle in flight. */
struct xid_owner {
    struct hmap_node node;      /* By 'xid'. */
    ovs_be32 xid;
    uint64_t cookie;
};

/* Counters of one group or one cookie, from a stats round. */
struct counters_node {
    struct hmap_node node;      /* By 'key'. */
    uint64_t key;               /* Group id or cookie. */
    struct ofctrl_counters total;
    struct bucket_counter *buckets;     /* Groups only, in bucket order. */
    size_t n_buckets;
};

/* A round of statistics requests. */
struct stats_round {
    struct hmap cookies;        /* struct counters_node by cookie. */
    struct hmap backends;       /* struct counters_node by service id << 32
                                 * | backend address: DSR_TABLE_BACKEND
                                 * flows. */
    ovs_be32 flow_xid;
    bool flows_done;
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
    struct hmap undo;           /* struct undo_slot, for the bundle in
                                 * flight. */
    bool in_flight_full;        /* The bundle in flight is a full sync. */
    bool full_sync;             /* What the switch has is unknown: read it
                                 * back (reconcile) before sending. */

    /* Reconciliation: what the switch reported, while it is read. */
    bool reconciling;
    bool hold;                  /* Send nothing for now (see lb.c). */
    bool started;               /* rconn_connect() called. */
    bool bundle_open;           /* Messages added, commit not sent yet. */
    size_t bundle_flow_mods;    /* In the bundle being built or in flight. */
    size_t bundle_group_mods;
    bool nothing_to_keep;       /* The switch had none of dsrd's flows at
                                 * the last connection: holding is moot. */
    ovs_be32 dump_flow_xid, dump_group_xid;
    bool dump_flows_done, dump_groups_done;
    struct hmap dumped;         /* struct dumped_owner, by cookie. */
    struct hmap dumped_groups;  /* struct dumped_group, by group id. */
    uint32_t group_limit;       /* Groups 1..this not wanted are dsrd's
                                 * stale ones. */
    unsigned long long n_reconciled;    /* Owners found already right. */
    long long int connected_at; /* When the connection came up, or 0 once
                                 * the first sync after it is reported. */
    size_t n_sent_flow_mods;    /* Since 'connected_at'. */
    size_t n_sent_group_mods;
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

    /* Statistics rounds: 'stats' is the last complete one; 'collecting'
     * the one in flight, numbered 'requested_round'. */
    struct stats_round stats;
    struct stats_round collecting;
    unsigned int requested_round;
    unsigned int completed_round;
    bool stats_in_flight;
    /* The group's bucket ids as of that round, to map bucket counters. */

    /* A unix socket target is watched while disconnected, so that a
     * restarted ovs-vswitchd is reached as soon as its socket is back,
     * not after rconn's next backoff (a second or more). */
    char *target;
    long long int next_socket_check;
    ino_t socket_ino;           /* The socket file last tried. */
    struct timespec socket_ctime;

    /* Statistics for status and logs. */
    unsigned long long n_bundles;
    unsigned long long n_errors;
    unsigned long long n_messages;
    size_t bundle_size;         /* Messages in the last bundle sent. */
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
stats_round_init(struct stats_round *r)
{
    hmap_init(&r->cookies);
    hmap_init(&r->backends);
    r->flow_xid = 0;
    r->flows_done = false;
}

static void
counters_clear(struct hmap *map)
{
    struct counters_node *c;

    HMAP_FOR_EACH_POP (c, node, map) {
        free(c->buckets);
        free(c);
    }
}

static void
stats_round_destroy(struct stats_round *r)
{
    counters_clear(&r->cookies);
    counters_clear(&r->backends);
    hmap_destroy(&r->cookies);
    hmap_destroy(&r->backends);
}

static struct counters_node *
counters_find(const struct hmap *map, uint64_t key)
{
    struct counters_node *c;

    HMAP_FOR_EACH_WITH_HASH (c, node, hash_uint64(key), map) {
        if (c->key == key) {
            return c;
        }
    }
    return NULL;
}

static struct counters_node *
counters_get(struct hmap *map, uint64_t key)
{
    struct counters_node *c = counters_find(map, key);

    if (!c) {
        c = xzalloc(sizeof *c);
        c->key = key;
        hmap_insert(map, &c->node, hash_uint64(key));
    }
    return c;
}

static void
clear_xids(struct ofctrl *ofc)
{
    struct xid_owner *xo;

    HMAP_FOR_EACH_POP (xo, node, &ofc->xids) {
        free(xo);
    }
}

static void mark_dirty(struct ofctrl *, uint64_t cookie);

static bool
is_held(const struct ofctrl *ofc)
{
    return ofc->hold && !ofc->nothing_to_keep;
}

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

static void
clear_undo(struct ofctrl *ofc)
{
    struct undo_slot *u;

    HMAP_FOR_EACH_POP (u, node, &ofc->undo) {
        dsr_owner_unref(u->owner);
        free(u);
    }
}

static void
remember_undo(struct ofctrl *ofc, uint64_t cookie, struct dsr_owner *owner)
{
    struct undo_slot *u = xmalloc(sizeof *u);

    u->cookie = cookie;
    u->owner = dsr_owner_ref(owner);
    hmap_insert(&ofc->undo, &u->node, cookie_hash(cookie));
}

/* OVS refused an atomic bundle, so the switch still has what it had
 * before: put our copy back and try the owners again (all but those OVS
 * named). */
static void
undo_bundle(struct ofctrl *ofc)
{
    struct undo_slot *u;

    HMAP_FOR_EACH_POP (u, node, &ofc->undo) {
        slot_set(&ofc->installed, u->cookie, u->owner);
        dsr_owner_unref(u->owner);
        mark_dirty(ofc, u->cookie);
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
    ofc->target = xstrdup(target);
    ofc->conn_seqno = rconn_get_connection_seqno(ofc->rconn);
    ofc->packet_in_cb = cb;
    ofc->packet_in_aux = aux;
    hmap_init(&ofc->desired);
    hmap_init(&ofc->installed);
    hmap_init(&ofc->dirty);
    hmap_init(&ofc->rejected);
    hmap_init(&ofc->xids);
    hmap_init(&ofc->undo);
    hmap_init(&ofc->dumped);
    hmap_init(&ofc->dumped_groups);
    stats_round_init(&ofc->stats);
    stats_round_init(&ofc->collecting);
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
        stats_round_destroy(&ofc->stats);
        stats_round_destroy(&ofc->collecting);
        clear_xids(ofc);
        clear_undo(ofc);
        clear_dump(ofc);
        hmap_destroy(&ofc->undo);
        hmap_destroy(&ofc->dumped);
        hmap_destroy(&ofc->dumped_groups);
        hmap_destroy(&ofc->rejected);
        hmap_destroy(&ofc->xids);
        hmap_destroy(&ofc->desired);
        hmap_destroy(&ofc->installed);
        hmap_destroy(&ofc->dirty);
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

static void
send_packet_out(struct ofctrl *ofc, const struct dp_packet *packet,
                struct ofpbuf *ofpacts);

/* Sends 'packet' out of 'out_port' (e.g. OFPP_FLOOD) with a packet-out, as
 * if it came from the controller. */
void
ofctrl_send_packet(struct ofctrl *ofc, const struct dp_packet *packet,
                   ofp_port_t out_port)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);

    ofpact_put_OUTPUT(&ofpacts)->port = out_port;
    send_packet_out(ofc, packet, &ofpacts);
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
    send_packet_out(ofc, packet, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

static void
send_packet_out(struct ofctrl *ofc, const struct dp_packet *packet,
                struct ofpbuf *ofpacts)
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
    return (rconn_is_connected(ofc->rconn) && !ofc->in_flight
            && !ofc->full_sync && !ofc->reconciling
            && hmap_is_empty(&ofc->dirty));
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

/* Sends 'msgs' (in their phase order) into the bundle, opening it if
 * needed, and lets rconn start writing them: OVS decodes a bundle's
 * messages as they arrive, so a big bundle's encoding here and decoding
 * there overlap.  Phase order holds within each chunk, which is all the
 * switch needs: an owner's messages never span two chunks, and owners
 * share no groups.  Returns the number of messages. */
static size_t
add_to_bundle(struct ofctrl *ofc, struct dsr_ofmsgs *msgs)
{
    struct ovs_list list = OVS_LIST_INITIALIZER(&list);
    size_t n = dsr_ofmsgs_count(msgs);
    struct ofpbuf *msg;

    if (!n) {
        return 0;
    }
    if (!ofc->bundle_open) {
        ofc->bundle_open = true;
        ofc->bundle_id++;
        ofc->bundle_flow_mods = ofc->bundle_group_mods = 0;
        send_bundle_ctrl(ofc, OFPBCT_OPEN_REQUEST, NULL);
    }
    ofc->bundle_flow_mods += msgs->n_flow_mods;
    ofc->bundle_group_mods += msgs->n_group_mods;
    ofc->n_sent_flow_mods += msgs->n_flow_mods;
    ofc->n_sent_group_mods += msgs->n_group_mods;
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

/* Diffs every dirty owner against what the switch has and sends the
 * result as one atomic bundle.  Owners OVS rejected stay off the switch
 * until they change, so one bad owner cannot block all the others. */
static void
send_changes(struct ofctrl *ofc)
{
    struct dsr_ofmsgs msgs, scratch;
    struct owner_slot *slot;

    size_t n = 0;

    dsr_ofmsgs_init(&msgs);
    dsr_ofmsgs_init(&scratch);
    clear_xids(ofc);
    clear_undo(ofc);
    ofc->sending_seqno = ofc->change_seqno;
    ofc->in_flight_full = false;

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
                remember_undo(ofc, slot->cookie, have->owner);
                slot_set(&ofc->installed, slot->cookie, NULL);
            }
        } else {
            if (dsr_ofmsgs_count(&scratch)) {
                remember_undo(ofc, slot->cookie, have ? have->owner : NULL);
            }
            slot_set(&ofc->installed, slot->cookie, new);
        }
        remember_xids(ofc, &scratch, slot->cookie);
        dsr_ofmsgs_splice(&msgs, &scratch);
        free(slot);
        if (dsr_ofmsgs_count(&msgs) >= BUNDLE_CHUNK) {
            n += add_to_bundle(ofc, &msgs);
        }
    }
    n += add_to_bundle(ofc, &msgs);
    if (!n) {
        ofc->acked_seqno = ofc->sending_seqno;
        return;
    }
    VLOG_DBG("%s: bundle %"PRIu32": %"PRIuSIZE" flow mods, %"PRIuSIZE
             " group mods", ofc->bridge, ofc->bundle_id,
             ofc->bundle_flow_mods, ofc->bundle_group_mods);
    send_bundle_ctrl(ofc, OFPBCT_COMMIT_REQUEST, &ofc->commit_xid);
    ofc->bundle_open = false;
    ofc->in_flight = true;
    ofc->bundle_failed = false;
    ofc->sent_at = time_msec();
    ofc->n_bundles++;
    ofc->n_messages += n;
    ofc->bundle_size = n;
}

/* Reads back dsrd's flows (by cookie tag) and all groups, so that only
 * the difference with the desired state is sent: a restarted dsrd, or one
 * that lost track, changes nothing that is already right. */
static void
start_reconcile(struct ofctrl *ofc)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(DSR_COOKIE_TAG),
        .cookie_mask = htonll(DSR_COOKIE_TAG_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    struct ofpbuf *msg;

    clear_dump(ofc);
    match_init_catchall(&fsr.match);
    msg = ofputil_encode_flow_stats_request(&fsr, OFPUTIL_P_OF15_OXM);
    ofc->dump_flow_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);
    msg = ofputil_encode_group_desc_request(OFP15_VERSION, OFPG_ALL);
    ofc->dump_group_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);
    ofc->dump_flows_done = ofc->dump_groups_done = false;
    ofc->reconciling = true;
}

static struct dumped_owner *
find_dumped(const struct ofctrl *ofc, uint64_t cookie)
{
    struct dumped_owner *d;

    HMAP_FOR_EACH_WITH_HASH (d, node, cookie_hash(cookie), &ofc->dumped) {
        if (d->cookie == cookie) {
            return d;
        }
    }
    return NULL;
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

static void
handle_dump_flows(struct ofctrl *ofc, const struct ofp_header *oh)
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
            hmap_insert(&ofc->dumped, &d->node, cookie_hash(cookie));
        }
        dsr_owner_add_flow_match(d->owner, fs.table_id, fs.priority,
                                 &fs.match, fs.ofpacts, fs.ofpacts_len);
    }
    ofpbuf_uninit(&ofpacts);
    if (!ofpmp_more(oh)) {
        ofc->dump_flows_done = true;
    }
}

static void
handle_dump_groups(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofputil_group_desc gd;

    while (!ofputil_decode_group_desc_reply(&gd, &b, oh->version)) {
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
        ofc->dump_groups_done = true;
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

/* Both dumps are in: sets 'installed' to what the switch really has and
 * marks what differs from the desired state, so that the next bundle
 * carries only that. */
static void
reconcile(struct ofctrl *ofc)
{
    struct owner_slot *slot;
    struct dumped_owner *d;
    struct dumped_group *g;
    size_t n_same = 0;

    ofc->reconciling = false;
    ofc->full_sync = false;
    slots_clear(&ofc->installed);
    slots_clear(&ofc->dirty);

    HMAP_FOR_EACH (slot, node, &ofc->desired) {
        struct dsr_owner *want = slot->owner;
        d = find_dumped(ofc, slot->cookie);
        if (!slot_find(&ofc->rejected, slot->cookie)
            && owner_matches_dump(ofc, want, d)) {
            slot_set(&ofc->installed, slot->cookie, want);
            if (dsr_owner_has_group(want)) {
                find_dumped_group(ofc, want->group_id)->claimed = true;
            }
            n_same++;
        } else {
            struct dsr_owner *have = owner_from_dump(
                ofc, slot->cookie,
                dsr_owner_has_group(want) ? want->group_id : 0);
            slot_set(&ofc->installed, slot->cookie, have);
            dsr_owner_unref(have);
            mark_dirty(ofc, slot->cookie);
        }
    }
    /* dsrd's flows that nothing wants any more. */
    HMAP_FOR_EACH (d, node, &ofc->dumped) {
        if (!slot_find(&ofc->desired, d->cookie)) {
            slot_set(&ofc->installed, d->cookie, d->owner);
            mark_dirty(ofc, d->cookie);
        }
    }
    /* Groups in dsrd's range that nothing wants: left by services deleted
     * while dsrd was away. */
    HMAP_FOR_EACH (g, node, &ofc->dumped_groups) {
        if (!g->claimed && g->group_id <= ofc->group_limit) {
            uint64_t cookie = dsr_cookie(DSR_COOKIE_SERVICE, g->group_id);
            struct owner_slot *have = slot_find(&ofc->installed, cookie);
            struct dsr_owner *owner = dsr_owner_create(cookie);

            if (have) {
                /* Keep its flows; add the group, to delete both. */
                dsr_owner_copy_flows(owner, have->owner);
            }
            dsr_owner_set_group(owner, g->group_id,
                                "(as found on the switch)");
            slot_set(&ofc->installed, cookie, owner);
            dsr_owner_unref(owner);
            mark_dirty(ofc, cookie);
        }
    }
    ofc->n_reconciled += n_same;
    VLOG_INFO("%s: reconciled: %"PRIuSIZE" owners already right, %"PRIuSIZE
              " to change", ofc->bridge, n_same, hmap_count(&ofc->dirty));
    bool big = hmap_count(&ofc->dumped) >= BIG_BUNDLE;
    clear_dump(ofc);
    if (big) {
        /* The decoded dump is gone: give its memory back. */
        malloc_trim(0);
    }
}

/* The bundle in flight did not go in whole.  If OVS refused the commit,
 * which is atomic, the switch is as before the bundle; otherwise (some
 * message refused when added, the rest committed) what it has is unknown
 * and everything is replaced.  Either way after a pause, and without the
 * owners OVS named. */
static void
bundle_failed(struct ofctrl *ofc, bool commit_refused)
{
    ofc->in_flight = false;
    if (commit_refused && !ofc->in_flight_full) {
        undo_bundle(ofc);
    } else {
        ofc->full_sync = true;
        clear_undo(ofc);
    }
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
    bool about_bundle = ofc->in_flight && (xo || oh->xid == ofc->commit_xid);
    if (about_bundle && !ofc->bundle_failed) {
        /* OVS reports the message that failed, then the commit: the
         * first says why.  (Errors about packet-outs or statistics
         * requests say nothing about the bundle.) */
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
        bundle_failed(ofc, true);
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
            bundle_failed(ofc, false);
            return;
        }
        ofc->in_flight = false;
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
static void handle_dump_flows(struct ofctrl *, const struct ofp_header *);
static void handle_dump_groups(struct ofctrl *, const struct ofp_header *);
static void handle_flow_stats_reply(struct ofctrl *,
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
    case OFPTYPE_FLOW_STATS_REPLY:
        if (ofc->reconciling && oh->xid == ofc->dump_flow_xid) {
            handle_dump_flows(ofc, oh);
        } else {
            handle_flow_stats_reply(ofc, oh);
        }
        break;
    case OFPTYPE_GROUP_DESC_STATS_REPLY:
        if (ofc->reconciling && oh->xid == ofc->dump_group_xid) {
            handle_dump_groups(ofc, oh);
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

void
ofctrl_run(struct ofctrl *ofc)
{
    if (!ofc->started) {
        /* Not at creation: loading a big configuration takes longer than
         * rconn gives a connection to say hello, which would cost a
         * second of backoff. */
        ofc->started = true;
        rconn_connect(ofc->rconn, ofc->target, ofc->bridge);
    }
    watch_socket(ofc);
    rconn_run(ofc->rconn);

    unsigned int seqno = rconn_get_connection_seqno(ofc->rconn);
    if (seqno != ofc->conn_seqno) {
        ofc->conn_seqno = seqno;
        ofc->in_flight = false;
        ofc->stats_in_flight = false;
        ofc->reconciling = false;
        /* Until the owner says its desired state is complete (see
         * ofctrl_set_hold()). */
        ofc->hold = true;
        ofc->nothing_to_keep = false;
        clear_undo(ofc);
        ofc->full_sync = true;
        ofc->resync_after = 0;
        if (rconn_is_connected(ofc->rconn)) {
            VLOG_INFO("%s: connected, programming the bridge", ofc->bridge);
            request_packet_ins(ofc);
            ofc->connected_at = time_msec();
            ofc->n_sent_flow_mods = ofc->n_sent_group_mods = 0;
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

    if (ofc->reconciling && ofc->dump_flows_done && ofc->dump_groups_done
        && hmap_is_empty(&ofc->dumped) && hmap_is_empty(&ofc->dumped_groups)) {
        /* A switch without any of dsrd's flows has nothing the hold could
         * keep: program it now (a cold start of a big config saves the
         * wait for ARP answers). */
        ofc->nothing_to_keep = true;
    }
    if (ofc->reconciling && ofc->dump_flows_done && ofc->dump_groups_done
        && !is_held(ofc)) {
        /* Against the complete desired state only. */
        reconcile(ofc);
    }
    if (rconn_is_connected(ofc->rconn) && !ofc->in_flight
        && !ofc->reconciling && time_msec() >= ofc->resync_after) {
        /* Reading the switch back may start while held (it sends
         * nothing, and at 10,000 services it takes a while). */
        if (ofc->full_sync) {
            start_reconcile(ofc);
        } else if (!is_held(ofc) && !hmap_is_empty(&ofc->dirty)) {
            send_changes(ofc);
        }
    }
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
    if (ofc->reconciling && ofc->dump_flows_done && ofc->dump_groups_done
        && !is_held(ofc)) {
        poll_immediate_wake();
    }
    if (rconn_is_connected(ofc->rconn) && !ofc->in_flight
        && !ofc->reconciling
        && (ofc->full_sync
            || (!is_held(ofc) && !hmap_is_empty(&ofc->dirty)))) {
        poll_timer_wait_until(ofc->resync_after);
    }
}

/* Starts a round of statistics requests, unless one is already under
 * way; returns the number of the round that answers the caller. */
unsigned int
ofctrl_request_stats(struct ofctrl *ofc)
{
    if (ofc->stats_in_flight || !rconn_is_connected(ofc->rconn)) {
        return ofc->requested_round;
    }
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(DSR_COOKIE_TAG),
        .cookie_mask = htonll(DSR_COOKIE_TAG_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };
    struct ofpbuf *msg;

    match_init_catchall(&fsr.match);
    stats_round_destroy(&ofc->collecting);
    stats_round_init(&ofc->collecting);

    msg = ofputil_encode_flow_stats_request(&fsr, OFPUTIL_P_OF15_OXM);
    ofc->collecting.flow_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);

    ofc->stats_in_flight = true;
    return ++ofc->requested_round;
}

/* True once round 'round' is complete, or if it cannot complete because
 * the switch is gone. */
bool
ofctrl_stats_done(const struct ofctrl *ofc, unsigned int round)
{
    return (ofc->completed_round >= round || !ofc->stats_in_flight
            || !rconn_is_connected(ofc->rconn));
}

bool
ofctrl_get_cookie_counters(const struct ofctrl *ofc, uint64_t cookie,
                           struct ofctrl_counters *out)
{
    const struct counters_node *c = counters_find(&ofc->stats.cookies,
                                                  cookie);
    *out = c ? c->total : (struct ofctrl_counters) { 0, 0 };
    return c != NULL;
}

/* Counters of the backend at 'ip' (host byte order) in service
 * 'service_id': its DSR_TABLE_BACKEND flow sees every packet delivered to
 * it, pinned or new. */
bool
ofctrl_get_backend_counters(const struct ofctrl *ofc, uint32_t service_id,
                            uint32_t ip, struct ofctrl_counters *out)
{
    const struct counters_node *c = counters_find(
        &ofc->stats.backends, (uint64_t) service_id << 32 | ip);

    *out = c ? c->total : (struct ofctrl_counters) { 0, 0 };
    return c != NULL;
}

static void
finish_stats_round(struct ofctrl *ofc)
{
    if (ofc->collecting.flows_done) {
        stats_round_destroy(&ofc->stats);
        ofc->stats = ofc->collecting;
        /* The hmaps moved: their buckets point at the old heads. */
        hmap_moved(&ofc->stats.cookies);
        hmap_moved(&ofc->stats.backends);
        stats_round_init(&ofc->collecting);
        ofc->completed_round = ofc->requested_round;
        ofc->stats_in_flight = false;
    }
}

static void
handle_flow_stats_reply(struct ofctrl *ofc, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofputil_flow_stats fs;
    struct ofpbuf ofpacts;

    if (!ofc->stats_in_flight || oh->xid != ofc->collecting.flow_xid) {
        return;
    }
    ofpbuf_init(&ofpacts, 64);
    while (!ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts)) {
        struct counters_node *c = NULL;

        /* An owner's packets are those that entered through its ingress
         * flows; a backend's, those its backend flow delivered. */
        if (fs.table_id == DSR_TABLE_INGRESS) {
            c = counters_get(&ofc->collecting.cookies, ntohll(fs.cookie));
        } else if (fs.table_id == DSR_TABLE_BACKEND
                   && fs.match.wc.masks.regs[1]) {
            c = counters_get(&ofc->collecting.backends,
                             (uint64_t) fs.match.flow.regs[0] << 32
                             | fs.match.flow.regs[1]);
        }
        if (c) {
            c->total.packets += fs.packet_count;
            c->total.bytes += fs.byte_count;
        }
    }
    ofpbuf_uninit(&ofpacts);
    if (!ofpmp_more(oh)) {
        ofc->collecting.flows_done = true;
        finish_stats_round(ofc);
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

/* While held, ofctrl reads the switch back but changes nothing, and the
 * switch keeps forwarding with what it has.  Every (re)connection holds,
 * until the caller releases it: its desired state may lack what only the
 * network can tell (backend MACs), and sending an incomplete state would
 * undo what the switch rightly has. */
void
ofctrl_set_hold(struct ofctrl *ofc, bool hold)
{
    ofc->hold = hold;
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
