/* GET /v1/trace?protocol=tcp|udp&client=IP[:PORT]&vip=IP[:PORT]: the API's
 * door to controller/trace.h, answered once the connection's pin has
 * been read from ovs-vswitchd. */
#ifndef DSR_API_TRACE_H
#define DSR_API_TRACE_H 1

struct http_request;
struct trace;

void api_trace_handle(struct trace *, struct http_request *);

#endif /* controller/api-trace.h */
