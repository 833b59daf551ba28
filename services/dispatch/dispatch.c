/* dispatch.c — dispatch's handlers (dispatch.h). The state rules are task.c's; this file
 * moves records between the store, the gateway and the event socket. */
#include "dispatch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "dispatch.pb-c.h"
#include "dispatch_int.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

/* ---- helpers ---- */

static const char *dispatch__str(const char *s)
{
    return s ? s : "";
}

dispatch_unit *dispatch_unit_of(dispatch *d, const char *id)
{
    const unit_info *u = units_find(d->roster, id);
    return u ? &d->units[u - d->roster->units] : NULL;
}

int dispatch_unit_connected(const dispatch_unit *du, int64_t now_real)
{
    return du->last_hello_real_ms > 0 && now_real - du->last_hello_real_ms < DISPATCH_STALE_MS;
}

int dispatch_task_status(const Hl__Task *t, task_status *st)
{
    memset(st, 0, sizeof *st);
    st->delivered_ms = t->delivered_ms;
    st->acknowledged_ms = t->acknowledged_ms;
    st->declined_ms = t->declined_ms;
    st->completed_ms = t->completed_ms;
    st->withdrawn_ms = t->withdrawn_ms;
    return task_state_parse(t->state, &st->state);
}

void dispatch_task_set_status(Hl__Task *t, const task_status *st)
{
    t->state = (char *)task_state_name(st->state);
    t->delivered_ms = st->delivered_ms;
    t->acknowledged_ms = st->acknowledged_ms;
    t->declined_ms = st->declined_ms;
    t->completed_ms = st->completed_ms;
    t->withdrawn_ms = st->withdrawn_ms;
}

int dispatch_task_owed(const Hl__Task *t)
{
    if (strcmp(t->state, "pending") == 0)
        return 1;
    if (t->revisions <= t->revision_receipted)
        return 0;
    /* A task withdrawn before any push never reached the unit: there is nothing to call
     * off there. A unit that declined or completed its task is done with it: a revision is
     * recorded but not pushed. */
    if (strcmp(t->state, "withdrawn") == 0)
        return t->delivered_ms > 0 || t->delivery_attempts > 0;
    return strcmp(t->state, "delivered") == 0 || strcmp(t->state, "acknowledged") == 0;
}

int dispatch_push_touched(dispatch *d, hl_req *r, const unsigned char *touched)
{
    int64_t now_real = hl_real_now_ms();
    for (size_t u = 0; u < d->roster->n; u++) {
        if (!touched[u] || !dispatch_unit_connected(&d->units[u], now_real))
            continue;
        int rc = dispatch_push_pending(d, r, d->roster->units[u].id, &d->units[u],
                                       now_real - d->resend_ms);
        if (rc < 0) {
            hl_error("cannot push to %s: %s", d->roster->units[u].id, hl_strerror(rc));
            return rc;
        }
    }
    return 0;
}

void dispatch_tasks_free(Hl__Task ***tasks, size_t n)
{
    for (size_t i = 0; *tasks && i < n; i++)
        if ((*tasks)[i])
            hl__task__free_unpacked((*tasks)[i], NULL);
    free(*tasks);
    *tasks = NULL;
}

void dispatch_cut(char *dst, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, text, n);
    dst[n] = '\0';
}

int dispatch_task_record(hl_req *r, Hl__Task *t, const task_step *steps, size_t nsteps, int created,
                         const char *actor, const char *reason, int64_t claimed_ms)
{
    int rc = dstore_task_put(r->txn, t);
    for (size_t i = 0; rc == 0 && i < (created ? 1 : nsteps); i++) {
        Hl__AuditEntry e = HL__AUDIT_ENTRY__INIT;
        e.task_id = t->id;
        e.from = created ? "" : (char *)task_state_name(steps[i].from);
        e.to = created ? "pending" : (char *)task_state_name(steps[i].to);
        e.actor = (char *)dispatch__str(actor);
        e.at_ms = r->now_ms;
        e.reason = (char *)dispatch__str(reason);
        e.claimed_ms = claimed_ms;
        rc = dstore_audit_append(r->txn, &e);
    }
    if (rc == 0)
        rc = hl_svc_publish(r, "task.state", &t->base);
    return rc;
}

int dispatch_push_pending(dispatch *d, hl_req *r, const char *unit, dispatch_unit *du,
                          int64_t before_real)
{
    int n = dstore_pending_list(r->txn, unit, before_real, d->pend, DISPATCH_PUSH_BATCH);
    if (n < 0)
        return n;
    int64_t now_real = hl_real_now_ms();
    for (int i = 0; i < n; i++) {
        Hl__Task *stored = NULL;
        int rc = dstore_task_get(r->txn, d->pend[i].task_id, &stored);
        if (rc < 0) {
            hl_error("pending entry %s names task %s: %s", d->pend[i].key, d->pend[i].task_id,
                     hl_strerror(rc));
            return rc;
        }
        if (!dispatch_task_owed(stored)) {
            /* Left behind by a change that did not remove it: nothing is owed. */
            rc = dstore_pending_del(r->txn, unit, stored->seq);
            hl__task__free_unpacked(stored, NULL);
            if (rc < 0)
                return rc;
            continue;
        }
        Hl__Task t = *stored;
        t.delivery_attempts++;
        Hl__TaskDelivery dv = HL__TASK_DELIVERY__INIT;
        dv.task = &t;
        dv.revision = t.revisions;
        if ((rc = dstore_task_put(r->txn, &t)) == 0 &&
            (rc = dstore_pending_put(r->txn, unit, t.seq, t.id, now_real)) == 0)
            rc = hl_svc_push(r, du->peer, "task.deliver", &dv.base);
        hl__task__free_unpacked(stored, NULL);
        if (rc < 0)
            return rc;
    }
    if (n > 0)
        hl_debug("pushed %d task(s) to %s", n, unit);
    return 0;
}

static ProtobufCMessage *dispatch__payload(hl_req *r, const ProtobufCMessageDescriptor *desc)
{
    return hl_msg_unpack(desc, r->env->payload.data, r->env->payload.len);
}

/* ---- dispatch.tasks ---- */

static int dispatch__tasks_check(dispatch *d, hl_req *r, const Hl__TaskBatch *b)
{
    char field[64], msg[256];
    if (b->n_tasks > HL_LIST_MAX)
        return hl_req_fail(r, HL_ETOOBIG, "tasks", "%zu tasks in one batch, at most %d", b->n_tasks,
                           HL_LIST_MAX);
    if (b->incident_id[0] && hl_id_check(b->incident_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "incident_id", "batch incident_id is not an id");
    if (b->plan_id[0] && hl_id_check(b->plan_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "plan_id", "batch plan_id is not an id");
    esc_level lv;
    if (b->level[0] && esc_level_parse(b->level, &lv) < 0)
        return hl_req_fail(r, HL_EINVAL, "level",
                           "batch level '%.32s' is not a warning level (蓝 黄 橙 红, blue … red) "
                           "or response level (I … IV)",
                           b->level);
    for (size_t i = 0; i < b->n_tasks; i++) {
        int rc = task_check(b->tasks[i], i, field, sizeof field, msg, sizeof msg);
        if (rc < 0)
            return hl_req_fail(r, rc, field, "%s", msg);
        if (!units_find(d->roster, b->tasks[i]->unit_id)) {
            snprintf(field, sizeof field, "tasks[%zu].unit_id", i);
            return hl_req_fail(r, HL_ENOTFOUND, field,
                               "task %s (tasks[%zu]): unknown unit '%s' (not in %s)",
                               b->tasks[i]->id, i, b->tasks[i]->unit_id, d->roster->file);
        }
    }
    return 0;
}

int dispatch_task_create(hl_req *r, Hl__Task *t, const char *actor)
{
    char counter[HL_ID_MAX + 8];
    snprintf(counter, sizeof counter, "unit:%s", t->unit_id);
    uint64_t seq;
    int rc = hl_seq_next(r->txn, counter, &seq);
    if (rc < 0)
        return rc;
    if (t->created_ms <= 0)
        t->created_ms = r->now_ms;
    t->seq = seq;
    task_status st = {.state = TASK_PENDING};
    dispatch_task_set_status(t, &st);
    t->actor = (char *)actor;
    t->reason = "";
    t->delivery_attempts = 0;
    char key[DSTORE_KEY_MAX + 1];
    dstore_unit_key(t->unit_id, seq, key);
    if ((rc = hl_kv_put(r->txn, "by_unit", key, t->id, strlen(t->id))) < 0 ||
        (rc = dstore_pending_put(r->txn, t->unit_id, seq, t->id, 0)) < 0)
        return rc;
    return dispatch_task_record(r, t, NULL, 0, 1, actor, NULL, 0);
}

static int dispatch__tasks_store(dispatch *d, hl_req *r, const Hl__TaskBatch *b, Hl__Task **stored,
                                 Hl__Task *fresh, Hl__Task **out, unsigned char *touched)
{
    const char *actor = r->env->sender_unit[0] ? r->env->sender_unit : r->peer;
    for (size_t i = 0; i < b->n_tasks; i++) {
        const Hl__Task *in = b->tasks[i];
        int rc = dstore_task_get(r->txn, in->id, &stored[i]);
        if (rc == 0) {
            /* Already stored (a resend, a replay, or a repeat inside this batch): the stored
             * task stands. A different unit would mean two plans reuse an id: say so. */
            if (strcmp(stored[i]->unit_id, in->unit_id) != 0)
                hl_warn("task %s resent for unit %s but stored for unit %s; kept as stored", in->id,
                        in->unit_id, stored[i]->unit_id);
            out[i] = stored[i];
            continue;
        }
        if (rc != HL_ENOTFOUND)
            return hl_req_fail(r, rc, "tasks[].id", "task %s: cannot read the store: %s", in->id,
                               hl_strerror(rc));
        Hl__Task *t = &fresh[i];
        *t = *in;
        if (!t->incident_id[0])
            t->incident_id = b->incident_id;
        if (!t->plan_id[0])
            t->plan_id = b->plan_id;
        /* One spelling per level whatever word the playbook used (a warning level by its
         * Chinese name, a response level as IV … I), so that every reader sees the same
         * (checked in dispatch__tasks_check). */
        const char *level = esc_level_canon(t->level[0] ? t->level : b->level);
        t->level = level ? (char *)level : "";
        if ((rc = dispatch_task_create(r, t, actor)) < 0 ||
            (rc = escalate_task_stored(d, r, t)) < 0)
            return hl_req_fail(r, rc, "tasks", "task %s: cannot store: %s", t->id, hl_strerror(rc));
        touched[units_find(d->roster, t->unit_id) - d->roster->units] = 1;
        out[i] = t;
    }
    return 0;
}

static int dispatch__on_tasks(hl_req *r, void *ud)
{
    dispatch *d = ud;
    Hl__TaskBatch *b = (Hl__TaskBatch *)dispatch__payload(r, &hl__task_batch__descriptor);
    if (!b)
        return hl_req_fail(r, HL_EDECODE, "payload", "dispatch.tasks: payload is not a TaskBatch");
    int rc = dispatch__tasks_check(d, r, b);
    size_t n = b->n_tasks;
    Hl__Task **stored = NULL, **out = NULL, *fresh = NULL;
    unsigned char *touched = NULL;
    if (rc < 0)
        goto done;
    stored = calloc(n + 1, sizeof *stored);
    out = calloc(n + 1, sizeof *out);
    fresh = calloc(n + 1, sizeof *fresh);
    touched = calloc(d->roster->n, 1);
    if (!stored || !out || !fresh || !touched) {
        rc = hl_req_fail(r, HL_ENOMEM, "tasks", "out of memory for %zu tasks", n);
        goto done;
    }
    if ((rc = dispatch__tasks_store(d, r, b, stored, fresh, out, touched)) < 0)
        goto done;
    /* New tasks for a unit whose partner is connected go out now, not at the next sweep. */
    if ((rc = dispatch_push_touched(d, r, touched)) < 0) {
        rc = hl_req_fail(r, rc, "tasks", "cannot push the new tasks: %s", hl_strerror(rc));
        goto done;
    }
    Hl__TaskList list = HL__TASK_LIST__INIT;
    list.n_tasks = n;
    list.tasks = out;
    rc = hl_req_reply(r, r->env->type, &list.base);
done:
    dispatch_tasks_free(&stored, n);
    free(out);
    free(fresh);
    free(touched);
    hl__task_batch__free_unpacked(b, NULL);
    return rc;
}

/* ---- queries ---- */

/* Room for one more element in an array of n (capacity *cap, doubling from 64): the array,
 * possibly moved, or NULL when out of memory (the old one is then still valid). */
static void *dispatch__grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t c = *cap ? *cap * 2 : 64;
    void *na = realloc(arr, c * elem);
    if (na)
        *cap = c;
    return na;
}

typedef struct dispatch__tasks_acc {
    hl_txn *txn;
    const Hl__ListQuery *q;
    size_t limit, n, cap;
    Hl__Task **tasks;
} dispatch__tasks_acc;

static int dispatch__acc_add(dispatch__tasks_acc *a, Hl__Task *t)
{
    if (a->q->incident_id[0] && strcmp(a->q->incident_id, t->incident_id) != 0) {
        hl__task__free_unpacked(t, NULL);
        return 0;
    }
    Hl__Task **nt = dispatch__grow(a->tasks, &a->cap, a->n, sizeof *nt);
    if (!nt) {
        hl__task__free_unpacked(t, NULL);
        return HL_ENOMEM;
    }
    a->tasks = nt;
    a->tasks[a->n++] = t;
    return a->n >= a->limit ? 1 : 0;
}

static int dispatch__scan_task(const char *key, const void *val, size_t len, void *ud)
{
    (void)key;
    Hl__Task *t = hl__task__unpack(NULL, len, val);
    if (!t)
        return HL_EDECODE;
    return dispatch__acc_add(ud, t);
}

static int dispatch__scan_by_unit(const char *key, const void *val, size_t len, void *ud)
{
    dispatch__tasks_acc *a = ud;
    char id[HL_ID_MAX + 1];
    if (len == 0 || len > HL_ID_MAX)
        return HL_EDECODE;
    memcpy(id, val, len);
    id[len] = '\0';
    Hl__Task *t = NULL;
    int rc = dstore_task_get(a->txn, id, &t);
    if (rc < 0) {
        hl_error("by_unit %s names task %s: %s", key, id, hl_strerror(rc));
        return rc;
    }
    return dispatch__acc_add(a, t);
}

static size_t dispatch__limit(const Hl__ListQuery *q)
{
    return q->limit == 0 || q->limit > DISPATCH_LIST_DEFAULT ? DISPATCH_LIST_DEFAULT : q->limit;
}

static int dispatch__on_list(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery *q = (Hl__ListQuery *)dispatch__payload(r, &hl__list_query__descriptor);
    if (!q)
        return hl_req_fail(r, HL_EDECODE, "payload", "dispatch.list: payload is not a ListQuery");
    dispatch__tasks_acc a = {.txn = r->txn, .q = q, .limit = dispatch__limit(q)};
    int rc = 0;
    if (q->id[0]) {
        Hl__Task *t = NULL;
        rc = dstore_task_get(r->txn, q->id, &t);
        if (rc == 0 && (!q->unit_id[0] || strcmp(q->unit_id, t->unit_id) == 0))
            rc = dispatch__acc_add(&a, t);
        else if (rc == 0)
            hl__task__free_unpacked(t, NULL);
        if (rc == HL_ENOTFOUND || rc > 0)
            rc = 0;
    } else if (q->unit_id[0]) {
        char prefix[HL_ID_MAX + 2];
        snprintf(prefix, sizeof prefix, "%.64s/", q->unit_id);
        rc = hl_kv_scan(r->txn, "by_unit", prefix, dispatch__scan_by_unit, &a);
    } else {
        rc = hl_kv_scan(r->txn, "tasks", "", dispatch__scan_task, &a);
    }
    if (rc < 0) {
        rc = hl_req_fail(r, rc, "", "dispatch.list: cannot read the store: %s", hl_strerror(rc));
    } else {
        Hl__TaskList list = HL__TASK_LIST__INIT;
        list.n_tasks = a.n;
        list.tasks = a.tasks;
        rc = hl_req_reply(r, r->env->type, &list.base);
    }
    for (size_t i = 0; i < a.n; i++)
        hl__task__free_unpacked(a.tasks[i], NULL);
    free(a.tasks);
    hl__list_query__free_unpacked(q, NULL);
    return rc;
}

static int dispatch__on_units(hl_req *r, void *ud)
{
    dispatch *d = ud;
    const units_roster *ro = d->roster;
    Hl__Unit *units = calloc(ro->n, sizeof *units);
    Hl__Unit **ptrs = calloc(ro->n, sizeof *ptrs);
    int rc;
    if (!units || !ptrs) {
        rc = hl_req_fail(r, HL_ENOMEM, "", "dispatch.units: out of memory");
        goto done;
    }
    int64_t now_real = hl_real_now_ms();
    for (size_t i = 0; i < ro->n; i++) {
        const unit_info *u = &ro->units[i];
        Hl__Unit *x = &units[i];
        hl__unit__init(x);
        x->id = (char *)u->id;
        x->name = (char *)u->name;
        x->side = (char *)u->side;
        x->reports_to = (char *)u->reports_to;
        x->connected = dispatch_unit_connected(&d->units[i], now_real);
        x->last_seen_ms = d->units[i].last_seen_ms;
        x->name_en = (char *)u->name_en;
        x->duty = (char *)u->duty;
        x->jurisdiction = (char *)u->jurisdiction;
        ptrs[i] = x;
    }
    Hl__UnitList list = HL__UNIT_LIST__INIT;
    list.n_units = ro->n;
    list.units = ptrs;
    rc = hl_req_reply(r, r->env->type, &list.base);
done:
    free(units);
    free(ptrs);
    return rc;
}

typedef struct dispatch__audit_acc {
    const char *task_id;
    size_t limit, n, cap;
    Hl__AuditEntry **e;
} dispatch__audit_acc;

static int dispatch__scan_audit(const char *key, const void *val, size_t len, void *ud)
{
    (void)key;
    dispatch__audit_acc *a = ud;
    Hl__AuditEntry *e = hl__audit_entry__unpack(NULL, len, val);
    if (!e)
        return HL_EDECODE;
    if (a->task_id[0] && strcmp(a->task_id, e->task_id) != 0) {
        hl__audit_entry__free_unpacked(e, NULL);
        return 0;
    }
    Hl__AuditEntry **ne = dispatch__grow(a->e, &a->cap, a->n, sizeof *ne);
    if (!ne) {
        hl__audit_entry__free_unpacked(e, NULL);
        return HL_ENOMEM;
    }
    a->e = ne;
    a->e[a->n++] = e;
    return a->n >= a->limit ? 1 : 0;
}

static int dispatch__on_audit(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery *q = (Hl__ListQuery *)dispatch__payload(r, &hl__list_query__descriptor);
    if (!q)
        return hl_req_fail(r, HL_EDECODE, "payload", "dispatch.audit: payload is not a ListQuery");
    dispatch__audit_acc a = {.task_id = q->id, .limit = dispatch__limit(q)};
    int rc = hl_kv_scan(r->txn, "audit", "", dispatch__scan_audit, &a);
    if (rc < 0) {
        rc = hl_req_fail(r, rc, "", "dispatch.audit: cannot read the store: %s", hl_strerror(rc));
    } else {
        Hl__AuditList list = HL__AUDIT_LIST__INIT;
        list.n_entries = a.n;
        list.entries = a.e;
        rc = hl_req_reply(r, r->env->type, &list.base);
    }
    for (size_t i = 0; i < a.n; i++)
        hl__audit_entry__free_unpacked(a.e[i], NULL);
    free(a.e);
    hl__list_query__free_unpacked(q, NULL);
    return rc;
}

/* ---- partner gateway ---- */

/* The unit behind a gateway request, or an HL_EDENIED reply. Only the connection says who
 * is speaking: PartnerHello.unit_id and Envelope.sender_unit are never believed. */
static int dispatch__auth(dispatch *d, hl_req *r, const char **unit, dispatch_unit **du)
{
    const char *u = r->gateway ? r->auth_unit : NULL;
    dispatch_unit *x = u ? dispatch_unit_of(d, u) : NULL;
    if (!x) {
        /* Only a key admitted for a unit that has since left the roster can get here: the
         * gateway lets in no connection without an admitted key. */
        if (u && r->gateway)
            dispatch_deny_note(d, r, u, "", "a request from a unit outside the roster");
        return hl_req_fail(r, HL_EDENIED, "unit",
                           "%s is not a unit of the roster: partners connect through the "
                           "gateway as their unit",
                           u ? u : "this connection");
    }
    *unit = u;
    *du = x;
    return 0;
}

/* A gateway request's unit (dispatch__auth) and its payload unpacked with desc; NULL after
 * an error reply, whose code is in *rc. */
static ProtobufCMessage *dispatch__gw_in(dispatch *d, hl_req *r,
                                         const ProtobufCMessageDescriptor *desc, const char **unit,
                                         dispatch_unit **du, int *rc)
{
    if ((*rc = dispatch__auth(d, r, unit, du)) < 0)
        return NULL;
    ProtobufCMessage *m = dispatch__payload(r, desc);
    if (!m)
        *rc = hl_req_fail(r, HL_EDECODE, "payload", "%s: payload is not a %s", r->env->type,
                          desc->short_name);
    return m;
}

static int dispatch__on_hello(hl_req *r, void *ud)
{
    dispatch *d = ud;
    /* Set by dispatch__gw_in whenever it returns a message; initialised for the optimiser,
     * which cannot see that (-Wmaybe-uninitialized at -O2). */
    const char *unit = NULL;
    dispatch_unit *du = NULL;
    int rc = 0;
    Hl__PartnerHello *h =
        (Hl__PartnerHello *)dispatch__gw_in(d, r, &hl__partner_hello__descriptor, &unit, &du, &rc);
    if (!h)
        return rc;
    int64_t now_real = hl_real_now_ms();
    if (!dispatch_unit_connected(du, now_real) || strcmp(du->peer, r->peer) != 0)
        hl_info("unit %s connected (agent %.64s)", unit, dispatch__str(h->agent_version));
    hl__partner_hello__free_unpacked(h, NULL);
    du->last_hello_real_ms = now_real;
    du->last_seen_ms = r->now_ms;
    snprintf(du->peer, sizeof du->peer, "%s", r->peer);
    if ((rc = dstore_unit_seen_put(r->txn, unit, r->now_ms)) < 0 ||
        (rc = dispatch_push_pending(d, r, unit, du, INT64_MAX)) < 0)
        return hl_req_fail(r, rc, "", "partner.hello from %s: %s", unit, hl_strerror(rc));
    return hl_req_reply(r, r->env->type, NULL);
}

/* Look up the task a partner names and check it is the partner's own: anything else is
 * refused with HL_EDENIED and kept for the audit log. */
static int dispatch__own_task(dispatch *d, hl_req *r, const char *unit, const char *task_id,
                              task_event ev, Hl__Task **out)
{
    *out = NULL;
    if (hl_id_check(task_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "task_id", "task_id is missing or not an id");
    int rc = dstore_task_get(r->txn, task_id, out);
    if (rc == HL_ENOTFOUND)
        return hl_req_fail(r, HL_ENOTFOUND, "task_id", "no task %s", task_id);
    if (rc < 0)
        return hl_req_fail(r, rc, "task_id", "task %s: cannot read the store: %s", task_id,
                           hl_strerror(rc));
    if (strcmp((*out)->unit_id, unit) != 0) {
        char what[96];
        snprintf(what, sizeof what, "%s of a task of %.64s", task_event_name(ev), (*out)->unit_id);
        hl_warn("unit %s tried the %s of task %s (unit %s): refused", unit, task_event_name(ev),
                task_id, (*out)->unit_id);
        dispatch_deny_note(d, r, unit, task_id, what);
        hl__task__free_unpacked(*out, NULL);
        *out = NULL;
        return hl_req_fail(r, HL_EDENIED, "task_id", "task %s is not a task of %s", task_id, unit);
    }
    return 0;
}

/* Apply ev to the partner's task and reply with the task as it stands. */
static int dispatch__answer(dispatch *d, hl_req *r, const char *unit, const char *task_id,
                            task_event ev, const char *reason, int64_t claimed_ms,
                            uint32_t receipt_rev)
{
    Hl__Task *stored = NULL;
    int rc = dispatch__own_task(d, r, unit, task_id, ev, &stored);
    if (rc < 0)
        return rc;
    task_status before;
    task_result res;
    if ((rc = dispatch_task_status(stored, &before)) < 0) {
        rc = hl_req_fail(r, HL_EDECODE, "task_id", "task %s has an unknown stored state '%s'",
                         task_id, stored->state);
        goto done;
    }
    rc = task_apply(&before, ev, r->now_ms, reason, &res);
    if (rc == HL_ESTATE) {
        rc = hl_req_fail(r, HL_ESTATE, "action", "task %s is %s: cannot %s it", task_id,
                         stored->state, task_event_name(ev));
        goto done;
    }
    if (rc < 0) {
        rc = hl_req_fail(r, rc, "reason",
                         rc == HL_ETOOBIG ? "reason longer than %d bytes"
                                          : "a decline needs a reason (at most %d bytes)",
                         HL_TEXT_MAX);
        goto done;
    }
    Hl__Task t = *stored;
    /* A receipt names the revision that arrived (issue 4): once the unit has the latest one,
     * nothing more is pushed. */
    int rev_seen = ev == TASK_EV_RECEIPT && receipt_rev > t.revision_receipted;
    if (rev_seen)
        t.revision_receipted = receipt_rev < t.revisions ? receipt_rev : t.revisions;
    if (res.nsteps > 0 || rev_seen) {
        int owed_before = dispatch_task_owed(stored);
        if (res.nsteps > 0) {
            dispatch_task_set_status(&t, &res.after);
            t.actor = (char *)unit;
            if (ev == TASK_EV_DECLINE)
                t.reason = (char *)reason;
        }
        if (owed_before && !dispatch_task_owed(&t) &&
            (rc = dstore_pending_del(r->txn, unit, t.seq)) < 0) {
            rc = hl_req_fail(r, rc, "", "task %s: %s", task_id, hl_strerror(rc));
            goto done;
        }
    }
    if (res.nsteps == 0 && rev_seen && (rc = dstore_task_put(r->txn, &t)) < 0) {
        rc = hl_req_fail(r, rc, "", "task %s: cannot record: %s", task_id, hl_strerror(rc));
        goto done;
    }
    if (res.nsteps > 0) {
        if ((rc = dispatch_task_record(r, &t, res.steps, res.nsteps, 0, unit,
                                       ev == TASK_EV_DECLINE ? reason : NULL, claimed_ms)) < 0) {
            rc = hl_req_fail(r, rc, "", "task %s: cannot record: %s", task_id, hl_strerror(rc));
            goto done;
        }
        hl_info("task %s %s -> %s by %s", task_id, task_state_name(before.state), t.state, unit);
        if ((rc = escalate_on_answer(d, r, &t, ev, unit, reason)) < 0) {
            rc = hl_req_fail(r, rc, "", "task %s: escalation chain: %s", task_id, hl_strerror(rc));
            goto done;
        }
    }
    rc = hl_req_reply(r, r->env->type, &t.base);
done:
    hl__task__free_unpacked(stored, NULL);
    return rc;
}

static int dispatch__on_receipt(hl_req *r, void *ud)
{
    dispatch *d = ud;
    /* Set by dispatch__gw_in whenever it returns a message; initialised for the optimiser,
     * which cannot see that (-Wmaybe-uninitialized at -O2). */
    const char *unit = NULL;
    dispatch_unit *du = NULL;
    int rc = 0;
    Hl__TaskReceipt *m =
        (Hl__TaskReceipt *)dispatch__gw_in(d, r, &hl__task_receipt__descriptor, &unit, &du, &rc);
    if (!m)
        return rc;
    rc = dispatch__answer(d, r, unit, m->task_id, TASK_EV_RECEIPT, NULL, 0, m->revision);
    hl__task_receipt__free_unpacked(m, NULL);
    return rc;
}

static int dispatch__on_answer(hl_req *r, void *ud)
{
    dispatch *d = ud;
    /* Set by dispatch__gw_in whenever it returns a message; initialised for the optimiser,
     * which cannot see that (-Wmaybe-uninitialized at -O2). */
    const char *unit = NULL;
    dispatch_unit *du = NULL;
    int rc = 0;
    Hl__TaskAnswer *m =
        (Hl__TaskAnswer *)dispatch__gw_in(d, r, &hl__task_answer__descriptor, &unit, &du, &rc);
    if (!m)
        return rc;
    task_event ev;
    if (task_action_parse(m->action, &ev) < 0)
        rc = hl_req_fail(r, HL_EINVAL, "action", "action '%.32s' is not ack, decline or complete",
                         m->action);
    else
        rc = dispatch__answer(d, r, unit, m->task_id, ev, m->reason, m->at_ms, 0);
    hl__task_answer__free_unpacked(m, NULL);
    return rc;
}

/* ---- refusals for the audit log ---- */

void dispatch_deny_note(dispatch *d, hl_req *r, const char *unit, const char *task_id,
                        const char *what)
{
    if (d->ndenied >= DISPATCH_DENIED_MAX) {
        d->denied_lost++;
        hl_error("refusal of %s (%s %s) not audited: %d refusals are waiting already", unit, what,
                 task_id, DISPATCH_DENIED_MAX);
        return;
    }
    dispatch_denial *x = &d->denied[d->ndenied++];
    snprintf(x->unit, sizeof x->unit, "%s", unit);
    snprintf(x->task_id, sizeof x->task_id, "%s", task_id ? task_id : "");
    snprintf(x->what, sizeof x->what, "%s", what);
    x->at_ms = r->now_ms;
}

static int dispatch__deny_flush(dispatch *d, hl_req *r)
{
    for (size_t i = 0; i < d->ndenied; i++) {
        const dispatch_denial *x = &d->denied[i];
        char reason[160];
        snprintf(reason, sizeof reason, "refused (%s): %s", hl_strerror(HL_EDENIED), x->what);
        Hl__AuditEntry e = HL__AUDIT_ENTRY__INIT;
        e.task_id = (char *)x->task_id;
        e.actor = (char *)x->unit;
        e.at_ms = x->at_ms;
        e.reason = reason;
        e.event = "denied";
        e.unit_id = (char *)x->unit;
        int rc = dstore_audit_append(r->txn, &e);
        if (rc < 0)
            return rc; /* kept: the batch is rolled back and the next tick tries again */
    }
    d->ndenied = 0;
    return 0;
}

/* ---- ticks ---- */

/* Resend sweep (DISPATCH_TICK_MS real), and the key table watch. */
static int dispatch__on_tick(hl_req *r, void *ud)
{
    dispatch *d = ud;
    int64_t now_real = hl_real_now_ms();
    for (size_t i = 0; i < d->roster->n; i++) {
        dispatch_unit *du = &d->units[i];
        if (!dispatch_unit_connected(du, now_real))
            continue;
        int rc = dispatch_push_pending(d, r, d->roster->units[i].id, du, now_real - d->resend_ms);
        if (rc < 0)
            return rc;
    }
    return gateway_watch(d);
}

/* Escalation steps that are due, and refusals to audit. Runs often (dispatch__fast_ms) but
 * touches the store only when there is something to write. */
static int dispatch__on_fast_tick(hl_req *r, void *ud)
{
    dispatch *d = ud;
    int rc = d->ndenied ? dispatch__deny_flush(d, r) : 0;
    if (rc == 0 && r->now_ms >= d->esc_next_due)
        rc = escalate_tick(d, r);
    return rc;
}

/* Real ms between fast ticks: a step is taken at most DISPATCH_ESC_LATE_MS of drill time
 * after it is due (plus the time to process the batch), but the timer never runs more often
 * than every DISPATCH_FAST_MIN_MS real ms: each tick costs a (tiny) write transaction, and at
 * a drill's highest scales a few drill seconds of lateness on a timeout of minutes matter
 * less than the machine's time. */
static int64_t dispatch__fast_ms(void)
{
    double scale = hl_clock_get()->scale > 0 ? hl_clock_get()->scale : 1.0;
    double ms = DISPATCH_ESC_LATE_MS / scale;
    return ms < DISPATCH_FAST_MIN_MS   ? DISPATCH_FAST_MIN_MS
           : ms > DISPATCH_ESC_LATE_MS ? DISPATCH_ESC_LATE_MS
                                       : (int64_t)ms;
}

/* ---- life ---- */

static int dispatch__load_seen(dispatch *d)
{
    hl_txn *t = NULL;
    int rc = hl_txn_begin(hl_svc_store(d->svc), NULL, 1, &t);
    if (rc < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < d->roster->n; i++)
        rc = dstore_unit_seen_get(t, d->roster->units[i].id, &d->units[i].last_seen_ms);
    hl_txn_abort(&t);
    return rc;
}

int dispatch_new(hl_svc *svc, const units_roster *roster, const char *gw_endpoint,
                 const char *data_dir, dispatch **out, char *err, size_t errlen)
{
    *out = NULL;
    dispatch *d = calloc(1, sizeof *d);
    if (!d)
        return HL_ENOMEM;
    d->svc = svc;
    d->roster = roster;
    d->units = calloc(roster->n, sizeof *d->units);
    d->pend = calloc(DISPATCH_PUSH_BATCH, sizeof *d->pend);
    d->denied = calloc(DISPATCH_DENIED_MAX, sizeof *d->denied);
    const hl_config *cfg = hl_svc_config(svc);
    d->resend_ms = cfg->resend_ms > 0 ? cfg->resend_ms : 1000;
    d->esc_next_due = INT64_MAX;
    int rc = HL_ENOMEM;
    snprintf(err, errlen, "out of memory");
    if (!d->units || !d->pend || !d->denied)
        goto fail;
    if ((rc = dispatch__load_seen(d)) < 0 || (rc = escalate_load(d)) < 0) {
        snprintf(err, errlen, "cannot read the store: %s", hl_strerror(rc));
        goto fail;
    }
    if ((rc = hl_svc_on(svc, "dispatch.tasks", dispatch__on_tasks, d, 0)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.revise", revise_on_request, d, 0)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.list", dispatch__on_list, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.units", dispatch__on_units, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.audit", dispatch__on_audit, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.chain", escalate_on_chain, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.keys_reload", gateway_on_reload, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "dispatch.gateway_rekey", gateway_on_rekey, d, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(svc, "partner.hello", dispatch__on_hello, d, HL_H_GATEWAY)) < 0 ||
        (rc = hl_svc_on(svc, "task.receipt", dispatch__on_receipt, d, HL_H_GATEWAY)) < 0 ||
        (rc = hl_svc_on(svc, "task.answer", dispatch__on_answer, d, HL_H_GATEWAY)) < 0 ||
        (rc = hl_svc_every(svc, DISPATCH_TICK_MS, dispatch__on_tick, d)) < 0 ||
        (rc = hl_svc_every(svc, dispatch__fast_ms(), dispatch__on_fast_tick, d)) < 0) {
        snprintf(err, errlen, "cannot register the handlers: %s", hl_strerror(rc));
        goto fail;
    }
    if ((rc = gateway_start(d, gw_endpoint, data_dir, err, errlen)) < 0)
        goto fail;
    if (!roster->esc.enabled)
        hl_warn("%s has no escalation section: unacknowledged tasks are not escalated",
                roster->file);
    hl_svc_set_records_table(svc, "tasks");
    *out = d;
    return 0;
fail:
    dispatch_destroy(&d);
    return rc;
}

void dispatch_destroy(dispatch **d)
{
    if (!d || !*d)
        return;
    gateway_stop(*d);
    free((*d)->units);
    free((*d)->pend);
    free((*d)->denied);
    free(*d);
    *d = NULL;
}
