/* Unit tests: configuration parsing, defaults and every validation error,
 * each of which must name the offending field. */
#include <config.h>

#include <check.h>
#include "tests/check-config.h"
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"
#include "packets.h"
#include "util.h"

#define BRIDGE "{\"name\": \"br0\"}"
#define BACKEND "{\"ip\": \"10.0.0.11\"}"
#define SERVICE(EXTRA) \
    "{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\": \"tcp\"," \
    " \"port\": 80, \"backends\": [" BACKEND "]" EXTRA "}"
#define CONFIG(SERVICES) \
    "{\"bridges\": [" BRIDGE "], \"services\": [" SERVICES "]}"

START_TEST(test_minimal_config_gets_defaults)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(SERVICE("")), &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(cfg.n_bridges, 1);
    ck_assert_str_eq(cfg.bridges[0].name, "br0");
    ck_assert_ptr_nonnull(strstr(cfg.bridges[0].target, "/br0.mgmt"));
    ck_assert(!strncmp(cfg.bridges[0].target, "unix:", 5));

    const struct dsr_service *svc = dsr_config_find_service(&cfg, "web");
    ck_assert_ptr_nonnull(svc);
    ck_assert_uint_eq(svc->id, 1);
    ck_assert_str_eq(svc->bridge, "br0");
    ck_assert_uint_eq(ntohl(svc->vip), 0x0a000064);
    ck_assert_int_eq(svc->protocol, DSR_PROTO_TCP);
    ck_assert_uint_eq(svc->port, 80);
    ck_assert_int_eq(svc->hash, DSR_HASH_5TUPLE);
    ck_assert(eth_addr_equals(svc->mac, cfg.bridges[0].mac));
    ck_assert_uint_eq(svc->n_backends, 1);
    ck_assert_uint_eq(svc->backends[0].weight, 100);
    ck_assert_int_eq(svc->backends[0].state, DSR_BACKEND_ACTIVE);
    ck_assert(!svc->backends[0].has_mac);
    ck_assert_uint_eq(svc->backends[0].bucket_id, 0);
    dsr_config_destroy(&cfg);
}
END_TEST

START_TEST(test_full_config)
{
    static const char text[] =
        "{\"bridges\": [{\"name\": \"br0\", \"target\": \"tcp:127.0.0.1:6653\","
        "                \"mac\": \"02:00:00:00:00:aa\"},"
        "               {\"name\": \"br1\"}],"
        " \"services\": ["
        "  {\"name\": \"dns\", \"bridge\": \"br1\", \"vip\": \"10.0.0.53\","
        "   \"protocol\": \"both\", \"port\": 53, \"hash\": \"source-ip\","
        "   \"mac\": \"02:00:00:00:00:53\", \"mode\": \"l2\","
        "   \"backends\": [{\"ip\": \"10.0.1.1\", \"mac\": \"aa:bb:cc:dd:ee:01\","
        "                   \"weight\": 7, \"state\": \"drain\", \"port\": 53},"
        "                  {\"ip\": \"10.0.1.2\", \"state\": \"disabled\"}]},"
        "  {\"name\": \"any\", \"bridge\": \"br0\", \"vip\": \"10.0.0.54\","
        "   \"protocol\": \"udp\", \"port\": \"*\", \"backends\": []}]}";
    struct dsr_config cfg;
    char *error = parse(text, &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_str_eq(cfg.bridges[0].target, "tcp:127.0.0.1:6653");

    const struct dsr_service *dns = dsr_config_find_service(&cfg, "dns");
    ck_assert_str_eq(dns->bridge, "br1");
    ck_assert_int_eq(dns->protocol, DSR_PROTO_BOTH);
    ck_assert_int_eq(dns->hash, DSR_HASH_SOURCE_IP);
    ck_assert(dns->backends[0].has_mac);
    ck_assert_uint_eq(dns->backends[0].weight, 7);
    ck_assert_int_eq(dns->backends[0].state, DSR_BACKEND_DRAIN);
    ck_assert_int_eq(dns->backends[1].state, DSR_BACKEND_DISABLED);
    ck_assert_uint_eq(dns->backends[1].bucket_id, 1);

    const struct dsr_service *any = dsr_config_find_service(&cfg, "any");
    ck_assert_uint_eq(any->id, 2);
    ck_assert_uint_eq(any->port, 0);
    ck_assert_str_eq(any->bridge, "br0");
    struct eth_addr mac;
    eth_addr_from_string("02:00:00:00:00:aa", &mac);
    ck_assert(eth_addr_equals(any->mac, mac));
    dsr_config_destroy(&cfg);
}
END_TEST

/* Each row: a document and what its error must say, path included. */
static const struct {
    const char *text;
    const char *error;
} rejected[] = {
    {"{\"bridges\": [" BRIDGE "], \"services\": [",
     "line 1"},
    {"[]", "$: must be an object, not array"},
    {"{\"services\": []}", "$.bridges: required field is missing"},
    {"{\"bridges\": [], \"services\": []}",
     "$.bridges: must have at least 1 item"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [], \"extra\": 1}",
     "$.extra: unknown field"},
    {"{\"bridges\": [{\"name\": \"br 0\"}], \"services\": []}",
     "$.bridges[0].name: \"br 0\" does not match"},
    {"{\"bridges\": [" BRIDGE ", " BRIDGE "], \"services\": []}",
     "$.bridges[1].name: duplicate bridge \"br0\""},
    {"{\"bridges\": [{\"name\": \"b\", \"mac\": \"01:00:00:00:00:01\"}],"
     " \"services\": []}",
     "$.bridges[0].mac: must be a unicast MAC"},
    {"{\"bridges\": [{\"name\": \"b\", \"target\": \"br0.mgmt\"}],"
     " \"services\": []}",
     "$.bridges[0].target: \"br0.mgmt\" does not match"},
    {CONFIG("{\"name\": \"web\"}"),
     "$.services[0].vip: required field is missing"},
    {CONFIG(SERVICE(", \"vip\": 5")), "duplicate"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0\", \"protocol\": \"tcp\", \"port\": 80,"
     " \"backends\": []}]}",
     "$.services[0].vip: \"10.0.0\" is not an IPv4 address"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0.1\", \"protocol\": \"sctp\", \"port\": 80,"
     " \"backends\": []}]}",
     "$.services[0].protocol: must be one of \"tcp\", \"udp\", \"both\""},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0.1\", \"protocol\": \"tcp\", \"port\": 0,"
     " \"backends\": []}]}",
     "$.services[0].port: must be at least 1"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0.1\", \"protocol\": \"tcp\", \"port\": 65536,"
     " \"backends\": []}]}",
     "$.services[0].port: must be at most 65535"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0.1\", \"protocol\": \"tcp\", \"port\": \"any\","
     " \"backends\": []}]}",
     "$.services[0].port: must be \"*\""},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0.1\", \"protocol\": \"tcp\", \"port\": true,"
     " \"backends\": []}]}",
     "$.services[0].port: must be a port from 1 to 65535 or \"*\""},
    {CONFIG(SERVICE(", \"mode\": \"vxlan\"")),
     "$.services[0].mode: must be one of \"l2\", \"gre\", \"ipip\""},
    {"{\"bridges\": [{\"name\": \"b\", \"gre_port\": \"\"}],"
     " \"services\": []}",
     "$.bridges[0].gre_port: must not be empty"},
    {CONFIG(SERVICE(", \"hash\": \"random\"")),
     "$.services[0].hash: must be one of"},
    {CONFIG(SERVICE(", \"bridge\": \"br9\"")),
     "$.services[0].bridge: no bridge named \"br9\""},
    {"{\"bridges\": [" BRIDGE ", {\"name\": \"br1\"}], \"services\": ["
     SERVICE("") "]}",
     "$.services[0].bridge: required when there is more than one bridge"},
    {CONFIG(SERVICE(", \"mac\": \"ff:ff:ff:ff:ff:ff\"")),
     "$.services[0].mac: must be a unicast MAC"},
    {CONFIG(SERVICE(", \"mac\": \"02:00:00:00:00\"")),
     "$.services[0].mac: \"02:00:00:00:00\" is not a MAC address"},
    {CONFIG(SERVICE("") "," SERVICE("")),
     "$.services[1].name: service \"web\" already exists"},
    {CONFIG(SERVICE("") ", {\"name\": \"web2\", \"vip\": \"10.0.0.100\","
            " \"protocol\": \"both\", \"port\": 80, \"backends\": []}"),
     "$.services[1]: 10.0.0.100 tcp port 80 is already served by service "
     "\"web\""},
    {CONFIG(SERVICE("") ", {\"name\": \"web2\", \"vip\": \"10.0.0.100\","
            " \"protocol\": \"udp\", \"port\": 53, \"backends\": [],"
            " \"mac\": \"02:00:00:00:00:02\"}"),
     "$.services[1].mac: services of VIP 10.0.0.100 must share one MAC"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\","
            " \"port\": 8080}]}"),
     "$.services[0].backends[0].port: port translation is impossible in "
     "DSR"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": \"*\", \"backends\": [{\"ip\": \"10.0.0.11\","
            " \"port\": 80}]}"),
     "$.services[0].backends[0].port: port translation is impossible"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"backends\": [" BACKEND ","
            BACKEND "]}"),
     "$.services[0].backends[1].ip: duplicate backend 10.0.0.11"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\","
            " \"weight\": 0}]}"),
     "$.services[0].backends[0].weight: must be at least 1"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\","
            " \"state\": \"up\"}]}"),
     "$.services[0].backends[0].state: must be one of \"active\""},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\","
            " \"ttl\": 1}]}"),
     "$.services[0].backends[0].ttl: unknown field"},
    {CONFIG(SERVICE("") ", {\"name\": \"web2\", \"vip\": \"10.0.0.101\","
            " \"protocol\": \"tcp\", \"port\": 80, \"backends\": ["
            "{\"ip\": \"10.0.0.100\"}]}"),
     "$.services[1].backends[0].ip: 10.0.0.100 is the VIP of service "
     "\"web\""},
};

/* Tunnel modes and the bridge's tunnel ports survive a round trip
 * through JSON (the state file, the API). */
START_TEST(test_tunnel_modes_round_trip)
{
    static const char text[] =
        "{\"bridges\": [{\"name\": \"br0\", \"gre_port\": \"gre0\","
        "                \"ipip_port\": \"lb-ipip\"}, {\"name\": \"br1\"}],"
        " \"services\": ["
        "  {\"name\": \"g\", \"bridge\": \"br0\", \"vip\": \"10.0.0.53\","
        "   \"protocol\": \"tcp\", \"port\": 80, \"mode\": \"gre\","
        "   \"backends\": [{\"ip\": \"10.1.0.1\"}]},"
        "  {\"name\": \"i\", \"bridge\": \"br0\", \"vip\": \"10.0.0.53\","
        "   \"protocol\": \"udp\", \"port\": 53, \"mode\": \"ipip\","
        "   \"backends\": [{\"ip\": \"10.1.0.2\"}]},"
        "  {\"name\": \"l\", \"bridge\": \"br1\", \"vip\": \"10.0.0.54\","
        "   \"protocol\": \"udp\", \"port\": 53, \"backends\": []}]}";
    struct dsr_config cfg, again;
    char *error = parse(text, &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_int_eq(dsr_config_find_service(&cfg, "g")->mode, DSR_MODE_GRE);
    ck_assert_int_eq(dsr_config_find_service(&cfg, "i")->mode, DSR_MODE_IPIP);
    ck_assert_int_eq(dsr_config_find_service(&cfg, "l")->mode, DSR_MODE_L2);
    ck_assert_str_eq(cfg.bridges[0].gre_port, "gre0");
    ck_assert_str_eq(cfg.bridges[0].ipip_port, "lb-ipip");
    ck_assert_ptr_null(cfg.bridges[1].gre_port);
    ck_assert_str_eq(cfg.bridges[1].ipip_port, "dsr-ipip");

    json_t *j = dsr_config_to_json(&cfg);
    char *dumped = json_dumps(j, JSON_SORT_KEYS);
    error = parse(dumped, &again);
    ck_assert_msg(!error, "%s", error);
    ck_assert_int_eq(dsr_config_find_service(&again, "g")->mode,
                     DSR_MODE_GRE);
    ck_assert_int_eq(dsr_config_find_service(&again, "i")->mode,
                     DSR_MODE_IPIP);
    ck_assert_str_eq(again.bridges[0].gre_port, "gre0");
    ck_assert_str_eq(again.bridges[0].ipip_port, "lb-ipip");
    ck_assert_ptr_null(again.bridges[1].gre_port);
    json_t *j2 = dsr_config_to_json(&again);
    ck_assert(json_equal(j, j2));
    ck_assert(strstr(dumped, "\"mode\": \"gre\""));
    ck_assert(!strstr(dumped, "\"ipip_port\": \"dsr-ipip\""));
    json_decref(j);
    json_decref(j2);
    free(dumped);
    dsr_config_destroy(&again);
    dsr_config_destroy(&cfg);
}
END_TEST

START_TEST(test_rejected)
{
    assert_rejected(rejected[_i].text, rejected[_i].error);
}
END_TEST

START_TEST(test_all_ports_and_one_port_coexist)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(SERVICE("") ", {\"name\": \"rest\", \"vip\":"
                               " \"10.0.0.100\", \"protocol\": \"tcp\","
                               " \"port\": \"*\", \"backends\": []}"), &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(hmap_count(&cfg.services), 2);
    dsr_config_destroy(&cfg);
}
END_TEST

START_TEST(test_missing_file)
{
    struct dsr_config cfg;

    dsr_config_init(&cfg);
    char *error = dsr_config_from_file("/nonexistent/dsrd.json", false, &cfg);
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "/nonexistent/dsrd.json"));
    free(error);
    dsr_config_destroy(&cfg);
}
END_TEST

/* A backend's health_check overrides fields of its service's. */
START_TEST(test_health_check_override)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(
        "{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
        " \"tcp\", \"port\": 80, \"health_check\": {\"type\": \"http\","
        " \"path\": \"/a\", \"interval_ms\": 100}, \"backends\": ["
        "{\"ip\": \"10.0.0.11\"}, {\"ip\": \"10.0.0.12\","
        " \"health_check\": {\"path\": \"/b\", \"fall\": 5}},"
        " {\"ip\": \"10.0.0.13\", \"health_check\": {\"type\":"
        " \"none\"}}]}"), &cfg);

    ck_assert_msg(!error, "%s", error);
    const struct dsr_service *svc = dsr_config_find_service(&cfg, "web");
    const struct dsr_health_check *a = svc->backends[0].check;
    const struct dsr_health_check *b = svc->backends[1].check;
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(a->type, DSR_CHECK_HTTP);
    ck_assert_str_eq(a->path, "/a");
    ck_assert_int_eq(a->fall, 3);
    ck_assert_int_eq(a->port, 80);
    ck_assert_int_eq(b->type, DSR_CHECK_HTTP);
    ck_assert_str_eq(b->path, "/b");
    ck_assert_int_eq(b->interval_ms, 100);
    ck_assert_int_eq(b->fall, 5);
    ck_assert_ptr_null(svc->backends[2].check);
    dsr_config_destroy(&cfg);

    assert_rejected(CONFIG("{\"name\": \"any\", \"vip\": \"10.0.0.100\","
                           " \"protocol\": \"tcp\", \"port\": \"*\","
                           " \"health_check\": {\"type\": \"tcp\"},"
                           " \"backends\": [{\"ip\": \"10.0.0.11\"}]}"),
                    "$.services[0].backends[0].health_check.port: required");
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"exec\"}")),
                    ".health_check.command: required for exec checks");
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"tcp\","
                                   " \"dsr\": true}")),
                    ".health_check.dsr: bridge \"br0\" has no probe_ip");
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"tcp\","
                                   " \"rise\": 0}")),
                    "$.services[0].health_check.rise: must be at least 1");
}
END_TEST

/* The example shipped in deploy/ must stay valid. */
START_TEST(test_shipped_example)
{
    const char *top = getenv("TOP_SRCDIR");
    char *file = xasprintf("%s/deploy/dsrd.example.json", top ? top : ".");
    struct dsr_config cfg;

    dsr_config_init(&cfg);
    char *error = dsr_config_from_file(file, false, &cfg);
    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(hmap_count(&cfg.services), 3);
    dsr_config_destroy(&cfg);
    free(file);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_minimal_config_gets_defaults);
    tcase_add_test(tc, test_full_config);
    tcase_add_test(tc, test_tunnel_modes_round_trip);
    tcase_add_loop_test(tc, test_rejected, 0,
                        sizeof rejected / sizeof rejected[0]);
    tcase_add_test(tc, test_all_ports_and_one_port_coexist);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_shipped_example);
    tcase_add_test(tc, test_health_check_override);
    suite_add_tcase(s, tc);

    return check_run(s);
}
