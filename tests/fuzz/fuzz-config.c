/* libFuzzer harness: a whole configuration document (the --config file,
 * the state file, PUT /v1/config).  Whatever is accepted must serialize
 * to a document that is accepted again, unchanged, as the state file:
 * otherwise dsrd could not restart from its own state. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/config.h"
#include "controller/model.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerror;
    json_t *json = json_loadb((const char *) data, size,
                              JSON_REJECT_DUPLICATES, &jerror);

    if (!json) {
        return 0;
    }
    for (int trust_ids = 0; trust_ids < 2; trust_ids++) {
        struct dsr_config cfg;

        dsr_config_init(&cfg);
        char *error = dsr_config_from_json(json, trust_ids, &cfg);
        if (error) {
            fuzz_check_path_error(error);
            ovs_assert(!hmap_count(&cfg.services));
            free(error);
        } else {
            fuzz_check_round_trip(&cfg);
        }
        dsr_config_destroy(&cfg);
    }
    json_decref(json);
    return 0;
}
