# shellcheck shell=bash disable=SC2154
# (SC2154: top, runs, secs, conns, window, udp_req, udp_resp and hz are
# bench/peers.sh's.)
# Helpers of bench/peers.sh: the topology (a Linux bridge as the network,
# the load balancer a separate node on it), the servers, the counters
# sampled around each run, and the report.  Sourced after
# deploy/sandbox.sh and sb_init; every namespace is $SB_ID-*, so
# sb_cleanup removes them and kills what runs in them.

NET=$SB_ID-net                  # the Linux bridge "lan": the network
VIP=10.0.0.100
HAP_IP=10.0.0.4                 # HAProxy's address, on the LB's hap0
LB_IP=10.0.0.3                  # dsrd's address (health checks), on br0
BACKENDS="10.0.0.11 10.0.0.12 10.0.0.13"
UDP_PORT=5300

# peers_attach NS DEV PORT: a veth from DEV in namespace NS to port PORT
# of the Linux bridge.  Checksums are completed in software (tx off)
# everywhere: OVS's userspace datapath does not complete partial ones.
peers_attach() {
    local ns=$1 dev=$2 port=$3
    ip -n "$NET" link add "$port" type veth peer name "$dev" netns "$ns"
    ip netns exec "$NET" ethtool -K "$port" tx off > /dev/null
    ip netns exec "$ns" ethtool -K "$dev" tx off > /dev/null
    ip -n "$NET" link set "$port" master lan up
    ip -n "$ns" link set "$dev" up
}

# peers_host NAME IP/LEN: namespace $SB_ID-NAME, eth0 on the bridge.
peers_host() {
    ip netns add "$SB_ID-$1"
    ip -n "$SB_ID-$1" link set lo up
    peers_attach "$SB_ID-$1" eth0 "$1"
    ip -n "$SB_ID-$1" addr add "$2" dev eth0
}

# The network, the client, three DSR backends (VIP on lo, ARP settings by
# deploy/dsr-backend as on real hosts), and the LB node: OVS's br0
# one-armed on the bridge through up0 (dsrd hairpins the client's packets
# back out of it, towards the backends' MACs), dsrd's own address on br0,
# and HAProxy's address on a second link, hap0, beside OVS.
peers_topology() {
    local i=1 ip
    ip netns add "$NET"
    ip -n "$NET" link set lo up
    ip -n "$NET" link add lan type bridge       # no STP: forwards at once
    ip -n "$NET" link set lan up
    peers_host client 10.0.0.2/24
    for ip in $BACKENDS; do
        peers_host "be$i" "$ip/24"
        sb_exec "be$i" "$top/deploy/dsr-backend" setup "$VIP" > /dev/null
        i=$((i + 1))
    done
    sb_start_ovs
    peers_attach "$SB_LB" up0 lb-ovs
    ip -n "$SB_LB" link set up0 arp off
    sb_vsctl add-port br0 up0 -- set interface up0 ofport_request=1
    sb_lb_address "$LB_IP/24"
    # hap0 shares br0's subnet: its route lives in its own table, chosen
    # by source address, and each link answers ARP only for its own
    # address, so HAProxy's traffic never takes br0 (and dsrd's never
    # takes hap0).
    peers_attach "$SB_LB" hap0 lb-hap
    ip -n "$SB_LB" addr add "$HAP_IP/24" dev hap0 noprefixroute
    ip -n "$SB_LB" route add 10.0.0.0/24 dev hap0 src "$HAP_IP" table 104
    ip -n "$SB_LB" rule add from "$HAP_IP" table 104 pref 100
    ip netns exec "$SB_LB" sysctl -q -w net.ipv4.conf.all.arp_ignore=1 \
        net.ipv4.conf.all.arp_announce=2
}

# nginx on each backend (one worker, sendfile, keep-alive) serving the
# three files; a UDP responder on the VIP and the real IP.
peers_servers() {
    local i=1 ip lifetime=$1
    mkdir -p "$SB_DIR/www"
    head -c 1048576 /dev/zero > "$SB_DIR/www/1m"
    head -c 10240 /dev/zero > "$SB_DIR/www/10k"
    printf '123456789\n' > "$SB_DIR/www/10b"
    for ip in $BACKENDS; do
        mkdir -p "$SB_DIR/be$i"
        cat > "$SB_DIR/be$i/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $SB_DIR/be$i/nginx.pid;
error_log $SB_DIR/be$i/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path $SB_DIR/be$i;
    proxy_temp_path $SB_DIR/be$i;
    fastcgi_temp_path $SB_DIR/be$i;
    uwsgi_temp_path $SB_DIR/be$i;
    scgi_temp_path $SB_DIR/be$i;
    server { listen 80; root $SB_DIR/www; }
}
EOF
        sb_exec "be$i" nginx -c "$SB_DIR/be$i/nginx.conf"
        sb_spawn "be$i" python3 "$top/bench/peers_udp.py" server \
            "$udp_resp" "$lifetime" "$VIP" "$ip" "$UDP_PORT"
        sb_wait_listening "be$i" 80
        sb_wait_listening "be$i" "$UDP_PORT" u
        i=$((i + 1))
    done
}

# dsrd: one L2 service for HTTP and one for UDP on the VIP, both with
# health checks (tcp connect; a datagram answered), every 500 ms.
peers_dsrd() {
    local ip tcp='' udp=''
    for ip in $BACKENDS; do
        tcp="$tcp${tcp:+, }{\"ip\": \"$ip\"}"
    done
    udp=$tcp
    cat > "$SB_DIR/dsrd.json" <<EOF
{"bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:01"}],
 "services": [
  {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "health_check": {"type": "tcp"}, "backends": [$tcp]},
  {"name": "echo", "vip": "$VIP", "protocol": "udp", "port": $UDP_PORT,
   "health_check": {"type": "udp", "payload": "ping"}, "backends": [$udp]}]}
EOF
    sb_start_dsrd "$SB_DIR/dsrd.json"
    sb_wait_until peers_dsrd_ready
}

peers_dsrd_ready() {
    local show
    show=$(ovs-appctl -t dsrd dsr/show 2>/dev/null) || return 1
    grep 'in sync' <<< "$show" > /dev/null \
        && ! grep -i 'unresolved\|down' <<< "$show" > /dev/null
}

# HAProxy, a full TCP proxy, on hap0: the same backends by their real
# IPs, the same health checks (connect, every 500 ms).
peers_haproxy() {
    local i=1 ip servers=''
    for ip in $BACKENDS; do
        servers="$servers    server be$i $ip:80 check inter 500ms rise 2 fall 3
"
        i=$((i + 1))
    done
    cat > "$SB_DIR/haproxy.cfg" <<EOF
global
    maxconn 4096
${LB_CPUS:+    nbthread $(peers_ncpus "$LB_CPUS")}
defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend web
    bind $HAP_IP:80
    default_backend web
backend web
    balance roundrobin
    source $HAP_IP
$servers
EOF
    sb_spawn lb haproxy -f "$SB_DIR/haproxy.cfg" -db
    sb_wait_listening lb 80
}

# peers_ncpus LIST: how many CPUs a taskset list (0,2-3) names.
peers_ncpus() {
    tr ',' '\n' <<< "$1" | awk -F- '{n += NF == 2 ? $2 - $1 + 1 : 1} END {print n}'
}

# The LB node's processes, by role.
peers_pids_dsr() {
    cat "$SB_DIR/ovs-vswitchd.pid" "$SB_DIR/dsrd.pid"
}
peers_pids_haproxy() {
    sb_pids lb '^haproxy '
}

# peers_ticks PID...: their CPU time (user + system, every thread) in
# clock ticks, from /proc/PID/stat.
peers_ticks() {
    local pid t=0 f
    for pid; do
        # After "PID (COMM) ": state is field 1, utime 12, stime 13.
        read -r -a f <<< "$(sed 's/.*) //' "/proc/$pid/stat")"
        t=$((t + f[11] + f[12]))
    done
    echo "$t"
}

# peers_sample: "CLIENT_RX LB_RX LB_TX DSR_TICKS HAPROXY_TICKS": bytes the
# client received, bytes into and out of the LB node (up0 + hap0), and
# the CPU time of its processes so far.
peers_sample() {
    local d=/sys/class/net c rx1 rx2 tx1 tx2
    # Sums in the shell: its arithmetic is 64-bit, awk may print 1e+09.
    c=$(sb_exec client cat $d/eth0/statistics/rx_bytes)
    read -r rx1 rx2 tx1 tx2 <<< "$(ip netns exec "$SB_LB" cat \
        $d/up0/statistics/rx_bytes $d/hap0/statistics/rx_bytes \
        $d/up0/statistics/tx_bytes $d/hap0/statistics/tx_bytes | tr '\n' ' ')"
    # shellcheck disable=SC2046
    echo "$c $((rx1 + rx2)) $((tx1 + tx2))" \
         "$(peers_ticks $(peers_pids_dsr))" \
         "$(peers_ticks $(peers_pids_haproxy))"
}

# peers_wrk URL: "REQUESTS SECONDS ERRORS" of one wrk run.
peers_wrk() {
    sb_exec client wrk -t1 -c"$conns" -d"${secs}s" --timeout 10s "$1" \
        | awk '/ requests in / {
                   n = $1; s = $4; sub(/,$/, "", s)
                   if (s ~ /ms$/) s = substr(s, 1, length(s) - 2) / 1000
                   else if (s ~ /m$/) s = substr(s, 1, length(s) - 1) * 60
                   else sub(/s$/, "", s)
               }
               /Socket errors/ {gsub(/,/, ""); e += $4 + $6 + $8 + $10}
               /Non-2xx/ {e += $5}
               END {print n + 0, s + 0, e + 0}'
}

# peers_run WORKLOAD TARGET: one run, appended to $SB_DIR/results as
# "WORKLOAD TARGET REQUESTS SECONDS CLIENT_BYTES LB_RX LB_TX LB_TICKS ERRORS".
# LB_TICKS are the LB processes of that target (dsrd and ovs-vswitchd for
# DSR, haproxy for HAProxy; all of them, idle, for direct).
peers_run() {
    local w=$1 t=$2 addr c0 rx0 tx0 d0 h0 c1 rx1 tx1 d1 h1 n s e ticks
    case $t in
    direct) addr=${BACKENDS%% *} ;;
    dsr) addr=$VIP ;;
    haproxy) addr=$HAP_IP ;;
    esac
    read -r c0 rx0 tx0 d0 h0 <<< "$(peers_sample)"
    if [ "$w" = udp ]; then
        read -r n _ e s <<< "$(sb_exec client python3 "$top/bench/peers_udp.py" \
            client "$addr" "$UDP_PORT" "$secs" "$window" "$udp_req")"
    else
        read -r n s e <<< "$(peers_wrk "http://$addr/$w")"
    fi
    read -r c1 rx1 tx1 d1 h1 <<< "$(peers_sample)"
    case $t in
    direct) ticks=$((d1 - d0 + h1 - h0)) ;;
    dsr) ticks=$((d1 - d0)) ;;
    haproxy) ticks=$((h1 - h0)) ;;
    esac
    echo "$w $t $n $s $((c1 - c0)) $((rx1 - rx0)) $((tx1 - tx0)) $ticks $e" \
        >> "$SB_DIR/results"
    [ "$n" -gt 0 ] || sb_log "bench/peers: $w through $t: no answers"
}

# peers_stat WORKLOAD TARGET EXPR: "MEDIAN MIN MAX" of EXPR (awk, over the
# fields of peers_run's lines) across the runs; nothing without runs.
peers_stat() {
    local expr=$3
    awk -v w="$1" -v t="$2" -v hz="$hz" \
        "\$1 == w && \$2 == t && \$3 > 0 {print $expr}" "$SB_DIR/results" \
        | sort -g \
        | awk '{a[NR] = $1}
               END {if (NR) print (NR % 2 ? a[(NR + 1) / 2] \
                                 : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR]}'
}

# The figures, as awk expressions over peers_run's fields.
RPS="\$3 / \$4"
MBPS="\$5 / \$4 / 1e6"
LB_IN="\$6 / \$5 * 1e3"           # MB into the LB node per GB served
LB_OUT="\$7 / \$5 * 1e3"
CPU_GB="\$8 / hz / (\$5 / 1e9)"
CPU_10K="\$8 / hz / (\$3 / 1e4)"

# peers_num N: N with 3 significant figures, no exponent for usual sizes.
peers_num() {
    awk -v v="$1" 'BEGIN {
        a = v < 0 ? -v : v
        if (v !~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/) print "-"
        else if (a >= 100) printf "%.0f\n", v
        else if (a >= 10) printf "%.1f\n", v
        else if (a >= 1) printf "%.2f\n", v
        else if (a >= 0.001 || a == 0) printf "%.3g\n", v
        else printf "%.2g\n", v}'
}

# peers_cell W T EXPR: "MEDIAN (MIN–MAX)".
peers_cell() {
    local m lo hi
    read -r m lo hi <<< "$(peers_stat "$1" "$2" "$3")"
    if [ -z "$m" ]; then
        echo "n/a"
    elif [ "$runs" -gt 1 ]; then
        echo "$(peers_num "$m") ($(peers_num "$lo")–$(peers_num "$hi"))"
    else
        peers_num "$m"
    fi
}

# peers_ratio W T1 T2 EXPR: median of T1 ÷ median of T2.
peers_ratio() {
    local a b
    read -r a _ <<< "$(peers_stat "$1" "$2" "$4")"
    read -r b _ <<< "$(peers_stat "$1" "$3" "$4")"
    if [ -z "$a" ] || [ -z "$b" ]; then
        echo "-"
    else
        peers_num "$(awk -v a="$a" -v b="$b" 'BEGIN {print b ? a / b : ""}')"
    fi
}

# peers_pad WIDTH TEXT: TEXT padded with spaces to WIDTH characters (not
# bytes, as printf would: "–", "÷" and "≤" are several).
peers_pad() {
    local LC_ALL=C.UTF-8
    printf '%s%*s' "$2" $(($1 > ${#2} ? $1 - ${#2} : 0)) ''
}

# peers_line LABEL DIRECT DSR HAPROXY [DSR÷HAPROXY DSR÷DIRECT]
peers_line() {
    echo "$(peers_pad 26 "$1") $(peers_pad 26 "$2") $(peers_pad 26 "$3")" \
         "$(peers_pad 26 "$4") $(peers_pad 14 "${5:-}") ${6:-}" \
        | sed 's/ *$//'
}

# peers_row W LABEL EXPR [RATIOS]: one line of a workload's table; RATIOS
# "hd" prints DSR ÷ HAProxy and DSR ÷ direct, "h" only the first.
peers_row() {
    local dh=" " dd=" "
    case $4 in *h*) dh=$(peers_ratio "$1" dsr haproxy "$3") ;; esac
    case $4 in *d*) dd=$(peers_ratio "$1" dsr direct "$3") ;; esac
    peers_line "$2" "$(peers_cell "$1" direct "$3")" \
        "$(peers_cell "$1" dsr "$3")" "$(peers_cell "$1" haproxy "$3")" \
        "$dh" "$dd"
}

peers_errors() {
    awk -v w="$1" -v t="$2" '$1 == w && $2 == t {e += $9} END {print e + 0}' \
        "$SB_DIR/results"
}

# peers_table W TITLE: the table of one workload.
peers_table() {
    echo
    echo "== $2"
    peers_line "" "direct (baseline)" DSR HAProxy "DSR ÷ HAProxy" "DSR ÷ direct"
    peers_row "$1" "requests/s" "$RPS" hd
    peers_row "$1" "MB/s at the client" "$MBPS" hd
    peers_row "$1" "LB in, MB per GB served" "$LB_IN" h
    peers_row "$1" "LB out, MB per GB served" "$LB_OUT" h
    peers_row "$1" "LB CPU s per GB served" "$CPU_GB" h
    peers_row "$1" "LB CPU s per 10k requests" "$CPU_10K" h
    local hap=n/a
    [ "$1" = udp ] || hap=$(peers_errors "$1" haproxy)
    peers_line "errors or lost (all runs)" "$(peers_errors "$1" direct)" \
        "$(peers_errors "$1" dsr)" "$hap"
}

# peers_med W T EXPR: the median alone.
peers_med() {
    local m
    read -r m _ <<< "$(peers_stat "$1" "$2" "$3")"
    echo "$m"
}

# peers_goal NAME VALUE OP LIMIT: "met" / "not met" for VALUE OP LIMIT.
peers_goal() {
    local verdict
    verdict=$(awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
        if (v == "" || v == "-") print "not measured"
        else print ((op == "<=" ? v <= l : v >= l) ? "met" : "NOT met")}')
    echo "  $(peers_pad 56 "$1") $(peers_pad 10 "$(peers_num "$2")") $verdict"
}

# peers_size W: the response size a workload's name stands for.
peers_size() {
    case $1 in
    1m) echo "1 MiB" ;;
    10k) echo "10 KiB" ;;
    10b) echo "10 B" ;;
    *) echo "$1" ;;
    esac
}
