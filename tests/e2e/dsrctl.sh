#!/bin/bash
# dsrctl, the API's command-line client, against a real dsrd: a service
# added with flags carries traffic; list, show, status and stats print what
# OVS has; backend changes reach the OpenFlow group; --json is the API's
# JSON; exit codes 1 (API error), 2 (usage), 3 (unreachable); a write OVS
# does not confirm is reported pending; bearer token and HTTPS.
. "$(dirname "$0")/lib.sh"

DSRCTL=${DSRCTL:?set DSRCTL to the dsrctl binary}

# ctl ARG...: runs dsrctl in the load balancer's namespace; stdout goes to
# $SB_DIR/out, stderr to $SB_DIR/err, the exit code to $rc.
ctl() {
    rc=0
    ip netns exec "$SB_LB" "$DSRCTL" "$@" > "$SB_DIR/out" 2> "$SB_DIR/err" \
        || rc=$?
}

# expect_rc CODE [REGEX]: the last ctl exited CODE and, if given, REGEX
# (grep -E) matches a line of its output (stdout for 0, else stderr).
expect_rc() {
    local out=$SB_DIR/out
    [ "$1" = 0 ] || out=$SB_DIR/err
    if [ "$rc" != "$1" ]; then
        sb_fail "dsrctl exited $rc, expected $1; stdout: $(cat "$SB_DIR/out"); stderr: $(cat "$SB_DIR/err")"
    fi
    if [ -n "${2-}" ] && ! grep -Eq -- "$2" "$out"; then
        sb_fail "dsrctl output lacks /$2/: $(cat "$out")"
    fi
}

# has REGEX: a line of the last stdout matches REGEX; lacks: none does.
has() { grep -Eq -- "$1" "$SB_DIR/out" || sb_fail "no /$1/ in: $(cat "$SB_DIR/out")"; }
lacks() { ! grep -Eq -- "$1" "$SB_DIR/out" || sb_fail "/$1/ in: $(cat "$SB_DIR/out")"; }

# group ID: the service's OpenFlow group as OVS has it.
group() { sb_ofctl dump-groups br0 | grep "group_id=$1,"; }

e2e_setup dsrctl 3
e2e_http_backends 3 80
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}], "services": []}
EOC
sb_wait_until ctl service list

# Usage errors: exit 2 naming the bad argument, nothing sent.
ctl
expect_rc 2 'missing command'
grep -q -- '--help' "$SB_DIR/err" || sb_fail "no hint to --help: $(cat "$SB_DIR/err")"
ctl frobnicate
expect_rc 2 'unknown command "frobnicate"'
ctl --frobnicate service list
expect_rc 2 'unknown option "--frobnicate"'
ctl service add web --vip "$VIP" --proto tcp --port abc
expect_rc 2 '--port: "abc" is not a port'
ctl service add web --proto tcp --port 80
expect_rc 2 '--vip is required'
ctl service add web --vip "$VIP" --proto tcp --port 80 --backend 10.0.0.11,weight=0
expect_rc 2 'weight: "0" is not a weight'
ctl backend add web 10.0.0.13 --weight 0
expect_rc 2 '--weight: "0" is not a weight'
ctl service show
expect_rc 2 'service show: missing NAME'
ctl backend set web 10.0.0.11
expect_rc 2 'nothing to change'
ctl --timeout soon status
expect_rc 2 '--timeout'
ctl --help
expect_rc 0 '^  backend add SERVICE IP'
ctl --version
expect_rc 0 '^dsrctl \(ovs-dsr\) '
ctl service list
expect_rc 0 '^NAME +VIP +PROTO +PORT +HASH +BACKENDS$'
[ "$(wc -l < "$SB_DIR/out")" = 1 ] || sb_fail "a usage error created something"

# Unreachable: exit 3 with curl's reason.
ctl --url http://127.0.0.1:1 service list
expect_rc 3 '^dsrctl: cannot reach dsrd at http://127.0.0.1:1: .*onnect'

# A service with backends from flags, carrying real traffic.
ctl service add web --vip "$VIP" --proto tcp --port 80 \
    --backend 10.0.0.11 --backend 10.0.0.12,weight=50,state=active
expect_rc 0
[ ! -s "$SB_DIR/out" ] && [ ! -s "$SB_DIR/err" ] \
    || sb_fail "service add printed: $(cat "$SB_DIR/out" "$SB_DIR/err")"
group 1 | grep >/dev/null 'type=select' || sb_fail "no group 1 for web"
sb_has_share 1 10.0.0.12 50 150 || sb_fail "weight 50 not in group"
sb_wait_until e2e_dsrd_ready
e2e_curl "http://$VIP/?[1-40]" > "$SB_DIR/answers"
[ "$(grep -c '^be[12]$' "$SB_DIR/answers")" = 40 ] \
    || sb_fail "traffic through the dsrctl service: $(sort "$SB_DIR/answers" | uniq -c)"
e2e_expect_spread http.log 80 1 be1 be2 < "$SB_DIR/answers"

ctl service list
expect_rc 0 '^web +10\.0\.0\.100 +tcp +80 +5-tuple +2$'
# Datapath statistics reach OpenFlow about once a second.
e2e_wait_api /v1/stats '.services[0].packets >= 160' \
    'all(.services[0].backends[]; .packets > 0)'
ctl service show web
expect_rc 0 "^web  TCP 10\.0\.0\.100:80  hash 5-tuple  mac $SERVICE_MAC  id 1\$"
has '^  -> 10\.0\.0\.11 +weight 100 +active +in-slots +mac ([0-9a-f]{2}:){5}[0-9a-f]{2} +id 0 +packets [1-9][0-9]* +health unchecked$'
has '^  -> 10\.0\.0\.12 +weight 50 +active +in-slots +mac ([0-9a-f]{2}:){5}[0-9a-f]{2} +id 1 +packets [1-9][0-9]* +health unchecked$'
[ "$(wc -l < "$SB_DIR/out")" = 3 ] || sb_fail "service show: $(cat "$SB_DIR/out")"

# --json: the API's documents.
ctl --json service show web
expect_rc 0
jq -e '.name == "web" and .id == 1 and (.backends | length) == 2
       and .backends[1].weight == 50' "$SB_DIR/out" > /dev/null \
    || sb_fail "--json service show: $(cat "$SB_DIR/out")"
"$VALIDATE_JSON" service.schema.json "$SB_DIR/out" \
    || sb_fail "--json service show does not match service.schema.json"
ctl --json service list
expect_rc 0
jq -e 'length == 1 and .[0].vip == "10.0.0.100"' "$SB_DIR/out" > /dev/null \
    || sb_fail "--json service list: $(cat "$SB_DIR/out")"
ctl --json status
expect_rc 0
jq -e '.bridges[0].connected and .services[0].programmed' "$SB_DIR/out" > /dev/null \
    || sb_fail "--json status: $(cat "$SB_DIR/out")"
ctl --json stats
expect_rc 0
jq -e '.services[0].name == "web" and .services[0].packets >= 160' "$SB_DIR/out" > /dev/null \
    || sb_fail "--json stats: $(cat "$SB_DIR/out")"
ctl --json backend add web 10.0.0.13 --weight 10
expect_rc 0
jq -e '.ip == "10.0.0.13" and .id == 2 and .weight == 10' "$SB_DIR/out" > /dev/null \
    || sb_fail "--json backend add: $(cat "$SB_DIR/out")"

# API errors: exit 1, status, kind, path and reason on stderr.
ctl service add web --vip "$VIP" --proto tcp --port 80
expect_rc 1 '^dsrctl: 409 conflict: \$\.name: '
ctl service add x --vip 10.0.0 --proto tcp --port 80
expect_rc 1 '^dsrctl: 422 invalid: \$\.vip: '
ctl service add x --vip 10.0.0.102 --proto sctp --port 80
expect_rc 1 '^dsrctl: 422 invalid: \$\.protocol: '
ctl service add x --vip 224.0.0.5 --proto tcp --port 80
expect_rc 1 '^dsrctl: 422 invalid: \$\.vip: 224\.0\.0\.5 is a multicast address'
# An IPv6 backend reaches dsrd, which refuses it under an IPv4 VIP.
ctl service add x --vip 10.0.0.102 --proto tcp --port 80 --backend 2001:db8::11,weight=5
expect_rc 1 '^dsrctl: 422 invalid: \$\.backends\[0\]\.ip: 2001:db8::11 is IPv6 but the VIP is IPv4'
ctl backend add web 10.0.0.13
expect_rc 1 '^dsrctl: 409 conflict: \$\.ip: '
ctl backend add web 10.0.0.14 --state asleep
expect_rc 1 '^dsrctl: 422 invalid: \$\.state: '
ctl service show nope
expect_rc 1 '^dsrctl: 404 not-found: no such service$'
[ ! -s "$SB_DIR/out" ] || sb_fail "output for a missing service"

# Backends: add (above), set, del, each in the group and in the list.
sb_has_share 1 10.0.0.13 10 160 || sb_fail "backend add not in group"
ctl backend list web
expect_rc 0 '^IP +WEIGHT +STATE +BUCKET +MAC$'
has '^10\.0\.0\.11 +100 +active +0 +-$'
has '^10\.0\.0\.12 +50 +active +1 +-$'
has '^10\.0\.0\.13 +10 +active +2 +-$'
ctl backend set web 10.0.0.12 --weight 70
expect_rc 0
sb_has_share 1 10.0.0.12 70 180 || sb_fail "backend set not in group"
ctl backend set web 10.0.0.13 --state drain
expect_rc 0
ctl backend list web
expect_rc 0 '^10\.0\.0\.12 +70 +active +1 +-$'
has '^10\.0\.0\.13 +10 +drain +2 +-$'
ctl service show web
expect_rc 0 '^  -> 10\.0\.0\.13 +weight 10 +drain '
ctl backend del web 10.0.0.13
expect_rc 0
[ "$(sb_group_slots 1 10.0.0.13)" = 0 ] || sb_fail "deleted backend still in group"
ctl backend list web
expect_rc 0
lacks '10\.0\.0\.13'
ctl backend del web 10.0.0.13
expect_rc 1 '^dsrctl: 404 not-found: '

# Service changes.
ctl service set web --hash source-ip
expect_rc 0
group 1 | grep >/dev/null 'fields=ip_src,' || sb_fail "hash change not in group: $(group 1)"
ctl service list
expect_rc 0 '^web +10\.0\.0\.100 +tcp +80 +source-ip +2$'
cat > "$SB_DIR/dns.json" <<EOF
{"name": "dns", "vip": "10.0.0.100", "protocol": "udp", "port": 53,
 "backends": [{"ip": "10.0.0.13", "weight": 5}]}
EOF
ctl service add --file "$SB_DIR/dns.json"
expect_rc 0
# Answered once OVS committed it, or after 2 s with a "pending" note when
# OVS is slow (a loaded machine, DPDK): then the group comes a bit later.
dns_has_slots() { [ "$(sb_group_slots 2 10.0.0.13)" = 256 ]; }
sb_wait_until dns_has_slots || sb_fail "no group for dns"
ctl service add any --vip 10.0.0.101 --proto both --port '*'
expect_rc 0
ctl service list
expect_rc 0 '^dns +10\.0\.0\.100 +udp +53 +5-tuple +1$'
has '^any +10\.0\.0\.101 +both +\* +5-tuple +0$'
[ "$(wc -l < "$SB_DIR/out")" = 4 ] || sb_fail "service list: $(cat "$SB_DIR/out")"

ctl status
expect_rc 0 "^bridge br0: connected, in sync, datapath $(e2e_datapath_kind)\$"
has "^web  TCP 10\.0\.0\.100:80  hash source-ip  mac $SERVICE_MAC  id 1\$"
has "^dns  UDP 10\.0\.0\.100:53  hash 5-tuple  mac $SERVICE_MAC  id 2\$"
has "^any  TCP\+UDP 10\.0\.0\.101:\*  hash 5-tuple  mac $SERVICE_MAC  id 3\$"
has '^  -> 10\.0\.0\.13 +weight 5 +active +in-slots '
# Changing the group reset its bucket counters: new traffic (source-ip
# hashing sends this client to one backend).
e2e_curl "http://$VIP/?[1-10]" > "$SB_DIR/answers"
[ "$(grep -c '^be[12]$' "$SB_DIR/answers")" = 10 ] || sb_fail "traffic after set"
# (Statistics again, once they have caught up.)
e2e_wait_api /v1/stats \
    '.services[] | select(.name == "web") | .packets > 0' \
    '[.services[] | select(.name == "web") | .backends[].packets] | add > 0'
ctl stats
expect_rc 0 '^SERVICE/BACKEND +PACKETS +BYTES$'
has '^web +[1-9][0-9]* +[1-9][0-9]*$'
has '^  -> 10\.0\.0\.1[12] +[1-9][0-9]* +[1-9][0-9]*$'
has '^  -> 10\.0\.0\.13 +0 +0$'
has '^dns +0 +0$'

# Rates (ipvsadm --rate style) while traffic flows, and watch's tables.
sb_exec client sh -c "while [ ! -e '$SB_DIR/stop' ]; do
    curl -s --max-time 5 http://$VIP/ > /dev/null; done" &
traffic=$!
web_has_rate() {
    ctl --json stats --rate --interval 1
    [ "$rc" = 0 ] && jq -e '.interval_ms >= 1000 and (.services[]
        | select(.name == "web") | .packets_per_s > 0 and .bytes_per_s > 0)' \
        "$SB_DIR/out" > /dev/null
}
SB_WAIT=30 sb_wait_until web_has_rate || sb_fail "no rate: $(cat "$SB_DIR/out")"
ctl stats --rate --interval 0.5
expect_rc 0 '^SERVICE/BACKEND +HEALTH +PKTS/S +BYTES/S$'
has '^  -> 10\.0\.0\.13 +0 +0$'
ctl watch --interval 0.2 --count 3
expect_rc 0 '^dsrctl watch, every 0\.2 s'
[ "$(grep -c '^SERVICE/BACKEND' "$SB_DIR/out")" = 3 ] \
    || sb_fail "watch: $(cat "$SB_DIR/out")"
has '^web +2 up +'
has '^  -> 10\.0\.0\.13 +unchecked +'
touch "$SB_DIR/stop"
wait "$traffic"
ctl watch --count 0
expect_rc 2 'watch: --count 0: a positive integer expected'
ctl stats --interval 0
expect_rc 2 'stats: --interval 0: seconds from 0.1 to 3600 expected'
ctl stats --count 2
expect_rc 2 'stats: unknown option "--count"'

ctl service del dns
expect_rc 0
[ -z "$(group 2)" ] || sb_fail "group of dns remains"
ctl service del any
expect_rc 0
ctl service del any
expect_rc 1 '^dsrctl: 404 not-found: '
ctl service list
expect_rc 0
lacks '^(dns|any) '

# OVS connected but silent: the write is saved and answered 202 after
# 2 s; exit 0 with a note.  OVS gets it when it wakes up.
vswitchd=$(cat "$SB_DIR/ovs-vswitchd.pid")
kill -STOP "$vswitchd"
ctl backend set web 10.0.0.12 --weight 60
kill -CONT "$vswitchd"
expect_rc 0
grep -q '^dsrctl: note: the change is saved, but OVS has not confirmed it' \
    "$SB_DIR/err" || sb_fail "no pending note: $(cat "$SB_DIR/err")"
sb_wait_until sb_has_share 1 10.0.0.12 60 160 2>/dev/null
sb_wait_until e2e_dsrd_ready

# Bearer token and HTTPS: restart dsrd with both.
sb_stop_dsrd
printf 'secret-token\n' > "$SB_DIR/token"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$SB_DIR/key.pem" \
    -out "$SB_DIR/cert.pem" 2> /dev/null
SB_DSRD_ARGS="--api-token-file=$SB_DIR/token --api-tls-cert=$SB_DIR/cert.pem --api-tls-key=$SB_DIR/key.pem" \
    sb_start_dsrd ""
sb_wait_until e2e_dsrd_ready
https=https://127.0.0.1:9180
sb_wait_until ctl --url "$https" --insecure --token secret-token status
ctl --url "$https" service list
expect_rc 3 'cannot reach dsrd at https://127.0.0.1:9180: .*(certificate|SSL)'
ctl --url "$https" --cacert "$SB_DIR/cert.pem" service list
expect_rc 1 '^dsrctl: 401 unauthorized: '
ctl --url "$https" --cacert "$SB_DIR/cert.pem" --token wrong service list
expect_rc 1 '^dsrctl: 401 unauthorized: '
ctl --url "$https" --cacert "$SB_DIR/cert.pem" --token-file "$SB_DIR/token" \
    service list
expect_rc 0 '^web +10\.0\.0\.100 +tcp +80 +source-ip +2$'
DSRCTL_URL=$https/ DSRCTL_TOKEN=secret-token ctl --insecure backend list web
expect_rc 0 '^10\.0\.0\.12 +60 +active +1 +-$'

# Bash completion, service names asked from dsrd with the options typed.
comp=$TOP_SRCDIR/deploy/dsrctl.bash-completion
bash -c ". '$comp'; complete -p dsrctl" | grep >/dev/null ' -F _dsrctl dsrctl$' \
    || sb_fail "bash completion does not register"
# completes WORD... EXPECTED: completing the last WORD offers EXPECTED.
completes() {
    local expected=${*: -1} got
    local -a words=("${@:1:$#-1}")
    got=$(ip netns exec "$SB_LB" bash -c '. "$0"; COMP_WORDS=("$@")
              COMP_CWORD=$(($# - 1)); _dsrctl; echo "${COMPREPLY[*]}"' \
              "$comp" "${words[@]}")
    [ "$got" = "$expected" ] || sb_fail "completing '${words[*]}': '$got', expected '$expected'"
}
completes dsrctl ser service
completes dsrctl backend s set
completes dsrctl service add web --pr --proto
completes dsrctl backend set web 10.0.0.11 --state d "drain disabled"
completes "$DSRCTL" --url "$https" --insecure --token secret-token \
    service show '' web
completes "$DSRCTL" --url "$https" --insecure --token secret-token \
    backend del web 10.0.0.1 "10.0.0.11 10.0.0.12"

e2e_pass "dsrctl"
