/* escalate.c — escalation chains in the service (dispatch.h "Escalation"): storing each
 * task's chain, taking the steps that fall due, answering dispatch.chain. The rules are
 * escalation.c's; this file moves records between them, the store and the gateway. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_int.h"
#include "escalation.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

#define ESCALATE_ACTOR "dispatch"

/* ---- the stored record and the pure state ---- */

static int escalate__to_state(const Hl__Escalation *e, esc_state *s)
{
    memset(s, 0, sizeof *s);
    if (e->n_chain == 0 || e->n_chain > ESC_CHAIN_MAX || e->position >= e->n_chain ||
        esc_level_parse_scale(e->level, &s->level, &s->response) < 0 ||
        esc_status_parse(e->status, &s->status) < 0)
        return HL_EDECODE;
    for (size_t i = 0; i < e->n_chain; i++) {
        if (hl_id_check(e->chain[i]) < 0)
            return HL_EDECODE;
        snprintf(s->chain[i], sizeof s->chain[i], "%s", e->chain[i]);
    }
    s->nchain = e->n_chain;
    s->level_defaulted = e->level_defaulted;
    s->timeout_ms = e->timeout_ms;
    s->repeats = e->repeats;
    s->pos = e->position;
    s->repeats_done = e->repeats_done;
    s->started_ms = e->started_ms;
    s->since_ms = e->since_ms;
    s->ended_ms = e->ended_ms;
    snprintf(s->ended_by, sizeof s->ended_by, "%.64s", e->ended_by);
    return 0;
}

/* A record to pack: base's other fields (task id, steps), s's state, the next step. The
 * strings point into s and static storage; chain must hold ESC_CHAIN_MAX pointers. */
static void escalate__from_state(const Hl__Escalation *base, const esc_state *s, char **chain,
                                 Hl__Escalation *out)
{
    *out = *base;
    for (size_t i = 0; i < s->nchain; i++)
        chain[i] = (char *)s->chain[i];
    out->n_chain = s->nchain;
    out->chain = chain;
    out->level = (char *)esc_level_label(s->level, s->response);
    out->level_defaulted = s->level_defaulted;
    out->timeout_ms = s->timeout_ms;
    out->repeats = s->repeats;
    out->position = (uint32_t)s->pos;
    out->repeats_done = s->repeats_done;
    out->started_ms = s->started_ms;
    out->since_ms = s->since_ms;
    out->status = (char *)esc_status_name(s->status);
    out->ended_ms = s->ended_ms;
    out->ended_by = (char *)s->ended_by;
    esc_step next;
    if (esc_next(s, &next)) {
        out->next_kind = (char *)esc_kind_name(next.kind);
        out->next_unit = (char *)s->chain[next.pos];
        out->next_due_ms = next.due_ms;
    } else {
        out->next_kind = "";
        out->next_unit = "";
        out->next_due_ms = 0;
    }
    /* Display fields are added on the way out (escalate__decorate), never stored. */
    out->n_chain_names = 0;
    out->chain_names = NULL;
    out->assumption = "";
}

/* Names of the chain's units and the roster's note on the timeouts, for readers. */
static void escalate__decorate(const dispatch *d, Hl__Escalation *e, char **names)
{
    for (size_t i = 0; i < e->n_chain && i < ESC_CHAIN_MAX; i++) {
        const unit_info *u = units_find(d->roster, e->chain[i]);
        names[i] = u ? (char *)u->name : "";
    }
    e->n_chain_names = e->n_chain < ESC_CHAIN_MAX ? e->n_chain : ESC_CHAIN_MAX;
    e->chain_names = names;
    e->assumption = (char *)d->roster->esc_assumption;
}

/* Store e (moving its due entry from old_due), keep d->esc_next_due, publish it. */
static int escalate__save(dispatch *d, hl_req *r, Hl__Escalation *e, int64_t old_due)
{
    int rc = dstore_esc_put(r->txn, e, old_due);
    if (rc < 0)
        return rc;
    if (e->next_due_ms > 0 && e->next_due_ms < d->esc_next_due)
        d->esc_next_due = e->next_due_ms;
    char *names[ESC_CHAIN_MAX];
    Hl__Escalation pub = *e;
    escalate__decorate(d, &pub, names);
    return hl_svc_publish(r, "task.escalated", &pub.base);
}

/* Store the chain rec as state st now says (its due entry moved from rec's next step). */
static int escalate__store_state(dispatch *d, hl_req *r, const Hl__Escalation *rec,
                                 const esc_state *st)
{
    Hl__Escalation e;
    char *chain[ESC_CHAIN_MAX];
    escalate__from_state(rec, st, chain, &e);
    return escalate__save(d, r, &e, rec->next_due_ms);
}

static int escalate__audit(hl_req *r, const char *task_id, const char *event, const char *unit,
                           const char *notice, uint32_t step, const char *actor, int64_t at_ms,
                           const char *reason)
{
    Hl__AuditEntry e = HL__AUDIT_ENTRY__INIT;
    e.task_id = (char *)task_id;
    e.event = (char *)event;
    e.unit_id = (char *)unit;
    e.notice_task_id = (char *)(notice ? notice : "");
    e.step = step;
    e.actor = (char *)actor;
    e.at_ms = at_ms;
    e.reason = (char *)(reason ? reason : "");
    return dstore_audit_append(r->txn, &e);
}

/* ---- starting a chain ---- */

int escalate_task_stored(dispatch *d, hl_req *r, const Hl__Task *t)
{
    if (!d->roster->esc.enabled || strcmp(t->kind, TASK_KIND_ESCALATION) == 0)
        return 0;
    char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1];
    size_t n = 0;
    esc_state st;
    int rc = units_chain(d->roster, t->unit_id, chain, &n);
    if (rc == 0)
        rc = esc_start(&d->roster->esc, t->level, (const char(*)[HL_ID_MAX + 1]) chain, n,
                       r->now_ms, &st);
    if (rc < 0)
        return rc;
    Hl__Escalation base = HL__ESCALATION__INIT, e;
    char *ptrs[ESC_CHAIN_MAX];
    base.task_id = t->id;
    escalate__from_state(&base, &st, ptrs, &e);
    return escalate__save(d, r, &e, 0);
}

/* ---- taking a step ---- */

/* The id of the notice for chain position pos of task: "<task>:esc<pos>", or, for a task id
 * too long for that, "esc-<hash of the id>:<pos>" (FNV-1a 64). */
static void escalate__notice_id(const char *task, size_t pos, char out[HL_ID_MAX + 1])
{
    int w = snprintf(out, HL_ID_MAX + 1, "%s:esc%zu", task, pos);
    if (w > 0 && w <= HL_ID_MAX)
        return;
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)task; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    snprintf(out, HL_ID_MAX + 1, "esc-%016" PRIx64 ":%zu", h, pos);
}

/* The notice a unit got at chain position pos, from the steps taken ("" if none). */
static const char *escalate__notice_of(const Hl__Escalation *e, size_t pos)
{
    for (size_t i = 0; i < e->n_steps; i++)
        if (e->steps[i]->position == pos && strcmp(e->steps[i]->kind, "escalate") == 0)
            return e->steps[i]->notice_task_id;
    return "";
}

/* Store the notice for chain[step->pos] and deliver it like any new task. */
static int escalate__notice(dispatch *d, hl_req *r, const Hl__Task *orig, const esc_state *st,
                            const esc_step *step, const char *cause, char id[HL_ID_MAX + 1])
{
    const char *unit = st->chain[step->pos];
    escalate__notice_id(orig->id, step->pos, id);
    Hl__Task *exists = NULL;
    int rc = dstore_task_get(r->txn, id, &exists);
    if (rc == 0) {
        /* Not ours (a playbook task that happens to bear the name): take a fresh id. */
        hl__task__free_unpacked(exists, NULL);
        hl_id_new("esc", id);
    } else if (rc != HL_ENOTFOUND) {
        return rc;
    }
    const unit_info *ou = units_find(d->roster, orig->unit_id);
    char title[HL_NAME_MAX + 1], text[HL_TEXT_MAX + 1], detail[HL_TEXT_MAX + 1];
    snprintf(text, sizeof text, "升级 Escalation: %s", orig->title);
    dispatch_cut(title, sizeof title, text);
    snprintf(text, sizeof text,
             "Task %s (%s: %s) for %s %s: %s. You are number %zu of its escalation chain; "
             "acknowledge this notice to take the task on.",
             orig->id, orig->kind, orig->title, orig->unit_id, ou ? ou->name : "", cause,
             step->pos);
    dispatch_cut(detail, sizeof detail, text);
    Hl__Task t = HL__TASK__INIT;
    t.id = id;
    t.incident_id = orig->incident_id;
    t.plan_id = orig->plan_id;
    t.unit_id = (char *)unit;
    t.kind = TASK_KIND_ESCALATION;
    t.title = title;
    t.target_id = orig->target_id;
    t.chainage_km = orig->chainage_km;
    t.due_ms = orig->due_ms;
    t.detail = detail;
    t.level = orig->level;
    t.escalation_of = orig->id;
    t.escalation_step = (uint32_t)step->pos;
    if ((rc = dispatch_task_create(r, &t, ESCALATE_ACTOR)) < 0)
        return rc;
    dispatch_unit *du = dispatch_unit_of(d, unit);
    int64_t now_real = hl_real_now_ms();
    if (du && dispatch_unit_connected(du, now_real))
        rc = dispatch_push_pending(d, r, unit, du, now_real - d->resend_ms);
    return rc;
}

/* Remind chain[step->pos] of task_id (the task itself, or that unit's notice): push it again
 * to a connected partner. Not durable, like every push: a unit that is not connected is told
 * by the audit log and the event, and gets the task when it says hello if it never had it. */
static int escalate__remind(dispatch *d, hl_req *r, const char *task_id, const char *unit,
                            unsigned repeat)
{
    dispatch_unit *du = dispatch_unit_of(d, unit);
    if (!du || !dispatch_unit_connected(du, hl_real_now_ms()) || !task_id[0])
        return 0;
    Hl__Task *t = NULL;
    int rc = dstore_task_get(r->txn, task_id, &t);
    if (rc < 0)
        return rc == HL_ENOTFOUND ? 0 : rc;
    Hl__TaskDelivery dv = HL__TASK_DELIVERY__INIT;
    dv.task = t;
    dv.reminder = repeat;
    rc = hl_svc_push(r, du->peer, "task.deliver", &dv.base);
    hl__task__free_unpacked(t, NULL);
    return rc;
}

/* Take step (already applied to st) for the chain rec of task orig: tell the unit, audit,
 * and store the record with the step added. */
static int escalate__take(dispatch *d, hl_req *r, const Hl__Task *orig, const Hl__Escalation *rec,
                          const esc_state *st, const esc_step *step, const char *actor,
                          const char *cause)
{
    const char *unit = st->chain[step->pos];
    char notice[HL_ID_MAX + 1] = "";
    int rc;
    if (step->kind == ESC_ESCALATE) {
        rc = escalate__notice(d, r, orig, st, step, cause, notice);
    } else {
        const char *about = step->pos == 0 ? orig->id : escalate__notice_of(rec, step->pos);
        snprintf(notice, sizeof notice, "%s", step->pos == 0 ? "" : about);
        rc = escalate__remind(d, r, about, unit, step->repeat);
    }
    uint32_t n = (uint32_t)rec->n_steps + 1;
    if (rc == 0)
        rc = escalate__audit(r, orig->id, step->kind == ESC_ESCALATE ? "escalated" : "reminded",
                             unit, notice, n, actor, step->at_ms, cause);
    if (rc < 0)
        return rc;
    Hl__EscalationStep s = HL__ESCALATION_STEP__INIT;
    s.n = n;
    s.kind = (char *)esc_kind_name(step->kind);
    s.unit_id = (char *)unit;
    s.position = (uint32_t)step->pos;
    s.repeat = step->repeat;
    s.due_ms = step->due_ms;
    s.at_ms = step->at_ms;
    s.notice_task_id = notice;
    s.cause = (char *)cause;
    Hl__EscalationStep **steps = malloc((rec->n_steps + 1) * sizeof *steps);
    if (!steps)
        return HL_ENOMEM;
    for (size_t i = 0; i < rec->n_steps; i++)
        steps[i] = rec->steps[i];
    steps[rec->n_steps] = &s;
    Hl__Escalation e;
    char *chain[ESC_CHAIN_MAX];
    escalate__from_state(rec, st, chain, &e);
    e.n_steps = rec->n_steps + 1;
    e.steps = steps;
    rc = escalate__save(d, r, &e, rec->next_due_ms);
    free(steps);
    if (rc == 0)
        hl_info("task %s: %s %s (step %u, %s)", orig->id,
                step->kind == ESC_ESCALATE ? "escalated to" : "reminded", unit, n, cause);
    return rc;
}

/* Load the chain of task_id and the task; *rec NULL (and 0 returned) when it has none. */
static int escalate__load(hl_req *r, const char *task_id, Hl__Escalation **rec, Hl__Task **task,
                          esc_state *st)
{
    *rec = NULL;
    *task = NULL;
    int rc = dstore_esc_get(r->txn, task_id, rec);
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc == 0)
        rc = escalate__to_state(*rec, st);
    if (rc == 0)
        rc = dstore_task_get(r->txn, task_id, task);
    if (rc < 0) {
        hl_error("escalation chain of task %s: %s", task_id, hl_strerror(rc));
        if (*rec)
            hl__escalation__free_unpacked(*rec, NULL);
        *rec = NULL;
    }
    return rc;
}

static void escalate__free(Hl__Escalation **rec, Hl__Task **task)
{
    if (*rec)
        hl__escalation__free_unpacked(*rec, NULL);
    if (*task)
        hl__task__free_unpacked(*task, NULL);
    *rec = NULL;
    *task = NULL;
}

/* ---- answers ---- */

int escalate_on_answer(dispatch *d, hl_req *r, const Hl__Task *t, task_event ev, const char *unit,
                       const char *reason)
{
    if (ev == TASK_EV_RECEIPT)
        return 0;
    const char *orig_id = strcmp(t->kind, TASK_KIND_ESCALATION) == 0 ? t->escalation_of : t->id;
    Hl__Escalation *rec = NULL;
    Hl__Task *orig = NULL;
    esc_state st;
    int rc = escalate__load(r, orig_id, &rec, &orig, &st);
    if (rc < 0 || !rec)
        return rc;
    char cause[HL_TEXT_MAX + 1];
    if (ev == TASK_EV_ACK || ev == TASK_EV_COMPLETE) {
        if (esc_acknowledge(&st, unit, r->now_ms) == 1) {
            Hl__Escalation e;
            char *chain[ESC_CHAIN_MAX];
            escalate__from_state(rec, &st, chain, &e);
            /* The acknowledgement is in the audit log already; once steps were taken, the
             * log also says that it ended them and who took the task on. */
            if (rec->n_steps > 0) {
                snprintf(cause, sizeof cause, "%s %s by %s: no further step",
                         strcmp(t->id, orig_id) == 0 ? "task" : "escalation notice",
                         ev == TASK_EV_ACK ? "acknowledged" : "completed", unit);
                rc = escalate__audit(r, orig_id, "escalation_stopped", unit, "", 0, unit, r->now_ms,
                                     cause);
            }
            if (rc == 0)
                rc = escalate__save(d, r, &e, rec->next_due_ms);
        }
    } else if (ev == TASK_EV_DECLINE) {
        esc_step step;
        int k = esc_decline(&st, unit, r->now_ms, &step);
        snprintf(cause, sizeof cause, "declined by %s: %s", unit, reason ? reason : "");
        if (k == 1) {
            rc = escalate__take(d, r, orig, rec, &st, &step, unit, cause);
        } else if (k == 2) {
            char why[HL_TEXT_MAX + 1];
            snprintf(why, sizeof why, "%.1900s; nobody is left in the chain: re-plan", cause);
            Hl__Escalation e;
            char *chain[ESC_CHAIN_MAX];
            escalate__from_state(rec, &st, chain, &e);
            hl_warn("task %s: %s", orig_id, why);
            if ((rc = escalate__audit(r, orig_id, "escalation_exhausted", unit, "", 0, unit,
                                      r->now_ms, why)) == 0)
                rc = escalate__save(d, r, &e, rec->next_due_ms);
        }
    }
    escalate__free(&rec, &orig);
    return rc;
}

/* ---- revisions (issue 4) ---- */

int escalate_task_level(dispatch *d, hl_req *r, const Hl__Task *t)
{
    Hl__Escalation *rec = NULL;
    Hl__Task *orig = NULL;
    esc_state st;
    int rc = escalate__load(r, t->id, &rec, &orig, &st);
    if (rc < 0 || !rec)
        return rc;
    if ((rc = esc_set_level(&st, &d->roster->esc, t->level)) == 0 &&
        (rc = escalate__store_state(d, r, rec, &st)) == 0)
        hl_info("task %s: escalation level now %s", t->id, esc_level_label(st.level, st.response));
    escalate__free(&rec, &orig);
    return rc;
}

int escalate_task_withdrawn(dispatch *d, hl_req *r, const Hl__Task *t, const char *actor,
                            const char *reason, uint32_t update, unsigned char *touched)
{
    if (strcmp(t->kind, TASK_KIND_ESCALATION) == 0)
        return 0;
    Hl__Escalation *rec = NULL;
    Hl__Task *orig = NULL;
    esc_state st;
    int rc = escalate__load(r, t->id, &rec, &orig, &st);
    if (rc < 0 || !rec)
        return rc;
    if (esc_withdraw(&st, r->now_ms) == 1) {
        char why[256];
        snprintf(why, sizeof why, "task withdrawn: the planned %s of %.64s is not taken",
                 rec->next_kind[0] ? rec->next_kind : "step", rec->next_unit);
        rc = escalate__audit(r, t->id, "escalation_cancelled", rec->next_unit, "", 0, actor,
                             r->now_ms, why);
    }
    if (rc == 0 && st.status == ESC_WITHDRAWN)
        rc = escalate__store_state(d, r, rec, &st);
    /* The units told so far hold notices about a task that is gone: they are told too. */
    for (size_t i = 0; rc == 0 && i < rec->n_steps; i++)
        if (strcmp(rec->steps[i]->kind, "escalate") == 0 && rec->steps[i]->notice_task_id[0])
            rc = revise_withdraw_id(d, r, rec->steps[i]->notice_task_id, actor, reason, update,
                                    touched);
    escalate__free(&rec, &orig);
    return rc;
}

/* ---- the timer ---- */

/* One due chain: take its step, or fix a stale index entry. */
static int escalate__due_one(dispatch *d, hl_req *r, const dstore_due *due)
{
    Hl__Escalation *rec = NULL;
    Hl__Task *orig = NULL;
    esc_state st;
    int rc = escalate__load(r, due->task_id, &rec, &orig, &st);
    if (rc < 0 || !rec) {
        /* A chain that is gone or cannot be read (logged) would be tried every tick: drop
         * its entry and go on with the others. */
        return dstore_esc_unindex(r->txn, due);
    }
    esc_step step;
    if (esc_fire_due(&st, r->now_ms, &step)) {
        char cause[160];
        snprintf(cause, sizeof cause,
                 "timeout: not acknowledged within %" PRId64 " min (level %s%s%s%s)",
                 st.timeout_ms / 60000, esc_level_label(st.level, st.response),
                 st.response ? ", the timeout of " : "",
                 st.response ? esc_level_name(st.level) : "",
                 st.level_defaulted ? ", the default: the task gave none" : "");
        rc = escalate__take(d, r, orig, rec, &st, &step, ESCALATE_ACTOR, cause);
    } else if (rec->next_due_ms != due->due_ms) {
        rc = dstore_esc_unindex(r->txn, due); /* left behind by an older record */
    }
    escalate__free(&rec, &orig);
    return rc;
}

int escalate_tick(dispatch *d, hl_req *r)
{
    dstore_due due[DISPATCH_ESC_BATCH];
    int n = dstore_esc_due(r->txn, r->now_ms, due, DISPATCH_ESC_BATCH);
    for (int i = 0; n > 0 && i < n; i++) {
        int rc = escalate__due_one(d, r, &due[i]);
        if (rc < 0)
            return rc;
    }
    if (n < 0)
        return n;
    /* What is left, or planned by the steps just taken (a full batch leaves the next tick
     * something due at once). */
    return dstore_esc_first_due(r->txn, &d->esc_next_due);
}

int escalate_load(dispatch *d)
{
    hl_txn *t = NULL;
    int rc = hl_txn_begin(hl_svc_store(d->svc), NULL, 1, &t);
    if (rc < 0)
        return rc;
    rc = dstore_esc_first_due(t, &d->esc_next_due);
    hl_txn_abort(&t);
    if (rc == 0 && d->esc_next_due != INT64_MAX)
        hl_info("escalation: next step due %s by %" PRId64 " drill s",
                d->esc_next_due <= hl_now_ms() ? "already (taken now)" : "in",
                d->esc_next_due <= hl_now_ms() ? 0 : (d->esc_next_due - hl_now_ms()) / 1000);
    return rc;
}

/* ---- dispatch.chain ---- */

int escalate_on_chain(hl_req *r, void *ud)
{
    dispatch *d = ud;
    Hl__ListQuery *q = NULL;
    int rc = hl_req_payload(r, &hl__list_query__descriptor, (ProtobufCMessage **)&q);
    if (rc < 0)
        return rc;
    Hl__Task *t = NULL;
    Hl__Escalation *rec = NULL;
    if (hl_id_check(q->id) < 0) {
        rc = hl_req_fail(r, HL_EINVAL, "id", "dispatch.chain: id must be a task id");
        goto done;
    }
    if ((rc = dstore_task_get(r->txn, q->id, &t)) < 0) {
        rc = hl_req_fail(r, rc, "id", "dispatch.chain: no task %s", q->id);
        goto done;
    }
    const char *orig = strcmp(t->kind, TASK_KIND_ESCALATION) == 0 ? t->escalation_of : t->id;
    if ((rc = dstore_esc_get(r->txn, orig, &rec)) < 0) {
        rc = hl_req_fail(r, rc, "id",
                         rc == HL_ENOTFOUND ? "task %s has no escalation chain (%s has no "
                                              "escalation section, or the task came before it)"
                                            : "task %s: cannot read its chain (%s)",
                         orig, rc == HL_ENOTFOUND ? d->roster->file : hl_strerror(rc));
        goto done;
    }
    char *names[ESC_CHAIN_MAX];
    Hl__Escalation out = *rec;
    escalate__decorate(d, &out, names);
    rc = hl_req_reply(r, r->env->type, &out.base);
done:
    if (rec)
        hl__escalation__free_unpacked(rec, NULL);
    if (t)
        hl__task__free_unpacked(t, NULL);
    hl__list_query__free_unpacked(q, NULL);
    return rc;
}
