#!/bin/bash
# bgp mode, withdrawal time: from a fault on a load-balancer node to the
# VIP's route leaving the router's FIB, for each fault (deploy/bgp/lab.sh:
# a router with BIRD and BFD 100 ms x 3, one node with its own
# ovs-vswitchd, dsrd and BIRD).  The router's FIB is read with "ip -ts
# monitor route" (the kernel's own event), the fault's time just before it
# is made.  Faults, each RUNS times, the node restored in between:
#   drain      dsrctl node drain (the baseline: nothing to detect, only
#              dsrd, BIRD, BGP and the router's FIB)
#   backends   every health check of the node fails (fast profile: tcp
#              every 100 ms, timeout 100 ms, fall 2)
#   vswitchd   kill -9 of ovs-vswitchd
#   dsrd       kill -9 of dsrd, then "dsrd --withdraw" as dsrd.service's
#              ExecStopPost runs it
#   bird       kill -9 of the node's BIRD (the router's BFD notices)
#   link       the node's link cut (the router's BFD notices)
# Prints the median (min-max) of each in ms and its ratio to drain's.
# Goals (issue 21): <= 300 ms for node faults with BFD 100 ms x 3, <= 1 s
# for a dead backend set at the fast profile.
#
# usage: sudo [RUNS=3] bench/withdraw.sh [BUILD_DIR]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
runs=${RUNS:-3}
export DSRD=$build/controller/dsrd
DSRCTL=$build/controller/dsrctl
. "$top/deploy/sandbox.sh"
sb_init dsr-withdraw
SB_WAIT=60
VIP=192.0.2.10
. "$top/deploy/bgp/lab.sh"
lab_router 1
lab_backends
lab_node 1
# The fast profile of bench/failover.sh: a failed check costs 100 ms.
jq '(.services[] | select(.health_check) | .health_check.timeout_ms) = 100' \
    "$SB_DIR/lb1/dsrd.json" > "$SB_DIR/fast.json"
mv "$SB_DIR/fast.json" "$SB_DIR/lb1/dsrd.json"
lab_start_dsrd 1

routed() { [ "$(lab_rt_paths)" = 1 ]; }
gone() { [ "$(lab_rt_paths)" = 0 ]; }
sb_wait_until routed || sb_fail "never announced"
in_ns rt env TZ=UTC ip -ts monitor route > "$SB_DIR/fib" &
monitor=$!
sb_wait_until test -e "$SB_DIR/fib"
ctl() { in_ns lb1 "$DSRCTL" "$@" > /dev/null; }
dsrd_ctl() { echo "$SB_DIR/lb1/dsrd.$(cat "$SB_DIR/lb1/dsrd.pid").ctl"; }

fault() {
    case $1 in
    drain) ctl node drain --wait 0 ;;
    backends) for i in 1 2 3; do
                  in_ns "be$i" ip route add prohibit 10.0.0.21/32
              done ;;
    vswitchd) kill -9 "$(cat "$SB_DIR/lb1/ovs-vswitchd.pid")" ;;
    dsrd) kill -9 "$(cat "$SB_DIR/lb1/dsrd.pid")"
          in_node 1 "$DSRD" --withdraw -vconsole:off ;;
    bird) kill -9 "$(cat "$SB_DIR/lb1/bird.pid")" ;;
    link) in_ns sw ip link set p-lb1 down ;;
    esac
}
restore() {
    case $1 in
    drain) ctl node undrain ;;
    backends) for i in 1 2 3; do
                  in_ns "be$i" ip route del prohibit 10.0.0.21/32
              done ;;
    vswitchd) lab_start_vswitchd 1 ;;
    dsrd) lab_start_dsrd 1 ;;
    bird) lab_start_bird 1 ;;
    link) in_ns sw ip link set p-lb1 up ;;
    esac
}

faults="drain backends vswitchd dsrd bird link"
for run in $(seq 1 "$runs"); do
    for f in $faults; do
        sb_wait_until routed || sb_fail "$f: not announced before the fault"
        echo "$f $(date +%s%N)" >> "$SB_DIR/faults"
        fault "$f"
        sb_wait_until gone || sb_fail "$f: never withdrawn"
        restore "$f"
    done
done
sb_wait_until routed
kill "$monitor"

python3 - "$SB_DIR/faults" "$SB_DIR/fib" "$VIP" <<'PY'
import datetime, statistics, sys
faults = [(l.split()[0], int(l.split()[1]) / 1e6) for l in open(sys.argv[1])]
deletions = []
for line in open(sys.argv[2]):
    if line.split("] ", 1)[-1].startswith("Deleted " + sys.argv[3] + " "):
        ts = datetime.datetime.fromisoformat(line[1:line.index("]")])
        ts = ts.replace(tzinfo=datetime.timezone.utc)
        deletions.append(ts.timestamp() * 1000)
times = {}
for name, t0 in faults:
    after = [d for d in deletions if d >= t0]
    times.setdefault(name, []).append(min(after) - t0 if after else float("nan"))
base = statistics.median(times["drain"])
for name, ms in times.items():
    print("%-10s %7.0f ms (%.0f-%.0f)  x%.2f of drain"
          % (name, statistics.median(ms), min(ms), max(ms),
             statistics.median(ms) / base))
print("%d runs; fault to the router's FIB losing %s" % (len(times["drain"]),
                                                        sys.argv[3]))
PY
