#!/bin/bash
# Two load balancer nodes, each its own ovs-vswitchd and dsrd with the same
# configuration, send every 5-tuple to the same backend (the userspace
# datapath's 5-tuple hash is the same on every node, and so is dsrd's
# slot table), so ECMP may move a client between them without moving its
# connection.  The same after a backend fails on both.
. "$(dirname "$0")/lib.sh"

# node NAME: one LB node with three UDP backends; prints "PORT BACKEND"
# for 200 datagrams from fixed source ports, then again with be2 down.
node() (
    e2e_setup "same-choice-$1" 3
    e2e_udp_service 3 >&2
    send() {
        sb_exec client python3 -c '
import socket, sys
for port in range(20000, 20200):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", port))
    s.settimeout(2)
    s.sendto(b"x", (sys.argv[1], 5353))
    try:
        name = s.recv(100).decode().split()[0]
    except socket.timeout:
        name = "lost"
    print(port, name)
    s.close()' "$VIP"
    }
    send
    api PATCH /v1/services/dns/backends/10.0.0.12 '{"state": "disabled"}' >&2
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
[ "$(grep -c ' be[123]$' "$out/a")" = 400 ] || sb_fail "answers missing"
grep -q '^down .* be2$' "$out/a" && sb_fail "disabled be2 answered"
for b in be1 be2 be3; do
    [ "$(grep -v '^down' "$out/a" | grep -c " $b\$")" -ge 30 ] \
        || sb_fail "$b got too few flows for the comparison to mean much"
done
cmp "$out/a" "$out/b" \
    || sb_fail "the nodes chose differently: $(diff "$out/a" "$out/b" | head)"
echo "PASS: two nodes, same choices for 400 5-tuples"
