/* risk_msg.h — risk messages (risk.proto) from the register (pure: no I/O).
 *
 * Every substance goes out with both critical quantities, where each comes from and its
 * unverified flag, and with max_quantity_assumed; a source goes out with its assumption text
 * and, where no coordinates exist, no location but a location_note that says so. A graded
 * register (risk_grade_bind) adds each source's HJ 941-2018 and GB 18218-2018 results with
 * every term, the table rows cited (file:line) and the unverified and disputed flags.
 */
#ifndef RISK_MSG_H
#define RISK_MSG_H

#include <stddef.h>
#include "risk.pb-c.h"
#include "risk_grade.h"
#include "upstream.h"

#define RISK_FIELD_MAX 64
#define RISK_WHY_MAX 256
#define RISK_REF_MAX 256 /* one cited row: "GB 18218-2018 表4 J2 β=2 (disputed …)" */

/* Check an UpstreamQuery: chainage_km finite in [0, RISK_CHAINAGE_MAX]; within_km finite in
 * [0, RISK_CHAINAGE_MAX]; substance at most HL_NAME_MAX bytes of UTF-8.
 * 0 or HL_EINVAL / HL_ETOOBIG with the field ("upstream.chainage_km") and a sentence. */
int risk_msg_check_upstream(const Hl__UpstreamQuery *q, char field[RISK_FIELD_MAX],
                            char why[RISK_WHY_MAX]);

/* A RiskSourceList built from sources of reg: owns its arrays, borrows every string from
 * reg (which must outlive it). Free with risk_msg_list_free. */
typedef struct risk_msg_list {
    Hl__RiskSourceList list;
    Hl__RiskSource *src_store;
    Hl__RiskSource **srcs;
    Hl__GeoPoint *points;
    Hl__RiskSubstance *sub_store;
    Hl__RiskSubstance **subs;
    char (*refs)[2][64]; /* per substance row: GB 18218 and HJ 941 source texts */
    Hl__MixtureComponent *comp_store;
    Hl__MixtureComponent **comps;
    struct risk_msg_grades *grades; /* per source (when graded) */
    Hl__Hj941Term *hj_store;
    Hl__Hj941Term **hj_terms;
    char (*hj_refs)[RISK_REF_MAX];
    Hl__Gb18218Term *gb_store;
    Hl__Gb18218Term **gb_terms;
    char (*gb_refs)[2][RISK_REF_MAX];
    char note[HL_NAME_MAX + 128];
} risk_msg_list;

/* The note of an upstream answer for substance: empty when the substance filtered (or none
 * was asked), else a sentence saying it was not used. */
void risk_msg_upstream_note(const risk_register *reg, const char *substance, char *buf, size_t n);

/* Sources idx[0..n) of reg, in that order, with distance_km = from_km − outfall when
 * from_km >= 0 (upstream answers), else 0. Sources are kept while the packed list stays
 * within max_bytes; the rest are dropped and truncated is set (also when truncated_in).
 * tables: those reg was graded with (risk_grade_bind), for the rows cited; NULL, or a source
 * not graded, leaves hj941 and gb18218 unset. Strings are borrowed from reg and tables.
 * HL_ENOMEM. */
int risk_msg_list_build(const risk_register *reg, const risk_tables *tables, const size_t *idx,
                        size_t n, double from_km, int truncated_in, size_t max_bytes,
                        risk_msg_list *out);

/* Check a RiskGradeQuery: source_id an id (hl_id_check). 0 or HL_EINVAL with field
 * "grade.source_id". */
int risk_msg_check_grade(const Hl__RiskGradeQuery *q, char field[RISK_FIELD_MAX],
                         char why[RISK_WHY_MAX]);
void risk_msg_list_free(risk_msg_list *m);

#endif
