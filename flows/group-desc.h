/* Decoding a switch's group description replies, for reading it back.
 *
 * OVS's ofputil_decode_group_desc_reply() checks each group's bucket ids
 * for duplicates pair by pair: 32,640 comparisons for a slot group of 256
 * buckets, some 6 % of a restart at 10,000 services.  This decodes the
 * buckets itself, without that check; dsr_slot_group_from_desc() requires
 * bucket i in place i, which rules duplicates out anyway.  The group's
 * type and properties are still OVS's to decode. */
#ifndef DSR_GROUP_DESC_H
#define DSR_GROUP_DESC_H 1

struct ofpbuf;
struct ofputil_group_desc;

int dsr_decode_group_desc_reply(struct ofputil_group_desc *,
                                struct ofpbuf *msg, int version);

#endif /* flows/group-desc.h */
