/* Unit tests: a fine slot table laid anew once its table 25 flows pass
 * the budget (flows/slots-compact.h), and left alone otherwise. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include "flows/slots-compact.h"
#include "flows/slots.h"
#include "util.h"

#define N_MAX 128

/* What a new service's table costs, at most (flows/README.md: 10 to 14
 * flows a backend). */
#define FRESH_FLOWS_PER_BACKEND 16

/* Backend i has bucket id 'base' + i, and key 10.0.1.0 + i: two nodes
 * give the same backends different ids, never different keys. */
static void
make_backends(struct slots_backend *b, size_t n, uint32_t base)
{
    for (size_t i = 0; i < n; i++) {
        b[i].id = base + i;
        b[i].key = 0x0a000100 + i;
        b[i].weight = 100;
    }
}

/* The worst layout: entry e held by backend e % n, every slot split into
 * single sub-slots. */
static uint32_t *
scattered(const struct slots_backend *b, size_t n)
{
    uint32_t *t = xmalloc(DSR_SLOTS_FINE * sizeof *t);

    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        t[e] = b[e % n].id;
    }
    return t;
}

static void
count_by_backend(const uint32_t *t, const struct slots_backend *b, size_t n,
                 size_t *counts)
{
    memset(counts, 0, n * sizeof *counts);
    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        for (size_t i = 0; i < n; i++) {
            counts[i] += t[e] == b[i].id;
        }
    }
}

/* Laying a scattered table anew brings it under the budget and keeps
 * every backend's share to the entry. */
START_TEST(test_compact_bounds_flows)
{
    static const size_t sizes[] = { 5, 100, 128 };

    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k], before[N_MAX], after[N_MAX];
        struct slots_backend b[N_MAX];
        make_backends(b, n, 1);
        uint32_t *t = scattered(b, n);

        ck_assert_uint_gt(slots_fine_flows(t), SLOTS_COMPACT_BUDGET * n);
        count_by_backend(t, b, n, before);
        ck_assert_uint_gt(slots_compact(t, b, n), 0);
        ck_assert_uint_le(slots_fine_flows(t), FRESH_FLOWS_PER_BACKEND * n);
        count_by_backend(t, b, n, after);
        ck_assert_mem_eq(before, after, n * sizeof *before);
        free(t);
    }
}
END_TEST

/* A table within the budget is not touched. */
START_TEST(test_compact_leaves_cheap_tables)
{
    struct slots_backend b[100];
    uint32_t *t = xmalloc(DSR_SLOTS * sizeof *t);

    make_backends(b, 100, 1);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        t[s] = DSR_SLOT_NONE;
    }
    ck_assert_uint_eq(slots_update(&t, DSR_SLOTS, b, 100, true),
                      DSR_SLOTS_FINE);
    uint32_t *copy = xmemdup(t, DSR_SLOTS_FINE * sizeof *t);
    ck_assert_uint_eq(slots_compact(t, b, 100), 0);
    ck_assert_mem_eq(t, copy, DSR_SLOTS_FINE * sizeof *t);
    free(copy);
    free(t);
}
END_TEST

/* Two nodes with different bucket ids for the same backends lay a table
 * out alike: choices follow keys, never ids. */
START_TEST(test_compact_same_on_every_node)
{
    struct slots_backend a[100], b[100];

    make_backends(a, 100, 1);
    make_backends(b, 100, 1000);
    for (size_t i = 0; i < 100; i++) {
        b[i].id = 1000 + 99 - i;        /* Ids in the opposite order. */
    }
    uint32_t *ta = scattered(a, 100), *tb = scattered(b, 100);
    slots_compact(ta, a, 100);
    slots_compact(tb, b, 100);
    for (size_t e = 0; e < DSR_SLOTS_FINE; e++) {
        size_t i = 0;
        while (a[i].id != ta[e]) {
            i++;
        }
        ck_assert_uint_eq(tb[e], b[i].id);
    }
    free(ta);
    free(tb);
}
END_TEST

/* slots_update() lays anew only a table it changed: one loaded with its
 * shares right (a restart, another node's JSON) stays as it was, however
 * many flows it costs. */
START_TEST(test_update_keeps_loaded_table)
{
    struct slots_backend b[128];

    make_backends(b, 128, 1);
    uint32_t *t = scattered(b, 128);
    uint32_t *copy = xmemdup(t, DSR_SLOTS_FINE * sizeof *t);
    ck_assert_uint_eq(slots_update(&t, DSR_SLOTS_FINE, b, 128, true),
                      DSR_SLOTS_FINE);
    ck_assert_mem_eq(t, copy, DSR_SLOTS_FINE * sizeof *t);

    /* A weight changed: the change, and the re-layout with it. */
    b[0].weight = 200;
    ck_assert_uint_eq(slots_update(&t, DSR_SLOTS_FINE, b, 128, true),
                      DSR_SLOTS_FINE);
    ck_assert_uint_le(slots_fine_flows(t), SLOTS_COMPACT_BUDGET * 128);
    free(copy);
    free(t);
}
END_TEST

/* Weight churn: at every step of 300 random changes the table stays
 * within the budget. */
START_TEST(test_churn_stays_within_budget)
{
    struct slots_backend b[100];
    uint32_t *t = xmalloc(DSR_SLOTS * sizeof *t);
    size_t size = DSR_SLOTS;
    uint32_t rng = 1;

    make_backends(b, 100, 1);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        t[s] = DSR_SLOT_NONE;
    }
    for (size_t k = 0; k < 300; k++) {
        rng = rng * 1103515245 + 12345;
        b[(rng >> 8) % 100].weight = 50 + (rng >> 20) % 151;
        size = slots_update(&t, size, b, 100, true);
        ck_assert_uint_eq(size, DSR_SLOTS_FINE);
        ck_assert_uint_le(slots_fine_flows(t), SLOTS_COMPACT_BUDGET * 100);
    }
    free(t);
}
END_TEST

CHECK_MAIN("slots-compact",
           CHECK_TEST(test_compact_bounds_flows),
           CHECK_TEST(test_compact_leaves_cheap_tables),
           CHECK_TEST(test_compact_same_on_every_node),
           CHECK_TEST(test_update_keeps_loaded_table),
           CHECK_TEST(test_churn_stays_within_budget))
