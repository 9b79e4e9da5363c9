/* keepalived.conf, read for "dsrctl import keepalived": a tokenizer that
 * follows "include" directives (globs, relative to the including file)
 * and keeps each word's FILE:LINE, a pass that pairs the braces, and the
 * reading of virtual_server and real_server blocks into the model of
 * import.h.  The checkers inside real servers are import-keepalived-
 * check.c's.  Everything else keepalived does (VRRP, global_defs) is not
 * a service: it is passed over with a note. */
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

/* keepalived's own limit on nested includes is about this. */
#define MAX_INCLUDE_DEPTH 8

static void tokenize(struct ka_parse *, const char *file, const char *text,
                     size_t len, int depth);

/* Returns "FILE:LINE" of 't', to free. */
char *
ka_where(const struct ka_token *t)
{
    return xasprintf("%s:%d", t->file, t->line);
}

static void
add_token(struct ka_parse *p, const char *file, int line, const char *s,
          size_t len, bool quoted)
{
    if (p->n_tokens >= p->allocated_tokens) {
        p->tokens = x2nrealloc(p->tokens, &p->allocated_tokens,
                               sizeof *p->tokens);
    }
    struct ka_token *t = &p->tokens[p->n_tokens++];
    t->text = xmemdup0(s, len);
    t->file = file;
    t->line = line;
    t->quoted = quoted;
}

/* Reads 'file' whole into 'text'.  Returns 0 or an errno. */
static int
read_file(const char *file, struct ds *text)
{
    FILE *f = fopen(file, "r");
    char buf[4096];
    size_t n;

    if (!f) {
        return errno;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        ds_put_buffer(text, buf, n);
    }
    int error = ferror(f) ? EIO : 0;
    fclose(f);
    return error;
}

/* "include PATTERN" at 'file':'line': tokenizes every file that
 * 'pattern' (relative to 'file''s directory) names, in order. */
static void
include(struct ka_parse *p, const char *file, int line, const char *pattern,
        int depth)
{
    char *where = xasprintf("%s:%d", file, line);
    const char *slash = strrchr(file, '/');
    char *full = (pattern[0] == '/' || !slash
                  ? xstrdup(pattern)
                  : xasprintf("%.*s/%s", (int) (slash - file), file,
                              pattern));
    glob_t g;

    if (!p->follow_includes) {
        import_error(p->m, where, "include %s: includes are not followed "
                     "here", pattern);
    } else if (depth >= MAX_INCLUDE_DEPTH) {
        import_error(p->m, where, "include %s: includes nested more than "
                     "%d deep (a loop?)", pattern, MAX_INCLUDE_DEPTH);
    } else if (glob(full, 0, NULL, &g)) {
        import_error(p->m, where, "include %s: no such file", full);
    } else {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct ds text = DS_EMPTY_INITIALIZER;
            int error = read_file(g.gl_pathv[i], &text);
            if (error) {
                import_error(p->m, where, "include %s: %s", g.gl_pathv[i],
                             ovs_strerror(error));
            } else {
                svec_add(&p->files, g.gl_pathv[i]);
                tokenize(p, p->files.names[p->files.n - 1], text.string,
                         text.length, depth + 1);
            }
            ds_destroy(&text);
        }
        globfree(&g);
    }
    free(full);
    free(where);
}

/* Splits one line into tokens: words, "quoted strings" and braces; '!'
 * and '#' begin a comment.  An "include" line is replaced by what it
 * includes. */
static void
tokenize_line(struct ka_parse *p, const char *file, int line,
              const char *s, const char *end, int depth)
{
    size_t first = p->n_tokens;

    while (s < end) {
        if (strchr(" \t\r\f\v", *s)) {
            s++;
        } else if (*s == '!' || *s == '#') {
            break;
        } else if (*s == '{' || *s == '}') {
            add_token(p, file, line, s++, 1, false);
        } else if (*s == '"') {
            const char *close = memchr(s + 1, '"', end - s - 1);
            if (!close) {
                char *where = xasprintf("%s:%d", file, line);
                import_error(p->m, where, "unterminated quoted string");
                free(where);
                break;
            }
            add_token(p, file, line, s + 1, close - s - 1, true);
            s = close + 1;
        } else {
            const char *word = s;
            while (s < end && !strchr(" \t\r\f\v{}\"", *s)) {
                s++;
            }
            add_token(p, file, line, word, s - word, false);
        }
    }
    if (p->n_tokens == first) {
        return;
    }
    const struct ka_token *t = &p->tokens[first];
    if (!t->quoted
        && !strncmp(t->text, "include", 7) && strlen(t->text) <= 8) {
        char *pattern = (p->n_tokens > first + 1
                         ? xstrdup(t[1].text) : NULL);
        while (p->n_tokens > first) {
            free(p->tokens[--p->n_tokens].text);
        }
        if (pattern) {
            include(p, file, line, pattern, depth);
        }
        free(pattern);
    }
}

/* Tokenizes 'text' ('len' bytes, maybe with NULs) from 'file'. */
static void
tokenize(struct ka_parse *p, const char *file, const char *text, size_t len,
         int depth)
{
    const char *end = text + len;
    int line = 1;

    for (const char *s = text; s < end; line++) {
        const char *nl = memchr(s, '\n', end - s);
        const char *eol = nl ? nl : end;
        const char *nul = memchr(s, '\0', eol - s);
        tokenize_line(p, file, line, s, nul ? nul : eol, depth);
        s = nl ? nl + 1 : end;
    }
}

/* Pairs every '{' with its '}' in 'p->match'.  Returns false, with an
 * error, if they do not balance. */
static bool
match_braces(struct ka_parse *p)
{
    size_t *stack = xmalloc((p->n_tokens + 1) * sizeof *stack);
    size_t depth = 0;
    bool ok = true;

    p->match = xcalloc(p->n_tokens + 1, sizeof *p->match);
    for (size_t i = 0; i < p->n_tokens && ok; i++) {
        const struct ka_token *t = &p->tokens[i];
        if (t->quoted) {
            continue;
        } else if (!strcmp(t->text, "{")) {
            stack[depth++] = i;
        } else if (!strcmp(t->text, "}") && !depth) {
            char *where = ka_where(t);
            import_error(p->m, where, "'}' without a matching '{'");
            free(where);
            ok = false;
        } else if (!strcmp(t->text, "}")) {
            size_t open = stack[--depth];
            p->match[open] = i;
            p->match[i] = open;
        }
    }
    if (ok && depth) {
        const struct ka_token *open = &p->tokens[stack[0]];
        const struct ka_token *kw = open;
        while (kw > p->tokens && kw[-1].file == open->file
               && kw[-1].line == open->line) {
            kw--;
        }
        char *where = ka_where(open);
        import_error(p->m, where, "'{' (of \"%s\") is never closed",
                     kw->text);
        free(where);
        ok = false;
    }
    free(stack);
    return ok;
}

static bool
is_brace(const struct ka_token *t)
{
    return !t->quoted && (!strcmp(t->text, "{") || !strcmp(t->text, "}"));
}

/* Reads the statement at '*i' (before 'end') into 'st' and moves '*i'
 * past it.  Returns false at the end. */
bool
ka_next_stmt(const struct ka_parse *p, size_t *i, size_t end,
             struct ka_stmt *st)
{
    if (*i >= end) {
        return false;
    }
    const struct ka_token *kw = &p->tokens[*i];
    size_t j = *i + 1;

    memset(st, 0, sizeof *st);
    st->kw = kw;
    st->args = kw + 1;
    if (!is_brace(kw)) {
        while (j < end && !is_brace(&p->tokens[j])
               && p->tokens[j].file == kw->file
               && p->tokens[j].line == kw->line) {
            j++;
        }
        st->n_args = j - *i - 1;
    } else {
        j = *i;             /* A block without a keyword. */
    }
    if (j < end && !strcmp(p->tokens[j].text, "{") && !p->tokens[j].quoted) {
        st->block = true;
        st->body = j + 1;
        st->body_end = p->match[j];
        j = p->match[j] + 1;
    }
    *i = MAX(j, *i + 1);
    return true;
}

bool
ka_is(const struct ka_stmt *st, const char *keyword)
{
    return !st->kw->quoted && !strcmp(st->kw->text, keyword);
}

/* Refuses 'st' (it is left out with --force), saying 'why'. */
void
ka_refuse_stmt(struct ka_parse *p, const struct ka_stmt *st,
               const char *why)
{
    char *where = ka_where(st->kw);
    import_refuse(p->m, where, "%s: %s", st->kw->text, why);
    free(where);
}

/* Settings that change nothing ovs-dsr does: noted and passed over. */
bool
ka_ignored_setting(struct ka_parse *p, const struct ka_stmt *st)
{
    static const char *const ignored[] = {
        "alpha", "omega", "warmup", "smtp_alert", "snmp_name",
        "log_all_failures", "ha_suspend", "bindto", "bind_port", "bind_if",
        "http_protocol", "fast_recovery", "enable_sni", "user",
    };

    for (size_t i = 0; i < ARRAY_SIZE(ignored); i++) {
        if (ka_is(st, ignored[i])) {
            char *where = ka_where(st->kw);
            import_note(p->m, where, "%s: ignored (no effect on what "
                        "ovs-dsr does)", st->kw->text);
            free(where);
            return true;
        }
    }
    return false;
}

/* Parses a number of seconds. */
static bool
parse_seconds(const char *s, double *value)
{
    char *end;
    double v = strtod(s, &end);

    if (end == s || *end || !(v >= 0 && v <= 86400)) {
        return false;
    }
    *value = v;
    return true;
}

/* Handles the check timers any level may set.  Returns false if 'st' is
 * not one. */
bool
ka_timer_setting(struct ka_parse *p, const struct ka_stmt *st,
                 struct ka_timers *t)
{
    double *seconds = (ka_is(st, "delay_loop") ? &t->delay_loop
                       : ka_is(st, "connect_timeout") ? &t->connect_timeout
                       : ka_is(st, "delay_before_retry")
                       ? &t->delay_before_retry : NULL);
    bool ok = true;

    if (seconds) {
        ok = st->n_args == 1 && parse_seconds(st->args[0].text, seconds);
        if (seconds == &t->delay_before_retry) {
            t->delay_before_retry_at = st->kw;
        }
    } else if (ka_is(st, "retry") || ka_is(st, "nb_get_retry")) {
        int port = 0;
        ok = st->n_args == 1 && import_parse_port(st->args[0].text, &port);
        t->retry = port;
    } else if (ka_is(st, "virtualhost")) {
        ok = st->n_args == 1;
        t->virtualhost = ok ? st->args[0].text : t->virtualhost;
    } else {
        return false;
    }
    if (!ok) {
        char *where = ka_where(st->kw);
        import_error(p->m, where, "%s: expected one %s", st->kw->text,
                     ka_is(st, "virtualhost") ? "host name" : "number");
        free(where);
    }
    return true;
}

/* Reads "real_server IP [PORT] { ... }" of 'vs', whose check settings
 * are 'vs_timers' and 'vs_inhibit'. */
static void
parse_real(struct ka_parse *p, const struct ka_stmt *st,
           struct import_vs *vs, const struct ka_timers *vs_timers,
           const struct ka_token *vs_inhibit)
{
    char *where = ka_where(st->kw);
    int port = 0;

    if (st->n_args < 1 || st->n_args > 2
        || !import_parse_ipv4(st->args[0].text)
        || (st->n_args == 2 && !import_parse_port(st->args[1].text, &port))) {
        import_error(p->m, where, "real_server: expected an IPv4 address "
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

    r->ip = xstrdup(st->args[0].text);
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
    int port = 0;

    if (!strcmp(what, "fwmark") || !strcmp(what, "group")) {
        import_refuse(p->m, where, "virtual_server %s %s: %s; the whole "
                      "virtual server",
                      what, st->n_args > 1 ? st->args[1].text : "",
                      what[0] == 'f'
                      ? "a firewall mark is invisible to OVS: ovs-dsr "
                        "matches a VIP, protocol and port"
                      : "virtual_server_group is not supported");
    } else if (strchr(what, ':')) {
        import_refuse(p->m, where, "virtual_server %s: ovs-dsr's VIPs are "
                      "IPv4; the whole virtual server", what);
    } else if (!st->block || st->n_args > 2 || !import_parse_ipv4(what)
               || (st->n_args == 2
                   && !import_parse_port(st->args[1].text, &port))) {
        import_error(p->m, where, "virtual_server: expected an IPv4 "
                     "address and a port, then '{', got \"%s%s%s\"", what,
                     st->n_args > 1 ? " " : "",
                     st->n_args > 1 ? st->args[1].text : "");
    } else {
        struct import_vs *vs = import_add_vs(p->m, where);
        struct ka_timers timers = { -1, -1, -1, -1, NULL, NULL };
        const struct ka_token *inhibit = NULL;
        struct ka_stmt sub;

        vs->vip = xstrdup(what);
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
    tokenize(&p, p.files.names[0], text, len, 0);
    if (match_braces(&p)) {
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
    int error = read_file(file, &text);

    if (error) {
        import_error(m, file, "cannot read: %s", ovs_strerror(error));
    } else {
        import_keepalived_buffer(file, ds_cstr(&text), text.length, true, m);
    }
    ds_destroy(&text);
}
