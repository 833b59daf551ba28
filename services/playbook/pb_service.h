/* pb_service.h — the playbook service's handlers (the imperative shell around lib/domain's
 * forecast and plan, pb_msg.h and pb_store.h).
 *
 * Requests (docs/protocol.md):
 *   playbook.alert  PlanTrigger → Plan. One plan per incident: a later alert for an incident
 *                   that has a plan returns that plan and changes nothing, unless force (a
 *                   duty officer's re-plan) makes revision N+1 ("pl-<incident>.rN", new task
 *                   ids). A new plan is forecast (lib/domain forecast.h), its space chosen,
 *                   materials and tasks built (plan.h); in the same transaction it is stored,
 *                   "stock.reserve" (ReserveRequest near the space) and "dispatch.tasks"
 *                   (TaskBatch) are queued in the outbox, and "plan.activated" is published.
 *                   Errors name the field: trigger.alert, alert.incident_id, alert.parameter,
 *                   alert.station_id (HL_ENOTFOUND: not a station of the plan),
 *                   alert.release_chainage_km (HL_ENOTFOUND: outside the river), alert.<number>.
 *   playbook.plans  ListQuery → PlanList (query): id, or incident_id, or all; limit.
 * Replies (outbox): stock.reserve → the plan records reservation id, state and shortfall;
 * dispatch.tasks → the plan records whether dispatch stored the tasks. An error reply is
 * recorded as "refused: <message>".
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
