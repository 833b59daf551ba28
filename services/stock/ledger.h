/* ledger.h — the stock ledger of one depot and material (pure: no I/O, no clock).
 *
 * Every change of stock is an entry with a reason code (ledger_kind). Nothing else is kept:
 * on hand, reserved and available at any time are computed by replaying the entries in
 * effective-time order (ties in the order they were recorded, by seq). Entries may be
 * backdated, so a new entry can land before entries already there; it is accepted only if
 * no point of the history, its own and every later one, becomes negative because of it:
 *
 *   on hand of each lot  >= 0
 *   reserved             >= 0
 *   available            >= 0,  available(t) = Σ lots not expired at t − reserved
 *
 * (DESIGN.md "Stock never goes negative, whatever the order in which entries arrive".)
 * The points are the entries' effective times: "expired stock is not available as of the
 * entry's time". A lot that expires between two entries while it backs a reservation does
 * not make the ledger refuse anything already there; the next entry that would take from
 * available sees it, and the totals show the expired quantity apart (ledger_state.expired).
 * A point that was already negative (only possible that way) refuses only entries that
 * would make it worse.
 *
 * Lots. Every quantity on hand is in a lot (id, optional expiry). The first receipt (or
 * transfer-in, return, positive adjustment) of a lot id gives it its expiry; a later entry
 * naming another expiry is refused. Outgoing entries name their lot; ledger_fefo chooses
 * lots earliest expiry first (FEFO; lots without expiry last, then by lot id) among those
 * not expired at the entry's time. An expired lot can only be written off
 * (LEDGER_WRITE_OFF), and only an expired lot can be.
 *
 * Quantities are in the material's unit; amounts within STOCK_EPS of zero count as zero.
 * Times are Unix ms UTC; refusals show them in Beijing time (+08:00).
 */
#ifndef STOCK_LEDGER_H
#define STOCK_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_codec.h"
#include "reserve.h"

#define LEDGER_LOTS_MAX 64        /* lots of one depot and material over its whole history */
#define LEDGER_HISTORY_MAX 100000 /* entries of one depot and material */
#define LEDGER_REASON_MAX 512     /* bytes of an entry's stated reason */
#define LEDGER_WHY_MAX 256        /* a refusal sentence */
#define LEDGER_FUTURE_SKEW_MS                                                                      \
    60000 /* an entry may be effective at most this after it is recorded */

typedef enum ledger_kind {
    LEDGER_RECEIPT = 0,  /* "receipt": into a lot */
    LEDGER_ISSUE,        /* "issue": out of a lot to a unit; from_reserved: reserved falls too */
    LEDGER_RESERVATION,  /* "reservation": reserved rises (no lot) */
    LEDGER_RELEASE,      /* "release": reserved falls (no lot) */
    LEDGER_CONSUMPTION,  /* "consumption": out of a lot, used up at the depot */
    LEDGER_RETURN,       /* "return": unused material back into a lot */
    LEDGER_TRANSFER_OUT, /* "transfer-out": out of a lot to another depot (linked) */
    LEDGER_TRANSFER_IN,  /* "transfer-in": into the same lot at the other depot (linked) */
    LEDGER_WRITE_OFF,    /* "expiry-write-off": an expired lot leaves the books */
    LEDGER_ADJUSTMENT,   /* "adjustment": ± a lot after a count; reason required */
    LEDGER_KIND_N
} ledger_kind;

/* One entry. Strings behind pointers are borrowed (the caller keeps them alive for as long
 * as the entry is used); they may be NULL in a history loaded only to be checked against. */
typedef struct ledger_entry {
    char id[HL_ID_MAX + 1]; /* "le-000001"; "" for a candidate not yet stored */
    uint64_t seq;           /* recording order; candidates sort after every stored entry */
    ledger_kind kind;
    char depot_id[HL_ID_MAX + 1];
    char material_id[HL_ID_MAX + 1];
    char lot_id[HL_ID_MAX + 1]; /* "" for reservation and release */
    double quantity;            /* > 0; adjustment: signed, not 0 */
    int64_t effective_ms;
    int64_t recorded_ms;
    int64_t expiry_ms; /* incoming entries: the lot's expiry, 0 = none / as the lot */
    int from_reserved; /* issue only: hands out reserved stock */
    char link_id[HL_ID_MAX + 1];
    const char *unit;   /* material's unit code, for sentences ("t") */
    const char *actor;  /* unit or person id; required on a new entry */
    const char *reason; /* required for an adjustment */
} ledger_entry;

/* The entries of one depot and material, in any order. Grow with ledger_history_add. */
typedef struct ledger_history {
    size_t n, cap;
    ledger_entry *items;
} ledger_history;

typedef struct ledger_lot {
    char id[HL_ID_MAX + 1];
    double quantity;   /* on hand in the lot */
    int64_t expiry_ms; /* 0 = none */
} ledger_lot;

/* One depot and material as of a time: totals since the first entry and the state then. */
typedef struct ledger_state {
    int64_t as_of_ms;
    double received, issued, consumed, returned, transferred_in, transferred_out, written_off,
        adjusted_in, adjusted_out;
    double on_hand; /* Σ lots */
    double reserved;
    double expired;   /* on hand in lots expired at as_of_ms */
    double available; /* on_hand − expired − reserved (may be < 0 only after an expiry) */
    size_t nentries;  /* entries effective at or before as_of_ms */
    size_t nlots;
    ledger_lot lots[LEDGER_LOTS_MAX]; /* lots seen so far, in order of first entry */
} ledger_state;

/* "receipt", "issue", … as in proto/stock.proto. Never NULL ("?" for a bad value). */
const char *ledger_kind_name(ledger_kind k);
/* Parse a kind name. HL_EINVAL. */
int ledger_kind_parse(const char *name, ledger_kind *out);
/* Does the kind take quantity out of a lot (issue, consumption, transfer-out, write-off)? */
int ledger_kind_outgoing(ledger_kind k);
/* Does it bring quantity into a lot (receipt, return, transfer-in)? */
int ledger_kind_incoming(ledger_kind k);

/* Check one entry on its own: ids, quantity (finite, > 0 and <= STOCK_QTY_MAX; adjustment
 * signed and not 0), lot present exactly when the kind needs one, reason present for an
 * adjustment and at most LEDGER_REASON_MAX bytes, actor present, effective time not after
 * recorded_ms + LEDGER_FUTURE_SKEW_MS, from_reserved only on an issue.
 * HL_EINVAL with field ("quantity", "lot_id", "reason", "actor", "effective_ms", "kind")
 * and why (a sentence, LEDGER_WHY_MAX bytes). field and why may be NULL. */
int ledger_entry_check(const ledger_entry *e, const char **field, char *why, size_t whylen);

/* Append a copy of e (strings behind pointers are not copied). HL_ETOOBIG over
 * LEDGER_HISTORY_MAX, HL_ENOMEM. */
int ledger_history_add(ledger_history *h, const ledger_entry *e);
/* Free the array; accepts NULL; leaves h empty. */
void ledger_history_free(ledger_history *h);

/* May cand[0..n) (all of h's depot and material) be added to h? They are checked together,
 * as if written in the order given after every entry of h (ties in effective time go after
 * h's entries). On refusal why says what would break, by how much, where and when, e.g.
 *   "would make available of activated-carbon at dp-xj7 −2.5 t at 2026-11-30T10:00:00+08:00"
 * and *breach_ms (may be NULL) gets that time.
 *  HL_ESTATE    a point would become negative (as above), an outgoing entry names a lot
 *               expired at its time ("expired stock is not available"), a write-off names a
 *               lot not yet expired
 *  HL_ENOTFOUND an outgoing entry names a lot the history never received
 *  HL_EINVAL    an incoming entry names a lot with another expiry; an entry fails
 *               ledger_entry_check; an entry of another depot or material
 *  HL_ETOOBIG   more than LEDGER_LOTS_MAX lots, or more than LEDGER_HISTORY_MAX entries
 *  HL_ENOMEM */
int ledger_check(const ledger_history *h, const ledger_entry *cand, size_t n, char *why,
                 size_t whylen, int64_t *breach_ms);

/* The state as of t: every entry effective at or before t applied. HL_ENOMEM, HL_ETOOBIG. */
int ledger_state_at(const ledger_history *h, int64_t t, ledger_state *out);

/* What can still be promised at t without any point at or after t going negative: the
 * least available over t and every later entry, never below 0. HL_ENOMEM, HL_ETOOBIG. */
int ledger_promisable(const ledger_history *h, int64_t t, double *out);

/* One lot's part of an outgoing quantity. */
typedef struct ledger_take {
    char lot_id[HL_ID_MAX + 1];
    double quantity;
    int64_t expiry_ms;
} ledger_take;

/* Choose lots for the outgoing entry e (its lot_id ignored): e->quantity at e->effective_ms,
 * earliest expiry first, among lots not expired then, each taking at most what the lot
 * keeps then and at every later entry (so a later entry never loses its stock). *n gets the
 * number of takes written (at most max). e's depot, material and unit name the sentence.
 *  HL_ESTATE  the lots cannot give it: why says how much unexpired stock there is
 *  HL_EINVAL  quantity not finite or <= 0; HL_ETOOBIG more than max lots; HL_ENOMEM */
int ledger_fefo(const ledger_history *h, const ledger_entry *e, ledger_take *takes, size_t max,
                size_t *n, char *why, size_t whylen);

/* Minimum-level alert for one depot and material. The caller keeps whether an alert is
 * open (raised and not cleared); this says what the new available figure does to it:
 * raise when it falls below minimum with none open, clear when it is back at or above
 * minimum (or the minimum is gone) with one open, otherwise nothing. Calling it after every
 * change gives exactly one raise per crossing and one clear per replenishment. */
typedef enum { LEDGER_LOW_NONE = 0, LEDGER_LOW_RAISE, LEDGER_LOW_CLEAR } ledger_low_change;
ledger_low_change ledger_low_update(int open, double available, double minimum);

#endif
