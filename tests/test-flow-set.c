/* Unit tests: the diff between two versions of an owner sends exactly
 * what changed, in an order a switch can apply. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <stdlib.h>
#include "flows/flow-set.h"
#include "flows/group-desc.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "byte-order.h"
#include "util.h"

#define COOKIE UINT64_C(0xd501000000000001)
#define GROUP "type=select,selection_method=hash,fields(ip_src)"

static struct dsr_owner *
owner(const char *actions, const char *group)
{
    struct dsr_owner *o = dsr_owner_create(COOKIE);

    dsr_owner_add_flow(o, 0, 200, "tcp,nw_dst=10.0.0.1,tp_dst=80", actions);
    dsr_owner_add_flow(o, 0, 100, "ip,nw_dst=10.0.0.1", "drop");
    if (group) {
        dsr_owner_set_group(o, 1, group);
    }
    return o;
}

/* Describes an encoded flow or group mod, e.g. "flow add 0x..." or
 * "group add_or_mod 1", for comparing with what a diff must send. */
static char *
describe(const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    enum ofptype type;

    ck_assert(!ofptype_decode(&type, oh));
    if (type == OFPTYPE_FLOW_MOD) {
        struct ofputil_flow_mod fm;
        struct ofpbuf ofpacts;

        ofpbuf_init(&ofpacts, 64);
        ck_assert(!ofputil_decode_flow_mod(&fm, oh, OFPUTIL_P_OF15_OXM, NULL,
                                           NULL, &ofpacts, OFPP_MAX, 255));
        char *match = minimatch_to_string(&fm.match, NULL, OFP_DEFAULT_PRIORITY);
        char *s = xasprintf("flow %s %#"PRIx64"/%#"PRIx64" %d %s",
                            fm.command == OFPFC_ADD ? "add"
                            : fm.command == OFPFC_DELETE_STRICT
                            ? "delete_strict" : "other",
                            ntohll(fm.command == OFPFC_ADD ? fm.new_cookie
                                                           : fm.cookie),
                            ntohll(fm.cookie_mask),
                            fm.priority, match);
        free(match);
        minimatch_destroy(&fm.match);
        ofpbuf_uninit(&ofpacts);
        return s;
    } else {
        struct ofputil_group_mod gm;

        ck_assert_int_eq(type, OFPTYPE_GROUP_MOD);
        ck_assert(!ofputil_decode_group_mod(oh, &gm));
        char *s = xasprintf("group %s %"PRIu32,
                            gm.command == OFPGC11_ADD_OR_MOD ? "add_or_mod"
                            : gm.command == OFPGC11_DELETE ? "delete"
                            : "other", gm.group_id);
        ofputil_uninit_group_mod(&gm);
        return s;
    }
}

/* Diffs 'old' into 'new'; returns the messages, described, one per line
 * in apply order. */
static char *
diff(const struct dsr_owner *old, const struct dsr_owner *new,
     size_t *n_flow_mods, size_t *n_group_mods)
{
    struct dsr_ofmsgs msgs;
    struct ovs_list list = OVS_LIST_INITIALIZER(&list);
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpbuf *msg;

    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(old, new, &msgs);
    ck_assert_msg(!error, "%s", error);
    *n_flow_mods = msgs.n_flow_mods;
    *n_group_mods = msgs.n_group_mods;
    dsr_ofmsgs_take(&msgs, &list);
    LIST_FOR_EACH_POP (msg, list_node, &list) {
        char *line = describe(msg);
        ds_put_format(&s, "%s\n", line);
        free(line);
        ofpbuf_delete(msg);
    }
    return ds_steal_cstr(&s);
}

/* Asserts that diffing 'old' into 'new' sends exactly 'mods' (as
 * describe() gives them, one per line), 'n_flows' flow mods and
 * 'n_groups' group mods; releases both. */
static void
assert_diff(struct dsr_owner *old, struct dsr_owner *new, const char *mods,
            size_t n_flows, size_t n_groups)
{
    size_t nf, ng;
    char *text = diff(old, new, &nf, &ng);

    ck_assert_str_eq(text, mods);
    free(text);
    ck_assert_uint_eq(nf, n_flows);
    ck_assert_uint_eq(ng, n_groups);
    dsr_owner_unref(old);
    dsr_owner_unref(new);
}

START_TEST(test_identical_costs_nothing)
{
    assert_diff(owner("group:1", GROUP), owner("group:1", GROUP), "", 0, 0);
}
END_TEST

START_TEST(test_changed_action_is_one_flow_mod)
{
    assert_diff(owner("group:1", GROUP), owner("drop", GROUP),
                "flow add 0xd501000000000001/0 200 "
                "tcp,nw_dst=10.0.0.1,tp_dst=80\n", 1, 0);
}
END_TEST

START_TEST(test_changed_group_is_one_group_mod)
{
    assert_diff(owner("group:1", GROUP),
                owner("group:1", GROUP ",bucket=bucket_id:0,actions=drop"),
                "group add_or_mod 1\n", 0, 1);
}
END_TEST

START_TEST(test_new_owner_puts_group_before_flows)
{
    struct dsr_owner *b = owner("group:1", GROUP);
    size_t nf, ng;

    char *text = diff(NULL, b, &nf, &ng);
    ck_assert_msg(!strncmp(text, "group add_or_mod 1\nflow add ", 28),
                  "%s", text);
    ck_assert_ptr_null(strstr(text, "delete"));
    free(text);
    ck_assert_uint_eq(nf, 2);
    ck_assert_uint_eq(ng, 1);
    dsr_owner_unref(b);
}
END_TEST

START_TEST(test_removed_owner_deletes_flows_before_group)
{
    struct dsr_owner *a = owner("group:1", GROUP);
    size_t nf, ng;

    char *text = diff(a, NULL, &nf, &ng);
    /* Deletes are strict and only touch flows with this exact cookie. */
    ck_assert_msg(strstr(text, "flow delete_strict 0xd501000000000001/"
                         "0xffffffffffffffff 100 ip,nw_dst=10.0.0.1\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, "flow delete_strict 0xd501000000000001/"
                         "0xffffffffffffffff 200 "
                         "tcp,nw_dst=10.0.0.1,tp_dst=80\n"), "%s", text);
    size_t len = strlen(text);
    ck_assert_str_eq(text + len - strlen("group delete 1\n"),
                     "group delete 1\n");
    free(text);
    ck_assert_uint_eq(nf, 2);
    ck_assert_uint_eq(ng, 1);
    dsr_owner_unref(a);
}
END_TEST

START_TEST(test_removed_flow_is_one_delete)
{
    struct dsr_owner *a = owner("group:1", NULL);
    struct dsr_owner *b = dsr_owner_create(COOKIE);

    dsr_owner_add_flow(b, 0, 200, "tcp,nw_dst=10.0.0.1,tp_dst=80", "group:1");
    assert_diff(a, b, "flow delete_strict 0xd501000000000001/"
                "0xffffffffffffffff 100 ip,nw_dst=10.0.0.1\n", 1, 0);
}
END_TEST

START_TEST(test_oversized_group_is_refused)
{
    struct dsr_owner *b = dsr_owner_create(COOKIE);
    struct ds spec = DS_EMPTY_INITIALIZER;
    struct dsr_ofmsgs msgs;

    ds_put_cstr(&spec, GROUP);
    for (int i = 0; i < 1100; i++) {
        ds_put_format(&spec, ",bucket=bucket_id:%d,weight:100,"
                      "actions=set_field:aa:00:00:00:00:01->eth_dst,"
                      "set_field:02:d5:d5:00:00:01->eth_src,resubmit(,10)",
                      i);
    }
    dsr_owner_set_group(b, 1, ds_cstr(&spec));
    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(NULL, b, &msgs);
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "exceeds OpenFlow's 65535"));
    free(error);
    dsr_ofmsgs_destroy(&msgs);
    dsr_owner_unref(b);
    ds_destroy(&spec);
}
END_TEST

START_TEST(test_bad_text_is_reported)
{
    struct dsr_owner *b = dsr_owner_create(COOKIE);
    struct dsr_ofmsgs msgs;

    dsr_owner_add_flow(b, 0, 1, "tcp,nw_dst=not-an-ip", "drop");
    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(NULL, b, &msgs);
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "not-an-ip"));
    free(error);
    dsr_ofmsgs_destroy(&msgs);
    dsr_owner_unref(b);
}
END_TEST

/* 'gd' as the switch reports it, in a group description reply, decoded as
 * ofctrl-reconcile.c does: true if that gives 'expected'. */
static bool
read_back(const struct ofputil_group_desc *gd,
          const struct dsr_slot_group *expected)
{
    struct ofpbuf *request = ofputil_encode_group_desc_request(OFP15_VERSION,
                                                               OFPG_ALL);
    struct ovs_list replies;
    ofpmp_init(&replies, request->data);
    ofputil_append_group_desc_reply(gd, &gd->buckets, &replies);
    ofpbuf_delete(request);
    ck_assert_uint_eq(ovs_list_size(&replies), 1);
    struct ofpbuf *reply = ofpbuf_from_list(ovs_list_front(&replies));

    struct ofpbuf b = ofpbuf_const_initializer(reply->data, reply->size);
    struct ofputil_group_desc read_gd;
    ck_assert_int_eq(dsr_decode_group_desc_reply(&read_gd, &b, OFP15_VERSION),
                     0);
    ck_assert_uint_eq(ovs_list_size(&read_gd.buckets),
                      ovs_list_size(&gd->buckets));
    struct dsr_slot_group read;
    bool same = (dsr_slot_group_from_desc(&read_gd, &read)
                 && dsr_slot_group_equal(&read, expected));
    ofputil_uninit_group_desc(&read_gd);
    ck_assert_int_eq(dsr_decode_group_desc_reply(&read_gd, &b, OFP15_VERSION),
                     EOF);
    ofpbuf_list_delete(&replies);
    return same;
}

/* A slot group as OVS reports it back (a group mod decoded, as a group
 * description). */
static bool
slot_group_round_trip(const struct dsr_slot_group *sent,
                      const struct dsr_slot_group *expected)
{
    struct ofputil_group_mod gm, decoded;

    dsr_slot_group_to_mod(7, sent, &gm);
    struct ofpbuf *msg = ofputil_encode_group_mod(OFP15_VERSION, &gm, NULL,
                                                  -1);
    ofputil_uninit_group_mod(&gm);
    ck_assert(!ofputil_decode_group_mod(msg->data, &decoded));
    ofpbuf_delete(msg);

    struct ofputil_group_desc gd = {
        .type = decoded.type,
        .group_id = decoded.group_id,
        .props = decoded.props,
    };
    ovs_list_init(&gd.buckets);
    ovs_list_push_back_all(&gd.buckets, &decoded.buckets);
    bool same = read_back(&gd, expected);
    ofputil_bucket_list_destroy(&gd.buckets);
    ofputil_group_properties_destroy(&decoded.props);
    return same;
}

START_TEST(test_slot_group_read_back)
{
    struct dsr_slot_group a = { .next_table = 21 }, b;

    for (int i = 0; i < DSR_SLOTS; i++) {
        a.slot_ips[i] = htonl(0x0a000001 + i % 3);
    }
    ck_assert(slot_group_round_trip(&a, &a));

    b = a;
    b.slot_ips[200] = htonl(0x0a000009);
    ck_assert(!slot_group_round_trip(&a, &b));
    b = a;
    b.next_table = 22;
    ck_assert(!slot_group_round_trip(&a, &b));
    b = a;
    b.hash = DSR_SLOT_HASH_5TUPLE;
    ck_assert(!slot_group_round_trip(&a, &b));
    ck_assert(slot_group_round_trip(&b, &b));
    b = a;
    b.hash = DSR_SLOT_HASH_IP_SRC;
    ck_assert(!slot_group_round_trip(&a, &b));
    ck_assert(slot_group_round_trip(&b, &b));
    /* The kernel datapath's groups: dp_hash of the headers. */
    b = a;
    b.sym_l4 = true;
    ck_assert(!slot_group_round_trip(&a, &b));
    ck_assert(!slot_group_round_trip(&b, &a));
    ck_assert(slot_group_round_trip(&b, &b));

    memset(b.slot_ips, 0, sizeof b.slot_ips);
    ck_assert(slot_group_round_trip(&b, &b));
    ck_assert(!slot_group_round_trip(&b, &a));
}
END_TEST

START_TEST(test_changed_slot_is_one_group_mod)
{
    struct dsr_slot_group sg = { .next_table = 21 };
    struct dsr_owner *a = owner("group:1", NULL);
    struct dsr_owner *b = owner("group:1", NULL);

    for (int i = 0; i < DSR_SLOTS; i++) {
        sg.slot_ips[i] = htonl(0x0a000001 + i % 3);
    }
    dsr_owner_set_slot_group(a, 1, &sg);
    sg.slot_ips[5] = htonl(0x0a000009);
    dsr_owner_set_slot_group(b, 1, &sg);
    assert_diff(a, dsr_owner_ref(b), "group add_or_mod 1\n", 0, 1);

    a = owner("group:1", NULL);
    dsr_owner_set_slot_group(a, 1, &sg);
    assert_diff(a, b, "", 0, 0);
}
END_TEST

CHECK_MAIN("flow-set",
           CHECK_TEST(test_identical_costs_nothing),
           CHECK_TEST(test_changed_action_is_one_flow_mod),
           CHECK_TEST(test_changed_group_is_one_group_mod),
           CHECK_TEST(test_new_owner_puts_group_before_flows),
           CHECK_TEST(test_removed_owner_deletes_flows_before_group),
           CHECK_TEST(test_removed_flow_is_one_delete),
           CHECK_TEST(test_oversized_group_is_refused),
           CHECK_TEST(test_bad_text_is_reported),
           CHECK_TEST(test_slot_group_read_back),
           CHECK_TEST(test_changed_slot_is_one_group_mod))
