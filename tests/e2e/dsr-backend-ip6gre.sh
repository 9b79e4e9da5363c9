#!/bin/bash
# deploy/dsr-backend's gre over an IPv6 underlay (mode gre6: an ip6gre
# device, local = the backend's IPv6 address) with real traffic.  OVS
# sends the client's packets as the load balancer does, out of a
# flow-based L3 gre port with tun_ipv6_dst: GRE 0x0800 and 0x86DD inside
# IPv6.  The backend's dsr-ip6gre0 takes them off, and the backend answers
# the client directly from the VIP, for an IPv4 and an IPv6 VIP.  OVS
# runs the userspace datapath whatever DSR_DATAPATH says (the kernel's
# gre vport sends over IPv4 only: flows/README.md), and no dsrd: the two
# flows are the ones dsrd writes for such a backend.  Then setup's and
# check's answers to a broken device, both underlays at once, and remove.
# Needs ip6_gre: SKIPs elsewhere; make check-vm runs it (tests/vm/).
DSR_DATAPATH=userspace
unset SB_VM_LINKS SB_DSRD_AGENT
. "$(dirname "$0")/lib.sh"

sb_init dsr-backend-ip6gre
ip netns add "$SB_ID-probe"
if ! err=$(ip -n "$SB_ID-probe" link add probe0 type ip6gre local 2001:db8::11 2>&1); then
    echo "SKIP: this kernel cannot make ip6gre devices ($err); make check-vm runs this test"
    exit 77
fi
ip netns delete "$SB_ID-probe"
# Nothing persisted: no state file of the machine's may choose a mode.
export DSR_BACKEND_ROOT=$SB_DIR/root

V4=192.0.2.10
V6=2001:db8:ff::10
LB6=2001:db8::1
BE6=2001:db8::11
dev=dsr-ip6gre0
sb_start_ovs
sb_add_host client 10.0.0.2/24
sb_add_host be 10.0.0.11/24
sb_exec client ip -6 addr add 2001:db8::2/64 dev eth0 nodad
sb_exec be ip -6 addr add "$BE6/64" dev eth0 nodad
sb_lb_address "$LB6/64" nodad
sb_vsctl add-port br0 gre0 -- set interface gre0 ofport_request=10 \
    type=gre options:remote_ip=flow options:packet_type=legacy_l3
# The client reaches the VIPs through the LB's MAC, as OVS's ARP and ND
# answers would tell it.
for v in "$V4/32" "$V6/128"; do
    sb_exec client ip route add "$v" dev eth0
    sb_exec client ip neigh add "${v%/*}" lladdr "$SERVICE_MAC" dev eth0 nud permanent
done
sb_ofctl add-flow br0 "priority=0,actions=NORMAL"
for match in "ip,nw_dst=$V4" "ipv6,ipv6_dst=$V6"; do
    sb_ofctl add-flow br0 "priority=100,$match,actions=set_field:$BE6->tun_ipv6_dst,output:10"
done
# The outer header's route (mirrored from the LB's kernel) and next hop.
lb_route() { ovs-appctl ovs/route/show | grep >/dev/null "2001:db8::/64 dev br0"; }
sb_wait_until lb_route || sb_fail "OVS has no route to $BE6: $(ovs-appctl ovs/route/show)"
ovs-appctl tnl/neigh/set br0 "$BE6" "$(sb_exec be cat /sys/class/net/eth0/address)" > /dev/null

echo "== setup and check"
dsrb 0 setup "$V4" "$V6" --mode gre --local 2001:DB8:0::11
dsrb 0 setup "$V4" "$V6" --mode gre --local "$BE6"
# Another VIP: the device (an IPv6 one) keeps its local address.
dsrb 0 setup 192.0.2.11 --mode gre
ip -n "$SB_ID-be" -d -o link show dev "$dev" | grep >/dev/null "ip6gre remote any local $BE6 " \
    || sb_fail "$dev: $(ip -n "$SB_ID-be" -d link show dev "$dev")"
for v in "$V4/32" "192.0.2.11/32" "$V6/128"; do
    n=$(ip -n "$SB_ID-be" -o addr show dev "$dev" | grep -c " $v ")
    [ "$n" = 1 ] || sb_fail "$v is $n times on $dev"
done
[ "$(sb_exec be sysctl -n "net.ipv4.conf.$dev.rp_filter")" = 2 ] || sb_fail "rp_filter on $dev"
dsrb 0 check "$V4" "$V6" gre
dsrb_says "mode gre6" "ok: module ip6_gre is loaded" \
    "ok: $dev is an ip6gre device, local $BE6, remote any" "ok: $dev is up" \
    "ok: VIP $V4 is on $dev" "ok: VIP $V6 is on $dev" "all good"
dsrb 0 check "$V6"
dsrb_says "mode gre6"

echo "== GRE in IPv6 from OVS, answers straight to the client"
sb_spawn be python3 "$TOP_SRCDIR/deploy/http-backend.py" be "$SB_DIR/be.http.log" 80
BIND=:: sb_spawn be python3 "$TOP_SRCDIR/deploy/http-backend.py" be \
    "$SB_DIR/be.http6.log" 80
sb_wait_listening be 80 t 4
sb_wait_listening be 80 t 6
rx() { sb_exec be cat "/sys/class/net/$dev/statistics/rx_packets"; }
before=$(rx)
e2e_capture be eth0 "$SB_DIR/be.pcap"
answers() { [ "$(e2e_curl --max-time 5 "$1")" = be ]; }
for target in "$V4 http://$V4/ be.http.log 10.0.0.2" \
              "$V6 http://[$V6]/ be.http6.log 2001:db8::2"; do
    read -r vip url log client <<< "$target"
    sb_wait_until answers "$url" || sb_fail "$url: no answer through $dev"
    tail -n 1 "$SB_DIR/$log" | grep >/dev/null "$client" \
        || sb_fail "$vip: the backend did not see the client's address: $(tail -n 1 "$SB_DIR/$log")"
done
[ "$(rx)" -gt "$before" ] || sb_fail "nothing came in on $dev"
e2e_capture_stop be
sb_exec be tcpdump -n -r "$SB_DIR/be.pcap" 2>/dev/null > "$SB_DIR/be.txt"
grep -m 2 GREv0 "$SB_DIR/be.txt" || true
# The client's SYNs inside GRE in IPv6 from the LB; the SYN-ACKs plain,
# from the VIP to the client; no reply inside GRE.
for pattern in \
    "IP6 $LB6 > $BE6: GREv0, length [0-9]*: IP 10\.0\.0\.2\.[0-9]* > $V4\.80: Flags \[S\]" \
    "IP6 $LB6 > $BE6: GREv0, length [0-9]*: IP6 2001:db8::2\.[0-9]* > $V6\.80: Flags \[S\]" \
    "^[0-9:.]* IP $V4\.80 > 10\.0\.0\.2\.[0-9]*: Flags \[S\.\]" \
    "^[0-9:.]* IP6 $V6\.80 > 2001:db8::2\.[0-9]*: Flags \[S\.\]"
do
    grep -q "$pattern" "$SB_DIR/be.txt" \
        || sb_fail "nothing like /$pattern/ on the backend's eth0: $(cat "$SB_DIR/be.txt")"
done
! grep -q "GREv0.*IP6\? \($V6\|$V4\)\.80 >" "$SB_DIR/be.txt" \
    || sb_fail "a reply went back inside GRE"
echo "gre6: HTTP to $V4 and $V6 through $dev, answers outside the tunnel"

echo "== what check finds, and setup repairs"
ip -n "$SB_ID-be" link set "$dev" type ip6gre local 2001:db8:9::9
dsrb 1 check "$V4" gre
dsrb_says "problem: $dev has local 2001:db8:9::9, which is not an address of this host"
dsrb 0 setup "$V4" --mode gre --local "$BE6"
dsrb 0 check "$V4" "$V6"
dsrb_says "all good"
e2e_curl "http://[$V6]/" > /dev/null || sb_fail "no answer after the repair"

echo "== both underlays"
dsrb 0 setup 192.0.2.12 --mode gre --local 10.0.0.11
dsrb 2 setup 192.0.2.13 --mode gre
dsrb_says "dsr-gre0 and dsr-ip6gre0 are both set up: give --local"
dsrb 0 check 192.0.2.12 gre
dsrb_says "ok: dsr-gre0 is a gre device" "ok: VIP 192.0.2.12 is on dsr-gre0"
dsrb 0 check "$V4" gre
dsrb_says "mode gre6"
dsrb 0 remove 192.0.2.12 --mode gre
! ip -n "$SB_ID-be" link show dev dsr-gre0 > /dev/null 2>&1 || sb_fail "dsr-gre0 left without VIPs"

echo "== remove"
dsrb 0 remove "$V4" 192.0.2.11 --mode gre
# The IPv6 VIP alone keeps the device.
dsrb 0 check "$V6" gre
dsrb_says "ok: VIP $V6 is on $dev"
dsrb 0 remove "$V6" --mode gre
# Gone, although the kernel had given it a link-local address.
! ip -n "$SB_ID-be" link show dev "$dev" > /dev/null 2>&1 || sb_fail "$dev left without VIPs"
dsrb 1 check "$V6" gre6
dsrb_says "problem: device $dev does not exist: run \`dsr-backend setup $V6 --mode gre6 --local BACKEND_IP\`"
echo "== at boot: what the persisted unit runs"
# This VM has no systemd: run the unit's ExecStart with its
# EnvironmentFile's values, split on blanks as systemd splits an unbraced
# $VAR, on a kernel where the device does not exist yet, with the module
# the unit's modules-load.d file names.  (dsr-backend.sh has systemd
# verify the unit itself.)
dsrb 0 setup "$V4" "$V6" --mode gre --local "$BE6" --persist-only
! ip -n "$SB_ID-be" link show dev "$dev" > /dev/null 2>&1 || sb_fail "--persist-only made $dev"
etc=$DSR_BACKEND_ROOT/etc
grep -x ip6_gre "$etc/modules-load.d/dsr-backend.conf" \
    || sb_fail "modules-load.d: $(cat "$etc/modules-load.d/dsr-backend.conf")"
value() { sed -n "s/^$1=//p" "$etc/dsr-backend/gre6.conf"; }
args=$(sed -n 's/^ExecStart=[^ ]* //p' "$etc/systemd/system/dsr-backend@.service" \
       | sed "s/%i/gre6/; s|\\\$VIPS|$(value VIPS)|; s|\\\$OPTS|$(value OPTS)|")
echo "ExecStart: dsr-backend $args"
case "$args" in *'$'*|'') sb_fail "unit's ExecStart not understood: $args" ;; esac
# shellcheck disable=SC2086
dsrb 0 $args
dsrb 0 check "$V4" "$V6" gre6
dsrb_says "ok: $dev is an ip6gre device, local $BE6, remote any" "all good"
for url in "http://$V4/" "http://[$V6]/"; do
    sb_wait_until answers "$url" || sb_fail "$url: no answer after the boot's setup"
done
echo "PASS: dsr-backend gre over IPv6: ip6gre device, checks, GRE-in-IPv6 from OVS for IPv4 and IPv6 VIPs, the persisted unit's setup"
