#!/bin/bash
# Inside the VM (tests/vm/run.sh): runs end-to-end tests on the kernel
# datapath, each as it runs on the host (tests/e2e/), with dsrd on the
# host (deploy/sandbox.sh, SB_DSRD_AGENT).  Each test's output goes to
# $VM_RUN/TEST.log; the last line is "N passed, N failed, N skipped".
cd "$TOP_SRCDIR" || exit 1
pass=0 fail=0 skip=0
for t in $VM_E2E_TESTS; do
    start=$SECONDS
    bash "tests/e2e/$t.sh" > "$VM_RUN/$t.log" 2>&1
    rc=$?
    took="$t.sh ($((SECONDS - start)) s)"
    case $rc in
    0) pass=$((pass + 1)); echo "PASS: $took" ;;
    77) skip=$((skip + 1)); echo "SKIP: $took: $(grep -m1 SKIP "$VM_RUN/$t.log")" ;;
    *) fail=$((fail + 1)); echo "FAIL: $took"
       # The reason first: the logs the test dumps after it fill the tail.
       grep -E '^(FAIL: |timed out)' "$VM_RUN/$t.log" | head -n 5 \
           | sed "s/^/    /"
       grep -v '^20[0-9][0-9]-' "$VM_RUN/$t.log" | tail -n 30 | sed "s/^/    /" ;;
    esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
