/* Tests of the advection forecast (lib/domain/forecast.c) on the small fixture network
 * (tests/playbook/data/small/river.yaml), whose reaches are
 *     r1  0–10 km channel    velocities [spring, summer, autumn, winter] = [1.0, 2.0, 0.5, 0.25] m/s
 *     r2 10–12 km reservoir                                              [0.05, 0.1, 0.05, 0.02]
 *     r3 12–40 km channel                                                [1.0, 1.5, 0.75, 0.5]
 * and on the Kuitun data for the season of a date. Every expected time is worked out by hand
 * in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "hazlink/forecast.h"
#include "hazlink/hl_error.h"
#include "hazlink/network.h"
#include "pb_testutil.h"

#define T0 1782864000000LL /* 2026-07-01T08:00:00+08:00, any fixed time */

static hl_network *small(void)
{
    hl_network *n = NULL;
    char err[512];
    if (hl_network_load(PB_SMALL, &n, err, sizeof err))
        fail_msg("%s", err);
    return n;
}

static hl_forecast_req release_at(double km, hl_season s)
{
    hl_forecast_req q;
    memset(&q, 0, sizeof q);
    q.anchor = HL_ANCHOR_RELEASE;
    q.chainage_km = km;
    q.start_ms = T0;
    q.now_ms = T0;
    q.season = s;
    q.horizon_h = 48;
    q.limit_mg_l = 0.01; /* benzene, GB 3838-2002 表3 item 19 */
    return q;
}

static void test_travel_across_reaches(void **state)
{
    (void)state;
    hl_network *n = small();
    double t;
    int unv = -1;
    /* Summer, km 5 → km 20:
     *   r1: (10 − 5) km = 5000 m / 2.0 m/s =  2500 s
     *   r2: (12 − 10) km = 2000 m / 0.1 m/s = 20000 s
     *   r3: (20 − 12) km = 8000 m / 1.5 m/s =  5333.33 s
     *   total 27833.33 s (7 h 43 min 53 s) */
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_SUMMER, 5, 20, &t, &unv), 0);
    assert_true(fabs(t - 27833.3333) < 0.01);
    assert_int_equal(unv, 1); /* r1 and r2 are marked unverified */
    /* Winter, same stretch: 5000/0.25 + 2000/0.02 + 8000/0.5 = 20000 + 100000 + 16000 = 136000 s */
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_WINTER, 5, 20, &t, NULL), 0);
    assert_true(fabs(t - 136000.0) < 1e-6);
    /* Only in r3, which is verified: 8000/1.5 = 5333.33 s; the flag stays 0. */
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_SUMMER, 12, 20, &t, &unv), 0);
    assert_true(fabs(t - 5333.3333) < 0.01);
    assert_int_equal(unv, 0);
    /* Zero length, and the bounds. */
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_SPRING, 7, 7, &t, NULL), 0);
    assert_true(t == 0);
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_SPRING, 20, 5, &t, NULL), HL_EINVAL);
    assert_int_equal(hl_forecast_travel_s(n, HL_SEASON_SPRING, 5, 41, &t, NULL), HL_EINVAL);
    assert_int_equal(hl_forecast_travel_s(n, (hl_season)7, 5, 6, &t, NULL), HL_EINVAL);
    hl_network_destroy(&n);
}

static void test_season_choice(void **state)
{
    (void)state;
    hl_season s;
    const struct { int month; hl_season want; } cases[] = {
        {1, HL_SEASON_WINTER}, {2, HL_SEASON_WINTER},  {3, HL_SEASON_SPRING},
        {5, HL_SEASON_SPRING}, {6, HL_SEASON_SUMMER},  {8, HL_SEASON_SUMMER},
        {9, HL_SEASON_AUTUMN}, {11, HL_SEASON_AUTUMN}, {12, HL_SEASON_WINTER}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(hl_season_of_month(cases[i].month, &s), 0);
        assert_int_equal(s, cases[i].want);
    }
    assert_int_equal(hl_season_of_month(0, &s), HL_EINVAL);
    assert_int_equal(hl_season_of_month(13, &s), HL_EINVAL);
    /* The month is taken in Beijing time: 2026-02-28T20:00:00Z is 2026-03-01 04:00 +08:00,
     * already spring; 2026-02-28T15:59:59Z is 23:59:59 +08:00, still winter. */
    assert_int_equal(hl_season_of_ms(1772308800000LL), HL_SEASON_SPRING);
    assert_int_equal(hl_season_of_ms(1772294399000LL), HL_SEASON_WINTER);
    assert_int_equal(hl_season_of_ms(T0), HL_SEASON_SUMMER);
    assert_int_equal(hl_season_of_ms(0), HL_SEASON_WINTER); /* 1970-01-01 08:00 +08:00 */
    assert_int_equal(hl_season_parse("autumn", &s), 0);
    assert_int_equal(s, HL_SEASON_AUTUMN);
    assert_int_equal(hl_season_parse("monsoon", &s), HL_EINVAL);
    assert_string_equal(hl_season_name(HL_SEASON_WINTER), "winter");
    assert_string_equal(hl_season_name((hl_season)9), "?");

    /* The season chooses the velocity: release at km 5, reservoir sp-res at km 11:
     *   summer 5000/2.0 + 1000/0.1  = 2500 + 10000 = 12500 s
     *   spring 5000/1.0 + 1000/0.05 = 5000 + 20000 = 25000 s */
    hl_network *n = small();
    hl_forecast *f = NULL;
    hl_forecast_req q = release_at(5, HL_SEASON_SUMMER);
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_int_equal(hl_forecast_point_find(f, "sp-res")->arrival_ms, T0 + 12500000);
    hl_forecast_destroy(&f);
    q.season = HL_SEASON_SPRING;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_int_equal(hl_forecast_point_find(f, "sp-res")->arrival_ms, T0 + 25000000);
    assert_int_equal(f->season, HL_SEASON_SPRING);
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

static void test_release_points(void **state)
{
    (void)state;
    hl_network *n = small();
    hl_forecast *f = NULL;
    hl_forecast_req q = release_at(5, HL_SEASON_SUMMER);
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    /* Upstream of the release (st-up at km 2) is not a point; the rest are, by chainage. */
    assert_null(hl_forecast_point_find(f, "st-up"));
    const char *order[] = {"sp-near", "st-mid", "sp-res", "rc-gw", "st-down", "sp-far",
                           "rc-reserve"};
    assert_int_equal(f->n_points, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(f->points[i].id, order[i]);
    /* sp-near at km 8: 3000 m / 2.0 m/s = 1500 s. Mass unknown: assumed to exceed, so
     * front = peak = arrival; set-up 3 h does not fit in 25 min. */
    const hl_forecast_point *p = hl_forecast_point_find(f, "sp-near");
    assert_true(fabs(p->travel_s - 1500) < 1e-9);
    assert_int_equal(p->front_ms, T0 + 1500000);
    assert_int_equal(p->peak_ms, p->front_ms);
    assert_true(p->exceeds && p->threatened);
    assert_false(p->ready_in_time);
    assert_true(p->peak_mg_l == 0);   /* not computed */
    assert_int_equal(p->clear_ms, 0); /* not computed */
    /* sp-res (12500 s, see test_season_choice) has set-up 1 h: ready in time. */
    assert_true(hl_forecast_point_find(f, "sp-res")->ready_in_time);
    /* rc-reserve at km 38: 2500 + 20000 + 26000/1.5 = 39833.33 s = 11.06 h, in the 48 h horizon */
    p = hl_forecast_point_find(f, "rc-reserve");
    assert_int_equal(p->arrival_ms, T0 + 39833333);
    assert_true(p->threatened);
    assert_true(f->velocities_unverified);
    assert_false(f->concentration_known);
    assert_non_null(strstr(f->method, "later issue"));
    hl_forecast_destroy(&f);

    /* Horizon 10 h: rc-reserve (11.06 h) is listed but not threatened: no front. */
    q.horizon_h = 10;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    p = hl_forecast_point_find(f, "rc-reserve");
    assert_false(p->within_horizon);
    assert_false(p->threatened);
    assert_int_equal(p->front_ms, 0);
    assert_int_equal(p->arrival_ms, T0 + 39833333);
    assert_true(hl_forecast_point_find(f, "rc-gw")->threatened); /* 7.73 h */
    hl_forecast_destroy(&f);

    /* Released below the unverified reaches (km 15, r3 only): the flag is 0. */
    q = release_at(15, HL_SEASON_SUMMER);
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_false(f->velocities_unverified);
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

static void test_plug_estimate(void **state)
{
    (void)state;
    hl_network *n = small();
    hl_forecast *f = NULL;
    /* 100 kg over 1000 s at km 5 in summer: Q = u A = 2.0 m/s × (50 m × 1 m) = 100 m³/s;
     * C = 1000 × M / (Q T) = 1000 × 100 / (100 × 1000) = 1 mg/L, 100 × the benzene limit. */
    hl_forecast_req q = release_at(5, HL_SEASON_SUMMER);
    q.mass_kg = 100;
    q.duration_s = 1000;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_true(fabs(f->plug_mg_l - 1.0) < 1e-12);
    assert_true(f->concentration_known);
    const hl_forecast_point *p = hl_forecast_point_find(f, "st-down");
    assert_true(fabs(p->peak_mg_l - 1.0) < 1e-12); /* a plug keeps its concentration */
    assert_true(p->exceeds);
    /* clear = front + duration: the plug is 1000 s long. */
    assert_int_equal(p->clear_ms, p->front_ms + 1000000);
    hl_forecast_destroy(&f);
    /* 0.5 kg: C = 1000 × 0.5 / (100 × 1000) = 0.005 mg/L < 0.01: nothing is threatened. */
    q.mass_kg = 0.5;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_true(fabs(f->plug_mg_l - 0.005) < 1e-12);
    for (size_t i = 0; i < f->n_points; i++) {
        assert_false(f->points[i].threatened);
        assert_int_equal(f->points[i].front_ms, 0);
        assert_true(f->points[i].arrival_ms > T0); /* the arrival is still forecast */
    }
    hl_forecast_destroy(&f);
    /* Limit unknown: assumed to exceed (an unknown plume is a plume). */
    q.limit_mg_l = 0;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    assert_true(hl_forecast_point_find(f, "st-down")->threatened);
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

static void test_observed_anchor(void **state)
{
    (void)state;
    hl_network *n = small();
    hl_forecast *f = NULL;
    hl_forecast_req q = release_at(0, HL_SEASON_SUMMER);
    q.anchor = HL_ANCHOR_OBSERVED;
    snprintf(q.station_id, sizeof q.station_id, "st-mid"); /* km 9 */
    q.observed_mg_l = 0.05;                                 /* 5 × the limit */
    q.start_ms = T0;                                        /* first exceedance at st-mid */
    q.now_ms = T0 + 600000;                                 /* plan made 10 min later */
    assert_int_equal(hl_forecast_run(n, &q, &f), 0);
    /* The observing station is not a point; sp-near (km 8) is upstream of it. */
    assert_null(hl_forecast_point_find(f, "st-mid"));
    assert_null(hl_forecast_point_find(f, "sp-near"));
    /* sp-res at km 11 from km 9: 1000/2.0 + 1000/0.1 = 500 + 10000 = 10500 s after T0. */
    const hl_forecast_point *p = hl_forecast_point_find(f, "sp-res");
    assert_int_equal(p->front_ms, T0 + 10500000);
    /* Ready: now + 1 h = T0 + 4200 s <= T0 + 10500 s. */
    assert_true(p->ready_in_time);
    /* The observation is carried down unchanged. */
    assert_true(p->peak_mg_l == 0.05);
    assert_int_equal(p->clear_ms, 0);
    hl_forecast_destroy(&f);
    /* An observation at a station that is not on the network is refused. */
    snprintf(q.station_id, sizeof q.station_id, "st-nowhere");
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    assert_null(f);
    hl_network_destroy(&n);
}

static void test_bad_requests(void **state)
{
    (void)state;
    hl_network *n = small();
    hl_forecast *f = NULL;
    hl_forecast_req q = release_at(41, HL_SEASON_SUMMER); /* past the last reach */
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    q = release_at(5, HL_SEASON_SUMMER);
    q.horizon_h = 0;
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    q.horizon_h = HL_FORECAST_MAX_HORIZON_H + 1;
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    q = release_at(5, HL_SEASON_SUMMER);
    q.mass_kg = -1;
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    q = release_at(5, HL_SEASON_COUNT);
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    assert_null(f);
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_travel_across_reaches), cmocka_unit_test(test_season_choice),
        cmocka_unit_test(test_release_points),        cmocka_unit_test(test_plug_estimate),
        cmocka_unit_test(test_observed_anchor),       cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
