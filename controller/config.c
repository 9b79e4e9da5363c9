/* Configuration parsing, checks and serialization.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <string.h>
#include "controller/json-merge.h"
#include "controller/model.h"
#include "flows/slots.h"
#include "dirs.h"
#include "hash.h"
#include "hmapx.h"
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
    struct hmapx services;          /* All of them, 'first' included. */
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
        hmapx_destroy(&vip->services);
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
    } else if (c->dsr && c->type == DSR_CHECK_UDP && !c->expect_reply) {
        error = xasprintf("%s.health_check.dsr: the DSR-path probe judges "
                          "the reply's source address: it needs "
                          "\"expect_reply\": true", path);
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
        hmapx_init(&vip->services);
        hmap_insert(&cfg->vips, &vip->node, ip_hash(svc->vip));
    }
    hmapx_add(&vip->services, svc);
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
 * the service. */
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
    if (vip) {
        hmapx_find_and_delete(&vip->services, svc);
    }
    if (vip && !--vip->n_services) {
        hmap_remove(&cfg->vips, &vip->node);
        hmapx_destroy(&vip->services);
        free(vip);
    } else if (vip && vip->first == svc) {
        /* Hand the VIP to another of its services. */
        const struct hmapx_node *node;
        HMAPX_FOR_EACH (node, &vip->services) {
            vip->first = node->data;
            vip->bridge = vip->first->bridge;
            break;
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

/* Serialization.  One writer, of compact JSON text, serves the state file,
 * the journal, the API's documents and (parsed back) the json_t forms, so
 * that they cannot disagree; it formats numbers and addresses by hand
 * because a whole configuration at scale is millions of them. */

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
put_ip(struct ds *s, ovs_be32 ip_)
{
    uint32_t ip = ntohl(ip_);

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

void
dsr_backend_put_json(struct ds *s, const struct dsr_service *svc,
                     const struct dsr_backend *be)
{
    ds_put_char(s, '{');
    put_key(s, "ip", true);
    put_ip(s, be->ip);
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
    put_key(s, "bucket_id", false);
    put_uint(s, be->bucket_id);
    if (svc->slots) {
        char hex[DSR_SLOTS / 4 + 2];
        hex[0] = '"';
        for (size_t i = 0; i < DSR_SLOTS; i += 4) {
            int nibble = 0;
            for (size_t k = 0; k < 4; k++) {
                nibble = nibble << 1 | (svc->slots[i + k] == be->bucket_id);
            }
            hex[1 + i / 4] = "0123456789abcdef"[nibble];
        }
        hex[DSR_SLOTS / 4 + 1] = '"';
        put_key(s, "slots", false);
        ds_put_buffer(s, hex, sizeof hex);
    }
    put_key(s, "version", false);
    put_uint(s, be->version);
    ds_put_char(s, '}');
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
    put_ip(s, svc->vip);
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
    put_key(s, "backends", false);
    ds_put_char(s, '[');
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (i) {
            ds_put_char(s, ',');
        }
        dsr_backend_put_json(s, svc, &svc->backends[i]);
    }
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

/* The whole configuration, with one service per line. */
void
dsr_config_put_json(struct ds *s, const struct dsr_config *cfg)
{
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
        if (br->gre_port) {
            json_object_set_new(b, "gre_port", json_string(br->gre_port));
        }
        if (strcmp(br->ipip_port, DSR_DEFAULT_IPIP_PORT)) {
            json_object_set_new(b, "ipip_port", json_string(br->ipip_port));
        }
        json_array_append_new(bridges, b);
    }
    json_t *limits = limits_to_json(&cfg->limits);

    ds_put_cstr(s, "{\"version\": ");
    put_uint(s, cfg->version);
    ds_put_cstr(s, ",\n \"next_service_id\": ");
    put_uint(s, cfg->next_service_id);
    ds_put_cstr(s, ",\n \"bridges\": ");
    put_value(s, bridges);
    ds_put_cstr(s, ",\n \"limits\": ");
    put_value(s, limits);
    ds_put_cstr(s, ",\n \"services\": [");
    json_decref(bridges);
    json_decref(limits);

    /* Services in id order, so the document is stable. */
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);
    for (size_t i = 0; sorted[i]; i++) {
        ds_put_cstr(s, i ? ",\n  " : "\n  ");
        dsr_service_put_json(s, sorted[i]);
    }
    free(sorted);
    ds_put_cstr(s, "\n ]}\n");
}

json_t *
dsr_config_to_json(const struct dsr_config *cfg)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    dsr_config_put_json(&s, cfg);
    return parse_own(&s);
}

char *
dsr_config_settings_from_json(const json_t *json, struct dsr_config *cfg)
{
    char *error = dsr_schema_validate("config.schema.json", json, "$");

    if (!error) {
        parse_limits(json_object_get(json, "limits"), &cfg->limits);
        error = parse_bridges(json_object_get(json, "bridges"), cfg);
    }
    return error;
}

/* Checks the service JSON 's', the document's 'i'th, and adds it to
 * 'cfg'; validates it against its schema first if 'validate'. */
static char *
add_service_json(struct dsr_config *cfg, const json_t *s, size_t i,
                 bool trust_ids, bool validate)
{
    char *path = xasprintf("$.services[%"PRIuSIZE"]", i);
    struct dsr_service *svc;
    char *error = (validate
                   ? dsr_service_from_json(cfg, s, path, trust_ids, NULL,
                                           &svc)
                   : dsr_service_from_valid_json(cfg, s, path, trust_ids,
                                                 NULL, &svc));

    if (!error) {
        if (trust_ids && svc->id
            && dsr_config_find_service_by_id(cfg, svc->id)) {
            error = xasprintf("%s.id: duplicate id %"PRIu32, path, svc->id);
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
    return error;
}

char *
dsr_config_from_json(const json_t *json, bool trust_ids,
                     struct dsr_config *cfg)
{
    const json_t *services = json_object_get(json, "services");
    const json_t *s;
    size_t i;

    char *error = dsr_config_settings_from_json(json, cfg);
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
        /* The document's schema covered its services. */
        error = add_service_json(cfg, s, i, trust_ids, false);
    }
    if (error) {
        dsr_config_destroy(cfg);
        dsr_config_init(cfg);
    }
    return error;
}

/* dsrd's state file as dsr_config_put_json() lays it out: a head, then
 * one service a line, so that it can be read a service at a time and the
 * whole document never stands as json_t (some 7 times its size, and as
 * slow to free as to build).  Returns NULL or an error; sets '*laid_out'
 * to false, with 'cfg' left empty, if 'text' is laid out otherwise (or
 * does not parse: the whole document's parse then says where). */
static char *
config_from_lines(const char *text, size_t len, struct dsr_config *cfg,
                  bool *laid_out)
{
    static const char services_line[] = "\n \"services\": [\n";
    const char *end = text + len;
    const char *p = memmem(text, len, services_line,
                           strlen(services_line));
    char *error = NULL;

    *laid_out = false;
    if (!p || strncmp(text, "{\"version\": ", 12)) {
        return NULL;
    }

    struct ds head = DS_EMPTY_INITIALIZER;
    ds_put_buffer(&head, text, p - text);
    ds_put_cstr(&head, "\n \"services\": []}");
    json_t *json = json_loadb(head.string, head.length,
                              JSON_REJECT_DUPLICATES, NULL);
    ds_destroy(&head);
    if (!json) {
        return NULL;
    }
    error = dsr_config_from_json(json, true, cfg);
    json_decref(json);

    p += strlen(services_line);
    for (size_t i = 0; !error && p < end; i++) {
        const char *eol = memchr(p, '\n', end - p);
        size_t n = (eol ? eol : end) - p;
        if (n == 3 && !memcmp(p, " ]}", 3) && (!eol || eol + 1 == end)) {
            *laid_out = true;
            return NULL;
        }
        if (n > 0 && p[n - 1] == ',') {
            n--;
        }
        json = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
        if (!json) {
            break;
        }
        error = add_service_json(cfg, json, i, true, true);
        json_decref(json);
        p = eol ? eol + 1 : end;
    }
    dsr_config_destroy(cfg);
    dsr_config_init(cfg);
    *laid_out = error != NULL;
    return error;
}

/* A whole document as json_t takes about 7 times its text's size, which
 * the allocator keeps once it is freed (at 10,000 services x 32 backends,
 * some 400 MB): gives it back to the system. */
void
dsr_config_trim_heap(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
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
    struct ds text = DS_EMPTY_INITIALIZER;
    json_error_t jerror;
    bool laid_out = false;
    char *error = NULL;
    FILE *file = fopen(file_name, "r");
    char buf[65536];
    size_t n;

    if (!file) {
        return xasprintf("%s: %s", file_name, ovs_strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof buf, file)) > 0) {
        ds_put_buffer(&text, buf, n);
    }
    if (ferror(file)) {
        error = xasprintf("%s: %s", file_name, ovs_strerror(errno));
        fclose(file);
        ds_destroy(&text);
        return error;
    }
    fclose(file);

    if (trust_ids) {
        error = config_from_lines(text.string, text.length, cfg, &laid_out);
    }
    if (!laid_out) {
        json_t *json = json_loadb(text.string, text.length,
                                  JSON_REJECT_DUPLICATES, &jerror);
        if (!json) {
            ds_destroy(&text);
            return xasprintf("%s: line %d, column %d: %s", file_name,
                             jerror.line, jerror.column, jerror.text);
        }
        error = dsr_config_from_json(json, trust_ids, cfg);
        json_decref(json);
    }
    ds_destroy(&text);
    if (error) {
        char *full = xasprintf("%s: %s", file_name, error);
        free(error);
        error = full;
    }
    return error;
}
