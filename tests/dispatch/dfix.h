/* dfix.h — fixture of the dispatch integration tests: dispatch and hazpartner as real
 * processes (clients/common stack.h), real sockets on 127.0.0.1, real LMDB files and key
 * files in a temporary data dir, one drill clock for every process.
 *
 * Helpers fail the running cmocka test (fail_msg) when something they need does not work,
 * so tests read as the steps they check. */
#ifndef DISPATCH_DFIX_H
#define DISPATCH_DFIX_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "dispatch.pb-c.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_zap.h"
#include "hazlink/stack.h"

#define DFIX_WAIT_MS 30000

typedef struct dfix {
    char dir[256];
    hl_config cfg;
    hl_stack *st;
    char req[128], gw[128];
    const char *const *dispatch_args; /* extra arguments of dispatch (e.g. --units FILE) */
} dfix;

extern dfix F;

/* mkdtemp /tmp/hl-<name>-XXXXXX, the environment of the children (data, playbooks, clock at
 * scale), a stack on free ports. For cmocka setup: 0 or -1. */
int dfix_setup(const char *name, double scale);
/* dfix_setup, then the roster text written to <dir>/units.yaml and dispatch started with
 * --units on it. 0 or -1. */
int dfix_setup_roster(const char *name, double scale, const char *roster);
/* A roster for escalation tests: unit ea escalates to eb, then ec; acknowledgement timeouts
 * 红 1 min, 橙 2, 黄 3, 蓝 4; one reminder per unit; default level 黄. */
extern const char DFIX_ESC_ROSTER[];
/* Stop everything, remove the dir (unless HL_KEEP_TEST_DATA). 0 or -1. */
int dfix_teardown(void);

void dfix_sleep_ms(long ms);
/* Start dispatch (with F.dispatch_args); a port taken meanwhile moves the stack. */
void dfix_start_dispatch(void);
void dfix_start_partner(const char *unit, double ack_delay_s, const char *const *extra);

/* ---- requests to dispatch's request socket ---- */
Hl__Task dfix_task(const char *id, const char *unit, const char *kind, const char *title);
/* dispatch.tasks with batch level (NULL: none); returns hl_call's code, *out the TaskList (or
 * NULL), field/err the error's field and message. */
int dfix_submit(Hl__Task *tasks, size_t n, const char *level, Hl__TaskList **out, char *field,
                size_t fieldlen, char *err, size_t errlen);
/* dispatch.revise of plan "plan-test" (incident "inc-test") as the playbook sends it: update,
 * the revised tasks and the withdrawn ids (issue 4). Returns hl_call's code, *out the TaskList
 * (or NULL), field/err the error's field and message. */
int dfix_revise(uint32_t update, const char *plan_id, Hl__Task *tasks, size_t n,
                const char *const *withdrawn, size_t nw, Hl__TaskList **out, char *field,
                size_t fieldlen, char *err, size_t errlen);
ProtobufCMessage *dfix_query(const char *type, const char *unit, const char *id,
                             const ProtobufCMessageDescriptor *d);
Hl__TaskList *dfix_list(const char *unit);
const Hl__Task *dfix_find(const Hl__TaskList *l, const char *id);
/* Wait until every task of ids is in state; returns the last list (caller frees). */
Hl__TaskList *dfix_wait_state(const char *const *ids, size_t n, const char *state);
/* The task is stored in state (fails the test otherwise, naming what it is). */
void dfix_assert_state(const char *id, const char *state);
int dfix_unit_connected(const char *unit);
void dfix_wait_connected(const char *unit);
Hl__AuditList *dfix_audit(const char *task_id);
/* How many audit entries of task have event (AuditEntry.event). */
int dfix_audit_events(const char *task_id, const char *event);
/* Escalation chain of a task (dispatch.chain); NULL when dispatch refuses (code in *rc). */
Hl__Escalation *dfix_chain(const char *task_id, int *rc);
/* The chain of a task that must have one (fails the test otherwise). */
Hl__Escalation *dfix_chain_of(const char *task_id);
/* Raw payload bytes to the request socket; returns the reply's error code (0 if none). */
int dfix_raw_call(const char *type, const void *payload, size_t len, char *field, size_t fieldlen);

/* ---- keys (services/dispatch/dkeys.h layout under F.dir) ---- */
/* Make a key pair for unit at keys/units/<unit> (if missing) and admit it in the table;
 * base gets the pair's base path. A running dispatch is told (dispatch.keys_reload). */
void dfix_keys_admit(const char *unit, char *base, size_t n);
/* Make a key pair at F.dir/<name> that no table lists. */
void dfix_keys_stray(const char *name, char *base, size_t n);
/* Path of the gateway's public key. */
const char *dfix_gateway_pub(void);
/* dispatch.keys_reload: 0 and *st filled, or the error code. */
int dfix_keys_reload(Hl__KeysStatus **st);

/* ---- the partner gateway, as a partner would use it ---- */
typedef struct dfix_reply {
    int done, status; /* status: 0 (a reply came) or HL_ETIMEOUT */
    int code;         /* the reply's error code, 0 if none */
    char field[64];
    Hl__Task *task; /* a Task reply, or NULL */
} dfix_reply;

/* One request from a fresh DEALER with routing id `as` (NULL: none) speaking CURVE with the
 * pair at key_base (NULL: plain), payload m or raw bytes; waits timeout_ms real ms. */
void dfix_gw_call(const char *as, const char *key_base, const char *type, const ProtobufCMessage *m,
                  const void *raw, size_t rawlen, int timeout_ms, dfix_reply *out);
/* task.answer as unit `as` with its admitted key; returns the reply's error code (0 if none);
 * a reply must come. */
int dfix_gw_answer(const char *as, const char *key_base, const char *task_id, const char *action,
                   const char *reason, char *field, size_t fieldlen);

/* ---- the partner's own store and output ---- */
json_t *dfix_export(const char *unit);
json_t *dfix_export_task(json_t *doc, const char *id);
long dfix_jint(json_t *o, const char *k);
char *dfix_log(const char *child); /* whole log of a child (free) */
/* Lines the partner printed for task id ("<time> <id> <kind> <title>"). */
int dfix_shown_lines(const char *log, const char *id, const char *kind);
/* Count of occurrences of needle in hay. */
int dfix_count(const char *hay, const char *needle);

#endif
