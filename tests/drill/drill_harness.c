/* drill_harness.c — see drill_harness.h. */
#include "drill_harness.h"
#include "hazlink/stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double harness__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void drill_harness_init(drill_harness *h, const char *name)
{
    memset(h, 0, sizeof *h);
    snprintf(h->dir, sizeof h->dir, "/tmp/%s_XXXXXX", name);
    assert_non_null(mkdtemp(h->dir));
    snprintf(h->out, sizeof h->out, "%s/out", h->dir);
    h->base_port = 20000 + (int)(getpid() % 250) * 50;
}

void drill_harness_dump(const char *path, size_t max_bytes)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "(no %s)\n", path);
        return;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    if (size > (long)max_bytes)
        fseek(f, size - (long)max_bytes, SEEK_SET);
    else
        fseek(f, 0, SEEK_SET);
    fprintf(stderr, "---- %s ----\n", path);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

/* 1 when hazdrill stopped because a service's port was taken. */
static int harness__port_taken(const drill_harness *h)
{
    const char *svcs[] = {"alert", "playbook", "stock", "risk", "dispatch"};
    for (size_t i = 0; i < 5; i++) {
        char p[256], line[512];
        snprintf(p, sizeof p, "%s/data/logs/%s.log", h->out, svcs[i]);
        FILE *f = fopen(p, "r");
        int hit = 0;
        while (f && !hit && fgets(line, sizeof line, f))
            hit = strstr(line, "Address already in use") != NULL;
        if (f)
            fclose(f);
        if (hit)
            return 1;
    }
    return 0;
}

static void harness__run_once(drill_harness *h, const char *scenario, const char *const *extra,
                              int timeout_s);

void drill_harness_run(drill_harness *h, const char *scenario, const char *const *extra,
                       int timeout_s)
{
    harness__run_once(h, scenario, extra, timeout_s);
    if (h->exit_status != 0 && harness__port_taken(h)) {
        fprintf(stderr, "base port %d was taken on this machine; again on another\n", h->base_port);
        json_decref(h->report);
        h->report = NULL;
        h->base_port = 20000 + (int)((getpid() + 125) % 250) * 50;
        harness__run_once(h, scenario, extra, timeout_s);
    }
}

static void harness__run_once(drill_harness *h, const char *scenario, const char *const *extra,
                              int timeout_s)
{
    char port[16], logp[200];
    snprintf(port, sizeof port, "%d", h->base_port);
    snprintf(logp, sizeof logp, "%s/hazdrill.log", h->dir);
    const char *argv[40];
    size_t n = 0;
    argv[n++] = HL_TEST_BIN_DIR "/hazdrill";
    argv[n++] = "run";
    argv[n++] = scenario;
    argv[n++] = "--out";
    argv[n++] = h->out;
    argv[n++] = "--base-port";
    argv[n++] = port;
    argv[n++] = "--playbooks";
    argv[n++] = HL_TEST_SOURCE_DIR "/playbooks";
    for (size_t i = 0; extra && extra[i] && n < 38; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    double t0 = harness__now();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        /* The test's own environment must not steer the drill elsewhere. */
        unsetenv("HAZLINK_DATA");
        unsetenv("HAZLINK_CONFIG");
        unsetenv("HAZLINK_BASE_PORT");
        unsetenv("HAZLINK_CLOCK");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            break;
        if (harness__now() - t0 > timeout_s) {
            /* SIGTERM: hazdrill ends the drill, writes its report and stops its children. */
            kill(pid, SIGTERM);
            sleep(5);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            fprintf(stderr, "hazdrill did not finish within %d s\n", timeout_s);
            break;
        }
        usleep(100000);
    }
    h->wall_s = harness__now() - t0;
    h->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    char rp[200];
    snprintf(rp, sizeof rp, "%s/report.json", h->out);
    json_error_t je;
    h->report = json_load_file(rp, 0, &je);
    if (h->exit_status != 0 || !h->report) {
        drill_harness_dump(logp, 20000);
        const char *svcs[] = {"alert", "playbook", "stock", "risk", "dispatch"};
        for (size_t i = 0; i < 5; i++) {
            char sl[256];
            snprintf(sl, sizeof sl, "%s/data/logs/%s.log", h->out, svcs[i]);
            drill_harness_dump(sl, 3000);
        }
    }
}

json_t *drill_harness_get(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        fail_msg("report.json: no \"%s\"", key);
    return v;
}

void drill_harness_done(drill_harness *h)
{
    json_decref(h->report);
    h->report = NULL;
    if (getenv("HL_KEEP_TEST_DIRS"))
        fprintf(stderr, "kept %s\n", h->dir);
    else
        hl_stack_remove_tree(h->dir);
}
