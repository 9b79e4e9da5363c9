/* Reading what an API client sent, before any resource logic: the URL's
 * path as a route, the body as JSON, If-Match against a version, errors
 * about a backend request as paths into its own body.  Pure functions of
 * their inputs (no libmicrohttpd, no dsrd state), so that tests/fuzz can
 * feed them anything. */
#ifndef DSR_API_REQUEST_H
#define DSR_API_REQUEST_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum api_resource {
    API_NOT_FOUND,              /* No such resource. */
    API_METRICS,                /* /metrics */
    API_STATS,                  /* /v1/stats */
    API_SERVICES,               /* /v1/services[/NAME] */
    API_BACKENDS,               /* /v1/services/NAME/backends[/IP] */
    API_CONFIG,                 /* /v1/config */
    API_STATUS,                 /* /v1/status */
    API_TRACE,                  /* /v1/trace */
    API_HISTORY,                /* /v1/history */
    API_PAGE,                   /* /, the status page */
    API_NODE,                   /* /v1/node */
    API_CLUSTER,                /* /v1/cluster */
};

/* Where a request goes. */
struct api_route {
    enum api_resource resource;
    char *service;              /* NAME, or NULL. */
    char *backend;              /* IP as sent, or NULL. */
    const char *not_found;      /* With API_NOT_FOUND: what is missing. */
};

char *api_route_parse(const char *path, struct api_route *);
void api_route_destroy(struct api_route *);

/* A rejected request: status, error kind and reason for the answer. */
struct api_request_error {
    unsigned int status;
    const char *error;          /* Kind, as in schemas/error.schema.json. */
    char *reason;               /* Malloc'd. */
};

json_t *api_body_parse(const char *content_type, const char *body,
                       size_t len, struct api_request_error *);
bool api_if_match(const char *if_match, uint64_t version);
char *api_etag(uint64_t version);
char *api_backend_error_path(char *error, size_t index);

#endif /* controller/api-request.h */
