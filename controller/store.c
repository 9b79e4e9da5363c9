/* Snapshot + journal persistence of the configuration.  See store.h. */
#include <config.h>
#include "controller/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "controller/audit.h"
#include "controller/config.h"
#include "controller/model.h"
#include "controller/utf8.h"
#include "controller/txn.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(store);

/* The journal is folded into a snapshot once it is larger than this or
 * than the snapshot, whichever is larger. */
#define MIN_JOURNAL_BYTES (64 * 1024)

struct store {
    struct txn_store up;        /* How txn.c commits to it. */
    char *path;                 /* The snapshot. */
    char *journal_path;
    int journal_fd;
    size_t journal_bytes;
    size_t snapshot_bytes;
    struct audit_log *audit;    /* STATE.audit. */
    bool cache_only;            /* See store_set_cache_only(). */
};

static char *store_commit(struct txn_store *, const struct dsr_config *,
                          const struct txn_change *, size_t n,
                          const json_t *audit);
static json_t *store_history(struct txn_store *, const char *service,
                             size_t max);

static int
write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        data += n;
        len -= n;
    }
    return 0;
}

static int
fsync_dir_of(const char *file_name)
{
    char *dir = dir_name(file_name);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int error = 0;

    if (fd < 0 || fsync(fd)) {
        error = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return error;
}

/* Writes 'len' bytes of 'text' to 'file_name' atomically and durably. */
static int
replace_file(const char *file_name, const char *text, size_t len)
{
    char *tmp = xasprintf("%s.tmp", file_name);
    int error = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd < 0) {
        error = errno;
    } else {
        error = write_all(fd, text, len);
        if (!error && fsync(fd)) {
            error = errno;
        }
        if (close(fd) && !error) {
            error = errno;
        }
    }
    if (!error && rename(tmp, file_name)) {
        error = errno;
    }
    if (!error) {
        error = fsync_dir_of(file_name);
    }
    if (error) {
        unlink(tmp);
    }
    free(tmp);
    return error;
}

/* Whether 'record' has the shape store_commit() writes: a journal
 * damaged into other valid JSON must not be half applied. */
static bool
record_is_well_formed(const json_t *record)
{
    const json_t *version = json_object_get(record, "version");
    const json_t *next_id = json_object_get(record, "next_service_id");
    const json_t *deleted = json_object_get(record, "delete");
    const json_t *puts = json_object_get(record, "put");
    const json_t *j;
    size_t i;

    if (!json_is_integer(version) || json_integer_value(version) < 1
        || !json_is_integer(next_id) || json_integer_value(next_id) < 1
        || json_integer_value(next_id) > UINT32_MAX
        || !json_is_array(deleted) || !json_is_array(puts)
        || !json_is_object(json_object_get(record, "audit") ?: record)) {
        return false;
    }
    json_array_foreach (deleted, i, j) {
        if (!json_is_string(j)) {
            return false;
        }
    }
    json_array_foreach (puts, i, j) {
        if (!json_is_object(j)) {
            return false;
        }
    }
    return true;
}

/* Applies one journal record to 'cfg'.  Records at or below the
 * snapshot's version are already in it. */
static char *
replay_record(struct dsr_config *cfg, const json_t *record,
              struct audit_log *audit)
{
    if (!record_is_well_formed(record)) {
        return xstrdup("not a journal record (version, next_service_id, "
                       "delete and put expected)");
    }
    json_t *entry = json_object_get(record, "audit");
    if (entry) {
        audit_log_add(audit, json_incref(entry));
    }

    uint64_t version = json_integer_value(json_object_get(record, "version"));
    const json_t *deleted = json_object_get(record, "delete");
    const json_t *puts = json_object_get(record, "put");
    const json_t *j;
    size_t i;

    if (version <= cfg->version) {
        return NULL;
    }
    cfg->version = version;     /* What stamping below gives. */
    json_array_foreach (deleted, i, j) {
        struct dsr_service *svc = dsr_config_find_service(
            cfg, json_string_value(j));
        if (svc) {
            dsr_config_remove_service(cfg, svc);
            dsr_service_destroy(svc);
        }
    }
    json_array_foreach (puts, i, j) {
        const char *name = json_string_value(json_object_get(j, "name"));
        struct dsr_service *old = name ? dsr_config_find_service(cfg, name)
                                       : NULL;
        struct dsr_service *svc;
        char *error = dsr_service_from_json(cfg, j, "$.put[]", true, old,
                                            &svc);
        if (!error) {
            /* A damaged record must not leave two services with one id or
             * one endpoint: the state written next would not load. */
            const struct dsr_service *same_id
                = svc->id ? dsr_config_find_service_by_id(cfg, svc->id)
                          : NULL;
            error = (same_id && same_id != old
                     ? xasprintf("$.put[].id: duplicate id %"PRIu32, svc->id)
                     : dsr_config_check_service(cfg, svc, old, "$.put[]"));
            if (error) {
                dsr_service_destroy(svc);
            }
        }
        if (error) {
            return error;
        }
        if (old) {
            dsr_config_remove_service(cfg, old);
            dsr_service_destroy(old);
        }
        dsr_config_add_service(cfg, svc);
        /* Records have every version; a damaged one might not. */
        dsr_config_stamp_service(cfg, svc);
    }
    /* Never below an id in use (dsr_config_add_service() raised it). */
    cfg->next_service_id = MAX(cfg->next_service_id, json_integer_value(
                                   json_object_get(record,
                                                   "next_service_id")));
    return NULL;
}

/* Replays the journal onto 'cfg'.  A last line cut short by a crash was
 * never acknowledged (its fsync did not return): it is dropped, and
 * '*torn' says so.  Any other damage stops the replay with an error that
 * names the line: starting from an older configuration would take
 * acknowledged changes off the switches. */
static char *
replay_journal(const char *path, struct dsr_config *cfg,
               struct audit_log *audit, size_t *n, bool *torn)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t allocated = 0;
    ssize_t len;
    int lineno = 0;
    char *error = NULL;

    *n = 0;
    *torn = false;
    if (!f) {
        return errno == ENOENT ? NULL
                               : xasprintf("%s: %s", path,
                                           ovs_strerror(errno));
    }
    while (!error && (len = getline(&line, &allocated, f)) > 0) {
        json_error_t jerror;

        lineno++;
        if (line[len - 1] != '\n') {
            /* store_commit() writes a record and its newline at once. */
            VLOG_WARN("%s: line %d: dropping an incomplete last record",
                      path, lineno);
            *torn = true;
            break;
        }

        json_t *record = json_loadb(line, len, 0, &jerror);
        if (!record) {
            /* jansson quotes the bad bytes, which may not be UTF-8. */
            error = (utf8_is_valid(jerror.text, strlen(jerror.text), NULL)
                     ? xasprintf("%s: line %d: %s", path, lineno,
                                 jerror.text)
                     : xasprintf("%s: line %d: invalid JSON at column %d",
                                 path, lineno, jerror.column));
        } else {
            char *record_error = replay_record(cfg, record, audit);
            if (record_error) {
                error = xasprintf("%s: line %d: %s", path, lineno,
                                  record_error);
                free(record_error);
            }
            json_decref(record);
            (*n)++;
        }
    }
    free(line);
    fclose(f);
    return error;
}

static char *
open_journal(struct store *store)
{
    store->journal_fd = open(store->journal_path,
                             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (store->journal_fd < 0) {
        return xasprintf("%s: %s", store->journal_path, ovs_strerror(errno));
    }
    struct stat st;
    store->journal_bytes = fstat(store->journal_fd, &st) ? 0 : st.st_size;
    return NULL;
}

/* Writes the whole configuration as the new snapshot, then empties the
 * journal.  A crash between the two leaves journal records that the
 * snapshot already has; their versions say so. */
char *
store_snapshot(struct store *store, const struct dsr_config *cfg)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    int error;

    /* The journal holds the trail's newest entries until now. */
    char *audit_error = audit_log_flush(store->audit);
    if (audit_error) {
        return audit_error;
    }
    dsr_config_put_json(&text, cfg);
    error = replace_file(store->path, text.string, text.length);
    store->snapshot_bytes = text.length;
    ds_destroy(&text);
    if (error) {
        return xasprintf("%s: %s", store->path, ovs_strerror(error));
    }
    if (store->journal_fd >= 0
        && (ftruncate(store->journal_fd, 0) || fsync(store->journal_fd))) {
        return xasprintf("%s: %s", store->journal_path, ovs_strerror(errno));
    }
    store->journal_bytes = 0;
    return NULL;
}

struct store *
store_open(const char *state_file, const char *config_file,
           struct dsr_config *cfg, bool *from_state, char **errorp)
{
    struct store *store = xzalloc(sizeof *store);
    struct stat st;
    size_t n_records = 0;
    bool torn = false;
    char *error;

    store->up.commit = store_commit;
    store->up.history = store_history;
    store->path = xstrdup(state_file);
    store->journal_path = xasprintf("%s.journal", state_file);
    store->journal_fd = -1;

    char *audit_path = xasprintf("%s.audit", state_file);
    store->audit = audit_log_open(audit_path, &error);
    free(audit_path);
    *from_state = !stat(state_file, &st);
    if (error) {
        /* Reported below. */
    } else if (*from_state) {
        error = dsr_config_from_file(state_file, true, cfg);
        if (!error) {
            error = replay_journal(store->journal_path, cfg, store->audit,
                                   &n_records, &torn);
        }
    } else if (!config_file) {
        error = xasprintf("%s does not exist and no --config was given",
                          state_file);
    } else {
        error = dsr_config_from_file(config_file, false, cfg);
        /* A journal without its snapshot belongs to nothing. */
        unlink(store->journal_path);
    }
    if (!error) {
        error = open_journal(store);
    }
    if (!error && (!*from_state || n_records || torn)) {
        /* Start from a clean snapshot: ids are fixed from now on, and no
         * torn record stays for the next one to be appended to. */
        error = store_snapshot(store, cfg);
    }
    if (!error && !store->snapshot_bytes) {
        store->snapshot_bytes = st.st_size;
    }
    if (error) {
        store_close(store);
        *errorp = error;
        return NULL;
    }
    VLOG_INFO("state: %s (%"PRIuSIZE" journal records replayed)",
              state_file, n_records);
    *errorp = NULL;
    return store;
}

void
store_close(struct store *store)
{
    if (store) {
        if (store->journal_fd >= 0) {
            close(store->journal_fd);
        }
        audit_log_close(store->audit);
        free(store->path);
        free(store->journal_path);
        free(store);
    }
}

/* The audit entry of a change (audit.h): 'audit' with the version, the
 * time and the names of the services it touched. */
static json_t *
audit_entry(const json_t *audit, const struct dsr_config *cfg,
            const struct txn_change *changes, size_t n)
{
    json_t *entry = json_deep_copy(audit);
    json_t *services = json_array();

    for (size_t i = 0; i < n; i++) {
        const struct dsr_service *svc = (changes[i].new ? changes[i].new
                                         : changes[i].old);
        json_array_append_new(services, json_string(svc->name));
    }
    json_object_set_new(entry, "services", services);
    json_object_set_new(entry, "version", json_integer(cfg->version));
    audit_set_time(entry, time_wall_msec());
    return entry;
}

/* Makes one write durable: a journal record with the services it puts
 * and the names it deletes, the config's version after it, and who asked
 * for it. */
static char *
store_commit(struct txn_store *txn_store, const struct dsr_config *cfg,
             const struct txn_change *changes, size_t n,
             const json_t *audit)
{
    struct store *store = CONTAINER_OF(txn_store, struct store, up);
    struct ds text = DS_EMPTY_INITIALIZER;
    bool first;

    ds_put_format(&text, "{\"version\":%"PRIu64",\"next_service_id\":%"
                  PRIu32",\"delete\":[", cfg->version, cfg->next_service_id);
    first = true;
    for (size_t i = 0; i < n; i++) {
        if (!changes[i].new) {
            json_t *name = json_string(changes[i].old->name);
            char *quoted = json_dumps(name, JSON_ENCODE_ANY);
            ds_put_format(&text, "%s%s", first ? "" : ",", quoted);
            free(quoted);
            json_decref(name);
            first = false;
        }
    }
    ds_put_cstr(&text, "],\"put\":[");
    first = true;
    for (size_t i = 0; i < n; i++) {
        if (changes[i].new) {
            ds_put_cstr(&text, first ? "" : ",");
            dsr_service_put_json(&text, changes[i].new);
            first = false;
        }
    }
    json_t *entry = audit_entry(audit, cfg, changes, n);
    char *entry_text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    ds_put_format(&text, "],\"audit\":%s}\n", entry_text);

    size_t len = text.length - 1;
    int error = write_all(store->journal_fd, text.string, text.length);
    if (!error && !store->cache_only && fdatasync(store->journal_fd)) {
        error = errno;
    }
    ds_destroy(&text);
    if (error) {
        free(entry_text);
        json_decref(entry);
        /* Leave no torn record for the next one to follow. */
        if (ftruncate(store->journal_fd, store->journal_bytes)) {
            VLOG_WARN("%s: %s", store->journal_path, ovs_strerror(errno));
        }
        return xasprintf("%s: %s", store->journal_path,
                         ovs_strerror(error));
    }
    VLOG_INFO("change saved: %s", entry_text);
    free(entry_text);
    audit_log_add(store->audit, entry);
    store->journal_bytes += len + 1;
    if (store->journal_bytes > MAX(store->snapshot_bytes,
                                   MIN_JOURNAL_BYTES)) {
        char *snapshot_error = store_snapshot(store, cfg);
        if (snapshot_error) {
            /* The journal has the change: it is safe, just not folded. */
            VLOG_WARN("%s", snapshot_error);
            free(snapshot_error);
        }
    }
    return NULL;
}

static json_t *
store_history(struct txn_store *txn_store, const char *service, size_t max)
{
    struct store *store = CONTAINER_OF(txn_store, struct store, up);

    return audit_log_read(store->audit, service, max);
}

void
store_set_cache_only(struct store *store, bool cache_only)
{
    store->cache_only = cache_only;
}

struct txn_store *
store_get_txn_store(struct store *store)
{
    return &store->up;
}
