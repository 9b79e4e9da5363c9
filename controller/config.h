/* Reading, checking and writing dsrd's configuration: the JSON Schemas in
 * schemas/ catch shape errors; this module adds what a schema cannot say
 * (uniqueness, references, DSR's rules), always naming the offending field
 * by its JSONPath.  Checking one service against the rest of the
 * configuration costs in proportion to that service, not to the whole
 * configuration, thanks to indexes kept in struct dsr_config.
 *
 * Four files implement it, each section below names its own:
 * config.c (the indexes and limits), config-parse.c (JSON to model, one
 * service at a time), config-load.c (whole documents) and config-text.c
 * (model to text, and the reader of that text's layout). */
#ifndef DSR_CONFIG_H
#define DSR_CONFIG_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "openvswitch/types.h"

struct dsr_backend;
struct dsr_announce;
struct dsr_config;
struct dsr_limits;
struct dsr_service;
struct ds;

/* config.c: the configuration's services and the indexes that check them
 * for conflicts; its limits. */

void dsr_config_init(struct dsr_config *);
void dsr_config_destroy(struct dsr_config *);

/* A new object, from each member that a schema (its $defs 'def', if not
 * NULL) states a "default" for, to that default: what a document that
 * lacks the member means. */
json_t *dsr_config_schema_defaults(const char *schema, const char *def);

/* "limits" (validated; NULL: all defaults) to struct dsr_limits, and
 * back. */
void dsr_limits_from_json(const json_t *, struct dsr_limits *);
json_t *dsr_limits_to_json(const struct dsr_limits *);
bool dsr_limits_equal(const struct dsr_limits *, const struct dsr_limits *);

/* dsr_config_check_service() checks a service (parsed by
 * dsr_service_from_json()) against every other service (all but
 * 'replacing'); its errors are conflicts.  dsr_config_check_limits()
 * checks it against the configuration's limits (struct dsr_limits). */
char *dsr_config_check_service(const struct dsr_config *,
                               const struct dsr_service *,
                               const struct dsr_service *replacing,
                               const char *path);
char *dsr_config_check_limits(const struct dsr_config *,
                              const struct dsr_service *,
                              const struct dsr_service *replacing,
                              const char *path);
/* Whether member 'key' of 'j' (JSONPath PATH.KEY), an address, may be a
 * VIP or a backend's address; 'trusted' for dsrd's own state file. */
char *dsr_announce_from_json(const json_t *, struct dsr_announce *,
                             const char *path);
json_t *dsr_announce_to_json(const struct dsr_announce *);
bool dsr_announce_equal(const struct dsr_announce *,
                        const struct dsr_announce *);
char *dsr_config_check_shared_zone(const struct dsr_config *, size_t i);
char *dsr_config_check_ip(const json_t *j, const char *key,
                          const char *path, bool trusted);
/* Adding assigns a service id if the service has none; removing leaves
 * the service to the caller to free; stamping gives every part of the
 * service not yet versioned the configuration's version. */
void dsr_config_add_service(struct dsr_config *, struct dsr_service *);
void dsr_config_remove_service(struct dsr_config *, struct dsr_service *);
void dsr_config_stamp_service(struct dsr_config *, struct dsr_service *);
void dsr_service_stamp(struct dsr_service *, uint64_t version);

/* config-parse.c: JSON to model. */

/* Validates a whole document against its schema and reads its bridges and
 * limits into 'cfg', not its services. */
char *dsr_config_settings_from_json(const json_t *, struct dsr_config *cfg);

/* One service.  dsr_service_from_json() checks the object alone, with
 * error paths under 'path'; 'old' (may be NULL) is the service it will
 * replace, whose id and backends' bucket ids and versions carry over. */
char *dsr_service_from_json(const struct dsr_config *, const json_t *,
                            const char *path, bool trust_ids,
                            const struct dsr_service *old,
                            struct dsr_service **svcp);
/* The same for a service that passed its schema already (in a whole
 * document). */
char *dsr_service_from_valid_json(const struct dsr_config *, const json_t *,
                                  const char *path, bool trust_ids,
                                  const struct dsr_service *old,
                                  struct dsr_service **svcp);
/* Whether two services are the same but for their versions. */
bool dsr_service_equal(const struct dsr_service *,
                       const struct dsr_service *);
/* A cheap test that the service JSON would leave 'old' as it is: true
 * only if so (false may still mean the same).  It reads any JSON safely,
 * but its answer holds only for JSON valid against service.schema.json:
 * validate first. */
bool dsr_service_json_same(const struct dsr_config *, const json_t *,
                           const struct dsr_service *old);

/* config-load.c: whole documents.  Each returns NULL on success, with
 * 'cfg' (initialized by the caller) filled in; or a malloc'd error
 * "JSONPATH: REASON" and 'cfg' left empty.  'trust_ids' takes ids, bucket
 * ids and versions from the document (dsrd's own state file); otherwise
 * they are assigned. */
char *dsr_config_from_json(const json_t *, bool trust_ids,
                           struct dsr_config *cfg);
char *dsr_config_from_string(const char *, struct dsr_config *cfg);
char *dsr_config_from_file(const char *file_name, bool trust_ids,
                           struct dsr_config *cfg);
bool dsr_config_read_head(const char *file_name, struct dsr_config *cfg);
void dsr_config_trim_heap(void);

/* config-text.c: serialization.  dsr_*_put_json() append compact JSON
 * text (one service per line for a whole configuration), the *_to_json()
 * forms parse it. */
void dsr_config_put_json(struct ds *, const struct dsr_config *);
json_t *dsr_config_to_json(const struct dsr_config *);
json_t *dsr_service_to_json(const struct dsr_service *);
void dsr_service_put_json(struct ds *, const struct dsr_service *);
const struct dsr_service **dsr_config_sorted_services(
    const struct dsr_config *);
json_t *dsr_backend_to_json(const struct dsr_service *,
                            const struct dsr_backend *);
void dsr_backend_put_json(struct ds *, const struct dsr_service *,
                          const struct dsr_backend *);

/* The lines of 'text' (not necessarily null-terminated) laid out as
 * dsr_config_put_json() writes it: a head up to and with "services": [,
 * then a service a line, each but the last ending in a comma, then " ]}".
 * Returns the number of service lines, or SIZE_MAX if 'text' is laid out
 * otherwise; '*head_len' gets the head's length, '*starts' and '*lens'
 * (malloc'd, also on failure) the services' text, without indent and
 * comma.  So a document of many services can be read, or compared with
 * the configuration in force, a service at a time. */
/* The length of the head of 'text' so laid out (up to "services": [), or
 * SIZE_MAX if 'text' does not start so or holds no such line yet. */
size_t dsr_config_head_length(const char *text, size_t len);
size_t dsr_config_split_lines(const char *text, size_t len, size_t *head_len,
                              const char ***starts, size_t **lens);
/* The head of such a text, its first 'head_len' bytes, parsed as a whole
 * document without services; NULL if it does not parse. */
json_t *dsr_config_parse_head(const char *text, size_t head_len);

#endif /* controller/config.h */
