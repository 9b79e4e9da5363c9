#!/bin/bash
# L2 DSR over TCP: 300 HTTP requests from a client reach three backends
# through the VIP, replies bypass the load balancer, OVS answers ARP for
# the VIP, and a disabled backend gets nothing.
. "$(dirname "$0")/lib.sh"

e2e_setup l2-tcp 4
e2e_http_backends 4 80
e2e_web_service 4 '.backends[3].state = "disabled"'

out0=$(e2e_client_tcp OutSegs) retrans0=$(e2e_client_tcp RetransSegs)
in0=$(e2e_client_tcp InSegs)

e2e_curl "http://$VIP/?[1-300]" > "$SB_DIR/answers"
n=$(wc -l < "$SB_DIR/answers")
[ "$n" = 300 ] || sb_fail "$n of 300 requests answered"
# 100 expected each; 50 is far outside the binomial spread.
e2e_expect_spread http.log 80 50 be1 be2 be3 < "$SB_DIR/answers"
[ "$(e2e_count be4 < "$SB_DIR/answers")" = 0 ] \
    || sb_fail "disabled backend be4 received requests"

# Counters: the service's classifier and its backends' flows count
# exactly the client's segments to the VIP; the replies (which the client
# received) never touched them.  Only a connection's first segments go
# through the group's slots: its SYN, which commits the pin that every
# later segment follows.
out=$(( $(e2e_client_tcp OutSegs) + $(e2e_client_tcp RetransSegs) - out0 - retrans0 ))
in=$(( $(e2e_client_tcp InSegs) - in0 ))
backends=(10.0.0.11 10.0.0.12 10.0.0.13)
sb_wait_stats "$out" sb_flow_packets "cookie=0xd501000000000001/-1" 0
sb_wait_stats "$out" sb_backend_packets 1 "${backends[@]}"
sb_wait_stats 300 sb_group_packets 1   # at least the SYNs
flow=$(sb_flow_packets "cookie=0xd501000000000001/-1" 0)
group=$(sb_group_packets 1)
delivered=$(sb_backend_packets 1 "${backends[@]}")
echo "client sent $out segments, received $in; flow $flow, group $group," \
     "delivered $delivered"
[ "$flow" = "$out" ] || sb_fail "service flow counted $flow, client sent $out"
[ "$delivered" = "$out" ] \
    || sb_fail "backend flows counted $delivered, client sent $out"
retrans=$(( $(e2e_client_tcp RetransSegs) - retrans0 ))
if [ "$DSR_DATAPATH" = system ]; then
    # The kernel's tracker cannot pin a SYN seen alone (flows/README.md):
    # the group sees each connection's SYN and its packets until the pin
    # is committed, the next one, or two when they share a datapath batch.
    [ "$group" -ge 600 ] && [ "$group" -le $((out * 2 / 3)) ] \
        || sb_fail "group counted $group of $out segments, not 2 to 3 of 5 per connection"
else
    # The group sees each connection's SYN and nothing else, but a SYN
    # sent again before its pin was committed (a retransmission).
    [ "$group" -ge 300 ] && [ "$group" -le $((300 + retrans)) ] \
        || sb_fail "group counted $group of $out segments ($retrans retransmitted), not 1 per connection"
fi
[ "$in" -ge 900 ] || sb_fail "client received only $in segments"

# A client port used again while the old connection's pin lingers (Linux
# starts a new run of source ports every 10 s, NAT gateways reuse ports;
# one-way, the kernel's tracker keeps a closed connection for minutes):
# the new connection goes where its SYN went, not to the old pin's
# backend, whose TIME_WAIT socket would only answer with ACKs (it hung:
# flows/README.md, "Connection pinning").  Where the datapath hashes the
# socket's random hash, as Debian 12's kernel does, each SYN picks a
# backend at random: ten connections from one port meet an old pin of
# another backend several times.
# The client reads each answer to its end, so that the backend closes
# first and the port is free again at once (no TIME_WAIT on the client),
# as with a browser or curl when the server closes.
port_free() { [ -z "$(sb_exec client ss -Htan "sport = :21001")" ]; }
# from_21001 TAG: a request from client port 21001; prints the answering
# backend's name.
from_21001() {
    sb_exec client python3 - "$VIP" "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 21001))
s.settimeout(10)
s.connect((sys.argv[1], 80))
s.sendall(b"GET /?reuse%s HTTP/1.0\r\n\r\n" % sys.argv[2].encode())
answer = b""
while True:
    data = s.recv(4096)
    if not data:
        break
    answer += data
s.close()
print(answer.decode().rsplit("\r\n\r\n", 1)[1].strip())
PY
}
for i in $(seq 10); do
    sb_wait_until port_free
    from_21001 "$i" >> "$SB_DIR/reused" \
        || sb_fail "connection $i from client port 21001 failed"
done
echo "one client port, ten connections, answered by:" \
    $(sort "$SB_DIR/reused" | uniq -c)

# The same whatever the hash: the backend of a connection from port 21001
# drains, so it leaves the slots but keeps its pins, and the port's next
# connection's SYN takes another backend's slot while the old pin still
# names the drained one.  The connection must follow its SYN (without
# the SYN's lookup in table 21 it hung on the kernel datapath, whatever
# the hash).  Undrained, the backend gets its slots back (the same group
# as before) for the rest of the test.
group() { sb_ofctl dump-groups br0 1 | sed 1d; }   # not the reply's xid
group_is() { [ "$(group)" = "$1" ]; }
group0=$(group)
sb_wait_until port_free
first=$(from_21001 drain1) \
    || sb_fail "connection from client port 21001 before the drain failed"
drained=10.0.0.1${first#be}
api PATCH "/v1/services/web/backends/$drained" '{"state": "drain"}'
expect 200 '.state == "drain"'
no_slots() { [ "$(sb_group_slots 1 "$1")" = 0 ]; }
sb_wait_until no_slots "$drained"
sb_wait_until port_free
second=$(from_21001 drain2) \
    || sb_fail "connection from client port 21001 after $first drained failed"
[ "$second" != "$first" ] \
    || sb_fail "connection from client port 21001 went to drained $first"
echo "client port 21001 used again after $first drained: answered by $second"
api PATCH "/v1/services/web/backends/$drained" '{"state": "active"}'
expect 200 '.state == "active"'
sb_wait_until group_is "$group0"

# A reply from a backend is switched by the NORMAL flow alone.
trace=$(ovs-appctl ofproto/trace br0 \
    "in_port=2,tcp,dl_src=00:00:00:00:00:11,dl_dst=00:00:00:00:00:02,nw_src=$VIP,nw_dst=$CLIENT_IP,tp_src=80,tp_dst=40000")
echo "$trace" | grep >/dev/null "priority 0, cookie 0xd500000000000000" \
    || sb_fail "reply did not hit the NORMAL flow: $trace"
! echo "$trace" | grep >/dev/null "group:1" || sb_fail "reply went through the group"

# The client learned the VIP at the service MAC, from OVS.
sb_exec client ip neigh show "$VIP" | grep >/dev/null "lladdr $SERVICE_MAC" \
    || sb_fail "client has $(sb_exec client ip neigh show "$VIP")"
sb_exec client ip neigh flush dev eth0
sb_exec client ping -c 1 -W 2 "$VIP" >/dev/null 2>&1 || true
sb_exec client ip neigh show "$VIP" | grep >/dev/null "lladdr $SERVICE_MAC" \
    || sb_fail "fresh ARP for the VIP not answered with the service MAC"
# No backend answers ARP for the VIP, even one misconfigured to answer
# for addresses on lo (arp_ignore=0): OVS answers before it can see it.
sb_exec be1 sysctl -q -w net.ipv4.conf.all.arp_ignore=0 \
    net.ipv4.conf.eth0.arp_ignore=0
replies=$(sb_exec client arping -c 3 -w 3 -I eth0 "$VIP" | grep -i "reply from" || true)
echo "$replies"
[ "$(echo "$replies" | grep -ci "\[$SERVICE_MAC\]")" -ge 3 ] \
    || sb_fail "ARP for the VIP not answered by the service MAC"
! echo "$replies" | grep -vi >/dev/null "\[$SERVICE_MAC\]" \
    || sb_fail "something other than OVS answered ARP for the VIP"
sb_exec be1 sysctl -q -w net.ipv4.conf.all.arp_ignore=1 \
    net.ipv4.conf.eth0.arp_ignore=1
arp=$(sb_flow_packets "cookie=0xd50200000a000064/-1,arp")
[ "$arp" -ge 2 ] || sb_fail "ARP responder answered $arp requests"

# dsr/show names every backend with its MAC and id.
sb_dsrctl dsr/show | tee "$SB_DIR/show"
for i in 1 2 3; do
    mac=$(sb_exec be$i cat /sys/class/net/eth0/address)
    grep -q "backend 10.0.0.1$i: mac $mac (arp), port $((i + 1)), weight 100, active, id $((i - 1))$" "$SB_DIR/show" \
        || sb_fail "dsr/show is wrong for be$i"
done
grep -q "backend 10.0.0.14: .*disabled, id 3 (no slots)" "$SB_DIR/show" \
    || sb_fail "dsr/show does not show be4 disabled"

# A SYN sent again reaches the backend the first one reached.  The
# backends' SYN-ACKs to a second client address go to a gateway that
# does not exist, so the client sends its SYN three times in 4 s.  Linux
# gives the socket a new hash at each timeout, which the kernel
# datapath's default dp_hash follows: it sent the first SYN to one
# backend and the others to another (flows/README.md, "Connection
# pinning").  Each backend's capture counts the SYNs it got.
sb_exec client ip addr add 10.0.0.99/24 dev eth0
for i in 1 2 3; do
    sb_exec "be$i" ip route add 10.0.0.99/32 via 10.0.0.250
    e2e_capture "be$i" eth0 "$SB_DIR/syn$i.pcap" "tcp port 21000"
done
sb_exec client curl -sS --connect-timeout 4 --interface 10.0.0.99 \
    --local-port 21000 "http://$VIP/" > /dev/null 2>&1 || true
for i in 1 2 3; do e2e_capture_stop "be$i"; done
reached="" total=0
for i in 1 2 3; do
    n=$(tcpdump -nr "$SB_DIR/syn$i.pcap" 2> /dev/null | grep -c "Flags \[S\]" || true)
    total=$((total + n))
    [ "$n" = 0 ] || reached="$reached be$i ($n)"
done
echo "one client's SYN, sent $total times, reached:$reached"
[ "$total" -ge 2 ] || sb_fail "the SYN was not sent again ($total SYNs)"
# The kernel datapath hashes the headers only where its kernel has
# OVS_HASH_ALG_SYM_L4: Debian 12's 6.1 has not, and there the SYNs still
# part (a known limit: flows/README.md).
alg=$(ovs-appctl dpif/show-dp-features br0 \
          | sed -n 's/^Max dp_hash algorithm: //p')
if [ "$DSR_DATAPATH" = system ] && [ "${alg:-0}" = 0 ]; then
    echo "not checked: this kernel has no symmetric L4 dp_hash"
else
    [ "$(echo "$reached" | grep -o "be[123]" | wc -l)" = 1 ] \
        || sb_fail "one client's SYNs reached several backends:$reached"
fi

# dsrd knows the bridge's datapath (from OVSDB) and reports it.
dp=$(e2e_datapath_kind)
grep -q "^bridge br0: datapath $dp (datapath_type=" "$SB_DIR/show" \
    || sb_fail "dsr/show does not report the $dp datapath"
api GET /v1/status
expect 200 ".bridges[0].datapath == \"$dp\""

e2e_pass "L2 DSR TCP"
