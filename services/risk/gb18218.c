/* gb18218.c — see gb18218.h for the rules and the clauses behind them. */
#include "gb18218.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "risk_ref.h"

static const char *const gb18218__grade_names[] = {"", "一级", "二级", "三级", "四级"};

const char *gb18218_grade_name(int grade)
{
    return grade >= 1 && grade <= 4 ? gb18218__grade_names[grade] : "";
}

void gb18218_tables_destroy(gb18218_tables **t)
{
    if (!t || !*t)
        return;
    free(*t);
    *t = NULL;
}

/* A required positive number. */
static int gb18218__positive(const refcsv *c, const refcsv_row *r, size_t col, double *v, char *err,
                             size_t errlen)
{
    int rc = refcsv_double(c, r, col, 1, v, err, errlen);
    if (rc == 0 && !(*v > 0))
        rc = refcsv_fail(c, r->line, c->cols[col], HL_EPARSE, err, errlen,
                         "%g is not a positive number", *v);
    return rc;
}

static int gb18218__t1(const refcsv *c, gb18218_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"seq",      "name_cn", "cas", "critical_quantity_t",
                                        "verified", NULL};
    size_t col[5];
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_t1, sizeof t->file_t1, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        if (t->nt1 == GB18218_T1_MAX)
            return refcsv_fail(c, r->line, NULL, HL_ETOOBIG, err, errlen,
                               "more than %d table 1 rows", GB18218_T1_MAX);
        gb18218_t1 *x = &t->t1[t->nt1];
        double seq;
        x->line = r->line;
        if ((rc = refcsv_double(c, r, col[0], 1, &seq, err, errlen)) < 0)
            return rc;
        if (seq < 1 || seq > 10000 || seq != floor(seq))
            return refcsv_fail(c, r->line, "seq", HL_EPARSE, err, errlen,
                               "'%s' is not a row number", r->f[col[0]]);
        x->seq = (int)seq;
        if (gb18218_t1_find(t, x->seq) >= 0)
            return refcsv_fail(c, r->line, "seq", HL_EPARSE, err, errlen, "%d is given twice",
                               x->seq);
        if ((rc = riskref_copy(c, r, col[1], x->name, sizeof x->name, err, errlen)) < 0 ||
            (rc = riskref_copy(c, r, col[2], x->cas, sizeof x->cas, err, errlen)) < 0 ||
            (rc = gb18218__positive(c, r, col[3], &x->critical_t, err, errlen)) < 0 ||
            (rc = riskref_unverified(c, r, col[4], &x->unverified, err, errlen)) < 0)
            return rc;
        t->nt1++;
    }
    return 0;
}

static int gb18218__t24(const refcsv *c, gb18218_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"symbol",
                                        "critical_quantity_t(Table2)",
                                        "beta_table4_source1",
                                        "beta_table4_source2",
                                        "verified",
                                        NULL};
    size_t col[5];
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_t24, sizeof t->file_t24, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        if (t->nclasses == GB18218_CLASSES_MAX)
            return refcsv_fail(c, r->line, NULL, HL_ETOOBIG, err, errlen,
                               "more than %d hazard classes", GB18218_CLASSES_MAX);
        gb18218_class *k = &t->classes[t->nclasses];
        k->line = r->line;
        if ((rc = riskref_copy(c, r, col[0], k->symbol, sizeof k->symbol, err, errlen)) < 0 ||
            (rc = gb18218__positive(c, r, col[1], &k->critical_t, err, errlen)) < 0 ||
            (rc = gb18218__positive(c, r, col[2], &k->beta[0], err, errlen)) < 0 ||
            (rc = gb18218__positive(c, r, col[3], &k->beta[1], err, errlen)) < 0 ||
            (rc = riskref_unverified(c, r, col[4], &k->unverified, err, errlen)) < 0)
            return rc;
        if (k->symbol[0] == '\0')
            return refcsv_fail(c, r->line, "symbol", HL_EPARSE, err, errlen, "empty");
        if (gb18218_class_find(t, k->symbol) >= 0)
            return refcsv_fail(c, r->line, "symbol", HL_EPARSE, err, errlen, "%s is given twice",
                               k->symbol);
        t->nclasses++;
    }
    return 0;
}

/* Sort bands by lower edge (an empty lower edge is 0) and check they cover [0, ∞) without
 * gaps or overlaps. */
static int gb18218__cover(const refcsv *c, gb18218_band *b, size_t n, const char *what, char *err,
                          size_t errlen)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && b[j].lower < b[j - 1].lower; j--) {
            gb18218_band tmp = b[j];
            b[j] = b[j - 1];
            b[j - 1] = tmp;
        }
    if (n == 0)
        return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen, "no %s rows", what);
    for (size_t i = 0; i < n; i++) {
        double lo = b[i].has_lower ? b[i].lower : 0;
        if ((i == 0 && lo != 0) || (i > 0 && (!b[i - 1].has_upper || lo != b[i - 1].upper)))
            return refcsv_fail(c, b[i].line, "lower", HL_EPARSE, err, errlen,
                               "%s bands must cover 0 upwards without gaps or overlaps", what);
        if ((i + 1 < n) != b[i].has_upper)
            return refcsv_fail(c, b[i].line, "upper", HL_EPARSE, err, errlen,
                               "only the highest %s band is open (empty upper)", what);
        if (b[i].has_upper && b[i].upper <= lo)
            return refcsv_fail(c, b[i].line, "upper", HL_EPARSE, err, errlen,
                               "%g is not above the lower edge", b[i].upper);
    }
    return 0;
}

static int gb18218__bar(const refcsv *c, gb18218_tables *t, char *err, size_t errlen)
{
    static const char *const names[] = {"table",    "item",  "cas",   "value",
                                        "verified", "lower", "upper", NULL};
    size_t col[7], ngrades = 0;
    gb18218_band grades[GB18218_GRADES];
    memset(grades, 0, sizeof grades);
    int rc = riskref_cols(c, names, col, err, errlen);
    if (rc < 0)
        return rc;
    snprintf(t->file_bar, sizeof t->file_bar, "%s", c->file);
    for (size_t i = 0; i < c->nrows; i++) {
        const refcsv_row *r = &c->rows[i];
        const char *table = r->f[col[0]];
        int unverified;
        if ((rc = riskref_unverified(c, r, col[4], &unverified, err, errlen)) < 0)
            return rc;
        if (strncmp(table, "Table3 ", 7) == 0) {
            if (t->ngases == GB18218_GASES_MAX)
                return refcsv_fail(c, r->line, NULL, HL_ETOOBIG, err, errlen,
                                   "more than %d table 3 gases", GB18218_GASES_MAX);
            gb18218_gas *g = &t->gases[t->ngases];
            g->line = r->line;
            g->unverified = unverified;
            if ((rc = riskref_copy(c, r, col[1], g->name, sizeof g->name, err, errlen)) < 0 ||
                (rc = riskref_copy(c, r, col[2], g->cas, sizeof g->cas, err, errlen)) < 0 ||
                (rc = gb18218__positive(c, r, col[3], &g->beta, err, errlen)) < 0)
                return rc;
            t->ngases++;
            continue;
        }
        int is_alpha = strncmp(table, "Table5 ", 7) == 0;
        if (!is_alpha && strncmp(table, "Table6 ", 7) != 0)
            return refcsv_fail(c, r->line, "table", HL_EPARSE, err, errlen,
                               "'%s' is not Table3, Table5 or Table6", table);
        if (is_alpha ? t->nalpha == GB18218_ALPHA_MAX : ngrades == GB18218_GRADES)
            return refcsv_fail(c, r->line, NULL, HL_ETOOBIG, err, errlen, "more than %d %s rows",
                               is_alpha ? GB18218_ALPHA_MAX : GB18218_GRADES,
                               is_alpha ? "table 5" : "table 6");
        gb18218_band *b = is_alpha ? &t->alpha[t->nalpha++] : &grades[ngrades++];
        b->line = r->line;
        b->unverified = unverified;
        if ((rc = riskref_copy(c, r, col[1], b->name, sizeof b->name, err, errlen)) < 0 ||
            (rc = riskref_edge(c, r, col[5], &b->has_lower, &b->lower, err, errlen)) < 0 ||
            (rc = riskref_edge(c, r, col[6], &b->has_upper, &b->upper, err, errlen)) < 0)
            return rc;
        if (is_alpha) {
            if ((rc = gb18218__positive(c, r, col[3], &b->value, err, errlen)) < 0)
                return rc;
            continue;
        }
        for (int g = 1; g <= 4; g++)
            if (strcmp(b->name, gb18218__grade_names[g]) == 0)
                b->value = g;
        if (b->value == 0)
            return refcsv_fail(c, r->line, "item", HL_EPARSE, err, errlen,
                               "'%s' is not 一级, 二级, 三级 or 四级", b->name);
    }
    if (ngrades != GB18218_GRADES)
        return refcsv_fail(c, c->header_line, NULL, HL_EPARSE, err, errlen,
                           "%zu table 6 grades: 一级..四级 are required", ngrades);
    if ((rc = gb18218__cover(c, t->alpha, t->nalpha, "table 5 (α)", err, errlen)) < 0 ||
        (rc = gb18218__cover(c, grades, ngrades, "table 6 (R)", err, errlen)) < 0)
        return rc;
    /* Sorted by R upwards, the grades must run 四级, 三级, 二级, 一级. */
    for (size_t i = 0; i < GB18218_GRADES; i++) {
        if ((int)grades[i].value != GB18218_GRADES - (int)i)
            return refcsv_fail(c, grades[i].line, "item", HL_EPARSE, err, errlen,
                               "%s is out of order (a higher R must give a higher grade)",
                               grades[i].name);
        t->grades[GB18218_GRADES - 1 - i] = grades[i];
    }
    return 0;
}

int gb18218_tables_from_csv(const refcsv *t1, const refcsv *t24, const refcsv *bar,
                            gb18218_tables **out, char *err, size_t errlen)
{
    *out = NULL;
    gb18218_tables *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    int rc;
    if ((rc = gb18218__t1(t1, t, err, errlen)) < 0 ||
        (rc = gb18218__t24(t24, t, err, errlen)) < 0 ||
        (rc = gb18218__bar(bar, t, err, errlen)) < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

int gb18218_tables_load(const char *dir, gb18218_tables **out, char *err, size_t errlen)
{
    static const char *const names[] = {GB18218_FILE_T1, GB18218_FILE_T24, GB18218_FILE_BAR};
    refcsv *f[3];
    *out = NULL;
    int rc = riskref_load(dir, names, 3, f, err, errlen);
    if (rc == 0)
        rc = gb18218_tables_from_csv(f[0], f[1], f[2], out, err, errlen);
    riskref_free(f, 3);
    return rc;
}

int gb18218_t1_find(const gb18218_tables *t, int seq)
{
    for (size_t i = 0; i < t->nt1; i++)
        if (t->t1[i].seq == seq)
            return (int)i;
    return HL_ENOTFOUND;
}

int gb18218_class_find(const gb18218_tables *t, const char *symbol)
{
    for (size_t i = 0; symbol && i < t->nclasses; i++)
        if (strcmp(t->classes[i].symbol, symbol) == 0)
            return (int)i;
    return HL_ENOTFOUND;
}

int gb18218_gas_find(const gb18218_tables *t, const char *cas, const char *name)
{
    for (size_t i = 0; cas && cas[0] && i < t->ngases; i++)
        if (strcmp(t->gases[i].cas, cas) == 0)
            return (int)i;
    for (size_t i = 0; name && name[0] && i < t->ngases; i++)
        if (strcmp(t->gases[i].name, name) == 0)
            return (int)i;
    return HL_ENOTFOUND;
}

int gb18218_t1_has_cas(const gb18218_tables *t, int t1, const char *cas)
{
    if (t1 < 0 || (size_t)t1 >= t->nt1 || !cas || !cas[0])
        return 0;
    size_t n = strlen(cas);
    /* Entries are ";"-separated, each a CAS number optionally followed by "(name)". */
    for (const char *p = t->t1[t1].cas; *p;) {
        if (strncmp(p, cas, n) == 0 && (p[n] == '\0' || p[n] == ';' || p[n] == '('))
            return 1;
        const char *semi = strchr(p, ';');
        if (!semi)
            break;
        p = semi + 1;
    }
    return 0;
}

/* The band (sorted by lower edge upwards) that v falls in. */
static size_t gb18218__band(const gb18218_band *b, size_t n, double v)
{
    size_t i = n - 1;
    while (i > 0 && !riskref_reached(v, b[i].has_lower ? b[i].lower : 0))
        i--;
    return i;
}

int gb18218_alpha(const gb18218_tables *t, double people, const gb18218_band **row)
{
    if (!isfinite(people) || people < 0 || t->nalpha == 0)
        return HL_EINVAL;
    *row = &t->alpha[gb18218__band(t->alpha, t->nalpha, people)];
    return 0;
}

int gb18218_grade(const gb18218_tables *t, double r, const gb18218_band **row)
{
    if (!isfinite(r) || r < 0)
        return HL_EINVAL;
    /* grades[] runs 一级..四级, i.e. by R downwards: search it reversed. */
    gb18218_band up[GB18218_GRADES];
    for (size_t i = 0; i < GB18218_GRADES; i++)
        up[i] = t->grades[GB18218_GRADES - 1 - i];
    size_t i = gb18218__band(up, GB18218_GRADES, r);
    *row = &t->grades[GB18218_GRADES - 1 - i];
    return (int)(*row)->value;
}

static int gb18218__term(const gb18218_tables *t, const gb18218_term_in *in, gb18218_term *o)
{
    if (!isfinite(in->q_t) || in->q_t < 0 || in->nclasses > GB18218_TERM_CLASSES || in->t1 < -1 ||
        in->t1 >= (int)t->nt1 || in->gas < -1 || in->gas >= (int)t->ngases)
        return HL_EINVAL;
    for (size_t k = 0; k < in->nclasses; k++)
        if (in->classes[k] < 0 || in->classes[k] >= (int)t->nclasses)
            return HL_EINVAL;
    if ((in->t1 < 0 || in->gas < 0) && in->nclasses == 0)
        return HL_EINVAL; /* no source for Q or for β */
    o->q_t = in->q_t;
    o->q_t1 = in->t1;
    o->q_class = -1;
    if (in->t1 >= 0) {
        /* §4.1.2 a): listed in 表1. */
        o->critical_t = t->t1[in->t1].critical_t;
        o->q_unverified = t->t1[in->t1].unverified;
    } else {
        /* §4.1.2 b): 表2 by hazard class, the lowest Q where several apply. */
        for (size_t k = 0; k < in->nclasses; k++) {
            const gb18218_class *c = &t->classes[in->classes[k]];
            if (o->q_class < 0 || c->critical_t < t->classes[o->q_class].critical_t)
                o->q_class = in->classes[k];
        }
        o->critical_t = t->classes[o->q_class].critical_t;
        o->q_unverified = t->classes[o->q_class].unverified;
    }
    o->ratio = o->q_t / o->critical_t;
    o->beta_gas = in->gas;
    o->beta_class = -1;
    if (in->gas >= 0) {
        o->beta = o->beta_alt = t->gases[in->gas].beta;
        o->beta_unverified = t->gases[in->gas].unverified;
        return 0;
    }
    /* 表4: the highest β among the classes, for each reading of a disputed row. */
    for (size_t k = 0; k < in->nclasses; k++) {
        const gb18218_class *c = &t->classes[in->classes[k]];
        double hi = fmax(c->beta[0], c->beta[1]), lo = fmin(c->beta[0], c->beta[1]);
        if (o->beta_class < 0 || hi > o->beta) {
            o->beta = hi;
            o->beta_class = in->classes[k];
        }
        if (k == 0 || lo > o->beta_alt)
            o->beta_alt = lo;
    }
    o->beta_disputed = o->beta != o->beta_alt;
    o->beta_unverified = t->classes[o->beta_class].unverified;
    return 0;
}

int gb18218_assess(const gb18218_tables *t, const gb18218_input *in, gb18218_result *out)
{
    memset(out, 0, sizeof *out);
    if (in->nterms > GB18218_TERMS_MAX ||
        (in->has_people && (!isfinite(in->people) || in->people < 0)))
        return HL_EINVAL;
    double sum_hi = 0, sum_lo = 0;
    for (size_t i = 0; i < in->nterms; i++) {
        gb18218_term *o = &out->terms[i];
        int rc = gb18218__term(t, &in->terms[i], o);
        if (rc < 0) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        out->s += o->ratio;
        sum_hi += o->beta * o->ratio;
        sum_lo += o->beta_alt * o->ratio;
        out->depends_on_disputed |= o->beta_disputed;
        out->unverified |= o->q_unverified && o->q_t > 0;
    }
    out->nterms = in->nterms;
    /* §4.2.2: S ≥ 1 (with the edge rule of gb18218.h). */
    out->major = in->nterms > 0 && riskref_reached(out->s, 1.0);
    if (!out->major || !in->has_people)
        return 0;
    for (size_t i = 0; i < out->nterms; i++)
        out->unverified |= out->terms[i].beta_unverified && out->terms[i].q_t > 0;
    gb18218_alpha(t, in->people, &out->alpha_row);
    out->alpha = out->alpha_row->value;
    out->r = out->alpha * sum_hi;
    out->r_alt = out->alpha * sum_lo;
    out->grade = gb18218_grade(t, out->r, &out->grade_row);
    const gb18218_band *alt;
    out->grade_alt = gb18218_grade(t, out->r_alt, &alt);
    out->unverified |= out->alpha_row->unverified || out->grade_row->unverified;
    out->graded = 1;
    return 0;
}
