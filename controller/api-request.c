/* Parsing of API requests.  See api-request.h. */
#include <config.h>
#include "controller/api-request.h"

#include <inttypes.h>
#include <string.h>
#include "controller/utf8.h"
#include "util.h"

#define MAX_SEGMENTS 5

/* Fills 'route' from the (already percent-decoded) URL 'path'.  Returns
 * NULL, or a malloc'd reason why the path cannot even be looked up (it is
 * not UTF-8); 'route' is then API_NOT_FOUND. */
char *
api_route_parse(const char *path, struct api_route *route)
{
    size_t len = strlen(path);
    size_t bad;

    memset(route, 0, sizeof *route);
    route->resource = API_NOT_FOUND;
    route->not_found = "such resource";
    if (!utf8_is_valid(path, len, &bad)) {
        return xasprintf("the URL path is not valid UTF-8: byte 0x%02x at "
                         "offset %"PRIuSIZE, (unsigned char) path[bad], bad);
    }

    char *copy = xstrdup(path);
    char *segs[MAX_SEGMENTS + 1];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, "/", &save); tok && n <= MAX_SEGMENTS;
         tok = strtok_r(NULL, "/", &save)) {
        segs[n++] = tok;
    }

    if (n == 0 && !strcmp(path, "/")) {
        route->resource = API_PAGE;
    } else if (n == 1 && !strcmp(segs[0], "metrics")) {
        route->resource = API_METRICS;
    } else if (n < 2 || n > MAX_SEGMENTS || strcmp(segs[0], "v1")) {
        route->not_found = "such resource (see /v1/...)";
    } else if (!strcmp(segs[1], "stats") && n == 2) {
        route->resource = API_STATS;
    } else if (!strcmp(segs[1], "services") && n <= 3) {
        route->resource = API_SERVICES;
        route->service = n == 3 ? xstrdup(segs[2]) : NULL;
    } else if (!strcmp(segs[1], "services") && n >= 4
               && !strcmp(segs[3], "backends")) {
        route->resource = API_BACKENDS;
        route->service = xstrdup(segs[2]);
        route->backend = n == 5 ? xstrdup(segs[4]) : NULL;
    } else if (!strcmp(segs[1], "config") && n == 2) {
        route->resource = API_CONFIG;
    } else if (!strcmp(segs[1], "status") && n == 2) {
        route->resource = API_STATUS;
    } else if (!strcmp(segs[1], "trace") && n == 2) {
        route->resource = API_TRACE;
    } else if (!strcmp(segs[1], "history") && n == 2) {
        route->resource = API_HISTORY;
    } else if (!strcmp(segs[1], "node") && n == 2) {
        route->resource = API_NODE;
    } else if (!strcmp(segs[1], "cluster") && n == 2) {
        route->resource = API_CLUSTER;
    }
    free(copy);
    return NULL;
}

void
api_route_destroy(struct api_route *route)
{
    free(route->service);
    free(route->backend);
}

static json_t *
body_error__(struct api_request_error *e, unsigned int status,
             const char *error, char *reason)
{
    e->status = status;
    e->error = error;
    e->reason = reason;
    return NULL;
}

/* Parses a request body as JSON.  Returns it, or NULL with 'e' filled in
 * (415 not JSON, 400 not UTF-8 or malformed); 'e->reason' is valid UTF-8
 * whatever the body holds. */
json_t *
api_body_parse(const char *content_type, const char *body, size_t len,
               struct api_request_error *e)
{
    json_error_t error;
    size_t bad;

    memset(e, 0, sizeof *e);
    if (content_type && !strstr(content_type, "json")) {
        return body_error__(e, 415, "unsupported-media-type",
                            xstrdup("send application/json"));
    }
    /* Checked here rather than left to jansson, whose error would quote
     * the offending bytes. */
    if (!utf8_is_valid(body, len, &bad)) {
        return body_error__(e, 400, "bad-request",
                            xasprintf("the body is not valid UTF-8: byte "
                                      "0x%02x at offset %"PRIuSIZE,
                                      (unsigned char) body[bad], bad));
    }
    json_t *json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &error);
    if (!json) {
        char *text = utf8_sanitize(error.text);
        body_error__(e, 400, "bad-request",
                     xasprintf("malformed JSON: line %d, column %d: %s",
                               error.line, error.column, text));
        free(text);
    }
    return json;
}

char *
api_etag(uint64_t version)
{
    return xasprintf("\"%"PRIu64"\"", version);
}

/* Whether an If-Match header value (NULL: none) lets a write to an
 * object at 'version' go ahead. */
bool
api_if_match(const char *if_match, uint64_t version)
{
    if (!if_match || !strcmp(if_match, "*")) {
        return true;
    }
    char *etag = api_etag(version);
    bool ok = !strcmp(if_match, etag)
              || (!strncmp(if_match, "W/", 2) && !strcmp(if_match + 2, etag));
    free(etag);
    return ok;
}

/* Rewrites "$.backends[INDEX]..." in 'error' as "$...", so errors about
 * a backend request name fields of the request's body. */
char *
api_backend_error_path(char *error, size_t index)
{
    char *prefix = xasprintf("$.backends[%"PRIuSIZE"]", index);
    size_t len = strlen(prefix);

    if (!strncmp(error, prefix, len)) {
        char *rebased = xasprintf("$%s", error + len);
        free(error);
        error = rebased;
    }
    free(prefix);
    return error;
}
