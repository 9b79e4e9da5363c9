/* Canonical forms of flows and groups, so that what dsrd wants (its own
 * ovs-ofctl text) can be compared with what a switch reports (decoded
 * flow stats and group descriptions): both go through OVS's parser and
 * formatter (flows) or encoder (groups), which erase differences of
 * spelling. Used when reconciling with a bridge after a (re)connection. */
#ifndef DSR_CANONICAL_H
#define DSR_CANONICAL_H 1

#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct ds;
struct dsr_flow;
struct ofputil_flow_stats;
struct ofputil_group_desc;
struct ofpbuf;

/* Appends "table=T priority=P MATCH actions=ACTIONS" for a flow. */
char *canonical_flow(const struct dsr_flow *, struct ds *)
    OVS_WARN_UNUSED_RESULT;
void canonical_flow_stats(const struct ofputil_flow_stats *, struct ds *);

/* The OpenFlow 1.5 encoding of "add or modify this group", which two
 * equal groups share byte for byte (xid zeroed). */
char *canonical_group(uint32_t group_id, const char *spec,
                      struct ofpbuf **) OVS_WARN_UNUSED_RESULT;
struct ofpbuf *canonical_group_desc(struct ofputil_group_desc *);

#endif /* flows/canonical.h */
