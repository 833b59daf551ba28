/* report.c — report.json and report.md (see report.h). */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

static const char *rep__s(const char *s)
{
    return s ? s : "";
}

static void rep__set(json_t *o, const char *k, json_t *v)
{
    if (o && v)
        json_object_set_new(o, k, v);
    else
        json_decref(v);
}

/* key_ms, key (ISO 8601 +08:00) and key_offset (from the drill start); a 0 time means
 * "did not happen" and is written as null so nobody mistakes it for 1970. */
static void rep__time(json_t *o, const char *key, int64_t ms, int64_t t0)
{
    char k[64], iso[40], off[24];
    snprintf(k, sizeof k, "%s_ms", key);
    rep__set(o, k, json_integer(ms));
    if (ms <= 0) {
        rep__set(o, key, json_null());
        return;
    }
    hl_time_format(ms, HL_TZ_BEIJING_MIN, iso, sizeof iso);
    rep__set(o, key, json_string(iso));
    snprintf(k, sizeof k, "%s_offset", key);
    drill_offset_format((double)(ms - t0) / 1000.0, off, sizeof off);
    rep__set(o, k, json_string(off));
}

/* A service record as JSON, every field under its .proto name: the figures behind a grade or
 * a total travel with it, and a field a service adds later appears without a change here.
 * Times (int64 fields named "*_ms") are written as rep__time writes them. A oneof member
 * appears only when it is the one set (IncidentFacts: an unknown fact is absent). */
static json_t *rep__msg(const ProtobufCMessage *m, int64_t t0);

static json_t *rep__value(const ProtobufCFieldDescriptor *f, const void *p, int64_t t0)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return json_integer((json_int_t)(*(const uint64_t *)p & INT64_MAX));
    case PROTOBUF_C_TYPE_FLOAT:
        return isfinite(*(const float *)p) ? json_real(*(const float *)p) : json_null();
    case PROTOBUF_C_TYPE_DOUBLE:
        return isfinite(*(const double *)p) ? json_real(*(const double *)p) : json_null();
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_STRING:
        return json_string(rep__s(*(char *const *)p));
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
        return sub ? rep__msg(sub, t0) : json_null();
    }
    case PROTOBUF_C_TYPE_BYTES:
        break; /* no record the report shows holds bytes */
    }
    return json_null();
}

static size_t rep__elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    default:
        return 4;
    }
}

static json_t *rep__msg(const ProtobufCMessage *m, int64_t t0)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    json_t *o = json_object();
    for (unsigned i = 0; o && i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *)(base + f->quantifier_offset) != f->id)
            continue;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(const char *const *)p;
            json_t *a = json_array();
            for (size_t k = 0; a && k < n; k++)
                json_array_append_new(a, rep__value(f, arr + k * rep__elem_size(f), t0));
            rep__set(o, f->name, a);
            continue;
        }
        size_t len = strlen(f->name);
        if (f->type == PROTOBUF_C_TYPE_INT64 && len > 3 && strcmp(f->name + len - 3, "_ms") == 0 &&
            len < 60) {
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(len - 3), f->name);
            rep__time(o, key, *(const int64_t *)p, t0);
            continue;
        }
        rep__set(o, f->name, rep__value(f, p, t0));
    }
    return o;
}

static json_t *rep__inject(const drill_inject_result *r, int64_t t0)
{
    const drill_inject *in = r->inject;
    json_t *j = json_object();
    char off[24];
    drill_offset_format(in->at_s, off, sizeof off);
    rep__set(j, "at", json_string(off));
    rep__set(j, "line", json_integer(in->line));
    if (in->kind == DRILL_INJECT_READING) {
        rep__set(j, "kind", json_string("reading"));
        rep__set(j, "station_id", json_string(in->station_id));
        rep__set(j, "parameter", json_string(in->parameter));
        rep__set(j, "value", json_real(in->value));
        rep__set(j, "unit", json_string(in->unit));
    } else if (in->kind == DRILL_INJECT_FACTS) {
        rep__set(j, "kind", json_string("facts"));
        rep__set(j, "report_id", json_string(in->report_id));
    } else {
        rep__set(j, "kind", json_string("report"));
        rep__set(j, "report_id", json_string(in->report_id));
        rep__set(j, "source_id", json_string(in->source_id));
        rep__set(j, "substance", json_string(in->substance));
        rep__set(j, "chainage_km", json_real(in->chainage_km));
        rep__set(j, "mass_kg", json_real(in->mass_kg));
        rep__set(j, "reporter", json_string(in->reporter_unit));
    }
    rep__time(j, "due", r->due_ms, t0);
    rep__time(j, "sent", r->sent ? r->sent_ms : 0, t0);
    rep__set(j, "reply_real_ms",
             json_integer(r->reply_real_ms > 0 ? r->reply_real_ms - r->sent_real_ms : -1));
    rep__set(j, "ok", json_boolean(r->sent && r->rc == 0));
    if (r->rc < 0)
        rep__set(j, "error", json_string(r->error));
    if (in->kind == DRILL_INJECT_READING && r->rc == 0 && r->sent) {
        rep__set(j, "exceeded", json_boolean(r->exceeded));
        rep__set(j, "value_mg_l", json_real(r->value_mg_l));
        rep__set(j, "limit_mg_l", json_real(r->limit_mg_l));
        rep__set(j, "multiple", json_real(r->multiple));
        rep__set(j, "limit_source", json_string(r->limit_source));
        rep__set(j, "warning_level", json_string(r->warning_level));
    }
    if (in->kind != DRILL_INJECT_READING && in->facts.n > 0) {
        json_t *fj = json_object();
        for (int k = 0; k < DRILL_FACT_COUNT; k++)
            if (in->facts.has[k])
                rep__set(fj, drill_fact_name((drill_fact)k),
                         k < DRILL_FACT_NUMERIC ? json_real(in->facts.num[k])
                                                : json_string(in->facts.cat[k]));
        if (in->facts.basis[0])
            rep__set(fj, "basis", json_string(in->facts.basis));
        rep__set(j, "facts", fj);
    }
    if (in->kind != DRILL_INJECT_READING && r->rc == 0 && r->sent)
        rep__set(j, "grade", json_string(r->grade));
    rep__set(j, "incident_id", json_string(r->incident_id));
    rep__set(j, "incident_opened", json_boolean(r->incident_opened));
    if (in->kind == DRILL_INJECT_READING && r->rc == 0 && r->sent) {
        rep__set(j, "linked", json_boolean(r->linked));
        if (r->linked)
            rep__set(j, "link_reason", json_string(r->link_reason));
    }
    return j;
}

/* An incident: the whole record (grade, deciding criterion with its citation, criteria met,
 * unknown facts, reporting duties with their due times and states as of the drill's end,
 * episodes), plus "unverified": some figure shown rests on a row marked unverified. */
static json_t *rep__incident(const Hl__Incident *x, int64_t t0)
{
    json_t *j = rep__msg(&x->base, t0);
    int unverified =
        x->grading_unverified || (x->limit_source && strstr(x->limit_source, "unverified"));
    for (size_t i = 0; i < x->n_reports; i++)
        unverified |= !x->reports[i]->verified;
    rep__set(j, "unverified", json_boolean(unverified));
    return j;
}

static json_t *rep__alert(const Hl__Alert *a, int64_t t0)
{
    json_t *j = json_object();
    rep__set(j, "id", json_string(rep__s(a->id)));
    rep__set(j, "incident_id", json_string(rep__s(a->incident_id)));
    rep__set(j, "warning_level", json_string(rep__s(a->warning_level)));
    rep__time(j, "raised", a->raised_ms, t0);
    rep__set(j, "station_id", json_string(rep__s(a->station_id)));
    rep__set(j, "parameter", json_string(rep__s(a->parameter)));
    rep__set(j, "value_mg_l", json_real(a->value_mg_l));
    rep__set(j, "limit_mg_l", json_real(a->limit_mg_l));
    rep__set(j, "multiple", json_real(a->multiple));
    rep__set(j, "release_chainage_km", json_real(a->release_chainage_km));
    rep__set(j, "source_id", json_string(rep__s(a->source_id)));
    rep__set(j, "jurisdiction", json_string(rep__s(a->jurisdiction)));
    return j;
}

/* A plan: the whole record, its points under "forecast". A forecast resting on assumed
 * (unverified) velocities says so on every point, not only once on the plan. */
static json_t *rep__plan(const Hl__Plan *p, int64_t t0)
{
    json_t *j = rep__msg(&p->base, t0);
    json_t *pts = json_incref(json_object_get(j, "points"));
    json_object_del(j, "points");
    for (size_t i = 0; i < json_array_size(pts); i++)
        rep__set(json_array_get(pts, i), "velocities_unverified",
                 json_boolean(p->velocities_unverified));
    rep__set(j, "forecast", pts ? pts : json_array());
    if (p->velocities_unverified)
        rep__set(j, "forecast_note",
                 json_string("River velocities are hazlink assumptions (unverified): every "
                             "arrival, peak and clear time is an estimate."));
    return j;
}

static json_t *rep__task(const Hl__Task *t, const drill_facts *f, int64_t t0)
{
    json_t *j = json_object();
    rep__set(j, "id", json_string(rep__s(t->id)));
    rep__set(j, "incident_id", json_string(rep__s(t->incident_id)));
    rep__set(j, "plan_id", json_string(rep__s(t->plan_id)));
    rep__set(j, "unit_id", json_string(rep__s(t->unit_id)));
    rep__set(j, "unit_side", json_string(drill_facts_unit_side(f, rep__s(t->unit_id))));
    rep__set(j, "kind", json_string(rep__s(t->kind)));
    rep__set(j, "title", json_string(rep__s(t->title)));
    rep__set(j, "target_id", json_string(rep__s(t->target_id)));
    rep__set(j, "chainage_km", json_real(t->chainage_km));
    rep__set(j, "state", json_string(rep__s(t->state)));
    rep__time(j, "due", t->due_ms, t0);
    rep__time(j, "created", t->created_ms, t0);
    rep__time(j, "delivered", t->delivered_ms, t0);
    rep__time(j, "acknowledged", t->acknowledged_ms, t0);
    rep__time(j, "declined", t->declined_ms, t0);
    rep__time(j, "completed", t->completed_ms, t0);
    double lat = drill_task_ack_latency_s(t);
    rep__set(j, "ack_latency_s", lat < 0 ? json_null() : json_real(lat));
    rep__set(j, "actor", json_string(rep__s(t->actor)));
    rep__set(j, "reason", json_string(rep__s(t->reason)));
    rep__set(j, "seq", json_integer((json_int_t)t->seq));
    rep__set(j, "delivery_attempts", json_integer(t->delivery_attempts));
    return j;
}

static json_t *rep__needs(Hl__MaterialNeed *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_object();
        rep__set(j, "material_id", json_string(rep__s(v[i]->material_id)));
        rep__set(j, "quantity", json_real(v[i]->quantity));
        rep__set(j, "unit", json_string(rep__s(v[i]->unit)));
        json_array_append_new(a, j);
    }
    return a;
}

static json_t *rep__reservation(const Hl__Reservation *r, int64_t t0)
{
    json_t *j = json_object();
    rep__set(j, "id", json_string(rep__s(r->id)));
    rep__set(j, "incident_id", json_string(rep__s(r->incident_id)));
    rep__set(j, "plan_id", json_string(rep__s(r->plan_id)));
    rep__set(j, "state", json_string(rep__s(r->state)));
    rep__time(j, "created", r->created_ms, t0);
    json_t *lines = json_array();
    for (size_t i = 0; i < r->n_lines; i++) {
        const Hl__ReservationLine *l = r->lines[i];
        json_t *q = json_object();
        rep__set(q, "material_id", json_string(rep__s(l->material_id)));
        rep__set(q, "depot_id", json_string(rep__s(l->depot_id)));
        rep__set(q, "quantity", json_real(l->quantity));
        rep__set(q, "unit", json_string(rep__s(l->unit)));
        rep__set(q, "distance_km", json_real(l->distance_km));
        rep__set(q, "depot_jurisdiction", json_string(rep__s(l->depot_jurisdiction)));
        json_array_append_new(lines, q);
    }
    rep__set(j, "lines", lines);
    rep__set(j, "shortfall", rep__needs(r->shortfall, r->n_shortfall));
    rep__set(j, "needs", rep__needs(r->needs, r->n_needs));
    return j;
}

/* A risk source with its grades (risk.list: HJ 941-2018 and GB 18218-2018 with the figures
 * behind them) and "flags": one sentence per thing a reader must not take as settled. */
static json_t *rep__source(const Hl__RiskSource *x, int64_t t0)
{
    json_t *j = rep__msg(&x->base, t0);
    json_t *flags = json_array();
    char line[512];
    const Hl__Hj941Result *h = x->hj941;
    const Hl__Gb18218Result *g = x->gb18218;
    if (!h || !h->graded)
        json_array_append_new(flags, json_string("HJ 941-2018 level not determined"));
    if (h && h->unverified)
        json_array_append_new(flags,
                              json_string("HJ 941-2018 level rests on rows marked unverified"));
    if (h && h->inputs_assumed)
        json_array_append_new(flags,
                              json_string("HJ 941-2018 M and E inputs are hazlink assumptions"));
    if (g && g->unverified)
        json_array_append_new(flags,
                              json_string("GB 18218-2018 figures rest on rows marked unverified"));
    if (g && g->depends_on_disputed) {
        snprintf(line, sizeof line,
                 "GB 18218-2018 grade depends on a disputed beta: %s (R %.4g) with the higher "
                 "reading, grade %u (R %.4g) with the lower",
                 rep__s(g->grade_name), g->r, g->grade_alt, g->r_alt);
        json_array_append_new(flags, json_string(line));
    }
    if (g && g->inputs_assumed)
        json_array_append_new(
            flags, json_string("GB 18218-2018 people within 500 m are a hazlink assumption"));
    for (size_t i = 0; i < x->n_substances; i++)
        if (x->substances[i]->max_quantity_assumed) {
            json_array_append_new(flags, json_string("quantities held are hazlink assumptions"));
            break;
        }
    rep__set(j, "flags", flags);
    return j;
}

/* The stock ledger's totals (stock.ledger) and two checks a reader can redo by hand: each
 * line's on hand is the sum of its movements, and what the ledger holds reserved equals the
 * open reservations' lines (state reserved or partial) at that depot and material. */
static json_t *rep__ledger(const Hl__LedgerTotals *l, const drill_facts *f, int64_t t0)
{
    json_t *j = rep__msg(&l->base, t0);
    json_t *items = json_object_get(j, "items");
    int balanced = 1, matches = 1;
    for (size_t i = 0; i < l->n_items; i++) {
        const Hl__LedgerTotal *x = l->items[i];
        json_t *ij = json_array_get(items, i);
        double sum = x->received + x->returned + x->transferred_in + x->adjusted_in - x->issued -
                     x->consumed - x->transferred_out - x->written_off - x->adjusted_out;
        double held = 0;
        for (size_t r = 0; r < f->n_reservations; r++) {
            const Hl__Reservation *rv = f->reservations[r];
            if (strcmp(rep__s(rv->state), "reserved") != 0 &&
                strcmp(rep__s(rv->state), "partial") != 0)
                continue;
            for (size_t k = 0; k < rv->n_lines; k++)
                if (strcmp(rep__s(rv->lines[k]->depot_id), rep__s(x->depot_id)) == 0 &&
                    strcmp(rep__s(rv->lines[k]->material_id), rep__s(x->material_id)) == 0)
                    held += rv->lines[k]->quantity;
        }
        /* Quantities are counts or masses from data: a millionth is rounding. */
        double tol = 1e-6 * fmax(1.0, fabs(x->on_hand));
        int b = fabs(sum - x->on_hand) <= tol, m = fabs(held - x->reserved) <= tol;
        rep__set(ij, "movements_sum", json_real(sum));
        rep__set(ij, "balanced", json_boolean(b));
        rep__set(ij, "reserved_by_reservations", json_real(held));
        rep__set(ij, "reserved_matches_reservations", json_boolean(m));
        balanced &= b;
        matches &= m;
    }
    rep__set(j, "balanced", json_boolean(balanced));
    rep__set(j, "reserved_matches_reservations", json_boolean(matches));
    return j;
}

static json_t *rep__partners(const drill_run_info *ri, const drill_facts *f)
{
    json_t *a = json_array();
    for (size_t i = 0; i < ri->n_partners; i++) {
        const drill_partner_info *p = &ri->partners[i];
        json_t *j = json_object();
        rep__set(j, "unit_id", json_string(p->unit_id));
        rep__set(j, "side", json_string(drill_facts_unit_side(f, p->unit_id)));
        rep__set(j, "ack_delay_s", json_real(p->ack_delay_s));
        rep__set(j, "exported", json_boolean(p->exported));
        if (p->error[0])
            rep__set(j, "error", json_string(p->error));
        json_t *shown = json_array();
        for (size_t k = 0; k < f->n_shown; k++) {
            if (strcmp(f->shown[k].unit_id, p->unit_id) != 0)
                continue;
            json_t *s = json_object();
            rep__set(s, "task_id", json_string(f->shown[k].task_id));
            rep__set(s, "shown_count", json_integer(f->shown[k].shown_count));
            rep__set(s, "deliveries", json_integer(f->shown[k].deliveries));
            json_array_append_new(shown, s);
        }
        rep__set(j, "tasks_shown", shown);
        json_array_append_new(a, j);
    }
    return a;
}

/* Trigger → all acknowledged, one chain per incident the drill's injects opened: from the
 * moment the inject that opened it went out to the last acknowledgement of the incident's
 * tasks. Two measures in real ms: the drill-clock stamps (dispatch's acknowledged_ms minus
 * the inject's send time, divided by the scale: every process runs the same clock spec), and
 * the real time the last acknowledgement event reached hazdrill. */
static json_t *rep__chains(const drill_run_info *ri, const drill_facts *f, int64_t t0)
{
    json_t *chains = json_array();
    for (size_t i = 0; i < f->n_injects; i++) {
        const drill_inject_result *r = &f->injects[i];
        if (!r->sent || r->rc < 0 || !r->incident_opened || !r->incident_id[0])
            continue;
        int dup = 0;
        for (size_t k = 0; k < i; k++)
            dup |= f->injects[k].incident_opened &&
                   strcmp(f->injects[k].incident_id, r->incident_id) == 0;
        if (dup)
            continue;
        /* The chain is what this trigger set off before the drill injected anything else: a
         * later reading may re-anchor the plan and add tasks, which belong to that reading. */
        int64_t until = INT64_MAX;
        for (size_t k = 0; k < f->n_injects; k++)
            if (f->injects[k].sent && f->injects[k].sent_ms > r->sent_ms &&
                f->injects[k].sent_ms < until)
                until = f->injects[k].sent_ms;
        size_t n = 0, acked = 0;
        int64_t last = 0, seen = 0;
        for (size_t k = 0; k < f->n_tasks; k++) {
            const Hl__Task *t = f->tasks[k];
            if (strcmp(rep__s(t->incident_id), r->incident_id) != 0 || t->created_ms >= until)
                continue;
            n++;
            if (t->acknowledged_ms > 0) {
                acked++;
                last = t->acknowledged_ms > last ? t->acknowledged_ms : last;
            }
            /* The first acknowledgement event of the task: a revised task is acknowledged
             * again later, which is not part of this chain. */
            int64_t first_seen = 0;
            for (size_t a = 0; a < ri->n_acks; a++)
                if (strcmp(ri->acks[a].task_id, rep__s(t->id)) == 0 &&
                    (first_seen == 0 || ri->acks[a].real_ms < first_seen))
                    first_seen = ri->acks[a].real_ms;
            if (first_seen > seen)
                seen = first_seen;
        }
        json_t *c = json_object();
        rep__set(c, "incident_id", json_string(r->incident_id));
        rep__set(c, "trigger",
                 json_string(r->inject->kind == DRILL_INJECT_READING ? "reading" : "report"));
        rep__set(c, "trigger_line", json_integer(r->inject->line));
        rep__time(c, "trigger_sent", r->sent_ms, t0);
        rep__set(c, "tasks", json_integer((json_int_t)n));
        rep__set(c, "acknowledged", json_integer((json_int_t)acked));
        int all = n > 0 && acked == n;
        rep__set(c, "all_acknowledged", json_boolean(all));
        if (all) {
            rep__time(c, "last_ack", last, t0);
            rep__set(c, "trigger_to_all_ack_drill_s",
                     json_real((double)(last - r->sent_ms) / 1000.0));
            rep__set(c, "trigger_to_all_ack_real_ms",
                     json_real((double)(last - r->sent_ms) / ri->scale));
            if (seen > 0)
                rep__set(c, "trigger_to_all_ack_seen_real_ms",
                         json_integer(seen - r->sent_real_ms));
        }
        json_array_append_new(chains, c);
    }
    return chains;
}

json_t *drill_report_json(const drill_run_info *ri, const drill_facts *f, const drill_outcome *oc,
                          size_t n_oc)
{
    const drill_scenario *sc = ri->sc;
    int64_t t0 = ri->start_ms;
    json_t *doc = json_object();
    if (!doc)
        return NULL;
    json_t *d = json_object();
    rep__set(d, "name", json_string(sc->name));
    rep__set(d, "file", json_string(sc->file));
    rep__set(d, "mode", json_string(ri->mode));
    rep__set(d, "scenario_start", json_string(sc->start_text));
    rep__time(d, "start", t0, t0);
    rep__time(d, "end", ri->end_ms, t0);
    rep__set(d, "duration_limit_s", json_real(sc->duration_s));
    rep__set(d, "ended_by", json_string(ri->ended_by));
    rep__set(d, "clock_scale", json_real(ri->scale));
    rep__set(d, "clock_spec", json_string(ri->clock_spec));
    rep__set(d, "season", json_string(sc->season));
    rep__set(d, "season_applied",
             json_string(strcmp(ri->mode, "connected") == 0 ? "the running stack's"
                         : sc->season[0]                    ? "the scenario's"
                                                            : "by date"));
    double wall = (double)(ri->wall_end_real_ms - ri->wall_start_real_ms) / 1000.0;
    rep__set(d, "wall_time_s", json_real(wall));
    rep__set(d, "drill_time_s", json_real((double)(ri->end_ms - t0) / 1000.0));
    rep__set(d, "base_port", json_integer(ri->base_port));
    rep__set(d, "data_dir", json_string(ri->data_dir));
    if (ri->ack_delay_override >= -1)
        rep__set(d, "ack_delay_override_s", json_real(ri->ack_delay_override));
    rep__set(doc, "drill", d);

    json_t *a = json_array();
    for (size_t i = 0; i < f->n_injects; i++)
        json_array_append_new(a, rep__inject(&f->injects[i], t0));
    rep__set(doc, "injects", a);
    a = json_array();
    for (size_t i = 0; i < f->n_incidents; i++)
        json_array_append_new(a, rep__incident(f->incidents[i], t0));
    rep__set(doc, "incidents", a);
    a = json_array();
    for (size_t i = 0; i < f->n_alerts; i++)
        json_array_append_new(a, rep__alert(f->alerts[i], t0));
    rep__set(doc, "alerts", a);
    a = json_array();
    for (size_t i = 0; i < f->n_plans; i++)
        json_array_append_new(a, rep__plan(f->plans[i], t0));
    rep__set(doc, "plans", a);
    a = json_array();
    size_t acked = 0;
    double max_lat = -1;
    for (size_t i = 0; i < f->n_tasks; i++) {
        json_array_append_new(a, rep__task(f->tasks[i], f, t0));
        double lat = drill_task_ack_latency_s(f->tasks[i]);
        if (lat >= 0) {
            acked++;
            max_lat = lat > max_lat ? lat : max_lat;
        }
    }
    rep__set(doc, "tasks", a);
    a = json_array();
    for (size_t i = 0; i < f->n_reservations; i++)
        json_array_append_new(a, rep__reservation(f->reservations[i], t0));
    rep__set(doc, "reservations", a);
    a = json_array();
    for (size_t i = 0; i < f->n_sources; i++)
        json_array_append_new(a, rep__source(f->sources[i], t0));
    rep__set(doc, "sources", a);
    rep__set(doc, "ledger", f->ledger ? rep__ledger(f->ledger, f, t0) : json_null());
    rep__set(doc, "partners", rep__partners(ri, f));

    if (ri->has_kill) {
        json_t *k = json_object();
        rep__set(k, "service", json_string(ri->kill_name));
        rep__set(k, "signal", json_string("SIGKILL"));
        char off[24];
        drill_offset_format(ri->kill_at_s, off, sizeof off);
        rep__set(k, "at", json_string(off));
        rep__set(k, "down_s", json_real(ri->kill_down_s));
        rep__time(k, "killed", ri->killed_ms, t0);
        rep__time(k, "restarted", ri->restarted_ms, t0);
        rep__set(k, "ok", json_boolean(ri->kill_ok));
        if (ri->kill_error[0])
            rep__set(k, "error", json_string(ri->kill_error));
        rep__set(doc, "kill", k);
    }

    a = json_array();
    size_t passed = 0;
    for (size_t i = 0; i < n_oc; i++) {
        const drill_outcome *o = &oc[i];
        json_t *j = json_object();
        rep__set(j, "kind", json_string(drill_expect_kind_name(o->expect->kind)));
        rep__set(j, "line", json_integer(o->expect->line));
        rep__set(j, "pass", json_boolean(o->pass));
        rep__set(j, "summary", json_string(o->summary));
        rep__set(j, "figures", o->figures ? json_deep_copy(o->figures) : json_object());
        json_array_append_new(a, j);
        passed += o->pass != 0;
    }
    rep__set(doc, "expectations", a);

    a = json_array();
    for (size_t i = 0; i < ri->n_problems; i++)
        json_array_append_new(a, json_string(ri->problems[i]));
    rep__set(doc, "problems", a);

    a = json_array();
    for (size_t i = 0; i < ri->n_events; i++) {
        json_t *j = json_object();
        rep__time(j, "at", ri->events[i].drill_ms, t0);
        rep__set(j, "type", json_string(ri->events[i].type));
        rep__set(j, "text", json_string(ri->events[i].text));
        json_array_append_new(a, j);
    }
    rep__set(doc, "events", a);
    rep__set(doc, "events_dropped", json_integer((json_int_t)ri->events_dropped));

    json_t *s = json_object();
    int pass = n_oc > 0 && passed == n_oc && ri->n_problems == 0;
    rep__set(s, "pass", json_boolean(pass));
    rep__set(s, "expectations", json_integer((json_int_t)n_oc));
    rep__set(s, "passed", json_integer((json_int_t)passed));
    rep__set(s, "failed", json_integer((json_int_t)(n_oc - passed)));
    rep__set(s, "problems", json_integer((json_int_t)ri->n_problems));
    rep__set(s, "incidents", json_integer((json_int_t)f->n_incidents));
    rep__set(s, "alerts", json_integer((json_int_t)f->n_alerts));
    rep__set(s, "plans", json_integer((json_int_t)f->n_plans));
    rep__set(s, "tasks", json_integer((json_int_t)f->n_tasks));
    rep__set(s, "tasks_acknowledged", json_integer((json_int_t)acked));
    rep__set(s, "max_ack_latency_s", json_real(max_lat));
    rep__set(s, "reservations", json_integer((json_int_t)f->n_reservations));
    rep__set(s, "sources", json_integer((json_int_t)f->n_sources));
    rep__set(s, "ledger_lines", json_integer(f->ledger ? (json_int_t)f->ledger->n_items : 0));
    json_t *grades = json_array();
    for (size_t i = 0; i < f->n_incidents; i++) {
        const Hl__Incident *x = f->incidents[i];
        char g[600];
        snprintf(g, sizeof g, "%s: %s %s (%s)", rep__s(x->id),
                 x->grade && x->grade[0] ? x->grade : "not graded", rep__s(x->grade_name),
                 x->deciding ? rep__s(x->deciding->cite) : "no deciding criterion");
        json_array_append_new(grades, json_string(g));
    }
    rep__set(s, "incident_grades", grades);
    rep__set(s, "clock_scale", json_real(ri->scale));
    rep__set(s, "wall_time_s", json_real(wall));
    json_t *chains = rep__chains(ri, f, t0);
    /* The headline figure is the first chain (the first trigger of the drill). */
    json_t *first = json_array_get(chains, 0);
    if (first && json_is_true(json_object_get(first, "all_acknowledged"))) {
        rep__set(s, "trigger_to_all_ack_real_ms",
                 json_deep_copy(json_object_get(first, "trigger_to_all_ack_real_ms")));
        rep__set(s, "trigger_to_all_ack_drill_s",
                 json_deep_copy(json_object_get(first, "trigger_to_all_ack_drill_s")));
        json_t *seen = json_object_get(first, "trigger_to_all_ack_seen_real_ms");
        if (seen)
            rep__set(s, "trigger_to_all_ack_seen_real_ms", json_deep_copy(seen));
    }
    rep__set(s, "chains", chains);
    rep__set(doc, "summary", s);
    return doc;
}

/* ------------------------------------------------------------------ Markdown */

static const char *md__str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double md__num(const json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

static int md__bool(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k));
}

/* Table cells must not break the table: '|' and newlines become spaces. */
static void md__cell(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '|' || *s == '\n' ? ' ' : *s, out);
}

static const char *md__off(const json_t *o, const char *k)
{
    char key[64];
    snprintf(key, sizeof key, "%s_offset", k);
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "—";
}

/* "2026-07-15T14:05:00+08:00 (+04:05:00)", or "—" for a time that is not set. */
static void md__when(FILE *out, const json_t *o, const char *k)
{
    const char *iso = json_string_value(json_object_get(o, k));
    if (iso)
        fprintf(out, "%s (%s)", iso, md__off(o, k));
    else
        fputs("—", out);
}

static const char *md__yes(const json_t *o, const char *k)
{
    return md__bool(o, k) ? "yes" : "no";
}

/* text as a table cell, then " (unverified)" when flagged, unless the text says so already
 * (the services write "[unverified]" into some references). */
static void md__flagged(FILE *out, const char *text, int unverified)
{
    md__cell(out, text);
    if (unverified && !strstr(text, "unverified"))
        fputs(" (unverified)", out);
}

/* A grading criterion by its citation; the alert service appends " (unverified)" to the
 * cite of a row marked so, and this says it again should a cite come without it. */
static void md__cite(FILE *out, const json_t *c)
{
    const char *cite = md__str(c, "cite");
    md__flagged(out, cite[0] ? cite : md__str(c, "text"), !md__bool(c, "verified"));
}

/* Known facts as "deaths 0; evacuated 120", from the IncidentFacts object (an unknown fact
 * is absent from it). */
static void md__facts(FILE *out, const json_t *facts)
{
    static const char *const skip[] = {"incident_id", "actor", "basis"};
    const char *k;
    const json_t *v;
    int n = 0;
    json_object_foreach((json_t *)facts, k, v)
    {
        int meta = 0;
        for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
            meta |= strcmp(k, skip[i]) == 0;
        if (meta)
            continue;
        fprintf(out, "%s%s ", n++ ? "; " : "", k);
        if (json_is_number(v))
            fprintf(out, "%.15g", json_number_value(v));
        else
            md__cell(out, json_string_value(v) ? json_string_value(v) : "");
    }
    if (!n)
        fputs("none reported", out);
    if (md__str(facts, "basis")[0]) {
        fputs(" (basis: ", out);
        md__cell(out, md__str(facts, "basis"));
        fputs(")", out);
    }
}

static void md__incident_detail(const json_t *v, FILE *out)
{
    size_t k;
    const json_t *x;
    fprintf(out, "\n### Incident %s — grade %s %s\n\n", md__str(v, "id"),
            md__str(v, "grade")[0] ? md__str(v, "grade") : "not graded", md__str(v, "grade_name"));
    fprintf(out, "- Deciding criterion: ");
    md__cite(out, json_object_get(v, "deciding"));
    fprintf(out, "\n- Grade by the facts alone: %s (rules: %s)\n",
            md__str(v, "grade_by_facts")[0] ? md__str(v, "grade_by_facts") : "—",
            md__str(v, "grading_source"));
    fprintf(out, "- Criteria met:");
    json_array_foreach(json_object_get(v, "criteria_met"), k, x)
    {
        fputs(k ? "; " : " ", out);
        md__cite(out, x);
    }
    fprintf(out, "%s\n- Facts known: ",
            json_array_size(json_object_get(v, "criteria_met")) ? "" : " none");
    md__facts(out, json_object_get(v, "facts"));
    fprintf(out, "\n- Facts not reported yet (the grade may still rise):");
    json_array_foreach(json_object_get(v, "facts_unknown"), k, x)
        fprintf(out, "%s%s", k ? ", " : " ", json_string_value(x));
    fprintf(out, "%s\n", json_array_size(json_object_get(v, "facts_unknown")) ? "" : " none");
    if (md__bool(v, "grading_unverified"))
        fprintf(out, "- *A criterion or a reporting duty shown here comes from a row marked "
                     "unverified.*\n");
    if (json_array_size(json_object_get(v, "grade_history")) > 0) {
        fprintf(out, "\n| grade change | at | by | criterion or reason |\n|---|---|---|---|\n");
        json_array_foreach(json_object_get(v, "grade_history"), k, x)
        {
            fprintf(out, "| %s → %s%s | ", md__str(x, "from")[0] ? md__str(x, "from") : "—",
                    md__str(x, "to"), md__bool(x, "automatic") ? " (automatic)" : "");
            md__when(out, x, "at");
            fprintf(out, " | %s | ", md__str(x, "actor"));
            md__cell(out, md__str(x, "criterion"));
            if (md__str(x, "reason")[0]) {
                fputs(": ", out);
                md__cell(out, md__str(x, "reason"));
            }
            fputs(" |\n", out);
        }
    }
    fprintf(out, "\nReporting duties (突发环境事件信息报告办法; state as of the drill's end):\n\n"
                 "| report | state | grade | due | deadline | done | to | clause | why |\n"
                 "|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(v, "reports"), k, x)
    {
        fprintf(out, "| %s (%s) | %s%s | %s | ", md__str(x, "id"), md__str(x, "kind"),
                md__str(x, "state"), md__bool(x, "late") ? ", late" : "", md__str(x, "grade"));
        md__when(out, x, "due");
        fputs(" | ", out);
        md__when(out, x, "deadline");
        fputs(" | ", out);
        md__when(out, x, "done");
        fputs(" | ", out);
        md__cell(out, md__str(x, "recipient"));
        fprintf(out, " | %s%s | ", md__str(x, "clause"),
                md__bool(x, "verified") ? "" : " (unverified)");
        md__cell(out, md__str(x, "why"));
        fputs(" |\n", out);
    }
    if (json_array_size(json_object_get(v, "episodes")) == 0)
        return;
    fprintf(out, "\nExceedance episodes:\n\n| station | km | side | first | last | readings | "
                 "peak mg/L | multiple | ended | attached |\n"
                 "|---|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(v, "episodes"), k, x)
    {
        fprintf(out, "| %s | %g | %s | %s | %s | %d | %g | %.2f | %s | ", md__str(x, "station_id"),
                md__num(x, "chainage_km"), md__str(x, "jurisdiction"), md__off(x, "first"),
                md__off(x, "last"), (int)md__num(x, "count"), md__num(x, "peak_value_mg_l"),
                md__num(x, "peak_multiple"), md__off(x, "ended"));
        if (md__bool(x, "linked")) {
            fputs("yes: ", out);
            md__cell(out, md__str(x, "link_reason"));
        } else {
            fputs("no", out);
        }
        fputs(" |\n", out);
    }
}

static void md__incidents(const json_t *doc, FILE *out)
{
    size_t i, k;
    const json_t *v, *u;
    fprintf(out, "\n## Incidents\n\n| id | origin | station | parameter | opened | first "
                 "exceedance | peak mg/L | limit mg/L (source) | level | grade | side | upstream "
                 "sources |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "incidents"), i, v)
    {
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %g | %g (%s) | %s | %s %s | %s | ",
                md__str(v, "id"), md__str(v, "origin"), md__str(v, "station_id"),
                md__str(v, "parameter"), md__off(v, "opened"), md__off(v, "first_exceedance"),
                md__num(v, "peak_value_mg_l"), md__num(v, "limit_mg_l"), md__str(v, "limit_source"),
                md__str(v, "warning_level"), md__str(v, "grade"), md__str(v, "grade_name"),
                md__str(v, "jurisdiction"));
        json_array_foreach(json_object_get(v, "upstream_source_ids"), k, u)
            fprintf(out, "%s%s", k ? ", " : "", json_string_value(u));
        fprintf(out, " |\n");
    }
    json_array_foreach(json_object_get(doc, "incidents"), i, v) md__incident_detail(v, out);
}

/* A forecast concentration: the model's figure, or why there is none. The key
 * concentration_known is absent from plans made before the dispersion forecast: their
 * figure is shown as it is. */
static void md__peak(FILE *out, const json_t *p)
{
    const json_t *known = json_object_get(p, "concentration_known");
    if (known && !json_is_true(known))
        fputs("unknown (assumed over the limit)", out);
    else
        fprintf(out, "%g", md__num(p, "peak_mg_l"));
}

static void md__plans(const json_t *doc, FILE *out)
{
    size_t i, k;
    const json_t *v, *p;
    json_array_foreach(json_object_get(doc, "plans"), i, v)
    {
        fprintf(out, "\n## Plan %s (incident %s)\n\n", md__str(v, "id"), md__str(v, "incident_id"));
        fprintf(out, "Release at km %g, %s season. Interception at **%s** (%s)%s%s.\n",
                md__num(v, "release_chainage_km"), md__str(v, "season"),
                md__str(v, "chosen_space_id")[0] ? md__str(v, "chosen_space_name") : "none",
                md__str(v, "chosen_space_id"),
                md__bool(v, "space_ready_in_time") ? ", ready before the front" : "",
                md__str(v, "fallback")[0] ? md__str(v, "fallback") : "");
        if (md__bool(v, "velocities_unverified"))
            fprintf(out, "\n*%s*\n", md__str(v, "forecast_note"));
        static const char *const notes[] = {"method", "forecast_caveats", "assumptions",
                                            "spaces_passed_over", "update_note"};
        for (size_t n = 0; n < sizeof notes / sizeof notes[0]; n++)
            if (md__str(v, notes[n])[0]) {
                fprintf(out, "\n%s: ", notes[n]);
                md__cell(out, md__str(v, notes[n]));
                fputc('\n', out);
            }
        fprintf(out, "\n| point | kind | km | side | arrival | front over the limit | peak | "
                     "peak mg/L | clear | threatened | ready in time | holds (m³ to hold / "
                     "capacity) | from | velocities |\n"
                     "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        json_array_foreach(json_object_get(v, "forecast"), k, p)
        {
            int space = strcmp(md__str(p, "kind"), "space") == 0;
            fprintf(out, "| %s ", md__str(p, "point_id"));
            md__cell(out, md__str(p, "name"));
            fprintf(out, " | %s | %g | %s | ", md__str(p, "kind"), md__num(p, "chainage_km"),
                    md__str(p, "jurisdiction"));
            md__when(out, p, "arrival");
            fputs(" | ", out);
            md__when(out, p, "front");
            fputs(" | ", out);
            md__when(out, p, "peak");
            fputs(" | ", out);
            md__peak(out, p);
            fputs(" | ", out);
            if (!json_is_string(json_object_get(p, "clear")) && md__bool(p, "open_ended"))
                fputs("open-ended (end of the plume unknown)", out);
            else
                md__when(out, p, "clear");
            fprintf(out, " | %s | %s | ", md__yes(p, "threatened"),
                    space ? md__yes(p, "ready_in_time") : "—");
            if (!space)
                fputs("—", out);
            else if (md__num(p, "volume_m3") > 0)
                fprintf(out, "%s (%.0f / %.0f)", md__yes(p, "holds"), md__num(p, "volume_m3"),
                        md__num(p, "capacity_m3"));
            else
                fputs("not checked (volume unknown)", out);
            fprintf(out, " | %s | %s |\n",
                    md__str(p, "reanchored_by")[0] ? md__str(p, "reanchored_by") : "model",
                    md__bool(p, "velocities_unverified") ? "unverified" : "as given");
        }
    }
}

static void md__sources(const json_t *doc, FILE *out)
{
    size_t i, k;
    const json_t *v, *x;
    fprintf(out, "\n## Risk sources\n\n| source | side | outfall km | HJ 941-2018 | Q | "
                 "GB 18218-2018 S | major hazard | R | grade |\n"
                 "|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "sources"), i, v)
    {
        const json_t *h = json_object_get(v, "hj941"), *g = json_object_get(v, "gb18218");
        fprintf(out, "| %s ", md__str(v, "id"));
        md__cell(out, md__str(v, "name"));
        fprintf(out, " | %s | %g | ", md__str(v, "jurisdiction"),
                md__num(v, "outfall_chainage_km"));
        md__flagged(out, md__str(h, "label")[0] ? md__str(h, "label") : "not determined",
                    md__bool(h, "unverified"));
        fprintf(out, " | %.4g (%s)%s | %.4g | %s | ", md__num(h, "q"), md__str(h, "q_band"),
                md__bool(h, "q_unverified") ? " (unverified)" : "", md__num(g, "s"),
                md__yes(g, "major"));
        if (md__bool(g, "graded"))
            fprintf(out, "%.4g | %s%s%s |\n", md__num(g, "r"), md__str(g, "grade_name"),
                    md__bool(g, "depends_on_disputed") ? " (disputed β: " : "",
                    md__bool(g, "depends_on_disputed") ? "see flags)" : "");
        else
            fprintf(out, "— | not graded |\n");
    }
    json_array_foreach(json_object_get(doc, "sources"), i, v)
    {
        const json_t *h = json_object_get(v, "hj941"), *g = json_object_get(v, "gb18218");
        fprintf(out, "\n**%s** — HJ 941-2018 ", md__str(v, "id"));
        md__flagged(out, md__str(h, "label"), md__bool(h, "unverified"));
        if (md__bool(g, "graded")) {
            fprintf(out, "; GB 18218-2018 %s (R = %.4g, α = %g, ", md__str(g, "grade_name"),
                    md__num(g, "r"), md__num(g, "alpha"));
            md__flagged(out, md__str(g, "alpha_ref"), md__bool(g, "unverified"));
            fputc(')', out);
        }
        fputs("\n\n", out);
        if (md__str(h, "note")[0] || md__str(g, "note")[0]) {
            fputs("- Notes: ", out);
            md__cell(out, md__str(h, "note"));
            fputs(md__str(h, "note")[0] && md__str(g, "note")[0] ? " / " : "", out);
            md__cell(out, md__str(g, "note"));
            fputc('\n', out);
        }
        json_array_foreach(json_object_get(h, "terms"), k, x)
        {
            fprintf(out, "- HJ 941 %s: q %g t / Q %g t = %.4g ", md__str(x, "substance"),
                    md__num(x, "q_t"), md__num(x, "critical_t"), md__num(x, "ratio"));
            md__flagged(out, md__str(x, "ref"), md__bool(x, "unverified"));
            fputc('\n', out);
        }
        static const char *const media[] = {"air", "water"};
        for (size_t m = 0; m < 2; m++) {
            const json_t *e = json_object_get(h, media[m]);
            if (!md__str(e, "label")[0])
                continue;
            fprintf(out, "- HJ 941 %s: M %g (%s), %s → ", md__str(e, "medium"), md__num(e, "m"),
                    md__str(e, "m_band"), md__str(e, "e"));
            md__flagged(out, md__str(e, "label"), md__bool(e, "unverified"));
            fputs(md__str(e, "ref")[0] ? " — " : "", out);
            md__cell(out, md__str(e, "ref"));
            fputc('\n', out);
        }
        json_array_foreach(json_object_get(g, "terms"), k, x)
        {
            fprintf(out, "- GB 18218 %s: q %g t / Q %g t = %.4g, β %g%s ", md__str(x, "substance"),
                    md__num(x, "q_t"), md__num(x, "critical_t"), md__num(x, "ratio"),
                    md__num(x, "beta"), md__bool(x, "beta_disputed") ? " (disputed)" : "");
            md__flagged(out, md__str(x, "q_ref"), md__bool(x, "q_unverified"));
            fputs("; ", out);
            md__flagged(out, md__str(x, "beta_ref"), md__bool(x, "beta_unverified"));
            fputc('\n', out);
        }
        json_array_foreach(json_object_get(v, "flags"), k, x)
        {
            fputs("- *", out);
            md__cell(out, json_string_value(x));
            fputs("*\n", out);
        }
    }
}

static void md__ledger(const json_t *doc, FILE *out)
{
    const json_t *l = json_object_get(doc, "ledger");
    size_t i;
    const json_t *v;
    if (!json_is_object(l)) {
        fprintf(out, "\n## Stock ledger\n\nThe stock service did not answer stock.ledger.\n");
        return;
    }
    fprintf(out, "\n## Stock ledger\n\nTotals as of ");
    md__when(out, l, "as_of");
    fprintf(out,
            "; every line's on hand %s the sum of its movements; reserved %s the open "
            "reservations.\n\n| depot | material | unit | received | issued | consumed | "
            "returned | transfers in/out | written off | adjusted +/− | reserved | on hand "
            "| expired | available | minimum | notes |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
            md__bool(l, "balanced") ? "equals" : "does NOT equal",
            md__bool(l, "reserved_matches_reservations") ? "matches" : "does NOT match");
    json_array_foreach(json_object_get(l, "items"), i, v)
    {
        fprintf(out,
                "| %s | %s | %s | %g | %g | %g | %g | %g / %g | %g | %g / %g | %g | %g | %g | %g | "
                "%g | ",
                md__str(v, "depot_id"), md__str(v, "material_id"), md__str(v, "unit"),
                md__num(v, "received"), md__num(v, "issued"), md__num(v, "consumed"),
                md__num(v, "returned"), md__num(v, "transferred_in"), md__num(v, "transferred_out"),
                md__num(v, "written_off"), md__num(v, "adjusted_in"), md__num(v, "adjusted_out"),
                md__num(v, "reserved"), md__num(v, "on_hand"), md__num(v, "expired"),
                md__num(v, "available"), md__num(v, "minimum"));
        int n = 0;
        if (md__bool(v, "below_minimum"))
            fprintf(out, "%s**below minimum**", n++ ? "; " : "");
        if (md__bool(v, "quantity_assumed"))
            fprintf(out, "%sopening stock assumed", n++ ? "; " : "");
        if (md__bool(v, "material_unverified"))
            fprintf(out, "%scatalogue row unverified", n++ ? "; " : "");
        if (!md__bool(v, "balanced"))
            fprintf(out, "%s**movements sum to %g**", n++ ? "; " : "", md__num(v, "movements_sum"));
        if (!md__bool(v, "reserved_matches_reservations"))
            fprintf(out, "%s**reservations hold %g**", n++ ? "; " : "",
                    md__num(v, "reserved_by_reservations"));
        fputs(" |\n", out);
    }
    if (md__bool(l, "truncated"))
        fprintf(out, "\n*(truncated: more lines than one reply holds)*\n");
}

int drill_report_markdown(const json_t *doc, FILE *out)
{
    const json_t *d = json_object_get(doc, "drill");
    const json_t *s = json_object_get(doc, "summary");
    size_t i;
    const json_t *v;
    fprintf(out, "# Drill report: %s\n\n", md__str(d, "name"));
    fprintf(out, "**Result: %s** — %d of %d expectations held",
            md__bool(s, "pass") ? "PASS" : "FAIL", (int)md__num(s, "passed"),
            (int)md__num(s, "expectations"));
    if (md__num(s, "problems") > 0)
        fprintf(out, "; %d problem(s) outside the expectations", (int)md__num(s, "problems"));
    fprintf(out, ".\n\n");
    fprintf(out, "| | |\n|---|---|\n");
    fprintf(out, "| Scenario | `%s` |\n", md__str(d, "file"));
    fprintf(out, "| Drill start | %s |\n", md__str(d, "start"));
    fprintf(out, "| Drill end | %s (%s, %s) |\n", md__str(d, "end"), md__off(d, "end"),
            md__str(d, "ended_by"));
    fprintf(out, "| Clock | ×%g (one real second = %g drill seconds) |\n",
            md__num(d, "clock_scale"), md__num(d, "clock_scale"));
    fprintf(out, "| Wall time | %.1f s |\n", md__num(d, "wall_time_s"));
    fprintf(out, "| Stack | %s, base port %d, data in `%s` |\n", md__str(d, "mode"),
            (int)md__num(d, "base_port"), md__str(d, "data_dir"));
    const json_t *tta = json_object_get(s, "trigger_to_all_ack_real_ms");
    if (tta)
        fprintf(out, "| Trigger → all acknowledged | %.1f real ms (%.0f drill s) |\n",
                json_number_value(tta), md__num(s, "trigger_to_all_ack_drill_s"));
    fprintf(out, "\nTimes are Beijing time (+08:00) on the drill clock; offsets are from the "
                 "drill start; latencies are drill seconds.\n\n");

    fprintf(out, "## Expectations\n\n| # | expectation | result | what was found |\n"
                 "|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "expectations"), i, v)
    {
        fprintf(out, "| %zu | %s (line %d) | %s | ", i + 1, md__str(v, "kind"),
                (int)md__num(v, "line"), md__bool(v, "pass") ? "pass" : "**FAIL**");
        md__cell(out, md__str(v, "summary"));
        fprintf(out, " |\n");
    }
    const json_t *probs = json_object_get(doc, "problems");
    if (json_array_size(probs) > 0) {
        fprintf(out, "\n**Problems:**\n\n");
        json_array_foreach(probs, i, v) fprintf(out, "- %s\n", json_string_value(v));
    }

    md__incidents(doc, out);

    fprintf(out, "\n## Alerts\n\n| id | incident | level | raised | station | value mg/L | "
                 "multiple |\n|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "alerts"), i, v)
        fprintf(out, "| %s | %s | %s | %s | %s | %g | %.2f |\n", md__str(v, "id"),
                md__str(v, "incident_id"), md__str(v, "warning_level"), md__off(v, "raised"),
                md__str(v, "station_id"), md__num(v, "value_mg_l"), md__num(v, "multiple"));

    md__plans(doc, out);
    md__sources(doc, out);
    md__ledger(doc, out);

    fprintf(out, "\n## Tasks\n\n| task | unit | side | kind | target | state | created | "
                 "delivered | acknowledged | ack latency (drill s) |\n"
                 "|---|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "tasks"), i, v)
    {
        const json_t *lat = json_object_get(v, "ack_latency_s");
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | ", md__str(v, "id"),
                md__str(v, "unit_id"), md__str(v, "unit_side"), md__str(v, "kind"),
                md__str(v, "target_id"), md__str(v, "state"), md__off(v, "created"),
                md__off(v, "delivered"), md__off(v, "acknowledged"));
        if (json_is_number(lat))
            fprintf(out, "%.0f |\n", json_number_value(lat));
        else
            fprintf(out, "— |\n");
    }

    fprintf(out, "\n## Reservations\n\n");
    json_array_foreach(json_object_get(doc, "reservations"), i, v)
    {
        fprintf(out,
                "**%s** (%s, plan %s)\n\n| material | depot | quantity | km away |\n"
                "|---|---|---|---|\n",
                md__str(v, "id"), md__str(v, "state"), md__str(v, "plan_id"));
        size_t k;
        const json_t *l;
        json_array_foreach(json_object_get(v, "lines"), k, l)
            fprintf(out, "| %s | %s (%s) | %g %s | %.1f |\n", md__str(l, "material_id"),
                    md__str(l, "depot_id"), md__str(l, "depot_jurisdiction"),
                    md__num(l, "quantity"), md__str(l, "unit"), md__num(l, "distance_km"));
        const json_t *sh = json_object_get(v, "shortfall");
        if (json_array_size(sh) == 0)
            fprintf(out, "\nNo shortfall.\n\n");
        else {
            fprintf(out, "\nShortfall:");
            json_array_foreach(sh, k, l)
                fprintf(out, "%s %g %s %s", k ? "," : "", md__num(l, "quantity"),
                        md__str(l, "unit"), md__str(l, "material_id"));
            fprintf(out, ".\n\n");
        }
    }

    fprintf(out, "## Partner agents\n\n| unit | side | ack delay (drill s) | tasks shown | "
                 "shown more than once | deliveries received |\n|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "partners"), i, v)
    {
        size_t k, shown = 0, dup = 0, deliveries = 0;
        const json_t *t;
        json_array_foreach(json_object_get(v, "tasks_shown"), k, t)
        {
            shown++;
            dup += md__num(t, "shown_count") > 1;
            deliveries += (size_t)md__num(t, "deliveries");
        }
        fprintf(out, "| %s | %s | %g | ", md__str(v, "unit_id"), md__str(v, "side"),
                md__num(v, "ack_delay_s"));
        if (md__bool(v, "exported"))
            fprintf(out, "%zu | %zu | %zu |\n", shown, dup, deliveries);
        else {
            fprintf(out, "export unavailable: ");
            md__cell(out, md__str(v, "error"));
            fprintf(out, " | — | — |\n");
        }
    }
    const json_t *kill = json_object_get(doc, "kill");
    if (kill) {
        fprintf(out, "\n## Fault injected\n\n%s of `%s` at %s (killed %s, restarted %s): %s",
                md__str(kill, "signal"), md__str(kill, "service"), md__str(kill, "at"),
                md__off(kill, "killed"), md__off(kill, "restarted"),
                md__bool(kill, "ok") ? "restarted and answering" : "FAILED");
        if (json_object_get(kill, "error"))
            fprintf(out, " (%s)", md__str(kill, "error"));
        fprintf(out, ".\n");
    }

    fprintf(out, "\n## Timeline\n\n");
    json_array_foreach(json_object_get(doc, "events"), i, v)
    {
        fprintf(out, "- `%s` %s — ", md__off(v, "at"), md__str(v, "type"));
        md__cell(out, md__str(v, "text"));
        fputc('\n', out);
    }
    return ferror(out) ? HL_EIO : 0;
}

int drill_report_write(const json_t *doc, const char *dir, char *err, size_t errlen)
{
    char path[1024];
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return HL_EIO;
    }
    snprintf(path, sizeof path, "%s/report.json", dir);
    if (json_dump_file(doc, path, JSON_INDENT(2)) < 0) {
        snprintf(err, errlen, "cannot write %s", path);
        return HL_EIO;
    }
    snprintf(path, sizeof path, "%s/report.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return HL_EIO;
    }
    int rc = drill_report_markdown(doc, f);
    if (fclose(f) != 0 || rc < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return HL_EIO;
    }
    return 0;
}
