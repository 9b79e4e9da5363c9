/* See vswitchd.h. */
#include <config.h>
#include "controller/vswitchd.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "dirs.h"
#include "jsonrpc.h"
#include "openvswitch/json.h"
#include "openvswitch/vlog.h"
#include "stream.h"
#include "openvswitch/poll-loop.h"
#include "flows/pipeline.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(vswitchd);

/* The control socket of the local ovs-vswitchd (the one whose pidfile is
 * in OVS_RUNDIR) in '*socket', or an errno value if it has none. */
static int
control_socket(char **socket)
{
    char *pidfile = xasprintf("%s/ovs-vswitchd.pid", ovs_rundir());
    pid_t pid = read_pidfile(pidfile);

    free(pidfile);
    *socket = NULL;
    if (pid < 0) {
        return -pid;
    }
    *socket = xasprintf("%s/ovs-vswitchd.%ld.ctl", ovs_rundir(), (long) pid);
    if (access(*socket, F_OK)) {
        int error = errno;
        free(*socket);
        *socket = NULL;
        return error;
    }
    return 0;
}

/* A client that never waits for ovs-vswitchd: requests are queued on the
 * socket, replies are picked up in later passes of the poll loop.  It
 * connects at the first request, and again at the first one after the
 * connection failed (ovs-vswitchd restarted: a new pid, a new socket). */
struct vswitchd_client {
    struct jsonrpc *rpc;        /* NULL: not connected. */
};

struct vswitchd_client *
vswitchd_client_create(void)
{
    struct vswitchd_client *c = xzalloc(sizeof *c);

    return c;
}

static void
client_close(struct vswitchd_client *c)
{
    jsonrpc_close(c->rpc);
    c->rpc = NULL;
}

void
vswitchd_client_destroy(struct vswitchd_client *c)
{
    if (c) {
        client_close(c);
        free(c);
    }
}

/* Sends 'command' with its arguments; its reply, found by '*id', comes
 * from vswitchd_client_recv().  Returns 0, or an errno value if
 * ovs-vswitchd cannot be reached (no reply will come).  Connecting to a
 * local socket does not wait for ovs-vswitchd's main loop. */
int
vswitchd_client_send(struct vswitchd_client *c, const char *command,
                     int argc, char *argv[], long long int *id)
{
    if (!c->rpc) {
        struct stream *stream;
        char *socket, *name;
        int error = control_socket(&socket);

        if (error) {
            return error;
        }
        name = xasprintf("unix:%s", socket);
        error = stream_open(name, &stream, DSCP_DEFAULT);
        free(name);
        free(socket);
        if (error) {
            return error;
        }
        c->rpc = jsonrpc_open(stream);
    }

    struct json **args = xmalloc((argc + 1) * sizeof *args);
    for (int i = 0; i < argc; i++) {
        args[i] = json_string_create(argv[i]);
    }
    struct jsonrpc_msg *request = jsonrpc_create_request(
        command, json_array_create(args, argc), NULL);
    *id = request->id->integer;
    int error = jsonrpc_send(c->rpc, request);
    if (error) {
        client_close(c);
    }
    return error;
}

/* Takes one reply: returns 0 with its request's '*id' and '*result' or
 * '*error_text' (the command's own error; the caller frees both), EAGAIN
 * if none has come yet, or another errno value if the connection failed:
 * no reply to the requests sent so far will come. */
int
vswitchd_client_recv(struct vswitchd_client *c, long long int *id,
                     char **result, char **error_text)
{
    struct jsonrpc_msg *reply;

    *result = *error_text = NULL;
    if (!c->rpc) {
        return ENOTCONN;
    }
    int error = jsonrpc_recv(c->rpc, &reply);
    if (error == EAGAIN) {
        return error;
    } else if (error) {
        client_close(c);
        return error;
    }

    const struct json *text = (reply->type == JSONRPC_ERROR ? reply->error
                               : reply->result);
    if (!reply->id || reply->id->type != JSON_INTEGER
        || !text || text->type != JSON_STRING) {
        VLOG_WARN("unexpected reply from ovs-vswitchd: %s",
                  jsonrpc_msg_type_to_string(reply->type));
        error = EPROTO;
        client_close(c);
    } else {
        *id = reply->id->integer;
        if (reply->type == JSONRPC_ERROR) {
            /* One line, for the log lines that quote it. */
            *error_text = xstrdup(text->string);
            size_t n = strlen(*error_text);
            while (n && isspace((unsigned char) (*error_text)[n - 1])) {
                (*error_text)[--n] = '\0';
            }
        } else {
            *result = xstrdup(text->string);
        }
    }
    jsonrpc_msg_destroy(reply);
    return error;
}

/* Sends what is queued. */
void
vswitchd_client_run(struct vswitchd_client *c)
{
    if (c->rpc) {
        jsonrpc_run(c->rpc);
    }
}

/* Wakes the poll loop when a reply comes or more can be sent. */
void
vswitchd_client_wait(struct vswitchd_client *c)
{
    if (c->rpc) {
        jsonrpc_wait(c->rpc);
        jsonrpc_recv_wait(c->rpc);
    }
}

/* Connection pins live in conntrack, which in DSR sees only the client's
 * half of each TCP connection.  The userspace datapath's TCP tracker then
 * takes every data segment for an out-of-window one and, by design, stops
 * refreshing the entry: pins of busy connections expire after 30 s.
 * Without sequence checks it refreshes them with every packet.  (The
 * kernel datapath needs net.netfilter.nf_conntrack_tcp_be_liberal=1 for
 * the same; see flows/README.md.)  Every new connection is pinned from
 * its first packet, so a flood of spoofed SYNs or datagrams would fill
 * the datapath's whole table: dsrd's zone gets a limit of its own.  Both
 * settings are ovs-vswitchd's runtime state, so dsrd makes them after
 * every connection to the switch, one step after the other.  The first
 * applies to the whole datapath, the operator's conntrack zones too.
 *
 * A restarted ovs-vswitchd takes OpenFlow connections before its control
 * socket exists: a round tries every RELAX_RETRY_MS for RELAX_PATIENCE_MS
 * before it warns.  Nothing here waits for ovs-vswitchd. */
#define RELAX_RETRY_MS 500
#define RELAX_PATIENCE_MS 10000

/* The userspace datapath by name: with a kernel datapath present too,
 * dpctl would not know which one is meant. */
#define RELAX_DATAPATH "netdev@ovs-netdev"

enum relax_step {
    RELAX_TCP_SEQ_CHECKS,       /* dpctl/ct-disable-tcp-seq-chk */
    RELAX_ZONE_LIMIT,           /* dpctl/ct-set-limits */
    RELAX_DONE
};

struct vswitchd_relax {
    struct vswitchd_client *client;
    unsigned int zone_limit;    /* Most pins in DSR_CT_ZONE; 0: none. */
    enum relax_step step;
    long long int since;        /* Start of the round; 0: no round. */
    long long int next_try;     /* When to ask; 0: the question is out. */
    long long int id;           /* The question out. */
};

struct vswitchd_relax *
vswitchd_relax_create(unsigned int zone_limit)
{
    struct vswitchd_relax *r = xzalloc(sizeof *r);

    r->client = vswitchd_client_create();
    r->zone_limit = zone_limit;
    return r;
}

void
vswitchd_relax_destroy(struct vswitchd_relax *r)
{
    if (r) {
        vswitchd_client_destroy(r->client);
        free(r);
    }
}

/* Ends a round, and its connection: the next round may well be to
 * another ovs-vswitchd (a restart), which the old socket does not reach. */
static void
relax_end(struct vswitchd_relax *r)
{
    vswitchd_client_destroy(r->client);
    r->client = vswitchd_client_create();
    r->since = 0;
}

/* Starts a round: after each connection to the switch. */
void
vswitchd_relax_start(struct vswitchd_relax *r)
{
    relax_end(r);
    r->step = RELAX_TCP_SEQ_CHECKS;
    r->since = r->next_try = time_msec();
}

static void
relax_failed(struct vswitchd_relax *r, int error)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 60);
    long long int now = time_msec();

    if (now - r->since < RELAX_PATIENCE_MS) {
        VLOG_DBG("ovs-vswitchd not reachable yet: %s", ovs_strerror(error));
        r->next_try = now + RELAX_RETRY_MS;
        return;
    }
    VLOG_WARN_RL(&rl, "could not reach ovs-vswitchd to turn off TCP "
                 "sequence checks of its conntrack and limit dsrd's zone "
                 "(%s): pins of busy TCP connections may expire after 30 s",
                 ovs_strerror(error));
    relax_end(r);
}

/* Sends the question of 'r''s step. */
static int
relax_ask(struct vswitchd_relax *r)
{
    char *argv[2] = { CONST_CAST(char *, RELAX_DATAPATH), NULL };

    if (r->step == RELAX_TCP_SEQ_CHECKS) {
        return vswitchd_client_send(r->client, "dpctl/ct-disable-tcp-seq-chk",
                                    1, argv, &r->id);
    }
    /* "limit=0" lifts a zone's limit. */
    argv[1] = xasprintf("zone=%d,limit=%u", DSR_CT_ZONE, r->zone_limit);
    int error = vswitchd_client_send(r->client, "dpctl/ct-set-limits", 2,
                                     argv, &r->id);
    free(argv[1]);
    return error;
}

static void
relax_answered(struct vswitchd_relax *r, const char *error_text)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 60);

    if (error_text && r->step == RELAX_TCP_SEQ_CHECKS) {
        /* No userspace datapath: the kernel's conntrack is configured by
         * sysctl, which is the host's business. */
        VLOG_INFO_RL(&rl, "no userspace datapath to relax TCP sequence "
                     "checks in (%s); with the kernel datapath set "
                     "net.netfilter.nf_conntrack_tcp_be_liberal=1",
                     error_text);
        relax_end(r);
        return;
    } else if (error_text) {
        VLOG_WARN_RL(&rl, "could not limit conntrack zone %d to %u pins: "
                     "%s", DSR_CT_ZONE, r->zone_limit, error_text);
    } else if (r->step == RELAX_TCP_SEQ_CHECKS) {
        VLOG_INFO("ovs-vswitchd's conntrack: TCP sequence checks off, for "
                  "one-way connection pins");
    } else if (r->zone_limit) {
        VLOG_INFO("ovs-vswitchd's conntrack: zone %d holds at most %u "
                  "pins", DSR_CT_ZONE, r->zone_limit);
    } else {
        VLOG_INFO("ovs-vswitchd's conntrack: no limit on zone %d",
                  DSR_CT_ZONE);
    }
    r->step++;
    if (r->step == RELAX_DONE) {
        relax_end(r);
    } else {
        r->next_try = time_msec();
    }
}

void
vswitchd_relax_run(struct vswitchd_relax *r)
{
    if (!r->since || (r->next_try && time_msec() < r->next_try)) {
        return;
    }
    if (r->next_try) {
        int error = relax_ask(r);
        if (error) {
            relax_failed(r, error);
            return;
        }
        r->next_try = 0;
    }
    vswitchd_client_run(r->client);

    char *result, *error_text;
    long long int id;
    int error = vswitchd_client_recv(r->client, &id, &result, &error_text);
    if (error && error != EAGAIN) {
        relax_failed(r, error);
    } else if (!error && id == r->id) {
        relax_answered(r, error_text);
    }
    free(result);
    free(error_text);
}

void
vswitchd_relax_wait(struct vswitchd_relax *r)
{
    if (r->since && r->next_try) {
        poll_timer_wait_until(r->next_try);
    } else if (r->since) {
        vswitchd_client_wait(r->client);
    }
}
