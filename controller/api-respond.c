/* See api-respond.h. */
#include <config.h>
#include "controller/api-respond.h"

#include <inttypes.h>
#include <string.h>
#include "controller/api-request.h"
#include "controller/http.h"
#include "util.h"

void
api_respond_not_found(struct http_request *req, const char *what)
{
    char *reason = xasprintf("no %s", what);
    http_respond_error(req, 404, "not-found", NULL, reason);
    free(reason);
}

/* Answers with an error "PATH: REASON" from config.c, txn.c or the schema
 * validator, the path going into its own field. */
void
api_respond_path_error(struct http_request *req, unsigned int status,
                       const char *kind, const char *error)
{
    const char *sep = error[0] == '$' ? strstr(error, ": ") : NULL;

    if (sep) {
        char *path = xmemdup0(error, sep - error);
        http_respond_error(req, status, kind, path, sep + 2);
        free(path);
    } else {
        http_respond_error(req, status, kind, NULL, error);
    }
}

/* Checks If-Match against 'version'; answers 412 and returns false on a
 * mismatch. */
bool
api_check_if_match(struct http_request *req, uint64_t version)
{
    const char *if_match = http_request_header(req, "If-Match");
    bool ok = api_if_match(if_match, version);

    if (!ok) {
        char *reason = xasprintf("If-Match %s does not match the current "
                                 "version %"PRIu64, if_match, version);
        http_respond_error(req, 412, "precondition-failed", NULL, reason);
        free(reason);
    }
    return ok;
}

/* Parses the request body as JSON; answers 400/415 and returns NULL if it
 * is not (see api_body_parse()). */
json_t *
api_parse_body(struct http_request *req)
{
    struct api_request_error e;
    size_t len;
    const char *body = http_request_body(req, &len);
    json_t *json = api_body_parse(http_request_header(req, "Content-Type"),
                                  body, len, &e);

    if (!json) {
        http_respond_error(req, e.status, e.error, NULL, e.reason);
        free(e.reason);
    }
    return json;
}

