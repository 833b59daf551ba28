/* dispersion.h — the longitudinal dispersion coefficient K of a river reach from published
 * empirical formulas (pure: numbers in, numbers out).
 *
 * Every formula takes the section-mean velocity U (m/s), the top width W (m), the mean depth
 * h (m) and the shear velocity u* = sqrt(g R S) (m/s; g = 9.81 m/s², R hydraulic radius m,
 * S energy slope m/m, taken as the bed slope) and returns K in m²/s:
 *
 *   elder-1959               K = 5.93 h u*
 *       Elder, J.W. (1959). The dispersion of marked fluid in turbulent shear flow.
 *       J. Fluid Mech. 5(4), 544–560. Vertical shear only: far too low for natural rivers
 *       (the reference says so); kept for comparison.
 *   fischer-1975             K = 0.011 U² W² / (h u*)
 *       Fischer, H.B. (1975). Discussion of "Simple method for predicting dispersion in
 *       streams". J. Environ. Eng. Div. ASCE 101(EE3), 453–455.
 *   seo-cheong-1998          K = 5.915 h u* (W/h)^0.620 (U/u*)^1.428
 *       Seo, I.W., Cheong, T.S. (1998). Predicting longitudinal dispersion coefficient in
 *       natural streams. J. Hydraul. Eng. 124(1), 25–32.
 *       The coefficient is UNVERIFIED: one source has 5.915 (the commonly quoted value, used
 *       here), another 5.195 (transposed digits); HL_DISP_UNVERIFIED says so and every
 *       forecast that uses it repeats it.
 *   deng-2001                K = 0.15/(8 ε_t0) (W/h)^(5/3) (U/u*)² h u*,
 *                            ε_t0 = 0.145 + (1/3520) (U/u*) (W/h)^1.38
 *       Deng, Z.-Q., Singh, V.P., Bengtsson, L. (2001). Longitudinal dispersion coefficient
 *       in straight rivers. J. Hydraul. Eng. 127(11), 919–927.
 *   kashefipour-falconer-2002
 *                            W/h >= 50: K = 10.612 h U² / u*
 *                            W/h <  50: K = (7.428 + 1.775 (W/h)^0.62 (u* / U)^0.572) h U (U/u*)
 *       Kashefipour, S.M., Falconer, R.A. (2002). Longitudinal dispersion coefficients in
 *       natural channels. Water Research 36(6), 1596–1608.
 *
 * The same list, with the reference's sources, is data for users in
 * playbooks/reference/dispersion_formulas.csv (a test checks the two agree).
 */
#ifndef HL_DISPERSION_H
#define HL_DISPERSION_H

#define HL_DISP_G 9.81 /* m/s², gravity used for u* */

typedef enum {
    HL_DISP_ELDER_1959 = 0,
    HL_DISP_FISCHER_1975,
    HL_DISP_SEO_CHEONG_1998,
    HL_DISP_DENG_2001,
    HL_DISP_KASHEFIPOUR_FALCONER_2002,
    HL_DISP_COUNT
} hl_disp_formula;

#define HL_DISP_UNVERIFIED 0x1 /* a coefficient of the formula is not confirmed */

typedef struct hl_disp_info {
    hl_disp_formula formula;
    const char *id;       /* river.yaml value, e.g. "seo-cheong-1998" */
    const char *name;     /* as in dispersion_formulas.csv, e.g. "Seo & Cheong 1998" */
    const char *expr;     /* the formula in words */
    const char *citation; /* the publication */
    int flags;            /* HL_DISP_UNVERIFIED */
    const char *caveat;   /* what is unverified or limited, "" if nothing */
} hl_disp_info;

/* The formula of an id (exact match). HL_EINVAL for an unknown id. */
int hl_disp_parse(const char *id, hl_disp_formula *out);
/* Static description of a formula; NULL for a value outside the enum. */
const hl_disp_info *hl_disp_info_of(hl_disp_formula f);

/* Hydraulic radius of a rectangular section, R = W h / (W + 2 h), m. W, h > 0. */
double hl_disp_hydraulic_radius(double width_m, double depth_m);
/* u* = sqrt(g R S), m/s. 0 when R or S is not positive. */
double hl_disp_shear_velocity(double radius_m, double slope);

/* K (m²/s) by formula f. Every input must be finite and > 0 (u* > 0 needs a slope):
 * HL_EINVAL otherwise, or when f is not a formula. */
int hl_disp_coefficient(hl_disp_formula f, double u_m_s, double width_m, double depth_m,
                        double shear_m_s, double *k_m2_s);

#endif
