/* fault_check_test — the fault test's invariants (fault_check.h), one case per way a store
 * can disagree with what was sent: a small consistent world passes, and each mutation of
 * it is caught by the right invariant, counted as lost or as applied twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fault_check.h"

/* The world: two reading incidents (inc-a with 3 readings, inc-b with 1), one report
 * incident (inc-r); three plans with two tasks each, for units u1 and u2; three
 * reservations, one issued; stock of one depot and material. Every task delivered, shown
 * once, acknowledged; t-a1 also completed. */
typedef struct world_buf {
    fault_accepted acc[5];
    fault_incident inc[4];
    fault_refusal ref[1];
    fault_pl plans[3];
    char task_ids[3][2][FAULT_ID_MAX + 1];
    fault_rsv rsv[3];
    fault_line lines[3];
    fault_stock stock[1];
    fault_action act[1];
    fault_task tasks[6];
    fault_shown shown[6];
    char exported[2][FAULT_ID_MAX + 1];
    fault_world w;
} world_buf;

static void build(world_buf *b)
{
    memset(b, 0, sizeof *b);
    const char *acc_inc[] = {"inc-a", "inc-a", "inc-b", "inc-a", "inc-r"};
    for (int i = 0; i < 5; i++) {
        snprintf(b->acc[i].msg_id, sizeof b->acc[i].msg_id, "m%d", i);
        snprintf(b->acc[i].incident_id, sizeof b->acc[i].incident_id, "%s", acc_inc[i]);
        b->acc[i].report = i == 4;
    }
    const char *inc[] = {"inc-r", "inc-a", "inc-b"}; /* unsorted on purpose */
    const uint32_t counts[] = {0, 3, 1};
    for (int i = 0; i < 3; i++) {
        snprintf(b->inc[i].id, sizeof b->inc[i].id, "%s", inc[i]);
        b->inc[i].report = i == 0;
        b->inc[i].reading_count = counts[i];
        b->inc[i].upstream_audits = 1;
    }
    const char *plan_inc[] = {"inc-a", "inc-b", "inc-r"};
    const char *letters = "abr";
    for (int p = 0; p < 3; p++) {
        fault_pl *pl = &b->plans[p];
        snprintf(pl->id, sizeof pl->id, "pl-%s.r1", plan_inc[p]);
        snprintf(pl->incident_id, sizeof pl->incident_id, "%s", plan_inc[p]);
        pl->revision = 1;
        pl->wants_reservation = 1;
        pl->task_ids = b->task_ids[p];
        pl->n_task_ids = 2;
        for (int t = 0; t < 2; t++) {
            snprintf(b->task_ids[p][t], FAULT_ID_MAX + 1, "t-%c%d", letters[p], t + 1);
            fault_task *tk = &b->tasks[p * 2 + t];
            snprintf(tk->id, sizeof tk->id, "%s", b->task_ids[p][t]);
            snprintf(tk->unit_id, sizeof tk->unit_id, "u%d", t + 1);
            snprintf(tk->state, sizeof tk->state, "acknowledged");
            tk->audit_to[FAULT_TS_PENDING] = 1;
            tk->audit_to[FAULT_TS_DELIVERED] = 1;
            tk->audit_to[FAULT_TS_ACKNOWLEDGED] = 1;
            fault_shown *sh = &b->shown[p * 2 + t];
            snprintf(sh->unit_id, sizeof sh->unit_id, "u%d", t + 1);
            snprintf(sh->task_id, sizeof sh->task_id, "%s", tk->id);
            sh->shown_count = 1;
            sh->deliveries = 1;
            sh->confirmed[FAULT_TS_ACKNOWLEDGED] = 1;
        }
        fault_rsv *v = &b->rsv[p];
        snprintf(v->id, sizeof v->id, "rsv-%06d", p + 1);
        snprintf(v->plan_id, sizeof v->plan_id, "%s", pl->id);
        snprintf(v->incident_id, sizeof v->incident_id, "%s", pl->incident_id);
        snprintf(v->state, sizeof v->state, "%s", p == 1 ? "issued" : "reserved");
        snprintf(b->lines[p].depot_id, sizeof b->lines[p].depot_id, "dp-xj7");
        snprintf(b->lines[p].material_id, sizeof b->lines[p].material_id, "boom");
        b->lines[p].quantity = 100;
        v->lines = &b->lines[p];
        v->n_lines = 1;
    }
    /* t-a1 completed too. */
    snprintf(b->tasks[0].state, sizeof b->tasks[0].state, "completed");
    b->tasks[0].audit_to[FAULT_TS_COMPLETED] = 1;
    b->shown[0].confirmed[FAULT_TS_COMPLETED] = 1;
    /* 1000 m received; 200 reserved (two live reservations), 100 issued. */
    fault_stock *s = &b->stock[0];
    snprintf(s->depot_id, sizeof s->depot_id, "dp-xj7");
    snprintf(s->material_id, sizeof s->material_id, "boom");
    s->received = s->baseline = 1000;
    s->on_hand = s->l_on_hand = 900; /* on hand includes the reserved 200; issued 100 left */
    s->reserved = s->l_reserved = 200;
    s->issued = s->l_issued = 100;
    s->in_ledger = 1;
    snprintf(b->act[0].reservation_id, sizeof b->act[0].reservation_id, "rsv-000002");
    snprintf(b->act[0].action, sizeof b->act[0].action, "issue");
    snprintf(b->exported[0], FAULT_ID_MAX + 1, "u1");
    snprintf(b->exported[1], FAULT_ID_MAX + 1, "u2");
    fault_world *w = &b->w;
    w->acc = b->acc, w->n_acc = 5;
    w->inc = b->inc, w->n_inc = 3;
    w->ref = b->ref, w->n_ref = 0;
    w->plans = b->plans, w->n_plans = 3;
    w->rsv = b->rsv, w->n_rsv = 3;
    w->stock = b->stock, w->n_stock = 1;
    w->act = b->act, w->n_act = 1;
    w->tasks = b->tasks, w->n_tasks = 6;
    w->shown = b->shown, w->n_shown = 6;
    w->exported = b->exported, w->n_exported = 2;
}

/* By name, since fault_check_run sorts the arrays in place. */
static fault_incident *inc(world_buf *b, const char *id)
{
    int i = 0;
    while (i < 2 && strcmp(b->inc[i].id, id) != 0)
        i++;
    assert_string_equal(b->inc[i].id, id);
    return &b->inc[i];
}

static fault_task *task(world_buf *b, const char *id)
{
    int i = 0;
    while (i < 5 && strcmp(b->tasks[i].id, id) != 0)
        i++;
    assert_string_equal(b->tasks[i].id, id);
    return &b->tasks[i];
}

static fault_shown *shown(world_buf *b, const char *id)
{
    int i = 0;
    while (i < 5 && strcmp(b->shown[i].task_id, id) != 0)
        i++;
    assert_string_equal(b->shown[i].task_id, id);
    return &b->shown[i];
}

/* ---- the mutations ---- */

static void m_none(world_buf *b)
{
    (void)b;
}
static void m_reading_not_counted(world_buf *b)
{
    inc(b, "inc-a")->reading_count = 2; /* one accepted reading missing */
}
static void m_reading_counted_twice(world_buf *b)
{
    inc(b, "inc-a")->reading_count = 4; /* a resent reading applied again */
}
static void m_incident_missing(world_buf *b)
{
    snprintf(b->acc[2].incident_id, sizeof b->acc[2].incident_id, "inc-gone");
}
static void m_reply_without_incident(world_buf *b)
{
    b->acc[1].incident_id[0] = '\0';
    inc(b, "inc-a")->reading_count = 2;
}
static void m_report_twice(world_buf *b)
{
    /* The report made a second incident, which no reply named (playbook refused it, so
     * only the incident itself is extra). */
    fault_incident *x = &b->inc[3];
    snprintf(x->id, sizeof x->id, "inc-r2");
    x->report = 1;
    x->upstream_audits = 1;
    b->w.n_inc = 4;
    snprintf(b->ref[0].incident_id, sizeof b->ref[0].incident_id, "inc-r2");
    b->w.n_ref = 1;
}
static void m_reading_joins_report(world_buf *b)
{
    /* One incident per release: the reading's episode was linked to the reported incident. */
    snprintf(b->acc[2].incident_id, sizeof b->acc[2].incident_id, "inc-r");
    inc(b, "inc-r")->reading_count = 1;
    inc(b, "inc-b")->reading_count = 0;
}
static void m_report_into_reading_incident(world_buf *b)
{
    snprintf(b->acc[4].incident_id, sizeof b->acc[4].incident_id, "inc-b");
}
static void m_upstream_missing(world_buf *b)
{
    inc(b, "inc-b")->upstream_audits = 0;
}
static void m_upstream_twice(world_buf *b)
{
    inc(b, "inc-r")->upstream_audits = 3;
}
static void m_plan_missing(world_buf *b)
{
    b->w.n_plans = 2; /* inc-r's plan (and its tasks' plan) is gone */
}
static void m_plan_missing_refused(world_buf *b)
{
    b->w.n_plans = 2;
    snprintf(b->ref[0].incident_id, sizeof b->ref[0].incident_id, "inc-r");
    b->w.n_ref = 1;
}
static void m_plan_twice(world_buf *b)
{
    snprintf(b->plans[1].incident_id, sizeof b->plans[1].incident_id, "inc-a");
}
static void m_plan_revision(world_buf *b)
{
    b->plans[0].revision = 2;
}
static void m_reservation_missing(world_buf *b)
{
    snprintf(b->rsv[0].plan_id, sizeof b->rsv[0].plan_id, "pl-nowhere");
}
static void m_reservation_twice(world_buf *b)
{
    snprintf(b->rsv[0].plan_id, sizeof b->rsv[0].plan_id, "pl-inc-b.r1");
}
/* Change the levels in both views (stock.list and the ledger agree). */
static void levels(world_buf *b, double on_hand, double reserved, double issued)
{
    fault_stock *s = &b->stock[0];
    s->on_hand = s->l_on_hand = on_hand;
    s->reserved = s->l_reserved = reserved;
    s->issued = s->l_issued = issued;
}
static void m_stock_vanished(world_buf *b)
{
    levels(b, 850, 200, 100); /* 50 m of boom gone */
}
static void m_stock_consumed(world_buf *b)
{
    levels(b, 850, 200, 100); /* 50 m consumed, on the ledger: accounted for */
    b->stock[0].other_out = 50;
}
static void m_received_changed(world_buf *b)
{
    b->stock[0].received = 1100; /* a receipt applied during the run nobody sent */
    levels(b, 1000, 200, 100);
}
static void m_ledger_disagrees(world_buf *b)
{
    b->stock[0].l_reserved = 300;
}
static void m_no_ledger(world_buf *b)
{
    b->stock[0].in_ledger = 0; /* received is the baseline; nothing to compare with */
    b->stock[0].l_reserved = 300;
}
static void m_stock_from_nothing(world_buf *b)
{
    levels(b, 950, 250, 100); /* reserved more than the reservations hold */
}
static void m_stock_issued_twice(world_buf *b)
{
    levels(b, 800, 200, 200); /* the issue applied twice */
}
static void m_stock_negative(world_buf *b)
{
    levels(b, 150, 200, 850);
}
static void m_action_lost(world_buf *b)
{
    snprintf(b->rsv[1].state, sizeof b->rsv[1].state, "reserved");
    levels(b, 1000, 300, 0);
}
static void m_task_missing(world_buf *b)
{
    b->w.n_tasks = 5; /* t-r2, the last, is gone from dispatch (its partner still has it) */
}
static void m_task_stray(world_buf *b)
{
    b->plans[2].n_task_ids = 1; /* t-r2 named by no plan */
}
static void m_not_delivered(world_buf *b)
{
    fault_task *t = task(b, "t-b1");
    snprintf(t->state, sizeof t->state, "pending");
    t->audit_to[FAULT_TS_DELIVERED] = 0;
    t->audit_to[FAULT_TS_ACKNOWLEDGED] = 0;
    shown(b, "t-b1")->shown_count = 0;
    shown(b, "t-b1")->confirmed[FAULT_TS_ACKNOWLEDGED] = 0;
}
static void m_withdrawn_before_delivery(world_buf *b)
{
    /* Pushed once, receipt lost, withdrawn: the partner keeps the withdrawal unshown. */
    fault_task *t = task(b, "t-b2");
    snprintf(t->state, sizeof t->state, "withdrawn");
    t->audit_to[FAULT_TS_DELIVERED] = t->audit_to[FAULT_TS_ACKNOWLEDGED] = 0;
    t->audit_to[FAULT_TS_WITHDRAWN] = 1;
    t->revisions = 1;
    t->delivery_attempts = 1;
    fault_shown *x = shown(b, "t-b2");
    x->shown_count = 0;
    x->confirmed[FAULT_TS_ACKNOWLEDGED] = 0;
    x->task_revisions = 1;
}
static void m_withdrawal_not_told(world_buf *b)
{
    fault_task *t = task(b, "t-r2");
    snprintf(t->state, sizeof t->state, "withdrawn");
    t->audit_to[FAULT_TS_WITHDRAWN] = 1;
    t->revisions = 1;
}
static void m_revision_not_reached(world_buf *b)
{
    task(b, "t-a2")->revisions = 2;
    shown(b, "t-a2")->task_revisions = 1;
}
static void m_revision_of_completed(world_buf *b)
{
    task(b, "t-a1")->revisions = 1; /* recorded, not pushed: the unit is done with it */
}
static void m_withdrawn_twice(world_buf *b)
{
    fault_task *t = task(b, "t-r2");
    snprintf(t->state, sizeof t->state, "withdrawn");
    t->audit_to[FAULT_TS_WITHDRAWN] = 2;
    t->revisions = 1;
    shown(b, "t-r2")->task_revisions = 1;
}
static void m_notice(world_buf *b)
{
    b->plans[2].n_task_ids = 1; /* t-r2 named by no plan, but an escalation notice */
    task(b, "t-r2")->notice = 1;
}
static void m_unknown_state(world_buf *b)
{
    snprintf(task(b, "t-b1")->state, FAULT_STATE_NAME_MAX, "escalated");
}
static void m_shown_twice(world_buf *b)
{
    shown(b, "t-a2")->shown_count = 2;
}
static void m_shown_by_other_unit(world_buf *b)
{
    fault_shown *x = shown(b, "t-a2");
    snprintf(x->unit_id, sizeof x->unit_id, "u1");
}
static void m_ack_not_recorded(world_buf *b)
{
    fault_task *t = task(b, "t-r1");
    t->audit_to[FAULT_TS_ACKNOWLEDGED] = 0;
    snprintf(t->state, sizeof t->state, "delivered");
}
static void m_ack_recorded_twice(world_buf *b)
{
    task(b, "t-r1")->audit_to[FAULT_TS_ACKNOWLEDGED] = 2;
}
static void m_answer_owed(world_buf *b)
{
    shown(b, "t-b2")->owed = 1;
}
static void m_audit_unknown(world_buf *b)
{
    b->w.audit_unknown = 2;
}

typedef struct check_case {
    const char *what;
    void (*mutate)(world_buf *);
    fault_inv inv;        /* the invariant that must catch it (ignored when ok) */
    uint64_t lost, twice; /* totals over all invariants */
    int ok;
} check_case;

static const check_case cases[] = {
    {"consistent world", m_none, 0, 0, 0, 1},
    {"accepted reading not counted", m_reading_not_counted, FAULT_INV_ACCEPTED, 1, 0, 0},
    {"reading counted twice", m_reading_counted_twice, FAULT_INV_ACCEPTED, 0, 1, 0},
    {"reply names a missing incident", m_incident_missing, FAULT_INV_ACCEPTED, 1, 1, 0},
    {"accepted reading in no incident", m_reply_without_incident, FAULT_INV_ACCEPTED, 1, 0, 0},
    {"reading joined a reported incident", m_reading_joins_report, 0, 0, 0, 1},
    {"report filed into a reading incident (its own is extra)", m_report_into_reading_incident,
     FAULT_INV_ACCEPTED, 1, 1, 0},
    {"report made a second incident", m_report_twice, FAULT_INV_ACCEPTED, 0, 1, 0},
    {"risk's answer lost", m_upstream_missing, FAULT_INV_UPSTREAM, 1, 0, 0},
    {"risk's answer applied three times", m_upstream_twice, FAULT_INV_UPSTREAM, 0, 2, 0},
    {"plan lost (its tasks and reservation become strays)", m_plan_missing, FAULT_INV_PLANNED, 1, 3,
     0},
    {"plan refused on record", m_plan_missing_refused, FAULT_INV_RESERVED, 0, 3, 0},
    {"two plans for one incident (the other has none)", m_plan_twice, FAULT_INV_PLANNED, 1, 1, 0},
    {"re-plan nobody forced", m_plan_revision, FAULT_INV_PLANNED, 0, 1, 0},
    {"reservation lost", m_reservation_missing, FAULT_INV_RESERVED, 1, 1, 0},
    {"reservation applied twice", m_reservation_twice, FAULT_INV_RESERVED, 1, 1, 0},
    {"stock vanished", m_stock_vanished, FAULT_INV_STOCK, 1, 0, 0},
    {"stock consumed on the ledger", m_stock_consumed, 0, 0, 0, 1},
    {"received changed during the run", m_received_changed, FAULT_INV_STOCK, 0, 1, 0},
    {"list and ledger disagree", m_ledger_disagrees, FAULT_INV_STOCK, 0, 0, 0},
    {"no ledger: the baseline is what was received", m_no_ledger, 0, 0, 0, 1},
    {"stock reserved from nothing", m_stock_from_nothing, FAULT_INV_STOCK, 0, 2, 0},
    {"issue applied twice", m_stock_issued_twice, FAULT_INV_STOCK, 0, 1, 0},
    {"negative stock (and issued more than issued)", m_stock_negative, FAULT_INV_STOCK, 0, 1, 0},
    {"accepted issue not applied", m_action_lost, FAULT_INV_ACTIONS, 1, 0, 0},
    {"task lost in dispatch", m_task_missing, FAULT_INV_TASKS, 1, 1, 0},
    {"task no plan names", m_task_stray, FAULT_INV_TASKS, 0, 1, 0},
    {"task never delivered", m_not_delivered, FAULT_INV_DELIVERED, 2, 0, 0},
    {"task shown twice", m_shown_twice, FAULT_INV_DELIVERED, 0, 1, 0},
    {"withdrawn before delivery, held unshown", m_withdrawn_before_delivery, 0, 0, 0, 1},
    {"withdrawal never reached the unit", m_withdrawal_not_told, FAULT_INV_DELIVERED, 1, 0, 0},
    {"revision never reached the unit", m_revision_not_reached, FAULT_INV_DELIVERED, 1, 0, 0},
    {"revision of a completed task (not pushed)", m_revision_of_completed, 0, 0, 0, 1},
    {"withdrawn twice", m_withdrawn_twice, FAULT_INV_ACKS, 0, 1, 0},
    {"escalation notice no plan names", m_notice, 0, 0, 0, 1},
    {"state the test does not know", m_unknown_state, FAULT_INV_DELIVERED, 0, 0, 0},
    {"task in another unit's store", m_shown_by_other_unit, FAULT_INV_DELIVERED, 1, 1, 0},
    {"acknowledgement not recorded", m_ack_not_recorded, FAULT_INV_ACKS, 1, 0, 0},
    {"acknowledgement recorded twice", m_ack_recorded_twice, FAULT_INV_ACKS, 0, 1, 0},
    {"answer still owed", m_answer_owed, FAULT_INV_ACKS, 1, 0, 0},
    {"audit of an unknown task", m_audit_unknown, FAULT_INV_ACKS, 0, 2, 0},
};

static void test_cases(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const check_case *c = &cases[i];
        world_buf b;
        build(&b);
        c->mutate(&b);
        fault_verdict v;
        fault_check_run(&b.w, &v);
        if (v.ok != c->ok || v.lost != c->lost || v.twice != c->twice) {
            for (int k = 0; k < FAULT_INV_N; k++)
                if (v.inv[k].problems)
                    fprintf(stderr, "  %s: %llu lost, %llu twice: %s\n", v.inv[k].name,
                            (unsigned long long)v.inv[k].lost, (unsigned long long)v.inv[k].twice,
                            v.inv[k].first);
            fprintf(stderr,
                    "case '%s': ok %d lost %llu twice %llu, want ok %d lost %llu twice %llu\n",
                    c->what, v.ok, (unsigned long long)v.lost, (unsigned long long)v.twice, c->ok,
                    (unsigned long long)c->lost, (unsigned long long)c->twice);
            failures++;
        }
        if (!c->ok && (!v.inv[c->inv].problems || !v.inv[c->inv].first[0])) {
            fprintf(stderr, "case '%s': invariant %s did not catch it in words\n", c->what,
                    v.inv[c->inv].name);
            failures++;
        }
        if (c->ok)
            for (int k = 0; k < FAULT_INV_N; k++)
                assert_true(v.inv[k].checked > 0);
    }
    assert_int_equal(failures, 0);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_int_equal(fault_task_state_parse("pending"), FAULT_TS_PENDING);
    assert_int_equal(fault_task_state_parse("completed"), FAULT_TS_COMPLETED);
    assert_int_equal(fault_task_state_parse("escalated"), -1);
    assert_int_equal(fault_task_state_parse(NULL), -1);
}

/* An empty world has nothing to contradict. */
static void test_empty(void **state)
{
    (void)state;
    fault_world w;
    memset(&w, 0, sizeof w);
    fault_verdict v;
    fault_check_run(&w, &v);
    assert_true(v.ok);
    assert_int_equal(v.lost + v.twice + v.problems, 0);
    fault_world_free(&w);
    fault_world_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests_name("fault_check", tests, NULL, NULL);
}
