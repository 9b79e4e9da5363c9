/* GET /v1/history[?service=NAME][&limit=N]: the audit trail
 * (controller/audit.h), oldest first, the last N entries (default 100),
 * only those that touched service NAME if it is given. */
#ifndef DSR_API_HISTORY_H
#define DSR_API_HISTORY_H 1

struct http_request;
struct txn_store;

void api_history_handle(struct txn_store *, struct http_request *);

#endif /* controller/api-history.h */
