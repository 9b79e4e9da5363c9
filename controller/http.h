/* A small HTTP server for dsrd's API on top of libmicrohttpd, driven from
 * dsrd's poll loop (no threads): MHD runs in external-polling mode with
 * epoll, and a request whose answer must wait (for OVS to acknowledge a
 * change) is suspended and resumed later.
 *
 * It enforces what protects dsrd from its clients: a body size limit,
 * a connection count (closing the longest-idle connection to make room
 * for a new one), a per-address connection count, a deadline for each
 * request head (slow clients), an idle timeout, and an optional bearer
 * token compared in constant time. */
#ifndef DSR_HTTP_H
#define DSR_HTTP_H 1

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

struct ds;

struct http_request;

/* A bearer token a client may present, and the name the audit trail
 * knows it by. */
struct http_token {
    const char *name;
    const char *secret;
};

struct http_server_options {
    const char *address;        /* IPv4 address to listen on. */
    int port;                   /* TCP port. */
    const struct http_token *tokens;    /* One is required, if any. */
    size_t n_tokens;
    const char *tls_cert;       /* PEM certificate and key (contents), or */
    const char *tls_key;        /* NULL for plain HTTP. */
    size_t max_body;            /* Bytes; larger bodies get 413. */
    unsigned int max_connections;
    unsigned int max_connections_per_ip;
    unsigned int timeout_s;     /* For a request head to arrive, and for
                                 * silence in the middle of a body. */
};

/* Called once per request with its whole body.  It must either answer
 * with http_respond*() or keep 'req' to answer later (then it must answer
 * eventually). */
typedef void http_handler(void *aux, struct http_request *req);

struct http_server *http_server_create(const struct http_server_options *,
                                       http_handler *, void *aux,
                                       char **errorp);
void http_server_destroy(struct http_server *);
void http_server_run(struct http_server *);
void http_server_wait(struct http_server *);

const char *http_request_method(const struct http_request *);
const char *http_request_url(const struct http_request *);
const char *http_request_body(const struct http_request *, size_t *len);
const char *http_request_header(const struct http_request *,
                                const char *name);
const char *http_request_query(const struct http_request *,
                               const char *key);
const char *http_request_client(const struct http_request *);
const char *http_request_identity(const struct http_request *);

void http_respond(struct http_request *, unsigned int status,
                  const char *content_type, const char *body, size_t len,
                  const char *etag, const char *location);
void http_respond_ds(struct http_request *, unsigned int status,
                     struct ds *json_text, const char *etag,
                     const char *location);
void http_respond_json(struct http_request *, unsigned int status,
                       json_t *body, const char *etag,
                       const char *location);
void http_respond_page(struct http_request *, struct ds *html,
                       const char *nonce);
void http_respond_error(struct http_request *, unsigned int status,
                        const char *error, const char *path,
                        const char *reason);
/* Adds a header to the response just given with http_respond*(). */
void http_add_header(struct http_request *, const char *name,
                     const char *value);

#endif /* controller/http.h */
