/* forecast.c — the plume at every downstream point, re-anchored by readings (forecast.h). */
#include "hazlink/forecast.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/dispersion.h"
#include "hazlink/hl_error.h"
#include "domain_util.h"

const char *hl_point_kind_name(hl_point_kind k)
{
    switch (k) {
    case HL_POINT_SPACE:
        return "space";
    case HL_POINT_SECTION:
        return "section";
    case HL_POINT_RECEPTOR:
        return "receptor";
    }
    return "?";
}

static int range_ok(const hl_network *net, hl_season season, double from_km, double to_km)
{
    if (!net || net->n_reaches == 0 || (int)season < 0 || season >= HL_SEASON_COUNT)
        return 0;
    double end = net->reaches[net->n_reaches - 1].to_km;
    return from_km >= 0 && to_km >= from_km && to_km <= end;
}

/* The part [a, b) of reach r inside [from, to], in m; 0 when none. */
static double overlap_m(const hl_reach *r, double from_km, double to_km)
{
    double a = from_km > r->from_km ? from_km : r->from_km;
    double b = to_km < r->to_km ? to_km : r->to_km;
    return b > a ? (b - a) * 1000.0 : 0;
}

int hl_forecast_travel_s(const hl_network *net, hl_season season, double from_km, double to_km,
                         double *out_s, int *unverified)
{
    if (!range_ok(net, season, from_km, to_km))
        return HL_EINVAL;
    double t = 0;
    int unv = 0;
    for (size_t i = 0; i < net->n_reaches; i++) {
        const hl_reach *r = &net->reaches[i];
        double dx = overlap_m(r, from_km, to_km);
        if (dx <= 0)
            continue;
        t += dx / r->velocity_m_s[season];
        unv |= r->velocity_unverified;
    }
    *out_s = t;
    if (unverified)
        *unverified = unv;
    return 0;
}

int hl_forecast_path(const hl_network *net, hl_season season, double from_km, double to_km,
                     hl_plume_path *p, double *q_to)
{
    if (!range_ok(net, season, from_km, to_km) || !p)
        return HL_EINVAL;
    memset(p, 0, sizeof *p);
    p->dilution = 1;
    p->q_src_m3_s = hl_reach_discharge(hl_network_reach_at(net, from_km), season);
    double q_prev = p->q_src_m3_s, q_last = q_prev;
    for (size_t i = 0; i < net->n_reaches; i++) {
        const hl_reach *r = &net->reaches[i];
        double dx = overlap_m(r, from_km, to_km);
        if (dx <= 0)
            continue;
        double u = r->velocity_m_s[season], q = hl_reach_discharge(r, season);
        /* More water dilutes; less water (a diversion) takes its share of the pollutant with
         * it and leaves the concentration as it was (plume.h). */
        if (q_prev > 0 && q > q_prev)
            p->dilution *= q_prev / q;
        p->tau_s += dx / u;
        p->var_s2 += 2.0 * r->k_m2_s[season] * dx / (u * u * u);
        p->decay += r->decay_per_h / 3600.0 * dx / u;
        if (q > 0)
            q_prev = q;
        q_last = q;
    }
    if (q_to)
        *q_to = q_last;
    return 0;
}

static int cmp_point(const void *pa, const void *pb)
{
    const hl_forecast_point *a = pa, *b = pb;
    int c = hl_dom_cmp_double(a->chainage_km, b->chainage_km);
    if (c)
        return c;
    if (a->kind != b->kind)
        return (int)a->kind - (int)b->kind;
    return strcmp(a->id, b->id);
}

static int64_t ms_of_s(double s)
{
    return (int64_t)llround(s * 1000.0);
}

static int check_req(const hl_network *net, const hl_forecast_req *q, double *anchor_km)
{
    if (!net || !q || net->n_reaches == 0)
        return HL_EINVAL;
    if ((int)q->season < 0 || q->season >= HL_SEASON_COUNT)
        return HL_EINVAL;
    if (!(q->horizon_h > 0 && q->horizon_h <= HL_FORECAST_MAX_HORIZON_H))
        return HL_EINVAL;
    if (!(q->mass_kg >= 0 && isfinite(q->mass_kg)) ||
        !(q->duration_s >= 0 && isfinite(q->duration_s)) ||
        !(q->observed_mg_l >= 0 && isfinite(q->observed_mg_l)) ||
        !(q->limit_mg_l >= 0 && isfinite(q->limit_mg_l)))
        return HL_EINVAL;
    if (q->n_obs > HL_FORECAST_MAX_OBS)
        return HL_EINVAL;
    for (size_t i = 0; i < q->n_obs; i++)
        if (!hl_network_station(net, q->obs[i].station_id) ||
            !(q->obs[i].value_mg_l > 0 && isfinite(q->obs[i].value_mg_l)))
            return HL_EINVAL;
    if (q->anchor == HL_ANCHOR_OBSERVED) {
        const hl_station *st = hl_network_station(net, q->station_id);
        if (!st)
            return HL_EINVAL;
        *anchor_km = st->chainage_km;
    } else if (q->anchor == HL_ANCHOR_RELEASE) {
        *anchor_km = q->chainage_km;
    } else {
        return HL_EINVAL;
    }
    if (!hl_network_reach_at(net, *anchor_km))
        return HL_EINVAL;
    return 0;
}

/* Append to a text buffer, cutting on a UTF-8 boundary when full. */
static void cat(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t n, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + used, n - used, fmt, ap);
    va_end(ap);
    if (k >= (int)(n - used))
        hl_dom_utf8_trim(buf, strlen(buf));
}

/* The source the anchor describes (forecast.h): *known = its size is known; *shape = a
 * curve can be drawn at all (a release of unknown mass is drawn as 1 kg, to be scaled by a
 * reading). */
typedef struct source {
    hl_plume_src src;
    int known, shape;
} source;

static int cmp_obs_time(const void *a, const void *b)
{
    const hl_observation *x = *(const hl_observation *const *)a;
    const hl_observation *y = *(const hl_observation *const *)b;
    return x->at_ms < y->at_ms ? -1 : x->at_ms > y->at_ms;
}

static void build_source(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                         source *s, hl_forecast *f)
{
    memset(s, 0, sizeof *s);
    f->source_q_m3_s = hl_reach_discharge(hl_network_reach_at(net, anchor_km), q->season);
    if (q->anchor == HL_ANCHOR_RELEASE) {
        s->src.kind = q->duration_s > 0 ? HL_SRC_PULSE : HL_SRC_SLUG;
        s->src.mass_kg = q->mass_kg > 0 ? q->mass_kg : 1.0;
        s->src.duration_s = q->duration_s;
        s->shape = f->source_q_m3_s > 0;
        s->known = s->shape && q->mass_kg > 0;
        if (s->known && s->src.kind == HL_SRC_PULSE)
            f->plug_mg_l = 1000.0 * q->mass_kg / (f->source_q_m3_s * q->duration_s);
        return;
    }
    /* Observed: the anchor reading and the later ones at the same station, in time order,
     * as a running maximum held from each reading on (plume.h HL_SRC_STEPS). */
    const hl_observation *at[HL_FORECAST_MAX_OBS];
    size_t n = 0;
    for (size_t i = 0; i < q->n_obs; i++)
        if (strcmp(q->obs[i].station_id, q->station_id) == 0 && q->obs[i].at_ms > q->start_ms)
            at[n++] = &q->obs[i];
    qsort(at, n, sizeof at[0], cmp_obs_time);
    s->src.kind = HL_SRC_STEPS;
    s->src.steps[0].t_s = 0;
    s->src.steps[0].c_mg_l = q->observed_mg_l;
    s->src.n_steps = 1;
    for (size_t i = 0; i < n; i++) {
        hl_plume_step *last = &s->src.steps[s->src.n_steps - 1];
        double t = (double)(at[i]->at_ms - q->start_ms) / 1000.0;
        if (at[i]->value_mg_l <= last->c_mg_l)
            continue; /* a running maximum: a lower reading changes nothing */
        if (t == last->t_s) {
            last->c_mg_l = at[i]->value_mg_l;
        } else if (s->src.n_steps < HL_PLUME_MAX_STEPS) {
            s->src.steps[s->src.n_steps].t_s = t;
            s->src.steps[s->src.n_steps].c_mg_l = at[i]->value_mg_l;
            s->src.n_steps++;
        } else {
            last->c_mg_l = at[i]->value_mg_l; /* full: keep the maximum, earlier */
        }
    }
    f->plug_mg_l = s->src.steps[s->src.n_steps - 1].c_mg_l;
    s->known = s->shape = f->plug_mg_l > 0;
}

/* The source seen at km: its curve, and Q of the last reach crossed. */
static int curve_at(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                    const source *s, double km, hl_plume_curve *c, double *q_to, double *var)
{
    hl_plume_path p;
    int rc = hl_forecast_path(net, q->season, anchor_km, km, &p, q_to);
    if (rc < 0)
        return rc;
    if (var)
        *var = p.var_s2;
    return hl_plume_curve_init(&s->src, &p, c);
}

/* Re-anchoring (forecast.h) for each station with readings downstream of the anchor. */
static int reanchor_all(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                        const source *s, hl_forecast *f)
{
    for (size_t i = 0; i < net->n_stations; i++) {
        const hl_station *st = &net->stations[i];
        if (q->anchor == HL_ANCHOR_OBSERVED && strcmp(st->id, q->station_id) == 0)
            continue;
        const hl_observation *top = NULL, *latest = NULL;
        for (size_t k = 0; k < q->n_obs; k++) {
            const hl_observation *o = &q->obs[k];
            if (strcmp(o->station_id, st->id) != 0)
                continue;
            if (!top || o->value_mg_l > top->value_mg_l ||
                (o->value_mg_l == top->value_mg_l && o->at_ms < top->at_ms))
                top = o;
            if (!latest || o->at_ms > latest->at_ms)
                latest = o;
        }
        if (!top)
            continue;
        hl_reanchor *r = &f->reanchors[f->n_reanchors++];
        memset(r, 0, sizeof *r);
        r->station_id = st->id;
        r->chainage_km = st->chainage_km;
        r->observed_mg_l = top->value_mg_l;
        r->observed_ms = top->at_ms;
        r->scale = 1;
        if (st->chainage_km < anchor_km) {
            snprintf(r->note, sizeof r->note, "%s is upstream of the anchor: reading ignored",
                     st->id);
            continue;
        }
        if (!s->shape) {
            snprintf(r->note, sizeof r->note,
                     "%s: no model to re-anchor (the discharge at the anchor is unknown)", st->id);
            continue;
        }
        hl_plume_curve c;
        hl_plume_passage pass;
        int rc;
        if ((rc = curve_at(net, q, anchor_km, s, st->chainage_km, &c, NULL, NULL)) < 0 ||
            (rc = hl_plume_passage_find(&c, 0, &pass)) < 0)
            return rc;
        double t_top = (double)(top->at_ms - q->start_ms) / 1000.0;
        r->model_ms = q->start_ms + ms_of_s(pass.peak_s);
        double model = pass.known ? pass.peak_mg_l : 0;
        r->model_mg_l = s->known ? model : 0;
        r->peak_seen = latest->value_mg_l < top->value_mg_l || latest->at_ms >= r->model_ms;
        double at_top = pass.known ? hl_plume_conc(&c, t_top) : 0;
        if (model <= 0) {
            snprintf(r->note, sizeof r->note, "%s: the model has no concentration there", st->id);
        } else if (r->peak_seen) {
            r->scale = top->value_mg_l / model;
            r->shift_s = t_top - pass.peak_s;
            r->applied = 1;
            snprintf(r->note, sizeof r->note,
                     "%s: observed peak %.4g mg/L replaces the model's%s; concentrations at and "
                     "below it x%.4g, times %+.0f s",
                     st->id, top->value_mg_l,
                     s->known ? ""
                              : " (release mass unknown: sized by "
                                "this reading)",
                     r->scale, r->shift_s);
        } else if (!s->known) {
            snprintf(r->note, sizeof r->note,
                     "%s: rising (%.4g mg/L), peak not yet seen; release mass still unknown",
                     st->id, top->value_mg_l);
        } else if (at_top < model * 1e-9) {
            /* The model has (almost) nothing there yet: the plume came earlier than the
             * velocities say. Move the model's peak to the reading, never scaling down. */
            r->scale = top->value_mg_l > model ? top->value_mg_l / model : 1;
            r->shift_s = t_top - pass.peak_s;
            r->applied = 1;
            snprintf(r->note, sizeof r->note,
                     "%s: %.4g mg/L before the model's front; times %+.0f s, x%.4g", st->id,
                     top->value_mg_l, r->shift_s, r->scale);
        } else if (top->value_mg_l > at_top) {
            r->scale = top->value_mg_l / at_top;
            r->applied = 1;
            snprintf(r->note, sizeof r->note,
                     "%s: rising, %.4g mg/L above the model's %.4g at that time; concentrations "
                     "at and below it x%.4g (peak not yet seen)",
                     st->id, top->value_mg_l, at_top, r->scale);
        } else {
            snprintf(r->note, sizeof r->note,
                     "%s: rising, %.4g mg/L within the model's %.4g at that time; model kept",
                     st->id, top->value_mg_l, at_top);
        }
    }
    return 0;
}

/* The re-anchoring that governs a point at km: the furthest applied one at or above it. */
static int governing(const hl_forecast *f, double km)
{
    int g = 0;
    double best = -1;
    for (size_t i = 0; i < f->n_reanchors; i++) {
        const hl_reanchor *r = &f->reanchors[i];
        if (r->applied && r->chainage_km <= km && r->chainage_km > best) {
            best = r->chainage_km;
            g = (int)i + 1;
        }
    }
    return g;
}

static int add_point(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                     const source *s, hl_point_kind kind, size_t index, const char *id,
                     const char *name, double km, double setup_h, hl_forecast *f)
{
    hl_forecast_point *p = &f->points[f->n_points];
    int unv = 0, rc;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->index = index;
    p->id = id;
    p->name = name;
    p->chainage_km = km;
    if ((rc = hl_forecast_travel_s(net, q->season, anchor_km, km, &p->travel_s, &unv)) < 0)
        return rc;
    f->velocities_unverified |= unv;
    int64_t end_ms = q->start_ms + ms_of_s(q->horizon_h * 3600.0);
    p->arrival_ms = q->start_ms + ms_of_s(p->travel_s);
    p->within_horizon = p->arrival_ms <= end_ms;
    p->reanchor = governing(f, km);
    const hl_reanchor *g = p->reanchor ? &f->reanchors[p->reanchor - 1] : NULL;
    double scale = g ? g->scale : 1, shift = g ? g->shift_s : 0, var = 0;
    hl_plume_curve c;
    hl_plume_passage pass;
    memset(&pass, 0, sizeof pass);
    p->concentration_known = s->shape && (s->known || (g && g->peak_seen));
    if (s->shape) {
        double lim = q->limit_mg_l > 0 ? q->limit_mg_l / scale : 0;
        if ((rc = curve_at(net, q, anchor_km, s, km, &c, &p->discharge_m3_s, &var)) < 0 ||
            (rc = hl_plume_passage_find(&c, lim, &pass)) < 0)
            return rc;
        p->concentration_known &= pass.known;
    } else {
        hl_plume_path path;
        if ((rc = hl_forecast_path(net, q->season, anchor_km, km, &path, &p->discharge_m3_s)) < 0)
            return rc;
        var = path.var_s2;
    }
    p->sigma_s = sqrt(var);
    if (p->concentration_known) {
        p->peak_mg_l = pass.peak_mg_l * scale;
        p->peak_ms = q->start_ms + ms_of_s(pass.peak_s + shift);
        p->open_ended = pass.open_ended;
        /* An unknown limit: assumed exceeded, from the (shifted) advective arrival. */
        p->exceeds = q->limit_mg_l > 0 ? pass.exceeds : 1;
    } else {
        /* Unknown concentration: assumed to exceed (an unknown plume is a plume), front =
         * peak = the advective arrival. */
        p->exceeds = 1;
        p->peak_ms = p->arrival_ms;
    }
    int64_t front = p->concentration_known && q->limit_mg_l > 0
                        ? q->start_ms + ms_of_s(pass.front_s + shift)
                    : p->concentration_known ? q->start_ms + ms_of_s(p->travel_s + shift)
                                             : p->arrival_ms;
    p->threatened = p->exceeds && front <= end_ms;
    if (p->threatened) {
        p->front_ms = front;
        if (p->concentration_known && q->limit_mg_l > 0 && !pass.open_ended) {
            p->clear_ms = q->start_ms + ms_of_s(pass.clear_s + shift);
            if (p->discharge_m3_s > 0)
                p->volume_m3 = p->discharge_m3_s * (double)(p->clear_ms - p->front_ms) / 1000.0;
        }
        if (kind == HL_POINT_SPACE)
            p->ready_in_time = q->now_ms + ms_of_s(setup_h * 3600.0) <= p->front_ms;
    }
    f->n_points++;
    return 0;
}

/* The method and caveat texts (forecast.h) for the reaches from the anchor to last_km. */
static void describe(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                     double last_km, const source *s, hl_forecast *f)
{
    static const char *const kinds[] = {"instantaneous release (slug)",
                                        "continuous release (Ogata-Banks pulse)",
                                        "readings at the anchor station held (Ogata-Banks steps)"};
    char plug[256] = "", unv[256] = "";
    f->source = s->src.kind;
    snprintf(f->method, sizeof f->method,
             "1-D advection-dispersion-decay, analytical at each point: %s; travel-time "
             "transform across reaches (exact in a uniform channel); K %s (m2/s):",
             kinds[s->src.kind], hl_season_name(q->season));
    for (size_t i = 0; i < net->n_reaches; i++) {
        const hl_reach *r = &net->reaches[i];
        if (r->to_km <= anchor_km || r->from_km >= last_km)
            continue;
        double k = r->k_m2_s[q->season];
        const hl_disp_info *di = NULL;
        hl_disp_formula df;
        if (!r->dispersion_given && r->dispersion_formula[0] &&
            hl_disp_parse(r->dispersion_formula, &df) == 0)
            di = hl_disp_info_of(df);
        cat(f->method, sizeof f->method, " %s %.3g (%s)", r->id, k,
            r->dispersion_given ? "given"
            : di                ? di->id
                                : "none");
        if (k == 0)
            cat(plug, sizeof plug, "%s%s", plug[0] ? ", " : "", r->id);
        if (di && (di->flags & HL_DISP_UNVERIFIED)) {
            f->dispersion_unverified = 1;
            if (!strstr(unv, di->name))
                cat(unv, sizeof unv, "%s%s: %s", unv[0] ? "; " : "", di->name, di->caveat);
        }
        if (r->decay_per_h > 0)
            cat(f->method, sizeof f->method, " decay %.3g/h", r->decay_per_h);
    }
    cat(f->method, sizeof f->method,
        "; front, peak and clear by bisection to %.0f ms on the analytical curve",
        HL_PLUME_TOL_S * 1000);

    if (f->velocities_unverified)
        cat(f->caveats, sizeof f->caveats,
            "Velocities are hazlink assumptions (unverified): every time in this forecast is "
            "an estimate. ");
    if (unv[0])
        cat(f->caveats, sizeof f->caveats, "Dispersion formula %s. ", unv);
    if (plug[0])
        cat(f->caveats, sizeof f->caveats,
            "No dispersion in %s (no K given or computed): plug flow there. ", plug);
    if (!s->known && q->anchor == HL_ANCHOR_RELEASE)
        cat(f->caveats, sizeof f->caveats,
            "Release mass%s unknown: concentrations are not computed (until a reading sizes "
            "the plume) and every point reached is assumed to exceed the limit. ",
            f->source_q_m3_s > 0 ? "" : " or discharge");
    if (!s->known && q->anchor == HL_ANCHOR_OBSERVED)
        cat(f->caveats, sizeof f->caveats,
            "Observed concentration unknown: every point reached is assumed to exceed. ");
    if (q->limit_mg_l == 0)
        cat(f->caveats, sizeof f->caveats,
            "Limit unknown: every point reached is assumed to exceed it. ");
    if (s->src.kind == HL_SRC_STEPS)
        cat(f->caveats, sizeof f->caveats,
            "The end of the plume has not been observed: the highest reading at %s is held, "
            "no clear times, the volume to hold is unknown. ",
            q->station_id);
    size_t n = strlen(f->caveats);
    if (n && f->caveats[n - 1] == ' ')
        f->caveats[n - 1] = 0;
}

int hl_forecast_run(const hl_network *net, const hl_forecast_req *q, hl_forecast **out)
{
    double anchor_km = 0;
    int rc;
    if ((rc = check_req(net, q, &anchor_km)) < 0)
        return rc;
    hl_forecast *f = calloc(1, sizeof *f);
    size_t cap = net->n_spaces + net->n_stations + net->n_receptors;
    if (!f || !(f->points = calloc(cap ? cap : 1, sizeof *f->points))) {
        free(f);
        return HL_ENOMEM;
    }
    f->season = q->season;
    source s;
    build_source(net, q, anchor_km, &s, f);
    f->concentration_known = s.known;
    /* The reach the anchor is in counts even when no point lies below it. */
    const hl_reach *ar = hl_network_reach_at(net, anchor_km);
    f->velocities_unverified = ar && ar->velocity_unverified;
    rc = reanchor_all(net, q, anchor_km, &s, f);
    for (size_t i = 0; i < f->n_reanchors; i++)
        f->concentration_known |= f->reanchors[i].applied && f->reanchors[i].peak_seen;
    double last_km = anchor_km;
    for (size_t i = 0; i < net->n_spaces && rc == 0; i++) {
        const hl_space *sp = &net->spaces[i];
        if (sp->chainage_km >= anchor_km)
            rc = add_point(net, q, anchor_km, &s, HL_POINT_SPACE, i, sp->id, sp->name,
                           sp->chainage_km, sp->setup_h, f);
    }
    for (size_t i = 0; i < net->n_stations && rc == 0; i++) {
        const hl_station *st = &net->stations[i];
        if (st->chainage_km >= anchor_km &&
            !(q->anchor == HL_ANCHOR_OBSERVED && strcmp(st->id, q->station_id) == 0))
            rc = add_point(net, q, anchor_km, &s, HL_POINT_SECTION, i, st->id, st->name,
                           st->chainage_km, 0, f);
    }
    for (size_t i = 0; i < net->n_receptors && rc == 0; i++) {
        const hl_receptor *r = &net->receptors[i];
        if (r->chainage_km >= anchor_km)
            rc = add_point(net, q, anchor_km, &s, HL_POINT_RECEPTOR, i, r->id, r->name,
                           r->chainage_km, 0, f);
    }
    if (rc < 0) {
        hl_forecast_destroy(&f);
        return rc;
    }
    for (size_t i = 0; i < f->n_points; i++)
        if (f->points[i].chainage_km > last_km)
            last_km = f->points[i].chainage_km;
    describe(net, q, anchor_km, last_km, &s, f);
    qsort(f->points, f->n_points, sizeof *f->points, cmp_point);
    *out = f;
    return 0;
}

void hl_forecast_destroy(hl_forecast **f)
{
    if (!f || !*f)
        return;
    free((*f)->points);
    free(*f);
    *f = NULL;
}

const hl_forecast_point *hl_forecast_point_find(const hl_forecast *f, const char *id)
{
    for (size_t i = 0; f && id && i < f->n_points; i++)
        if (strcmp(f->points[i].id, id) == 0)
            return &f->points[i];
    return NULL;
}
