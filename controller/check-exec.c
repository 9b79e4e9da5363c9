/* exec check: runs a command (keepalived's MISC_CHECK); exit status 0
 * means up.  The command gets DSR_BACKEND_IP, DSR_PORT, DSR_VIP and
 * DSR_SERVICE in its environment, and is killed at the timeout. */
#include <config.h>
#include "controller/health-private.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include "controller/model.h"
#include "process.h"
#include "util.h"

struct exec_probe {
    struct process *process;
};

static void
set_env(const char *name, const char *fmt, ...)
{
    va_list args;

    va_start(args, fmt);
    char *value = xvasprintf(fmt, args);
    va_end(args);
    setenv(name, value, 1);
    free(value);
}

static void
exec_start(struct probe *p)
{
    struct exec_probe *ep = xzalloc(sizeof *ep);

    p->priv = ep;
    /* dsrd is single-threaded: the child inherits exactly these. */
    char ip[INET6_ADDRSTRLEN];
    set_env("DSR_BACKEND_IP", "%s", dsr_ip_to_string(&p->ip, ip));
    set_env("DSR_VIP", "%s", dsr_ip_to_string(&p->vip, ip));
    set_env("DSR_PORT", "%"PRIu16, p->check->port);
    set_env("DSR_SERVICE", "%s", p->service);
    int error = process_start(p->check->command, &ep->process);
    unsetenv("DSR_BACKEND_IP");
    unsetenv("DSR_VIP");
    unsetenv("DSR_PORT");
    unsetenv("DSR_SERVICE");
    if (error) {
        probe_finish(p, false, "%s: %s", p->check->command[0],
                     ovs_strerror(error));
    }
}

static void
exec_run(struct probe *p)
{
    struct exec_probe *ep = p->priv;

    if (process_exited(ep->process)) {
        int status = process_status(ep->process);
        if (WIFEXITED(status) && !WEXITSTATUS(status)) {
            probe_finish(p, true, NULL);
        } else {
            char *msg = process_status_msg(status);
            probe_finish(p, false, "%s %s", p->check->command[0], msg);
            free(msg);
        }
    }
}

static void
exec_wait(struct probe *p)
{
    struct exec_probe *ep = p->priv;

    process_wait(ep->process);
}

static void
exec_destroy(struct probe *p)
{
    struct exec_probe *ep = p->priv;

    if (ep) {
        if (ep->process) {
            if (!process_exited(ep->process)) {
                /* Timed out: kill it and reap it, leaving no zombie. */
                process_kill(ep->process, SIGKILL);
                waitpid(process_pid(ep->process), NULL, 0);
            }
            process_destroy(ep->process);
        }
        free(ep);
    }
}

/* Reaps the children of every exec probe at once. */
static void
exec_class_run(void *class_state OVS_UNUSED)
{
    process_run();
}

const struct probe_class check_exec_class = {
    .class_run = exec_class_run,
    .start = exec_start,
    .run = exec_run,
    .wait = exec_wait,
    .destroy = exec_destroy,
};
