/* libFuzzer harness: "dsrctl import"'s parsers.  Input that starts with
 * '-' is read as "ipvsadm -Sn" output, anything else as keepalived.conf
 * (includes are not followed: a fuzzer must not read the disk); both are
 * then mapped to services.  Every finding must name the input's FILE:LINE,
 * and a file that has no error must map to services whose only possible
 * fault is one dsrd reports as "JSONPATH: REASON". */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/import.h"

/* Every entry of 'list' is "NAME:LINE: ..." in UTF-8 or, from inputs that
 * are not, at least begins so. */
static void
check_findings(const struct svec *list, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < list->n; i++) {
        const char *s = list->names[i];
        ovs_assert(!strncmp(s, name, n) && s[n] == ':');
        ovs_assert(s[n + 1] >= '1' && s[n + 1] <= '9');
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *) data;
    bool ipvsadm = size && data[0] == '-';
    const char *name = ipvsadm ? "f.save" : "f.conf";
    struct import_options options = { .gre = size & 1 };
    struct import_model m;

    import_model_init(&m);
    if (ipvsadm) {
        import_ipvsadm_buffer(name, text, size, &m);
    } else {
        import_keepalived_buffer(name, text, size, false, &m);
    }
    json_t *services = import_to_services(&m, &options);
    ovs_assert(json_is_array(services));
    check_findings(&m.errors, name);
    check_findings(&m.refusals, name);
    check_findings(&m.notes, name);
    if (!m.errors.n) {
        char *error = import_validate(services, NULL);
        if (error) {
            fuzz_check_path_error(error);
        }
        free(error);
    }
    json_decref(services);
    import_model_destroy(&m);
    return 0;
}
