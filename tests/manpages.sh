#!/bin/bash
# The manpages: each renders with no warning from man/groff, and its
# options are exactly those its program's --help lists, each way round.
set -e -o pipefail
: "${DSRD:?}" "${DSRCTL:?}" "${TOP_SRCDIR:?}"
if [ "${DSR_DATAPATH:-userspace}" != userspace ]; then
    echo "SKIP: the manpages do not depend on the datapath"
    exit 77
fi
command -v man > /dev/null || { echo "SKIP: no man"; exit 77; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# The long options in text on stdin, one a line, sorted.
long_options() { grep -Eo -- '--[a-z][a-z-]*' | sort -u; }

check() {
    local page=$1 help=$2 name
    name=$(basename "$page")
    warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 \
               > /dev/null)
    [ -z "$warnings" ] || fail "$name: man warns: $warnings"
    MANWIDTH=200 LC_ALL=C.UTF-8 man -l "$page" 2> /dev/null \
        | sed 's/‐/-/g' | long_options > "$name.man-options"
    echo "$help" | long_options > "$name.help-options"
    if ! diff -u "$name.help-options" "$name.man-options" > "$name.diff"; then
        fail "$name: options differ from --help (- only in --help, + only in the manpage): $(grep -E '^[-+]--[a-z]' "$name.diff" | tr '\n' ' ')"
    fi
    rm -f "$name.man-options" "$name.help-options" "$name.diff"
    echo "$name: $(echo "$help" | long_options | wc -l) options, rendered clean"
}

check "$TOP_SRCDIR/controller/dsrd.8" "$("$DSRD" --help)"
check "$TOP_SRCDIR/controller/dsrctl.8" "$("$DSRCTL" --help)"
check "$TOP_SRCDIR/deploy/dsr-backend.8" \
    "$("$TOP_SRCDIR/deploy/dsr-backend" --help)"
[ "$failed" = 0 ] && echo "PASS: manpages"
exit "$failed"
