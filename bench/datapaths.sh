#!/bin/bash
# HTTP requests/s through the same L2 DSR service on each datapath that
# runs on this host (userspace, DPDK): wrk in a client namespace against
# the VIP, three nginx backends, median of RUNS runs of SECONDS each.
# The baseline, in the same run and on the same bridge, is wrk against one
# backend's real IP (switched by the NORMAL flow, no select group).
# Traffic stays inside the namespaces.
#
# usage: sudo bench/datapaths.sh [BUILD_DIR] [RUNS] [SECONDS]
#        (default build-plain, 5, 5); DATAPATHS="userspace dpdk" by default
set -e -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
one=
if [ "$1" = --one ]; then   # internal: one datapath, see below
    one=$2
    shift 2
fi
build=$(realpath "${1:-$top/build-plain}")
runs=${2:-5}
secs=${3:-5}
conns=${CONNS:-32}
for tool in wrk nginx; do
    command -v $tool > /dev/null \
        || { echo "bench/datapaths: needs $tool (apt-get install wrk nginx-light)" >&2; exit 1; }
done

# One datapath: prints "VIP_MEDIAN BASELINE_MEDIAN VIP_RUNS".
if [ -n "$one" ]; then
    export DSR_DATAPATH=$one DSRD=$build/controller/dsrd
    . "$top/deploy/sandbox.sh"
    sb_init dsr-bench-dp
    VIP=10.0.0.100
    sb_start_ovs
    sb_add_host client 10.0.0.2/24
    for i in 1 2 3; do
        sb_add_backend "be$i" "10.0.0.1$i/24" "$VIP"
        mkdir -p "$SB_DIR/be$i"
        cat > "$SB_DIR/be$i/nginx.conf" <<EOF
worker_processes 1;
pid $SB_DIR/be$i/nginx.pid;
error_log $SB_DIR/be$i/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $SB_DIR/be$i;
    proxy_temp_path $SB_DIR/be$i;
    fastcgi_temp_path $SB_DIR/be$i;
    uwsgi_temp_path $SB_DIR/be$i;
    scgi_temp_path $SB_DIR/be$i;
    server { listen 80; location / { return 200 "be$i\n"; } }
}
EOF
        sb_exec "be$i" nginx -c "$SB_DIR/be$i/nginx.conf"
        sb_wait_listening "be$i" 80
    done
    cat > "$SB_DIR/dsrd.json" <<EOF
{"bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:01"}],
 "services": [{"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"}, {"ip": "10.0.0.13"}]}]}
EOF
    sb_start_dsrd "$SB_DIR/dsrd.json"
    sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show | grep -q 'in sync' \
        && ! ovs-appctl -t dsrd dsr/show | grep -q unresolved"
    rps() {
        sb_exec client wrk -t1 -c"$conns" -d"${secs}s" "$1" \
            | awk '/^Requests\/sec/ {printf "%d\n", $2}'
    }
    median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
    rps "http://$VIP/" > /dev/null          # warm up: flows, ARP, megaflows
    : > "$SB_DIR/vip"; : > "$SB_DIR/base"
    for _ in $(seq 1 "$runs"); do
        rps "http://$VIP/" >> "$SB_DIR/vip"
        rps "http://10.0.0.11/" >> "$SB_DIR/base"
    done
    echo "$(median < "$SB_DIR/vip") $(median < "$SB_DIR/base")" \
         "$(tr '\n' ' ' < "$SB_DIR/vip")"
    sb_stop_dsrd
    exit 0
fi

printf '%-10s %14s %20s  %s\n' datapath "VIP req/s" "real-IP req/s (base)" \
       "VIP runs"
for dp in ${DATAPATHS:-userspace dpdk}; do
    read -r vip base all < <("$0" --one "$dp" "$build" "$runs" "$secs" 2>/dev/null) \
        || { echo "$dp: failed (run with bash -x for details)"; continue; }
    printf '%-10s %14s %20s  %s\n' "$dp" "$vip" "$base" "$all"
done
echo "(wrk -t1 -c$conns -d${secs}s, median of $runs; 3 nginx backends," \
     "1 worker each; $(nproc) cores)"
