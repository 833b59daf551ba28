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
 *   dispatch.chain  ListQuery (id = a task id, or an escalation notice's id) → Escalation:
 *                   the task's chain, the steps taken, the next step and when
 *                   (HL_ENOTFOUND "id": no such task, or a task without a chain).
 *   dispatch.keys_reload   Empty → KeysStatus. Read keys/partners.keys again (dkeys.h) and
 *                   bring the admitted keys in line: added keys are admitted, removed keys
 *                   revoked, which cuts every gateway connection (partners reconnect and are
 *                   authenticated again). dispatch also notices a changed file by itself
 *                   within DISPATCH_TICK_MS. HL_EPARSE (bad table: nothing changes).
 *   dispatch.gateway_rekey Empty → KeysStatus. Load keys/gateway.key again and, if it
 *                   changed (hazctl keys rotate-server), bind the gateway with it: every
 *                   connection drops, partners need the new public key.
 *   These two come only through the request socket, which listens on loopback: whoever may
 *   write the data dir may change the keys anyway (docs/trust-model.md).
 *
 * Partner gateway: CURVE (hl_svc_gateway_curve). Only keys listed in keys/partners.keys for a
 * unit of the roster get in; the unit is the one the key is listed for (r->auth_unit), never
 * what a payload or the envelope claims. (HL_H_GATEWAY; a connection whose unit is not in
 * the roster gets HL_EDENIED with field "unit".)
 *   partner.hello   PartnerHello → Empty. Marks the unit connected (until
 *                   DISPATCH_STALE_MS real ms without a hello) and pushes every task of the
 *                   unit not yet receipted, in seq order (at most DISPATCH_PUSH_BATCH per
 *                   hello; the timer pushes the rest).
 *   task.receipt    TaskReceipt → Task. pending → delivered; a receipt for a task further on
 *                   changes nothing.
 *   task.answer     TaskAnswer → Task. action "ack" | "decline" (reason required) |
 *                   "complete" (task.h). HL_ENOTFOUND "task_id" unknown task, HL_EDENIED
 *                   "task_id" another unit's task (also for a receipt; the refusal is written
 *                   to the audit log as event "denied" within one fast tick), HL_ESTATE wrong
 *                   state, HL_EINVAL "action" or "reason". An answer also moves the task's
 *                   escalation chain (escalation.h): an ack ends it, a decline escalates at
 *                   once.
 * A timer (DISPATCH_TICK_MS real) pushes again, to units connected now, every task still
 * pending whose last push is older than the config's resend_ms: delivery is at least once,
 * the partner recognises a task it already has.
 *
 * Every state change (creation included, from "") is appended to the audit table with the
 * actor (the authenticated unit, or the envelope's sender for dispatch.tasks) and dispatch's
 * time, and published as "task.state" (Task).
 *
 * Escalation (escalation.h; docs/protocol.md): each task the playbook sends gets a chain
 * (units_chain) and an acknowledgement timeout by its level. A fast timer takes the steps
 * that are due, at most DISPATCH_ESC_LATE_MS of drill time late (DISPATCH_FAST_MIN_MS real
 * ms at the highest drill scales): a reminder re-sends the
 * task (TaskDelivery.reminder) to a connected partner; an escalation stores a new task of
 * kind "escalation" for the next unit (id "<task>:esc<position>", escalation_of = the task)
 * and delivers it like any task. Every step is an audit entry (actor "dispatch", or the
 * declining unit) and a "task.escalated" event (Escalation). The chain and its next due time
 * are in the store ("escal", "esc_due"): after a restart a step that fell due while dispatch
 * was down is taken at once, the others on time.
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
#define DISPATCH_ESC_LATE_MS 250 /* drill ms a due escalation step may wait for the timer */
#define DISPATCH_FAST_MIN_MS                                                                       \
    20                        /* real ms: the escalation timer's shortest interval, so at          \
                                 scales above 12.5 a step may wait up to 20 real ms */
#define DISPATCH_ESC_BATCH 64 /* escalation steps taken per fast tick */

typedef struct dispatch dispatch;

/* Register every handler and the timers on svc, then start the CURVE gateway at gw_endpoint
 * with the keys under data_dir (dkeys.h: the gateway's pair is made on the first start, the
 * key table read; the keys folder is created). roster must outlive the dispatch. Reads the
 * units' last_seen and the next escalation step from the store.
 *  HL_ENOMEM, HL_EZMQ (gateway bind), HL_EEXIST (handlers registered twice), HL_ESTORE,
 *  HL_EIO / HL_EDENIED / HL_EINVAL / HL_EPARSE (keys: err names the file). */
int dispatch_new(hl_svc *svc, const units_roster *roster, const char *gw_endpoint,
                 const char *data_dir, dispatch **out, char *err, size_t errlen);
/* Accepts NULL; clears *d. Call after the service stopped (hl_svc_destroy): the key table
 * it frees is borrowed by the gateway. */
void dispatch_destroy(dispatch **d);

#endif
