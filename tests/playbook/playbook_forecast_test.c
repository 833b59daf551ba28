/* Tests of the forecast (lib/domain/forecast.c). On the small fixture network
 * (tests/playbook/data/small/river.yaml), which gives no dispersion (K = 0: plug flow, so
 * travel times are exact by hand), whose reaches are
 *     r1  0–10 km channel    velocities [spring, summer, autumn, winter] = [1.0, 2.0, 0.5, 0.25] m/s
 *     r2 10–12 km reservoir                                              [0.05, 0.1, 0.05, 0.02]
 *     r3 12–40 km channel                                                [1.0, 1.5, 0.75, 0.5]
 * and on the dispersion fixture (data/disp: d1 0–10 km u 1.0 m/s K 20 m²/s, d2 10–30 km
 * u 0.5 m/s K 10 m²/s, Q 50 m³/s) for re-anchoring. The analytical accuracy of the
 * dispersion model itself is tested in playbook_plume_test.c. Every expected time is worked
 * out by hand in the comments or derived from the model's own unanchored run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* The method names the model and the K of each reach (none here: plug flow); the
     * caveats say the velocities are unverified first, then what else is missing. */
    assert_non_null(strstr(f->method, "advection-dispersion-decay"));
    assert_non_null(strstr(f->method, "r1 0 (none)"));
    assert_true(strncmp(f->caveats, "Velocities are hazlink assumptions (unverified)", 47) == 0);
    assert_non_null(strstr(f->caveats, "No dispersion in r1, r2, r3"));
    assert_non_null(strstr(f->caveats, "Release mass unknown"));
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
    /* The reading is held with no known end (plume.h HL_SRC_STEPS): carried down at its
     * value (plug flow here), no clear time, no volume. */
    assert_true(p->peak_mg_l == 0.05);
    assert_int_equal(p->clear_ms, 0);
    assert_true(p->open_ended);
    assert_true(p->volume_m3 == 0);
    assert_int_equal(f->source, HL_SRC_STEPS);
    assert_non_null(strstr(f->caveats, "The end of the plume has not been observed"));
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
    /* Readings: at most HL_FORECAST_MAX_OBS, at stations of the network, values > 0. */
    q = release_at(5, HL_SEASON_SUMMER);
    q.n_obs = HL_FORECAST_MAX_OBS + 1;
    for (size_t i = 0; i < HL_FORECAST_MAX_OBS; i++) {
        snprintf(q.obs[i].station_id, sizeof q.obs[i].station_id, "st-down");
        q.obs[i].value_mg_l = 0.1;
    }
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    q.n_obs = HL_FORECAST_MAX_OBS;
    assert_int_equal(hl_forecast_run(n, &q, &f), 0); /* the limit itself is accepted */
    hl_forecast_destroy(&f);
    q.n_obs = 1;
    snprintf(q.obs[0].station_id, sizeof q.obs[0].station_id, "st-nowhere");
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    snprintf(q.obs[0].station_id, sizeof q.obs[0].station_id, "st-down");
    q.obs[0].value_mg_l = 0;
    assert_int_equal(hl_forecast_run(n, &q, &f), HL_EINVAL);
    assert_null(f);
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

static hl_network *disp(void)
{
    hl_network *n = NULL;
    char err[512];
    if (hl_network_load(HL_TEST_DATA_DIR "/disp", &n, err, sizeof err))
        fail_msg("%s", err);
    return n;
}

static hl_forecast *run(const hl_network *n, const hl_forecast_req *q)
{
    hl_forecast *f = NULL;
    assert_int_equal(hl_forecast_run(n, q, &f), 0);
    return f;
}

static void add_obs(hl_forecast_req *q, const char *st, double v, int64_t at)
{
    hl_observation *o = &q->obs[q->n_obs++];
    snprintf(o->station_id, sizeof o->station_id, "%s", st);
    o->value_mg_l = v;
    o->at_ms = at;
}

static int close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fabs(b);
}

/* Re-anchoring when the peak has been seen (forecast.h): 100 kg at km 0 at T0 on the
 * dispersion fixture; readings at st-b (km 15) of 0.3 mg/L at the model's peak time + 20 min
 * and 0.2 mg/L 30 min later (turned down: the 0.3 is the peak). At st-b the forecast's peak
 * becomes exactly the reading and its time; at and below it concentrations scale by
 * 0.3 / model peak and times shift by +20 min; upstream (st-a) nothing changes. */
static void test_reanchor_peak_seen(void **state)
{
    (void)state;
    hl_network *n = disp();
    hl_forecast_req q = release_at(0, HL_SEASON_SUMMER);
    q.mass_kg = 100;
    q.horizon_h = 48;
    hl_forecast *base = run(n, &q);
    const hl_forecast_point *b0 = hl_forecast_point_find(base, "st-b");
    /* τ(st-b) = 10000/1.0 + 5000/0.5 = 20 000 s; the slug's peak slightly before it. */
    assert_true(b0->peak_ms > T0 + 19000000 && b0->peak_ms < T0 + 20000000);
    int64_t t_obs = b0->peak_ms + 1200000;
    add_obs(&q, "st-b", 0.3, t_obs);
    add_obs(&q, "st-b", 0.2, t_obs + 1800000);
    hl_forecast *f = run(n, &q);
    double scale = 0.3 / b0->peak_mg_l;
    const hl_forecast_point *b = hl_forecast_point_find(f, "st-b");
    print_message("    model at st-b %.4g mg/L at T0+%.0f s; observed 0.3 at T0+%.0f s: x%.4g, "
                  "+1200 s\n",
                  b0->peak_mg_l, (b0->peak_ms - T0) / 1000.0, (t_obs - T0) / 1000.0, scale);
    assert_true(close_rel(b->peak_mg_l, 0.3, 1e-9));
    assert_true(llabs(b->peak_ms - t_obs) <= 1);
    assert_int_equal(f->n_reanchors, 1);
    const hl_reanchor *r = &f->reanchors[0];
    assert_true(r->applied && r->peak_seen);
    assert_true(close_rel(r->scale, scale, 1e-12) && fabs(r->shift_s - 1200) < 1e-3);
    assert_non_null(strstr(r->note, "observed peak 0.3 mg/L replaces the model's"));
    assert_true(b->reanchor == 1);
    /* Below: st-c, sp-big, rc-w, rc-far scaled and shifted. */
    const char *down[] = {"st-c", "sp-big", "rc-w", "rc-far"};
    for (size_t i = 0; i < 4; i++) {
        const hl_forecast_point *p0 = hl_forecast_point_find(base, down[i]);
        const hl_forecast_point *p1 = hl_forecast_point_find(f, down[i]);
        assert_true(close_rel(p1->peak_mg_l, p0->peak_mg_l * scale, 1e-9));
        assert_true(llabs(p1->peak_ms - (p0->peak_ms + 1200000)) <= 1);
        assert_true(p1->reanchor == 1);
    }
    /* Above: st-a and sp-small keep the model. */
    const char *up[] = {"st-a", "sp-small"};
    for (size_t i = 0; i < 2; i++) {
        const hl_forecast_point *p0 = hl_forecast_point_find(base, up[i]);
        const hl_forecast_point *p1 = hl_forecast_point_find(f, up[i]);
        assert_true(p1->peak_mg_l == p0->peak_mg_l && p1->front_ms == p0->front_ms);
        assert_int_equal(p1->reanchor, 0);
    }
    hl_forecast_destroy(&f);
    hl_forecast_destroy(&base);
    hl_network_destroy(&n);
}

/* Before the peak is seen (one reading, before the model's peak time): a reading above the
 * model at its time scales the model up without a shift; one within the model changes
 * nothing; a reading upstream of the release is ignored and said so. */
static void test_reanchor_rising(void **state)
{
    (void)state;
    hl_network *n = disp();
    hl_forecast_req q = release_at(6, HL_SEASON_SUMMER); /* km 6, below st-a (km 5) */
    q.mass_kg = 100;
    q.horizon_h = 48;
    hl_forecast *base = run(n, &q);
    const hl_forecast_point *c0 = hl_forecast_point_find(base, "st-c");
    int64_t t = c0->peak_ms - 1800000; /* half an hour before the model's peak */
    add_obs(&q, "st-c", 10.0, t);      /* far above anything the model has there */
    add_obs(&q, "st-a", 1.0, T0);      /* upstream of the release */
    hl_forecast *f = run(n, &q);
    assert_int_equal(f->n_reanchors, 2);
    const hl_reanchor *ra = NULL, *rc = NULL;
    for (size_t i = 0; i < 2; i++)
        if (strcmp(f->reanchors[i].station_id, "st-a") == 0)
            ra = &f->reanchors[i];
        else
            rc = &f->reanchors[i];
    assert_non_null(ra);
    assert_non_null(rc);
    assert_false(ra->applied);
    assert_non_null(strstr(ra->note, "upstream of the anchor: reading ignored"));
    assert_true(rc->applied && !rc->peak_seen && rc->shift_s == 0 && rc->scale > 1);
    const hl_forecast_point *c1 = hl_forecast_point_find(f, "st-c");
    assert_true(close_rel(c1->peak_mg_l, c0->peak_mg_l * rc->scale, 1e-9));
    assert_int_equal(c1->peak_ms, c0->peak_ms);
    hl_forecast_destroy(&f);
    /* Within the model: kept. */
    q.n_obs = 0;
    add_obs(&q, "st-c", 1e-9, t);
    f = run(n, &q);
    assert_false(f->reanchors[0].applied);
    assert_non_null(strstr(f->reanchors[0].note, "model kept"));
    assert_true(hl_forecast_point_find(f, "st-c")->peak_mg_l == c0->peak_mg_l);
    hl_forecast_destroy(&f);
    hl_forecast_destroy(&base);
    hl_network_destroy(&n);
}

/* A release of unknown mass: no concentration anywhere (assumed to exceed, front = arrival)
 * until a reading whose peak has been seen sizes it; then concentrations are known at and
 * below that station, still unknown above it. */
static void test_reanchor_sizes_unknown_mass(void **state)
{
    (void)state;
    hl_network *n = disp();
    hl_forecast_req q = release_at(0, HL_SEASON_SUMMER);
    q.horizon_h = 48;
    hl_forecast *f = run(n, &q);
    const hl_forecast_point *b = hl_forecast_point_find(f, "st-b");
    assert_false(b->concentration_known);
    assert_true(b->threatened && b->front_ms == b->arrival_ms && b->peak_mg_l == 0);
    int64_t t_obs = b->arrival_ms;
    hl_forecast_destroy(&f);
    add_obs(&q, "st-b", 0.5, t_obs);
    add_obs(&q, "st-b", 0.1, t_obs + 3600000);
    f = run(n, &q);
    b = hl_forecast_point_find(f, "st-b");
    assert_true(b->concentration_known && close_rel(b->peak_mg_l, 0.5, 1e-9));
    assert_true(f->concentration_known);
    assert_true(hl_forecast_point_find(f, "st-c")->concentration_known);
    assert_true(hl_forecast_point_find(f, "st-c")->clear_ms > 0);
    assert_false(hl_forecast_point_find(f, "st-a")->concentration_known);
    assert_non_null(strstr(f->reanchors[0].note, "release mass unknown: sized by this reading"));
    hl_forecast_destroy(&f);
    hl_network_destroy(&n);
}

/* An observed anchor: the readings at the anchor station are held as a running maximum from
 * their times (plume.h HL_SRC_STEPS). 0.05 mg/L at st-a at T0, 0.2 at T0 + 10 min, 0.1 at
 * T0 + 20 min (lower: changes nothing). Downstream the plateau is 0.2 mg/L (no decay, same
 * Q), reached later than with 0.05 alone would have crossed the limit; nothing clears. */
static void test_observed_steps(void **state)
{
    (void)state;
    hl_network *n = disp();
    hl_forecast_req q = release_at(0, HL_SEASON_SUMMER);
    q.anchor = HL_ANCHOR_OBSERVED;
    snprintf(q.station_id, sizeof q.station_id, "st-a");
    q.observed_mg_l = 0.05;
    q.horizon_h = 48;
    hl_forecast *f0 = run(n, &q);
    add_obs(&q, "st-a", 0.2, T0 + 600000);
    add_obs(&q, "st-a", 0.1, T0 + 1200000);
    hl_forecast *f = run(n, &q);
    assert_true(f->plug_mg_l == 0.2);
    assert_int_equal(f->n_reanchors, 0); /* the anchor station's readings are the source */
    const hl_forecast_point *c0 = hl_forecast_point_find(f0, "st-c");
    const hl_forecast_point *c = hl_forecast_point_find(f, "st-c");
    assert_true(close_rel(c0->peak_mg_l, 0.05, 1e-12) && close_rel(c->peak_mg_l, 0.2, 1e-12));
    assert_true(c->open_ended && c->clear_ms == 0 && c->threatened);
    /* The higher step arrives on top of the first: the limit is crossed no later. */
    assert_true(c->front_ms <= c0->front_ms);
    /* τ(st-a → st-c) = 5000/1.0 + 15000/0.5 = 35 000 s; the 99 % plateau after it. */
    assert_true(c->peak_ms > T0 + 35000000);
    hl_forecast_destroy(&f);
    hl_forecast_destroy(&f0);
    hl_network_destroy(&n);
}

/* The Kuitun data with its dispersion formulas (river.yaml: Kashefipour & Falconer 2002 on
 * the channels, K given for the reservoirs): the method names each reach's K; the fronts of
 * a release at the Dushanzi outfall are non-decreasing down the river (the equivalent-channel
 * approximation must not send a front through a reservoir faster than the water, plume.h);
 * every point below the release is reached with the velocities flagged unverified. */
static void test_kuitun_dispersion(void **state)
{
    (void)state;
    hl_network *n = NULL;
    char err[512];
    if (hl_network_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun", &n, err, sizeof err))
        fail_msg("%s", err);
    for (int season = 0; season < HL_SEASON_COUNT; season++) {
        hl_forecast_req q = release_at(22, (hl_season)season);
        q.mass_kg = 2000;
        q.duration_s = 1800;
        q.horizon_h = 720;
        hl_forecast *f = run(n, &q);
        assert_true(f->velocities_unverified);
        assert_non_null(strstr(f->method, "r02-dsz-kuitun"));
        assert_non_null(strstr(f->method, "(kashefipour-falconer-2002)"));
        assert_non_null(strstr(f->method, "r05-kuitun-res 30 (given)"));
        int64_t last = 0;
        for (size_t i = 0; i < f->n_points; i++) {
            const hl_forecast_point *p = &f->points[i];
            assert_true(p->concentration_known);
            if (!p->threatened)
                continue;
            if (p->front_ms < last)
                fail_msg("%s: front at %s before the front upstream", hl_season_name(season),
                         p->id);
            last = p->front_ms;
        }
        hl_forecast_destroy(&f);
    }
    hl_network_destroy(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_travel_across_reaches), cmocka_unit_test(test_season_choice),
        cmocka_unit_test(test_release_points),        cmocka_unit_test(test_plug_estimate),
        cmocka_unit_test(test_observed_anchor),       cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_reanchor_peak_seen),    cmocka_unit_test(test_reanchor_rising),
        cmocka_unit_test(test_reanchor_sizes_unknown_mass),
        cmocka_unit_test(test_observed_steps),        cmocka_unit_test(test_kuitun_dispersion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
