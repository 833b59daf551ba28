/* hj941.c — see hj941.h for the method and the clauses behind it. */
#include "hj941.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "risk_ref.h"

static const char *const hj941__levels[] = {"", "一般", "较大", "重大"};
static const char *const hj941__media[] = {"大气", "水"};

const char *hj941_level_name(int level)
{
    return level >= 0 && level <= HJ941_MAJOR ? hj941__levels[level] : "";
}

const char *hj941_medium_name(int medium)
{
    return medium == HJ941_AIR || medium == HJ941_WATER ? hj941__media[medium] : "";
}

void hj941_tables_destroy(hj941_tables **t)
{
    if (!t || !*t)
        return;
    free(*t);
    *t = NULL;
}

static int hj941__subst(const refcsv *c, hj941_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"name_cn", "cas", "critical_quantity_t", "verified", NULL};
    size_t col[4];
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_subst, sizeof t->file_subst, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        if (t->nsubst == HJ941_SUBST_MAX)
            return refcsv_fail(c, r->line, NULL, HL_ETOOBIG, err, errlen,
                               "more than %d appendix A rows", HJ941_SUBST_MAX);
        hj941_substance *s = &t->subst[t->nsubst];
        s->line = r->line;
        if ((rc = riskref_copy(c, r, col[0], s->name, sizeof s->name, err, errlen)) < 0 ||
            (rc = riskref_copy(c, r, col[1], s->cas, sizeof s->cas, err, errlen)) < 0 ||
            (rc = riskref_unverified(c, r, col[3], &s->unverified, err, errlen)) < 0)
            return rc;
        if (s->name[0] == '\0')
            return refcsv_fail(c, r->line, "name_cn", HL_EPARSE, err, errlen, "empty");
        /* An empty quantity records a substance believed NOT to be listed (氢氧化钠). */
        rc = refcsv_double(c, r, col[2], 0, &s->critical_t, err, errlen);
        if (rc < 0 && rc != HL_ENOTFOUND)
            return rc;
        s->listed = rc == 0;
        if (s->listed && !(s->critical_t > 0))
            return refcsv_fail(c, r->line, "critical_quantity_t", HL_EPARSE, err, errlen,
                               "%g is not a positive quantity", s->critical_t);
        if (hj941_substance_find(t, s->name) >= 0)
            return refcsv_fail(c, r->line, "name_cn", HL_EPARSE, err, errlen,
                               "'%s' is listed twice", s->name);
        t->nsubst++;
    }
    return 0;
}

static int hj941__bands(const refcsv *c, hj941_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"index", "band", "lower", "upper", "verified", NULL};
    static const char *const qn[] = {"Q0", "Q1", "Q2", "Q3"}, *const mn[] = {"M1", "M2", "M3",
                                                                             "M4"};
    size_t col[5], nq = 0, nm = 0;
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_bands, sizeof t->file_bands, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        const char *idx = r->f[col[0]];
        int is_q = strcmp(idx, "Q") == 0;
        if (!is_q && strcmp(idx, "M") != 0)
            return refcsv_fail(c, r->line, "index", HL_EPARSE, err, errlen, "'%s' is not Q or M",
                               idx);
        size_t *n = is_q ? &nq : &nm;
        hj941_band *bands = is_q ? t->q_bands : t->m_bands;
        const char *want = *n < 4 ? (is_q ? qn : mn)[*n] : "(none: four bands only)";
        if (*n == 4 || strcmp(r->f[col[1]], want) != 0)
            return refcsv_fail(c, r->line, "band", HL_EPARSE, err, errlen,
                               "'%s' where %s was expected (bands in order)", r->f[col[1]], want);
        hj941_band *b = &bands[*n];
        memcpy(b->name, want, sizeof "Q0"); /* every band name is two characters */
        b->line = r->line;
        if ((rc = riskref_edge(c, r, col[2], &b->has_lower, &b->lower, err, errlen)) < 0 ||
            (rc = riskref_edge(c, r, col[3], &b->has_upper, &b->upper, err, errlen)) < 0 ||
            (rc = riskref_unverified(c, r, col[4], &b->unverified, err, errlen)) < 0)
            return rc;
        /* Contiguous: no value may fall between two bands or into two. */
        if (*n == 0 && b->has_lower && b->lower != 0)
            return refcsv_fail(c, r->line, "lower", HL_EPARSE, err, errlen,
                               "the first band must start at 0 (empty)");
        if (*n > 0 && (!b->has_lower || b->lower != bands[*n - 1].upper))
            return refcsv_fail(c, r->line, "lower", HL_EPARSE, err, errlen,
                               "must equal the upper edge of %s (bands are contiguous)",
                               bands[*n - 1].name);
        if ((*n < 3) != b->has_upper)
            return refcsv_fail(c, r->line, "upper", HL_EPARSE, err, errlen,
                               *n < 3 ? "required (only the last band is open)"
                                      : "must be empty (the last band is open)");
        if (b->has_upper && b->upper <= (b->has_lower ? b->lower : 0))
            return refcsv_fail(c, r->line, "upper", HL_EPARSE, err, errlen,
                               "%g is not above the lower edge", b->upper);
        (*n)++;
    }
    if (nq != 4 || nm != 4)
        return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen,
                           "%zu Q bands and %zu M bands: four of each are required", nq, nm);
    return 0;
}

/* "E2" → 2 (prefix letter, digit 1..max); "any" → 0; else -1. Q also takes "Q0 (Q<1)". */
static int hj941__code(const char *s, char letter, int min, int max)
{
    if (strcmp(s, "any") == 0)
        return 0;
    if (s[0] != letter || s[1] < '0' + min || s[1] > '0' + max || (s[2] && s[2] != ' '))
        return -1;
    return s[1] - '0';
}

static int hj941__level(const char *s)
{
    for (int i = HJ941_GENERAL; i <= HJ941_MAJOR; i++)
        if (strcmp(s, hj941__levels[i]) == 0)
            return i;
    return 0;
}

static int hj941__matrix(const refcsv *c, hj941_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"E", "Q", "M", "risk_level", "verified", NULL};
    size_t col[5], ncells = 0;
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_matrix, sizeof t->file_matrix, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        int e = hj941__code(r->f[col[0]], 'E', 1, 3);
        int q = hj941__code(r->f[col[1]], 'Q', 0, 3);
        int m = hj941__code(r->f[col[2]], 'M', 1, 4);
        int level = hj941__level(r->f[col[3]]);
        if (e < 0)
            return refcsv_fail(c, r->line, "E", HL_EPARSE, err, errlen,
                               "'%s' is not E1, E2, E3 or any", r->f[col[0]]);
        if (q <= 0 && strncmp(r->f[col[1]], "Q0", 2) != 0)
            return refcsv_fail(c, r->line, "Q", HL_EPARSE, err, errlen,
                               "'%s' is not Q0, Q1, Q2 or Q3", r->f[col[1]]);
        if (m < 0)
            return refcsv_fail(c, r->line, "M", HL_EPARSE, err, errlen, "'%s' is not M1..M4 or any",
                               r->f[col[2]]);
        if (!level)
            return refcsv_fail(c, r->line, "risk_level", HL_EPARSE, err, errlen,
                               "'%s' is not 一般, 较大 or 重大", r->f[col[3]]);
        hj941_cell *cell;
        if (q <= 0) {
            /* The Q0 rule: Q<1 is 一般 whatever E and M are. */
            if (e != 0 || m != 0)
                return refcsv_fail(c, r->line, "Q", HL_EPARSE, err, errlen,
                                   "the Q0 row applies to any E and any M");
            cell = &t->q0;
        } else {
            if (e == 0 || m == 0)
                return refcsv_fail(c, r->line, e == 0 ? "E" : "M", HL_EPARSE, err, errlen,
                                   "'any' is allowed on the Q0 row only");
            cell = &t->cells[e - 1][q - 1][m - 1];
            ncells++;
        }
        if (cell->line)
            return refcsv_fail(c, r->line, NULL, HL_EPARSE, err, errlen,
                               "%s-%s-%s is given twice (first at line %d)", r->f[col[0]],
                               r->f[col[1]], r->f[col[2]], cell->line);
        cell->level = level;
        cell->line = r->line;
        if ((rc = riskref_unverified(c, r, col[4], &cell->unverified, err, errlen)) < 0)
            return rc;
    }
    if (!t->q0.line)
        return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen,
                           "no Q0 row (Q<1 → 一般)");
    for (int e = 0; e < 3; e++)
        for (int q = 0; q < 3; q++)
            for (int m = 0; m < 4; m++)
                if (!t->cells[e][q][m].line)
                    return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen,
                                       "cell E%d-Q%d-M%d is missing (%zu of %d given)", e + 1,
                                       q + 1, m + 1, ncells, HJ941_CELLS);
    return 0;
}

int hj941_tables_from_csv(const refcsv *subst, const refcsv *matrix, const refcsv *bands,
                          hj941_tables **out, char *err, size_t errlen)
{
    *out = NULL;
    hj941_tables *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    int rc;
    if ((rc = hj941__subst(subst, t, err, errlen)) < 0 ||
        (rc = hj941__matrix(matrix, t, err, errlen)) < 0 ||
        (rc = hj941__bands(bands, t, err, errlen)) < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int hj941_tables_load(const char *dir, hj941_tables **out, char *err, size_t errlen)
{
    static const char *const names[] = {HJ941_FILE_SUBST, HJ941_FILE_MATRIX, HJ941_FILE_BANDS};
    refcsv *f[3];
    *out = NULL;
    int rc = riskref_load(dir, names, 3, f, err, errlen);
    if (rc == 0)
        rc = hj941_tables_from_csv(f[0], f[1], f[2], out, err, errlen);
    riskref_free(f, 3);
    return rc;
}

int hj941_substance_find(const hj941_tables *t, const char *name)
{
    for (size_t i = 0; name && name[0] && i < t->nsubst; i++)
        if (strcmp(t->subst[i].name, name) == 0)
            return (int)i;
    return HL_ENOTFOUND;
}

size_t hj941_substance_find_cas(const hj941_tables *t, const char *cas, size_t *first)
{
    size_t n = 0;
    for (size_t i = 0; cas && cas[0] && i < t->nsubst; i++)
        if (strcmp(t->subst[i].cas, cas) == 0 && n++ == 0)
            *first = i;
    return n;
}

static int hj941__band(const hj941_band *bands, double v)
{
    int i = 3;
    while (i > 0 && !riskref_reached(v, bands[i].lower))
        i--;
    return i;
}

int hj941_q_band(const hj941_tables *t, double q, const hj941_band **row)
{
    if (!isfinite(q) || q < 0)
        return HL_EINVAL;
    int i = hj941__band(t->q_bands, q);
    *row = &t->q_bands[i];
    return i;
}

int hj941_m_band(const hj941_tables *t, double m, const hj941_band **row)
{
    if (!isfinite(m) || m < 0)
        return HL_EINVAL;
    int i = hj941__band(t->m_bands, m);
    *row = &t->m_bands[i];
    return i + 1;
}

int hj941_matrix_cell(const hj941_tables *t, int e, int q_band, int m_band, const hj941_cell **cell)
{
    if (q_band == 0) {
        *cell = &t->q0;
        return 0;
    }
    if (e < 1 || e > 3 || q_band < 0 || q_band > 3 || m_band < 1 || m_band > 4)
        return HL_EINVAL;
    *cell = &t->cells[e - 1][q_band - 1][m_band - 1];
    return 0;
}

static int hj941__check(const hj941_tables *t, const hj941_input *in)
{
    if (in->nterms > HJ941_TERMS_MAX)
        return HL_EINVAL;
    for (size_t i = 0; i < in->nterms; i++) {
        const hj941_term_in *x = &in->terms[i];
        if (x->row < -1 || x->row >= (int)t->nsubst || !isfinite(x->q_t) || x->q_t < 0)
            return HL_EINVAL;
    }
    if (!in->assessed)
        return 0;
    if (!isfinite(in->process_score) || in->process_score < 0 ||
        in->process_score > HJ941_PROCESS_MAX)
        return HL_EINVAL;
    for (int k = 0; k < HJ941_MEDIA; k++)
        if (!isfinite(in->control_score[k]) || in->control_score[k] < 0 ||
            in->control_score[k] > HJ941_CONTROL_MAX || in->e[k] < 1 || in->e[k] > 3)
            return HL_EINVAL;
    return 0;
}

int hj941_assess(const hj941_tables *t, const hj941_input *in, hj941_result *out)
{
    memset(out, 0, sizeof *out);
    int rc = hj941__check(t, in);
    if (rc < 0)
        return rc;
    int terms_unverified = 0;
    for (size_t i = 0; i < in->nterms; i++) {
        hj941_term *o = &out->terms[i];
        o->row = in->terms[i].row;
        o->q_t = in->terms[i].q_t;
        if (o->row >= 0 && t->subst[o->row].listed) {
            const hj941_substance *s = &t->subst[o->row];
            o->critical_t = s->critical_t;
            o->ratio = o->q_t / s->critical_t;
            o->unverified = s->unverified;
            /* A flagged row counts against Q only when it adds to it. */
            terms_unverified |= s->unverified && o->q_t > 0;
            out->q += o->ratio;
        }
    }
    out->nterms = in->nterms;
    /* hj941__check keeps quantities finite and >= 0 and critical quantities > 0, so Q is a
     * band's value; an odd table is still refused here rather than read through a NULL row. */
    const hj941_band *qb = NULL;
    out->q_band = hj941_q_band(t, out->q, &qb);
    if (out->q_band < 0)
        return out->q_band;
    out->q_unverified = qb->unverified || terms_unverified;

    for (int k = 0; k < HJ941_MEDIA; k++) {
        hj941_medium *md = &out->med[k];
        const hj941_band *mb = NULL;
        const hj941_cell *cell = NULL;
        if (in->assessed) {
            md->m = in->process_score + in->control_score[k];
            md->m_band = hj941_m_band(t, md->m, &mb);
            md->e = in->e[k];
        }
        if (out->q_band > 0 && !in->assessed)
            continue; /* Q≥1 without M and E: the level cannot be determined */
        hj941_matrix_cell(t, md->e, out->q_band, md->m_band, &cell);
        md->level = cell->level;
        md->cell_line = cell->line;
        md->unverified =
            cell->unverified || out->q_unverified || (out->q_band > 0 && mb && mb->unverified);
        if (out->q_band == 0)
            snprintf(md->label, sizeof md->label, "%s-%s(Q0)", hj941_level_name(md->level),
                     hj941_medium_name(k));
        else
            snprintf(md->label, sizeof md->label, "%s-%s(Q%d-M%d-E%d)", hj941_level_name(md->level),
                     hj941_medium_name(k), out->q_band, md->m_band, md->e);
    }
    const hj941_medium *air = &out->med[HJ941_AIR], *water = &out->med[HJ941_WATER];
    if (air->level && water->level) {
        /* HJ 941-2018: the enterprise's level is the higher of the two. */
        out->level = air->level > water->level ? air->level : water->level;
        out->unverified = air->unverified || water->unverified;
        snprintf(out->label, sizeof out->label, "%s[%s+%s]", hj941_level_name(out->level),
                 air->label, water->label);
    }
    return 0;
}
