/* dsrd's persistent state: the whole configuration, ids and versions
 * included, in one JSON file written atomically (temporary file, fsync,
 * rename, fsync of the directory) before any change is acknowledged.  The
 * configuration file only seeds the state file the first time. */
#ifndef DSR_STORE_H
#define DSR_STORE_H 1

#include <stdbool.h>
#include "openvswitch/compiler.h"

struct dsr_config;

char *store_load(const char *state_file, const char *config_file,
                 struct dsr_config *, bool *from_state)
    OVS_WARN_UNUSED_RESULT;
char *store_save(const struct dsr_config *, const char *state_file)
    OVS_WARN_UNUSED_RESULT;

#endif /* controller/store.h */
