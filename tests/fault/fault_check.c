/* fault_check.c — the fault test's invariants (fault_check.h). */
#include "fault_check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fault__state_names[FAULT_TS_N] = {"pending",  "delivered", "acknowledged",
                                                           "declined", "completed", "withdrawn"};

int fault_task_state_parse(const char *s)
{
    for (int i = 0; s && i < FAULT_TS_N; i++)
        if (strcmp(s, fault__state_names[i]) == 0)
            return i;
    return -1;
}

void fault_world_free(fault_world *w)
{
    if (!w)
        return;
    for (size_t i = 0; w->plans && i < w->n_plans; i++)
        free(w->plans[i].task_ids);
    for (size_t i = 0; w->rsv && i < w->n_rsv; i++)
        free(w->rsv[i].lines);
    free(w->acc);
    free(w->inc);
    free(w->ref);
    free(w->plans);
    free(w->rsv);
    free(w->stock);
    free(w->act);
    free(w->tasks);
    free(w->shown);
    free(w->exported);
    memset(w, 0, sizeof *w);
}

/* ---- lookups: arrays sorted in place by one string field, then binary search ---- */

#define FAULT__CMP(fn, type, field)                                                                \
    static int fn(const void *a, const void *b)                                                    \
    {                                                                                              \
        return strcmp(((const type *)a)->field, ((const type *)b)->field);                         \
    }
FAULT__CMP(fault__cmp_inc, fault_incident, id)
FAULT__CMP(fault__cmp_acc, fault_accepted, incident_id)
FAULT__CMP(fault__cmp_ref, fault_refusal, incident_id)
FAULT__CMP(fault__cmp_plan, fault_pl, incident_id)
FAULT__CMP(fault__cmp_rsv, fault_rsv, plan_id)
FAULT__CMP(fault__cmp_task, fault_task, id)
FAULT__CMP(fault__cmp_shown, fault_shown, task_id)

static void fault__sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (base && n > 1)
        qsort(base, n, size, cmp);
}

/* The string field at offset off of element i. */
static const char *fault__key(const void *base, size_t stride, size_t off, size_t i)
{
    return (const char *)base + i * stride + off;
}

/* First index whose field is >= key (n if none); the array is sorted by that field. */
static size_t fault__lower(const void *base, size_t n, size_t stride, size_t off, const char *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(fault__key(base, stride, off, mid), key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* [*first, *first + count) are the elements whose field equals key. */
static size_t fault__range(const void *base, size_t n, size_t stride, size_t off, const char *key,
                           size_t *first)
{
    size_t i = fault__lower(base, n, stride, off, key), j = i;
    while (j < n && strcmp(fault__key(base, stride, off, j), key) == 0)
        j++;
    *first = i;
    return j - i;
}

#define FAULT__RANGE(arr, n, type, field, key, first)                                              \
    fault__range((arr), (n), sizeof(type), offsetof(type, field), (key), (first))

/* ---- results ---- */

static const struct {
    const char *name, *says;
} fault__inv_text[FAULT_INV_N] = {
    [FAULT_INV_ACCEPTED] = {"accepted", "every accepted reading or report belongs to an incident, "
                                        "counted once"},
    [FAULT_INV_UPSTREAM] = {"upstream", "alert recorded risk's answer once per incident"},
    [FAULT_INV_PLANNED] = {"planned", "every incident has exactly one plan"},
    [FAULT_INV_RESERVED] = {"reserved",
                            "every plan that asked for materials has exactly one reservation"},
    [FAULT_INV_STOCK] = {"stock", "free + reserved + issued = received for every depot and "
                                  "material; reserved and issued match the reservations"},
    [FAULT_INV_ACTIONS] = {"actions", "every accepted release/issue left its reservation so"},
    [FAULT_INV_TASKS] = {"tasks", "every task of every plan is in dispatch's store"},
    [FAULT_INV_DELIVERED] = {"delivered", "every task was delivered and shown to its partner's "
                                          "application exactly once"},
    [FAULT_INV_ACKS] = {"acks", "every acknowledgement (and other answer) sent was recorded "
                                "once; no task changed state twice"},
};

static void fault__note(fault_inv_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fault__note(fault_inv_result *r, const char *fmt, ...)
{
    if (r->first[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->first, sizeof r->first, fmt, ap);
    va_end(ap);
}

static void fault__lost(fault_inv_result *r, uint64_t n)
{
    r->lost += n;
    r->problems += n;
}

static void fault__twice(fault_inv_result *r, uint64_t n)
{
    r->twice += n;
    r->problems += n;
}

static fault_incident *fault__incident(fault_world *w, const char *id)
{
    size_t i;
    return FAULT__RANGE(w->inc, w->n_inc, fault_incident, id, id, &i) ? &w->inc[i] : NULL;
}

static fault_task *fault__task(fault_world *w, const char *id)
{
    size_t i;
    return FAULT__RANGE(w->tasks, w->n_tasks, fault_task, id, id, &i) ? &w->tasks[i] : NULL;
}

/* ---- the invariants ---- */

static void fault__accepted(fault_world *w, fault_inv_result *r)
{
    /* w->acc is sorted by incident id: count the readings and reports naming each incident. */
    for (size_t i = 0; i < w->n_acc; i++) {
        const fault_accepted *a = &w->acc[i];
        r->checked++;
        if (!a->incident_id[0]) {
            fault__lost(r, 1);
            fault__note(r, "%s %s was accepted but its reply names no incident",
                        a->report ? "report" : "reading", a->msg_id);
            continue;
        }
        const fault_incident *in = fault__incident(w, a->incident_id);
        if (!in) {
            fault__lost(r, 1);
            fault__note(r, "%s %s was accepted into incident %s, which alert's store lacks",
                        a->report ? "report" : "reading", a->msg_id, a->incident_id);
        } else if (a->report && !in->report) {
            /* A reading may join a reported incident (one incident per release); a report
             * always opens its own. */
            fault__lost(r, 1);
            fault__note(r, "report %s named incident %s, which came from readings", a->msg_id,
                        a->incident_id);
        }
    }
    for (size_t i = 0; i < w->n_inc; i++) {
        const fault_incident *in = &w->inc[i];
        size_t first;
        size_t n = FAULT__RANGE(w->acc, w->n_acc, fault_accepted, incident_id, in->id, &first);
        size_t readings = 0, reports = 0;
        for (size_t k = first; k < first + n; k++)
            w->acc[k].report ? reports++ : readings++;
        if (in->report && reports == 0) {
            fault__twice(r, 1);
            fault__note(r, "report incident %s was named by no accepted report", in->id);
        } else if (in->report && reports > 1) {
            fault__twice(r, reports - 1);
            fault__note(r, "report incident %s was named by %zu accepted reports", in->id, reports);
        }
        /* Readings count wherever they joined: an incident of readings, or a reported one
         * its episode was linked to. */
        if (in->reading_count < readings) {
            fault__lost(r, readings - in->reading_count);
            fault__note(r, "incident %s counts %u readings; %zu accepted readings named it", in->id,
                        in->reading_count, readings);
        } else if (in->reading_count > readings) {
            fault__twice(r, in->reading_count - readings);
            fault__note(r, "incident %s counts %u readings; only %zu accepted readings named it",
                        in->id, in->reading_count, readings);
        }
    }
}

static void fault__upstream(fault_world *w, fault_inv_result *r)
{
    for (size_t i = 0; i < w->n_inc; i++) {
        const fault_incident *in = &w->inc[i];
        r->checked++;
        if (in->upstream_audits == 0) {
            fault__lost(r, 1);
            fault__note(r, "incident %s never recorded risk's upstream answer", in->id);
        } else if (in->upstream_audits > 1) {
            fault__twice(r, in->upstream_audits - 1);
            fault__note(r, "incident %s recorded risk's upstream answer %u times", in->id,
                        in->upstream_audits);
        }
    }
}

static void fault__planned(fault_world *w, fault_inv_result *r, uint64_t *refused)
{
    for (size_t i = 0; i < w->n_inc; i++) {
        const fault_incident *in = &w->inc[i];
        size_t first, dead;
        size_t n = FAULT__RANGE(w->plans, w->n_plans, fault_pl, incident_id, in->id, &first);
        r->checked++;
        if (n == 0) {
            size_t rf;
            dead = FAULT__RANGE(w->ref, w->n_ref, fault_refusal, incident_id, in->id, &rf);
            if (dead) {
                (*refused)++;
                continue;
            }
            fault__lost(r, 1);
            fault__note(r, "incident %s has no plan and playbook refused nothing for it", in->id);
        } else if (n > 1) {
            fault__twice(r, n - 1);
            fault__note(r, "incident %s has %zu plans (%s, %s …)", in->id, n, w->plans[first].id,
                        w->plans[first + 1].id);
        }
        for (size_t k = first; k < first + n; k++)
            if (w->plans[k].revision != 1) {
                fault__twice(r, 1);
                fault__note(r, "plan %s is revision %u, but nothing forced a re-plan",
                            w->plans[k].id, w->plans[k].revision);
            }
    }
    for (size_t k = 0; k < w->n_plans; k++)
        if (!fault__incident(w, w->plans[k].incident_id)) {
            fault__twice(r, 1);
            fault__note(r, "plan %s is for incident %s, which alert does not have", w->plans[k].id,
                        w->plans[k].incident_id);
        }
}

static void fault__reserved(fault_world *w, fault_inv_result *r)
{
    for (size_t k = 0; k < w->n_plans; k++) {
        const fault_pl *p = &w->plans[k];
        size_t first;
        size_t n = FAULT__RANGE(w->rsv, w->n_rsv, fault_rsv, plan_id, p->id, &first);
        if (!p->wants_reservation) {
            if (n) {
                fault__twice(r, n);
                fault__note(r, "plan %s asked for no materials but has reservation %s", p->id,
                            w->rsv[first].id);
            }
            continue;
        }
        r->checked++;
        if (n == 0) {
            fault__lost(r, 1);
            fault__note(r, "plan %s asked stock for materials; stock has no reservation for it",
                        p->id);
        } else if (n > 1) {
            fault__twice(r, n - 1);
            fault__note(r, "plan %s has %zu reservations (%s, %s …)", p->id, n, w->rsv[first].id,
                        w->rsv[first + 1].id);
        }
    }
    /* Reservations of no plan: stock applied a request nobody made (plans are sorted by
     * incident id, so look them up one by one). */
    for (size_t i = 0; i < w->n_rsv; i++) {
        int found = 0;
        for (size_t k = 0; k < w->n_plans && !found; k++)
            found = strcmp(w->plans[k].id, w->rsv[i].plan_id) == 0;
        if (!found) {
            fault__twice(r, 1);
            fault__note(r, "reservation %s is for plan '%s', which playbook does not have",
                        w->rsv[i].id, w->rsv[i].plan_id);
        }
    }
}

static void fault__stock(fault_world *w, fault_inv_result *r)
{
    for (size_t s = 0; s < w->n_stock; s++) {
        const fault_stock *st = &w->stock[s];
        double live = 0, issued = 0;
        for (size_t i = 0; i < w->n_rsv; i++) {
            const fault_rsv *v = &w->rsv[i];
            int is_live = strcmp(v->state, "reserved") == 0 || strcmp(v->state, "partial") == 0;
            int is_issued = strcmp(v->state, "issued") == 0;
            for (size_t l = 0; l < v->n_lines; l++) {
                const fault_line *ln = &v->lines[l];
                if (strcmp(ln->depot_id, st->depot_id) != 0 ||
                    strcmp(ln->material_id, st->material_id) != 0)
                    continue;
                if (is_live)
                    live += ln->quantity;
                if (is_issued)
                    issued += ln->quantity;
            }
        }
        r->checked++;
        double tol = 1e-6 * (st->received > 1 ? st->received : 1);
        double free_q = st->on_hand - st->reserved;
        double sum = free_q + st->reserved + st->issued + st->other_out;
        if (st->in_ledger && fabs(st->received - st->baseline) > tol) {
            st->received < st->baseline ? fault__lost(r, 1) : fault__twice(r, 1);
            fault__note(r,
                        "%s/%s: the ledger received %g, but %g was there before the run and "
                        "nothing was received since",
                        st->depot_id, st->material_id, st->received, st->baseline);
        }
        if (st->in_ledger &&
            (fabs(st->l_on_hand - st->on_hand) > tol || fabs(st->l_reserved - st->reserved) > tol ||
             fabs(st->l_issued - st->issued) > tol)) {
            r->problems++;
            fault__note(r,
                        "%s/%s: stock.list says on hand %g, reserved %g, issued %g; the "
                        "ledger %g, %g, %g",
                        st->depot_id, st->material_id, st->on_hand, st->reserved, st->issued,
                        st->l_on_hand, st->l_reserved, st->l_issued);
        }
        if (st->on_hand < -tol || st->reserved < -tol || st->issued < -tol || free_q < -tol) {
            r->problems++;
            fault__note(r, "%s/%s: negative stock (on hand %g, reserved %g, issued %g)",
                        st->depot_id, st->material_id, st->on_hand, st->reserved, st->issued);
        }
        if (fabs(sum - st->received) > tol) {
            sum < st->received ? fault__lost(r, 1) : fault__twice(r, 1);
            fault__note(r,
                        "%s/%s: free %g + reserved %g + issued %g (+ %g out otherwise) = %g, "
                        "received %g",
                        st->depot_id, st->material_id, free_q, st->reserved, st->issued,
                        st->other_out, sum, st->received);
        }
        if (fabs(live - st->reserved) > tol) {
            live > st->reserved ? fault__lost(r, 1) : fault__twice(r, 1);
            fault__note(r, "%s/%s: reserved %g, but the live reservations hold %g", st->depot_id,
                        st->material_id, st->reserved, live);
        }
        if (fabs(issued - st->issued) > tol) {
            issued > st->issued ? fault__lost(r, 1) : fault__twice(r, 1);
            fault__note(r, "%s/%s: issued %g, but the issued reservations hold %g", st->depot_id,
                        st->material_id, st->issued, issued);
        }
    }
}

static void fault__actions(fault_world *w, fault_inv_result *r)
{
    for (size_t a = 0; a < w->n_act; a++) {
        const fault_action *x = &w->act[a];
        const char *want = strcmp(x->action, "issue") == 0 ? "issued" : "released";
        const fault_rsv *v = NULL;
        for (size_t i = 0; i < w->n_rsv && !v; i++)
            if (strcmp(w->rsv[i].id, x->reservation_id) == 0)
                v = &w->rsv[i];
        r->checked++;
        if (!v || strcmp(v->state, want) != 0) {
            fault__lost(r, 1);
            fault__note(r, "%s of reservation %s was accepted, but it is %s", x->action,
                        x->reservation_id, v ? v->state : "not in stock's store");
        }
    }
}

static void fault__tasks(fault_world *w, fault_inv_result *r)
{
    size_t planned = 0;
    for (size_t k = 0; k < w->n_plans; k++) {
        const fault_pl *p = &w->plans[k];
        for (size_t t = 0; t < p->n_task_ids; t++) {
            r->checked++;
            planned++;
            if (!fault__task(w, p->task_ids[t])) {
                fault__lost(r, 1);
                fault__note(r, "task %s of plan %s is not in dispatch's store", p->task_ids[t],
                            p->id);
            }
        }
    }
    /* Deterministic task ids make a repeated batch land on the same ids; a task that no plan
     * names would be an effect without a cause. */
    size_t notices = 0;
    for (size_t i = 0; i < w->n_tasks; i++)
        notices += w->tasks[i].notice;
    if (w->n_tasks > planned + notices) {
        for (size_t i = 0; i < w->n_tasks; i++) {
            int found = w->tasks[i].notice;
            for (size_t k = 0; k < w->n_plans && !found; k++)
                for (size_t t = 0; t < w->plans[k].n_task_ids && !found; t++)
                    found = strcmp(w->plans[k].task_ids[t], w->tasks[i].id) == 0;
            if (!found) {
                fault__twice(r, 1);
                fault__note(r, "dispatch has task %s, which no plan names", w->tasks[i].id);
            }
        }
    }
}

static int fault__exported(const fault_world *w, const char *unit)
{
    for (size_t i = 0; i < w->n_exported; i++)
        if (strcmp(w->exported[i], unit) == 0)
            return 1;
    return 0;
}

/* Whether the unit's partner must hold the task's latest revision: dispatch pushes revisions
 * of tasks the unit holds and still works on, and a withdrawal of one that ever left
 * dispatch (services/dispatch dispatch_task_owed). */
static int fault__revision_owed(const fault_task *t, int st)
{
    if (st == FAULT_TS_WITHDRAWN)
        return t->audit_to[FAULT_TS_DELIVERED] > 0 || t->delivery_attempts > 0;
    return st == FAULT_TS_DELIVERED || st == FAULT_TS_ACKNOWLEDGED;
}

static void fault__delivered(fault_world *w, fault_inv_result *r)
{
    for (size_t i = 0; i < w->n_tasks; i++) {
        const fault_task *t = &w->tasks[i];
        int st = fault_task_state_parse(t->state);
        /* Withdrawn while still pending: it may never have reached the unit. */
        int early = st == FAULT_TS_WITHDRAWN && t->audit_to[FAULT_TS_DELIVERED] == 0;
        r->checked++;
        if (st < 0) {
            r->problems++;
            fault__note(r, "task %s has a state the test does not know: '%s'", t->id, t->state);
            continue;
        }
        if (st == FAULT_TS_PENDING) {
            fault__lost(r, 1);
            fault__note(r, "task %s of %s is 'pending' in dispatch: never delivered", t->id,
                        t->unit_id);
        } else if (!early && t->audit_to[FAULT_TS_DELIVERED] == 0) {
            fault__lost(r, 1);
            fault__note(r, "task %s is %s, but dispatch's audit has no delivery", t->id, t->state);
        }
        size_t first;
        size_t n = FAULT__RANGE(w->shown, w->n_shown, fault_shown, task_id, t->id, &first);
        const fault_shown *own = NULL;
        for (size_t k = first; k < first + n; k++) {
            if (strcmp(w->shown[k].unit_id, t->unit_id) == 0) {
                own = &w->shown[k];
            } else {
                fault__twice(r, 1);
                fault__note(r, "task %s of %s is in the store of partner %s", t->id, t->unit_id,
                            w->shown[k].unit_id);
            }
        }
        uint32_t shown = own ? own->shown_count : 0;
        if (shown > 1) {
            fault__twice(r, shown - 1);
            fault__note(r, "partner %s showed task %s %u times", t->unit_id, t->id, shown);
        } else if (shown == 0 && !early) {
            fault__lost(r, 1);
            fault__note(r, "task %s was never shown by partner %s%s", t->id, t->unit_id,
                        fault__exported(w, t->unit_id) ? "" : " (its store could not be read)");
        }
        if (!fault__revision_owed(t, st))
            continue;
        uint32_t held = own ? own->task_revisions : 0;
        if (own && held > t->revisions) {
            fault__twice(r, 1);
            fault__note(r, "partner %s holds revision %u of task %s; dispatch made %u", t->unit_id,
                        held, t->id, t->revisions);
        } else if ((!own && st == FAULT_TS_WITHDRAWN) || held < t->revisions) {
            fault__lost(r, 1);
            fault__note(r, "partner %s %s of task %s; dispatch made %u%s", t->unit_id,
                        own ? "holds an older revision" : "never heard", t->id, t->revisions,
                        st == FAULT_TS_WITHDRAWN ? " (it was withdrawn)" : "");
        }
    }
    for (size_t k = 0; k < w->n_shown; k++)
        if (!fault__task(w, w->shown[k].task_id)) {
            fault__twice(r, 1);
            fault__note(r, "partner %s holds task %s, which dispatch does not have",
                        w->shown[k].unit_id, w->shown[k].task_id);
        }
}

static void fault__acks(fault_world *w, fault_inv_result *r)
{
    if (w->audit_unknown) {
        fault__twice(r, w->audit_unknown);
        fault__note(r, "%llu audit entries of dispatch name no stored task",
                    (unsigned long long)w->audit_unknown);
    }
    for (size_t i = 0; i < w->n_tasks; i++) {
        const fault_task *t = &w->tasks[i];
        int st = fault_task_state_parse(t->state);
        for (int s = 0; s < FAULT_TS_N; s++) {
            if (t->audit_to[s] > 1) {
                fault__twice(r, t->audit_to[s] - 1);
                fault__note(r, "task %s went to %s %u times in dispatch's audit", t->id,
                            fault__state_names[s], t->audit_to[s]);
            }
        }
        if (t->audit_to[FAULT_TS_PENDING] == 0) {
            fault__lost(r, 1);
            fault__note(r, "task %s has no creation entry in dispatch's audit", t->id);
        }
        /* The state it is in was reached by an audited step. */
        if (st > FAULT_TS_DELIVERED && t->audit_to[st] == 0) {
            fault__lost(r, 1);
            fault__note(r, "task %s is %s without an audit entry for it", t->id, t->state);
        }
        size_t first;
        size_t n = FAULT__RANGE(w->shown, w->n_shown, fault_shown, task_id, t->id, &first);
        for (size_t k = first; k < first + n; k++) {
            const fault_shown *sh = &w->shown[k];
            if (strcmp(sh->unit_id, t->unit_id) != 0)
                continue;
            if (sh->owed) {
                fault__lost(r, sh->owed);
                fault__note(r, "partner %s still owes %u answer(s) for task %s", sh->unit_id,
                            sh->owed, t->id);
            }
            for (int s = FAULT_TS_ACKNOWLEDGED; s < FAULT_TS_N; s++) {
                if (!sh->confirmed[s])
                    continue;
                r->checked++;
                if (t->audit_to[s] == 0) {
                    fault__lost(r, 1);
                    fault__note(r,
                                "partner %s had its %s of task %s confirmed; dispatch's "
                                "audit does not have it",
                                sh->unit_id, fault__state_names[s], t->id);
                }
            }
        }
    }
}

void fault_check_run(fault_world *w, fault_verdict *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < FAULT_INV_N; i++) {
        out->inv[i].name = fault__inv_text[i].name;
        out->inv[i].says = fault__inv_text[i].says;
    }
    fault__sort(w->inc, w->n_inc, sizeof *w->inc, fault__cmp_inc);
    fault__sort(w->acc, w->n_acc, sizeof *w->acc, fault__cmp_acc);
    fault__sort(w->ref, w->n_ref, sizeof *w->ref, fault__cmp_ref);
    fault__sort(w->plans, w->n_plans, sizeof *w->plans, fault__cmp_plan);
    fault__sort(w->rsv, w->n_rsv, sizeof *w->rsv, fault__cmp_rsv);
    fault__sort(w->tasks, w->n_tasks, sizeof *w->tasks, fault__cmp_task);
    fault__sort(w->shown, w->n_shown, sizeof *w->shown, fault__cmp_shown);

    fault__accepted(w, &out->inv[FAULT_INV_ACCEPTED]);
    fault__upstream(w, &out->inv[FAULT_INV_UPSTREAM]);
    fault__planned(w, &out->inv[FAULT_INV_PLANNED], &out->refused);
    fault__reserved(w, &out->inv[FAULT_INV_RESERVED]);
    fault__stock(w, &out->inv[FAULT_INV_STOCK]);
    fault__actions(w, &out->inv[FAULT_INV_ACTIONS]);
    fault__tasks(w, &out->inv[FAULT_INV_TASKS]);
    fault__delivered(w, &out->inv[FAULT_INV_DELIVERED]);
    fault__acks(w, &out->inv[FAULT_INV_ACKS]);
    for (int i = 0; i < FAULT_INV_N; i++) {
        out->lost += out->inv[i].lost;
        out->twice += out->inv[i].twice;
        out->problems += out->inv[i].problems;
    }
    out->ok = out->problems == 0;
}
