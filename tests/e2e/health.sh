#!/bin/bash
# Health checks with real servers: a killed server leaves the group and
# traffic goes on through the others; restarted, it comes back after
# rise; HTTP 503 is down; the DSR-path probe catches a backend without
# the VIP on lo (which a plain check passes); exec and UDP checks; drain
# keeps a backend out while its health is still reported; on_all_down.
. "$(dirname "$0")/lib.sh"

VIP2=10.0.0.101 VIP3=10.0.0.102
e2e_setup health 3 "$VIP" "$VIP2" "$VIP3"
sb_lb_address 10.0.0.5/24
# be2 lacks VIP2 on its loopback: DSR traffic to VIP2 would be lost there.
sb_exec be2 ip addr del "$VIP2/32" dev lo
e2e_http_backends 3 80
for i in 1 2 3; do
    sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$i" \
        "$SB_DIR/be$i.udp.log" "$VIP" 5353
    sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$i" \
        "$SB_DIR/be$i.udp-real.log" "10.0.0.1$i" 5353
done
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=backend \
    -keyout "$SB_DIR/key.pem" -out "$SB_DIR/cert.pem" 2> /dev/null
sb_spawn be3 env CERT="$SB_DIR/cert.pem" KEY="$SB_DIR/key.pem" \
    python3 "$TOP_SRCDIR/deploy/http-backend.py" be3 "$SB_DIR/be3.https.log" 8443
sb_wait_listening be3 8443
# Generous timeouts: the sanitizer build and Python servers on 2 cores
# are slow, and a busy host's emulated VM answered probes in over 1 s
# (the kernel datapath's run beside CPU burners flapped at 1000 ms);
# detection speed is measured by bench/failover.sh instead.
fast='"interval_ms": 100, "timeout_ms": 3000, "rise": 2, "fall": 2'
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "probe_ip": "10.0.0.250"}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "http", "path": "/health", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}, {"ip": "10.0.0.13"}]},
  {"name": "dsr", "vip": "$VIP2", "protocol": "tcp", "port": 80,
   "health_check": {"type": "tcp", "dsr": true, $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "plain", "vip": "$VIP3", "protocol": "tcp", "port": 80,
   "health_check": {"type": "tcp", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "exec", "vip": "$VIP3", "protocol": "tcp", "port": 81,
   "health_check": {"type": "exec", "command": ["/bin/sh", "-c",
                    "test \$DSR_BACKEND_IP = 10.0.0.11"], $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "tls", "vip": "$VIP3", "protocol": "tcp", "port": 8443,
   "health_check": {"type": "https", "path": "/", $fast},
   "backends": [{"ip": "10.0.0.13"},
                {"ip": "10.0.0.12", "health_check": {"tls_verify": true}}]},
  {"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 5353,
   "on_all_down": "keep",
   "health_check": {"type": "udp", "payload": "ping", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "body", "vip": "$VIP3", "protocol": "tcp", "port": 82,
   "health_check": {"type": "http", "port": 80, "body_contains": "be1",
                    $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "head", "vip": "$VIP3", "protocol": "tcp", "port": 83,
   "health_check": {"type": "http", "port": 80, "method": "HEAD", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC

# health SERVICE IP: up, down or unchecked, from /v1/status.
health() {
    api GET /v1/status
    jq -r --arg s "$1" --arg ip "$2" '.services[] | select(.name == $s)
        | .backends[] | select(.ip == $ip) | .health' "$SB_DIR/body"
}
reason() {
    api GET /v1/status
    jq -r --arg s "$1" --arg ip "$2" '.services[] | select(.name == $s)
        | .backends[] | select(.ip == $ip) | .reason // ""' "$SB_DIR/body"
}
is() { [ "$(health "$1" "$2")" = "$3" ]; }
reason_has() { reason "$1" "$2" | grep -i >/dev/null "$3"; }
# slot_holders SERVICE: the ids of the backends with slots (the services
# checked here list 10.0.0.11, .12, .13 in that order: ids 0, 1, 2).
slot_holders() {
    sb_slot_shares "$1" | while IFS=. read -r _ _ _ last; do
        echo $(( ${last%%:*} - 11 ))
    done | sort -n | tr '\n' ' '
}
group_is() { [ "$(slot_holders "$1")" = "$2" ]; }

# Backends start up; the first probes settle it (ARP from the LB host to
# each backend comes first).
sb_wait_until group_is 1 "0 1 2 "

sb_wait_until is web 10.0.0.12 up
sb_wait_until is dsr 10.0.0.11 up

# The DSR-path probe finds what a plain check cannot.
vip_reason() { reason dsr 10.0.0.12 | grep >/dev/null "VIP not configured on backend"; }
sb_wait_until vip_reason
sb_wait_until is dsr 10.0.0.12 down
sb_wait_until is plain 10.0.0.12 up
sb_wait_until group_is 2 "0 "

# HEAD and GET probes share libcurl's handles: a GET after a HEAD on the
# same handle still reads the body, which body_contains judges.
sb_wait_until is head 10.0.0.11 up
sb_wait_until is body 10.0.0.11 up
sb_wait_until is body 10.0.0.12 down
sb_wait_until reason_has body 10.0.0.12 'without "be1"'
[ "$(health head 10.0.0.12)" = up ] || sb_fail "HEAD check of be2"
[ "$(health body 10.0.0.11)" = up ] || sb_fail "body check of be1"

# exec: up where the command exits 0.
sb_wait_until is exec 10.0.0.11 up
sb_wait_until is exec 10.0.0.12 down
sb_wait_until reason_has exec 10.0.0.12 "exit"

# HTTPS: up with a self-signed certificate unless asked to verify it (be2
# has no HTTPS server at all: down either way; be3's certificate fails
# verification where verification is on).
sb_wait_until is tls 10.0.0.13 up
sb_wait_until is tls 10.0.0.12 down
api PATCH /v1/services/tls/backends/10.0.0.13 '{"health_check": {"tls_verify": true}}'
expect 200
sb_wait_until is tls 10.0.0.13 down
sb_wait_until reason_has tls 10.0.0.13 "certificate"

# UDP: both answer; a killed server is "port unreachable".
sb_wait_until is dns 10.0.0.11 up
sb_wait_until is dns 10.0.0.12 up

# Kill be2's web server: it leaves the group, traffic goes on.
sb_pkill be2 "http-backend.py be2 " || true
start=$(date +%s%N)
sb_wait_until is web 10.0.0.12 down
echo "be2 down $(( ($(date +%s%N) - start) / 1000000 )) ms after its server died:" \
     "$(reason web 10.0.0.12)"
sb_wait_until group_is 1 "0 2 "
e2e_curl "http://$VIP/?[1-30]" > "$SB_DIR/answers"
[ "$(grep -c '^be[13]$' "$SB_DIR/answers")" = 30 ] \
    || sb_fail "requests failed with be2 down: $(sort "$SB_DIR/answers" | uniq -c)"

# Back after rise.
sb_spawn be2 python3 "$TOP_SRCDIR/deploy/http-backend.py" be2 \
    "$SB_DIR/be2.http.log" 80
sb_wait_until is web 10.0.0.12 up
sb_wait_until group_is 1 "0 1 2 "

# HTTP 503 is down.
echo 503 > "$SB_DIR/be3.http.log.status"
sb_wait_until is web 10.0.0.13 down
sb_wait_until reason_has web 10.0.0.13 "HTTP 503"
rm "$SB_DIR/be3.http.log.status"
sb_wait_until is web 10.0.0.13 up
# Up in the health view is not yet back in the group: the drain below
# must not race be3's return to its slots.
sb_wait_until group_is 1 "0 1 2 "

# Drain: out of the group, health still reported.
api PATCH /v1/services/web/backends/10.0.0.11 '{"state": "drain"}'
expect 200
[ "$(slot_holders 1)" = "1 2 " ] || sb_fail "drained be1 still in group: $(slot_holders 1)"
sb_pkill be1 "http-backend.py be1 " || true
sb_wait_until is web 10.0.0.11 down
[ "$(slot_holders 1)" = "1 2 " ] || sb_fail "group changed: $(slot_holders 1)"

# UDP: kill both servers of the real IPs: on_all_down keep keeps both.
sb_pkill be1 "udp-backend.py be1 .*10.0.0.11" || true
sb_pkill be2 "udp-backend.py be2 .*10.0.0.12" || true
sb_wait_until is dns 10.0.0.11 down
sb_wait_until is dns 10.0.0.12 down
sb_wait_until reason_has dns 10.0.0.11 "port unreachable"
sb_wait_until e2e_in_sync   # whatever dsrd decided is on the switch
[ "$(slot_holders 6)" = "0 1 " ] || sb_fail "on_all_down keep: $(slot_holders 6)"
api GET /v1/status
expect 200 '.services[] | select(.name == "dns") | .has_healthy_backends == false'
api GET /metrics
grep -q '^dsr_backend_up{service="web",backend="10.0.0.11",check="http"} 0$' "$SB_DIR/body" \
    || sb_fail "metrics lack health"
grep -q '^dsr_service_healthy_backends{service="dns",vip="10.0.0.100"} 0$' "$SB_DIR/body" \
    || sb_fail "metrics lack healthy count"

# A restart from the state file, whose load runs on a second thread
# (controller/early-sync.h), leaves exec checks working: OVS forks only
# from a process with one thread.  Each backend starts up again, so the
# failing one going down is this dsrd's exec check.
sb_stop_dsrd
sb_start_dsrd ""
sb_wait_until e2e_in_sync
[ "$(sb_dsrctl coverage/read-counter early_sync_taken)" = 1 ] \
    || sb_fail "the restart did not read the switch back early"
sb_wait_until is exec 10.0.0.12 down
sb_wait_until reason_has exec 10.0.0.12 "exit"
[ "$(health exec 10.0.0.11)" = up ] || sb_fail "exec check after restart"

E2E_EXPECTED_LOG='.'   # none expected, but WARNs are not the point here
e2e_pass "health checks"
