#!/bin/bash
# L2 DSR over UDP: 200 datagrams from new source ports spread across three
# backends, each answered straight from the VIP.
. "$(dirname "$0")/lib.sh"

e2e_setup l2-udp 3
e2e_udp_service 3

sb_exec client python3 "$TOP_SRCDIR/tests/e2e/udp-client.py" "$VIP" 5353 200 \
    > "$SB_DIR/answers"
e2e_expect_spread udp.log 5353 30 be1 be2 be3 < "$SB_DIR/answers"
bad=$(grep -cv '^be[123]$' "$SB_DIR/answers" || true)
[ "$bad" = 0 ] || sb_fail "$bad datagrams lost or answered from elsewhere: $(sort "$SB_DIR/answers" | uniq -c)"

backends=(10.0.0.11 10.0.0.12 10.0.0.13)
sb_wait_stats 200 sb_flow_packets cookie=0xd501000000000001/-1 0
sb_wait_stats 200 sb_backend_packets 1 "${backends[@]}"
sb_wait_stats 190 sb_group_packets 1
flow=$(sb_flow_packets cookie=0xd501000000000001/-1 0)
[ "$flow" = 200 ] || sb_fail "service flow counted $flow datagrams, not 200"
# Each datagram came from a new socket: a new connection for the group's
# slots, unless the kernel happened to reuse a source port (rare: a
# couple of ports in 200 draws from the ephemeral range).
group=$(sb_group_packets 1)
[ "$group" -ge 190 ] && [ "$group" -le 200 ] \
    || sb_fail "group counted $group new connections of 200 datagrams"
delivered=$(sb_backend_packets 1 "${backends[@]}")
[ "$delivered" = 200 ] || sb_fail "backend flows counted $delivered, not 200"

# Without pins (a stateless service): the same spread, and nothing in
# conntrack.
api PATCH /v1/services/dns '{"pin_connections": false}'
expect 200 '.pin_connections == false'
# (The VM's kernel lacks conntrack's netlink module, which dpctl needs to
# flush and dump the kernel's table: there only the traffic is checked.)
ct_readable=yes
ovs-appctl dpctl/flush-conntrack || ct_readable=
sb_exec client python3 "$TOP_SRCDIR/tests/e2e/udp-client.py" "$VIP" 5353 100 \
    > "$SB_DIR/answers"
[ "$(grep -c '^be[123]$' "$SB_DIR/answers")" = 100 ] \
    || sb_fail "unpinned service: $(sort "$SB_DIR/answers" | uniq -c)"
[ -z "$ct_readable" ] \
    || [ "$(ovs-appctl dpctl/dump-conntrack zone=54741 | wc -l)" = 0 ] \
    || sb_fail "an unpinned service left conntrack entries"
e2e_pass "L2 DSR UDP"
