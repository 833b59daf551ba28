/* pstore.h — the partner agent's own LMDB store (data_dir/partner-<unit>).
 *
 * What the partner received and what it owes dispatch, so that a crashed agent loses
 * nothing and shows nothing twice:
 *   "tasks"  task id → PartnerTaskRecord (dispatch.proto): the task, how often it was shown
 *            to the application (shown_count, 1 when all is well), how often dispatch
 *            pushed it, and the answers owed (kept until dispatch confirms or refuses them)
 *   "due"    task id → "1" while the task has an answer neither confirmed nor refused
 *
 * The agent and the one-shot commands (hazpartner ack|decline|complete|list|export) may
 * open the store at the same time: LMDB serialises their write transactions across
 * processes. The running agent holds an exclusive flock on <dir>/agent.lock; a one-shot
 * command uses it to learn whether an agent will carry its answer.
 */
#ifndef HAZPARTNER_PSTORE_H
#define HAZPARTNER_PSTORE_H

#include <stddef.h>
#include <stdint.h>
#include "dispatch.pb-c.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_store.h"
#include "policy.h"

typedef struct pstore_answer {
    char action[16]; /* "ack", "decline", "complete" */
    char reason[HL_TEXT_MAX + 1];
    int64_t due_ms; /* drill ms: send not before */
    int64_t at_ms;  /* drill ms: when it was decided */
    int confirmed;
    char refused[HL_TEXT_MAX + 1]; /* "" or why dispatch refused it (final) */
    uint32_t attempts;
} pstore_answer;

typedef struct pstore_rec {
    Hl__Task *task; /* owned: free with pstore_rec_clear */
    uint32_t shown_count;
    uint32_t deliveries;
    int64_t received_ms;
    uint32_t revisions; /* revisions shown (UPDATED / WITHDRAWN lines), never in shown_count */
    size_t nans;
    pstore_answer ans[POLICY_ANSWERS_MAX];
} pstore_rec;

typedef struct pstore pstore;

/* Open (creating) data_dir/partner-<unit>. HL_EINVAL bad unit id, HL_ETOOBIG path too
 * long, and hl_store_open's errors (err names the path). */
int pstore_open(const char *data_dir, const char *unit, size_t map_size, pstore **out, char *err,
                size_t errlen);
void pstore_close(pstore **ps);
hl_store *pstore_store(pstore *ps);
const char *pstore_dir(const pstore *ps);

/* Take the agent lock (non-blocking). 0, HL_EBUSY (another agent of this unit runs), HL_EIO. */
int pstore_agent_lock(pstore *ps);
/* 1 when some process holds the agent lock, 0 when none, <0 on error. */
int pstore_agent_running(pstore *ps);

/* Read the record of task_id into *out (clear it with pstore_rec_clear).
 * HL_ENOTFOUND, HL_EDECODE (damaged record), store errors. */
int pstore_get(hl_txn *t, const char *task_id, pstore_rec *out);
/* Write rec (its task must be set) and keep "due" in step. */
int pstore_put(hl_txn *t, const pstore_rec *rec);
/* Free rec's task and zero it. Accepts NULL. */
void pstore_rec_clear(pstore_rec *rec);
/* A copy of task owned by the caller (hl__task__free_unpacked), or NULL (HL_ENOMEM). */
Hl__Task *pstore_task_dup(const Hl__Task *task);

/* Append an answer. HL_ETOOBIG when POLICY_ANSWERS_MAX are owed already. */
int pstore_rec_add_answer(pstore_rec *rec, const char *action, const char *reason, int64_t due_ms,
                          int64_t at_ms);
/* A person's answer replaces the agent's own planned answers that were never sent: drop
 * every open answer with no attempt yet. */
void pstore_rec_drop_unsent(pstore_rec *rec);
/* Index of the answer to send now (policy_next), or -1. */
int pstore_rec_next(const pstore_rec *rec, int64_t now_ms);
/* When the record's next open answer falls due (policy_next_due), INT64_MAX when none. */
int64_t pstore_rec_next_due(const pstore_rec *rec);

/* Take dispatch's view of the task (a reply), unless it is older news than what the record
 * holds (replies to a receipt and to an answer may cross): states rank pending < delivered
 * < acknowledged = declined < completed = withdrawn, and a copy of an earlier revision
 * (Task.revisions) is older news too. A task with another id is ignored. */
void pstore_rec_take_task(pstore_rec *rec, const Hl__Task *t);
/* Settle the open answer of action that was sent (attempts > 0), the first such: confirmed
 * (refused NULL) or refused with that text (final). Returns its index, or -1 if none. */
int pstore_rec_settle(pstore_rec *rec, const char *action, const char *refused);

/* Read-modify-write the record of task_id in one write transaction: fn changes *rec and
 * returns 0 to write it, >0 to leave the store unchanged, <0 to abort with that error.
 * HL_ENOTFOUND when the task is not in the store; store errors. */
typedef int (*pstore_update_fn)(pstore_rec *rec, void *ud);
int pstore_update(pstore *ps, const char *task_id, pstore_update_fn fn, void *ud);
/* Record dispatch's reply about task_id: settle the sent answer of action (NULL for a
 * receipt: nothing to settle) as confirmed, or as refused with text refused (non-NULL),
 * and take the task t it returned (may be NULL). Errors of pstore_update. */
int pstore_record_reply(pstore *ps, const char *task_id, const char *action, const char *refused,
                        const Hl__Task *t);
/* How a refusal is written into the store and shown: "code (phrase): message [field]". */
void pstore_describe_error(const Hl__Error *e, char *buf, size_t n);

/* Task ids with an open answer, up to max, in key order. Returns the count or HL_E*. */
int pstore_due_list(hl_txn *t, char (*ids)[HL_ID_MAX + 1], size_t max);
/* Every record in task id order; fn returns 0 to go on, <0 to stop with that error. */
typedef int (*pstore_fn)(const pstore_rec *rec, void *ud);
int pstore_scan(hl_txn *t, pstore_fn fn, void *ud);

#endif
