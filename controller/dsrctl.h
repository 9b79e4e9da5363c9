/* The parts of dsrctl, the command-line client of dsrd's REST API, and
 * what they share.  dsrctl.c has main(), the options and the command
 * table; it sends requests through dsrctl-http.c (libcurl, one request at
 * a time) and prints answers as tables with dsrctl-print.c;
 * dsrctl-import.c is the "import" command (import.h), dsrctl-watch.c the
 * rates of "stats --rate" and "watch".  Calls go that one way: dsrctl.c ->
 * dsrctl-import.c, dsrctl-watch.c -> dsrctl-print.c -> dsrctl-http.c. */
#ifndef DSR_DSRCTL_H
#define DSR_DSRCTL_H 1

#include <stdarg.h>
#include <stdbool.h>
#include <jansson.h>
#include "openvswitch/compiler.h"

/* Exit codes, for scripts (0 is success). */
enum {
    DSRCTL_EXIT_API = 1,            /* dsrd answered with an error. */
    DSRCTL_EXIT_USAGE = 2,          /* Bad command line. */
    DSRCTL_EXIT_UNREACHABLE = 3,    /* No answer from dsrd. */
    DSRCTL_EXIT_IMPORT = 4,         /* "import": the file cannot be. */
};

/* Where dsrd's API is and how to talk to it: the global options. */
struct dsrctl_api {
    const char *url;            /* http:// or https://, maybe with a '/'. */
    char *token;                /* Bearer token, or NULL. */
    const char *cacert;         /* CA certificates file, or NULL. */
    bool insecure;              /* Do not check the server's certificate. */
    long timeout_ms;            /* Per request. */
};

/* dsrctl-http.c: requests. */
int dsrctl_request(const struct dsrctl_api *, const char *method,
                   const char *path, const json_t *body, json_t **replyp);
int dsrctl_request_if_match(const struct dsrctl_api *, const char *method,
                            const char *path, const json_t *body,
                            const char *if_match, json_t **replyp);
char *dsrctl_service_path(const char *name, bool backends, const char *ip);
char *dsrctl_trace_path(const char *protocol, const char *client,
                        const char *vip);

/* dsrctl-print.c: the human forms of the API's documents. */
int dsrctl_usage_verror(const char *format, va_list)
    OVS_PRINTF_FORMAT(1, 0);
int dsrctl_usage_error(const char *format, ...) OVS_PRINTF_FORMAT(1, 2);
void dsrctl_print_json(const json_t *);
int dsrctl_print_services(const struct dsrctl_api *, const json_t *list,
                          bool bridges);
void dsrctl_print_service_list(const json_t *list);
void dsrctl_print_backend_list(const json_t *list);
void dsrctl_print_stats(const json_t *stats);
void dsrctl_print_history(const json_t *entries);
void dsrctl_print_rates(const json_t *rates, const json_t *status);

/* dsrctl-watch.c: "stats [--rate]" and "watch". */
int dsrctl_stats(const struct dsrctl_api *, int argc, char *argv[],
                 bool json_output);
int dsrctl_watch(const struct dsrctl_api *, int argc, char *argv[]);

/* dsrctl-usage.c: --help. */
void dsrctl_print_usage(const char *default_url);

/* dsrctl-node.c: "node drain|undrain|show" and "cluster". */
int dsrctl_node(const struct dsrctl_api *, int argc, char *argv[],
                bool json_output);
int dsrctl_cluster(const struct dsrctl_api *, int argc, char *argv[],
                   bool json_output);

/* dsrctl-import.c: "import keepalived|ipvsadm FILE". */
int dsrctl_import(const struct dsrctl_api *, int argc, char *argv[]);

#endif /* controller/dsrctl.h */
