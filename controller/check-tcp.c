/* tcp check: a non-blocking connect() to the backend's real IP. */
#include <config.h>
#include "controller/health-private.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "controller/model.h"
#include "openvswitch/poll-loop.h"
#include "socket-util.h"
#include "util.h"

struct tcp_probe {
    int fd;
};

static void
tcp_start(struct probe *p)
{
    struct tcp_probe *tp = xzalloc(sizeof *tp);
    struct sockaddr_storage ss;
    socklen_t ss_len = probe_sockaddr(p, &ss);

    p->priv = tp;
    tp->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (tp->fd < 0) {
        probe_finish(p, false, "socket: %s", ovs_strerror(errno));
        return;
    }
    if (!connect(tp->fd, (struct sockaddr *) &ss, ss_len)) {
        probe_finish(p, true, NULL);
    } else if (errno != EINPROGRESS) {
        probe_finish(p, false, "connect: %s", ovs_strerror(errno));
    }
}

static void
tcp_run(struct probe *p)
{
    struct tcp_probe *tp = p->priv;
    struct pollfd pfd = { .fd = tp->fd, .events = POLLOUT };
    int error = 0;
    socklen_t len = sizeof error;

    if (poll(&pfd, 1, 0) <= 0) {
        return;
    }
    getsockopt(tp->fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (!error) {
        probe_finish(p, true, NULL);
    } else if (error == ECONNREFUSED) {
        probe_finish(p, false, "connection refused");
    } else {
        probe_finish(p, false, "connect: %s", ovs_strerror(error));
    }
}

static void
tcp_wait(struct probe *p)
{
    struct tcp_probe *tp = p->priv;

    poll_fd_wait(tp->fd, POLLOUT);
}

static void
tcp_destroy(struct probe *p)
{
    struct tcp_probe *tp = p->priv;

    if (tp) {
        if (tp->fd >= 0) {
            close(tp->fd);
        }
        free(tp);
    }
}

const struct probe_class check_tcp_class = {
    .start = tcp_start,
    .run = tcp_run,
    .wait = tcp_wait,
    .destroy = tcp_destroy,
};
