/* "ipvsadm -Sn" (ipvsadm-save -n) output, read for "dsrctl import
 * ipvsadm" into the model of import.h.  Each line is one ipvsadm command
 * (ipvsadm(8)): "-A -t|-u VIP:PORT [-s SCHED] [-p [TIMEOUT]]" adds a
 * virtual service, "-a -t|-u VIP:PORT -r RIP[:PORT] [-g|-i|-m] [-w W]" a
 * real server to it.  The forwarding method is the real servers' (-g,
 * direct routing, is ipvsadm's default); a service takes its first real
 * server's. */
#include <config.h>
#include "controller/import.h"

#include <stdlib.h>
#include <string.h>
#include "util.h"

/* One line being read. */
struct ipvs_line {
    struct import_model *m;
    const char *where;          /* "FILE:LINE". */
    char **words;
    size_t n, i;                /* Words, and the next one to read. */
};

/* Returns the next word, or NULL (with an error naming 'option') if there
 * is none. */
static const char *
next_arg(struct ipvs_line *l, const char *option)
{
    if (l->i >= l->n) {
        import_error(l->m, l->where, "%s needs an argument", option);
        return NULL;
    }
    return l->words[l->i++];
}

static bool
is_option(const char *w, const char *short_name, const char *long_name)
{
    return !strcmp(w, short_name) || !strcmp(w, long_name);
}

/* Refuses option 'w', with its value if the next word is one: ipvsadm -Sn
 * writes each value right after its option ("-b sh-fallback,sh-port",
 * "--tun-port 6080"), and no value starts with '-'. */
static void
refuse_option(struct ipvs_line *l, const char *w)
{
    const char *value = (l->i < l->n && l->words[l->i][0] != '-'
                         ? l->words[l->i++] : NULL);

    import_refuse(l->m, l->where, "%s%s%s: no equivalent in ovs-dsr", w,
                  value ? " " : "", value ? value : "");
}

/* Reads the service option at the current word (-t, -u, -f, --sctp-
 * service) into "KIND ADDRESS" in '*keyp'.  Returns false on an error. */
static bool
read_service(struct ipvs_line *l, char **keyp)
{
    const char *w = l->i < l->n ? l->words[l->i++] : "";
    const char *kind = (is_option(w, "-t", "--tcp-service") ? "t"
                        : is_option(w, "-u", "--udp-service") ? "u"
                        : is_option(w, "-f", "--fwmark-service") ? "f"
                        : !strcmp(w, "--sctp-service") ? "s" : NULL);
    if (!kind) {
        import_error(l->m, l->where, "expected -t, -u, -f or --sctp-service "
                     "after the command, got \"%s\"", w);
        return false;
    }
    const char *addr = next_arg(l, w);
    *keyp = addr ? xasprintf("%s %s", kind, addr) : NULL;
    return addr != NULL;
}

/* Splits "IP:PORT" or "[IPV6]:PORT" (ipvsadm -Sn's forms) into 'ip', in
 * its RFC 5952 form, and '*port'.  'port_needed': the ":PORT" must be
 * there. */
static bool
split_address(const char *s, char ip[INET6_ADDRSTRLEN], int *port,
              bool port_needed)
{
    const char *end, *colon;
    char text[INET6_ADDRSTRLEN];

    if (s[0] == '[') {
        s++;
        end = strchr(s, ']');
        if (!end || (end[1] && end[1] != ':')) {
            return false;
        }
        colon = end[1] ? end + 1 : NULL;
    } else {
        colon = strchr(s, ':');
        end = colon ? colon : s + strlen(s);
        if (colon && strchr(colon + 1, ':')) {
            return false;       /* IPv6 without brackets: where's the port? */
        }
    }

    size_t len = end - s;
    *port = 0;
    if (len >= sizeof text || (port_needed && !colon)
        || (colon && !import_parse_port(colon + 1, port))) {
        return false;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    return import_parse_ip(text, ip);
}

/* "-A SERVICE [-s SCHED] [-p [TIMEOUT]] [-M MASK]...": a virtual
 * service, keyed 'key'. */
static void
add_service(struct ipvs_line *l, const char *key, struct svec *keys)
{
    struct import_vs *vs = import_add_vs(l->m, l->where);
    char ip[INET6_ADDRSTRLEN];

    svec_add(keys, key);
    vs->vip = xstrdup(key + 2);
    vs->protocol = key[0] == 'u' ? "udp" : "tcp";
    if (key[0] == 'f' || key[0] == 's') {
        import_refuse(l->m, l->where, "%s: %s; the whole service", key + 2,
                      key[0] == 'f' ? "a firewall-mark service: the mark "
                      "is invisible to OVS, which matches VIP, protocol "
                      "and port"
                      : "SCTP: ovs-dsr balances TCP and UDP");
        vs->left_out = true;
        return;
    } else if (!split_address(key + 2, ip, &vs->port, true)) {
        import_error(l->m, l->where, "\"%s\" is not IPV4:PORT or "
                     "[IPV6]:PORT (in numbers: use ipvsadm -Sn)", key + 2);
        vs->left_out = true;
        return;
    }
    free(vs->vip);
    vs->vip = xstrdup(ip);
    while (l->i < l->n) {
        const char *w = l->words[l->i++];
        if (is_option(w, "-s", "--scheduler")) {
            const char *sched = next_arg(l, w);
            free(vs->sched);
            vs->sched = xstrdup(sched ? sched : "wlc");
            char *what = xasprintf("-s %s", vs->sched);
            import_set_where(&vs->sched_where, l->where, what);
            free(what);
        } else if (is_option(w, "-p", "--persistent")) {
            vs->persistent = true;
            import_set_where(&vs->persist_where, l->where, "-p");
            if (l->i < l->n && l->words[l->i][0] != '-') {
                l->i++;         /* The timeout. */
            }
        } else if (is_option(w, "-M", "--netmask")) {
            const char *mask = next_arg(l, w);
            if (mask && strcmp(mask, "255.255.255.255")) {
                import_refuse(l->m, l->where, "-M %s: ovs-dsr's source-ip "
                              "hash keeps each client address apart, not "
                              "a whole network", mask);
            }
        } else {
            refuse_option(l, w);
        }
    }
}

/* "-r RIP[:PORT] [-g|-i|-m] [-w W]...": the rest of an "-a" line, for
 * 'vs'. */
static void
add_server(struct ipvs_line *l, struct import_vs *vs)
{
    int method = 'g', weight = 1, port = 0;
    const char *addr = NULL;
    char ip[INET6_ADDRSTRLEN];

    while (l->i < l->n) {
        const char *w = l->words[l->i++];
        if (is_option(w, "-r", "--real-server")) {
            addr = next_arg(l, w);
        } else if (is_option(w, "-g", "--gatewaying")
                   || is_option(w, "-i", "--ipip")
                   || is_option(w, "-m", "--masquerading")) {
            method = w[1] == '-' ? w[2] : w[1];
        } else if (is_option(w, "-w", "--weight")) {
            const char *s = next_arg(l, w);
            if (s && !import_parse_port(s, &weight)) {
                import_error(l->m, l->where, "-w %s: expected 0 to 65535",
                             s);
            }
        } else if (!strcmp(w, "--tun-type")) {
            const char *type = next_arg(l, w);
            if (type && strcmp(type, "ipip")) {
                import_note(l->m, l->where, "--tun-type %s: mapped to mode "
                            "ipip, or gre with --tunnel=gre", type);
            }
        } else {
            refuse_option(l, w);
        }
    }
    if (!addr || !split_address(addr, ip, &port, false)) {
        import_error(l->m, l->where, "-r \"%s\": expected IPV4[:PORT] or "
                     "[IPV6][:PORT], in numbers", addr ? addr : "");
        return;
    }
    if (method == 'm') {
        import_refuse(l->m, l->where, "-m (masquerading, NAT): ovs-dsr does "
                      "Direct Server Return only (-g or -i); virtual "
                      "service %s%s%s:%d as a whole",
                      strchr(vs->vip, ':') ? "[" : "", vs->vip,
                      strchr(vs->vip, ':') ? "]" : "", vs->port);
        vs->left_out = true;
        return;
    }
    enum import_kind kind = method == 'i' ? IMPORT_TUN : IMPORT_DR;
    if (vs->n_reals && kind != vs->kind) {
        import_refuse(l->m, l->where, "%s: forwarded differently from the "
                      "service's first real server", addr);
        return;
    }
    vs->kind = kind;
    struct import_real *r = import_add_real(vs, l->where);
    r->ip = xstrdup(ip);
    r->port = port;
    r->weight = weight;
}

/* Reads one line's words. */
static void
read_line(struct ipvs_line *l, struct svec *keys, size_t first_vs)
{
    const char *cmd = l->words[l->i++];
    bool add_service_cmd = is_option(cmd, "-A", "--add-service");
    char *key = NULL;

    if (is_option(cmd, "-C", "--clear")) {
        return;
    } else if (!add_service_cmd && !is_option(cmd, "-a", "--add-server")) {
        import_error(l->m, l->where, "\"%s\": expected -A (a service) or "
                     "-a (a real server), as ipvsadm -Sn writes them", cmd);
    } else if (read_service(l, &key) && add_service_cmd) {
        add_service(l, key, keys);
    } else if (key) {
        size_t i = keys->n;
        while (i > 0 && strcmp(keys->names[i - 1], key)) {
            i--;
        }
        struct import_vs *vs = i ? &l->m->vss[first_vs + i - 1] : NULL;
        if (!vs) {
            import_error(l->m, l->where, "%s: no such service (-A) before "
                         "this line", key + 2);
        } else if (!vs->left_out) {
            add_server(l, vs);
        }
    }
    free(key);
}

/* Reads "ipvsadm -Sn" text 'text' ('len' bytes) named 'name' into 'm'. */
void
import_ipvsadm_buffer(const char *name, const char *text, size_t len,
                      struct import_model *m)
{
    struct svec keys = SVEC_EMPTY_INITIALIZER;
    size_t first_vs = m->n_vss;
    const char *end = text + len;
    int line = 1;

    for (const char *s = text; s < end; line++) {
        const char *nl = memchr(s, '\n', end - s);
        char *copy = xmemdup0(s, (nl ? nl : end) - s);
        struct svec words = SVEC_EMPTY_INITIALIZER;
        char *save = NULL;

        s = nl ? nl + 1 : end;
        for (char *w = strtok_r(copy, " \t\r", &save); w && w[0] != '#';
             w = strtok_r(NULL, " \t\r", &save)) {
            svec_add(&words, w);
        }
        if (words.n) {
            char *where = xasprintf("%s:%d", name, line);
            struct ipvs_line l = { m, where, words.names, words.n, 0 };
            read_line(&l, &keys, first_vs);
            free(where);
        }
        svec_destroy(&words);
        free(copy);
    }
    svec_destroy(&keys);
}
