#!/bin/bash
# "Where does this client go?" (dsr/trace, GET /v1/trace, dsrctl trace):
# dsrd predicts the backend of 1,200 new connections with distinct
# 5-tuples (TCP and UDP on 5-tuple services, TCP on a source-ip service
# and on a 5-tuple-cross-node one) before they are made, and every one
# lands there; after a drain and a
# weight change, established connections are reported pinned to their old
# backend (and UDP flows really stay there) while new ones follow the new
# slots.  On the kernel datapath (make check-vm) the hash is seeded per
# boot: dsrd must say it is unknown and answer from the pins, except for
# the 5-tuple-cross-node service, hashed by ovs-vswitchd: predicted there
# too.
. "$(dirname "$0")/lib.sh"

QUERY="$TOP_SRCDIR/tests/e2e/trace-query.py"
CLIENT="$TOP_SRCDIR/tests/e2e/trace-client.py"

e2e_setup trace 3
e2e_http_backends 3 80 8080 8081
e2e_udp_backends 3 5353
e2e_web_service 3 \
    '., (.name = "dns" | .protocol = "udp" | .port = 5353),
     (.name = "sticky" | .port = 8080 | .hash = "source-ip"),
     (.name = "cross" | .port = 8081 | .hash = "5-tuple-cross-node")'
for i in 1 2 3; do
    sb_wait_listening "be$i" 5353 u
done
# Twenty more client addresses for the source-ip service.
for i in $(seq 150 169); do
    sb_exec client ip addr add "10.0.0.$i/24" dev eth0
done

# Backends by name (be1...) instead of address, in every column.
names() { awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^10\.0\.0\.1[1-3]$/) { split($i, a, "."); $i = "be" (a[4] - 10) } print }'; }

# ask FILE: dsrd's answers for the queries in FILE (trace-query.py), as
# "PROTO CLIENT BACKEND DECIDED_BY PIN SLOT SLOT_BACKEND".
ask() { ip netns exec "$SB_LB" python3 "$QUERY" "$API_URL" < "$1" | names; }

# send PROTO CLIENT_IP PORT FIRST COUNT: connections from source ports
# FIRST..FIRST+COUNT-1, "PROTO CLIENT NAME" each.
send() { sb_exec client python3 "$CLIENT" "$1" "$2" "$VIP" "$3" "$4" "$5"; }

# queries PROTO CLIENT_IP PORT FIRST COUNT: the matching queries.
queries() {
    local p
    for p in $(seq "$4" $(($4 + $5 - 1))); do
        echo "$1 $2:$p $VIP:$3"
    done
}

# same EXPECTED ACTUAL WHAT: both list the same backend for each client.
same() {
    local diff
    diff=$(join <(awk '{ print $1 "/" $2, $3 }' "$1" | sort) \
                <(awk '{ print $1 "/" $2, $3 }' "$2" | sort) \
           | awk '$2 != $3' | head -5)
    [ "$(wc -l < "$1")" = "$(wc -l < "$2")" ] \
        || sb_fail "$3: $(wc -l < "$1") answers for $(wc -l < "$2") connections"
    [ -z "$diff" ] || sb_fail "$3: dsrd said / the connection went: $diff"
}

# The text form, from ovs-appctl, and errors.
sb_dsrctl dsr/trace udp "$CLIENT_IP:40000" "$VIP:5353" | tee "$SB_DIR/text"
grep -q "^service dns (bridge br0, $(e2e_datapath_kind) datapath, 5-tuple hash)" \
    "$SB_DIR/text" || sb_fail "dsr/trace: no service line"
sb_dsrctl dsr/trace tcp "$CLIENT_IP" "$VIP:8080" | tee "$SB_DIR/text"
grep -q "^backend: 10.0.0.1[123], decided by its slot" "$SB_DIR/text" \
    || sb_fail "dsr/trace: a source-ip service needs only the client address"
! sb_dsrctl dsr/trace tcp "$CLIENT_IP:1" "$VIP:81" > "$SB_DIR/err" 2>&1 \
    || sb_fail "dsr/trace answered for a port no service has"
grep -q "no service takes tcp to $VIP:81" "$SB_DIR/err"
api GET "/v1/trace?protocol=sctp&client=$CLIENT_IP&vip=$VIP"
expect 400 '.reason | test("protocol")'

if [ "$DSR_DATAPATH" = system ]; then
    # The kernel's hash is seeded per boot: no slot for a 5-tuple, but the
    # pin of a connection that exists, and the slot table.
    # dsrd reads pins from the local ovs-vswitchd; under make check-vm it
    # runs outside the VM (the bridge's target is tcp:) and must say so.
    send udp "$CLIENT_IP" 5353 30000 12 | names > "$SB_DIR/sent"
    queries udp "$CLIENT_IP" 5353 30000 12 > "$SB_DIR/q"
    ask "$SB_DIR/q" > "$SB_DIR/answers"
    api GET "/v1/trace?protocol=udp&client=$CLIENT_IP:30000&vip=$VIP:5353"
    expect 200 '.slot == null' '.dp_hash == null' \
        '.slot_note | test("kernel")' '[.slot_shares[]] | add == 256'
    if jq -e '.pin_lookup | test("remote")' "$SB_DIR/body" > /dev/null; then
        bad=$(awk '$3 != "-" || $4 != "unknown"' "$SB_DIR/answers" | head -3)
    else
        same "$SB_DIR/answers" "$SB_DIR/sent" "kernel datapath, pinned flows"
        bad=$(awk '$4 != "pin" || $3 != $5' "$SB_DIR/answers" | head -3)
    fi
    [ -z "$bad" ] || sb_fail "kernel datapath: $bad"
    api GET "/v1/trace?protocol=udp&client=$CLIENT_IP:31000&vip=$VIP:5353"
    expect 200 '.slot == null' '.backend == null' '.decided_by == "unknown"'
    queries tcp "$CLIENT_IP" 8081 25000 50 > "$SB_DIR/q"
    ask "$SB_DIR/q" > "$SB_DIR/predicted"
    bad=$(awk '$4 != "slot" || $3 != $7' "$SB_DIR/predicted" | head -3)
    [ -z "$bad" ] || sb_fail "kernel datapath, 5-tuple-cross-node: $bad"
    send tcp "$CLIENT_IP" 8081 25000 50 | names > "$SB_DIR/sent"
    same "$SB_DIR/predicted" "$SB_DIR/sent" \
        "kernel datapath, 5-tuple-cross-node service"
    e2e_pass "trace on the kernel datapath: hash unknown, pins and slot table"
    exit 0
fi

# The CLI's text form.
ip netns exec "$SB_LB" "$DSRCTL" trace tcp "$CLIENT_IP:40000" "$VIP:80" \
    | tee "$SB_DIR/text"
grep -q "^trace: ovs-appctl ofproto/trace br0 'tcp,dp_hash=0x" "$SB_DIR/text" \
    || sb_fail "dsrctl trace: no ofproto/trace command with the hash"

# 1. Predictions for 1,200 new connections, asked before they exist.
{
    queries tcp "$CLIENT_IP" 80 20000 400
    queries udp "$CLIENT_IP" 5353 30000 400
    for i in $(seq 150 169); do
        queries tcp "10.0.0.$i" 8080 20000 10
    done
    queries tcp "$CLIENT_IP" 8081 25000 200
} > "$SB_DIR/q1"
start=$(date +%s%N)
ask "$SB_DIR/q1" > "$SB_DIR/predicted"
echo "1,200 traces in $((($(date +%s%N) - start) / 1000000)) ms"
bad=$(awk '$4 != "slot" || $3 != $7' "$SB_DIR/predicted" | head -3)
[ -z "$bad" ] || sb_fail "new connections not answered by their slot: $bad"
{
    send tcp "$CLIENT_IP" 80 20000 400
    send udp "$CLIENT_IP" 5353 30000 400
    for i in $(seq 150 169); do
        send tcp "10.0.0.$i" 8080 20000 10
    done
    send tcp "$CLIENT_IP" 8081 25000 200
} > "$SB_DIR/sent1.raw"
names < "$SB_DIR/sent1.raw" > "$SB_DIR/sent1"
! grep -q timeout "$SB_DIR/sent1" || sb_fail "connections without an answer"
same "$SB_DIR/predicted" "$SB_DIR/sent1" "1,200 new connections"
for b in be1 be2 be3; do
    echo "$b: $(awk -v b="$b" '$3 == b' "$SB_DIR/sent1" | wc -l) connections"
done

# 2. Established connections: TCP ones held open, and UDP flows.  Then be1
# drains from web and be2 of dns triples its weight.
sb_spawn client python3 "$CLIENT" tcp "$CLIENT_IP" "$VIP" 80 21000 60 --hold
held() { [ "$(grep -c "^tcp " "$SB_DIR/client.out" 2>/dev/null)" = 60 ]; }
sb_wait_until held
grep "^tcp " "$SB_DIR/client.out" | names > "$SB_DIR/held"
send udp "$CLIENT_IP" 5353 32000 60 | names > "$SB_DIR/flows"
api PATCH /v1/services/web/backends/10.0.0.11 '{"state": "drain"}'
expect 200
api PATCH /v1/services/dns/backends/10.0.0.12 '{"weight": 300}'
expect 200
queries tcp "$CLIENT_IP" 80 21000 60 > "$SB_DIR/q2"
queries udp "$CLIENT_IP" 5353 32000 60 >> "$SB_DIR/q2"
ask "$SB_DIR/q2" > "$SB_DIR/pinned"
cat "$SB_DIR/held" "$SB_DIR/flows" > "$SB_DIR/established"
same "$SB_DIR/pinned" "$SB_DIR/established" "established connections"
bad=$(awk '$4 != "pin" || $3 != $5' "$SB_DIR/pinned" | head -3)
[ -z "$bad" ] || sb_fail "established connections not answered from their pins: $bad"
# be1 drains: its slots went to the others, its connections stay.
awk '$1 == "tcp" && $5 == "be1" && $7 != "be1"' "$SB_DIR/pinned" | grep >/dev/null . \
    || sb_fail "no held connection pinned to be1 while its slot moved"
# Their slots moved, the pins did not: the UDP flows still reach their
# old backends, as dsrd said.
send udp "$CLIENT_IP" 5353 32000 60 | names > "$SB_DIR/flows-again"
same "$SB_DIR/flows" "$SB_DIR/flows-again" "UDP flows after the change"
echo "established connections whose slot now holds another backend:" \
     "$(awk '$5 != $7' "$SB_DIR/pinned" | wc -l) of 120, all still pinned"

# 3. New connections follow the new slots: none to the draining be1.
queries tcp "$CLIENT_IP" 80 23000 200 > "$SB_DIR/q3"
queries udp "$CLIENT_IP" 5353 33000 200 >> "$SB_DIR/q3"
ask "$SB_DIR/q3" > "$SB_DIR/predicted3"
{
    send tcp "$CLIENT_IP" 80 23000 200
    send udp "$CLIENT_IP" 5353 33000 200
} | names > "$SB_DIR/sent3"
same "$SB_DIR/predicted3" "$SB_DIR/sent3" "new connections after the change"
! grep -q "^tcp .* be1$" "$SB_DIR/sent3" \
    || sb_fail "a new connection reached the draining be1"

# 4. The ofproto/trace command dsrd gives follows the same path: its
# datapath actions end at the port of the backend it named.
for q in "tcp $CLIENT_IP:23000 $VIP:80" "udp $CLIENT_IP:32000 $VIP:5353"; do
    api GET "/v1/trace?protocol=${q%% *}&client=$(echo "$q" | cut -d' ' -f2)&vip=${q##* }"
    expect 200 '.delivery.mode == "l2"'
    mac=$(jq -r .delivery.mac "$SB_DIR/body")
    cmd=$(jq -r .ofproto_trace "$SB_DIR/body")
    echo "$cmd"
    eval "$cmd" | tail -1 | tee "$SB_DIR/trace"
    grep -q "^Datapath actions: .*dst=$mac)" "$SB_DIR/trace" \
        || sb_fail "ofproto/trace did not end at $mac: $(cat "$SB_DIR/trace")"
done
sb_pkill client "trace-client.py"

e2e_pass "trace: 1,200 new connections predicted, pins after a drain"
