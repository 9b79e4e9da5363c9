/* The main() of every unit-test program: one check suite of one test
 * case, run, its result turned into the exit status that automake's test
 * driver expects.  A program ends with
 *
 *     CHECK_MAIN("config", CHECK_TEST(test_full_config),
 *                CHECK_LOOP_TEST(test_rejected, ARRAY_SIZE(rejected)))
 *
 * where CHECK_TEST(TEST) runs TEST once and CHECK_LOOP_TEST(TEST, N)
 * runs it for _i = 0...N-1 (check's loop tests, for table-driven
 * tests). */
#ifndef DSR_CHECK_RUN_H
#define DSR_CHECK_RUN_H 1

#include <check.h>
#include <stddef.h>
#include <stdlib.h>

struct check_test {
    const TTest *test;
    int n_loops;
};
#define CHECK_TEST(TEST) { (TEST), 1 }
#define CHECK_LOOP_TEST(TEST, N) { (TEST), (N) }

/* Runs 's' (and frees it). */
static inline int
check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static inline int
check_main(const char *name, const struct check_test *tests, size_t n)
{
    Suite *s = suite_create(name);
    TCase *tc = tcase_create(name);

    for (size_t i = 0; i < n; i++) {
        tcase_add_loop_test(tc, tests[i].test, 0, tests[i].n_loops);
    }
    suite_add_tcase(s, tc);
    return check_run(s);
}

/* The tests are not static const: check's START_TEST makes each name a
 * variable, which a static initializer cannot read. */
#define CHECK_MAIN(NAME, ...)                                           \
    int                                                                 \
    main(void)                                                          \
    {                                                                   \
        const struct check_test tests_[] = { __VA_ARGS__ };             \
        return check_main(NAME, tests_, sizeof tests_ / sizeof *tests_); \
    }

#endif /* tests/check-run.h */
