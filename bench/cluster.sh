#!/bin/bash
# The clustered store (deploy/cluster/README.md) on one machine: a real
# 3-member Raft cluster and three dsrd nodes on bridges br0..br2 of one
# ovs-vswitchd.  Prints, each over RUNS runs (median, min-max):
#   - the API latency of a backend PATCH through node a with the store,
#     against the same PATCH to a dsrd with its local store, with N
#     services, in the same run (goal: ratio <= 2);
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
SB_WAIT=30
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
in_sync() { ovs-appctl -t "$1" dsr/show 2>/dev/null | grep -q 'in sync'; }
dsrd() {   # dsrd NAME BRIDGE PORT SERVICES [ARGS...]
    local name=$1 br=$2 port=$3 services=$4
    shift 4
    config "$br" "$services" > "$SB_DIR/$name.json"
    rm -f "$SB_DIR/$name.state.json"*
    ip netns exec "$SB_LB" "$DSRD" --config="$SB_DIR/$name.json" \
        --state-file="$SB_DIR/$name.state.json" \
        --unixctl="$SB_DIR/$name.ctl" --pidfile="$SB_DIR/$name.pid" \
        --log-file="$SB_DIR/$name.log" -vconsole:off --detach \
        --api="127.0.0.1:$port" "$@"
    sb_wait_until in_sync "$SB_DIR/$name.ctl"
}
stop() { ovs-appctl -t "$SB_DIR/$1.ctl" exit; }
member_role() {
    ovs-appctl -t "$SB_DIR/s$1.ctl" cluster/status OVS_DSR 2>/dev/null \
        | sed -n 's/^Role: //p'
}
has_leader() { for i in 1 2 3; do member_role $i | grep -q leader && return; done; return 1; }
client() { ip netns exec "$SB_LB" python3 "$top/bench/$1" "${@:2}"; }
url=http://127.0.0.1:9180

results=$SB_DIR/results
for run in $(seq 1 "$runs"); do
    # Baseline: one dsrd, its local store.
    dsrd a br0 9180 "$n"
    read -r local_med _ <<< "$(client api_client.py $url patch svc-7 10.1.0.7 300)"
    stop a

    # The store, new for each run.
    rm -f "$SB_DIR"/s?.db
    ovsdb-tool create-cluster "$SB_DIR/s1.db" "$top/schemas/ovs-dsr.ovsschema" \
        tcp:127.0.0.1:6641
    for i in 2 3; do
        ovsdb-tool join-cluster "$SB_DIR/s$i.db" OVS_DSR \
            "tcp:127.0.0.1:664$i" tcp:127.0.0.1:6641
    done
    for i in 1 2 3; do
        ip netns exec "$SB_LB" ovsdb-server "$SB_DIR/s$i.db" \
            --remote="punix:$SB_DIR/s$i.sock" --pidfile="$SB_DIR/s$i.pid" \
            --unixctl="$SB_DIR/s$i.ctl" --log-file="$SB_DIR/s$i.log" \
            -vconsole:off --detach
    done
    sb_wait_until has_leader
    db=unix:$SB_DIR/s1.sock,unix:$SB_DIR/s2.sock,unix:$SB_DIR/s3.sock
    dsrd a br0 9180 "$n" --db="$db" --node-name=a
    dsrd b br1 9181 0 --db="$db" --node-name=b
    dsrd c br2 9182 0 --db="$db" --node-name=c
    read -r cluster_med _ <<< "$(client api_client.py $url patch svc-7 10.1.0.7 300)"
    read -r prop_med _ <<< "$(client cluster_client.py $url propagate svc-7 10.1.0.7 100)"
    for i in 1 2 3; do
        member_role $i | grep -q leader && leader=$(cat "$SB_DIR/s$i.pid")
    done
    stall=$(client cluster_client.py $url failover svc-7 10.1.0.7 "$leader")
    echo "$local_med $cluster_med $prop_med $stall" | tee -a "$results" >&2
    for node in a b c; do stop $node; done
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
show("propagation to 3 nodes' bridges, median", [r[2] for r in rows], "ms")
show("writes stalled by a leader kill", [r[3] for r in rows], "ms")
print("%d runs, %s services" % (len(rows), sys.argv[2]))
PY
