/* validate-json SCHEMA [FILE]: validates a JSON document (FILE or stdin)
 * against one of dsrd's compiled-in schemas, e.g. "service.schema.json";
 * exits 0 if valid, else prints the error and exits 1.  The tests use it
 * on API responses and on the examples in the documentation. */
#include <config.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include "schemas/schemas.h"

int
main(int argc, char *argv[])
{
    json_error_t jerror;
    json_t *json;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s SCHEMA [FILE]\n", argv[0]);
        return 2;
    }
    if (!dsr_schema(argv[1])) {
        fprintf(stderr, "%s: no such schema\n", argv[1]);
        return 2;
    }
    json = (argc == 3 ? json_load_file(argv[2], 0, &jerror)
                      : json_loadf(stdin, 0, &jerror));
    if (!json) {
        fprintf(stderr, "line %d: %s\n", jerror.line, jerror.text);
        return 1;
    }
    char *error = dsr_schema_validate(argv[1], json, "$");
    json_decref(json);
    if (error) {
        printf("%s\n", error);
        free(error);
        return 1;
    }
    return 0;
}
