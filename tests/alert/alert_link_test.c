/* alert_link_test — attaching an exceedance to the incident reported for the same release
 * (services/alert/link.h), on the real Kuitun network (playbooks/kuitun/river.yaml: reach
 * r02-dsz-kuitun km 22..36, velocities spring/summer/autumn/winter 1.0/1.5/0.8/0.5 m/s,
 * marked unverified). The rule is hazlink's (link.h); each case states the arithmetic.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "hazlink/network.h"
#include "link.h"

#define PLAN HL_TEST_SOURCE_DIR "/playbooks/kuitun"
#define T0 1800000000000LL
#define S 1000LL
#define MIN (60LL * 1000)

static hl_network *g_net;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    int rc = hl_network_load(PLAN, &g_net, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    hl_network_destroy(&g_net);
    return 0;
}

/* The drill's report: benzene at the Dushanzi Petrochemical outfall, km 22, from T0 for
 * 1800 s. */
static const link_candidate dsz = {"inc-dsz", "苯", 22.0, T0, 1800.0};

static void test_window_drill(void **state)
{
    (void)state;
    /* km 22 → 25 (st-dsz-down): 3000 m at the fastest season (summer, 1.5 m/s) = 2000 s.
     * Window: T0 + 0.5 × 2000 s − 30 min = T0 − 800 s .. T0 + 1800 + 3 × 2000 s + 30 min =
     * T0 + 9600 s. */
    link_window w;
    assert_int_equal(link_window_for(g_net, &dsz, 25.0, &w), 0);
    assert_float_equal(w.fastest_travel_s, 2000.0, 1e-6);
    assert_int_equal(w.from_ms, T0 - 800 * S);
    assert_int_equal(w.to_ms, T0 + 9600 * S);
    assert_true(w.velocities_unverified);
    /* Above the release point: no window. */
    assert_int_equal(link_window_for(g_net, &dsz, 14.0, &w), HL_EINVAL);
    /* At the release point: T = 0, window T0 − 30 min .. T0 + 1800 s + 30 min. */
    assert_int_equal(link_window_for(g_net, &dsz, 22.0, &w), 0);
    assert_int_equal(w.from_ms, T0 - 30 * MIN);
    assert_int_equal(w.to_ms, T0 + 1800 * S + 30 * MIN);
    /* Off the network. */
    assert_int_equal(link_window_for(g_net, &dsz, 5000.0, &w), HL_EINVAL);
}

typedef struct choose_case {
    const char *what;
    const char *parameter;
    double station_km;
    int64_t first_ms;
    int want; /* index into the candidates, -1 none */
} choose_case;

static void test_choose(void **state)
{
    (void)state;
    static const choose_case cases[] = {
        {"the drill: st-dsz-down exceeds 30 min after the release", "苯", 25.0, T0 + 30 * MIN, 0},
        {"window start T0 - 800 s is inside", "苯", 25.0, T0 - 800 * S, 0},
        {"1 ms before the window start is outside", "苯", 25.0, T0 - 800 * S - 1, -1},
        {"window end T0 + 9600 s is inside", "苯", 25.0, T0 + 9600 * S, 0},
        {"1 ms after the window end is outside", "苯", 25.0, T0 + 9600 * S + 1, -1},
        {"another substance never links", "甲苯", 25.0, T0 + 30 * MIN, -1},
        {"a station above the outfall (老龙口 km 14) never links", "苯", 14.0, T0 + 30 * MIN, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const choose_case *c = &cases[i];
        char reason[LINK_REASON_MAX + 1] = "";
        int got = link_choose(g_net, &dsz, 1, c->parameter, c->station_km, c->first_ms, NULL,
                              reason, sizeof reason);
        if (got != c->want)
            fail_msg("%s: chose %d, want %d", c->what, got, c->want);
        if (got == 0 && (!strstr(reason, "reported incident inc-dsz, released at km 22.0") ||
                         !strstr(reason, "(unverified)")))
            fail_msg("%s: reason '%s'", c->what, reason);
    }
}

static void test_nearest_release_wins(void **state)
{
    (void)state;
    /* Two open reports of benzene: km 22 (T0, 1800 s) and the chemical park outfall km 28
     * (T0, instantaneous). Station st-xinqushou km 36 at T0 + 50 min:
     *  km 22: T = 14000 m / 1.5 = 9333 s, window from T0 + 4667 − 1800 = T0 + 2867 s: inside;
     *  km 28: T = 8000 m / 1.5 = 5333 s, window from T0 + 2667 − 1800 = T0 + 867 s: inside.
     * The nearest release upstream (km 28) wins. */
    const link_candidate two[] = {dsz, {"inc-park", "苯", 28.0, T0, 0.0}};
    link_window w;
    assert_int_equal(link_choose(g_net, two, 2, "苯", 36.0, T0 + 50 * MIN, &w, NULL, 0), 1);
    assert_float_equal(w.fastest_travel_s, 8000.0 / 1.5, 1e-6);
    /* At T0 + 40 min (2400 s) only the park's window has begun. */
    assert_int_equal(link_choose(g_net, two, 2, "苯", 36.0, T0 + 40 * MIN, NULL, NULL, 0), 1);
    /* Two releases at the same point: the later one. */
    const link_candidate same[] = {dsz, {"inc-later", "苯", 22.0, T0 + 10 * MIN, 0.0}};
    assert_int_equal(link_choose(g_net, same, 2, "苯", 25.0, T0 + 40 * MIN, NULL, NULL, 0), 1);
    /* None given. */
    assert_int_equal(link_choose(g_net, NULL, 0, "苯", 25.0, T0, NULL, NULL, 0), -1);
    /* A malformed candidate (negative duration) is skipped, not chosen. */
    const link_candidate bad[] = {{"inc-bad", "苯", 22.0, T0, -5.0}};
    assert_int_equal(link_choose(g_net, bad, 1, "苯", 25.0, T0 + 30 * MIN, NULL, NULL, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_drill),
        cmocka_unit_test(test_choose),
        cmocka_unit_test(test_nearest_release_wins),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
