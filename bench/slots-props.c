/* Prints the slot tables' properties (flows/slots.h) against issue 20's
 * goals, PASS or MISS beside each: balance with equal weights, the share
 * of new connections' hash values that moves when a backend is removed,
 * added or fails against the share that must move, how weights are
 * honoured, the changes between coarse (256-entry) and fine (65,536-entry)
 * tables, the runs and sub-slot flows a fine table costs, and how long
 * slots_update() takes.  Tables are built as dsrd builds them, through
 * slots_update() with fine tables allowed, and compared over the 65,536
 * values of dp_hash's low 16 bits (a coarse slot is 256 of them).
 * Computed on dsrd's own code; bench/hashing.sh checks a real switch.
 *
 * usage: slots-props */
#include <config.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "flows/slots.h"
#include "flows/slots-compact.h"
#include "util.h"

#define MAX_N 1000
#define SUB (DSR_SLOTS_FINE / DSR_SLOTS)
#define VALUES DSR_SLOTS_FINE   /* dp_hash bits 0 to 15. */

/* A service's operator table as slots_update() keeps it. */
struct table {
    uint32_t *e;
    size_t n;                   /* DSR_SLOTS or DSR_SLOTS_FINE. */
};

static const char *
verdict(bool pass)
{
    return pass ? "PASS" : "MISS";
}

/* Backend i: bucket id i, so ids index arrays of counts. */
static void
make_backends(struct slots_backend *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        b[i] = (struct slots_backend) {
            .id = i, .key = 0x0a010000 + i * 7, .weight = 100,
        };
    }
}

/* 'b' without backend 'r', whose place the last one takes: the order of
 * backends does not matter (tests/test-slots.c checks that it does
 * not). */
static void
remove_one(const struct slots_backend *b, size_t n, size_t r,
           struct slots_backend *out)
{
    memcpy(out, b, (n - 1) * sizeof *b);
    if (r < n - 1) {
        out[r] = b[n - 1];
    }
}

static void
update(struct table *t, const struct slots_backend *b, size_t n,
       bool allow_fine)
{
    t->n = slots_update(&t->e, t->n, b, n, allow_fine);
}

/* A new service's table. */
static struct table
fresh(const struct slots_backend *b, size_t n, bool allow_fine)
{
    struct table t = { xmalloc(DSR_SLOTS * sizeof *t.e), DSR_SLOTS };

    for (size_t s = 0; s < DSR_SLOTS; s++) {
        t.e[s] = DSR_SLOT_NONE;
    }
    update(&t, b, n, allow_fine);
    return t;
}

static struct table
copy_table(const struct table *t)
{
    return (struct table) { xmemdup(t->e, t->n * sizeof *t->e), t->n };
}

/* The backend hash value 'v' goes to. */
static uint32_t
owner(const struct table *t, size_t v)
{
    return t->n == DSR_SLOTS_FINE ? t->e[v] : t->e[v / SUB];
}

/* How many hash values each backend with an id below 'n_ids' gets. */
static void
count_values(const struct table *t, size_t *cnt, size_t n_ids)
{
    memset(cnt, 0, n_ids * sizeof *cnt);
    for (size_t v = 0; v < VALUES; v++) {
        uint32_t id = owner(t, v);
        if (id < n_ids) {
            cnt[id]++;
        }
    }
}

static size_t
moved(const struct table *a, const struct table *b)
{
    size_t c = 0;

    for (size_t v = 0; v < VALUES; v++) {
        c += owner(a, v) != owner(b, v);
    }
    return c;
}

static double
pct(double values)
{
    return 100.0 * values / VALUES;
}

/* The largest share over the mean, backends 0...n-1 of equal weight. */
static double
max_mean(const struct table *t, size_t n)
{
    size_t cnt[MAX_N + 1], max = 0;

    count_values(t, cnt, n);
    for (size_t i = 0; i < n; i++) {
        max = MAX(max, cnt[i]);
    }
    return (double) max * n / VALUES;
}

/* Balance and moved shares. */

/* One line of the equal-weight table; shares in hash values. */
struct row {
    double max_mean;
    size_t own;                 /* The largest share of one backend. */
    size_t rm_extra;            /* Worst over the backend removed. */
    size_t fail_extra;          /* Worst over the backend that fails. */
    size_t add_moved, add_own;  /* Adding backend n. */
};

/* The values that move beyond the 'own' that must when 'rest' replaces
 * 't''s backends, in the operator's table and in the effective one. */
static void
measure_removal(const struct table *t, const struct slots_backend *rest,
                size_t n, size_t own, struct row *row)
{
    struct table t2 = copy_table(t);
    struct table eff = { xmalloc(t->n * sizeof *eff.e), t->n };

    update(&t2, rest, n, true);
    size_t extra = moved(t, &t2) - own;
    row->rm_extra = MAX(row->rm_extra, extra);

    slots_effective(t->e, t->n, rest, n, eff.e);
    extra = moved(t, &eff) - own;
    row->fail_extra = MAX(row->fail_extra, extra);
    free(t2.e);
    free(eff.e);
}

/* Removing, then failing, each backend of 't' in turn (25 of them,
 * evenly spread, when there are more than 100: each costs up to 10 ms at
 * N = 1000). */
static void
measure_removals(const struct table *t, const struct slots_backend *b,
                 size_t n, struct row *row)
{
    struct slots_backend rest[MAX_N];
    size_t cnt[MAX_N + 1];
    size_t n_tried = n <= 100 ? n : 25;

    count_values(t, cnt, n);
    for (size_t k = 0; k < n_tried; k++) {
        size_t r = k * n / n_tried;

        remove_one(b, n, r, rest);
        row->own = MAX(row->own, cnt[r]);
        measure_removal(t, rest, n - 1, cnt[r], row);
    }
}

static void
measure_add(const struct table *t, const struct slots_backend *b, size_t n,
            struct row *row)
{
    size_t cnt[MAX_N + 2];
    struct table t2 = copy_table(t);

    update(&t2, b, n + 1, true);
    count_values(&t2, cnt, n + 1);
    row->add_moved = moved(t, &t2);
    row->add_own = cnt[n];
    free(t2.e);
}

static bool
print_row(size_t n, size_t size, const struct row *row)
{
    size_t add_extra = row->add_moved - row->add_own;
    bool pass = (row->max_mean <= 1.05 && !row->rm_extra && !add_extra
                 && !row->fail_extra);

    printf("%5zu %5zu %8.3f | %6.2f +%-4zu | %6.2f %6.2f +%-4zu | "
           "%6.2f +%-4zu | %s\n", n, size, row->max_mean, pct(row->own),
           row->rm_extra, pct(VALUES / (n + 1.0)), pct(row->add_moved),
           add_extra, pct(row->own), row->fail_extra, verdict(pass));
    return pass;
}

static bool
print_balance_table(void)
{
    static const size_t sizes[] = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        20, 50, 64, 100, 200, 256, 257, 300, 500, 1000,
    };
    struct slots_backend b[MAX_N + 1];
    bool pass = true;

    printf("Equal weights.  Shares in %% of the 65,536 hash values, extras "
           "in hash values\n(a coarse slot is 256 of them); the worst "
           "over every choice of the backend\nremoved or failed (25 evenly "
           "spread for N > 100).\nGoal: max/mean <= 1.05, +0 extra.\n\n");
    printf("%5s %5s %8s | %-12s | %-19s | %-12s | %s\n", "N", "table",
           "max/mean", "remove 1", "add 1", "fail 1", "goal");
    printf("%5s %5s %8s | %6s %-5s | %6s %6s %-5s | %6s %-5s |\n", "", "",
           "", "own", "extra", "ideal", "moved", "extra", "own", "extra");
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        struct row row = { 0, 0, 0, 0, 0, 0 };

        make_backends(b, n + 1);
        struct table t = fresh(b, n, true);
        row.max_mean = max_mean(&t, n);
        measure_removals(&t, b, n, &row);
        measure_add(&t, b, n, &row);
        pass &= print_row(n, t.n, &row);
        free(t.e);
    }
    return pass;
}

/* Balance at every N up to MAX_N. */
static bool
print_every_n(void)
{
    struct slots_backend b[MAX_N];
    double worst = 0;
    size_t worst_n = 0, n_fine = 0;

    make_backends(b, MAX_N);
    for (size_t n = 1; n <= MAX_N; n++) {
        struct table t = fresh(b, n, true);
        double mm = max_mean(&t, n);

        if (mm > worst) {
            worst = mm;
            worst_n = n;
        }
        n_fine += t.n == DSR_SLOTS_FINE;
        free(t.e);
    }
    printf("\nevery N from 1 to %d: worst max/mean %.4f (N = %zu), %zu fine "
           "tables,\n%zu coarse; goal <= 1.05: %s\n", MAX_N, worst, worst_n,
           n_fine, MAX_N - n_fine, verdict(worst <= 1.05));
    return worst <= 1.05;
}

/* Weights. */

/* A share's error relative to its weight's share, in %. */
static double
rel_error(size_t got, uint32_t weight, uint64_t total)
{
    double want = (double) VALUES * weight / total;

    return 100.0 * (got - want) / want;
}

/* Whether a share is big enough for the 1 % goal: at least 0.5 %. */
static bool
share_has_goal(uint32_t weight, uint64_t total)
{
    return weight * UINT64_C(200) >= total;
}

static uint64_t
total_weight(const struct slots_backend *b, size_t n)
{
    uint64_t total = 0;

    for (size_t i = 0; i < n; i++) {
        total += b[i].weight;
    }
    return total;
}

/* One line per weight; returns the worst error among shares with a
 * goal. */
static double
print_weight_mix(const uint32_t *weights, size_t n)
{
    struct slots_backend b[8] = { { .id = 0 } };
    size_t cnt[8];
    double worst = 0;

    make_backends(b, n);
    for (size_t i = 0; i < n; i++) {
        b[i].weight = weights[i];
    }
    uint64_t total = total_weight(b, n);
    struct table t = fresh(b, n, true);
    count_values(&t, cnt, n);
    printf("  %zu backends, %zu entries:\n", n, t.n);
    for (size_t i = 0; i < n; i++) {
        double err = rel_error(cnt[i], b[i].weight, total);
        bool goal = share_has_goal(b[i].weight, total);

        printf("    weight %5"PRIu32": %6.2f%% got, %6.2f%% wanted (%+.2f%% "
               "relative)  %s\n", b[i].weight, pct(cnt[i]),
               100.0 * b[i].weight / total, err,
               goal ? verdict(err <= 1 && err >= -1) : "(no goal)");
        if (goal) {
            worst = MAX(worst, fabs(err));
        }
    }
    free(t.e);
    return worst;
}

/* 'n' backends weighted 1 to 1000, deterministically from 'seed'. */
static void
mixed_weights(struct slots_backend *b, size_t n, uint64_t seed)
{
    make_backends(b, n);
    for (size_t i = 0; i < n; i++) {
        b[i].weight = 1 + slots_hash(seed, i) % 1000;
    }
}

/* One line per mix: its shares of 0.5 % or more and their worst error,
 * and how far any share is from its weight's, in entries of its table
 * (under one: largest remainder). */
static double
print_mixed(size_t n, uint64_t seed)
{
    struct slots_backend b[MAX_N] = { { .id = 0 } };
    size_t cnt[MAX_N], n_goal = 0;
    double worst = 0, off = 0;

    mixed_weights(b, n, seed);
    uint64_t total = total_weight(b, n);
    struct table t = fresh(b, n, true);
    count_values(&t, cnt, n);
    for (size_t i = 0; i < n; i++) {
        double err = fabs(rel_error(cnt[i], b[i].weight, total));
        double want = (double) VALUES * b[i].weight / total;

        off = MAX(off, fabs(cnt[i] - want) * t.n / VALUES);
        if (share_has_goal(b[i].weight, total)) {
            n_goal++;
            worst = MAX(worst, err);
        }
    }
    printf("%7zu %5"PRIu64" %6zu %7zu %7.3f%% %9.3f  %s\n", n, seed, t.n,
           n_goal, worst, off, n_goal ? verdict(worst <= 1) : "-");
    free(t.e);
    return worst;
}

/* A weight change moves exactly the difference in the changed backend's
 * share: the others only give. */
static bool
print_weight_change(size_t n)
{
    struct slots_backend b[5];
    size_t before[5], after[5];

    make_backends(b, n);
    struct table t = fresh(b, n, true);
    struct table t2 = copy_table(&t);
    b[0].weight = 200;
    update(&t2, b, n, true);
    count_values(&t, before, n);
    count_values(&t2, after, n);

    size_t m = moved(&t, &t2);
    printf("1 of %zu from weight 100 to 200: %.2f%% moved, %.2f%% needed "
           "(%zu entries)  %s\n", n, pct(m), pct(after[0] - before[0]),
           t2.n, verdict(m == after[0] - before[0]));
    free(t.e);
    free(t2.e);
    return m == after[0] - before[0];
}

static bool
print_weights(void)
{
    static const uint32_t mixes[][4] = {
        { 100, 200 }, { 1, 2, 3, 4 }, { 100, 100, 100, 300 }, { 10, 1000 },
        { 1, 1000 },
    };
    static const size_t mixed[] = { 3, 10, 50, 100, 300, 1000 };
    double worst = 0;

    printf("\nweights (share of hash values vs share of weight; goal: "
           "within 1 %% relative\nfor shares of 0.5 %% or more):\n");
    for (size_t k = 0; k < ARRAY_SIZE(mixes); k++) {
        size_t n = 0;
        while (n < 4 && mixes[k][n]) {
            n++;
        }
        double err = print_weight_mix(mixes[k], n);
        worst = MAX(worst, err);
    }
    printf("  weights 1..1000 from a hash of a seed: the shares of 0.5 %% or "
           "more,\n  their worst error, and the most any share is off, in "
           "entries of its table:\n%7s %5s %6s %7s %8s %9s\n", "N", "seed",
           "table", "shares", "worst", "off");
    for (size_t k = 0; k < ARRAY_SIZE(mixed); k++) {
        for (uint64_t seed = 1; seed <= 3; seed++) {
            double err = print_mixed(mixed[k], seed);
            worst = MAX(worst, err);
        }
    }
    printf("worst error of a share of 0.5 %% or more: %.3f%%; goal <= 1 %%: "
           "%s\n", worst, verdict(worst <= 1));
    printf("\n");
    bool pass = print_weight_change(4);
    pass &= print_weight_change(5);
    return pass && worst <= 1;
}

/* Runs and sub-slot flows. */

/* What a table costs: its runs (maximal ranges of equal entries), and
 * for a fine one the slots split among backends, the aligned blocks of
 * sub-slots that cover their runs (one sub-slot prefix each) and table
 * 25's flows. */
struct cost {
    size_t runs, max_runs;      /* In all; of the backend with most. */
    size_t split, blocks, flows;
};

static struct cost
table_cost(const struct table *t, size_t n_ids)
{
    struct cost c = { 0, 0, 0, 0, 0 };
    size_t *runs = xcalloc(n_ids, sizeof *runs);

    for (size_t v = 0; v < VALUES; v++) {
        uint32_t id = owner(t, v);
        if ((!v || id != owner(t, v - 1)) && id < n_ids) {
            c.runs++;
            runs[id]++;
            c.max_runs = MAX(c.max_runs, runs[id]);
        }
    }
    for (size_t s = 0; t->n == DSR_SLOTS_FINE && s < DSR_SLOTS; s++) {
        size_t flows = slots_subslot_flows(&t->e[s * SUB]);
        if (flows) {
            c.split++;
            c.flows += flows;
            c.blocks += slots_subslot_blocks(&t->e[s * SUB]);
        }
    }
    free(runs);
    return c;
}

/* The goal: table 25's flows grow with the backends, not with the table:
 * a split slot's tree costs at most 2 x 8 + 1 flows, and a backend should
 * split about one slot. */
#define FLOWS_PER_BACKEND 16

static bool
print_cost(size_t n, const char *what, const struct table *t,
           size_t n_ids, bool goal)
{
    struct cost c = table_cost(t, n_ids);
    bool pass = c.flows <= FLOWS_PER_BACKEND * n;

    printf("%5zu  %-16s %6zu %6zu %5zu %6zu %7zu %7zu  %s\n", n, what, t->n,
           c.runs, c.max_runs, c.split, c.blocks, c.flows,
           goal ? verdict(pass) : "");
    return !goal || pass;
}

/* Entries that must change owner from 'a' to 'b': what the backends
 * that grew gained. */
static size_t
required(const struct table *a, const struct table *b, size_t n_ids)
{
    size_t *ca = xmalloc(n_ids * sizeof *ca);
    size_t *cb = xmalloc(n_ids * sizeof *cb);
    size_t r = 0;

    count_values(a, ca, n_ids);
    count_values(b, cb, n_ids);
    for (size_t i = 0; i < n_ids; i++) {
        r += cb[i] > ca[i] ? cb[i] - ca[i] : 0;
    }
    free(ca);
    free(cb);
    return r;
}

/* 1,000 changes of a random backend's weight (50 to 200), as an operator
 * or an autoscaler makes them: the flows must not grow with the history.
 * slots_compact() re-lays a table past SLOTS_COMPACT_BUDGET flows a
 * backend, which moves more than the shares require: how often, and how
 * much more. */
static bool
print_churn(size_t n, const struct table *start,
            const struct slots_backend *b0)
{
    struct slots_backend b[MAX_N];
    struct table t = copy_table(start);
    size_t max_flows = 0, compactions = 0, need = 0, extra = 0;
    uint32_t rng = 1;

    memcpy(b, b0, n * sizeof *b);
    for (size_t k = 0; k < 1000; k++) {
        struct table before = copy_table(&t);
        rng = rng * 1103515245 + 12345;
        b[(rng >> 8) % n].weight = 50 + (rng >> 20) % 151;
        update(&t, b, n, true);
        size_t r = required(&before, &t, n + 1), m = moved(&before, &t);
        need += r;
        extra += m - r;
        compactions += m > r;
        max_flows = MAX(max_flows, table_cost(&t, n + 1).flows);
        free(before.e);
    }
    print_cost(n, "1000 weights", &t, n + 1, false);
    bool bounded = max_flows <= SLOTS_COMPACT_BUDGET * n;
    printf("%5zu  %-16s %35s %7zu  %s\n", n, "  most, any step", "",
           max_flows, verdict(bounded));
    printf("%5s  %zu re-layouts moved %.2f%% of values beyond the %.2f%% the "
           "shares required\n", "", compactions, pct(extra), pct(need));
    free(t.e);
    return bounded;
}

/* Fresh, 1 down (the table OVS gets), 1 removed, then 1 added, and a
 * fresh table after 1,000 weight changes. */
static bool
print_costs_at(size_t n)
{
    struct slots_backend b[MAX_N + 1], rest[MAX_N];
    size_t r = n / 2;

    make_backends(b, n + 1);
    remove_one(b, n, r, rest);
    struct table t = fresh(b, n, true);
    bool pass = print_cost(n, "fresh", &t, n + 1, true);
    pass &= print_churn(n, &t, b);

    struct table eff = { xmalloc(t.n * sizeof *eff.e), t.n };
    slots_effective(t.e, t.n, rest, n - 1, eff.e);
    print_cost(n, "1 down", &eff, n + 1, false);

    update(&t, rest, n - 1, true);
    print_cost(n, "1 removed", &t, n + 1, false);
    rest[n - 1] = b[n];
    update(&t, rest, n, true);
    print_cost(n, "1 removed, 1 in", &t, n + 1, false);
    free(eff.e);
    free(t.e);
    return pass;
}

static bool
print_costs(void)
{
    printf("\nruns (maximal ranges of equal entries) and sub-slot flows: "
           "split slots, the\naligned blocks of sub-slots that cover their "
           "runs (a sub-slot prefix each),\nand table 25's flows "
           "(pipeline-slots.c: a tree over the sub-slot's bits, 2 x\n"
           "blocks - 1 a split slot).  The middle backend goes; goals: at "
           "most %d flows a\nbackend fresh, and %d at every step of 1,000 "
           "weight changes.\n\n", FLOWS_PER_BACKEND, SLOTS_COMPACT_BUDGET);
    printf("%5s  %-16s %6s %6s %5s %6s %7s %7s\n", "N", "table", "size",
           "runs", "max/1", "split", "blocks", "flows");
    bool pass = print_costs_at(5);
    pass &= print_costs_at(100);
    pass &= print_costs_at(1000);
    return pass;
}

/* Coarse and fine. */

/* 4 backends fit 256 slots, 5 do not: the fifth makes the table fine and
 * takes its share; its removal gives that share back (the table becomes
 * coarse again only if every slot is whole). */
static bool
print_grow_shrink(void)
{
    struct slots_backend b[5];
    size_t cnt[5];

    make_backends(b, 5);
    struct table t4 = fresh(b, 4, true);
    struct table t5 = copy_table(&t4);
    update(&t5, b, 5, true);
    count_values(&t5, cnt, 5);
    bool grow = t4.n == DSR_SLOTS && t5.n == DSR_SLOTS_FINE
                && moved(&t4, &t5) == cnt[4];
    printf("  4 -> 5 backends, %zu -> %zu entries: %.3f%% moved, its share "
           "%.3f%%  %s\n", t4.n, t5.n, pct(moved(&t4, &t5)), pct(cnt[4]),
           verdict(grow));

    struct table t = copy_table(&t5);
    update(&t, b, 4, true);
    struct cost c = table_cost(&t, 5);
    bool shrink = moved(&t5, &t) == cnt[4] && (t.n == DSR_SLOTS || c.split);
    printf("  5 -> 4, %zu -> %zu entries: %.3f%% moved, its share %.3f%%  "
           "%s\n      (%zu slots split; %.2f%% of values differ from the "
           "4-backend table)\n", t5.n, t.n, pct(moved(&t5, &t)),
           pct(cnt[4]), verdict(shrink), c.split, pct(moved(&t4, &t)));
    free(t4.e);
    free(t5.e);
    free(t.e);
    return grow && shrink;
}

/* A change that leaves every slot whole makes the table coarse, holding
 * in each slot what the fine table would have held. */
static bool
print_collapse(const char *what, const struct slots_backend *b0,
               const struct slots_backend *b, size_t n)
{
    struct table t = fresh(b0, 2, true);
    struct table ref = copy_table(&t);
    size_t before = t.n;

    slots_rebalance_fine(ref.e, b, n);
    update(&t, b, n, true);
    bool pass = (before == DSR_SLOTS_FINE && t.n == DSR_SLOTS
                 && !moved(&t, &ref));
    printf("  %s: %zu -> %zu entries, as the fine table said  %s\n",
           what, before, t.n, verdict(pass));
    free(ref.e);
    free(t.e);
    return pass;
}

/* Without fine tables a service keeps 256 slots, whatever it has. */
static bool
print_no_fine(size_t n)
{
    struct slots_backend b[MAX_N];
    size_t cnt[MAX_N], holding = 0;

    make_backends(b, n);
    struct table t = fresh(b, n, true);
    size_t before = t.n;
    update(&t, b, n, false);
    count_values(&t, cnt, n);
    for (size_t i = 0; i < n; i++) {
        holding += cnt[i] > 0;
    }
    printf("  no fine tables, %zu backends, %zu -> %zu entries: %zu hold "
           "slots  %s\n", n, before, t.n, holding,
           verdict(t.n == DSR_SLOTS));
    free(t.e);
    return t.n == DSR_SLOTS;
}

static bool
print_transitions(void)
{
    struct slots_backend b0[2], b[2];

    printf("\ncoarse and fine tables:\n");
    bool pass = print_grow_shrink();
    make_backends(b0, 2);
    b0[0].weight = 1000;
    b0[1].weight = 10;
    pass &= print_collapse("1000:10, the 10 removed", b0, b0, 1);
    memcpy(b, b0, sizeof b);
    b[1].weight = 1000;
    pass &= print_collapse("1000:10 -> 1000:1000", b0, b, 2);
    pass &= print_no_fine(5);
    pass &= print_no_fine(300);
    return pass;
}

/* Time. */

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Keeps in '*best' the shortest time since 'start'. */
static void
lap(double *best, double start)
{
    double ms = now_ms() - start;

    *best = MIN(*best, ms);
}

/* 'rest' := 'b' (n of them) but every other one: half a pool down. */
static size_t
every_other(const struct slots_backend *b, size_t n,
            struct slots_backend *rest)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i += 2) {
        rest[k++] = b[i];
    }
    return k;
}

/* Best of 5: a fresh table of MAX_N, one of them removed, one of them
 * down, half of them down (a rack's worth failing, or a fresh switch's
 * pool half resolved). */
static void
print_speed(void)
{
    struct slots_backend b[MAX_N], rest[MAX_N], half[MAX_N];
    double fresh_ms = 1e9, remove_ms = 1e9, down_ms = 1e9, half_ms = 1e9;
    size_t n_half;

    make_backends(b, MAX_N);
    n_half = every_other(b, MAX_N, half);
    remove_one(b, MAX_N, MAX_N / 2, rest);
    for (int k = 0; k < 5; k++) {
        double start = now_ms();
        struct table t = fresh(b, MAX_N, true);
        lap(&fresh_ms, start);

        uint32_t *eff = xmalloc(t.n * sizeof *eff);
        start = now_ms();
        slots_effective(t.e, t.n, rest, MAX_N - 1, eff);
        lap(&down_ms, start);

        start = now_ms();
        slots_effective(t.e, t.n, half, n_half, eff);
        lap(&half_ms, start);

        start = now_ms();
        update(&t, rest, MAX_N - 1, true);
        lap(&remove_ms, start);
        free(eff);
        free(t.e);
    }
    printf("\ntime (informational, best of 5):\n"
           "  slots_update(), a fresh table of %d backends: %.2f ms\n"
           "  slots_update(), 1 of %d removed: %.2f ms\n"
           "  slots_effective(), 1 of %d down: %.2f ms\n"
           "  slots_effective(), %zu of %d down: %.2f ms\n", MAX_N,
           fresh_ms, MAX_N, remove_ms, MAX_N, down_ms, MAX_N - n_half,
           MAX_N, half_ms);
}

int
main(void)
{
    bool pass = print_balance_table();

    pass &= print_every_n();
    pass &= print_weights();
    pass &= print_transitions();
    pass &= print_costs();
    print_speed();
    printf("\nevery goal: %s\n", verdict(pass));
    return 0;
}
