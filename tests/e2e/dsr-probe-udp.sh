#!/bin/bash
# The DSR-path probe of a udp check: dsrd sends the check's DNS query to
# the VIP through the data path, as a client's datagram travels, and the
# answer must come from the VIP.  be1 runs a DNS responder on a socket
# bound to 0.0.0.0 without IP_PKTINFO: it answers from its real IP, which
# every plain check accepts and every client drops; it goes down with the
# reason.  be2 runs Debian's unbound with interface-automatic (IP_PKTINFO:
# answers from the address asked) and stays up.  Fixed (bound to the VIP
# and its real IP), be1 comes back.
. "$(dirname "$0")/lib.sh"

command -v unbound > /dev/null || { echo "SKIP: unbound is not installed (deploy/install-deps.sh)"; exit 77; }
VIP2=10.0.0.101
e2e_setup dsr-probe-udp 2 "$VIP" "$VIP2"
sb_lb_address 10.0.0.5/24

sb_spawn be1 python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5353 0.0.0.0
cat > "$SB_DIR/unbound.conf" <<EOC
server:
    interface: 0.0.0.0
    interface-automatic: yes
    port: 5353
    do-ip6: no
    do-tcp: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$SB_DIR"
    pidfile: "$SB_DIR/unbound.pid"
    use-syslog: no
    logfile: "$SB_DIR/unbound.log"
    access-control: 0.0.0.0/0 allow
    module-config: "iterator"
    local-zone: "probe.test." static
    local-data: "probe.test. A 192.0.2.53"
remote-control:
    control-enable: no
EOC
sb_spawn be2 unbound -d -c "$SB_DIR/unbound.conf"
for b in be1 be2; do
    sb_wait_listening "$b" 5353 u
done

check='"type": "udp", "preset": "dns", "dns_name": "probe.test",
       "interval_ms": 100, "timeout_ms": 1000, "rise": 2, "fall": 2'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "probe_ip": "10.0.0.250"}],
 "services": [
  {"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 5353,
   "pin_connections": false, "health_check": {$check, "dsr": true},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "plain", "vip": "$VIP2", "protocol": "udp", "port": 5353,
   "pin_connections": false, "health_check": {$check},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC

status() { e2e_backend_health "$@"; }
is() { status "$1" "$2" | grep >/dev/null "^$3"; }
WRONG='UDP service answers from its real IP, not the VIP: clients drop these replies (bind the VIP or use IP_PKTINFO)'

# The plain checks pass for both: each answers on its real IP.
sb_wait_until is plain 10.0.0.11 up
sb_wait_until is plain 10.0.0.12 up
# Through the DSR path, be1 answers from 10.0.0.11, not the VIP.
sb_wait_until is dns 10.0.0.11 down || sb_fail "be1: $(status dns 10.0.0.11)"
[ "$(status dns 10.0.0.11)" = "down $WRONG" ] \
    || sb_fail "be1's reason: $(status dns 10.0.0.11)"
api GET /v1/status
jq '.services[] | select(.name == "dns") | .backends[0]' "$SB_DIR/body"
sb_wait_until is dns 10.0.0.12 up
[ "$(sb_group_slots 1 10.0.0.11)" = 0 ] || sb_fail "be1 still has slots"
[ "$(sb_group_slots 1 10.0.0.12)" = 256 ] || sb_fail "be2 lacks slots"
sb_dsrctl dsr/show | tee "$SB_DIR/show"
grep -A1 "backend 10.0.0.11" "$SB_DIR/show" \
    | grep -F >/dev/null "health down (udp): $WRONG" || sb_fail "dsr/show lacks the reason"
grep -q "is down: $WRONG" "$SB_DIR/dsrd.log" || sb_fail "not logged"

# A client's query to the VIP is answered, from the VIP (by be2).
sb_exec client python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05probe\x04test\x00\x00\x01\x00\x01"
s.sendto(q, (sys.argv[1], 5353))
data, peer = s.recvfrom(512)
assert peer[0] == sys.argv[1] and data[:2] == b"\x12\x34", (peer, data)
print("answer from", peer[0], "with", data[7], "address(es)")
' "$VIP"

sent=$(sb_dsrctl coverage/read-counter health_dsr_probe)
failed=$(sb_dsrctl coverage/read-counter health_dsr_failed)
echo "DSR-path probes: $sent sent, $failed failed"
[ "$sent" -gt 0 ] && [ "$failed" -gt 0 ] || sb_fail "coverage counters"

# Fixed: be1's responder bound to the VIP and its real IP answers each
# from the address asked; it comes back up.
sb_pkill be1 dns-responder.py
sb_spawn be1 python3 "$TOP_SRCDIR/tests/e2e/dns-responder.py" 5353 \
    "$VIP" 10.0.0.11
sb_wait_until is dns 10.0.0.11 up || sb_fail "be1: $(status dns 10.0.0.11)"
be1_in() { [ "$(sb_group_slots 1 10.0.0.11)" != 0 ]; }
sb_wait_until be1_in || sb_fail "be1 has no slots"
e2e_pass "DSR-path probe of a UDP service"
