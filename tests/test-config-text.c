/* Unit tests: the text of a whole configuration.  What
 * dsr_config_put_json() writes (the state file, GET /v1/config) is read
 * back the same, a service a line when laid out as written
 * (dsr_config_split_lines()), else as one document. */
#include <config.h>

#include <check.h>
#include "tests/check-config.h"
#include "tests/check-run.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "controller/config.h"
#include "controller/model.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define BRIDGE "{\"name\": \"br0\"}"

/* Loads 'text' as a state file. */
static char *
load_state(const char *text, struct dsr_config *cfg)
{
    char name[] = "/tmp/test-config-XXXXXX";
    int fd = mkstemp(name);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), strlen(text));
    close(fd);
    dsr_config_init(cfg);
    char *error = dsr_config_from_file(name, true, cfg);
    unlink(name);
    if (error) {
        /* Drop the file name. */
        char *rest = xstrdup(error + strlen(name) + 2);
        free(error);
        error = rest;
    }
    return error;
}

/* The state file is read a service (a line) at a time when laid out as
 * dsrd writes it, else as one document; both read the same, and errors
 * name the field either way. */
START_TEST(test_state_file_lines)
{
    struct dsr_config cfg, again;
    char *error = parse(
        "{\"bridges\": [" BRIDGE "], \"services\": ["
        " {\"name\": \"web\", \"vip\": \"10.0.0.100\", \"protocol\": \"tcp\","
        "  \"port\": 80, \"backends\": [{\"ip\": \"10.0.0.11\"}]},"
        " {\"name\": \"dns\", \"vip\": \"10.0.0.53\", \"protocol\": \"udp\","
        "  \"port\": 53, \"backends\": [{\"ip\": \"10.0.0.12\","
        "                                  \"weight\": 7}]}]}",
        &cfg);
    ck_assert_msg(!error, "%s", error);
    struct ds text = DS_EMPTY_INITIALIZER;
    dsr_config_put_json(&text, &cfg);
    json_t *expected = dsr_config_to_json(&cfg);

    error = load_state(ds_cstr(&text), &again);
    ck_assert_msg(!error, "%s", error);
    json_t *got = dsr_config_to_json(&again);
    ck_assert(json_equal(expected, got));
    json_decref(got);
    dsr_config_destroy(&again);

    /* Laid out otherwise. */
    char *indented = json_dumps(expected, JSON_INDENT(2));
    error = load_state(indented, &again);
    ck_assert_msg(!error, "%s", error);
    got = dsr_config_to_json(&again);
    ck_assert(json_equal(expected, got));
    json_decref(got);
    dsr_config_destroy(&again);
    free(indented);

    /* A bad value on a service's line. */
    char *bad = xstrdup(ds_cstr(&text));
    char *w = strstr(bad, "\"weight\":7");
    ck_assert_ptr_nonnull(w);
    memcpy(w, "\"weight\":0", 10);
    error = load_state(bad, &again);
    ck_assert_ptr_nonnull(error);
    ck_assert_str_eq(error,
                     "$.services[1].backends[0].weight: must be at least 1 "
                     "(got 0)");
    ck_assert_uint_eq(hmap_count(&again.services), 0);
    free(error);
    dsr_config_destroy(&again);

    /* A line that does not parse: the whole document's parse says where. */
    strcpy(bad, ds_cstr(&text));
    *strstr(bad, "\"dns\"") = '?';
    error = load_state(bad, &again);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, "line 7,"), "%s", error);
    free(error);
    dsr_config_destroy(&again);

    /* A comma missing between two services' lines: not JSON, so not the
     * layout either, and the whole document's parse says where. */
    strcpy(bad, ds_cstr(&text));
    strstr(bad, "]},\n")[2] = ' ';
    error = load_state(bad, &again);
    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, "line 7,"), "%s", error);
    free(error);
    dsr_config_destroy(&again);

    free(bad);
    json_decref(expected);
    ds_destroy(&text);
    dsr_config_destroy(&cfg);
}
END_TEST

/* A configuration of 'n' services, written by dsr_config_put_json(). */
static void
put_services(size_t n, struct dsr_config *cfg, struct ds *text)
{
    struct ds doc = DS_EMPTY_INITIALIZER;

    ds_put_cstr(&doc, "{\"bridges\": [" BRIDGE "], \"services\": [");
    for (size_t i = 0; i < n; i++) {
        ds_put_format(&doc, "%s{\"name\": \"s%"PRIuSIZE"\", \"vip\":"
                      " \"10.0.0.%"PRIuSIZE"\", \"protocol\": \"tcp\","
                      " \"port\": 80, \"backends\": [{\"ip\":"
                      " \"10.0.1.%"PRIuSIZE"\"}]}", i ? ", " : "", i,
                      100 + i, i + 1);
    }
    ds_put_cstr(&doc, "]}");
    char *error = parse(ds_cstr(&doc), cfg);
    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(hmap_count(&cfg->services), n);
    ds_destroy(&doc);
    dsr_config_put_json(text, cfg);
}

/* Splits 'text', without its last byte (its newline) if 'chop'. */
static size_t
split(const struct ds *text, bool chop, size_t *head_len,
      const char ***starts, size_t **lens)
{
    return dsr_config_split_lines(text->string, text->length - chop,
                                  head_len, starts, lens);
}

/* What dsr_config_put_json() writes, dsr_config_split_lines() splits
 * back: its head, and a line per service that is the service as
 * dsr_service_put_json() writes it.  PUT /v1/config's fast path and the
 * state file's reader rely on it. */
START_TEST(test_split_lines_reads_what_put_json_writes)
{
    static const size_t counts[] = { 0, 1, 3 };
    size_t n = counts[_i];
    struct ds text = DS_EMPTY_INITIALIZER;
    struct dsr_config cfg;

    put_services(n, &cfg, &text);
    const struct dsr_service **sorted = dsr_config_sorted_services(&cfg);
    struct ds line = DS_EMPTY_INITIALIZER;

    for (int chop = 0; chop < 2; chop++) {      /* With and without '\n'. */
        const char **starts;
        size_t head_len, *lens;

        ck_assert_uint_eq(split(&text, chop, &head_len, &starts, &lens), n);
        for (size_t i = 0; i < n; i++) {
            ds_clear(&line);
            dsr_service_put_json(&line, sorted[i]);
            ck_assert_uint_eq(lens[i], line.length);
            ck_assert(!memcmp(starts[i], line.string, line.length));
        }
        json_t *head = dsr_config_parse_head(text.string, head_len);
        json_t *whole = dsr_config_to_json(&cfg);
        json_object_set_new(whole, "services", json_array());
        ck_assert(json_equal(head, whole));
        json_decref(head);
        json_decref(whole);
        free(starts);
        free(lens);
    }
    ds_destroy(&line);
    free(sorted);
    ds_destroy(&text);
    dsr_config_destroy(&cfg);
}
END_TEST

/* Anything else is not taken for the layout: the caller then reads the
 * whole document, whose parse says what is wrong. */
START_TEST(test_split_lines_rejects_other_layouts)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    struct dsr_config cfg;
    const char **starts;
    size_t head_len, *lens;

    put_services(3, &cfg, &text);
    json_t *json = dsr_config_to_json(&cfg);
    const char *t = ds_cstr(&text);
    const char *end = strstr(t, "\n ]}");
    char *bad[] = {
        json_dumps(json, JSON_INDENT(1)),
        xstrdup(strstr(t, "\"next_service_id\"")),
        xstrdup(t),
        xasprintf("%.*s,%s", (int) (end - t), t, end),  /* Comma on last. */
        xstrdup(t),
    };
    json_decref(json);
    strstr(bad[2], "}]},\n")[3] = ' ';               /* No comma. */
    *strstr(bad[4], " ]}") = '\0';                    /* Cut short. */
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        size_t n = dsr_config_split_lines(bad[i], strlen(bad[i]), &head_len,
                                          &starts, &lens);
        ck_assert_msg(n == SIZE_MAX, "%"PRIuSIZE": %s", i, bad[i]);
        free(starts);
        free(lens);
        free(bad[i]);
    }
    ds_destroy(&text);
    dsr_config_destroy(&cfg);
}
END_TEST

/* A backend's id was called "bucket_id" in older state files: such a file
 * keeps its ids, and is written back with "id". */
START_TEST(test_old_bucket_id_is_read)
{
    struct dsr_config cfg;
    char *error = load_state(
        "{\"version\": 4, \"next_service_id\": 2,"
        " \"bridges\": [{\"name\": \"br0\"}], \"services\": ["
        "{\"name\": \"web\", \"id\": 1, \"vip\": \"10.0.0.100\","
        " \"protocol\": \"tcp\", \"port\": 80, \"backends\": ["
        "{\"ip\": \"10.0.0.11\", \"bucket_id\": 5},"
        " {\"ip\": \"10.0.0.12\", \"id\": 2}]}]}", &cfg);
    ck_assert_msg(!error, "%s", error);
    const struct dsr_service *svc = dsr_config_find_service(&cfg, "web");
    ck_assert_ptr_nonnull(svc);
    ck_assert_uint_eq(svc->backends[0].id, 5);
    ck_assert_uint_eq(svc->backends[1].id, 2);

    struct ds text = DS_EMPTY_INITIALIZER;
    dsr_config_put_json(&text, &cfg);
    ck_assert_ptr_null(strstr(ds_cstr(&text), "bucket_id"));
    ck_assert_ptr_nonnull(strstr(ds_cstr(&text), "\"id\":5"));
    ds_destroy(&text);
    dsr_config_destroy(&cfg);
}
END_TEST

/* Writes 'len' bytes of 'text' to a new file; returns its name. */
static char *
write_temp(const char *text, size_t len)
{
    char *name = xstrdup("/tmp/test-config-XXXXXX");
    int fd = mkstemp(name);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), len);
    close(fd);
    return name;
}

/* A restart reads the state file's head (its bridges) before the rest
 * (controller/early-sync.h): the head of what dsr_config_put_json()
 * writes, even cut short after it, reads as the whole file's bridges and
 * ids; a file laid out otherwise, or cut inside its head, reads as
 * nothing. */
START_TEST(test_read_head)
{
    struct ds text = DS_EMPTY_INITIALIZER;
    struct dsr_config cfg, head;

    put_services(3, &cfg, &text);
    size_t head_len = dsr_config_head_length(text.string, text.length);
    ck_assert_uint_lt(head_len, text.length);
    json_t *json = dsr_config_to_json(&cfg);
    char *other = json_dumps(json, JSON_INDENT(1));
    json_decref(json);
    struct {
        const char *text;
        size_t len;
        bool ok;
    } cases[] = {
        { text.string, text.length, true },
        { text.string, head_len + strlen("\n \"services\": [\n"), true },
        { text.string, head_len, false },
        { other, strlen(other), false },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char *name = write_temp(cases[i].text, cases[i].len);

        dsr_config_init(&head);
        ck_assert_msg(dsr_config_read_head(name, &head) == cases[i].ok,
                      "case %"PRIuSIZE, i);
        if (cases[i].ok) {
            ck_assert_uint_eq(head.n_bridges, cfg.n_bridges);
            ck_assert_str_eq(head.bridges[0].name, cfg.bridges[0].name);
            ck_assert_str_eq(head.bridges[0].target, cfg.bridges[0].target);
            ck_assert_uint_eq(head.next_service_id, cfg.next_service_id);
            ck_assert_uint_eq(hmap_count(&head.services), 0);
        }
        dsr_config_destroy(&head);
        unlink(name);
        free(name);
    }
    dsr_config_init(&head);
    ck_assert(!dsr_config_read_head("/nonexistent/state.json", &head));
    dsr_config_destroy(&head);
    free(other);
    ds_destroy(&text);
    dsr_config_destroy(&cfg);
}
END_TEST

CHECK_MAIN("config-text",
           CHECK_TEST(test_read_head),
           CHECK_LOOP_TEST(test_split_lines_reads_what_put_json_writes, 3),
           CHECK_TEST(test_split_lines_rejects_other_layouts),
           CHECK_TEST(test_old_bucket_id_is_read),
           CHECK_TEST(test_state_file_lines))
