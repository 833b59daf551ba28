/* fault_plan.h — what the fault test sends and whom it kills, decided up front from a seed.
 *
 * Pure: no clock, no I/O. Given the seed, the length of the load phase, the message rate,
 * the number of kills and the units of the roster, fault_plan_make lays out
 *  - the client messages: alert.reading at several monitoring stations and GB 3838-2002
 *    items (each reading above the item's loosest limit, so each one belongs to an incident),
 *    and alert.report incident reports at chainages along the river; each with a fixed
 *    msg_id that every resend reuses (the client side of at-least-once);
 *  - the kills: SIGKILL of a service (alert, playbook, stock, risk, dispatch) or of a
 *    unit's partner agent at a moment of the load phase, and how long it stays down.
 * The same inputs give the same plan, so a failing seed can be run again.
 */
#ifndef FAULT_PLAN_H
#define FAULT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define FAULT_ID_MAX 64       /* msg ids, unit ids (HL_ID_MAX) */
#define FAULT_TARGET_MAX 80   /* "hazpartner-" + unit id (HL_STACK_NAME_MAX) */
#define FAULT_MAX_MSGS 200000 /* client messages in one plan */
#define FAULT_MAX_KILLS 10000 /* kills in one plan */
#define FAULT_MAX_UNITS 64    /* partner agents (HL_STACK_MAX_CHILDREN less the services) */
#define FAULT_RATE_MAX 1000.0 /* client messages per real second */
#define FAULT_SECONDS_MAX 86400.0
#define FAULT_BURST_MAX 64    /* messages of one burst (the driver's window) */
#define FAULT_KILL_LAG_S 0.03 /* a kill lands within this after a burst went out */

/* splitmix64: small, fast, and the same sequence on every platform. */
typedef struct fault_rng {
    uint64_t s;
} fault_rng;

void fault_rng_seed(fault_rng *r, uint64_t seed);
uint64_t fault_rng_next(fault_rng *r);
/* Uniform in [0, 1). */
double fault_rng_unit(fault_rng *r);
/* Uniform in [lo, hi). */
double fault_rng_range(fault_rng *r, double lo, double hi);
/* Uniform integer in [0, n); 0 when n == 0. */
size_t fault_rng_below(fault_rng *r, size_t n);

typedef enum { FAULT_MSG_READING = 0, FAULT_MSG_REPORT = 1 } fault_msg_kind;

/* One client message. Strings point into static tables of fault_plan.c or into the plan. */
typedef struct fault_msg {
    fault_msg_kind kind;
    char msg_id[FAULT_ID_MAX + 1]; /* "fz<seed, 8 hex>-r<n>" / "-p<n>": fixed for every resend */
    double at_s;                   /* first send, seconds after the load phase starts */
    /* alert.reading */
    const char *station_id;
    const char *parameter;      /* as sent (a GB 3838 item name or alias) */
    double value_mg_l;          /* above the item's loosest limit (class V or the single limit) */
    int64_t measured_offset_ms; /* measured time = start of the plan's time base + this */
    /* alert.report */
    const char *substance;
    double chainage_km, mass_kg, duration_s;
    const char *reporter_unit; /* a unit of the roster, or "" */
    char report_id[FAULT_ID_MAX + 1];
} fault_msg;

typedef struct fault_kill {
    double at_s;                       /* seconds after the load phase starts */
    double down_s;                     /* seconds before the restart */
    char target[FAULT_TARGET_MAX + 1]; /* service name or "hazpartner-<unit>" */
    int service;                       /* 1 when target is a service */
} fault_kill;

typedef struct fault_plan_params {
    uint64_t seed;
    double seconds;           /* length of the load phase, real seconds, (0, FAULT_SECONDS_MAX] */
    double rate;              /* client messages per real second, (0, FAULT_RATE_MAX] */
    size_t burst;             /* messages sent together, 1..FAULT_BURST_MAX (0 = 1): a burst every
                                 burst/rate s keeps the services busy with many requests at once */
    double report_share;      /* share of the messages that are incident reports, [0, 1] */
    size_t kills;             /* how many kills, spread evenly over the load phase */
    double max_down_s;        /* longest a killed process stays down, > 0 */
    const char *const *units; /* roster unit ids (partner agents that may be killed) */
    size_t n_units;           /* at most FAULT_MAX_UNITS; 0 = only services are killed */
} fault_plan_params;

typedef struct fault_plan {
    fault_msg *msgs; /* ordered by at_s */
    size_t n_msgs;
    fault_kill *kills; /* ordered by at_s; never two at once: each is restarted before the next */
    size_t n_kills;
    size_t n_keys; /* distinct station+parameter pairs the readings use */
} fault_plan;

/* Make the plan. HL_EINVAL (a parameter outside its range; nothing allocated), HL_ETOOBIG
 * (more than FAULT_MAX_MSGS messages or FAULT_MAX_KILLS kills), HL_ENOMEM.
 * Messages go in bursts; each kill lands at most FAULT_KILL_LAG_S after a burst (at a seeded
 * random burst of its slot), while the services are still working on it: requests taken
 * but not answered, effects committed but replies not yet sent, outboxes being pumped.
 * The first five kills (when there are that many) take the five services in a seeded
 * order, so a bounded run kills each of them at least once; later ones pick a service or a
 * partner agent at random (partners one time in three). */
int fault_plan_make(const fault_plan_params *p, fault_plan *out);
void fault_plan_free(fault_plan *p);

/* The five services a kill may take, in hl_service_names order. */
extern const char *const fault_services[5];

#endif
