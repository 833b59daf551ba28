/* expect.h — judging a drill's expectations on what the stack recorded. Pure: structs in,
 * verdicts out; no socket, no clock, no disk, so each rule is tested on synthetic results.
 *
 * The facts are the services' own records, as their list queries return them
 * (alert.incidents, alert.alerts, playbook.plans, dispatch.list, stock.reservations,
 * dispatch.units; risk.list and stock.ledger for the report), what the drill saw when it
 * played its injects, and what each partner agent says it showed (hazpartner export). All
 * times are drill-clock Unix ms UTC.
 *
 * Each verdict carries the figures behind it (a jansson object owned by the outcome) so a
 * reader of report.json can recheck it by hand.
 */
#ifndef HAZDRILL_EXPECT_H
#define HAZDRILL_EXPECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.pb-c.h"
#include "dispatch.pb-c.h"
#include "playbook.pb-c.h"
#include "risk.pb-c.h"
#include "scenario.h"
#include "stock.pb-c.h"

/* What happened to one inject. */
typedef struct drill_inject_result {
    const drill_inject *inject;
    int sent;        /* the request was sent */
    int rc;          /* 0, or the error reply / transport error */
    char error[256]; /* the service's words when rc < 0 */
    int64_t due_ms;  /* drill time it was scheduled for */
    int64_t sent_ms; /* drill time it went out */
    int64_t sent_real_ms;
    int64_t reply_real_ms;
    /* reading: the alert service's ReadingResult; report: the Incident's id */
    int exceeded;
    double value_mg_l, limit_mg_l, multiple;
    char limit_source[128];
    char incident_id[HL_ID_MAX + 1];
    int incident_opened;
    char warning_level[16];
    /* reading: the exceedance opened no incident of its own but attached to the incident
     * reported for the same release upstream (ReadingResult.linked), and why */
    int linked;
    char link_reason[384];
    /* report, facts: the incident's grade in the reply ("I".."IV", "" when not graded) */
    char grade[8];
} drill_inject_result;

/* One line of `hazpartner export --unit U --json`: how many times the agent showed a task. */
typedef struct drill_shown {
    char unit_id[HL_ID_MAX + 1];
    char task_id[HL_ID_MAX + 1];
    unsigned shown_count;
    unsigned deliveries; /* times dispatch delivered it (redeliveries after a
                            restart are expected; showing twice is not) */
} drill_shown;

typedef struct drill_facts {
    Hl__Incident *const *incidents;
    size_t n_incidents;
    Hl__Alert *const *alerts;
    size_t n_alerts;
    Hl__Plan *const *plans;
    size_t n_plans;
    Hl__Task *const *tasks;
    size_t n_tasks;
    Hl__Reservation *const *reservations;
    size_t n_reservations;
    Hl__Unit *const *units; /* dispatch's roster (sides); may be empty */
    size_t n_units;
    const drill_inject_result *injects;
    size_t n_injects;
    const drill_catalog *cat; /* receptors (drinking_source, owner), unit sides */
    const drill_shown *shown; /* partner exports; NULL/0 when none was taken */
    size_t n_shown;
    const char *const *exported_units; /* units whose export was read (even if empty) */
    size_t n_exported_units;
    /* For the report only (no expectation judges them): the risk register with its grades
     * (risk.list) and the stock ledger's totals (stock.ledger); NULL/0 when not read. */
    Hl__RiskSource *const *sources;
    size_t n_sources;
    const Hl__LedgerTotals *ledger;
} drill_facts;

typedef struct drill_outcome {
    const drill_expect *expect;
    int pass;
    char summary[512]; /* one sentence a duty officer reads */
    json_t *figures;   /* owned; free with drill_outcome_clear */
} drill_outcome;

/* Judge e on f into *out (figures newly allocated). Returns 0, or HL_ENOMEM (then *out is
 * cleared and counts as failed), or HL_EINVAL for an unknown kind. */
int drill_expect_eval(const drill_expect *e, const drill_facts *f, drill_outcome *out);
void drill_outcome_clear(drill_outcome *o);

/* Acknowledgement latency of t in drill seconds (acknowledged_ms − created_ms), or −1 when
 * it was not acknowledged. */
double drill_task_ack_latency_s(const Hl__Task *t);

/* Side of unit id: dispatch's roster first, then the catalogue; "" when unknown. */
const char *drill_facts_unit_side(const drill_facts *f, const char *unit_id);

#endif
