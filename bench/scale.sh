#!/bin/bash
# Control-plane scale: SIZES services x BACKENDS backends (addresses and
# MACs generated, no traffic), programmed into a private ovs-vswitchd.
# For each size it prints one row:
#   cold    launch of dsrd with the config -> "in sync" (the last bundle's
#           commit reply), with dsrd's and ovs-vswitchd's CPU seconds;
#           sync_s is the part after dsrd connected (OpenFlow transfer and
#           OVS's work, overlapping dsrd's encoding), the rest is dsrd
#           loading its state and building the pipeline
#   restart dsrd SIGKILLed and started again: -> "in sync", and whether
#           reconciliation found everything right (0 to change)
#   change  PATCH of one backend's weight -> 200 (after OVS's commit),
#           median and p99 of 50
#   replace PUT /v1/config with 1 % of the services changed -> 200, and
#           the flow and group mods it sent
#   memory  resident size of dsrd and of ovs-vswitchd
#   floor   the OVS side's floor for the cold start, measured in the same
#           run: the flows and groups dsrd left on the bridge, dumped,
#           the bridge emptied, and the same applied from files by
#           ovs-ofctl --bundle (groups, then flows: two atomic bundles),
#           with ovs-vswitchd's CPU seconds; cold/floor is the ratio
# The smallest size is the baseline: the change ratio against it shows
# whether one change costs more in a bigger config.  RUNS=N repeats each
# size N times and adds a row of medians.
#
# usage: sudo bench/scale.sh [BUILD_DIR] [BACKENDS] [SIZES...]
#        (defaults: build-plain, 32, 100 1000; the issue's size is 10000)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
per=${2:-32}
shift 2 2>/dev/null || shift $#
sizes=${*:-100 1000}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-scale
SB_WAIT=120

sb_start_ovs
ovs_pid=$(cat "$SB_DIR/ovs-vswitchd.pid")
api_url=http://127.0.0.1:9180

config() {   # config N: the JSON config
    python3 "$top/bench/scale-config.py" "$1" "$per"
}

cpu() {   # cpu PID: user+system CPU seconds
    awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$1/stat"
}
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
hwm() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# put_config FILE: PUT /v1/config -> seconds (or "S(HTTP code)"); the flow
# and group mods it sent go to $SB_DIR/mods.
put_config() {
    local start code t
    ovs-appctl -t dsrd vlog/set ofctrl_bundle:file:dbg
    grep -c 'flow mods, ' "$SB_DIR/dsrd.log" > "$SB_DIR/before" || true
    start=$(now)
    code=$(ip netns exec "$SB_LB" curl -sS -o /dev/null -w '%{http_code}' \
        -X PUT -H 'Content-Type: application/json' \
        --data-binary "@$1" "$api_url/v1/config")
    t=$(printf %.3f "$(echo "$(now) - $start" | bc)")
    ovs-appctl -t dsrd vlog/set ofctrl_bundle:file:info
    grep 'flow mods, ' "$SB_DIR/dsrd.log" \
        | tail -n +$(( $(cat "$SB_DIR/before") + 1 )) \
        | sed -n 's/.*: \([0-9]*\) flow mods, \([0-9]*\) group mods.*/\1 \2/p' \
        | awk '{f += $1; g += $2} END {printf "%d+%d", f, g}' > "$SB_DIR/mods"
    if [ "$code" = 200 ]; then echo "$t"; else echo "$t(HTTP $code)"; fi
}
synced() { grep -c ': in sync ' "$SB_DIR/dsrd.log" 2>/dev/null || true; }
now() { date +%s.%N; }

# wait_sync N: until the log shows its Nth "in sync".
wait_sync() { sb_wait_until sh -c "[ \$(grep -c ': in sync ' '$SB_DIR/dsrd.log') -ge $1 ]"; }

# sync_ms K: the Kth "in sync N ms after connecting" of the log, in s.
sync_s() {
    sed -n 's/.*: in sync \([0-9]*\) ms after connecting.*/\1/p' \
        "$SB_DIR/dsrd.log" | sed -n "${1}p" | awk '{printf "%.2f", $1 / 1000}'
}

runs=${RUNS:-1}
rows=$SB_DIR/rows
format='%8s %6s %6s %6s %8s %7s %9s %9s %6s %9s %7s %10s %7s %7s %6s %7s %8s %10s\n'
printf "$format" services run cold_s sync_s dsrd_cpu ovs_cpu restart_s \
    change_ms p99_ms replace_s mods replace2_s dsrd_MB peak_MB ovs_MB \
    floor_s floor_cpu cold/floor

# floor: dsrd's flows and groups, now on the bridge, applied again to an
# empty bridge by ovs-ofctl --bundle from files: "seconds ovs_cpu".
floor() {
    local start cpu0 t
    sb_ofctl --no-stats dump-flows br0 | grep -v '_FLOW reply' \
        > "$SB_DIR/floor.flows"
    sb_ofctl dump-groups br0 | grep -v 'GROUP_DESC reply' \
        > "$SB_DIR/floor.groups"
    sb_stop_dsrd
    sb_ofctl del-flows br0
    sb_ofctl del-groups br0
    cpu0=$(cpu "$ovs_pid")
    start=$(now)
    sb_ofctl --bundle add-groups br0 "$SB_DIR/floor.groups"
    sb_ofctl --bundle add-flows br0 "$SB_DIR/floor.flows"
    t=$(echo "$(now) - $start" | bc)
    printf '%.2f %.2f\n' "$t" "$(echo "$(cpu "$ovs_pid") - $cpu0" | bc)"
}
for n in $sizes; do
: > "$rows"
for run in $(seq 1 "$runs"); do
    rm -f "$SB_DIR/dsrd.state.json"* "$SB_DIR/dsrd.log"
    sb_ofctl del-flows br0
    sb_ofctl del-groups br0
    config "$n" > "$SB_DIR/scale.json"
    ovs_cpu0=$(cpu "$ovs_pid")

    start=$(now)
    sb_start_dsrd "$SB_DIR/scale.json"
    wait_sync 1
    cold=$(echo "$(now) - $start" | bc)
    pid=$(cat "$SB_DIR/dsrd.pid")
    dsrd_cpu=$(cpu "$pid")
    ovs_cpu=$(echo "$(cpu "$ovs_pid") - $ovs_cpu0" | bc)

    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
    start=$(now)
    sb_start_dsrd ""
    wait_sync 2
    restart=$(echo "$(now) - $start" | bc)
    grep -q 'reconciled: [0-9]* owners already right, 0 to change' \
        "$SB_DIR/dsrd.log" || restart="$restart(changed!)"
    pid=$(cat "$SB_DIR/dsrd.pid")

    # svc-7's first backend, as scale-config.py numbers them.
    read -r change p99 < <(ip netns exec "$SB_LB" python3 \
        "$top/bench/api_client.py" "$api_url" patch svc-7 \
        "172.16.$((7 * per >> 8)).$((7 * per & 255))" 50)

    steady_mb=$(rss "$pid")

    # 1 % of the services with their first backend's weight changed, in
    # the document GET gave (edited in place, a service a line) and in the
    # same document re-serialized by another JSON library.
    ip netns exec "$SB_LB" curl -sS "$api_url/v1/config" > "$SB_DIR/now.json"
    python3 - "$SB_DIR/now.json" "$SB_DIR/replace" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
lines = text.split("\n")
first = next(i for i, l in enumerate(lines) if l.startswith("  {"))
for i in range(first, len(lines), 100):
    if lines[i].startswith("  {"):
        lines[i] = re.sub(r'"weight": *[0-9]+', '"weight": 77', lines[i], 1)
open(sys.argv[2] + ".lines", "w").write("\n".join(lines))
cfg = json.loads(text)
for svc in cfg["services"][1::100]:
    svc["backends"][0]["weight"] = 78
json.dump(cfg, open(sys.argv[2] + ".json", "w"))
PY
    replace_lines=$(put_config "$SB_DIR/replace.lines")
    mods=$(cat "$SB_DIR/mods")
    replace_json=$(put_config "$SB_DIR/replace.json")
    peak_mb=$(hwm "$pid")
    ovs_mb=$(rss "$ovs_pid")
    read -r floor_s floor_cpu < <(floor)

    row=$(printf "$format" "$n" "$run" "$(printf %.2f "$cold")" \
        "$(sync_s 1)" "$dsrd_cpu" "$ovs_cpu" \
        "$(printf %.2f "${restart%%(*}")" "$change" "$p99" \
        "${replace_lines%%(*}" "$mods" "${replace_json%%(*}" "$steady_mb" \
        "$peak_mb" "$ovs_mb" "$floor_s" "$floor_cpu" \
        "$(printf %.2f "$(echo "$cold / $floor_s" | bc -l)")")
    echo "$row"
    echo "$row" >> "$rows"
    case "$restart$replace_lines$replace_json" in
    *'('*) echo "  note: $restart $replace_lines $replace_json" ;;
    esac
    [ -z "$KEEP_LOG" ] || cp "$SB_DIR/dsrd.log" "$KEEP_LOG.$n.$run"
done
if [ "$runs" -gt 1 ]; then
    # The median of each numeric column (mods: the first run's).
    row=("$n" median)
    for col in $(seq 3 18); do
        if [ "$col" = 11 ]; then
            row+=("$(awk 'NR == 1 {print $11}' "$rows")")
        else
            row+=("$(awk -v c="$col" '{print $c}' "$rows" | sort -g \
                     | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')")
        fi
    done
    printf "$format" "${row[@]}"
fi
done
echo "(replace_s: PUT /v1/config of GET's document with 1 % of the services"
echo " edited in place, a service a line; mods: the flow + group mods it sent;"
echo " replace2_s: another 1 % in the same document re-serialized by Python;"
echo " dsrd_MB: resident after the restart; peak_MB: its high-water mark;"
echo " floor_s: the same flows and groups by ovs-ofctl --bundle from files,"
echo " floor_cpu: ovs-vswitchd's CPU seconds for it; cold/floor: cold_s ÷ floor_s)"
