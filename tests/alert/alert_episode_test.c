/* alert_episode_test — one incident per station-and-parameter exceedance episode
 * (services/alert/episode.h; hazlink rules 1–5 there, quiet period 24 h of drill time by
 * default). Each scenario is a list of readings with the expected outcome of each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "episode.h"
#include "hazlink/hl_error.h"

#define H (3600LL * 1000)
#define T0 1800000000000LL /* 2027-01-15, any fixed drill time */
#define Q (24 * H)

typedef struct step {
    int64_t at; /* offset from T0 */
    int exceeded;
    double multiple;
    episode_action action;
    const char *incident; /* incident the reading belongs to ("" for none) */
    const char *ended;    /* incident that ended on this reading, or "" */
    int peak;             /* the reading is the new peak */
} step;

typedef struct scenario {
    const char *rule;
    int64_t quiet;
    step steps[12];
    size_t n;
    size_t n_episodes; /* episodes kept at the end */
} scenario;

/* clang-format off */
#define EXC(t, m, act, inc, end, pk) {(t), 1, (m), (act), (inc), (end), (pk)}
#define CLEAN(t, end) {(t), 0, 0, EPISODE_NOOP, "", (end), 0}
/* clang-format on */

static const scenario scenarios[] = {
    {"rule 1: a within-limit reading opens nothing", Q, {CLEAN(0, "")}, 1, 0},
    {"rules 1-2: the first exceedance opens, the next ones attach, the peak is tracked",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1),
      EXC(1 * H, 3.0, EPISODE_ATTACHED, "inc-1", "", 1),
      EXC(2 * H, 2.0, EPISODE_ATTACHED, "inc-1", "", 0)},
     3,
     1},
    {"rule 3: within the limit for less than the quiet period: same incident",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(1 * H, ""), CLEAN(20 * H, ""),
      EXC(22 * H, 0.5, EPISODE_ATTACHED, "inc-1", "", 0)},
     4,
     1},
    {"rules 3-4: within the limit for the quiet period ends it; a later exceedance reopens",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(1 * H, ""), CLEAN(25 * H, "inc-1"),
      EXC(26 * H, 0.5, EPISODE_OPENED, "inc-2", "", 1)},
     4,
     2},
    {"rule 3: one clean reading and then silence past the quiet period: the next exceedance "
     "opens a new incident",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(2 * H, ""),
      EXC(30 * H, 1.0, EPISODE_OPENED, "inc-2", "inc-1", 1)},
     3,
     2},
    {"rule 3: silence alone never ends an episode",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1),
      EXC(72 * H, 1.0, EPISODE_ATTACHED, "inc-1", "", 0)},
     2,
     1},
    {"rule 3: a configurable quiet period (1 h)",
     1 * H,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(10 * 60 * 1000, ""),
      CLEAN(70 * 60 * 1000, "inc-1"), EXC(2 * H, 1.0, EPISODE_OPENED, "inc-2", "", 1)},
     4,
     2},
    {"out of order: a late exceeding reading older than the first joins the episode",
     Q,
     {EXC(5 * H, 1.0, EPISODE_OPENED, "inc-1", "", 1),
      EXC(4 * H, 2.0, EPISODE_ATTACHED, "inc-1", "", 1),
      EXC(1 * H, 0.1, EPISODE_ATTACHED, "inc-1", "", 0)},
     3,
     1},
    {"out of order: a clean reading older than the last exceedance says nothing about the "
     "quiet period",
     Q,
     {EXC(30 * H, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(1 * H, ""), CLEAN(2 * H, ""),
      EXC(31 * H, 1.0, EPISODE_ATTACHED, "inc-1", "", 0)},
     4,
     1},
    {"out of order: a late exceeding reading inside the quiet period restarts it",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(2 * H, ""), CLEAN(10 * H, ""),
      EXC(5 * H, 1.0, EPISODE_ATTACHED, "inc-1", "", 0), CLEAN(26 * H, ""), CLEAN(34 * H, "inc-1")},
     6,
     1},
    {"out of order: a late reading of an ended episode joins it, not the open one",
     Q,
     {EXC(0, 1.0, EPISODE_OPENED, "inc-1", "", 1), CLEAN(1 * H, ""), CLEAN(30 * H, "inc-1"),
      EXC(100 * H, 1.0, EPISODE_OPENED, "inc-2", "", 1),
      EXC(2 * H, 5.0, EPISODE_ATTACHED, "inc-1", "", 1),
      EXC(101 * H, 0.5, EPISODE_ATTACHED, "inc-2", "", 0)},
     6,
     2},
    {"out of order: an exceedance long before every episode is its own (ended) episode",
     Q,
     {EXC(100 * H, 1.0, EPISODE_OPENED, "inc-1", "", 1),
      EXC(10 * H, 1.0, EPISODE_OPENED, "inc-2", "", 1),
      EXC(12 * H, 1.0, EPISODE_ATTACHED, "inc-2", "", 0),
      EXC(101 * H, 1.0, EPISODE_ATTACHED, "inc-1", "", 0)},
     4,
     2},
};

static void run(const scenario *s)
{
    episode_set set;
    memset(&set, 0, sizeof set);
    int next = 1;
    for (size_t i = 0; i < s->n; i++) {
        const step *st = &s->steps[i];
        char id[16];
        snprintf(id, sizeof id, "inc-%d", next);
        episode_reading rd = {T0 + st->at, st->exceeded, st->multiple * 0.01 + 0.01, st->multiple};
        episode_outcome out;
        int rc = episode_apply(&set, &rd, s->quiet, id, &out);
        if (rc != 0)
            fail_msg("%s, step %zu: rc %d", s->rule, i + 1, rc);
        if (out.action == EPISODE_OPENED)
            next++;
        if (out.action != st->action)
            fail_msg("%s, step %zu: action %d, want %d", s->rule, i + 1, out.action, st->action);
        const char *inc = out.action == EPISODE_NOOP ? "" : set.ep[out.index].incident_id;
        if (strcmp(inc, st->incident) != 0)
            fail_msg("%s, step %zu: incident '%s', want '%s'", s->rule, i + 1, inc, st->incident);
        const char *ended = out.ended ? out.ended_incident_id : "";
        if (strcmp(ended, st->ended) != 0)
            fail_msg("%s, step %zu: ended '%s', want '%s'", s->rule, i + 1, ended, st->ended);
        if (out.peak_changed != st->peak)
            fail_msg("%s, step %zu: peak_changed %d, want %d", s->rule, i + 1, out.peak_changed,
                     st->peak);
        /* Invariants: ordered by first_ms, only the newest may be open. */
        for (size_t k = 0; k + 1 < set.n; k++) {
            assert_true(set.ep[k].first_ms <= set.ep[k + 1].first_ms);
            assert_true(set.ep[k].ended);
        }
    }
    if (set.n != s->n_episodes)
        fail_msg("%s: %zu episodes, want %zu", s->rule, set.n, s->n_episodes);
}

static void test_scenarios(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        run(&scenarios[i]);
}

static void test_peak_and_counts(void **state)
{
    (void)state;
    /* rule 2: the peak is the reading with the largest exceedance multiple. */
    episode_set set;
    memset(&set, 0, sizeof set);
    episode_outcome out;
    episode_reading a = {T0, 1, 0.05, 4.0}, b = {T0 + H, 1, 0.09, 8.0},
                    c = {T0 + 2 * H, 1, 0.03, 2.0};
    assert_int_equal(episode_apply(&set, &a, Q, "inc-a", &out), 0);
    assert_int_equal(episode_apply(&set, &b, Q, "inc-b", &out), 0);
    assert_int_equal(episode_apply(&set, &c, Q, "inc-c", &out), 0);
    assert_int_equal(set.n, 1);
    const episode *e = &set.ep[0];
    assert_string_equal(e->incident_id, "inc-a");
    assert_int_equal(e->count, 3);
    assert_int_equal(e->first_ms, T0);
    assert_int_equal(e->last_ms, T0 + 2 * H);
    assert_int_equal(e->peak_ms, T0 + H);
    assert_float_equal(e->peak_value, 0.09, 0);
    assert_float_equal(e->peak_multiple, 8.0, 0);
    assert_int_equal(episode_find(&set, "inc-a"), 0);
    assert_int_equal(episode_find(&set, "inc-b"), -1);
}

static void test_keep_limit(void **state)
{
    (void)state;
    /* Only the newest EPISODE_KEEP episodes are kept; the dropped one is named. */
    episode_set set;
    memset(&set, 0, sizeof set);
    episode_outcome out;
    char id[16];
    for (int i = 0; i <= EPISODE_KEEP; i++) {
        int64_t t = T0 + (int64_t)i * 100 * H;
        episode_reading clean1 = {t - 90 * H, 0, 0, 0}, clean2 = {t - 60 * H, 0, 0, 0};
        episode_reading ex = {t, 1, 1, 1};
        assert_int_equal(episode_apply(&set, &clean1, Q, NULL, &out), 0);
        assert_int_equal(episode_apply(&set, &clean2, Q, NULL, &out), 0);
        snprintf(id, sizeof id, "inc-%d", i);
        assert_int_equal(episode_apply(&set, &ex, Q, id, &out), 0);
        assert_int_equal(out.action, EPISODE_OPENED);
        if (i < EPISODE_KEEP)
            assert_string_equal(out.dropped_incident_id, "");
        else
            assert_string_equal(out.dropped_incident_id, "inc-0");
    }
    assert_int_equal(set.n, EPISODE_KEEP);
    assert_string_equal(set.ep[0].incident_id, "inc-1");
}

static void test_bad_input(void **state)
{
    (void)state;
    episode_set set;
    memset(&set, 0, sizeof set);
    episode_outcome out;
    episode_reading ex = {T0, 1, 1, 1};
    /* An exceeding reading needs the id of the incident it may open. */
    assert_int_equal(episode_apply(&set, &ex, Q, NULL, &out), HL_EINVAL);
    assert_int_equal(episode_apply(&set, &ex, Q, "", &out), HL_EINVAL);
    char long_id[EPISODE_ID_MAX + 2];
    memset(long_id, 'x', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    assert_int_equal(episode_apply(&set, &ex, Q, long_id, &out), HL_EINVAL);
    /* Quiet period bounds. */
    assert_int_equal(episode_apply(&set, &ex, 0, "inc-1", &out), HL_EINVAL);
    assert_int_equal(episode_apply(&set, &ex, EPISODE_QUIET_MAX_MS + 1, "inc-1", &out), HL_EINVAL);
    /* Times and multiples. */
    episode_reading neg = {-1, 1, 1, 1}, far = {EPISODE_MS_MAX + 1, 1, 1, 1}, bad = {T0, 1, 1, -1};
    assert_int_equal(episode_apply(&set, &neg, Q, "inc-1", &out), HL_EINVAL);
    assert_int_equal(episode_apply(&set, &far, Q, "inc-1", &out), HL_EINVAL);
    assert_int_equal(episode_apply(&set, &bad, Q, "inc-1", &out), HL_EINVAL);
    assert_int_equal(set.n, 0);
}

/* Rule 5 (issue 4): the descent — the first reading after the peak and below it, exceeding
 * or within the limit — is said once per peak; a new peak starts over. Readings at or
 * before the peak are never the descent. */
static void test_descent(void **state)
{
    (void)state;
    episode_set set = {0};
    episode_outcome out;
    static const struct {
        int64_t at;
        int exceeded;
        double multiple;
        int descent;
    } steps[] = {
        {0, 1, 4.0, 0},      /* opens: the peak */
        {1 * H, 1, 9.0, 0},  /* a new peak */
        {2 * H, 1, 6.0, 1},  /* first below the peak: the descent */
        {3 * H, 1, 2.0, 0},  /* lower still: said already */
        {4 * H, 1, 12.0, 0}, /* a new peak: a descent is to come again */
        {5 * H, 0, 0.0, 1},  /* within the limit, after the peak: the descent */
        {6 * H, 0, 0.0, 0},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        episode_reading rd = {T0 + steps[i].at, steps[i].exceeded, steps[i].multiple * 0.01,
                              steps[i].multiple};
        assert_int_equal(episode_apply(&set, &rd, Q, "inc-d", &out), 0);
        episode *e = &set.ep[set.n - 1];
        int d = !out.peak_changed && episode_descent(e, rd.ms, rd.multiple);
        if (d != steps[i].descent)
            fail_msg("reading %zu (+%lld h, %g ×): descent %d, want %d", i,
                     (long long)(steps[i].at / H), steps[i].multiple, d, steps[i].descent);
        if (d)
            assert_int_equal(e->descent_ms, rd.ms);
    }
    /* A late reading from before the peak is not the descent, whatever its value. */
    episode e = {.peak_ms = T0 + 10 * H, .peak_multiple = 5.0};
    assert_int_equal(episode_descent(&e, T0 + 9 * H, 1.0), 0);
    assert_int_equal(episode_descent(&e, T0 + 10 * H, 1.0), 0);
    assert_int_equal(episode_descent(&e, T0 + 11 * H, 5.0), 0); /* equal is not below */
    assert_int_equal(episode_descent(&e, T0 + 11 * H, 4.9), 1);
    assert_int_equal(e.descent_ms, T0 + 11 * H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_peak_and_counts),
        cmocka_unit_test(test_keep_limit),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_descent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
