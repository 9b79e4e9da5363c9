#!/bin/bash
# An IPv6 VIP in "announce": {"mode": "bgp"}: dsrd keeps VIP/128 in kernel
# table 100 exactly while the node can serve it (next to an IPv4 VIP's
# /32), and BIRD on the load balancer learns it with the ipv6 channel of
# deploy/bgp/bird-lb.conf's kernel protocol.  Withdrawn when the service
# has no backend left, back after the hold-down; a new dsrd finds the
# route a killed one left, and "dsrd --withdraw" removes both families'.
# (bgp.sh covers the rest of BGP mode for IPv4, the router included.)
. "$(dirname "$0")/lib.sh"
e2e_require_bird

e2e_setup bgp-ipv6 2 "$VIP" "$VIP6"
e2e_add_ipv6 2
sb_lb_address 10.0.0.5/24

cat > "$SB_DIR/bird-lb.conf" <<EOC
router id 10.0.0.5;
protocol device { }
protocol kernel kvips { kernel table 100; learn; ipv4 { import all; export none; }; }
protocol kernel kvips6 { kernel table 100; learn; ipv6 { import all; export none; }; }
EOC
ip netns exec "$SB_LB" bird -c "$SB_DIR/bird-lb.conf" \
    -s "$SB_DIR/bird-lb.ctl" -P "$SB_DIR/bird-lb.pid"

e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "announce": {"mode": "bgp", "hold_down_ms": 1000},
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "web6", "vip": "$VIP6", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "2001:db8::11"}, {"ip": "2001:db8::12"}]}]}
EOC

in_table6() {
    ip -n "$SB_LB" -6 route show table 100 proto 213 2>/dev/null \
        | grep >/dev/null "^$VIP6 dev br0"
}
not_in_table6() { ! in_table6; }
learned6() {
    birdc -s "$SB_DIR/bird-lb.ctl" show route "$VIP6/128" 2>/dev/null \
        | grep >/dev/null "^$VIP6/128 .*unicast \[kvips6"
}
unlearned6() { ! learned6; }
in_table4() {
    ip -n "$SB_LB" route show table 100 proto 213 | grep >/dev/null "^$VIP dev br0"
}
sb_wait_until in_table6 || sb_fail "IPv6 VIP not in table 100: $(ip -n "$SB_LB" -6 route show table 100)"
sb_wait_until in_table4 || sb_fail "IPv4 VIP not in table 100"
sb_wait_until learned6 || sb_fail "BIRD did not learn $VIP6/128: $(birdc -s "$SB_DIR/bird-lb.ctl" show route 2>&1)"
api GET /v1/status
expect 200 ".announce.announced | sort == ([\"$VIP\", \"$VIP6\"] | sort)"

# Both backends disabled: withdrawn at once, with the reason.
for be in 2001:db8::11 2001:db8::12; do
    api PATCH "/v1/services/web6/backends/$be" '{"state": "disabled"}'
    expect 200
done
sb_wait_until not_in_table6 || sb_fail "IPv6 VIP not withdrawn without backends"
sb_wait_until unlearned6 || sb_fail "BIRD kept the withdrawn $VIP6/128"
in_table4 || sb_fail "the IPv4 VIP was withdrawn with the IPv6 one"
api GET /v1/status
expect 200 ".announce.not_announced[\"$VIP6\"] == \"service web6: no backend takes connections\""
grep -q "$VIP6: withdrawn: service web6: no backend takes connections" \
    "$SB_DIR/dsrd.log" || sb_fail "withdrawal not logged with its reason"

# One back: announced again after the hold-down.
api PATCH /v1/services/web6/backends/2001:db8::11 '{"state": "active"}'
expect 200
sb_wait_until in_table6 || sb_fail "IPv6 VIP not announced again"

# SIGKILL leaves the routes; the next dsrd keeps them (no flap) and
# "dsrd --withdraw" removes both families'.
sb_kill_dsrd
in_table6 || sb_fail "SIGKILL took the route (test premise)"
sb_start_dsrd ""
sb_wait_until e2e_dsrd_ready
in_table6 || sb_fail "a new dsrd withdrew the route a killed one left"
sb_kill_dsrd
ip netns exec "$SB_LB" "$DSRD" --withdraw || sb_fail "dsrd --withdraw failed"
not_in_table6 || sb_fail "dsrd --withdraw left the IPv6 route"
! in_table4 || sb_fail "dsrd --withdraw left the IPv4 route"
sb_wait_until unlearned6 || sb_fail "BIRD kept $VIP6/128 after --withdraw"
# And a new dsrd announces it again.
sb_start_dsrd ""
sb_wait_until learned6 || sb_fail "not announced by the next dsrd"
E2E_EXPECTED_LOG='.'    # the killed runs' logs are not checked
e2e_pass "IPv6 VIP announced through table 100 exactly while servable"
