/* The conflict index of a configuration: struct dsr_config's services
 * with the indexes (endpoints, VIPs, backend addresses) that let one
 * service be checked against all the others in time proportional to its
 * own size, and the configuration's limits.  config-parse.c builds
 * services from JSON, config-load.c whole documents, config-text.c writes
 * them out.  See config.h. */
#include <config.h>
#include "controller/config.h"

#include <stddef.h>
#include <string.h>
#include "controller/model.h"
#include "hash.h"
#include "hmapx.h"
#include "openvswitch/hmap.h"
#include "packets.h"
#include "schemas/schemas.h"
#include "util.h"

/* Service ids are group ids and the low bits of cookies. */
#define DSR_MAX_SERVICE_ID 0xffffff

/* One (VIP, protocol, port) a service claims. */
struct endpoint {
    struct hmap_node node;          /* In dsr_config's 'endpoints'. */
    struct in6_addr vip;
    enum dsr_protocol protocol;     /* A single protocol bit. */
    uint16_t port;
    const struct dsr_service *service;
};

/* A VIP and the services that use it; they must agree on MAC and bridge. */
struct vip_use {
    struct hmap_node node;          /* In dsr_config's 'vips'. */
    struct in6_addr vip;
    struct eth_addr mac;
    const char *bridge;             /* Owned by 'first'. */
    const struct dsr_service *first;
    int n_services;
    struct hmapx services;          /* All of them, 'first' included. */
};

/* A backend address and how many services use it. */
struct ip_use {
    struct hmap_node node;          /* In dsr_config's 'backend_ips'. */
    struct in6_addr ip;
    int n_services;
};

static uint32_t
ip_hash(const struct in6_addr *ip)
{
    return dsr_ip_hash(ip, 0);
}

static uint32_t
endpoint_hash(const struct in6_addr *vip, enum dsr_protocol protocol,
              uint16_t port)
{
    return hash_2words(protocol, port) ^ ip_hash(vip);
}

static struct endpoint *
find_endpoint(const struct dsr_config *cfg, const struct in6_addr *vip,
              enum dsr_protocol protocol, uint16_t port)
{
    struct endpoint *ep;

    HMAP_FOR_EACH_WITH_HASH (ep, node, endpoint_hash(vip, protocol, port),
                             &cfg->endpoints) {
        if (ipv6_addr_equals(&ep->vip, vip) && ep->protocol == protocol
            && ep->port == port) {
            return ep;
        }
    }
    return NULL;
}

static struct vip_use *
find_vip(const struct dsr_config *cfg, const struct in6_addr *vip)
{
    struct vip_use *use;

    HMAP_FOR_EACH_WITH_HASH (use, node, ip_hash(vip), &cfg->vips) {
        if (ipv6_addr_equals(&use->vip, vip)) {
            return use;
        }
    }
    return NULL;
}

static struct ip_use *
find_backend_ip(const struct dsr_config *cfg, const struct in6_addr *ip)
{
    struct ip_use *use;

    HMAP_FOR_EACH_WITH_HASH (use, node, ip_hash(ip), &cfg->backend_ips) {
        if (ipv6_addr_equals(&use->ip, ip)) {
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

/* Returns a new object that maps each member of schema 'schema''s objects
 * (of its $defs 'def', if 'def' is nonnull) that has a "default" in the
 * schema to that default.  Members that a document lacks take these, so
 * that the schema is the one place that states a default. */
json_t *
dsr_config_schema_defaults(const char *schema, const char *def)
{
    const json_t *object = dsr_schema(schema);
    json_t *defaults = json_object();
    const char *member;
    json_t *property;

    if (def) {
        object = json_object_get(json_object_get(object, "$defs"), def);
    }
    json_object_foreach (json_object_get(object, "properties"), member,
                         property) {
        const json_t *v = json_object_get(property, "default");
        if (v) {
            json_object_set_new(defaults, member, json_deep_copy(v));
        }
    }
    return defaults;
}

/* Reads the (validated) "limits" object 'j', which may be NULL; members
 * it lacks take the default that config.schema.json gives them. */
void
dsr_limits_from_json(const json_t *j, struct dsr_limits *limits)
{
    json_t *defaults = dsr_config_schema_defaults("config.schema.json",
                                                  "limits");

    for (size_t i = 0; i < ARRAY_SIZE(limit_fields); i++) {
        const char *name = limit_fields[i].name;
        const json_t *v = json_object_get(j, name);
        if (!v) {
            v = json_object_get(defaults, name);
            ovs_assert(json_is_integer(v));
        }
        *limit_member(limits, i) = json_integer_value(v);
    }
    json_decref(defaults);
}

json_t *
dsr_limits_to_json(const struct dsr_limits *limits)
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
    dsr_limits_from_json(NULL, &cfg->limits);
    dsr_announce_from_json(NULL, &cfg->announce, "$.announce");
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
    char vip_buf[INET6_ADDRSTRLEN];
    const char *vip_s = dsr_ip_to_string(&svc->vip, vip_buf);

    if (same && same != replacing) {
        return xasprintf("%s.name: service \"%s\" already exists", path,
                         svc->name);
    }
    for (int bit = DSR_PROTO_TCP; bit <= DSR_PROTO_UDP; bit <<= 1) {
        const struct endpoint *ep;
        if ((svc->protocol & bit)
            && (ep = find_endpoint(cfg, &svc->vip, bit, svc->port))
            && ep->service != replacing) {
            char port[8];
            snprintf(port, sizeof port, "%"PRIu16, svc->port);
            return xasprintf("%s: %s %s port %s is already served by "
                             "service \"%s\"", path, vip_s,
                             dsr_protocol_to_string(bit),
                             svc->port ? port : "*", ep->service->name);
        }
    }

    const struct vip_use *vip = find_vip(cfg, &svc->vip);
    if (vip && other_users(vip->n_services,
                           replacing && ipv6_addr_equals(&replacing->vip,
                                                         &svc->vip)) > 0) {
        const struct dsr_service *other = (vip->first != replacing
                                           ? vip->first : NULL);
        const char *name = other ? other->name : "another service";
        if (strcmp(vip->bridge, svc->bridge)) {
            return xasprintf("%s.bridge: VIP %s is already on bridge "
                             "\"%s\" (service \"%s\")", path,
                             vip_s, vip->bridge, name);
        }
        if (!eth_addr_equals(vip->mac, svc->mac)) {
            return xasprintf("%s.mac: services of VIP %s must share "
                             "one MAC (service \"%s\" uses "ETH_ADDR_FMT")",
                             path, vip_s, name,
                             ETH_ADDR_ARGS(vip->mac));
        }
    }

    const struct ip_use *ip = find_backend_ip(cfg, &svc->vip);
    if (ip && other_users(ip->n_services,
                          replacing && dsr_service_find_backend(
                              replacing, &svc->vip)) > 0) {
        return xasprintf("%s.vip: %s is a backend of another service",
                         path, vip_s);
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        const struct in6_addr *be_ip = &svc->backends[j].ip;
        vip = find_vip(cfg, be_ip);
        if (vip && other_users(vip->n_services,
                               replacing && ipv6_addr_equals(&replacing->vip,
                                                             be_ip)) > 0) {
            char be_s[INET6_ADDRSTRLEN];
            return xasprintf("%s.backends[%"PRIuSIZE"].ip: %s is the "
                             "VIP of service \"%s\"", path, j,
                             dsr_ip_to_string(be_ip, be_s), vip->first->name);
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
                        endpoint_hash(&svc->vip, bit, svc->port));
        }
    }

    struct vip_use *vip = find_vip(cfg, &svc->vip);
    if (!vip) {
        vip = xzalloc(sizeof *vip);
        vip->vip = svc->vip;
        hmapx_init(&vip->services);
        hmap_insert(&cfg->vips, &vip->node, ip_hash(&svc->vip));
    }
    hmapx_add(&vip->services, svc);
    if (!vip->n_services++) {
        vip->first = svc;
        vip->mac = svc->mac;
        vip->bridge = svc->bridge;
    }

    for (size_t j = 0; j < svc->n_backends; j++) {
        struct ip_use *ip = find_backend_ip(cfg, &svc->backends[j].ip);
        if (!ip) {
            ip = xzalloc(sizeof *ip);
            ip->ip = svc->backends[j].ip;
            hmap_insert(&cfg->backend_ips, &ip->node, ip_hash(&ip->ip));
        }
        ip->n_services++;
    }
}

/* Member 'key' of 'j' (an address valid for the schema's "ip" format),
 * whose JSONPath is PATH.KEY: NULL if it may be a VIP or a backend
 * address, else an error naming it.  A special address (model.h) would
 * black-hole traffic that is not the service's, or could never be
 * delivered.  'trusted' (dsrd's own state file) keeps loading the special
 * IPv4 addresses older versions took. */
char *
dsr_config_check_ip(const json_t *j, const char *key, const char *path,
                    bool trusted)
{
    const char *text = json_string_value(json_object_get(j, key));
    struct in6_addr ip;

    ovs_assert(text && dsr_ip_parse(text, &ip));
    bool is_ipv4 = IN6_IS_ADDR_V4MAPPED(&ip);
    const char *kind = dsr_ip_special_kind(&ip);
    if (kind && !(trusted && is_ipv4)) {
        char s[INET6_ADDRSTRLEN];
        return xasprintf("%s.%s: %s is %s %s address; it must be a unicast "
                         "address that a host can own", path, key,
                         dsr_ip_to_string(&ip, s),
                         kind[0] == 'u' ? "an" : "a", kind);
    }
    return NULL;
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
            && (ep = find_endpoint(cfg, &svc->vip, bit, svc->port))
            && ep->service == svc) {
            hmap_remove(&cfg->endpoints, &ep->node);
            free(ep);
        }
    }

    struct vip_use *vip = find_vip(cfg, &svc->vip);
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
        struct ip_use *ip = find_backend_ip(cfg, &svc->backends[j].ip);
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
    dsr_service_stamp(svc, cfg->version);
}

void
dsr_service_stamp(struct dsr_service *svc, uint64_t version)
{
    if (!svc->version) {
        svc->version = version;
    }
    for (size_t j = 0; j < svc->n_backends; j++) {
        if (!svc->backends[j].version) {
            svc->backends[j].version = version;
        }
    }
}

/* Bridge 'i' against the first: the bridges of one ovs-vswitchd share
 * dsrd's conntrack zone, and so its limit and timeouts. */
char *
dsr_config_check_shared_zone(const struct dsr_config *cfg, size_t i)
{
    const struct dsr_bridge_config *br = &cfg->bridges[i];
    const struct dsr_bridge_config *first = &cfg->bridges[0];

    if (i && br->ct_zone_limit != first->ct_zone_limit) {
        return xasprintf("$.bridges[%"PRIuSIZE"].ct_zone_limit: %u, but "
                         "bridge \"%s\" says %u: the bridges of one "
                         "ovs-vswitchd share dsrd's conntrack zone",
                         i, br->ct_zone_limit, first->name,
                         first->ct_zone_limit);
    }
    if (i && !dsr_ct_timeouts_equal(&br->ct_timeouts, &first->ct_timeouts)) {
        return xasprintf("$.bridges[%"PRIuSIZE"].ct_timeouts: differ from "
                         "bridge \"%s\"'s: the bridges of one ovs-vswitchd "
                         "share dsrd's conntrack zone", i, first->name);
    }
    return NULL;
}

/* Reads the (validated) "announce" object 'j', which may be NULL, at
 * JSONPath 'path'; members it lacks take config.schema.json's defaults.
 * Returns NULL or an error naming the member. */
char *
dsr_announce_from_json(const json_t *j, struct dsr_announce *a,
                       const char *path)
{
    json_t *d = dsr_config_schema_defaults("config.schema.json", "announce");
    const json_t *mode = json_object_get(j, "mode");
    const json_t *table = json_object_get(j, "table");
    const json_t *protocol = json_object_get(j, "protocol");
    const json_t *hold_down = json_object_get(j, "hold_down_ms");

    a->mode = (!strcmp(json_string_value(mode ? mode
                                         : json_object_get(d, "mode")),
                       "bgp")
               ? DSR_ANNOUNCE_BGP : DSR_ANNOUNCE_ARP);
    a->table = json_integer_value(table ? table : json_object_get(d, "table"));
    a->protocol = json_integer_value(protocol ? protocol
                                     : json_object_get(d, "protocol"));
    a->hold_down_ms = json_integer_value(hold_down ? hold_down
                                         : json_object_get(d,
                                                           "hold_down_ms"));
    json_decref(d);
    if (a->table >= 253 && a->table <= 255) {
        return xasprintf("%s.table: %"PRIu32" is one of the kernel's own "
                         "tables (253 default, 254 main, 255 local)", path,
                         a->table);
    }
    return NULL;
}

/* 'a' as JSON, or NULL if every member has its default. */
json_t *
dsr_announce_to_json(const struct dsr_announce *a)
{
    struct dsr_announce defaults;

    dsr_announce_from_json(NULL, &defaults, "$");
    if (dsr_announce_equal(a, &defaults)) {
        return NULL;
    }
    return json_pack("{s:s, s:I, s:i, s:I}",
                     "mode", a->mode == DSR_ANNOUNCE_BGP ? "bgp" : "arp",
                     "table", (json_int_t) a->table,
                     "protocol", a->protocol,
                     "hold_down_ms", (json_int_t) a->hold_down_ms);
}

bool
dsr_announce_equal(const struct dsr_announce *a, const struct dsr_announce *b)
{
    return (a->mode == b->mode && a->table == b->table
            && a->protocol == b->protocol
            && a->hold_down_ms == b->hold_down_ms);
}
