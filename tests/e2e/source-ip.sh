#!/bin/bash
# source-ip hashing, IPv4 and IPv6 (a service of each family on the same
# backends): one client always lands on the same backend, and many clients
# spread over all of them.  (OVS's fields(ip_src) would put every IPv6
# client in one bucket: the IPv6 service hashes ipv6_src.)
. "$(dirname "$0")/lib.sh"

e2e_setup source-ip 3 "$VIP" "$VIP6"
e2e_add_ipv6 3
e2e_http_backends 3 80
for i in 1 2 3; do
    BIND=:: sb_spawn "be$i" python3 "$TOP_SRCDIR/deploy/http-backend.py" \
        "be$i" "$SB_DIR/be$i.http6.log" 80
done
for i in 1 2 3; do sb_wait_listening "be$i" 80 t 6; done
e2e_web_service 3 '.hash = "source-ip"' \
    '., (.name = "web6" | .vip = "'"$VIP6"'"
         | .backends = [range(3) | {ip: "2001:db8::\(11 + .)"}])'

# url FAMILY: the service of that family.
url() { if [ "$1" = 6 ]; then echo "http://[$VIP6]/"; else echo "http://$VIP/"; fi; }
# client_ip FAMILY I: the client's I-th extra address.
client_ip() { if [ "$1" = 6 ]; then echo "2001:db8::$2"; else echo "10.0.0.$2"; fi; }

sb_wait_until e2e_curl -6 --max-time 5 -o /dev/null "$(url 6)" \
    || sb_fail "the IPv6 service does not answer"
for family in 4 6; do
    e2e_curl "-$family" "$(url $family)?[1-60]" > "$SB_DIR/answers$family"
    [ "$(wc -l < "$SB_DIR/answers$family")" = 60 ] \
        || sb_fail "IPv$family: not all requests answered"
    [ "$(sort -u "$SB_DIR/answers$family" | wc -l)" = 1 ] \
        || sb_fail "IPv$family: one client reached several backends: $(sort "$SB_DIR/answers$family" | uniq -c)"
done

# 40 more client addresses of each family, a few requests each.
for i in $(seq 150 189); do
    sb_exec client ip addr add "$(client_ip 4 "$i")/24" dev eth0
    sb_exec client ip -6 addr add "$(client_ip 6 "$i")/64" dev eth0 nodad
done
for family in 4 6; do
    : > "$SB_DIR/by-client$family"
    for i in $(seq 150 189); do
        src=$(client_ip "$family" "$i")
        answers=$(e2e_curl "-$family" --interface "$src" "$(url $family)?[1-3]" \
                      | sort -u)
        [ "$(echo "$answers" | wc -l)" = 1 ] \
            || sb_fail "client $src reached several backends: $answers"
        echo "$answers" >> "$SB_DIR/by-client$family"
    done
    echo "IPv$family:"
    sort "$SB_DIR/by-client$family" | uniq -c
    for b in be1 be2 be3; do
        c=$(e2e_count $b < "$SB_DIR/by-client$family")
        [ "$c" -ge 3 ] || sb_fail "IPv$family: $b got only $c of 40 clients"
    done
done

e2e_pass "source-ip hashing, IPv4 and IPv6"
