/* See api-node.h. */
#include <config.h>
#include "controller/api-node.h"

#include <string.h>
#include "controller/announce.h"
#include "controller/api-respond.h"
#include "controller/http.h"
#include "util.h"

static void
respond_node(const struct announcer *a, struct http_request *req)
{
    http_respond_json(req, 200, json_pack("{s:b, s:o}", "drained",
                                          announcer_is_drained(a),
                                          "announce", announcer_to_json(a)),
                      NULL, NULL);
}

static void
put_node(struct announcer *a, struct http_request *req)
{
    json_t *json = api_parse_body(req);
    if (!json) {
        return;
    }

    const json_t *drained = json_object_get(json, "drained");
    const char *key;
    json_t *value;
    json_object_foreach (json, key, value) {
        if (strcmp(key, "drained")) {
            char *path = xasprintf("$.%s", key);
            http_respond_error(req, 422, "invalid", path, "unknown field");
            free(path);
            json_decref(json);
            return;
        }
    }
    if (!json_is_boolean(drained)) {
        http_respond_error(req, 422, "invalid", "$.drained",
                           "true or false expected");
    } else if (!a) {
        http_respond_error(req, 409, "conflict", "$.drained",
                           "draining withdraws VIPs from BGP: it needs "
                           "\"announce\": {\"mode\": \"bgp\"}");
    } else {
        char *error = announcer_set_drained(a, json_is_true(drained));
        if (error) {
            http_respond_error(req, 500, "internal", NULL, error);
            free(error);
        } else {
            respond_node(a, req);
        }
    }
    json_decref(json);
}

void
api_node_handle(struct announcer *a, struct http_request *req)
{
    const char *method = http_request_method(req);

    if (!strcmp(method, "GET")) {
        respond_node(a, req);
    } else if (!strcmp(method, "PUT")) {
        put_node(a, req);
    } else {
        http_respond_error(req, 405, "method-not-allowed", NULL,
                           "use GET or PUT");
    }
}
