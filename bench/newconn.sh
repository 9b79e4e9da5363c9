#!/bin/bash
# New connections per second through a DSR service, against plain OVS
# forwarding measured in the same run with the same generator.
#
# bench/newconn-gen sends TCP SYNs (or UDP datagrams), every one a new
# 5-tuple, from the client namespace for SECONDS at full speed:
#   plain: to an address behind backend 1, switched by the bridge's NORMAL
#          flow (no dsrd classifier, conntrack or group on the path);
#   dsr:   to the VIP: classifier, conntrack lookup, dp_hash slot group,
#          conntrack commit, backend MAC, delivery.
# What arrives is counted on the backends' interfaces (nothing there owns
# the destination address, so the kernel drops it without answering and
# no reply traffic competes).  Upcalls are the datapath's "missed"
# lookups over the run.  Runs alternate plain/dsr; medians are printed.
#
# usage: sudo bench/newconn.sh [BUILD_DIR] [RUNS] [SECONDS] [tcp|udp]
#                              [pin|nopin]
#        (defaults: build-plain, 5, 5, tcp, pin: the service's
#        pin_connections)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
runs=${2:-5}
seconds=${3:-5}
proto=${4:-tcp}
pin=${5:-pin}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-newconn
VIP=10.0.0.100
SERVICE_MAC=02:d5:d5:00:00:01

sb_start_ovs
sb_add_host client 10.0.0.2/24
for i in 1 2 3 4; do
    sb_add_host "be$i" "10.0.0.1$i/24"
done
cat > "$SB_DIR/dsrd.json" <<EOF
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [{"name": "gen", "vip": "$VIP", "protocol": "$proto",
               "port": 9, "pin_connections": $([ "$pin" = pin ] && echo true || echo false),
               "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"},
                            {"ip": "10.0.0.13"}, {"ip": "10.0.0.14"}]}]}
EOF
sb_start_dsrd "$SB_DIR/dsrd.json"
# The bridge learns where backend 1 is; dsrd resolves every backend.
sb_exec be1 ping -c 2 -W 2 10.0.0.2 > /dev/null || true
be1_mac=$(sb_exec be1 cat /sys/class/net/eth0/address)
groups_ready() {
    [ "$(ovs-ofctl -O OpenFlow15 dump-groups br0 | grep -o 'reg1' | wc -l)" \
      = 256 ]
}
sb_wait_until groups_ready

delivered() {
    local total=0 i
    for i in 1 2 3 4; do
        total=$((total + $(sb_exec "be$i" cat \
                           /sys/class/net/eth0/statistics/rx_packets)))
    done
    echo $total
}
missed() {
    ovs-appctl dpctl/show | sed -n 's/.*missed:\([0-9]*\).*/\1/p'
}

# measure KIND DST_MAC DST_IP: prints "rate upcalls sent"
measure() {
    local before upcalls0 out
    ovs-appctl dpctl/flush-conntrack
    sleep 1
    before=$(delivered)
    upcalls0=$(missed)
    out=$(sb_exec client "$build/bench/newconn-gen" eth0 "$2" "$3" 9 \
          "$seconds" 0 "$proto")
    sleep 0.5
    echo "$(( ($(delivered) - before) / seconds )) $(( $(missed) - upcalls0 ))" \
         "$(echo "$out" | sed -n 's/.*: \([0-9]*\)\/s.*/\1/p')"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

: > "$SB_DIR/plain"
: > "$SB_DIR/dsr"
for run in $(seq 1 "$runs"); do
    measure plain "$be1_mac" 10.0.0.200 >> "$SB_DIR/plain"
    measure dsr "$SERVICE_MAC" "$VIP" >> "$SB_DIR/dsr"
    echo "run $run: plain $(tail -1 "$SB_DIR/plain"), dsr $(tail -1 "$SB_DIR/dsr")" >&2
done
ct=$(ovs-appctl dpctl/dump-conntrack zone=54741 | wc -l)

plain=$(cut -d' ' -f1 "$SB_DIR/plain" | median)
dsr=$(cut -d' ' -f1 "$SB_DIR/dsr" | median)
printf '\nnew %s connections/s (%s), median of %s runs of %s s (every packet a new 5-tuple)\n' \
    "$proto" "$pin" "$runs" "$seconds"
printf '%-8s %12s %14s %12s\n' path delivered/s upcalls/run offered/s
printf '%-8s %12s %14s %12s\n' plain "$plain" \
    "$(cut -d' ' -f2 "$SB_DIR/plain" | median)" \
    "$(cut -d' ' -f3 "$SB_DIR/plain" | median)"
printf '%-8s %12s %14s %12s\n' dsr "$dsr" \
    "$(cut -d' ' -f2 "$SB_DIR/dsr" | median)" \
    "$(cut -d' ' -f3 "$SB_DIR/dsr" | median)"
awk -v d="$dsr" -v p="$plain" \
    'BEGIN {printf "ratio dsr/plain: %.2f (goal >= 0.80)\n", d / p}'
echo "conntrack entries of dsrd's zone after the last run: $ct"
