#!/bin/bash
# The clustered store (deploy/cluster/README.md) on one machine: a real
# 3-member Raft cluster and three dsrd nodes on bridges br0..br2 of one
# ovs-vswitchd.  Prints, each over RUNS runs (median, min-max):
#   - the API latency of a backend PATCH through node a with the store,
#     against the same PATCH to a dsrd with its local store, with N
#     services, in the same run (goal: ratio <= 2); and the floor under
#     it: one OVSDB write committed by the store alone (no dsrd),
#     through the leader and through a follower;
#   - the same PATCH with nodes b and c stopped (on this one machine they
#     share the cores and the ovs-vswitchd with node a);
#   - propagation: from the PATCH to every node's Node row saying it has
#     it on its bridges (goal: <= 50 ms median);
#   - the Raft leader killed: the longest time between two acknowledged
#     writes through node a (goal: <= 2 s).
#
# usage: sudo [RUNS=3] bench/cluster.sh [BUILD_DIR] [N_SERVICES]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build-plain}
n=${2:-10}
runs=${RUNS:-3}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-bench-cluster
SB_WAIT=$(( n > 1000 ? 600 : 30 ))
sb_start_ovs
for br in br1 br2; do
    sb_vsctl add-br $br -- set bridge $br datapath_type=netdev \
        fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow15
done

config() {   # config BRIDGE N
    python3 - "$1" "$2" <<'PY'
import json, sys
br, n = sys.argv[1], int(sys.argv[2])
services = [{"name": "svc-%d" % i, "vip": "10.100.%d.%d" % (i // 256, i % 256),
             "protocol": "tcp", "port": 80,
             "backends": [{"ip": "10.1.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:01"},
                          {"ip": "10.2.%d.%d" % (i // 256, i % 256), "mac": "02:00:00:00:00:02"}]}
            for i in range(n)]
print(json.dumps({"bridges": [{"name": br, "mac": "02:d5:d5:00:00:01"}],
                  "services": services}))
PY
}
# in_sync NAME: its bridge is in sync (from the log: dsr/show at 10,000
# services is megabytes, and grep -q's early exit fails the pipe).
in_sync() { grep -q ': in sync ' "$SB_DIR/$1.log" 2>/dev/null; }
dsrd() {   # dsrd NAME BRIDGE PORT SERVICES [ARGS...]
    local name=$1 br=$2 port=$3 services=$4
    shift 4
    config "$br" "$services" > "$SB_DIR/$name.json"
    rm -f "$SB_DIR/$name.state.json"* "$SB_DIR/$name.log"
    ip netns exec "$SB_LB" "$DSRD" --config="$SB_DIR/$name.json" \
        --state-file="$SB_DIR/$name.state.json" \
        --unixctl="$SB_DIR/$name.ctl" --pidfile="$SB_DIR/$name.pid" \
        --log-file="$SB_DIR/$name.log" -vconsole:off --detach \
        --api="127.0.0.1:$port" "$@"
    sb_wait_until in_sync "$name"
}
stop() { ovs-appctl -t "$SB_DIR/$1.ctl" exit; }
all_applied() {
    ip netns exec "$SB_LB" curl -sS --max-time 5 "$url/v1/cluster" 2>/dev/null \
        | jq -e '.store_version as $v | (.nodes | length) == 3
                 and all(.nodes[]; .applied_version == $v)' > /dev/null
}
client() { ip netns exec "$SB_LB" python3 "$top/bench/$1" "${@:2}"; }
url=http://127.0.0.1:9180

results=$SB_DIR/results
for run in $(seq 1 "$runs"); do
    # Baseline: one dsrd, its local store.
    dsrd a br0 9180 "$n"
    read -r local_med _ <<< "$(client api_client.py $url patch svc-7 10.1.0.7 300)"
    stop a

    # The store, new for each run.
    sb_start_store
    # The floor: the store's own commit of one small write, through the
    # leader and through a follower, before any dsrd connects.
    lead=$(sb_store_leader)
    read -r floor_leader _ <<< "$(client ovsdb_transact.py "$SB_DIR/s$lead.sock" 300)"
    read -r floor_follower _ <<< "$(client ovsdb_transact.py \
        "$SB_DIR/s$((lead % 3 + 1)).sock" 300)"
    db=$SB_STORE
    dsrd a br0 9180 "$n" --db="$db" --node-name=a
    dsrd b br1 9181 0 --db="$db" --node-name=b
    dsrd c br2 9182 0 --db="$db" --node-name=c
    # b and c have the store's services on their bridges.
    sb_wait_until all_applied
    read -r cluster_med _ <<< "$(client api_client.py $url patch svc-7 10.1.0.7 300)"
    read -r prop_med _ <<< "$(client cluster_client.py $url propagate svc-7 10.1.0.7 100)"
    # The same PATCH with nodes b and c gone: what their following (on
    # the same two cores and the same ovs-vswitchd) costs node a's write.
    stop b
    stop c
    read -r alone_med _ <<< "$(client api_client.py $url patch svc-7 10.1.0.7 300)"
    leader=$(cat "$SB_DIR/s$(sb_store_leader).pid")
    stall=$(client cluster_client.py $url failover svc-7 10.1.0.7 "$leader")
    echo "$local_med $cluster_med $prop_med $stall $floor_leader $floor_follower" \
        "$alone_med" | tee -a "$results" >&2
    stop a
    for i in 1 2 3; do
        kill "$(cat "$SB_DIR/s$i.pid")" 2>/dev/null || true
    done
done

python3 - "$results" "$n" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
def show(name, values, unit):
    print("%-48s %8.2f %s (%.2f-%.2f)" % (name, statistics.median(values), unit,
                                          min(values), max(values)))
show("PATCH, local store (baseline), median", [r[0] for r in rows], "ms")
show("PATCH, clustered store, median", [r[1] for r in rows], "ms")
show("ratio clustered / local", [r[1] / r[0] for r in rows], "")
show("floor: one OVSDB write through the leader", [r[4] for r in rows], "ms")
show("floor: one OVSDB write through a follower", [r[5] for r in rows], "ms")
show("floor (leader) / local PATCH", [r[4] / r[0] for r in rows], "")
show("dsrd's part: clustered - floor (follower)",
     [r[1] - r[5] for r in rows], "ms")
show("PATCH, clustered store, nodes b and c stopped", [r[6] for r in rows], "ms")
show("ratio clustered (b, c stopped) / local", [r[6] / r[0] for r in rows], "")
show("propagation to 3 nodes' bridges, median", [r[2] for r in rows], "ms")
show("writes stalled by a leader kill", [r[3] for r in rows], "ms")
print("%d runs, %s services" % (len(rows), sys.argv[2]))
PY
