/* "dsrctl import keepalived|ipvsadm FILE": reads an IPVS configuration
 * (import-keepalived.c, import-ipvsadm.c), maps it to ovs-dsr services
 * (import.c) and prints them (--dry-run, the default) or applies them
 * (--apply).
 *
 * Applying never half-applies: everything is read, mapped and validated
 * first, and nothing is sent if anything is wrong.  Then the services go
 * in one PUT /v1/config, which dsrd applies as one atomic change: the
 * current configuration (GET /v1/config) with the imported services
 * added, or replacing the services of the same name (an import run again
 * updates what it imported); the operator's other services stay as they
 * are.  The PUT carries If-Match with the version read, so that a change
 * made in between makes it fail (412) rather than be undone. */
#include <config.h>
#include "controller/dsrctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "controller/import.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* The command line. */
struct import_args {
    const char *format;         /* "keepalived" or "ipvsadm". */
    const char *file;           /* "-": stdin. */
    bool apply;
    bool force;
    struct import_options options;
};

/* Parses "import FORMAT [OPTIONS] FILE" (argv[0] is FORMAT). */
static int
parse_args(int argc, char *argv[], struct import_args *a)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"apply", no_argument, NULL, 'a'},
        {"force", no_argument, NULL, 'f'},
        {"tunnel", required_argument, NULL, 't'},
        {"bridge", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(a, 0, sizeof *a);
    a->format = argv[0];
    optind = 0;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c == 'n' || c == 'a') {
            a->apply = c == 'a';
        } else if (c == 'f') {
            a->force = true;
        } else if (c == 't' && (!strcmp(optarg, "gre")
                                || !strcmp(optarg, "ipip"))) {
            a->options.gre = !strcmp(optarg, "gre");
        } else if (c == 't') {
            return dsrctl_usage_error("import: --tunnel: \"%s\" is not "
                                      "ipip or gre", optarg);
        } else if (c == 'b') {
            a->options.bridge = optarg;
        } else {
            return dsrctl_usage_error("import: unknown option or missing "
                                      "argument: \"%s\"", argv[optind - 1]);
        }
    }
    if (argc - optind != 1) {
        return dsrctl_usage_error("import: %s: expected one FILE ('-': "
                                  "stdin)", a->format);
    }
    a->file = argv[optind];
    return 0;
}

/* Reads 'a->file' into 'm'. */
static void
read_input(const struct import_args *a, struct import_model *m)
{
    bool keepalived = !strcmp(a->format, "keepalived");

    if (keepalived && strcmp(a->file, "-")) {
        import_keepalived_file(a->file, m);
        return;
    }
    struct ds text = DS_EMPTY_INITIALIZER;
    FILE *f = strcmp(a->file, "-") ? fopen(a->file, "r") : stdin;
    const char *name = f == stdin ? "<stdin>" : a->file;
    char buf[4096];
    size_t n;

    if (!f) {
        import_error(m, a->file, "cannot read: %s", ovs_strerror(errno));
        return;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        ds_put_buffer(&text, buf, n);
    }
    if (f != stdin) {
        fclose(f);
    }
    if (keepalived) {
        import_keepalived_buffer(name, ds_cstr(&text), text.length, true, m);
    } else {
        import_ipvsadm_buffer(name, ds_cstr(&text), text.length, m);
    }
    ds_destroy(&text);
}

static void
print_list(const struct svec *list, const char *label)
{
    for (size_t i = 0; i < list->n; i++) {
        fprintf(stderr, "dsrctl: import: %s%s\n", label, list->names[i]);
    }
}

/* Prints what was found; returns 0 if the import may go on. */
static int
report(const struct import_args *a, const struct import_model *m,
       const json_t *services)
{
    print_list(&m->notes, "note: ");
    print_list(&m->errors, "error: ");
    print_list(&m->refusals, a->force ? "left out: " : "cannot map: ");
    if (m->errors.n || (m->refusals.n && !a->force)) {
        fprintf(stderr, "dsrctl: import: nothing %s: %"PRIuSIZE" error(s), "
                "%"PRIuSIZE" construct(s) ovs-dsr cannot do%s\n",
                a->apply ? "applied" : "to apply", m->errors.n,
                m->refusals.n, m->errors.n ? ""
                : " (--force leaves them out)");
        return DSRCTL_EXIT_IMPORT;
    } else if (!json_array_size(services)) {
        fprintf(stderr, "dsrctl: import: %s: no virtual server to import\n",
                a->file);
        return DSRCTL_EXIT_IMPORT;
    }
    return 0;
}

/* Prints 'services' as {"services": [...]}, one service per line, as
 * dsrd's API writes large documents. */
static void
print_services(const json_t *services)
{
    size_t i;
    json_t *svc;

    printf("{\"services\": [");
    json_array_foreach (services, i, svc) {
        char *text = json_dumps(svc, JSON_COMPACT);
        printf("%s\n%s", i ? "," : "", text);
        free(text);
    }
    printf("\n]}\n");
}

/* Puts 'services' into 'doc''s "services", replacing those of the same
 * name.  Prints what it does. */
static void
merge_services(json_t *doc, const json_t *services)
{
    json_t *current = json_object_get(doc, "services");
    size_t i;
    json_t *svc;

    if (!json_is_array(current)) {
        current = json_array();
        json_object_set_new(doc, "services", current);
    }
    json_array_foreach (services, i, svc) {
        const char *name = json_string_value(json_object_get(svc, "name"));
        bool replaced = false;
        for (size_t j = 0; j < json_array_size(current) && !replaced; j++) {
            json_t *old = json_array_get(current, j);
            if (!strcmp(name, json_string_value(json_object_get(old,
                                                                "name")))) {
                json_array_set(current, j, svc);
                replaced = true;
            }
        }
        if (!replaced) {
            json_array_append(current, svc);
        }
        printf("%s %s\n", replaced ? "replaced" : "added", name);
    }
}

/* --apply: one PUT /v1/config of the current configuration with
 * 'services' merged in. */
static int
apply(const struct dsrctl_api *api, const json_t *services)
{
    json_t *doc = NULL, *reply = NULL;
    int error = dsrctl_request(api, "GET", "/v1/config", NULL, &doc);

    if (error) {
        return error;
    }
    json_t *version = json_object_get(doc, "version");
    char *if_match = xasprintf("\"%"JSON_INTEGER_FORMAT"\"",
                               json_integer_value(version));
    merge_services(doc, services);
    error = dsrctl_request_if_match(api, "PUT", "/v1/config", doc, if_match,
                                    &reply);
    if (!error) {
        printf("applied %"PRIuSIZE" service(s) in one change: configuration "
               "version %"JSON_INTEGER_FORMAT"\n", json_array_size(services),
               json_integer_value(json_object_get(reply, "version")));
    } else {
        fprintf(stderr, "dsrctl: import: nothing applied\n");
    }
    free(if_match);
    json_decref(reply);
    json_decref(doc);
    return error;
}

/* "import keepalived|ipvsadm [--dry-run|--apply] [--force]
 * [--tunnel=ipip|gre] [--bridge=BR] FILE"; argv[0] is the format. */
int
dsrctl_import(const struct dsrctl_api *api, int argc, char *argv[])
{
    struct import_model m;
    struct import_args a;
    int error = parse_args(argc, argv, &a);

    if (error) {
        return error;
    }
    import_model_init(&m);
    read_input(&a, &m);
    json_t *services = import_to_services(&m, &a.options);
    if (!m.errors.n) {
        char *invalid = import_validate(services, a.options.bridge);
        if (invalid) {
            import_error(&m, a.file, "the mapped services are invalid: %s",
                         invalid);
            free(invalid);
        }
    }
    error = report(&a, &m, services);
    if (!error && a.apply) {
        error = apply(api, services);
    } else if (!error) {
        print_services(services);
        fprintf(stderr, "dsrctl: import: dry run: %"PRIuSIZE" service(s), "
                "nothing applied (--apply applies them)\n",
                json_array_size(services));
    }
    json_decref(services);
    import_model_destroy(&m);
    return error;
}
