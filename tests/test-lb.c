/* Unit tests: which backends of a service take new connections, which
 * keep their pinned ones, and what each slot holds as a result
 * (controller/lb-slots.c): drained, down, disabled and undeliverable
 * backends, weights, and a service whose backends are all down. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <string.h>
#include "controller/lb-slots.h"
#include "util.h"

#define N_BACKENDS 3

/* 10.0.0.11 + i, bucket i, MAC aa:00:00:00:00:0i. */
static ovs_be32
backend_ip(size_t i)
{
    return htonl(0x0a00000b + i);
}

/* A service's backends, all active and deliverable, weight 100, and the
 * operator's table for them in 'base'. */
static void
make_service(struct lb_backend_view v[N_BACKENDS], uint32_t base[DSR_SLOTS])
{
    struct slots_backend sb[N_BACKENDS];

    memset(v, 0, N_BACKENDS * sizeof *v);
    for (size_t i = 0; i < N_BACKENDS; i++) {
        v[i].ip = backend_ip(i);
        v[i].id = i;
        v[i].weight = 100;
        v[i].state = DSR_BACKEND_ACTIVE;
        v[i].deliverable = true;
        v[i].mac = eth_addr_zero;
        v[i].mac.ea[0] = 0xaa;
        v[i].mac.ea[5] = i;
        sb[i] = (struct slots_backend) {
            .id = i, .key = ntohl(v[i].ip), .weight = v[i].weight,
        };
    }
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        base[s] = DSR_SLOT_NONE;
    }
    slots_rebalance(base, sb, N_BACKENDS);
}

static size_t
count_slots(const struct lb_slots *slots, ovs_be32 ip)
{
    size_t n = 0;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        n += slots->slot_ips[s] == ip;
    }
    return n;
}

static const struct pipeline_backend *
find_reachable(const struct lb_slots *slots, ovs_be32 ip)
{
    for (size_t i = 0; i < slots->n_reachable; i++) {
        if (slots->reachable[i].ip == ip) {
            return &slots->reachable[i];
        }
    }
    return NULL;
}

/* Every slot whose operator's backend is not 'gone' still holds it: a
 * backend leaving moves only its own slots. */
static void
assert_others_kept(const uint32_t base[DSR_SLOTS],
                   const struct lb_slots *slots, uint32_t gone)
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (base[s] != gone) {
            ck_assert_uint_eq(ntohl(slots->slot_ips[s]),
                              ntohl(backend_ip(base[s])));
        }
    }
}

START_TEST(test_all_active_follow_the_table)
{
    struct lb_backend_view v[N_BACKENDS];
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    make_service(v, base);
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
    ck_assert_uint_eq(slots.n_usable, N_BACKENDS);
    ck_assert_uint_eq(slots.n_reachable, N_BACKENDS);
    assert_others_kept(base, &slots, DSR_SLOT_NONE);
    for (size_t i = 0; i < N_BACKENDS; i++) {
        ck_assert(lb_slots_is_usable(&slots, i));
        const struct pipeline_backend *r = find_reachable(&slots,
                                                          backend_ip(i));
        ck_assert(r && r->has_mac);
        ck_assert(eth_addr_equals(r->mac, v[i].mac));
    }
    ck_assert(!lb_slots_is_usable(&slots, N_BACKENDS));
    lb_slots_destroy(&slots);
}
END_TEST

/* A drained backend leaves the slots but keeps its pinned connections. */
START_TEST(test_drained_keeps_pins_only)
{
    struct lb_backend_view v[N_BACKENDS];
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    make_service(v, base);
    v[1].state = DSR_BACKEND_DRAIN;
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
    ck_assert_uint_eq(count_slots(&slots, backend_ip(1)), 0);
    ck_assert(!lb_slots_is_usable(&slots, 1));
    ck_assert_uint_eq(slots.n_reachable, N_BACKENDS);
    ck_assert(find_reachable(&slots, backend_ip(1))->has_mac);
    assert_others_kept(base, &slots, 1);
    ck_assert_uint_eq(count_slots(&slots, backend_ip(0))
                      + count_slots(&slots, backend_ip(2)), DSR_SLOTS);
    lb_slots_destroy(&slots);
}
END_TEST

/* A backend that is down, or disabled, leaves the slots and its pins:
 * its connections are placed again. */
START_TEST(test_down_and_disabled_leave)
{
    for (int disabled = 0; disabled <= 1; disabled++) {
        struct lb_backend_view v[N_BACKENDS];
        uint32_t base[DSR_SLOTS];
        struct lb_slots slots;

        make_service(v, base);
        if (disabled) {
            v[2].state = DSR_BACKEND_DISABLED;
        } else {
            v[2].down = true;
        }
        lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
        ck_assert_uint_eq(count_slots(&slots, backend_ip(2)), 0);
        ck_assert(!find_reachable(&slots, backend_ip(2)));
        ck_assert_uint_eq(slots.n_reachable, 2);
        ck_assert_uint_eq(slots.n_usable, 2);
        assert_others_kept(base, &slots, 2);
        lb_slots_destroy(&slots);
    }
}
END_TEST

/* A backend whose MAC (or tunnel port) is not known yet takes no new
 * connections, and its pinned ones wait (drop) rather than move. */
START_TEST(test_undeliverable_waits)
{
    struct lb_backend_view v[N_BACKENDS];
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    make_service(v, base);
    v[0].deliverable = false;
    v[0].mac = eth_addr_zero;
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
    ck_assert_uint_eq(count_slots(&slots, backend_ip(0)), 0);
    const struct pipeline_backend *r = find_reachable(&slots, backend_ip(0));
    ck_assert(r && !r->has_mac);
    assert_others_kept(base, &slots, 0);
    lb_slots_destroy(&slots);
}
END_TEST

/* All down: "drop" empties every slot; "keep" (fail static) keeps what
 * the operator's states allow, ignoring health. */
START_TEST(test_all_down)
{
    struct lb_backend_view v[N_BACKENDS];
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    make_service(v, base);
    for (size_t i = 0; i < N_BACKENDS; i++) {
        v[i].down = true;
    }
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
    ck_assert_uint_eq(count_slots(&slots, 0), DSR_SLOTS);
    ck_assert_uint_eq(slots.n_usable, 0);
    ck_assert_uint_eq(slots.n_reachable, 0);
    lb_slots_destroy(&slots);

    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_KEEP, &slots);
    ck_assert_uint_eq(slots.n_usable, N_BACKENDS);
    ck_assert_uint_eq(slots.n_reachable, N_BACKENDS);
    assert_others_kept(base, &slots, DSR_SLOT_NONE);
    lb_slots_destroy(&slots);

    v[1].state = DSR_BACKEND_DRAIN;
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_KEEP, &slots);
    ck_assert_uint_eq(count_slots(&slots, backend_ip(1)), 0);
    ck_assert_uint_eq(slots.n_reachable, N_BACKENDS);
    assert_others_kept(base, &slots, 1);
    lb_slots_destroy(&slots);

    /* One backend up: "keep" changes nothing, the others stay out. */
    v[1].state = DSR_BACKEND_ACTIVE;
    v[0].down = false;
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_KEEP, &slots);
    ck_assert_uint_eq(count_slots(&slots, backend_ip(0)), DSR_SLOTS);
    ck_assert_uint_eq(slots.n_reachable, 1);
    lb_slots_destroy(&slots);
}
END_TEST

/* The slots a backend gives up go to the others by their weights. */
START_TEST(test_weights)
{
    struct lb_backend_view v[N_BACKENDS];
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    make_service(v, base);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        base[s] = 0;            /* All of backend 0's, which drains. */
    }
    v[0].state = DSR_BACKEND_DRAIN;
    v[2].weight = 300;
    lb_slots_compute(base, DSR_SLOTS, v, N_BACKENDS, DSR_ALL_DOWN_DROP,
                     &slots);
    /* 1:3 of 256 is 64:192; rendezvous is random around it. */
    size_t n1 = count_slots(&slots, backend_ip(1));
    ck_assert_uint_ge(n1, 40);
    ck_assert_uint_le(n1, 90);
    ck_assert_uint_eq(n1 + count_slots(&slots, backend_ip(2)), DSR_SLOTS);
    lb_slots_destroy(&slots);
}
END_TEST

START_TEST(test_no_backends_drop)
{
    uint32_t base[DSR_SLOTS];
    struct lb_slots slots;

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        base[s] = DSR_SLOT_NONE;
    }
    lb_slots_compute(base, DSR_SLOTS, NULL, 0, DSR_ALL_DOWN_KEEP, &slots);
    ck_assert_uint_eq(count_slots(&slots, 0), DSR_SLOTS);
    ck_assert_uint_eq(slots.n_reachable, 0);
    ck_assert(!lb_slots_is_usable(&slots, 0));
    lb_slots_destroy(&slots);
}
END_TEST

CHECK_MAIN("lb",
           CHECK_TEST(test_all_active_follow_the_table),
           CHECK_TEST(test_drained_keeps_pins_only),
           CHECK_TEST(test_down_and_disabled_leave),
           CHECK_TEST(test_undeliverable_waits),
           CHECK_TEST(test_all_down),
           CHECK_TEST(test_weights),
           CHECK_TEST(test_no_backends_drop))
