/* The sockets of tcp and http probes: one non-blocking TCP connection a
 * probe, all of one check type's in one epoll set, so that a wakeup of
 * the poll loop costs one epoll_wait() for all of them rather than a
 * poll() of each in-flight probe at every iteration. */
#include <config.h>
#include "controller/check-socket.h"

#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "controller/health-private.h"
#include "openvswitch/poll-loop.h"
#include "util.h"

struct probe_sockets {
    int epoll_fd;
    size_t n_open;              /* Probes' sockets not yet closed. */
    probe_socket_ready_cb *ready;
};

struct probe_sockets *
probe_sockets_create(probe_socket_ready_cb *ready)
{
    struct probe_sockets *ps = xzalloc(sizeof *ps);

    ps->ready = ready;
    ps->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (ps->epoll_fd < 0) {
        ovs_fatal(errno, "epoll_create1");
    }
    return ps;
}

void
probe_sockets_destroy(void *ps_)
{
    struct probe_sockets *ps = ps_;

    if (ps) {
        close(ps->epoll_fd);
        free(ps);
    }
}

/* Opens 'p''s connection to its backend and watches it for 'events'.
 * Returns the socket, or -1 after finishing 'p' with the reason. */
int
probe_socket_connect(struct probe_sockets *ps, struct probe *p,
                     uint32_t events)
{
    struct sockaddr_storage ss;
    socklen_t ss_len = probe_sockaddr(p, &ss);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);

    if (fd < 0) {
        probe_finish(p, false, "socket: %s", ovs_strerror(errno));
        return -1;
    }
    ps->n_open++;
    if (connect(fd, (struct sockaddr *) &ss, ss_len) && errno != EINPROGRESS) {
        probe_finish(p, false, "connect: %s", ovs_strerror(errno));
    } else {
        probe_socket_watch(ps, p, fd, EPOLL_CTL_ADD, events);
    }
    return fd;
}

/* Adds 'fd' to the set ('op' EPOLL_CTL_ADD) or changes what it is watched
 * for (EPOLL_CTL_MOD); on failure, finishes 'p'. */
void
probe_socket_watch(struct probe_sockets *ps, struct probe *p, int fd,
                   int op, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.ptr = p };

    if (epoll_ctl(ps->epoll_fd, op, fd, &ev)) {
        probe_finish(p, false, "epoll_ctl: %s", ovs_strerror(errno));
    }
}

/* Takes a socket that probe_socket_connect() returned out of the set and
 * closes it.  close() alone would not do: a child of an exec check, between
 * its fork() and exec(), holds the socket open, and epoll would go on
 * reporting it for a probe since freed (epoll(7)). */
void
probe_socket_close(struct probe_sockets *ps, int fd)
{
    if (fd >= 0) {
        epoll_ctl(ps->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        ps->n_open--;
    }
}

/* Calls the ready callback for each unfinished probe whose socket is
 * ready. */
void
probe_sockets_run(void *ps_)
{
    struct probe_sockets *ps = ps_;
    struct epoll_event events[64];

    if (!ps->n_open) {
        return;
    }
    int n = epoll_wait(ps->epoll_fd, events, ARRAY_SIZE(events), 0);
    for (int i = 0; i < n; i++) {
        struct probe *p = events[i].data.ptr;

        if (!p->done) {
            ps->ready(p, events[i].events);
        }
    }
}

void
probe_sockets_wait(void *ps_)
{
    const struct probe_sockets *ps = ps_;

    if (ps->n_open) {
        poll_fd_wait(ps->epoll_fd, POLLIN);
    }
}
