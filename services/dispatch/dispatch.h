/* dispatch.h — the dispatch service's handlers: tasks in from the playbook, out to the units'
 * partner agents over the gateway, answers back, queries.
 *
 * Requests (docs/protocol.md):
 *   dispatch.tasks  TaskBatch → TaskList. Each task is stored under the id the playbook gave
 *                   it, gets the next per-unit seq and state "pending". A task id already
 *                   stored is returned as stored and not changed (resends and replays are
 *                   no-ops). The batch is all or nothing: a task that fails task_check or
 *                   names a unit outside the roster refuses the whole batch with an error
 *                   naming the task and the field (HL_EINVAL, HL_ETOOBIG; HL_ENOTFOUND
 *                   "tasks[i].unit_id" for an unknown unit); more than HL_LIST_MAX tasks is
 *                   HL_ETOOBIG "tasks".
 *   dispatch.list   ListQuery (id, incident_id, unit_id; limit 0 = 1000, at most 1000)
 *                   → TaskList; with unit_id the tasks come in that unit's seq order, else in
 *                   id order.
 *   dispatch.units  ListQuery → UnitList: the roster with connected and last_seen_ms.
 *   dispatch.audit  ListQuery (id = task id, or all; limit as above) → AuditList in order.
 *
 * Partner gateway (HL_H_GATEWAY; the unit is r->auth_unit, never the payload; a connection
 * whose unit is not in the roster gets HL_EDENIED with field "unit"):
 *   partner.hello   PartnerHello → Empty. Marks the unit connected (until
 *                   DISPATCH_STALE_MS real ms without a hello) and pushes every task of the
 *                   unit not yet receipted, in seq order (at most DISPATCH_PUSH_BATCH per
 *                   hello; the timer pushes the rest).
 *   task.receipt    TaskReceipt → Task. pending → delivered; a receipt for a task further on
 *                   changes nothing.
 *   task.answer     TaskAnswer → Task. action "ack" | "decline" (reason required) |
 *                   "complete" (task.h). HL_ENOTFOUND "task_id" unknown task, HL_EDENIED
 *                   "task_id" another unit's task, HL_ESTATE wrong state, HL_EINVAL "action"
 *                   or "reason".
 * A timer (DISPATCH_TICK_MS real) pushes again, to units connected now, every task still
 * pending whose last push is older than the config's resend_ms: delivery is at least once,
 * the partner recognises a task it already has.
 *
 * Every state change (creation included, from "") is appended to the audit table with the
 * actor (the authenticated unit, or the envelope's sender for dispatch.tasks) and dispatch's
 * time, and published as "task.state" (Task).
 */
#ifndef DISPATCH_DISPATCH_H
#define DISPATCH_DISPATCH_H

#include "hazlink/hl_svc.h"
#include "units.h"

#define DISPATCH_TICK_MS 500 /* real ms between resend sweeps */
#define DISPATCH_STALE_MS                                                                          \
    10000                       /* real ms without a hello after which a unit counts as            \
                                   disconnected (partners say hello every 2 s) */
#define DISPATCH_PUSH_BATCH 256 /* pushes per unit per hello or sweep */
#define DISPATCH_LIST_DEFAULT 1000

typedef struct dispatch dispatch;

/* Register every handler, the gateway (gw_endpoint, with ZMQ_ROUTER_HANDOVER so a partner
 * that reconnects under its unit id takes over from its dead connection) and the timer on
 * svc. roster must outlive the dispatch. Reads the units' last_seen from the store.
 *  HL_ENOMEM, HL_EZMQ (gateway bind), HL_EEXIST (handlers registered twice), HL_ESTORE. */
int dispatch_new(hl_svc *svc, const units_roster *roster, const char *gw_endpoint, dispatch **out);
/* Accepts NULL; clears *d. Call after the service stopped. */
void dispatch_destroy(dispatch **d);

#endif
