#!/bin/bash
# "announce": {"mode": "bgp"} (controller/announce.h): dsrd keeps the VIP's
# route in kernel table 100 exactly while the node can serve it; a real
# BIRD on the load balancer learns the table and announces it to a real
# BIRD on a router.  Withdrawn when the service loses its backends, back
# after the hold-down; withdrawn when ovs-vswitchd dies (its LOCAL port
# stays), back once the flows are; gone from the router with BIRD, back
# with it; withdrawn by SIGTERM; after SIGKILL, by "dsrd --withdraw".
. "$(dirname "$0")/lib.sh"
e2e_require_bird

e2e_setup bgp 2
sb_lb_address 10.0.0.5/24
e2e_http_backends 2 80

# The router, on a link of its own to the load balancer.
e2e_bgp_router
cat > "$SB_DIR/bird-lb.conf" <<EOC
router id 10.98.0.11;
protocol device { }
protocol kernel kvips { kernel table 100; learn; ipv4 { import all; export none; }; }
protocol bgp up { local 10.98.0.11 as 65001; neighbor 10.98.0.1 as 65000; $E2E_BGP_TIMERS
  ipv4 { import none; export where proto = "kvips"; next hop self; }; }
EOC
start_bird() {
    ip netns exec "$1" bird -c "$SB_DIR/bird-$2.conf" -s "$SB_DIR/bird-$2.ctl" \
        -P "$SB_DIR/bird-$2.pid"
}
start_bird "$SB_LB" lb

e2e_bgp_start_dsrd

# What the router has learned, and what dsrd's table holds.
routed() { e2e_bgp_routed; }
unrouted() { ! routed; }
in_table() {
    ip -n "$SB_LB" route show table 100 proto 213 | grep >/dev/null "^$VIP dev br0"
}
not_in_table() { ! in_table; }
SB_WAIT=60 sb_wait_until routed || sb_fail "never announced: $(birdc -s "$SB_DIR/bird-rt.ctl" show protocols all lb1)"
in_table || sb_fail "route not in table 100: $(ip -n "$SB_LB" route show table 100)"
api GET /v1/status
expect 200 '.announce.mode == "bgp"' ".announce.announced == [\"$VIP\"]" \
    '.bridges[0].cross_node.consistent == (.bridges[0].datapath == "userspace")' \
    '.bridges[0].cross_node.because | length > 20'

# Bad drain requests change nothing.
api PUT /v1/node '{"drained": "yes"}'
expect 422 '.path == "$.drained"'
api PUT /v1/node '{"drained": true, "now": 1}'
expect 422 '.path == "$.now"'
api GET /v1/node
expect 200 '.drained == false' ".announce.announced == [\"$VIP\"]"

# The service loses its backends: withdrawn at once.
sb_pkill be1 "http-backend.py be1 " || true
sb_pkill be2 "http-backend.py be2 " || true
sb_wait_until unrouted || sb_fail "not withdrawn without backends"
api GET /v1/status
expect 200 '.announce.announced == []' \
    ".announce.not_announced[\"$VIP\"] == \"service web: no backend takes connections\""
grep -q "$VIP: withdrawn: service web: no backend takes connections" \
    "$SB_DIR/dsrd.log" || sb_fail "withdrawal not logged with its reason"

# One comes back: announced again, but not before the hold-down.
sb_spawn be1 python3 "$TOP_SRCDIR/deploy/http-backend.py" be1 \
    "$SB_DIR/be1.http.log" 80
sb_wait_until routed || sb_fail "not announced again"
# dsrd's own log: the announcement came at least the hold-down (2000 ms)
# after the backend came up.
log_ms() {
    grep "$1" "$SB_DIR/dsrd.log" | tail -1 \
        | sed -n 's/^[0-9-]*T\([0-9]*\):\([0-9]*\):\([0-9]*\)\.\([0-9]*\)Z.*/\1 \2 \3 \4/p' \
        | awk '{ print (($1 * 60 + $2) * 60 + $3) * 1000 + $4 }'
}
up_ms=$(log_ms "service web: backend 10.0.0.11 is up")
announced_ms=$(log_ms "$VIP: announced")
# dsrd now announces at the hold-down's end to the millisecond, timed on
# the monotonic clock; the log's timestamps are wall-clock milliseconds,
# which NTP may slew (up to 500 ppm, 1 ms in 2 s) and which truncation
# shortens by up to 1 ms more.
[ -n "$up_ms" ] && [ -n "$announced_ms" ] \
    && [ $((announced_ms - up_ms)) -ge 1998 ] \
    || sb_fail "announced $((announced_ms - up_ms)) ms after the backend came up, within the 2000-ms hold-down"

# ovs-vswitchd dies: its LOCAL port stays, dsrd withdraws; once it is back
# with the flows, the VIP is announced again.
kill -9 "$(cat "$SB_DIR/ovs-vswitchd.pid")"
sb_wait_until not_in_table || sb_fail "still announced without a switch"
sb_wait_until unrouted || sb_fail "router kept the route"
ip -n "$SB_LB" link show br0 > /dev/null || sb_fail "br0 gone (test premise)"
sb_start_vswitchd
SB_WAIT=30 sb_wait_until routed || sb_fail "not announced after the switch came back"

# BIRD on the load balancer dies and comes back: the table is the contract.
kill -9 "$(cat "$SB_DIR/bird-lb.pid")"
SB_WAIT=30 sb_wait_until unrouted || sb_fail "router kept a dead peer's route"
start_bird "$SB_LB" lb
SB_WAIT=60 sb_wait_until routed || sb_fail "BIRD did not relearn the table"

# SIGTERM: withdrawn before dsrd exits.
pid=$(cat "$SB_DIR/dsrd.pid")
kill -TERM "$pid"
sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
not_in_table || sb_fail "SIGTERM left the route"
sb_wait_until unrouted || sb_fail "router kept the route after SIGTERM"

# SIGKILL leaves the route: "dsrd --withdraw" (the unit's ExecStopPost)
# takes it away.
sb_start_dsrd ""
sb_wait_until in_table || sb_fail "not announced after a restart"
sb_kill_dsrd
in_table || sb_fail "SIGKILL took the route (test premise)"
ip netns exec "$SB_LB" "$DSRD" --withdraw || sb_fail "dsrd --withdraw failed"
not_in_table || sb_fail "dsrd --withdraw left the route"
sb_wait_until unrouted || sb_fail "router kept the route after --withdraw"
# And a new dsrd announces it again.
sb_start_dsrd ""
sb_wait_until routed || sb_fail "not announced by the next dsrd"
E2E_EXPECTED_LOG='.'    # the killed run's log is not checked
e2e_pass "VIP announced by BIRD exactly while the node can serve it"
