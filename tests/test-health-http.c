/* Unit tests: the http check (controller/check-http.c) against a server
 * the test plays itself on 127.0.0.1, answering each probe's request with
 * the bytes a case gives: the request it writes, when it knows the answer
 * is complete, and what it makes of answers good and bad. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "controller/health-private.h"
#include "controller/model.h"
#include "openvswitch/dynamic-string.h"
#include "timeval.h"
#include "util.h"

/* A probe that has no verdict in this time has hung: a failure. */
#define PROBE_LIMIT_MS 3000

struct server {
    int listen_fd;
    uint16_t port;
    int conn_fd;
    struct ds request;
    size_t piece;               /* Bytes of the answer a step, 0: all. */
    size_t sent;
};

static void
server_open(struct server *s)
{
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    socklen_t len = sizeof sin;

    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(s->listen_fd, 0);
    ck_assert_int_eq(bind(s->listen_fd, (struct sockaddr *) &sin, len), 0);
    ck_assert_int_eq(listen(s->listen_fd, 4), 0);
    getsockname(s->listen_fd, (struct sockaddr *) &sin, &len);
    s->port = ntohs(sin.sin_port);
    s->conn_fd = -1;
    ds_init(&s->request);
    s->piece = s->sent = 0;
}

static void
server_close(struct server *s)
{
    if (s->conn_fd >= 0) {
        close(s->conn_fd);
    }
    close(s->listen_fd);
    ds_destroy(&s->request);
}

/* Accepts the probe's connection, reads its request and answers it with
 * 'answer', 's->piece' bytes a step if set, closing the connection after
 * it if 'close_after'.  Returns true once it has answered. */
static bool
server_step(struct server *s, const char *answer, bool close_after)
{
    if (s->conn_fd < 0) {
        s->conn_fd = accept(s->listen_fd, NULL, NULL);
        return false;
    }
    char buf[4096];
    ssize_t n = recv(s->conn_fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        ds_put_buffer(&s->request, buf, n);
    }
    if (!strstr(ds_cstr(&s->request), "\r\n\r\n")) {
        return false;
    }
    size_t left = strlen(answer) - s->sent;
    size_t n_send = s->piece ? MIN(s->piece, left) : left;
    ck_assert_int_eq(send(s->conn_fd, answer + s->sent, n_send, 0), n_send);
    s->sent += n_send;
    if (n_send < left) {
        return false;
    }
    if (close_after) {
        close(s->conn_fd);
        s->conn_fd = -2;
    }
    return true;
}

static struct dsr_health_check
http_check(uint16_t port)
{
    return (struct dsr_health_check) {
        .type = DSR_CHECK_HTTP, .timeout_ms = PROBE_LIMIT_MS, .port = port,
        .method = "GET", .path = "/health",
    };
}

/* Runs one probe of 'check' against 's' until it has a verdict. */
static void
run_probe(struct server *s, const struct dsr_health_check *check,
          const char *answer, bool close_after, struct probe *p)
{
    const struct probe_class *class = &check_http_class;
    long long int limit = time_msec() + PROBE_LIMIT_MS;
    bool answered = false;

    memset(p, 0, sizeof *p);
    p->class = class;
    p->class_state = class->class_create();
    p->check = check;
    in6_addr_set_mapped_ipv4(&p->ip, htonl(INADDR_LOOPBACK));
    class->start(p);
    while (!p->done && time_msec() < limit) {
        if (s && !answered && s->conn_fd != -2) {
            answered = server_step(s, answer, close_after);
        }
        struct pollfd pfd = { .fd = s ? s->listen_fd : -1 };
        poll(&pfd, 1, 1);
        class->class_run(p->class_state);
    }
    class->destroy(p);
    class->class_destroy(p->class_state);
    ck_assert_msg(p->done, "no verdict in %d ms", PROBE_LIMIT_MS);
}

START_TEST(test_request_and_content_length)
{
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe p;

    /* The server keeps the connection: Content-Length ends the answer. */
    run_probe(&s, &c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
              false, &p);
    ck_assert_msg(p.up, "%s", p.reason);
    char *want = xasprintf("GET /health HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n",
                           s.port);
    ck_assert_msg(!strncmp(ds_cstr(&s.request), want, strlen(want)),
                  "request: %s", ds_cstr(&s.request));
    free(want);
    server_close(&s);
}
END_TEST

/* An answer read a byte at a time: the end of its headers, split over
 * four reads, is found all the same, and Content-Length ends it. */
START_TEST(test_answer_in_pieces)
{
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe p;

    s.piece = 1;
    c.body_contains = "ready";
    run_probe(&s, &c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nready",
              false, &p);
    ck_assert_msg(p.up, "%s", p.reason);
    server_close(&s);
}
END_TEST

START_TEST(test_head_and_host)
{
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe p;

    /* A HEAD's answer ends with its headers, whatever Content-Length
     * says. */
    c.method = "HEAD";
    c.host = "www.example.org";
    run_probe(&s, &c, "HTTP/1.1 204 No Content\r\nContent-Length: 900\r\n"
              "\r\n", false, &p);
    ck_assert_msg(p.up, "%s", p.reason);
    ck_assert_msg(strstr(ds_cstr(&s.request),
                         "HEAD /health HTTP/1.0\r\n"
                         "Host: www.example.org\r\n"), "request: %s",
                  ds_cstr(&s.request));
    server_close(&s);
}
END_TEST

/* Answers the server closes after, and the verdicts they get. */
static const struct {
    const char *answer;
    const char *body_contains;
    const char *reason;         /* NULL: up. */
} answers[] = {
    { "HTTP/1.0 200 OK\r\n\r\nall is ready\n", "ready", NULL },
    { "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n", NULL, NULL },
    { "HTTP/1.0 503 Service Unavailable\r\n\r\n", NULL, "HTTP 503" },
    { "HTTP/1.0 200 OK\r\n\r\nstarting\n", "ready",
      "HTTP 200 without \"ready\" in the body" },
    { "HTTP/1.1 200 OK\r\n", NULL, "connection closed before the headers" },
    { "SSH-2.0-OpenSSH_9.2\r\n\r\n", NULL, "not an HTTP answer" },
    { "HTTP/1.1 20 OK\r\n\r\n", NULL, "not an HTTP answer" },
    { "", NULL, "connection closed before the headers" },
};

START_TEST(test_answers)
{
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe p;

    c.body_contains = CONST_CAST(char *, answers[_i].body_contains);
    run_probe(&s, &c, answers[_i].answer, true, &p);
    if (answers[_i].reason) {
        ck_assert_msg(!p.up, "up on: %s", answers[_i].answer);
        ck_assert_str_eq(p.reason, answers[_i].reason);
    } else {
        ck_assert_msg(p.up, "%s on: %s", p.reason, answers[_i].answer);
    }
    server_close(&s);
}
END_TEST

START_TEST(test_refused)
{
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe p;

    /* Nothing listens on the port any more. */
    server_close(&s);
    run_probe(NULL, &c, NULL, false, &p);
    ck_assert(!p.up);
    ck_assert_str_eq(p.reason, "connection refused");
}
END_TEST

/* An exec check's child holds dsrd's sockets between its fork() and
 * exec(): a probe given up then must leave the epoll set all the same, or
 * the next run hands its freed memory to the check (the sanitizers'
 * build reports it). */
START_TEST(test_socket_held_by_a_child)
{
    const struct probe_class *class = &check_http_class;
    void *state = class->class_create();
    struct server s;
    server_open(&s);
    struct dsr_health_check c = http_check(s.port);
    struct probe *probes[2];

    for (int i = 0; i < 2; i++) {
        struct probe *p = probes[i] = xzalloc(sizeof *p);
        p->class = class;
        p->class_state = state;
        p->check = &c;
        in6_addr_set_mapped_ipv4(&p->ip, htonl(INADDR_LOOPBACK));
        class->start(p);
    }
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    if (!pid) {
        char x;
        ck_assert_int_eq(read(fds[0], &x, 1), 1);
        _exit(0);
    }
    class->destroy(probes[0]);
    free(probes[0]);
    /* Both connections are made (the listener's backlog took them), so
     * both sockets are ready to write. */
    class->class_run(state);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    waitpid(pid, NULL, 0);
    class->destroy(probes[1]);
    free(probes[1]);
    class->class_destroy(state);
    server_close(&s);
}
END_TEST

CHECK_MAIN("health-http",
           CHECK_TEST(test_request_and_content_length),
           CHECK_TEST(test_answer_in_pieces),
           CHECK_TEST(test_head_and_host),
           CHECK_LOOP_TEST(test_answers, ARRAY_SIZE(answers)),
           CHECK_TEST(test_refused),
           CHECK_TEST(test_socket_held_by_a_child))
