#!/bin/bash
# API latency of one backend change, from the PATCH to the 200 that dsrd
# sends once OVS has committed the change (and after the state file was
# fsynced), over 1,000 PATCHes, with 1,000 services configured and, as a
# baseline in the same run, with 10.  Also a GET of the same backend: the
# HTTP round trip without any change.  Prints medians and p99s, and the
# ratio 1,000 / 10 services (1.0 = cost independent of the config size).
#
# usage: sudo bench/api-latency.sh [BUILD_DIR]   (default build-plain)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-bench

sb_start_ovs
sb_add_host client 10.0.0.2/24

# N services, two backends each, MACs configured.
config() {
    python3 - "$1" <<'PY'
import json, sys
n = int(sys.argv[1])
services = [{"name": "svc-%d" % i, "vip": "10.100.%d.%d" % (i // 256, i % 256),
             "protocol": "tcp", "port": 80,
             "backends": [{"ip": "10.1.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:01"},
                          {"ip": "10.2.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:02"}]}
            for i in range(n)]
print(json.dumps({"bridges": [{"name": "br0"}], "services": services}))
PY
}

run() {   # run N_SERVICES: prints "patch_median patch_p99 get_median get_p99"
    rm -f "$SB_DIR/dsrd.state.json"
    config "$1" > "$SB_DIR/bench.json"
    sb_start_dsrd "$SB_DIR/bench.json"
    sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show 2>/dev/null | grep -q 'in sync'"
    local url=http://127.0.0.1:9180
    local patch get
    patch=$(ip netns exec "$SB_LB" python3 "$top/bench/api_client.py" "$url" \
        patch svc-7 10.1.0.7 1000)
    get=$(ip netns exec "$SB_LB" python3 "$top/bench/api_client.py" "$url" \
        get /v1/services/svc-7/backends/10.1.0.7 1000)
    sb_stop_dsrd
    echo "$patch $get"
}

small=$(run 10)
large=$(run 1000)
read -r sp_med sp_p99 sg_med sg_p99 <<< "$small"
read -r lp_med lp_p99 lg_med lg_p99 <<< "$large"
printf '%-34s %10s %10s\n' "1,000 requests, ms" median p99
printf '%-34s %10s %10s\n' "GET backend, 10 services" "$sg_med" "$sg_p99"
printf '%-34s %10s %10s\n' "PATCH weight, 10 services" "$sp_med" "$sp_p99"
printf '%-34s %10s %10s\n' "GET backend, 1,000 services" "$lg_med" "$lg_p99"
printf '%-34s %10s %10s\n' "PATCH weight, 1,000 services" "$lp_med" "$lp_p99"
awk -v a="$lp_med" -v b="$sp_med" 'BEGIN {
    printf "ratio PATCH median 1,000 / 10 services: %.2f\n", a / b }'
