#!/bin/bash
# Slots that move during TCP handshakes break none of them: new
# connections start every 5 ms while weight changes move slots between
# the live backends as fast as the API takes them, until both have
# happened often enough (however long a busy machine takes).  A
# connection's SYN and the handshake's next packet must reach the same
# backend (the SYN is pinned); otherwise the second backend resets the
# connection.
. "$(dirname "$0")/lib.sh"

# About what an idle machine does in 15 s.
MIN_CONNS=${MIN_CONNS:-2500}
MIN_PATCHES=${MIN_PATCHES:-200}
LIMIT=${LIMIT:-300}     # seconds: a bound, not the expected time
e2e_setup handshake-moves 3
e2e_http_backends 3 80
e2e_web_service 3

# Weight changes until the clients stop; "N" a line per answered PATCH.
patch_weights() {
    local ip w
    while [ ! -e "$SB_DIR/stop" ]; do
        ip=10.0.0.$((11 + RANDOM % 3))
        w=$((50 + RANDOM % 200))
        api PATCH "/v1/services/web/backends/$ip" "{\"weight\": $w}"
        cat "$SB_DIR/status" >> "$SB_DIR/patches"
        echo >> "$SB_DIR/patches"
    done
}
# enough: both counts reached (the backends log each request they
# answer), or the client gave up at LIMIT.
enough() {
    kill -0 "$client" 2>/dev/null || return 0
    [ "$(grep -c '^200$' "$SB_DIR/patches" || true)" -ge "$MIN_PATCHES" ] \
        && [ "$(cat "$SB_DIR"/be*.http.log | grep -c "^$CLIENT_IP " || true)" \
             -ge "$MIN_CONNS" ]
}
touch "$SB_DIR/patches"
sb_exec client python3 "$TOP_SRCDIR/bench/failover_client.py" "$VIP" \
    "$LIMIT" 3 5 > "$SB_DIR/conns" &
client=$!
patch_weights &
patcher=$!
SB_WAIT=$((LIMIT + 30)) sb_wait_until enough
sb_pkill client 'failover_client\.py' || true
wait "$client"
touch "$SB_DIR/stop"
wait "$patcher"

total=$(wc -l < "$SB_DIR/conns")
broken=$(awk '$2 == 0' "$SB_DIR/conns" | wc -l)
patches=$(grep -c '^200$' "$SB_DIR/patches" || true)
echo "$total connections, $broken broken, during $patches weight changes"
[ "$total" -ge "$MIN_CONNS" ] || sb_fail "too few connections in ${LIMIT}s"
[ "$patches" -ge "$MIN_PATCHES" ] || sb_fail "too few weight changes in ${LIMIT}s"
[ "$(grep -vc '^200$' "$SB_DIR/patches" || true)" = 0 ] \
    || sb_fail "a weight change failed: $(sort "$SB_DIR/patches" | uniq -c)"
[ "$broken" = 0 ] || sb_fail "$broken connections broken by slot moves"
e2e_pass "handshakes survive slot moves"
