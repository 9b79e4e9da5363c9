#!/bin/bash
# OVS refuses a change (table 0 full, as an operator's flow limit would
# make it): the API answers 502 with OVS's error, rolls the change back in
# the state file, the other services keep working, and later changes
# still go through.
. "$(dirname "$0")/lib.sh"

e2e_setup ovs-rejects 2
e2e_http_backends 2 80
e2e_web_service 2
n=$(sb_ofctl dump-flows br0 table=0 | grep -c cookie=)
echo "table 0 holds $n flows; limiting it to that"
sb_vsctl -- --id=@t create Flow_Table flow_limit="$n" overflow_policy=refuse \
    -- set Bridge br0 flow_tables:0=@t

api POST /v1/services '{"name": "dns", "vip": "10.0.0.101", "protocol": "udp", "port": 53,
                        "backends": [{"ip": "10.0.0.12"}]}'
expect 502 '.error == "switch-error"' '.reason | test("TABLE_FULL|table full|full"; "i")'
api GET /v1/services/dns
expect 404
api GET /v1/config
expect 200 '.services | length == 1' '.services[0].name == "web"'
[ -z "$(sb_dump_flows cookie=0xd501000000000002/-1)" ] \
    || sb_fail "flows of the refused service on the switch"

# The rest of the pipeline was never touched, and dsrd is not stuck.
e2e_curl "http://$VIP/?[1-20]" > "$SB_DIR/answers"
[ "$(grep -c '^be[12]$' "$SB_DIR/answers")" = 20 ] || sb_fail "web broke"
api PATCH /v1/services/web/backends/10.0.0.12 '{"weight": 40}'
expect 200 '.weight == 40'
sb_has_share 1 10.0.0.12 40 140 || sb_fail "a later change did not reach OVS"

# The refused change is not in the state either: a restart from it does
# not bring the service back.
sb_kill_dsrd
sb_start_dsrd ""
sb_wait_until e2e_dsrd_ready
api GET /v1/services/dns
expect 404
api GET /v1/services/web/backends/10.0.0.12
expect 200 '.weight == 40'

# Room again: the same service goes in.
sb_vsctl clear Bridge br0 flow_tables
api POST /v1/services '{"name": "dns", "vip": "10.0.0.101", "protocol": "udp", "port": 53,
                        "backends": [{"ip": "10.0.0.12"}]}'
expect 201 '.id == 3'

E2E_EXPECTED_LOG='OpenFlow error|OVS rejected a change|off the switch until'
e2e_pass "OVS rejections"
