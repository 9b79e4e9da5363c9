/* Health checking of backends (schemas/health-check.schema.json).
 *
 * Every backend with a check has a target that is probed every interval
 * (spread with jitter so thousands of backends do not fire together),
 * without ever blocking the poll loop: sockets, libcurl's multi interface
 * and child processes are all waited on by poll_block().  rise successes
 * in a row bring a backend up, fall failures in a row take it down; each
 * change is reported through a callback, which lb.c turns into one group
 * modification.  A backend starts up, so that a dsrd restart never drops
 * healthy traffic while the first probes run.
 *
 * The DSR-path probe (check "dsr": true) also sends a TCP SYN to the VIP
 * through the data path, rewritten to that backend as client traffic is:
 * a backend that answers on its real IP but not on the VIP (the VIP is
 * missing from its loopback) is down with a reason that says so. */
#ifndef DSR_HEALTH_H
#define DSR_HEALTH_H 1

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dsr_service;

typedef void health_change_cb(void *aux, uint32_t service_id, ovs_be32 ip,
                              bool up);

/* Sends the DSR-path SYN for a probe whose source port is 'sport';
 * returns false if it cannot (the backend's MAC is unknown, say). */
typedef bool health_dsr_send_cb(void *aux, uint32_t service_id,
                                ovs_be32 ip, uint16_t port, uint16_t sport);

struct health *health_create(health_change_cb *, health_dsr_send_cb *,
                             void *aux);
void health_destroy(struct health *);

void health_set_service(struct health *, const struct dsr_service *);
void health_remove_service(struct health *, const struct dsr_service *);
void health_dsr_reply(struct health *, uint16_t sport, bool syn_ack);

void health_set_max_in_flight(struct health *, unsigned int max);
void health_reschedule_all(struct health *);
void health_run(struct health *);
void health_wait(struct health *);

struct health_status {
    bool checked;               /* Has a check at all. */
    bool up;
    const char *reason;         /* Of the last failure, or "". */
    long long int since;        /* Wall-clock ms of the last change. */
    int failures;               /* In a row. */
    double latency_ms;          /* Of the last probe. */
    const char *type;
};
bool health_is_down(const struct health *, uint32_t service_id,
                    ovs_be32 ip);
void health_get_status(const struct health *, uint32_t service_id,
                       ovs_be32 ip, struct health_status *);

#endif /* controller/health.h */
