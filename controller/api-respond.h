/* Answers every API resource gives the same way: 404 for what is missing,
 * 422 with the failing field's path in its own member, 412 for a stale
 * If-Match, 400/415 for a body that is not JSON. */
#ifndef DSR_API_RESPOND_H
#define DSR_API_RESPOND_H 1

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct http_request;

void api_respond_not_found(struct http_request *, const char *what);
void api_respond_path_error(struct http_request *, unsigned int status,
                            const char *kind, const char *error);
bool api_check_if_match(struct http_request *, uint64_t version);
json_t *api_parse_body(struct http_request *);

#endif /* controller/api-respond.h */
