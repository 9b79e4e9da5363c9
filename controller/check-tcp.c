/* tcp check: a non-blocking connect() to the backend's real IP, its
 * socket in the check type's epoll set (check-socket.c). */
#include <config.h>
#include "controller/health-private.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "controller/check-socket.h"
#include "util.h"

struct tcp_probe {
    int fd;
};

static void
tcp_start(struct probe *p)
{
    struct tcp_probe *tp = xmalloc(sizeof *tp);

    p->priv = tp;
    tp->fd = probe_socket_connect(p->class_state, p, EPOLLOUT);
}

/* The connection is made or has failed. */
static void
tcp_ready(struct probe *p, uint32_t events OVS_UNUSED)
{
    struct tcp_probe *tp = p->priv;
    int error = 0;
    socklen_t len = sizeof error;

    getsockopt(tp->fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (!error) {
        probe_finish(p, true, NULL);
    } else if (error == ECONNREFUSED) {
        probe_finish(p, false, "connection refused");
    } else {
        probe_finish(p, false, "connect: %s", ovs_strerror(error));
    }
    probe_socket_close(p->class_state, tp->fd);
    tp->fd = -1;
}

static void
tcp_destroy(struct probe *p)
{
    struct tcp_probe *tp = p->priv;

    if (tp) {
        probe_socket_close(p->class_state, tp->fd);
        free(tp);
    }
}

static void *
tcp_create(void)
{
    return probe_sockets_create(tcp_ready);
}

const struct probe_class check_tcp_class = {
    .class_create = tcp_create,
    .class_destroy = probe_sockets_destroy,
    .class_run = probe_sockets_run,
    .class_wait = probe_sockets_wait,
    .start = tcp_start,
    .destroy = tcp_destroy,
};
