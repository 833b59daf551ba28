/* upstream.h — the register of risk sources and the upstream trace-back (pure: no I/O).
 *
 * A risk source (环境风险源: an enterprise or a chemical park) discharges into the Kuitun River
 * at an outfall with a chainage (km from 将军庙, docs/protocol.md). When pollution is seen at
 * chainage c, the sources that could have caused it are those whose outfall lies at or
 * upstream of c:
 *
 *     outfall_km <= c                       (a source at the station itself counts)
 *     c − outfall_km <= within_km           (only when within_km > 0)
 *     holds the substance                   (only when a substance is asked for and
 *                                            the register knows it, see below)
 *
 * sorted nearest first (smallest c − outfall_km; equal distances by id), because the nearest
 * upstream outfall is the first place a duty officer sends someone to look.
 *
 * The river is treated as one channel: chainage grows downstream and every outfall drains
 * into it. Canal branches (新渠首, 老渠首) are not modelled here.
 *
 * Substances are named once in a table with their critical quantities from GB 18218-2018
 * table 1 and HJ 941-2018 appendix A (each with its unverified flag, see risk_sources.yaml);
 * a source lists which of them it holds (alone or in mixtures) and the maximum quantity
 * present. A substance is found by its Chinese name, its CAS number or any alias, compared
 * exactly (byte for byte). The register also carries each source's grading inputs and, once
 * risk_grade_bind (risk_grade.h) has run, its grades.
 */
#ifndef RISK_UPSTREAM_H
#define RISK_UPSTREAM_H

#include <stddef.h>
#include "hazlink/hl_codec.h"
#include "gb18218.h"
#include "hj941.h"

#define RISK_SOURCES_MAX 256                  /* sources in the register */
#define RISK_SUBSTANCES_MAX 128               /* rows of the substance table */
#define RISK_SOURCE_SUBST_MAX 32              /* substances one source holds */
#define RISK_ALIASES_MAX 8                    /* aliases of one substance */
#define RISK_CAS_MAX 32                       /* "71-43-2" */
#define RISK_CHAINAGE_MAX 10000.0             /* km; the Kuitun River is about 320 km */
#define RISK_QTY_MAX 1e9                      /* tonnes */
#define RISK_MIX_MAX 8                        /* components of one mixture */
#define RISK_CLASSES_MAX GB18218_TERM_CLASSES /* GB 18218 hazard classes of one substance */
#define RISK_CLASS_MAX GB18218_SYMBOL_MAX     /* "W5.1" */
#define RISK_SOURCE_TERMS_MAX                                                                      \
    32 /* distinct substances (and mixtures graded as such) of a source                            \
        */

typedef struct risk_substance {
    char name[HL_NAME_MAX + 1];
    char cas[RISK_CAS_MAX + 1];
    size_t naliases;
    char aliases[RISK_ALIASES_MAX][HL_NAME_MAX + 1];
    int gb18218_listed; /* in GB 18218-2018 table 1 as transcribed */
    int gb18218_row;    /* table 1 序号 */
    double gb18218_t;   /* critical quantity, tonnes */
    int gb18218_unverified;
    /* GB 18218-2018 表2 hazard classes (J1..W11) the substance falls in: for the 表2 critical
     * quantity when it is not in 表1, and for β (表4) when it is not a 表3 toxic gas. A
     * hazlink reading of the substance's classification (an assumption, risk_sources.yaml). */
    size_t gb18218_nclasses;
    char gb18218_classes[RISK_CLASSES_MAX][RISK_CLASS_MAX + 1];
    int gb18218_given; /* the file has a gb18218 entry (row and/or classes) */
    int hj941_listed;  /* in HJ 941-2018 appendix A as transcribed */
    double hj941_t;    /* critical quantity, tonnes */
    int hj941_unverified;
    char hj941_name[HL_NAME_MAX + 1]; /* the appendix A row's name when the file gives it */
    char note[HL_TEXT_MAX + 1];
    int line; /* of the entry in the register file (for errors found when grading) */
    /* Filled by risk_grade_bind (risk_grade.h): rows of the loaded tables, -1 = none. */
    int gb_t1, gb_gas, hj_row;
    int gb_class[RISK_CLASSES_MAX];
} risk_substance;

/* What a source holds: one substance, or a mixture of several by mass fraction.
 * HJ 941-2018 counts a mixture by its component fractions. GB 18218-2018 counts a mixture
 * whole, as its pure substance when it has that substance's hazard class (gb18218_as), else
 * by its own hazard classes (gb18218_classes); see risk_grade.h. */
typedef struct risk_component {
    size_t substance; /* index into risk_register.substances */
    double fraction;  /* mass fraction, (0, 1] */
} risk_component;

typedef struct risk_holding {
    size_t substance;         /* index into risk_register.substances (not for a mixture) */
    double max_quantity_t;    /* maximum quantity present, tonnes (converted from kg) */
    int max_quantity_assumed; /* a hazlink assumption (always so in risk_sources.yaml) */
    int is_mixture;
    char mixture[HL_NAME_MAX + 1];
    size_t ncomponents;
    risk_component components[RISK_MIX_MAX];
    int gb18218_as;          /* component index counted whole as that substance, or -1 */
    size_t gb18218_nclasses; /* else the mixture's own classes */
    char gb18218_classes[RISK_CLASSES_MAX][RISK_CLASS_MAX + 1];
    int gb_class[RISK_CLASSES_MAX]; /* resolved by risk_grade_bind */
    int line;
} risk_holding;

/* HJ 941-2018 assessed inputs of a source (hj941.h): the process score, and per medium the
 * control score and E. */
typedef struct risk_hj941_in {
    int given;
    int assumed; /* hazlink assumptions, not a filed assessment */
    double process_score;
    double control_score[HJ941_MEDIA];
    int e[HJ941_MEDIA];
    int line;
} risk_hj941_in;

/* GB 18218-2018 input of a source: people outside the site within 500 m (for α, 表5). */
typedef struct risk_gb18218_in {
    int given;
    int assumed;
    double people;
    int line;
} risk_gb18218_in;

/* The grades of a source with the figures behind them (risk_grade_bind). Term names point
 * into the register. */
typedef struct risk_grades {
    int done;
    hj941_result hj;
    const char *hj_names[RISK_SOURCE_TERMS_MAX];
    char hj_note[HL_TEXT_MAX + 1];
    gb18218_result gb;
    const char *gb_names[RISK_SOURCE_TERMS_MAX];
    char gb_note[HL_TEXT_MAX + 1];
} risk_grades;

typedef struct risk_source {
    char id[HL_ID_MAX + 1];
    char name[HL_NAME_MAX + 1];
    char kind[32]; /* "enterprise" | "chemical_park" */
    char park[HL_NAME_MAX + 1];
    char jurisdiction[16]; /* "corps" | "local" */
    char unit_id[HL_ID_MAX + 1];
    double outfall_km;
    int has_location; /* 0: no coordinates exist; location_note says so */
    double lat, lon;
    char confidence[HL_NAME_MAX + 1];
    char location_note[HL_TEXT_MAX + 1];
    char assumption[HL_TEXT_MAX + 1];
    char note[HL_TEXT_MAX + 1];
    size_t nholdings;
    risk_holding holdings[RISK_SOURCE_SUBST_MAX];
    risk_hj941_in hj941;
    risk_gb18218_in gb18218;
    int line;
    risk_grades grades; /* filled by risk_grade_bind */
} risk_source;

/* Large (a few MB at the maxima): allocate on the heap (risk_sources_load does). */
typedef struct risk_register {
    char file[512]; /* the register file, for errors found when grading */
    size_t nsubstances;
    risk_substance substances[RISK_SUBSTANCES_MAX];
    size_t nsources;
    risk_source sources[RISK_SOURCES_MAX];
} risk_register;

/* Index of the substance whose name, CAS or an alias equals key; HL_ENOTFOUND (also for an
 * empty key). */
int risk_substance_find(const risk_register *reg, const char *key);

/* Does source s hold the substance named by key (name, CAS or alias), alone or in a
 * mixture? 1 or 0. */
int risk_source_holds(const risk_register *reg, const risk_source *s, const char *key);

/* Sources upstream of chainage_km (rules above), nearest first, as indices into
 * reg->sources written to idx (room for cap); *nout gets how many matched.
 * within_km 0 = any distance. substance NULL or "" = any.
 * A substance the register does not know (no name, CAS or alias of the table matches, e.g.
 * 化学需氧量 from a COD exceedance) does not filter: every upstream source could have caused
 * it, and hiding them would mislead. Callers tell the user so (risk_substance_find < 0).
 * A substance the register knows but no upstream source holds gives no sources.
 *  HL_EINVAL  chainage_km outside [0, RISK_CHAINAGE_MAX] or not finite; within_km negative,
 *             above RISK_CHAINAGE_MAX or not finite
 *  HL_ETOOBIG more matches than cap (idx holds the nearest cap of them, *nout = cap) */
int risk_upstream_find(const risk_register *reg, double chainage_km, double within_km,
                       const char *substance, size_t *idx, size_t cap, size_t *nout);

#endif
