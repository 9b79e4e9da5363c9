/* Which OVS datapath each bridge runs on.
 *
 * dsrd's pipeline is the same OpenFlow on every datapath, but some
 * behaviour is the datapath's: how dp_hash is computed (the same software
 * hash on every userspace node, a per-boot seed in the kernel, the NIC's
 * RSS hash with DPDK), whether a packet mark reaches the host's kernel,
 * which tunnels exist (README.md, "Datapaths").  This module reads each
 * bridge's datapath_type and interface types from OVSDB, so that dsrd
 * reports them (dsr/show, /v1/status) and features that depend on them
 * can check. */
#ifndef DSR_DATAPATH_H
#define DSR_DATAPATH_H 1

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct dsr_ct_timeouts;
struct sset;
struct eth_addr;

/* The datapath of one bridge, as dsrd classifies it. */
enum datapath_kind {
    DATAPATH_UNKNOWN,           /* Not (yet) read from OVSDB. */
    DATAPATH_KERNEL,            /* datapath_type "system" (or empty). */
    DATAPATH_USERSPACE,         /* "netdev" without DPDK ports. */
    DATAPATH_DPDK,              /* "netdev" with at least one DPDK port. */
    DATAPATH_OTHER,             /* Any other datapath_type. */
};

struct datapath_monitor *datapath_monitor_create(const char *remote);
void datapath_monitor_destroy(struct datapath_monitor *);
void datapath_monitor_run(struct datapath_monitor *);
void datapath_monitor_wait(struct datapath_monitor *);

/* dsrd's conntrack timeout policy (controller/ct-policy.h). */
void datapath_monitor_set_ct_policy(struct datapath_monitor *,
                                    const struct sset *bridges,
                                    const struct dsr_ct_timeouts *);
const char *datapath_monitor_ct_policy_state(
    const struct datapath_monitor *);

enum datapath_kind datapath_monitor_get(const struct datapath_monitor *,
                                        const char *bridge,
                                        const char **datapath_type);
const char *datapath_kind_to_string(enum datapath_kind);
void datapath_monitor_format(const struct datapath_monitor *,
                             const char *bridge, struct ds *);

/* Tunnel modes (controller/tunnel.h). */
unsigned int datapath_monitor_get_seqno(const struct datapath_monitor *);
bool datapath_monitor_is_bridge(const struct datapath_monitor *,
                                const char *name);
char *datapath_monitor_find_port(const struct datapath_monitor *,
                                 const char *bridge, const char *type,
                                 const char *name, uint32_t *ofport,
                                 struct eth_addr *mac);

#endif /* controller/datapath.h */
