/* The states of one bridge's connection and synchronization, and the one
 * place where they change.  See the diagram in ofctrl-private.h.
 *
 * ofctrl_state_next() is the whole transition table, a pure function that
 * the unit test drives without a switch; ofctrl_transition() applies it,
 * logs the change and counts it. */
#include <config.h>
#include "controller/ofctrl-private.h"

#include "coverage.h"
#include "openvswitch/vlog.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl_state);

COVERAGE_DEFINE(ofctrl_state_change);

/* The state that 'event' leads to from 'state', or OFCTRL_N_STATES if
 * 'event' cannot happen in 'state'. */
enum ofctrl_state
ofctrl_state_next(enum ofctrl_state state, enum ofctrl_event event)
{
    if (state == OFCTRL_S_NEW) {
        return event == OFCTRL_E_START ? OFCTRL_S_DISCONNECTED
                                       : OFCTRL_N_STATES;
    }
    switch (event) {
    case OFCTRL_E_START:
        return OFCTRL_N_STATES;
    case OFCTRL_E_CONNECTED:
        /* From any state: a connection may go and come back between two
         * runs. */
        return OFCTRL_S_RESYNC;
    case OFCTRL_E_DISCONNECTED:
        return OFCTRL_S_DISCONNECTED;
    case OFCTRL_E_DUMP_SENT:
        return state == OFCTRL_S_RESYNC ? OFCTRL_S_DUMPING : OFCTRL_N_STATES;
    case OFCTRL_E_DUMPED_HELD:
        return state == OFCTRL_S_DUMPING ? OFCTRL_S_HELD : OFCTRL_N_STATES;
    case OFCTRL_E_RECONCILED:
        return (state == OFCTRL_S_DUMPING || state == OFCTRL_S_HELD
                ? OFCTRL_S_READY : OFCTRL_N_STATES);
    case OFCTRL_E_BUNDLE_SENT:
        return state == OFCTRL_S_READY ? OFCTRL_S_COMMITTING : OFCTRL_N_STATES;
    case OFCTRL_E_REJECTED:
        return (state == OFCTRL_S_COMMITTING || state == OFCTRL_S_REJECTED
                ? OFCTRL_S_REJECTED : OFCTRL_N_STATES);
    case OFCTRL_E_COMMITTED:
        /* After a rejection, some of the bundle went in: what the switch
         * has is unknown. */
        return (state == OFCTRL_S_COMMITTING ? OFCTRL_S_READY
                : state == OFCTRL_S_REJECTED ? OFCTRL_S_RESYNC
                : OFCTRL_N_STATES);
    case OFCTRL_E_UNDONE:
        return (state == OFCTRL_S_COMMITTING || state == OFCTRL_S_REJECTED
                ? OFCTRL_S_READY : OFCTRL_N_STATES);
    default:
        return OFCTRL_N_STATES;
    }
}

const char *
ofctrl_state_name(enum ofctrl_state state)
{
    switch (state) {
#define OFCTRL_STATE(NAME) case OFCTRL_S_##NAME: return #NAME;
        OFCTRL_STATES
#undef OFCTRL_STATE
    case OFCTRL_N_STATES:
    default:
        return "(invalid)";
    }
}

const char *
ofctrl_event_name(enum ofctrl_event event)
{
    static const char *const names[] = {
        [OFCTRL_E_START] = "start",
        [OFCTRL_E_CONNECTED] = "connected",
        [OFCTRL_E_DISCONNECTED] = "disconnected",
        [OFCTRL_E_DUMP_SENT] = "dump sent",
        [OFCTRL_E_DUMPED_HELD] = "dumped, held",
        [OFCTRL_E_RECONCILED] = "reconciled",
        [OFCTRL_E_BUNDLE_SENT] = "bundle sent",
        [OFCTRL_E_REJECTED] = "rejected",
        [OFCTRL_E_COMMITTED] = "committed",
        [OFCTRL_E_UNDONE] = "undone",
    };

    return (event < ARRAY_SIZE(names) && names[event] ? names[event]
                                                      : "(invalid)");
}

/* Applies 'event' to 'ofc''s state.  An event that cannot happen in the
 * current state is a bug in ofctrl. */
void
ofctrl_transition(struct ofctrl *ofc, enum ofctrl_event event)
{
    enum ofctrl_state next = ofctrl_state_next(ofc->state, event);

    if (next == OFCTRL_N_STATES) {
        VLOG_ABORT("%s: no transition from %s on %s", ofc->bridge,
                   ofctrl_state_name(ofc->state), ofctrl_event_name(event));
    }
    if (next != ofc->state) {
        VLOG_DBG("%s: %s -> %s (%s)", ofc->bridge,
                 ofctrl_state_name(ofc->state), ofctrl_state_name(next),
                 ofctrl_event_name(event));
        COVERAGE_INC(ofctrl_state_change);
        ofc->state = next;
    }
}
