/* See group-desc.h. */
#include <config.h>
#include "flows/group-desc.h"

#include "openflow/openflow.h"
#include "openvswitch/list.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-group.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-prop.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(group_desc);

static enum ofperr
pull_bucket_properties(struct ofpbuf *props, struct ofputil_bucket *bucket)
{
    while (props->size) {
        struct ofpbuf payload;
        uint64_t type;
        ovs_be16 be16;
        ovs_be32 be32;

        enum ofperr error = ofpprop_pull(props, &payload, &type);
        if (error) {
            return error;
        }
        switch (type) {
        case OFPGBPT15_WEIGHT:
            error = ofpprop_parse_be16(&payload, &be16);
            bucket->weight = ntohs(be16);
            break;
        case OFPGBPT15_WATCH_PORT:
            error = ofpprop_parse_be32(&payload, &be32);
            if (!error && ofputil_port_from_ofp11(be32, &bucket->watch_port)) {
                error = OFPERR_OFPGMFC_BAD_WATCH;
            }
            break;
        case OFPGBPT15_WATCH_GROUP:
            error = ofpprop_parse_be32(&payload, &be32);
            bucket->watch_group = ntohl(be32);
            break;
        default:
            error = OFPPROP_UNKNOWN(false, "group bucket", type);
            break;
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

/* Appends to 'buckets' those in 'msg', the bucket list of a group of
 * 'group_type'.  On error, what it appended is still there to free. */
static enum ofperr
pull_buckets(struct ofpbuf *msg, uint8_t group_type, struct ovs_list *buckets)
{
    while (msg->size) {
        const struct ofp15_bucket *ob = ofpbuf_try_pull(msg, sizeof *ob);
        if (!ob) {
            return OFPERR_OFPGMFC_BAD_BUCKET;
        }
        size_t ob_len = ntohs(ob->len);
        size_t actions_len = ntohs(ob->action_array_len);
        if (ob_len < sizeof *ob || ob_len - sizeof *ob > msg->size
            || actions_len > ob_len - sizeof *ob
            || ntohl(ob->bucket_id) > OFPG15_BUCKET_MAX) {
            return OFPERR_OFPGMFC_BAD_BUCKET;
        }

        struct ofputil_bucket *bucket = xzalloc(sizeof *bucket);
        bucket->bucket_id = ntohl(ob->bucket_id);
        bucket->weight = group_type == OFPGT11_SELECT ? 1 : 0;
        bucket->watch_port = OFPP_ANY;
        bucket->watch_group = OFPG_ANY;
        ovs_list_push_back(buckets, &bucket->list_node);

        struct ofpbuf ofpacts;
        ofpbuf_init(&ofpacts, 0);
        enum ofperr error = ofpacts_pull_openflow_actions(
            msg, actions_len, OFP15_VERSION, NULL, NULL, &ofpacts);
        bucket->ofpacts_len = ofpacts.size;
        bucket->ofpacts = ofpbuf_steal_data(&ofpacts);
        if (error) {
            return error;
        }

        size_t props_len = ob_len - sizeof *ob - actions_len;
        struct ofpbuf props = ofpbuf_const_initializer(
            ofpbuf_pull(msg, props_len), props_len);
        error = pull_bucket_properties(&props, bucket);
        if (error) {
            return error;
        }
    }
    return 0;
}

/* As ofputil_decode_group_desc_reply() (see group-desc.h): returns 0 and
 * the next group of 'msg' in 'gd', EOF after the last, or an error. */
int
dsr_decode_group_desc_reply(struct ofputil_group_desc *gd, struct ofpbuf *msg,
                            int version)
{
    if (version != OFP15_VERSION) {
        return ofputil_decode_group_desc_reply(gd, msg, version);
    }
    if (!msg->header) {
        ofpraw_pull_assert(msg);
    }

    const struct ofp15_group_desc_stats *ogds = msg->data;
    size_t length = msg->size >= sizeof *ogds ? ntohs(ogds->length) : 0;
    size_t list_len = length ? ntohs(ogds->bucket_list_len) : 0;
    if (length < sizeof *ogds || length > msg->size
        || list_len > length - sizeof *ogds) {
        /* The end, or OVS's error for what is wrong. */
        return ofputil_decode_group_desc_reply(gd, msg, version);
    }

    /* The group without its buckets, for OVS. */
    struct ofpbuf head;
    ofpbuf_init(&head, length - list_len);
    struct ofp15_group_desc_stats *copy = ofpbuf_put(&head, ogds,
                                                     sizeof *ogds);
    copy->length = htons(length - list_len);
    copy->bucket_list_len = htons(0);
    ofpbuf_put(&head, (const char *) (ogds + 1) + list_len,
               length - sizeof *ogds - list_len);
    head.header = msg->header;      /* Not to be pulled again. */
    int error = ofputil_decode_group_desc_reply(gd, &head, version);
    ofpbuf_uninit(&head);
    if (error) {
        return error;
    }

    struct ofpbuf buckets = ofpbuf_const_initializer(ogds + 1, list_len);
    ofpbuf_pull(msg, length);
    error = pull_buckets(&buckets, gd->type, &gd->buckets);
    if (error) {
        ofputil_uninit_group_desc(gd);
    }
    return error;
}
