/* dispersion.c — published longitudinal dispersion formulas (dispersion.h). */
#include "hazlink/dispersion.h"

#include <math.h>
#include <string.h>

#include "hazlink/hl_error.h"

static const hl_disp_info k_info[HL_DISP_COUNT] = {
    {HL_DISP_ELDER_1959, "elder-1959", "Elder 1959", "K = 5.93 h u*",
     "Elder, J.W. (1959), J. Fluid Mech. 5(4) 544-560", 0,
     "vertical shear only: too low for natural rivers"},
    {HL_DISP_FISCHER_1975, "fischer-1975", "Fischer 1975", "K = 0.011 U^2 W^2 / (h u*)",
     "Fischer, H.B. (1975), J. Environ. Eng. Div. ASCE 101(EE3) 453-455", 0, ""},
    {HL_DISP_SEO_CHEONG_1998, "seo-cheong-1998", "Seo & Cheong 1998",
     "K = 5.915 h u* (W/h)^0.620 (U/u*)^1.428",
     "Seo, I.W., Cheong, T.S. (1998), J. Hydraul. Eng. 124(1) 25-32", HL_DISP_UNVERIFIED,
     "coefficient 5.915 [unverified]: another source has 5.195"},
    {HL_DISP_DENG_2001, "deng-2001", "Deng et al. 2001",
     "K = 0.15/(8 eps_t0) (W/h)^(5/3) (U/u*)^2 h u*, eps_t0 = 0.145 + (U/u*)(W/h)^1.38/3520",
     "Deng, Z.-Q., Singh, V.P., Bengtsson, L. (2001), J. Hydraul. Eng. 127(11) 919-927", 0, ""},
    {HL_DISP_KASHEFIPOUR_FALCONER_2002, "kashefipour-falconer-2002", "Kashefipour & Falconer 2002",
     "W/h >= 50: K = 10.612 h U^2/u*; W/h < 50: K = (7.428 + 1.775 (W/h)^0.62 (u*/U)^0.572) "
     "h U (U/u*)",
     "Kashefipour, S.M., Falconer, R.A. (2002), Water Research 36(6) 1596-1608", 0, ""},
};

int hl_disp_parse(const char *id, hl_disp_formula *out)
{
    for (int i = 0; id && i < HL_DISP_COUNT; i++) {
        if (strcmp(id, k_info[i].id) == 0) {
            *out = (hl_disp_formula)i;
            return 0;
        }
    }
    return HL_EINVAL;
}

const hl_disp_info *hl_disp_info_of(hl_disp_formula f)
{
    if ((int)f < 0 || f >= HL_DISP_COUNT)
        return NULL;
    return &k_info[f];
}

double hl_disp_hydraulic_radius(double width_m, double depth_m)
{
    if (!(width_m > 0 && depth_m > 0))
        return 0;
    return width_m * depth_m / (width_m + 2.0 * depth_m);
}

double hl_disp_shear_velocity(double radius_m, double slope)
{
    if (!(radius_m > 0 && slope > 0))
        return 0;
    return sqrt(HL_DISP_G * radius_m * slope);
}

static int positive(double x)
{
    return isfinite(x) && x > 0;
}

int hl_disp_coefficient(hl_disp_formula f, double u, double w, double h, double us, double *k)
{
    if (!positive(u) || !positive(w) || !positive(h) || !positive(us) || !k)
        return HL_EINVAL;
    double wh = w / h, uu = u / us, v;
    switch (f) {
    case HL_DISP_ELDER_1959:
        v = 5.93 * h * us;
        break;
    case HL_DISP_FISCHER_1975:
        v = 0.011 * u * u * w * w / (h * us);
        break;
    case HL_DISP_SEO_CHEONG_1998:
        v = 5.915 * h * us * pow(wh, 0.620) * pow(uu, 1.428);
        break;
    case HL_DISP_DENG_2001: {
        double eps = 0.145 + (1.0 / 3520.0) * uu * pow(wh, 1.38);
        v = 0.15 / (8.0 * eps) * pow(wh, 5.0 / 3.0) * uu * uu * h * us;
        break;
    }
    case HL_DISP_KASHEFIPOUR_FALCONER_2002:
        /* The paper's two branches meet the reference's split at W/h = 50. */
        if (wh >= 50)
            v = 10.612 * h * u * uu;
        else
            v = (7.428 + 1.775 * pow(wh, 0.62) * pow(1.0 / uu, 0.572)) * h * u * uu;
        break;
    default:
        return HL_EINVAL;
    }
    if (!isfinite(v) || v <= 0)
        return HL_EINVAL;
    *k = v;
    return 0;
}
