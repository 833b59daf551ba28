/* risk_csv.c — see risk_ref.h. */
#include "risk_ref.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hazlink/hl_error.h"

int riskref_cols(const refcsv *t, const char *const *names, size_t *idx, char *err, size_t errlen)
{
    for (size_t i = 0; names[i]; i++) {
        int rc = refcsv_col(t, names[i], &idx[i], err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int riskref_unverified(const refcsv *t, const refcsv_row *r, size_t col, int *unverified, char *err,
                       size_t errlen)
{
    const char *v = r->f[col];
    if (strcmp(v, "yes") == 0)
        *unverified = 0;
    else if (strcmp(v, "no") == 0)
        *unverified = 1;
    else
        return refcsv_fail(t, r->line, t->cols[col], HL_EPARSE, err, errlen,
                           "'%s' is not yes or no", v);
    return 0;
}

int riskref_copy(const refcsv *t, const refcsv_row *r, size_t col, char *out, size_t n, char *err,
                 size_t errlen)
{
    size_t len = strlen(r->f[col]);
    if (len >= n)
        return refcsv_fail(t, r->line, t->cols[col], HL_ETOOBIG, err, errlen,
                           "%zu bytes is longer than the limit of %zu", len, n - 1);
    memcpy(out, r->f[col], len + 1);
    return 0;
}

int riskref_edge(const refcsv *t, const refcsv_row *r, size_t col, int *has, double *v, char *err,
                 size_t errlen)
{
    int rc = refcsv_double(t, r, col, 0, v, err, errlen);
    *has = rc == 0;
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (*v < 0)
        return refcsv_fail(t, r->line, t->cols[col], HL_EPARSE, err, errlen, "%g is negative", *v);
    return 0;
}

static int riskref__load1(const char *dir, const char *name, refcsv **out, char *err, size_t errlen)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(err, errlen, "%s/%s: path longer than %zu bytes", dir, name, sizeof path - 1);
        return HL_ETOOBIG;
    }
    return refcsv_load(path, out, err, errlen);
}

int riskref_load(const char *dir, const char *const *names, size_t n, refcsv **files, char *err,
                 size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        files[i] = NULL;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = riskref__load1(dir, names[i], &files[i], err, errlen);
    if (rc < 0)
        riskref_free(files, n);
    return rc;
}

void riskref_free(refcsv **files, size_t n)
{
    for (size_t i = 0; i < n; i++)
        refcsv_destroy(&files[i]);
}

int riskref_reached(double v, double edge)
{
    return v >= edge - fabs(edge) * RISKREF_EDGE_REL;
}
