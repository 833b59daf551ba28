/* fault_run.h — the fault test: load the stack, kill its processes, let it settle, judge it.
 *
 * One run:
 *  1. starts the five services and one hazpartner agent per unit of the roster
 *     (clients/common stack.h) on free ports, with a fresh data dir;
 *  2. load phase: sends the client messages of the seeded plan (fault_plan.h) to alert at
 *     the planned rate, up to FAULT_WINDOW in flight; a message that gets no answer (the
 *     service is down, the reply was lost, or a transient error came back) is sent again
 *     with the SAME msg_id until it is answered: that is the client side of at-least-once.
 *     Every few seconds it also asks stock for its reservations and issues or releases some
 *     of them (stock.release, same rule). Meanwhile it kills the planned process with
 *     SIGKILL at the planned moment and restarts it after the planned down time;
 *  3. settle: after the load phase, everything is up; it waits (at most settle_s) until
 *     every client message is answered, no service has anything in its outbox, dispatch has
 *     no task waiting for delivery and no partner owes an answer, twice in a row;
 *  4. reads stock's levels and reservations, stops the stack, reads the other stores and
 *     every partner's export, and judges them (fault_check.h);
 *  5. scans every child's log for sanitizer reports.
 * A child that dies on its own (a crash) is restarted and counted; any crash, sanitizer
 * report, lost or twice-applied effect, or failure to settle makes the run fail.
 */
#ifndef FAULT_RUN_H
#define FAULT_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "fault_check.h"
#include "hazlink/hl_config.h"

#define FAULT_WINDOW 64           /* client messages in flight at once */
#define FAULT_REQ_TIMEOUT_MS 1500 /* real ms before an unanswered message is sent again */
#define FAULT_RETRY_MS 100        /* real ms after a timeout or transient error */
#define FAULT_TICK_MS 10          /* the driver's loop tick */
#define FAULT_STOCK_EVERY_S 4.0   /* stock actions are chosen this often (load phase) */
#define FAULT_MAX_ACTIONS 4096    /* stock actions in one run */
#define FAULT_READY_MS 30000      /* a restarted service must answer status by then */
#define FAULT_PROBLEM_MAX 512

typedef struct fault_opts {
    uint64_t seed;
    double seconds;      /* load phase, real s */
    double rate;         /* client messages per real s */
    size_t burst;        /* sent together (fault_plan.h); 0 = 1 */
    double dup_share;    /* share of answered messages sent once more, as if the reply had
                            been lost on the way (the receiver's inbox must answer it the
                            same way without applying it again) */
    double report_share; /* share of incident reports among them */
    size_t kills;
    double max_down_s;
    double settle_s;             /* longest wait for the stack to settle after the load phase */
    int base_port;               /* 0 = choose a free one */
    char dir[HL_PATH_MAX - 64];  /* work dir (data/ and logs inside); "" = a new temp dir */
    char playbooks[HL_PATH_MAX]; /* "" = the configured default */
    int keep;                    /* keep the work dir (always kept when the run fails) */
    int quiet;                   /* no progress lines */
} fault_opts;

typedef struct fault_figures {
    size_t kills_planned, kills_done, kills_survived;
    size_t kills_by_service[5], kills_of_partners;
    uint64_t msgs_planned, msgs_accepted, msgs_refused, msgs_unanswered;
    uint64_t sends;   /* every send, first ones and resends */
    uint64_t resends; /* sends of a msg_id already sent */
    uint64_t readings, reports;
    uint64_t actions_sent, actions_accepted, actions_refused;
    uint64_t dups_sent, dups_same, dups_differ; /* sent again after their answer */
    uint64_t incidents, incidents_from_reports, alerts, plans, reservations, tasks, batches;
    uint64_t deliveries, answers_confirmed; /* from the partner stores */
    uint64_t stock_rows_in_ledger;
    uint64_t plan_updates;         /* re-anchorings (Plan.updates): each sent a dispatch.revise */
    uint64_t revisions, withdrawn; /* dispatch's task revisions; tasks withdrawn */
    uint64_t service_messages;     /* applied between services and partners, from the stores */
    uint64_t crashes, sanitizer_reports, units;
    int converged;
    double settle_s, wall_s;
    int base_port;
} fault_figures;

typedef struct fault_result {
    fault_figures f;
    fault_verdict v;
    int ok;
    char dir[HL_PATH_MAX - 64];       /* the work dir (kept when the run failed or keep was set) */
    char problems[FAULT_PROBLEM_MAX]; /* first problems outside the invariants, in words */
} fault_result;

/* Run it. Returns 0 when the run happened (whatever the verdict: see out->ok), or HL_E*
 * when the stack could not be started at all (err says why). */
int fault_run(const fault_opts *o, fault_result *out, char *err, size_t errlen);

/* Print the figures and the verdict for a person. */
void fault_result_print(const fault_opts *o, const fault_result *r);
/* Write them as JSON to path. HL_EIO. */
int fault_result_write_json(const fault_opts *o, const fault_result *r, const char *path);

#endif
