/* revise.c — dispatch.revise (dispatch.h, issue 4): a reading re-anchored a plan's forecast,
 * so tasks already stored get new due times, texts or levels, and the tasks the plan no
 * longer needs are withdrawn. The tasks are updated in place, never duplicated: same id,
 * seq, unit and state; the unit that already holds a task gets it again as a revision
 * (TaskDelivery.revision), which its partner shows as an update, not as a new task. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch_int.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "playbook.pb-c.h" /* TaskRevision is defined beside the Plan that sends it */

/* The texts one revision writes, kept until its reply is packed. */
typedef struct revise_ctx {
    dispatch *d;
    hl_req *r;
    const Hl__TaskRevision *rv;
    const char *actor;
    unsigned char *touched;             /* roster index → a push is owed now */
    char why[HL_TEXT_MAX + 1];          /* Task.reason of a withdrawn task */
    char (*audit)[HL_TEXT_MAX + 1];     /* one "revised" audit reason per task */
} revise_ctx;

static void revise__touch(dispatch *d, unsigned char *touched, const char *unit)
{
    const unit_info *u = units_find(d->roster, unit);
    if (u && touched)
        touched[u - d->roster->units] = 1;
}

/* The unit owes a push of t now: its pending entry, last push 0 (taken at once). */
static int revise__owe(dispatch *d, hl_req *r, const Hl__Task *t, unsigned char *touched)
{
    int rc = dstore_pending_put(r->txn, t->unit_id, t->seq, t->id, 0);
    if (rc == 0)
        revise__touch(d, touched, t->unit_id);
    return rc;
}

static void revise__time(int64_t ms, char *buf, size_t n)
{
    if (hl_time_format(ms, HL_TZ_BEIJING_MIN, buf, n) < 0)
        snprintf(buf, n, "%" PRId64 " ms", ms);
}

/* Withdraw stored task s (its copy in *out, strings pointing into s and static storage). */
static int revise__withdraw(dispatch *d, hl_req *r, const Hl__Task *s, const char *actor,
                            const char *reason, uint32_t update, unsigned char *touched,
                            Hl__Task *out)
{
    *out = *s;
    task_status before;
    task_result res;
    int rc = dispatch_task_status(s, &before);
    if (rc < 0)
        return HL_EDECODE;
    rc = task_apply(&before, TASK_EV_WITHDRAW, r->now_ms, NULL, &res);
    if (rc == HL_ESTATE) {
        /* Declined or completed: nothing is left to call off; the log says it was asked. */
        char why[160];
        snprintf(why, sizeof why, "withdrawal by plan update %" PRIu32 " not applied: the task is %s",
                 update, s->state);
        Hl__AuditEntry e = HL__AUDIT_ENTRY__INIT;
        e.task_id = s->id;
        e.actor = (char *)actor;
        e.at_ms = r->now_ms;
        e.reason = why;
        e.event = "withdraw_skipped";
        e.unit_id = s->unit_id;
        hl_info("task %s: %s", s->id, why);
        return dstore_audit_append(r->txn, &e);
    }
    if (rc < 0 || res.nsteps == 0)
        return rc; /* withdrawn already: a duplicate */
    int owed_before = dispatch_task_owed(s);
    dispatch_task_set_status(out, &res.after);
    out->actor = (char *)actor;
    out->reason = (char *)reason;
    out->revisions = s->revisions + 1;
    out->revised_ms = r->now_ms;
    out->plan_update = update;
    if ((rc = dispatch_task_record(r, out, res.steps, res.nsteps, 0, actor, reason, 0)) < 0)
        return rc;
    if (dispatch_task_owed(out))
        rc = revise__owe(d, r, out, touched);
    else if (owed_before)
        rc = dstore_pending_del(r->txn, out->unit_id, out->seq);
    if (rc == 0)
        rc = escalate_task_withdrawn(d, r, out, actor, reason, update, touched);
    if (rc == 0)
        hl_info("task %s (%s) withdrawn by plan update %" PRIu32 "%s", out->id, out->unit_id,
                update, dispatch_task_owed(out) ? "; its unit is told" : "");
    return rc;
}

int revise_withdraw_id(dispatch *d, hl_req *r, const char *id, const char *actor,
                       const char *reason, uint32_t update, unsigned char *touched)
{
    Hl__Task *s = NULL, out;
    int rc = dstore_task_get(r->txn, id, &s);
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc == 0)
        rc = revise__withdraw(d, r, s, actor, reason, update, touched, &out);
    if (s)
        hl__task__free_unpacked(s, NULL);
    return rc;
}

/* Apply the revision in to stored task s (copy in *out). */
static int revise__task(revise_ctx *c, size_t i, const Hl__Task *in, const Hl__Task *s,
                        Hl__Task *out)
{
    hl_req *r = c->r;
    *out = *s;
    if (strcmp(s->state, "withdrawn") == 0)
        return 0; /* gone: a revision does not bring it back */
    const char *lv = in->level && in->level[0] ? esc_level_canon(in->level) : NULL;
    int level_changed = lv && strcmp(lv, s->level) != 0;
    int due_changed = in->due_ms != s->due_ms;
    int text_changed = strcmp(in->title, s->title) != 0 || strcmp(in->detail, s->detail) != 0;
    if (!due_changed && !text_changed && !level_changed)
        return 0;
    out->due_ms = in->due_ms;
    out->title = in->title;
    out->detail = in->detail;
    if (level_changed)
        out->level = (char *)lv;
    out->revisions = s->revisions + 1;
    out->revised_ms = r->now_ms;
    out->plan_update = c->rv->update;

    char was[40], now[40], text[HL_TEXT_MAX + 512];
    revise__time(s->due_ms, was, sizeof was);
    revise__time(in->due_ms, now, sizeof now);
    snprintf(text, sizeof text, "plan update %" PRIu32 ": %s%s%s%s%s%s%s%s%s; %s", c->rv->update,
             due_changed ? "due " : "", due_changed ? was : "", due_changed ? " -> " : "",
             due_changed ? now : "", text_changed ? (due_changed ? "; reworded" : "reworded") : "",
             level_changed ? ((due_changed || text_changed) ? "; level " : "level ") : "",
             level_changed ? (s->level[0] ? s->level : "(default)") : "",
             level_changed ? " -> " : "", level_changed ? lv : "", c->rv->reason);
    dispatch_cut(c->audit[i], sizeof c->audit[i], text);
    Hl__AuditEntry e = HL__AUDIT_ENTRY__INIT;
    e.task_id = out->id;
    e.actor = (char *)c->actor;
    e.at_ms = r->now_ms;
    e.reason = c->audit[i];
    e.event = "revised";
    e.unit_id = out->unit_id;
    int rc;
    if ((rc = dstore_task_put(r->txn, out)) < 0 || (rc = dstore_audit_append(r->txn, &e)) < 0 ||
        (rc = hl_svc_publish(r, "task.state", &out->base)) < 0)
        return rc;
    if (level_changed && (rc = escalate_task_level(c->d, r, out)) < 0)
        return rc;
    /* A task still pending goes out with its new text anyway; one the unit holds is pushed
     * again as a revision. */
    if (strcmp(out->state, "pending") != 0 && dispatch_task_owed(out) &&
        (rc = revise__owe(c->d, r, out, c->touched)) < 0)
        return rc;
    hl_info("task %s (%s) revised: %s", out->id, out->unit_id, c->audit[i]);
    return 0;
}

static int revise__dup(char *const *ids, size_t n, const char *id)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(ids[k], id) == 0)
            return 1;
    return 0;
}

/* Load the stored task named at field (whose id is id) into *out, checking it belongs to
 * the revision's plan and is not an escalation notice. Fails the request otherwise. */
static int revise__stored(hl_req *r, const Hl__TaskRevision *rv, const char *field,
                          const char *id, Hl__Task **out)
{
    int rc = dstore_task_get(r->txn, id, out);
    if (rc == HL_ENOTFOUND)
        return hl_req_fail(r, HL_ENOTFOUND, field,
                           "task %s is not stored: dispatch.revise changes only tasks sent with "
                           "dispatch.tasks",
                           id);
    if (rc < 0)
        return hl_req_fail(r, rc, field, "task %s: cannot read the store: %s", id,
                           hl_strerror(rc));
    if (strcmp((*out)->kind, TASK_KIND_ESCALATION) == 0)
        return hl_req_fail(r, HL_EINVAL, field,
                           "task %s is an escalation notice, which dispatch makes itself: it is "
                           "withdrawn with its task, not revised",
                           id);
    if (strcmp((*out)->plan_id, rv->plan_id) != 0)
        return hl_req_fail(r, HL_EINVAL, field, "task %s belongs to plan %s, not to plan %s", id,
                           (*out)->plan_id, rv->plan_id);
    return 0;
}

/* Every check before anything changes: the revision is all or nothing. stored[] gets the
 * stored tasks, the revised ones first, then the withdrawn ones. */
static int revise__check(hl_req *r, const Hl__TaskRevision *rv, char **ids, Hl__Task **stored)
{
    char field[64], msg[256];
    if (hl_id_check(rv->plan_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "plan_id", "plan_id is missing or not an id");
    if (rv->incident_id[0] && hl_id_check(rv->incident_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "incident_id", "incident_id is not an id");
    if (rv->update == 0)
        return hl_req_fail(r, HL_EINVAL, "update",
                           "update must be 1 or more (the plan's re-anchoring number)");
    if (rv->n_tasks > HL_LIST_MAX || rv->n_withdrawn_task_ids > HL_LIST_MAX)
        return hl_req_fail(r, HL_ETOOBIG, rv->n_tasks > HL_LIST_MAX ? "tasks" : "withdrawn_task_ids",
                           "%zu tasks and %zu withdrawn ids in one revision, at most %d each",
                           rv->n_tasks, rv->n_withdrawn_task_ids, HL_LIST_MAX);
    int rc = hl_str_check(rv->reason, HL_TEXT_MAX, 0);
    if (rc < 0)
        return hl_req_fail(r, rc, "reason", "reason %s (at most %d bytes of UTF-8)",
                           rc == HL_ETOOBIG ? "too long" : "is not UTF-8", HL_TEXT_MAX);
    size_t n = 0;
    for (size_t i = 0; i < rv->n_tasks; i++) {
        const Hl__Task *t = rv->tasks[i];
        if ((rc = task_check(t, i, field, sizeof field, msg, sizeof msg)) < 0)
            return hl_req_fail(r, rc, field, "%s", msg);
        snprintf(field, sizeof field, "tasks[%zu].id", i);
        if (revise__dup(ids, n, t->id))
            return hl_req_fail(r, HL_EINVAL, field, "task %s is named twice in the revision",
                               t->id);
        if ((rc = revise__stored(r, rv, field, t->id, &stored[n])) < 0)
            return rc;
        if (strcmp(stored[n]->unit_id, t->unit_id) != 0)
            hl_warn("revision of task %s names unit %s; the task stays with %s", t->id,
                    t->unit_id, stored[n]->unit_id);
        ids[n++] = t->id;
    }
    size_t first_w = n;
    for (size_t i = 0; i < rv->n_withdrawn_task_ids; i++) {
        const char *id = rv->withdrawn_task_ids[i];
        snprintf(field, sizeof field, "withdrawn_task_ids[%zu]", i);
        if (hl_id_check(id) < 0)
            return hl_req_fail(r, HL_EINVAL, field, "withdrawn task id '%.64s' is not an id", id);
        if (revise__dup(ids + first_w, n - first_w, id))
            return hl_req_fail(r, HL_EINVAL, field, "task %s is withdrawn twice in the revision",
                               id);
        if ((rc = revise__stored(r, rv, field, id, &stored[n])) < 0)
            return rc;
        ids[n++] = (char *)id;
    }
    return 0;
}

static int revise__reply(hl_req *r, Hl__Task *out, size_t n)
{
    Hl__Task **ptrs = calloc(n + 1, sizeof *ptrs);
    if (!ptrs)
        return hl_req_fail(r, HL_ENOMEM, "", "dispatch.revise: out of memory");
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &out[i];
    Hl__TaskList list = HL__TASK_LIST__INIT;
    list.n_tasks = n;
    list.tasks = ptrs;
    int rc = hl_req_reply(r, r->env->type, &list.base);
    free(ptrs);
    return rc;
}

static int revise__apply(revise_ctx *c, Hl__Task **stored, Hl__Task *out)
{
    const Hl__TaskRevision *rv = c->rv;
    char text[HL_TEXT_MAX + 64];
    snprintf(text, sizeof text, "withdrawn by plan %s update %" PRIu32 ": %s", rv->plan_id,
             rv->update, rv->reason);
    dispatch_cut(c->why, sizeof c->why, text);
    int rc = 0;
    size_t nt = rv->n_tasks;
    for (size_t i = 0; rc == 0 && i < nt; i++) {
        /* Withdrawn in the same revision: the withdrawal wins. */
        if (revise__dup(rv->withdrawn_task_ids, rv->n_withdrawn_task_ids, rv->tasks[i]->id)) {
            out[i] = *stored[i];
            continue;
        }
        rc = revise__task(c, i, rv->tasks[i], stored[i], &out[i]);
    }
    for (size_t i = 0; rc == 0 && i < rv->n_withdrawn_task_ids; i++)
        rc = revise__withdraw(c->d, c->r, stored[nt + i], c->actor, c->why, rv->update,
                              c->touched, &out[nt + i]);
    return rc;
}

int revise_on_request(hl_req *r, void *ud)
{
    dispatch *d = ud;
    Hl__TaskRevision *rv = NULL;
    int rc = hl_req_payload(r, &hl__task_revision__descriptor, (ProtobufCMessage **)&rv);
    if (rc < 0)
        return rc;
    revise_ctx c = {.d = d, .r = r, .rv = rv};
    c.actor = r->env->sender_unit[0] ? r->env->sender_unit : r->peer;
    size_t n = rv->n_tasks + rv->n_withdrawn_task_ids;
    Hl__Task **stored = calloc(n + 1, sizeof *stored);
    Hl__Task *out = calloc(n + 1, sizeof *out);
    char **ids = calloc(n + 1, sizeof *ids);
    c.touched = calloc(d->roster->n + 1, 1);
    c.audit = calloc(rv->n_tasks + 1, sizeof *c.audit);
    if (!stored || !out || !ids || !c.touched || !c.audit) {
        rc = hl_req_fail(r, HL_ENOMEM, "", "dispatch.revise: out of memory");
        goto done;
    }
    uint32_t last = 0;
    if ((rc = revise__check(r, rv, ids, stored)) < 0)
        goto done;
    if ((rc = dstore_plan_update_get(r->txn, rv->plan_id, &last)) < 0) {
        rc = hl_req_fail(r, rc, "plan_id", "plan %s: cannot read its last update: %s",
                         rv->plan_id, hl_strerror(rc));
        goto done;
    }
    if (rv->update <= last) {
        /* An outbox resend or a revision overtaken by a later one: answered with the tasks
         * as they stand, nothing changes. */
        hl_info("revision %" PRIu32 " of plan %s ignored: update %" PRIu32
                " is applied already",
                rv->update, rv->plan_id, last);
        for (size_t i = 0; i < n; i++)
            out[i] = *stored[i];
        rc = revise__reply(r, out, n);
        goto done;
    }
    if ((rc = revise__apply(&c, stored, out)) < 0 ||
        (rc = dstore_plan_update_put(r->txn, rv->plan_id, rv->update)) < 0 ||
        (rc = dispatch_push_touched(d, r, c.touched)) < 0) {
        rc = hl_req_fail(r, rc, "", "revision %" PRIu32 " of plan %s cannot be applied: %s",
                         rv->update, rv->plan_id, hl_strerror(rc));
        goto done;
    }
    hl_info("plan %s update %" PRIu32 ": %zu task(s) revised, %zu withdrawn", rv->plan_id,
            rv->update, rv->n_tasks, rv->n_withdrawn_task_ids);
    rc = revise__reply(r, out, n);
done:
    dispatch_tasks_free(&stored, n);
    free(out);
    free(ids);
    free(c.touched);
    free(c.audit);
    protobuf_c_message_free_unpacked(&rv->base, NULL);
    return rc;
}
