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
 * a source lists which of them it holds and the maximum quantity present. A substance is
 * found by its Chinese name, its CAS number or any alias, compared exactly (byte for byte).
 */
#ifndef RISK_UPSTREAM_H
#define RISK_UPSTREAM_H

#include <stddef.h>
#include "hazlink/hl_codec.h"

#define RISK_SOURCES_MAX 256      /* sources in the register */
#define RISK_SUBSTANCES_MAX 128   /* rows of the substance table */
#define RISK_SOURCE_SUBST_MAX 32  /* substances one source holds */
#define RISK_ALIASES_MAX 8        /* aliases of one substance */
#define RISK_CAS_MAX 32           /* "71-43-2" */
#define RISK_CHAINAGE_MAX 10000.0 /* km; the Kuitun River is about 320 km */
#define RISK_QTY_MAX 1e9          /* tonnes */

typedef struct risk_substance {
    char name[HL_NAME_MAX + 1];
    char cas[RISK_CAS_MAX + 1];
    size_t naliases;
    char aliases[RISK_ALIASES_MAX][HL_NAME_MAX + 1];
    int gb18218_listed; /* in GB 18218-2018 table 1 as transcribed */
    int gb18218_row;    /* table 1 序号 */
    double gb18218_t;   /* critical quantity, tonnes */
    int gb18218_unverified;
    int hj941_listed; /* in HJ 941-2018 appendix A as transcribed */
    double hj941_t;   /* critical quantity, tonnes */
    int hj941_unverified;
    char note[HL_TEXT_MAX + 1];
} risk_substance;

typedef struct risk_holding {
    size_t substance;         /* index into risk_register.substances */
    double max_quantity_t;    /* maximum quantity present, tonnes */
    int max_quantity_assumed; /* a hazlink assumption (always so in risk_sources.yaml) */
} risk_holding;

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
} risk_source;

/* Large (a few MB at the maxima): allocate on the heap (risk_sources_load does). */
typedef struct risk_register {
    size_t nsubstances;
    risk_substance substances[RISK_SUBSTANCES_MAX];
    size_t nsources;
    risk_source sources[RISK_SOURCES_MAX];
} risk_register;

/* Index of the substance whose name, CAS or an alias equals key; HL_ENOTFOUND (also for an
 * empty key). */
int risk_substance_find(const risk_register *reg, const char *key);

/* Does source s hold the substance named by key (name, CAS or alias)? 1 or 0. */
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
