#!/bin/bash
# L2 DSR over IPv6, dual stack: an IPv6 service and an IPv4 one on the
# same bridge and backends, IPv6 and IPv4 clients at the same time.  OVS
# answers Neighbor Solicitations for the IPv6 VIP with the service MAC,
# dsrd finds the backends' MACs by Neighbor Discovery, connections are
# pinned, a disabled backend gets nothing, replies bypass the load
# balancer, and dsrctl trace predicts where IPv6 connections go.  On the
# kernel datapath too (make check-vm), where dsrd answers the
# solicitations itself (the kernel cannot rewrite ND fields).
. "$(dirname "$0")/lib.sh"
e2e_setup l2-ipv6 3 "$VIP" "$VIP6"
e2e_add_ipv6 3
# The load balancer's own IPv6 address, from which dsrd's health checks
# reach the backends.
sb_lb_address 10.0.0.5/24
sb_lb_address 2001:db8::5/64 nodad
e2e_http_backends 3 80
for i in 1 2 3; do
    BIND=:: sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
        "be$i" "$SB_DIR/be$i.http6.log" 80
done
for i in 1 2 3; do
    sb_wait_listening "be$i" 80 t 6 \
        || sb_fail "be$i's IPv6 server: $(cat "$SB_DIR/be$i.out"; sb_exec "be$i" ss -Hltn)"
done

fast='"interval_ms": 100, "timeout_ms": 1000, "rise": 2, "fall": 2'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC",
               "probe_ip6": "2001:db8::250"}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"},
                {"ip": "10.0.0.13"}]},
  {"name": "web6", "vip": "2001:DB8:0::100", "protocol": "tcp", "port": 80,
   "health_check": {"type": "http", "path": "/health", "dsr": true, $fast},
   "backends": [{"ip": "2001:db8::11",
                 "health_check": {"type": "tcp", "dsr": true}},
                {"ip": "2001:db8::12"},
                {"ip": "2001:db8::13", "state": "disabled"}]}]}
EOC

# IPv6 alone first, counted as l2-tcp.sh counts IPv4: the service's
# flows and its backends' see exactly the client's segments to the VIP;
# the replies (which the client received) never touched them.
out0=$(( $(e2e_client_tcp OutSegs) + $(e2e_client_tcp RetransSegs) ))
# One request first: a broken service fails here, not after 100 timeouts.
e2e_curl -6 --max-time 5 "http://[$VIP6]/" > /dev/null \
    || sb_fail "the IPv6 service does not answer: $(api GET /v1/status; cat "$SB_DIR/body")"
e2e_curl -6 "http://[$VIP6]/?[1-100]" > "$SB_DIR/answers6a"
out=$(( $(e2e_client_tcp OutSegs) + $(e2e_client_tcp RetransSegs) - out0 ))
[ "$(wc -l < "$SB_DIR/answers6a")" = 100 ] \
    || sb_fail "IPv6: $(wc -l < "$SB_DIR/answers6a") of 100 requests answered"
sb_wait_stats "$out" sb_flow_packets "cookie=0xd501000000000002/-1" 0
sb_wait_stats 100 sb_group_packets 2   # at least the SYNs
flow=$(sb_flow_packets "cookie=0xd501000000000002/-1" 0)
echo "client sent $out segments; the IPv6 service's flows counted $flow"
[ "$flow" = "$out" ] || sb_fail "IPv6 service flows counted $flow, client sent $out"

# Both families at once: 300 requests each.
e2e_curl -6 "http://[$VIP6]/?[1-300]" > "$SB_DIR/answers6" &
v6=$!
e2e_curl -4 "http://$VIP/?[1-300]" > "$SB_DIR/answers4"
wait "$v6" || sb_fail "curl -6 failed"
for f in 4 6; do
    n=$(wc -l < "$SB_DIR/answers$f")
    [ "$n" = 300 ] || sb_fail "IPv$f: $n of 300 requests answered"
done
# 150 expected each of be1 and be2 (be3 is disabled); 100 is far outside
# the binomial spread.  The backends' logs show the client's own address.
CLIENT_IP=$CLIENT_IP6 e2e_expect_spread http6.log 80 100 be1 be2 \
    < "$SB_DIR/answers6"
[ "$(e2e_count be3 < "$SB_DIR/answers6")" = 0 ] \
    || sb_fail "disabled backend be3 received IPv6 requests"
e2e_expect_spread http.log 80 50 be1 be2 be3 < "$SB_DIR/answers4"

# The client learned the IPv6 VIP at the service MAC, from OVS's flows
# (no backend answers NS for an address on its lo); a fresh solicitation
# gets the same answer.
sb_exec client ip -6 neigh show "$VIP6" | grep >/dev/null "lladdr $SERVICE_MAC" \
    || sb_fail "client has $(sb_exec client ip -6 neigh show "$VIP6")"
answer=$(sb_exec client ndisc6 -n -r 3 -w 1000 "$VIP6" eth0)
echo "$answer"
echo "$answer" | grep -i >/dev/null "Target link-layer address: $SERVICE_MAC" \
    || sb_fail "ndisc6 for the VIP was not answered with the service MAC"
nd=$(sb_flow_packets "cookie=0xd502800000000000/0xffff800000000000,icmp6,icmp_type=135")
[ "$nd" -ge 2 ] || sb_fail "the ND responder answered $nd solicitations"

# Announcements: a client that knew the VIPs at another MAC (they moved
# here from another node) learns the service MAC from the gratuitous ARP
# and the unsolicited Neighbor Advertisement (override) that a restarted
# dsrd sends, with no traffic of its own to ask.
moved=02:00:00:00:00:99
sb_exec client ip -4 neigh replace "$VIP" lladdr $moved dev eth0 nud stale
sb_exec client ip -6 neigh replace "$VIP6" lladdr $moved dev eth0 nud stale
sb_stop_dsrd
sb_start_dsrd "$SB_DIR/dsrd.json"
learned() {
    sb_exec client ip "$1" neigh show "$2" | grep >/dev/null "lladdr $SERVICE_MAC"
}
sb_wait_until learned -4 "$VIP" \
    || sb_fail "no gratuitous ARP: client has $(sb_exec client ip -4 neigh show "$VIP")"
sb_wait_until learned -6 "$VIP6" \
    || sb_fail "no unsolicited NA: client has $(sb_exec client ip -6 neigh show "$VIP6")"
sb_wait_until e2e_dsrd_ready || sb_fail "restarted dsrd: $(sb_dsrctl dsr/show)"

# Connections were pinned in dsrd's zone, named by service 2.
pins=$(ovs-appctl dpctl/dump-conntrack zone=54741 \
    | grep -c "src=$CLIENT_IP6,dst=$VIP6.*labels=0x2" || true)
[ "$pins" -ge 1 ] || sb_fail "no IPv6 pins in zone 54741"

# A new IPv6 connection's SYN, traced with the datapath's hash given (as
# dsrctl trace does for IPv4): slot 0xaa's bucket pins it in table 21's
# ipv6 flow and delivers it to a backend of web6 (on the kernel datapath
# the SYN first looks up an old pin of its 5-tuple, and the trace stops at
# that lookup: flows/README.md, "Connection pinning"); one megaflow per
# slot.
if [ "$DSR_DATAPATH" = system ]; then
    syn_flow="21. ct_state=-trk,tcp6,tcp_flags=+syn-ack, priority 10"
    syn_actions="ct\(zone=54741\),recirc\("
else
    syn_flow="21. ipv6, priority 0"
    syn_actions="ct\(commit,zone=54741,mark=0x[0-9a-f]+/0xffffffff,label=0x2/0xffffffff(,timeout=[0-9]+)?\),set\(eth\(src=$SERVICE_MAC"
fi
trace=$(ovs-appctl ofproto/trace br0 "in_port=1,tcp6,dp_hash=0xaa,ipv6_src=$CLIENT_IP6,ipv6_dst=$VIP6,tcp_src=40001,tcp_dst=80,tcp_flags=syn")
echo "$trace"
echo "$trace" | grep >/dev/null "$syn_flow" \
    || sb_fail "the IPv6 SYN did not take table 21's flow \"$syn_flow\""
echo "$trace" | grep -E >/dev/null "^Megaflow: .*dp_hash=0xaa/0xff,.*ipv6_dst=$VIP6" \
    || sb_fail "no per-slot megaflow for the IPv6 SYN"
# Not per client: the ND flows' source and hop-limit matches stay out of
# the service's megaflows (flows/pipeline.c, add_nd_entry()).
! echo "$trace" | grep -E >/dev/null "^Megaflow: .*(ipv6_src|nw_ttl)=" \
    || sb_fail "the IPv6 SYN's megaflow matches the client's address or hop limit"
echo "$trace" | grep -E >/dev/null "^Datapath actions: $syn_actions" \
    || sb_fail "the IPv6 SYN was not delivered as expected"

# dsr/show and the API print the VIP and backends in RFC 5952 form, and
# say how their MACs were found.
sb_dsrctl dsr/show | tee "$SB_DIR/show"
for i in 1 2; do
    mac=$(sb_exec "be$i" cat /sys/class/net/eth0/address)
    grep -q "backend 2001:db8::1$i: mac $mac (nd), port $((i + 1))," \
        "$SB_DIR/show" || sb_fail "dsr/show is wrong for be$i over IPv6"
done
api GET /v1/services/web6
expect 200 '.vip == "2001:db8::100"' '.backends[1].ip == "2001:db8::12"'

# A backend enabled through the API (named in any text form) takes its
# share.
api PATCH /v1/services/web6/backends/2001:DB8::0013 '{"state": "active"}'
expect 200
e2e_curl -6 "http://[$VIP6]/?[1-150]" > "$SB_DIR/answers6b"
[ "$(e2e_count be3 < "$SB_DIR/answers6b")" -ge 20 ] \
    || sb_fail "be3 took $(e2e_count be3 < "$SB_DIR/answers6b") of 150 after being enabled"

# "Where does this client go?" over IPv6: dsrd predicts the backend of 100
# new connections (the userspace datapath's 5-tuple hash over IPv6
# addresses) and each lands there; 20 held ones are answered from their
# pins.  Addresses print in RFC 5952 form, with brackets around an IPv6
# address followed by a port.  Source ports below the ephemeral range
# (32768-), so that no pin of the curl connections above matches.
if [ "$DSR_DATAPATH" = system ]; then
    # The kernel's hash is seeded at boot: no slot can be predicted
    # (trace.sh checks the kernel datapath's answers in full).
    api GET "/v1/trace?protocol=tcp&client=%5B$CLIENT_IP6%5D:21000&vip=%5B$VIP6%5D:80"
    expect 200 '.slot == null' '.slot_note | test("kernel")' \
        '[.slot_shares[]] | add == 256'
else
    names6() { sed 's/2001:db8::1\([1-3]\)\b/be\1/g'; }
    ask6() {
        ip netns exec "$SB_LB" python3 "$TOP_SRCDIR/tests/e2e/trace-query.py" \
            "$API_URL" | names6
    }
    for p in $(seq 21000 21099); do
        echo "tcp [$CLIENT_IP6]:$p [$VIP6]:80"
    done > "$SB_DIR/q6"
    ask6 < "$SB_DIR/q6" > "$SB_DIR/predicted6"
    bad=$(awk '$4 != "slot" || $3 != $7 || $3 !~ /^be[123]$/' "$SB_DIR/predicted6" | head -3)
    [ -z "$bad" ] || sb_fail "IPv6 traces not answered by a slot: $bad"
    sb_exec client python3 "$TOP_SRCDIR/tests/e2e/trace-client.py" tcp \
        "$CLIENT_IP6" "$VIP6" 80 21000 100 > "$SB_DIR/sent6"
    diff <(awk '{ print $2, $3 }' "$SB_DIR/predicted6") \
         <(awk '{ print $2, $3 }' "$SB_DIR/sent6") \
        || sb_fail "IPv6 connections did not go where dsrd said"
    sb_spawn client python3 "$TOP_SRCDIR/tests/e2e/trace-client.py" tcp \
        "$CLIENT_IP6" "$VIP6" 80 22000 20 --hold
    held6() { [ "$(grep -c '^tcp \[' "$SB_DIR/client.out" 2>/dev/null)" = 20 ]; }
    sb_wait_until held6 || sb_fail "held IPv6 connections not up"
    for p in $(seq 22000 22019); do
        echo "tcp [$CLIENT_IP6]:$p [$VIP6]:80"
    done | ask6 > "$SB_DIR/pinned6"
    bad=$(join <(awk '{ print $2, $3 }' "$SB_DIR/pinned6" | sort) \
               <(grep '^tcp \[' "$SB_DIR/client.out" | awk '{ print $2, $3 }' | sort) \
          | awk '$2 != $3' | head -3)
    [ -z "$bad" ] && [ "$(grep -c ' pin be' "$SB_DIR/pinned6")" = 20 ] \
        || sb_fail "held IPv6 connections not answered from their pins: $(head -3 "$SB_DIR/pinned6") $bad"
    ip netns exec "$SB_LB" "$DSRCTL" trace tcp "[$CLIENT_IP6]:23000" "[$VIP6]:80" \
        | tee "$SB_DIR/text6"
    grep -q "^service web6 (bridge br0, $(e2e_datapath_kind) datapath, 5-tuple hash): tcp \[$CLIENT_IP6\]:23000 -> \[$VIP6\]:80$" \
        "$SB_DIR/text6" || sb_fail "dsrctl trace: no IPv6 service line"
    grep -q "^trace: ovs-appctl ofproto/trace br0 'tcp6,dp_hash=0x[0-9a-f]*,ipv6_src=$CLIENT_IP6,ipv6_dst=$VIP6,tcp_src=23000,tcp_dst=80,tcp_flags=syn'$" \
        "$SB_DIR/text6" || sb_fail "dsrctl trace: no IPv6 ofproto/trace command"
    sb_pkill client "trace-client.py tcp $CLIENT_IP6"
fi

# Health checks over IPv6 (http for the service, tcp for be1): be2's IPv6
# server stops, be2 goes down for web6 only and takes no new IPv6
# connections, while its IPv4 server keeps serving web.
# (Read from the API: under make check-vm dsrd's log is on the host.)
web6_health() {
    api GET /v1/status
    jq -r --arg ip "$1" '.services[] | select(.name == "web6")
        | .backends[] | select(.ip == $ip) | .health' "$SB_DIR/body"
}
be2_down6() { [ "$(web6_health 2001:db8::12)" = down ]; }
sb_pkill be2 "http-backend.py be2 .*http6.log"
sb_wait_until be2_down6 || sb_fail "be2 not down for web6"
sb_wait_until e2e_in_sync
[ "$(web6_health 2001:db8::11)" = up ] \
    || sb_fail "be1's tcp check over IPv6: $(web6_health 2001:db8::11)"
e2e_curl -6 "http://[$VIP6]/?[1-100]" > "$SB_DIR/answers6c"
[ "$(e2e_count be2 < "$SB_DIR/answers6c")" = 0 ] \
    || sb_fail "be2, down over IPv6, received IPv6 requests"
[ "$(wc -l < "$SB_DIR/answers6c")" = 100 ] \
    || sb_fail "$(wc -l < "$SB_DIR/answers6c") of 100 IPv6 requests answered with be2 down"
e2e_curl -4 "http://$VIP/?[1-60]" > "$SB_DIR/answers4b"
[ "$(e2e_count be2 < "$SB_DIR/answers4b")" -ge 5 ] \
    || sb_fail "be2 stopped serving IPv4 when its IPv6 server stopped"

# /v1/status and /metrics name IPv6 backends in RFC 5952 form; be2 is
# down for web6 only.
api GET /v1/status
expect 200 '.services[] | select(.name == "web6") | .backends[]
            | select(.ip == "2001:db8::12") | .health == "down"' \
    '.services[] | select(.name == "web") | .backends[]
     | select(.ip == "10.0.0.12") | .health == "unchecked"'
api GET /metrics
expect 200
grep -q '^dsr_backend_up{service="web6",backend="2001:db8::12",check="http"} 0$' \
    "$SB_DIR/body" || sb_fail "/metrics: $(grep 'dsr_backend_up{service="web6"' "$SB_DIR/body")"

# The DSR-path probe over IPv6 (a SYN from the bridge's probe_ip6 to the
# VIP, delivered as a client's): be1 loses the VIP from its lo, its plain
# check on its real address still passes, and the probe takes it down.
web6_reason() {
    api GET /v1/status
    jq -r '.services[] | select(.name == "web6") | .backends[]
        | select(.ip == "2001:db8::11") | .reason // ""' "$SB_DIR/body"
}
sb_exec be1 ip -6 addr del "$VIP6/128" dev lo
no_vip() {
    [ "$(web6_health 2001:db8::11)" = down ] \
        && web6_reason | grep >/dev/null "VIP not configured on backend"
}
sb_wait_until no_vip \
    || sb_fail "be1 without the VIP: $(web6_health 2001:db8::11), $(web6_reason)"
sb_exec be1 ip -6 addr add "$VIP6/128" dev lo
be1_up6() { [ "$(web6_health 2001:db8::11)" = up ]; }
sb_wait_until be1_up6 || sb_fail "be1 with the VIP back: $(web6_reason)"

e2e_pass "L2 DSR over IPv6, dual stack"
