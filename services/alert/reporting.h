/* reporting.h — the reports an incident owes (突发环境事件信息报告) and whether each is
 * due, done or overdue.
 *
 * Source: 突发环境事件信息报告办法 (环境保护部令第17号, 2011), as transcribed in
 * playbooks/reference/reporting_duties.csv (every row unverified: the project holds no copy
 * of the official text; see the file's header). Four kinds of report:
 *  - initial (初报): due when the incident is discovered (发现或者得知), within 4 h for grades
 *    IV-III and 2 h for II-I (第三条, unverified), to the next level up (the row's recipient).
 *  - notice (通报): to the neighbouring jurisdiction's counterpart when it is or may be
 *    affected (第八条, unverified); for hazlink corps <-> local. No fixed time in the text
 *    (及时): shown as due until done.
 *  - followup (续报): whenever the facts or the course of the incident are established after
 *    the initial report (第十二条, unverified). No fixed time (随时).
 *  - final (处理结果报告): once the incident has been dealt with (closed).
 * The hours, recipients and clauses are data; the triggers are the code below.
 *
 * Rules hazlink applies where the text is silent (stated so that the duty officer can check
 * them):
 *  R1 Initial report: due from discovery; deadline = discovery + deadline_h of the grade's
 *     row. "Discovery" is what the caller passes; the alert service passes the time it
 *     learned of the incident (得知): when the report or the first exceeding reading
 *     arrived and the incident was opened.
 *  R2 Grade changes before the initial report is done: the report now goes to the new
 *     grade's recipients, and its deadline only ever tightens:
 *       deadline = min(deadline, max(discovery + deadline_h(new grade), time of the change)).
 *     III → II at discovery + 1 h: due at discovery + 2 h. III → II at discovery + 3 h:
 *     due at once (the 2 h of the II procedure have passed; the deadline becomes the time of
 *     the change, so it shows overdue from then on). A lower grade never loosens a deadline
 *     already shown.
 *  R3 After the initial report is done, a change of grade or of the facts makes a follow-up
 *     due (one outstanding follow-up at a time; a further change while one is due is added to
 *     its reason). When the grade rises into a row with a shorter initial deadline than the
 *     grade the initial report was made at (III → II), the follow-up goes to the new grade's
 *     recipients with deadline max(discovery + deadline_h(new grade), time of the change):
 *     the higher authority must hear within the new grade's hours. Otherwise a follow-up has
 *     no fixed deadline.
 *  R4 The neighbour notice becomes due when the caller says the neighbour is or may be
 *     affected (at opening, or later); a notice already due or done is left as it is.
 *  R5 The final report becomes due when the incident is closed.
 *  R6 A report can be marked done in any state but done (HL_ESTATE): an officer may have
 *     sent a notice or a final report before hazlink thought it due. Marking "followup" when
 *     none is outstanding records a follow-up the officer chose to send.
 *  Status against the drill clock now: done; pending (not due yet); overdue (now is past
 *  the deadline); due. Done after the deadline is done and late.
 *
 * Bounds: REPORTING_MAX_DUTIES per incident; when a new follow-up finds no room, the oldest
 * done follow-up is dropped from the list (the audit log keeps it).
 *
 * Pure: no I/O except reporting_load (one file, through refcsv.h), no clock.
 */
#ifndef ALERT_REPORTING_H
#define ALERT_REPORTING_H

#include <stddef.h>
#include <stdint.h>

#include "grading.h"
#include "refcsv.h"

#define REPORTING_MAX_RULES 32
#define REPORTING_MAX_DUTIES 32
#define REPORTING_ID_MAX 31
#define REPORTING_ACTOR_MAX 64
#define REPORTING_WHY_MAX 511
#define REPORTING_TEXT_MAX 1023 /* recipient, requirement, source */
#define REPORTING_CLAUSE_MAX 63
#define REPORTING_MAX_DEADLINE_H 720.0

typedef enum {
    REPORT_INITIAL = 0,
    REPORT_NOTICE = 1,
    REPORT_FOLLOWUP = 2,
    REPORT_FINAL = 3,
    REPORT_KINDS = 4
} report_kind;

typedef enum {
    REPORT_PENDING = 0, /* not due yet */
    REPORT_DUE = 1,
    REPORT_OVERDUE = 2,
    REPORT_DONE = 3
} report_status;

typedef struct reporting_rule {
    report_kind kind;
    unsigned grades; /* bit (1u << grade_level) per grade the row applies to */
    int has_deadline;
    double deadline_h;
    char recipient[REPORTING_TEXT_MAX + 1];
    char requirement[REPORTING_TEXT_MAX + 1];
    char clause[REPORTING_CLAUSE_MAX + 1];
    char source[REPORTING_TEXT_MAX + 1];
    int verified;
    int line;
} reporting_rule;

typedef struct reporting_table {
    char file[REFCSV_NAME_MAX + 1];
    reporting_rule rules[REPORTING_MAX_RULES];
    size_t n;
    /* index of the row for (kind, grade) */
    size_t of[REPORT_KINDS][GRADE_I + 1];
} reporting_table;

/* One report an incident owes. */
typedef struct report_duty {
    char id[REPORTING_ID_MAX + 1]; /* "initial", "notice", "followup-1" …, "final" */
    report_kind kind;
    grade_level grade;   /* the grade whose row applies (recipient, clause, hours) */
    int64_t due_ms;      /* when it became due; 0 = not yet (pending) */
    int64_t deadline_ms; /* 0 = no fixed deadline */
    int64_t done_ms;     /* 0 = not done */
    char done_by[REPORTING_ACTOR_MAX + 1];
    char why[REPORTING_WHY_MAX + 1]; /* why it is due, in words */
} report_duty;

typedef struct reporting_state {
    int64_t discovered_ms;
    grade_level initial_grade; /* grade when the initial report was done (R3) */
    unsigned followups;        /* follow-ups created so far (numbers their ids) */
    report_duty d[REPORTING_MAX_DUTIES];
    size_t n;
} reporting_state;

/* Load path. Checks (errors "file:line: field: what"): report, trigger and verified values
 * known; the trigger fits the report (initial discovered, notice neighbour, followup changed,
 * final closed); grades a ;-list of I..IV; every (report, grade) pair has exactly one row;
 * deadline_h empty or in (0, REPORTING_MAX_DEADLINE_H]; an initial row has a deadline.
 * HL_EIO, HL_EPARSE, HL_ETOOBIG, HL_ENOMEM. */
int reporting_load(const char *path, reporting_table **out, char *err, size_t errlen);
int reporting_from_csv(const refcsv *csv, reporting_table **out, char *err, size_t errlen);
void reporting_destroy(reporting_table **t);

/* The row for a report of kind at grade g (GRADE_IV..GRADE_I). */
const reporting_rule *reporting_rule_for(const reporting_table *t, report_kind kind, grade_level g);

/* Start the duties of a new incident of grade g discovered at discovered_ms (R1); the
 * notice is due at once when neighbour is 1 (R4). HL_EINVAL for a grade outside IV..I or a
 * time that is not positive (0 means "not yet" in report_duty). */
int reporting_open(const reporting_table *t, grade_level g, int64_t discovered_ms, int neighbour,
                   reporting_state *out);
/* The grade went from → to at at_ms (R2, R3). HL_EINVAL for a grade outside IV..I. */
int reporting_grade_changed(const reporting_table *t, reporting_state *s, grade_level from,
                            grade_level to, int64_t at_ms, const char *why);
/* New facts at at_ms (R3); g is the current grade. */
int reporting_facts_changed(const reporting_table *t, reporting_state *s, grade_level g,
                            int64_t at_ms, const char *why);
/* The neighbour is or may be affected (R4). */
int reporting_neighbour(const reporting_table *t, reporting_state *s, grade_level g, int64_t at_ms,
                        const char *why);
/* The incident was closed (R5). */
int reporting_closed(const reporting_table *t, reporting_state *s, grade_level g, int64_t at_ms);
/* Mark report id ("initial", "notice", "final", "followup" = the outstanding follow-up or a
 * new one, or "followup-N") done at at_ms by actor (R6).
 *  HL_ENOTFOUND  no such report
 *  HL_ESTATE     already done (why says when and by whom)
 *  HL_EINVAL     empty actor, actor over REPORTING_ACTOR_MAX, time not positive
 * g is the current grade (a new follow-up takes it). why may be NULL. */
int reporting_done(const reporting_table *t, reporting_state *s, const char *id, grade_level g,
                   int64_t at_ms, const char *actor, char *why, size_t whylen);

/* Status of d at now_ms (see the rules above). */
report_status reporting_status(const report_duty *d, int64_t now_ms);
/* 1 when d was done after its deadline. */
int reporting_late(const report_duty *d);
/* "pending", "due", "overdue", "done"; "initial", "notice", "followup", "final". */
const char *reporting_status_name(report_status s);
const char *reporting_kind_name(report_kind k);

#endif
