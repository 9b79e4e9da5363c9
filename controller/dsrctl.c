/* dsrctl: the command-line client of dsrd's REST API.
 *
 * "dsrctl [OPTIONS] COMMAND..." lists, shows, adds, changes and removes
 * virtual services and their backends, and shows status and counters, in
 * the spirit of ipvsadm.  A command is one or a few HTTP requests
 * (dsrctl-http.c) with JSON bodies (jansson), printed by dsrctl-print.c;
 * dsrd does the real validation.  This file has main(), the options, the
 * parsing of each command's words and the command table.  Exit codes, for
 * scripts: 0 success, 1 dsrd answered with an error, 2 bad usage, 3 dsrd
 * could not be reached. */
#include <config.h>
#include "controller/dsrctl.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define DEFAULT_URL "http://127.0.0.1:9180"

/* Global options. */
static struct dsrctl_api api = {
    .url = DEFAULT_URL,
    .timeout_ms = 10000,
};
static bool json_output;

/* Prints "dsrctl: MESSAGE" and a hint to stderr; returns the exit code for
 * a usage error. */
static int OVS_PRINTF_FORMAT(1, 2)
usage_error(const char *format, ...)
{
    va_list args;

    va_start(args, format);
    int error = dsrctl_usage_verror(format, args);
    va_end(args);
    return error;
}

/* Reports an option error from getopt_long() ('c' is ':' or '?') in the
 * command 'cmd' ("" for global options); returns the usage exit code. */
static int
option_error(int c, char *argv[], const char *cmd)
{
    const char *arg = argv[optind - 1];
    const char *sep = cmd[0] ? ": " : "";

    if (c == ':') {
        return usage_error("%s%soption \"%s\" needs an argument", cmd, sep,
                           arg);
    } else if (optopt) {
        return usage_error("%s%sunknown option \"-%c\"", cmd, sep, optopt);
    }
    return usage_error("%s%sunknown option \"%s\"", cmd, sep, arg);
}

/* Parses 's', only digits, as an integer from 'min' to 'max'. */
static bool
parse_int(const char *s, long long min, long long max, long long *value)
{
    if (!s[0] || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18) {
        return false;
    }
    long long n = strtoll(s, NULL, 10);
    if (n < min || n > max) {
        return false;
    }
    *value = n;
    return true;
}

/* Sets field 'key' of 'obj' from the command-line text 'value', checking
 * numbers here and leaving everything else to dsrd.  With 'patch', "none"
 * for a MAC removes it.  'label' names the argument in errors.  Returns 0
 * or the usage exit code. */
static int
set_field(json_t *obj, const char *key, const char *value, bool patch,
          const char *label)
{
    long long n;

    if (!strcmp(key, "port")) {
        if (!strcmp(value, "*")) {
            json_object_set_new(obj, key, json_string("*"));
        } else if (parse_int(value, 1, 65535, &n)) {
            json_object_set_new(obj, key, json_integer(n));
        } else {
            return usage_error("%s: \"%s\" is not a port (1 to 65535, or "
                               "'*' for all ports)", label, value);
        }
    } else if (!strcmp(key, "weight")) {
        if (!parse_int(value, 1, 65535, &n)) {
            return usage_error("%s: \"%s\" is not a weight (1 to 65535)",
                               label, value);
        }
        json_object_set_new(obj, key, json_integer(n));
    } else if (patch && !strcmp(key, "mac") && !strcmp(value, "none")) {
        json_object_set_new(obj, key, json_null());
    } else {
        json_object_set_new(obj, key, json_string(value));
    }
    return 0;
}

/* Parses "IP[,weight=N][,state=S][,mac=M]" and appends the backend to the
 * "backends" array of 'svc'.  Returns 0 or the usage exit code. */
static int
add_backend_spec(json_t *svc, const char *spec)
{
    char *copy = xstrdup(spec);
    char *save = NULL;
    char *ip = strtok_r(copy, ",", &save);
    json_t *be = json_object();
    int error = 0;

    /* An address of either family; dsrd judges it. */
    if (!ip || !strpbrk(ip, ".:") || strchr(ip, '=')) {
        error = usage_error("--backend \"%s\": expected "
                            "IP[,weight=N][,state=S][,mac=M]", spec);
    } else {
        json_object_set_new(be, "ip", json_string(ip));
    }
    for (char *kv = strtok_r(NULL, ",", &save); kv && !error;
         kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) {
            *eq = '\0';
        }
        if (!eq || (strcmp(kv, "weight") && strcmp(kv, "state")
                    && strcmp(kv, "mac"))) {
            error = usage_error("--backend \"%s\": unknown \"%s\" (use "
                                "weight=N, state=S or mac=M)", spec, kv);
        } else {
            char *label = xasprintf("--backend \"%s\": %s", spec, kv);
            error = set_field(be, kv, eq + 1, false, label);
            free(label);
        }
    }
    if (!error) {
        json_t *backends = json_object_get(svc, "backends");
        if (!backends) {
            backends = json_array();
            json_object_set_new(svc, "backends", backends);
        }
        json_array_append(backends, be);
    }
    json_decref(be);
    free(copy);
    return error;
}

/* Parses the options of the command 'cmd' (its words start at argv[1])
 * into 'obj': an option sets the field of its name (--proto: "protocol"),
 * "--backend SPEC" adds a backend, "--file FILE" goes to '*filep'.  Leaves
 * the operands in argv[optind...].  Returns 0 or the usage exit code. */
static int
parse_fields(int argc, char *argv[], const char *cmd,
             const struct option *options, bool patch, json_t *obj,
             const char **filep)
{
    int index;
    int c;

    optind = 0;
    while ((c = getopt_long(argc, argv, ":", options, &index)) != -1) {
        if (c) {
            return option_error(c, argv, cmd);
        }
        const char *name = options[index].name;
        char *label = xasprintf("%s: --%s", cmd, name);
        int error = 0;
        if (!strcmp(name, "backend")) {
            error = add_backend_spec(obj, optarg);
        } else if (!strcmp(name, "file")) {
            *filep = optarg;
        } else {
            error = set_field(obj, !strcmp(name, "proto") ? "protocol" : name,
                              optarg, patch, label);
        }
        free(label);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Checks that command 'cmd' got exactly 'n' operands, described by
 * 'names' for the error message.  Returns 0 or the usage exit code. */
static int
check_operands(int argc, const char *cmd, int n, const char *names)
{
    if (argc - optind < n) {
        return usage_error("%s: missing %s", cmd, names);
    } else if (argc - optind > n) {
        return usage_error("%s: too many arguments (expected %s)", cmd,
                           n ? names : "none");
    }
    return 0;
}

/* Parses the words of command 'cmd', which has no options and takes 'n'
 * operands described by 'names'.  Returns 0 or the usage exit code. */
static int
parse_operands(int argc, char *argv[], const char *cmd, int n,
               const char *names)
{
    static const struct option none[] = { {NULL, 0, NULL, 0} };
    int error = parse_fields(argc, argv, cmd, none, false, NULL, NULL);

    return error ? error : check_operands(argc, cmd, n, names);
}

/* Sends a write and, with --json, prints the answer.  Takes 'body'. */
static int
write_request(const char *method, const char *path, json_t *body)
{
    json_t *reply;
    int error = dsrctl_request(&api, method, path, body, &reply);

    if (!error && json_output) {
        dsrctl_print_json(reply);
    }
    json_decref(reply);
    json_decref(body);
    return error;
}

/* "service list": one line per service. */
static int
cmd_service_list(int argc, char *argv[])
{
    json_t *list = NULL;
    int error;

    if (!(error = parse_operands(argc, argv, "service list", 0, ""))
        && !(error = dsrctl_request(&api, "GET", "/v1/services", NULL,
                                    &list))) {
        if (json_output) {
            dsrctl_print_json(list);
        } else {
            dsrctl_print_service_list(list);
        }
    }
    json_decref(list);
    return error;
}

/* "service show NAME": the service and its backends with their live state
 * and counters. */
static int
cmd_service_show(int argc, char *argv[])
{
    json_t *svc = NULL;
    int error;

    if (!(error = parse_operands(argc, argv, "service show", 1, "NAME"))) {
        char *path = dsrctl_service_path(argv[optind], false, NULL);
        error = dsrctl_request(&api, "GET", path, NULL, &svc);
        free(path);
    }
    if (!error && json_output) {
        dsrctl_print_json(svc);
    } else if (!error) {
        json_t *list = json_pack("[O]", svc);
        error = dsrctl_print_services(&api, list, false);
        json_decref(list);
    }
    json_decref(svc);
    return error;
}

/* Options of "service add" and (but --backend and --file) "service set". */
static const struct option service_options[] = {
    {"vip", required_argument, NULL, 0},
    {"proto", required_argument, NULL, 0},
    {"port", required_argument, NULL, 0},
    {"hash", required_argument, NULL, 0},
    {"mac", required_argument, NULL, 0},
    {"bridge", required_argument, NULL, 0},
    {"backend", required_argument, NULL, 0},
    {"file", required_argument, NULL, 0},
    {NULL, 0, NULL, 0},
};

/* "service add NAME --vip ... [--backend SPEC]..." or "service add --file
 * FILE". */
static int
cmd_service_add(int argc, char *argv[])
{
    const char *cmd = "service add";
    const char *file = NULL;
    json_t *svc = json_object();
    int error = parse_fields(argc, argv, cmd, service_options, false, svc,
                             &file);

    if (!error && file) {
        json_error_t jerror;
        if (optind != argc || json_object_size(svc)) {
            error = usage_error("%s: --file takes no NAME and no other "
                                "options", cmd);
        } else {
            json_decref(svc);
            svc = (!strcmp(file, "-")
                   ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerror)
                   : json_load_file(file, JSON_REJECT_DUPLICATES, &jerror));
            if (!svc && jerror.line > 0) {
                error = usage_error("%s: --file %s: line %d: %s", cmd, file,
                                    jerror.line, jerror.text);
            } else if (!svc) {
                error = usage_error("%s: --file %s: %s", cmd, file,
                                    jerror.text);
            }
        }
    } else if (!error && !(error = check_operands(argc, cmd, 1, "NAME"))) {
        static const char *const required[] = { "vip", "protocol", "port" };
        for (size_t i = 0; i < ARRAY_SIZE(required) && !error; i++) {
            if (!json_object_get(svc, required[i])) {
                error = usage_error("%s: --%s is required", cmd,
                                    i == 1 ? "proto" : required[i]);
            }
        }
        json_object_set_new(svc, "name", json_string(argv[optind]));
    }
    if (error) {
        json_decref(svc);
        return error;
    }
    return write_request("POST", "/v1/services", svc);
}

/* "service set NAME --FIELD VALUE...": a merge patch of the service. */
static int
cmd_service_set(int argc, char *argv[])
{
    const char *cmd = "service set";
    const char *file = NULL;
    json_t *patch = json_object();
    int error = parse_fields(argc, argv, cmd, service_options, true, patch,
                             &file);

    if (!error && (file || json_object_get(patch, "backends"))) {
        error = usage_error("%s: --file and --backend are for \"service "
                            "add\" (use the backend commands)", cmd);
    } else if (!error && !(error = check_operands(argc, cmd, 1, "NAME"))
               && !json_object_size(patch)) {
        error = usage_error("%s: nothing to change (use --hash, --mac, "
                            "...)", cmd);
    }
    if (error) {
        json_decref(patch);
        return error;
    }
    char *path = dsrctl_service_path(argv[optind], false, NULL);
    error = write_request("PATCH", path, patch);
    free(path);
    return error;
}

/* "service del NAME". */
static int
cmd_service_del(int argc, char *argv[])
{
    int error;

    if (!(error = parse_operands(argc, argv, "service del", 1, "NAME"))) {
        char *path = dsrctl_service_path(argv[optind], false, NULL);
        error = write_request("DELETE", path, NULL);
        free(path);
    }
    return error;
}

/* "backend list SERVICE": one line per backend. */
static int
cmd_backend_list(int argc, char *argv[])
{
    json_t *list = NULL;
    int error;

    if (!(error = parse_operands(argc, argv, "backend list", 1, "SERVICE"))) {
        char *path = dsrctl_service_path(argv[optind], true, NULL);
        error = dsrctl_request(&api, "GET", path, NULL, &list);
        free(path);
    }
    if (!error && json_output) {
        dsrctl_print_json(list);
    } else if (!error) {
        dsrctl_print_backend_list(list);
    }
    json_decref(list);
    return error;
}

/* "backend add|set SERVICE IP [--weight N] [--state S] [--mac M]": POST
 * a new backend, or PATCH one. */
static int
cmd_backend_add_set(int argc, char *argv[])
{
    static const struct option options[] = {
        {"weight", required_argument, NULL, 0},
        {"state", required_argument, NULL, 0},
        {"mac", required_argument, NULL, 0},
        {NULL, 0, NULL, 0},
    };
    bool patch = !strcmp(argv[0], "set");
    const char *cmd = patch ? "backend set" : "backend add";
    json_t *be = json_object();
    int error = parse_fields(argc, argv, cmd, options, patch, be, NULL);

    if (!error && !(error = check_operands(argc, cmd, 2, "SERVICE IP"))
        && patch && !json_object_size(be)) {
        error = usage_error("%s: nothing to change (use --weight, --state "
                            "or --mac)", cmd);
    }
    if (error) {
        json_decref(be);
        return error;
    }
    const char *name = argv[optind], *ip = argv[optind + 1];
    char *path = dsrctl_service_path(name, true, patch ? ip : NULL);
    if (!patch) {
        json_object_set_new(be, "ip", json_string(ip));
    }
    error = write_request(patch ? "PATCH" : "POST", path, be);
    free(path);
    return error;
}

/* "backend del SERVICE IP". */
static int
cmd_backend_del(int argc, char *argv[])
{
    int error;

    error = parse_operands(argc, argv, "backend del", 2, "SERVICE IP");
    if (!error) {
        char *path = dsrctl_service_path(argv[optind], true, argv[optind + 1]);
        error = write_request("DELETE", path, NULL);
        free(path);
    }
    return error;
}

/* "status": bridges, then every service like "service show". */
static int
cmd_status(int argc, char *argv[])
{
    json_t *json = NULL;
    int error;

    if ((error = parse_operands(argc, argv, "status", 0, ""))) {
        return error;
    }
    if (json_output) {
        error = dsrctl_request(&api, "GET", "/v1/status", NULL, &json);
        if (!error) {
            dsrctl_print_json(json);
        }
    } else {
        error = dsrctl_request(&api, "GET", "/v1/services", NULL, &json);
        if (!error) {
            error = dsrctl_print_services(&api, json, true);
        }
    }
    json_decref(json);
    return error;
}

/* "stats [--rate [--interval S]]": packets and bytes per service and
 * backend, or their rates (dsrctl-watch.c). */
static int
cmd_stats(int argc, char *argv[])
{
    return dsrctl_stats(&api, argc, argv, json_output);
}

/* "watch [--interval S] [--count N]" (dsrctl-watch.c). */
static int
cmd_watch(int argc, char *argv[])
{
    return dsrctl_watch(&api, argc, argv);
}

/* "history [SERVICE]": the audit trail, or the part of it that touched
 * SERVICE. */
static int
cmd_history(int argc, char *argv[])
{
    static const struct option none[] = { {NULL, 0, NULL, 0} };
    json_t *answer = NULL;
    int error = parse_fields(argc, argv, "history", none, false, NULL, NULL);

    if (!error && argc - optind > 1) {
        error = usage_error("history: too many arguments (expected "
                            "[SERVICE])");
    }
    if (error) {
        return error;
    }
    char *path = (argc > optind
                  ? xasprintf("/v1/history?limit=10000&service=%s",
                              argv[optind])
                  : xstrdup("/v1/history?limit=10000"));
    error = dsrctl_request(&api, "GET", path, NULL, &answer);
    free(path);
    if (!error && json_output) {
        dsrctl_print_json(answer);
    } else if (!error) {
        dsrctl_print_history(json_object_get(answer, "entries"));
    }
    json_decref(answer);
    return error;
}

/* "node drain|undrain|show" (dsrctl-node.c). */
static int
cmd_node(int argc, char *argv[])
{
    return dsrctl_node(&api, argc, argv, json_output);
}

/* "cluster" (dsrctl-node.c). */
static int
cmd_cluster(int argc, char *argv[])
{
    return dsrctl_cluster(&api, argc, argv, json_output);
}

/* "import keepalived|ipvsadm FILE": see dsrctl-import.c. */
static int
cmd_import(int argc, char *argv[])
{
    return dsrctl_import(&api, argc, argv);
}

/* "trace PROTO CLIENT_IP[:PORT] VIP[:PORT]": where dsrd sends that
 * connection (controller/trace.h), in dsrd's own words. */
static int
cmd_trace(int argc, char *argv[])
{
    json_t *answer = NULL;
    int error;

    if ((error = parse_operands(argc, argv, "trace", 3,
                                "PROTO CLIENT_IP[:PORT] VIP[:PORT]"))) {
        return error;
    }
    char *path = dsrctl_trace_path(argv[optind], argv[optind + 1],
                                   argv[optind + 2]);
    error = dsrctl_request(&api, "GET", path, NULL, &answer);
    free(path);
    if (!error && json_output) {
        dsrctl_print_json(answer);
    } else if (!error) {
        const char *text = json_string_value(json_object_get(answer,
                                                             "text"));
        fputs(text ? text : "", stdout);
    }
    json_decref(answer);
    return error;
}

/* A command: "NOUN VERB" (or just NOUN if 'verb' is NULL). */
struct command {
    const char *noun;
    const char *verb;
    int (*run)(int argc, char *argv[]);  /* argv[0] is the last word. */
};

static const struct command commands[] = {
    {"service", "list", cmd_service_list},
    {"service", "show", cmd_service_show},
    {"service", "add", cmd_service_add},
    {"service", "set", cmd_service_set},
    {"service", "del", cmd_service_del},
    {"backend", "list", cmd_backend_list},
    {"backend", "add", cmd_backend_add_set},
    {"backend", "set", cmd_backend_add_set},
    {"backend", "del", cmd_backend_del},
    {"status", NULL, cmd_status},
    {"stats", NULL, cmd_stats},
    {"history", NULL, cmd_history},
    {"watch", NULL, cmd_watch},
    {"node", "drain", cmd_node},
    {"node", "undrain", cmd_node},
    {"node", "show", cmd_node},
    {"cluster", NULL, cmd_cluster},
    {"import", "keepalived", cmd_import},
    {"import", "ipvsadm", cmd_import},
    {"trace", NULL, cmd_trace},
};

/* Finds and runs the command in argv[0...]; returns its exit code. */
static int
run_command(int argc, char *argv[])
{
    const char *noun = argv[0];
    const char *verb = argc > 1 ? argv[1] : NULL;
    bool known_noun = false;

    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        const struct command *c = &commands[i];
        if (strcmp(c->noun, noun)) {
            continue;
        }
        known_noun = true;
        if (!c->verb) {
            return c->run(argc, argv);
        } else if (verb && !strcmp(c->verb, verb)) {
            return c->run(argc - 1, argv + 1);
        }
    }
    if (!known_noun) {
        return usage_error("unknown command \"%s\"", noun);
    }
    const char *verbs = (!strcmp(noun, "service")
                         ? "list, show, add, set or del"
                         : !strcmp(noun, "import") ? "keepalived or ipvsadm"
                         : !strcmp(noun, "node") ? "drain, undrain or show"
                         : "list, add, set or del");
    if (!verb) {
        return usage_error("%s: missing subcommand (%s)", noun, verbs);
    }
    return usage_error("%s: unknown subcommand \"%s\" (use %s)", noun, verb,
                       verbs);
}

/* Reads the token from file 'name' into 'api.token'.
 * Returns 0 or the usage exit code. */
static int
read_token_file(const char *name)
{
    struct ds line = DS_EMPTY_INITIALIZER;
    FILE *f = fopen(name, "r");
    int error = 0;

    if (!f) {
        return usage_error("--token-file %s: %s", name, ovs_strerror(errno));
    }
    /* dsrd's token file may be shared: its first token, "SECRET" or
     * "NAME SECRET", is the last word of its first line that is not blank
     * or a comment. */
    const char *secret = NULL;
    while (!secret && !ds_get_line(&line, f)) {
        char *save = NULL;
        for (char *word = strtok_r(ds_cstr(&line), " \t\r", &save);
             word && word[0] != '#'; word = strtok_r(NULL, " \t\r", &save)) {
            secret = word;
        }
    }
    fclose(f);
    if (!secret) {
        error = usage_error("--token-file %s: no token", name);
    }
    free(api.token);
    api.token = error ? NULL : xstrdup(secret);
    ds_destroy(&line);
    return error;
}

/* Parses "--timeout SECONDS" into 'api.timeout_ms'.  Returns 0 or the
 * usage exit code. */
static int
parse_timeout(const char *s)
{
    char *end;

    errno = 0;
    double t = strtod(s, &end);
    if (errno || end == s || *end || !(t > 0 && t <= 86400)) {
        return usage_error("--timeout: \"%s\" is not a number of seconds",
                           s);
    }
    api.timeout_ms = MAX(1, (long) (t * 1000));
    return 0;
}

/* Parses the global options; leaves the command in argv[optind...].
 * Returns 0, -1 after --help or --version, or the usage exit code. */
static int
parse_options(int argc, char *argv[])
{
    enum {
        OPT_URL = UCHAR_MAX + 1, OPT_TOKEN, OPT_TOKEN_FILE, OPT_CACERT,
        OPT_INSECURE, OPT_TIMEOUT, OPT_JSON,
    };
    static const struct option options[] = {
        {"url", required_argument, NULL, OPT_URL},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *env_token = getenv("DSRCTL_TOKEN");
    const char *env_url = getenv("DSRCTL_URL");
    int error = 0;
    int c;

    if (env_url && env_url[0]) {
        api.url = env_url;
    }
    if (env_token && env_token[0]) {
        api.token = xstrdup(env_token);
    }
    while (!error && (c = getopt_long(argc, argv, "+:hV", options,
                                      NULL)) != -1) {
        switch (c) {
        case OPT_URL:
            api.url = optarg;
            break;
        case OPT_TOKEN:
            free(api.token);
            api.token = xstrdup(optarg);
            break;
        case OPT_TOKEN_FILE:
            error = read_token_file(optarg);
            break;
        case OPT_CACERT:
            api.cacert = optarg;
            break;
        case OPT_INSECURE:
            api.insecure = true;
            break;
        case OPT_TIMEOUT:
            error = parse_timeout(optarg);
            break;
        case OPT_JSON:
            json_output = true;
            break;
        case 'h':
            dsrctl_print_usage(DEFAULT_URL);
            return -1;
        case 'V':
            printf("dsrctl (ovs-dsr) %s\n", DSR_VERSION);
            return -1;
        default:
            return option_error(c, argv, "");
        }
    }
    if (!error && strncasecmp(api.url, "http://", 7)
        && strncasecmp(api.url, "https://", 8)) {
        error = usage_error("--url: \"%s\" is not an http:// or https:// "
                            "URL", api.url);
    }
    if (!error && optind >= argc) {
        error = usage_error("missing command (service, backend, status, "
                            "stats or import)");
    }
    return error;
}

int
main(int argc, char *argv[])
{
    int error = parse_options(argc, argv);

    if (!error) {
        if (curl_global_init(CURL_GLOBAL_ALL)) {
            ovs_fatal(0, "cannot initialize libcurl");
        }
        error = run_command(argc - optind, argv + optind);
        curl_global_cleanup();
    }
    free(api.token);
    return error < 0 ? 0 : error;
}
