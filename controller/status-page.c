/* dsrd's status page (status-page.h). */
#include <config.h>
#include "controller/status-page.h"

#include <string.h>
#include <time.h>
#include "controller/config.h"
#include "controller/model.h"
#include "flows/slot-runs.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

static void
put_escaped(struct ds *s, const char *text)
{
    for (; text && *text; text++) {
        switch (*text) {
        case '<':
            ds_put_cstr(s, "&lt;");
            break;
        case '>':
            ds_put_cstr(s, "&gt;");
            break;
        case '&':
            ds_put_cstr(s, "&amp;");
            break;
        case '"':
            ds_put_cstr(s, "&quot;");
            break;
        case '\'':
            ds_put_cstr(s, "&#39;");
            break;
        default:
            ds_put_char(s, *text);
        }
    }
}

/* A cell: <td id="ID" class="CLASS">TEXT</td>, 'id' and 'cls' optional. */
static void
put_cell(struct ds *s, const char *id, const char *cls, const char *text)
{
    ds_put_cstr(s, "<td");
    if (id) {
        ds_put_cstr(s, " id=\"");
        put_escaped(s, id);
        ds_put_char(s, '"');
    }
    if (cls) {
        ds_put_format(s, " class=\"%s\"", cls);
    }
    ds_put_char(s, '>');
    put_escaped(s, text);
    ds_put_cstr(s, "</td>");
}

static const char *
yes_no(bool b)
{
    return b ? "yes" : "no";
}

static const char *
get_string(const json_t *j, const char *key)
{
    return json_string_value(json_object_get(j, key));
}

static void
put_bridges(struct ds *s, const json_t *status)
{
    const json_t *br;
    size_t i;

    ds_put_cstr(s, "<h2>Bridges</h2>\n<table><tr><th>bridge</th>"
                "<th>datapath</th><th>connected</th><th>in sync</th>"
                "<th>conntrack zone limit</th><th>pin timeouts</th></tr>\n");
    json_array_foreach (json_object_get(status, "bridges"), i, br) {
        const char *name = get_string(br, "name");
        bool connected = json_is_true(json_object_get(br, "connected"));
        bool synced = json_is_true(json_object_get(br, "in_sync"));
        char *id = xasprintf("br-%s-connected", name);
        char *sync_id = xasprintf("br-%s-sync", name);
        char *limit = xasprintf("%lld", json_integer_value(
                                    json_object_get(br, "ct_zone_limit")));

        ds_put_cstr(s, "<tr>");
        put_cell(s, NULL, NULL, name);
        put_cell(s, NULL, NULL, get_string(br, "datapath"));
        put_cell(s, id, yes_no(connected), yes_no(connected));
        put_cell(s, sync_id, yes_no(synced), yes_no(synced));
        put_cell(s, NULL, "num", limit);
        put_cell(s, NULL, NULL, get_string(br, "ct_timeouts_state"));
        ds_put_cstr(s, "</tr>\n");
        free(id);
        free(sync_id);
        free(limit);
    }
    ds_put_cstr(s, "</table>\n");
}

/* Each backend's share, in percent, of 'svc''s slot table before health
 * takes backends out (freed by the caller; all 0 without a table). */
static double *
slot_shares(const struct dsr_service *svc)
{
    double *share = xcalloc(svc->n_backends + 1, sizeof *share);
    uint32_t *ids = xmalloc((svc->n_backends + 1) * sizeof *ids);

    for (size_t i = 0; i < svc->n_backends; i++) {
        ids[i] = svc->backends[i].id;
    }
    if (svc->slots) {
        size_t *held = slot_runs_holdings(svc->slots, ids, svc->n_backends);
        for (size_t i = 0; i < svc->n_backends; i++) {
            share[i] = 100.0 * held[i] / svc->slots->size;
        }
        free(held);
    }
    free(ids);
    return share;
}

static const json_t *
find_by_name(const json_t *array, const char *key, const char *value)
{
    const json_t *j;
    size_t i;

    json_array_foreach (array, i, j) {
        const char *v = get_string(j, key);
        if (v && !strcmp(v, value)) {
            return j;
        }
    }
    return NULL;
}

static void
put_backend(struct ds *s, const struct dsr_service *svc,
            const struct dsr_backend *be, double slot_share, const json_t *st)
{
    char ip[INET6_ADDRSTRLEN];
    dsr_ip_to_string(&be->ip, ip);
    const char *health = st ? get_string(st, "health") : "unknown";
    /* A backend that is up may still carry its last failure's reason. */
    const char *reason = (st && strcmp(health, "up")
                          ? get_string(st, "reason") : NULL);
    bool in_slots = st && json_is_true(json_object_get(st, "in_slots"));
    char *health_text = (reason ? xasprintf("%s (%s)", health, reason)
                         : xstrdup(health));
    char *weight = xasprintf("%u", be->weight);
    char *share = xasprintf("%.1f %%", slot_share);
    const char *state = dsr_backend_state_to_string(be->state);
    const char *ids[] = { "h-", "st-", "in-", "since-", "pr-", "bps-" };
    char *id[ARRAY_SIZE(ids)];

    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        id[i] = xasprintf("%s%s-%s", ids[i], svc->name, ip);
    }
    ds_put_format(s, "<tr data-backend>");
    put_cell(s, NULL, NULL, ip);
    put_cell(s, NULL, "num", weight);
    put_cell(s, id[1], state, state);
    put_cell(s, id[0], health, health_text);
    put_cell(s, id[3], NULL, st ? get_string(st, "health_since") : NULL);
    put_cell(s, id[2], yes_no(in_slots), yes_no(in_slots));
    put_cell(s, NULL, "num", share);
    put_cell(s, NULL, NULL, st ? get_string(st, "mac") : NULL);
    put_cell(s, id[4], "num", "…");
    put_cell(s, id[5], "num", "…");
    ds_put_cstr(s, "</tr>\n");
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        free(id[i]);
    }
    free(health_text);
    free(weight);
    free(share);
}

static void
put_service(struct ds *s, const struct dsr_service *svc, const json_t *st)
{
    char vip[INET6_ADDRSTRLEN];
    const char *error = st ? get_string(st, "error") : NULL;
    bool programmed = st && json_is_true(json_object_get(st, "programmed"));
    long long healthy = json_integer_value(json_object_get(st,
                                                          "healthy_backends"));
    char *prog_id = xasprintf("s-%s-programmed", svc->name);
    char *healthy_id = xasprintf("s-%s-healthy", svc->name);
    char *healthy_text = xasprintf("%lld of %"PRIuSIZE, healthy,
                                   svc->n_backends);
    char *prog_text = (programmed ? xstrdup("yes")
                       : xasprintf("no: %s", error ? error : "pending"));

    dsr_ip_to_string(&svc->vip, vip);
    ds_put_cstr(s, "<h2>");
    put_escaped(s, svc->name);
    ds_put_format(s, "</h2>\n<table data-service><caption>");
    put_escaped(s, vip);
    ds_put_format(s, " %s port %s%u, %s DSR, hash %s, on %s; VIP "
                  "announced by the bridge's ARP responder while "
                  "programmed</caption>\n",
                  dsr_protocol_to_string(svc->protocol),
                  svc->port ? "" : "* (all) ", svc->port,
                  dsr_mode_to_string(svc->mode),
                  dsr_hash_to_string(svc->hash), svc->bridge);
    ds_put_cstr(s, "<tr><th>programmed</th>");
    put_cell(s, prog_id, yes_no(programmed), prog_text);
    ds_put_cstr(s, "<th>healthy backends</th>");
    put_cell(s, healthy_id, healthy ? "up" : "down", healthy_text);
    ds_put_cstr(s, "<th>packets/s</th>");
    char *id = xasprintf("pr-%s", svc->name);
    put_cell(s, id, "num", "…");
    free(id);
    ds_put_cstr(s, "<th>bytes/s</th>");
    id = xasprintf("bps-%s", svc->name);
    put_cell(s, id, "num", "…");
    free(id);
    ds_put_cstr(s, "</tr>\n<tr><th>backend</th><th>weight</th>"
                "<th>state</th><th>health</th><th>health since</th>"
                "<th>in slot table</th><th>slot share</th><th>MAC</th>"
                "<th>packets/s</th><th>bytes/s</th></tr>\n");
    double *shares = slot_shares(svc);
    for (size_t i = 0; i < svc->n_backends; i++) {
        char ip[INET6_ADDRSTRLEN];
        dsr_ip_to_string(&svc->backends[i].ip, ip);
        put_backend(s, svc, &svc->backends[i], shares[i],
                    find_by_name(json_object_get(st, "backends"), "ip", ip));
    }
    free(shares);
    ds_put_cstr(s, "</table>\n");
    free(prog_id);
    free(healthy_id);
    free(healthy_text);
    free(prog_text);
}

/* The last health changes, newest first, from each checked backend's
 * "health_since". */
static void
put_transitions(struct ds *s, const json_t *status)
{
    json_t *rows = json_array();
    const json_t *svc, *be;
    size_t i, j;

    json_array_foreach (json_object_get(status, "services"), i, svc) {
        json_array_foreach (json_object_get(svc, "backends"), j, be) {
            if (get_string(be, "health_since")) {
                json_array_append_new(rows, json_pack(
                    "{s:s, s:s, s:s, s:s}", "since",
                    get_string(be, "health_since"), "service",
                    get_string(svc, "name"), "ip", get_string(be, "ip"),
                    "health", get_string(be, "health")));
            }
        }
    }
    /* ISO 8601 times sort as text; a few rows, so insertion sort. */
    for (i = 1; i < json_array_size(rows); i++) {
        for (j = i; j > 0 && strcmp(
                 get_string(json_array_get(rows, j - 1), "since"),
                 get_string(json_array_get(rows, j), "since")) < 0; j--) {
            json_t *t = json_incref(json_array_get(rows, j));
            json_array_set(rows, j, json_array_get(rows, j - 1));
            json_array_set_new(rows, j - 1, t);
        }
    }
    ds_put_cstr(s, "<h2>Last health changes</h2>\n<table><tr><th>since</th>"
                "<th>service</th><th>backend</th><th>now</th></tr>\n"
                "<tbody id=\"transitions\">");
    json_array_foreach (rows, i, be) {
        if (i >= 10) {
            break;
        }
        ds_put_cstr(s, "<tr>");
        put_cell(s, NULL, NULL, get_string(be, "since"));
        put_cell(s, NULL, NULL, get_string(be, "service"));
        put_cell(s, NULL, NULL, get_string(be, "ip"));
        put_cell(s, NULL, get_string(be, "health"),
                 get_string(be, "health"));
        ds_put_cstr(s, "</tr>");
    }
    ds_put_cstr(s, "</tbody></table>\n");
    json_decref(rows);
}

static void
put_tables(struct ds *s, const struct dsr_config *cfg, const json_t *status)
{
    const struct dsr_service **sorted = dsr_config_sorted_services(cfg);

    put_bridges(s, status);
    for (size_t i = 0; sorted[i]; i++) {
        put_service(s, sorted[i],
                    find_by_name(json_object_get(status, "services"), "name",
                                 sorted[i]->name));
    }
    if (!sorted[0]) {
        ds_put_cstr(s, "<p>No services.</p>\n");
    }
    put_transitions(s, status);
    free(sorted);
}

void
status_page_render(const struct dsr_config *cfg, const json_t *status,
                   const char *nonce, struct ds *html)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    char *version = xasprintf("%"PRIu64, cfg->version);

    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    for (const char *p = status_page_template; *p; ) {
        const char *at = strchr(p, '@');
        const char *end = at ? strchr(at + 1, '@') : NULL;
        if (!end) {
            ds_put_cstr(html, p);
            break;
        }
        ds_put_buffer(html, p, at - p);
        size_t len = end - at - 1;
        if (len == 5 && !strncmp(at + 1, "NONCE", len)) {
            ds_put_cstr(html, nonce);
        } else if (len == 6 && !strncmp(at + 1, "TABLES", len)) {
            put_tables(html, cfg, status);
        } else if (len == 7 && !strncmp(at + 1, "VERSION", len)) {
            ds_put_cstr(html, DSR_VERSION);
        } else if (len == 14 && !strncmp(at + 1, "CONFIG_VERSION", len)) {
            ds_put_cstr(html, version);
        } else if (len == 4 && !strncmp(at + 1, "TIME", len)) {
            ds_put_cstr(html, now);
        } else {
            ds_put_buffer(html, at, end - at);
            p = end;
            continue;
        }
        p = end + 1;
    }
    free(version);
}
