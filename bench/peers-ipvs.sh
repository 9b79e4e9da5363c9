#!/bin/bash
# DSR on the kernel datapath against IPVS in DR mode (issue 20, part 1's
# second peer), side by side in one run, inside the VM of make check-vm:
# these machines have neither the openvswitch nor the IPVS module, the
# VM's Debian kernel has both.  The VM emulates its CPU in software
# (qemu TCG), so only ratios between targets of the same run mean
# anything, and CPU time is not reported: both load balancers forward in
# softirq, which no process is charged for.
#
# The topology is bench/peers.sh's (a Linux bridge as the network, three
# nginx backends, the LB node with OVS one-armed and dsrd, one L2 DSR
# service), on the kernel datapath, and beside the LB node an IPVS node of
# its own ($SB_ID-ipvs): a DR virtual service on 10.0.0.5:80,
# round robin over the same backends, which hold 10.0.0.5 on lo as they
# hold the VIP (deploy/dsr-backend).  Both peers send replies straight
# from the backends to the client; both see only the client's packets.
#
# Workloads: wrk (SECONDS, CONNS connections) fetching 1 MiB, 10 KiB and
# 10-byte files; targets alternated run by run: direct to backend 1 (the
# baseline), DSR (the VIP), IPVS.  Per workload, median (min–max) of RUNS:
# requests/s at the client, bytes into each LB node per GB served, and DSR
# ÷ IPVS.
#
# usage: sudo bench/peers-ipvs.sh [BUILD_DIR] [RUNS] [SECONDS]
#        (defaults build-plain, 3, 5; CONNS=32.  BUILD_DIR must not be
#        under /tmp, which the VM lays its own file system over.)
set -e -o pipefail
# In the VM the script runs from a copy: PEERS_TOP says where it came from.
top=${PEERS_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
build=$(realpath "${1:-$top/build-plain}")
runs=${2:-3}
secs=${3:-5}

if [ -z "$VM_RUN" ]; then
    # On the host: boot the VM and run this script there.
    case $build in /tmp/*)
        echo "bench/peers-ipvs: $build is under /tmp, which the VM does not see" >&2
        exit 1 ;;
    esac
    for tool in wrk nginx ipvsadm; do
        command -v $tool > /dev/null || {
            echo "bench/peers-ipvs: needs $tool (apt-get install wrk nginx-light ipvsadm)" >&2
            exit 1
        }
    done
    [ -x "$build/controller/dsrd" ] \
        || { echo "bench/peers-ipvs: no $build/controller/dsrd" >&2; exit 1; }
    VM_TIMEOUT=${VM_TIMEOUT:-1800} VM_MEM=${VM_MEM:-2048} \
        "$top/tests/vm/run.sh" "$0" "PEERS_TOP=$top" "PEERS_BUILD=$build" \
        "PEERS_RUNS=$runs" "PEERS_SECS=$secs" "CONNS=${CONNS:-32}" \
        2>&1 | grep -v '^\[ *[0-9.]*\] '
    exit
fi

# In the VM.
build=$PEERS_BUILD runs=$PEERS_RUNS secs=$PEERS_SECS
conns=${CONNS:-32}
udp_resp=1024
export DSRD=$build/controller/dsrd DSR_DATAPATH=system
# shellcheck source=SCRIPTDIR/../deploy/sandbox.sh
. "$top/deploy/sandbox.sh"
sb_init dsr-peers-ipvs
# shellcheck source=SCRIPTDIR/peers-lib.sh
. "$top/bench/peers-lib.sh"
IPVS_IP=10.0.0.5
TARGETS="direct dsr ipvs"
lifetime=$(( (runs * 9 + 6) * (secs + 10) + 600 ))

peers_topology
peers_servers "$lifetime"
peers_dsrd
# The director's own address, and the VIP beside it: its ARP requests for
# the real servers must not come from the VIP, which they hold on lo and
# so ignore as a request from themselves.
peers_host ipvs 10.0.0.6/24
ip -n "$SB_ID-ipvs" addr add "$IPVS_IP/32" dev eth0
ip netns exec "$SB_ID-ipvs" sysctl -q -w net.ipv4.conf.all.arp_announce=2
i=1
for ip in $BACKENDS; do
    sb_exec "be$i" "$top/deploy/dsr-backend" setup "$IPVS_IP" > /dev/null
    i=$((i + 1))
done
ip netns exec "$SB_ID-ipvs" ipvsadm -A -t "$IPVS_IP:80" -s rr
for ip in $BACKENDS; do
    ip netns exec "$SB_ID-ipvs" ipvsadm -a -t "$IPVS_IP:80" -r "$ip:80" -g
done

# sample: "CLIENT_RX DSR_LB_RX IPVS_RX" in bytes.
sample() {
    local d=/sys/class/net
    echo "$(sb_exec client cat $d/eth0/statistics/rx_bytes)" \
         "$(ip netns exec "$SB_LB" cat $d/up0/statistics/rx_bytes)" \
         "$(sb_exec ipvs cat $d/eth0/statistics/rx_bytes)"
}

# run WORKLOAD TARGET: one run, appended to $SB_DIR/results in
# peers_run()'s layout (LB_RX the target's LB node; no TX, no CPU).
run() {
    local w=$1 t=$2 addr c0 l0 v0 c1 l1 v1 n s e lb
    case $t in
    direct) addr=${BACKENDS%% *} ;;
    dsr) addr=$VIP ;;
    ipvs) addr=$IPVS_IP ;;
    esac
    read -r c0 l0 v0 <<< "$(sample)"
    read -r n s e <<< "$(peers_wrk "http://$addr/$w")"
    read -r c1 l1 v1 <<< "$(sample)"
    lb=$((l1 - l0))
    [ "$t" != ipvs ] || lb=$((v1 - v0))
    echo "$w $t $n $s $((c1 - c0)) $lb 0 0 $e" >> "$SB_DIR/results"
    [ "$n" -gt 0 ] || sb_log "bench/peers-ipvs: $w through $t: no answers"
}

# Warm-up, not recorded: ARP, the datapath's flows, IPVS's first
# connections.
secs_run=$secs
secs=1
for t in $TARGETS; do
    run 10b "$t"
done
rm "$SB_DIR/results"
secs=$secs_run
for w in 1m 10k 10b; do
    for _ in $(seq 1 "$runs"); do
        for t in $TARGETS; do
            run "$w" "$t"
        done
    done
done
[ "$(wc -l < "$SB_DIR/results")" = $((runs * 9)) ] \
    || sb_fail "$(wc -l < "$SB_DIR/results") runs recorded, not $((runs * 9))"
# IPVS took the connections it was sent (its counters, not only wrk's).
ip netns exec "$SB_ID-ipvs" ipvsadm -Ln --stats | sed -n '3,$p'

echo "DSR (OVS kernel datapath, dsrd) against IPVS DR (ipvsadm -g), in a VM" \
     "under software emulation: ratios only; wrk -t1 -c$conns -d${secs}s;" \
     "median (min–max) of $runs runs"
for w in 1m 10k 10b; do
    echo
    echo "== $(peers_size "$w") responses (GET /$w)"
    peers_line "" "direct (baseline)" DSR IPVS "DSR ÷ IPVS" "DSR ÷ direct"
    peers_line "requests/s" "$(peers_cell "$w" direct "$RPS")" \
        "$(peers_cell "$w" dsr "$RPS")" "$(peers_cell "$w" ipvs "$RPS")" \
        "$(peers_ratio "$w" dsr ipvs "$RPS")" \
        "$(peers_ratio "$w" dsr direct "$RPS")"
    peers_line "LB in, MB per GB served" "" "$(peers_cell "$w" dsr "$LB_IN")" \
        "$(peers_cell "$w" ipvs "$LB_IN")" "$(peers_ratio "$w" dsr ipvs "$LB_IN")"
    peers_line "errors (all runs)" "$(peers_errors "$w" direct)" \
        "$(peers_errors "$w" dsr)" "$(peers_errors "$w" ipvs)"
done
sb_stop_dsrd
