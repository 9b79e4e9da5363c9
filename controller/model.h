/* The load balancer's configuration model: bridges, virtual services and
 * their backends, as validated by config.c and consumed by lb.c and the
 * flow pipeline.  Plain data; no OpenFlow here. */
#ifndef DSR_MODEL_H
#define DSR_MODEL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "controller/ct-timeouts.h"
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"
#include "packets.h"
#include <jansson.h>

struct ds;
struct slot_runs;

/* Protocols a service matches, as a bit set. */
enum dsr_protocol {
    DSR_PROTO_TCP = 1 << 0,
    DSR_PROTO_UDP = 1 << 1,
    DSR_PROTO_BOTH = DSR_PROTO_TCP | DSR_PROTO_UDP,
};

/* How packets reach a backend. */
enum dsr_mode {
    DSR_MODE_L2,                /* Rewrite eth_dst to the backend's MAC. */
    DSR_MODE_GRE,               /* GRE to the backend's IP (OVS tunnel). */
    DSR_MODE_IPIP,              /* IPIP to the backend's IP (Linux kernel,
                                 * fed from OVS: controller/ipip.h). */
};

/* Which packet fields pick the backend. */
enum dsr_hash {
    DSR_HASH_5TUPLE,            /* Addresses, protocol and ports. */
    DSR_HASH_SOURCE_IP,         /* Client address only: persistence. */
    DSR_HASH_5TUPLE_CROSS_NODE, /* The 5-tuple, hashed by ovs-vswitchd (an
                                 * upcall per connection): the same on
                                 * every node, whatever its datapath. */
};

/* An operator's choice for a backend; health never overrides it. */
enum dsr_backend_state {
    DSR_BACKEND_ACTIVE,         /* Receives new connections. */
    DSR_BACKEND_DRAIN,          /* No new connections. */
    DSR_BACKEND_DISABLED,       /* Out of the service. */
};

/* What a service does when all its backends are down. */
enum dsr_all_down {
    DSR_ALL_DOWN_DROP,          /* No buckets: traffic is dropped. */
    DSR_ALL_DOWN_KEEP,          /* Keep the operator's set (fail static). */
};

enum dsr_check_type {
    DSR_CHECK_NONE,
    DSR_CHECK_TCP,
    DSR_CHECK_HTTP,
    DSR_CHECK_HTTPS,
    DSR_CHECK_UDP,
    DSR_CHECK_EXEC,
};

/* A backend's effective health check (schemas/health-check.schema.json):
 * its service's, with the backend's own fields on top. */
struct dsr_health_check {
    enum dsr_check_type type;
    int interval_ms;
    int timeout_ms;
    int rise;
    int fall;
    uint16_t port;              /* Never 0 for checks that need a port. */
    bool dsr;                   /* Also probe through the DSR path. */
    char *method;               /* HTTP. */
    char *path;
    char *host;                 /* NULL: the backend's address. */
    int *expect_status;         /* NULL: 200-399. */
    size_t n_expect_status;
    char *body_contains;        /* NULL: any body. */
    bool tls_verify;
    char *payload;              /* UDP; NULL with 'dns'. */
    bool dns;
    char *dns_name;
    bool expect_reply;
    char **command;             /* exec: NULL-terminated argv. */
};

/* One real server of a service. */
struct dsr_backend {
    struct in6_addr ip;         /* Real IP (model.h's address form); the
                                 * VIP lives on its loopback. */
    bool has_mac;               /* False: resolve 'mac' by ARP. */
    struct eth_addr mac;        /* Configured MAC, if 'has_mac'. */
    uint16_t weight;            /* Relative share, 1..65535. */
    enum dsr_backend_state state;
    uint32_t id;                /* Stable within the service: what its
                                 * slots in the slot table hold. */
    uint64_t version;           /* Config version of its last change. */
    json_t *health_json;        /* Its own health_check fields, or NULL. */
    struct dsr_health_check *check;     /* Effective check, or NULL. */
};

/* One virtual service: VIP + protocol + port (or all ports). */
struct dsr_service {
    struct hmap_node name_node; /* In struct dsr_config's 'services'. */
    struct hmap_node id_node;   /* In struct dsr_config's 'services_by_id'. */
    char *name;                 /* Unique, names the service in the API. */
    uint32_t id;                /* Group id and low bits of the cookie. */
    char *bridge;               /* Name of the bridge that carries it. */
    struct in6_addr vip;        /* See "Addresses" below. */
    enum dsr_protocol protocol;
    uint16_t port;              /* Destination port; 0 means all ports. */
    enum dsr_mode mode;
    enum dsr_hash hash;
    struct eth_addr mac;        /* Answers ARP for the VIP; frames' eth_src. */
    struct dsr_backend *backends;
    size_t n_backends;
    struct slot_runs *slots;    /* The operator's table of bucket ids
                                 * (flows/slots.h), before health, as
                                 * runs (flows/slot-runs.h). */
    uint64_t version;           /* Config version of its last change. */
    json_t *health_json;        /* Its health_check, or NULL. */
    enum dsr_all_down on_all_down;
    bool pin_connections;       /* Conntrack pins (flows/README.md). */
    json_t *announce_json;      /* Its "announce" (bgp mode), or NULL. */
};

/* One OVS bridge that dsrd programs. */
struct dsr_bridge_config {
    char *name;
    char *target;               /* OpenFlow target, e.g. unix:.../br.mgmt. */
    struct eth_addr mac;        /* Default service MAC; source of ARPs. */
    ovs_be32 probe_ip;          /* Source of DSR-path probes, or 0. */
    struct in6_addr probe_ip6;  /* Same for IPv6 VIPs, or all-zero. */
    char *gre_port;             /* GRE port of "gre" services, or NULL to
                                 * find it in OVSDB. */
    char *ipip_port;            /* Internal port that hands "ipip"
                                 * services' packets to the kernel. */
    unsigned int ct_zone_limit; /* Most pins in DSR_CT_ZONE; 0: no limit. */
    struct dsr_ct_timeouts ct_timeouts;
};

/* How the node announces its VIPs (schemas/config.schema.json,
 * "announce"; controller/announce.h). */
enum dsr_announce_mode {
    DSR_ANNOUNCE_ARP,           /* The bridge answers ARP for the VIPs. */
    DSR_ANNOUNCE_BGP,           /* Routes in a kernel table, for BGP. */
};

struct dsr_announce {
    enum dsr_announce_mode mode;
    uint32_t table;             /* Kernel routing table. */
    uint8_t protocol;           /* Its routes' rtm_protocol. */
    unsigned int hold_down_ms;
};

/* Resource limits (schemas/config.schema.json, "limits"): how much
 * clients and documents may make dsrd hold.  Defaults come from the
 * schema. */
struct dsr_limits {
    unsigned int max_services;
    unsigned int max_backends_per_service;
    unsigned int max_body_bytes;
    unsigned int max_api_connections;
    unsigned int max_api_connections_per_ip;
    unsigned int api_request_timeout_s;
    unsigned int max_probes_in_flight;
};

/* A whole, validated configuration, with the indexes that let one
 * service be checked against all others in time proportional to its own
 * size (config.c maintains them). */
struct dsr_config {
    struct dsr_bridge_config *bridges;
    size_t n_bridges;
    struct hmap services;       /* struct dsr_service, by name. */
    struct hmap services_by_id; /* struct dsr_service, by id. */
    struct hmap endpoints;      /* (VIP, protocol, port) claimed. */
    struct hmap vips;           /* VIPs in use, with MAC and bridge. */
    struct hmap backend_ips;    /* Backend addresses in use. */
    uint64_t version;           /* Increments with every change. */
    uint32_t next_service_id;
    struct dsr_limits limits;
    struct dsr_announce announce;
};

struct dsr_service *dsr_config_find_service(const struct dsr_config *,
                                            const char *name);
struct dsr_service *dsr_config_find_service_by_id(const struct dsr_config *,
                                                  uint32_t id);
bool dsr_ct_timeouts_equal(const struct dsr_ct_timeouts *,
                           const struct dsr_ct_timeouts *);
const struct dsr_bridge_config *dsr_config_find_bridge(
    const struct dsr_config *, const char *name);

void dsr_service_destroy(struct dsr_service *);
void dsr_health_check_destroy(struct dsr_health_check *);
bool dsr_health_check_equal(const struct dsr_health_check *,
                            const struct dsr_health_check *);
const char *dsr_check_type_to_string(enum dsr_check_type);
struct dsr_backend *dsr_service_find_backend(const struct dsr_service *,
                                             const struct in6_addr *ip);

const char *dsr_protocol_to_string(enum dsr_protocol);
const char *dsr_hash_to_string(enum dsr_hash);
bool dsr_hash_allows_fine_slots(enum dsr_hash);
const char *dsr_mode_to_string(enum dsr_mode);
bool dsr_mode_from_string(const char *, enum dsr_mode *);
const char *dsr_backend_state_to_string(enum dsr_backend_state);

/* Addresses.  A VIP or a backend address is an IPv6 address or, for
 * IPv4, an IPv4-mapped one (::ffff:a.b.c.d, in6_addr_mapped_ipv4()), as
 * OVS keeps addresses of either family: one type, compared with
 * ipv6_addr_equals(), and in6_addr_get_mapped_ipv4() for the parts that
 * speak IPv4 only. */
bool dsr_ip_parse(const char *, struct in6_addr *);
/* The IPv4 address of an IPv4 'ip' (0 for IPv6): for the parts that speak
 * IPv4 only, which get no IPv6 address while config-parse.c refuses them. */
static inline ovs_be32
dsr_ip4(const struct in6_addr *ip)
{
    return in6_addr_get_mapped_ipv4(ip);
}
/* RFC 5952 text for IPv6, dotted quad for IPv4. */
const char *dsr_ip_to_string(const struct in6_addr *,
                             char buf[INET6_ADDRSTRLEN]);
void dsr_ip_format(const struct in6_addr *, struct ds *);
/* "IP:PORT", "[IPv6]:PORT", or just the address when 'port' is 0. */
void dsr_endpoint_format(const struct in6_addr *, uint16_t port,
                         struct ds *);
uint32_t dsr_ip_hash(const struct in6_addr *, uint32_t basis);
/* The key that orders backends in the slot table (flows/slots.h) and
 * names them in connection pins (flows/README.md): the IPv4 address as a
 * number, as before IPv6 (so tables and pins do not move), or a nonzero
 * hash of an IPv6 address (config-parse.c refuses two alike in one
 * service). */
uint32_t dsr_ip_slot_key(const struct in6_addr *);

/* The kind of special address 'ip' is ("unspecified", "loopback",
 * "multicast", "link-local" or "broadcast"), or NULL if a VIP or a backend
 * may have it.  'ip' is an IPv6 address or an IPv4-mapped one
 * (in6_addr_mapped_ipv4()), so that one rule serves both families. */
const char *dsr_ip_special_kind(const struct in6_addr *ip);

#endif /* controller/model.h */
