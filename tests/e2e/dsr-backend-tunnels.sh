#!/bin/bash
# deploy/dsr-backend with real gre and ipip devices: setup, check, what
# check finds when a piece is wrong, remove; and end to end, the "load
# balancer" namespace sends the client's ping and HTTP request through a
# tunnel of its own to the VIP, and the backend answers the client
# directly, not through the tunnel.  Needs a kernel with ip_gre and ipip:
# SKIPs elsewhere; make check-vm runs it in a VM (tests/vm/README.md).
. "$(dirname "$0")/lib.sh"

sb_init dsr-backend-tunnels
e2e_backend_host
for kind in gre ipip; do
    if ! err=$(ip -n "$SB_ID-be" link add probe0 type $kind local "$BE_IP" 2>&1); then
        echo "SKIP: this kernel cannot make $kind devices ($err); make check-vm runs this test"
        exit 77
    fi
    ip -n "$SB_ID-be" link del probe0
done
V1=192.0.2.10
V2=192.0.2.11
sb_exec lb sysctl -q -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
sb_spawn be python3 "$TOP_SRCDIR/deploy/http-backend.py" be "$SB_DIR/be.http.log" 80
sb_wait_listening be 80

rx_packets() { sb_exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# through MODE DEV: the client's ping and HTTP request reach the VIP
# through the LB's tunnel, and the answers come back outside it.
through() {
    local mode=$1 dev=$2 before mtu
    ip -n "$SB_ID-lb" link add lbt0 type "$mode" local "$BE_LB_IP" remote "$BE_IP"
    ip -n "$SB_ID-lb" link set lbt0 up
    ip -n "$SB_ID-lb" route add "$V1/32" dev lbt0 src "$BE_CLIENT_IP"
    before=$(rx_packets be "$dev")
    sb_exec lb ping -c 2 -W 5 "$V1" > /dev/null || sb_fail "$mode: no answer to ping"
    [ "$(sb_exec lb curl -sS --max-time 10 "http://$V1/")" = be ] \
        || sb_fail "$mode: no HTTP answer"
    tail -n 1 "$SB_DIR/be.http.log" | grep >/dev/null "$BE_CLIENT_IP" \
        || sb_fail "$mode: the backend did not see the client's address: $(tail -n 1 "$SB_DIR/be.http.log")"
    [ "$(rx_packets be "$dev")" -gt "$before" ] || sb_fail "$mode: nothing came in on $dev"
    [ "$(rx_packets lb lbt0)" = 0 ] || sb_fail "$mode: answers came back through the tunnel"
    # The device's MTU limits only what it sends (deploy/README.md, MTU).
    mtu=$(sb_exec be cat "/sys/class/net/$dev/mtu")
    ip -n "$SB_ID-be" link set "$dev" mtu 1000
    sb_exec lb ping -c 1 -W 5 -s 1300 -M dont "$V1" > /dev/null \
        || sb_fail "$mode: a 1328-byte packet did not get through $dev with MTU 1000"
    ip -n "$SB_ID-be" link set "$dev" mtu "$mtu"
    # What check calls strict rp_filter does drop the client's packets.
    sb_exec be sysctl -q -w "net.ipv4.conf.$dev.rp_filter=1"
    ! sb_exec lb ping -c 1 -W 2 "$V1" > /dev/null \
        || sb_fail "$mode: strict rp_filter did not drop the client's packets"
    dsrb 0 setup "$V1" --mode "$mode"
    sb_exec lb ping -c 1 -W 5 "$V1" > /dev/null || sb_fail "$mode: no answer after setup"
    ip -n "$SB_ID-lb" link del lbt0
    echo "$mode: ping and HTTP through $dev, answers outside the tunnel"
}

for mode in gre ipip; do
    echo "== $mode"
    dev=dsr-${mode}0
    dsrb 0 setup "$V1" --mode "$mode" --local "$BE_IP"
    dsrb 0 setup "$V1" --mode "$mode" --local "$BE_IP"
    # Another VIP: the device keeps its local address.
    dsrb 0 setup "$V2" --mode "$mode"
    ip -n "$SB_ID-be" -d -o link show dev "$dev" | grep >/dev/null "$mode .*remote any local $BE_IP " \
        || sb_fail "$dev: $(ip -n "$SB_ID-be" -d link show dev "$dev")"
    for v in "$V1" "$V2"; do
        n=$(ip -n "$SB_ID-be" -4 -o addr show dev "$dev" | grep -c " $v/32 ")
        [ "$n" = 1 ] || sb_fail "$v is $n times on $dev"
    done
    [ "$(sb_exec be sysctl -n "net.ipv4.conf.$dev.rp_filter")" = 2 ] || sb_fail "rp_filter on $dev"
    dsrb 0 check "$V1" "$V2" "$mode"
    article=a
    [ "$mode" = gre ] || article=an
    dsrb_says "ok: $dev is $article $mode device, local $BE_IP, remote any" \
        "ok: VIP $V1 is on $dev" "ok: VIP $V2 is on $dev" "all good"
    dsrb 0 check "$V1"
    dsrb_says "mode $mode"

    through "$mode" "$dev"

    # What check finds, and that setup repairs it.
    sb_exec be sysctl -q -w "net.ipv4.conf.$dev.rp_filter=1"
    dsrb 1 check "$V1" "$mode"
    dsrb_says "problem: rp_filter on $dev is 1 (strict; net.ipv4.conf.$dev.rp_filter=1): decapsulated packets from clients will be dropped: run \`sysctl -w net.ipv4.conf.$dev.rp_filter=2\`"
    sb_exec be sysctl -q -w net.ipv4.conf.all.rp_filter=1 "net.ipv4.conf.$dev.rp_filter=0"
    dsrb 1 check "$V1" "$mode"
    dsrb_says "problem: rp_filter on $dev is 1 (strict; net.ipv4.conf.all.rp_filter=1, and the kernel uses the larger of all and $dev)"
    dsrb 0 setup "$V1" --mode "$mode"
    dsrb 0 check "$V1" "$mode"
    sb_exec be sysctl -q -w net.ipv4.conf.all.rp_filter=0

    # A point-to-point tunnel (made again by setup: the kernel cannot
    # change that), down.
    ip -n "$SB_ID-be" link del "$dev"
    ip -n "$SB_ID-be" link add "$dev" type "$mode" local "$BE_IP" remote "$BE_LB_IP"
    ip -n "$SB_ID-be" addr add "$V1/32" dev "$dev"
    ip -n "$SB_ID-be" addr add "$V2/32" dev "$dev"
    dsrb 1 check "$V1" "$mode"
    dsrb_says "problem: $dev is down: run \`ip link set $dev up\`" \
        "problem: $dev has remote $BE_LB_IP: it drops $mode packets from any other load balancer: run \`dsr-backend setup $V1 --mode $mode --local $BE_IP\`"
    dsrb 0 setup "$V1" --mode "$mode"
    dsrb 0 check "$V1" "$V2" "$mode"
    ip -n "$SB_ID-be" link set "$dev" type "$mode" local 10.9.9.9
    dsrb 1 check "$V1" "$mode"
    dsrb_says "problem: $dev has local 10.9.9.9, which is not an address of this host"
    dsrb 0 setup "$V1" --mode "$mode" --local "$BE_IP"
    dsrb 0 check "$V1" "$mode"

    # Removing the last VIP deletes the device.
    dsrb 0 remove "$V1" --mode "$mode"
    dsrb 1 check "$V1" "$mode"
    dsrb_says "problem: VIP $V1 is not on $dev: run \`dsr-backend setup $V1 --mode $mode --local $BE_IP\`"
    dsrb 0 check "$V2" "$mode"
    dsrb 0 remove "$V2" --mode "$mode"
    ! ip -n "$SB_ID-be" link show dev "$dev" > /dev/null 2>&1 || sb_fail "$dev left without VIPs"
    dsrb 1 check "$V2" "$mode"
    dsrb_says "problem: device $dev does not exist: run \`dsr-backend setup $V2 --mode $mode --local BACKEND_IP\`"
done

# Both at once, and l2 beside them: each VIP on its own device.
dsrb 0 setup "$V1" --mode gre --local "$BE_IP"
dsrb 0 setup "$V2" --mode ipip --local "$BE_IP"
dsrb 0 setup 192.0.2.12
dsrb 0 check "$V1"
dsrb_says "mode gre" "all good"
dsrb 0 check "$V2"
dsrb_says "mode ipip" "all good"
dsrb 0 check 192.0.2.12
dsrb_says "mode l2" "all good"
# An IPv6 VIP over IPv4 GRE: on the gre device as /128, and the client's
# IPv6 ping and HTTP request through the LB's gre tunnel (GRE protocol
# 0x86dd inside IPv4), answered outside it.
V6=2001:db8:ff::10
C6=2001:db8:fe::2
dsrb 2 setup "$V6" --mode ipip
dsrb_says "VIP $V6: IPv6 VIPs are for modes l2 and gre"
dsrb 0 setup "$V6" --mode gre
dsrb 0 check "$V1" "$V6" gre
dsrb_says "ok: VIP $V6 is on dsr-gre0" "all good"
BIND=:: sb_spawn be python3 "$TOP_SRCDIR/deploy/http-backend.py" be \
    "$SB_DIR/be.http6.log" 80
sb_wait_listening be 80 t 6
ip -n "$SB_ID-be" -6 addr add 2001:db8:fd::1/64 dev eth0 nodad
ip -n "$SB_ID-lb" -6 addr add 2001:db8:fd::2/64 dev eth0 nodad
ip -n "$SB_ID-lb" -6 addr add "$C6/128" dev lo
ip -n "$SB_ID-be" -6 route add 2001:db8:fe::/64 via 2001:db8:fd::2
ip -n "$SB_ID-lb" link add lbt0 type gre local "$BE_LB_IP" remote "$BE_IP"
ip -n "$SB_ID-lb" link set lbt0 up
ip -n "$SB_ID-lb" -6 route add "$V6/128" dev lbt0 src "$C6"
before=$(rx_packets be dsr-gre0)
sb_exec lb ping -6 -c 2 -W 5 "$V6" > /dev/null || sb_fail "IPv6 over gre: no answer to ping"
[ "$(sb_exec lb curl -sS --max-time 10 "http://[$V6]/")" = be ] \
    || sb_fail "IPv6 over gre: no HTTP answer"
tail -n 1 "$SB_DIR/be.http6.log" | grep >/dev/null "$C6" \
    || sb_fail "IPv6 over gre: the backend did not see the client's address: $(tail -n 1 "$SB_DIR/be.http6.log")"
[ "$(rx_packets be dsr-gre0)" -gt "$before" ] || sb_fail "IPv6 over gre: nothing came in on dsr-gre0"
[ "$(rx_packets lb lbt0)" = 0 ] || sb_fail "IPv6 over gre: answers came back through the tunnel"
echo "gre: IPv6 ping and HTTP to $V6 through dsr-gre0, answers outside the tunnel"
echo "PASS: dsr-backend gre and ipip devices, checks, and traffic through them"
