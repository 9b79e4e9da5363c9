/* Canonical forms of flows and groups.  See canonical.h. */
#include <config.h>
#include "flows/canonical.h"

#include "flows/flow-set.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofpbuf.h"
#include "util.h"

static void
put_flow(struct ds *s, uint8_t table_id, uint16_t priority,
         const struct match *match, const struct ofpact *ofpacts,
         size_t ofpacts_len)
{
    struct ofpact_format_params fp = { .s = s };

    ds_put_format(s, "table=%"PRIu8" priority=%"PRIu16" ", table_id,
                  priority);
    match_format(match, NULL, s, OFP_DEFAULT_PRIORITY);
    ds_put_cstr(s, " actions=");
    ofpacts_format(ofpacts, ofpacts_len, &fp);
}

char *
canonical_flow(const struct dsr_flow *flow, struct ds *s)
{
    struct ofputil_flow_mod fm;
    enum ofputil_protocol usable;
    char *text = xasprintf("table=%"PRIu8",priority=%"PRIu16"%s%s "
                           "actions=%s", flow->table_id, flow->priority,
                           flow->match[0] ? "," : "", flow->match,
                           flow->actions);
    char *error = parse_ofp_flow_mod_str(&fm, text, NULL, NULL, OFPFC_ADD,
                                         &usable);
    free(text);
    if (error) {
        return error;
    }
    struct match match;
    minimatch_expand(&fm.match, &match);
    put_flow(s, fm.table_id, fm.priority, &match, fm.ofpacts,
             fm.ofpacts_len);
    free(CONST_CAST(struct ofpact *, fm.ofpacts));
    minimatch_destroy(&fm.match);
    return NULL;
}

void
canonical_flow_stats(const struct ofputil_flow_stats *fs, struct ds *s)
{
    put_flow(s, fs->table_id, fs->priority, &fs->match, fs->ofpacts,
             fs->ofpacts_len);
}

static struct ofpbuf *
encode_group(struct ofputil_group_mod *gm)
{
    struct ofpbuf *msg = ofputil_encode_group_mod(OFP15_VERSION, gm, NULL,
                                                  -1);
    ((struct ofp_header *) msg->data)->xid = 0;
    return msg;
}

char *
canonical_group(uint32_t group_id, const char *spec, struct ofpbuf **msgp)
{
    struct ofputil_group_mod gm;
    enum ofputil_protocol usable;
    char *text = xasprintf("group_id=%"PRIu32",%s", group_id, spec);
    char *error = parse_ofp_group_mod_str(&gm, OFPGC11_ADD_OR_MOD, text,
                                          NULL, NULL, &usable);
    free(text);
    if (error) {
        *msgp = NULL;
        return error;
    }
    *msgp = encode_group(&gm);
    ofputil_uninit_group_mod(&gm);
    return NULL;
}

/* Takes the buckets of 'gd'. */
struct ofpbuf *
canonical_group_desc(struct ofputil_group_desc *gd)
{
    struct ofputil_group_mod gm = {
        .command = OFPGC11_ADD_OR_MOD,
        .type = gd->type,
        .group_id = gd->group_id,
        .command_bucket_id = OFPG15_BUCKET_ALL,
        .props = gd->props,
    };
    ovs_list_init(&gm.buckets);
    ovs_list_push_back_all(&gm.buckets, &gd->buckets);
    struct ofpbuf *msg = encode_group(&gm);
    ofputil_bucket_list_destroy(&gm.buckets);
    return msg;
}
