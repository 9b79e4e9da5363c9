#!/bin/bash
# The manpages: each renders with no warning from groff or man, every
# option its program's --help lists heads a paragraph of the page, and
# every option its SYNOPSIS, COMMANDS and OPTIONS name is one --help lists.
set -e -o pipefail
: "${DSRD:?}" "${DSRCTL:?}" "${TOP_SRCDIR:?}"
if [ "${DSR_DATAPATH:-userspace}" != userspace ]; then
    echo "SKIP: the manpages do not depend on the datapath"
    exit 77
fi
command -v man > /dev/null || { echo "SKIP: no man"; exit 77; }
command -v groff > /dev/null || { echo "SKIP: no groff"; exit 77; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# The long options in text on stdin, one a line, sorted.
long_options() { grep -Eo -- '--[a-z][a-z-]*' | sort -u; }

# Roff source on stdin as plain text, enough to find options in it.
unroff() { sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g'; }

# The long options that head a paragraph (.IP or .TP tag) of the page.
tagged_options() {
    sed -n -e '/^\.IP /p' -e '/^\.TP/{n;p}' "$1" | unroff | long_options
}

# The long options in the page's SYNOPSIS, COMMANDS and OPTIONS sections
# (elsewhere, as in EXAMPLES, other programs' options may appear).
section_options() {
    awk '/^\.SH/ { on = /SYNOPSIS|COMMANDS|OPTIONS/ } on' "$1" \
        | unroff | long_options
}

check() {
    local page=$1 help=$2 name missing extra before=$failed
    name=$(basename "$page")
    warnings=$(LC_ALL=C.UTF-8 groff -ww -z -man "$page" 2>&1)
    [ -z "$warnings" ] || fail "$name: groff warns: $warnings"
    warnings=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>&1 \
               > /dev/null)
    [ -z "$warnings" ] || fail "$name: man warns: $warnings"

    echo "$help" | long_options > "$name.help-options"
    tagged_options "$page" > "$name.tagged-options"
    section_options "$page" > "$name.man-options"
    missing=$(comm -23 "$name.help-options" "$name.tagged-options")
    [ -z "$missing" ] \
        || fail "$name: in --help, no paragraph in the manpage:" $missing
    extra=$(comm -13 "$name.help-options" "$name.man-options")
    [ -z "$extra" ] || fail "$name: in the manpage, not in --help:" $extra
    rm -f "$name.help-options" "$name.tagged-options" "$name.man-options"
    [ "$failed" != "$before" ] \
        || echo "$name: $(echo "$help" | long_options | wc -l) options," \
                "rendered clean"
}

check "$TOP_SRCDIR/controller/dsrd.8" "$("$DSRD" --help)"
check "$TOP_SRCDIR/controller/dsrctl.8" "$("$DSRCTL" --help)"
check "$TOP_SRCDIR/deploy/dsr-backend.8" \
    "$("$TOP_SRCDIR/deploy/dsr-backend" --help)"
[ "$failed" = 0 ] && echo "PASS: manpages"
exit "$failed"
