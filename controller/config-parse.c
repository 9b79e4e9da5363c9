/* JSON to model: a configuration's bridges and limits, and one service
 * with its backends, health checks, bucket ids and slot table; next to
 * the parsers, the comparisons that tell whether a service changed.  The
 * JSON was validated against its schema (schemas/) before: what is left
 * here is what a schema cannot say.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/json-merge.h"
#include "controller/model.h"
#include "flows/slots.h"
#include "dirs.h"
#include "packets.h"
#include "schemas/schemas.h"
#include "util.h"

#define DSR_DEFAULT_WEIGHT 100

static struct eth_addr
parse_mac(const char *s)
{
    struct eth_addr mac;

    ovs_assert(eth_addr_from_string(s, &mac));
    return mac;
}

static ovs_be32
parse_ip(const char *s)
{
    struct in_addr addr;

    ovs_assert(inet_pton(AF_INET, s, &addr) == 1);
    return addr.s_addr;
}

/* The default of member 'member' of a bridge (config.schema.json). */
static const char *
bridge_default(const char *member)
{
    return json_string_value(dsr_config_schema_default("config.schema.json",
                                                       "bridge", member));
}

static char *
parse_bridges(const json_t *bridges, struct dsr_config *cfg)
{
    const json_t *b;
    size_t i;

    cfg->n_bridges = json_array_size(bridges);
    cfg->bridges = xcalloc(cfg->n_bridges, sizeof *cfg->bridges);
    json_array_foreach (bridges, i, b) {
        struct dsr_bridge_config *br = &cfg->bridges[i];
        const char *name = json_string_value(json_object_get(b, "name"));
        const json_t *target = json_object_get(b, "target");
        const json_t *mac = json_object_get(b, "mac");

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
        br->mac = parse_mac(mac ? json_string_value(mac)
                            : bridge_default("mac"));
        const json_t *probe_ip = json_object_get(b, "probe_ip");
        br->probe_ip = probe_ip ? parse_ip(json_string_value(probe_ip)) : 0;
        const json_t *gre_port = json_object_get(b, "gre_port");
        br->gre_port = (gre_port ? xstrdup(json_string_value(gre_port))
                        : NULL);
        const json_t *ipip_port = json_object_get(b, "ipip_port");
        br->ipip_port = xstrdup(ipip_port ? json_string_value(ipip_port)
                                : bridge_default("ipip_port"));
        if (eth_addr_is_multicast(br->mac)) {
            return xasprintf("$.bridges[%"PRIuSIZE"].mac: must be a unicast "
                             "MAC address", i);
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
        error = parse_bridges(json_object_get(json, "bridges"), cfg);
    }
    return error;
}

static bool
backend_equal(const struct dsr_backend *a, const struct dsr_backend *b)
{
    return (a->ip == b->ip && a->has_mac == b->has_mac
            && eth_addr_equals(a->mac, b->mac) && a->weight == b->weight
            && a->state == b->state
            && (a->health_json && b->health_json
                ? json_equal(a->health_json, b->health_json)
                : a->health_json == b->health_json));
}

static char *
json_strdup(const json_t *j, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(j, key);
    return v ? xstrdup(json_string_value(v)) : dflt ? xstrdup(dflt) : NULL;
}

static int
json_int(const json_t *j, const char *key, int dflt)
{
    const json_t *v = json_object_get(j, key);
    return v ? json_integer_value(v) : dflt;
}

static bool
json_bool(const json_t *j, const char *key, bool dflt)
{
    const json_t *v = json_object_get(j, key);
    return v ? json_is_true(v) : dflt;
}

/* Builds the effective check from the service's fields and the backend's
 * on top ('path' names where the backend's fields are, for errors); both
 * were validated against health-check.schema.json. */
static char *
parse_health_check(const struct dsr_service *svc, const json_t *own,
                   const char *path, struct dsr_health_check **checkp)
{
    json_t *j = (own ? json_merge_patch(svc->health_json, own)
                 : json_incref(svc->health_json));
    const char *type = json_string_value(json_object_get(j, "type"));
    struct dsr_health_check *c = xzalloc(sizeof *c);
    static const char *const types[] = {
        "none", "tcp", "http", "https", "udp", "exec",
    };

    *checkp = NULL;
    c->type = DSR_CHECK_NONE;
    for (size_t i = 0; type && i < ARRAY_SIZE(types); i++) {
        if (!strcmp(type, types[i])) {
            c->type = i;
        }
    }
    c->interval_ms = json_int(j, "interval_ms", 500);
    c->timeout_ms = json_int(j, "timeout_ms", 400);
    c->rise = json_int(j, "rise", 2);
    c->fall = json_int(j, "fall", 3);
    c->port = json_int(j, "port", svc->port);
    c->dsr = json_bool(j, "dsr", false);
    c->method = json_strdup(j, "method", "GET");
    c->path = json_strdup(j, "path", "/");
    c->host = json_strdup(j, "host", NULL);
    c->body_contains = json_strdup(j, "body_contains", NULL);
    c->tls_verify = json_bool(j, "tls_verify", false);
    c->payload = json_strdup(j, "payload", NULL);
    c->dns = json_object_get(j, "preset") != NULL;
    c->dns_name = json_strdup(j, "dns_name", ".");
    c->expect_reply = json_bool(j, "expect_reply", true);

    const json_t *list = json_object_get(j, "expect_status");
    c->n_expect_status = json_array_size(list);
    if (c->n_expect_status) {
        c->expect_status = xmalloc(c->n_expect_status
                                   * sizeof *c->expect_status);
        for (size_t i = 0; i < c->n_expect_status; i++) {
            c->expect_status[i] = json_integer_value(
                json_array_get(list, i));
        }
    }
    list = json_object_get(j, "command");
    if (json_array_size(list)) {
        c->command = xcalloc(json_array_size(list) + 1,
                             sizeof *c->command);
        for (size_t i = 0; i < json_array_size(list); i++) {
            c->command[i] = xstrdup(json_string_value(
                                        json_array_get(list, i)));
        }
    }
    json_decref(j);

    char *error = NULL;
    bool needs_port = c->type != DSR_CHECK_NONE && c->type != DSR_CHECK_EXEC;
    if ((needs_port || c->dsr) && !c->port) {
        error = xasprintf("%s.health_check.port: required for a %s check "
                          "of an all-ports service", path,
                          c->dsr ? "DSR-path" : types[c->type]);
    } else if (c->type == DSR_CHECK_EXEC && !c->command) {
        error = xasprintf("%s.health_check.command: required for exec "
                          "checks", path);
    } else if (c->dsr && c->type == DSR_CHECK_UDP) {
        error = xasprintf("%s.health_check.dsr: the DSR-path probe speaks "
                          "TCP: use it with tcp, http or https checks",
                          path);
    } else if (c->type == DSR_CHECK_UDP && !c->dns && !c->payload) {
        error = xasprintf("%s.health_check.payload: required for udp "
                          "checks (or \"preset\": \"dns\")", path);
    }
    if (error || c->type == DSR_CHECK_NONE) {
        dsr_health_check_destroy(c);
        return error;
    }
    *checkp = c;
    return NULL;
}

static char *
parse_backend(const json_t *b, const struct dsr_service *svc,
              const char *path, size_t j, bool trust_ids,
              struct dsr_backend *be)
{
    const json_t *mac = json_object_get(b, "mac");
    const json_t *port = json_object_get(b, "port");
    const json_t *weight = json_object_get(b, "weight");
    const char *state = json_string_value(json_object_get(b, "state"));

    be->ip = parse_ip(json_string_value(json_object_get(b, "ip")));
    be->has_mac = mac != NULL;
    be->mac = mac ? parse_mac(json_string_value(mac)) : eth_addr_zero;
    be->weight = weight ? json_integer_value(weight) : DSR_DEFAULT_WEIGHT;
    be->state = (!state || !strcmp(state, "active") ? DSR_BACKEND_ACTIVE
                 : !strcmp(state, "drain") ? DSR_BACKEND_DRAIN
                 : DSR_BACKEND_DISABLED);
    be->bucket_id = UINT32_MAX;
    be->version = 0;
    be->health_json = json_deep_copy(json_object_get(b, "health_check"));

    be->check = NULL;
    if (svc->health_json || be->health_json) {
        char *be_path = xasprintf("%s.backends[%"PRIuSIZE"]", path, j);
        char *error = parse_health_check(svc, be->health_json, be_path,
                                         &be->check);
        free(be_path);
        if (error) {
            return error;
        }
    }
    if (trust_ids) {
        const json_t *id = json_object_get(b, "bucket_id");
        const json_t *version = json_object_get(b, "version");
        be->bucket_id = id ? json_integer_value(id) : UINT32_MAX;
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
    if (be->ip == svc->vip) {
        return xasprintf("%s.backends[%"PRIuSIZE"].ip: "IP_FMT" is the "
                         "service's own VIP", path, j, IP_ARGS(be->ip));
    }
    for (size_t k = 0; k < j; k++) {
        if (svc->backends[k].ip == be->ip) {
            return xasprintf("%s.backends[%"PRIuSIZE"].ip: duplicate backend "
                             IP_FMT, path, j, IP_ARGS(be->ip));
        }
    }
    return NULL;
}

static bool
bucket_id_used(const struct dsr_service *svc, uint32_t id)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (svc->backends[i].bucket_id == id) {
            return true;
        }
    }
    return false;
}

/* Backends that 'old' had keep their bucket ids (and, if unchanged, their
 * versions); new ones get the lowest free ids. */
static void
assign_bucket_ids(struct dsr_service *svc, const struct dsr_service *old)
{
    uint32_t next = 0;

    for (size_t i = 0; old && i < svc->n_backends; i++) {
        struct dsr_backend *be = &svc->backends[i];
        const struct dsr_backend *prev = dsr_service_find_backend(old,
                                                                  be->ip);
        if (prev && be->bucket_id == UINT32_MAX) {
            be->bucket_id = prev->bucket_id;
            be->version = backend_equal(be, prev) ? prev->version : 0;
        }
    }
    for (size_t i = 0; i < svc->n_backends; i++) {
        struct dsr_backend *be = &svc->backends[i];
        if (be->bucket_id == UINT32_MAX) {
            while (bucket_id_used(svc, next)) {
                next++;
            }
            be->bucket_id = next++;
        }
    }
}

/* The service's table: the one its JSON carries (each backend's "slots"
 * bitmap, from the state file or another node), else the one it had,
 * then moved as little as the new backends and weights require. */
static void
build_slots(struct dsr_service *svc, const json_t *backends,
            const struct dsr_service *old)
{
    struct slots_backend *sb = xmalloc((svc->n_backends + 1) * sizeof *sb);
    bool from_json = false;

    svc->slots = xmalloc(DSR_SLOTS * sizeof *svc->slots);
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        svc->slots[s] = DSR_SLOT_NONE;
    }
    /* Bucket ids are each node's own: carry the old table over by
     * address, so that a new backend that got a deleted one's id does not
     * inherit its slots. */
    for (size_t i = 0; old && old->slots && i < old->n_backends; i++) {
        const struct dsr_backend *prev = &old->backends[i];
        const struct dsr_backend *be = dsr_service_find_backend(svc,
                                                                prev->ip);
        for (size_t s = 0; be && s < DSR_SLOTS; s++) {
            if (old->slots[s] == prev->bucket_id) {
                svc->slots[s] = be->bucket_id;
            }
        }
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        const char *hex = json_string_value(
            json_object_get(json_array_get(backends, j), "slots"));
        if (hex && !from_json) {
            from_json = true;
            for (size_t s = 0; s < DSR_SLOTS; s++) {
                svc->slots[s] = DSR_SLOT_NONE;
            }
        }
        for (size_t s = 0; hex && s < DSR_SLOTS; s += 4) {
            int nibble = hexit_value(hex[s / 4]);
            for (size_t k = 0; nibble && k < 4; k++) {
                if (nibble & (8 >> k) && svc->slots[s + k] == DSR_SLOT_NONE) {
                    svc->slots[s + k] = svc->backends[j].bucket_id;
                }
            }
        }
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        sb[j].id = svc->backends[j].bucket_id;
        sb[j].key = ntohl(svc->backends[j].ip);
        sb[j].weight = svc->backends[j].weight;
    }
    slots_rebalance(svc->slots, sb, svc->n_backends);
    free(sb);
}

char *
dsr_service_from_valid_json(const struct dsr_config *cfg, const json_t *s,
                        const char *path, bool trust_ids,
                        const struct dsr_service *old,
                        struct dsr_service **svcp)
{
    const json_t *port = json_object_get(s, "port");
    const json_t *bridge = json_object_get(s, "bridge");
    const json_t *mac = json_object_get(s, "mac");
    const json_t *backends = json_object_get(s, "backends");
    const struct dsr_bridge_config *br;
    struct dsr_service *svc;
    char *error;

    *svcp = NULL;
    const char *protocol = json_string_value(json_object_get(s, "protocol"));
    const char *hash = json_string_value(json_object_get(s, "hash"));

    svc = xzalloc(sizeof *svc);
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
    const json_t *mode = json_object_get(s, "mode");
    svc->mode = DSR_MODE_L2;
    if (mode) {
        dsr_mode_from_string(json_string_value(mode), &svc->mode);
    }
    svc->hash = hash && !strcmp(hash, "source-ip") ? DSR_HASH_SOURCE_IP
                                                   : DSR_HASH_5TUPLE;
    svc->health_json = json_deep_copy(json_object_get(s, "health_check"));
    const char *all_down = json_string_value(json_object_get(s,
                                                             "on_all_down"));
    svc->on_all_down = (all_down && !strcmp(all_down, "keep")
                        ? DSR_ALL_DOWN_KEEP : DSR_ALL_DOWN_DROP);
    const json_t *pin = json_object_get(s, "pin_connections");
    svc->pin_connections = !pin || json_is_true(pin);
    if (bridge) {
        br = dsr_config_find_bridge(cfg, json_string_value(bridge));
        if (!br) {
            error = xasprintf("%s.bridge: no bridge named \"%s\"", path,
                              json_string_value(bridge));
            goto error;
        }
    } else if (cfg->n_bridges == 1) {
        br = &cfg->bridges[0];
    } else {
        error = xasprintf("%s.bridge: required when there is more than one "
                          "bridge", path);
        goto error;
    }
    svc->bridge = xstrdup(br->name);
    svc->mac = mac ? parse_mac(json_string_value(mac)) : br->mac;
    if (eth_addr_is_multicast(svc->mac)) {
        error = xasprintf("%s.mac: must be a unicast MAC address", path);
        goto error;
    }

    svc->n_backends = json_array_size(backends);
    svc->backends = xcalloc(svc->n_backends, sizeof *svc->backends);
    for (size_t j = 0; j < svc->n_backends; j++) {
        error = parse_backend(json_array_get(backends, j), svc, path, j,
                              trust_ids, &svc->backends[j]);
        if (error) {
            goto error;
        }
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        const struct dsr_health_check *c = svc->backends[j].check;
        if (c && c->dsr && !br->probe_ip) {
            error = xasprintf("%s.backends[%"PRIuSIZE"].health_check.dsr: "
                              "bridge \"%s\" has no probe_ip for "
                              "DSR-path probes", path, j, br->name);
            goto error;
        }
    }
    assign_bucket_ids(svc, old);
    build_slots(svc, backends, old);
    *svcp = svc;
    return NULL;

error:
    dsr_service_destroy(svc);
    return error;
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

/* Comparison of services, but for their versions. */

static bool
json_equal_or_null(const json_t *a, const json_t *b)
{
    return a && b ? json_equal(a, b) : a == b;
}

bool
dsr_service_equal(const struct dsr_service *a, const struct dsr_service *b)
{
    if (strcmp(a->name, b->name) || a->id != b->id
        || strcmp(a->bridge, b->bridge) || a->vip != b->vip
        || a->protocol != b->protocol || a->port != b->port
        || a->mode != b->mode || a->hash != b->hash
        || !eth_addr_equals(a->mac, b->mac)
        || !json_equal_or_null(a->health_json, b->health_json)
        || a->on_all_down != b->on_all_down
        || a->pin_connections != b->pin_connections
        || a->n_backends != b->n_backends
        || !a->slots != !b->slots
        || (a->slots && memcmp(a->slots, b->slots,
                               DSR_SLOTS * sizeof *a->slots))) {
        return false;
    }
    for (size_t i = 0; i < a->n_backends; i++) {
        if (!backend_equal(&a->backends[i], &b->backends[i])
            || a->backends[i].bucket_id != b->backends[i].bucket_id) {
            return false;
        }
    }
    return true;
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
json_ip_is(const json_t *j, const char *key, ovs_be32 ip)
{
    const char *s = json_string_value(json_object_get(j, key));
    struct in_addr addr;

    return s && inet_pton(AF_INET, s, &addr) == 1 && addr.s_addr == ip;
}

static bool
json_mac_is(const json_t *j, const char *key, struct eth_addr mac)
{
    const char *s = json_string_value(json_object_get(j, key));
    struct eth_addr parsed;

    return s && eth_addr_from_string(s, &parsed)
           && eth_addr_equals(parsed, mac);
}

/* Whether backend JSON 'b' (valid) describes 'be' exactly, its "slots"
 * aside; the read-only bucket_id and version are ignored, as on input. */
static bool
backend_json_same(const json_t *b, const struct dsr_service *svc,
                  const struct dsr_backend *be)
{
    const json_t *mac = json_object_get(b, "mac");
    const json_t *weight = json_object_get(b, "weight");
    const json_t *port = json_object_get(b, "port");
    const char *state = dsr_backend_state_to_string(be->state);

    return (json_ip_is(b, "ip", be->ip)
            && (mac ? be->has_mac && json_mac_is(b, "mac", be->mac)
                    : !be->has_mac)
            && (weight ? json_integer_value(weight) : DSR_DEFAULT_WEIGHT)
               == be->weight
            && json_string_is(b, "state", state, "active")
            && (!port || json_integer_value(port) == svc->port)
            && json_equal_or_null(json_object_get(b, "health_check"),
                                  be->health_json));
}

/* Whether a backend's "slots" (NULL: none) gives it the slots it holds in
 * 'svc''s table. */
static bool
slots_json_same(const char *hex, const struct dsr_service *svc,
                const struct dsr_backend *be)
{
    for (size_t s = 0; s < DSR_SLOTS; s++) {
        bool has = hexit_value(hex[s / 4]) & (8 >> (s % 4));
        if (has != (svc->slots[s] == be->bucket_id)) {
            return false;
        }
    }
    return true;
}

/* Whether the service JSON 's' (valid against its schema) would parse as
 * 'old' replaced by itself: the same service, nothing to change.  Cheap:
 * no allocation.  It may answer false for an equal service (parse and
 * dsr_service_equal() are then the judge), never true for another one. */
bool
dsr_service_json_same(const struct dsr_config *cfg, const json_t *s,
                      const struct dsr_service *old)
{
    const json_t *port = json_object_get(s, "port");
    const json_t *mac = json_object_get(s, "mac");
    const json_t *pin = json_object_get(s, "pin_connections");
    const json_t *backends = json_object_get(s, "backends");
    const char *bridge = (cfg->n_bridges == 1 ? cfg->bridges[0].name
                          : NULL);
    const struct dsr_bridge_config *br = dsr_config_find_bridge(cfg,
                                                                old->bridge);

    if (!br
        || !json_string_is(s, "name", old->name, NULL)
        || !json_string_is(s, "bridge", old->bridge, bridge)
        || !json_ip_is(s, "vip", old->vip)
        || !json_string_is(s, "protocol",
                           dsr_protocol_to_string(old->protocol), NULL)
        || (json_is_integer(port) ? json_integer_value(port) : 0)
           != old->port
        || !json_string_is(s, "hash", dsr_hash_to_string(old->hash),
                           "5-tuple")
        || !json_string_is(s, "mode", dsr_mode_to_string(old->mode), "l2")
        || !(mac ? json_mac_is(s, "mac", old->mac)
                 : eth_addr_equals(br->mac, old->mac))
        || !json_equal_or_null(json_object_get(s, "health_check"),
                               old->health_json)
        || !json_string_is(s, "on_all_down",
                           (old->on_all_down == DSR_ALL_DOWN_KEEP
                            ? "keep" : "drop"), "drop")
        || (!pin || json_is_true(pin)) != old->pin_connections
        || json_array_size(backends) != old->n_backends
        || !old->slots) {
        return false;
    }

    /* The table: carried over when no backend gives its slots, taken from
     * the document when all do. */
    size_t n_slots = 0;
    for (size_t j = 0; j < old->n_backends; j++) {
        const json_t *b = json_array_get(backends, j);
        const char *hex = json_string_value(json_object_get(b, "slots"));

        if (!backend_json_same(b, old, &old->backends[j])
            || (hex && !slots_json_same(hex, old, &old->backends[j]))) {
            return false;
        }
        n_slots += hex != NULL;
    }
    return !n_slots || n_slots == old->n_backends;
}
