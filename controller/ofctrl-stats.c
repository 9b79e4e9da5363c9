/* Statistics rounds for one bridge: a flow stats request for dsrd's
 * flows, whose replies are summed by cookie (ingress flows) and by
 * backend (DSR_TABLE_BACKEND flows).  See ofctrl-stats.h. */
#include <config.h>
#include "controller/ofctrl-stats.h"

#include "controller/ofctrl-private.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/rconn.h"
#include "util.h"

/* Counters of one cookie or one backend, from a stats round. */
struct counters_node {
    struct hmap_node node;      /* By 'key'. */
    uint64_t key;               /* See struct stats_round. */
    struct ofctrl_counters total;
};

/* A round of statistics requests. */
struct stats_round {
    struct hmap cookies;        /* struct counters_node by cookie. */
    struct hmap backends;       /* struct counters_node by service id << 32
                                 * | backend address: DSR_TABLE_BACKEND
                                 * flows. */
    ovs_be32 flow_xid;
};

/* The rounds of one bridge: 'stats' is the last complete one;
 * 'collecting' the one in flight, numbered 'requested_round'. */
struct ofctrl_stats {
    struct stats_round stats;
    struct stats_round collecting;
    unsigned int requested_round;
    unsigned int completed_round;
    bool in_flight;             /* 'collecting' is requested. */
};

static void
stats_round_init(struct stats_round *r)
{
    hmap_init(&r->cookies);
    hmap_init(&r->backends);
    r->flow_xid = 0;
}

static void
counters_clear(struct hmap *map)
{
    struct counters_node *c;

    HMAP_FOR_EACH_POP (c, node, map) {
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

struct ofctrl_stats *
ofctrl_stats_create(void)
{
    struct ofctrl_stats *s = xzalloc(sizeof *s);

    stats_round_init(&s->stats);
    stats_round_init(&s->collecting);
    return s;
}

void
ofctrl_stats_destroy(struct ofctrl_stats *s)
{
    if (s) {
        stats_round_destroy(&s->stats);
        stats_round_destroy(&s->collecting);
        free(s);
    }
}

/* The round in flight, if any, will get no answer. */
void
ofctrl_stats_disconnected(struct ofctrl_stats *s)
{
    s->in_flight = false;
}

/* A request for the statistics of all of dsrd's flows (by cookie tag),
 * and so for the flows themselves: the reconciliation's dump is the same
 * request. */
struct ofpbuf *
ofctrl_encode_dsr_flows_request(void)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .cookie = htonll(DSR_COOKIE_TAG),
        .cookie_mask = htonll(DSR_COOKIE_TAG_MASK),
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
        .table_id = 0xff,
    };

    match_init_catchall(&fsr.match);
    return ofputil_encode_flow_stats_request(&fsr, OFPUTIL_P_OF15_OXM);
}

/* Starts a round of statistics requests, unless one is already under
 * way; returns the number of the round that answers the caller. */
unsigned int
ofctrl_request_stats(struct ofctrl *ofc)
{
    struct ofctrl_stats *s = ofc->stats;

    if (s->in_flight || !rconn_is_connected(ofc->rconn)) {
        return s->requested_round;
    }
    stats_round_destroy(&s->collecting);
    stats_round_init(&s->collecting);

    struct ofpbuf *msg = ofctrl_encode_dsr_flows_request();
    s->collecting.flow_xid = ((struct ofp_header *) msg->data)->xid;
    rconn_send(ofc->rconn, msg, NULL);

    s->in_flight = true;
    return ++s->requested_round;
}

/* True once round 'round' is complete, or if it cannot complete because
 * the switch is gone. */
bool
ofctrl_stats_done(const struct ofctrl *ofc, unsigned int round)
{
    return (ofc->stats->completed_round >= round || !ofc->stats->in_flight
            || !rconn_is_connected(ofc->rconn));
}

bool
ofctrl_get_cookie_counters(const struct ofctrl *ofc, uint64_t cookie,
                           struct ofctrl_counters *out)
{
    const struct counters_node *c = counters_find(&ofc->stats->stats.cookies,
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
        &ofc->stats->stats.backends, (uint64_t) service_id << 32 | ip);

    *out = c ? c->total : (struct ofctrl_counters) { 0, 0 };
    return c != NULL;
}

static void
finish_stats_round(struct ofctrl_stats *s)
{
    stats_round_destroy(&s->stats);
    s->stats = s->collecting;
    /* The hmaps moved: their buckets point at the old heads. */
    hmap_moved(&s->stats.cookies);
    hmap_moved(&s->stats.backends);
    stats_round_init(&s->collecting);
    s->completed_round = s->requested_round;
    s->in_flight = false;
}

/* A reply to a flow stats request that is not a reconciliation's dump. */
void
ofctrl_handle_flow_stats_reply(struct ofctrl *ofc,
                               const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofctrl_stats *s = ofc->stats;
    struct ofputil_flow_stats fs;
    struct ofpbuf ofpacts;

    if (!s->in_flight || oh->xid != s->collecting.flow_xid) {
        return;
    }
    ofpbuf_init(&ofpacts, 64);
    while (!ofputil_decode_flow_stats_reply(&fs, &b, false, &ofpacts)) {
        struct counters_node *c = NULL;

        /* An owner's packets are those that entered through its ingress
         * flows; a backend's, those its backend flow delivered. */
        if (fs.table_id == DSR_TABLE_INGRESS) {
            c = counters_get(&s->collecting.cookies, ntohll(fs.cookie));
        } else if (fs.table_id == DSR_TABLE_BACKEND
                   && fs.match.wc.masks.regs[1]) {
            c = counters_get(&s->collecting.backends,
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
        finish_stats_round(s);
    }
}
