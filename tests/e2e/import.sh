#!/bin/bash
# dsrctl import against a real dsrd: a keepalived.conf for IPVS-DR (with
# includes) applied with --apply becomes services that carry traffic, in
# one change that keeps the operator's other services; run again, it
# replaces what it imported.  Debian's keepalived samples (NAT) are
# refused with FILE:LINE and, made DR, import with --force; ipvsadm -Sn
# output from stdin too.  Malformed files and refused ones apply nothing:
# the configuration's version does not move.
. "$(dirname "$0")/lib.sh"
e2e_any_datapath "dsrctl import is a client of the API"

DSRCTL=${DSRCTL:?set DSRCTL to the dsrctl binary}
DATA=$TOP_SRCDIR/tests/import
SAMPLES=/usr/share/doc/keepalived/samples

# imp ARG...: "dsrctl import ARG..." in the load balancer's namespace;
# stdout to $SB_DIR/out, stderr to $SB_DIR/err, exit code to $rc.
imp() {
    rc=0
    ip netns exec "$SB_LB" "$DSRCTL" import "$@" > "$SB_DIR/out" \
        2> "$SB_DIR/err" || rc=$?
    cat "$SB_DIR/out" "$SB_DIR/err"
}

# expect_import CODE REGEX: the last imp exited CODE, and REGEX (grep -E)
# matches a line of its stdout or stderr.
expect_import() {
    [ "$rc" = "$1" ] || sb_fail "dsrctl import exited $rc, expected $1"
    cat "$SB_DIR/out" "$SB_DIR/err" | grep -E >/dev/null -- "$2" \
        || sb_fail "no /$2/ in the output of dsrctl import"
}

# config_version: the configuration's version, from GET /v1/config.
config_version() {
    api GET /v1/config
    jq -r .version "$SB_DIR/body"
}

[ -d "$SAMPLES" ] || sb_fail "$SAMPLES missing: install keepalived (deploy/install-deps.sh)"

e2e_setup import 3
e2e_http_backends 3 80
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}],
 "services": [{"name": "operator", "vip": "10.0.0.101", "protocol": "tcp",
               "port": 443, "backends": [{"ip": "10.0.0.11"}]}]}
EOC
v0=$(config_version)

# Usage errors: exit 2.
imp frob "$DATA/keepalived-dr.conf"
expect_import 2 'unknown subcommand "frob" \(use keepalived or ipvsadm\)'
imp keepalived --tunnel=vxlan "$DATA/keepalived-dr.conf"
expect_import 2 '--tunnel: "vxlan" is not ipip or gre'

# Malformed files: an error with FILE:LINE, exit 4, nothing applied.
imp keepalived --apply "$DATA/unbalanced-open.conf"
expect_import 4 "unbalanced-open.conf:1: '\{' \(of \"virtual_server\"\) is never closed"
imp keepalived --apply "$DATA/unbalanced-close.conf"
expect_import 4 "unbalanced-close.conf:4: '\}' without a matching '\{'"
imp keepalived --apply "$DATA/bad-lb-kind.conf"
expect_import 4 'bad-lb-kind.conf:2: lb_kind: unknown forwarding method "DSR"'
imp keepalived --apply --force "$DATA/bad-ip.conf"
expect_import 4 'bad-ip.conf:3: real_server: expected an IP address'
imp keepalived --apply "$DATA/missing-include.conf"
expect_import 4 'missing-include.conf:2: include .*does-not-exist.conf: no such file'
imp ipvsadm --apply "$DATA/ipvsadm-bad.save"
expect_import 4 'ipvsadm-bad.save:1: "10.0.0.100:http" is not IPV4:PORT or \[IPV6\]:PORT'
[ "$(config_version)" = "$v0" ] || sb_fail "a malformed import changed the configuration"

# A Debian sample as shipped: NAT and a sorry server, refused by line.
imp keepalived --apply "$SAMPLES/keepalived.conf.sample"
expect_import 4 "cannot map: .*keepalived.conf.sample:29: lb_kind: NAT"
expect_import 4 "cannot map: .*keepalived.conf.sample:33: sorry_server:"
expect_import 4 "nothing applied"
[ "$(config_version)" = "$v0" ] || sb_fail "a refused import changed the configuration"

# The dry run (the default) prints the services and applies nothing.
imp keepalived "$DATA/keepalived-dr.conf"
expect_import 0 'dry run: 3 service'
jq -e '.services | length == 3' "$SB_DIR/out" > /dev/null
[ "$(config_version)" = "$v0" ] || sb_fail "a dry run changed the configuration"

# --apply: one change, the operator's service kept.
imp keepalived --apply "$DATA/keepalived-dr.conf"
expect_import 0 'applied 3 service\(s\) in one change'
api GET /v1/services
expect 200 'length == 4' \
    '.[] | select(.name == "operator") | .port == 443' \
    '.[] | select(.name == "10.0.0.100_80_tcp")
       | .mode == "l2" and .hash == "5-tuple"
         and .health_check.type == "http" and .health_check.path == "/health"
         and .health_check.interval_ms == 2000 and .health_check.fall == 3
         and ([.backends[] | .weight] == [3, 1, 1])
         and .backends[2].state == "drain"' \
    '.[] | select(.name == "10.0.0.100_53_udp")
       | .protocol == "udp" and .hash == "source-ip"
         and .health_check.preset == "dns"' \
    '.[] | select(.name == "10.0.0.100_22_tcp") | .hash == "source-ip"'
v1=$(config_version)
[ "$v1" != "$v0" ] || sb_fail "the import did not change the configuration"

# The imported web service carries traffic: be1 and be2, never the
# drained be3.
e2e_wait_api /v1/status \
    '[.services[] | select(.name == "10.0.0.100_80_tcp") | .backends[]
      | select(.in_slots and .health == "up")] | length == 2'
e2e_curl "http://$VIP/?[1-40]" > "$SB_DIR/answers"
[ "$(e2e_count be1 < "$SB_DIR/answers")" -gt 0 ] || sb_fail "be1 never answered"
[ "$(e2e_count be2 < "$SB_DIR/answers")" -gt 0 ] || sb_fail "be2 never answered"
[ "$(e2e_count be3 < "$SB_DIR/answers")" = 0 ] || sb_fail "drained be3 answered"

# Run again: the same services, replaced in place.
imp keepalived --apply "$DATA/keepalived-dr.conf"
expect_import 0 'replaced 10.0.0.100_80_tcp'
api GET /v1/services
expect 200 'length == 4'

# A Debian sample made DR imports with --force, which leaves out its
# sorry_server and says so.
sed 's/lb_kind NAT/lb_kind DR/' "$SAMPLES/keepalived.conf.sample" > "$SB_DIR/keepalived.conf"
imp keepalived --apply "$SB_DIR/keepalived.conf"
expect_import 4 'cannot map: .*keepalived.conf:33: sorry_server'
imp keepalived --apply --force "$SB_DIR/keepalived.conf"
expect_import 0 'left out: .*keepalived.conf:33: sorry_server'
api GET /v1/services
expect 200 '.[] | select(.name == "10.10.10.2_1358_tcp")
              | .health_check.type == "http"
                and .health_check.path == "/testurl3/test.jsp"
                and .backends[0].ip == "192.168.200.2"'

# ipvsadm -Sn output from stdin; TUN as gre with --tunnel=gre.  This
# node has no GRE port and no route to the tunnelled backend: dsrd
# accepts the service and says so (the warnings below).
imp ipvsadm --apply --tunnel=gre - < "$DATA/ipvsadm-dr.save"
expect_import 0 'applied 3 service\(s\) in one change'
api GET /v1/services
expect 200 '.[] | select(.name == "10.0.0.100_all_tcp")
              | .port == "*" and .mode == "gre" and .hash == "source-ip"' \
    '.[] | select(.name == "10.0.0.100_80_tcp")
       | [.backends[] | .weight] == [3, 1, 1] and .health_check == null'

E2E_EXPECTED_LOG='no GRE port for gre services|no route to backend 10\.0\.0\.21'
e2e_pass "import"
