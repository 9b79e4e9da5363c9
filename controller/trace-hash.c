/* See trace-hash.h.  The sources this reproduces, OVS 3.1:
 *
 *   lib/dpif-netdev.c, dfc_processing(): a packet without an RSS hash
 *   from its NIC gets miniflow_hash_5tuple(mf, 0) as its RSS hash, stored
 *   in the packet (the recirculation-depth variant only keys the exact
 *   match cache, it is not stored), and keeps it across recirculations.
 *
 *   lib/odp-execute.c, OVS_ACTION_ATTR_HASH, OVS_HASH_ALG_L4: with an RSS
 *   hash, dp_hash = hash_int(rss_hash, basis); dsrd's groups have basis 0
 *   (selection_method_param 0).
 *
 *   ofproto/ofproto-dpif.c, group_setup_dp_hash_table(): 256 buckets of
 *   equal weight map hash values one to one, value i to the i-th bucket,
 *   which dsrd numbers i (flows/flow-set.c); pick_dp_hash_select_group()
 *   masks dp_hash with 255.
 *
 *   ofproto/ofproto-dpif-xlate.c, pick_hash_fields_select_group(): basis
 *   = hash_uint64(selection_method_param), then hash_bytes() of each
 *   field (ip_src, 4 bytes), then group_best_live_bucket(): the highest
 *   (hash_int(bucket_id, basis) & 0xffff) * weight, the last of equals.
 *
 * flow_hash_5tuple() of a struct flow is miniflow_hash_5tuple() of its
 * miniflow (same words, same order), so a flow built from the 5-tuple
 * gives the datapath's value. */
#include <config.h>
#include "controller/trace-hash.h"

#include <string.h>
#include "flow.h"
#include "hash.h"
#include "packets.h"
#include "util.h"

/* dsrd's slot groups have 256 buckets (flows/slots.h DSR_SLOTS). */
#define TRACE_N_SLOTS 256

/* The dp_hash the userspace datapath gives a packet of this 5-tuple
 * (host-order ports; addresses IPv6 or IPv4-mapped, of one family). */
uint32_t
trace_hash_5tuple(uint8_t ip_proto, const struct in6_addr *src,
                  uint16_t sport, const struct in6_addr *dst, uint16_t dport)
{
    struct flow flow;

    memset(&flow, 0, sizeof flow);
    if (IN6_IS_ADDR_V4MAPPED(src)) {
        flow.dl_type = htons(ETH_TYPE_IP);
        flow.nw_src = in6_addr_get_mapped_ipv4(src);
        flow.nw_dst = in6_addr_get_mapped_ipv4(dst);
    } else {
        flow.dl_type = htons(ETH_TYPE_IPV6);
        flow.ipv6_src = *src;
        flow.ipv6_dst = *dst;
    }
    flow.nw_proto = ip_proto;
    flow.tp_src = htons(sport);
    flow.tp_dst = htons(dport);
    return hash_int(flow_hash_5tuple(&flow, 0), 0);
}

unsigned int
trace_hash_to_slot(uint32_t dp_hash)
{
    return dp_hash & (TRACE_N_SLOTS - 1);
}

/* The bucket, hence the slot, ovs-vswitchd picks in a "hash" group of 256
 * buckets of weight 1, ids 0..255, given the hash of the fields. */
static unsigned int
slot_of_fields_hash(uint32_t basis)
{
    unsigned int best = 0;
    uint32_t best_score = 0;

    for (unsigned int id = 0; id < TRACE_N_SLOTS; id++) {
        uint32_t score = hash_int(id, basis) & 0xffff;
        if (score >= best_score) {
            best = id;
            best_score = score;
        }
    }
    return best;
}

/* hash_bytes() of an address as its field holds it: ip_src's 4 bytes, or
 * ipv6_src's 16. */
static uint32_t
hash_address(const struct in6_addr *ip, uint32_t basis)
{
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        ovs_be32 ip4 = in6_addr_get_mapped_ipv4(ip);
        return hash_bytes(&ip4, sizeof ip4, basis);
    }
    return hash_bytes(ip, sizeof *ip, basis);
}

/* A source-ip service's slot for a client address: fields(ip_src), or
 * fields(ipv6_src) for an IPv6 service. */
unsigned int
trace_slot_source_ip(const struct in6_addr *src)
{
    return slot_of_fields_hash(hash_address(src, hash_uint64(0)));
}

/* A 5-tuple-cross-node service's slot (host-order ports): of the fields
 * in flows/slots.h's DSR_SLOT_HASH_5TUPLE_FIELDS, a TCP or UDP packet has
 * its family's source and destination addresses and its protocol's two
 * ports, in that order. */
unsigned int
trace_slot_5tuple_fields(const struct in6_addr *src, uint16_t sport,
                         const struct in6_addr *dst, uint16_t dport)
{
    ovs_be16 sport_be = htons(sport);
    ovs_be16 dport_be = htons(dport);
    uint32_t basis = hash_uint64(0);

    basis = hash_address(src, basis);
    basis = hash_address(dst, basis);
    basis = hash_bytes(&sport_be, sizeof sport_be, basis);
    basis = hash_bytes(&dport_be, sizeof dport_be, basis);
    return slot_of_fields_hash(basis);
}
