#!/bin/bash
# L3 DSR over GRE (service mode "gre"): the client and the LB share a
# segment (br0), the backends are hosts on another subnet behind a router.
# The LB encapsulates the client's untouched packet in GRE (OVS's flow-
# based tunnel port, packet_type=legacy_l3) to the backend's address; each
# backend host decapsulates it (with its own OVS: this kernel has no GRE
# module) and answers the client directly through the router.  Real HTTP
# and UDP, a capture of the underlay, health-check failover, an L2
# service on the same bridge at the same time, and the DSR-path probe
# through the tunnel: be2 lacks VIP2, and later be1 its decapsulation,
# which plain checks miss and the probe catches.
. "$(dirname "$0")/lib.sh"

if [ "$DSR_DATAPATH" = system ]; then
    # The kernel datapath's GRE is tests/e2e/l3-kernel.sh (make check-vm).
    echo "SKIP: l3-gre: userspace and DPDK datapaths; the kernel's is l3-kernel"
    exit 77
fi
e2e_setup l3-gre 0
# Port 1: the client (e2e_setup).  Port 2: the router.  Port 3: an L2
# backend on the LB's segment, for the mixed test.
sb_add_host rt 10.0.0.254/24
sb_add_backend be3 10.0.0.13/24 10.0.0.101
sb_exec rt sysctl -q -w net.ipv4.ip_forward=1
sb_exec rt ip link add rtbr type bridge
VIP2=10.0.0.102
sb_add_tunnel_host be1 10.1.0.11/24 10.1.0.254 rt-be1 "$VIP" "$VIP2"
sb_add_tunnel_host be2 10.1.0.12/24 10.1.0.254 rt-be2 "$VIP"
for l in rt-be1 rt-be2; do
    sb_exec rt ip link set "$l" master rtbr up
    sb_exec rt ethtool -K "$l" tx off >/dev/null
done
sb_exec rt ip addr add 10.1.0.254/24 dev rtbr
sb_exec rt ip link set rtbr up
sb_exec client ip route add 10.1.0.0/24 via 10.0.0.254

# The LB node: its tunnel address on br0's LOCAL port, a route to the
# backends' subnet (ovs-vswitchd mirrors its namespace's routes).  No
# GRE port yet: dsrd must say so.
sb_lb_address 10.0.0.1/24
ip -n "$SB_LB" route add 10.1.0.0/24 via 10.0.0.254

for b in be1 be2 be3; do
    sb_spawn "$b" python3 "$TOP_SRCDIR/deploy/http-backend.py" "$b" \
        "$SB_DIR/$b.http.log" 80
    sb_wait_listening "$b" 80
done
e2e_udp_backends 2 5353
# DNS on VIP2 for the DSR-path probe of a udp check: be1 bound to VIP2
# and its real IP (right), be2 on 0.0.0.0 (it has no VIP2 anyway).
sb_spawn be1 python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5354 \
    "$VIP2" 10.1.0.11
sb_spawn be2 python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5354 0.0.0.0

E2E_EXPECTED_LOG='service (web|dns|dsr|dsr-udp) \(gre\) cannot be delivered: (bridge br0 has no GRE port|ovs-vswitchd has no route to backend)|br0: ovs-vswitchd has no route to backend|backend .* down|health'
probe='"interval_ms": 200, "fall": 2, "rise": 1, "dsr": true'
cat > "$SB_DIR/dsrd.json" <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "probe_ip": "10.0.0.250"}],
 "services": [
   {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
    "mode": "gre",
    "health_check": {"type": "tcp", "interval_ms": 200, "fall": 2, "rise": 1},
    "backends": [{"ip": "10.1.0.11"}, {"ip": "10.1.0.12"}]},
   {"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 5353,
    "mode": "gre", "pin_connections": false,
    "backends": [{"ip": "10.1.0.11"}, {"ip": "10.1.0.12"}]},
   {"name": "l2", "vip": "10.0.0.101", "protocol": "tcp", "port": 80,
    "backends": [{"ip": "10.0.0.13"}]},
   {"name": "dsr", "vip": "$VIP2", "protocol": "tcp", "port": 80,
    "mode": "gre", "health_check": {"type": "tcp", $probe},
    "backends": [{"ip": "10.1.0.11"}, {"ip": "10.1.0.12"}]},
   {"name": "dsr-udp", "vip": "$VIP2", "protocol": "udp", "port": 5354,
    "mode": "gre", "pin_connections": false,
    "health_check": {"type": "udp", "preset": "dns", $probe},
    "backends": [{"ip": "10.1.0.11"}, {"ip": "10.1.0.12"}]}]}
EOC
sb_start_dsrd "$SB_DIR/dsrd.json"
sb_wait_until e2e_in_sync

# Without the GRE port: a clear error in dsr/show, /v1/status and the
# log; the gre backends get no traffic (drop), the L2 service works.
sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show | grep >/dev/null 'error: bridge br0 has no GRE port'"
api GET /v1/status
expect 200 '.services[] | select(.name == "web") | .programmed == false'
expect 200 '.services[] | select(.name == "web") | .error | test("no GRE port.*ovs-vsctl add-port br0 gre0")'
grep -q "service web (gre) cannot be delivered: bridge br0 has no GRE port" \
    "$SB_DIR/dsrd.log" || sb_fail "dsrd did not log the missing GRE port"
sb_ofctl dump-flows br0 table=22 | grep "reg1=0xa01000b" | grep >/dev/null "actions=drop" \
    || sb_fail "backend without a GRE port is not dropped"

# The GRE port, as README.md says to create it.
sb_vsctl add-port br0 gre0 -- set interface gre0 ofport_request=10 \
    type=gre options:remote_ip=flow options:packet_type=legacy_l3
sb_wait_until sh -c "! ovs-appctl -t dsrd dsr/show | grep >/dev/null error:"
sb_wait_until sh -c "ovs-ofctl -O OpenFlow15 dump-flows br0 table=22 | grep >/dev/null 'reg1=0xa01000b actions=set_field:10.1.0.11->tun_dst,output:10'" || { sb_ofctl dump-flows br0 table=22; sb_dsrctl dsr/show; false; }
sb_ofctl dump-flows br0 table=22 | grep -v NXST | sed 's/^ *//' \
    | sed 's/duration=[^,]*, //' | tee "$SB_DIR/table22"
# Programmed once the switch has confirmed the flows (a busy machine's
# dsrd may not have its barrier's answer yet when they show).
e2e_wait_api /v1/status '.services[] | select(.name == "web") | .programmed == true'

# Without a route to the backends (ovs-vswitchd mirrors its namespace's
# routes), a restarted dsrd says so; once the route is back, the error
# goes (dsrd looks again every 5 s).
sb_stop_dsrd
ip -n "$SB_LB" route del 10.1.0.0/24
sb_start_dsrd "$SB_DIR/dsrd.json"
no_route() { sb_dsrctl dsr/show 2>/dev/null | grep >/dev/null "error: ovs-vswitchd has no route to backend 10.1.0.1[12]"; }
sb_wait_until no_route || sb_fail "no error for a missing route: $(sb_dsrctl dsr/show)"
api GET /v1/status
expect 200 '.services[] | select(.name == "web") | .error | test("no route to backend")'
ip -n "$SB_LB" route add 10.1.0.0/24 via 10.0.0.254
routed() { ! sb_dsrctl dsr/show | grep >/dev/null "error:"; }
SB_WAIT=15 sb_wait_until routed || sb_fail "route error stayed: $(sb_dsrctl dsr/show)"

# The DSR-path probe goes through the tunnel as client traffic does: be1
# owns VIP2 and answers through it, be2 does not, although plain checks
# (to the real IPs) pass for both.
status() { e2e_backend_health "$@"; }
is() { status "$1" "$2" | grep >/dev/null "^$3"; }
NO_VIP="down VIP not configured on backend or no decapsulation: it answers on its real IP but not on the VIP through the tunnel"
for s in dsr dsr-udp; do
    sb_wait_until is "$s" 10.1.0.12 down || sb_fail "$s be2: $(status "$s" 10.1.0.12)"
    [ "$(status "$s" 10.1.0.12)" = "$NO_VIP" ] \
        || sb_fail "$s be2's reason: $(status "$s" 10.1.0.12)"
    sb_wait_until is "$s" 10.1.0.11 up || sb_fail "$s be1: $(status "$s" 10.1.0.11)"
done
sb_wait_until is web 10.1.0.12 up

# Capture on both sides of the router: GRE from the LB to the backends,
# replies from the VIP straight to the client.
e2e_capture rt rtbr "$SB_DIR/underlay.pcap" ip
e2e_capture rt eth0 "$SB_DIR/lbside.pcap" ip

# HTTP: the first request may wait for OVS's tunnel ARP (≈1 s).
sb_wait_until e2e_curl -o /dev/null "http://$VIP/"
e2e_curl "http://$VIP/?[1-100]" > "$SB_DIR/answers"
n=$(wc -l < "$SB_DIR/answers")
[ "$n" = 100 ] || sb_fail "$n of 100 HTTP requests answered"
e2e_expect_spread http.log 80 20 be1 be2 < "$SB_DIR/answers"

# UDP.
sb_exec client python3 "$TOP_SRCDIR/tests/e2e/udp-client.py" "$VIP" 5353 \
    60 > "$SB_DIR/udp-answers" || true
n=$(grep -cE "^be[12]" "$SB_DIR/udp-answers" || true)
echo "UDP: $n of 60 answered: $(cut -d' ' -f1 "$SB_DIR/udp-answers" | sort | uniq -c | tr '\n' ' ')"
[ "$n" -ge 58 ] || sb_fail "only $n of 60 UDP datagrams answered"
cut -d' ' -f1 "$SB_DIR/udp-answers" \
    | e2e_expect_spread udp.log 5353 1 be1 be2

# Mixed: the L2 service on the same bridge, at the same time.
e2e_curl "http://10.0.0.101/?[1-10]" > "$SB_DIR/l2-answers"
[ "$(e2e_count be3 < "$SB_DIR/l2-answers")" = 10 ] \
    || sb_fail "the L2 service next to the GRE ones did not answer"

e2e_capture_stop rt
sb_exec rt tcpdump -n -r "$SB_DIR/underlay.pcap" 2>/dev/null \
    > "$SB_DIR/underlay.txt"
sb_exec rt tcpdump -n -r "$SB_DIR/lbside.pcap" 2>/dev/null \
    > "$SB_DIR/lbside.txt"
echo "underlay (router, backend side), first GRE packets and replies:"
grep -m 3 "GREv0" "$SB_DIR/underlay.txt"
grep -m 2 "$VIP.80 > $CLIENT_IP" "$SB_DIR/underlay.txt"
grep -m 1 "GREv0.*> $VIP.5353: " "$SB_DIR/underlay.txt"
grep -m 1 "IP $VIP.5353 > " "$SB_DIR/underlay.txt"
# Outer IPv4 from the LB's tunnel address, GRE (proto 47, 0x0800), and
# the client's packet inside, unchanged: client address to the VIP.
grep -q "IP 10.0.0.1 > 10.1.0.1[12]: GREv0, length [0-9]*: IP $CLIENT_IP\.[0-9]* > $VIP\.80: Flags \[S\]" \
    "$SB_DIR/underlay.txt" || sb_fail "no GRE-encapsulated SYN on the underlay"
grep -q "GREv0.*: IP $CLIENT_IP\.[0-9]* > $VIP\.5353: " "$SB_DIR/underlay.txt" \
    || sb_fail "no GRE-encapsulated UDP on the underlay"
# Replies leave the backends unencapsulated, from the VIP to the client.
grep -q "IP $VIP\.80 > $CLIENT_IP\.[0-9]*: Flags \[S\.\]" "$SB_DIR/underlay.txt" \
    || sb_fail "no direct SYN-ACK from the VIP on the underlay"
! grep -q "GREv0.*IP $VIP" "$SB_DIR/underlay.txt" \
    || sb_fail "a reply went back through a tunnel"
echo "LB side of the router:"
grep -m 2 "$VIP.80 > $CLIENT_IP" "$SB_DIR/lbside.txt"
grep -q "IP $VIP\.80 > $CLIENT_IP" "$SB_DIR/lbside.txt" \
    || sb_fail "replies did not come from the router to the client"
# The LB's pipeline saw only the client's half: its table 22 counts no
# reply, and the replies reached the client from the router's MAC.
rtmac=$(sb_exec rt cat /sys/class/net/eth0/address)
sb_exec rt tcpdump -e -n -r "$SB_DIR/lbside.pcap" 2>/dev/null \
    | grep "$VIP\.80 > $CLIENT_IP" > "$SB_DIR/replies.txt"
! grep -qv "^[0-9:.]* $rtmac > " "$SB_DIR/replies.txt" \
    || sb_fail "a reply did not come from the router"
replies=$(wc -l < "$SB_DIR/replies.txt")
# At least SYN, ACK and request of each of the 100 connections.
sb_wait_stats 300 sb_backend_packets 1 10.1.0.11 10.1.0.12
delivered=$(sb_backend_packets 1 10.1.0.11 10.1.0.12)
echo "$replies replies from the router to the client; the LB's backend flows counted $delivered client packets"
[ "$replies" -ge 300 ] || sb_fail "only $replies replies seen"

# Failover: be2's server dies, the health check takes it out, all new
# connections go to be1.
sb_pkill be2 "http-backend.py"
health() {
    api GET /v1/status
    jq -r --arg ip "$1" '.services[] | select(.name == "web")
        | .backends[] | select(.ip == $ip) | .health' "$SB_DIR/body"
}
be2_out() { [ "$(sb_group_slots 1 10.1.0.12)" = 0 ]; }
sb_wait_until be2_out || sb_fail "be2 not taken out: health $(health 10.1.0.12)"
[ "$(health 10.1.0.12)" = down ] || sb_fail "be2 is $(health 10.1.0.12)"
e2e_curl "http://$VIP/?[1-20]" > "$SB_DIR/after"
[ "$(e2e_count be1 < "$SB_DIR/after")" = 20 ] \
    || sb_fail "after be2 died: $(sort "$SB_DIR/after" | uniq -c)"

# be1 stops decapsulating (its GRE flow gone): its plain check still
# passes, the DSR-path probe catches it.
sb_tunnel_ofctl be1 del-flows brh "in_port=gre0,ip"
sb_wait_until is dsr 10.1.0.11 down || sb_fail "be1: $(status dsr 10.1.0.11)"
[ "$(status dsr 10.1.0.11)" = "$NO_VIP" ] \
    || sb_fail "be1's reason: $(status dsr 10.1.0.11)"
is web 10.1.0.11 up || sb_fail "be1's plain check: $(status web 10.1.0.11)"
sent=$(sb_dsrctl coverage/read-counter health_dsr_probe)
failed=$(sb_dsrctl coverage/read-counter health_dsr_failed)
echo "DSR-path probes through GRE: $sent sent, $failed failed"

sb_dsrctl dsr/show
e2e_pass "L3 DSR over GRE"
