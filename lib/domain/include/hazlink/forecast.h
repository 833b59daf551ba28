/* forecast.h — where and when a pollution plume crosses the limit, peaks and clears at every
 * space, monitoring section and receptor downstream.
 *
 * MODEL: the 1-D advection–dispersion equation with first-order decay
 *     ∂C/∂t + u ∂C/∂x = K ∂²C/∂x² − k C
 * along the chain of reaches, each with its own u (hl_reach.velocity_m_s[season]), K
 * (hl_reach.k_m2_s[season]: given or from a published formula, network.h), k
 * (hl_reach.decay_per_h) and discharge Q = u A. Solved analytically at each point with the
 * travel-time transform (plume.h: exact in a uniform channel; across reaches the temporal
 * variance Σ 2 K Δx/u³ and the decay Σ k Δx/u accumulate, see plume.h for where it
 * approximates). Concentrations in mg/L; times Unix ms.
 *
 * Two anchors:
 *  - HL_ANCHOR_RELEASE: M kg entered at chainage_km at start_ms, instantaneously
 *    (duration_s = 0: a slug) or at a constant rate over duration_s (a pulse, C0 = M/(Q T)
 *    at the release section). M = 0 (unknown): no concentration can be computed; every
 *    reached point is ASSUMED to exceed (an unknown plume is a plume), with front = peak =
 *    the advective arrival, until an observation downstream gives the plume its size.
 *  - HL_ANCHOR_OBSERVED: the limit was first exceeded at station_id at start_ms with
 *    observed_mg_l. The station's readings (this one and later ones in obs[] for the same
 *    station) are the source: each held until the next, the highest so far held with no end
 *    (plume.h HL_SRC_STEPS). Nobody knows yet when it stops, so no point gets a clear time
 *    (open_ended) and the volume to hold is unknown. The observing station is not a point.
 *
 * RE-ANCHORING by later readings (obs[] at stations downstream of the anchor, other than the
 * anchor station): per station, the highest reading (value, time) is the observed peak
 * when the readings there have turned down (the latest is lower) or the model's peak time
 * there has passed by the latest reading. Then the model is scaled so its peak there equals
 * the observed one (scale = observed / model peak: the released mass, as the model sees it,
 * times scale) and shifted so its peak time there is the observed time (shift = observed −
 * model peak time); a release of unknown mass gets its size this way (the model of a 1 kg
 * release scaled). Before the peak is seen, a reading above the model at its time scales the
 * model up (never down), without a shift. The scale and shift apply at the station and every
 * point downstream of it, up to the next re-anchored station; points upstream keep the
 * model. Readings upstream of the anchor are ignored (and said so in hl_reanchor.note).
 *
 * For each point: front = when C first exceeds limit_mg_l, peak time and concentration,
 * clear = when it falls back below (bisection to HL_PLUME_TOL_S on the analytical curve,
 * plume.h). A point is threatened when its peak exceeds the limit (or the concentration or
 * the limit is unknown) and its front falls within start_ms + horizon_h.
 * Pure: no clock (the caller passes start_ms and now_ms), no I/O.
 */
#ifndef HL_FORECAST_H
#define HL_FORECAST_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/network.h"
#include "hazlink/plume.h"

#define HL_FORECAST_MAX_HORIZON_H (24.0 * 30.0) /* a month; longer is a typo */
#define HL_FORECAST_MAX_OBS 64                  /* later readings one forecast takes */
#define HL_FORECAST_TEXT_MAX 1023               /* method and caveat texts */
#define HL_FORECAST_NOTE_MAX 255                /* one re-anchoring's note */

typedef enum { HL_ANCHOR_RELEASE = 0, HL_ANCHOR_OBSERVED = 1 } hl_anchor_kind;

/* A reading of the incident's substance at a monitoring station. */
typedef struct hl_observation {
    char station_id[HL_NET_ID_MAX + 1];
    double value_mg_l;         /* > 0 */
    int64_t at_ms;             /* when it was measured (Unix ms) */
} hl_observation;

typedef struct hl_forecast_req {
    hl_anchor_kind anchor;
    double chainage_km;        /* release point; for an observation the station's chainage is used */
    char station_id[HL_NET_ID_MAX + 1]; /* observation: the station (excluded from points) */
    int64_t start_ms;          /* release start, or first exceedance at the station; Unix ms */
    double mass_kg;            /* release: released mass; 0 = unknown */
    double duration_s;         /* release: 0 = instantaneous, > 0 = continuous over this time */
    double observed_mg_l;      /* observation: concentration measured; 0 = unknown */
    double limit_mg_l;         /* the substance's limit (GB 3838-2002) at the points; 0 = unknown */
    hl_season season;          /* selects velocities and K by season */
    double horizon_h;          /* only fronts within start_ms + horizon count; (0, 720] */
    int64_t now_ms;            /* when set-up of the spaces starts (the plan's creation) */
    hl_observation obs[HL_FORECAST_MAX_OBS]; /* later readings, any order (re-anchoring) */
    size_t n_obs;
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
    double travel_s;           /* advection from the anchor (τ), seconds */
    int64_t arrival_ms;        /* start_ms + travel (centre of mass, always computed) */
    int within_horizon;        /* arrival_ms <= start_ms + horizon */
    int concentration_known;   /* peak_mg_l is a model result */
    int exceeds;               /* peak > limit, or concentration/limit unknown (assumed) */
    int threatened;            /* exceeds && front within the horizon */
    int64_t front_ms;          /* limit first exceeded here; 0 = not threatened */
    int64_t peak_ms;           /* time of the peak (also when not exceeding); for an open-
                                  ended plume when 99 % of its steady value is reached */
    double peak_mg_l;          /* 0 = not computed */
    int64_t clear_ms;          /* back below the limit; 0 = not computed or open-ended */
    int open_ended;            /* the plume's end is unknown: no clear time */
    double sigma_s;            /* temporal spread sqrt(Σ 2KΔx/u³) the plume has gained, s */
    double discharge_m3_s;     /* Q at the point (last reach crossed), 0 = unknown */
    double volume_m3;          /* Q × (clear − front): polluted water passing above the limit;
                                  0 = unknown (no clear time, no Q, not exceeding) */
    int reanchor;              /* index+1 into hl_forecast.reanchors governing it; 0 = model */
    int ready_in_time;         /* spaces: now_ms + setup_h <= front_ms */
} hl_forecast_point;

/* What one observed station did to the forecast (see RE-ANCHORING). */
typedef struct hl_reanchor {
    const char *station_id;    /* into the network */
    double chainage_km;
    double observed_mg_l;      /* highest reading there */
    int64_t observed_ms;       /* its time */
    double model_mg_l;         /* the model's peak there before re-anchoring; 0 = unknown */
    int64_t model_ms;          /* its time */
    int peak_seen;             /* the observed peak is taken as the peak */
    double scale;              /* applied to concentrations at and below the station */
    double shift_s;            /* applied to times at and below the station */
    int applied;               /* scale or shift changed the forecast */
    char note[HL_FORECAST_NOTE_MAX + 1]; /* in words */
} hl_reanchor;

typedef struct hl_forecast {
    hl_season season;
    hl_src_kind source;        /* slug, pulse or steps (observed) */
    int velocities_unverified; /* any reach between anchor and the last point is an assumption */
    int dispersion_unverified; /* a formula with an unverified coefficient was used */
    int concentration_known;   /* the source's size is known (mass, reading or re-anchoring) */
    double plug_mg_l;          /* source concentration: pulse C0 = M/(Q T), observed: the
                                  highest reading at the anchor; 0 = not applicable/unknown */
    double source_q_m3_s;      /* discharge at the anchor, 0 = unknown */
    char method[HL_FORECAST_TEXT_MAX + 1];  /* model, source, K per reach, tolerance */
    char caveats[HL_FORECAST_TEXT_MAX + 1]; /* what a user must know (unverified velocities
                                               first), "" if nothing */
    hl_reanchor reanchors[HL_FORECAST_MAX_OBS];
    size_t n_reanchors;
    hl_forecast_point *points; /* sorted by chainage, then space < section < receptor, then id */
    size_t n_points;
} hl_forecast;

/* Travel time between two chainages at the season's velocities: Σ Δx_i / u_i over the reaches.
 * from_km <= to_km, both inside the network. *unverified (may be NULL) gets 1 when any reach
 * crossed has unverified velocities. HL_EINVAL (out of range, to < from). */
int hl_forecast_travel_s(const hl_network *net, hl_season season, double from_km, double to_km,
                         double *out_s, int *unverified);

/* The travel-time path (plume.h) from from_km to to_km: τ, Σ 2KΔx/u³, Σ kΔx/u, dilution,
 * and Q of the reach at from_km (0 when its area is unknown). *q_to (may be NULL) gets Q of
 * the last reach crossed (of the reach at from_km when none is). HL_EINVAL as
 * hl_forecast_travel_s. */
int hl_forecast_path(const hl_network *net, hl_season season, double from_km, double to_km,
                     hl_plume_path *out, double *q_to);

/* Forecast every space, monitoring section and receptor downstream of the anchor.
 *  HL_EINVAL   anchor outside the network, negative mass/duration/limit, horizon out of range,
 *              bad season, observation without a station that is on the network, more than
 *              HL_FORECAST_MAX_OBS observations, an observation at an unknown station or with
 *              a value <= 0
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
