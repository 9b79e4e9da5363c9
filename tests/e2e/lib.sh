# shellcheck shell=bash
# Shared setup for the end-to-end tests: a private OVS (userspace
# datapath) in a namespace, a client and backends in namespaces, and dsrd.
# Every test runs as root and removes everything it created on exit.
# tests/README.md says how to write one.  On top of deploy/sandbox.sh
# (sb_*), this file has:
#
#   e2e_setup NAME N [VIP...]   OVS, a client ($CLIENT_IP), be1..beN
#   e2e_http_backends N PORT... / e2e_udp_backends N PORT
#                               servers that answer with their name and
#                               log who asked ($SB_DIR/beI.http.log, .udp.log)
#   e2e_web_service N [JQ...]   dsrd with a service "web" over be1..beN
#   e2e_udp_service N           UDP servers and a service "dns" over them
#   e2e_start_dsrd < CONFIG     dsrd with any config, ready when it returns
#   e2e_pool_config N PER_HOST  N backend addresses on be1.., a UDP "pool"
#   e2e_restart_clean [WAIT]    dsrd SIGKILLed and restarted sends nothing
#   e2e_curl URL... / e2e_count NAME < ANSWERS
#   e2e_expect_spread LOG PORT MIN BACKEND... < ANSWERS
#                               each backend answered, saw only the client
#   e2e_in_sync                 dsrd's changes are all on the switch
#   e2e_wait_api PATH FILTER... waits until a GET's body passes the filters
#   e2e_capture H IFACE FILE ARGS... / e2e_capture_stop H
#                               tcpdump on host H, started and stopped
#   e2e_any_datapath REASON     skip on other datapaths than userspace
#   e2e_drops / e2e_drops_grown packets an overloaded machine dropped
#                               and counted, outside dsrd's pipeline
#   e2e_check_logs / e2e_pass   dsrd logged no unexpected WARN or ERR
#
# and four short names, used on almost every line of the API and
# dsr-backend tests and kept short for that reason:
#
#   api METHOD PATH [BODY] [CURL ARGS]   a request to dsrd's REST API
#   expect STATUS [JQ-FILTER...]         checks the last api answer
#   header NAME                          a header of the last api answer
#   dsrb RC ARGS... / dsrb_says TEXT...  runs deploy/dsr-backend, checks it
#
# Wait for conditions, never for time: sb_wait_until, sb_wait_stats,
# e2e_wait_api, sb_wait_listening, e2e_in_sync.
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
VIP6=2001:db8::100
CLIENT_IP6=2001:db8::2

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

# The bgp-mode tests' common part (bgp.sh, bgp-frr.sh).  e2e_bgp_router:
# namespace $RT, linked to the load balancer (its up1 10.98.0.11/24, the
# router's rt0 10.98.0.1/24), running a BIRD of AS 65000 that learns from
# AS 65001 at 10.98.0.11 with short timers.
E2E_BGP_TIMERS='hold time 3; keepalive time 1; connect retry time 1; error wait time 1,5;'
e2e_bgp_router() {
    RT=$SB_ID-rt
    ip netns add "$RT"
    ip -n "$RT" link set lo up
    ip -n "$SB_LB" link add up1 type veth peer name rt0 netns "$RT"
    ip -n "$SB_LB" addr add 10.98.0.11/24 dev up1
    ip -n "$SB_LB" link set up1 up
    ip -n "$RT" addr add 10.98.0.1/24 dev rt0
    ip -n "$RT" link set rt0 up
    cat > "$SB_DIR/bird-rt.conf" <<EOC
router id 10.98.0.1;
protocol device { }
protocol bgp lb1 { local 10.98.0.1 as 65000; neighbor 10.98.0.11 as 65001;
  $E2E_BGP_TIMERS ipv4 { import all; export none; }; }
EOC
    ip netns exec "$RT" bird -c "$SB_DIR/bird-rt.conf" \
        -s "$SB_DIR/bird-rt.ctl" -P "$SB_DIR/bird-rt.pid"
}

# e2e_bgp_start_dsrd: dsrd in bgp mode (2-s hold-down) with service web on
# backends 10.0.0.11 and .12, checked by HTTP every 100 ms.
e2e_bgp_start_dsrd() {
    local fast='"interval_ms": 100, "timeout_ms": 1000, "rise": 2, "fall": 2'
    e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "announce": {"mode": "bgp", "hold_down_ms": 2000},
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "http", "path": "/health", $fast},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}]}]}
EOC
}

# e2e_bgp_routed: the router has a route to the VIP.
e2e_bgp_routed() {
    birdc -s "$SB_DIR/bird-rt.ctl" show route "$VIP/32" 2>/dev/null \
        | grep >/dev/null "^$VIP/32 .*unicast"
}

# e2e_require_bird: skips the test (exit 77) without BIRD 2, or on the
# kernel datapath, whose VM has no BIRD.
e2e_require_bird() {
    if ! command -v bird > /dev/null; then
        echo "SKIP: needs BIRD 2 (bird2, deploy/install-deps.sh)"
        exit 77
    fi
    if [ "$DSR_DATAPATH" = system ]; then
        echo "SKIP: the kernel datapath's VM has no BIRD"
        exit 77
    fi
}

# e2e_add_ipv6 N: IPv6 on the link: the client at $CLIENT_IP6, be1..beN
# at 2001:db8::11..  (nodad: usable at once; the sandbox's addresses are
# its own).  Give e2e_setup $VIP6 for the backends to own it.
e2e_add_ipv6() {
    local i
    sb_exec client ip -6 addr add "$CLIENT_IP6/64" dev eth0 nodad
    for i in $(seq 1 "$1"); do
        sb_exec "be$i" ip -6 addr add "2001:db8::$((10 + i))/64" dev eth0 \
            nodad
    done
    # A backend answers a new client from the VIP (on lo), so it asks for
    # the client's MAC from eth0's link-local address, and Linux sends no
    # Neighbor Solicitation while that address is tentative (its duplicate
    # address detection, a second or two after the link came up): the
    # SYN-ACK waited a second and the client resent its SYN.
    for i in client $(seq -f "be%g" 1 "$1"); do
        sb_wait_until e2e_ipv6_settled "$i" \
            || sb_fail "$i: $(sb_exec "$i" ip -6 addr show dev eth0)"
    done
}

# e2e_ipv6_settled HOST: none of HOST's IPv6 addresses is still tentative.
e2e_ipv6_settled() {
    [ -z "$(sb_exec "$1" ip -6 addr show dev eth0 tentative)" ]
}

# e2e_client_tcp COUNTER: the client's TCP counter (OutSegs, InSegs,
# RetransSegs...) from /proc/net/snmp, IPv4 and IPv6 together.
e2e_client_tcp() {
    # shellcheck disable=SC2016
    sb_exec client awk -v k="$1" '/^Tcp:/ && !seen {seen = 1;
        split($0, names); next} /^Tcp:/ {for (i in names) if (names[i] == k)
        print $i}' /proc/net/snmp
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

# e2e_web_service N [JQ-FILTER...]: starts dsrd (e2e_start_dsrd) with one
# service "web", TCP on $VIP:80 over be1..beN (10.0.0.11...), each jq
# FILTER applied to it in turn: '.hash = "source-ip"',
# '.backends[3].state = "disabled"'.  A filter that yields several
# services makes them all: '., (.name = "dns" | .protocol = "udp")'.
e2e_web_service() {
    local n=$1 filter=. f
    shift
    for f in "$@"; do
        filter="$filter | ($f)"
    done
    jq -n --arg vip "$VIP" --arg mac "$SERVICE_MAC" --argjson n "$n" \
        '{name: "web", vip: $vip, protocol: "tcp", port: 80,
          backends: [range($n) | {ip: "10.0.0.\(11 + .)"}]}
         | [. | '"$filter"']
         | {bridges: [{name: "br0", mac: $mac}], services: .}' \
        | e2e_start_dsrd
}

# e2e_udp_service N: UDP backends be1..beN on port 5353 and dsrd with one
# service "dns" over them; returns when all listen.
e2e_udp_service() {
    local n=$1 i
    e2e_udp_backends "$n" 5353
    e2e_web_service "$n" '.name = "dns" | .protocol = "udp" | .port = 5353'
    for i in $(seq 1 "$n"); do
        sb_wait_listening "be$i" 5353 u
    done
}

# e2e_start_dsrd: writes stdin to dsrd.json, starts dsrd, and waits until
# the bridge is in sync and no backend MAC is unresolved.
# e2e_pool_config N PER_HOST: N backend addresses 10.1.H.J/16, PER_HOST
# on each of the backend namespaces be1, be2, ..., and in
# $SB_DIR/dsrd.json one UDP service "pool" (port 9) over all of them.
e2e_pool_config() {
    local n=$1 per=$2 h j
    for ((h = 0; h * per < n; h++)); do
        for ((j = 1; j <= per; j++)); do
            echo "addr add 10.1.$h.$j/16 dev eth0"
        done | sb_exec "be$((h + 1))" ip -batch -
    done
    jq -n --arg vip "$VIP" --arg mac "$SERVICE_MAC" --argjson n "$n" \
          --argjson per "$per" \
        '{bridges: [{name: "br0", mac: $mac}],
          services: [{name: "pool", vip: $vip, protocol: "udp", port: 9,
                      backends: [range($n) | {ip: "10.1.\(. / $per | floor).\(. % $per + 1)"}]}]}' \
        > "$SB_DIR/dsrd.json"
}

e2e_start_dsrd() {
    cat > "$SB_DIR/dsrd.json"
    sb_start_dsrd "$SB_DIR/dsrd.json"
    sb_wait_until e2e_dsrd_ready
}

# e2e_restart_clean [WAIT]: dsrd, killed (SIGKILL) and started again from
# $SB_DIR/dsrd.json, finds the switch right: its new counters show one
# reconciliation, which sent nothing.
e2e_restart_clean() {
    local n clean
    sb_kill_dsrd
    sb_start_dsrd "$SB_DIR/dsrd.json"
    SB_WAIT=${1:-$SB_WAIT} sb_wait_until e2e_dsrd_ready \
        || sb_fail "restarted dsrd: $(sb_dsrctl dsr/show)"
    n=$(sb_dsrctl coverage/read-counter ofctrl_reconcile)
    clean=$(sb_dsrctl coverage/read-counter ofctrl_reconcile_clean)
    [ "$n" = 1 ] && [ "$clean" = 1 ] \
        || sb_fail "the restart changed the switch ($n reconciliations, $clean clean): $(grep reconciled "$SB_DIR/dsrd.log" | tail -3)"
}

e2e_dsrd_ready() {
    local show
    show=$(sb_dsrctl dsr/show 2>/dev/null) || return 1
    echo "$show" | grep >/dev/null "in sync" && ! echo "$show" | grep >/dev/null unresolved
}

# e2e_in_sync: dsrd has nothing pending for the switch: whatever it
# decided (a health change, an API write) is on the bridge.
e2e_in_sync() {
    sb_dsrctl dsr/show 2>/dev/null | grep >/dev/null "in sync"
}

# Requests to URL (curl globbing: http://VIP/?[1-300]), one connection
# each; prints the name of the backend that answered each.
e2e_curl() {
    sb_exec client curl -sS --max-time 20 "$@"
}

# count NAME < answers
e2e_count() { grep -c "^$1\$" || true; }

# e2e_expect_spread LOG PORT MIN BACKEND... < ANSWERS: each BACKEND
# answered at least MIN of ANSWERS (a backend's name a line, as e2e_curl
# and udp-client.py print them), and its server's log $SB_DIR/BACKEND.LOG
# ("http.log" or "udp.log") shows the client's own address on PORT and no
# other address (but dsrd's health checks of path /health): DSR is
# transparent.
e2e_expect_spread() {
    local log=$1 port=$2 min=$3 answers b c others
    shift 3
    answers=$(cat)
    for b in "$@"; do
        c=$(e2e_count "$b" <<< "$answers")
        echo "$b answered $c"
        [ "$c" -ge "$min" ] \
            || sb_fail "$b answered only $c of $(grep -c . <<< "$answers")"
        grep -Eq "^$CLIENT_IP $port( |\$)" "$SB_DIR/$b.$log" \
            || sb_fail "$b did not see the client's address on port $port"
        others=$(grep -v "^$CLIENT_IP " "$SB_DIR/$b.$log" \
            | grep -v " /health\$" | head -3 || true)
        [ -z "$others" ] || sb_fail "$b saw other source addresses: $others"
    done
}

# e2e_wait_api PATH JQ-FILTER...: waits until GET PATH answers 200 with a
# body that passes every filter (counters that OVS refreshes about once a
# second), then checks that body with expect, which names a filter that
# never passed.
e2e_wait_api() {
    sb_wait_until e2e_api_passes "$@" || true
    shift
    expect 200 "$@"
}

e2e_api_passes() {
    local filter
    api GET "$1" || return 1
    shift
    [ "$(cat "$SB_DIR/status")" = 200 ] || return 1
    for filter in "$@"; do
        jq -e "$filter" "$SB_DIR/body" > /dev/null || return 1
    done
}

# e2e_capture H IFACE FILE [TCPDUMP ARGS...]: captures IFACE of host H to
# FILE, and returns once tcpdump captures.  tcpdump hands each packet on
# as it comes and writes it at once (--immediate-mode -U), not a buffer
# later: what it saw is in FILE once e2e_capture_stop returns.
e2e_capture() {
    local host=$1 iface=$2 file=$3 n
    shift 3
    n=$(e2e_captures "$host" "$iface")
    sb_spawn "$host" tcpdump --immediate-mode -U -n -i "$iface" -w "$file" "$@"
    sb_wait_until e2e_captures_more "$host" "$iface" "$n"
}

# How many captures of IFACE host H has started.
e2e_captures() {
    if [ -f "$SB_DIR/$1.out" ]; then
        grep -c "listening on $2" "$SB_DIR/$1.out" || true
    else
        echo 0
    fi
}

e2e_captures_more() { [ "$(e2e_captures "$1" "$2")" -gt "$3" ]; }

# e2e_capture_stop H: stops host H's captures; returns once their files
# are complete.
e2e_capture_stop() {
    sb_pkill "$1" '^tcpdump '
    sb_wait_until e2e_no_capture "$1"
}

e2e_no_capture() { [ -z "$(sb_pids "$1" '^tcpdump ')" ]; }

# Drops from stdin OVS's warnings of a long poll interval (and the lines
# that detail one) in which dsrd ran for less than half the interval: it
# waited for a CPU that the machine gave to others, which says nothing
# about dsrd (OVS's own tests drop them all).  An interval that was
# mostly dsrd's own work stays, and so does any in which dsrd ran for a
# second, as an idle machine would have warned of it too.
e2e_drop_busy_intervals() {
    awk '/\|timeval\|WARN\|Unreasonably long/ {
             match($0, /long [0-9]+ms/)
             wall = substr($0, RSTART + 5, RLENGTH - 7) + 0
             match($0, /[0-9]+ms user/)
             user = substr($0, RSTART, RLENGTH - 7)
             match($0, /[0-9]+ms system/)
             sys = substr($0, RSTART, RLENGTH - 9)
             busy = (user + sys) * 2 < wall && user + sys < 1000
             if (!busy) print
             next
         }
         /\|timeval\|WARN\|(faults|disk|context switches):/ {
             if (!busy) print
             next
         }
         { busy = 0; print }'
}

# e2e_drops: packets dropped outside the OpenFlow pipeline, where a
# machine short of CPU drops them and counts them, one "WHERE COUNT" line
# each: UDP socket buffers, TCP listen and socket queues and the device in
# each host's namespace, ovs-vswitchd's packet sockets, OVS's counters at
# each port (a DPDK port's AF_PACKET ring overflows while its PMD thread
# waits for a CPU; the veth behind it counts what it could not pass on),
# and the kernel's input backlog (machine-wide).  A drop in dsrd's
# pipeline is in none of them.
e2e_drops() {
    local host ns backlog=0 d
    for host in "${SB_HOSTS[@]}"; do
        ns=$SB_ID-$host
        # A datagram that finds its socket's buffer full, a SYN that finds
        # a listener's accept queue full (a starved server) or a segment
        # that finds its socket busy is dropped here.  snmp and netstat
        # each give a line of names, then a line of values.
        ip netns exec "$ns" cat /proc/net/snmp /proc/net/snmp6 \
                /proc/net/netstat | awk -v h="$host" '
            $1 ~ /^(Udp|TcpExt):$/ && !($1 in named) {
                named[$1]; for (i = 2; i <= NF; i++) k[$1, i] = $i; next }
            $1 == "Udp:" { for (i = 2; i <= NF; i++)
                               if (k[$1, i] ~ /(Rcvbuf|Sndbuf|Mem)Errors$/) udp += $i }
            $1 ~ /^Udp6(Rcvbuf|Sndbuf|Mem)Errors$/ { udp += $2 }
            $1 == "TcpExt:" { for (i = 2; i <= NF; i++)
                                  if (k[$1, i] ~ /^(ListenDrops|TCPBacklogDrop|TCPReqQFullDrop|TCPRcvQDrop)$/) tcp += $i }
            END { print h "/udp-buffers", udp + 0; print h "/tcp-queues", tcp + 0 }'
        ip -n "$ns" -s -j link show eth0 | e2e_link_drops "$host/eth0"
        if [ "$DSR_DATAPATH" = dpdk ]; then
            ip -n "$SB_LB" -s -j link show "$host" | e2e_link_drops "lb/$host"
        fi
    done
    # ovs-vswitchd reads each port through an AF_PACKET socket; one that
    # waits for a CPU overflows its socket's buffer.
    ip netns exec "$SB_LB" ss -0 -n -m -H | awk '
        match($0, /,d[0-9]+\)/) { n += substr($0, RSTART + 2, RLENGTH - 3) }
        END { print "ovs/packet-sockets", n + 0 }'
    sb_vsctl --format=json --columns=name,statistics list interface \
        | jq -r '.data[] | select(.[0] != "br0") | .[0] as $n
                 | [.[1][1][] | select(.[0] | test("drop|miss|fail")) | .[1]]
                 | "ovs/\($n) \(add // 0)"'
    while read -r _ d _; do
        backlog=$((backlog + 0x$d))
    done < /proc/net/softnet_stat
    echo "backlog $backlog"
}

e2e_link_drops() {
    jq -r --arg w "$1" \
        '.[0].stats64 | "\($w) \(.rx.dropped + .tx.dropped + .rx.over_errors)"'
}

# e2e_drops_grown BEFORE AFTER: what grew between two e2e_drops outputs,
# "WHERE +N" each, and last their total.
e2e_drops_grown() {
    awk 'NR == FNR { was[$1] = $2; next }
         $2 > was[$1] { print $1, "+" ($2 - was[$1]); n += $2 - was[$1] }
         END { print n + 0 }' "$1" "$2"
}

# Fails if dsrd logged warnings or errors other than those matching the
# extended regex $E2E_EXPECTED_LOG (or busy intervals, above), or if
# ovs-vswitchd could not apply dsrd's conntrack timeout policy.
e2e_check_logs() {
    local bad
    # ovs-vswitchd still names a policy it could not create in its ct
    # actions, and the kernel refuses the packets it executes with them.
    if grep -q 'failed to set timeout policy' "$SB_DIR/ovs-vswitchd.log" \
            2>/dev/null; then
        grep 'timeout policy' "$SB_DIR/ovs-vswitchd.log"
        sb_fail "ovs-vswitchd could not set dsrd's conntrack timeout policy (kernel datapath: nfnetlink_cttimeout missing?)"
    fi
    bad=$(grep -E '\|(WARN|ERR|EMER)\|' "$SB_DIR/dsrd.log" \
          | e2e_drop_busy_intervals \
          | grep -Ev "${E2E_EXPECTED_LOG:-^$}" || true)
    if [ -n "$bad" ]; then
        echo "$bad"
        # The first of them on the FAIL line: summaries (check-vm's)
        # show that line and drop the log lines around it.
        sb_fail "dsrd logged warnings or errors ($(echo "$bad" | wc -l)," \
            "the first: $(echo "$bad" | head -n 1))"
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

# e2e_backend_health SERVICE IP: "HEALTH REASON" of that backend in
# /v1/status.
e2e_backend_health() {
    api GET /v1/status
    jq -r --arg s "$1" --arg ip "$2" '.services[] | select(.name == $s)
        | .backends[] | select(.ip == $ip) | "\(.health) \(.reason // "")"' \
        "$SB_DIR/body"
}
