/* stock_store.h — the stock ledger, reservations, minimum-level alerts and inter-agency
 * requests in the stock service's LMDB store (the thin persistence around ledger.h).
 *
 * Tables (hl_store.h):
 *   "entry"        key "<depot_id>/<material_id>/<seq, 12 digits>" → packed LedgerEntry. The
 *                  only record of quantities: every figure is computed from these.
 *   "reservation"  key reservation id "rsv-000001" → packed Reservation
 *   "alert"        key "low-000001" → packed StockAlert (one per crossing below a minimum)
 *   "alert_open"   key "<depot_id>/<material_id>" → id of the alert raised and not cleared
 *   "request"      key "rq-000001" → packed ResourceRecord (the EDXL-RM chain, rm.h)
 *   "meta"         "seeded": Unix ms of the first start (decimal text);
 *                  "ledger": present once quantities live in "entry" (issue 4)
 *   "stock"        issue-2 rows (StockItem with on_hand/reserved/issued), read once to migrate
 *                  a store made before the ledger, never written
 *
 * depots.yaml seeds the ledger once (stock_store_seed: one receipt per lot, effective at the
 * file's as_of) and is afterwards used only for what the ledger does not hold — names, points,
 * owners, minimum levels — so a restart never forgets an entry. Every function runs inside
 * the caller's transaction: entries, the reservation or request they belong to and the
 * alerts they raise are written together (hl_svc commits before replying).
 *
 * "actor" arguments are the unit or service id recorded on entries (Envelope.sender_unit;
 * "stock" when empty). Times are Unix ms UTC. Sentences for errors go to why (whylen
 * bytes); field (STOCK_FIELD_MAX bytes, stock_msg.h) names the request field at fault.
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
#include "ledger.h"
#include "reserve.h"
#include "stock_data.h"

#define STOCK_T_ENTRY "entry"
#define STOCK_T_RESERVATION "reservation"
#define STOCK_T_ALERT "alert"
#define STOCK_T_ALERT_OPEN "alert_open"
#define STOCK_T_REQUEST "request"
#define STOCK_T_META "meta"
#define STOCK_T_LEGACY "stock"
#define STOCK_LIST_DEFAULT HL_LIST_MAX /* ListQuery.limit 0 */
#define STOCK_SEED_ACTOR "depots.yaml"

/* Alerts raised or cleared by a change, for the caller to publish ("stock.low") after the
 * commit. Owned messages; stock_alerts_free frees them and empties the list. */
typedef struct stock_alerts {
    size_t n, cap;
    Hl__StockAlert **items;
} stock_alerts;
void stock_alerts_free(stock_alerts *a);

/* Difference between depots.yaml and the ledger found at a later start, for the log. */
typedef void (*stock_store_diff_fn)(const char *depot_id, const char *material_id,
                                    double file_on_hand, double ledger_on_hand, int in_ledger,
                                    void *ud);

/* First start (no "seeded" record): one receipt per lot of info (effective at info->as_of_ms,
 * or now_ms if that is earlier), *seeded = 1. A store of issue 2 ("seeded" but no "ledger"):
 * its rows become entries (receipt of on hand + issued, issue of issued, reservation of
 * reserved, effective at the "seeded" time), *seeded = 2. Later starts: nothing written,
 * *seeded = 0, diff (if not NULL) called for each depots.yaml row whose on_hand differs from
 * the ledger's now or which the ledger lacks. Alerts of opening stock already below its
 * minimum are recorded (and listed in alerts when not NULL).
 * HL_ESTORE / HL_EMAPFULL / HL_ENOMEM / HL_EDECODE (a stored row is undecodable) / HL_ESTATE
 * (the ledger refused the opening stock: why says so). */
int stock_store_seed(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, int *seeded, stock_store_diff_fn diff, void *ud,
                     stock_alerts *alerts, char *why, size_t whylen);

/* The entries of one depot and material into *h (ledger_history_free it). Entry units point
 * into cat. HL_ETOOBIG over LEDGER_HISTORY_MAX, HL_ENOMEM, store errors. An undecodable
 * stored entry is HL_EDECODE: a ledger with a hole in it must not be trusted. */
int stock_store_history(hl_txn *t, const stock_catalogue *cat, const char *depot_id,
                        const char *material_id, ledger_history *h);

/* The depots of info with their levels as of now_ms, computed from the ledger: a level for
 * each material of the catalogue that depots.yaml lists for the depot or that has entries.
 * only (may be NULL) limits the materials read to those named in only[0..nonly).
 * *out: free(). */
int stock_store_read(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, const stock_need *only, size_t nonly, stock_depots **out);

/* Reserve a checked request (stock_msg_check_reserve): plan from the ledger as of now_ms,
 * write one reservation entry per line and the reservation (id "rsv-" + 6 digits).
 * HL_ESTATE (the ledger refused the plan: a bug, never the caller's fault), store errors. */
int stock_store_reserve(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ReserveRequest *q, const char *actor, int64_t now_ms,
                        stock_alerts *alerts, Hl__Reservation **out, char *why, size_t whylen);

/* Release or issue reservation id (stock_rsv_action_parse names): release entries, or issue
 * entries (from_reserved, lots earliest expiry first) effective at effective_ms (0 = now).
 * HL_ENOTFOUND (no such reservation), HL_EINVAL (unknown action), HL_ESTATE (not allowed
 * from its state, or the ledger refuses: why says what would break), store errors. */
int stock_store_act(hl_txn *t, const stock_depots *info, const stock_catalogue *cat, const char *id,
                    const char *action, const char *actor, int64_t effective_ms, int64_t now_ms,
                    stock_alerts *alerts, Hl__Reservation **out, char *why, size_t whylen);

/* "stock.entry": one change checked by stock_msg_check_entry. An outgoing entry without a
 * lot is split over lots earliest expiry first; a "transfer" writes linked transfer-out and
 * transfer-in pairs. HL_ESTATE (the ledger refuses: why names the amount and time),
 * HL_ENOTFOUND (no such lot), HL_EINVAL (a lot with another expiry), store errors. */
int stock_store_entry(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      const Hl__LedgerEntry *q, const char *actor, int64_t now_ms,
                      stock_alerts *alerts, Hl__LedgerResult **out, char *field, char *why,
                      size_t whylen);

/* Evaluate every level's minimum at now_ms (a lot that expired since the last entry can
 * cross it): raise or clear as ledger_low_update says. */
int stock_store_low_sweep(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                          int64_t now_ms, stock_alerts *alerts);

/* Ledger rows as of now_ms matching q (q->id: a depot or material id; q->unit_id: owner
 * unit), at most q->limit (0 = STOCK_LIST_DEFAULT, capped there) and max_bytes packed;
 * truncated says when more matched. */
int stock_store_list(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     const Hl__ListQuery *q, int64_t now_ms, size_t max_bytes, Hl__StockList **out);
/* The same rows as full ledger totals ("stock.ledger"). */
int stock_store_totals(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ListQuery *q, int64_t now_ms, size_t max_bytes,
                       Hl__LedgerTotals **out);
/* Entries in (depot, material, seq) order; q->id: a depot, material, entry or linked id;
 * q->unit_id: actor. */
int stock_store_entries(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                        Hl__LedgerEntryList **out);
/* Minimum-level alerts in id order; q->id: depot, material or alert id. */
int stock_store_alerts(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                       Hl__StockAlertList **out);

/* Reservations in id (creation) order matching q (q->id: reservation id; q->incident_id),
 * same limits. */
int stock_store_reservations(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                             Hl__ReservationList **out);

/* "stock.cover" for a query checked by stock_msg_check_cover, from the ledger as of now_ms. */
int stock_store_cover(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      const Hl__CoverQuery *q, int64_t now_ms, Hl__CoverResult **out);

/* ---- Requests between agencies (rm.h). Each returns the whole record after the step. ---- */

/* A checked ResourceRequest (stock_msg_check_request): record "rq-" + 6 digits. */
int stock_store_request(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ResourceRequest *q, int64_t now_ms, Hl__ResourceRecord **out,
                        char *field, char *why, size_t whylen);
/* Only the depot's owner unit answers (HL_EDENIED); HL_ENOTFOUND, HL_ESTATE (wrong state),
 * HL_EINVAL (a provisional answer without a reason, an offer of a material not asked),
 * HL_ESTATE (an offer above what was asked). */
int stock_store_respond(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ResourceResponse *q, int64_t now_ms, Hl__ResourceRecord **out,
                        char *field, char *why, size_t whylen);
/* Only the owner unit commits: reservation entries at the depot (a reservation record links
 * them); HL_ESTATE when the ledger cannot give it (why says what would break). */
int stock_store_commit(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ResourceCommitment *q, int64_t now_ms, stock_alerts *alerts,
                       Hl__ResourceRecord **out, char *field, char *why, size_t whylen);
/* The requester or the owner reports arrival: the commitment's reservation is issued. */
int stock_store_fulfil(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ResourceFulfilment *q, int64_t now_ms, stock_alerts *alerts,
                       Hl__ResourceRecord **out, char *field, char *why, size_t whylen);
/* Records in id order; q->id: request id, depot id or unit (requester or owner);
 * q->incident_id. */
int stock_store_requests(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                         Hl__ResourceRecordList **out);

#endif
