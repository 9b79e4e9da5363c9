#!/bin/bash
# L3 DSR on the kernel datapath (make check-vm): a "gre" service whose
# backend decapsulates with a Linux gre device (and an IPv6 VIP through
# the same IPv4 GRE), and an "ipip" service whose packets the LB host's
# kernel encapsulates (dsrd programs it: an ipip device in external mode
# and a tc filter per backend on the internal port dsr-ipip) and whose
# backend decapsulates with "ipip ... remote any".
# Real TCP (HTTP) through both, captures of the underlay showing protocol
# 47 and 4 with the client's packet inside, replies straight from the
# backends.  The DSR-path probe goes through both tunnels: a backend
# whose tunnel device loses the VIP goes down while its plain check
# passes, and comes back with it.  dsrd runs in the guest, next to OVS:
# the ipip service's kernel side is the LB host's own kernel, reached by
# rtnetlink.
if [ "${DSR_DATAPATH:-userspace}" != system ]; then
    echo "SKIP: l3-kernel: needs the kernel datapath (make check-vm)"
    exit 77
fi
# dsrd in the guest, not through the host's agent.
unset SB_VM_LINKS SB_DSRD_AGENT
API_URL=http://127.0.0.1:9180
. "$(dirname "$0")/lib.sh"

e2e_setup l3-kernel 0
sb_add_host rt 10.0.0.254/24
sb_exec rt sysctl -q -w net.ipv4.ip_forward=1
sb_exec rt ip link add rtbr type bridge
sb_exec rt ip addr add 10.1.0.254/24 dev rtbr
sb_exec rt ip link set rtbr up
sb_exec client ip route add 10.1.0.0/24 via 10.0.0.254

# The backend side, as an operator sets it up: deploy/dsr-backend puts
# the VIP on a 'remote any' tunnel device with loose rp_filter and the ARP
# settings, and its check must find nothing missing.
backend_tunnel_setup() {
    local host=$1 mode=$2 local=$3 vip=$4
    sb_exec "$host" "$TOP_SRCDIR/deploy/dsr-backend" setup "$vip" \
        --mode "$mode" --local "$local"
    sb_exec "$host" "$TOP_SRCDIR/deploy/dsr-backend" check "$vip" "$mode" \
        || sb_fail "dsr-backend check $vip $mode on $host"
}

# Backends behind the router, plain Linux hosts.
add_routed_backend() {
    local name=$1 addr=$2 ns=$SB_ID-$1
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "rt-$name" netns "$SB_ID-rt" type veth peer name eth0 netns "$ns"
    ip -n "$SB_ID-rt" link set "rt-$name" master rtbr up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via 10.1.0.254
}
add_routed_backend be1 10.1.0.11
add_routed_backend be2 10.1.0.12
backend_tunnel_setup be1 gre 10.1.0.11 "$VIP"
backend_tunnel_setup be2 ipip 10.1.0.12 10.0.0.101
for b in be1 be2; do
    sb_spawn "$b" python3 "$TOP_SRCDIR/deploy/http-backend.py" "$b" \
        "$SB_DIR/$b.http.log" 80
    sb_wait_listening "$b" 80
done
# An IPv6 VIP over the same IPv4 GRE (ip_gre carries IPv6 inside): the
# client and the router get IPv6, be1 the VIP on dsr-gre0 and an IPv6
# route back to the client.
sb_exec client ip -6 addr add "$CLIENT_IP6/64" dev eth0 nodad
sb_exec rt sysctl -q -w net.ipv6.conf.all.forwarding=1
sb_exec rt ip -6 addr add 2001:db8::fe/64 dev eth0 nodad
sb_exec rt ip -6 addr add 2001:db8:1::fe/64 dev rtbr nodad
sb_exec be1 ip -6 addr add 2001:db8:1::11/64 dev eth0 nodad
sb_exec be1 ip -6 route add default via 2001:db8:1::fe
backend_tunnel_setup be1 gre 10.1.0.11 "$VIP6"
BIND=:: sb_spawn be1 python3 "$TOP_SRCDIR/deploy/http-backend.py" be1 \
    "$SB_DIR/be1.http6.log" 80
sb_wait_listening be1 80 t 6

# The LB node: tunnel source on br0's LOCAL port, the route to the
# backends, the GRE port and the ipip internal port (README.md, "L3 DSR");
# one-way TCP in the kernel's conntrack.
sb_lb_address 10.0.0.1/24
ip -n "$SB_LB" route add 10.1.0.0/24 via 10.0.0.254
ip netns exec "$SB_LB" sysctl -q -w net.netfilter.nf_conntrack_tcp_be_liberal=1 \
    2>/dev/null || true
sb_vsctl add-port br0 gre0 -- set interface gre0 ofport_request=10 \
    type=gre options:remote_ip=flow options:packet_type=legacy_l3 \
    -- add-port br0 dsr-ipip -- set interface dsr-ipip ofport_request=11 \
    type=internal

# dsrd wants more descriptors than the guest's default limit.
ulimit -n 16384 2>/dev/null || true
E2E_EXPECTED_LOG='health|its filter had gone'
check='"health_check": {"type": "tcp", "interval_ms": 200, "timeout_ms": 1000,
                       "rise": 1, "fall": 2, "dsr": true}'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "probe_ip": "10.0.0.250"}],
 "services": [
   {"name": "gre", "vip": "$VIP", "protocol": "tcp", "port": 80,
    "mode": "gre", $check, "backends": [{"ip": "10.1.0.11"}]},
   {"name": "ipip", "vip": "10.0.0.101", "protocol": "tcp", "port": 80,
    "mode": "ipip", $check, "backends": [{"ip": "10.1.0.12"}]},
   {"name": "gre6", "vip": "$VIP6", "protocol": "tcp", "port": 80,
    "mode": "gre", "backends": [{"ip": "10.1.0.11"}]}]}
EOC
no_error() { ! sb_dsrctl dsr/show | grep >/dev/null "error:"; }
sb_wait_until no_error || sb_fail "$(sb_dsrctl dsr/show)"
sb_dsrctl dsr/show
sb_ofctl dump-flows br0 table=22 | sed 's/^ *//; s/duration=[^,]*, //'
ip netns exec "$SB_LB" tc filter show dev dsr-ipip parent ffff:
ip -n "$SB_LB" -d link show dsr-ipip-tx | grep >/dev/null "ipip external" \
    || sb_fail "no ipip external device: $(ip -n "$SB_LB" -d link show dsr-ipip-tx)"

e2e_capture rt rtbr "$SB_DIR/underlay.pcap" -Z root ip

sb_wait_until e2e_curl -o /dev/null "http://$VIP/"
e2e_curl "http://$VIP/?[1-10]" > "$SB_DIR/gre-answers"
e2e_expect_spread http.log 80 10 be1 < "$SB_DIR/gre-answers"
ipip_state() {
    ip netns exec "$SB_LB" tc -s filter show dev dsr-ipip parent ffff:; grep -i ipip "$SB_DIR/dsrd.log"
    ip -n "$SB_LB" -s link show dev dsr-ipip
    ip -n "$SB_LB" -s -d link show dev dsr-ipip-tx
    ovs-appctl dpctl/dump-flows system@ovs-system 2>&1 | grep -v arp | head -20
}
sb_wait_until e2e_curl -o /dev/null "http://10.0.0.101/" \
    || { ipip_state; e2e_capture_stop rt;
         sb_exec rt tcpdump -n -r "$SB_DIR/underlay.pcap" 2>/dev/null | tail -20;
         sb_fail "ipip service did not answer"; }
e2e_curl "http://10.0.0.101/?[1-10]" > "$SB_DIR/ipip-answers"
e2e_expect_spread http.log 80 10 be2 < "$SB_DIR/ipip-answers"

# dsrd answers the client's solicitation for the IPv6 VIP (packet-in:
# the kernel cannot rewrite ND fields), and GRE carries the client's
# IPv6 packets inside IPv4 to be1.
sb_wait_until e2e_curl -6 --max-time 5 -o /dev/null "http://[$VIP6]/" \
    || sb_fail "the IPv6 VIP over GRE did not answer"
e2e_curl -6 "http://[$VIP6]/?[1-10]" > "$SB_DIR/gre6-answers"
CLIENT_IP=$CLIENT_IP6 e2e_expect_spread http6.log 80 10 be1 \
    < "$SB_DIR/gre6-answers"

e2e_capture_stop rt
sb_exec rt tcpdump -n -r "$SB_DIR/underlay.pcap" 2>/dev/null > "$SB_DIR/underlay.txt"
grep -m 1 "GREv0.*IP6 $CLIENT_IP6\.[0-9]* > $VIP6\.80: Flags \[S\]" \
    "$SB_DIR/underlay.txt" || sb_fail "no IPv6 SYN inside IPv4 GRE"
echo "underlay (router, backend side):"
grep -m 1 "GREv0.*Flags \[S\]" "$SB_DIR/underlay.txt"
grep -m 1 "IP $VIP.80 > $CLIENT_IP.*Flags \[S.\]" "$SB_DIR/underlay.txt"
grep -m 1 "> 10.1.0.12: IP $CLIENT_IP.*Flags \[S\]" "$SB_DIR/underlay.txt"
grep -m 1 "IP 10.0.0.101.80 > $CLIENT_IP.*Flags \[S.\]" "$SB_DIR/underlay.txt"
grep -q "IP 10.0.0.1 > 10.1.0.11: GREv0, length [0-9]*: IP $CLIENT_IP\.[0-9]* > $VIP\.80: Flags \[S\]" \
    "$SB_DIR/underlay.txt" || sb_fail "no GRE-encapsulated SYN"
# tcpdump prints IPIP as the outer header followed by the inner one.
grep -q "IP 10.0.0.1 > 10.1.0.12: IP $CLIENT_IP\.[0-9]* > 10.0.0.101\.80: Flags \[S\]" \
    "$SB_DIR/underlay.txt" || sb_fail "no IPIP-encapsulated SYN"
# The outer headers' protocol numbers: 47 (GRE), 4 (IPIP).
sb_exec rt tcpdump -v -n -r "$SB_DIR/underlay.pcap" 2>/dev/null \
    > "$SB_DIR/underlay-v.txt"
grep -m 1 "proto GRE (47)" "$SB_DIR/underlay-v.txt" \
    || sb_fail "no protocol 47 packet on the underlay"
grep -m 1 "proto IPIP (4)" "$SB_DIR/underlay-v.txt" \
    || sb_fail "no protocol 4 packet on the underlay"
grep -q "IP 10.0.0.101\.80 > $CLIENT_IP\.[0-9]*: Flags \[S\.\]" \
    "$SB_DIR/underlay.txt" || sb_fail "no direct reply from the ipip backend"

# What ovs-vswitchd does to the port when it (re)configures it: its
# ingress qdisc goes, with dsrd's filter.  dsrd puts it back.
ip netns exec "$SB_LB" tc qdisc del dev dsr-ipip ingress
back() { ip netns exec "$SB_LB" tc filter show dev dsr-ipip parent ffff: | grep >/dev/null "handle 0xa01000c"; }
sb_wait_until back || sb_fail "the ipip filter was not restored"
e2e_curl "http://10.0.0.101/?[1-3]" > "$SB_DIR/ipip-again"
[ "$(e2e_count be2 < "$SB_DIR/ipip-again")" = 3 ] \
    || sb_fail "ipip after the repair: $(cat "$SB_DIR/ipip-again")"

# The DSR-path probe through each tunnel: without the VIP on its tunnel
# device a backend is down (its plain check to the real IP passes), and
# up again once the VIP is back, which only a probe answered through the
# tunnel can bring.
status() {
    api GET /v1/status
    jq -r --arg s "$1" '.services[] | select(.name == $s)
        | .backends[0] | "\(.health) \(.reason // "")"' "$SB_DIR/body"
}
is() { status "$1" | grep >/dev/null "^$2"; }
for probe in "gre be1 dsr-gre0 $VIP" "ipip be2 dsr-ipip0 10.0.0.101"; do
    read -r svc host dev vip <<< "$probe"
    sb_exec "$host" ip addr del "$vip/32" dev "$dev"
    sb_wait_until is "$svc" down || sb_fail "$svc: $(status "$svc")"
    status "$svc" | grep >/dev/null "VIP not configured on backend or no decapsulation" \
        || sb_fail "$svc's reason: $(status "$svc")"
    echo "$svc without the VIP on $dev: $(status "$svc")"
    sb_exec "$host" ip addr add "$vip/32" dev "$dev"
    sb_wait_until is "$svc" up || sb_fail "$svc: $(status "$svc")"
done
echo "DSR-path probes: $(sb_dsrctl coverage/read-counter health_dsr_probe) sent, $(sb_dsrctl coverage/read-counter health_dsr_failed) failed"

# Deleting the ipip service removes its tc filter; the kernel side is
# dsrd's to clean up.
api DELETE /v1/services/ipip
expect 204
gone() { ! ip netns exec "$SB_LB" tc filter show dev dsr-ipip parent ffff: | grep >/dev/null "handle 0xa01000c"; }
sb_wait_until gone || sb_fail "filter of a deleted backend stayed"

# ovs-vswitchd deletes the port's ingress qdisc when it next reconfigures
# after dsrd set the port up; landing inside dsrd's pass, that made the
# pass fail (ipip.c tries again).
echo "ipip passes tried again after a qdisc reset:" \
    "$(grep -c 'reading the kernel back and trying again' "$SB_DIR/dsrd.log")"
e2e_pass "L3 DSR over GRE and IPIP on the kernel datapath"
