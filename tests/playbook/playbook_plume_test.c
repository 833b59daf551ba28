/* Accuracy of the advection–dispersion–decay forecast (lib/domain plume.c, forecast.c
 * hl_forecast_path, dispersion.c) against the textbook solutions it claims to reproduce.
 * Every case cites the formula it checks and prints what it measured (ctest -V shows it).
 *
 *  - instantaneous slug with decay in a uniform channel:
 *        C = M / (A sqrt(4πKt)) exp(−(x−ut)²/(4Kt) − kt)
 *    (one-dimensional instantaneous source, Fischer et al. 1979 "Mixing in Inland and
 *    Coastal Waters" ch. 2, with first-order decay);
 *  - continuous source, Ogata & Banks (1961, USGS Prof. Paper 411-A):
 *        C/C0 = ½ [erfc((x−ut)/(2√(Kt))) + exp(ux/K) erfc((x+ut)/(2√(Kt)))]
 *    and with decay (van Genuchten & Alves 1982, USDA Tech. Bull. 1661; Bear 1972):
 *        C/C0 = ½ exp((u−w)x/(2K)) erfc((x−wt)/(2√(Kt))) + ½ exp((u+w)x/(2K))
 * erfc((x+wt)/(2√(Kt))), w = u sqrt(1 + 4kK/u²)
 *  - mass: ∫ C Q dt at a point and ∫ C A dx at a time equal the released mass (no decay);
 *  - pure advection as K → 0: peak and front times → x/u;
 *  - a velocity change between reaches: τ and σ² = Σ 2KΔx/u³ by hand, and the travel-time
 *    transform against a finite-volume solution of the same two reaches;
 *  - each dispersion formula against a value worked out by hand.
 * Concentrations are mg/L (1 kg/m³ = 1000 mg/L).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/dispersion.h"
#include "hazlink/forecast.h"
#include "hazlink/hl_error.h"
#include "hazlink/plume.h"
#include "pb_testutil.h"

static const double PI = 3.14159265358979323846;

/* A chain of reaches built in memory (the same in every season). */
typedef struct seg {
    double len_km, u, area, k_m2_s, decay_h;
} seg;

static hl_network *chain(const seg *s, size_t n)
{
    hl_network *net = calloc(1, sizeof *net);
    assert_non_null(net);
    net->reaches = calloc(n, sizeof *net->reaches);
    assert_non_null(net->reaches);
    double km = 0;
    for (size_t i = 0; i < n; i++) {
        hl_reach *r = &net->reaches[i];
        snprintf(r->id, sizeof r->id, "r%zu", i + 1);
        snprintf(r->kind, sizeof r->kind, "channel");
        r->from_km = km;
        r->to_km = km += s[i].len_km;
        for (int k = 0; k < HL_SEASON_COUNT; k++) {
            r->velocity_m_s[k] = s[i].u;
            r->k_m2_s[k] = s[i].k_m2_s;
        }
        r->area_m2 = s[i].area;
        r->decay_per_h = s[i].decay_h;
        r->dispersion_given = 1;
        r->dispersion_m2_s = s[i].k_m2_s;
    }
    net->n_reaches = n;
    return net;
}

static hl_plume_curve curve(const hl_network *net, double from_km, double to_km,
                            const hl_plume_src *src)
{
    hl_plume_path p;
    hl_plume_curve c;
    assert_int_equal(hl_forecast_path(net, HL_SEASON_SUMMER, from_km, to_km, &p, NULL), 0);
    assert_int_equal(hl_plume_curve_init(src, &p, &c), 0);
    return c;
}

static hl_plume_src slug(double mass)
{
    hl_plume_src s;
    memset(&s, 0, sizeof s);
    s.kind = HL_SRC_SLUG;
    s.mass_kg = mass;
    return s;
}

static hl_plume_src pulse(double mass, double duration)
{
    hl_plume_src s = slug(mass);
    s.kind = HL_SRC_PULSE;
    s.duration_s = duration;
    return s;
}

/* The slug formula in x (not τ) form, mg/L. */
static double slug_exact(double m, double a, double u, double k, double dec, double x, double t)
{
    if (t <= 0)
        return 0;
    double d = x - u * t;
    return 1000.0 * m / (a * sqrt(4 * PI * k * t)) * exp(-d * d / (4 * k * t) - dec * t);
}

/* Ogata–Banks with decay (van Genuchten & Alves / Bear), C/C0, x form. k = 0 gives the plain
 * Ogata–Banks formula. */
static double ob_exact(double u, double k, double dec, double x, double t)
{
    if (t <= 0)
        return 0;
    double w = u * sqrt(1 + 4 * dec * k / (u * u)), a = 2 * sqrt(k * t);
    return 0.5 * exp((u - w) * x / (2 * k)) * erfc((x - w * t) / a) +
           0.5 * exp((u + w) * x / (2 * k)) * erfc((x + w * t) / a);
}

/* Bisection on a function of t (the tests' own, independent of plume.c). */
typedef double (*fn_t)(double t, const void *ud);
static double root(fn_t f, const void *ud, double level, double lo, double hi)
{
    int rising = f(lo, ud) < level;
    for (int i = 0; i < 200 && hi - lo > 1e-4; i++) {
        double mid = 0.5 * (lo + hi);
        if ((f(mid, ud) > level) == rising)
            hi = mid;
        else
            lo = mid;
    }
    return 0.5 * (lo + hi);
}

typedef struct slug_case {
    double m, a, u, k, dec, x;
} slug_case;

static double slug_fn(double t, const void *ud)
{
    const slug_case *c = ud;
    return slug_exact(c->m, c->a, c->u, c->k, c->dec, c->x, t);
}

/* Instantaneous slug with decay, uniform channel: C = M/(A sqrt(4πKt)) exp(−(x−ut)²/(4Kt) − kt).
 * u 0.8 m/s, A 50 m², K 30 m²/s, k 0.05 /h, M 100 kg, x 15 km (τ = 18 750 s). The curve
 * within 1 % wherever C >= 0.1 % of the peak, and the peak, front and clear times of
 * plume.c against the tests' own x-form solution: peak where (u² + 4kK) t² + 2Kt − x² = 0. */
static void test_slug_uniform_1pct(void **state)
{
    (void)state;
    const slug_case c = {100, 50, 0.8, 30, 0.05 / 3600.0, 15000};
    seg s[] = {{20, 0.8, 50, 30, 0.05}};
    hl_network *net = chain(s, 1);
    hl_plume_src src = slug(c.m);
    hl_plume_curve cv = curve(net, 0, 15, &src);
    double a2 = c.u * c.u + 4 * c.dec * c.k;
    double tpk = (-c.k + sqrt(c.k * c.k + a2 * c.x * c.x)) / a2;
    double cpk = slug_exact(c.m, c.a, c.u, c.k, c.dec, c.x, tpk);
    double sig = sqrt(2 * c.k * c.x / (c.u * c.u * c.u)), worst = 0;
    for (int i = 0; i <= 400; i++) {
        double t = tpk - 6 * sig + 12 * sig * i / 400.0;
        double ex = slug_exact(c.m, c.a, c.u, c.k, c.dec, c.x, t);
        if (ex < 1e-3 * cpk)
            continue;
        double rel = fabs(hl_plume_conc(&cv, t) - ex) / ex;
        worst = rel > worst ? rel : worst;
    }
    hl_plume_passage p;
    double limit = 0.01; /* benzene, GB 3838-2002 表3 item 19, mg/L */
    assert_int_equal(hl_plume_passage_find(&cv, limit, &p), 0);
    double front = root(slug_fn, &c, limit, 1, tpk), clear = root(slug_fn, &c, limit, tpk, 1e6);
    print_message("    slug: peak %.6g mg/L at %.3f s (exact %.6g at %.3f s); front %.3f s "
                  "(exact %.3f), clear %.3f s (exact %.3f); worst relative error %.2e\n",
                  p.peak_mg_l, p.peak_s, cpk, tpk, p.front_s, front, p.clear_s, clear, worst);
    assert_true(worst < 0.01);
    assert_true(fabs(p.peak_mg_l - cpk) / cpk < 0.01);
    assert_true(fabs(p.peak_s - tpk) < 0.01);
    assert_true(p.exceeds && p.known && !p.open_ended);
    /* Crossings to the stated tolerance (1 ms), plus the tests' own 0.1 ms. */
    assert_true(fabs(p.front_s - front) < 2e-3);
    assert_true(fabs(p.clear_s - clear) < 2e-3);
    /* The same channel cut into three reaches gives the same curve (the transform is exact
     * for a uniform channel). */
    seg s3[] = {{4, 0.8, 50, 30, 0.05}, {5, 0.8, 50, 30, 0.05}, {11, 0.8, 50, 30, 0.05}};
    hl_network *net3 = chain(s3, 3);
    hl_plume_curve cv3 = curve(net3, 0, 15, &src);
    hl_plume_passage p3;
    assert_int_equal(hl_plume_passage_find(&cv3, limit, &p3), 0);
    assert_true(fabs(p3.peak_mg_l - p.peak_mg_l) / p.peak_mg_l < 1e-9);
    assert_true(fabs(p3.front_s - p.front_s) < 2e-3);
    hl_network_destroy(&net3);
    hl_network_destroy(&net);
}

/* Continuous source: Ogata–Banks (k = 0) and with decay, uniform channel u 0.5 m/s, A 40 m²,
 * K 10 m²/s, x 5 km (Péclet ux/K = 250). While the source runs (T = 10⁶ s) the pulse is the
 * Ogata–Banks step; after it stops, C0 [F(t) − F(t−T)] (T = 3600 s). Within 1 % wherever
 * C >= 0.1 % of C0. */
static void test_ogata_banks_1pct(void **state)
{
    (void)state;
    const double u = 0.5, a = 40, k = 10, x = 5000, q = u * a;
    const double decays[] = {0, 0.1 / 3600.0};
    for (size_t d = 0; d < 2; d++) {
        double dec = decays[d];
        seg s[] = {{10, u, a, k, dec * 3600.0}};
        hl_network *net = chain(s, 1);
        const double durations[] = {1e6, 3600};
        for (size_t j = 0; j < 2; j++) {
            double T = durations[j], mass = 2.0 * T; /* 2 kg/s */
            double c0 = 1000.0 * mass / (T * q);     /* = 100 mg/L */
            hl_plume_src src = pulse(mass, T);
            hl_plume_curve cv = curve(net, 0, 5, &src);
            double tau = x / u, sig = sqrt(2 * k * x / (u * u * u)), worst = 0, at = 0;
            for (int i = 0; i <= 600; i++) {
                double t = tau - 5 * sig + (T < 1e5 ? T + 12 * sig : 12 * sig) * i / 600.0;
                double ex = c0 * (ob_exact(u, k, dec, x, t) - ob_exact(u, k, dec, x, t - T));
                if (ex < 1e-3 * c0)
                    continue;
                double rel = fabs(hl_plume_conc(&cv, t) - ex) / ex;
                if (rel > worst) {
                    worst = rel;
                    at = t;
                }
            }
            print_message("    Ogata-Banks k=%.2g/h T=%.0f s: C0 %.4g mg/L, worst relative "
                          "error %.2e (at t = %.0f s)\n",
                          dec * 3600, T, c0, worst, at);
            assert_true(worst < 0.01);
        }
        hl_network_destroy(&net);
    }
}

static double trapezoid_ct(const hl_plume_curve *c, double t1, double dt)
{
    double sum = 0, prev = hl_plume_conc(c, 0);
    for (double t = dt; t <= t1; t += dt) {
        double v = hl_plume_conc(c, t);
        sum += 0.5 * (prev + v) * dt;
        prev = v;
    }
    return sum;
}

/* Mass conserved where decay is zero: ∫ C Q dt at points of a chain of three reaches with
 * different velocities and areas but the same discharge (Q = 60 m³/s), for a slug and a pulse
 * of 250 kg; and ∫ C A dx at a fixed time in a uniform channel. Trapezoids of σ/100. */
static void test_mass_conserved(void **state)
{
    (void)state;
    seg s[] = {{6, 1.2, 50, 40, 0}, {4, 0.3, 200, 15, 0}, {10, 0.8, 75, 25, 0}};
    hl_network *net = chain(s, 3);
    const double mass = 250, q = 60;
    const double kms[] = {3, 8, 19};
    for (int k = 0; k < 2; k++) {
        hl_plume_src src = k == 0 ? slug(mass) : pulse(mass, 1800);
        for (size_t i = 0; i < 3; i++) {
            hl_plume_curve c = curve(net, 0, kms[i], &src);
            double sig = sqrt(2 * c.kappa * c.tau);
            double m = trapezoid_ct(&c, c.tau + 1800 + 20 * sig, sig / 100) * q / 1000.0;
            print_message("    %s at km %g: integral of C Q dt = %.4f kg of %.0f\n",
                          k ? "pulse" : "slug", kms[i], m, mass);
            assert_true(fabs(m - mass) / mass < 1e-3);
        }
    }
    hl_network_destroy(&net);
    /* In space: uniform channel u 1 m/s, A 50 m², K 30 m²/s, t = 10 000 s (plume centre at
     * km 10, σx = sqrt(2Kt) = 775 m): ∫ C A dx over 0..30 km, dx 10 m. */
    seg u1[] = {{30, 1.0, 50, 30, 0}};
    net = chain(u1, 1);
    hl_plume_src src = slug(mass);
    double sum = 0;
    for (double x = 10; x < 30000; x += 10) {
        hl_plume_curve c = curve(net, 0, x / 1000.0, &src);
        sum += hl_plume_conc(&c, 10000) * 50 * 10 / 1000.0;
    }
    print_message("    slug at t = 10000 s: integral of C A dx = %.4f kg of %.0f\n", sum, mass);
    assert_true(fabs(sum - mass) / mass < 1e-3);
    hl_network_destroy(&net);
}

/* Pure advection as K → 0: u 1 m/s, x 10 km (x/u = 10 000 s). The slug's peak time tends to
 * x/u (t* = −κ + sqrt(κ² + τ²) with κ = K/u²); the pulse's front and clear at a quarter of
 * its source concentration tend to x/u and x/u + T (T = 600 s). At K = 0 exactly the pulse is
 * a plug and the slug has no finite concentration. */
static void test_pure_advection_limit(void **state)
{
    (void)state;
    const double ks[] = {10, 1, 1e-2, 1e-4};
    double prev_err = 1e9;
    for (size_t i = 0; i < 4; i++) {
        seg s[] = {{20, 1.0, 50, ks[i], 0}};
        hl_network *net = chain(s, 1);
        hl_plume_src sl = slug(10), pu = pulse(10, 600);
        hl_plume_curve c1 = curve(net, 0, 10, &sl), c2 = curve(net, 0, 10, &pu);
        hl_plume_passage p1, p2;
        assert_int_equal(hl_plume_passage_find(&c1, 0, &p1), 0);
        double c0 = 1000.0 * 10 / (600 * 50);
        assert_int_equal(hl_plume_passage_find(&c2, 0.25 * c0, &p2), 0);
        assert_true(p2.exceeds);
        double err = fabs(p1.peak_s - 10000) + fabs(p2.front_s - 10000) + fabs(p2.clear_s - 10600);
        double sigma = sqrt(2 * ks[i] * 10000 / 1.0), kappa = ks[i];
        print_message("    K %g m2/s: slug peak %.4f s, pulse front %.4f s, clear %.4f s "
                      "(x/u = 10000, +T = 10600; sigma %.3g s)\n",
                      ks[i], p1.peak_s, p2.front_s, p2.clear_s, sigma);
        /* The slug's peak lies κ before x/u; the pulse's quarter crossings within σ_t. */
        assert_true(fabs(p1.peak_s - 10000) <= kappa + 1e-3);
        assert_true(fabs(p2.front_s - 10000) <= sigma && fabs(p2.clear_s - 10600) <= sigma);
        assert_true(err < prev_err);
        prev_err = err;
        hl_network_destroy(&net);
    }
    assert_true(prev_err < 2.5); /* K = 1e-4: σ_t = 1.4 s */
    seg s0[] = {{20, 1.0, 50, 0, 0}};
    hl_network *net = chain(s0, 1);
    hl_plume_src sl = slug(10), pu = pulse(10, 600);
    hl_plume_curve c1 = curve(net, 0, 10, &sl), c2 = curve(net, 0, 10, &pu);
    hl_plume_passage p;
    assert_int_equal(hl_plume_passage_find(&c1, 0.01, &p), 0);
    assert_false(p.known);
    assert_true(p.peak_s == 10000);
    assert_int_equal(hl_plume_passage_find(&c2, 0.01, &p), 0);
    assert_true(p.known && p.exceeds);
    assert_true(p.front_s == 10000 && p.clear_s == 10600);
    assert_true(fabs(p.peak_mg_l - 1000.0 * 10 / (600 * 50)) < 1e-12);
    hl_network_destroy(&net);
}

/* Finite-volume solution of A ∂C/∂t + Q ∂C/∂x = ∂/∂x(A K ∂C/∂x) (constant Q), central
 * fluxes, Heun time steps: the reference for a chain of reaches. Returns C(t) at x_at every
 * 10 s into out[] (times in t_out[]), at most max_out values. */
static size_t fv_solve(const seg *s, size_t ns, double dx, double dt, double t_end,
                       double x_release, double mass, double x_at, double *out, size_t max_out,
                       double *t_out)
{
    double len = 0;
    for (size_t i = 0; i < ns; i++)
        len += s[i].len_km * 1000;
    size_t n = (size_t)(len / dx);
    double *a = calloc(n, sizeof *a), *k = calloc(n, sizeof *k), *c = calloc(n, sizeof *c);
    double *c1 = calloc(n, sizeof *c1), *r0 = calloc(n, sizeof *r0), *r1 = calloc(n, sizeof *r1);
    assert_true(a && k && c && c1 && r0 && r1);
    double q = s[0].u * s[0].area;
    for (size_t i = 0; i < n; i++) {
        double x = (i + 0.5) * dx, edge = 0;
        size_t j = 0;
        while (j + 1 < ns && x > (edge += s[j].len_km * 1000))
            j++;
        a[i] = s[j].area;
        k[i] = s[j].k_m2_s;
    }
    size_t src = (size_t)(x_release / dx), at = (size_t)(x_at / dx), m = 0;
    c[src] = 1000.0 * mass / (a[src] * dx); /* mg/L in one cell */
    size_t steps = (size_t)(t_end / dt), every = (size_t)(10 / dt);
    for (size_t st = 0; st < steps; st++) {
        for (int pass = 0; pass < 2; pass++) {
            const double *cc = pass ? c1 : c;
            double *r = pass ? r1 : r0;
            for (size_t i = 1; i + 1 < n; i++) {
                double ak_r = 0.5 * (a[i] * k[i] + a[i + 1] * k[i + 1]);
                double ak_l = 0.5 * (a[i] * k[i] + a[i - 1] * k[i - 1]);
                double f_r = q * 0.5 * (cc[i] + cc[i + 1]) - ak_r * (cc[i + 1] - cc[i]) / dx;
                double f_l = q * 0.5 * (cc[i - 1] + cc[i]) - ak_l * (cc[i] - cc[i - 1]) / dx;
                r[i] = -(f_r - f_l) / (a[i] * dx);
            }
            if (!pass)
                for (size_t i = 0; i < n; i++)
                    c1[i] = c[i] + dt * r0[i];
        }
        for (size_t i = 0; i < n; i++)
            c[i] += 0.5 * dt * (r0[i] + r1[i]);
        if ((st + 1) % every == 0 && m < max_out) {
            /* The value at x_at: linear between the two cell centres around it. */
            double f = x_at / dx - (at + 0.5);
            size_t i0 = f >= 0 ? at : at - 1;
            double w = f >= 0 ? f : 1 + f;
            out[m] = c[i0] * (1 - w) + c[i0 + 1] * w;
            t_out[m++] = (st + 1) * dt;
        }
    }
    free(a), free(k), free(c), free(c1), free(r0), free(r1);
    return m;
}

/* A velocity change between reaches. Released at km 2 of [0, 8] km (u 1.0 m/s, A 100 m²,
 * K 20 m²/s: κ = K/u² = 20 s), observed at km 12 of [8, 14] km (u 0.5 m/s, A 200 m², K 10 m²/s:
 * κ = 40 s), Q = 100 m³/s throughout. By hand:
 *   τ  = 6000/1.0 + 4000/0.5 = 6000 + 8000 = 14 000 s
 *   σ² = 2·20·6000/1.0³ + 2·10·4000/0.5³ = 240 000 + 640 000 = 880 000 s² (σ = 938.08 s)
 *   κ  = σ²/(2τ) = 31.428571 s; slug peak t* = −κ + sqrt(κ² + τ²) = 13 968.607 s
 *   peak C = 1000 M/(Q sqrt(4πκt*)) exp(−(t*−τ)²/(4κt*))
 *          = 1000·50/(100·sqrt(4π·31.428571·13 968.607)) · exp(−31.393²/(4·31.428571·13 968.607))
 *          = 0.212876 · 0.999439 = 0.212756 mg/L
 * The reaches differ in κ, so the travel-time transform is an approximation here (plume.h):
 * it is measured against a finite-volume solution of the same two reaches (dx 10 m, dt 1 s)
 * and must stay within 5 % at the peak and 2 % of the travel time in peak, front and clear
 * times (measured: −0.18 %, +19 s, −2 s, +3 s). */
/* The forecast's passage against the finite-volume curve of 50 kg released at x_rel, seen at
 * x_at: the differences are printed and bounded (relative peak, times relative to τ). */
static void fv_compare(const char *what, const seg *s, size_t ns, double dx, double dt,
                       double t_end, double x_rel, double x_at, double tau,
                       const hl_plume_passage *ps, double peak_tol, double time_tol)
{
    static double fv[20000], ft[20000];
    size_t n = fv_solve(s, ns, dx, dt, t_end, x_rel, 50, x_at, fv, 20000, ft);
    double fpk = 0, ftpk = 0, front = 0, clear = 0;
    for (size_t i = 0; i < n; i++) {
        if (fv[i] > fpk) {
            fpk = fv[i];
            ftpk = ft[i];
        }
        if (!front && fv[i] > 0.01)
            front = ft[i];
        if (front && fv[i] > 0.01)
            clear = ft[i];
    }
    print_message("    %s (tau %.0f s): forecast peak %.5f mg/L at %.0f s, front (0.01 mg/L) %.0f "
                  "s, clear %.0f s; finite volume peak %.5f mg/L at %.0f s, front %.0f s, clear "
                  "%.0f s (10 s samples): peak %+.2f %%, peak time %+.0f s, front %+.0f s, "
                  "clear %+.0f s\n",
                  what, tau, ps->peak_mg_l, ps->peak_s, ps->front_s, ps->clear_s, fpk, ftpk, front,
                  clear, 100 * (ps->peak_mg_l - fpk) / fpk, ps->peak_s - ftpk, ps->front_s - front,
                  ps->clear_s - clear);
    assert_true(fabs(ps->peak_mg_l - fpk) / fpk < peak_tol);
    assert_true(fabs(ps->peak_s - ftpk) < time_tol * tau);
    assert_true(fabs(ps->front_s - front) < time_tol * tau);
    assert_true(fabs(ps->clear_s - clear) < time_tol * tau);
}

static void test_velocity_change(void **state)
{
    (void)state;
    seg s[] = {{8, 1.0, 100, 20, 0}, {6, 0.5, 200, 10, 0}};
    hl_network *net = chain(s, 2);
    hl_plume_path p;
    assert_int_equal(hl_forecast_path(net, HL_SEASON_SUMMER, 2, 12, &p, NULL), 0);
    assert_true(fabs(p.tau_s - 14000) < 1e-9);
    assert_true(fabs(p.var_s2 - 880000) < 1e-6);
    assert_true(p.dilution == 1 && p.q_src_m3_s == 100);
    hl_plume_src src = slug(50);
    hl_plume_curve c = curve(net, 2, 12, &src);
    assert_true(fabs(c.kappa - 31.428571) < 1e-6);
    hl_plume_passage ps;
    assert_int_equal(hl_plume_passage_find(&c, 0.01, &ps), 0);
    assert_true(fabs(ps.peak_s - 13968.607) < 1e-3);
    assert_true(fabs(ps.peak_mg_l - 0.212756) < 1e-6);

    fv_compare("channel 1.0 -> 0.5 m/s", s, 2, 10, 1, 24000, 2000, 12000, c.tau, &ps, 0.05, 0.02);
    hl_network_destroy(&net);

    /* Where it approximates most: a fast channel into a slow, strongly dispersive reach (the
     * Kuitun r02 in summer, u 1.5 m/s, K 89 m²/s, into a reservoir-like reach, u 0.15 m/s,
     * K 30 m²/s: κ 40 s then 1333 s), observed 4 km into the slow reach. */
    seg r[] = {{16, 1.5, 64, 89, 0}, {8, 0.15, 640, 30, 0}};
    net = chain(r, 2);
    hl_plume_curve c2 = curve(net, 2, 20, &src);
    assert_int_equal(hl_plume_passage_find(&c2, 0.01, &ps), 0);
    fv_compare("channel 1.5 -> reservoir 0.15 m/s", r, 2, 20, 2, 80000, 2000, 20000, c2.tau, &ps,
               0.10, 0.05);
    hl_network_destroy(&net);
}

/* Dilution and diversion (plume.h): Q 100 → 250 m³/s dilutes by 0.4; 250 → 30 (a diversion)
 * keeps the concentration. */
static void test_discharge_changes(void **state)
{
    (void)state;
    seg s[] = {{10, 2.0, 50, 0, 0}, {2, 0.1, 2500, 0, 0}, {28, 1.5, 20, 0, 0}};
    hl_network *net = chain(s, 3);
    hl_plume_path p;
    double qto = 0;
    assert_int_equal(hl_forecast_path(net, HL_SEASON_SUMMER, 5, 11, &p, &qto), 0);
    assert_true(fabs(p.dilution - 0.4) < 1e-12 && qto == 250);
    assert_int_equal(hl_forecast_path(net, HL_SEASON_SUMMER, 5, 30, &p, &qto), 0);
    assert_true(fabs(p.dilution - 0.4) < 1e-12 && qto == 30);
    assert_int_equal(hl_forecast_path(net, HL_SEASON_SUMMER, 5, 50, &p, &qto), HL_EINVAL);
    hl_network_destroy(&net);
}

/* Each formula (dispersion.h) by hand for U 1.5 m/s, W 80 m, h 0.8 m, S 0.006 (Kuitun reach
 * r02 in summer):
 *   R = W h/(W + 2h) = 64/81.6 = 0.784314 m; u* = sqrt(9.81 · 0.784314 · 0.006) = 0.214860 m/s
 *   W/h = 100; U/u* = 6.981299
 *   Elder 1959:   5.93 · 0.8 · 0.214860                              =   1.0193 m²/s
 *   Fischer 1975: 0.011 · 1.5² · 80² / (0.8 · 0.214860)             = 921.53
 *   Seo & Cheong 1998: 5.915 · 0.8 · 0.214860 · 100^0.62 (17.37801)
 *                      · 6.981299^1.428 (16.03766)                   = 283.36
 *   Deng 2001: ε = 0.145 + 6.981299 · 100^1.38 / 3520 = 1.286284;
 *              0.15/(8ε) · 100^(5/3) (2154.435) · 6.981299² · 0.8 · 0.214860 = 263.10
 *   Kashefipour & Falconer 2002 (W/h >= 50): 10.612 · 0.8 · 1.5 · 6.981299 = 88.903
 * and the other branch, U 1.2, W 30, h 0.8, S 0.002 (r06): R = 0.759494, u* = 0.122071,
 *   W/h = 37.5, U/u* = 9.830365: (7.428 + 1.775 · 37.5^0.62 · (1/9.830365)^0.572 (4.543054))
 *   · 0.8 · 1.2 · 9.830365 = 112.97 m²/s. */
static void test_dispersion_formulas(void **state)
{
    (void)state;
    double r = hl_disp_hydraulic_radius(80, 0.8), us = hl_disp_shear_velocity(r, 0.006), k;
    assert_true(fabs(r - 0.784314) < 1e-6);
    assert_true(fabs(us - 0.214860) < 1e-6);
    const struct {
        hl_disp_formula f;
        const char *id;
        double want;
    } cases[] = {
        {HL_DISP_ELDER_1959, "elder-1959", 1.0193},
        {HL_DISP_FISCHER_1975, "fischer-1975", 921.53},
        {HL_DISP_SEO_CHEONG_1998, "seo-cheong-1998", 283.36},
        {HL_DISP_DENG_2001, "deng-2001", 263.10},
        {HL_DISP_KASHEFIPOUR_FALCONER_2002, "kashefipour-falconer-2002", 88.903},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hl_disp_formula f;
        assert_int_equal(hl_disp_parse(cases[i].id, &f), 0);
        assert_int_equal(f, cases[i].f);
        assert_int_equal(hl_disp_coefficient(f, 1.5, 80, 0.8, us, &k), 0);
        print_message("    %-26s K = %.4f m2/s (hand %.4f)\n", cases[i].id, k, cases[i].want);
        assert_true(fabs(k - cases[i].want) / cases[i].want < 2e-4);
    }
    us = hl_disp_shear_velocity(hl_disp_hydraulic_radius(30, 0.8), 0.002);
    assert_true(fabs(us - 0.122071) < 1e-6);
    assert_int_equal(hl_disp_coefficient(HL_DISP_KASHEFIPOUR_FALCONER_2002, 1.2, 30, 0.8, us, &k),
                     0);
    assert_true(fabs(k - 112.97) / 112.97 < 2e-4);
    /* Only Seo & Cheong carries the unverified flag (its coefficient, 5.915 vs 5.195). */
    for (int f = 0; f < HL_DISP_COUNT; f++)
        assert_int_equal((hl_disp_info_of((hl_disp_formula)f)->flags & HL_DISP_UNVERIFIED) != 0,
                         f == HL_DISP_SEO_CHEONG_1998);
    assert_non_null(strstr(hl_disp_info_of(HL_DISP_SEO_CHEONG_1998)->caveat, "[unverified]"));
    /* No slope, no u*: refused, never a division by zero. */
    assert_true(hl_disp_shear_velocity(r, 0) == 0);
    assert_int_equal(hl_disp_coefficient(HL_DISP_FISCHER_1975, 1.5, 80, 0.8, 0, &k), HL_EINVAL);
    assert_int_equal(hl_disp_coefficient(HL_DISP_COUNT, 1.5, 80, 0.8, us, &k), HL_EINVAL);
    assert_int_equal(hl_disp_parse("liu-1977", NULL), HL_EINVAL);
}

/* playbooks/reference/dispersion_formulas.csv (for users) lists every formula the code
 * implements under its id, the Seo & Cheong row flagged unverified, and nothing else flagged
 * implemented that is not. */
static void test_formula_table(void **state)
{
    (void)state;
    char *csv = pb_read(HL_TEST_SOURCE_DIR "/playbooks/reference/dispersion_formulas.csv");
    assert_non_null(csv);
    assert_true(strncmp(csv,
                        "name,formula_K_m2_per_s,validity_or_branch,source_file,notes,"
                        "verified,hazlink_id,publication_added_by_hazlink\n",
                        100) == 0);
    for (int f = 0; f < HL_DISP_COUNT; f++) {
        const hl_disp_info *di = hl_disp_info_of((hl_disp_formula)f);
        char want[128];
        snprintf(want, sizeof want, "\n%s", di->name);
        const char *at = strstr(csv, want);
        if (!at)
            fail_msg("dispersion_formulas.csv has no row for %s", di->name);
        char row[1024];
        size_t len = strcspn(at + 1, "\n");
        assert_true(len < sizeof row);
        memcpy(row, at + 1, len);
        row[len] = 0;
        snprintf(want, sizeof want, ",%s,", di->id);
        if (!strstr(row, want))
            fail_msg("row %s does not name id %s", row, di->id);
        int flagged = strstr(row, ",no,") != NULL;
        assert_int_equal(flagged, (di->flags & HL_DISP_UNVERIFIED) != 0);
    }
    assert_non_null(strstr(csv, "5.915 is the commonly quoted value [unverified],no,"
                                "seo-cheong-1998"));
    free(csv);
}

/* Bad paths and sources are refused, not computed. */
static void test_plume_bad_input(void **state)
{
    (void)state;
    hl_plume_path p = {1000, 2000, 0, 1, 10};
    hl_plume_curve c;
    hl_plume_src s = slug(0);
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    s = pulse(1, 0);
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    s = slug(1);
    p.dilution = 1.5;
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    p.dilution = 1;
    p.q_src_m3_s = 0;
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    p.q_src_m3_s = 10;
    p.var_s2 = NAN;
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    p.var_s2 = 2000;
    memset(&s, 0, sizeof s);
    s.kind = HL_SRC_STEPS;
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL); /* no step */
    s.n_steps = 2;
    s.steps[0].c_mg_l = 1;
    s.steps[1].t_s = 10;
    s.steps[1].c_mg_l = 0.5; /* not a running maximum */
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    s.n_steps = HL_PLUME_MAX_STEPS + 1;
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), HL_EINVAL);
    s = slug(1);
    assert_int_equal(hl_plume_curve_init(&s, &p, &c), 0);
    hl_plume_passage ps;
    assert_int_equal(hl_plume_passage_find(&c, -1, &ps), HL_EINVAL);
    assert_int_equal(hl_plume_passage_find(&c, INFINITY, &ps), HL_EINVAL);
    /* erfcx across its two branches (exp(x²) erfc(x) below 25, the series above). */
    assert_true(fabs(hl_plume_erfcx(0) - 1) < 1e-15);
    assert_true(fabs(hl_plume_erfcx(24.999) - hl_plume_erfcx(25.001)) / hl_plume_erfcx(25) < 1e-4);
    assert_true(isfinite(hl_plume_erfcx(1e6)) && hl_plume_erfcx(1e6) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slug_uniform_1pct),   cmocka_unit_test(test_ogata_banks_1pct),
        cmocka_unit_test(test_mass_conserved),      cmocka_unit_test(test_pure_advection_limit),
        cmocka_unit_test(test_velocity_change),     cmocka_unit_test(test_discharge_changes),
        cmocka_unit_test(test_dispersion_formulas), cmocka_unit_test(test_formula_table),
        cmocka_unit_test(test_plume_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
