#!/bin/sh
# Runs one libFuzzer harness of a --enable-fuzzing build for
# $FUZZ_SECONDS (default 12) from its seed corpus in
# tests/fuzz/corpus/NAME.  New inputs go to a scratch directory, so the
# seed corpus stays as committed; a crash is kept in
# tests/fuzz/artifacts/NAME/ of the build directory and printed.
#
# usage: tests/fuzz/run.sh BUILD/tests/fuzz/fuzz-NAME [LIBFUZZER-OPTION...]
set -e

harness=$1
shift
name=$(basename "$harness")
top=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
seeds=$top/tests/fuzz/corpus/$name
artifacts=$(dirname "$harness")/artifacts/$name
work=$(mktemp -d "/tmp/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Harnesses that read JSON get the schemas' names and values.
case $name in
fuzz-config|fuzz-service|fuzz-json-merge|fuzz-api-request)
    set -- -dict="$top/tests/fuzz/json.dict" "$@" ;;
esac

# fuzz-import also starts from the sample configurations of Debian's
# keepalived package, read where it installs them (not copied here: they
# are keepalived's, under the GPL).
# libFuzzer writes new inputs to the first directory only ($work).
extra_seeds=
samples=/usr/share/doc/keepalived/samples
if [ "$name" = fuzz-import ] && [ -d "$samples" ]; then
    extra_seeds=$samples
fi

mkdir -p "$artifacts"
status=0
"$harness" -max_total_time="${FUZZ_SECONDS:-12}" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$@" "$work" "$seeds" \
    ${extra_seeds:+"$extra_seeds"} || status=$?
if [ "$status" != 0 ]; then
    for f in "$artifacts"/*; do
        [ -f "$f" ] || continue
        echo "---- $f (base64)"
        base64 "$f" | head -c 4096
        echo
    done
fi
exit "$status"
