/* dsrd's conntrack timeout policy, kept in OVSDB.
 *
 * Pins live in one conntrack zone, DSR_CT_ZONE.  How long an idle pin
 * lives is that zone's timeout policy: a CT_Zone row under the datapath
 * type's Datapath row, pointing to a CT_Timeout_Policy.  ovs-vswitchd
 * applies it (in its userspace conntrack, or through the kernel's
 * cttimeout) and keeps it across its restarts, so dsrd writes it once and
 * only again when it differs. */
#ifndef DSR_CT_POLICY_H
#define DSR_CT_POLICY_H 1

#include <stdbool.h>

struct dsr_ct_timeouts;
struct ovsdb_idl;
struct ovsdb_idl_txn;

void ct_policy_add_columns(struct ovsdb_idl *);
bool ct_policy_is_set(struct ovsdb_idl *, const char *datapath_type,
                      const struct dsr_ct_timeouts *);
void ct_policy_set(struct ovsdb_idl *, struct ovsdb_idl_txn *,
                   const char *datapath_type,
                   const struct dsr_ct_timeouts *);

#endif /* controller/ct-policy.h */
