#!/bin/bash
# Cold start of a node joining a clustered store (deploy/cluster/README.md)
# that holds N services x PER backends, against the cold start of a single
# node from a configuration file with the same services, in the same run.
# Each run, on a new bridge of one ovs-vswitchd and with no state file:
#   single  dsrd launched with the services in --config: launch -> its
#           bridge in sync with them (its log says "in sync")
#   join    dsrd launched with no services and --db, the store (a real
#           3-member Raft cluster, seeded once by another dsrd) holding
#           them: launch -> GET /v1/cluster says the store's version is on
#           its bridge
# Both are polled every 20 ms.  Prints the medians (min-max) over RUNS
# and the ratio join / single (goal: <= 1.2).
#
# usage: sudo [RUNS=3] bench/cluster-join.sh [BUILD_DIR] [N] [PER]
#        (defaults: build-plain, 10000, 32)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
n=${2:-10000}
per=${3:-32}
runs=${RUNS:-3}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-bench-join
SB_WAIT=900
SB_POLL=0.02
sb_start_ovs

python3 "$top/bench/scale-config.py" "$n" "$per" > "$SB_DIR/services.json"
jq '.services = []' "$SB_DIR/services.json" > "$SB_DIR/empty.json"
jq '.bridges[0].name = "br1"' "$SB_DIR/services.json" > "$SB_DIR/seed.json"

now() { date +%s.%N; }
# new_bridge BR: BR without any flow (two transactions: in one, OVS keeps
# the bridge, flows and all).
new_bridge() {
    sb_vsctl --if-exists del-br "$1"
    sb_vsctl add-br "$1" -- set bridge "$1" datapath_type=netdev \
        fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow15
}
dsrd() {   # dsrd NAME CONFIG [ARGS...]
    local name=$1 config=$2
    shift 2
    rm -f "$SB_DIR/$name.state.json"* "$SB_DIR/$name.log"
    ip netns exec "$SB_LB" "$DSRD" --config="$config" \
        --state-file="$SB_DIR/$name.state.json" \
        --unixctl="$SB_DIR/$name.ctl" --pidfile="$SB_DIR/$name.pid" \
        --log-file="$SB_DIR/$name.log" -vconsole:off --detach "$@"
}
stop() {
    local pid
    pid=$(cat "$SB_DIR/$1.pid")
    ovs-appctl -t "$SB_DIR/$1.ctl" exit
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}
in_sync() { grep -q ': in sync ' "$SB_DIR/$1.log" 2>/dev/null; }
cluster() {
    ip netns exec "$SB_LB" curl -sS --max-time 5 "http://127.0.0.1:$1/v1/cluster" 2>/dev/null
}
applied() {
    cluster "$1" | jq -e '.store_version > 0 and .current
                          and .applied_version == .store_version' > /dev/null
}

# The store, seeded once with the services by a node on br1, which then
# leaves (and its bridge with it).
sb_start_store
db=$SB_STORE
new_bridge br1
dsrd seed "$SB_DIR/seed.json" --db="$db" --node-name=seed --api=127.0.0.1:9181
sb_wait_until applied 9181 || sb_fail "the store was not seeded"
stop seed
sb_vsctl del-br br1
echo "store seeded: $n services x $per backends" >&2

results=$SB_DIR/results
for run in $(seq 1 "$runs"); do
    new_bridge br0
    start=$(now)
    dsrd single "$SB_DIR/services.json"
    sb_wait_until in_sync single || sb_fail "single: never in sync"
    single=$(echo "$(now) - $start" | bc)
    stop single

    new_bridge br0
    start=$(now)
    dsrd join "$SB_DIR/empty.json" --db="$db" --node-name=join \
        --api=127.0.0.1:9180
    sb_wait_until applied 9180 || sb_fail "join: never applied"
    join=$(echo "$(now) - $start" | bc)
    stop join
    grep -q 'in sync .* ([1-9][0-9]* flow mods' "$SB_DIR/single.log" \
        || sb_fail "single: the bridge was not new"
    echo "$single $join" | tee -a "$results" >&2
done

python3 - "$results" "$n" "$per" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
def show(name, values, unit):
    print("%-52s %8.2f %s (%.2f-%.2f)" % (name, statistics.median(values),
                                          unit, min(values), max(values)))
show("cold start, single node from its config (baseline)",
     [r[0] for r in rows], "s")
show("cold start, node joining the clustered store", [r[1] for r in rows], "s")
show("ratio join / single (goal <= 1.2)", [r[1] / r[0] for r in rows], "")
print("%d runs, %s services x %s backends" % (len(rows), sys.argv[2],
                                             sys.argv[3]))
PY
