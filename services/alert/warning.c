/* warning.c — see warning.h. */
#include "warning.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hazlink/hl_error.h"

static const char *const warning__cn[] = {"", "蓝", "黄", "橙", "红"};
static const char *const warning__en[] = {"", "blue", "yellow", "orange", "red"};

const char *warning_name(warning_level l)
{
    return (l >= WARNING_NONE && l <= WARNING_RED) ? warning__cn[l] : "";
}

const char *warning_name_en(warning_level l)
{
    return (l >= WARNING_NONE && l <= WARNING_RED) ? warning__en[l] : "";
}

int warning_parse(const char *s, warning_level *out)
{
    if (!s)
        return HL_EINVAL;
    for (int i = WARNING_NONE; i <= WARNING_RED; i++)
        if (strcmp(s, warning__cn[i]) == 0 || strcasecmp(s, warning__en[i]) == 0) {
            *out = (warning_level)i;
            return 0;
        }
    return HL_EINVAL;
}

void warning_destroy(warning_table **t)
{
    if (!t || !*t)
        return;
    free(*t);
    *t = NULL;
}

/* Rows of one drinking_source value must tile [0, ∞) in file order. */
static int warning__check_cover(const refcsv *c, const warning_table *t, int drinking, char *err,
                                size_t errlen)
{
    const warning_rule *prev = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const warning_rule *r = &t->rules[i];
        if (r->drinking != drinking)
            continue;
        double expect = prev ? prev->max : 0.0;
        if (prev && !prev->bounded)
            return refcsv_fail(c, r->line, "min_multiple", HL_EPARSE, err, errlen,
                               "comes after the unbounded row of line %d", prev->line);
        if (r->min != expect)
            return refcsv_fail(c, r->line, "min_multiple", HL_EPARSE, err, errlen,
                               "%g leaves a gap or overlap: the rows for drinking_source %s "
                               "must continue at %g",
                               r->min, drinking ? "yes" : "no", expect);
        if (prev && r->level < prev->level)
            return refcsv_fail(c, r->line, "level", HL_EPARSE, err, errlen,
                               "%s is lower than %s of line %d for a larger exceedance",
                               warning_name(r->level), warning_name(prev->level), prev->line);
        prev = r;
    }
    if (!prev)
        return refcsv_fail(c, c->header_line, "drinking_source", HL_EPARSE, err, errlen,
                           "no reading rows for drinking_source %s", drinking ? "yes" : "no");
    if (prev->bounded)
        return refcsv_fail(c, prev->line, "max_multiple", HL_EPARSE, err, errlen,
                           "the last row for drinking_source %s must have no upper bound",
                           drinking ? "yes" : "no");
    return 0;
}

static int warning__row(const refcsv *c, const refcsv_row *row, const size_t *k, warning_table *t,
                        char *err, size_t errlen)
{
    enum { ORIGIN, DRINK, MIN, MAX, LEVEL, LEVEL_EN };
    warning_level lv, lv_en;
    if (warning_parse(row->f[k[LEVEL]], &lv) < 0 || lv == WARNING_NONE ||
        strcmp(row->f[k[LEVEL]], warning_name(lv)) != 0)
        return refcsv_fail(c, row->line, "level", HL_EPARSE, err, errlen,
                           "'%s' is not 蓝, 黄, 橙 or 红", row->f[k[LEVEL]]);
    if (warning_parse(row->f[k[LEVEL_EN]], &lv_en) < 0 || lv_en != lv)
        return refcsv_fail(c, row->line, "level_en", HL_EPARSE, err, errlen,
                           "'%s' is not the English name of %s (%s)", row->f[k[LEVEL_EN]],
                           warning_name(lv), warning_name_en(lv));
    /* origin: 0 reading, 1 report; drinking_source: 0 no, 1 yes, 2 any (report rows). */
    static const char *const origins[] = {"reading", "report", NULL};
    static const char *const drinks[] = {"no", "yes", "any", NULL};
    int origin, drink;
    int rc = refcsv_enum(c, row, k[ORIGIN], origins, &origin, err, errlen);
    if (rc < 0 || (rc = refcsv_enum(c, row, k[DRINK], drinks, &drink, err, errlen)) < 0)
        return rc;
    if (origin == 1) {
        if (t->report_line)
            return refcsv_fail(c, row->line, "origin", HL_EPARSE, err, errlen,
                               "a second report row (the first is line %d)", t->report_line);
        if (drink != 2)
            return refcsv_fail(c, row->line, "drinking_source", HL_EPARSE, err, errlen,
                               "'%s': a report row applies to any section (write any)",
                               row->f[k[DRINK]]);
        if (row->f[k[MIN]][0] || row->f[k[MAX]][0])
            return refcsv_fail(c, row->line, row->f[k[MIN]][0] ? "min_multiple" : "max_multiple",
                               HL_EPARSE, err, errlen, "a report row has no multiples");
        t->report_level = lv;
        t->report_line = row->line;
        return 0;
    }
    if (drink == 2)
        return refcsv_fail(c, row->line, "drinking_source", HL_EPARSE, err, errlen,
                           "'any' is for the report row; a reading row says yes or no");
    if (t->n >= WARNING_MAX_RULES)
        return refcsv_fail(c, row->line, NULL, HL_ETOOBIG, err, errlen, "more than %d reading rows",
                           WARNING_MAX_RULES);
    warning_rule *r = &t->rules[t->n];
    memset(r, 0, sizeof *r);
    r->line = row->line;
    r->level = lv;
    r->drinking = drink;
    rc = refcsv_double(c, row, k[MIN], 1, &r->min, err, errlen);
    if (rc < 0)
        return rc;
    if (r->min < 0)
        return refcsv_fail(c, row->line, "min_multiple", HL_EPARSE, err, errlen, "%g is negative",
                           r->min);
    rc = refcsv_double(c, row, k[MAX], 0, &r->max, err, errlen);
    if (rc == HL_ENOTFOUND) {
        r->bounded = 0;
        r->max = INFINITY;
    } else if (rc < 0) {
        return rc;
    } else {
        r->bounded = 1;
        if (r->max <= r->min)
            return refcsv_fail(c, row->line, "max_multiple", HL_EPARSE, err, errlen,
                               "%g is not above min_multiple %g", r->max, r->min);
    }
    t->n++;
    return 0;
}

int warning_from_csv(const refcsv *c, warning_table **out, char *err, size_t errlen)
{
    static const char *const names[] = {"origin", "drinking_source", "min_multiple", "max_multiple",
                                        "level",  "level_en",        "basis"};
    size_t k[7];
    int rc = refcsv_cols(c, names, 7, k, err, errlen);
    if (rc < 0)
        return rc;
    warning_table *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    memcpy(t->file, c->file, sizeof t->file);
    for (size_t i = 0; i < c->nrows && rc == 0; i++)
        rc = warning__row(c, &c->rows[i], k, t, err, errlen);
    if (rc == 0)
        rc = warning__check_cover(c, t, 0, err, errlen);
    if (rc == 0)
        rc = warning__check_cover(c, t, 1, err, errlen);
    if (rc == 0 && !t->report_line)
        rc = refcsv_fail(c, c->header_line, "origin", HL_EPARSE, err, errlen,
                         "no report row (the level of an incident reported by a person)");
    if (rc < 0) {
        warning_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int warning_load(const char *path, warning_table **out, char *err, size_t errlen)
{
    refcsv *c = NULL;
    int rc = refcsv_load(path, &c, err, errlen);
    if (rc < 0)
        return rc;
    rc = warning_from_csv(c, out, err, errlen);
    refcsv_destroy(&c);
    return rc;
}

int warning_for_reading(const warning_table *t, double multiple, int drinking, warning_level *out)
{
    if (!isfinite(multiple) || multiple < 0)
        return HL_EINVAL;
    drinking = drinking ? 1 : 0;
    for (size_t i = 0; i < t->n; i++) {
        const warning_rule *r = &t->rules[i];
        if (r->drinking == drinking && multiple >= r->min && (!r->bounded || multiple < r->max)) {
            *out = r->level;
            return 0;
        }
    }
    /* Unreachable for a table that passed the cover check. */
    return HL_EINVAL;
}

warning_level warning_for_report(const warning_table *t)
{
    return t->report_level;
}
