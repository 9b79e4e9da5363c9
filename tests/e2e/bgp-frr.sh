#!/bin/bash
# bgp mode with FRR instead of BIRD on the load balancer: zebra imports
# dsrd's kernel table 100 ("ip import-table 100") and bgpd redistributes
# it ("redistribute table 100"), the configuration deploy/bgp/README.md
# gives; a real BIRD on a router learns it.  The VIP is announced while the
# node can serve it, withdrawn when the service loses its backends, back
# after the hold-down, and withdrawn by SIGTERM.  The service's announce
# metric reaches the router as the MED.  The table is the
# contract: dsrd does not know which daemon reads it.
. "$(dirname "$0")/lib.sh"
e2e_require_bird
if [ ! -x /usr/lib/frr/bgpd ] || ! id frr > /dev/null 2>&1; then
    echo "SKIP: needs FRR (frr, deploy/install-deps.sh)"
    exit 77
fi

e2e_setup bgp-frr 2
sb_lb_address 10.0.0.5/24
e2e_http_backends 2 80

# The router, on a link of its own to the load balancer, with BIRD.
e2e_bgp_router

# FRR on the load balancer, as its own user (its vty group is frrvty), in
# a directory of its own under the run directory.
frr=$SB_DIR/frr
mkdir "$frr"
chmod o+x "$SB_DIR"
cat > "$frr/zebra.conf" <<EOC
ip import-table 100
EOC
cat > "$frr/bgpd.conf" <<EOC
router bgp 65001
 bgp router-id 10.98.0.11
 no bgp ebgp-requires-policy
 neighbor 10.98.0.1 remote-as 65000
 neighbor 10.98.0.1 timers 1 3
 neighbor 10.98.0.1 timers connect 1
 address-family ipv4 unicast
  redistribute table 100
 exit-address-family
EOC
chown -R frr:frr "$frr"
for daemon in zebra bgpd; do
    ip netns exec "$SB_LB" "/usr/lib/frr/$daemon" -d -u frr -g frr \
        -f "$frr/$daemon.conf" -i "$frr/$daemon.pid" -z "$frr/zserv.api" \
        --vty_socket "$frr" -A 127.0.0.1 -P 0 \
        --log file:"$frr/$daemon.log" \
        || sb_fail "$daemon did not start: $(cat "$frr/$daemon.log" 2>/dev/null)"
done

e2e_bgp_start_dsrd

routed() { e2e_bgp_routed; }
unrouted() { ! routed; }
frr_sh() { ip netns exec "$SB_LB" vtysh --vty_socket "$frr" -c "$1" 2>&1; }
SB_WAIT=60 sb_wait_until routed \
    || sb_fail "never announced: $(frr_sh 'show bgp summary'; frr_sh "show ip route table 100")"
echo "announced through FRR (the router has no other source for the VIP)"
# The route's metric is the MED that bgpd sends: 1 by default, then the
# service's own, changed without a withdrawal.
med_is() {
    birdc -s "$SB_DIR/bird-rt.ctl" show route all "$VIP/32" 2>/dev/null \
        | grep >/dev/null "BGP.med: $1\$"
}
sb_wait_until med_is 1 || sb_fail "MED not 1: $(birdc -s "$SB_DIR/bird-rt.ctl" show route all "$VIP/32")"
api GET /v1/services/web
expect 200
api PUT /v1/services/web "$(jq '.announce = {metric: 7}' "$SB_DIR/body")"
expect 200
sb_wait_until med_is 7 || sb_fail "MED not 7: $(birdc -s "$SB_DIR/bird-rt.ctl" show route all "$VIP/32")"
[ "$(ip -n "$SB_LB" route show table 100 | wc -l)" = 1 ] \
    || sb_fail "table 100: $(ip -n "$SB_LB" route show table 100)"
grep -q "withdrawn" "$SB_DIR/dsrd.log" && sb_fail "withdrawn to change the metric"
echo "the service's metric reaches the router as the MED"

# The service loses its backends: withdrawn at once; one comes back:
# announced again after the hold-down.
sb_pkill be1 "http-backend.py be1 " || true
sb_pkill be2 "http-backend.py be2 " || true
sb_wait_until unrouted || sb_fail "not withdrawn without backends"
echo "withdrawn without backends"
sb_spawn be1 python3 "$TOP_SRCDIR/deploy/http-backend.py" be1 \
    "$SB_DIR/be1.http.log" 80
sb_wait_until routed || sb_fail "not announced again"
echo "announced again with a backend"

# SIGTERM: withdrawn before dsrd exits.
pid=$(cat "$SB_DIR/dsrd.pid")
kill -TERM "$pid"
sb_wait_until sh -c "! kill -0 $pid 2>/dev/null"
sb_wait_until unrouted || sb_fail "router kept the route after SIGTERM"
E2E_EXPECTED_LOG='.'    # dsrd was stopped by a signal
e2e_pass "VIP announced by FRR from dsrd's table exactly while the node can serve it"
