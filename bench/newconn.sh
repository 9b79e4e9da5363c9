#!/bin/bash
# New connections per second through a DSR service, against plain OVS
# forwarding measured in the same run with the same generator.
#
# bench/newconn-gen sends TCP SYNs (or UDP datagrams), every one a new
# 5-tuple, from the client namespace for SECONDS at full speed:
#   plain: to an address behind backend 1, switched by the bridge's NORMAL
#          flow (no dsrd classifier, conntrack or group on the path);
#   dsr:   to the VIP: classifier, conntrack lookup, dp_hash slot group,
#          conntrack commit, backend MAC, delivery;
#   floor: (with pins) to another address behind backend 1, by NORMAL
#          after the conntrack work a pinned connection cannot avoid, in
#          dsrd's zone: a SYN's commit (TCP), a lookup then a commit
#          (UDP).  What the datapath's conntrack costs, without dsrd's
#          classifier, group or backend flows.
# What arrives is counted on the backends' interfaces (nothing there owns
# the destination address, so the kernel drops it without answering and
# no reply traffic competes).  Upcalls are the datapath's "missed"
# lookups over the run.  Runs alternate plain/floor/dsr; medians are
# printed, and dsr/floor: how near dsrd's pipeline comes to the conntrack
# work it cannot avoid on this datapath.
#
# With FAMILY 6 the same runs go to an IPv6 service (and plain IPv6
# forwarding); with 46 both families alternate in one run, and the IPv6
# service's rate is also printed as a ratio to the IPv4 one's.
#
# HASH=5-tuple-cross-node (or source-ip) gives the service that hash
# instead of 5-tuple: ovs-vswitchd hashes each new 5-tuple in an upcall.
# WEIGHTS="1 2 3 4" gives the four backends those weights: shares that 256
# slots cannot give to 1 %, so the service gets a fine table, whose split
# slots' packets also walk table 25 (flows/README.md).
#
# usage: sudo [HASH=H] [WEIGHTS=W...] bench/newconn.sh [BUILD_DIR] [RUNS] [SECONDS]
#                              [tcp|udp] [pin|nopin] [4|6|46]
#        (defaults: build-plain, 5, 5, tcp, pin: the service's
#        pin_connections, 4)
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build-plain}" && pwd)
runs=${2:-5}
seconds=${3:-5}
proto=${4:-tcp}
pin=${5:-pin}
families=${6:-4}
export DSRD=$build/controller/dsrd
. "$top/deploy/sandbox.sh"
sb_init dsr-newconn
VIP=10.0.0.100
VIP6=2001:db8::100
SERVICE_MAC=02:d5:d5:00:00:01

sb_start_ovs
sb_add_host client 10.0.0.2/24
sb_exec client ip -6 addr add 2001:db8::2/64 dev eth0 nodad
for i in 1 2 3 4; do
    sb_add_host "be$i" "10.0.0.1$i/24"
    sb_exec "be$i" ip -6 addr add "2001:db8::1$i/64" dev eth0 nodad
done
# service FAMILY: one service, on VIP or VIP6, over the four backends.
service() {
    local vip=$VIP net=10.0.0.1
    [ "$1" = 4 ] || vip=$VIP6 net=2001:db8::1
    jq -n --arg f "$1" --arg vip "$vip" --arg net "$net" --arg p "$proto" \
        --argjson pins "$([ "$pin" = pin ] && echo true || echo false)" \
        --arg hash "${HASH:-5-tuple}" \
        --argjson w "[$(echo "${WEIGHTS:-100 100 100 100}" | tr ' ' ',')]" \
        '{name: "gen\($f)", vip: $vip, protocol: $p, port: 9,
          pin_connections: $pins, hash: $hash,
          backends: [range(1; 5) | {ip: "\($net)\(.)", weight: $w[. - 1]}]}'
}
fams=$(echo "$families" | grep -o .)
n_services=$(echo "$fams" | wc -l)
for f in $fams; do service "$f"; done \
    | jq -s --arg mac "$SERVICE_MAC" \
        '{bridges: [{name: "br0", mac: $mac}], services: .}' \
    > "$SB_DIR/dsrd.json"
sb_start_dsrd "$SB_DIR/dsrd.json"
# The bridge learns where backend 1 is; dsrd resolves every backend.
sb_exec be1 ping -c 2 -W 2 10.0.0.2 > /dev/null || true
be1_mac=$(sb_exec be1 cat /sys/class/net/eth0/address)
groups_ready() {
    [ "$(ovs-ofctl -O OpenFlow15 dump-groups br0 | grep -o 'resubmit' | wc -l)" \
      = $((256 * n_services)) ]
}
sb_wait_until groups_ready

# The floor's flows, the operator's (cookie 0: dsrd leaves them alone).
# With pins, dsrd's SYN is committed without a lookup; a UDP datagram is
# looked up, then committed with its backend in ct_mark.
floor_flows() {
    local zone=54741 commit
    commit="ct(commit,zone=$zone,exec(set_field:1->ct_mark)),NORMAL"
    if [ "$proto" = tcp ]; then
        echo "table=0,priority=500,tcp,nw_dst=10.0.0.201,actions=$commit"
        echo "table=0,priority=500,tcp6,ipv6_dst=2001:db8::201,actions=$commit"
    else
        echo "table=0,priority=500,udp,nw_dst=10.0.0.201,actions=ct(zone=$zone,table=40)"
        echo "table=0,priority=500,udp6,ipv6_dst=2001:db8::201,actions=ct(zone=$zone,table=40)"
        echo "table=40,priority=10,ct_state=+new+trk,ip,actions=$commit"
        echo "table=40,priority=10,ct_state=+new+trk,ipv6,actions=$commit"
        echo "table=40,priority=0,actions=NORMAL"
    fi
}
if [ "$pin" = pin ]; then
    floor_flows | ovs-ofctl -O OpenFlow15 add-flows br0 -
fi

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

for f in $fams; do
    : > "$SB_DIR/plain$f"
    : > "$SB_DIR/floor$f"
    : > "$SB_DIR/dsr$f"
done
for run in $(seq 1 "$runs"); do
    for f in $fams; do
        if [ "$f" = 4 ]; then
            net=10.0.0. vip=$VIP
        else
            net=2001:db8:: vip=$VIP6
        fi
        measure plain "$be1_mac" "${net}200" >> "$SB_DIR/plain$f"
        if [ "$pin" = pin ]; then
            measure floor "$be1_mac" "${net}201" >> "$SB_DIR/floor$f"
        fi
        measure dsr "$SERVICE_MAC" "$vip" >> "$SB_DIR/dsr$f"
        echo "run $run: IPv$f plain $(tail -1 "$SB_DIR/plain$f")," \
             "floor $(tail -1 "$SB_DIR/floor$f"), dsr $(tail -1 "$SB_DIR/dsr$f")" >&2
    done
done
ct=$(ovs-appctl dpctl/dump-conntrack zone=54741 | wc -l)

printf '\nnew %s connections/s (%s, hash %s), median of %s runs of %s s (every packet a new 5-tuple)\n' \
    "$proto" "$pin" "${HASH:-5-tuple}" "$runs" "$seconds"
printf '%-8s %12s %14s %12s\n' path delivered/s upcalls/run offered/s
row() {   # row NAME FILE
    printf '%-8s %12s %14s %12s\n' "$1" "$(cut -d' ' -f1 "$2" | median)" \
        "$(cut -d' ' -f2 "$2" | median)" "$(cut -d' ' -f3 "$2" | median)"
}
for f in $fams; do
    suffix=$([ "$families" = 4 ] || echo "$f")
    row "plain$suffix" "$SB_DIR/plain$f"
    [ "$pin" != pin ] || row "floor$suffix" "$SB_DIR/floor$f"
    row "dsr$suffix" "$SB_DIR/dsr$f"
done
for f in $fams; do
    plain=$(cut -d' ' -f1 "$SB_DIR/plain$f" | median)
    dsr=$(cut -d' ' -f1 "$SB_DIR/dsr$f" | median)
    sfx=$([ "$families" = 4 ] || echo "$f")
    awk -v d="$dsr" -v p="$plain" -v f="$sfx" \
        'BEGIN {printf "ratio dsr%s/plain%s: %.2f (goal >= 0.80)\n", f, f, d / p}'
    if [ "$pin" = pin ]; then
        floor=$(cut -d' ' -f1 "$SB_DIR/floor$f" | median)
        awk -v d="$dsr" -v p="$plain" -v c="$floor" -v f="$sfx" 'BEGIN {
            printf "ratio floor%s/plain%s: %.2f (conntrack alone)\n", f, f, c / p
            printf "ratio dsr%s/floor%s: %.2f (dsrd above the conntrack floor)\n", f, f, d / c
        }'
    fi
done
if [ "$families" = 46 ]; then
    # Per run, IPv6 over IPv4 (the runs alternate, so each pair shares
    # the machine's state), then the median of those ratios.
    paste -d' ' "$SB_DIR/dsr6" "$SB_DIR/dsr4" \
        | awk '{print $1 / $4}' | median \
        | awk '{printf "ratio dsr6/dsr4 (paired by run): %.2f (goal >= 0.90)\n", $1}'
fi
echo "conntrack entries of dsrd's zone after the last run: $ct"
