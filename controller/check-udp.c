/* udp check: a datagram to the backend's real IP that must be answered
 * (or, with expect_reply false, only not refused); the dns preset sends a
 * DNS query and wants a DNS response to it. */
#include <config.h>
#include "controller/health-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "controller/check-udp-payload.h"
#include "controller/model.h"
#include "openvswitch/poll-loop.h"
#include "random.h"
#include "timeval.h"
#include "util.h"

struct udp_probe {
    int fd;
    uint16_t dns_id;
};

static void
udp_start(struct probe *p)
{
    struct udp_probe *up = xzalloc(sizeof *up);
    struct sockaddr_storage ss;
    socklen_t ss_len = probe_sockaddr(p, &ss);
    uint8_t buf[1500];
    size_t len;

    p->priv = up;
    up->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (up->fd < 0) {
        probe_finish(p, false, "socket: %s", ovs_strerror(errno));
        return;
    }
    /* connect() so that an ICMP port unreachable comes back as
     * ECONNREFUSED. */
    if (connect(up->fd, (struct sockaddr *) &ss, ss_len)) {
        probe_finish(p, false, "connect: %s", ovs_strerror(errno));
        return;
    }
    up->dns_id = random_uint32();
    len = check_udp_build_payload(p->check, up->dns_id, buf, sizeof buf);
    if (send(up->fd, buf, len, 0) < 0) {
        probe_finish(p, false, "send: %s", ovs_strerror(errno));
    }
}

static void
udp_run(struct probe *p)
{
    struct udp_probe *up = p->priv;
    uint8_t buf[1500];
    ssize_t n = recv(up->fd, buf, sizeof buf, 0);

    if (n < 0) {
        if (errno == ECONNREFUSED) {
            probe_finish(p, false, "port unreachable");
        } else if (errno != EAGAIN && errno != EINTR) {
            probe_finish(p, false, "recv: %s", ovs_strerror(errno));
        } else if (!p->check->expect_reply && time_msec() >= p->deadline) {
            /* No answer, but no port unreachable either. */
            probe_finish(p, true, NULL);
        }
        return;
    }
    if (p->check->dns && !check_udp_dns_reply_ok(buf, n, up->dns_id)) {
        probe_finish(p, false, "not a DNS response to the query");
        return;
    }
    probe_finish(p, true, NULL);
}

static void
udp_wait(struct probe *p)
{
    struct udp_probe *up = p->priv;

    poll_fd_wait(up->fd, POLLIN);
}

static void
udp_destroy(struct probe *p)
{
    struct udp_probe *up = p->priv;

    if (up) {
        if (up->fd >= 0) {
            close(up->fd);
        }
        free(up);
    }
}

const struct probe_class check_udp_class = {
    .start = udp_start,
    .run = udp_run,
    .wait = udp_wait,
    .destroy = udp_destroy,
};
