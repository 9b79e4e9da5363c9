/* The audit trail (audit.h). */
#include <config.h>

#include "controller/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(audit);

/* Past this size the file is renamed to STATE.audit.1 (replacing the
 * previous one) and a new one begins: a bounded trail, like logrotate's. */
#define AUDIT_ROTATE_BYTES (16 * 1024 * 1024)

struct audit_log {
    char *path;
    json_t *pending;            /* Entries in the journal only. */
    uint64_t last_version;      /* Of the file's last entry. */
};

static uint64_t
entry_version(const json_t *entry)
{
    return json_integer_value(json_object_get(entry, "version"));
}

/* Calls 'cb' with each entry of the file at 'path', oldest first, and
 * returns the length of its whole lines: a crash may have cut the last. */
static off_t
read_entries(const char *path, void (*cb)(json_t *, void *), void *aux)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t allocated = 0;
    ssize_t len;
    off_t whole = 0;

    while (f && (len = getline(&line, &allocated, f)) > 0
           && line[len - 1] == '\n') {
        json_t *entry = json_loadb(line, len, 0, NULL);
        whole += len;
        if (json_is_object(entry)) {
            cb(entry, aux);
        }
        json_decref(entry);
    }
    free(line);
    if (f) {
        fclose(f);
    }
    return whole;
}

static void
note_version(json_t *entry, void *last_)
{
    uint64_t *last = last_;
    *last = MAX(*last, entry_version(entry));
}

struct audit_log *
audit_log_open(const char *path, char **errorp)
{
    struct audit_log *log = xzalloc(sizeof *log);
    struct stat st;

    log->path = xstrdup(path);
    log->pending = json_array();
    off_t whole = read_entries(path, note_version, &log->last_version);
    if (!stat(path, &st) && st.st_size > whole && truncate(path, whole)) {
        *errorp = xasprintf("%s: %s", path, ovs_strerror(errno));
        audit_log_close(log);
        return NULL;
    }
    *errorp = NULL;
    return log;
}

void
audit_log_close(struct audit_log *log)
{
    if (log) {
        json_decref(log->pending);
        free(log->path);
        free(log);
    }
}

/* Takes 'entry', a change made durable by its journal record (again, when
 * the journal is replayed: entries already in the file are dropped). */
void
audit_log_add(struct audit_log *log, json_t *entry)
{
    size_t n = json_array_size(log->pending);
    uint64_t last = (n ? entry_version(json_array_get(log->pending, n - 1))
                       : log->last_version);

    if (entry_version(entry) > last) {
        json_array_append_new(log->pending, entry);
    } else {
        json_decref(entry);
    }
}

static int
append_pending(const struct audit_log *log)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    size_t i;
    json_t *entry;

    json_array_foreach (log->pending, i, entry) {
        char *line = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
        ds_put_format(&text, "%s\n", line);
        free(line);
    }

    int fd = open(log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                  0600);
    int error = fd < 0 ? errno : 0;
    const char *p = text.string;
    size_t left = text.length;
    while (!error && left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno != EINTR) {
            error = errno;
        } else if (n > 0) {
            p += n;
            left -= n;
        }
    }
    if (!error && fdatasync(fd)) {
        error = errno;
    }
    if (fd >= 0) {
        close(fd);
    }
    ds_destroy(&text);
    return error;
}

/* Moves the pending entries into the file, durably: call it before the
 * journal that holds them is emptied. */
char *
audit_log_flush(struct audit_log *log)
{
    size_t n = json_array_size(log->pending);
    struct stat st;

    if (!n) {
        return NULL;
    }
    if (!stat(log->path, &st) && st.st_size > AUDIT_ROTATE_BYTES) {
        char *old = xasprintf("%s.1", log->path);
        if (rename(log->path, old)) {
            VLOG_WARN("%s: %s", old, ovs_strerror(errno));
        }
        free(old);
    }
    int error = append_pending(log);
    if (error) {
        return xasprintf("%s: %s", log->path, ovs_strerror(error));
    }
    log->last_version = entry_version(json_array_get(log->pending, n - 1));
    json_array_clear(log->pending);
    return NULL;
}

struct history {
    const char *service;
    json_t *entries;
};

static bool
names_service(const json_t *entry, const char *service)
{
    const json_t *name;
    size_t i;

    json_array_foreach (json_object_get(entry, "services"), i, name) {
        if (!strcmp(json_string_value(name), service)) {
            return true;
        }
    }
    return false;
}

static void
collect(json_t *entry, void *h_)
{
    struct history *h = h_;

    if (!h->service || names_service(entry, h->service)) {
        json_array_append(h->entries, entry);
    }
}

/* The trail, oldest first: the file's entries, then the pending ones;
 * those naming 'service' if it is nonnull; the last 'max' of them. */
json_t *
audit_log_read(const struct audit_log *log, const char *service, size_t max)
{
    struct history h = { service, json_array() };
    size_t i;
    json_t *entry;

    read_entries(log->path, collect, &h);
    json_array_foreach (log->pending, i, entry) {
        collect(entry, &h);
    }
    size_t n = json_array_size(h.entries);
    if (n <= max) {
        return h.entries;
    }
    json_t *last = json_array();
    for (i = n - max; i < n; i++) {
        json_array_append(last, json_array_get(h.entries, i));
    }
    json_decref(h.entries);
    return last;
}

/* Sets "time" in 'entry' to 'wall_msec' in ISO 8601, UTC, to the
 * millisecond. */
void
audit_set_time(json_t *entry, long long int wall_msec)
{
    char text[40];
    time_t t = wall_msec / 1000;
    struct tm tm;
    size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S",
                        gmtime_r(&t, &tm));

    snprintf(text + n, sizeof text - n, ".%03lldZ", wall_msec % 1000);
    json_object_set_new(entry, "time", json_string(text));
}
