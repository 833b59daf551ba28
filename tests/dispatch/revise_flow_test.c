/* dispatch.revise in the running service (services/dispatch/revise.c, issue 4: "a new reading
 * re-anchors the forecast …, and the tasks that depend on it are updated, not duplicated"):
 * dispatch and hazpartner as real processes, the drill clock at 20× (one drill minute = 3 real
 * seconds).
 *
 * The roster (dfix.h DFIX_ESC_ROSTER): unit ea escalates to eb, then ec; acknowledgement
 * timeouts 红 1 min, 橙 2, 黄 3, 蓝 4; one reminder per unit. Partners answer nothing by
 * themselves, so the tasks stay delivered.
 *  - a revision changes a delivered task's due time and title in place: same id, seq, unit and
 *    state, no second task; the audit says "revised"; ea's agent shows one UPDATED line and
 *    still shows the task once (shown_count 1, revisions 1); dispatch stops pushing once the
 *    agent receipted the revision; a level in the revision moves the escalation timeout;
 *  - replays (the same update again, an older one) change nothing; an unknown task id is
 *    refused with an error naming it, and nothing of that revision is applied; a task of
 *    another plan and update 0 are refused;
 *  - a withdrawn task's escalation is cancelled: no reminder, no notice ever, audit
 *    "escalation_cancelled"; withdrawing a task whose chain already notified eb withdraws
 *    the notice too, and eb's agent is told; an answer to a withdrawn task is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <cmocka.h>

#include "dfix.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

#define SCALE 20
#define MIN_MS 60000

static int setup(void **state)
{
    (void)state;
    return dfix_setup_roster("dispatch-revise", SCALE, DFIX_ESC_ROSTER);
}

static int teardown(void **state)
{
    (void)state;
    return dfix_teardown();
}

static void submit(Hl__Task *t, size_t n)
{
    char err[512], field[64];
    if (dfix_submit(t, n, NULL, NULL, field, sizeof field, err, sizeof err) != 0)
        fail_msg("submit: %s (%s)", err, field);
}

static Hl__Task *stored(const char *id)
{
    Hl__TaskList *l = (Hl__TaskList *)dfix_query("dispatch.list", NULL, id,
                                                 &hl__task_list__descriptor);
    if (l->n_tasks != 1)
        fail_msg("task %s: %zu stored", id, l->n_tasks);
    Hl__Task *t = l->tasks[0];
    l->tasks[0] = NULL;
    l->n_tasks = 0;
    hl__task_list__free_unpacked(l, NULL);
    return t;
}

/* The partner export's record of task id once pred holds (fails after DFIX_WAIT_MS). */
typedef int (*rec_pred)(json_t *rec);
static json_t *wait_export(const char *unit, const char *id, rec_pred pred)
{
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    for (;;) {
        json_t *doc = dfix_export(unit);
        json_t *rec = dfix_export_task(doc, id);
        if (rec && pred(rec)) {
            json_incref(rec);
            json_decref(doc);
            return rec;
        }
        char *dump = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (hl_real_now_ms() > deadline) {
            fprintf(stderr, "  %s\n", dump ? dump : "(not in the export)");
            free(dump);
            fail_msg("partner %s: task %s not as expected within %d ms", unit, id, DFIX_WAIT_MS);
        }
        free(dump);
        dfix_sleep_ms(200);
    }
}

static int revised_once(json_t *rec)
{
    return dfix_jint(rec, "revisions") == 1;
}

static int withdrawn(json_t *rec)
{
    return strcmp(json_string_value(json_object_get(rec, "state")), "withdrawn") == 0;
}

/* Wait until dispatch knows the unit has the latest revision of task id. */
static void wait_receipted(const char *id)
{
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    for (;;) {
        Hl__Task *t = stored(id);
        int ok = t->revision_receipted == t->revisions;
        hl__task__free_unpacked(t, NULL);
        if (ok)
            return;
        if (hl_real_now_ms() > deadline)
            fail_msg("task %s: revision never receipted", id);
        dfix_sleep_ms(100);
    }
}

static void test_revision_in_place(void **state)
{
    (void)state;
    char err[512], field[64];
    dfix_start_dispatch();
    dfix_start_partner("ea", -1, NULL);
    dfix_wait_connected("ea");
    Hl__Task t[2] = {dfix_task("t-r1", "ea", "sample", "黄沟二库断面采样"),
                     dfix_task("t-r2", "ea", "warn_owner", "通知奎屯水源地")};
    int64_t due0 = hl_now_ms() + 3600000;
    t[0].due_ms = t[1].due_ms = due0;
    t[0].level = t[1].level = "蓝";
    submit(t, 2);
    const char *ids[] = {"t-r1", "t-r2"};
    Hl__TaskList *l = dfix_wait_state(ids, 2, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    json_t *doc = dfix_export("ea");
    long deliveries = dfix_jint(dfix_export_task(doc, "t-r1"), "deliveries");
    json_decref(doc);

    /* Update 1: t-r1 earlier with a new title; t-r2 exactly as stored (not a change). */
    Hl__Task rv[2] = {t[0], t[1]};
    rv[0].due_ms = due0 - 1800000;
    rv[0].title = "黄沟二库断面采样（提前）";
    Hl__TaskList *got = NULL;
    assert_int_equal(dfix_revise(1, NULL, rv, 2, NULL, 0, &got, field, sizeof field, err,
                                 sizeof err),
                     0);
    assert_int_equal(got->n_tasks, 2);
    assert_string_equal(got->tasks[0]->id, "t-r1");
    assert_int_equal(got->tasks[0]->revisions, 1);
    assert_int_equal(got->tasks[0]->plan_update, 1);
    assert_int_equal(got->tasks[0]->due_ms, due0 - 1800000);
    assert_int_equal(got->tasks[0]->seq, 1);
    assert_string_equal(got->tasks[0]->state, "delivered");
    assert_string_equal(got->tasks[0]->unit_id, "ea");
    assert_int_equal(got->tasks[1]->revisions, 0);
    hl__task_list__free_unpacked(got, NULL);
    /* No duplicate: ea still has two tasks, in their first order. */
    l = dfix_list("ea");
    assert_int_equal(l->n_tasks, 2);
    assert_string_equal(l->tasks[0]->id, "t-r1");
    assert_string_equal(l->tasks[0]->title, "黄沟二库断面采样（提前）");
    hl__task_list__free_unpacked(l, NULL);
    assert_int_equal(dfix_audit_events("t-r1", "revised"), 1);
    assert_int_equal(dfix_audit_events("t-r2", "revised"), 0);

    /* ea's agent has the new text, shown as an update: one new-task line, one UPDATED. */
    json_t *rec = wait_export("ea", "t-r1", revised_once);
    assert_int_equal(dfix_jint(rec, "shown_count"), 1);
    assert_int_equal(dfix_jint(rec, "deliveries"), deliveries); /* a revision is no delivery */
    assert_int_equal(dfix_jint(rec, "task_revisions"), 1);
    assert_string_equal(json_string_value(json_object_get(rec, "title")),
                        "黄沟二库断面采样（提前）");
    assert_int_equal(dfix_jint(rec, "due_ms"), due0 - 1800000);
    json_decref(rec);
    wait_receipted("t-r1");
    char *log = dfix_log("hazpartner-ea");
    assert_int_equal(dfix_shown_lines(log, "t-r1", "sample"), 1);
    assert_int_equal(dfix_count(log, " t-r1 UPDATED 1: "), 1);
    assert_int_equal(dfix_count(log, " t-r2 UPDATED"), 0);
    free(log);

    /* The same update again (an outbox resend under a new envelope), and with other values:
     * answered with the tasks as stored, nothing changes. */
    rv[0].due_ms = due0 + 999;
    assert_int_equal(dfix_revise(1, NULL, rv, 1, NULL, 0, &got, field, sizeof field, err,
                                 sizeof err),
                     0);
    assert_int_equal(got->tasks[0]->due_ms, due0 - 1800000);
    assert_int_equal(got->tasks[0]->revisions, 1);
    hl__task_list__free_unpacked(got, NULL);
    assert_int_equal(dfix_audit_events("t-r1", "revised"), 1);

    /* An unknown task: refused with its name, and t-r1's change in the same revision is not
     * applied either. */
    Hl__Task two[2] = {rv[0], dfix_task("t-nope", "ea", "sample", "x")};
    int rc = dfix_revise(2, NULL, two, 2, NULL, 0, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "tasks[1].id");
    assert_non_null(strstr(err, "t-nope"));
    Hl__Task *s = stored("t-r1");
    assert_int_equal(s->due_ms, due0 - 1800000);
    hl__task__free_unpacked(s, NULL);
    const char *gone[] = {"t-gone"};
    rc = dfix_revise(2, NULL, NULL, 0, gone, 1, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "withdrawn_task_ids[0]");
    /* Another plan's revision cannot touch this plan's tasks; update 0 is no update. */
    rc = dfix_revise(2, "plan-other", rv, 1, NULL, 0, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_EINVAL);
    assert_non_null(strstr(err, "belongs to plan plan-test"));
    rc = dfix_revise(0, NULL, rv, 1, NULL, 0, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "update");

    /* Update 2 raises t-r2 to 红 (the incident was graded up): its chain's timeout is 1 min
     * from when ea was told. */
    Hl__Escalation *e = dfix_chain_of("t-r2");
    assert_int_equal(e->timeout_ms, 4 * MIN_MS);
    int64_t since = e->since_ms;
    hl__escalation__free_unpacked(e, NULL);
    rv[1].level = "红";
    assert_int_equal(dfix_revise(2, NULL, &rv[1], 1, NULL, 0, NULL, field, sizeof field, err,
                                 sizeof err),
                     0);
    e = dfix_chain_of("t-r2");
    assert_string_equal(e->level, "红");
    assert_int_equal(e->timeout_ms, MIN_MS);
    assert_int_equal(e->next_due_ms, since + MIN_MS);
    hl__escalation__free_unpacked(e, NULL);
    s = stored("t-r2");
    assert_string_equal(s->level, "红");
    assert_int_equal(s->revisions, 1);
    hl__task__free_unpacked(s, NULL);
    /* A response level is kept as such (IV … I), with the timeout of its colour. */
    rv[1].level = "IV";
    assert_int_equal(dfix_revise(3, NULL, &rv[1], 1, NULL, 0, NULL, field, sizeof field, err,
                                 sizeof err),
                     0);
    e = dfix_chain_of("t-r2");
    assert_string_equal(e->level, "IV");
    assert_int_equal(e->timeout_ms, 4 * MIN_MS);
    hl__escalation__free_unpacked(e, NULL);
}

static void test_withdrawn_cancels_escalation(void **state)
{
    (void)state;
    char err[512], field[64];
    dfix_start_dispatch();
    dfix_start_partner("ea", -1, NULL);
    dfix_start_partner("eb", -1, NULL);
    dfix_wait_connected("ea");
    dfix_wait_connected("eb");
    Hl__Task t[2] = {dfix_task("t-w1", "ea", "intercept", "奎屯河新渠首拦截"),
                     dfix_task("t-w2", "ea", "protect_receptor", "关闭奎屯水源地取水口")};
    t[0].level = t[1].level = "红";
    submit(t, 2);
    const char *ids[] = {"t-w1", "t-w2"};
    Hl__TaskList *l = dfix_wait_state(ids, 2, "delivered");
    hl__task_list__free_unpacked(l, NULL);

    /* t-w1 withdrawn 10 drill s after it was stored: its chain plans nothing more. */
    Hl__Escalation *e = dfix_chain_of("t-w1");
    int64_t start = e->started_ms;
    hl__escalation__free_unpacked(e, NULL);
    while (hl_now_ms() < start + 10000)
        dfix_sleep_ms(20);
    const char *w1[] = {"t-w1"};
    Hl__TaskList *got = NULL;
    assert_int_equal(dfix_revise(10, NULL, NULL, 0, w1, 1, &got, field, sizeof field, err,
                                 sizeof err),
                     0);
    assert_int_equal(got->n_tasks, 1);
    assert_string_equal(got->tasks[0]->state, "withdrawn");
    assert_true(got->tasks[0]->withdrawn_ms > 0);
    assert_non_null(strstr(got->tasks[0]->reason, "withdrawn by plan plan-test update 10"));
    hl__task_list__free_unpacked(got, NULL);
    e = dfix_chain_of("t-w1");
    assert_string_equal(e->status, "withdrawn");
    assert_int_equal(e->next_due_ms, 0);
    hl__escalation__free_unpacked(e, NULL);
    assert_int_equal(dfix_audit_events("t-w1", "escalation_cancelled"), 1);
    /* ea's agent was told, and still shows the task once. */
    json_t *rec = wait_export("ea", "t-w1", withdrawn);
    assert_int_equal(dfix_jint(rec, "shown_count"), 1);
    assert_int_equal(dfix_jint(rec, "revisions"), 1);
    json_decref(rec);
    /* A person at ea may not act on it any more: dispatch refuses (through the agent). */
    const char *aargs[] = {"ack", "--unit", "ea", "t-w1", NULL};
    char *out = NULL;
    int status = -1;
    assert_int_equal(
        hl_stack_capture(F.st, "hazpartner", aargs, 20000, 1 << 16, &out, &status, err, sizeof err),
        0);
    free(out);
    assert_int_equal(status, 1); /* refused by dispatch (cmd.h) */
    dfix_assert_state("t-w1", "withdrawn");

    /* t-w2 is left alone: reminded at +1 min, eb notified at +2 min. */
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    for (;;) {
        e = dfix_chain_of("t-w2");
        size_t n = e->n_steps;
        hl__escalation__free_unpacked(e, NULL);
        if (n >= 2)
            break;
        if (hl_real_now_ms() > deadline)
            fail_msg("t-w2 was not escalated");
        dfix_sleep_ms(100);
    }
    /* By now t-w1's first two steps were long due: none was taken. */
    assert_true(hl_now_ms() > start + 2 * MIN_MS);
    assert_int_equal(dfix_audit_events("t-w1", "reminded"), 0);
    assert_int_equal(dfix_audit_events("t-w1", "escalated"), 0);
    l = dfix_list(NULL);
    assert_null(dfix_find(l, "t-w1:esc1"));
    assert_non_null(dfix_find(l, "t-w2:esc1"));
    hl__task_list__free_unpacked(l, NULL);

    /* Withdrawing t-w2 withdraws the notice eb holds; eb's agent is told too. */
    const char *w2[] = {"t-w2"};
    assert_int_equal(dfix_revise(11, NULL, NULL, 0, w2, 1, NULL, field, sizeof field, err,
                                 sizeof err),
                     0);
    dfix_assert_state("t-w2", "withdrawn");
    dfix_assert_state("t-w2:esc1", "withdrawn");
    rec = wait_export("eb", "t-w2:esc1", withdrawn);
    assert_int_equal(dfix_jint(rec, "shown_count"), 1);
    json_decref(rec);
    wait_receipted("t-w2:esc1");
    char *log = dfix_log("hazpartner-eb");
    assert_int_equal(dfix_count(log, " t-w2:esc1 WITHDRAWN: "), 1);
    free(log);
    log = dfix_log("hazpartner-ea");
    assert_int_equal(dfix_count(log, " t-w1 WITHDRAWN: "), 1);
    assert_int_equal(dfix_shown_lines(log, "t-w1", "intercept"), 1);
    free(log);
    /* A withdrawal of a withdrawn task is a duplicate (a later update): nothing changes. */
    assert_int_equal(dfix_revise(12, NULL, NULL, 0, w2, 1, NULL, field, sizeof field, err,
                                 sizeof err),
                     0);
    Hl__Task *s = stored("t-w2");
    assert_int_equal(s->revisions, 1);
    hl__task__free_unpacked(s, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_revision_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_withdrawn_cancels_escalation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
