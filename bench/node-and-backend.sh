#!/bin/bash
# bgp mode: what breaks when backends and nodes change together
# (deploy/bgp/lab.sh: a router with BIRD, BFD and 5-tuple ECMP, three LB
# nodes, four backends).  300 long-lived echo connections spread over the
# three nodes; one of them, lb2, dies (ovs-vswitchd kill -9, link cut) and
# the router moves its connections to lb1 and lb3.  Before that, while the
# connections run, the echo service's backends change on every node:
#   none     nothing changes (the baseline: 0 should break)
#   drain    backend 10.0.0.13 is drained (state "drain": no new
#            connections, its pinned ones go on; how a backend is taken
#            out gracefully, since removing it ends its pins on every node)
#   add      backend 10.0.0.14 joins the service
# A connection that stays on its node keeps its backend through its
# conntrack pin, whatever the table says; one that moves to another node
# has no pin there and follows that node's table, the same on every node:
# it breaks if its slot changed owner while it ran.  So the expected share
# of broken connections is (moved / all) x (slots that changed owner).
# Prints, per case, connections broken and moved (medians, min-max) and
# broken / moved against the share of slots that changed.
#
# usage: sudo [RUNS=3] bench/node-and-backend.sh [BUILD_DIR]
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
runs=${RUNS:-3}
conns=300
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-node-and-backend
SB_WAIT=90
VIP=192.0.2.10
. "$top/deploy/bgp/lab.sh"
lab_router 3
lab_backends 4
lab_nodes 3

paths_are() { [ "$(lab_rt_paths)" = "$1" ]; }
api() {
    local i=$1
    shift
    in_ns "lb$i" curl -sS --max-time 10 -H 'Content-Type: application/json' \
        "$@"
}
echo_svc() { api "$1" http://127.0.0.1:9180/v1/services/echo; }
sb_wait_until paths_are 3 || sb_fail "the router never had 3 paths"
orig=$(echo_svc 1 | jq -c 'del(.id, .version, .mac)')
group=$(echo_svc 1 | jq .id)

# The echo service's backends for case $1.
backends_of() {
    case $1 in
    none) echo "$orig" ;;
    drain) echo "$orig" | jq -c '.backends |= map(del(.slots)
                     | if .ip == "10.0.0.13" then .state = "drain" else . end)' ;;
    add) echo "$orig" | jq -c '.backends |= (map(del(.slots))
                                             + [{ip: "10.0.0.14"}])' ;;
    esac
}
put_echo() {
    local i code
    for i in 1 2 3; do
        code=$(api "$i" -o "$SB_DIR/put.out" -w '%{http_code}' -X PUT \
                   --data "$1" http://127.0.0.1:9180/v1/services/echo)
        [ "$code" = 200 ] || [ "$code" = 202 ] || sb_fail "PUT echo on lb$i: $code $(tr -d "\n" < "$SB_DIR/put.out")"
    done
}
# Slots (of 256) whose backend differs between two service documents: a
# drained backend's slots go to the others.
changed_slots() {
    python3 - "$1" "$2" <<'PY'
import json, sys
def owners(doc):
    table = [None] * 256
    for b in json.loads(doc)["backends"]:
        if b.get("state", "active") != "active":
            continue
        bits = int(b["slots"], 16)
        for s in range(256):
            if bits >> (255 - s) & 1:
                table[s] = b["ip"]
    return table
a, b = owners(sys.argv[1]), owners(sys.argv[2])
print(sum(x != y for x, y in zip(a, b)))
PY
}
established() {
    [ "$(in_ns client ss -Htn state established "( dport = :7 )" | wc -l)" \
        -ge "$conns" ]
}
lb2_back() {
    paths_are 3 && [ -n "$(lab_group_packets 2 "$group")" ]
}

for run in $(seq 1 "$runs"); do
    for case in none drain add; do
        in_ns client python3 "$top/bench/longlived_client.py" "$VIP" 7 \
            "$conns" 14 > "$SB_DIR/conns" &
        held=$!
        sb_wait_until established || sb_fail "connections not up"
        moved=$(lab_group_packets 2 "$group")
        before=$(echo_svc 1)
        put_echo "$(backends_of "$case")"
        changed=$(changed_slots "$before" "$(echo_svc 1)")
        kill -9 "$(cat "$SB_DIR/lb2/ovs-vswitchd.pid")"
        in_ns sw ip link set p-lb2 down
        sb_wait_until paths_are 2 || sb_fail "lb2's path not dropped"
        wait "$held"
        [ "$(wc -l < "$SB_DIR/conns")" = "$conns" ] \
            || sb_fail "connections not reported"
        broken=$(grep -c BROKEN "$SB_DIR/conns" || true)
        echo "$case $broken $moved $changed" >> "$SB_DIR/results"
        echo "run $run, $case: $broken of $conns broken, $moved through lb2, $changed slots changed owner; broken by backend:" $(grep BROKEN "$SB_DIR/conns" | cut -d' ' -f1 | sort | uniq -c)
        # Back to the start: lb2 up with its flows, the backends as they
        # were.
        put_echo "$orig"
        in_ns sw ip link set p-lb2 up
        lab_start_vswitchd 2
        sb_wait_until lb2_back || sb_fail "lb2 not back"
    done
done

python3 - "$SB_DIR/results" "$conns" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    case, broken, moved, changed = line.split()
    rows.setdefault(case, []).append((int(broken), int(moved), int(changed)))
def med(xs):
    return "%g (%g-%g)" % (statistics.median(xs), min(xs), max(xs))
for case, r in rows.items():
    broken = [b for b, _, _ in r]
    ratio = [b / m for b, m, _ in r]
    share = [c / 256 for _, _, c in r]
    print("%-7s broken %s of %s, moved %s; broken/moved %.3f against "
          "slots changed %.3f" % (case, med(broken), sys.argv[2],
                                  med([m for _, m, _ in r]),
                                  statistics.median(ratio),
                                  statistics.median(share)))
print("%d runs; baseline: none" % len(rows["none"]))
PY
