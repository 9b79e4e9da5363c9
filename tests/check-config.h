/* Helpers for the unit tests of configuration parsing: parse a document,
 * assert that one is rejected with a given error. */
#ifndef DSR_CHECK_CONFIG_H
#define DSR_CHECK_CONFIG_H 1

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"

static inline char *
parse(const char *text, struct dsr_config *cfg)
{
    dsr_config_init(cfg);
    return dsr_config_from_string(text, cfg);
}

/* Asserts that 'text' is rejected with an error containing 'expected',
 * and that nothing of it is left in the configuration. */
static inline void
assert_rejected(const char *text, const char *expected)
{
    struct dsr_config cfg;
    char *error = parse(text, &cfg);

    ck_assert_msg(error != NULL, "accepted: %s", text);
    ck_assert_msg(strstr(error, expected) != NULL,
                  "error \"%s\" lacks \"%s\"", error, expected);
    ck_assert_uint_eq(hmap_count(&cfg.services), 0);
    free(error);
    dsr_config_destroy(&cfg);
}

#endif /* tests/check-config.h */
