/* Finding one connection's pin in the text of ovs-vswitchd's
 * "dpctl/dump-conntrack zone=54741" (lib/ct-dpif.c's format, the same for
 * the userspace and the kernel datapath).  A pure function, so that the
 * unit tests can feed it dumps; controller/trace.c asks for them. */
#ifndef DSR_TRACE_PINS_H
#define DSR_TRACE_PINS_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct trace_query;

/* A connection's conntrack entry in dsrd's zone (flows/README.md,
 * "Connection pinning"). */
struct trace_pin {
    ovs_be32 backend;           /* ct_mark: the backend's slot key (its
                                 * IPv4 address, or model.h's key of an
                                 * IPv6 one). */
    uint32_t service_id;        /* ct_label bits 0-31. */
    char state[24];             /* TCP state ("ESTABLISHED"), or "". */
};

bool trace_pins_find(const char *dump, const struct trace_query *,
                     struct trace_pin *);

#endif /* controller/trace-pins.h */
