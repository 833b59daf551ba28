/* alert_reporting_test — reporting duties (services/alert/reporting.h) against the real table
 * playbooks/reference/reporting_duties.csv, transcribed from 突发环境事件信息报告办法
 * (环境保护部令第17号, 2011). Clause numbers are cited as the table gives them; the table marks
 * every row unverified (no official copy in the reference collection), and so do the cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "reporting.h"

#define TABLE HL_TEST_SOURCE_DIR "/playbooks/reference/reporting_duties.csv"
#define T0 1800000000000LL
#define H (3600LL * 1000)
#define MIN (60LL * 1000)

static reporting_table *g_t;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    int rc = reporting_load(TABLE, &g_t, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    reporting_destroy(&g_t);
    return g_t == NULL ? 0 : -1;
}

static const report_duty *duty(const reporting_state *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->d[i].id, id) == 0)
            return &s->d[i];
    fail_msg("no report %s", id);
    return NULL;
}

static void test_table(void **state)
{
    (void)state;
    /* 第三条第二款 (unverified): IV and III within 4 h; 第三条第三款: II and I within 2 h. */
    static const struct {
        grade_level g;
        double h;
        const char *clause;
    } initial[] = {{GRADE_IV, 4, "第三条第二款"},
                   {GRADE_III, 4, "第三条第二款"},
                   {GRADE_II, 2, "第三条第三款"},
                   {GRADE_I, 2, "第三条第三款"}};
    for (size_t i = 0; i < 4; i++) {
        const reporting_rule *r = reporting_rule_for(g_t, REPORT_INITIAL, initial[i].g);
        assert_non_null(r);
        assert_true(r->has_deadline);
        assert_float_equal(r->deadline_h, initial[i].h, 0);
        assert_string_equal(r->clause, initial[i].clause);
        assert_false(r->verified); /* stays marked unverified */
    }
    /* 第八条 notice, 第十二条 follow-up and final: no fixed time in the text. */
    for (int g = GRADE_IV; g <= GRADE_I; g++) {
        assert_false(reporting_rule_for(g_t, REPORT_NOTICE, (grade_level)g)->has_deadline);
        assert_false(reporting_rule_for(g_t, REPORT_FOLLOWUP, (grade_level)g)->has_deadline);
        assert_false(reporting_rule_for(g_t, REPORT_FINAL, (grade_level)g)->has_deadline);
    }
    assert_string_equal(reporting_rule_for(g_t, REPORT_NOTICE, GRADE_III)->clause, "第八条");
    assert_null(reporting_rule_for(g_t, REPORT_INITIAL, GRADE_NONE));
}

static void test_initial_deadline_by_grade(void **state)
{
    (void)state;
    /* R1 with 第三条 (unverified): IV-III due 4 h after discovery, II-I 2 h. At the deadline
     * exactly the report is still due; a millisecond later it is overdue. */
    static const struct {
        grade_level g;
        int64_t deadline;
    } cases[] = {{GRADE_IV, T0 + 4 * H},
                 {GRADE_III, T0 + 4 * H},
                 {GRADE_II, T0 + 2 * H},
                 {GRADE_I, T0 + 2 * H}};
    for (size_t i = 0; i < 4; i++) {
        reporting_state s;
        assert_int_equal(reporting_open(g_t, cases[i].g, T0, 0, &s), 0);
        const report_duty *d = duty(&s, "initial");
        assert_int_equal(d->deadline_ms, cases[i].deadline);
        assert_int_equal(d->due_ms, T0);
        assert_int_equal(reporting_status(d, T0), REPORT_DUE);
        assert_int_equal(reporting_status(d, cases[i].deadline), REPORT_DUE);
        assert_int_equal(reporting_status(d, cases[i].deadline + 1), REPORT_OVERDUE);
        /* No neighbour affected yet, nothing closed: notice and final are pending. */
        assert_int_equal(reporting_status(duty(&s, "notice"), T0 + 100 * H), REPORT_PENDING);
        assert_int_equal(reporting_status(duty(&s, "final"), T0 + 100 * H), REPORT_PENDING);
    }
    reporting_state s;
    assert_int_equal(reporting_open(g_t, GRADE_NONE, T0, 0, &s), HL_EINVAL);
    assert_int_equal(reporting_open(g_t, GRADE_IV, 0, 0, &s), HL_EINVAL);
}

static void test_rise_before_initial(void **state)
{
    (void)state;
    /* R2: III → II one hour after discovery: the 2 h of 第三条第三款 apply, due at T0 + 2 h,
     * to the II row's recipients. */
    reporting_state s;
    assert_int_equal(reporting_open(g_t, GRADE_III, T0, 0, &s), 0);
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_III, GRADE_II, T0 + 1 * H, "deaths"),
                     0);
    const report_duty *d = duty(&s, "initial");
    assert_int_equal(d->deadline_ms, T0 + 2 * H);
    assert_int_equal(d->grade, GRADE_II);
    assert_non_null(strstr(d->why, "deaths"));
    /* A later officer's III does not loosen the deadline already shown. */
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_II, GRADE_III, T0 + 90 * MIN, NULL), 0);
    assert_int_equal(duty(&s, "initial")->deadline_ms, T0 + 2 * H);

    /* III → II three hours after discovery: the 2 h have passed; due at once. */
    assert_int_equal(reporting_open(g_t, GRADE_III, T0, 0, &s), 0);
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_III, GRADE_II, T0 + 3 * H, NULL), 0);
    d = duty(&s, "initial");
    assert_int_equal(d->deadline_ms, T0 + 3 * H);
    assert_int_equal(reporting_status(d, T0 + 3 * H), REPORT_DUE);
    assert_int_equal(reporting_status(d, T0 + 3 * H + 1), REPORT_OVERDUE);

    /* IV → III changes nothing in time (both 4 h). */
    assert_int_equal(reporting_open(g_t, GRADE_IV, T0, 0, &s), 0);
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_IV, GRADE_III, T0 + 1 * H, NULL), 0);
    assert_int_equal(duty(&s, "initial")->deadline_ms, T0 + 4 * H);
    /* A rise after the 4 h: still the old deadline (never later than shown). */
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_III, GRADE_II, T0 + 5 * H, NULL), 0);
    assert_int_equal(duty(&s, "initial")->deadline_ms, T0 + 4 * H);
}

static void test_after_initial_followups(void **state)
{
    (void)state;
    reporting_state s;
    char why[256];
    assert_int_equal(reporting_open(g_t, GRADE_III, T0, 0, &s), 0);
    /* Facts before the initial report: nothing new is owed (the initial report carries them). */
    assert_int_equal(reporting_facts_changed(g_t, &s, GRADE_III, T0 + 10 * MIN, "evacuated"), 0);
    assert_int_equal(s.n, 3);
    /* Initial report done at T0 + 1 h, on time. */
    assert_int_equal(
        reporting_done(g_t, &s, "initial", GRADE_III, T0 + 1 * H, "xj7-eeb", why, sizeof why), 0);
    const report_duty *d = duty(&s, "initial");
    assert_int_equal(reporting_status(d, T0 + 10 * H), REPORT_DONE);
    assert_false(reporting_late(d));
    assert_string_equal(d->done_by, "xj7-eeb");
    /* R3 / 第十二条 (unverified): new facts make a follow-up due, no fixed time. */
    assert_int_equal(reporting_facts_changed(g_t, &s, GRADE_III, T0 + 80 * MIN, "evacuated 6000"),
                     0);
    d = duty(&s, "followup-1");
    assert_int_equal(d->due_ms, T0 + 80 * MIN);
    assert_int_equal(d->deadline_ms, 0);
    assert_int_equal(reporting_status(d, T0 + 100 * H), REPORT_DUE);
    /* III → II while that follow-up is outstanding: the same follow-up, now to the II
     * recipients within 2 h of discovery (第三条第三款, unverified): T0 + 2 h. */
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_III, GRADE_II, T0 + 90 * MIN,
                                             "10 "
                                             "deaths"),
                     0);
    assert_int_equal(s.n, 4);
    d = duty(&s, "followup-1");
    assert_int_equal(d->grade, GRADE_II);
    assert_int_equal(d->deadline_ms, T0 + 2 * H);
    assert_non_null(strstr(d->why, "evacuated 6000; 10 deaths"));
    assert_int_equal(reporting_status(d, T0 + 2 * H + 1), REPORT_OVERDUE);
    /* Done late: done, and late. */
    assert_int_equal(
        reporting_done(g_t, &s, "followup", GRADE_II, T0 + 150 * MIN, "xj7-eeb", why, sizeof why),
        0);
    d = duty(&s, "followup-1");
    assert_int_equal(reporting_status(d, T0 + 150 * MIN), REPORT_DONE);
    assert_true(reporting_late(d));
    /* The next change opens followup-2. */
    assert_int_equal(reporting_facts_changed(g_t, &s, GRADE_II, T0 + 3 * H, "loss"), 0);
    assert_int_equal(duty(&s, "followup-2")->due_ms, T0 + 3 * H);
}

static void test_rise_after_initial_same_band(void **state)
{
    (void)state;
    /* IV → III after the initial report: both 4 h rows, so the follow-up has no deadline. */
    reporting_state s;
    assert_int_equal(reporting_open(g_t, GRADE_IV, T0, 0, &s), 0);
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_IV, T0 + 30 * MIN, "kt-eeb", NULL, 0),
                     0);
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_IV, GRADE_III, T0 + 1 * H, NULL), 0);
    assert_int_equal(duty(&s, "followup-1")->deadline_ms, 0);
    /* III → II after the 2 h have passed: due at once. */
    assert_int_equal(reporting_grade_changed(g_t, &s, GRADE_III, GRADE_II, T0 + 3 * H, NULL), 0);
    assert_int_equal(duty(&s, "followup-1")->deadline_ms, T0 + 3 * H);
}

static void test_notice_and_final(void **state)
{
    (void)state;
    /* 第八条 (unverified): a neighbour affected at opening → the notice is due at once, with
     * no fixed time (及时): due, never overdue. */
    reporting_state s;
    assert_int_equal(reporting_open(g_t, GRADE_IV, T0, 1, &s), 0);
    const report_duty *d = duty(&s, "notice");
    assert_int_equal(d->due_ms, T0);
    assert_int_equal(d->deadline_ms, 0);
    assert_int_equal(reporting_status(d, T0 + 1000 * H), REPORT_DUE);
    /* Affected later: due from then; a second call changes nothing. */
    assert_int_equal(reporting_open(g_t, GRADE_IV, T0, 0, &s), 0);
    assert_int_equal(reporting_neighbour(g_t, &s, GRADE_IV, T0 + 2 * H, "corps station"), 0);
    assert_int_equal(duty(&s, "notice")->due_ms, T0 + 2 * H);
    assert_int_equal(reporting_neighbour(g_t, &s, GRADE_IV, T0 + 5 * H, "again"), 0);
    assert_int_equal(duty(&s, "notice")->due_ms, T0 + 2 * H);
    assert_string_equal(duty(&s, "notice")->why, "corps station");
    /* 第十二条 final: due when closed. */
    assert_int_equal(reporting_status(duty(&s, "final"), T0 + 9 * H), REPORT_PENDING);
    assert_int_equal(reporting_closed(g_t, &s, GRADE_IV, T0 + 9 * H), 0);
    assert_int_equal(reporting_status(duty(&s, "final"), T0 + 9 * H), REPORT_DUE);
}

static void test_done_errors(void **state)
{
    (void)state;
    reporting_state s;
    char why[256];
    assert_int_equal(reporting_open(g_t, GRADE_III, T0, 0, &s), 0);
    assert_int_equal(reporting_done(g_t, &s, "interim", GRADE_III, T0, "x", why, sizeof why),
                     HL_ENOTFOUND);
    assert_non_null(strstr(why, "no report 'interim'"));
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_III, T0, "", why, sizeof why),
                     HL_EINVAL);
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_III, 0, "x", why, sizeof why),
                     HL_EINVAL);
    char longactor[REPORTING_ACTOR_MAX + 2];
    memset(longactor, 'a', sizeof longactor - 1);
    longactor[sizeof longactor - 1] = '\0';
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_III, T0, longactor, why, sizeof why),
                     HL_EINVAL);
    longactor[REPORTING_ACTOR_MAX] = '\0'; /* exactly the limit */
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_III, T0, longactor, why, sizeof why),
                     0);
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_III, T0 + 1, "y", why, sizeof why),
                     HL_ESTATE);
    assert_non_null(strstr(why, "already done"));
    /* A notice the officer sent before hazlink thought it due (R6). */
    assert_int_equal(reporting_done(g_t, &s, "notice", GRADE_III, T0 + H, "x", why, sizeof why), 0);
    assert_int_equal(reporting_status(duty(&s, "notice"), T0 + H), REPORT_DONE);
    /* "followup" with none outstanding records a voluntary one. */
    assert_int_equal(reporting_done(g_t, &s, "followup", GRADE_III, T0 + H, "x", why, sizeof why),
                     0);
    assert_int_equal(reporting_status(duty(&s, "followup-1"), T0 + H), REPORT_DONE);
}

static void test_followup_room(void **state)
{
    (void)state;
    /* REPORTING_MAX_DUTIES: 3 fixed reports and up to 29 follow-ups; beyond, the oldest done
     * follow-up leaves the list and numbering goes on. */
    reporting_state s;
    assert_int_equal(reporting_open(g_t, GRADE_IV, T0, 0, &s), 0);
    assert_int_equal(reporting_done(g_t, &s, "initial", GRADE_IV, T0 + 1, "x", NULL, 0), 0);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(reporting_facts_changed(g_t, &s, GRADE_IV, T0 + 10 + i, "f"), 0);
        assert_int_equal(reporting_done(g_t, &s, "followup", GRADE_IV, T0 + 10 + i, "x", NULL, 0),
                         0);
    }
    assert_int_equal(s.n, REPORTING_MAX_DUTIES);
    assert_int_equal(s.followups, 40);
    assert_string_equal(s.d[s.n - 1].id, "followup-40");
    duty(&s, "initial");
    duty(&s, "notice");
    duty(&s, "final");
    duty(&s, "followup-12");
    for (size_t i = 0; i < s.n; i++)
        assert_string_not_equal(s.d[i].id, "followup-11");
}

/* ---- loader ---- */

#define RHDR "report,grades,trigger,deadline_h,recipient,requirement,clause,source,verified\n"
#define ROWS_REST                                                                                  \
    "notice,IV;III;II;I,neighbour,,r,q,c,s,no\n"                                                   \
    "followup,IV;III;II;I,changed,,r,q,c,s,no\n"                                                   \
    "final,IV;III;II;I,closed,,r,q,c,s,no\n"

typedef struct bad_table {
    const char *what, *csv;
    int rc;
    const char *err;
} bad_table;

static const bad_table bad_tables[] = {
    {"initial without hours", RHDR "initial,IV;III;II;I,discovered,,r,q,c,s,no\n" ROWS_REST,
     HL_EPARSE, "t.csv:2: deadline_h: an initial report needs its hours"},
    {"zero hours", RHDR "initial,IV;III;II;I,discovered,0,r,q,c,s,no\n" ROWS_REST, HL_EPARSE,
     "t.csv:2: deadline_h: 0 is not in (0, 720] hours"},
    {"trigger does not fit", RHDR "initial,IV;III;II;I,closed,4,r,q,c,s,no\n" ROWS_REST, HL_EPARSE,
     "t.csv:2: trigger: an initial report becomes due on 'discovered', not 'closed'"},
    {"unknown grade", RHDR "initial,IV;V,discovered,4,r,q,c,s,no\n" ROWS_REST, HL_EPARSE,
     "t.csv:2: grades: 'V' is not I, II, III or IV"},
    {"grade missing", RHDR "initial,IV;III;II,discovered,4,r,q,c,s,no\n" ROWS_REST, HL_EPARSE,
     "t.csv:1: report: no initial row for grade I"},
    {"grade twice",
     RHDR
     "initial,IV;III,discovered,4,r,q,c,s,no\ninitial,III;II;I,discovered,2,r,q,c,s,no\n" ROWS_REST,
     HL_EPARSE, "t.csv:3: grades: a second initial row for grade III (line 2)"},
    {"unknown report", RHDR "interim,IV,discovered,4,r,q,c,s,no\n" ROWS_REST, HL_EPARSE,
     "t.csv:2: report: 'interim' is not initial, notice, followup or final"},
    {"verified maybe", RHDR "initial,IV;III;II;I,discovered,4,r,q,c,s,maybe\n" ROWS_REST, HL_EPARSE,
     "t.csv:2: verified"},
};

static void test_bad_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_tables / sizeof bad_tables[0]; i++) {
        const bad_table *b = &bad_tables[i];
        refcsv *c = NULL;
        char err[512] = "";
        if (refcsv_load_mem("t.csv", b->csv, strlen(b->csv), &c, err, sizeof err) != 0)
            fail_msg("%s: CSV did not parse: %s", b->what, err);
        reporting_table *t = NULL;
        int rc = reporting_from_csv(c, &t, err, sizeof err);
        refcsv_destroy(&c);
        if (rc != b->rc || !strstr(err, b->err))
            fail_msg("%s: rc %d '%s', want %d '%s'", b->what, rc, err, b->rc, b->err);
        assert_null(t);
    }
    /* The good minimal table loads. */
    const char *ok = RHDR "initial,IV;III;II;I,discovered,4,r,q,c,s,no\n" ROWS_REST;
    refcsv *c = NULL;
    char err[256];
    assert_int_equal(refcsv_load_mem("t.csv", ok, strlen(ok), &c, err, sizeof err), 0);
    reporting_table *t = NULL;
    assert_int_equal(reporting_from_csv(c, &t, err, sizeof err), 0);
    refcsv_destroy(&c);
    assert_int_equal(t->n, 4);
    reporting_destroy(&t);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_initial_deadline_by_grade),
        cmocka_unit_test(test_rise_before_initial),
        cmocka_unit_test(test_after_initial_followups),
        cmocka_unit_test(test_rise_after_initial_same_band),
        cmocka_unit_test(test_notice_and_final),
        cmocka_unit_test(test_done_errors),
        cmocka_unit_test(test_followup_room),
        cmocka_unit_test(test_bad_tables),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
