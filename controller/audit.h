/* The audit trail: who changed what, and when.
 *
 * Each accepted write is a journal record (store.c), and that record
 * carries its audit entry: the client's address, the token's name, the
 * request, the configuration's version after it, the services it touched
 * and the time.  So the entry is durable exactly when the change is.
 * When the journal is folded into the snapshot, the entries move to an
 * append-only file beside the state file (STATE.audit, a JSON object a
 * line) before the journal is emptied; versions keep a crash between the
 * two from writing an entry twice. */
#ifndef DSR_AUDIT_H
#define DSR_AUDIT_H 1

#include <jansson.h>
#include <stddef.h>
#include "openvswitch/compiler.h"

struct audit_log *audit_log_open(const char *path, char **errorp);
void audit_log_close(struct audit_log *);

void audit_log_add(struct audit_log *, json_t *entry);
char *audit_log_flush(struct audit_log *) OVS_WARN_UNUSED_RESULT;
json_t *audit_log_read(const struct audit_log *, const char *service,
                       size_t max);

void audit_set_time(json_t *entry, long long int wall_msec);

#endif /* controller/audit.h */
