/* Escalation in the running service (services/dispatch/escalate.c): dispatch and hazpartner
 * as real processes, the drill clock at 10× (one drill minute = 6 real seconds), timing
 * checked to the second of drill time.
 *
 * The roster (dfix.h DFIX_ESC_ROSTER): unit ea escalates to eb, then ec; acknowledgement
 * timeouts 红 1 min, 橙 2, 黄 3, 蓝 4; one reminder per unit.
 *  - nobody answers (红): reminder to ea at +1 min, notice to eb at +2 min, each within a
 *    second of its due time; the notice reaches eb's partner agent; audit and chain say so;
 *  - ea acknowledges at +50 s: no step ever, no notice to anyone;
 *  - ea declines: eb is told at once; eb declines its notice: ec at once; ec acknowledges:
 *    the chain ends, and says who took it on;
 *  - dispatch killed (SIGKILL) with steps pending and restarted after one step's due time:
 *    that step is taken at once on restart, the other (not yet due) on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfix.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

#define SCALE 10
#define MIN_MS 60000
/* A step is taken at most this much drill time after it is due: the fast timer's own bound
 * (DISPATCH_ESC_LATE_MS, 250) and the time to process the batch, at 10×. */
#define ON_TIME_MS 1000

static int setup(void **state)
{
    (void)state;
    return dfix_setup_roster("dispatch-escal", SCALE, DFIX_ESC_ROSTER);
}

static int teardown(void **state)
{
    (void)state;
    return dfix_teardown();
}

static void submit_one(const char *id, const char *unit, const char *level)
{
    char err[512], field[64];
    Hl__Task t = dfix_task(id, unit, "sample", "断面加密采样");
    t.level = (char *)level;
    if (dfix_submit(&t, 1, NULL, NULL, field, sizeof field, err, sizeof err) != 0)
        fail_msg("submit %s: %s (%s)", id, err, field);
}

/* The chain of task once it has at least n steps (fails after DFIX_WAIT_MS). */
static Hl__Escalation *wait_steps(const char *task, size_t n)
{
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    for (;;) {
        int rc;
        Hl__Escalation *e = dfix_chain(task, &rc);
        if (rc != 0)
            fail_msg("dispatch.chain %s: %d", task, rc);
        if (e->n_steps >= n)
            return e;
        hl__escalation__free_unpacked(e, NULL);
        if (hl_real_now_ms() > deadline)
            fail_msg("%s: fewer than %zu escalation steps within %d real ms", task, n,
                     DFIX_WAIT_MS);
        dfix_sleep_ms(50);
    }
}

static void wait_drill(int64_t drill_ms)
{
    while (hl_now_ms() < drill_ms)
        dfix_sleep_ms(20);
}

/* The step was taken within ON_TIME_MS of drill time after due_ms. */
static void assert_on_time(const Hl__EscalationStep *s, int64_t due_ms)
{
    assert_int_equal(s->due_ms, due_ms);
    fprintf(stderr, "  step %u (%s %s): taken %lld drill ms after due\n", s->n, s->kind, s->unit_id,
            (long long)(s->at_ms - due_ms));
    if (s->at_ms < due_ms || s->at_ms - due_ms >= ON_TIME_MS)
        fail_msg("step %u (%s %s) taken %lld drill ms after it was due", s->n, s->kind, s->unit_id,
                 (long long)(s->at_ms - due_ms));
}

static void test_steps_ack_decline(void **state)
{
    (void)state;
    char ea[600], ec[600], field[64];
    dfix_start_dispatch();
    dfix_keys_admit("ea", ea, sizeof ea);
    dfix_keys_admit("ec", ec, sizeof ec);
    dfix_start_partner("eb", -1, NULL); /* receives; a person answers */
    dfix_wait_connected("eb");

    submit_one("t-none", "ea", "红"); /* nobody answers */
    submit_one("t-ack", "ea", "red"); /* ea acknowledges before the first step */
    submit_one("t-decl", "ea", NULL); /* 黄 by default; ea declines */
    Hl__Escalation *e = dfix_chain_of("t-none");
    int64_t start = e->started_ms;
    assert_string_equal(e->status, "waiting");
    assert_string_equal(e->level, "红");
    assert_false(e->level_defaulted);
    assert_int_equal(e->timeout_ms, MIN_MS);
    assert_int_equal(e->n_chain, 3);
    assert_string_equal(e->chain[1], "eb");
    assert_string_equal(e->chain_names[2], "丙");
    assert_string_equal(e->next_kind, "repeat");
    assert_int_equal(e->next_due_ms, start + MIN_MS);
    assert_string_equal(e->assumption, "test timings");
    hl__escalation__free_unpacked(e, NULL);
    e = dfix_chain_of("t-decl");
    assert_string_equal(e->level, "黄");
    assert_true(e->level_defaulted);
    assert_int_equal(e->timeout_ms, 3 * MIN_MS);
    hl__escalation__free_unpacked(e, NULL);

    /* Decline at once: eb is told in the same moment. */
    dfix_sleep_ms(300);
    assert_int_equal(dfix_gw_answer("ea", ea, "t-decl", "decline", "船只检修", field, sizeof field),
                     0);
    Hl__TaskList *l = dfix_list(NULL);
    int64_t declined_at = dfix_find(l, "t-decl")->declined_ms;
    const Hl__Task *n1 = dfix_find(l, "t-decl:esc1");
    assert_non_null(n1);
    assert_string_equal(n1->unit_id, "eb");
    assert_string_equal(n1->kind, "escalation");
    assert_string_equal(n1->escalation_of, "t-decl");
    assert_int_equal(n1->escalation_step, 1);
    assert_non_null(strstr(n1->detail, "declined by ea: 船只检修"));
    hl__task_list__free_unpacked(l, NULL);
    e = dfix_chain_of("t-decl");
    assert_int_equal(e->n_steps, 1);
    assert_string_equal(e->steps[0]->kind, "escalate");
    assert_string_equal(e->steps[0]->unit_id, "eb");
    assert_int_equal(e->steps[0]->at_ms, declined_at);
    assert_string_equal(e->steps[0]->notice_task_id, "t-decl:esc1");
    assert_int_equal(e->next_due_ms, declined_at + 3 * MIN_MS);
    hl__escalation__free_unpacked(e, NULL);
    /* eb's agent shows the notice; eb's person declines it: ec is told at once. */
    const char *nid[] = {"t-decl:esc1"};
    l = dfix_wait_state(nid, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    const char *dargs[] = {"decline",  "--unit",     "eb", "t-decl:esc1",
                           "--reason", "副团长出差", NULL};
    char *out = NULL, err[512];
    int status = -1;
    assert_int_equal(
        hl_stack_capture(F.st, "hazpartner", dargs, 20000, 1 << 16, &out, &status, err, sizeof err),
        0);
    free(out);
    assert_int_equal(status, 0);
    e = dfix_chain_of("t-decl");
    assert_int_equal(e->n_steps, 2);
    assert_string_equal(e->steps[1]->unit_id, "ec");
    assert_true(e->steps[1]->at_ms == e->steps[1]->due_ms);
    assert_non_null(strstr(e->steps[1]->cause, "declined by eb: 副团长出差"));
    hl__escalation__free_unpacked(e, NULL);
    /* ec acknowledges its notice: the chain ends there, and the log says who took it on. */
    assert_int_equal(dfix_gw_answer("ec", ec, "t-decl:esc2", "ack", NULL, field, sizeof field), 0);
    e = dfix_chain_of("t-decl");
    assert_string_equal(e->status, "acknowledged");
    assert_string_equal(e->ended_by, "ec");
    assert_int_equal(e->next_due_ms, 0);
    hl__escalation__free_unpacked(e, NULL);
    assert_int_equal(dfix_audit_events("t-decl", "escalated"), 2);
    assert_int_equal(dfix_audit_events("t-decl", "escalation_stopped"), 1);

    /* ea acknowledges t-ack ten drill seconds before its first step was due. */
    wait_drill(start + 50000);
    assert_int_equal(dfix_gw_answer("ea", ea, "t-ack", "ack", NULL, field, sizeof field), 0);

    /* Nobody answers t-none: the reminder at +1 min, the notice to eb at +2 min. */
    e = wait_steps("t-none", 2);
    assert_string_equal(e->steps[0]->kind, "repeat");
    assert_string_equal(e->steps[0]->unit_id, "ea");
    assert_on_time(e->steps[0], start + MIN_MS);
    assert_string_equal(e->steps[1]->kind, "escalate");
    assert_string_equal(e->steps[1]->unit_id, "eb");
    /* eb's wait runs from when ea was reminded. */
    assert_on_time(e->steps[1], e->steps[0]->at_ms + MIN_MS);
    assert_string_equal(e->steps[1]->notice_task_id, "t-none:esc1");
    assert_non_null(strstr(e->steps[1]->cause, "timeout"));
    hl__escalation__free_unpacked(e, NULL);
    assert_int_equal(dfix_audit_events("t-none", "reminded"), 1);
    assert_int_equal(dfix_audit_events("t-none", "escalated"), 1);
    const char *nn[] = {"t-none:esc1"};
    l = dfix_wait_state(nn, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    char *log = dfix_log("hazpartner-eb");
    assert_int_equal(dfix_shown_lines(log, "t-none:esc1", "escalation"), 1);
    free(log);

    /* By now t-ack's steps would have been due twice over: none was taken. */
    assert_true(hl_now_ms() > start + 2 * MIN_MS);
    e = dfix_chain_of("t-ack");
    assert_string_equal(e->status, "acknowledged");
    assert_string_equal(e->ended_by, "ea");
    assert_int_equal(e->n_steps, 0);
    assert_int_equal(e->next_due_ms, 0);
    hl__escalation__free_unpacked(e, NULL);
    assert_int_equal(dfix_audit_events("t-ack", "reminded") + dfix_audit_events("t-ack", "escalated"), 0);
    l = dfix_list("eb");
    for (size_t i = 0; i < l->n_tasks; i++)
        if (strcmp(l->tasks[i]->escalation_of, "t-ack") == 0)
            fail_msg("a notice about t-ack was made after its acknowledgement");
    hl__task_list__free_unpacked(l, NULL);
    log = dfix_log("hazpartner-eb");
    assert_null(strstr(log, "t-ack"));
    free(log);
}

static void test_restart(void **state)
{
    (void)state;
    char err[512];
    dfix_start_dispatch();
    submit_one("t-late", "ea", "红");   /* first step due at +1 min */
    submit_one("t-ontime", "ea", "橙"); /* first step due at +2 min */
    Hl__Escalation *e = dfix_chain_of("t-late");
    int64_t due_late = e->next_due_ms;
    hl__escalation__free_unpacked(e, NULL);
    e = dfix_chain_of("t-ontime");
    int64_t due_ontime = e->next_due_ms;
    hl__escalation__free_unpacked(e, NULL);
    assert_true(due_ontime - due_late >= MIN_MS - 1000);

    /* Down from +20 s to +75 s: t-late's step falls due while dispatch is down. */
    wait_drill(due_late - 40000);
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    wait_drill(due_late + 15000);
    int64_t restarting = hl_now_ms();
    if (hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err) < 0)
        fail_msg("restart: %s", err);
    int64_t ready = hl_now_ms();
    assert_true(ready < due_ontime - 5000); /* the other step is still ahead */

    e = wait_steps("t-late", 1);
    assert_int_equal(e->steps[0]->due_ms, due_late);
    if (e->steps[0]->at_ms < restarting || e->steps[0]->at_ms > ready + ON_TIME_MS)
        fail_msg("the step due while dispatch was down was taken at %lld drill ms after the "
                 "restart began (ready after %lld)",
                 (long long)(e->steps[0]->at_ms - restarting), (long long)(ready - restarting));
    fprintf(stderr,
            "  step due while down: taken %lld drill ms after the restart began, ready after "
            "%lld\n",
            (long long)(e->steps[0]->at_ms - restarting), (long long)(ready - restarting));
    /* Its next wait runs from when it was taken. */
    assert_int_equal(e->next_due_ms, e->steps[0]->at_ms + MIN_MS);
    hl__escalation__free_unpacked(e, NULL);

    e = wait_steps("t-ontime", 1);
    assert_on_time(e->steps[0], due_ontime);
    hl__escalation__free_unpacked(e, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_steps_ack_decline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
