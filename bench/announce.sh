#!/bin/bash
# What BGP mode ("announce": {"mode": "bgp"}, controller/announce.c)
# costs at SIZES VIPs (one TCP service a VIP, BACKENDS backends each, MACs
# given, no traffic), against ARP mode with the same configuration in the
# same run.  Per size and mode, one row:
#   up_s      launch of dsrd -> every VIP's route in table 100 (bgp), or
#             -> "in sync" (arp)
#   idle_cpu  dsrd's CPU seconds over IDLE seconds with nothing changing,
#             as a percentage of one core
#   drain_s   the node drained (PUT /v1/node, as "dsrctl node drain"
#             does) -> table 100 empty (bgp)
#   back_s    undrained -> every route back (bgp; the hold-down is 0)
#   flap_ms   one service's only backend disabled -> its route gone, then
#             made active -> back, median of FLAPS (bgp): one change's cost
#   rss_MB    dsrd's resident size
# RUNS=N repeats each size and mode N times and prints the medians.
#
# usage: sudo bench/announce.sh [BUILD_DIR] [BACKENDS] [SIZES...]
#        (defaults: build-plain, 4, 100 10000; IDLE=20 FLAPS=20 RUNS=1)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
per=${2:-4}
shift 2 2>/dev/null || shift $#
sizes=${*:-100 10000}
idle=${IDLE:-20}
flaps=${FLAPS:-20}
runs=${RUNS:-1}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-announce
SB_WAIT=300

sb_start_ovs
sb_lb_address 10.0.0.5/24
api_url=http://127.0.0.1:9180

config() {   # config N MODE: the JSON config (svc-7 keeps one backend)
    local bgp=
    [ "$2" = arp ] || bgp=--bgp
    python3 "$top/bench/scale-config.py" "$1" "$per" --one-backend 7 $bgp
}

cpu() { awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }
since() { printf %.2f "$(echo "$(now) - $1" | bc)"; }
routes() { ip -n "$SB_LB" route show table 100 2>/dev/null | wc -l; }
routes_are() { [ "$(routes)" = "$1" ]; }
has_route() { ip -n "$SB_LB" route show table 100 "$1" | grep -q .; }
synced() { grep -q ': in sync ' "$SB_DIR/dsrd.log" 2>/dev/null; }
api() {
    ip netns exec "$SB_LB" curl -sS -o /dev/null -w '%{http_code}' \
        -X "$1" -H 'Content-Type: application/json' --data "$3" \
        "$api_url$2"
}

# flap_ms: one route's withdrawal and return through the API (svc-7's
# only backend disabled, then active again), in ms.
flap_ms() {
    local start be=/v1/services/svc-7/backends/172.16.$(( 7 * per / 256 )).$(( 7 * per % 256 ))
    start=$(now)
    [ "$(api PATCH "$be" '{"state": "disabled"}')" = 200 ]
    poll sh -c "! ip -n '$SB_LB' route show table 100 10.100.0.7 | grep -q ."
    [ "$(api PATCH "$be" '{"state": "active"}')" = 200 ]
    poll has_route 10.100.0.7
    echo "($(now) - $start) * 500" | bc | xargs printf '%.1f\n'
}

# The sandbox's waits poll every 100 ms: too coarse for drain_s, back_s
# and flap_ms, which poll here every 5 ms (a check forks ip and grep).
poll() {
    local deadline=$((SECONDS + SB_WAIT))
    until "$@"; do
        if [ $SECONDS -ge $deadline ]; then
            echo "timed out after ${SB_WAIT}s waiting for: $*" >&2
            return 1
        fi
        sleep 0.005
    done
}

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

format='%8s %5s %5s %7s %9s %8s %7s %8s %7s\n'
printf "$format" vips mode run up_s idle_cpu drain_s back_s flap_ms rss_MB
for n in $sizes; do
    for mode in arp bgp; do
        rows=$SB_DIR/rows.$n.$mode
        : > "$rows"
        config "$n" "$mode" > "$SB_DIR/announce.json"
        for run in $(seq 1 "$runs"); do
            rm -f "$SB_DIR/dsrd.state.json"* "$SB_DIR/dsrd.log"
            sb_ofctl del-flows br0
            sb_ofctl del-groups br0
            start=$(now)
            sb_start_dsrd "$SB_DIR/announce.json"
            if [ "$mode" = bgp ]; then
                poll routes_are "$n"
            else
                poll synced
            fi
            up=$(since "$start")
            pid=$(cat "$SB_DIR/dsrd.pid")
            c0=$(cpu "$pid")
            sleep "$idle"   # the measurement window, nothing to wait for
            idle_cpu=$(echo "($(cpu "$pid") - $c0) * 100 / $idle" | bc -l)
            drain=- back=- flap=-
            if [ "$mode" = bgp ]; then
                start=$(now)
                api PUT /v1/node '{"drained": true}' > /dev/null
                poll routes_are 0
                drain=$(since "$start")
                start=$(now)
                api PUT /v1/node '{"drained": false}' > /dev/null
                poll routes_are "$n"
                back=$(since "$start")
                flap=$(for _ in $(seq 1 "$flaps"); do flap_ms; done | median)
            fi
            row=$(printf "$format" "$n" "$mode" "$run" "$up" \
                "$(printf %.2f "$idle_cpu")%" "$drain" "$back" "$flap" \
                "$(rss "$pid")")
            echo "$row"
            echo "$row" >> "$rows"
            sb_stop_dsrd
            ip -n "$SB_LB" route flush table 100 2>/dev/null || true
        done
        if [ "$runs" -gt 1 ]; then
            row=("$n" "$mode" median)
            for col in 4 5 6 7 8 9; do
                row+=("$(awk -v c="$col" '{sub("%", "", $c); print $c}' \
                    "$rows" | median)")
            done
            printf "$format" "${row[@]}"
        fi
    done
done
echo "(idle_cpu: dsrd's CPU over ${idle} s with nothing changing, % of a core;"
echo " compare bgp with arp at the same size: the difference is the announcer's)"
