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
 * The DSR-path probe (check "dsr": true) also sends a TCP SYN (tcp and
 * http checks) or the check's UDP datagram (udp checks) to the VIP
 * through the data path, rewritten or encapsulated to that backend as
 * client traffic is: a backend that answers on its real IP but not on the
 * VIP (the VIP is missing from its loopback or tunnel device, or it does
 * not decapsulate), or whose UDP service answers from its real IP, is down
 * with a reason that says so (health-dsr.c). */
#ifndef DSR_HEALTH_H
#define DSR_HEALTH_H 1

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "openvswitch/types.h"

struct dsr_service;

/* Addresses are IPv6 or IPv4-mapped (controller/model.h), the DSR-path
 * probe's too. */
typedef void health_change_cb(void *aux, uint32_t service_id,
                              const struct in6_addr *ip, bool up);

/* One DSR-path probe to send: from the bridge's probe address and
 * 'sport' to the VIP's 'port', delivered to backend 'ip'. */
struct health_dsr_probe {
    uint32_t service_id;
    struct in6_addr ip;         /* The backend's real IP. */
    uint16_t port;
    uint16_t sport;
    bool udp;                   /* A UDP datagram, else a TCP SYN. */
    const uint8_t *payload;     /* UDP: the check's datagram. */
    size_t payload_len;
};

/* Sends 'probe'; returns false if it cannot (the backend's MAC is
 * unknown, its tunnel port missing, say). */
typedef bool health_dsr_send_cb(void *aux, const struct health_dsr_probe *);

/* An answer to a DSR-path probe, addressed to its source port 'sport'. */
struct health_dsr_reply {
    uint16_t sport;
    struct in6_addr src;        /* The answer's source address. */
    bool udp;
    bool syn_ack;               /* TCP: a SYN-ACK, else an RST. */
    const uint8_t *payload;     /* UDP: the datagram. */
    size_t payload_len;
};

/* Reads a packet-in addressed to the probe address ('flow' extracted from
 * 'packet') as an answer: a UDP datagram, a TCP SYN-ACK or an RST.
 * Returns false for anything else, or a truncated packet. */
struct flow;
struct dp_packet;
bool health_dsr_reply_parse(const struct flow *, const struct dp_packet *,
                            struct health_dsr_reply *);

struct health *health_create(health_change_cb *, health_dsr_send_cb *,
                             void *aux);
void health_destroy(struct health *);

void health_set_service(struct health *, const struct dsr_service *);
void health_remove_service(struct health *, const struct dsr_service *);
bool health_dsr_reply(struct health *, const struct health_dsr_reply *,
                      uint32_t *service_id, struct in6_addr *ip);

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
                    const struct in6_addr *ip);
void health_get_status(const struct health *, uint32_t service_id,
                       const struct in6_addr *ip, struct health_status *);

#endif /* controller/health.h */
