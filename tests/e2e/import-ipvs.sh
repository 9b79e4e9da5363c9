#!/bin/bash
# dsrctl import ipvsadm on what a real ipvsadm saves: virtual services
# made with ipvsadm in a kernel's IPVS (DR, TUN and NAT real servers; wlc,
# rr and sh; persistence, weight 0, a firewall-mark service, TCP and UDP,
# IPv4 and IPv6),
# saved with "ipvsadm -Sn" and "ipvsadm-save -n", imported as a dry run:
# DR is l2, TUN ipip (gre with --tunnel=gre), sh and -p source-ip, weight
# 0 drain; NAT and the fwmark service are refused with FILE:LINE (exit 4)
# and left out with --force.  No dsrd and no OVS: the dry run is all
# dsrctl.  Needs a kernel with IPVS: SKIPs elsewhere; make check-vm runs
# it in a VM (tests/vm/README.md), where each command takes about half a
# second (emulation): hence one ipvsadm -R and one jq for the checks.
. "$(dirname "$0")/lib.sh"

DSRCTL=$(realpath "${DSRCTL:-$(dirname "${DSRD:?set DSRCTL or DSRD}")/dsrctl}")
command -v ipvsadm > /dev/null \
    || sb_fail "no ipvsadm: install it (deploy/install-deps.sh)"
sb_init import-ipvs
# IPVS tables are per network namespace: this one holds the test's.
ns=$SB_ID-lb
ip netns add "$ns"
if ! err=$(ip netns exec "$ns" ipvsadm -Ln 2>&1); then
    echo "SKIP: this kernel has no IPVS ($(echo $err));" \
         "make check-vm runs this test"
    exit 77
fi
# IPVS takes only real servers whose addresses route as unicast.
ip -n "$ns" -batch - <<EOF
link add eth0 type dummy
addr add 10.0.0.1/24 dev eth0
addr add 2001:db8::1/64 dev eth0 nodad
link set eth0 up
EOF

# The services, as an operator of IPVS would make them; the last two
# (NAT, a firewall mark) are what ovs-dsr cannot do.
ip netns exec "$ns" ipvsadm -R <<EOF || sb_fail "ipvsadm -R failed"
-A -t 10.0.0.100:80 -s wlc
-a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 3
-a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
-a -t 10.0.0.100:80 -r 10.0.0.13:80 -g -w 0
-A -u 10.0.0.100:53 -s sh
-a -u 10.0.0.100:53 -r 10.0.0.11:53 -g
-a -u 10.0.0.100:53 -r 10.0.0.12:53 -g
-A -t 10.0.0.100:443 -s rr -p 600
-a -t 10.0.0.100:443 -r 10.0.0.21:443 -i
-a -t 10.0.0.100:443 -r 10.0.0.22:443 -i -w 2
-A -u 10.0.0.100:123 -s rr
-a -u 10.0.0.100:123 -r 10.0.0.21:123 -i
-A -t 10.0.0.100:0 -s wlc -p
-a -t 10.0.0.100:0 -r 10.0.0.11:0 -g
-A -t [2001:db8::100]:80 -s rr
-a -t [2001:db8::100]:80 -r [2001:db8::11]:80 -g -w 2
-a -t [2001:db8::100]:80 -r [2001:db8::12]:80 -g
-A -t 10.0.0.101:80 -s rr
-a -t 10.0.0.101:80 -r 10.0.0.31:8080 -m
-A -f 7 -s wlc
-a -f 7 -r 10.0.0.41 -g
EOF

# In $SB_DIR, so that the FILE:LINEs in the log read as in dsrctl.md.
cd "$SB_DIR"
save=ipvs.save
ip netns exec "$ns" ipvsadm -Sn > "$save"
echo "---- ipvsadm -Sn"
cat "$save"
if command -v ipvsadm-save > /dev/null; then
    ip netns exec "$ns" ipvsadm-save -n > ipvsadm-save.save
    cmp "$save" ipvsadm-save.save \
        || sb_fail "ipvsadm-save -n and ipvsadm -Sn differ"
fi

# imp ARG...: "dsrctl import ipvsadm ARG..."; stdout to $SB_DIR/out,
# stderr in $err (both printed), the exit status in $rc.
imp() {
    rc=0
    "$DSRCTL" import ipvsadm "$@" > "$SB_DIR/out" 2> "$SB_DIR/err" || rc=$?
    echo "---- dsrctl import ipvsadm $* (exit status $rc)"
    err=$(< "$SB_DIR/err")
    echo "$err"
    cat "$SB_DIR/out"
}
expect_rc() {
    [ "$rc" = "$1" ] || sb_fail "dsrctl import exited $rc, expected $1"
}
# says REGEX: the last import's stderr matches REGEX (bash's =~, ERE).
says() {
    [[ $err =~ $1 ]] || sb_fail "dsrctl import did not say /$1/"
}
# line_of VAR WORDS: sets VAR to the number of the one line of the save
# file that starts with WORDS.
line_of() {
    local n=0 line found=()
    while IFS= read -r line; do
        n=$((n + 1))
        [[ $line != "$2"* ]] || found+=("$n")
    done < "$save"
    [ "${#found[@]}" = 1 ] || sb_fail "not one line \"$2\" in $save"
    printf -v "$1" %s "${found[0]}"
}
line_of nat '-a -t 10.0.0.101:80 -r 10.0.0.31:8080 -m'
line_of fwmark '-A -f 7 '

# As saved: NAT and fwmark refused by line, nothing printed, exit 4.
imp "$save"
expect_rc 4
says "cannot map: $save:$nat: -m \(masquerading, NAT\)"
says "cannot map: $save:$fwmark: 7: a firewall-mark service"
says "nothing to apply: 0 error\(s\), 2 construct\(s\)"
[ ! -s "$SB_DIR/out" ] || sb_fail "a refused import printed services"

# --force leaves them out and maps the rest.
imp --force "$save"
expect_rc 0
says "left out: $save:$nat: -m"
says "left out: $save:$fwmark: 7: a firewall-mark service"
says "-s wlc: mapped to hash 5-tuple"
says "-p: mapped to hash source-ip"
says "dry run: 6 service\(s\), nothing applied"
# Each check one jq filter, giving true; IPVS may list real servers in
# any order: by address.
svc() { echo ".services[] | select(.name == \"10.0.0.100_$1\")"; }
by_ip='(.backends | map({(.ip): .}) | add)'
checks=(
    '[.services[].name] | sort == ["10.0.0.100_123_udp",
     "10.0.0.100_443_tcp", "10.0.0.100_53_udp", "10.0.0.100_80_tcp",
     "10.0.0.100_all_tcp", "2001-db8--100_80_tcp"]'
    "$(svc 80_tcp) | .vip == \"10.0.0.100\" and .port == 80
     and .protocol == \"tcp\" and .mode == \"l2\" and .hash == \"5-tuple\""
    "$(svc 80_tcp) | $by_ip | .\"10.0.0.11\".weight == 3
     and .\"10.0.0.12\".weight == 1 and .\"10.0.0.12\".state == null
     and .\"10.0.0.13\".state == \"drain\""
    "$(svc 53_udp) | .protocol == \"udp\" and .mode == \"l2\"
     and .hash == \"source-ip\" and (.backends | length == 2)"
    "$(svc 443_tcp) | .mode == \"ipip\" and .hash == \"source-ip\""
    "$(svc 443_tcp) | $by_ip | .\"10.0.0.21\".weight == 1
     and .\"10.0.0.22\".weight == 2"
    "$(svc 123_udp) | .protocol == \"udp\" and .mode == \"ipip\"
     and .hash == \"5-tuple\""
    "$(svc all_tcp) | .port == \"*\" and .mode == \"l2\"
     and .hash == \"source-ip\" and .backends[0].ip == \"10.0.0.11\""
    ".services[] | select(.name == \"2001-db8--100_80_tcp\")
     | .vip == \"2001:db8::100\" and .mode == \"l2\"
     and ($by_ip | .\"2001:db8::11\".weight == 2
          and .\"2001:db8::12\".weight == 1)"
)
program=$(printf '([%s] == [true]),\n' "${checks[@]}")
results=$(jq "${program%,}" "$SB_DIR/out" 2>&1)
mapfile -t results <<< "$results"
for i in "${!checks[@]}"; do
    [ "${results[i]}" = true ] \
        || sb_fail "import's services: not ${checks[i]} (${results[*]})"
done

# TUN as gre with --tunnel=gre; from stdin, the same.
"$DSRCTL" import ipvsadm --force --tunnel=gre - < "$save" \
    > "$SB_DIR/out" 2> "$SB_DIR/err" || sb_fail "import from stdin failed"
jq -e '[.services[] | select(.mode == "gre") | .name] | sort
       == ["10.0.0.100_123_udp", "10.0.0.100_443_tcp"]' "$SB_DIR/out" \
    > /dev/null || sb_fail "--tunnel=gre: $(cat "$SB_DIR/out")"

# Without NAT and the fwmark service, it imports as it is.
grep -Ev -- '-f 7|10\.0\.0\.101:80' "$save" > dsr.save
imp dsr.save
expect_rc 0
says "dry run: 6 service\(s\)"
if [[ $err =~ cannot\ map|left\ out|error ]]; then
    sb_fail "the DSR services alone did not import cleanly"
fi
echo "PASS: dsrctl import ipvsadm on real ipvsadm -Sn output"
