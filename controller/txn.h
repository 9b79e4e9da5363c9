/* The write path: the only writer of the configuration in force (struct
 * dsr_config).  A transaction stages service changes, either one at a time
 * or as the difference between a whole new document (PUT /v1/config) and
 * what is in force; checks them against the rest of the configuration;
 * commits them (version, indexes, the store's journal, lb's desired flows);
 * then follows each bridge's verdict and, if OVS refuses the change, undoes
 * it as a new version.  api.c drives it, one transaction at a time; a store
 * plugs in through struct txn_store.
 *
 *     txn = txn_begin(cfg, store, lb);
 *     txn_replace(txn, old, new, "$");         (or txn_put_document())
 *     error = txn_check(txn, &kind);
 *     error = txn_commit(txn);                 (undone if it fails)
 *     ... txn_poll(txn, &error) in each main-loop pass, until not
 *     TXN_PENDING or TXN_DISCONNECTED ...
 *     txn_destroy(txn); */
#ifndef DSR_TXN_H
#define DSR_TXN_H 1

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/compiler.h"

struct dsr_config;
struct dsr_service;
struct lb;

/* One service replaced, created ('old' NULL) or deleted ('new' NULL).
 * Once committed, 'old' is out of the configuration and the transaction
 * owns it; 'new' is in it. */
struct txn_change {
    struct dsr_service *old;
    struct dsr_service *new;
};

/* Where committed changes become durable: store.c's state file, and the
 * place a clustered store plugs in.  'commit' is called with 'cfg' as it
 * is with 'changes' applied (its new version included) and returns NULL
 * once they would survive a crash, or an error having kept nothing of
 * them, in which case the transaction undoes them. */
struct txn_store {
    char *(*commit)(struct txn_store *, const struct dsr_config *cfg,
                    const struct txn_change *changes, size_t n,
                    const json_t *audit)
        OVS_WARN_UNUSED_RESULT;

    /* The audit trail, oldest first: each change's 'audit' (see
     * txn_set_audit()) with its "version", "time" and "services"; only
     * those naming 'service' if it is nonnull, and the last 'max'. */
    json_t *(*history)(struct txn_store *, const char *service, size_t max);
};

struct txn *txn_begin(struct dsr_config *, struct txn_store *, struct lb *);
void txn_destroy(struct txn *);

/* Who asked for the change, for the audit trail: the client's address,
 * the name of the token it used (NULL without tokens) and the request
 * ("PUT /v1/services/web"). */
void txn_set_audit(struct txn *, const char *client, const char *identity,
                   const char *request);

/* Staging.  txn_replace() takes 'new' (which must have been parsed against
 * the configuration with 'old' as the service it replaces); 'path' names
 * its place in the request, for errors.  txn_put_document() stages the
 * difference between document 'json' and the configuration in force:
 * the services it changes or adds, and the ones it lacks as deletions.
 * txn_put_document_lines() does the same for a document laid out as GET
 * /v1/config writes it, a service a line, parsing only the lines that
 * differ; it returns false, having staged and said nothing, if 'text' is
 * not laid out so (txn_put_document() then says what is wrong). */
void txn_replace(struct txn *, struct dsr_service *old,
                 struct dsr_service *new, const char *path);
char *txn_put_document(struct txn *, const json_t *json)
    OVS_WARN_UNUSED_RESULT;
bool txn_put_document_lines(struct txn *, const char *text, size_t len,
                            char **errorp);
size_t txn_n_changes(const struct txn *);
const struct txn_change *txn_get_changes(const struct txn *, size_t *n);

/* Makes txn_commit() give the configuration 'version' instead of the
 * next: a clustered store's version, the same on every node (cluster.c).
 * It may be lower than the one in force when a node with a history of its
 * own joins a newer store; its writes are checked against the store's
 * contents all the same, since they wait until the node follows it. */
void txn_set_version(struct txn *, uint64_t version);

/* Checks the staged changes against the configuration as it will be, as
 * the whole document would be checked; leaves the configuration as it
 * is.  Returns NULL, or an error "PATH: REASON" and its kind. */
enum txn_check_error {
    TXN_CHECK_LIMIT,            /* Over one of the configuration's limits. */
    TXN_CHECK_CONFLICT,         /* In conflict with another service. */
};
char *txn_check(struct txn *, enum txn_check_error *)
    OVS_WARN_UNUSED_RESULT;

/* Makes the checked changes the configuration in force, saved, and hands
 * them to OVS.  On an error (the store could not save them) the
 * configuration, its version and OVS's desired state are as before. */
char *txn_commit(struct txn *) OVS_WARN_UNUSED_RESULT;

/* A committed transaction's fate.  '*error' (TXN_FAILED only) is valid
 * until txn_destroy(). */
enum txn_state {
    TXN_PENDING,                /* Saved; waiting for the bridges. */
    TXN_DISCONNECTED,           /* Saved; a bridge that waits for it is
                                 * not connected and gets it once back. */
    TXN_DONE,                   /* Every bridge has committed it. */
    TXN_FAILED,                 /* OVS refused it: it is undone already,
                                 * as a new version. */
};
enum txn_state txn_poll(struct txn *, const char **error);

#endif /* controller/txn.h */
