#!/bin/bash
# Three load-balancer nodes behind ECMP (deploy/bgp/README.md): a router
# running BIRD with BFD and 5-tuple multipath, a client behind it, and on
# one L2 segment three LB nodes (each its own ovs-vswitchd, userspace
# datapath, one-armed; dsrd in bgp mode; BIRD) and three backends.
#  1. Connections spread over the three nodes, all answered.
#  2. One node's health checks all fail: it alone withdraws the VIP; new
#     connections keep working through the others.
#  3. A node dies (ovs-vswitchd killed, link cut) under 30 long-lived
#     connections: BFD drops its path, 0 connections break.
#  4. The same 5-tuple gets the same backend on every node.
#  5. "dsrctl node drain" under 30 long-lived connections: the node's path
#     goes, 0 connections break, it takes no new one; undrain brings it
#     back.
#  6. Active-standby: the standby exports a longer AS path and takes no
#     connection until the active node dies, then takes them all.
#  7. Active-standby per VIP, by the services' announce metrics (the MED).
. "$(dirname "$0")/lib.sh"
e2e_require_bird
if [ "$DSR_DATAPATH" != userspace ]; then
    echo "SKIP: three switches of one datapath kind; runs with userspace"
    exit 77
fi
sb_init bgp-ecmp
VIP=192.0.2.10

# The lab (deploy/bgp/lab.sh): the router with BIRD and BFD, the client,
# the segment, the backends, and each node's OVS, BIRD and dsrd.
. "$TOP_SRCDIR/deploy/bgp/lab.sh"
lab_router 3
lab_backends
lab_nodes 3

rt_paths() { lab_rt_paths; }
paths_are() { [ "$(rt_paths)" = "$1" ]; }
SB_WAIT=90 sb_wait_until paths_are 3 \
    || sb_fail "router has $(rt_paths) paths: $(in_ns rt ip route; birdc -s "$SB_DIR/bird-rt.ctl" show protocols)"

# 1. Spread: 90 connections, each node takes some, all answered.
group_packets() { lab_group_packets "$1"; }
in_ns client curl -sS --max-time 10 "http://$VIP/?[1-90]" > "$SB_DIR/answers" \
    || sb_fail "requests failed: $(sort "$SB_DIR/answers" | uniq -c)"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers")" = 90 ] \
    || sb_fail "answers: $(sort "$SB_DIR/answers" | uniq -c)"
spread=""
for i in 1 2 3; do
    n=$(group_packets "$i")
    spread="$spread lb$i=$n"
    [ "${n:-0}" -gt 0 ] || sb_fail "node lb$i took no connection:$spread"
done
echo "spread of 90 connections (SYNs per node):$spread"

# 4. The same 5-tuple, the same backend, on every node.
for port in 40001 40002 40003 40004 40005; do
    chosen=""
    for i in 1 2 3; do
        b=$(in_ns "lb$i" curl -sS --max-time 5 \
                "http://127.0.0.1:9180/v1/trace?protocol=tcp&client=198.18.1.2:$port&vip=$VIP:80" \
            | jq -r .backend)
        chosen="$chosen $b"
    done
    set -- $chosen
    [ $# = 3 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ] \
        || sb_fail "client port $port: backends$chosen on lb1..lb3"
done

# 7. Active-standby per VIP: service web2 on VIP2 is announced by lb1
# (metric 10) and lb2 (the service's 50), not by lb3; the router uses lb1
# alone (lowest MED).  lb1's metric goes to 100: the router moves to lb2,
# and lb1 still announces it, as a standby.
VIP2=192.0.2.20
for i in 1 2 3; do
    in_ns "be$i" "$TOP_SRCDIR/deploy/dsr-backend" setup "$VIP2" > /dev/null
done
web2() {
    jq -n --arg vip "$VIP2" --argjson m1 "$1" '{name: "web2", vip: $vip,
        protocol: "tcp", port: 80,
        backends: [{ip: "10.0.0.11"}, {ip: "10.0.0.12"}, {ip: "10.0.0.13"}],
        announce: {metric: 50, nodes: [{name: "lb1", metric: $m1},
                                       {name: "lb2"}]}}'
}
api_on() {
    local i=$1
    shift
    in_ns "lb$i" curl -sS --max-time 10 -o /dev/null -w '%{http_code}' \
        -H 'Content-Type: application/json' "$@"
}
for i in 1 2 3; do
    code=$(api_on "$i" -X PUT --data "$(web2 10)" \
               http://127.0.0.1:9180/v1/services/web2)
    [ "$code" = 201 ] || sb_fail "PUT web2 on lb$i: $code"
done
via2_only() {
    [ "$(in_ns rt ip route show "$VIP2" | grep -c via)" = 1 ] \
        && in_ns rt ip route show "$VIP2" | grep >/dev/null "via $1 "
}
SB_WAIT=30 sb_wait_until via2_only 10.0.0.21 \
    || sb_fail "VIP2 not via lb1 alone: $(in_ns rt ip route show "$VIP2")"
status_on() {
    in_ns "lb$1" curl -sS --max-time 5 http://127.0.0.1:9180/v1/status
}
# The route is via lb1 alone as soon as lb1 announces, whether or not the
# others have yet (each after its hold-down): wait for what they say.
lb2_metric_50() {
    status_on 2 | jq -e ".announce.metrics[\"$VIP2\"] == 50" > /dev/null
}
SB_WAIT=30 sb_wait_until lb2_metric_50 \
    || sb_fail "lb2's metric for VIP2: $(status_on 2 | jq -c .announce)"
why="service web2: not announced from this node (its announce.nodes)"
lb3_not_announcing() {
    status_on 3 | jq -e --arg v "$VIP2" --arg why "$why" \
        '.announce.not_announced[$v] == $why' > /dev/null
}
SB_WAIT=30 sb_wait_until lb3_not_announcing \
    || sb_fail "lb3 and VIP2: $(status_on 3 | jq -c .announce)"
in_ns client curl -sS --max-time 10 "http://$VIP2/?[1-20]" > "$SB_DIR/answers7"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers7")" = 20 ] \
    || sb_fail "VIP2: $(sort "$SB_DIR/answers7" | uniq -c)"
code=$(api_on 1 -X PUT --data "$(web2 100)" \
           http://127.0.0.1:9180/v1/services/web2)
[ "$code" = 200 ] || sb_fail "PUT web2 with metric 100 on lb1: $code"
SB_WAIT=30 sb_wait_until via2_only 10.0.0.22 \
    || sb_fail "VIP2 not moved to lb2: $(in_ns rt ip route show "$VIP2")"
routes=$(in_ns lb1 ip route show table 100 "$VIP2")
[ "$routes" = "$VIP2 dev br0 proto 213 scope link metric 100 " ] \
    || [ "$routes" = "$VIP2 dev br0 proto 213 scope link metric 100" ] \
    || sb_fail "lb1's table 100 for VIP2: $routes"
grep -q "$VIP2: metric now 100" "$SB_DIR/lb1/dsrd.log" \
    || sb_fail "lb1 did not log the new metric"
lb1_exports_100() {
    birdc -s "$SB_DIR/lb1/bird.ctl" show route all "$VIP2/32" \
        | grep >/dev/null 'Kernel.metric: 100$'
}
sb_wait_until lb1_exports_100 \
    || sb_fail "lb1's BIRD: $(birdc -s "$SB_DIR/lb1/bird.ctl" show route all "$VIP2/32")"
for i in 1 2 3; do
    code=$(api_on "$i" -X DELETE http://127.0.0.1:9180/v1/services/web2)
    [ "$code" = 204 ] || sb_fail "DELETE web2 on lb$i: $code"
done
vip2_gone() { [ -z "$(in_ns rt ip route show "$VIP2")" ]; }
SB_WAIT=30 sb_wait_until vip2_gone || sb_fail "VIP2 still routed"
echo "active-standby per VIP: lb1 (metric 10) alone, lb2 (50) after lb1's metric went to 100, lb3 never"

# 2. Every health check of lb1 fails (the backends cannot answer it):
# lb1 withdraws, the others stay, new connections keep working.
for i in 1 2 3; do
    in_ns "be$i" ip route add prohibit 10.0.0.21/32
done
SB_WAIT=30 sb_wait_until paths_are 2 || sb_fail "lb1 not withdrawn: $(in_ns rt ip route show "$VIP")"
in_ns rt ip route show "$VIP" | grep >/dev/null 10.0.0.21 && sb_fail "lb1 still a path"
in_ns client curl -sS --max-time 10 "http://$VIP/?[1-30]" > "$SB_DIR/answers2"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers2")" = 30 ] \
    || sb_fail "with lb1 withdrawn: $(sort "$SB_DIR/answers2" | uniq -c)"
for i in 1 2 3; do
    in_ns "be$i" ip route del prohibit 10.0.0.21/32
done
SB_WAIT=30 sb_wait_until paths_are 3 || sb_fail "lb1 not back"

# 5. lb3 drained under 30 long-lived connections: its path goes, none
# breaks, and it takes no new connection; undrained, it comes back.
ctl3() { in_ns lb3 "$DSRCTL" "$@"; }
in_ns client python3 "$TOP_SRCDIR/bench/longlived_client.py" "$VIP" 7 30 8 \
    > "$SB_DIR/drain-conns" &
held=$!
established() {
    [ "$(in_ns client ss -Htn state established "( dport = :7 )" | wc -l)" -ge 30 ]
}
sb_wait_until established || sb_fail "long-lived connections not up"
ctl3 node drain --wait 1 > "$SB_DIR/drain.out" || sb_fail "node drain failed"
grep -q '^node drained; VIPs announced by bgp: none$' "$SB_DIR/drain.out" \
    || sb_fail "node drain: $(cat "$SB_DIR/drain.out")"
sb_wait_until paths_are 2 || sb_fail "lb3 still a path after drain"
before=$(group_packets 3)
in_ns client curl -sS --max-time 10 "http://$VIP/?[1-30]" > "$SB_DIR/answers3"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers3")" = 30 ] \
    || sb_fail "while lb3 drained: $(sort "$SB_DIR/answers3" | uniq -c)"
[ "$(group_packets 3)" = "$before" ] || sb_fail "drained lb3 took new connections"
wait "$held"
broken=$(grep -c BROKEN "$SB_DIR/drain-conns" || true)
[ "$broken" = 0 ] || sb_fail "$broken connections broke on drain: $(grep BROKEN "$SB_DIR/drain-conns" | head)"
ctl3 node undrain > /dev/null || sb_fail "node undrain failed"
SB_WAIT=30 sb_wait_until paths_are 3 || sb_fail "lb3 not back after undrain"
echo "drain: 0 of 30 connections broken, no new connection on the drained node"

# 3. lb2 dies under 30 long-lived connections: 0 broken.
in_ns client python3 "$TOP_SRCDIR/bench/longlived_client.py" "$VIP" 7 30 12 \
    > "$SB_DIR/conns" &
held=$!
sb_wait_until established || sb_fail "long-lived connections not up"
kill -9 "$(cat "$SB_DIR/lb2/ovs-vswitchd.pid")"
in_ns sw ip link set p-lb2 down
start=$(date +%s%N)
SB_WAIT=30 sb_wait_until paths_are 2 || sb_fail "lb2's path not dropped"
echo "lb2's path dropped $(( ($(date +%s%N) - start) / 1000000 )) ms after its link went down"
wait "$held"
broken=$(grep -c BROKEN "$SB_DIR/conns" || true)
[ "$(wc -l < "$SB_DIR/conns")" = 30 ] || sb_fail "connections not reported"
[ "$broken" = 0 ] || sb_fail "$broken long-lived connections broke: $(grep BROKEN "$SB_DIR/conns" | head)"
# 6. Active-standby between lb1 and lb3: lb3 exports a longer AS path,
# so the router uses lb1 alone; lb1 dies, lb3 takes over.
sed -i 's/bgp_med = krt_metric;/& bgp_path.prepend(65001);/' \
    "$SB_DIR/lb3/bird.conf"
birdc -s "$SB_DIR/lb3/bird.ctl" configure > /dev/null || sb_fail "birdc configure"
via_only() {
    [ "$(rt_paths)" = 1 ] && in_ns rt ip route show "$VIP" | grep >/dev/null "via $1 "
}
SB_WAIT=30 sb_wait_until via_only 10.0.0.21 \
    || sb_fail "standby still used: $(in_ns rt ip route show "$VIP")"
before=$(group_packets 3)
in_ns client curl -sS --max-time 10 "http://$VIP/?[1-20]" > "$SB_DIR/answers4"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers4")" = 20 ] \
    || sb_fail "active-standby: $(sort "$SB_DIR/answers4" | uniq -c)"
[ "$(group_packets 3)" = "$before" ] || sb_fail "the standby took connections"
kill -9 "$(cat "$SB_DIR/lb1/ovs-vswitchd.pid")"
in_ns sw ip link set p-lb1 down
start=$(date +%s%N)
SB_WAIT=30 sb_wait_until via_only 10.0.0.23 || sb_fail "no failover to the standby"
echo "standby took over $(( ($(date +%s%N) - start) / 1000000 )) ms after the active node's link went down"
in_ns client curl -sS --max-time 10 "http://$VIP/?[1-20]" > "$SB_DIR/answers5"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers5")" = 20 ] \
    || sb_fail "after failover: $(sort "$SB_DIR/answers5" | uniq -c)"

# Every node's dsrd (lb1's and lb2's outlived their switches) exits
# cleanly, and a sanitizer build found nothing in any of them.
for i in 1 2 3; do
    pid=$(cat "$SB_DIR/lb$i/dsrd.pid")
    in_node "$i" ovs-appctl -t "$SB_DIR/lb$i/dsrd.$pid.ctl" exit \
        || sb_fail "lb$i's dsrd did not answer: $(tail -5 "$SB_DIR/lb$i/dsrd.log")"
    sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
done
sb_check_sanitizers
echo "PASS: 3 nodes behind ECMP: spread, same choice, withdraw on failed health, drain and node loss with 0 broken, active-standby failover, per-VIP metrics"
