#!/bin/bash
# Inside the VM (tests/vm/run.sh): runs end-to-end tests on the kernel
# datapath, each as it runs on the host (tests/e2e/), with dsrd on the
# host (deploy/sandbox.sh, SB_DSRD_AGENT).  Each test's output goes to
# $VM_RUN/TEST.log (TEST.2.log, ... when a test is named again, to repeat
# it); the last line is "N passed, N failed, N skipped".
cd "$TOP_SRCDIR" || exit 1
pass=0 fail=0 skip=0
for t in $VM_E2E_TESTS; do
    start=$SECONDS
    log=$VM_RUN/$t.log n=1
    while [ -e "$log" ]; do
        n=$((n + 1)) log=$VM_RUN/$t.$n.log
    done
    bash "tests/e2e/$t.sh" > "$log" 2>&1
    rc=$?
    took="$t.sh ($((SECONDS - start)) s)"
    case $rc in
    0) pass=$((pass + 1)); echo "PASS: $took" ;;
    77) skip=$((skip + 1)); echo "SKIP: $took: $(grep -m1 SKIP "$log")" ;;
    *) fail=$((fail + 1)); echo "FAIL: $took"
       # The reason first: the logs the test dumps after it fill the tail.
       grep -E '^(FAIL: |timed out)' "$log" | head -n 5 \
           | sed "s/^/    /"
       grep -v '^20[0-9][0-9]-' "$log" | tail -n 30 | sed "s/^/    /" ;;
    esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
