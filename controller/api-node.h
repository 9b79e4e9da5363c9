/* GET /v1/node: this node's announce state; PUT /v1/node {"drained":
 * true|false}: drain the node (every VIP withdrawn from BGP while the
 * bridges keep forwarding established connections) or undrain it
 * (controller/announce.h).  Draining needs announce.mode "bgp". */
#ifndef DSR_API_NODE_H
#define DSR_API_NODE_H 1

struct announcer;
struct http_request;

void api_node_handle(struct announcer *, struct http_request *);

#endif /* controller/api-node.h */
