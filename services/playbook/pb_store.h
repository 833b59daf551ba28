/* pb_store.h — the playbook service's LMDB records (hl_store.h).
 *
 * Tables:
 *   "plans"           plan id → packed Plan (playbook.proto)
 *   "incident_plans"  incident id → packed PlanIndex: the incident's current plan, revision,
 *                     and what re-anchoring rebuilds it from
 * ServiceStatus.records counts "plans".
 */
#ifndef PB_STORE_H
#define PB_STORE_H

#include <stddef.h>

#include "hazlink/hl_store.h"
#include "playbook.pb-c.h"

#define PB_T_PLANS "plans"
#define PB_T_INDEX "incident_plans"
#define PB_LIST_DEFAULT 100
#define PB_LIST_MAX 1000

/* The incident's current plan: id, revision, the alert it was built from, the later
 * readings, when it was made, the task ids sent (PlanIndex, playbook.proto). *out unpacked:
 * free with protobuf_c_message_free_unpacked. An index written before issue 4 has only id
 * and revision. HL_ENOTFOUND, HL_EDECODE (corrupt record), HL_ESTORE. */
int pb_store_index_get(hl_txn *t, const char *incident_id, Hl__PlanIndex **out);
/* Store (replace) the index of an incident. HL_ENOMEM, HL_EMAPFULL, HL_ESTORE. */
int pb_store_index_put(hl_txn *t, const char *incident_id, const Hl__PlanIndex *ix);

/* A stored plan, unpacked: caller frees with protobuf_c_message_free_unpacked.
 * HL_ENOTFOUND, HL_EDECODE, HL_ESTORE. */
int pb_store_plan_get(hl_txn *t, const char *plan_id, Hl__Plan **out);
/* Store (replace) a plan under its id. HL_ENOMEM, HL_EMAPFULL, HL_ESTORE. */
int pb_store_plan_put(hl_txn *t, const Hl__Plan *p);

/* Plans for a ListQuery: id (one plan), incident_id (its plans), else all; at most limit
 * (0 = PB_LIST_DEFAULT, capped at PB_LIST_MAX) and at most max_bytes packed, in id order.
 * *out is an array of unpacked plans (free with pb_store_list_free). */
int pb_store_list(hl_txn *t, const char *id, const char *incident_id, unsigned limit,
                  size_t max_bytes, Hl__Plan ***out, size_t *n);
void pb_store_list_free(Hl__Plan ***plans, size_t n);

#endif
