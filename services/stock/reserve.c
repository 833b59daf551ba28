/* reserve.c — see reserve.h. */
#include "reserve.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

#define DEG2RAD (3.14159265358979323846 / 180.0)

double stock_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    if (!isfinite(lat1) || !isfinite(lon1) || !isfinite(lat2) || !isfinite(lon2))
        return NAN;
    double p1 = lat1 * DEG2RAD, p2 = lat2 * DEG2RAD;
    double dp = (lat2 - lat1) * DEG2RAD, dl = (lon2 - lon1) * DEG2RAD;
    double s1 = sin(dp / 2), s2 = sin(dl / 2);
    double a = s1 * s1 + cos(p1) * cos(p2) * s2 * s2;
    /* Rounding can push a a hair above 1 for antipodal points; asin would return NaN. */
    if (a > 1.0)
        a = 1.0;
    return 2.0 * STOCK_EARTH_RADIUS_KM * asin(sqrt(a));
}

double stock_level_available(const stock_level *l)
{
    return l->available > STOCK_EPS ? l->available : 0.0;
}

const stock_level *stock_depot_level_c(const stock_depot *d, const char *material_id)
{
    for (size_t i = 0; i < d->nlevels; i++)
        if (strcmp(d->levels[i].material_id, material_id) == 0)
            return &d->levels[i];
    return NULL;
}

stock_level *stock_depot_level(stock_depot *d, const char *material_id)
{
    return (stock_level *)stock_depot_level_c(d, material_id);
}

int stock_depots_find(const stock_depots *ds, const char *id)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->items[i].id, id) == 0)
            return (int)i;
    return HL_ENOTFOUND;
}

stock_plan *stock_plan_new(void)
{
    return calloc(1, sizeof(stock_plan));
}

void stock_plan_destroy(stock_plan **p)
{
    if (!p)
        return;
    free(*p);
    *p = NULL;
}

static int qty__ok(double q)
{
    return isfinite(q) && q >= 0 && q <= STOCK_QTY_MAX;
}

int stock_plan_ordered(const stock_depots *ds, const double *key, const double *dist,
                       const stock_need *needs, size_t nneeds, stock_plan *out)
{
    out->nlines = 0;
    out->nshort = 0;
    if (nneeds > STOCK_LINES_MAX)
        return HL_ETOOBIG;
    for (size_t i = 0; i < nneeds; i++)
        if (!qty__ok(needs[i].quantity) || needs[i].material_id[0] == '\0')
            return HL_EINVAL;

    /* Depot order by key, computed once: the same for every material. Insertion sort is
     * stable, so depots with equal keys keep file order. */
    size_t order[STOCK_DEPOTS_MAX];
    size_t nd = ds->n < STOCK_DEPOTS_MAX ? ds->n : STOCK_DEPOTS_MAX;
    for (size_t i = 0; i < nd; i++) {
        size_t j = i;
        while (j > 0 && key[order[j - 1]] > key[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }

    /* What earlier lines of this plan took from each level: a material needed twice must not
     * be promised twice from the same stock (32 KiB, indexed like ds->items[].levels[]). */
    static const size_t nt = STOCK_DEPOTS_MAX * STOCK_MATERIALS_MAX;
    double *taken = calloc(nt, sizeof *taken);
    if (!taken)
        return HL_ENOMEM;

    for (size_t i = 0; i < nneeds; i++) {
        const stock_need *nd_i = &needs[i];
        double rem = nd_i->quantity;
        for (size_t k = 0; k < nd && rem > STOCK_EPS; k++) {
            const stock_depot *d = &ds->items[order[k]];
            const stock_level *l = stock_depot_level_c(d, nd_i->material_id);
            if (!l)
                continue;
            double *t = &taken[order[k] * STOCK_MATERIALS_MAX + (size_t)(l - d->levels)];
            double avail = stock_level_available(l) - *t;
            if (avail <= STOCK_EPS)
                continue;
            if (out->nlines >= STOCK_LINES_MAX) {
                out->nlines = out->nshort = 0;
                free(taken);
                return HL_ETOOBIG;
            }
            double take = rem < avail ? rem : avail;
            stock_line *ln = &out->lines[out->nlines++];
            memcpy(ln->material_id, nd_i->material_id, sizeof ln->material_id);
            memcpy(ln->depot_id, d->id, sizeof ln->depot_id);
            ln->quantity = take;
            ln->distance_km = dist[order[k]];
            *t += take;
            rem -= take;
        }
        if (rem > STOCK_EPS) {
            /* nneeds <= STOCK_LINES_MAX, so one shortfall per need always fits. */
            stock_need *s = &out->shortfall[out->nshort++];
            memcpy(s->material_id, nd_i->material_id, sizeof s->material_id);
            s->quantity = rem;
        }
    }
    free(taken);
    return 0;
}

int stock_reserve_plan(const stock_depots *ds, double lat, double lon, const stock_need *needs,
                       size_t nneeds, stock_plan *out)
{
    out->nlines = 0;
    out->nshort = 0;
    if (!isfinite(lat) || !isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180)
        return HL_EINVAL;
    double dist[STOCK_DEPOTS_MAX];
    for (size_t i = 0; i < ds->n && i < STOCK_DEPOTS_MAX; i++)
        dist[i] = stock_distance_km(lat, lon, ds->items[i].lat, ds->items[i].lon);
    return stock_plan_ordered(ds, dist, dist, needs, nneeds, out);
}

static const char *const state_names[] = {"reserved", "partial", "released", "issued"};

const char *stock_rsv_state_name(stock_rsv_state s)
{
    if ((int)s < 0 || (size_t)s >= sizeof state_names / sizeof state_names[0])
        return "?";
    return state_names[s];
}

int stock_rsv_state_parse(const char *name, stock_rsv_state *out)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        if (name && strcmp(name, state_names[i]) == 0) {
            *out = (stock_rsv_state)i;
            return 0;
        }
    return HL_EINVAL;
}

int stock_rsv_action_parse(const char *name, stock_rsv_action *out)
{
    if (!name)
        return HL_EINVAL;
    if (name[0] == '\0' || strcmp(name, "release") == 0) {
        *out = STOCK_ACT_RELEASE;
        return 0;
    }
    if (strcmp(name, "issue") == 0) {
        *out = STOCK_ACT_ISSUE;
        return 0;
    }
    return HL_EINVAL;
}

int stock_rsv_transition(stock_rsv_state from, stock_rsv_action a, stock_rsv_state *to)
{
    if (from != STOCK_RSV_RESERVED && from != STOCK_RSV_PARTIAL)
        return HL_ESTATE;
    if (a == STOCK_ACT_RELEASE)
        *to = STOCK_RSV_RELEASED;
    else if (a == STOCK_ACT_ISSUE)
        *to = STOCK_RSV_ISSUED;
    else
        return HL_ESTATE;
    return 0;
}

stock_rsv_state stock_plan_state(const stock_plan *p)
{
    return p->nshort ? STOCK_RSV_PARTIAL : STOCK_RSV_RESERVED;
}
