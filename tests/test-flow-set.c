/* Unit tests: the diff between two versions of an owner sends exactly
 * what changed, in an order a switch can apply. */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include "flows/flow-set.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"

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

/* Diffs 'old' into 'new' and returns the message types in apply order. */
static void
diff(const struct dsr_owner *old, const struct dsr_owner *new,
     size_t *n_flow_mods, size_t *n_group_mods, enum ofptype *types,
     size_t max_types)
{
    struct dsr_ofmsgs msgs;
    struct ovs_list list = OVS_LIST_INITIALIZER(&list);
    struct ofpbuf *msg;
    size_t i = 0;

    dsr_ofmsgs_init(&msgs);
    char *error = dsr_owner_diff(old, new, &msgs);
    ck_assert_msg(!error, "%s", error);
    *n_flow_mods = msgs.n_flow_mods;
    *n_group_mods = msgs.n_group_mods;
    dsr_ofmsgs_take(&msgs, &list);
    LIST_FOR_EACH_POP (msg, list_node, &list) {
        if (i < max_types) {
            ck_assert(!ofptype_decode(&types[i++], msg->data));
        }
        ofpbuf_delete(msg);
    }
}

START_TEST(test_identical_costs_nothing)
{
    struct dsr_owner *a = owner("group:1", GROUP);
    struct dsr_owner *b = owner("group:1", GROUP);
    size_t nf, ng;
    enum ofptype types[4];

    diff(a, b, &nf, &ng, types, 4);
    ck_assert_uint_eq(nf, 0);
    ck_assert_uint_eq(ng, 0);
    dsr_owner_unref(a);
    dsr_owner_unref(b);
}
END_TEST

START_TEST(test_changed_action_is_one_flow_mod)
{
    struct dsr_owner *a = owner("group:1", GROUP);
    struct dsr_owner *b = owner("drop", GROUP);
    size_t nf, ng;
    enum ofptype types[4];

    diff(a, b, &nf, &ng, types, 4);
    ck_assert_uint_eq(nf, 1);
    ck_assert_uint_eq(ng, 0);
    ck_assert_int_eq(types[0], OFPTYPE_FLOW_MOD);
    dsr_owner_unref(a);
    dsr_owner_unref(b);
}
END_TEST

START_TEST(test_changed_group_is_one_group_mod)
{
    struct dsr_owner *a = owner("group:1", GROUP);
    struct dsr_owner *b = owner("group:1", GROUP ",bucket=bucket_id:0,"
                                "actions=drop");
    size_t nf, ng;
    enum ofptype types[4];

    diff(a, b, &nf, &ng, types, 4);
    ck_assert_uint_eq(nf, 0);
    ck_assert_uint_eq(ng, 1);
    ck_assert_int_eq(types[0], OFPTYPE_GROUP_MOD);
    dsr_owner_unref(a);
    dsr_owner_unref(b);
}
END_TEST

START_TEST(test_new_owner_puts_group_before_flows)
{
    struct dsr_owner *b = owner("group:1", GROUP);
    size_t nf, ng;
    enum ofptype types[3];

    diff(NULL, b, &nf, &ng, types, 3);
    ck_assert_uint_eq(nf, 2);
    ck_assert_uint_eq(ng, 1);
    ck_assert_int_eq(types[0], OFPTYPE_GROUP_MOD);
    ck_assert_int_eq(types[1], OFPTYPE_FLOW_MOD);
    ck_assert_int_eq(types[2], OFPTYPE_FLOW_MOD);
    dsr_owner_unref(b);
}
END_TEST

START_TEST(test_removed_owner_deletes_flows_before_group)
{
    struct dsr_owner *a = owner("group:1", GROUP);
    size_t nf, ng;
    enum ofptype types[3];

    diff(a, NULL, &nf, &ng, types, 3);
    ck_assert_uint_eq(nf, 2);
    ck_assert_uint_eq(ng, 1);
    ck_assert_int_eq(types[0], OFPTYPE_FLOW_MOD);
    ck_assert_int_eq(types[1], OFPTYPE_FLOW_MOD);
    ck_assert_int_eq(types[2], OFPTYPE_GROUP_MOD);
    dsr_owner_unref(a);
}
END_TEST

START_TEST(test_removed_flow_is_one_delete)
{
    struct dsr_owner *a = owner("group:1", NULL);
    struct dsr_owner *b = dsr_owner_create(COOKIE);
    size_t nf, ng;
    enum ofptype types[2];

    dsr_owner_add_flow(b, 0, 200, "tcp,nw_dst=10.0.0.1,tp_dst=80", "group:1");
    diff(a, b, &nf, &ng, types, 2);
    ck_assert_uint_eq(nf, 1);
    ck_assert_uint_eq(ng, 0);
    dsr_owner_unref(a);
    dsr_owner_unref(b);
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

int
main(void)
{
    Suite *s = suite_create("flow-set");
    TCase *tc = tcase_create("flow-set");

    tcase_add_test(tc, test_identical_costs_nothing);
    tcase_add_test(tc, test_changed_action_is_one_flow_mod);
    tcase_add_test(tc, test_changed_group_is_one_group_mod);
    tcase_add_test(tc, test_new_owner_puts_group_before_flows);
    tcase_add_test(tc, test_removed_owner_deletes_flows_before_group);
    tcase_add_test(tc, test_removed_flow_is_one_delete);
    tcase_add_test(tc, test_bad_text_is_reported);
    suite_add_tcase(s, tc);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
