/* libFuzzer harness: a whole configuration document (the --config file,
 * the state file, PUT /v1/config).  Whatever is accepted must serialize
 * to a document that is accepted again, unchanged, as the state file:
 * otherwise dsrd could not restart from its own state. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/config.h"
#include "controller/model.h"

static void
check_round_trip(const struct dsr_config *cfg)
{
    json_t *saved = dsr_config_to_json(cfg);
    struct dsr_config again;

    dsr_config_init(&again);
    char *error = dsr_config_from_json(saved, true, &again);
    if (error) {
        char *text = json_dumps(saved, JSON_COMPACT);
        fprintf(stderr, "own output rejected: %s\n%s\n", error, text);
        abort();
    }
    json_t *resaved = dsr_config_to_json(&again);
    ovs_assert(json_equal(saved, resaved));
    json_decref(resaved);
    json_decref(saved);
    dsr_config_destroy(&again);
}

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
            check_round_trip(&cfg);
        }
        dsr_config_destroy(&cfg);
    }
    json_decref(json);
    return 0;
}
