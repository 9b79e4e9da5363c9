#!/bin/bash
# Parallel writers on one backend, each doing read-modify-write with
# If-Match: versions serialize them, and no update is lost or half done.
. "$(dirname "$0")/lib.sh"

e2e_setup api-concurrency 1
e2e_web_service 2 '.backends[0].weight = 1' \
    '.backends[1] += {"mac": "02:00:00:00:00:12", "weight": 101}'

writers=4 increments=25
cat > "$SB_DIR/increment.sh" <<'EOS'
#!/bin/bash
# Adds 1 to the backend's weight N times, retrying on 412.
url=http://127.0.0.1:9180/v1/services/web/backends/10.0.0.11
done_=0 conflicts=0
while [ $done_ -lt "$1" ]; do
    out=$(curl -sS -D - "$url")
    etag=$(echo "$out" | sed -n 's/^ETag: *//Ip' | tr -d '\r')
    weight=$(echo "$out" | sed -n 's/.*"weight": \([0-9]*\).*/\1/p')
    status=$(curl -sS -o /dev/null -w '%{http_code}' -X PATCH \
        -H 'Content-Type: application/json' -H "If-Match: $etag" \
        --data "{\"weight\": $((weight + 1))}" "$url")
    case $status in
    200) done_=$((done_ + 1)) ;;
    412) conflicts=$((conflicts + 1)) ;;
    *) echo "unexpected $status"; exit 1 ;;
    esac
done
echo "conflicts $conflicts"
EOS
pids=()
for i in $(seq 1 $writers); do
    ip netns exec "$SB_LB" bash "$SB_DIR/increment.sh" $increments \
        > "$SB_DIR/writer.$i" 2>&1 &
    pids+=($!)
done
for pid in "${pids[@]}"; do
    wait "$pid" || sb_fail "a writer failed: $(cat "$SB_DIR"/writer.*)"
done
cat "$SB_DIR"/writer.*

api GET /v1/services/web/backends/10.0.0.11
expect 200 ".weight == $((1 + writers * increments))"
# 101 against 101: half the slots each.
sb_has_share 1 10.0.0.11 $((1 + writers * increments)) 202 \
    || sb_fail "OVS does not have the final weight"
# Gone before the next one starts, or that one finds the pidfile taken.
sb_kill_dsrd
sb_start_dsrd ""
sb_wait_until api GET /v1/services/web/backends/10.0.0.11
expect 200 ".weight == $((1 + writers * increments))"
E2E_EXPECTED_LOG='.'    # the killed run's log is not checked
e2e_pass "$writers writers x $increments increments serialized"
