/* stock_store.h — the stock ledger and the reservations in the stock service's LMDB store.
 *
 * Tables (hl_store.h):
 *   "stock"        key "<depot_id>/<material_id>" → packed StockItem (on_hand, reserved, issued)
 *   "reservation"  key reservation id "rsv-000001" → packed Reservation
 *   "meta"         key "seeded" → Unix ms (decimal text) of the first start that loaded
 *                  depots.yaml into "stock"
 *
 * The ledger is the truth after the first start: depots.yaml seeds it once (stock_store_seed)
 * and is afterwards used only for what the ledger does not hold — depot names, points,
 * owners, jurisdictions — so that a restart never forgets a reservation or the quantities it
 * holds. Every function runs inside the caller's transaction; a reservation and the ledger
 * rows it changes are written in that one transaction (hl_svc commits it before replying).
 *
 * Returned messages (*out) are owned by the caller: free with
 * protobuf_c_message_free_unpacked(&(*out)->base, NULL).
 */
#ifndef STOCK_STORE_H
#define STOCK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_store.h"
#include "common.pb-c.h"
#include "stock.pb-c.h"
#include "reserve.h"
#include "stock_data.h"

#define STOCK_T_STOCK "stock"
#define STOCK_T_RESERVATION "reservation"
#define STOCK_T_META "meta"
#define STOCK_LIST_DEFAULT HL_LIST_MAX /* ListQuery.limit 0 */

/* Difference between depots.yaml and the ledger found at a later start, for the log. */
typedef void (*stock_store_diff_fn)(const char *depot_id, const char *material_id,
                                    double file_on_hand, double ledger_on_hand, int in_ledger,
                                    void *ud);

/* First start (no "seeded" record): write every level of info into "stock" and mark seeded;
 * *seeded = 1. Later starts: write nothing, *seeded = 0, and call diff (if not NULL) for each
 * depots.yaml row whose on_hand differs from the ledger's or which the ledger lacks.
 * HL_ESTORE / HL_EMAPFULL / HL_ENOMEM / HL_EDECODE (a stored row is undecodable). */
int stock_store_seed(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, int *seeded, stock_store_diff_fn diff, void *ud);

/* The ledger as depots: info's depots (names, points) with their levels read from "stock".
 * Materials of the ledger that the catalogue no longer knows are skipped. *out: free(). */
int stock_store_read(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     stock_depots **out);

/* Reserve a checked request (stock_msg_check_reserve): plan from the ledger, apply, write the
 * changed rows and the new reservation (id "rsv-" + 6-digit sequence), all in t.
 * why gets a sentence on error. HL_ESTATE (the ledger refused the plan: a bug, never the
 * caller's fault), store errors, HL_ENOMEM. */
int stock_store_reserve(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ReserveRequest *q, int64_t now_ms, Hl__Reservation **out,
                        char *why, size_t whylen);

/* Release or issue reservation id (stock_rsv_action_parse names). HL_ENOTFOUND (no such
 * reservation), HL_EINVAL (unknown action), HL_ESTATE (not allowed from its state, or the
 * ledger disagrees), store errors. why gets a sentence on error. */
int stock_store_act(hl_txn *t, const stock_depots *info, const stock_catalogue *cat, const char *id,
                    const char *action, int64_t now_ms, Hl__Reservation **out, char *why,
                    size_t whylen);

/* Ledger rows matching q (q->id: a depot id or material id; q->unit_id: owner unit), at most
 * q->limit (0 = STOCK_LIST_DEFAULT, capped there) and at most max_bytes packed;
 * (*out)->truncated says when more matched. */
int stock_store_list(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes, Hl__StockList **out);

/* Reservations in id (creation) order matching q (q->id: reservation id; q->incident_id),
 * same limits. */
int stock_store_reservations(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                             Hl__ReservationList **out);

#endif
