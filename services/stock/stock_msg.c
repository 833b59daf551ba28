/* stock_msg.c — see stock_msg.h. */
#include "stock_msg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

/* Write field and why; return rc. */
static int msg__fail(int rc, char *field, const char *fname, char *why, const char *text)
{
    snprintf(field, STOCK_FIELD_MAX, "%s", fname);
    snprintf(why, STOCK_WHY_MAX, "%s", text);
    return rc;
}

int stock_msg_check_needs(const Hl__MaterialNeed *const *needs, size_t n, int required,
                          const stock_catalogue *cat, const char *what, char field[STOCK_FIELD_MAX],
                          char why[STOCK_WHY_MAX])
{
    if (n == 0 && required) {
        snprintf(field, STOCK_FIELD_MAX, "%s", what);
        snprintf(why, STOCK_WHY_MAX, "%s is empty", what);
        return HL_EINVAL;
    }
    if (n > STOCK_LINES_MAX) {
        snprintf(why, STOCK_WHY_MAX, "%zu needs, more than the limit of %d", n, STOCK_LINES_MAX);
        snprintf(field, STOCK_FIELD_MAX, "%s", what);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < n; i++) {
        const Hl__MaterialNeed *nd = needs[i];
        const char *mid = nd->material_id ? nd->material_id : "";
        const stock_material *m = stock_catalogue_find(cat, mid);
        if (!m) {
            snprintf(field, STOCK_FIELD_MAX, "%.40s[%zu].material_id", what, i);
            snprintf(why, STOCK_WHY_MAX, "unknown material id '%.64s' (not in materials.yaml)",
                     hl_str_check(mid, HL_ID_MAX, 1) == 0 ? mid : "?");
            return HL_ENOTFOUND;
        }
        if (!isfinite(nd->quantity) || nd->quantity < 0 || nd->quantity > STOCK_QTY_MAX) {
            snprintf(field, STOCK_FIELD_MAX, "%.40s[%zu].quantity", what, i);
            snprintf(why, STOCK_WHY_MAX, "quantity of %s must be a number in [0, %g] %s", m->id,
                     STOCK_QTY_MAX, m->unit);
            return HL_EINVAL;
        }
        if (!stock_material_unit_ok(m, nd->unit)) {
            snprintf(field, STOCK_FIELD_MAX, "%.40s[%zu].unit", what, i);
            snprintf(why, STOCK_WHY_MAX, "%s is counted in %s (%s); '%.32s' cannot be converted",
                     m->id, m->unit, m->unit_cn,
                     hl_str_check(nd->unit, 32, 0) == 0 ? nd->unit : "?");
            return HL_EUNIT;
        }
    }
    return 0;
}

/* The point of a request: present, in range. */
static int msg__point(const Hl__GeoPoint *p, int required, const char *what, char *field, char *why)
{
    char f[STOCK_FIELD_MAX];
    if (!p) {
        if (!required)
            return 0;
        snprintf(f, sizeof f, "%s", what);
        return msg__fail(HL_EINVAL, field, f, why,
                         "the point is missing: it decides which depots are nearest");
    }
    if (!isfinite(p->lat) || p->lat < -90 || p->lat > 90) {
        snprintf(f, sizeof f, "%.50s.lat", what);
        return msg__fail(HL_EINVAL, field, f, why,
                         "latitude must be a number in [-90, 90] degrees");
    }
    if (!isfinite(p->lon) || p->lon < -180 || p->lon > 180) {
        snprintf(f, sizeof f, "%.50s.lon", what);
        return msg__fail(HL_EINVAL, field, f, why,
                         "longitude must be a number in [-180, 180] degrees");
    }
    if (hl_str_check(p->confidence, HL_NAME_MAX, 0) < 0) {
        snprintf(f, sizeof f, "%.40s.confidence", what);
        return msg__fail(HL_EINVAL, field, f, why,
                         "confidence is not UTF-8 text of at most 256 bytes");
    }
    return 0;
}

int stock_msg_check_reserve(const Hl__ReserveRequest *q, const stock_catalogue *cat,
                            char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX])
{
    field[0] = why[0] = '\0';
    if (!q->incident_id || q->incident_id[0] == '\0')
        return msg__fail(HL_EINVAL, field, "reserve.incident_id", why,
                         "incident_id is empty: a reservation belongs to an incident");
    if (hl_id_check(q->incident_id) < 0)
        return msg__fail(HL_EINVAL, field, "reserve.incident_id", why,
                         "incident_id is not an id (1-64 of A-Z a-z 0-9 . _ : -)");
    if (q->plan_id && q->plan_id[0] && hl_id_check(q->plan_id) < 0)
        return msg__fail(HL_EINVAL, field, "reserve.plan_id", why,
                         "plan_id is not an id (1-64 of A-Z a-z 0-9 . _ : -)");
    if (!q->near)
        return msg__fail(HL_EINVAL, field, "reserve.near", why,
                         "near is missing: the incident point decides which depots are nearest");
    if (msg__point(q->near, 1, "reserve.near", field, why) < 0)
        return HL_EINVAL;
    int rc = stock_msg_check_needs((const Hl__MaterialNeed *const *)q->needs, q->n_needs, 1, cat,
                                   "reserve.needs", field, why);
    if (rc < 0)
        return rc;
    if (hl_str_check(q->purpose, HL_TEXT_MAX, 0) < 0)
        return msg__fail(HL_ETOOBIG, field, "reserve.purpose", why,
                         "purpose is not UTF-8 text of at most 2048 bytes");
    return 0;
}

void stock_msg_needs(const Hl__ReserveRequest *q, stock_need *needs)
{
    stock_msg_needs_of(q->needs, q->n_needs, needs);
}

/* protobuf-c strings are char *; the message only borrows them for packing. */
static char *msg__s(const char *s)
{
    return (char *)(s ? s : "");
}

static void msg__need(Hl__MaterialNeed *n, const char *material_id, double quantity,
                      const stock_catalogue *cat)
{
    const stock_material *m = stock_catalogue_find(cat, material_id);
    hl__material_need__init(n);
    n->material_id = msg__s(material_id);
    n->quantity = quantity;
    n->unit = msg__s(m ? m->unit : "");
}

int stock_msg_reservation_build(const Hl__ReserveRequest *q, const stock_plan *p,
                                const stock_depots *ds, const stock_catalogue *cat, const char *id,
                                int64_t created_ms, stock_msg_reservation *out)
{
    memset(out, 0, sizeof *out);
    size_t nl = p->nlines, nn = q->n_needs, ns = p->nshort;
    out->line_store = calloc(nl ? nl : 1, sizeof *out->line_store);
    out->lines = calloc(nl ? nl : 1, sizeof *out->lines);
    out->need_store = calloc(nn + ns ? nn + ns : 1, sizeof *out->need_store);
    out->needs = calloc(nn ? nn : 1, sizeof *out->needs);
    out->shorts = calloc(ns ? ns : 1, sizeof *out->shorts);
    if (!out->line_store || !out->lines || !out->need_store || !out->needs || !out->shorts) {
        stock_msg_reservation_free(out);
        return HL_ENOMEM;
    }
    Hl__Reservation *r = &out->r;
    hl__reservation__init(r);
    r->id = msg__s(id);
    r->incident_id = msg__s(q->incident_id);
    r->plan_id = msg__s(q->plan_id);
    r->state = msg__s(stock_rsv_state_name(stock_plan_state(p)));
    r->created_ms = created_ms;
    r->updated_ms = created_ms;
    r->purpose = msg__s(q->purpose);
    r->near_confidence = msg__s(q->near ? q->near->confidence : "");

    for (size_t i = 0; i < nl; i++) {
        const stock_line *l = &p->lines[i];
        Hl__ReservationLine *o = &out->line_store[i];
        int di = stock_depots_find(ds, l->depot_id);
        const stock_depot *d = di >= 0 ? &ds->items[di] : NULL;
        const stock_material *m = stock_catalogue_find(cat, l->material_id);
        hl__reservation_line__init(o);
        o->material_id = msg__s(l->material_id);
        o->depot_id = msg__s(l->depot_id);
        o->quantity = l->quantity;
        o->unit = msg__s(m ? m->unit : "");
        o->distance_km = l->distance_km;
        o->depot_jurisdiction = msg__s(d ? d->jurisdiction : "");
        o->depot_name = msg__s(d ? d->name : "");
        o->material_name = msg__s(m ? m->name : "");
        o->location_confidence = msg__s(d ? d->confidence : "");
        o->quantity_assumed = d ? d->quantity_assumed : 0;
        o->owner_unit = msg__s(d ? d->owner_unit : "");
        o->material_unverified = m ? m->unverified : 0;
        out->lines[i] = o;
    }
    r->n_lines = nl;
    r->lines = out->lines;

    /* Needs as asked (the unit normalised to the material's code), then the shortfall. */
    for (size_t i = 0; i < nn; i++) {
        msg__need(&out->need_store[i], q->needs[i]->material_id, q->needs[i]->quantity, cat);
        out->needs[i] = &out->need_store[i];
    }
    r->n_needs = nn;
    r->needs = out->needs;
    for (size_t i = 0; i < ns; i++) {
        msg__need(&out->need_store[nn + i], p->shortfall[i].material_id, p->shortfall[i].quantity,
                  cat);
        out->shorts[i] = &out->need_store[nn + i];
    }
    r->n_shortfall = ns;
    r->shortfall = out->shorts;
    return 0;
}

void stock_msg_reservation_free(stock_msg_reservation *m)
{
    free(m->line_store);
    free(m->lines);
    free(m->need_store);
    free(m->needs);
    free(m->shorts);
    memset(m, 0, sizeof *m);
}

int stock_msg_lines(const Hl__Reservation *r, stock_line **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (r->n_lines > STOCK_LINES_MAX)
        return HL_ETOOBIG;
    stock_line *ls = calloc(r->n_lines ? r->n_lines : 1, sizeof *ls);
    if (!ls)
        return HL_ENOMEM;
    for (size_t i = 0; i < r->n_lines; i++) {
        const Hl__ReservationLine *l = r->lines[i];
        snprintf(ls[i].material_id, sizeof ls[i].material_id, "%s", msg__s(l->material_id));
        snprintf(ls[i].depot_id, sizeof ls[i].depot_id, "%s", msg__s(l->depot_id));
        ls[i].quantity = l->quantity;
        ls[i].distance_km = l->distance_km;
    }
    *out = ls;
    *n = r->n_lines;
    return 0;
}

void stock_msg_item(const stock_depot *d, const stock_level *l, const stock_catalogue *cat,
                    Hl__StockItem *out)
{
    const stock_material *m = stock_catalogue_find(cat, l->material_id);
    hl__stock_item__init(out);
    out->depot_id = msg__s(d->id);
    out->depot_name = msg__s(d->name);
    out->material_id = msg__s(l->material_id);
    out->material_name = msg__s(m ? m->name : "");
    out->unit = msg__s(m ? m->unit : "");
    out->on_hand = l->on_hand;
    out->reserved = l->reserved;
    out->jurisdiction = msg__s(d->jurisdiction);
    out->owner_unit = msg__s(d->owner_unit);
    out->location_confidence = msg__s(d->confidence);
    out->quantity_assumed = d->quantity_assumed;
    out->issued = l->issued;
    out->available = l->below;
    out->expired = l->expired;
    out->minimum = l->minimum;
    out->below_minimum = ledger_low_update(0, l->below, l->minimum) == LEDGER_LOW_RAISE;
}

/* ---- Ledger entries ---- */

int stock_msg_check_entry(const Hl__LedgerEntry *q, const stock_depots *info,
                          const stock_catalogue *cat, char field[STOCK_FIELD_MAX],
                          char why[STOCK_WHY_MAX])
{
    field[0] = why[0] = '\0';
    ledger_kind k;
    int transfer = q->kind && strcmp(q->kind, "transfer") == 0;
    if (!transfer && ledger_kind_parse(q->kind, &k) < 0)
        return msg__fail(HL_EINVAL, field, "entry.kind", why,
                         "kind is not a reason code (receipt, issue, consumption, return, "
                         "transfer, expiry-write-off, adjustment)");
    if (!transfer && (k == LEDGER_RESERVATION || k == LEDGER_RELEASE))
        return msg__fail(HL_EINVAL, field, "entry.kind", why,
                         "reservations belong to a reservation: use stock.reserve / "
                         "stock.release, or commit a request (stock.commit)");
    if (!transfer && (k == LEDGER_TRANSFER_IN || k == LEDGER_TRANSFER_OUT))
        return msg__fail(HL_EINVAL, field, "entry.kind", why,
                         "a transfer is asked as kind \"transfer\" with to_depot_id: both "
                         "linked entries are written together");
    if (hl_str_check(q->depot_id, HL_ID_MAX, 1) < 0 || stock_depots_find(info, q->depot_id) < 0)
        return msg__fail(HL_ENOTFOUND, field, "entry.depot_id", why,
                         "unknown depot id (not in depots.yaml)");
    if (hl_str_check(q->material_id, HL_ID_MAX, 1) < 0)
        return msg__fail(HL_ENOTFOUND, field, "entry.material_id", why,
                         "unknown material id (not in materials.yaml)");
    const stock_material *m = stock_catalogue_find(cat, q->material_id);
    if (!m)
        return msg__fail(HL_ENOTFOUND, field, "entry.material_id", why,
                         "unknown material id (not in materials.yaml)");
    if (!stock_material_unit_ok(m, q->unit)) {
        snprintf(field, STOCK_FIELD_MAX, "entry.unit");
        snprintf(why, STOCK_WHY_MAX, "%s is counted in %s (%s); '%.32s' cannot be converted", m->id,
                 m->unit, m->unit_cn, hl_str_check(q->unit, 32, 0) == 0 ? q->unit : "?");
        return HL_EUNIT;
    }
    int has_to = q->to_depot_id && q->to_depot_id[0];
    if (transfer && (!has_to || stock_depots_find(info, q->to_depot_id) < 0))
        return msg__fail(has_to ? HL_ENOTFOUND : HL_EINVAL, field, "entry.to_depot_id", why,
                         "a transfer names the depot it goes to (a depot of depots.yaml)");
    if (transfer && strcmp(q->to_depot_id, q->depot_id) == 0)
        return msg__fail(HL_EINVAL, field, "entry.to_depot_id", why,
                         "a transfer goes to another depot");
    if (!transfer && has_to)
        return msg__fail(HL_EINVAL, field, "entry.to_depot_id", why,
                         "only a transfer names a destination depot");
    if (q->from_reserved)
        return msg__fail(HL_EINVAL, field, "entry.from_reserved", why,
                         "reserved stock is issued with its reservation (stock.release action "
                         "issue) or by fulfilling a request (stock.fulfil)");
    if (q->lot_id && q->lot_id[0] && hl_id_check(q->lot_id) < 0)
        return msg__fail(HL_EINVAL, field, "entry.lot_id", why,
                         "lot_id is not an id (1-64 of A-Z a-z 0-9 . _ : -)");
    if (q->actor && q->actor[0] && hl_id_check(q->actor) < 0)
        return msg__fail(HL_EINVAL, field, "entry.actor", why, "actor is not a unit or person id");
    if (q->link_id && q->link_id[0] && hl_id_check(q->link_id) < 0)
        return msg__fail(HL_EINVAL, field, "entry.link_id", why, "link_id is not an id");
    if (hl_str_check(q->reason, LEDGER_REASON_MAX, 0) < 0)
        return msg__fail(HL_ETOOBIG, field, "entry.reason", why,
                         "reason is not UTF-8 text of at most 512 bytes");
    if (q->effective_ms < 0 || q->expiry_ms < 0)
        return msg__fail(HL_EINVAL, field,
                         q->effective_ms < 0 ? "entry.effective_ms" : "entry.expiry_ms", why,
                         "times are Unix ms, not negative");
    return 0;
}

void stock_msg_entry_in(const Hl__LedgerEntry *q, const stock_catalogue *cat, const char *actor,
                        int64_t now_ms, ledger_entry *out)
{
    memset(out, 0, sizeof *out);
    if (q->kind && strcmp(q->kind, "transfer") == 0)
        out->kind = LEDGER_TRANSFER_OUT;
    else if (ledger_kind_parse(q->kind, &out->kind) < 0)
        out->kind = LEDGER_KIND_N;
    snprintf(out->depot_id, sizeof out->depot_id, "%s", msg__s(q->depot_id));
    snprintf(out->material_id, sizeof out->material_id, "%s", msg__s(q->material_id));
    snprintf(out->lot_id, sizeof out->lot_id, "%s", msg__s(q->lot_id));
    snprintf(out->link_id, sizeof out->link_id, "%s", msg__s(q->link_id));
    out->quantity = q->quantity;
    out->effective_ms = q->effective_ms ? q->effective_ms : now_ms;
    out->recorded_ms = now_ms;
    out->expiry_ms = q->expiry_ms;
    const stock_material *m = stock_catalogue_find(cat, out->material_id);
    out->unit = m ? m->unit : "";
    out->actor = q->actor && q->actor[0] ? q->actor : actor;
    out->reason = q->reason;
}

void stock_msg_entry_out(const ledger_entry *e, Hl__LedgerEntry *o)
{
    hl__ledger_entry__init(o);
    o->id = (char *)e->id;
    o->seq = e->seq;
    o->kind = msg__s(ledger_kind_name(e->kind));
    o->depot_id = (char *)e->depot_id;
    o->material_id = (char *)e->material_id;
    o->lot_id = (char *)e->lot_id;
    o->quantity = e->quantity;
    o->unit = msg__s(e->unit);
    o->effective_ms = e->effective_ms;
    o->recorded_ms = e->recorded_ms;
    o->actor = msg__s(e->actor);
    o->reason = msg__s(e->reason);
    o->expiry_ms = e->expiry_ms;
    o->link_id = (char *)e->link_id;
    o->from_reserved = e->from_reserved;
}

int stock_msg_entry_core(const Hl__LedgerEntry *p, const stock_catalogue *cat, ledger_entry *out)
{
    memset(out, 0, sizeof *out);
    if (ledger_kind_parse(p->kind, &out->kind) < 0 || hl_id_check(p->depot_id) < 0 ||
        hl_id_check(p->material_id) < 0)
        return HL_EDECODE;
    snprintf(out->id, sizeof out->id, "%s", msg__s(p->id));
    snprintf(out->depot_id, sizeof out->depot_id, "%s", p->depot_id);
    snprintf(out->material_id, sizeof out->material_id, "%s", p->material_id);
    snprintf(out->lot_id, sizeof out->lot_id, "%s", msg__s(p->lot_id));
    snprintf(out->link_id, sizeof out->link_id, "%s", msg__s(p->link_id));
    out->seq = p->seq;
    out->quantity = p->quantity;
    out->effective_ms = p->effective_ms;
    out->recorded_ms = p->recorded_ms;
    out->expiry_ms = p->expiry_ms;
    out->from_reserved = p->from_reserved;
    const stock_material *m = stock_catalogue_find(cat, out->material_id);
    out->unit = m ? m->unit : NULL;
    return 0;
}

/* ---- Totals and list rows ---- */

void stock_msg_total(const stock_depot *d, const stock_material *m, const ledger_state *st,
                     double minimum, Hl__LedgerTotal *o, Hl__LotTotal *lot_store,
                     Hl__LotTotal **lots)
{
    hl__ledger_total__init(o);
    o->depot_id = (char *)d->id;
    o->depot_name = (char *)d->name;
    o->material_id = (char *)m->id;
    o->material_name = (char *)m->name;
    o->unit = (char *)m->unit;
    o->received = st->received;
    o->issued = st->issued;
    o->consumed = st->consumed;
    o->returned = st->returned;
    o->transferred_in = st->transferred_in;
    o->transferred_out = st->transferred_out;
    o->written_off = st->written_off;
    o->adjusted_in = st->adjusted_in;
    o->adjusted_out = st->adjusted_out;
    o->reserved = st->reserved;
    o->on_hand = st->on_hand;
    o->expired = st->expired;
    o->available = st->available;
    o->minimum = minimum;
    o->below_minimum = ledger_low_update(0, st->available, minimum) == LEDGER_LOW_RAISE;
    o->entries = (uint32_t)st->nentries;
    o->jurisdiction = (char *)d->jurisdiction;
    o->owner_unit = (char *)d->owner_unit;
    o->quantity_assumed = d->quantity_assumed;
    o->material_unverified = m->unverified;
    for (size_t i = 0; i < st->nlots; i++) {
        Hl__LotTotal *l = &lot_store[i];
        hl__lot_total__init(l);
        l->lot_id = (char *)st->lots[i].id;
        l->quantity = st->lots[i].quantity;
        l->expiry_ms = st->lots[i].expiry_ms;
        l->expired = st->lots[i].expiry_ms != 0 && st->as_of_ms >= st->lots[i].expiry_ms;
        lots[i] = l;
    }
    o->n_lots = st->nlots;
    o->lots = lots;
}

/* ---- Cover ---- */

int stock_msg_check_cover(const Hl__CoverQuery *q, const stock_catalogue *cat,
                          char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX])
{
    field[0] = why[0] = '\0';
    if (msg__point(q->near, 1, "cover.near", field, why) < 0)
        return HL_EINVAL;
    return stock_msg_check_needs((const Hl__MaterialNeed *const *)q->needs, q->n_needs, 1, cat,
                                 "cover.needs", field, why);
}

/* ---- Requests between agencies ---- */

static int msg__id(const char *v, int required, const char *fname, char *field, char *why)
{
    if ((!v || !v[0]) && !required)
        return 0;
    if (hl_id_check(v) < 0) {
        snprintf(field, STOCK_FIELD_MAX, "%s", fname);
        snprintf(why, STOCK_WHY_MAX, "%s is %s", fname,
                 v && v[0] ? "not an id (1-64 of A-Z a-z 0-9 . _ : -)" : "empty");
        return HL_EINVAL;
    }
    return 0;
}

static int msg__text(const char *v, size_t max, const char *fname, char *field, char *why)
{
    if (hl_str_check(v, max, 0) < 0) {
        snprintf(field, STOCK_FIELD_MAX, "%s", fname);
        snprintf(why, STOCK_WHY_MAX, "%s is not UTF-8 text of at most %zu bytes", fname, max);
        return HL_ETOOBIG;
    }
    return 0;
}

int stock_msg_check_request(const Hl__ResourceRequest *q, const stock_depots *info,
                            const stock_catalogue *cat, char field[STOCK_FIELD_MAX],
                            char why[STOCK_WHY_MAX])
{
    int rc;
    field[0] = why[0] = '\0';
    if ((rc = msg__id(q->incident_id, 1, "request.incident_id", field, why)) < 0 ||
        (rc = msg__id(q->requester_unit, 1, "request.requester_unit", field, why)) < 0 ||
        (rc = msg__id(q->depot_id, 1, "request.depot_id", field, why)) < 0)
        return rc;
    if (stock_depots_find(info, q->depot_id) < 0)
        return msg__fail(HL_ENOTFOUND, field, "request.depot_id", why,
                         "unknown depot id (not in depots.yaml)");
    if ((rc = stock_msg_check_needs((const Hl__MaterialNeed *const *)q->needs, q->n_needs, 1, cat,
                                    "request.needs", field, why)) < 0 ||
        (rc = msg__point(q->deliver_to, 0, "request.deliver_to", field, why)) < 0 ||
        (rc = msg__text(q->location, HL_NAME_MAX, "request.location", field, why)) < 0 ||
        (rc = msg__text(q->note, HL_TEXT_MAX, "request.note", field, why)) < 0)
        return rc;
    if (q->requested_arrival_ms < 0)
        return msg__fail(HL_EINVAL, field, "request.requested_arrival_ms", why,
                         "times are Unix ms, not negative");
    return 0;
}

int stock_msg_check_respond(const Hl__ResourceResponse *q, const stock_catalogue *cat,
                            char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX])
{
    int rc;
    stock_rm_answer a;
    field[0] = why[0] = '\0';
    if ((rc = msg__id(q->request_id, 1, "respond.request_id", field, why)) < 0 ||
        (rc = msg__id(q->responder_unit, 1, "respond.responder_unit", field, why)) < 0)
        return rc;
    if (stock_rm_answer_parse(q->response_type, &a) < 0)
        return msg__fail(HL_EINVAL, field, "respond.response_type", why,
                         "response_type is Accept, Decline or Provisional (EDXL-RM 1.0 "
                         "ResponseTypeType)");
    if ((rc = msg__text(q->reason_code, HL_NAME_MAX, "respond.reason_code", field, why)) < 0 ||
        (rc = msg__text(q->reason, HL_TEXT_MAX, "respond.reason", field, why)) < 0 ||
        (rc = stock_msg_check_needs((const Hl__MaterialNeed *const *)q->offered, q->n_offered, 0,
                                    cat, "respond.offered", field, why)) < 0)
        return rc;
    if (stock_rm_answer_check(a, q->reason_code, q->reason) < 0)
        return msg__fail(HL_EINVAL, field, "respond.reason", why,
                         "a Provisional response gives reason_code or reason (EDXL-RM 1.0 "
                         "ResponseInformationType)");
    if (a == STOCK_RM_DECLINE && q->n_offered)
        return msg__fail(HL_EINVAL, field, "respond.offered", why, "a Decline offers nothing");
    if (q->estimated_arrival_ms < 0)
        return msg__fail(HL_EINVAL, field, "respond.estimated_arrival_ms", why,
                         "times are Unix ms, not negative");
    return 0;
}

int stock_msg_check_commit(const Hl__ResourceCommitment *q, const stock_catalogue *cat,
                           char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX])
{
    int rc;
    field[0] = why[0] = '\0';
    if ((rc = msg__id(q->request_id, 1, "commit.request_id", field, why)) < 0 ||
        (rc = msg__id(q->unit, 1, "commit.unit", field, why)) < 0)
        return rc;
    return stock_msg_check_needs((const Hl__MaterialNeed *const *)q->quantities, q->n_quantities, 0,
                                 cat, "commit.quantities", field, why);
}

int stock_msg_check_fulfil(const Hl__ResourceFulfilment *q, char field[STOCK_FIELD_MAX],
                           char why[STOCK_WHY_MAX])
{
    int rc;
    field[0] = why[0] = '\0';
    if ((rc = msg__id(q->request_id, 1, "fulfil.request_id", field, why)) < 0 ||
        (rc = msg__id(q->unit, 1, "fulfil.unit", field, why)) < 0)
        return rc;
    if (q->arrival_ms < 0)
        return msg__fail(HL_EINVAL, field, "fulfil.arrival_ms", why,
                         "times are Unix ms, not negative");
    return 0;
}

void stock_msg_needs_of(Hl__MaterialNeed *const *in, size_t n, stock_need *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].material_id, sizeof out[i].material_id, "%s", msg__s(in[i]->material_id));
        out[i].quantity = in[i]->quantity;
    }
}
