/* pb_msg.c — see pb_msg.h. */
#include "pb_msg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

static int fail(char field[PB_FIELD_MAX], char why[PB_WHY_MAX], int code, const char *f,
                const char *w)
{
    snprintf(field, PB_FIELD_MAX, "%s", f);
    snprintf(why, PB_WHY_MAX, "%s", w);
    return code;
}

static int num_ok(double x, double lo, double hi)
{
    return isfinite(x) && x >= lo && x <= hi;
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int pb_msg_input(const Hl__PlanTrigger *t, const hl_network *net, const hl_plan_rules *rules,
                 const char *season_cfg, int64_t now_ms, unsigned revision, hl_plan_input *in,
                 char field[PB_FIELD_MAX], char why[PB_WHY_MAX])
{
    char w[PB_WHY_MAX];
    memset(in, 0, sizeof *in);
    field[0] = why[0] = 0;
    const Hl__Alert *a = t ? t->alert : NULL;
    if (!a)
        return fail(field, why, HL_EINVAL, "trigger.alert", "the PlanTrigger carries no alert");
    if (hl_id_check(a->incident_id) < 0)
        return fail(field, why, HL_EINVAL, "alert.incident_id",
                    "incident_id is empty or not an id (1..64 of A-Za-z0-9._:-)");
    if (a->id && a->id[0] && hl_id_check(a->id) < 0)
        return fail(field, why, HL_EINVAL, "alert.id", "id is not an id");
    if (hl_str_check(a->parameter, HL_NET_ID_MAX, 1) < 0)
        return fail(field, why, HL_EINVAL, "alert.parameter",
                    "parameter (the substance) is missing, longer than 64 bytes or not UTF-8");
    if (a->source_id && a->source_id[0] && hl_id_check(a->source_id) < 0)
        return fail(field, why, HL_EINVAL, "alert.source_id", "source_id is not an id");
    const char *jur = a->jurisdiction ? a->jurisdiction : "";
    if (jur[0] && strcmp(jur, "corps") != 0 && strcmp(jur, "local") != 0)
        return fail(field, why, HL_EINVAL, "alert.jurisdiction",
                    "jurisdiction is neither corps nor local");
    if (!num_ok(a->mass_kg, 0, PB_MAX_MASS_KG))
        return fail(field, why, HL_EINVAL, "alert.mass_kg", "mass_kg is negative, too large or not a number");
    if (!num_ok(a->duration_s, 0, PB_MAX_DURATION_S))
        return fail(field, why, HL_EINVAL, "alert.duration_s",
                    "duration_s is negative, longer than 30 days or not a number");
    if (!num_ok(a->value_mg_l, 0, 1e9))
        return fail(field, why, HL_EINVAL, "alert.value_mg_l", "value_mg_l is negative or not a number");
    if (!num_ok(a->limit_mg_l, 0, 1e9))
        return fail(field, why, HL_EINVAL, "alert.limit_mg_l", "limit_mg_l is negative or not a number");
    if (a->release_ms < 0 || a->raised_ms < 0)
        return fail(field, why, HL_EINVAL, "alert.release_ms", "times must be Unix ms");

    copy(in->incident_id, sizeof in->incident_id, a->incident_id);
    hl_plan_id(in->incident_id, revision, in->plan_id);
    copy(in->parameter, sizeof in->parameter, a->parameter);
    copy(in->source_id, sizeof in->source_id, a->source_id);
    copy(in->incident_side, sizeof in->incident_side, jur);

    hl_forecast_req *q = &in->fc;
    const hl_station *st = NULL;
    if (a->station_id && a->station_id[0]) {
        if (!(st = hl_network_station(net, a->station_id))) {
            snprintf(w, sizeof w, "station '%.64s' is not a monitoring station of the plan",
                     a->station_id);
            return fail(field, why, HL_ENOTFOUND, "alert.station_id", w);
        }
    }
    q->start_ms = a->release_ms > 0 ? a->release_ms : a->raised_ms > 0 ? a->raised_ms : now_ms;
    q->limit_mg_l = a->limit_mg_l;
    if (st && !a->reported) {
        /* Readings only: the first exceedance at the station is what is known for sure. */
        q->anchor = HL_ANCHOR_OBSERVED;
        copy(q->station_id, sizeof q->station_id, st->id);
        q->chainage_km = st->chainage_km;
        q->observed_mg_l = a->value_mg_l;
    } else {
        q->anchor = HL_ANCHOR_RELEASE;
        q->chainage_km = a->release_chainage_km;
        if (st && a->release_chainage_km == 0 && !(a->source_id && a->source_id[0]))
            q->chainage_km = st->chainage_km;
        q->mass_kg = a->mass_kg;
        q->duration_s = a->duration_s;
        if (!num_ok(q->chainage_km, 0, HL_NET_MAX_KM) || !hl_network_reach_at(net, q->chainage_km)) {
            snprintf(w, sizeof w, "release chainage %g km is outside the plan's reaches",
                     q->chainage_km);
            return fail(field, why, HL_ENOTFOUND, "alert.release_chainage_km", w);
        }
    }
    if (season_cfg && season_cfg[0]) {
        if (hl_season_parse(season_cfg, &q->season) < 0)
            return fail(field, why, HL_EINVAL, "config.season",
                        "season is not spring, summer, autumn or winter");
    } else {
        q->season = hl_season_of_ms(now_ms);
    }
    q->horizon_h = rules->horizon_h;
    q->now_ms = now_ms;
    return 0;
}

int pb_msg_observation(const Hl__Alert *a, const hl_network *net, int64_t fallback_ms,
                       hl_observation *out)
{
    memset(out, 0, sizeof *out);
    if (!a || a->reported || !a->station_id || !a->station_id[0] ||
        !hl_network_station(net, a->station_id) || !num_ok(a->value_mg_l, 1e-12, 1e9))
        return 0;
    copy(out->station_id, sizeof out->station_id, a->station_id);
    out->value_mg_l = a->value_mg_l;
    out->at_ms = a->measured_ms > 0 ? a->measured_ms : a->raised_ms > 0 ? a->raised_ms : fallback_ms;
    return 1;
}

const char *pb_msg_task_level(const Hl__Alert *a)
{
    static const char *const grades[] = {"I", "II", "III", "IV", NULL};
    static const char *const colours[] = {"蓝", "黄", "橙", "红", NULL};
    for (size_t i = 0; a && a->grade && grades[i]; i++)
        if (strcmp(a->grade, grades[i]) == 0)
            return a->grade;
    for (size_t i = 0; a && a->warning_level && colours[i]; i++)
        if (strcmp(a->warning_level, colours[i]) == 0)
            return a->warning_level;
    return "";
}

int pb_msg_add_observations(hl_forecast_req *q, Hl__Observation *const *obs, size_t n)
{
    if (q->n_obs + n > HL_FORECAST_MAX_OBS)
        return HL_ETOOBIG;
    for (size_t i = 0; i < n; i++) {
        hl_observation *o = &q->obs[q->n_obs++];
        copy(o->station_id, sizeof o->station_id, obs[i]->station_id);
        o->value_mg_l = obs[i]->value_mg_l;
        o->at_ms = obs[i]->at_ms;
    }
    return 0;
}

/* ---- Plan ---- */

/* MaterialNeed messages pointing at the plan's needs (arrays owned by the caller). */
static int needs_init(const hl_plan *p, Hl__MaterialNeed **needs, Hl__MaterialNeed ***pneeds)
{
    size_t n = p->n_needs ? p->n_needs : 1;
    *needs = calloc(n, sizeof **needs);
    *pneeds = calloc(n, sizeof **pneeds);
    if (!*needs || !*pneeds)
        return HL_ENOMEM;
    for (size_t i = 0; i < p->n_needs; i++) {
        Hl__MaterialNeed *x = &(*needs)[i];
        hl__material_need__init(x);
        x->material_id = (char *)p->needs[i].material_id;
        x->quantity = p->needs[i].quantity;
        x->unit = (char *)p->needs[i].unit;
        (*pneeds)[i] = x;
    }
    return 0;
}

static void geo(Hl__GeoPoint *g, const hl_location *loc)
{
    hl__geo_point__init(g);
    g->lat = loc->lat;
    g->lon = loc->lon;
    g->confidence = (char *)loc->confidence;
}

static void point_meta(const hl_network *net, const hl_forecast_point *fp, const char **jur,
                       const char **unit, double *setup_h, const hl_location **loc)
{
    *setup_h = 0;
    switch (fp->kind) {
    case HL_POINT_SPACE: {
        const hl_space *s = &net->spaces[fp->index];
        *jur = s->jurisdiction, *unit = s->unit_id, *setup_h = s->setup_h, *loc = &s->location;
        return;
    }
    case HL_POINT_SECTION: {
        const hl_station *s = &net->stations[fp->index];
        *jur = s->jurisdiction, *unit = s->unit_id, *loc = &s->location;
        return;
    }
    case HL_POINT_RECEPTOR: {
        const hl_receptor *r = &net->receptors[fp->index];
        *jur = r->jurisdiction, *unit = r->unit_id, *loc = &r->location;
        return;
    }
    }
}

int pb_plan_msg_init(pb_plan_msg *m, const hl_plan *p, const hl_network *net,
                     const hl_plan_input *in, const Hl__Alert *a, unsigned revision,
                     int64_t created_ms)
{
    const hl_forecast *f = p->forecast;
    memset(m, 0, sizeof *m);
    hl__plan__init(&m->plan);
    size_t np = f->n_points ? f->n_points : 1, nt = p->n_tasks ? p->n_tasks : 1;
    m->pts = calloc(np, sizeof *m->pts);
    m->ppts = calloc(np, sizeof *m->ppts);
    m->locs = calloc(np, sizeof *m->locs);
    m->task_ids = calloc(nt, sizeof *m->task_ids);
    size_t nr = f->n_reanchors ? f->n_reanchors : 1;
    m->re = calloc(nr, sizeof *m->re);
    m->pre = calloc(nr, sizeof *m->pre);
    if (!m->pts || !m->ppts || !m->locs || !m->task_ids || !m->re || !m->pre ||
        needs_init(p, &m->needs, &m->pneeds) < 0) {
        pb_plan_msg_free(m);
        return HL_ENOMEM;
    }
    Hl__Plan *pl = &m->plan;
    pl->id = (char *)in->plan_id;
    pl->incident_id = (char *)in->incident_id;
    pl->alert_id = a && a->id ? a->id : (char *)"";
    pl->created_ms = created_ms;
    pl->season = (char *)hl_season_name(f->season);
    pl->velocities_unverified = f->velocities_unverified;
    if (p->space) {
        pl->chosen_space_id = (char *)p->space->id;
        pl->chosen_space_name = (char *)p->space->name;
    }
    pl->space_ready_in_time = p->space_ready_in_time;
    pl->fallback = (char *)p->fallback;
    for (size_t i = 0; i < f->n_points; i++) {
        const hl_forecast_point *fp = &f->points[i];
        Hl__ForecastPoint *x = &m->pts[i];
        const char *jur = "", *unit = "";
        const hl_location *loc = NULL;
        hl__forecast_point__init(x);
        x->point_id = (char *)fp->id;
        x->kind = (char *)hl_point_kind_name(fp->kind);
        x->name = (char *)fp->name;
        x->chainage_km = fp->chainage_km;
        x->front_ms = fp->front_ms;
        x->peak_ms = fp->peak_ms;
        x->peak_mg_l = fp->peak_mg_l;
        x->clear_ms = fp->clear_ms;
        x->travel_s = fp->travel_s;
        x->ready_in_time = fp->ready_in_time;
        x->threatened = fp->threatened;
        x->arrival_ms = fp->arrival_ms;
        x->within_horizon = fp->within_horizon;
        point_meta(net, fp, &jur, &unit, &x->setup_h, &loc);
        x->jurisdiction = (char *)jur;
        x->unit_id = (char *)unit;
        x->concentration_known = fp->concentration_known;
        x->open_ended = fp->open_ended;
        x->sigma_s = fp->sigma_s;
        x->discharge_m3_s = fp->discharge_m3_s;
        x->volume_m3 = fp->volume_m3;
        if (fp->kind == HL_POINT_SPACE) {
            x->capacity_m3 = net->spaces[fp->index].capacity_m3;
            x->holds = !(fp->volume_m3 > 0) || x->capacity_m3 >= fp->volume_m3;
        }
        x->reanchored_by =
            fp->reanchor ? (char *)f->reanchors[fp->reanchor - 1].station_id : (char *)"";
        if (loc && loc->has_coords) {
            geo(&m->locs[i], loc);
            x->location = &m->locs[i];
        }
        m->ppts[i] = x;
    }
    pl->n_points = f->n_points;
    pl->points = m->ppts;
    for (size_t i = 0; i < f->n_reanchors; i++) {
        const hl_reanchor *r = &f->reanchors[i];
        Hl__Reanchor *x = &m->re[i];
        hl__reanchor__init(x);
        x->station_id = (char *)r->station_id;
        x->chainage_km = r->chainage_km;
        x->observed_mg_l = r->observed_mg_l;
        x->observed_ms = r->observed_ms;
        x->model_mg_l = r->model_mg_l;
        x->model_ms = r->model_ms;
        x->peak_seen = r->peak_seen;
        x->scale = r->scale;
        x->shift_s = r->shift_s;
        x->applied = r->applied;
        x->note = (char *)r->note;
        m->pre[i] = x;
    }
    pl->n_reanchors = f->n_reanchors;
    pl->reanchors = m->pre;
    for (size_t i = 0; i < p->n_tasks; i++)
        m->task_ids[i] = (char *)p->tasks[i].id;
    pl->n_task_ids = p->n_tasks;
    pl->task_ids = m->task_ids;
    pl->parameter = (char *)in->parameter;
    pl->release_chainage_km = in->fc.anchor == HL_ANCHOR_RELEASE
                                  ? in->fc.chainage_km
                                  : (a ? a->release_chainage_km : 0);
    pl->release_ms = in->fc.start_ms;
    pl->revision = revision;
    pl->anchor = in->fc.anchor == HL_ANCHOR_OBSERVED ? "observed" : "release";
    pl->anchor_station_id = (char *)in->fc.station_id;
    pl->horizon_h = in->fc.horizon_h;
    pl->method = (char *)f->method;
    pl->plug_mg_l = f->plug_mg_l;
    pl->substance_group = (char *)p->group;
    pl->needed_volume_m3 = p->needed_volume_m3;
    pl->n_needs = p->n_needs;
    pl->needs = m->pneeds;
    if (p->near) {
        geo(&m->near, p->near);
        pl->near = &m->near;
        pl->near_id = (char *)p->near_id;
    }
    pl->reservation_state = p->n_needs ? "requested" : "none";
    pl->tasks_state = p->n_tasks ? "queued" : "none";
    pl->limit_mg_l = in->fc.limit_mg_l;
    pl->source = f->source == HL_SRC_SLUG ? "slug" : f->source == HL_SRC_PULSE ? "pulse" : "steps";
    pl->mass_kg = in->fc.anchor == HL_ANCHOR_RELEASE ? in->fc.mass_kg : 0;
    pl->duration_s = in->fc.anchor == HL_ANCHOR_RELEASE ? in->fc.duration_s : 0;
    pl->dispersion_unverified = f->dispersion_unverified;
    pl->volume_unknown = p->volume_unknown;
    pl->spaces_passed_over = (char *)p->passed_over;
    snprintf(m->caveats, sizeof m->caveats, "%s", f->caveats);
    pl->forecast_caveats = m->caveats;
    /* The velocities' status first: it is what every time shown rests on. */
    snprintf(m->assumptions, sizeof m->assumptions,
             "%s; chainages, capacities and set-up times are hazlink assumptions (no surveyed "
             "river course)%s%s%s",
             f->velocities_unverified ? "forecast built on unverified velocities: section velocities "
                                        "by season are hazlink assumptions, every time is an "
                                        "estimate"
                                      : "section velocities are from the plan",
             f->dispersion_unverified ? "; a dispersion formula coefficient is [unverified]" : "",
             f->concentration_known ? "" : "; concentration unknown: every point reached is "
                                           "treated as exceeding the limit",
             p->space && p->volume_unknown ? "; the volume to hold is unknown: the chosen "
                                             "space's capacity was not checked"
                                           : "");
    pl->assumptions = m->assumptions;
    return 0;
}

void pb_plan_msg_free(pb_plan_msg *m)
{
    free(m->pts);
    free(m->ppts);
    free(m->locs);
    free(m->needs);
    free(m->pneeds);
    free(m->task_ids);
    free(m->re);
    free(m->pre);
    memset(m, 0, sizeof *m);
}

/* ---- TaskBatch ---- */

static int id_in(const char *id, char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

int pb_batch_msg_init(pb_batch_msg *m, const hl_plan *p, const hl_plan_input *in,
                      int64_t created_ms)
{
    return pb_batch_msg_subset(m, p, in, created_ms, NULL, 0, 0);
}

int pb_batch_msg_subset(pb_batch_msg *m, const hl_plan *p, const hl_plan_input *in,
                        int64_t created_ms, char *const *ids, size_t n_ids, int in_ids)
{
    size_t n = p->n_tasks ? p->n_tasks : 1, k = 0;
    memset(m, 0, sizeof *m);
    hl__task_batch__init(&m->batch);
    m->tasks = calloc(n, sizeof *m->tasks);
    m->ptasks = calloc(n, sizeof *m->ptasks);
    if (!m->tasks || !m->ptasks) {
        pb_batch_msg_free(m);
        return HL_ENOMEM;
    }
    for (size_t i = 0; i < p->n_tasks; i++) {
        const hl_plan_task *t = &p->tasks[i];
        if (id_in(t->id, ids, n_ids) != in_ids)
            continue;
        Hl__Task *x = &m->tasks[k];
        hl__task__init(x);
        x->id = (char *)t->id;
        x->incident_id = (char *)in->incident_id;
        x->plan_id = (char *)in->plan_id;
        x->unit_id = (char *)t->unit_id;
        x->kind = (char *)t->kind;
        x->title = (char *)t->title;
        x->target_id = (char *)t->target_id;
        x->chainage_km = t->chainage_km;
        x->due_ms = t->due_ms;
        x->created_ms = created_ms;
        x->state = "pending";
        x->detail = (char *)t->detail;
        m->ptasks[k++] = x;
    }
    m->batch.plan_id = (char *)in->plan_id;
    m->batch.incident_id = (char *)in->incident_id;
    m->batch.n_tasks = k;
    m->batch.tasks = m->ptasks;
    return 0;
}

void pb_batch_msg_set_level(pb_batch_msg *m, const char *level)
{
    m->batch.level = (char *)level;
    for (size_t i = 0; i < m->batch.n_tasks; i++)
        m->batch.tasks[i]->level = (char *)level;
}

void pb_batch_msg_free(pb_batch_msg *m)
{
    free(m->tasks);
    free(m->ptasks);
    memset(m, 0, sizeof *m);
}

/* ---- ReserveRequest ---- */

int pb_reserve_msg_init(pb_reserve_msg *m, const hl_plan *p, const hl_plan_input *in,
                        char why[PB_WHY_MAX])
{
    memset(m, 0, sizeof *m);
    why[0] = 0;
    if (p->n_needs == 0) {
        snprintf(why, PB_WHY_MAX, "no materials needed");
        return HL_ENOTFOUND;
    }
    if (!p->near) {
        snprintf(why, PB_WHY_MAX,
                 "no threatened point has coordinates to reserve near (reference has none)");
        return HL_ENOTFOUND;
    }
    hl__reserve_request__init(&m->req);
    if (needs_init(p, &m->needs, &m->pneeds) < 0) {
        pb_reserve_msg_free(m);
        return HL_ENOMEM;
    }
    geo(&m->near, p->near);
    m->req.incident_id = (char *)in->incident_id;
    m->req.plan_id = (char *)in->plan_id;
    m->req.near = &m->near;
    m->req.n_needs = p->n_needs;
    m->req.needs = m->pneeds;
    snprintf(m->purpose, sizeof m->purpose, "%s at %s (plan %s)",
             p->space ? "interception" : "receptor protection", p->near_id, in->plan_id);
    m->req.purpose = m->purpose;
    return 0;
}

void pb_reserve_msg_free(pb_reserve_msg *m)
{
    free(m->needs);
    free(m->pneeds);
    memset(m, 0, sizeof *m);
}

int pb_msg_shortfall(const Hl__Reservation *res, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!res || res->n_shortfall == 0)
        return 0;
    char **v = calloc(res->n_shortfall, sizeof *v);
    if (!v)
        return HL_ENOMEM;
    for (size_t i = 0; i < res->n_shortfall; i++) {
        const Hl__MaterialNeed *s = res->shortfall[i];
        char buf[160];
        snprintf(buf, sizeof buf, "%.64s %g %.16s", s->material_id ? s->material_id : "?",
                 s->quantity, s->unit ? s->unit : "");
        if (!(v[i] = strdup(buf))) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return HL_ENOMEM;
        }
    }
    *out = v;
    *n = res->n_shortfall;
    return 0;
}
