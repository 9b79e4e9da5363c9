#!/bin/bash
# Path MTU discovery through DSR: an ICMP "fragmentation needed" about a
# backend's reply (sent by a router to the VIP, the reply's source) reaches
# the backend that owns the flow, through the flow's pin in conntrack, and
# only that backend lowers its path MTU to the client.
. "$(dirname "$0")/lib.sh"

e2e_setup icmp-errors 3
e2e_udp_service 3

# A UDP flow (its pin: client:40000 -> VIP:5353); then, from the client's
# namespace (playing the router on the reply path), an ICMP type 3 code 4
# quoting the reply VIP:5353 -> client:40000, next-hop MTU 1280.  (UDP,
# because a backend's TCP ignores ICMP quoting a sequence number outside
# its window, which the client cannot know.)
sb_exec client python3 -c '
import socket, struct, sys
vip, client_ip = sys.argv[1], sys.argv[2]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff

flow = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flow.bind(("", 40000))
flow.settimeout(5)
flow.sendto(b"x", (vip, 5353))
owner = flow.recv(100).decode().split()[0]
inner_ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 0, 0x4000, 64, 17, 0,
                       socket.inet_aton(vip), socket.inet_aton(client_ip))
inner_ip = inner_ip[:10] + struct.pack("!H", csum(inner_ip)) + inner_ip[12:]
inner_udp = struct.pack("!HHHH", 5353, 40000, 1480, 0)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1280) + inner_ip + inner_udp
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
raw.sendto(icmp, (vip, 0))
print(owner)' "$VIP" "$CLIENT_IP" > "$SB_DIR/owner"
owner=$(cat "$SB_DIR/owner")
echo "the flow went to $owner"
lowered() { sb_exec "$owner" ip route get "$CLIENT_IP" | grep >/dev/null 'mtu 1280'; }
sb_wait_until lowered || sb_fail "the owner $owner did not get the frag-needed"
for b in be1 be2 be3; do
    route=$(sb_exec "$b" ip route get "$CLIENT_IP")
    echo "$b: $route" | head -2
    if [ "$b" = "$owner" ]; then
        echo "$route" | grep >/dev/null 'mtu 1280' \
            || sb_fail "the owner $b did not get the frag-needed"
    else
        ! echo "$route" | grep >/dev/null 'mtu 1280' \
            || sb_fail "$b got another backend's frag-needed"
    fi
done
sb_wait_stats 1 sb_flow_packets "ct_state=+rel+trk,ip" 23 \
    || sb_fail "the related-ICMP flow saw nothing"

e2e_pass "frag-needed reached the connection's backend only"
