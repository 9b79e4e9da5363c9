/* libFuzzer harness: JSON Merge Patch (RFC 7396), which PATCH requests
 * go through.  The input is two JSON texts, the target then the patch.
 * The target must come out untouched, and applying a patch twice must
 * give what applying it once gives. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/json-merge.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    json_error_t jerror;
    json_t *target = json_loadb(text, size, JSON_DECODE_ANY
                                | JSON_DISABLE_EOF_CHECK, &jerror);

    if (!target) {
        return 0;
    }
    size_t used = jerror.position;
    json_t *patch = json_loadb(text + used, size - used, JSON_DECODE_ANY,
                               &jerror);
    if (!patch) {
        json_decref(target);
        return 0;
    }
    json_t *before = json_deep_copy(target);

    json_t *once = json_merge_patch(target, patch);
    json_t *twice = json_merge_patch(once, patch);
    ovs_assert(once && twice);
    ovs_assert(json_equal(target, before));
    ovs_assert(json_equal(once, twice));
    /* Patching nothing (a missing member) works too. */
    json_t *from_null = json_merge_patch(NULL, patch);
    ovs_assert(from_null);

    json_decref(from_null);
    json_decref(twice);
    json_decref(once);
    json_decref(before);
    json_decref(patch);
    json_decref(target);
    return 0;
}
