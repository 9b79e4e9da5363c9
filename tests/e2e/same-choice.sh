#!/bin/bash
# Two load balancer nodes, each its own ovs-vswitchd and dsrd with the same
# configuration, send every 5-tuple to the same backend (the userspace
# datapath's 5-tuple hash is the same on every node, and so is dsrd's
# slot table), so ECMP may move a client between them without moving its
# connection.  The same after a backend fails on both.  IPv4 and IPv6
# (a service of each family on the same backends).
. "$(dirname "$0")/lib.sh"

# node NAME: one LB node with three UDP backends; prints "FAMILY PORT
# BACKEND" for 200 datagrams of each family from fixed source ports, then
# again with be2 down.
node() (
    e2e_setup "same-choice-$1" 3 "$VIP" "$VIP6"
    e2e_add_ipv6 3
    for i in 1 2 3; do
        sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$i" \
            "$SB_DIR/be$i.udp6.log" "$VIP6" 5353
    done
    e2e_udp_backends 3 5353
    e2e_web_service 3 '.name = "dns" | .protocol = "udp" | .port = 5353' \
        '., (.name = "dns6" | .vip = "'"$VIP6"'"
             | .backends = [range(3) | {ip: "2001:db8::\(11 + .)"}])' >&2
    for i in 1 2 3; do
        sb_wait_listening "be$i" 5353 u 4
        sb_wait_listening "be$i" 5353 u 6
    done
    send() {
        send_family "$VIP" 4
        send_family "$VIP6" 6
    }
    send_family() {
        sb_exec client python3 -c '
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
for port in range(20000, 20200):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(("", port))
    s.settimeout(2)
    s.sendto(b"x", (sys.argv[1], 5353))
    try:
        name = s.recv(100).decode().split()[0]
    except socket.timeout:
        name = "lost"
    print(sys.argv[2], port, name)
    s.close()' "$1" "$2"
    }
    send
    api PATCH /v1/services/dns/backends/10.0.0.12 '{"state": "disabled"}' >&2
    expect 200 >&2
    api PATCH /v1/services/dns6/backends/2001:db8::12 '{"state": "disabled"}' >&2
    expect 200 >&2
    # Conntrack pins of the first round would hide the table: forget them.
    ovs-appctl dpctl/flush-conntrack
    send | sed 's/^/down /'
    e2e_pass "node $1" >&2
)

out=$(mktemp -d /tmp/dsrt-same-choice.XXXXXX)
trap 'rm -rf "$out"' EXIT
node a > "$out/a"
node b > "$out/b"
for b in be1 be2 be3; do
    echo "$b: $(grep -c " $b\$" "$out/a") on node a, $(grep -c " $b\$" "$out/b") on node b"
done
grep -q lost "$out/a" "$out/b" && sb_fail "datagrams lost"
[ "$(grep -c ' be[123]$' "$out/a")" = 800 ] || sb_fail "answers missing"
grep -q '^down .* be2$' "$out/a" && sb_fail "disabled be2 answered"
for family in 4 6; do
    for b in be1 be2 be3; do
        [ "$(grep "^$family " "$out/a" | grep -c " $b\$")" -ge 30 ] \
            || sb_fail "IPv$family: $b got too few flows for the comparison to mean much"
    done
done
cmp "$out/a" "$out/b" \
    || sb_fail "the nodes chose differently: $(diff "$out/a" "$out/b" | head)"
echo "PASS: two nodes, same choices for 800 5-tuples, IPv4 and IPv6"
