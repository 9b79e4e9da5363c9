/* dsrctl's "node drain|undrain|show": this load-balancer node's part in
 * BGP announcement (GET/PUT /v1/node, controller/api-node.h). */
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
