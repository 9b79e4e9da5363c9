/* See api-trace.h. */
#include <config.h>
#include "controller/api-trace.h"

#include <string.h>
#include "controller/http.h"
#include "controller/trace.h"
#include "util.h"

static void
respond(void *req, unsigned int status, json_t *answer)
{
    if (status == 200) {
        http_respond_json(req, status, json_incref(answer), NULL, NULL);
    } else {
        http_respond_error(req, status,
                           json_string_value(json_object_get(answer,
                                                             "error")),
                           NULL, json_string_value(json_object_get(
                                                       answer, "reason")));
    }
}

void
api_trace_handle(struct trace *trace, struct http_request *req)
{
    if (strcmp(http_request_method(req), "GET")) {
        http_respond_error(req, 405, "method-not-allowed", NULL, "use GET");
        return;
    } else if (!trace) {
        http_respond_error(req, 503, "unavailable", NULL,
                           "tracing is not available");
        return;
    }

    struct trace_query q;
    char *error = trace_query_parse(http_request_query(req, "protocol"),
                                    http_request_query(req, "client"),
                                    http_request_query(req, "vip"), &q);
    if (error) {
        http_respond_error(req, 400, "bad-request", NULL, error);
        free(error);
        return;
    }
    trace_start(trace, &q, respond, req);
}
