# shellcheck shell=bash
# Shared setup for the end-to-end tests: a private OVS (userspace
# datapath) in a namespace, a client and backends in namespaces, and dsrd.
# Every test runs as root and removes everything it created on exit.
set -e -o pipefail -E
trap 'sb_log "FAIL: ${BASH_SOURCE[0]}:$LINENO: $BASH_COMMAND"' ERR

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=../../deploy/sandbox.sh
. "$TOP_SRCDIR/deploy/sandbox.sh"

if [ "$(id -u)" != 0 ]; then
    echo "end-to-end tests need root (network namespaces, OVS)" >&2
    exit 99
fi

# e2e_any_datapath REASON: for tests whose subject does not depend on
# OVS's datapath (dsrd's own API, CLI, config, memory): they run once, with
# the default datapath, and say so elsewhere instead of passing again.
e2e_any_datapath() {
    if [ "$DSR_DATAPATH" != userspace ]; then
        echo "SKIP: $1: does not depend on the datapath; runs with DSR_DATAPATH=userspace"
        exit 77
    fi
}

# The datapath dsrd should report for br0 (dsr/show, /v1/status).
e2e_datapath_kind() {
    case $DSR_DATAPATH in
    system) echo kernel ;;
    *) echo "$DSR_DATAPATH" ;;
    esac
}

VIP=10.0.0.100
CLIENT_IP=10.0.0.2
SERVICE_MAC=02:d5:d5:00:00:01

# e2e_setup NAME N_BACKENDS [VIP...]: OVS, client, backends be1..beN at
# 10.0.0.11.. owning the VIPs (default $VIP).
e2e_setup() {
    local name=$1 n=$2 i
    shift 2
    [ $# -gt 0 ] || set -- "$VIP"
    sb_init "dsrt-$name"
    sb_start_ovs
    sb_add_host client "$CLIENT_IP/24"
    for i in $(seq 1 "$n"); do
        sb_add_backend "be$i" "10.0.0.$((10 + i))/24" "$@"
    done
}

# e2e_http_backends N PORT...: HTTP servers answering with their name.
e2e_http_backends() {
    local n=$1 i
    shift
    for i in $(seq 1 "$n"); do
        sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/http-backend.py" "be$i" \
            "$SB_DIR/be$i.http.log" "$@"
    done
    for i in $(seq 1 "$n"); do
        sb_wait_listening "be$i" "$1"
    done
}

# e2e_udp_backends N PORT: UDP servers on the VIP answering "NAME DATAGRAM".
e2e_udp_backends() {
    local n=$1 port=$2 i
    for i in $(seq 1 "$n"); do
        sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$i" \
            "$SB_DIR/be$i.udp.log" "$VIP" "$port"
    done
}

# e2e_udp_service N: UDP backends be1..beN on port 5353 and dsrd with one
# service "dns" over them; returns when all listen.
e2e_udp_service() {
    local n=$1 i backends=
    e2e_udp_backends "$n" 5353
    for i in $(seq 1 "$n"); do
        backends="$backends${backends:+, }{\"ip\": \"10.0.0.$((10 + i))\"}"
    done
    e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [{"name": "dns", "vip": "$VIP", "protocol": "udp", "port": 5353,
               "backends": [$backends]}]}
EOC
    for i in $(seq 1 "$n"); do
        sb_wait_listening "be$i" 5353 u
    done
}

# e2e_start_dsrd: writes stdin to dsrd.json, starts dsrd, and waits until
# the bridge is in sync and no backend MAC is unresolved.
e2e_start_dsrd() {
    cat > "$SB_DIR/dsrd.json"
    sb_start_dsrd "$SB_DIR/dsrd.json"
    sb_wait_until e2e_dsrd_ready
}

e2e_dsrd_ready() {
    local show
    show=$(sb_dsrctl dsr/show 2>/dev/null) || return 1
    echo "$show" | grep -q "in sync" && ! echo "$show" | grep -q unresolved
}

# Requests to URL (curl globbing: http://VIP/?[1-300]), one connection
# each; prints the name of the backend that answered each.
e2e_curl() {
    sb_exec client curl -sS --max-time 20 "$@"
}

# count NAME < answers
e2e_count() { grep -c "^$1\$" || true; }

# Fails if dsrd logged warnings or errors other than those matching the
# extended regex $E2E_EXPECTED_LOG.
e2e_check_logs() {
    local bad
    bad=$(grep -E '\|(WARN|ERR|EMER)\|' "$SB_DIR/dsrd.log" \
          | grep -Ev "${E2E_EXPECTED_LOG:-^$}" || true)
    if [ -n "$bad" ]; then
        echo "$bad"
        sb_fail "dsrd logged warnings or errors"
    fi
}

# Ends a passing test: dsrd exits cleanly and nothing went wrong in it.
e2e_pass() {
    sb_stop_dsrd
    e2e_check_logs
    sb_check_sanitizers
    echo "PASS: $*"
}

# API helpers.  "api METHOD PATH [BODY] [CURL ARGS...]" calls dsrd's API
# inside the load balancer's namespace; the status goes to $SB_DIR/status,
# the body to $SB_DIR/body, the headers to $SB_DIR/headers.
API_URL=${API_URL:-http://127.0.0.1:9180}
api() {
    local method=$1 path=$2 body=${3-}
    shift 3 2>/dev/null || shift $#
    local args=(-sS -o "$SB_DIR/body" -D "$SB_DIR/headers" -w '%{http_code}'
                -X "$method" --max-time 10)
    if [ -n "$body" ]; then
        # "@FILE" sends FILE; anything else goes through a file too, since
        # large bodies do not fit on a command line.
        if [ "${body#@}" = "$body" ]; then
            printf '%s' "$body" > "$SB_DIR/request"
            body=@$SB_DIR/request
        fi
        case "$*" in
        *Content-Type*) ;;
        *) args+=(-H 'Content-Type: application/json') ;;
        esac
        args+=(--data-binary "$body")
    fi
    ip netns exec "$SB_LB" curl "${args[@]}" "$@" "$API_URL$path" \
        > "$SB_DIR/status"
}

# expect STATUS [JQ-FILTER...]: the last call answered STATUS and every
# filter is true of its body; errors must also match error.schema.json.
expect() {
    local status=$1 filter
    shift
    if [ "$(cat "$SB_DIR/status")" != "$status" ]; then
        sb_fail "expected HTTP $status, got $(cat "$SB_DIR/status"): $(cat "$SB_DIR/body")"
    fi
    if [ "$status" -ge 400 ]; then
        "$VALIDATE_JSON" error.schema.json "$SB_DIR/body" \
            || sb_fail "error body does not match error.schema.json: $(cat "$SB_DIR/body")"
    fi
    for filter in "$@"; do
        jq -e "$filter" "$SB_DIR/body" > /dev/null \
            || sb_fail "HTTP $status body fails '$filter': $(cat "$SB_DIR/body")"
    done
}

header() {
    sed -n "s/^$1: *//Ip" "$SB_DIR/headers" | tr -d '\r'
}

# Tests of deploy/dsr-backend: a backend namespace $SB_ID-be (eth0
# $BE_IP/24) linked to $SB_ID-lb (eth0 $BE_LB_IP/24), which stands for the
# load balancer and, with $BE_CLIENT_IP on its lo, for the clients behind
# it: the backend routes the clients' network to it.
BE_IP=10.9.0.11
BE_LB_IP=10.9.0.1
BE_CLIENT_IP=198.51.100.7
e2e_backend_host() {
    local ns
    for ns in be lb; do
        ip netns add "$SB_ID-$ns"
        ip -n "$SB_ID-$ns" link set lo up
    done
    ip -n "$SB_ID-be" link add eth0 type veth peer name eth0 netns "$SB_ID-lb"
    ip -n "$SB_ID-be" addr add "$BE_IP/24" dev eth0
    ip -n "$SB_ID-lb" addr add "$BE_LB_IP/24" dev eth0
    ip -n "$SB_ID-lb" addr add "$BE_CLIENT_IP/32" dev lo
    ip -n "$SB_ID-be" link set eth0 up
    ip -n "$SB_ID-lb" link set eth0 up
    ip -n "$SB_ID-be" route add "${BE_CLIENT_IP%.*}.0/24" via "$BE_LB_IP"
}

# dsrb RC ARGS...: runs deploy/dsr-backend ARGS in the backend's namespace,
# output (both streams) in $SB_DIR/out; fails unless it exits with RC.
dsrb() {
    local want=$1 rc=0
    shift
    ip netns exec "$SB_ID-be" "$TOP_SRCDIR/deploy/dsr-backend" "$@" \
        > "$SB_DIR/out" 2>&1 || rc=$?
    if [ "$rc" != "$want" ]; then
        cat "$SB_DIR/out"
        sb_fail "dsr-backend $* exited $rc, expected $want"
    fi
}

# dsrb_says TEXT...: the last dsrb's output has each TEXT (a fixed string).
dsrb_says() {
    local text
    for text in "$@"; do
        grep -qF -- "$text" "$SB_DIR/out" \
            || sb_fail "dsr-backend did not say '$text'; it said: $(cat "$SB_DIR/out")"
    done
}
