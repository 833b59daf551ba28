/* forecast.h — where and when a pollution front and peak arrive downstream.
 *
 * The interface is shaped for the 1-D advection–dispersion equation with first-order decay
 *     ∂C/∂t + u ∂C/∂x = K ∂²C/∂x² − k C
 * (u section velocity of the season, K longitudinal dispersion, k decay), with per reach
 * u = hl_reach.velocity_m_s[season], K = hl_reach.dispersion_m2_s, k = hl_reach.decay_per_h.
 *
 * WHAT ISSUE 2 COMPUTES: advection only (plug flow). Dispersion and decay are carried in the
 * structs and are ADDED BY A LATER ISSUE; nothing here pretends to use them.
 *  - travel time from the anchor to a point = Σ over the reaches between them of
 *    (length of the reach inside the interval, m) / u(season) (s);
 *  - front = peak = anchor time + travel time;
 *  - clear = front + release duration when the duration is known (> 0), else 0 (not
 *    computed: without dispersion an instantaneous plug has no length);
 *  - peak concentration, "plug estimate": for a release of known mass M (kg) over a known
 *    duration T (s) into a reach of known area A (m²): C = M / (Q T) with Q = u A of the
 *    release reach, i.e. C[mg/L] = 1000 M / (u A T). Without dispersion and decay a plug
 *    keeps that concentration all the way down, so every point gets the same value. This is
 *    an upper-bound style estimate, not a model result. When the anchor is an observation, the
 *    observed concentration is carried down unchanged (the first exceedance reading is not
 *    necessarily the peak). When neither is known the peak is 0 ("not computed") and the
 *    point is ASSUMED to exceed the limit (conservative: an unknown plume is a plume).
 *
 * Two anchors:
 *  - a release: entered the river at chainage_km at start_ms (a report, or a suspected
 *    source); points at or below the release chainage are forecast.
 *  - an observation: the exceedance was first observed at a monitoring station (station_id
 *    at chainage_km) at start_ms; downstream points get start_ms + travel time from that
 *    station. The observing station itself is not a forecast point.
 *
 * Pure: no clock (the caller passes start_ms and now_ms), no I/O.
 */
#ifndef HL_FORECAST_H
#define HL_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/network.h"

#define HL_FORECAST_MAX_HORIZON_H (24.0 * 30.0) /* a month; longer is a typo */

typedef enum { HL_ANCHOR_RELEASE = 0, HL_ANCHOR_OBSERVED = 1 } hl_anchor_kind;

typedef struct hl_forecast_req {
    hl_anchor_kind anchor;
    double chainage_km;        /* release point; for an observation the station's chainage is used */
    char station_id[HL_NET_ID_MAX + 1]; /* observation: the station (excluded from points) */
    int64_t start_ms;          /* release start, or first exceedance at the station; Unix ms */
    double mass_kg;            /* release: released mass; 0 = unknown */
    double duration_s;         /* release: duration; 0 = instantaneous or unknown */
    double observed_mg_l;      /* observation: concentration measured; 0 = unknown */
    double limit_mg_l;         /* the substance's limit (GB 3838-2002) at the points; 0 = unknown */
    hl_season season;          /* selects hl_reach.velocity_m_s[season] */
    double horizon_h;          /* only arrivals within start_ms + horizon count; (0, 720] */
    int64_t now_ms;            /* when the plan is made: spaces start setting up then */
} hl_forecast_req;

typedef enum {
    HL_POINT_SPACE = 0,
    HL_POINT_SECTION = 1,      /* monitoring station */
    HL_POINT_RECEPTOR = 2
} hl_point_kind;

typedef struct hl_forecast_point {
    hl_point_kind kind;
    size_t index;              /* into net->spaces / stations / receptors */
    const char *id;            /* points into the network */
    const char *name;
    double chainage_km;
    double travel_s;           /* from the anchor, seconds */
    int64_t arrival_ms;        /* start_ms + travel (advection, always computed) */
    int within_horizon;        /* arrival_ms <= start_ms + horizon */
    int exceeds;               /* peak > limit, or concentration unknown (assumed) */
    int threatened;            /* exceeds && within_horizon */
    int64_t front_ms;          /* when the limit is first exceeded here; 0 = not threatened */
    int64_t peak_ms;           /* 0 = not threatened */
    double peak_mg_l;          /* plug estimate; 0 = not computed */
    int64_t clear_ms;          /* back below the limit; 0 = not computed */
    int ready_in_time;         /* spaces: now_ms + setup_h <= front_ms */
} hl_forecast_point;

typedef struct hl_forecast {
    hl_season season;
    int velocities_unverified; /* any reach between anchor and the last point is an assumption */
    int concentration_known;   /* peak_mg_l computed (plug estimate or observation) */
    double plug_mg_l;          /* the plug concentration carried down; 0 = unknown */
    const char *method;        /* "advection (plug flow); dispersion and decay: later issue" */
    hl_forecast_point *points; /* sorted by chainage, then space < section < receptor, then id */
    size_t n_points;
} hl_forecast;

/* Travel time between two chainages at the season's velocities: Σ Δx_i / u_i over the reaches.
 * from_km <= to_km, both inside the network. *unverified (may be NULL) gets 1 when any reach
 * crossed has unverified velocities. HL_EINVAL (out of range, to < from). */
int hl_forecast_travel_s(const hl_network *net, hl_season season, double from_km, double to_km,
                         double *out_s, int *unverified);

/* Forecast every space, monitoring section and receptor downstream of the anchor.
 *  HL_EINVAL   anchor outside the network, negative mass/duration/limit, horizon out of range,
 *              bad season, observation without a station that is on the network
 *  HL_ENOMEM
 * *out owned by the caller: hl_forecast_destroy. Point ids/names point into net, which must
 * outlive the forecast. */
int hl_forecast_run(const hl_network *net, const hl_forecast_req *req, hl_forecast **out);
void hl_forecast_destroy(hl_forecast **f);

/* The point for id, or NULL. */
const hl_forecast_point *hl_forecast_point_find(const hl_forecast *f, const char *id);

/* "space", "section", "receptor" (ForecastPoint.kind). */
const char *hl_point_kind_name(hl_point_kind k);

#endif
