/* risk_grade.c — see risk_grade.h. */
#include "risk_grade.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

int risk_tables_load(const char *dir, risk_tables *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    int rc = hj941_tables_load(dir, &out->hj, err, errlen);
    if (rc == 0)
        rc = gb18218_tables_load(dir, &out->gb, err, errlen);
    if (rc < 0)
        risk_tables_free(out);
    return rc;
}

void risk_tables_free(risk_tables *t)
{
    hj941_tables_destroy(&t->hj);
    gb18218_tables_destroy(&t->gb);
}

/* "file:line: " + message; returns code. */
__attribute__((format(printf, 6, 7))) static int rg__fail(const risk_register *reg, int line,
                                                          int code, char *err, size_t errlen,
                                                          const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "%s:%d: %s", reg->file, line, what);
    return code;
}

/* Append a sentence to a note (cut at the end of the buffer: notes are explanations). */
__attribute__((format(printf, 3, 4))) static void rg__note(char *note, size_t n, const char *fmt,
                                                           ...)
{
    size_t len = strlen(note);
    if (len + 2 >= n)
        return;
    if (len)
        note[len++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(note + len, n - len, fmt, ap);
    va_end(ap);
}

static int rg__same(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

static int rg__classes(const risk_register *reg, const gb18218_tables *gb, int line, size_t n,
                       char (*names)[RISK_CLASS_MAX + 1], int *idx, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        idx[i] = gb18218_class_find(gb, names[i]);
        if (idx[i] < 0)
            return rg__fail(reg, line, HL_EPARSE, err, errlen,
                            "gb18218.classes: '%s' is not a GB 18218-2018 表2 class (%s)", names[i],
                            gb->file_t24);
    }
    return 0;
}

static int rg__gb_substance(const risk_register *reg, risk_substance *s, const gb18218_tables *gb,
                            char *err, size_t errlen)
{
    s->gb_t1 = -1;
    s->gb_gas = gb18218_gas_find(gb, s->cas, s->name);
    if (s->gb_gas < 0)
        s->gb_gas = -1;
    if (s->gb18218_listed) {
        s->gb_t1 = gb18218_t1_find(gb, s->gb18218_row);
        if (s->gb_t1 < 0)
            return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                            "gb18218.row: 序号%d is not in GB 18218-2018 表1 (%s)", s->gb18218_row,
                            gb->file_t1);
        const gb18218_t1 *r = &gb->t1[s->gb_t1];
        if (!rg__same(r->critical_t, s->gb18218_t))
            return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                            "gb18218.critical_quantity_t: %g t, but GB 18218-2018 表1 序号%d "
                            "(%s:%d) says %g t",
                            s->gb18218_t, r->seq, gb->file_t1, r->line, r->critical_t);
        if (!r->unverified != !s->gb18218_unverified)
            return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                            "gb18218.unverified: %s, but GB 18218-2018 表1 序号%d (%s:%d) is %s",
                            s->gb18218_unverified ? "true" : "false", r->seq, gb->file_t1, r->line,
                            r->unverified ? "unverified" : "not flagged");
        if (s->cas[0] && r->cas[0] && !gb18218_t1_has_cas(gb, s->gb_t1, s->cas))
            return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                            "gb18218.row: 表1 序号%d (%s:%d) is %s, CAS %s, not CAS %s", r->seq,
                            gb->file_t1, r->line, r->name, r->cas, s->cas);
    } else if (s->cas[0]) {
        for (size_t i = 0; i < gb->nt1; i++)
            if (gb18218_t1_has_cas(gb, (int)i, s->cas))
                return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                                "gb18218: CAS %s is GB 18218-2018 表1 序号%d %s (%s:%d): give "
                                "its row",
                                s->cas, gb->t1[i].seq, gb->t1[i].name, gb->file_t1, gb->t1[i].line);
    }
    return rg__classes(reg, gb, s->line, s->gb18218_nclasses, s->gb18218_classes, s->gb_class, err,
                       errlen);
}

/* The appendix A row of s, by the rules of risk_grade.h; HL_ENOTFOUND when none. */
static int rg__hj_row(const risk_substance *s, const hj941_tables *hj, size_t *ncas)
{
    int k = hj941_substance_find(hj, s->hj941_name[0] ? s->hj941_name : s->name);
    *ncas = 0;
    if (k >= 0 || s->hj941_name[0])
        return k;
    for (size_t a = 0; a < s->naliases && k < 0; a++)
        k = hj941_substance_find(hj, s->aliases[a]);
    size_t first = 0;
    if (k < 0 && (*ncas = hj941_substance_find_cas(hj, s->cas, &first)) == 1)
        k = (int)first;
    return k;
}

static int rg__hj_substance(const risk_register *reg, risk_substance *s, const hj941_tables *hj,
                            char *err, size_t errlen)
{
    size_t ncas;
    int k = rg__hj_row(s, hj, &ncas);
    s->hj_row = -1;
    if (!s->hj941_listed) {
        /* Not said to be listed: refuse when appendix A does list it under this name. */
        if (k >= 0 && hj->subst[k].listed && hj941_substance_find(hj, s->name) == k)
            return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                            "hj941: '%s' is listed in HJ 941-2018 附录A (%s:%d, %g t): add its "
                            "hj941 entry",
                            s->name, hj->file_subst, hj->subst[k].line, hj->subst[k].critical_t);
        return 0;
    }
    if (k < 0 && ncas > 1)
        return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                        "hj941.name: CAS %s is on %zu rows of HJ 941-2018 附录A (%s): name the row",
                        s->cas, ncas, hj->file_subst);
    if (k < 0)
        return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                        "hj941.name: '%s' is not a row of HJ 941-2018 附录A (%s)",
                        s->hj941_name[0] ? s->hj941_name : s->name, hj->file_subst);
    const hj941_substance *r = &hj->subst[k];
    if (!r->listed || !rg__same(r->critical_t, s->hj941_t))
        return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                        "hj941.critical_quantity_t: %g t, but HJ 941-2018 附录A %s (%s:%d) says "
                        "%s",
                        s->hj941_t, r->name, hj->file_subst, r->line,
                        r->listed ? "another quantity" : "it is not a risk substance");
    if (!r->unverified != !s->hj941_unverified)
        return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                        "hj941.unverified: %s, but HJ 941-2018 附录A %s (%s:%d) is %s",
                        s->hj941_unverified ? "true" : "false", r->name, hj->file_subst, r->line,
                        r->unverified ? "unverified" : "not flagged");
    s->hj_row = k;
    return 0;
}

/* The term of substance k in a term list (by register index), added when new. */
static int rg__slot(size_t *keys, size_t *n, size_t k)
{
    for (size_t i = 0; i < *n; i++)
        if (keys[i] == k)
            return (int)i;
    if (*n == RISK_SOURCE_TERMS_MAX)
        return HL_ETOOBIG;
    keys[*n] = k;
    return (int)(*n)++;
}

static int rg__too_many(const risk_register *reg, const risk_source *src, char *err, size_t errlen)
{
    return rg__fail(reg, src->line, HL_ETOOBIG, err, errlen,
                    "substances: source %s holds more than %d distinct substances", src->id,
                    RISK_SOURCE_TERMS_MAX);
}

static int rg__hj_source(const risk_register *reg, risk_source *src, const hj941_tables *hj,
                         char *err, size_t errlen)
{
    risk_grades *g = &src->grades;
    hj941_input in;
    size_t keys[RISK_SOURCE_TERMS_MAX];
    memset(&in, 0, sizeof in);
    for (size_t i = 0; i < src->nholdings; i++) {
        const risk_holding *h = &src->holdings[i];
        size_t n = h->is_mixture ? h->ncomponents : 1;
        for (size_t c = 0; c < n; c++) {
            size_t k = h->is_mixture ? h->components[c].substance : h->substance;
            double f = h->is_mixture ? h->components[c].fraction : 1;
            int slot = rg__slot(keys, &in.nterms, k);
            if (slot < 0)
                return rg__too_many(reg, src, err, errlen);
            /* §7.1: a mixture counts by its component fraction. */
            in.terms[slot].q_t += h->max_quantity_t * f;
            in.terms[slot].row = reg->substances[k].hj_row;
        }
    }
    if (src->hj941.given) {
        in.assessed = 1;
        in.process_score = src->hj941.process_score;
        for (int m = 0; m < HJ941_MEDIA; m++) {
            in.control_score[m] = src->hj941.control_score[m];
            in.e[m] = src->hj941.e[m];
        }
    }
    int rc = hj941_assess(hj, &in, &g->hj);
    if (rc < 0)
        return rg__fail(reg, src->line, rc, err, errlen, "hj941: source %s cannot be graded",
                        src->id);
    for (size_t i = 0; i < in.nterms; i++) {
        const risk_substance *s = &reg->substances[keys[i]];
        g->hj_names[i] = s->name;
        if (s->hj_row < 0)
            rg__note(g->hj_note, sizeof g->hj_note,
                     "%s is not in HJ 941-2018 附录A as transcribed: not counted in Q.", s->name);
    }
    rg__note(g->hj_note, sizeof g->hj_note,
             "One Q serves both media (hazlink simplification: HJ 941 sums the air and the "
             "water risk substances of 附录A separately).");
    if (strcmp(src->kind, "chemical_park") == 0)
        rg__note(g->hj_note, sizeof g->hj_note,
                 "HJ 941-2018 grades enterprises: this chemical park is graded as if it were one.");
    if (!src->hj941.given)
        rg__note(g->hj_note, sizeof g->hj_note,
                 "M and E are not assessed: a level is determined only when Q < 1.");
    else if (src->hj941.assumed)
        rg__note(g->hj_note, sizeof g->hj_note,
                 "The process and control scores and E are hazlink assumptions, not a filed "
                 "assessment.");
    return 0;
}

/* Add holding h of src to the GB 18218 terms. */
static int rg__gb_holding(const risk_register *reg, const risk_source *src, const risk_holding *h,
                          gb18218_input *in, size_t *keys, risk_grades *g, char *err, size_t errlen)
{
    if (h->is_mixture && h->gb18218_as < 0) {
        if (h->gb18218_nclasses == 0) {
            rg__note(g->gb_note, sizeof g->gb_note,
                     "Mixture %s has no GB 18218 hazard class: not counted.", h->mixture);
            return 0;
        }
        /* Counted whole by its own classes (a key no substance index can take). */
        int slot = rg__slot(keys, &in->nterms, RISK_SUBSTANCES_MAX + (size_t)(h - src->holdings));
        if (slot < 0)
            return rg__too_many(reg, src, err, errlen);
        gb18218_term_in *t = &in->terms[slot];
        t->q_t = h->max_quantity_t;
        t->t1 = t->gas = -1;
        t->nclasses = h->gb18218_nclasses;
        memcpy(t->classes, h->gb_class, sizeof t->classes);
        g->gb_names[slot] = h->mixture;
        return 0;
    }
    size_t k = h->is_mixture ? h->components[h->gb18218_as].substance : h->substance;
    const risk_substance *s = &reg->substances[k];
    if (!s->gb18218_given)
        return rg__fail(reg, h->line, HL_EPARSE, err, errlen,
                        "gb18218: substance '%s' (line %d) held by %s has no gb18218 entry: "
                        "GB 18218-2018 §4.1.2 needs its 表1 row or its 表2 classes",
                        s->name, s->line, src->id);
    if (!s->gb18218_listed && s->gb18218_nclasses == 0) {
        rg__note(g->gb_note, sizeof g->gb_note, "%s has no GB 18218 hazard class: not counted.",
                 s->name);
        return 0;
    }
    if (s->gb_gas < 0 && s->gb18218_nclasses == 0)
        return rg__fail(reg, s->line, HL_EPARSE, err, errlen,
                        "gb18218.classes: '%s' is not a 表3 toxic gas, so β needs its classes "
                        "(GB 18218-2018 表4)",
                        s->name);
    int slot = rg__slot(keys, &in->nterms, k);
    if (slot < 0)
        return rg__too_many(reg, src, err, errlen);
    gb18218_term_in *t = &in->terms[slot];
    /* A mixture with its pure substance's hazard class counts whole, as that substance. */
    t->q_t += h->max_quantity_t;
    t->t1 = s->gb_t1;
    t->gas = s->gb_gas;
    t->nclasses = s->gb18218_nclasses;
    memcpy(t->classes, s->gb_class, sizeof t->classes);
    g->gb_names[slot] = s->name;
    return 0;
}

static int rg__gb_source(const risk_register *reg, risk_source *src, const gb18218_tables *gb,
                         char *err, size_t errlen)
{
    risk_grades *g = &src->grades;
    gb18218_input in;
    size_t keys[RISK_SOURCE_TERMS_MAX];
    memset(&in, 0, sizeof in);
    for (size_t i = 0; i < src->nholdings; i++) {
        int rc = rg__gb_holding(reg, src, &src->holdings[i], &in, keys, g, err, errlen);
        if (rc < 0)
            return rc;
    }
    in.has_people = src->gb18218.given;
    in.people = src->gb18218.people;
    int rc = gb18218_assess(gb, &in, &g->gb);
    if (rc < 0)
        return rg__fail(reg, src->line, rc, err, errlen, "gb18218: source %s cannot be graded",
                        src->id);
    const gb18218_result *r = &g->gb;
    rg__note(g->gb_note, sizeof g->gb_note,
             "The whole site is identified as one unit (GB 18218 identifies each 生产单元 and "
             "储存单元).");
    if (!r->major)
        rg__note(g->gb_note, sizeof g->gb_note,
                 "S < 1: not a major hazard source, so not graded (GB 18218-2018 §4.2.2).");
    else if (!src->gb18218.given)
        rg__note(g->gb_note, sizeof g->gb_note,
                 "The people within 500 m are not given: α and the grade are not determined.");
    if (r->graded && r->depends_on_disputed)
        rg__note(g->gb_note, sizeof g->gb_note,
                 "The grade depends on a disputed β (GB 18218-2018 表4 J2: the sources give 1 "
                 "and 2): %s with the higher value (R %.4g), %s with the lower (R %.4g).",
                 gb18218_grade_name(r->grade), r->r, gb18218_grade_name(r->grade_alt), r->r_alt);
    if (r->graded && src->gb18218.assumed)
        rg__note(g->gb_note, sizeof g->gb_note,
                 "The number of people within 500 m is a hazlink assumption.");
    return 0;
}

int risk_grade_bind(risk_register *reg, const risk_tables *t, char *err, size_t errlen)
{
    int rc = 0;
    for (size_t i = 0; i < reg->nsources; i++)
        memset(&reg->sources[i].grades, 0, sizeof reg->sources[i].grades);
    for (size_t i = 0; rc == 0 && i < reg->nsubstances; i++)
        if ((rc = rg__gb_substance(reg, &reg->substances[i], t->gb, err, errlen)) == 0)
            rc = rg__hj_substance(reg, &reg->substances[i], t->hj, err, errlen);
    for (size_t i = 0; rc == 0 && i < reg->nsources; i++) {
        risk_source *s = &reg->sources[i];
        for (size_t j = 0; rc == 0 && j < s->nholdings; j++)
            rc = rg__classes(reg, t->gb, s->holdings[j].line, s->holdings[j].gb18218_nclasses,
                             s->holdings[j].gb18218_classes, s->holdings[j].gb_class, err, errlen);
        if (rc == 0 && (rc = rg__hj_source(reg, s, t->hj, err, errlen)) == 0 &&
            (rc = rg__gb_source(reg, s, t->gb, err, errlen)) == 0)
            s->grades.done = 1;
    }
    if (rc < 0)
        for (size_t i = 0; i < reg->nsources; i++)
            reg->sources[i].grades.done = 0;
    return rc;
}
