/* Connections to the bridges opened before dsrd's state is loaded.
 *
 * A restart at 10,000 services spends seconds loading the state file and
 * as long reading the switches back (OVS building its dump replies, dsrd
 * decoding them).  early_sync_start() reads only the state file's head
 * (its bridges), connects to each bridge and sends the dump requests;
 * early_sync_load() loads the state on a second thread while this one
 * reads the replies; lb_create() then takes each connection whose bridge
 * is still configured the same, and early_sync_destroy() closes the rest.
 * Nothing is sent to a switch but the requests: the first sync is
 * deferred until the lb holds it (ofctrl.h). */
#ifndef DSR_EARLY_SYNC_H
#define DSR_EARLY_SYNC_H 1

struct early_sync;
struct ofctrl;

struct early_sync *early_sync_start(const char *state_file);
void early_sync_load(struct early_sync *, void (*load)(void *aux),
                     void *aux);
struct ofctrl *early_sync_take(struct early_sync *, const char *bridge,
                               const char *target);
void early_sync_destroy(struct early_sync *);

#endif /* controller/early-sync.h */
