#!/bin/bash
# A flood of spoofed SYNs to a VIP: every SYN is pinned (flows/README.md,
# "Connection pinning"), so dsrd limits its conntrack zone
# (bridges[].ct_zone_limit) on ovs-vswitchd.  The zone stays under the
# limit, established connections keep their backends, and new
# legitimate connections still get through while the flood runs.
. "$(dirname "$0")/lib.sh"

if [ "$DSR_DATAPATH" = system ]; then
    echo "SKIP: dsrd sets zone limits on the userspace datapath only"
    exit 77
fi
LIMIT=500
ZONE=54741
GEN=${NEWCONN_GEN:-$(dirname "$DSRD")/../bench/newconn-gen}
e2e_setup syn-flood 2
for i in 1 2; do
    sb_spawn "be$i" python3 "$TOP_SRCDIR/bench/echo-backend.py" "be$i" 7
done
e2e_http_backends 2 80
sb_wait_listening be1 7
sb_wait_listening be2 7
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "ct_zone_limit": $LIMIT}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]},
  {"name": "echo", "vip": "$VIP", "protocol": "tcp", "port": 7,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC

# "limit=N,count=N" of dsrd's zone, as ovs-vswitchd has it.
zone() {
    ovs-appctl dpctl/ct-get-limits netdev@ovs-netdev zone=$ZONE \
        | grep -o "zone=$ZONE,limit=[0-9]*,count=[0-9]*"
}
has_limit() { zone | grep >/dev/null "limit=$LIMIT,"; }
sb_wait_until has_limit || sb_fail "zone limit not set: $(zone)"
api GET /v1/status
expect 200 ".bridges[0].ct_zone_limit == $LIMIT"

# 20 connections held for the whole flood, a line echoed every second.
sb_exec client python3 "$TOP_SRCDIR/bench/longlived_client.py" "$VIP" 7 \
    20 12 > "$SB_DIR/conns" &
held=$!
established() {
    [ "$(sb_exec client ss -Htn state established "( dport = :7 )" \
         | wc -l)" -ge 20 ]
}
sb_wait_until established

# 8 s of spoofed SYNs from 10.200.0.0/16, 20 times the limit a second.
sb_exec client "$GEN" eth0 "$SERVICE_MAC" "$VIP" 80 8 $((LIMIT * 20)) tcp \
    > "$SB_DIR/flood" &
flood=$!
full() { zone | grep >/dev/null "count=$LIMIT\$"; }
sb_wait_until full || sb_fail "the flood never filled the zone: $(zone)"
# New connections while the zone is full: delivered unpinned, by slot.
e2e_curl "http://$VIP/?[1-20]" > "$SB_DIR/answers"
during=$(zone)
wait "$flood"
wait "$held"

echo "flood: $(cat "$SB_DIR/flood"); zone during it: $during"
count=${during##*count=}
[ "$count" -le "$LIMIT" ] || sb_fail "zone holds $count pins, over $LIMIT"
[ "$(grep -c '^be' "$SB_DIR/answers")" = 20 ] \
    || sb_fail "new connections failed during the flood: $(sort "$SB_DIR/answers" | uniq -c)"
broken=$(grep -c BROKEN "$SB_DIR/conns" || true)
[ "$(wc -l < "$SB_DIR/conns")" = 20 ] || sb_fail "connections not reported"
[ "$broken" = 0 ] || sb_fail "$broken established connections broke"
e2e_pass "SYN flood held to the zone limit"
