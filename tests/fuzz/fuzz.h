/* What the libFuzzer harnesses in tests/fuzz share: the entry point's
 * prototype and checks of what the code under test promises about its
 * error messages. */
#ifndef DSR_FUZZ_H
#define DSR_FUZZ_H 1

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"
#include "controller/utf8.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Errors go into JSON answers: they must be UTF-8, or jansson drops
 * them. */
static inline void
fuzz_check_text(const char *s)
{
    ovs_assert(s && utf8_is_valid(s, strlen(s), NULL));
}

/* Errors of config.c and the schema validator are "JSONPATH: REASON". */
static inline void
fuzz_check_path_error(const char *error)
{
    fuzz_check_text(error);
    ovs_assert(error[0] == '$' && strstr(error, ": "));
}

/* A configuration dsrd accepted must serialize to a document that is
 * accepted again, unchanged, as the state file: otherwise dsrd could not
 * restart from its own state. */
static inline void
fuzz_check_round_trip(const struct dsr_config *cfg)
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

#endif /* tests/fuzz/fuzz.h */
