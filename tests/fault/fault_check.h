/* fault_check.h — the invariants of the fault test, judged on what the stores hold.
 *
 * Pure: the caller (fault_store.c) reads the services' LMDB stores, the stock service's
 * lists and every partner's `hazpartner export --json` into a fault_world, adds what the
 * client driver knows (the messages alert and stock accepted), and fault_check_run judges.
 * Nothing here touches a socket, a file or the clock.
 *
 * "Lost" is something that was accepted or caused and is missing downstream; "applied twice"
 * is an effect found more often than its cause (or found with no cause at all). The
 * invariants (issue 3, "Delivery: at least once, applied once"):
 *
 *  accepted   every reading or report alert accepted belongs to an incident: each reply's
 *             incident is stored, and each incident counts exactly the readings whose
 *             replies named it (Incident.reading_count, readings of every episode recorded
 *             against it: a reading may join a reported incident, one incident per release);
 *             every report incident was named by exactly one accepted report
 *  upstream   alert → risk: each incident recorded risk's answer once (audit "upstream")
 *  planned    alert → playbook: each incident has one plan, revision 1 (or playbook's
 *             refusal is on record in alert's "_dead")
 *  reserved   playbook → stock: each plan that asked for materials has one reservation
 *  stock      free + reserved + issued = received for every depot and material (free =
 *             on hand − reserved; received from the ledger, which must still be what was
 *             there before the run since the run receives nothing; other outflows of the
 *             ledger count with issued), the list and the ledger agree, reserved = the lines
 *             of the live reservations, issued = the lines of the issued ones
 *  actions    client → stock: every accepted release/issue left its reservation in that state
 *  tasks      playbook → dispatch: every task every plan sent (including those a
 *             re-anchoring withdrew later) is in dispatch's store, and no task there is one
 *             no plan sent
 *  delivered  dispatch → partner: every task is at least delivered, was receipted once, and
 *             its unit's partner showed it to the application exactly once (shown_count 1);
 *             a task withdrawn before it was delivered may be held unshown or shown once; a
 *             task the unit holds has its latest revision (a withdrawal included) there,
 *             unless the unit declined or completed it (revisions are then not pushed)
 *  acks       partner → dispatch: every answer the partner had confirmed (ack, complete,
 *             decline) is in dispatch's audit exactly once, nothing is still owed, and no
 *             task made any state change twice
 */
#ifndef FAULT_CHECK_H
#define FAULT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "fault_plan.h"

#define FAULT_STATE_NAME_MAX 24
#define FAULT_WHY_MAX 256

/* A client message alert accepted (answered without error). */
typedef struct fault_accepted {
    int report; /* 1 alert.report, 0 alert.reading */
    char msg_id[FAULT_ID_MAX + 1];
    char incident_id[FAULT_ID_MAX + 1]; /* as the reply named it; "" = none */
} fault_accepted;

/* alert's "incidents" (and its audit, counted per incident). */
typedef struct fault_incident {
    char id[FAULT_ID_MAX + 1];
    int report; /* origin "report" */
    uint32_t reading_count;
    uint32_t upstream_audits; /* audit entries "upstream" of this incident */
} fault_incident;

/* A playbook.alert that playbook refused for good (alert's "_dead"). */
typedef struct fault_refusal {
    char incident_id[FAULT_ID_MAX + 1];
    char why[FAULT_WHY_MAX];
} fault_refusal;

/* playbook's "plans". task_ids: every task id the plan sent to dispatch — its current ones
 * (Plan.task_ids) and those a re-anchoring later withdrew (PlanIndex.task_ids); owned by the
 * world (fault_world_free). */
typedef struct fault_pl {
    char id[FAULT_ID_MAX + 1];
    char incident_id[FAULT_ID_MAX + 1];
    unsigned revision;
    unsigned updates;      /* re-anchorings applied (Plan.updates) */
    int wants_reservation; /* a stock.reserve was queued (reservation_state is not
                              "not requested: …") */
    char (*task_ids)[FAULT_ID_MAX + 1];
    size_t n_task_ids;
} fault_pl;

typedef struct fault_line {
    char depot_id[FAULT_ID_MAX + 1];
    char material_id[FAULT_ID_MAX + 1];
    double quantity;
} fault_line;

/* stock's reservations. lines owned by the world. */
typedef struct fault_rsv {
    char id[FAULT_ID_MAX + 1];
    char plan_id[FAULT_ID_MAX + 1];
    char incident_id[FAULT_ID_MAX + 1];
    char state[FAULT_STATE_NAME_MAX]; /* "reserved", "partial", "released", "issued" */
    fault_line *lines;
    size_t n_lines;
} fault_rsv;

/* stock's levels of one depot and material: stock.list now, the ledger's totals
 * (stock.ledger), and on hand + issued of the first list, taken before any message. */
typedef struct fault_stock {
    char depot_id[FAULT_ID_MAX + 1];
    char material_id[FAULT_ID_MAX + 1];
    double on_hand, reserved, issued; /* stock.list after the run */
    double baseline;                  /* on hand + issued before the run */
    int in_ledger;                    /* the ledger's totals below are known */
    double received;  /* ledger: received + returned + transferred in + adjusted up (without
                         the ledger: the baseline) */
    double other_out; /* ledger: consumed + transferred out + written off + adjusted down */
    double l_on_hand, l_reserved, l_issued; /* the ledger's own view of the three */
} fault_stock;

/* A stock.release the client sent and stock accepted. */
typedef struct fault_action {
    char reservation_id[FAULT_ID_MAX + 1];
    char action[16]; /* "issue" or "release" */
} fault_action;

/* Audit states a task can reach (dispatch.proto Task.state); "pending" counts the creation. */
typedef enum {
    FAULT_TS_PENDING = 0,
    FAULT_TS_DELIVERED,
    FAULT_TS_ACKNOWLEDGED,
    FAULT_TS_DECLINED,
    FAULT_TS_COMPLETED,
    FAULT_TS_WITHDRAWN, /* issue 4: a re-anchored plan no longer needs it */
    FAULT_TS_N
} fault_task_state;

/* dispatch's "tasks", with its audit entries counted by the state they led to (entries that
 * change no state — revisions, escalation steps — are not counted). */
typedef struct fault_task {
    char id[FAULT_ID_MAX + 1];
    char unit_id[FAULT_ID_MAX + 1];
    char state[FAULT_STATE_NAME_MAX];
    uint32_t audit_to[FAULT_TS_N];
    uint32_t revisions;         /* times dispatch.revise changed it (a withdrawal counts) */
    uint32_t delivery_attempts; /* pushes so far: 0 = it never left dispatch */
    int notice;                 /* an escalation notice (Task.escalation_of): no plan names it */
} fault_task;

/* One task of one partner's export. */
typedef struct fault_shown {
    char unit_id[FAULT_ID_MAX + 1]; /* the unit whose store holds it */
    char task_id[FAULT_ID_MAX + 1];
    uint32_t shown_count;
    uint32_t deliveries;            /* pushes that reached the partner (redeliveries count) */
    uint32_t task_revisions;        /* dispatch's revision count of the copy the partner holds */
    uint32_t confirmed[FAULT_TS_N]; /* answers dispatch confirmed, by the state they lead to */
    uint32_t owed;                  /* answers neither confirmed nor refused */
} fault_shown;

typedef struct fault_world {
    fault_accepted *acc;
    size_t n_acc;
    fault_incident *inc;
    size_t n_inc;
    fault_refusal *ref;
    size_t n_ref;
    fault_pl *plans;
    size_t n_plans;
    fault_rsv *rsv;
    size_t n_rsv;
    fault_stock *stock;
    size_t n_stock;
    fault_action *act;
    size_t n_act;
    fault_task *tasks;
    size_t n_tasks;
    fault_shown *shown;
    size_t n_shown;
    char (*exported)[FAULT_ID_MAX + 1]; /* units whose partner store was exported */
    size_t n_exported;
    uint64_t audit_unknown; /* dispatch audit entries naming no stored task */
} fault_world;

/* The state index of a task state name, or -1. */
int fault_task_state_parse(const char *s);

/* Free every array of w (and the task ids and lines they own) and zero it. Only for worlds
 * whose arrays were malloc'd (fault_store.c builds those). */
void fault_world_free(fault_world *w);

typedef enum {
    FAULT_INV_ACCEPTED = 0,
    FAULT_INV_UPSTREAM,
    FAULT_INV_PLANNED,
    FAULT_INV_RESERVED,
    FAULT_INV_STOCK,
    FAULT_INV_ACTIONS,
    FAULT_INV_TASKS,
    FAULT_INV_DELIVERED,
    FAULT_INV_ACKS,
    FAULT_INV_N
} fault_inv;

typedef struct fault_inv_result {
    const char *name; /* short name, as in the list above */
    const char *says; /* the invariant in one sentence */
    uint64_t checked; /* things it looked at */
    uint64_t lost, twice;
    uint64_t problems;         /* lost + twice + others (e.g. negative stock) */
    char first[FAULT_WHY_MAX]; /* the first problem, in words; "" if none */
} fault_inv_result;

typedef struct fault_verdict {
    fault_inv_result inv[FAULT_INV_N];
    uint64_t lost, twice, problems;
    uint64_t refused; /* incidents playbook refused (on record, not lost) */
    int ok;           /* no problem at all */
} fault_verdict;

/* Judge w. Sorts w's arrays in place (by id) to look things up; changes nothing else.
 * Stock quantities are compared with a tolerance of 1e-6 of the received quantity. */
void fault_check_run(fault_world *w, fault_verdict *out);

#endif
