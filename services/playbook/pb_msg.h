/* pb_msg.h — the playbook service's messages, built from and into the domain structs
 * (lib/domain plan.h). Pure: no clock (times are passed in), no I/O, no sockets.
 *
 * The builders (pb_plan_msg, pb_batch_msg, pb_reserve_msg) own every array and string their
 * protobuf message points to; the message is valid until the builder is freed, and is packed
 * (hl_req_reply, hl_svc_send, hl_msg_pack) while it lives. Strings point into the plan,
 * network and input they were built from, which must outlive the builder.
 */
#ifndef PB_MSG_H
#define PB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "alert.pb-c.h"
#include "dispatch.pb-c.h"
#include "hazlink/plan.h"
#include "playbook.pb-c.h"
#include "stock.pb-c.h"

#define PB_FIELD_MAX 64
#define PB_WHY_MAX 256
#define PB_MAX_MASS_KG 1e9             /* a billion kg is not a spill, it is a typo */
#define PB_MAX_DURATION_S (30.0 * 86400.0)

/* Turn a PlanTrigger into the plan input. season_cfg "" = by the month of now_ms (Beijing).
 * Anchor (forecast.h): a reading-based alert (reported false) with a station on the network
 * is anchored at that station at release_ms (its first exceedance); a reported alert, or one
 * without a station, at release_chainage_km at release_ms.
 * Errors fill field ("alert.station_id") and why, and return:
 *  HL_EINVAL    missing alert, bad id, number out of range, bad jurisdiction or season
 *  HL_ENOTFOUND station not on the network, release chainage outside the reaches */
int pb_msg_input(const Hl__PlanTrigger *t, const hl_network *net, const hl_plan_rules *rules,
                 const char *season_cfg, int64_t now_ms, unsigned revision, hl_plan_input *out,
                 char field[PB_FIELD_MAX], char why[PB_WHY_MAX]);

/* The reading an alert carries, as an observation for re-anchoring (forecast.h): a reading-
 * based alert (reported false) at a station of the network with a value > 0. Its time is
 * when it was measured (Alert.measured_ms), else — an alert made before measured_ms existed —
 * the alert's raised_ms, else fallback_ms. Returns 1 and fills *out, or 0 when the alert
 * carries no such reading. */
int pb_msg_observation(const Hl__Alert *a, const hl_network *net, int64_t fallback_ms,
                       hl_observation *out);

/* Add stored observations to the forecast request. HL_ETOOBIG when more than
 * HL_FORECAST_MAX_OBS would be held (nothing is added then). */
int pb_msg_add_observations(hl_forecast_req *q, Hl__Observation *const *obs, size_t n);

typedef struct pb_plan_msg {
    Hl__Plan plan;
    Hl__ForecastPoint *pts, **ppts;
    Hl__GeoPoint *locs;
    Hl__MaterialNeed *needs, **pneeds;
    Hl__Reanchor *re, **pre;
    Hl__GeoPoint near;
    char **task_ids;
    char assumptions[1024];
    char caveats[HL_FORECAST_TEXT_MAX + 1];
} pb_plan_msg;

/* Build the Plan message of p (created at created_ms, from alert a). HL_ENOMEM.
 * The observations (Plan.observations) and the update fields are left for the caller. */
int pb_plan_msg_init(pb_plan_msg *m, const hl_plan *p, const hl_network *net,
                     const hl_plan_input *in, const Hl__Alert *a, unsigned revision,
                     int64_t created_ms);
void pb_plan_msg_free(pb_plan_msg *m);

typedef struct pb_batch_msg {
    Hl__TaskBatch batch;
    Hl__Task *tasks, **ptasks;
} pb_batch_msg;

/* The tasks of p for dispatch, state "pending", created at created_ms. HL_ENOMEM. */
int pb_batch_msg_init(pb_batch_msg *m, const hl_plan *p, const hl_plan_input *in,
                      int64_t created_ms);
void pb_batch_msg_free(pb_batch_msg *m);

/* The level a plan's tasks carry for escalation (dispatch: services/dispatch/escalation.h,
 * docs/protocol.md): when the alert carries the incident's grade I..IV, the response level of
 * that grade — 国家突发环境事件应急预案 (国办函〔2014〕119号) sets four response levels I..IV
 * and starts the response of an incident first judged 特别重大/重大/较大/一般 at level
 * I/II/III/IV (section 4, 响应分级; section number as hazlink read it, unverified) — since
 * once an incident has happened the response is what the units are in; else the alert's
 * warning level (蓝 黄 橙 红; warnings precede a graded incident); else "" (the roster's
 * default level). dispatch takes the acknowledgement timeout of a response level from
 * units.yaml's colours (IV 蓝, III 黄, II 橙, I 红). Returns a's string or "". */
const char *pb_msg_task_level(const Hl__Alert *a);

/* Set the level of the batch and of each of its tasks (the string must outlive m). */
void pb_batch_msg_set_level(pb_batch_msg *m, const char *level);

/* The tasks of p whose ids are (in == 1) or are not (in == 0) among ids[n]: a re-anchored
 * plan sends the new ones with dispatch.tasks and revises the others. Built like
 * pb_batch_msg_init (the batch may be empty). HL_ENOMEM. */
int pb_batch_msg_subset(pb_batch_msg *m, const hl_plan *p, const hl_plan_input *in,
                        int64_t created_ms, char *const *ids, size_t n, int in_ids);

typedef struct pb_reserve_msg {
    Hl__ReserveRequest req;
    Hl__GeoPoint near;
    Hl__MaterialNeed *needs, **pneeds;
    char purpose[512];
} pb_reserve_msg;

/* The reservation request of p. Returns HL_ENOTFOUND (nothing to reserve: no needs, or no
 * located point to reserve near; why says which) or HL_ENOMEM. */
int pb_reserve_msg_init(pb_reserve_msg *m, const hl_plan *p, const hl_plan_input *in,
                        char why[PB_WHY_MAX]);
void pb_reserve_msg_free(pb_reserve_msg *m);

/* "<material> <quantity> <unit>" lines of a reservation's shortfall into out[n] (each
 * malloc'd; caller frees each and the array). *n 0 and *out NULL when none. HL_ENOMEM. */
int pb_msg_shortfall(const Hl__Reservation *res, char ***out, size_t *n);

#endif
