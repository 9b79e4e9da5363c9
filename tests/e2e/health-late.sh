#!/bin/bash
# A DSR-path probe answered in time counts even when dsrd looks late: the
# backend's SYN-ACK waits in dsrd's OpenFlow connection while dsrd is
# stopped past the probe's deadline, and dsrd, resumed, must read it before
# judging the probe.  It judged first once, so a stall of dsrd's own (a
# starved CPU, a long pass) took healthy backends down ("VIP not
# configured on backend").  fall = 1, so one false verdict shows.
. "$(dirname "$0")/lib.sh"

e2e_setup health-late 1 "$VIP"
sb_lb_address 10.0.0.5/24
e2e_http_backends 1 80
# One SYN-ACK per probe, so that the answers counted at the switch number
# the probes: while dsrd is stopped its RST comes late, and be1 would
# otherwise resend the SYN-ACK after a second.
sb_exec be1 sysctl -q -w net.ipv4.tcp_synack_retries=0

timeout_ms=500
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC", "probe_ip": "10.0.0.250"}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "tcp", "dsr": true, "interval_ms": 100,
                    "timeout_ms": $timeout_ms, "rise": 1, "fall": 1},
   "backends": [{"ip": "10.0.0.11"}]}]}
EOC

counter() { sb_dsrctl coverage/read-counter "$1"; }
counter_beyond() { [ "$(counter "$1")" -gt "$2" ]; }
answers() { sb_flow_packets "tcp,nw_dst=10.0.0.250"; }
answers_reach() { [ "$(answers)" -ge "$1" ]; }
now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
past() { [ "$(now_ms)" -gt "$1" ]; }
# Every thread of process $1 stopped (kill -STOP returns before they are).
all_stopped() {
    awk '{ sub(/.*\) /, ""); if ($1 != "T") n++ } END { exit n > 0 }' \
        /proc/"$1"/task/*/stat
}
stop_and_wait() { kill -STOP "$1"; sb_wait_until all_stopped "$1"; }

# Stops ovs-vswitchd between two probes: a probe caught with its SYN or
# its answer inside the stopped switch would fail at its deadline, and
# rightly.  Sets 'probes' (DSR-path probes sent, every one answered) and
# 'ended'; resumes the switch and returns 1 if a probe is in flight.
stop_switch_between_probes() {
    stop_and_wait "$vswitchd" || return 1
    probes=$(counter health_dsr_probe)
    ended=$(counter health_probe_ended)
    # Read after 'ended': equal, no probe started since 'probes' was read.
    [ "$(counter health_probe)" = "$ended" ] && return 0
    kill -CONT "$vswitchd"
    return 1
}

# Probes answered through the DSR path before any stall.
sb_wait_until counter_beyond health_dsr_probe 2 \
    || sb_fail "dsrd sends no DSR-path probes"
[ "$(counter health_dsr_failed)" = 0 ] \
    || sb_fail "a DSR-path probe failed before any stall: $(api GET /v1/status; cat "$SB_DIR/body")"

vswitchd=$(cat "$SB_DIR/ovs-vswitchd.pid")
dsrd=$(cat "$SB_DIR/dsrd.pid")
rounds=3
for round in $(seq 1 $rounds); do
    # A probe that OVS holds (stopped) until dsrd is stopped too.
    sb_wait_until stop_switch_between_probes \
        || sb_fail "round $round: no moment without a probe in flight"
    sb_wait_until counter_beyond health_dsr_probe "$probes" \
        || { kill -CONT "$vswitchd"; sb_fail "round $round: no probe sent"; }
    deadline=$(( $(now_ms) + timeout_ms ))  # the probe's, or later
    stop_and_wait "$dsrd"
    kill -CONT "$vswitchd"
    # The backend answered it: the SYN-ACK went to dsrd, which sleeps.
    sb_wait_until answers_reach $((probes + 1)) \
        || { kill -CONT "$dsrd"; sb_fail "round $round: probe $((probes + 1)) was not answered: $(answers) answers"; }
    # The stall under test: dsrd wakes after the probe's deadline.
    sb_wait_until past "$deadline"
    kill -CONT "$dsrd"
    sb_wait_until counter_beyond health_probe_ended "$ended" \
        || sb_fail "round $round: dsrd did not judge the probe after the stall"
done

failed=$(counter health_dsr_failed)
down=$(counter health_down)
[ "$failed" = 0 ] && [ "$down" = 0 ] \
    || sb_fail "$failed DSR-path probes failed and the backend went down $down times after $rounds stalls: $(grep 'is down' "$SB_DIR/dsrd.log")"
[ "$(e2e_backend_health web 10.0.0.11)" = "up " ] \
    || sb_fail "be1 is $(e2e_backend_health web 10.0.0.11)"
e2e_pass "$rounds stalls of dsrd past a DSR-path probe's deadline, 0 false downs"
