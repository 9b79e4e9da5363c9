/* Health checks from JSON: a service's check over the schema's defaults,
 * each backend's own fields over the service's, and what the schema
 * cannot say about the fields a type of check needs.  See
 * config-private.h. */
#include <config.h>
#include "controller/config-private.h"

#include <string.h>
#include "controller/config.h"
#include "controller/json-merge.h"
#include "controller/model.h"
#include "util.h"

static char *
optional_strdup(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);

    return v ? xstrdup(json_string_value(v)) : NULL;
}

static enum dsr_check_type
check_type(const json_t *j)
{
    const char *type = config_member_string(j, config_defaults()->check,
                                            "type");

    for (int t = DSR_CHECK_NONE; t <= DSR_CHECK_EXEC; t++) {
        if (!strcmp(type, dsr_check_type_to_string(t))) {
            return t;
        }
    }
    return DSR_CHECK_NONE;
}

/* The scalar fields of health check 'j'; its port defaults to the
 * service's. */
static void
read_check_fields(struct dsr_health_check *c, const json_t *j,
                  uint16_t service_port)
{
    const json_t *d = config_defaults()->check;
    const json_t *port = json_object_get(j, "port");

    c->type = check_type(j);
    c->interval_ms = json_integer_value(config_member(j, d, "interval_ms"));
    c->timeout_ms = json_integer_value(config_member(j, d, "timeout_ms"));
    c->rise = json_integer_value(config_member(j, d, "rise"));
    c->fall = json_integer_value(config_member(j, d, "fall"));
    c->port = port ? json_integer_value(port) : service_port;
    c->dsr = json_is_true(config_member(j, d, "dsr"));
    c->method = xstrdup(config_member_string(j, d, "method"));
    c->path = xstrdup(config_member_string(j, d, "path"));
    c->host = optional_strdup(j, "host");
    c->body_contains = optional_strdup(j, "body_contains");
    c->tls_verify = json_is_true(config_member(j, d, "tls_verify"));
    c->payload = optional_strdup(j, "payload");
    c->dns = json_object_get(j, "preset") != NULL;
    c->dns_name = xstrdup(config_member_string(j, d, "dns_name"));
    c->expect_reply = json_is_true(config_member(j, d, "expect_reply"));
}

/* The list fields of health check 'j'. */
static void
read_check_lists(struct dsr_health_check *c, const json_t *j)
{
    const json_t *list = json_object_get(j, "expect_status");
    c->n_expect_status = json_array_size(list);
    if (c->n_expect_status) {
        c->expect_status = xmalloc(c->n_expect_status
                                   * sizeof *c->expect_status);
        for (size_t i = 0; i < c->n_expect_status; i++) {
            c->expect_status[i] = json_integer_value(
                json_array_get(list, i));
        }
    }
    list = json_object_get(j, "command");
    if (json_array_size(list)) {
        c->command = xcalloc(json_array_size(list) + 1,
                             sizeof *c->command);
        for (size_t i = 0; i < json_array_size(list); i++) {
            c->command[i] = xstrdup(json_string_value(
                                        json_array_get(list, i)));
        }
    }
}

/* What the schema cannot say: the fields that a type of check needs.
 * 'path' names where the backend's fields are. */
static char *
check_error(const struct dsr_health_check *c, const char *path)
{
    bool needs_port = c->type != DSR_CHECK_NONE && c->type != DSR_CHECK_EXEC;

    if ((needs_port || c->dsr) && !c->port) {
        return xasprintf("%s.health_check.port: required for a %s check "
                         "of an all-ports service", path,
                         c->dsr ? "DSR-path"
                                : dsr_check_type_to_string(c->type));
    } else if (c->type == DSR_CHECK_EXEC && !c->command) {
        return xasprintf("%s.health_check.command: required for exec "
                         "checks", path);
    } else if (c->dsr && c->type == DSR_CHECK_UDP && !c->expect_reply) {
        return xasprintf("%s.health_check.dsr: the DSR-path probe judges "
                         "the reply's source address: it needs "
                         "\"expect_reply\": true", path);
    } else if (c->type == DSR_CHECK_UDP && !c->dns && !c->payload) {
        return xasprintf("%s.health_check.payload: required for udp "
                         "checks (or \"preset\": \"dns\")", path);
    }
    return NULL;
}

/* The health check that a service's backends start from: its own fields
 * over the schema's defaults.  Made once a service, so that a backend
 * without fields of its own costs no merge and no lookup of defaults. */
json_t *
config_service_check(const struct dsr_service *svc)
{
    json_t *defaults_ = config_defaults()->check;

    return (svc->health_json
            ? json_merge_patch(defaults_, svc->health_json)
            : json_incref(defaults_));
}

/* Builds the effective check from the service's ('service_check') and the
 * backend's fields on top ('path' names where the backend's fields are,
 * for errors); both were validated against health-check.schema.json.
 * Type "none" gives no check ('*checkp' NULL). */
char *
config_parse_check(const json_t *service_check, const json_t *own,
                   uint16_t service_port, const char *path,
                   struct dsr_health_check **checkp)
{
    json_t *j = (own ? json_merge_patch(service_check, own)
                 : json_incref(CONST_CAST(json_t *, service_check)));
    struct dsr_health_check *c = xzalloc(sizeof *c);

    read_check_fields(c, j, service_port);
    read_check_lists(c, j);
    json_decref(j);

    char *error = check_error(c, path);
    if (error || c->type == DSR_CHECK_NONE) {
        dsr_health_check_destroy(c);
        c = NULL;
    }
    *checkp = c;
    return error;
}

