/* expect.c — the rules behind each drill expectation (see expect.h). */
#include "expect.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hazlink/hl_error.h"

static const char *expect__s(const char *s)
{
    return s ? s : "";
}

static void expect__sayf(drill_outcome *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void expect__sayf(drill_outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->summary, sizeof o->summary, fmt, ap);
    va_end(ap);
}

double drill_task_ack_latency_s(const Hl__Task *t)
{
    if (!t || t->acknowledged_ms <= 0)
        return -1;
    return (double)(t->acknowledged_ms - t->created_ms) / 1000.0;
}

const char *drill_facts_unit_side(const drill_facts *f, const char *unit_id)
{
    for (size_t i = 0; i < f->n_units; i++)
        if (strcmp(expect__s(f->units[i]->id), unit_id) == 0 && f->units[i]->side &&
            f->units[i]->side[0])
            return f->units[i]->side;
    return f->cat ? drill_catalog_unit_side(f->cat, unit_id) : "";
}

static const drill_receptor *expect__receptor(const drill_facts *f, const char *id)
{
    for (size_t i = 0; f->cat && i < f->cat->n_receptors; i++)
        if (strcmp(f->cat->receptors[i].id, id) == 0)
            return &f->cat->receptors[i];
    return NULL;
}

static const Hl__Incident *expect__incident(const drill_facts *f, const char *id)
{
    for (size_t i = 0; i < f->n_incidents; i++)
        if (strcmp(expect__s(f->incidents[i]->id), id) == 0)
            return f->incidents[i];
    return NULL;
}

/* json_object_set_new that survives a NULL value (allocation failure is caught at the end
 * by checking the figures object). */
static void expect__set(json_t *o, const char *k, json_t *v)
{
    if (o && v)
        json_object_set_new(o, k, v);
    else
        json_decref(v);
}

/* ------------------------------------------------------------ incident_opened */

static int expect__incident_opened(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    /* The first exceedance is the earliest reading the drill sent at the station that the
     * alert service judged over its limit; its measured time is the drill time it was due. */
    int64_t first_ms = 0;
    const drill_inject_result *first = NULL;
    for (size_t i = 0; i < f->n_injects; i++) {
        const drill_inject_result *r = &f->injects[i];
        const drill_inject *in = r->inject;
        if (!in || in->kind != DRILL_INJECT_READING || !r->sent || r->rc < 0 || !r->exceeded)
            continue;
        if (strcmp(in->station_id, e->station_id) != 0)
            continue;
        if (e->parameter[0] && strcmp(in->parameter, e->parameter) != 0)
            continue;
        if (!first || r->due_ms < first_ms) {
            first = r;
            first_ms = r->due_ms;
        }
    }
    /* The incident: one at the station whose parameter matches, or the one the alert
     * service named in its answer to that first exceeding reading (aliases: "苯"/"benzene"). */
    const Hl__Incident *inc = NULL;
    if (first && first->incident_id[0])
        inc = expect__incident(f, first->incident_id);
    for (size_t i = 0; !inc && i < f->n_incidents; i++) {
        const Hl__Incident *c = f->incidents[i];
        if (strcmp(expect__s(c->station_id), e->station_id) == 0 &&
            (!e->parameter[0] || strcmp(expect__s(c->parameter), e->parameter) == 0))
            inc = c;
    }
    expect__set(o->figures, "station_id", json_string(e->station_id));
    expect__set(o->figures, "parameter", json_string(e->parameter));
    expect__set(o->figures, "within_s", json_real(e->within_s));
    if (!first) {
        expect__sayf(o,
                     "no reading at %s%s%s was judged over its limit, so no exceedance "
                     "started the clock",
                     e->station_id, e->parameter[0] ? " for " : "", e->parameter);
        o->pass = 0;
        return 0;
    }
    expect__set(o->figures, "first_exceedance_ms", json_integer(first_ms));
    expect__set(o->figures, "first_exceedance_value_mg_l", json_real(first->value_mg_l));
    expect__set(o->figures, "limit_mg_l", json_real(first->limit_mg_l));
    expect__set(o->figures, "limit_source", json_string(first->limit_source));
    if (!inc) {
        expect__sayf(o, "no incident was opened for %s after the exceedance at drill ms %lld",
                     e->station_id, (long long)first_ms);
        o->pass = 0;
        return 0;
    }
    double delay_s = (double)(inc->opened_ms - first_ms) / 1000.0;
    expect__set(o->figures, "incident_id", json_string(expect__s(inc->id)));
    expect__set(o->figures, "incident_origin", json_string(expect__s(inc->origin)));
    expect__set(o->figures, "opened_ms", json_integer(inc->opened_ms));
    expect__set(o->figures, "incident_first_exceedance_ms", json_integer(inc->first_exceedance_ms));
    expect__set(o->figures, "linked", json_boolean(first->linked));
    if (first->linked)
        expect__set(o->figures, "link_reason", json_string(first->link_reason));
    if (delay_s <= 0) {
        /* The incident was open before the exceedance (a person reported the release
         * upstream, or an earlier episode opened it): the exceedance had an incident at once.
         * The time it had been open is a figure of its own, not a negative delay. */
        expect__set(o->figures, "delay_s", json_real(0));
        expect__set(o->figures, "opened_before_s", json_real(-delay_s));
        o->pass = 1;
        if (first->linked)
            expect__sayf(o,
                         "reading at %s attached to incident %s (opened from the %s %.0f drill s "
                         "earlier)",
                         e->station_id, expect__s(inc->id),
                         strcmp(expect__s(inc->origin), "report") == 0 ? "report" : "reading",
                         -delay_s);
        else
            expect__sayf(o,
                         "the exceedance at %s was recorded on incident %s, open since %.0f drill "
                         "s before it (origin %s)",
                         e->station_id, expect__s(inc->id), -delay_s, expect__s(inc->origin));
        return 0;
    }
    expect__set(o->figures, "delay_s", json_real(delay_s));
    o->pass = delay_s <= e->within_s;
    expect__sayf(o,
                 "incident %s opened %.0f drill s after the first exceedance at %s (limit %.0f s)",
                 expect__s(inc->id), delay_s, e->station_id, e->within_s);
    return 0;
}

/* ---------------------------------------------------- one_incident_per_release */

static int expect__has_episode(const Hl__Incident *inc, const char *station)
{
    for (size_t i = 0; i < inc->n_episodes; i++)
        if (strcmp(expect__s(inc->episodes[i]->station_id), station) == 0)
            return 1;
    return 0;
}

/* 1 when id is the incident some report inject of the drill opened. */
static int expect__reported(const drill_facts *f, const char *id)
{
    for (size_t i = 0; i < f->n_injects; i++) {
        const drill_inject_result *r = &f->injects[i];
        if (r->inject && r->inject->kind == DRILL_INJECT_REPORT && r->rc == 0 && r->sent &&
            strcmp(r->incident_id, id) == 0)
            return 1;
    }
    return 0;
}

/* One reported release (report inject r, its incident inc): which exceedances below it went
 * where, which other incidents of its substance opened after it, which stations its
 * episodes lack. Writes the figures into j; returns the first problem in why ("" = none). */
static void expect__one_release(const drill_facts *f, const drill_inject_result *r,
                                const Hl__Incident *inc, json_t *j, char *why, size_t whylen)
{
    const drill_inject *rin = r->inject;
    int64_t release_ms = r->due_ms - (int64_t)llround((rin->at_s - rin->released_at_s) * 1000.0);
    json_t *attached = json_array(), *elsewhere = json_array(), *others = json_array(),
           *missing = json_array();
    expect__set(j, "incident_origin", json_string(expect__s(inc->origin)));
    expect__set(j, "parameter", json_string(expect__s(inc->parameter)));
    expect__set(j, "release_ms", json_integer(release_ms));
    expect__set(j, "attached_stations", attached);
    expect__set(j, "exceedances_elsewhere", elsewhere);
    expect__set(j, "other_incidents", others);
    expect__set(j, "episodes_missing", missing);
    for (size_t i = 0; i < f->n_injects; i++) {
        const drill_inject_result *q = &f->injects[i];
        const drill_inject *in = q->inject;
        if (!in || in->kind != DRILL_INJECT_READING || !q->sent || q->rc < 0 || !q->exceeded ||
            q->due_ms < release_ms)
            continue;
        /* Stations above the release point cannot see it (chainage from stations.yaml). */
        double km = f->cat ? drill_catalog_station_km(f->cat, in->station_id) : NAN;
        if (isfinite(km) && km < rin->chainage_km)
            continue;
        if (strcmp(q->incident_id, expect__s(inc->id)) == 0) {
            int seen = 0;
            for (size_t k = 0; k < json_array_size(attached) && !seen; k++)
                seen = strcmp(json_string_value(json_array_get(attached, k)), in->station_id) == 0;
            if (!seen) {
                json_array_append_new(attached, json_string(in->station_id));
                if (!expect__has_episode(inc, in->station_id)) {
                    json_array_append_new(missing, json_string(in->station_id));
                    if (!why[0])
                        snprintf(why, whylen, "incident %s lists no episode at %s",
                                 expect__s(inc->id), in->station_id);
                }
            }
            continue;
        }
        const Hl__Incident *qi = q->incident_id[0] ? expect__incident(f, q->incident_id) : NULL;
        if (qi && strcmp(expect__s(qi->parameter), expect__s(inc->parameter)) != 0)
            continue; /* another substance: another matter */
        json_t *x = json_object();
        expect__set(x, "station_id", json_string(in->station_id));
        expect__set(x, "at_ms", json_integer(q->due_ms));
        expect__set(x, "incident_id", json_string(q->incident_id));
        json_array_append_new(elsewhere, x);
        if (!why[0])
            snprintf(why, whylen, "the exceedance at %s at drill ms %lld went to %s, not to %s",
                     in->station_id, (long long)q->due_ms,
                     q->incident_id[0] ? q->incident_id : "no incident", expect__s(inc->id));
    }
    for (size_t i = 0; i < f->n_incidents; i++) {
        const Hl__Incident *c = f->incidents[i];
        if (c == inc || strcmp(expect__s(c->parameter), expect__s(inc->parameter)) != 0 ||
            c->opened_ms < release_ms || expect__reported(f, expect__s(c->id)))
            continue;
        json_array_append_new(others, json_string(expect__s(c->id)));
        if (!why[0])
            snprintf(why, whylen, "a second incident %s (%s at %s) opened for the release of %s",
                     expect__s(c->id), expect__s(c->origin), expect__s(c->station_id),
                     expect__s(inc->id));
    }
}

static int expect__one_per_release(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    (void)e;
    json_t *list = json_array();
    expect__set(o->figures, "releases", list);
    expect__set(o->figures, "incidents", json_integer((json_int_t)f->n_incidents));
    size_t releases = 0, failed = 0;
    char first_fail[512] = "", said[400] = "";
    for (size_t i = 0; i < f->n_injects; i++) {
        const drill_inject_result *r = &f->injects[i];
        if (!r->inject || r->inject->kind != DRILL_INJECT_REPORT || !r->sent || r->rc < 0 ||
            !r->incident_id[0])
            continue;
        releases++;
        json_t *j = json_object();
        json_array_append_new(list, j);
        expect__set(j, "report_id", json_string(r->inject->report_id));
        expect__set(j, "incident_id", json_string(r->incident_id));
        expect__set(j, "release_km", json_real(r->inject->chainage_km));
        char why[512] = "";
        const Hl__Incident *inc = expect__incident(f, r->incident_id);
        if (!inc)
            snprintf(why, sizeof why,
                     "incident %s of report %s is not among the alert service's incidents",
                     r->incident_id, r->inject->report_id);
        else
            expect__one_release(f, r, inc, j, why, sizeof why);
        expect__set(j, "pass", json_boolean(why[0] == '\0'));
        if (why[0]) {
            expect__set(j, "why", json_string(why));
            if (!failed++)
                snprintf(first_fail, sizeof first_fail, "%s", why);
        } else if (!said[0]) {
            /* The first release in words: its incident and the stations attached to it. */
            const json_t *st = json_object_get(j, "attached_stations");
            size_t n = json_array_size(st);
            int used = snprintf(said, sizeof said, "%s (origin %s) holds %s", expect__s(inc->id),
                                expect__s(inc->origin),
                                n ? "the exceedances at" : "no exceedance below the release");
            for (size_t k = 0; k < n && used > 0 && (size_t)used < sizeof said; k++)
                used += snprintf(said + used, sizeof said - (size_t)used, "%s %s", k ? "," : "",
                                 json_string_value(json_array_get(st, k)));
        }
    }
    o->pass = releases > 0 && failed == 0;
    if (releases == 0)
        expect__sayf(o, "no release was reported, so there is nothing to hold to one incident");
    else if (failed)
        expect__sayf(o, "%s", first_fail);
    else
        expect__sayf(o, "%zu reported release%s, one incident each: %s", releases,
                     releases == 1 ? "" : "s", said);
    return 0;
}

/* ------------------------------------------------------ intercept_before_front */

static const Hl__ForecastPoint *expect__point(const Hl__Plan *p, const char *id)
{
    for (size_t i = 0; i < p->n_points; i++)
        if (strcmp(expect__s(p->points[i]->point_id), id) == 0)
            return p->points[i];
    return NULL;
}

/* The first space downstream of the release that the forecast says can be ready in time and
 * can hold the polluted water passing above the limit (ForecastPoint.holds; true when the
 * volume is unknown, so not checked). */
static const Hl__ForecastPoint *expect__first_reachable(const Hl__Plan *p)
{
    const Hl__ForecastPoint *best = NULL;
    for (size_t i = 0; i < p->n_points; i++) {
        const Hl__ForecastPoint *pt = p->points[i];
        if (strcmp(expect__s(pt->kind), "space") != 0 || !pt->ready_in_time || !pt->holds ||
            pt->chainage_km < p->release_chainage_km)
            continue;
        if (!best || pt->chainage_km < best->chainage_km)
            best = pt;
    }
    return best;
}

static int expect__intercept(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    json_t *plans = json_array();
    expect__set(o->figures, "plans", plans);
    expect__set(o->figures, "margin_s", json_real(e->margin_s));
    if (f->n_plans == 0) {
        o->pass = 0;
        expect__sayf(o, "no plan was activated, so nothing was intercepted");
        return 0;
    }
    int all = 1;
    char first_fail[512] = "";
    for (size_t i = 0; i < f->n_plans; i++) {
        const Hl__Plan *p = f->plans[i];
        json_t *j = json_object();
        json_array_append_new(plans, j);
        const char *chosen = expect__s(p->chosen_space_id);
        const Hl__ForecastPoint *reach = expect__first_reachable(p);
        expect__set(j, "plan_id", json_string(expect__s(p->id)));
        expect__set(j, "chosen_space_id", json_string(chosen));
        expect__set(j, "first_reachable_space_id",
                    json_string(reach ? expect__s(reach->point_id) : ""));
        char why[512] = "";
        const char *want = e->space_id[0] ? e->space_id : (reach ? reach->point_id : "");
        const Hl__ForecastPoint *pt = chosen[0] ? expect__point(p, chosen) : NULL;
        const Hl__Task *task = NULL;
        for (size_t k = 0; chosen[0] && k < f->n_tasks; k++) {
            const Hl__Task *t = f->tasks[k];
            if (strcmp(expect__s(t->kind), "intercept") == 0 &&
                strcmp(expect__s(t->target_id), chosen) == 0 &&
                strcmp(expect__s(t->incident_id), expect__s(p->incident_id)) == 0)
                task = t;
        }
        if (!chosen[0])
            snprintf(why, sizeof why, "plan %s chose no space (%s)", expect__s(p->id),
                     expect__s(p->fallback));
        else if (!want[0] || strcmp(chosen, want) != 0)
            snprintf(why, sizeof why,
                     "plan %s chose %s, the first reachable space (ready in time, holds the "
                     "plume) is %s",
                     expect__s(p->id), chosen, want[0] ? want : "none");
        else if (!pt)
            snprintf(why, sizeof why, "plan %s has no forecast at its chosen space %s",
                     expect__s(p->id), chosen);
        else if (!task)
            snprintf(why, sizeof why, "no intercept task at %s for incident %s", chosen,
                     expect__s(p->incident_id));
        else if (task->delivered_ms <= 0)
            snprintf(why, sizeof why, "intercept task %s at %s was never delivered",
                     expect__s(task->id), chosen);
        else if (pt->front_ms > 0 &&
                 (double)task->delivered_ms + e->margin_s * 1000.0 > (double)pt->front_ms)
            snprintf(why, sizeof why,
                     "intercept task %s reached %s %.0f drill s before the "
                     "front, %.0f s required",
                     expect__s(task->id), expect__s(task->unit_id),
                     (double)(pt->front_ms - task->delivered_ms) / 1000.0, e->margin_s);
        if (pt) {
            expect__set(j, "front_ms", json_integer(pt->front_ms));
            expect__set(j, "travel_s", json_real(pt->travel_s));
        }
        if (task) {
            expect__set(j, "task_id", json_string(expect__s(task->id)));
            expect__set(j, "unit_id", json_string(expect__s(task->unit_id)));
            expect__set(j, "created_ms", json_integer(task->created_ms));
            expect__set(j, "delivered_ms", json_integer(task->delivered_ms));
            if (pt && pt->front_ms > 0)
                expect__set(j, "lead_s",
                            json_real((double)(pt->front_ms - task->delivered_ms) / 1000.0));
        }
        expect__set(j, "pass", json_boolean(why[0] == '\0'));
        if (why[0]) {
            expect__set(j, "why", json_string(why));
            if (all)
                snprintf(first_fail, sizeof first_fail, "%s", why);
            all = 0;
        }
    }
    o->pass = all;
    if (all)
        expect__sayf(o,
                     "every plan's intercept task reached its unit before the forecast front "
                     "(%zu plan%s)",
                     f->n_plans, f->n_plans == 1 ? "" : "s");
    else
        expect__sayf(o, "%s", first_fail);
    return 0;
}

/* ------------------------------------------------------ receptor_owners_tasked */

static int expect__receptors(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    (void)e;
    json_t *list = json_array();
    expect__set(o->figures, "receptors", list);
    size_t checked = 0, missing = 0;
    char first_fail[512] = "";
    for (size_t i = 0; i < f->n_plans; i++) {
        const Hl__Plan *p = f->plans[i];
        for (size_t k = 0; k < p->n_points; k++) {
            const Hl__ForecastPoint *pt = p->points[k];
            if (strcmp(expect__s(pt->kind), "receptor") != 0 || !pt->threatened)
                continue;
            const drill_receptor *rc = expect__receptor(f, expect__s(pt->point_id));
            json_t *j = json_object();
            json_array_append_new(list, j);
            expect__set(j, "plan_id", json_string(expect__s(p->id)));
            expect__set(j, "receptor_id", json_string(expect__s(pt->point_id)));
            expect__set(j, "front_ms", json_integer(pt->front_ms));
            if (!rc) {
                expect__set(j, "why", json_string("not in the plan's receptors.yaml"));
                expect__set(j, "pass", json_false());
                if (!missing++)
                    snprintf(first_fail, sizeof first_fail,
                             "threatened receptor %s is not in the plan's receptors.yaml",
                             expect__s(pt->point_id));
                continue;
            }
            expect__set(j, "drinking_source", json_boolean(rc->drinking_source));
            expect__set(j, "owner_unit_id", json_string(rc->unit_id));
            if (!rc->drinking_source)
                continue;
            checked++;
            json_t *tasks = json_array();
            expect__set(j, "tasks", tasks);
            for (size_t t = 0; t < f->n_tasks; t++) {
                const Hl__Task *tk = f->tasks[t];
                if (strcmp(expect__s(tk->target_id), rc->id) == 0 &&
                    strcmp(expect__s(tk->unit_id), rc->unit_id) == 0 &&
                    strcmp(expect__s(tk->incident_id), expect__s(p->incident_id)) == 0) {
                    json_t *tj = json_object();
                    expect__set(tj, "task_id", json_string(expect__s(tk->id)));
                    expect__set(tj, "kind", json_string(expect__s(tk->kind)));
                    json_array_append_new(tasks, tj);
                }
            }
            int ok = json_array_size(tasks) > 0;
            expect__set(j, "pass", json_boolean(ok));
            if (!ok && !missing++)
                snprintf(first_fail, sizeof first_fail,
                         "owner %s of threatened drinking-water source %s (%s) has no task",
                         rc->unit_id, rc->id, rc->name);
        }
    }
    expect__set(o->figures, "drinking_water_receptors_threatened",
                json_integer((json_int_t)checked));
    o->pass = missing == 0;
    if (missing)
        expect__sayf(o, "%s", first_fail);
    else if (checked == 0)
        expect__sayf(o, "no drinking-water receptor was forecast to be threatened, so no owner "
                        "needed a task");
    else
        expect__sayf(o, "all %zu threatened drinking-water receptor%s' owners have a task", checked,
                     checked == 1 ? "" : "s");
    return 0;
}

/* ------------------------------------------------------ counterpart_notified */

static int expect__counterpart(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    json_t *list = json_array();
    expect__set(o->figures, "incidents", list);
    size_t planned = 0, failed = 0;
    char first_fail[512] = "";
    for (size_t i = 0; i < f->n_incidents; i++) {
        const Hl__Incident *inc = f->incidents[i];
        int has_plan = 0;
        for (size_t p = 0; p < f->n_plans; p++)
            if (strcmp(expect__s(f->plans[p]->incident_id), expect__s(inc->id)) == 0)
                has_plan = 1;
        if (!has_plan)
            continue; /* nothing was decided for it, so nobody was to be notified */
        planned++;
        const char *jur = expect__s(inc->jurisdiction);
        const char *want = e->side[0]                  ? e->side
                           : strcmp(jur, "corps") == 0 ? "local"
                           : strcmp(jur, "local") == 0 ? "corps"
                                                       : "";
        json_t *j = json_object();
        json_array_append_new(list, j);
        expect__set(j, "incident_id", json_string(expect__s(inc->id)));
        expect__set(j, "jurisdiction", json_string(jur));
        expect__set(j, "counterpart_side", json_string(want));
        json_t *notified = json_array();
        expect__set(j, "notified", notified);
        int ok = 0;
        for (size_t t = 0; t < f->n_tasks; t++) {
            const Hl__Task *tk = f->tasks[t];
            if (strcmp(expect__s(tk->kind), "notify_counterpart") != 0 ||
                strcmp(expect__s(tk->incident_id), expect__s(inc->id)) != 0)
                continue;
            const char *side = drill_facts_unit_side(f, expect__s(tk->unit_id));
            json_t *nj = json_object();
            expect__set(nj, "task_id", json_string(expect__s(tk->id)));
            expect__set(nj, "unit_id", json_string(expect__s(tk->unit_id)));
            expect__set(nj, "side", json_string(side));
            json_array_append_new(notified, nj);
            if (want[0] && strcmp(side, want) == 0)
                ok = 1;
        }
        expect__set(j, "pass", json_boolean(ok));
        if (!ok && !failed++)
            snprintf(first_fail, sizeof first_fail,
                     "incident %s (%s side) has no notify_counterpart task to a %s unit",
                     expect__s(inc->id), jur[0] ? jur : "unknown", want[0] ? want : "counterpart");
    }
    o->pass = planned > 0 && failed == 0;
    if (planned == 0)
        expect__sayf(o, "no incident was planned for, so no counterpart was notified");
    else if (failed)
        expect__sayf(o, "%s", first_fail);
    else
        expect__sayf(o, "the counterpart side was notified for all %zu planned incident%s", planned,
                     planned == 1 ? "" : "s");
    return 0;
}

/* ------------------------------------------------------ all_acknowledged */

static int expect__acked(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    size_t acked = 0, late = 0, withdrawn = 0;
    double max_lat = -1;
    json_t *open = json_array();
    for (size_t i = 0; i < f->n_tasks; i++) {
        const Hl__Task *t = f->tasks[i];
        double lat = drill_task_ack_latency_s(t);
        /* A task the playbook withdrew (re-anchored plan) before anyone acknowledged it is
         * owed no acknowledgement; one acknowledged and then withdrawn still counts. */
        if (lat < 0 && strcmp(expect__s(t->state), "withdrawn") == 0) {
            withdrawn++;
            continue;
        }
        if (lat < 0) {
            json_t *j = json_object();
            expect__set(j, "task_id", json_string(expect__s(t->id)));
            expect__set(j, "unit_id", json_string(expect__s(t->unit_id)));
            expect__set(j, "state", json_string(expect__s(t->state)));
            json_array_append_new(open, j);
            continue;
        }
        acked++;
        if (lat > max_lat)
            max_lat = lat;
        if (e->within_s > 0 && lat > e->within_s)
            late++;
    }
    expect__set(o->figures, "tasks", json_integer((json_int_t)f->n_tasks));
    expect__set(o->figures, "acknowledged", json_integer((json_int_t)acked));
    expect__set(o->figures, "max_ack_latency_s", json_real(max_lat));
    expect__set(o->figures, "within_s", json_real(e->within_s));
    expect__set(o->figures, "late", json_integer((json_int_t)late));
    expect__set(o->figures, "withdrawn_unacknowledged", json_integer((json_int_t)withdrawn));
    expect__set(o->figures, "not_acknowledged", open);
    size_t owed = f->n_tasks - withdrawn;
    o->pass = owed > 0 && acked == owed && late == 0;
    if (owed == 0)
        expect__sayf(o, "no task was created (or all were withdrawn), so none could be "
                        "acknowledged");
    else if (acked < owed)
        expect__sayf(o, "%zu of %zu tasks acknowledged", acked, owed);
    else if (late)
        expect__sayf(o, "all %zu tasks acknowledged, %zu later than %.0f drill s", owed, late,
                     e->within_s);
    else
        expect__sayf(o, "all %zu tasks acknowledged, the slowest after %.0f drill s%s", owed,
                     max_lat, withdrawn ? " (withdrawn tasks not counted)" : "");
    return 0;
}

/* ------------------------------------------------------ materials_covered */

static double expect__sum_lines(const Hl__Reservation *r, const char *mat)
{
    double q = 0;
    for (size_t i = 0; i < r->n_lines; i++)
        if (strcmp(expect__s(r->lines[i]->material_id), mat) == 0)
            q += r->lines[i]->quantity;
    return q;
}

static double expect__sum_short(const Hl__Reservation *r, const char *mat)
{
    double q = 0;
    for (size_t i = 0; i < r->n_shortfall; i++)
        if (strcmp(expect__s(r->shortfall[i]->material_id), mat) == 0)
            q += r->shortfall[i]->quantity;
    return q;
}

static int expect__materials(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    (void)e;
    json_t *list = json_array();
    expect__set(o->figures, "reservations", list);
    size_t bad = 0, shortfalls = 0;
    char first_fail[512] = "";
    for (size_t i = 0; i < f->n_reservations; i++) {
        const Hl__Reservation *r = f->reservations[i];
        json_t *j = json_object();
        json_array_append_new(list, j);
        expect__set(j, "reservation_id", json_string(expect__s(r->id)));
        expect__set(j, "state", json_string(expect__s(r->state)));
        json_t *mats = json_array();
        expect__set(j, "materials", mats);
        if (r->n_needs == 0 && !bad++)
            snprintf(first_fail, sizeof first_fail, "reservation %s lists no needs",
                     expect__s(r->id));
        for (size_t k = 0; k < r->n_needs; k++) {
            const Hl__MaterialNeed *n = r->needs[k];
            const char *mat = expect__s(n->material_id);
            double got = expect__sum_lines(r, mat), sh = expect__sum_short(r, mat);
            /* Covered means: what was reserved plus what was declared missing adds up to the
             * need; a shortfall that is reported is an honest answer, a silent gap is not.
             * Quantities are counts or masses from data: a millionth is rounding, not a gap. */
            int ok = got + sh + 1e-6 * fmax(1.0, n->quantity) >= n->quantity;
            json_t *mj = json_object();
            expect__set(mj, "material_id", json_string(mat));
            expect__set(mj, "need", json_real(n->quantity));
            expect__set(mj, "unit", json_string(expect__s(n->unit)));
            expect__set(mj, "reserved", json_real(got));
            expect__set(mj, "shortfall", json_real(sh));
            expect__set(mj, "pass", json_boolean(ok));
            json_array_append_new(mats, mj);
            if (sh > 0)
                shortfalls++;
            if (!ok && !bad++)
                snprintf(first_fail, sizeof first_fail,
                         "reservation %s: %s needs %g %s, %g reserved and %g reported short",
                         expect__s(r->id), mat, n->quantity, expect__s(n->unit), got, sh);
        }
    }
    expect__set(o->figures, "materials_short", json_integer((json_int_t)shortfalls));
    o->pass = f->n_reservations > 0 && bad == 0;
    if (f->n_reservations == 0)
        expect__sayf(o, "no reservation was made");
    else if (bad)
        expect__sayf(o, "%s", first_fail);
    else if (shortfalls)
        expect__sayf(o, "needs covered by %zu reservation%s; %zu material%s reported short",
                     f->n_reservations, f->n_reservations == 1 ? "" : "s", shortfalls,
                     shortfalls == 1 ? "" : "s");
    else
        expect__sayf(o, "every material need is covered by %zu reservation%s", f->n_reservations,
                     f->n_reservations == 1 ? "" : "s");
    return 0;
}

/* ------------------------------------------------------ delivered_once */

static int expect__exported(const drill_facts *f, const char *unit)
{
    for (size_t i = 0; i < f->n_exported_units; i++)
        if (strcmp(f->exported_units[i], unit) == 0)
            return 1;
    return 0;
}

static int expect__once(const drill_expect *e, const drill_facts *f, drill_outcome *o)
{
    (void)e;
    size_t once = 0, lost = 0, twice = 0, stray = 0, no_agent = 0;
    json_t *problems = json_array();
    expect__set(o->figures, "problems", problems);
    for (size_t i = 0; i < f->n_tasks; i++) {
        const Hl__Task *t = f->tasks[i];
        const char *unit = expect__s(t->unit_id);
        unsigned shown = 0;
        for (size_t k = 0; k < f->n_shown; k++)
            if (strcmp(f->shown[k].task_id, expect__s(t->id)) == 0 &&
                strcmp(f->shown[k].unit_id, unit) == 0)
                shown += f->shown[k].shown_count;
        const char *what = NULL;
        if (!expect__exported(f, unit)) {
            what = "no partner export for its unit";
            no_agent++;
        } else if (shown == 0) {
            what = "never shown to its unit (lost)";
            lost++;
        } else if (shown > 1) {
            what = "shown more than once";
            twice++;
        } else {
            once++;
        }
        if (what) {
            json_t *j = json_object();
            expect__set(j, "task_id", json_string(expect__s(t->id)));
            expect__set(j, "unit_id", json_string(unit));
            expect__set(j, "shown_count", json_integer(shown));
            expect__set(j, "problem", json_string(what));
            json_array_append_new(problems, j);
        }
    }
    /* A task a partner shows that dispatch does not know was invented or misrouted. */
    for (size_t k = 0; k < f->n_shown; k++) {
        int known = 0;
        for (size_t i = 0; i < f->n_tasks && !known; i++)
            known = strcmp(expect__s(f->tasks[i]->id), f->shown[k].task_id) == 0 &&
                    strcmp(expect__s(f->tasks[i]->unit_id), f->shown[k].unit_id) == 0;
        if (known)
            continue;
        stray++;
        json_t *j = json_object();
        expect__set(j, "task_id", json_string(f->shown[k].task_id));
        expect__set(j, "unit_id", json_string(f->shown[k].unit_id));
        expect__set(j, "shown_count", json_integer(f->shown[k].shown_count));
        expect__set(j, "problem", json_string("shown by a partner but unknown to dispatch"));
        json_array_append_new(problems, j);
    }
    expect__set(o->figures, "tasks", json_integer((json_int_t)f->n_tasks));
    expect__set(o->figures, "shown_once", json_integer((json_int_t)once));
    expect__set(o->figures, "lost", json_integer((json_int_t)lost));
    expect__set(o->figures, "shown_twice_or_more", json_integer((json_int_t)twice));
    expect__set(o->figures, "unknown_to_dispatch", json_integer((json_int_t)stray));
    expect__set(o->figures, "without_export", json_integer((json_int_t)no_agent));
    o->pass = f->n_tasks > 0 && once == f->n_tasks && stray == 0;
    if (f->n_tasks == 0)
        expect__sayf(o, "no task was created, so none was delivered");
    else if (o->pass)
        expect__sayf(o, "each of %zu tasks was shown exactly once to its unit", f->n_tasks);
    else
        expect__sayf(o,
                     "%zu of %zu tasks shown once: %zu lost, %zu shown twice or more, %zu "
                     "unknown to dispatch, %zu without a partner export",
                     once, f->n_tasks, lost, twice, stray, no_agent);
    return 0;
}

/* ------------------------------------------------------ dispatch */

int drill_expect_eval(const drill_expect *e, const drill_facts *f, drill_outcome *out)
{
    memset(out, 0, sizeof *out);
    out->expect = e;
    out->figures = json_object();
    if (!out->figures)
        return HL_ENOMEM;
    int rc;
    switch (e->kind) {
    case DRILL_EXPECT_INCIDENT_OPENED:
        rc = expect__incident_opened(e, f, out);
        break;
    case DRILL_EXPECT_INTERCEPT_BEFORE_FRONT:
        rc = expect__intercept(e, f, out);
        break;
    case DRILL_EXPECT_RECEPTOR_OWNERS_TASKED:
        rc = expect__receptors(e, f, out);
        break;
    case DRILL_EXPECT_COUNTERPART_NOTIFIED:
        rc = expect__counterpart(e, f, out);
        break;
    case DRILL_EXPECT_ALL_ACKNOWLEDGED:
        rc = expect__acked(e, f, out);
        break;
    case DRILL_EXPECT_MATERIALS_COVERED:
        rc = expect__materials(e, f, out);
        break;
    case DRILL_EXPECT_DELIVERED_ONCE:
        rc = expect__once(e, f, out);
        break;
    case DRILL_EXPECT_ONE_INCIDENT_PER_RELEASE:
        rc = expect__one_per_release(e, f, out);
        break;
    default:
        drill_outcome_clear(out);
        return HL_EINVAL;
    }
    return rc;
}

void drill_outcome_clear(drill_outcome *o)
{
    if (!o)
        return;
    json_decref(o->figures);
    o->figures = NULL;
    o->pass = 0;
}
