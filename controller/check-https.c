/* https checks, on libcurl's multi interface driven from dsrd's poll
 * loop: libcurl tells which sockets and timeout it waits for, and gets
 * called back when they are ready.  Up means an expected status (200-399
 * unless configured) and, if asked, a body containing a string; plain
 * http checks are check-http.c's, which also judges the answers.  All of
 * one checker's transfers share one multi handle, the class state
 * (struct http_checker) that health.c keeps for this check type. */
#include <config.h>
#include "controller/health-private.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <string.h>
#include "controller/model.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "openvswitch/poll-loop.h"
#include "timeval.h"
#include "util.h"

/* Bodies are read up to this size for body_contains. */
#define MAX_BODY 65536

/* Easy handles kept for reuse: creating one per probe costs more than
 * the probe. */
#define MAX_SPARE_HANDLES 256

struct http_checker {
    CURLM *multi;
    CURL **spares;
    size_t n_spares;
    int epoll_fd;               /* Ready sockets, without a poll() each. */
    struct hmap sockets;        /* struct curl_sock. */
    long long int timer;        /* time_msec() libcurl wants a call, or
                                 * LLONG_MAX. */
};

/* A socket libcurl waits on. */
struct curl_sock {
    struct hmap_node node;      /* By 'fd'. */
    curl_socket_t fd;
    int what;                   /* CURL_POLL_IN, _OUT or _INOUT. */
};

struct http_probe {
    CURL *easy;
    struct curl_slist *headers;
    struct ds body;
    char error[CURL_ERROR_SIZE];
};

static struct curl_sock *
find_sock(const struct http_checker *hc, curl_socket_t fd)
{
    struct curl_sock *cs;

    HMAP_FOR_EACH_WITH_HASH (cs, node, hash_int(fd, 0), &hc->sockets) {
        if (cs->fd == fd) {
            return cs;
        }
    }
    return NULL;
}

static int
socket_cb(CURL *easy OVS_UNUSED, curl_socket_t fd, int what, void *hc_,
          void *socketp OVS_UNUSED)
{
    struct http_checker *hc = hc_;
    struct curl_sock *cs = find_sock(hc, fd);
    struct epoll_event ev = {
        .events = ((what & CURL_POLL_IN ? EPOLLIN : 0)
                   | (what & CURL_POLL_OUT ? EPOLLOUT : 0)),
        .data.fd = fd,
    };

    if (what == CURL_POLL_REMOVE) {
        if (cs) {
            epoll_ctl(hc->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
            hmap_remove(&hc->sockets, &cs->node);
            free(cs);
        }
    } else {
        /* A closed descriptor leaves epoll by itself, and its number may
         * come back for a new socket: add or modify, whichever works,
         * trying first what is likely (a system call a probe saved). */
        int op = cs ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl(hc->epoll_fd, op, fd, &ev)) {
            epoll_ctl(hc->epoll_fd,
                      op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
                      fd, &ev);
        }
        if (!cs) {
            cs = xmalloc(sizeof *cs);
            cs->fd = fd;
            hmap_insert(&hc->sockets, &cs->node, hash_int(fd, 0));
        }
        cs->what = what;
    }
    return 0;
}

static int
timer_cb(CURLM *multi OVS_UNUSED, long timeout_ms, void *hc_)
{
    struct http_checker *hc = hc_;

    hc->timer = timeout_ms < 0 ? LLONG_MAX : time_msec() + timeout_ms;
    return 0;
}

static void *
http_checker_create(void)
{
    struct http_checker *hc = xzalloc(sizeof *hc);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    hc->multi = curl_multi_init();
    hc->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    hc->spares = xmalloc(MAX_SPARE_HANDLES * sizeof *hc->spares);
    hmap_init(&hc->sockets);
    hc->timer = LLONG_MAX;
    curl_multi_setopt(hc->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(hc->multi, CURLMOPT_SOCKETDATA, hc);
    curl_multi_setopt(hc->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(hc->multi, CURLMOPT_TIMERDATA, hc);
    return hc;
}

static void
http_checker_destroy(void *hc_)
{
    struct http_checker *hc = hc_;

    if (hc) {
        struct curl_sock *cs;

        curl_multi_cleanup(hc->multi);
        for (size_t i = 0; i < hc->n_spares; i++) {
            curl_easy_cleanup(hc->spares[i]);
        }
        free(hc->spares);
        close(hc->epoll_fd);
        HMAP_FOR_EACH_POP (cs, node, &hc->sockets) {
            free(cs);
        }
        hmap_destroy(&hc->sockets);
        free(hc);
        curl_global_cleanup();
    }
}

static void
finish_transfer(struct probe *p, CURLcode code)
{
    struct http_probe *hp = p->priv;
    char reason[sizeof p->reason];
    long status = 0;

    if (code != CURLE_OK) {
        probe_finish(p, false, "%s", hp->error[0] ? hp->error
                                                  : curl_easy_strerror(code));
        return;
    }
    curl_easy_getinfo(hp->easy, CURLINFO_RESPONSE_CODE, &status);
    if (check_http_verdict(p->check, status, hp->body.string
                                             ? hp->body.string : "",
                           hp->body.length, reason, sizeof reason)) {
        probe_finish(p, true, NULL);
    } else {
        probe_finish(p, false, "%s", reason);
    }
}

/* Drives every transfer: the sockets epoll says are ready, the timer,
 * then the transfers that finished. */
static void
http_checker_run(void *hc_)
{
    struct http_checker *hc = hc_;
    struct epoll_event events[64];
    int running, left;
    CURLMsg *msg;

    int n = epoll_wait(hc->epoll_fd, events, ARRAY_SIZE(events), 0);
    for (int i = 0; i < n; i++) {
        uint32_t e = events[i].events;
        int ev = ((e & EPOLLIN ? CURL_CSELECT_IN : 0)
                  | (e & EPOLLOUT ? CURL_CSELECT_OUT : 0)
                  | (e & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0));
        curl_multi_socket_action(hc->multi, events[i].data.fd, ev,
                                 &running);
    }
    if (time_msec() >= hc->timer) {
        hc->timer = LLONG_MAX;
        curl_multi_socket_action(hc->multi, CURL_SOCKET_TIMEOUT, 0,
                                 &running);
    }
    while ((msg = curl_multi_info_read(hc->multi, &left))) {
        if (msg->msg == CURLMSG_DONE) {
            struct probe *p;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
            finish_transfer(p, msg->data.result);
        }
    }
}

static void
http_checker_wait(void *hc_)
{
    struct http_checker *hc = hc_;

    if (!hmap_is_empty(&hc->sockets)) {
        poll_fd_wait(hc->epoll_fd, POLLIN);
    }
    if (hc->timer != LLONG_MAX) {
        poll_timer_wait_until(hc->timer);
    }
}

static size_t
write_cb(char *data, size_t size, size_t n, void *hp_)
{
    struct http_probe *hp = hp_;
    size_t len = size * n;

    if (hp->body.length < MAX_BODY) {
        ds_put_buffer(&hp->body, data, MIN(len, MAX_BODY - hp->body.length));
    }
    return len;
}

/* A new easy handle with the options every probe shares; a spare keeps
 * them, and each probe sets all the others. */
static CURL *
new_easy(void)
{
    CURL *easy = curl_easy_init();

    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    /* The request is one small write: Nagle's algorithm never delays it,
     * and the setsockopt() is a system call a probe saved. */
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 0L);
    /* The URL holds an address, yet libcurl keeps a "DNS" cache entry per
     * host and prunes the whole cache at each new transfer: with
     * thousands of backends that walk dominated dsrd's CPU. */
    curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0L);
    return easy;
}

static void
http_start(struct probe *p)
{
    const struct dsr_health_check *c = p->check;
    struct http_probe *hp = xzalloc(sizeof *hp);
    struct http_checker *hc = p->class_state;
    bool tls = c->type == DSR_CHECK_HTTPS;

    p->priv = hp;
    ds_init(&hp->body);
    hp->easy = hc->n_spares ? hc->spares[--hc->n_spares] : new_easy();
    char ip[INET6_ADDRSTRLEN];
    bool v4 = IN6_IS_ADDR_V4MAPPED(&p->ip);
    char *url = xasprintf("%s://%s%s%s:%"PRIu16"%s", tls ? "https" : "http",
                          v4 ? "" : "[", dsr_ip_to_string(&p->ip, ip),
                          v4 ? "" : "]", c->port, c->path);
    curl_easy_setopt(hp->easy, CURLOPT_URL, url);
    free(url);
    curl_easy_setopt(hp->easy, CURLOPT_PRIVATE, p);
    /* A little under the probe's deadline, so that curl's own reason
     * ("Connection timed out...") is the one reported. */
    curl_easy_setopt(hp->easy, CURLOPT_TIMEOUT_MS,
                     (long) MAX(c->timeout_ms - 5, c->timeout_ms / 2));
    curl_easy_setopt(hp->easy, CURLOPT_ERRORBUFFER, hp->error);
    curl_easy_setopt(hp->easy, CURLOPT_WRITEDATA, hp);
    curl_easy_setopt(hp->easy, CURLOPT_NOBODY,
                     strcmp(c->method, "HEAD") ? 0L : 1L);
    curl_easy_setopt(hp->easy, CURLOPT_SSL_VERIFYPEER,
                     tls && c->tls_verify ? 1L : 0L);
    curl_easy_setopt(hp->easy, CURLOPT_SSL_VERIFYHOST,
                     tls && c->tls_verify ? 2L : 0L);
    if (c->host) {
        char *h = xasprintf("Host: %s", c->host);
        hp->headers = curl_slist_append(hp->headers, h);
        free(h);
    }
    hp->headers = curl_slist_append(hp->headers,
                                    "User-Agent: dsrd-health-check");
    curl_easy_setopt(hp->easy, CURLOPT_HTTPHEADER, hp->headers);
    curl_multi_add_handle(hc->multi, hp->easy);
}

static void
http_destroy(struct probe *p)
{
    struct http_probe *hp = p->priv;

    if (hp) {
        struct http_checker *hc = p->class_state;
        curl_multi_remove_handle(hc->multi, hp->easy);
        if (hc->n_spares < MAX_SPARE_HANDLES) {
            /* Not curl_easy_reset(): new_easy()'s options stay, and the
             * next probe sets the rest, 'hp''s pointers included. */
            hc->spares[hc->n_spares++] = hp->easy;
        } else {
            curl_easy_cleanup(hp->easy);
        }
        curl_slist_free_all(hp->headers);
        ds_destroy(&hp->body);
        free(hp);
    }
}

const struct probe_class check_https_class = {
    .class_create = http_checker_create,
    .class_destroy = http_checker_destroy,
    .class_run = http_checker_run,
    .class_wait = http_checker_wait,
    .start = http_start,
    .destroy = http_destroy,
};
