/* stock_reserve_test — the reservation planner and reservation states
 * (services/stock/reserve.h), on hand-built depots. What a depot can promise
 * (stock_level.available) is given here; the ledger that computes it is tested in
 * stock_ledger_test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "reserve.h"

/* Three depots on a north–south line at longitude 85: A at 44.0, B at 44.1, C at 44.3.
 * An incident at (44.0, 85.0) is 0 km from A, ~11.1 km from B and ~33.4 km from C. */
static stock_depots *three_depots(double a_sand, double b_sand, double c_sand)
{
    stock_depots *ds = calloc(1, sizeof *ds);
    assert_non_null(ds);
    const char *ids[] = {"dp-a", "dp-b", "dp-c"};
    double lats[] = {44.0, 44.1, 44.3};
    double sand[] = {a_sand, b_sand, c_sand};
    for (size_t i = 0; i < 3; i++) {
        stock_depot *d = &ds->items[ds->n++];
        snprintf(d->id, sizeof d->id, "%s", ids[i]);
        d->lat = lats[i];
        d->lon = 85.0;
        d->nlevels = 2;
        snprintf(d->levels[0].material_id, sizeof d->levels[0].material_id, "sandbag");
        d->levels[0].on_hand = d->levels[0].available = sand[i];
        snprintf(d->levels[1].material_id, sizeof d->levels[1].material_id, "boom");
        d->levels[1].on_hand = d->levels[1].available = 100;
    }
    return ds;
}

static stock_need need(const char *material, double q)
{
    stock_need n;
    memset(&n, 0, sizeof n);
    snprintf(n.material_id, sizeof n.material_id, "%s", material);
    n.quantity = q;
    return n;
}

/* Haversine against hand-computed values (reserve.h gives the formula; R = 6371.0088 km).
 * 1. Along the equator, 1° of longitude: a = sin²(0.5°), d = 2R·asin(sin 0.5°) = R·π/180
 *    = 6371.0088 × 0.0174532925 = 111.19508 km.
 * 2. Kuitun City centre (44.41963, 84.90118) to Huyanghe City centre (44.6925, 84.825):
 *    Δφ = 0.27287° = 0.00476248 rad, Δλ = −0.07618° = −0.00132959 rad,
 *    sin²(Δφ/2) = 5.67029e-6, cos φ1·cos φ2 = 0.507742, sin²(Δλ/2) = 4.41954e-7,
 *    a = 5.67029e-6 + 0.507742 × 4.41954e-7 = 5.89469e-6,
 *    d = 2 × 6371.0088 × asin(√5.89469e-6) = 2 × 6371.0088 × 0.00242790 = 30.936 km. */
static void stock_distance_hand_computed(void **state)
{
    (void)state;
    assert_float_equal(stock_distance_km(0, 0, 0, 1), 111.19508, 1e-4);
    assert_float_equal(stock_distance_km(44.41963, 84.90118, 44.6925, 84.825), 30.936, 1e-3);
    /* Symmetric, zero for the same point, NaN for non-finite input. */
    assert_float_equal(stock_distance_km(44.6925, 84.825, 44.41963, 84.90118), 30.936, 1e-3);
    assert_float_equal(stock_distance_km(44.0, 85.0, 44.0, 85.0), 0.0, 1e-12);
    assert_true(isnan(stock_distance_km(NAN, 85.0, 44.0, 85.0)));
    /* Antipodes: half the circumference, not NaN from rounding. */
    assert_float_equal(stock_distance_km(0, 0, 0, 180), M_PI * STOCK_EARTH_RADIUS_KM, 1e-6);
}

static void stock_nearest_depot_chosen(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(1000, 1000, 1000);
    stock_plan *p = stock_plan_new();
    assert_non_null(p);
    /* Incident next to B: B alone covers the need. */
    stock_need n = need("sandbag", 500);
    assert_int_equal(stock_reserve_plan(ds, 44.11, 85.0, &n, 1, p), 0);
    assert_int_equal(p->nlines, 1);
    assert_string_equal(p->lines[0].depot_id, "dp-b");
    assert_float_equal(p->lines[0].quantity, 500, 1e-9);
    assert_float_equal(p->lines[0].distance_km, stock_distance_km(44.11, 85, 44.1, 85), 1e-9);
    assert_int_equal(p->nshort, 0);
    assert_int_equal(stock_plan_state(p), STOCK_RSV_RESERVED);
    /* Planning changes nothing in the depots it reads. */
    assert_float_equal(ds->items[1].levels[0].available, 1000, 0);
    assert_float_equal(ds->items[1].levels[0].reserved, 0, 0);
    stock_plan_destroy(&p);
    assert_null(p);
    free(ds);
}

static void stock_split_across_depots(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(300, 200, 1000);
    stock_plan *p = stock_plan_new();
    stock_need n = need("sandbag", 700);
    assert_int_equal(stock_reserve_plan(ds, 44.0, 85.0, &n, 1, p), 0);
    /* Nearest first: all of A (300), all of B (200), the rest (200) from C. */
    assert_int_equal(p->nlines, 3);
    assert_string_equal(p->lines[0].depot_id, "dp-a");
    assert_float_equal(p->lines[0].quantity, 300, 1e-9);
    assert_string_equal(p->lines[1].depot_id, "dp-b");
    assert_float_equal(p->lines[1].quantity, 200, 1e-9);
    assert_string_equal(p->lines[2].depot_id, "dp-c");
    assert_float_equal(p->lines[2].quantity, 200, 1e-9);
    assert_true(p->lines[0].distance_km < p->lines[1].distance_km);
    assert_true(p->lines[1].distance_km < p->lines[2].distance_km);
    assert_int_equal(p->nshort, 0);
    stock_plan_destroy(&p);
    free(ds);
}

static void stock_shortfall_stated(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(100, 100, 100);
    stock_plan *p = stock_plan_new();
    stock_need n[] = {need("sandbag", 450), need("boom", 50), need("activated-carbon", 2.5)};
    assert_int_equal(stock_reserve_plan(ds, 44.0, 85.0, n, 3, p), 0);
    /* Sandbags: 300 in all, 150 short. Boom: covered by A. Carbon: held nowhere, all short. */
    assert_int_equal(p->nlines, 4);
    assert_int_equal(p->nshort, 2);
    assert_string_equal(p->shortfall[0].material_id, "sandbag");
    assert_float_equal(p->shortfall[0].quantity, 150, 1e-9);
    assert_string_equal(p->shortfall[1].material_id, "activated-carbon");
    assert_float_equal(p->shortfall[1].quantity, 2.5, 1e-9);
    assert_int_equal(stock_plan_state(p), STOCK_RSV_PARTIAL);
    stock_plan_destroy(&p);
    free(ds);
}

static void stock_never_over_available(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(10, 0, 0);
    /* A holds 10 but 8 are promised already: only 2 can be offered. */
    ds->items[0].levels[0].reserved = 8;
    ds->items[0].levels[0].available = 2;
    stock_plan *p = stock_plan_new();
    stock_need n = need("sandbag", 5);
    assert_int_equal(stock_reserve_plan(ds, 44.0, 85.0, &n, 1, p), 0);
    assert_int_equal(p->nlines, 1);
    assert_float_equal(p->lines[0].quantity, 2, 1e-9);
    assert_int_equal(p->nshort, 1);
    assert_float_equal(p->shortfall[0].quantity, 3, 1e-9);
    /* A level whose available went below zero (a lot expired under a reservation) offers
     * nothing, and no negative line. */
    ds->items[0].levels[0].available = -1;
    assert_float_equal(stock_level_available(&ds->items[0].levels[0]), 0, 0);
    assert_int_equal(stock_reserve_plan(ds, 44.0, 85.0, &n, 1, p), 0);
    assert_int_equal(p->nlines, 0);
    assert_float_equal(p->shortfall[0].quantity, 5, 1e-9);
    /* A material named twice in one request cannot be promised twice. */
    stock_need twice[] = {need("boom", 80), need("boom", 80)};
    stock_depots *one = three_depots(0, 0, 0);
    one->n = 1;
    assert_int_equal(stock_reserve_plan(one, 44.0, 85.0, twice, 2, p), 0);
    assert_int_equal(p->nlines, 2); /* 80, then the 20 left of dp-a's 100 */
    assert_float_equal(p->lines[0].quantity, 80, 1e-9);
    assert_float_equal(p->lines[1].quantity, 20, 1e-9);
    assert_int_equal(p->nshort, 1);
    assert_float_equal(p->shortfall[0].quantity, 60, 1e-9);
    stock_plan_destroy(&p);
    free(one);
    free(ds);
}

/* The planner behind reserve and cover takes depots in the order of the key it is given,
 * equal keys in file order, and records the distance it is given. */
static void stock_plan_ordered_by_key(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(100, 100, 100);
    stock_plan *p = stock_plan_new();
    stock_need n = need("sandbag", 250);
    double key[] = {30, 10, 10}, dist[] = {1, 2, 3};
    assert_int_equal(stock_plan_ordered(ds, key, dist, &n, 1, p), 0);
    assert_int_equal(p->nlines, 3);
    assert_string_equal(p->lines[0].depot_id, "dp-b");
    assert_float_equal(p->lines[0].distance_km, 2, 0);
    assert_string_equal(p->lines[1].depot_id, "dp-c");
    assert_string_equal(p->lines[2].depot_id, "dp-a");
    assert_float_equal(p->lines[2].quantity, 50, 1e-9);
    stock_plan_destroy(&p);
    free(ds);
}

/* Every (state, action) pair against the diagram in reserve.h. */
static void stock_state_transitions(void **state)
{
    (void)state;
    static const struct {
        stock_rsv_state from;
        stock_rsv_action act;
        int rc;
        stock_rsv_state to;
    } cases[] = {
        {STOCK_RSV_RESERVED, STOCK_ACT_RELEASE, 0, STOCK_RSV_RELEASED},
        {STOCK_RSV_RESERVED, STOCK_ACT_ISSUE, 0, STOCK_RSV_ISSUED},
        {STOCK_RSV_PARTIAL, STOCK_ACT_RELEASE, 0, STOCK_RSV_RELEASED},
        {STOCK_RSV_PARTIAL, STOCK_ACT_ISSUE, 0, STOCK_RSV_ISSUED},
        {STOCK_RSV_RELEASED, STOCK_ACT_RELEASE, HL_ESTATE, 0},
        {STOCK_RSV_RELEASED, STOCK_ACT_ISSUE, HL_ESTATE, 0},
        {STOCK_RSV_ISSUED, STOCK_ACT_RELEASE, HL_ESTATE, 0},
        {STOCK_RSV_ISSUED, STOCK_ACT_ISSUE, HL_ESTATE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        stock_rsv_state to = (stock_rsv_state)99;
        assert_int_equal(stock_rsv_transition(cases[i].from, cases[i].act, &to), cases[i].rc);
        if (cases[i].rc == 0)
            assert_int_equal(to, cases[i].to);
        else
            assert_int_equal(to, 99);
    }
    stock_rsv_state s;
    stock_rsv_action a;
    for (int i = STOCK_RSV_RESERVED; i <= STOCK_RSV_ISSUED; i++) {
        assert_int_equal(stock_rsv_state_parse(stock_rsv_state_name((stock_rsv_state)i), &s), 0);
        assert_int_equal(s, i);
    }
    assert_string_equal(stock_rsv_state_name((stock_rsv_state)7), "?");
    assert_int_equal(stock_rsv_state_parse("cancelled", &s), HL_EINVAL);
    assert_int_equal(stock_rsv_action_parse("", &a), 0);
    assert_int_equal(a, STOCK_ACT_RELEASE);
    assert_int_equal(stock_rsv_action_parse("issue", &a), 0);
    assert_int_equal(a, STOCK_ACT_ISSUE);
    assert_int_equal(stock_rsv_action_parse("destroy", &a), HL_EINVAL);
}

static void stock_plan_bad_input(void **state)
{
    (void)state;
    stock_depots *ds = three_depots(10, 10, 10);
    stock_plan *p = stock_plan_new();
    stock_need n = need("sandbag", 1);
    assert_int_equal(stock_reserve_plan(ds, 91, 85, &n, 1, p), HL_EINVAL);
    assert_int_equal(stock_reserve_plan(ds, 44, -181, &n, 1, p), HL_EINVAL);
    assert_int_equal(stock_reserve_plan(ds, NAN, 85, &n, 1, p), HL_EINVAL);
    n.quantity = -1;
    assert_int_equal(stock_reserve_plan(ds, 44, 85, &n, 1, p), HL_EINVAL);
    n.quantity = NAN;
    assert_int_equal(stock_reserve_plan(ds, 44, 85, &n, 1, p), HL_EINVAL);
    n.quantity = INFINITY;
    assert_int_equal(stock_reserve_plan(ds, 44, 85, &n, 1, p), HL_EINVAL);
    n.quantity = STOCK_QTY_MAX * 2;
    assert_int_equal(stock_reserve_plan(ds, 44, 85, &n, 1, p), HL_EINVAL);
    /* Zero: nothing to take, nothing short. */
    n.quantity = 0;
    assert_int_equal(stock_reserve_plan(ds, 44, 85, &n, 1, p), 0);
    assert_int_equal(p->nlines, 0);
    assert_int_equal(p->nshort, 0);
    stock_plan_destroy(&p);
    free(ds);
}

/* STOCK_LINES_MAX bounds needs and lines: 1001 needs are refused; 16 needs that each split
 * over 64 depots (one unit of each of 16 materials per depot) would make 1024 lines and are
 * refused whole, while 15 of them (960 lines) pass. */
static void stock_plan_limits(void **state)
{
    (void)state;
    stock_plan *p = stock_plan_new();
    stock_need *many = calloc(STOCK_LINES_MAX + 1, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i <= STOCK_LINES_MAX; i++)
        many[i] = need("sandbag", 1);
    stock_depots *ds = three_depots(5000, 0, 0);
    assert_int_equal(stock_reserve_plan(ds, 44, 85, many, STOCK_LINES_MAX, p), 0);
    assert_int_equal(p->nlines, STOCK_LINES_MAX);
    assert_int_equal(stock_reserve_plan(ds, 44, 85, many, STOCK_LINES_MAX + 1, p), HL_ETOOBIG);
    assert_int_equal(p->nlines, 0);
    free(ds);

    ds = calloc(1, sizeof *ds);
    assert_non_null(ds);
    for (size_t i = 0; i < STOCK_DEPOTS_MAX; i++) {
        stock_depot *d = &ds->items[ds->n++];
        snprintf(d->id, sizeof d->id, "dp-%zu", i);
        d->lat = 44 + 0.01 * (double)i;
        d->lon = 85;
        for (size_t m = 0; m < 16; m++) {
            stock_level *l = &d->levels[d->nlevels++];
            snprintf(l->material_id, sizeof l->material_id, "m%zu", m);
            l->on_hand = l->available = 1;
        }
    }
    for (size_t m = 0; m < 16; m++) {
        char id[8];
        snprintf(id, sizeof id, "m%zu", m);
        many[m] = need(id, STOCK_DEPOTS_MAX);
    }
    assert_int_equal(stock_reserve_plan(ds, 44, 85, many, 15, p), 0);
    assert_int_equal(p->nlines, 15 * STOCK_DEPOTS_MAX);
    assert_int_equal(p->nshort, 0);
    assert_int_equal(stock_reserve_plan(ds, 44, 85, many, 16, p), HL_ETOOBIG);
    assert_int_equal(p->nlines, 0);
    assert_int_equal(p->nshort, 0);
    free(ds);
    free(many);
    stock_plan_destroy(&p);
    stock_plan_destroy(&p); /* accepts the cleared pointer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_distance_hand_computed),
        cmocka_unit_test(stock_nearest_depot_chosen),
        cmocka_unit_test(stock_split_across_depots),
        cmocka_unit_test(stock_shortfall_stated),
        cmocka_unit_test(stock_never_over_available),
        cmocka_unit_test(stock_plan_ordered_by_key),
        cmocka_unit_test(stock_state_transitions),
        cmocka_unit_test(stock_plan_bad_input),
        cmocka_unit_test(stock_plan_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
