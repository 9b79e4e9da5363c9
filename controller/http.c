/* HTTP server on libmicrohttpd in external-polling mode.  See http.h. */
#include <config.h>
#include "controller/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "controller/utf8.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(http);

/* Request heads larger than this get 431 from libmicrohttpd. */
#define HTTP_MEMORY_LIMIT (32 * 1024)

/* Connections that libmicrohttpd may hold beyond 'max_connections':
 * those closed to make room, until it notices. */
#define HTTP_CLOSING_SLACK 64

struct http_server {
    struct MHD_Daemon *daemon;
    http_handler *handler;
    void *aux;
    struct http_token *tokens;  /* Secrets as "Bearer SECRET". */
    size_t n_tokens;
    size_t max_body;
    unsigned int max_connections;
    long long int timeout_ms;   /* For a request head to arrive. */
    struct ovs_list waiting;    /* struct http_conn, soonest deadline
                                 * first. */
    size_t n_conns;             /* Open, 'n_closing' of them closing. */
    size_t n_closing;
};

/* One client connection.  A connection is "waiting" while it has no
 * request in progress: just opened, or between keep-alive requests.  A
 * waiting connection costs a slot and nothing else, so it is what goes
 * when time is up or room is needed. */
struct http_conn {
    struct ovs_list node;       /* In 'waiting', if 'waiting'. */
    struct MHD_Connection *conn;
    long long int deadline;     /* For its next request head. */
    bool waiting;
    bool served;                /* Has had a request. */
    bool closing;               /* Shut down; libmicrohttpd closes it. */
};

struct http_request {
    struct http_server *server;
    struct MHD_Connection *conn;
    char *method;
    char *url;
    struct ds body;
    bool too_large;
    bool dispatched;
    bool suspended;
    struct MHD_Response *response;  /* Ready to queue. */
    unsigned int status;
    char client[INET6_ADDRSTRLEN + 8];  /* "IP:PORT". */
    const char *identity;       /* Name of the token it gave, or NULL. */
};

/* Constant-time comparison, so the token cannot be guessed byte by byte
 * from response times. */
static bool
token_matches(const char *expected, const char *given)
{
    size_t n = strlen(expected);
    size_t m = given ? strlen(given) : 0;
    unsigned char diff = n != m;

    for (size_t i = 0; i < n; i++) {
        diff |= expected[i] ^ (i < m ? given[i] : 0);
    }
    return !diff;
}

/* The name of the token the request gives, or NULL: "Authorization:
 * Bearer SECRET", or, so that a browser can show the status page, HTTP
 * Basic with SECRET as the password.  Every token is compared, so the
 * time taken does not say which one matched. */
static const char *
find_token(const struct http_server *srv, struct MHD_Connection *conn)
{
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    "Authorization");
    char *password = NULL;
    char *user = MHD_basic_auth_get_username_password(conn, &password);
    char *basic = password ? xasprintf("Bearer %s", password) : NULL;
    const char *name = NULL;

    for (size_t i = 0; i < srv->n_tokens; i++) {
        if (token_matches(srv->tokens[i].secret, basic ? basic : given)) {
            name = srv->tokens[i].name;
        }
    }
    MHD_free(user);
    MHD_free(password);
    free(basic);
    return name;
}

static void
format_client(struct MHD_Connection *conn, char *s, size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr_in *sin = (info
                                     ? (const void *) info->client_addr
                                     : NULL);
    char ip[INET_ADDRSTRLEN];

    if (sin && sin->sin_family == AF_INET
        && inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip)) {
        snprintf(s, size, "%s:%u", ip, ntohs(sin->sin_port));
    } else {
        snprintf(s, size, "unknown");
    }
}

static enum MHD_Result
queue_response(struct http_request *req)
{
    enum MHD_Result r = MHD_queue_response(req->conn, req->status,
                                           req->response);
    MHD_destroy_response(req->response);
    req->response = NULL;
    return r;
}

static void
start_waiting(struct http_server *srv, struct http_conn *c)
{
    c->waiting = true;
    c->deadline = time_msec() + srv->timeout_ms;
    ovs_list_push_back(&srv->waiting, &c->node);
}

static void
stop_waiting(struct http_conn *c)
{
    if (c->waiting) {
        c->waiting = false;
        ovs_list_remove(&c->node);
    }
}

/* Closes a waiting connection: shutdown() makes libmicrohttpd see the end
 * of the stream and close it on its next run. */
static void
close_waiting(struct http_server *srv, struct http_conn *c)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        c->conn, MHD_CONNECTION_INFO_CONNECTION_FD);

    stop_waiting(c);
    c->closing = true;
    srv->n_closing++;
    if (info) {
        shutdown(info->connect_fd, SHUT_RDWR);
    }
    poll_immediate_wake();
}

static struct http_conn *
conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* Tracks connections, and makes room for a new one when all slots are
 * taken by closing the one that has waited longest for a request: a
 * flood of idle connections then cannot lock other clients out. */
static void
notify_connection(void *srv_, struct MHD_Connection *conn,
                  void **socket_context,
                  enum MHD_ConnectionNotificationCode code)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    struct http_server *srv = srv_;
    struct http_conn *c = *socket_context;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        c = xzalloc(sizeof *c);
        c->conn = conn;
        *socket_context = c;
        srv->n_conns++;
        start_waiting(srv, c);
        while (srv->n_conns - srv->n_closing > srv->max_connections
               && !ovs_list_is_empty(&srv->waiting)) {
            VLOG_WARN_RL(&rl, "%"PRIuSIZE" API connections open, more "
                         "than limits.max_api_connections (%u): closing "
                         "the one idle longest", srv->n_conns,
                         srv->max_connections);
            close_waiting(srv, CONTAINER_OF(ovs_list_front(&srv->waiting),
                                            struct http_conn, node));
        }
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && c) {
        stop_waiting(c);
        srv->n_conns--;
        srv->n_closing -= c->closing;
        free(c);
        *socket_context = NULL;
    }
}

/* Closes the connections whose request head is late. */
static void
expire_waiting(struct http_server *srv)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    long long int now = time_msec();

    while (!ovs_list_is_empty(&srv->waiting)) {
        struct http_conn *c = CONTAINER_OF(ovs_list_front(&srv->waiting),
                                           struct http_conn, node);
        if (c->deadline > now) {
            break;
        }
        if (!c->served) {
            VLOG_INFO_RL(&rl, "closing an API connection that sent no "
                         "whole request within %lld s "
                         "(limits.api_request_timeout_s)",
                         srv->timeout_ms / 1000);
        }
        close_waiting(srv, c);
    }
}

static void
log_mhd(void *aux OVS_UNUSED, const char *format, va_list args)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    char msg[256];

    vsnprintf(msg, sizeof msg, format, args);
    msg[strcspn(msg, "\n")] = '\0';
    VLOG_INFO_RL(&rl, "libmicrohttpd: %s", msg);
}

static void
respond_too_large(struct http_request *req)
{
    char *reason = xasprintf("request body larger than %"PRIuSIZE" bytes "
                             "(limits.max_body_bytes)",
                             req->server->max_body);
    http_respond_error(req, 413, "too-large", NULL, reason);
    free(reason);
}

static enum MHD_Result
access_handler(void *srv_, struct MHD_Connection *conn, const char *url,
               const char *method, const char *version OVS_UNUSED,
               const char *upload_data, size_t *upload_data_size,
               void **con_cls)
{
    struct http_server *srv = srv_;
    struct http_request *req = *con_cls;

    if (!req) {
        struct http_conn *c = conn_of(conn);
        if (c) {
            stop_waiting(c);
            c->served = true;
        }
        req = xzalloc(sizeof *req);
        req->server = srv;
        req->conn = conn;
        req->method = xstrdup(method);
        req->url = xstrdup(url);
        ds_init(&req->body);
        format_client(conn, req->client, sizeof req->client);
        *con_cls = req;

        /* With the head complete, a request without the token or with a
         * body announced too large is refused before its body is read. */
        const char *length = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long int n;
        req->identity = find_token(srv, conn);
        if (srv->n_tokens && !req->identity) {
            http_respond_error(req, 401, "unauthorized", NULL,
                               "missing or wrong bearer token");
            /* Browsers then ask for it: any user, the token as password. */
            MHD_add_response_header(req->response, "WWW-Authenticate",
                                    "Basic realm=\"dsrd\", charset=\"UTF-8\"");
        } else if (length && str_to_ullong(length, 10, &n)
                   && n > srv->max_body) {
            respond_too_large(req);
        }
        if (req->response) {
            req->dispatched = true;
            return queue_response(req);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (req->body.length + *upload_data_size > srv->max_body) {
            req->too_large = true;
        } else {
            ds_put_buffer(&req->body, upload_data, *upload_data_size);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->response) {
        return queue_response(req);
    }
    if (req->dispatched) {
        return MHD_YES;
    }
    req->dispatched = true;

    if (req->too_large) {
        respond_too_large(req);
    } else {
        srv->handler(srv->aux, req);
    }
    if (req->response) {
        return queue_response(req);
    }
    MHD_suspend_connection(conn);
    req->suspended = true;
    return MHD_YES;
}

static void
request_completed(void *srv_, struct MHD_Connection *conn, void **con_cls,
                  enum MHD_RequestTerminationCode code OVS_UNUSED)
{
    struct http_server *srv = srv_;
    struct http_request *req = *con_cls;
    struct http_conn *c = conn_of(conn);

    /* Kept alive for another request, which must come in time too. */
    if (c && !c->waiting && !c->closing) {
        start_waiting(srv, c);
    }
    if (req) {
        if (req->response) {
            MHD_destroy_response(req->response);
        }
        free(req->method);
        free(req->url);
        ds_destroy(&req->body);
        free(req);
        *con_cls = NULL;
    }
}

static void
free_tokens(struct http_server *srv)
{
    for (size_t i = 0; i < srv->n_tokens; i++) {
        free(CONST_CAST(char *, srv->tokens[i].name));
        free(CONST_CAST(char *, srv->tokens[i].secret));
    }
    free(srv->tokens);
}

struct http_server *
http_server_create(const struct http_server_options *opts,
                   http_handler *handler, void *aux, char **errorp)
{
    struct http_server *srv = xzalloc(sizeof *srv);
    struct sockaddr_in sin = {
        .sin_family = AF_INET,
        .sin_port = htons(opts->port),
    };
    unsigned int flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME
                         | MHD_USE_ERROR_LOG;

    *errorp = NULL;
    if (inet_pton(AF_INET, opts->address, &sin.sin_addr) != 1) {
        *errorp = xasprintf("%s: not an IPv4 address", opts->address);
        free(srv);
        return NULL;
    }
    if (opts->tls_cert) {
        flags |= MHD_USE_TLS;
    }
    srv->handler = handler;
    srv->aux = aux;
    srv->max_body = opts->max_body;
    srv->max_connections = opts->max_connections;
    srv->timeout_ms = opts->timeout_s * 1000LL;
    ovs_list_init(&srv->waiting);
    srv->n_tokens = opts->n_tokens;
    srv->tokens = xcalloc(MAX(opts->n_tokens, 1), sizeof *srv->tokens);
    for (size_t i = 0; i < opts->n_tokens; i++) {
        srv->tokens[i].name = xstrdup(opts->tokens[i].name);
        srv->tokens[i].secret = xasprintf("Bearer %s",
                                          opts->tokens[i].secret);
    }
    srv->daemon = MHD_start_daemon(
        flags, opts->port, NULL, NULL, access_handler, srv,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sin,
        MHD_OPTION_CONNECTION_LIMIT,
        opts->max_connections + HTTP_CLOSING_SLACK,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, opts->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HTTP_MEMORY_LIMIT,
        MHD_OPTION_NOTIFY_CONNECTION, notify_connection, srv,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, srv,
        opts->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        opts->tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, opts->tls_key,
        MHD_OPTION_END);
    if (!srv->daemon) {
        *errorp = xasprintf("cannot listen on %s:%d for the API",
                            opts->address, opts->port);
        free_tokens(srv);
        free(srv);
        return NULL;
    }
    VLOG_INFO("API listening on http%s://%s:%d", opts->tls_cert ? "s" : "",
              opts->address, opts->port);
    return srv;
}

void
http_server_destroy(struct http_server *srv)
{
    if (srv) {
        MHD_stop_daemon(srv->daemon);
        free_tokens(srv);
        free(srv);
    }
}

void
http_server_run(struct http_server *srv)
{
    MHD_run(srv->daemon);
    expire_waiting(srv);
}

void
http_server_wait(struct http_server *srv)
{
    const union MHD_DaemonInfo *info;
    MHD_UNSIGNED_LONG_LONG timeout;

    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    poll_fd_wait(info->epoll_fd, POLLIN);
    if (MHD_get_timeout(srv->daemon, &timeout) == MHD_YES) {
        poll_timer_wait(timeout);
    }
    if (!ovs_list_is_empty(&srv->waiting)) {
        const struct http_conn *c = CONTAINER_OF(
            ovs_list_front(&srv->waiting), struct http_conn, node);
        poll_timer_wait_until(c->deadline);
    }
}

const char *
http_request_method(const struct http_request *req)
{
    return req->method;
}

const char *
http_request_url(const struct http_request *req)
{
    return req->url;
}

const char *
http_request_body(const struct http_request *req, size_t *len)
{
    *len = req->body.length;
    return req->body.string ? req->body.string : "";
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_request_query(const struct http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
                                       key);
}

/* The client's address and port, "IP:PORT". */
const char *
http_request_client(const struct http_request *req)
{
    return req->client;
}

/* The name of the token the request gave, or NULL without tokens. */
const char *
http_request_identity(const struct http_request *req)
{
    return req->identity;
}

static void
respond__(struct http_request *req, unsigned int status,
          const char *content_type, struct MHD_Response *resp,
          const char *etag, const char *location)
{
    if (content_type) {
        MHD_add_response_header(resp, "Content-Type", content_type);
    }
    if (etag) {
        MHD_add_response_header(resp, "ETag", etag);
    }
    if (location) {
        MHD_add_response_header(resp, "Location", location);
    }
    if (req->response) {
        MHD_destroy_response(req->response);
    }
    req->response = resp;
    req->status = status;
    if (req->suspended) {
        req->suspended = false;
        MHD_resume_connection(req->conn);
        poll_immediate_wake();
    }
}

void
http_add_header(struct http_request *req, const char *name,
                const char *value)
{
    ovs_assert(req->response);
    MHD_add_response_header(req->response, name, value);
}

void
http_respond(struct http_request *req, unsigned int status,
             const char *content_type, const char *body, size_t len,
             const char *etag, const char *location)
{
    respond__(req, status, content_type,
              MHD_create_response_from_buffer(len, CONST_CAST(char *, body),
                                              MHD_RESPMEM_MUST_COPY),
              etag, location);
}

/* Answers with JSON text that the caller wrote (large documents are cheaper
 * to write as text than as json_t), taking it from 'json_text'. */
void
http_respond_ds(struct http_request *req, unsigned int status,
                struct ds *json_text, const char *etag, const char *location)
{
    size_t len = json_text->length;
    char *body = ds_steal_cstr(json_text);

    respond__(req, status, "application/json",
              MHD_create_response_from_buffer(len, body,
                                              MHD_RESPMEM_MUST_FREE),
              etag, location);
}

/* Answers 200 with the HTML page 'html' (which it takes), whose inline
 * style and script carry 'nonce': nothing else may run or load, and it
 * may be neither framed nor cached. */
void
http_respond_page(struct http_request *req, struct ds *html,
                  const char *nonce)
{
    size_t len = html->length;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, ds_steal_cstr(html), MHD_RESPMEM_MUST_FREE);
    char *csp = xasprintf("default-src 'none'; script-src 'nonce-%s'; "
                          "style-src 'nonce-%s'; connect-src 'self'; "
                          "base-uri 'none'; form-action 'none'; "
                          "frame-ancestors 'none'", nonce, nonce);

    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    respond__(req, 200, "text/html; charset=utf-8", resp, NULL, NULL);
    free(csp);
}

/* Steals 'body'. */
void
http_respond_json(struct http_request *req, unsigned int status,
                  json_t *body, const char *etag, const char *location)
{
    char *text = body ? json_dumps(body, JSON_INDENT(2)
                                         | JSON_PRESERVE_ORDER
                                         | JSON_ENCODE_ANY) : NULL;
    if (text) {
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        strcpy(text + len, "\n");
    }
    http_respond(req, status, text ? "application/json" : NULL,
                 text ? text : "", text ? strlen(text) : 0, etag, location);
    free(text);
    json_decref(body);
}

void
http_respond_error(struct http_request *req, unsigned int status,
                   const char *error, const char *path, const char *reason)
{
    json_t *body = json_pack("{s:s}", "error", error);
    /* A reason may quote what the client sent (an If-Match value, say). */
    char *safe_reason = utf8_sanitize(reason);

    if (path) {
        json_object_set_new(body, "path", json_string(path));
    }
    json_object_set_new(body, "reason", json_string(safe_reason));
    free(safe_reason);
    http_respond_json(req, status, body, NULL, NULL);
}
