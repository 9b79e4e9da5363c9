#!/bin/bash
# The API's protections: HTTPS with a bearer token (401 without it, the
# token compared in full), the default listen address being loopback, and
# slow clients that cannot stall dsrd.
. "$(dirname "$0")/lib.sh"

e2e_setup api-security 1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$SB_DIR/key.pem" \
    -out "$SB_DIR/cert.pem" 2> /dev/null
echo "s3cret-token" > "$SB_DIR/token"
cat > "$SB_DIR/dsrd.json" <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}], "services": []}
EOC
SB_DSRD_ARGS="--api=127.0.0.1:9443 --api-token-file=$SB_DIR/token
              --api-tls-cert=$SB_DIR/cert.pem --api-tls-key=$SB_DIR/key.pem"
sb_start_dsrd "$SB_DIR/dsrd.json"
API_URL=https://127.0.0.1:9443
tls=(--cacert "$SB_DIR/cert.pem")

sb_wait_until api GET /v1/status "" "${tls[@]}"
expect 401 '.error == "unauthorized"'
api GET /v1/status "" "${tls[@]}" -H "Authorization: Bearer s3cret"
expect 401
api GET /v1/status "" "${tls[@]}" -H "Authorization: Bearer s3cret-tokenX"
expect 401
api POST /v1/services '{"name": "x", "vip": "10.0.0.100", "protocol": "tcp", "port": 80}' \
    "${tls[@]}"
expect 401
api GET /v1/services "" "${tls[@]}" -H "Authorization: Bearer s3cret-token"
expect 200 'length == 0'
# Plain HTTP to the TLS port gets nowhere.
! ip netns exec "$SB_LB" curl -sS --max-time 3 http://127.0.0.1:9443/v1/status \
    -H "Authorization: Bearer s3cret-token" 2>/dev/null | grep >/dev/null version \
    || sb_fail "plain HTTP answered on the HTTPS port"

# Slow clients: 20 connections that send half a request and stall until
# the test releases them do not keep others from being served, nor are
# they closed to serve them: the answer comes while all 20 are still
# open.  (Not a time limit: a busy machine slows the answer, and the
# api() call's own 10 s limit catches a dsrd that waits on them.)
# They speak TLS: plain bytes would only fail the handshake and be closed.
# Each holds until the test drops its lock on $SB_DIR/release.
exec 5> "$SB_DIR/release"
flock -x 5
for _ in $(seq 1 20); do
    ip netns exec "$SB_LB" bash -c \
        "{ printf 'GET /v1/sta'; flock -s '$SB_DIR/release' true; } \
         | openssl s_client -connect 127.0.0.1:9443 -CAfile '$SB_DIR/cert.pem' \
               -quiet -no_ign_eof > /dev/null 2>&1" 5>&- &
done
stalled_open() {
    ip netns exec "$SB_LB" ss -Htn state established '( dport = :9443 )' | wc -l
}
stalled() { [ "$(stalled_open)" = 20 ]; }
sb_wait_until stalled || sb_fail "$(stalled_open) of 20 stalled clients connected"
start=$(date +%s%N)
api GET /v1/status "" "${tls[@]}" -H "Authorization: Bearer s3cret-token"
expect 200 '.bridges[0].connected'
ms=$(( ($(date +%s%N) - start) / 1000000 ))
open=$(stalled_open)
echo "answered in $ms ms beside 20 stalled connections, $open of them still open"
[ "$open" = 20 ] || sb_fail "$open of the 20 stalled connections open after the answer"
flock -u 5
exec 5>&-
wait

# Only loopback by default: a dsrd without --api listens on 127.0.0.1.
sb_stop_dsrd
SB_DSRD_ARGS=
sb_start_dsrd ""
sb_wait_until sh -c "ip netns exec $SB_LB ss -Hltn | grep >/dev/null '127.0.0.1:9180 '"
! ip netns exec "$SB_LB" ss -Hltn | grep >/dev/null '0.0.0.0:9180 ' \
    || sb_fail "the API listens on all addresses by default"

e2e_pass "API security"
