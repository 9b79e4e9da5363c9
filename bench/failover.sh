#!/bin/bash
# Failover: a client sends a steady stream of short TCP requests to a VIP
# with 3 backends; one backend's server is killed (and, separately, its
# link is cut).  Prints the time from the kill to the last failed request,
# median of RUNS runs, for the fast profile (interval 100 ms, fall 2) and
# for the default one (interval 500 ms, timeout 400 ms, fall 3).  The
# baseline in the same run is the client's own request period.  FAMILY=6
# runs it all over IPv6 (VIP, backends, health checks).
#
# usage: sudo [FAMILY=4|6] bench/failover.sh [BUILD_DIR] [RUNS]
#        (default build-plain, 5)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
runs=${2:-5}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-failover
if [ "${FAMILY:-4}" = 6 ]; then
    VIP=2001:db8::100 net=2001:db8::1 bind=::
else
    VIP=10.0.0.100 net=10.0.0.1 bind=0.0.0.0
fi

sb_start_ovs
sb_lb_address 10.0.0.5/24
ip -n "$SB_LB" addr add 2001:db8::5/64 dev br0 nodad
sb_add_host client 10.0.0.2/24
sb_exec client ip addr add 2001:db8::2/64 dev eth0 nodad
for i in 1 2 3; do
    sb_add_backend "be$i" "10.0.0.1$i/24" "$VIP"
    sb_exec "be$i" ip addr add "2001:db8::1$i/64" dev eth0 nodad
    # The link cut below is "ip link set eth0 down": without this, Linux
    # drops a link's IPv6 addresses with it, and the backend never returns.
    sb_exec "be$i" sysctl -qw net.ipv6.conf.eth0.keep_addr_on_down=1
done

start_server() {
    BIND=$bind sb_spawn "$1" python3 "$top/deploy/http-backend.py" "$1" \
        "$SB_DIR/$1.http.log" 80
    sb_wait_listening "$1" 80
}

status_of() {
    ip netns exec "$SB_LB" curl -sS http://127.0.0.1:9180/v1/status \
        | jq -r --arg ip "$1" '.services[0].backends[]
                               | select(.ip == $ip) | .health'
}
all_up() {
    [ "$(status_of "${net}1")$(status_of "${net}2")$(status_of "${net}3")" \
      = upupup ]
}

# run PROFILE_JSON FAULT: one measurement in ms.
run() {
    local fault=$2 kill_at
    sb_wait_until all_up
    sleep 0.5
    sb_exec client python3 "$top/bench/failover_client.py" "$VIP" 4 0.3 3 \
        > "$SB_DIR/requests" &
    local client=$!
    sleep 1
    kill_at=$(date +%s.%N)
    if [ "$fault" = kill ]; then
        sb_pkill be2 "http-backend.py be2 "
    else
        ip -n "$SB_ID-be2" link set eth0 down
    fi
    wait $client
    # Recover for the next run.
    if [ "$fault" = kill ]; then
        start_server be2
    else
        ip -n "$SB_ID-be2" link set eth0 up
    fi
    awk -v k="$kill_at" '$2 == 0 && $1 >= k {last = $1}
        END {printf "%.0f\n", last ? (last - k) * 1000 : 0}' "$SB_DIR/requests"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

profile() {   # profile NAME CHECK_JSON
    sb_stop_dsrd 2>/dev/null || true
    rm -f "$SB_DIR"/dsrd.state.json*
    cat > "$SB_DIR/dsrd.json" <<EOC
{"bridges": [{"name": "br0"}],
 "services": [{"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": $2,
   "backends": [{"ip": "${net}1"}, {"ip": "${net}2"}, {"ip": "${net}3"}]}]}
EOC
    sb_start_dsrd "$SB_DIR/dsrd.json"
    local kills=() cuts=()
    for r in $(seq 1 "$runs"); do
        kills+=("$(run "$2" kill)")
        cuts+=("$(run "$2" cut)")
    done
    printf '%-44s %8s ms   (runs: %s)\n' "$1, server killed" \
        "$(printf '%s\n' "${kills[@]}" | median)" "${kills[*]}"
    printf '%-44s %8s ms   (runs: %s)\n' "$1, link cut" \
        "$(printf '%s\n' "${cuts[@]}" | median)" "${cuts[*]}"
}

for i in 1 2 3; do start_server "be$i"; done
echo "IPv${FAMILY:-4}: time from the fault to the last failed request, median of $runs:"
profile "fast (http, 100 ms, timeout 100 ms, fall 2)" \
    '{"type": "http", "interval_ms": 100, "timeout_ms": 100, "fall": 2, "rise": 2}'
profile "default (http, 500 ms, timeout 400 ms, fall 3)" '{"type": "http"}'
period=$(awk 'NR > 1 {s += $1 - p; n++} {p = $1} END {printf "%.1f", s / n * 1000}' \
         "$SB_DIR/requests")
echo "baseline: a new connection started every $period ms"
