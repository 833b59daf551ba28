/* stock_cover_test — what covers a list of materials soonest (services/stock/cover.h), on
 * hand-built depots: arrival = dispatch + great-circle km × detour / speed, partial cover and
 * shortfall, and the stated assumptions refused when out of range. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cover.h"
#include "hazlink/hl_error.h"

/* Depots on the equator (so 1° of longitude = 111.19508 km, reserve.h): A at 0.1° E
 * (11.1195 km), B at 0.2° E (22.2390 km). Detour 1.5, 60 km/h, so road minutes = km × 1.5:
 * A 16.679 min + 60 dispatch = 76.679; B 33.359 + 10 dispatch = 43.359. B is farther but
 * arrives first. */
static stock_depots *two_depots(double a_boom, double b_boom)
{
    stock_depots *ds = calloc(1, sizeof *ds);
    assert_non_null(ds);
    ds->detour_factor = 1.5;
    ds->speed_kmh = 60;
    const char *ids[] = {"dp-a", "dp-b"};
    double lon[] = {0.1, 0.2}, dispatch[] = {60, 10}, boom[] = {a_boom, b_boom};
    for (size_t i = 0; i < 2; i++) {
        stock_depot *d = &ds->items[ds->n++];
        snprintf(d->id, sizeof d->id, "%s", ids[i]);
        d->lat = 0;
        d->lon = lon[i];
        d->dispatch_min = dispatch[i];
        stock_level *l = &d->levels[d->nlevels++];
        snprintf(l->material_id, sizeof l->material_id, "boom");
        l->on_hand = l->available = boom[i];
    }
    return ds;
}

static stock_need need(const char *m, double q)
{
    stock_need n;
    memset(&n, 0, sizeof n);
    snprintf(n.material_id, sizeof n.material_id, "%s", m);
    n.quantity = q;
    return n;
}

static void stock_cover_soonest_first(void **state)
{
    (void)state;
    stock_depots *ds = two_depots(100, 50);
    stock_cover *c = stock_cover_new();
    assert_non_null(c);
    stock_need n[] = {need("boom", 120), need("pump", 2)};
    const int64_t t0 = 1780000000000;
    assert_int_equal(stock_cover_plan(ds, 0, 0, n, 2, t0, c), 0);
    assert_int_equal(c->nlines, 2);
    assert_string_equal(c->lines[0].depot_id, "dp-b");
    assert_float_equal(c->lines[0].quantity, 50, 1e-9);
    assert_float_equal(c->lines[0].straight_km, 22.23902, 1e-4);
    assert_float_equal(c->lines[0].road_km, 33.35852, 1e-4);
    assert_float_equal(c->lines[0].travel_min, 33.35852, 1e-4);
    assert_float_equal(c->lines[0].dispatch_min, 10, 0);
    assert_true(llabs(c->lines[0].arrival_ms - (t0 + llround(43.35852 * 60000))) <= 1);
    assert_string_equal(c->lines[1].depot_id, "dp-a");
    assert_float_equal(c->lines[1].quantity, 70, 1e-9);
    assert_true(llabs(c->lines[1].arrival_ms - (t0 + llround(76.67926 * 60000))) <= 1);
    /* boom complete when A arrives; pumps held nowhere: all short, no completion time. */
    assert_int_equal(c->nneeds, 2);
    assert_float_equal(c->needs[0].covered, 120, 1e-9);
    assert_float_equal(c->needs[0].shortfall, 0, 0);
    assert_int_equal(c->needs[0].complete_ms, c->lines[1].arrival_ms);
    assert_float_equal(c->needs[1].covered, 0, 0);
    assert_float_equal(c->needs[1].shortfall, 2, 0);
    assert_int_equal(c->needs[1].complete_ms, 0);

    /* Partial: 200 m asked, 150 m held; the same material twice is not promised twice. */
    stock_need twice[] = {need("boom", 100), need("boom", 100)};
    assert_int_equal(stock_cover_plan(ds, 0, 0, twice, 2, t0, c), 0);
    assert_float_equal(c->needs[0].covered, 100, 1e-9);
    assert_float_equal(c->needs[1].covered, 50, 1e-9);
    assert_float_equal(c->needs[1].shortfall, 50, 1e-9);
    assert_int_equal(c->nlines, 3);
    assert_string_equal(c->lines[2].depot_id, "dp-a");

    /* With no detour and no dispatch time the nearest arrives first again. */
    ds->detour_factor = 1.0;
    ds->items[0].dispatch_min = ds->items[1].dispatch_min = 0;
    assert_int_equal(stock_cover_plan(ds, 0, 0, n, 1, t0, c), 0);
    assert_string_equal(c->lines[0].depot_id, "dp-a");
    stock_cover_destroy(&c);
    assert_null(c);
    stock_cover_destroy(&c);
    free(ds);
}

/* The assumptions are data: out of their stated ranges they are refused, not used. */
static void stock_cover_bad_input(void **state)
{
    (void)state;
    stock_depots *ds = two_depots(10, 10);
    stock_cover *c = stock_cover_new();
    stock_need n = need("boom", 1);
    assert_int_equal(stock_cover_plan(ds, 91, 0, &n, 1, 0, c), HL_EINVAL);
    assert_int_equal(stock_cover_plan(ds, 0, NAN, &n, 1, 0, c), HL_EINVAL);
    ds->detour_factor = 0.9;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    ds->detour_factor = STOCK_DETOUR_MAX + 0.1;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    ds->detour_factor = 1.3;
    ds->speed_kmh = 0;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    ds->speed_kmh = STOCK_SPEED_MAX_KMH + 1;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    ds->speed_kmh = 50;
    ds->items[1].dispatch_min = -1;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    ds->items[1].dispatch_min = 10;
    n.quantity = -1;
    assert_int_equal(stock_cover_plan(ds, 0, 0, &n, 1, 0, c), HL_EINVAL);
    assert_int_equal(c->nlines, 0);
    assert_int_equal(c->nneeds, 0);
    /* STOCK_LINES_MAX needs at most. */
    stock_need *many = calloc(STOCK_LINES_MAX + 1, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i <= STOCK_LINES_MAX; i++)
        many[i] = need("boom", 0);
    assert_int_equal(stock_cover_plan(ds, 0, 0, many, STOCK_LINES_MAX, 0, c), 0);
    assert_int_equal(c->nneeds, STOCK_LINES_MAX);
    assert_int_equal(stock_cover_plan(ds, 0, 0, many, STOCK_LINES_MAX + 1, 0, c), HL_ETOOBIG);
    free(many);
    stock_cover_destroy(&c);
    free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_cover_soonest_first),
        cmocka_unit_test(stock_cover_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
