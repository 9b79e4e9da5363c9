/* dsrctl's "node drain|undrain|show": this load-balancer node's part in
 * BGP announcement (GET/PUT /v1/node, controller/api-node.h); and
 * "cluster": the nodes that share a clustered store (GET /v1/cluster). */
#include <config.h>
#include "controller/dsrctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util.h"

static void
print_node(const json_t *node)
{
    const json_t *announce = json_object_get(node, "announce");
    const json_t *vip;
    size_t i;

    printf("node %s; VIPs announced by %s:",
           json_is_true(json_object_get(node, "drained")) ? "drained"
                                                          : "in service",
           json_string_value(json_object_get(announce, "mode")));
    json_array_foreach (json_object_get(announce, "announced"), i, vip) {
        printf(" %s", json_string_value(vip));
    }
    printf("%s\n", json_array_size(json_object_get(announce, "announced"))
                   ? "" : " none");
}

/* "node drain [--wait S]", "node undrain", "node show". */
int
dsrctl_node(const struct dsrctl_api *api, int argc, char *argv[],
            bool json_output)
{
    static const struct option options[] = {
        {"wait", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    const char *verb = argv[0];
    double wait_s = 2.0;
    char *end;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c == 'w' && !strcmp(verb, "drain")) {
            wait_s = strtod(optarg, &end);
            if (*end || !(wait_s >= 0 && wait_s <= 600)) {
                return dsrctl_usage_error("node drain: --wait %s: seconds "
                                          "from 0 to 600 expected", optarg);
            }
        } else {
            return dsrctl_usage_error("node %s: unknown option \"%s\"", verb,
                                      argv[optind - 1]);
        }
    }
    if (optind < argc) {
        return dsrctl_usage_error("node %s: too many arguments", verb);
    }

    json_t *answer = NULL;
    int error;
    if (!strcmp(verb, "show")) {
        error = dsrctl_request(api, "GET", "/v1/node", NULL, &answer);
    } else {
        json_t *body = json_pack("{s:b}", "drained", !strcmp(verb, "drain"));
        error = dsrctl_request(api, "PUT", "/v1/node", body, &answer);
        json_decref(body);
    }
    if (!error && !strcmp(verb, "drain") && wait_s > 0) {
        /* The routers move new connections to other nodes meanwhile;
         * established ones keep going through this node's bridges. */
        struct timespec ts = { (time_t) wait_s,
                               (long) ((wait_s - (time_t) wait_s) * 1e9) };
        nanosleep(&ts, NULL);
    }
    if (!error && json_output) {
        dsrctl_print_json(answer);
    } else if (!error) {
        print_node(answer);
    }
    json_decref(answer);
    return error;
}

static const char *
string_or(const json_t *object, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s ? s : dflt;
}

static void
print_cluster(const json_t *cluster)
{
    const json_t *node;
    size_t i, j;

    printf("node %s: %s, %s; store version %"JSON_INTEGER_FORMAT", "
           "applied here %"JSON_INTEGER_FORMAT"\n",
           string_or(cluster, "node", "?"),
           json_is_true(json_object_get(cluster, "connected"))
           ? "connected" : "NOT CONNECTED",
           json_is_true(json_object_get(cluster, "current"))
           ? "current" : "NOT CURRENT",
           json_integer_value(json_object_get(cluster, "store_version")),
           json_integer_value(json_object_get(cluster, "applied_version")));
    if (json_is_string(json_object_get(cluster, "error"))) {
        printf("error: %s\n", string_or(cluster, "error", ""));
    }
    printf("%-16s %10s  %-20s %s\n", "NODE", "APPLIED", "STATUS",
           "BACKENDS DOWN");
    json_array_foreach (json_object_get(cluster, "nodes"), i, node) {
        const json_t *down = json_object_get(node, "backends_down");
        const json_t *backend;
        printf("%-16s %10"JSON_INTEGER_FORMAT"  %-20s",
               string_or(node, "name", "?"),
               json_integer_value(json_object_get(node, "applied_version")),
               string_or(node, "status", "?"));
        json_array_foreach (down, j, backend) {
            printf(" %s", json_string_value(backend));
        }
        printf("%s\n", json_array_size(down) ? "" : " -");
    }
    json_array_foreach (json_object_get(cluster, "health_disagreements"), i,
                        node) {
        const json_t *name;
        printf("health disagreement: %s down on",
               string_or(node, "backend", "?"));
        json_array_foreach (json_object_get(node, "down_on"), j, name) {
            printf(" %s", json_string_value(name));
        }
        printf(", up on the others\n");
    }
}

/* "cluster". */
int
dsrctl_cluster(const struct dsrctl_api *api, int argc,
               char *argv[] OVS_UNUSED, bool json_output)
{
    if (argc > 1) {
        return dsrctl_usage_error("cluster: too many arguments");
    }

    json_t *answer = NULL;
    int error = dsrctl_request(api, "GET", "/v1/cluster", NULL, &answer);
    if (!error && json_output) {
        dsrctl_print_json(answer);
    } else if (!error) {
        print_cluster(answer);
    }
    json_decref(answer);
    return error;
}
