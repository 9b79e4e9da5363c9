/* "Where does this client go?": for a connection (protocol, client
 * address and port, VIP and port), the service that takes it, the slot
 * its packets hash to (controller/trace-hash.c) and the backend that slot
 * holds now, the pin conntrack holds for it (a pin wins), how the packet
 * leaves for that backend, and the ovs-appctl ofproto/trace command that
 * shows the same path through the tables.  Pins are read from
 * ovs-vswitchd (dpctl/dump-conntrack) without blocking the poll loop:
 * an answer comes from trace_run() once the dump arrives, and every
 * question asked meanwhile shares the next dump.  Serves dsr/trace
 * (unixctl) and GET /v1/trace (api-trace.c); controller/dsrctl.md shows
 * both. */
#ifndef DSR_TRACE_H
#define DSR_TRACE_H 1

#include <stdint.h>
#include <jansson.h>
#include <netinet/in.h>
#include "openvswitch/types.h"

struct datapath_monitor;
struct dsr_config;
struct lb;

/* A connection to trace.  A port of 0 was not given. */
struct trace_query {
    uint8_t ip_proto;           /* IPPROTO_TCP or IPPROTO_UDP. */
    struct in6_addr client;     /* IPv6, or IPv4-mapped (model.h). */
    uint16_t client_port;
    struct in6_addr vip;        /* Of the client's family. */
    uint16_t vip_port;
};

char *trace_query_parse(const char *protocol, const char *client,
                        const char *vip, struct trace_query *);

/* Called once with the answer: an HTTP-like 'status' (200, or 404 for no
 * such service) and a JSON object (schemas/openapi.json, TraceResult, or
 * an error document) that the callee may keep a reference to. */
typedef void trace_done_func(void *aux, unsigned int status, json_t *);

struct trace *trace_create(const struct dsr_config *, const struct lb *,
                           const struct datapath_monitor *);
void trace_register_unixctl(struct trace *);
void trace_destroy(struct trace *);
void trace_run(struct trace *);
void trace_wait(struct trace *);
void trace_start(struct trace *, const struct trace_query *,
                 trace_done_func *, void *aux);

#endif /* controller/trace.h */
