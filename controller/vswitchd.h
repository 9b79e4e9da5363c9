/* The local ovs-vswitchd's control socket (what ovs-appctl talks to):
 * settings the pipeline relies on and OpenFlow cannot make, and
 * questions dsrd asks it (routes to GRE backends, controller/tunnel.c);
 * neither blocks the poll loop. */
#ifndef DSR_VSWITCHD_H
#define DSR_VSWITCHD_H 1

#include <stdbool.h>

struct vswitchd_client;

/* Turns off the TCP sequence checks of the userspace datapath's
 * conntrack and limits dsrd's zone to 'zone_limit' pins (0: no limit),
 * after each connection to the switch (see vswitchd.c). */
struct vswitchd_relax;
struct vswitchd_relax *vswitchd_relax_create(unsigned int zone_limit);
void vswitchd_relax_destroy(struct vswitchd_relax *);
void vswitchd_relax_start(struct vswitchd_relax *);
void vswitchd_relax_run(struct vswitchd_relax *);
void vswitchd_relax_wait(struct vswitchd_relax *);

struct vswitchd_client *vswitchd_client_create(void);
void vswitchd_client_destroy(struct vswitchd_client *);
int vswitchd_client_send(struct vswitchd_client *, const char *command,
                         int argc, char *argv[], long long int *id);
int vswitchd_client_recv(struct vswitchd_client *, long long int *id,
                         char **result, char **error_text);
void vswitchd_client_run(struct vswitchd_client *);
void vswitchd_client_wait(struct vswitchd_client *);

#endif /* controller/vswitchd.h */
