/* The load balancer: the configured services, the bridges they live on,
 * and the glue that turns both into each bridge's desired flows
 * (flows/pipeline.h) as backends' MACs and ports become known. */
#ifndef DSR_LB_H
#define DSR_LB_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "packets.h"

struct ds;
struct dsr_backend;
struct dsr_config;
struct dsr_service;
struct early_sync;

struct lb *lb_create(const struct dsr_config *, struct early_sync *);
struct datapath_monitor;
void lb_set_datapaths(struct lb *, const struct datapath_monitor *);
void lb_set_max_probes_in_flight(struct lb *, unsigned int);
void lb_add_service(struct lb *, const struct dsr_service *);
void lb_remove_service(struct lb *, const struct dsr_service *);
void lb_replace_service(struct lb *, const struct dsr_service *old,
                        const struct dsr_service *new);
void lb_destroy(struct lb *);
void lb_run(struct lb *);
void lb_wait(struct lb *);
void lb_format_show(const struct lb *, struct ds *);
void lb_format_reactions(const struct lb *, struct ds *);

/* Change tracking per bridge: lb_get_changes() gives each bridge's
 * latest change, taken after a write; lb_get_change_state() then says
 * whether that bridge's switch has it. */
struct lb_change {
    const char *bridge;
    uint64_t seqno;
};
enum lb_change_state {
    LB_CHANGE_PENDING,          /* Not yet acknowledged by the switch. */
    LB_CHANGE_DONE,             /* Committed on the switch (or the bridge
                                 * is gone). */
    LB_CHANGE_FAILED,           /* The switch rejected it. */
};
size_t lb_get_changes(const struct lb *, struct lb_change *, size_t max);
enum lb_change_state lb_get_change_state(const struct lb *,
                                         const struct lb_change *,
                                         const char **error);

/* What the data plane knows about a backend. */
struct lb_backend_info {
    bool mac_known;             /* Configured or resolved. */
    bool resolved;              /* ARP answered: 'port' is valid. */
    struct eth_addr mac;
    uint32_t port;
    bool in_slots;              /* Among the backends its service's slots
                                 * are given to now (takes new
                                 * connections). */
    long long int since;        /* Wall-clock ms 'in_slots' last changed. */
};
void lb_get_backend_info(const struct lb *, const struct dsr_service *,
                         const struct dsr_backend *,
                         struct lb_backend_info *);
bool lb_bridge_status(const struct lb *, const char *bridge,
                      bool *connected, bool *synced);
uint64_t lb_service_state_seqno(const struct lb *);
const char *lb_service_rejection(const struct lb *,
                                 const struct dsr_service *);
struct lb_slots;
bool lb_get_slots(const struct lb *, const struct dsr_service *,
                  struct lb_slots *);
struct health_status;
void lb_get_health(const struct lb *, const struct dsr_service *,
                   const struct dsr_backend *, struct health_status *);
size_t lb_count_healthy(const struct lb *, const struct dsr_service *);
struct sset;
uint64_t lb_health_seqno(const struct lb *);
void lb_get_backends_down(const struct lb *, struct sset *);

/* Counters from OVS (see ofctrl.h): lb_request_stats() starts a round on
 * every bridge and returns a token for lb_stats_done(). */
struct ofctrl_counters;
unsigned long long lb_request_stats(struct lb *);
bool lb_stats_done(const struct lb *, unsigned long long token);
void lb_get_service_counters(const struct lb *, const struct dsr_service *,
                             struct ofctrl_counters *);
bool lb_get_backend_counters(const struct lb *, const struct dsr_service *,
                             const struct dsr_backend *,
                             struct ofctrl_counters *);

#endif /* controller/lb.h */
