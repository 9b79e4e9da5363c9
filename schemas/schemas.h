/* The JSON Schemas in schemas/, compiled into the binary (see Makefile.am)
 * so the files stay the one source of the API and configuration contract,
 * and validation against them. */
#ifndef DSR_SCHEMAS_H
#define DSR_SCHEMAS_H 1

#include <jansson.h>

/* One schema file's text; generated into schema-data.c. */
struct dsr_schema_text {
    const char *name;           /* File name, e.g. "service.schema.json". */
    const char *text;
};
extern const struct dsr_schema_text dsr_schema_texts[];

/* Returns the parsed schema 'name', or NULL if there is none. */
const json_t *dsr_schema(const char *name);

/* Validates 'instance' against schema 'name'; returns NULL or a malloc'd
 * "PATH: REASON" with paths under 'path' (e.g. "$"). */
char *dsr_schema_validate(const char *name, const json_t *instance,
                          const char *path);

#endif /* schemas/schemas.h */
