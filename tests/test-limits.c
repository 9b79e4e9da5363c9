/* Unit tests: the configuration's resource limits ("limits"): defaults
 * from the schema, checks of whole documents and of single services, and
 * errors that name both the field and the limit. */
#include <config.h>

#include <check.h>
#include "tests/check-config.h"
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"
#include "util.h"

#define SERVICE(NAME, VIP, BACKENDS) \
    "{\"name\": \"" NAME "\", \"vip\": \"" VIP "\", \"protocol\": \"tcp\"," \
    " \"port\": 80, \"backends\": [" BACKENDS "]}"
#define BE1 "{\"ip\": \"10.0.0.11\"}"
#define BE3 BE1 ", {\"ip\": \"10.0.0.12\"}, {\"ip\": \"10.0.0.13\"}"
#define CONFIG(LIMITS, SERVICES) \
    "{\"bridges\": [{\"name\": \"br0\"}]" LIMITS ", \"services\": [" \
    SERVICES "]}"
#define LIMITS(TEXT) ", \"limits\": {" TEXT "}"

START_TEST(test_defaults_come_from_the_schema)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG("", ""), &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(cfg.limits.max_services, 10000);
    ck_assert_uint_eq(cfg.limits.max_backends_per_service, 1000);
    ck_assert_uint_eq(cfg.limits.max_body_bytes, 16 * 1024 * 1024);
    ck_assert_uint_eq(cfg.limits.max_api_connections, 4096);
    ck_assert_uint_eq(cfg.limits.max_api_connections_per_ip, 64);
    ck_assert_uint_eq(cfg.limits.api_request_timeout_s, 10);
    ck_assert_uint_eq(cfg.limits.max_probes_in_flight, 4096);
    dsr_config_destroy(&cfg);
}
END_TEST

START_TEST(test_limits_are_read_and_saved)
{
    struct dsr_config cfg, again;
    char *error = parse(CONFIG(LIMITS("\"max_services\": 2, "
                                      "\"max_api_connections_per_ip\": 8"),
                               SERVICE("a", "10.0.0.100", BE1)), &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(cfg.limits.max_services, 2);
    ck_assert_uint_eq(cfg.limits.max_api_connections_per_ip, 8);
    ck_assert_uint_eq(cfg.limits.max_backends_per_service, 1000);

    /* The state file keeps them. */
    json_t *saved = dsr_config_to_json(&cfg);
    ck_assert_int_eq(json_integer_value(json_object_get(
        json_object_get(saved, "limits"), "max_services")), 2);
    dsr_config_init(&again);
    error = dsr_config_from_json(saved, true, &again);
    ck_assert_msg(!error, "%s", error);
    ck_assert(dsr_limits_equal(&cfg.limits, &again.limits));
    json_decref(saved);
    dsr_config_destroy(&again);
    dsr_config_destroy(&cfg);
}
END_TEST

START_TEST(test_documents_over_the_limits)
{
    assert_rejected(CONFIG(LIMITS("\"max_services\": 1"),
                           SERVICE("a", "10.0.0.100", BE1) ", "
                           SERVICE("b", "10.0.0.101", BE1)),
                    "$.services: 2 services, more than "
                    "limits.max_services (1)");
    assert_rejected(CONFIG(LIMITS("\"max_backends_per_service\": 2"),
                           SERVICE("a", "10.0.0.100", BE3)),
                    "$.services[0].backends: 3 backends, more than "
                    "limits.max_backends_per_service (2)");
}
END_TEST

START_TEST(test_limits_are_checked_by_the_schema)
{
    assert_rejected(CONFIG(LIMITS("\"max_services\": 0"), ""),
                    "$.limits.max_services: must be at least 1");
    assert_rejected(CONFIG(LIMITS("\"max_backends_per_service\": 1001"), ""),
                    "$.limits.max_backends_per_service: must be at most 1000");
    assert_rejected(CONFIG(LIMITS("\"max_body_bytes\": \"1M\""), ""),
                    "$.limits.max_body_bytes");
    assert_rejected(CONFIG(LIMITS("\"max_connections\": 5"), ""),
                    "$.limits.max_connections");
}
END_TEST

/* Parses 'text' as a service that replaces 'old' (NULL: a new one) and
 * returns what dsr_config_check_limits() says of it. */
static char *
check_limits(const struct dsr_config *cfg, const char *text,
             const struct dsr_service *old)
{
    json_t *json = json_loads(text, 0, NULL);
    struct dsr_service *svc;
    char *error = dsr_service_from_json(cfg, json, "$", false, old, &svc);

    ck_assert_msg(!error, "%s", error);
    error = dsr_config_check_limits(cfg, svc, old, "$");
    dsr_service_destroy(svc);
    json_decref(json);
    return error;
}

/* What the API checks before a write: one service more than the limit is
 * refused, replacing one is not. */
START_TEST(test_check_limits_for_one_service)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(LIMITS("\"max_services\": 1, "
                                      "\"max_backends_per_service\": 2"),
                               SERVICE("a", "10.0.0.100", BE1)), &cfg);
    ck_assert_msg(!error, "%s", error);
    struct dsr_service *a = dsr_config_find_service(&cfg, "a");

    error = check_limits(&cfg, SERVICE("b", "10.0.0.101", BE1), NULL);
    ck_assert_str_eq(error, "$: there are already 1 services, the most "
                     "that limits.max_services allows");
    free(error);
    error = check_limits(&cfg, SERVICE("b", "10.0.0.101", BE1), a);
    ck_assert_msg(!error, "%s", error);
    error = check_limits(&cfg, SERVICE("a", "10.0.0.100", BE3), a);
    ck_assert_str_eq(error, "$.backends: 3 backends, more than "
                     "limits.max_backends_per_service (2)");
    free(error);
    dsr_config_destroy(&cfg);
}
END_TEST

CHECK_MAIN("limits",
           CHECK_TEST(test_defaults_come_from_the_schema),
           CHECK_TEST(test_limits_are_read_and_saved),
           CHECK_TEST(test_documents_over_the_limits),
           CHECK_TEST(test_limits_are_checked_by_the_schema),
           CHECK_TEST(test_check_limits_for_one_service))
