#!/bin/bash
# Scale: 5,000 backends (1,000 addresses in each of 5 namespaces, nginx
# answering on all of them) checked every second, with TCP checks and
# then with HTTP checks; prints dsrd's CPU use as a share of one core over
# SECONDS seconds.  Baseline in the same run: the same 5,000 backends with
# "type": "none" (dsrd idle with that configuration).
#
# usage: sudo bench/health-scale.sh [BUILD_DIR] [SECONDS]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
window=${2:-20}
export DSRD=$build/controller/dsrd
command -v nginx > /dev/null || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light > /dev/null
    systemctl stop nginx 2> /dev/null || true
}
. "$top/deploy/sandbox.sh"
sb_init dsr-hscale

sb_start_ovs
sb_lb_address 10.0.0.5/16
# 5,000 neighbours: beyond the kernel's default neighbour table (these
# limits are global, not per namespace; they are only raised).
for k in 1:8192 2:16384 3:32768; do
    f=/proc/sys/net/ipv4/neigh/default/gc_thresh${k%%:*}
    [ -w "$f" ] && [ "$(cat "$f")" -lt "${k#*:}" ] && echo "${k#*:}" > "$f"
done
for n in 1 2 3 4 5; do
    sb_add_host "h$n" "10.0.$n.1/16"
    python3 - "$n" <<'PY' | ip -n "$SB_ID-h$n" -batch -
import sys
n = int(sys.argv[1])
for i in range(2, 1001):
    print("addr add 10.0.%d.%d/16 dev eth0" % (10 * n + i // 250, i % 250 + 1))
PY
    cat > "$SB_DIR/nginx-$n.conf" <<EON
worker_processes 1;
pid $SB_DIR/nginx-$n.pid;
error_log $SB_DIR/nginx-$n.log;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 80 backlog=4096; location / { return 200 "ok\\n"; } }
}
EON
    ip netns exec "$SB_ID-h$n" nginx -c "$SB_DIR/nginx-$n.conf"
done

# Backends: h1's 1,000 addresses then h2's..., 100 per service.
backend_ips() {
    for n in 1 2 3 4 5; do
        echo "10.0.$n.1"
        for i in $(seq 2 1000); do
            echo "10.0.$((10 * n + i / 250)).$((i % 250 + 1))"
        done
    done
}
backend_ips > "$SB_DIR/ips"

config() {   # config CHECK_JSON
    python3 - "$1" "$SB_DIR/ips" <<'PY'
import json, sys
check = json.loads(sys.argv[1])
ips = open(sys.argv[2]).read().split()
services = []
for s in range(50):
    services.append({"name": "svc-%d" % s, "vip": "10.200.0.%d" % (s + 1),
                     "protocol": "tcp", "port": 80, "health_check": check,
                     "backends": [{"ip": ip, "mac": "02:00:00:00:00:01"}
                                  for ip in ips[s * 100:(s + 1) * 100]]})
print(json.dumps({"bridges": [{"name": "br0"}], "services": services}))
PY
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$SB_DIR/dsrd.pid")/stat"; }

measure() {   # measure NAME CHECK_JSON: prints "NAME: X % of one core"
    rm -f "$SB_DIR"/dsrd.state.json*
    config "$2" > "$SB_DIR/bench.json"
    sb_start_dsrd "$SB_DIR/bench.json"
    sleep 5     # first probes are spread over one interval; ARP settles
    local t0 c0 t1 c1
    t0=$(date +%s.%N) c0=$(cpu_ticks)
    if [ -n "$PERF" ]; then
        perf record -F 499 -g -o "$PERF.$(echo "$1" | cut -c1-4)" \
            -p "$(cat "$SB_DIR/dsrd.pid")" -- sleep "$window" 2> /dev/null
    else
        sleep "$window"
    fi
    t1=$(date +%s.%N) c1=$(cpu_ticks)
    local down
    down=$(ip netns exec "$SB_LB" curl -sS http://127.0.0.1:9180/v1/status \
           | jq '[.services[].backends[] | select(.health == "down")] | length')
    sb_stop_dsrd
    awk -v n="$1" -v c="$((c1 - c0))" -v t0="$t0" -v t1="$t1" \
        -v hz="$(getconf CLK_TCK)" -v down="$down" 'BEGIN {
        printf "  %-40s %5.1f %% of one core  (%d of 5000 down)\n",
               n, c / hz / (t1 - t0) * 100, down }'
}

echo "dsrd CPU over ${window}s with 5,000 backends:"
measure "no checks (baseline)" '{"type": "none"}'
measure "tcp checks every 1 s" '{"type": "tcp", "interval_ms": 1000, "timeout_ms": 500}'
measure "http checks every 1 s" '{"type": "http", "interval_ms": 1000, "timeout_ms": 500}'
