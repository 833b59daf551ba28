/* risk_ref.h — small helpers the risk reference-table loaders (hj941.c, gb18218.c) share on
 * top of refcsv.h. Every error is "file:line: column: what" (refcsv_fail). */
#ifndef RISK_REF_H
#define RISK_REF_H

#include <stddef.h>

#include "refcsv.h"

/* Indices of the NULL-terminated column names into idx (room for each). HL_EPARSE naming the
 * first missing column. */
int riskref_cols(const refcsv *t, const char *const *names, size_t *idx, char *err, size_t errlen);

/* The transcription's verified column: "yes" → 0, "no" → 1 (unverified); anything else is
 * HL_EPARSE (a flag must never be guessed). */
int riskref_unverified(const refcsv *t, const refcsv_row *r, size_t col, int *unverified, char *err,
                       size_t errlen);

/* Copy field col into out (n bytes with the NUL). HL_ETOOBIG naming the column when longer. */
int riskref_copy(const refcsv *t, const refcsv_row *r, size_t col, char *out, size_t n, char *err,
                 size_t errlen);

/* An optional number that must be >= 0 when given: *has 0 for an empty field. HL_EPARSE. */
int riskref_edge(const refcsv *t, const refcsv_row *r, size_t col, int *has, double *v, char *err,
                 size_t errlen);

/* Load dir/names[i] into files[i] for i < n (path lengths checked: HL_ETOOBIG). On error
 * every file is freed and NULL. Free with riskref_free. */
int riskref_load(const char *dir, const char *const *names, size_t n, refcsv **files, char *err,
                 size_t errlen);
void riskref_free(refcsv **files, size_t n);

/* Band edges: a value within RISKREF_EDGE_REL (relative) below an edge counts as on it, so
 * that a floating-point sum of ratios such as 3 × (1/3) reaches 1 as the exact sum does,
 * while a real shortfall (0.99999) does not. Lower edges are inclusive (以上含本数). */
#define RISKREF_EDGE_REL 1e-9
int riskref_reached(double v, double edge);

#endif
