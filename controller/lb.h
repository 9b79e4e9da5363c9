/* The load balancer: the configured services, the bridges they live on,
 * and the glue that turns both into each bridge's desired flows
 * (flows/pipeline.h) as backends' MACs and ports become known. */
#ifndef DSR_LB_H
#define DSR_LB_H 1

struct ds;
struct dsr_config;
struct dsr_service;

struct lb *lb_create(const struct dsr_config *);
void lb_add_service(struct lb *, const struct dsr_service *);
void lb_remove_service(struct lb *, const struct dsr_service *);
void lb_replace_service(struct lb *, const struct dsr_service *old,
                        const struct dsr_service *new);
void lb_destroy(struct lb *);
void lb_run(struct lb *);
void lb_wait(struct lb *);
void lb_format_show(const struct lb *, struct ds *);

#endif /* controller/lb.h */
