/* risk_msg.h — risk messages (risk.proto) from the register (pure: no I/O).
 *
 * Every substance goes out with both critical quantities, where each comes from and its
 * unverified flag, and with max_quantity_assumed; a source goes out with its assumption text
 * and, where no coordinates exist, no location but a location_note that says so.
 */
#ifndef RISK_MSG_H
#define RISK_MSG_H

#include <stddef.h>
#include "risk.pb-c.h"
#include "upstream.h"

#define RISK_FIELD_MAX 64
#define RISK_WHY_MAX 256

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
    char note[HL_NAME_MAX + 128];
} risk_msg_list;

/* The note of an upstream answer for substance: empty when the substance filtered (or none
 * was asked), else a sentence saying it was not used. */
void risk_msg_upstream_note(const risk_register *reg, const char *substance, char *buf, size_t n);

/* Sources idx[0..n) of reg, in that order, with distance_km = from_km − outfall when
 * from_km >= 0 (upstream answers), else 0. Sources are kept while the packed list stays
 * within max_bytes; the rest are dropped and truncated is set (also when truncated_in).
 * HL_ENOMEM. */
int risk_msg_list_build(const risk_register *reg, const size_t *idx, size_t n, double from_km,
                        int truncated_in, size_t max_bytes, risk_msg_list *out);
void risk_msg_list_free(risk_msg_list *m);

#endif
