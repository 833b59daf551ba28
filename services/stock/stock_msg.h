/* stock_msg.h — stock messages (stock.proto) in and out of the pure model (pure: no I/O).
 *
 * Validation names the offending field the way the error reply carries it
 * (Error.field, common.proto): "reserve.needs[2].quantity".
 */
#ifndef STOCK_MSG_H
#define STOCK_MSG_H

#include <stddef.h>
#include "stock.pb-c.h"
#include "ledger.h"
#include "reserve.h"
#include "rm.h"
#include "stock_data.h"

#define STOCK_FIELD_MAX 64 /* length of a field name in an error */
#define STOCK_WHY_MAX 256  /* length of the sentence in an error */

/* Check a list of needs (what: the field's name, e.g. "reserve.needs"): at most
 * STOCK_LINES_MAX, at least one if required; each material in the catalogue, quantity finite
 * in [0, STOCK_QTY_MAX], unit empty or the material's code or catalogue word.
 * HL_EINVAL / HL_ETOOBIG / HL_ENOTFOUND / HL_EUNIT naming "what[i].field". */
int stock_msg_check_needs(const Hl__MaterialNeed *const *needs, size_t n, int required,
                          const stock_catalogue *cat, const char *what, char field[STOCK_FIELD_MAX],
                          char why[STOCK_WHY_MAX]);
/* Copy n needs into out (room for n). */
void stock_msg_needs_of(Hl__MaterialNeed *const *in, size_t n, stock_need *out);

/* Check a ReserveRequest against the catalogue:
 *  incident_id  required id (hl_id_check)            plan_id  optional id
 *  near         required; lat in [-90, 90], lon in [-180, 180], finite
 *  needs        1..STOCK_LINES_MAX (HL_LIST_MAX) entries
 *  needs[i]     material_id in the catalogue; quantity finite, 0..STOCK_QTY_MAX; unit empty or
 *               the material's unit code or catalogue word (materials.yaml)
 *  purpose      at most HL_TEXT_MAX bytes of UTF-8
 * Returns 0 or HL_EINVAL / HL_ETOOBIG / HL_ENOTFOUND (unknown material) / HL_EUNIT, with the
 * field name in field and a sentence in why. */
int stock_msg_check_reserve(const Hl__ReserveRequest *q, const stock_catalogue *cat,
                            char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX]);

/* Copy the needs of a checked request into needs (room for q->n_needs). */
void stock_msg_needs(const Hl__ReserveRequest *q, stock_need *needs);

/* A reservation message built from a plan: owns only its arrays (strings point into q, p,
 * ds and cat, which must outlive it). Free with stock_msg_reservation_free. */
typedef struct stock_msg_reservation {
    Hl__Reservation r;
    Hl__ReservationLine *line_store;
    Hl__ReservationLine **lines;
    Hl__MaterialNeed *need_store;
    Hl__MaterialNeed **needs;
    Hl__MaterialNeed **shorts;
} stock_msg_reservation;

/* Build the Reservation for plan p of request q, with id and created_ms. HL_ENOMEM. */
int stock_msg_reservation_build(const Hl__ReserveRequest *q, const stock_plan *p,
                                const stock_depots *ds, const stock_catalogue *cat, const char *id,
                                int64_t created_ms, stock_msg_reservation *out);
void stock_msg_reservation_free(stock_msg_reservation *m);

/* The lines of a stored reservation as ledger lines (*out malloc'd, free()). HL_ENOMEM,
 * HL_ETOOBIG (more than STOCK_LINES_MAX lines). */
int stock_msg_lines(const Hl__Reservation *r, stock_line **out, size_t *n);

/* One ledger row as a StockItem (strings point into d, l and cat). available is l->below
 * (on hand − expired − reserved, what the minimum level watches). */
void stock_msg_item(const stock_depot *d, const stock_level *l, const stock_catalogue *cat,
                    Hl__StockItem *out);

/* Check a "stock.entry" request: kind a reason code or "transfer" (reservation, release and
 * the two transfer halves are refused: they are written by stock.reserve, stock.release,
 * stock.commit and "transfer"); depot and to_depot in info (to_depot only and always for a
 * transfer, and another depot); material in cat; unit the material's; from_reserved false;
 * ids well formed; reason at most LEDGER_REASON_MAX bytes; times not negative. Quantity,
 * lot presence, reason presence and effective time are checked by ledger_entry_check.
 * HL_EINVAL / HL_ENOTFOUND / HL_EUNIT / HL_ETOOBIG with "entry.<field>". */
int stock_msg_check_entry(const Hl__LedgerEntry *q, const stock_depots *info,
                          const stock_catalogue *cat, char field[STOCK_FIELD_MAX],
                          char why[STOCK_WHY_MAX]);
/* A checked request as a ledger entry ("transfer" becomes its transfer-out half) recorded at
 * now_ms, effective at q->effective_ms or now_ms when 0, by q->actor or else actor. Strings
 * behind pointers borrow from q, cat and actor. */
void stock_msg_entry_in(const Hl__LedgerEntry *q, const stock_catalogue *cat, const char *actor,
                        int64_t now_ms, ledger_entry *out);
/* An entry as a LedgerEntry message (strings borrowed from e). */
void stock_msg_entry_out(const ledger_entry *e, Hl__LedgerEntry *o);
/* A stored LedgerEntry as a ledger entry for replay (actor and reason NULL; unit from cat).
 * HL_EDECODE when its kind or ids are not valid. */
int stock_msg_entry_core(const Hl__LedgerEntry *p, const stock_catalogue *cat, ledger_entry *out);

/* Ledger totals of one depot and material (strings borrowed from d, m and st; lots written
 * into lot_store[0..st->nlots) and pointed to from lots[]). */
void stock_msg_total(const stock_depot *d, const stock_material *m, const ledger_state *st,
                     double minimum, Hl__LedgerTotal *o, Hl__LotTotal *lot_store,
                     Hl__LotTotal **lots);

/* "stock.cover": near required (as reserve.near), needs as stock_msg_check_needs. */
int stock_msg_check_cover(const Hl__CoverQuery *q, const stock_catalogue *cat,
                          char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX]);

/* Requests between agencies (rm.h):
 *  request   incident_id, requester_unit, depot_id required ids; depot in info
 *            (HL_ENOTFOUND); needs 1..STOCK_LINES_MAX; deliver_to optional point; location
 *            <= HL_NAME_MAX, note <= HL_TEXT_MAX bytes
 *  respond   request_id, responder_unit; response_type Accept/Decline/Provisional (either
 *            case); Provisional with reason_code or reason; Decline offers nothing; offered
 *            as needs (may be empty: everything asked)
 *  commit    request_id, unit; quantities as needs (may be empty: everything offered)
 *  fulfil    request_id, unit; arrival_ms >= 0 (0: now) */
int stock_msg_check_request(const Hl__ResourceRequest *q, const stock_depots *info,
                            const stock_catalogue *cat, char field[STOCK_FIELD_MAX],
                            char why[STOCK_WHY_MAX]);
int stock_msg_check_respond(const Hl__ResourceResponse *q, const stock_catalogue *cat,
                            char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX]);
int stock_msg_check_commit(const Hl__ResourceCommitment *q, const stock_catalogue *cat,
                           char field[STOCK_FIELD_MAX], char why[STOCK_WHY_MAX]);
int stock_msg_check_fulfil(const Hl__ResourceFulfilment *q, char field[STOCK_FIELD_MAX],
                           char why[STOCK_WHY_MAX]);

#endif
