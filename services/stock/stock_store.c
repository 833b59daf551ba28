/* stock_store.c — see stock_store.h. */
#include "stock_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "stock_msg.h"

#define KEY_MAX (2 * HL_ID_MAX + 2)

static void store__key(char key[KEY_MAX], const char *depot_id, const char *material_id)
{
    snprintf(key, KEY_MAX, "%s/%s", depot_id, material_id);
}

static int store__write_level(hl_txn *t, const stock_depot *d, const stock_level *l,
                              const stock_catalogue *cat)
{
    Hl__StockItem it;
    uint8_t *buf = NULL;
    size_t len = 0;
    char key[KEY_MAX];
    stock_msg_item(d, l, cat, &it);
    int rc = hl_msg_pack(&it.base, &buf, &len);
    if (rc < 0)
        return rc;
    store__key(key, d->id, l->material_id);
    rc = hl_kv_put(t, STOCK_T_STOCK, key, buf, len);
    free(buf);
    return rc;
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

int stock_store_seed(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     int64_t now_ms, int *seeded, stock_store_diff_fn diff, void *ud)
{
    const void *val;
    size_t len;
    *seeded = 0;
    int rc = hl_kv_get(t, STOCK_T_META, "seeded", &val, &len);
    if (rc == 0) {
        for (size_t i = 0; diff && i < info->n; i++) {
            const stock_depot *d = &info->items[i];
            for (size_t j = 0; j < d->nlevels; j++) {
                char key[KEY_MAX];
                int grc;
                store__key(key, d->id, d->levels[j].material_id);
                Hl__StockItem *it = (Hl__StockItem *)store__get(t, STOCK_T_STOCK, key,
                                                                &hl__stock_item__descriptor, &grc);
                if (!it && grc != HL_ENOTFOUND)
                    return grc;
                if (!it || it->on_hand != d->levels[j].on_hand)
                    diff(d->id, d->levels[j].material_id, d->levels[j].on_hand,
                         it ? it->on_hand : 0, it != NULL, ud);
                if (it)
                    protobuf_c_message_free_unpacked(&it->base, NULL);
            }
        }
        return 0;
    }
    if (rc != HL_ENOTFOUND)
        return rc;
    for (size_t i = 0; i < info->n; i++)
        for (size_t j = 0; j < info->items[i].nlevels; j++)
            if ((rc = store__write_level(t, &info->items[i], &info->items[i].levels[j], cat)) < 0)
                return rc;
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%" PRId64, now_ms);
    if ((rc = hl_kv_put(t, STOCK_T_META, "seeded", stamp, strlen(stamp))) < 0)
        return rc;
    *seeded = 1;
    return 0;
}

struct read_ctx {
    stock_depot *d;
    const stock_catalogue *cat;
};

static int read__cb(const char *key, const void *val, size_t len, void *ud)
{
    struct read_ctx *c = ud;
    Hl__StockItem *it = (Hl__StockItem *)hl_msg_unpack(&hl__stock_item__descriptor, val, len);
    if (!it) {
        hl_warn("stock ledger row %s is undecodable; left in place and not used", key);
        return 0;
    }
    /* The catalogue decides what can be reserved; a row for a material since removed from
     * materials.yaml stays in the ledger (and in stock.list) but is not offered. */
    if (stock_catalogue_find(c->cat, it->material_id) && c->d->nlevels < STOCK_MATERIALS_MAX &&
        !stock_depot_level(c->d, it->material_id)) {
        stock_level *l = &c->d->levels[c->d->nlevels++];
        snprintf(l->material_id, sizeof l->material_id, "%s", it->material_id);
        l->on_hand = it->on_hand;
        l->reserved = it->reserved;
        l->issued = it->issued;
    }
    protobuf_c_message_free_unpacked(&it->base, NULL);
    return 0;
}

int stock_store_read(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                     stock_depots **out)
{
    *out = NULL;
    stock_depots *ds = calloc(1, sizeof *ds);
    if (!ds)
        return HL_ENOMEM;
    for (size_t i = 0; i < info->n; i++) {
        stock_depot *d = &ds->items[ds->n++];
        *d = info->items[i];
        d->nlevels = 0;
        char prefix[HL_ID_MAX + 2];
        snprintf(prefix, sizeof prefix, "%s/", d->id);
        struct read_ctx c = {d, cat};
        int rc = hl_kv_scan(t, STOCK_T_STOCK, prefix, read__cb, &c);
        if (rc < 0) {
            free(ds);
            return rc;
        }
    }
    *out = ds;
    return 0;
}

/* Write the ledger rows that lines touched. */
static int store__write_lines(hl_txn *t, const stock_depots *ds, const stock_catalogue *cat,
                              const stock_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int di = stock_depots_find(ds, lines[i].depot_id);
        if (di < 0)
            return HL_ENOTFOUND;
        const stock_depot *d = &ds->items[di];
        const stock_level *l = stock_depot_level_c(d, lines[i].material_id);
        if (!l)
            return HL_ENOTFOUND;
        int rc = store__write_level(t, d, l, cat);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int stock_store_reserve(hl_txn *t, const stock_depots *info, const stock_catalogue *cat,
                        const Hl__ReserveRequest *q, int64_t now_ms, Hl__Reservation **out,
                        char *why, size_t whylen)
{
    stock_depots *ds = NULL;
    stock_plan *p = stock_plan_new();
    stock_need *needs = calloc(q->n_needs ? q->n_needs : 1, sizeof *needs);
    stock_msg_reservation msg = {0};
    uint64_t seq = 0;
    char id[HL_ID_MAX + 1];
    int rc = (!p || !needs) ? HL_ENOMEM : 0;
    *out = NULL;
    snprintf(why, whylen, "%s", "");
    if (rc == 0)
        rc = stock_store_read(t, info, cat, &ds);
    if (rc == 0) {
        stock_msg_needs(q, needs);
        rc = stock_reserve_plan(ds, q->near->lat, q->near->lon, needs, q->n_needs, p);
        if (rc < 0)
            snprintf(why, whylen, "the reservation cannot be planned: %s", hl_strerror(rc));
    }
    if (rc == 0 && (rc = stock_ledger_reserve(ds, p->lines, p->nlines)) < 0)
        snprintf(why, whylen, "the ledger refused the plan (%s): nothing reserved",
                 hl_strerror(rc));
    if (rc == 0)
        rc = store__write_lines(t, ds, cat, p->lines, p->nlines);
    if (rc == 0)
        rc = hl_seq_next(t, STOCK_T_RESERVATION, &seq);
    if (rc == 0) {
        snprintf(id, sizeof id, "rsv-%06" PRIu64, seq);
        rc = stock_msg_reservation_build(q, p, ds, cat, id, now_ms, &msg);
    }
    if (rc == 0)
        rc = store__put_copy(t, STOCK_T_RESERVATION, id, &msg.r.base, (ProtobufCMessage **)out);
    if (rc < 0 && why[0] == '\0')
        snprintf(why, whylen, "the reservation could not be stored: %s", hl_strerror(rc));
    stock_msg_reservation_free(&msg);
    free(needs);
    free(ds);
    stock_plan_destroy(&p);
    return rc;
}

int stock_store_act(hl_txn *t, const stock_depots *info, const stock_catalogue *cat, const char *id,
                    const char *action, int64_t now_ms, Hl__Reservation **out, char *why,
                    size_t whylen)
{
    stock_rsv_action act;
    stock_rsv_state from, to;
    stock_line *lines = NULL;
    size_t nlines = 0;
    stock_depots *ds = NULL;
    int rc;
    *out = NULL;
    snprintf(why, whylen, "%s", "");
    if (stock_rsv_action_parse(action, &act) < 0) {
        snprintf(why, whylen, "action '%.32s' is not release or issue", action);
        return HL_EINVAL;
    }
    Hl__Reservation *r = (Hl__Reservation *)store__get(t, STOCK_T_RESERVATION, id,
                                                       &hl__reservation__descriptor, &rc);
    if (!r) {
        snprintf(why, whylen, "no reservation %s", id);
        return rc;
    }
    if ((rc = stock_rsv_state_parse(r->state, &from)) < 0) {
        snprintf(why, whylen, "reservation %s has an unknown state '%.32s'", id, r->state);
        rc = HL_ESTATE;
    } else if ((rc = stock_rsv_transition(from, act, &to)) < 0) {
        snprintf(why, whylen, "reservation %s is %s: %s is allowed only from reserved or partial",
                 id, r->state, act == STOCK_ACT_ISSUE ? "issue" : "release");
    }
    if (rc == 0)
        rc = stock_msg_lines(r, &lines, &nlines);
    if (rc == 0)
        rc = stock_store_read(t, info, cat, &ds);
    if (rc == 0) {
        rc = act == STOCK_ACT_ISSUE ? stock_ledger_issue(ds, lines, nlines)
                                    : stock_ledger_release(ds, lines, nlines);
        if (rc < 0)
            snprintf(why, whylen, "the ledger disagrees with reservation %s (%s): nothing changed",
                     id, hl_strerror(rc));
    }
    if (rc == 0)
        rc = store__write_lines(t, ds, cat, lines, nlines);
    if (rc == 0) {
        /* r->state is owned by the unpacked message: swap in a static name only while
         * packing, then put the original back before it is freed. */
        char *old = r->state;
        r->state = (char *)stock_rsv_state_name(to);
        r->updated_ms = now_ms;
        rc = store__put_copy(t, STOCK_T_RESERVATION, id, &r->base, (ProtobufCMessage **)out);
        r->state = old;
    }
    if (rc < 0 && why[0] == '\0')
        snprintf(why, whylen, "reservation %s could not be updated: %s", id, hl_strerror(rc));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(lines);
    free(ds);
    return rc;
}

/* ---- Lists: collect matching stored messages within a count and a byte budget. ---- */

typedef int (*keep_fn)(const ProtobufCMessage *m, const Hl__ListQuery *q);

struct collect {
    const ProtobufCMessageDescriptor *desc;
    keep_fn keep;
    const Hl__ListQuery *q;
    size_t limit, max_bytes, bytes, n;
    ProtobufCMessage **items;
    int truncated;
};

static int collect__cb(const char *key, const void *val, size_t len, void *ud)
{
    struct collect *c = ud;
    ProtobufCMessage *m = hl_msg_unpack(c->desc, val, len);
    if (!m) {
        hl_warn("stored %s %s is undecodable; left in place and not listed", c->desc->name, key);
        return 0;
    }
    if (!c->keep(m, c->q)) {
        protobuf_c_message_free_unpacked(m, NULL);
        return 0;
    }
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

static void collect__free(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++)
        protobuf_c_message_free_unpacked(c->items[i], NULL);
    free(c->items);
}

static int collect__run(hl_txn *t, const char *table, struct collect *c)
{
    size_t lim = c->q->limit ? c->q->limit : STOCK_LIST_DEFAULT;
    c->limit = lim > STOCK_LIST_DEFAULT ? STOCK_LIST_DEFAULT : lim;
    c->items = calloc(c->limit, sizeof *c->items);
    if (!c->items)
        return HL_ENOMEM;
    int rc = hl_kv_scan(t, table, "", collect__cb, c);
    return rc == HL_ENOTFOUND ? 0 : rc;
}

/* Pack list (its items borrowed from c), then hand back an owned copy. */
static int collect__finish(const ProtobufCMessage *list, ProtobufCMessage **out)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(list, &buf, &len);
    if (rc < 0)
        return rc;
    *out = hl_msg_unpack(list->descriptor, buf, len);
    free(buf);
    return *out ? 0 : HL_ENOMEM;
}

static int str__is(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int keep__stock(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__StockItem *it = (const Hl__StockItem *)m;
    if (q->id && q->id[0] && !str__is(q->id, it->depot_id) && !str__is(q->id, it->material_id))
        return 0;
    if (q->unit_id && q->unit_id[0] && !str__is(q->unit_id, it->owner_unit))
        return 0;
    return 1;
}

static int keep__reservation(const ProtobufCMessage *m, const Hl__ListQuery *q)
{
    const Hl__Reservation *r = (const Hl__Reservation *)m;
    if (q->id && q->id[0] && !str__is(q->id, r->id))
        return 0;
    if (q->incident_id && q->incident_id[0] && !str__is(q->incident_id, r->incident_id))
        return 0;
    return 1;
}

int stock_store_list(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes, Hl__StockList **out)
{
    struct collect c = {
        .desc = &hl__stock_item__descriptor, .keep = keep__stock, .q = q, .max_bytes = max_bytes};
    *out = NULL;
    int rc = collect__run(t, STOCK_T_STOCK, &c);
    if (rc == 0) {
        Hl__StockList l = HL__STOCK_LIST__INIT;
        l.n_items = c.n;
        l.items = (Hl__StockItem **)c.items;
        l.truncated = c.truncated;
        rc = collect__finish(&l.base, (ProtobufCMessage **)out);
    }
    collect__free(&c);
    return rc;
}

int stock_store_reservations(hl_txn *t, const Hl__ListQuery *q, size_t max_bytes,
                             Hl__ReservationList **out)
{
    struct collect c = {.desc = &hl__reservation__descriptor,
                        .keep = keep__reservation,
                        .q = q,
                        .max_bytes = max_bytes};
    *out = NULL;
    int rc = collect__run(t, STOCK_T_RESERVATION, &c);
    if (rc == 0) {
        Hl__ReservationList l = HL__RESERVATION_LIST__INIT;
        l.n_reservations = c.n;
        l.reservations = (Hl__Reservation **)c.items;
        l.truncated = c.truncated;
        rc = collect__finish(&l.base, (ProtobufCMessage **)out);
    }
    collect__free(&c);
    return rc;
}
