/* stock_store.c — see stock_store.h. */
#include "stock_store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "stock_msg.h"

#define LEVEL_KEY_MAX (2 * HL_ID_MAX + 2)
#define ENTRY_KEY_MAX (LEVEL_KEY_MAX + 14)
/* Candidates sort after every stored entry until they get their real seq (ledger.h). */
#define TMP_SEQ_BASE (UINT64_MAX / 2)

static void level__key(char key[LEVEL_KEY_MAX], const char *depot_id, const char *material_id)
{
    snprintf(key, LEVEL_KEY_MAX, "%s/%s", depot_id, material_id);
}

static void why__f(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void why__f(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || !whylen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

static void field__f(char *field, const char *name)
{
    if (field)
        snprintf(field, STOCK_FIELD_MAX, "%s", name);
}

/* Unpack a stored message into an owned copy (the map memory is valid only until the next
 * write, PITFALLS.md). */
static ProtobufCMessage *store__get(hl_txn *t, const char *table, const char *key,
                                    const ProtobufCMessageDescriptor *desc, int *rc)
{
    const void *val;
    size_t len;
    *rc = hl_kv_get(t, table, key, &val, &len);
    if (*rc < 0)
        return NULL;
    ProtobufCMessage *m = hl_msg_unpack(desc, val, len);
    if (!m)
        *rc = HL_EDECODE;
    return m;
}

/* Put m into table under key, then return an owned unpacked copy of what was stored: the
 * caller gets exactly the bytes a later query will return. */
static int store__put_copy(hl_txn *t, const char *table, const char *key, const ProtobufCMessage *m,
                           ProtobufCMessage **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(m, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, table, key, buf, len);
    if (rc == 0 && out) {
        *out = hl_msg_unpack(m->descriptor, buf, len);
        if (!*out)
            rc = HL_ENOMEM;
    }
    free(buf);
    return rc;
}

/* A fresh id "<prefix>-NNNNNN" from the counter named prefix. */
static int store__new_id(hl_txn *t, const char *prefix, char id[HL_ID_MAX + 1])
{
    uint64_t seq = 0;
    int rc = hl_seq_next(t, prefix, &seq);
    if (rc == 0)
        snprintf(id, HL_ID_MAX + 1, "%s-%06" PRIu64, prefix, seq);
    return rc;
}

/* Room for one more element in a growing array of n used out of *cap (doubling, first
 * when empty): the array to use from now on, or NULL (HL_ENOMEM; arr is still valid). */
static void *store__grow(void *arr, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap)
        return arr;
    size_t c = *cap ? *cap * 2 : first;
    void *p = realloc(arr, c * elem);
    if (p)
        *cap = c;
    return p;
}

void stock_alerts_free(stock_alerts *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        protobuf_c_message_free_unpacked(&a->items[i]->base, NULL);
    free(a->items);
    memset(a, 0, sizeof *a);
}

static int alerts__add(stock_alerts *a, Hl__StockAlert *m)
{
    if (!a) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return 0;
    }
    Hl__StockAlert **p = store__grow(a->items, a->n, &a->cap, sizeof *p, 8);
    if (!p) {
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return HL_ENOMEM;
    }
    a->items = p;
    a->items[a->n++] = m;
    return 0;
}

/* ---- History ---- */

struct hist_ctx {
    const stock_catalogue *cat;
    ledger_history *h;
    int rc;
};

static int hist__cb(const char *key, const void *val, size_t len, void *ud)
{
    struct hist_ctx *c = ud;
    Hl__LedgerEntry *p = (Hl__LedgerEntry *)hl_msg_unpack(&hl__ledger_entry__descriptor, val, len);
    ledger_entry e;
    int rc = p ? stock_msg_entry_core(p, c->cat, &e) : HL_EDECODE;
    if (p)
        protobuf_c_message_free_unpacked(&p->base, NULL);
    if (rc == 0)
        rc = ledger_history_add(c->h, &e);
    if (rc < 0) {
        if (rc == HL_EDECODE)
            hl_error("stock ledger entry %s is undecodable: this depot and material are refused "
                     "until it is repaired",
                     key);
        c->rc = rc;
        return rc;
    }
    return 0;
}

int stock_store_history(hl_txn *t, const stock_catalogue *cat, const char *depot_id,
                        const char *material_id, ledger_history *h)
{
    char prefix[LEVEL_KEY_MAX + 1];
    snprintf(prefix, sizeof prefix, "%s/%s/", depot_id, material_id);
    memset(h, 0, sizeof *h);
    struct hist_ctx c = {cat, h, 0};
    int rc = hl_kv_scan(t, STOCK_T_ENTRY, prefix, hist__cb, &c);
    if (rc == HL_ENOTFOUND)
        rc = 0;
    if (rc == 0)
        rc = c.rc;
    if (rc < 0)
        ledger_history_free(h);
    return rc;
}

/* ---- Work: new entries checked level by level against the ledger, then written. ---- */

typedef struct work_level {
    char depot_id[HL_ID_MAX + 1];
    char material_id[HL_ID_MAX + 1];
    ledger_history h;
    size_t last_new; /* index in h of the last new entry + 1; 0 = none */
} work_level;

typedef struct work_new {
    size_t level, idx; /* the entry is lv[level].h.items[idx] */
    long pair;         /* index in nw of the linked entry (transfer), -1 none */
} work_new;

typedef struct work {
    hl_txn *t;
    const stock_depots *info;
    const stock_catalogue *cat;
    int64_t now_ms;
    size_t nlv, caplv;
    work_level *lv;
    size_t nnew, capnew;
    work_new *nw;
} work;

static void work__init(work *w, hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       int64_t now_ms)
{
    memset(w, 0, sizeof *w);
    w->t = t;
    w->info = info;
    w->cat = cat;
    w->now_ms = now_ms;
}

static void work__free(work *w)
{
    for (size_t i = 0; i < w->nlv; i++)
        ledger_history_free(&w->lv[i].h);
    free(w->lv);
    free(w->nw);
    memset(w, 0, sizeof *w);
}

/* The level of depot and material, its history loaded on first use. */
static int work__level(work *w, const char *depot_id, const char *material_id, size_t *out)
{
    for (size_t i = 0; i < w->nlv; i++)
        if (strcmp(w->lv[i].depot_id, depot_id) == 0 &&
            strcmp(w->lv[i].material_id, material_id) == 0) {
            *out = i;
            return 0;
        }
    work_level *p = store__grow(w->lv, w->nlv, &w->caplv, sizeof *p, 8);
    if (!p)
        return HL_ENOMEM;
    w->lv = p;
    work_level *l = &w->lv[w->nlv];
    memset(l, 0, sizeof *l);
    snprintf(l->depot_id, sizeof l->depot_id, "%s", depot_id);
    snprintf(l->material_id, sizeof l->material_id, "%s", material_id);
    int rc = stock_store_history(w->t, w->cat, depot_id, material_id, &l->h);
    if (rc < 0)
        return rc;
    *out = w->nlv++;
    return 0;
}

/* Check e against its level (with the new entries added so far) and add it. why says what
 * the ledger refused. Returns the index of the new entry in w->nw through *idx (may be
 * NULL). */
static int work__add(work *w, ledger_entry e, long pair, size_t *idx, char *why, size_t whylen)
{
    size_t li;
    int rc = work__level(w, e.depot_id, e.material_id, &li);
    if (rc < 0)
        return rc;
    work_level *l = &w->lv[li];
    e.seq = TMP_SEQ_BASE + w->nnew;
    if ((rc = ledger_check(&l->h, &e, 1, why, whylen, NULL)) < 0)
        return rc;
    work_new *p = store__grow(w->nw, w->nnew, &w->capnew, sizeof *p, 8);
    if (!p)
        return HL_ENOMEM;
    w->nw = p;
    if ((rc = ledger_history_add(&l->h, &e)) < 0)
        return rc;
    l->last_new = l->h.n;
    w->nw[w->nnew] = (work_new){li, l->h.n - 1, pair};
    if (idx)
        *idx = w->nnew;
    w->nnew++;
    return 0;
}

static ledger_entry *work__entry(work *w, size_t k)
{
    return &w->lv[w->nw[k].level].h.items[w->nw[k].idx];
}

/* Split the outgoing entry proto over lots earliest expiry first (ledger_fefo) and add one
 * entry per lot. *first gets the index of the first one added and *n how many. */
static int work__fefo(work *w, const ledger_entry *proto, size_t *first, size_t *n, char *why,
                      size_t whylen)
{
    size_t li;
    ledger_take takes[LEDGER_LOTS_MAX];
    size_t nt = 0;
    int rc = work__level(w, proto->depot_id, proto->material_id, &li);
    if (rc == 0)
        rc = ledger_fefo(&w->lv[li].h, proto, takes, LEDGER_LOTS_MAX, &nt, why, whylen);
    *first = w->nnew;
    *n = 0;
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        ledger_entry e = *proto;
        snprintf(e.lot_id, sizeof e.lot_id, "%.64s", takes[i].lot_id);
        e.quantity = takes[i].quantity;
        if ((rc = work__add(w, e, -1, NULL, why, whylen)) == 0)
            (*n)++;
    }
    return rc;
}

/* Expiry of lot in the level's history (0 if none stated). */
static int64_t work__lot_expiry(const work_level *l, const char *lot_id)
{
    for (size_t i = 0; i < l->h.n; i++)
        if (l->h.items[i].expiry_ms && strcmp(l->h.items[i].lot_id, lot_id) == 0)
            return l->h.items[i].expiry_ms;
    return 0;
}

static double info__minimum(const stock_depots *info, const char *depot_id, const char *material_id)
{
    int di = stock_depots_find(info, depot_id);
    const stock_level *l = di >= 0 ? stock_depot_level_c(&info->items[di], material_id) : NULL;
    return l ? l->minimum : 0;
}

/* Raise or clear the minimum-level alert of one level with the available figure now. */
static int low__apply(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      const char *depot_id, const char *material_id, double available,
                      const char *entry_id, int64_t now_ms, stock_alerts *alerts)
{
    char key[LEVEL_KEY_MAX], id[HL_ID_MAX + 1] = "";
    const void *val;
    size_t len;
    level__key(key, depot_id, material_id);
    int rc = hl_kv_get(t, STOCK_T_ALERT_OPEN, key, &val, &len);
    if (rc < 0 && rc != HL_ENOTFOUND)
        return rc;
    int open = rc == 0;
    if (open)
        snprintf(id, sizeof id, "%.*s", (int)(len < HL_ID_MAX ? len : HL_ID_MAX),
                 (const char *)val);
    double minimum = info__minimum(info, depot_id, material_id);
    ledger_low_change c = ledger_low_update(open, available, minimum);
    if (c == LEDGER_LOW_NONE)
        return 0;
    Hl__StockAlert *a = NULL, *stored = NULL;
    if (c == LEDGER_LOW_CLEAR) {
        a = (Hl__StockAlert *)store__get(t, STOCK_T_ALERT, id, &hl__stock_alert__descriptor, &rc);
        if (!a)
            return rc;
        char *old_state = a->state;
        a->state = "cleared";
        a->cleared_ms = now_ms;
        a->available = available;
        rc = store__put_copy(t, STOCK_T_ALERT, id, &a->base, (ProtobufCMessage **)&stored);
        a->state = old_state;
        protobuf_c_message_free_unpacked(&a->base, NULL);
        if (rc == 0)
            rc = hl_kv_del(t, STOCK_T_ALERT_OPEN, key);
    } else {
        Hl__StockAlert m = HL__STOCK_ALERT__INIT;
        int di = stock_depots_find(info, depot_id);
        const stock_material *mat = stock_catalogue_find(cat, material_id);
        if ((rc = store__new_id(t, "low", id)) < 0)
            return rc;
        m.id = id;
        m.depot_id = (char *)depot_id;
        m.material_id = (char *)material_id;
        m.state = "raised";
        m.available = available;
        m.minimum = minimum;
        m.unit = (char *)(mat ? mat->unit : "");
        m.raised_ms = now_ms;
        m.entry_id = (char *)(entry_id ? entry_id : "");
        m.depot_name = (char *)(di >= 0 ? info->items[di].name : "");
        m.material_name = (char *)(mat ? mat->name : "");
        rc = store__put_copy(t, STOCK_T_ALERT, id, &m.base, (ProtobufCMessage **)&stored);
        if (rc == 0)
            rc = hl_kv_put(t, STOCK_T_ALERT_OPEN, key, id, strlen(id));
    }
    if (rc < 0) {
        if (stored)
            protobuf_c_message_free_unpacked(&stored->base, NULL);
        return rc;
    }
    hl_info("minimum level of %s at %s %s (alert %s): available %g, minimum %g", material_id,
            depot_id, stored->state, stored->id, available, minimum);
    return alerts__add(alerts, stored);
}

/* Give the new entries their seq and id, link transfer pairs, write them, and check each
 * touched level's minimum. written (may be NULL) gets owned copies of the stored entries,
 * in the order they were added (an array of w->nnew pointers, free each and the array). */
static int work__commit(work *w, stock_alerts *alerts, Hl__LedgerEntry ***written)
{
    int rc = 0;
    if (written) {
        *written = calloc(w->nnew ? w->nnew : 1, sizeof **written);
        if (!*written)
            return HL_ENOMEM;
    }
    for (size_t k = 0; k < w->nnew && rc == 0; k++) {
        ledger_entry *e = work__entry(w, k);
        rc = hl_seq_next(w->t, STOCK_T_ENTRY, &e->seq);
        if (rc == 0)
            snprintf(e->id, sizeof e->id, "le-%06" PRIu64, e->seq);
    }
    for (size_t k = 0; k < w->nnew && rc == 0; k++) {
        ledger_entry *e = work__entry(w, k);
        if (w->nw[k].pair >= 0)
            snprintf(e->link_id, sizeof e->link_id, "%s",
                     work__entry(w, (size_t)w->nw[k].pair)->id);
        Hl__LedgerEntry m;
        char key[ENTRY_KEY_MAX];
        stock_msg_entry_out(e, &m);
        snprintf(key, sizeof key, "%s/%s/%012" PRIu64, e->depot_id, e->material_id, e->seq);
        rc = store__put_copy(w->t, STOCK_T_ENTRY, key, &m.base,
                             written ? (ProtobufCMessage **)&(*written)[k] : NULL);
    }
    for (size_t i = 0; i < w->nlv && rc == 0; i++) {
        work_level *l = &w->lv[i];
        if (!l->last_new)
            continue;
        ledger_state *st = malloc(sizeof *st);
        if (!st)
            return HL_ENOMEM;
        rc = ledger_state_at(&l->h, w->now_ms, st);
        if (rc == 0)
            rc = low__apply(w->t, w->info, w->cat, l->depot_id, l->material_id, st->available,
                            l->h.items[l->last_new - 1].id, w->now_ms, alerts);
        free(st);
    }
    return rc;
}

static void written__free(Hl__LedgerEntry **wr, size_t n)
{
    if (!wr)
        return;
    for (size_t i = 0; i < n; i++)
        if (wr[i])
            protobuf_c_message_free_unpacked(&wr[i]->base, NULL);
    free(wr);
}

/* A ledger entry without strings borrowed from a message. */
static ledger_entry entry__make(ledger_kind kind, const char *depot_id, const char *material_id,
                                const char *lot_id, double q, int64_t eff, int64_t now,
                                const char *actor, const char *reason, const char *link,
                                const stock_catalogue *cat)
{
    ledger_entry e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    snprintf(e.depot_id, sizeof e.depot_id, "%s", depot_id);
    snprintf(e.material_id, sizeof e.material_id, "%s", material_id);
    snprintf(e.lot_id, sizeof e.lot_id, "%s", lot_id ? lot_id : "");
    snprintf(e.link_id, sizeof e.link_id, "%s", link ? link : "");
    e.quantity = q;
    e.effective_ms = eff;
    e.recorded_ms = now;
    const stock_material *m = stock_catalogue_find(cat, material_id);
    e.unit = m ? m->unit : "";
    e.actor = actor && actor[0] ? actor : "stock";
    e.reason = reason;
    return e;
}

/* ---- Seeding and migration ---- */

struct legacy {
    size_t n, cap;
    Hl__StockItem **items;
};

static int legacy__cb(const char *key, const void *val, size_t len, void *ud)
{
    struct legacy *l = ud;
    Hl__StockItem *it = (Hl__StockItem *)hl_msg_unpack(&hl__stock_item__descriptor, val, len);
    if (!it) {
        hl_warn("issue-2 stock row %s is undecodable: not migrated", key);
        return 0;
    }
    Hl__StockItem **p = store__grow(l->items, l->n, &l->cap, sizeof *p, 64);
    if (!p) {
        protobuf_c_message_free_unpacked(&it->base, NULL);
        return HL_ENOMEM;
    }
    l->items = p;
    l->items[l->n++] = it;
    return 0;
}

/* Entries for the rows of an issue-2 store: its figures as they stood at the seeding time. */
static int seed__migrate(work *w, int64_t seeded_ms, char *why, size_t whylen)
{
    struct legacy l = {0};
    static const char *const reason = "migrated from the issue-2 stock table (no entries then)";
    int rc = hl_kv_scan(w->t, STOCK_T_LEGACY, "", legacy__cb, &l);
    if (rc == HL_ENOTFOUND)
        rc = 0;
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const Hl__StockItem *it = l.items[i];
        if (!stock_catalogue_find(w->cat, it->material_id) ||
            stock_depots_find(w->info, it->depot_id) < 0)
            continue;
        double in = it->on_hand + it->issued;
        ledger_entry e = entry__make(LEDGER_RECEIPT, it->depot_id, it->material_id, "opening", in,
                                     seeded_ms, w->now_ms, STOCK_SEED_ACTOR, reason, NULL, w->cat);
        if (in > STOCK_EPS)
            rc = work__add(w, e, -1, NULL, why, whylen);
        if (rc == 0 && it->issued > STOCK_EPS) {
            e.kind = LEDGER_ISSUE;
            e.quantity = it->issued;
            rc = work__add(w, e, -1, NULL, why, whylen);
        }
        if (rc == 0 && it->reserved > STOCK_EPS) {
            e.kind = LEDGER_RESERVATION;
            e.lot_id[0] = '\0';
            e.quantity = it->reserved;
            rc = work__add(w, e, -1, NULL, why, whylen);
        }
    }
    for (size_t i = 0; i < l.n; i++)
        protobuf_c_message_free_unpacked(&l.items[i]->base, NULL);
    free(l.items);
    return rc;
}

static int seed__diff(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      int64_t now_ms, stock_store_diff_fn diff, void *ud)
{
    for (size_t i = 0; diff && i < info->n; i++) {
        const stock_depot *d = &info->items[i];
        for (size_t j = 0; j < d->nlevels; j++) {
            ledger_history h;
            ledger_state *st = malloc(sizeof *st);
            if (!st)
                return HL_ENOMEM;
            int rc = stock_store_history(t, cat, d->id, d->levels[j].material_id, &h);
            if (rc == 0)
                rc = ledger_state_at(&h, now_ms, st);
            if (rc == 0 && (h.n == 0 || st->on_hand != d->levels[j].on_hand))
                diff(d->id, d->levels[j].material_id, d->levels[j].on_hand, st->on_hand, h.n > 0,
                     ud);
            ledger_history_free(&h);
            free(st);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int stock_store_seed(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, int *seeded, stock_store_diff_fn diff, void *ud,
                     stock_alerts *alerts, char *why, size_t whylen)
{
    const void *val;
    size_t len;
    work w;
    *seeded = 0;
    why__f(why, whylen, "%s", "");
    int rc = hl_kv_get(t, STOCK_T_META, "seeded", &val, &len);
    if (rc < 0 && rc != HL_ENOTFOUND)
        return rc;
    int had_seed = rc == 0;
    int64_t seeded_ms = 0;
    if (had_seed) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < 31 ? len : 31), (const char *)val);
        seeded_ms = strtoll(buf, NULL, 10);
    }
    rc = hl_kv_get(t, STOCK_T_META, "ledger", &val, &len);
    if (rc == 0)
        return seed__diff(t, info, cat, now_ms, diff, ud);
    if (rc != HL_ENOTFOUND)
        return rc;
    rc = 0;

    work__init(&w, t, info, cat, now_ms);
    if (had_seed) {
        rc = seed__migrate(&w, seeded_ms > 0 ? seeded_ms : now_ms, why, whylen);
        *seeded = 2;
    } else {
        /* The opening stock is effective at the file's as_of; a clock set earlier (a drill
         * played in the past) must still find it there. */
        int64_t eff = info->as_of_ms > 0 && info->as_of_ms <= now_ms ? info->as_of_ms : now_ms;
        static const char *const reason =
            "opening stock from depots.yaml (quantities are hazlink assumptions)";
        for (size_t i = 0; i < info->nlots && rc == 0; i++) {
            const stock_seed_lot *sl = &info->lots[i];
            const stock_depot *d = &info->items[sl->depot];
            ledger_entry e =
                entry__make(LEDGER_RECEIPT, d->id, d->levels[sl->level].material_id, sl->lot_id,
                            sl->quantity, eff, now_ms, STOCK_SEED_ACTOR, reason, NULL, cat);
            e.expiry_ms = sl->expiry_ms;
            rc = work__add(&w, e, -1, NULL, why, whylen);
        }
        *seeded = 1;
    }
    if (rc == 0)
        rc = work__commit(&w, alerts, NULL);
    work__free(&w);
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%" PRId64, now_ms);
    if (rc == 0 && !had_seed)
        rc = hl_kv_put(t, STOCK_T_META, "seeded", stamp, strlen(stamp));
    if (rc == 0)
        rc = hl_kv_put(t, STOCK_T_META, "ledger", stamp, strlen(stamp));
    if (rc < 0)
        *seeded = 0;
    return rc;
}

/* ---- Levels as of a time ---- */

static int only__has(const stock_need *only, size_t n, const char *material_id)
{
    if (!only)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(only[i].material_id, material_id) == 0)
            return 1;
    return 0;
}

/* Level figures of one depot and material from its history. */
static int level__fill(const ledger_history *h, int64_t now_ms, stock_level *l, ledger_state *st)
{
    int rc = ledger_state_at(h, now_ms, st);
    if (rc == 0)
        rc = ledger_promisable(h, now_ms, &l->available);
    if (rc < 0)
        return rc;
    l->on_hand = st->on_hand;
    l->reserved = st->reserved;
    l->issued = st->issued;
    l->expired = st->expired;
    l->below = st->available;
    return 0;
}

/* Call fn for every level (depot of info × material of cat) that depots.yaml lists or the
 * ledger has entries for, in depots.yaml order, then catalogue order. */
typedef int (*level_fn)(const stock_depot *d, const stock_material *m, const stock_level *l,
                        const ledger_state *st, void *ud);

static int levels__each(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        int64_t now_ms, const stock_need *only, size_t nonly, level_fn fn, void *ud)
{
    ledger_state *st = malloc(sizeof *st);
    if (!st)
        return HL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < info->n && rc == 0; i++) {
        const stock_depot *d = &info->items[i];
        for (size_t j = 0; j < cat->n && rc == 0; j++) {
            const stock_material *m = &cat->items[j];
            if (!only__has(only, nonly, m->id))
                continue;
            const stock_level *yl = stock_depot_level_c(d, m->id);
            ledger_history h;
            if ((rc = stock_store_history(t, cat, d->id, m->id, &h)) < 0)
                break;
            if (h.n || yl) {
                stock_level l;
                memset(&l, 0, sizeof l);
                snprintf(l.material_id, sizeof l.material_id, "%s", m->id);
                l.minimum = yl ? yl->minimum : 0;
                rc = level__fill(&h, now_ms, &l, st);
                if (rc == 0)
                    rc = fn(d, m, &l, st, ud);
            }
            ledger_history_free(&h);
        }
    }
    free(st);
    return rc > 0 ? 0 : rc;
}

static int read__cb(const stock_depot *d, const stock_material *m, const stock_level *l,
                    const ledger_state *st, void *ud)
{
    (void)m;
    (void)st;
    stock_depots *ds = ud;
    stock_depot *o = &ds->items[stock_depots_find(ds, d->id)];
    if (o->nlevels >= STOCK_MATERIALS_MAX)
        return 0;
    o->levels[o->nlevels++] = *l;
    return 0;
}

int stock_store_read(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, const stock_need *only, size_t nonly, stock_depots **out)
{
    *out = NULL;
    stock_depots *ds = malloc(sizeof *ds);
    if (!ds)
        return HL_ENOMEM;
    *ds = *info;
    for (size_t i = 0; i < ds->n; i++)
        ds->items[i].nlevels = 0;
    int rc = levels__each(t, info, cat, now_ms, only, nonly, read__cb, ds);
    if (rc < 0) {
        free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}

int stock_store_low_sweep(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                          int64_t now_ms, stock_alerts *alerts)
{
    stock_depots *ds = NULL;
    int rc = stock_store_read(t, info, cat, now_ms, NULL, 0, &ds);
    for (size_t i = 0; rc == 0 && i < ds->n; i++)
        for (size_t j = 0; rc == 0 && j < ds->items[i].nlevels; j++) {
            const stock_level *l = &ds->items[i].levels[j];
            rc = low__apply(t, info, cat, ds->items[i].id, l->material_id, l->below, "", now_ms,
                            alerts);
        }
    free(ds);
    return rc;
}

/* ---- Reservations ---- */

int stock_store_reserve(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ReserveRequest *q, const char *actor, int64_t now_ms,
                        stock_alerts *alerts, Hl__Reservation **out, char *why, size_t whylen)
{
    stock_depots *ds = NULL;
    stock_plan *p = stock_plan_new();
    stock_need *needs = calloc(q->n_needs ? q->n_needs : 1, sizeof *needs);
    stock_msg_reservation msg = {0};
    char id[HL_ID_MAX + 1], lwhy[LEDGER_WHY_MAX];
    work w;
    int rc = (!p || !needs) ? HL_ENOMEM : 0;
    *out = NULL;
    why__f(why, whylen, "%s", "");
    work__init(&w, t, info, cat, now_ms);
    if (rc == 0) {
        stock_msg_needs(q, needs);
        rc = stock_store_read(t, info, cat, now_ms, needs, q->n_needs, &ds);
    }
    if (rc == 0 &&
        (rc = stock_reserve_plan(ds, q->near->lat, q->near->lon, needs, q->n_needs, p)) < 0)
        why__f(why, whylen, "the reservation cannot be planned: %s", hl_strerror(rc));
    if (rc == 0)
        rc = store__new_id(t, "rsv", id);
    for (size_t i = 0; rc == 0 && i < p->nlines; i++) {
        const stock_line *l = &p->lines[i];
        rc = work__add(&w,
                       entry__make(LEDGER_RESERVATION, l->depot_id, l->material_id, NULL,
                                   l->quantity, now_ms, now_ms, actor, q->purpose, id, cat),
                       -1, NULL, lwhy, sizeof lwhy);
        if (rc < 0)
            why__f(why, whylen, "the ledger refused the plan (%s): nothing reserved", lwhy);
    }
    if (rc == 0)
        rc = work__commit(&w, alerts, NULL);
    if (rc == 0)
        rc = stock_msg_reservation_build(q, p, ds, cat, id, now_ms, &msg);
    if (rc == 0)
        rc = store__put_copy(t, STOCK_T_RESERVATION, id, &msg.r.base, (ProtobufCMessage **)out);
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the reservation could not be stored: %s", hl_strerror(rc));
    work__free(&w);
    stock_msg_reservation_free(&msg);
    free(needs);
    free(ds);
    stock_plan_destroy(&p);
    return rc;
}

/* Entries releasing or issuing the lines of reservation id. */
static int act__entries(work *w, const char *id, const stock_line *lines, size_t n,
                        stock_rsv_action act, const char *actor, int64_t eff, char *lwhy,
                        size_t lwhylen)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const stock_line *l = &lines[i];
        ledger_entry e =
            entry__make(act == STOCK_ACT_ISSUE ? LEDGER_ISSUE : LEDGER_RELEASE, l->depot_id,
                        l->material_id, NULL, l->quantity, eff, w->now_ms, actor, NULL, id, w->cat);
        if (act == STOCK_ACT_RELEASE) {
            rc = work__add(w, e, -1, NULL, lwhy, lwhylen);
        } else {
            size_t first, k;
            e.from_reserved = 1;
            rc = work__fefo(w, &e, &first, &k, lwhy, lwhylen);
        }
    }
    return rc;
}

int stock_store_act(hl_txn *t, const stock_depots *info, const stock_catalogue *cat, const char *id,
                    const char *action, const char *actor, int64_t effective_ms, int64_t now_ms,
                    stock_alerts *alerts, Hl__Reservation **out, char *why, size_t whylen)
{
    stock_rsv_action act;
    stock_rsv_state from, to;
    stock_line *lines = NULL;
    size_t nlines = 0;
    char lwhy[LEDGER_WHY_MAX];
    work w;
    int rc;
    *out = NULL;
    why__f(why, whylen, "%s", "");
    if (stock_rsv_action_parse(action, &act) < 0) {
        why__f(why, whylen, "action '%.32s' is not release or issue", action);
        return HL_EINVAL;
    }
    Hl__Reservation *r = (Hl__Reservation *)store__get(t, STOCK_T_RESERVATION, id,
                                                       &hl__reservation__descriptor, &rc);
    if (!r) {
        why__f(why, whylen, "no reservation %s", id);
        return rc;
    }
    work__init(&w, t, info, cat, now_ms);
    if ((rc = stock_rsv_state_parse(r->state, &from)) < 0) {
        why__f(why, whylen, "reservation %s has an unknown state '%.32s'", id, r->state);
        rc = HL_ESTATE;
    } else if ((rc = stock_rsv_transition(from, act, &to)) < 0) {
        why__f(why, whylen, "reservation %s is %s: %s is allowed only from reserved or partial", id,
               r->state, act == STOCK_ACT_ISSUE ? "issue" : "release");
    }
    if (rc == 0)
        rc = stock_msg_lines(r, &lines, &nlines);
    if (rc == 0 && (rc = act__entries(&w, id, lines, nlines, act, actor,
                                      effective_ms ? effective_ms : now_ms, lwhy, sizeof lwhy)) < 0)
        why__f(why, whylen, "reservation %s cannot be %s: %s", id,
               act == STOCK_ACT_ISSUE ? "issued" : "released", lwhy);
    if (rc == 0)
        rc = work__commit(&w, alerts, NULL);
    if (rc == 0) {
        /* r->state is owned by the unpacked message: swap in a static name only while
         * packing, then put the original back before it is freed. */
        char *old = r->state;
        r->state = (char *)stock_rsv_state_name(to);
        r->updated_ms = now_ms;
        rc = store__put_copy(t, STOCK_T_RESERVATION, id, &r->base, (ProtobufCMessage **)out);
        r->state = old;
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "reservation %s could not be updated: %s", id, hl_strerror(rc));
    work__free(&w);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(lines);
    return rc;
}

/* ---- stock.entry ---- */

int stock_store_entry(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      const Hl__LedgerEntry *q, const char *actor, int64_t now_ms,
                      stock_alerts *alerts, Hl__LedgerResult **out, char *field, char *why,
                      size_t whylen)
{
    ledger_entry e;
    const char *f = NULL;
    char lwhy[LEDGER_WHY_MAX] = "";
    work w;
    Hl__LedgerEntry **wr = NULL;
    *out = NULL;
    field__f(field, "");
    why__f(why, whylen, "%s", "");
    stock_msg_entry_in(q, cat, actor, now_ms, &e);
    int transfer = e.kind == LEDGER_TRANSFER_OUT;
    /* The entry's own rules first, so the error names the field. An outgoing entry may
     * leave its lot to FEFO: check it as if it named one. */
    ledger_entry probe = e;
    int fefo = (ledger_kind_outgoing(e.kind) && e.kind != LEDGER_WRITE_OFF) && !e.lot_id[0];
    if (fefo)
        snprintf(probe.lot_id, sizeof probe.lot_id, "fefo");
    int rc = ledger_entry_check(&probe, &f, lwhy, sizeof lwhy);
    if (rc < 0) {
        char fn[STOCK_FIELD_MAX];
        snprintf(fn, sizeof fn, "entry.%s", f ? f : "");
        field__f(field, fn);
        why__f(why, whylen, "%s", lwhy);
        return rc;
    }
    work__init(&w, t, info, cat, now_ms);
    size_t first = 0, n = 0;
    if (fefo)
        rc = work__fefo(&w, &e, &first, &n, lwhy, sizeof lwhy);
    else if ((rc = work__add(&w, e, -1, &first, lwhy, sizeof lwhy)) == 0)
        n = 1;
    /* A transfer: the matching transfer-in of each lot at the destination, same lot, same
     * expiry, each linked to the other. */
    for (size_t k = 0; rc == 0 && transfer && k < n; k++) {
        size_t oi = first + k, ii;
        const ledger_entry *o = work__entry(&w, oi);
        ledger_entry in = *o;
        in.kind = LEDGER_TRANSFER_IN;
        snprintf(in.depot_id, sizeof in.depot_id, "%s", q->to_depot_id);
        in.expiry_ms = work__lot_expiry(&w.lv[w.nw[oi].level], o->lot_id);
        if ((rc = work__add(&w, in, (long)oi, &ii, lwhy, sizeof lwhy)) == 0)
            w.nw[oi].pair = (long)ii;
    }
    if (rc < 0) {
        field__f(field, rc == HL_ENOTFOUND ? "entry.lot_id" : "entry.quantity");
        why__f(why, whylen, "%s of %g %s %s at %s refused: %s",
               transfer ? "transfer" : ledger_kind_name(e.kind), e.quantity, e.unit, e.material_id,
               e.depot_id, lwhy);
    }
    if (rc == 0)
        rc = work__commit(&w, alerts, &wr);
    if (rc == 0) {
        Hl__LedgerResult res = HL__LEDGER_RESULT__INIT;
        res.n_entries = w.nnew;
        res.entries = wr;
        Hl__StockAlert **al = alerts ? alerts->items : NULL;
        res.n_alerts = alerts ? alerts->n : 0;
        res.alerts = al;
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = hl_msg_pack(&res.base, &buf, &len);
        if (rc == 0) {
            *out = (Hl__LedgerResult *)hl_msg_unpack(&hl__ledger_result__descriptor, buf, len);
            if (!*out)
                rc = HL_ENOMEM;
        }
        free(buf);
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the entry could not be stored: %s", hl_strerror(rc));
    written__free(wr, w.nnew);
    work__free(&w);
    return rc;
}

/* ---- Lists built from the ledger ---- */

struct rows {
    const Hl__ListQuery *q;
    const stock_catalogue *cat;
    size_t limit, max_bytes, bytes, n;
    int truncated, totals;
    ProtobufCMessage **items;
    int64_t now_ms;
};

static int str__is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int q__id(const Hl__ListQuery *q)
{
    return q->id && q->id[0];
}

static int q__unit(const Hl__ListQuery *q)
{
    return q->unit_id && q->unit_id[0];
}

static size_t q__limit(const Hl__ListQuery *q)
{
    size_t lim = q->limit ? q->limit : STOCK_LIST_DEFAULT;
    return lim > STOCK_LIST_DEFAULT ? STOCK_LIST_DEFAULT : lim;
}

/* Keep m if it fits the count and byte budgets; else mark truncated and free it (>0 stops). */
static int rows__take(struct rows *c, ProtobufCMessage *m)
{
    /* Field tag and length prefix of a repeated element cost at most 6 bytes more. */
    size_t sz = protobuf_c_message_get_packed_size(m) + 6;
    if (c->n >= c->limit || c->bytes + sz > c->max_bytes) {
        c->truncated = 1;
        protobuf_c_message_free_unpacked(m, NULL);
        return 1;
    }
    c->items[c->n++] = m;
    c->bytes += sz;
    return 0;
}

/* Pack a borrowed message and hand back an owned copy. */
static int pack__copy(const ProtobufCMessage *m, ProtobufCMessage **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(m, &buf, &len);
    if (rc < 0)
        return rc;
    *out = hl_msg_unpack(m->descriptor, buf, len);
    free(buf);
    return *out ? 0 : HL_ENOMEM;
}

static int rows__cb(const stock_depot *d, const stock_material *m, const stock_level *l,
                    const ledger_state *st, void *ud)
{
    struct rows *c = ud;
    if (q__id(c->q) && !str__is(c->q->id, d->id) && !str__is(c->q->id, m->id))
        return 0;
    if (q__unit(c->q) && !str__is(c->q->unit_id, d->owner_unit))
        return 0;
    ProtobufCMessage *copy = NULL;
    int rc;
    if (c->totals) {
        Hl__LedgerTotal o;
        Hl__LotTotal lot_store[LEDGER_LOTS_MAX], *lots[LEDGER_LOTS_MAX];
        stock_msg_total(d, m, st, l->minimum, &o, lot_store, lots);
        rc = pack__copy(&o.base, &copy);
    } else {
        Hl__StockItem it;
        stock_msg_item(d, l, c->cat, &it);
        rc = pack__copy(&it.base, &copy);
    }
    return rc < 0 ? rc : rows__take(c, copy);
}

static void rows__free(struct rows *c)
{
    for (size_t i = 0; i < c->n; i++)
        protobuf_c_message_free_unpacked(c->items[i], NULL);
    free(c->items);
}

static int rows__run(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     struct rows *c)
{
    c->limit = q__limit(c->q);
    c->items = calloc(c->limit, sizeof *c->items);
    if (!c->items)
        return HL_ENOMEM;
    return levels__each(t, info, cat, c->now_ms, NULL, 0, rows__cb, c);
}

int stock_store_list(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     const Hl__ListQuery *q, int64_t now_ms, size_t max_bytes, Hl__StockList **out)
{
    struct rows c = {.q = q, .cat = cat, .max_bytes = max_bytes, .now_ms = now_ms};
    *out = NULL;
    int rc = rows__run(t, info, cat, &c);
    if (rc == 0) {
        Hl__StockList l = HL__STOCK_LIST__INIT;
        l.n_items = c.n;
        l.items = (Hl__StockItem **)c.items;
        l.truncated = c.truncated;
        rc = pack__copy(&l.base, (ProtobufCMessage **)out);
    }
    rows__free(&c);
    return rc;
}

int stock_store_totals(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ListQuery *q, int64_t now_ms, size_t max_bytes,
                       Hl__LedgerTotals **out)
{
    struct rows c = {.q = q, .cat = cat, .max_bytes = max_bytes, .now_ms = now_ms, .totals = 1};
    *out = NULL;
    int rc = rows__run(t, info, cat, &c);
    if (rc == 0) {
        Hl__LedgerTotals l = HL__LEDGER_TOTALS__INIT;
        l.as_of_ms = now_ms;
        l.n_items = c.n;
        l.items = (Hl__LedgerTotal **)c.items;
        l.truncated = c.truncated;
        rc = pack__copy(&l.base, (ProtobufCMessage **)out);
    }
    rows__free(&c);
    return rc;
}

/* ---- Lists of stored records ---- */

typedef int (*keep_fn)(const ProtobufCMessage *m, const Hl__ListQuery *q);

struct collect {
    const ProtobufCMessageDescriptor *desc;
    keep_fn keep;
    struct rows r;
};

static int collect__cb(const char *key, const void *val, size_t len, void *ud)
{
    struct collect *c = ud;
    ProtobufCMessage *m = hl_msg_unpack(c->desc, val, len);
    if (!m) {
        hl_warn("stored %s %s is undecodable; left in place and not listed", c->desc->name, key);
        return 0;
    }
    if (!c->keep(m, c->r.q)) {
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
    return rows__take(&c->r, m);
}

static int collect__run(hl_txn *t, const char *table, struct collect *c)
{
    c->r.limit = q__limit(c->r.q);
    c->r.items = calloc(c->r.limit, sizeof *c->r.items);
    if (!c->r.items)
        return HL_ENOMEM;
    int rc = hl_kv_scan(t, table, "", collect__cb, c);
    return rc == HL_ENOTFOUND ? 0 : rc;
}

static int keep__reservation(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__Reservation *r = (const Hl__Reservation *)m;
    if (q__id(q) && !str__is(q->id, r->id))
        return 0;
    if (q->incident_id && q->incident_id[0] && !str__is(q->incident_id, r->incident_id))
        return 0;
    return 1;
}

static int keep__entry(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__LedgerEntry *e = (const Hl__LedgerEntry *)m;
    if (q__id(q) && !str__is(q->id, e->depot_id) && !str__is(q->id, e->material_id) &&
        !str__is(q->id, e->id) && !str__is(q->id, e->link_id))
        return 0;
    if (q__unit(q) && !str__is(q->unit_id, e->actor))
        return 0;
    return 1;
}

static int keep__alert(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__StockAlert *a = (const Hl__StockAlert *)m;
    return !q__id(q) || str__is(q->id, a->id) || str__is(q->id, a->depot_id) ||
           str__is(q->id, a->material_id);
}

static int keep__request(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__ResourceRecord *r = (const Hl__ResourceRecord *)m;
    if (q__id(q) && !str__is(q->id, r->id) && !str__is(q->id, r->depot_id) &&
        !str__is(q->id, r->requester_unit) && !str__is(q->id, r->owner_unit))
        return 0;
    if (q__unit(q) && !str__is(q->unit_id, r->requester_unit) &&
        !str__is(q->unit_id, r->owner_unit))
        return 0;
    if (q->incident_id && q->incident_id[0] && !str__is(q->incident_id, r->incident_id))
        return 0;
    return 1;
}

/* One table listed into a message whose repeated field and truncated flag are set by fill. */
typedef void (*fill_fn)(ProtobufCMessage *list, ProtobufCMessage **items, size_t n, int truncated);

static int list__table(hl_txn *t, const char *table, const ProtobufCMessageDescriptor *item,
                       keep_fn keep, const Hl__ListQuery *q, size_t max_bytes,
                       ProtobufCMessage *list, fill_fn fill, ProtobufCMessage **out)
{
    struct collect c = {.desc = item, .keep = keep, .r = {.q = q, .max_bytes = max_bytes}};
    *out = NULL;
    int rc = collect__run(t, table, &c);
    if (rc == 0) {
        fill(list, c.r.items, c.r.n, c.r.truncated);
        rc = pack__copy(list, out);
    }
    rows__free(&c.r);
    return rc;
}

static void fill__reservations(ProtobufCMessage *list, ProtobufCMessage **items, size_t n, int tr)
{
    Hl__ReservationList *l = (Hl__ReservationList *)list;
    l->reservations = (Hl__Reservation **)items;
    l->n_reservations = n;
    l->truncated = tr;
}

static void fill__entries(ProtobufCMessage *list, ProtobufCMessage **items, size_t n, int tr)
{
    Hl__LedgerEntryList *l = (Hl__LedgerEntryList *)list;
    l->entries = (Hl__LedgerEntry **)items;
    l->n_entries = n;
    l->truncated = tr;
}

static void fill__alerts(ProtobufCMessage *list, ProtobufCMessage **items, size_t n, int tr)
{
    Hl__StockAlertList *l = (Hl__StockAlertList *)list;
    l->alerts = (Hl__StockAlert **)items;
    l->n_alerts = n;
    l->truncated = tr;
}

static void fill__requests(ProtobufCMessage *list, ProtobufCMessage **items, size_t n, int tr)
{
    Hl__ResourceRecordList *l = (Hl__ResourceRecordList *)list;
    l->records = (Hl__ResourceRecord **)items;
    l->n_records = n;
    l->truncated = tr;
}

int stock_store_reservations(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                             Hl__ReservationList **out)
{
    Hl__ReservationList l = HL__RESERVATION_LIST__INIT;
    return list__table(t, STOCK_T_RESERVATION, &hl__reservation__descriptor, keep__reservation, q,
                       max_bytes, &l.base, fill__reservations, (ProtobufCMessage **)out);
}

int stock_store_entries(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                        Hl__LedgerEntryList **out)
{
    Hl__LedgerEntryList l = HL__LEDGER_ENTRY_LIST__INIT;
    return list__table(t, STOCK_T_ENTRY, &hl__ledger_entry__descriptor, keep__entry, q, max_bytes,
                       &l.base, fill__entries, (ProtobufCMessage **)out);
}

int stock_store_alerts(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                       Hl__StockAlertList **out)
{
    Hl__StockAlertList l = HL__STOCK_ALERT_LIST__INIT;
    return list__table(t, STOCK_T_ALERT, &hl__stock_alert__descriptor, keep__alert, q, max_bytes,
                       &l.base, fill__alerts, (ProtobufCMessage **)out);
}

int stock_store_requests(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                         Hl__ResourceRecordList **out)
{
    Hl__ResourceRecordList l = HL__RESOURCE_RECORD_LIST__INIT;
    return list__table(t, STOCK_T_REQUEST, &hl__resource_record__descriptor, keep__request, q,
                       max_bytes, &l.base, fill__requests, (ProtobufCMessage **)out);
}

/* ---- Cover ---- */

int stock_store_cover(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                      const Hl__CoverQuery *q, int64_t now_ms, Hl__CoverResult **out)
{
    *out = NULL;
    stock_depots *ds = NULL;
    stock_cover *cv = stock_cover_new();
    stock_need *needs = calloc(q->n_needs ? q->n_needs : 1, sizeof *needs);
    Hl__CoverLine *ls = NULL, **lp = NULL;
    Hl__CoverNeed *ns = NULL, **np = NULL;
    Hl__MaterialNeed *ss = NULL, **sp = NULL;
    int rc = cv && needs ? 0 : HL_ENOMEM;
    if (rc == 0) {
        stock_msg_needs_of(q->needs, q->n_needs, needs);
        rc = stock_store_read(t, info, cat, now_ms, needs, q->n_needs, &ds);
    }
    if (rc == 0)
        rc = stock_cover_plan(ds, q->near->lat, q->near->lon, needs, q->n_needs, now_ms, cv);
    if (rc == 0) {
        size_t k = cv->nlines ? cv->nlines : 1, m = cv->nneeds ? cv->nneeds : 1;
        ls = calloc(k, sizeof *ls);
        lp = calloc(k, sizeof *lp);
        ns = calloc(m, sizeof *ns);
        np = calloc(m, sizeof *np);
        ss = calloc(m, sizeof *ss);
        sp = calloc(m, sizeof *sp);
        if (!ls || !lp || !ns || !np || !ss || !sp)
            rc = HL_ENOMEM;
    }
    if (rc == 0) {
        char assumption[HL_TEXT_MAX + 512];
        Hl__CoverResult r = HL__COVER_RESULT__INIT;
        r.as_of_ms = now_ms;
        r.detour_factor = ds->detour_factor;
        r.speed_kmh = ds->speed_kmh;
        snprintf(assumption, sizeof assumption,
                 "hazlink assumption: road km = straight-line km x %g (detour factor), at %g km/h, "
                 "after each depot's dispatch time (depots.yaml). %s",
                 ds->detour_factor, ds->speed_kmh, ds->road_note);
        r.assumption = assumption;
        for (size_t i = 0; i < cv->nlines; i++) {
            const stock_cover_line *c = &cv->lines[i];
            const stock_depot *d = &ds->items[stock_depots_find(ds, c->depot_id)];
            const stock_material *mat = stock_catalogue_find(cat, c->material_id);
            Hl__CoverLine *o = &ls[i];
            hl__cover_line__init(o);
            o->material_id = (char *)c->material_id;
            o->depot_id = (char *)c->depot_id;
            o->depot_name = (char *)d->name;
            o->quantity = c->quantity;
            o->unit = (char *)(mat ? mat->unit : "");
            o->straight_km = c->straight_km;
            o->road_km = c->road_km;
            o->dispatch_min = c->dispatch_min;
            o->travel_min = c->travel_min;
            o->arrival_ms = c->arrival_ms;
            o->jurisdiction = (char *)d->jurisdiction;
            o->owner_unit = (char *)d->owner_unit;
            o->location_confidence = (char *)d->confidence;
            lp[i] = o;
        }
        r.n_lines = cv->nlines;
        r.lines = lp;
        r.complete = 1;
        for (size_t i = 0; i < cv->nneeds; i++) {
            const stock_cover_need *c = &cv->needs[i];
            const stock_material *mat = stock_catalogue_find(cat, c->material_id);
            Hl__CoverNeed *o = &ns[i];
            hl__cover_need__init(o);
            o->material_id = (char *)c->material_id;
            o->quantity = c->quantity;
            o->covered = c->covered;
            o->shortfall = c->shortfall;
            o->unit = (char *)(mat ? mat->unit : "");
            o->complete_ms = c->complete_ms;
            np[i] = o;
            if (c->shortfall > STOCK_EPS) {
                Hl__MaterialNeed *s = &ss[r.n_shortfall];
                hl__material_need__init(s);
                s->material_id = o->material_id;
                s->quantity = c->shortfall;
                s->unit = o->unit;
                sp[r.n_shortfall++] = s;
                r.complete = 0;
            }
        }
        r.n_needs = cv->nneeds;
        r.needs = np;
        r.shortfall = sp;
        rc = pack__copy(&r.base, (ProtobufCMessage **)out);
    }
    free(ls);
    free(lp);
    free(ns);
    free(np);
    free(ss);
    free(sp);
    free(needs);
    free(ds);
    stock_cover_destroy(&cv);
    return rc;
}

/* ---- Requests between agencies (rm.h) ---- */

/* Needs as MaterialNeed messages with the material's unit (arrays owned by the caller). */
typedef struct needs_pb {
    size_t n;
    Hl__MaterialNeed *store;
    Hl__MaterialNeed **ptrs;
} needs_pb;

static int needs__pb(const stock_need *in, size_t n, const stock_catalogue *cat, needs_pb *out)
{
    out->n = 0;
    out->store = calloc(n ? n : 1, sizeof *out->store);
    out->ptrs = calloc(n ? n : 1, sizeof *out->ptrs);
    if (!out->store || !out->ptrs)
        return HL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const stock_material *m = stock_catalogue_find(cat, in[i].material_id);
        Hl__MaterialNeed *o = &out->store[i];
        hl__material_need__init(o);
        o->material_id = (char *)in[i].material_id;
        o->quantity = in[i].quantity;
        o->unit = (char *)(m ? m->unit : "");
        out->ptrs[i] = o;
    }
    out->n = n;
    return 0;
}

static void needs__free(needs_pb *p)
{
    free(p->store);
    free(p->ptrs);
    memset(p, 0, sizeof *p);
}

/* Owned copy of a message's needs as stock_need (*out, free()). */
static int needs__of(Hl__MaterialNeed *const *in, size_t n, stock_need **out)
{
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return HL_ENOMEM;
    stock_msg_needs_of(in, n, *out);
    return 0;
}

/* Store r with one more step and a new state; *out gets the stored copy. r is left as it
 * was (its arrays are owned by its unpacker). */
static int rec__save(hl_txn *t, Hl__ResourceRecord *r, Hl__ResourceStep *step, stock_rm_state state,
                     int64_t now_ms, Hl__ResourceRecord **out)
{
    size_t n = r->n_steps;
    Hl__ResourceStep **steps = calloc(n + 1, sizeof *steps);
    if (!steps)
        return HL_ENOMEM;
    if (n)
        memcpy(steps, r->steps, n * sizeof *steps);
    steps[n] = step;
    Hl__ResourceStep **old_steps = r->steps;
    char *old_state = r->state;
    int64_t old_updated = r->updated_ms;
    r->steps = steps;
    r->n_steps = n + 1;
    r->state = (char *)stock_rm_state_name(state);
    r->updated_ms = now_ms;
    int rc = store__put_copy(t, STOCK_T_REQUEST, r->id, &r->base, (ProtobufCMessage **)out);
    r->steps = old_steps;
    r->n_steps = n;
    r->state = old_state;
    r->updated_ms = old_updated;
    free(steps);
    return rc;
}

int stock_store_request(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ResourceRequest *q, int64_t now_ms, Hl__ResourceRecord **out,
                        char *field, char *why, size_t whylen)
{
    char id[HL_ID_MAX + 1];
    stock_need *needs = NULL;
    needs_pb np = {0};
    *out = NULL;
    field__f(field, "");
    why__f(why, whylen, "%s", "");
    int di = stock_depots_find(info, q->depot_id);
    if (di < 0) {
        field__f(field, "request.depot_id");
        why__f(why, whylen, "unknown depot %.64s", q->depot_id);
        return HL_ENOTFOUND;
    }
    const stock_depot *d = &info->items[di];
    int rc = store__new_id(t, stock_rm_id_prefix(1, STOCK_RM_RESPOND), id);
    if (rc == 0)
        rc = needs__of(q->needs, q->n_needs, &needs);
    if (rc == 0)
        rc = needs__pb(needs, q->n_needs, cat, &np);
    if (rc == 0) {
        Hl__ResourceStep st = HL__RESOURCE_STEP__INIT;
        Hl__ResourceStep *stp = &st;
        Hl__ResourceRecord r = HL__RESOURCE_RECORD__INIT;
        st.id = id;
        st.message_type = (char *)stock_rm_message_type(1, STOCK_RM_RESPOND);
        st.unit = q->requester_unit;
        st.sent_ms = now_ms;
        st.n_quantities = np.n;
        st.quantities = np.ptrs;
        st.schedule_ms = q->requested_arrival_ms;
        st.schedule_type = q->requested_arrival_ms ? "RequestedArrival" : "";
        r.id = id;
        r.state = (char *)stock_rm_state_name(STOCK_RM_REQUESTED);
        r.incident_id = q->incident_id;
        r.requester_unit = q->requester_unit;
        r.depot_id = (char *)d->id;
        r.depot_name = (char *)d->name;
        r.owner_unit = (char *)d->owner_unit;
        r.depot_jurisdiction = (char *)d->jurisdiction;
        r.n_needs = np.n;
        r.needs = np.ptrs;
        r.n_steps = 1;
        r.steps = &stp;
        r.created_ms = r.updated_ms = now_ms;
        r.location = q->location;
        r.deliver_to = q->deliver_to;
        r.note = q->note;
        rc = store__put_copy(t, STOCK_T_REQUEST, id, &r.base, (ProtobufCMessage **)out);
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the request could not be stored: %s", hl_strerror(rc));
    needs__free(&np);
    free(needs);
    return rc;
}

/* Load request id, check that unit may take step and that the chain allows it. */
static int rec__load(hl_txn *t, const char *id, const char *what, const char *unit,
                     stock_rm_step step, stock_rm_answer answer, Hl__ResourceRecord **r,
                     stock_rm_state *to, char *field, char *why, size_t whylen)
{
    int rc;
    char fn[STOCK_FIELD_MAX];
    stock_rm_state from;
    *r = (Hl__ResourceRecord *)store__get(t, STOCK_T_REQUEST, id, &hl__resource_record__descriptor,
                                          &rc);
    if (!*r) {
        snprintf(fn, sizeof fn, "%s.request_id", what);
        field__f(field, fn);
        why__f(why, whylen, "no request %s", id);
        return rc;
    }
    int owner = str__is(unit, (*r)->owner_unit);
    int requester = str__is(unit, (*r)->requester_unit);
    if (step == STOCK_RM_FULFIL ? !(owner || requester) : !owner) {
        snprintf(fn, sizeof fn, "%s.%s", what,
                 step == STOCK_RM_RESPOND ? "responder_unit" : "unit");
        field__f(field, fn);
        why__f(why, whylen, "%s may not %s request %s: only %s (holder of %s)%s%s does", unit, what,
               id, (*r)->owner_unit, (*r)->depot_id,
               step == STOCK_RM_FULFIL ? " or the requester " : "",
               step == STOCK_RM_FULFIL ? (*r)->requester_unit : "");
        rc = HL_EDENIED;
    } else if (stock_rm_state_parse((*r)->state, &from) < 0 ||
               stock_rm_transition(from, step, answer, to) < 0) {
        snprintf(fn, sizeof fn, "%s.request_id", what);
        field__f(field, fn);
        why__f(why, whylen, "request %s is %s: it cannot be %s now", id, (*r)->state,
               step == STOCK_RM_RESPOND  ? "answered"
               : step == STOCK_RM_COMMIT ? "committed (it needs an Accept or Provisional answer)"
                                         : "fulfilled (it needs a commitment)");
        rc = HL_ESTATE;
    }
    if (rc < 0) {
        protobuf_c_message_free_unpacked(&(*r)->base, NULL);
        *r = NULL;
    }
    return rc;
}

/* The last step of r of message type mt, or NULL. */
static const Hl__ResourceStep *rec__last(const Hl__ResourceRecord *r, const char *mt)
{
    for (size_t i = r->n_steps; i-- > 0;)
        if (str__is(r->steps[i]->message_type, mt))
            return r->steps[i];
    return NULL;
}

/* part within whole, or an error naming what[i]. */
static int rec__within(Hl__MaterialNeed *const *part, size_t np, Hl__MaterialNeed *const *whole,
                       size_t nw, const char *what, const char *whole_name, char *field, char *why,
                       size_t whylen)
{
    stock_need *a = NULL, *b = NULL;
    size_t bad = 0;
    int rc = needs__of(part, np, &a);
    if (rc == 0)
        rc = needs__of(whole, nw, &b);
    if (rc == 0 && (rc = stock_rm_within(a, np, b, nw, &bad)) < 0) {
        char fn[STOCK_FIELD_MAX];
        snprintf(fn, sizeof fn, "%s[%zu]", what, bad);
        field__f(field, fn);
        why__f(why, whylen, "%s: %s %s", fn, a[bad].material_id,
               rc == HL_EINVAL ? "was not asked for" : "exceeds what was");
        if (rc == HL_ESTATE)
            why__f(why + strlen(why), whylen - strlen(why), " %s", whole_name);
    }
    free(a);
    free(b);
    return rc;
}

int stock_store_respond(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ResourceResponse *q, int64_t now_ms, Hl__ResourceRecord **out,
                        char *field, char *why, size_t whylen)
{
    (void)info;
    (void)cat;
    stock_rm_answer a;
    stock_rm_state to;
    Hl__ResourceRecord *r = NULL;
    char id[HL_ID_MAX + 1];
    *out = NULL;
    field__f(field, "");
    why__f(why, whylen, "%s", "");
    if (stock_rm_answer_parse(q->response_type, &a) < 0) {
        field__f(field, "respond.response_type");
        why__f(why, whylen, "response_type is Accept, Decline or Provisional");
        return HL_EINVAL;
    }
    int rc = rec__load(t, q->request_id, "respond", q->responder_unit, STOCK_RM_RESPOND, a, &r, &to,
                       field, why, whylen);
    if (rc < 0)
        return rc;
    /* An answer without quantities offers everything asked (nothing on a Decline). */
    Hl__MaterialNeed **offered = q->offered;
    size_t noff = q->n_offered;
    if (noff == 0 && a != STOCK_RM_DECLINE) {
        offered = r->needs;
        noff = r->n_needs;
    }
    rc = rec__within(offered, noff, r->needs, r->n_needs, "respond.offered", "asked", field, why,
                     whylen);
    if (rc == 0)
        rc = store__new_id(t, stock_rm_id_prefix(0, STOCK_RM_RESPOND), id);
    if (rc == 0) {
        Hl__ResourceStep st = HL__RESOURCE_STEP__INIT;
        st.id = id;
        st.message_type = (char *)stock_rm_message_type(0, STOCK_RM_RESPOND);
        st.preceding_id = r->steps[r->n_steps - 1]->id;
        st.unit = q->responder_unit;
        st.sent_ms = now_ms;
        st.response_type = (char *)stock_rm_answer_name(a);
        st.reason_code = q->reason_code;
        st.reason = q->reason;
        st.n_quantities = noff;
        st.quantities = offered;
        st.schedule_ms = q->estimated_arrival_ms;
        st.schedule_type = q->estimated_arrival_ms ? "EstimatedArrival" : "";
        rc = rec__save(t, r, &st, to, now_ms, out);
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the response could not be stored: %s", hl_strerror(rc));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int stock_store_commit(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ResourceCommitment *q, int64_t now_ms, stock_alerts *alerts,
                       Hl__ResourceRecord **out, char *field, char *why, size_t whylen)
{
    stock_rm_state to;
    Hl__ResourceRecord *r = NULL;
    char id[HL_ID_MAX + 1], rsv[HL_ID_MAX + 1], lwhy[LEDGER_WHY_MAX], purpose[256];
    stock_plan *p = NULL;
    stock_msg_reservation msg = {0};
    Hl__Reservation *stored = NULL;
    work w;
    *out = NULL;
    field__f(field, "");
    why__f(why, whylen, "%s", "");
    int rc = rec__load(t, q->request_id, "commit", q->unit, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, &r,
                       &to, field, why, whylen);
    if (rc < 0)
        return rc;
    work__init(&w, t, info, cat, now_ms);
    const Hl__ResourceStep *resp = rec__last(r, stock_rm_message_type(0, STOCK_RM_RESPOND));
    if (!resp) {
        why__f(why, whylen, "request %s has no response to commit against", r->id);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return HL_ESTATE;
    }
    Hl__MaterialNeed **qs = q->quantities;
    size_t nq = q->n_quantities;
    if (nq == 0) {
        qs = resp->quantities;
        nq = resp->n_quantities;
    }
    rc = rec__within(qs, nq, resp->quantities, resp->n_quantities, "commit.quantities", "offered",
                     field, why, whylen);
    if (rc == 0 && !(p = stock_plan_new()))
        rc = HL_ENOMEM;
    if (rc == 0)
        rc = store__new_id(t, "rsv", rsv);
    /* One reservation entry per quantity at the request's depot; the reservation record links
     * them like any other (stock.reservations shows it, stock.release can undo it). */
    for (size_t i = 0; rc == 0 && i < nq; i++) {
        if (qs[i]->quantity <= STOCK_EPS)
            continue;
        if (p->nlines >= STOCK_LINES_MAX) {
            rc = HL_ETOOBIG;
            break;
        }
        stock_line *l = &p->lines[p->nlines++];
        snprintf(l->depot_id, sizeof l->depot_id, "%s", r->depot_id);
        snprintf(l->material_id, sizeof l->material_id, "%s", qs[i]->material_id);
        l->quantity = qs[i]->quantity;
        if (r->deliver_to) {
            int di = stock_depots_find(info, r->depot_id);
            l->distance_km = stock_distance_km(r->deliver_to->lat, r->deliver_to->lon,
                                               info->items[di].lat, info->items[di].lon);
        }
        rc = work__add(&w,
                       entry__make(LEDGER_RESERVATION, l->depot_id, l->material_id, NULL,
                                   l->quantity, now_ms, now_ms, q->unit, NULL, rsv, cat),
                       -1, NULL, lwhy, sizeof lwhy);
        if (rc < 0) {
            char fn[STOCK_FIELD_MAX];
            snprintf(fn, sizeof fn, "commit.quantities[%zu]", i);
            field__f(field, fn);
            why__f(why, whylen, "%s cannot commit %g %s of %s: %s", r->depot_id, l->quantity,
                   qs[i]->unit, l->material_id, lwhy);
        }
    }
    if (rc == 0)
        rc = work__commit(&w, alerts, NULL);
    if (rc == 0) {
        Hl__ReserveRequest rq = HL__RESERVE_REQUEST__INIT;
        snprintf(purpose, sizeof purpose, "EDXL-RM request %s from %s", r->id, r->requester_unit);
        rq.incident_id = r->incident_id;
        rq.plan_id = "";
        rq.near = r->deliver_to;
        rq.n_needs = nq;
        rq.needs = qs;
        rq.purpose = purpose;
        rc = stock_msg_reservation_build(&rq, p, info, cat, rsv, now_ms, &msg);
        if (rc == 0)
            rc = store__put_copy(t, STOCK_T_RESERVATION, rsv, &msg.r.base,
                                 (ProtobufCMessage **)&stored);
    }
    if (rc == 0)
        rc = store__new_id(t, stock_rm_id_prefix(0, STOCK_RM_COMMIT), id);
    if (rc == 0) {
        Hl__ResourceStep st = HL__RESOURCE_STEP__INIT;
        st.id = id;
        st.message_type = (char *)stock_rm_message_type(0, STOCK_RM_COMMIT);
        st.preceding_id = resp->id;
        st.unit = q->unit;
        st.sent_ms = now_ms;
        st.n_quantities = nq;
        st.quantities = qs;
        st.schedule_ms = now_ms;
        st.schedule_type = "Committed";
        st.reservation_id = rsv;
        rc = rec__save(t, r, &st, to, now_ms, out);
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the commitment could not be stored: %s", hl_strerror(rc));
    if (stored)
        protobuf_c_message_free_unpacked(&stored->base, NULL);
    stock_msg_reservation_free(&msg);
    stock_plan_destroy(&p);
    work__free(&w);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int stock_store_fulfil(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                       const Hl__ResourceFulfilment *q, int64_t now_ms, stock_alerts *alerts,
                       Hl__ResourceRecord **out, char *field, char *why, size_t whylen)
{
    stock_rm_state to;
    Hl__ResourceRecord *r = NULL;
    Hl__Reservation *res = NULL;
    char id[HL_ID_MAX + 1];
    *out = NULL;
    field__f(field, "");
    why__f(why, whylen, "%s", "");
    int rc = rec__load(t, q->request_id, "fulfil", q->unit, STOCK_RM_FULFIL, STOCK_RM_ACCEPT, &r,
                       &to, field, why, whylen);
    if (rc < 0)
        return rc;
    const Hl__ResourceStep *cm = rec__last(r, stock_rm_message_type(0, STOCK_RM_COMMIT));
    if (!cm) {
        why__f(why, whylen, "request %s has no commitment to fulfil", r->id);
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return HL_ESTATE;
    }
    int64_t arrival = q->arrival_ms ? q->arrival_ms : now_ms;
    rc = stock_store_act(t, info, cat, cm->reservation_id, "issue", q->unit, arrival, now_ms,
                         alerts, &res, why, whylen);
    if (rc < 0)
        field__f(field, "fulfil.arrival_ms");
    if (rc == 0)
        rc = store__new_id(t, stock_rm_id_prefix(0, STOCK_RM_FULFIL), id);
    if (rc == 0) {
        Hl__ResourceStep st = HL__RESOURCE_STEP__INIT;
        st.id = id;
        st.message_type = (char *)stock_rm_message_type(0, STOCK_RM_FULFIL);
        st.preceding_id = cm->id;
        st.unit = q->unit;
        st.sent_ms = now_ms;
        st.n_quantities = cm->n_quantities;
        st.quantities = cm->quantities;
        st.schedule_ms = arrival;
        st.schedule_type = "ActualArrival";
        st.reservation_id = cm->reservation_id;
        rc = rec__save(t, r, &st, to, now_ms, out);
    }
    if (rc < 0 && why && why[0] == '\0')
        why__f(why, whylen, "the fulfilment could not be stored: %s", hl_strerror(rc));
    if (res)
        protobuf_c_message_free_unpacked(&res->base, NULL);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}
