/* See trace-pins.h. */
#include <config.h>
#include "controller/trace-pins.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "controller/model.h"
#include "controller/trace.h"
#include "openvswitch/dynamic-string.h"
#include "packets.h"
#include "util.h"

/* The value after ",KEY=" or "(KEY=" in the line [line, end), or NULL. */
static const char *
find_value(const char *line, const char *end, const char *key)
{
    size_t n = strlen(key);

    for (const char *p = line + 1; p + n < end; p++) {
        if ((p[-1] == ',' || p[-1] == '(') && !strncmp(p, key, n)) {
            return p + n;
        }
    }
    return NULL;
}

/* The low 32 bits of the hexadecimal "0x..." at 's' (a 128-bit label). */
static uint32_t
parse_label_low32(const char *s)
{
    if (strncmp(s, "0x", 2)) {
        return 0;
    }
    s += 2;
    size_t len = strspn(s, "0123456789abcdefABCDEF");
    size_t skip = len > 8 ? len - 8 : 0;
    char digits[9];

    ovs_strlcpy(digits, s + skip, MIN(len - skip, 8) + 1);
    return strtoul(digits, NULL, 16);
}

/* Fills 'pin' from the entry of 'q''s connection in 'dump' and returns
 * true, or returns false if 'dump' has none. */
bool
trace_pins_find(const char *dump, const struct trace_query *q,
                struct trace_pin *pin)
{
    struct ds prefix = DS_EMPTY_INITIALIZER;
    bool found = false;

    /* OVS prints IPv6 addresses with inet_ntop(), as dsr_ip_format()
     * does. */
    ds_put_format(&prefix, "%s,orig=(src=",
                  q->ip_proto == IPPROTO_TCP ? "tcp" : "udp");
    dsr_ip_format(&q->client, &prefix);
    ds_put_cstr(&prefix, ",dst=");
    dsr_ip_format(&q->vip, &prefix);
    ds_put_format(&prefix, ",sport=%"PRIu16",dport=%"PRIu16"),",
                  q->client_port, q->vip_port);
    for (const char *line = dump; line && *line && !found; ) {
        const char *end = strchrnul(line, '\n');

        line += strspn(line, " ");
        if (!strncmp(line, ds_cstr(&prefix), prefix.length)) {
            const char *mark = find_value(line, end, "mark=");
            const char *labels = find_value(line, end, "labels=");
            const char *state = find_value(line, end, "state=");

            memset(pin, 0, sizeof *pin);
            pin->backend = htonl(mark ? strtoul(mark, NULL, 10) : 0);
            pin->service_id = labels ? parse_label_low32(labels) : 0;
            if (state) {
                size_t n = strcspn(state, ",)\n");
                ovs_strlcpy(pin->state, state,
                            MIN(n + 1, sizeof pin->state));
            }
            found = true;
        }
        line = *end ? end + 1 : NULL;
    }
    ds_destroy(&prefix);
    return found;
}
