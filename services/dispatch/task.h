/* task.h — the life of a dispatched task, as pure functions (no I/O, no clock).
 *
 * States and the changes allowed between them (docs/protocol.md, dispatch.proto Task.state):
 *
 *     pending ──receipt──▶ delivered ──ack─────▶ acknowledged ──complete──▶ completed
 *                              └──────decline──▶ declined
 *     pending | delivered | acknowledged ──withdraw──▶ withdrawn       (issue 4)
 *
 *  - An answer (ack or decline) to a task still pending first makes it delivered at the same
 *    time: the unit has the task in hand, whatever happened to its receipt. Two steps are
 *    reported so the audit log shows both.
 *  - A duplicate is not an error and changes nothing: a receipt for a task already delivered
 *    or further, an ack for a task acknowledged or completed (it was acknowledged on the way),
 *    a decline for a declined task, a complete for a completed task. Delivery to partners is
 *    at least once, so every message may come twice.
 *  - Everything else is refused with HL_ESTATE and changes nothing: completing a task that
 *    was not acknowledged, declining one already acknowledged or completed, acknowledging or
 *    completing a declined one (declined is final for that unit: the duty officer re-plans).
 *  - withdraw (dispatch.revise: a re-anchored forecast no longer needs the task) is dispatch's
 *    own event, never a partner's answer. A pending task is withdrawn directly (it was never
 *    in the unit's hands: no delivered step). Withdrawn is final: a receipt of it is a
 *    duplicate, an answer is refused (HL_ESTATE); withdrawing a withdrawn task is a
 *    duplicate, a declined or completed one is refused (there is nothing left to call off).
 *
 * Times are Unix ms UTC on dispatch's clock (drill time under a drill); actor and reason are
 * the caller's to record.
 */
#ifndef DISPATCH_TASK_H
#define DISPATCH_TASK_H

#include <stddef.h>
#include <stdint.h>
#include "dispatch.pb-c.h"
#include "escalation.h"

typedef enum task_state {
    TASK_PENDING = 0,
    TASK_DELIVERED,
    TASK_ACKNOWLEDGED,
    TASK_DECLINED,
    TASK_COMPLETED,
    TASK_WITHDRAWN, /* issue 4 */
    TASK_STATE_N
} task_state;

typedef enum task_event {
    TASK_EV_RECEIPT = 0, /* task.receipt */
    TASK_EV_ACK,         /* task.answer "ack" */
    TASK_EV_DECLINE,     /* task.answer "decline" (reason required) */
    TASK_EV_COMPLETE,    /* task.answer "complete" */
    TASK_EV_WITHDRAW,    /* dispatch.revise withdrew it (not an answer a partner can give) */
    TASK_EV_N
} task_event;

/* Wire names: "pending" … "withdrawn"; "receipt", "ack", "decline", "complete", "withdraw".
 * NULL out of range. */
const char *task_state_name(task_state s);
const char *task_event_name(task_event e);
/* Parse a wire name. HL_EINVAL for anything else (NULL included). */
int task_state_parse(const char *s, task_state *out);
/* Only the three answers of TaskAnswer.action ("receipt" is not an answer). */
int task_action_parse(const char *action, task_event *out);

typedef struct task_status {
    task_state state;
    int64_t delivered_ms, acknowledged_ms, declined_ms, completed_ms; /* 0 = not yet */
    int64_t withdrawn_ms;
} task_status;

typedef struct task_step {
    task_state from, to;
} task_step;

typedef struct task_result {
    task_status after; /* equals before when nothing changed */
    size_t nsteps;     /* 0 (duplicate), 1, or 2 (an answer that implied the delivery) */
    task_step steps[2];
} task_result;

/* Apply ev at at_ms to before. reason: required (non-empty) for a decline, at most
 * HL_TEXT_MAX bytes; ignored otherwise (may be NULL).
 *  0           applied, or a duplicate (out->nsteps 0)
 *  HL_ESTATE   not allowed in before->state; out->after = *before, nsteps 0
 *  HL_EINVAL   decline without a reason, at_ms < 0, state or event out of range
 *  HL_ETOOBIG  reason longer than HL_TEXT_MAX */
int task_apply(const task_status *before, task_event ev, int64_t at_ms, const char *reason,
               task_result *out);

/* Task kinds dispatch knows (dispatch.proto Task.kind): the six a playbook may send, and
 * TASK_KIND_ESCALATION, which dispatch makes itself (escalation.h) and refuses in a batch. */
#define TASK_KIND_ESCALATION "escalation"
int task_kind_known(const char *kind);

/* Check one task of a TaskBatch before it is stored (the unit's existence is the caller's,
 * who holds the roster). On error writes the field ("tasks[3].kind") into field and a
 * sentence naming the task into msg.
 *  HL_EINVAL   id or unit_id missing or not an id (hl_id_check); incident_id, plan_id,
 *              target_id not an id when given; unknown kind; kind "escalation" or
 *              escalation_of/escalation_step set (notices are dispatch's own); level given
 *              but not one esc_level_parse takes; title empty; chainage_km not finite or
 *              outside [0, TASK_MAX_KM]; due_ms or created_ms negative
 *  HL_ETOOBIG  title over HL_NAME_MAX bytes, detail over HL_TEXT_MAX bytes */
#define TASK_MAX_KM 1000.0
int task_check(const Hl__Task *t, size_t index, char *field, size_t fieldlen, char *msg,
               size_t msglen);

#endif
