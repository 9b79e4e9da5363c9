/* Configuration parsing, checks and serialization.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include "controller/json-merge.h"
#include "controller/model.h"
#include "flows/slots.h"
#include "dirs.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "schemas/schemas.h"
#include "util.h"

/* Locally administered; shared by default by all LB nodes, so that a VIP
 * moving between them keeps its MAC. */
#define DSR_DEFAULT_MAC "02:d5:d5:00:00:01"
#define DSR_DEFAULT_IPIP_PORT "dsr-ipip"
#define DSR_DEFAULT_WEIGHT 100

/* Service ids are group ids and the low bits of cookies. */
#define DSR_MAX_SERVICE_ID 0xffffff

/* One (VIP, protocol, port) a service claims. */
struct endpoint {
    struct hmap_node node;          /* In dsr_config's 'endpoints'. */
    ovs_be32 vip;
    enum dsr_protocol protocol;     /* A single protocol bit. */
    uint16_t port;
    const struct dsr_service *service;
};

/* A VIP and the services that use it; they must agree on MAC and bridge. */
struct vip_use {
    struct hmap_node node;          /* In dsr_config's 'vips'. */
    ovs_be32 vip;
    struct eth_addr mac;
    const char *bridge;             /* Owned by 'first'. */
    const struct dsr_service *first;
    int n_services;
};

/* A backend address and how many services use it. */
struct ip_use {
    struct hmap_node node;          /* In dsr_config's 'backend_ips'. */
    ovs_be32 ip;
    int n_services;
};

static uint32_t
ip_hash(ovs_be32 ip)
{
    return hash_int((OVS_FORCE uint32_t) ip, 0);
}

static uint32_t
endpoint_hash(ovs_be32 vip, enum dsr_protocol protocol, uint16_t port)
{
    return hash_3words((OVS_FORCE uint32_t) vip, protocol, port);
}

static struct endpoint *
find_endpoint(const struct dsr_config *cfg, ovs_be32 vip,
              enum dsr_protocol protocol, uint16_t port)
{
    struct endpoint *ep;

    HMAP_FOR_EACH_WITH_HASH (ep, node, endpoint_hash(vip, protocol, port),
                             &cfg->endpoints) {
        if (ep->vip == vip && ep->protocol == protocol && ep->port == port) {
            return ep;
        }
    }
    return NULL;
}

static struct vip_use *
find_vip(const struct dsr_config *cfg, ovs_be32 vip)
{
    struct vip_use *use;

    HMAP_FOR_EACH_WITH_HASH (use, node, ip_hash(vip), &cfg->vips) {
        if (use->vip == vip) {
            return use;
        }
    }
    return NULL;
}

static struct ip_use *
find_backend_ip(const struct dsr_config *cfg, ovs_be32 ip)
{
    struct ip_use *use;

    HMAP_FOR_EACH_WITH_HASH (use, node, ip_hash(ip), &cfg->backend_ips) {
        if (use->ip == ip) {
            return use;
        }
    }
    return NULL;
}

/* The members of "limits", in struct dsr_limits. */
static const struct {
    const char *name;
    size_t offset;
} limit_fields[] = {
#define LIMIT(NAME) { #NAME, offsetof(struct dsr_limits, NAME) }
    LIMIT(max_services),
    LIMIT(max_backends_per_service),
    LIMIT(max_body_bytes),
    LIMIT(max_api_connections),
    LIMIT(max_api_connections_per_ip),
    LIMIT(api_request_timeout_s),
    LIMIT(max_probes_in_flight),
#undef LIMIT
};

static unsigned int *
limit_member(struct dsr_limits *limits, size_t i)
{
    return (unsigned int *) ((char *) limits + limit_fields[i].offset);
}

/* Reads the (validated) "limits" object 'j', which may be NULL; members
 * it lacks take the default that config.schema.json gives them, so that
 * the schema is the one place that states them. */
static void
parse_limits(const json_t *j, struct dsr_limits *limits)
{
    const json_t *defs = json_object_get(
        json_object_get(json_object_get(dsr_schema("config.schema.json"),
                                        "$defs"), "limits"), "properties");

    for (size_t i = 0; i < ARRAY_SIZE(limit_fields); i++) {
        const char *name = limit_fields[i].name;
        const json_t *v = json_object_get(j, name);
        if (!v) {
            v = json_object_get(json_object_get(defs, name), "default");
            ovs_assert(json_is_integer(v));
        }
        *limit_member(limits, i) = json_integer_value(v);
    }
}

static json_t *
limits_to_json(const struct dsr_limits *limits)
{
    json_t *j = json_object();

    for (size_t i = 0; i < ARRAY_SIZE(limit_fields); i++) {
        json_object_set_new(j, limit_fields[i].name, json_integer(
            *limit_member(CONST_CAST(struct dsr_limits *, limits), i)));
    }
    return j;
}

bool
dsr_limits_equal(const struct dsr_limits *a, const struct dsr_limits *b)
{
    return !memcmp(a, b, sizeof *a);
}

/* Checks 'svc', which is to replace 'replacing' (NULL: to be added),
 * against the configuration's limits.  Returns NULL or an error "PATH:
 * REASON" that names the limit. */
char *
dsr_config_check_limits(const struct dsr_config *cfg,
                        const struct dsr_service *svc,
                        const struct dsr_service *replacing,
                        const char *path)
{
    const struct dsr_limits *limits = &cfg->limits;

    if (!replacing && hmap_count(&cfg->services) >= limits->max_services) {
        return xasprintf("%s: there are already %u services, the most "
                         "that limits.max_services allows", path,
                         limits->max_services);
    }
    if (svc->n_backends > limits->max_backends_per_service) {
        return xasprintf("%s.backends: %"PRIuSIZE" backends, more than "
                         "limits.max_backends_per_service (%u)", path,
                         svc->n_backends, limits->max_backends_per_service);
    }
    return NULL;
}

void
dsr_config_init(struct dsr_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    hmap_init(&cfg->services);
    hmap_init(&cfg->services_by_id);
    hmap_init(&cfg->endpoints);
    hmap_init(&cfg->vips);
    hmap_init(&cfg->backend_ips);
    cfg->next_service_id = 1;
    parse_limits(NULL, &cfg->limits);
}

void
dsr_config_destroy(struct dsr_config *cfg)
{
    struct dsr_service *svc;
    struct endpoint *ep;
    struct vip_use *vip;
    struct ip_use *ip;

    HMAP_FOR_EACH_POP (svc, name_node, &cfg->services) {
        dsr_service_destroy(svc);
    }
    HMAP_FOR_EACH_POP (ep, node, &cfg->endpoints) {
        free(ep);
    }
    HMAP_FOR_EACH_POP (vip, node, &cfg->vips) {
        free(vip);
    }
    HMAP_FOR_EACH_POP (ip, node, &cfg->backend_ips) {
        free(ip);
    }
    hmap_destroy(&cfg->services);
    hmap_destroy(&cfg->services_by_id);
    hmap_destroy(&cfg->endpoints);
    hmap_destroy(&cfg->vips);
    hmap_destroy(&cfg->backend_ips);
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        free(cfg->bridges[i].name);
        free(cfg->bridges[i].target);
        free(cfg->bridges[i].gre_port);
        free(cfg->bridges[i].ipip_port);
    }
    free(cfg->bridges);
    cfg->bridges = NULL;
    cfg->n_bridges = 0;
}

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
        br->mac = parse_mac(mac ? json_string_value(mac) : DSR_DEFAULT_MAC);
        const json_t *probe_ip = json_object_get(b, "probe_ip");
        br->probe_ip = probe_ip ? parse_ip(json_string_value(probe_ip)) : 0;
        const json_t *gre_port = json_object_get(b, "gre_port");
        br->gre_port = (gre_port ? xstrdup(json_string_value(gre_port))
                        : NULL);
        const json_t *ipip_port = json_object_get(b, "ipip_port");
        br->ipip_port = xstrdup(ipip_port ? json_string_value(ipip_port)
                                : DSR_DEFAULT_IPIP_PORT);
        if (eth_addr_is_multicast(br->mac)) {
            return xasprintf("$.bridges[%"PRIuSIZE"].mac: must be a unicast "
                             "MAC address", i);
        }
    }
    return NULL;
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

    char *be_path = xasprintf("%s.backends[%"PRIuSIZE"]", path, j);
    char *error = parse_health_check(svc, be->health_json, be_path,
                                     &be->check);
    free(be_path);
    if (error) {
        return error;
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
        for (size_t s = 0; hex && s < DSR_SLOTS; s++) {
            int nibble = hexit_value(hex[s / 4]);
            if (nibble & (8 >> (s % 4))
                && svc->slots[s] == DSR_SLOT_NONE) {
                svc->slots[s] = svc->backends[j].bucket_id;
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
dsr_service_from_json(const struct dsr_config *cfg, const json_t *s,
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
    error = dsr_schema_validate("service.schema.json", s, path);
    if (error) {
        return error;
    }

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

static int
other_users(int n, bool replacing_uses_it)
{
    return n - (replacing_uses_it ? 1 : 0);
}

char *
dsr_config_check_service(const struct dsr_config *cfg,
                         const struct dsr_service *svc,
                         const struct dsr_service *replacing,
                         const char *path)
{
    const struct dsr_service *same = dsr_config_find_service(cfg, svc->name);

    if (same && same != replacing) {
        return xasprintf("%s.name: service \"%s\" already exists", path,
                         svc->name);
    }
    for (int bit = DSR_PROTO_TCP; bit <= DSR_PROTO_UDP; bit <<= 1) {
        const struct endpoint *ep;
        if ((svc->protocol & bit)
            && (ep = find_endpoint(cfg, svc->vip, bit, svc->port))
            && ep->service != replacing) {
            char port[8];
            snprintf(port, sizeof port, "%"PRIu16, svc->port);
            return xasprintf("%s: "IP_FMT" %s port %s is already served by "
                             "service \"%s\"", path, IP_ARGS(svc->vip),
                             dsr_protocol_to_string(bit),
                             svc->port ? port : "*", ep->service->name);
        }
    }

    const struct vip_use *vip = find_vip(cfg, svc->vip);
    if (vip && other_users(vip->n_services,
                           replacing && replacing->vip == svc->vip) > 0) {
        const struct dsr_service *other = (vip->first != replacing
                                           ? vip->first : NULL);
        const char *name = other ? other->name : "another service";
        if (strcmp(vip->bridge, svc->bridge)) {
            return xasprintf("%s.bridge: VIP "IP_FMT" is already on bridge "
                             "\"%s\" (service \"%s\")", path,
                             IP_ARGS(svc->vip), vip->bridge, name);
        }
        if (!eth_addr_equals(vip->mac, svc->mac)) {
            return xasprintf("%s.mac: services of VIP "IP_FMT" must share "
                             "one MAC (service \"%s\" uses "ETH_ADDR_FMT")",
                             path, IP_ARGS(svc->vip), name,
                             ETH_ADDR_ARGS(vip->mac));
        }
    }

    const struct ip_use *ip = find_backend_ip(cfg, svc->vip);
    if (ip && other_users(ip->n_services,
                          replacing && dsr_service_find_backend(
                              replacing, svc->vip)) > 0) {
        return xasprintf("%s.vip: "IP_FMT" is a backend of another service",
                         path, IP_ARGS(svc->vip));
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        ovs_be32 be_ip = svc->backends[j].ip;
        vip = find_vip(cfg, be_ip);
        if (vip && other_users(vip->n_services,
                               replacing && replacing->vip == be_ip) > 0) {
            return xasprintf("%s.backends[%"PRIuSIZE"].ip: "IP_FMT" is the "
                             "VIP of service \"%s\"", path, j,
                             IP_ARGS(be_ip), vip->first->name);
        }
    }
    if (!svc->id && cfg->next_service_id > DSR_MAX_SERVICE_ID) {
        return xasprintf("%s: no service ids left", path);
    }
    return NULL;
}

void
dsr_config_add_service(struct dsr_config *cfg, struct dsr_service *svc)
{
    if (!svc->id) {
        svc->id = cfg->next_service_id++;
    } else if (svc->id >= cfg->next_service_id) {
        cfg->next_service_id = svc->id + 1;
    }
    hmap_insert(&cfg->services, &svc->name_node, hash_string(svc->name, 0));
    hmap_insert(&cfg->services_by_id, &svc->id_node, hash_int(svc->id, 0));

    for (int bit = DSR_PROTO_TCP; bit <= DSR_PROTO_UDP; bit <<= 1) {
        if (svc->protocol & bit) {
            struct endpoint *ep = xmalloc(sizeof *ep);
            ep->vip = svc->vip;
            ep->protocol = bit;
            ep->port = svc->port;
            ep->service = svc;
            hmap_insert(&cfg->endpoints, &ep->node,
                        endpoint_hash(svc->vip, bit, svc->port));
        }
    }

    struct vip_use *vip = find_vip(cfg, svc->vip);
    if (!vip) {
        vip = xzalloc(sizeof *vip);
        vip->vip = svc->vip;
        hmap_insert(&cfg->vips, &vip->node, ip_hash(svc->vip));
    }
    if (!vip->n_services++) {
        vip->first = svc;
        vip->mac = svc->mac;
        vip->bridge = svc->bridge;
    }

    for (size_t j = 0; j < svc->n_backends; j++) {
        struct ip_use *ip = find_backend_ip(cfg, svc->backends[j].ip);
        if (!ip) {
            ip = xzalloc(sizeof *ip);
            ip->ip = svc->backends[j].ip;
            hmap_insert(&cfg->backend_ips, &ip->node, ip_hash(ip->ip));
        }
        ip->n_services++;
    }
}

/* Removes 'svc' from 'cfg' (the caller frees it).  Costs in proportion to
 * the service, except when it was the first of a VIP shared by others. */
void
dsr_config_remove_service(struct dsr_config *cfg, struct dsr_service *svc)
{
    hmap_remove(&cfg->services, &svc->name_node);
    hmap_remove(&cfg->services_by_id, &svc->id_node);

    for (int bit = DSR_PROTO_TCP; bit <= DSR_PROTO_UDP; bit <<= 1) {
        struct endpoint *ep;
        if ((svc->protocol & bit)
            && (ep = find_endpoint(cfg, svc->vip, bit, svc->port))
            && ep->service == svc) {
            hmap_remove(&cfg->endpoints, &ep->node);
            free(ep);
        }
    }

    struct vip_use *vip = find_vip(cfg, svc->vip);
    if (vip && !--vip->n_services) {
        hmap_remove(&cfg->vips, &vip->node);
        free(vip);
    } else if (vip && vip->first == svc) {
        /* Hand the VIP to another of its services. */
        const struct endpoint *ep;
        HMAP_FOR_EACH (ep, node, &cfg->endpoints) {
            if (ep->vip == svc->vip) {
                vip->first = ep->service;
                vip->bridge = ep->service->bridge;
                break;
            }
        }
    }

    for (size_t j = 0; j < svc->n_backends; j++) {
        struct ip_use *ip = find_backend_ip(cfg, svc->backends[j].ip);
        if (ip && !--ip->n_services) {
            hmap_remove(&cfg->backend_ips, &ip->node);
            free(ip);
        }
    }
}

/* Gives every part of 'svc' not yet versioned the config's version. */
void
dsr_config_stamp_service(struct dsr_config *cfg, struct dsr_service *svc)
{
    if (!svc->version) {
        svc->version = cfg->version;
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        if (!svc->backends[j].version) {
            svc->backends[j].version = cfg->version;
        }
    }
}

json_t *
dsr_backend_to_json(const struct dsr_service *svc,
                    const struct dsr_backend *be)
{
    char ip[INET_ADDRSTRLEN];
    json_t *j = json_object();

    inet_ntop(AF_INET, &be->ip, ip, sizeof ip);
    json_object_set_new(j, "ip", json_string(ip));
    if (be->has_mac) {
        char mac[ETH_ADDR_STRLEN + 1];
        snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(be->mac));
        json_object_set_new(j, "mac", json_string(mac));
    }
    json_object_set_new(j, "weight", json_integer(be->weight));
    json_object_set_new(j, "state",
                        json_string(dsr_backend_state_to_string(be->state)));
    if (be->health_json) {
        json_object_set(j, "health_check", be->health_json);
    }
    json_object_set_new(j, "bucket_id", json_integer(be->bucket_id));
    if (svc->slots) {
        char hex[DSR_SLOTS / 4 + 1];
        for (size_t s = 0; s < DSR_SLOTS; s += 4) {
            int nibble = 0;
            for (size_t k = 0; k < 4; k++) {
                nibble = nibble << 1 | (svc->slots[s + k] == be->bucket_id);
            }
            hex[s / 4] = "0123456789abcdef"[nibble];
        }
        hex[DSR_SLOTS / 4] = '\0';
        json_object_set_new(j, "slots", json_string(hex));
    }
    json_object_set_new(j, "version", json_integer(be->version));
    return j;
}

json_t *
dsr_service_to_json(const struct dsr_service *svc)
{
    char vip[INET_ADDRSTRLEN];
    char mac[ETH_ADDR_STRLEN + 1];
    json_t *j = json_object();
    json_t *backends = json_array();

    inet_ntop(AF_INET, &svc->vip, vip, sizeof vip);
    snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(svc->mac));
    json_object_set_new(j, "name", json_string(svc->name));
    json_object_set_new(j, "id", json_integer(svc->id));
    json_object_set_new(j, "version", json_integer(svc->version));
    json_object_set_new(j, "bridge", json_string(svc->bridge));
    json_object_set_new(j, "vip", json_string(vip));
    json_object_set_new(j, "protocol",
                        json_string(dsr_protocol_to_string(svc->protocol)));
    json_object_set_new(j, "port", svc->port ? json_integer(svc->port)
                                             : json_string("*"));
    json_object_set_new(j, "mode",
                        json_string(dsr_mode_to_string(svc->mode)));
    json_object_set_new(j, "hash",
                        json_string(dsr_hash_to_string(svc->hash)));
    json_object_set_new(j, "mac", json_string(mac));
    if (svc->health_json) {
        json_object_set(j, "health_check", svc->health_json);
    }
    json_object_set_new(j, "on_all_down",
                        json_string(svc->on_all_down == DSR_ALL_DOWN_KEEP
                                    ? "keep" : "drop"));
    json_object_set_new(j, "pin_connections",
                        json_boolean(svc->pin_connections));
    for (size_t i = 0; i < svc->n_backends; i++) {
        json_array_append_new(backends,
                              dsr_backend_to_json(svc, &svc->backends[i]));
    }
    json_object_set_new(j, "backends", backends);
    return j;
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

json_t *
dsr_config_to_json(const struct dsr_config *cfg)
{
    json_t *j = json_object();
    json_t *bridges = json_array();
    json_t *services = json_array();

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
        if (br->gre_port) {
            json_object_set_new(b, "gre_port", json_string(br->gre_port));
        }
        if (strcmp(br->ipip_port, DSR_DEFAULT_IPIP_PORT)) {
            json_object_set_new(b, "ipip_port", json_string(br->ipip_port));
        }
        json_array_append_new(bridges, b);
    }
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    for (size_t i = 0; sorted[i]; i++) {
        json_array_append_new(services, dsr_service_to_json(sorted[i]));
    }
    free(sorted);
    json_object_set_new(j, "version", json_integer(cfg->version));
    json_object_set_new(j, "next_service_id",
                        json_integer(cfg->next_service_id));
    json_object_set_new(j, "bridges", bridges);
    json_object_set_new(j, "limits", limits_to_json(&cfg->limits));
    json_object_set_new(j, "services", services);
    return j;
}

char *
dsr_config_from_json(const json_t *json, bool trust_ids,
                     struct dsr_config *cfg)
{
    const json_t *services = json_object_get(json, "services");
    const json_t *s;
    size_t i;

    char *error = dsr_schema_validate("config.schema.json", json, "$");
    if (!error) {
        parse_limits(json_object_get(json, "limits"), &cfg->limits);
        error = parse_bridges(json_object_get(json, "bridges"), cfg);
    }
    if (!error && trust_ids) {
        const json_t *version = json_object_get(json, "version");
        const json_t *next = json_object_get(json, "next_service_id");
        cfg->version = version ? json_integer_value(version) : 0;
        cfg->next_service_id = next ? json_integer_value(next) : 1;
    }
    if (!cfg->version) {
        cfg->version = 1;
    }
    if (!error && json_array_size(services) > cfg->limits.max_services) {
        error = xasprintf("$.services: %"PRIuSIZE" services, more than "
                          "limits.max_services (%u)",
                          json_array_size(services),
                          cfg->limits.max_services);
    }
    json_array_foreach (services, i, s) {
        if (error) {
            break;
        }
        char *path = xasprintf("$.services[%"PRIuSIZE"]", i);
        struct dsr_service *svc;

        error = dsr_service_from_json(cfg, s, path, trust_ids, NULL, &svc);
        if (!error) {
            if (trust_ids && svc->id
                && dsr_config_find_service_by_id(cfg, svc->id)) {
                error = xasprintf("%s.id: duplicate id %"PRIu32, path,
                                  svc->id);
            } else {
                error = dsr_config_check_limits(cfg, svc, NULL, path);
            }
            if (!error) {
                error = dsr_config_check_service(cfg, svc, NULL, path);
            }
            if (error) {
                dsr_service_destroy(svc);
            } else {
                dsr_config_add_service(cfg, svc);
                dsr_config_stamp_service(cfg, svc);
            }
        }
        free(path);
    }
    if (error) {
        dsr_config_destroy(cfg);
        dsr_config_init(cfg);
    }
    return error;
}

char *
dsr_config_from_string(const char *s, struct dsr_config *cfg)
{
    json_error_t jerror;
    json_t *json = json_loads(s, JSON_REJECT_DUPLICATES, &jerror);

    if (!json) {
        return xasprintf("line %d, column %d: %s", jerror.line,
                         jerror.column, jerror.text);
    }
    char *error = dsr_config_from_json(json, false, cfg);
    json_decref(json);
    return error;
}

char *
dsr_config_from_file(const char *file_name, bool trust_ids,
                     struct dsr_config *cfg)
{
    json_error_t jerror;
    json_t *json = json_load_file(file_name, JSON_REJECT_DUPLICATES, &jerror);

    if (!json) {
        return xasprintf("%s: line %d, column %d: %s", file_name,
                         jerror.line, jerror.column, jerror.text);
    }
    char *error = dsr_config_from_json(json, trust_ids, cfg);
    json_decref(json);
    if (error) {
        char *full = xasprintf("%s: %s", file_name, error);
        free(error);
        error = full;
    }
    return error;
}
