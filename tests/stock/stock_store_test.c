/* stock_store_test — the stock ledger and reservations in a real LMDB environment
 * (services/stock/stock_store.h): seeding once, reserving, releasing, issuing, lists, and
 * everything still there after the store is closed and opened again. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"
#include "stock_msg.h"
#include "stock_store.h"

typedef struct fx {
    char dir[64];
    hl_store *st;
    stock_catalogue cat;
    stock_depots *info;
} fx;

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
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
    *state = f;
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

static int diffs;
static void count_diff(const char *d, const char *m, double file, double ledger, int in_ledger,
                       void *ud)
{
    (void)ud;
    assert_string_equal(d, "dp-xj7");
    assert_string_equal(m, "sandbag");
    assert_float_equal(file, 99, 0);
    assert_float_equal(ledger, 20000, 0);
    assert_true(in_ledger);
    diffs++;
}

/* The reserved/on-hand figures of one ledger row, read in a fresh transaction. */
static void row(fx *f, const char *depot, const char *material, double *on_hand, double *reserved)
{
    hl_txn *t = NULL;
    stock_depots *ds = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_read(t, f->info, &f->cat, &ds), 0);
    hl_txn_abort(&t);
    int i = stock_depots_find(ds, depot);
    assert_true(i >= 0);
    const stock_level *l = stock_depot_level_c(&ds->items[i], material);
    assert_non_null(l);
    *on_hand = l->on_hand;
    *reserved = l->reserved;
    free(ds);
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
    assert_int_equal(stock_store_reserve(t, f->info, &f->cat, &rq, 1000, &res, why, sizeof why), 0);
    assert_int_equal(hl_txn_commit(&t), 0);
    return res;
}

static void free_res(Hl__Reservation *r)
{
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void stock_store_ledger_lifecycle(void **state)
{
    fx *f = *state;
    char err[512], why[STOCK_WHY_MAX];
    hl_txn *t = NULL;
    int seeded = -1;
    double oh, rs;

    /* First start seeds; a second start keeps the ledger, reporting where the file differs. */
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_seed(t, f->info, &f->cat, 1, &seeded, count_diff, NULL), 0);
    assert_int_equal(seeded, 1);
    assert_int_equal(hl_txn_commit(&t), 0);
    row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(oh, 10000, 0);
    assert_float_equal(rs, 0, 0);

    Hl__Reservation *r1 = reserve(f, "inc-1", "sandbag", 15000);
    assert_string_equal(r1->id, "rsv-000001");
    assert_string_equal(r1->state, "reserved");
    assert_int_equal(r1->n_lines, 2);
    assert_string_equal(r1->lines[0]->depot_id, "dp-kuitun");
    assert_float_equal(r1->lines[0]->quantity, 10000, 1e-9);
    assert_string_equal(r1->lines[1]->depot_id, "dp-dsz-petro");
    assert_float_equal(r1->lines[1]->quantity, 5000, 1e-9);
    free_res(r1);

    /* The second reservation sees the first's reserved quantities in the stored ledger. */
    Hl__Reservation *r2 = reserve(f, "inc-2", "sandbag", 5000);
    assert_string_equal(r2->id, "rsv-000002");
    assert_int_equal(r2->n_lines, 2);
    assert_string_equal(r2->lines[0]->depot_id, "dp-dsz-petro");
    assert_float_equal(r2->lines[0]->quantity, 3000, 1e-9);
    assert_string_equal(r2->lines[1]->depot_id, "dp-wusu");
    assert_float_equal(r2->lines[1]->quantity, 2000, 1e-9);
    free_res(r2);

    /* Close and open again, as after a restart: reservations and reserved amounts remain,
     * and seeding does not overwrite them. */
    hl_store_destroy(&f->st);
    assert_int_equal(hl_store_open(f->dir, 0, &f->st, err, sizeof err), 0);
    row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(oh, 10000, 0);
    assert_float_equal(rs, 10000, 1e-9);
    row(f, "dp-dsz-petro", "sandbag", &oh, &rs);
    assert_float_equal(rs, 8000, 1e-9);
    f->info->items[0].levels[0].on_hand = 99; /* depots.yaml edited since: dp-xj7 sandbag */
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_seed(t, f->info, &f->cat, 2, &seeded, count_diff, NULL), 0);
    assert_int_equal(hl_txn_commit(&t), 0);
    assert_int_equal(seeded, 0);
    assert_int_equal(diffs, 1);
    f->info->items[0].levels[0].on_hand = 20000;
    row(f, "dp-xj7", "sandbag", &oh, &rs);
    assert_float_equal(oh, 20000, 0);

    /* Release the first, issue the second; final states refuse further actions. */
    Hl__Reservation *out = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(
        stock_store_act(t, f->info, &f->cat, "rsv-000001", "release", 5000, &out, why, sizeof why),
        0);
    assert_string_equal(out->state, "released");
    assert_int_equal(out->updated_ms, 5000);
    assert_int_equal(out->created_ms, 1000);
    free_res(out);
    assert_int_equal(
        stock_store_act(t, f->info, &f->cat, "rsv-000001", "issue", 5001, &out, why, sizeof why),
        HL_ESTATE);
    assert_null(out);
    assert_non_null(strstr(why, "rsv-000001 is released"));
    assert_int_equal(
        stock_store_act(t, f->info, &f->cat, "rsv-000002", "issue", 5002, &out, why, sizeof why),
        0);
    assert_string_equal(out->state, "issued");
    free_res(out);
    assert_int_equal(
        stock_store_act(t, f->info, &f->cat, "rsv-000009", "release", 1, &out, why, sizeof why),
        HL_ENOTFOUND);
    assert_non_null(strstr(why, "no reservation rsv-000009"));
    assert_int_equal(
        stock_store_act(t, f->info, &f->cat, "rsv-000002", "burn", 1, &out, why, sizeof why),
        HL_EINVAL);
    assert_int_equal(hl_txn_commit(&t), 0);
    row(f, "dp-kuitun", "sandbag", &oh, &rs);
    assert_float_equal(rs, 0, 1e-9);
    assert_float_equal(oh, 10000, 0);
    row(f, "dp-dsz-petro", "sandbag", &oh, &rs);
    assert_float_equal(oh, 5000, 1e-9); /* 8000 − 3000 issued */
    assert_float_equal(rs, 0, 1e-9);
    row(f, "dp-wusu", "sandbag", &oh, &rs);
    assert_float_equal(oh, 4000, 1e-9);

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
    assert_int_equal(stock_store_reserve(child, f->info, &f->cat, &rq, 7, &out, why, sizeof why),
                     0);
    assert_string_equal(out->id, "rsv-000003");
    free_res(out);
    hl_txn_abort(&child);
    assert_int_equal(hl_txn_commit(&parent), 0);
    row(f, "dp-kuitun", "boom", &oh, &rs);
    assert_float_equal(rs, 0, 0);
    Hl__ReservationList *rl = NULL;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);
    assert_int_equal(stock_store_reservations(t, &q, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 2);
    assert_false(rl->truncated);
    protobuf_c_message_free_unpacked(&rl->base, NULL);
    hl_txn_abort(&t);
}

static void stock_store_lists(void **state)
{
    fx *f = *state;
    hl_txn *t = NULL;
    int seeded;
    assert_int_equal(hl_txn_begin(f->st, NULL, 0, &t), 0);
    assert_int_equal(stock_store_seed(t, f->info, &f->cat, 1, &seeded, NULL, NULL), 0);
    assert_int_equal(hl_txn_commit(&t), 0);
    free_res(reserve(f, "inc-a", "boom", 10));
    free_res(reserve(f, "inc-b", "boom", 20));
    free_res(reserve(f, "inc-a", "pump", 1));

    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__StockList *sl = NULL;
    Hl__ReservationList *rl = NULL;
    assert_int_equal(hl_txn_begin(f->st, NULL, 1, &t), 0);

    /* All rows: 10 + 9 + 10 + 10 + 10 in depots.yaml. */
    assert_int_equal(stock_store_list(t, &q, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 49);
    assert_false(sl->truncated);
    protobuf_c_message_free_unpacked(&sl->base, NULL);
    /* By depot, by material, by owner unit. */
    q.id = "dp-reg130";
    assert_int_equal(stock_store_list(t, &q, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 9);
    assert_string_equal(sl->items[0]->jurisdiction, "corps");
    assert_true(sl->items[0]->quantity_assumed);
    protobuf_c_message_free_unpacked(&sl->base, NULL);
    q.id = "boom";
    assert_int_equal(stock_store_list(t, &q, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 5);
    for (size_t i = 0; i < sl->n_items; i++)
        if (strcmp(sl->items[i]->depot_id, "dp-kuitun") == 0)
            assert_float_equal(sl->items[i]->reserved, 30, 1e-9);
    protobuf_c_message_free_unpacked(&sl->base, NULL);
    q.id = "";
    q.unit_id = "dsz-petro-ert";
    assert_int_equal(stock_store_list(t, &q, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 10);
    protobuf_c_message_free_unpacked(&sl->base, NULL);
    /* Limit and byte budget both truncate, and say so. */
    q.unit_id = "";
    q.limit = 3;
    assert_int_equal(stock_store_list(t, &q, 1 << 20, &sl), 0);
    assert_int_equal(sl->n_items, 3);
    assert_true(sl->truncated);
    protobuf_c_message_free_unpacked(&sl->base, NULL);
    q.limit = 0;
    assert_int_equal(stock_store_list(t, &q, 1000, &sl), 0);
    assert_true(sl->n_items > 0 && sl->n_items < 49);
    assert_true(sl->truncated);
    assert_true(protobuf_c_message_get_packed_size(&sl->base) <= 1000);
    protobuf_c_message_free_unpacked(&sl->base, NULL);

    q.incident_id = "inc-a";
    assert_int_equal(stock_store_reservations(t, &q, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 2);
    assert_string_equal(rl->reservations[0]->id, "rsv-000001");
    assert_string_equal(rl->reservations[1]->id, "rsv-000003");
    protobuf_c_message_free_unpacked(&rl->base, NULL);
    q.incident_id = "";
    q.id = "rsv-000002";
    assert_int_equal(stock_store_reservations(t, &q, 1 << 20, &rl), 0);
    assert_int_equal(rl->n_reservations, 1);
    assert_string_equal(rl->reservations[0]->incident_id, "inc-b");
    protobuf_c_message_free_unpacked(&rl->base, NULL);
    hl_txn_abort(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stock_store_ledger_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(stock_store_lists, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
