#!/bin/bash
# deploy/dsr-backend on a backend in a fresh namespace: l2 setup (and that
# the backend then keeps quiet about the VIP on ARP), check (and its
# warning about UDP sockets on 0.0.0.0), idempotence, remove; check's
# messages for gre and ipip; the persistent files of every mode under a
# scratch root; IPv6 VIPs on lo (no NS answered for them, no ARP
# sysctls, any text form, both families at once).  The tunnel devices
# themselves are dsr-backend-tunnels.sh's (they need a kernel with ip_gre
# and ipip).
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "dsr-backend configures the backend's kernel, not OVS"

sb_init dsr-backend
e2e_backend_host
V1=192.0.2.10
V2=192.0.2.11
BE6=2001:db8:b::11
# Persistent files go there, never to this host's /etc.
root=$SB_DIR/root
export DSR_BACKEND_ROOT=$root DSR_BACKEND_NETWORKD=no
host_arp_ignore=$(sysctl -n net.ipv4.conf.all.arp_ignore)

# The command line.
dsrb 2
dsrb 2 setup
dsrb 2 setup 192.0.2.256
dsrb 2 setup "$V1" --mode vxlan
dsrb 2 setup "$V1" --local "$BE_IP"
dsrb_says "--local is for gre and ipip"
dsrb 0 --help
dsrb_says "usage: dsr-backend setup"

# ARP for a VIP on lo: the kernel answers it on eth0 by default, which
# would steal the VIP from the load balancer; after setup it must not.
vip_answers_arp() {
    sb_exec lb arping -q -c 2 -w 2 -I eth0 "$1"
}
ip -n "$SB_ID-be" addr add "$V1/32" dev lo
vip_answers_arp "$V1" || sb_fail "control: the backend does not answer ARP for a VIP on lo even without setup"
ip -n "$SB_ID-be" addr del "$V1/32" dev lo

echo "== l2: check before setup"
dsrb 1 check "$V1"
dsrb_says "problem: VIP $V1 is not on lo: run \`dsr-backend setup $V1\`" \
    "problem: net.ipv4.conf.all.arp_ignore is 0, needs 1" \
    "run \`sysctl -w net.ipv4.conf.all.arp_ignore=1\`" \
    "problem: net.ipv4.conf.all.arp_announce is 0, needs 2" \
    "dsr-backend check: 3 problem(s)"

echo "== l2: setup, twice"
dsrb 0 setup "$V1" "$V2"
dsrb 0 setup "$V1" "$V2"
[ ! -s "$SB_DIR/out" ] || sb_fail "setup is not quiet: $(cat "$SB_DIR/out")"
for v in "$V1" "$V2"; do
    n=$(ip -n "$SB_ID-be" -4 -o addr show dev lo | grep -c " $v/32 ")
    [ "$n" = 1 ] || sb_fail "$v is $n times on lo"
done
[ "$(sb_exec be sysctl -n net.ipv4.conf.all.arp_ignore)" = 1 ] || sb_fail "arp_ignore"
[ "$(sb_exec be sysctl -n net.ipv4.conf.all.arp_announce)" = 2 ] || sb_fail "arp_announce"
dsrb 0 check "$V1" "$V2"
dsrb_says "ok: VIP $V1 is on lo" "ok: VIP $V2 is on lo" "dsr-backend check: all good" \
    "note: VIP $V1 is not persistent"
dsrb 0 check "$V1" l2
! vip_answers_arp "$V1" || sb_fail "the backend answers ARP for the VIP after setup"
vip_answers_arp "$BE_IP" || sb_fail "the backend no longer answers ARP for its own address"

echo "== check: UDP sockets that would answer from the real IP"
# A UDP socket on 0.0.0.0 without IP_PKTINFO answers from the real IP
# (dsr-probe-udp.sh shows dsrd catching it); one on the VIP is right.
sb_spawn be python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5353 0.0.0.0
sb_spawn be python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5354 "$V1"
sb_wait_listening be 5353 u
sb_wait_listening be 5354 u
dsrb 0 check "$V1"
dsrb_says "warning: UDP socket 0.0.0.0:5353 (python3, pid " \
    "is bound to the wildcard address: unless it uses IP_PKTINFO, the UDP service answers from its real IP, not the VIP: clients drop these replies (bind the VIP or use IP_PKTINFO)" \
    "ok: UDP socket $V1:5354 (python3, pid " "dsr-backend check: all good"
dsrb 0 check "$V1" --port 5354
dsrb_says "ok: UDP socket $V1:5354"
! grep -q "warning: UDP" "$SB_DIR/out" || sb_fail "warned about another port"
dsrb 0 check "$V1" --port=5353 --port 80
dsrb_says "warning: UDP socket 0.0.0.0:5353"
dsrb 2 check "$V1" --port 65536
dsrb_says "--port '65536' is not a port number"
dsrb 2 setup "$V1" --port 53
dsrb_says "--port is for check"
sb_pkill be dns-responder.py

sb_exec be sysctl -q -w net.ipv4.conf.all.arp_ignore=0
dsrb 1 check "$V1"
dsrb_says "problem: net.ipv4.conf.all.arp_ignore is 0, needs 1" "1 problem(s)"
dsrb 0 setup "$V1"
dsrb 0 check "$V1"
# The VIP on an interface that answers ARP breaks DSR; on one that does
# not (NOARP), it only deserves a note.
ip -n "$SB_ID-be" addr add "$V1/24" dev eth0
dsrb 1 check "$V1"
dsrb_says "problem: VIP $V1 is on eth0 (/24), which answers ARP for it" \
    "run \`ip addr del $V1/24 dev eth0\`"
dsrb 0 setup "$V1"
dsrb_says "warning: VIP $V1 is also on eth0 (/24)"
ip -n "$SB_ID-be" addr del "$V1/24" dev eth0
ip -n "$SB_ID-be" link add noarp0 type veth peer name noarp1
ip -n "$SB_ID-be" link set noarp0 arp off
ip -n "$SB_ID-be" addr add "$V1/32" dev noarp0
dsrb 0 check "$V1"
dsrb_says "note: VIP $V1 is also on noarp0 (/32), which does not answer ARP"
ip -n "$SB_ID-be" link del noarp0

echo "== l2: remove"
dsrb 0 remove "$V1"
dsrb 0 remove "$V1"
dsrb 1 check "$V1"
dsrb_says "problem: VIP $V1 is not on lo: run \`dsr-backend setup $V1\`" "1 problem(s)"
dsrb 0 check "$V2"

echo "== gre and ipip: check without the tunnel"
for mode in gre gre6 ipip; do
    case $mode in
    gre) dev=dsr-gre0 kmod=ip_gre ;;
    gre6) dev=dsr-ip6gre0 kmod=ip6_gre ;;
    ipip) dev=dsr-ipip0 kmod=ipip ;;
    esac
    dsrb 1 check "$V1" "$mode"
    dsrb_says "dsr-backend check: $V1, mode $mode" \
        "problem: device $dev does not exist: run \`dsr-backend setup $V1 --mode $mode --local BACKEND_IP\`" \
        "problem: VIP $V1 is not on $dev: run \`dsr-backend setup $V1 --mode $mode --local BACKEND_IP\`"
    if [ ! -d "/sys/module/$kmod" ]; then
        dsrb_says "problem: module $kmod is not loaded: run \`modprobe $kmod\`"
    fi
    dsrb 1 setup "$V1" --mode "$mode"
    dsrb_says "--local BACKEND_IP is needed to create $dev"
done
# An IPv6 --local makes gre gre6 (an ip6gre device); ipip has no IPv6
# underlay, and gre6 no IPv4 one.
dsrb 2 setup "$V1" --mode ipip --local 2001:db8::5
dsrb_says "--local 2001:db8::5 is IPv6: ipip is IPv4 in IPv4; for an IPv6 underlay use --mode gre"
dsrb 2 setup "$V1" --mode gre6 --local "$BE_IP"
dsrb_says "--local $BE_IP is IPv4: gre6 is gre over IPv6; for an IPv4 underlay use --mode gre"
dsrb 2 setup "$V1" --mode gre --local 2001:db8::1::5
dsrb_says "--local '2001:db8::1::5' is not an IPv4 or IPv6 address"
dsrb 2 check "$V1" gre --local 2001:db8::5
dsrb_says "check takes no --persist or --local"
if [ ! -d /sys/module/ip6_gre ]; then
    dsrb 1 setup "$V1" --mode gre --local 2001:db8::5
    dsrb_says "cannot load module ip6_gre: this kernel has no ip6_gre (needed for --mode gre6)"
fi
# Without a mode, check takes the one of the device holding the VIP.
dsrb 0 check "$V2"
dsrb_says "mode l2"

echo "== persistence (under a scratch root)"
V6=2001:db8::100
etc=$root/etc
# has FILE LINE...: FILE has each LINE, whole.
has() {
    local f=$1 line
    shift
    [ -f "$f" ] || sb_fail "no $f"
    for line in "$@"; do
        grep -qxF -- "$line" "$f" || sb_fail "$f lacks '$line':
$(cat "$f")"
    done
}
lacks() {
    local f=$1 line
    shift
    for line in "$@"; do
        ! grep -qxF -- "$line" "$f" 2>/dev/null || sb_fail "$f still has '$line'"
    done
}
wants() { readlink "$etc/systemd/system/multi-user.target.wants/dsr-backend@$1.service"; }

dsrb 0 setup "$V1" "$V2" --persist
dsrb 0 check "$V1" "$V2"
dsrb_says "ok: VIP $V1 is persistent (/etc/dsr-backend/l2.conf)" "ok: VIP $V2 is persistent"
has "$etc/dsr-backend/l2.conf" "VIPS=$V1 $V2" "OPTS="
has "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.all.arp_ignore = 1" \
    "net.ipv4.conf.all.arp_announce = 2"
has "$etc/systemd/system/dsr-backend@.service" \
    "EnvironmentFile=/etc/dsr-backend/%i.conf" \
    "ExecStart=/usr/local/sbin/dsr-backend setup \$VIPS --mode %i \$OPTS" \
    "WantedBy=multi-user.target"
[ "$(wants l2)" = /etc/systemd/system/dsr-backend@.service ] || sb_fail "dsr-backend@l2 not enabled"
[ ! -e "$etc/modules-load.d/dsr-backend.conf" ] || sb_fail "l2 needs no module"
if command -v systemd-analyze > /dev/null; then
    # systemd's own reading of the unit, pointed at this script.
    mkdir "$SB_DIR/units"
    sed "s|/usr/local/sbin/dsr-backend|$TOP_SRCDIR/deploy/dsr-backend|" \
        "$etc/systemd/system/dsr-backend@.service" \
        > "$SB_DIR/units/dsr-backend@.service"
    ln -s dsr-backend@.service "$SB_DIR/units/dsr-backend@l2.service"
    SYSTEMD_UNIT_PATH="$SB_DIR/units:" systemd-analyze verify \
        "$SB_DIR/units/dsr-backend@l2.service" \
        || sb_fail "systemd-analyze rejects the unit"
fi

# gre with the unit, written without touching the running system (this
# kernel may not be able to make the device).
dsrb 1 setup "$V1" --mode gre --persist-only
dsrb_says "--local BACKEND_IP is needed to persist mode gre"
dsrb 0 setup "$V1" --mode gre --local "$BE_IP" --persist-only
[ -z "$(ip -n "$SB_ID-be" link show dev dsr-gre0 2>/dev/null)" ] || sb_fail "--persist-only made dsr-gre0"
has "$etc/dsr-backend/gre.conf" "VIPS=$V1" "OPTS=--local=$BE_IP"
has "$etc/modules-load.d/dsr-backend.conf" ip_gre
has "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.all.arp_ignore = 1" \
    "net.ipv4.conf.dsr-gre0.rp_filter = 2"
[ -n "$(wants gre)" ] || sb_fail "dsr-backend@gre not enabled"
[ ! -e "$etc/systemd/network/50-dsr-gre0.netdev" ] || sb_fail "networkd files without networkd"

# ipip with networkd: it makes the device and its addresses; no unit.
DSR_BACKEND_NETWORKD=yes dsrb 0 setup "$V2" --mode ipip --local "$BE_IP" --persist-only
has "$etc/systemd/network/50-dsr-ipip0.netdev" "Name=dsr-ipip0" "Kind=ipip" \
    "Local=$BE_IP" "Remote=any" "Independent=yes"
has "$etc/systemd/network/50-dsr-ipip0.network" "Name=dsr-ipip0" "Address=$V2/32"
has "$etc/modules-load.d/dsr-backend.conf" ip_gre ipip
has "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.dsr-ipip0.rp_filter = 2" \
    "net.ipv4.conf.dsr-gre0.rp_filter = 2"
[ -z "$(wants ipip)" ] || sb_fail "dsr-backend@ipip enabled besides networkd"

# gre moves to networkd: the local address comes from the saved state.
DSR_BACKEND_NETWORKD=yes dsrb 0 setup "$V2" --mode gre --persist-only
has "$etc/systemd/network/50-dsr-gre0.netdev" "Kind=gre" "Local=$BE_IP"
has "$etc/systemd/network/50-dsr-gre0.network" "Address=$V1/32" "Address=$V2/32"
[ -z "$(wants gre)" ] || sb_fail "dsr-backend@gre still enabled under networkd"

# gre over IPv6 (any text form of --local, kept canonical), beside gre
# over IPv4: its own state, device, module and rp_filter.
dsrb 0 setup "$V2" "$V6" --mode gre --local 2001:DB8:0::11 --persist-only
has "$etc/dsr-backend/gre6.conf" "VIPS=$V2 $V6" "OPTS=--local=2001:db8::11"
has "$etc/dsr-backend/gre.conf" "VIPS=$V1 $V2"
has "$etc/modules-load.d/dsr-backend.conf" ip_gre ip6_gre ipip
has "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.dsr-ip6gre0.rp_filter = 2"
[ "$(wants gre6)" = /etc/systemd/system/dsr-backend@.service ] \
    || sb_fail "dsr-backend@gre6 not enabled"
dsrb 1 check "$V6"
dsrb_says "mode l2" "note: VIP $V6 is not persistent"
dsrb 1 check "$V6" gre
dsrb_says "mode gre6" "ok: VIP $V6 is persistent (/etc/dsr-backend/gre6.conf)"
# With both underlays persisted, a new gre VIP needs --local to choose.
dsrb 2 setup 192.0.2.13 --mode gre --persist-only
dsrb_says "dsr-gre0 and dsr-ip6gre0 are both set up: give --local"
DSR_BACKEND_NETWORKD=yes dsrb 0 setup "$V2" --mode gre6 --persist-only
has "$etc/systemd/network/50-dsr-ip6gre0.netdev" "Name=dsr-ip6gre0" \
    "Kind=ip6gre" "Local=2001:db8::11" "Remote=any" "Independent=yes"
has "$etc/systemd/network/50-dsr-ip6gre0.network" "Address=$V2/32" \
    "Address=$V6/128"
[ -z "$(wants gre6)" ] || sb_fail "dsr-backend@gre6 enabled besides networkd"
DSR_BACKEND_NETWORKD=yes dsrb 0 remove "$V2" "$V6" --mode gre6 --persist-only
[ ! -e "$etc/dsr-backend/gre6.conf" ] || sb_fail "gre6.conf left"
[ ! -e "$etc/systemd/network/50-dsr-ip6gre0.netdev" ] || sb_fail "ip6gre netdev left"
lacks "$etc/modules-load.d/dsr-backend.conf" ip6_gre
lacks "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.dsr-ip6gre0.rp_filter = 2"

# Taking VIPs out, down to nothing.
DSR_BACKEND_NETWORKD=yes dsrb 0 remove "$V1" --mode gre --persist-only
lacks "$etc/systemd/network/50-dsr-gre0.network" "Address=$V1/32"
has "$etc/systemd/network/50-dsr-gre0.network" "Address=$V2/32"
DSR_BACKEND_NETWORKD=yes dsrb 0 remove "$V2" --mode ipip --persist-only
[ ! -e "$etc/systemd/network/50-dsr-ipip0.netdev" ] || sb_fail "ipip netdev left"
lacks "$etc/modules-load.d/dsr-backend.conf" ipip
lacks "$etc/sysctl.d/90-dsr-backend.conf" "net.ipv4.conf.dsr-ipip0.rp_filter = 2"
DSR_BACKEND_NETWORKD=yes dsrb 0 remove "$V2" --mode gre --persist-only
dsrb 0 remove "$V1" "$V2" --persist
dsrb 1 check "$V2"
left=$(find "$root" ! -type d)
[ -z "$left" ] || sb_fail "files left after removing every VIP: $left"

echo "== IPv6 VIPs (l2)"
# The link gets IPv6: the backend's global address, the LB's (ndisc6's
# source).  nodad: usable at once.
ip -n "$SB_ID-be" addr add "$BE6/64" dev eth0 nodad
ip -n "$SB_ID-lb" addr add 2001:db8:b::1/64 dev eth0 nodad
# ndisc6 gets an answer from the backend for its own address (so silence
# for the VIP means something), and for a VIP wrongly put on eth0.
vip_answers_ns() {
    sb_exec lb ndisc6 -q -n -r 2 -w 500 "$1" eth0 > /dev/null
}
vip_answers_ns "$BE6" || sb_fail "control: ndisc6 gets no answer for the backend's own $BE6"
dsrb 2 setup 2001:db8::1::2
dsrb_says "'2001:db8::1::2' is not an IPv4 or IPv6 address"
dsrb 2 setup ff02::1
dsrb_says "VIP 'ff02::1' is a multicast address"
dsrb 2 setup fe80::1
dsrb_says "VIP 'fe80::1' is a link-local address"
dsrb 2 setup ::
dsrb_says "VIP '::' is an unspecified address"
dsrb 2 setup ::ffff:192.0.2.10
dsrb_says "is an IPv4-mapped IPv6 address: give the IPv4 address"
dsrb 2 setup 127.0.0.1
dsrb_says "VIP '127.0.0.1' is a loopback address"
dsrb 2 setup "$V6" --mode ipip --local "$BE_IP"
dsrb_says "VIP $V6: IPv6 VIPs are for modes l2 and gre (IPIP is IPv4 in IPv4)"
dsrb 2 check "$V6" ipip
dsrb_says "VIP $V6: IPv6 VIPs are for modes l2 and gre"

# IPv6 needs no ARP sysctl: with them off, an IPv6 VIP's check has only
# the missing VIP to report, and setup leaves them alone.
sb_exec be sysctl -q -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.all.arp_announce=0
dsrb 1 check 2001:DB8:0::100
dsrb_says "problem: VIP $V6 is not on lo: run \`dsr-backend setup $V6\`" \
    "dsr-backend check: 1 problem(s)"
# Any text form; the canonical one on lo (where has_vip finds it).
dsrb 0 setup 2001:0DB8:0:0::0100
dsrb 0 setup "$V6"
[ "$(ip -n "$SB_ID-be" -6 -o addr show dev lo | grep -c " $V6/128 ")" = 1 ] \
    || sb_fail "$V6 is not once on lo: $(ip -n "$SB_ID-be" -6 addr show dev lo)"
[ "$(sb_exec be sysctl -n net.ipv4.conf.all.arp_ignore)" = 0 ] \
    || sb_fail "setup of an IPv6 VIP changed arp_ignore"
dsrb 0 check "$V6"
dsrb_says "ok: VIP $V6 is on lo" \
    "ok: an interface other than lo has a global IPv6 address" \
    "dsr-backend check: all good"
! grep -q arp_ignore "$SB_DIR/out" || sb_fail "check of an IPv6 VIP looks at ARP"
! vip_answers_ns "$V6" || sb_fail "the backend answers NS for the VIP on lo"
vip_answers_ns "$BE6" || sb_fail "the backend no longer answers NS for $BE6"

sb_spawn be python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5355 "$V6"
sb_spawn be python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5356 ::
sb_wait_listening be 5355 u
sb_wait_listening be 5356 u
dsrb 0 check "$V6" --port 5355 --port 5356
dsrb_says "ok: UDP socket [$V6]:5355 (python3, pid " \
    "warning: UDP socket *:5356 (python3, pid "
sb_pkill be dns-responder.py

# On eth0 the VIP would be answered for: a problem.
ip -n "$SB_ID-be" addr add "$V6/64" dev eth0 nodad
vip_answers_ns "$V6" || sb_fail "control: no NS answer for the VIP on eth0"
dsrb 1 check "$V6"
dsrb_says "problem: VIP $V6 is on eth0 (/64), which answers Neighbor Solicitations for it"
ip -n "$SB_ID-be" addr del "$V6/64" dev eth0
# Only a link-local beside lo: the VIP would source the backend's own
# connections.
ip -n "$SB_ID-be" addr del "$BE6/64" dev eth0
dsrb 0 check "$V6"
dsrb_says "warning: no interface but lo has a global IPv6 address"

# Both families at once, persisted; the boot-time setup gets both.
sb_exec be sysctl -q -w net.ipv6.conf.lo.disable_ipv6=1
dsrb 1 setup "$V1" "$V6"
dsrb_says "IPv6 is disabled on lo"
dsrb 1 check "$V6"
dsrb_says "problem: VIP $V6 is not on lo, where IPv6 is disabled"
sb_exec be sysctl -q -w net.ipv6.conf.lo.disable_ipv6=0
dsrb 0 setup "$V1" "$V6" --persist
has "$etc/dsr-backend/l2.conf" "VIPS=$V1 $V6"
dsrb 0 check "$V1" "$V6"
dsrb_says "ok: VIP $V6 is persistent" "ok: VIP $V1 is persistent" \
    "net.ipv4.conf.all.arp_ignore is 1" "dsr-backend check: all good"
dsrb 0 remove "$V6" --persist
has "$etc/dsr-backend/l2.conf" "VIPS=$V1"
[ -z "$(ip -n "$SB_ID-be" -6 -o addr show dev lo | grep " $V6/")" ] \
    || sb_fail "$V6 still on lo after remove"
dsrb 0 remove "$V1" --persist
left=$(find "$root" ! -type d)
[ -z "$left" ] || sb_fail "files left after removing every VIP: $left"

[ "$(sysctl -n net.ipv4.conf.all.arp_ignore)" = "$host_arp_ignore" ] \
    || sb_fail "the host's own arp_ignore changed"
echo "PASS: dsr-backend l2 setup/check/remove (IPv4 and IPv6), gre/ipip checks, persistence"
