/* See api-history.h. */
#include <config.h>
#include "controller/api-history.h"

#include <string.h>
#include "controller/http.h"
#include "controller/txn.h"
#include "util.h"

#define HISTORY_DEFAULT 100
#define HISTORY_MAX 10000

void
api_history_handle(struct txn_store *store, struct http_request *req)
{
    const char *limit = http_request_query(req, "limit");
    const char *service = http_request_query(req, "service");
    unsigned int max = HISTORY_DEFAULT;

    if (strcmp(http_request_method(req), "GET")) {
        http_respond_error(req, 405, "method-not-allowed", NULL, "use GET");
        return;
    } else if (limit && (!str_to_uint(limit, 10, &max) || !max
                         || max > HISTORY_MAX)) {
        http_respond_error(req, 400, "bad-request", "limit",
                           "must be an integer from 1 to 10000");
        return;
    } else if (!store->history) {
        http_respond_error(req, 503, "unavailable", NULL,
                           "this store keeps no history");
        return;
    }
    json_t *entries = store->history(store, service, max);
    http_respond_json(req, 200, json_pack("{s:o}", "entries", entries),
                      NULL, NULL);
}
