/* stock — the emergency material service: depots, stock ledger, reservations.
 *
 * Requests (docs/protocol.md):
 *   stock.reserve       ReserveRequest → Reservation   (applied once per idempotency key;
 *                                                        publishes "reservation.made")
 *   stock.release       ReservationAction → Reservation (action "release" or "issue")
 *   stock.list          ListQuery → StockList           (query)
 *   stock.reservations  ListQuery → ReservationList     (query)
 *
 * Data: <playbooks>/<plan>/materials.yaml and depots.yaml, read at every start. The depots'
 * quantities are copied into the LMDB ledger on the first start only; after that the ledger
 * is the truth (stock_store.h). Reset the ledger by stopping the service and removing
 * <data_dir>/stock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "stock_data.h"
#include "stock_msg.h"
#include "stock_store.h"

typedef struct stock_app {
    stock_catalogue cat;
    stock_depots *depots; /* depots.yaml: names, points, owners (quantities only seed) */
    size_t max_reply;     /* byte budget of a list reply */
} stock_app;

/* Unpack the request payload as desc; on failure answer HL_EDECODE naming the type. */
static ProtobufCMessage *payload(hl_req *r, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = hl_msg_unpack(desc, r->env->payload.data, r->env->payload.len);
    if (!m)
        hl_req_fail(r, HL_EDECODE, "payload", "%s payload is not a %s", r->env->type,
                    desc->short_name);
    return m;
}

static int on_reserve(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    Hl__Reservation *res = NULL;
    Hl__ReserveRequest *q = (Hl__ReserveRequest *)payload(r, &hl__reserve_request__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = stock_msg_check_reserve(q, &app->cat, field, why);
    if (rc < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    else if ((rc = stock_store_reserve(r->txn, app->depots, &app->cat, q, r->now_ms, &res, why,
                                       sizeof why)) < 0)
        rc = hl_req_fail(r, rc, "reserve", "%s", why);
    if (rc == 0 && (rc = hl_req_reply(r, r->env->type, &res->base)) == 0)
        rc = hl_svc_publish(r, "reservation.made", &res->base);
    if (rc == 0)
        hl_info("reservation %s for incident %s: %s, %zu lines, %zu materials short", res->id,
                res->incident_id, res->state, res->n_lines, res->n_shortfall);
    if (res)
        protobuf_c_message_free_unpacked(&res->base, NULL);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int on_release(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char why[STOCK_WHY_MAX];
    Hl__Reservation *res = NULL;
    Hl__ReservationAction *a =
        (Hl__ReservationAction *)payload(r, &hl__reservation_action__descriptor);
    if (!a)
        return HL_EDECODE;
    int rc;
    if (hl_id_check(a->reservation_id) < 0)
        rc = hl_req_fail(r, HL_EINVAL, "release.reservation_id",
                         "reservation_id is empty or not an id");
    else if (hl_str_check(a->action, 16, 0) < 0)
        rc = hl_req_fail(r, HL_EINVAL, "release.action", "action is not release or issue");
    else if ((rc = stock_store_act(r->txn, app->depots, &app->cat, a->reservation_id, a->action,
                                   r->now_ms, &res, why, sizeof why)) < 0)
        rc = hl_req_fail(r, rc, rc == HL_EINVAL ? "release.action" : "release.reservation_id", "%s",
                         why);
    else
        rc = hl_req_reply(r, r->env->type, &res->base);
    if (rc == 0)
        hl_info("reservation %s is now %s", res->id, res->state);
    if (res)
        protobuf_c_message_free_unpacked(&res->base, NULL);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return rc;
}

/* ListQuery strings are ids; anything else is answered with the field that is wrong. */
static int check_query(hl_req *r, const Hl__ListQuery *q)
{
    if (q->id && q->id[0] && hl_id_check(q->id) < 0)
        return hl_req_fail(r, HL_EINVAL, "query.id", "id is not an id");
    if (q->incident_id && q->incident_id[0] && hl_id_check(q->incident_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "query.incident_id", "incident_id is not an id");
    if (q->unit_id && q->unit_id[0] && hl_id_check(q->unit_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "query.unit_id", "unit_id is not an id");
    return 0;
}

/* A list query: which store function answers it. */
typedef int (*list_fn)(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes, ProtobufCMessage **out);
typedef struct list_handler {
    stock_app *app;
    list_fn fn;
    const char *what; /* for the error sentence */
} list_handler;

static int list_stock(hl_txn *t, const Hl__ListQuery *q, size_t max, ProtobufCMessage **out)
{
    return stock_store_list(t, q, max, (Hl__StockList **)out);
}

static int list_reservations(hl_txn *t, const Hl__ListQuery *q, size_t max, ProtobufCMessage **out)
{
    return stock_store_reservations(t, q, max, (Hl__ReservationList **)out);
}

static int on_list(hl_req *r, void *ud)
{
    const list_handler *h = ud;
    ProtobufCMessage *out = NULL;
    Hl__ListQuery *q = (Hl__ListQuery *)payload(r, &hl__list_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = check_query(r, q);
    if (rc == 0 && (rc = h->fn(r->txn, q, h->app->max_reply, &out)) < 0)
        rc = hl_req_fail(r, rc, "", "the %s cannot be read: %s", h->what, hl_strerror(rc));
    if (rc == 0)
        rc = hl_req_reply(r, r->env->type, out);
    if (out)
        protobuf_c_message_free_unpacked(out, NULL);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static void log_diff(const char *depot_id, const char *material_id, double file_on_hand,
                     double ledger_on_hand, int in_ledger, void *ud)
{
    (void)ud;
    if (in_ledger)
        hl_warn("depots.yaml says %s %s on hand %g; the ledger keeps %g (the file seeds the "
                "ledger on the first start only)",
                depot_id, material_id, file_on_hand, ledger_on_hand);
    else
        hl_warn("depots.yaml lists %s %s (%g) but the ledger has no such row: it cannot be "
                "reserved until the stock data directory is reset",
                depot_id, material_id, file_on_hand);
}

/* <playbooks>/<plan>/<file> into buf; HL_ETOOBIG (err says so) if it does not fit. */
static int data_path(const hl_config *cfg, const char *file, char *buf, size_t n, char *err,
                     size_t errlen)
{
    int k = snprintf(buf, n, "%s/%s/%s", cfg->playbook_dir, cfg->plan, file);
    if (k < 0 || (size_t)k >= n) {
        snprintf(err, errlen, "path of %s under %s is too long", file, cfg->playbook_dir);
        return HL_ETOOBIG;
    }
    return 0;
}

/* Load the two data files named by cfg. */
static int load_data(const hl_config *cfg, stock_app *app, char *err, size_t errlen)
{
    char path[2 * HL_PATH_MAX];
    int rc;
    if ((rc = data_path(cfg, "materials.yaml", path, sizeof path, err, errlen)) < 0 ||
        (rc = stock_materials_load(path, &app->cat, err, errlen)) < 0 ||
        (rc = data_path(cfg, "depots.yaml", path, sizeof path, err, errlen)) < 0)
        return rc;
    return stock_depots_load(path, &app->cat, &app->depots, err, errlen);
}

static int seed(hl_svc *svc, stock_app *app)
{
    hl_txn *t = NULL;
    int seeded = 0;
    int rc = hl_txn_begin(hl_svc_store(svc), NULL, 0, &t);
    if (rc == 0)
        rc = stock_store_seed(t, app->depots, &app->cat, hl_now_ms(), &seeded, log_diff, NULL);
    if (rc == 0)
        rc = hl_txn_commit(&t);
    hl_txn_abort(&t);
    if (rc < 0)
        hl_error("stock ledger cannot be prepared: %s", hl_strerror(rc));
    else if (seeded)
        hl_info("stock ledger seeded from depots.yaml (%zu depots; quantities are hazlink "
                "assumptions)",
                app->depots->n);
    else
        hl_info("stock ledger kept from earlier runs (depots.yaml quantities not re-read)");
    return rc;
}

int main(int argc, char **argv)
{
    hl_config cfg;
    int argi = 0;
    char err[1024];
    stock_app app;
    memset(&app, 0, sizeof app);
    if (hl_main_args(argc, argv, "stock", &cfg, &argi) < 0)
        return 2;
    if (argi < argc) {
        fprintf(stderr, "stock: unknown argument '%s' (see --help)\n", argv[argi]);
        return 2;
    }
    if (load_data(&cfg, &app, err, sizeof err) < 0) {
        hl_error("%s", err);
        return 1;
    }
    /* Leave room for the envelope around a list reply. */
    app.max_reply = cfg.max_msg_bytes > 8192 ? cfg.max_msg_bytes - 8192 : cfg.max_msg_bytes / 2;

    uv_loop_t loop;
    hl_svc *svc = NULL;
    int rc = uv_loop_init(&loop);
    if (rc == 0 && (rc = hl_svc_new(&loop, "stock", &cfg, &svc, err, sizeof err)) < 0)
        hl_error("%s", err);
    if (rc == 0)
        rc = seed(svc, &app);
    list_handler stock_list = {&app, list_stock, "stock ledger"};
    list_handler rsv_list = {&app, list_reservations, "reservations"};
    if (rc == 0 &&
        ((rc = hl_svc_on(svc, "stock.reserve", on_reserve, &app, 0)) < 0 ||
         (rc = hl_svc_on(svc, "stock.release", on_release, &app, 0)) < 0 ||
         (rc = hl_svc_on(svc, "stock.list", on_list, &stock_list, HL_H_QUERY)) < 0 ||
         (rc = hl_svc_on(svc, "stock.reservations", on_list, &rsv_list, HL_H_QUERY)) < 0))
        hl_error("stock: cannot register handlers: %s", hl_strerror(rc));
    if (rc == 0) {
        hl_svc_set_records_table(svc, STOCK_T_RESERVATION);
        rc = hl_svc_run(svc);
    }
    hl_svc_destroy(&svc);
    uv_loop_close(&loop);
    free(app.depots);
    return rc == 0 ? 0 : 1;
}
