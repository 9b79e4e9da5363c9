/* Runs a check suite and turns its result into the exit status that
 * automake's test driver expects; shared by the unit tests. */
#ifndef DSR_CHECK_RUN_H
#define DSR_CHECK_RUN_H 1

#include <check.h>
#include <stdlib.h>

static inline int
check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* tests/check-run.h */
