/* Access to the compiled-in JSON Schemas. */
#include <config.h>
#include "schemas/schemas.h"

#include <string.h>
#include "schemas/json-schema.h"
#include "util.h"

const json_t *
dsr_schema(const char *name)
{
    static json_t **parsed;
    size_t n = 0;

    while (dsr_schema_texts[n].name) {
        n++;
    }
    if (!parsed) {
        parsed = xcalloc(n, sizeof *parsed);
    }
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(dsr_schema_texts[i].name, name)) {
            if (!parsed[i]) {
                json_error_t error;
                parsed[i] = json_loads(dsr_schema_texts[i].text, 0, &error);
                ovs_assert(parsed[i]);
            }
            return parsed[i];
        }
    }
    return NULL;
}

char *
dsr_schema_validate(const char *name, const json_t *instance,
                    const char *path)
{
    /* The compiled-in schemas are never freed: their compiled forms can be
     * kept for good. */
    static struct json_schema_cache *cache;
    const json_t *schema = dsr_schema(name);

    ovs_assert(schema);
    if (!cache) {
        cache = json_schema_cache_create();
    }
    return json_schema_validate_cached(cache, schema, instance, path,
                                       dsr_schema);
}
