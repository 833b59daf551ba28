/* task.c — task states and checks (task.h). Pure: no I/O, no clock. */
#include "task.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

static const char *const task__state_names[TASK_STATE_N] = {
    "pending", "delivered", "acknowledged", "declined", "completed", "withdrawn"};
static const char *const task__event_names[TASK_EV_N] = {"receipt", "ack", "decline", "complete",
                                                         "withdraw"};
static const char *const task__kinds[] = {
    "intercept",          "protect_receptor",  "warn_owner",         "sample",
    "notify_counterpart", "reserve_materials", TASK_KIND_ESCALATION, NULL};

const char *task_state_name(task_state s)
{
    return (unsigned)s < TASK_STATE_N ? task__state_names[s] : NULL;
}

const char *task_event_name(task_event e)
{
    return (unsigned)e < TASK_EV_N ? task__event_names[e] : NULL;
}

int task_state_parse(const char *s, task_state *out)
{
    for (int i = 0; s && i < TASK_STATE_N; i++)
        if (strcmp(s, task__state_names[i]) == 0) {
            *out = (task_state)i;
            return 0;
        }
    return HL_EINVAL;
}

int task_action_parse(const char *action, task_event *out)
{
    for (int i = TASK_EV_ACK; action && i <= TASK_EV_COMPLETE; i++)
        if (strcmp(action, task__event_names[i]) == 0) {
            *out = (task_event)i;
            return 0;
        }
    return HL_EINVAL;
}

/* What ev does in each state: the state it leads to, DUP (nothing to do) or BAD (refused).
 * An answer to a pending task goes through delivered first (see task.h). */
enum { DUP = -1, BAD = -2 };
/* clang-format off */
static const int task__next[TASK_EV_N][TASK_STATE_N] = {
    /*                   pending            delivered          acknowledged    declined  completed  withdrawn */
    [TASK_EV_RECEIPT]  = {TASK_DELIVERED,    DUP,               DUP,            DUP,      DUP,       DUP},
    [TASK_EV_ACK]      = {TASK_ACKNOWLEDGED, TASK_ACKNOWLEDGED, DUP,            BAD,      DUP,       BAD},
    [TASK_EV_DECLINE]  = {TASK_DECLINED,     TASK_DECLINED,     BAD,            DUP,      BAD,       BAD},
    [TASK_EV_COMPLETE] = {BAD,               BAD,               TASK_COMPLETED, BAD,      DUP,       BAD},
    [TASK_EV_WITHDRAW] = {TASK_WITHDRAWN,    TASK_WITHDRAWN,    TASK_WITHDRAWN, BAD,      BAD,       DUP},
};
/* clang-format on */

static void task__stamp(task_status *st, task_state to, int64_t at_ms)
{
    switch (to) {
    case TASK_DELIVERED:
        st->delivered_ms = at_ms;
        break;
    case TASK_ACKNOWLEDGED:
        st->acknowledged_ms = at_ms;
        break;
    case TASK_DECLINED:
        st->declined_ms = at_ms;
        break;
    case TASK_COMPLETED:
        st->completed_ms = at_ms;
        break;
    case TASK_WITHDRAWN:
        st->withdrawn_ms = at_ms;
        break;
    default:
        break;
    }
    st->state = to;
}

int task_apply(const task_status *before, task_event ev, int64_t at_ms, const char *reason,
               task_result *out)
{
    memset(out, 0, sizeof *out);
    out->after = *before;
    if ((unsigned)before->state >= TASK_STATE_N || (unsigned)ev >= TASK_EV_N || at_ms < 0)
        return HL_EINVAL;
    if (ev == TASK_EV_DECLINE) {
        int rc = hl_str_check(reason, HL_TEXT_MAX, 1);
        if (rc < 0)
            return rc;
    }
    int next = task__next[ev][before->state];
    if (next == DUP)
        return 0;
    if (next == BAD)
        return HL_ESTATE;
    /* A withdrawal is not an answer: a pending task never reached the unit's hands. */
    if (before->state == TASK_PENDING && next != TASK_DELIVERED && ev != TASK_EV_WITHDRAW) {
        out->steps[out->nsteps++] = (task_step){TASK_PENDING, TASK_DELIVERED};
        task__stamp(&out->after, TASK_DELIVERED, at_ms);
    }
    out->steps[out->nsteps++] = (task_step){out->after.state, (task_state)next};
    task__stamp(&out->after, (task_state)next, at_ms);
    return 0;
}

int task_kind_known(const char *kind)
{
    for (size_t i = 0; kind && task__kinds[i]; i++)
        if (strcmp(kind, task__kinds[i]) == 0)
            return 1;
    return 0;
}

#define TASK__FAIL(code, fld, ...)                                                                 \
    do {                                                                                           \
        snprintf(field, fieldlen, "tasks[%zu].%s", index, fld);                                    \
        snprintf(msg, msglen, __VA_ARGS__);                                                        \
        return (code);                                                                             \
    } while (0)

int task_check(const Hl__Task *t, size_t index, char *field, size_t fieldlen, char *msg,
               size_t msglen)
{
    const char *id = t->id && t->id[0] ? t->id : "(no id)";
    if (hl_id_check(t->id) < 0)
        TASK__FAIL(HL_EINVAL, "id", "task %zu: id '%s' is missing or not an id", index,
                   t->id ? t->id : "");
    if (hl_id_check(t->unit_id) < 0)
        TASK__FAIL(HL_EINVAL, "unit_id", "task %s: unit_id '%s' is missing or not an id", id,
                   t->unit_id ? t->unit_id : "");
    if (t->incident_id && t->incident_id[0] && hl_id_check(t->incident_id) < 0)
        TASK__FAIL(HL_EINVAL, "incident_id", "task %s: incident_id is not an id", id);
    if (t->plan_id && t->plan_id[0] && hl_id_check(t->plan_id) < 0)
        TASK__FAIL(HL_EINVAL, "plan_id", "task %s: plan_id is not an id", id);
    if (t->target_id && t->target_id[0] && hl_id_check(t->target_id) < 0)
        TASK__FAIL(HL_EINVAL, "target_id", "task %s: target_id is not an id", id);
    if (!task_kind_known(t->kind))
        TASK__FAIL(HL_EINVAL, "kind", "task %s: unknown kind '%.48s'", id, t->kind ? t->kind : "");
    if (strcmp(t->kind, TASK_KIND_ESCALATION) == 0 || (t->escalation_of && t->escalation_of[0]) ||
        t->escalation_step)
        TASK__FAIL(HL_EINVAL, strcmp(t->kind, TASK_KIND_ESCALATION) == 0 ? "kind" : "escalation_of",
                   "task %s: escalation notices are made by dispatch only", id);
    esc_level lv;
    if (t->level && t->level[0] && esc_level_parse(t->level, &lv) < 0)
        TASK__FAIL(HL_EINVAL, "level",
                   "task %s: level '%.32s' is not a warning level (蓝 黄 橙 红, blue … red) or "
                   "response level (I … IV)",
                   id, t->level);
    int rc = hl_str_check(t->title, HL_NAME_MAX, 1);
    if (rc < 0)
        TASK__FAIL(rc, "title", "task %s: title %s (1..%d bytes of UTF-8)", id,
                   rc == HL_ETOOBIG ? "too long" : "empty or not UTF-8", HL_NAME_MAX);
    if ((rc = hl_str_check(t->detail, HL_TEXT_MAX, 0)) < 0)
        TASK__FAIL(rc, "detail", "task %s: detail %s (at most %d bytes of UTF-8)", id,
                   rc == HL_ETOOBIG ? "too long" : "not UTF-8", HL_TEXT_MAX);
    if (!isfinite(t->chainage_km) || t->chainage_km < 0 || t->chainage_km > TASK_MAX_KM)
        TASK__FAIL(HL_EINVAL, "chainage_km", "task %s: chainage %g km outside 0..%g", id,
                   t->chainage_km, TASK_MAX_KM);
    if (t->due_ms < 0 || t->created_ms < 0)
        TASK__FAIL(HL_EINVAL, t->due_ms < 0 ? "due_ms" : "created_ms", "task %s: negative time",
                   id);
    return 0;
}
