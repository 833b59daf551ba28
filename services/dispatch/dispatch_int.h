/* dispatch_int.h — what the files of the dispatch service share (not a public interface):
 * dispatch.c (tasks, queries, partner answers), escalate.c (escalation chains), gateway.c
 * (CURVE keys of the partner gateway). Everything runs on the service's loop thread.
 */
#ifndef DISPATCH_INT_H
#define DISPATCH_INT_H

#include <stdint.h>
#include <sys/types.h>

#include "dispatch.h"
#include "dkeys.h"
#include "dstore.h"
#include "task.h"

/* What dispatch knows about a unit's partner connection. Not stored (except last_seen_ms):
 * after a restart every partner proves itself again with a hello. */
typedef struct dispatch_unit {
    int64_t last_hello_real_ms;   /* 0 = no hello since dispatch started */
    int64_t last_seen_ms;         /* drill time of the last hello, persisted */
    char peer[2 * HL_ID_MAX + 1]; /* routing id to push to, as the gateway printed it */
} dispatch_unit;

/* A refused gateway request, kept until the next fast tick writes it to the audit log: the
 * refusal's own transaction is rolled back with its error reply, so its audit entry cannot
 * be written there. At most DISPATCH_DENIED_MAX wait; more are counted and logged. */
#define DISPATCH_DENIED_MAX 256
typedef struct dispatch_denial {
    char unit[HL_ID_MAX + 1];    /* who tried */
    char task_id[HL_ID_MAX + 1]; /* what it named ("" if nothing) */
    char what[96];               /* "ack of a task of xj7-eeb" … */
    int64_t at_ms;
} dispatch_denial;

struct dispatch {
    hl_svc *svc;
    const units_roster *roster;
    dispatch_unit *units; /* parallel to roster->units */
    int64_t resend_ms;    /* real ms */
    dstore_pending *pend; /* DISPATCH_PUSH_BATCH scratch entries */

    int64_t esc_next_due; /* drill ms of the earliest planned escalation step; INT64_MAX none.
                             May be early (a rolled-back request), never late. */

    dispatch_denial *denied; /* DISPATCH_DENIED_MAX */
    size_t ndenied;
    uint64_t denied_lost;

    /* gateway.c */
    dkeys_paths keys;
    hl_keytable *kt;                 /* the admitted keys; borrowed by the gateway */
    char gw_pub[HL_KEY_Z85_LEN + 1]; /* the gateway's public key */
    struct {
        ino_t ino;
        off_t size;
        int64_t mtime_ns;
        int exists;
    } table_stamp; /* the key table file as last read */
};

/* ---- dispatch.c ---- */

/* A stored task's state and times (HL_EINVAL for an unknown state), and the reverse on a
 * shallow copy (static strings; never on the unpacked task itself, whose strings protobuf-c
 * frees). */
int dispatch_task_status(const Hl__Task *t, task_status *st);
void dispatch_task_set_status(Hl__Task *t, const task_status *st);
/* 1 when t owes its unit a push (its "pending" entry stays): never receipted (state
 * pending), or a revision its unit has not receipted (Task.revisions > revision_receipted)
 * of a task delivered or acknowledged, or withdrawn after it was pushed at least once. */
int dispatch_task_owed(const Hl__Task *t);
/* Push what is owed (dispatch_push_pending) to every unit marked in touched (one byte per
 * roster unit) whose partner is connected now; the others get it at their next hello. */
int dispatch_push_touched(dispatch *d, hl_req *r, const unsigned char *touched);
/* Free an array of n unpacked tasks (NULL entries skipped) and the array; clears *tasks. */
void dispatch_tasks_free(Hl__Task ***tasks, size_t n);
/* Copy text into dst (cap bytes), cut on a UTF-8 character boundary. */
void dispatch_cut(char *dst, size_t cap, const char *text);

dispatch_unit *dispatch_unit_of(dispatch *d, const char *id);
int dispatch_unit_connected(const dispatch_unit *du, int64_t now_real);

/* Store t, append the audit entries of its steps (created: one entry "" → pending), publish
 * task.state. */
int dispatch_task_record(hl_req *r, Hl__Task *t, const task_step *steps, size_t nsteps, int created,
                         const char *actor, const char *reason, int64_t claimed_ms);
/* Store a new task t (its unit in the roster): the unit's next seq, state pending, by_unit
 * and pending entries, audit, task.state. t is filled in (seq, state, actor) and its strings
 * must outlive the call. */
int dispatch_task_create(hl_req *r, Hl__Task *t, const char *actor);
/* Push to du's partner the pending tasks of unit whose last push is at or before
 * before_real (INT64_MAX: all), in seq order, at most DISPATCH_PUSH_BATCH. */
int dispatch_push_pending(dispatch *d, hl_req *r, const char *unit, dispatch_unit *du,
                          int64_t before_real);
/* Keep a refusal for the audit log (dispatch_denial). */
void dispatch_deny_note(dispatch *d, hl_req *r, const char *unit, const char *task_id,
                        const char *what);

/* ---- escalate.c ---- */

/* Start the chain of task t, just stored (not for escalation notices). */
int escalate_task_stored(dispatch *d, hl_req *r, const Hl__Task *t);
/* t (after the change) was answered with ev by unit. */
int escalate_on_answer(dispatch *d, hl_req *r, const Hl__Task *t, task_event ev, const char *unit,
                       const char *reason);
/* Take every step that is due (called from the fast tick). */
int escalate_tick(dispatch *d, hl_req *r);
/* d->esc_next_due from the store (at start). */
int escalate_load(dispatch *d);
/* dispatch.chain handler. */
int escalate_on_chain(hl_req *r, void *ud);

/* A re-anchored plan changed the level of task t (issue 4): its chain's timeout follows. */
int escalate_task_level(dispatch *d, hl_req *r, const Hl__Task *t);
/* Task t was withdrawn: its chain takes no further step (audit "escalation_cancelled" when a
 * step was planned) and the escalation notices it made are withdrawn too
 * (revise_withdraw_id). */
int escalate_task_withdrawn(dispatch *d, hl_req *r, const Hl__Task *t, const char *actor,
                            const char *reason, uint32_t update, unsigned char *touched);

/* ---- revise.c ---- */

/* dispatch.revise handler (dispatch.h). */
int revise_on_request(hl_req *r, void *ud);
/* Withdraw the stored task id (an escalation notice of a withdrawn task): state withdrawn
 * (pending, delivered, acknowledged; others are left as they are), audit, the unit told if it
 * ever had it (touched[its roster index] = 1: push now). 0 also when there is no such task. */
int revise_withdraw_id(dispatch *d, hl_req *r, const char *id, const char *actor,
                       const char *reason, uint32_t update, unsigned char *touched);

/* ---- gateway.c ---- */

/* Keys dir, gateway key pair, key table, and the CURVE gateway at endpoint. err names the
 * file or endpoint on failure. */
int gateway_start(dispatch *d, const char *endpoint, const char *data_dir, char *err,
                  size_t errlen);
/* The key table file changed since it was read: bring the live table in line (from the
 * 500 ms tick). */
int gateway_watch(dispatch *d);
/* dispatch.keys_reload and dispatch.gateway_rekey handlers. */
int gateway_on_reload(hl_req *r, void *ud);
int gateway_on_rekey(hl_req *r, void *ud);
void gateway_stop(dispatch *d);

#endif
