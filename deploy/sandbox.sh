# shellcheck shell=bash
# A private OVS with hosts in network namespaces, for the demo and the
# end-to-end tests.  Source it, then:
#
#   sb_init NAME            unique names, a run directory, cleanup on exit
#   sb_start_ovs            ovsdb-server + ovs-vswitchd in namespace $SB_LB,
#                           bridge br0 (fail_mode=secure), on the datapath
#                           that $DSR_DATAPATH names (below)
#   sb_add_host H IP/LEN    namespace $SB_ID-H, eth0 = IP, on port H of br0
#   sb_add_backend H IP/LEN VIP...
#                           a host that owns the VIPs on lo, DSR-ready
#                           (deploy/dsr-backend setup)
#   sb_exec H CMD...        run CMD in host H's namespace
#   sb_spawn H CMD...       run CMD in the background there
#   sb_pkill H REGEX        kill what runs there whose command matches
#   sb_pids H REGEX         the processes there whose command matches
#   sb_lb_address IP/LEN    an address for the LB namespace on br0
#   sb_add_tunnel_host H IP/LEN GW LINK VIP...
#                           a backend host behind a router, with its own
#                           OVS decapsulating GRE for it (L3 DSR tests)
#   sb_start_dsrd CONFIG    dsrd in $SB_LB against br0
#   sb_start_store [ARGS]   a new 3-member clustered store (Raft) in $SB_LB
#                           for dsrd --db=$SB_STORE (deploy/cluster/)
#   sb_wait_until CMD...    poll CMD until it succeeds (10 s by default,
#                           every $SB_POLL seconds, 0.1 by default)
#   sb_wait_stats MIN CMD...
#                           poll CMD until it prints a count >= MIN
#                           (OpenFlow statistics lag the datapath's)
#
# Everything lives in namespaces named $SB_ID-*, and cleanup kills every
# process in them, so nothing is left behind even if a test fails.
#
# DSR_DATAPATH selects the OVS datapath (README.md, "Datapaths"):
#   userspace  (default) ovs-vswitchd, datapath_type=netdev, veths as
#              ordinary netdev ports
#   dpdk       ovs-vswitchd-dpdk (openvswitch-switch-dpdk) without
#              hugepages, each veth a DPDK net_af_packet port
#   system     the kernel datapath (needs the openvswitch module: this is
#              what tests/vm/ runs inside its VM)
#
# Inside the VM (tests/vm/e2e-guest.sh), dsrd runs on the host: with
# SB_VM_LINKS=1 the VM's links ctl0 and up0 move into $SB_LB (OVSDB and
# OpenFlow listen on ctl0 for the host; up0 joins br0 as port 100, the
# host's data link), and with SB_DSRD_AGENT=URL the dsrd functions below
# ask tests/vm/dsrd-agent.py on the host to do their work.

SB_TOP=${SB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SB_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SB_WAIT=${SB_WAIT:-10}
SB_HOSTS=()
DSR_DATAPATH=${DSR_DATAPATH:-userspace}
SB_DPDK_VSWITCHD=${SB_DPDK_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
case $DSR_DATAPATH in
userspace|dpdk|system) ;;
*) echo "DSR_DATAPATH=$DSR_DATAPATH: expected userspace, dpdk or system" >&2
   exit 1 ;;
esac

sb_log() { printf '%s\n' "$*" >&2; }
sb_fail() { sb_log "FAIL: $*"; exit 1; }

sb_init() {
    SB_ID=${1:-dsr}-$$
    SB_DIR=$(mktemp -d "/tmp/$SB_ID.XXXXXX")
    SB_LB=$SB_ID-lb
    export OVS_RUNDIR=$SB_DIR OVS_DBDIR=$SB_DIR OVS_LOGDIR=$SB_DIR \
           OVS_SYSCONFDIR=$SB_DIR OVS_PKGDATADIR=/usr/share/openvswitch
    trap sb_cleanup EXIT
    trap 'exit 130' INT TERM
}

sb_cleanup() {
    local status=$?
    local ns
    set +e
    trap - ERR
    if [ -n "$SB_DSRD_AGENT" ] && [ -d "$SB_DIR" ]; then
        sb_stop_dsrd 2>/dev/null
    fi
    if [ "$status" != 0 ] && [ -d "$SB_DIR" ]; then
        for log in "$SB_DIR"/*.log "$SB_DIR"/sanitizer.*; do
            [ -f "$log" ] || continue
            sb_log "---- last lines of $log"
            tail -n 25 "$log" >&2
        done
    fi
    for ns in $(ip netns list | awk '{print $1}' | grep "^$SB_ID-"); do
        ip netns pids "$ns" | xargs -r kill -9 2>/dev/null
        ip netns delete "$ns"
    done
    # DPDK's runtime directory (--file-prefix=$SB_ID), once its user is gone.
    rm -rf "/var/run/dpdk/$SB_ID"
    if [ -n "$SB_DIR" ] && [ -z "$SB_KEEP" ]; then
        rm -rf "$SB_DIR"
    fi
    exit "$status"
}

sb_wait_until() {
    local deadline=$((SECONDS + SB_WAIT))
    until "$@"; do
        if [ $SECONDS -ge $deadline ]; then
            sb_log "timed out after ${SB_WAIT}s waiting for: $*"
            return 1
        fi
        sleep "${SB_POLL:-0.1}"
    done
}

# sb_wait_stats MIN CMD...: waits until CMD prints a count of at least
# MIN.  OVS folds the datapath's statistics into OpenFlow's counters about
# once a second, so a counter is read only once it has caught up with the
# traffic a test sent; then the test checks its exact value.
sb_wait_stats() {
    local min=$1
    shift
    if ! sb_wait_until sb_count_reaches "$min" "$@" 2>/dev/null; then
        sb_log "timed out after ${SB_WAIT}s waiting for $* to reach $min:" \
               "it is at $("$@")"
        return 1
    fi
}

sb_count_reaches() {
    local min=$1 n
    shift
    n=$("$@") && [ "$n" -ge "$min" ]
}

sb_ofctl() { ovs-ofctl -O OpenFlow15 "$@"; }
# ovs-vsctl waits for ovs-vswitchd to apply the change; in the VM of make
# check-vm (software emulation) on a busy host that has taken over 10 s.
sb_vsctl() { ovs-vsctl --timeout=60 "$@"; }

sb_start_vswitchd() {
    local vswitchd=ovs-vswitchd
    [ "$DSR_DATAPATH" != dpdk ] || vswitchd=$SB_DPDK_VSWITCHD
    ip netns exec "$SB_LB" "$vswitchd" "unix:$SB_DIR/db.sock" \
        --pidfile="$SB_DIR/ovs-vswitchd.pid" \
        --log-file="$SB_DIR/ovs-vswitchd.log" -vconsole:off --detach
    if [ "$DSR_DATAPATH" = dpdk ]; then
        # ovs-appctl finds ovs-vswitchd.PID.ctl; this one is named after
        # its program, ovs-vswitchd-dpdk.
        local pid
        pid=$(cat "$SB_DIR/ovs-vswitchd.pid")
        ln -sf "ovs-vswitchd-dpdk.$pid.ctl" "$SB_DIR/ovs-vswitchd.$pid.ctl"
    fi
}

sb_stop_vswitchd() {
    local pid
    pid=$(cat "$SB_DIR/ovs-vswitchd.pid" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null
    sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
}

sb_start_ovs() {
    ip netns add "$SB_LB"
    ip -n "$SB_LB" link set lo up
    local remote=
    if [ -n "$SB_VM_LINKS" ]; then
        sb_vm_links
        remote=--remote=ptcp:6640
    fi
    ovsdb-tool create "$SB_DIR/conf.db" \
        /usr/share/openvswitch/vswitch.ovsschema
    ip netns exec "$SB_LB" ovsdb-server "$SB_DIR/conf.db" \
        --remote="punix:$SB_DIR/db.sock" $remote \
        --pidfile="$SB_DIR/ovsdb-server.pid" \
        --log-file="$SB_DIR/ovsdb-server.log" -vconsole:off --detach
    sb_vsctl --no-wait init
    local dp_type=netdev
    case $DSR_DATAPATH in
    dpdk)
        # No hugepages, no PCI, nothing shared with other DPDK processes;
        # the PMD thread sleeps up to 10 ms when idle instead of spinning
        # a core (ovs-facts.md, "DPDK datapath").
        sb_vsctl --no-wait set Open_vSwitch . \
            other_config:dpdk-init=true \
            other_config:dpdk-extra="--no-huge -m 128 --legacy-mem --no-shconf --no-pci --file-prefix=$SB_ID --no-telemetry" \
            other_config:pmd-maxsleep=10000
        ;;
    system) dp_type=system ;;
    esac
    sb_start_vswitchd
    sb_vsctl add-br br0 \
        -- set bridge br0 datapath_type=$dp_type fail_mode=secure \
           protocols=OpenFlow10,OpenFlow13,OpenFlow15
    if [ -n "$SB_VM_LINKS" ]; then
        # dsrd on the host connects through qemu's port forwarding.
        sb_vsctl set-controller br0 ptcp:6653 \
            -- set controller br0 connection-mode=out-of-band \
            -- add-port br0 up0 -- set interface up0 ofport_request=100
    fi
    if [ "$DSR_DATAPATH" = dpdk ] && ! sb_vsctl get Open_vSwitch . \
            dpdk_initialized | grep >/dev/null true; then
        sb_fail "DPDK did not initialize: $(grep -i dpdk "$SB_DIR/ovs-vswitchd.log" | tail -3)"
    fi
}

# The VM's links into $SB_LB (SB_VM_LINKS above).  They come back to the
# root namespace when it is deleted, a moment after the previous test.
sb_vm_links() {
    sb_wait_until ip link show up0 > /dev/null 2>&1
    sb_wait_until ip link show ctl0 > /dev/null 2>&1
    ip link set ctl0 netns "$SB_LB"
    ip link set up0 netns "$SB_LB"
    ip -n "$SB_LB" addr add 10.0.2.15/24 dev ctl0
    ip -n "$SB_LB" link set ctl0 up
    ip -n "$SB_LB" link set up0 arp off up
}

# sb_agent PATH [CURL ARGS]: a request to the host's dsrd agent.
sb_agent() {
    local path=$1
    shift
    ip netns exec "$SB_LB" curl -sS --fail-with-body --max-time 60 \
        -H "X-Sandbox: $SB_ID" "$@" "$SB_DSRD_AGENT$path"
}

# sb_lb_address IP/LEN [FLAG...]: gives the load balancer's own namespace
# (where dsrd runs) an address on the bridge's internal port, as an LB
# host has, so that health checks reach the backends' real IPs ("nodad"
# for IPv6).  With dsrd on the VM's host, the host's data link gets it.
sb_lb_address() {
    if [ -n "$SB_DSRD_AGENT" ]; then
        sb_agent /address --data-binary "$*" > /dev/null
        return
    fi
    ip -n "$SB_LB" addr add "$@" dev br0
    ip -n "$SB_LB" link set br0 up
    ip netns exec "$SB_LB" ethtool -K br0 tx off >/dev/null 2>&1 || true
}

# Port numbers follow the order hosts are added: 1, 2, ...
sb_add_host() {
    local name=$1 addr=$2 ns=$SB_ID-$1
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$SB_LB" link add "$name" type veth peer name eth0 netns "$ns"
    # The userspace datapath does not complete partial checksums.
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
    ip netns exec "$SB_LB" ethtool -K "$name" tx off >/dev/null
    ip -n "$SB_LB" link set "$name" arp off up
    ip -n "$ns" addr add "$addr" dev eth0
    ip -n "$ns" link set eth0 up
    SB_HOSTS+=("$name")
    local n=${#SB_HOSTS[@]} type=
    if [ "$DSR_DATAPATH" = dpdk ]; then
        # A DPDK port reading and writing the veth through AF_PACKET.
        type="type=dpdk options:dpdk-devargs=net_af_packet$n,iface=$name"
    fi
    # shellcheck disable=SC2086
    sb_vsctl add-port br0 "$name" \
        -- set interface "$name" ofport_request=$n $type
}

# A DSR backend: the VIPs on lo, and the ARP settings that keep it from
# answering for them, by deploy/dsr-backend as on real hosts.
sb_add_backend() {
    local name=$1 addr=$2
    shift 2
    sb_add_host "$name" "$addr"
    [ $# = 0 ] || sb_exec "$name" "$SB_TOP/deploy/dsr-backend" setup "$@"
}

sb_exec() {
    local name=$1
    shift
    ip netns exec "$SB_ID-$name" "$@"
}

# sb_spawn H CMD...: runs CMD in the background in host H's namespace,
# output to $SB_DIR/H.out; cleanup kills it with the namespace's processes.
sb_spawn() {
    local name=$1
    shift
    ip netns exec "$SB_ID-$name" "$@" < /dev/null >> "$SB_DIR/$name.out" 2>&1 &
    disown
}

# sb_pids H REGEX: the processes in host H's namespace whose command line
# matches REGEX (grep -E), and no others: "pgrep -f" would also find
# same-named servers of other sandboxes running at the same time.
sb_pids() {
    local pid
    for pid in $(ip netns pids "$SB_ID-$1"); do
        if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null \
                | grep -E >/dev/null -- "$2"; then
            echo "$pid"
        fi
    done
}

# sb_pkill H REGEX: kills those processes.  Fails if there was none.
sb_pkill() {
    local pid found=1
    for pid in $(sb_pids "$1" "$2"); do
        kill "$pid" 2>/dev/null && found=0
    done
    return $found
}

# sb_wait_listening H PORT [t|u] [4|6]: waits until host H listens on TCP
# (t, the default) or UDP (u) PORT, of either family or of the one given.
# (By family, not by "[::]": ss prints a wildcard IPv6 socket as "*" where
# the kernel does not report it v6-only, as in the VM of make check-vm.)
sb_wait_listening() {
    sb_wait_until sb_exec "$1" sh -c "ss -Hl${3:-t}n${4:-} | grep >/dev/null ':$2 '"
}

# Sanitizer reports (builds with --enable-sanitizers) go to
# $SB_DIR/sanitizer.PID, where sb_check_sanitizers finds them.
sb_start_dsrd() {
    local config=${1:+--config=$1}
    if [ -n "$SB_DSRD_AGENT" ]; then
        jq -n --rawfile config "${1:-/dev/null}" --arg args "${SB_DSRD_ARGS:-}" \
            '{config: $config, args: $args}' \
            | sb_agent /start --data-binary @- >&2
        return
    fi
    ASAN_OPTIONS=log_path=$SB_DIR/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
    UBSAN_OPTIONS=log_path=$SB_DIR/sanitizer:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS} \
    ip netns exec "$SB_LB" "${DSRD:-$SB_TOP/controller/dsrd}" \
        $config --pidfile="$SB_DIR/dsrd.pid" \
        --log-file="$SB_DIR/dsrd.log" \
        -vconsole:off --detach ${SB_DSRD_ARGS:-}
}

# The clustered store (deploy/cluster/README.md): members 1 to 3 in $SB_LB,
# Raft on tcp:127.0.0.1:6641..6643, clients on unix:$SB_DIR/sN.sock.
# sb_store_member N [ARGS...]: starts member N (again), ARGS added.
sb_store_member() {
    local i=$1
    shift
    ip netns exec "$SB_LB" ovsdb-server "$SB_DIR/s$i.db" \
        --remote="punix:$SB_DIR/s$i.sock" --pidfile="$SB_DIR/s$i.pid" \
        --unixctl="$SB_DIR/s$i.ctl" --log-file="$SB_DIR/s$i.log" \
        -vconsole:off --detach "$@"
}
# sb_store_role N: leader, follower or candidate.
sb_store_role() {
    ovs-appctl -t "$SB_DIR/s$1.ctl" cluster/status OVS_DSR 2>/dev/null \
        | sed -n 's/^Role: //p'
}
# sb_store_leader: the number of the leader, if there is one.
sb_store_leader() {
    local i
    for i in 1 2 3; do
        sb_store_role $i | grep >/dev/null leader && { echo $i; return; }
    done
    return 1
}
# sb_start_store [ARGS...]: a new store with a leader elected, ARGS given
# to every member; $SB_STORE is what dsrd --db takes.
sb_start_store() {
    local i
    rm -f "$SB_DIR"/s[123].db
    ovsdb-tool create-cluster "$SB_DIR/s1.db" \
        "$SB_SRCDIR/schemas/ovs-dsr.ovsschema" tcp:127.0.0.1:6641
    for i in 2 3; do
        ovsdb-tool join-cluster "$SB_DIR/s$i.db" OVS_DSR \
            "tcp:127.0.0.1:664$i" tcp:127.0.0.1:6641
    done
    for i in 1 2 3; do
        sb_store_member $i "$@"
    done
    sb_wait_until sb_store_leader > /dev/null
    SB_STORE=unix:$SB_DIR/s1.sock,unix:$SB_DIR/s2.sock,unix:$SB_DIR/s3.sock
}

sb_dsrctl() {
    if [ -n "$SB_DSRD_AGENT" ]; then
        jq -n '$ARGS.positional' --args "$@" \
            | sb_agent /appctl --data-binary @-
        return
    fi
    ovs-appctl -t dsrd "$@"
}

# Stops dsrd through its control socket and waits until it is gone, so a
# sanitizer build gets to run its leak check.
sb_stop_dsrd() {
    local pid
    if [ -n "$SB_DSRD_AGENT" ]; then
        # Stopped there; its log and sanitizer reports come here, where
        # the checks below look for them.
        sb_agent /stop -X POST > /dev/null
        sb_agent /file/dsrd.log > "$SB_DIR/dsrd.log" \
            || rm -f "$SB_DIR/dsrd.log"
        sb_agent /file/sanitizers > "$SB_DIR/sanitizer.host"
        [ -s "$SB_DIR/sanitizer.host" ] || rm -f "$SB_DIR/sanitizer.host"
        return
    fi
    pid=$(cat "$SB_DIR/dsrd.pid" 2>/dev/null) || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    sb_dsrctl exit
    sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
}

# SIGKILLs dsrd and waits until it is gone, so that a new one can take its
# pidfile.
sb_kill_dsrd() {
    local pid
    pid=$(cat "$SB_DIR/dsrd.pid")
    kill -9 "$pid"
    sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
}

sb_check_sanitizers() {
    local f found=
    for f in "$SB_DIR"/sanitizer.*; do
        [ -f "$f" ] || continue
        cat "$f" >&2
        found=yes
    done
    [ -z "$found" ] || sb_fail "sanitizer reports"
}

# Flows and groups without counters and durations, for comparing.
sb_dump_flows() {
    sb_ofctl --no-stats dump-flows br0 "$@" | sed 's/^ *//' | sort
}

sb_group_packets() {
    sb_ofctl dump-group-stats br0 "group_id=$1" \
        | grep -o 'ref_count=[0-9]*,packet_count=[0-9]*' | cut -d= -f3
}

# sb_reg1 IP: how OVS prints IP as a pin, e.g. 0xa00000b for 10.0.0.11.
sb_reg1() {
    local IFS=.
    # shellcheck disable=SC2086
    set -- $1
    printf '0x%x' $(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 ))
}

# sb_group_entries GROUP: "PIN ENTRIES" for each backend of service GROUP,
# ENTRIES out of 65,536: 256 for each slot of its group, and for a slot
# split among backends (a fine table, flows/README.md) the sub-slots of
# each leaf of the slot's tree of flows in table 25 (256 >> its depth).
sb_group_entries() {
    {
        sb_ofctl dump-groups br0 "$1" | tr ',' '\n' \
            | sed -n 's/^actions=set_field:\(0x[0-9a-f]*\)->reg1$/\1 256/p'
        sb_ofctl dump-flows br0 "table=25,reg0=$1" | grep -- '->reg1' \
            | sed 's/.*reg3=\(0x[0-9a-f]*\).*set_field:\(0x[0-9a-f]*\)->reg1.*/\2 \1/' \
            | while read -r pin node; do
                local h=$((node & 0xffff)) size=256
                while [ "$h" -gt 1 ]; do h=$((h >> 1)); size=$((size >> 1)); done
                echo "$pin $size"
            done
    } | awk '{n[$1] += $2} END {for (p in n) print p, n[p]}'
}

# sb_group_slots GROUP IP: how many of the 256 slots of service GROUP's
# group go to the backend at IP (rounded up: parts of slots count).
sb_group_slots() {
    sb_group_entries "$1" | awk -v pin="$(sb_reg1 "$2")" \
        '$1 == pin {n = $2} END {print int((n + 255) / 256)}'
}

# sb_slot_shares GROUP: "IP: N slots" for each backend with slots.
sb_slot_shares() {
    sb_group_entries "$1" | sort | while read -r field n; do
        field=$((field))
        echo "$((field >> 24)).$((field >> 16 & 255)).$((field >> 8 & 255)).$((field & 255)): $(awk -v n="$n" 'BEGIN {s = n / 256; printf (s == int(s) ? "%d" : "%.2f"), s}') slots"
    done
}

# sb_has_share GROUP IP WEIGHT TOTAL: whether the backend at IP holds its
# share WEIGHT/TOTAL of the table, to a slot (256 entries).
sb_has_share() {
    local got want=$((65536 * $3 / $4))
    got=$(sb_group_entries "$1" | awk -v pin="$(sb_reg1 "$2")" \
              '$1 == pin {n = $2} END {print n + 0}')
    [ "$got" -ge $((want - 256)) ] && [ "$got" -le $((want + 256)) ] || {
        sb_log "$2 has $got of the 65,536 entries of group $1, not $want ($3/$4)"
        return 1
    }
}

# sb_backend_packets SERVICE IP...: packets delivered to those backends
# of service id SERVICE, pinned or new, summed.
sb_backend_packets() {
    local service=$1 ip n=0
    shift
    for ip in "$@"; do
        n=$((n + $(sb_flow_packets "reg0=$service,reg1=$(sb_reg1 "$ip")" 22)))
    done
    echo "$n"
}

# sb_flow_packets MATCH [TABLE]: packets of the flows MATCH selects (only
# those in TABLE if given), summed.
sb_flow_packets() {
    sb_ofctl dump-flows br0 "$1" | grep -- "${2:+ table=$2,}" \
        | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' \
        | awk '{n += $1} END {print n + 0}'
}

# sb_add_tunnel_host H IP/LEN GW LINK VIP...: a backend host in namespace
# $SB_ID-H that owns IP (its real address, also its tunnel endpoint) and
# the VIPs (on lo), reached through a router: its link up0 is the peer of
# LINK, which the caller puts in the router's namespace.  This kernel has
# no GRE module, so a second, private OVS (userspace datapath, its files
# in $SB_DIR/H) is the host's vswitch, as on a hypervisor: IP on the
# LOCAL port of its bridge brh, a flow-based L3 GRE port gre0 that
# decapsulates (tnl_pop) what arrives for IP, and a flow that hands the
# inner packet (all-zero Ethernet header) to the host's stack.  Replies
# leave by the default route, through the router, never through the LB.
# IPv6 VIPs go on lo as /128, and inner IPv6 is handed over as IPv4 is.
# sb_tunnel_vsctl H ARGS / sb_tunnel_ofctl H ARGS reach that OVS.
sb_add_tunnel_host() {
    local name=$1 addr=$2 gw=$3 link=$4 ns=$SB_ID-$1 dir=$SB_DIR/$1 vip
    shift 4
    mkdir -p "$dir"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$link" netns "$SB_ID-rt" type veth peer name up0 netns "$ns"
    ip netns exec "$ns" ethtool -K up0 tx off >/dev/null
    ip -n "$ns" link set up0 arp off up
    ovsdb-tool create "$dir/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ip netns exec "$ns" ovsdb-server "$dir/conf.db" \
        --remote="punix:$dir/db.sock" --pidfile="$dir/ovsdb-server.pid" \
        --unixctl="$dir/ovsdb-server.ctl" \
        --log-file="$dir/ovsdb-server.log" -vconsole:off --detach
    sb_tunnel_vsctl "$name" --no-wait init
    OVS_RUNDIR=$dir ip netns exec "$ns" ovs-vswitchd "unix:$dir/db.sock" \
        --pidfile="$dir/ovs-vswitchd.pid" --unixctl="$dir/ovs-vswitchd.ctl" \
        --log-file="$dir/ovs-vswitchd.log" -vconsole:off --detach
    sb_tunnel_vsctl "$name" add-br brh \
        -- set bridge brh datapath_type=netdev fail_mode=secure \
           protocols=OpenFlow10,OpenFlow13,OpenFlow15 \
        -- add-port brh up0 -- set interface up0 ofport_request=1 \
        -- add-port brh gre0 -- set interface gre0 ofport_request=2 type=gre \
           options:remote_ip=flow options:packet_type=legacy_l3
    sb_wait_until ip -n "$ns" link show brh > /dev/null 2>&1
    ip -n "$ns" addr add "$addr" dev brh
    ip -n "$ns" link set brh up
    ip netns exec "$ns" ethtool -K brh tx off >/dev/null 2>&1 || true
    ip -n "$ns" route add default via "$gw"
    local mac
    mac=$(ip netns exec "$ns" cat /sys/class/net/brh/address)
    sb_tunnel_ofctl "$name" add-flow brh "priority=0,actions=NORMAL"
    local eth inner
    eth="set_field:$mac->eth_dst,set_field:02:d5:00:00:00:fe->eth_src,LOCAL"
    for inner in ip ipv6; do
        sb_tunnel_ofctl "$name" add-flow brh \
            "priority=100,in_port=gre0,$inner,actions=$eth"
    done
    for vip in "$@"; do
        case $vip in
        *:*) ip -n "$ns" addr add "$vip/128" dev lo ;;
        *) ip -n "$ns" addr add "$vip/32" dev lo ;;
        esac
    done
    SB_HOSTS+=("$name")
}

# sb_tunnel_host_ipv6 H IP6/LEN GW6: an IPv6 address on tunnel host H's
# LOCAL port too, its tunnel endpoint for an IPv6 underlay, and its IPv6
# default route through the router.
sb_tunnel_host_ipv6() {
    ip -n "$SB_ID-$1" -6 addr add "$2" dev brh nodad
    ip -n "$SB_ID-$1" -6 route add default via "$3"
}

sb_tunnel_vsctl() {
    local name=$1
    shift
    OVS_RUNDIR=$SB_DIR/$name ovs-vsctl --timeout=60 \
        --db="unix:$SB_DIR/$name/db.sock" "$@"
}

sb_tunnel_ofctl() {
    local name=$1
    shift
    OVS_RUNDIR=$SB_DIR/$name ovs-ofctl -O OpenFlow15 "$@"
}
