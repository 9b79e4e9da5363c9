/* The sockets of tcp and http probes, in one epoll set per check type
 * (check-socket.c).  Used by check-tcp.c and check-http.c, whose class
 * state a struct probe_sockets is. */
#ifndef DSR_CHECK_SOCKET_H
#define DSR_CHECK_SOCKET_H 1

#include <stdint.h>

struct probe;

struct probe_sockets *probe_sockets_create(void);
void probe_sockets_destroy(struct probe_sockets *);
void probe_sockets_run(struct probe_sockets *,
                       void (*ready)(struct probe *, uint32_t events));
void probe_sockets_wait(const struct probe_sockets *);

int probe_socket_connect(struct probe_sockets *, struct probe *,
                         uint32_t events);
void probe_socket_watch(struct probe_sockets *, struct probe *, int fd,
                        int op, uint32_t events);
void probe_socket_close(struct probe_sockets *, int fd);

#endif /* controller/check-socket.h */
