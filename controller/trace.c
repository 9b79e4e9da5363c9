/* See trace.h.  This file asks: it parses questions, finds their
 * service, and reads the pins from ovs-vswitchd; trace-answer.c answers,
 * once the pins have come (or at once when none are needed), from the
 * configuration and lb's view of the service at that moment, so the
 * answer describes what OVS has then. */
#include <config.h>
#include "controller/trace.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "controller/datapath.h"
#include "controller/model.h"
#include "controller/trace-answer.h"
#include "controller/vswitchd.h"
#include "coverage.h"
#include "flows/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(trace);

COVERAGE_DEFINE(trace_query);
COVERAGE_DEFINE(trace_ct_dump);

/* How long an answer waits for ovs-vswitchd's conntrack dump. */
#define TRACE_DUMP_TIMEOUT_MS 2000

/* A question waiting for a conntrack dump. */
struct trace_job {
    struct ovs_list node;       /* In struct trace's 'waiting' or 'asked'. */
    struct trace_query q;
    char *service;              /* Its name: looked up again at the end. */
    const char *dpif;           /* Datapath whose conntrack holds the pin. */
    trace_done_func *done;
    void *aux;
};

struct trace {
    const struct dsr_config *cfg;
    const struct lb *lb;
    const struct datapath_monitor *datapaths;   /* May be null. */
    struct vswitchd_client *vswitchd;
    struct ovs_list waiting;    /* Jobs for the next dump. */
    struct ovs_list asked;      /* Jobs the dump in flight answers. */
    bool dumping;               /* A dump is in flight. */
    long long int dump_id;      /* Its request id. */
    long long int dump_deadline;
};

/* Splits 'copy' ("IPv4", "IPv4:PORT", "IPv6", "[IPv6]" or
 * "[IPv6]:PORT") in place into its address and its port text (NULL if
 * none).  Returns false if the brackets are wrong. */
static bool
split_endpoint(char *copy, char **addr, char **port)
{
    *addr = copy;
    *port = NULL;
    if (*copy == '[') {
        char *close = strchr(copy, ']');
        if (!close || (close[1] && close[1] != ':')) {
            return false;
        }
        *close = '\0';
        *addr = copy + 1;
        *port = close[1] ? close + 2 : NULL;
    } else {
        char *colon = strchr(copy, ':');
        if (colon && !strchr(colon + 1, ':')) {
            *colon = '\0';
            *port = colon + 1;
        }
    }
    return true;
}

/* Parses an endpoint (split_endpoint()), with a port of 0 when absent;
 * 'what' names the argument in the error returned. */
static char *
parse_endpoint(const char *s, const char *what, struct in6_addr *ip,
               uint16_t *port)
{
    char *copy = xstrdup(s ? s : "");
    char *addr, *port_text;
    char *error = NULL;
    int n = 0;

    if (!split_endpoint(copy, &addr, &port_text)
        || !dsr_ip_parse(addr, ip)) {
        error = xasprintf("%s \"%s\": expected IP[:PORT], an IPv6 address "
                          "with a port as [IPv6]:PORT", what, s ? s : "");
    } else if (port_text
               && (!str_to_int(port_text, 10, &n) || n < 1 || n > 65535)) {
        error = xasprintf("%s \"%s\": bad port (1 to 65535)", what, s);
    }
    *port = n;
    free(copy);
    return error;
}

/* Parses a question: 'protocol' "tcp" or "udp", 'client' and 'vip' each
 * "IP[:PORT]".  Returns NULL or a malloc'd error. */
char *
trace_query_parse(const char *protocol, const char *client,
                  const char *vip, struct trace_query *q)
{
    memset(q, 0, sizeof *q);
    if (nullable_string_is_equal(protocol, "tcp")) {
        q->ip_proto = IPPROTO_TCP;
    } else if (nullable_string_is_equal(protocol, "udp")) {
        q->ip_proto = IPPROTO_UDP;
    } else {
        return xasprintf("protocol \"%s\": expected tcp or udp",
                         protocol ? protocol : "");
    }
    char *error = parse_endpoint(client, "client", &q->client,
                                 &q->client_port);
    if (!error) {
        error = parse_endpoint(vip, "vip", &q->vip, &q->vip_port);
    }
    if (!error && (IN6_IS_ADDR_V4MAPPED(&q->client)
                   != IN6_IS_ADDR_V4MAPPED(&q->vip))) {
        error = xasprintf("client \"%s\" and vip \"%s\": not of one "
                          "address family", client, vip);
    }
    return error;
}

/* The service that takes 'q''s packets: the one on its VIP, protocol and
 * port, else the VIP's all-ports one (flows/README.md, table 0).  Without
 * a VIP port, the VIP's only service of that protocol.  NULL and
 * '*error' if none. */
static const struct dsr_service *
find_service(const struct dsr_config *cfg, const struct trace_query *q,
             char **error)
{
    enum dsr_protocol proto = (q->ip_proto == IPPROTO_TCP ? DSR_PROTO_TCP
                               : DSR_PROTO_UDP);
    const struct dsr_service *svc, *port_match = NULL, *any_port = NULL;
    size_t n_candidates = 0;

    HMAP_FOR_EACH (svc, name_node, &cfg->services) {
        if (!ipv6_addr_equals(&svc->vip, &q->vip)
            || !(svc->protocol & proto)) {
            continue;
        }
        n_candidates++;
        if (!svc->port) {
            any_port = svc;
        } else if (!q->vip_port || svc->port == q->vip_port) {
            port_match = svc;
        }
    }
    *error = NULL;
    svc = port_match ? port_match : any_port;
    if ((!q->vip_port && n_candidates > 1) || !svc) {
        struct ds s = DS_EMPTY_INITIALIZER;
        const char *proto_name = q->ip_proto == IPPROTO_TCP ? "tcp" : "udp";

        if (svc) {
            ds_put_cstr(&s, "several services on ");
            dsr_ip_format(&q->vip, &s);
            ds_put_format(&s, " for %s: give the VIP's port", proto_name);
        } else {
            ds_put_format(&s, "no service takes %s to ", proto_name);
            dsr_endpoint_format(&q->vip, q->vip_port, &s);
        }
        *error = ds_steal_cstr(&s);
        return NULL;
    }
    return svc;
}

/* What the datapath of 'svc''s bridge is. */
static enum datapath_kind
service_datapath(const struct trace *t, const struct dsr_service *svc)
{
    return (t->datapaths
            ? datapath_monitor_get(t->datapaths, svc->bridge, NULL)
            : DATAPATH_UNKNOWN);
}

static const char *
datapath_dpif(enum datapath_kind kind)
{
    return kind == DATAPATH_KERNEL ? "system@ovs-system"
                                   : "netdev@ovs-netdev";
}

static json_t *
error_json(const char *error, const char *reason)
{
    return json_pack("{s:s, s:s}", "error", error, "reason", reason);
}

/* Answers 'job', with the conntrack dump 'dump' (NULL if not needed or
 * 'pin_error' says why it is missing), and frees it. */
static void
finish_job(struct trace *t, struct trace_job *job, const char *dump,
           const char *pin_error)
{
    const struct dsr_service *svc = dsr_config_find_service(t->cfg,
                                                            job->service);
    json_t *j = (svc ? trace_answer(t->lb, svc, service_datapath(t, svc),
                                    &job->q, dump, pin_error)
                     : NULL);

    if (j) {
        job->done(job->aux, 200, j);
    } else {
        char *reason = xasprintf("service %s is gone", job->service);
        j = error_json("not-found", reason);
        job->done(job->aux, 404, j);
        free(reason);
    }
    json_decref(j);
    free(job->service);
    free(job);
}

/* Whether the switch of 'svc''s bridge is the local ovs-vswitchd, whose
 * control socket dsrd can ask (controller/vswitchd.c): the bridge is
 * reached over a Unix socket. */
static bool
switch_is_local(const struct dsr_config *cfg, const struct dsr_service *svc)
{
    const struct dsr_bridge_config *br = dsr_config_find_bridge(
        cfg, svc->bridge);

    return br && br->target && !strncmp(br->target, "unix:", 5);
}

/* Starts answering 'q': 'done' is called once, at once or from a later
 * trace_run(). */
void
trace_start(struct trace *t, const struct trace_query *q,
            trace_done_func *done, void *aux)
{
    char *error;
    const struct dsr_service *svc = find_service(t->cfg, q, &error);

    COVERAGE_INC(trace_query);
    if (!svc) {
        json_t *j = error_json("not-found", error);
        done(aux, 404, j);
        json_decref(j);
        free(error);
        return;
    }

    struct trace_job *job = xzalloc(sizeof *job);
    job->q = *q;
    job->service = xstrdup(svc->name);
    job->dpif = datapath_dpif(service_datapath(t, svc));
    job->done = done;
    job->aux = aux;
    if (!svc->pin_connections || !q->client_port
        || (!q->vip_port && !svc->port)) {
        finish_job(t, job, NULL, NULL);
    } else if (!switch_is_local(t->cfg, svc)) {
        /* Another host's conntrack: the local one would answer wrongly. */
        finish_job(t, job, NULL, "not looked up: the bridge's switch is "
                   "remote, and dsrd reads pins from the local "
                   "ovs-vswitchd only");
    } else {
        if (!q->vip_port) {
            job->q.vip_port = svc->port;
        }
        ovs_list_push_back(&t->waiting, &job->node);
    }
}

/* Answers every job the dump in flight was for. */
static void
finish_asked(struct trace *t, const char *dump, const char *pin_error)
{
    struct trace_job *job;

    LIST_FOR_EACH_POP (job, node, &t->asked) {
        finish_job(t, job, dump, pin_error);
    }
    t->dumping = false;
}

/* Asks ovs-vswitchd for the pins of the first waiting job's datapath, for
 * every waiting job of that datapath. */
static void
start_dump(struct trace *t)
{
    struct trace_job *first = CONTAINER_OF(ovs_list_front(&t->waiting),
                                           struct trace_job, node);
    const char *dpif = first->dpif;
    struct trace_job *job;

    LIST_FOR_EACH_SAFE (job, node, &t->waiting) {
        if (!strcmp(job->dpif, dpif)) {
            ovs_list_remove(&job->node);
            ovs_list_push_back(&t->asked, &job->node);
        }
    }

    char *zone = xasprintf("zone=%d", DSR_CT_ZONE);
    char *argv[] = { CONST_CAST(char *, dpif), zone };
    int error = vswitchd_client_send(t->vswitchd, "dpctl/dump-conntrack",
                                     ARRAY_SIZE(argv), argv, &t->dump_id);
    free(zone);
    COVERAGE_INC(trace_ct_dump);
    t->dumping = true;
    t->dump_deadline = time_msec() + TRACE_DUMP_TIMEOUT_MS;
    if (error) {
        char *reason = xasprintf("unknown: cannot reach ovs-vswitchd (%s)",
                                 ovs_strerror(error));
        finish_asked(t, NULL, reason);
        free(reason);
    }
}

void
trace_run(struct trace *t)
{
    vswitchd_client_run(t->vswitchd);
    for (;;) {
        char *result, *error_text;
        long long int id;
        int error = vswitchd_client_recv(t->vswitchd, &id, &result,
                                         &error_text);
        if (error == EAGAIN) {
            break;
        } else if (error) {
            if (t->dumping) {
                char *reason = xasprintf("unknown: lost ovs-vswitchd (%s)",
                                         ovs_strerror(error));
                finish_asked(t, NULL, reason);
                free(reason);
            }
            break;
        }
        if (t->dumping && id == t->dump_id) {
            char *reason = (error_text
                            ? xasprintf("unknown: ovs-vswitchd: %s",
                                        error_text)
                            : NULL);
            finish_asked(t, result, reason);
            free(reason);
        }
        free(result);
        free(error_text);
    }
    if (t->dumping && time_msec() >= t->dump_deadline) {
        VLOG_WARN("ovs-vswitchd did not send its conntrack dump within "
                  "%d ms", TRACE_DUMP_TIMEOUT_MS);
        finish_asked(t, NULL, "unknown: ovs-vswitchd did not answer");
    }
    if (!t->dumping && !ovs_list_is_empty(&t->waiting)) {
        start_dump(t);
    }
}

void
trace_wait(struct trace *t)
{
    vswitchd_client_wait(t->vswitchd);
    if (t->dumping) {
        poll_timer_wait_until(t->dump_deadline);
    } else if (!ovs_list_is_empty(&t->waiting)) {
        poll_immediate_wake();
    }
}

struct trace *
trace_create(const struct dsr_config *cfg, const struct lb *lb,
             const struct datapath_monitor *datapaths)
{
    struct trace *t = xzalloc(sizeof *t);

    t->cfg = cfg;
    t->lb = lb;
    t->datapaths = datapaths;
    t->vswitchd = vswitchd_client_create();
    ovs_list_init(&t->waiting);
    ovs_list_init(&t->asked);
    return t;
}

void
trace_destroy(struct trace *t)
{
    if (t) {
        struct trace_job *job;

        ovs_list_push_back_all(&t->asked, &t->waiting);
        LIST_FOR_EACH_POP (job, node, &t->asked) {
            json_t *j = error_json("unavailable", "dsrd is exiting");
            job->done(job->aux, 503, j);
            json_decref(j);
            free(job->service);
            free(job);
        }
        vswitchd_client_destroy(t->vswitchd);
        free(t);
    }
}

/* dsr/trace's answer: the text, or the error. */
static void
unixctl_trace_done(void *conn_, unsigned int status, json_t *j)
{
    struct unixctl_conn *conn = conn_;

    const char *text = json_string_value(json_object_get(
                                             j, status == 200 ? "text"
                                                              : "reason"));
    if (status != 200) {
        unixctl_command_reply_error(conn, text);
    } else {
        unixctl_command_reply(conn, text);
    }
}

static void
unixctl_trace(struct unixctl_conn *conn, int argc OVS_UNUSED,
              const char *argv[], void *t_)
{
    struct trace_query q;
    char *error = trace_query_parse(argv[1], argv[2], argv[3], &q);

    if (error) {
        unixctl_command_reply_error(conn, error);
        free(error);
        return;
    }
    trace_start(t_, &q, unixctl_trace_done, conn);
}

/* Registers "dsr/trace PROTO CLIENT_IP[:PORT] VIP[:PORT]". */
void
trace_register_unixctl(struct trace *t)
{
    unixctl_command_register("dsr/trace", "tcp|udp CLIENT_IP[:PORT] "
                             "VIP[:PORT]", 3, 3, unixctl_trace, t);
}
