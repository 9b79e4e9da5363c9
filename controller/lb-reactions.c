/* Reaction time of health decisions, for "dsr/health-reaction": from
 * the checker's decision (lb.c's lb_health_changed()) to OVS's reply to
 * the bundle that carries it, over the last LB_REACTION_SAMPLES. */
#include <config.h>
#include "controller/lb-private.h"

#include <stdlib.h>
#include "controller/model.h"
#include "controller/ofctrl.h"
#include "openvswitch/dynamic-string.h"
#include "timeval.h"
#include "util.h"

/* The health decisions since the last pass have been programmed: they
 * wait for OVS to commit the change that carries them. */
void
lb_reactions_note_programmed(struct lb_bridge *br)
{
    if (br->decided_usec) {
        if (br->n_waits == br->allocated_waits) {
            br->waits = x2nrealloc(br->waits, &br->allocated_waits,
                                   sizeof *br->waits);
        }
        br->waits[br->n_waits].decided_usec = br->decided_usec;
        br->waits[br->n_waits].seqno = ofctrl_get_change_seqno(br->ofctrl);
        br->n_waits++;
        br->decided_usec = 0;
    }
}

/* Records the reaction time of every health decision OVS has committed:
 * from the decision to the bundle's commit reply. */
void
lb_reactions_record(struct lb_bridge *br)
{
    struct lb *lb = CONST_CAST(struct lb *, br->lb);
    size_t kept = 0;

    for (size_t i = 0; i < br->n_waits; i++) {
        const char *error;

        if (ofctrl_get_change_state(br->ofctrl, br->waits[i].seqno, &error)
            == OFCTRL_CHANGE_PENDING) {
            br->waits[kept++] = br->waits[i];
        } else {
            lb->reactions[lb->n_reactions++ % LB_REACTION_SAMPLES]
                = time_usec() - br->waits[i].decided_usec;
        }
    }
    br->n_waits = kept;
}

static int
compare_llongs(const void *a_, const void *b_)
{
    const long long int *a = a_, *b = b_;

    return *a < *b ? -1 : *a > *b;
}

/* "dsr/health-reaction": how long health decisions took to reach OVS. */
void
lb_format_reactions(const struct lb *lb, struct ds *s)
{
    size_t n = MIN(lb->n_reactions, LB_REACTION_SAMPLES);

    if (!n) {
        ds_put_cstr(s, "no health decisions yet\n");
        return;
    }
    long long int *sorted = xmemdup(lb->reactions, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_llongs);
    ds_put_format(s, "%"PRIuSIZE" decisions: median %.3f ms, p99 %.3f ms, "
                  "max %.3f ms (decision to OVS's commit reply)\n", n,
                  sorted[n / 2] / 1000.0,
                  sorted[MIN(n - 1, n * 99 / 100)] / 1000.0,
                  sorted[n - 1] / 1000.0);
    free(sorted);
}
