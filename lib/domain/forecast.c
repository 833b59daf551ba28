/* forecast.c — advection along chainage (forecast.h). */
#include "hazlink/forecast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "domain_util.h"

static const char *const k_method =
    "advection along chainage at the season's section velocities (plug flow); dispersion and "
    "decay are added by a later issue";

const char *hl_point_kind_name(hl_point_kind k)
{
    switch (k) {
    case HL_POINT_SPACE: return "space";
    case HL_POINT_SECTION: return "section";
    case HL_POINT_RECEPTOR: return "receptor";
    }
    return "?";
}

int hl_forecast_travel_s(const hl_network *net, hl_season season, double from_km, double to_km,
                         double *out_s, int *unverified)
{
    if (!net || net->n_reaches == 0 || (int)season < 0 || season >= HL_SEASON_COUNT)
        return HL_EINVAL;
    double end = net->reaches[net->n_reaches - 1].to_km;
    if (!(from_km >= 0 && to_km >= from_km && to_km <= end))
        return HL_EINVAL;
    double t = 0;
    int unv = 0;
    for (size_t i = 0; i < net->n_reaches; i++) {
        const hl_reach *r = &net->reaches[i];
        double a = from_km > r->from_km ? from_km : r->from_km;
        double b = to_km < r->to_km ? to_km : r->to_km;
        if (b <= a)
            continue;
        t += (b - a) * 1000.0 / r->velocity_m_s[season];
        unv |= r->velocity_unverified;
    }
    *out_s = t;
    if (unverified)
        *unverified = unv;
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
    if (!(q->mass_kg >= 0) || !(q->duration_s >= 0) || !(q->observed_mg_l >= 0) ||
        !(q->limit_mg_l >= 0))
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

/* The plug concentration (forecast.h): observation carried down, or 1000 M / (u A T). */
static double plug_mg_l(const hl_network *net, const hl_forecast_req *q, double anchor_km)
{
    if (q->anchor == HL_ANCHOR_OBSERVED)
        return q->observed_mg_l;
    const hl_reach *r = hl_network_reach_at(net, anchor_km);
    if (q->mass_kg > 0 && q->duration_s > 0 && r && r->area_m2 > 0) {
        double discharge = r->velocity_m_s[q->season] * r->area_m2; /* m³/s */
        return 1000.0 * q->mass_kg / (discharge * q->duration_s);
    }
    return 0;
}

static int add_point(const hl_network *net, const hl_forecast_req *q, double anchor_km,
                     double plug, hl_point_kind kind, size_t index, const char *id,
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
    p->arrival_ms = q->start_ms + ms_of_s(p->travel_s);
    p->within_horizon = p->arrival_ms <= q->start_ms + ms_of_s(q->horizon_h * 3600.0);
    /* Unknown concentration or unknown limit: assume it exceeds (an unknown plume is a
     * plume). Known: the plug keeps its concentration, so it exceeds everywhere or nowhere. */
    p->exceeds = plug > 0 && q->limit_mg_l > 0 ? plug > q->limit_mg_l : 1;
    p->threatened = p->exceeds && p->within_horizon;
    p->peak_mg_l = plug;
    if (p->threatened) {
        p->front_ms = p->arrival_ms;
        p->peak_ms = p->arrival_ms;
        if (q->anchor == HL_ANCHOR_RELEASE && q->duration_s > 0)
            p->clear_ms = p->arrival_ms + ms_of_s(q->duration_s);
        if (kind == HL_POINT_SPACE)
            p->ready_in_time = q->now_ms + ms_of_s(setup_h * 3600.0) <= p->front_ms;
    }
    f->n_points++;
    return 0;
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
    f->method = k_method;
    f->plug_mg_l = plug_mg_l(net, q, anchor_km);
    f->concentration_known = f->plug_mg_l > 0;
    /* The reach the anchor is in counts even when no point lies below it. */
    const hl_reach *ar = hl_network_reach_at(net, anchor_km);
    f->velocities_unverified = ar && ar->velocity_unverified;
    double plug = f->plug_mg_l;
    for (size_t i = 0; i < net->n_spaces && rc == 0; i++) {
        const hl_space *s = &net->spaces[i];
        if (s->chainage_km >= anchor_km)
            rc = add_point(net, q, anchor_km, plug, HL_POINT_SPACE, i, s->id, s->name,
                           s->chainage_km, s->setup_h, f);
    }
    for (size_t i = 0; i < net->n_stations && rc == 0; i++) {
        const hl_station *s = &net->stations[i];
        if (s->chainage_km >= anchor_km &&
            !(q->anchor == HL_ANCHOR_OBSERVED && strcmp(s->id, q->station_id) == 0))
            rc = add_point(net, q, anchor_km, plug, HL_POINT_SECTION, i, s->id, s->name,
                           s->chainage_km, 0, f);
    }
    for (size_t i = 0; i < net->n_receptors && rc == 0; i++) {
        const hl_receptor *r = &net->receptors[i];
        if (r->chainage_km >= anchor_km)
            rc = add_point(net, q, anchor_km, plug, HL_POINT_RECEPTOR, i, r->id, r->name,
                           r->chainage_km, 0, f);
    }
    if (rc < 0) {
        hl_forecast_destroy(&f);
        return rc;
    }
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
