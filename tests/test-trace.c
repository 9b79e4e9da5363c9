/* Unit tests of "where does this client go?": the datapath's hash and the
 * slot it picks (values measured on OVS 3.1's userspace datapath, where
 * the connections went to the slot's backend: tests/e2e/trace.sh checks
 * 1,000 of them), finding a pin in a conntrack dump, and the questions'
 * syntax. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <netinet/in.h>
#include <string.h>
#include "controller/model.h"
#include "controller/trace-hash.h"
#include "controller/trace-pins.h"
#include "controller/trace.h"
#include "packets.h"
#include "util.h"

static ovs_be32
ip(const char *s)
{
    ovs_be32 addr;

    ck_assert(ip_parse(s, &addr));
    return addr;
}

/* An address in model.h's form (IPv4-mapped for IPv4). */
static struct in6_addr
addr(const char *s)
{
    struct in6_addr a;

    ck_assert(dsr_ip_parse(s, &a));
    return a;
}

START_TEST(test_hash_5tuple)
{
    /* ofproto/trace with these dp_hash values shows "using bucket 46" and
     * "bucket 200", the buckets these connections took. */
    const struct in6_addr client = addr("10.0.0.2");
    const struct in6_addr vip = addr("10.0.0.100");
    uint32_t h = trace_hash_5tuple(IPPROTO_TCP, &client, 40000, &vip, 80);
    ck_assert_uint_eq(h, 0xf408672e);
    ck_assert_uint_eq(trace_hash_to_slot(h), 46);

    h = trace_hash_5tuple(IPPROTO_UDP, &client, 41000, &vip, 5353);
    ck_assert_uint_eq(h, 0x0e064fc8);
    ck_assert_uint_eq(trace_hash_to_slot(h), 200);

    /* Ports and protocol count. */
    ck_assert_uint_ne(trace_hash_5tuple(IPPROTO_UDP, &client, 40000, &vip,
                                        80),
                      0xf408672e);
    ck_assert_uint_ne(trace_hash_5tuple(IPPROTO_TCP, &client, 40001, &vip,
                                        80),
                      0xf408672e);
}
END_TEST

START_TEST(test_slot_source_ip)
{
    const struct in6_addr client = addr("10.0.0.2");
    ck_assert_uint_eq(trace_slot_source_ip(&client), 229);

    /* Clients spread over the slots. */
    bool seen[256] = { false };
    size_t n = 0;
    for (uint32_t i = 0; i < 4096; i++) {
        struct in6_addr a;
        in6_addr_set_mapped_ipv4(&a, htonl(0x0a000000 + i));
        unsigned int slot = trace_slot_source_ip(&a);
        ck_assert_uint_lt(slot, 256);
        n += !seen[slot];
        seen[slot] = true;
    }
    ck_assert_uint_gt(n, 240);
}
END_TEST

static const char dump[] =
    "udp,orig=(src=10.0.0.2,dst=10.0.0.100,sport=41000,dport=5353),"
    "reply=(src=10.0.0.100,dst=10.0.0.2,sport=5353,dport=41000),"
    "zone=54741,mark=167772172,labels=0x2\n"
    "tcp,orig=(src=10.0.0.2,dst=10.0.0.100,sport=40000,dport=80),"
    "reply=(src=10.0.0.100,dst=10.0.0.2,sport=80,dport=40000),"
    "zone=54741,mark=167772171,labels=0x100000000000000000000001,"
    "protoinfo=(state=ESTABLISHED)\n"
    "tcp,orig=(src=10.0.0.2,dst=10.0.0.100,sport=400,dport=80),"
    "reply=(src=10.0.0.100,dst=10.0.0.2,sport=80,dport=400),"
    "zone=54741,mark=167772173,labels=0x1,protoinfo=(state=CLOSING)\n";

static void
query(const char *proto, const char *client, const char *vip,
      struct trace_query *q)
{
    char *error = trace_query_parse(proto, client, vip, q);

    ck_assert_msg(!error, "%s", error);
}

START_TEST(test_pins)
{
    struct trace_query q;
    struct trace_pin pin;

    query("tcp", "10.0.0.2:40000", "10.0.0.100:80", &q);
    ck_assert(trace_pins_find(dump, &q, &pin));
    ck_assert_uint_eq(pin.backend, ip("10.0.0.11"));
    ck_assert_uint_eq(pin.service_id, 1);
    ck_assert_str_eq(pin.state, "ESTABLISHED");

    query("udp", "10.0.0.2:41000", "10.0.0.100:5353", &q);
    ck_assert(trace_pins_find(dump, &q, &pin));
    ck_assert_uint_eq(pin.backend, ip("10.0.0.12"));
    ck_assert_uint_eq(pin.service_id, 2);
    ck_assert_str_eq(pin.state, "");

    /* Not a prefix of another port, not another protocol. */
    query("tcp", "10.0.0.2:40", "10.0.0.100:80", &q);
    ck_assert(!trace_pins_find(dump, &q, &pin));
    query("udp", "10.0.0.2:40000", "10.0.0.100:80", &q);
    ck_assert(!trace_pins_find(dump, &q, &pin));
    query("tcp", "10.0.0.2:400", "10.0.0.100:80", &q);
    ck_assert(trace_pins_find(dump, &q, &pin));
    ck_assert_str_eq(pin.state, "CLOSING");
    ck_assert(!trace_pins_find("", &q, &pin));
}
END_TEST

START_TEST(test_query_parse)
{
    struct trace_query q;
    char *error;

    query("udp", "10.0.0.2", "10.0.0.100", &q);
    ck_assert_uint_eq(q.ip_proto, IPPROTO_UDP);
    ck_assert_uint_eq(q.client_port, 0);
    ck_assert_uint_eq(q.vip_port, 0);

    /* IPv6, bare or bracketed with a port. */
    query("tcp", "[2001:DB8::2]:40000", "2001:db8::100", &q);
    ck_assert_uint_eq(q.client_port, 40000);
    ck_assert_uint_eq(q.vip_port, 0);
    const struct in6_addr client6 = addr("2001:db8::2");
    ck_assert(ipv6_addr_equals(&q.client, &client6));
    query("tcp", "2001:db8::2", "[2001:db8::100]:80", &q);
    ck_assert_uint_eq(q.vip_port, 80);

    static const char *bad[][3] = {
        { "sctp", "10.0.0.2", "10.0.0.100" },
        { NULL, "10.0.0.2", "10.0.0.100" },
        { "tcp", "10.0.0.2:0", "10.0.0.100" },
        { "tcp", "10.0.0.2:65536", "10.0.0.100" },
        { "tcp", "10.0.0.2:", "10.0.0.100" },
        { "tcp", "host", "10.0.0.100" },
        { "tcp", "10.0.0.2", NULL },
        { "tcp", "10.0.0.2", "10.0.0.100:x" },
        { "tcp", "[2001:db8::2", "2001:db8::100" },
        { "tcp", "[2001:db8::2]80", "2001:db8::100" },
        { "tcp", "2001:db8::2", "10.0.0.100" },
        { "tcp", "10.0.0.2:40000", "[2001:db8::100]:80" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        error = trace_query_parse(bad[i][0], bad[i][1], bad[i][2], &q);
        ck_assert_msg(error, "accepted case %"PRIuSIZE, i);
        free(error);
    }
}
END_TEST

CHECK_MAIN("trace",
           CHECK_TEST(test_hash_5tuple),
           CHECK_TEST(test_slot_source_ip),
           CHECK_TEST(test_pins),
           CHECK_TEST(test_query_parse))
