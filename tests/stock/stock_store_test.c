/* stock_store_test — the stock ledger in a real LMDB environment (services/stock/
 * stock_store.h): seeding once from depots.yaml, reservations as ledger entries, entries
 * refused with the amount and time they would break, FEFO, transfers, minimum-level alerts
 * raised once per crossing, the EDXL-RM request chain, the cover query, migration of an
 * issue-2 store, and everything still there after the store is closed and opened again. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"
#include "stock_msg.h"
#include "stock_store.h"

typedef struct fx {
    char dir[64];
    hl_store *st;
    stock_catalogue cat;
    stock_depots *info;
    int64_t now;
} fx;

static int64_t T(const char *iso)
{
    int64_t ms = 0;
    if (hl_time_parse(iso, &ms) < 0)
        fail_msg("bad time in test: %s", iso);
    return ms;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void fx_seed(fx *f);

static int setup_bare(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char err[512];
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/stock_store_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(stock_materials_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/materials.yaml",
                                          &f->cat, err, sizeof err),
                     0);
    assert_int_equal(stock_depots_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/depots.yaml", &f->cat,
                                       &f->info, err, sizeof err),
                     0);
    assert_int_equal(hl_store_open(f->dir, 0, &f->st, err, sizeof err), 0);
    f->now = T("2026-11-30T10:00:00+08:00");
    *state = f;
    return 0;
}

static int setup(void **state)
{
    setup_bare(state);
    fx_seed(*state);
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    hl_store_destroy(&f->st);
    assert_null(f->st);
    nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
    free(f->info);
    free(f);
    return 0;
}

static void fx_seed(fx *f)
{
    hl_txn *t = NULL;
    int seeded = -1;
    char why[256];
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    int rc =
        stock_store_seed(t, f->info, &f->cat, f->now, &seeded, NULL, NULL, NULL, why, sizeof why);
    if (rc != 0)
        fail_msg("seed: %d %s", rc, why);
    assert_int_equal(seeded, 1);
    assert_int_equal(hl_txn_commit(&t), 0);
}

/* One level's figures as of now, read in a fresh transaction. */
static stock_level row(fx *f, const char *depot, const char *material)
{
    hl_txn *t = NULL;
    stock_depots *ds = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_read(t, f->info, &f->cat, f->now, NULL, 0, &ds), 0);
    hl_txn_abort(&t);
    int i = stock_depots_find(ds, depot);
    assert_true(i >= 0);
    const stock_level *l = stock_depot_level_c(&ds->items[i], material);
    assert_non_null(l);
    stock_level out = *l;
    free(ds);
    return out;
}

static Hl__Reservation *reserve(fx *f, const char *incident, const char *material, double q)
{
    Hl__ReserveRequest rq = HL__RESERVE_REQUEST__INIT;
    Hl__GeoPoint near = HL__GEO_POINT__INIT;
    Hl__MaterialNeed n = HL__MATERIAL_NEED__INIT;
    Hl__MaterialNeed *np = &n;
    near.lat = 44.38; /* G30 bridge: dp-kuitun 6.0 km, dp-dsz-petro 6.4 km, dp-wusu 14.9 km */
    near.lon = 84.85;
    rq.incident_id = (char *)incident;
    rq.near = &near;
    n.material_id = (char *)material;
    n.quantity = q;
    rq.n_needs = 1;
    rq.needs = &np;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    assert_int_equal(stock_msg_check_reserve(&rq, &f->cat, field, why), 0);
    hl_txn *t = NULL;
    Hl__Reservation *res = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_reserve(t, f->info, &f->cat, &rq, "playbook", f->now, NULL, &res,
                                         why, sizeof why),
                     0);
    assert_int_equal(hl_txn_commit(&t), 0);
    return res;
}

static void free_msg(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked((ProtobufCMessage *)m, NULL);
}

static void stock_store_ledger_lifecycle(void **state)
{
    fx *f = *state;
    char err[512], why[STOCK_WHY_MAX];
    hl_txn *t = NULL;
    int seeded = -1;

    /* Seeded from depots.yaml: one receipt per lot, nothing reserved. */
    stock_level l = row(f, "dp-kuitun", "sandbag");
    assert_float_equal(l.on_hand, 10000, 0);
    assert_float_equal(l.reserved, 0, 0);
    assert_float_equal(l.available, 10000, 0);
    assert_float_equal(l.minimum, 2000, 0);

    Hl__Reservation *r1 = reserve(f, "inc-1", "sandbag", 15000);
    assert_string_equal(r1->id, "rsv-000001");
    assert_string_equal(r1->state, "reserved");
    assert_int_equal(r1->n_lines, 2);
    assert_string_equal(r1->lines[0]->depot_id, "dp-kuitun");
    assert_float_equal(r1->lines[0]->quantity, 10000, 1e-9);
    assert_string_equal(r1->lines[1]->depot_id, "dp-dsz-petro");
    assert_float_equal(r1->lines[1]->quantity, 5000, 1e-9);
    free_msg(r1);

    /* The reservation is two ledger entries linked to it. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__LedgerEntryList *el = NULL;
    q.id = "rsv-000001";
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_entries(t, &q, 1 << 20, &el), 0);
    hl_txn_abort(&t);
    assert_int_equal(el->n_entries, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(el->entries[i]->kind, "reservation");
        assert_string_equal(el->entries[i]->actor, "playbook");
        assert_string_equal(el->entries[i]->lot_id, "");
        assert_int_equal(el->entries[i]->effective_ms, f->now);
    }
    free_msg(el);

    /* The second reservation sees the first's reserved quantities in the stored ledger. */
    Hl__Reservation *r2 = reserve(f, "inc-2", "sandbag", 5000);
    assert_string_equal(r2->id, "rsv-000002");
    assert_int_equal(r2->n_lines, 2);
    assert_string_equal(r2->lines[0]->depot_id, "dp-dsz-petro");
    assert_float_equal(r2->lines[0]->quantity, 3000, 1e-9);
    assert_string_equal(r2->lines[1]->depot_id, "dp-wusu");
    assert_float_equal(r2->lines[1]->quantity, 2000, 1e-9);
    free_msg(r2);

    /* Close and open again, as after a restart: entries remain, seeding writes nothing more
     * and reports where depots.yaml differs from the ledger now. */
    hl_store_destroy(&f->st);
    assert_int_equal(hl_store_open(f->dir, 0, &f->st, err, sizeof err), 0);
    l = row(f, "dp-kuitun", "sandbag");
    assert_float_equal(l.on_hand, 10000, 0);
    assert_float_equal(l.reserved, 10000, 1e-9);
    assert_float_equal(l.available, 0, 0);
    l = row(f, "dp-dsz-petro", "sandbag");
    assert_float_equal(l.reserved, 8000, 1e-9);
    f->info->items[0].levels[0].on_hand = 99; /* depots.yaml edited since: dp-xj7 sandbag */
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    uint64_t before = 0, after = 0;
    assert_int_equal(hl_kv_count(t, STOCK_T_ENTRY, &before), 0);
    assert_int_equal(before, 51 + 4);
    assert_int_equal(
        stock_store_seed(t, f->info, &f->cat, f->now, &seeded, NULL, NULL, NULL, why, sizeof why),
        0);
    assert_int_equal(seeded, 0);
    assert_int_equal(hl_kv_count(t, STOCK_T_ENTRY, &after), 0);
    assert_int_equal(after, before);
    assert_int_equal(hl_txn_commit(&t), 0);
    f->info->items[0].levels[0].on_hand = 20000;
    assert_float_equal(row(f, "dp-xj7", "sandbag").on_hand, 20000, 0);

    /* Release the first, issue the second; final states refuse further actions. */
    Hl__Reservation *out = NULL;
    int64_t later = f->now + 3600000;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_act(t, f->info, &f->cat, "rsv-000001", "release", "xj7-emb", 0,
                                     later, NULL, &out, why, sizeof why),
                     0);
    assert_string_equal(out->state, "released");
    assert_int_equal(out->updated_ms, later);
    assert_int_equal(out->created_ms, f->now);
    free_msg(out);
    assert_int_equal(stock_store_act(t, f->info, &f->cat, "rsv-000001", "issue", "xj7-emb", 0,
                                     later, NULL, &out, why, sizeof why),
                     HL_ESTATE);
    assert_null(out);
    assert_non_null(strstr(why, "rsv-000001 is released"));
    assert_int_equal(stock_store_act(t, f->info, &f->cat, "rsv-000002", "issue", "xj7-emb", 0,
                                     later, NULL, &out, why, sizeof why),
                     0);
    assert_string_equal(out->state, "issued");
    free_msg(out);
    assert_int_equal(stock_store_act(t, f->info, &f->cat, "rsv-000009", "release", "xj7-emb", 0,
                                     later, NULL, &out, why, sizeof why),
                     HL_ENOTFOUND);
    assert_non_null(strstr(why, "no reservation rsv-000009"));
    assert_int_equal(stock_store_act(t, f->info, &f->cat, "rsv-000002", "burn", "xj7-emb", 0, later,
                                     NULL, &out, why, sizeof why),
                     HL_EINVAL);
    assert_int_equal(hl_txn_commit(&t), 0);
    f->now = later;
    l = row(f, "dp-kuitun", "sandbag");
    assert_float_equal(l.reserved, 0, 1e-9);
    assert_float_equal(l.on_hand, 10000, 0);
    l = row(f, "dp-dsz-petro", "sandbag");
    assert_float_equal(l.on_hand, 5000, 1e-9); /* 8000 − 3000 issued */
    assert_float_equal(l.issued, 3000, 1e-9);
    assert_float_equal(l.reserved, 0, 1e-9);
    assert_float_equal(row(f, "dp-wusu", "sandbag").on_hand, 4000, 1e-9);

    /* A reservation made in a nested transaction that is aborted leaves nothing behind (hl_svc
     * runs each request so). */
    hl_txn *parent = NULL, *child = NULL;
    Hl__ReserveRequest rq = HL__RESERVE_REQUEST__INIT;
    Hl__GeoPoint near = HL__GEO_POINT__INIT;
    Hl__MaterialNeed n = HL__MATERIAL_NEED__INIT;
    Hl__MaterialNeed *np = &n;
    near.lat = 44.38;
    near.lon = 84.85;
    rq.incident_id = "inc-3";
    rq.near = &near;
    n.material_id = "boom";
    n.quantity = 100;
    rq.n_needs = 1;
    rq.needs = &np;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &parent), 0);
    assert_int_equal(hl_txn_begin(f->st, parent, 0, &child), 0);
    assert_int_equal(stock_store_reserve(child, f->info, &f->cat, &rq, "playbook", f->now, NULL,
                                         &out, why, sizeof why),
                     0);
    assert_string_equal(out->id, "rsv-000003");
    free_msg(out);
    hl_txn_abort(&child);
    assert_int_equal(hl_txn_commit(&parent), 0);
    assert_float_equal(row(f, "dp-kuitun", "boom").reserved, 0, 0);
    Hl__ReservationList *rl = NULL;
    Hl__ListQuery lq = HL__LIST_QUERY__INIT;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_reservations(t, &lq, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 2);
    assert_false(rl->truncated);
    free_msg(rl);
    hl_txn_abort(&t);
}

static void stock_store_lists(void **state)
{
    fx *f = *state;
    hl_txn *t = NULL;
    free_msg(reserve(f, "inc-a", "boom", 10));
    free_msg(reserve(f, "inc-b", "boom", 20));
    free_msg(reserve(f, "inc-a", "pump", 1));

    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__StockList *sl = NULL;
    Hl__ReservationList *rl = NULL;
    Hl__LedgerTotals *lt = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);

    /* All rows: 10 + 9 + 10 + 10 + 10 in depots.yaml. */
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 49);
    assert_false(sl->truncated);
    free_msg(sl);
    /* By depot, by material, by owner unit. */
    q.id = "dp-reg130";
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 9);
    assert_string_equal(sl->items[0]->jurisdiction, "corps");
    assert_true(sl->items[0]->quantity_assumed);
    assert_string_equal(sl->items[0]->material_name, "沙袋/编织袋(装土)");
    free_msg(sl);
    q.id = "boom";
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 5);
    for (size_t i = 0; i < sl->n_items; i++)
        if (strcmp(sl->items[i]->depot_id, "dp-kuitun") == 0) {
            assert_float_equal(sl->items[i]->reserved, 30, 1e-9);
            assert_float_equal(sl->items[i]->available, 970, 1e-9);
            assert_float_equal(sl->items[i]->minimum, 200, 0);
            assert_false(sl->items[i]->below_minimum);
        }
    free_msg(sl);
    q.id = "";
    q.unit_id = "dsz-petro-ert";
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 10);
    free_msg(sl);
    /* Limit and byte budget both truncate, and say so. */
    q.unit_id = "";
    q.limit = 3;
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 3);
    assert_true(sl->truncated);
    free_msg(sl);
    q.limit = 0;
    assert_int_equal(stock_store_list(t, f->info, &f->cat, &q, f->now, 1000, &sl), 0);
    assert_true(sl->n_items > 0 && sl->n_items < 49);
    assert_true(sl->truncated);
    assert_true(protobuf_c_message_get_packed_size(&sl->base) <= 1000);
    free_msg(sl);

    /* Ledger totals: the figures behind each row, lots with their expiry. */
    q.id = "activated-carbon";
    assert_int_equal(stock_store_totals(t, f->info, &f->cat, &q, f->now, 1 << 20, &lt), 0);
    assert_int_equal(lt->n_items, 5);
    assert_int_equal(lt->as_of_ms, f->now);
    const Hl__LedgerTotal *x = lt->items[0];
    assert_string_equal(x->depot_id, "dp-xj7");
    assert_float_equal(x->received, 50, 0);
    assert_float_equal(x->on_hand, 50, 0);
    assert_float_equal(x->available, 50, 0);
    assert_float_equal(x->minimum, 10, 0);
    assert_false(x->below_minimum);
    assert_int_equal(x->n_lots, 2);
    assert_string_equal(x->lots[0]->lot_id, "AC-XJ7-2024-05");
    assert_int_equal(x->lots[0]->expiry_ms, T("2027-05-31T00:00:00+08:00"));
    assert_false(x->lots[0]->expired);
    assert_int_equal(x->entries, 2);
    assert_true(x->quantity_assumed);
    free_msg(lt);

    q.id = "";
    q.incident_id = "inc-a";
    assert_int_equal(stock_store_reservations(t, &q, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 2);
    assert_string_equal(rl->reservations[0]->id, "rsv-000001");
    assert_string_equal(rl->reservations[1]->id, "rsv-000003");
    free_msg(rl);
    q.incident_id = "";
    q.id = "rsv-000002";
    assert_int_equal(stock_store_reservations(t, &q, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 1);
    assert_string_equal(rl->reservations[0]->incident_id, "inc-b");
    free_msg(rl);
    hl_txn_abort(&t);
}

/* stock.entry through the store: a LedgerEntry request as a client sends it. */
typedef struct ent {
    Hl__LedgerEntry e;
} ent;

static void ent_init(ent *x, const char *kind, const char *depot, const char *material, double q)
{
    hl__ledger_entry__init(&x->e);
    x->e.kind = (char *)kind;
    x->e.depot_id = (char *)depot;
    x->e.material_id = (char *)material;
    x->e.quantity = q;
}

/* Apply one entry; returns the rc and, on success, the result (free it). */
static int apply(fx *f, const ent *x, Hl__LedgerResult **res, stock_alerts *al, char *field,
                 char *why)
{
    char f2[STOCK_FIELD_MAX];
    hl_txn *t = NULL;
    *res = NULL;
    int rc = stock_msg_check_entry(&x->e, f->info, &f->cat, field, why);
    if (rc < 0)
        return rc;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    rc = stock_store_entry(t, f->info, &f->cat, &x->e, "xj7-emb", f->now, al, res, f2, why,
                           STOCK_WHY_MAX);
    snprintf(field, STOCK_FIELD_MAX, "%s", f2);
    if (rc == 0)
        assert_int_equal(hl_txn_commit(&t), 0);
    else
        hl_txn_abort(&t);
    return rc;
}

static void apply_ok(fx *f, const ent *x, stock_alerts *al, size_t nentries)
{
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    Hl__LedgerResult *res = NULL;
    int rc = apply(f, x, &res, al, field, why);
    if (rc != 0)
        fail_msg("%s %g %s at %s: %d %s: %s", x->e.kind, x->e.quantity, x->e.material_id,
                 x->e.depot_id, rc, field, why);
    assert_int_equal(res->n_entries, nentries);
    free_msg(res);
}

static void stock_store_entries_fefo_transfer(void **state)
{
    fx *f = *state;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    Hl__LedgerResult *res = NULL;
    ent x;

    /* FEFO: 25 t of carbon from dp-xj7 take the 20 t lot expiring 2027-05 first, then 5 t of
     * the 2028-10 lot. */
    ent_init(&x, "issue", "dp-xj7", "activated-carbon", 25);
    x.e.unit = "t";
    x.e.link_id = "inc-benzene";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), 0);
    assert_int_equal(res->n_entries, 2);
    assert_string_equal(res->entries[0]->lot_id, "AC-XJ7-2024-05");
    assert_float_equal(res->entries[0]->quantity, 20, 1e-9);
    assert_string_equal(res->entries[1]->lot_id, "AC-XJ7-2025-10");
    assert_float_equal(res->entries[1]->quantity, 5, 1e-9);
    assert_string_equal(res->entries[0]->actor, "xj7-emb");
    assert_string_equal(res->entries[0]->kind, "issue");
    assert_string_equal(res->entries[0]->unit, "t");
    assert_string_equal(res->entries[0]->link_id, "inc-benzene");
    assert_int_equal(res->entries[0]->recorded_ms, f->now);
    free_msg(res);

    /* A backdated issue that the later issue already emptied: refused with where and when. 25
     * t remain (all in the 2028-10 lot); 30 t at 09:00 leave 25 − 30 − … at 10:00. */
    ent_init(&x, "issue", "dp-xj7", "activated-carbon", 26);
    x.e.lot_id = "AC-XJ7-2025-10";
    x.e.effective_ms = T("2026-11-30T09:00:00+08:00");
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_ESTATE);
    assert_string_equal(field, "entry.quantity");
    assert_non_null(strstr(why, "would make on hand of lot AC-XJ7-2025-10 of activated-carbon at "
                                "dp-xj7 \xe2\x88\x92"
                                "1 t at 2026-11-30T10:00:00+08:00"));
    assert_null(res);
    /* Without a lot, FEFO finds nothing but 25 t. */
    x.e.lot_id = "";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_ESTATE);
    assert_non_null(strstr(why, "only 25 t of activated-carbon at dp-xj7"));

    /* Transfer 3 t to dp-reg130: two linked entries, the lot and its expiry travel. */
    ent_init(&x, "transfer", "dp-xj7", "activated-carbon", 3);
    x.e.to_depot_id = "dp-reg130";
    x.e.reason = "top up the regiment before the irrigation season";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), 0);
    assert_int_equal(res->n_entries, 2);
    assert_string_equal(res->entries[0]->kind, "transfer-out");
    assert_string_equal(res->entries[0]->depot_id, "dp-xj7");
    assert_string_equal(res->entries[1]->kind, "transfer-in");
    assert_string_equal(res->entries[1]->depot_id, "dp-reg130");
    assert_string_equal(res->entries[1]->lot_id, "AC-XJ7-2025-10");
    assert_int_equal(res->entries[1]->expiry_ms, T("2028-10-31T00:00:00+08:00"));
    assert_string_equal(res->entries[0]->link_id, res->entries[1]->id);
    assert_string_equal(res->entries[1]->link_id, res->entries[0]->id);
    free_msg(res);
    stock_level l = row(f, "dp-reg130", "activated-carbon");
    assert_float_equal(l.on_hand, 8, 1e-9);
    assert_float_equal(row(f, "dp-xj7", "activated-carbon").on_hand, 22, 1e-9);

    /* Adjustments need a reason; receipts a lot; unknown depots and kinds are refused. */
    ent_init(&x, "adjustment", "dp-wusu", "boom", -20);
    x.e.lot_id = "opening";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.reason");
    assert_non_null(strstr(why, "must state its reason"));
    x.e.reason = "count on 2026-11-29: 20 m cut by rodents";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), 0);
    free_msg(res);
    assert_float_equal(row(f, "dp-wusu", "boom").on_hand, 480, 1e-9);
    ent_init(&x, "receipt", "dp-wusu", "boom", 20);
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.lot_id");
    ent_init(&x, "receipt", "dp-nowhere", "boom", 20);
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_ENOTFOUND);
    assert_string_equal(field, "entry.depot_id");
    ent_init(&x, "theft", "dp-wusu", "boom", 20);
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.kind");
    ent_init(&x, "reservation", "dp-wusu", "boom", 20);
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.kind");
    ent_init(&x, "receipt", "dp-wusu", "boom", 20);
    x.e.lot_id = "B-1";
    x.e.unit = "kg";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EUNIT);
    assert_string_equal(field, "entry.unit");
    x.e.unit = "米";
    x.e.effective_ms = f->now + 3600000; /* an hour ahead of the clock */
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.effective_ms");
    ent_init(&x, "transfer", "dp-wusu", "boom", 20);
    x.e.to_depot_id = "dp-wusu";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "entry.to_depot_id");

    /* Expiry: a receipt of a lot that has already expired is on hand but not available, and
     * can only be written off. */
    ent_init(&x, "receipt", "dp-wusu", "activated-carbon", 2);
    x.e.lot_id = "AC-WS-2023-01";
    x.e.expiry_ms = T("2026-01-31T00:00:00+08:00");
    x.e.effective_ms = T("2025-02-01T00:00:00+08:00");
    apply_ok(f, &x, NULL, 1);
    l = row(f, "dp-wusu", "activated-carbon");
    assert_float_equal(l.on_hand, 12, 1e-9);
    assert_float_equal(l.expired, 2, 1e-9);
    assert_float_equal(l.below, 10, 1e-9);
    ent_init(&x, "consumption", "dp-wusu", "activated-carbon", 1);
    x.e.lot_id = "AC-WS-2023-01";
    assert_int_equal(apply(f, &x, &res, NULL, field, why), HL_ESTATE);
    assert_non_null(strstr(why, "expired stock is not available"));
    ent_init(&x, "expiry-write-off", "dp-wusu", "activated-carbon", 2);
    x.e.lot_id = "AC-WS-2023-01";
    apply_ok(f, &x, NULL, 1);
    l = row(f, "dp-wusu", "activated-carbon");
    assert_float_equal(l.on_hand, 10, 1e-9);
    assert_float_equal(l.expired, 0, 1e-9);
}

/* Minimum levels: dp-kuitun sandbags, minimum 2000 of 10000 (depots.yaml). */
static void stock_store_low_once(void **state)
{
    fx *f = *state;
    stock_alerts al = {0};
    ent x;
    static const struct {
        const char *kind;
        double q;
        size_t alerts;     /* alerts this entry raised or cleared */
        const char *state; /* of that alert */
    } seq[] = {
        {"issue", 7000, 0, NULL},        /* 3000 left */
        {"issue", 1500, 1, "raised"},    /* 1500 < 2000: crossing */
        {"issue", 100, 0, NULL},         /* still below: nothing new */
        {"consumption", 400, 0, NULL},   /* 1000 */
        {"receipt", 1500, 1, "cleared"}, /* 2500: replenished */
        {"receipt", 10, 0, NULL},
        {"issue", 600, 1, "raised"}, /* 1910: a second crossing, a second alert */
    };
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        ent_init(&x, seq[i].kind, "dp-kuitun", "sandbag", seq[i].q);
        x.e.lot_id = "opening";
        apply_ok(f, &x, &al, 1);
        if (al.n != seq[i].alerts)
            fail_msg("step %zu (%s %g): %zu alerts, want %zu", i, seq[i].kind, seq[i].q, al.n,
                     seq[i].alerts);
        if (seq[i].state) {
            assert_string_equal(al.items[0]->state, seq[i].state);
            assert_string_equal(al.items[0]->depot_id, "dp-kuitun");
            assert_string_equal(al.items[0]->material_id, "sandbag");
            assert_float_equal(al.items[0]->minimum, 2000, 0);
            assert_string_equal(al.items[0]->unit, "bag");
            assert_true(strncmp(al.items[0]->entry_id, "le-", 3) == 0);
        }
        stock_alerts_free(&al);
    }
    /* Two records: the first cleared, the second still raised. A sweep adds nothing. */
    hl_txn *t = NULL;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__StockAlertList *l = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_low_sweep(t, f->info, &f->cat, f->now, &al), 0);
    assert_int_equal(al.n, 0);
    q.id = "dp-kuitun";
    assert_int_equal(stock_store_alerts(t, &q, 1 << 20, &l), 0);
    assert_int_equal(l->n_alerts, 2);
    assert_string_equal(l->alerts[0]->id, "low-000001");
    assert_string_equal(l->alerts[0]->state, "cleared");
    assert_int_equal(l->alerts[0]->cleared_ms, f->now);
    assert_string_equal(l->alerts[1]->state, "raised");
    assert_int_equal(l->alerts[1]->cleared_ms, 0);
    free_msg(l);
    assert_int_equal(hl_txn_commit(&t), 0);
    assert_true(row(f, "dp-kuitun", "sandbag").below < 2000);

    /* Time alone can cross a minimum: dp-kuitun carbon (minimum 4 t, 20 t in two lots) after
     * its 8 t lot expires on 2027-03-31 and 9 t more are issued has 3 t left: the sweep on
     * 2027-04-01 raises it, once. */
    ent_init(&x, "issue", "dp-kuitun", "activated-carbon", 9);
    x.e.lot_id = "AC-KT-2025-06";
    apply_ok(f, &x, &al, 1);
    assert_int_equal(al.n, 0); /* 11 t available today */
    int64_t april = T("2027-04-01T08:00:00+08:00");
    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
        assert_int_equal(stock_store_low_sweep(t, f->info, &f->cat, april, &al), 0);
        assert_int_equal(hl_txn_commit(&t), 0);
        assert_int_equal(al.n, pass == 0 ? 1 : 0);
        if (pass == 0) {
            assert_string_equal(al.items[0]->material_id, "activated-carbon");
            assert_float_equal(al.items[0]->available, 3, 1e-9);
            assert_string_equal(al.items[0]->entry_id, "");
        }
        stock_alerts_free(&al);
    }
}

/* The EDXL-RM chain: regiment 130 (corps) asks the Kuitun City depot (local, kt-eeb). */
static int rm_call(fx *f, int step, const ProtobufCMessage *m, Hl__ResourceRecord **out,
                   stock_alerts *al, char *field, char *why)
{
    hl_txn *t = NULL;
    int rc;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    switch (step) {
    case 0:
        rc = stock_msg_check_request((const Hl__ResourceRequest *)m, f->info, &f->cat, field, why);
        if (rc == 0)
            rc = stock_store_request(t, f->info, &f->cat, (const Hl__ResourceRequest *)m, f->now,
                                     out, field, why, STOCK_WHY_MAX);
        break;
    case 1:
        rc = stock_msg_check_respond((const Hl__ResourceResponse *)m, &f->cat, field, why);
        if (rc == 0)
            rc = stock_store_respond(t, f->info, &f->cat, (const Hl__ResourceResponse *)m, f->now,
                                     out, field, why, STOCK_WHY_MAX);
        break;
    case 2:
        rc = stock_msg_check_commit((const Hl__ResourceCommitment *)m, &f->cat, field, why);
        if (rc == 0)
            rc = stock_store_commit(t, f->info, &f->cat, (const Hl__ResourceCommitment *)m, f->now,
                                    al, out, field, why, STOCK_WHY_MAX);
        break;
    default:
        rc = stock_msg_check_fulfil((const Hl__ResourceFulfilment *)m, field, why);
        if (rc == 0)
            rc = stock_store_fulfil(t, f->info, &f->cat, (const Hl__ResourceFulfilment *)m, f->now,
                                    al, out, field, why, STOCK_WHY_MAX);
        break;
    }
    if (rc == 0)
        assert_int_equal(hl_txn_commit(&t), 0);
    else
        hl_txn_abort(&t);
    return rc;
}

static void stock_store_rm_chain(void **state)
{
    fx *f = *state;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    Hl__ResourceRecord *rec = NULL;
    Hl__MaterialNeed n[2] = {HL__MATERIAL_NEED__INIT, HL__MATERIAL_NEED__INIT};
    Hl__MaterialNeed *np[2] = {&n[0], &n[1]};
    n[0].material_id = "activated-carbon";
    n[0].quantity = 5;
    n[0].unit = "t";
    n[1].material_id = "sandbag";
    n[1].quantity = 500;

    Hl__ResourceRequest rq = HL__RESOURCE_REQUEST__INIT;
    rq.incident_id = "inc-benzene-1";
    rq.requester_unit = "reg-130";
    rq.depot_id = "dp-kuitun";
    rq.needs = np;
    rq.n_needs = 2;
    rq.location = "奎屯河新渠首 (sp-xinqushou)";
    rq.requested_arrival_ms = f->now + 2 * 3600000;
    assert_int_equal(rm_call(f, 0, &rq.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->id, "rq-000001");
    assert_string_equal(rec->state, "requested");
    assert_string_equal(rec->owner_unit, "kt-eeb");
    assert_string_equal(rec->depot_jurisdiction, "local");
    assert_int_equal(rec->n_steps, 1);
    assert_string_equal(rec->steps[0]->message_type, "RequestResource");
    assert_string_equal(rec->steps[0]->schedule_type, "RequestedArrival");
    assert_string_equal(rec->needs[1]->unit, "bag");
    free_msg(rec);

    /* Commit before any answer, and answers from the wrong unit, are refused. */
    Hl__ResourceCommitment cm = HL__RESOURCE_COMMITMENT__INIT;
    cm.request_id = "rq-000001";
    cm.unit = "kt-eeb";
    assert_int_equal(rm_call(f, 2, &cm.base, &rec, NULL, field, why), HL_ESTATE);
    assert_string_equal(field, "commit.request_id");
    assert_non_null(strstr(why, "request rq-000001 is requested"));
    Hl__ResourceResponse rp = HL__RESOURCE_RESPONSE__INIT;
    rp.request_id = "rq-000001";
    rp.responder_unit = "reg-130";
    rp.response_type = "Accept";
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), HL_EDENIED);
    assert_string_equal(field, "respond.responder_unit");
    assert_non_null(strstr(why, "only kt-eeb (holder of dp-kuitun)"));

    /* Provisional needs a reason (EDXL-RM 1.0 ResponseInformationType). */
    rp.responder_unit = "kt-eeb";
    rp.response_type = "provisional";
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), HL_EINVAL);
    assert_string_equal(field, "respond.reason");
    Hl__MaterialNeed off = HL__MATERIAL_NEED__INIT, *offp = &off;
    off.material_id = "activated-carbon";
    off.quantity = 4;
    rp.reason_code = "PARTIAL";
    rp.reason = "4 t now; 1 t stays for the city's own water works";
    rp.offered = &offp;
    rp.n_offered = 1;
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->state, "provisional");
    assert_string_equal(rec->steps[1]->id, "rp-000001");
    assert_string_equal(rec->steps[1]->response_type, "Provisional");
    assert_string_equal(rec->steps[1]->preceding_id, "rq-000001");
    free_msg(rec);
    /* An offer above what was asked, or of something not asked, is refused. */
    off.quantity = 6;
    rp.response_type = "Accept";
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), HL_ESTATE);
    assert_string_equal(field, "respond.offered[0]");
    off.material_id = "boom";
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), HL_EINVAL);
    assert_non_null(strstr(why, "boom was not asked for"));
    /* The holder settles: accept 4 t of carbon and the 500 sandbags. */
    Hl__MaterialNeed off2[2] = {HL__MATERIAL_NEED__INIT, HL__MATERIAL_NEED__INIT};
    Hl__MaterialNeed *off2p[2] = {&off2[0], &off2[1]};
    off2[0].material_id = "activated-carbon";
    off2[0].quantity = 4;
    off2[1].material_id = "sandbag";
    off2[1].quantity = 500;
    rp.offered = off2p;
    rp.n_offered = 2;
    rp.reason_code = rp.reason = "";
    assert_int_equal(rm_call(f, 1, &rp.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->state, "accepted");
    assert_string_equal(rec->steps[2]->preceding_id, "rp-000001");
    free_msg(rec);

    /* Commit more than offered: refused. Commit what was offered: reserved in the ledger. */
    Hl__MaterialNeed more = HL__MATERIAL_NEED__INIT, *morep = &more;
    more.material_id = "activated-carbon";
    more.quantity = 5;
    cm.quantities = &morep;
    cm.n_quantities = 1;
    assert_int_equal(rm_call(f, 2, &cm.base, &rec, NULL, field, why), HL_ESTATE);
    assert_string_equal(field, "commit.quantities[0]");
    assert_non_null(strstr(why, "exceeds what was offered"));
    cm.quantities = NULL;
    cm.n_quantities = 0;
    cm.unit = "reg-130";
    assert_int_equal(rm_call(f, 2, &cm.base, &rec, NULL, field, why), HL_EDENIED);
    cm.unit = "kt-eeb";
    assert_int_equal(rm_call(f, 2, &cm.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->state, "committed");
    assert_string_equal(rec->steps[3]->id, "cm-000001");
    assert_string_equal(rec->steps[3]->message_type, "CommitResource");
    assert_string_equal(rec->steps[3]->preceding_id, "rp-000002");
    assert_string_equal(rec->steps[3]->schedule_type, "Committed");
    assert_string_equal(rec->steps[3]->reservation_id, "rsv-000001");
    free_msg(rec);
    stock_level l = row(f, "dp-kuitun", "activated-carbon");
    assert_float_equal(l.reserved, 4, 1e-9);
    assert_float_equal(l.available, 16, 1e-9);
    assert_float_equal(row(f, "dp-kuitun", "sandbag").reserved, 500, 1e-9);

    /* Fulfil: by someone else refused; by the requester, the reservation is issued (FEFO:
     * the 2027-03 lot first). */
    Hl__ResourceFulfilment ff = HL__RESOURCE_FULFILMENT__INIT;
    ff.request_id = "rq-000001";
    ff.unit = "ws-eeb";
    assert_int_equal(rm_call(f, 3, &ff.base, &rec, NULL, field, why), HL_EDENIED);
    assert_string_equal(field, "fulfil.unit");
    ff.unit = "reg-130";
    assert_int_equal(rm_call(f, 3, &ff.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->state, "fulfilled");
    assert_int_equal(rec->n_steps, 5);
    assert_string_equal(rec->steps[4]->id, "ff-000001");
    assert_string_equal(rec->steps[4]->message_type, "ReportResourceDeploymentStatus");
    assert_string_equal(rec->steps[4]->schedule_type, "ActualArrival");
    assert_string_equal(rec->steps[4]->preceding_id, "cm-000001");
    free_msg(rec);
    l = row(f, "dp-kuitun", "activated-carbon");
    assert_float_equal(l.reserved, 0, 1e-9);
    assert_float_equal(l.on_hand, 16, 1e-9);
    hl_txn *t = NULL;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__LedgerEntryList *el = NULL;
    q.id = "rsv-000001";
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_entries(t, &q, 1 << 20, &el), 0);
    hl_txn_abort(&t);
    int carbon_issue = 0;
    for (size_t i = 0; i < el->n_entries; i++)
        if (strcmp(el->entries[i]->kind, "issue") == 0 &&
            strcmp(el->entries[i]->material_id, "activated-carbon") == 0) {
            assert_string_equal(el->entries[i]->lot_id, "AC-KT-2024-03");
            assert_true(el->entries[i]->from_reserved);
            assert_string_equal(el->entries[i]->actor, "reg-130");
            carbon_issue++;
        }
    assert_int_equal(carbon_issue, 1);
    free_msg(el);
    /* Fulfilled is final. */
    assert_int_equal(rm_call(f, 3, &ff.base, &rec, NULL, field, why), HL_ESTATE);

    /* A declined request cannot be committed. */
    rq.requester_unit = "kt-eeb";
    rq.depot_id = "dp-xj7";
    assert_int_equal(rm_call(f, 0, &rq.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->id, "rq-000002");
    free_msg(rec);
    Hl__ResourceResponse dc = HL__RESOURCE_RESPONSE__INIT;
    dc.request_id = "rq-000002";
    dc.responder_unit = "xj7-emb";
    dc.response_type = "Decline";
    assert_int_equal(rm_call(f, 1, &dc.base, &rec, NULL, field, why), 0);
    assert_string_equal(rec->state, "declined");
    assert_int_equal(rec->steps[1]->n_quantities, 0);
    free_msg(rec);
    cm.request_id = "rq-000002";
    cm.unit = "xj7-emb";
    assert_int_equal(rm_call(f, 2, &cm.base, &rec, NULL, field, why), HL_ESTATE);
    assert_non_null(strstr(why, "request rq-000002 is declined"));

    Hl__ResourceRecordList *rl = NULL;
    Hl__ListQuery lq = HL__LIST_QUERY__INIT;
    lq.id = "kt-eeb";
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_requests(t, &lq, 1 << 20, &rl), 0);
    hl_txn_abort(&t);
    assert_int_equal(rl->n_records, 2); /* holder of the first, requester of the second */
    free_msg(rl);
}

/* Near the G30 bridge (44.38, 84.85), hand-computed: great-circle km dp-kuitun 5.996,
 * dp-dsz-petro 6.420, dp-wusu 14.928, dp-reg130 26.273, dp-xj7 34.805; road km = × 1.3;
 * minutes = dispatch + road km / 50 km/h × 60:
 *   dp-dsz-petro 20 + 10.015 = 30.015   dp-kuitun 30 + 9.354 = 39.354
 *   dp-wusu 40 + 23.288 = 63.288       dp-reg130 45 + 40.986 = 85.986
 *   dp-xj7 60 + 54.296 = 114.296
 * The enterprise depot arrives first though the city depot is nearer. */
static void stock_store_cover_soonest(void **state)
{
    fx *f = *state;
    Hl__CoverQuery q = HL__COVER_QUERY__INIT;
    Hl__GeoPoint near = HL__GEO_POINT__INIT;
    Hl__MaterialNeed n[2] = {HL__MATERIAL_NEED__INIT, HL__MATERIAL_NEED__INIT};
    Hl__MaterialNeed *np[2] = {&n[0], &n[1]};
    near.lat = 44.38;
    near.lon = 84.85;
    q.near = &near;
    n[0].material_id = "activated-carbon";
    n[0].quantity = 40;
    n[1].material_id = "boom";
    n[1].quantity = 100;
    q.needs = np;
    q.n_needs = 2;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    assert_int_equal(stock_msg_check_cover(&q, &f->cat, field, why), 0);
    hl_txn *t = NULL;
    Hl__CoverResult *c = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_cover(t, f->info, &f->cat, &q, f->now, &c), 0);
    assert_int_equal(c->n_lines, 3);
    assert_string_equal(c->lines[0]->depot_id, "dp-dsz-petro");
    assert_float_equal(c->lines[0]->quantity, 30, 1e-9);
    assert_float_equal(c->lines[0]->straight_km, 6.420, 1e-3);
    assert_float_equal(c->lines[0]->road_km, 6.420 * 1.3, 2e-3);
    assert_float_equal(c->lines[0]->travel_min, 10.015, 5e-3);
    assert_float_equal(c->lines[0]->dispatch_min, 20, 0);
    assert_true(llabs(c->lines[0]->arrival_ms - (f->now + (int64_t)(30.015 * 60000))) < 500);
    assert_string_equal(c->lines[1]->depot_id, "dp-kuitun");
    assert_float_equal(c->lines[1]->quantity, 10, 1e-9);
    assert_true(llabs(c->lines[1]->arrival_ms - (f->now + (int64_t)(39.354 * 60000))) < 500);
    assert_string_equal(c->lines[2]->depot_id, "dp-dsz-petro");
    assert_string_equal(c->lines[2]->material_id, "boom");
    assert_true(c->complete);
    assert_int_equal(c->n_shortfall, 0);
    assert_int_equal(c->needs[0]->complete_ms, c->lines[1]->arrival_ms);
    assert_float_equal(c->detour_factor, 1.3, 0);
    assert_float_equal(c->speed_kmh, 50, 0);
    assert_non_null(strstr(c->assumption, "hazlink assumption"));
    free_msg(c);

    /* 200 t: every depot's carbon in arrival order, 115 t, and 85 t short. */
    n[0].quantity = 200;
    q.n_needs = 1;
    assert_int_equal(stock_store_cover(t, f->info, &f->cat, &q, f->now, &c), 0);
    hl_txn_abort(&t);
    static const char *const order[] = {"dp-dsz-petro", "dp-kuitun", "dp-wusu", "dp-reg130",
                                        "dp-xj7"};
    assert_int_equal(c->n_lines, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(c->lines[i]->depot_id, order[i]);
    assert_false(c->complete);
    assert_float_equal(c->needs[0]->covered, 115, 1e-9);
    assert_float_equal(c->needs[0]->shortfall, 85, 1e-9);
    assert_int_equal(c->n_shortfall, 1);
    assert_float_equal(c->shortfall[0]->quantity, 85, 1e-9);
    assert_string_equal(c->shortfall[0]->unit, "t");
    free_msg(c);
}

/* A store written by issue 2 (rows in "stock", no entries) becomes a ledger at the next
 * start, figures unchanged. */
static void stock_store_migrates_issue2(void **state)
{
    fx *f = *state;
    hl_txn *t = NULL;
    char why[256];
    int seeded = -1;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(hl_kv_put(t, STOCK_T_META, "seeded", "1780000000000", 13), 0);
    Hl__StockItem it = HL__STOCK_ITEM__INIT;
    it.depot_id = "dp-kuitun";
    it.material_id = "sandbag";
    it.on_hand = 9000;
    it.reserved = 4000;
    it.issued = 1000;
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hl_msg_pack(&it.base, &buf, &len), 0);
    assert_int_equal(hl_kv_put(t, STOCK_T_LEGACY, "dp-kuitun/sandbag", buf, len), 0);
    free(buf);
    assert_int_equal(
        stock_store_seed(t, f->info, &f->cat, f->now, &seeded, NULL, NULL, NULL, why, sizeof why),
        0);
    assert_int_equal(seeded, 2);
    assert_int_equal(hl_txn_commit(&t), 0);
    stock_level l = row(f, "dp-kuitun", "sandbag");
    assert_float_equal(l.on_hand, 9000, 0);
    assert_float_equal(l.reserved, 4000, 0);
    assert_float_equal(l.issued, 1000, 0);
    assert_float_equal(l.available, 5000, 0);
    /* Rows the old store did not have are not invented. */
    hl_txn_begin(f->st, NULL, 1, &t);
    ledger_history h;
    assert_int_equal(stock_store_history(t, &f->cat, "dp-xj7", "sandbag", &h), 0);
    assert_int_equal(h.n, 0);
    ledger_history_free(&h);
    hl_txn_abort(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stock_store_ledger_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_entries_fefo_transfer, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_low_once, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_rm_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_cover_soonest, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_migrates_issue2, setup_bare, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
