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
    if (!isfinite(q->near->lat) || q->near->lat < -90 || q->near->lat > 90)
        return msg__fail(HL_EINVAL, field, "reserve.near.lat", why,
                         "latitude must be a number in [-90, 90] degrees");
    if (!isfinite(q->near->lon) || q->near->lon < -180 || q->near->lon > 180)
        return msg__fail(HL_EINVAL, field, "reserve.near.lon", why,
                         "longitude must be a number in [-180, 180] degrees");
    if (hl_str_check(q->near->confidence, HL_NAME_MAX, 0) < 0)
        return msg__fail(HL_EINVAL, field, "reserve.near.confidence", why,
                         "confidence is not UTF-8 text of at most 256 bytes");
    if (q->n_needs == 0)
        return msg__fail(HL_EINVAL, field, "reserve.needs", why, "needs is empty");
    if (q->n_needs > STOCK_LINES_MAX) {
        snprintf(why, STOCK_WHY_MAX, "%zu needs, more than the limit of %d", q->n_needs,
                 STOCK_LINES_MAX);
        snprintf(field, STOCK_FIELD_MAX, "reserve.needs");
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < q->n_needs; i++) {
        const Hl__MaterialNeed *n = q->needs[i];
        const char *mid = n->material_id ? n->material_id : "";
        const stock_material *m = stock_catalogue_find(cat, mid);
        if (!m) {
            snprintf(field, STOCK_FIELD_MAX, "reserve.needs[%zu].material_id", i);
            snprintf(why, STOCK_WHY_MAX, "unknown material id '%.64s' (not in materials.yaml)",
                     hl_str_check(mid, HL_ID_MAX, 1) == 0 ? mid : "?");
            return HL_ENOTFOUND;
        }
        if (!isfinite(n->quantity) || n->quantity < 0 || n->quantity > STOCK_QTY_MAX) {
            snprintf(field, STOCK_FIELD_MAX, "reserve.needs[%zu].quantity", i);
            snprintf(why, STOCK_WHY_MAX, "quantity of %s must be a number in [0, %g] %s", m->id,
                     STOCK_QTY_MAX, m->unit);
            return HL_EINVAL;
        }
        if (!stock_material_unit_ok(m, n->unit)) {
            snprintf(field, STOCK_FIELD_MAX, "reserve.needs[%zu].unit", i);
            snprintf(why, STOCK_WHY_MAX, "%s is counted in %s (%s); '%.32s' cannot be converted",
                     m->id, m->unit, m->unit_cn, hl_str_check(n->unit, 32, 0) == 0 ? n->unit : "?");
            return HL_EUNIT;
        }
    }
    if (hl_str_check(q->purpose, HL_TEXT_MAX, 0) < 0)
        return msg__fail(HL_ETOOBIG, field, "reserve.purpose", why,
                         "purpose is not UTF-8 text of at most 2048 bytes");
    return 0;
}

void stock_msg_needs(const Hl__ReserveRequest *q, stock_need *needs)
{
    for (size_t i = 0; i < q->n_needs; i++) {
        snprintf(needs[i].material_id, sizeof needs[i].material_id, "%s", q->needs[i]->material_id);
        needs[i].quantity = q->needs[i]->quantity;
    }
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
}
