/* A service's slot table as OpenFlow: its select group, bucket i being
 * slot i, and for a fine table the flows of DSR_TABLE_SUBSLOT that split
 * a slot among several backends by the sub-slot, bits 8 to 15 of the
 * dp_hash the group's datapath hash left in the packet (flows/slots.h,
 * flows/README.md).  Pure functions, as pipeline.c. */
#include <config.h>
#include "flows/pipeline.h"

#include <string.h>
#include "flows/flow-set.h"
#include "flows/slots.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

#define SUBSLOTS (DSR_SLOTS_FINE / DSR_SLOTS)
BUILD_ASSERT_DECL(SUBSLOTS == 1 << DSR_SUBSLOT_BITS);

/* Whether all of 'sub''s SUBSLOTS sub-slots hold one backend. */
static bool
slot_is_whole(const ovs_be32 *sub)
{
    for (size_t i = 1; i < SUBSLOTS; i++) {
        if (sub[i] != sub[0]) {
            return false;
        }
    }
    return true;
}

/* Puts into 'ofpacts' "set_field:VALUE->FIELD". */
static void
put_set_u32(struct ofpbuf *ofpacts, enum mf_field_id field, uint32_t value)
{
    ovs_be32 v = htonl(value);

    ofpact_put_set_field(ofpacts, mf_from_id(field), &v, NULL);
}

static void
put_resubmit(struct ofpbuf *ofpacts, uint8_t table)
{
    struct ofpact_resubmit *rs = ofpact_put_RESUBMIT(ofpacts);

    rs->in_port = OFPP_IN_PORT;
    rs->table_id = table;
}

/* The flows of node 'h' of 'slot', at 'depth', over sub-slots
 * [first, first + (SUBSLOTS >> depth)).  OVS does not let OpenFlow match
 * dp_hash, but an action may read it: a node whose sub-slots hold one
 * backend delivers to it, any other copies the next bit of dp_hash into
 * reg3 and looks again.  A megaflow so matches the dp_hash bits on its
 * path and no more: one per run of sub-slots, not one per sub-slot.
 * Built directly, not parsed: a large pool has thousands. */
static void
add_subslot_node(struct dsr_owner *owner, uint32_t service_id, size_t slot,
                 const ovs_be32 *sub, uint32_t h, int depth, size_t first,
                 uint8_t next_table, struct ofpbuf *ofpacts)
{
    size_t size = SUBSLOTS >> depth;
    size_t end = first + 1;
    while (end < first + size && sub[end] == sub[first]) {
        end++;
    }

    struct match match;
    match_init_catchall(&match);
    match_set_reg(&match, 0, service_id);
    match_set_reg(&match, 3, DSR_SUBSLOT_NODE(slot, h));
    ofpbuf_clear(ofpacts);
    bool leaf = end == first + size;
    if (leaf && sub[first]) {
        put_set_u32(ofpacts, MFF_REG1, ntohl(sub[first]));
        put_resubmit(ofpacts, next_table);
    } else if (!leaf) {
        struct ofpact_reg_move *move;

        put_set_u32(ofpacts, MFF_REG3, DSR_SUBSLOT_NODE(slot, 2 * h));
        move = ofpact_put_REG_MOVE(ofpacts);
        move->src = (struct mf_subfield) {
            .field = mf_from_id(MFF_DP_HASH),
            .ofs = DSR_SUBSLOT_BITS + DSR_SUBSLOT_BITS - 1 - depth,
            .n_bits = 1,
        };
        move->dst = (struct mf_subfield) {
            .field = mf_from_id(MFF_REG3), .ofs = 0, .n_bits = 1,
        };
        put_resubmit(ofpacts, DSR_TABLE_SUBSLOT);
    }   /* Else a leaf without a backend: drop (a pin of 0 means none). */
    dsr_owner_add_flow_match(owner, DSR_TABLE_SUBSLOT, DSR_PRIO_SUBSLOT,
                             &match, ofpacts->data, ofpacts->size);
    if (!leaf) {
        add_subslot_node(owner, service_id, slot, sub, 2 * h, depth + 1,
                         first, next_table, ofpacts);
        add_subslot_node(owner, service_id, slot, sub, 2 * h + 1, depth + 1,
                         first + size / 2, next_table, ofpacts);
    }
}

/* The service's group and, for a fine table, its sub-slot flows: bucket
 * i is slot i and loads its backend's address into reg1, or, when the
 * slot is split, the root of its tree into reg3 for the sub-slot
 * flows. */
void
pipeline_set_slots(struct dsr_owner *owner,
                   const struct pipeline_service *svc,
                   const ovs_be32 *slot_ips, size_t n_slots)
{
    struct dsr_slot_group sg;
    struct ofpbuf ofpacts;

    ofpbuf_init(&ofpacts, 64);
    memset(&sg, 0, sizeof sg);
    sg.hash = svc->hash;
    sg.ipv6 = (svc->hash == DSR_SLOT_HASH_IP_SRC
               && !IN6_IS_ADDR_V4MAPPED(&svc->vip));
    sg.sym_l4 = svc->hash == DSR_SLOT_HASH_DP && svc->sym_l4;
    sg.next_table = (svc->pin_connections ? DSR_TABLE_CT_COMMIT
                                          : DSR_TABLE_BACKEND);
    sg.split_table = DSR_TABLE_SUBSLOT;
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        if (n_slots != DSR_SLOTS_FINE) {
            sg.slot_ips[s] = slot_ips[s];
        } else if (slot_is_whole(&slot_ips[s * SUBSLOTS])) {
            sg.slot_ips[s] = slot_ips[s * SUBSLOTS];
        } else {
            sg.split[s] = true;
            add_subslot_node(owner, svc->id, s, &slot_ips[s * SUBSLOTS], 1,
                             0, 0, sg.next_table, &ofpacts);
        }
    }
    dsr_owner_set_slot_group(owner, svc->id, &sg);
    ofpbuf_uninit(&ofpacts);
}
