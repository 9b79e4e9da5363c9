/* Reading dsrd's JSON configuration: schema validation (schemas/) plus the
 * checks a schema cannot express (uniqueness, references, DSR rules). */
#ifndef DSR_CONFIG_H
#define DSR_CONFIG_H 1

#include <jansson.h>

struct dsr_config;

/* Each returns NULL on success, with 'cfg' filled in (the caller
 * initializes it with dsr_config_init() and destroys it); or a malloc'd
 * error "JSONPATH: REASON" and 'cfg' left empty. */
char *dsr_config_from_json(const json_t *, struct dsr_config *cfg);
char *dsr_config_from_string(const char *, struct dsr_config *cfg);
char *dsr_config_from_file(const char *file_name, struct dsr_config *cfg);

#endif /* controller/config.h */
