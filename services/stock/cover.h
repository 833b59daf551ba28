/* cover.h — what covers a list of materials near a point soonest (pure: no I/O, no clock).
 *
 * For every depot the arrival time of a truck sent now is estimated as
 *
 *     road_km    = great-circle km (reserve.h, haversine) × detour_factor
 *     travel_min = road_km / speed_kmh × 60
 *     arrival    = as_of + dispatch_min + travel_min
 *
 * detour_factor, speed_kmh (depots.yaml "road") and each depot's dispatch_min are hazlink
 * ASSUMPTIONS, not surveyed figures: no road network is modelled. A detour factor of about
 * 1.3 is the usual order of magnitude of road distance over straight-line distance for
 * regional roads; the reply states the factors used so that every figure shown can be
 * traced to them.
 *
 * Each need is covered from the depots in order of arrival (ties in depots.yaml order),
 * never taking more than a depot can still promise (stock_level.available), a material
 * named twice not promised twice; what no depot has is the shortfall. A need's completion
 * time is the arrival of the last depot it takes from.
 */
#ifndef STOCK_COVER_H
#define STOCK_COVER_H

#include <stddef.h>
#include <stdint.h>
#include "reserve.h"

#define STOCK_DETOUR_MIN 1.0 /* a road is never shorter than the straight line */
#define STOCK_DETOUR_MAX 5.0
#define STOCK_SPEED_MAX_KMH 120.0
#define STOCK_DISPATCH_MAX_MIN 1440.0

typedef struct stock_cover_line {
    char material_id[HL_ID_MAX + 1];
    char depot_id[HL_ID_MAX + 1];
    double quantity;
    double straight_km, road_km, dispatch_min, travel_min;
    int64_t arrival_ms;
} stock_cover_line;

typedef struct stock_cover_need {
    char material_id[HL_ID_MAX + 1];
    double quantity, covered, shortfall;
    int64_t complete_ms; /* 0: nothing covers any of it */
} stock_cover_need;

/* Large (≈ 400 KB): allocate with stock_cover_new. */
typedef struct stock_cover {
    size_t nlines;
    stock_cover_line lines[STOCK_LINES_MAX]; /* need by need, each in arrival order */
    size_t nneeds;
    stock_cover_need needs[STOCK_LINES_MAX];
} stock_cover;

stock_cover *stock_cover_new(void);
void stock_cover_destroy(stock_cover **c);

/* Cover needs near (lat, lon) from ds as of as_of_ms (Unix ms), without changing ds.
 *  HL_EINVAL  point out of range; a quantity negative, not finite or over STOCK_QTY_MAX; an
 *             empty material id; ds->detour_factor outside [STOCK_DETOUR_MIN,
 *             STOCK_DETOUR_MAX], ds->speed_kmh outside (0, STOCK_SPEED_MAX_KMH], a depot's
 *             dispatch_min outside [0, STOCK_DISPATCH_MAX_MIN]
 *  HL_ETOOBIG more than STOCK_LINES_MAX needs or lines
 *  HL_ENOMEM
 * On error *out is left empty. */
int stock_cover_plan(const stock_depots *ds, double lat, double lon, const stock_need *needs,
                     size_t nneeds, int64_t as_of_ms, stock_cover *out);

#endif
