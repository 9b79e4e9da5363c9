/* Unit tests: configuration parsing, defaults and every validation error,
 * each of which must name the offending field. */
#include <config.h>

#include <check.h>
#include <ctype.h>
#include "tests/check-config.h"
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "schemas/json-schema.h"
#include "controller/model.h"
#include "flows/slot-runs.h"
#include "flows/slots.h"
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
    ck_assert_uint_eq(ntohl(dsr_ip4(&svc->vip)), 0x0a000064);
    ck_assert_int_eq(svc->protocol, DSR_PROTO_TCP);
    ck_assert_uint_eq(svc->port, 80);
    ck_assert_int_eq(svc->hash, DSR_HASH_5TUPLE);
    ck_assert_int_eq(svc->mode, DSR_MODE_L2);
    ck_assert_int_eq(svc->on_all_down, DSR_ALL_DOWN_DROP);
    ck_assert(svc->pin_connections);
    ck_assert(eth_addr_equals(svc->mac, cfg.bridges[0].mac));
    struct eth_addr default_mac = ETH_ADDR_C(02,d5,d5,00,00,01);
    ck_assert(eth_addr_equals(cfg.bridges[0].mac, default_mac));
    ck_assert_uint_eq(svc->n_backends, 1);
    ck_assert_uint_eq(svc->backends[0].weight, 100);
    ck_assert_int_eq(svc->backends[0].state, DSR_BACKEND_ACTIVE);
    ck_assert(!svc->backends[0].has_mac);
    ck_assert_uint_eq(svc->backends[0].id, 0);
    dsr_config_destroy(&cfg);
}
END_TEST

/* What a document leaves out takes the default that its schema states:
 * the schemas are the one place that states them. */
START_TEST(test_defaults_come_from_the_schemas)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(SERVICE(", \"health_check\":"
                                       " {\"type\": \"http\"}")), &cfg);
    ck_assert_msg(!error, "%s", error);

    const struct dsr_service *svc = dsr_config_find_service(&cfg, "web");
    json_t *service = dsr_config_schema_defaults("service.schema.json",
                                                 NULL);
    json_t *backend = dsr_config_schema_defaults("backend.schema.json",
                                                 NULL);
    json_t *check = dsr_config_schema_defaults("health-check.schema.json",
                                               NULL);
    json_t *bridge = dsr_config_schema_defaults("config.schema.json",
                                                "bridge");
    json_t *j = dsr_service_to_json(svc);
    json_t *b = json_array_get(json_object_get(j, "backends"), 0);
    const char *key;
    json_t *value;

    json_object_foreach (service, key, value) {
        ck_assert_msg(!strcmp(key, "backends")
                      || json_equal(json_object_get(j, key), value), "%s",
                      key);
    }
    json_object_foreach (backend, key, value) {
        ck_assert_msg(json_equal(json_object_get(b, key), value), "%s", key);
    }
    ck_assert_uint_eq(json_object_size(service), 5);
    ck_assert_uint_eq(json_object_size(backend), 2);

    const struct dsr_health_check *c = svc->backends[0].check;
#define ASSERT_CHECK_INT(MEMBER) \
    ck_assert_int_eq(c->MEMBER, \
                     json_integer_value(json_object_get(check, #MEMBER)))
#define ASSERT_CHECK_BOOL(MEMBER) \
    ck_assert_int_eq(c->MEMBER, json_is_true(json_object_get(check, #MEMBER)))
#define ASSERT_CHECK_STRING(MEMBER) \
    ck_assert_str_eq(c->MEMBER, \
                     json_string_value(json_object_get(check, #MEMBER)))
    ASSERT_CHECK_INT(interval_ms);
    ASSERT_CHECK_INT(timeout_ms);
    ASSERT_CHECK_INT(rise);
    ASSERT_CHECK_INT(fall);
    ASSERT_CHECK_BOOL(dsr);
    ASSERT_CHECK_BOOL(tls_verify);
    ASSERT_CHECK_BOOL(expect_reply);
    ASSERT_CHECK_STRING(method);
    ASSERT_CHECK_STRING(path);
    ASSERT_CHECK_STRING(dns_name);
#undef ASSERT_CHECK_INT
#undef ASSERT_CHECK_BOOL
#undef ASSERT_CHECK_STRING

    struct eth_addr mac;
    ck_assert(eth_addr_from_string(json_string_value(
                                       json_object_get(bridge, "mac")), &mac));
    ck_assert(eth_addr_equals(cfg.bridges[0].mac, mac));
    ck_assert_str_eq(cfg.bridges[0].ipip_port,
                     json_string_value(json_object_get(bridge, "ipip_port")));

    json_decref(j);
    json_decref(service);
    json_decref(backend);
    json_decref(check);
    json_decref(bridge);
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
    ck_assert_uint_eq(dns->backends[1].id, 1);

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
    {"{\"bridges\": [" BRIDGE "], \"services\": [],"
     " \"announce\": {\"mode\": \"bgp\", \"table\": 254}}",
     "$.announce.table: 254 is one of the kernel's own tables"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [],"
     " \"announce\": {\"mode\": \"ospf\"}}",
     "$.announce.mode: "},
    {"{\"bridges\": [{\"name\": \"b\", \"ct_timeouts\": {\"tcp\": 0}}],"
     " \"services\": []}",
     "$.bridges[0].ct_timeouts.tcp: must be at least 1"},
    {"{\"bridges\": [{\"name\": \"b\", \"ct_timeouts\": {\"tpc\": 9}}],"
     " \"services\": []}",
     "$.bridges[0].ct_timeouts.tpc: unknown field"},
    {"{\"bridges\": [{\"name\": \"a\"},"
     "  {\"name\": \"b\", \"ct_timeouts\": {\"udp\": 9}}],"
     " \"services\": []}",
     "$.bridges[1].ct_timeouts: differ from bridge \"a\"'s"},
    {"{\"bridges\": [{\"name\": \"b\", \"target\": \"br0.mgmt\"}],"
     " \"services\": []}",
     "$.bridges[0].target: \"br0.mgmt\" does not match"},
    {CONFIG("{\"name\": \"web\"}"),
     "$.services[0].vip: required field is missing"},
    {CONFIG(SERVICE(", \"announce\": {\"metric\": 0}")),
     "$.services[0].announce.metric: must be at least 1"},
    {CONFIG(SERVICE(", \"announce\": {\"nodes\": [{\"metric\": 5}]}")),
     "$.services[0].announce.nodes[0].name: required field is missing"},
    {CONFIG(SERVICE(", \"announce\": {\"nodes\": []}")),
     "$.services[0].announce.nodes: must have at least 1 item"},
    {CONFIG(SERVICE(", \"vip\": 5")), "duplicate"},
    {"{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"web\","
     " \"vip\": \"10.0.0\", \"protocol\": \"tcp\", \"port\": 80,"
     " \"backends\": []}]}",
     "$.services[0].vip: \"10.0.0\" is not an IPv4 or IPv6 address"},
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
#define VIP_IS(VIP) \
    CONFIG("{\"name\": \"web\", \"vip\": \"" VIP "\", \"protocol\":" \
           " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\"}]}")
#define BACKEND_IS(IP) \
    CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":" \
           " \"tcp\", \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\"}," \
           " {\"ip\": \"" IP "\"}]}")
    {VIP_IS("0.0.0.0"), "$.services[0].vip: 0.0.0.0 is an unspecified "
     "address; it must be a unicast address that a host can own"},
    {VIP_IS("224.0.0.5"), "$.services[0].vip: 224.0.0.5 is a multicast"},
    {VIP_IS("239.255.255.250"), "$.services[0].vip: 239.255.255.250 is a "
     "multicast"},
    {VIP_IS("127.0.0.1"), "$.services[0].vip: 127.0.0.1 is a loopback"},
    {VIP_IS("127.200.0.1"), "$.services[0].vip: 127.200.0.1 is a loopback"},
    {VIP_IS("169.254.1.1"), "$.services[0].vip: 169.254.1.1 is a "
     "link-local"},
    {VIP_IS("255.255.255.255"), "$.services[0].vip: 255.255.255.255 is a "
     "broadcast"},
    {BACKEND_IS("127.0.0.1"), "$.services[0].backends[1].ip: 127.0.0.1 is "
     "a loopback address"},
    {BACKEND_IS("0.0.0.0"), "$.services[0].backends[1].ip: 0.0.0.0 is an "
     "unspecified"},
    {BACKEND_IS("224.0.0.1"), "$.services[0].backends[1].ip: 224.0.0.1 is "
     "a multicast"},
    {BACKEND_IS("169.254.0.9"), "$.services[0].backends[1].ip: 169.254.0.9 "
     "is a link-local"},
    {BACKEND_IS("255.255.255.255"), "$.services[0].backends[1].ip: "
     "255.255.255.255 is a broadcast"},
    /* IPv6: malformed text, special addresses (in RFC 5952 form), then
     * mixed families and what IPv6 services cannot have yet. */
    {VIP_IS("2001:db8::1::2"), "$.services[0].vip: \"2001:db8::1::2\" is "
     "not an IPv4 or IPv6 address"},
    {VIP_IS("2001:db8:0:0:0:0:0:10000"), "$.services[0].vip: "
     "\"2001:db8:0:0:0:0:0:10000\" is not an IPv4 or IPv6 address"},
    {VIP_IS("0:0::0"), "$.services[0].vip: :: is an unspecified address"},
    {VIP_IS("::1"), "$.services[0].vip: ::1 is a loopback address"},
    {VIP_IS("FF02:0::5"), "$.services[0].vip: ff02::5 is a multicast"},
    {VIP_IS("fe80::1"), "$.services[0].vip: fe80::1 is a link-local"},
    {BACKEND_IS("fe80::0:11"), "$.services[0].backends[1].ip: fe80::11 is "
     "a link-local"},
    {VIP_IS("2001:db8::100"), "$.services[0].backends[0].ip: 10.0.0.11 is "
     "IPv4 but the VIP is IPv6: in mode \"l2\" a service's backends have "
     "its VIP's address family (mode \"gre\" may mix them)"},
    {BACKEND_IS("2001:DB8::11"), "$.services[0].backends[1].ip: "
     "2001:db8::11 is IPv6 but the VIP is IPv4"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"2001:db8::100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"mode\": \"ipip\", \"backends\": []}"),
     "$.services[0].vip: 2001:db8::100 is IPv6, which mode \"ipip\" cannot "
     "carry (the kernel's IPIP is IPv4 in IPv4); IPv6 services use mode "
     "\"l2\" or \"gre\""},
    {CONFIG("{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"mode\": \"ipip\", \"backends\":"
            " [{\"ip\": \"2001:db8:1::11\"}]}"),
     "$.services[0].backends[0].ip: 2001:db8:1::11 is IPv6 but the VIP is "
     "IPv4: in mode \"ipip\""},
    {"{\"bridges\": [{\"name\": \"br0\", \"probe_ip6\": \"fe80::5\"}],"
     " \"services\": []}",
     "$.bridges[0].probe_ip6: fe80::5 is a link-local address"},
    {"{\"bridges\": [{\"name\": \"br0\", \"probe_ip6\": \"10.0.0.5\"}],"
     " \"services\": []}", "\"10.0.0.5\" is not an IPv6 address"},
    {CONFIG("{\"name\": \"web\", \"vip\": \"2001:db8::100\", \"protocol\":"
            " \"tcp\", \"port\": 80, \"mode\": \"gre\", \"backends\":"
            " [{\"ip\": \"10.1.0.11\", \"health_check\": {\"type\":"
            " \"tcp\", \"dsr\": true}}]}"),
     "$.services[0].backends[0].health_check.dsr: bridge \"br0\" has no "
     "probe_ip6 for the DSR-path probes of an IPv6 VIP"},
};

/* Tunnel modes and the bridge's tunnel ports survive a round trip
 * through JSON (the state file, the API). */
START_TEST(test_tunnel_modes_round_trip)
{
    static const char text[] =
        "{\"bridges\": [{\"name\": \"br0\", \"gre_port\": \"gre0\","
        "                \"ipip_port\": \"lb-ipip\","
        "                \"probe_ip6\": \"2001:DB8:0::250\"},"
        "               {\"name\": \"br1\"}],"
        " \"services\": ["
        "  {\"name\": \"g\", \"bridge\": \"br0\", \"vip\": \"10.0.0.53\","
        "   \"protocol\": \"tcp\", \"port\": 80, \"mode\": \"gre\","
        "   \"backends\": [{\"ip\": \"10.1.0.1\"}]},"
        "  {\"name\": \"i\", \"bridge\": \"br0\", \"vip\": \"10.0.0.53\","
        "   \"protocol\": \"udp\", \"port\": 53, \"mode\": \"ipip\","
        "   \"backends\": [{\"ip\": \"10.1.0.2\"}]},"
        "  {\"name\": \"g6\", \"bridge\": \"br0\","
        "   \"vip\": \"2001:db8::53\", \"protocol\": \"tcp\", \"port\": 80,"
        "   \"mode\": \"gre\", \"backends\": [{\"ip\": \"10.1.0.3\"},"
        "                                    {\"ip\": \"2001:db8:1::3\"}],"
        "   \"health_check\": {\"type\": \"tcp\", \"dsr\": true}},"
        "  {\"name\": \"l\", \"bridge\": \"br1\", \"vip\": \"10.0.0.54\","
        "   \"protocol\": \"udp\", \"port\": 53, \"backends\": []}]}";
    struct dsr_config cfg, again;
    char *error = parse(text, &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_int_eq(dsr_config_find_service(&cfg, "g")->mode, DSR_MODE_GRE);
    /* gre may carry either family over either. */
    ck_assert_uint_eq(dsr_config_find_service(&cfg, "g6")->n_backends, 2);
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
    ck_assert(strstr(dumped, "\"probe_ip6\": \"2001:db8::250\""));
    ck_assert(!strstr(dumped, "\"ipip_port\": \"dsr-ipip\""));
    json_decref(j);
    json_decref(j2);
    free(dumped);
    dsr_config_destroy(&again);
    dsr_config_destroy(&cfg);
}
END_TEST

/* "announce" is left out of the state while it has its defaults, and
 * survives a round trip otherwise. */
START_TEST(test_announce_round_trip)
{
    static const char text[] =
        "{\"bridges\": [" BRIDGE "], \"services\": ["
        SERVICE(", \"announce\": {\"metric\": 9,"
                "  \"nodes\": [{\"name\": \"a\"},"
                "            {\"name\": \"b\", \"metric\": 90}]}") "],"
        " \"announce\": {\"mode\": \"bgp\", \"hold_down_ms\": 500}}";
    struct dsr_config cfg, again;
    char *error = parse(text, &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_int_eq(cfg.announce.mode, DSR_ANNOUNCE_BGP);
    ck_assert_uint_eq(cfg.announce.table, 100);
    ck_assert_uint_eq(cfg.announce.protocol, 213);
    ck_assert_uint_eq(cfg.announce.hold_down_ms, 500);
    json_t *j = dsr_config_to_json(&cfg);
    char *dumped = json_dumps(j, JSON_SORT_KEYS);
    error = parse(dumped, &again);
    ck_assert_msg(!error, "%s", error);
    ck_assert(dsr_announce_equal(&cfg.announce, &again.announce));
    ck_assert(dsr_service_equal(dsr_config_find_service(&cfg, "web"),
                                dsr_config_find_service(&again, "web")));
    const json_t *announce = dsr_config_find_service(&again, "web")
                             ->announce_json;
    ck_assert_int_eq(json_integer_value(json_object_get(announce, "metric")),
                     9);
    json_decref(j);
    free(dumped);
    dsr_config_destroy(&again);
    dsr_config_destroy(&cfg);

    error = parse("{\"bridges\": [" BRIDGE "], \"services\": []}", &cfg);
    ck_assert_msg(!error, "%s", error);
    j = dsr_config_to_json(&cfg);
    ck_assert_ptr_null(json_object_get(j, "announce"));
    json_decref(j);
    dsr_config_destroy(&cfg);
}
END_TEST

/* Timeouts left out take the schema's defaults; the others survive a
 * round trip through the state file's text. */
START_TEST(test_ct_timeouts_round_trip)
{
    static const char text[] =
        "{\"bridges\": [{\"name\": \"br0\", \"ct_timeouts\": {\"tcp\": 7200}},"
        "              {\"name\": \"br1\", \"ct_timeouts\": {\"tcp\": 7200,"
        "               \"icmp\": 30}}], \"services\": []}";
    struct dsr_config cfg, again;
    char *error = parse(text, &cfg);

    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(cfg.bridges[0].ct_timeouts.tcp, 7200);
    ck_assert_uint_eq(cfg.bridges[0].ct_timeouts.tcp_syn, 30);
    ck_assert_uint_eq(cfg.bridges[0].ct_timeouts.udp, 60);
    ck_assert_uint_eq(cfg.bridges[0].ct_timeouts.icmp, 30);

    json_t *j = dsr_config_to_json(&cfg);
    char *dumped = json_dumps(j, JSON_SORT_KEYS);
    ck_assert_msg(strstr(dumped, "\"ct_timeouts\": {\"tcp\": 7200}"), "%s",
                  dumped);
    error = parse(dumped, &again);
    ck_assert_msg(!error, "%s", error);
    ck_assert(dsr_ct_timeouts_equal(&cfg.bridges[1].ct_timeouts,
                                    &again.bridges[1].ct_timeouts));
    json_decref(j);
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

/* One rule for both families: IPv4 as IPv4-mapped, IPv6 as is. */
START_TEST(test_special_addresses)
{
    static const struct {
        const char *ip;
        const char *kind;
    } cases[] = {
        {"::ffff:0.0.0.0", "unspecified"}, {"::ffff:127.0.0.1", "loopback"},
        {"::ffff:224.0.0.5", "multicast"}, {"::ffff:169.254.3.4",
        "link-local"}, {"::ffff:255.255.255.255", "broadcast"},
        {"::ffff:10.0.0.1", NULL}, {"::ffff:169.253.255.255", NULL},
        {"::ffff:223.255.255.255", NULL}, {"::ffff:128.0.0.1", NULL},
        {"::", "unspecified"}, {"::1", "loopback"}, {"ff02::1", "multicast"},
        {"ff05::1:3", "multicast"}, {"fe80::1", "link-local"},
        {"febf::1", "link-local"}, {"fec0::1", NULL}, {"2001:db8::1", NULL},
        {"fd00::1", NULL}, {"::2", NULL},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct in6_addr ip;
        ck_assert(ipv6_parse(cases[i].ip, &ip));
        const char *kind = dsr_ip_special_kind(&ip);
        ck_assert_msg(cases[i].kind ? kind && !strcmp(kind, cases[i].kind)
                                    : !kind,
                      "%s: %s", cases[i].ip, kind ? kind : "(null)");
    }
}
END_TEST

/* Any text form in, RFC 5952 out; IPv4 as ever, and keyed in the slot
 * table by its number, as before addresses became family-aware. */
START_TEST(test_address_text)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"10.0.0.1", "10.0.0.1"}, {"0.0.0.0", "0.0.0.0"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:0db8::0001:0", "2001:db8::1:0"}, {"0::0", "::"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
    };
    static const char *const bad[] = {
        "10.0.0", "2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "g::1", "",
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char buf[INET6_ADDRSTRLEN];
        struct in6_addr ip;
        ck_assert_msg(dsr_ip_parse(cases[i].in, &ip), "%s", cases[i].in);
        ck_assert_str_eq(dsr_ip_to_string(&ip, buf), cases[i].out);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct in6_addr ip;
        ck_assert_msg(!dsr_ip_parse(bad[i], &ip), "%s", bad[i]);
    }
    struct in6_addr ip4 = in6_addr_mapped_ipv4(htonl(0x0a000064));
    ck_assert_uint_eq(dsr_ip_slot_key(&ip4), 0x0a000064);
}
END_TEST

/* dsrd's own state file, written by a version that took any address,
 * still loads; a configuration file with the same service does not. */
START_TEST(test_state_file_keeps_special_addresses)
{
    static const char text[] =
        "{\"bridges\": [" BRIDGE "], \"services\": [{\"name\": \"m\","
        " \"id\": 7, \"version\": 1, \"vip\": \"224.0.0.5\","
        " \"protocol\": \"tcp\", \"port\": 80,"
        " \"backends\": [{\"ip\": \"127.0.0.1\", \"id\": 0}]}]}";
    json_t *j = json_loads(text, 0, NULL);
    struct dsr_config cfg;

    dsr_config_init(&cfg);
    char *error = dsr_config_from_json(j, true, &cfg);
    ck_assert_msg(!error, "%s", error);
    dsr_config_destroy(&cfg);

    dsr_config_init(&cfg);
    error = dsr_config_from_json(j, false, &cfg);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, "$.services[0].vip: 224.0.0.5 is a "
                         "multicast address"), "%s", error);
    free(error);
    dsr_config_destroy(&cfg);
    json_decref(j);
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
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"udp\","
                                   " \"payload\": \"x\", \"dsr\": true,"
                                   " \"expect_reply\": false}")),
                    ".health_check.dsr: the DSR-path probe judges the "
                    "reply's source address");
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"tcp\","
                                   " \"rise\": 0}")),
                    "$.services[0].health_check.rise: must be at least 1");
    /* What would break the request line or add a header of its own. */
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"http\","
                                   " \"path\": \"/a b\"}")),
                    "$.services[0].health_check.path: ");
    assert_rejected(CONFIG(SERVICE(", \"health_check\": {\"type\": \"http\","
                                   " \"host\": \"a\\r\\nX-Evil: 1\"}")),
                    "$.services[0].health_check.host: ");
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

/* The validator looks keywords up once per schema and renders the path
 * only for an error: the errors must be those of a plain walk, the same
 * with a cache kept across calls as without. */
START_TEST(test_schema_validator)
{
    static const struct {
        const char *schema;
        const char *instance;
        const char *error;      /* NULL: valid. */
    } cases[] = {
        { "{\"type\": \"object\", \"properties\": {\"a b\": {\"type\":"
          " \"array\", \"items\": {\"$ref\": \"#/$defs/n\"}}},"
          " \"$defs\": {\"n\": {\"type\": \"integer\", \"maximum\": 3}}}",
          "{\"a b\": [1, 2, 7]}",
          "$[\"a b\"][2]: must be at most 3 (got 7)" },
        { "{\"properties\": {\"x\": {\"type\": [\"string\", \"null\"]}}}",
          "{\"x\": 1}",
          "$.x: must be of type string or null, not integer" },
        { "{\"properties\": {\"x\": {\"type\": \"number\"}}}",
          "{\"x\": 1}", NULL },
        { "{\"required\": [\"k\"], \"additionalProperties\": false}",
          "{}", "$.k: required field is missing" },
        { "{\"properties\": {\"x\": {\"minLenght\": 1}}}",
          "{\"x\": \"\"}",
          "$.x: schema uses unsupported keyword \"minLenght\"" },
        { "{\"$ref\": \"#/$defs/none\"}", "1",
          "$: schema has unresolvable $ref \"#/$defs/none\"" },
        { "{\"items\": {\"anyOf\": [{\"type\": \"integer\", \"minimum\": 1},"
          " {\"const\": \"*\"}]}}",
          "[1, \"*\", 0]", "$[2]: must be at least 1 (got 0)" },
        { "{\"items\": {\"oneOf\": [{\"type\": \"integer\"},"
          " {\"type\": \"number\"}]}}",
          "[1.5, 2]", "$[1]: matches more than one alternative" },
    };
    struct json_schema_cache *cache = json_schema_cache_create();
    json_t *schemas[ARRAY_SIZE(cases)];

    /* The schemas outlive the cache, as its users' must. */
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        schemas[i] = json_loads(cases[i].schema, 0, NULL);
        ck_assert_ptr_nonnull(schemas[i]);
    }
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
            json_t *instance = json_loads(cases[i].instance,
                                          JSON_DECODE_ANY, NULL);
            char *errors[2] = {
                json_schema_validate(schemas[i], instance, "$", NULL),
                json_schema_validate_cached(cache, schemas[i], instance,
                                            "$", NULL),
            };

            for (int k = 0; k < 2; k++) {
                if (cases[i].error) {
                    ck_assert_msg(errors[k], "case %"PRIuSIZE" passed", i);
                    ck_assert_str_eq(errors[k], cases[i].error);
                } else {
                    ck_assert_msg(!errors[k], "%s", errors[k]);
                }
                free(errors[k]);
            }
            json_decref(instance);
        }
    }
    json_schema_cache_destroy(cache);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        json_decref(schemas[i]);
    }
}
END_TEST

/* Whether 'json' (a service) leaves 'old' as it is, by the cheap JSON
 * comparison and by parsing it; both must agree, unless the cheap one
 * cannot tell ('cheap_may_miss'). */
static bool
service_same(const struct dsr_config *cfg, const struct dsr_service *old,
             const json_t *json, bool cheap_may_miss)
{
    struct dsr_service *svc;
    char *error = dsr_service_from_json(cfg, json, "$", false, old, &svc);

    ck_assert_msg(!error, "%s", error);
    bool parsed = dsr_service_equal(old, svc);
    bool cheap = dsr_service_json_same(cfg, json, old);
    dsr_service_destroy(svc);
    ck_assert_msg(!cheap || parsed, "cheap comparison says same wrongly");
    ck_assert_msg(cheap == parsed || cheap_may_miss,
                  "cheap comparison misses an equal service");
    return parsed;
}

/* The service that the tests of dsr_service_json_same() compare with. */
static const struct dsr_service *
json_same_fixture(struct dsr_config *cfg)
{
    char *error = parse(CONFIG(
        "{\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\":"
        " \"tcp\", \"port\": 80, \"health_check\": {\"type\": \"tcp\"},"
        " \"backends\": [{\"ip\": \"10.0.0.11\", \"weight\": 30},"
        " {\"ip\": \"10.0.0.12\", \"mac\": \"02:00:00:00:00:12\","
        " \"health_check\": {\"fall\": 5}}, {\"ip\": \"10.0.0.13\"}]}"),
        cfg);
    ck_assert_msg(!error, "%s", error);
    return dsr_config_find_service(cfg, "web");
}

/* Deletes the members of 'j' that have the value 'defaults' gives them. */
static void
delete_defaults(json_t *j, const char *schema)
{
    json_t *defaults = dsr_config_schema_defaults(schema, NULL);
    const char *key;
    json_t *value;

    json_object_foreach (defaults, key, value) {
        if (json_equal(json_object_get(j, key), value)) {
            json_object_del(j, key);
        }
    }
    json_decref(defaults);
}

/* PUT /v1/config skips unchanged services by comparing their JSON with
 * the model: the same service, however written, is seen as the same. */
START_TEST(test_service_json_same)
{
    struct dsr_config cfg;
    const struct dsr_service *old = json_same_fixture(&cfg);
    json_t *base = dsr_service_to_json(old);
    json_t *j;

    /* As read back, with the read-only fields gone, or the tables, and
     * the members that have their default (from the schema) left out. */
    ck_assert(service_same(&cfg, old, base, false));
    j = json_deep_copy(base);
    json_object_del(j, "id");
    json_object_del(j, "version");
    delete_defaults(j, "service.schema.json");
    ck_assert_ptr_null(json_object_get(j, "pin_connections"));
    for (size_t i = 0; i < 3; i++) {
        json_t *b = json_array_get(json_object_get(j, "backends"), i);
        json_object_del(b, "id");
        json_object_del(b, "version");
        json_object_del(b, "slots");
        delete_defaults(b, "backend.schema.json");
    }
    ck_assert(service_same(&cfg, old, j, false));
    /* Defaults given explicitly. */
    json_object_set_new(j, "hash", json_string("5-tuple"));
    json_object_set_new(j, "pin_connections", json_true());
    json_object_set_new(json_array_get(json_object_get(j, "backends"), 2),
                        "weight", json_integer(100));
    ck_assert(service_same(&cfg, old, j, false));
    json_decref(j);

    /* The slots of only some backends: left to the parser. */
    j = json_deep_copy(base);
    json_object_del(json_array_get(json_object_get(j, "backends"), 1),
                    "slots");
    service_same(&cfg, old, j, true);
    json_decref(j);

    json_decref(base);
    dsr_config_destroy(&cfg);
}
END_TEST

/* ...and a changed service is never seen as the same. */
START_TEST(test_service_json_same_sees_changes)
{
    struct dsr_config cfg;
    const struct dsr_service *old = json_same_fixture(&cfg);
    json_t *base = dsr_service_to_json(old);
    json_t *j;

    /* Each change is seen, of the service or of its first backend. */
    static const struct {
        const char *patch;
        bool backend;
    } changes[] = {
        { "{\"vip\": \"10.0.0.101\"}", false }, { "{\"port\": 81}", false },
        { "{\"protocol\": \"both\"}", false },
        { "{\"hash\": \"source-ip\"}", false },
        { "{\"mac\": \"02:00:00:00:00:99\"}", false },
        { "{\"on_all_down\": \"keep\"}", false },
        { "{\"pin_connections\": false}", false },
        { "{\"announce\": {\"metric\": 7}}", false },
        { "{\"health_check\": {\"type\": \"none\"}}", false },
        { "{\"health_check\": {\"type\": \"tcp\", \"rise\": 3}}", false },
        { "{\"weight\": 31}", true }, { "{\"state\": \"drain\"}", true },
        { "{\"mac\": \"02:00:00:00:00:11\"}", true },
        { "{\"ip\": \"10.0.0.14\"}", true },
        { "{\"health_check\": {\"fall\": 4}}", true },
    };
    for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
        json_t *patch = json_loads(changes[i].patch, 0, NULL);
        j = json_deep_copy(base);
        json_object_update(changes[i].backend
                           ? json_array_get(json_object_get(j, "backends"), 0)
                           : j, patch);
        ck_assert_msg(!service_same(&cfg, old, j, false), "%s",
                      changes[i].patch);
        json_decref(j);
        json_decref(patch);
    }

    /* Backends in another order: another list (and bucket ids). */
    j = json_deep_copy(base);
    json_t *backends = json_object_get(j, "backends");
    json_t *first = json_incref(json_array_get(backends, 0));
    json_array_remove(backends, 0);
    json_array_append_new(backends, first);
    ck_assert(!dsr_service_json_same(&cfg, j, old));
    json_decref(j);

    /* Another table: its slots swapped between two backends. */
    j = json_deep_copy(base);
    backends = json_object_get(j, "backends");
    json_t *s0 = json_object_get(json_array_get(backends, 0), "slots");
    json_t *s1 = json_object_get(json_array_get(backends, 1), "slots");
    json_incref(s0);
    json_object_set(json_array_get(backends, 0), "slots", s1);
    json_object_set_new(json_array_get(backends, 1), "slots", s0);
    ck_assert(!dsr_service_json_same(&cfg, j, old));
    json_decref(j);

    json_decref(base);
    dsr_config_destroy(&cfg);
}
END_TEST

/* The API compares a document's lines with the model before it validates
 * them: the comparison reads any JSON safely, and a "slots" that the
 * schema rejects (with a comma too many, or in capitals) is not the
 * table.  The fixture's weights make its table fine (ranges). */
START_TEST(test_service_json_same_reads_bad_slots)
{
    struct dsr_config cfg;
    const struct dsr_service *old = json_same_fixture(&cfg);
    json_t *j = dsr_service_to_json(old);
    json_t *b = json_array_get(json_object_get(j, "backends"), 0);
    char *upper = xasprintf("%s,",
                            json_string_value(json_object_get(b, "slots")));

    ck_assert_uint_eq(old->slots->size, DSR_SLOTS_FINE);
    json_object_set_new(b, "slots", json_string(upper));
    ck_assert(!dsr_service_json_same(&cfg, j, old));
    json_object_set_new(b, "slots", json_string("f"));
    ck_assert(!dsr_service_json_same(&cfg, j, old));
    json_object_set_new(b, "slots", json_string("0-8547X"));
    ck_assert(!dsr_service_json_same(&cfg, j, old));
    json_object_set_new(b, "slots", json_string(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
    ck_assert(!dsr_service_json_same(&cfg, j, old));

    free(upper);
    json_decref(j);
    dsr_config_destroy(&cfg);
}
END_TEST

/* Services sharing a VIP must agree on its MAC; when the one that set it
 * goes, another holds the VIP (without a scan of all services). */
START_TEST(test_shared_vip_handover)
{
    struct dsr_config cfg;
    char *error = parse(CONFIG(
        SERVICE("") ", {\"name\": \"web2\", \"vip\": \"10.0.0.100\","
        " \"protocol\": \"tcp\", \"port\": 443, \"backends\": ["
        BACKEND "]}"), &cfg);
    ck_assert_msg(!error, "%s", error);

    struct dsr_service *web = dsr_config_find_service(&cfg, "web");
    dsr_config_remove_service(&cfg, web);
    dsr_service_destroy(web);

    json_t *j = json_loads("{\"name\": \"web3\", \"vip\": \"10.0.0.100\","
                           " \"protocol\": \"tcp\", \"port\": 8080,"
                           " \"mac\": \"02:00:00:00:00:01\"}", 0, NULL);
    struct dsr_service *svc;
    error = dsr_service_from_json(&cfg, j, "$", false, NULL, &svc);
    ck_assert_msg(!error, "%s", error);
    error = dsr_config_check_service(&cfg, svc, NULL, "$");
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, "service \"web2\" uses"), "%s", error);
    free(error);
    dsr_service_destroy(svc);
    json_decref(j);
    dsr_config_destroy(&cfg);
}
END_TEST

CHECK_MAIN("config",
           CHECK_TEST(test_minimal_config_gets_defaults),
           CHECK_TEST(test_defaults_come_from_the_schemas),
           CHECK_TEST(test_full_config),
           CHECK_TEST(test_tunnel_modes_round_trip),
           CHECK_TEST(test_ct_timeouts_round_trip),
           CHECK_TEST(test_announce_round_trip),
           CHECK_LOOP_TEST(test_rejected, ARRAY_SIZE(rejected)),
           CHECK_TEST(test_special_addresses),
           CHECK_TEST(test_address_text),
           CHECK_TEST(test_state_file_keeps_special_addresses),
           CHECK_TEST(test_all_ports_and_one_port_coexist),
           CHECK_TEST(test_missing_file),
           CHECK_TEST(test_shipped_example),
           CHECK_TEST(test_health_check_override),
           CHECK_TEST(test_schema_validator),
           CHECK_TEST(test_service_json_same),
           CHECK_TEST(test_service_json_same_sees_changes),
           CHECK_TEST(test_service_json_same_reads_bad_slots),
           CHECK_TEST(test_shared_vip_handover))
