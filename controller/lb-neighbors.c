/* What the lb does with the backends' MACs and ports as it learns them:
 * location flows, and the services to recompute.  It learns them from
 * answers to dsrd's probes, or, after a (re)connection, from the flows the
 * switch already has: a restarted dsrd then need not wait for hundreds of
 * thousands of ARP answers before it may compare its desired state with
 * the switch. */
#include <config.h>
#include "controller/lb-private.h"

#include "controller/neighbor.h"
#include "controller/ofctrl.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(lb_neighbors);

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

void
lb_location_release(struct lb_bridge *br, struct eth_addr mac)
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

/* Moves the location flows of 'nb' from where it was ('old_mac', if
 * 'was_resolved') to where it is now. */
static void
update_location(struct lb_bridge *br, bool was_resolved,
                struct eth_addr old_mac, const struct neighbor *nb)
{
    struct lb_location *loc;

    if (was_resolved) {
        lb_location_release(br, old_mac);
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

static const struct dsr_backend *
find_backend(const struct dsr_service *svc, const struct in6_addr *ip)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (ipv6_addr_equals(&svc->backends[i].ip, ip)) {
            return &svc->backends[i];
        }
    }
    return NULL;
}

/* The services that use 'nb' (but 'except', which its caller programs
 * next) are to be recomputed. */
static void
mark_users_dirty(struct lb_bridge *br, const struct neighbor *nb,
                 const struct dsr_service *except)
{
    const struct lb_ip_users *users = lb_find_ip_users(br, &nb->ip);
    struct hmapx_node *node;

    if (!users) {
        return;
    }
    HMAPX_FOR_EACH (node, &users->services) {
        const struct dsr_service *svc = node->data;
        const struct dsr_backend *be = find_backend(svc, &nb->ip);

        if (be && be->has_mac && !eth_addr_equals(be->mac, nb->mac)) {
            char ip_s[INET6_ADDRSTRLEN];
            VLOG_WARN("service %s: backend %s is configured with MAC "
                      ETH_ADDR_FMT" but answers from "ETH_ADDR_FMT,
                      svc->name, dsr_ip_to_string(&nb->ip, ip_s),
                      ETH_ADDR_ARGS(be->mac), ETH_ADDR_ARGS(nb->mac));
        }
        if (svc != except) {
            hmapx_add(&br->dirty_services, node->data);
        }
    }
}

/* 'nb' answered a probe, and 'change' is what that changed. */
void
lb_neighbor_learned(struct lb_bridge *br, const struct neighbor *nb,
                    const struct neighbor_change *change)
{
    update_location(br, change->was_resolved, change->old_mac, nb);
    mark_users_dirty(br, nb, NULL);
}

/* What the switch's dump says of 'be', a backend of 'svc' that dsrd has
 * not resolved. */
enum adoption {
    ADOPTED,            /* Its MAC and port: dsrd takes them. */
    SAME_UNKNOWN,       /* Unresolved there too, or deliverable by its
                         * configured MAC: nothing to wait for. */
    NEW_TO_SWITCH,      /* The switch has no flow for it: its ARP answer
                         * is worth waiting for. */
};

static enum adoption
adopt_backend(struct lb_bridge *br, const struct dsr_service *svc,
              const struct dsr_backend *be, const struct dsr_owner *dump)
{
    struct eth_addr mac = be->mac;

    if (!be->has_mac) {
        ovs_be32 key = htonl(dsr_ip_slot_key(&be->ip));
        switch (dump ? pipeline_read_backend_mac(dump, svc->id, key, &mac)
                     : PIPELINE_ROW_ABSENT) {
        case PIPELINE_ROW_ABSENT:
            return NEW_TO_SWITCH;
        case PIPELINE_ROW_UNDELIVERABLE:
            return SAME_UNKNOWN;
        case PIPELINE_ROW_DELIVERABLE:
        default:
            break;
        }
    }

    const struct dsr_owner *location = ofctrl_held_dump(
        br->ofctrl, dsr_cookie(DSR_COOKIE_BACKEND, pipeline_mac_to_id(mac)));
    ofp_port_t port;
    if (!location || !pipeline_read_location(location, &port)) {
        return SAME_UNKNOWN;
    }

    struct neighbor_change change;
    const struct neighbor *nb = neighbor_adopt(&br->neighbors, &be->ip, mac,
                                               port, &change);
    if (nb && change.changed) {
        update_location(br, change.was_resolved, change.old_mac, nb);
        mark_users_dirty(br, nb, svc);
    }
    return ADOPTED;
}

/* While 'br''s sync holds with the switch's dump in, takes from the dump
 * the MACs and ports of 'svc''s unresolved backends.  Returns how many it
 * took; sets '*awaiting' if one is new to the switch.  The caller
 * programs 'svc'; the other services that use an adopted address are
 * marked dirty. */
size_t
lb_adopt_service_neighbors(struct lb_bridge *br,
                           const struct dsr_service *svc, bool *awaiting)
{
    if (svc->mode != DSR_MODE_L2 || !ofctrl_is_held(br->ofctrl)) {
        return 0;
    }

    const struct dsr_owner *dump = ofctrl_held_dump(
        br->ofctrl, dsr_cookie(DSR_COOKIE_SERVICE, svc->id));
    size_t n = 0;
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        const struct neighbor *nb = neighbor_find(&br->neighbors, &be->ip);

        if (nb && !nb->resolved) {
            switch (adopt_backend(br, svc, be, dump)) {
            case ADOPTED:
                n++;
                break;
            case NEW_TO_SWITCH:
                *awaiting = true;
                break;
            case SAME_UNKNOWN:
            default:
                break;
            }
        }
    }
    return n;
}

/* Once after each (re)connection, when the switch's dump is in: takes
 * what it says of every backend dsrd has not resolved, and recomputes the
 * services that changed.  Sets 'br->awaiting' if a backend's ARP answer
 * is still worth waiting for before the first sync. */
void
lb_adopt_neighbors(struct lb_bridge *br)
{
    const struct dsr_service *svc;
    size_t n = 0;

    br->awaiting = false;
    HMAP_FOR_EACH (svc, name_node, &br->lb->cfg->services) {
        if (!strcmp(svc->bridge, br->cfg->name)) {
            size_t n_svc = lb_adopt_service_neighbors(br, svc,
                                                      &br->awaiting);
            if (n_svc) {
                hmapx_add(&br->dirty_services,
                          CONST_CAST(struct dsr_service *, svc));
                n += n_svc;
            }
        }
    }
    VLOG_INFO("%s: %"PRIuSIZE" backend MACs and ports taken from the "
              "switch's flows; %"PRIuSIZE" backends unresolved%s",
              br->cfg->name, n, br->neighbors.n_unresolved,
              br->awaiting ? ", some new to the switch: waiting for them"
                           : "");
}
