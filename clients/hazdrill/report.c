/* report.c — report.json and report.md (see report.h). */
#include "report.h"

#include <errno.h>
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

static json_t *rep__strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(rep__s(v[i])));
    return a;
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
    rep__set(j, "incident_id", json_string(r->incident_id));
    rep__set(j, "incident_opened", json_boolean(r->incident_opened));
    return j;
}

static json_t *rep__incident(const Hl__Incident *x, int64_t t0)
{
    json_t *j = json_object();
    rep__set(j, "id", json_string(rep__s(x->id)));
    rep__set(j, "state", json_string(rep__s(x->state)));
    rep__set(j, "origin", json_string(rep__s(x->origin)));
    rep__set(j, "station_id", json_string(rep__s(x->station_id)));
    rep__set(j, "section_id", json_string(rep__s(x->section_id)));
    rep__set(j, "parameter", json_string(rep__s(x->parameter)));
    rep__set(j, "chainage_km", json_real(x->chainage_km));
    rep__time(j, "opened", x->opened_ms, t0);
    rep__time(j, "first_exceedance", x->first_exceedance_ms, t0);
    rep__set(j, "reading_count", json_integer(x->reading_count));
    rep__set(j, "peak_value_mg_l", json_real(x->peak_value_mg_l));
    rep__set(j, "limit_mg_l", json_real(x->limit_mg_l));
    rep__set(j, "limit_source", json_string(rep__s(x->limit_source)));
    rep__set(j, "warning_level", json_string(rep__s(x->warning_level)));
    rep__set(j, "jurisdiction", json_string(rep__s(x->jurisdiction)));
    rep__set(j, "source_id", json_string(rep__s(x->source_id)));
    rep__set(j, "upstream_source_ids",
             rep__strings(x->upstream_source_ids, x->n_upstream_source_ids));
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

static json_t *rep__plan(const Hl__Plan *p, int64_t t0)
{
    json_t *j = json_object();
    rep__set(j, "id", json_string(rep__s(p->id)));
    rep__set(j, "incident_id", json_string(rep__s(p->incident_id)));
    rep__set(j, "alert_id", json_string(rep__s(p->alert_id)));
    rep__time(j, "created", p->created_ms, t0);
    rep__set(j, "season", json_string(rep__s(p->season)));
    rep__set(j, "velocities_unverified", json_boolean(p->velocities_unverified));
    rep__set(j, "parameter", json_string(rep__s(p->parameter)));
    rep__set(j, "release_chainage_km", json_real(p->release_chainage_km));
    rep__time(j, "release", p->release_ms, t0);
    rep__set(j, "chosen_space_id", json_string(rep__s(p->chosen_space_id)));
    rep__set(j, "chosen_space_name", json_string(rep__s(p->chosen_space_name)));
    rep__set(j, "space_ready_in_time", json_boolean(p->space_ready_in_time));
    rep__set(j, "fallback", json_string(rep__s(p->fallback)));
    rep__set(j, "reservation_id", json_string(rep__s(p->reservation_id)));
    rep__set(j, "reservation_state", json_string(rep__s(p->reservation_state)));
    rep__set(j, "task_ids", rep__strings(p->task_ids, p->n_task_ids));
    json_t *pts = json_array();
    for (size_t i = 0; i < p->n_points; i++) {
        const Hl__ForecastPoint *pt = p->points[i];
        json_t *q = json_object();
        rep__set(q, "point_id", json_string(rep__s(pt->point_id)));
        rep__set(q, "kind", json_string(rep__s(pt->kind)));
        rep__set(q, "name", json_string(rep__s(pt->name)));
        rep__set(q, "chainage_km", json_real(pt->chainage_km));
        rep__time(q, "front", pt->front_ms, t0);
        rep__time(q, "peak", pt->peak_ms, t0);
        rep__set(q, "peak_mg_l", json_real(pt->peak_mg_l));
        rep__time(q, "clear", pt->clear_ms, t0);
        rep__set(q, "travel_s", json_real(pt->travel_s));
        rep__set(q, "ready_in_time", json_boolean(pt->ready_in_time));
        rep__set(q, "threatened", json_boolean(pt->threatened));
        json_array_append_new(pts, q);
    }
    rep__set(j, "forecast", pts);
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
        size_t n = 0, acked = 0;
        int64_t last = 0, seen = 0;
        for (size_t k = 0; k < f->n_tasks; k++) {
            const Hl__Task *t = f->tasks[k];
            if (strcmp(rep__s(t->incident_id), r->incident_id) != 0)
                continue;
            n++;
            if (t->acknowledged_ms > 0) {
                acked++;
                last = t->acknowledged_ms > last ? t->acknowledged_ms : last;
            }
            for (size_t a = 0; a < ri->n_acks; a++)
                if (strcmp(ri->acks[a].task_id, rep__s(t->id)) == 0 && ri->acks[a].real_ms > seen)
                    seen = ri->acks[a].real_ms;
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

    fprintf(out,
            "\n## Incidents\n\n| id | origin | station | parameter | opened | first "
            "exceedance | peak mg/L | limit mg/L (source) | level | side | upstream sources |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "incidents"), i, v)
    {
        fprintf(out, "| %s | %s | %s | %s | %s | %s | %g | %g (%s) | %s | %s | ", md__str(v, "id"),
                md__str(v, "origin"), md__str(v, "station_id"), md__str(v, "parameter"),
                md__off(v, "opened"), md__off(v, "first_exceedance"), md__num(v, "peak_value_mg_l"),
                md__num(v, "limit_mg_l"), md__str(v, "limit_source"), md__str(v, "warning_level"),
                md__str(v, "jurisdiction"));
        size_t k;
        const json_t *u;
        json_array_foreach(json_object_get(v, "upstream_source_ids"), k, u)
            fprintf(out, "%s%s", k ? ", " : "", json_string_value(u));
        fprintf(out, " |\n");
    }

    fprintf(out, "\n## Alerts\n\n| id | incident | level | raised | station | value mg/L | "
                 "multiple |\n|---|---|---|---|---|---|---|\n");
    json_array_foreach(json_object_get(doc, "alerts"), i, v)
        fprintf(out, "| %s | %s | %s | %s | %s | %g | %.2f |\n", md__str(v, "id"),
                md__str(v, "incident_id"), md__str(v, "warning_level"), md__off(v, "raised"),
                md__str(v, "station_id"), md__num(v, "value_mg_l"), md__num(v, "multiple"));

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
            fprintf(out, "\n*River velocities are hazlink assumptions (unverified): arrival "
                         "times are estimates.*\n");
        fprintf(out, "\n| point | kind | km | front arrives | peak | peak mg/L | ready in "
                     "time | threatened |\n|---|---|---|---|---|---|---|---|\n");
        size_t k;
        const json_t *p;
        json_array_foreach(json_object_get(v, "forecast"), k, p)
        {
            fprintf(out, "| %s ", md__str(p, "point_id"));
            md__cell(out, md__str(p, "name"));
            fprintf(out, " | %s | %g | %s %s | %s | %g | %s | %s |\n", md__str(p, "kind"),
                    md__num(p, "chainage_km"), md__off(p, "front"),
                    json_is_string(json_object_get(p, "front")) ? md__str(p, "front") : "",
                    md__off(p, "peak"), md__num(p, "peak_mg_l"),
                    md__bool(p, "ready_in_time") ? "yes" : "no",
                    md__bool(p, "threatened") ? "yes" : "no");
        }
    }

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
