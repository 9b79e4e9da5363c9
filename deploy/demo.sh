#!/bin/bash
# The ovs-dsr demo, from a bare Debian 12 machine (as root): builds
# everything, starts a private OVS (userspace datapath) with a client and
# three backends in network namespaces, runs dsrd, sends HTTP requests to
# the VIP, shows who answered and the pipeline in OVS, then cleans up.
set -e -o pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing packages and building (libopenvswitch is cached)"
deploy/install-deps.sh
ovs=$(deploy/build-ovs.sh)
if [ -f config.status ]; then
    build=$top
else
    [ -x configure ] || autoreconf -fi
    build=$top/build-plain
    mkdir -p "$build"
    (cd "$build" && { [ -f Makefile ] || "$top/configure" -q --with-ovs-source="$ovs"; } \
        && make -s -j"$(nproc)")
fi
export DSRD=$build/controller/dsrd

# shellcheck source=sandbox.sh
. "$top/deploy/sandbox.sh"
sb_init dsr-demo

VIP=10.0.0.100
say "Starting a private OVS (userspace datapath), a client and 3 backends"
sb_start_ovs
sb_lb_address 10.0.0.5/24       # the LB host's own address: health checks
sb_add_host client 10.0.0.2/24
for i in 1 2 3; do
    sb_add_backend "backend$i" "10.0.0.1$i/24" "$VIP"
    sb_spawn "backend$i" python3 "$top/deploy/http-backend.py" "backend$i" \
        "$SB_DIR/backend$i.http.log" 80
done
for i in 1 2 3; do
    sb_wait_listening "backend$i" 80
done
cat <<EOT
  client    10.0.0.2   (namespace $SB_ID-client)
  backend1  10.0.0.11  VIP $VIP on lo, arp_ignore=1, arp_announce=2
  backend2  10.0.0.12  "
  backend3  10.0.0.13  "
  bridge br0 (fail_mode=secure) in namespace $SB_LB, run dir $SB_DIR
EOT

say "Starting dsrd with one service: $VIP tcp/80 -> 3 backends"
cat > "$SB_DIR/dsrd.json" <<EOC
{
  "bridges": [{"name": "br0", "mac": "02:d5:d5:00:00:01"}],
  "services": [
    {"name": "web", "vip": "$VIP", "protocol": "tcp", "port": 80,
     "health_check": {"type": "http", "path": "/", "interval_ms": 100,
                      "timeout_ms": 100, "rise": 2, "fall": 2},
     "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"},
                  {"ip": "10.0.0.13"}]}
  ]
}
EOC
cat "$SB_DIR/dsrd.json"
sb_start_dsrd "$SB_DIR/dsrd.json"
ready() { sb_dsrctl dsr/show 2>/dev/null | grep -q "in sync" \
          && ! sb_dsrctl dsr/show | grep -q unresolved; }
sb_wait_until ready
echo "\$ ovs-appctl -t dsrd dsr/show"
sb_dsrctl dsr/show

say "12 HTTP requests from the client to http://$VIP/"
for i in $(seq 1 12); do
    who=$(sb_exec client curl -sS --max-time 5 "http://$VIP/?req=$i")
    # The backend logs just after it answers.
    sb_wait_until grep -q "req=$i\$" "$SB_DIR/$who.http.log"
    seen=$(grep "req=$i\$" "$SB_DIR/$who.http.log" | cut -d' ' -f1)
    printf '  request %2d answered by %s, which saw the client as %s\n' \
        "$i" "$who" "$seen"
done
echo
echo "100 more requests:"
sb_exec client curl -sS --max-time 20 "http://$VIP/?n=[1-100]" \
    | sort | uniq -c | sed 's/^/  /'

say "The client's ARP entry for the VIP (answered by OVS, not a backend)"
sb_exec client ip neigh show "$VIP"

sleep 1   # let OVS fold datapath statistics into the OpenFlow counters
say "ovs-ofctl -O OpenFlow15 dump-flows br0"
sb_ofctl dump-flows br0 | sed 's/ duration=[^,]*,//; s/ idle_age=[^,]*,//'
say "ovs-ofctl -O OpenFlow15 dump-groups br0 1 (256 buckets: the slots)"
sb_ofctl dump-groups br0 1 | sed "s/,bucket=/\n    bucket=/g" | sed -n 1,6p
echo "    ..."
echo "Slots per backend:"
sb_slot_shares 1 | sed 's/^/  /'
cat <<EOT

The service's flows (cookie 0xd501...01) counted only the client's
packets to the VIP: table 0 all of them, group 1 each connection's first
(it picks the backend, which conntrack then remembers), table 22 each
backend's share.  The backends' replies went straight to the client
through the NORMAL flow (priority 0): Direct Server Return.
EOT

say "Draining backend3 over the API (dsrctl), then 60 more requests"
dsrctl() { ip netns exec "$SB_LB" "$build/controller/dsrctl" "$@"; }
echo "\$ dsrctl backend set web 10.0.0.13 --state drain"
dsrctl backend set web 10.0.0.13 --state drain
echo "\$ dsrctl service show web"
dsrctl service show web
sb_exec client curl -sS --max-time 20 "http://$VIP/?d=[1-60]" \
    | sort | uniq -c | sed 's/^/  /'
echo "(no new connection reached backend3; its slots went to the others,"
echo " while its pinned connections would still reach it:)"
sb_slot_shares 1 | sed 's/^/  /'
dsrctl backend set web 10.0.0.13 --state active > /dev/null

say "Failover: backend2's web server dies while the client keeps sending"
sb_exec client python3 "$top/bench/failover_client.py" "$VIP" 3 0.3 5 \
    > "$SB_DIR/stream" &
stream=$!
sleep 1
killed_at=$(date +%s.%N)
sb_pkill backend2 "http-backend.py backend2 "
echo "killed backend2's server"
wait $stream
awk -v k="$killed_at" '$2 == 0 && $1 >= k {last = $1; n++} $2 == 1 {ok++}
    END {printf "%d requests answered, %d failed; the last failure started %.0f ms after the kill\n",
         ok, n, n ? (last - k) * 1000 : 0}' "$SB_DIR/stream"
grep "health|INFO" "$SB_DIR/dsrd.log" | sed 's/^.*|INFO|/  dsrd: /'
echo "\$ dsrctl service show web"
dsrctl service show web
sb_spawn backend2 python3 "$top/deploy/http-backend.py" backend2 \
    "$SB_DIR/backend2.http.log" 80
sleep 0.6
echo "(backend2's server restarted; after 2 good probes it is back:)"
dsrctl service show web | grep 10.0.0.12

say "Where a new connection goes: dsrctl trace, and the ofproto/trace it prints"
echo "\$ dsrctl trace tcp 10.0.0.2:40000 $VIP:80"
dsrctl trace tcp 10.0.0.2:40000 "$VIP:80" | tee "$SB_DIR/trace"
trace=$(sed -n 's/^trace: //p' "$SB_DIR/trace")
echo "\$ $trace"
eval "$trace" | sed -n '/^bridge/,/^Final flow/p'

say "Cleaning up (namespaces, OVS, dsrd)"
sb_stop_dsrd
