/* Escalation chains (services/dispatch/escalation.h), as a table: a chain, a level, a script of
 * timer ticks, acknowledgements and declines (drill seconds after the task was stored), and
 * the steps that must be taken — which unit, what, when — and nothing else.
 *
 * Policy of every case: 红 5 min, 橙 10, 黄 15, 蓝 30; default level 黄 (the shipped
 * playbooks/kuitun/units.yaml has the same numbers, checked in units_test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "escalation.h"
#include "hazlink/hl_error.h"

#define T0 1784080800000LL /* 2026-07-15T10:00:00+08:00: when the task was stored */
#define S(x) (T0 + (int64_t)(x)*1000)

static esc_policy policy(unsigned repeats)
{
    esc_policy p = {.enabled = 1, .default_level = ESC_YELLOW, .repeats = repeats};
    p.timeout_min[ESC_BLUE] = 30;
    p.timeout_min[ESC_YELLOW] = 15;
    p.timeout_min[ESC_ORANGE] = 10;
    p.timeout_min[ESC_RED] = 5;
    return p;
}

typedef struct ev {
    char op;  /* 'T' timer tick, 'A' acknowledgement, 'D' decline; 0 ends the script */
    int at_s; /* drill seconds after T0 */
    const char *unit;
    int ret; /* 'A' / 'D': what esc_acknowledge / esc_decline must return */
} ev;

typedef struct want {
    char kind; /* 'R' repeat, 'E' escalate; 0 ends the list */
    const char *unit;
    int at_s, due_s;
    int declined;
} want;

typedef struct esc_case {
    const char *name;
    const char *level; /* NULL: the task gave none */
    unsigned repeats;
    const char *chain[ESC_CHAIN_MAX + 1];
    ev script[12];
    want steps[12];
    esc_status final;
    int next_due_s; /* -1: nothing planned at the end */
} esc_case;

static const esc_case cases[] = {
    {"red, nobody answers: reminder, then each unit in turn, to the end",
     "红",
     1,
     {"reg-131", "reg-131-cmd", "xj7-emb"},
     {{'T', 299, NULL, 0},
      {'T', 300, NULL, 0},
      {'T', 599, NULL, 0},
      {'T', 600, NULL, 0},
      {'T', 900, NULL, 0},
      {'T', 1200, NULL, 0},
      {'T', 1500, NULL, 0},
      {'T', 99999, NULL, 0}},
     {{'R', "reg-131", 300, 300, 0},
      {'E', "reg-131-cmd", 600, 600, 0},
      {'R', "reg-131-cmd", 900, 900, 0},
      {'E', "xj7-emb", 1200, 1200, 0},
      {'R', "xj7-emb", 1500, 1500, 0}},
     ESC_EXHAUSTED,
     -1},
    {"acknowledged one second before the first step: no step ever",
     "橙",
     1,
     {"reg-131", "reg-131-cmd", "xj7-emb"},
     {{'A', 599, "reg-131", 1}, {'T', 600, NULL, 0}, {'T', 99999, NULL, 0}},
     {{0}},
     ESC_ACKNOWLEDGED,
     -1},
    {"the unit told by escalation acknowledges: the chain ends there",
     "红",
     0,
     {"reg-131", "reg-131-cmd", "xj7-emb"},
     {{'T', 300, NULL, 0},
      {'A', 400, "reg-131-cmd", 1},
      {'A', 450, "reg-131", 0},
      {'T', 99999, NULL, 0}},
     {{'E', "reg-131-cmd", 300, 300, 0}},
     ESC_ACKNOWLEDGED,
     -1},
    {"an ack from a unit not yet told changes nothing",
     "红",
     0,
     {"a", "b", "c"},
     {{'A', 100, "c", 0}, {'A', 100, "zz", 0}, {'T', 300, NULL, 0}},
     {{'E', "b", 300, 300, 0}},
     ESC_WAITING,
     600},
    {"a decline escalates at once; the next unit gets a whole timeout (黄 by default)",
     NULL,
     1,
     {"kt-eeb", "kt-gov"},
     {{'D', 100, "kt-eeb", 1}, {'T', 999, NULL, 0}, {'T', 1000, NULL, 0}, {'T', 99999, NULL, 0}},
     {{'E', "kt-gov", 100, 100, 1}, {'R', "kt-gov", 1000, 1000, 0}},
     ESC_EXHAUSTED,
     -1},
    {"a decline skips the unit's remaining reminders",
     "蓝",
     2,
     {"a", "b", "c"},
     {{'T', 1800, NULL, 0}, {'D', 1900, "a", 1}, {'T', 3699, NULL, 0}, {'T', 3700, NULL, 0}},
     {{'R', "a", 1800, 1800, 0}, {'E', "b", 1900, 1900, 1}, {'R', "b", 3700, 3700, 0}},
     ESC_WAITING,
     5500},
    {"a decline by the last unit: nobody is left",
     "red",
     1,
     {"a", "b"},
     {{'D', 10, "a", 1}, {'D', 20, "b", 2}, {'T', 99999, NULL, 0}},
     {{'E', "b", 10, 10, 1}},
     ESC_EXHAUSTED,
     -1},
    {"a decline by a unit the chain has passed changes nothing",
     "红",
     0,
     {"a", "b", "c"},
     {{'T', 300, NULL, 0}, {'D', 310, "a", 0}, {'T', 599, NULL, 0}, {'T', 600, NULL, 0}},
     {{'E', "b", 300, 300, 0}, {'E', "c", 600, 600, 0}},
     ESC_EXHAUSTED,
     -1},
    {"dispatch was down when the step fell due: taken at once, the next a whole timeout later",
     "红",
     1,
     {"a", "b"},
     {{'T', 1000, NULL, 0}, {'T', 1299, NULL, 0}, {'T', 1300, NULL, 0}},
     {{'R', "a", 1000, 300, 0}, {'E', "b", 1300, 1300, 0}},
     ESC_WAITING,
     1600},
    {"a unit alone with no reminders: nothing to plan",
     "红",
     0,
     {"xj7-div"},
     {{'T', 99999, NULL, 0}},
     {{0}},
     ESC_EXHAUSTED,
     -1},
    {"response level I is 红, IV is 蓝",
     "I",
     0,
     {"a", "b"},
     {{'T', 300, NULL, 0}},
     {{'E', "b", 300, 300, 0}},
     ESC_EXHAUSTED,
     -1},
    {"response level IV is 蓝 (30 min)",
     "IV",
     0,
     {"a", "b"},
     {{'T', 1799, NULL, 0}, {'T', 1800, NULL, 0}},
     {{'E', "b", 1800, 1800, 0}},
     ESC_EXHAUSTED,
     -1},
    {"an ack after the chain is exhausted still ends it",
     "红",
     0,
     {"a", "b"},
     {{'T', 300, NULL, 0}, {'A', 5000, "a", 1}, {'A', 5001, "b", 0}},
     {{'E', "b", 300, 300, 0}},
     ESC_ACKNOWLEDGED,
     -1},
};

static void run_case(const esc_case *c)
{
    esc_policy p = policy(c->repeats);
    char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1];
    size_t n = 0;
    while (c->chain[n]) {
        snprintf(chain[n], sizeof chain[n], "%s", c->chain[n]);
        n++;
    }
    esc_state s;
    int rc = esc_start(&p, c->level, (const char(*)[HL_ID_MAX + 1]) chain, n, T0, &s);
    if (rc != 0)
        fail_msg("%s: esc_start %d", c->name, rc);
    assert_int_equal(s.level_defaulted, c->level == NULL);
    esc_step got[32];
    size_t ngot = 0;
    for (const ev *e = c->script; e->op; e++) {
        esc_step st;
        if (e->op == 'T') {
            while (ngot < 32 && esc_fire_due(&s, S(e->at_s), &st))
                got[ngot++] = st;
        } else if (e->op == 'A') {
            int r = esc_acknowledge(&s, e->unit, S(e->at_s));
            if (r != e->ret)
                fail_msg("%s: ack by %s at %d s returned %d, want %d", c->name, e->unit, e->at_s, r,
                         e->ret);
        } else {
            int r = esc_decline(&s, e->unit, S(e->at_s), &st);
            if (r != e->ret)
                fail_msg("%s: decline by %s at %d s returned %d, want %d", c->name, e->unit,
                         e->at_s, r, e->ret);
            if (r == 1)
                got[ngot++] = st;
        }
    }
    size_t nwant = 0;
    while (c->steps[nwant].kind)
        nwant++;
    if (ngot != nwant)
        fail_msg("%s: %zu steps taken, want %zu", c->name, ngot, nwant);
    for (size_t i = 0; i < nwant; i++) {
        const want *w = &c->steps[i];
        const esc_step *g = &got[i];
        if (g->kind != (w->kind == 'R' ? ESC_REPEAT : ESC_ESCALATE) ||
            strcmp(s.chain[g->pos], w->unit) != 0 || g->at_ms != S(w->at_s) ||
            g->due_ms != S(w->due_s) || g->declined != w->declined)
            fail_msg("%s: step %zu is %s %s at %lld s (due %lld s, declined %d); want %c %s at "
                     "%d s (due %d s, declined %d)",
                     c->name, i + 1, esc_kind_name(g->kind), s.chain[g->pos],
                     (long long)(g->at_ms - T0) / 1000, (long long)(g->due_ms - T0) / 1000,
                     g->declined, w->kind, w->unit, w->at_s, w->due_s, w->declined);
    }
    if (s.status != c->final)
        fail_msg("%s: status %s, want %s", c->name, esc_status_name(s.status),
                 esc_status_name(c->final));
    esc_step next;
    int has = esc_next(&s, &next);
    if (c->next_due_s < 0 && has)
        fail_msg("%s: a step is still planned at %lld s", c->name,
                 (long long)(next.due_ms - T0) / 1000);
    if (c->next_due_s >= 0 && (!has || next.due_ms != S(c->next_due_s)))
        fail_msg("%s: next step %s, want at %d s", c->name, has ? "elsewhen" : "none",
                 c->next_due_s);
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

static void test_levels_and_policy(void **state)
{
    (void)state;
    static const struct {
        const char *word;
        esc_level want;
    } ok[] = {{"蓝", ESC_BLUE},   {"黄", ESC_YELLOW}, {"橙", ESC_ORANGE}, {"红", ESC_RED},
              {"Blue", ESC_BLUE}, {"RED", ESC_RED},   {"iv", ESC_BLUE},   {"III", ESC_YELLOW},
              {"II", ESC_ORANGE}, {"I", ESC_RED},     {"Ⅰ", ESC_RED},     {"Ⅳ", ESC_BLUE}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        esc_level l = ESC_LEVEL_N;
        assert_int_equal(esc_level_parse(ok[i].word, &l), 0);
        assert_int_equal(l, ok[i].want);
    }
    static const char *const bad[] = {"", "purple", "V", "红色", "0", " red"};
    esc_level l;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(esc_level_parse(bad[i], &l), HL_EINVAL);
    assert_int_equal(esc_level_parse(NULL, &l), HL_EINVAL);
    assert_string_equal(esc_level_name(ESC_ORANGE), "橙");
    assert_string_equal(esc_level_name_en(ESC_ORANGE), "orange");
    assert_null(esc_level_name(ESC_LEVEL_N));

    char err[256];
    esc_policy p = policy(1);
    assert_int_equal(esc_policy_check(&p, err, sizeof err), 0);
    p.timeout_min[ESC_RED] = 20; /* red waiting longer than orange */
    assert_int_equal(esc_policy_check(&p, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "红"));
    p = policy(ESC_REPEATS_MAX + 1);
    assert_int_equal(esc_policy_check(&p, err, sizeof err), HL_EINVAL);
    p = policy(0);
    p.timeout_min[ESC_BLUE] = ESC_TIMEOUT_MAX_MIN + 1;
    assert_int_equal(esc_policy_check(&p, err, sizeof err), HL_EINVAL);
    p.timeout_min[ESC_BLUE] = ESC_TIMEOUT_MAX_MIN;
    assert_int_equal(esc_policy_check(&p, err, sizeof err), 0);
    p.timeout_min[ESC_RED] = 0;
    assert_int_equal(esc_policy_check(&p, err, sizeof err), HL_EINVAL);
    esc_policy off = {0};
    assert_int_equal(esc_policy_check(&off, err, sizeof err), 0);
}

static void test_start_refusals(void **state)
{
    (void)state;
    esc_policy p = policy(1);
    char chain[ESC_CHAIN_MAX + 1][HL_ID_MAX + 1];
    for (size_t i = 0; i <= ESC_CHAIN_MAX; i++)
        snprintf(chain[i], sizeof chain[i], "u%zu", i);
    const char(*c)[HL_ID_MAX + 1] = (const char(*)[HL_ID_MAX + 1]) chain;
    esc_state s;
    assert_int_equal(esc_start(&p, "红", c, ESC_CHAIN_MAX, T0, &s), 0);
    assert_int_equal(s.timeout_ms, 5 * 60000);
    assert_int_equal(esc_start(&p, "红", c, ESC_CHAIN_MAX + 1, T0, &s), HL_ETOOBIG);
    assert_int_equal(esc_start(&p, "红", c, 0, T0, &s), HL_EINVAL);
    assert_int_equal(esc_start(&p, "crimson", c, 2, T0, &s), HL_EINVAL);
    assert_int_equal(esc_start(&p, "红", c, 2, -1, &s), HL_EINVAL);
    snprintf(chain[1], sizeof chain[1], "not an id");
    assert_int_equal(esc_start(&p, "红", c, 2, T0, &s), HL_EINVAL);
    esc_policy off = {0};
    assert_int_equal(esc_start(&off, "红", c, 1, T0, &s), HL_EINVAL);
    /* No level: the default (黄, 15 min), marked as defaulted. */
    assert_int_equal(esc_start(&p, "", c, 1, T0, &s), 0);
    assert_int_equal(s.level, ESC_YELLOW);
    assert_int_equal(s.level_defaulted, 1);
    assert_int_equal(s.timeout_ms, 15 * 60000);
    assert_int_equal(esc_chain_index(&s, "u0"), 0);
    assert_int_equal(esc_chain_index(&s, "u1"), -1);
    assert_int_equal(esc_chain_index(&s, NULL), -1);
    /* Names round-trip. */
    esc_status st;
    esc_kind k;
    assert_int_equal(esc_status_parse("exhausted", &st), 0);
    assert_int_equal(st, ESC_EXHAUSTED);
    assert_int_equal(esc_status_parse("done", &st), HL_EINVAL);
    assert_int_equal(esc_kind_parse("escalate", &k), 0);
    assert_int_equal(k, ESC_ESCALATE);
    assert_int_equal(esc_kind_parse(NULL, &k), HL_EINVAL);
}

/* Issue 4: a withdrawn task's chain takes no step; a revision may change the level. */
static void test_withdraw_and_level_change(void **state)
{
    (void)state;
    esc_policy p = policy(1);
    const char chain[3][HL_ID_MAX + 1] = {"reg-131", "reg-131-cmd", "xj7-emb"};
    esc_state s;
    esc_step step;
    assert_int_equal(esc_start(&p, "红", chain, 3, T0, &s), 0);
    /* Withdrawn at +2 min, before the reminder due at +5: nothing is ever due after it. */
    assert_int_equal(esc_withdraw(&s, S(120)), 1);
    assert_int_equal(s.status, ESC_WITHDRAWN);
    assert_int_equal(s.ended_ms, S(120));
    assert_int_equal(esc_next(&s, &step), 0);
    assert_int_equal(esc_fire_due(&s, S(3600), &step), 0);
    /* Answers after it change nothing; a second withdrawal neither. */
    assert_int_equal(esc_acknowledge(&s, "reg-131", S(200)), 0);
    assert_int_equal(esc_decline(&s, "reg-131", S(200), &step), 0);
    assert_int_equal(esc_withdraw(&s, S(300)), 0);
    assert_int_equal(s.ended_ms, S(120));
    assert_string_equal(esc_status_name(ESC_WITHDRAWN), "withdrawn");
    esc_status st;
    assert_int_equal(esc_status_parse("withdrawn", &st), 0);
    assert_int_equal(st, ESC_WITHDRAWN);
    /* An acknowledged chain stays acknowledged: that is how it ended. */
    assert_int_equal(esc_start(&p, "红", chain, 3, T0, &s), 0);
    assert_int_equal(esc_acknowledge(&s, "reg-131", S(60)), 1);
    assert_int_equal(esc_withdraw(&s, S(120)), 0);
    assert_int_equal(s.status, ESC_ACKNOWLEDGED);
    /* Withdrawn after the reminder: the escalation planned next is not taken. */
    assert_int_equal(esc_start(&p, "红", chain, 3, T0, &s), 0);
    assert_int_equal(esc_fire_due(&s, S(300), &step), 1);
    assert_int_equal(step.kind, ESC_REPEAT);
    assert_int_equal(esc_withdraw(&s, S(400)), 1);
    assert_int_equal(esc_fire_due(&s, S(600), &step), 0);

    /* Level change: the timeout follows, counted from when the unit was last told. */
    assert_int_equal(esc_start(&p, "IV", chain, 3, T0, &s), 0);
    assert_int_equal(s.response, 1);
    assert_int_equal(s.timeout_ms, 30 * 60000); /* IV takes 蓝's 30 min */
    assert_int_equal(esc_set_level(&s, &p, "III"), 0);
    assert_int_equal(s.level, ESC_YELLOW);
    assert_int_equal(s.timeout_ms, 15 * 60000);
    assert_int_equal(esc_next(&s, &step), 1);
    assert_int_equal(step.due_ms, S(900));
    assert_int_equal(esc_set_level(&s, &p, "红"), 0);
    assert_int_equal(s.response, 0);
    assert_int_equal(esc_fire_due(&s, S(300), &step), 1);
    assert_int_equal(esc_set_level(&s, &p, "crimson"), HL_EINVAL);
    esc_policy off = {0};
    assert_int_equal(esc_set_level(&s, &off, "红"), HL_EINVAL);
    /* A level given as a default-less start is no longer defaulted once set. */
    assert_int_equal(esc_start(&p, NULL, chain, 3, T0, &s), 0);
    assert_int_equal(s.level_defaulted, 1);
    assert_int_equal(esc_set_level(&s, &p, "II"), 0);
    assert_int_equal(s.level_defaulted, 0);
}

/* One spelling per level: warning levels by their Chinese name, response levels in ASCII. */
static void test_level_spelling(void **state)
{
    (void)state;
    static const struct {
        const char *word, *canon;
        int response;
    } cases[] = {{"red", "红", 0}, {"Yellow", "黄", 0}, {"蓝", "蓝", 0}, {"iv", "IV", 1},
                 {"Ⅲ", "III", 1},  {"II", "II", 1},       {"I", "I", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(esc_level_canon(cases[i].word), cases[i].canon);
        esc_level l;
        int r = -1;
        assert_int_equal(esc_level_parse_scale(cases[i].word, &l, &r), 0);
        assert_int_equal(r, cases[i].response);
    }
    assert_null(esc_level_canon("purple"));
    assert_null(esc_level_canon(""));
    assert_string_equal(esc_level_label(ESC_RED, 1), "I");
    assert_string_equal(esc_level_label(ESC_BLUE, 0), "蓝");
    assert_null(esc_level_label(ESC_LEVEL_N, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_levels_and_policy),
        cmocka_unit_test(test_start_refusals),
        cmocka_unit_test(test_withdraw_and_level_change),
        cmocka_unit_test(test_level_spelling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
