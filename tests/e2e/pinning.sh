#!/bin/bash
# Connection pinning: long-lived TCP connections survive a backend being
# added, a weight change and a drain (a drained backend keeps its
# connections but gets no new ones); deleting a backend moves only its
# own.  Without the conntrack pins a quarter or more of them would break
# (bench/persistence.sh measures both).
. "$(dirname "$0")/lib.sh"

e2e_setup pinning 4
for i in 1 2 3 4; do
    sb_spawn "be$i" python3 "$TOP_SRCDIR/bench/echo-backend.py" "be$i" 7
done
e2e_web_service 3 '.name = "echo" | .port = 7'
for i in 1 2 3 4; do
    sb_wait_listening "be$i" 7
done

sb_exec client python3 "$TOP_SRCDIR/bench/longlived_client.py" "$VIP" 7 300 \
    14 > "$SB_DIR/conns" &
client=$!
# All 300 connections are open (and pinned) before the first change.
established() {
    [ "$(sb_exec client ss -Htn state established "( dport = :7 )" \
         | wc -l)" -ge 300 ]
}
sb_wait_until established
# Each change is on the switch when the API answers; the pauses between
# them are the subject: every connection echoes a line a second, so each
# one sends and is answered under every configuration.
api POST /v1/services/echo/backends '{"ip": "10.0.0.14"}'
expect 201
sleep 2
api PATCH /v1/services/echo/backends/10.0.0.11 '{"weight": 300}'
expect 200
sleep 2
api PATCH /v1/services/echo/backends/10.0.0.12 '{"state": "drain"}'
expect 200
sleep 1
# New connections avoid the drained backend...
new_connections() {
    sb_exec client python3 -c '
import socket, sys
for _ in range(40):
    s = socket.create_connection((sys.argv[1], 7), timeout=5)
    print(s.makefile().readline().strip())
    s.close()' "$VIP"
}
new_connections > "$SB_DIR/new"
[ "$(e2e_count be2 < "$SB_DIR/new")" = 0 ] \
    || sb_fail "a drained backend got new connections"
[ "$(grep -c '^be[134]$' "$SB_DIR/new")" = 40 ] || sb_fail "new connections failed"
sleep 2
# The deletion must come while the connections are still held.
kill -0 "$client" 2>/dev/null \
    || sb_fail "the client's 14 s ended before the last change"
api DELETE /v1/services/echo/backends/10.0.0.13
expect 204
wait $client

total=$(wc -l < "$SB_DIR/conns")
broken=$(grep -v '^be3 ' "$SB_DIR/conns" | grep -c BROKEN || true)
drained=$(grep -c '^be2 OK' "$SB_DIR/conns" || true)
echo "$total connections; $broken broken outside the deleted be3;" \
     "$drained kept by the drained be2;" \
     "$(grep -c '^be3 BROKEN' "$SB_DIR/conns" || true) of be3's broke"
[ "$total" = 300 ] || sb_fail "only $total connections reported"
[ "$broken" = 0 ] || sb_fail "$broken connections to remaining backends broke"
[ "$drained" -ge 50 ] || sb_fail "the drained backend kept only $drained"
e2e_pass "connections pinned across add, weight, drain and delete"
