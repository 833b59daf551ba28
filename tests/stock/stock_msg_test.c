/* stock_msg_test — validation of ReserveRequest and the Reservation built from a plan
 * (services/stock/stock_msg.h). Every refusal names the field the error reply carries. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "stock_msg.h"

static stock_catalogue cat;

static int setup(void **state)
{
    (void)state;
    char err[512];
    return stock_materials_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/materials.yaml", &cat, err,
                                sizeof err);
}

/* A valid request with two needs; tests break one thing at a time. */
typedef struct req {
    Hl__ReserveRequest q;
    Hl__GeoPoint near;
    Hl__MaterialNeed n[2];
    Hl__MaterialNeed *np[2];
} req;

static void req_init(req *r)
{
    hl__reserve_request__init(&r->q);
    hl__geo_point__init(&r->near);
    r->near.lat = 44.38;
    r->near.lon = 84.85;
    r->near.confidence = "low";
    r->q.incident_id = "inc-1";
    r->q.plan_id = "plan-1";
    r->q.near = &r->near;
    r->q.purpose = "intercept at sp-g30-bridge";
    for (int i = 0; i < 2; i++) {
        hl__material_need__init(&r->n[i]);
        r->np[i] = &r->n[i];
    }
    r->n[0].material_id = "sandbag";
    r->n[0].quantity = 2000;
    r->n[0].unit = "bag";
    r->n[1].material_id = "activated-carbon";
    r->n[1].quantity = 1.5;
    r->n[1].unit = "吨";
    r->q.n_needs = 2;
    r->q.needs = r->np;
}

static void expect(const req *r, int rc, const char *field, const char *what)
{
    char f[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    int got = stock_msg_check_reserve(&r->q, &cat, f, why);
    if (got != rc)
        fprintf(stderr, "expected %d got %d: %s: %s\n", rc, got, f, why);
    assert_int_equal(got, rc);
    if (field) {
        assert_string_equal(f, field);
        assert_non_null(strstr(why, what));
    }
}

static void stock_msg_check_fields(void **state)
{
    (void)state;
    req r;
    req_init(&r);
    expect(&r, 0, NULL, NULL);

    req_init(&r);
    r.q.incident_id = "";
    expect(&r, HL_EINVAL, "reserve.incident_id", "empty");

    req_init(&r);
    r.q.incident_id = "inc 1";
    expect(&r, HL_EINVAL, "reserve.incident_id", "not an id");

    req_init(&r);
    r.q.plan_id = "p/1";
    expect(&r, HL_EINVAL, "reserve.plan_id", "not an id");

    req_init(&r);
    r.q.near = NULL;
    expect(&r, HL_EINVAL, "reserve.near", "missing");

    req_init(&r);
    r.near.lat = NAN;
    expect(&r, HL_EINVAL, "reserve.near.lat", "[-90, 90]");

    req_init(&r);
    r.near.lon = 200;
    expect(&r, HL_EINVAL, "reserve.near.lon", "[-180, 180]");

    req_init(&r);
    r.n[1].material_id = "uranium";
    expect(&r, HL_ENOTFOUND, "reserve.needs[1].material_id", "unknown material id 'uranium'");

    req_init(&r);
    r.n[0].quantity = -3;
    expect(&r, HL_EINVAL, "reserve.needs[0].quantity", "sandbag");

    req_init(&r);
    r.n[1].quantity = NAN;
    expect(&r, HL_EINVAL, "reserve.needs[1].quantity", "activated-carbon");

    req_init(&r);
    r.n[1].quantity = INFINITY;
    expect(&r, HL_EINVAL, "reserve.needs[1].quantity", "number");

    req_init(&r);
    r.n[1].unit = "kg";
    expect(&r, HL_EUNIT, "reserve.needs[1].unit", "counted in t (吨)");

    req_init(&r);
    r.q.n_needs = 0;
    expect(&r, HL_EINVAL, "reserve.needs", "empty");

    /* HL_LIST_MAX needs pass the count check; one more is too many. */
    Hl__MaterialNeed **many = calloc(STOCK_LINES_MAX + 1, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i <= STOCK_LINES_MAX; i++)
        many[i] = &r.n[0];
    req_init(&r);
    r.q.needs = many;
    r.q.n_needs = STOCK_LINES_MAX;
    expect(&r, 0, NULL, NULL);
    r.q.n_needs = STOCK_LINES_MAX + 1;
    expect(&r, HL_ETOOBIG, "reserve.needs", "limit of 1000");
    free(many);

    /* purpose: HL_TEXT_MAX bytes pass, one more does not. */
    char *text = malloc(HL_TEXT_MAX + 2);
    assert_non_null(text);
    memset(text, 'x', HL_TEXT_MAX + 1);
    text[HL_TEXT_MAX] = '\0';
    req_init(&r);
    r.q.purpose = text;
    expect(&r, 0, NULL, NULL);
    text[HL_TEXT_MAX] = 'x';
    text[HL_TEXT_MAX + 1] = '\0';
    expect(&r, HL_ETOOBIG, "reserve.purpose", "2048");
    free(text);
}

static void stock_msg_reservation_fields(void **state)
{
    (void)state;
    char err[512];
    stock_depots *ds = NULL;
    assert_int_equal(stock_depots_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/depots.yaml", &cat,
                                       &ds, err, sizeof err),
                     0);
    req r;
    req_init(&r);
    r.n[1].quantity = 500; /* more activated carbon than all depots hold (115 t) */
    stock_need needs[2];
    stock_msg_needs(&r.q, needs);
    assert_string_equal(needs[1].material_id, "activated-carbon");
    stock_plan *p = stock_plan_new();
    assert_int_equal(stock_reserve_plan(ds, r.near.lat, r.near.lon, needs, 2, p), 0);
    stock_msg_reservation m;
    assert_int_equal(
        stock_msg_reservation_build(&r.q, p, ds, &cat, "rsv-000001", 1700000000000, &m), 0);
    const Hl__Reservation *res = &m.r;
    assert_string_equal(res->id, "rsv-000001");
    assert_string_equal(res->incident_id, "inc-1");
    assert_string_equal(res->plan_id, "plan-1");
    assert_string_equal(res->state, "partial");
    assert_string_equal(res->purpose, "intercept at sp-g30-bridge");
    assert_string_equal(res->near_confidence, "low");
    assert_int_equal(res->created_ms, 1700000000000);
    assert_int_equal(res->n_needs, 2);
    assert_string_equal(res->needs[1]->unit, "t"); /* normalised from 吨 */
    assert_int_equal(res->n_shortfall, 1);
    assert_string_equal(res->shortfall[0]->material_id, "activated-carbon");
    /* 50 + 5 + 20 + 30 + 10 t in depots.yaml = 115 t; 385 t short. */
    assert_float_equal(res->shortfall[0]->quantity, 385, 1e-9);
    assert_true(res->n_lines == p->nlines && res->n_lines >= 6);
    const Hl__ReservationLine *l0 = res->lines[0];
    assert_string_equal(l0->depot_id, "dp-kuitun");
    assert_string_equal(l0->depot_name, "奎屯市环境应急物资库");
    assert_string_equal(l0->depot_jurisdiction, "local");
    assert_string_equal(l0->owner_unit, "kt-eeb");
    assert_string_equal(l0->material_id, "sandbag");
    assert_string_equal(l0->unit, "bag");
    assert_true(l0->quantity_assumed);
    assert_false(l0->material_unverified);
    assert_non_null(strstr(l0->location_confidence, "proxy"));
    /* The message packs and round-trips. */
    size_t sz = protobuf_c_message_get_packed_size(&res->base);
    uint8_t *buf = malloc(sz);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(&res->base, buf), sz);
    Hl__Reservation *back = hl__reservation__unpack(NULL, sz, buf);
    assert_non_null(back);
    stock_line *lines = NULL;
    size_t n = 0;
    assert_int_equal(stock_msg_lines(back, &lines, &n), 0);
    assert_int_equal(n, p->nlines);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(lines[i].depot_id, p->lines[i].depot_id);
        assert_float_equal(lines[i].quantity, p->lines[i].quantity, 0);
    }
    free(lines);
    hl__reservation__free_unpacked(back, NULL);
    free(buf);
    stock_msg_reservation_free(&m);
    stock_plan_destroy(&p);
    free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_msg_check_fields),
        cmocka_unit_test(stock_msg_reservation_fields),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
