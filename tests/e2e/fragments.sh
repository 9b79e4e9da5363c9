#!/bin/bash
# Fragmented datagrams: conntrack reassembles them and gives every
# fragment its flow's pin, so a flow's big datagrams reach the backend its
# small ones do.  A flow whose very first datagram is fragmented has no
# pin, and later fragments carry no ports to name a service: that datagram
# is dropped (flows/README.md), and the flow works from its next one.
. "$(dirname "$0")/lib.sh"

if [ "$DSR_DATAPATH" = dpdk ]; then
    # Seen here with net_af_packet ports: every fragmented datagram was
    # lost, ovs-vswitchd logging "Too big size 1982 max_packet_len 1518"
    # for the backends' ports.  A known gap (README.md, "Datapaths").
    echo "SKIP: fragments through conntrack do not work on this DPDK setup"
    exit 77
fi

e2e_setup fragments 3
e2e_udp_service 3

# For 60 flows: a small datagram, then a 3,000-byte one (3 fragments on a
# 1,500-byte MTU); for 10 more, the big one first.  Prints, per flow,
# which backend answered each.
sb_exec client python3 -c '
import socket, sys
IP_MTU_DISCOVER, IP_PMTUDISC_DONT = 10, 0

def ask(s, size):
    s.sendto(b"x" * size, (sys.argv[1], 5353))
    try:
        return s.recv(4096).split()[0].decode()
    except socket.timeout:
        return "lost"

for port in range(30000, 30070):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.bind(("", port))
    s.settimeout(2)
    sizes = (10, 3000) if port < 30060 else (3000, 10)
    print(port, ask(s, sizes[0]), ask(s, sizes[1]))
    s.close()' "$VIP" > "$SB_DIR/answers"

pinned=$(head -n 60 "$SB_DIR/answers")
first=$(tail -n 10 "$SB_DIR/answers")
lost=$(echo "$pinned" | grep -c lost || true)
split=$(echo "$pinned" | awk '$2 != $3' | wc -l)
echo "60 flows, small datagram first: $lost datagrams lost, $split flows" \
     "split; per backend: $(echo "$pinned" | cut -d' ' -f2 | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
[ "$lost" = 0 ] || sb_fail "$lost datagrams of pinned flows lost"
[ "$split" = 0 ] || sb_fail "$split flows answered by two backends"
for b in be1 be2 be3; do
    echo "$pinned" | grep >/dev/null " $b $b\$" || sb_fail "$b got no flow"
done
echo "10 flows, fragmented first: $(echo "$first" | awk '$2 == "lost"' | wc -l)" \
     "first datagrams dropped, $(echo "$first" | awk '$3 != "lost"' | wc -l) next ones answered"
[ "$(echo "$first" | awk '$2 == "lost" && $3 ~ /^be/' | wc -l)" = 10 ] \
    || sb_fail "unpinned fragments were not dropped as documented: $first"
frags=$(sb_flow_packets "ip,nw_dst=$VIP,ip_frag=yes" 0)
[ "$frags" -ge 210 ] || sb_fail "only $frags fragments went through reassembly"
e2e_pass "fragments follow their flow's pin"
