#!/bin/bash
# source-ip hashing: one client always lands on the same backend, and many
# clients spread over all of them.
. "$(dirname "$0")/lib.sh"

e2e_setup source-ip 3
e2e_http_backends 3 80
e2e_web_service 3 '.hash = "source-ip"'

e2e_curl "http://$VIP/?[1-60]" > "$SB_DIR/answers"
[ "$(wc -l < "$SB_DIR/answers")" = 60 ] || sb_fail "not all requests answered"
[ "$(sort -u "$SB_DIR/answers" | wc -l)" = 1 ] \
    || sb_fail "one client reached several backends: $(sort "$SB_DIR/answers" | uniq -c)"

# 40 more client addresses, a few requests each.
for i in $(seq 150 189); do
    sb_exec client ip addr add "10.0.0.$i/24" dev eth0
done
: > "$SB_DIR/by-client"
for i in $(seq 150 189); do
    answers=$(e2e_curl --interface "10.0.0.$i" "http://$VIP/?[1-3]" | sort -u)
    [ "$(echo "$answers" | wc -l)" = 1 ] \
        || sb_fail "client 10.0.0.$i reached several backends: $answers"
    echo "$answers" >> "$SB_DIR/by-client"
done
sort "$SB_DIR/by-client" | uniq -c
for b in be1 be2 be3; do
    c=$(e2e_count $b < "$SB_DIR/by-client")
    [ "$c" -ge 3 ] || sb_fail "$b got only $c of 40 clients"
done

e2e_pass "source-ip hashing"
