#!/bin/bash
# Rules of the test scripts that no tool checks for us.  Under
# "set -o pipefail" (tests/e2e/lib.sh), "CMD | grep -q X" fails when grep
# exits at its first match while CMD is still writing (SIGPIPE): the
# check then fails although X was there, more often on a busy machine.
# tests/README.md, "Wait for conditions, never for time", says what to
# write instead.
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

scripts=(tests/*.sh tests/e2e/*.sh tests/vm/*.sh tests/soak/*.sh
         tests/pkg/*.sh deploy/sandbox.sh)
# A pipe, then grep with -q among its short options (or --quiet/--silent).
bad=$(grep -nE '\|[[:space:]]*grep[[:space:]]+(-[A-Za-z]*q|.*--(quiet|silent))' \
          "${scripts[@]}" | grep -vE '^[^:]*:[0-9]+:[[:space:]]*#' \
          | grep -v '^tests/lint\.sh:' || true)
if [ -n "$bad" ]; then
    echo "$bad"
    echo "FAIL: '| grep -q' in a pipeline (tests/README.md): write '| grep >/dev/null PATTERN'"
    exit 1
fi
echo "PASS: lint: no '| grep -q' in ${#scripts[@]} test scripts"
