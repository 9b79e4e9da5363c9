#!/bin/bash
# Every example in the documentation validates against the schema it
# claims: JSON blocks after "<!-- schema: FILE -->" in the Markdown files,
# the examples in schemas/openapi.json, and the shipped configuration.
# (No OVS needed; it only runs dsrd's own validator.)
set -e -o pipefail
TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ "${DSR_DATAPATH:-userspace}" != userspace ]; then
    echo "SKIP: documentation examples do not depend on the datapath"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0

check() {   # check SCHEMA FILE WHERE
    if ! "$VALIDATE_JSON" "$1" "$2"; then
        echo "FAIL: $3 does not match $1" >&2
        exit 1
    fi
    n=$((n + 1))
}

for md in "$TOP_SRCDIR"/README.md "$TOP_SRCDIR"/*/*.md; do
    awk -v dir="$tmp" -v base="$(basename "$md")" '
        /<!-- schema: / { schema = $3; next }
        schema && /^```json/ { i++; file = dir "/" base "." i "." schema;
                                inside = 1; next }
        inside && /^```/ { inside = 0; schema = ""; close(file); next }
        inside { print > file }
    ' "$md"
done
for f in "$tmp"/*.json; do
    [ -e "$f" ] || continue
    schema=${f##*.[0-9].}
    schema=${schema##*.[0-9][0-9].}
    check "$schema" "$f" "$(basename "$f")"
done

# OpenAPI: every $ref names a schema dsrd has, every example validates.
openapi=$TOP_SRCDIR/schemas/openapi.json
jq -r '.. | objects | .["$ref"]? // empty' "$openapi" | grep -v '^#' \
    | sort -u | while read -r ref; do
    "$VALIDATE_JSON" "$ref" /dev/null 2>&1 | grep >/dev/null "no such schema" \
        && { echo "FAIL: openapi.json refers to unknown $ref" >&2; exit 1; }
    true
done
jq -c '.paths[][] | objects | .requestBody.content[]? | select(.schema["$ref"])
       | {schema: .schema["$ref"], examples: [.examples[]?.value]}' "$openapi" \
    > "$tmp/openapi-examples"
while read -r line; do
    schema=$(echo "$line" | jq -r .schema)
    count=$(echo "$line" | jq '.examples | length')
    for i in $(seq 0 $((count - 1))); do
        echo "$line" | jq ".examples[$i]" > "$tmp/example.json"
        check "$schema" "$tmp/example.json" "openapi.json example for $schema"
    done
done < "$tmp/openapi-examples"

check config.schema.json "$TOP_SRCDIR/deploy/dsrd.example.json" \
    deploy/dsrd.example.json
[ "$n" -ge 7 ] || { echo "FAIL: only $n examples found" >&2; exit 1; }
echo "PASS: $n documented examples match their schemas"
