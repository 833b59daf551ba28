/* grading.c — see grading.h for the rules and the annex behind them. */
#include "grading.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

static const char *const grading__roman[] = {"", "IV", "III", "II", "I"};
static const char *const grading__cn[] = {"", "一般", "较大", "重大", "特别重大"};
static const char *const grading__facts[] = {"deaths",
                                             "poisoned_or_seriously_injured",
                                             "evacuated",
                                             "direct_economic_loss",
                                             "ecology",
                                             "drinking_water_interruption",
                                             "cross_boundary",
                                             "radiation",
                                             NULL,
                                             "none"};

const char *grading_roman(grade_level g)
{
    return g >= GRADE_NONE && g <= GRADE_I ? grading__roman[g] : "";
}

const char *grading_name(grade_level g)
{
    return g >= GRADE_NONE && g <= GRADE_I ? grading__cn[g] : "";
}

int grading_parse(const char *s, grade_level *out)
{
    if (!s)
        return HL_EINVAL;
    for (int g = GRADE_IV; g <= GRADE_I; g++)
        if (strcmp(s, grading__roman[g]) == 0 || strcmp(s, grading__cn[g]) == 0) {
            *out = (grade_level)g;
            return 0;
        }
    return HL_EINVAL;
}

const char *grading_fact_name(grading_fact f)
{
    return f >= GF_DEATHS && f <= GF_NONE && grading__facts[f] ? grading__facts[f] : "?";
}

int grading_fact_numeric(grading_fact f)
{
    return f >= GF_DEATHS && f <= GF_LOSS;
}

void grading_destroy(grading_table **t)
{
    if (!t || !*t)
        return;
    free(*t);
    *t = NULL;
}

const char *grading_cite(const grading_table *t, size_t idx, char *out, size_t n)
{
    if (!out || !n)
        return out;
    if (!t || idx >= t->n) {
        out[0] = '\0';
        return out;
    }
    const grading_criterion *c = &t->c[idx];
    snprintf(out, n, "附件1 %s(%s) %s: %s%s", grading_name(c->grade), grading_roman(c->grade),
             c->type, c->text, c->verified ? "" : " (unverified)");
    return out;
}

/* Split the ;-separated keywords of match into cr->match. */
static int grading__keywords(const refcsv *c, const refcsv_row *row, const char *v,
                             grading_criterion *cr, char *err, size_t errlen)
{
    const char *p = v;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (len == 0 || len > GRADING_KEYWORD_MAX)
            return refcsv_fail(c, row->line, "match", HL_EPARSE, err, errlen, "keyword %zu is %s",
                               cr->n_match + 1, len ? "too long" : "empty");
        if (cr->n_match == GRADING_MAX_MATCH)
            return refcsv_fail(c, row->line, "match", HL_ETOOBIG, err, errlen,
                               "more than %d keywords", GRADING_MAX_MATCH);
        memcpy(cr->match[cr->n_match], p, len);
        cr->match[cr->n_match][len] = '\0';
        if (strcmp(cr->match[cr->n_match], "none") == 0)
            return refcsv_fail(c, row->line, "match", HL_EPARSE, err, errlen,
                               "'none' means the fact does not apply; it cannot meet a row");
        cr->n_match++;
        p = semi ? semi + 1 : p + len;
    }
    return 0;
}

enum { K_LEVEL, K_ROMAN, K_TYPE, K_TEXT, K_LO, K_HI, K_UNIT, K_FACT, K_MATCH, K_VERIFIED, K_N };

static int grading__row(const refcsv *c, const refcsv_row *row, const size_t *k, grading_table *t,
                        char *err, size_t errlen)
{
    if (t->n == GRADING_MAX_CRITERIA)
        return refcsv_fail(c, row->line, NULL, HL_ETOOBIG, err, errlen, "more than %d criteria",
                           GRADING_MAX_CRITERIA);
    grading_criterion *cr = &t->c[t->n];
    memset(cr, 0, sizeof *cr);
    cr->line = row->line;
    grade_level g, g2;
    if (grading_parse(row->f[k[K_ROMAN]], &g) < 0 ||
        strcmp(row->f[k[K_ROMAN]], grading_roman(g)) != 0)
        return refcsv_fail(c, row->line, "roman", HL_EPARSE, err, errlen,
                           "'%s' is not I, II, III or IV", row->f[k[K_ROMAN]]);
    if (grading_parse(row->f[k[K_LEVEL]], &g2) < 0 || g2 != g)
        return refcsv_fail(c, row->line, "level", HL_EPARSE, err, errlen,
                           "'%s' is not %s, the name of grade %s", row->f[k[K_LEVEL]],
                           grading_name(g), grading_roman(g));
    cr->grade = g;
    static const char *const yn[] = {"no", "yes", NULL};
    int rc = refcsv_enum(c, row, k[K_VERIFIED], yn, &cr->verified, err, errlen);
    if (rc < 0)
        return rc;
    int fact = -1;
    for (int f = 0; f <= GF_NONE; f++)
        if (grading__facts[f] && strcmp(row->f[k[K_FACT]], grading__facts[f]) == 0)
            fact = f;
    if (fact < 0)
        return refcsv_fail(c, row->line, "fact", HL_EPARSE, err, errlen,
                           "'%s' is not a fact hazlink grades by (deaths, "
                           "poisoned_or_seriously_injured, evacuated, direct_economic_loss, "
                           "ecology, drinking_water_interruption, cross_boundary, radiation "
                           "or none)",
                           row->f[k[K_FACT]]);
    cr->fact = (grading_fact)fact;
    if ((rc = refcsv_copy(c, row, k[K_TYPE], cr->type, sizeof cr->type, err, errlen)) < 0 ||
        (rc = refcsv_copy(c, row, k[K_TEXT], cr->text, sizeof cr->text, err, errlen)) < 0 ||
        (rc = refcsv_copy(c, row, k[K_UNIT], cr->unit, sizeof cr->unit, err, errlen)) < 0)
        return rc;
    if (!cr->type[0])
        return refcsv_fail(c, row->line, "criterion_type", HL_EPARSE, err, errlen, "empty");
    const char *lo = row->f[k[K_LO]], *hi = row->f[k[K_HI]], *match = row->f[k[K_MATCH]];
    if (grading_fact_numeric(cr->fact)) {
        if (match[0])
            return refcsv_fail(c, row->line, "match", HL_EPARSE, err, errlen,
                               "a %s row is met by its bounds, not by keywords", cr->type);
        if (!lo[0] && !hi[0])
            return refcsv_fail(c, row->line, "lower_bound_inclusive", HL_EPARSE, err, errlen,
                               "a %s row needs a lower or an upper bound", cr->type);
        if (!cr->unit[0])
            return refcsv_fail(c, row->line, "unit", HL_EPARSE, err, errlen,
                               "a %s row needs its unit (人 or 元)", cr->type);
        rc = refcsv_double(c, row, k[K_LO], 0, &cr->lo, err, errlen);
        if (rc < 0 && rc != HL_ENOTFOUND)
            return rc;
        cr->has_lo = rc == 0;
        rc = refcsv_double(c, row, k[K_HI], 0, &cr->hi, err, errlen);
        if (rc < 0 && rc != HL_ENOTFOUND)
            return rc;
        cr->has_hi = rc == 0;
        if ((cr->has_lo && (cr->lo < 0 || cr->lo > GRADING_AMOUNT_MAX)) ||
            (cr->has_hi && (cr->hi <= 0 || cr->hi > GRADING_AMOUNT_MAX)))
            return refcsv_fail(
                c, row->line,
                cr->has_lo && (cr->lo < 0 || cr->lo > GRADING_AMOUNT_MAX) ? "lower_bound_inclusive"
                                                                          : "upper_bound_exclusive",
                HL_EPARSE, err, errlen, "out of range (0 .. %g)", GRADING_AMOUNT_MAX);
        if (cr->has_lo && cr->has_hi && cr->lo >= cr->hi)
            return refcsv_fail(c, row->line, "upper_bound_exclusive", HL_EPARSE, err, errlen,
                               "%g is not above the lower bound %g", cr->hi, cr->lo);
    } else {
        if (lo[0] || hi[0])
            return refcsv_fail(c, row->line,
                               lo[0] ? "lower_bound_inclusive" : "upper_bound_exclusive", HL_EPARSE,
                               err, errlen, "a %s row has no numeric bounds", cr->type);
        if (cr->fact == GF_NONE) {
            if (match[0])
                return refcsv_fail(c, row->line, "match", HL_EPARSE, err, errlen,
                                   "the catch-all row (fact none) has no keywords");
        } else {
            if (!match[0])
                return refcsv_fail(c, row->line, "match", HL_EPARSE, err, errlen,
                                   "a %s row needs the keywords that meet it", cr->type);
            if ((rc = grading__keywords(c, row, match, cr, err, errlen)) < 0)
                return rc;
        }
    }
    t->n++;
    return 0;
}

/* Whole-table checks: one catch-all; keywords of a fact name one grade; numeric rows of a
 * fact do not overlap and rise with the grade. */
static int grading__check(const refcsv *c, grading_table *t, char *err, size_t errlen)
{
    int found = 0;
    for (size_t i = 0; i < t->n; i++) {
        const grading_criterion *a = &t->c[i];
        if (a->fact == GF_NONE) {
            if (found)
                return refcsv_fail(c, a->line, "fact", HL_EPARSE, err, errlen,
                                   "a second catch-all row (the first is line %d)",
                                   t->c[t->catch_all].line);
            found = 1;
            t->catch_all = i;
            continue;
        }
        for (size_t j = 0; j < i; j++) {
            const grading_criterion *b = &t->c[j];
            if (b->fact != a->fact)
                continue;
            for (size_t x = 0; x < a->n_match; x++)
                for (size_t y = 0; y < b->n_match; y++)
                    if (strcmp(a->match[x], b->match[y]) == 0 && a->grade != b->grade)
                        return refcsv_fail(c, a->line, "match", HL_EPARSE, err, errlen,
                                           "'%s' already meets grade %s on line %d", a->match[x],
                                           grading_roman(b->grade), b->line);
            if (!grading_fact_numeric(a->fact))
                continue;
            if (a->grade == b->grade)
                return refcsv_fail(c, a->line, "fact", HL_EPARSE, err, errlen,
                                   "a second %s row for grade %s (line %d)",
                                   grading_fact_name(a->fact), grading_roman(a->grade), b->line);
            /* The more severe grade must start where the less severe one ends or above:
             * [lo_low, hi_low) then [lo_high, …) with lo_high >= hi_low. */
            const grading_criterion *low = a->grade < b->grade ? a : b;
            const grading_criterion *high = a->grade < b->grade ? b : a;
            if (!low->has_hi || !high->has_lo || high->lo < low->hi)
                return refcsv_fail(c, a->line, "lower_bound_inclusive", HL_EPARSE, err, errlen,
                                   "%s of grade %s overlaps grade %s (line %d)",
                                   grading_fact_name(a->fact), grading_roman(a->grade),
                                   grading_roman(b->grade), b->line);
        }
    }
    if (!found)
        return refcsv_fail(c, c->header_line, "fact", HL_EPARSE, err, errlen,
                           "no catch-all row (fact none): every incident is at least IV");
    return 0;
}

int grading_from_csv(const refcsv *c, grading_table **out, char *err, size_t errlen)
{
    static const char *const names[K_N] = {"level",
                                           "roman",
                                           "criterion_type",
                                           "criterion_text_cn",
                                           "lower_bound_inclusive",
                                           "upper_bound_exclusive",
                                           "unit",
                                           "fact",
                                           "match",
                                           "verified"};
    size_t k[K_N];
    int rc = refcsv_cols(c, names, K_N, k, err, errlen);
    if (rc < 0)
        return rc;
    grading_table *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    memcpy(t->file, c->file, sizeof t->file);
    for (size_t i = 0; i < c->nrows && rc == 0; i++)
        rc = grading__row(c, &c->rows[i], k, t, err, errlen);
    if (rc == 0)
        rc = grading__check(c, t, err, errlen);
    if (rc < 0) {
        grading_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int grading_load(const char *path, grading_table **out, char *err, size_t errlen)
{
    refcsv *c = NULL;
    int rc = refcsv_load(path, &c, err, errlen);
    if (rc < 0)
        return rc;
    rc = grading_from_csv(c, out, err, errlen);
    refcsv_destroy(&c);
    return rc;
}

int grading_fact_check(const grading_table *t, grading_fact f, double num, const char *cat,
                       char *why, size_t whylen)
{
    if (f < GF_DEATHS || f >= GF_COUNT) {
        if (why && whylen)
            snprintf(why, whylen, "not a fact hazlink grades by");
        return HL_EINVAL;
    }
    if (grading_fact_numeric(f)) {
        if (!isfinite(num) || num < 0 || num > GRADING_AMOUNT_MAX) {
            if (why && whylen)
                snprintf(why, whylen, "%s %g is not a count or amount in 0 .. %g",
                         grading_fact_name(f), num, GRADING_AMOUNT_MAX);
            return HL_EINVAL;
        }
        return 0;
    }
    if (cat && strcmp(cat, "none") == 0)
        return 0;
    char list[512];
    size_t used = (size_t)snprintf(list, sizeof list, "none");
    for (size_t i = 0; i < t->n; i++) {
        const grading_criterion *c = &t->c[i];
        if (c->fact != f)
            continue;
        for (size_t m = 0; m < c->n_match; m++) {
            if (cat && strcmp(cat, c->match[m]) == 0)
                return 0;
            if (used < sizeof list) {
                int w = snprintf(list + used, sizeof list - used, ", %s", c->match[m]);
                used += w > 0 ? (size_t)w : 0;
            }
        }
    }
    if (why && whylen)
        snprintf(why, whylen, "%s '%.64s' is not one of: %s", grading_fact_name(f), cat ? cat : "",
                 list);
    return HL_EINVAL;
}

static int grading__met(const grading_criterion *c, const grading_facts *f)
{
    if (c->fact == GF_NONE || !f->known[c->fact])
        return 0;
    if (grading_fact_numeric(c->fact)) {
        double v = f->num[c->fact];
        /* Lower bound inclusive, upper exclusive (附件1: 以上含本数，以下不含本数); a row
         * without a lower bound counts from the first person or yuan (see grading.h). */
        if (c->has_lo ? v < c->lo : v <= 0)
            return 0;
        return !c->has_hi || v < c->hi;
    }
    for (size_t m = 0; m < c->n_match; m++)
        if (strcmp(f->cat[c->fact], c->match[m]) == 0)
            return 1;
    return 0;
}

int grading_grade(const grading_table *t, const grading_facts *f, grading_result *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < GF_COUNT; k++) {
        if (!f->known[k]) {
            out->unknown[out->n_unknown++] = (grading_fact)k;
            continue;
        }
        if (grading_fact_check(t, (grading_fact)k, f->num[k], f->cat[k], NULL, 0) < 0)
            return HL_EINVAL;
    }
    /* Highest grade first, file order within a grade. */
    for (int g = GRADE_I; g >= GRADE_IV; g--)
        for (size_t i = 0; i < t->n; i++)
            if (t->c[i].grade == (grade_level)g && grading__met(&t->c[i], f)) {
                if (out->n_met == 0) {
                    out->grade = (grade_level)g;
                    out->decided_by = i;
                }
                out->met[out->n_met++] = i;
                out->unverified |= !t->c[i].verified;
            }
    if (out->n_met == 0) {
        out->grade = t->c[t->catch_all].grade;
        out->decided_by = t->catch_all;
        out->met[out->n_met++] = t->catch_all;
        out->unverified = !t->c[t->catch_all].verified;
    }
    return 0;
}
