/* Owners of flows and groups: built, compared, formatted and read back
 * from the switch.  flow-diff.c turns two versions of one into OpenFlow
 * messages.  See flow-set.h. */
#include <config.h>
#include "flows/flow-set.h"

#include <stdlib.h>
#include <string.h>
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/meta-flow.h"
#include "bitmap.h"
#include "nx-match.h"
#include "byte-order.h"
#include "openvswitch/vlog.h"
#include "util.h"

static uint32_t
flow_hash__(uint8_t table_id, uint16_t priority,
            const struct minimatch *match)
{
    return minimatch_hash(match, hash_2words(table_id, priority));
}

struct dsr_owner *
dsr_owner_create(uint64_t cookie)
{
    struct dsr_owner *owner = xzalloc(sizeof *owner);

    owner->cookie = cookie;
    hmap_init(&owner->flows);
    owner->refcount = 1;
    return owner;
}

struct dsr_owner *
dsr_owner_ref(struct dsr_owner *owner)
{
    if (owner) {
        owner->refcount++;
    }
    return owner;
}

static void
flow_destroy__(struct dsr_flow *flow)
{
    minimatch_destroy(&flow->match);
    free(flow->ofpacts);
    free(flow);
}

void
dsr_owner_unref(struct dsr_owner *owner)
{
    if (owner && !--owner->refcount) {
        struct dsr_flow *flow;

        HMAP_FOR_EACH_POP (flow, node, &owner->flows) {
            flow_destroy__(flow);
        }
        hmap_destroy(&owner->flows);
        free(owner->group);
        free(owner->slot_group);
        free(owner->error);
        free(owner->row_ctx);
        free(owner->rows);
        free(owner);
    }
}

const struct dsr_flow *
dsr_owner_find_flow(const struct dsr_owner *owner, uint8_t table_id,
                    uint16_t priority, const struct minimatch *match)
{
    const struct dsr_flow *flow;

    HMAP_FOR_EACH_WITH_HASH (flow, node,
                             flow_hash__(table_id, priority, match),
                             &owner->flows) {
        if (flow->table_id == table_id && flow->priority == priority
            && minimatch_equal(&flow->match, match)) {
            return flow;
        }
    }
    return NULL;
}

/* Zeroes what OVS leaves uninitialized in 'ofpacts': the padding after a
 * set_field's value and mask.  Equal actions then compare equal byte for
 * byte (ofpacts_equal() is a memcmp()). */
static void
zero_padding(struct ofpact *ofpacts, size_t ofpacts_len)
{
    struct ofpact *a;

    OFPACT_FOR_EACH (a, ofpacts, ofpacts_len) {
        if (a->type == OFPACT_SET_FIELD) {
            struct ofpact_set_field *sf = ofpact_get_SET_FIELD(a);
            size_t n = sf->field->n_bytes;
            size_t padded = ROUND_UP(n, OFPACT_ALIGNTO);

            memset((uint8_t *) sf->value + n, 0, padded - n);
            memset((uint8_t *) ofpact_set_field_mask(sf) + n, 0, padded - n);
        } else if (a->type == OFPACT_CT) {
            struct ofpact_conntrack *ct = ofpact_get_CT(a);
            zero_padding(ct->actions, ofpact_ct_get_action_len(ct));
        }
    }
}

/* Adds a flow, taking 'match' (initialized) and 'ofpacts' (malloc'd); a
 * second flow with the same key replaces the first. */
static void
add_flow__(struct dsr_owner *owner, uint8_t table_id, uint16_t priority,
           struct minimatch *match, struct ofpact *ofpacts,
           size_t ofpacts_len)
{
    struct dsr_flow *flow = CONST_CAST(struct dsr_flow *,
                                       dsr_owner_find_flow(owner, table_id,
                                                           priority, match));
    if (flow) {
        minimatch_destroy(match);
        free(flow->ofpacts);
    } else {
        flow = xmalloc(sizeof *flow);
        flow->table_id = table_id;
        flow->priority = priority;
        flow->match = *match;
        hmap_insert(&owner->flows, &flow->node,
                    flow_hash__(table_id, priority, &flow->match));
    }
    zero_padding(ofpacts, ofpacts_len);
    flow->ofpacts = ofpacts;
    flow->ofpacts_len = ofpacts_len;
}

void
dsr_owner_add_flow_match(struct dsr_owner *owner, uint8_t table_id,
                         uint16_t priority, const struct match *match,
                         const struct ofpact *ofpacts, size_t ofpacts_len)
{
    struct minimatch mm;

    minimatch_init(&mm, match);
    add_flow__(owner, table_id, priority, &mm,
               ofpacts_len ? xmemdup(ofpacts, ofpacts_len) : NULL,
               ofpacts_len);
}

/* Replaces 'mm' by what a switch reports back for it: the match through
 * OXM and back.  That erases what OVS's text parser leaves that the wire
 * cannot carry (the mask of ip_frag=yes, for one), so that flows read
 * back after a restart compare equal. */
static void
normalize_match(struct minimatch *mm)
{
    struct match match, back;
    struct ofpbuf b;

    minimatch_expand(mm, &match);
    ofpbuf_init(&b, 128);
    oxm_put_match(&b, &match, OFP15_VERSION);
    if (!oxm_pull_match(&b, false, NULL, NULL, &back)) {
        minimatch_destroy(mm);
        minimatch_init(mm, &back);
    }
    ofpbuf_uninit(&b);
}

/* Adds a flow given in ovs-ofctl syntax (match without table and
 * priority).  Text that does not parse leaves the owner with an error that
 * dsr_owner_diff() reports. */
void
dsr_owner_add_flow(struct dsr_owner *owner, uint8_t table_id,
                   uint16_t priority, const char *match, const char *actions)
{
    char *text = xasprintf("table=%"PRIu8",priority=%"PRIu16"%s%s "
                           "actions=%s", table_id, priority,
                           match[0] ? "," : "", match, actions);
    enum ofputil_protocol usable;
    struct ofputil_flow_mod fm;

    char *error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, OFPFC_ADD,
                                         &usable);
    if (error) {
        if (!owner->error) {
            owner->error = xasprintf("%s: %s", text, error);
        }
        free(error);
    } else {
        normalize_match(&fm.match);
        add_flow__(owner, table_id, priority, &fm.match,
                   CONST_CAST(struct ofpact *, fm.ofpacts), fm.ofpacts_len);
    }
    free(text);
}

static int
compare_rows(const void *a_, const void *b_)
{
    const struct dsr_row *a = a_;
    const struct dsr_row *b = b_;

    return a->key < b->key ? -1 : a->key > b->key;
}

/* Sets the owner's rows (copied and sorted; keys must be unique) and how
 * to build their flows. */
void
dsr_owner_set_rows(struct dsr_owner *owner, dsr_row_builder *builder,
                   const void *ctx, size_t ctx_size,
                   const struct dsr_row *rows, size_t n)
{
    free(owner->row_ctx);
    free(owner->rows);
    owner->row_builder = builder;
    owner->row_ctx = xmemdup(ctx, ctx_size);
    owner->row_ctx_size = ctx_size;
    owner->rows = n ? xmemdup(rows, n * sizeof *rows) : NULL;
    owner->n_rows = n;
    if (n) {
        qsort(owner->rows, n, sizeof *rows, compare_rows);
    }
}

size_t
dsr_owner_count_flows(const struct dsr_owner *owner)
{
    return hmap_count(&owner->flows) + owner->n_rows;
}

/* Builds row i's flow into 'flow' (its actions in 'ofpacts'); the caller
 * destroys flow->match. */
void
dsr_owner_row_flow(const struct dsr_owner *owner, size_t i,
                   struct dsr_flow *flow, struct ofpbuf *ofpacts)
{
    struct match match;

    match_init_catchall(&match);
    ofpbuf_clear(ofpacts);
    owner->row_builder(owner->row_ctx, &owner->rows[i], &flow->table_id,
                       &flow->priority, &match, ofpacts);
    minimatch_init(&flow->match, &match);
    zero_padding(ofpacts->data, ofpacts->size);
    flow->ofpacts = ofpacts->data;
    flow->ofpacts_len = ofpacts->size;
}

/* Adds copies of all of 'src''s flows, its rows' too, to 'dst'. */
void
dsr_owner_copy_flows(struct dsr_owner *dst, const struct dsr_owner *src)
{
    const struct dsr_flow *flow;

    HMAP_FOR_EACH (flow, node, &src->flows) {
        struct minimatch match;

        minimatch_clone(&match, &flow->match);
        add_flow__(dst, flow->table_id, flow->priority, &match,
                   (flow->ofpacts_len
                    ? xmemdup(flow->ofpacts, flow->ofpacts_len) : NULL),
                   flow->ofpacts_len);
    }

    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64);
    for (size_t i = 0; i < src->n_rows; i++) {
        struct dsr_flow row;

        dsr_owner_row_flow(src, i, &row, &ofpacts);
        add_flow__(dst, row.table_id, row.priority, &row.match,
                   row.ofpacts_len ? xmemdup(row.ofpacts, row.ofpacts_len)
                                   : NULL,
                   row.ofpacts_len);
    }
    ofpbuf_uninit(&ofpacts);
}

void
dsr_owner_set_group(struct dsr_owner *owner, uint32_t group_id,
                    const char *spec)
{
    free(owner->group);
    free(owner->slot_group);
    owner->slot_group = NULL;
    owner->group_id = group_id;
    owner->group = xstrdup(spec);
}

void
dsr_owner_set_slot_group(struct dsr_owner *owner, uint32_t group_id,
                         const struct dsr_slot_group *sg)
{
    free(owner->group);
    free(owner->slot_group);
    owner->group = NULL;
    owner->group_id = group_id;
    owner->slot_group = xmemdup(sg, sizeof *sg);
}

bool
dsr_owner_has_group(const struct dsr_owner *owner)
{
    return owner->group || owner->slot_group;
}

/* Whether some bucket loads a backend (and so resubmits to next_table). */
static bool
slot_group_any_direct(const struct dsr_slot_group *sg)
{
    for (size_t i = 0; i < DSR_SLOTS; i++) {
        if (sg->slot_ips[i] && !sg->split[i]) {
            return true;
        }
    }
    return false;
}

static bool
slot_group_any_split(const struct dsr_slot_group *sg)
{
    for (size_t i = 0; i < DSR_SLOTS; i++) {
        if (sg->split[i]) {
            return true;
        }
    }
    return false;
}

/* Whether the group has buckets: one that does not drop. */
static bool
slot_group_any(const struct dsr_slot_group *sg)
{
    return slot_group_any_direct(sg) || slot_group_any_split(sg);
}

/* DSR_SLOT_HASH_5TUPLE_FIELDS, in the order ovs-vswitchd hashes them. */
static const enum mf_field_id five_tuple_fields[] = {
    MFF_IPV4_SRC, MFF_IPV4_DST, MFF_IPV6_SRC, MFF_IPV6_DST,
    MFF_TCP_SRC, MFF_TCP_DST, MFF_UDP_SRC, MFF_UDP_DST,
};

/* The ovs-ofctl text of a slot group, after "group_id=N,". */
static void
format_slot_group(const struct dsr_slot_group *sg, struct ds *s)
{
    ds_put_cstr(s, (sg->hash == DSR_SLOT_HASH_DP
                    ? "type=select,selection_method=dp_hash"
                    : sg->hash == DSR_SLOT_HASH_5TUPLE
                    ? "type=select,selection_method=hash,fields("
                      DSR_SLOT_HASH_5TUPLE_FIELDS ")"
                    : sg->ipv6
                    ? "type=select,selection_method=hash,fields(ipv6_src)"
                    : "type=select,selection_method=hash,fields(ip_src)"));
    for (size_t i = 0; slot_group_any(sg) && i < DSR_SLOTS; i++) {
        ds_put_format(s, ",bucket=bucket_id:%"PRIuSIZE",actions=", i);
        if (sg->split[i]) {
            ds_put_format(s, "set_field:%#"PRIx32"->reg3,resubmit(,%d)",
                          DSR_SUBSLOT_NODE(i, 1), sg->split_table);
        } else if (sg->slot_ips[i]) {
            ds_put_format(s, "set_field:%#"PRIx32"->reg1,resubmit(,%d)",
                          ntohl(sg->slot_ips[i]), sg->next_table);
        } else {
            /* A pin of 0 would mean "none". */
            ds_put_cstr(s, "drop");
        }
    }
}

static void
put_flow__(struct ds *s, uint64_t cookie, const struct dsr_flow *flow)
{
    struct ofpact_format_params fp = { .s = s };
    struct match match;

    ds_put_format(s, "table=%"PRIu8",priority=%"PRIu16",cookie=%#"PRIx64,
                  flow->table_id, flow->priority, cookie);
    minimatch_expand(&flow->match, &match);
    size_t len = s->length;
    ds_put_char(s, ',');
    match_format(&match, NULL, s, OFP_DEFAULT_PRIORITY);
    if (s->length == len + 1) {
        ds_truncate(s, len);        /* Matches everything. */
    }
    ds_put_cstr(s, " actions=");
    ofpacts_format(flow->ofpacts, flow->ofpacts_len, &fp);
}

static int
compare_lines__(const void *a_, const void *b_)
{
    const char *const *a = a_;
    const char *const *b = b_;

    return strcmp(*a, *b);
}

/* Appends the owner's flows, sorted, then its group, one per line, as
 * ovs-ofctl would print them. */
void
dsr_owner_format(const struct dsr_owner *owner, struct ds *s)
{
    size_t n = dsr_owner_count_flows(owner);
    char **lines = xmalloc(n * sizeof *lines);
    const struct dsr_flow *flow;
    struct ofpbuf ofpacts;
    size_t i = 0;

    HMAP_FOR_EACH (flow, node, &owner->flows) {
        struct ds line = DS_EMPTY_INITIALIZER;
        put_flow__(&line, owner->cookie, flow);
        lines[i++] = ds_steal_cstr(&line);
    }
    ofpbuf_init(&ofpacts, 64);
    for (size_t r = 0; r < owner->n_rows; r++) {
        struct ds line = DS_EMPTY_INITIALIZER;
        struct dsr_flow row;

        dsr_owner_row_flow(owner, r, &row, &ofpacts);
        put_flow__(&line, owner->cookie, &row);
        minimatch_destroy(&row.match);
        lines[i++] = ds_steal_cstr(&line);
    }
    ofpbuf_uninit(&ofpacts);
    qsort(lines, n, sizeof *lines, compare_lines__);
    for (i = 0; i < n; i++) {
        ds_put_format(s, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    if (owner->group) {
        ds_put_format(s, "group_id=%"PRIu32",%s\n", owner->group_id,
                      owner->group);
    } else if (owner->slot_group) {
        ds_put_format(s, "group_id=%"PRIu32",", owner->group_id);
        format_slot_group(owner->slot_group, s);
        ds_put_char(s, '\n');
    }
}

/* Whether two flows' actions encode to the same OpenFlow.  Decoded
 * actions may differ where the wire does not, in how OVS remembers their
 * spelling. */
bool
dsr_flow_same_on_wire(const struct dsr_flow *a, const struct dsr_flow *b)
{
    if (ofpacts_equal(a->ofpacts, a->ofpacts_len,
                      b->ofpacts, b->ofpacts_len)) {
        return true;
    }

    struct ofpbuf wa, wb;
    ofpbuf_init(&wa, 64);
    ofpbuf_init(&wb, 64);
    ofpacts_put_openflow_instructions(a->ofpacts, a->ofpacts_len, &wa,
                                      OFP15_VERSION);
    ofpacts_put_openflow_instructions(b->ofpacts, b->ofpacts_len, &wb,
                                      OFP15_VERSION);
    bool same = wa.size == wb.size && !memcmp(wa.data, wb.data, wa.size);
    ofpbuf_uninit(&wa);
    ofpbuf_uninit(&wb);
    return same;
}

/* Reads a group from a switch as a slot group: false if it is not one
 * (another type, other actions, buckets out of order). */
static bool
has_five_tuple_fields(const struct field_array *fields)
{
    for (size_t i = 0; i < ARRAY_SIZE(five_tuple_fields); i++) {
        if (!bitmap_is_set(fields->used.bm, five_tuple_fields[i])) {
            return false;
        }
    }
    return true;
}

/* Reads the resubmit that ends a bucket into 'table' (0: not known
 * yet). */
static bool
read_bucket_resubmit(const struct ofpact *a, const struct ofpact *end,
                     uint8_t *table)
{
    const struct ofpact_resubmit *rs;

    if (a == end || a->type != OFPACT_RESUBMIT) {
        return false;
    }
    rs = ofpact_get_RESUBMIT(a);
    if (rs->in_port != OFPP_IN_PORT || rs->with_ct_orig
        || ofpact_next(a) != end || (*table && *table != rs->table_id)) {
        return false;
    }
    *table = rs->table_id;
    return true;
}

bool
dsr_slot_group_from_desc(const struct ofputil_group_desc *gd,
                         struct dsr_slot_group *sg)
{
    size_t n_fields = bitmap_count1(gd->props.fields.used.bm, MFF_N_IDS);
    size_t n_buckets = ovs_list_size(&gd->buckets);
    const struct ofputil_bucket *bucket;
    size_t i = 0;

    memset(sg, 0, sizeof *sg);
    if (!strcmp(gd->props.selection_method, "hash") && n_fields == 1
        && (bitmap_is_set(gd->props.fields.used.bm, MFF_IPV4_SRC)
            || bitmap_is_set(gd->props.fields.used.bm, MFF_IPV6_SRC))) {
        sg->hash = DSR_SLOT_HASH_IP_SRC;
        sg->ipv6 = bitmap_is_set(gd->props.fields.used.bm, MFF_IPV6_SRC);
    } else if (!strcmp(gd->props.selection_method, "hash")
               && n_fields == ARRAY_SIZE(five_tuple_fields)
               && has_five_tuple_fields(&gd->props.fields)) {
        sg->hash = DSR_SLOT_HASH_5TUPLE;
    } else if (strcmp(gd->props.selection_method, "dp_hash") || n_fields) {
        return false;
    }
    uint64_t sym_l4_param = (uint64_t) OVS_HASH_ALG_SYM_L4 << 32;
    sg->sym_l4 = (sg->hash == DSR_SLOT_HASH_DP
                  && gd->props.selection_method_param == sym_l4_param);
    if (gd->type != OFPGT11_SELECT
        || (gd->props.selection_method_param && !sg->sym_l4)
        || (n_buckets != 0 && n_buckets != DSR_SLOTS)) {
        return false;
    }
    LIST_FOR_EACH (bucket, list_node, &gd->buckets) {
        const struct ofpact *a = bucket->ofpacts;
        const struct ofpact *end = ofpact_end(a, bucket->ofpacts_len);
        const struct ofpact_set_field *sf;

        if (bucket->bucket_id != i || bucket->weight != 1) {
            return false;
        }
        if (a == end) {
            i++;
            continue;           /* A slot without a backend drops. */
        }
        if (a->type != OFPACT_SET_FIELD) {
            return false;
        }
        sf = ofpact_get_SET_FIELD(a);
        if (ofpact_set_field_mask(sf)->be32 != OVS_BE32_MAX) {
            return false;
        }
        a = ofpact_next(a);
        if (sf->field->id == MFF_REG3
            && ntohl(sf->value->be32) == DSR_SUBSLOT_NODE(i, 1)
            && read_bucket_resubmit(a, end, &sg->split_table)) {
            sg->split[i++] = true;
        } else if (sf->field->id == MFF_REG1 && sf->value->be32
                   && read_bucket_resubmit(a, end, &sg->next_table)) {
            sg->slot_ips[i++] = sf->value->be32;
        } else {
            return false;
        }
    }
    return true;
}

/* Equal slot groups.  A group without backends has no buckets, and so no
 * next table to compare. */
bool
dsr_slot_group_equal(const struct dsr_slot_group *a,
                     const struct dsr_slot_group *b)
{
    return (a->hash == b->hash
            && (a->hash != DSR_SLOT_HASH_IP_SRC || a->ipv6 == b->ipv6)
            && a->sym_l4 == b->sym_l4
            && !memcmp(a->slot_ips, b->slot_ips, sizeof a->slot_ips)
            && !memcmp(a->split, b->split, sizeof a->split)
            && (a->split_table == b->split_table
                || !slot_group_any_split(a))
            && (a->next_table == b->next_table
                || !slot_group_any_direct(a)));
}


/* Fills 'gm' with the "add or modify" of a slot group. */
void
dsr_slot_group_to_mod(uint32_t group_id, const struct dsr_slot_group *sg,
                      struct ofputil_group_mod *gm)
{
    *gm = (struct ofputil_group_mod) {
        .command = OFPGC11_ADD_OR_MOD,
        .type = OFPGT11_SELECT,
        .group_id = group_id,
        .command_bucket_id = OFPG15_BUCKET_ALL,
    };
    ovs_list_init(&gm->buckets);
    ovs_strlcpy(gm->props.selection_method,
                sg->hash == DSR_SLOT_HASH_DP ? "dp_hash" : "hash",
                sizeof gm->props.selection_method);
    if (sg->sym_l4) {
        gm->props.selection_method_param = ((uint64_t) OVS_HASH_ALG_SYM_L4
                                            << 32);
    }
    union mf_value ones;
    memset(&ones, 0xff, sizeof ones);
    if (sg->hash == DSR_SLOT_HASH_IP_SRC) {
        field_array_set(sg->ipv6 ? MFF_IPV6_SRC : MFF_IPV4_SRC, &ones,
                        &gm->props.fields);
    } else if (sg->hash == DSR_SLOT_HASH_5TUPLE) {
        for (size_t i = 0; i < ARRAY_SIZE(five_tuple_fields); i++) {
            field_array_set(five_tuple_fields[i], &ones, &gm->props.fields);
        }
    }
    if (!slot_group_any(sg)) {
        return;
    }

    const struct mf_field *reg1 = mf_from_id(MFF_REG1);
    const struct mf_field *reg3 = mf_from_id(MFF_REG3);
    struct ofpbuf ofpacts;
    ofpbuf_init(&ofpacts, 64);
    for (size_t i = 0; i < DSR_SLOTS; i++) {
        struct ofputil_bucket *bucket = xzalloc(sizeof *bucket);

        bucket->bucket_id = i;
        bucket->weight = 1;
        bucket->watch_port = OFPP_ANY;
        bucket->watch_group = OFPG_ANY;
        ofpbuf_clear(&ofpacts);
        if (sg->split[i] || sg->slot_ips[i]) {
            ovs_be32 root = htonl(DSR_SUBSLOT_NODE(i, 1));
            ofpact_put_set_field(&ofpacts, sg->split[i] ? reg3 : reg1,
                                 sg->split[i] ? &root : &sg->slot_ips[i],
                                 NULL);
            struct ofpact_resubmit *rs = ofpact_put_RESUBMIT(&ofpacts);
            rs->in_port = OFPP_IN_PORT;
            rs->table_id = sg->split[i] ? sg->split_table : sg->next_table;
            bucket->ofpacts = xmemdup(ofpacts.data, ofpacts.size);
            bucket->ofpacts_len = ofpacts.size;
        }
        ovs_list_push_back(&gm->buckets, &bucket->list_node);
    }
    ofpbuf_uninit(&ofpacts);
}
