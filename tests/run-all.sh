#!/bin/bash
# Runs every test the project has, from a bare Debian 12 machine: installs
# the packages, builds libopenvswitch (cached), then builds ovs-dsr three
# times, each in its own directory: plain and with AddressSanitizer +
# UndefinedBehaviorSanitizer, where `make check` runs the unit and
# end-to-end tests, and with clang's libFuzzer, where it runs each fuzz
# harness for a few seconds (tests/fuzz/README.md).
#
# usage: sudo tests/run-all.sh [plain|sanitizers|fuzz]...   (default: all)
set -e -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
variants=${*:-plain sanitizers fuzz}

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
for variant in $variants; do
    case $variant in
    plain) flags= ;;
    sanitizers) flags=--enable-sanitizers ;;
    fuzz) flags="--enable-fuzzing CC=clang" ;;
    *) echo "run-all: unknown variant $variant" >&2; exit 1 ;;
    esac
    dir=$top/build-$variant
    mkdir -p "$dir"
    echo "== $variant build in $dir"
    (cd "$dir" && "$top/configure" -q --with-ovs-source="$ovs" $flags \
        && make -s -j"$(nproc)") || exit 1
    if ! make -C "$dir" -s check; then
        status=1
        for log in "$dir"/tests/*.log "$dir"/tests/e2e/*.log; do
            if grep -q '^FAIL\|^ERROR' "${log%.log}.trs" 2>/dev/null; then
                echo "---- $log"
                cat "$log"
            fi
        done
    fi
    summary=$dir/test-suite.log
    p=$(sed -n 's/^# PASS: *//p' "$summary")
    f=$(( $(sed -n 's/^# FAIL: *//p' "$summary") \
          + $(sed -n 's/^# ERROR: *//p' "$summary") ))
    echo "$variant: $p passed, $f failed"
    passed=$((passed + p)) failed=$((failed + f))
done

echo "$passed passed, $failed failed"
exit $status
