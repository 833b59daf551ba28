/* Task states (services/dispatch/task.h): the whole transition table, one case per state and
 * event (the withdrawal of issue 4 included), plus the checks a playbook's task must pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "task.h"

enum {
    P = TASK_PENDING,
    D = TASK_DELIVERED,
    A = TASK_ACKNOWLEDGED,
    X = TASK_DECLINED,
    C = TASK_COMPLETED,
    W = TASK_WITHDRAWN
};

/* expect: the resulting state, or -1 for "duplicate: unchanged, 0", or -2 for HL_ESTATE. */
typedef struct transition_case {
    int from;
    task_event ev;
    int expect;
    size_t nsteps;
} transition_case;

static const transition_case transitions[] = {
    /* receipt */
    {P, TASK_EV_RECEIPT, D, 1},
    {D, TASK_EV_RECEIPT, -1, 0},
    {A, TASK_EV_RECEIPT, -1, 0},
    {X, TASK_EV_RECEIPT, -1, 0},
    {C, TASK_EV_RECEIPT, -1, 0},
    {W, TASK_EV_RECEIPT, -1, 0}, /* a withdrawn task arriving late: nothing changes */
    /* ack: from pending it implies the delivery (two steps) */
    {P, TASK_EV_ACK, A, 2},
    {D, TASK_EV_ACK, A, 1},
    {A, TASK_EV_ACK, -1, 0},
    {X, TASK_EV_ACK, -2, 0},
    {C, TASK_EV_ACK, -1, 0},
    {W, TASK_EV_ACK, -2, 0},
    /* decline */
    {P, TASK_EV_DECLINE, X, 2},
    {D, TASK_EV_DECLINE, X, 1},
    {A, TASK_EV_DECLINE, -2, 0},
    {X, TASK_EV_DECLINE, -1, 0},
    {C, TASK_EV_DECLINE, -2, 0},
    {W, TASK_EV_DECLINE, -2, 0},
    /* complete: only after an acknowledgement */
    {P, TASK_EV_COMPLETE, -2, 0},
    {D, TASK_EV_COMPLETE, -2, 0},
    {A, TASK_EV_COMPLETE, C, 1},
    {X, TASK_EV_COMPLETE, -2, 0},
    {C, TASK_EV_COMPLETE, -1, 0},
    {W, TASK_EV_COMPLETE, -2, 0},
    /* withdraw (dispatch.revise): from pending directly (no implied delivery), delivered or
     * acknowledged; a declined or completed task has nothing left to call off */
    {P, TASK_EV_WITHDRAW, W, 1},
    {D, TASK_EV_WITHDRAW, W, 1},
    {A, TASK_EV_WITHDRAW, W, 1},
    {X, TASK_EV_WITHDRAW, -2, 0},
    {C, TASK_EV_WITHDRAW, -2, 0},
    {W, TASK_EV_WITHDRAW, -1, 0},
};

static void test_transition_table(void **state)
{
    (void)state;
    /* Every (state, event) pair is in the table exactly once. */
    assert_int_equal(sizeof transitions / sizeof transitions[0], TASK_STATE_N * TASK_EV_N);
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
        const transition_case *c = &transitions[i];
        task_status before = {.state = (task_state)c->from, .delivered_ms = 0};
        if (c->from != P)
            before.delivered_ms = 1000;
        if (c->from == A || c->from == C)
            before.acknowledged_ms = 2000;
        if (c->from == X)
            before.declined_ms = 2000;
        if (c->from == C)
            before.completed_ms = 3000;
        if (c->from == W)
            before.withdrawn_ms = 3000;
        task_result res;
        int rc = task_apply(&before, c->ev, 5000, "no boats free", &res);
        char what[64];
        snprintf(what, sizeof what, "%s on %s", task_event_name(c->ev),
                 task_state_name((task_state)c->from));
        if (c->expect == -2) {
            if (rc != HL_ESTATE)
                fail_msg("%s: rc %d, want HL_ESTATE", what, rc);
            assert_memory_equal(&res.after, &before, sizeof before);
            assert_int_equal(res.nsteps, 0);
        } else if (c->expect == -1) {
            if (rc != 0)
                fail_msg("%s: rc %d, want 0 (duplicate)", what, rc);
            assert_memory_equal(&res.after, &before, sizeof before);
            assert_int_equal(res.nsteps, 0);
        } else {
            if (rc != 0 || (int)res.after.state != c->expect || res.nsteps != c->nsteps)
                fail_msg("%s: rc %d state %s steps %zu", what, rc, task_state_name(res.after.state),
                         res.nsteps);
            assert_int_equal(res.steps[0].from, c->from);
            assert_int_equal(res.steps[res.nsteps - 1].to, c->expect);
        }
    }
}

static void test_times_are_stamped(void **state)
{
    (void)state;
    task_status st = {.state = TASK_PENDING};
    task_result res;
    assert_int_equal(task_apply(&st, TASK_EV_RECEIPT, 100, NULL, &res), 0);
    assert_int_equal(res.after.delivered_ms, 100);
    st = res.after;
    assert_int_equal(task_apply(&st, TASK_EV_ACK, 250, NULL, &res), 0);
    assert_int_equal(res.after.delivered_ms, 100);
    assert_int_equal(res.after.acknowledged_ms, 250);
    st = res.after;
    /* A duplicate ack keeps the first time. */
    assert_int_equal(task_apply(&st, TASK_EV_ACK, 999, NULL, &res), 0);
    assert_int_equal(res.after.acknowledged_ms, 250);
    assert_int_equal(task_apply(&st, TASK_EV_COMPLETE, 400, NULL, &res), 0);
    assert_int_equal(res.after.completed_ms, 400);
    assert_int_equal(res.after.state, TASK_COMPLETED);

    /* An ack on a pending task stamps the implied delivery with the same time. */
    st = (task_status){.state = TASK_PENDING};
    assert_int_equal(task_apply(&st, TASK_EV_ACK, 700, NULL, &res), 0);
    assert_int_equal(res.nsteps, 2);
    assert_int_equal(res.steps[0].from, TASK_PENDING);
    assert_int_equal(res.steps[0].to, TASK_DELIVERED);
    assert_int_equal(res.steps[1].from, TASK_DELIVERED);
    assert_int_equal(res.steps[1].to, TASK_ACKNOWLEDGED);
    assert_int_equal(res.after.delivered_ms, 700);
    assert_int_equal(res.after.acknowledged_ms, 700);
}

static void test_withdraw_stamps_and_is_no_answer(void **state)
{
    (void)state;
    task_status st = {.state = TASK_DELIVERED, .delivered_ms = 100};
    task_result res;
    assert_int_equal(task_apply(&st, TASK_EV_WITHDRAW, 900, NULL, &res), 0);
    assert_int_equal(res.after.state, TASK_WITHDRAWN);
    assert_int_equal(res.after.withdrawn_ms, 900);
    assert_int_equal(res.after.delivered_ms, 100);
    /* A pending task is withdrawn without passing through delivered. */
    st = (task_status){.state = TASK_PENDING};
    assert_int_equal(task_apply(&st, TASK_EV_WITHDRAW, 950, NULL, &res), 0);
    assert_int_equal(res.nsteps, 1);
    assert_int_equal(res.after.delivered_ms, 0);
    assert_string_equal(task_state_name(TASK_WITHDRAWN), "withdrawn");
    assert_string_equal(task_event_name(TASK_EV_WITHDRAW), "withdraw");
    task_state ps;
    assert_int_equal(task_state_parse("withdrawn", &ps), 0);
    assert_int_equal(ps, TASK_WITHDRAWN);
    /* Only dispatch withdraws: it is not an answer a partner can give. */
    task_event ev;
    assert_int_equal(task_action_parse("withdraw", &ev), HL_EINVAL);
    assert_int_equal(task_action_parse("complete", &ev), 0);
}

static void test_decline_needs_reason(void **state)
{
    (void)state;
    task_status st = {.state = TASK_DELIVERED, .delivered_ms = 1};
    task_result res;
    assert_int_equal(task_apply(&st, TASK_EV_DECLINE, 10, NULL, &res), HL_EINVAL);
    assert_int_equal(task_apply(&st, TASK_EV_DECLINE, 10, "", &res), HL_EINVAL);
    assert_int_equal(res.after.state, TASK_DELIVERED);
    /* Limit: HL_TEXT_MAX bytes of reason pass, one more does not. */
    char *big = malloc(HL_TEXT_MAX + 2);
    assert_non_null(big);
    memset(big, 'r', HL_TEXT_MAX);
    big[HL_TEXT_MAX] = '\0';
    assert_int_equal(task_apply(&st, TASK_EV_DECLINE, 10, big, &res), 0);
    big[HL_TEXT_MAX] = 'r';
    big[HL_TEXT_MAX + 1] = '\0';
    assert_int_equal(task_apply(&st, TASK_EV_DECLINE, 10, big, &res), HL_ETOOBIG);
    free(big);
    /* Bad UTF-8 is refused, not stored. */
    assert_int_equal(task_apply(&st, TASK_EV_DECLINE, 10, "\xff\xfe", &res), HL_EINVAL);
    /* Out-of-range inputs. */
    assert_int_equal(task_apply(&st, TASK_EV_ACK, -1, NULL, &res), HL_EINVAL);
    assert_int_equal(task_apply(&st, (task_event)99, 1, NULL, &res), HL_EINVAL);
    task_status bad = {.state = (task_state)42};
    assert_int_equal(task_apply(&bad, TASK_EV_ACK, 1, NULL, &res), HL_EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    task_state s;
    for (int i = 0; i < TASK_STATE_N; i++) {
        assert_int_equal(task_state_parse(task_state_name((task_state)i), &s), 0);
        assert_int_equal(s, i);
    }
    assert_int_equal(task_state_parse("done", &s), HL_EINVAL);
    assert_int_equal(task_state_parse(NULL, &s), HL_EINVAL);
    task_event e;
    assert_int_equal(task_action_parse("ack", &e), 0);
    assert_int_equal(e, TASK_EV_ACK);
    assert_int_equal(task_action_parse("decline", &e), 0);
    assert_int_equal(e, TASK_EV_DECLINE);
    assert_int_equal(task_action_parse("complete", &e), 0);
    assert_int_equal(e, TASK_EV_COMPLETE);
    /* A receipt is its own message, never an answer. */
    assert_int_equal(task_action_parse("receipt", &e), HL_EINVAL);
    assert_int_equal(task_action_parse("ACK", &e), HL_EINVAL);
    assert_null(task_state_name((task_state)TASK_STATE_N));
}

static Hl__Task good_task(void)
{
    Hl__Task t = HL__TASK__INIT;
    t.id = "task-1";
    t.unit_id = "xj7-eeb";
    t.kind = "intercept";
    t.title = "在奎屯河新渠首拦截";
    t.chainage_km = 36;
    return t;
}

typedef struct check_case {
    const char *name;
    void (*spoil)(Hl__Task *t);
    int rc;
    const char *field;
} check_case;

static void sp_none(Hl__Task *t)
{
    (void)t;
}
static void sp_id(Hl__Task *t)
{
    t->id = "";
}
static void sp_id_bad(Hl__Task *t)
{
    t->id = "task 1";
}
static void sp_unit(Hl__Task *t)
{
    t->unit_id = "../x";
}
static void sp_kind(Hl__Task *t)
{
    t->kind = "evacuate";
}
static void sp_title(Hl__Task *t)
{
    t->title = "";
}
static void sp_km(Hl__Task *t)
{
    t->chainage_km = NAN;
}
static void sp_km_neg(Hl__Task *t)
{
    t->chainage_km = -1;
}
static void sp_due(Hl__Task *t)
{
    t->due_ms = -5;
}
static void sp_incident(Hl__Task *t)
{
    t->incident_id = "in/1";
}
static void sp_level(Hl__Task *t)
{
    t->level = "紫";
}
static void sp_escalation_kind(Hl__Task *t)
{
    t->kind = "escalation";
}
static void sp_escalation_of(Hl__Task *t)
{
    t->escalation_of = "t-1";
}
static void lv_red(Hl__Task *t)
{
    t->level = "red";
}
static void lv_response(Hl__Task *t)
{
    t->level = "II";
}
static char long_title[HL_NAME_MAX + 2];
static void sp_title_long(Hl__Task *t)
{
    t->title = long_title;
}

static const check_case checks[] = {
    {"good", sp_none, 0, ""},
    {"no id", sp_id, HL_EINVAL, "tasks[7].id"},
    {"bad id", sp_id_bad, HL_EINVAL, "tasks[7].id"},
    {"bad unit", sp_unit, HL_EINVAL, "tasks[7].unit_id"},
    {"unknown kind", sp_kind, HL_EINVAL, "tasks[7].kind"},
    {"empty title", sp_title, HL_EINVAL, "tasks[7].title"},
    {"title over HL_NAME_MAX", sp_title_long, HL_ETOOBIG, "tasks[7].title"},
    {"chainage NaN", sp_km, HL_EINVAL, "tasks[7].chainage_km"},
    {"chainage negative", sp_km_neg, HL_EINVAL, "tasks[7].chainage_km"},
    {"negative due", sp_due, HL_EINVAL, "tasks[7].due_ms"},
    {"bad incident id", sp_incident, HL_EINVAL, "tasks[7].incident_id"},
    /* Issue 3: the level of the incident, and escalation notices, which dispatch alone makes. */
    {"unknown level", sp_level, HL_EINVAL, "tasks[7].level"},
    {"level red", lv_red, 0, ""},
    {"response level II", lv_response, 0, ""},
    {"kind escalation from a playbook", sp_escalation_kind, HL_EINVAL, "tasks[7].kind"},
    {"escalation_of from a playbook", sp_escalation_of, HL_EINVAL, "tasks[7].escalation_of"},
};

static void test_task_check(void **state)
{
    (void)state;
    memset(long_title, 'a', HL_NAME_MAX + 1);
    long_title[HL_NAME_MAX + 1] = '\0';
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        Hl__Task t = good_task();
        checks[i].spoil(&t);
        char field[64] = "", msg[256] = "";
        int rc = task_check(&t, 7, field, sizeof field, msg, sizeof msg);
        if (rc != checks[i].rc)
            fail_msg("%s: rc %d want %d (%s)", checks[i].name, rc, checks[i].rc, msg);
        if (rc < 0) {
            assert_string_equal(field, checks[i].field);
            /* The message names the task (or its index when it has no id). */
            assert_true(strstr(msg, t.id && t.id[0] ? t.id : "task 7") != NULL);
        }
    }
    /* A title of exactly HL_NAME_MAX bytes passes. */
    long_title[HL_NAME_MAX] = '\0';
    Hl__Task t = good_task();
    t.title = long_title;
    char field[64], msg[256];
    assert_int_equal(task_check(&t, 0, field, sizeof field, msg, sizeof msg), 0);
    /* Every kind of dispatch.proto is known. */
    const char *kinds[] = {"intercept", "protect_receptor",   "warn_owner",
                           "sample",    "notify_counterpart", "reserve_materials"};
    for (size_t i = 0; i < 6; i++)
        assert_true(task_kind_known(kinds[i]));
    assert_true(task_kind_known(TASK_KIND_ESCALATION));
    assert_false(task_kind_known(""));
    assert_false(task_kind_known(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transition_table),     cmocka_unit_test(test_times_are_stamped),
        cmocka_unit_test(test_withdraw_stamps_and_is_no_answer),
        cmocka_unit_test(test_decline_needs_reason), cmocka_unit_test(test_names),
        cmocka_unit_test(test_task_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
