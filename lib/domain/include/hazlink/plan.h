/* plan.h — the response plan of one incident: rules from plan.yaml, the interception space,
 * the materials it needs and the tasks for each unit (一河一策一图: one river, one plan, one map).
 *
 * plan.yaml (playbooks/<plan>/plan.yaml) holds the rules a duty officer can edit without
 * recompiling: the forecast horizon, the counterpart bureaus (corps ↔ local), the substance
 * groups, and the materials each kind of space needs for each group. Quantities are hazlink
 * planning assumptions and the file says so.
 *
 * Everything but hl_plan_rules_load is pure: structs in, structs out, no clock, no I/O.
 * Ids are deterministic (hl_plan_id, hl_plan_task_id) so a replayed plan creates the same
 * task ids and dispatch never duplicates a task.
 */
#ifndef HL_PLAN_H
#define HL_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/forecast.h"
#include "hazlink/network.h"

#define HL_PLAN_MAX_GROUPS 32         /* substance groups */
#define HL_PLAN_MAX_GROUP_ITEMS 64    /* names per group */
#define HL_PLAN_MAX_RULES 64          /* material rules */
#define HL_PLAN_MAX_NEEDS 16          /* needs per rule, per_sample, per_receptor */
#define HL_PLAN_MAX_COUNTERPARTS 64   /* local_by_point entries */
#define HL_PLAN_MAX_TASKS 256
#define HL_PLAN_MAX_MATERIALS 48      /* distinct materials in one plan */
#define HL_PLAN_MAX_KEPT 8            /* spaces kept as interception barriers (re-anchoring) */
#define HL_PLAN_UNIT_MAX 15           /* material unit ("t", "m", "bag") */
#define HL_PLAN_TITLE_MAX 255
#define HL_PLAN_DETAIL_MAX 1023

typedef struct hl_need {
    char material_id[HL_NET_ID_MAX + 1]; /* ids of playbooks/<plan>/materials.yaml */
    double quantity;                     /* in unit; > 0 */
    char unit[HL_PLAN_UNIT_MAX + 1];     /* as in materials.yaml */
} hl_need;

typedef struct hl_substance_group {
    char id[HL_NET_ID_MAX + 1];
    char items[HL_PLAN_MAX_GROUP_ITEMS][HL_NET_ID_MAX + 1]; /* GB 3838 names and aliases; "*" = any */
    size_t n_items;
} hl_substance_group;

typedef struct hl_material_rule {
    char group[HL_NET_ID_MAX + 1];       /* substance group id or "*" */
    char space_kind[HL_NET_SHORT_MAX + 1]; /* hl_space.kind, "*" any, "none" = no space chosen */
    hl_need needs[HL_PLAN_MAX_NEEDS];
    size_t n_needs;
    char assumption[HL_NET_NOTE_MAX + 1];
    int line;
} hl_material_rule;

typedef struct hl_counterpart {
    char point_id[HL_NET_ID_MAX + 1];    /* a station, space, receptor or risk source id */
    char unit_id[HL_NET_ID_MAX + 1];
} hl_counterpart;

typedef struct hl_plan_rules {
    char plan[HL_NET_ID_MAX + 1];        /* "kuitun" */
    double horizon_h;                    /* forecast horizon */
    char corps_counterpart[HL_NET_ID_MAX + 1];  /* corps side ecology/environment bureau */
    char local_counterpart[HL_NET_ID_MAX + 1];  /* local side default bureau */
    hl_counterpart local_by_point[HL_PLAN_MAX_COUNTERPARTS]; /* local bureau by point */
    size_t n_local_by_point;
    hl_substance_group groups[HL_PLAN_MAX_GROUPS];
    size_t n_groups;
    hl_material_rule rules[HL_PLAN_MAX_RULES];
    size_t n_rules;
    hl_need per_sample[HL_PLAN_MAX_NEEDS];    /* per sampling task */
    size_t n_per_sample;
    hl_need per_receptor[HL_PLAN_MAX_NEEDS];  /* per receptor whose intake is closed */
    size_t n_per_receptor;
} hl_plan_rules;

/* Load plan_dir/plan.yaml. net (may be NULL) is used to check that local_by_point names
 * points that exist (risk source ids "rs-…" are accepted unchecked: they live in
 * risk_sources.yaml, owned by the risk service). Errors as hl_network_load: "file:line:
 * field: what"; HL_EIO, HL_EPARSE, HL_EINVAL, HL_ETOOBIG, HL_ENOMEM. */
int hl_plan_rules_load(const char *plan_dir, const hl_network *net, hl_plan_rules **out,
                       char *err, size_t errlen);
void hl_plan_rules_destroy(hl_plan_rules **r);

/* Deterministic ids.
 * Plan: "pl-<incident_id>" (revision 1) or "pl-<incident_id>.r<N>" (forced re-plans), or, when
 * that would pass HL_NET_ID_MAX, "pl-<16 hex FNV-1a of the incident id>[.rN]".
 * Task: "<plan_id>-<kind>-<target>", or when longer than HL_NET_ID_MAX its first 47 bytes,
 * "-" and 16 hex of FNV-1a of the whole. out has HL_NET_ID_MAX+1 bytes. */
void hl_plan_id(const char *incident_id, unsigned revision, char out[HL_NET_ID_MAX + 1]);
void hl_plan_task_id(const char *plan_id, const char *kind, const char *target,
                     char out[HL_NET_ID_MAX + 1]);

/* What the plan is built from (filled from the Alert by the service). */
typedef struct hl_plan_input {
    char plan_id[HL_NET_ID_MAX + 1];
    char incident_id[HL_NET_ID_MAX + 1];
    char parameter[HL_NET_ID_MAX + 1];   /* substance (GB 3838 name or alias) */
    char source_id[HL_NET_ID_MAX + 1];   /* suspected risk source, "" if none */
    char incident_side[HL_NET_JUR_MAX + 1]; /* "corps"/"local"/"": the incident's jurisdiction */
    hl_forecast_req fc;                  /* anchor, season, horizon, now (set-up start),
                                            later readings (re-anchoring, forecast.h) */
    /* Re-anchoring (issue 4): spaces whose intercept task was sent already. A re-anchored
     * forecast may move the interception to another space (a nearer one that now holds the
     * smaller plume); a space already tasked is then KEPT as a further barrier — its task
     * stays, re-timed and reworded — as long as the forecast says it is threatened, can be
     * ready in time and can hold the plume (or its volume is unknown). Why: its unit has
     * mobilised on the first order, and the forecast that would call it off rests on
     * velocities that are hazlink assumptions (unverified); staged interception (多级拦截)
     * is the usual practice on a river. A kept space that no longer qualifies loses its task
     * (dispatch withdraws it). Empty at the first build. */
    char kept_spaces[HL_PLAN_MAX_KEPT][HL_NET_ID_MAX + 1];
    size_t n_kept;
} hl_plan_input;

typedef struct hl_plan_task {
    char id[HL_NET_ID_MAX + 1];
    char kind[24];     /* intercept, protect_receptor, warn_owner, sample, notify_counterpart */
    char unit_id[HL_NET_ID_MAX + 1];
    char target_id[HL_NET_ID_MAX + 1];
    double chainage_km;
    int64_t due_ms;    /* act before this (front time, or now for notifications) */
    char title[HL_PLAN_TITLE_MAX + 1];
    char detail[HL_PLAN_DETAIL_MAX + 1];
} hl_plan_task;

typedef struct hl_plan {
    hl_forecast *forecast;               /* owned */
    const hl_space *space;               /* chosen interception space, or NULL */
    const hl_space *barriers[HL_PLAN_MAX_KEPT]; /* kept spaces that still qualify (input
                                            kept_spaces), each with an intercept task */
    size_t n_barriers;
    int space_ready_in_time;
    int interception_needed;             /* some space is threatened */
    char fallback[HL_PLAN_DETAIL_MAX + 1]; /* when no space: why, and what is done instead
                                            (the receptors protected directly, their fronts) */
    char group[HL_NET_ID_MAX + 1];       /* substance group the materials came from */
    double needed_volume_m3;             /* polluted water the chosen space (else the nearest
                                            threatened one) must hold; 0 = unknown */
    int volume_unknown;                  /* the chosen space's capacity was not checked: the
                                            volume to hold is unknown */
    char passed_over[HL_PLAN_DETAIL_MAX + 1]; /* nearer threatened spaces not chosen and why
                                                 (set-up too long, too small), "" if none */
    hl_need needs[HL_PLAN_MAX_MATERIALS];/* summed per material, in rule order */
    size_t n_needs;
    const hl_location *near;             /* where materials go (has_coords), or NULL: the
                                            space, else the first threatened receptor, else
                                            the first threatened point, else the observing
                                            station — the first of these with coordinates */
    char near_id[HL_NET_ID_MAX + 1];
    char station_side[HL_NET_JUR_MAX + 1]; /* side the incident is handled from */
    hl_plan_task *tasks;                 /* owned; deterministic order */
    size_t n_tasks;
} hl_plan;

/* The interception space (forecast.h points must come from the same net): the nearest
 * threatened space downstream whose set-up fits before the front there (ready_in_time: set-up
 * starts at the request's now_ms) and whose capacity holds the polluted water it must take
 * over the plume's passage: the point's volume_m3 = Q there × (clear − front), the time the
 * concentration stays above the limit. A space whose volume is unknown (no clear time: the
 * plume's end is not known; or no concentration) is not refused for capacity, and
 * *volume_unknown (may be NULL) is set when the chosen space is such a one.
 * Returns 0 and *out, or HL_ENOTFOUND with *out NULL and why saying which spaces were refused
 * and why, nearest first ("no emergency space is threatened within the horizon" when none
 * is). *threatened (may be NULL) gets the number of threatened spaces. */
int hl_plan_choose_space(const hl_network *net, const hl_forecast *f, const hl_space **out,
                         size_t *threatened, int *volume_unknown, char *why, size_t whylen);

/* Substance group of a parameter (exact match, ASCII case-insensitive), or the group holding
 * "*", or NULL. */
const hl_substance_group *hl_plan_group_of(const hl_plan_rules *r, const char *parameter);

/* Build the plan: forecast, space, materials, tasks.
 *  HL_EINVAL  the forecast request is invalid (forecast.h), empty plan/incident id
 *  HL_ETOOBIG more than HL_PLAN_MAX_TASKS tasks or HL_PLAN_MAX_MATERIALS materials
 *  HL_ENOMEM
 * *out owned by the caller: hl_plan_destroy. Pointers into net and rules live as long as they
 * do. */
int hl_plan_build(const hl_network *net, const hl_plan_rules *rules, const hl_plan_input *in,
                  hl_plan **out);
void hl_plan_destroy(hl_plan **p);

#endif
