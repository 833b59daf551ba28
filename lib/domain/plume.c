/* plume.c — analytical ADE solutions at a point and the plume's passage (plume.h). */
#include "hazlink/plume.h"

#include <math.h>
#include <string.h>

#include "hazlink/hl_error.h"

static const double k_pi = 3.14159265358979323846;

#define MAX_ITER 200 /* bisection and bracket doubling: far more than the 1 ms tolerance needs */

double hl_plume_erfcx(double x)
{
    if (x < 25.0)
        return exp(x * x) * erfc(x);
    /* Asymptotic series (Abramowitz & Stegun 7.1.23); past x = 25 the first omitted term is
     * below 1e-10 relative, and exp(x²) would soon overflow. */
    double x2 = x * x;
    double s = 1.0 - 1.0 / (2.0 * x2) + 3.0 / (4.0 * x2 * x2) - 15.0 / (8.0 * x2 * x2 * x2);
    return s / (x * sqrt(k_pi));
}

static int nonneg(double x)
{
    return isfinite(x) && x >= 0;
}

int hl_plume_curve_init(const hl_plume_src *s, const hl_plume_path *p, hl_plume_curve *c)
{
    if (!s || !p || !c || !nonneg(p->tau_s) || !nonneg(p->var_s2) || !nonneg(p->decay) ||
        !(p->dilution > 0 && p->dilution <= 1))
        return HL_EINVAL;
    memset(c, 0, sizeof *c);
    c->kind = s->kind;
    c->tau = p->tau_s;
    c->kappa = p->tau_s > 0 ? p->var_s2 / (2.0 * p->tau_s) : 0;
    c->kbar = p->tau_s > 0 ? p->decay / p->tau_s : 0;
    c->w = sqrt(1.0 + 4.0 * c->kbar * c->kappa);
    switch (s->kind) {
    case HL_SRC_SLUG:
    case HL_SRC_PULSE:
        if (!(isfinite(s->mass_kg) && s->mass_kg > 0) ||
            !(isfinite(p->q_src_m3_s) && p->q_src_m3_s > 0))
            return HL_EINVAL;
        if (s->kind == HL_SRC_SLUG) {
            /* kg/m³ = 1000 mg/L */
            c->scale = 1000.0 * s->mass_kg * p->dilution / p->q_src_m3_s;
        } else {
            if (!(isfinite(s->duration_s) && s->duration_s > 0))
                return HL_EINVAL;
            c->duration_s = s->duration_s;
            c->scale = 1000.0 * s->mass_kg / (s->duration_s * p->q_src_m3_s) * p->dilution;
        }
        return 0;
    case HL_SRC_STEPS:
        if (s->n_steps == 0 || s->n_steps > HL_PLUME_MAX_STEPS || s->steps[0].t_s != 0)
            return HL_EINVAL;
        for (size_t i = 0; i < s->n_steps; i++) {
            if (!nonneg(s->steps[i].c_mg_l) || !nonneg(s->steps[i].t_s))
                return HL_EINVAL;
            if (i > 0 && !(s->steps[i].t_s > s->steps[i - 1].t_s &&
                           s->steps[i].c_mg_l >= s->steps[i - 1].c_mg_l))
                return HL_EINVAL;
        }
        c->scale = p->dilution;
        c->src = s;
        return 0;
    }
    return HL_EINVAL;
}

/* The response to a unit concentration held at the source section from time 0 on
 * (Ogata–Banks with decay, in travel-time form: x → τ, u → 1, K → κ). The second term's
 * exp((1+w)τ/(2κ)) erfc(b) is written as exp(−(τ−t)²/(4κt) − k̄t) erfcx(b): the same value,
 * without overflowing when τ/κ (the Péclet number) is large. */
static double unit_step(const hl_plume_curve *c, double t)
{
    if (t <= 0)
        return 0;
    if (c->tau == 0)
        return 1;
    if (c->kappa == 0)
        return t >= c->tau ? exp(-c->kbar * c->tau) : 0;
    double a = 2.0 * sqrt(c->kappa * t), d = c->tau - t;
    double t1 = 0.5 * exp(-2.0 * c->kbar * c->tau / (1.0 + c->w)) * erfc((c->tau - c->w * t) / a);
    double t2 = 0.5 * exp(-d * d / (4.0 * c->kappa * t) - c->kbar * t) *
                hl_plume_erfcx((c->tau + c->w * t) / a);
    return t1 + t2;
}

/* Steady value of unit_step (t → ∞): exp((1−w)τ/(2κ)) = exp(−2k̄τ/(1+w)). */
static double unit_steady(const hl_plume_curve *c)
{
    if (c->tau == 0)
        return 1;
    if (c->kappa == 0)
        return exp(-c->kbar * c->tau);
    return exp(-2.0 * c->kbar * c->tau / (1.0 + c->w));
}

/* ln of the impulse response g = d(unit_step)/dt = τ/sqrt(4πκt³) exp(−(t−τ)²/(4κt) − k̄t). */
static double ln_g(const hl_plume_curve *c, double t)
{
    if (t <= 0)
        return -INFINITY;
    double d = t - c->tau;
    return log(c->tau) - 0.5 * log(4.0 * k_pi * c->kappa) - 1.5 * log(t) -
           d * d / (4.0 * c->kappa * t) - c->kbar * t;
}

double hl_plume_conc(const hl_plume_curve *c, double t)
{
    switch (c->kind) {
    case HL_SRC_SLUG: {
        if (t <= 0 || c->kappa == 0)
            return 0;
        double d = t - c->tau;
        return c->scale / sqrt(4.0 * k_pi * c->kappa * t) *
               exp(-d * d / (4.0 * c->kappa * t) - c->kbar * t);
    }
    case HL_SRC_PULSE:
        return c->scale * (unit_step(c, t) - unit_step(c, t - c->duration_s));
    case HL_SRC_STEPS: {
        double v = 0, prev = 0;
        for (size_t i = 0; i < c->src->n_steps; i++) {
            const hl_plume_step *s = &c->src->steps[i];
            v += (s->c_mg_l - prev) * unit_step(c, t - s->t_s);
            prev = s->c_mg_l;
        }
        return c->scale * v;
    }
    }
    return 0;
}

/* Bisection for C(t) = level on [lo, hi]: rising (C(lo) <= level < C(hi)) or falling
 * (C(lo) > level >= C(hi)). */
static double bisect(const hl_plume_curve *c, double level, double lo, double hi, int rising)
{
    for (int i = 0; i < MAX_ITER && hi - lo > HL_PLUME_TOL_S; i++) {
        double mid = 0.5 * (lo + hi);
        int above = hl_plume_conc(c, mid) > level;
        if (above == rising)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

/* A time after `from` at which C <= level (falling side), stepping out from `step`. */
static int bracket_below(const hl_plume_curve *c, double level, double from, double step,
                         double *out)
{
    for (int i = 0; i < MAX_ITER; i++, step *= 2) {
        if (hl_plume_conc(c, from + step) <= level) {
            *out = from + step;
            return 0;
        }
    }
    return HL_EINVAL;
}

/* A time after `from` at which C > level (rising side of a monotone curve). */
static int bracket_above(const hl_plume_curve *c, double level, double from, double step,
                         double *out)
{
    for (int i = 0; i < MAX_ITER; i++, step *= 2) {
        if (hl_plume_conc(c, from + step) > level) {
            *out = from + step;
            return 0;
        }
    }
    return HL_EINVAL;
}

/* Plug flow (κ = 0) or a point at the source (τ = 0): piecewise constant. */
static void plug_passage(const hl_plume_curve *c, double limit, hl_plume_passage *o)
{
    double att = c->scale * unit_steady(c);
    if (c->kind == HL_SRC_PULSE) {
        o->peak_s = c->tau;
        o->peak_mg_l = att;
        o->exceeds = limit > 0 && att > limit;
        o->front_s = c->tau;
        o->clear_s = c->tau + c->duration_s;
        return;
    }
    const hl_plume_src *s = c->src;
    double top = s->steps[s->n_steps - 1].c_mg_l;
    o->open_ended = 1;
    o->peak_mg_l = att * top;
    o->exceeds = limit > 0 && o->peak_mg_l > limit;
    int front = 0, peak = 0;
    for (size_t i = 0; i < s->n_steps; i++) {
        double v = att * s->steps[i].c_mg_l;
        if (!front && v > limit) {
            o->front_s = s->steps[i].t_s + c->tau;
            front = 1;
        }
        if (!peak && s->steps[i].c_mg_l >= top) {
            o->peak_s = s->steps[i].t_s + c->tau;
            peak = 1;
        }
    }
}

int hl_plume_passage_find(const hl_plume_curve *c, double limit, hl_plume_passage *o)
{
    if (!c || !o || !(isfinite(limit) && limit >= 0))
        return HL_EINVAL;
    memset(o, 0, sizeof *o);
    if (c->kind == HL_SRC_SLUG && (c->kappa == 0 || c->tau == 0)) {
        /* No length, no finite concentration: only the arrival is known. */
        o->peak_s = c->tau;
        return 0;
    }
    o->known = 1;
    if (c->kappa == 0 || c->tau == 0) {
        plug_passage(c, limit, o);
        return 0;
    }
    double sigma = sqrt(2.0 * c->kappa * c->tau); /* temporal spread at the point, s */
    double km = 1.0 + 4.0 * c->kbar * c->kappa;
    int rc = 0;
    switch (c->kind) {
    case HL_SRC_SLUG:
        o->peak_s = (-c->kappa + sqrt(c->kappa * c->kappa + km * c->tau * c->tau)) / km;
        o->peak_mg_l = hl_plume_conc(c, o->peak_s);
        break;
    case HL_SRC_PULSE: {
        /* dC/dt = C0 (g(t) − g(t−T)) changes sign once, between the mode of g and mode + T. */
        double tm = (-3.0 * c->kappa + sqrt(9.0 * c->kappa * c->kappa + km * c->tau * c->tau)) / km;
        double lo = tm, hi = tm + c->duration_s;
        for (int i = 0; i < MAX_ITER && hi - lo > HL_PLUME_TOL_S; i++) {
            double mid = 0.5 * (lo + hi);
            if (ln_g(c, mid) - ln_g(c, mid - c->duration_s) > 0)
                lo = mid;
            else
                hi = mid;
        }
        o->peak_s = 0.5 * (lo + hi);
        o->peak_mg_l = hl_plume_conc(c, o->peak_s);
        break;
    }
    case HL_SRC_STEPS: {
        const hl_plume_src *s = c->src;
        double steady = c->scale * s->steps[s->n_steps - 1].c_mg_l * unit_steady(c);
        double level = HL_PLUME_PLATEAU * steady, hi;
        o->open_ended = 1;
        o->peak_mg_l = steady;
        if (steady <= 0) {
            o->peak_s = c->tau;
            break;
        }
        if ((rc = bracket_above(c, level, 0, c->tau + sigma, &hi)) < 0)
            return rc;
        o->peak_s = bisect(c, level, 0, hi, 1);
        break;
    }
    }
    o->exceeds = limit > 0 && o->peak_mg_l > limit;
    if (!o->exceeds)
        return 0;
    double hi = o->peak_s;
    if (hl_plume_conc(c, hi) <= limit && (rc = bracket_above(c, limit, hi, sigma, &hi)) < 0)
        return rc;
    o->front_s = bisect(c, limit, 0, hi, 1);
    if (o->open_ended)
        return 0;
    if ((rc = bracket_below(c, limit, o->peak_s, sigma, &hi)) < 0)
        return rc;
    o->clear_s = bisect(c, limit, o->peak_s, hi, 0);
    return 0;
}
