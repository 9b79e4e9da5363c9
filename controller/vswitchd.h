/* The local ovs-vswitchd's control socket (what ovs-appctl talks to):
 * settings the pipeline relies on and OpenFlow cannot make, and
 * questions dsrd asks it (routes to GRE backends, controller/tunnel.c),
 * the latter without blocking the poll loop. */
#ifndef DSR_VSWITCHD_H
#define DSR_VSWITCHD_H 1

#include <stdbool.h>

struct vswitchd_client;

bool vswitchd_relax_tcp_conntrack(bool warn);
int vswitchd_transact(const char *command, int argc, char *argv[],
                      char **result, char **error_text);

struct vswitchd_client *vswitchd_client_create(void);
void vswitchd_client_destroy(struct vswitchd_client *);
int vswitchd_client_send(struct vswitchd_client *, const char *command,
                         int argc, char *argv[], long long int *id);
int vswitchd_client_recv(struct vswitchd_client *, long long int *id,
                         char **result, char **error_text);
void vswitchd_client_run(struct vswitchd_client *);
void vswitchd_client_wait(struct vswitchd_client *);

#endif /* controller/vswitchd.h */
