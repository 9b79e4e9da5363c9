#!/bin/bash
# UDP over IPv6 through an L2 DSR service, and what follows a flow's pin
# over IPv6 as it does over IPv4 (l2-udp.sh, fragments.sh,
# icmp-errors.sh): datagrams spread over the backends, each flow pinned;
# a flow's fragmented datagrams (reassembled by conntrack, IPv6 fragments
# of at least 1,280 bytes) reach the backend its small ones do; and an
# ICMPv6 Packet Too Big about a backend's reply reaches that backend
# only.
. "$(dirname "$0")/lib.sh"
if [ "$DSR_DATAPATH" != userspace ]; then
    # The kernel's: not in the VM suite yet; DPDK's net_af_packet ports
    # lose fragmented datagrams (fragments.sh).
    echo "SKIP: IPv6 UDP, fragments and ICMPv6 are tested on the userspace datapath"
    exit 77
fi

e2e_setup l2-ipv6-udp 3 "$VIP6"
e2e_add_ipv6 3
for i in 1 2 3; do
    sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$i" \
        "$SB_DIR/be$i.udp.log" "$VIP6" 5353
done
for i in 1 2 3; do
    sb_wait_listening "be$i" 5353 u
done
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
  {"name": "dns6", "vip": "$VIP6", "protocol": "udp", "port": 5353,
   "backends": [{"ip": "2001:db8::11"}, {"ip": "2001:db8::12"},
                {"ip": "2001:db8::13"}]}]}
EOC

# 300 datagrams, each from a new source port: 100 expected per backend;
# 50 is far outside the binomial spread.  Replies come from the VIP.
sb_exec client python3 "$TOP_SRCDIR/tests/e2e/udp-client.py" "$VIP6" 5353 \
    300 > "$SB_DIR/answers"
grep -v '^be[123]$' "$SB_DIR/answers" | head -3 | grep . \
    && sb_fail "datagrams not answered by a backend from the VIP"
CLIENT_IP=$CLIENT_IP6 e2e_expect_spread udp.log 5353 50 be1 be2 be3 \
    < "$SB_DIR/answers"

# For 30 flows: a small datagram, then a 3,000-byte one, which the client
# sends as 3 IPv6 fragments.  Each flow's answers must come from one
# backend.
sb_exec client python3 -c '
import socket, sys
for i in range(30):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(30)
    names = []
    for size in (10, 3000):
        s.sendto(b"x" * size, (sys.argv[1], 5353))
        names.append(s.recv(4096).split()[0].decode())
    print(" ".join(names))
' "$VIP6" > "$SB_DIR/fragments"
sort "$SB_DIR/fragments" | uniq -c
[ "$(wc -l < "$SB_DIR/fragments")" = 30 ] || sb_fail "fragmented flows lost"
awk '$1 != $2' "$SB_DIR/fragments" | grep . \
    && sb_fail "a fragmented datagram went to another backend than its flow's"
frags=$(ovs-appctl dpctl/ipf-get-status | awk '/v6 frags accepted/ {print $NF}')
[ "${frags:-0}" -ge 90 ] || sb_fail "conntrack reassembled $frags IPv6 fragments, not 90"

# A flow from port 40000 (its pin), then a Packet Too Big (MTU 1280) from
# the client's namespace, playing the router on the reply path, to the
# VIP, quoting the reply VIP:5353 -> client:40000.  (The kernel fills in
# an ICMPv6 raw socket's checksum.)
owner=$(sb_exec client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 40000))
s.settimeout(30)
s.sendto(b"flow", (sys.argv[1], 5353))
print(s.recv(100).split()[0].decode())
' "$VIP6")
echo "the flow from port 40000 is pinned to $owner"
ptb() {
    sb_exec "$1" awk '$1 == "Icmp6InPktTooBigs" {print $2}' /proc/net/snmp6
}
declare -A before
for i in 1 2 3; do before[be$i]=$(ptb "be$i"); done
sb_exec client python3 -c '
import socket, struct, sys
vip, client = sys.argv[1], sys.argv[2]
udp = struct.pack("!HHHH", 5353, 40000, 8 + 1200, 0) + b"r" * 1200
inner = (struct.pack("!IHBB", 6 << 28, len(udp), 17, 64)
         + socket.inet_pton(socket.AF_INET6, vip)
         + socket.inet_pton(socket.AF_INET6, client) + udp)
ptb = struct.pack("!BBHI", 2, 0, 0, 1280) + inner[:1232 - 8]
raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
raw.sendto(ptb, (vip, 0))
' "$VIP6" "$CLIENT_IP6"
owner_got_ptb() { [ "$(ptb "$owner")" -gt "${before[$owner]}" ]; }
sb_wait_until owner_got_ptb \
    || sb_fail "$owner, which owns the flow, got no Packet Too Big"
for i in 1 2 3; do
    [ "be$i" = "$owner" ] && continue
    [ "$(ptb "be$i")" = "${before[be$i]}" ] \
        || sb_fail "be$i, which does not own the flow, got the Packet Too Big"
done
sb_wait_stats 1 sb_flow_packets "ct_state=+rel+trk,ipv6" 23 \
    || sb_fail "the ICMPv6 error did not follow the pin (table 23)"

e2e_pass "UDP, fragments and Packet Too Big over IPv6"
