/* cover.c — see cover.h. */
#include "cover.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

stock_cover *stock_cover_new(void)
{
    return calloc(1, sizeof(stock_cover));
}

void stock_cover_destroy(stock_cover **c)
{
    if (!c)
        return;
    free(*c);
    *c = NULL;
}

static int cover__params_ok(const stock_depots *ds)
{
    if (!isfinite(ds->detour_factor) || ds->detour_factor < STOCK_DETOUR_MIN ||
        ds->detour_factor > STOCK_DETOUR_MAX)
        return 0;
    if (!isfinite(ds->speed_kmh) || ds->speed_kmh <= 0 || ds->speed_kmh > STOCK_SPEED_MAX_KMH)
        return 0;
    for (size_t i = 0; i < ds->n; i++)
        if (!isfinite(ds->items[i].dispatch_min) || ds->items[i].dispatch_min < 0 ||
            ds->items[i].dispatch_min > STOCK_DISPATCH_MAX_MIN)
            return 0;
    return 1;
}

int stock_cover_plan(const stock_depots *ds, double lat, double lon, const stock_need *needs,
                     size_t nneeds, int64_t as_of_ms, stock_cover *out)
{
    out->nlines = out->nneeds = 0;
    if (!isfinite(lat) || !isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180 ||
        !cover__params_ok(ds))
        return HL_EINVAL;
    if (nneeds > STOCK_LINES_MAX)
        return HL_ETOOBIG;
    size_t nd = ds->n < STOCK_DEPOTS_MAX ? ds->n : STOCK_DEPOTS_MAX;
    double dist[STOCK_DEPOTS_MAX], arrive_min[STOCK_DEPOTS_MAX];
    for (size_t i = 0; i < nd; i++) {
        dist[i] = stock_distance_km(lat, lon, ds->items[i].lat, ds->items[i].lon);
        arrive_min[i] =
            ds->items[i].dispatch_min + dist[i] * ds->detour_factor / ds->speed_kmh * 60.0;
    }
    stock_plan *p = stock_plan_new();
    if (!p)
        return HL_ENOMEM;
    int rc = stock_plan_ordered(ds, arrive_min, dist, needs, nneeds, p);
    if (rc < 0) {
        stock_plan_destroy(&p);
        return rc;
    }
    /* The plan's lines come need by need, in arrival order: decorate each and total the
     * need it belongs to (lines of need i precede those of need i+1). */
    size_t li = 0;
    for (size_t i = 0; i < nneeds; i++) {
        stock_cover_need *cn = &out->needs[out->nneeds++];
        memset(cn, 0, sizeof *cn);
        memcpy(cn->material_id, needs[i].material_id, sizeof cn->material_id);
        cn->quantity = needs[i].quantity;
        double rem = needs[i].quantity;
        while (li < p->nlines && rem > STOCK_EPS &&
               strcmp(p->lines[li].material_id, needs[i].material_id) == 0) {
            const stock_line *l = &p->lines[li++];
            int di = stock_depots_find(ds, l->depot_id);
            stock_cover_line *o = &out->lines[out->nlines++];
            memcpy(o->material_id, l->material_id, sizeof o->material_id);
            memcpy(o->depot_id, l->depot_id, sizeof o->depot_id);
            o->quantity = l->quantity;
            o->straight_km = l->distance_km;
            o->road_km = l->distance_km * ds->detour_factor;
            o->dispatch_min = ds->items[di].dispatch_min;
            o->travel_min = o->road_km / ds->speed_kmh * 60.0;
            o->arrival_ms = as_of_ms + (int64_t)llround(arrive_min[di] * 60000.0);
            cn->covered += l->quantity;
            cn->complete_ms = o->arrival_ms;
            rem -= l->quantity;
        }
        cn->shortfall = rem > STOCK_EPS ? rem : 0;
    }
    stock_plan_destroy(&p);
    return 0;
}
