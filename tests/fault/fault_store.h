/* fault_store.h — read what the services and partners stored into a fault_world.
 *
 * The services' LMDB environments (data_dir/<service>) are opened after the stack has
 * stopped and read in read-only transactions, by the table layouts their headers document:
 *   alert     "incidents" (Incident), "audit" (IncidentAudit, event "upstream" counted per
 *             incident), "_dead" (refused playbook.alert envelopes: PlanTrigger)
 *   playbook  "plans" (Plan), "incident_plans" (PlanIndex: the task ids sent to dispatch,
 *             withdrawn ones too)                                services/playbook/pb_store.h
 *   dispatch  "tasks" (Task), "audit" (AuditEntry)             services/dispatch/dstore.h
 *   stock     "reservation" (Reservation)                      services/stock/stock_store.h
 * Stock's levels are asked of stock while it runs (stock.list, stock.ledger), since they are
 * computed from its ledger entries; the partner stores are read through
 * `hazpartner export --json`.
 *
 * Every reader appends to w (growing its arrays) and returns 0 or HL_E* with err naming the
 * store, table and key that could not be read.
 */
#ifndef FAULT_STORE_H
#define FAULT_STORE_H

#include <stddef.h>
#include "fault_check.h"
#include "stock.pb-c.h"

int fault_store_read_alert(const char *data_dir, fault_world *w, char *err, size_t errlen);
int fault_store_read_playbook(const char *data_dir, fault_world *w, char *err, size_t errlen);
int fault_store_read_dispatch(const char *data_dir, fault_world *w, char *err, size_t errlen);

int fault_store_read_reservations(const char *data_dir, fault_world *w, char *err, size_t errlen);

/* Count the records of table in data_dir/<env> (0 when the table does not exist yet). */
int fault_store_count(const char *data_dir, const char *env, const char *table, uint64_t *out);

/* Stock levels: now is the list after the run, first the list before any message (its on
 * hand + issued is what was there: the baseline), ledger the ledger's totals after the run
 * (may be NULL: received is then the baseline). Rows of now missing from first have
 * baseline 0. */
int fault_store_add_stock(fault_world *w, const Hl__StockList *first, const Hl__StockList *now,
                          const Hl__LedgerTotals *ledger);
/* One reservation (skipped when its id is in w already). */
int fault_store_add_reservation(fault_world *w, const Hl__Reservation *r);

/* One partner's `hazpartner export --unit U --json` text. HL_EPARSE with err. */
int fault_store_add_export(fault_world *w, const char *unit, const char *json_text, char *err,
                           size_t errlen);

#endif
