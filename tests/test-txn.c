/* Unit tests: the write path (controller/txn.c) with a real state file and
 * a real lb whose bridge never connects (ofctrl connects only in its first
 * run, which never comes).  OVS's verdict is driven by wrapping
 * lb_get_change_state() at link time (see Makefile.am), and a failed
 * fsync by a store that fails on demand or by a file size limit. */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "controller/config.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/store.h"
#include "controller/txn.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define SERVICE(NAME, VIP, WEIGHT) \
    "{\"name\": \"" NAME "\", \"vip\": \"" VIP "\", \"protocol\": \"tcp\"," \
    " \"port\": 80, \"backends\": [{\"ip\": \"10.0.1.1\", \"weight\": " \
    WEIGHT "}, {\"ip\": \"10.0.1.2\"}]}"
#define SERVICE_C SERVICE("c", "10.0.0.3", "100")
#define SERVICE_A SERVICE("a", "10.0.0.1", "100")
#define SERVICE_B SERVICE("b", "10.0.0.2", "100")
#define DOCUMENT(SERVICES) \
    "{\"bridges\": [{\"name\": \"br0\", \"target\": \"unix:%s/br0.mgmt\"}]," \
    " \"limits\": {\"max_services\": 3}," \
    " \"services\": [" SERVICES "]}"

/* OVS's verdict, as lb_get_change_state() reports it to txn.c. */
enum verdict {
    VERDICT_REAL,               /* What lb says: pending, disconnected. */
    VERDICT_DONE,
    VERDICT_REFUSED,
};
static enum verdict verdict;

enum lb_change_state __real_lb_get_change_state(const struct lb *,
                                                const struct lb_change *,
                                                const char **error);
enum lb_change_state __wrap_lb_get_change_state(const struct lb *,
                                                const struct lb_change *,
                                                const char **error);

enum lb_change_state
__wrap_lb_get_change_state(const struct lb *lb,
                           const struct lb_change *change,
                           const char **error)
{
    switch (verdict) {
    case VERDICT_DONE:
        *error = NULL;
        return LB_CHANGE_DONE;
    case VERDICT_REFUSED:
        *error = "OFPBFC_MSG_FAILED";
        return LB_CHANGE_FAILED;
    case VERDICT_REAL:
        break;
    }
    return __real_lb_get_change_state(lb, change, error);
}

/* A store in front of the real one that fails its next 'fail' commits
 * without saving anything, as a failed fsync would. */
struct failing_store {
    struct txn_store up;
    struct txn_store *real;
    int fail;
};

static char *
failing_store_commit(struct txn_store *store_, const struct dsr_config *cfg,
                     const struct txn_change *changes, size_t n,
                     const json_t *audit)
{
    struct failing_store *store = CONTAINER_OF(store_, struct failing_store,
                                               up);
    if (store->fail > 0) {
        store->fail--;
        return xstrdup("journal: Input/output error");
    }
    return store->real->commit(store->real, cfg, changes, n, audit);
}

/* dsrd as the API sees it, on a temporary state directory. */
struct fixture {
    char dir[32];
    char *state_file;
    struct dsr_config cfg;
    struct store *store;
    struct failing_store failing;
    struct lb *lb;
};

static void
fixture_init(struct fixture *f, const char *document)
{
    strcpy(f->dir, "/tmp/test-txn.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));

    char *config_file = xasprintf("%s/dsrd.json", f->dir);
    FILE *file = fopen(config_file, "w");
    ck_assert_ptr_nonnull(file);
    fprintf(file, document, f->dir);
    fclose(file);

    bool from_state;
    char *error;
    f->state_file = xasprintf("%s/state.json", f->dir);
    dsr_config_init(&f->cfg);
    f->store = store_open(f->state_file, config_file, &f->cfg, &from_state,
                          &error);
    ck_assert_msg(f->store, "%s", error);
    free(config_file);

    f->failing.up.commit = failing_store_commit;
    f->failing.real = store_get_txn_store(f->store);
    f->failing.fail = 0;
    f->lb = lb_create(&f->cfg, NULL);
    verdict = VERDICT_REAL;
}

static void
fixture_destroy(struct fixture *f)
{
    static const char *const files[] = {
        "dsrd.json", "state.json", "state.json.journal", "state.json.tmp",
        "state.json.audit",
    };

    lb_destroy(f->lb);
    store_close(f->store);
    dsr_config_destroy(&f->cfg);
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        char *name = xasprintf("%s/%s", f->dir, files[i]);
        unlink(name);
        free(name);
    }
    rmdir(f->dir);
    free(f->state_file);
}

static struct txn *
begin(struct fixture *f)
{
    return txn_begin(&f->cfg, &f->failing.up, f->lb);
}

/* Parses 'text' as the service that replaces 'old' (NULL: a new one). */
static struct dsr_service *
parse_service(struct fixture *f, const char *text,
              const struct dsr_service *old)
{
    json_t *json = json_loads(text, 0, NULL);
    struct dsr_service *svc;
    char *error = dsr_service_from_json(&f->cfg, json, "$", false, old,
                                        &svc);

    ck_assert_msg(!error, "%s", error);
    json_decref(json);
    return svc;
}

/* Stages, checks and commits 'old' -> 'new_text' (NULL: a deletion);
 * returns the committed transaction. */
static struct txn *
commit_replace(struct fixture *f, struct dsr_service *old,
               const char *new_text)
{
    struct txn *txn = begin(f);
    struct dsr_service *new = (new_text ? parse_service(f, new_text, old)
                                        : NULL);

    txn_replace(txn, old, new, "$");
    char *error = txn_check(txn, NULL);
    ck_assert_msg(!error, "%s", error);
    error = txn_commit(txn);
    ck_assert_msg(!error, "%s", error);
    return txn;
}

/* Opens 'f''s state into 'cfg' as dsrd, restarted now (even after a
 * crash), would. */
static struct store *
reopen(const struct fixture *f, struct dsr_config *cfg)
{
    bool from_state;
    char *error;

    dsr_config_init(cfg);
    struct store *store = store_open(f->state_file, NULL, cfg, &from_state,
                                     &error);
    ck_assert_msg(store, "%s", error);
    ck_assert(from_state);
    return store;
}

/* Asserts that dsrd, restarted now (even after a crash), would be at
 * 'version' and have service 'name' as 'svc' is (NULL: not at all). */
static void
assert_saved(const struct fixture *f, uint64_t version, const char *name,
             const struct dsr_service *svc)
{
    struct dsr_config cfg;

    store_close(reopen(f, &cfg));

    const struct dsr_service *saved = dsr_config_find_service(&cfg, name);
    ck_assert_uint_eq(cfg.version, version);
    ck_assert(svc ? saved && dsr_service_equal(saved, svc) : !saved);
    dsr_config_destroy(&cfg);
}

/* What lb has been told, as dsr/show prints it. */
static char *
lb_show(const struct fixture *f)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    lb_format_show(f->lb, &s);
    return ds_steal_cstr(&s);
}

/* Asserts that lb shows 'shown' (from lb_show(), which this frees). */
static void
assert_lb_shows(const struct fixture *f, char *shown)
{
    char *now = lb_show(f);

    ck_assert_str_eq(now, shown);
    free(now);
    free(shown);
}

START_TEST(test_versions_count_commits)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");

    txn_destroy(commit_replace(&f, NULL, SERVICE_B));
    ck_assert_uint_eq(f.cfg.version, v0 + 1);
    struct dsr_service *b = dsr_config_find_service(&f.cfg, "b");
    ck_assert_uint_eq(b->version, v0 + 1);
    ck_assert_uint_eq(b->backends[1].version, v0 + 1);

    /* A change versions what it changes, not the rest. */
    txn_destroy(commit_replace(&f, b, SERVICE("b", "10.0.0.2", "7")));
    ck_assert_uint_eq(f.cfg.version, v0 + 2);
    b = dsr_config_find_service(&f.cfg, "b");
    ck_assert_uint_eq(b->version, v0 + 2);
    ck_assert_uint_eq(b->backends[0].version, v0 + 2);
    ck_assert_uint_eq(b->backends[1].version, v0 + 1);
    ck_assert_ptr_eq(dsr_config_find_service(&f.cfg, "a"), a);

    txn_destroy(commit_replace(&f, a, NULL));
    ck_assert_uint_eq(f.cfg.version, v0 + 3);
    ck_assert_ptr_null(dsr_config_find_service(&f.cfg, "a"));

    /* Every commit is in the journal before txn_commit() returns. */
    assert_saved(&f, v0 + 3, "a", NULL);
    assert_saved(&f, v0 + 3, "b", b);
    fixture_destroy(&f);
}
END_TEST

/* The bridge never connects: the change is saved and waits for it. */
START_TEST(test_unconnected_bridge_waits)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    const char *error;

    struct txn *txn = commit_replace(&f, NULL, SERVICE_B);
    ck_assert_int_eq(txn_poll(txn, &error), TXN_DISCONNECTED);
    ck_assert_ptr_null(error);

    verdict = VERDICT_DONE;
    ck_assert_int_eq(txn_poll(txn, &error), TXN_DONE);
    verdict = VERDICT_REFUSED;
    ck_assert_int_eq(txn_poll(txn, &error), TXN_DONE);    /* Final. */
    txn_destroy(txn);
    ck_assert_ptr_nonnull(dsr_config_find_service(&f.cfg, "b"));
    fixture_destroy(&f);
}
END_TEST

START_TEST(test_failed_save_undoes_everything)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");
    char *shown = lb_show(&f);

    struct txn *txn = begin(&f);
    txn_replace(txn, a, parse_service(&f, SERVICE("a", "10.0.0.9", "7"), a),
                "$");
    txn_replace(txn, NULL, parse_service(&f, SERVICE_B, NULL), "$");
    char *error = txn_check(txn, NULL);
    ck_assert_msg(!error, "%s", error);
    f.failing.fail = 1;
    error = txn_commit(txn);
    ck_assert_str_eq(error, "journal: Input/output error");
    free(error);
    txn_destroy(txn);

    /* The model, lb and the state file are as before. */
    ck_assert_uint_eq(f.cfg.version, v0);
    ck_assert_ptr_eq(dsr_config_find_service(&f.cfg, "a"), a);
    ck_assert_uint_eq(ntohl(dsr_ip4(&a->vip)), 0x0a000001);
    ck_assert_ptr_null(dsr_config_find_service(&f.cfg, "b"));
    assert_lb_shows(&f, shown);
    assert_saved(&f, v0, "b", NULL);

    /* The failed commit used no version. */
    txn_destroy(commit_replace(&f, NULL, SERVICE_B));
    ck_assert_uint_eq(f.cfg.version, v0 + 1);
    fixture_destroy(&f);
}
END_TEST

/* The same with store.c itself: its journal cannot grow, as on a full
 * disk.  No check assertion may run while the limit holds (check writes
 * its results to a file). */
START_TEST(test_full_disk_undoes_everything)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;
    struct rlimit unlimited, full;
    char *journal = xasprintf("%s.journal", f.state_file);
    struct stat st;

    ck_assert_int_eq(stat(journal, &st), 0);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &unlimited), 0);
    signal(SIGXFSZ, SIG_IGN);
    full = unlimited;
    full.rlim_cur = st.st_size;

    struct txn *txn = begin(&f);     /* To store.c: none fail on demand. */
    txn_replace(txn, NULL, parse_service(&f, SERVICE_B, NULL), "$");
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &full), 0);
    char *error = txn_commit(txn);
    setrlimit(RLIMIT_FSIZE, &unlimited);

    ck_assert_ptr_nonnull(error);
    ck_assert_msg(strstr(error, "File too large"), "%s", error);
    free(error);
    txn_destroy(txn);
    ck_assert_uint_eq(f.cfg.version, v0);
    ck_assert_ptr_null(dsr_config_find_service(&f.cfg, "b"));
    ck_assert_int_eq(stat(journal, &st), 0);
    ck_assert_int_eq(st.st_size, 0);    /* No torn record left. */

    /* The next write goes through. */
    txn_destroy(commit_replace(&f, NULL, SERVICE_B));
    assert_saved(&f, v0 + 1, "b", dsr_config_find_service(&f.cfg, "b"));
    free(journal);
    fixture_destroy(&f);
}
END_TEST

START_TEST(test_refused_change_is_undone_as_a_new_version)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");
    char *shown = lb_show(&f);
    const char *error;

    struct txn *txn = commit_replace(&f, a, SERVICE("a", "10.0.0.1", "7"));
    ck_assert_ptr_ne(dsr_config_find_service(&f.cfg, "a"), a);
    verdict = VERDICT_REFUSED;
    ck_assert_int_eq(txn_poll(txn, &error), TXN_FAILED);
    ck_assert_str_eq(error, "OFPBFC_MSG_FAILED");

    /* 'a' is back, under a version of its own: v0 + 1 named the refused
     * content, and no version names two contents. */
    ck_assert_uint_eq(f.cfg.version, v0 + 2);
    ck_assert_ptr_eq(dsr_config_find_service(&f.cfg, "a"), a);
    ck_assert_uint_eq(a->backends[0].weight, 100);
    assert_lb_shows(&f, shown);

    /* Polled again, it stays undone, once. */
    ck_assert_int_eq(txn_poll(txn, &error), TXN_FAILED);
    ck_assert_uint_eq(f.cfg.version, v0 + 2);
    txn_destroy(txn);

    assert_saved(&f, v0 + 2, "a", a);
    fixture_destroy(&f);
}
END_TEST

START_TEST(test_check_names_the_kind)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    enum txn_check_error kind;
    uint32_t next_id = f.cfg.next_service_id;

    struct txn *txn = begin(&f);
    txn_replace(txn, NULL, parse_service(&f, SERVICE("b", "10.0.0.1", "1"),
                                         NULL), "$");
    char *error = txn_check(txn, &kind);
    ck_assert_str_eq(error, "$: 10.0.0.1 tcp port 80 is already served by "
                     "service \"a\"");
    ck_assert_int_eq(kind, TXN_CHECK_CONFLICT);
    free(error);
    txn_destroy(txn);

    f.cfg.limits.max_backends_per_service = 1;
    txn = begin(&f);
    txn_replace(txn, NULL, parse_service(&f, SERVICE_B, NULL), "$");
    error = txn_check(txn, &kind);
    ck_assert_str_eq(error, "$.backends: 2 backends, more than "
                     "limits.max_backends_per_service (1)");
    ck_assert_int_eq(kind, TXN_CHECK_LIMIT);
    free(error);
    txn_destroy(txn);

    /* Checking leaves the configuration as it was. */
    ck_assert_uint_eq(hmap_count(&f.cfg.services), 1);
    ck_assert_uint_eq(f.cfg.next_service_id, next_id);
    fixture_destroy(&f);
}
END_TEST

/* The names in the last journal record's "put" and "delete". */
static void
last_record(const struct fixture *f, struct ds *puts, struct ds *deletes)
{
    char *journal = xasprintf("%s.journal", f->state_file);
    FILE *file = fopen(journal, "r");
    char line[65536], last[65536] = "";

    ck_assert_ptr_nonnull(file);
    while (fgets(line, sizeof line, file)) {
        strcpy(last, line);
    }
    fclose(file);
    free(journal);

    json_t *record = json_loads(last, 0, NULL);
    const json_t *j;
    size_t i;
    ck_assert_ptr_nonnull(record);
    json_array_foreach (json_object_get(record, "put"), i, j) {
        ds_put_format(puts, "%s ",
                      json_string_value(json_object_get(j, "name")));
    }
    json_array_foreach (json_object_get(record, "delete"), i, j) {
        ds_put_format(deletes, "%s ", json_string_value(j));
    }
    json_decref(record);
}

/* After a document that keeps 'a', changes 'b', drops 'c' and adds 'd'
 * was committed: only 'b', 'c' and 'd' were touched. */
static void
assert_document_applied(struct fixture *f, const struct dsr_service *a,
                        uint32_t b_id, uint64_t v0)
{
    ck_assert_uint_eq(f->cfg.version, v0 + 1);
    ck_assert_ptr_eq(dsr_config_find_service(&f->cfg, "a"), a);
    ck_assert_uint_lt(a->version, v0 + 1);
    const struct dsr_service *b = dsr_config_find_service(&f->cfg, "b");
    ck_assert_uint_eq(b->id, b_id);     /* The same service, replaced. */
    ck_assert_uint_eq(b->backends[0].weight, 7);
    ck_assert_uint_eq(b->version, v0 + 1);
    ck_assert_ptr_null(dsr_config_find_service(&f->cfg, "c"));
    ck_assert_ptr_nonnull(dsr_config_find_service(&f->cfg, "d"));

    struct ds puts = DS_EMPTY_INITIALIZER, deletes = DS_EMPTY_INITIALIZER;
    last_record(f, &puts, &deletes);
    ck_assert_uint_eq(puts.length, 4);    /* Never 'a'. */
    ck_assert_ptr_nonnull(strstr(ds_cstr(&puts), "b "));
    ck_assert_ptr_nonnull(strstr(ds_cstr(&puts), "d "));
    ck_assert_str_eq(ds_cstr(&deletes), "c ");
    ds_destroy(&puts);
    ds_destroy(&deletes);
}

static void
commit_document(struct txn *txn)
{
    char *error = txn_check(txn, NULL);
    ck_assert_msg(!error, "%s", error);
    error = txn_commit(txn);
    ck_assert_msg(!error, "%s", error);
    txn_destroy(txn);
}

START_TEST(test_document_diff)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_C "," SERVICE_A "," SERVICE_B));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");
    uint32_t b_id = dsr_config_find_service(&f.cfg, "b")->id;

    char *text = xasprintf(DOCUMENT(SERVICE_A ","
                                    SERVICE("b", "10.0.0.2", "7") ","
                                    SERVICE("d", "10.0.0.4", "1")), f.dir);
    json_t *json = json_loads(text, 0, NULL);
    struct txn *txn = begin(&f);
    char *error = txn_put_document(txn, json);
    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(txn_n_changes(txn), 3);
    commit_document(txn);
    json_decref(json);
    free(text);

    assert_document_applied(&f, a, b_id, v0);
    fixture_destroy(&f);
}
END_TEST

/* Replaces the first 'find' after 'after' in 's' with 'repl'; with 'line',
 * the whole line that holds 'find'. */
static void
replace_after(struct ds *s, const char *after, const char *find,
              const char *repl, bool line)
{
    char *p = strstr(ds_cstr(s), after);
    ck_assert_ptr_nonnull(p);
    char *start = strstr(p, find);
    ck_assert_ptr_nonnull(start);
    char *end = start + strlen(find);
    if (line) {
        while (start > s->string && start[-1] != '\n') {
            start--;
        }
        end = strchr(start, '\n');
    }

    struct ds out = DS_EMPTY_INITIALIZER;
    ds_put_buffer(&out, s->string, start - s->string);
    ds_put_cstr(&out, repl);
    ds_put_cstr(&out, end);
    ds_swap(&out, s);
    ds_destroy(&out);
}

/* The same diff from a document laid out as GET /v1/config gives it. */
START_TEST(test_document_diff_by_lines)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_C "," SERVICE_A "," SERVICE_B));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");
    uint32_t b_id = dsr_config_find_service(&f.cfg, "b")->id;
    struct ds text = DS_EMPTY_INITIALIZER;
    char *error;

    dsr_config_put_json(&text, &f.cfg);
    replace_after(&text, "\"name\":\"b\"", "\"weight\":100", "\"weight\":7",
                  false);
    replace_after(&text, "\"services\": [\n", "{\"name\":\"c\"",
                  "  " SERVICE("d", "10.0.0.4", "1") ",", true);

    /* Not laid out so: nothing staged, nothing said. */
    struct txn *txn = begin(&f);
    ck_assert(!txn_put_document_lines(txn, ds_cstr(&text) + 1,
                                      text.length - 1, &error));
    ck_assert_ptr_null(error);
    ck_assert_uint_eq(txn_n_changes(txn), 0);

    ck_assert(txn_put_document_lines(txn, text.string, text.length,
                                     &error));
    ck_assert_msg(!error, "%s", error);
    ck_assert_uint_eq(txn_n_changes(txn), 3);
    commit_document(txn);
    ds_destroy(&text);

    assert_document_applied(&f, a, b_id, v0);
    fixture_destroy(&f);
}
END_TEST

/* A changed line is checked against the schema before the cheap
 * comparison, which ignores members it does not know. */
START_TEST(test_document_lines_are_validated)
{
    static const char *const bad[][2] = {
        { "\"id\":", "\"bogus\":1,\"id\":" },
        { "\"ip\":\"10.0.1.1\",", "\"ip\":\"10.0.1.1\",\"colour\":1," },
    };
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A "," SERVICE_B));
    uint64_t v0 = f.cfg.version;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        struct ds text = DS_EMPTY_INITIALIZER;
        char *error;

        dsr_config_put_json(&text, &f.cfg);
        replace_after(&text, "\"name\":\"b\"", bad[i][0], bad[i][1], false);
        struct txn *txn = begin(&f);
        ck_assert(txn_put_document_lines(txn, text.string, text.length,
                                         &error));
        ck_assert_msg(error && !strncmp(error, "$.services[1]", 13),
                      "%s: %s", bad[i][1], error ? error : "accepted");
        free(error);
        txn_destroy(txn);
        ds_destroy(&text);
    }
    ck_assert_uint_eq(f.cfg.version, v0);
    fixture_destroy(&f);
}
END_TEST

/* A document is checked as a whole: two services may swap VIPs, which
 * each change alone could not do. */
START_TEST(test_document_checked_as_a_whole)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A "," SERVICE_B));
    char *text = xasprintf(DOCUMENT(SERVICE("a", "10.0.0.2", "100") ","
                                    SERVICE("b", "10.0.0.1", "100")), f.dir);
    json_t *json = json_loads(text, 0, NULL);
    struct txn *txn = begin(&f);
    char *error = txn_put_document(txn, json);

    ck_assert_msg(!error, "%s", error);
    commit_document(txn);
    const struct dsr_service *a2 = dsr_config_find_service(&f.cfg, "a");
    ck_assert_uint_eq(ntohl(dsr_ip4(&a2->vip)),
                      0x0a000002);
    json_decref(json);
    free(text);
    fixture_destroy(&f);
}
END_TEST

static void
assert_document_rejected(struct fixture *f, const char *services,
                         const char *expected)
{
    char *text = xasprintf(DOCUMENT("%s"), f->dir, services);
    json_t *json = json_loads(text, 0, NULL);
    struct txn *txn = begin(f);
    char *error = txn_put_document(txn, json);

    ck_assert_ptr_nonnull(error);
    ck_assert_str_eq(error, expected);
    free(error);
    txn_destroy(txn);
    json_decref(json);
    free(text);
}

START_TEST(test_document_errors)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;

    assert_document_rejected(&f, SERVICE_B "," SERVICE_B,
                             "$.services[1].name: service \"b\" already "
                             "exists");
    assert_document_rejected(&f, SERVICE_A "," SERVICE_B "," SERVICE_C ","
                             SERVICE("d", "10.0.0.4", "1"),
                             "$.services: 4 services, more than "
                             "limits.max_services (3)");

    char *text = xasprintf("{\"bridges\": [{\"name\": \"br1\"}], "
                           "\"services\": []}");
    json_t *json = json_loads(text, 0, NULL);
    struct txn *txn = begin(&f);
    char *error = txn_put_document(txn, json);
    ck_assert_str_eq(error, "$.bridges: bridges cannot change while dsrd "
                     "runs: edit the state file and restart dsrd");
    free(error);
    txn_destroy(txn);
    json_decref(json);
    free(text);

    ck_assert_uint_eq(f.cfg.version, v0);
    ck_assert_uint_eq(hmap_count(&f.cfg.services), 1);
    fixture_destroy(&f);
}
END_TEST

/* The contents of file 'dir'/'name', in '*size' bytes. */
static char *
read_whole(const char *dir, const char *name, size_t *size)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *file = fopen(path, "r");
    ck_assert_ptr_nonnull(file);
    char *data = xmalloc(1 << 16);
    *size = fread(data, 1, 1 << 16, file);
    fclose(file);
    free(path);
    return data;
}

static void
write_whole(const char *dir, const char *name, const char *data,
            size_t size)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *file = fopen(path, "w");
    ck_assert_ptr_nonnull(file);
    ck_assert_uint_eq(fwrite(data, 1, size, file), size);
    fclose(file);
    free(path);
}

/* A crash in the middle of the last journal record, cut at each of its
 * bytes (its newline included): dsrd restarts with every earlier record
 * and without that one. */
START_TEST(test_torn_journal_at_every_offset)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;

    txn_destroy(commit_replace(&f, NULL, SERVICE_B));
    txn_destroy(commit_replace(&f, NULL, SERVICE_C));
    struct dsr_service *b = dsr_config_find_service(&f.cfg, "b");
    size_t state_size, size;
    char *state = read_whole(f.dir, "state.json", &state_size);
    char *journal = read_whole(f.dir, "state.json.journal", &size);
    const char *second = memchr(journal, '\n', size);
    ck_assert_ptr_nonnull(second);
    size_t last = second + 1 - journal;
    ck_assert_uint_eq(journal[size - 1], '\n');

    for (size_t cut = last; cut < size; cut++) {
        write_whole(f.dir, "state.json", state, state_size);
        write_whole(f.dir, "state.json.journal", journal, cut);
        assert_saved(&f, v0 + 1, "b", b);
        assert_saved(&f, v0 + 1, "c", NULL);
    }
    write_whole(f.dir, "state.json", state, state_size);
    write_whole(f.dir, "state.json.journal", journal, size);
    assert_saved(&f, v0 + 2, "b", b);

    /* A journal of one torn record: nothing replayed, and the torn bytes
     * must go, or the next record would be appended to them and the
     * journal would not load again. */
    write_whole(f.dir, "state.json", state, state_size);
    write_whole(f.dir, "state.json.journal", journal, last / 2);
    assert_saved(&f, v0, "b", NULL);
    char *left = read_whole(f.dir, "state.json.journal", &size);
    ck_assert_uint_eq(size, 0);
    free(left);
    free(state);
    free(journal);
    fixture_destroy(&f);
}
END_TEST

/* The audit trail as 'ts' has it: "IDENTITY REQUEST VERSION" of each
 * entry, a line each. */
static char *
trail(struct txn_store *ts)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    json_t *entries = ts->history(ts, NULL, 100);
    const json_t *e;
    size_t i;
    json_array_foreach (entries, i, e) {
        const char *rollback = json_string_value(json_object_get(e,
                                                                 "rollback"));
        ds_put_format(&s, "%s %s %lld%s%s\n",
                      json_string_value(json_object_get(e, "identity")),
                      json_string_value(json_object_get(e, "request")),
                      json_integer_value(json_object_get(e, "version")),
                      rollback ? " rollback " : "", rollback ? rollback : "");
    }
    json_decref(entries);
    return ds_steal_cstr(&s);
}

/* The audit trail as a restarted dsrd reads it from 'f''s state. */
static char *
saved_trail(const struct fixture *f)
{
    struct dsr_config cfg;
    struct store *store = reopen(f, &cfg);
    char *s = trail(store_get_txn_store(store));
    store_close(store);
    dsr_config_destroy(&cfg);
    return s;
}

/* Every committed change has its audit entry, as durably as itself: in the
 * journal, then in the audit file.  A crash after the entries reached the
 * file but before the journal was emptied writes none of them twice. */
START_TEST(test_audit_trail_survives_folds_and_crashes)
{
    struct fixture f;
    fixture_init(&f, DOCUMENT(SERVICE_A));
    uint64_t v0 = f.cfg.version;
    struct dsr_service *a = dsr_config_find_service(&f.cfg, "a");
    const char *error;

    struct txn *txn = begin(&f);
    txn_set_audit(txn, "192.0.2.1:1000", "alice", "POST /v1/services");
    txn_replace(txn, NULL, parse_service(&f, SERVICE_B, NULL), "$");
    ck_assert_ptr_null(txn_check(txn, NULL));
    ck_assert_ptr_null(txn_commit(txn));
    txn_destroy(txn);
    f.failing.fail = 1;         /* Not saved: no entry either. */
    txn = begin(&f);
    txn_set_audit(txn, "192.0.2.1:1001", "bob", "DELETE /v1/services/a");
    txn_replace(txn, a, NULL, "$");
    ck_assert_ptr_null(txn_check(txn, NULL));
    char *save_error = txn_commit(txn);
    ck_assert_ptr_nonnull(save_error);
    free(save_error);
    txn_destroy(txn);
    txn = begin(&f);
    txn_set_audit(txn, "192.0.2.1:1002", "bob", "PUT /v1/services/a");
    txn_replace(txn, a, parse_service(&f, SERVICE("a", "10.0.0.1", "7"), a),
                "$");
    ck_assert_ptr_null(txn_check(txn, NULL));
    ck_assert_ptr_null(txn_commit(txn));
    verdict = VERDICT_REFUSED;
    ck_assert_int_eq(txn_poll(txn, &error), TXN_FAILED);
    txn_destroy(txn);

    char *expected = xasprintf(
        "alice POST /v1/services %"PRIu64"\n"
        "bob PUT /v1/services/a %"PRIu64"\n"
        "bob PUT /v1/services/a %"PRIu64" rollback OFPBFC_MSG_FAILED\n",
        v0 + 1, v0 + 2, v0 + 3);
    char *shown = trail(f.failing.real);
    ck_assert_str_eq(shown, expected);
    free(shown);

    /* Folded into the snapshot, but the journal not emptied: the crash
     * case.  The same trail, once. */
    size_t state_size, size;
    char *state = read_whole(f.dir, "state.json", &state_size);
    char *journal = read_whole(f.dir, "state.json.journal", &size);
    ck_assert_ptr_null(store_snapshot(f.store, &f.cfg));
    write_whole(f.dir, "state.json.journal", journal, size);
    shown = saved_trail(&f);
    ck_assert_str_eq(shown, expected);
    free(shown);
    /* The restart above folded again; still once. */
    shown = saved_trail(&f);
    ck_assert_str_eq(shown, expected);
    free(shown);
    free(expected);
    free(state);
    free(journal);
    fixture_destroy(&f);
}
END_TEST

CHECK_MAIN("txn",
           CHECK_TEST(test_versions_count_commits),
           CHECK_TEST(test_unconnected_bridge_waits),
           CHECK_TEST(test_failed_save_undoes_everything),
           CHECK_TEST(test_full_disk_undoes_everything),
           CHECK_TEST(test_refused_change_is_undone_as_a_new_version),
           CHECK_TEST(test_check_names_the_kind),
           CHECK_TEST(test_document_diff),
           CHECK_TEST(test_document_diff_by_lines),
           CHECK_TEST(test_document_lines_are_validated),
           CHECK_TEST(test_document_checked_as_a_whole),
           CHECK_TEST(test_document_errors),
           CHECK_TEST(test_torn_journal_at_every_offset),
           CHECK_TEST(test_audit_trail_survives_folds_and_crashes))
