/* Which of a service's 256 slots a connection lands in, computed the way
 * Open vSwitch 3.1 computes it, with libopenvswitch's own functions: the
 * userspace datapath's software 5-tuple hash for "dp_hash" groups
 * (5-tuple services), ovs-vswitchd's rendezvous hash over the buckets for
 * "hash,fields(ip_src)" groups (source-ip services) and the 5-tuple
 * fields of 5-tuple-cross-node services.  Pure functions;
 * controller/trace.c answers "where does this client go?" with them. */
#ifndef DSR_TRACE_HASH_H
#define DSR_TRACE_HASH_H 1

#include <stdint.h>
#include "openvswitch/types.h"

struct in6_addr;

uint32_t trace_hash_5tuple(uint8_t ip_proto, const struct in6_addr *src,
                           uint16_t sport, const struct in6_addr *dst,
                           uint16_t dport);
unsigned int trace_hash_to_slot(uint32_t dp_hash);
unsigned int trace_slot_source_ip(const struct in6_addr *src);
unsigned int trace_slot_5tuple_fields(const struct in6_addr *src,
                                      uint16_t sport,
                                      const struct in6_addr *dst,
                                      uint16_t dport);

#endif /* controller/trace-hash.h */
