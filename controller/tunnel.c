/* See tunnel.h. */
#include <config.h>
#include "controller/tunnel.h"

#include <errno.h>
#include <string.h>
#include "controller/ipip.h"
#include "controller/model.h"
#include "controller/vswitchd.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(tunnel);

/* Errors of datapath_monitor_find_port() that pass by themselves. */
#define NOT_READ_YET "OVSDB not read yet"
#define NO_OFPORT_YET "has no OpenFlow port number"
#define NOT_PROGRAMMED_YET "the kernel side is not programmed yet"

/* The kernel datapath's gre vport is Linux's ip_gre, which drops tunnel
 * metadata of any family but IPv4 (flows/README.md, "Delivery by
 * mode"). */
#define KERNEL_GRE_IPV4_ONLY "the kernel datapath's GRE port sends over " \
    "IPv4 only (Linux's ip_gre): IPv6 backend addresses need the " \
    "userspace or DPDK datapath"

/* How often the kernel side of ipip services is read back. */
#define IPIP_VERIFY_MS 2000

/* How often routes that were missing are looked up again. */
#define RECHECK_MS 5000

/* Route lookups asked of ovs-vswitchd at a time: it answers 10 per
 * connection per pass of its main loop; more would only queue up. */
#define MAX_ASKED 50

/* The error last logged for a service. */
struct tunnel_service_note {
    struct hmap_node node;      /* In struct tunnel_state's 'notes'. */
    uint32_t id;
    char *error;
};

/* Whether ovs-vswitchd has a route to a GRE backend.  The lookup is
 * asynchronous (see tunnel_check_routes()): until its answer comes the
 * route counts as found, and a route that was missing keeps its error
 * while it is looked up again. */
struct tunnel_route {
    struct hmap_node node;      /* In struct tunnel_state's 'routes'. */
    struct ovs_list list_node;  /* In 'to_ask' or 'asked', if 'looking'. */
    bool looking;               /* Being looked up. */
    long long int id;           /* Request id, once asked. */
    struct in6_addr ip;         /* IPv4-mapped for IPv4. */
    char *error;                /* NULL: routed (or not known yet). */
};

void
tunnel_state_init(struct tunnel_state *ts,
                  const struct dsr_bridge_config *cfg, bool local)
{
    memset(ts, 0, sizeof *ts);
    ts->cfg = cfg;
    ts->local = local;
    ts->gre_error = xstrdup(NOT_READ_YET);
    ts->ipip_error = xstrdup(NOT_READ_YET);
    ts->ipip_kernel_error = xstrdup(NOT_PROGRAMMED_YET);
    ts->ipip_dirty = true;
    hmap_init(&ts->routes);
    hmap_init(&ts->notes);
    ts->vswitchd = vswitchd_client_create();
    ovs_list_init(&ts->to_ask);
    ovs_list_init(&ts->asked);
}

/* Forgets every route and every lookup under way: after a connection to
 * the switch, whose ovs-vswitchd may be a new one (a new socket too). */
void
tunnel_forget_routes(struct tunnel_state *ts)
{
    struct tunnel_route *r;

    HMAP_FOR_EACH_POP (r, node, &ts->routes) {
        free(r->error);
        free(r);
    }
    ovs_list_init(&ts->to_ask);
    ovs_list_init(&ts->asked);
    ts->n_asked = 0;
    vswitchd_client_destroy(ts->vswitchd);
    ts->vswitchd = vswitchd_client_create();
}

void
tunnel_state_destroy(struct tunnel_state *ts)
{
    struct tunnel_service_note *note;

    tunnel_forget_routes(ts);
    hmap_destroy(&ts->routes);
    HMAP_FOR_EACH_POP (note, node, &ts->notes) {
        free(note->error);
        free(note);
    }
    hmap_destroy(&ts->notes);
    free(ts->gre_error);
    free(ts->ipip_error);
    free(ts->ipip_kernel_error);
    ipip_destroy(ts->ipip);
    vswitchd_client_destroy(ts->vswitchd);
}

/* Replaces '*error' with 'new' (taking it); logs a change.  Returns true
 * if anything changed. */
static bool
set_error(const struct tunnel_state *ts, const char *what, char **error,
          char *new)
{
    bool changed = !nullable_string_is_equal(*error, new);

    /* Services of that mode warn (tunnel_note_service()): a bridge
     * without them needs nothing. */
    if (changed && new) {
        VLOG_INFO("%s: %s services cannot be delivered: %s", ts->cfg->name,
                  what, new);
    } else if (changed) {
        VLOG_INFO("%s: %s services can be delivered", ts->cfg->name, what);
    }
    free(*error);
    *error = new;
    return changed;
}

/* Reads the bridge's tunnel ports again if OVSDB changed.  Returns true
 * if a port or an error changed: the tunnel services' flows then need
 * recomputing. */
bool
tunnel_state_refresh(struct tunnel_state *ts,
                     const struct datapath_monitor *dpm)
{
    unsigned int seqno = datapath_monitor_get_seqno(dpm);

    if (ts->read && seqno == ts->dp_seqno) {
        return false;
    }
    ts->read = true;
    ts->dp_seqno = seqno;
    ts->kind = datapath_monitor_get(dpm, ts->cfg->name, NULL);

    uint32_t gre_port = 0, ipip_port = 0;
    struct eth_addr ipip_mac = eth_addr_zero;
    char *gre_error = datapath_monitor_find_port(dpm, ts->cfg->name, "gre",
                                                 ts->cfg->gre_port,
                                                 &gre_port, NULL);
    char *ipip_error;
    if (ts->kind == DATAPATH_USERSPACE || ts->kind == DATAPATH_DPDK) {
        /* Its internal ports are taps: the packet mark that names the
         * backend never reaches the kernel (README.md, "Datapaths"). */
        ipip_error = xasprintf("ipip services need the kernel datapath "
                               "(bridge %s is %s): OVS has no IPIP port, "
                               "and the packet mark that names the backend "
                               "reaches the kernel only from the kernel "
                               "datapath's internal ports", ts->cfg->name,
                               datapath_kind_to_string(ts->kind));
    } else {
        ipip_error = datapath_monitor_find_port(dpm, ts->cfg->name,
                                                "internal",
                                                ts->cfg->ipip_port,
                                                &ipip_port, &ipip_mac);
    }

    bool changed = (gre_port != ts->gre_port || ipip_port != ts->ipip_port
                    || !eth_addr_equals(ipip_mac, ts->ipip_mac));
    changed |= set_error(ts, "gre", &ts->gre_error, gre_error);
    changed |= set_error(ts, "ipip", &ts->ipip_error, ipip_error);
    ts->gre_port = gre_port;
    ts->ipip_port = ipip_port;
    ts->ipip_mac = ipip_mac;
    return changed;
}

/* Whether the tunnel services' delivery is known: OVSDB read (the ports)
 * and the ipip kernel side synced.  Until then their backends look
 * undeliverable, and a desired state computed from that would turn the
 * flows a restarted dsrd finds on the switch into drops. */
bool
tunnel_state_settled(const struct tunnel_state *ts)
{
    return (ts->read && !ts->ipip_dirty
            && !(ts->gre_error && !strcmp(ts->gre_error, NOT_READ_YET)));
}

/* Whether a backend of 'svc' (a tunnel service) can be delivered to now,
 * and through which port (and, ipip, to which MAC). */
bool
tunnel_delivery(const struct tunnel_state *ts, const struct dsr_service *svc,
                uint32_t *port, struct eth_addr *mac)
{
    switch (svc->mode) {
    case DSR_MODE_GRE:
        *port = ts->gre_port;
        *mac = eth_addr_zero;
        return !ts->gre_error;
    case DSR_MODE_IPIP:
        *port = ts->ipip_port;
        *mac = ts->ipip_mac;
        return !ts->ipip_error && !ts->ipip_kernel_error;
    case DSR_MODE_L2:
    default:
        return false;
    }
}

static struct tunnel_route *
find_route(const struct tunnel_state *ts, const struct in6_addr *ip)
{
    struct tunnel_route *r;

    HMAP_FOR_EACH_WITH_HASH (r, node, hash_bytes(ip, sizeof *ip, 0),
                             &ts->routes) {
        if (ipv6_addr_equals(&r->ip, ip)) {
            return r;
        }
    }
    return NULL;
}

/* What ovs-vswitchd's answer to "ovs/route/lookup IP/32" ('result' or
 * 'error_text') says: its native tunnelling needs a route, and in the
 * userspace datapath one whose device is an OVS bridge, where the tunnel
 * source address lives.  Returns NULL if that is so, else an error. */
static char *
route_error(const struct tunnel_state *ts,
            const struct datapath_monitor *dpm, const struct in6_addr *ip,
            const char *result, const char *error_text)
{
    char ips[INET6_ADDRSTRLEN];

    dsr_ip_to_string(ip, ips);
    if (error_text) {
        return xasprintf("ovs-vswitchd has no route to backend %s (%s): add "
                         "one in its network namespace (ip route add ...) "
                         "or with ovs-appctl ovs/route/add", ips,
                         error_text);
    }

    char src[64] = "", dev[64] = "";
    const char *s = strstr(result, "src ");
    const char *d = strstr(result, "dev ");
    if (s) {
        sscanf(s, "src %63s", src);
    }
    if (d) {
        sscanf(d, "dev %63s", dev);
    }
    if (!src[0] || !strcmp(src, "0.0.0.0") || !strcmp(src, "::")) {
        return xasprintf("ovs-vswitchd's route to backend %s has no source "
                         "address: give the bridge a tunnel address (ip "
                         "addr add IP/LEN dev %s)", ips, ts->cfg->name);
    } else if ((ts->kind == DATAPATH_USERSPACE || ts->kind == DATAPATH_DPDK)
               && !datapath_monitor_is_bridge(dpm, dev)) {
        return xasprintf("ovs-vswitchd routes backend %s through %s, "
                         "which is not an OVS bridge: the userspace "
                         "datapath sends tunnel packets from a "
                         "bridge's LOCAL port (ip addr add IP/LEN dev "
                         "%s, and a route through it)", ips, dev,
                         ts->cfg->name);
    }
    return NULL;
}

/* The lookup of 'r' is over, with 'error' (taken) as its answer: NULL if
 * routed or if ovs-vswitchd could not tell.  Returns true if that changed
 * the route's error. */
static bool
finish_lookup(struct tunnel_state *ts, struct tunnel_route *r, char *error)
{
    bool changed = !nullable_string_is_equal(error, r->error);

    if (changed && error) {
        VLOG_WARN("%s: %s", ts->cfg->name, error);
    } else if (changed) {
        char ips[INET6_ADDRSTRLEN];
        VLOG_INFO("%s: ovs-vswitchd has a route to backend %s",
                  ts->cfg->name, dsr_ip_to_string(&r->ip, ips));
    }
    free(r->error);
    r->error = error;
    if (r->looking) {
        ovs_list_remove(&r->list_node);
        r->looking = false;
    }
    return changed;
}

/* Queues a lookup of 'r' unless one is under way. */
static void
queue_lookup(struct tunnel_state *ts, struct tunnel_route *r)
{
    if (!r->looking) {
        r->looking = true;
        ovs_list_push_back(&ts->to_ask, &r->list_node);
    }
}

/* Asks ovs-vswitchd for the queued routes, MAX_ASKED at a time.  Never
 * waits for it.  Returns true if a route's error changed. */
static bool
send_lookups(struct tunnel_state *ts)
{
    bool changed = false;

    while (ts->n_asked < MAX_ASKED && !ovs_list_is_empty(&ts->to_ask)) {
        struct tunnel_route *r = CONTAINER_OF(ovs_list_front(&ts->to_ask),
                                              struct tunnel_route,
                                              list_node);
        char ips[INET6_ADDRSTRLEN];
        dsr_ip_to_string(&r->ip, ips);
        char *arg = xasprintf("%s/%d", ips,
                              IN6_IS_ADDR_V4MAPPED(&r->ip) ? 32 : 128);
        int error = vswitchd_client_send(ts->vswitchd, "ovs/route/lookup",
                                         1, &arg, &r->id);
        free(arg);
        if (error) {
            /* Cannot be told: as if routed. */
            VLOG_DBG("%s: cannot ask ovs-vswitchd for a route to %s (%s)",
                     ts->cfg->name, ips, ovs_strerror(error));
            changed |= finish_lookup(ts, r, NULL);
        } else {
            ovs_list_remove(&r->list_node);
            ovs_list_push_back(&ts->asked, &r->list_node);
            ts->n_asked++;
        }
    }
    return changed;
}

/* Takes ovs-vswitchd's answers that have come.  Returns true if a route's
 * error changed. */
static bool
receive_lookups(struct tunnel_state *ts, const struct datapath_monitor *dpm)
{
    bool changed = false;

    while (ts->n_asked) {
        char *result, *error_text;
        long long int id;
        int error = vswitchd_client_recv(ts->vswitchd, &id, &result,
                                         &error_text);
        struct tunnel_route *r, *next;

        if (error == EAGAIN) {
            break;
        }
        LIST_FOR_EACH_SAFE (r, next, list_node, &ts->asked) {
            if (error || r->id == id) {
                char *e = (error ? NULL : route_error(ts, dpm, &r->ip,
                                                      result, error_text));
                if (error) {
                    char ips[INET6_ADDRSTRLEN];
                    VLOG_DBG("%s: no answer from ovs-vswitchd about a route "
                             "to %s (%s)", ts->cfg->name,
                             dsr_ip_to_string(&r->ip, ips),
                             ovs_strerror(error));
                }
                changed |= finish_lookup(ts, r, e);
                ts->n_asked--;
            }
        }
        free(result);
        free(error_text);
    }
    return changed;
}

/* Looks up the routes to the backends of 'svc' (a gre service) that were
 * not looked up since the last connection to the switch.  Only a local
 * ovs-vswitchd can be asked.
 *
 * The lookups are asynchronous: a blocking call to ovs-vswitchd per new
 * backend, inside the poll loop, would stall the API and every bridge for
 * as long as ovs-vswitchd's main loop takes to come round, once per
 * backend (a thousand new GRE backends in one request).  A route's
 * answer only decides what dsrd reports (the service's error, dsr/show,
 * the log), never the flows: a backend without a route is programmed as
 * one with a route would be, and OVS drops what it cannot route.  So
 * until the answer comes, the route counts as found. */
void
tunnel_check_routes(struct tunnel_state *ts, const struct dsr_service *svc)
{
    if (svc->mode != DSR_MODE_GRE || !ts->local) {
        return;
    }
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct in6_addr *ip = &svc->backends[i].ip;
        if (!find_route(ts, ip)) {
            struct tunnel_route *r = xzalloc(sizeof *r);
            r->ip = *ip;
            hmap_insert(&ts->routes, &r->node, hash_bytes(ip, sizeof *ip, 0));
            queue_lookup(ts, r);
        }
    }
    send_lookups(ts);
}

/* Takes ovs-vswitchd's answers, sends the next lookups, and now and then
 * looks again at the routes that were missing.  Returns true if a
 * route's error changed: the bridge's gre services then need noting
 * again (tunnel_note_service()). */
bool
tunnel_run(struct tunnel_state *ts, const struct datapath_monitor *dpm)
{
    long long int now = time_msec();
    struct tunnel_route *r;
    bool changed;

    vswitchd_client_run(ts->vswitchd);
    changed = receive_lookups(ts, dpm);
    if (now >= ts->recheck_at) {
        ts->recheck_at = now + RECHECK_MS;
        HMAP_FOR_EACH (r, node, &ts->routes) {
            if (r->error) {
                queue_lookup(ts, r);
            }
        }
    }
    changed |= send_lookups(ts);
    vswitchd_client_run(ts->vswitchd);
    return changed;
}

/* Why 'svc' cannot be delivered (or NULL): what the bridge lacks for its
 * mode, or the first of its backends without a route. */
const char *
tunnel_service_error(const struct tunnel_state *ts,
                     const struct dsr_service *svc)
{
    if (svc->mode == DSR_MODE_IPIP) {
        return ts->ipip_error ? ts->ipip_error : ts->ipip_kernel_error;
    } else if (svc->mode != DSR_MODE_GRE) {
        return NULL;
    } else if (ts->gre_error) {
        return ts->gre_error;
    }
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct in6_addr *ip = &svc->backends[i].ip;
        const struct tunnel_route *r = find_route(ts, ip);
        if (ts->kind == DATAPATH_KERNEL && !IN6_IS_ADDR_V4MAPPED(ip)) {
            return KERNEL_GRE_IPV4_ONLY;
        } else if (r && r->error) {
            return r->error;
        }
    }
    return NULL;
}

/* Logs, once per change, why 'svc' cannot be delivered, or that it can
 * again.  'svc' == NULL with 'id' forgets a deleted service. */
void
tunnel_note_service(struct tunnel_state *ts, const struct dsr_service *svc,
                    uint32_t id)
{
    const char *error = svc ? tunnel_service_error(ts, svc) : NULL;
    struct tunnel_service_note *note = NULL, *n;

    if (!svc || svc->mode == DSR_MODE_IPIP) {
        ts->ipip_dirty = true;  /* Its backends may have changed. */
    }
    HMAP_FOR_EACH_WITH_HASH (n, node, hash_int(id, 0), &ts->notes) {
        if (n->id == id) {
            note = n;
            break;
        }
    }
    if (!svc || !error) {
        if (note) {
            if (svc) {
                VLOG_INFO("service %s: can be delivered again", svc->name);
            }
            hmap_remove(&ts->notes, &note->node);
            free(note->error);
            free(note);
        }
        return;
    }
    if (!note) {
        note = xzalloc(sizeof *note);
        note->id = id;
        hmap_insert(&ts->notes, &note->node, hash_int(id, 0));
    }
    if (!nullable_string_is_equal(note->error, error)) {
        /* OVSDB not read yet, a port that ovs-vswitchd is still adding:
         * states that pass by themselves. */
        bool passing = (!strcmp(error, NOT_READ_YET)
                        || !strcmp(error, NOT_PROGRAMMED_YET)
                        || strstr(error, NO_OFPORT_YET));
        VLOG(passing ? VLL_INFO : VLL_WARN,
             "service %s (%s) cannot be delivered: %s", svc->name,
             dsr_mode_to_string(svc->mode), error);
        free(note->error);
        note->error = xstrdup(error);
    }
}

static int
compare_be32(const void *a_, const void *b_)
{
    uint32_t a = ntohl(*(const ovs_be32 *) a_);
    uint32_t b = ntohl(*(const ovs_be32 *) b_);

    return a < b ? -1 : a > b;
}

/* The kernel side of the bridge's ipip services (ipip.h): brought in line
 * with their backends when those may have changed, and retried now and
 * then after an error.  Returns true if the bridge's ipip services need
 * their flows recomputed (the kernel side became usable or stopped being
 * so). */
bool
tunnel_sync_ipip(struct tunnel_state *ts, const struct dsr_config *cfg)
{
    long long int now = time_msec();

    if (!ts->ipip_dirty && !(ts->ipip && now >= ts->ipip_retry_at)) {
        return false;
    }
    ts->ipip_dirty = false;
    /* Now and then the kernel side is read back and repaired, also when
     * it looks fine: ovs-vswitchd deletes a port's ingress qdisc (with
     * dsrd's filters) whenever it (re)configures the port's policing,
     * e.g. after it restarts. */
    ts->ipip_retry_at = now + IPIP_VERIFY_MS;
    if (ts->ipip) {
        ipip_invalidate(ts->ipip);
    }

    /* Every backend of every ipip service on the bridge: draining and
     * down ones keep (or may get back) connections. */
    ovs_be32 *ips = NULL;
    size_t n = 0, allocated = 0;
    const struct dsr_service *svc;
    HMAP_FOR_EACH (svc, name_node, &cfg->services) {
        if (svc->mode != DSR_MODE_IPIP || strcmp(svc->bridge, ts->cfg->name)) {
            continue;
        }
        for (size_t i = 0; i < svc->n_backends; i++) {
            if (n == allocated) {
                ips = x2nrealloc(ips, &allocated, sizeof *ips);
            }
            ips[n++] = dsr_ip4(&svc->backends[i].ip);
        }
    }
    if (n) {
        qsort(ips, n, sizeof *ips, compare_be32);
    }
    size_t unique = 0;
    for (size_t i = 0; i < n; i++) {
        if (!unique || ips[unique - 1] != ips[i]) {
            ips[unique++] = ips[i];
        }
    }

    char *error = NULL;
    if (!ts->ipip && !unique) {
        /* No ipip service has ever been here: leave the kernel alone. */
        free(ips);
        return false;
    } else if (ts->ipip_error) {
        /* No port (or no kernel datapath): nothing to program yet. */
        error = xstrdup(NOT_PROGRAMMED_YET);
    } else {
        if (!ts->ipip) {
            ts->ipip = ipip_create(ts->cfg->ipip_port);
        }
        error = ipip_sync(ts->ipip, ips, unique);
    }
    free(ips);

    bool changed = !nullable_string_is_equal(error, ts->ipip_kernel_error);
    if (changed && error && strcmp(error, NOT_PROGRAMMED_YET)) {
        VLOG_WARN("%s: ipip services: %s", ts->cfg->name, error);
    } else if (changed && !error) {
        VLOG_INFO("%s: ipip services: kernel side ready (%"PRIuSIZE
                  " backends)", ts->cfg->name, ipip_count(ts->ipip));
    }
    free(ts->ipip_kernel_error);
    ts->ipip_kernel_error = error;
    return changed;
}

/* Wakes the poll loop for ovs-vswitchd's answers, for lookups still to
 * send, and for the next look at what failed. */
void
tunnel_wait(const struct tunnel_state *ts)
{
    const struct tunnel_route *r;

    vswitchd_client_wait(ts->vswitchd);
    if (ts->n_asked < MAX_ASKED && !ovs_list_is_empty(&ts->to_ask)) {
        poll_immediate_wake();
    }
    if (ts->ipip) {
        poll_timer_wait_until(ts->ipip_retry_at);
    }
    HMAP_FOR_EACH (r, node, &ts->routes) {
        if (r->error) {
            poll_timer_wait_until(ts->recheck_at);
            break;
        }
    }
}
