#!/bin/bash
# Resource limits from the configuration's "limits": one service more than
# max_services, one backend more than max_backends_per_service, a body
# over max_body_bytes are refused with an error naming the limit, and
# change nothing, neither in dsrd nor in OVS.  Limits cannot change through
# PUT /v1/config, and GET /v1/config shows them.
. "$(dirname "$0")/lib.sh"

e2e_setup limits 3 "$VIP" 10.0.0.101 10.0.0.102
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "limits": {"max_services": 2, "max_backends_per_service": 2,
            "max_body_bytes": 4096},
 "services": [{"name": "a", "vip": "10.0.0.100", "protocol": "tcp",
               "port": 80, "backends": [{"ip": "10.0.0.11"}]}]}
EOC

api POST /v1/services '{"name": "b", "vip": "10.0.0.101", "protocol": "tcp",
                        "port": 80, "backends": [{"ip": "10.0.0.12"}]}'
expect 201
api GET /v1/config
expect 200 '.limits.max_services == 2' '.limits.max_backends_per_service == 2' \
    '.limits.max_body_bytes == 4096' '.limits.max_api_connections == 4096'
version=$(jq .version "$SB_DIR/body")
flows=$(sb_dump_flows)
groups=$(sb_ofctl dump-groups br0 | sort)

# services-max.
api POST /v1/services '{"name": "c", "vip": "10.0.0.102", "protocol": "tcp",
                        "port": 80, "backends": [{"ip": "10.0.0.13"}]}'
expect 409 '.error == "limit-reached"' '.path == "$"' \
    '.reason == "there are already 2 services, the most that limits.max_services allows"'
api PUT /v1/services/c '{"name": "c", "vip": "10.0.0.102", "protocol": "tcp",
                         "port": 80, "backends": []}'
expect 409 '.error == "limit-reached"'

# backends per service, whether added one by one or in a whole service.
api POST /v1/services/a/backends '{"ip": "10.0.0.12"}'
expect 201
api POST /v1/services/a/backends '{"ip": "10.0.0.13"}'
expect 409 '.error == "limit-reached"' '.path == "$.backends"' \
    '.reason | contains("limits.max_backends_per_service (2)")'
api PATCH /v1/services/b '{"backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12"},
                                        {"ip": "10.0.0.13"}]}'
expect 409 '.error == "limit-reached"' '.path == "$.backends"'
version=$((version + 1))
flows=$(sb_dump_flows)
groups=$(sb_ofctl dump-groups br0 | sort)

# body size: announced or not (chunked), the answer is 413.
jq -n '{name: "d", vip: "10.0.0.102", protocol: "tcp", port: 80,
        backends: [range(200) | {ip: "10.1.0.\(.)"}]}' > "$SB_DIR/big.json"
[ "$(stat -c %s "$SB_DIR/big.json")" -gt 4096 ]
api POST /v1/services "@$SB_DIR/big.json"
expect 413 '.error == "too-large"' \
    '.reason == "request body larger than 4096 bytes (limits.max_body_bytes)"'
api POST /v1/services "@$SB_DIR/big.json" -H 'Transfer-Encoding: chunked'
expect 413 '.error == "too-large"'

# The whole configuration, with other limits: refused.
api GET /v1/config
cp "$SB_DIR/body" "$SB_DIR/current.json"
jq -c '.limits.max_services = 100' "$SB_DIR/current.json" > "$SB_DIR/config.json"
api PUT /v1/config "@$SB_DIR/config.json"
expect 422 '.path == "$.limits"' '.reason | contains("cannot change while dsrd runs")'
# With too many services for its limits: refused.
jq -c '.services += [.services[0] | .name = "c" | .vip = "10.0.0.102"]' \
    "$SB_DIR/current.json" > "$SB_DIR/config.json"
api PUT /v1/config "@$SB_DIR/config.json"
expect 422 '.path == "$.services"' '.reason | contains("limits.max_services (2)")'

# Nothing changed, in dsrd or in OVS.
api GET /v1/config
expect 200 ".version == $version" '(.services | length) == 2' \
    '(.services[0].backends | length) == 2'
[ "$(sb_dump_flows)" = "$flows" ] || sb_fail "flows changed"
[ "$(sb_ofctl dump-groups br0 | sort)" = "$groups" ] || sb_fail "groups changed"

# Limits survive a restart (they are in the state file).  With too few
# file descriptors for them, dsrd fits its connections and probes in what
# it has and says so; the configuration keeps what the operator asked.
sb_stop_dsrd
(ulimit -n 2048 && sb_start_dsrd "")
sb_wait_until api GET /v1/config
expect 200 '.limits.max_services == 2' '.limits.max_api_connections == 4096' \
    '.limits.max_probes_in_flight == 4096'
grep -q 'open file limit 2048 is below the 8704 that the limits need: at most 768 API connections and 768 probes in flight' \
    "$SB_DIR/dsrd.log" || sb_fail "no warning about the open file limit"
E2E_EXPECTED_LOG='open file limit 2048 is below'

e2e_pass "resource limits"
