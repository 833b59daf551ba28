/* fault_store.c — the services' and partners' records into a fault_world (fault_store.h). */
#include "fault_store.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.pb-c.h"
#include "dispatch.pb-c.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"
#include "playbook.pb-c.h"

static void fault__errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fault__errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* A new zeroed element at the end of *arr (n elements of elem bytes, capacity kept as the
 * next power of two from 64, so the world needs to hold only counts); NULL when out of
 * memory (the array is then unchanged). */
static void *fault__push(void *arrp, size_t *n, size_t elem)
{
    void **arr = arrp;
    size_t cap = 0;
    if (*n)
        for (cap = 64; cap < *n; cap *= 2) {
        }
    if (*n == cap) {
        size_t c = cap ? cap * 2 : 64;
        void *na = realloc(*arr, c * elem);
        if (!na)
            return NULL;
        *arr = na;
    }
    void *slot = (char *)*arr + *n * elem;
    memset(slot, 0, elem);
    (*n)++;
    return slot;
}

static void fault__cpy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* ---- opening a service store read-only ---- */

typedef struct fault__ro {
    hl_store *st;
    hl_txn *t;
    char dir[HL_PATH_MAX + 64];
} fault__ro;

static int fault__ro_open(const char *data_dir, const char *env, fault__ro *ro, char *err,
                          size_t errlen)
{
    memset(ro, 0, sizeof *ro);
    int k = snprintf(ro->dir, sizeof ro->dir, "%s/%s", data_dir, env);
    if (k < 0 || (size_t)k >= sizeof ro->dir)
        return HL_ETOOBIG;
    char why[512] = "";
    int rc = hl_store_open(ro->dir, 0, &ro->st, why, sizeof why);
    if (rc == 0)
        rc = hl_txn_begin(ro->st, NULL, 1, &ro->t);
    if (rc < 0) {
        fault__errf(err, errlen, "cannot read the store %s: %s %s", ro->dir, hl_strerror(rc), why);
        hl_store_destroy(&ro->st);
    }
    return rc;
}

static void fault__ro_close(fault__ro *ro)
{
    hl_txn_abort(&ro->t);
    hl_store_destroy(&ro->st);
}

int fault_store_count(const char *data_dir, const char *env, const char *table, uint64_t *out)
{
    fault__ro ro;
    *out = 0;
    int rc = fault__ro_open(data_dir, env, &ro, NULL, 0);
    if (rc < 0)
        return rc;
    rc = hl_kv_count(ro.t, table, out);
    fault__ro_close(&ro);
    return rc;
}

/* ---- alert ---- */

typedef struct fault__scan {
    fault_world *w;
    const char *table;
    char *err;
    size_t errlen;
} fault__scan;

static int fault__bad(fault__scan *s, const char *key, const char *what)
{
    fault__errf(s->err, s->errlen, "%s/%s is not a %s record", s->table, key, what);
    return HL_EDECODE;
}

static int fault__on_incident(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__Incident *m = hl__incident__unpack(NULL, len, val);
    if (!m)
        return fault__bad(s, key, "hl.Incident");
    fault_incident *in = fault__push(&s->w->inc, &s->w->n_inc, sizeof *in);
    if (!in) {
        hl__incident__free_unpacked(m, NULL);
        return HL_ENOMEM;
    }
    fault__cpy(in->id, sizeof in->id, m->id);
    in->report = strcmp(m->origin, "report") == 0;
    in->reading_count = m->reading_count;
    hl__incident__free_unpacked(m, NULL);
    return 0;
}

static int fault__cmp_inc_id(const void *a, const void *b)
{
    return strcmp(((const fault_incident *)a)->id, ((const fault_incident *)b)->id);
}

static int fault__on_alert_audit(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__IncidentAudit *a = hl__incident_audit__unpack(NULL, len, val);
    if (!a)
        return fault__bad(s, key, "hl.IncidentAudit");
    if (strcmp(a->event, "upstream") == 0) {
        fault_incident probe;
        fault__cpy(probe.id, sizeof probe.id, a->incident_id);
        fault_incident *in =
            bsearch(&probe, s->w->inc, s->w->n_inc, sizeof *s->w->inc, fault__cmp_inc_id);
        if (in)
            in->upstream_audits++;
    }
    hl__incident_audit__free_unpacked(a, NULL);
    return 0;
}

static int fault__on_dead(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__Envelope *e = hl__envelope__unpack(NULL, len, val);
    if (!e)
        return fault__bad(s, key, "hl.Envelope");
    int rc = 0;
    if (strcmp(e->type, "playbook.alert") == 0) {
        Hl__PlanTrigger *pt = hl__plan_trigger__unpack(NULL, e->payload.len, e->payload.data);
        if (pt && pt->alert) {
            fault_refusal *r = fault__push(&s->w->ref, &s->w->n_ref, sizeof *r);
            if (!r) {
                rc = HL_ENOMEM;
            } else {
                fault__cpy(r->incident_id, sizeof r->incident_id, pt->alert->incident_id);
                snprintf(r->why, sizeof r->why, "%s",
                         e->error && e->error->message ? e->error->message : "");
            }
        }
        if (pt)
            hl__plan_trigger__free_unpacked(pt, NULL);
    }
    hl__envelope__free_unpacked(e, NULL);
    return rc;
}

int fault_store_read_alert(const char *data_dir, fault_world *w, char *err, size_t errlen)
{
    fault__ro ro;
    int rc = fault__ro_open(data_dir, "alert", &ro, err, errlen);
    if (rc < 0)
        return rc;
    fault__scan s = {w, "incidents", err, errlen};
    size_t first = w->n_inc;
    if ((rc = hl_kv_scan(ro.t, "incidents", "", fault__on_incident, &s)) == 0) {
        /* Only this store's incidents get their audit counted; sorted by id (the scan of
         * "incidents" gives key order already) for the lookups. */
        fault_world part = *w;
        part.inc = w->inc + first;
        part.n_inc = w->n_inc - first;
        qsort(part.inc, part.n_inc, sizeof *part.inc, fault__cmp_inc_id);
        fault__scan a = {&part, "audit", err, errlen};
        rc = hl_kv_scan(ro.t, "audit", "", fault__on_alert_audit, &a);
    }
    if (rc == 0) {
        s.table = "_dead";
        rc = hl_kv_scan(ro.t, "_dead", "", fault__on_dead, &s);
    }
    if (rc < 0 && err && !err[0])
        fault__errf(err, errlen, "%s: %s", ro.dir, hl_strerror(rc));
    fault__ro_close(&ro);
    return rc;
}

/* ---- playbook ---- */

static int fault__on_plan(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__Plan *m = hl__plan__unpack(NULL, len, val);
    if (!m)
        return fault__bad(s, key, "hl.Plan");
    fault_pl *p = fault__push(&s->w->plans, &s->w->n_plans, sizeof *p);
    if (!p) {
        hl__plan__free_unpacked(m, NULL);
        return HL_ENOMEM;
    }
    fault__cpy(p->id, sizeof p->id, m->id);
    fault__cpy(p->incident_id, sizeof p->incident_id, m->incident_id);
    p->revision = m->revision;
    p->updates = m->updates;
    p->wants_reservation = strncmp(m->reservation_state, "not requested", 13) != 0;
    int rc = 0;
    if (m->n_task_ids) {
        p->task_ids = calloc(m->n_task_ids, sizeof *p->task_ids);
        if (!p->task_ids) {
            rc = HL_ENOMEM;
        } else {
            for (size_t i = 0; i < m->n_task_ids; i++)
                fault__cpy(p->task_ids[i], sizeof p->task_ids[i], m->task_ids[i]);
            p->n_task_ids = m->n_task_ids;
        }
    }
    hl__plan__free_unpacked(m, NULL);
    return rc;
}

/* A plan's index names the task ids sent to dispatch for its revision, withdrawn ones too:
 * add those the plan itself no longer names. */
static int fault__on_plan_index(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__PlanIndex *ix = hl__plan_index__unpack(NULL, len, val);
    if (!ix)
        return fault__bad(s, key, "hl.PlanIndex");
    fault_pl *p = NULL;
    for (size_t i = 0; i < s->w->n_plans && !p; i++)
        if (strcmp(s->w->plans[i].id, ix->plan_id) == 0)
            p = &s->w->plans[i];
    int rc = 0;
    for (size_t k = 0; p && rc == 0 && k < ix->n_task_ids; k++) {
        int named = 0;
        for (size_t t = 0; t < p->n_task_ids && !named; t++)
            named = strcmp(p->task_ids[t], ix->task_ids[k]) == 0;
        if (named)
            continue;
        char(*ids)[FAULT_ID_MAX + 1] = realloc(p->task_ids, (p->n_task_ids + 1) * sizeof *ids);
        if (!ids) {
            rc = HL_ENOMEM;
            break;
        }
        p->task_ids = ids;
        fault__cpy(p->task_ids[p->n_task_ids++], FAULT_ID_MAX + 1, ix->task_ids[k]);
    }
    hl__plan_index__free_unpacked(ix, NULL);
    return rc;
}

int fault_store_read_playbook(const char *data_dir, fault_world *w, char *err, size_t errlen)
{
    fault__ro ro;
    int rc = fault__ro_open(data_dir, "playbook", &ro, err, errlen);
    if (rc < 0)
        return rc;
    fault__scan s = {w, "plans", err, errlen};
    rc = hl_kv_scan(ro.t, "plans", "", fault__on_plan, &s);
    if (rc == 0) {
        s.table = "incident_plans";
        rc = hl_kv_scan(ro.t, "incident_plans", "", fault__on_plan_index, &s);
    }
    if (rc < 0 && err && !err[0])
        fault__errf(err, errlen, "%s: %s", ro.dir, hl_strerror(rc));
    fault__ro_close(&ro);
    return rc;
}

/* ---- dispatch ---- */

static int fault__on_task(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__Task *m = hl__task__unpack(NULL, len, val);
    if (!m)
        return fault__bad(s, key, "hl.Task");
    fault_task *t = fault__push(&s->w->tasks, &s->w->n_tasks, sizeof *t);
    if (!t) {
        hl__task__free_unpacked(m, NULL);
        return HL_ENOMEM;
    }
    fault__cpy(t->id, sizeof t->id, m->id);
    fault__cpy(t->unit_id, sizeof t->unit_id, m->unit_id);
    fault__cpy(t->state, sizeof t->state, m->state);
    t->revisions = m->revisions;
    t->delivery_attempts = m->delivery_attempts;
    t->notice = m->escalation_of && m->escalation_of[0];
    hl__task__free_unpacked(m, NULL);
    return 0;
}

static int fault__cmp_task_id(const void *a, const void *b)
{
    return strcmp(((const fault_task *)a)->id, ((const fault_task *)b)->id);
}

static int fault__on_task_audit(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__AuditEntry *e = hl__audit_entry__unpack(NULL, len, val);
    if (!e)
        return fault__bad(s, key, "hl.AuditEntry");
    fault_task probe;
    fault__cpy(probe.id, sizeof probe.id, e->task_id);
    fault_task *t =
        bsearch(&probe, s->w->tasks, s->w->n_tasks, sizeof *s->w->tasks, fault__cmp_task_id);
    int to = fault_task_state_parse(e->to);
    if (!t)
        s->w->audit_unknown++;
    else if (to >= 0)
        t->audit_to[to]++;
    hl__audit_entry__free_unpacked(e, NULL);
    return 0;
}

int fault_store_read_dispatch(const char *data_dir, fault_world *w, char *err, size_t errlen)
{
    fault__ro ro;
    int rc = fault__ro_open(data_dir, "dispatch", &ro, err, errlen);
    if (rc < 0)
        return rc;
    fault__scan s = {w, "tasks", err, errlen};
    if ((rc = hl_kv_scan(ro.t, "tasks", "", fault__on_task, &s)) == 0) {
        /* "tasks" is scanned in key (= id) order, so the array is sorted for bsearch as long
         * as it held no tasks before; sort anyway in case it did. */
        if (w->n_tasks > 1)
            qsort(w->tasks, w->n_tasks, sizeof *w->tasks, fault__cmp_task_id);
        s.table = "audit";
        rc = hl_kv_scan(ro.t, "audit", "", fault__on_task_audit, &s);
    }
    if (rc < 0 && err && !err[0])
        fault__errf(err, errlen, "%s: %s", ro.dir, hl_strerror(rc));
    fault__ro_close(&ro);
    return rc;
}

/* ---- stock ---- */

int fault_store_add_stock(fault_world *w, const Hl__StockList *first, const Hl__StockList *now,
                          const Hl__LedgerTotals *ledger)
{
    for (size_t i = 0; i < now->n_items; i++) {
        const Hl__StockItem *it = now->items[i];
        fault_stock *s = fault__push(&w->stock, &w->n_stock, sizeof *s);
        if (!s)
            return HL_ENOMEM;
        fault__cpy(s->depot_id, sizeof s->depot_id, it->depot_id);
        fault__cpy(s->material_id, sizeof s->material_id, it->material_id);
        s->on_hand = it->on_hand;
        s->reserved = it->reserved;
        s->issued = it->issued;
        for (size_t k = 0; first && k < first->n_items; k++) {
            const Hl__StockItem *f = first->items[k];
            if (strcmp(f->depot_id, it->depot_id) == 0 &&
                strcmp(f->material_id, it->material_id) == 0)
                s->baseline = f->on_hand + f->issued;
        }
        s->received = s->baseline;
        for (size_t k = 0; ledger && k < ledger->n_items; k++) {
            const Hl__LedgerTotal *l = ledger->items[k];
            if (strcmp(l->depot_id, it->depot_id) != 0 ||
                strcmp(l->material_id, it->material_id) != 0)
                continue;
            /* stock.proto LedgerTotal: on_hand = the inflows − the outflows. */
            s->in_ledger = 1;
            s->received = l->received + l->returned + l->transferred_in + l->adjusted_in;
            s->other_out = l->consumed + l->transferred_out + l->written_off + l->adjusted_out;
            s->l_on_hand = l->on_hand;
            s->l_reserved = l->reserved;
            s->l_issued = l->issued;
        }
    }
    return 0;
}

int fault_store_add_reservation(fault_world *w, const Hl__Reservation *r)
{
    fault_rsv *v = fault__push(&w->rsv, &w->n_rsv, sizeof *v);
    if (!v)
        return HL_ENOMEM;
    fault__cpy(v->id, sizeof v->id, r->id);
    fault__cpy(v->plan_id, sizeof v->plan_id, r->plan_id);
    fault__cpy(v->incident_id, sizeof v->incident_id, r->incident_id);
    fault__cpy(v->state, sizeof v->state, r->state);
    if (r->n_lines) {
        v->lines = calloc(r->n_lines, sizeof *v->lines);
        if (!v->lines)
            return HL_ENOMEM;
        for (size_t k = 0; k < r->n_lines; k++) {
            fault__cpy(v->lines[k].depot_id, sizeof v->lines[k].depot_id, r->lines[k]->depot_id);
            fault__cpy(v->lines[k].material_id, sizeof v->lines[k].material_id,
                       r->lines[k]->material_id);
            v->lines[k].quantity = r->lines[k]->quantity;
        }
        v->n_lines = r->n_lines;
    }
    return 0;
}

static int fault__on_reservation(const char *key, const void *val, size_t len, void *ud)
{
    fault__scan *s = ud;
    Hl__Reservation *m = hl__reservation__unpack(NULL, len, val);
    if (!m)
        return fault__bad(s, key, "hl.Reservation");
    int rc = fault_store_add_reservation(s->w, m);
    hl__reservation__free_unpacked(m, NULL);
    return rc;
}

int fault_store_read_reservations(const char *data_dir, fault_world *w, char *err, size_t errlen)
{
    fault__ro ro;
    int rc = fault__ro_open(data_dir, "stock", &ro, err, errlen);
    if (rc < 0)
        return rc;
    fault__scan s = {w, "reservation", err, errlen};
    rc = hl_kv_scan(ro.t, "reservation", "", fault__on_reservation, &s);
    if (rc < 0 && err && !err[0])
        fault__errf(err, errlen, "%s: %s", ro.dir, hl_strerror(rc));
    fault__ro_close(&ro);
    return rc;
}

/* ---- partner exports ---- */

static const char *fault__jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

int fault_store_add_export(fault_world *w, const char *unit, const char *json_text, char *err,
                           size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loads(json_text, 0, &je);
    json_t *tasks = doc ? json_object_get(doc, "tasks") : NULL;
    if (!json_is_array(tasks)) {
        fault__errf(err, errlen, "export of %s: %s", unit, doc ? "no \"tasks\" array" : je.text);
        json_decref(doc);
        return HL_EPARSE;
    }
    int rc = 0;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        json_t *sc = json_object_get(t, "shown_count");
        const char *id = fault__jstr(t, "id");
        if (!id[0] || !json_is_integer(sc)) {
            fault__errf(err, errlen, "export of %s: task %zu lacks id or shown_count", unit, i);
            rc = HL_EPARSE;
            break;
        }
        fault_shown *s = fault__push(&w->shown, &w->n_shown, sizeof *s);
        if (!s) {
            rc = HL_ENOMEM;
            break;
        }
        fault__cpy(s->unit_id, sizeof s->unit_id, unit);
        fault__cpy(s->task_id, sizeof s->task_id, id);
        s->shown_count = (uint32_t)json_integer_value(sc);
        s->deliveries = (uint32_t)json_integer_value(json_object_get(t, "deliveries"));
        s->task_revisions = (uint32_t)json_integer_value(json_object_get(t, "task_revisions"));
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(t, "answers"), k, a)
        {
            const char *action = fault__jstr(a, "action");
            const char *status = fault__jstr(a, "status");
            int to = strcmp(action, "ack") == 0        ? FAULT_TS_ACKNOWLEDGED
                     : strcmp(action, "decline") == 0  ? FAULT_TS_DECLINED
                     : strcmp(action, "complete") == 0 ? FAULT_TS_COMPLETED
                                                       : -1;
            if (strcmp(status, "confirmed") == 0 && to >= 0)
                s->confirmed[to]++;
            else if (strcmp(status, "owed") == 0)
                s->owed++;
        }
    }
    if (rc == 0) {
        char(*slot)[FAULT_ID_MAX + 1] = fault__push(&w->exported, &w->n_exported, sizeof *slot);
        if (!slot)
            rc = HL_ENOMEM;
        else
            fault__cpy(*slot, sizeof *slot, unit);
    }
    json_decref(doc);
    return rc;
}
