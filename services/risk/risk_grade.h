/* risk_grade.h — the grades of every registered risk source, by HJ 941-2018 (hj941.h) and
 * GB 18218-2018 (gb18218.h), from the register (risk_sources.yaml) and the reference tables
 * (playbooks/reference). Pure apart from risk_tables_load (reads the six table files).
 *
 * Binding checks that the register and the tables agree, so that what users see is what the
 * tables say, and refuses with "file:line: field: what" (the register's file and line, the
 * table file and line in the sentence):
 *   - a substance's gb18218.row must be a 表1 序号 whose critical quantity and unverified flag
 *     equal the entry's, and whose CAS list holds the entry's CAS (a wrong row is caught);
 *     an entry without a row whose CAS is in 表1 is refused (the row was forgotten);
 *   - every class must be a 表2 class;
 *   - a substance's hj941 entry must find its appendix A row (by hj941.name, else the
 *     substance's name or an alias, else a CAS number carried by exactly one row) with the
 *     same critical quantity and flag; an entry without hj941 whose name or alias is a listed
 *     appendix A row is refused;
 *   - a substance a source holds under GB 18218 (alone, or as the substance a mixture counts
 *     as) needs a gb18218 entry, and for β either a 表3 toxic-gas match (CAS, else name) or
 *     classes. An entry {classes: []} says the substance has no GB 18218 hazard class: it is
 *     not counted (the note says so).
 *
 * Per source (risk_source.grades):
 *   HJ 941   terms: one per substance, q = alone + Σ mixture × component fraction (§7.1);
 *            M and E from the source's hj941 input (absent: only a Q0 level is determined).
 *   GB 18218 terms: one per substance (alone plus mixtures counted as it, whole) and one per
 *            mixture graded by its own classes; α from the source's people_500m (absent: S
 *            only, no grade).
 *   notes    say what was simplified (one Q for both media; a park graded as one enterprise;
 *            the site as one GB 18218 unit), which substances were not counted, that the
 *            inputs are assumptions, and when the grade depends on a disputed β.
 */
#ifndef RISK_GRADE_H
#define RISK_GRADE_H

#include <stddef.h>

#include "gb18218.h"
#include "hj941.h"
#include "upstream.h"

typedef struct risk_tables {
    hj941_tables *hj;
    gb18218_tables *gb;
} risk_tables;

/* Load the six tables from dir (playbooks/reference). HL_EIO, HL_EPARSE, HL_ETOOBIG,
 * HL_ENOMEM with err naming file and line; out is empty on error. */
int risk_tables_load(const char *dir, risk_tables *out, char *err, size_t errlen);
/* Free both tables; accepts an empty struct. */
void risk_tables_free(risk_tables *t);

/* Resolve every substance against the tables and grade every source (rules above).
 *  HL_EPARSE  the register and a table disagree, a class is unknown, a needed entry is
 *             missing (err "register-file:line: field: what")
 *  HL_ETOOBIG a source with more than RISK_SOURCE_TERMS_MAX distinct substances
 * On error the register's grades are left not done (grades.done 0). */
int risk_grade_bind(risk_register *reg, const risk_tables *t, char *err, size_t errlen);

#endif
