#!/bin/bash
# Established connections across backend changes, on a real switch.
#
# A client holds CONNS long-lived TCP connections (a line echoed every
# second) to a VIP served by be1..be4 while the operator, over the API,
# adds be5, triples be1's weight, drains be2 and deletes be3.  For each
# change it prints the slots OVS's group moved (of 256) against the share
# the change requires, and at the end the connections that broke: to the
# deleted backend (expected: it is gone) and to every other backend (goal
# 0).  The baseline in the same run is the same sequence with connection
# pinning switched off on the switch (the conntrack lookup replaced by
# "not pinned"), which shows what the pins save.
#
# usage: sudo bench/persistence.sh [BUILD_DIR] [CONNS]   (default 2000)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
conns=${2:-2000}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-persist
VIP=10.0.0.100
ulimit -n "$(ulimit -Hn)"

sb_start_ovs
sb_lb_address 10.0.0.5/24
sb_add_host client 10.0.0.2/24
for i in 1 2 3 4 5; do
    sb_add_backend "be$i" "10.0.0.1$i/24" "$VIP"
    sb_spawn "be$i" python3 "$top/bench/echo-backend.py" "be$i" 7
done
for i in 1 2 3 4 5; do
    sb_wait_listening "be$i" 7
done

api() {
    ip netns exec "$SB_LB" curl -sS -o /dev/null -w '%{http_code}' \
        -H "Content-Type: application/json" -X "$1" \
        "http://127.0.0.1:9180$2" ${3:+--data "$3"}
}

# slots GROUP: the group's slot -> reg1 list, one per line.
slots() {
    sb_ofctl dump-groups br0 1 | grep -o 'set_field:0x[0-9a-f]*->reg1'
}

four_backends() { [ "$(slots | sort -u | wc -l)" = 4 ]; }

# change NAME IDEAL METHOD PATH [BODY]: applies it, prints moved slots.
change() {
    local name=$1 ideal=$2 before moved
    shift 2
    before=$(slots)
    local code
    code=$(api "$@")
    [ "$code" -lt 300 ] || sb_fail "$name: API answered $code"
    sleep 1
    moved=$(diff <(echo "$before") <(slots) | grep -c '^>' || true)
    printf '  %-24s %3s slots moved (%5.1f%%), %5.1f%% required\n' \
        "$name" "$moved" "$(echo "100 * $moved / 256" | bc -l)" "$ideal"
}

# run PIN: one pass of the sequence; prints the change table, then the
# broken counts.
run() {
    local pin=$1
    cat > "$SB_DIR/dsrd.json" <<EOF
{"bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:01"}],
 "services": [{"name": "echo", "vip": "$VIP", "protocol": "tcp", "port": 7,
               "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"},
                            {"ip": "10.0.0.13"}, {"ip": "10.0.0.14"}]}]}
EOF
    rm -f "$OVS_DBDIR/dsrd.state.json"* 2>/dev/null || true
    sb_start_dsrd "$SB_DIR/dsrd.json"
    sb_wait_until four_backends
    if [ "$pin" = off ]; then
        # Every packet looks unpinned: it goes through the slots.
        sb_ofctl mod-flows br0 "table=20,ip actions=set_field:0->reg1,resubmit(,22)"
    fi
    ovs-appctl dpctl/flush-conntrack
    local duration=$((conns / 500 + 30))
    sb_exec client python3 "$top/bench/longlived_client.py" "$VIP" 7 \
        "$conns" "$duration" > "$SB_DIR/conns.$pin" &
    local client=$!
    sleep $((conns / 500 + 4))
    echo "pinning $pin: $conns connections, then:"
    change "add be5" 20.0 POST /v1/services/echo/backends '{"ip": "10.0.0.15"}'
    sleep 3
    change "be1 weight 100 -> 300" 22.9 PATCH \
        /v1/services/echo/backends/10.0.0.11 '{"weight": 300}'
    sleep 3
    change "drain be2" 14.3 PATCH /v1/services/echo/backends/10.0.0.12 \
        '{"state": "drain"}'
    sleep 3
    change "delete be3" 14.3 DELETE /v1/services/echo/backends/10.0.0.13
    wait $client
    local total broken_gone broken_other
    total=$(wc -l < "$SB_DIR/conns.$pin")
    broken_gone=$(grep -c '^be3 BROKEN' "$SB_DIR/conns.$pin" || true)
    broken_other=$(grep -v '^be3 ' "$SB_DIR/conns.$pin" | grep -c BROKEN || true)
    echo "  connections: $total; per backend: $(cut -d' ' -f1 "$SB_DIR/conns.$pin" | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
    echo "  broken: $broken_other to backends that stayed, $broken_gone of $(grep -c '^be3 ' "$SB_DIR/conns.$pin" || true) to the deleted be3"
    echo "$pin $broken_other" >> "$SB_DIR/summary"
    [ -z "$KEEP_RESULTS" ] || cp "$SB_DIR/conns.$pin" "$KEEP_RESULTS.$pin"
    [ -z "$KEEP_RESULTS" ] || ovs-appctl dpctl/dump-conntrack -s zone=54741 > "$KEEP_RESULTS.ct.$pin"
    sb_stop_dsrd
    sb_ofctl del-flows br0
    sb_ofctl del-groups br0
}

run on
run off
echo
echo "broken connections to backends that stayed:" \
     "pinned $(awk '$1 == "on" {print $2}' "$SB_DIR/summary") (goal 0)," \
     "unpinned $(awk '$1 == "off" {print $2}' "$SB_DIR/summary")"
