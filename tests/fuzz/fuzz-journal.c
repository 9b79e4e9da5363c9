/* libFuzzer harness: the journal that dsrd replays at start (store.c), as
 * a crash or a bad disk may leave it: the input is the journal, beside a
 * fixed snapshot.  dsrd must either load it, and then hold a
 * configuration that it can save and load again, or refuse it with an
 * error that names the journal and its line; never crash. */
#include <config.h>
#include "tests/fuzz/fuzz.h"

#include <jansson.h>
#include <stdio.h>
#include <unistd.h>
#include "controller/config.h"
#include "controller/model.h"
#include "controller/store.h"
#include "openvswitch/vlog.h"

/* A snapshot at version 3 with one service, as store.c writes them. */
static const char snapshot[] =
    "{\"version\": 3, \"next_service_id\": 2,\n"
    " \"bridges\": [{\"name\": \"br0\"}],\n"
    " \"services\": [\n"
    "  {\"name\": \"web\", \"id\": 1, \"version\": 3, "
    "\"vip\": \"10.0.0.100\", \"protocol\": \"tcp\", \"port\": 80, "
    "\"backends\": [{\"ip\": \"10.0.0.11\", \"id\": 0}]}\n"
    " ]}\n";

static void
write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "w");

    ovs_assert(f);
    ovs_assert(fwrite(data, 1, size, f) == size || !size);
    ovs_assert(!fclose(f));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *state, *journal, *audit;

    if (!state) {
        /* tmpfs: the store fsyncs what it writes. */
        char dir[] = "/dev/shm/fuzz-journal.XXXXXX";
        ovs_assert(mkdtemp(dir));
        state = xasprintf("%s/state.json", dir);
        journal = xasprintf("%s.journal", state);
        audit = xasprintf("%s.audit", state);
        vlog_set_levels(NULL, VLF_ANY_DESTINATION, VLL_OFF);
    }
    /* store_open() folds a replayed journal into a new snapshot. */
    write_file(state, snapshot, sizeof snapshot - 1);
    write_file(journal, data, size);
    unlink(audit);              /* Each input's trail starts empty. */

    struct dsr_config cfg;
    bool from_state;
    char *error;

    dsr_config_init(&cfg);
    struct store *store = store_open(state, NULL, &cfg, &from_state, &error);
    ovs_assert(from_state);
    if (store) {
        ovs_assert(cfg.version >= 3);
        fuzz_check_round_trip(&cfg);
        store_close(store);
    } else {
        fuzz_check_text(error);
        ovs_assert(!strncmp(error, journal, strlen(journal))
                   && strstr(error, ": line "));
        free(error);
    }
    dsr_config_destroy(&cfg);
    return 0;
}
