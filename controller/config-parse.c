/* JSON to model: a configuration's bridges and limits, and one service
 * with its backends, health checks, bucket ids and slot table; next to
 * each parser, the cheap comparison that tells whether a service's JSON
 * changes it.  The JSON was validated against its schema (schemas/)
 * before: what is left here is what a schema cannot say.  A member that
 * the JSON lacks takes the "default" its schema states, which the parsers
 * and the comparisons read from the same place.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/config-private.h"
#include "controller/json-merge.h"
#include "controller/model.h"
#include "controller/config-slots.h"
#include "flows/slot-runs.h"
#include "flows/slots.h"
#include "dirs.h"
#include "packets.h"
#include "schemas/schemas.h"
#include "util.h"

static struct eth_addr
parse_mac(const char *s)
{
    struct eth_addr mac;

    ovs_assert(eth_addr_from_string(s, &mac));
    return mac;
}

static struct in6_addr
parse_ip(const char *s)
{
    struct in6_addr ip;

    ovs_assert(dsr_ip_parse(s, &ip));
    return ip;
}

/* Bridges. */

static void
parse_ct_timeouts(const json_t *j, struct dsr_ct_timeouts *t)
{
    const json_t *d = config_defaults()->ct_timeouts;

    t->tcp_syn = json_integer_value(config_member(j, d, "tcp_syn"));
    t->tcp = json_integer_value(config_member(j, d, "tcp"));
    t->udp = json_integer_value(config_member(j, d, "udp"));
    t->icmp = json_integer_value(config_member(j, d, "icmp"));
}

static char *
parse_bridges(const json_t *bridges, struct dsr_config *cfg)
{
    const json_t *d = config_defaults()->bridge;
    const json_t *b;
    size_t i;

    cfg->n_bridges = json_array_size(bridges);
    cfg->bridges = xcalloc(cfg->n_bridges, sizeof *cfg->bridges);
    json_array_foreach (bridges, i, b) {
        struct dsr_bridge_config *br = &cfg->bridges[i];
        const char *name = json_string_value(json_object_get(b, "name"));
        const json_t *target = json_object_get(b, "target");

        for (size_t j = 0; j < i; j++) {
            if (!strcmp(cfg->bridges[j].name, name)) {
                return xasprintf("$.bridges[%"PRIuSIZE"].name: duplicate "
                                 "bridge \"%s\"", i, name);
            }
        }
        br->name = xstrdup(name);
        br->target = target
                     ? xstrdup(json_string_value(target))
                     : xasprintf("unix:%s/%s.mgmt", ovs_rundir(), name);
        br->mac = parse_mac(config_member_string(b, d, "mac"));
        const json_t *probe_ip = json_object_get(b, "probe_ip");
        if (probe_ip) {
            struct in6_addr ip = parse_ip(json_string_value(probe_ip));
            br->probe_ip = in6_addr_get_mapped_ipv4(&ip);
        } else {
            br->probe_ip = 0;
        }
        const json_t *probe_ip6 = json_object_get(b, "probe_ip6");
        br->probe_ip6 = (probe_ip6 ? parse_ip(json_string_value(probe_ip6))
                         : in6addr_any);
        if (probe_ip6) {
            char *path = xasprintf("$.bridges[%"PRIuSIZE"]", i);
            char *error = dsr_config_check_ip(b, "probe_ip6", path, false);
            free(path);
            if (error) {
                return error;
            }
        }
        const json_t *gre_port = json_object_get(b, "gre_port");
        br->gre_port = (gre_port ? xstrdup(json_string_value(gre_port))
                        : NULL);
        br->ipip_port = xstrdup(config_member_string(b, d, "ipip_port"));
        br->ct_zone_limit = json_integer_value(config_member(b, d,
                                                             "ct_zone_limit"));
        parse_ct_timeouts(json_object_get(b, "ct_timeouts"),
                          &br->ct_timeouts);
        if (eth_addr_is_multicast(br->mac)) {
            return xasprintf("$.bridges[%"PRIuSIZE"].mac: must be a unicast "
                             "MAC address", i);
        }
        char *error = dsr_config_check_shared_zone(cfg, i);
        if (error) {
            return error;
        }
    }
    return NULL;
}

char *
dsr_config_settings_from_json(const json_t *json, struct dsr_config *cfg)
{
    char *error = dsr_schema_validate("config.schema.json", json, "$");

    if (!error) {
        dsr_limits_from_json(json_object_get(json, "limits"), &cfg->limits);
        error = dsr_announce_from_json(json_object_get(json, "announce"),
                                       &cfg->announce, "$.announce");
    }
    if (!error) {
        error = parse_bridges(json_object_get(json, "bridges"), cfg);
    }
    return error;
}

/* Comparisons of JSON with the model, which may answer false for an equal
 * value (the parser is then the judge) but never true for another.  They
 * read any JSON safely, but their answer holds only for valid JSON. */

static bool
json_equal_or_null(const json_t *a, const json_t *b)
{
    return a && b ? json_equal(a, b) : a == b;
}

/* Whether member 'key' of 'j' is absent and 'dflt' (not NULL) is its
 * default, or is the string 'value'. */
static bool
json_string_is(const json_t *j, const char *key, const char *value,
               const char *dflt)
{
    const json_t *v = json_object_get(j, key);
    const char *s = v ? json_string_value(v) : dflt;

    return s && !strcmp(s, value);
}

static bool
json_ip_is(const json_t *j, const char *key, const struct in6_addr *ip)
{
    const char *s = json_string_value(json_object_get(j, key));
    struct in6_addr addr;

    return s && dsr_ip_parse(s, &addr) && ipv6_addr_equals(&addr, ip);
}

static bool
json_mac_is(const json_t *j, const char *key, struct eth_addr mac)
{
    const char *s = json_string_value(json_object_get(j, key));
    struct eth_addr parsed;

    return s && eth_addr_from_string(s, &parsed)
           && eth_addr_equals(parsed, mac);
}

/* Backends. */

static enum dsr_backend_state
backend_state(const char *state)
{
    return (!strcmp(state, "active") ? DSR_BACKEND_ACTIVE
            : !strcmp(state, "drain") ? DSR_BACKEND_DRAIN
            : DSR_BACKEND_DISABLED);
}

static char *
parse_backend(const json_t *b, const struct dsr_service *svc,
              const json_t *service_check, const char *path, size_t j,
              bool trust_ids, struct dsr_backend *be)
{
    const json_t *d = config_defaults()->backend;
    const json_t *mac = json_object_get(b, "mac");
    const json_t *port = json_object_get(b, "port");

    char *ip_path = xasprintf("%s.backends[%"PRIuSIZE"]", path, j);
    char *ip_error = dsr_config_check_ip(b, "ip", ip_path, trust_ids);
    free(ip_path);
    if (ip_error) {
        return ip_error;
    }
    be->ip = parse_ip(json_string_value(json_object_get(b, "ip")));
    be->has_mac = mac != NULL;
    be->mac = mac ? parse_mac(json_string_value(mac)) : eth_addr_zero;
    be->weight = json_integer_value(config_member(b, d, "weight"));
    be->state = backend_state(config_member_string(b, d, "state"));
    be->id = UINT32_MAX;
    be->version = 0;
    be->health_json = json_deep_copy(json_object_get(b, "health_check"));

    be->check = NULL;
    if (svc->health_json || be->health_json) {
        char *be_path = xasprintf("%s.backends[%"PRIuSIZE"]", path, j);
        char *error = config_parse_check(service_check, be->health_json,
                                         svc->port, be_path, &be->check);
        free(be_path);
        if (error) {
            return error;
        }
    }
    if (trust_ids) {
        /* "bucket_id": its former name, in older state files. */
        const json_t *id = (json_object_get(b, "id")
                            ? json_object_get(b, "id")
                            : json_object_get(b, "bucket_id"));
        const json_t *version = json_object_get(b, "version");
        be->id = id ? json_integer_value(id) : UINT32_MAX;
        be->version = version ? json_integer_value(version) : 0;
    }

    if (port && json_integer_value(port) != svc->port) {
        char service_port[8];
        snprintf(service_port, sizeof service_port, "%"PRIu16, svc->port);
        return xasprintf("%s.backends[%"PRIuSIZE"].port: port translation "
                         "is impossible in DSR: the backend receives the "
                         "client's packet unchanged, on the service's port "
                         "%s (got %"JSON_INTEGER_FORMAT")", path, j,
                         svc->port ? service_port : "\"*\"",
                         json_integer_value(port));
    }
    if (mac && eth_addr_is_multicast(be->mac)) {
        return xasprintf("%s.backends[%"PRIuSIZE"].mac: must be a unicast "
                         "MAC address", path, j);
    }
    char s[INET6_ADDRSTRLEN];
    bool v4 = IN6_IS_ADDR_V4MAPPED(&be->ip);
    bool vip_v4 = IN6_IS_ADDR_V4MAPPED(&svc->vip);
    if (v4 != vip_v4 && svc->mode != DSR_MODE_GRE) {
        /* l2 delivers the client's frame on the segment, ipip through
         * the kernel's IPv4-only IPIP: only GRE carries either family
         * over either. */
        return xasprintf("%s.backends[%"PRIuSIZE"].ip: %s is %s but the VIP "
                         "is %s: in mode \"%s\" a service's backends have "
                         "its VIP's address family (mode \"gre\" may mix "
                         "them)", path, j, dsr_ip_to_string(&be->ip, s),
                         v4 ? "IPv4" : "IPv6", v4 ? "IPv6" : "IPv4",
                         dsr_mode_to_string(svc->mode));
    }
    if (ipv6_addr_equals(&be->ip, &svc->vip)) {
        return xasprintf("%s.backends[%"PRIuSIZE"].ip: %s is the service's "
                         "own VIP", path, j, dsr_ip_to_string(&be->ip, s));
    }
    for (size_t k = 0; k < j; k++) {
        if (ipv6_addr_equals(&svc->backends[k].ip, &be->ip)) {
            return xasprintf("%s.backends[%"PRIuSIZE"].ip: duplicate backend "
                             "%s", path, j, dsr_ip_to_string(&be->ip, s));
        }
        /* Pins name an IPv6 backend by a 32-bit key (flows/README.md,
         * "Connection pinning"): two alike would share their pins. */
        if (dsr_ip_slot_key(&svc->backends[k].ip)
            == dsr_ip_slot_key(&be->ip)) {
            char t[INET6_ADDRSTRLEN];
            return xasprintf("%s.backends[%"PRIuSIZE"].ip: %s has the same "
                             "pin key as backends[%"PRIuSIZE"] (%s), so "
                             "their connections could not be told apart; "
                             "use another address", path, j,
                             dsr_ip_to_string(&be->ip, s), k,
                             dsr_ip_to_string(&svc->backends[k].ip, t));
        }
    }
    return NULL;
}

static bool
backend_equal(const struct dsr_backend *a, const struct dsr_backend *b)
{
    return (ipv6_addr_equals(&a->ip, &b->ip) && a->has_mac == b->has_mac
            && eth_addr_equals(a->mac, b->mac) && a->weight == b->weight
            && a->state == b->state
            && json_equal_or_null(a->health_json, b->health_json));
}

/* Whether backend JSON 'b' describes 'be' exactly, its "slots" aside; the
 * read-only id and version are ignored, as on input. */
static bool
backend_json_same(const json_t *b, const struct dsr_service *svc,
                  const struct dsr_backend *be)
{
    const json_t *d = config_defaults()->backend;
    const json_t *mac = json_object_get(b, "mac");
    const json_t *port = json_object_get(b, "port");

    return (json_ip_is(b, "ip", &be->ip)
            && (mac ? be->has_mac && json_mac_is(b, "mac", be->mac)
                    : !be->has_mac)
            && json_integer_value(config_member(b, d, "weight")) == be->weight
            && config_member_is(b, d, "state",
                                dsr_backend_state_to_string(be->state))
            && (!port || json_integer_value(port) == svc->port)
            && json_equal_or_null(json_object_get(b, "health_check"),
                                  be->health_json));
}

/* Bucket ids and the slot table. */

static bool
backend_id_used(const struct dsr_service *svc, uint32_t id)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (svc->backends[i].id == id) {
            return true;
        }
    }
    return false;
}

/* Backends that 'old' had keep their bucket ids (and, if unchanged, their
 * versions); new ones get the lowest free ids. */
static void
assign_backend_ids(struct dsr_service *svc, const struct dsr_service *old)
{
    uint32_t next = 0;

    for (size_t i = 0; old && i < svc->n_backends; i++) {
        struct dsr_backend *be = &svc->backends[i];
        const struct dsr_backend *prev = dsr_service_find_backend(old,
                                                                  &be->ip);
        if (prev && be->id == UINT32_MAX) {
            be->id = prev->id;
            be->version = backend_equal(be, prev) ? prev->version : 0;
        }
    }
    for (size_t i = 0; i < svc->n_backends; i++) {
        struct dsr_backend *be = &svc->backends[i];
        if (be->id == UINT32_MAX) {
            while (backend_id_used(svc, next)) {
                next++;
            }
            be->id = next++;
        }
    }
}

/* The size of the table that 'backends'' "slots" give, or 0 if none
 * does. */
static size_t
json_slots_size(const json_t *backends)
{
    const json_t *b;
    size_t i;

    json_array_foreach (backends, i, b) {
        const char *text = json_string_value(json_object_get(b, "slots"));
        if (text) {
            return config_slots_size(text);
        }
    }
    return 0;
}

/* Carries 'old''s table over into 'table' by address: bucket ids are
 * each node's own, and a new backend that got a deleted one's id must not
 * inherit its slots.  One pass over 'old''s runs. */
static void
carry_slots(uint32_t *table, const struct dsr_service *svc,
            const struct dsr_service *old)
{
    uint32_t *old_ids = xmalloc((old->n_backends + 1) * sizeof *old_ids);
    uint32_t *new_ids = xmalloc((old->n_backends + 1) * sizeof *new_ids);

    for (size_t i = 0; i < old->n_backends; i++) {
        const struct dsr_backend *be = dsr_service_find_backend(
            svc, &old->backends[i].ip);
        old_ids[i] = old->backends[i].id;
        new_ids[i] = be ? be->id : DSR_SLOT_NONE;
    }

    const struct slot_runs *r = old->slots;
    size_t *pos = slot_runs_positions(r, old_ids, old->n_backends);
    for (size_t k = 0; k < r->n; k++) {
        size_t length = slot_run_length(r, k);
        for (size_t e = r->runs[k].first;
             pos[k] != SIZE_MAX && length--; e++) {
            table[e] = new_ids[pos[k]];
        }
    }
    free(pos);
    free(old_ids);
    free(new_ids);
}

/* The service's table: the one its JSON carries (each backend's "slots",
 * from the state file or another node), else the one it had, then moved
 * as little as the new backends and weights require. */
static void
build_slots(struct dsr_service *svc, const json_t *backends,
            const struct dsr_service *old)
{
    size_t json_size = json_slots_size(backends);
    size_t size = (json_size ? json_size
                   : old && old->slots ? old->slots->size : DSR_SLOTS);
    uint32_t *table = xmalloc(size * sizeof *table);

    for (size_t e = 0; e < size; e++) {
        table[e] = DSR_SLOT_NONE;
    }
    if (!json_size && old && old->slots) {
        carry_slots(table, svc, old);
    }
    for (size_t j = 0; json_size && j < svc->n_backends; j++) {
        const char *text = json_string_value(
            json_object_get(json_array_get(backends, j), "slots"));
        if (text) {
            config_slots_apply(text, table, size, svc->backends[j].id);
        }
    }

    struct slots_backend *sb = xmalloc((svc->n_backends + 1) * sizeof *sb);
    for (size_t j = 0; j < svc->n_backends; j++) {
        sb[j].id = svc->backends[j].id;
        sb[j].key = dsr_ip_slot_key(&svc->backends[j].ip);
        sb[j].weight = svc->backends[j].weight;
    }
    size = slots_update(&table, size, sb, svc->n_backends,
                        dsr_hash_allows_fine_slots(svc->hash));
    svc->slots = slot_runs_from_table(table, size);
    free(table);
    free(sb);
}

/* Services. */

/* The service's own fields: all but its bridge, MAC and backends. */
static void
read_service_fields(struct dsr_service *svc, const json_t *s,
                    bool trust_ids, const struct dsr_service *old)
{
    const json_t *d = config_defaults()->service;
    const json_t *port = json_object_get(s, "port");
    const char *protocol = json_string_value(json_object_get(s, "protocol"));

    svc->name = xstrdup(json_string_value(json_object_get(s, "name")));
    svc->id = old ? old->id : 0;
    if (trust_ids && json_object_get(s, "id")) {
        svc->id = json_integer_value(json_object_get(s, "id"));
        svc->version = json_integer_value(json_object_get(s, "version"));
    }
    svc->vip = parse_ip(json_string_value(json_object_get(s, "vip")));
    svc->protocol = (!strcmp(protocol, "tcp") ? DSR_PROTO_TCP
                     : !strcmp(protocol, "udp") ? DSR_PROTO_UDP
                     : DSR_PROTO_BOTH);
    svc->port = json_is_integer(port) ? json_integer_value(port) : 0;
    /* The schema allows no mode that dsr_mode_from_string() lacks. */
    dsr_mode_from_string(config_member_string(s, d, "mode"), &svc->mode);
    svc->hash = (config_member_is(s, d, "hash", "source-ip")
                 ? DSR_HASH_SOURCE_IP
                 : config_member_is(s, d, "hash", "5-tuple-cross-node")
                 ? DSR_HASH_5TUPLE_CROSS_NODE : DSR_HASH_5TUPLE);
    svc->health_json = json_deep_copy(json_object_get(s, "health_check"));
    svc->announce_json = json_deep_copy(json_object_get(s, "announce"));
    svc->on_all_down = (config_member_is(s, d, "on_all_down", "keep")
                        ? DSR_ALL_DOWN_KEEP : DSR_ALL_DOWN_DROP);
    svc->pin_connections = json_is_true(config_member(s, d,
                                                      "pin_connections"));
}

/* What an IPv6 VIP cannot have: ipip, the kernel's IPIP being IPv4 in
 * IPv4 (flows/README.md, "Delivery by mode"). */
static char *
check_service_family(const struct dsr_service *svc, const char *path)
{
    char s[INET6_ADDRSTRLEN];

    if (IN6_IS_ADDR_V4MAPPED(&svc->vip)) {
        return NULL;
    } else if (svc->mode == DSR_MODE_IPIP) {
        return xasprintf("%s.vip: %s is IPv6, which mode \"ipip\" cannot "
                         "carry (the kernel's IPIP is IPv4 in IPv4); IPv6 "
                         "services use mode \"l2\" or \"gre\"", path,
                         dsr_ip_to_string(&svc->vip, s));
    }
    return NULL;
}

/* The service's bridge (named, or the only one) and MAC (its own, or the
 * bridge's). */
static char *
read_service_bridge(const struct dsr_config *cfg, const json_t *s,
                    const char *path, struct dsr_service *svc,
                    const struct dsr_bridge_config **brp)
{
    const json_t *bridge = json_object_get(s, "bridge");
    const json_t *mac = json_object_get(s, "mac");
    const struct dsr_bridge_config *br;

    if (bridge) {
        br = dsr_config_find_bridge(cfg, json_string_value(bridge));
        if (!br) {
            return xasprintf("%s.bridge: no bridge named \"%s\"", path,
                             json_string_value(bridge));
        }
    } else if (cfg->n_bridges == 1) {
        br = &cfg->bridges[0];
    } else {
        return xasprintf("%s.bridge: required when there is more than one "
                         "bridge", path);
    }
    svc->bridge = xstrdup(br->name);
    svc->mac = mac ? parse_mac(json_string_value(mac)) : br->mac;
    if (eth_addr_is_multicast(svc->mac)) {
        return xasprintf("%s.mac: must be a unicast MAC address", path);
    }
    *brp = br;
    return NULL;
}

/* Checks what the slot table allows: the same form of "slots" in every
 * backend, and no more backends than a coarse table has slots where fine
 * ones are not allowed. */
static char *
check_backends_slots(const struct dsr_service *svc, const json_t *backends,
                     const char *path)
{
    if (!dsr_hash_allows_fine_slots(svc->hash)
        && svc->n_backends > DSR_SLOTS) {
        return xasprintf("%s.backends: %"PRIuSIZE" backends, but a service "
                         "with \"hash\": \"%s\" has one group of %d "
                         "slots, so at most %d (\"5-tuple\" allows more)",
                         path, svc->n_backends, dsr_hash_to_string(svc->hash),
                         DSR_SLOTS, DSR_SLOTS);
    }
    size_t size = 0;
    for (size_t j = 0; j < svc->n_backends; j++) {
        const char *text = json_string_value(
            json_object_get(json_array_get(backends, j), "slots"));
        size_t this = text ? config_slots_size(text) : 0;
        if (text && (!this || (size && this != size))) {
            return xasprintf("%s.backends[%"PRIuSIZE"].slots: \"%s\" is not "
                             "%s", path, j, text,
                             !this ? "a bitmap of 256 slots (64 hex digits) "
                                     "nor ranges of entries 0 to 65535"
                             : size == DSR_SLOTS
                             ? "a bitmap of 256 slots (64 hex digits) like "
                               "the first backend's"
                             : "ranges of entries 0 to 65535 like the first "
                               "backend's");
        }
        size = size ? size : this;
    }
    return NULL;
}

static char *
parse_backends(struct dsr_service *svc, const json_t *backends,
               const struct dsr_bridge_config *br, const char *path,
               bool trust_ids)
{
    json_t *check = config_service_check(svc);
    char *error = NULL;

    svc->n_backends = json_array_size(backends);
    svc->backends = xcalloc(svc->n_backends, sizeof *svc->backends);
    for (size_t j = 0; !error && j < svc->n_backends; j++) {
        error = parse_backend(json_array_get(backends, j), svc, check, path,
                              j, trust_ids, &svc->backends[j]);
    }
    json_decref(check);
    if (!error) {
        error = check_backends_slots(svc, backends, path);
    }
    if (error) {
        return error;
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        const struct dsr_health_check *c = svc->backends[j].check;
        bool v4 = IN6_IS_ADDR_V4MAPPED(&svc->vip);
        if (c && c->dsr && (v4 ? !br->probe_ip
                            : !ipv6_addr_is_set(&br->probe_ip6))) {
            return xasprintf("%s.backends[%"PRIuSIZE"].health_check.dsr: "
                             "bridge \"%s\" has no %s for the DSR-path "
                             "probes of an IPv%d VIP", path, j, br->name,
                             v4 ? "probe_ip" : "probe_ip6", v4 ? 4 : 6);
        }
    }
    return NULL;
}

char *
dsr_service_from_valid_json(const struct dsr_config *cfg, const json_t *s,
                            const char *path, bool trust_ids,
                            const struct dsr_service *old,
                            struct dsr_service **svcp)
{
    const json_t *backends = json_object_get(s, "backends");
    struct dsr_service *svc = xzalloc(sizeof *svc);
    const struct dsr_bridge_config *br = NULL;

    char *error = dsr_config_check_ip(s, "vip", path, trust_ids);
    if (error) {
        free(svc);
        *svcp = NULL;
        return error;
    }
    read_service_fields(svc, s, trust_ids, old);
    error = check_service_family(svc, path);
    if (!error) {
        error = read_service_bridge(cfg, s, path, svc, &br);
    }
    if (!error) {
        error = parse_backends(svc, backends, br, path, trust_ids);
    }
    if (error) {
        dsr_service_destroy(svc);
        *svcp = NULL;
        return error;
    }
    assign_backend_ids(svc, old);
    build_slots(svc, backends, old);
    *svcp = svc;
    return NULL;
}

char *
dsr_service_from_json(const struct dsr_config *cfg, const json_t *s,
                      const char *path, bool trust_ids,
                      const struct dsr_service *old,
                      struct dsr_service **svcp)
{
    char *error = dsr_schema_validate("service.schema.json", s, path);

    if (error) {
        *svcp = NULL;
        return error;
    }
    return dsr_service_from_valid_json(cfg, s, path, trust_ids, old, svcp);
}

/* Whether two services are the same, but for their versions. */
bool
dsr_service_equal(const struct dsr_service *a, const struct dsr_service *b)
{
    if (strcmp(a->name, b->name) || a->id != b->id
        || strcmp(a->bridge, b->bridge) || !ipv6_addr_equals(&a->vip, &b->vip)
        || a->protocol != b->protocol || a->port != b->port
        || a->mode != b->mode || a->hash != b->hash
        || !eth_addr_equals(a->mac, b->mac)
        || !json_equal_or_null(a->health_json, b->health_json)
        || a->on_all_down != b->on_all_down
        || a->pin_connections != b->pin_connections
        || !json_equal_or_null(a->announce_json, b->announce_json)
        || a->n_backends != b->n_backends
        || !slot_runs_equal(a->slots, b->slots)) {
        return false;
    }
    for (size_t i = 0; i < a->n_backends; i++) {
        if (!backend_equal(&a->backends[i], &b->backends[i])
            || a->backends[i].id != b->backends[i].id) {
            return false;
        }
    }
    return true;
}

/* Whether the service JSON 's' would parse as 'old' replaced by itself:
 * the same service, nothing to change.  Cheap: no allocation, but for
 * the slots' text when 's' carries it.  It may
 * answer false for an equal service (parse and dsr_service_equal() are
 * then the judge), never true for another one. */
bool
dsr_service_json_same(const struct dsr_config *cfg, const json_t *s,
                      const struct dsr_service *old)
{
    const json_t *d = config_defaults()->service;
    const json_t *port = json_object_get(s, "port");
    const json_t *mac = json_object_get(s, "mac");
    const json_t *backends = json_object_get(s, "backends");
    const char *bridge = (cfg->n_bridges == 1 ? cfg->bridges[0].name
                          : NULL);
    const struct dsr_bridge_config *br = dsr_config_find_bridge(cfg,
                                                                old->bridge);

    if (!br
        || !json_string_is(s, "name", old->name, NULL)
        || !json_string_is(s, "bridge", old->bridge, bridge)
        || !json_ip_is(s, "vip", &old->vip)
        || !json_string_is(s, "protocol",
                           dsr_protocol_to_string(old->protocol), NULL)
        || (json_is_integer(port) ? json_integer_value(port) : 0)
           != old->port
        || !config_member_is(s, d, "hash", dsr_hash_to_string(old->hash))
        || !config_member_is(s, d, "mode", dsr_mode_to_string(old->mode))
        || !(mac ? json_mac_is(s, "mac", old->mac)
                 : eth_addr_equals(br->mac, old->mac))
        || !json_equal_or_null(json_object_get(s, "health_check"),
                               old->health_json)
        || !config_member_is(s, d, "on_all_down",
                             (old->on_all_down == DSR_ALL_DOWN_KEEP
                              ? "keep" : "drop"))
        || json_is_true(config_member(s, d, "pin_connections"))
           != old->pin_connections
        || !json_equal_or_null(json_object_get(s, "announce"),
                               old->announce_json)
        || json_array_size(backends) != old->n_backends
        || !old->slots) {
        return false;
    }

    /* The table: carried over when no backend gives its slots, taken from
     * the document when all do. */
    size_t n_slots = 0;
    struct ds *texts = (json_slots_size(backends) ? config_slots_texts(old)
                                                     : NULL);
    bool same = true;
    for (size_t j = 0; same && j < old->n_backends; j++) {
        const json_t *b = json_array_get(backends, j);
        const char *text = json_string_value(json_object_get(b, "slots"));

        same = (backend_json_same(b, old, &old->backends[j])
                && (!text || (texts && !strcmp(text, ds_cstr(&texts[j])))));
        n_slots += text != NULL;
    }
    for (size_t j = 0; texts && j < old->n_backends; j++) {
        ds_destroy(&texts[j]);
    }
    free(texts);
    return same && (!n_slots || n_slots == old->n_backends);
}
