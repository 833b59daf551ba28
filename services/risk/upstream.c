/* upstream.c — see upstream.h. */
#include "upstream.h"

#include <math.h>
#include <string.h>

#include "hazlink/hl_error.h"

int risk_substance_find(const risk_register *reg, const char *key)
{
    if (!key || key[0] == '\0')
        return HL_ENOTFOUND;
    for (size_t i = 0; i < reg->nsubstances; i++) {
        const risk_substance *s = &reg->substances[i];
        if (strcmp(s->name, key) == 0 || (s->cas[0] && strcmp(s->cas, key) == 0))
            return (int)i;
        for (size_t a = 0; a < s->naliases; a++)
            if (strcmp(s->aliases[a], key) == 0)
                return (int)i;
    }
    return HL_ENOTFOUND;
}

int risk_source_holds(const risk_register *reg, const risk_source *s, const char *key)
{
    int k = risk_substance_find(reg, key);
    if (k < 0)
        return 0;
    for (size_t i = 0; i < s->nholdings; i++) {
        const risk_holding *h = &s->holdings[i];
        if (!h->is_mixture && h->substance == (size_t)k)
            return 1;
        for (size_t c = 0; h->is_mixture && c < h->ncomponents; c++)
            if (h->components[c].substance == (size_t)k)
                return 1;
    }
    return 0;
}

/* Nearer first; equal distances by id so the answer does not depend on file order. */
static int upstream__before(const risk_register *reg, double c, size_t a, size_t b)
{
    double da = c - reg->sources[a].outfall_km, db = c - reg->sources[b].outfall_km;
    if (da != db)
        return da < db;
    return strcmp(reg->sources[a].id, reg->sources[b].id) < 0;
}

int risk_upstream_find(const risk_register *reg, double chainage_km, double within_km,
                       const char *substance, size_t *idx, size_t cap, size_t *nout)
{
    *nout = 0;
    if (!isfinite(chainage_km) || chainage_km < 0 || chainage_km > RISK_CHAINAGE_MAX)
        return HL_EINVAL;
    if (!isfinite(within_km) || within_km < 0 || within_km > RISK_CHAINAGE_MAX)
        return HL_EINVAL;
    int want_subst = substance && substance[0] && risk_substance_find(reg, substance) >= 0;

    size_t n = 0, matched = 0;
    for (size_t i = 0; i < reg->nsources; i++) {
        const risk_source *s = &reg->sources[i];
        if (s->outfall_km > chainage_km)
            continue;
        if (within_km > 0 && chainage_km - s->outfall_km > within_km)
            continue;
        if (want_subst && !risk_source_holds(reg, s, substance))
            continue;
        matched++;
        /* Insertion into a list kept sorted and cut at cap: the nearest cap survive. */
        size_t j = n < cap ? n++ : cap;
        while (j > 0 && upstream__before(reg, chainage_km, i, idx[j - 1])) {
            if (j < cap)
                idx[j] = idx[j - 1];
            j--;
        }
        if (j < cap)
            idx[j] = i;
    }
    *nout = n;
    return matched > cap ? HL_ETOOBIG : 0;
}
