#!/bin/bash
# The REST API over real HTTP: every resource and documented error, a
# service created over the API carrying real traffic, deletion removing
# exactly its flows and group, and the state surviving a SIGKILL.
. "$(dirname "$0")/lib.sh"

e2e_setup api 3 "$VIP" 10.0.0.101
e2e_http_backends 3 80
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [{"name": "other", "vip": "10.0.0.101", "protocol": "udp",
               "port": 53, "backends": [{"ip": "10.0.0.13"}]}]}
EOC
sb_wait_until api GET /v1/services
expect 200 'length == 1' '.[0].name == "other"' '.[0].id == 1'
"$VALIDATE_JSON" service.schema.json <(jq '.[0]' "$SB_DIR/body") \
    || sb_fail "GET /v1/services does not match service.schema.json"
other_flows=$(sb_dump_flows cookie=0xd501000000000001/-1)

# Create.
web='{"name": "web", "vip": "10.0.0.100", "protocol": "tcp", "port": 80,
      "backends": [{"ip": "10.0.0.11"}, {"ip": "10.0.0.12", "weight": 50}]}'
api POST /v1/services "$web"
expect 201 '.name == "web"' '.id == 2' '.hash == "5-tuple"' \
    '.backends[1].weight == 50' '.backends[0].id == 0' \
    '.backends[1].id == 1'
[ "$(header Location)" = /v1/services/web ] || sb_fail "Location: $(header Location)"
etag=$(header ETag)
[ -n "$etag" ] || sb_fail "no ETag"
# Answered only once OVS has it: the group is there right away.
sb_ofctl dump-groups br0 | grep >/dev/null "group_id=2,type=select" \
    || sb_fail "group 2 missing after 201"

# It carries real traffic.
sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show | grep -A2 'service web' | grep -v >/dev/null unresolved"
e2e_curl "http://$VIP/?[1-40]" > "$SB_DIR/answers"
[ "$(grep -c '^be[12]$' "$SB_DIR/answers")" = 40 ] \
    || sb_fail "traffic through the API-created service: $(sort "$SB_DIR/answers" | uniq -c)"

api GET /v1/services/web
expect 200 '.vip == "10.0.0.100"'

[ "$(header ETag)" = "$etag" ] || sb_fail "ETag changed without a change"

# Live counters, read from OVS: every request's packets, split by backend.
e2e_wait_api /v1/stats '.services[] | select(.name == "web") | .packets >= 160' \
    '(.services[] | select(.name == "web")) as $w
     | ([$w.backends[].packets] | add) == $w.packets' \
    '.services[] | select(.name == "web") | .backends[] | .packets > 0'
api GET /metrics
expect 200
grep -q '^dsr_service_packets_total{service="web",vip="10.0.0.100"} [1-9]' "$SB_DIR/body" \
    || sb_fail "no web packets in /metrics"
grep -q '^dsr_backend_packets_total{service="web",backend="10.0.0.11"} [1-9]' "$SB_DIR/body" \
    || sb_fail "no backend packets in /metrics"
grep -q '^dsr_bridge_connected{bridge="br0"} 1$' "$SB_DIR/body" \
    || sb_fail "bridge state missing from /metrics"
grep -q '^# TYPE dsr_service_bytes_total counter$' "$SB_DIR/body" \
    || sb_fail "/metrics lacks TYPE lines"

# Conflicts and invalid input: 4xx naming the field, nothing changed.
version() { api GET /v1/config; jq .version "$SB_DIR/body"; }
v0=$(version)
api POST /v1/services "$web"
expect 409 '.error == "conflict"' '.path == "$.name"'
api POST /v1/services '{"name": "web2", "vip": "10.0.0.100", "protocol": "both", "port": 80}'
expect 409 '.path == "$"' '.reason | test("already served by service \"web\"")'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 80, "backends": [{"ip": "10.0.0.100"}]}'
expect 409 '.path == "$.backends[0].ip"' '.reason | test("VIP of service")'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 80, "backends": [{"ip": "10.0.0.11", "port": 8080}]}'
expect 422 '.error == "invalid"' '.path == "$.backends[0].port"' '.reason | test("port translation")'
api POST /v1/services '{"name": "x", "vip": "10.0.0", "protocol": "tcp", "port": 80}'
expect 422 '.path == "$.vip"'
# Addresses no host can own as a unicast address, as VIP or backend.
for ip in 224.0.0.5 0.0.0.0 127.0.0.1 169.254.0.1 255.255.255.255 \
        :: ::1 ff02::5 fe80::1; do
    api POST /v1/services '{"name": "x", "vip": "'$ip'", "protocol": "tcp", "port": 80}'
    expect 422 '.path == "$.vip"' '.reason | test("must be a unicast address")'
    api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 80, "backends": [{"ip": "'$ip'"}]}'
    expect 422 '.path == "$.backends[0].ip"' '.reason | test("must be a unicast address")'
    api POST /v1/services/web/backends '{"ip": "'$ip'"}'
    expect 422 '.path == "$.ip"' '.reason | test("must be a unicast address")'
done
api POST /v1/services '{"name": "x", "vip": "2001:db8::1::2", "protocol": "tcp", "port": 80}'
expect 422 '.path == "$.vip"' '.reason | test("not an IPv4 or IPv6 address")'
api POST /v1/services '{"name": "x", "vip": "2001:db8::100", "protocol": "tcp", "port": 80, "mode": "ipip"}'
expect 422 '.path == "$.vip"' '.reason | test("IPv6, which mode \"ipip\" cannot carry")'
api POST /v1/services/web/backends '{"ip": "2001:db8::11"}'
expect 422 '.path == "$.ip"' '.reason | test("is IPv6 but the VIP is IPv4")'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": "80"}'
expect 422 '.path == "$.port"'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 70000}'
expect 422 '.path == "$.port"' '.reason | test("at most 65535")'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 80, "mac": "0x:d5:d5:00:00:01"}'
expect 422 '.path == "$.mac"'
api POST /v1/services '{"name": "x", "vip": "10.0.0.102", "protocol": "tcp", "port": 80, "colour": "red"}'
expect 422 '.path == "$.colour"' '.reason == "unknown field"'
api POST /v1/services '{"name": "x", "vip": '
expect 400 '.error == "bad-request"' '.reason | test("malformed JSON")'
api POST /v1/services "$(printf '%.0s[' $(seq 1 5000))$(printf '%.0s]' $(seq 1 5000))"
expect 400
head -c 17000000 /dev/zero | tr '\0' ' ' > "$SB_DIR/huge"
api POST /v1/services "@$SB_DIR/huge"
expect 413 '.error == "too-large"'
api POST /v1/services '<xml/>' -H 'Content-Type: application/xml'
expect 415
api GET /v1/services/nope
expect 404 '.error == "not-found"'
api GET /v1/nothing
expect 404
api DELETE /v1/services
expect 405
[ "$(version)" = "$v0" ] || sb_fail "a rejected request changed the config"

# Replace, patch, optimistic concurrency.
api PUT /v1/services/web "$(echo "$web" | jq '.hash = "source-ip"')" -H "If-Match: \"1\""
expect 412 '.error == "precondition-failed"'
api PUT /v1/services/web "$(echo "$web" | jq '.hash = "source-ip"')" -H "If-Match: $etag"
expect 200 '.hash == "source-ip"' '.id == 2'
etag2=$(header ETag)
[ "$etag2" != "$etag" ] || sb_fail "version did not change"
sb_ofctl dump-groups br0 | grep "group_id=2," | grep >/dev/null "fields=ip_src," \
    || sb_fail "group 2 not updated to source-ip"
api PATCH /v1/services/web '{"hash": "5-tuple"}' -H "If-Match: $etag"
expect 412
api PATCH /v1/services/web '{"hash": "5-tuple"}' -H "If-Match: $etag2"
expect 200 '.hash == "5-tuple"' '.backends | length == 2'
api PATCH /v1/services/web '{"name": "renamed"}'
expect 422 '.path == "$.name"'
# ?wait=nodes waits for a clustered store's nodes: without one, a 400
# that changes nothing.
api PATCH "/v1/services/web?wait=nodes" '{"hash": "source-ip"}'
expect 400 '.reason | test("wait=nodes")'
api GET /v1/services/web
expect 200 '.hash == "5-tuple"'

# Backends.
api GET /v1/services/web/backends
expect 200 'length == 2'
api POST /v1/services/web/backends '{"ip": "10.0.0.13", "weight": 10}'
expect 201 '.ip == "10.0.0.13"' '.id == 2' '.weight == 10'
[ "$(header Location)" = /v1/services/web/backends/10.0.0.13 ] || sb_fail "backend Location"
api POST /v1/services/web/backends '{"ip": "10.0.0.13"}'
expect 409 '.path == "$.ip"'
api POST /v1/services/web/backends '{"ip": "10.0.0.14", "weight": 0}'
expect 422 '.path == "$.weight"'
api PATCH /v1/services/web/backends/10.0.0.12 '{"state": "drain"}'
expect 200 '.state == "drain"' '.id == 1' '.weight == 50'
betag=$(header ETag)
api PATCH /v1/services/web/backends/10.0.0.12 '{"state": "active"}' -H 'If-Match: "1"'
expect 412
api PATCH /v1/services/web/backends/10.0.0.12 '{"ip": "10.0.0.15"}'
expect 422 '.path == "$.ip"'
api PUT /v1/services/web/backends/10.0.0.12 '{"weight": 70}' -H "If-Match: $betag"
expect 200 '.weight == 70' '.state == "active"'
api GET /v1/services/web/backends/10.0.0.99
expect 404
sb_has_share 2 10.0.0.12 70 180 || sb_fail "weight change did not reach OVS"
api DELETE /v1/services/web/backends/10.0.0.13
expect 204
api GET /v1/services/web/backends/10.0.0.13
expect 404
# Bucket ids are stable: a new backend takes the lowest free id.
api POST /v1/services/web/backends '{"ip": "10.0.0.13"}'
expect 201 '.id == 2'

# Status.
api GET /v1/status
expect 200 '.bridges[0].connected' \
    '.services[] | select(.name == "web") | .backends | length == 3' \
    '.services[] | select(.name == "web") | .backends[0].mac_source == "arp"' \
    '.services[] | select(.name == "web") | .backends[0].since | test("^20[0-9-]+T")'

# Persistence: SIGKILL, restart from the state file alone.
api GET /v1/config
cp "$SB_DIR/body" "$SB_DIR/config.before"
flows_before=$(sb_dump_flows)
sb_kill_dsrd
rm -f "$SB_DIR/dsrd.json"
E2E_EXPECTED_LOG='.'   # a log from the killed process is not checked
sb_start_dsrd ""
sb_wait_until e2e_dsrd_ready
api GET /v1/config
diff <(jq -S . "$SB_DIR/config.before") <(jq -S . "$SB_DIR/body") \
    || sb_fail "config changed across a restart"
[ "$(sb_dump_flows)" = "$flows_before" ] || sb_fail "flows changed across a restart"

# Whole-config replace: only what differs is touched.
before=$(ovs-appctl -t dsrd coverage/read-counter ofctrl_msg)
subslots_before=$(sb_dump_flows table=25)
jq '(.services[] | select(.name == "web") | .backends[0].weight) = 33' \
    "$SB_DIR/config.before" > "$SB_DIR/config.new"
api PUT /v1/config "$(cat "$SB_DIR/config.new")"
expect 200 '.services | length == 2' \
    '(.services[] | select(.name == "web") | .backends[0].weight) == 33'
after=$(ovs-appctl -t dsrd coverage/read-counter ofctrl_msg)
# The group, and (web's weights make its table fine) each flow of its
# sub-slot trees that was added, deleted or changed: one message each.
subslot_changes=$({ diff <(echo "$subslots_before") <(sb_dump_flows table=25) \
                       || true; } | sed -n 's/^[<>] \(.*\) actions=.*/\1/p' | sort -u | wc -l)
[ "$subslot_changes" -gt 0 ] || sb_fail "web's table is not fine"
[ $((after - before)) = $((1 + subslot_changes)) ] \
    || sb_fail "PUT /v1/config sent $((after - before)) messages for one changed group and $subslot_changes changed flows"
api PUT /v1/config '{"bridges": [{"name": "br9"}], "services": []}'
expect 422 '.path == "$.bridges"'
# The document is checked as a whole: a name twice, or a new VIP that an
# unchanged service holds, is refused; two services may swap their VIPs.
api GET /v1/config
cp "$SB_DIR/body" "$SB_DIR/config.now"
jq '.services += [.services[0]]' "$SB_DIR/config.now" > "$SB_DIR/config.new"
api PUT /v1/config "@$SB_DIR/config.new"
expect 422 '.path == "$.services[2].name"'
jq '.services[1].vip = .services[0].vip
    | .services[1].protocol = .services[0].protocol
    | .services[1].port = .services[0].port' \
    "$SB_DIR/config.now" > "$SB_DIR/config.new"
api PUT /v1/config "@$SB_DIR/config.new"
expect 422 '.path == "$.services[1]"' '.reason | test("already served")'
jq '.services[0].vip as $a | .services[1].vip as $b
    | .services[0].vip = $b | .services[1].vip = $a' \
    "$SB_DIR/config.now" > "$SB_DIR/config.new"
api PUT /v1/config "@$SB_DIR/config.new"
expect 200 ".services[0].vip == $(jq .services[1].vip "$SB_DIR/config.now")"
api PUT /v1/config "@$SB_DIR/config.now"
expect 200 ".services[0].vip == $(jq .services[0].vip "$SB_DIR/config.now")"

# A body laid out as GET gives it (a service a line) is read a line at a
# time: lines equal to the service in force are compared, not parsed.
edit_line() {   # edit_line PYTHON-EXPR: applied to the line of "web"
    python3 -c '
import re, sys
lines = open(sys.argv[1]).read().split("\n")
i = next(i for i, l in enumerate(lines) if re.search(r"\"name\": *\"web\"", l))
l = lines[i]
lines[i] = eval(sys.argv[2])
print("\n".join(lines), end="")' "$SB_DIR/config.now" "$1" > "$SB_DIR/config.new"
}
api GET /v1/config
cp "$SB_DIR/body" "$SB_DIR/config.now"
edit_line 're.sub(r"\"weight\": *[0-9]+", "\"weight\": 34", l, 1)'
api PUT /v1/config "@$SB_DIR/config.new"
expect 200 '(.services[] | select(.name == "web") | .backends[0].weight) == 34'
grep -q 'a service a line, 1 of 2 parsed' "$SB_DIR/dsrd.log" \
    || sb_fail "PUT of GET's layout parsed more than the changed line"
api GET /v1/config
cp "$SB_DIR/body" "$SB_DIR/config.now"
edit_line 're.sub(r"\"vip\": *\"", "\"vip\": \"300.", l, 1)'
api PUT /v1/config "@$SB_DIR/config.new"
expect 422 '.path | test("^\\$\\.services\\[[01]\\]\\.vip$")'
edit_line 'l[:40]'
api PUT /v1/config "@$SB_DIR/config.new"
expect 400 '.reason | test("malformed JSON")'
edit_line 'l + ",\n  " + l'
api PUT /v1/config "@$SB_DIR/config.new"
expect 422 '.path | test("^\\$\\.services\\[[12]\\]\\.name$")'
api GET /v1/config
cmp -s "$SB_DIR/body" "$SB_DIR/config.now" || sb_fail "a refused PUT changed the config"

# Delete: its flows and group go, the other service is untouched.
api DELETE /v1/services/web
expect 204
[ -z "$(sb_dump_flows cookie=0xd501000000000002/-1)" ] || sb_fail "flows of web remain"
! sb_ofctl dump-groups br0 | grep >/dev/null "group_id=2," || sb_fail "group 2 remains"
[ -z "$(sb_dump_flows cookie=0xd50200000a000064/-1)" ] || sb_fail "VIP flows of web remain"
[ "$(sb_dump_flows cookie=0xd501000000000001/-1)" = "$other_flows" ] \
    || sb_fail "deleting web changed the other service's flows"
api GET /v1/services/web
expect 404

E2E_EXPECTED_LOG=
# Draining is for nodes that announce by BGP (tests/e2e/bgp-ecmp.sh).
api PUT /v1/node '{"drained": true}'
expect 409 '.path == "$.drained"'
api GET /v1/node
expect 200 '.drained == false' '.announce.mode == "arp"'
e2e_pass "REST API"
