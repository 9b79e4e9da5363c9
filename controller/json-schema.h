/* A validator for the subset of JSON Schema (2020-12) that the files in
 * schemas/ use, so that those files stay the one source of the API and
 * config contract.
 *
 * Supported keywords: $ref (local "#/$defs/NAME" only), type, enum, const,
 * properties, required, additionalProperties, items, minItems, maxItems,
 * minimum, maximum, minLength, maxLength, pattern (POSIX extended regular
 * expressions), format ("ipv4", "mac"), anyOf and oneOf.  Annotations such
 * as title, description, default and examples are ignored.  Any other
 * keyword makes validation fail loudly, so a schema never silently means
 * less than it says. */
#ifndef DSR_JSON_SCHEMA_H
#define DSR_JSON_SCHEMA_H 1

#include <jansson.h>

/* Validates 'instance' against 'schema'.  Returns NULL if it is valid,
 * otherwise a malloc'd error "PATH: REASON" naming the first offending
 * field as a JSONPath, e.g. "$.services[0].port: must be at most 65535". */
char *json_schema_validate(const json_t *schema, const json_t *instance);

#endif /* controller/json-schema.h */
