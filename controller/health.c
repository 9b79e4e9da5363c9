/* The health checker: targets, schedule, rise/fall.  See health.h; the
 * check types are in check-*.c, reached only through probe_classes[]. */
#include <config.h>
#include "controller/health.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "controller/health-private.h"
#include "controller/model.h"
#include "coverage.h"
#include "hash.h"
#include "heap.h"
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(health);

/* Probes started and ended, and backends that came up or went down
 * (ovs-appctl -t dsrd coverage/show). */
COVERAGE_DEFINE(health_probe);
COVERAGE_DEFINE(health_probe_ended);
COVERAGE_DEFINE(health_up);
COVERAGE_DEFINE(health_down);

/* Probes due within this many ms start together: one wakeup of the
 * poll loop serves many backends instead of one each. */
#define BATCH_MS 10

/* Probes that may run at once until health_set_max_in_flight() says
 * otherwise: the schema's default of limits.max_probes_in_flight. */
#define DEFAULT_MAX_IN_FLIGHT 4096

/* The check types, each driven the same way (health-private.h). */
enum probe_class_index {
    PROBE_TCP,
    PROBE_UDP,
    PROBE_HTTP,
    PROBE_HTTPS,
    PROBE_EXEC,
    N_PROBE_CLASSES
};
static const struct probe_class *const probe_classes[N_PROBE_CLASSES] = {
    [PROBE_TCP] = &check_tcp_class,
    [PROBE_UDP] = &check_udp_class,
    [PROBE_HTTP] = &check_http_class,
    [PROBE_HTTPS] = &check_https_class,
    [PROBE_EXEC] = &check_exec_class,
};

/* One backend of one service that has a check. */
struct target {
    struct hmap_node node;          /* In struct health's 'targets'. */
    struct heap_node heap_node;     /* In 'schedule' while waiting. */
    struct ovs_list list_node;      /* In 'in_flight' while probing. */
    uint32_t service_id;
    struct in6_addr ip;             /* IPv6, or IPv4-mapped. */
    struct in6_addr vip;
    char *service;
    const struct dsr_health_check *check;   /* The backend's own. */

    bool up;
    int successes, failures;        /* In a row. */
    char reason[128];
    long long int since;            /* Wall clock. */
    double latency_ms;
    long long int next_due;         /* time_msec(). */
    bool scheduled;                 /* In 'schedule'. */

    struct probe *probe;            /* In flight, or NULL. */
    struct dsr_path dsr;            /* Its DSR-path half (health-dsr.c). */
};

struct health {
    struct hmap targets;            /* struct target. */
    struct heap schedule;           /* struct target, soonest first. */
    struct ovs_list in_flight;      /* struct target. */
    size_t n_in_flight;
    unsigned int max_in_flight;     /* Each probe holds a descriptor. */
    struct dsr_ports dsr_ports;
    void *class_states[N_PROBE_CLASSES];    /* Each class's own. */
    health_change_cb *change_cb;
    health_dsr_send_cb *dsr_send_cb;
    void *aux;
};

static uint32_t
target_hash(uint32_t service_id, const struct in6_addr *ip)
{
    return dsr_ip_hash(ip, service_id);
}

static struct target *
find_target(const struct health *h, uint32_t service_id,
            const struct in6_addr *ip)
{
    struct target *t;

    HMAP_FOR_EACH_WITH_HASH (t, node, target_hash(service_id, ip),
                             &h->targets) {
        if (t->service_id == service_id && ipv6_addr_equals(&t->ip, ip)) {
            return t;
        }
    }
    return NULL;
}

/* The heap is a max-heap: the soonest time gets the highest priority. */
static void
schedule(struct health *h, struct target *t, long long int when)
{
    t->next_due = when;
    t->scheduled = true;
    heap_insert(&h->schedule, &t->heap_node, LLONG_MAX - when);
}

/* Next probe one interval after the last started, give or take 10 %. */
static long long int
next_time(const struct target *t, long long int started)
{
    int interval = t->check->interval_ms;
    int jitter = interval / 10;

    return started + interval - jitter
           + (jitter ? random_range(2 * jitter + 1) : 0);
}

struct health *
health_create(health_change_cb *change_cb, health_dsr_send_cb *dsr_send_cb,
              void *aux)
{
    struct health *h = xzalloc(sizeof *h);

    hmap_init(&h->targets);
    heap_init(&h->schedule);
    ovs_list_init(&h->in_flight);
    h->max_in_flight = DEFAULT_MAX_IN_FLIGHT;
    dsr_ports_init(&h->dsr_ports);
    for (size_t i = 0; i < N_PROBE_CLASSES; i++) {
        const struct probe_class *class = probe_classes[i];
        h->class_states[i] = class->class_create ? class->class_create()
                                                 : NULL;
    }
    h->change_cb = change_cb;
    h->dsr_send_cb = dsr_send_cb;
    h->aux = aux;
    return h;
}

static void
stop_probe(struct health *h, struct target *t)
{
    if (t->probe) {
        t->probe->class->destroy(t->probe);
        free(t->probe);
        t->probe = NULL;
        ovs_list_remove(&t->list_node);
        h->n_in_flight--;
        COVERAGE_INC(health_probe_ended);
    }
    dsr_path_stop(&h->dsr_ports, &t->dsr);
}

static void
remove_target(struct health *h, struct target *t)
{
    stop_probe(h, t);
    if (t->scheduled) {
        heap_remove(&h->schedule, &t->heap_node);
    }
    hmap_remove(&h->targets, &t->node);
    free(t->service);
    free(t);
}

void
health_destroy(struct health *h)
{
    if (h) {
        struct target *t;

        HMAP_FOR_EACH_SAFE (t, node, &h->targets) {
            remove_target(h, t);
        }
        hmap_destroy(&h->targets);
        heap_destroy(&h->schedule);
        dsr_ports_destroy(&h->dsr_ports);
        for (size_t i = 0; i < N_PROBE_CLASSES; i++) {
            if (probe_classes[i]->class_destroy) {
                probe_classes[i]->class_destroy(h->class_states[i]);
            }
        }
        free(h);
    }
}

/* Tracks the backends of 'svc' (new or replacing the service with the
 * same id): targets of backends that stay keep their state. */
void
health_set_service(struct health *h, const struct dsr_service *svc)
{
    struct target *t;

    /* Drop targets of backends that are gone or lost their check. */
    HMAP_FOR_EACH_SAFE (t, node, &h->targets) {
        if (t->service_id == svc->id) {
            const struct dsr_backend *be = dsr_service_find_backend(svc,
                                                                    &t->ip);
            if (!be || !be->check) {
                remove_target(h, t);
            }
        }
    }
    for (size_t i = 0; i < svc->n_backends; i++) {
        const struct dsr_backend *be = &svc->backends[i];
        if (!be->check) {
            continue;
        }
        t = find_target(h, svc->id, &be->ip);
        if (!t) {
            t = xzalloc(sizeof *t);
            t->service_id = svc->id;
            t->ip = be->ip;
            t->dsr.service_id = svc->id;
            t->dsr.ip = be->ip;
            t->up = true;
            t->since = time_wall_msec();
            hmap_insert(&h->targets, &t->node, target_hash(svc->id, &be->ip));
            /* Spread first probes over one interval. */
            t->check = be->check;
            schedule(h, t, time_msec()
                     + random_range(MAX(be->check->interval_ms, 1)));
        }
        /* A probe in flight points into the service being replaced, which
         * is freed soon: with the same check, it goes on with the new
         * copy; with a changed check, it starts over. */
        if (t->probe && dsr_health_check_equal(t->check, be->check)) {
            t->probe->check = be->check;
        } else if (t->probe) {
            stop_probe(h, t);
            schedule(h, t, time_msec());
        } else if (t->check != be->check && t->scheduled) {
            /* A new interval applies from the next probe on. */
            heap_remove(&h->schedule, &t->heap_node);
            t->scheduled = false;
            t->check = be->check;
            schedule(h, t, MIN(t->next_due, time_msec()
                               + be->check->interval_ms));
        }
        t->check = be->check;
        t->vip = svc->vip;
        t->dsr.vip = svc->vip;
        t->dsr.tunnel = svc->mode != DSR_MODE_L2;
        free(t->service);
        t->service = xstrdup(svc->name);
    }
}

void
health_remove_service(struct health *h, const struct dsr_service *svc)
{
    struct target *t;

    HMAP_FOR_EACH_SAFE (t, node, &h->targets) {
        if (t->service_id == svc->id) {
            remove_target(h, t);
        }
    }
}

/* Caps the probes running at once (limits.max_probes_in_flight, as the
 * process's descriptor budget allows). */
void
health_set_max_in_flight(struct health *h, unsigned int max)
{
    h->max_in_flight = MAX(max, 1);
}

/* The socket address of the probe's backend and port, IPv4 or IPv6;
 * returns its length. */
socklen_t
probe_sockaddr(const struct probe *p, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (IN6_IS_ADDR_V4MAPPED(&p->ip)) {
        struct sockaddr_in *sin = (struct sockaddr_in *) ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(p->check->port);
        sin->sin_addr.s_addr = in6_addr_get_mapped_ipv4(&p->ip);
        return sizeof *sin;
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(p->check->port);
    sin6->sin6_addr = p->ip;
    return sizeof *sin6;
}

void
probe_finish(struct probe *p, bool up, const char *fmt, ...)
{
    if (p->done) {
        return;
    }
    p->done = true;
    p->up = up;
    p->reason[0] = '\0';
    if (fmt) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(p->reason, sizeof p->reason, fmt, args);
        va_end(args);
    }
}

static enum probe_class_index
class_for(enum dsr_check_type type)
{
    switch (type) {
    case DSR_CHECK_TCP:
        return PROBE_TCP;
    case DSR_CHECK_HTTP:
        return PROBE_HTTP;
    case DSR_CHECK_HTTPS:
        return PROBE_HTTPS;
    case DSR_CHECK_UDP:
        return PROBE_UDP;
    case DSR_CHECK_EXEC:
        return PROBE_EXEC;
    case DSR_CHECK_NONE:
        break;
    }
    OVS_NOT_REACHED();
}

static void
start_probe(struct health *h, struct target *t)
{
    struct probe *p = xzalloc(sizeof *p);
    enum probe_class_index class = class_for(t->check->type);

    COVERAGE_INC(health_probe);
    p->class = probe_classes[class];
    p->class_state = h->class_states[class];
    p->check = t->check;
    p->ip = t->ip;
    p->vip = t->vip;
    p->service = t->service;
    p->started = time_msec();
    p->deadline = p->started + t->check->timeout_ms;
    t->probe = p;
    ovs_list_push_back(&h->in_flight, &t->list_node);
    h->n_in_flight++;

    dsr_path_start(&h->dsr_ports, &t->dsr, t->check, h->dsr_send_cb,
                   h->aux);
    p->class->start(p);
}

/* Records an answer to a DSR-path probe; if it answers one in flight,
 * returns true and that probe's service and backend. */
bool
health_dsr_reply(struct health *h, const struct health_dsr_reply *reply,
                 uint32_t *service_id, struct in6_addr *ip)
{
    const struct dsr_path *path = dsr_ports_reply(&h->dsr_ports, reply);

    if (path) {
        *service_id = path->service_id;
        *ip = path->ip;
    }
    return path != NULL;
}

/* Applies one probe's verdict: rise/fall and, on a change, the callback. */
static void
record_result(struct health *h, struct target *t, bool up,
              const char *reason)
{
    if (up) {
        t->successes++;
        t->failures = 0;
    } else {
        t->failures++;
        t->successes = 0;
        ovs_strlcpy(t->reason, reason, sizeof t->reason);
    }
    if (t->up != up && (up ? t->successes >= t->check->rise
                           : t->failures >= t->check->fall)) {
        t->up = up;
        t->since = time_wall_msec();
        if (up) {
            COVERAGE_INC(health_up);
        } else {
            COVERAGE_INC(health_down);
        }
        char ip[INET6_ADDRSTRLEN];
        VLOG_INFO("service %s: backend %s is %s%s%s", t->service,
                  dsr_ip_to_string(&t->ip, ip), up ? "up" : "down",
                  up ? "" : ": ", up ? "" : t->reason);
        h->change_cb(h->aux, t->service_id, &t->ip, up);
    }
}

static void
complete_probe(struct health *h, struct target *t)
{
    struct probe *p = t->probe;
    bool up = p->done && p->up;
    char reason[160];

    if (!p->done) {
        snprintf(reason, sizeof reason, "timeout after %d ms",
                 t->check->timeout_ms);
    } else {
        ovs_strlcpy(reason, p->reason, sizeof reason);
    }
    if (up) {
        up = dsr_path_verdict(&t->dsr, reason, sizeof reason);
    }
    t->latency_ms = time_msec() - p->started;
    long long int started = p->started;
    stop_probe(h, t);
    record_result(h, t, up, reason);
    schedule(h, t, MAX(next_time(t, started), time_msec()));
}

void
health_run(struct health *h)
{
    long long int now = time_msec();
    struct target *t;

    for (size_t i = 0; i < N_PROBE_CLASSES; i++) {
        if (probe_classes[i]->class_run) {
            probe_classes[i]->class_run(h->class_states[i]);
        }
    }
    LIST_FOR_EACH_SAFE (t, list_node, &h->in_flight) {
        struct probe *p = t->probe;
        if (!p->done && p->class->run) {
            p->class->run(p);
        }
        bool dsr_waiting = !dsr_path_done(&t->dsr);
        if ((p->done && !dsr_waiting) || now >= p->deadline
            || (p->done && !p->up)) {
            complete_probe(h, t);
        }
    }
    while (!heap_is_empty(&h->schedule)) {
        t = CONTAINER_OF(heap_max(&h->schedule), struct target, heap_node);
        if (t->next_due > now + BATCH_MS) {
            break;
        }
        if (h->n_in_flight >= h->max_in_flight) {
            /* The rest waits for probes to finish, which wakes us. */
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
            VLOG_WARN_RL(&rl, "%u probes in flight, the most that "
                         "limits.max_probes_in_flight allows: probes due "
                         "now run late", h->max_in_flight);
            break;
        }
        heap_remove(&h->schedule, &t->heap_node);
        t->scheduled = false;
        start_probe(h, t);
    }
}

void
health_wait(struct health *h)
{
    struct target *t;

    for (size_t i = 0; i < N_PROBE_CLASSES; i++) {
        if (probe_classes[i]->class_wait) {
            probe_classes[i]->class_wait(h->class_states[i]);
        }
    }
    LIST_FOR_EACH (t, list_node, &h->in_flight) {
        if (t->probe->done) {
            /* health_run() completes it now, unless the plain check passed
             * and the DSR-path probe is still out: then its reply (a
             * packet-in) or the deadline wakes us, and spinning until
             * then would burn a core. */
            if (dsr_path_done(&t->dsr) || !t->probe->up) {
                poll_immediate_wake();
            }
        } else if (t->probe->class->wait) {
            t->probe->class->wait(t->probe);
        }
        poll_timer_wait_until(t->probe->deadline);
    }
    if (!heap_is_empty(&h->schedule)
        && h->n_in_flight < h->max_in_flight) {
        t = CONTAINER_OF(heap_max(&h->schedule), struct target, heap_node);
        poll_timer_wait_until(t->next_due);
    }
}

/* Spreads every waiting probe over one interval from now: when probing
 * starts late (bridges not ready), they would all be due at once. */
void
health_reschedule_all(struct health *h)
{
    struct target *t;

    HMAP_FOR_EACH (t, node, &h->targets) {
        if (t->scheduled) {
            heap_remove(&h->schedule, &t->heap_node);
            schedule(h, t, time_msec()
                     + random_range(MAX(t->check->interval_ms, 1)));
        }
    }
}

bool
health_is_down(const struct health *h, uint32_t service_id,
               const struct in6_addr *ip)
{
    const struct target *t = find_target(h, service_id, ip);

    return t && !t->up;
}

void
health_get_status(const struct health *h, uint32_t service_id,
                  const struct in6_addr *ip, struct health_status *s)
{
    const struct target *t = find_target(h, service_id, ip);

    memset(s, 0, sizeof *s);
    s->reason = "";
    s->type = "none";
    s->up = true;
    if (t) {
        s->checked = true;
        s->up = t->up;
        s->reason = t->reason;
        s->since = t->since;
        s->failures = t->failures;
        s->latency_ms = t->latency_ms;
        s->type = dsr_check_type_to_string(t->check->type);
    }
}
