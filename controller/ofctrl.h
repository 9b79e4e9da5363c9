/* One OpenFlow 1.5 connection to one OVS bridge, and the synchronization
 * of that bridge's flows and groups with dsrd's desired state.
 *
 * Callers set the desired state owner by owner (flows/flow-set.h); ofctrl
 * sends only what changed, as one atomic, ordered bundle at a time, so the
 * switch never holds half a change.  After every (re)connection it reads
 * back dsrd's flows (cookie tag 0xd5) and the groups, and sends only what
 * differs from the desired state, in a single atomic bundle: the datapath
 * sees the old pipeline or the new one, never an empty table.
 *
 * That first sync after a (re)connection holds: ofctrl reads the switch
 * back but changes nothing until the caller says, with
 * ofctrl_release_hold(), that its desired state is complete (the backends'
 * MACs and tunnel ports are known), or for at most a second after the
 * last ofctrl_extend_hold() (the caller still learning them: a pool of
 * 1,000 backends takes more than a second of ARP), 10 s at most.  A
 * restarted dsrd that sent what it has at once would empty the groups the
 * switch is forwarding with.  A switch with none of dsrd's flows is programmed
 * at once.  While held with the dump in, the caller may read the dump
 * (ofctrl_held_dump()): a restarted dsrd learns the backends' MACs from
 * it rather than wait for their answers.
 *
 * The statistics rounds are declared in ofctrl-stats.h, included here. */
#ifndef DSR_OFCTRL_H
#define DSR_OFCTRL_H 1

#include <stdbool.h>
#include <stdint.h>
#include "controller/ofctrl-stats.h"
#include "openvswitch/types.h"

struct dp_packet;
struct ds;
struct dsr_owner;
struct flow;
struct ofpbuf;

/* Called for each packet-in: 'flow' is extracted from 'packet'. */
typedef void ofctrl_packet_in_cb(void *aux, const struct flow *,
                                 const struct dp_packet *packet,
                                 ofp_port_t in_port);

struct ofctrl *ofctrl_create(const char *bridge, const char *target,
                             ofctrl_packet_in_cb *, void *aux);
void ofctrl_destroy(struct ofctrl *);

void ofctrl_run(struct ofctrl *);
void ofctrl_wait(struct ofctrl *);

void ofctrl_set_owner(struct ofctrl *, uint64_t cookie, struct dsr_owner *);
void ofctrl_send(struct ofctrl *, struct ofpbuf *);
void ofctrl_send_packet(struct ofctrl *, const struct dp_packet *,
                        ofp_port_t out_port);
void ofctrl_send_packet_to_table(struct ofctrl *, const struct dp_packet *,
                                 uint8_t table);
void ofctrl_send_packet_out(struct ofctrl *, const struct dp_packet *,
                            const struct ofpbuf *ofpacts);

/* Tracking whether the switch has a change: every ofctrl_set_owner() gets
 * a new sequence number; a caller remembers ofctrl_get_change_seqno()
 * after its changes and polls ofctrl_get_change_state() with it. */
enum ofctrl_change_state {
    OFCTRL_CHANGE_PENDING,      /* Not yet acknowledged by the switch. */
    OFCTRL_CHANGE_DONE,         /* Committed on the switch. */
    OFCTRL_CHANGE_FAILED,       /* The switch rejected the bundle. */
};
uint64_t ofctrl_get_change_seqno(const struct ofctrl *);
enum ofctrl_change_state ofctrl_get_change_state(const struct ofctrl *,
                                                 uint64_t seqno,
                                                 const char **error);

bool ofctrl_is_connected(const struct ofctrl *);
bool ofctrl_is_synced(const struct ofctrl *);
unsigned int ofctrl_get_connection_seqno(const struct ofctrl *);
void ofctrl_format_status(const struct ofctrl *, struct ds *);
void ofctrl_set_group_limit(struct ofctrl *, uint32_t limit);
void ofctrl_release_hold(struct ofctrl *);
void ofctrl_extend_hold(struct ofctrl *);
void ofctrl_hold(struct ofctrl *);

/* An ofctrl may be created, connected and reading its switch back before
 * its caller's desired state is known (controller/early-sync.h), with its
 * sync deferred; the caller then takes it over with these and
 * ofctrl_hold(). */
void ofctrl_defer_sync(struct ofctrl *);
void ofctrl_set_packet_in_cb(struct ofctrl *, ofctrl_packet_in_cb *,
                             void *aux);
bool ofctrl_is_reading_back(const struct ofctrl *);

/* While a sync holds with the switch's dump in, that is, until it
 * reconciles, the dump is what the switch does now: its flows of one
 * cookie, or NULL. */
bool ofctrl_is_held(const struct ofctrl *);
const struct dsr_owner *ofctrl_held_dump(const struct ofctrl *,
                                         uint64_t cookie);
const char *ofctrl_get_rejection(const struct ofctrl *, uint64_t cookie);
uint64_t ofctrl_get_rejection_seqno(const struct ofctrl *);

#endif /* controller/ofctrl.h */
