/* stack.c — the hazlink stack as child processes (see stack.h). */
#define _XOPEN_SOURCE 700 /* nftw */
#include "hazlink/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_zap.h"

extern char **environ;

typedef struct hl_child {
    char name[HL_STACK_NAME_MAX + 1];
    char program[64];
    char *args[HL_STACK_MAX_ARGS + 1]; /* owned copies; args[0] = program; NULL-terminated */
    int service;                       /* index in hl_service_names, or -1 */
    pid_t pid;                         /* > 0 while running */
    int reported;                      /* death already returned by hl_stack_poll */
    int status;                        /* waitpid status of the last exit */
} hl_child;

struct hl_stack {
    hl_config cfg;
    char bin_dir[HL_PATH_MAX];
    char log_dir[HL_PATH_MAX];
    void *zctx; /* for the readiness probe; created lazily */
    hl_child kids[HL_STACK_MAX_CHILDREN];
    size_t nkids;
};

static void stack__errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stack__errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void stack__sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* mkdir -p with mode 0700 for the parts we create. */
static int stack__mkdirs(const char *path, char *err, size_t errlen)
{
    char buf[HL_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return HL_ETOOBIG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
            stack__errf(err, errlen, "cannot create %s: %s", buf, strerror(errno));
            return HL_EIO;
        }
        buf[i] = c;
    }
    return 0;
}

int hl_stack_self_dir(char *buf, size_t n)
{
    char path[HL_PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
    if (len <= 0)
        return HL_EIO;
    if ((size_t)len >= sizeof path - 1)
        return HL_ETOOBIG;
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return HL_EIO;
    *slash = '\0';
    if (slash == path) /* binary in "/" */
        snprintf(path, sizeof path, "/");
    size_t pl = strlen(path);
    if (pl + 1 > n)
        return HL_ETOOBIG;
    memcpy(buf, path, pl + 1);
    return 0;
}

int hl_stack_new(const hl_config *cfg, const char *bin_dir, hl_stack **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    hl_stack *s = calloc(1, sizeof *s);
    if (!s)
        return HL_ENOMEM;
    s->cfg = *cfg;
    int rc;
    if (bin_dir) {
        if (strlen(bin_dir) >= sizeof s->bin_dir) {
            free(s);
            return HL_ETOOBIG;
        }
        snprintf(s->bin_dir, sizeof s->bin_dir, "%s", bin_dir);
    } else if ((rc = hl_stack_self_dir(s->bin_dir, sizeof s->bin_dir)) < 0) {
        stack__errf(err, errlen, "cannot find the program's directory via /proc/self/exe");
        free(s);
        return rc;
    }
    if ((rc = hl_config_path(cfg, "logs", s->log_dir, sizeof s->log_dir)) < 0) {
        stack__errf(err, errlen, "data dir path too long: %s", cfg->data_dir);
        free(s);
        return rc;
    }
    if ((rc = stack__mkdirs(cfg->data_dir, err, errlen)) < 0 ||
        (rc = stack__mkdirs(s->log_dir, err, errlen)) < 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

const char *hl_stack_bin_dir(const hl_stack *s)
{
    return s->bin_dir;
}
const hl_config *hl_stack_config(const hl_stack *s)
{
    return &s->cfg;
}

static hl_child *stack__find(hl_stack *s, const char *name)
{
    for (size_t i = 0; i < s->nkids; i++)
        if (strcmp(s->kids[i].name, name) == 0)
            return &s->kids[i];
    return NULL;
}

static const hl_child *stack__cfind(const hl_stack *s, const char *name)
{
    return stack__find((hl_stack *)s, name);
}

static int stack__service_index(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(hl_service_names[i], name) == 0)
            return i;
    return -1;
}

pid_t hl_stack_pid(const hl_stack *s, const char *name)
{
    const hl_child *k = stack__cfind(s, name);
    return k ? k->pid : 0;
}

size_t hl_stack_running(const hl_stack *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nkids; i++)
        n += s->kids[i].pid > 0;
    return n;
}

int hl_stack_log_path(const hl_stack *s, const char *name, char *buf, size_t n)
{
    int w = snprintf(buf, n, "%s/%s.log", s->log_dir, name);
    return (w < 0 || (size_t)w >= n) ? HL_ETOOBIG : 0;
}

static void stack__describe_status(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, n, "status 0x%x", (unsigned)status);
}

/* The child's environment: the caller's, minus every variable hl_config reads, plus the
 * values of s->cfg. Built before fork because after fork in a process with ZeroMQ's I/O
 * threads only async-signal-safe calls are allowed (no malloc, no setenv). */
typedef struct stack_env {
    char **vars;
    size_t n;
    char own[7][HL_PATH_MAX + 32];
} stack_env;

static int stack__env_build(const hl_stack *s, stack_env *e)
{
    static const char *const ours[] = {
        "HAZLINK_CONFIG=",    "HAZLINK_DATA=",  "HAZLINK_HOST=",  "HAZLINK_BASE_PORT=",
        "HAZLINK_PLAYBOOKS=", "HAZLINK_CLOCK=", "HAZLINK_SEASON="};
    size_t total = 0;
    while (environ[total])
        total++;
    e->vars = calloc(total + 8, sizeof *e->vars);
    if (!e->vars)
        return HL_ENOMEM;
    e->n = 0;
    for (size_t i = 0; i < total; i++) {
        int skip = 0;
        for (size_t j = 0; j < sizeof ours / sizeof ours[0]; j++)
            if (strncmp(environ[i], ours[j], strlen(ours[j])) == 0)
                skip = 1;
        if (!skip)
            e->vars[e->n++] = environ[i];
    }
    const hl_config *c = &s->cfg;
    int k = 0;
    snprintf(e->own[k], sizeof e->own[k], "HAZLINK_DATA=%s", c->data_dir);
    e->vars[e->n++] = e->own[k++];
    snprintf(e->own[k], sizeof e->own[k], "HAZLINK_HOST=%s", c->host);
    e->vars[e->n++] = e->own[k++];
    snprintf(e->own[k], sizeof e->own[k], "HAZLINK_BASE_PORT=%d", c->base_port);
    e->vars[e->n++] = e->own[k++];
    snprintf(e->own[k], sizeof e->own[k], "HAZLINK_PLAYBOOKS=%s", c->playbook_dir);
    e->vars[e->n++] = e->own[k++];
    if (c->clock[0]) {
        snprintf(e->own[k], sizeof e->own[k], "HAZLINK_CLOCK=%s", c->clock);
        e->vars[e->n++] = e->own[k++];
    }
    if (c->season[0]) {
        snprintf(e->own[k], sizeof e->own[k], "HAZLINK_SEASON=%s", c->season);
        e->vars[e->n++] = e->own[k++];
    }
    e->vars[e->n] = NULL;
    return 0;
}

static void stack__child_free_args(hl_child *k)
{
    for (size_t i = 0; i <= HL_STACK_MAX_ARGS; i++) {
        free(k->args[i]);
        k->args[i] = NULL;
    }
}

/* Fork and exec child k from its recipe. */
static int stack__launch(hl_stack *s, hl_child *k, char *err, size_t errlen)
{
    char path[HL_PATH_MAX + 80];
    char logp[HL_PATH_MAX + 100];
    int w = snprintf(path, sizeof path, "%s/%s", s->bin_dir, k->program);
    if (w < 0 || (size_t)w >= sizeof path)
        return HL_ETOOBIG;
    if (access(path, X_OK) < 0) {
        stack__errf(err, errlen, "%s: cannot run %s: %s", k->name, path, strerror(errno));
        return HL_ENOTFOUND;
    }
    if (hl_stack_log_path(s, k->name, logp, sizeof logp) < 0)
        return HL_ETOOBIG;
    int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        stack__errf(err, errlen, "%s: cannot open log %s: %s", k->name, logp, strerror(errno));
        return HL_EIO;
    }
    /* A marker line so restarts are visible in the log of the same child. */
    char when[40] = "";
    hl_time_format(hl_real_now_ms(), HL_TZ_BEIJING_MIN, when, sizeof when);
    char head[HL_PATH_MAX + 200];
    int hn = snprintf(head, sizeof head, "==== %s: starting %s (clock \"%s\")\n", when, path,
                      s->cfg.clock);
    if (hn > 0 && write(fd, head, (size_t)hn < sizeof head ? (size_t)hn : sizeof head - 1) < 0) {
        /* The log is best effort; the child's own output matters more. */
    }
    stack_env e;
    if (stack__env_build(s, &e) < 0) {
        close(fd);
        return HL_ENOMEM;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        stack__errf(err, errlen, "%s: fork failed: %s", k->name, strerror(errno));
        free(e.vars);
        close(fd);
        return HL_EIO;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here to exec. The children die with
         * the program that started them, so a crashed drill leaves no orphans bound to
         * its ports. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            if (devnull > 2)
                close(devnull);
        }
        dup2(fd, 1);
        dup2(fd, 2);
        /* Put the child in its own process group so a terminal's Ctrl-C reaches only the
         * caller, which then stops the children in order. */
        setpgid(0, 0);
        execve(path, k->args, e.vars);
        static const char msg[] = "hazlink stack: execve failed\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
        _exit(127);
    }
    free(e.vars);
    close(fd);
    k->pid = pid;
    k->reported = 0;
    return 0;
}

static int stack__add(hl_stack *s, const char *name, const char *program, const char *const *args,
                      int service, hl_child **out, char *err, size_t errlen)
{
    if (strlen(name) > HL_STACK_NAME_MAX || strlen(program) >= sizeof s->kids[0].program)
        return HL_ETOOBIG;
    hl_child *k = stack__find(s, name);
    if (k && k->pid > 0) {
        stack__errf(err, errlen, "%s is already running (pid %d)", name, (int)k->pid);
        return HL_EEXIST;
    }
    size_t nargs = 0;
    while (args && args[nargs])
        nargs++;
    if (nargs + 1 > HL_STACK_MAX_ARGS) {
        stack__errf(err, errlen, "%s: %zu arguments, at most %d", name, nargs,
                    HL_STACK_MAX_ARGS - 1);
        return HL_ETOOBIG;
    }
    if (!k) {
        if (s->nkids >= HL_STACK_MAX_CHILDREN) {
            stack__errf(err, errlen, "at most %d children", HL_STACK_MAX_CHILDREN);
            return HL_ETOOBIG;
        }
        k = &s->kids[s->nkids];
        memset(k, 0, sizeof *k);
        s->nkids++;
    } else {
        stack__child_free_args(k);
    }
    snprintf(k->name, sizeof k->name, "%s", name);
    snprintf(k->program, sizeof k->program, "%s", program);
    k->service = service;
    k->args[0] = strdup(program);
    for (size_t i = 0; i < nargs; i++)
        k->args[i + 1] = strdup(args[i]);
    for (size_t i = 0; i <= nargs; i++)
        if (!k->args[i]) {
            stack__child_free_args(k);
            return HL_ENOMEM;
        }
    *out = k;
    return 0;
}

/* Reap k if it has exited. Returns 1 (dead, status in *st), 0 (alive). */
static int stack__reap(hl_child *k, int *st)
{
    if (k->pid <= 0)
        return 1;
    pid_t r = waitpid(k->pid, st, WNOHANG);
    if (r == k->pid || (r < 0 && errno == ECHILD)) {
        k->status = r == k->pid ? *st : 0;
        k->pid = 0;
        return 1;
    }
    return 0;
}

int hl_stack_wait_ready(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen)
{
    hl_child *k = stack__find(s, name);
    if (!k || k->service < 0)
        return HL_ENOTFOUND;
    if (ready_ms <= 0)
        ready_ms = HL_STACK_READY_MS;
    if (!s->zctx && !(s->zctx = zmq_ctx_new()))
        return HL_EZMQ;
    char ep[128];
    int rc = hl_config_endpoint(&s->cfg, name, "req", ep, sizeof ep);
    if (rc < 0)
        return rc;
    char logp[HL_PATH_MAX + 100];
    hl_stack_log_path(s, name, logp, sizeof logp);
    int64_t deadline = hl_real_now_ms() + ready_ms;
    Hl__Empty empty = HL__EMPTY__INIT;
    for (;;) {
        int st = 0;
        if (stack__reap(k, &st)) {
            char how[64];
            stack__describe_status(st, how, sizeof how);
            k->reported = 1;
            stack__errf(err, errlen, "%s %s before answering status; see %s", name, how, logp);
            return HL_ECLOSED;
        }
        int64_t left = deadline - hl_real_now_ms();
        if (left <= 0)
            break;
        Hl__Envelope *reply = NULL;
        char cerr[256] = "";
        rc = hl_call(s->zctx, ep, "hazstack", "status", &empty.base, (int)(left < 500 ? left : 500),
                     &reply, cerr, sizeof cerr);
        hl_env_free(&reply);
        if (rc == 0)
            return 0;
        if (rc != HL_ETIMEOUT)
            stack__sleep_ms(50); /* refused quickly: not bound yet */
    }
    stack__errf(err, errlen, "%s did not answer status on %s within %d ms; see %s", name, ep,
                ready_ms, logp);
    return HL_ETIMEOUT;
}

int hl_stack_start_service(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen)
{
    int idx = stack__service_index(name);
    if (idx < 0) {
        stack__errf(err, errlen, "unknown service '%s'", name);
        return HL_ENOTFOUND;
    }
    hl_child *k = NULL;
    int rc = stack__add(s, name, name, NULL, idx, &k, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = stack__launch(s, k, err, errlen)) < 0)
        return rc;
    return ready_ms > 0 ? hl_stack_wait_ready(s, name, ready_ms, err, errlen) : 0;
}

int hl_stack_start_services(hl_stack *s, int ready_ms, char *err, size_t errlen)
{
    if (ready_ms <= 0)
        ready_ms = HL_STACK_READY_MS;
    /* Launch all first so they come up in parallel, then wait for each. */
    for (int i = 0; i < 5; i++) {
        int rc = hl_stack_start_service(s, hl_service_names[i], 0, err, errlen);
        if (rc < 0)
            return rc;
    }
    for (int i = 0; i < 5; i++) {
        int rc = hl_stack_wait_ready(s, hl_service_names[i], ready_ms, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int hl_stack_spawn(hl_stack *s, const char *name, const char *program, const char *const *args,
                   char *err, size_t errlen)
{
    if (strchr(program, '/') || strchr(name, '/')) {
        stack__errf(err, errlen, "child and program names may not contain '/'");
        return HL_EINVAL;
    }
    hl_child *k = NULL;
    int rc = stack__add(s, name, program, args, stack__service_index(name), &k, err, errlen);
    if (rc < 0)
        return rc;
    return stack__launch(s, k, err, errlen);
}

/* ---- partner keys ----
 * The partner gateway admits only CURVE keys listed in the data dir (services/dispatch/
 * dkeys.h has the layout, docs/trust-model.md the why): keys/gateway.pub, the table
 * keys/partners.keys (its writers hold an flock on keys/partners.keys.lock), and a pair per
 * unit under keys/units/. The stack makes what the partners it starts need. */

typedef struct stack_keys {
    char dir[HL_PATH_MAX + 8], units[HL_PATH_MAX + 16], table[HL_PATH_MAX + 32];
    char lock[HL_PATH_MAX + 40], gateway[HL_PATH_MAX + 24], server_pub[HL_PATH_MAX + 32];
    char unit_base[HL_PATH_MAX + 96];
} stack_keys;

static int stack__keys_paths(const hl_stack *s, const char *unit, stack_keys *k)
{
    const char *d = s->cfg.data_dir;
    int w[7] = {snprintf(k->dir, sizeof k->dir, "%s/keys", d),
                snprintf(k->units, sizeof k->units, "%s/keys/units", d),
                snprintf(k->table, sizeof k->table, "%s/keys/partners.keys", d),
                snprintf(k->lock, sizeof k->lock, "%s/keys/partners.keys.lock", d),
                snprintf(k->gateway, sizeof k->gateway, "%s/keys/gateway", d),
                snprintf(k->server_pub, sizeof k->server_pub, "%s/keys/gateway.pub", d),
                snprintf(k->unit_base, sizeof k->unit_base, "%s/keys/units/%s", d, unit)};
    for (int i = 0; i < 7; i++)
        if (w[i] < 0 || (size_t)w[i] >= HL_PATH_MAX)
            return HL_ETOOBIG;
    return 0;
}

/* The pair at base: loaded, or made and saved (secret 0600) when base.key does not exist. */
static int stack__pair(const char *base, hl_keypair *kp, char *err, size_t errlen)
{
    char sec[HL_PATH_MAX + 104];
    snprintf(sec, sizeof sec, "%s.key", base);
    if (access(sec, F_OK) == 0)
        return hl_keys_load(base, kp, err, errlen);
    int rc = hl_keys_generate(kp);
    return rc < 0 ? rc : hl_keys_save(base, kp, err, errlen);
}

/* Admit pub as unit in the table (under its lock). 1 when it was added, 0 when it was there. */
static int stack__admit(const stack_keys *k, const char *unit, const char *pub, char *err,
                        size_t errlen)
{
    int fd = open(k->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        stack__errf(err, errlen, "cannot lock %s: %s", k->lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return HL_EIO;
    }
    hl_keytable *kt = NULL;
    int rc = hl_keytable_new(&kt);
    if (rc == 0 && access(k->table, F_OK) == 0)
        rc = hl_keytable_load(kt, k->table, err, errlen);
    int added = 0;
    if (rc == 0 && !hl_keytable_unit(kt, pub)) {
        if ((rc = hl_keytable_add(kt, pub, unit)) == 0 &&
            (rc = hl_keytable_save(kt, k->table, err, errlen)) == 0)
            added = 1;
    }
    hl_keytable_destroy(&kt);
    close(fd);
    return rc < 0 ? rc : added;
}

/* Keys for the partner of unit: its pair (made if missing) admitted in the table, and the
 * gateway's pair (made if dispatch has not made it yet: dispatch then uses it). A running
 * dispatch is asked to read the table again; it also notices the change by itself. */
static int stack__partner_keys(hl_stack *s, const char *unit, stack_keys *k, char *err,
                               size_t errlen)
{
    int rc = stack__keys_paths(s, unit, k);
    if (rc < 0) {
        stack__errf(err, errlen, "data dir path too long for the keys: %s", s->cfg.data_dir);
        return rc;
    }
    if ((rc = stack__mkdirs(k->units, err, errlen)) < 0)
        return rc;
    hl_keypair kp;
    if ((rc = stack__pair(k->gateway, &kp, err, errlen)) == 0 &&
        (rc = stack__pair(k->unit_base, &kp, err, errlen)) == 0)
        rc = stack__admit(k, unit, kp.pub, err, errlen);
    memset(&kp, 0, sizeof kp);
    if (rc < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err ? err : "");
        stack__errf(err, errlen, "keys of %s: %s", unit, why);
        return rc;
    }
    char ep[128];
    if (rc == 1 && hl_stack_pid(s, "dispatch") > 0 &&
        hl_config_endpoint(&s->cfg, "dispatch", "req", ep, sizeof ep) == 0 &&
        (s->zctx || (s->zctx = zmq_ctx_new()))) {
        Hl__Empty empty = HL__EMPTY__INIT;
        Hl__Envelope *reply = NULL;
        hl_call(s->zctx, ep, "hazstack", "dispatch.keys_reload", &empty.base, 2000, &reply, NULL,
                0);
        hl_env_free(&reply);
    }
    return 0;
}

int hl_stack_start_partner(hl_stack *s, const char *unit_id, double ack_delay_s,
                           const char *const *extra, char *err, size_t errlen)
{
    if (hl_id_check(unit_id) < 0) {
        stack__errf(err, errlen, "bad unit id '%s'", unit_id);
        return HL_EINVAL;
    }
    char name[HL_STACK_NAME_MAX + 1];
    int w = snprintf(name, sizeof name, "hazpartner-%s", unit_id);
    if (w < 0 || (size_t)w >= sizeof name)
        return HL_ETOOBIG;
    stack_keys keys;
    int rc = stack__partner_keys(s, unit_id, &keys, err, errlen);
    if (rc < 0)
        return rc;
    const char *args[HL_STACK_MAX_ARGS + 1];
    char delay[32];
    size_t n = 0;
    args[n++] = "run";
    args[n++] = "--unit";
    args[n++] = unit_id;
    args[n++] = "--key";
    args[n++] = keys.unit_base;
    args[n++] = "--server-key";
    args[n++] = keys.server_pub;
    if (ack_delay_s >= 0) {
        snprintf(delay, sizeof delay, "%.3f", ack_delay_s);
        args[n++] = "--ack-delay";
        args[n++] = delay;
    }
    for (size_t i = 0; extra && extra[i]; i++) {
        if (n >= HL_STACK_MAX_ARGS - 1) {
            stack__errf(err, errlen, "%s: too many arguments", name);
            return HL_ETOOBIG;
        }
        args[n++] = extra[i];
    }
    args[n] = NULL;
    return hl_stack_spawn(s, name, "hazpartner", args, err, errlen);
}

/* Wait until k exits or deadline (real ms) passes. 1 = reaped. */
static int stack__wait_exit(hl_child *k, int64_t deadline)
{
    int st;
    while (!stack__reap(k, &st)) {
        if (hl_real_now_ms() >= deadline)
            return 0;
        stack__sleep_ms(10);
    }
    return 1;
}

int hl_stack_capture(hl_stack *s, const char *program, const char *const *args, int timeout_ms,
                     size_t max, char **out, int *exit_status, char *err, size_t errlen)
{
    *out = NULL;
    *exit_status = -1;
    char path[HL_PATH_MAX + 80], logp[HL_PATH_MAX + 120];
    int w = snprintf(path, sizeof path, "%s/%s", s->bin_dir, program);
    if (w < 0 || (size_t)w >= sizeof path || strchr(program, '/'))
        return HL_EINVAL;
    if (access(path, X_OK) < 0) {
        stack__errf(err, errlen, "cannot run %s: %s", path, strerror(errno));
        return HL_ENOTFOUND;
    }
    const char *argv[HL_STACK_MAX_ARGS + 1];
    size_t n = 0;
    argv[n++] = program;
    for (size_t i = 0; args && args[i]; i++) {
        if (n >= HL_STACK_MAX_ARGS)
            return HL_ETOOBIG;
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    w = snprintf(logp, sizeof logp, "%s/%s.capture.log", s->log_dir, program);
    if (w < 0 || (size_t)w >= sizeof logp)
        return HL_ETOOBIG;
    char *buf = malloc(max + 1);
    if (!buf)
        return HL_ENOMEM;
    int efd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int pfd[2];
    if (efd < 0 || pipe(pfd) < 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(pfd[1], F_SETFD, FD_CLOEXEC) < 0) {
        stack__errf(err, errlen, "cannot capture %s: %s", program, strerror(errno));
        if (efd >= 0)
            close(efd);
        free(buf);
        return HL_EIO;
    }
    stack_env e;
    if (stack__env_build(s, &e) < 0) {
        close(efd), close(pfd[0]), close(pfd[1]);
        free(buf);
        return HL_ENOMEM;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(pfd[1], 1);
        dup2(efd, 2);
        execve(path, (char *const *)argv, e.vars);
        _exit(127);
    }
    free(e.vars);
    close(efd);
    close(pfd[1]);
    if (pid < 0) {
        close(pfd[0]);
        free(buf);
        stack__errf(err, errlen, "fork failed: %s", strerror(errno));
        return HL_EIO;
    }
    size_t len = 0;
    int rc = 0;
    int64_t deadline = hl_real_now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - hl_real_now_ms();
        if (left <= 0) {
            rc = HL_ETIMEOUT;
            break;
        }
        struct pollfd pf = {pfd[0], POLLIN, 0};
        int pr = poll(&pf, 1, (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue; /* the deadline check above ends it */
        char chunk[4096];
        ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* EOF: the child closed stdout (normally by exiting) */
        size_t take = (size_t)r;
        if (len + take > max) {
            take = max - len;
            rc = HL_ETOOBIG;
        }
        memcpy(buf + len, chunk, take);
        len += take;
    }
    close(pfd[0]);
    buf[len] = '\0';
    if (rc == HL_ETIMEOUT)
        kill(pid, SIGKILL);
    int st = 0;
    /* After EOF a well-behaved child is exiting; give it the rest of the deadline. */
    hl_child tmp = {.pid = pid};
    int64_t until = deadline > hl_real_now_ms() ? deadline : hl_real_now_ms() + 1000;
    if (!stack__wait_exit(&tmp, until)) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        rc = HL_ETIMEOUT;
    } else {
        st = tmp.status;
    }
    *exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    if (rc == HL_ETIMEOUT)
        stack__errf(err, errlen, "%s did not finish within %d ms", program, timeout_ms);
    *out = buf;
    return rc;
}

int hl_stack_kill(hl_stack *s, const char *name, int sig)
{
    hl_child *k = stack__find(s, name);
    if (!k || k->pid <= 0)
        return HL_ENOTFOUND;
    if (kill(k->pid, sig) < 0)
        return HL_EIO;
    if (sig == SIGKILL || sig == SIGTERM) {
        if (!stack__wait_exit(k, hl_real_now_ms() + HL_STACK_GRACE_MS)) {
            kill(k->pid, SIGKILL);
            int st;
            waitpid(k->pid, &st, 0);
            k->pid = 0;
        }
        k->reported = 1; /* a death we caused is not news */
    }
    return 0;
}

int hl_stack_restart(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen)
{
    hl_child *k = stack__find(s, name);
    if (!k) {
        stack__errf(err, errlen, "%s was never started", name);
        return HL_ENOTFOUND;
    }
    int st;
    if (!stack__reap(k, &st)) {
        stack__errf(err, errlen, "%s is still running (pid %d)", name, (int)k->pid);
        return HL_EEXIST;
    }
    int rc = stack__launch(s, k, err, errlen);
    if (rc < 0 || k->service < 0)
        return rc;
    return hl_stack_wait_ready(s, name, ready_ms > 0 ? ready_ms : HL_STACK_READY_MS, err, errlen);
}

int hl_stack_poll(hl_stack *s, char *dead, size_t deadlen, char *err, size_t errlen)
{
    int found = 0;
    for (size_t i = 0; i < s->nkids; i++) {
        hl_child *k = &s->kids[i];
        if (k->pid <= 0)
            continue;
        int st = 0;
        if (!stack__reap(k, &st) || k->reported)
            continue;
        k->reported = 1;
        if (found++ == 0) {
            if (dead && deadlen)
                snprintf(dead, deadlen, "%s", k->name);
            char how[64];
            stack__describe_status(st, how, sizeof how);
            stack__errf(err, errlen, "%s %s", k->name, how);
        }
    }
    return found;
}

int hl_stack_stop(hl_stack *s, int grace_ms)
{
    if (grace_ms < 0)
        grace_ms = HL_STACK_GRACE_MS;
    /* Partners (non-services) first, then services in reverse port order. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t j = s->nkids; j-- > 0;) {
            hl_child *k = &s->kids[j];
            if (k->pid > 0 && ((pass == 0) == (k->service < 0))) {
                k->reported = 1;
                kill(k->pid, SIGTERM);
            }
        }
        if (pass == 0) {
            /* Give partners a moment to say goodbye before their server goes. */
            int64_t dl = hl_real_now_ms() + (grace_ms < 500 ? grace_ms : 500);
            for (size_t j = 0; j < s->nkids; j++)
                if (s->kids[j].service < 0)
                    stack__wait_exit(&s->kids[j], dl);
        }
    }
    int64_t deadline = hl_real_now_ms() + grace_ms;
    int killed = 0;
    for (size_t j = 0; j < s->nkids; j++) {
        hl_child *k = &s->kids[j];
        if (k->pid <= 0)
            continue;
        if (!stack__wait_exit(k, deadline)) {
            kill(k->pid, SIGKILL);
            int st;
            waitpid(k->pid, &st, 0);
            k->pid = 0;
            killed++;
        }
    }
    return killed;
}

static int stack__rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int hl_stack_remove_tree(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return errno == ENOENT ? 0 : HL_EIO;
    return nftw(dir, stack__rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? HL_EIO : 0;
}

void hl_stack_destroy(hl_stack **sp)
{
    if (!sp || !*sp)
        return;
    hl_stack *s = *sp;
    hl_stack_stop(s, HL_STACK_GRACE_MS);
    for (size_t i = 0; i < s->nkids; i++)
        stack__child_free_args(&s->kids[i]);
    if (s->zctx)
        zmq_ctx_term(s->zctx);
    free(s);
    *sp = NULL;
}
