#!/bin/bash
# An all-ports service ("port": "*") carries any destination port of its
# VIP to the backends, while a one-port service on the same VIP wins for
# its own port; the same pair of services for an IPv6 VIP beside them.
. "$(dirname "$0")/lib.sh"

e2e_setup all-ports 3 "$VIP" "$VIP6"
e2e_add_ipv6 3
e2e_http_backends 3 80 8080 9000
for i in 1 2 3; do
    BIND=:: sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
        "be$i" "$SB_DIR/be$i.http6.log" 80 8080 9000
done
for i in 1 2 3; do sb_wait_listening "be$i" 9000 t 6; done
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
   {"name": "any", "vip": "$VIP", "protocol": "tcp", "port": "*",
    "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
   {"name": "only-9000", "vip": "$VIP", "protocol": "tcp", "port": 9000,
    "backends": [{"ip": "10.0.0.13"}]},
   {"name": "any6", "vip": "$VIP6", "protocol": "tcp", "port": "*",
    "backends": [{"ip": "2001:db8::11"}, {"ip": "2001:db8::12"}]},
   {"name": "only-9000-6", "vip": "$VIP6", "protocol": "tcp", "port": 9000,
    "backends": [{"ip": "2001:db8::13"}]}]}
EOC

# check_vip URL_HOST LOG CLIENT: the "*" service takes ports 80 and 8080
# to be1 and be2, the one-port service takes 9000 to be3.
check_vip() {
    local host=$1 log=$2 port
    for port in 80 8080; do
        e2e_curl "http://$host:$port/?[1-40]" > "$SB_DIR/answers.$port"
        echo "$host port $port:"
        CLIENT_IP=$3 e2e_expect_spread "$log" "$port" 5 be1 be2 \
            < "$SB_DIR/answers.$port"
        [ "$(e2e_count be3 < "$SB_DIR/answers.$port")" = 0 ] \
            || sb_fail "$host port $port reached be3, which is not in the service"
    done
    e2e_curl "http://$host:9000/?[1-10]" > "$SB_DIR/answers.9000"
    [ "$(e2e_count be3 < "$SB_DIR/answers.9000")" = 10 ] \
        || sb_fail "$host port 9000 did not go to its own service: $(cat "$SB_DIR/answers.9000")"
}
check_vip "$VIP" http.log "$CLIENT_IP"
sb_wait_until e2e_curl -6 --max-time 5 -o /dev/null "http://[$VIP6]:9000/" \
    || sb_fail "the IPv6 services do not answer"
check_vip "[$VIP6]" http6.log "$CLIENT_IP6"

# UDP is not part of the tcp "*" service: dropped by the VIP's catch-all.
sb_exec client bash -c "echo x > /dev/udp/$VIP/80"
sb_wait_stats 1 sb_flow_packets "cookie=0xd50200000a000064/-1,ip" \
    || sb_fail "UDP to the VIP was not dropped by its catch-all"

e2e_pass "all-ports services, IPv4 and IPv6"
