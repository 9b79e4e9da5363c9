#!/bin/bash
# The chaos soak (tests/soak/README.md): for SOAK_SECONDS (default 1200),
# HTTP and UDP clients through 20 services, an API writer, and one event
# after another, at random: a backend's servers killed and restarted,
# dsrd killed with SIGKILL and restarted, ovs-vswitchd restarted, and
# once a backend's MAC changed.  The invariants are checked as it goes
# and at the end; it prints "soak: N passed, N failed".
. "$(dirname "$0")/../e2e/lib.sh"

SB_WAIT=60      # events wait for their outcome: a busy machine is slow
SOAK_SECONDS=${SOAK_SECONDS:-1200}
# Which kinds of event happen (all by default; fewer to find which one
# causes what); SOAK_WEIGHTS=0: the writer leaves the traffic services'
# weights alone.
SOAK_EVENTS=${SOAK_EVENTS-backend_kill dsrd_kill vswitchd_restart mac_change}
soak_event() {
    case " $SOAK_EVENTS " in
    *" $1 "*) "$1" ;;
    esac
}
N=4
TCP_PORTS=$(seq 8000 8009)
UDP_PORTS=$(seq 5300 5309)
e2e_setup soak "$N"
sb_lb_address 10.0.0.5/24     # the health checks' source
# shellcheck disable=SC2086
e2e_http_backends "$N" $TCP_PORTS

# A backend's UDP servers: on the VIP for the clients and the checks'
# DSR path, on its own address for the plain half of the checks.
udp_start() {
    local addr
    for addr in "$VIP" "10.0.0.$((10 + $1))"; do
        # shellcheck disable=SC2086
        sb_spawn "be$1" python3 "$TOP_SRCDIR/deploy/udp-backend.py" "be$1" \
            "$SB_DIR/be$1.udp.log" "$addr" $UDP_PORTS
    done
    sb_wait_until sb_exec "be$1" sh -c "[ \$(ss -Hlun sport = 5309 | wc -l) = 2 ]"
}
for i in $(seq 1 "$N"); do udp_start "$i"; done

jq -n --arg vip "$VIP" --arg mac "$SERVICE_MAC" --argjson n "$N" '
    def svc($name; $proto; $port; $check):
        {name: $name, vip: $vip, protocol: $proto, port: $port,
         health_check: ($check + {interval_ms: 300, timeout_ms: 1000,
                                  rise: 2, fall: 2}),
         backends: [range($n) | {ip: "10.0.0.\(11 + .)"}]};
    {bridges: [{name: "br0", mac: $mac, probe_ip: "10.0.0.250"}],
     services: ([range(10) | svc("web\(.)"; "tcp"; 8000 + .; {type: "tcp"})]
                + [range(10) | svc("udp\(.)"; "udp"; 5300 + .;
                                   {type: "udp", payload: "health",
                                    dsr: true})])}' \
    | e2e_start_dsrd

all_healthy() {
    api GET /v1/status || return 1
    jq -e '[.services[] | select(.name | test("^(web|udp)[0-9]$"))
            | .backends[].health] | all(. == "up")' \
        "$SB_DIR/body" > /dev/null
}
sb_wait_until all_healthy || sb_fail "backends never all healthy"
# When a dsrd was first in sync: its memory and descriptors are judged
# from then on, not while it still loads and connects.
ready() { echo "$(cat "$SB_DIR/dsrd.pid") $(date +%s.%N)" >> "$SB_DIR/ready"; }
ready

now() { date +%s.%N; }
# event START KIND TARGET: one line of $SB_DIR/events, ending now.
event() { echo "$1 $(now) $2 $3" >> "$SB_DIR/events"; }
counter() { ovs-appctl -t dsrd coverage/read-counter "$1"; }
switch_state() {
    sb_dump_flows
    sb_ofctl dump-groups br0 | sed 1d | sort
}

# A backend's HTTP or UDP servers (or both) die, stay dead 1 to 3 s, and
# come back.
backend_kill() {
    local i=$((1 + RANDOM % N)) what start
    what=$(shuf -n1 -e http udp both)
    start=$(now)
    case $what in http|both) sb_pkill "be$i" "http-backend\.py be$i " ;; esac
    case $what in udp|both) sb_pkill "be$i" "udp-backend\.py be$i " ;; esac
    sleep "$(shuf -n1 -e 1 1.5 2 2.5 3)"    # the outage's length
    case $what in
    http|both)
        # shellcheck disable=SC2086
        sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
            "be$i" "$SB_DIR/be$i.http.log" $TCP_PORTS
        sb_wait_listening "be$i" 8009 ;;
    esac
    case $what in udp|both) udp_start "$i" ;; esac
    event "$start" backend-kill "be$i/$what"
    sb_wait_until all_healthy
}

# dsrd killed while the writer writes; then, the writer paused, a second
# kill: the new dsrd must find the switch exactly as the old one left it
# and send nothing (flows and groups compared).
dsrd_kill() {
    local start before
    start=$(now)
    sb_kill_dsrd
    sb_start_dsrd ""
    sb_wait_until e2e_in_sync
    event "$start" dsrd-kill -
    touch "$SB_DIR/pause"
    sb_wait_until test -e "$SB_DIR/pause.ack"
    sb_wait_until e2e_in_sync
    before=$(switch_state)
    sb_kill_dsrd
    sb_start_dsrd ""
    sb_wait_until e2e_in_sync
    ready
    if [ "$(counter ofctrl_reconcile_clean)" = 1 ] \
            && [ "$(switch_state)" = "$before" ]; then
        echo "clean" >> "$SB_DIR/restarts"
    else
        echo "changed $(grep reconciled "$SB_DIR/dsrd.log" | tail -1)" \
            >> "$SB_DIR/restarts"
        diff <(echo "$before") <(switch_state) | head -5 >> "$SB_DIR/restarts"
    fi
    rm "$SB_DIR/pause"
}

vswitchd_restart() {
    local start connects
    start=$(now)
    connects=$(counter ofctrl_connect)
    sb_stop_vswitchd
    sb_start_vswitchd
    sb_wait_until sh -c "[ \$(ovs-appctl -t dsrd coverage/read-counter ofctrl_connect) -gt $connects ]"
    sb_wait_until e2e_in_sync
    sb_wait_until all_healthy
    # Probes sent while the switch was away fail up to their timeout
    # later (1 s), and backends may go down then, after the switch is
    # back: the restart's effects end once those have come and gone.
    sleep 1
    sb_wait_until all_healthy
    event "$start" vswitchd-restart -
}

# be4 gets a new MAC (a VM migrated) and says so with a gratuitous ARP,
# as hypervisors do; until dsrd finds it (it takes no unsolicited ARP:
# its refresh probes find it), be4's share of new flows is lost.
mac_change() {
    local start
    start=$(now)
    sb_exec "be$N" ip link set eth0 address "02:00:00:00:be:0$N"
    sb_exec "be$N" arping -q -U -c 2 -I eth0 "10.0.0.$((10 + N))" || true
    sb_wait_until sh -c "ovs-ofctl -O OpenFlow15 dump-flows br0 | grep >/dev/null '02:00:00:00:be:0$N->eth_dst'"
    event "$start" mac-change "be$N"
}

# dsrd's memory and descriptors, every second, for the slope.
sample() {
    local pid rss fds
    while [ -d "$SB_DIR" ] && [ ! -e "$SB_DIR/stop" ]; do
        if pid=$(cat "$SB_DIR/dsrd.pid" 2>/dev/null) \
                && rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) \
                && fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l) \
                && [ -n "$rss" ]; then
            echo "$(now) $pid $rss $fds" >> "$SB_DIR/samples"
        fi
        sleep 1
    done
}

: > "$SB_DIR/events"
: > "$SB_DIR/restarts"
sample &
sb_exec client python3 "$TOP_SRCDIR/tests/soak/traffic.py" "$VIP" \
    8000-8009 5300-5309 $((SOAK_SECONDS + 60)) 40 2 > "$SB_DIR/traffic" &
traffic=$!
ip netns exec "$SB_LB" python3 "$TOP_SRCDIR/tests/soak/writer.py" \
    "$API_URL" "$([ "${SOAK_WEIGHTS-1}" = 0 ] || seq -s, -f 'web%g' 0 9)" \
    "$(seq -s, -f '10.0.0.%g' 11 $((10 + N)))" \
    "$SB_DIR/stop" "$SB_DIR/pause" > "$SB_DIR/writes" &
writer=$!

# dsrd is killed only in the first 60 % of the run, so that the last
# dsrd lives long enough for its memory slope to mean something.
begin=$SECONDS
mac_done=
while [ $((SECONDS - begin)) -lt "$SOAK_SECONDS" ]; do
    elapsed=$(( (SECONDS - begin) * 10 / SOAK_SECONDS ))
    if [ -z "$mac_done" ] && [ "$elapsed" -ge 4 ]; then
        soak_event mac_change
        mac_done=1
    fi
    r=$((RANDOM % 100))
    if [ $r -lt 50 ]; then
        soak_event backend_kill
    elif [ $r -lt 80 ] && [ "$elapsed" -lt 6 ]; then
        soak_event dsrd_kill
    elif [ $r -lt 95 ]; then
        soak_event vswitchd_restart
    fi
    sleep "$(shuf -n1 -e 0.5 1 1.5 2)"     # calm between events
done
touch "$SB_DIR/stop"
wait "$writer"
sb_pkill client 'traffic\.py'
wait "$traffic"

. "$TOP_SRCDIR/tests/soak/verdict.sh"
soak_verdict
E2E_EXPECTED_LOG='.'    # the killed runs' logs are not checked
e2e_pass "chaos soak of $SOAK_SECONDS s"
