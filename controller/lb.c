/* Services -> per-bridge owners of flows, kept current as neighbors
 * resolve.  Work is proportional to what changed: an ARP reply recomputes
 * only the services that use that address. */
#include <config.h>
#include "controller/lb.h"

#include "controller/config.h"
#include "controller/model.h"
#include "controller/neighbor.h"
#include "controller/ofctrl.h"
#include "dp-packet.h"
#include "flow.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "flows/slots.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/vlog.h"
#include "hmapx.h"
#include "openvswitch/poll-loop.h"
#include "controller/health.h"
#include "controller/probe-packet.h"
#include "controller/tunnel.h"
#include "controller/vswitchd.h"
#include "random.h"
#include "flow.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(lb);

/* A VIP on a bridge; several services may share it. */
struct lb_vip {
    struct hmap_node node;          /* In struct lb_bridge's 'vips'. */
    ovs_be32 ip;
    struct eth_addr mac;
    int refcount;                   /* Services using it. */
    bool announce;                  /* Gratuitous ARP still to send. */
};

/* The services that use one backend address, for recomputing them when
 * the address resolves. */
struct lb_ip_users {
    struct hmap_node node;          /* In struct lb_bridge's 'ip_users'. */
    ovs_be32 ip;
    struct hmapx services;          /* struct dsr_service *. */
};

/* A backend MAC whose location flows are installed. */
struct lb_location {
    struct hmap_node node;          /* In struct lb_bridge's 'locations'. */
    struct eth_addr mac;
    ofp_port_t port;
    int refcount;                   /* Neighbors resolved to this MAC. */
};

/* When a backend's bucket last appeared or went away. */
struct lb_bucket_state {
    struct hmap_node node;          /* In struct lb_bridge's 'buckets'. */
    uint32_t service_id;
    uint32_t bucket_id;
    bool in_group;
    long long int since;            /* time_wall_msec() of the change. */
};

struct lb_bridge {
    struct hmap_node node;          /* In struct lb's 'bridges'. */
    const struct lb *lb;
    const struct dsr_bridge_config *cfg;
    struct ofctrl *ofctrl;
    struct neighbor_table neighbors;
    unsigned int conn_seqno;        /* Last connection we reacted to. */
    struct hmap vips;               /* struct lb_vip. */
    struct hmap ip_users;           /* struct lb_ip_users. */
    struct hmap locations;          /* struct lb_location. */
    struct hmapx dirty_services;    /* struct dsr_service * to recompute. */
    unsigned int stats_round;       /* Last statistics round asked for. */
    long long int relax_at;         /* Next try at vswitchd_relax_tcp_
                                     * conntrack(), or 0 once done. */
    long long int relax_since;
    long long int hold_until;       /* After (re)connecting, the switch is
                                     * left alone until the backends' MACs
                                     * are known, or this time. */
    struct hmap buckets;            /* struct lb_bucket_state. */
    bool any_to_announce;           /* Some VIP's 'announce' is set. */
    struct tunnel_state tunnels;    /* Ports and routes of gre and ipip
                                     * services (controller/tunnel.h). */

    /* Reaction time of health changes: decision to OVS's commit. */
    long long int decided_usec;     /* Oldest unprogrammed decision, or 0. */
    struct reaction_wait *waits;    /* Programmed, waiting for OVS. */
    size_t n_waits, allocated_waits;
};

/* A programmed health decision waiting for OVS to commit it. */
struct reaction_wait {
    long long int decided_usec;
    uint64_t seqno;
};

/* Longest wait for backends' MACs after (re)connecting to a bridge. */
#define HOLD_MS 1000

/* The last reaction times, in microseconds, for dsr/health-reaction. */
#define LB_REACTION_SAMPLES 10000

struct lb {
    const struct dsr_config *cfg;   /* Not owned: services live there. */
    struct hmap bridges;            /* struct lb_bridge, by name. */
    unsigned long long stats_requests;
    struct health *health;
    long long int *reactions;       /* Ring of LB_REACTION_SAMPLES. */
    size_t n_reactions;             /* Total recorded. */
    bool probing;                   /* Health checks have started. */
    const struct datapath_monitor *datapaths;   /* May be null. */
};

static void lb_packet_in(void *aux, const struct flow *,
                         const struct dp_packet *, ofp_port_t in_port);
static void lb_health_changed(void *lb, uint32_t service_id, ovs_be32 ip,
                              bool up);
static bool lb_dsr_send(void *lb, uint32_t service_id, ovs_be32 ip,
                        uint16_t port, uint16_t sport);

static struct lb_bridge *
find_bridge(const struct lb *lb, const char *name)
{
    struct lb_bridge *br;

    HMAP_FOR_EACH_WITH_HASH (br, node, hash_string(name, 0), &lb->bridges) {
        if (!strcmp(br->cfg->name, name)) {
            return br;
        }
    }
    return NULL;
}

static struct lb_vip *
find_vip(const struct lb_bridge *br, ovs_be32 ip)
{
    struct lb_vip *vip;

    HMAP_FOR_EACH_WITH_HASH (vip, node, hash_int((OVS_FORCE uint32_t) ip, 0),
                             &br->vips) {
        if (vip->ip == ip) {
            return vip;
        }
    }
    return NULL;
}

static struct lb_ip_users *
find_ip_users(const struct lb_bridge *br, ovs_be32 ip)
{
    struct lb_ip_users *users;

    HMAP_FOR_EACH_WITH_HASH (users, node,
                             hash_int((OVS_FORCE uint32_t) ip, 0),
                             &br->ip_users) {
        if (users->ip == ip) {
            return users;
        }
    }
    return NULL;
}

static struct lb_location *
find_location(const struct lb_bridge *br, struct eth_addr mac)
{
    struct lb_location *loc;

    HMAP_FOR_EACH_WITH_HASH (loc, node, hash_uint64(eth_addr_to_uint64(mac)),
                             &br->locations) {
        if (eth_addr_equals(loc->mac, mac)) {
            return loc;
        }
    }
    return NULL;
}

static struct lb_bucket_state *
find_bucket_state(const struct lb_bridge *br, uint32_t service_id,
                  uint32_t bucket_id)
{
    struct lb_bucket_state *b;

    HMAP_FOR_EACH_WITH_HASH (b, node, hash_2words(service_id, bucket_id),
                             &br->buckets) {
        if (b->service_id == service_id && b->bucket_id == bucket_id) {
            return b;
        }
    }
    return NULL;
}

static void
note_bucket_state(struct lb_bridge *br, const struct dsr_service *svc,
                  const struct dsr_backend *be, bool in_group)
{
    struct lb_bucket_state *b = find_bucket_state(br, svc->id,
                                                  be->bucket_id);
    if (!b) {
        b = xmalloc(sizeof *b);
        b->service_id = svc->id;
        b->bucket_id = be->bucket_id;
        b->in_group = !in_group;
        hmap_insert(&br->buckets, &b->node,
                    hash_2words(svc->id, be->bucket_id));
    }
    if (b->in_group != in_group) {
        b->in_group = in_group;
        b->since = time_wall_msec();
    }
}

static void
forget_bucket_states(struct lb_bridge *br, const struct dsr_service *svc)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        struct lb_bucket_state *b = find_bucket_state(
            br, svc->id, svc->backends[i].bucket_id);
        if (b) {
            hmap_remove(&br->buckets, &b->node);
            free(b);
        }
    }
}

/* Fills 'usable' with the backends of 'svc' that take new connections
 * (active, MAC known and, unless 'ignore_health', not down) and
 * 'reachable' with those that keep their pinned connections (draining
 * ones too, and those whose MAC is not known yet, so that a restart does
 * not re-pin their connections before ARP answers).  Returns how many are
 * usable; '*n_reachable' gets the rest. */
static size_t
classify_backends(const struct lb *lb, const struct lb_bridge *br,
                  const struct dsr_service *svc, bool ignore_health,
                  struct slots_backend *usable,
                  struct pipeline_backend *reachable, size_t *n_reachable)
{
    size_t n = 0;

    *n_reachable = 0;
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        const struct neighbor *nb = neighbor_find(&br->neighbors, be->ip);
        bool has_mac = be->has_mac || (nb && nb->resolved);
        uint32_t tunnel_port = 0;
        struct eth_addr tunnel_mac;
        if (svc->mode != DSR_MODE_L2) {
            /* Tunnel modes: no MAC to learn, the bridge's port decides. */
            has_mac = tunnel_delivery(&br->tunnels, svc, &tunnel_port,
                                      &tunnel_mac);
        }

        if (be->state == DSR_BACKEND_DISABLED
            || (!ignore_health && health_is_down(lb->health, svc->id,
                                                 be->ip))) {
            continue;
        }
        struct pipeline_backend *r = &reachable[(*n_reachable)++];
        r->ip = be->ip;
        r->has_mac = has_mac;
        r->port = tunnel_port;
        r->mac = (svc->mode != DSR_MODE_L2 ? tunnel_mac
                  : be->has_mac ? be->mac
                  : has_mac ? nb->mac : eth_addr_zero);
        if (be->state == DSR_BACKEND_ACTIVE && has_mac) {
            usable[n].id = be->bucket_id;
            usable[n].key = ntohl(be->ip);
            usable[n].weight = be->weight;
            n++;
        }
    }
    return n;
}

static int
compare_slots_backends(const void *a_, const void *b_)
{
    const struct slots_backend *a = a_;
    const struct slots_backend *b = b_;

    return a->id < b->id ? -1 : a->id > b->id;
}

/* The usable backend with bucket 'id' in 'usable', sorted by id. */
static const struct slots_backend *
find_usable(const struct slots_backend *usable, size_t n, uint32_t id)
{
    struct slots_backend key = { .id = id };

    return n ? bsearch(&key, usable, n, sizeof *usable,
                       compare_slots_backends) : NULL;
}

/* Recomputes the service's flows and group from its table and its
 * backends' states, MACs and health: O(backends log backends + slots). */
static void
program_service(const struct lb *lb, struct lb_bridge *br,
                const struct dsr_service *svc)
{
    struct slots_backend *usable = xmalloc(
        (svc->n_backends + 1) * sizeof *usable);
    struct pipeline_backend *reachable = xmalloc(
        (svc->n_backends + 1) * sizeof *reachable);
    size_t n_reachable;

    tunnel_check_routes(&br->tunnels, lb->datapaths, svc);
    size_t n = classify_backends(lb, br, svc, false, usable, reachable,
                                 &n_reachable);

    if (!n && svc->on_all_down == DSR_ALL_DOWN_KEEP) {
        /* Fail static: better some backends than none. */
        n = classify_backends(lb, br, svc, true, usable, reachable,
                              &n_reachable);
    }
    qsort(usable, n, sizeof *usable, compare_slots_backends);
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        note_bucket_state(br, svc, be,
                          find_usable(usable, n, be->bucket_id) != NULL);
    }

    uint32_t slots[DSR_SLOTS];
    ovs_be32 slot_ips[DSR_SLOTS];
    slots_effective(svc->slots, usable, n, slots);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        const struct slots_backend *u = find_usable(usable, n, slots[s]);
        slot_ips[s] = u ? htonl(u->key) : 0;
    }
    if (svc->mode != DSR_MODE_L2) {
        tunnel_note_service(&br->tunnels, svc, svc->id);
    }
    struct dsr_owner *owner = pipeline_service(svc, reachable, n_reachable,
                                               slot_ips);
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
    free(usable);
    free(reachable);
}

static void
add_vip(struct lb_bridge *br, const struct dsr_service *svc)
{
    struct lb_vip *vip = find_vip(br, svc->vip);

    if (!vip) {
        vip = xzalloc(sizeof *vip);
        vip->ip = svc->vip;
        hmap_insert(&br->vips, &vip->node,
                    hash_int((OVS_FORCE uint32_t) vip->ip, 0));
    }
    /* All services of a VIP share its MAC (config.c checks), so a new MAC
     * means the last service of the VIP is being replaced. */
    if (!vip->refcount || !eth_addr_equals(vip->mac, svc->mac)) {
        vip->mac = svc->mac;
        vip->announce = true;
        br->any_to_announce = true;

        struct dsr_owner *owner = pipeline_vip(vip->ip, vip->mac);
        ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
        dsr_owner_unref(owner);
    }
    vip->refcount++;
}

static void
add_service(struct lb_bridge *br, const struct dsr_service *svc)
{
    add_vip(br, svc);
    for (size_t i = 0; i < svc->n_backends; i++) {
        ovs_be32 ip = svc->backends[i].ip;
        struct lb_ip_users *users = find_ip_users(br, ip);

        if (!users) {
            users = xmalloc(sizeof *users);
            users->ip = ip;
            hmapx_init(&users->services);
            hmap_insert(&br->ip_users, &users->node,
                        hash_int((OVS_FORCE uint32_t) ip, 0));
        }
        hmapx_add(&users->services, CONST_CAST(struct dsr_service *, svc));
        if (svc->mode == DSR_MODE_L2) {
            neighbor_ref(&br->neighbors, ip);
        }
    }
    program_service(br->lb, br, svc);
}

static void
release_location(struct lb_bridge *br, struct eth_addr mac)
{
    struct lb_location *loc = find_location(br, mac);

    if (loc && !--loc->refcount) {
        ofctrl_set_owner(br->ofctrl,
                         dsr_cookie(DSR_COOKIE_BACKEND,
                                    pipeline_mac_to_id(mac)), NULL);
        hmap_remove(&br->locations, &loc->node);
        free(loc);
    }
}

static void
release_vip(struct lb_bridge *br, ovs_be32 ip)
{
    struct lb_vip *vip = find_vip(br, ip);

    if (vip && !--vip->refcount) {
        ofctrl_set_owner(br->ofctrl, dsr_cookie(DSR_COOKIE_VIP, ntohl(ip)),
                         NULL);
        hmap_remove(&br->vips, &vip->node);
        free(vip);
    }
}

/* Drops what 'svc' holds (VIP, neighbors, index entries) but not its
 * flows: the caller removes or replaces those. */
static void
release_service(struct lb_bridge *br, const struct dsr_service *svc)
{
    hmapx_find_and_delete(&br->dirty_services, svc);
    release_vip(br, svc->vip);
    for (size_t i = 0; i < svc->n_backends; i++) {
        ovs_be32 ip = svc->backends[i].ip;
        struct lb_ip_users *users = find_ip_users(br, ip);
        const struct neighbor *nb = neighbor_find(&br->neighbors, ip);

        if (users) {
            hmapx_find_and_delete(&users->services, svc);
            if (hmapx_is_empty(&users->services)) {
                hmap_remove(&br->ip_users, &users->node);
                hmapx_destroy(&users->services);
                free(users);
            }
        }
        if (svc->mode != DSR_MODE_L2) {
            continue;           /* Never resolved by ARP. */
        }
        if (nb && nb->refcount == 1 && nb->resolved) {
            release_location(br, nb->mac);
        }
        neighbor_unref(&br->neighbors, ip);
    }
}

/* Moves the location flows of 'nb' from where it was ('old_mac', if
 * 'was_resolved') to where it is now. */
static void
update_location(struct lb_bridge *br, bool was_resolved,
                struct eth_addr old_mac, const struct neighbor *nb)
{
    struct lb_location *loc;

    if (was_resolved) {
        release_location(br, old_mac);
    }

    loc = find_location(br, nb->mac);
    if (!loc) {
        loc = xzalloc(sizeof *loc);
        loc->mac = nb->mac;
        hmap_insert(&br->locations, &loc->node,
                    hash_uint64(eth_addr_to_uint64(nb->mac)));
    }
    loc->refcount++;
    loc->port = nb->port;

    struct dsr_owner *owner = pipeline_backend_location(nb->mac, nb->port);
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
}

/* A backend's health changed: recompute its service's group. */
static void
lb_health_changed(void *lb_, uint32_t service_id, ovs_be32 ip OVS_UNUSED,
                  bool up OVS_UNUSED)
{
    struct lb *lb = lb_;
    const struct dsr_service *svc = dsr_config_find_service_by_id(lb->cfg,
                                                                  service_id);
    struct lb_bridge *br = svc ? find_bridge(lb, svc->bridge) : NULL;

    if (br) {
        hmapx_add(&br->dirty_services, CONST_CAST(struct dsr_service *, svc));
        if (!br->decided_usec) {
            br->decided_usec = time_usec();
        }
    }
}

/* Sends a DSR-path probe: a SYN from the bridge's probe address to the VIP,
 * addressed to the backend's MAC and delivered by table 10, exactly as a
 * client's packet after its bucket. */
static bool
lb_dsr_send(void *lb_, uint32_t service_id, ovs_be32 ip, uint16_t port,
            uint16_t sport)
{
    struct lb *lb = lb_;
    const struct dsr_service *svc = dsr_config_find_service_by_id(lb->cfg,
                                                                  service_id);
    struct lb_bridge *br = svc ? find_bridge(lb, svc->bridge) : NULL;
    const struct dsr_backend *be = svc ? dsr_service_find_backend(svc, ip)
                                       : NULL;
    const struct neighbor *nb = br ? neighbor_find(&br->neighbors, ip)
                                   : NULL;
    struct dp_packet packet;

    /* DSR-path probes through tunnels are not done yet. */
    if (!be || !br || !br->cfg->probe_ip || svc->mode != DSR_MODE_L2
        || !ofctrl_is_connected(br->ofctrl)
        || (!be->has_mac && !(nb && nb->resolved))) {
        return false;
    }
    dp_packet_init(&packet, 128);
    probe_packet_tcp(&packet, svc->mac, be->has_mac ? be->mac : nb->mac,
                     br->cfg->probe_ip, svc->vip, sport, port,
                     random_uint32(), 0, TCP_SYN);
    ofctrl_send_packet_to_table(br->ofctrl, &packet, DSR_TABLE_DELIVER);
    dp_packet_uninit(&packet);
    return true;
}

/* A backend answered a DSR-path probe: tell the checker, and reset the
 * half-open connection on the backend. */
static void
handle_probe_reply(struct lb_bridge *br, const struct flow *flow,
                   const struct dp_packet *reply)
{
    uint16_t tcp_flags = ntohs(flow->tcp_flags);
    const struct tcp_header *tcp = dp_packet_l4(reply);

    if (!tcp || dp_packet_l4_size(reply) < sizeof *tcp) {
        return;
    }

    if (tcp_flags & TCP_RST) {
        health_dsr_reply(br->lb->health, ntohs(flow->tp_dst), false);
    } else if ((tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
        struct dp_packet packet;

        health_dsr_reply(br->lb->health, ntohs(flow->tp_dst), true);
        dp_packet_init(&packet, 128);
        probe_packet_tcp(&packet, flow->dl_dst, flow->dl_src,
                         flow->nw_dst, flow->nw_src, ntohs(flow->tp_dst),
                         ntohs(flow->tp_src),
                         ntohl(get_16aligned_be32(&tcp->tcp_ack)), 0,
                         TCP_RST);
        ofctrl_send_packet_to_table(br->ofctrl, &packet, DSR_TABLE_DELIVER);
        dp_packet_uninit(&packet);
    }
}

static void
lb_packet_in(void *br_, const struct flow *flow,
             const struct dp_packet *packet, ofp_port_t in_port)
{
    struct lb_bridge *br = br_;

    if (br->cfg->probe_ip && flow->dl_type == htons(ETH_TYPE_IP)
        && flow->nw_proto == IPPROTO_TCP && flow->nw_dst == br->cfg->probe_ip) {
        handle_probe_reply(br, flow, packet);
        return;
    }
    const struct neighbor *before = neighbor_find(&br->neighbors,
                                                  flow->nw_src);
    bool was_resolved = before && before->resolved;
    struct eth_addr old_mac = before ? before->mac : eth_addr_zero;
    bool changed;

    const struct neighbor *nb = neighbor_handle_arp(&br->neighbors, flow,
                                                    in_port, &changed);
    if (!nb || !changed) {
        return;
    }
    update_location(br, was_resolved, old_mac, nb);

    const struct lb_ip_users *users = find_ip_users(br, nb->ip);
    struct hmapx_node *node;
    if (users) {
        HMAPX_FOR_EACH (node, &users->services) {
            const struct dsr_service *svc = node->data;
            const struct dsr_backend *be = NULL;
            for (size_t i = 0; i < svc->n_backends; i++) {
                if (svc->backends[i].ip == nb->ip) {
                    be = &svc->backends[i];
                }
            }
            if (be && be->has_mac && !eth_addr_equals(be->mac, nb->mac)) {
                VLOG_WARN("service %s: backend "IP_FMT" is configured with "
                          "MAC "ETH_ADDR_FMT" but answers ARP from "
                          ETH_ADDR_FMT, svc->name, IP_ARGS(nb->ip),
                          ETH_ADDR_ARGS(be->mac), ETH_ADDR_ARGS(nb->mac));
            }
            hmapx_add(&br->dirty_services, node->data);
        }
    }
}

static struct lb_bridge *
create_bridge(const struct lb *lb, const struct dsr_bridge_config *cfg)
{
    struct lb_bridge *br = xzalloc(sizeof *br);

    br->lb = lb;
    br->cfg = cfg;
    br->ofctrl = ofctrl_create(cfg->name, cfg->target, lb_packet_in, br);
    br->conn_seqno = ofctrl_get_connection_seqno(br->ofctrl);
    neighbor_table_init(&br->neighbors, cfg->mac);
    hmap_init(&br->vips);
    hmap_init(&br->ip_users);
    hmap_init(&br->locations);
    hmapx_init(&br->dirty_services);
    hmap_init(&br->buckets);
    tunnel_state_init(&br->tunnels, cfg, !strncmp(cfg->target, "unix:", 5));

    struct dsr_owner *owner = pipeline_base(cfg->mac, cfg->probe_ip);
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
    return br;
}

static void
destroy_bridge(struct lb_bridge *br)
{
    struct lb_ip_users *users;
    struct lb_location *loc;
    struct lb_vip *vip;

    ofctrl_destroy(br->ofctrl);
    neighbor_table_destroy(&br->neighbors);
    HMAP_FOR_EACH_POP (vip, node, &br->vips) {
        free(vip);
    }
    hmap_destroy(&br->vips);
    HMAP_FOR_EACH_POP (users, node, &br->ip_users) {
        hmapx_destroy(&users->services);
        free(users);
    }
    hmap_destroy(&br->ip_users);
    HMAP_FOR_EACH_POP (loc, node, &br->locations) {
        free(loc);
    }
    hmap_destroy(&br->locations);
    hmapx_destroy(&br->dirty_services);
    struct lb_bucket_state *b;
    HMAP_FOR_EACH_POP (b, node, &br->buckets) {
        free(b);
    }
    hmap_destroy(&br->buckets);
    tunnel_state_destroy(&br->tunnels);
    free(br->waits);
    free(br);
}

/* Programs every service of 'cfg', which must outlive the lb; later
 * changes to it must be reported with lb_add_service() and friends. */
struct lb *
lb_create(const struct dsr_config *cfg)
{
    struct lb *lb = xzalloc(sizeof *lb);
    struct dsr_service *svc;

    lb->cfg = cfg;
    hmap_init(&lb->bridges);
    lb->health = health_create(lb_health_changed, lb_dsr_send, lb);
    lb->reactions = xcalloc(LB_REACTION_SAMPLES, sizeof *lb->reactions);
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        struct lb_bridge *br = create_bridge(lb, &cfg->bridges[i]);
        hmap_insert(&lb->bridges, &br->node,
                    hash_string(cfg->bridges[i].name, 0));
    }
    HMAP_FOR_EACH (svc, name_node, &cfg->services) {
        lb_add_service(lb, svc);
    }
    return lb;
}

/* Caps the health probes running at once (what the process's descriptor
 * budget allows of limits.max_probes_in_flight). */
void
lb_set_max_probes_in_flight(struct lb *lb, unsigned int max)
{
    health_set_max_in_flight(lb->health, max);
}

/* Lets the lb find the tunnel ports of gre and ipip services in OVSDB
 * ('dpm' may be null, and must outlive the lb). */
void
lb_set_datapaths(struct lb *lb, const struct datapath_monitor *dpm)
{
    lb->datapaths = dpm;
}

void
lb_add_service(struct lb *lb, const struct dsr_service *svc)
{
    health_set_service(lb->health, svc);
    add_service(find_bridge(lb, svc->bridge), svc);
}

void
lb_remove_service(struct lb *lb, const struct dsr_service *svc)
{
    struct lb_bridge *br = find_bridge(lb, svc->bridge);

    ofctrl_set_owner(br->ofctrl, dsr_cookie(DSR_COOKIE_SERVICE, svc->id),
                     NULL);
    health_remove_service(lb->health, svc);
    tunnel_note_service(&br->tunnels, NULL, svc->id);
    forget_bucket_states(br, svc);
    release_service(br, svc);
}

/* 'new' takes the place of 'old' (same id).  References are taken before
 * they are dropped, so backends both share keep their resolved MACs and
 * the switch sees only the difference. */
void
lb_replace_service(struct lb *lb, const struct dsr_service *old,
                   const struct dsr_service *new)
{
    if (strcmp(old->bridge, new->bridge)) {
        lb_remove_service(lb, old);
        lb_add_service(lb, new);
    } else {
        struct lb_bridge *br = find_bridge(lb, new->bridge);
        health_set_service(lb->health, new);
        add_service(br, new);
        for (size_t i = 0; i < old->n_backends; i++) {
            const struct dsr_backend *be = &old->backends[i];
            struct lb_bucket_state *b;
            bool reused = false;
            for (size_t j = 0; j < new->n_backends; j++) {
                reused |= new->backends[j].bucket_id == be->bucket_id;
            }
            if (!reused
                && (b = find_bucket_state(br, old->id, be->bucket_id))) {
                hmap_remove(&br->buckets, &b->node);
                free(b);
            }
        }
        release_service(br, old);
    }
}

void
lb_destroy(struct lb *lb)
{
    struct lb_bridge *br;

    if (!lb) {
        return;
    }
    health_destroy(lb->health);
    free(lb->reactions);
    HMAP_FOR_EACH_POP (br, node, &lb->bridges) {
        destroy_bridge(br);
    }
    hmap_destroy(&lb->bridges);
    free(lb);
}

/* Gratuitous ARP for a VIP, so that neighbors learn the service MAC at
 * once instead of waiting for their cache entries to expire. */
static void
announce_vip(struct lb_bridge *br, const struct lb_vip *vip)
{
    struct dp_packet packet;

    dp_packet_init(&packet, 0);
    compose_arp(&packet, ARP_OP_REQUEST, vip->mac, eth_addr_zero, true,
                vip->ip, vip->ip);
    ofctrl_send_packet(br->ofctrl, &packet, OFPP_FLOOD);
    dp_packet_uninit(&packet);
    VLOG_INFO("%s: announced VIP "IP_FMT" at "ETH_ADDR_FMT, br->cfg->name,
              IP_ARGS(vip->ip), ETH_ADDR_ARGS(vip->mac));
}

/* Records the reaction time of every health decision OVS has committed:
 * from the decision to the bundle's commit reply. */
static void
record_reactions(struct lb_bridge *br)
{
    struct lb *lb = CONST_CAST(struct lb *, br->lb);
    size_t kept = 0;

    for (size_t i = 0; i < br->n_waits; i++) {
        const char *error;
        struct lb_change change = {
            .bridge = br->cfg->name,
            .seqno = br->waits[i].seqno,
        };
        if (lb_get_change_state(lb, &change, &error)
            == OFCTRL_CHANGE_PENDING) {
            br->waits[kept++] = br->waits[i];
        } else {
            lb->reactions[lb->n_reactions++ % LB_REACTION_SAMPLES]
                = time_usec() - br->waits[i].decided_usec;
        }
    }
    br->n_waits = kept;
}

static int
compare_llongs(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* "dsr/health-reaction": how long health decisions took to reach OVS. */
void
lb_format_reactions(const struct lb *lb, struct ds *s)
{
    size_t n = MIN(lb->n_reactions, LB_REACTION_SAMPLES);

    if (!n) {
        ds_put_cstr(s, "no health decisions yet\n");
        return;
    }
    long long int *sorted = xmemdup(lb->reactions, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_llongs);
    ds_put_format(s, "%"PRIuSIZE" decisions: median %.3f ms, p99 %.3f ms, "
                  "max %.3f ms (decision to OVS's commit reply)\n", n,
                  sorted[n / 2] / 1000.0,
                  sorted[MIN(n - 1, n * 99 / 100)] / 1000.0,
                  sorted[n - 1] / 1000.0);
    free(sorted);
}

/* The bridge's tunnel ports or routes changed (or may have): its gre and
 * ipip services' flows are recomputed. */
static void
mark_tunnel_services_dirty(struct lb_bridge *br)
{
    const struct dsr_service *svc;

    HMAP_FOR_EACH (svc, name_node, &br->lb->cfg->services) {
        if (svc->mode != DSR_MODE_L2 && !strcmp(svc->bridge, br->cfg->name)) {
            hmapx_add(&br->dirty_services, CONST_CAST(struct dsr_service *,
                                                      svc));
        }
    }
}

static void
run_bridge(struct lb_bridge *br)
{
    struct hmapx_node *node;
    struct lb_vip *vip;

    ofctrl_set_group_limit(br->ofctrl, br->lb->cfg->next_service_id - 1);
    ofctrl_run(br->ofctrl);

    unsigned int seqno = ofctrl_get_connection_seqno(br->ofctrl);
    if (seqno != br->conn_seqno && ofctrl_is_connected(br->ofctrl)) {
        br->conn_seqno = seqno;
        if (!strncmp(br->cfg->target, "unix:", 5)) {
            /* A local switch: its ovs-vswitchd is ours to reach. */
            br->relax_at = br->relax_since = time_msec();
        }
        neighbor_probe_all_soon(&br->neighbors);
        tunnel_forget_routes(&br->tunnels);
        br->tunnels.ipip_dirty = true;
        mark_tunnel_services_dirty(br);
        HMAP_FOR_EACH (vip, node, &br->vips) {
            vip->announce = true;
        }
        br->any_to_announce = true;
        /* A restarted dsrd knows no MAC yet: reconciling now would empty
         * the groups the switch is forwarding with.  Wait for the ARP
         * answers (milliseconds), at most HOLD_MS. */
        br->hold_until = time_msec() + HOLD_MS;
        ofctrl_set_hold(br->ofctrl, true);
    }
    if (br->relax_at && time_msec() >= br->relax_at) {
        /* A restarted ovs-vswitchd takes OpenFlow connections before its
         * control socket exists: try again for a while before warning. */
        long long int now = time_msec();
        br->relax_at = (vswitchd_relax_tcp_conntrack(now - br->relax_since
                                                     >= 10000)
                        ? 0 : now + 500);
    }
    neighbor_run(&br->neighbors, br->ofctrl);
    if (br->hold_until
        && (neighbor_table_settled(&br->neighbors)
            || time_msec() >= br->hold_until)) {
        br->hold_until = 0;
        ofctrl_set_hold(br->ofctrl, false);
    }

    /* Both run, whatever the first says. */
    bool ports_changed = tunnel_state_refresh(&br->tunnels,
                                              br->lb->datapaths);
    bool ipip_changed = tunnel_sync_ipip(&br->tunnels, br->lb->cfg);
    if (ports_changed || ipip_changed) {
        mark_tunnel_services_dirty(br);
    }
    tunnel_run(&br->tunnels, br->lb->datapaths);
    HMAPX_FOR_EACH (node, &br->dirty_services) {
        program_service(br->lb, br, node->data);
    }
    hmapx_clear(&br->dirty_services);
    if (br->decided_usec) {
        if (br->n_waits == br->allocated_waits) {
            br->waits = x2nrealloc(br->waits, &br->allocated_waits,
                                   sizeof *br->waits);
        }
        br->waits[br->n_waits].decided_usec = br->decided_usec;
        br->waits[br->n_waits].seqno = ofctrl_get_change_seqno(br->ofctrl);
        br->n_waits++;
        br->decided_usec = 0;
    }
    ofctrl_run(br->ofctrl);
    record_reactions(br);

    /* Announce only once the ARP responder is on the switch. */
    if (br->any_to_announce && ofctrl_is_synced(br->ofctrl)) {
        /* Not a walk of every VIP on every pass: 10,000 of them made
         * that most of dsrd's work. */
        br->any_to_announce = false;
        HMAP_FOR_EACH (vip, node, &br->vips) {
            if (vip->announce) {
                vip->announce = false;
                announce_vip(br, vip);
            }
        }
    }
}

/* Health probes start once every bridge has its pipeline: before that the
 * backends may not even be reachable through it (a fail_mode=secure
 * bridge without flows drops everything), and a probe would fail for
 * reasons that say nothing about the backend. */
static bool
ready_for_probes(struct lb *lb)
{
    struct lb_bridge *br;

    if (!lb->probing) {
        lb->probing = true;
        HMAP_FOR_EACH (br, node, &lb->bridges) {
            lb->probing = lb->probing && ofctrl_is_synced(br->ofctrl);
        }
        if (lb->probing) {
            health_reschedule_all(lb->health);
        }
    }
    return lb->probing;
}

void
lb_run(struct lb *lb)
{
    struct lb_bridge *br;

    if (ready_for_probes(lb)) {
        health_run(lb->health);
    }
    HMAP_FOR_EACH (br, node, &lb->bridges) {
        run_bridge(br);
    }
}

void
lb_wait(struct lb *lb)
{
    struct lb_bridge *br;

    if (lb->probing) {
        health_wait(lb->health);
    }
    HMAP_FOR_EACH (br, node, &lb->bridges) {
        ofctrl_wait(br->ofctrl);
        neighbor_wait(&br->neighbors);
        tunnel_wait(&br->tunnels);
        if (br->relax_at) {
            poll_timer_wait_until(br->relax_at);
        }
        if (br->hold_until) {
            poll_timer_wait_until(br->hold_until);
        }
    }
}

static int
compare_services(const void *a_, const void *b_)
{
    const struct dsr_service *const *a = a_;
    const struct dsr_service *const *b = b_;

    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

static void
format_backend(const struct lb_bridge *br, const struct dsr_service *svc,
               const struct dsr_backend *be, struct ds *s)
{
    const struct neighbor *nb = neighbor_find(&br->neighbors, be->ip);
    bool known = be->has_mac || (nb && nb->resolved);
    uint32_t port;
    struct eth_addr mac;

    ds_put_format(s, "    backend "IP_FMT": ", IP_ARGS(be->ip));
    if (svc->mode != DSR_MODE_L2) {
        known = tunnel_delivery(&br->tunnels, svc, &port, &mac);
        ds_put_format(s, "%s", dsr_mode_to_string(svc->mode));
        if (known) {
            ds_put_format(s, " port %"PRIu32, port);
        } else {
            ds_put_cstr(s, " port missing");
        }
    } else if (be->has_mac) {
        ds_put_format(s, "mac "ETH_ADDR_FMT" (configured)",
                      ETH_ADDR_ARGS(be->mac));
    } else if (known) {
        ds_put_format(s, "mac "ETH_ADDR_FMT" (arp)", ETH_ADDR_ARGS(nb->mac));
    } else {
        ds_put_cstr(s, "mac unresolved");
    }
    if (nb && nb->resolved && svc->mode == DSR_MODE_L2) {
        ds_put_format(s, ", port %"PRIu32, ofp_to_u16(nb->port));
    }
    ds_put_format(s, ", weight %"PRIu16", %s, bucket %"PRIu32"%s\n",
                  be->weight, dsr_backend_state_to_string(be->state),
                  be->bucket_id,
                  be->state == DSR_BACKEND_ACTIVE && known
                  ? "" : " (not in group)");
}

/* The "dsr/show" text: bridges, services, backends, MACs, bucket ids. */
void
lb_format_show(const struct lb *lb, struct ds *s)
{
    const struct dsr_service **services;
    const struct dsr_service *svc;
    const struct lb_bridge *br;
    size_t n = 0;

    services = xmalloc(hmap_count(&lb->cfg->services) * sizeof *services);
    HMAP_FOR_EACH (svc, name_node, &lb->cfg->services) {
        services[n++] = svc;
    }
    qsort(services, n, sizeof *services, compare_services);

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        ds_put_cstr(s, "bridge ");
        ofctrl_format_status(br->ofctrl, s);
        for (size_t i = 0; i < n; i++) {
            svc = services[i];
            if (strcmp(svc->bridge, br->cfg->name)) {
                continue;
            }
            char port[8];
            snprintf(port, sizeof port, "%"PRIu16, svc->port);
            ds_put_format(s, "  service %s: "IP_FMT" %s port %s, %s, "
                          "hash %s, mac "ETH_ADDR_FMT", group %"PRIu32
                          ", cookie %#"PRIx64"\n", svc->name,
                          IP_ARGS(svc->vip),
                          dsr_protocol_to_string(svc->protocol),
                          svc->port ? port : "*",
                          dsr_mode_to_string(svc->mode),
                          dsr_hash_to_string(svc->hash),
                          ETH_ADDR_ARGS(svc->mac), svc->id,
                          dsr_cookie(DSR_COOKIE_SERVICE, svc->id));
            for (size_t j = 0; j < svc->n_backends; j++) {
                format_backend(br, svc, &svc->backends[j], s);
            }
            const char *error = tunnel_service_error(&br->tunnels, svc);
            if (error) {
                ds_put_format(s, "    error: %s\n", error);
            }
        }
    }
    free(services);
}

/* Fills 'changes' with each bridge's latest change seqno; returns how
 * many. */
size_t
lb_get_changes(const struct lb *lb, struct lb_change *changes, size_t max)
{
    const struct lb_bridge *br;
    size_t n = 0;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        if (n < max) {
            changes[n].bridge = br->cfg->name;
            changes[n].seqno = ofctrl_get_change_seqno(br->ofctrl);
            n++;
        }
    }
    return n;
}

int
lb_get_change_state(const struct lb *lb, const struct lb_change *change,
                    const char **error)
{
    const struct lb_bridge *br = find_bridge(lb, change->bridge);

    *error = NULL;
    return br ? ofctrl_get_change_state(br->ofctrl, change->seqno, error)
              : OFCTRL_CHANGE_DONE;
}

void
lb_get_backend_info(const struct lb *lb, const struct dsr_service *svc,
                    const struct dsr_backend *be,
                    struct lb_backend_info *info)
{
    const struct lb_bridge *br = find_bridge(lb, svc->bridge);
    const struct neighbor *nb = br ? neighbor_find(&br->neighbors, be->ip)
                                   : NULL;

    memset(info, 0, sizeof *info);
    info->resolved = nb && nb->resolved;
    info->mac_known = be->has_mac || info->resolved;
    info->mac = be->has_mac ? be->mac : info->resolved ? nb->mac
                                                       : eth_addr_zero;
    info->port = info->resolved ? ofp_to_u16(nb->port) : 0;
    /* What was last programmed: state, MAC, health and on_all_down. */
    const struct lb_bucket_state *b = br ? find_bucket_state(br, svc->id,
                                                             be->bucket_id)
                                         : NULL;
    info->in_group = b && b->in_group;
    info->since = b ? b->since : 0;
}

bool
lb_bridge_status(const struct lb *lb, const char *bridge, bool *connected,
                 bool *synced)
{
    const struct lb_bridge *br = find_bridge(lb, bridge);

    *connected = br && ofctrl_is_connected(br->ofctrl);
    *synced = br && ofctrl_is_synced(br->ofctrl);
    return br != NULL;
}

const char *
lb_service_rejection(const struct lb *lb, const struct dsr_service *svc)
{
    const struct lb_bridge *br = find_bridge(lb, svc->bridge);
    const char *error = br ? tunnel_service_error(&br->tunnels, svc) : NULL;

    return (error ? error
            : br ? ofctrl_get_rejection(br->ofctrl,
                                        dsr_cookie(DSR_COOKIE_SERVICE,
                                                   svc->id))
            : NULL);
}

/* The token is the sum of the bridges' round numbers: rounds only grow,
 * so "done" can be checked bridge by bridge against the rounds asked. */
unsigned long long
lb_request_stats(struct lb *lb)
{
    struct lb_bridge *br;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        br->stats_round = ofctrl_request_stats(br->ofctrl);
    }
    return ++lb->stats_requests;
}

bool
lb_stats_done(const struct lb *lb, unsigned long long token OVS_UNUSED)
{
    const struct lb_bridge *br;

    HMAP_FOR_EACH (br, node, &lb->bridges) {
        if (!ofctrl_stats_done(br->ofctrl, br->stats_round)) {
            return false;
        }
    }
    return true;
}

/* Packets and bytes that matched the service's classifier flows. */
void
lb_get_service_counters(const struct lb *lb, const struct dsr_service *svc,
                        struct ofctrl_counters *c)
{
    const struct lb_bridge *br = find_bridge(lb, svc->bridge);

    if (!br || !ofctrl_get_cookie_counters(
            br->ofctrl, dsr_cookie(DSR_COOKIE_SERVICE, svc->id), c)) {
        c->packets = c->bytes = 0;
    }
}

/* Packets and bytes delivered to the backend; false if it has no flow in
 * the last statistics. */
bool
lb_get_backend_counters(const struct lb *lb, const struct dsr_service *svc,
                        const struct dsr_backend *be,
                        struct ofctrl_counters *c)
{
    const struct lb_bridge *br = find_bridge(lb, svc->bridge);

    c->packets = c->bytes = 0;
    return br && ofctrl_get_backend_counters(br->ofctrl, svc->id,
                                             ntohl(be->ip), c);
}

void
lb_get_health(const struct lb *lb, const struct dsr_service *svc,
              const struct dsr_backend *be, struct health_status *status)
{
    health_get_status(lb->health, svc->id, be->ip, status);
}

/* The number of backends that could take new connections now: the
 * "has healthy backends" signal, for withdrawing a VIP. */
size_t
lb_count_healthy(const struct lb *lb, const struct dsr_service *svc)
{
    size_t n = 0;

    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        n += (be->state == DSR_BACKEND_ACTIVE
              && !health_is_down(lb->health, svc->id, be->ip));
    }
    return n;
}
