/* Lifetime and naming helpers for the configuration model. */
#include <config.h>
#include "controller/model.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "hash.h"
#include "flows/slot-runs.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

void
dsr_health_check_destroy(struct dsr_health_check *check)
{
    if (check) {
        free(check->method);
        free(check->path);
        free(check->host);
        free(check->expect_status);
        free(check->body_contains);
        free(check->payload);
        free(check->dns_name);
        for (size_t i = 0; check->command && check->command[i]; i++) {
            free(check->command[i]);
        }
        free(check->command);
        free(check);
    }
}

void
dsr_service_destroy(struct dsr_service *svc)
{
    if (svc) {
        for (size_t i = 0; i < svc->n_backends; i++) {
            json_decref(svc->backends[i].health_json);
            dsr_health_check_destroy(svc->backends[i].check);
        }
        json_decref(svc->health_json);
        json_decref(svc->announce_json);
        free(svc->name);
        free(svc->bridge);
        free(svc->backends);
        slot_runs_destroy(svc->slots);
        free(svc);
    }
}

const char *
dsr_check_type_to_string(enum dsr_check_type type)
{
    static const char *const names[] = {
        [DSR_CHECK_NONE] = "none", [DSR_CHECK_TCP] = "tcp",
        [DSR_CHECK_HTTP] = "http", [DSR_CHECK_HTTPS] = "https",
        [DSR_CHECK_UDP] = "udp", [DSR_CHECK_EXEC] = "exec",
    };
    return type < ARRAY_SIZE(names) ? names[type] : "?";
}

static const char *
ipv4_special_kind(ovs_be32 ip4)
{
    uint32_t ip = ntohl(ip4);

    return (!ip ? "unspecified"
            : ip == UINT32_MAX ? "broadcast"
            : ip >> 24 == 127 ? "loopback"
            : ip_is_multicast(ip4) ? "multicast"
            : ip >> 16 == 0xa9fe ? "link-local"     /* 169.254/16 */
            : NULL);
}

const char *
dsr_ip_special_kind(const struct in6_addr *ip)
{
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        return ipv4_special_kind(in6_addr_get_mapped_ipv4(ip));
    }
    return (IN6_IS_ADDR_UNSPECIFIED(ip) ? "unspecified"
            : IN6_IS_ADDR_LOOPBACK(ip) ? "loopback"
            : IN6_IS_ADDR_MULTICAST(ip) ? "multicast"
            : IN6_IS_ADDR_LINKLOCAL(ip) ? "link-local"
            : NULL);
}

bool
dsr_ip_parse(const char *s, struct in6_addr *ip)
{
    struct in_addr ip4;

    if (inet_pton(AF_INET, s, &ip4) == 1) {
        in6_addr_set_mapped_ipv4(ip, ip4.s_addr);
        return true;
    }
    return inet_pton(AF_INET6, s, ip) == 1;
}

const char *
dsr_ip_to_string(const struct in6_addr *ip, char buf[INET6_ADDRSTRLEN])
{
    /* Not ipv6_string_mapped(), which prints 0.0.0.0 as "::ffff:0.0.0.0". */
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        return inet_ntop(AF_INET, &ip->s6_addr[12], buf, INET6_ADDRSTRLEN);
    }
    return inet_ntop(AF_INET6, ip, buf, INET6_ADDRSTRLEN);
}

void
dsr_ip_format(const struct in6_addr *ip, struct ds *s)
{
    char buf[INET6_ADDRSTRLEN];

    ds_put_cstr(s, dsr_ip_to_string(ip, buf));
}

void
dsr_endpoint_format(const struct in6_addr *ip, uint16_t port, struct ds *s)
{
    bool brackets = port && !IN6_IS_ADDR_V4MAPPED(ip);

    ds_put_cstr(s, brackets ? "[" : "");
    dsr_ip_format(ip, s);
    ds_put_cstr(s, brackets ? "]" : "");
    if (port) {
        ds_put_format(s, ":%"PRIu16, port);
    }
}

uint32_t
dsr_ip_hash(const struct in6_addr *ip, uint32_t basis)
{
    return hash_bytes(ip, sizeof *ip, basis);
}

uint32_t
dsr_ip_slot_key(const struct in6_addr *ip)
{
    if (IN6_IS_ADDR_V4MAPPED(ip)) {
        return ntohl(in6_addr_get_mapped_ipv4(ip));
    }
    /* Never 0, which means "no backend" in a slot and "no pin". */
    uint32_t key = dsr_ip_hash(ip, 0);
    return key ? key : 1;
}

struct dsr_backend *
dsr_service_find_backend(const struct dsr_service *svc,
                         const struct in6_addr *ip)
{
    for (size_t i = 0; i < svc->n_backends; i++) {
        if (ipv6_addr_equals(&svc->backends[i].ip, ip)) {
            return &svc->backends[i];
        }
    }
    return NULL;
}

struct dsr_service *
dsr_config_find_service(const struct dsr_config *cfg, const char *name)
{
    struct dsr_service *svc;

    HMAP_FOR_EACH_WITH_HASH (svc, name_node, hash_string(name, 0),
                             &cfg->services) {
        if (!strcmp(svc->name, name)) {
            return svc;
        }
    }
    return NULL;
}

struct dsr_service *
dsr_config_find_service_by_id(const struct dsr_config *cfg, uint32_t id)
{
    struct dsr_service *svc;

    HMAP_FOR_EACH_WITH_HASH (svc, id_node, hash_int(id, 0),
                             &cfg->services_by_id) {
        if (svc->id == id) {
            return svc;
        }
    }
    return NULL;
}

bool
dsr_ct_timeouts_equal(const struct dsr_ct_timeouts *a,
                      const struct dsr_ct_timeouts *b)
{
    return (a->tcp_syn == b->tcp_syn && a->tcp == b->tcp
            && a->udp == b->udp && a->icmp == b->icmp);
}

const struct dsr_bridge_config *
dsr_config_find_bridge(const struct dsr_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_bridges; i++) {
        if (!strcmp(cfg->bridges[i].name, name)) {
            return &cfg->bridges[i];
        }
    }
    return NULL;
}

const char *
dsr_protocol_to_string(enum dsr_protocol protocol)
{
    switch (protocol) {
    case DSR_PROTO_TCP:
        return "tcp";
    case DSR_PROTO_UDP:
        return "udp";
    case DSR_PROTO_BOTH:
        return "both";
    }
    return "?";
}

const char *
dsr_hash_to_string(enum dsr_hash hash)
{
    return (hash == DSR_HASH_SOURCE_IP ? "source-ip"
            : hash == DSR_HASH_5TUPLE_CROSS_NODE ? "5-tuple-cross-node"
            : "5-tuple");
}

/* Whether a service hashed so may have a fine slot table
 * (flows/slots.h): its sub-slots are bits of the datapath's dp_hash,
 * which ovs-vswitchd's "hash" groups never set. */
bool
dsr_hash_allows_fine_slots(enum dsr_hash hash)
{
    return hash == DSR_HASH_5TUPLE;
}

const char *
dsr_mode_to_string(enum dsr_mode mode)
{
    return (mode == DSR_MODE_GRE ? "gre"
            : mode == DSR_MODE_IPIP ? "ipip" : "l2");
}

bool
dsr_mode_from_string(const char *s, enum dsr_mode *mode)
{
    for (int m = DSR_MODE_L2; m <= DSR_MODE_IPIP; m++) {
        if (!strcmp(s, dsr_mode_to_string(m))) {
            *mode = m;
            return true;
        }
    }
    return false;
}

const char *
dsr_backend_state_to_string(enum dsr_backend_state state)
{
    switch (state) {
    case DSR_BACKEND_ACTIVE:
        return "active";
    case DSR_BACKEND_DRAIN:
        return "drain";
    case DSR_BACKEND_DISABLED:
        return "disabled";
    }
    return "?";
}

static bool
str_equal(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

bool
dsr_health_check_equal(const struct dsr_health_check *a,
                       const struct dsr_health_check *b)
{
    if (a->type != b->type || a->interval_ms != b->interval_ms
        || a->timeout_ms != b->timeout_ms || a->rise != b->rise
        || a->fall != b->fall || a->port != b->port || a->dsr != b->dsr
        || a->tls_verify != b->tls_verify || a->dns != b->dns
        || a->expect_reply != b->expect_reply
        || a->n_expect_status != b->n_expect_status
        || !str_equal(a->method, b->method) || !str_equal(a->path, b->path)
        || !str_equal(a->host, b->host)
        || !str_equal(a->body_contains, b->body_contains)
        || !str_equal(a->payload, b->payload)
        || !str_equal(a->dns_name, b->dns_name)) {
        return false;
    }
    for (size_t i = 0; i < a->n_expect_status; i++) {
        if (a->expect_status[i] != b->expect_status[i]) {
            return false;
        }
    }
    for (size_t i = 0; a->command || b->command; i++) {
        if (!a->command || !b->command
            || !str_equal(a->command[i], b->command[i])) {
            return false;
        }
        if (!a->command[i]) {
            break;
        }
    }
    return true;
}
