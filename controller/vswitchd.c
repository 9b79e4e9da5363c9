/* See vswitchd.h. */
#include <config.h>
#include "controller/vswitchd.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "daemon.h"
#include "dirs.h"
#include "jsonrpc.h"
#include "unixctl.h"
#include "util.h"
#include "openvswitch/vlog.h"

VLOG_DEFINE_THIS_MODULE(vswitchd);

/* Connection pins live in conntrack, which in DSR sees only the client's
 * half of each TCP connection.  The userspace datapath's TCP tracker then
 * takes every data segment for an out-of-window one and, by design, stops
 * refreshing the entry: pins of busy connections expire after 30 s.
 * Without sequence checks it refreshes them with every packet.  (The
 * kernel datapath needs net.netfilter.nf_conntrack_tcp_be_liberal=1 for
 * the same; see flows/README.md.)  The setting is ovs-vswitchd's runtime
 * state, so dsrd makes it after every connection to the switch.
 * Returns false if ovs-vswitchd could not be reached (try again later);
 * warns about that only if 'warn'.  It
 * applies to the whole datapath, the operator's conntrack zones too.
 * The call blocks, on a local socket that ovs-vswitchd answers at once. */
bool
vswitchd_relax_tcp_conntrack(bool warn)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 60);
    /* The userspace datapath by name: with a kernel datapath present too,
     * dpctl would not know which one is meant. */
    char *dp = CONST_CAST(char *, "netdev@ovs-netdev");
    char *result, *error_text;
    int error = vswitchd_transact("dpctl/ct-disable-tcp-seq-chk", 1, &dp,
                                  &result, &error_text);

    if (error && warn) {
        VLOG_WARN_RL(&rl, "could not reach ovs-vswitchd to turn off TCP "
                     "sequence checks of its conntrack (%s): pins of busy "
                     "TCP connections may expire after 30 s",
                     ovs_strerror(error));
    } else if (error) {
        VLOG_DBG("ovs-vswitchd not reachable yet: %s", ovs_strerror(error));
    } else if (error_text) {
        /* No userspace datapath: the kernel's conntrack is configured by
         * sysctl, which is the host's business. */
        VLOG_INFO_RL(&rl, "no userspace datapath to relax TCP sequence "
                     "checks in (%s); with the kernel datapath set "
                     "net.netfilter.nf_conntrack_tcp_be_liberal=1",
                     error_text);
    } else {
        VLOG_INFO("ovs-vswitchd's conntrack: TCP sequence checks off, for "
                  "one-way connection pins");
    }
    free(result);
    free(error_text);
    return !error;
}

/* Runs one ovs-appctl command on the local ovs-vswitchd (the one whose
 * pidfile is in OVS_RUNDIR).  Returns 0 and sets '*result' or
 * '*error_text' (the command's own error), or an errno value if
 * ovs-vswitchd could not be reached.  The caller frees both strings.
 * Blocks, on a local socket that ovs-vswitchd answers at once. */
int
vswitchd_transact(const char *command, int argc, char *argv[],
                  char **result, char **error_text)
{
    char *pidfile = xasprintf("%s/ovs-vswitchd.pid", ovs_rundir());
    pid_t pid = read_pidfile(pidfile);
    struct jsonrpc *client = NULL;
    int error;

    *result = *error_text = NULL;
    free(pidfile);
    if (pid < 0) {
        return -pid;
    }
    char *socket = xasprintf("%s/ovs-vswitchd.%ld.ctl", ovs_rundir(),
                             (long) pid);
    error = access(socket, F_OK) ? errno : unixctl_client_create(socket,
                                                                 &client);
    if (!error) {
        error = unixctl_client_transact(client, command, argc, argv, result,
                                        error_text);
        jsonrpc_close(client);
    }
    free(socket);
    return error;
}
