/* Services -> per-bridge owners of flows, kept current as neighbors
 * resolve.  Work is proportional to what changed: an ARP reply recomputes
 * only the services that use that address.  Its siblings: lb-slots.c
 * (which backends get which slots), lb-probe.c, lb-reactions.c, lb-show.c
 * and lb-status.c (lb-private.h). */
#include <config.h>
#include "controller/lb.h"

#include "controller/early-sync.h"
#include "controller/health.h"
#include "controller/lb-private.h"
#include "controller/lb-slots.h"
#include "controller/mld.h"
#include "controller/model.h"
#include "controller/neighbor.h"
#include "controller/ofctrl.h"
#include "controller/tunnel.h"
#include "controller/vswitchd.h"
#include "dp-packet.h"
#include "flow.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "hash.h"
#include "hmapx.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(lb);


struct lb_ip_users *
lb_find_ip_users(const struct lb_bridge *br, const struct in6_addr *ip)
{
    struct lb_ip_users *users;

    HMAP_FOR_EACH_WITH_HASH (users, node, dsr_ip_hash(ip, 0),
                             &br->ip_users) {
        if (ipv6_addr_equals(&users->ip, ip)) {
            return users;
        }
    }
    return NULL;
}

static void
note_backend_state(struct lb_bridge *br, const struct dsr_service *svc,
                  const struct dsr_backend *be, bool in_slots)
{
    struct lb_backend_state *b = lb_find_backend_state(br, svc->id,
                                                     be->id);
    if (!b) {
        b = xmalloc(sizeof *b);
        b->service_id = svc->id;
        b->backend_id = be->id;
        b->in_slots = !in_slots;
        hmap_insert(&br->backend_states, &b->node,
                    hash_2words(svc->id, be->id));
    }
    if (b->in_slots != in_slots) {
        b->in_slots = in_slots;
        b->since = time_wall_msec();
    }
}

static void
forget_backend_states(struct lb_bridge *br, const struct dsr_service *svc)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        struct lb_backend_state *b = lb_find_backend_state(
            br, svc->id, svc->backends[i].id);
        if (b) {
            hmap_remove(&br->backend_states, &b->node);
            free(b);
        }
    }
}


/* The node's own MAC, to which routers send the VIPs announced by BGP,
 * or NULL if the VIPs are announced by ARP. */
static const struct eth_addr *
routed_to(const struct lb_bridge *br)
{
    return (br->lb->cfg->announce.mode == DSR_ANNOUNCE_BGP
            ? &br->cfg->mac : NULL);
}

/* What the pipeline needs of 'svc' (flows/pipeline.h). */
static void
service_to_pipeline(const struct lb_bridge *br, const struct dsr_service *svc,
                    struct pipeline_service *ps)
{
    memset(ps, 0, sizeof *ps);
    ps->id = svc->id;
    ps->vip = svc->vip;
    ps->tcp = (svc->protocol & DSR_PROTO_TCP) != 0;
    ps->udp = (svc->protocol & DSR_PROTO_UDP) != 0;
    ps->port = svc->port;
    ps->mode = lb_pipeline_mode(svc->mode);
    ps->hash = (svc->hash == DSR_HASH_SOURCE_IP ? DSR_SLOT_HASH_IP_SRC
                : svc->hash == DSR_HASH_5TUPLE_CROSS_NODE
                ? DSR_SLOT_HASH_5TUPLE : DSR_SLOT_HASH_DP);
    ps->mac = svc->mac;
    ps->pin_connections = svc->pin_connections;
    /* The kernel's dp_hash is the skb's hash, which a local sender's
     * socket sets and changes at each retransmission timeout: a
     * retransmitted SYN, unpinned there, would land in another slot. */
    ps->sym_l4 = br->tunnels.kind == DATAPATH_KERNEL;
    if (routed_to(br)) {
        ps->routed = true;
        ps->routed_to = *routed_to(br);
    }
}

/* Recomputes the service's flows and group from its table and its
 * backends' states, MACs and health: O(backends log backends + slots). */
static void
program_service(const struct lb *lb, struct lb_bridge *br,
                const struct dsr_service *svc)
{
    struct lb_slots slots;

    tunnel_check_routes(&br->tunnels, svc);
    lb_bridge_slots(lb, br, svc, &slots);
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        note_backend_state(br, svc, be,
                          lb_slots_is_usable(&slots, be->id));
    }
    if (svc->mode != DSR_MODE_L2) {
        tunnel_note_service(&br->tunnels, svc, svc->id);
    }

    struct pipeline_service ps;
    service_to_pipeline(br, svc, &ps);
    struct dsr_owner *owner = pipeline_service(&ps, slots.reachable,
                                               slots.n_reachable,
                                               slots.slot_ips, slots.n_slots);
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
    lb_slots_destroy(&slots);
}

/* The VIP's flows, as the bridge's datapath can have them. */
static void
set_vip_owner(struct lb_bridge *br, struct lb_vip *vip)
{
    const struct lb_vip *clash = lb_vip_clash(br, vip);
    vip->programmed = !clash || !clash->programmed;
    if (!vip->programmed) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);
        char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
        VLOG_ERR_RL(&rl, "%s: VIP %s not programmed: its flows' cookie is "
                    "VIP %s's (a 1 in 10^14 clash of their hashes); give "
                    "it another address", br->cfg->name,
                    dsr_ip_to_string(&vip->ip, a),
                    dsr_ip_to_string(&clash->ip, b));
        return;
    }
    struct dsr_owner *owner = pipeline_vip(&vip->ip, vip->mac, routed_to(br),
                                           lb_nd_in_flows(br));
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
}

static void
add_vip(struct lb_bridge *br, const struct dsr_service *svc)
{
    struct lb_vip *vip = lb_find_vip(br, &svc->vip);

    if (!vip) {
        vip = xzalloc(sizeof *vip);
        vip->ip = svc->vip;
        hmap_insert(&br->vips, &vip->node, lb_vip_hash(&vip->ip));
    }
    /* All services of a VIP share its MAC (config.c checks), so a new MAC
     * means the last service of the VIP is being replaced. */
    if (!vip->refcount || !eth_addr_equals(vip->mac, svc->mac)) {
        vip->mac = svc->mac;
        /* A routed VIP is announced by BGP, not by gratuitous ARP. */
        vip->announce = !routed_to(br);
        br->any_to_announce |= vip->announce;
        set_vip_owner(br, vip);
    }
    vip->refcount++;
}

static void
add_service(struct lb_bridge *br, const struct dsr_service *svc)
{
    add_vip(br, svc);
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct in6_addr *ip = &svc->backends[i].ip;
        struct lb_ip_users *users = lb_find_ip_users(br, ip);

        if (!users) {
            users = xmalloc(sizeof *users);
            users->ip = *ip;
            hmapx_init(&users->services);
            hmap_insert(&br->ip_users, &users->node, dsr_ip_hash(ip, 0));
        }
        hmapx_add(&users->services, CONST_CAST(struct dsr_service *, svc));
        if (svc->mode == DSR_MODE_L2) {
            neighbor_ref(&br->neighbors, ip);
        }
    }
    /* A service added while the hold waits on the dump: a backend new to
     * the switch is worth waiting for, as in lb_adopt_neighbors(). */
    lb_adopt_service_neighbors(br, svc, &br->awaiting);
    program_service(br->lb, br, svc);
}

static void
release_vip(struct lb_bridge *br, const struct in6_addr *ip)
{
    struct lb_vip *vip = lb_find_vip(br, ip);

    if (vip && !--vip->refcount) {
        struct lb_vip *clash = CONST_CAST(struct lb_vip *,
                                          lb_vip_clash(br, vip));
        bool programmed = vip->programmed;
        hmap_remove(&br->vips, &vip->node);
        free(vip);
        if (programmed) {
            ofctrl_set_owner(br->ofctrl,
                             dsr_cookie(DSR_COOKIE_VIP, pipeline_vip_id(ip)),
                             NULL);
            if (clash) {
                set_vip_owner(br, clash);   /* Its turn. */
            }
        }
    }
}

/* Drops what 'svc' holds (VIP, neighbors, index entries) but not its
 * flows: the caller removes or replaces those. */
static void
release_service(struct lb_bridge *br, const struct dsr_service *svc)
{
    hmapx_find_and_delete(&br->dirty_services, svc);
    release_vip(br, &svc->vip);
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct in6_addr *ip = &svc->backends[i].ip;
        struct lb_ip_users *users = lb_find_ip_users(br, ip);
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
            lb_location_release(br, nb->mac);
        }
        neighbor_unref(&br->neighbors, ip);
    }
}

/* A backend's health changed: recompute its service's group. */
static void
lb_health_changed(void *lb_, uint32_t service_id,
                  const struct in6_addr *ip, bool up)
{
    struct lb *lb = lb_;
    const struct dsr_service *svc = dsr_config_find_service_by_id(lb->cfg,
                                                                  service_id);
    struct lb_bridge *br = svc ? lb_find_bridge(lb, svc->bridge) : NULL;

    lb_note_health(lb, service_id, ip, up);
    if (br) {
        hmapx_add(&br->dirty_services, CONST_CAST(struct dsr_service *, svc));
        if (!br->decided_usec) {
            br->decided_usec = time_usec();
        }
    }
}


static void
lb_packet_in(void *br_, const struct flow *flow,
             const struct dp_packet *packet, ofp_port_t in_port)
{
    struct lb_bridge *br = br_;

    if (lb_probe_packet_in(br, flow, packet)) {
        return;
    }
    if (lb_vip_answer_ns(br, flow, in_port)
        || lb_vip_answer_mld_query(br, flow, routed_to(br) != NULL)) {
        return;
    }
    struct neighbor_change change;
    const struct neighbor *nb = neighbor_handle_reply(&br->neighbors, flow,
                                                      in_port, &change);
    if (!nb || !change.changed) {
        return;
    }
    lb_neighbor_learned(br, nb, &change);
}

/* The bridge's own flows (pipeline_base()), as its datapath wants them. */
static void
set_base_owner(struct lb_bridge *br)
{
    struct dsr_owner *owner = pipeline_base(br->cfg->mac, br->cfg->probe_ip,
                                            &br->cfg->probe_ip6, br->pin_syns,
                                            lb_nd_in_flows(br));
    ofctrl_set_owner(br->ofctrl, owner->cookie, owner);
    dsr_owner_unref(owner);
}

/* Uses the connection 'early' opened to the bridge, if any. */
static struct lb_bridge *
create_bridge(const struct lb *lb, const struct dsr_bridge_config *cfg,
              struct early_sync *early)
{
    struct lb_bridge *br = xzalloc(sizeof *br);

    br->lb = lb;
    br->cfg = cfg;
    br->ofctrl = early_sync_take(early, cfg->name, cfg->target);
    if (br->ofctrl) {
        ofctrl_set_packet_in_cb(br->ofctrl, lb_packet_in, br);
    } else {
        br->ofctrl = ofctrl_create(cfg->name, cfg->target, lb_packet_in, br);
    }
    /* Never a connection's seqno: run_connection() sees the first
     * connection, whether it is already up or not. */
    br->conn_seqno = UINT_MAX;
    br->adopted_seqno = UINT_MAX;
    neighbor_table_init(&br->neighbors, cfg->mac);
    hmap_init(&br->vips);
    hmap_init(&br->ip_users);
    hmap_init(&br->locations);
    hmapx_init(&br->dirty_services);
    hmap_init(&br->backend_states);
    bool local = !strncmp(cfg->target, "unix:", 5);
    tunnel_state_init(&br->tunnels, cfg, local);
    /* A local switch: its ovs-vswitchd is ours to reach. */
    br->relax = local ? vswitchd_relax_create(cfg->ct_zone_limit) : NULL;

    br->pin_syns = true;
    set_base_owner(br);
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
    struct lb_backend_state *b;
    HMAP_FOR_EACH_POP (b, node, &br->backend_states) {
        free(b);
    }
    hmap_destroy(&br->backend_states);
    tunnel_state_destroy(&br->tunnels);
    vswitchd_relax_destroy(br->relax);
    free(br->waits);
    free(br);
}

/* Programs every service of 'cfg', which must outlive the lb; later
 * changes to it must be reported with lb_add_service() and friends.
 * Takes the connections of 'early' (may be NULL) that fit. */
struct lb *
lb_create(const struct dsr_config *cfg, struct early_sync *early)
{
    struct lb *lb = xzalloc(sizeof *lb);
    struct dsr_service *svc;

    lb->cfg = cfg;
    hmap_init(&lb->bridges);
    hmap_init(&lb->health_down);
    lb->health = health_create(lb_health_changed, lb_probe_send, lb);
    lb->reactions = xcalloc(LB_REACTION_SAMPLES, sizeof *lb->reactions);
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        struct lb_bridge *br = create_bridge(lb, &cfg->bridges[i], early);
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
    add_service(lb_find_bridge(lb, svc->bridge), svc);
}

void
lb_remove_service(struct lb *lb, const struct dsr_service *svc)
{
    struct lb_bridge *br = lb_find_bridge(lb, svc->bridge);

    ofctrl_set_owner(br->ofctrl, dsr_cookie(DSR_COOKIE_SERVICE, svc->id),
                     NULL);
    health_remove_service(lb->health, svc);
    lb_forget_health(lb, svc->id);
    tunnel_note_service(&br->tunnels, NULL, svc->id);
    forget_backend_states(br, svc);
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
        struct lb_bridge *br = lb_find_bridge(lb, new->bridge);
        health_set_service(lb->health, new);
        lb->health_seqno++;     /* A backend seen down may be gone. */
        add_service(br, new);
        for (size_t i = 0; i < old->n_backends; i++) {
            const struct dsr_backend *be = &old->backends[i];
            struct lb_backend_state *b;
            bool reused = false;
            for (size_t j = 0; j < new->n_backends; j++) {
                reused |= new->backends[j].id == be->id;
            }
            if (!reused
                && (b = lb_find_backend_state(br, old->id, be->id))) {
                hmap_remove(&br->backend_states, &b->node);
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
    lb_forget_health(lb, 0);
    hmap_destroy(&lb->health_down);
    free(lb->reactions);
    HMAP_FOR_EACH_POP (br, node, &lb->bridges) {
        destroy_bridge(br);
    }
    hmap_destroy(&lb->bridges);
    free(lb);
}

/* The bridge's services' flows are recomputed: with 'tunnels_only', its
 * gre and ipip services' (its tunnel ports or routes changed, or may
 * have), else all (its datapath changed). */
static void
mark_services_dirty(struct lb_bridge *br, bool tunnels_only)
{
    const struct dsr_service *svc;

    HMAP_FOR_EACH (svc, name_node, &br->lb->cfg->services) {
        if ((!tunnels_only || svc->mode != DSR_MODE_L2)
            && !strcmp(svc->bridge, br->cfg->name)) {
            hmapx_add(&br->dirty_services, CONST_CAST(struct dsr_service *,
                                                      svc));
        }
    }
}

/* After each (re)connection to the switch: probe every neighbor again,
 * look at tunnels again, announce every VIP, relax a local
 * ovs-vswitchd's conntrack, and hold the switch's flows until the
 * backends' MACs are known. */
static void
run_connection(struct lb_bridge *br)
{
    struct lb_vip *vip;

    unsigned int seqno = ofctrl_get_connection_seqno(br->ofctrl);
    if (seqno != br->conn_seqno && ofctrl_is_connected(br->ofctrl)) {
        br->conn_seqno = seqno;
        /* The backends' MACs are asked for now: the hold starts now, also
         * on a connection made before the lb was. */
        ofctrl_hold(br->ofctrl);
        if (br->relax) {
            vswitchd_relax_start(br->relax);
        }
        neighbor_probe_all_soon(&br->neighbors);
        tunnel_forget_routes(&br->tunnels);
        br->tunnels.ipip_dirty = true;
        mark_services_dirty(br, true);
        HMAP_FOR_EACH (vip, node, &br->vips) {
            vip->announce = true;
        }
        br->any_to_announce = true;
    }
    if (br->relax) {
        vswitchd_relax_run(br->relax);
    }
    if (br->adopted_seqno != seqno && ofctrl_is_held(br->ofctrl)) {
        br->adopted_seqno = seqno;
        lb_adopt_neighbors(br);
    }
    neighbor_run(&br->neighbors, br->ofctrl);
    if ((neighbor_table_settled(&br->neighbors)
         || (br->adopted_seqno == seqno && !br->awaiting))
        && tunnel_state_settled(&br->tunnels)) {
        /* The backends' MACs and tunnel ports are known, or known as well
         * as the switch knows them: the desired state is complete. */
        ofctrl_release_hold(br->ofctrl);
    } else if (br->neighbors.n_unresolved < br->n_unresolved) {
        /* Answers are coming in: the desired state is nearer complete. */
        ofctrl_extend_hold(br->ofctrl);
    }
    br->n_unresolved = br->neighbors.n_unresolved;
}

/* Programs the services whose configuration or health changed, and sends
 * what that changed to the switch. */
static void
program_dirty_services(struct lb_bridge *br)
{
    struct hmapx_node *node;

    HMAPX_FOR_EACH (node, &br->dirty_services) {
        program_service(br->lb, br, node->data);
    }
    hmapx_clear(&br->dirty_services);
    lb_reactions_note_programmed(br);
    ofctrl_run(br->ofctrl);
    lb_reactions_record(br);
}

static void
run_bridge(struct lb_bridge *br)
{
    struct lb_vip *vip;

    ofctrl_set_group_limit(br->ofctrl, br->lb->cfg->next_service_id - 1);
    /* Receives first: OVS's replies and packet-ins feed this pass. */
    ofctrl_run(br->ofctrl);
    run_connection(br);

    /* All run, whatever the others say. */
    bool ports_changed = tunnel_state_refresh(&br->tunnels,
                                              br->lb->datapaths);
    if (br->pin_syns != (br->tunnels.kind != DATAPATH_KERNEL)) {
        br->pin_syns = !br->pin_syns;
        set_base_owner(br);
        mark_services_dirty(br, false);    /* Their groups' hash. */
    }
    if (br->nd_in_flows != lb_nd_in_flows(br)) {
        br->nd_in_flows = !br->nd_in_flows;
        set_base_owner(br);     /* The probe address's ND answers. */
        HMAP_FOR_EACH (vip, node, &br->vips) {
            if (!IN6_IS_ADDR_V4MAPPED(&vip->ip)) {
                set_vip_owner(br, vip);
            }
        }
    }
    bool ipip_changed = tunnel_sync_ipip(&br->tunnels, br->lb->cfg);
    bool routes_changed = tunnel_run(&br->tunnels, br->lb->datapaths);
    if (ports_changed || ipip_changed || routes_changed) {
        mark_services_dirty(br, true);
    }
    program_dirty_services(br);

    /* Announce only once the ARP responder is on the switch. */
    if (br->any_to_announce && ofctrl_is_synced(br->ofctrl)) {
        /* Not a walk of every VIP on every pass: 10,000 of them made
         * that most of dsrd's work. */
        br->any_to_announce = false;
        HMAP_FOR_EACH (vip, node, &br->vips) {
            if (vip->announce) {
                vip->announce = false;
                lb_vip_announce(br, vip);
            }
        }
        if (ipv6_addr_is_set(&br->cfg->probe_ip6) && !routed_to(br)) {
            lb_vip_send_mld_report(br, &br->cfg->probe_ip6, 1,
                                   MLD2_CHANGE_TO_EXCLUDE);
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

    /* The bridges first: a DSR-path probe's answer already waiting in a
     * bridge's connection must count before health_run() finds the
     * probe's deadline passed, or a dsrd that was itself late (a stall,
     * a long pass) takes healthy backends down. */
    HMAP_FOR_EACH (br, node, &lb->bridges) {
        run_bridge(br);
    }
    if (ready_for_probes(lb)) {
        health_run(lb->health);
        /* What the probes decided goes out in this pass, not the next. */
        HMAP_FOR_EACH (br, node, &lb->bridges) {
            if (!hmapx_is_empty(&br->dirty_services)) {
                program_dirty_services(br);
            }
        }
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
        if (br->relax) {
            vswitchd_relax_wait(br->relax);
        }
    }
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

/* Translates ofctrl's verdict on 'change' into lb's vocabulary, so that
 * lb's callers need not know ofctrl. */
enum lb_change_state
lb_get_change_state(const struct lb *lb, const struct lb_change *change,
                    const char **error)
{
    const struct lb_bridge *br = lb_find_bridge(lb, change->bridge);

    *error = NULL;
    if (!br) {
        return LB_CHANGE_DONE;
    }
    switch (ofctrl_get_change_state(br->ofctrl, change->seqno, error)) {
    case OFCTRL_CHANGE_PENDING:
        return LB_CHANGE_PENDING;
    case OFCTRL_CHANGE_FAILED:
        return LB_CHANGE_FAILED;
    case OFCTRL_CHANGE_DONE:
        break;
    }
    return LB_CHANGE_DONE;
}

