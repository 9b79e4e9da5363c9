/* JSON Merge Patch (RFC 7396), for API PATCH requests and for a backend's
 * health check overriding its service's. */
#ifndef DSR_JSON_MERGE_H
#define DSR_JSON_MERGE_H 1

#include <jansson.h>

json_t *json_merge_patch(const json_t *target, const json_t *patch);

#endif /* controller/json-merge.h */
