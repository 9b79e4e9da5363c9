/* dsrd: Direct Server Return load balancing on Open vSwitch.
 *
 * Reads a JSON configuration, connects to the configured bridges over
 * OpenFlow 1.5 and keeps each bridge's DSR pipeline in line with it.  The
 * main loop is OVS's poll loop; each module has a run and a wait
 * function. */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include "command-line.h"
#include "controller/config.h"
#include "controller/lb.h"
#include "controller/model.h"
#include "daemon.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vconn.h"
#include "openvswitch/vlog.h"
#include "openvswitch/poll-loop.h"
#include "unixctl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dsrd);

static char *config_file;
static char *unixctl_path;

static void parse_options(int argc, char *argv[]);
static void usage(void) OVS_NO_RETURN;

static unixctl_cb_func dsrd_exit;
static unixctl_cb_func dsrd_show;

int
main(int argc, char *argv[])
{
    struct unixctl_server *unixctl;
    struct dsr_config *cfg;
    bool exiting = false;
    struct lb *lb;

    ovs_cmdl_proctitle_init(argc, argv);
    ovs_set_program_name(argv[0], DSR_VERSION);
    service_start(&argc, &argv);
    parse_options(argc, argv);
    fatal_ignore_sigpipe();

    cfg = xmalloc(sizeof *cfg);
    dsr_config_init(cfg);
    char *error = dsr_config_from_file(config_file, false, cfg);
    if (error) {
        ovs_fatal(0, "%s", error);
    }

    daemonize_start(false);
    int retval = unixctl_server_create(unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    lb = lb_create(cfg);
    unixctl_command_register("exit", "", 0, 0, dsrd_exit, &exiting);
    unixctl_command_register("dsr/show", "", 0, 0, dsrd_show, lb);
    daemonize_complete();

    VLOG_INFO("dsrd %s started with %"PRIuSIZE" services on %"PRIuSIZE
              " bridges", DSR_VERSION, hmap_count(&cfg->services),
              cfg->n_bridges);
    while (!exiting) {
        unixctl_server_run(unixctl);
        lb_run(lb);

        unixctl_server_wait(unixctl);
        lb_wait(lb);
        if (exiting) {
            poll_immediate_wake();
        }
        poll_block();
        if (should_service_stop()) {
            exiting = true;
        }
    }
    VLOG_INFO("exiting; flows stay on the bridges");
    lb_destroy(lb);
    dsr_config_destroy(cfg);
    free(cfg);
    unixctl_server_destroy(unixctl);
    service_stop();
    free(config_file);
    free(unixctl_path);
    return 0;
}

static void
dsrd_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
          const char *argv[] OVS_UNUSED, void *exiting_)
{
    bool *exiting = exiting_;

    *exiting = true;
    unixctl_command_reply(conn, NULL);
}

static void
dsrd_show(struct unixctl_conn *conn, int argc OVS_UNUSED,
          const char *argv[] OVS_UNUSED, void *lb)
{
    struct ds s = DS_EMPTY_INITIALIZER;

    lb_format_show(lb, &s);
    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

static void
parse_options(int argc, char *argv[])
{
    enum {
        OPT_UNIXCTL = UCHAR_MAX + 1,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
    };
    static const struct option long_options[] = {
        {"config", required_argument, NULL, 'c'},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
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
            free(config_file);
            config_file = xstrdup(optarg);
            break;
        case OPT_UNIXCTL:
            free(unixctl_path);
            unixctl_path = xstrdup(optarg);
            break;
        case 'h':
            usage();
        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);
        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        case '?':
            exit(EXIT_FAILURE);
        default:
            abort();
        }
    }
    free(short_options);
    if (optind != argc) {
        ovs_fatal(0, "unexpected argument \"%s\" (use --help)", argv[optind]);
    }
    if (!config_file) {
        ovs_fatal(0, "--config=FILE is required (use --help)");
    }
}

static void
usage(void)
{
    printf("%s: Direct Server Return load balancer for Open vSwitch\n"
           "usage: %s --config=FILE [OPTIONS]\n"
           "\n"
           "  -c, --config=FILE       JSON configuration "
           "(schemas/config.schema.json)\n"
           "      --unixctl=SOCKET    control socket "
           "(default %s/dsrd.PID.ctl)\n",
           program_name, program_name, ovs_rundir());
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
