/* See lb-slots.h. */
#include <config.h>
#include "controller/lb-slots.h"

#include <stdlib.h>
#include "util.h"

/* Fills 'out->usable' with the backends that take new connections
 * (active, deliverable and, unless 'ignore_health', not down) and
 * 'out->reachable' with those that keep their pinned connections
 * (draining ones too, and those whose MAC is not known yet, so that a
 * restart does not re-pin their connections before ARP answers). */
static void
classify_backends(const struct lb_backend_view *views, size_t n,
                  bool ignore_health, struct lb_slots *out)
{
    out->n_usable = out->n_reachable = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lb_backend_view *v = &views[i];

        if (v->state == DSR_BACKEND_DISABLED || (!ignore_health && v->down)) {
            continue;
        }
        struct pipeline_backend *r = &out->reachable[out->n_reachable++];
        r->ip = v->ip;
        r->addr = v->addr;
        r->has_mac = v->deliverable;
        r->port = v->port;
        r->mac = v->mac;
        if (v->state == DSR_BACKEND_ACTIVE && v->deliverable) {
            struct slots_backend *u = &out->usable[out->n_usable++];
            u->id = v->id;
            u->key = ntohl(v->ip);
            u->weight = v->weight;
        }
    }
}

static int
compare_slots_backends(const void *a_, const void *b_)
{
    const struct slots_backend *a = a_;
    const struct slots_backend *b = b_;

    return a->id < b->id ? -1 : a->id > b->id;
}

/* The usable backend with bucket 'id' in 'usable', sorted by id. */
static const struct slots_backend *
find_usable(const struct slots_backend *usable, size_t n, uint32_t id)
{
    struct slots_backend key = { .id = id };

    return n ? bsearch(&key, usable, n, sizeof *usable,
                       compare_slots_backends) : NULL;
}

/* Computes 'out' for a service whose operator's table is 'base' and
 * whose backends are 'views': the usable backends take the slots of the
 * others (slots_effective()).  With no usable backend, 'all_down' says
 * whether the service drops (every slot 0) or keeps the backends health
 * took out (fail static).  O(backends log backends + slots).  The caller
 * frees 'out' with lb_slots_destroy(). */
void
lb_slots_compute(const uint32_t *base, size_t n_slots,
                 const struct lb_backend_view *views, size_t n,
                 enum dsr_all_down all_down, struct lb_slots *out)
{
    out->usable = xmalloc((n + 1) * sizeof *out->usable);
    out->reachable = xmalloc((n + 1) * sizeof *out->reachable);
    classify_backends(views, n, false, out);
    if (!out->n_usable && all_down == DSR_ALL_DOWN_KEEP) {
        /* Fail static: better some backends than none. */
        classify_backends(views, n, true, out);
    }
    qsort(out->usable, out->n_usable, sizeof *out->usable,
          compare_slots_backends);

    uint32_t *slots = xmalloc(n_slots * sizeof *slots);
    slots_effective(base, n_slots, out->usable, out->n_usable, slots);
    out->n_slots = n_slots;
    out->slot_ips = xmalloc(n_slots * sizeof *out->slot_ips);
    for (size_t s = 0; s < n_slots; s++) {
        if (s && slots[s] == slots[s - 1]) {
            out->slot_ips[s] = out->slot_ips[s - 1];  /* Runs are common. */
            continue;
        }
        const struct slots_backend *u = find_usable(out->usable,
                                                    out->n_usable, slots[s]);
        out->slot_ips[s] = u ? htonl(u->key) : 0;
    }
    free(slots);
}

/* Whether the backend with 'id' takes new connections. */
bool
lb_slots_is_usable(const struct lb_slots *slots, uint32_t id)
{
    return find_usable(slots->usable, slots->n_usable, id) != NULL;
}

void
lb_slots_destroy(struct lb_slots *slots)
{
    free(slots->usable);
    free(slots->reachable);
    free(slots->slot_ips);
}
