/* Internals shared by the health checker (health.c) and its check types
 * (check-*.c): one probe in flight, and what each check type implements.
 * Each type only starts, advances and finishes a probe; rise/fall and
 * state changes are health.c's, the same for all types. */
#ifndef DSR_HEALTH_PRIVATE_H
#define DSR_HEALTH_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/types.h"

struct dsr_health_check;
struct health;

/* One probe of one backend. */
struct probe {
    const struct probe_class *class;
    struct health *health;
    const struct dsr_health_check *check;
    ovs_be32 ip;                /* Backend's real IP. */
    ovs_be32 vip;
    const char *service;        /* Service name. */
    long long int started;      /* time_msec(). */
    long long int deadline;
    bool done;
    bool up;
    char reason[128];           /* Why it failed, if it did. */
    void *priv;                 /* The class's state. */
};

struct probe_class {
    /* Starts 'p'; may finish it at once (e.g. socket() failed). */
    void (*start)(struct probe *p);
    /* Advances 'p'; sets p->done when it has a verdict. */
    void (*run)(struct probe *p);
    void (*wait)(struct probe *p);
    /* Frees what start() allocated, done or not. */
    void (*destroy)(struct probe *p);
};

void probe_finish(struct probe *, bool up, const char *reason_fmt, ...)
    OVS_PRINTF_FORMAT(3, 4);

extern const struct probe_class check_tcp_class;
extern const struct probe_class check_udp_class;
extern const struct probe_class check_http_class;
extern const struct probe_class check_exec_class;

/* What the check types make of the bytes a backend answers with. */
bool check_http_verdict(const struct dsr_health_check *, long status,
                        const char *body, size_t len, char *reason,
                        size_t size);
bool check_udp_dns_reply_ok(const uint8_t *buf, size_t n, uint16_t id);

/* HTTP checks share one libcurl multi handle, driven from health.c. */
struct http_checker *http_checker_create(void);
void http_checker_destroy(struct http_checker *);
void http_checker_run(struct http_checker *);
void http_checker_wait(struct http_checker *);
struct http_checker *health_http_checker(struct health *);

#endif /* controller/health-private.h */
