#!/bin/bash
# No acknowledged change is lost: 1,000 API writes in a burst while dsrd
# is killed with SIGKILL at a random moment.  After a restart from the
# state file, every write that got a 2xx is in the API and in OVS.
. "$(dirname "$0")/lib.sh"

e2e_setup api-crash 1
e2e_start_dsrd <<EOC
{"bridges": [{"name": "br0", "mac": "$SERVICE_MAC"}], "services": []}
EOC

# The kill lands at a random point of the burst: after a random number
# of answers, between 50 and 950.
at=$((50 + RANDOM % 900))
: > "$SB_DIR/writes"
ip netns exec "$SB_LB" python3 "$TOP_SRCDIR/tests/e2e/api-writer.py" \
    http://127.0.0.1:9180 1000 4 "$SB_DIR/writes" &
writer=$!
SB_WAIT=60 sb_wait_until sh -c "[ \$(wc -l < '$SB_DIR/writes') -ge $at ]"
sb_kill_dsrd
wait "$writer"
acked=$(awk '$3 ~ /^2/' "$SB_DIR/writes" | wc -l)
cut=$(awk '$3 == "error"' "$SB_DIR/writes" | wc -l)
echo "killed dsrd after $at answers: $acked of 1000 writes acknowledged," \
     "$cut cut off"
[ "$cut" -gt 0 ] || sb_fail "the kill came after the burst"
[ "$acked" -gt 0 ] || sb_fail "no write was acknowledged before the kill"
! grep -v ' 201$' "$SB_DIR/writes" | grep -v >/dev/null ' error$' \
    || sb_fail "unexpected answers: $(grep -v ' 201$' "$SB_DIR/writes" | grep -v ' error$' | head)"

sb_start_dsrd ""
sb_wait_until api GET /v1/config
expect 200
jq -r '.services[].name' "$SB_DIR/body" | sort > "$SB_DIR/present"
awk '$3 ~ /^2/ {print "svc-" $2}' "$SB_DIR/writes" | sort > "$SB_DIR/acked"
lost=$(comm -23 "$SB_DIR/acked" "$SB_DIR/present")
[ -z "$lost" ] || sb_fail "acknowledged writes lost: $(echo "$lost" | head)"

# And OVS has exactly what the state says, once dsrd has reprogrammed it.
sb_wait_until sh -c "ovs-appctl -t dsrd dsr/show | grep >/dev/null 'in sync'"
jq -r '.services[].id' "$SB_DIR/body" | sort -n > "$SB_DIR/ids"
sb_ofctl dump-groups br0 | sed -n 's/.*group_id=\([0-9]*\),.*/\1/p' \
    | sort -n > "$SB_DIR/groups"
diff "$SB_DIR/ids" "$SB_DIR/groups" > /dev/null \
    || sb_fail "groups in OVS differ from the state: $(diff "$SB_DIR/ids" "$SB_DIR/groups" | head)"
echo "$(wc -l < "$SB_DIR/present") services after the restart, all in OVS"

E2E_EXPECTED_LOG='.'    # the killed run's log is not checked
e2e_pass "no acknowledged write lost across SIGKILL"
