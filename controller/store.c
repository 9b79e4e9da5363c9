/* Loading and atomically saving dsrd's state file.  See store.h. */
#include <config.h>
#include "controller/store.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "controller/config.h"
#include "controller/model.h"
#include "util.h"

/* Loads the state file if there is one, else the configuration file (and
 * then writes the state file, so that ids are fixed from now on). */
char *
store_load(const char *state_file, const char *config_file,
           struct dsr_config *cfg, bool *from_state)
{
    struct stat st;
    char *error;

    *from_state = state_file && !stat(state_file, &st);
    if (*from_state) {
        return dsr_config_from_file(state_file, true, cfg);
    }
    if (!config_file) {
        return xasprintf("%s does not exist and no --config was given",
                         state_file);
    }
    error = dsr_config_from_file(config_file, false, cfg);
    if (!error && state_file) {
        error = store_save(cfg, state_file);
    }
    return error;
}

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

char *
store_save(const struct dsr_config *cfg, const char *state_file)
{
    json_t *json = dsr_config_to_json(cfg);
    char *text = json_dumps(json, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    char *tmp = xasprintf("%s.tmp", state_file);
    int error = 0;
    int fd;

    json_decref(json);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        error = errno;
    } else {
        error = write_all(fd, text, strlen(text));
        if (!error && fsync(fd)) {
            error = errno;
        }
        if (close(fd) && !error) {
            error = errno;
        }
    }
    if (!error && rename(tmp, state_file)) {
        error = errno;
    }
    if (!error) {
        error = fsync_dir_of(state_file);
    }
    if (error) {
        unlink(tmp);
    }
    free(text);
    free(tmp);
    return error ? xasprintf("%s: %s", state_file, ovs_strerror(error))
                 : NULL;
}
