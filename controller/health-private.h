/* Internals shared by the health checker (health.c) and its check types
 * (check-*.c): one probe in flight, and what each check type implements.
 * Each type only starts, advances and finishes a probe; rise/fall and
 * state changes are health.c's, the same for all types.  Calls go one
 * way: health.c drives every type through its struct probe_class, and a
 * type hands back its verdict with probe_finish(). */
#ifndef DSR_HEALTH_PRIVATE_H
#define DSR_HEALTH_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/types.h"
#include "controller/health.h"

struct dsr_health_check;

/* One probe of one backend. */
struct probe {
    const struct probe_class *class;
    void *class_state;          /* What class_create() returned. */
    const struct dsr_health_check *check;
    struct in6_addr ip;         /* Backend's real IP (model.h's form). */
    struct in6_addr vip;
    const char *service;        /* Service name. */
    long long int started;      /* time_msec(). */
    long long int deadline;
    bool done;
    bool up;
    char reason[128];           /* Why it failed, if it did. */
    void *priv;                 /* The class's state. */
};

struct probe_class {
    /* State that all of one checker's probes of this type share (libcurl's
     * multi handle, say), or NULL members for a type that needs none.
     * health.c creates it with the checker and hands it to each probe as
     * 'class_state'; class_run() and class_wait() are called at every
     * health_run() and health_wait(), before the probes' own. */
    void *(*class_create)(void);
    void (*class_destroy)(void *class_state);
    void (*class_run)(void *class_state);
    void (*class_wait)(void *class_state);

    /* Starts 'p'; may finish it at once (e.g. socket() failed). */
    void (*start)(struct probe *p);
    /* Advances 'p'; sets p->done when it has a verdict.  NULL for a type
     * whose class_run() advances all of its probes at once. */
    void (*run)(struct probe *p);
    void (*wait)(struct probe *p);
    /* Frees what start() allocated, done or not. */
    void (*destroy)(struct probe *p);
};

void probe_finish(struct probe *, bool up, const char *reason_fmt, ...)
    OVS_PRINTF_FORMAT(3, 4);
struct sockaddr_storage;
socklen_t probe_sockaddr(const struct probe *, struct sockaddr_storage *);

extern const struct probe_class check_tcp_class;
extern const struct probe_class check_udp_class;
extern const struct probe_class check_http_class;
extern const struct probe_class check_https_class;
extern const struct probe_class check_exec_class;

/* What the check types make of the bytes a backend answers with. */
bool check_http_verdict(const struct dsr_health_check *, long status,
                        const char *body, size_t len, char *reason,
                        size_t size);

/* health-dsr.c: the DSR-path half of a probe.  What came back through the
 * data path, if anything. */
enum dsr_path_result {
    DSR_PATH_WAITING,           /* Sent, no answer yet. */
    DSR_PATH_OFF,               /* The check has no "dsr". */
    DSR_PATH_SKIPPED,           /* Could not be sent (MAC unknown, bridge
                                 * away): no verdict. */
    DSR_PATH_ANSWERED,          /* From the VIP, as clients need. */
    DSR_PATH_REFUSED,           /* TCP RST from the VIP. */
    DSR_PATH_REAL_IP,           /* UDP answer from another address. */
    DSR_PATH_BAD_REPLY,         /* UDP answer that is not one (DNS). */
};

/* One target's DSR-path probe. */
struct dsr_path {
    uint32_t service_id;
    struct in6_addr ip;         /* Backend's real IP. */
    struct in6_addr vip;        /* The probes' family is the VIP's. */
    bool tunnel;                /* gre or ipip service. */
    uint16_t sport;             /* In flight, or 0. */
    bool udp;
    bool dns;
    uint16_t dns_id;
    enum dsr_path_result result;
};

/* The source ports of the DSR-path probes in flight. */
struct dsr_ports {
    struct hmap map;            /* struct dsr_port. */
    uint16_t next;
};

void dsr_ports_init(struct dsr_ports *);
void dsr_ports_destroy(struct dsr_ports *);
void dsr_path_start(struct dsr_ports *, struct dsr_path *,
                    const struct dsr_health_check *,
                    health_dsr_send_cb *, void *aux);
void dsr_path_stop(struct dsr_ports *, struct dsr_path *);
bool dsr_path_done(const struct dsr_path *);
bool dsr_path_verdict(const struct dsr_path *, char *reason, size_t size);
struct dsr_path *dsr_ports_reply(struct dsr_ports *,
                                 const struct health_dsr_reply *);

#endif /* controller/health-private.h */
