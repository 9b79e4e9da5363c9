#!/bin/bash
# A backend whose MAC changes (VM migrated, NIC replaced) is found again:
# its bucket gets the new MAC and traffic reaches it.
. "$(dirname "$0")/lib.sh"

e2e_setup mac-change 2
e2e_http_backends 2 80
e2e_web_service 2 '.hash = "source-ip"' '.backends = [.backends[1]]'
sb_exec be2 ip link set eth0 address 02:00:00:00:be:02
start=$(date +%s%N)
has_new_mac() { sb_ofctl dump-flows br0 | grep >/dev/null "02:00:00:00:be:02->eth_dst"; }
SB_WAIT=15 sb_wait_until has_new_mac
echo "new MAC in the flows $(( ($(date +%s%N) - start) / 1000000 )) ms after the change"
e2e_curl "http://$VIP/?[1-5]" | grep -c '^be2$' | grep >/dev/null '^5$' \
    || sb_fail "no traffic to the backend with its new MAC"

# The same while dsrd is away: the restarted dsrd takes the old MAC from
# the switch's flows, checks it at once with unicast probes, and the
# broadcasts that follow the unanswered ones find the new MAC.
sb_stop_dsrd
sb_exec be2 ip link set eth0 address 02:00:00:00:be:03
sb_start_dsrd ""
has_newer_mac() { sb_ofctl dump-flows br0 | grep >/dev/null "02:00:00:00:be:03->eth_dst"; }
SB_WAIT=15 sb_wait_until has_newer_mac || sb_fail "the MAC changed while dsrd was away was not found"
e2e_curl "http://$VIP/?[1-5]" | grep -c '^be2$' | grep >/dev/null '^5$' \
    || sb_fail "no traffic to the backend with the MAC it took while dsrd was away"
e2e_pass "backend MAC change"
