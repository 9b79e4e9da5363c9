#!/bin/bash
# DSR against a proxying load balancer, side by side in one run (issue 20,
# part 1): what reaches the load balancer, what it costs, and what the
# client gets.
#
# The network is a Linux bridge (namespace $SB_ID-net) with a client, three
# nginx backends (sendfile, keep-alive; the VIP on lo, deploy/dsr-backend)
# and the load-balancer node on it, as in production.  The LB node's
# namespace holds OVS (userspace datapath, private ovsdb-server and
# ovs-vswitchd) one-armed on the bridge through up0, with dsrd and one L2
# DSR service for HTTP and one for UDP on the VIP (health checks on): the
# client's packets come in on up0 and go back out of it to a backend's
# MAC, and the replies go from the backend to the client over the bridge.
# On a second link of the same node, hap0, HAProxy (mode tcp, a full proxy)
# listens on its own address with the same three backends (real IPs).
#
# Workloads: wrk (SECONDS, CONNS connections) fetching 1 MiB, 10 KiB and
# 10-byte files, and UDP request/response (bench/peers_udp.py: WINDOW
# requests outstanding, UDP_REQ bytes each, answers of UDP_RESP bytes; one
# client socket, so one backend).  Targets, alternated run by run so that
# noise spreads evenly: direct to backend 1's real IP (the baseline),
# DSR (the VIP), HAProxy (not for UDP: it cannot proxy UDP).
#
# Per workload and target, median (min–max) of RUNS: requests/s and bytes/s
# at the client; bytes into and out of the LB node (its links up0 and hap0,
# kernel counters) per GB the client received (its eth0's bytes, headers
# included); CPU of the LB node's processes (user + system, every thread,
# /proc/PID/stat) per GB and per 10,000 requests: ovs-vswitchd + dsrd for
# DSR, haproxy for HAProxy, all of them for direct (the LB idle, the
# floor).  Then DSR ÷ HAProxy and DSR ÷ direct, the sources' claims and
# issue 20's goals.  tcpdump counts the packets from the VIP (DSR
# replies) that entered the LB node over the whole run: 0 expected (a
# control ping from the VIP at the end shows that it would see them).
#
# LB_CPUS=LIST pins the LB node's processes to those CPUs (taskset) and
# gives HAProxy as many threads, to model a node of that size.
#
# usage: sudo bench/peers.sh [BUILD_DIR] [RUNS] [SECONDS]
#        (defaults build-plain, 3, 5; CONNS=32 WINDOW=32 UDP_REQ=64
#        UDP_RESP=1024)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$top/build-plain}")
runs=${2:-3}
secs=${3:-5}
conns=${CONNS:-32}
window=${WINDOW:-32}
udp_req=${UDP_REQ:-64}
udp_resp=${UDP_RESP:-1024}
hz=$(getconf CLK_TCK)
for tool in wrk nginx haproxy tcpdump ethtool python3; do
    command -v $tool > /dev/null || {
        echo "bench/peers: needs $tool (apt-get install wrk nginx-light haproxy tcpdump ethtool)" >&2
        exit 1
    }
done
[ -x "$build/controller/dsrd" ] \
    || { echo "bench/peers: no $build/controller/dsrd" >&2; exit 1; }

export DSRD=$build/controller/dsrd
# The userspace datapath: its forwarding is ovs-vswitchd's CPU time, which
# the kernel datapath's (softirq, no process) would not show.
export DSR_DATAPATH=userspace
# shellcheck source=SCRIPTDIR/../deploy/sandbox.sh
. "$top/deploy/sandbox.sh"
sb_init dsr-peers
# shellcheck source=SCRIPTDIR/peers-lib.sh
. "$top/bench/peers-lib.sh"

WORKLOADS="1m 10k 10b udp"
TARGETS="direct dsr haproxy"
# Everything started below ends by itself too: the UDP responders and
# tcpdump after this many seconds (the whole run, with room to spare).
lifetime=$(( (runs * 11 + 8) * (secs + 5) + 300 ))

peers_topology
peers_servers "$lifetime"
peers_dsrd
peers_haproxy
if [ -n "$LB_CPUS" ]; then
    for pid in $(cat "$SB_DIR/ovsdb-server.pid") $(peers_pids_dsr) \
               $(peers_pids_haproxy); do
        taskset -a -p -c "$LB_CPUS" "$pid" > /dev/null
    done
fi

# IP packets from the VIP entering the LB node on any link: DSR replies
# that did not bypass it.  Outgoing ones (-Q in), the real IPs' and ARP
# (OVS's answers for the VIP to the node's own kernel) do not count.
ip netns exec "$SB_LB" timeout -s INT "$lifetime" tcpdump -n -l \
    --immediate-mode -c 100000 -i any -Q in "ip and src host $VIP" \
    < /dev/null > "$SB_DIR/vip.txt" 2> "$SB_DIR/tcpdump.err" &
tcpdump_pid=$!
sb_wait_until grep -s 'listening on' "$SB_DIR/tcpdump.err" > /dev/null

# Warm-up, not recorded: ARP, megaflows, HAProxy's first checks.
secs_run=$secs
secs=1
for t in $TARGETS; do
    peers_run 10b "$t"
    [ "$t" = haproxy ] || peers_run udp "$t"
done
rm "$SB_DIR/results"
secs=$secs_run

for w in $WORKLOADS; do
    for _ in $(seq 1 "$runs"); do
        for t in $TARGETS; do
            [ "$w:$t" != udp:haproxy ] || continue
            peers_run "$w" "$t"
        done
    done
done
# (An error inside an arithmetic expansion ends the loop, not the script.)
[ "$(wc -l < "$SB_DIR/results")" = $((runs * 11)) ] \
    || sb_fail "$(wc -l < "$SB_DIR/results") runs recorded, not $((runs * 11))"

# The capture's control: a ping from the VIP to dsrd's address enters the
# LB node (and is dropped there: OVS answers ARP for the VIP), and must
# be seen, else "0 packets" below would mean nothing.
sb_exec be1 ping -n -q -c 1 -w 1 -I "$VIP" "$LB_IP" > /dev/null 2>&1 || true
sb_wait_until grep 'ICMP echo request' "$SB_DIR/vip.txt" > /dev/null \
    || sb_fail "tcpdump did not see the control packet from the VIP"
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
leaked=$(awk '/ IP / && !/ICMP echo request/ {n++} END {print n + 0}' \
             "$SB_DIR/vip.txt")

echo "DSR against HAProxy (mode tcp), $(nproc) cores; wrk -t1 -c$conns" \
     "-d${secs}s; UDP: $window outstanding, $udp_req-byte requests," \
     "$udp_resp-byte answers; median (min–max) of $runs runs${LB_CPUS:+; LB node on CPUs $LB_CPUS}"
echo "direct: to backend 1's real IP (the baseline: one backend of the" \
     "three); its LB figures are the LB node idle (all its processes)."
for w in 1m 10k 10b; do
    peers_table "$w" "$(peers_size "$w") responses (GET /$w)"
done
peers_table udp "UDP request/response ($udp_req B → $udp_resp B); HAProxy cannot proxy UDP: direct and DSR only"

echo
echo "DSR replies that entered the LB node: $leaked packets from the VIP" \
     "(tcpdump -Q in on all its links, every run; it saw the control ping)"
echo
echo "Claims (DSR's load balancer against a proxy's, measured: DSR ÷ HAProxy)"
for w in 1m 10k 10b; do
    r=$(peers_ratio "$w" dsr haproxy "$LB_IN")
    echo "  $(peers_pad 7 "$(peers_size "$w"):") bytes into the LB" \
         "$(peers_num "$(awk -v r="$r" 'BEGIN {if (r != "-") print (1 - r) * 100}')") % fewer" \
         "(Kemp: 87 % less traffic; Tula: 90 % or more less bandwidth);" \
         "requests/s $(peers_ratio "$w" dsr haproxy "$RPS")×" \
         "(Loadbalancer.org: 8× NAT mode for HTTP)"
done
echo "  (HAProxy is a full proxy, not NAT: Loadbalancer.org compares with" \
     "its NAT mode, not measured here)"
echo
echo "Goals (issue 20)"
peers_goal "1 MiB: bytes into the LB ≤ 1 % of bytes served (%)" \
    "$(awk -v v="$(peers_med 1m dsr "$LB_IN")" 'BEGIN {if (v != "") print v / 10}')" "<=" 1
peers_goal "1 MiB: DSR's requests/s ≥ 3× HAProxy's (×)" \
    "$(peers_ratio 1m dsr haproxy "$RPS")" ">=" 3
for w in 1m 10k 10b; do
    peers_goal "$(peers_size "$w"): LB CPU per request ≤ 0.5× HAProxy's (×)" \
        "$(peers_ratio "$w" dsr haproxy "$CPU_10K")" "<=" 0.5
done
sb_stop_dsrd
