#!/bin/bash
# IPv6 VIPs behind a switch with MLD snooping: a client's Neighbor
# Solicitation for the VIP goes to the VIP's solicited-node group, which
# such a switch forwards only to ports that reported it (RFC 4541).  The
# load balancer holds no address whose stack would report it, so dsrd
# does (controller/mld.h).  The switch is a Linux bridge (namespace sw)
# with snooping, its own querier, and no flooding of unregistered
# multicast to its port towards the load balancer, as strict switches
# do; the client is behind it.
. "$(dirname "$0")/lib.sh"

e2e_setup ipv6-mld 1 "$VIP6"
e2e_add_ipv6 1
BIND=:: sb_spawn be1 python3 "$TOP_SRCDIR/deploy/http-backend.py" be1 \
    "$SB_DIR/be1.http6.log" 80
sb_wait_listening be1 80 t 6

# The switch: sw's eth0 is a port of br0; the client c6 hangs off it.
sb_add_host sw 10.0.0.30/24
sb_exec sw ip addr flush dev eth0
sb_exec sw ip link add lbr type bridge mcast_snooping 1 mcast_querier 1 \
    mcast_query_interval 200 mcast_query_response_interval 100 \
    mcast_startup_query_interval 100
sb_exec sw ip link set eth0 master lbr
sb_exec sw bridge link set dev eth0 mcast_flood off
ip netns add "$SB_ID-c6"
ip -n "$SB_ID-c6" link set lo up
sb_exec sw ip link add c6 type veth peer name eth0 netns "$SB_ID-c6"
sb_exec sw ip link set c6 master lbr up
sb_exec sw ip link set lbr up
ip netns exec "$SB_ID-c6" ethtool -K eth0 tx off > /dev/null
sb_exec sw ethtool -K c6 tx off > /dev/null
ip -n "$SB_ID-c6" addr add 2001:db8::3/64 dev eth0 nodad
ip -n "$SB_ID-c6" link set eth0 up

group=ff02::1:ff00:100         # VIP6's solicited-node group
reported() {
    sb_exec sw bridge mdb show dev lbr | grep >/dev/null "port eth0 grp $group"
}
! reported || sb_fail "the switch has $group on eth0 before dsrd started"

e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [
  {"name": "web6", "vip": "$VIP6", "protocol": "tcp", "port": 80,
   "backends": [{"ip": "2001:db8::11"}]}]}
EOC

# dsrd's report when it announced the VIP, or its answer to the switch's
# next query, puts the group on the port towards the load balancer.  Once
# the switch is the querier (its queries reach br0), it forwards the
# group's packets nowhere else: the client's solicitation gets there, and
# the VIP answers.
sb_wait_until reported \
    || sb_fail "no $group on eth0: $(sb_exec sw bridge mdb show dev lbr)"
queried() {
    [ "$(sb_flow_packets "cookie=0xd500000000000000/-1,icmp6,icmp_type=130")" -gt 0 ]
}
sb_wait_until queried || sb_fail "the switch sent no MLD query"
curl6() {
    ip netns exec "$SB_ID-c6" curl -sS --max-time 5 "http://[$VIP6]/"
}
sb_wait_until curl6 > /dev/null || sb_fail "the client behind the snooping switch cannot reach the VIP"
ip netns exec "$SB_ID-c6" ip -6 neigh show "$VIP6" \
    | grep >/dev/null "lladdr $SERVICE_MAC" \
    || sb_fail "client: $(ip netns exec "$SB_ID-c6" ip -6 neigh show "$VIP6")"

# The switch forgets the group (as when its membership times out): the
# answer to its next query brings it back.
sb_exec sw bridge mdb del dev lbr port eth0 grp "$group"
! reported || sb_fail "mdb del did not remove $group"
sb_wait_until reported \
    || sb_fail "no report in answer to a query: $(sb_exec sw bridge mdb show dev lbr)"
[ "$(sb_dsrctl coverage/read-counter lb_vip_mld_report)" -ge 2 ] \
    || sb_fail "dsrd counted $(sb_dsrctl coverage/read-counter lb_vip_mld_report) MLD reports"

e2e_pass "IPv6 VIP behind a switch with MLD snooping"
