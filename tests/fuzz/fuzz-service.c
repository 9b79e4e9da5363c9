/* libFuzzer harness: one service or backend from an API request body,
 * against a configuration that already has services, the way api.c
 * takes them: a service body (POST/PUT), a merge patch of a service
 * (PATCH), a backend body (POST .../backends).  Accepted services are
 * added to the configuration and removed again, which must leave its
 * indexes as they were. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include "controller/config.h"
#include "controller/json-merge.h"
#include "controller/model.h"

static const char base_config[] =
    "{\"bridges\": [{\"name\": \"br0\", \"probe_ip\": \"10.0.0.250\"},"
    "               {\"name\": \"br1\", \"mac\": \"02:00:00:00:00:01\"}],"
    " \"services\": ["
    "  {\"name\": \"web\", \"bridge\": \"br0\", \"vip\": \"10.0.0.100\","
    "   \"protocol\": \"tcp\", \"port\": 80,"
    "   \"health_check\": {\"type\": \"http\", \"path\": \"/h\"},"
    "   \"backends\": [{\"ip\": \"10.0.0.11\"},"
    "                  {\"ip\": \"10.0.0.12\", \"weight\": 5}]},"
    "  {\"name\": \"dns\", \"bridge\": \"br1\", \"vip\": \"10.0.0.53\","
    "   \"protocol\": \"both\", \"port\": \"*\","
    "   \"backends\": [{\"ip\": \"10.0.0.13\", \"state\": \"drain\"}]}]}";

static struct dsr_config cfg;

/* Checks 'body' as the service that replaces 'old' (NULL: a new one),
 * and if it is fine, applies it and takes it back. */
static void
try_service(const json_t *body, struct dsr_service *old)
{
    size_t n_services = hmap_count(&cfg.services);
    size_t n_vips = hmap_count(&cfg.vips);
    size_t n_ips = hmap_count(&cfg.backend_ips);
    size_t n_endpoints = hmap_count(&cfg.endpoints);
    struct dsr_service *svc;

    char *error = dsr_service_from_json(&cfg, body, "$", false, old, &svc);
    if (!error) {
        /* api.c refuses renames before this check. */
        bool renamed = old && strcmp(old->name, svc->name);
        error = renamed ? NULL : dsr_config_check_service(&cfg, svc, old,
                                                          "$");
        if (!error && !renamed) {
            json_t *a = dsr_service_to_json(svc);
            if (old) {
                dsr_config_remove_service(&cfg, old);
            }
            dsr_config_add_service(&cfg, svc);
            dsr_config_remove_service(&cfg, svc);
            if (old) {
                dsr_config_add_service(&cfg, old);
            }
            /* What the state file gets must read back the same. */
            struct dsr_service *copy;
            char *e2 = dsr_service_from_json(&cfg, a, "$", true, old, &copy);
            ovs_assert(!e2);
            json_t *b = dsr_service_to_json(copy);
            ovs_assert(json_equal(a, b));
            json_decref(a);
            json_decref(b);
            dsr_service_destroy(copy);
        }
        dsr_service_destroy(svc);
    }
    if (error) {
        fuzz_check_path_error(error);
        free(error);
    }
    ovs_assert(hmap_count(&cfg.services) == n_services);
    ovs_assert(hmap_count(&cfg.vips) == n_vips);
    ovs_assert(hmap_count(&cfg.backend_ips) == n_ips);
    ovs_assert(hmap_count(&cfg.endpoints) == n_endpoints);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!hmap_count(&cfg.services)) {
        dsr_config_init(&cfg);
        ovs_assert(!dsr_config_from_string(base_config, &cfg));
    }

    json_error_t jerror;
    json_t *body = json_loadb((const char *) data, size,
                              JSON_REJECT_DUPLICATES, &jerror);
    if (!body) {
        return 0;
    }
    struct dsr_service *web = dsr_config_find_service(&cfg, "web");
    json_t *current = dsr_service_to_json(web);

    /* POST /v1/services, PUT /v1/services/web. */
    try_service(body, NULL);
    try_service(body, web);

    /* PATCH /v1/services/web. */
    json_t *patched = json_merge_patch(current, body);
    try_service(patched, web);
    json_decref(patched);

    /* POST /v1/services/web/backends. */
    json_array_append(json_object_get(current, "backends"), body);
    try_service(current, web);

    json_decref(current);
    json_decref(body);
    return 0;
}
