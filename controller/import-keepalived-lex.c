/* keepalived.conf's words, for "dsrctl import keepalived": a tokenizer
 * that follows "include" directives (globs, relative to the including
 * file) and keeps each word's FILE:LINE, a pass that pairs the braces,
 * the walk over statements, and the settings every block may hold
 * (timers, ignored ones).  import-keepalived.c reads virtual and real
 * servers from them, import-keepalived-check.c the checkers. */
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
int
ka_read_file(const char *file, struct ds *text)
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
            int error = ka_read_file(g.gl_pathv[i], &text);
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

/* Reads 'text' ('len' bytes, the file p->files.names[0]) and, if
 * p->follow_includes, what it includes into p's tokens, and pairs the
 * braces.  Returns false, with an error in the model, if they do not
 * balance. */
bool
ka_read(struct ka_parse *p, const char *text, size_t len)
{
    tokenize(p, p->files.names[0], text, len, 0);
    return match_braces(p);
}
