#!/bin/bash
# The audit trail (controller/audit.h): every accepted API write is kept
# with who made it (client address, token name), the request, the
# version and the services it touched; refused writes are not.  It is as
# durable as the writes: it survives SIGKILL (from the journal) and
# restarts (moved to STATE.audit) without an entry lost or doubled.
# `dsrctl history [SERVICE]` shows it.
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "the audit trail is dsrd's own"
DSRCTL=${DSRCTL:?set DSRCTL to the dsrctl binary}

e2e_setup audit 1
printf '# one token per line: NAME SECRET\nalice s3cret-a\n\nbob s3cret-b\n' \
    > "$SB_DIR/tokens"
SB_DSRD_ARGS="--api-token-file=$SB_DIR/tokens"
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}], "services": []}
EOC
alice=(-H "Authorization: Bearer s3cret-a")
bob=(-H "Authorization: Bearer s3cret-b")

web='{"name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80,
      "backends": [{"ip": "10.0.0.11"}]}'
api POST /v1/services "$web" "${alice[@]}"
expect 201
api POST /v1/services "${web/web/dns}" -H "Authorization: Bearer nope"
expect 401
api POST /v1/services "${web/10.0.0.11/224.0.0.1}" "${alice[@]}"
expect 422
api PUT /v1/services/web/backends/10.0.0.11 '{"weight": 5}' "${bob[@]}"
expect 200
api POST /v1/services "${web/web/dns}" "${bob[@]}"
expect 409         # same VIP and port as web
api DELETE /v1/services/web "" "${alice[@]}"
expect 204

# The three accepted writes, oldest first, nothing of the refused ones.
check_trail() {
    api GET /v1/history "" "${alice[@]}"
    expect 200 '.entries | length == 3' \
        '[.entries[].identity] == ["alice", "bob", "alice"]' \
        '[.entries[].request] == ["POST /v1/services",
            "PUT /v1/services/web/backends/10.0.0.11",
            "DELETE /v1/services/web"]' \
        '[.entries[].services] == [["web"], ["web"], ["web"]]' \
        '[.entries[].client | test("^127\\.0\\.0\\.1:[0-9]+$")] | all' \
        '.entries[0].version < .entries[1].version' \
        '.entries[1].version < .entries[2].version' \
        '[.entries[].time | test("^20[0-9-]+T[0-9:.]+Z$")] | all'
}
check_trail
api GET "/v1/history?service=web&limit=1" "" "${bob[@]}"
expect 200 '.entries | length == 1' '.entries[0].request == "DELETE /v1/services/web"'
api GET "/v1/history?service=dns" "" "${bob[@]}"
expect 200 '.entries == []'
api GET "/v1/history?limit=0" "" "${bob[@]}"
expect 400 '.path == "limit"'
api GET /v1/history
expect 401

ip netns exec "$SB_LB" "$DSRCTL" --token-file "$SB_DIR/tokens" history web \
    > "$SB_DIR/out" || sb_fail "dsrctl history failed"
cat "$SB_DIR/out"
[ "$(grep -c 'alice .*: web$' "$SB_DIR/out")" = 2 ] \
    && grep -q 'bob .*PUT /v1/services/web/backends/10.0.0.11: web$' \
        "$SB_DIR/out" || sb_fail "dsrctl history: $(cat "$SB_DIR/out")"

# SIGKILL: the trail comes back from the journal; a clean restart after
# that moves it to the audit file, once.
sb_kill_dsrd
sb_start_dsrd ""
sb_wait_until api GET /v1/status "" "${alice[@]}"
check_trail
[ "$(wc -l < "$(ls "$SB_DIR"/*.audit)")" = 3 ] \
    || sb_fail "audit file: $(cat "$SB_DIR"/*.audit)"
sb_stop_dsrd
sb_start_dsrd ""
sb_wait_until api GET /v1/status "" "${alice[@]}"
check_trail
E2E_EXPECTED_LOG='.'    # the killed run's log is not checked
e2e_pass "audit trail of accepted writes, by token name, kept across restarts"
