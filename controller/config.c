/* Translates a configuration document into struct dsr_config.  The JSON
 * Schema catches shape errors; this file adds what a schema cannot say,
 * always naming the offending field by its JSONPath. */
#include <config.h>
#include "controller/config.h"

#include <arpa/inet.h>
#include <string.h>
#include "controller/json-schema.h"
#include "controller/model.h"
#include "dirs.h"
#include "hash.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/hmap.h"
#include "schemas/schemas.h"
#include "util.h"

/* Locally administered; shared by default by all LB nodes, so that a VIP
 * moving between them keeps its MAC. */
#define DSR_DEFAULT_MAC "02:d5:d5:00:00:01"
#define DSR_DEFAULT_WEIGHT 100

/* One (VIP, protocol, port) a service claims, to find overlaps. */
struct endpoint {
    struct hmap_node node;
    ovs_be32 vip;
    enum dsr_protocol protocol;     /* A single protocol bit. */
    uint16_t port;
    const struct dsr_service *service;
};

/* Uniqueness indexes built while reading the services. */
struct config_index {
    struct hmap endpoints;          /* struct endpoint. */
    struct hmap vips;               /* struct endpoint with port 0, proto 0:
                                     * the first service of each VIP. */
};

static json_t *
config_schema(void)
{
    static json_t *schema;

    if (!schema) {
        json_error_t error;
        schema = json_loads(dsr_config_schema, 0, &error);
        ovs_assert(schema);
    }
    return schema;
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
        if (eth_addr_is_multicast(br->mac)) {
            return xasprintf("$.bridges[%"PRIuSIZE"].mac: must be a unicast "
                             "MAC address", i);
        }
    }
    return NULL;
}

static struct endpoint *
find_endpoint(const struct hmap *map, ovs_be32 vip,
              enum dsr_protocol protocol, uint16_t port)
{
    uint32_t hash = hash_3words((OVS_FORCE uint32_t) vip, protocol, port);
    struct endpoint *ep;

    HMAP_FOR_EACH_WITH_HASH (ep, node, hash, map) {
        if (ep->vip == vip && ep->protocol == protocol && ep->port == port) {
            return ep;
        }
    }
    return NULL;
}

static void
add_endpoint(struct hmap *map, ovs_be32 vip, enum dsr_protocol protocol,
             uint16_t port, const struct dsr_service *svc)
{
    struct endpoint *ep = xmalloc(sizeof *ep);

    ep->vip = vip;
    ep->protocol = protocol;
    ep->port = port;
    ep->service = svc;
    hmap_insert(map, &ep->node,
                hash_3words((OVS_FORCE uint32_t) vip, protocol, port));
}

/* Claims the service's endpoints, failing on an exact overlap.  A specific
 * port and "*" on one VIP may coexist: the specific port wins. */
static char *
claim_endpoints(struct config_index *idx, const struct dsr_service *svc,
                size_t i)
{
    for (int bit = DSR_PROTO_TCP; bit <= DSR_PROTO_UDP; bit <<= 1) {
        if (!(svc->protocol & bit)) {
            continue;
        }
        const struct endpoint *ep = find_endpoint(&idx->endpoints, svc->vip,
                                                  bit, svc->port);
        if (ep) {
            char port[8];
            snprintf(port, sizeof port, "%"PRIu16, svc->port);
            return xasprintf("$.services[%"PRIuSIZE"]: "IP_FMT" %s port %s "
                             "is already served by service \"%s\"", i,
                             IP_ARGS(svc->vip),
                             dsr_protocol_to_string(bit),
                             svc->port ? port : "*", ep->service->name);
        }
        add_endpoint(&idx->endpoints, svc->vip, bit, svc->port, svc);
    }

    const struct endpoint *first = find_endpoint(&idx->vips, svc->vip, 0, 0);
    if (!first) {
        add_endpoint(&idx->vips, svc->vip, 0, 0, svc);
    } else if (strcmp(first->service->bridge, svc->bridge)) {
        return xasprintf("$.services[%"PRIuSIZE"].bridge: VIP "IP_FMT" is "
                         "already on bridge \"%s\" (service \"%s\")", i,
                         IP_ARGS(svc->vip), first->service->bridge,
                         first->service->name);
    } else if (!eth_addr_equals(first->service->mac, svc->mac)) {
        return xasprintf("$.services[%"PRIuSIZE"].mac: services of VIP "
                         IP_FMT" must share one MAC (service \"%s\" uses "
                         ETH_ADDR_FMT")", i, IP_ARGS(svc->vip),
                         first->service->name,
                         ETH_ADDR_ARGS(first->service->mac));
    }
    return NULL;
}

static char *
parse_backend(const json_t *b, const struct dsr_service *svc,
              struct dsr_backend *be, size_t i, size_t j)
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
    be->bucket_id = j;

    if (port && json_integer_value(port) != svc->port) {
        char service_port[8];
        snprintf(service_port, sizeof service_port, "%"PRIu16, svc->port);
        return xasprintf("$.services[%"PRIuSIZE"].backends[%"PRIuSIZE"].port:"
                         " port translation is impossible in DSR: the "
                         "backend receives the client's packet unchanged, "
                         "on the service's port %s (got %"JSON_INTEGER_FORMAT
                         ")", i, j, svc->port ? service_port : "\"*\"",
                         json_integer_value(port));
    }
    if (mac && eth_addr_is_multicast(be->mac)) {
        return xasprintf("$.services[%"PRIuSIZE"].backends[%"PRIuSIZE"].mac: "
                         "must be a unicast MAC address", i, j);
    }
    for (size_t k = 0; k < j; k++) {
        if (svc->backends[k].ip == be->ip) {
            return xasprintf("$.services[%"PRIuSIZE"].backends[%"PRIuSIZE"]"
                             ".ip: duplicate backend "IP_FMT, i, j,
                             IP_ARGS(be->ip));
        }
    }
    return NULL;
}

static char *
parse_service(const json_t *s, const struct dsr_config *cfg,
              struct dsr_service *svc, size_t i)
{
    const char *protocol = json_string_value(json_object_get(s, "protocol"));
    const char *hash = json_string_value(json_object_get(s, "hash"));
    const json_t *port = json_object_get(s, "port");
    const json_t *bridge = json_object_get(s, "bridge");
    const json_t *mac = json_object_get(s, "mac");
    const json_t *backends = json_object_get(s, "backends");
    const struct dsr_bridge_config *br;

    svc->name = xstrdup(json_string_value(json_object_get(s, "name")));
    if (dsr_config_find_service(cfg, svc->name)) {
        return xasprintf("$.services[%"PRIuSIZE"].name: duplicate service "
                         "\"%s\"", i, svc->name);
    }
    svc->id = i + 1;
    svc->vip = parse_ip(json_string_value(json_object_get(s, "vip")));
    svc->protocol = (!strcmp(protocol, "tcp") ? DSR_PROTO_TCP
                     : !strcmp(protocol, "udp") ? DSR_PROTO_UDP
                     : DSR_PROTO_BOTH);
    svc->port = json_is_integer(port) ? json_integer_value(port) : 0;
    svc->mode = DSR_MODE_L2;
    svc->hash = hash && !strcmp(hash, "source-ip") ? DSR_HASH_SOURCE_IP
                                                   : DSR_HASH_5TUPLE;
    if (bridge) {
        br = dsr_config_find_bridge(cfg, json_string_value(bridge));
        if (!br) {
            return xasprintf("$.services[%"PRIuSIZE"].bridge: no bridge "
                             "named \"%s\"", i, json_string_value(bridge));
        }
    } else if (cfg->n_bridges == 1) {
        br = &cfg->bridges[0];
    } else {
        return xasprintf("$.services[%"PRIuSIZE"].bridge: required when "
                         "there is more than one bridge", i);
    }
    svc->bridge = xstrdup(br->name);
    svc->mac = mac ? parse_mac(json_string_value(mac)) : br->mac;
    if (eth_addr_is_multicast(svc->mac)) {
        return xasprintf("$.services[%"PRIuSIZE"].mac: must be a unicast "
                         "MAC address", i);
    }

    svc->n_backends = json_array_size(backends);
    svc->backends = xcalloc(svc->n_backends, sizeof *svc->backends);
    for (size_t j = 0; j < svc->n_backends; j++) {
        char *error = parse_backend(json_array_get(backends, j), svc,
                                    &svc->backends[j], i, j);
        if (error) {
            return error;
        }
    }
    return NULL;
}

/* A backend that is also a VIP would receive its own rewritten traffic. */
static char *
check_backends_are_not_vips(const struct dsr_config *cfg,
                            const struct config_index *idx,
                            const json_t *services)
{
    for (size_t i = 0; i < json_array_size(services); i++) {
        const char *name = json_string_value(
            json_object_get(json_array_get(services, i), "name"));
        const struct dsr_service *svc = dsr_config_find_service(cfg, name);

        for (size_t j = 0; j < svc->n_backends; j++) {
            const struct endpoint *ep = find_endpoint(&idx->vips,
                                                      svc->backends[j].ip,
                                                      0, 0);
            if (ep) {
                return xasprintf("$.services[%"PRIuSIZE"].backends[%"PRIuSIZE
                                 "].ip: "IP_FMT" is the VIP of service "
                                 "\"%s\"", i, j, IP_ARGS(svc->backends[j].ip),
                                 ep->service->name);
            }
        }
    }
    return NULL;
}

static void
config_index_destroy(struct config_index *idx)
{
    struct endpoint *ep;

    HMAP_FOR_EACH_POP (ep, node, &idx->endpoints) {
        free(ep);
    }
    hmap_destroy(&idx->endpoints);
    HMAP_FOR_EACH_POP (ep, node, &idx->vips) {
        free(ep);
    }
    hmap_destroy(&idx->vips);
}

char *
dsr_config_from_json(const json_t *json, struct dsr_config *cfg)
{
    const json_t *services = json_object_get(json, "services");
    struct config_index idx = {
        .endpoints = HMAP_INITIALIZER(&idx.endpoints),
        .vips = HMAP_INITIALIZER(&idx.vips),
    };
    const json_t *s;
    size_t i;

    char *error = json_schema_validate(config_schema(), json);
    if (error) {
        return error;
    }
    error = parse_bridges(json_object_get(json, "bridges"), cfg);
    json_array_foreach (services, i, s) {
        if (error) {
            break;
        }
        struct dsr_service *svc = xzalloc(sizeof *svc);
        error = parse_service(s, cfg, svc, i);
        if (!error) {
            error = claim_endpoints(&idx, svc, i);
        }
        if (error) {
            dsr_service_destroy(svc);
        } else {
            hmap_insert(&cfg->services, &svc->name_node,
                        hash_string(svc->name, 0));
        }
    }
    if (!error) {
        error = check_backends_are_not_vips(cfg, &idx, services);
    }
    config_index_destroy(&idx);
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
    char *error = dsr_config_from_json(json, cfg);
    json_decref(json);
    return error;
}

char *
dsr_config_from_file(const char *file_name, struct dsr_config *cfg)
{
    json_error_t jerror;
    json_t *json = json_load_file(file_name, JSON_REJECT_DUPLICATES, &jerror);

    if (!json) {
        return xasprintf("%s: line %d, column %d: %s", file_name,
                         jerror.line, jerror.column, jerror.text);
    }
    char *error = dsr_config_from_json(json, cfg);
    json_decref(json);
    if (error) {
        char *full = xasprintf("%s: %s", file_name, error);
        free(error);
        error = full;
    }
    return error;
}
