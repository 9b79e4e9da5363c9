#!/bin/bash
# bgp mode, spread: N new connections from one client through a router
# that spreads them over 3 LB nodes by 5-tuple ECMP (deploy/bgp/lab.sh:
# BIRD with "merge paths", fib_multipath_hash_policy=3), each node
# delivering to 3 backends by its dp_hash slots.  Prints, per run and as
# medians (min-max) over RUNS, the max/mean of the connections each node
# took (its group's packets: one SYN a connection) and, as the baseline in
# the same run, the max/mean of those each backend answered (dsrd's own
# balancing of the same connections).  1.00 is a perfect spread.
#
# usage: sudo [RUNS=3] bench/spread.sh [BUILD_DIR] [CONNECTIONS]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
n=${2:-3000}
runs=${RUNS:-3}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-spread
SB_WAIT=90
VIP=192.0.2.10
. "$top/deploy/bgp/lab.sh"
lab_router 3
lab_backends
lab_nodes 3
three_paths() { [ "$(lab_rt_paths)" = 3 ]; }
sb_wait_until three_paths || sb_fail "the router has $(lab_rt_paths) paths"

for run in $(seq 1 "$runs"); do
    before=()
    for i in 1 2 3; do before[i]=$(lab_group_packets "$i"); done
    in_ns client curl -sS --max-time 10 "http://$VIP/?[1-$n]" \
        > "$SB_DIR/answers" || sb_fail "requests failed"
    [ "$(grep -c '^be[123]$' "$SB_DIR/answers")" = "$n" ] \
        || sb_fail "answers: $(sort "$SB_DIR/answers" | uniq -c)"
    nodes=""
    for i in 1 2 3; do
        nodes="$nodes $(( $(lab_group_packets "$i") - before[i] ))"
    done
    backends=$(for b in be1 be2 be3; do grep -c "^$b\$" "$SB_DIR/answers"; done)
    echo $nodes $backends | tee -a "$SB_DIR/results" >&2
done

python3 - "$SB_DIR/results" "$n" <<'PY'
import statistics, sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1])]
def ratio(xs):
    return max(xs) / (sum(xs) / len(xs))
nodes = [ratio(r[:3]) for r in rows]
backends = [ratio(r[3:]) for r in rows]
for name, v in (("nodes (router's ECMP), max/mean", nodes),
                ("backends (dsrd's slots), max/mean", backends)):
    print("%-36s %.3f (%.3f-%.3f)" % (name, statistics.median(v), min(v),
                                      max(v)))
print("%d runs of %s connections; per run, connections per node and per "
      "backend above" % (len(rows), sys.argv[2]))
PY
