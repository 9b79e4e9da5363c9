#!/bin/bash
# Runs every test the project has, from a bare Debian 12 machine: installs
# the packages, builds libopenvswitch (cached), then builds ovs-dsr three
# times, each in its own directory: plain and with AddressSanitizer +
# UndefinedBehaviorSanitizer, where `make check` runs the unit and
# end-to-end tests (userspace datapath), and with clang's libFuzzer, where
# it runs each fuzz harness for a few seconds (tests/fuzz/README.md).
# Then the plain build's `make check DATAPATH=dpdk` (DPDK datapath) and the
# sanitizer build's `make check-vm` (kernel datapath in a VM, dsrd on the
# host under the sanitizers).  Each variant prints its time.
#
# usage: sudo tests/run-all.sh [plain|sanitizers|fuzz|dpdk|vm]...
#        (default: all five)
set -e -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
variants=${*:-plain sanitizers fuzz dpdk vm}

if [ -f config.status ]; then
    echo "run-all: the source tree is configured in place; run" \
         "'make distclean' first (builds go to build-*/)" >&2
    exit 1
fi

deploy/install-deps.sh
ovs=$(deploy/build-ovs.sh)
if [ ! -x configure ] || [ configure.ac -nt configure ] \
        || [ Makefile.am -nt configure ]; then
    autoreconf -fi
fi

passed=0 failed=0 status=0
failed_logs=()
for variant in $variants; do
    check=check
    case $variant in
    plain) build=plain flags= ;;
    sanitizers) build=sanitizers flags=--enable-sanitizers ;;
    fuzz) build=fuzz flags="--enable-fuzzing CC=clang" ;;
    dpdk) build=plain flags= check="check DATAPATH=dpdk" ;;
    vm) build=sanitizers flags=--enable-sanitizers check=check-vm ;;
    *) echo "run-all: unknown variant $variant" >&2; exit 1 ;;
    esac
    dir=$top/build-$build
    mkdir -p "$dir"
    start=$SECONDS
    echo "== $variant: $build build in $dir, make $check"
    (cd "$dir" && "$top/configure" -q --with-ovs-source="$ovs" $flags \
        && make -s -j"$(nproc)") || exit 1
    if [ "$variant" = vm ]; then
        # Not automake's harness: the VM run prints its own summary.
        make -C "$dir" -s check-vm | tee "$dir/check-vm.log" || status=1
        p=$(sed -n 's/^\([0-9]*\) passed, .*/\1/p' "$dir/check-vm.log")
        f=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$dir/check-vm.log")
        [ -n "$p" ] || { p=0 f=1 status=1; }
        echo "$variant: $p passed, $f failed ($((SECONDS - start)) s)"
        passed=$((passed + p)) failed=$((failed + f))
        [ "$f" = 0 ] || failed_logs+=("$dir/check-vm.log")
        continue
    fi
    # Tests run two at a time (one per core): each has its own namespaces,
    # OVS and dsrd, and waits for conditions, so a busy neighbour slows it
    # without failing it.
    # A summary left by an earlier run must not count for this one (when
    # the tests do not even build, make writes none).
    summary=$dir/test-suite.log
    rm -f "$summary"
    # shellcheck disable=SC2086
    if ! make -C "$dir" -s -j"$(nproc)" $check; then
        status=1
        for log in "$dir"/tests/*.log "$dir"/tests/e2e/*.log; do
            if grep -Eq '^:test-result: (FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null; then
                echo "---- $log"
                cat "$log"
                failed_logs+=("$log")
            fi
        done
    fi
    if [ ! -e "$summary" ]; then
        echo "$variant: the tests did not build or run ($((SECONDS - start)) s)"
        failed=$((failed + 1))
        continue
    fi
    p=$(sed -n 's/^# PASS: *//p' "$summary")
    f=$(( $(sed -n 's/^# FAIL: *//p' "$summary") \
          + $(sed -n 's/^# ERROR: *//p' "$summary") ))
    echo "$variant: $p passed, $f failed ($((SECONDS - start)) s)"
    passed=$((passed + p)) failed=$((failed + f))
done

# What failed, again at the very end: a CI page that shows only the
# output's tail still says why.
for log in "${failed_logs[@]}"; do
    echo "==== failed: $log"
    grep -a 'FAIL' "$log" | head -5 || true
    tail -n 25 "$log"
done
echo "$passed passed, $failed failed"
exit $status
