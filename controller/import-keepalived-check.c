/* keepalived's health checkers (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK,
 * DNS_CHECK, UDP_CHECK) mapped to ovs-dsr's health_check
 * (health-check.schema.json): delay_loop -> interval_ms, connect_timeout
 * -> timeout_ms, retry -> fall (retry + 1 failures in a row), one success
 * to come back as in keepalived.  The others (SMTP, PING, BFD, FILE) have
 * no ovs-dsr equivalent and are refused.  Part of the keepalived.conf
 * parser: see import-keepalived.c. */
#include <config.h>
#include "controller/import-keepalived-private.h"

#include <stdlib.h>
#include <string.h>
#include "controller/utf8.h"
#include "util.h"

/* keepalived checker -> ovs-dsr check type (NULL: none). */
static const struct {
    const char *name;
    const char *type;
} checkers[] = {
    {"TCP_CHECK", "tcp"}, {"HTTP_GET", "http"}, {"SSL_GET", "https"},
    {"MISC_CHECK", "exec"}, {"DNS_CHECK", "udp"}, {"UDP_CHECK", "udp"},
    {"SMTP_CHECK", NULL}, {"PING_CHECK", NULL}, {"BFD_CHECK", NULL},
    {"FILE_CHECK", NULL},
};

/* Registered HTTP statuses, for status_code ranges too wide to list. */
static const int registered_statuses[] = {
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
    300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404, 405,
    406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421,
    422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
    505, 506, 507, 508, 510, 511,
};

/* ovs-dsr's expect_status holds at most this many. */
#define MAX_STATUSES 32

bool
ka_is_checker(const struct ka_stmt *st)
{
    for (size_t i = 0; i < ARRAY_SIZE(checkers); i++) {
        if (ka_is(st, checkers[i].name)) {
            return true;
        }
    }
    return false;
}

static bool
is_registered(int status)
{
    for (size_t i = 0; i < ARRAY_SIZE(registered_statuses); i++) {
        if (registered_statuses[i] == status) {
            return true;
        }
    }
    return false;
}

/* Appends the statuses from 'lo' to 'hi' to 'list' (only registered ones
 * if 'registered_only'). */
static void
add_statuses(json_t *list, int lo, int hi, bool registered_only)
{
    for (int s = lo; s <= hi; s++) {
        if (!registered_only || is_registered(s)) {
            json_array_append_new(list, json_integer(s));
        }
    }
}

/* Sets 'key' of 'check' to the argument of 'st', which must be UTF-8
 * (jansson takes nothing else). */
static void
set_text(struct ka_parse *p, const struct ka_stmt *st, json_t *check,
         const char *key)
{
    const char *text = st->args[0].text;

    if (utf8_is_valid(text, strlen(text), NULL)) {
        json_object_set_new(check, key, json_string(text));
    } else {
        char *where = ka_where(st->kw);
        import_error(p->m, where, "%s: not UTF-8 text", st->kw->text);
        free(where);
    }
}

/* "status_code 200 300-399 ...": sets "expect_status" of 'check'. */
static void
map_status_code(struct ka_parse *p, const struct ka_stmt *st,
                json_t *check)
{
    char *where = ka_where(st->kw);
    json_t *all = json_array(), *registered = json_array();

    for (size_t i = 0; i < st->n_args; i++) {
        int lo, hi;
        char *dash = strchr(st->args[i].text, '-');
        if (dash) {
            *dash = '\0';
        }
        bool ok = (import_parse_port(st->args[i].text, &lo)
                   && import_parse_port(dash ? dash + 1 : st->args[i].text,
                                        &hi)
                   && lo >= 100 && hi <= 599 && lo <= hi);
        if (dash) {
            *dash = '-';
        }
        if (!ok) {
            import_error(p->m, where, "status_code: \"%s\" is not a status "
                         "or a range of statuses (100 to 599)",
                         st->args[i].text);
            break;
        }
        add_statuses(all, lo, hi, false);
        add_statuses(registered, lo, hi, true);
    }
    if (json_array_size(all) <= MAX_STATUSES) {
        json_object_set(check, "expect_status", all);
    } else if (json_array_size(registered) <= MAX_STATUSES) {
        json_object_set(check, "expect_status", registered);
        import_note(p->m, where, "status_code: the %zu registered HTTP "
                    "statuses of these ranges", json_array_size(registered));
    } else {
        ka_refuse_stmt(p, st, "more statuses than the 32 that ovs-dsr's "
                       "expect_status lists");
    }
    json_decref(all);
    json_decref(registered);
    free(where);
}

/* "url { path ...; digest ...; status_code ... }" of HTTP_GET/SSL_GET. */
static void
map_url(struct ka_parse *p, const struct ka_stmt *st, json_t *check)
{
    struct ka_stmt sub;

    for (size_t i = st->body; ka_next_stmt(p, &i, st->body_end, &sub); ) {
        char *where = ka_where(sub.kw);
        const char *arg = sub.n_args ? sub.args[0].text : "";
        if (ka_is(&sub, "path") && arg[0] == '/' && strlen(arg) <= 1024) {
            set_text(p, &sub, check, "path");
        } else if (ka_is(&sub, "path")) {
            import_error(p->m, where, "path: \"%s\" is not a URL path "
                         "starting with '/'", arg);
        } else if (ka_is(&sub, "digest")) {
            import_note(p->m, where, "digest: ovs-dsr does not hash the "
                        "body; only the status is checked");
        } else if (ka_is(&sub, "status_code")) {
            map_status_code(p, &sub, check);
        } else if (ka_is(&sub, "virtualhost") && sub.n_args == 1
                   && strlen(arg) <= 255) {
            set_text(p, &sub, check, "host");
        } else {
            ka_refuse_stmt(p, &sub, "no equivalent in ovs-dsr's http "
                           "check");
        }
        free(where);
    }
    if (!json_object_get(check, "expect_status")) {
        /* keepalived's default is 200-299, ovs-dsr's 200-399. */
        json_t *list = json_array();
        add_statuses(list, 200, 299, true);
        json_object_set_new(check, "expect_status", list);
    }
}

/* "misc_path "PROGRAM ARGS..."": the exec check's argv. */
static void
map_misc_path(struct ka_parse *p, const struct ka_stmt *st, json_t *check)
{
    char *copy = xstrdup(st->n_args ? st->args[0].text : "");
    json_t *argv = json_array();
    char *save = NULL;

    for (char *w = strtok_r(copy, " \t", &save); w;
         w = strtok_r(NULL, " \t", &save)) {
        if (strlen(w) <= 4096 && json_array_size(argv) < 64
            && utf8_is_valid(w, strlen(w), NULL)) {
            json_array_append_new(argv, json_string(w));
        }
    }
    if (json_array_size(argv) && st->n_args == 1) {
        json_object_set_new(check, "command", argv);
    } else {
        char *where = ka_where(st->kw);
        import_error(p->m, where, "misc_path: expected one (quoted) "
                     "command");
        free(where);
        json_decref(argv);
    }
    free(copy);
}

/* Turns 'hex' into text in 'check''s "payload" if it is printable. */
static bool
map_payload(const char *hex, json_t *check)
{
    size_t n = strlen(hex);
    char *text = xzalloc(n / 2 + 1);
    bool ok = n % 2 == 0 && n <= 2800;

    for (size_t i = 0; ok && i < n; i += 2) {
        char byte[3] = { hex[i], hex[i + 1], '\0' };
        char *end;
        long c = strtol(byte, &end, 16);
        ok = !*end && c >= 0x20 && c < 0x7f;
        text[i / 2] = c;
    }
    if (ok) {
        json_object_set_new(check, "payload", json_string(text));
    }
    free(text);
    return ok;
}

/* One setting 'sub' of a checker; 'port' is the port to check.  Returns
 * false if it is not a checker setting. */
static bool
map_setting(struct ka_parse *p, const struct ka_stmt *sub, json_t *check,
            const struct import_real *r, int *port, bool *url_seen)
{
    const char *arg = sub->n_args ? sub->args[0].text : "";
    char *where = ka_where(sub->kw);

    if (ka_is(sub, "connect_port")) {
        if (!import_parse_port(arg, port) || !*port) {
            import_error(p->m, where, "connect_port: \"%s\" is not a port",
                         arg);
        }
    } else if (ka_is(sub, "connect_ip") && strcmp(arg, r->ip)) {
        ka_refuse_stmt(p, sub, "dsrd checks a backend at its own address");
    } else if (ka_is(sub, "connect_ip")) {
        /* The default. */
    } else if (ka_is(sub, "url") && !*url_seen) {
        map_url(p, sub, check);
        *url_seen = true;
    } else if (ka_is(sub, "url")) {
        ka_refuse_stmt(p, sub, "ovs-dsr checks one URL per backend, and "
                       "this is the second");
    } else if (ka_is(sub, "misc_path")) {
        map_misc_path(p, sub, check);
    } else if (ka_is(sub, "misc_dynamic")) {
        import_note(p->m, where, "misc_dynamic: the exit status does not "
                    "set the weight; any non-zero status means down");
    } else if (ka_is(sub, "name") && sub->n_args == 1 && strlen(arg) < 254) {
        set_text(p, sub, check, "dns_name");
    } else if (ka_is(sub, "type") && strcmp(arg, "A")) {
        import_note(p->m, where, "type %s: dsrd's DNS check asks for an A "
                    "record; any DNS answer counts", arg);
    } else if (ka_is(sub, "type")) {
        /* The query dsrd sends. */
    } else if (ka_is(sub, "payload") && !map_payload(arg, check)) {
        ka_refuse_stmt(p, sub, "ovs-dsr's UDP payload is text: this one "
                       "has bytes that are not printable ASCII");
    } else if (ka_is(sub, "payload")) {
        /* Done. */
    } else if (ka_is(sub, "require_reply")) {
        json_object_set_new(check, "expect_reply", json_true());
        if (sub->n_args) {
            import_note(p->m, where, "require_reply %s: any reply counts; "
                        "its content is not compared", arg);
        }
    } else {
        free(where);
        return false;
    }
    free(where);
    return true;
}

/* Sets 'key' of 'check' to 'seconds' in ms, within 'min'..'max' ms, with a
 * note at 'where' if it had to be brought within. */
static void
set_ms(struct ka_parse *p, const char *where, json_t *check, const char *key,
       const char *setting, double seconds, int min, int max)
{
    long long ms = seconds * 1000;

    if (ms < min || ms > max) {
        import_note(p->m, where, "%s %g s: out of the range of ovs-dsr's "
                    "%s (%d to %d ms): %d ms", setting, seconds, key, min,
                    max, ms < min ? min : max);
        ms = ms < min ? min : max;
    }
    json_object_set_new(check, key, json_integer(ms));
}

/* The timers, and the defaults of each kind of check. */
static void
finish_check(struct ka_parse *p, const char *where, json_t *check,
             const char *checker, const struct ka_timers *t)
{
    const char *type = json_string_value(json_object_get(check, "type"));
    int retry = (t->retry >= 0 ? t->retry
                 : !strcmp(checker, "DNS_CHECK") ? 3
                 : !strcmp(checker, "MISC_CHECK") ? 0 : 1);

    set_ms(p, where, check, "interval_ms", "delay_loop",
           t->delay_loop >= 0 ? t->delay_loop : 60, 20, 3600000);
    set_ms(p, where, check, "timeout_ms", "connect_timeout",
           t->connect_timeout >= 0 ? t->connect_timeout : 5, 10, 60000);
    json_object_set_new(check, "rise", json_integer(1));
    json_object_set_new(check, "fall", json_integer(MIN(retry + 1, 100)));
    if (t->delay_before_retry_at) {
        char *at = ka_where(t->delay_before_retry_at);
        import_note(p->m, at, "delay_before_retry: a failing backend is "
                    "checked again after interval_ms, not sooner");
        free(at);
    }
    if (!strcmp(checker, "DNS_CHECK")) {
        json_object_set_new(check, "preset", json_string("dns"));
    } else if (!strcmp(type, "udp")) {
        if (!json_object_get(check, "expect_reply")) {
            json_object_set_new(check, "expect_reply", json_false());
        }
        if (!json_object_get(check, "payload")) {
            json_object_set_new(check, "payload", json_string(""));
        }
    } else if (!strncmp(type, "http", 4) && t->virtualhost
               && !json_object_get(check, "host")
               && strlen(t->virtualhost) <= 255) {
        json_t *host = json_string(t->virtualhost);
        if (host) {
            json_object_set_new(check, "host", host);
        }
    }
}

/* Maps checker 'st' of real server 'r' of 'vs', with the timers it
 * inherits.  Returns the health_check, or NULL if it was refused. */
json_t *
ka_map_checker(struct ka_parse *p, const struct ka_stmt *st,
               const struct ka_timers *inherited, const struct import_vs *vs,
               const struct import_real *r)
{
    const char *type = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(checkers); i++) {
        type = ka_is(st, checkers[i].name) ? checkers[i].type : type;
    }
    if (!type) {
        ka_refuse_stmt(p, st, "ovs-dsr has no such check (tcp, http, "
                       "https, udp, exec): the backend would be unchecked");
        return NULL;
    }

    struct ka_timers t = *inherited;
    json_t *check = json_pack("{ss}", "type", type);
    int port = r->port ? r->port : vs->port;
    bool url_seen = false;
    struct ka_stmt sub;

    for (size_t i = st->body; ka_next_stmt(p, &i, st->body_end, &sub); ) {
        if (ka_is(&sub, "misc_timeout")) {
            double s = sub.n_args ? atof(sub.args[0].text) : -1;
            t.connect_timeout = s > 0 ? s : t.connect_timeout;
        } else if (!ka_timer_setting(p, &sub, &t)
                   && !map_setting(p, &sub, check, r, &port, &url_seen)
                   && !ka_ignored_setting(p, &sub)) {
            ka_refuse_stmt(p, &sub, "no equivalent in ovs-dsr's checks");
        }
    }
    char *where = ka_where(st->kw);
    finish_check(p, where, check, st->kw->text, &t);
    if (!strcmp(type, "exec") && !json_object_get(check, "command")) {
        import_error(p->m, where, "MISC_CHECK without misc_path");
    } else if (strcmp(type, "exec") && !port) {
        ka_refuse_stmt(p, st, "no port to check on an all-ports service "
                       "(give connect_port)");
        json_decref(check);
        check = NULL;
    } else if (strcmp(type, "exec") && port != vs->port) {
        json_object_set_new(check, "port", json_integer(port));
    }
    free(where);
    return check;
}
