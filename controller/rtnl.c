/* See rtnl.h. */
#include <config.h>
#include "controller/rtnl.h"

#include <errno.h>
#include <time.h>
#include <linux/netlink.h>
#include "util.h"

void
rtnl_init(struct rtnl *r)
{
    r->nl = NULL;
    r->seq = time(NULL);
    r->buf = xmalloc(MNL_SOCKET_BUFFER_SIZE);
}

/* Opens the socket if it is not open.  Returns 0 or an errno value. */
int
rtnl_open(struct rtnl *r)
{
    if (r->nl) {
        return 0;
    }
    r->nl = mnl_socket_open(NETLINK_ROUTE);
    if (!r->nl || mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        int error = errno;
        if (r->nl) {
            mnl_socket_close(r->nl);
            r->nl = NULL;
        }
        return error;
    }
    return 0;
}

void
rtnl_destroy(struct rtnl *r)
{
    if (r->nl) {
        mnl_socket_close(r->nl);
        r->nl = NULL;
    }
    free(r->buf);
    r->buf = NULL;
}

/* A request of 'type' in the buffer, acknowledged ('flags' added). */
struct nlmsghdr *
rtnl_request(struct rtnl *r, int type, int flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    nlh->nlmsg_seq = ++r->seq;
    return nlh;
}

/* Sends 'nlh' and reads the answer to its end, 'cb' (if nonnull) seeing
 * each message of a dump.  Returns 0 or an errno value. */
int
rtnl_transact(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *aux)
{
    unsigned int seq = nlh->nlmsg_seq;
    unsigned int portid = mnl_socket_get_portid(r->nl);
    int ret;

    if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0) {
        return errno;
    }
    do {
        ret = mnl_socket_recvfrom(r->nl, r->buf, MNL_SOCKET_BUFFER_SIZE);
        if (ret < 0) {
            return errno;
        }
        ret = mnl_cb_run(r->buf, ret, seq, portid, cb, aux);
    } while (ret > 0);
    return ret < 0 ? errno : 0;
}
