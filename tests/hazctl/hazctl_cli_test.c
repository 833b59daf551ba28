/* hazctl_cli_test — the hazctl binary as a process against the real stack.
 *
 * The five services run as child processes (hl_stack, clients/common) on a base port of
 * their own, with a temporary data directory and the source tree's playbooks; hazctl is
 * started for each command with HAZLINK_BASE_PORT / HAZLINK_DATA / HAZLINK_PLAYBOOKS in its
 * environment, and its exit status, stdout and stderr are checked:
 *   - status exits 0 with five services up;
 *   - a benzene reading above the GB 3838-2002 表3 item 19 limit (苯, 0.01 mg/L) opens an
 *     incident that `hazctl incidents --json` lists;
 *   - every list command answers;
 *   - bad command lines exit 2 naming the bad word; error replies exit 1 with the code, field
 *     and message; a stack that does not answer exits 3 naming service, endpoint and wait;
 *   - `hazctl chain TASK` shows a task's escalation chain with the note on its timeouts;
 *   - `hazctl keys` makes key pairs (secret 0600, never printed unless --print-secret),
 *     admits, lists, revokes and rotates, and the running dispatch applies each change;
 *   - `hazctl up` starts a second stack with a partner agent speaking CURVE with keys it made
 *     in the data dir, serves, and stops cleanly on Ctrl-C (SIGINT).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/stack.h"

extern char **environ;

#define MAX_OUT (1024 * 1024)
#define RUN_TIMEOUT_MS 30000

static struct {
    char root[64];   /* mkdtemp folder holding both data dirs */
    char data[128];  /* data dir of the test stack */
    char data2[128]; /* data dir of the stack `hazctl up` starts */
    int base;        /* base port of the test stack */
    int base2;       /* free base port: nothing listens until `hazctl up` */
    hl_stack *st;
} G;

/* ---- running hazctl ---- */

typedef struct proc {
    pid_t pid;
    int out_fd, err_fd;
    char *out, *err;
    size_t out_len, err_len;
    int status; /* exit code, or 128+signal */
} proc;

/* Environment for hazctl: ours without any HAZLINK_* (a stray setting must not leak in),
 * plus the stack's. */
static char **child_env(int base, const char *data)
{
    static char port[64], dat[320], pb[320];
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 4, sizeof *env);
    assert_non_null(env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "HAZLINK_", 8) != 0)
            env[k++] = environ[i];
    snprintf(port, sizeof port, "HAZLINK_BASE_PORT=%d", base);
    snprintf(dat, sizeof dat, "HAZLINK_DATA=%s", data);
    snprintf(pb, sizeof pb, "HAZLINK_PLAYBOOKS=%s/playbooks", HL_TEST_SOURCE_DIR);
    env[k++] = port;
    env[k++] = dat;
    env[k++] = pb;
    env[k] = NULL;
    return env;
}

static void proc_start(proc *p, int base, const char *data, const char *const *args)
{
    memset(p, 0, sizeof *p);
    char *argv[64];
    int argc = 0;
    argv[argc++] = "hazctl";
    for (size_t i = 0; args[i]; i++)
        argv[argc++] = (char *)args[i];
    argv[argc] = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/hazctl", HL_TEST_BIN_DIR);
    char **env = child_env(base, data);
    int o[2], e[2];
    assert_int_equal(pipe2(o, O_CLOEXEC), 0);
    assert_int_equal(pipe2(e, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(o[1], 1);
        dup2(e[1], 2);
        execve(path, argv, env);
        _exit(127);
    }
    free(env);
    close(o[1]);
    close(e[1]);
    p->pid = pid;
    p->out_fd = o[0];
    p->err_fd = e[0];
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
    /* Keep at most MAX_OUT bytes of output. */
    if (*len >= MAX_OUT)
        n = 0;
    else if (n > MAX_OUT - *len)
        n = MAX_OUT - *len;
    char *b = realloc(*buf, *len + n + 1);
    assert_non_null(b);
    memcpy(b + *len, data, n);
    *len += n;
    b[*len] = '\0';
    *buf = b;
}

/* Read what is available for up to wait_ms; returns 0 once both pipes are at EOF. */
static int proc_pump(proc *p, int wait_ms)
{
    struct pollfd fds[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};
    int open_fds = (p->out_fd >= 0) + (p->err_fd >= 0);
    if (!open_fds)
        return 0;
    if (poll(fds, 2, wait_ms) <= 0)
        return open_fds;
    for (int i = 0; i < 2; i++) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char tmp[4096];
        ssize_t n = read(fds[i].fd, tmp, sizeof tmp);
        if (n > 0) {
            if (i == 0)
                append(&p->out, &p->out_len, tmp, (size_t)n);
            else
                append(&p->err, &p->err_len, tmp, (size_t)n);
        } else if (n == 0 || errno != EINTR) {
            close(fds[i].fd);
            if (i == 0)
                p->out_fd = -1;
            else
                p->err_fd = -1;
        }
    }
    return (p->out_fd >= 0) + (p->err_fd >= 0);
}

/* Collect output until EOF and reap; SIGKILL and fail past timeout_ms. */
static void proc_finish(proc *p, int timeout_ms)
{
    int64_t deadline = hl_real_now_ms() + timeout_ms;
    while (proc_pump(p, 100) > 0) {
        if (hl_real_now_ms() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            fail_msg("hazctl did not finish within %d ms; stdout:\n%s\nstderr:\n%s", timeout_ms,
                     p->out ? p->out : "", p->err ? p->err : "");
        }
    }
    int st;
    while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR) {
    }
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (!p->out)
        p->out = strdup("");
    if (!p->err)
        p->err = strdup("");
    assert_non_null(p->out);
    assert_non_null(p->err);
}

static void proc_free(proc *p)
{
    free(p->out);
    free(p->err);
    p->out = p->err = NULL;
}

/* Run hazctl with args (NULL-terminated) against the stack on base, to completion. */
static void hz(proc *p, int base, ...)
{
    const char *args[48];
    size_t n = 0;
    va_list ap;
    va_start(ap, base);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 47;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    proc_start(p, base, G.data, args);
    proc_finish(p, RUN_TIMEOUT_MS);
}

#define assert_exit(p, code)                                                                       \
    do {                                                                                           \
        if ((p)->status != (code))                                                                 \
            fail_msg("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", (p)->status, (code), (p)->out,  \
                     (p)->err);                                                                    \
    } while (0)

#define assert_has(text, needle)                                                                   \
    do {                                                                                           \
        const char *t_ = (text);                                                                   \
        if (!strstr(t_, (needle)))                                                                 \
            fail_msg("missing '%s' in:\n%s", (needle), t_);                                        \
    } while (0)

static json_t *parse_json(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        fail_msg("not JSON (%s, line %d): %s", je.text, je.line, s);
    return j;
}

/* ---- the stack ---- */

/* 1 when every port a stack on base binds (docs/protocol.md: base+10i, base+10i+1, base+42)
 * can be bound on 127.0.0.1 now: other tests and long runs share the machine. */
static int stack_ports_free(int base)
{
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < (i == 4 ? 3 : 2); k++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            if (fd < 0)
                return 0;
            struct sockaddr_in a = {.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)(base + 10 * i + k))};
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            close(fd);
            if (!ok)
                return 0;
        }
    return 1;
}

static int group_setup(void **state)
{
    (void)state;
    /* 43 ports per stack (base .. base+42, docs/protocol.md); two stacks per test process;
     * 100 ports per pid keeps parallel tests apart; everything stays below 32768, where Linux
     * starts handing out ports for outgoing connections, so no client can hold ours. */
    for (int k = 0; k < 120; k++) {
        G.base = 20000 + (int)((getpid() + 37 * k) % 120) * 100;
        G.base2 = G.base + 50;
        if (stack_ports_free(G.base) && stack_ports_free(G.base2))
            break;
    }
    snprintf(G.root, sizeof G.root, "/tmp/hazctl-cli-XXXXXX");
    if (!mkdtemp(G.root))
        return -1;
    snprintf(G.data, sizeof G.data, "%s/stack", G.root);
    snprintf(G.data2, sizeof G.data2, "%s/up", G.root);

    /* The stack's configuration: built-in defaults, nothing from our environment. */
    for (char **e = environ; *e;) {
        if (strncmp(*e, "HAZLINK_", 8) == 0) {
            char name[128];
            size_t k = strcspn(*e, "=");
            snprintf(name, sizeof name, "%.*s", (int)k, *e);
            unsetenv(name);
            e = environ;
        } else {
            e++;
        }
    }
    hl_config cfg;
    char err[1024];
    if (hl_config_load(NULL, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", G.data);
    snprintf(cfg.playbook_dir, sizeof cfg.playbook_dir, "%s/playbooks", HL_TEST_SOURCE_DIR);
    cfg.base_port = G.base;
    if (hl_stack_new(&cfg, HL_TEST_BIN_DIR, &G.st, err, sizeof err) < 0) {
        fprintf(stderr, "stack: %s\n", err);
        return -1;
    }
    if (hl_stack_start_services(G.st, 30000, err, sizeof err) < 0) {
        fprintf(stderr, "stack: %s\n", err);
        hl_stack_destroy(&G.st);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    hl_stack_destroy(&G.st);
    hl_stack_remove_tree(G.root);
    return 0;
}

/* ---- tests ---- */

static void test_status_all_up(void **state)
{
    (void)state;
    proc p;
    hz(&p, G.base, "status", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "5 of 5 services up\n");
    static const char *names[] = {"alert", "playbook", "stock", "risk", "dispatch"};
    char ep[64];
    for (int i = 0; i < 5; i++) {
        snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", G.base + 10 * i);
        assert_has(p.out, names[i]);
        assert_has(p.out, ep);
    }
    assert_has(p.out, "+08:00"); /* started times in Beijing time */
    proc_free(&p);

    hz(&p, G.base, "status", "--json", NULL);
    assert_exit(&p, 0);
    json_t *j = parse_json(p.out);
    assert_int_equal(json_integer_value(json_object_get(j, "up")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "down")), 0);
    json_t *svcs = json_object_get(j, "services");
    assert_int_equal(json_array_size(svcs), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *s = json_array_get(svcs, i);
        assert_string_equal(json_string_value(json_object_get(s, "service")), names[i]);
        assert_true(json_is_true(json_object_get(s, "up")));
        json_t *st = json_object_get(s, "status");
        assert_string_equal(json_string_value(json_object_get(st, "service")), names[i]);
        assert_true(json_integer_value(json_object_get(st, "started_ms")) > 0);
    }
    json_decref(j);
    proc_free(&p);

    /* One service by name (the compose health check). */
    hz(&p, G.base, "status", "dispatch", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "1 of 1 services up\n");
    proc_free(&p);
}

static void test_lists_answer(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *key, *must; /* must: text that the built-in data guarantees */
    } lists[] = {
        {"incidents", "incidents", NULL},
        {"alerts", "alerts", NULL},
        {"plans", "plans", NULL},
        {"tasks", "tasks", NULL},
        {"reservations", "reservations", NULL},
        {"stock", "items", "dp-xj7"},
        {"sources", "sources", "rs-dsz-petro"},
        {"units", "units", "xj7-eeb"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        proc p;
        hz(&p, G.base, lists[i].cmd, NULL);
        assert_exit(&p, 0);
        assert_string_equal(p.err, "");
        if (lists[i].must)
            assert_has(p.out, lists[i].must);
        proc_free(&p);
        hz(&p, G.base, lists[i].cmd, "--json", NULL);
        assert_exit(&p, 0);
        json_t *j = parse_json(p.out);
        if (!json_is_array(json_object_get(j, lists[i].key)))
            fail_msg("%s --json has no array '%s': %s", lists[i].cmd, lists[i].key, p.out);
        json_decref(j);
        proc_free(&p);
    }
}

static char incident_id[128];

static void test_reading_opens_incident(void **state)
{
    (void)state;
    proc p;
    /* 苯 0.35 mg/L at the automatic station below the Dushanzi outfall: GB 3838-2002 表3
     * item 19 limits benzene to 0.01 mg/L, so this exceeds it 34 times over. */
    hz(&p, G.base, "reading", "st-dsz-down", "苯", "0.35", "mg/L", "--json", NULL);
    assert_exit(&p, 0);
    json_t *j = parse_json(p.out);
    assert_true(json_is_true(json_object_get(j, "exceeded")));
    assert_true(json_real_value(json_object_get(j, "limit_mg_l")) == 0.01);
    assert_has(json_string_value(json_object_get(j, "limit_source")), "GB 3838-2002");
    const char *id = json_string_value(json_object_get(j, "incident_id"));
    assert_non_null(id);
    assert_true(strlen(id) > 0 && strlen(id) < sizeof incident_id);
    snprintf(incident_id, sizeof incident_id, "%s", id);
    assert_true(json_is_true(json_object_get(j, "incident_opened")));
    json_decref(j);
    proc_free(&p);

    /* The incident is listed, with its station. */
    hz(&p, G.base, "incidents", "--json", NULL);
    assert_exit(&p, 0);
    j = parse_json(p.out);
    json_t *arr = json_object_get(j, "incidents");
    int found = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *inc = json_array_get(arr, i);
        if (strcmp(json_string_value(json_object_get(inc, "id")), incident_id) != 0)
            continue;
        found = 1;
        assert_string_equal(json_string_value(json_object_get(inc, "station_id")), "st-dsz-down");
        assert_has(json_string_value(json_object_get(inc, "opened_at")), "+08:00");
    }
    if (!found)
        fail_msg("incident %s not listed: %s", incident_id, p.out);
    json_decref(j);
    proc_free(&p);

    /* A second exceedance of the same episode: the same incident, not a new one. Readable
     * output this time. */
    hz(&p, G.base, "reading", "st-dsz-down", "benzene", "420", "ug/L", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "exceeded       YES\n");
    char line[256];
    snprintf(line, sizeof line, "incident       %s (existing episode)\n", incident_id);
    assert_has(p.out, line);
    proc_free(&p);

    hz(&p, G.base, "incidents", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, incident_id);
    assert_has(p.out, "st-dsz-down");
    proc_free(&p);
}

static void test_reading_within_limit(void **state)
{
    (void)state;
    proc p;
    /* 氨氮 0.1 mg/L at 老龙口 (a class II section): GB 3838-2002 表1 item 7 sets class II at
     * 0.5 mg/L, so it is checked and within the limit. */
    hz(&p, G.base, "reading", "st-laolongkou", "氨氮(NH3-N)", "0.1", "mg/L", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "exceeded       no\n");
    assert_has(p.out, "limit          0.5 mg/L (GB 3838-2002 表1");
    assert_has(p.out, "incident       -\n");
    proc_free(&p);

    /* Benzene at a section where no GB 3838 limit applies to it: shown as not checked, with
     * the service's reason. */
    hz(&p, G.base, "reading", "st-laolongkou", "苯", "0.001", "mg/L", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "exceeded       not checked\n");
    assert_has(p.out, "limit          none applied (");
    proc_free(&p);
}

/* The chain behind the incident: the playbook plans, dispatch holds tasks for it. */
static void test_plan_and_tasks_follow(void **state)
{
    (void)state;
    assert_true(incident_id[0]);
    int64_t deadline = hl_real_now_ms() + 30000;
    size_t ntasks = 0;
    proc p;
    while (hl_real_now_ms() < deadline) {
        hz(&p, G.base, "tasks", "--incident", incident_id, "--json", NULL);
        assert_exit(&p, 0);
        json_t *j = parse_json(p.out);
        json_t *tasks = json_object_get(j, "tasks");
        ntasks = json_array_size(tasks);
        for (size_t i = 0; i < ntasks; i++)
            assert_string_equal(
                json_string_value(json_object_get(json_array_get(tasks, i), "incident_id")),
                incident_id);
        json_decref(j);
        proc_free(&p);
        if (ntasks)
            break;
        struct timespec ts = {0, 300 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (!ntasks)
        fail_msg("no task for incident %s within 30 s", incident_id);
    hz(&p, G.base, "plans", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, incident_id);
    proc_free(&p);
}

/* The chain of one of the incident's tasks: where it stands, and why its timeouts are what
 * they are (units.yaml marks them a hazlink assumption). */
static void test_chain(void **state)
{
    (void)state;
    assert_true(incident_id[0]);
    proc p;
    hz(&p, G.base, "tasks", "--incident", incident_id, "--json", NULL);
    assert_exit(&p, 0);
    json_t *j = parse_json(p.out);
    char task[128];
    snprintf(
        task, sizeof task, "%s",
        json_string_value(json_object_get(json_array_get(json_object_get(j, "tasks"), 0), "id")));
    json_decref(j);
    proc_free(&p);
    hz(&p, G.base, "chain", task, NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "task      ");
    assert_has(p.out, task);
    /* The incident was graded IV (一般) on opening, so its tasks carry response level IV,
     * whose timeout in units.yaml is 30 minutes (a hazlink assumption, shown below). */
    assert_has(p.out, "level     IV\n");
    assert_has(p.out, "timeout   30 min to acknowledge, 1 reminder per unit\n");
    assert_has(p.out, "timeouts  hazlink assumption");
    assert_has(p.out, "+08:00");
    assert_has(p.out, "the task's unit");
    proc_free(&p);
    hz(&p, G.base, "chain", task, "--json", NULL);
    assert_exit(&p, 0);
    j = parse_json(p.out);
    assert_string_equal(json_string_value(json_object_get(j, "task_id")), task);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "waiting");
    assert_true(json_array_size(json_object_get(j, "chain")) >= 2);
    assert_non_null(json_object_get(j, "next_due_at"));
    json_decref(j);
    proc_free(&p);
    hz(&p, G.base, "chain", "no-such-task", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "HL_ENOTFOUND");
    proc_free(&p);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot read %s", path);
    char *buf = calloc(1, 256);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 255, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n'))
        buf[--n] = '\0';
    return buf;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("no %s", path);
    return st.st_mode & 0777;
}

static void test_keys(void **state)
{
    (void)state;
    proc p;
    char path[512], sec_path[512];
    /* gen: a pair for reg-131, secret 0600 and not printed, admitted, dispatch told. */
    hz(&p, G.base, "keys", "gen", "reg-131", "--json", NULL);
    assert_exit(&p, 0);
    json_t *j = parse_json(p.out);
    snprintf(sec_path, sizeof sec_path, "%s/keys/units/reg-131.key", G.data);
    assert_string_equal(json_string_value(json_object_get(j, "key_file")), sec_path);
    assert_true(json_is_true(json_object_get(j, "admitted")));
    assert_null(json_object_get(j, "secret_key"));
    assert_true(json_is_true(json_object_get(json_object_get(j, "dispatch"), "reached")));
    char pub1[64];
    snprintf(pub1, sizeof pub1, "%s", json_string_value(json_object_get(j, "public_key")));
    json_decref(j);
    assert_int_equal(mode_of(sec_path), 0600);
    char *sec1 = slurp(sec_path);
    assert_int_equal(strlen(sec1), 40);
    assert_null(strstr(p.out, sec1));
    assert_null(strstr(p.err, sec1));
    proc_free(&p);
    /* Again: the pair exists, kept. */
    hz(&p, G.base, "keys", "gen", "reg-131", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "a key pair exists at");
    proc_free(&p);
    /* --force --print-secret: a new pair, printed because asked, the old key revoked. */
    hz(&p, G.base, "keys", "gen", "reg-131", "--force", "--print-secret", NULL);
    assert_exit(&p, 0);
    char *sec2 = slurp(sec_path);
    assert_string_not_equal(sec1, sec2);
    assert_has(p.out, sec2);
    assert_has(p.out, "the pair's old public key revoked");
    assert_has(p.out, "dispatch: applied");
    assert_int_equal(mode_of(sec_path), 0600);
    free(sec1);
    free(sec2);
    proc_free(&p);
    hz(&p, G.base, "keys", "gen", "nobody", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "unit 'nobody' is not in the roster");
    proc_free(&p);

    /* add: a key made elsewhere (here: --out outside the data dir), by file and by z85. */
    snprintf(path, sizeof path, "%s/outside-kt", G.root);
    hz(&p, G.base, "keys", "gen", "kt-eeb", "--out", path, NULL);
    assert_exit(&p, 0);
    proc_free(&p);
    hz(&p, G.base, "keys", "revoke", "kt-eeb", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "unit kt-eeb: 1 key(s) revoked");
    proc_free(&p);
    snprintf(path, sizeof path, "%s/outside-kt.pub", G.root);
    hz(&p, G.base, "keys", "add", "kt-eeb", path, NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "admitted in");
    proc_free(&p);
    char *ktpub = slurp(path);
    hz(&p, G.base, "keys", "add", "kt-eeb", ktpub, NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "was admitted already");
    proc_free(&p);
    hz(&p, G.base, "keys", "add", "ws-eeb", ktpub, NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "admitted already, as unit kt-eeb");
    proc_free(&p);
    hz(&p, G.base, "keys", "add", "ws-eeb", "not-a-key", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "neither a z85 public key nor a readable key file");
    proc_free(&p);

    /* list: both units, in the roster, and the gateway's key as dispatch made it. */
    hz(&p, G.base, "keys", "list", "--json", NULL);
    assert_exit(&p, 0);
    j = parse_json(p.out);
    snprintf(path, sizeof path, "%s/keys/gateway.pub", G.data);
    char *gw = slurp(path);
    assert_string_equal(json_string_value(json_object_get(j, "gateway_public_key")), gw);
    json_t *keys = json_object_get(j, "keys");
    assert_int_equal(json_array_size(keys), 2);
    int seen = 0;
    for (size_t i = 0; i < 2; i++) {
        json_t *k = json_array_get(keys, i);
        const char *u = json_string_value(json_object_get(k, "unit"));
        assert_true(json_is_true(json_object_get(k, "in_roster")));
        if (!strcmp(u, "kt-eeb")) {
            seen |= 1;
            assert_string_equal(json_string_value(json_object_get(k, "public_key")), ktpub);
            assert_true(json_is_null(json_object_get(k, "pair"))); /* made outside */
        } else if (!strcmp(u, "reg-131")) {
            seen |= 2;
            assert_string_not_equal(json_string_value(json_object_get(k, "public_key")), pub1);
            assert_false(json_is_null(json_object_get(k, "pair")));
        }
    }
    assert_int_equal(seen, 3);
    json_decref(j);
    free(ktpub);
    proc_free(&p);

    /* revoke: gone from the table; again: nothing to revoke. */
    hz(&p, G.base, "keys", "revoke", "kt-eeb", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "revoked now (their connections were cut)");
    proc_free(&p);
    hz(&p, G.base, "keys", "revoke", "kt-eeb", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "no key of unit kt-eeb is admitted");
    proc_free(&p);

    /* rotate-server: a new gateway pair, used by dispatch at once. */
    hz(&p, G.base, "keys", "rotate-server", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "dispatch: the gateway now uses this key");
    char *gw2 = slurp(path);
    assert_string_not_equal(gw, gw2);
    assert_has(p.out, gw2);
    snprintf(path, sizeof path, "%s/keys/gateway.key", G.data);
    assert_int_equal(mode_of(path), 0600);
    free(gw);
    free(gw2);
    proc_free(&p);
    hz(&p, G.base, "status", "dispatch", NULL);
    assert_exit(&p, 0);
    proc_free(&p);
}

static void test_report_and_trigger(void **state)
{
    (void)state;
    proc p;
    hz(&p, G.base, "report", "--chainage", "22", "--substance", "苯", "--mass-kg", "500",
       "--duration-s", "600", "--source", "rs-dsz-petro", "--text", "drill: tank overflow",
       "--json", NULL);
    assert_exit(&p, 0);
    json_t *j = parse_json(p.out);
    const char *id = json_string_value(json_object_get(j, "id"));
    assert_non_null(id);
    assert_true(strlen(id) > 0);
    assert_string_equal(json_string_value(json_object_get(j, "origin")), "report");
    assert_true(json_real_value(json_object_get(j, "mass_kg")) == 500.0);
    char rid[128];
    snprintf(rid, sizeof rid, "%s", id);
    json_decref(j);
    proc_free(&p);

    hz(&p, G.base, "trigger", rid, NULL);
    assert_exit(&p, 0);
    char line[256];
    snprintf(line, sizeof line, "incident          %s\n", rid);
    assert_has(p.out, line);
    proc_free(&p);
}

static void test_error_replies_exit_1(void **state)
{
    (void)state;
    proc p;
    hz(&p, G.base, "reading", "st-nowhere", "苯", "1", "mg/L", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "alert answered alert.reading with an error: HL_ENOTFOUND");
    assert_has(p.err, "in field reading.station_id");
    assert_has(p.err, "st-nowhere");
    assert_string_equal(p.out, "");
    proc_free(&p);

    hz(&p, G.base, "reading", "st-dsz-down", "苯", "1", "furlongs", "--json", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "in field reading.unit");
    json_t *j = parse_json(p.out);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "service")), "alert");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "reading.unit");
    assert_true(json_integer_value(json_object_get(e, "code")) < 0);
    json_decref(j);
    proc_free(&p);

    hz(&p, G.base, "trigger", "inc-does-not-exist", NULL);
    assert_exit(&p, 1);
    assert_has(p.err, "alert answered alert.trigger with an error");
    assert_has(p.err, "trigger.incident_id");
    proc_free(&p);
}

static void test_bad_command_lines_exit_2(void **state)
{
    (void)state;
    static const struct {
        const char *args[8];
        const char *want;
    } bad[] = {
        {{"reading", "st-dsz-down", "苯", "1.5x", "mg/L"}, "VALUE '1.5x' is not a number"},
        {{"reading", "st-dsz-down", "苯"}, "reading: missing argument VALUE"},
        {{"frobnicate"}, "unknown command 'frobnicate'"},
        {{"incidents", "--frob"}, "incidents: unknown option '--frob'"},
        {{"tasks", "--limit", "ten"}, "--limit 'ten' is not a whole number"},
        {{"report", "--substance", "苯"}, "report: missing option --chainage KM"},
        {{"status", "--timeout", "1s"}, "--timeout '1s' is not a whole number"},
        {{"--base-port", "abc", "status"}, "--base-port"},
        {{"--base-port", "7100x", "status"}, "--base-port"},
        {{NULL}, "missing command"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        proc p;
        proc_start(&p, G.base, G.data, bad[i].args);
        proc_finish(&p, RUN_TIMEOUT_MS);
        if (p.status != 2)
            fail_msg("case %zu: exit %d, want 2; stderr: %s", i, p.status, p.err);
        if (!strstr(p.err, bad[i].want))
            fail_msg("case %zu: stderr lacks '%s': %s", i, bad[i].want, p.err);
        assert_string_equal(p.out, "");
        proc_free(&p);
    }
}

static void test_stack_down_exit_3(void **state)
{
    (void)state;
    /* Nothing listens on base2 yet. */
    char port[16], want[128];
    snprintf(port, sizeof port, "%d", G.base2);
    proc p;
    hz(&p, G.base, "--base-port", port, "incidents", "--timeout", "300", NULL);
    assert_exit(&p, 3);
    snprintf(want, sizeof want, "alert did not answer at tcp://127.0.0.1:%d within 300 ms",
             G.base2);
    assert_has(p.err, want);
    proc_free(&p);

    hz(&p, G.base, "--base-port", port, "units", "--timeout", "300", "--json", NULL);
    assert_exit(&p, 3);
    json_t *j = parse_json(p.out);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code_name")), "HL_ETIMEOUT");
    assert_string_equal(json_string_value(json_object_get(e, "service")), "dispatch");
    json_decref(j);
    proc_free(&p);

    /* status: every service down is exit 1, with the reason per service. */
    hz(&p, G.base, "--base-port", port, "status", "--timeout", "200", NULL);
    assert_exit(&p, 1);
    assert_has(p.out, "0 of 5 services up\n");
    snprintf(want, sizeof want, "dispatch did not answer at tcp://127.0.0.1:%d within 200 ms",
             G.base2 + 40);
    assert_has(p.out, want);
    proc_free(&p);
}

static void test_up_serves_and_stops_on_ctrl_c(void **state)
{
    (void)state;
    proc up;
    const char *args[] = {"up", "--partners", "kt-eeb", "--ack-delay", "1", NULL};
    proc_start(&up, G.base2, G.data2, args);
    int64_t deadline = hl_real_now_ms() + 60000;
    while (!(up.out && strstr(up.out, "hazlink stack is up"))) {
        if (hl_real_now_ms() > deadline || proc_pump(&up, 200) == 0) {
            kill(up.pid, SIGINT);
            proc_finish(&up, 20000);
            fail_msg("hazctl up did not come up; stdout:\n%s\nstderr:\n%s", up.out, up.err);
        }
    }
    proc_pump(&up, 100);
    char want[128];
    snprintf(want, sizeof want, "tcp://127.0.0.1:%d", G.base2 + 42); /* the partner gateway */
    assert_has(up.out, want);
    assert_has(up.out, "Ctrl-C");

    char port[16];
    snprintf(port, sizeof port, "%d", G.base2);
    proc p;
    hz(&p, G.base, "--base-port", port, "status", NULL);
    assert_exit(&p, 0);
    assert_has(p.out, "5 of 5 services up\n");
    proc_free(&p);
    /* The partner came in with the key pair `up` made for it in its data dir. */
    char key[512];
    snprintf(key, sizeof key, "%s/keys/units/kt-eeb.key", G.data2);
    assert_int_equal(mode_of(key), 0600);
    int connected = 0;
    for (int64_t dl = hl_real_now_ms() + 20000; !connected && hl_real_now_ms() < dl;) {
        const char *a[] = {"units", "--json", NULL};
        proc_start(&p, G.base2, G.data2, a);
        proc_finish(&p, RUN_TIMEOUT_MS);
        assert_exit(&p, 0);
        json_t *j = parse_json(p.out);
        json_t *units = json_object_get(j, "units");
        for (size_t i = 0; i < json_array_size(units); i++) {
            json_t *u = json_array_get(units, i);
            if (!strcmp(json_string_value(json_object_get(u, "id")), "kt-eeb"))
                connected = json_is_true(json_object_get(u, "connected"));
        }
        json_decref(j);
        proc_free(&p);
        if (!connected) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    if (!connected)
        fail_msg("the partner agent `hazctl up` started never connected");

    /* Ctrl-C: the terminal sends SIGINT to hazctl (its children are in their own groups). */
    kill(up.pid, SIGINT);
    proc_finish(&up, 30000);
    if (up.status != 0)
        fail_msg("hazctl up exited %d; stderr:\n%s", up.status, up.err);
    assert_has(up.err, "every process stopped cleanly");
    proc_free(&up);

    /* Nothing is left answering. */
    hz(&p, G.base, "--base-port", port, "status", "--timeout", "200", NULL);
    assert_exit(&p, 1);
    assert_has(p.out, "0 of 5 services up\n");
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_all_up),
        cmocka_unit_test(test_lists_answer),
        cmocka_unit_test(test_reading_opens_incident),
        cmocka_unit_test(test_reading_within_limit),
        cmocka_unit_test(test_plan_and_tasks_follow),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_report_and_trigger),
        cmocka_unit_test(test_error_replies_exit_1),
        cmocka_unit_test(test_bad_command_lines_exit_2),
        cmocka_unit_test(test_stack_down_exit_3),
        cmocka_unit_test(test_up_serves_and_stops_on_ctrl_c),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
