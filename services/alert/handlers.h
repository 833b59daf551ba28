/* handlers.h — the alert service's request, reply and query handlers (the imperative shell
 * around gb3838.h, warning.h and episode.h).
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
 *   alert.report    IncidentReport → Incident: an incident and an Alert from a person's
 *                   report (release chainage, mass, duration, start), so the playbook can
 *                   forecast from the outfall; level from the "report" row of
 *                   warning_levels.csv. Errors name report.<field>.
 *   alert.trigger   TriggerRequest → Alert: re-sends the incident's latest alert to playbook
 *                   with force = true. HL_ENOTFOUND names trigger.incident_id.
 *   alert.incidents ListQuery → IncidentList (id or incident_id filters one; newest `limit`,
 *                   oldest first; limit 0 = ALERT_LIST_DEFAULT, at most ALERT_LIST_MAX).
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

#include "gb3838.h"
#include "hazlink/hl_svc.h"
#include "hazlink/network.h"
#include "warning.h"

#define ALERT_LIST_DEFAULT 1000
#define ALERT_LIST_MAX 1000

typedef struct alert_ctx {
    const hl_network *net;
    const gb3838_table *gb;
    const warning_table *warn;
    int64_t quiet_ms; /* episode quiet period, drill ms (episode.h) */
    char plan[64];    /* plan folder name, for messages */
} alert_ctx;

/* Register every handler on s; a stays owned by the caller and must outlive s.
 * Returns 0 or the hl_svc_on error. */
int alert_handlers_register(hl_svc *s, alert_ctx *a);

/* GB 3838 view of a station: class, drinking source, water body (a station on a
 * "reservoir" reach is in a lake or reservoir, 湖、库), selected 表3 items. */
void alert_site_of(const hl_network *net, const hl_station *st, gb3838_site *out);

#endif
