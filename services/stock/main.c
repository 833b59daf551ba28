/* stock — the emergency material service: depots, the stock ledger, reservations,
 * minimum-level alerts and requests between agencies.
 *
 * Requests (docs/protocol.md):
 *   stock.reserve       ReserveRequest → Reservation   (applied once per idempotency key;
 *                                                        publishes "reservation.made")
 *   stock.release       ReservationAction → Reservation (action "release" or "issue")
 *   stock.entry         LedgerEntry → LedgerResult      (one change of stock, with its reason)
 *   stock.request       ResourceRequest → ResourceRecord     (EDXL-RM RequestResource)
 *   stock.respond       ResourceResponse → ResourceRecord    (ResponseToRequestResource)
 *   stock.commit        ResourceCommitment → ResourceRecord  (CommitResource)
 *   stock.fulfil        ResourceFulfilment → ResourceRecord  (ReportResourceDeploymentStatus)
 *   stock.list          ListQuery → StockList           (query)
 *   stock.ledger        ListQuery → LedgerTotals        (query)
 *   stock.entries       ListQuery → LedgerEntryList     (query)
 *   stock.alerts        ListQuery → StockAlertList      (query)
 *   stock.reservations  ListQuery → ReservationList     (query)
 *   stock.requests      ListQuery → ResourceRecordList  (query)
 *   stock.cover         CoverQuery → CoverResult        (query)
 * Every change that crosses a minimum level publishes "stock.low" (StockAlert) after the
 * commit; a timer looks once a minute for lots that expired since the last entry.
 *
 * Data: <playbooks>/<plan>/materials.yaml and depots.yaml, read at every start. The depots'
 * opening stock is written into the LMDB ledger on the first start only; after that the
 * ledger is the truth (stock_store.h). Reset the ledger by stopping the service and removing
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

#define LOW_SWEEP_MS 60000 /* real ms between looks for lots that expired */

typedef struct stock_app {
    stock_catalogue cat;
    stock_depots *depots; /* depots.yaml: names, points, owners, minimums (quantities seed) */
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

/* Who the ledger records as making a change: the sending unit or service. */
static const char *actor_of(const hl_req *r)
{
    const char *u = r->env ? r->env->sender_unit : NULL;
    return u && hl_id_check(u) == 0 ? u : "stock";
}

/* Publish the alerts a change raised or cleared ("stock.low"), after the commit. */
static int publish_alerts(hl_req *r, const stock_alerts *a)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->n; i++)
        rc = hl_svc_publish(r, "stock.low", &a->items[i]->base);
    return rc;
}

/* Reply with m (when the handler succeeded), publish alerts, free both. */
static int finish(hl_req *r, int rc, ProtobufCMessage *m, stock_alerts *a)
{
    if (rc == 0)
        rc = hl_req_reply(r, r->env->type, m);
    if (rc == 0 && a)
        rc = publish_alerts(r, a);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    stock_alerts_free(a);
    return rc;
}

static int on_reserve(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    stock_alerts al = {0};
    Hl__Reservation *res = NULL;
    Hl__ReserveRequest *q = (Hl__ReserveRequest *)payload(r, &hl__reserve_request__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = stock_msg_check_reserve(q, &app->cat, field, why);
    if (rc < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    else if ((rc = stock_store_reserve(r->txn, app->depots, &app->cat, q, actor_of(r), r->now_ms,
                                       &al, &res, why, sizeof why)) < 0)
        rc = hl_req_fail(r, rc, "reserve", "%s", why);
    if (rc == 0 && (rc = hl_svc_publish(r, "reservation.made", &res->base)) == 0)
        hl_info("reservation %s for incident %s: %s, %zu lines, %zu materials short", res->id,
                res->incident_id, res->state, res->n_lines, res->n_shortfall);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return finish(r, rc, res ? &res->base : NULL, &al);
}

static int on_release(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char why[STOCK_WHY_MAX];
    stock_alerts al = {0};
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
                                   actor_of(r), 0, r->now_ms, &al, &res, why, sizeof why)) < 0)
        rc = hl_req_fail(r, rc, rc == HL_EINVAL ? "release.action" : "release.reservation_id", "%s",
                         why);
    if (rc == 0)
        hl_info("reservation %s is now %s", res->id, res->state);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return finish(r, rc, res ? &res->base : NULL, &al);
}

static int on_entry(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    stock_alerts al = {0};
    Hl__LedgerResult *res = NULL;
    Hl__LedgerEntry *q = (Hl__LedgerEntry *)payload(r, &hl__ledger_entry__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = stock_msg_check_entry(q, app->depots, &app->cat, field, why);
    if (rc < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    else if ((rc = stock_store_entry(r->txn, app->depots, &app->cat, q, actor_of(r), r->now_ms, &al,
                                     &res, field, why, sizeof why)) < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    if (rc == 0)
        hl_info("ledger: %s of %g %s at %s, %zu entries", q->kind, q->quantity, q->material_id,
                q->depot_id, res->n_entries);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return finish(r, rc, res ? &res->base : NULL, &al);
}

/* ---- Requests between agencies: one handler shape for the four steps. ---- */

typedef int (*rm_check_fn)(const ProtobufCMessage *q, const stock_app *app, char *field, char *why);
typedef int (*rm_store_fn)(hl_txn *t, const stock_app *app, const ProtobufCMessage *q,
                           int64_t now_ms, stock_alerts *al, Hl__ResourceRecord **out, char *field,
                           char *why, size_t whylen);
typedef struct rm_handler {
    stock_app *app;
    const ProtobufCMessageDescriptor *desc;
    rm_check_fn check;
    rm_store_fn store;
} rm_handler;

static int rm_check_request(const ProtobufCMessage *q, const stock_app *app, char *f, char *w)
{
    return stock_msg_check_request((const Hl__ResourceRequest *)q, app->depots, &app->cat, f, w);
}
static int rm_check_respond(const ProtobufCMessage *q, const stock_app *app, char *f, char *w)
{
    return stock_msg_check_respond((const Hl__ResourceResponse *)q, &app->cat, f, w);
}
static int rm_check_commit(const ProtobufCMessage *q, const stock_app *app, char *f, char *w)
{
    return stock_msg_check_commit((const Hl__ResourceCommitment *)q, &app->cat, f, w);
}
static int rm_check_fulfil(const ProtobufCMessage *q, const stock_app *app, char *f, char *w)
{
    (void)app;
    return stock_msg_check_fulfil((const Hl__ResourceFulfilment *)q, f, w);
}
static int rm_store_request(hl_txn *t, const stock_app *app, const ProtobufCMessage *q, int64_t now,
                            stock_alerts *al, Hl__ResourceRecord **out, char *f, char *w, size_t n)
{
    (void)al;
    return stock_store_request(t, app->depots, &app->cat, (const Hl__ResourceRequest *)q, now, out,
                               f, w, n);
}
static int rm_store_respond(hl_txn *t, const stock_app *app, const ProtobufCMessage *q, int64_t now,
                            stock_alerts *al, Hl__ResourceRecord **out, char *f, char *w, size_t n)
{
    (void)al;
    return stock_store_respond(t, app->depots, &app->cat, (const Hl__ResourceResponse *)q, now, out,
                               f, w, n);
}
static int rm_store_commit(hl_txn *t, const stock_app *app, const ProtobufCMessage *q, int64_t now,
                           stock_alerts *al, Hl__ResourceRecord **out, char *f, char *w, size_t n)
{
    return stock_store_commit(t, app->depots, &app->cat, (const Hl__ResourceCommitment *)q, now, al,
                              out, f, w, n);
}
static int rm_store_fulfil(hl_txn *t, const stock_app *app, const ProtobufCMessage *q, int64_t now,
                           stock_alerts *al, Hl__ResourceRecord **out, char *f, char *w, size_t n)
{
    return stock_store_fulfil(t, app->depots, &app->cat, (const Hl__ResourceFulfilment *)q, now, al,
                              out, f, w, n);
}

static int on_rm(hl_req *r, void *ud)
{
    const rm_handler *h = ud;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    stock_alerts al = {0};
    Hl__ResourceRecord *rec = NULL;
    ProtobufCMessage *q = payload(r, h->desc);
    if (!q)
        return HL_EDECODE;
    int rc = h->check(q, h->app, field, why);
    if (rc < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    else if ((rc = h->store(r->txn, h->app, q, r->now_ms, &al, &rec, field, why, sizeof why)) < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    if (rc == 0)
        hl_info("request %s (%s → %s): %s", rec->id, rec->requester_unit, rec->depot_id,
                rec->state);
    protobuf_c_message_free_unpacked(q, NULL);
    return finish(r, rc, rec ? &rec->base : NULL, &al);
}

/* ---- Queries ---- */

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
typedef int (*list_fn)(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now_ms,
                       size_t max_bytes, ProtobufCMessage **out);
typedef struct list_handler {
    stock_app *app;
    list_fn fn;
    const char *what; /* for the error sentence */
} list_handler;

static int list_stock(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                      size_t max, ProtobufCMessage **out)
{
    return stock_store_list(t, app->depots, &app->cat, q, now, max, (Hl__StockList **)out);
}
static int list_totals(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                       size_t max, ProtobufCMessage **out)
{
    return stock_store_totals(t, app->depots, &app->cat, q, now, max, (Hl__LedgerTotals **)out);
}
static int list_entries(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                        size_t max, ProtobufCMessage **out)
{
    (void)app;
    (void)now;
    return stock_store_entries(t, q, max, (Hl__LedgerEntryList **)out);
}
static int list_alerts(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                       size_t max, ProtobufCMessage **out)
{
    (void)app;
    (void)now;
    return stock_store_alerts(t, q, max, (Hl__StockAlertList **)out);
}
static int list_reservations(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                             size_t max, ProtobufCMessage **out)
{
    (void)app;
    (void)now;
    return stock_store_reservations(t, q, max, (Hl__ReservationList **)out);
}
static int list_requests(hl_txn *t, const stock_app *app, const Hl__ListQuery *q, int64_t now,
                         size_t max, ProtobufCMessage **out)
{
    (void)app;
    (void)now;
    return stock_store_requests(t, q, max, (Hl__ResourceRecordList **)out);
}

static int on_list(hl_req *r, void *ud)
{
    const list_handler *h = ud;
    ProtobufCMessage *out = NULL;
    Hl__ListQuery *q = (Hl__ListQuery *)payload(r, &hl__list_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = check_query(r, q);
    if (rc == 0 && (rc = h->fn(r->txn, h->app, q, r->now_ms, h->app->max_reply, &out)) < 0)
        rc = hl_req_fail(r, rc, "", "the %s cannot be read: %s", h->what, hl_strerror(rc));
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return finish(r, rc, out, NULL);
}

static int on_cover(hl_req *r, void *ud)
{
    stock_app *app = ud;
    char field[STOCK_FIELD_MAX], why[STOCK_WHY_MAX];
    Hl__CoverResult *res = NULL;
    Hl__CoverQuery *q = (Hl__CoverQuery *)payload(r, &hl__cover_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = stock_msg_check_cover(q, &app->cat, field, why);
    if (rc < 0)
        rc = hl_req_fail(r, rc, field, "%s", why);
    else if ((rc = stock_store_cover(r->txn, app->depots, &app->cat, q, r->now_ms, &res)) < 0)
        rc = hl_req_fail(r, rc, "cover", "the cover cannot be computed: %s", hl_strerror(rc));
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return finish(r, rc, res ? &res->base : NULL, NULL);
}

/* Timer: a lot that expired since the last entry can take a level below its minimum. */
static int on_sweep(hl_req *r, void *ud)
{
    stock_app *app = ud;
    stock_alerts al = {0};
    int rc = stock_store_low_sweep(r->txn, app->depots, &app->cat, r->now_ms, &al);
    if (rc == 0)
        rc = publish_alerts(r, &al);
    stock_alerts_free(&al);
    return rc;
}

static void log_diff(const char *depot_id, const char *material_id, double file_on_hand,
                     double ledger_on_hand, int in_ledger, void *ud)
{
    (void)ud;
    if (in_ledger)
        hl_info("depots.yaml says %s %s on hand %g; the ledger has %g now (the file seeds the "
                "ledger on the first start only)",
                depot_id, material_id, file_on_hand, ledger_on_hand);
    else
        hl_warn("depots.yaml lists %s %s (%g) but the ledger has no entry for it: receive it "
                "with stock.entry, or reset the stock data directory",
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
    char why[STOCK_WHY_MAX] = "";
    int rc = hl_txn_begin(hl_svc_store(svc), NULL, 0, &t);
    if (rc == 0)
        rc = stock_store_seed(t, app->depots, &app->cat, hl_now_ms(), &seeded, log_diff, NULL, NULL,
                              why, sizeof why);
    if (rc == 0)
        rc = hl_txn_commit(&t);
    hl_txn_abort(&t);
    if (rc < 0)
        hl_error("stock ledger cannot be prepared: %s%s%s", hl_strerror(rc), why[0] ? ": " : "",
                 why);
    else if (seeded == 1)
        hl_info("stock ledger seeded from depots.yaml (%zu depots, %zu lots; quantities are "
                "hazlink assumptions)",
                app->depots->n, app->depots->nlots);
    else if (seeded == 2)
        hl_info("stock ledger migrated: the issue-2 stock rows are now ledger entries");
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
    list_handler lists[] = {
        {&app, list_stock, "stock ledger"},        {&app, list_totals, "ledger totals"},
        {&app, list_entries, "ledger entries"},    {&app, list_alerts, "minimum-level alerts"},
        {&app, list_reservations, "reservations"}, {&app, list_requests, "requests"},
    };
    static const char *const list_types[] = {"stock.list",         "stock.ledger",
                                             "stock.entries",      "stock.alerts",
                                             "stock.reservations", "stock.requests"};
    rm_handler rms[] = {
        {&app, &hl__resource_request__descriptor, rm_check_request, rm_store_request},
        {&app, &hl__resource_response__descriptor, rm_check_respond, rm_store_respond},
        {&app, &hl__resource_commitment__descriptor, rm_check_commit, rm_store_commit},
        {&app, &hl__resource_fulfilment__descriptor, rm_check_fulfil, rm_store_fulfil},
    };
    static const char *const rm_types[] = {"stock.request", "stock.respond", "stock.commit",
                                           "stock.fulfil"};
    if (rc == 0 && ((rc = hl_svc_on(svc, "stock.reserve", on_reserve, &app, 0)) < 0 ||
                    (rc = hl_svc_on(svc, "stock.release", on_release, &app, 0)) < 0 ||
                    (rc = hl_svc_on(svc, "stock.entry", on_entry, &app, 0)) < 0 ||
                    (rc = hl_svc_on(svc, "stock.cover", on_cover, &app, HL_H_QUERY)) < 0))
        hl_error("stock: cannot register handlers: %s", hl_strerror(rc));
    for (size_t i = 0; rc == 0 && i < sizeof lists / sizeof lists[0]; i++)
        if ((rc = hl_svc_on(svc, list_types[i], on_list, &lists[i], HL_H_QUERY)) < 0)
            hl_error("stock: cannot register %s: %s", list_types[i], hl_strerror(rc));
    for (size_t i = 0; rc == 0 && i < sizeof rms / sizeof rms[0]; i++)
        if ((rc = hl_svc_on(svc, rm_types[i], on_rm, &rms[i], 0)) < 0)
            hl_error("stock: cannot register %s: %s", rm_types[i], hl_strerror(rc));
    if (rc == 0 && (rc = hl_svc_every(svc, LOW_SWEEP_MS, on_sweep, &app)) < 0)
        hl_error("stock: cannot start the minimum-level timer: %s", hl_strerror(rc));
    if (rc == 0) {
        hl_svc_set_records_table(svc, STOCK_T_ENTRY);
        rc = hl_svc_run(svc);
    }
    hl_svc_destroy(&svc);
    uv_loop_close(&loop);
    free(app.depots);
    return rc == 0 ? 0 : 1;
}
