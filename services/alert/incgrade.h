/* incgrade.h — an incident record's grade, facts, grade history and reporting duties: the
 * glue between the pure modules (grading.h, reporting.h) and the stored Hl__Incident.
 *
 * Every function takes an incident unpacked with the default allocator (alert_incident_get,
 * alert_pb_clone) and replaces fields with heap copies (shell.h), so the record is freed with
 * alert_msg_free as usual. No I/O, no clock: times are passed in.
 *
 * The rules of a grade change (issue 4; docs/protocol.md alert.facts and alert.regrade):
 *  - New facts RAISE the grade automatically when the facts now give a higher grade than the
 *    current one AND than the facts gave before this update (so facts sent again after a duty
 *    officer lowered the grade do not undo that decision; facts that get worse do).
 *  - Facts never lower the grade; the record shows what the facts alone give
 *    (grade_by_facts) beside the grade in force.
 *  - A duty officer sets any grade with a reason (alert.regrade); the deciding criterion then
 *    names the officer and the reason until the facts raise the grade again.
 */
#ifndef ALERT_INCGRADE_H
#define ALERT_INCGRADE_H

#include <stdint.h>

#include "alert.pb-c.h"
#include "grading.h"
#include "reporting.h"

#define INCGRADE_HISTORY_MAX 64         /* grade changes kept on the record (the audit keeps all) */
#define INCGRADE_OFFICER "duty_officer" /* GradeCriterion.type of an officer's grade */

/* Facts on the record (absent = unknown). */
void incgrade_facts_read(const Hl__Incident *inc, grading_facts *out);

/* Merge the facts given in in (the set oneofs) into f. Each is checked against the table.
 * HL_EINVAL with field ("facts.cross_boundary") and why; HL_ENOTFOUND when in gives no fact
 * at all (field "facts"). changes (may be NULL) gets "deaths 3 → 12; cross_boundary ? →
 * prefecture". */
int incgrade_facts_merge(const grading_table *t, const Hl__IncidentFacts *in, grading_facts *f,
                         const char *prefix, char *field, size_t fieldlen, char *why, size_t whylen,
                         char *changes, size_t changeslen);

/* Store f on the record (actor and basis say who stated them and on what). */
int incgrade_facts_write(Hl__Incident *inc, const grading_facts *f, const char *actor,
                         const char *basis);

/* The grade in force (GRADE_NONE for a record made before grading existed). */
grade_level incgrade_current(const Hl__Incident *inc);
/* What the facts gave last (GRADE_NONE if never graded). */
grade_level incgrade_by_facts(const Hl__Incident *inc);
/* 1 when the grade in force was set by a duty officer. */
int incgrade_manual(const Hl__Incident *inc);

/* Record the facts' result: criteria_met, facts_unknown, grade_by_facts, grading source and
 * unverified flag; the grade in force becomes grade; the deciding criterion becomes the
 * result's when set_deciding (else the one on the record stays). */
int incgrade_set_result(Hl__Incident *inc, const grading_table *t, const grading_facts *f,
                        const grading_result *res, grade_level grade, int set_deciding);
/* An officer's grade: deciding = the officer and the reason. */
int incgrade_set_manual(Hl__Incident *inc, grade_level g, const char *actor, const char *reason);
/* Append a grade change to the record's history (newest INCGRADE_HISTORY_MAX kept). */
int incgrade_history_add(Hl__Incident *inc, int64_t at_ms, const char *actor, grade_level from,
                         grade_level to, const char *criterion, const char *reason, int automatic);

/* Reporting duties on the record ↔ reporting_state. */
int incgrade_reports_read(const Hl__Incident *inc, reporting_state *out);
int incgrade_reports_write(Hl__Incident *inc, const reporting_table *t, const reporting_state *s,
                           int64_t now_ms);
/* Recompute every ReportDuty.state and .late against now_ms (for a reply). */
int incgrade_reports_refresh(Hl__Incident *inc, int64_t now_ms);

#endif
