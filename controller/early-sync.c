/* Connections opened before the state is loaded.  See early-sync.h. */
#include <config.h>
#include "controller/early-sync.h"

#include <pthread.h>
#include <string.h>
#include "controller/config.h"
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "coverage.h"
#include "latch.h"
#include "ovs-thread.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(early_sync);

COVERAGE_DEFINE(early_sync_taken);

/* How long dsrd waits for the dump requests to go out before it loads
 * anyway: a local ovs-vswitchd answers a hello in a millisecond. */
#define EARLY_WAIT_MS 200

struct early_conn {
    char *bridge;
    char *target;
    struct ofctrl *ofctrl;      /* NULL once taken. */
};

struct early_sync {
    struct early_conn *conns;
    size_t n;
};

static bool
all_reading_back(const struct early_sync *es)
{
    for (size_t i = 0; i < es->n; i++) {
        if (!ofctrl_is_reading_back(es->conns[i].ofctrl)) {
            return false;
        }
    }
    return true;
}

static void
run_all(struct early_sync *es)
{
    for (size_t i = 0; i < es->n; i++) {
        ofctrl_run(es->conns[i].ofctrl);
    }
}

static void
wait_all(struct early_sync *es)
{
    for (size_t i = 0; i < es->n; i++) {
        ofctrl_wait(es->conns[i].ofctrl);
    }
}

/* Runs the connections until each has sent its dump requests, or for
 * EARLY_WAIT_MS. */
static void
send_requests(struct early_sync *es)
{
    long long int deadline = time_msec() + EARLY_WAIT_MS;

    for (;;) {
        run_all(es);
        if (all_reading_back(es) || time_msec() >= deadline) {
            break;
        }
        wait_all(es);
        poll_timer_wait_until(deadline);
        poll_block();
    }
}

/* Returns NULL if 'state_file' is missing or not laid out as dsrd writes
 * it (the load that follows reports why). */
struct early_sync *
early_sync_start(const char *state_file)
{
    struct dsr_config head;

    dsr_config_init(&head);
    if (!dsr_config_read_head(state_file, &head) || !head.n_bridges) {
        dsr_config_destroy(&head);
        return NULL;
    }

    struct early_sync *es = xzalloc(sizeof *es);
    es->conns = xcalloc(head.n_bridges, sizeof *es->conns);
    es->n = head.n_bridges;
    for (size_t i = 0; i < es->n; i++) {
        const struct dsr_bridge_config *br = &head.bridges[i];
        struct early_conn *c = &es->conns[i];

        c->bridge = xstrdup(br->name);
        c->target = xstrdup(br->target);
        c->ofctrl = ofctrl_create(br->name, br->target, NULL, NULL);
        ofctrl_defer_sync(c->ofctrl);
        ofctrl_set_group_limit(c->ofctrl, head.next_service_id - 1);
    }
    dsr_config_destroy(&head);
    send_requests(es);
    VLOG_INFO("reading %s%"PRIuSIZE" bridges back while the state loads",
              all_reading_back(es) ? "" : "(not yet all of) ", es->n);
    return es;
}

struct load_thread {
    void (*load)(void *aux);
    void *aux;
    struct latch done;
};

static void *
load_thread_main(void *lt_)
{
    struct load_thread *lt = lt_;

    lt->load(lt->aux);
    latch_set(&lt->done);
    return NULL;
}

/* Calls 'load'(aux) on a thread of its own and meanwhile reads the
 * switches back (the decoding of their dumps is as much work as the
 * load); returns once 'load' has.  While it runs, this thread touches
 * nothing but the connections: 'load' may use anything else.  Without
 * 'es', just calls 'load'. */
void
early_sync_load(struct early_sync *es, void (*load)(void *aux), void *aux)
{
    if (!es) {
        load(aux);
        return;
    }

    struct load_thread lt = { .load = load, .aux = aux };
    latch_init(&lt.done);
    /* A plain thread: ovs_thread_create() would mark the process
     * multithreaded for good (and start RCU's thread), after which OVS
     * refuses process_start(), which exec checks need, although this
     * thread is gone by then. */
    pthread_t thread;
    int error = pthread_create(&thread, NULL, load_thread_main, &lt);
    if (error) {
        VLOG_WARN("loading on this thread: %s", ovs_strerror(error));
        latch_destroy(&lt.done);
        load(aux);
        return;
    }
    while (!latch_is_set(&lt.done)) {
        run_all(es);
        wait_all(es);
        latch_wait(&lt.done);
        poll_block();
    }
    xpthread_join(thread, NULL);
    latch_destroy(&lt.done);
}

/* Returns the connection to 'bridge' at 'target', which the caller now
 * owns, or NULL if there is none. */
struct ofctrl *
early_sync_take(struct early_sync *es, const char *bridge, const char *target)
{
    for (size_t i = 0; es && i < es->n; i++) {
        struct early_conn *c = &es->conns[i];

        if (c->ofctrl && !strcmp(c->bridge, bridge)
            && !strcmp(c->target, target)) {
            struct ofctrl *ofctrl = c->ofctrl;
            c->ofctrl = NULL;
            if (ofctrl_is_reading_back(ofctrl)) {
                COVERAGE_INC(early_sync_taken);
            }
            return ofctrl;
        }
    }
    return NULL;
}

/* Closes the connections not taken. */
void
early_sync_destroy(struct early_sync *es)
{
    if (es) {
        for (size_t i = 0; i < es->n; i++) {
            ofctrl_destroy(es->conns[i].ofctrl);
            free(es->conns[i].bridge);
            free(es->conns[i].target);
        }
        free(es->conns);
        free(es);
    }
}
