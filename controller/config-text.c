/* Model to text: the one writer of a configuration's JSON, and the reader
 * of the layout it gives a whole configuration.  One writer,
 * of compact JSON text, serves the state file, the journal, the API's
 * documents and (parsed back) the json_t forms, so that they cannot
 * disagree; it formats numbers and addresses by hand because a whole
 * configuration at scale is millions of them.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/model.h"
#include "controller/config-slots.h"
#include "flows/slots.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "packets.h"
#include "util.h"

static void
put_uint(struct ds *s, uint64_t x)
{
    char buf[24];
    char *p = buf + sizeof buf;

    do {
        *--p = '0' + x % 10;
        x /= 10;
    } while (x);
    ds_put_buffer(s, p, buf + sizeof buf - p);
}

static void
put_ip(struct ds *s, const struct in6_addr *ip6)
{
    if (!IN6_IS_ADDR_V4MAPPED(ip6)) {
        ds_put_char(s, '"');
        dsr_ip_format(ip6, s);
        ds_put_char(s, '"');
        return;
    }

    /* IPv4 without inet_ntop(), for large configurations. */
    uint32_t ip = ntohl(in6_addr_get_mapped_ipv4(ip6));
    ds_put_char(s, '"');
    for (int shift = 24; shift >= 0; shift -= 8) {
        put_uint(s, (ip >> shift) & 0xff);
        if (shift) {
            ds_put_char(s, '.');
        }
    }
    ds_put_char(s, '"');
}

static void
put_mac(struct ds *s, struct eth_addr mac)
{
    static const char hex[] = "0123456789abcdef";
    char buf[19];
    char *p = buf;

    *p++ = '"';
    for (int i = 0; i < 6; i++) {
        *p++ = hex[mac.ea[i] >> 4];
        *p++ = hex[mac.ea[i] & 15];
        *p++ = i < 5 ? ':' : '"';
    }
    ds_put_buffer(s, buf, sizeof buf);
}

/* Any JSON value, as jansson writes it compactly. */
static void
put_value(struct ds *s, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);

    ds_put_cstr(s, text);
    free(text);
}

static void
put_string(struct ds *s, const char *string)
{
    for (const char *p = string; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
            json_t *j = json_string(string);
            put_value(s, j);
            json_decref(j);
            return;
        }
    }
    ds_put_char(s, '"');
    ds_put_cstr(s, string);
    ds_put_char(s, '"');
}

/* Appends '"KEY":' (a key that needs no escaping), after a comma unless it
 * is the object's first. */
static void
put_key(struct ds *s, const char *key, bool first)
{
    ds_put_cstr(s, first ? "\"" : ",\"");
    ds_put_cstr(s, key);
    ds_put_cstr(s, "\":");
}

/* Appends backend 'be', with its "slots" text 'slots' (NULL if its
 * service has no table). */
static void
put_backend(struct ds *s, const struct dsr_backend *be,
            const struct ds *slots)
{
    ds_put_char(s, '{');
    put_key(s, "ip", true);
    put_ip(s, &be->ip);
    if (be->has_mac) {
        put_key(s, "mac", false);
        put_mac(s, be->mac);
    }
    put_key(s, "weight", false);
    put_uint(s, be->weight);
    put_key(s, "state", false);
    put_string(s, dsr_backend_state_to_string(be->state));
    if (be->health_json) {
        put_key(s, "health_check", false);
        put_value(s, be->health_json);
    }
    put_key(s, "id", false);
    put_uint(s, be->id);
    if (slots) {
        /* Hex digits, or digits, commas and hyphens: nothing to escape. */
        put_key(s, "slots", false);
        ds_put_char(s, '"');
        ds_put_buffer(s, slots->string, slots->length);
        ds_put_char(s, '"');
    }
    put_key(s, "version", false);
    put_uint(s, be->version);
    ds_put_char(s, '}');
}

void
dsr_backend_put_json(struct ds *s, const struct dsr_service *svc,
                     const struct dsr_backend *be)
{
    struct ds slots;

    if (svc->slots) {
        config_slots_format_all(svc->slots, &be->id, 1, &slots);
    }
    put_backend(s, be, svc->slots ? &slots : NULL);
    if (svc->slots) {
        ds_destroy(&slots);
    }
}

void
dsr_service_put_json(struct ds *s, const struct dsr_service *svc)
{
    ds_put_char(s, '{');
    put_key(s, "name", true);
    put_string(s, svc->name);
    put_key(s, "id", false);
    put_uint(s, svc->id);
    put_key(s, "version", false);
    put_uint(s, svc->version);
    put_key(s, "bridge", false);
    put_string(s, svc->bridge);
    put_key(s, "vip", false);
    put_ip(s, &svc->vip);
    put_key(s, "protocol", false);
    put_string(s, dsr_protocol_to_string(svc->protocol));
    put_key(s, "port", false);
    if (svc->port) {
        put_uint(s, svc->port);
    } else {
        ds_put_cstr(s, "\"*\"");
    }
    put_key(s, "mode", false);
    put_string(s, dsr_mode_to_string(svc->mode));
    put_key(s, "hash", false);
    put_string(s, dsr_hash_to_string(svc->hash));
    put_key(s, "mac", false);
    put_mac(s, svc->mac);
    if (svc->health_json) {
        put_key(s, "health_check", false);
        put_value(s, svc->health_json);
    }
    put_key(s, "on_all_down", false);
    ds_put_cstr(s, svc->on_all_down == DSR_ALL_DOWN_KEEP ? "\"keep\""
                                                         : "\"drop\"");
    put_key(s, "pin_connections", false);
    ds_put_cstr(s, svc->pin_connections ? "true" : "false");
    if (svc->announce_json) {
        put_key(s, "announce", false);
        put_value(s, svc->announce_json);
    }
    put_key(s, "backends", false);
    ds_put_char(s, '[');

    /* All backends' slots in one pass over the table. */
    struct ds *slots = svc->slots ? config_slots_texts(svc) : NULL;
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (i) {
            ds_put_char(s, ',');
        }
        put_backend(s, &svc->backends[i], slots ? &slots[i] : NULL);
        if (slots) {
            ds_destroy(&slots[i]);
        }
    }
    free(slots);
    ds_put_cstr(s, "]}");
}

/* Parses, and frees, text that this module wrote. */
static json_t *
parse_own(struct ds *s)
{
    json_error_t error;
    json_t *j = json_loadb(s->string, s->length, 0, &error);

    ovs_assert(j);
    ds_destroy(s);
    return j;
}

json_t *
dsr_backend_to_json(const struct dsr_service *svc,
                    const struct dsr_backend *be)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_backend_put_json(&s, svc, be);
    return parse_own(&s);
}

json_t *
dsr_service_to_json(const struct dsr_service *svc)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_service_put_json(&s, svc);
    return parse_own(&s);
}

static int
compare_service_ids(const void *a_, const void *b_)
{
    const struct dsr_service *const *a = a_;
    const struct dsr_service *const *b = b_;

    return (*a)->id < (*b)->id ? -1 : (*a)->id > (*b)->id;
}

/* Services in id order, so the document is stable. */
const struct dsr_service **
dsr_config_sorted_services(const struct dsr_config *cfg)
{
    const struct dsr_service **services;
    const struct dsr_service *svc;
    size_t n = 0;

    services = xmalloc((hmap_count(&cfg->services) + 1) * sizeof *services);
    HMAP_FOR_EACH (svc, name_node, &cfg->services) {
        services[n++] = svc;
    }
    qsort(services, n, sizeof *services, compare_service_ids);
    services[n] = NULL;
    return services;
}

/* The members of 't' that differ from their defaults. */
static json_t *
ct_timeouts_to_json(const struct dsr_ct_timeouts *t)
{
    json_t *defaults = dsr_config_schema_defaults("config.schema.json",
                                                  "ct_timeouts");
    const struct {
        const char *name;
        unsigned int value;
    } members[] = {
        { "tcp_syn", t->tcp_syn }, { "tcp", t->tcp },
        { "udp", t->udp }, { "icmp", t->icmp },
    };
    json_t *j = json_object();

    for (size_t i = 0; i < ARRAY_SIZE(members); i++) {
        if (members[i].value != json_integer_value(
                json_object_get(defaults, members[i].name))) {
            json_object_set_new(j, members[i].name,
                                json_integer(members[i].value));
        }
    }
    json_decref(defaults);
    return j;
}

/* The bridges, with the members that have their default left out. */
static json_t *
bridges_to_json(const struct dsr_config *cfg)
{
    json_t *defaults = dsr_config_schema_defaults("config.schema.json",
                                                  "bridge");
    json_t *bridges = json_array();

    for (size_t i = 0; i < cfg->n_bridges; i++) {
        const struct dsr_bridge_config *br = &cfg->bridges[i];
        char mac[ETH_ADDR_STRLEN + 1];

        snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(br->mac));
        json_t *b = json_pack("{s:s, s:s, s:s}", "name", br->name,
                              "target", br->target, "mac", mac);
        if (br->probe_ip) {
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &br->probe_ip, ip, sizeof ip);
            json_object_set_new(b, "probe_ip", json_string(ip));
        }
        if (ipv6_addr_is_set(&br->probe_ip6)) {
            char ip[INET6_ADDRSTRLEN];
            json_object_set_new(b, "probe_ip6", json_string(
                                    dsr_ip_to_string(&br->probe_ip6, ip)));
        }
        if (br->gre_port) {
            json_object_set_new(b, "gre_port", json_string(br->gre_port));
        }
        if (strcmp(br->ipip_port, json_string_value(
                       json_object_get(defaults, "ipip_port")))) {
            json_object_set_new(b, "ipip_port", json_string(br->ipip_port));
        }
        if (br->ct_zone_limit != json_integer_value(
                json_object_get(defaults, "ct_zone_limit"))) {
            json_object_set_new(b, "ct_zone_limit",
                                json_integer(br->ct_zone_limit));
        }
        json_t *timeouts = ct_timeouts_to_json(&br->ct_timeouts);
        if (json_object_size(timeouts)) {
            json_object_set_new(b, "ct_timeouts", timeouts);
        } else {
            json_decref(timeouts);
        }
        json_array_append_new(bridges, b);
    }
    json_decref(defaults);
    return bridges;
}

/* The layout of a whole configuration: a head from LAYOUT_HEAD to
 * LAYOUT_SERVICES, then a service a line, indented, each but the last
 * ending in a comma, then LAYOUT_END.  dsr_config_put_json() writes it,
 * dsr_config_split_lines() reads it. */
#define LAYOUT_HEAD "{\"version\": "
#define LAYOUT_SERVICES "\n \"services\": ["
#define LAYOUT_INDENT "  "
#define LAYOUT_END " ]}"

/* The whole configuration, with one service per line. */
void
dsr_config_put_json(struct ds *s, const struct dsr_config *cfg)
{
    json_t *bridges = bridges_to_json(cfg);
    json_t *limits = dsr_limits_to_json(&cfg->limits);

    ds_put_cstr(s, LAYOUT_HEAD);
    put_uint(s, cfg->version);
    ds_put_cstr(s, ",\n \"next_service_id\": ");
    put_uint(s, cfg->next_service_id);
    ds_put_cstr(s, ",\n \"bridges\": ");
    put_value(s, bridges);
    ds_put_cstr(s, ",\n \"limits\": ");
    put_value(s, limits);
    json_t *announce = dsr_announce_to_json(&cfg->announce);
    if (announce) {
        ds_put_cstr(s, ",\n \"announce\": ");
        put_value(s, announce);
        json_decref(announce);
    }
    ds_put_cstr(s, "," LAYOUT_SERVICES);
    json_decref(bridges);
    json_decref(limits);

    /* Services in id order, so the document is stable. */
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_cstr(s, i ? ",\n" LAYOUT_INDENT : "\n" LAYOUT_INDENT);
        dsr_service_put_json(s, sorted[i]);
    }
    free(sorted);
    ds_put_cstr(s, "\n" LAYOUT_END "\n");
}

size_t
dsr_config_head_length(const char *text, size_t len)
{
    static const char services_line[] = LAYOUT_SERVICES "\n";
    const char *p = memmem(text, len, services_line, strlen(services_line));

    return (!p || len < strlen(LAYOUT_HEAD)
            || strncmp(text, LAYOUT_HEAD, strlen(LAYOUT_HEAD))
            ? SIZE_MAX : p - text);
}

size_t
dsr_config_split_lines(const char *text, size_t len, size_t *head_len,
                       const char ***starts, size_t **lens)
{
    const size_t end_len = strlen(LAYOUT_END);
    const char *end = text + len;
    size_t n = 0, allocated = 0;

    *starts = NULL;
    *lens = NULL;
    *head_len = dsr_config_head_length(text, len);
    if (*head_len == SIZE_MAX) {
        return SIZE_MAX;
    }
    const char *p = text + *head_len + strlen(LAYOUT_SERVICES "\n");
    while (p < end) {
        const char *eol = memchr(p, '\n', end - p);
        size_t line = (eol ? eol : end) - p;

        if (line == end_len && !memcmp(p, LAYOUT_END, end_len)
            && (!eol || eol + 1 == end)) {
            return n;
        }
        bool comma = line > 0 && p[line - 1] == ',';
        bool last = (eol && eol + 1 + end_len <= end
                     && !memcmp(eol + 1, LAYOUT_END, end_len));
        if (!eol || comma == last) {
            return SIZE_MAX;    /* A comma on all but the last. */
        }
        if (n >= allocated) {
            size_t a = allocated;
            *starts = x2nrealloc(*starts, &a, sizeof **starts);
            *lens = xrealloc(*lens, a * sizeof **lens);
            allocated = a;
        }
        size_t indent = MIN(strspn(p, " "), line - comma);
        (*starts)[n] = p + indent;
        (*lens)[n] = line - comma - indent;
        n++;
        p = eol + 1;
    }
    return SIZE_MAX;
}

json_t *
dsr_config_parse_head(const char *text, size_t head_len)
{
    struct ds head = DS_EMPTY_INITIALIZER;

    ds_put_buffer(&head, text, head_len);
    ds_put_cstr(&head, LAYOUT_SERVICES "]}");
    json_t *json = json_loadb(head.string, head.length,
                              JSON_REJECT_DUPLICATES, NULL);
    ds_destroy(&head);
    return json;
}

json_t *
dsr_config_to_json(const struct dsr_config *cfg)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_config_put_json(&s, cfg);
    return parse_own(&s);
}
