/* libFuzzer harness: a frame addressed to the bridge's probe address, as
 * a packet-in, read as the answer to DSR-path probes in flight (TCP, UDP,
 * and UDP with a DNS query): any host on the segment can send one. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include "controller/health-private.h"
#include "controller/health.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/vlog.h"

static bool
sent(void *aux OVS_UNUSED, const struct health_dsr_probe *probe OVS_UNUSED)
{
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dns_name[] = "probe.test";
    static char payload[] = "ping";
    struct dsr_health_check tcp = { .type = DSR_CHECK_TCP, .dsr = true,
                                    .port = 80 };
    struct dsr_health_check udp = { .type = DSR_CHECK_UDP, .dsr = true,
                                    .port = 53, .payload = payload };
    struct dsr_health_check dns = { .type = DSR_CHECK_UDP, .dsr = true,
                                    .port = 53, .dns = true,
                                    .dns_name = dns_name };
    const struct dsr_health_check *checks[] = { &tcp, &udp, &dns };
    struct dsr_path paths[ARRAY_SIZE(checks)];
    struct dsr_ports ports;

    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    dsr_ports_init(&ports);
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        paths[i] = (struct dsr_path) {
            .service_id = i + 1,
            .ip = in6_addr_mapped_ipv4(htonl(0x0a00000b + i)),
            .vip = in6_addr_mapped_ipv4(htonl(0x0a000064)),
        };
        dsr_path_start(&ports, &paths[i], checks[i], sent, NULL);
        ovs_assert(paths[i].sport);
    }

    struct dp_packet packet;
    struct flow flow;
    struct health_dsr_reply r;

    dp_packet_use_const(&packet, data, size);
    flow_extract(&packet, &flow);
    if (health_dsr_reply_parse(&flow, &packet, &r)) {
        /* The payload lies within the frame. */
        ovs_assert(r.payload >= data && r.payload + r.payload_len
                                        <= data + size);
        struct dsr_path *path = dsr_ports_reply(&ports, &r);
        if (path) {
            char reason[128];
            ovs_assert(dsr_path_done(path));
            ovs_assert(path->udp == r.udp);
            if (!dsr_path_verdict(path, reason, sizeof reason)) {
                fuzz_check_text(reason);
            }
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        dsr_path_stop(&ports, &paths[i]);
    }
    dsr_ports_destroy(&ports);
    dp_packet_uninit(&packet);
    return 0;
}
