#!/bin/bash
# ovs-vswitchd restarts: dsrd notices, reprograms the bridge, and traffic
# flows again without restarting dsrd.  Also: flows stay while dsrd is
# down (fail_mode=secure), and dsrd exits cleanly on request.
. "$(dirname "$0")/lib.sh"

e2e_setup ovs-restart 2
e2e_http_backends 2 80
e2e_web_service 2
e2e_curl "http://$VIP/?[1-20]" > "$SB_DIR/answers"
[ "$(grep -c '^be' "$SB_DIR/answers")" = 20 ] || sb_fail "before restart"
sb_dump_flows > "$SB_DIR/flows.before"

# dsrd turns off the userspace conntrack's TCP sequence checks (one-way
# pins) after every connection to a local ovs-vswitchd, whose fresh start
# turns them on again.  The kernel datapath's are a sysctl.
seq_checks_off() {
    ovs-appctl dpctl/ct-get-tcp-seq-chk netdev@ovs-netdev \
        | grep >/dev/null 'TCP sequence checking: disabled'
}
if [ "$DSR_DATAPATH" != system ]; then
    sb_wait_until seq_checks_off || sb_fail "TCP sequence checks still on"
fi

E2E_EXPECTED_LOG='rconn\|WARN\|br0: connection (failed|dropped)'
sb_stop_vswitchd
sb_start_vswitchd
start=$(date +%s%N)
# Short attempts, each a fresh SYN: a lost SYN is only retried after 1 s.
SB_WAIT=20 sb_wait_until e2e_curl --max-time 0.1 "http://$VIP/" -o /dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "traffic flows again $ms ms after ovs-vswitchd started"
e2e_curl "http://$VIP/?[1-20]" > "$SB_DIR/answers"
[ "$(grep -c '^be' "$SB_DIR/answers")" = 20 ] || sb_fail "after restart"
sb_dump_flows > "$SB_DIR/flows.after"
diff -u "$SB_DIR/flows.before" "$SB_DIR/flows.after" \
    || sb_fail "the reprogrammed pipeline differs"
[ "$(ovs-appctl -t dsrd coverage/read-counter ofctrl_connect)" = 2 ] \
    || sb_fail "dsrd did not count the reconnection"
if [ "$DSR_DATAPATH" != system ]; then
    sb_wait_until seq_checks_off \
        || sb_fail "TCP sequence checks on after ovs-vswitchd restarted"
fi

# dsrd gone: the data plane keeps forwarding with the flows it left.
sb_stop_dsrd
e2e_curl "http://$VIP/?[1-10]" > "$SB_DIR/answers"
[ "$(grep -c '^be' "$SB_DIR/answers")" = 10 ] || sb_fail "without dsrd"

e2e_pass "ovs-vswitchd restart"
