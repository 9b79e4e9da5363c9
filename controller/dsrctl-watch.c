/* dsrctl's "stats --rate" and "watch": counters as rates, ipvsadm --rate
 * style, read twice from /v1/stats; "watch" refreshes a table of health
 * and rates until interrupted. */
#include <config.h>
#include "controller/dsrctl.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "timeval.h"
#include "util.h"

struct watch_args {
    double interval;            /* Seconds between readings. */
    long long count;            /* "watch": readings to show; 0: forever. */
    bool rate;                  /* "stats": rates, not totals. */
};

static volatile sig_atomic_t interrupted;

static void
on_sigint(int sig OVS_UNUSED)
{
    interrupted = 1;
}

static int
parse_args(int argc, char *argv[], const char *cmd, struct watch_args *a)
{
    static const struct option stats_options[] = {
        {"rate", no_argument, NULL, 'r'},
        {"interval", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    static const struct option watch_options[] = {
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const struct option *options = (!strcmp(cmd, "stats") ? stats_options
                                    : watch_options);
    char *end;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c == 'r') {
            a->rate = true;
        } else if (c == 'i') {
            a->interval = strtod(optarg, &end);
            if (*end || !(a->interval >= 0.1 && a->interval <= 3600)) {
                return dsrctl_usage_error("%s: --interval %s: seconds from "
                                          "0.1 to 3600 expected", cmd,
                                          optarg);
            }
        } else if (c == 'c') {
            a->count = strtoll(optarg, &end, 10);
            if (*end || a->count < 1) {
                return dsrctl_usage_error("%s: --count %s: a positive "
                                          "integer expected", cmd, optarg);
            }
        } else if (c == ':') {
            return dsrctl_usage_error("%s: option \"%s\" needs an argument",
                                      cmd, argv[optind - 1]);
        } else {
            return dsrctl_usage_error("%s: unknown option \"%s\"", cmd,
                                      argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return dsrctl_usage_error("%s: too many arguments (expected none)",
                                  cmd);
    }
    return 0;
}

static void
sleep_s(double seconds)
{
    struct timespec ts = { (time_t) seconds,
                           (long) ((seconds - (time_t) seconds) * 1e9) };
    nanosleep(&ts, NULL);
}

/* Reads /v1/stats into '*stats' and when it was read into '*msec'. */
static int
read_stats(const struct dsrctl_api *api, json_t **stats, long long *msec)
{
    *msec = time_msec();
    return dsrctl_request(api, "GET", "/v1/stats", NULL, stats);
}

static json_t *
find_named(const json_t *array, const char *key, const char *value)
{
    const json_t *j;
    size_t i;

    json_array_foreach (array, i, j) {
        const char *v = json_string_value(json_object_get(j, key));
        if (v && !strcmp(v, value)) {
            return CONST_CAST(json_t *, j);
        }
    }
    return NULL;
}

/* Sets "packets_per_s" and "bytes_per_s" in 'out' from counters 'now' and
 * 'then' (NULL or a reset: no rate) 'msec' apart. */
static void
put_rates(json_t *out, const json_t *now, const json_t *then, long long msec)
{
    static const char *const counters[] = { "packets", "bytes" };

    for (size_t i = 0; i < ARRAY_SIZE(counters); i++) {
        json_int_t a = json_integer_value(json_object_get(now, counters[i]));
        json_int_t b = then ? json_integer_value(json_object_get(
                                                     then, counters[i]))
                            : 0;
        char *key = xasprintf("%s_per_s", counters[i]);
        json_object_set_new(out, key,
                            then && msec > 0 && a >= b
                            ? json_real((a - b) * 1000.0 / msec)
                            : json_null());
        free(key);
    }
}

/* The rates between two readings of /v1/stats 'msec' apart, in the same
 * shape: services, each with its backends. */
static json_t *
stats_rates(const json_t *before, const json_t *after, long long msec)
{
    json_t *services = json_array();
    const json_t *svc;
    size_t i;

    json_array_foreach (json_object_get(after, "services"), i, svc) {
        const char *name = json_string_value(json_object_get(svc, "name"));
        const json_t *was = find_named(json_object_get(before, "services"),
                                       "name", name);
        json_t *out = json_pack("{s:s, s:o}", "name", name,
                                "backends", json_array());
        const json_t *be;
        size_t j;

        put_rates(out, svc, was, msec);
        json_array_foreach (json_object_get(svc, "backends"), j, be) {
            const char *ip = json_string_value(json_object_get(be, "ip"));
            json_t *b = json_pack("{s:s}", "ip", ip);
            put_rates(b, be, find_named(json_object_get(was, "backends"),
                                        "ip", ip), msec);
            json_array_append_new(json_object_get(out, "backends"), b);
        }
        json_array_append_new(services, out);
    }
    return json_pack("{s:I, s:o}", "interval_ms", (json_int_t) msec,
                     "services", services);
}

/* "stats [--rate [--interval S]]". */
int
dsrctl_stats(const struct dsrctl_api *api, int argc, char *argv[],
             bool json_output)
{
    struct watch_args a = { .interval = 1.0 };
    json_t *before = NULL, *after = NULL;
    long long t0, t1;
    int error = parse_args(argc, argv, "stats", &a);

    if (!error) {
        error = read_stats(api, &before, &t0);
    }
    if (!error && a.rate) {
        sleep_s(a.interval);
        error = read_stats(api, &after, &t1);
    }
    if (!error && json_output) {
        json_t *out = a.rate ? stats_rates(before, after, t1 - t0)
                             : json_incref(before);
        dsrctl_print_json(out);
        json_decref(out);
    } else if (!error && a.rate) {
        json_t *rates = stats_rates(before, after, t1 - t0);
        dsrctl_print_rates(rates, NULL);
        json_decref(rates);
    } else if (!error) {
        dsrctl_print_stats(before);
    }
    json_decref(before);
    json_decref(after);
    return error;
}

/* "watch [--interval S] [--count N]": the rates table with each backend's
 * health, redrawn every interval until Ctrl-C (or N tables). */
int
dsrctl_watch(const struct dsrctl_api *api, int argc, char *argv[])
{
    struct watch_args a = { .interval = 2.0 };
    json_t *last = NULL;
    long long last_msec = 0;
    int error = parse_args(argc, argv, "watch", &a);

    signal(SIGINT, on_sigint);
    for (long long n = 0; !error && !interrupted
                          && (!a.count || n < a.count); n++) {
        json_t *stats, *status = NULL;
        long long now;

        error = read_stats(api, &stats, &now);
        if (!error) {
            error = dsrctl_request(api, "GET", "/v1/status", NULL, &status);
        }
        if (!error) {
            json_t *rates = stats_rates(last ? last : stats, stats,
                                               last ? now - last_msec : 0);
            /* Home and clear, as watch(1) does. */
            printf("%sdsrctl watch, every %.1f s (Ctrl-C ends it)\n\n",
                   isatty(fileno(stdout)) ? "\033[H\033[2J" : "",
                   a.interval);
            dsrctl_print_rates(rates, status);
            fflush(stdout);
            json_decref(rates);
            json_decref(last);
            last = json_incref(stats);
            last_msec = now;
        }
        json_decref(stats);
        json_decref(status);
        if (!error && (!a.count || n + 1 < a.count)) {
            sleep_s(a.interval);
        }
    }
    json_decref(last);
    return error;
}
