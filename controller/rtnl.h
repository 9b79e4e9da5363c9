/* rtnetlink through libmnl, one request at a time: the kernel answers at
 * once, so a request and its acknowledgement (or dump) are one blocking
 * exchange.  Shared by controller/ipip.c and controller/announce.c. */
#ifndef DSR_RTNL_H
#define DSR_RTNL_H 1

#include <libmnl/libmnl.h>

struct rtnl {
    struct mnl_socket *nl;      /* NULL until rtnl_open(). */
    unsigned int seq;
    char *buf;                  /* MNL_SOCKET_BUFFER_SIZE. */
};

void rtnl_init(struct rtnl *);
int rtnl_open(struct rtnl *);
void rtnl_destroy(struct rtnl *);
struct nlmsghdr *rtnl_request(struct rtnl *, int type, int flags);
int rtnl_transact(struct rtnl *, struct nlmsghdr *, mnl_cb_t, void *aux);

#endif /* controller/rtnl.h */
