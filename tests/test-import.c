/* Unit tests: "dsrctl import", from keepalived.conf (with includes) and
 * "ipvsadm -Sn" output to ovs-dsr services (controller/import*.c): the
 * documented mapping, FILE:LINE on every error and refusal, and the
 * sample configurations Debian's keepalived package ships, read where it
 * installs them (deploy/install-deps.sh installs keepalived). */
#include <config.h>

#include <check.h>
#include "tests/check-run.h"
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include "controller/import.h"
#include "openvswitch/dynamic-string.h"
#include "util.h"

#define SAMPLES "/usr/share/doc/keepalived/samples"

/* Reads 'text' as keepalived.conf ("t.conf") or ipvsadm -Sn output
 * ("t.save") into 'm', maps it and returns the services. */
static json_t *
import_text(const char *text, bool keepalived, struct import_model *m)
{
    static const struct import_options options = { .gre = false };

    import_model_init(m);
    if (keepalived) {
        import_keepalived_buffer("t.conf", text, strlen(text), false, m);
    } else {
        import_ipvsadm_buffer("t.save", text, strlen(text), m);
    }
    return import_to_services(m, &options);
}

/* Reads 'file' whole into 'text'. */
static void
read_whole(const char *file, struct ds *text)
{
    FILE *f = fopen(file, "r");
    int c;

    ck_assert_msg(f, "%s: cannot open", file);
    while ((c = getc(f)) != EOF) {
        ds_put_char(text, c);
    }
    fclose(f);
}

/* Imports tests/import/'name' (keepalived if it ends in .conf). */
static json_t *
import_test_file(const char *name, struct import_model *m)
{
    char *file = xasprintf("%s/tests/import/%s", getenv("TOP_SRCDIR")
                           ? getenv("TOP_SRCDIR") : "..", name);
    static const struct import_options options = { .gre = true };

    import_model_init(m);
    if (strstr(name, ".conf")) {
        import_keepalived_file(file, m);
    } else {
        struct ds text = DS_EMPTY_INITIALIZER;
        read_whole(file, &text);
        import_ipvsadm_buffer(name, ds_cstr(&text), text.length, m);
        ds_destroy(&text);
    }
    free(file);
    return import_to_services(m, &options);
}

/* The service named 'name' in 'services'. */
static json_t *
find(const json_t *services, const char *name)
{
    size_t i;
    json_t *svc;

    json_array_foreach (services, i, svc) {
        if (!strcmp(json_string_value(json_object_get(svc, "name")), name)) {
            return svc;
        }
    }
    ck_abort_msg("no service %s", name);
    return NULL;
}

/* Asserts that 'list' has an entry containing 'text'. */
static void
assert_has(const struct svec *list, const char *text)
{
    for (size_t i = 0; i < list->n; i++) {
        if (strstr(list->names[i], text)) {
            return;
        }
    }
    struct ds all = DS_EMPTY_INITIALIZER;
    for (size_t i = 0; i < list->n; i++) {
        ds_put_format(&all, "\n  %s", list->names[i]);
    }
    ck_abort_msg("no \"%s\" in:%s", text, ds_cstr(&all));
}

/* 'svc''s 'key' as text, for comparisons. */
static char *
field(const json_t *svc, const char *key)
{
    return json_dumps(json_object_get(svc, key),
                      JSON_COMPACT | JSON_ENCODE_ANY);
}

static void
assert_field(const json_t *svc, const char *key, const char *expected)
{
    char *text = field(svc, key);
    ck_assert_str_eq(text, expected);
    free(text);
}

/* 10.0.0.100:80's real servers in tests/import/keepalived-dr.conf and
 * ipvsadm-*.save: weights 3, 1 and 0 (drain). */
#define WEB_BACKENDS "[{\"ip\":\"10.0.0.11\",\"weight\":3}," \
    "{\"ip\":\"10.0.0.12\",\"weight\":1}," \
    "{\"ip\":\"10.0.0.13\",\"weight\":1,\"state\":\"drain\"}]"

START_TEST(test_dr_sample_with_includes_maps_as_documented)
{
    struct import_model m;
    json_t *services = import_test_file("keepalived-dr.conf", &m);

    ck_assert_msg(!m.errors.n && !m.refusals.n, "%s",
                  m.errors.n ? m.errors.names[0] : m.refusals.names[0]);
    ck_assert_int_eq(json_array_size(services), 3);
    ck_assert(!import_validate(services, NULL));

    json_t *web = find(services, "10.0.0.100_80_tcp");
    assert_field(web, "mode", "\"l2\"");
    assert_field(web, "hash", "\"5-tuple\"");
    assert_field(web, "health_check",
                 "{\"type\":\"http\",\"path\":\"/health\","
                 "\"expect_status\":[200],\"interval_ms\":2000,"
                 "\"timeout_ms\":1000,\"rise\":1,\"fall\":3}");
    assert_field(web, "backends",
                 WEB_BACKENDS);
    assert_has(&m.notes, "keepalived-dr.conf:21: lb_algo wrr: mapped to "
               "hash 5-tuple");

    json_t *dns = find(services, "10.0.0.100_53_udp");
    assert_field(dns, "hash", "\"source-ip\"");
    assert_field(dns, "health_check",
                 "{\"type\":\"udp\",\"dns_name\":\"example.org\","
                 "\"interval_ms\":1000,\"timeout_ms\":5000,\"rise\":1,"
                 "\"fall\":2,\"preset\":\"dns\"}");

    /* Different checks per real server: each backend gets its own. */
    json_t *ssh = find(services, "10.0.0.100_22_tcp");
    assert_field(ssh, "hash", "\"source-ip\"");
    ck_assert(!json_object_get(ssh, "health_check"));
    assert_field(json_array_get(json_object_get(ssh, "backends"), 1),
                 "health_check",
                 "{\"type\":\"exec\",\"command\":[\"/bin/true\","
                 "\"10.0.0.12\"],\"interval_ms\":3000,\"timeout_ms\":5000,"
                 "\"rise\":1,\"fall\":1}");
    assert_has(&m.notes, "conf.d/ssh.conf:6: persistence_timeout: mapped to "
               "hash source-ip");
    assert_has(&m.notes, "keepalived-dr.conf:9: vrrp_instance: not a "
               "virtual server");
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

START_TEST(test_refusals_name_file_and_line)
{
    struct import_model m;
    json_t *services = import_test_file("refused.conf", &m);

    ck_assert_int_eq(m.errors.n, 0);
    assert_has(&m.refusals, "refused.conf:4: sorry_server:");
    assert_has(&m.refusals, "refused.conf:6: SMTP_CHECK:");
    assert_has(&m.refusals, "refused.conf:12: lb_kind: NAT");
    assert_has(&m.refusals, "refused.conf:17: virtual_server fwmark 7:");
    ck_assert_int_eq(m.refusals.n, 4);

    /* What --force keeps: the rest, with TUN as gre (options.gre). */
    ck_assert_int_eq(json_array_size(services), 2);
    assert_field(find(services, "10.0.0.100_8080_tcp"), "mode", "\"gre\"");
    ck_assert(!json_object_get(find(services, "10.0.0.100_443_tcp"),
                               "health_check"));
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

/* Malformed files: each an error naming its file and line. */
static const struct {
    const char *file;
    const char *error;
} malformed[] = {
    {"unbalanced-open.conf", "unbalanced-open.conf:1: '{' (of "
     "\"virtual_server\") is never closed"},
    {"unbalanced-close.conf", "unbalanced-close.conf:4: '}' without a "
     "matching '{'"},
    {"bad-lb-kind.conf", "bad-lb-kind.conf:2: lb_kind: unknown forwarding "
     "method \"DSR\""},
    {"bad-ip.conf", "bad-ip.conf:3: real_server: expected an IP address"},
    {"missing-include.conf", "missing-include.conf:2: include "},
    {"ipvsadm-bad.save", "ipvsadm-bad.save:1: \"10.0.0.100:http\" is not "
     "IPV4:PORT or [IPV6]:PORT"},
    {"no-such-file.conf", "no-such-file.conf: cannot read"},
};

START_TEST(test_malformed_file_is_an_error_with_file_line)
{
    struct import_model m;
    json_t *services = import_test_file(malformed[_i].file, &m);

    assert_has(&m.errors, malformed[_i].error);
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

START_TEST(test_ipvsadm_save_maps_as_documented)
{
    struct import_model m;
    json_t *services = import_test_file("ipvsadm-dr.save", &m);

    ck_assert_int_eq(m.errors.n + m.refusals.n, 0);
    ck_assert(!import_validate(services, "br-lb"));
    assert_field(find(services, "10.0.0.100_80_tcp"), "backends",
                 WEB_BACKENDS);
    assert_field(find(services, "10.0.0.100_53_udp"), "hash",
                 "\"source-ip\"");
    json_t *all = find(services, "10.0.0.100_all_tcp");
    assert_field(all, "port", "\"*\"");
    assert_field(all, "mode", "\"gre\"");
    assert_field(all, "hash", "\"source-ip\"");
    json_decref(services);
    import_model_destroy(&m);

    services = import_test_file("ipvsadm-refused.save", &m);
    ck_assert_int_eq(m.errors.n, 0);
    assert_has(&m.refusals, "ipvsadm-refused.save:2: -m (masquerading");
    assert_has(&m.refusals, "ipvsadm-refused.save:3: 7: a firewall-mark");
    assert_has(&m.refusals, "ipvsadm-refused.save:6: -x 100: no "
               "equivalent");
    ck_assert_int_eq(m.refusals.n, 3);
    ck_assert_int_eq(json_array_size(services), 1);
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

/* What "ipvsadm -Sn" (ipvsadm 1.31, Linux 6.1's IPVS) printed in make
 * check-vm's VM, saved as is: tests/e2e/import-ipvs.sh's services in
 * tests/import/ipvsadm-real.save ("--tun-type ipip" on each TUN real
 * server, "-p 360" for a bare -p, "RIP:0" for port 0), and options
 * ovs-dsr has no equivalent for in ipvsadm-real-options.save. */
static const struct {
    const char *service, *key, *value;
} real_fields[] = {
    {"10.0.0.100_80_tcp", "mode", "\"l2\""},
    {"10.0.0.100_80_tcp", "hash", "\"5-tuple\""},
    {"10.0.0.100_80_tcp", "backends", WEB_BACKENDS},
    {"10.0.0.100_53_udp", "hash", "\"source-ip\""},
    {"10.0.0.100_443_tcp", "mode", "\"gre\""},
    {"10.0.0.100_443_tcp", "hash", "\"source-ip\""},
    {"10.0.0.100_123_udp", "hash", "\"5-tuple\""},
    {"10.0.0.100_all_tcp", "mode", "\"l2\""},
    {"10.0.0.100_all_tcp", "hash", "\"source-ip\""},
};

START_TEST(test_real_ipvsadm_save_maps_as_documented)
{
    struct import_model m;
    json_t *services = import_test_file("ipvsadm-real.save", &m);

    ck_assert_int_eq(m.errors.n, 0);
    ck_assert_int_eq(m.refusals.n, 2);
    assert_has(&m.refusals, "ipvsadm-real.save:11: -m (masquerading");
    assert_has(&m.refusals, "ipvsadm-real.save:17: 7: a firewall-mark");
    ck_assert_int_eq(json_array_size(services), 5);
    ck_assert(!import_validate(services, "br-lb"));
    for (size_t i = 0; i < ARRAY_SIZE(real_fields); i++) {
        assert_field(find(services, real_fields[i].service),
                     real_fields[i].key, real_fields[i].value);
    }
    json_decref(services);
    import_model_destroy(&m);

    /* Each refused once, with its value (not the value again as if it
     * were an option). */
    services = import_test_file("ipvsadm-real-options.save", &m);
    ck_assert_int_eq(m.errors.n, 0);
    assert_has(&m.refusals, "options.save:1: -M 255.255.255.0:");
    assert_has(&m.refusals, "options.save:3: -b sh-fallback,sh-port: no "
               "equivalent");
    assert_has(&m.refusals, "options.save:5: -o: no equivalent");
    assert_has(&m.refusals, "options.save:6: --tun-port 6080: no "
               "equivalent");
    assert_has(&m.refusals, "options.save:6: --tun-nocsum: no equivalent");
    assert_has(&m.refusals, "options.save:7: --tun-csum: no equivalent");
    ck_assert_int_eq(m.refusals.n, 6);
    assert_has(&m.notes, "options.save:6: --tun-type gue:");
    assert_has(&m.notes, "options.save:7: --tun-type gre:");
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

/* Small inputs: what each maps to, or the finding it gives. */
static const struct {
    bool keepalived;
    const char *text;
    const char *service;        /* Name, then one field and its JSON. */
    const char *key;
    const char *value;
    const char *finding;        /* An error, refusal or note. */
} cases[] = {
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind TUN\n"
     " real_server 198.51.100.1 80 {\n }\n}\n",
     "192.0.2.1_80_tcp", "mode", "\"ipip\"", NULL},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n  SSL_GET {\n   url {\n"
     "    path /x\n    digest 0123\n   }\n   connect_port 8443\n  }\n }\n}\n",
     "192.0.2.1_80_tcp", "health_check", "{\"type\":\"https\",\"path\":"
     "\"/x\",\"expect_status\":[200,201,202,203,204,205,206,207,208,226],"
     "\"interval_ms\":60000,\"timeout_ms\":5000,\"rise\":1,\"fall\":2,"
     "\"port\":8443}", "t.conf:7: digest: "},
    {true, "virtual_server 192.0.2.1 53 {\n lb_kind DR\n protocol UDP\n"
     " real_server 198.51.100.1 53 {\n  UDP_CHECK {\n   require_reply\n"
     "  }\n }\n}\n", "192.0.2.1_53_udp", "health_check",
     "{\"type\":\"udp\",\"expect_reply\":true,\"interval_ms\":60000,"
     "\"timeout_ms\":5000,\"rise\":1,\"fall\":2,\"payload\":\"\"}", NULL},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n inhibit_on_failure\n }\n}\n",
     "192.0.2.1_80_tcp", "hash", "\"5-tuple\"", "t.conf:4: "
     "inhibit_on_failure: "},
    {true, "virtual_server 192.0.2.1 80 {\n real_server 198.51.100.1 80 "
     "{\n }\n}\n", NULL, NULL, NULL, "t.conf:1: virtual_server 192.0.2.1: "
     "no lb_kind"},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n protocol SCTP\n}\n",
     NULL, NULL, NULL, "t.conf:3: protocol: ovs-dsr balances TCP and UDP"},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n lb_algo xyz\n}\n",
     NULL, NULL, NULL, "t.conf:3: lb_algo: unknown scheduler \"xyz\""},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n  weight 70000\n }\n}\n",
     NULL, NULL, NULL, "t.conf:4: weight: expected 0 to 65535"},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n }\n real_server 198.51.100.1 80 "
     "{\n }\n}\n", NULL, NULL, NULL, "t.conf:5: real server 198.51.100.1 is "
     "listed twice (first at t.conf:3)"},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n  HTTP_GET {\n   url {\n"
     "    path /\n    status_code 100-599\n   }\n  }\n }\n}\n",
     NULL, NULL, NULL, "t.conf:7: status_code: more statuses than"},
    {true, "virtual_server 192.0.2.1 80 {\n lb_kind DR\n"
     " real_server 198.51.100.1 80 {\n   misc_path \"x\n }\n}\n",
     NULL, NULL, NULL, "t.conf:4: unterminated quoted string"},
    {true, "include /etc/*.conf\n", NULL, NULL, NULL, "t.conf:1: include "
     "/etc/*.conf: includes are not followed here"},
    {false, "-A -t 192.0.2.1:80 -s sh\n-a -t 192.0.2.1:80 -r 198.51.100.1\n",
     "192.0.2.1_80_tcp", "hash", "\"source-ip\"", NULL},
    {false, "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1\n",
     NULL, NULL, NULL, "t.save:1: 192.0.2.1:80: no such service"},
    /* IPv6, as ipvsadm -Sn and keepalived write it: addresses in RFC 5952
     * form, names without ':'. */
    {false, "-A -t [2001:db8::1]:80 -s rr\n"
     "-a -t [2001:db8::1]:80 -r [2001:DB8::11]:80 -g -w 2\n",
     "2001-db8--1_80_tcp", "backends", "[{\"ip\":\"2001:db8::11\","
     "\"weight\":2}]", NULL},
    {true, "virtual_server 2001:DB8:0::1 80 {\n lb_kind DR\n"
     " real_server 2001:db8::11 80 {\n }\n}\n",
     "2001-db8--1_80_tcp", "vip", "\"2001:db8::1\"", NULL},
    {true, "virtual_server 2001:db8::1 80 {\n lb_kind DR\n"
     " real_server 2001:db8::11 80 {\n }\n real_server 2001:db8:0::11 80 "
     "{\n }\n}\n", NULL, NULL, NULL, "t.conf:5: real server 2001:db8::11 "
     "is listed twice (first at t.conf:3)"},
    {false, "-A -t [2001:db8::1]:80 -s rr\n"
     "-a -t [2001:db8::1]:80 -r [2001:db8::11]:80 -i -w 1\n", NULL, NULL,
     NULL, "t.save:1: virtual server 2001:db8::1: IPv6 through IPIP"},
    {false, "-A -t 2001:db8::1:80 -s rr\n", NULL, NULL, NULL,
     "t.save:1: \"2001:db8::1:80\" is not IPV4:PORT or [IPV6]:PORT"},
    {false, "-E -t 192.0.2.1:80\n", NULL, NULL, NULL,
     "t.save:1: \"-E\": expected -A"},
};

START_TEST(test_small_inputs)
{
    struct import_model m;
    json_t *services = import_text(cases[_i].text, cases[_i].keepalived,
                                   &m);

    if (cases[_i].service) {
        assert_field(find(services, cases[_i].service), cases[_i].key,
                     cases[_i].value);
        ck_assert(!import_validate(services, NULL));
    }
    if (cases[_i].finding) {
        struct svec all = SVEC_EMPTY_INITIALIZER;
        svec_append(&all, &m.errors);
        svec_append(&all, &m.refusals);
        svec_append(&all, &m.notes);
        assert_has(&all, cases[_i].finding);
        svec_destroy(&all);
    }
    json_decref(services);
    import_model_destroy(&m);
}
END_TEST

/* Asserts that each of 'list' is "FILE:LINE: KEYWORD..." with KEYWORD on
 * that line of 'text' (the file 'file'). */
static void
assert_findings_point_at_lines(const struct svec *list, const char *file,
                               const char *text)
{
    for (size_t i = 0; i < list->n; i++) {
        const char *s = list->names[i];
        size_t n = strlen(file);
        ck_assert_msg(!strncmp(s, file, n) && s[n] == ':', "%s", s);
        int line = atoi(s + n + 1);
        const char *rest = strchr(s + n + 1, ':') + 2;
        char keyword[64];
        ck_assert_msg(sscanf(rest, "%63[@A-Za-z_-]", keyword) == 1, "%s", s);

        const char *p = text;
        for (int l = 1; l < line && p; l++) {
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        ck_assert_msg(p, "%s: no line %d", file, line);
        size_t len = strcspn(p, "\n");
        char *copy = xmemdup0(p, len);
        ck_assert_msg(strstr(copy, keyword), "%s: line %d is \"%s\"", s,
                      line, copy);
        free(copy);
    }
}

/* One of Debian's samples: it imports as documented, or each refusal
 * names its file, line and construct; the same with lb_kind DR (the
 * samples all use NAT), which then maps. */
static void
check_sample(const char *name)
{
    char *file = xasprintf("%s/%s", SAMPLES, name);
    struct ds text = DS_EMPTY_INITIALIZER;

    read_whole(file, &text);
    for (int dr = 0; dr < 2; dr++) {
        struct import_model m;
        static const struct import_options options = { .gre = false };
        char *conf = xstrdup(ds_cstr(&text)), *nat;
        while (dr && (nat = strstr(conf, "lb_kind NAT"))) {
            memcpy(nat, "lb_kind DR ", 11);
        }
        import_model_init(&m);
        import_keepalived_buffer(file, conf, strlen(conf), false, &m);
        json_t *services = import_to_services(&m, &options);
        ck_assert_msg(!m.errors.n, "%s", m.errors.n ? m.errors.names[0] : "");
        assert_findings_point_at_lines(&m.refusals, file, conf);
        assert_findings_point_at_lines(&m.notes, file, conf);
        char *error = import_validate(services, NULL);
        ck_assert_msg(!error, "%s: %s", file, error);
        ck_assert(dr || m.refusals.n || !json_array_size(services));
        json_decref(services);
        import_model_destroy(&m);
        free(conf);
    }
    ds_destroy(&text);
    free(file);
}

START_TEST(test_debian_keepalived_samples)
{
    DIR *dir = opendir(SAMPLES);
    struct dirent *de;
    int n = 0;

    ck_assert_msg(dir, SAMPLES ": missing; install Debian's keepalived "
                  "(deploy/install-deps.sh does)");
    while ((de = readdir(dir))) {
        if (!strncmp(de->d_name, "keepalived.conf.", 16)) {
            check_sample(de->d_name);
            n++;
        }
    }
    closedir(dir);
    ck_assert_int_ge(n, 20);
}
END_TEST

CHECK_MAIN("import",
           CHECK_TEST(test_dr_sample_with_includes_maps_as_documented),
           CHECK_TEST(test_refusals_name_file_and_line),
           CHECK_LOOP_TEST(test_malformed_file_is_an_error_with_file_line,
                           ARRAY_SIZE(malformed)),
           CHECK_TEST(test_ipvsadm_save_maps_as_documented),
           CHECK_TEST(test_real_ipvsadm_save_maps_as_documented),
           CHECK_LOOP_TEST(test_small_inputs, ARRAY_SIZE(cases)),
           CHECK_TEST(test_debian_keepalived_samples))
