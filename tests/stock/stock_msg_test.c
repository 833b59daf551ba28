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

/* "stock.entry": each case breaks one field of a valid receipt; the field named in the
 * reply is the one broken. */
static void stock_msg_entry_fields(void **state)
{
    (void)state;
    char err[512], field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    stock_depots *ds = NULL;
    assert_int_equal(stock_depots_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/depots.yaml", &cat,
                                       &ds, err, sizeof err),
                     0);
    char *long_reason = malloc(LEDGER_REASON_MAX + 2);
    assert_non_null(long_reason);
    memset(long_reason, 'r', LEDGER_REASON_MAX + 1);
    long_reason[LEDGER_REASON_MAX + 1] = '\0';
    static const struct {
        const char *what;
        int rc;
        const char *field;
    } cases[] = {
        {"ok", 0, NULL},
        {"kind", HL_EINVAL, "entry.kind"},
        {"kind-reservation", HL_EINVAL, "entry.kind"},
        {"kind-transfer-in", HL_EINVAL, "entry.kind"},
        {"depot", HL_ENOTFOUND, "entry.depot_id"},
        {"material", HL_ENOTFOUND, "entry.material_id"},
        {"unit", HL_EUNIT, "entry.unit"},
        {"unit-cn", 0, NULL},
        {"transfer-no-dest", HL_EINVAL, "entry.to_depot_id"},
        {"transfer-unknown-dest", HL_ENOTFOUND, "entry.to_depot_id"},
        {"transfer-ok", 0, NULL},
        {"dest-not-transfer", HL_EINVAL, "entry.to_depot_id"},
        {"from-reserved", HL_EINVAL, "entry.from_reserved"},
        {"lot", HL_EINVAL, "entry.lot_id"},
        {"actor", HL_EINVAL, "entry.actor"},
        {"link", HL_EINVAL, "entry.link_id"},
        {"reason-long", HL_ETOOBIG, "entry.reason"},
        {"effective", HL_EINVAL, "entry.effective_ms"},
        {"expiry", HL_EINVAL, "entry.expiry_ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Hl__LedgerEntry e = HL__LEDGER_ENTRY__INIT;
        e.kind = "receipt";
        e.depot_id = "dp-xj7";
        e.material_id = "activated-carbon";
        e.lot_id = "AC-2026-11";
        e.quantity = 5;
        e.unit = "t";
        const char *w = cases[i].what;
        if (!strcmp(w, "kind"))
            e.kind = "theft";
        else if (!strcmp(w, "kind-reservation"))
            e.kind = "reservation";
        else if (!strcmp(w, "kind-transfer-in"))
            e.kind = "transfer-in";
        else if (!strcmp(w, "depot"))
            e.depot_id = "dp-mars";
        else if (!strcmp(w, "material"))
            e.material_id = "uranium";
        else if (!strcmp(w, "unit"))
            e.unit = "kg";
        else if (!strcmp(w, "unit-cn"))
            e.unit = "吨";
        else if (!strcmp(w, "transfer-no-dest"))
            e.kind = "transfer";
        else if (!strcmp(w, "transfer-unknown-dest")) {
            e.kind = "transfer";
            e.to_depot_id = "dp-mars";
        } else if (!strcmp(w, "transfer-ok")) {
            e.kind = "transfer";
            e.to_depot_id = "dp-reg130";
        } else if (!strcmp(w, "dest-not-transfer"))
            e.to_depot_id = "dp-reg130";
        else if (!strcmp(w, "from-reserved"))
            e.from_reserved = 1;
        else if (!strcmp(w, "lot"))
            e.lot_id = "lot one";
        else if (!strcmp(w, "actor"))
            e.actor = "bad actor";
        else if (!strcmp(w, "link"))
            e.link_id = "a/b";
        else if (!strcmp(w, "reason-long"))
            e.reason = long_reason;
        else if (!strcmp(w, "effective"))
            e.effective_ms = -1;
        else if (!strcmp(w, "expiry"))
            e.expiry_ms = -5;
        int rc = stock_msg_check_entry(&e, ds, &cat, field, why);
        if (rc != cases[i].rc || (cases[i].field && strcmp(field, cases[i].field) != 0))
            fail_msg("case %s: got %d %s (%s), want %d %s", w, rc, field, why, cases[i].rc,
                     cases[i].field ? cases[i].field : "");
    }
    /* A checked request as a ledger entry: "transfer" is its transfer-out half, effective
     * now when not given, by the sender unless it names an actor. */
    Hl__LedgerEntry e = HL__LEDGER_ENTRY__INIT;
    e.kind = "transfer";
    e.depot_id = "dp-xj7";
    e.material_id = "boom";
    e.quantity = 100;
    e.to_depot_id = "dp-reg130";
    ledger_entry le;
    stock_msg_entry_in(&e, &cat, "xj7-emb", 1780000000000, &le);
    assert_int_equal(le.kind, LEDGER_TRANSFER_OUT);
    assert_int_equal(le.effective_ms, 1780000000000);
    assert_int_equal(le.recorded_ms, 1780000000000);
    assert_string_equal(le.actor, "xj7-emb");
    assert_string_equal(le.unit, "m");
    e.actor = "duty-officer-li";
    e.effective_ms = 1779990000000;
    stock_msg_entry_in(&e, &cat, "xj7-emb", 1780000000000, &le);
    assert_string_equal(le.actor, "duty-officer-li");
    assert_int_equal(le.effective_ms, 1779990000000);
    /* And back: the stored form keeps every field the replay needs. */
    snprintf(le.id, sizeof le.id, "le-000007");
    le.seq = 7;
    Hl__LedgerEntry out;
    stock_msg_entry_out(&le, &out);
    ledger_entry core;
    assert_int_equal(stock_msg_entry_core(&out, &cat, &core), 0);
    assert_int_equal(core.kind, LEDGER_TRANSFER_OUT);
    assert_int_equal(core.seq, 7);
    assert_string_equal(core.id, "le-000007");
    assert_float_equal(core.quantity, 100, 0);
    assert_int_equal(core.effective_ms, 1779990000000);
    out.kind = "teleport";
    assert_int_equal(stock_msg_entry_core(&out, &cat, &core), HL_EDECODE);
    free(long_reason);
    free(ds);
}

/* Requests between agencies and the cover query: the field at fault is named. */
static void stock_msg_rm_and_cover_fields(void **state)
{
    (void)state;
    char err[512], field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    stock_depots *ds = NULL;
    assert_int_equal(stock_depots_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/depots.yaml", &cat,
                                       &ds, err, sizeof err),
                     0);
    Hl__MaterialNeed n = HL__MATERIAL_NEED__INIT, *np = &n;
    n.material_id = "activated-carbon";
    n.quantity = 5;
    Hl__ResourceRequest rq = HL__RESOURCE_REQUEST__INIT;
    rq.incident_id = "inc-1";
    rq.requester_unit = "reg-130";
    rq.depot_id = "dp-kuitun";
    rq.needs = &np;
    rq.n_needs = 1;
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), 0);
    rq.depot_id = "dp-mars";
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_ENOTFOUND);
    assert_string_equal(field, "request.depot_id");
    rq.depot_id = "dp-kuitun";
    rq.requester_unit = "";
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "request.requester_unit");
    rq.requester_unit = "reg-130";
    rq.n_needs = 0;
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "request.needs");
    rq.n_needs = 1;
    n.unit = "bag";
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_EUNIT);
    assert_string_equal(field, "request.needs[0].unit");
    n.unit = "";
    Hl__GeoPoint far = HL__GEO_POINT__INIT;
    far.lat = 95;
    rq.deliver_to = &far;
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "request.deliver_to.lat");
    rq.deliver_to = NULL;
    rq.requested_arrival_ms = -1;
    assert_int_equal(stock_msg_check_request(&rq, ds, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "request.requested_arrival_ms");

    Hl__ResourceResponse rp = HL__RESOURCE_RESPONSE__INIT;
    rp.request_id = "rq-000001";
    rp.responder_unit = "kt-eeb";
    rp.response_type = "Accept";
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), 0);
    rp.response_type = "Sure";
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "respond.response_type");
    rp.response_type = "Provisional";
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "respond.reason");
    assert_non_null(strstr(why, "ResponseInformationType"));
    rp.reason = "half now";
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), 0);
    rp.response_type = "Decline";
    rp.offered = &np;
    rp.n_offered = 1;
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "respond.offered");
    rp.request_id = "";
    assert_int_equal(stock_msg_check_respond(&rp, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "respond.request_id");

    Hl__ResourceCommitment cm = HL__RESOURCE_COMMITMENT__INIT;
    cm.request_id = "rq-000001";
    cm.unit = "kt-eeb";
    assert_int_equal(stock_msg_check_commit(&cm, &cat, field, why), 0);
    n.material_id = "unobtainium";
    cm.quantities = &np;
    cm.n_quantities = 1;
    assert_int_equal(stock_msg_check_commit(&cm, &cat, field, why), HL_ENOTFOUND);
    assert_string_equal(field, "commit.quantities[0].material_id");
    n.material_id = "activated-carbon";
    cm.unit = "kt eeb";
    assert_int_equal(stock_msg_check_commit(&cm, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "commit.unit");

    Hl__ResourceFulfilment ff = HL__RESOURCE_FULFILMENT__INIT;
    ff.request_id = "rq-000001";
    ff.unit = "reg-130";
    assert_int_equal(stock_msg_check_fulfil(&ff, field, why), 0);
    ff.arrival_ms = -3;
    assert_int_equal(stock_msg_check_fulfil(&ff, field, why), HL_EINVAL);
    assert_string_equal(field, "fulfil.arrival_ms");

    Hl__CoverQuery cq = HL__COVER_QUERY__INIT;
    Hl__GeoPoint near = HL__GEO_POINT__INIT;
    near.lat = 44.38;
    near.lon = 84.85;
    cq.needs = &np;
    cq.n_needs = 1;
    assert_int_equal(stock_msg_check_cover(&cq, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "cover.near");
    cq.near = &near;
    assert_int_equal(stock_msg_check_cover(&cq, &cat, field, why), 0);
    n.quantity = NAN;
    assert_int_equal(stock_msg_check_cover(&cq, &cat, field, why), HL_EINVAL);
    assert_string_equal(field, "cover.needs[0].quantity");
    free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_msg_check_fields),
        cmocka_unit_test(stock_msg_reservation_fields),
        cmocka_unit_test(stock_msg_entry_fields),
        cmocka_unit_test(stock_msg_rm_and_cover_fields),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
