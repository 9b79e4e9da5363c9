/* See trace-answer.h. */
#include <config.h>
#include "controller/trace-answer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "controller/lb-slots.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/trace-hash.h"
#include "controller/trace-pins.h"
#include "controller/trace.h"
#include "flows/pipeline.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

/* Everything an answer says, before it becomes JSON. */
struct trace_result {
    const struct dsr_service *svc;
    const struct trace_query *q;
    enum datapath_kind datapath;
    uint16_t dport;             /* The destination port packets carry. */
    bool hash_known;
    uint32_t dp_hash;           /* 5-tuple services, when 'hash_known'. */
    int slot;                   /* -1: unknown. */
    int sub_slot;               /* In a fine table, else -1. */
    const char *slot_note;      /* Why unknown, or how it is computed. */
    ovs_be32 slot_backend;      /* Slot key (dsr_ip_slot_key(), network
                                 * order); 0: the slot drops. */
    bool pin_looked_up;
    const char *pin_error;      /* Could not read conntrack. */
    bool pinned;
    struct trace_pin pin;
    bool pin_in_use;            /* Its backend still takes pinned
                                 * connections (table 22 has its flow). */
    ovs_be32 backend;           /* Slot key; 0: unknown or none. */
    const char *decided_by;     /* "pin", "slot" or "unknown". */
    struct key_name *names;     /* The service's backends by slot key, */
    size_t n_names;             /* sorted by key. */
};

/* A backend's address by its slot key. */
struct key_name {
    ovs_be32 key;
    const struct in6_addr *ip;
};

static int
compare_key_names(const void *a_, const void *b_)
{
    const struct key_name *a = a_, *b = b_;
    uint32_t ka = ntohl(a->key), kb = ntohl(b->key);

    return ka < kb ? -1 : ka > kb;
}

/* Fills 'r''s key table once per answer: 'slot_shares' names 256 slots,
 * and a gre service's backends may be of either family. */
static void
index_backend_names(struct trace_result *r)
{
    const struct dsr_service *svc = r->svc;

    r->names = xmalloc((svc->n_backends + 1) * sizeof *r->names);
    r->n_names = svc->n_backends;
    for (size_t i = 0; i < svc->n_backends; i++) {
        r->names[i].ip = &svc->backends[i].ip;
        r->names[i].key = htonl(dsr_ip_slot_key(r->names[i].ip));
    }
    qsort(r->names, r->n_names, sizeof *r->names, compare_key_names);
}

/* The slot 'r''s connection hashes to, if it can be known. */
static void
compute_slot(struct trace_result *r)
{
    const struct trace_query *q = r->q;

    r->slot = -1;
    if (r->svc->hash == DSR_HASH_SOURCE_IP) {
        r->slot = trace_slot_source_ip(&q->client);
        r->slot_note = "ovs-vswitchd's hash of the client address "
                       "(selection_method=hash), the same on every datapath";
    } else if (!q->client_port || !r->dport) {
        r->slot_note = "a 5-tuple service: give CLIENT_IP:PORT and "
                       "VIP:PORT to compute the slot";
    } else if (r->svc->hash == DSR_HASH_5TUPLE_CROSS_NODE) {
        r->slot = trace_slot_5tuple_fields(&q->client, q->client_port,
                                           &q->vip, r->dport);
        r->slot_note = "ovs-vswitchd's hash of addresses and ports "
                       "(selection_method=hash), the same on every "
                       "datapath";
    } else if (r->datapath == DATAPATH_KERNEL) {
        r->slot_note = "unknown: the kernel datapath seeds its 5-tuple hash "
                       "randomly at boot; answered from the pin and the "
                       "slot table";
    } else if (r->datapath != DATAPATH_USERSPACE
               && r->datapath != DATAPATH_DPDK) {
        r->slot_note = "unknown: dsrd does not know this bridge's datapath "
                       "(--ovsdb); answered from the pin and the slot table";
    } else {
        r->hash_known = true;
        r->dp_hash = trace_hash_5tuple(q->ip_proto, &q->client,
                                       q->client_port, &q->vip, r->dport);
        r->slot = trace_hash_to_slot(r->dp_hash);
        r->slot_note = (r->datapath == DATAPATH_DPDK
                        ? "the software 5-tuple hash: exact unless the "
                          "ingress port's NIC supplies an RSS hash"
                        : "the userspace datapath's 5-tuple hash");
    }
}

/* Decides which backend takes the connection: a pin whose backend still
 * takes pinned connections wins, else the slot. */
static void
decide(struct trace_result *r, const struct lb_slots *slots)
{
    r->sub_slot = -1;
    if (r->slot >= 0 && slots->n_slots == DSR_SLOTS_FINE && r->hash_known) {
        /* Only dp_hash services have fine tables (flows/slots.h). */
        r->sub_slot = (r->dp_hash >> DSR_SUBSLOT_BITS) % DSR_SLOTS;
        r->slot_backend = slots->slot_ips[r->slot << DSR_SUBSLOT_BITS
                                          | r->sub_slot];
    } else if (r->slot >= 0) {
        r->slot_backend = slots->slot_ips[r->slot];
    }
    if (r->pinned) {
        for (size_t i = 0; i < slots->n_reachable; i++) {
            if (slots->reachable[i].ip == r->pin.backend) {
                r->pin_in_use = true;
            }
        }
    }
    if (r->pin_in_use) {
        r->backend = r->pin.backend;
        r->decided_by = "pin";
    } else if (r->slot >= 0) {
        r->backend = r->slot_backend;
        r->decided_by = "slot";
    } else {
        r->decided_by = "unknown";
    }
}

/* The address of the backend that slot key 'key' (network order) names
 * in 'r''s service.  A key no backend has is, in an IPv4 service that
 * is not gre (whose backends are all IPv4), the address of a backend
 * since removed: a pin may outlive it. */
static json_t *
backend_json(const struct trace_result *r, ovs_be32 key)
{
    struct key_name k = { .key = key };
    const struct key_name *found;
    char buf[INET6_ADDRSTRLEN];

    if (!key) {
        return json_null();
    }
    found = (r->n_names ? bsearch(&k, r->names, r->n_names, sizeof k,
                                  compare_key_names) : NULL);
    if (found) {
        return json_string(dsr_ip_to_string(found->ip, buf));
    } else if (IN6_IS_ADDR_V4MAPPED(&r->svc->vip)
               && r->svc->mode != DSR_MODE_GRE) {
        return json_sprintf(IP_FMT, IP_ARGS(key));
    }
    return json_sprintf("backend key %#"PRIx32" (gone)", ntohl(key));
}

static json_t *
endpoint_json(const struct in6_addr *ip, uint16_t port)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_endpoint_format(ip, port, &s);
    json_t *j = json_string(ds_cstr(&s));
    ds_destroy(&s);
    return j;
}

/* How packets leave for 'r''s backend (flows/README.md, "Delivery by
 * mode"), or null if it cannot be delivered to. */
static json_t *
delivery_json(const struct lb *lb, const struct trace_result *r,
              const struct lb_slots *slots)
{
    const struct pipeline_backend *pb = NULL;

    for (size_t i = 0; r->backend && i < slots->n_reachable; i++) {
        if (slots->reachable[i].ip == r->backend) {
            pb = &slots->reachable[i];
        }
    }
    if (!pb || !pb->has_mac) {
        return json_null();
    }
    if (r->svc->mode == DSR_MODE_GRE) {
        return json_pack("{s:s, s:o, s:I}", "mode", "gre", "tunnel_dst",
                         backend_json(r, pb->ip),
                         "port", (json_int_t) pb->port);
    } else if (r->svc->mode == DSR_MODE_IPIP) {
        return json_pack("{s:s, s:o, s:I}", "mode", "ipip", "tunnel_dst",
                         backend_json(r, pb->ip),
                         "port", (json_int_t) pb->port);
    }

    /* l2: the port is where the backend's ARP reply came from. */
    json_t *port = json_null();
    for (size_t i = 0; i < r->svc->n_backends; i++) {
        const struct dsr_backend *be = &r->svc->backends[i];
        struct lb_backend_info info;

        if (htonl(dsr_ip_slot_key(&be->ip)) == pb->ip) {
            lb_get_backend_info(lb, r->svc, be, &info);
            if (info.resolved) {
                json_decref(port);
                port = json_integer(info.port);
            }
        }
    }
    return json_pack("{s:s, s:o, s:o}", "mode", "l2", "mac",
                     json_sprintf(ETH_ADDR_FMT, ETH_ADDR_ARGS(pb->mac)),
                     "port", port);
}

/* How many of the service's slots (of a fine table: entries) each
 * backend holds now. */
static json_t *
slot_shares_json(const struct trace_result *r,
                 const struct lb_slots *slots)
{
    json_t *shares = json_object();

    for (size_t i = 0; i < slots->n_slots;) {
        size_t end = i + 1;
        while (end < slots->n_slots
               && slots->slot_ips[end] == slots->slot_ips[i]) {
            end++;
        }
        json_t *backend = backend_json(r, slots->slot_ips[i]);
        const char *ip = json_is_string(backend) ? json_string_value(backend)
                                                 : "drop";
        json_t *n = json_object_get(shares, ip);
        json_object_set_new(shares, ip, json_integer(
                                (n ? json_integer_value(n) : 0) + end - i));
        json_decref(backend);
        i = end;
    }
    return shares;
}

/* The ovs-appctl ofproto/trace command whose output follows 'r''s
 * packet through the tables: with its pin as ct_mark after conntrack
 * (--ct-next trk,est), or as a new connection with its dp_hash (the
 * group then uses that value instead of asking the datapath).  A new TCP
 * connection is shown by its SYN, which skips conntrack. */
static json_t *
ofproto_trace_json(const struct trace_result *r)
{
    const struct trace_query *q = r->q;
    const char *proto = q->ip_proto == IPPROTO_TCP ? "tcp" : "udp";
    struct ds s = DS_EMPTY_INITIALIZER;
    const char *ct_next = NULL;

    bool v4 = IN6_IS_ADDR_V4MAPPED(&q->vip);

    ds_put_format(&s, "ovs-appctl ofproto/trace %s '%s%s,", r->svc->bridge,
                  proto, v4 ? "" : "6");
    if (r->pin_in_use) {
        ds_put_format(&s, "ct_mark=%#"PRIx32",ct_label=%#"PRIx32",",
                      ntohl(r->pin.backend), r->pin.service_id);
        ct_next = "trk,est";
    } else if (r->hash_known) {
        ds_put_format(&s, "dp_hash=%#"PRIx32",", r->dp_hash);
    }
    ds_put_cstr(&s, v4 ? "nw_src=" : "ipv6_src=");
    dsr_ip_format(&q->client, &s);
    ds_put_cstr(&s, v4 ? ",nw_dst=" : ",ipv6_dst=");
    dsr_ip_format(&q->vip, &s);
    if (q->client_port) {
        ds_put_format(&s, ",%s_src=%"PRIu16, proto, q->client_port);
    }
    if (r->dport) {
        ds_put_format(&s, ",%s_dst=%"PRIu16, proto, r->dport);
    }
    if (q->ip_proto == IPPROTO_TCP) {
        ds_put_cstr(&s, r->pin_in_use ? ",tcp_flags=ack" : ",tcp_flags=syn");
    } else if (!r->pin_in_use && r->svc->pin_connections) {
        ct_next = "trk,new";
    }
    ds_put_char(&s, '\'');
    if (ct_next) {
        ds_put_format(&s, " --ct-next '%s'", ct_next);
    }
    json_t *command = json_string(ds_cstr(&s));
    ds_destroy(&s);
    return command;
}

static json_t *
pin_json(const struct trace_result *r)
{
    if (!r->pinned) {
        return json_null();
    }
    return json_pack("{s:o, s:I, s:s, s:b}",
                     "backend", backend_json(r, r->pin.backend),
                     "service_id", (json_int_t) r->pin.service_id,
                     "state", r->pin.state, "in_use", r->pin_in_use);
}

/* "found", "none", why it was not looked up, or why it failed. */
static const char *
pin_lookup_text(const struct trace_result *r)
{
    if (r->pin_error) {
        return r->pin_error;
    } else if (r->pin_looked_up) {
        return r->pinned ? "found" : "none";
    } else if (!r->svc->pin_connections) {
        return "not pinned: the service has pin_connections false";
    }
    return "not looked up: give CLIENT_IP:PORT and VIP:PORT";
}

static json_t *
result_json(const struct lb *lb, const struct trace_result *r,
            const struct lb_slots *slots)
{
    const struct trace_query *q = r->q;

    return json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:s, s:o,"
        " s:o, s:s, s:o, s:s, s:o, s:o, s:o, s:I}",
        "service", r->svc->name, "bridge", r->svc->bridge,
        "datapath", datapath_kind_to_string(r->datapath),
        "protocol", q->ip_proto == IPPROTO_TCP ? "tcp" : "udp",
        "client", endpoint_json(&q->client, q->client_port),
        "vip", endpoint_json(&q->vip, r->dport),
        "hash", dsr_hash_to_string(r->svc->hash),
        "dp_hash", (r->hash_known ? json_sprintf("%#"PRIx32, r->dp_hash)
                    : json_null()),
        "slot", r->slot >= 0 ? json_integer(r->slot) : json_null(),
        "sub_slot", (r->sub_slot >= 0 ? json_integer(r->sub_slot)
                     : json_null()),
        "slot_note", r->slot_note,
        "slot_backend", (r->slot >= 0
                         ? backend_json(r, r->slot_backend)
                         : json_null()),
        "pin", pin_json(r), "pin_lookup", pin_lookup_text(r),
        "backend", backend_json(r, r->backend),
        "decided_by", r->decided_by,
        "delivery", delivery_json(lb, r, slots),
        "slot_shares", slot_shares_json(r, slots),
        "ofproto_trace", ofproto_trace_json(r),
        "slot_table_size", (json_int_t) slots->n_slots);
}

static const char *
json_text(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* The text form of an answer (dsr/trace, and "text" in the API's). */
static void
format_text(const json_t *j, struct ds *s)
{
    const json_t *slot = json_object_get(j, "slot");
    const json_t *pin = json_object_get(j, "pin");
    const json_t *delivery = json_object_get(j, "delivery");

    ds_put_format(s, "service %s (bridge %s, %s datapath, %s hash): %s %s "
                  "-> %s\n", json_text(j, "service"), json_text(j, "bridge"),
                  json_text(j, "datapath"), json_text(j, "hash"),
                  json_text(j, "protocol"), json_text(j, "client"),
                  json_text(j, "vip"));
    if (json_is_integer(slot)) {
        ds_put_format(s, "slot: %"JSON_INTEGER_FORMAT,
                      json_integer_value(slot));
        if (json_is_integer(json_object_get(j, "sub_slot"))) {
            ds_put_format(s, ", sub-slot %"JSON_INTEGER_FORMAT,
                          json_integer_value(json_object_get(j, "sub_slot")));
        }
        if (json_is_string(json_object_get(j, "dp_hash"))) {
            ds_put_format(s, " (dp_hash %s)", json_text(j, "dp_hash"));
        }
        ds_put_format(s, ", %s; holds %s\n", json_text(j, "slot_note"),
                      json_is_string(json_object_get(j, "slot_backend"))
                      ? json_text(j, "slot_backend") : "no backend (drop)");
    } else {
        ds_put_format(s, "slot: %s\n", json_text(j, "slot_note"));
    }
    ds_put_cstr(s, "slot table:");
    const char *ip;
    const json_t *n;
    json_object_foreach (CONST_CAST(json_t *, json_object_get(j,
                                                             "slot_shares")),
                         ip, n) {
        ds_put_format(s, " %s %"JSON_INTEGER_FORMAT, ip,
                      json_integer_value(n));
    }
    ds_put_char(s, '\n');
    if (json_is_object(pin)) {
        ds_put_format(s, "pin: %s%s%s%s\n", json_text(pin, "backend"),
                      *json_text(pin, "state") ? " " : "",
                      json_text(pin, "state"),
                      json_is_true(json_object_get(pin, "in_use"))
                      ? " (wins)" : " (its backend no longer takes pinned "
                        "connections: placed again by the slot)");
    } else {
        ds_put_format(s, "pin: %s\n", json_text(j, "pin_lookup"));
    }
    if (json_is_string(json_object_get(j, "backend"))) {
        ds_put_format(s, "backend: %s, decided by its %s\n",
                      json_text(j, "backend"), json_text(j, "decided_by"));
    } else {
        ds_put_format(s, "backend: %s\n",
                      strcmp(json_text(j, "decided_by"), "unknown")
                      ? "none: the slot drops" : "unknown (see the slot "
                        "table)");
    }
    if (json_is_object(delivery)) {
        const json_t *port = json_object_get(delivery, "port");
        const char *mode = json_text(delivery, "mode");

        ds_put_format(s, "delivery: %s, %s %s", mode,
                      !strcmp(mode, "l2") ? "MAC" : "tunnel to",
                      json_text(delivery, !strcmp(mode, "l2") ? "mac"
                                                              : "tunnel_dst"));
        if (json_is_integer(port)) {
            ds_put_format(s, ", port %"JSON_INTEGER_FORMAT,
                          json_integer_value(port));
        }
        ds_put_char(s, '\n');
    }
    ds_put_format(s, "trace: %s\n", json_text(j, "ofproto_trace"));
}

/* The answer to 'q', a connection to 'svc' on a bridge of datapath
 * 'datapath', with its pin from the conntrack dump 'dump' (NULL if not
 * read: 'pin_error' then says why, or is NULL when the pin was not
 * needed): schemas/openapi.json's /v1/trace answer, its "text" included.
 * NULL if lb has no bridge for 'svc'. */
json_t *
trace_answer(const struct lb *lb, const struct dsr_service *svc,
             enum datapath_kind datapath, const struct trace_query *q,
             const char *dump, const char *pin_error)
{
    struct trace_result r = { .svc = svc, .q = q, .datapath = datapath };
    struct lb_slots slots;

    if (!lb_get_slots(lb, svc, &slots)) {
        return NULL;
    }
    r.dport = q->vip_port ? q->vip_port : svc->port;
    r.pin_error = pin_error;
    r.pin_looked_up = dump != NULL;
    r.pinned = dump && trace_pins_find(dump, q, &r.pin) && r.pin.backend;
    index_backend_names(&r);
    compute_slot(&r);
    decide(&r, &slots);

    json_t *j = result_json(lb, &r, &slots);
    struct ds text = DS_EMPTY_INITIALIZER;
    format_text(j, &text);
    json_object_set_new(j, "text", json_string(ds_cstr(&text)));
    ds_destroy(&text);
    lb_slots_destroy(&slots);
    free(r.names);
    return j;
}
