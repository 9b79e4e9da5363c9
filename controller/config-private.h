/* Shared by config-parse.c and its helpers: the schemas' defaults for the
 * members a JSON object lacks, and health checks from JSON.  Not for use
 * outside controller/config-*.c. */
#ifndef DSR_CONFIG_PRIVATE_H
#define DSR_CONFIG_PRIVATE_H 1

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct dsr_health_check;
struct dsr_service;

/* The defaults that the schemas state for the members of a service, a
 * backend, a health check and a bridge, as objects from member name to
 * default (see dsr_config_schema_defaults()). */
struct config_defaults {
    json_t *service;            /* service.schema.json */
    json_t *backend;            /* backend.schema.json */
    json_t *check;              /* health-check.schema.json */
    json_t *bridge;             /* config.schema.json's bridge */
    json_t *ct_timeouts;        /* config.schema.json's ct_timeouts */
};

const struct config_defaults *config_defaults(void);
const json_t *config_member(const json_t *, const json_t *defaults,
                            const char *key);
const char *config_member_string(const json_t *, const json_t *defaults,
                                 const char *key);
bool config_member_is(const json_t *, const json_t *defaults,
                      const char *key, const char *value);

json_t *config_service_check(const struct dsr_service *);
char *config_parse_check(const json_t *service_check, const json_t *own,
                         uint16_t service_port, const char *path,
                         struct dsr_health_check **checkp);

#endif /* controller/config-private.h */
