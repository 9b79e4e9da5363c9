/* Unit tests: the slot tables' balance, the slots each change moves, and
 * their independence from anything but the backends. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <string.h>
#include "flows/slots.h"
#include "util.h"

static void
make_backends(struct slots_backend *b, size_t n, uint32_t weight)
{
    for (size_t i = 0; i < n; i++) {
        b[i].id = i;
        b[i].key = 0x0a000100 + i;      /* 10.0.1.0 + i */
        b[i].weight = weight;
    }
}

static void
fresh(uint32_t table[DSR_SLOTS], const struct slots_backend *b, size_t n)
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        table[s] = DSR_SLOT_NONE;
    }
    slots_rebalance(table, b, n);
}

static size_t
count(const uint32_t table[DSR_SLOTS], uint32_t id)
{
    size_t c = 0;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        c += table[s] == id;
    }
    return c;
}

static size_t
moved(const uint32_t a[DSR_SLOTS], const uint32_t b[DSR_SLOTS])
{
    size_t c = 0;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        c += a[s] != b[s];
    }
    return c;
}

START_TEST(test_balance)
{
    static const size_t sizes[] = { 1, 2, 3, 4, 16, 64, 100, 256 };
    struct slots_backend b[256];
    uint32_t t[DSR_SLOTS];

    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        make_backends(b, n, 100);
        fresh(t, b, n);
        for (size_t i = 0; i < n; i++) {
            size_t c = count(t, i);
            ck_assert_msg(c == DSR_SLOTS / n || c == DSR_SLOTS / n + 1,
                          "n=%zu: backend %zu has %zu slots", n, i, c);
        }
    }
}
END_TEST

START_TEST(test_weights)
{
    struct slots_backend b[3];
    uint32_t t[DSR_SLOTS];

    make_backends(b, 2, 100);
    b[1].weight = 200;
    fresh(t, b, 2);
    ck_assert_uint_eq(count(t, 0), 85);     /* 256 / 3 = 85.3 */
    ck_assert_uint_eq(count(t, 1), 171);

    /* A weight change moves exactly the difference in share. */
    uint32_t before[DSR_SLOTS];
    memcpy(before, t, sizeof t);
    b[1].weight = 100;
    slots_rebalance(t, b, 2);
    ck_assert_uint_eq(count(t, 0), 128);
    ck_assert_uint_eq(moved(before, t), 128 - 85);
}
END_TEST

/* Removing one of n backends moves its slots and nothing else; adding
 * one moves only the slots it takes. */
START_TEST(test_minimal_disruption)
{
    static const size_t sizes[] = { 4, 16, 64 };
    struct slots_backend b[65], rest[65];
    uint32_t t[DSR_SLOTS], t2[DSR_SLOTS];

    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        make_backends(b, n + 1, 100);
        fresh(t, b, n);
        for (size_t r = 0; r < n; r++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (i != r) {
                    rest[m++] = b[i];
                }
            }
            memcpy(t2, t, sizeof t);
            slots_rebalance(t2, rest, m);
            ck_assert_uint_eq(moved(t, t2), count(t, r));
            for (size_t i = 0; i < m; i++) {
                size_t c = count(t2, rest[i].id);
                ck_assert(c == DSR_SLOTS / m || c == DSR_SLOTS / m + 1);
            }
        }
        memcpy(t2, t, sizeof t);
        slots_rebalance(t2, b, n + 1);
        ck_assert_uint_eq(moved(t, t2), count(t2, n));
        ck_assert_uint_le(count(t2, n), DSR_SLOTS / (n + 1) + 1);
    }
}
END_TEST

/* A fresh table depends on the backends, not on their order. */
START_TEST(test_order_independent)
{
    struct slots_backend b[16], reversed[16];
    uint32_t t[DSR_SLOTS], t2[DSR_SLOTS];

    make_backends(b, 16, 100);
    b[3].weight = 300;
    for (size_t i = 0; i < 16; i++) {
        reversed[i] = b[15 - i];
    }
    fresh(t, b, 16);
    fresh(t2, reversed, 16);
    ck_assert(!memcmp(t, t2, sizeof t));
}
END_TEST

/* Health: a down backend's slots, and only those, go elsewhere, and come
 * back when it recovers. */
START_TEST(test_effective)
{
    struct slots_backend b[16];
    uint32_t base[DSR_SLOTS], eff[DSR_SLOTS], back[DSR_SLOTS];

    make_backends(b, 16, 100);
    fresh(base, b, 16);
    slots_effective(base, DSR_SLOTS, b, 16, eff);
    ck_assert(!memcmp(base, eff, sizeof base));

    struct slots_backend up[15];
    memcpy(up, b, 5 * sizeof *b);
    memcpy(up + 5, b + 6, 10 * sizeof *b);
    slots_effective(base, DSR_SLOTS, up, 15, eff);
    ck_assert_uint_eq(moved(base, eff), count(base, 5));
    ck_assert_uint_eq(count(eff, 5), 0);

    slots_effective(base, DSR_SLOTS, b, 16, back);
    ck_assert(!memcmp(base, back, sizeof base));

    slots_effective(base, DSR_SLOTS, NULL, 0, eff);
    ck_assert_uint_eq(count(eff, DSR_SLOT_NONE), DSR_SLOTS);
}
END_TEST

/* The slots of an unusable backend go to the others by weight. */
START_TEST(test_effective_weights)
{
    struct slots_backend b[3];
    uint32_t base[DSR_SLOTS], eff[DSR_SLOTS];

    make_backends(b, 3, 100);
    b[2].weight = 300;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        base[s] = 0;            /* All of backend 0's, which fails. */
    }
    slots_effective(base, DSR_SLOTS, b + 1, 2, eff);
    ck_assert_uint_eq(count(eff, 0), 0);
    /* 1:3 of 256 is 64:192; rendezvous is random around it. */
    ck_assert_uint_ge(count(eff, 1), 40);
    ck_assert_uint_le(count(eff, 1), 90);
    ck_assert_uint_eq(count(eff, 1) + count(eff, 2), DSR_SLOTS);
}
END_TEST

CHECK_MAIN("slots",
           CHECK_TEST(test_balance),
           CHECK_TEST(test_weights),
           CHECK_TEST(test_minimal_disruption),
           CHECK_TEST(test_order_independent),
           CHECK_TEST(test_effective),
           CHECK_TEST(test_effective_weights))
