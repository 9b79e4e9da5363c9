/* The sockets of tcp and http probes, in one epoll set per check type
 * (check-socket.c).  Used by check-tcp.c and check-http.c, whose class
 * state a struct probe_sockets is. */
#ifndef DSR_CHECK_SOCKET_H
#define DSR_CHECK_SOCKET_H 1

#include <stdint.h>

struct probe;

/* Called for each unfinished probe whose socket is ready, with the epoll
 * events it is ready for.  Once it has finished a probe, it must close
 * its socket: a finished probe may wait on (a DSR-path answer) and its
 * socket, still ready, would wake the poll loop at once. */
typedef void probe_socket_ready_cb(struct probe *, uint32_t events);

/* A check type's class state.  The other three are its probe_class's
 * class_destroy, class_run and class_wait. */
struct probe_sockets *probe_sockets_create(probe_socket_ready_cb *);
void probe_sockets_destroy(void *probe_sockets);
void probe_sockets_run(void *probe_sockets);
void probe_sockets_wait(void *probe_sockets);

int probe_socket_connect(struct probe_sockets *, struct probe *,
                         uint32_t events);
void probe_socket_watch(struct probe_sockets *, struct probe *, int fd,
                        int op, uint32_t events);
void probe_socket_close(struct probe_sockets *, int fd);

#endif /* controller/check-socket.h */
