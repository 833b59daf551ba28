/* pb_service.h — the playbook service's handlers (the imperative shell around lib/domain's
 * forecast and plan, pb_msg.h and pb_store.h).
 *
 * Requests (docs/protocol.md):
 *   playbook.alert  PlanTrigger → Plan. One plan per incident. A new plan is forecast
 *                   (lib/domain forecast.h), its space chosen, materials and tasks built
 *                   (plan.h); in the same transaction it is stored with its index (the alert
 *                   it was built from, when, the season, the task ids sent), "stock.reserve"
 *                   (ReserveRequest near the space) and "dispatch.tasks" (TaskBatch) are
 *                   queued in the outbox, and "plan.activated" is published.
 *                   A later alert of the incident that carries a new reading (a reading-based
 *                   alert at a station of the network, not seen before by alert id)
 *                   RE-ANCHORS the plan (forecast.h): rebuilt from the first alert and every
 *                   reading since, with the same plan id, revision and task ids, set-up still
 *                   counted from the plan's creation, the spaces tasked before kept as
 *                   further barriers while they qualify (lib/domain plan.h); the new tasks
 *                   (ids never sent) go with "dispatch.tasks", the tasks already sent whose
 *                   due time, text or level changed, and the ids no longer needed, with
 *                   "dispatch.revise" (TaskRevision, playbook.proto; services/dispatch/
 *                   revise.c) — naming only tasks a dispatch.tasks reply confirmed (the
 *                   outbox may deliver a later request first): the others are held
 *                   (PlanIndex.revise_held, Plan.revision_state "held: …") and a catch-up
 *                   revision of every confirmed task follows the reply that confirms them;
 *                   an id withdrawn once is not withdrawn again. The tasks' level
 *                   (pb_msg_task_level: the incident's grade as response level, else the
 *                   warning level) is the alert's; when it changes every task sent is
 *                   revised. The reservation is not made again (Plan.update_note says when
 *                   the materials now differ); the plan is stored in place and
 *                   "plan.updated" published. The reading's time is Alert.measured_ms. At most
 *                   HL_FORECAST_MAX_OBS readings per plan: later ones are logged and answered
 *                   with the plan as it is. An alert with no new reading changes nothing.
 *                   force (a duty officer's re-plan) makes revision N+1 ("pl-<incident>.rN",
 *                   new task ids), built now from the first alert and the readings taken.
 *                   Errors name the field: trigger.alert, alert.incident_id, alert.parameter,
 *                   alert.station_id (HL_ENOTFOUND: not a station of the plan),
 *                   alert.release_chainage_km (HL_ENOTFOUND: outside the river), alert.<number>.
 *   playbook.plans  ListQuery → PlanList (query): id, or incident_id, or all; limit.
 * Replies (outbox): stock.reserve → the plan records reservation id, state and shortfall;
 * dispatch.tasks → the plan records whether dispatch stored the tasks, the index the ids it
 * confirmed (and a held revision goes out); dispatch.revise → Plan.revision_state. An error
 * reply is recorded as "refused: <message>".
 * Events: "plan.activated" (a new plan or revision), "plan.updated" (re-anchored).
 */
#ifndef PB_SERVICE_H
#define PB_SERVICE_H

#include <stddef.h>

#include "hazlink/hl_svc.h"
#include "hazlink/plan.h"

typedef struct pb_app {
    const hl_network *net;
    const hl_plan_rules *rules;
    char season[16];   /* configured season, "" = by the (drill) clock's month */
    size_t max_reply;  /* byte budget of a list reply */
} pb_app;

/* Register the handlers; app must outlive s. 0 or the hl_svc_on error. */
int pb_service_register(hl_svc *s, pb_app *app);

#endif
