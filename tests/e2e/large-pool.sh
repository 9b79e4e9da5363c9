#!/bin/bash
# A service of 1,000 backends (real addresses: 250 on each of four backend
# namespaces), balanced by a fine slot table (flows/README.md): each
# backend holds its share of the 65,536 entries to one entry, as read
# back from the switch; 20,000 new UDP flows reach every backend and each
# namespace in proportion, none lost; once the table's megaflows exist,
# new flows from another client address cost next to no upcalls; and a
# restarted dsrd finds the switch right.
. "$(dirname "$0")/lib.sh"

N=1000
PER_HOST=250
FLOWS=20000

e2e_setup large-pool 4
# Megaflows idle for up to a minute survive between the two rounds.
sb_vsctl set Open_vSwitch . other_config:max-idle=60000
e2e_pool_config $N $PER_HOST
sb_exec client ip addr add 10.0.0.3/24 dev eth0
sb_start_dsrd "$SB_DIR/dsrd.json"
# 1,000 ARP answers to learn, each reprogramming the pool's service.
start=$SECONDS
SB_WAIT=120 sb_wait_until e2e_dsrd_ready
echo "dsrd ready after $((SECONDS - start)) s"

# The switch's table: 256 buckets, a split slot's leaves in table 25.
sb_group_entries 1 > "$SB_DIR/entries"
held=$(wc -l < "$SB_DIR/entries")
read -r min max total < <(awk 'NR == 1 {min = max = $2}
    {t += $2; if ($2 < min) min = $2; if ($2 > max) max = $2}
    END {print min, max, t}' "$SB_DIR/entries")
echo "switch: $held backends hold entries, $min to $max of $total"
[ "$held" = $N ] || sb_fail "$held of $N backends hold entries"
[ "$total" = 65536 ] || sb_fail "the switch's table has $total entries"
[ "$min" -ge 65 ] && [ "$max" -le 66 ] \
    || sb_fail "entries per backend from $min to $max, not 65 or 66"

# delivered: datagrams delivered to the pool's backends, by their flows in
# table 22 (not the service's flow there that sends unpinned packets to
# the group).
delivered() {
    sb_ofctl dump-flows br0 "table=22,reg0=1" | grep -- 'reg1=' \
        | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' \
        | awk '{n += $1} END {print n + 0}'
}
# megaflows: the datapath's flows after the slot group's hash (they match
# dp_hash bits: a slot, and a split slot's path through table 25), one
# made by each upcall of a datagram that found none for its hash.  (The
# datapath's "missed" counter also counts the ARP answers to dsrd's
# neighbour refreshes, which come with time, not with datagrams: a slower
# round counted about 760 more of them.)
megaflows() { ovs-appctl dpctl/dump-flows | awk '/dp_hash\(/ {n++} END {print n + 0}'; }

# send FROM: FLOWS datagrams from FROM, one per source port, CHUNK at a
# time, each chunk delivered before the next.  A chunk fits the socket
# buffer ovs-vswitchd reads its port from, so a switch slowed down by
# other work on the machine delays datagrams but cannot have the kernel
# drop them before it reads them: any datagram missing is lost by the
# switch.  (Batches of 2,000 at 5,000 a second lost 56 to the kernel with
# two CPU burners beside the test.)
CHUNK=200
send() {
    local from=$1 sent k pid
    sent=$(delivered)
    coproc SENDER { sb_exec client python3 -c '
import socket, sys
src, vip, n, chunk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for first in range(1024, 1024 + n, chunk):
    sys.stdin.readline()        # the last chunk was delivered
    for port in range(first, first + chunk):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((src, port))
            s.sendto(b"x", (vip, 9))
' "$from" "$VIP" "$FLOWS" "$CHUNK"; }
    pid=$SENDER_PID         # bash unsets it when the sender ends
    for ((k = 0; k < FLOWS / CHUNK; k++)); do
        echo go >&"${SENDER[1]}"
        sent=$((sent + CHUNK))
        sb_wait_stats "$sent" delivered
    done
    wait "$pid"
}

flows0=$(megaflows)
send "$CLIENT_IP"
flows1=$(megaflows)
send 10.0.0.3
flows2=$(megaflows)
[ "$(delivered)" = $((2 * FLOWS)) ] \
    || sb_fail "$(delivered) of $((2 * FLOWS)) datagrams delivered"

# Every backend got some; each namespace about a quarter.
sb_ofctl dump-flows br0 "table=22,reg0=1" \
    | sed -n 's/.*n_packets=\([0-9]*\),.*reg1=0xa01\(..\)\(..\).*/\2 \1/p' \
    > "$SB_DIR/by-backend"
[ "$(awk '$2 > 0' "$SB_DIR/by-backend" | wc -l)" = $N ] \
    || sb_fail "only $(awk '$2 > 0' "$SB_DIR/by-backend" | wc -l) of $N backends got datagrams"
awk '{n[$1] += $2} END {for (h in n) print h, n[h]}' "$SB_DIR/by-backend" \
    | sort > "$SB_DIR/by-host"
cat "$SB_DIR/by-host"
while read -r host n; do
    # A quarter of 40,000 is 10,000; binomial noise is about 90.
    [ "$n" -ge 9400 ] && [ "$n" -le 10600 ] \
        || sb_fail "host 10.1.$((16#$host)).0/24 got $n of $((2 * FLOWS))"
done < "$SB_DIR/by-host"

# A SIGKILLed dsrd, restarted, loads the fine table from its state file
# (ranges of entries) and reads the switch's 256 buckets and sub-slot
# trees back as right: one reconciliation, nothing sent.
subslot_flows=$(sb_dump_flows table=25 | wc -l)
e2e_restart_clean 120
echo "restart: the $subslot_flows sub-slot flows read back as right"

round1=$((flows1 - flows0))
round2=$((flows2 - flows1))
echo "upcalls: $round1 for the first $FLOWS new flows, $round2 for the next $FLOWS"
[ $((round2 * 20)) -le $FLOWS ] \
    || sb_fail "$round2 upcalls for $FLOWS new flows on warm megaflows"

e2e_pass "$N backends: $min to $max of 65,536 entries each, $((2 * FLOWS)) datagrams to all, $round2 upcalls for $FLOWS new flows"
