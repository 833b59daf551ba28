/* drill_stack_test — the stack launcher (clients/common/stack.h) on real processes: /bin/sh and
 * /bin/sleep stand in for the services, so kill, restart, reaping, the ordered stop with its
 * SIGKILL fallback, the environment handed to children, logs and capture are tested in a
 * second, without the services.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/stack.h"

typedef struct fx {
    char dir[64];
    hl_config cfg;
    hl_stack *s;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/drill_stack_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    unsetenv("HAZLINK_CONFIG");
    assert_int_equal(hl_config_load(NULL, &f->cfg, err, sizeof err), 0);
    snprintf(f->cfg.data_dir, sizeof f->cfg.data_dir, "%s/data/nested", f->dir);
    f->cfg.base_port = 23456;
    snprintf(f->cfg.clock, sizeof f->cfg.clock, "scale=120,origin=1784080800000,real=1");
    /* /bin holds sh and sleep: the stack runs programs from its bin dir. */
    int rc = hl_stack_new(&f->cfg, "/bin", &f->s, err, sizeof err);
    if (rc != 0)
        fail_msg("hl_stack_new: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    hl_stack_destroy(&f->s);
    assert_null(f->s);
    hl_stack_destroy(&f->s); /* accepts NULL */
    assert_int_equal(hl_stack_remove_tree(f->dir), 0);
    struct stat st;
    assert_int_equal(stat(f->dir, &st), -1);
    assert_int_equal(hl_stack_remove_tree(f->dir), 0); /* already gone: fine */
    free(f);
    return 0;
}

static void test_new_makes_dirs(void **state)
{
    fx *f = *state;
    char p[256];
    struct stat st;
    snprintf(p, sizeof p, "%s/data/nested/logs", f->dir);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_string_equal(hl_stack_bin_dir(f->s), "/bin");
    char self[512];
    assert_int_equal(hl_stack_self_dir(self, sizeof self), 0);
    assert_string_equal(self, HL_TEST_BIN_DIR);
    assert_int_equal(hl_stack_self_dir(self, 4), HL_ETOOBIG);
}

static void test_kill_and_restart(void **state)
{
    fx *f = *state;
    char err[256] = "";
    const char *args[] = {"30", NULL};
    assert_int_equal(hl_stack_spawn(f->s, "sleeper", "sleep", args, err, sizeof err), 0);
    pid_t p1 = hl_stack_pid(f->s, "sleeper");
    assert_true(p1 > 0);
    assert_int_equal(hl_stack_running(f->s), 1);
    /* Starting a running child again is refused. */
    assert_int_equal(hl_stack_spawn(f->s, "sleeper", "sleep", args, err, sizeof err), HL_EEXIST);
    assert_int_equal(hl_stack_restart(f->s, "sleeper", 0, err, sizeof err), HL_EEXIST);
    /* SIGKILL reaps it; a death the caller caused is not reported by poll. */
    assert_int_equal(hl_stack_kill(f->s, "sleeper", SIGKILL), 0);
    assert_int_equal(hl_stack_pid(f->s, "sleeper"), 0);
    assert_int_equal(kill(p1, 0), -1); /* gone, and reaped (no zombie answers) */
    assert_int_equal(hl_stack_poll(f->s, NULL, 0, NULL, 0), 0);
    assert_int_equal(hl_stack_kill(f->s, "sleeper", SIGKILL), HL_ENOTFOUND);
    /* Restart uses the same recipe and gets a new process. */
    assert_int_equal(hl_stack_restart(f->s, "sleeper", 0, err, sizeof err), 0);
    pid_t p2 = hl_stack_pid(f->s, "sleeper");
    assert_true(p2 > 0 && p2 != p1);
    assert_int_equal(hl_stack_restart(f->s, "nobody", 0, err, sizeof err), HL_ENOTFOUND);
}

static void test_unexpected_exit_is_reported(void **state)
{
    fx *f = *state;
    char err[256] = "", dead[64] = "";
    const char *args[] = {"-c", "exit 3", NULL};
    assert_int_equal(hl_stack_spawn(f->s, "quitter", "sh", args, err, sizeof err), 0);
    int found = 0;
    for (int i = 0; i < 200 && !found; i++) {
        found = hl_stack_poll(f->s, dead, sizeof dead, err, sizeof err);
        usleep(10000);
    }
    assert_int_equal(found, 1);
    assert_string_equal(dead, "quitter");
    assert_string_equal(err, "quitter exited 3");
    /* Reported once. */
    assert_int_equal(hl_stack_poll(f->s, dead, sizeof dead, err, sizeof err), 0);
}

static void test_stop_escalates_to_sigkill(void **state)
{
    fx *f = *state;
    char err[256] = "";
    const char *polite[] = {"30", NULL};
    /* Ignored signals stay ignored across exec: this sleep does not die of SIGTERM. */
    const char *stubborn[] = {"-c", "trap '' TERM; exec sleep 30", NULL};
    assert_int_equal(hl_stack_spawn(f->s, "polite", "sleep", polite, err, sizeof err), 0);
    assert_int_equal(hl_stack_spawn(f->s, "stubborn", "sh", stubborn, err, sizeof err), 0);
    usleep(100000); /* let sh reach its trap */
    assert_int_equal(hl_stack_running(f->s), 2);
    assert_int_equal(hl_stack_stop(f->s, 300), 1); /* one needed SIGKILL */
    assert_int_equal(hl_stack_running(f->s), 0);
    assert_int_equal(hl_stack_poll(f->s, NULL, 0, NULL, 0), 0);
}

static void test_environment_and_capture(void **state)
{
    fx *f = *state;
    char err[256] = "";
    char *out = NULL;
    int status = -1;
    setenv("HAZLINK_CONFIG", "/nonexistent/should-not-reach-children.yaml", 1);
    const char *args[] = {"-c",
                          "echo \"$HAZLINK_BASE_PORT|$HAZLINK_CLOCK|${HAZLINK_CONFIG-unset}|"
                          "$HAZLINK_DATA\"",
                          NULL};
    assert_int_equal(hl_stack_capture(f->s, "sh", args, 5000, 4096, &out, &status, err, sizeof err),
                     0);
    unsetenv("HAZLINK_CONFIG");
    assert_int_equal(status, 0);
    char want[700];
    snprintf(want, sizeof want, "23456|scale=120,origin=1784080800000,real=1|unset|%s\n",
             f->cfg.data_dir);
    assert_string_equal(out, want);
    free(out);

    /* The exit status comes back; output beyond max is cut and said so. */
    const char *fail[] = {"-c", "echo 0123456789; exit 4", NULL};
    assert_int_equal(hl_stack_capture(f->s, "sh", fail, 5000, 4, &out, &status, err, sizeof err),
                     HL_ETOOBIG);
    assert_string_equal(out, "0123");
    assert_int_equal(status, 4);
    free(out);

    /* A program that does not finish is killed at the deadline. */
    const char *slow[] = {"5", NULL};
    assert_int_equal(hl_stack_capture(f->s, "sleep", slow, 200, 64, &out, &status, err, sizeof err),
                     HL_ETIMEOUT);
    free(out);
    assert_int_equal(
        hl_stack_capture(f->s, "no-such-program", NULL, 200, 64, &out, &status, err, sizeof err),
        HL_ENOTFOUND);
    assert_null(out);
}

static void test_logs(void **state)
{
    fx *f = *state;
    char err[256] = "";
    const char *args[] = {"-c", "echo to-stdout; echo to-stderr >&2", NULL};
    assert_int_equal(hl_stack_spawn(f->s, "talker", "sh", args, err, sizeof err), 0);
    char dead[64];
    for (int i = 0; i < 200 && hl_stack_poll(f->s, dead, sizeof dead, err, sizeof err) == 0; i++)
        usleep(10000);
    char p[512], buf[1024] = "";
    assert_int_equal(hl_stack_log_path(f->s, "talker", p, sizeof p), 0);
    FILE *lf = fopen(p, "r");
    assert_non_null(lf);
    size_t n = fread(buf, 1, sizeof buf - 1, lf);
    fclose(lf);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "==== ")); /* the start marker with the time */
    assert_non_null(strstr(buf, "starting /bin/sh"));
    assert_non_null(strstr(buf, "to-stdout\n"));
    assert_non_null(strstr(buf, "to-stderr\n"));
    assert_int_equal(hl_stack_log_path(f->s, "talker", p, 8), HL_ETOOBIG);
}

static void test_bad_requests(void **state)
{
    fx *f = *state;
    char err[256] = "";
    assert_int_equal(hl_stack_start_service(f->s, "weather", 0, err, sizeof err), HL_ENOTFOUND);
    assert_non_null(strstr(err, "weather"));
    /* /bin has no "alert": the error names the path it looked for. */
    assert_int_equal(hl_stack_start_service(f->s, "alert", 0, err, sizeof err), HL_ENOTFOUND);
    assert_non_null(strstr(err, "/bin/alert"));
    assert_int_equal(hl_stack_start_partner(f->s, "bad unit!", 0, NULL, err, sizeof err),
                     HL_EINVAL);
    assert_int_equal(hl_stack_spawn(f->s, "x", "../sh", NULL, err, sizeof err), HL_EINVAL);
    const char *many[HL_STACK_MAX_ARGS + 1];
    for (int i = 0; i < HL_STACK_MAX_ARGS; i++)
        many[i] = "a";
    many[HL_STACK_MAX_ARGS] = NULL;
    assert_int_equal(hl_stack_spawn(f->s, "many", "sh", many, err, sizeof err), HL_ETOOBIG);
    assert_int_equal(hl_stack_wait_ready(f->s, "nobody", 10, err, sizeof err), HL_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_makes_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unexpected_exit_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_escalates_to_sigkill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_and_capture, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
    };
    return cmocka_run_group_tests_name("drill_stack", tests, NULL, NULL);
}
