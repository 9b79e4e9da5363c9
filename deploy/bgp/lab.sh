# shellcheck shell=bash
# An ECMP lab in network namespaces (deploy/bgp/README.md), for
# tests/e2e/bgp-ecmp.sh and bench/withdraw.sh.  Source deploy/sandbox.sh
# and call sb_init first, then:
#
#   lab_router N       a router (BIRD, BFD 100 ms x 3, 5-tuple multipath,
#                      10.0.0.1 on the segment) peering with nodes 1..N,
#                      and a client behind it (198.18.1.2)
#   lab_backends [N]   backends 10.0.0.11-1N (N 3 by default, at most 9)
#                      on the segment: $VIP on lo, HTTP on port 80 and
#                      echo on port 7
#   lab_node I         LB node I (10.0.0.2I): its own ovsdb-server and
#                      ovs-vswitchd (userspace, one-armed on the segment),
#                      BIRD learning dsrd's table 100 with BFD, and
#                      $SB_DIR/lbI/dsrd.json (bgp mode, services web and
#                      echo on the three backends)
#   lab_start_dsrd I   dsrd of node I;  lab_start_vswitchd I  its switch
#   lab_nodes N        nodes 1..N, each with its dsrd started
#   lab_rt_paths       the router's paths to $VIP
#   lab_group_packets I [G]  packets node I's group G (1: service web,
#                      2: echo) took: its SYNs
#
# $VIP must be set.  The segment is a Linux bridge in namespace $SB_ID-sw;
# host H's port on it is p-H there.

ns_add() { ip netns add "$SB_ID-$1"; ip -n "$SB_ID-$1" link set lo up; }
in_ns() { local n=$1; shift; ip netns exec "$SB_ID-$n" "$@"; }

# seg_port HOST IF: a veth from the segment into HOST as IF.  (Checksums
# complete everywhere: the userspace datapath does not complete partial
# ones.)
seg_port() {
    if [ ! -e "/run/netns/$SB_ID-sw" ]; then
        ns_add sw
        in_ns sw ip link add seg type bridge
        in_ns sw ip link set seg up
    fi
    in_ns sw ip link add "p-$1" type veth peer name "$2" netns "$SB_ID-$1"
    in_ns sw ip link set "p-$1" master seg up
    in_ns sw ethtool -K "p-$1" tx off > /dev/null
    in_ns "$1" ethtool -K "$2" tx off > /dev/null
}

LAB_BGP_TIMERS='hold time 3; keepalive time 1; connect retry time 1; error wait time 1,5; bfd on;'
LAB_BFD='protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }'

lab_router() {
    local n=$1 i k
    ns_add rt
    seg_port rt eth0
    in_ns rt ip addr add 10.0.0.1/24 dev eth0
    in_ns rt ip link set eth0 up
    ns_add client
    in_ns rt ip link add eth1 type veth peer name eth0 netns "$SB_ID-client"
    in_ns rt ip addr add 198.18.1.1/24 dev eth1
    in_ns rt ip link set eth1 up
    in_ns client ethtool -K eth0 tx off > /dev/null
    in_ns rt ethtool -K eth1 tx off > /dev/null
    in_ns client ip addr add 198.18.1.2/24 dev eth0
    in_ns client ip link set eth0 up
    in_ns client ip route add default via 198.18.1.1
    for k in ip_forward=1 fib_multipath_hash_policy=3 \
             fib_multipath_hash_fields=0x37 conf.all.rp_filter=0 \
             conf.eth0.rp_filter=0 conf.eth1.rp_filter=0; do
        in_ns rt sysctl -qw "net.ipv4.$k"
    done
    {
        # Its sessions' state changes (BFD flaps under load included),
        # printed when a test fails.
        echo "log \"$SB_DIR/bird-rt.log\" all; debug protocols { states };"
        echo "router id 10.0.0.1; protocol device { }"
        echo "protocol kernel { merge paths on; ipv4 { import none; export all; }; }"
        echo "$LAB_BFD"
        for i in $(seq 1 "$n"); do
            echo "protocol bgp lb$i { local 10.0.0.1 as 65000; neighbor 10.0.0.2$i as 65001; $LAB_BGP_TIMERS ipv4 { import all; export none; }; }"
        done
    } > "$SB_DIR/bird-rt.conf"
    in_ns rt bird -c "$SB_DIR/bird-rt.conf" -s "$SB_DIR/bird-rt.ctl" \
        -P "$SB_DIR/bird-rt.pid"
}

# Backends: the VIP on lo, replies through the router.
lab_backends() {
    local i
    for i in $(seq 1 "${1:-3}"); do
        ns_add "be$i"
        seg_port "be$i" eth0
        in_ns "be$i" ip addr add "10.0.0.1$i/24" dev eth0
        in_ns "be$i" ip link set eth0 up
        in_ns "be$i" ip route add default via 10.0.0.1
        in_ns "be$i" "$SB_SRCDIR/deploy/dsr-backend" setup "$VIP" > /dev/null
        sb_spawn "be$i" python3 "$SB_SRCDIR/deploy/http-backend.py" "be$i" \
            "$SB_DIR/be$i.http.log" 80
        sb_spawn "be$i" python3 "$SB_SRCDIR/bench/echo-backend.py" "be$i" 7
    done
}

# in_node I CMD...: CMD in node I's namespace, with its OVS directories.
in_node() {
    local i=$1
    shift
    in_ns "lb$i" env "OVS_RUNDIR=$SB_DIR/lb$i" "OVS_DBDIR=$SB_DIR/lb$i" \
        "OVS_LOGDIR=$SB_DIR/lb$i" "$@"
}
lab_vsctl() {
    local i=$1
    shift
    in_node "$i" ovs-vsctl --db="unix:$SB_DIR/lb$i/db.sock" --timeout=60 "$@"
}
lab_start_vswitchd() {
    in_node "$1" ovs-vswitchd "unix:$SB_DIR/lb$1/db.sock" \
        --pidfile="$SB_DIR/lb$1/ovs-vswitchd.pid" \
        --log-file="$SB_DIR/lb$1/ovs-vswitchd.log" -vconsole:off --detach
}
lab_start_bird() {
    in_ns "lb$1" bird -c "$SB_DIR/lb$1/bird.conf" -s "$SB_DIR/lb$1/bird.ctl" \
        -P "$SB_DIR/lb$1/bird.pid"
}
# Sanitizer reports (a sanitizer build) go where sb_check_sanitizers
# looks, as sb_start_dsrd's do.
lab_start_dsrd() {
    ASAN_OPTIONS=log_path=$SB_DIR/sanitizer${ASAN_OPTIONS:+:$ASAN_OPTIONS} \
    UBSAN_OPTIONS=log_path=$SB_DIR/sanitizer:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS} \
    in_node "$1" "$DSRD" --config="$SB_DIR/lb$1/dsrd.json" \
        --node-name="lb$1" --pidfile="$SB_DIR/lb$1/dsrd.pid" \
        --log-file="$SB_DIR/lb$1/dsrd.log" \
        -vconsole:off --detach
}

lab_node() {
    local i=$1
    mkdir "$SB_DIR/lb$i"
    ns_add "lb$i"
    seg_port "lb$i" eth0
    in_ns "lb$i" ip link set eth0 arp off up
    ovsdb-tool create "$SB_DIR/lb$i/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    in_node "$i" ovsdb-server "$SB_DIR/lb$i/conf.db" \
        --remote="punix:$SB_DIR/lb$i/db.sock" \
        --pidfile="$SB_DIR/lb$i/ovsdb-server.pid" \
        --log-file="$SB_DIR/lb$i/ovsdb-server.log" -vconsole:off --detach
    lab_vsctl "$i" --no-wait init
    lab_vsctl "$i" --no-wait set Open_vSwitch . \
        other_config:n-handler-threads=1 other_config:n-revalidator-threads=1
    lab_start_vswitchd "$i"
    lab_vsctl "$i" add-br br0 -- set bridge br0 datapath_type=netdev \
        fail_mode=secure protocols=OpenFlow10,OpenFlow13,OpenFlow15 \
        other_config:hwaddr=02:d5:d5:00:00:2$i \
        -- add-port br0 eth0 -- set interface eth0 ofport_request=1
    in_ns "lb$i" ip addr add "10.0.0.2$i/24" dev br0
    in_ns "lb$i" ip link set br0 up
    in_ns "lb$i" ethtool -K br0 tx off > /dev/null 2>&1 || true
    cat > "$SB_DIR/lb$i/bird.conf" <<EOC
router id 10.0.0.2$i;
protocol device { }
protocol kernel kvips { kernel table 100; learn; ipv4 { import all; export none; }; }
$LAB_BFD
protocol bgp up { local 10.0.0.2$i as 65001; neighbor 10.0.0.1 as 65000; $LAB_BGP_TIMERS
  ipv4 { import none; next hop self; export filter {
           if proto = "kvips" then { bgp_med = krt_metric; accept; } reject; };
  }; }
EOC
    lab_start_bird "$i"
    # The same slot table everywhere: the same configuration.
    cat > "$SB_DIR/lb$i/dsrd.json" <<EOC
{"bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:2$i"}],
 "announce": {"mode": "bgp", "hold_down_ms": 500},
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "tcp", "interval_ms": 100, "timeout_ms": 500,
                    "rise": 2, "fall": 2},
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}, {"ip": "10.0.0.13"}]},
  {"name": "echo", "vip": "$VIP", "protocol": "tcp", "port": 7,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}, {"ip": "10.0.0.13"}]}]}
EOC
}

lab_nodes() {
    local i
    for i in $(seq 1 "$1"); do
        lab_node "$i"
        lab_start_dsrd "$i"
    done
}

lab_group_packets() {
    local ctl group=${2:-1}
    ctl=$SB_DIR/lb$1/ovs-vswitchd.$(cat "$SB_DIR/lb$1/ovs-vswitchd.pid").ctl
    in_node "$1" ovs-appctl -t "$ctl" revalidator/wait > /dev/null 2>&1 || true
    in_node "$1" ovs-ofctl -O OpenFlow15 dump-group-stats br0 \
        | sed -n "s/.*group_id=$group,[^:]*packet_count=\([0-9]*\),.*/\1/p"
}

lab_rt_paths() {
    in_ns rt ip route show "$VIP" | grep -c "nexthop via\|^$VIP via" || true
}
