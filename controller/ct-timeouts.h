/* How long idle pins live (schemas/config.schema.json, "ct_timeouts"):
 * part of the model, in a header of its own for the OVSDB side
 * (ct-policy.h), whose JSON library is not jansson. */
#ifndef DSR_CT_TIMEOUTS_H
#define DSR_CT_TIMEOUTS_H 1

/* Idle seconds before a pin in DSR_CT_ZONE expires, by protocol and
 * state. */
struct dsr_ct_timeouts {
    unsigned int tcp_syn;       /* After one TCP packet. */
    unsigned int tcp;           /* After more. */
    unsigned int udp;           /* After the second datagram. */
    unsigned int icmp;
};

#endif /* controller/ct-timeouts.h */
