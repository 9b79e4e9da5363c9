/* "dsrctl import": what an IPVS configuration (keepalived.conf, or
 * "ipvsadm -Sn" output) says, in a model both parsers fill, and its
 * mapping to ovs-dsr services (JSON, as service.schema.json describes
 * them).  import-keepalived.c and import-ipvsadm.c parse; import.c holds
 * the model and maps it; dsrctl-import.c is the command.  Every finding
 * names FILE:LINE:
 *
 *   - an error: the file is malformed (unbalanced braces, a bad address,
 *     an unknown lb_kind); nothing can be imported.
 *   - a refusal: a valid construct ovs-dsr cannot do (lb_kind NAT,
 *     sorry_server, fwmark...); nothing is imported unless the operator
 *     forces it, which leaves that construct out (a whole virtual server,
 *     or one item of it) and says so.
 *   - a note: what was approximated (persistence_timeout becomes the
 *     source-ip hash, an HTTP digest is not checked...). */
#ifndef DSR_IMPORT_H
#define DSR_IMPORT_H 1

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <netinet/in.h>
#include "openvswitch/compiler.h"
#include "svec.h"

/* A real server. */
struct import_real {
    char *where;                /* "FILE:LINE". */
    char *ip;                   /* IPv4 or IPv6 (RFC 5952 form). */
    int port;                   /* 0: the virtual server's. */
    int weight;                 /* 0 means drain. */
    json_t *check;              /* health_check object, or NULL. */
};

/* IPVS forwarding methods that ovs-dsr can do. */
enum import_kind {
    IMPORT_DR,                  /* Direct routing: mode l2. */
    IMPORT_TUN,                 /* IPIP tunnel: mode ipip (or gre). */
};

/* A virtual server. */
struct import_vs {
    char *where;                /* "FILE:LINE". */
    char *vip;                  /* IPv4 or IPv6 (RFC 5952 form). */
    int port;                   /* 0: all ports. */
    const char *protocol;       /* "tcp" or "udp". */
    enum import_kind kind;
    char *sched;                /* IPVS scheduler: "rr", "sh"... */
    bool persistent;            /* persistence_timeout or ipvsadm -p. */
    char *sched_where;          /* "FILE:LINE: lb_algo rr", or NULL. */
    char *persist_where;        /* "FILE:LINE: persistence_timeout". */
    bool left_out;              /* Refused as a whole. */
    struct import_real *reals;
    size_t n_reals, allocated_reals;
};

/* What a file says, and what was found about it. */
struct import_model {
    struct import_vs *vss;
    size_t n_vss, allocated_vss;
    struct svec errors;         /* "FILE:LINE: malformed ...". */
    struct svec refusals;       /* "FILE:LINE: cannot be mapped ...". */
    struct svec notes;          /* "FILE:LINE: approximated ...". */
};

/* How to map. */
struct import_options {
    bool gre;                   /* TUN -> gre instead of ipip. */
    const char *bridge;         /* Set on every service, or NULL. */
};

void import_model_init(struct import_model *);
void import_model_destroy(struct import_model *);
struct import_vs *import_add_vs(struct import_model *, const char *where);
struct import_real *import_add_real(struct import_vs *, const char *where);

void import_error(struct import_model *, const char *where,
                  const char *format, ...) OVS_PRINTF_FORMAT(3, 4);
void import_refuse(struct import_model *, const char *where,
                   const char *format, ...) OVS_PRINTF_FORMAT(3, 4);
void import_note(struct import_model *, const char *where,
                 const char *format, ...) OVS_PRINTF_FORMAT(3, 4);
void import_set_where(char **field, const char *where, const char *what);

bool import_parse_ip(const char *s, char canon[INET6_ADDRSTRLEN]);
bool import_parse_port(const char *s, int *port);

char *import_validate(const json_t *services, const char *bridge);
json_t *import_to_services(struct import_model *,
                           const struct import_options *);

/* Parsers.  'name' is what FILE:LINE shows. */
void import_keepalived_file(const char *file, struct import_model *);
void import_keepalived_buffer(const char *name, const char *text,
                              size_t len, bool follow_includes,
                              struct import_model *);
void import_ipvsadm_buffer(const char *name, const char *text, size_t len,
                           struct import_model *);

#endif /* controller/import.h */
