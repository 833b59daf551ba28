/* dstore.h — dispatch's records in its LMDB environment (data_dir/dispatch).
 *
 * Tables (hl_store.h):
 *   "tasks"    task id → packed Task, the current state of each task
 *   "by_unit"  "<unit>/<seq, 20 digits>" → task id: every task of a unit in delivery order
 *   "pending"  same key → DSTORE_PENDING record: tasks that owe their unit a push, in
 *              delivery order: not yet receipted, or (issue 4) a revision or withdrawal the
 *              unit has not receipted (dispatch_task_owed); the entry goes when nothing is owed
 *   "units"    unit id → packed Unit (id, last_seen_ms): when each partner last said hello
 *   "audit"    "<seq, 20 digits>" → packed AuditEntry, one per state change, escalation step
 *              or refusal, never rewritten
 *   "escal"    task id → packed Escalation: the escalation chain of the task and where it
 *              stands (escalation.h); escalation notices have none of their own
 *   "esc_due"  "<due drill ms, 20 digits>/<task id>" → "1": one entry per chain with a step
 *              planned, so the steps that are due are the first keys (survives restarts)
 *   "plan_rev" plan id → the last TaskRevision.update applied for the plan, decimal text
 *              (dispatch.revise, issue 4: an update not above it changes nothing)
 * Counters ("_seq"): "unit:<unit>" gives the per-unit delivery order, "audit" the audit order.
 *
 * '/' cannot occur in an id (hl_id_check), so "<unit>/" is an exact prefix of one unit's keys
 * and the 20-digit seq sorts numerically.
 *
 * All calls run inside the caller's transaction and return 0 or HL_E* from hl_store.h;
 * HL_EDECODE when a stored record cannot be unpacked (a damaged store: logged by the caller).
 */
#ifndef DISPATCH_DSTORE_H
#define DISPATCH_DSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "dispatch.pb-c.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_store.h"

#define DSTORE_KEY_MAX (HL_ID_MAX + 1 + 20)

/* "<unit>/<seq>" into key (DSTORE_KEY_MAX+1 bytes). */
void dstore_unit_key(const char *unit, uint64_t seq, char key[DSTORE_KEY_MAX + 1]);

/* The task with id, unpacked into *out (free with hl__task__free_unpacked(*out, NULL)).
 * HL_ENOTFOUND, HL_EDECODE. */
int dstore_task_get(hl_txn *t, const char *id, Hl__Task **out);
/* Store t under t->id (new or replacing). */
int dstore_task_put(hl_txn *t, const Hl__Task *task);

/* A pending delivery: when it was last pushed (real ms, 0 = never since it was stored). */
typedef struct dstore_pending {
    char key[DSTORE_KEY_MAX + 1];
    char task_id[HL_ID_MAX + 1];
    int64_t last_push_real_ms;
} dstore_pending;

int dstore_pending_put(hl_txn *t, const char *unit, uint64_t seq, const char *task_id,
                       int64_t last_push_real_ms);
/* Remove the pending entry of (unit, seq); HL_ENOTFOUND is not an error here (returns 0). */
int dstore_pending_del(hl_txn *t, const char *unit, uint64_t seq);
/* Up to max pending entries of unit in seq order, whose last push is at or before
 * pushed_before_real_ms (INT64_MAX = all). Returns the count (>= 0) or HL_E*. */
int dstore_pending_list(hl_txn *t, const char *unit, int64_t pushed_before_real_ms,
                        dstore_pending *out, size_t max);

/* Append one audit entry (its seq is assigned here and written into *e). */
int dstore_audit_append(hl_txn *t, Hl__AuditEntry *e);

/* The escalation record of task_id (free with hl__escalation__free_unpacked).
 * HL_ENOTFOUND, HL_EDECODE. */
int dstore_esc_get(hl_txn *t, const char *task_id, Hl__Escalation **out);
/* Store e under e->task_id and move its "esc_due" entry from old_due_ms (0 = none) to
 * e->next_due_ms (0 = none). */
int dstore_esc_put(hl_txn *t, const Hl__Escalation *e, int64_t old_due_ms);
/* One "esc_due" entry. */
typedef struct dstore_due {
    int64_t due_ms;
    char task_id[HL_ID_MAX + 1];
} dstore_due;
/* Up to max entries due at or before now_ms, earliest first. Returns the count (>= 0) or
 * HL_E* (HL_EDECODE for a damaged key). */
int dstore_esc_due(hl_txn *t, int64_t now_ms, dstore_due *out, size_t max);
/* Remove one entry (absent: not an error). */
int dstore_esc_unindex(hl_txn *t, const dstore_due *due);
/* The earliest planned step of any chain (drill ms), or INT64_MAX when none. */
int dstore_esc_first_due(hl_txn *t, int64_t *out);

/* The last update applied for plan_id (0 when none). HL_EDECODE for a damaged record. */
int dstore_plan_update_get(hl_txn *t, const char *plan_id, uint32_t *out);
int dstore_plan_update_put(hl_txn *t, const char *plan_id, uint32_t update);

/* last_seen_ms of unit (0 if never seen). */
int dstore_unit_seen_get(hl_txn *t, const char *unit, int64_t *out);
int dstore_unit_seen_put(hl_txn *t, const char *unit, int64_t last_seen_ms);

#endif
