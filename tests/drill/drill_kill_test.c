/* drill_kill_test — the fault the issue demands: during the Kuitun benzene drill, dispatch is
 * killed with SIGKILL and restarted; afterwards the stores and every partner's own export
 * must show that no task was lost and none was shown twice to a partner.
 *
 * `hazdrill run … --kill dispatch@00:06 --kill-down 120` kills dispatch one drill minute
 * after the enterprise's report (00:05), while the first plan's tasks are being created,
 * delivered and acknowledged, and restarts it two drill minutes later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "drill_harness.h"

#define SCENARIO HL_TEST_SOURCE_DIR "/playbooks/drills/kuitun-benzene.yaml"

static json_t *task_by_id(json_t *tasks, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(tasks, i, v)
    {
        const char *t = json_string_value(json_object_get(v, "id"));
        if (t && strcmp(t, id) == 0)
            return v;
    }
    return NULL;
}

static void test_kill_dispatch(void **state)
{
    (void)state;
    drill_harness h;
    drill_harness_init(&h, "drill_kill");
    const char *extra[] = {"--scale",        "300",         "--preroll-ms", "3000", "--kill",
                           "dispatch@00:06", "--kill-down", "120",          NULL};
    drill_harness_run(&h, SCENARIO, extra, 85);
    assert_non_null(h.report);
    json_t *r = h.report;

    /* The kill happened and dispatch came back. */
    json_t *kill = drill_harness_get(r, "kill");
    assert_string_equal(json_string_value(drill_harness_get(kill, "service")), "dispatch");
    assert_true(json_is_true(drill_harness_get(kill, "ok")));
    json_int_t killed = json_integer_value(drill_harness_get(kill, "killed_ms"));
    json_int_t restarted = json_integer_value(drill_harness_get(kill, "restarted_ms"));
    assert_true(killed > 0 && restarted > killed);

    json_t *tasks = drill_harness_get(r, "tasks");
    assert_true(json_array_size(tasks) >= 4);

    /* The kill mattered: some task was still unanswered when dispatch died. */
    size_t i, after = 0;
    json_t *v;
    json_array_foreach(tasks, i, v) after +=
        json_integer_value(json_object_get(v, "acknowledged_ms")) > killed;
    assert_true(after > 0);

    /* No task lost: every task the playbook service planned is in dispatch's store, and
     * acknowledged. */
    json_array_foreach(drill_harness_get(r, "plans"), i, v)
    {
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(v, "task_ids"), k, id)
        {
            json_t *t = task_by_id(tasks, json_string_value(id));
            if (!t)
                fail_msg("planned task %s is not in dispatch's store", json_string_value(id));
            assert_string_equal(json_string_value(json_object_get(t, "state")), "acknowledged");
        }
    }
    /* None delivered twice: each partner's own export shows each of its tasks exactly once,
     * and together they show every task. */
    size_t shown_total = 0;
    json_array_foreach(drill_harness_get(r, "partners"), i, v)
    {
        const char *unit = json_string_value(json_object_get(v, "unit_id"));
        if (!json_is_true(json_object_get(v, "exported")))
            fail_msg("no export from %s: %s", unit, json_string_value(json_object_get(v, "error")));
        size_t k;
        json_t *s;
        json_array_foreach(json_object_get(v, "tasks_shown"), k, s)
        {
            const char *tid = json_string_value(json_object_get(s, "task_id"));
            json_int_t n = json_integer_value(json_object_get(s, "shown_count"));
            if (n != 1)
                fail_msg("%s showed task %s %lld times", unit, tid, (long long)n);
            json_t *t = task_by_id(tasks, tid);
            assert_non_null(t);
            assert_string_equal(json_string_value(json_object_get(t, "unit_id")), unit);
            shown_total++;
        }
    }
    assert_int_equal(shown_total, json_array_size(tasks));

    /* And the drill's own verdicts agree, delivered_once included. */
    json_array_foreach(drill_harness_get(r, "expectations"), i,
                       v) if (!json_is_true(json_object_get(v, "pass")))
        fail_msg("expectation %s failed: %s", json_string_value(json_object_get(v, "kind")),
                 json_string_value(json_object_get(v, "summary")));
    assert_int_equal(h.exit_status, 0);
    drill_harness_done(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill_dispatch)};
    return cmocka_run_group_tests_name("drill_kill", tests, NULL, NULL);
}
