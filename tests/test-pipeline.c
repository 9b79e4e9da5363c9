/* Unit tests: translation of VIPs, services and backend locations into
 * flows and groups, compared with the text `ovs-ofctl dump-flows` would
 * print for them, and checked to encode. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include "controller/model.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "flows/slots.h"
#include "openvswitch/dynamic-string.h"
#include "flow.h"
#include "openvswitch/ofp-actions.h"

static struct eth_addr
mac(const char *s)
{
    struct eth_addr ea;

    ck_assert(eth_addr_from_string(s, &ea));
    return ea;
}

/* Formats 'owner', checks that OVS parses every flow and group in it, and
 * releases it. */
static char *
format_and_release(struct dsr_owner *owner)
{
    struct dsr_ofmsgs msgs;
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(NULL, owner, &msgs);
    ck_assert_msg(!error, "OVS rejects the pipeline's text: %s", error);
    ck_assert_uint_eq(msgs.n_flow_mods, dsr_owner_count_flows(owner));
    ck_assert_uint_eq(msgs.n_group_mods, dsr_owner_has_group(owner) ? 1 : 0);
    dsr_ofmsgs_destroy(&msgs);

    dsr_owner_format(owner, &s);
    dsr_owner_unref(owner);
    return ds_steal_cstr(&s);
}

/* A service as lb.c hands it over: id 1, TCP to 'vip' port 80, l2, the
 * 5-tuple, the bridge's MAC, pins; each test changes what it tests. */
static struct pipeline_service
service(const char *vip)
{
    struct pipeline_service svc = {
        .id = 1,
        .tcp = true,
        .port = 80,
        .mode = PIPELINE_MODE_L2,
        .mac = mac("02:d5:d5:00:00:01"),
        .pin_connections = true,
    };

    ovs_be32 ip4;
    if (ip_parse(vip, &ip4)) {
        svc.vip = in6_addr_mapped_ipv4(ip4);
    } else {
        ck_assert(ipv6_parse(vip, &svc.vip));
    }
    return svc;
}

/* A pin flow of the base, for IPv4 and its twin for IPv6. */
#define PIN_FLOWS(TABLE, MATCH, ACTIONS)                                \
    "table=" #TABLE ",priority=0,cookie=0xd500000000000000," MATCH " "  \
    ACTIONS "\n"                                                        \
    "table=" #TABLE ",priority=0,cookie=0xd500000000000000," MATCH "v6 " \
    ACTIONS "\n"
#define RELATED_ACTIONS                                                 \
    "actions=move:NXM_NX_CT_LABEL[0..31]->NXM_NX_REG0[],"               \
    "move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],set_field:0x1->reg2,"         \
    "resubmit(,22)"

START_TEST(test_base)
{
    char *text = format_and_release(pipeline_base(mac("02:d5:d5:00:00:01"),
                                                  0, &in6addr_any, true,
                                                  true));

    ck_assert_str_eq(text,
        "table=0,priority=0,cookie=0xd500000000000000 actions=NORMAL\n"
        "table=0,priority=400,cookie=0xd500000000000000,"
        "arp,dl_dst=02:d5:d5:00:00:01,arp_tpa=0.0.0.0,arp_op=2 "
        "actions=CONTROLLER:65535\n"
        "table=0,priority=400,cookie=0xd500000000000000,"
        "icmp6,dl_dst=02:d5:d5:00:00:01,icmp_type=136,icmp_code=0 "
        "actions=CONTROLLER:65535,NORMAL\n"
        "table=0,priority=400,cookie=0xd500000000000000,"
        "icmp6,icmp_type=130,icmp_code=0 actions=CONTROLLER:65535,NORMAL\n"
        "table=10,priority=0,cookie=0xd500000000000000 actions=NORMAL\n"
        PIN_FLOWS(20, "ip", "actions=move:NXM_NX_CT_MARK[]->NXM_NX_REG1[],"
                  "resubmit(,22)")
        PIN_FLOWS(21, "ip", "actions=ct(commit,zone=54741,"
                  "exec(move:NXM_NX_REG1[]->NXM_NX_CT_MARK[],"
                  "move:NXM_NX_REG0[]->NXM_NX_CT_LABEL[0..31])),"
                  "resubmit(,22)")
        "table=22,priority=1,cookie=0xd500000000000000,reg2=0x1 "
        "actions=drop\n"
        PIN_FLOWS(23, "ct_state=+rel+trk,ip", RELATED_ACTIONS)
        PIN_FLOWS(24, "ct_state=-inv+trk,ip", RELATED_ACTIONS));
    free(text);
}
END_TEST

/* An IPv6 probe address: answered by ND (in flows, or by dsrd where the
 * datapath cannot), and the probes' answers to it go to dsrd. */
START_TEST(test_base_probe_ip6)
{
    struct in6_addr probe_ip6;

    ck_assert(dsr_ip_parse("2001:db8::250", &probe_ip6));
    for (int in_flows = 0; in_flows < 2; in_flows++) {
        char *text = format_and_release(pipeline_base(
            mac("02:d5:d5:00:00:01"), 0, &probe_ip6, true, in_flows));

        ck_assert_msg(strstr(text, "table=0,priority=400,cookie="
                             "0xd500000000000000,tcp6,ipv6_dst=2001:db8::250 "
                             "actions=CONTROLLER:65535\n"), "%s", text);
        ck_assert(strstr(text, "udp6,ipv6_dst=2001:db8::250 "
                         "actions=CONTROLLER:65535\n"));
        ck_assert(strstr(text, "nd_target=2001:db8::250"));
        bool to_dsrd = strstr(text, "nw_ttl=255,icmp_type=135,"
                              "nd_target=2001:db8::250 "
                              "actions=CONTROLLER") != NULL;
        ck_assert_msg(to_dsrd == !in_flows, "%s", text);
        free(text);
    }
}
END_TEST

static const struct in6_addr vip_10_0_0_100 = {{{
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 100 }}};

START_TEST(test_vip)
{
    char *text = format_and_release(pipeline_vip(&vip_10_0_0_100,
                                                 mac("02:d5:d5:00:00:01"),
                                                 NULL, true));

    ck_assert_str_eq(text,
        "table=0,priority=100,cookie=0xd50200000a000064,"
        "ip,nw_dst=10.0.0.100 actions=drop\n"
        "table=0,priority=150,cookie=0xd50200000a000064,"
        "icmp,nw_dst=10.0.0.100,icmp_type=11 "
        "actions=ct(table=23,zone=54741)\n"
        "table=0,priority=150,cookie=0xd50200000a000064,"
        "icmp,nw_dst=10.0.0.100,icmp_type=3 "
        "actions=ct(table=23,zone=54741)\n"
        "table=0,priority=250,cookie=0xd50200000a000064,"
        "ip,nw_dst=10.0.0.100,nw_frag=yes "
        "actions=ct(table=24,zone=54741)\n"
        "table=0,priority=300,cookie=0xd50200000a000064,"
        "arp,arp_tpa=10.0.0.100,arp_op=1 "
        "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
        "set_field:02:d5:d5:00:00:01->eth_src,set_field:2->arp_op,"
        "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],"
        "set_field:02:d5:d5:00:00:01->arp_sha,"
        "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"
        "set_field:10.0.0.100->arp_spa,IN_PORT\n");
    free(text);
}
END_TEST

/* A VIP routed to the node (BGP): no ARP responder, and only frames to
 * the node's MAC are taken; the rest of the VIP's traffic is dropped. */
START_TEST(test_routed_vip)
{
    struct eth_addr node = mac("02:d5:d5:00:00:21");
    char *text = format_and_release(pipeline_vip(&vip_10_0_0_100,
                                                 mac("02:d5:d5:00:00:01"),
                                                 &node, true));

    ck_assert_str_eq(text,
        "table=0,priority=100,cookie=0xd50200000a000064,"
        "ip,nw_dst=10.0.0.100 actions=drop\n"
        "table=0,priority=150,cookie=0xd50200000a000064,"
        "icmp,dl_dst=02:d5:d5:00:00:21,nw_dst=10.0.0.100,icmp_type=11 "
        "actions=ct(table=23,zone=54741)\n"
        "table=0,priority=150,cookie=0xd50200000a000064,"
        "icmp,dl_dst=02:d5:d5:00:00:21,nw_dst=10.0.0.100,icmp_type=3 "
        "actions=ct(table=23,zone=54741)\n"
        "table=0,priority=250,cookie=0xd50200000a000064,"
        "ip,dl_dst=02:d5:d5:00:00:21,nw_dst=10.0.0.100,nw_frag=yes "
        "actions=ct(table=24,zone=54741)\n");
    free(text);
}
END_TEST

/* An IPv6 VIP: Neighbor Solicitations go to table 30, which answers them
 * (filling the NA's target link-layer option in its NA flow) but not
 * duplicate address detection; ICMPv6 errors 1 to 4 go to conntrack. */
START_TEST(test_vip6)
{
    struct in6_addr vip;
    ck_assert(ipv6_parse("2001:db8::100", &vip));
    struct dsr_owner *owner = pipeline_vip(&vip, mac("02:d5:d5:00:00:01"),
                                           NULL, true);
    uint64_t cookie = owner->cookie;
    char *text = format_and_release(owner);

    ck_assert_uint_eq(cookie >> 47, UINT64_C(0xd502) << 1 | 1);
#define COOKIE6 "0xd502800054fbb855"
    ck_assert_str_eq(text,
        "table=0,priority=100,cookie=" COOKIE6 ",ipv6,"
        "ipv6_dst=2001:db8::100 actions=drop\n"
        "table=0,priority=150,cookie=" COOKIE6 ",icmp6,"
        "ipv6_dst=2001:db8::100,icmp_type=1 actions=ct(table=23,"
        "zone=54741)\n"
        "table=0,priority=150,cookie=" COOKIE6 ",icmp6,"
        "ipv6_dst=2001:db8::100,icmp_type=2 actions=ct(table=23,"
        "zone=54741)\n"
        "table=0,priority=150,cookie=" COOKIE6 ",icmp6,"
        "ipv6_dst=2001:db8::100,icmp_type=3 actions=ct(table=23,"
        "zone=54741)\n"
        "table=0,priority=150,cookie=" COOKIE6 ",icmp6,"
        "ipv6_dst=2001:db8::100,icmp_type=4 actions=ct(table=23,"
        "zone=54741)\n"
        "table=0,priority=250,cookie=" COOKIE6 ",ipv6,"
        "ipv6_dst=2001:db8::100,nw_frag=yes actions=ct(table=24,"
        "zone=54741)\n"
        "table=0,priority=300,cookie=" COOKIE6 ",icmp6,icmp_type=135,"
        "icmp_code=0,nd_target=2001:db8::100 actions=resubmit(,30)\n"
        "table=30,priority=300,cookie=" COOKIE6 ",icmp6,icmp_type=136,"
        "nd_target=2001:db8::100 actions=set_field:02:d5:d5:00:00:01->nd_tll,"
        "IN_PORT\n"
        "table=30,priority=300,cookie=" COOKIE6 ",icmp6,nw_ttl=255,"
        "icmp_type=135,nd_target=2001:db8::100,nd_options_type=0 "
        "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
        "set_field:02:d5:d5:00:00:01->eth_src,"
        "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
        "set_field:2001:db8::100->ipv6_src,set_field:136->icmpv6_type,"
        "set_field:1610612736->nd_reserved,IN_PORT\n"
        "table=30,priority=300,cookie=" COOKIE6 ",icmp6,nw_ttl=255,"
        "icmp_type=135,nd_target=2001:db8::100,nd_options_type=1 "
        "actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],"
        "set_field:02:d5:d5:00:00:01->eth_src,"
        "move:NXM_NX_IPV6_SRC[]->NXM_NX_IPV6_DST[],"
        "set_field:2001:db8::100->ipv6_src,set_field:136->icmpv6_type,"
        "set_field:1610612736->nd_reserved,"
        "set_field:2->nd_options_type,resubmit(,30)\n"
        "table=30,priority=310,cookie=" COOKIE6 ",icmp6,ipv6_src=::,"
        "icmp_type=135,nd_target=2001:db8::100 actions=drop\n");
#undef COOKIE6
    free(text);
}
END_TEST

/* A table whose slots alternate between backends 'a' and 'b'. */
static ovs_be32 *
alternating_slots(ovs_be32 a, ovs_be32 b)
{
    static ovs_be32 slots[DSR_SLOTS];

    for (size_t i = 0; i < DSR_SLOTS; i++) {
        slots[i] = i % 2 ? b : a;
    }
    return slots;
}

/* An IPv4 backend 'ip' (host order). */
static struct pipeline_backend
backend4(uint32_t ip, bool has_mac, struct eth_addr mac, uint32_t port)
{
    return (struct pipeline_backend) {
        .ip = htonl(ip), .has_mac = has_mac, .mac = mac, .port = port,
        .addr = in6_addr_mapped_ipv4(htonl(ip)),
    };
}

/* The text of 'svc' over its 'n' 'backends', its slots alternating
 * between the backends at 'a' and 'b'. */
static char *
service_text(const struct pipeline_service *svc,
             const struct pipeline_backend *backends, size_t n,
             ovs_be32 a, ovs_be32 b)
{
    return format_and_release(pipeline_service(svc, backends, n,
                                               alternating_slots(a, b),
                                               DSR_SLOTS));
}

static size_t
count_substrings(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* The kernel datapath's base: a SYN is not pinned, but looks its 5-tuple
 * up, and a pin it finds (an earlier connection's, from the same client
 * port) is committed again with the SYN's own slot (the priority-0
 * commit flow); without one it passes unpinned. */
START_TEST(test_base_kernel_syns)
{
    char *text = format_and_release(pipeline_base(mac("02:d5:d5:00:00:01"),
                                                  0, &in6addr_any, false,
                                                  false));

    for (int v6 = 0; v6 < 2; v6++) {
        const char *tcp = v6 ? "tcp6" : "tcp";
        char *lookup = xasprintf("table=21,priority=10,cookie="
                                 "0xd500000000000000,ct_state=-trk,%s,"
                                 "tcp_flags=+syn-ack "
                                 "actions=ct(table=21,zone=54741)\n", tcp);
        char *unpinned = xasprintf("table=21,priority=10,cookie="
                                   "0xd500000000000000,ct_state=+trk,"
                                   "ct_mark=0,%s,tcp_flags=+syn-ack "
                                   "actions=resubmit(,22)\n", tcp);

        ck_assert_msg(strstr(text, lookup), "%s", text);
        ck_assert_msg(strstr(text, unpinned), "%s", text);
        free(lookup);
        free(unpinned);
    }
    /* Nothing else at priority 10; a SYN with a pin takes the commit. */
    ck_assert_uint_eq(count_substrings(text, "table=21,priority=10,"), 4);
    ck_assert(strstr(text, "table=21,priority=0,cookie=0xd500000000000000,"
                     "ip actions=ct(commit,zone=54741,"));
    free(text);
}
END_TEST

/* The kernel datapath (sym_l4): an IPv6 service's packets lose their
 * flow label before the group hashes them; an IPv4 service's and the
 * userspace datapath's are untouched. */
START_TEST(test_kernel_ipv6_flow_label)
{
    const struct pipeline_backend be = backend4(0x0a00000b, true,
                                                mac("aa:00:00:00:00:01"), 2);
    struct pipeline_service v6 = service("2001:db8::100");
    struct pipeline_service v4 = service("10.0.0.100");

    v6.sym_l4 = v4.sym_l4 = true;
    char *text = service_text(&v6, &be, 1, htonl(0x0a00000b),
                              htonl(0x0a00000b));
    ck_assert_msg(count_substrings(text, "set_field:0->ipv6_label,"
                                   "group:1") == 2, "%s", text);
    free(text);
    text = service_text(&v4, &be, 1, htonl(0x0a00000b), htonl(0x0a00000b));
    ck_assert_msg(!strstr(text, "ipv6_label"), "%s", text);
    free(text);
    v6.sym_l4 = false;
    text = service_text(&v6, &be, 1, htonl(0x0a00000b), htonl(0x0a00000b));
    ck_assert_msg(!strstr(text, "ipv6_label"), "%s", text);
    free(text);
}
END_TEST

/* Fails, printing 'text' whole (too long for check's message), unless it
 * contains 'needle'. */
static void
assert_has(const char *text, const char *needle)
{
    if (!strstr(text, needle)) {
        fprintf(stderr, "%s\n", text);
        ck_abort_msg("no %s in the text above", needle);
    }
}

/* A fine table: slot 5 split into sub-slots 0-127 (A), 128-191 (B) and
 * 192-255 (C), every other slot whole (A).  Bucket 5 hands the packet to
 * the root of slot 5's tree in table 25, whose nodes copy dp_hash bit 15,
 * then 14, into reg3: five flows, the leaves matching 1 and 2 bits. */
START_TEST(test_fine_table)
{
    const ovs_be32 a = htonl(0x0a00000b), b = htonl(0x0a00000c);
    const ovs_be32 c = htonl(0x0a00000d);
    const struct pipeline_backend be = backend4(0x0a00000b, true,
                                                mac("aa:00:00:00:00:01"), 2);
    struct pipeline_service web = service("10.0.0.100");
    ovs_be32 *table = xmalloc(DSR_SLOTS_FINE * sizeof *table);

    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        size_t slot = e >> DSR_SUBSLOT_BITS, sub = e % 256;
        table[e] = slot != 5 || sub < 128 ? a : sub < 192 ? b : c;
    }
    char *text = format_and_release(pipeline_service(&web, &be, 1, table,
                                                     DSR_SLOTS_FINE));
    assert_has(text, "bucket=bucket_id:5,actions=set_field:0x50001->reg3,"
               "resubmit(,25),");
    ck_assert_uint_eq(count_substrings(text, "->reg1,resubmit(,21)"),
                      255 + 3);
    ck_assert_uint_eq(count_substrings(text, "table=25,"), 5);
    assert_has(text, "table=25,priority=100,cookie=0xd501000000000001,"
               "reg0=0x1,reg3=0x50001 actions=set_field:0x50002->reg3,"
               "move:NXM_NX_DP_HASH[15]->NXM_NX_REG3[0],resubmit(,25)");
    assert_has(text, "reg3=0x50002 actions=set_field:0xa00000b->reg1,"
               "resubmit(,21)");
    assert_has(text, "reg3=0x50003 actions=set_field:0x50006->reg3,"
               "move:NXM_NX_DP_HASH[14]->NXM_NX_REG3[0],resubmit(,25)");
    assert_has(text, "reg3=0x50006 actions=set_field:0xa00000c->reg1,"
               "resubmit(,21)");
    assert_has(text, "reg3=0x50007 actions=set_field:0xa00000d->reg1,"
               "resubmit(,21)");
    free(text);
    free(table);
}
END_TEST

START_TEST(test_tcp_service)
{
    struct pipeline_service web = service("10.0.0.100");
    const struct pipeline_service *svc = &web;
    const struct pipeline_backend backends[] = {
        backend4(0x0a00000b, true, mac("aa:00:00:00:00:01"), 0),
        backend4(0x0a00000d, true, mac("aa:00:00:00:00:03"), 0),
        backend4(0x0a00000e, false, eth_addr_zero, 0),
    };
    char *text = service_text(svc, backends, 3, htonl(0x0a00000b),
                              htonl(0x0a00000d));
    const char *flows =
        "table=0,priority=200,cookie=0xd501000000000001,"
        "tcp,nw_dst=10.0.0.100,tp_dst=80 "
        "actions=set_field:0x1->reg0,ct(table=20,zone=54741)\n"
        "table=0,priority=205,cookie=0xd501000000000001,"
        "tcp,nw_dst=10.0.0.100,tp_dst=80,tcp_flags=+syn-ack "
        "actions=set_field:0x1->reg0,group:1\n"
        "table=22,priority=0,cookie=0xd501000000000001,reg0=0x1 "
        "actions=group:1\n"
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa00000b "
        "actions=set_field:aa:00:00:00:00:01->eth_dst,"
        "set_field:02:d5:d5:00:00:01->eth_src,resubmit(,10)\n"
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa00000d "
        "actions=set_field:aa:00:00:00:00:03->eth_dst,"
        "set_field:02:d5:d5:00:00:01->eth_src,resubmit(,10)\n"
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa00000e actions=drop\n"
        "group_id=1,type=select,selection_method=dp_hash,"
        "bucket=bucket_id:0,actions=set_field:0xa00000b->reg1,resubmit(,21),"
        "bucket=bucket_id:1,actions=set_field:0xa00000d->reg1,resubmit(,21),"
        "bucket=bucket_id:2,actions=set_field:0xa00000b->reg1,resubmit(,21),";

    ck_assert_msg(!strncmp(text, flows, strlen(flows)), "%s", text);
    ck_assert_uint_eq(count_substrings(text, "bucket="), DSR_SLOTS);
    ck_assert(strstr(text, ",bucket=bucket_id:255,actions="
                     "set_field:0xa00000d->reg1,resubmit(,21)\n"));
    free(text);
}
END_TEST

/* The flows built without text are exactly what their text would give. */
START_TEST(test_built_flows_equal_their_text)
{
    struct pipeline_service web = service("10.0.0.100");
    const struct pipeline_service *svc = &web;
    const struct pipeline_backend backends[] = {
        backend4(0x0a00000b, true, mac("aa:00:00:00:00:01"), 0),
        backend4(0x0a00000e, false, eth_addr_zero, 0),
    };
    struct dsr_owner *built = pipeline_service(
        svc, backends, 2, alternating_slots(htonl(0x0a00000b),
                                            htonl(0x0a00000b)), DSR_SLOTS);
    struct dsr_owner *text = dsr_owner_create(built->cookie);

    dsr_owner_add_flow(text, 22, 100, "reg0=1,reg1=0xa00000b",
                       "set_field:aa:00:00:00:00:01->eth_dst,"
                       "set_field:02:d5:d5:00:00:01->eth_src,resubmit(,10)");
    dsr_owner_add_flow(text, 22, 100, "reg0=1,reg1=0xa00000e", "drop");
    ck_assert_ptr_null(text->error);

    struct dsr_owner *flat = dsr_owner_create(built->cookie);
    dsr_owner_copy_flows(flat, built);

    const struct dsr_flow *flow;
    HMAP_FOR_EACH (flow, node, &text->flows) {
        const struct dsr_flow *twin = dsr_owner_find_flow(
            flat, flow->table_id, flow->priority, &flow->match);
        ck_assert_ptr_nonnull(twin);
        ck_assert(ofpacts_equal(twin->ofpacts, twin->ofpacts_len,
                                flow->ofpacts, flow->ofpacts_len));
    }
    dsr_owner_unref(text);
    dsr_owner_unref(flat);
    dsr_owner_unref(built);
}
END_TEST

/* Flow and group mods from 'old' to 'new' (both released). */
static void
count_mods(struct dsr_owner *old, struct dsr_owner *new, size_t *n_flows,
           size_t *n_groups)
{
    struct dsr_ofmsgs msgs;

    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(old, new, &msgs);
    ck_assert_msg(!error, "%s", error);
    *n_flows = msgs.n_flow_mods;
    *n_groups = msgs.n_group_mods;
    dsr_ofmsgs_destroy(&msgs);
    dsr_owner_unref(old);
    dsr_owner_unref(new);
}

/* A change to one backend costs one flow mod, whatever the service's
 * size. */
START_TEST(test_backend_change_costs_one_flow)
{
    struct pipeline_service web = service("10.0.0.100");
    const struct pipeline_service *svc = &web;
    struct pipeline_backend a[100], b[100];
    ovs_be32 *slots = alternating_slots(htonl(0x0a000001),
                                        htonl(0x0a000002));
    size_t nf, ng;

    for (int i = 0; i < 100; i++) {
        a[i] = backend4(0x0a000001 + i, true, mac("aa:00:00:00:00:01"), 0);
        b[i] = a[i];
    }
    b[57].mac = mac("aa:00:00:00:00:57");
    count_mods(pipeline_service(svc, a, 100, slots, DSR_SLOTS),
               pipeline_service(svc, b, 100, slots, DSR_SLOTS), &nf, &ng);
    ck_assert_uint_eq(nf, 1);
    ck_assert_uint_eq(ng, 0);

    /* One backend fewer: one delete. */
    count_mods(pipeline_service(svc, a, 100, slots, DSR_SLOTS),
               pipeline_service(svc, a + 1, 99, slots, DSR_SLOTS), &nf, &ng);
    ck_assert_uint_eq(nf, 1);
    ck_assert_uint_eq(ng, 0);

    /* The same backends in another order: nothing. */
    b[57] = a[3];
    b[3] = a[57];
    count_mods(pipeline_service(svc, a, 100, slots, DSR_SLOTS),
               pipeline_service(svc, b, 100, slots, DSR_SLOTS), &nf, &ng);
    ck_assert_uint_eq(nf, 0);
    ck_assert_uint_eq(ng, 0);
}
END_TEST

/* A gre service delivers by the tunnel port, an ipip one by the packet
 * mark and the internal port into the kernel; a backend whose port is
 * not known waits (drop).  Everything else is as for l2. */
START_TEST(test_tunnel_services)
{
    struct pipeline_service gre = service("10.0.0.100");
    gre.mode = PIPELINE_MODE_GRE;
    const struct pipeline_service *svc = &gre;
    const struct pipeline_backend backends[] = {
        backend4(0x0a01000b, true, eth_addr_zero, 7),
        backend4(0x0a01000c, false, eth_addr_zero, 0),
    };
    char *text = service_text(svc, backends, 2, htonl(0x0a01000b),
                              htonl(0x0a01000b));
    const char *flows =
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa01000b actions=set_field:10.1.0.11->tun_dst,output:7\n"
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa01000c actions=drop\n"
        "group_id=1,type=select,selection_method=dp_hash,"
        "bucket=bucket_id:0,actions=set_field:0xa01000b->reg1,resubmit(,21),";

    ck_assert_msg(strstr(text, flows), "%s", text);
    ck_assert_msg(strstr(text, "tcp,nw_dst=10.0.0.100,tp_dst=80 "
                         "actions=set_field:0x1->reg0,"
                         "ct(table=20,zone=54741)"),
                  "%s", text);
    free(text);

    /* IPv6 backends, under an IPv6 VIP or an IPv4 one: the same gre port
     * with an IPv6 outer header, by tun_ipv6_dst. */
    for (int v6_vip = 0; v6_vip < 2; v6_vip++) {
        struct pipeline_service gre6 = service(v6_vip ? "2001:db8::100"
                                               : "10.0.0.100");
        gre6.mode = PIPELINE_MODE_GRE;
        struct pipeline_backend be6[2] = {
            { .ip = htonl(0x1234), .has_mac = true, .port = 7 },
            { .ip = htonl(0x5678) },
        };
        ovs_assert(ipv6_parse("2001:db8:1::b", &be6[0].addr));
        ovs_assert(ipv6_parse("2001:db8:1::c", &be6[1].addr));
        text = service_text(&gre6, be6, 2, htonl(0x1234), htonl(0x5678));
        ck_assert_msg(strstr(text, "reg0=0x1,reg1=0x1234 actions="
                             "set_field:2001:db8:1::b->tun_ipv6_dst,"
                             "output:7\n"), "%s", text);
        ck_assert_msg(strstr(text, "reg1=0x5678 actions=drop\n"), "%s",
                      text);
        ck_assert_msg(strstr(text, v6_vip ? "tcp6,ipv6_dst=2001:db8::100"
                             : "tcp,nw_dst=10.0.0.100"), "%s", text);
        free(text);
    }

    struct pipeline_service ipip = service("10.0.0.100");
    ipip.tcp = false;
    ipip.udp = true;
    ipip.port = 53;
    ipip.mode = PIPELINE_MODE_IPIP;
    svc = &ipip;
    const struct pipeline_backend ipip_backend
        = backend4(0x0a01000b, true, mac("aa:00:00:00:00:09"), 9);
    text = service_text(svc, &ipip_backend, 1, htonl(0x0a01000b),
                        htonl(0x0a01000b));
    ck_assert_msg(strstr(text, "reg1=0xa01000b "
                         "actions=set_field:0xa01000b->pkt_mark,"
                         "set_field:aa:00:00:00:00:09->eth_dst,output:9\n"),
                  "%s", text);
    free(text);
}
END_TEST

/* 'svc' with 10.0.0.11 (aa:00:00:00:00:01) in every slot, as text. */
static char *
one_backend_pipeline(const struct pipeline_service *svc)
{
    const struct pipeline_backend backend
        = backend4(0x0a00000b, true, mac("aa:00:00:00:00:01"), 0);

    return service_text(svc, &backend, 1, htonl(0x0a00000b),
                        htonl(0x0a00000b));
}

/* UDP to 10.0.0.53 port 53. */
static struct pipeline_service
dns_service(void)
{
    struct pipeline_service dns = service("10.0.0.53");

    dns.tcp = false;
    dns.udp = true;
    dns.port = 53;
    return dns;
}

/* Without pins every packet goes straight to the slots. */
START_TEST(test_no_pins)
{
    struct pipeline_service dns = dns_service();
    dns.pin_connections = false;
    char *text = one_backend_pipeline(&dns);
    const char *flows =
        "table=0,priority=200,cookie=0xd501000000000001,"
        "udp,nw_dst=10.0.0.53,tp_dst=53 actions=set_field:0x1->reg0,group:1\n"
        "table=22,priority=100,cookie=0xd501000000000001,reg0=0x1,"
        "reg1=0xa00000b "
        "actions=set_field:aa:00:00:00:00:01->eth_dst,"
        "set_field:02:d5:d5:00:00:01->eth_src,resubmit(,10)\n"
        "group_id=1,type=select,selection_method=dp_hash,"
        "bucket=bucket_id:0,actions=set_field:0xa00000b->reg1,resubmit(,22),";

    ck_assert_msg(!strncmp(text, flows, strlen(flows)), "%s", text);
    free(text);
}
END_TEST

START_TEST(test_both_protocols_all_ports)
{
    struct pipeline_service any = service("10.0.0.53");
    any.udp = true;
    any.port = 0;
    ovs_be32 none[DSR_SLOTS] = { 0 };
    char *text = format_and_release(pipeline_service(&any, NULL, 0, none, DSR_SLOTS));

    ck_assert_str_eq(text,
        "table=0,priority=190,cookie=0xd501000000000001,"
        "tcp,nw_dst=10.0.0.53 "
        "actions=set_field:0x1->reg0,ct(table=20,zone=54741)\n"
        "table=0,priority=190,cookie=0xd501000000000001,"
        "udp,nw_dst=10.0.0.53 "
        "actions=set_field:0x1->reg0,ct(table=20,zone=54741)\n"
        "table=0,priority=195,cookie=0xd501000000000001,"
        "tcp,nw_dst=10.0.0.53,tcp_flags=+syn-ack "
        "actions=set_field:0x1->reg0,group:1\n"
        "table=22,priority=0,cookie=0xd501000000000001,reg0=0x1 "
        "actions=group:1\n"
        "group_id=1,type=select,selection_method=dp_hash\n");
    free(text);
}
END_TEST

/* Groups hashed by ovs-vswitchd: source-ip over the client address;
 * 5-tuple-cross-node over addresses and ports of either family (it skips
 * the fields whose prerequisites a packet lacks). */
START_TEST(test_vswitchd_hashed_groups)
{
    static const struct {
        enum dsr_slot_hash hash;
        const char *fields;
    } cases[] = {
        { DSR_SLOT_HASH_IP_SRC, "fields(ip_src)" },
        { DSR_SLOT_HASH_5TUPLE, "fields(ip_src,ip_dst,ipv6_src,ipv6_dst,"
                                "tcp_src,tcp_dst,udp_src,udp_dst)" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct pipeline_service dns = dns_service();
        dns.hash = cases[i].hash;
        char *text = one_backend_pipeline(&dns);
        char *group = xasprintf("\ngroup_id=1,type=select,"
                                "selection_method=hash,%s,bucket=bucket_id:0,"
                                "actions=set_field:0xa00000b->reg1,"
                                "resubmit(,21),bucket=bucket_id:1,",
                                cases[i].fields);

        ck_assert_msg(strstr(text, group), "%s", text);
        free(group);
        free(text);
    }
}
END_TEST

/* An IPv6 service: tcp6 to the VIP, source-ip over ipv6_src (ip_src
 * would put every IPv6 client in one bucket), pins as for IPv4. */
START_TEST(test_ipv6_service)
{
    struct pipeline_service web = service("2001:db8::100");
    web.hash = DSR_SLOT_HASH_IP_SRC;
    char *text = one_backend_pipeline(&web);

    ck_assert(strstr(text, ",tcp6,ipv6_dst=2001:db8::100,tp_dst=80 "
                     "actions=set_field:0x1->reg0,ct(table=20,zone=54741)\n"));
    ck_assert(strstr(text, ",tcp6,ipv6_dst=2001:db8::100,tp_dst=80,"
                     "tcp_flags=+syn-ack actions=set_field:0x1->reg0,"
                     "group:1\n"));
    ck_assert(strstr(text, "\ngroup_id=1,type=select,selection_method=hash,"
                     "fields(ipv6_src),bucket=bucket_id:0,"));
    free(text);
}
END_TEST

START_TEST(test_backend_location)
{
    char *text = format_and_release(pipeline_backend_location(
                                        mac("aa:bb:cc:dd:ee:ff"),
                                        u16_to_ofp(3)));

    ck_assert_str_eq(text,
        "table=10,priority=100,cookie=0xd503aabbccddeeff,"
        "dl_dst=aa:bb:cc:dd:ee:ff actions=output:3\n"
        "table=10,priority=110,cookie=0xd503aabbccddeeff,"
        "in_port=3,dl_dst=aa:bb:cc:dd:ee:ff actions=IN_PORT\n");
    free(text);
}
END_TEST

/* A restart reads back what these flows say of a backend (lb-neighbors.c):
 * the port behind a MAC, and the MAC an l2 service sends a backend's
 * connections to. */
START_TEST(test_read_back)
{
    struct dsr_owner *loc = pipeline_backend_location(mac("aa:bb:cc:dd:ee:ff"),
                                                      u16_to_ofp(3));
    ofp_port_t port = OFPP_NONE;
    ck_assert(pipeline_read_location(loc, &port));
    ck_assert_uint_eq(ofp_to_u16(port), 3);
    dsr_owner_unref(loc);

    struct pipeline_service svc = service("10.0.0.100");
    struct pipeline_backend backends[] = {
        backend4(0x0a00000b, true, mac("02:00:00:00:00:0b"), 0),
        backend4(0x0a00000c, false, eth_addr_zero, 0),
    };
    struct dsr_owner *built = pipeline_service(
        &svc, backends, ARRAY_SIZE(backends),
        alternating_slots(htonl(0x0a00000b), htonl(0x0a00000c)), DSR_SLOTS);
    /* As the switch's dump has it: flows, not rows. */
    struct dsr_owner *dumped = dsr_owner_create(built->cookie);
    dsr_owner_copy_flows(dumped, built);
    dsr_owner_unref(built);

    struct eth_addr m = eth_addr_zero;
    ck_assert_int_eq(pipeline_read_backend_mac(dumped, 1, htonl(0x0a00000b),
                                               &m),
                     PIPELINE_ROW_DELIVERABLE);
    ck_assert(eth_addr_equals(m, mac("02:00:00:00:00:0b")));
    ck_assert_int_eq(pipeline_read_backend_mac(dumped, 1, htonl(0x0a00000c),
                                               &m),
                     PIPELINE_ROW_UNDELIVERABLE);
    ck_assert_int_eq(pipeline_read_backend_mac(dumped, 1, htonl(0x0a00000d),
                                               &m),
                     PIPELINE_ROW_ABSENT);
    ck_assert_int_eq(pipeline_read_backend_mac(dumped, 2, htonl(0x0a00000b),
                                               &m),
                     PIPELINE_ROW_ABSENT);
    dsr_owner_unref(dumped);
}
END_TEST

START_TEST(test_cookie_layout)
{
    ck_assert_uint_eq(dsr_cookie(DSR_COOKIE_SERVICE, 42),
                      UINT64_C(0xd50100000000002a));
    ck_assert_uint_eq(dsr_cookie(DSR_COOKIE_VIP, 0xc0a80a64),
                      UINT64_C(0xd5020000c0a80a64));
    ck_assert_uint_eq(dsr_cookie(DSR_COOKIE_BACKEND, UINT64_MAX)
                      & DSR_COOKIE_TAG_MASK, DSR_COOKIE_TAG);
}
END_TEST

CHECK_MAIN("pipeline",
           CHECK_TEST(test_base),
           CHECK_TEST(test_base_kernel_syns),
           CHECK_TEST(test_base_probe_ip6),
           CHECK_TEST(test_vip),
           CHECK_TEST(test_routed_vip),
           CHECK_TEST(test_vip6),
           CHECK_TEST(test_kernel_ipv6_flow_label),
           CHECK_TEST(test_fine_table),
           CHECK_TEST(test_tcp_service),
           CHECK_TEST(test_tunnel_services),
           CHECK_TEST(test_both_protocols_all_ports),
           CHECK_TEST(test_no_pins),
           CHECK_TEST(test_built_flows_equal_their_text),
           CHECK_TEST(test_backend_change_costs_one_flow),
           CHECK_TEST(test_vswitchd_hashed_groups),
           CHECK_TEST(test_ipv6_service),
           CHECK_TEST(test_backend_location),
           CHECK_TEST(test_read_back),
           CHECK_TEST(test_cookie_layout))
