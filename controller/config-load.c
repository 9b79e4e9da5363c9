/* Whole configuration documents: from a json_t, a string, or a file,
 * where dsrd's own state file is read a line (a service) at a time.  Each
 * service is parsed by config-parse.c and checked and added by config.c.
 * See config.h. */
#include <config.h>
#include "controller/config.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include "controller/model.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Checks the service JSON 's', the document's 'i'th, and adds it to
 * 'cfg'; validates it against its schema first if 'validate'. */
static char *
add_service_json(struct dsr_config *cfg, const json_t *s, size_t i,
                 bool trust_ids, bool validate)
{
    char *path = xasprintf("$.services[%"PRIuSIZE"]", i);
    struct dsr_service *svc;
    char *error = (validate
                   ? dsr_service_from_json(cfg, s, path, trust_ids, NULL,
                                           &svc)
                   : dsr_service_from_valid_json(cfg, s, path, trust_ids,
                                                 NULL, &svc));

    if (!error) {
        if (trust_ids && svc->id
            && dsr_config_find_service_by_id(cfg, svc->id)) {
            error = xasprintf("%s.id: duplicate id %"PRIu32, path, svc->id);
        } else {
            error = dsr_config_check_limits(cfg, svc, NULL, path);
        }
        if (!error) {
            error = dsr_config_check_service(cfg, svc, NULL, path);
        }
        if (error) {
            dsr_service_destroy(svc);
        } else {
            dsr_config_add_service(cfg, svc);
            dsr_config_stamp_service(cfg, svc);
        }
    }
    free(path);
    return error;
}

char *
dsr_config_from_json(const json_t *json, bool trust_ids,
                     struct dsr_config *cfg)
{
    const json_t *services = json_object_get(json, "services");
    const json_t *s;
    size_t i;

    char *error = dsr_config_settings_from_json(json, cfg);
    if (!error && trust_ids) {
        const json_t *version = json_object_get(json, "version");
        const json_t *next = json_object_get(json, "next_service_id");
        cfg->version = version ? json_integer_value(version) : 0;
        cfg->next_service_id = next ? json_integer_value(next) : 1;
    }
    if (!cfg->version) {
        cfg->version = 1;
    }
    if (!error && json_array_size(services) > cfg->limits.max_services) {
        error = xasprintf("$.services: %"PRIuSIZE" services, more than "
                          "limits.max_services (%u)",
                          json_array_size(services),
                          cfg->limits.max_services);
    }
    json_array_foreach (services, i, s) {
        if (error) {
            break;
        }
        /* The document's schema covered its services. */
        error = add_service_json(cfg, s, i, trust_ids, false);
    }
    if (error) {
        dsr_config_destroy(cfg);
        dsr_config_init(cfg);
    }
    return error;
}

/* dsrd's state file as dsr_config_put_json() lays it out: a head, then
 * one service a line, so that it can be read a service at a time and the
 * whole document never stands as json_t (some 7 times its size, and as
 * slow to free as to build).  Returns NULL or an error; sets '*laid_out'
 * to false, with 'cfg' left empty, if 'text' is laid out otherwise (or
 * does not parse: the whole document's parse then says where). */
static char *
config_from_lines(const char *text, size_t len, struct dsr_config *cfg,
                  bool *laid_out)
{
    const char **starts;
    size_t head_len, *lens;
    size_t n = dsr_config_split_lines(text, len, &head_len, &starts, &lens);
    json_t *head = (n != SIZE_MAX ? dsr_config_parse_head(text, head_len)
                    : NULL);
    char *error = NULL;

    *laid_out = head != NULL;
    if (head) {
        error = dsr_config_from_json(head, true, cfg);
        json_decref(head);
    }
    for (size_t i = 0; *laid_out && !error && i < n; i++) {
        json_t *json = json_loadb(starts[i], lens[i], JSON_REJECT_DUPLICATES,
                                  NULL);
        *laid_out = json != NULL;
        if (json) {
            error = add_service_json(cfg, json, i, true, true);
            json_decref(json);
        }
    }
    if (error || !*laid_out) {
        dsr_config_destroy(cfg);
        dsr_config_init(cfg);
    }
    free(starts);
    free(lens);
    return error;
}

/* A whole document as json_t takes about 7 times its text's size, which
 * the allocator keeps once it is freed (at 10,000 services x 32 backends,
 * some 400 MB): gives it back to the system. */
void
dsr_config_trim_heap(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

char *
dsr_config_from_string(const char *s, struct dsr_config *cfg)
{
    json_error_t jerror;
    json_t *json = json_loads(s, JSON_REJECT_DUPLICATES, &jerror);

    if (!json) {
        return xasprintf("line %d, column %d: %s", jerror.line,
                         jerror.column, jerror.text);
    }
    char *error = dsr_config_from_json(json, false, cfg);
    json_decref(json);
    return error;
}

char *
dsr_config_from_file(const char *file_name, bool trust_ids,
                     struct dsr_config *cfg)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    json_error_t jerror;
    bool laid_out = false;
    char *error = NULL;
    FILE *file = fopen(file_name, "r");
    char buf[65536];
    size_t n;

    if (!file) {
        return xasprintf("%s: %s", file_name, ovs_strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
        ds_put_buffer(&text, buf, n);
    }
    if (ferror(file)) {
        error = xasprintf("%s: %s", file_name, ovs_strerror(errno));
        fclose(file);
        ds_destroy(&text);
        return error;
    }
    fclose(file);

    if (trust_ids) {
        error = config_from_lines(text.string, text.length, cfg, &laid_out);
    }
    if (!laid_out) {
        json_t *json = json_loadb(text.string, text.length,
                                  JSON_REJECT_DUPLICATES, &jerror);
        if (!json) {
            ds_destroy(&text);
            return xasprintf("%s: line %d, column %d: %s", file_name,
                             jerror.line, jerror.column, jerror.text);
        }
        error = dsr_config_from_json(json, trust_ids, cfg);
        json_decref(json);
    }
    ds_destroy(&text);
    if (error) {
        char *full = xasprintf("%s: %s", file_name, error);
        free(error);
        error = full;
    }
    return error;
}

/* Reads only the head of 'file_name' laid out as dsr_config_put_json()
 * writes it: its bridges, limits and ids, without reading its services,
 * which at 10,000 of them take seconds.  Returns true with 'cfg' (which
 * the caller initialized) filled in, or false if the file cannot be read
 * or is laid out otherwise: the whole load then says why. */
bool
dsr_config_read_head(const char *file_name, struct dsr_config *cfg)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    size_t head_len = SIZE_MAX;
    FILE *file = fopen(file_name, "r");
    char buf[65536];
    size_t n;

    if (!file) {
        return false;
    }
    while (head_len == SIZE_MAX && (n = fread(buf, 1, sizeof buf, file))) {
        ds_put_buffer(&text, buf, n);
        head_len = dsr_config_head_length(text.string, text.length);
    }
    fclose(file);

    json_t *head = (head_len != SIZE_MAX
                    ? dsr_config_parse_head(text.string, head_len) : NULL);
    char *error = head ? dsr_config_from_json(head, true, cfg) : NULL;
    bool ok = head && !error;
    json_decref(head);
    free(error);
    ds_destroy(&text);
    return ok;
}
