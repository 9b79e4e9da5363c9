/* Settings of the local ovs-vswitchd that the pipeline relies on and
 * OpenFlow cannot make. */
#ifndef DSR_VSWITCHD_H
#define DSR_VSWITCHD_H 1

#include <stdbool.h>

bool vswitchd_relax_tcp_conntrack(bool warn);
int vswitchd_transact(const char *command, int argc, char *argv[],
                      char **result, char **error_text);

#endif /* controller/vswitchd.h */
