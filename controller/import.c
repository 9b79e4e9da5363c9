/* The model of an imported IPVS configuration and its mapping to ovs-dsr
 * services.  The parsers (import-keepalived.c, import-ipvsadm.c) fill a
 * struct import_model; import_to_services() turns what they found into
 * service documents (service.schema.json) with notes on what it
 * approximated.  See import.h. */
#include <config.h>
#include "controller/import.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"
#include "util.h"

void
import_model_init(struct import_model *m)
{
    memset(m, 0, sizeof *m);
    svec_init(&m->errors);
    svec_init(&m->refusals);
    svec_init(&m->notes);
}

void
import_model_destroy(struct import_model *m)
{
    for (size_t i = 0; i < m->n_vss; i++) {
        struct import_vs *vs = &m->vss[i];
        for (size_t j = 0; j < vs->n_reals; j++) {
            free(vs->reals[j].where);
            free(vs->reals[j].ip);
            json_decref(vs->reals[j].check);
        }
        free(vs->reals);
        free(vs->where);
        free(vs->vip);
        free(vs->sched);
        free(vs->sched_where);
        free(vs->persist_where);
    }
    free(m->vss);
    svec_destroy(&m->errors);
    svec_destroy(&m->refusals);
    svec_destroy(&m->notes);
}

/* Appends a virtual server found at 'where' (DR, TCP, "wlc" until told
 * otherwise). */
struct import_vs *
import_add_vs(struct import_model *m, const char *where)
{
    if (m->n_vss >= m->allocated_vss) {
        m->vss = x2nrealloc(m->vss, &m->allocated_vss, sizeof *m->vss);
    }
    struct import_vs *vs = &m->vss[m->n_vss++];
    memset(vs, 0, sizeof *vs);
    vs->where = xstrdup(where);
    vs->protocol = "tcp";
    vs->kind = IMPORT_DR;
    vs->sched = xstrdup("wlc");
    return vs;
}

/* Appends a real server found at 'where' (weight 1, no check). */
struct import_real *
import_add_real(struct import_vs *vs, const char *where)
{
    if (vs->n_reals >= vs->allocated_reals) {
        vs->reals = x2nrealloc(vs->reals, &vs->allocated_reals,
                               sizeof *vs->reals);
    }
    struct import_real *r = &vs->reals[vs->n_reals++];
    memset(r, 0, sizeof *r);
    r->where = xstrdup(where);
    r->weight = 1;
    return r;
}

/* Adds "WHERE: MESSAGE" to 'list'. */
static void
add_finding(struct svec *list, const char *where, const char *format,
            va_list args)
{
    char *message = xvasprintf(format, args);
    svec_add_nocopy(list, xasprintf("%s: %s", where, message));
    free(message);
}

void
import_error(struct import_model *m, const char *where,
             const char *format, ...)
{
    va_list args;

    va_start(args, format);
    add_finding(&m->errors, where, format, args);
    va_end(args);
}

void
import_refuse(struct import_model *m, const char *where,
              const char *format, ...)
{
    va_list args;

    va_start(args, format);
    add_finding(&m->refusals, where, format, args);
    va_end(args);
}

void
import_note(struct import_model *m, const char *where,
            const char *format, ...)
{
    va_list args;

    va_start(args, format);
    add_finding(&m->notes, where, format, args);
    va_end(args);
}

/* Sets '*field' to "WHERE: WHAT", the setting a note will be about. */
void
import_set_where(char **field, const char *where, const char *what)
{
    free(*field);
    *field = xasprintf("%s: %s", where, what);
}

/* Is 's' an IPv4 address (a dotted quad) or an IPv6 one?  If so, puts
 * its RFC 5952 form into 'canon' (an IPv4 address as it is), so that one
 * address written two ways is one real server. */
bool
import_parse_ip(const char *s, char canon[INET6_ADDRSTRLEN])
{
    struct in6_addr addr6;
    struct in_addr addr;

    if (strlen(s) <= 15 && inet_pton(AF_INET, s, &addr) == 1) {
        return inet_ntop(AF_INET, &addr, canon, INET6_ADDRSTRLEN) != NULL;
    }
    return (strlen(s) < INET6_ADDRSTRLEN && inet_pton(AF_INET6, s, &addr6) == 1
            && inet_ntop(AF_INET6, &addr6, canon, INET6_ADDRSTRLEN));
}

/* Parses 's', digits only, as a port from 0 to 65535. */
bool
import_parse_port(const char *s, int *port)
{
    if (!s[0] || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s)) {
        return false;
    }
    *port = atoi(s);
    return *port <= 65535;
}

/* The service's name: VIP_PORT_PROTO ("all" for all ports), which
 * service.schema.json accepts and which stays the same on every import of
 * the same virtual server. */
static char *
service_name(const struct import_vs *vs)
{
    char port[8];

    snprintf(port, sizeof port, "%d", vs->port);
    char *name = xasprintf("%s_%s_%s", vs->vip, vs->port ? port : "all",
                           vs->protocol);
    /* A service name has no ':' (service.schema.json). */
    for (char *c = name; *c; c++) {
        *c = *c == ':' ? '-' : *c;
    }
    return name;
}

/* The hash for 'vs', with a note where IPVS did something else. */
static const char *
map_hash(struct import_model *m, const struct import_vs *vs)
{
    if (vs->persistent) {
        svec_add_nocopy(&m->notes, xasprintf(
                            "%s: mapped to hash source-ip (a client stays "
                            "on one backend as long as the set of backends "
                            "stays the same; there is no timeout)",
                            vs->persist_where));
        return "source-ip";
    } else if (!strcmp(vs->sched, "sh")) {
        return "source-ip";
    } else if (vs->sched_where) {
        svec_add_nocopy(&m->notes, xasprintf(
                            "%s: mapped to hash 5-tuple (new connections "
                            "spread over the slot table in proportion to "
                            "the weights; no connection counts)",
                            vs->sched_where));
    } else {
        import_note(m, vs->where, "virtual server without a scheduler "
                    "(IPVS's default wlc): mapped to hash 5-tuple");
    }
    return "5-tuple";
}

/* Puts the real servers of 'vs' into 'svc' as backends, and their checks:
 * on the service if they all have the same, else on each backend. */
static void
map_backends(struct import_model *m, const struct import_vs *vs,
             json_t *svc)
{
    json_t *backends = json_array();
    const json_t *common = vs->n_reals ? vs->reals[0].check : NULL;
    bool same = true;

    for (size_t i = 0; i < vs->n_reals; i++) {
        const struct import_real *r = &vs->reals[i];
        same = same && (r->check == common
                        || (r->check && common
                            && json_equal(r->check, common)));
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(vs->reals[j].ip, r->ip)) {
                import_error(m, r->where, "real server %s is listed twice "
                             "(first at %s)", r->ip, vs->reals[j].where);
            }
        }
    }
    for (size_t i = 0; i < vs->n_reals; i++) {
        const struct import_real *r = &vs->reals[i];
        json_t *be = json_pack("{ss}", "ip", r->ip);
        /* IPVS's weight 0 takes no new connections: a drain.  Weight 1,
         * keepalived's default, for when the operator brings it back. */
        json_object_set_new(be, "weight", json_integer(MAX(r->weight, 1)));
        if (!r->weight) {
            json_object_set_new(be, "state", json_string("drain"));
        }
        if (!same) {
            json_object_set_new(be, "health_check",
                                r->check ? json_incref(r->check)
                                : json_pack("{ss}", "type", "none"));
        }
        json_array_append_new(backends, be);
    }
    if (same && common) {
        json_object_set_new(svc, "health_check", json_deep_copy(common));
    }
    json_object_set_new(svc, "backends", backends);
}

/* Maps one virtual server. */
static json_t *
map_vs(struct import_model *m, const struct import_vs *vs,
       const struct import_options *options)
{
    char *name = service_name(vs);
    json_t *svc = json_pack("{ss ss ss}", "name", name, "vip", vs->vip,
                            "protocol", vs->protocol);

    free(name);
    json_object_set_new(svc, "port", vs->port ? json_integer(vs->port)
                                              : json_string("*"));
    json_object_set_new(svc, "mode", json_string(
                            vs->kind == IMPORT_DR ? "l2"
                            : options->gre ? "gre" : "ipip"));
    json_object_set_new(svc, "hash", json_string(map_hash(m, vs)));
    if (options->bridge) {
        json_object_set_new(svc, "bridge", json_string(options->bridge));
    }
    map_backends(m, vs, svc);
    return svc;
}

static bool
has_ipv6(const struct import_vs *vs)
{
    bool v6 = strchr(vs->vip, ':') != NULL;

    for (size_t i = 0; !v6 && i < vs->n_reals; i++) {
        v6 = strchr(vs->reals[i].ip, ':') != NULL;
    }
    return v6;
}

/* Returns the services that 'm' maps to, as a JSON array, adding to 'm'
 * the notes on what was approximated (and an error for two virtual
 * servers with one name). */
json_t *
import_to_services(struct import_model *m,
                   const struct import_options *options)
{
    json_t *services = json_array();

    for (size_t i = 0; i < m->n_vss; i++) {
        const struct import_vs *vs = &m->vss[i];
        if (vs->left_out) {
            continue;
        } else if (vs->kind == IMPORT_TUN && !options->gre
                   && has_ipv6(vs)) {
            import_refuse(m, vs->where, "virtual server %s: IPv6 through "
                          "IPIP, which in ovs-dsr is the kernel's IPv4 in "
                          "IPv4 (import with --tunnel=gre: GRE carries "
                          "either family); the whole virtual server",
                          vs->vip);
            continue;
        }
        json_t *svc = map_vs(m, vs, options);
        const char *name = json_string_value(json_object_get(svc, "name"));
        for (size_t j = 0; j < i; j++) {
            const struct import_vs *other = &m->vss[j];
            if (!other->left_out && !strcmp(other->vip, vs->vip)
                && other->port == vs->port
                && !strcmp(other->protocol, vs->protocol)) {
                import_error(m, vs->where, "virtual server %s is defined "
                             "twice (first at %s)", name, other->where);
            }
        }
        json_array_append_new(services, svc);
    }
    return services;
}

/* Checks 'services' as dsrd would, in a configuration with one bridge
 * ('bridge', or a stand-in) and no other service.  Returns NULL or the
 * error "JSONPATH: REASON", to free. */
char *
import_validate(const json_t *services, const char *bridge)
{
    json_t *doc = json_pack("{s:[{ss}], s:O}", "bridges", "name",
                            bridge ? bridge : "br0", "services", services);
    struct dsr_config cfg;

    dsr_config_init(&cfg);
    char *error = dsr_config_from_json(doc, false, &cfg);
    dsr_config_destroy(&cfg);
    json_decref(doc);
    return error;
}
