/* dsrd's conntrack timeout policy, kept in OVSDB (ct-policy.h). */
#include <config.h>

#include "controller/ct-policy.h"

#include <stddef.h>
#include <string.h>
#include "controller/ct-timeouts.h"
#include "flows/pipeline.h"
#include "ovsdb-idl.h"
#include "smap.h"
#include "util.h"
#include "vswitch-idl.h"

/* Which keys of CT_Timeout_Policy's timeouts each member of struct
 * dsr_ct_timeouts sets.  The userspace datapath sees one direction of a
 * connection, so its TCP pins never leave "opening" (tcp_syn_recv) after
 * their second packet; the kernel's take the established or, data being
 * never acknowledged, the "unack" timeout. */
static const struct {
    const char *key;
    size_t offset;
} ct_keys[] = {
    { "tcp_syn_sent", offsetof(struct dsr_ct_timeouts, tcp_syn) },
    { "tcp_syn_recv", offsetof(struct dsr_ct_timeouts, tcp) },
    { "tcp_established", offsetof(struct dsr_ct_timeouts, tcp) },
    { "tcp_unack", offsetof(struct dsr_ct_timeouts, tcp) },
    { "udp_single", offsetof(struct dsr_ct_timeouts, udp) },
    { "udp_multiple", offsetof(struct dsr_ct_timeouts, udp) },
    { "icmp_first", offsetof(struct dsr_ct_timeouts, icmp) },
    { "icmp_reply", offsetof(struct dsr_ct_timeouts, icmp) },
};

static unsigned int
ct_key_value(const struct dsr_ct_timeouts *t, size_t i)
{
    return *(const unsigned int *) ((const char *) t + ct_keys[i].offset);
}

void
ct_policy_add_columns(struct ovsdb_idl *idl)
{
    ovsdb_idl_add_table(idl, &ovsrec_table_open_vswitch);
    ovsdb_idl_add_column(idl, &ovsrec_open_vswitch_col_datapaths);
    ovsdb_idl_add_table(idl, &ovsrec_table_datapath);
    ovsdb_idl_add_column(idl, &ovsrec_datapath_col_ct_zones);
    ovsdb_idl_add_table(idl, &ovsrec_table_ct_zone);
    ovsdb_idl_add_column(idl, &ovsrec_ct_zone_col_timeout_policy);
    ovsdb_idl_add_table(idl, &ovsrec_table_ct_timeout_policy);
    ovsdb_idl_add_column(idl, &ovsrec_ct_timeout_policy_col_timeouts);
    ovsdb_idl_add_column(idl, &ovsrec_ct_timeout_policy_col_external_ids);
}

static const struct ovsrec_datapath *
find_datapath(struct ovsdb_idl *idl, const char *type)
{
    const struct ovsrec_open_vswitch *ovs = ovsrec_open_vswitch_first(idl);

    for (size_t i = 0; ovs && i < ovs->n_datapaths; i++) {
        if (!strcmp(ovs->key_datapaths[i], type)) {
            return ovs->value_datapaths[i];
        }
    }
    return NULL;
}

static const struct ovsrec_ct_zone *
find_zone(const struct ovsrec_datapath *dp)
{
    for (size_t i = 0; dp && i < dp->n_ct_zones; i++) {
        if (dp->key_ct_zones[i] == DSR_CT_ZONE) {
            return dp->value_ct_zones[i];
        }
    }
    return NULL;
}

static bool
policy_has(const struct ovsrec_ct_timeout_policy *tp, const char *key,
           unsigned int value)
{
    for (size_t i = 0; tp && i < tp->n_timeouts; i++) {
        if (!strcmp(tp->key_timeouts[i], key)) {
            return tp->value_timeouts[i] == value;
        }
    }
    return false;
}

/* Whether OVSDB, as 'idl' last read it, holds 't' for dsrd's zone on the
 * datapath 'datapath_type' ("system", "netdev"). */
bool
ct_policy_is_set(struct ovsdb_idl *idl, const char *datapath_type,
                 const struct dsr_ct_timeouts *t)
{
    const struct ovsrec_ct_zone *zone;

    zone = find_zone(find_datapath(idl, datapath_type));
    if (!zone) {
        return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(ct_keys); i++) {
        if (!policy_has(zone->timeout_policy, ct_keys[i].key,
                        ct_key_value(t, i))) {
            return false;
        }
    }
    return true;
}

/* Adds to 'txn' what makes ct_policy_is_set() true, creating the rows
 * that are missing and leaving the keys dsrd does not set (an operator's)
 * as they are.  Does nothing without an Open_vSwitch row. */
void
ct_policy_set(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn,
              const char *datapath_type, const struct dsr_ct_timeouts *t)
{
    const struct ovsrec_open_vswitch *ovs = ovsrec_open_vswitch_first(idl);
    if (!ovs) {
        return;
    }

    const struct ovsrec_datapath *dp = find_datapath(idl, datapath_type);
    if (!dp) {
        dp = ovsrec_datapath_insert(txn);
        ovsrec_open_vswitch_update_datapaths_setkey(ovs, datapath_type, dp);
    }
    const struct ovsrec_ct_zone *zone = find_zone(dp);
    if (!zone) {
        zone = ovsrec_ct_zone_insert(txn);
        ovsrec_datapath_update_ct_zones_setkey(dp, DSR_CT_ZONE, zone);
    }
    const struct ovsrec_ct_timeout_policy *tp = zone->timeout_policy;
    if (!tp) {
        tp = ovsrec_ct_timeout_policy_insert(txn);
        ovsrec_ct_timeout_policy_update_external_ids_setkey(
            tp, "created-by", "ovs-dsr");
        ovsrec_ct_zone_set_timeout_policy(zone, tp);
    }
    for (size_t i = 0; i < ARRAY_SIZE(ct_keys); i++) {
        ovsrec_ct_timeout_policy_update_timeouts_setkey(
            tp, ct_keys[i].key, ct_key_value(t, i));
    }
}
