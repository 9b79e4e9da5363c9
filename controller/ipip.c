/* See ipip.h.  rtnetlink through libmnl, one request at a time, each
 * acknowledged: the kernel side changes only when backends of ipip
 * services come or go. */
#include <config.h>
#include "controller/ipip.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "controller/rtnl.h"
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <linux/tc_act/tc_tunnel_key.h>
#include <arpa/inet.h>
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ipip);

#define INGRESS_PARENT 0xffff0000U    /* The ingress qdisc, "ffff:". */

struct ipip {
    char *port;                 /* Internal port into the kernel. */
    struct rtnl rtnl;
    bool ready;                 /* Device, qdisc and 'installed' known. */
    uint32_t *installed;        /* Filter handles (marks), host order. */
    size_t n_installed, allocated;
};

struct ipip *
ipip_create(const char *port)
{
    struct ipip *ipip = xzalloc(sizeof *ipip);

    ipip->port = xstrdup(port);
    rtnl_init(&ipip->rtnl);
    return ipip;
}

void
ipip_destroy(struct ipip *ipip)
{
    if (ipip) {
        rtnl_destroy(&ipip->rtnl);
        free(ipip->port);
        free(ipip->installed);
        free(ipip);
    }
}

/* The next ipip_sync() reads the kernel's state back first. */
void
ipip_invalidate(struct ipip *ipip)
{
    ipip->ready = false;
}

size_t
ipip_count(const struct ipip *ipip)
{
    return ipip ? ipip->n_installed : 0;
}


static struct tcmsg *
put_tcmsg(struct nlmsghdr *nlh, int ifindex, uint32_t handle,
          uint32_t parent, uint32_t info)
{
    struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof *tcm);

    tcm->tcm_family = AF_UNSPEC;
    tcm->tcm_ifindex = ifindex;
    tcm->tcm_handle = handle;
    tcm->tcm_parent = parent;
    tcm->tcm_info = info;
    return tcm;
}

/* Sets 'ifindex' up. */
static int
link_up(struct ipip *ipip, int ifindex)
{
    struct nlmsghdr *nlh = rtnl_request(&ipip->rtnl, RTM_NEWLINK, 0);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = ifi->ifi_change = IFF_UP;
    return rtnl_transact(&ipip->rtnl, nlh, NULL, NULL);
}

/* "ip link add IPIP_TX_DEVICE type ipip external", unless it exists. */
static int
create_tx_device(struct ipip *ipip)
{
    struct nlmsghdr *nlh = rtnl_request(&ipip->rtnl, RTM_NEWLINK,
                                         NLM_F_CREATE | NLM_F_EXCL);
    struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);

    ifi->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, IPIP_TX_DEVICE);
    struct nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "ipip");
    struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put(nlh, IFLA_IPTUN_COLLECT_METADATA, 0, NULL);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, linkinfo);

    int error = rtnl_transact(&ipip->rtnl, nlh, NULL, NULL);
    if (!error) {
        VLOG_INFO("created %s (ipip, external) for ipip services",
                  IPIP_TX_DEVICE);
    }
    return error == EEXIST ? 0 : error;
}

static uint32_t
filter_info(void)
{
    return TC_H_MAKE(IPIP_TC_PRIO << 16, htons(ETH_P_IP));
}

/* Collects the handles of dsrd's filters from a dump. */
static int
dump_cb(const struct nlmsghdr *nlh, void *ipip_)
{
    struct ipip *ipip = ipip_;
    const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);

    if (nlh->nlmsg_type == RTM_NEWTFILTER && tcm->tcm_handle
        && tcm->tcm_info == filter_info()) {
        if (ipip->n_installed == ipip->allocated) {
            ipip->installed = x2nrealloc(ipip->installed, &ipip->allocated,
                                         sizeof *ipip->installed);
        }
        ipip->installed[ipip->n_installed++] = tcm->tcm_handle;
    }
    return MNL_CB_OK;
}

/* Creates or replaces the filter that sends packets marked 'ip' to 'ip'
 * through IPIP_TX_DEVICE. */
static int
put_filter(struct ipip *ipip, int port, int tx, ovs_be32 ip)
{
    struct nlmsghdr *nlh = rtnl_request(&ipip->rtnl, RTM_NEWTFILTER, NLM_F_CREATE);

    put_tcmsg(nlh, port, ntohl(ip), INGRESS_PARENT, filter_info());
    mnl_attr_put_strz(nlh, TCA_KIND, "fw");
    struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
    struct nlattr *acts = mnl_attr_nest_start(nlh, TCA_FW_ACT);

    struct nlattr *act = mnl_attr_nest_start(nlh, 1);
    mnl_attr_put_strz(nlh, TCA_ACT_KIND, "tunnel_key");
    struct nlattr *aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
    struct tc_tunnel_key key = {
        .action = TC_ACT_PIPE,
        .t_action = TCA_TUNNEL_KEY_ACT_SET,
    };
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_PARMS, sizeof key, &key);
    /* Source 0: the kernel's route to the backend chooses it. */
    mnl_attr_put_u32(nlh, TCA_TUNNEL_KEY_ENC_IPV4_SRC, 0);
    mnl_attr_put_u32(nlh, TCA_TUNNEL_KEY_ENC_IPV4_DST,
                     (OVS_FORCE uint32_t) ip);
    mnl_attr_put_u8(nlh, TCA_TUNNEL_KEY_ENC_TTL, 64);
    mnl_attr_nest_end(nlh, aopts);
    mnl_attr_nest_end(nlh, act);

    act = mnl_attr_nest_start(nlh, 2);
    mnl_attr_put_strz(nlh, TCA_ACT_KIND, "mirred");
    aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
    struct tc_mirred mirred = {
        .action = TC_ACT_STOLEN,
        .eaction = TCA_EGRESS_REDIR,
        .ifindex = tx,
    };
    mnl_attr_put(nlh, TCA_MIRRED_PARMS, sizeof mirred, &mirred);
    mnl_attr_nest_end(nlh, aopts);
    mnl_attr_nest_end(nlh, act);

    mnl_attr_nest_end(nlh, acts);
    mnl_attr_nest_end(nlh, opts);
    return rtnl_transact(&ipip->rtnl, nlh, NULL, NULL);
}

static int
delete_filter(struct ipip *ipip, int port, uint32_t handle)
{
    struct nlmsghdr *nlh = rtnl_request(&ipip->rtnl, RTM_DELTFILTER, 0);

    put_tcmsg(nlh, port, handle, INGRESS_PARENT, filter_info());
    mnl_attr_put_strz(nlh, TCA_KIND, "fw");
    int error = rtnl_transact(&ipip->rtnl, nlh, NULL, NULL);
    return error == ENOENT ? 0 : error;
}

/* The device, the port up, its ingress qdisc, and what filters it has. */
static char *
prepare(struct ipip *ipip, int port)
{
    int error;

    error = rtnl_open(&ipip->rtnl);
    if (error) {
        return xasprintf("rtnetlink: %s", ovs_strerror(error));
    }
    error = create_tx_device(ipip);
    if (error) {
        return xasprintf("cannot create %s (ip link add %s type ipip "
                         "external): %s%s", IPIP_TX_DEVICE, IPIP_TX_DEVICE,
                         ovs_strerror(error),
                         error == EOPNOTSUPP ? " (modprobe ipip)" : "");
    }
    int tx = if_nametoindex(IPIP_TX_DEVICE);
    if (!tx || (error = link_up(ipip, tx)) || (error = link_up(ipip, port))) {
        return xasprintf("cannot set %s and %s up: %s", IPIP_TX_DEVICE,
                         ipip->port, ovs_strerror(tx ? error : errno));
    }

    struct nlmsghdr *nlh = rtnl_request(&ipip->rtnl, RTM_NEWQDISC,
                                         NLM_F_CREATE | NLM_F_EXCL);
    put_tcmsg(nlh, port, INGRESS_PARENT, TC_H_INGRESS, 0);
    mnl_attr_put_strz(nlh, TCA_KIND, "ingress");
    error = rtnl_transact(&ipip->rtnl, nlh, NULL, NULL);
    if (error && error != EEXIST) {
        return xasprintf("cannot add an ingress qdisc to %s: %s",
                         ipip->port, ovs_strerror(error));
    }

    ipip->n_installed = 0;
    nlh = mnl_nlmsg_put_header(ipip->rtnl.buf);
    nlh->nlmsg_type = RTM_GETTFILTER;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++ipip->rtnl.seq;
    put_tcmsg(nlh, port, 0, INGRESS_PARENT, 0);
    error = rtnl_transact(&ipip->rtnl, nlh, dump_cb, ipip);
    if (error) {
        return xasprintf("cannot list the filters of %s: %s", ipip->port,
                         ovs_strerror(error));
    }
    ipip->ready = true;
    return NULL;
}

/* (linux/ headers and OVS's packets.h do not mix: no IP_FMT here.) */
static const char *
ip_string(ovs_be32 ip, char buf[INET_ADDRSTRLEN])
{
    return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

static bool
contains(const uint32_t *array, size_t n, uint32_t x)
{
    for (size_t i = 0; i < n; i++) {
        if (array[i] == x) {
            return true;
        }
    }
    return false;
}

/* Adds the filters for the marks in 'wanted' (the addresses 'ips' in host
 * order) that are not installed.  A filter that was installed before the
 * kernel was read back ('before') had vanished: that is worth a warning.
 * Returns NULL or an error for operators. */
static char *
add_filters(struct ipip *ipip, int port, const ovs_be32 *ips,
            const uint32_t *wanted, size_t n, const uint32_t *before,
            size_t n_before)
{
    int tx = if_nametoindex(IPIP_TX_DEVICE);
    char ip[INET_ADDRSTRLEN];

    for (size_t i = 0; i < n; i++) {
        if (contains(ipip->installed, ipip->n_installed, wanted[i])) {
            continue;
        }
        int retval = put_filter(ipip, port, tx, ips[i]);
        if (retval) {
            return xasprintf("cannot add the tc filter for backend %s on "
                             "%s: %s%s", ip_string(ips[i], ip), ipip->port,
                             ovs_strerror(retval),
                             retval == ENOENT || retval == EINVAL
                             ? " (modules cls_fw, act_tunnel_key, "
                               "act_mirred?)" : "");
        }
        bool again = contains(before, n_before, wanted[i]);
        VLOG(again ? VLL_WARN : VLL_INFO,
             "%s: ipip to %s for mark %#"PRIx32"%s", ipip->port,
             ip_string(ips[i], ip), wanted[i],
             again ? ": its filter had gone (ovs-vswitchd resets a "
                     "port's ingress qdisc when it configures it), "
                     "added again" : "");
        if (ipip->n_installed == ipip->allocated) {
            ipip->installed = x2nrealloc(ipip->installed, &ipip->allocated,
                                         sizeof *ipip->installed);
        }
        ipip->installed[ipip->n_installed++] = wanted[i];
    }
    return NULL;
}

/* Deletes the installed filters for marks not in 'wanted', up to the
 * first that fails.  Returns NULL or an error for operators. */
static char *
remove_filters(struct ipip *ipip, int port, const uint32_t *wanted,
               size_t n)
{
    char *error = NULL;
    size_t kept = 0;

    for (size_t i = 0; i < ipip->n_installed; i++) {
        uint32_t h = ipip->installed[i];
        if (!error && !contains(wanted, n, h)) {
            int retval = delete_filter(ipip, port, h);
            if (!retval) {
                VLOG_INFO("%s: removed ipip filter for mark %#"PRIx32,
                          ipip->port, h);
                continue;
            }
            error = xasprintf("cannot remove the tc filter for mark %#"
                              PRIx32" on %s: %s", h, ipip->port,
                              ovs_strerror(retval));
        }
        ipip->installed[kept++] = h;
    }
    ipip->n_installed = kept;
    return error;
}

/* One pass of ipip_sync(). */
static char *
sync_pass(struct ipip *ipip, const ovs_be32 *ips, size_t n)
{
    int port = if_nametoindex(ipip->port);
    char *error = NULL;

    if (!port) {
        ipip->ready = false;
        return xasprintf("no network device %s in dsrd's network "
                         "namespace: dsrd programs the kernel side of "
                         "ipip services and must run where the port is",
                         ipip->port);
    }
    /* What was in place before reading the kernel back: a filter that
     * vanished since is restored, and said so. */
    uint32_t *before = (ipip->n_installed
                        ? xmemdup(ipip->installed,
                                  ipip->n_installed * sizeof *before)
                        : NULL);
    size_t n_before = ipip->n_installed;
    if (!ipip->ready && (error = prepare(ipip, port))) {
        free(before);
        return error;
    }

    uint32_t *wanted = xmalloc((n + 1) * sizeof *wanted);
    for (size_t i = 0; i < n; i++) {
        wanted[i] = ntohl(ips[i]);
    }
    error = add_filters(ipip, port, ips, wanted, n, before, n_before);
    if (!error) {
        error = remove_filters(ipip, port, wanted, n);
    }
    free(wanted);
    free(before);
    if (error) {
        ipip->ready = false;
    }
    return error;
}

/* Makes the kernel encapsulate, for each address in 'ips', the packets
 * the port receives with that address as mark, and nothing else: filters
 * for other marks (backends since deleted, also by an earlier dsrd) go.
 * Returns NULL, or an error for operators (the caller frees it; the next
 * call starts over).
 *
 * ovs-vswitchd deletes the port's ingress qdisc, and dsrd's filters with
 * it, when it next reconfigures after any change to the link (dsrd
 * setting the port up, for one), so it can do so between two requests of
 * a pass.  A second pass, from a fresh read, tells that from an error that
 * stays. */
char *
ipip_sync(struct ipip *ipip, const ovs_be32 *ips, size_t n)
{
    char *error = sync_pass(ipip, ips, n);

    if (error) {
        VLOG_INFO("%s; reading the kernel back and trying again", error);
        free(error);
        error = sync_pass(ipip, ips, n);
    }
    return error;
}
