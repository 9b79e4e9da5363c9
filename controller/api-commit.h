/* A write's commit and its answer (api.c's writes): to the local store,
 * answered once OVS has the change; or proposed to a clustered store
 * (cluster.h), answered once the store has committed it and this node
 * has applied it from there. */
#ifndef DSR_API_COMMIT_H
#define DSR_API_COMMIT_H 1

#include <stdbool.h>

struct cluster;
struct dsr_config;
struct http_request;
struct txn;

/* What a successful write answers with. */
enum api_result {
    RESULT_NONE,                /* No body (204). */
    RESULT_SERVICE,             /* The service written. */
    RESULT_BACKEND,             /* Backend 'ip' of the service written. */
    RESULT_CONFIG,              /* The whole configuration. */
};

/* How to answer a write once OVS has it. */
struct api_reply {
    unsigned int status;        /* On success. */
    enum api_result result;
    const char *ip;             /* RESULT_BACKEND's backend. */
    const char *location;       /* May be NULL. */
};

/* Commits (or, with a 'cluster', proposes) 'txn', which passed
 * txn_check(), taking it; 'name' is the service written (NULL: none or
 * several).  Returns the write waiting for its answer, or NULL if it has
 * been answered already (an error). */
struct api_commit *api_commit(struct cluster *, const struct dsr_config *,
                              struct http_request *, struct txn *,
                              const char *name, const struct api_reply *);

/* Answers the write once it can, then returns true; the caller destroys
 * it.  '*retry' is then the request, unanswered, if it must be checked
 * again (a clustered write that another write came before). */
bool api_commit_run(struct api_commit *, struct http_request **retry);
long long int api_commit_deadline(const struct api_commit *);
void api_commit_destroy(struct api_commit *);

#endif /* controller/api-commit.h */
