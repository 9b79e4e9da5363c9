/* The load balancer: the configured services, the bridges they live on,
 * and the glue that turns both into each bridge's desired flows
 * (flows/pipeline.h) as backends' MACs and ports become known. */
#ifndef DSR_LB_H
#define DSR_LB_H 1

struct ds;
struct dsr_config;

struct lb *lb_create(struct dsr_config *);
void lb_destroy(struct lb *);
void lb_run(struct lb *);
void lb_wait(struct lb *);
void lb_format_show(const struct lb *, struct ds *);

#endif /* controller/lb.h */
