/* The DSR-path half of a probe (health.h, controller/health.md): its
 * source port, what is sent (a TCP SYN, or the udp check's datagram),
 * what the answer says, and the reason a backend that fails it is down.
 * health.c starts and stops it with each probe and asks for its verdict;
 * the packets themselves are lb-probe.c's, through the send callback and
 * health_dsr_reply(). */
#include <config.h>
#include "controller/health-private.h"

#include <string.h>
#include "controller/check-udp-payload.h"
#include "controller/model.h"
#include "coverage.h"
#include "dp-packet.h"
#include "flow.h"
#include "hash.h"
#include "packets.h"
#include "random.h"
#include "util.h"

/* DSR-path probes sent, and those whose answer (or lack of one) took a
 * backend's probe down. */
COVERAGE_DEFINE(health_dsr_probe);
COVERAGE_DEFINE(health_dsr_failed);

/* Source ports of DSR-path probes. */
#define DSR_SPORT_MIN 40000
#define DSR_SPORT_MAX 59999

struct dsr_port {
    struct hmap_node node;      /* In struct dsr_ports' 'map'. */
    uint16_t sport;
    struct dsr_path *path;
};

void
dsr_ports_init(struct dsr_ports *ports)
{
    hmap_init(&ports->map);
    ports->next = DSR_SPORT_MIN;
}

void
dsr_ports_destroy(struct dsr_ports *ports)
{
    struct dsr_port *dp;

    HMAP_FOR_EACH_POP (dp, node, &ports->map) {
        free(dp);
    }
    hmap_destroy(&ports->map);
}

static struct dsr_port *
find_port(const struct dsr_ports *ports, uint16_t sport)
{
    struct dsr_port *dp;

    HMAP_FOR_EACH_WITH_HASH (dp, node, hash_int(sport, 0), &ports->map) {
        if (dp->sport == sport) {
            return dp;
        }
    }
    return NULL;
}

static uint16_t
alloc_port(struct dsr_ports *ports, struct dsr_path *path)
{
    for (int i = 0; i <= DSR_SPORT_MAX - DSR_SPORT_MIN; i++) {
        uint16_t sport = ports->next;

        ports->next = sport == DSR_SPORT_MAX ? DSR_SPORT_MIN : sport + 1;
        if (!find_port(ports, sport)) {
            struct dsr_port *dp = xmalloc(sizeof *dp);
            dp->sport = sport;
            dp->path = path;
            hmap_insert(&ports->map, &dp->node, hash_int(sport, 0));
            return sport;
        }
    }
    return 0;
}

/* Forgets 'path''s source port: later answers to it are ignored. */
void
dsr_path_stop(struct dsr_ports *ports, struct dsr_path *path)
{
    struct dsr_port *dp = path->sport ? find_port(ports, path->sport)
                                      : NULL;

    if (dp) {
        hmap_remove(&ports->map, &dp->node);
        free(dp);
    }
    path->sport = 0;
}

/* Sends 'path''s probe for 'check' (the target's service, backend and
 * VIP are already in 'path'), unless the check has no "dsr". */
void
dsr_path_start(struct dsr_ports *ports, struct dsr_path *path,
               const struct dsr_health_check *check,
               health_dsr_send_cb *send_cb, void *aux)
{
    uint8_t payload[1500];

    path->result = check->dsr ? DSR_PATH_WAITING : DSR_PATH_OFF;
    if (!check->dsr) {
        return;
    }
    path->udp = check->type == DSR_CHECK_UDP;
    path->dns = path->udp && check->dns;
    path->dns_id = random_uint32();
    path->sport = alloc_port(ports, path);

    struct health_dsr_probe probe = {
        .service_id = path->service_id,
        .ip = path->ip,
        .port = check->port,
        .sport = path->sport,
        .udp = path->udp,
        .payload = payload,
        .payload_len = (path->udp
                        ? check_udp_build_payload(check, path->dns_id,
                                                  payload, sizeof payload)
                        : 0),
    };
    if (!path->sport || !send_cb(aux, &probe)) {
        /* Not the backend's fault: judge by the plain check alone. */
        dsr_path_stop(ports, path);
        path->result = DSR_PATH_SKIPPED;
        return;
    }
    COVERAGE_INC(health_dsr_probe);
}

bool
dsr_path_done(const struct dsr_path *path)
{
    return path->result != DSR_PATH_WAITING;
}

/* What 'reply' says of its probe: a UDP answer must come from the VIP,
 * or clients, who sent to the VIP, drop it. */
static enum dsr_path_result
judge_reply(const struct dsr_path *path, const struct health_dsr_reply *r)
{
    if (!r->udp) {
        return r->syn_ack ? DSR_PATH_ANSWERED : DSR_PATH_REFUSED;
    } else if (!ipv6_addr_equals(&r->src, &path->vip)) {
        return DSR_PATH_REAL_IP;
    } else if (path->dns && !check_udp_dns_reply_ok(r->payload,
                                                    r->payload_len,
                                                    path->dns_id)) {
        return DSR_PATH_BAD_REPLY;
    }
    return DSR_PATH_ANSWERED;
}

bool
health_dsr_reply_parse(const struct flow *flow, const struct dp_packet *packet,
                       struct health_dsr_reply *r)
{
    bool udp = flow->nw_proto == IPPROTO_UDP;
    const uint8_t *l4 = dp_packet_l4(packet);
    size_t l4_size = dp_packet_l4_size(packet);
    size_t header = udp ? sizeof(struct udp_header)
                        : sizeof(struct tcp_header);
    uint16_t tcp_flags = ntohs(flow->tcp_flags);

    if (!l4 || l4_size < header
        || (!udp && flow->nw_proto != IPPROTO_TCP)) {
        return false;
    }
    if (!udp && !(tcp_flags & TCP_RST)
        && (tcp_flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK)) {
        return false;
    }
    *r = (struct health_dsr_reply) {
        .sport = ntohs(flow->tp_dst),
        .src = (flow->dl_type == htons(ETH_TYPE_IPV6) ? flow->ipv6_src
                : in6_addr_mapped_ipv4(flow->nw_src)),
        .udp = udp,
        .syn_ack = !(tcp_flags & TCP_RST),
        .payload = l4 + header,
        .payload_len = l4_size - header,
    };
    return true;
}

/* Records 'reply' as its probe's answer; returns that probe, or NULL if
 * no probe in flight has its port (or its protocol). */
struct dsr_path *
dsr_ports_reply(struct dsr_ports *ports, const struct health_dsr_reply *r)
{
    struct dsr_port *dp = find_port(ports, r->sport);
    struct dsr_path *path = dp ? dp->path : NULL;

    if (!path || path->udp != r->udp) {
        return NULL;
    }
    path->result = judge_reply(path, r);
    dsr_path_stop(ports, path);
    return path;
}

/* Whether 'path' lets its probe be up, given that the plain check passed;
 * if not, why, in 'reason'. */
bool
dsr_path_verdict(const struct dsr_path *path, char *reason, size_t size)
{
    const char *why;

    switch (path->result) {
    case DSR_PATH_OFF:
    case DSR_PATH_SKIPPED:
    case DSR_PATH_ANSWERED:
        return true;
    case DSR_PATH_REFUSED:
        why = "VIP port closed: RST from the VIP through the DSR path";
        break;
    case DSR_PATH_REAL_IP:
        why = "UDP service answers from its real IP, not the VIP: clients "
              "drop these replies (bind the VIP or use IP_PKTINFO)";
        break;
    case DSR_PATH_BAD_REPLY:
        why = "not a DNS response to the query through the DSR path";
        break;
    case DSR_PATH_WAITING:
    default:
        why = (path->tunnel
               ? "VIP not configured on backend or no decapsulation: it "
                 "answers on its real IP but not on the VIP through the "
                 "tunnel"
               : "VIP not configured on backend: it answers on its real "
                 "IP but not on the VIP through the DSR path");
        break;
    }
    COVERAGE_INC(health_dsr_failed);
    ovs_strlcpy(reason, why, size);
    return false;
}
