/* gb3838.h — GB 3838-2002 地表水环境质量标准 (Environmental quality standards for surface
 * water): the limit that applies to a monitoring section and the check of one reading.
 *
 * Data: playbooks/reference/gb3838_2002_surface_water_limits.csv (see the README there),
 * loaded once at start; nothing here is compiled in. Columns used: table, seq, item, unit,
 * comparison, I..V, single_limit, note, alias, water_body, verified.
 *
 * Which limit applies (GB 3838-2002 §4 and §5):
 *  - 表1 基本项目 applies to every section, by the water class (I..V) of its water-function
 *    zone (§4.1, §5.1).
 *  - 表2 补充项目 and 表3 特定项目 apply to centralised drinking-water source sections
 *    (§4.2: "集中式生活饮用水地表水源地 … 补充项目 … 特定项目").
 *  - A 表3 item also applies where the competent authority selected it for the section
 *    (§4.2: "特定项目由县级以上人民政府环境保护行政主管部门根据本地区地面水域使用功能、环境
 *    质量状况等实际需要从表3中选择确定"): the site's extra_items.
 *  - 表1 item 8 总磷 has one row for rivers (河流) and one for lakes and reservoirs (湖、库);
 *    表1 item 9 总氮 applies to lakes and reservoirs only (its own qualifier "湖、库").
 *  - 表1 item 1 水温 is a rule about man-made change of weekly mean temperature (周平均最大
 *    温升≤1, 温降≤2), which one reading cannot check: it is reported "not checked", never as
 *    exceeded or within the limit.
 *
 * Comparison by kind (the table's comparison column):
 *  - GB3838_MAX  "<=": within when C <= limit, exceeded when C > limit (almost every item).
 *  - GB3838_MIN  ">=": within when C >= limit (表1 item 3 溶解氧, a lower bound).
 *  - GB3838_RANGE "a~b": within when a <= C <= b (表1 item 2 pH 6~9).
 *  - GB3838_TEXT: not checked (水温).
 * Exceedance multiple 超标倍数 = (C − limit) / limit for upper bounds (the usual definition
 * in Chinese environmental monitoring reports). For the lower bound of 溶解氧 hazlink uses
 * (limit − C) / limit and for pH the distance outside the range divided by the bound crossed
 * ((C − 9)/9 or (6 − C)/6): hazlink rules, stated so that warning levels can use one scale.
 *
 * Units: concentrations are compared in mg/L. A reading may be in mg/L, µg/L (also written
 * ug/L or μg/L) or ng/L ("L" or "l"); anything else (ppm, kg, mol/L …) is HL_EUNIT. pH is
 * dimensionless (unit "", "pH", "无量纲" or "dimensionless"); 粪大肠菌群 is in 个/L (also
 * "MPN/L"); 水温 in ℃ (also "°C"). A unit that does not fit the item's kind is HL_EUNIT
 * (µg/L for pH, mg/L for coliforms).
 *
 * Unverified rows (verified = no) stay marked: their source text ends in " (unverified)".
 *
 * Pure: no I/O except gb3838_load (one file, through refcsv.h), no clock, no sockets.
 * Ownership: gb3838_load allocates one gb3838_table; items live until gb3838_destroy;
 * lookups return pointers into it.
 */
#ifndef ALERT_GB3838_H
#define ALERT_GB3838_H

#include <stddef.h>

#include "refcsv.h"

#define GB3838_NAME_MAX 127  /* item names and aliases, bytes */
#define GB3838_MAX_ALIASES 8 /* aliases per item */
#define GB3838_MAX_ITEMS 512 /* rows per file */
#define GB3838_UNIT_MAX 31
#define GB3838_NOTE_MAX 255
#define GB3838_SOURCE_MAX 191    /* "GB 3838-2002 表3 item 19 苯 …" */
#define GB3838_WHY_MAX 1023      /* sentence saying why an item was not checked */
#define GB3838_SITE_MAX_EXTRA 32 /* selected 表3 items per section */
#define GB3838_VALUE_MAX 1e9     /* largest reading accepted in its own unit; beyond is a typo */

typedef enum {
    GB3838_MAX = 0,   /* "<=" upper bound */
    GB3838_MIN = 1,   /* ">=" lower bound */
    GB3838_RANGE = 2, /* "a~b" */
    GB3838_TEXT = 3   /* text rule, not checked */
} gb3838_kind;

typedef enum {
    GB3838_BODY_ANY = 0,
    GB3838_BODY_RIVER = 1,
    GB3838_BODY_LAKE = 2 /* lake or reservoir (湖、库) */
} gb3838_body;

/* What an item is measured in. */
typedef enum {
    GB3838_Q_CONC = 0,  /* mg/L */
    GB3838_Q_PH = 1,    /* dimensionless */
    GB3838_Q_COUNT = 2, /* 个/L */
    GB3838_Q_TEMP = 3   /* ℃ */
} gb3838_quantity;

/* One row of the table. lo/hi per class I..V (index 0..4): MAX uses hi, MIN lo, RANGE both;
 * 表2/表3 rows copy single_limit to every class. Units as in unit (mg/L for concentrations). */
typedef struct gb3838_item {
    int table;                      /* 1, 2 or 3 */
    int seq;                        /* item number within its table */
    char name[GB3838_NAME_MAX + 1]; /* as in the standard, e.g. "苯" */
    char aliases[GB3838_MAX_ALIASES][GB3838_NAME_MAX + 1];
    size_t n_aliases;
    char unit[GB3838_UNIT_MAX + 1]; /* as in the table: "mg/L","无量纲","个/L","℃" */
    gb3838_quantity quantity;
    gb3838_kind kind;
    double lo[5], hi[5];
    gb3838_body body;
    int verified; /* 0 = the row is marked unverified */
    char note[GB3838_NOTE_MAX + 1];
    int line; /* line in the CSV, for messages */
} gb3838_item;

typedef struct gb3838_table {
    char file[REFCSV_NAME_MAX + 1];
    gb3838_item *items;
    size_t n_items;
} gb3838_table;

/* A monitoring section as far as GB 3838 is concerned. extra[] are item names (or aliases)
 * of 表3 selected for the section; the strings are the caller's. */
typedef struct gb3838_site {
    int water_class;     /* 1..5 = I..V */
    int drinking_source; /* centralised drinking-water source section */
    gb3838_body body;    /* RIVER or LAKE (ANY is taken as RIVER) */
    const char *extra[GB3838_SITE_MAX_EXTRA];
    size_t n_extra;
} gb3838_site;

/* The limit that applies to one item at one site. */
typedef struct gb3838_limit {
    const gb3838_item *item;
    int applies; /* 0: no limit applies or item not checkable;
                    why says which and cites the clause */
    gb3838_kind kind;
    double lo, hi;                      /* in the item's unit (mg/L for concentrations) */
    char source[GB3838_SOURCE_MAX + 1]; /* "GB 3838-2002 表1 item 3 溶解氧 class III" */
    char why[GB3838_WHY_MAX + 1];
} gb3838_limit;

/* Outcome of checking one reading. */
typedef struct gb3838_result {
    gb3838_limit limit;
    int checked; /* = limit.applies */
    int exceeded;
    double value;    /* the reading in the item's unit (mg/L …) */
    double bound;    /* the bound compared with: MAX hi, MIN lo,
                        RANGE the bound nearer the value; 0 if
                        not checked */
    double multiple; /* 超标倍数 (see above); 0 unless exceeded */
} gb3838_result;

/* Load the table from path. err gets "file:line: field: what". HL_EIO, HL_EPARSE (missing
 * column, unknown table/comparison/water_body/verified value, a limit that is not a
 * positive number, a range that is not "a~b" with a < b, an item name or alias used twice),
 * HL_ETOOBIG (over a limit above), HL_ENOMEM. */
int gb3838_load(const char *path, gb3838_table **out, char *err, size_t errlen);
/* Build from an already parsed CSV (tests, or tables read another way). Same errors. */
int gb3838_from_csv(const refcsv *csv, gb3838_table **out, char *err, size_t errlen);
void gb3838_destroy(gb3838_table **t);

/* First row whose name or alias equals name (ASCII case-insensitive, surrounding blanks
 * ignored). NULL if none. For 总磷 this is the first of its two rows; gb3838_limit_for
 * picks the row for the site's water body. */
const gb3838_item *gb3838_find(const gb3838_table *t, const char *name);

/* Limit of item name at site. 0 with out->applies = 1 and the bounds, or 0 with
 * out->applies = 0 and why, a sentence that starts "not checked: " (表2/表3 item at a
 * section that is not a drinking source and did not select it; 总氮 in a river; 水温).
 * HL_ENOTFOUND: no such item (why names it). HL_EINVAL: water_class outside 1..5. */
int gb3838_limit_for(const gb3838_table *t, const char *name, const gb3838_site *site,
                     gb3838_limit *out);

/* Factor that converts a concentration in unit into mg/L (1 for mg/L, 0.001 for µg/L,
 * 1e-6 for ng/L). HL_EUNIT for anything else. */
int gb3838_unit_factor(const char *unit, double *factor);

/* Convert value in unit into the unit of item (mg/L for concentrations). HL_EUNIT if unit
 * does not fit the item's quantity. */
int gb3838_convert(const gb3838_item *item, double value, const char *unit, double *out);

/* Check one reading of parameter name (or alias), value in unit, at site.
 *  HL_ENOTFOUND  unknown parameter
 *  HL_EINVAL     value NaN, infinite, negative or above GB3838_VALUE_MAX, pH outside 0..14,
 *                water_class outside 1..5
 *  HL_EUNIT      unit cannot be converted for this item
 * On error out->limit.why says what was wrong in a sentence. */
int gb3838_check(const gb3838_table *t, const char *name, double value, const char *unit,
                 const gb3838_site *site, gb3838_result *out);

#endif
