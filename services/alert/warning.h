/* warning.h — warning level 蓝/黄/橙/红 (blue/yellow/orange/red) of an exceedance.
 *
 * These are hazlink rules, NOT a national table: playbooks/reference/warning_levels.csv,
 * loaded at start (replace the file to change them). A reading's level depends on its
 * exceedance multiple 超标倍数 (gb3838.h) and on whether the section is a centralised
 * drinking-water source; an incident reported by a person (no measurement) gets the one
 * "report" level. Columns: origin (reading|report), drinking_source (yes|no|any),
 * min_multiple (inclusive), max_multiple (exclusive, empty = unbounded), level (蓝 黄 橙 红),
 * level_en, basis.
 *
 * Checks at load (each error "file:line: field: what"): for origin reading, the rows of
 * drinking_source yes and of no each cover [0, ∞) in order without gap or overlap, and the
 * level never falls as the multiple grows; exactly one report row; level_en matches level.
 *
 * Pure: no I/O except warning_load (one file, through refcsv.h).
 */
#ifndef ALERT_WARNING_H
#define ALERT_WARNING_H

#include <stddef.h>

#include "refcsv.h"

#define WARNING_MAX_RULES 64

typedef enum {
    WARNING_NONE = 0,   /* within the limit: no warning */
    WARNING_BLUE = 1,   /* 蓝 */
    WARNING_YELLOW = 2, /* 黄 */
    WARNING_ORANGE = 3, /* 橙 */
    WARNING_RED = 4     /* 红 */
} warning_level;

typedef struct warning_rule {
    int drinking;    /* 1 yes, 0 no */
    double min, max; /* [min, max) */
    int bounded;     /* 0: max is infinity */
    warning_level level;
    int line;
} warning_rule;

typedef struct warning_table {
    char file[REFCSV_NAME_MAX + 1];
    warning_rule rules[WARNING_MAX_RULES];
    size_t n;
    warning_level report_level;
    int report_line;
} warning_table;

/* Load path. HL_EIO, HL_EPARSE (unknown value, gap, overlap, falling level, missing or
 * second report row, missing column), HL_ETOOBIG (more than WARNING_MAX_RULES rows),
 * HL_ENOMEM. *out is the caller's (free with warning_destroy). */
int warning_load(const char *path, warning_table **out, char *err, size_t errlen);
int warning_from_csv(const refcsv *csv, warning_table **out, char *err, size_t errlen);
void warning_destroy(warning_table **t);

/* Level of an exceedance with multiple (>= 0, finite) at a section that is (drinking = 1)
 * or is not a drinking-water source. HL_EINVAL for a negative or non-finite multiple. */
int warning_for_reading(const warning_table *t, double multiple, int drinking, warning_level *out);
/* Level of an incident report. */
warning_level warning_for_report(const warning_table *t);

/* "蓝","黄","橙","红" ("" for WARNING_NONE); English "blue"…; static storage. */
const char *warning_name(warning_level l);
const char *warning_name_en(warning_level l);
/* Parse "蓝"/"blue" … ("" = WARNING_NONE). HL_EINVAL otherwise. */
int warning_parse(const char *s, warning_level *out);

#endif
