/* JSON Merge Patch.  See json-merge.h. */
#include <config.h>
#include "controller/json-merge.h"

#include "util.h"

/* Returns 'target' (may be NULL) with 'patch' applied, as a new
 * reference: objects merge member by member, null deletes a member,
 * anything else replaces. */
json_t *
json_merge_patch(const json_t *target, const json_t *patch)
{
    if (!json_is_object(patch)) {
        return json_deep_copy(patch);
    }
    json_t *result = json_is_object(target) ? json_deep_copy(target)
                                            : json_object();
    const char *key;
    json_t *value;

    json_object_foreach (CONST_CAST(json_t *, patch), key, value) {
        if (json_is_null(value)) {
            json_object_del(result, key);
        } else {
            json_object_set_new(result, key,
                                json_merge_patch(json_object_get(result,
                                                                 key),
                                                 value));
        }
    }
    return result;
}
