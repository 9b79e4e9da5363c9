/* Counters read from OVS (flow statistics) for one bridge, in rounds: a
 * caller starts one with ofctrl_request_stats() and waits until
 * ofctrl_stats_done() says that round (or a later one) is complete; the
 * counters of the last complete round are then read by cookie (a
 * service's ingress) or by backend.  Part of ofctrl (ofctrl.h includes
 * this header); the rounds live in ofctrl-stats.c. */
#ifndef DSR_OFCTRL_STATS_H
#define DSR_OFCTRL_STATS_H 1

#include <stdbool.h>
#include <stdint.h>

struct ofctrl;

struct ofctrl_counters {
    uint64_t packets;
    uint64_t bytes;
};

unsigned int ofctrl_request_stats(struct ofctrl *);
bool ofctrl_stats_done(const struct ofctrl *, unsigned int round);
bool ofctrl_get_cookie_counters(const struct ofctrl *, uint64_t cookie,
                                struct ofctrl_counters *);
bool ofctrl_get_backend_counters(const struct ofctrl *, uint32_t service_id,
                                 uint32_t ip, struct ofctrl_counters *);

#endif /* controller/ofctrl-stats.h */
