/* dsrd: Direct Server Return load balancing on Open vSwitch.
 *
 * Reads a JSON configuration, connects to the configured bridges over
 * OpenFlow 1.5 and keeps each bridge's DSR pipeline in line with it.  The
 * main loop is OVS's poll loop; each module has a run and a wait
 * function. */
#include <config.h>

#include <errno.h>
#include <malloc.h>
#include <getopt.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include "command-line.h"
#include "controller/announce.h"
#include "controller/api.h"
#include "controller/cluster.h"
#include "controller/config.h"
#include "controller/datapath.h"
#include "controller/early-sync.h"
#include "controller/http.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "controller/store.h"
#include "controller/trace.h"
#include "daemon.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "sset.h"
#include "stream-ssl.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dsrd);

/* The command line, as parse_options() read it. */
struct dsrd_options {
    char *config_file;
    char *state_file;
    char *unixctl_path;
    char *api_address;          /* "IP:PORT", or "none". */
    char *ovsdb_remote;         /* OVSDB to read datapaths from, or "none". */
    char *api_token_file;
    bool withdraw_only;
    char *api_tls_cert_file;
    char *api_tls_key_file;
    size_t api_max_body;        /* 0: limits.max_body_bytes. */
    char *db_remote;            /* The clustered store, or NULL. */
    char *node_name;            /* This node's name in the store. */
};

#define DSR_DEFAULT_API "127.0.0.1:9180"

/* What load_state() loads, and where. */
struct state_load {
    const struct dsrd_options *opts;
    struct dsr_config *cfg;
    struct store *store;        /* NULL on error. */
    bool from_state;
    char *error;
};

static void parse_options(int argc, char *argv[], struct dsrd_options *);
static void dsrd_options_destroy(struct dsrd_options *);
static void load_state(void *state_load);
static void withdraw_and_exit(struct dsrd_options *) OVS_NO_RETURN;
static void parse_api_options(const struct dsrd_options *,
                              struct http_server_options *,
                              const struct dsr_limits *, char **token,
                              char **tls_cert, char **tls_key);
static void raise_fd_limit(struct dsr_limits *);
static void usage(void) OVS_NO_RETURN;

static unixctl_cb_func dsrd_exit;
static void sigterm_hook(void *aux);
static void set_ct_policy(struct datapath_monitor *,
                          const struct dsr_config *);
static unixctl_cb_func dsrd_show;

/* What dsr/show reports. */
struct dsrd_show_aux {
    const struct dsr_config *cfg;
    const struct lb *lb;
    const struct datapath_monitor *datapaths;
};
static unixctl_cb_func dsrd_health_reaction;

int
main(int argc, char *argv[])
{
    struct dsrd_options opts = { .api_max_body = 0 };
    struct unixctl_server *unixctl;
    struct dsr_config *cfg;
    bool exiting = false;
    struct lb *lb;

    ovs_cmdl_proctitle_init(argc, argv);
    ovs_set_program_name(argv[0], DSR_VERSION);
    service_start(&argc, &argv);
    parse_options(argc, argv, &opts);
    fatal_ignore_sigpipe();

    if (opts.withdraw_only) {
        withdraw_and_exit(&opts);
    }

    /* Before the connections that early_sync_start() opens, which a
     * --monitor process must not hold. */
    daemonize_start(false);
    struct early_sync *early = early_sync_start(opts.state_file);
    cfg = xmalloc(sizeof *cfg);
    dsr_config_init(cfg);
    struct state_load load = { .opts = &opts, .cfg = cfg };
    early_sync_load(early, load_state, &load);
    struct store *store = load.store;
    bool from_state = load.from_state;
    char *error = load.error;
    if (!store) {
        ovs_fatal(0, "%s", error);
    }

    /* What this process can afford; the configuration keeps what the
     * operator asked for. */
    struct dsr_limits limits = cfg->limits;
    raise_fd_limit(&limits);

    struct http_server_options api_options = { .n_tokens = 0 };
    char *token = NULL, *tls_cert = NULL, *tls_key = NULL;
    bool api_enabled = strcmp(opts.api_address, "none");
    if (api_enabled) {
        parse_api_options(&opts, &api_options, &limits, &token, &tls_cert,
                          &tls_key);
    }

    int retval = unixctl_server_create(opts.unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    lb = lb_create(cfg, early);
    early_sync_destroy(early);
    char *drain_file = xasprintf("%s.drained", opts.state_file);
    struct announcer *announcer = announcer_create(&cfg->announce,
                                                   drain_file, opts.node_name);
    free(drain_file);
    lb_set_max_probes_in_flight(lb, limits.max_probes_in_flight);
    /* Loading a big state file peaks far above what dsrd keeps (its JSON
     * is several times the size of the model): return that memory. */
    malloc_trim(0);
    struct datapath_monitor *datapaths = datapath_monitor_create(
        opts.ovsdb_remote);
    set_ct_policy(datapaths, cfg);
    lb_set_datapaths(lb, datapaths);
    struct trace *trace = trace_create(cfg, lb, datapaths);
    struct cluster *cluster = (opts.db_remote
                               ? cluster_create(opts.db_remote,
                                                opts.node_name, cfg,
                                                store_get_txn_store(store),
                                                lb)
                               : NULL);
    store_set_cache_only(store, cluster != NULL);
    struct api *api = NULL;
    if (api_enabled) {
        api = api_create(cfg, lb, store_get_txn_store(store), &api_options,
                         &error);
        if (!api) {
            ovs_fatal(0, "%s", error);
        }
        api_set_sources(api, datapaths, trace, announcer);
        if (cluster) {
            api_set_cluster(api, cluster);
        }
    }
    free(token);
    free(CONST_CAST(struct http_token *, api_options.tokens));
    free(tls_cert);
    free(tls_key);
    unixctl_command_register("exit", "", 0, 0, dsrd_exit, &exiting);
    struct dsrd_show_aux show_aux = { cfg, lb, datapaths };
    unixctl_command_register("dsr/show", "", 0, 0, dsrd_show, &show_aux);
    unixctl_command_register("dsr/health-reaction", "", 0, 0,
                             dsrd_health_reaction, lb);
    trace_register_unixctl(trace);
    daemonize_complete();
    /* After the pidfile's own hook, which must run first. */
    fatal_signal_add_hook(sigterm_hook, NULL, announcer, false);

    VLOG_INFO("dsrd %s started with %"PRIuSIZE" services on %"PRIuSIZE
              " bridges, from %s", DSR_VERSION, hmap_count(&cfg->services),
              cfg->n_bridges, from_state ? opts.state_file : opts.config_file);
    while (!exiting) {
        unixctl_server_run(unixctl);
        lb_run(lb);
        /* After lb_run(), which reads the bridges' answers that tell the
         * cluster what this node has applied; what it follows goes to the
         * bridges in the next pass, as an API write does. */
        if (cluster) {
            cluster_run(cluster);
        }
        announcer_run(announcer, cfg, lb);
        datapath_monitor_run(datapaths);
        trace_run(trace);
        if (api) {
            api_run(api);
        }

        unixctl_server_wait(unixctl);
        if (cluster) {
            cluster_wait(cluster);
        }
        lb_wait(lb);
        announcer_wait(announcer);
        datapath_monitor_wait(datapaths);
        trace_wait(trace);
        if (api) {
            api_wait(api);
        }
        if (exiting) {
            poll_immediate_wake();
        }
        poll_block();
        if (should_service_stop()) {
            exiting = true;
        }
    }
    VLOG_INFO("exiting; flows stay on the bridges");
    announcer_withdraw_all(announcer);
    announcer_destroy(announcer);
    trace_destroy(trace);       /* Answers its API requests first. */
    api_destroy(api);
    cluster_destroy(cluster);
    datapath_monitor_destroy(datapaths);
    lb_destroy(lb);
    store_close(store);
    dsr_config_destroy(cfg);
    free(cfg);
    unixctl_server_destroy(unixctl);
    service_stop();
    dsrd_options_destroy(&opts);
    return 0;
}

/* Loads the state file, or the --config file if there is none: on a
 * thread of its own (early-sync.h). */
static void
load_state(void *load_)
{
    struct state_load *load = load_;
    const struct dsrd_options *o = load->opts;

    load->store = store_open(o->state_file, o->config_file, load->cfg,
                             &load->from_state, &load->error);
}

/* --withdraw: deletes the routes of the state's VIPs (a dsrd killed
 * without withdrawing them) and exits. */
static void
withdraw_and_exit(struct dsrd_options *o)
{
    struct dsr_config cfg;
    bool from_state;
    char *error;

    dsr_config_init(&cfg);
    struct store *store = store_open(o->state_file, o->config_file, &cfg,
                                     &from_state, &error);
    if (!store) {
        ovs_fatal(0, "%s", error);
    }
    error = announce_flush(&cfg.announce);
    if (error) {
        ovs_fatal(0, "%s", error);
    }
    store_close(store);
    dsr_config_destroy(&cfg);
    dsrd_options_destroy(o);
    exit(EXIT_SUCCESS);
}

/* The bridges share dsrd's conntrack zone, and so its timeouts
 * (config-parse.c checks that they agree). */
static void
set_ct_policy(struct datapath_monitor *datapaths,
              const struct dsr_config *cfg)
{
    struct sset bridges = SSET_INITIALIZER(&bridges);

    for (size_t i = 0; i < cfg->n_bridges; i++) {
        sset_add(&bridges, cfg->bridges[i].name);
    }
    if (cfg->n_bridges) {
        datapath_monitor_set_ct_policy(datapaths, &bridges,
                                       &cfg->bridges[0].ct_timeouts);
    }
    sset_destroy(&bridges);
}

/* SIGTERM (systemctl stop), like OVS's other fatal signals SIGINT and
 * SIGHUP, is a graceful stop: every accepted change is already on disk,
 * and the flows stay on the bridges (fail_mode=secure), so there is
 * nothing left to do but withdraw the VIPs announced by BGP, say so and
 * exit 0. */
static void
sigterm_hook(void *announcer)
{
    VLOG_INFO("terminating on a signal; flows stay on the bridges");
    /* In bgp mode the routers then move the traffic elsewhere. */
    announcer_withdraw_all(announcer);
    exit(EXIT_SUCCESS);
}

static void
dsrd_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
          const char *argv[] OVS_UNUSED, void *exiting_)
{
    bool *exiting = exiting_;

    *exiting = true;
    unixctl_command_reply(conn, NULL);
}

/* dsr/show: services and backends (lb.c), then each bridge's datapath. */
static void
dsrd_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
          const char *argv[] OVS_UNUSED, void *aux_)
{
    const struct dsrd_show_aux *aux = aux_;
    struct ds s = DS_EMPTY_INITIALIZER;

    lb_format_show(aux->lb, &s);
    for (size_t i = 0; i < aux->cfg->n_bridges; i++) {
        ds_put_format(&s, "bridge %s: ", aux->cfg->bridges[i].name);
        datapath_monitor_format(aux->datapaths, aux->cfg->bridges[i].name,
                                &s);
        ds_put_char(&s, '\n');
    }
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* Parses token file 'name', whose contents 'text' it cuts up in place:
 * a token a line, "SECRET" or "NAME SECRET" (the name the audit trail
 * gives its writes; "token" by default); blank lines and "#" comments
 * are skipped.  Exits on an error. */
static void
parse_tokens(const char *name, char *text, struct http_server_options *opts)
{
    struct http_token *tokens = NULL;
    size_t n = 0, allocated = 0;
    int lineno = 0;

    for (char *line; (line = strsep(&text, "\n")) != NULL; ) {
        char *save = NULL;
        char *first = strtok_r(line, " \t\r", &save);
        char *second = first ? strtok_r(NULL, " \t\r", &save) : NULL;

        lineno++;
        if (!first || first[0] == '#') {
            continue;
        } else if (second && strtok_r(NULL, " \t\r", &save)) {
            ovs_fatal(0, "%s:%d: \"NAME SECRET\" or \"SECRET\" expected",
                      name, lineno);
        }
        if (n >= allocated) {
            tokens = x2nrealloc(tokens, &allocated, sizeof *tokens);
        }
        tokens[n].name = second ? first : "token";
        tokens[n++].secret = second ? second : first;
    }
    if (!n) {
        ovs_fatal(0, "%s: no token", name);
    }
    opts->tokens = tokens;
    opts->n_tokens = n;
}

/* Reads a whole small file (token, certificate); exits on failure. */
static char *
read_file(const char *name)
{
    FILE *f = fopen(name, "r");
    struct ds s = DS_EMPTY_INITIALIZER;

    if (!f) {
        ovs_fatal(errno, "%s", name);
    }
    if (ds_get_preprocessed_line(&s, f, NULL) == EOF && !s.length) {
        ovs_fatal(0, "%s: empty", name);
    }
    /* Certificates and keys span lines: read the rest verbatim. */
    int c;
    ds_put_char(&s, '\n');
    while ((c = getc(f)) != EOF) {
        ds_put_char(&s, c);
    }
    fclose(f);
    return ds_steal_cstr(&s);
}

/* File descriptors dsrd needs besides API connections and probes:
 * OpenFlow, unixctl, the state file, logs, libcurl's spares. */
#define RESERVED_FDS 512

/* Raises the soft RLIMIT_NOFILE to what the limits need (API connections
 * and probes each hold a descriptor), or lowers the limits to what the
 * hard limit allows, saying so. */
static void
raise_fd_limit(struct dsr_limits *limits)
{
    rlim_t need = ((rlim_t) limits->max_api_connections
                   + limits->max_probes_in_flight + RESERVED_FDS);
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need) {
        return;
    }
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? need : MIN(need,
                                                            rl.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &rl)) {
        VLOG_WARN("cannot raise the open file limit to %llu: %s",
                  (unsigned long long) rl.rlim_cur, ovs_strerror(errno));
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) {
        /* Share what there is in proportion. */
        rlim_t room = rl.rlim_cur > 2 * RESERVED_FDS
                      ? rl.rlim_cur - RESERVED_FDS : RESERVED_FDS;
        rlim_t want = need - RESERVED_FDS;
        limits->max_api_connections = MAX(16, (limits->max_api_connections
                                               * room / want));
        limits->max_probes_in_flight = MAX(1, (limits->max_probes_in_flight
                                               * room / want));
        VLOG_WARN("open file limit %llu is below the %llu that the limits "
                  "need: at most %u API connections and %u probes in "
                  "flight", (unsigned long long) rl.rlim_cur,
                  (unsigned long long) need, limits->max_api_connections,
                  limits->max_probes_in_flight);
    }
}

static void
parse_api_options(const struct dsrd_options *o,
                  struct http_server_options *opts,
                  const struct dsr_limits *limits, char **token,
                  char **tls_cert, char **tls_key)
{
    char *colon = strrchr(o->api_address, ':');
    int port;

    if (!colon || !str_to_int(colon + 1, 10, &port) || port <= 0
        || port > 65535) {
        ovs_fatal(0, "--api=%s: expected IP:PORT or none", o->api_address);
    }
    *colon = '\0';
    memset(opts, 0, sizeof *opts);
    opts->address = o->api_address;
    opts->port = port;
    opts->max_body = (o->api_max_body ? o->api_max_body
                      : limits->max_body_bytes);
    opts->max_connections = limits->max_api_connections;
    opts->max_connections_per_ip = limits->max_api_connections_per_ip;
    opts->timeout_s = limits->api_request_timeout_s;
    if (o->api_token_file) {
        *token = read_file(o->api_token_file);
        parse_tokens(o->api_token_file, *token, opts);
    }
    if (!o->api_tls_cert_file != !o->api_tls_key_file) {
        ovs_fatal(0, "--api-tls-cert and --api-tls-key go together");
    }
    if (o->api_tls_cert_file) {
        *tls_cert = read_file(o->api_tls_cert_file);
        *tls_key = read_file(o->api_tls_key_file);
        opts->tls_cert = *tls_cert;
        opts->tls_key = *tls_key;
    }
}

static void
dsrd_health_reaction(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *lb)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    lb_format_reactions(lb, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
parse_options(int argc, char *argv[], struct dsrd_options *o)
{
    enum {
        OPT_UNIXCTL = UCHAR_MAX + 1,
        OPT_STATE_FILE,
        OPT_API,
        OPT_API_TOKEN_FILE,
        OPT_API_TLS_CERT,
        OPT_API_TLS_KEY,
        OPT_API_MAX_BODY,
        OPT_OVSDB,
        OPT_WITHDRAW,
        OPT_DB,
        OPT_NODE_NAME,
        OPT_DB_PRIVATE_KEY,
        OPT_DB_CERTIFICATE,
        OPT_DB_CA_CERT,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        {"state-file", required_argument, NULL, OPT_STATE_FILE},
        {"api", required_argument, NULL, OPT_API},
        {"api-token-file", required_argument, NULL, OPT_API_TOKEN_FILE},
        {"api-tls-cert", required_argument, NULL, OPT_API_TLS_CERT},
        {"api-tls-key", required_argument, NULL, OPT_API_TLS_KEY},
        {"api-max-body", required_argument, NULL, OPT_API_MAX_BODY},
        {"ovsdb", required_argument, NULL, OPT_OVSDB},
        {"withdraw", no_argument, NULL, OPT_WITHDRAW},
        {"db", required_argument, NULL, OPT_DB},
        {"node-name", required_argument, NULL, OPT_NODE_NAME},
        {"db-private-key", required_argument, NULL, OPT_DB_PRIVATE_KEY},
        {"db-certificate", required_argument, NULL, OPT_DB_CERTIFICATE},
        {"db-ca-cert", required_argument, NULL, OPT_DB_CA_CERT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case 'c':
            free(o->config_file);
            o->config_file = xstrdup(optarg);
            break;
        case OPT_UNIXCTL:
            free(o->unixctl_path);
            o->unixctl_path = xstrdup(optarg);
            break;
        case OPT_STATE_FILE:
            free(o->state_file);
            o->state_file = xstrdup(optarg);
            break;
        case OPT_API:
            free(o->api_address);
            o->api_address = xstrdup(optarg);
            break;
        case OPT_API_TOKEN_FILE:
            free(o->api_token_file);
            o->api_token_file = xstrdup(optarg);
            break;
        case OPT_API_TLS_CERT:
            free(o->api_tls_cert_file);
            o->api_tls_cert_file = xstrdup(optarg);
            break;
        case OPT_API_TLS_KEY:
            free(o->api_tls_key_file);
            o->api_tls_key_file = xstrdup(optarg);
            break;
        case OPT_API_MAX_BODY: {
            unsigned long long int n;
            if (!str_to_ullong(optarg, 10, &n) || !n) {
                ovs_fatal(0, "--api-max-body=%s: expected bytes", optarg);
            }
            o->api_max_body = n;
            break;
        }
        case OPT_OVSDB:
            free(o->ovsdb_remote);
            o->ovsdb_remote = xstrdup(optarg);
            break;
        case OPT_DB:
            free(o->db_remote);
            o->db_remote = xstrdup(optarg);
            break;
        case OPT_NODE_NAME:
            free(o->node_name);
            o->node_name = xstrdup(optarg);
            break;
        case OPT_DB_PRIVATE_KEY:
            stream_ssl_set_private_key_file(optarg);
            break;
        case OPT_DB_CERTIFICATE:
            stream_ssl_set_certificate_file(optarg);
            break;
        case OPT_DB_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, false);
            break;
        case OPT_WITHDRAW:
            o->withdraw_only = true;
            break;
        case 'h':
            free(short_options);    /* usage() exits: a clean leak check. */
            usage();
        case 'V':
            free(short_options);
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        case '?':
            free(short_options);
            exit(EXIT_FAILURE);
        default:
            abort();
        }
    }
    free(short_options);
    if (optind != argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (use --help)", argv[optind]);
    }
    if (!o->state_file) {
        o->state_file = xasprintf("%s/dsrd.state.json", ovs_dbdir());
    }
    if (!o->api_address) {
        o->api_address = xstrdup(DSR_DEFAULT_API);
    }
    if (!o->ovsdb_remote) {
        o->ovsdb_remote = xasprintf("unix:%s/db.sock", ovs_rundir());
    }
    if (!o->node_name) {
        char host[HOST_NAME_MAX + 1];
        o->node_name = xstrdup(gethostname(host, sizeof host) ? "dsrd" : host);
    }
}

static void
dsrd_options_destroy(struct dsrd_options *o)
{
    free(o->config_file);
    free(o->state_file);
    free(o->unixctl_path);
    free(o->db_remote);
    free(o->node_name);
    free(o->api_address);
    free(o->ovsdb_remote);
    free(o->api_token_file);
    free(o->api_tls_cert_file);
    free(o->api_tls_key_file);
}

static void
usage(void)
{
    printf("%s: Direct Server Return load balancer for Open vSwitch\n"
           "usage: %s [--config=FILE] [OPTIONS]\n"
           "\n"
           "  -c, --config=FILE       initial configuration, used when "
           "there is no state file\n"
           "                          (schemas/config.schema.json)\n"
           "      --state-file=FILE   every accepted change is saved here "
           "(default\n"
           "                          %s/dsrd.state.json)\n"
           "      --api=IP:PORT|none  REST API address (default %s)\n"
           "      --api-token-file=FILE  require \"Authorization: Bearer "
           "TOKEN\", TOKEN one of\n"
           "                          FILE's (\"SECRET\" or \"NAME SECRET\" "
           "a line)\n"
           "      --api-tls-cert=FILE, --api-tls-key=FILE  serve HTTPS\n"
           "      --api-max-body=BYTES   largest request body (default "
           "limits.max_body_bytes\n"
           "                          of the configuration, 16 MiB)\n"
           "      --ovsdb=REMOTE|none  OVSDB to read each bridge's datapath "
           "from\n"
           "                          (default unix:%s/db.sock; "
           "tcp:IP:PORT works too)\n"
           "      --unixctl=SOCKET    control socket "
           "(default %s/dsrd.PID.ctl)\n"
           "      --db=REMOTE[,REMOTE...]  a clustered OVSDB store "
           "(schemas/ovs-dsr.ovsschema)\n"
           "                          holds the services of every node "
           "(tcp:, ssl:, unix:)\n"
           "      --node-name=NAME    this node in the store and in "
           "announce.nodes\n"
           "                          (default the host name)\n"
           "      --db-private-key=FILE, --db-certificate=FILE, "
           "--db-ca-cert=FILE\n"
           "                          for ssl: store remotes\n"
           "      --withdraw          delete the routes of the state's "
           "\"announce\" (bgp) and exit:\n"
           "                          what the service manager runs after "
           "dsrd died\n",
           program_name, program_name, ovs_dbdir(), DSR_DEFAULT_API,
           ovs_rundir(), ovs_rundir());
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
