/* Prints the slot tables' properties (flows/slots.h) as a table: balance
 * with equal weights, the share of slots (and so of new connections'
 * hash values) that moves when a backend is removed, added, reweighted or
 * fails, against the share that must move, and how weights are honoured.
 * Computed on dsrd's own code; bench/hashing.sh checks the same on a real
 * switch.
 *
 * usage: slots-props */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include "flows/slots.h"
#include "util.h"

#define MAX_N 256

static void
make_backends(struct slots_backend *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (struct slots_backend) {
            .id = i, .key = 0x0a010000 + i * 7, .weight = 100,
        };
    }
}

static void
fresh(uint32_t *t, const struct slots_backend *b, size_t n)
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        t[s] = DSR_SLOT_NONE;
    }
    slots_rebalance(t, b, n);
}

static double
moved(const uint32_t *a, const uint32_t *b)
{
    size_t c = 0;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        c += a[s] != b[s];
    }
    return 100.0 * c / DSR_SLOTS;
}

static size_t
count(const uint32_t *t, uint32_t id)
{
    size_t c = 0;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        c += t[s] == id;
    }
    return c;
}

static void
remove_one(const struct slots_backend *b, size_t n, size_t r,
           struct slots_backend *out)
{
    memcpy(out, b, r * sizeof *b);
    memcpy(out + r, b + r + 1, (n - r - 1) * sizeof *b);
}

int
main(void)
{
    static const size_t sizes[] = { 4, 16, 64, 100, 256 };
    struct slots_backend b[MAX_N + 1], rest[MAX_N];
    uint32_t t[DSR_SLOTS], t2[DSR_SLOTS];

    printf("%d slots per service.  Moved shares in %% of slots; 'worst' is "
           "over every choice of backend.\n\n", DSR_SLOTS);
    printf("%5s %8s | %-22s | %-22s | %-22s\n", "N", "max/mean",
           "remove 1: ideal worst", "add 1: ideal worst",
           "fail 1: ideal worst");
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        size_t max = 0;
        double rm_worst = 0, rm_ideal = 0, fail_worst = 0, fail_ideal = 0;

        make_backends(b, n + 1);
        fresh(t, b, n);
        for (size_t i = 0; i < n; i++) {
            max = MAX(max, count(t, i));
        }
        for (size_t r = 0; r < n; r++) {
            double own = 100.0 * count(t, r) / DSR_SLOTS;

            remove_one(b, n, r, rest);
            memcpy(t2, t, sizeof t);
            slots_rebalance(t2, rest, n - 1);
            rm_worst = MAX(rm_worst, moved(t, t2) - own);
            rm_ideal = MAX(rm_ideal, own);

            slots_effective(t, DSR_SLOTS, rest, n - 1, t2);
            fail_worst = MAX(fail_worst, moved(t, t2) - own);
            fail_ideal = MAX(fail_ideal, own);
        }
        memcpy(t2, t, sizeof t);
        slots_rebalance(t2, b, n + 1);
        if (n + 1 > DSR_SLOTS) {
            printf("%5zu %8.3f | %6.2f +%5.2f extra   | %-22s | %6.2f +%5.2f "
                   "extra\n", n, max * (double) n / DSR_SLOTS, rm_ideal,
                   rm_worst, "n/a (more than 256)", fail_ideal, fail_worst);
            continue;
        }
        printf("%5zu %8.3f | %6.2f +%5.2f extra   | %6.2f  %6.2f moved  | "
               "%6.2f +%5.2f extra\n", n, max * (double) n / DSR_SLOTS,
               rm_ideal, rm_worst, 100.0 / (n + 1), moved(t, t2),
               fail_ideal, fail_worst);
    }

    printf("\nweights (share of slots vs share of weight):\n");
    static const uint32_t weights[][4] = {
        { 100, 200, 0, 0 }, { 1, 2, 3, 4 }, { 100, 100, 100, 300 },
        { 10, 1000, 0, 0 },
    };
    for (size_t k = 0; k < ARRAY_SIZE(weights); k++) {
        size_t n = 0;
        uint32_t total = 0;
        for (; n < 4 && weights[k][n]; n++) {
            total += weights[k][n];
        }
        make_backends(b, n);
        for (size_t i = 0; i < n; i++) {
            b[i].weight = weights[k][i];
        }
        fresh(t, b, n);
        for (size_t i = 0; i < n; i++) {
            double want = 100.0 * b[i].weight / total;
            double got = 100.0 * count(t, i) / DSR_SLOTS;
            printf("  weight %5"PRIu32": %6.2f%% of slots, %6.2f%% wanted "
                   "(%+.1f%% relative)\n", b[i].weight, got, want,
                   100.0 * (got - want) / want);
        }
        printf("\n");
    }

    make_backends(b, 4);
    fresh(t, b, 4);
    memcpy(t2, t, sizeof t);
    b[0].weight = 200;
    slots_rebalance(t2, b, 4);
    printf("weight change 100 -> 200 of 1 of 4: %.2f%% moved, %.2f%% "
           "required\n", moved(t, t2), 100.0 * (2.0 / 5 - 1.0 / 4));
    return 0;
}
