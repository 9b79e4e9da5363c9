#!/bin/bash
# dsrd runs clean under valgrind through a scripted sequence of API
# calls (create, patch, add and remove backends, replace the config,
# errors, stats, delete) and a clean exit: no invalid access, no leak.
. "$(dirname "$0")/lib.sh"

command -v valgrind > /dev/null || sb_fail "valgrind is not installed"
if nm "$DSRD" 2>/dev/null | grep __asan_init > /dev/null; then
    # Valgrind cannot run AddressSanitizer's binaries; the plain build runs
    # this test, and this build runs everything else under ASan+UBSan.
    echo "SKIP: $DSRD is built with AddressSanitizer"
    exit 77
fi
e2e_setup valgrind 2
cat > "$SB_DIR/dsrd.json" <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}], "services": []}
EOC
# Run dsrd in the foreground under valgrind (no --detach).
ip netns exec "$SB_LB" valgrind --leak-check=full \
    --errors-for-leak-kinds=definite --error-exitcode=42 \
    --log-file="$SB_DIR/valgrind.log" "$DSRD" --config="$SB_DIR/dsrd.json" \
    --pidfile="$SB_DIR/dsrd.pid" --log-file="$SB_DIR/dsrd.log" \
    -vconsole:off &
vg=$!
SB_WAIT=60 sb_wait_until api GET /v1/status 2>/dev/null

api POST /v1/services '{"name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80,
                        "health_check": {"type": "tcp", "interval_ms": 200},
                        "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12", "weight": 5}]}'
expect 201
api PATCH /v1/services/web '{"hash": "source-ip"}'
expect 200
api POST /v1/services/web/backends '{"ip": "10.0.0.13"}'
expect 201
api PATCH /v1/services/web/backends/10.0.0.13 '{"state": "drain"}'
expect 200
api DELETE /v1/services/web/backends/10.0.0.13
expect 204
api POST /v1/services '{"name": "bad", "vip": "10.0.0"}'
expect 422
api POST /v1/services '{"name": '
expect 400
api GET /v1/config
expect 200
jq '.services[0].backends[0].weight = 7' "$SB_DIR/body" > "$SB_DIR/config.json"
api PUT /v1/config "@$SB_DIR/config.json"
expect 200
api GET /v1/stats
expect 200
api GET /metrics
expect 200
api GET /v1/status
expect 200
api DELETE /v1/services/web
expect 204

ovs-appctl -t "$SB_DIR/dsrd.$(cat "$SB_DIR/dsrd.pid").ctl" exit 2>/dev/null \
    || ovs-appctl -t dsrd exit
status=0
wait "$vg" || status=$?
grep -E "ERROR SUMMARY|definitely lost|in use at exit" "$SB_DIR/valgrind.log"
[ "$status" = 0 ] || sb_fail "valgrind found errors (exit $status)"
grep -q "ERROR SUMMARY: 0 errors" "$SB_DIR/valgrind.log" \
    || sb_fail "valgrind reported errors"
! grep -q "definitely lost: [1-9]" "$SB_DIR/valgrind.log" || sb_fail "leaks"
echo "PASS: dsrd clean under valgrind"
