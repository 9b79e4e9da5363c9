/* http checks of our own: one HTTP/1.0 request on a non-blocking socket,
 * as keepalived's HTTP_GET and HAProxy's httpchk do.  libcurl (https,
 * check-https.c) cost 2.1 to 2.8 times a tcp check per probe, its state
 * machine and its extra system calls (getsockname, getpeername, a second
 * epoll_ctl) being most of the difference (bench/README.md, "Health
 * checks at scale").  HTTP/1.0 keeps the answer simple to read: no
 * chunked body, and the server closes, so its TIME_WAIT stays there.
 * Its sockets are check-socket.c's, in one epoll set. */
#include <config.h>
#include "controller/health-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "controller/check-socket.h"
#include "controller/model.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* The status line and headers are read up to this size, and the body up
 * to MAX_BODY past them, as check-https.c keeps for body_contains. */
#define MAX_HEAD 8192
#define MAX_BODY 65536

enum http_step {
    HTTP_CONNECTING,            /* Waiting to write the request. */
    HTTP_READING,               /* Request sent, reading the answer. */
};

struct http_probe {
    int fd;
    enum http_step step;
    struct ds request;
    size_t sent;
    struct ds answer;
    size_t scanned;             /* Of 'answer', searched for the body. */
    size_t body;                /* Where the body starts, or 0. */
    long long int content_length;       /* -1 if none. */
};

static void
format_request(const struct probe *p, struct ds *req)
{
    const struct dsr_health_check *c = p->check;
    char ip[INET6_ADDRSTRLEN];

    ds_put_format(req, "%s %s HTTP/1.0\r\nHost: ", c->method, c->path);
    if (c->host) {
        ds_put_cstr(req, c->host);
    } else {
        bool v4 = IN6_IS_ADDR_V4MAPPED(&p->ip);
        ds_put_format(req, "%s%s%s", v4 ? "" : "[",
                      dsr_ip_to_string(&p->ip, ip), v4 ? "" : "]");
        if (c->port != 80) {
            ds_put_format(req, ":%"PRIu16, c->port);
        }
    }
    ds_put_cstr(req, "\r\nUser-Agent: dsrd-health-check\r\n"
                "Accept: */*\r\n\r\n");
}

static void
http_start(struct probe *p)
{
    struct http_probe *hq = xzalloc(sizeof *hq);

    p->priv = hq;
    ds_init(&hq->request);
    ds_init(&hq->answer);
    hq->content_length = -1;
    format_request(p, &hq->request);
    hq->fd = probe_socket_connect(p->class_state, p, EPOLLOUT);
}

/* Sends what is left of the request.  A failed connect() shows here as
 * send()'s error, which saves a getsockopt(SO_ERROR) on every probe. */
static void
send_request(struct probe *p)
{
    struct http_probe *hq = p->priv;
    ssize_t n = send(hq->fd, hq->request.string + hq->sent,
                     hq->request.length - hq->sent, MSG_NOSIGNAL);

    if (n < 0) {
        if (errno == ECONNREFUSED) {
            probe_finish(p, false, "connection refused");
        } else if (errno != EAGAIN && errno != EINTR) {
            probe_finish(p, false, "connect: %s", ovs_strerror(errno));
        }
        return;
    }
    hq->sent += n;
    if (hq->sent == hq->request.length) {
        hq->step = HTTP_READING;
        probe_socket_watch(p->class_state, p, hq->fd, EPOLL_CTL_MOD,
                           EPOLLIN);
    }
}

static bool
status_expected(const struct dsr_health_check *check, long status)
{
    if (!check->n_expect_status) {
        return status >= 200 && status < 400;
    }
    for (size_t i = 0; i < check->n_expect_status; i++) {
        if (check->expect_status[i] == status) {
            return true;
        }
    }
    return false;
}

/* Judges a backend's answer: 'status' and the first 'len' bytes of its
 * body (at most MAX_BODY are kept).  The body is the backend's, so it may
 * hold anything, NUL bytes included.  Returns true if it is up; otherwise
 * writes why into 'reason'. */
bool
check_http_verdict(const struct dsr_health_check *check, long status,
                   const char *body, size_t len, char *reason, size_t size)
{
    const char *want = check->body_contains;

    if (!status_expected(check, status)) {
        snprintf(reason, size, "HTTP %ld", status);
        return false;
    }
    if (want && *want && !memmem(body, len, want, strlen(want))) {
        snprintf(reason, size, "HTTP %ld without \"%s\" in the body",
                 status, want);
        return false;
    }
    return true;
}

/* Parses "HTTP/1.x NNN ..." at the start of 'answer'; returns the status
 * or -1. */
static int
parse_status(const struct ds *answer)
{
    const char *s = answer->string;
    int status;
    char sp;

    if (answer->length < 12 || strncmp(s, "HTTP/1.", 7)
        || sscanf(s + 8, " %3d%c", &status, &sp) != 2
        || (sp != ' ' && sp != '\r') || status < 100 || status > 999) {
        return -1;
    }
    return status;
}

/* Looks for the end of the headers in what 'hq''s answer got since the
 * last look, so that an answer read in many pieces is searched once;
 * once found, notes where the body starts and the Content-Length. */
static void
find_body(struct http_probe *hq)
{
    const struct ds *a = &hq->answer;
    size_t from = hq->scanned >= 3 ? hq->scanned - 3 : 0;
    const char *end = memmem(a->string + from, a->length - from,
                             "\r\n\r\n", 4);

    hq->scanned = a->length;
    if (!end) {
        return;
    }
    hq->body = end + 4 - a->string;
    const char *cl = strcasestr(a->string, "\r\nContent-Length:");
    if (cl && cl < end) {
        hq->content_length = strtoull(cl + 17, NULL, 10);
    }
}

/* Judges the whole answer ('eof' if the server closed). */
static void
judge(struct probe *p, bool eof)
{
    struct http_probe *hq = p->priv;
    char reason[sizeof p->reason];

    if (!hq->body) {
        probe_finish(p, false, eof ? "connection closed before the headers"
                                   : "HTTP headers longer than %d bytes",
                     MAX_HEAD);
        return;
    }
    int status = parse_status(&hq->answer);
    if (status < 0) {
        probe_finish(p, false, "not an HTTP answer");
        return;
    }
    const char *body = hq->answer.string + hq->body;
    size_t len = hq->answer.length - hq->body;
    if (check_http_verdict(p->check, status, body, len,
                           reason, sizeof reason)) {
        probe_finish(p, true, NULL);
    } else {
        probe_finish(p, false, "%s", reason);
    }
}

/* True once 'hq''s answer holds everything the verdict needs before the
 * server closes: the headers of a HEAD, the Content-Length of a GET, or
 * as much body as is kept. */
static bool
answer_complete(const struct probe *p, const struct http_probe *hq)
{
    if (!hq->body) {
        return hq->answer.length >= MAX_HEAD;
    }
    unsigned long long int got = hq->answer.length - hq->body;
    return (!strcmp(p->check->method, "HEAD") || got >= MAX_BODY
            || (hq->content_length >= 0
                && got >= (unsigned long long int) hq->content_length));
}

static void
read_answer(struct probe *p)
{
    struct http_probe *hq = p->priv;
    char buf[4096];
    ssize_t n = recv(hq->fd, buf, sizeof buf, 0);

    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            probe_finish(p, false, "recv: %s", ovs_strerror(errno));
        }
        return;
    }
    ds_put_buffer(&hq->answer, buf, n);
    if (!hq->body) {
        find_body(hq);
    }
    if (!n || answer_complete(p, hq)) {
        judge(p, !n);
    }
}

/* 'p''s socket is ready for what its step waits on. */
static void
http_ready(struct probe *p, uint32_t events OVS_UNUSED)
{
    struct http_probe *hq = p->priv;

    if (hq->step == HTTP_CONNECTING) {
        send_request(p);
    } else {
        read_answer(p);
    }
    if (p->done) {
        probe_socket_close(p->class_state, hq->fd);
        hq->fd = -1;
    }
}

static void
http_destroy(struct probe *p)
{
    struct http_probe *hq = p->priv;

    if (hq) {
        probe_socket_close(p->class_state, hq->fd);
        ds_destroy(&hq->request);
        ds_destroy(&hq->answer);
        free(hq);
    }
}

static void *
http_create(void)
{
    return probe_sockets_create(http_ready);
}

const struct probe_class check_http_class = {
    .class_create = http_create,
    .class_destroy = probe_sockets_destroy,
    .class_run = probe_sockets_run,
    .class_wait = probe_sockets_wait,
    .start = http_start,
    .destroy = http_destroy,
};
