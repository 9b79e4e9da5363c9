/* libFuzzer harness: what an API client sends, as api.c reads it before
 * any resource logic.  The input is lines: the URL path (as libmicrohttpd
 * hands it over, percent-decoded), the Content-Type, the If-Match value,
 * then the body. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/api-request.h"

/* Returns a malloc'd copy of the next line of [*p, end), or NULL at the
 * end (a missing header). */
static char *
next_line(const char **p, const char *end)
{
    if (*p >= end) {
        return NULL;
    }
    const char *nl = memchr(*p, '\n', end - *p);
    const char *stop = nl ? nl : end;
    char *line = xmemdup0(*p, stop - *p);
    *p = nl ? nl + 1 : end;
    return line;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *) data;
    const char *end = p + size;
    char *path = next_line(&p, end);
    char *type = next_line(&p, end);
    char *if_match = next_line(&p, end);
    struct api_route route;

    if (!path) {
        return 0;
    }
    char *error = api_route_parse(path, &route);
    if (error) {
        fuzz_check_text(error);
        ovs_assert(route.resource == API_NOT_FOUND);
        free(error);
    } else {
        ovs_assert(!route.service || (*route.service
                                      && !strchr(route.service, '/')));
        ovs_assert(!route.backend || (*route.backend
                                      && !strchr(route.backend, '/')));
        ovs_assert(!route.backend || route.resource == API_BACKENDS);
        ovs_assert(route.resource != API_NOT_FOUND || route.not_found);
    }
    api_route_destroy(&route);

    /* Whatever a client puts in a reason comes back as UTF-8. */
    char *safe = utf8_sanitize(path);
    fuzz_check_text(safe);
    free(safe);

    api_if_match(if_match, size);

    struct api_request_error e;
    json_t *json = api_body_parse(type, p, end - p, &e);
    if (json) {
        char *text = json_dumps(json, JSON_ENCODE_ANY);
        ovs_assert(text);
        free(text);
        json_decref(json);
    } else {
        ovs_assert(e.status == 400 || e.status == 415);
        fuzz_check_text(e.reason);
        free(e.reason);
    }
    free(path);
    free(type);
    free(if_match);
    return 0;
}
