#!/bin/bash
# L3 DSR over GRE with IPv6 (issue 16): the one flow-based GRE port
# carries either family inside either family, chosen per backend by its
# address.  Three services on one bridge, at the same time: an IPv6 VIP
# over an IPv6 underlay, an IPv6 VIP over an IPv4 underlay, and an IPv4
# VIP over an IPv6 underlay.  The topology is l3-gre.sh's, dual stack:
# the client and the LB on one segment, the backends behind a router,
# each decapsulating with its own OVS (this kernel has no GRE module).
# Real HTTP from curl -6 and -4, a capture of the underlay, replies
# straight from the backends to the client, and health-check failover
# over IPv6.
. "$(dirname "$0")/lib.sh"

if [ "$DSR_DATAPATH" = system ]; then
    # Linux's ip_gre (the kernel datapath's gre vport) sends over IPv4
    # only; dsrd says so (flows/README.md, "Delivery by mode").
    echo "SKIP: l3-gre-ipv6: userspace and DPDK datapaths"
    exit 77
fi
e2e_setup l3-gre-ipv6 0
sb_exec client ip -6 addr add "$CLIENT_IP6/64" dev eth0 nodad
# Port 2: the router, dual stack on both sides.
sb_add_host rt 10.0.0.254/24
sb_exec rt ip -6 addr add 2001:db8::fe/64 dev eth0 nodad
sb_exec rt sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
sb_exec rt ip link add rtbr type bridge
for b in 1 2; do
    sb_add_tunnel_host "be$b" "10.1.0.1$b/24" 10.1.0.254 "rt-be$b" \
        "$VIP" "$VIP6"
    sb_tunnel_host_ipv6 "be$b" "2001:db8:1::1$b/64" 2001:db8:1::fe
    sb_exec rt ip link set "rt-be$b" master rtbr up
    sb_exec rt ethtool -K "rt-be$b" tx off >/dev/null
done
sb_exec rt ip addr add 10.1.0.254/24 dev rtbr
sb_exec rt ip -6 addr add 2001:db8:1::fe/64 dev rtbr nodad
sb_exec rt ip link set rtbr up

# The LB node: tunnel addresses of both families on br0's LOCAL port,
# routes to the backends' subnets (ovs-vswitchd mirrors them), and the
# GRE port.
sb_lb_address 10.0.0.1/24
ip -n "$SB_LB" -6 addr add 2001:db8::1/64 dev br0 nodad
ip -n "$SB_LB" route add 10.1.0.0/24 via 10.0.0.254
ip -n "$SB_LB" -6 route add 2001:db8:1::/64 via 2001:db8::fe
sb_vsctl add-port br0 gre0 -- set interface gre0 ofport_request=10 \
    type=gre options:remote_ip=flow options:packet_type=legacy_l3

# Servers on 80 and 8080 (the v6-in-v4 service's port: DSR cannot
# translate ports), IPv4 and IPv6 apart so that one family can die.
for b in be1 be2; do
    sb_spawn "$b" python3 "$TOP_SRCDIR/deploy/http-backend.py" "$b" \
        "$SB_DIR/$b.http.log" 80 8080
    BIND=:: sb_spawn "$b" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
        "$b" "$SB_DIR/$b.http6.log" 80
    BIND=:: sb_spawn "$b" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
        "$b" "$SB_DIR/$b.http6-8080.log" 8080
    for port in "80 t 4" "8080 t 4" "80 t 6" "8080 t 6"; do
        # shellcheck disable=SC2086
        sb_wait_listening "$b" $port \
            || sb_fail "$b: no server on $port: $(sb_exec "$b" ss -Hltn)"
    done
done

E2E_EXPECTED_LOG='backend .* down|health'
check='"health_check": {"type": "tcp", "interval_ms": 200, "fall": 2, "rise": 1}'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
   {"name": "v6-in-v6", "vip": "$VIP6", "protocol": "tcp", "port": 80,
    "mode": "gre", $check,
    "backends": [{"ip": "2001:db8:1::11"}, {"ip": "2001:db8:1::12"}]},
   {"name": "v6-in-v4", "vip": "$VIP6", "protocol": "tcp", "port": 8080,
    "mode": "gre", $check,
    "backends": [{"ip": "10.1.0.11"}, {"ip": "10.1.0.12"}]},
   {"name": "v4-in-v6", "vip": "$VIP", "protocol": "tcp", "port": 80,
    "mode": "gre", $check,
    "backends": [{"ip": "2001:db8:1::11"}, {"ip": "2001:db8:1::12"}]}]}
EOC
# Table 22: IPv6 backends by tun_ipv6_dst, IPv4 ones by tun_dst, all out
# of the one GRE port; every service programmed, with no error.
has_flow() {
    sb_ofctl dump-flows br0 table=22 | grep >/dev/null "$1"
}
sb_wait_until has_flow "actions=set_field:2001:db8:1::11->tun_ipv6_dst,output:10" \
    || sb_fail "no IPv6 tunnel flow: $(sb_ofctl dump-flows br0 table=22)"
sb_wait_until has_flow "actions=set_field:10.1.0.12->tun_dst,output:10" \
    || sb_fail "no IPv4 tunnel flow: $(sb_ofctl dump-flows br0 table=22)"
e2e_wait_api /v1/status '[.services[] | select(.programmed and .error == null)] | length == 3' \
    '[.services[].backends[] | select(.in_slots and .health == "up")]
     | length == 6'

e2e_capture rt rtbr "$SB_DIR/underlay.pcap"

# Each service answers from both backends; the first request may wait
# for OVS's tunnel neighbour (ND or ARP).
n_answered() { wc -l < "$1"; }
for target in "-6 http://[$VIP6]/" "-6 http://[$VIP6]:8080/" \
              "-4 http://$VIP/"; do
    read -r family url <<< "$target"
    sb_wait_until e2e_curl "$family" --max-time 5 -o /dev/null "$url" \
        || sb_fail "$url does not answer"
    e2e_curl "$family" "$url?[1-40]" > "$SB_DIR/answers"
    [ "$(n_answered "$SB_DIR/answers")" = 40 ] \
        || sb_fail "$url: $(n_answered "$SB_DIR/answers") of 40 answered"
    for b in be1 be2; do
        [ "$(e2e_count "$b" < "$SB_DIR/answers")" -gt 0 ] \
            || sb_fail "$url: $b never answered: $(sort "$SB_DIR/answers" | uniq -c)"
    done
    echo "$url: $(sort "$SB_DIR/answers" | uniq -c | tr -s ' \n' ' ')"
done

# dsr/trace names an IPv4 VIP's IPv6 backend by its address, and the
# connection goes where it says (a source port below the ephemeral
# range, so no earlier connection's pin).
for port in 21000 21001 21002 21003; do
    api GET "/v1/trace?protocol=tcp&client=$CLIENT_IP:$port&vip=$VIP:80"
    expect 200 '.service == "v4-in-v6"' \
        '.backend | test("^2001:db8:1::1[12]$")' \
        '.delivery.tunnel_dst == .backend'
    predicted=be$(jq -r '.backend | .[-1:]' "$SB_DIR/body")
    answered=$(e2e_curl --local-port "$port" "http://$VIP/")
    [ "$answered" = "$predicted" ] \
        || sb_fail "trace said $predicted for port $port, $answered answered"
done

e2e_capture_stop rt
sb_exec rt tcpdump -n -r "$SB_DIR/underlay.pcap" 2>/dev/null \
    > "$SB_DIR/underlay.txt"
echo "underlay (router, backend side):"
grep -m 1 "IP6 2001:db8::1 > .*GREv0.*IP6 $CLIENT_IP6\.[0-9]* > $VIP6\.80:" "$SB_DIR/underlay.txt" || true
grep -m 1 "IP 10.0.0.1 > .*GREv0.*IP6 $CLIENT_IP6\.[0-9]* > $VIP6\.8080:" "$SB_DIR/underlay.txt" || true
grep -m 1 "IP6 2001:db8::1 > .*GREv0.*IP $CLIENT_IP\.[0-9]* > $VIP\.80:" "$SB_DIR/underlay.txt" || true
# The client's packets, untouched, inside GRE of the backend's family,
# from the LB's tunnel address of that family.
for pattern in \
    "IP6 2001:db8::1 > 2001:db8:1::1[12]: GREv0, length [0-9]*: IP6 $CLIENT_IP6\.[0-9]* > $VIP6\.80: Flags \[S\]" \
    "IP 10.0.0.1 > 10.1.0.1[12]: GREv0, length [0-9]*: IP6 $CLIENT_IP6\.[0-9]* > $VIP6\.8080: Flags \[S\]" \
    "IP6 2001:db8::1 > 2001:db8:1::1[12]: GREv0, length [0-9]*: IP $CLIENT_IP\.[0-9]* > $VIP\.80: Flags \[S\]"
do
    grep -q "$pattern" "$SB_DIR/underlay.txt" \
        || sb_fail "no GRE-encapsulated SYN like /$pattern/ on the underlay"
done
# Replies leave the backends unencapsulated, from the VIP to the client.
grep -q "IP6 $VIP6\.80 > $CLIENT_IP6\.[0-9]*: Flags \[S\.\]" "$SB_DIR/underlay.txt" \
    || sb_fail "no direct IPv6 SYN-ACK from the VIP on the underlay"
grep -q "IP $VIP\.80 > $CLIENT_IP\.[0-9]*: Flags \[S\.\]" "$SB_DIR/underlay.txt" \
    || sb_fail "no direct IPv4 SYN-ACK from the VIP on the underlay"
! grep -q "GREv0.*IP6\? \($VIP6\|$VIP\)\.[0-9]* >" "$SB_DIR/underlay.txt" \
    || sb_fail "a reply went back through a tunnel"

# A SIGKILLed dsrd, restarted, reads the IPv6 tunnel flows back from the
# switch as equal to what it would write: one reconciliation, nothing
# sent (a flow built differently from its read-back form would be
# rewritten on every restart).
e2e_restart_clean

# Failover over IPv6: be2's IPv6 servers die, its checks (to
# 2001:db8:1::12) take it out of the two services over IPv6 underlay;
# the IPv4-underlay service (checks to 10.1.0.12:8080) keeps it.
sb_pkill be2 "be2\.http6\.log" || sb_fail "no IPv6 server on be2's port 80"
svc_slots() {
    api GET /v1/status
    jq -r --arg s "$1" --arg ip "$2" '.services[] | select(.name == $s)
        | .backends[] | select(.ip == $ip) | .in_slots' "$SB_DIR/body"
}
out_of() { [ "$(svc_slots "$1" 2001:db8:1::12)" = false ]; }
sb_wait_until out_of v6-in-v6 || sb_fail "be2 not taken out of v6-in-v6"
sb_wait_until out_of v4-in-v6 || sb_fail "be2 not taken out of v4-in-v6"
e2e_in_sync
e2e_curl -6 "http://[$VIP6]/?[1-20]" > "$SB_DIR/after"
[ "$(e2e_count be1 < "$SB_DIR/after")" = 20 ] \
    || sb_fail "after be2 died: $(sort "$SB_DIR/after" | uniq -c)"
[ "$(svc_slots v6-in-v4 10.1.0.12)" = true ] \
    || sb_fail "be2 left v6-in-v4, whose check on 8080 still passes"

sb_dsrctl dsr/show
e2e_pass "L3 DSR over GRE, IPv6 in and over either family"
