/* Which OVS datapath each bridge runs on, read from OVSDB (datapath.h).
 *
 * An OVSDB IDL on the Bridge, Port and Interface tables: the bridge's
 * datapath_type says kernel ("system") or userspace ("netdev"), and a
 * netdev bridge with a "dpdk*" interface is a DPDK bridge.  The IDL
 * reconnects by itself; until it has read the database, every bridge is
 * "unknown".  Its one write is dsrd's conntrack timeout policy
 * (ct-policy.h), for the datapath types of dsrd's bridges. */
#include <config.h>

#include "controller/datapath.h"

#include <string.h>
#include "controller/ct-policy.h"
#include "controller/ct-timeouts.h"
#include "flows/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "packets.h"
#include "smap.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "util.h"
#include "vswitch-idl.h"

VLOG_DEFINE_THIS_MODULE(datapath);

/* One bridge as last read from OVSDB. */
struct datapath_bridge {
    enum datapath_kind kind;
    char *type;                 /* datapath_type, "" when unset. */
};

struct datapath_monitor {
    struct ovsdb_idl *idl;
    unsigned int idl_seqno;     /* IDL change seqno 'bridges' reflects. */
    struct shash bridges;       /* Bridge name -> struct datapath_bridge. */

    /* dsrd's conntrack timeout policy, once datapath_monitor_set_ct_policy()
     * asked for it. */
    struct sset ct_bridges;     /* dsrd's bridges. */
    struct dsr_ct_timeouts ct_timeouts;
    unsigned int ct_seqno;      /* IDL seqno last checked against. */
    struct ovsdb_idl_txn *ct_txn;   /* Writing it, or NULL. */
    char *ct_state;             /* "pending", "set", or why not. */
};

/* Returns a monitor of the OVSDB at 'remote' ("unix:PATH", "tcp:IP:PORT"),
 * or NULL if 'remote' is "none". */
struct datapath_monitor *
datapath_monitor_create(const char *remote)
{
    if (!strcmp(remote, "none")) {
        return NULL;
    }

    struct datapath_monitor *dpm = xzalloc(sizeof *dpm);
    dpm->idl = ovsdb_idl_create(remote, &ovsrec_idl_class, false, true);
    ovsdb_idl_add_table(dpm->idl, &ovsrec_table_bridge);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_bridge_col_name);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_bridge_col_datapath_type);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_bridge_col_ports);
    ovsdb_idl_add_table(dpm->idl, &ovsrec_table_port);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_port_col_interfaces);
    ovsdb_idl_add_table(dpm->idl, &ovsrec_table_interface);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_interface_col_type);
    /* Tunnel modes (controller/tunnel.c): the GRE port and the internal
     * port into the kernel. */
    ovsdb_idl_add_column(dpm->idl, &ovsrec_port_col_name);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_interface_col_name);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_interface_col_options);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_interface_col_ofport);
    ovsdb_idl_add_column(dpm->idl, &ovsrec_interface_col_mac_in_use);
    ct_policy_add_columns(dpm->idl);
    dpm->idl_seqno = ovsdb_idl_get_seqno(dpm->idl);
    shash_init(&dpm->bridges);
    sset_init(&dpm->ct_bridges);
    dpm->ct_state = xstrdup("pending");
    return dpm;
}

static void
datapath_bridges_clear__(struct shash *bridges)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, bridges) {
        struct datapath_bridge *b = node->data;
        free(b->type);
        free(b);
    }
    shash_clear(bridges);
}

void
datapath_monitor_destroy(struct datapath_monitor *dpm)
{
    if (dpm) {
        datapath_bridges_clear__(&dpm->bridges);
        shash_destroy(&dpm->bridges);
        sset_destroy(&dpm->ct_bridges);
        free(dpm->ct_state);
        if (dpm->ct_txn) {
            ovsdb_idl_txn_destroy(dpm->ct_txn);
        }
        ovsdb_idl_destroy(dpm->idl);
        free(dpm);
    }
}

static bool
bridge_has_dpdk_port__(const struct ovsrec_bridge *br)
{
    for (size_t i = 0; i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];
        for (size_t j = 0; j < port->n_interfaces; j++) {
            if (!strncmp(port->interfaces[j]->type, "dpdk", 4)) {
                return true;
            }
        }
    }
    return false;
}

static enum datapath_kind
classify__(const struct ovsrec_bridge *br)
{
    const char *type = br->datapath_type;

    if (!type[0] || !strcmp(type, "system")) {
        return DATAPATH_KERNEL;
    } else if (!strcmp(type, "netdev")) {
        return (bridge_has_dpdk_port__(br) ? DATAPATH_DPDK
                : DATAPATH_USERSPACE);
    }
    return DATAPATH_OTHER;
}

/* Re-reads every bridge after a change in OVSDB; logs each bridge whose
 * datapath changed. */
static void
datapath_monitor_refresh__(struct datapath_monitor *dpm)
{
    struct shash old = SHASH_INITIALIZER(&old);
    const struct ovsrec_bridge *br;

    shash_swap(&old, &dpm->bridges);
    OVSREC_BRIDGE_FOR_EACH (br, dpm->idl) {
        struct datapath_bridge *b = xmalloc(sizeof *b);
        b->kind = classify__(br);
        b->type = xstrdup(br->datapath_type);
        if (!shash_add_once(&dpm->bridges, br->name, b)) {
            free(b->type);
            free(b);
            continue;
        }
        const struct datapath_bridge *was = shash_find_data(&old, br->name);
        if (!was || was->kind != b->kind || strcmp(was->type, b->type)) {
            VLOG_INFO("%s: %s datapath (datapath_type=%s)", br->name,
                      datapath_kind_to_string(b->kind),
                      b->type[0] ? b->type : "system");
        }
    }
    datapath_bridges_clear__(&old);
    shash_destroy(&old);
}

/* Asks for conntrack timeouts 't' on the datapath types of 'bridges',
 * now and whenever OVSDB loses them. */
void
datapath_monitor_set_ct_policy(struct datapath_monitor *dpm,
                               const struct sset *bridges,
                               const struct dsr_ct_timeouts *t)
{
    if (dpm) {
        sset_destroy(&dpm->ct_bridges);
        sset_clone(&dpm->ct_bridges, bridges);
        dpm->ct_timeouts = *t;
        dpm->ct_seqno = 0;
    }
}

static void
set_ct_state(struct datapath_monitor *dpm, char *state)
{
    if (strcmp(state, dpm->ct_state)) {
        VLOG_INFO("conntrack zone %d timeout policy: %s", DSR_CT_ZONE,
                  state);
    }
    free(dpm->ct_state);
    dpm->ct_state = state;
}

/* Ends the transaction in flight, if it has ended. */
static bool
ct_txn_done(struct datapath_monitor *dpm)
{
    enum ovsdb_idl_txn_status status = ovsdb_idl_txn_commit(dpm->ct_txn);

    if (status == TXN_INCOMPLETE) {
        return false;
    } else if (status == TXN_ERROR || status == TXN_NOT_LOCKED) {
        set_ct_state(dpm, xasprintf("could not write it to OVSDB: %s",
                                    ovsdb_idl_txn_get_error(dpm->ct_txn)));
    }
    /* Otherwise the next change read from OVSDB says whether it took. */
    ovsdb_idl_txn_destroy(dpm->ct_txn);
    dpm->ct_txn = NULL;
    return true;
}

/* Writes the timeout policy for the datapath types of dsrd's bridges that
 * lack it, after each change read from OVSDB. */
static void
sync_ct_policy(struct datapath_monitor *dpm)
{
    if ((dpm->ct_txn && !ct_txn_done(dpm))
        || sset_is_empty(&dpm->ct_bridges)
        || dpm->ct_seqno == dpm->idl_seqno
        || !ovsdb_idl_has_ever_connected(dpm->idl)) {
        return;
    }
    dpm->ct_seqno = dpm->idl_seqno;

    struct sset types = SSET_INITIALIZER(&types);
    bool all_known = true;
    const char *name;
    SSET_FOR_EACH (name, &dpm->ct_bridges) {
        const struct datapath_bridge *b = shash_find_data(&dpm->bridges,
                                                          name);
        if (b) {
            sset_add(&types, b->type[0] ? b->type : "system");
        }
        all_known = all_known && b;
    }
    const char *type;
    SSET_FOR_EACH (type, &types) {
        if (!ct_policy_is_set(dpm->idl, type, &dpm->ct_timeouts)) {
            if (!dpm->ct_txn) {
                dpm->ct_txn = ovsdb_idl_txn_create(dpm->idl);
                ovsdb_idl_txn_add_comment(dpm->ct_txn, "ovs-dsr: conntrack "
                                          "zone %d timeouts", DSR_CT_ZONE);
            }
            ct_policy_set(dpm->idl, dpm->ct_txn, type, &dpm->ct_timeouts);
        }
    }
    sset_destroy(&types);
    if (dpm->ct_txn) {
        set_ct_state(dpm, xstrdup("pending"));
        ct_txn_done(dpm);
    } else if (all_known) {
        const struct dsr_ct_timeouts *t = &dpm->ct_timeouts;
        set_ct_state(dpm, xasprintf("set (tcp_syn %u s, tcp %u s, udp %u s, "
                                    "icmp %u s)", t->tcp_syn, t->tcp, t->udp,
                                    t->icmp));
    }
}

void
datapath_monitor_run(struct datapath_monitor *dpm)
{
    if (!dpm) {
        return;
    }
    ovsdb_idl_run(dpm->idl);
    unsigned int seqno = ovsdb_idl_get_seqno(dpm->idl);
    if (seqno != dpm->idl_seqno) {
        dpm->idl_seqno = seqno;
        datapath_monitor_refresh__(dpm);
    }
    sync_ct_policy(dpm);
}

void
datapath_monitor_wait(struct datapath_monitor *dpm)
{
    if (dpm) {
        ovsdb_idl_wait(dpm->idl);
        if (dpm->ct_txn) {
            ovsdb_idl_txn_wait(dpm->ct_txn);
        }
    }
}

/* "set (...)" once OVSDB holds dsrd's conntrack timeouts for every
 * bridge's datapath type; "pending", or why not, until then. */
const char *
datapath_monitor_ct_policy_state(const struct datapath_monitor *dpm)
{
    return dpm ? dpm->ct_state : "not set (--ovsdb=none)";
}

/* Returns the datapath of 'bridge', and in '*datapath_type' (if nonnull)
 * its datapath_type ("" when unknown). */
enum datapath_kind
datapath_monitor_get(const struct datapath_monitor *dpm, const char *bridge,
                     const char **datapath_type)
{
    const struct datapath_bridge *b = (dpm
                                       ? shash_find_data(&dpm->bridges,
                                                         bridge)
                                       : NULL);
    if (datapath_type) {
        *datapath_type = b ? b->type : "";
    }
    return b ? b->kind : DATAPATH_UNKNOWN;
}

const char *
datapath_kind_to_string(enum datapath_kind kind)
{
    switch (kind) {
    case DATAPATH_KERNEL:
        return "kernel";
    case DATAPATH_USERSPACE:
        return "userspace";
    case DATAPATH_DPDK:
        return "dpdk";
    case DATAPATH_OTHER:
        return "other";
    case DATAPATH_UNKNOWN:
    default:
        return "unknown";
    }
}

/* Appends "datapath KIND (datapath_type=TYPE)" for 'bridge' to 's', or
 * says why it is unknown. */
void
datapath_monitor_format(const struct datapath_monitor *dpm,
                        const char *bridge, struct ds *s)
{
    const char *type;
    enum datapath_kind kind = datapath_monitor_get(dpm, bridge, &type);

    if (kind != DATAPATH_UNKNOWN) {
        ds_put_format(s, "datapath %s (datapath_type=%s)",
                      datapath_kind_to_string(kind),
                      type[0] ? type : "system");
    } else if (!dpm) {
        ds_put_cstr(s, "datapath unknown (--ovsdb=none)");
    } else if (!ovsdb_idl_is_connected(dpm->idl)) {
        ds_put_cstr(s, "datapath unknown (OVSDB not connected)");
    } else {
        ds_put_cstr(s, "datapath unknown (no such bridge in OVSDB)");
    }
}

/* Changes whenever anything read from OVSDB changed. */
unsigned int
datapath_monitor_get_seqno(const struct datapath_monitor *dpm)
{
    return dpm ? dpm->idl_seqno : 0;
}

static const struct ovsrec_bridge *
find_bridge__(const struct datapath_monitor *dpm, const char *name)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_FOR_EACH (br, dpm->idl) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

/* Whether 'name' is a bridge in OVSDB (a bridge's LOCAL port has its
 * name): OVS's native tunnelling sends from there. */
bool
datapath_monitor_is_bridge(const struct datapath_monitor *dpm,
                           const char *name)
{
    return dpm && find_bridge__(dpm, name);
}

static bool
is_flow_gre__(const struct ovsrec_interface *iface)
{
    const char *remote = smap_get(&iface->options, "remote_ip");
    const char *ptype = smap_get(&iface->options, "packet_type");

    return (!strcmp(iface->type, "gre") && remote && !strcmp(remote, "flow")
            && ptype && !strcmp(ptype, "legacy_l3"));
}

/* Finds on 'bridge' the interface a tunnel mode needs: with 'type' "gre",
 * a flow-based L3 GRE port (type=gre, options:remote_ip=flow,
 * options:packet_type=legacy_l3), named 'name' or, if 'name' is NULL, the
 * only one; with 'type' "internal", the internal port 'name'.  On success
 * stores its OpenFlow port (and MAC, if 'mac') and returns NULL; else
 * returns an error message for operators, which the caller frees. */
char *
datapath_monitor_find_port(const struct datapath_monitor *dpm,
                           const char *bridge, const char *type,
                           const char *name, uint32_t *ofport,
                           struct eth_addr *mac)
{
    bool gre = !strcmp(type, "gre");

    if (!dpm) {
        return xstrdup("dsrd reads tunnel ports from OVSDB, which "
                       "--ovsdb=none turned off");
    }
    if (!ovsdb_idl_has_ever_connected(dpm->idl)) {
        return xstrdup("OVSDB not read yet");
    }
    const struct ovsrec_bridge *br = find_bridge__(dpm, bridge);
    if (!br) {
        return xasprintf("no bridge %s in OVSDB", bridge);
    }

    const struct ovsrec_interface *found = NULL;
    for (size_t i = 0; i < br->n_ports; i++) {
        for (size_t j = 0; j < br->ports[i]->n_interfaces; j++) {
            const struct ovsrec_interface *iface
                = br->ports[i]->interfaces[j];
            if (name ? strcmp(iface->name, name)
                     : !gre || !is_flow_gre__(iface)) {
                continue;
            }
            if (found) {
                return xasprintf("bridge %s has several GRE ports with "
                                 "remote_ip=flow, packet_type=legacy_l3 "
                                 "(%s, %s): name one in the bridge's "
                                 "\"gre_port\"", bridge, found->name,
                                 iface->name);
            }
            found = iface;
        }
    }
    if (!found && gre) {
        return xasprintf("bridge %s has no GRE port%s%s for gre services: "
                         "ovs-vsctl add-port %s %s -- set interface %s "
                         "type=gre options:remote_ip=flow "
                         "options:packet_type=legacy_l3", bridge,
                         name ? " " : "", name ? name : "", bridge,
                         name ? name : "gre0", name ? name : "gre0");
    } else if (!found) {
        return xasprintf("bridge %s has no port %s for ipip services: "
                         "ovs-vsctl add-port %s %s -- set interface %s "
                         "type=internal", bridge, name, bridge, name, name);
    } else if (gre && !is_flow_gre__(found)) {
        return xasprintf("port %s of bridge %s is not a flow-based L3 GRE "
                         "port: it needs type=gre options:remote_ip=flow "
                         "options:packet_type=legacy_l3", found->name,
                         bridge);
    } else if (!gre && strcmp(found->type, "internal")) {
        return xasprintf("port %s of bridge %s is not an internal port "
                         "(type=internal)", found->name, bridge);
    } else if (found->n_ofport != 1 || found->ofport[0] <= 0) {
        return xasprintf("port %s of bridge %s has no OpenFlow port number "
                         "(ovs-vswitchd could not create it: see its "
                         "Interface error column)", found->name, bridge);
    }
    *ofport = found->ofport[0];
    if (mac) {
        if (!found->mac_in_use
            || !eth_addr_from_string(found->mac_in_use, mac)) {
            return xasprintf("port %s of bridge %s has no MAC yet",
                             found->name, bridge);
        }
    }
    return NULL;
}
