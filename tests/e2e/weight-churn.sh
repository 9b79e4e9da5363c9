#!/bin/bash
# A pool of 100 backends whose weights change 300 times through the API,
# as an autoscaler changes them: its fine slot table stays within the
# budget of table 25 flows (32 a backend, flows/slots-compact.h) at every
# check, where moving only what each change requires would let the flows
# grow with the history (flows/README.md); every backend holds its
# weight's share to one entry, as read back from the switch; and a
# restarted dsrd finds the switch right.
. "$(dirname "$0")/lib.sh"

N=100
PER_HOST=25
CHANGES=300
BUDGET=$((32 * N))

e2e_setup weight-churn 4
e2e_pool_config $N $PER_HOST
sb_start_dsrd "$SB_DIR/dsrd.json"
SB_WAIT=60 sb_wait_until e2e_dsrd_ready

declare -a weight
for ((i = 0; i < N; i++)); do
    weight[i]=100
done
ip_of() { echo "10.1.$(($1 / PER_HOST)).$(($1 % PER_HOST + 1))"; }
subslot_flows() { sb_dump_flows table=25 | wc -l; }

# The same changes every run: a fixed generator, not $RANDOM's seed.
rng=1
most=0
for ((k = 1; k <= CHANGES; k++)); do
    rng=$(((rng * 1103515245 + 12345) % 2147483648))
    i=$(((rng >> 8) % N))
    weight[i]=$((50 + (rng >> 16) % 151))
    api PATCH "/v1/services/pool/backends/$(ip_of "$i")" \
        "{\"weight\": ${weight[i]}}"
    [ "$(cat "$SB_DIR/status")" = 200 ] \
        || sb_fail "change $k: PATCH answered $(cat "$SB_DIR/status"): $(cat "$SB_DIR/body")"
    if [ $((k % 25)) = 0 ]; then
        sb_wait_until e2e_in_sync
        flows=$(subslot_flows)
        [ "$flows" -gt "$most" ] && most=$flows
        [ "$flows" -le "$BUDGET" ] \
            || sb_fail "after $k weight changes table 25 holds $flows flows, over $BUDGET"
    fi
done
echo "table 25: at most $most flows over $CHANGES weight changes (budget $BUDGET)"

# Every backend holds its weight's share of the 65,536 entries, to one.
sum=0
for ((i = 0; i < N; i++)); do
    sum=$((sum + weight[i]))
done
sb_group_entries 1 | while read -r pin n; do
    echo "$((pin)) $n"
done > "$SB_DIR/entries"
for ((i = 0; i < N; i++)); do
    echo "$(($(sb_reg1 "$(ip_of "$i")"))) ${weight[i]}"
done > "$SB_DIR/weights"
off=$(awk -v sum=$sum 'NR == FNR {w[$1] = $2; next}
    {d = $2 - 65536 * w[$1] / sum; if (d < 0) d = -d;
     if (d >= 1) bad++; seen++}
    END {print bad + 0, seen + 0}' "$SB_DIR/weights" "$SB_DIR/entries")
[ "$off" = "0 $N" ] \
    || sb_fail "shares off by an entry or more, or backends missing (off, held): $off"

# The table laid anew is the service's own: saved, and found right on the
# switch by a restarted dsrd (one reconciliation, nothing sent).
e2e_restart_clean 60

e2e_pass "$CHANGES weight changes of $N backends: at most $most table 25 flows, shares exact, restart clean"
