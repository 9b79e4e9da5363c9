#!/bin/bash
# An all-ports service ("port": "*") carries any destination port of its
# VIP to the backends, while a one-port service on the same VIP wins for
# its own port.
. "$(dirname "$0")/lib.sh"

e2e_setup all-ports 3
e2e_http_backends 3 80 8080 9000
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
   {"name": "any", "vip": "$VIP", "protocol": "tcp", "port": "*",
    "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
   {"name": "only-9000", "vip": "$VIP", "protocol": "tcp", "port": 9000,
    "backends": [{"ip": "10.0.0.13"}]}]}
EOC

for port in 80 8080; do
    e2e_curl "http://$VIP:$port/?[1-40]" > "$SB_DIR/answers.$port"
    echo "port $port:"
    e2e_expect_spread http.log "$port" 5 be1 be2 < "$SB_DIR/answers.$port"
    [ "$(e2e_count be3 < "$SB_DIR/answers.$port")" = 0 ] \
        || sb_fail "port $port reached be3, which is not in the service"
done

e2e_curl "http://$VIP:9000/?[1-10]" > "$SB_DIR/answers.9000"
[ "$(e2e_count be3 < "$SB_DIR/answers.9000")" = 10 ] \
    || sb_fail "port 9000 did not go to its own service: $(cat "$SB_DIR/answers.9000")"

# UDP is not part of the tcp "*" service: dropped by the VIP's catch-all.
sb_exec client bash -c "echo x > /dev/udp/$VIP/80"
sb_wait_stats 1 sb_flow_packets "cookie=0xd50200000a000064/-1,ip" \
    || sb_fail "UDP to the VIP was not dropped by its catch-all"

e2e_pass "all-ports service"
