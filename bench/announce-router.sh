#!/bin/bash
# bgp mode at N VIPs, seen from the router: one node (deploy/bgp/lab.sh:
# its own ovs-vswitchd, dsrd, BIRD) starts with N TCP services, a VIP each
# (bench/scale-config.py, 4 backends, hold-down 0), and the router's BIRD
# learns them by BGP.  Prints, per run and as medians (min-max) over RUNS:
# from dsrd's launch to all N routes in the node's table 100 (dsrd's part,
# the baseline), to all N in the router's FIB, and the ratio, the routing
# stack's cost for N VIPs on top of dsrd's.  Both are polled every 50 ms.
#
# usage: sudo [RUNS=3] bench/announce-router.sh [BUILD_DIR] [N]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
n=${2:-10000}
runs=${RUNS:-3}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-announce-rt
SB_WAIT=120
SB_POLL=0.05
VIP=192.0.2.10      # the lab's; the N VIPs are 10.100.0.0 up
. "$top/deploy/bgp/lab.sh"
lab_router 1
lab_node 1
python3 "$top/bench/scale-config.py" "$n" 4 --bgp \
    | jq '.bridges[0].mac = "02:d5:d5:00:00:21"' > "$SB_DIR/lb1/scale.json"

now() { date +%s.%N; }
in_table() { in_ns lb1 ip route show table 100 proto 213 2>/dev/null | wc -l; }
in_fib() { in_ns rt ip route show proto bird 2>/dev/null | grep -c '^10\.1[0-9][0-9]\.' || true; }
stop_dsrd() {
    local pid
    pid=$(cat "$SB_DIR/lb1/dsrd.pid")
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
# The BGP session is up before the runs: its establishment (seconds) is
# not what is measured.  It needs the bridge's flows, which the lab's own
# dsrd puts there and leaves (fail_mode=secure) when it stops.
established() {
    birdc -s "$SB_DIR/bird-rt.ctl" show protocols lb1 2>/dev/null | grep -q Established
}
lab_start_dsrd 1
sb_wait_until established || sb_fail "BGP session not established"
stop_dsrd
table_full() { [ "$(in_table)" -ge "$n" ]; }
fib_full() { [ "$(in_fib)" -ge "$n" ]; }

for run in $(seq 1 "$runs"); do
    rm -f "$SB_DIR"/lb1/dsrd.state.json*
    start=$(now)
    in_node 1 "$DSRD" --config="$SB_DIR/lb1/scale.json" \
        --pidfile="$SB_DIR/lb1/dsrd.pid" --log-file="$SB_DIR/lb1/dsrd.log" \
        -vconsole:off --detach
    sb_wait_until table_full || sb_fail "table 100: $(in_table) of $n"
    table=$(echo "$(now) - $start" | bc)
    sb_wait_until fib_full || sb_fail "router's FIB: $(in_fib) of $n"
    fib=$(echo "$(now) - $start" | bc)
    echo "$table $fib" | tee -a "$SB_DIR/results" >&2
    # SIGTERM withdraws every VIP; the next run starts from an empty FIB.
    stop_dsrd
    empty() { [ "$(in_fib)" = 0 ]; }
    sb_wait_until empty
done

python3 - "$SB_DIR/results" "$n" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
def show(name, v, unit):
    print("%-44s %8.2f %s (%.2f-%.2f)" % (name, statistics.median(v), unit,
                                          min(v), max(v)))
show("launch to all VIPs in table 100 (baseline)", [r[0] for r in rows], "s")
show("launch to all VIPs in the router's FIB", [r[1] for r in rows], "s")
show("ratio FIB / table", [r[1] / r[0] for r in rows], "")
print("%d runs, %s VIPs" % (len(rows), sys.argv[2]))
PY
