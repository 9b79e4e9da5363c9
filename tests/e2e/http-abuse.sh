#!/bin/bash
# Hostile HTTP clients against the API: slow clients dribbling a request
# head, 10,000 idle connections from one address and from 200, heads and
# bodies far over the limits, invalid UTF-8 in bodies and paths.  Through
# each, a normal client gets every answer before an abuser's connection
# would time out, about as fast as without the abuse, and its writes still
# reach OVS.
. "$(dirname "$0")/lib.sh"

N_IDLE=10000
# How much slower the normal client may be under abuse than without it,
# in the same run: its total time for the same requests.  A client served
# only once an abuser is cut off waits for the request timeout each.
MAX_RATIO=5
REQUEST_TIMEOUT_S=3    # limits.api_request_timeout_s below
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((N_IDLE + 100)) ]; then
    echo "SKIP: needs $((N_IDLE + 100)) open files, the hard limit is $(ulimit -Hn)"
    exit 77
fi

e2e_setup http-abuse 2
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "limits": {"api_request_timeout_s": $REQUEST_TIMEOUT_S, "max_api_connections": 1024,
            "max_api_connections_per_ip": 64, "max_body_bytes": 65536},
 "services": [{"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
               "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC
E2E_EXPECTED_LOG='limits\.max_api_connections'

# normal_client LABEL: rounds of GET /v1/status and a PATCH that changes a
# backend's weight, while the abuse runs, and the backend's share of the
# slots in OVS's group afterwards.  Each answer must come before the
# request timeout, and all of them within MAX_RATIO times what they took
# without abuse (the first call, whose total is the baseline).
weight=100
baseline_ms=
normal_client() {
    local label=$1 worst=0 total=0 n=0 round ms
    for round in 1 2 3 4 5; do
        ms=$(timed_api GET /v1/status)
        expect 200 '.bridges[0].connected'
        worst=$((ms > worst ? ms : worst)) total=$((total + ms))
        weight=$((weight == 300 ? 100 : 300))   # 128 or 192 of 256 slots
        ms=$(timed_api PATCH /v1/services/web/backends/10.0.0.11 \
                 "{\"weight\": $weight}")
        expect 200 ".weight == $weight"
        worst=$((ms > worst ? ms : worst)) total=$((total + ms))
        sb_has_share 1 10.0.0.11 "$weight" $((weight + 100)) \
            || sb_fail "weight $weight did not reach OVS"
        n=$((n + 2))
    done
    baseline_ms=${baseline_ms:-$((total > 0 ? total : 1))}
    echo "normal client under $label: $total ms for $n requests" \
         "($(awk "BEGIN {printf \"%.2f\", $total / $baseline_ms}") of" \
         "the baseline), worst $worst ms"
    [ "$worst" -lt $((REQUEST_TIMEOUT_S * 1000)) ] \
        || sb_fail "under $label an answer took $worst ms: the request timeout"
    [ "$total" -le $((MAX_RATIO * baseline_ms)) ] \
        || sb_fail "under $label the requests took $total ms," \
                   "over $MAX_RATIO times the $baseline_ms ms without abuse"
}

# timed_api ARGS...: api ARGS..., printing how many milliseconds it took.
timed_api() {
    local t0
    t0=$(date +%s%N)
    api "$@"
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
}

# abuse_start MODE N SECONDS ADDR...: starts http-abuse.py in the load
# balancer's namespace, and waits until it is ready; $SB_DIR/abuse.out
# gets its output.  The abuser runs niced: on a real load balancer it
# would be on another machine, not taking dsrd's CPU.
abuser=
abuse_start() {
    : > "$SB_DIR/abuse.out"
    ip netns exec "$SB_LB" nice -n 10 \
        python3 "$TOP_SRCDIR/tests/e2e/http-abuse.py" \
        "$1" "$2" 9180 "${@:3}" > "$SB_DIR/abuse.out" 2>&1 &
    abuser=$!
    SB_WAIT=60 sb_wait_until grep -q '^ready' "$SB_DIR/abuse.out"
}

# abuse_end [stop]: waits for the abuser to finish (with "stop", tells an
# idle one to) and puts its report in $SB_DIR/abuse.json.
abuse_end() {
    [ -z "${1:-}" ] || kill -TERM "$abuser"
    wait "$abuser" || { cat "$SB_DIR/abuse.out"; sb_fail "abuser failed"; }
    tail -n 1 "$SB_DIR/abuse.out" > "$SB_DIR/abuse.json"
    echo "  abuser: $(cat "$SB_DIR/abuse.json")"
}

# abuse LABEL MODE N SECONDS ADDR...: the abuser, and the normal client
# while it runs.
abuse() {
    local label=$1
    shift
    abuse_start "$@"
    normal_client "$label"
    abuse_end
}

# abuse_so_far JQ-FILTER: what an idle abuser reported last passes it.
abuse_so_far() {
    tail -n 1 "$SB_DIR/abuse.out" | jq -e "$1" > /dev/null 2>&1
}

abuse_check() {
    jq -e "$1" "$SB_DIR/abuse.json" > /dev/null \
        || sb_fail "abuse report fails '$1': $(cat "$SB_DIR/abuse.json")"
}

# Connections dsrd holds (accepted, not waiting in the listen backlog)
# from address $1, or from anywhere: only dsrd listens on 9180 there, and
# a connection still in the backlog has no socket yet ("ino:0").  ("ss
# -p" would name dsrd, but it reads every process's open files: seconds,
# with 10,000 of them on a loaded machine.  nsenter, not "ip netns exec":
# that one remounts /sys without the cgroup2 mount "ss -e" looks up.)
held() {
    nsenter --net="/var/run/netns/$SB_LB" ss -Htne state established \
        "( sport = :9180 ${1:+and dst $1} )" | grep -vc ' ino:0 ' || true
}

held_at_least() { [ "$(held "${2:-}")" -ge "$1" ]; }

addresses() {
    local prefix=$1 n=$2 i
    for i in $(seq 1 "$n"); do echo "$prefix.$i"; done
}

normal_client "nothing (the baseline)"

# Slow clients are cut off once their request head is late.
abuse "200 slowloris clients" slowloris 200 10 $(addresses 127.0.2 4)
abuse_check '.closed_by_server == 200 and .lifetimes_max_s < 5'

# 10,000 idle connections from one address, reopened (1,000 a second)
# when dsrd closes them: it keeps 64.  The abuser holds them until it is
# told to stop (600 s is only a safety net), so the checks below see them
# held, however slow the machine.
abuse_start idle $N_IDLE 600 127.0.0.2
sb_wait_until held_at_least 60 127.0.0.2
n=$(held 127.0.0.2)
echo "  dsrd holds $n connections from that address"
[ "$n" -le 64 ] || sb_fail "$n connections from one address"
normal_client "10,000 idle connections from one address"
sb_wait_until abuse_so_far '.closed_by_server > 0'
abuse_end stop
abuse_check '.opened >= 10000 and .closed_by_server > 0'

# 10,000 idle connections from 200 addresses, 50 each: all 1,024 slots
# fill up, and the connections that waited longest make room.  (Reopened
# faster than dsrd can accept, they would fill the kernel's listen
# backlog, and new clients' SYNs would wait for retransmission: that is
# for SYN cookies and a firewall's connection limits in front.)
abuse_start idle $N_IDLE 600 $(addresses 127.0.1 200)
sb_wait_until held_at_least 1000
n=$(held)
echo "  dsrd holds $n connections"
# 64 more while those closed to make room are on their way out.
[ "$n" -le $((1024 + 64)) ] || sb_fail "dsrd holds $n connections"
normal_client "10,000 idle connections from 200 addresses"
sb_wait_until abuse_so_far '.closed_by_server > 0'
abuse_end stop
abuse_check '.opened >= 10000 and .closed_by_server > 0'

# Heads far over the 32 KiB that a request head may take.
abuse "1 MiB request heads" big-headers 20 20 127.0.0.3
abuse_check '.statuses | keys - ["431", "413", "closed"] == []'

# A body announced over limits.max_body_bytes is refused before it is
# read, with the limit named.
abuse "1 GiB request bodies" big-body 10 20 127.0.0.4
abuse_check '.statuses == {"413": 5}'
abuse_check '.blast_statuses | keys - ["413", "closed"] == []'
abuse_check '.last_body | fromjson | .error == "too-large"'
abuse_check '.last_body | fromjson | .reason | contains("limits.max_body_bytes")'
abuse_check '.body_bytes_sent_max < 16777216'

# Invalid UTF-8 in a body or a path: 400 naming the problem, nothing
# changed.
api GET /v1/config
version=$(jq .version "$SB_DIR/body")
printf '{"name": "caf\xe9", "vip": "10.0.0.200", "protocol": "tcp", "port": 80}' \
    > "$SB_DIR/latin1.json"
api POST /v1/services "@$SB_DIR/latin1.json"
expect 400 '.error == "bad-request"' \
    '.reason == "the body is not valid UTF-8: byte 0xe9 at offset 13"'
printf '{"weight": 7, "x": "\xc0\xaf"}' > "$SB_DIR/overlong.json"
api PATCH /v1/services/web/backends/10.0.0.11 "@$SB_DIR/overlong.json"
expect 400 '.reason | startswith("the body is not valid UTF-8: byte 0xc0")'
api GET '/v1/services/caf%E9'
expect 400 '.error == "bad-request"' \
    '.reason == "the URL path is not valid UTF-8: byte 0xe9 at offset 16"'
api DELETE '/v1/services/web%FF'
expect 400 '.reason | contains("not valid UTF-8")'
api PATCH /v1/services/web/backends/10.0.0.11 '{"weight": 7}' -H 'If-Match: "1'$'\xff''"'
expect 412 '.reason | contains("\\xff")'
api GET /v1/config
expect 200 ".version == $version" '(.services | length) == 1'
normal_client "nothing (after the abuse)"

e2e_pass "HTTP abuse"
