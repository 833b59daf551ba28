/* grading.h — the grade of an environmental emergency (突发环境事件分级) from its facts.
 *
 * Source: 国家突发环境事件应急预案 (国办函〔2014〕119号), 附件1 突发环境事件分级标准: four
 * grades, 特别重大 (I), 重大 (II), 较大 (III), 一般 (IV). An incident takes the highest grade
 * any of its facts meets. The annex's boundary rule applies to every number: "上述分级标准
 * 有关数量的表述中，'以上'含本数，'以下'不含本数" — a lower bound is inclusive, an upper bound
 * exclusive (30 deaths is I, 29 is II).
 *
 * Data: playbooks/reference/incident_grading_national_plan_2014.csv, one row per criterion,
 * loaded once at start; nothing here is compiled in. Columns used: level, roman,
 * criterion_type, criterion_text_cn, lower_bound_inclusive, upper_bound_exclusive, unit,
 * fact, match, verified. `fact` and `match` are hazlink's additions to the transcription
 * (playbooks/reference/README.md): which fact of the incident a row tests, and for a
 * categorical fact the keywords (";"-separated) that meet it.
 *
 * Facts (grading_fact) and how a row is met:
 *  - counts and amounts (deaths, poisoned_or_seriously_injured, evacuated: 人;
 *    direct_economic_loss: 元): lower <= v < upper. An empty upper bound is unbounded. An
 *    empty lower bound (the 一般 IV rows, "3人以下死亡") is met by any v > 0: hazlink reads
 *    zero deaths as "no deaths", not as "fewer than 3", so a known 0 meets no row.
 *  - categorical (ecology, drinking_water_interruption, cross_boundary, radiation): the
 *    fact's keyword is one of the row's match keywords. "none" is always accepted and meets
 *    no row (the fact is known not to apply).
 *  - fact none (criterion_type catch_all, IV "对环境造成一定影响，尚未达到较大突发环境事件
 *    级别的"): met when no other row is. Every incident is at least IV.
 * A fact that is not known (not reported yet) meets nothing; grading_result lists it, so a
 * duty officer sees that the grade may still rise.
 *
 * The deciding criterion is the first met row (file order) of the highest grade met; all
 * met rows are listed, highest grade first, in file order within a grade.
 *
 * Checks at load (each error "file:line: field: what"): level and roman agree (特别重大 I,
 * 重大 II, 较大 III, 一般 IV); fact is known; numeric rows have a unit and bounds with
 * lower < upper, categorical rows a match list and no bounds; no keyword meets rows of two
 * grades; numeric rows of one fact do not overlap and a higher grade starts at or above the
 * end of a lower one; exactly one catch_all (fact none) row; verified yes|no.
 *
 * Pure: no I/O except grading_load (one file, through refcsv.h), no clock, no sockets.
 */
#ifndef ALERT_GRADING_H
#define ALERT_GRADING_H

#include <stddef.h>

#include "refcsv.h"

#define GRADING_MAX_CRITERIA 64
#define GRADING_MAX_MATCH 8    /* keywords per row */
#define GRADING_KEYWORD_MAX 63 /* bytes of one keyword (also of a fact value) */
#define GRADING_TEXT_MAX 511   /* criterion_text_cn */
#define GRADING_TYPE_MAX 63    /* criterion_type */
#define GRADING_UNIT_MAX 15
#define GRADING_AMOUNT_MAX 1e15 /* largest count or amount (元) accepted; beyond is a typo */
#define GRADING_SOURCE "国家突发环境事件应急预案 (国办函〔2014〕119号) 附件1"

/* Grades in order of severity, so that a larger value is a higher grade. */
typedef enum {
    GRADE_NONE = 0, /* not graded */
    GRADE_IV = 1,   /* 一般 */
    GRADE_III = 2,  /* 较大 */
    GRADE_II = 3,   /* 重大 */
    GRADE_I = 4     /* 特别重大 */
} grade_level;

typedef enum {
    GF_DEATHS = 0,
    GF_POISONED = 1,  /* poisoned or seriously injured (中毒或重伤), 人 */
    GF_EVACUATED = 2, /* evacuated or moved (疏散、转移), 人 */
    GF_LOSS = 3,      /* direct economic loss, 元 */
    GF_ECOLOGY = 4,   /* protected species and regional ecological function */
    GF_DRINKING = 5,  /* drinking-water intake interrupted: town|county|city */
    GF_CROSS = 6,     /* cross-boundary effect: county|prefecture|province|national */
    GF_RADIATION = 7, /* radioactive sources and releases */
    GF_COUNT = 8,
    GF_NONE = 9 /* the catch-all row tests no fact */
} grading_fact;

/* What is known about an incident. known[f] = 0: not reported yet. num[] for the numeric
 * facts (GF_DEATHS..GF_LOSS), cat[] for the categorical ones ("none" or a keyword). */
typedef struct grading_facts {
    int known[GF_COUNT];
    double num[GF_COUNT];
    char cat[GF_COUNT][GRADING_KEYWORD_MAX + 1];
} grading_facts;

typedef struct grading_criterion {
    grade_level grade;
    char type[GRADING_TYPE_MAX + 1]; /* criterion_type, e.g. "deaths", "transboundary" */
    grading_fact fact;
    int has_lo, has_hi;
    double lo, hi; /* [lo, hi) in unit */
    char unit[GRADING_UNIT_MAX + 1];
    char match[GRADING_MAX_MATCH][GRADING_KEYWORD_MAX + 1];
    size_t n_match;
    char text[GRADING_TEXT_MAX + 1]; /* criterion_text_cn, as in the annex */
    int verified;
    int line;
} grading_criterion;

typedef struct grading_table {
    char file[REFCSV_NAME_MAX + 1];
    grading_criterion c[GRADING_MAX_CRITERIA];
    size_t n;
    size_t catch_all; /* index of the catch-all row */
} grading_table;

typedef struct grading_result {
    grade_level grade;
    size_t decided_by; /* index into table->c */
    size_t met[GRADING_MAX_CRITERIA];
    size_t n_met; /* the catch-all is listed only when it decides */
    grading_fact unknown[GF_COUNT];
    size_t n_unknown;
    int unverified; /* a met row is marked unverified */
} grading_result;

/* Load path. HL_EIO, HL_EPARSE (see the checks above), HL_ETOOBIG (more than
 * GRADING_MAX_CRITERIA rows, a field over its limit), HL_ENOMEM. Free with grading_destroy. */
int grading_load(const char *path, grading_table **out, char *err, size_t errlen);
int grading_from_csv(const refcsv *csv, grading_table **out, char *err, size_t errlen);
void grading_destroy(grading_table **t);

/* Grade facts. HL_EINVAL when a known fact is malformed (numeric: negative, NaN, over
 * GRADING_AMOUNT_MAX; categorical: a keyword no row of the table uses, other than "none");
 * grading_facts_check says which. */
int grading_grade(const grading_table *t, const grading_facts *f, grading_result *out);

/* Check one fact value before it is stored. value: numeric facts use num, categorical ones
 * cat. 0, or HL_EINVAL with why ("cross_boundary 'planet' is not none, county, prefecture,
 * province or national"). */
int grading_fact_check(const grading_table *t, grading_fact f, double num, const char *cat,
                       char *why, size_t whylen);

/* "deaths", "poisoned_or_seriously_injured", "evacuated", "direct_economic_loss", "ecology",
 * "drinking_water_interruption", "cross_boundary", "radiation", "none"; static storage. */
const char *grading_fact_name(grading_fact f);
/* 1 for the numeric facts (GF_DEATHS..GF_LOSS). */
int grading_fact_numeric(grading_fact f);

/* "I".."IV" ("" for GRADE_NONE) and 特别重大 … 一般; static storage. */
const char *grading_roman(grade_level g);
const char *grading_name(grade_level g);
/* Parse "I".."IV" or 特别重大 … 一般. HL_EINVAL otherwise (GRADE_NONE is not accepted). */
int grading_parse(const char *s, grade_level *out);

/* One line citing a criterion for people: "附件1 较大(III) deaths: 3人以上10人以下死亡",
 * with " (unverified)" appended when the row is. Returns out. */
const char *grading_cite(const grading_table *t, size_t idx, char *out, size_t n);

#endif
