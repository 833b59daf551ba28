/* fault_kill_test — the bounded fault test of issue 3: hazfault runs the whole stack (five
 * services, one partner agent per unit) under about a minute of readings and incident
 * reports while ten processes are killed with SIGKILL and restarted, then judges the
 * stores. Nothing may be lost, nothing applied twice, every kill survived.
 *
 * The seed is fixed (so a failure can be repeated with `hazfault --seed …`) unless
 * HL_FAULT_SEED is set. The assertions are about the end state after the stack settled,
 * with generous time for it to settle, so the test does not depend on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hazlink/stack.h"

#define FAULT_TEST_SEED "20260311"
#define FAULT_TEST_TIMEOUT_S 250

static void dump(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

/* An integer of the summary at "key" or "object.key". */
static json_int_t jint(json_t *o, const char *path)
{
    char key[64];
    snprintf(key, sizeof key, "%s", path);
    char *leaf = key, *dot = strchr(key, '.');
    if (dot) {
        *dot = '\0';
        o = json_object_get(o, key);
        leaf = dot + 1;
    }
    json_t *v = json_object_get(o, leaf);
    if (!json_is_integer(v))
        fail_msg("summary: no integer \"%s\"", path);
    return json_integer_value(v);
}

static void test_fault_kill(void **state)
{
    (void)state;
    char dir[] = "/tmp/fault_kill_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char json_path[128], log_path[128];
    snprintf(json_path, sizeof json_path, "%s/fault.json", dir);
    snprintf(log_path, sizeof log_path, "%s/hazfault.log", dir);
    const char *seed = getenv("HL_FAULT_SEED") ? getenv("HL_FAULT_SEED") : FAULT_TEST_SEED;
    fprintf(stderr, "fault_kill: seed %s (HL_FAULT_SEED overrides)\n", seed);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        unsetenv("HAZLINK_CONFIG");
        unsetenv("HAZLINK_DATA");
        unsetenv("HAZLINK_BASE_PORT");
        unsetenv("HAZLINK_CLOCK");
        execl(HL_TEST_BIN_DIR "/hazfault", "hazfault", "--seconds", "60", "--rate", "12", "--kills",
              "10", "--seed", seed, "--settle", "120", "--dir", dir, "--playbooks",
              HL_TEST_SOURCE_DIR "/playbooks", "--json", json_path, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    time_t t0 = time(NULL);
    for (;;) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            break;
        if (time(NULL) - t0 > FAULT_TEST_TIMEOUT_S) {
            kill(pid, SIGTERM);
            sleep(3);
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            dump(log_path);
            fail_msg("hazfault did not finish within %d s", FAULT_TEST_TIMEOUT_S);
        }
        usleep(200000);
    }
    dump(log_path); /* the figures, for the test log */
    json_error_t je;
    json_t *s = json_load_file(json_path, 0, &je);
    if (!s)
        fail_msg("no summary at %s (hazfault exit status %d)", json_path,
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));

    /* The load was real: hundreds of tasks, every service killed at least once, and the
     * kills mattered (messages had to be sent again). */
    assert_true(jint(s, "stores.tasks") >= 100);
    assert_true(jint(s, "stores.incidents") >= 40);
    assert_true(jint(s, "stores.stock_rows_in_ledger") > 0);
    assert_int_equal(jint(s, "kills.planned"), 10);
    assert_int_equal(jint(s, "kills.survived"), 10);
    const char *svcs[] = {"alert", "playbook", "stock", "risk", "dispatch"};
    for (size_t i = 0; i < 5; i++) {
        char k[32];
        snprintf(k, sizeof k, "kills.%s", svcs[i]);
        if (jint(s, k) < 1)
            fail_msg("%s was never killed", svcs[i]);
    }
    assert_true(jint(s, "messages.resends") > 0);
    assert_true(jint(s, "messages.stock_actions_accepted") > 0);
    /* Messages sent again after their answer (a lost reply) were answered the same way:
     * applied once, by the receiver's inbox. */
    assert_true(jint(s, "messages.sent_again_after_answer") > 0);
    assert_int_equal(jint(s, "messages.answered_the_same"),
                     jint(s, "messages.sent_again_after_answer"));
    assert_int_equal(jint(s, "messages.answered_differently"), 0);

    /* Nothing lost, nothing applied twice, every invariant held. */
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(s, "invariants"), i, v)
    {
        if (!json_is_true(json_object_get(v, "ok")))
            fail_msg("invariant %s failed: %s", json_string_value(json_object_get(v, "name")),
                     json_string_value(json_object_get(v, "first")));
        assert_true(json_integer_value(json_object_get(v, "checked")) > 0);
    }
    assert_int_equal(json_array_size(json_object_get(s, "invariants")), 9);
    assert_int_equal(jint(s, "lost"), 0);
    assert_int_equal(jint(s, "applied_twice"), 0);
    assert_int_equal(jint(s, "messages.unanswered"), 0);
    assert_int_equal(jint(s, "messages.refused"), 0);
    assert_int_equal(jint(s, "crashes"), 0);
    assert_int_equal(jint(s, "sanitizer_reports"), 0);
    assert_true(json_is_true(json_object_get(s, "converged")));
    if (!json_is_true(json_object_get(s, "ok")))
        fail_msg("hazfault: %s", json_string_value(json_object_get(s, "problems")));
    assert_int_equal(WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
    json_decref(s);
    if (getenv("HL_KEEP_TEST_DIRS"))
        fprintf(stderr, "kept %s\n", dir);
    else
        hl_stack_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fault_kill)};
    return cmocka_run_group_tests_name("fault_kill", tests, NULL, NULL);
}
