/* stock_msg.h — stock messages (stock.proto) in and out of the pure model (pure: no I/O).
 *
 * Validation names the offending field the way the error reply carries it
 * (Error.field, common.proto): "reserve.needs[2].quantity".
 */
#ifndef STOCK_MSG_H
#define STOCK_MSG_H

#include <stddef.h>
#include "stock.pb-c.h"
#include "reserve.h"
#include "stock_data.h"

#define STOCK_FIELD_MAX 64 /* length of a field name in an error */
#define STOCK_WHY_MAX 256  /* length of the sentence in an error */

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

/* One ledger row as a StockItem (strings point into d, l and cat). */
void stock_msg_item(const stock_depot *d, const stock_level *l, const stock_catalogue *cat,
                    Hl__StockItem *out);

#endif
