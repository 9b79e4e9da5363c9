/* A validator for the subset of JSON Schema (2020-12) that the files in
 * schemas/ use, so that those files stay the one source of the API and
 * config contract.
 *
 * Supported keywords: $ref ("#/$defs/NAME", "FILE" or "FILE#/$defs/NAME",
 * FILE being another schema that the caller's loader returns), type, enum,
 * const, properties, required, additionalProperties, items, minItems,
 * maxItems, minimum, maximum, minLength, maxLength, pattern (POSIX extended
 * regular expressions), format ("ipv4", "mac"), anyOf and oneOf.
 * Annotations such as title, description, default, examples and readOnly
 * are ignored.  Any other keyword makes validation fail loudly, so a schema
 * never silently means less than it says. */
#ifndef DSR_JSON_SCHEMA_H
#define DSR_JSON_SCHEMA_H 1

#include <jansson.h>

/* Returns the schema document named 'name' (e.g. "backend.schema.json"),
 * or NULL if there is none. */
typedef const json_t *json_schema_loader(const char *name);

/* Validates 'instance' against 'schema'.  Returns NULL if it is valid,
 * otherwise a malloc'd error "PATH: REASON" naming the first offending
 * field as a JSONPath under 'path' (e.g. "$"), such as
 * "$.services[0].port: must be at most 65535".  'loader' resolves $refs to
 * other files; it may be NULL if there are none. */
char *json_schema_validate(const json_t *schema, const json_t *instance,
                           const char *path, json_schema_loader *loader);

/* The same with the schemas' keywords looked up (and their patterns
 * compiled) once and kept in 'cache' for the next calls: for schemas that
 * live as long as the cache, which owns all of it and frees it. */
struct json_schema_cache *json_schema_cache_create(void);
void json_schema_cache_destroy(struct json_schema_cache *);
char *json_schema_validate_cached(struct json_schema_cache *,
                                  const json_t *schema,
                                  const json_t *instance, const char *path,
                                  json_schema_loader *loader);

#endif /* schemas/json-schema.h */
