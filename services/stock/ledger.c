/* ledger.c — see ledger.h. */
#include "ledger.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

static const char *const kind_names[LEDGER_KIND_N] = {
    "receipt", "issue",        "reservation", "release",          "consumption",
    "return",  "transfer-out", "transfer-in", "expiry-write-off", "adjustment",
};

const char *ledger_kind_name(ledger_kind k)
{
    if ((int)k < 0 || k >= LEDGER_KIND_N)
        return "?";
    return kind_names[k];
}

int ledger_kind_parse(const char *name, ledger_kind *out)
{
    for (int i = 0; name && i < LEDGER_KIND_N; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (ledger_kind)i;
            return 0;
        }
    return HL_EINVAL;
}

int ledger_kind_outgoing(ledger_kind k)
{
    return k == LEDGER_ISSUE || k == LEDGER_CONSUMPTION || k == LEDGER_TRANSFER_OUT ||
           k == LEDGER_WRITE_OFF;
}

int ledger_kind_incoming(ledger_kind k)
{
    return k == LEDGER_RECEIPT || k == LEDGER_RETURN || k == LEDGER_TRANSFER_IN;
}

/* Does e move a lot (everything but reservation and release)? */
static int kind__has_lot(ledger_kind k)
{
    return k != LEDGER_RESERVATION && k != LEDGER_RELEASE;
}

/* Change of the lot's quantity and of reserved that e makes. */
static double entry__dlot(const ledger_entry *e)
{
    if (e->kind == LEDGER_ADJUSTMENT)
        return e->quantity;
    if (ledger_kind_incoming(e->kind))
        return e->quantity;
    if (ledger_kind_outgoing(e->kind))
        return -e->quantity;
    return 0;
}

static double entry__dreserved(const ledger_entry *e)
{
    if (e->kind == LEDGER_RESERVATION)
        return e->quantity;
    if (e->kind == LEDGER_RELEASE || (e->kind == LEDGER_ISSUE && e->from_reserved))
        return -e->quantity;
    return 0;
}

/* Brings stock into its lot, and may so give the lot its expiry. */
static int entry__creates_lot(const ledger_entry *e)
{
    return ledger_kind_incoming(e->kind) || (e->kind == LEDGER_ADJUSTMENT && e->quantity > 0);
}

static int why__set(int rc, const char **field, const char *f, char *why, size_t whylen,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int why__set(int rc, const char **field, const char *f, char *why, size_t whylen,
                    const char *fmt, ...)
{
    if (field)
        *field = f;
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int ledger_entry_check(const ledger_entry *e, const char **field, char *why, size_t whylen)
{
    const char *kn = ledger_kind_name(e->kind);
    if ((int)e->kind < 0 || e->kind >= LEDGER_KIND_N)
        return why__set(HL_EINVAL, field, "kind", why, whylen, "unknown reason code");
    if (hl_id_check(e->depot_id) < 0)
        return why__set(HL_EINVAL, field, "depot_id", why, whylen, "depot_id is not an id");
    if (hl_id_check(e->material_id) < 0)
        return why__set(HL_EINVAL, field, "material_id", why, whylen, "material_id is not an id");
    if (!isfinite(e->quantity) || fabs(e->quantity) > STOCK_QTY_MAX ||
        fabs(e->quantity) <= STOCK_EPS || (e->kind != LEDGER_ADJUSTMENT && e->quantity < 0))
        return why__set(HL_EINVAL, field, "quantity", why, whylen,
                        e->kind == LEDGER_ADJUSTMENT
                            ? "an adjustment's quantity must be a number, not 0, within ±%g"
                            : "quantity must be a number above 0 and at most %g",
                        STOCK_QTY_MAX);
    if (kind__has_lot(e->kind) && hl_id_check(e->lot_id) < 0)
        return why__set(HL_EINVAL, field, "lot_id", why, whylen,
                        "a %s names its lot (an id of 1-%d of A-Z a-z 0-9 . _ : -)", kn, HL_ID_MAX);
    if (!kind__has_lot(e->kind) && e->lot_id[0])
        return why__set(HL_EINVAL, field, "lot_id", why, whylen,
                        "a %s is not of a lot: reserved stock is counted per material", kn);
    if (e->expiry_ms < 0 || (e->expiry_ms && !entry__creates_lot(e)))
        return why__set(HL_EINVAL, field, "expiry_ms", why, whylen,
                        "only an entry bringing stock into a lot states its expiry");
    if (e->from_reserved && e->kind != LEDGER_ISSUE)
        return why__set(HL_EINVAL, field, "from_reserved", why, whylen,
                        "only an issue hands out reserved stock");
    if (!e->actor || hl_id_check(e->actor) < 0)
        return why__set(HL_EINVAL, field, "actor", why, whylen,
                        "every entry names who made it (a unit or person id)");
    if (e->kind == LEDGER_ADJUSTMENT && (!e->reason || e->reason[0] == '\0'))
        return why__set(HL_EINVAL, field, "reason", why, whylen,
                        "an adjustment must state its reason (stock count, damage, ...)");
    if (e->reason && hl_str_check(e->reason, LEDGER_REASON_MAX, 0) < 0)
        return why__set(HL_EINVAL, field, "reason", why, whylen,
                        "reason is not UTF-8 text of at most %d bytes", LEDGER_REASON_MAX);
    if (e->link_id[0] && hl_id_check(e->link_id) < 0)
        return why__set(HL_EINVAL, field, "link_id", why, whylen, "link_id is not an id");
    if (e->effective_ms <= 0 || e->effective_ms > e->recorded_ms + LEDGER_FUTURE_SKEW_MS)
        return why__set(HL_EINVAL, field, "effective_ms", why, whylen,
                        "an entry takes effect after 1970 and not after it is recorded");
    return 0;
}

int ledger_history_add(ledger_history *h, const ledger_entry *e)
{
    if (h->n >= LEDGER_HISTORY_MAX)
        return HL_ETOOBIG;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        ledger_entry *p = realloc(h->items, cap * sizeof *p);
        if (!p)
            return HL_ENOMEM;
        h->items = p;
        h->cap = cap;
    }
    h->items[h->n++] = *e;
    return 0;
}

void ledger_history_free(ledger_history *h)
{
    if (!h)
        return;
    free(h->items);
    memset(h, 0, sizeof *h);
}

/* ---- Replay: the history (and candidates) in effective-time order, with a lot table. ---- */

typedef struct ref {
    const ledger_entry *e;
    int cand;   /* 1: a candidate */
    size_t ord; /* candidates: position in cand[]; history: index */
    int lot;    /* index in the lot table, -1 for none */
} ref;

typedef struct replay {
    size_t n;
    ref *refs;
    size_t nlots;
    ledger_lot lots[LEDGER_LOTS_MAX]; /* quantity unused here: expiry and id only */
} replay;

static int ref__cmp(const void *a, const void *b)
{
    const ref *x = a, *y = b;
    if (x->e->effective_ms != y->e->effective_ms)
        return x->e->effective_ms < y->e->effective_ms ? -1 : 1;
    if (x->cand != y->cand)
        return x->cand - y->cand;
    uint64_t kx = x->cand ? x->ord : x->e->seq, ky = y->cand ? y->ord : y->e->seq;
    if (kx != ky)
        return kx < ky ? -1 : 1;
    return x->ord < y->ord ? -1 : (x->ord > y->ord);
}

static int lot__find(const replay *r, const char *id)
{
    for (size_t i = 0; i < r->nlots; i++)
        if (strcmp(r->lots[i].id, id) == 0)
            return (int)i;
    return -1;
}

static void replay__free(replay *r)
{
    free(r->refs);
    r->refs = NULL;
}

/* Sort h and cand together and build the lot table in that order. The expiry of a lot is
 * the one its incoming entries state (0: none stated). why is written on HL_EINVAL (a
 * candidate contradicts the lot's expiry) and HL_ETOOBIG. */
static int replay__build(replay *r, const ledger_history *h, const ledger_entry *cand, size_t nc,
                         char *why, size_t whylen)
{
    memset(r, 0, sizeof *r);
    size_t hn = h ? h->n : 0;
    if (hn + nc > LEDGER_HISTORY_MAX)
        return why__set(HL_ETOOBIG, NULL, NULL, why, whylen,
                        "more than %d entries for one depot and material", LEDGER_HISTORY_MAX);
    r->refs = calloc(hn + nc ? hn + nc : 1, sizeof *r->refs);
    if (!r->refs)
        return HL_ENOMEM;
    for (size_t i = 0; i < hn; i++)
        r->refs[r->n++] = (ref){&h->items[i], 0, i, -1};
    for (size_t i = 0; i < nc; i++)
        r->refs[r->n++] = (ref){&cand[i], 1, i, -1};
    qsort(r->refs, r->n, sizeof *r->refs, ref__cmp);
    for (size_t i = 0; i < r->n; i++) {
        ref *x = &r->refs[i];
        if (!kind__has_lot(x->e->kind))
            continue;
        int li = lot__find(r, x->e->lot_id);
        if (li < 0) {
            if (r->nlots >= LEDGER_LOTS_MAX) {
                why__set(HL_ETOOBIG, NULL, NULL, why, whylen, "more than %d lots of %s at %s",
                         LEDGER_LOTS_MAX, x->e->material_id, x->e->depot_id);
                replay__free(r);
                return HL_ETOOBIG;
            }
            li = (int)r->nlots++;
            snprintf(r->lots[li].id, sizeof r->lots[li].id, "%s", x->e->lot_id);
            r->lots[li].expiry_ms = 0;
        }
        x->lot = li;
    }
    /* Expiry: stated by history first (it was accepted), then checked against candidates. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n; i++) {
            ref *x = &r->refs[i];
            if (x->cand != pass || x->lot < 0 || !entry__creates_lot(x->e) || !x->e->expiry_ms)
                continue;
            ledger_lot *l = &r->lots[x->lot];
            if (l->expiry_ms == 0) {
                l->expiry_ms = x->e->expiry_ms;
            } else if (l->expiry_ms != x->e->expiry_ms && pass == 1) {
                char a[40], b[40];
                hl_time_format(l->expiry_ms, HL_TZ_BEIJING_MIN, a, sizeof a);
                hl_time_format(x->e->expiry_ms, HL_TZ_BEIJING_MIN, b, sizeof b);
                why__set(HL_EINVAL, NULL, NULL, why, whylen,
                         "lot %s of %s at %s expires at %s, not %s", l->id, x->e->material_id,
                         x->e->depot_id, a, b);
                replay__free(r);
                return HL_EINVAL;
            }
        }
    return 0;
}

static int lot__expired(const ledger_lot *l, int64_t t)
{
    return l->expiry_ms != 0 && t >= l->expiry_ms;
}

/* available at time t from lot quantities q[] and reserved. */
static double avail__at(const replay *r, const double *q, double reserved, int64_t t)
{
    double s = 0;
    for (size_t i = 0; i < r->nlots; i++)
        if (!lot__expired(&r->lots[i], t))
            s += q[i];
    return s - reserved;
}

static void amount__fmt(double v, char *buf, size_t n)
{
    /* U+2212 MINUS SIGN: the way a negative quantity is printed for people. */
    snprintf(buf, n, "%s%.6g", v < 0 ? "\xe2\x88\x92" : "", fabs(v));
}

static int breach__set(char *why, size_t whylen, int64_t *breach_ms, const char *what,
                       const ledger_entry *e, double v, const char *unit, int64_t t)
{
    char amt[48], when[40];
    amount__fmt(v, amt, sizeof amt);
    hl_time_format(t, HL_TZ_BEIJING_MIN, when, sizeof when);
    if (breach_ms)
        *breach_ms = t;
    return why__set(HL_ESTATE, NULL, NULL, why, whylen, "would make %s of %s at %s %s%s%s at %s",
                    what, e->material_id, e->depot_id, amt, unit && unit[0] ? " " : "",
                    unit ? unit : "", when);
}

/* Per-candidate rules that need the lot table: the lot exists and its expiry fits the
 * kind at the entry's time. */
static int cand__lot_rules(const replay *r, const ref *x, char *why, size_t whylen)
{
    const ledger_entry *e = x->e;
    int outgoing =
        ledger_kind_outgoing(e->kind) || (e->kind == LEDGER_ADJUSTMENT && e->quantity < 0);
    if (x->lot < 0 || !outgoing)
        return 0;
    const ledger_lot *l = &r->lots[x->lot];
    int received = 0;
    for (size_t i = 0; i < r->n && !received; i++)
        received = r->refs[i].lot == x->lot && entry__creates_lot(r->refs[i].e);
    if (!received)
        return why__set(HL_ENOTFOUND, NULL, NULL, why, whylen, "no lot %s of %s at %s", l->id,
                        e->material_id, e->depot_id);
    char when[40];
    hl_time_format(l->expiry_ms, HL_TZ_BEIJING_MIN, when, sizeof when);
    if (e->kind == LEDGER_WRITE_OFF && !lot__expired(l, e->effective_ms)) {
        if (!l->expiry_ms)
            return why__set(HL_ESTATE, NULL, NULL, why, whylen,
                            "lot %s of %s at %s has no expiry: only expired stock is written off",
                            l->id, e->material_id, e->depot_id);
        return why__set(HL_ESTATE, NULL, NULL, why, whylen,
                        "lot %s of %s at %s expires only at %s: only expired stock is written off",
                        l->id, e->material_id, e->depot_id, when);
    }
    if (e->kind != LEDGER_WRITE_OFF && e->kind != LEDGER_ADJUSTMENT &&
        lot__expired(l, e->effective_ms))
        return why__set(HL_ESTATE, NULL, NULL, why, whylen,
                        "lot %s of %s at %s expired at %s: expired stock is not available (write "
                        "it off)",
                        l->id, e->material_id, e->depot_id, when);
    return 0;
}

int ledger_check(const ledger_history *h, const ledger_entry *cand, size_t n, char *why,
                 size_t whylen, int64_t *breach_ms)
{
    if (why && whylen)
        why[0] = '\0';
    if (n == 0)
        return 0;
    const char *field;
    for (size_t i = 0; i < n; i++) {
        int rc = ledger_entry_check(&cand[i], &field, why, whylen);
        if (rc < 0)
            return rc;
        if (strcmp(cand[i].depot_id, cand[0].depot_id) != 0 ||
            strcmp(cand[i].material_id, cand[0].material_id) != 0 ||
            (h && h->n &&
             (strcmp(h->items[0].depot_id, cand[i].depot_id) != 0 ||
              strcmp(h->items[0].material_id, cand[i].material_id) != 0)))
            return why__set(HL_EINVAL, NULL, NULL, why, whylen,
                            "entries of one check must be of one depot and material");
    }
    replay r;
    int rc = replay__build(&r, h, cand, n, why, whylen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r.n && rc == 0; i++)
        if (r.refs[i].cand)
            rc = cand__lot_rules(&r, &r.refs[i], why, whylen);
    /* Replay twice in step: "after" with the candidates, "before" without; from the first
     * candidate on, every point must stay >= 0 or at least not get worse. */
    double qa[LEDGER_LOTS_MAX] = {0}, qb[LEDGER_LOTS_MAX] = {0}, ra = 0, rb = 0;
    int started = 0;
    const char *unit = cand[0].unit;
    for (size_t i = 0; i < r.n && rc == 0; i++) {
        const ref *x = &r.refs[i];
        double dl = entry__dlot(x->e), dr = entry__dreserved(x->e);
        if (x->lot >= 0)
            qa[x->lot] += dl;
        ra += dr;
        if (!x->cand) {
            if (x->lot >= 0)
                qb[x->lot] += dl;
            rb += dr;
        }
        started |= x->cand;
        if (!started)
            continue;
        int64_t t = x->e->effective_ms;
        for (size_t k = 0; k < r.nlots && rc == 0; k++)
            if (qa[k] < -STOCK_EPS && qa[k] < qb[k] - STOCK_EPS) {
                char what[HL_ID_MAX + 32];
                snprintf(what, sizeof what, "on hand of lot %s", r.lots[k].id);
                rc = breach__set(why, whylen, breach_ms, what, x->e, qa[k], unit, t);
            }
        if (rc == 0 && ra < -STOCK_EPS && ra < rb - STOCK_EPS)
            rc = breach__set(why, whylen, breach_ms, "reserved", x->e, ra, unit, t);
        double aa = avail__at(&r, qa, ra, t), ab = avail__at(&r, qb, rb, t);
        if (rc == 0 && aa < -STOCK_EPS && aa < ab - STOCK_EPS)
            rc = breach__set(why, whylen, breach_ms, "available", x->e, aa, unit, t);
    }
    replay__free(&r);
    return rc;
}

int ledger_state_at(const ledger_history *h, int64_t t, ledger_state *out)
{
    replay r;
    memset(out, 0, sizeof *out);
    out->as_of_ms = t;
    int rc = replay__build(&r, h, NULL, 0, NULL, 0);
    if (rc < 0)
        return rc;
    double q[LEDGER_LOTS_MAX] = {0};
    int seen[LEDGER_LOTS_MAX] = {0};
    for (size_t i = 0; i < r.n && r.refs[i].e->effective_ms <= t; i++) {
        const ledger_entry *e = r.refs[i].e;
        double dl = entry__dlot(e);
        if (r.refs[i].lot >= 0) {
            q[r.refs[i].lot] += dl;
            seen[r.refs[i].lot] = 1;
        }
        out->reserved += entry__dreserved(e);
        switch (e->kind) {
        case LEDGER_RECEIPT:
            out->received += e->quantity;
            break;
        case LEDGER_ISSUE:
            out->issued += e->quantity;
            break;
        case LEDGER_CONSUMPTION:
            out->consumed += e->quantity;
            break;
        case LEDGER_RETURN:
            out->returned += e->quantity;
            break;
        case LEDGER_TRANSFER_IN:
            out->transferred_in += e->quantity;
            break;
        case LEDGER_TRANSFER_OUT:
            out->transferred_out += e->quantity;
            break;
        case LEDGER_WRITE_OFF:
            out->written_off += e->quantity;
            break;
        case LEDGER_ADJUSTMENT:
            if (e->quantity > 0)
                out->adjusted_in += e->quantity;
            else
                out->adjusted_out -= e->quantity;
            break;
        default:
            break;
        }
        out->nentries++;
    }
    for (size_t k = 0; k < r.nlots; k++) {
        if (!seen[k])
            continue;
        ledger_lot *l = &out->lots[out->nlots++];
        *l = r.lots[k];
        l->quantity = fabs(q[k]) <= STOCK_EPS ? 0 : q[k];
        out->on_hand += l->quantity;
        if (lot__expired(l, t))
            out->expired += l->quantity;
    }
    if (fabs(out->reserved) <= STOCK_EPS)
        out->reserved = 0;
    out->available = out->on_hand - out->expired - out->reserved;
    if (fabs(out->available) <= STOCK_EPS)
        out->available = 0;
    replay__free(&r);
    return 0;
}

/* Replay h; fn is called at t (all entries <= t applied) and at every later entry, with the
 * lot quantities and reserved there. */
typedef void (*point_fn)(const replay *r, const double *q, double reserved, int64_t t, void *ud);

static int replay__points(const ledger_history *h, int64_t t, point_fn fn, void *ud)
{
    replay r;
    int rc = replay__build(&r, h, NULL, 0, NULL, 0);
    if (rc < 0)
        return rc;
    double q[LEDGER_LOTS_MAX] = {0}, res = 0;
    size_t i = 0;
    for (; i < r.n && r.refs[i].e->effective_ms <= t; i++) {
        if (r.refs[i].lot >= 0)
            q[r.refs[i].lot] += entry__dlot(r.refs[i].e);
        res += entry__dreserved(r.refs[i].e);
    }
    fn(&r, q, res, t, ud);
    for (; i < r.n; i++) {
        if (r.refs[i].lot >= 0)
            q[r.refs[i].lot] += entry__dlot(r.refs[i].e);
        res += entry__dreserved(r.refs[i].e);
        fn(&r, q, res, r.refs[i].e->effective_ms, ud);
    }
    replay__free(&r);
    return 0;
}

struct min_avail {
    int any;
    double v;
};

static void min_avail__cb(const replay *r, const double *q, double reserved, int64_t t, void *ud)
{
    struct min_avail *m = ud;
    double a = avail__at(r, q, reserved, t);
    if (!m->any || a < m->v)
        m->v = a;
    m->any = 1;
}

int ledger_promisable(const ledger_history *h, int64_t t, double *out)
{
    struct min_avail m = {0, 0};
    *out = 0;
    int rc = replay__points(h, t, min_avail__cb, &m);
    if (rc == 0)
        *out = m.v > STOCK_EPS ? m.v : 0;
    return rc;
}

struct fefo {
    int first;
    size_t nlots;
    ledger_lot lots[LEDGER_LOTS_MAX]; /* quantity: least kept from t on */
};

static void fefo__cb(const replay *r, const double *q, double reserved, int64_t t, void *ud)
{
    (void)reserved;
    (void)t;
    struct fefo *f = ud;
    if (f->first) {
        f->nlots = r->nlots;
        for (size_t k = 0; k < r->nlots; k++) {
            f->lots[k] = r->lots[k];
            f->lots[k].quantity = q[k];
        }
        f->first = 0;
        return;
    }
    for (size_t k = 0; k < f->nlots; k++)
        if (q[k] < f->lots[k].quantity)
            f->lots[k].quantity = q[k];
}

/* Earliest expiry first; no expiry last; then by lot id. */
static int fefo__cmp(const void *a, const void *b)
{
    const ledger_lot *x = a, *y = b;
    int64_t ex = x->expiry_ms ? x->expiry_ms : INT64_MAX,
            ey = y->expiry_ms ? y->expiry_ms : INT64_MAX;
    if (ex != ey)
        return ex < ey ? -1 : 1;
    return strcmp(x->id, y->id);
}

int ledger_fefo(const ledger_history *h, const ledger_entry *e, ledger_take *takes, size_t max,
                size_t *n, char *why, size_t whylen)
{
    int64_t t = e->effective_ms;
    double q = e->quantity;
    *n = 0;
    if (why && whylen)
        why[0] = '\0';
    if (!isfinite(q) || q <= STOCK_EPS)
        return why__set(HL_EINVAL, NULL, NULL, why, whylen, "quantity must be above 0");
    struct fefo *f = calloc(1, sizeof *f);
    if (!f)
        return HL_ENOMEM;
    f->first = 1;
    int rc = replay__points(h, t, fefo__cb, f);
    if (rc < 0) {
        free(f);
        return rc;
    }
    /* Lots expired at t give nothing; the rest in FEFO order. */
    size_t m = 0;
    double total = 0;
    for (size_t k = 0; k < f->nlots; k++)
        if (!lot__expired(&f->lots[k], t) && f->lots[k].quantity > STOCK_EPS) {
            f->lots[m++] = f->lots[k];
            total += f->lots[k].quantity;
        }
    qsort(f->lots, m, sizeof f->lots[0], fefo__cmp);
    double rem = q;
    for (size_t k = 0; k < m && rem > STOCK_EPS; k++) {
        if (*n >= max) {
            rc = HL_ETOOBIG;
            break;
        }
        double take = rem < f->lots[k].quantity ? rem : f->lots[k].quantity;
        ledger_take *tk = &takes[(*n)++];
        snprintf(tk->lot_id, sizeof tk->lot_id, "%s", f->lots[k].id);
        tk->quantity = take;
        tk->expiry_ms = f->lots[k].expiry_ms;
        rem -= take;
    }
    if (rc == 0 && rem > STOCK_EPS) {
        char when[40], amt[48];
        hl_time_format(t, HL_TZ_BEIJING_MIN, when, sizeof when);
        amount__fmt(total, amt, sizeof amt);
        const char *u = e->unit ? e->unit : "";
        rc = why__set(HL_ESTATE, NULL, NULL, why, whylen,
                      "only %s%s%s of %s at %s is in lots not expired at %s (%s of %.6g%s%s asked)",
                      amt, u[0] ? " " : "", u, e->material_id, e->depot_id, when,
                      ledger_kind_name(e->kind), q, u[0] ? " " : "", u);
    }
    if (rc < 0)
        *n = 0;
    free(f);
    return rc;
}

ledger_low_change ledger_low_update(int open, double available, double minimum)
{
    int below = minimum > STOCK_EPS && available < minimum - STOCK_EPS;
    if (below && !open)
        return LEDGER_LOW_RAISE;
    if (!below && open)
        return LEDGER_LOW_CLEAR;
    return LEDGER_LOW_NONE;
}
