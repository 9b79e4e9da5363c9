/* libFuzzer harness: what the switch answers when dsrd reads it back after
 * a (re)connection (ofctrl-reconcile.c): an OpenFlow flow-stats or
 * group-desc reply, any of whose parts may be malformed or truncated.
 * dsrd then reconciles its desired pipeline against whatever it decoded.
 * Seeds: the replies of a real ovs-vswitchd to a dump of a dsrd-programmed
 * bridge (captured on its OpenFlow socket). */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include "controller/ofctrl-private.h"
#include "controller/ofctrl.h"
#include "flows/flow-set.h"
#include "flows/pipeline.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/vlog.h"
#include "openvswitch/ofpbuf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct eth_addr mac = ETH_ADDR_C(02, d5, d5, 00, 00, 01);

    if (size < sizeof(struct ofp_header) || size > UINT16_MAX) {
        return 0;
    }
    vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);

    struct ofctrl *ofc = ofctrl_create("br0", "unix:/nonexistent", NULL,
                                       NULL);
    struct dsr_owner *base = pipeline_base(mac, 0, &in6addr_any, true,
                                           true);
    ofctrl_set_owner(ofc, base->cookie, base);
    dsr_owner_unref(base);

    /* As after a connection: the dump requests go nowhere. */
    ofctrl_transition(ofc, OFCTRL_E_START);
    ofctrl_transition(ofc, OFCTRL_E_CONNECTED);
    ofctrl_start_reconcile(ofc);

    /* The input is one reply, its length field made to fit. */
    struct ofpbuf msg;
    ofpbuf_init(&msg, size);
    ofpbuf_put(&msg, data, size);
    struct ofp_header *oh = msg.data;
    oh->length = htons(size);
    enum ofptype type;
    if (!ofptype_decode(&type, oh)) {
        if (type == OFPTYPE_FLOW_STATS_REPLY) {
            ofctrl_handle_dump_flows(ofc, oh);
        } else if (type == OFPTYPE_GROUP_DESC_STATS_REPLY) {
            ofctrl_handle_dump_groups(ofc, oh);
        }
    }
    ofctrl_reconcile(ofc);
    ofpbuf_uninit(&msg);
    ofctrl_destroy(ofc);
    return 0;
}
