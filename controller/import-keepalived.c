/* keepalived.conf, read for "dsrctl import keepalived": the reading of
 * virtual_server and real_server blocks into the model of import.h, from
 * the statements of import-keepalived-lex.c.  The checkers inside real
 * servers are import-keepalived-check.c's.  Everything else keepalived
 * does (VRRP, global_defs) is not a service: it is passed over with a
 * note. */
#include <config.h>
#include "controller/import-keepalived-private.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "openvswitch/dynamic-string.h"
#include "util.h"

/* Reads "real_server IP [PORT] { ... }" of 'vs', whose check settings
 * are 'vs_timers' and 'vs_inhibit'. */
static void
parse_real(struct ka_parse *p, const struct ka_stmt *st,
           struct import_vs *vs, const struct ka_timers *vs_timers,
           const struct ka_token *vs_inhibit)
{
    char *where = ka_where(st->kw);
    char ip[INET6_ADDRSTRLEN];
    int port = 0;

    if (st->n_args < 1 || st->n_args > 2
        || !import_parse_ip(st->args[0].text, ip)
        || (st->n_args == 2 && !import_parse_port(st->args[1].text, &port))) {
        import_error(p->m, where, "real_server: expected an IP address "
                     "and a port, got \"%s%s%s\"",
                     st->n_args ? st->args[0].text : "",
                     st->n_args > 1 ? " " : "",
                     st->n_args > 1 ? st->args[1].text : "");
        free(where);
        return;
    }
    struct import_real *r = import_add_real(vs, where);
    struct ka_timers timers = *vs_timers;
    const struct ka_token *inhibit = vs_inhibit;
    struct ka_stmt sub, checker;
    bool have_checker = false;

    r->ip = xstrdup(ip);
    r->port = port;
    for (size_t i = st->body; ka_next_stmt(p, &i, st->body_end, &sub); ) {
        char *sub_where = ka_where(sub.kw);
        int weight = r->weight;
        if (ka_is(&sub, "weight")) {
            if (sub.n_args != 1 || !import_parse_port(sub.args[0].text,
                                                      &weight)) {
                import_error(p->m, sub_where, "weight: expected 0 to "
                             "65535");
            }
            r->weight = weight;
        } else if (ka_is(&sub, "inhibit_on_failure")) {
            bool on = !sub.n_args || strcmp(sub.args[0].text, "false");
            inhibit = on ? sub.kw : NULL;
        } else if (ka_is_checker(&sub) && !have_checker) {
            checker = sub;
            have_checker = true;
        } else if (ka_is_checker(&sub)) {
            ka_refuse_stmt(p, &sub, "ovs-dsr runs one check per backend, "
                           "and this is the real server's second");
        } else if (!ka_timer_setting(p, &sub, &timers)
                   && !ka_ignored_setting(p, &sub)) {
            ka_refuse_stmt(p, &sub, "no equivalent in ovs-dsr");
        }
        free(sub_where);
    }
    if (vs->port && port && port != vs->port) {
        import_note(p->m, where, "real_server port %d: DSR delivers the "
                    "client's packets unchanged, on port %d (IPVS's DR and "
                    "TUN do the same)", port, vs->port);
    }
    if (inhibit) {
        char *at = ka_where(inhibit);
        import_note(p->m, at, "inhibit_on_failure: a backend that "
                    "fails its check leaves the group and its pinned "
                    "connections are placed again (keepalived's weight 0 "
                    "kept them)");
        free(at);
    }
    if (have_checker) {
        r->check = ka_map_checker(p, &checker, &timers, vs, r);
    }
    free(where);
}

/* Reads "lb_kind KIND ..." into 'vs'. */
static void
parse_kind(struct ka_parse *p, const struct ka_stmt *st,
           struct import_vs *vs)
{
    const char *kind = st->n_args ? st->args[0].text : "";
    char *where = ka_where(st->kw);

    if (!strcmp(kind, "DR")) {
        vs->kind = IMPORT_DR;
    } else if (!strcmp(kind, "TUN")) {
        vs->kind = IMPORT_TUN;
        if (st->n_args >= 3 && strcmp(st->args[2].text, "ipip")) {
            import_note(p->m, where, "TUN type %s: mapped to mode ipip, or "
                        "to gre with --tunnel=gre", st->args[2].text);
        }
    } else if (!strcmp(kind, "NAT")) {
        ka_refuse_stmt(p, st, "NAT rewrites the destination and needs the "
                       "replies back through the balancer; ovs-dsr does "
                       "Direct Server Return only (DR or TUN); the whole "
                       "virtual server");
        vs->left_out = true;
    } else {
        import_error(p->m, where, "%s: unknown forwarding method \"%s\" "
                     "(NAT, DR or TUN)", st->kw->text, kind);
    }
    free(where);
}

/* Reads the settings of virtual server 'st' that are not real servers.
 * Returns whether it had an lb_kind. */
static bool
parse_vs_settings(struct ka_parse *p, const struct ka_stmt *st,
                  struct import_vs *vs, struct ka_timers *timers,
                  const struct ka_token **inhibit)
{
    static const char *const scheds[] = {
        "rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf",
        "lblcr", "sed", "nq", "twos",
    };
    struct ka_stmt sub;
    bool kind = false;

    for (size_t i = st->body; ka_next_stmt(p, &i, st->body_end, &sub); ) {
        char *where = ka_where(sub.kw);
        const char *arg = sub.n_args ? sub.args[0].text : "";
        if (ka_is(&sub, "real_server")) {
            /* Later. */
        } else if (ka_is(&sub, "lb_kind") || ka_is(&sub, "lvs_method")) {
            parse_kind(p, &sub, vs);
            kind = true;
        } else if (ka_is(&sub, "lb_algo") || ka_is(&sub, "lvs_sched")) {
            bool known = false;
            for (size_t j = 0; j < ARRAY_SIZE(scheds); j++) {
                known = known || !strcmp(arg, scheds[j]);
            }
            if (!known) {
                import_error(p->m, where, "%s: unknown scheduler \"%s\"",
                             sub.kw->text, arg);
            }
            free(vs->sched);
            vs->sched = xstrdup(arg);
            char *what = xasprintf("%s %s", sub.kw->text, arg);
            import_set_where(&vs->sched_where, where, what);
            free(what);
        } else if (ka_is(&sub, "persistence_timeout")) {
            vs->persistent = true;
            import_set_where(&vs->persist_where, where, sub.kw->text);
        } else if (ka_is(&sub, "protocol") && (!strcasecmp(arg, "TCP")
                                               || !strcasecmp(arg, "UDP"))) {
            vs->protocol = !strcasecmp(arg, "TCP") ? "tcp" : "udp";
        } else if (ka_is(&sub, "protocol") && !strcasecmp(arg, "SCTP")) {
            ka_refuse_stmt(p, &sub, "ovs-dsr balances TCP and UDP only: "
                           "(the whole virtual server)");
            vs->left_out = true;
        } else if (ka_is(&sub, "protocol")) {
            import_error(p->m, where, "protocol: unknown \"%s\" (TCP, UDP "
                         "or SCTP)", arg);
        } else if (ka_is(&sub, "inhibit_on_failure")) {
            *inhibit = sub.kw;
        } else if (!strncmp(sub.kw->text, "sorry_server", 12)) {
            ka_refuse_stmt(p, &sub, "ovs-dsr has no sorry server (with "
                           "every backend down it drops, or keeps the "
                           "last set with \"on_all_down\": \"keep\")");
        } else if (!ka_timer_setting(p, &sub, timers)
                   && !ka_ignored_setting(p, &sub)) {
            ka_refuse_stmt(p, &sub, "no equivalent in ovs-dsr");
        }
        free(where);
    }
    return kind;
}

/* Reads "virtual_server IP [PORT] { ... }". */
static void
parse_vs(struct ka_parse *p, const struct ka_stmt *st)
{
    const char *what = st->n_args ? st->args[0].text : "";
    char *where = ka_where(st->kw);
    char vip[INET6_ADDRSTRLEN];
    int port = 0;

    if (!strcmp(what, "fwmark") || !strcmp(what, "group")) {
        import_refuse(p->m, where, "virtual_server %s %s: %s; the whole "
                      "virtual server",
                      what, st->n_args > 1 ? st->args[1].text : "",
                      what[0] == 'f'
                      ? "a firewall mark is invisible to OVS: ovs-dsr "
                        "matches a VIP, protocol and port"
                      : "virtual_server_group is not supported");
    } else if (!st->block || st->n_args > 2 || !import_parse_ip(what, vip)
               || (st->n_args == 2
                   && !import_parse_port(st->args[1].text, &port))) {
        import_error(p->m, where, "virtual_server: expected an IP "
                     "address and a port, then '{', got \"%s%s%s\"", what,
                     st->n_args > 1 ? " " : "",
                     st->n_args > 1 ? st->args[1].text : "");
    } else {
        struct import_vs *vs = import_add_vs(p->m, where);
        struct ka_timers timers = { -1, -1, -1, -1, NULL, NULL };
        const struct ka_token *inhibit = NULL;
        struct ka_stmt sub;

        vs->vip = xstrdup(vip);
        vs->port = port;
        if (!parse_vs_settings(p, st, vs, &timers, &inhibit)) {
            import_refuse(p->m, where, "virtual_server %s: no lb_kind, so "
                          "keepalived's default NAT, which ovs-dsr cannot "
                          "do (it does DR or TUN); the whole virtual "
                          "server", what);
            vs->left_out = true;
        }
        for (size_t i = st->body; !vs->left_out
                 && ka_next_stmt(p, &i, st->body_end, &sub); ) {
            if (ka_is(&sub, "real_server")) {
                parse_real(p, &sub, vs, &timers, inhibit);
            }
        }
    }
    free(where);
}

/* Reads the top level: virtual servers; the rest is not a service. */
static void
parse_top(struct ka_parse *p)
{
    struct ka_stmt st;

    for (size_t i = 0; ka_next_stmt(p, &i, p->n_tokens, &st); ) {
        if (ka_is(&st, "virtual_server")) {
            parse_vs(p, &st);
        } else if (ka_is(&st, "virtual_server_group")) {
            ka_refuse_stmt(p, &st, "groups of VIPs are not supported (one "
                           "service per VIP and port)");
        } else {
            char *where = ka_where(st.kw);
            import_note(p->m, where, "%s: not a virtual server, ignored",
                        st.kw->text);
            free(where);
        }
    }
}

/* Reads keepalived.conf text 'text' ('len' bytes) named 'name' into 'm'.
 * Follows includes if 'follow_includes'. */
void
import_keepalived_buffer(const char *name, const char *text, size_t len,
                         bool follow_includes, struct import_model *m)
{
    struct ka_parse p = { .m = m, .follow_includes = follow_includes };

    svec_init(&p.files);
    svec_add(&p.files, name);
    if (ka_read(&p, text, len)) {
        parse_top(&p);
    }
    for (size_t i = 0; i < p.n_tokens; i++) {
        free(p.tokens[i].text);
    }
    free(p.tokens);
    free(p.match);
    svec_destroy(&p.files);
}

/* Reads keepalived.conf 'file' and what it includes into 'm'. */
void
import_keepalived_file(const char *file, struct import_model *m)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    int error = ka_read_file(file, &text);

    if (error) {
        import_error(m, file, "cannot read: %s", ovs_strerror(error));
    } else {
        import_keepalived_buffer(file, ds_cstr(&text), text.length, true, m);
    }
    ds_destroy(&text);
}
