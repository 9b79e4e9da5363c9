/* dsrctl's human forms of dsrd's API documents: service and backend
 * lines in the spirit of "ipvsadm -Ln", joined with their live state
 * (/v1/status) and counters (/v1/stats), and the tables of the list and
 * stats commands; or, with --json, the document itself.  See dsrctl.h. */
#include <config.h>
#include "controller/dsrctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Prints "dsrctl: MESSAGE" and a hint to stderr; returns the exit code for
 * a usage error. */
int
dsrctl_usage_verror(const char *format, va_list args)
{
    fputs("dsrctl: ", stderr);
    vfprintf(stderr, format, args);
    fputs("\nTry \"dsrctl --help\" for more information.\n", stderr);
    return DSRCTL_EXIT_USAGE;
}

/* The same with the arguments inline. */
int
dsrctl_usage_error(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int error = dsrctl_usage_verror(format, args);
    va_end(args);
    return error;
}

/* Prints 'json' pretty, if nonnull. */
void
dsrctl_print_json(const json_t *json)
{
    if (json) {
        json_dumpf(json, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        putchar('\n');
    }
}

/* Returns string member 'key' of 'obj', or 'dflt'. */
static const char *
get_str(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

/* Returns integer member 'key' of 'obj', or -1. */
static long long
get_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : -1;
}

/* Formats the "port" member of 'svc' ("80" or "*") into 'buf'. */
static const char *
port_str(const json_t *svc, char buf[24])
{
    long long port = get_int(svc, "port");

    if (port < 0) {
        return get_str(svc, "port", "?");
    }
    snprintf(buf, 24, "%lld", port);
    return buf;
}

/* Returns the element of array 'array' whose member 'key' is the string
 * 'value', or NULL. */
static json_t *
find_by(const json_t *array, const char *key, const char *value)
{
    size_t i;
    json_t *elem;

    json_array_foreach (array, i, elem) {
        if (!strcmp(get_str(elem, key, ""), value)) {
            return elem;
        }
    }
    return NULL;
}

/* Prints service 'svc' (from /v1/services) like "ipvsadm -Ln", joined with
 * its entries in /v1/status ('status') and /v1/stats ('stats'), either of
 * which may be NULL. */
static void
print_service(const json_t *svc, const json_t *status, const json_t *stats)
{
    const char *proto = get_str(svc, "protocol", "?");
    char port[24];
    size_t i;
    json_t *be;

    printf("%s  %s %s:%s  hash %s  mac %s  id %lld",
           get_str(svc, "name", "?"),
           !strcmp(proto, "tcp") ? "TCP" : !strcmp(proto, "udp") ? "UDP"
           : !strcmp(proto, "both") ? "TCP+UDP" : proto,
           get_str(svc, "vip", "?"), port_str(svc, port),
           get_str(svc, "hash", "?"), get_str(svc, "mac", "?"),
           get_int(svc, "id"));
    if (status && !json_is_true(json_object_get(status, "programmed"))) {
        printf("  NOT PROGRAMMED%s%s", json_object_get(status, "error")
               ? ": " : "", get_str(status, "error", ""));
    }
    putchar('\n');

    json_array_foreach (json_object_get(svc, "backends"), i, be) {
        const char *ip = get_str(be, "ip", "?");
        const json_t *st = find_by(json_object_get(status, "backends"),
                                   "ip", ip);
        const json_t *counters = find_by(json_object_get(stats, "backends"),
                                         "ip", ip);
        long long packets = get_int(counters, "packets");
        char packets_str[32] = "-";

        if (packets >= 0) {
            snprintf(packets_str, sizeof packets_str, "%lld", packets);
        }
        const char *health = get_str(st, "health", "-");
        const char *why = get_str(st, "reason", NULL);
        printf("  -> %-15s  weight %-5lld  %-8s  %-12s  mac %-17s  "
               "id %-3lld  packets %s  health %s%s%s%s\n", ip,
               get_int(be, "weight"), get_str(be, "state", "?"),
               !st ? "-" : json_is_true(json_object_get(st, "in_slots"))
                           ? "in-slots" : "no-slots",
               get_str(st, "mac", st ? "unresolved" : "-"),
               get_int(be, "id"), packets_str, health,
               why && !strcmp(health, "down") ? " (" : "",
               why && !strcmp(health, "down") ? why : "",
               why && !strcmp(health, "down") ? ")" : "");
    }
}

/* Prints the services in array 'list' like "ipvsadm -Ln", joined with
 * /v1/status and /v1/stats (asked from 'api'), after the bridges if
 * 'bridges'.  Returns 0 or an exit code. */
int
dsrctl_print_services(const struct dsrctl_api *api, const json_t *list,
                      bool bridges)
{
    json_t *status = NULL, *stats = NULL;
    int error;
    size_t i;
    json_t *elem;

    if (!(error = dsrctl_request(api, "GET", "/v1/status", NULL, &status))
        && !(error = dsrctl_request(api, "GET", "/v1/stats", NULL,
                                    &stats))) {
        json_array_foreach (json_object_get(status, "bridges"), i, elem) {
            if (bridges) {
                printf("bridge %s: %s, %s, datapath %s\n",
                       get_str(elem, "name", "?"),
                       json_is_true(json_object_get(elem, "connected"))
                       ? "connected" : "disconnected",
                       json_is_true(json_object_get(elem, "in_sync"))
                       ? "in sync" : "not in sync",
                       get_str(elem, "datapath", "unknown"));
            }
        }
        json_array_foreach (list, i, elem) {
            const char *name = get_str(elem, "name", "");
            print_service(elem,
                          find_by(json_object_get(status, "services"),
                                  "name", name),
                          find_by(json_object_get(stats, "services"),
                                  "name", name));
        }
    }
    json_decref(status);
    json_decref(stats);
    return error;
}

/* Prints the services of /v1/services, one line each. */
void
dsrctl_print_service_list(const json_t *list)
{
    int width = 4;
    size_t i;
    json_t *svc;

    json_array_foreach (list, i, svc) {
        width = MAX(width, (int) strlen(get_str(svc, "name", "")));
    }
    printf("%-*s  %-15s  %-5s  %-5s  %-9s  %s\n", width, "NAME",
           "VIP", "PROTO", "PORT", "HASH", "BACKENDS");
    json_array_foreach (list, i, svc) {
        char port[24];
        printf("%-*s  %-15s  %-5s  %-5s  %-9s  %zu\n", width,
               get_str(svc, "name", "?"), get_str(svc, "vip", "?"),
               get_str(svc, "protocol", "?"), port_str(svc, port),
               get_str(svc, "hash", "?"),
               json_array_size(json_object_get(svc, "backends")));
    }
}

/* Prints the backends of a service (/v1/services/NAME/backends), one
 * line each. */
void
dsrctl_print_backend_list(const json_t *list)
{
    size_t i;
    json_t *be;

    printf("%-15s  %-6s  %-8s  %-6s  %s\n", "IP", "WEIGHT", "STATE",
           "BUCKET", "MAC");
    json_array_foreach (list, i, be) {
        printf("%-15s  %-6lld  %-8s  %-6lld  %s\n",
               get_str(be, "ip", "?"), get_int(be, "weight"),
               get_str(be, "state", "?"), get_int(be, "id"),
               get_str(be, "mac", "-"));
    }
}

/* Prints /v1/stats: packets and bytes per service and backend. */
void
dsrctl_print_stats(const json_t *stats)
{
    size_t i, j;
    json_t *svc, *be;

    printf("%-24s  %14s  %16s\n", "SERVICE/BACKEND", "PACKETS", "BYTES");
    json_array_foreach (json_object_get(stats, "services"), i, svc) {
        printf("%-24s  %14lld  %16lld\n", get_str(svc, "name", "?"),
               get_int(svc, "packets"), get_int(svc, "bytes"));
        json_array_foreach (json_object_get(svc, "backends"), j, be) {
            printf("  -> %-19s  %14lld  %16lld\n", get_str(be, "ip", "?"),
                   get_int(be, "packets"), get_int(be, "bytes"));
        }
    }
}

/* Prints /v1/history's entries, a line each, oldest first. */
void
dsrctl_print_history(const json_t *entries)
{
    const json_t *entry;
    size_t i;

    printf("%-24s  %7s  %-21s  %-10s  %s\n", "TIME", "VERSION", "CLIENT",
           "IDENTITY", "REQUEST: SERVICES");
    json_array_foreach (entries, i, entry) {
        struct ds services = DS_EMPTY_INITIALIZER;
        const json_t *name;
        size_t j;

        json_array_foreach (json_object_get(entry, "services"), j, name) {
            ds_put_format(&services, "%s%s", j ? ", " : "",
                          json_string_value(name));
        }
        const char *rollback = get_str(entry, "rollback", NULL);
        printf("%-24s  %7lld  %-21s  %-10s  %s: %s%s%s\n",
               get_str(entry, "time", "?"), get_int(entry, "version"),
               get_str(entry, "client", "-"), get_str(entry, "identity", "-"),
               get_str(entry, "request", "-"), ds_cstr(&services),
               rollback ? ", rolled back: " : "", rollback ? rollback : "");
        ds_destroy(&services);
    }
}

static void
put_rate(char *buf, size_t size, const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);
    double r = json_number_value(v);

    if (!json_is_number(v)) {
        snprintf(buf, size, "-");
    } else if (r >= 1e6) {
        snprintf(buf, size, "%.2fM", r / 1e6);
    } else if (r >= 1e3) {
        snprintf(buf, size, "%.2fK", r / 1e3);
    } else {
        snprintf(buf, size, "%.0f", r);
    }
}

static void
print_rate_line(const char *label, const char *health, const json_t *j)
{
    char pps[24], bps[24];

    put_rate(pps, sizeof pps, j, "packets_per_s");
    put_rate(bps, sizeof bps, j, "bytes_per_s");
    printf("%-28s  %-10s  %10s  %10s\n", label, health, pps, bps);
}

/* Prints rates (dsrctl-watch.c) per service and backend, with each
 * backend's health from /v1/status 'status' if it is nonnull. */
void
dsrctl_print_rates(const json_t *rates, const json_t *status)
{
    const json_t *svc, *be;
    size_t i, j;

    printf("%-28s  %-10s  %10s  %10s\n", "SERVICE/BACKEND", "HEALTH",
           "PKTS/S", "BYTES/S");
    json_array_foreach (json_object_get(rates, "services"), i, svc) {
        const char *name = get_str(svc, "name", "?");
        const json_t *st = find_by(json_object_get(status, "services"),
                                   "name", name);
        char healthy[32] = "";
        if (st) {
            snprintf(healthy, sizeof healthy, "%lld up",
                     get_int(st, "healthy_backends"));
        }
        print_rate_line(name, healthy, svc);
        json_array_foreach (json_object_get(svc, "backends"), j, be) {
            const char *ip = get_str(be, "ip", "?");
            const json_t *bs = find_by(json_object_get(st, "backends"),
                                       "ip", ip);
            char *label = xasprintf("  -> %s", ip);
            print_rate_line(label, bs ? get_str(bs, "health", "") : "", be);
            free(label);
        }
    }
}
