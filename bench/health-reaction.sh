#!/bin/bash
# Reaction: the time from a health decision to OVS acknowledging the new
# group (the bundle's commit reply, which OVS sends after applying it),
# with 1,000 services configured.  One backend flaps between HTTP 200 and
# 503 every 250 ms for DURATION seconds; dsrd records each decision's
# reaction (ovs-appctl -t dsrd dsr/health-reaction).  Baseline in the
# same run: the same with 10 services.
#
# usage: sudo bench/health-reaction.sh [BUILD_DIR] [DURATION]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
duration=${2:-30}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-reaction

sb_start_ovs
sb_lb_address 10.0.0.5/24
sb_add_backend be1 10.0.0.11/24 10.0.0.100
sb_add_backend be2 10.0.0.12/24 10.0.0.100
for b in be1 be2; do
    sb_spawn "$b" python3 "$top/deploy/http-backend.py" "$b" \
        "$SB_DIR/$b.http.log" 80
    sb_wait_listening "$b" 80
done

config() {   # N services: "web" checked, the others not
    python3 - "$1" <<'PY'
import json, sys
n = int(sys.argv[1])
check = {"type": "http", "interval_ms": 50, "timeout_ms": 50, "rise": 1, "fall": 1}
services = [{"name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80,
             "health_check": check,
             "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]
services += [{"name": "svc-%d" % i, "vip": "10.100.%d.%d" % (i // 256, i % 256),
              "protocol": "tcp", "port": 80,
              "backends": [{"ip": "10.1.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:01"},
                           {"ip": "10.2.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:02"}]}
             for i in range(1, n)]
print(json.dumps({"bridges": [{"name": "br0"}], "services": services}))
PY
}

run() {
    rm -f "$SB_DIR"/dsrd.state.json*
    config "$1" > "$SB_DIR/bench.json"
    sb_start_dsrd "$SB_DIR/bench.json"
    sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show | grep -q 'in sync'"
    local end=$((SECONDS + duration))
    while [ $SECONDS -lt $end ]; do
        echo 503 > "$SB_DIR/be2.http.log.status"
        sleep 0.25
        rm -f "$SB_DIR/be2.http.log.status"
        sleep 0.25
    done
    ovs-appctl -t dsrd dsr/health-reaction
    sb_stop_dsrd
}

echo "health decision -> OVS commit reply:"
printf '  %-14s %s\n' "10 services:" "$(run 10)"
printf '  %-14s %s\n' "1,000 services:" "$(run 1000)"
