/* policy.h — what the partner agent answers on its own, and which answer goes out next.
 * Pure: no I/O, no clock (times are passed in, drill Unix ms).
 *
 * A partner agent run with --ack-delay S acknowledges every new task S drill seconds after
 * it arrived; with --decline-kinds k1,k2 --reason TEXT it declines tasks of those kinds
 * instead (after the same delay, or at once without --ack-delay); with --auto-complete S it
 * reports completion S drill seconds after dispatch confirmed its acknowledgement.
 *
 * Answers of one task go out strictly in order, one at a time: an answer is sent only when
 * every answer before it is confirmed or refused, and only once its due time has come.
 */
#ifndef HAZPARTNER_POLICY_H
#define HAZPARTNER_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_codec.h"

#define POLICY_KINDS_MAX 8          /* kinds in --decline-kinds */
#define POLICY_KIND_MAX 32          /* bytes of one kind */
#define POLICY_DELAY_MAX_S 604800.0 /* a week of drill time: longer is a typo */
#define POLICY_ANSWERS_MAX                                                                         \
    4 /* answers one task can owe (ack or decline, complete,                                       \
         and one a person adds) */

typedef struct policy {
    int64_t ack_delay_ms; /* < 0: no automatic answer */
    int64_t complete_ms;  /* < 0: no automatic completion */
    size_t nkinds;
    char kinds[POLICY_KINDS_MAX][POLICY_KIND_MAX + 1];
    char reason[HL_TEXT_MAX + 1];
} policy;

/* A policy that answers nothing by itself. */
void policy_init(policy *p);

/* Seconds (drill) from the command line: "30", "2.5". HL_EINVAL (not a number, negative,
 * over POLICY_DELAY_MAX_S); err says which option. */
int policy_parse_seconds(const char *opt, const char *text, int64_t *out_ms, char *err,
                         size_t errlen);
/* "kind,kind": each a task kind dispatch knows (task.h task_kind_known), at most
 * POLICY_KINDS_MAX. HL_EINVAL naming the bad kind, HL_ETOOBIG too many. */
int policy_parse_kinds(policy *p, const char *csv, char *err, size_t errlen);
/* Check the whole: declining needs a reason (HL_EINVAL). */
int policy_check(const policy *p, char *err, size_t errlen);

/* One answer the agent plans. */
typedef struct policy_answer {
    char action[16];    /* "ack", "decline", "complete" */
    const char *reason; /* points into the policy; NULL when none */
    int64_t due_ms;
} policy_answer;

/* The answer to plan for a task of kind first received at received_ms.
 * Returns 1 with *out filled, or 0 when the policy answers nothing by itself. */
int policy_first_answer(const policy *p, const char *kind, int64_t received_ms, policy_answer *out);
/* After dispatch confirmed an acknowledgement at confirmed_ms: 1 with the completion to
 * plan, or 0. */
int policy_after_ack(const policy *p, int64_t confirmed_ms, policy_answer *out);

/* The state of one owed answer, as the store keeps it. */
typedef struct policy_owed {
    int64_t due_ms;
    int confirmed;
    int refused;
} policy_owed;

/* Index of the answer to send now among owed[0..n) at now_ms, or -1 (nothing due, or the
 * next open answer is not due yet). */
int policy_next(const policy_owed *owed, size_t n, int64_t now_ms);
/* When the next open answer among owed[0..n) falls due (drill ms; it may be in the past), or
 * INT64_MAX when none is open. The agent sets its timer to this instant, so an answer goes
 * out when it is due, not at the next sweep. */
int64_t policy_next_due(const policy_owed *owed, size_t n);

#endif
