/* stock_service_test — the stock service as a real process over ZeroMQ with its LMDB store:
 * reservations, validation errors naming the field, kill -9 and restart, and a resent
 * request applied once; the ledger over the wire (entries refused with amount and time, a
 * resent entry applied once across kill -9, "stock.low" once per crossing, the EDXL-RM
 * chain, stock.cover, stock.ledger). */
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "stock.pb-c.h"
#include "svc_fixture.h"

static int setup(void **state)
{
    return svc_fx_setup(state, "stock");
}

/* A request near the G30 Kuitun River bridge (44.38, 84.85): hand-computed distances
 * dp-kuitun 5.996 km, dp-dsz-petro 6.420, dp-wusu 14.928, dp-reg130 26.273, dp-xj7 34.805. */
typedef struct rq {
    Hl__ReserveRequest q;
    Hl__GeoPoint near;
    Hl__MaterialNeed n[2];
    Hl__MaterialNeed *np[2];
} rq;

static void rq_init(rq *r, const char *incident, double sandbags, double carbon_t)
{
    hl__reserve_request__init(&r->q);
    hl__geo_point__init(&r->near);
    r->near.lat = 44.38;
    r->near.lon = 84.85;
    r->near.confidence = "low";
    r->q.incident_id = (char *)incident;
    r->q.plan_id = "plan-test";
    r->q.near = &r->near;
    r->q.purpose = "intercept at sp-g30-bridge";
    hl__material_need__init(&r->n[0]);
    hl__material_need__init(&r->n[1]);
    r->n[0].material_id = "sandbag";
    r->n[0].quantity = sandbags;
    r->n[0].unit = "bag";
    r->n[1].material_id = "activated-carbon";
    r->n[1].quantity = carbon_t;
    r->n[1].unit = "t";
    r->np[0] = &r->n[0];
    r->np[1] = &r->n[1];
    r->q.needs = r->np;
    r->q.n_needs = carbon_t > 0 ? 2 : 1;
}

static Hl__Reservation *reserve_ok(svc_fx *f, rq *r)
{
    ProtobufCMessage *out = NULL;
    int rc =
        svc_fx_call(f, "stock.reserve", &r->q.base, &hl__reservation__descriptor, &out, NULL, 0);
    if (rc < 0)
        fprintf(stderr, "stock.reserve: %s\n", f->err);
    assert_int_equal(rc, 0);
    return (Hl__Reservation *)out;
}

/* reserved and on_hand of one ledger row through stock.list. */
static void ledger_row(svc_fx *f, const char *depot, const char *material, double *on_hand,
                       double *reserved)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.id = (char *)depot;
    assert_int_equal(
        svc_fx_call(f, "stock.list", &q.base, &hl__stock_list__descriptor, &out, NULL, 0), 0);
    Hl__StockList *l = (Hl__StockList *)out;
    int found = 0;
    for (size_t i = 0; i < l->n_items; i++)
        if (strcmp(l->items[i]->material_id, material) == 0) {
            *on_hand = l->items[i]->on_hand;
            *reserved = l->items[i]->reserved;
            assert_true(l->items[i]->quantity_assumed);
            found = 1;
        }
    assert_true(found);
    protobuf_c_message_free_unpacked(out, NULL);
}

static size_t count_reservations(svc_fx *f, const char *incident)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.incident_id = (char *)incident;
    assert_int_equal(svc_fx_call(f, "stock.reservations", &q.base,
                                 &hl__reservation_list__descriptor, &out, NULL, 0),
                     0);
    size_t n = ((Hl__ReservationList *)out)->n_reservations;
    protobuf_c_message_free_unpacked(out, NULL);
    return n;
}

static void expect_error(svc_fx *f, const rq *r, int code, const char *field)
{
    ProtobufCMessage *out = NULL;
    char got[128];
    int rc = svc_fx_call(f, "stock.reserve", &r->q.base, &hl__reservation__descriptor, &out, got,
                         sizeof got);
    if (rc != code || strcmp(got, field) != 0)
        fprintf(stderr, "expected %d %s, got %d %s: %s\n", code, field, rc, got, f->err);
    assert_int_equal(rc, code);
    assert_string_equal(got, field);
    assert_null(out);
}

/* A SUB socket on the service's event endpoint, subscribed to topic; given time to join
 * (a PUB drops what is sent before a subscriber is connected). */
static void *subscribe(svc_fx *f, const char *topic)
{
    char ep[128];
    assert_int_equal(hl_config_endpoint(&f->cfg, "stock", "pub", ep, sizeof ep), 0);
    void *z = zmq_socket(f->zctx, ZMQ_SUB);
    assert_non_null(z);
    int zero = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_setsockopt(z, ZMQ_SUBSCRIBE, topic, strlen(topic)), 0);
    assert_int_equal(zmq_connect(z, ep), 0);
    usleep(300 * 1000);
    return z;
}

/* The next event on z within ms: its payload unpacked as desc (NULL if none came). */
static ProtobufCMessage *next_event(void *z, const char *topic,
                                    const ProtobufCMessageDescriptor *desc, int ms)
{
    int64_t deadline = hl_real_now_ms() + ms;
    while (hl_real_now_ms() < deadline) {
        zmq_pollitem_t it = {z, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 100) <= 0)
            continue;
        char t[64] = "";
        int n = zmq_recv(z, t, sizeof t - 1, 0);
        assert_true(n > 0);
        t[n < (int)sizeof t ? n : (int)sizeof t - 1] = '\0';
        assert_string_equal(t, topic);
        zmq_msg_t m;
        zmq_msg_init(&m);
        assert_true(zmq_msg_recv(&m, z, 0) >= 0);
        Hl__Envelope *env = NULL;
        assert_int_equal(
            hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), HL_MAX_MSG_BYTES, &env, NULL, 0), 0);
        zmq_msg_close(&m);
        ProtobufCMessage *p = hl_msg_unpack(desc, env->payload.data, env->payload.len);
        hl_env_free(&env);
        return p;
    }
    return NULL;
}

static void stock_service_reserve_lines_and_shortfall(void **state)
{
    svc_fx *f = *state;
    rq r;
    void *sub = subscribe(f, "reservation.made");
    rq_init(&r, "inc-benzene-1", 15000, 500);
    Hl__Reservation *res = reserve_ok(f, &r);
    /* Published after the commit, carrying the same reservation. */
    Hl__Reservation *ev =
        (Hl__Reservation *)next_event(sub, "reservation.made", &hl__reservation__descriptor, 5000);
    assert_non_null(ev);
    assert_string_equal(ev->id, "rsv-000001");
    assert_int_equal(ev->n_lines, 7);
    hl__reservation__free_unpacked(ev, NULL);
    zmq_close(sub);
    assert_string_equal(res->id, "rsv-000001");
    assert_string_equal(res->incident_id, "inc-benzene-1");
    assert_string_equal(res->state, "partial");
    /* Sandbags: dp-kuitun's 10000, then 5000 of dp-dsz-petro's 8000. Carbon: every depot in
     * distance order (20 + 30 + 10 + 5 + 50 = 115 t), 385 t short. */
    static const struct {
        const char *material, *depot;
        double q;
    } want[] = {{"sandbag", "dp-kuitun", 10000},       {"sandbag", "dp-dsz-petro", 5000},
                {"activated-carbon", "dp-kuitun", 20}, {"activated-carbon", "dp-dsz-petro", 30},
                {"activated-carbon", "dp-wusu", 10},   {"activated-carbon", "dp-reg130", 5},
                {"activated-carbon", "dp-xj7", 50}};
    assert_int_equal(res->n_lines, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(res->lines[i]->material_id, want[i].material);
        assert_string_equal(res->lines[i]->depot_id, want[i].depot);
        assert_float_equal(res->lines[i]->quantity, want[i].q, 1e-9);
    }
    assert_float_equal(res->lines[0]->distance_km, 5.996, 1e-3);
    assert_string_equal(res->lines[6]->depot_jurisdiction, "corps");
    assert_int_equal(res->n_shortfall, 1);
    assert_string_equal(res->shortfall[0]->material_id, "activated-carbon");
    assert_float_equal(res->shortfall[0]->quantity, 385, 1e-9);
    assert_string_equal(res->shortfall[0]->unit, "t");
    protobuf_c_message_free_unpacked(&res->base, NULL);

    double oh, rs;
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(oh, 10000, 0);
    assert_float_equal(rs, 10000, 1e-9);

    /* Bad requests: each refused with the field named, nothing reserved. */
    rq_init(&r, "inc-benzene-1", 10, 0);
    r.n[0].material_id = "uranium";
    expect_error(f, &r, HL_ENOTFOUND, "reserve.needs[0].material_id");
    rq_init(&r, "inc-benzene-1", -10, 0);
    expect_error(f, &r, HL_EINVAL, "reserve.needs[0].quantity");
    rq_init(&r, "inc-benzene-1", 10, NAN);
    r.q.n_needs = 2;
    expect_error(f, &r, HL_EINVAL, "reserve.needs[1].quantity");
    rq_init(&r, "", 10, 0);
    expect_error(f, &r, HL_EINVAL, "reserve.incident_id");
    rq_init(&r, "inc-benzene-1", 10, 0);
    r.n[0].unit = "kg";
    expect_error(f, &r, HL_EUNIT, "reserve.needs[0].unit");
    rq_init(&r, "inc-benzene-1", 10, 0);
    Hl__MaterialNeed **many = calloc(HL_LIST_MAX + 1, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i <= HL_LIST_MAX; i++)
        many[i] = &r.n[0];
    r.q.needs = many;
    r.q.n_needs = HL_LIST_MAX + 1;
    expect_error(f, &r, HL_ETOOBIG, "reserve.needs");
    free(many);

    /* An undecodable payload: error reply, the service keeps running. */
    Hl__Envelope *env = NULL, *reply = NULL;
    assert_int_equal(hl_env_build("test", "stock.reserve", NULL, NULL, NULL, &env), 0);
    static uint8_t junk[] = {0xff, 0xff, 0xff, 0x0f};
    free(env->payload.data);
    env->payload.data = malloc(sizeof junk);
    assert_non_null(env->payload.data);
    memcpy(env->payload.data, junk, sizeof junk);
    env->payload.len = sizeof junk;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hl_env_pack(env, &buf, &len), 0);
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &reply), 0);
    assert_non_null(reply->error);
    assert_int_equal(reply->error->code, HL_EDECODE);
    assert_string_equal(reply->error->field, "payload");
    hl_env_free(&reply);
    hl_env_free(&env);
    free(buf);

    assert_int_equal(count_reservations(f, ""), 1);
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 10000, 1e-9);

    /* Release returns the quantities; a released reservation cannot be released again. */
    Hl__ReservationAction a = HL__RESERVATION_ACTION__INIT;
    ProtobufCMessage *out = NULL;
    char field[128];
    a.reservation_id = "rsv-000001";
    a.action = "release";
    assert_int_equal(svc_fx_call(f, "stock.release", &a.base, &hl__reservation__descriptor, &out,
                                 field, sizeof field),
                     0);
    assert_string_equal(((Hl__Reservation *)out)->state, "released");
    protobuf_c_message_free_unpacked(out, NULL);
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 0, 1e-9);
    assert_int_equal(svc_fx_call(f, "stock.release", &a.base, &hl__reservation__descriptor, &out,
                                 field, sizeof field),
                     HL_ESTATE);
    assert_string_equal(field, "release.reservation_id");
    a.reservation_id = "rsv-000404";
    assert_int_equal(svc_fx_call(f, "stock.release", &a.base, &hl__reservation__descriptor, &out,
                                 field, sizeof field),
                     HL_ENOTFOUND);
}

static void stock_service_survives_kill9(void **state)
{
    svc_fx *f = *state;
    rq r;
    rq_init(&r, "inc-benzene-2", 12000, 0);
    Hl__Reservation *res = reserve_ok(f, &r);
    assert_string_equal(res->id, "rsv-000001");
    assert_string_equal(res->state, "reserved");
    protobuf_c_message_free_unpacked(&res->base, NULL);

    /* The reply came after the commit: kill -9 now loses nothing. */
    assert_int_equal(hl_stack_kill(f->stack, "stock", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(f->stack, "stock", 15000, f->err, sizeof f->err), 0);

    assert_int_equal(count_reservations(f, "inc-benzene-2"), 1);
    double oh, rs;
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 10000, 1e-9);
    ledger_row(f, "dp-dsz-petro", "sandbag", &oh, &rs);
    assert_float_equal(rs, 2000, 1e-9);
    /* The restarted service kept its ledger (depots.yaml is not re-read for quantities) and
     * the next reservation sees the first's reserved quantities and the next id. */
    rq_init(&r, "inc-benzene-3", 6000, 0);
    res = reserve_ok(f, &r);
    assert_string_equal(res->id, "rsv-000002");
    /* dp-kuitun has nothing left to promise; dp-dsz-petro has 8000 − 2000. */
    assert_int_equal(res->n_lines, 1);
    assert_string_equal(res->lines[0]->depot_id, "dp-dsz-petro");
    assert_float_equal(res->lines[0]->quantity, 6000, 1e-9);
    assert_int_equal(res->n_shortfall, 0);
    protobuf_c_message_free_unpacked(&res->base, NULL);
}

static void stock_service_resend_applied_once(void **state)
{
    svc_fx *f = *state;
    rq r;
    rq_init(&r, "inc-benzene-4", 300, 0);
    Hl__Envelope *env = NULL, *a = NULL, *b = NULL, *c = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hl_env_build("playbook", "stock.reserve", &r.q.base, NULL, NULL, &env), 0);
    assert_int_equal(hl_env_pack(env, &buf, &len), 0);

    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &a), 0);
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &b), 0);
    assert_null(a->error);
    assert_null(b->error);
    Hl__Reservation *ra = hl__reservation__unpack(NULL, a->payload.len, a->payload.data);
    Hl__Reservation *rb = hl__reservation__unpack(NULL, b->payload.len, b->payload.data);
    assert_non_null(ra);
    assert_non_null(rb);
    assert_string_equal(ra->id, "rsv-000001");
    assert_string_equal(rb->id, ra->id);
    assert_int_equal(rb->created_ms, ra->created_ms);
    double oh, rs;
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 300, 1e-9);
    assert_int_equal(count_reservations(f, ""), 1);

    /* Applied once across a crash too: the inbox is in the same LMDB environment. */
    assert_int_equal(hl_stack_kill(f->stack, "stock", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(f->stack, "stock", 15000, f->err, sizeof f->err), 0);
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &c), 0);
    Hl__Reservation *rc_ = hl__reservation__unpack(NULL, c->payload.len, c->payload.data);
    assert_non_null(rc_);
    assert_string_equal(rc_->id, "rsv-000001");
    ledger_row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 300, 1e-9);
    assert_int_equal(count_reservations(f, ""), 1);

    hl__reservation__free_unpacked(ra, NULL);
    hl__reservation__free_unpacked(rb, NULL);
    hl__reservation__free_unpacked(rc_, NULL);
    hl_env_free(&a);
    hl_env_free(&b);
    hl_env_free(&c);
    hl_env_free(&env);
    free(buf);
}

/* ---- The ledger over the wire (issue 4) ---- */

/* A packed stock.entry envelope (sent raw so that a resend carries the same bytes). */
static void entry_env(const Hl__LedgerEntry *e, Hl__Envelope **env, uint8_t **buf, size_t *len)
{
    assert_int_equal(hl_env_build("xj7-emb", "stock.entry", &e->base, NULL, NULL, env), 0);
    assert_int_equal(hl_env_pack(*env, buf, len), 0);
}

/* Totals of one depot and material through stock.ledger. */
static Hl__LedgerTotal *totals(svc_fx *f, const char *depot, const char *material,
                               Hl__LedgerTotals **keep)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.id = (char *)depot;
    assert_int_equal(
        svc_fx_call(f, "stock.ledger", &q.base, &hl__ledger_totals__descriptor, &out, NULL, 0), 0);
    *keep = (Hl__LedgerTotals *)out;
    for (size_t i = 0; i < (*keep)->n_items; i++)
        if (strcmp((*keep)->items[i]->material_id, material) == 0)
            return (*keep)->items[i];
    fail_msg("no ledger row %s %s", depot, material);
    return NULL;
}

static double received_of(svc_fx *f, const char *depot, const char *material, double *on_hand)
{
    Hl__LedgerTotals *keep = NULL;
    Hl__LedgerTotal *t = totals(f, depot, material, &keep);
    double r = t->received;
    *on_hand = t->on_hand;
    protobuf_c_message_free_unpacked(&keep->base, NULL);
    return r;
}

static void stock_service_ledger_kill9_resend(void **state)
{
    svc_fx *f = *state;
    int64_t now = hl_now_ms();
    Hl__LedgerEntry e = HL__LEDGER_ENTRY__INIT;
    e.kind = "receipt";
    e.depot_id = "dp-xj7";
    e.material_id = "activated-carbon";
    e.lot_id = "AC-T1";
    e.quantity = 10;
    e.unit = "t";
    e.effective_ms = now - 3 * 3600000;
    e.expiry_ms = now + 400LL * 86400000;
    e.reason = "delivery note 2026-117";
    Hl__Envelope *env = NULL, *a = NULL, *b = NULL, *c = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    entry_env(&e, &env, &buf, &len);

    /* Sent twice: one entry, the same reply. */
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &a), 0);
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &b), 0);
    assert_null(a->error);
    assert_null(b->error);
    Hl__LedgerResult *ra = hl__ledger_result__unpack(NULL, a->payload.len, a->payload.data);
    assert_non_null(ra);
    assert_int_equal(ra->n_entries, 1);
    assert_string_equal(ra->entries[0]->actor, "xj7-emb");
    assert_int_equal(ra->entries[0]->effective_ms, now - 3 * 3600000);
    assert_int_equal(b->payload.len, a->payload.len);
    assert_memory_equal(b->payload.data, a->payload.data, a->payload.len);
    double oh = 0;
    assert_float_equal(received_of(f, "dp-xj7", "activated-carbon", &oh), 60, 1e-9);
    assert_float_equal(oh, 60, 1e-9);

    /* An issue an hour ago, then one backdated before it that would leave it short: refused
     * naming the amount and the later point. */
    Hl__LedgerEntry is = HL__LEDGER_ENTRY__INIT;
    ProtobufCMessage *out = NULL;
    char field[128];
    is.kind = "issue";
    is.depot_id = "dp-xj7";
    is.material_id = "activated-carbon";
    is.lot_id = "AC-T1";
    is.quantity = 8;
    is.effective_ms = now - 3600000;
    assert_int_equal(svc_fx_call(f, "stock.entry", &is.base, &hl__ledger_result__descriptor, &out,
                                 field, sizeof field),
                     0);
    protobuf_c_message_free_unpacked(out, NULL);
    is.quantity = 4;
    is.effective_ms = now - 2 * 3600000;
    assert_int_equal(svc_fx_call(f, "stock.entry", &is.base, &hl__ledger_result__descriptor, &out,
                                 field, sizeof field),
                     HL_ESTATE);
    assert_string_equal(field, "entry.quantity");
    char when[40], want[160];
    assert_int_equal(hl_time_format(now - 3600000, 480, when, sizeof when), 0);
    snprintf(want, sizeof want,
             "would make on hand of lot AC-T1 of activated-carbon at dp-xj7 \xe2\x88\x92"
             "2 t at %s",
             when);
    if (!strstr(f->err, want))
        fail_msg("refusal '%s' does not say '%s'", f->err, want);
    /* An adjustment without a reason is refused, naming the field. */
    is.kind = "adjustment";
    is.quantity = -1;
    is.effective_ms = 0;
    assert_int_equal(svc_fx_call(f, "stock.entry", &is.base, &hl__ledger_result__descriptor, &out,
                                 field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "entry.reason");

    /* kill -9: the reply came after the commit, so nothing is lost; the resend after the
     * restart is still answered from the inbox and applied once. */
    assert_int_equal(hl_stack_kill(f->stack, "stock", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(f->stack, "stock", 15000, f->err, sizeof f->err), 0);
    assert_float_equal(received_of(f, "dp-xj7", "activated-carbon", &oh), 60, 1e-9);
    assert_float_equal(oh, 52, 1e-9);
    assert_int_equal(svc_fx_send_raw(f, buf, len, env->msg_id, &c), 0);
    assert_null(c->error);
    Hl__LedgerResult *rc_ = hl__ledger_result__unpack(NULL, c->payload.len, c->payload.data);
    assert_non_null(rc_);
    assert_string_equal(rc_->entries[0]->id, ra->entries[0]->id);
    assert_float_equal(received_of(f, "dp-xj7", "activated-carbon", &oh), 60, 1e-9);
    /* The entry list holds the receipt once (sent as xj7-emb) and the issue (sent by this
     * test as "test"), nothing twice. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "dp-xj7";
    q.unit_id = "xj7-emb";
    assert_int_equal(
        svc_fx_call(f, "stock.entries", &q.base, &hl__ledger_entry_list__descriptor, &out, NULL, 0),
        0);
    Hl__LedgerEntryList *el = (Hl__LedgerEntryList *)out;
    assert_int_equal(el->n_entries, 1);
    assert_string_equal(el->entries[0]->kind, "receipt");
    assert_string_equal(el->entries[0]->lot_id, "AC-T1");
    protobuf_c_message_free_unpacked(out, NULL);
    q.unit_id = "test";
    assert_int_equal(
        svc_fx_call(f, "stock.entries", &q.base, &hl__ledger_entry_list__descriptor, &out, NULL, 0),
        0);
    el = (Hl__LedgerEntryList *)out;
    assert_int_equal(el->n_entries, 1);
    assert_string_equal(el->entries[0]->kind, "issue");
    protobuf_c_message_free_unpacked(out, NULL);

    hl__ledger_result__free_unpacked(ra, NULL);
    hl__ledger_result__free_unpacked(rc_, NULL);
    hl_env_free(&a);
    hl_env_free(&b);
    hl_env_free(&c);
    hl_env_free(&env);
    free(buf);
}

static void sandbags(svc_fx *f, const char *kind, double q)
{
    Hl__LedgerEntry e = HL__LEDGER_ENTRY__INIT;
    ProtobufCMessage *out = NULL;
    e.kind = (char *)kind;
    e.depot_id = "dp-kuitun";
    e.material_id = "sandbag";
    e.lot_id = "opening";
    e.quantity = q;
    int rc = svc_fx_call(f, "stock.entry", &e.base, &hl__ledger_result__descriptor, &out, NULL, 0);
    if (rc != 0)
        fail_msg("%s %g: %s", kind, q, f->err);
    protobuf_c_message_free_unpacked(out, NULL);
}

/* dp-kuitun sandbags: minimum 2000 of 10000 (depots.yaml). One "stock.low" per crossing. */
static void stock_service_low_alert_once(void **state)
{
    svc_fx *f = *state;
    void *sub = subscribe(f, "stock.low");
    sandbags(f, "issue", 8500); /* 1500 left: below */
    Hl__StockAlert *a =
        (Hl__StockAlert *)next_event(sub, "stock.low", &hl__stock_alert__descriptor, 5000);
    assert_non_null(a);
    assert_string_equal(a->state, "raised");
    assert_string_equal(a->depot_id, "dp-kuitun");
    assert_float_equal(a->available, 1500, 1e-9);
    char id[64];
    snprintf(id, sizeof id, "%s", a->id);
    hl__stock_alert__free_unpacked(a, NULL);
    sandbags(f, "consumption", 500); /* still below: no second alert */
    assert_null(next_event(sub, "stock.low", &hl__stock_alert__descriptor, 1000));
    sandbags(f, "receipt", 3000); /* 4000: cleared */
    a = (Hl__StockAlert *)next_event(sub, "stock.low", &hl__stock_alert__descriptor, 5000);
    assert_non_null(a);
    assert_string_equal(a->state, "cleared");
    assert_string_equal(a->id, id);
    hl__stock_alert__free_unpacked(a, NULL);
    zmq_close(sub);
    /* One record, cleared; the ledger row says it is no longer below. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    assert_int_equal(
        svc_fx_call(f, "stock.alerts", &q.base, &hl__stock_alert_list__descriptor, &out, NULL, 0),
        0);
    Hl__StockAlertList *l = (Hl__StockAlertList *)out;
    assert_int_equal(l->n_alerts, 1);
    assert_string_equal(l->alerts[0]->state, "cleared");
    protobuf_c_message_free_unpacked(out, NULL);
    Hl__LedgerTotals *keep = NULL;
    Hl__LedgerTotal *t = totals(f, "dp-kuitun", "sandbag", &keep);
    assert_false(t->below_minimum);
    assert_float_equal(t->available, 4000, 1e-9);
    assert_float_equal(t->issued, 8500, 1e-9);
    assert_float_equal(t->consumed, 500, 1e-9);
    protobuf_c_message_free_unpacked(&keep->base, NULL);
}

static Hl__ResourceRecord *rm_ok(svc_fx *f, const char *type, const ProtobufCMessage *m)
{
    ProtobufCMessage *out = NULL;
    int rc = svc_fx_call(f, type, m, &hl__resource_record__descriptor, &out, NULL, 0);
    if (rc != 0)
        fail_msg("%s: %d %s", type, rc, f->err);
    return (Hl__ResourceRecord *)out;
}

/* Regiment 130 (corps) asks the Kuitun City depot (local) for carbon; the chain runs over
 * the wire, and the cover query says who could bring it soonest. */
static void stock_service_rm_chain_and_cover(void **state)
{
    svc_fx *f = *state;
    Hl__MaterialNeed n = HL__MATERIAL_NEED__INIT, *np = &n;
    n.material_id = "activated-carbon";
    n.quantity = 6;
    n.unit = "t";
    Hl__ResourceRequest rq = HL__RESOURCE_REQUEST__INIT;
    rq.incident_id = "inc-benzene-1";
    rq.requester_unit = "reg-130";
    rq.depot_id = "dp-kuitun";
    rq.needs = &np;
    rq.n_needs = 1;
    Hl__ResourceRecord *r = rm_ok(f, "stock.request", &rq.base);
    assert_string_equal(r->id, "rq-000001");
    hl__resource_record__free_unpacked(r, NULL);

    Hl__ResourceResponse rp = HL__RESOURCE_RESPONSE__INIT;
    rp.request_id = "rq-000001";
    rp.responder_unit = "kt-eeb";
    rp.response_type = "Accept";
    hl__resource_record__free_unpacked(rm_ok(f, "stock.respond", &rp.base), NULL);
    Hl__ResourceCommitment cm = HL__RESOURCE_COMMITMENT__INIT;
    cm.request_id = "rq-000001";
    cm.unit = "kt-eeb";
    r = rm_ok(f, "stock.commit", &cm.base);
    assert_string_equal(r->state, "committed");
    char rsv[64];
    snprintf(rsv, sizeof rsv, "%s", r->steps[2]->reservation_id);
    hl__resource_record__free_unpacked(r, NULL);
    /* The commitment is a reservation like any other. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.id = rsv;
    assert_int_equal(svc_fx_call(f, "stock.reservations", &q.base,
                                 &hl__reservation_list__descriptor, &out, NULL, 0),
                     0);
    Hl__ReservationList *rl = (Hl__ReservationList *)out;
    assert_int_equal(rl->n_reservations, 1);
    assert_string_equal(rl->reservations[0]->incident_id, "inc-benzene-1");
    assert_float_equal(rl->reservations[0]->lines[0]->quantity, 6, 1e-9);
    protobuf_c_message_free_unpacked(out, NULL);
    /* A second commit is refused: the chain has moved on. */
    char field[128];
    assert_int_equal(svc_fx_call(f, "stock.commit", &cm.base, &hl__resource_record__descriptor,
                                 &out, field, sizeof field),
                     HL_ESTATE);
    assert_string_equal(field, "commit.request_id");

    Hl__ResourceFulfilment ff = HL__RESOURCE_FULFILMENT__INIT;
    ff.request_id = "rq-000001";
    ff.unit = "reg-130";
    r = rm_ok(f, "stock.fulfil", &ff.base);
    assert_string_equal(r->state, "fulfilled");
    assert_int_equal(r->n_steps, 4);
    for (size_t i = 1; i < 4; i++)
        assert_string_equal(r->steps[i]->preceding_id, r->steps[i - 1]->id);
    hl__resource_record__free_unpacked(r, NULL);
    Hl__LedgerTotals *keep = NULL;
    Hl__LedgerTotal *t = totals(f, "dp-kuitun", "activated-carbon", &keep);
    assert_float_equal(t->issued, 6, 1e-9);
    assert_float_equal(t->reserved, 0, 1e-9);
    assert_float_equal(t->on_hand, 14, 1e-9);
    /* FEFO: the 8 t lot expiring 2027-03 gave all 6 t. */
    assert_int_equal(t->n_lots, 2);
    assert_string_equal(t->lots[0]->lot_id, "AC-KT-2024-03");
    assert_float_equal(t->lots[0]->quantity, 2, 1e-9);
    protobuf_c_message_free_unpacked(&keep->base, NULL);

    /* Cover 40 t near the G30 bridge: the enterprise depot (20 min dispatch) before the
     * nearer city depot (30 min), which now has 14 t. */
    Hl__CoverQuery cq = HL__COVER_QUERY__INIT;
    Hl__GeoPoint near = HL__GEO_POINT__INIT;
    near.lat = 44.38;
    near.lon = 84.85;
    n.quantity = 40;
    cq.near = &near;
    cq.needs = &np;
    cq.n_needs = 1;
    assert_int_equal(
        svc_fx_call(f, "stock.cover", &cq.base, &hl__cover_result__descriptor, &out, NULL, 0), 0);
    Hl__CoverResult *c = (Hl__CoverResult *)out;
    assert_int_equal(c->n_lines, 2);
    assert_string_equal(c->lines[0]->depot_id, "dp-dsz-petro");
    assert_float_equal(c->lines[0]->quantity, 30, 1e-9);
    assert_string_equal(c->lines[1]->depot_id, "dp-kuitun");
    assert_float_equal(c->lines[1]->quantity, 10, 1e-9);
    assert_true(c->complete);
    assert_true(c->lines[0]->arrival_ms < c->lines[1]->arrival_ms);
    assert_non_null(strstr(c->assumption, "1.3"));
    protobuf_c_message_free_unpacked(out, NULL);
    near.lat = 99;
    assert_int_equal(svc_fx_call(f, "stock.cover", &cq.base, &hl__cover_result__descriptor, &out,
                                 field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "cover.near.lat");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stock_service_ledger_kill9_resend, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(stock_service_low_alert_once, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(stock_service_rm_chain_and_cover, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(stock_service_reserve_lines_and_shortfall, setup,
                                        svc_fx_teardown),
        cmocka_unit_test_setup_teardown(stock_service_survives_kill9, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(stock_service_resend_applied_once, setup, svc_fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
