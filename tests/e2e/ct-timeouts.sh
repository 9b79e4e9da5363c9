#!/bin/bash
# dsrd writes its conntrack zone's timeout policy to OVSDB
# (bridges[].ct_timeouts, controller/ct-policy.h): ovs-vswitchd applies it
# to the pins, /v1/status shows it, and dsrd puts it back when somebody
# removes it.
. "$(dirname "$0")/lib.sh"

ZONE=54741
e2e_setup ct-timeouts 2
for i in 1 2; do
    sb_spawn "be$i" python3 "$TOP_SRCDIR/bench/echo-backend.py" "be$i" 7
done
e2e_udp_backends 2 53
sb_wait_listening be1 7
sb_wait_listening be2 7
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC",
              "ct_timeouts": {"tcp": 700, "udp": 400, "icmp": 20}}],
 "services": [
  {"name": "echo", "vip": "$VIP", "protocol": "tcp", "port": 7,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 53,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC
case $DSR_DATAPATH in
system) DP_TYPE=system ;;
*) DP_TYPE=netdev ;;
esac

# The zone's policy as OVSDB holds it: "key=value" lines, sorted.
policy() {
    ovs-vsctl list-zone-tp "$DP_TYPE" 2>/dev/null \
        | sed -n "s/^Zone:$ZONE, Timeout Policies: //p" | tr ' ' '\n' | sort
}
policy_is_dsrds() {
    [ "$(policy | tr '\n' ' ')" = "icmp_first=20 icmp_reply=20 tcp_established=700 tcp_syn_recv=700 tcp_syn_sent=30 tcp_unack=700 udp_multiple=400 udp_single=400 " ]
}
sb_wait_until policy_is_dsrds || sb_fail "policy in OVSDB: $(policy)"
e2e_wait_api /v1/status '.bridges[0].ct_timeouts.tcp == 700' \
    '.bridges[0].ct_timeouts.udp == 400' \
    '.bridges[0].ct_timeouts.tcp_syn == 30' \
    '.bridges[0].ct_timeouts_state | startswith("set")' \
    || sb_fail "status: $(api GET /v1/status; cat "$SB_DIR/api.body")"

# The seconds left to the longest-lived pin of PROTO to PORT.
pin_timeout() {
    ovs-appctl dpctl/dump-conntrack -s zone=$ZONE 2>/dev/null \
        | grep "^$1,.*dst=$VIP,.*dport=$2[,)]" \
        | grep -o 'timeout=[0-9]*' | cut -d= -f2 | sort -n | tail -1
}
# Two one-way packets at least, as DSR sees a connection: past the first
# packet's timeout (tcp_syn, udp_first), into the policy's longer one.
sb_exec client python3 "$TOP_SRCDIR/bench/longlived_client.py" "$VIP" 7 \
    4 4 > "$SB_DIR/conns" &
held=$!
sb_exec client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for i in range(3):
    s.sendto(b"q%d" % i, (sys.argv[1], 53))
    print(s.recvfrom(512)[0].decode().strip())
' "$VIP" > "$SB_DIR/udp" || sb_fail "udp: $(cat "$SB_DIR/udp")"
tcp_long() { t=$(pin_timeout tcp 7); [ "${t:-0}" -gt 600 ]; }
udp_long() { t=$(pin_timeout udp 53); [ "${t:-0}" -gt 300 ]; }
sb_wait_until tcp_long \
    || sb_fail "TCP pin's timeout $(pin_timeout tcp 7), not 700 s"
sb_wait_until udp_long \
    || sb_fail "UDP pin's timeout $(pin_timeout udp 53), not 400 s"
wait "$held"
[ "$(grep -c ' OK ' "$SB_DIR/conns")" = 4 ] \
    || sb_fail "connections broke: $(cat "$SB_DIR/conns")"

# An operator (or a restore of OVSDB) removes it: dsrd writes it again.
ovs-vsctl del-zone-tp "$DP_TYPE" zone=$ZONE
sb_wait_until policy_is_dsrds || sb_fail "not rewritten: $(policy)"
e2e_pass "conntrack timeout policy set, applied and kept"
