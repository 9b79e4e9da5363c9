/* See config-slots.h. */
#include <config.h>
#include "controller/config-slots.h"

#include <stdlib.h>
#include <string.h>
#include "controller/model.h"
#include "flows/slot-runs.h"
#include "flows/slots.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

static bool
is_bitmap(const char *text)
{
    return (strspn(text, "0123456789abcdef") == DSR_SLOTS / 4
            && !text[DSR_SLOTS / 4]);
}

size_t
config_slots_size(const char *text)
{
    if (is_bitmap(text)) {
        return DSR_SLOTS;
    }
    return config_slots_apply(text, NULL, DSR_SLOTS_FINE, 0)
           ? DSR_SLOTS_FINE : 0;
}

/* Parses a decimal entry number below DSR_SLOTS_FINE at '*p'. */
static bool
parse_entry(const char **p, size_t *entry)
{
    size_t n = strspn(*p, "0123456789");
    size_t value = 0;

    if (!n || n > 5) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        value = value * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *entry = value;
    return value < DSR_SLOTS_FINE;
}

/* Ranges "A" or "A-B", A <= B, separated by commas, or nothing.  With a
 * null 'table' only checks. */
static bool
apply_ranges(const char *text, uint32_t *table, uint32_t id)
{
    const char *p = text;

    while (*p) {
        size_t first, last;

        if (!parse_entry(&p, &first)) {
            return false;
        }
        last = first;
        if (*p == '-' && (p++, !parse_entry(&p, &last) || last < first)) {
            return false;
        }
        if (*p == ',') {
            if (!*++p) {
                return false;
            }
        } else if (*p) {
            return false;
        }
        for (size_t e = first; table && e <= last; e++) {
            if (table[e] == DSR_SLOT_NONE) {
                table[e] = id;
            }
        }
    }
    return true;
}

bool
config_slots_apply(const char *text, uint32_t *table, size_t n_slots,
                   uint32_t id)
{
    if (n_slots == DSR_SLOTS_FINE) {
        return !is_bitmap(text) && apply_ranges(text, NULL, id)
               && (!table || apply_ranges(text, table, id));
    }
    if (!is_bitmap(text)) {
        return false;
    }
    for (size_t s = 0; table && s < DSR_SLOTS; s += 4) {
        int nibble = hexit_value(text[s / 4]);
        for (size_t k = 0; nibble && k < 4; k++) {
            if (nibble & (8 >> k) && table[s + k] == DSR_SLOT_NONE) {
                table[s + k] = id;
            }
        }
    }
    return true;
}

static void
format_bitmap(const uint32_t *table, uint32_t id, struct ds *s)
{
    for (size_t i = 0; i < DSR_SLOTS; i += 4) {
        int nibble = 0;
        for (size_t k = 0; k < 4; k++) {
            nibble = nibble << 1 | (table[i + k] == id);
        }
        ds_put_char(s, "0123456789abcdef"[nibble]);
    }
}

/* Appends the run [first, last] to 's', a comma first unless empty. */
static void
put_run(struct ds *s, size_t first, size_t last)
{
    if (s->length) {
        ds_put_char(s, ',');
    }
    ds_put_format(s, "%"PRIuSIZE, first);
    if (last > first) {
        ds_put_format(s, "-%"PRIuSIZE, last);
    }
}

void
config_slots_format_all(const struct slot_runs *r, const uint32_t *ids,
                        size_t n, struct ds *out)
{
    for (size_t i = 0; i < n; i++) {
        ds_init(&out[i]);
    }
    if (r->size == DSR_SLOTS) {
        uint32_t *table = slot_runs_to_table(r);
        for (size_t i = 0; i < n; i++) {
            format_bitmap(table, ids[i], &out[i]);
        }
        free(table);
        return;
    }

    size_t *pos = slot_runs_positions(r, ids, n);
    for (size_t k = 0; k < r->n; k++) {
        if (pos[k] != SIZE_MAX) {
            put_run(&out[pos[k]], r->runs[k].first,
                    r->runs[k].first + slot_run_length(r, k) - 1);
        }
    }
    free(pos);
}

struct ds *
config_slots_texts(const struct dsr_service *svc)
{
    struct ds *texts = xmalloc((svc->n_backends + 1) * sizeof *texts);
    uint32_t *ids = xmalloc((svc->n_backends + 1) * sizeof *ids);

    for (size_t i = 0; i < svc->n_backends; i++) {
        ids[i] = svc->backends[i].id;
    }
    config_slots_format_all(svc->slots, ids, svc->n_backends, texts);
    free(ids);
    return texts;
}
