/* libFuzzer harness: a packet that the bridge hands dsrd as a packet-in,
 * as ofctrl.c and neighbor.c read it: any frame from the network can
 * claim to be an ARP reply or a Neighbor Advertisement for a backend. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include "controller/neighbor.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/vlog.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct eth_addr mac = ETH_ADDR_C(02, d5, d5, 00, 00, 01);
    struct neighbor_table table;
    struct dp_packet packet;
    struct flow flow;
    struct neighbor_change change;

    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    neighbor_table_init(&table, mac);
    /* Backends 10.0.0.11, 10.0.0.12 (twice) and 2001:db8::11. */
    struct in6_addr be1 = in6_addr_mapped_ipv4(htonl(0x0a00000b));
    struct in6_addr be2 = in6_addr_mapped_ipv4(htonl(0x0a00000c));
    struct in6_addr be6;
    ovs_assert(ipv6_parse("2001:db8::11", &be6));
    neighbor_ref(&table, &be1);
    neighbor_ref(&table, &be2);
    neighbor_ref(&table, &be2);
    neighbor_ref(&table, &be6);
    /* As if dsrd had sent its ARP probes: only answers are taken. */
    struct neighbor *nb;
    HMAP_FOR_EACH (nb, node, &table.neighbors) {
        nb->n_probes = 1;
    }

    dp_packet_use_const(&packet, data, size);
    flow_extract(&packet, &flow);
    for (int i = 0; i < 2; i++) {
        const struct neighbor *n = neighbor_handle_reply(&table, &flow,
                                                          u16_to_ofp(i + 1),
                                                          &change);
        /* Backend traffic goes to that MAC: it must be a host's. */
        ovs_assert(!n || (!eth_addr_is_multicast(n->mac)
                          && !eth_addr_is_zero(n->mac)));
    }
    neighbor_unref(&table, &be2);
    neighbor_table_destroy(&table);
    dp_packet_uninit(&packet);
    return 0;
}
