/* handlers.h — the alert service's request, reply and query handlers (the imperative shell
 * around gb3838.h, warning.h, episode.h, grading.h, reporting.h and link.h).
 *
 * Requests (docs/protocol.md):
 *   alert.reading   Reading → ReadingResult. Validates (errors name the field:
 *                   reading.station_id HL_EINVAL/HL_ENOTFOUND, reading.parameter
 *                   HL_EINVAL/HL_ENOTFOUND, reading.value HL_EINVAL for NaN/∞/negative,
 *                   reading.unit HL_EUNIT, reading.measured_ms HL_EINVAL), checks the
 *                   GB 3838-2002 limit of the station's section and applies the reading to
 *                   the station+parameter episode. A new episode opens an Incident and an
 *                   Alert: stored, "incident.opened" and "alert.raised" published, "playbook
 *                   .alert" (PlanTrigger) sent to playbook and "risk.upstream" (UpstreamQuery)
 *                   to risk through the outbox. A later reading whose warning level is higher
 *                   than the incident's raises a new Alert (published and sent to playbook).
 *                   Issue 4 (re-anchoring the forecast on observations): otherwise a reading
 *                   that is its episode's new peak, or the first reading after the peak and
 *                   below it (episode.h rule 5, also one within the limit), raises an Alert
 *                   with reason "peak update: …" for the same incident, at the incident's
 *                   warning level, sent to playbook. At most one Alert per reading (so at
 *                   most one re-anchoring per reading of a station). Every Alert from a
 *                   reading carries measured_ms (the reading's time) and grade (the
 *                   incident's grade, which the playbook's tasks take as their response
 *                   level); ReadingResult.alert_id names it (for a reading within the limit
 *                   incident_id stays "": the reading opened or joined nothing).
 *                   One incident per release (link.h): a new episode downstream of an open
 *                   reported incident's release point, same substance, inside the arrival
 *                   window, is recorded against that incident (the newest 256 open reported
 *                   incidents of the substance are considered; ReadingResult.linked,
 *                   Incident.episodes) instead of opening one; its first reading still
 *                   raises an Alert for the incident, sent to playbook (re-anchoring).
 *   alert.report    IncidentReport → Incident: an incident and an Alert from a person's
 *                   report (release chainage, mass, duration, start), so the playbook can
 *                   forecast from the outfall; level from the "report" row of
 *                   warning_levels.csv. Errors name report.<field> (report.facts.<fact>).
 * Every new incident is graded (grading.h; IV by the catch-all until facts arrive, or from
 * the report's facts) and owes its reports (reporting.h); "incident.graded" is published
 * after "incident.opened".
 *   alert.trigger   TriggerRequest → Alert: re-sends the incident's latest alert to playbook
 *                   with force = true, its grade the incident's now. HL_ENOTFOUND names
 *                   trigger.incident_id.
 *   alert.incidents ListQuery → IncidentList (id or incident_id filters one; newest `limit`,
 *                   oldest first; limit 0 = ALERT_LIST_DEFAULT, at most ALERT_LIST_MAX).
 *                   Each report's state (due, done, overdue, pending) is computed against the
 *                   service's clock when the list is sent.
 *   alert.alerts    ListQuery → AlertList (incident_id filters; same limits).
 * Replies: risk.upstream stores the source ids on the incident and its alerts and publishes
 * "incident.updated"; playbook.alert is logged.
 *
 * Tables (LMDB, hl_store.h): "incidents" (id → Incident), "alerts" (id → Alert),
 * "incident_alerts" (incident id|alert id → empty, index), "episodes" (station|item →
 * EpisodeSet), "audit" (seq → IncidentAudit). ServiceStatus.records counts "incidents".
 */
#ifndef ALERT_HANDLERS_H
#define ALERT_HANDLERS_H

#include <stdint.h>

#include "alert.pb-c.h"
#include "gb3838.h"
#include "grading.h"
#include "hazlink/hl_svc.h"
#include "hazlink/network.h"
#include "reporting.h"
#include "warning.h"

#define ALERT_LIST_DEFAULT 1000
#define ALERT_LIST_MAX 1000

typedef struct alert_ctx {
    const hl_network *net;
    const gb3838_table *gb;
    const warning_table *warn;
    const grading_table *grading;  /* 2014 plan 附件1 criteria (grading.h) */
    const reporting_table *duties; /* reporting duties (reporting.h) */
    int64_t quiet_ms;              /* episode quiet period, drill ms (episode.h) */
    char plan[64];                 /* plan folder name, for messages */
} alert_ctx;

/* Register every handler on s (these and grade_handlers.c's); a stays owned by the caller and
 * must outlive s. Returns 0 or the hl_svc_on error. */
int alert_handlers_register(hl_svc *s, alert_ctx *a);

/* ---- grade_handlers.c ----
 *   alert.facts       IncidentFacts → Incident: merges the facts given (each optional; errors
 *                     name facts.<fact>: a keyword the table does not know, a negative or
 *                     non-finite loss; facts.incident_id HL_ENOTFOUND; no fact at all is
 *                     HL_EINVAL "facts"), re-grades (incgrade.h: up automatically, never
 *                     down), makes follow-ups and the neighbour notice due (reporting.h).
 *                     Publishes "incident.updated", and "incident.graded" when the grade rose.
 *   alert.regrade     RegradeRequest → Incident: a duty officer sets the grade, up or down.
 *                     Refused without actor (regrade.actor) or reason (regrade.reason), for
 *                     an unknown grade (regrade.grade), or for the grade in force
 *                     (HL_ESTATE, regrade.grade). Publishes "incident.graded".
 *   alert.report_done ReportDone → Incident: marks a report done (report_done.report_id
 *                     HL_ENOTFOUND / HL_ESTATE when already done; report_done.done_ms in the
 *                     future HL_EINVAL). Publishes "incident.updated".
 * Every grade change is in the record's grade_history and the audit table ("graded": actor,
 * time, from, to, criterion); facts and reports done are audited too ("facts",
 * "report_done"). */
int alert_grade_handlers_register(hl_svc *s, alert_ctx *a);

/* Grade a new incident from facts f (checked), start its reporting duties (discovered at
 * discovered_ms; the neighbour notice due at once when neighbour), record the first grade in
 * its history and the audit. Does not store or publish. */
int alert_grade_open(alert_ctx *a, hl_req *r, Hl__Incident *inc, const grading_facts *f,
                     const char *actor, int64_t discovered_ms, int neighbour);

/* 1 when a station, space or receptor at or below km belongs to another side than
 * jurisdiction (corps/local): the neighbouring jurisdiction may be affected. */
int alert_neighbour_downstream(const hl_network *net, double km, const char *jurisdiction);

/* GB 3838 view of a station: class, drinking source, water body (a station on a
 * "reservoir" reach is in a lake or reservoir, 湖、库), selected 表3 items. */
void alert_site_of(const hl_network *net, const hl_station *st, gb3838_site *out);

#endif
