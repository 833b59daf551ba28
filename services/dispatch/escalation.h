/* escalation.h — when a task's acknowledgement is overdue, who is told next, and when.
 * Pure: structs in, structs out; no I/O, no clock (every time is passed in, Unix ms on
 * dispatch's clock, which is drill time under a drill).
 *
 * A task for unit U has a chain [U, E1, E2, …] (units_chain, units.h: U's escalation list in
 * the roster, or the units U reports to). From the moment dispatch stores the task, U has
 * timeout_ms to acknowledge it; the timeout depends on the incident's warning level
 * (esc_policy, from the roster's escalation section). When it runs out:
 *   - while the unit told last has had fewer than `repeats` reminders, it is reminded
 *     (a "repeat" step) and gets another timeout_ms;
 *   - then the next unit of the chain is notified (an "escalate" step) and gets timeout_ms,
 *     and its own reminders, and so on to the end of the chain;
 *   - after the last unit's last reminder nothing more is planned ("exhausted"); the task
 *     still waits for its answer.
 * Each wait runs from when the unit was actually told (since_ms), so a step that fires late
 * (dispatch was down when it was due) gives the next unit its full timeout.
 *
 * Answers (esc_acknowledge, esc_decline):
 *   - an acknowledgement by any unit told so far (the task's unit, or a unit that received an
 *     escalation notice) ends the chain: no step is ever taken after it;
 *   - a decline by the unit told last escalates at once to the next unit (skipping its
 *     remaining reminders); a decline by the last unit of the chain exhausts it; a decline by
 *     a unit the chain has already moved past changes nothing.
 *
 * Levels: warning levels 蓝/黄/橙/红 (blue/yellow/orange/red, from least to most severe) as
 * the national plan for sudden environmental incidents grades warnings (国家突发环境事件应急
 * 预案, 国办函〔2014〕119号); the response levels IV/III/II/I of the same plan are taken as
 * 蓝/黄/橙/红 respectively (a hazlink correspondence: both run over four steps of severity,
 * I the most severe). No standard fixes acknowledgement timeouts: the minutes are data
 * (playbooks/kuitun/units.yaml, marked as a hazlink assumption there).
 */
#ifndef DISPATCH_ESCALATION_H
#define DISPATCH_ESCALATION_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_codec.h"

#define ESC_CHAIN_MAX 9          /* the task's unit and up to 8 after it */
#define ESC_REPEATS_MAX 5        /* reminders per unit */
#define ESC_TIMEOUT_MAX_MIN 1440 /* a day: a longer acknowledgement timeout is a typo */

typedef enum esc_level { ESC_BLUE = 0, ESC_YELLOW, ESC_ORANGE, ESC_RED, ESC_LEVEL_N } esc_level;
typedef enum esc_status {
    ESC_WAITING = 0,
    ESC_ACKNOWLEDGED,
    ESC_EXHAUSTED,
    ESC_WITHDRAWN, /* issue 4: the task was withdrawn (dispatch.revise); nothing more */
    ESC_STATUS_N
} esc_status;
typedef enum esc_kind { ESC_REPEAT = 0, ESC_ESCALATE, ESC_KIND_N } esc_kind;

/* "蓝" "黄" "橙" "红"; "blue" …; NULL out of range. Static storage. */
const char *esc_level_name(esc_level l);
const char *esc_level_name_en(esc_level l);
/* Parse a level: 蓝 黄 橙 红, blue yellow orange red (any case), response levels IV III II I
 * (also Ⅳ Ⅲ Ⅱ Ⅰ). HL_EINVAL for anything else, NULL and "" included. */
int esc_level_parse(const char *s, esc_level *out);
/* As esc_level_parse; *response (may be NULL) gets 1 when s is a response level (IV … I),
 * 0 for a warning level. */
int esc_level_parse_scale(const char *s, esc_level *out, int *response);
/* How a level is written: the response level "IV" … "I" when response, else the warning
 * level's Chinese name. NULL out of range. Static storage. */
const char *esc_level_label(esc_level l, int response);
/* The spelling dispatch stores for a level given as s (issue 4): a warning level by its
 * Chinese name (蓝 … 红, whatever word was given), a response level in ASCII ("IV" … "I",
 * also for Ⅳ … Ⅰ), so a task of a graded incident shows its response level, not the warning
 * colour whose timeout it borrows. NULL when s is not a level. Static storage. */
const char *esc_level_canon(const char *s);
/* "waiting" "acknowledged" "exhausted" "withdrawn"; "repeat" "escalate". NULL out of range. */
const char *esc_status_name(esc_status s);
const char *esc_kind_name(esc_kind k);
int esc_status_parse(const char *s, esc_status *out); /* HL_EINVAL */
int esc_kind_parse(const char *s, esc_kind *out);     /* HL_EINVAL */

/* The roster's rules (units.yaml escalation section). */
typedef struct esc_policy {
    int enabled;                  /* 0: no section in the roster: nothing is escalated */
    int timeout_min[ESC_LEVEL_N]; /* 1..ESC_TIMEOUT_MAX_MIN, by level */
    esc_level default_level;      /* for a task that gives no level */
    unsigned repeats;             /* 0..ESC_REPEATS_MAX */
} esc_policy;

/* Check a policy: timeouts in range and never longer for a more severe level (a red
 * warning never waits longer than a yellow one), repeats in range, default level valid.
 * HL_EINVAL with a sentence in err. A disabled policy is valid. */
int esc_policy_check(const esc_policy *p, char *err, size_t errlen);

typedef struct esc_state {
    size_t nchain;
    char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1]; /* chain[0] is the task's unit */
    esc_level level;
    int response;        /* the level was given as a response level (IV … I): shown so */
    int level_defaulted; /* the task gave no level */
    int64_t timeout_ms;
    unsigned repeats;
    size_t pos;            /* chain[pos] is the unit told last */
    unsigned repeats_done; /* reminders chain[pos] has had */
    int64_t started_ms;    /* when the task was stored */
    int64_t since_ms;      /* when chain[pos] was last told */
    esc_status status;
    int64_t ended_ms;             /* acknowledged: when */
    char ended_by[HL_ID_MAX + 1]; /* acknowledged: by which unit */
} esc_state;

typedef struct esc_step {
    esc_kind kind;
    size_t pos;      /* chain index of the unit told */
    unsigned repeat; /* ESC_REPEAT: 1..repeats; 0 for ESC_ESCALATE */
    int64_t due_ms;  /* when it is (was) due */
    int64_t at_ms;   /* when it was taken; 0 in a plan (esc_next) */
    int declined;    /* taken at once because chain[pos - 1] declined */
} esc_step;

/* Start the chain of a task stored at start_ms. level: a level esc_level_parse takes, or
 * NULL/"" for the policy's default (level_defaulted = 1). chain: n units, chain[0] the
 * task's own, ids checked with hl_id_check.
 *  HL_EINVAL   unknown level, n == 0, a bad id, start_ms < 0, policy disabled
 *  HL_ETOOBIG  n > ESC_CHAIN_MAX */
int esc_start(const esc_policy *p, const char *level, const char (*chain)[HL_ID_MAX + 1], size_t n,
              int64_t start_ms, esc_state *out);

/* The step planned next, if nothing else happens: 1 with *out (at_ms 0), 0 when none (the
 * chain was acknowledged or is exhausted). */
int esc_next(const esc_state *s, esc_step *out);

/* Take the next step if it is due at now_ms: 1 with *out (at_ms = now_ms) and s advanced
 * (since_ms = now_ms), 0 when nothing is due. One step per call: once a unit is told it
 * gets its whole timeout, so a second step is never due at the same moment. When nothing is
 * planned after the step, s->status becomes ESC_EXHAUSTED. */
int esc_fire_due(esc_state *s, int64_t now_ms, esc_step *out);

/* unit acknowledged (or completed) at at_ms. 1 when this ended the chain (status
 * ESC_ACKNOWLEDGED, ended_by = unit); 0 when it changes nothing (already acknowledged, or a
 * unit the chain has not told). */
int esc_acknowledge(esc_state *s, const char *unit, int64_t at_ms);

/* unit declined at at_ms.
 *  1  the next unit is told at once: *out is the escalate step (declined = 1, due_ms =
 *     at_ms = at_ms), s advanced
 *  2  unit was the last of the chain: status ESC_EXHAUSTED, nobody is left to tell
 *  0  nothing changes (the chain ended, or unit is not the unit told last) */
int esc_decline(esc_state *s, const char *unit, int64_t at_ms, esc_step *out);

/* The task was withdrawn at at_ms (issue 4): no step is taken after it. 1 when this cancelled
 * a planned step (the chain was waiting), 0 when nothing was planned (acknowledged,
 * exhausted, withdrawn already); either way the status becomes ESC_WITHDRAWN unless the
 * chain was acknowledged (an acknowledgement stays on record as how the chain ended). */
int esc_withdraw(esc_state *s, int64_t at_ms);

/* Change the level of a chain (the incident's level changed; dispatch.revise): the timeout
 * becomes the policy's for the new level, counted from when the unit told last was told, so
 * a waiting chain's next step moves. HL_EINVAL for an unknown level or a disabled policy;
 * 0 otherwise (also when the chain has ended: only its record changes). */
int esc_set_level(esc_state *s, const esc_policy *p, const char *level);

/* Index of unit in the chain, or -1. */
int esc_chain_index(const esc_state *s, const char *unit);

#endif
