#!/bin/bash
# A bad configuration stops dsrd before it touches anything, with an
# error that names the file, the JSON path and the reason.
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "configuration errors"

sb_init bad-config
cat > "$SB_DIR/bad.json" <<'EOC'
{"bridges": [{"name": "br0"}],
 "services": [{"name": "web", "vip": "10.0.0.100", "protocol": "tcp",
               "port": 80, "backends": [{"ip": "10.0.0.11", "port": 8080}]}]}
EOC
if "$DSRD" --config="$SB_DIR/bad.json" 2> "$SB_DIR/err"; then
    sb_fail "dsrd accepted a config asking for port translation"
fi
cat "$SB_DIR/err"
grep -q "bad.json: \$.services\[0\].backends\[0\].port: port translation is impossible in DSR" "$SB_DIR/err" \
    || sb_fail "unclear error"

echo '{"bridges": [' > "$SB_DIR/broken.json"
if "$DSRD" --config="$SB_DIR/broken.json" 2> "$SB_DIR/err"; then
    sb_fail "dsrd accepted broken JSON"
fi
grep -q "broken.json: line 2" "$SB_DIR/err" || sb_fail "no line number: $(cat "$SB_DIR/err")"
echo "PASS: bad configs rejected"
