/* What the libFuzzer harnesses in tests/fuzz share: the entry point's
 * prototype and checks of what the code under test promises about its
 * error messages. */
#ifndef DSR_FUZZ_H
#define DSR_FUZZ_H 1

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

#endif /* tests/fuzz/fuzz.h */
