/* plume.h — analytical solutions of the 1-D advection–dispersion equation with first-order
 * decay,
 *     ∂C/∂t + u ∂C/∂x = K ∂²C/∂x² − k C,
 * seen at one point downstream of a source, and the passage of the plume there: when the
 * front crosses a limit, when and how high the peak is, when it falls back below the limit.
 * Pure numerics: no I/O, no clock, no allocation.
 *
 * CHAIN OF REACHES: THE TRAVEL-TIME TRANSFORM. Between the source and the point the river is a
 * chain of reaches i, each with its own velocity u_i, dispersion K_i, decay k_i and discharge
 * Q_i = u_i A_i, crossed over a length Δx_i. With the travel-time coordinate
 * τ = ∫ dx/u the equation of a uniform reach becomes ∂C/∂t + ∂C/∂τ = (K/u²) ∂²C/∂τ² − kC: a
 * channel of unit velocity and "dispersion" κ = K/u² (seconds). The path to a point is
 * summarised (hl_plume_path) by
 *     τ  = Σ Δx_i / u_i                       travel time of the centre of mass, s
 *     s² = Σ 2 K_i Δx_i / u_i³                temporal variance the plume has gained, s²
 *     λ  = Σ k_i Δx_i / u_i                   decay exponent over the travel time
 * and the point is solved as one uniform channel with τ, κ = s²/(2τ) and k̄ = λ/τ.
 *  - In a uniform channel this is EXACT: the formulas below are then the textbook solutions
 *    (the tests compare them with the untransformed formulas).
 *  - Across reaches it is an approximation: variances add as they do for a plume that is
 *    short compared with each reach (Fischer et al. 1979, "Mixing in Inland and Coastal
 *    Waters", ch. 5: past the initial period σ_x² grows as 2Kt, i.e. σ_t² as 2 K Δx/u³), and the skew near the source
 *    is that of the equivalent uniform channel. It is least accurate where a reach is
 *    shorter than the plume (a plume several km long entering a short fast reach, or the
 *    first hundreds of metres below the source), and the decay of each reach is averaged
 *    over the travel time (k̄). The tests quantify the difference against a finite-difference
 *    solution of two reaches.
 *  - Discharge: concentration is mass flux over discharge. Where Q grows downstream (a
 *    tributary, a reservoir that the data gives more flow) the plume is diluted by
 *    Q_i/Q_{i+1}; where it shrinks (headworks diverting water into canals) the diverted
 *    water carries its share of the pollutant away and the concentration is unchanged
 *    (dilution = Π min(1, Q_i/Q_{i+1})). Mass is therefore conserved wherever Q is constant
 *    and decay is zero, which the tests check by integrating C·Q dt at a point.
 *
 * SOURCES (time 0 = when the source starts, at the source point):
 *  - HL_SRC_SLUG: an instantaneous release of M kg. In a uniform channel of area A:
 *        C(x,t) = M / (A sqrt(4πKt)) exp(−(x−ut)²/(4Kt) − kt)
 *    (the one-dimensional instantaneous source of Fischer et al. 1979 ch. 2, with decay; in τ
 *    form M/(Q sqrt(4πκt)) exp(−(t−τ)²/(4κt) − k̄t)).
 *  - HL_SRC_PULSE: a continuous release of M kg at a constant rate over T s, as a source of
 *    concentration C0 = M/(Q T) held for T s at the source section (first-type boundary).
 *    In a uniform channel, for a source held from 0 on:
 *        C/C0 = ½ exp((u−w)x/(2K)) erfc((x−wt)/(2√(Kt))) + ½ exp((u+w)x/(2K)) erfc((x+wt)/(2√(Kt)))
 *    with w = u sqrt(1 + 4kK/u²) (Ogata & Banks 1961, USGS Prof. Paper 411-A, with decay as in
 *    Bear 1972 and van Genuchten & Alves 1982); the pulse is that minus the same shifted by T.
 *  - HL_SRC_STEPS: concentrations observed at the source section (a monitoring station)
 *    from given times on, each held until the next, the last one held with no end (nobody
 *    knows yet when it stops): superposed first-type steps. The steps are a running maximum
 *    (the caller passes them so): the curve only rises, its peak is the steady value it
 *    approaches, and it never clears.
 *
 * ROOT FINDING. Times are found by bisection on the analytical curve to HL_PLUME_TOL_S:
 *  - slug: the peak time in closed form, t* = (−κ + sqrt(κ² + (1+4k̄κ)τ²))/(1+4k̄κ);
 *  - pulse: the peak where dC/dt = g(t) − g(t−T) = 0, g the impulse response (unimodal), by
 *    bisection on ln g(t) − ln g(t−T) between the mode of g and the mode + T;
 *  - steps: the "peak" time is when the curve first reaches 99 % of its steady value;
 *  - front: the limit crossing between 0 (C = 0) and the peak; clear: between the peak and
 *    a time found by doubling a step of one standard deviation until C < limit.
 * Each curve is unimodal (slug, pulse) or monotone (steps), so the crossing found is the
 * only one.
 * With K = 0 (κ = 0) the curve is plug flow: a pulse is C0 e^(−k̄τ) from τ to τ+T, steps
 * are shifted by τ; a slug has no length and no finite concentration (known = 0).
 */
#ifndef HL_PLUME_H
#define HL_PLUME_H

#include <stddef.h>

#define HL_PLUME_TOL_S 1e-3       /* bisection stops when the bracket is under 1 ms */
#define HL_PLUME_PLATEAU 0.99     /* steps: "peak" when 99 % of the steady value is reached */
#define HL_PLUME_MAX_STEPS 64     /* observations at one source section */

/* What lies between the source and the point (see above). */
typedef struct hl_plume_path {
    double tau_s;     /* Σ Δx/u, s, >= 0 */
    double var_s2;    /* Σ 2 K Δx / u³, s², >= 0 */
    double decay;     /* Σ k Δx / u (dimensionless), >= 0 */
    double dilution;  /* Π min(1, Q_i/Q_{i+1}), in (0, 1] */
    double q_src_m3_s;/* discharge of the source reach, m³/s, > 0 (slug and pulse) */
} hl_plume_path;

typedef enum { HL_SRC_SLUG = 0, HL_SRC_PULSE = 1, HL_SRC_STEPS = 2 } hl_src_kind;

typedef struct hl_plume_step {
    double t_s;     /* from this time (s after time 0; the first is 0) */
    double c_mg_l;  /* the concentration at the source section, mg/L, >= the previous */
} hl_plume_step;

typedef struct hl_plume_src {
    hl_src_kind kind;
    double mass_kg;      /* slug, pulse: > 0 */
    double duration_s;   /* pulse: > 0 */
    hl_plume_step steps[HL_PLUME_MAX_STEPS]; /* steps: increasing t_s, non-decreasing c */
    size_t n_steps;
} hl_plume_src;

/* One source seen at one point. */
typedef struct hl_plume_curve {
    hl_src_kind kind;
    double tau, kappa, kbar, w; /* transformed channel; kappa 0 = plug flow */
    double scale;        /* slug: 1000 M dilution / Q (mg/L·s); pulse: C0 dilution (mg/L);
                            steps: dilution */
    double duration_s;   /* pulse */
    const hl_plume_src *src; /* steps (borrowed: must outlive the curve) */
} hl_plume_curve;

/* Build the curve. HL_EINVAL for a path or source out of range (negative, non-finite,
 * dilution outside (0,1], Q <= 0 for slug/pulse, steps unordered or empty). */
int hl_plume_curve_init(const hl_plume_src *src, const hl_plume_path *path, hl_plume_curve *out);

/* C at time t (s after time 0), mg/L. 0 before the source starts. A slug under plug flow
 * (kappa 0) has no finite value: returns 0 (see hl_plume_passage, known = 0). */
double hl_plume_conc(const hl_plume_curve *c, double t_s);

/* The plume's passage at the point, times in s after time 0. */
typedef struct hl_plume_passage {
    int known;        /* concentration computable (not a slug under plug flow) */
    int exceeds;      /* peak > limit (when known) */
    double peak_s;    /* time of the peak (slug under plug flow: τ) */
    double peak_mg_l; /* 0 when not known */
    double front_s;   /* first crossing above the limit; valid when exceeds */
    double clear_s;   /* back below the limit; valid when exceeds && !open_ended */
    int open_ended;   /* steps: the plume has no known end */
} hl_plume_passage;

/* Analyse the curve against limit_mg_l (>= 0; 0 = the limit is unknown: the peak only,
 * exceeds 0, no front or clear). HL_EINVAL for a negative or non-finite limit. */
int hl_plume_passage_find(const hl_plume_curve *c, double limit_mg_l, hl_plume_passage *out);

/* exp(x²) erfc(x) for x >= 0 without overflow (the scaled complementary error function). */
double hl_plume_erfcx(double x);

#endif
