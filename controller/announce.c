/* Announcing VIPs by BGP, through a kernel routing table (announce.h). */
#include <config.h>
#include "controller/announce.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/rtnl.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announce);

/* The VIPs are looked at when something they depend on changed (the
 * configuration, a service's flows or health, a bridge's readiness, the
 * drain) or a hold-down or grace period ends, and at most this often, so
 * that a burst of changes walks a large configuration a few times, not
 * once each.  A withdrawal waits at most this long after the change that
 * causes it (BFD's own detection is 300 ms). */
#define ANNOUNCE_MIN_INTERVAL_MS 50

/* After a start, routes a previous dsrd left are kept this long while the
 * switch connection comes up, so a restart of dsrd does not flap them. */
#define ANNOUNCE_STARTUP_GRACE_MS 10000

struct vip_route {
    struct hmap_node node;      /* In struct announcer's 'vips'. */
    struct in6_addr vip;        /* IPv6, or IPv4-mapped. */
    bool announced;             /* The route is in the table. */
    uint32_t metric;            /* Its metric there, if 'announced'. */
    uint32_t want_metric;       /* This pass: its services' highest. */
    bool inherited;             /* Found there at start, not yet judged. */
    long long int able_since;   /* Servable since; 0: not servable. */
    bool seen;                  /* In the configuration this pass. */
    const char *device;         /* This pass: the bridge of its services,
                                 * or NULL if one of them cannot serve. */
    bool blocked;               /* This pass: one of them cannot. */
    char *why_not;              /* Why it is not announced, or NULL. */
};

/* A bridge's readiness: connected, and in sync once since it connected. */
struct bridge_ready {
    struct hmap_node node;
    char *name;
    bool ready;
};

struct announcer {
    struct dsr_announce cfg;
    struct rtnl rtnl;
    struct hmap vips;           /* struct vip_route. */
    struct hmap bridges;        /* struct bridge_ready. */
    long long int started;
    long long int last_walk;    /* time_msec() of the last look at all. */
    long long int next_deadline;    /* A hold-down or grace period ends. */
    bool dirty;                 /* Something changed since 'last_walk'. */
    uint64_t cfg_version;       /* What the last look saw. */
    uint64_t lb_seqno;
    char *node_name;            /* Matched against services'
                                 * announce.nodes. */
    char *drain_file;           /* Exists while the node is drained. */
    bool drained;               /* Withdraw everything, keep forwarding. */
};

/* A request about the host route of 'vip': VIP/32 or VIP/128. */
static struct nlmsghdr *
route_request(struct announcer *a, int type, int flags,
              const struct in6_addr *vip)
{
    struct nlmsghdr *nlh = rtnl_request(&a->rtnl, type, flags);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    bool v4 = IN6_IS_ADDR_V4MAPPED(vip);

    rtm->rtm_family = v4 ? AF_INET : AF_INET6;
    rtm->rtm_dst_len = v4 ? 32 : 128;
    rtm->rtm_table = a->cfg.table < 256 ? a->cfg.table : RT_TABLE_UNSPEC;
    rtm->rtm_protocol = a->cfg.protocol;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_TABLE, a->cfg.table);
    if (v4) {
        ovs_be32 vip4 = in6_addr_get_mapped_ipv4(vip);
        mnl_attr_put(nlh, RTA_DST, sizeof vip4, &vip4);
    } else {
        mnl_attr_put(nlh, RTA_DST, sizeof *vip, vip);
    }
    return nlh;
}

static int
add_route(struct announcer *a, const struct in6_addr *vip,
          const char *device, uint32_t metric)
{
    unsigned int ifindex = if_nametoindex(device);
    if (!ifindex) {
        return errno;
    }
    struct nlmsghdr *nlh = route_request(a, RTM_NEWROUTE,
                                         NLM_F_CREATE | NLM_F_REPLACE, vip);
    mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
    mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
    return rtnl_transact(&a->rtnl, nlh, NULL, NULL);
}

static int
del_route(struct announcer *a, const struct in6_addr *vip, uint32_t metric)
{
    struct nlmsghdr *nlh = route_request(a, RTM_DELROUTE, 0, vip);
    mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
    int error = rtnl_transact(&a->rtnl, nlh, NULL, NULL);
    return error == ESRCH || error == ENOENT ? 0 : error;
}

static struct vip_route *
find_vip(const struct announcer *a, const struct in6_addr *vip)
{
    struct vip_route *r;

    HMAP_FOR_EACH_WITH_HASH (r, node, dsr_ip_hash(vip, 0), &a->vips) {
        if (ipv6_addr_equals(&r->vip, vip)) {
            return r;
        }
    }
    return NULL;
}

static struct vip_route *
add_vip(struct announcer *a, const struct in6_addr *vip)
{
    struct vip_route *r = xzalloc(sizeof *r);

    r->vip = *vip;
    hmap_insert(&a->vips, &r->node, dsr_ip_hash(vip, 0));
    return r;
}

/* One route of a dump: ours if it is in our table with our protocol. */
static int
note_route(const struct nlmsghdr *nlh, void *a_)
{
    struct announcer *a = a_;
    const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
    struct nlattr *attr;
    uint32_t table = rtm->rtm_table;
    struct in6_addr dst = in6addr_any;
    uint32_t metric = 0;
    bool v4 = rtm->rtm_family == AF_INET;

    if ((v4 ? rtm->rtm_dst_len != 32
         : rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len != 128)
        || rtm->rtm_protocol != a->cfg.protocol) {
        return MNL_CB_OK;
    }
    mnl_attr_for_each (attr, nlh, sizeof *rtm) {
        const void *payload = mnl_attr_get_payload(attr);
        size_t len = mnl_attr_get_payload_len(attr);
        if (mnl_attr_get_type(attr) == RTA_TABLE) {
            table = mnl_attr_get_u32(attr);
        } else if (mnl_attr_get_type(attr) == RTA_PRIORITY) {
            metric = mnl_attr_get_u32(attr);
        } else if (mnl_attr_get_type(attr) == RTA_DST && v4
                   && len == sizeof(ovs_be32)) {
            ovs_be32 dst4;
            memcpy(&dst4, payload, sizeof dst4);
            in6_addr_set_mapped_ipv4(&dst, dst4);
        } else if (mnl_attr_get_type(attr) == RTA_DST && len == sizeof dst) {
            memcpy(&dst, payload, sizeof dst);
        }
    }
    if (table != a->cfg.table || !ipv6_addr_is_set(&dst)) {
        return MNL_CB_OK;
    }
    if (!find_vip(a, &dst)) {
        struct vip_route *r = add_vip(a, &dst);
        r->announced = r->inherited = true;
        r->metric = metric;
    }
    return MNL_CB_OK;
}

/* Notes the host routes of both families that a previous dsrd left in
 * our table. */
static int
dump_routes(struct announcer *a)
{
    static const int families[] = { AF_INET, AF_INET6 };
    int error = 0;

    for (size_t i = 0; !error && i < ARRAY_SIZE(families); i++) {
        struct nlmsghdr *nlh = rtnl_request(&a->rtnl, RTM_GETROUTE,
                                            NLM_F_DUMP);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = families[i];
        error = rtnl_transact(&a->rtnl, nlh, note_route, a);
        if (error == ENOENT) {
            error = 0;      /* No IPv6 route yet, so no IPv6 table. */
        }
    }
    return error;
}

static struct announcer *
announcer_open(const struct dsr_announce *cfg, char **errorp)
{
    struct announcer *a = xzalloc(sizeof *a);

    a->cfg = *cfg;
    rtnl_init(&a->rtnl);
    hmap_init(&a->vips);
    hmap_init(&a->bridges);
    a->started = time_msec();
    int error = rtnl_open(&a->rtnl);
    if (!error) {
        error = dump_routes(a);
    }
    *errorp = (error
               ? xasprintf("announce: reading routing table %"PRIu32": %s",
                           cfg->table, ovs_strerror(error))
               : NULL);
    return a;
}

/* Returns the announcer of 'cfg', or NULL if it announces by ARP.  Exits
 * if rtnetlink cannot be used: announcing is the node's availability. */
struct announcer *
announcer_create(const struct dsr_announce *cfg, const char *drain_file,
                 const char *node_name)
{
    if (cfg->mode != DSR_ANNOUNCE_BGP) {
        return NULL;
    }

    char *error;
    struct announcer *a = announcer_open(cfg, &error);
    if (error) {
        ovs_fatal(0, "%s", error);
    }
    a->drain_file = xstrdup(drain_file);
    a->node_name = xstrdup(node_name);
    a->drained = !access(drain_file, F_OK);
    VLOG_INFO("announcing VIPs by BGP: routes in kernel table %"PRIu32
              ", protocol %u (%"PRIuSIZE" found there), hold-down %u ms%s",
              cfg->table, cfg->protocol, hmap_count(&a->vips),
              cfg->hold_down_ms, a->drained ? "; the node is drained" : "");
    return a;
}

/* Drains the node ('drained'), withdrawing every VIP while the bridges
 * keep forwarding what still arrives, or undrains it (the VIPs return
 * after the hold-down).  Kept across restarts in 'drain_file'.  Returns
 * NULL or why the state could not be saved (nothing changed then). */
char *
announcer_set_drained(struct announcer *a, bool drained)
{
    if (drained && !a->drained) {
        int fd = open(a->drain_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || fsync(fd)) {
            char *error = xasprintf("%s: %s", a->drain_file,
                                    ovs_strerror(errno));
            if (fd >= 0) {
                close(fd);
            }
            return error;
        }
        close(fd);
    } else if (!drained && a->drained && unlink(a->drain_file)
               && errno != ENOENT) {
        return xasprintf("%s: %s", a->drain_file, ovs_strerror(errno));
    }
    if (drained != a->drained) {
        VLOG_INFO("node %s", drained ? "drained: withdrawing every VIP"
                                     : "undrained");
        a->drained = drained;
        a->dirty = true;
        if (drained) {
            announcer_withdraw_all(a);
        }
    }
    return NULL;
}

bool
announcer_is_drained(const struct announcer *a)
{
    return a && a->drained;
}

void
announcer_destroy(struct announcer *a)
{
    if (a) {
        struct vip_route *r;
        HMAP_FOR_EACH_POP (r, node, &a->vips) {
            free(r->why_not);
            free(r);
        }
        hmap_destroy(&a->vips);
        struct bridge_ready *b;
        HMAP_FOR_EACH_POP (b, node, &a->bridges) {
            free(b->name);
            free(b);
        }
        hmap_destroy(&a->bridges);
        rtnl_destroy(&a->rtnl);
        free(a->drain_file);
        free(a->node_name);
        free(a);
    }
}

static struct bridge_ready *
find_bridge(struct announcer *a, const char *name)
{
    struct bridge_ready *b;

    HMAP_FOR_EACH_WITH_HASH (b, node, hash_string(name, 0), &a->bridges) {
        if (!strcmp(b->name, name)) {
            return b;
        }
    }
    b = xzalloc(sizeof *b);
    b->name = xstrdup(name);
    hmap_insert(&a->bridges, &b->node, hash_string(name, 0));
    return b;
}

/* Updates each bridge's readiness: a bridge that reconnects is not ready
 * until its flows are back (in sync), and a pending write later does not
 * make it unready.  Returns true if one changed. */
static bool
update_bridges(struct announcer *a, const struct dsr_config *cfg,
               const struct lb *lb)
{
    bool changed = false;

    for (size_t i = 0; i < cfg->n_bridges; i++) {
        struct bridge_ready *b = find_bridge(a, cfg->bridges[i].name);
        bool connected, synced;
        lb_bridge_status(lb, b->name, &connected, &synced);
        bool ready = connected && (b->ready || synced);
        changed |= ready != b->ready;
        b->ready = ready;
    }
    return changed;
}

/* Why 'svc' cannot serve on this node, or NULL if it can: a string
 * constant, for the log and /v1/status. */
static const char *
service_cannot_serve(struct announcer *a, const struct lb *lb,
                     const struct dsr_service *svc)
{
    return (!find_bridge(a, svc->bridge)->ready
            ? "its bridge is not connected, or its flows not back yet"
            : lb_service_rejection(lb, svc) ? "OVS rejected its flows"
            : !lb_count_healthy(lb, svc) ? "no backend takes connections"
            : NULL);
}

/* The metric that 'svc' gives its VIP's route on this node, or 0 if it
 * does not let this node announce the VIP at all. */
static uint32_t
service_metric(const struct announcer *a, const struct dsr_service *svc)
{
    const json_t *metric = json_object_get(svc->announce_json, "metric");
    const json_t *nodes = json_object_get(svc->announce_json, "nodes");
    uint32_t m = metric ? json_integer_value(metric) : 1;  /* Schema's. */
    const json_t *node;
    size_t i;

    if (!nodes) {
        return m;
    }
    json_array_foreach (nodes, i, node) {
        const char *name = json_string_value(json_object_get(node, "name"));
        if (!strcmp(name, a->node_name)) {
            metric = json_object_get(node, "metric");
            return metric ? json_integer_value(metric) : m;
        }
    }
    return 0;
}

/* Adds the route with r->want_metric, or deletes it.  The metric is part
 * of a route's key, so a new one is a new route: the old one is deleted
 * just before it is added, not after, since FRR's "ip import-table" (8.4)
 * forgets a prefix whose route goes while another one stays. */
static void
set_route(struct announcer *a, struct vip_route *r, const char *device,
          bool announce)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);
    bool moved = announce && r->announced && r->metric != r->want_metric;
    char ip[INET6_ADDRSTRLEN];
    int error;

    dsr_ip_to_string(&r->vip, ip);
    const char *op = "delete";
    error = (!announce || moved ? del_route(a, &r->vip, r->metric) : 0);
    if (!error && announce) {
        op = "add";
        r->announced = false;
        error = add_route(a, &r->vip, device, r->want_metric);
    }
    if (error) {
        VLOG_WARN_RL(&rl, "%s: could not %s its route in table %"PRIu32
                     ": %s", ip, op, a->cfg.table, ovs_strerror(error));
        return;
    }
    if (moved) {
        VLOG_INFO("%s: metric now %"PRIu32, ip, r->want_metric);
    } else if (announce) {
        VLOG_INFO("%s: announced, metric %"PRIu32, ip, r->want_metric);
    } else {
        VLOG_INFO("%s: withdrawn%s%s", ip, r->why_not ? ": " : "",
                  r->why_not ? r->why_not : "");
    }
    r->announced = announce;
    r->metric = r->want_metric;
    r->inherited = false;
}

/* Decides one VIP: 'device' is the bridge of its services, or NULL if one
 * of them cannot serve.  Returns when it must be looked at again even if
 * nothing changes (its hold-down or the startup grace ends), or
 * LLONG_MAX. */
static long long int
judge_vip(struct announcer *a, struct vip_route *r, const char *device,
          long long int now)
{
    if (!device) {
        r->able_since = 0;
        long long int grace_end = a->started + ANNOUNCE_STARTUP_GRACE_MS;
        if (r->announced && (!r->inherited || a->drained
                             || now >= grace_end)) {
            set_route(a, r, NULL, false);
        }
        return r->announced ? grace_end : LLONG_MAX;
    }
    if (!r->able_since) {
        r->able_since = now;
    }
    long long int hold_end = r->able_since + a->cfg.hold_down_ms;
    if (r->announced && r->metric != r->want_metric) {
        set_route(a, r, device, true);
    } else if (r->inherited) {
        r->inherited = false;   /* Kept: it was right all along. */
    } else if (!r->announced && now >= hold_end) {
        set_route(a, r, device, true);
    }
    return r->announced ? LLONG_MAX : hold_end;
}

static void
set_why_not(struct vip_route *r, char *why_not)
{
    free(r->why_not);
    r->why_not = why_not;
}

void
announcer_run(struct announcer *a, const struct dsr_config *cfg,
              const struct lb *lb)
{
    if (!a) {
        return;
    }
    long long int now = time_msec();
    uint64_t lb_seqno = lb_service_state_seqno(lb);
    a->dirty |= (update_bridges(a, cfg, lb)
                 || cfg->version != a->cfg_version
                 || lb_seqno != a->lb_seqno);
    if ((!a->dirty && now < a->next_deadline)
        || now < a->last_walk + ANNOUNCE_MIN_INTERVAL_MS) {
        return;
    }
    a->dirty = false;
    a->cfg_version = cfg->version;
    a->lb_seqno = lb_seqno;
    a->last_walk = now;
    a->next_deadline = LLONG_MAX;

    struct vip_route *r;
    HMAP_FOR_EACH (r, node, &a->vips) {
        r->seen = false;
        r->device = NULL;
        r->blocked = false;
        r->want_metric = 0;
    }
    struct dsr_service *svc;
    HMAP_FOR_EACH (svc, name_node, &cfg->services) {
        r = find_vip(a, &svc->vip);
        if (!r) {
            r = add_vip(a, &svc->vip);
        }
        r->seen = true;
        uint32_t metric = service_metric(a, svc);
        const char *reason = (!metric ? "not announced from this node "
                                        "(its announce.nodes)"
                              : service_cannot_serve(a, lb, svc));
        if (!reason) {
            r->device = svc->bridge;
            r->want_metric = MAX(r->want_metric, metric);
        } else if (!r->blocked) {
            r->blocked = true;
            set_why_not(r, xasprintf("service %s: %s", svc->name, reason));
        }
    }
    HMAP_FOR_EACH_SAFE (r, node, &a->vips) {
        if (a->drained) {
            set_why_not(r, xstrdup("the node is drained"));
        } else if (!r->seen) {
            set_why_not(r, xstrdup("no service has it"));
        } else if (!r->blocked) {
            set_why_not(r, NULL);
        }
        long long int deadline = judge_vip(a, r, (r->blocked || a->drained
                                                  ? NULL : r->device), now);
        a->next_deadline = MIN(a->next_deadline, deadline);
        if (!r->seen && !r->announced) {
            hmap_remove(&a->vips, &r->node);
            free(r->why_not);
            free(r);
        }
    }
}

void
announcer_wait(struct announcer *a)
{
    if (a) {
        poll_timer_wait_until(a->dirty
                              ? a->last_walk + ANNOUNCE_MIN_INTERVAL_MS
                              : a->next_deadline);
    }
}

/* Withdraws every VIP, for a graceful stop: the routers move the traffic
 * to other nodes while this one still forwards what reaches it. */
void
announcer_withdraw_all(struct announcer *a)
{
    struct vip_route *r;

    if (!a) {
        return;
    }
    HMAP_FOR_EACH (r, node, &a->vips) {
        if (r->announced) {
            set_route(a, r, NULL, false);
        }
    }
}

/* Whether 'vip''s route is in the table now: for /metrics. */
bool
announcer_is_announced(const struct announcer *a, const struct in6_addr *vip)
{
    const struct vip_route *r = find_vip(a, vip);
    return r && r->announced;
}

/* {"mode": "bgp", "node": NAME, "table": N, ..., "announced": [VIP...],
 *  "metrics": {VIP: N}, "not_announced": {VIP: WHY}} */
json_t *
announcer_to_json(const struct announcer *a)
{
    if (!a) {
        return json_pack("{s:s}", "mode", "arp");
    }

    json_t *vips = json_array();
    json_t *metrics = json_object();
    json_t *not_announced = json_object();
    const struct vip_route *r;
    HMAP_FOR_EACH (r, node, &a->vips) {
        char ip[INET6_ADDRSTRLEN];
        dsr_ip_to_string(&r->vip, ip);
        if (r->announced) {
            json_array_append_new(vips, json_string(ip));
            json_object_set_new(metrics, ip, json_integer(r->metric));
        } else {
            json_object_set_new(not_announced, ip, json_string(
                                    r->why_not ? r->why_not
                                    : "hold-down after a withdrawal"));
        }
    }
    return json_pack("{s:s, s:s, s:I, s:i, s:I, s:b, s:o, s:o, s:o}",
                     "mode", "bgp", "node", a->node_name,
                     "table", (json_int_t) a->cfg.table,
                     "protocol", a->cfg.protocol,
                     "hold_down_ms", (json_int_t) a->cfg.hold_down_ms,
                     "drained", a->drained,
                     "announced", vips, "metrics", metrics,
                     "not_announced", not_announced);
}

/* Deletes every route of 'cfg''s table and protocol: what the service
 * manager runs after dsrd died (dsrd --withdraw, deploy/dsrd.service's
 * ExecStopPost), so that a node without dsrd attracts no traffic. */
char *
announce_flush(const struct dsr_announce *cfg)
{
    if (cfg->mode != DSR_ANNOUNCE_BGP) {
        return NULL;
    }

    char *error;
    struct announcer *a = announcer_open(cfg, &error);
    if (!error) {
        announcer_withdraw_all(a);
        size_t left = 0;
        struct vip_route *r;
        HMAP_FOR_EACH (r, node, &a->vips) {
            left += r->announced;
        }
        if (left) {
            error = xasprintf("announce: %"PRIuSIZE" routes could not be "
                              "deleted from table %"PRIu32, left,
                              cfg->table);
        }
    }
    announcer_destroy(a);
    return error;
}
