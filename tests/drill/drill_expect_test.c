/* drill_expect_test — each drill expectation judged on synthetic service records: a case that
 * holds and the cases that must fail, with the figures behind the verdict checked.
 *
 * The records are protobuf-c structs built in memory, exactly what the services' list queries
 * return; the catalogue is the fixture plan (u-corps is corps, u-local local; rc-well is a
 * drinking-water source owned by u-corps, rc-reserve a reserve owned by u-local).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "hazlink/hl_error.h"

#define T0 INT64_C(1784080800000) /* 2026-07-15T10:00:00+08:00 */
#define MIN(m) ((int64_t)(m)*60000)

static drill_catalog *cat;

/* ---- builders: static storage per test, reset by world_reset ---- */

typedef struct world {
    Hl__Incident inc[4];
    Hl__Incident *incp[4];
    Hl__Plan plan[2];
    Hl__Plan *planp[2];
    Hl__ForecastPoint pts[8];
    Hl__ForecastPoint *ptsp[8];
    Hl__Task task[8];
    Hl__Task *taskp[8];
    Hl__Reservation res[2];
    Hl__Reservation *resp[2];
    Hl__MaterialNeed need[4], shortfall[4];
    Hl__MaterialNeed *needp[4], *shortp[4];
    Hl__ReservationLine line[4];
    Hl__ReservationLine *linep[4];
    drill_inject inj[4];
    drill_inject_result res_inj[4];
    drill_shown shown[8];
    size_t n_pts;
    const char *exported[4];
    drill_facts f;
} world;

static world W;

static void world_reset(void)
{
    memset(&W, 0, sizeof W);
    for (int i = 0; i < 4; i++) {
        hl__incident__init(&W.inc[i]);
        W.incp[i] = &W.inc[i];
        hl__material_need__init(&W.need[i]);
        W.needp[i] = &W.need[i];
        hl__material_need__init(&W.shortfall[i]);
        W.shortp[i] = &W.shortfall[i];
        hl__reservation_line__init(&W.line[i]);
        W.linep[i] = &W.line[i];
    }
    for (int i = 0; i < 2; i++) {
        hl__plan__init(&W.plan[i]);
        W.planp[i] = &W.plan[i];
        hl__reservation__init(&W.res[i]);
        W.resp[i] = &W.res[i];
    }
    for (int i = 0; i < 8; i++) {
        hl__forecast_point__init(&W.pts[i]);
        W.ptsp[i] = &W.pts[i];
        hl__task__init(&W.task[i]);
        W.taskp[i] = &W.task[i];
    }
    W.f.incidents = W.incp;
    W.f.plans = W.planp;
    W.f.tasks = W.taskp;
    W.f.reservations = W.resp;
    W.f.injects = W.res_inj;
    W.f.cat = cat;
    W.f.shown = W.shown;
    W.f.exported_units = W.exported;
}

static void add_task(const char *id, const char *incident, const char *unit, const char *kind,
                     const char *target, int64_t created, int64_t delivered, int64_t acked)
{
    Hl__Task *t = &W.task[W.f.n_tasks++];
    t->id = (char *)id;
    t->incident_id = (char *)incident;
    t->unit_id = (char *)unit;
    t->kind = (char *)kind;
    t->target_id = (char *)target;
    t->created_ms = created;
    t->delivered_ms = delivered;
    t->acknowledged_ms = acked;
    t->state = acked ? "acknowledged" : delivered ? "delivered" : "pending";
}

static void add_point(Hl__Plan *p, const char *id, const char *kind, double km, int64_t front,
                      int ready, int threatened)
{
    assert_true(W.n_pts < 8);
    size_t i = W.n_pts++;
    Hl__ForecastPoint *pt = &W.pts[i];
    pt->point_id = (char *)id;
    pt->kind = (char *)kind;
    pt->chainage_km = km;
    pt->front_ms = front;
    pt->ready_in_time = ready;
    pt->holds = 1; /* capacity enough, or the volume unknown */
    pt->threatened = threatened;
    if (!p->points)
        p->points = &W.ptsp[i];
    p->n_points++;
}

/* One incident (local side, at st-down) with a plan: release at km 22 at T0; spaces sp-a
 * (km 30, not ready in time) and sp-b (km 36, ready, front T0+2h35); receptors rc-well
 * (drinking, threatened) and rc-reserve (not drinking, threatened). Chosen: sp-b. */
static void standard_plan(void)
{
    W.inc[0].id = "inc-1";
    W.inc[0].station_id = "st-down";
    W.inc[0].parameter = "苯";
    W.inc[0].jurisdiction = "local";
    W.inc[0].opened_ms = T0 + MIN(30) + 150;
    W.f.n_incidents = 1;
    Hl__Plan *p = &W.plan[0];
    p->id = "pl-inc-1";
    p->incident_id = "inc-1";
    p->release_chainage_km = 22;
    p->chosen_space_id = "sp-b";
    add_point(p, "sp-a", "space", 30, T0 + MIN(89), 0, 1);
    add_point(p, "sp-b", "space", 36, T0 + MIN(155), 1, 1);
    add_point(p, "rc-well", "receptor", 58, T0 + MIN(300), 0, 1);
    add_point(p, "rc-reserve", "receptor", 80, T0 + MIN(500), 0, 1);
    W.f.n_plans = 1;
}

static drill_outcome judge(const drill_expect *e)
{
    drill_outcome o;
    assert_int_equal(drill_expect_eval(e, &W.f, &o), 0);
    assert_non_null(o.figures);
    assert_true(o.summary[0] != '\0');
    return o;
}

/* Judge e and check only the verdict (and, when says is not NULL, the summary's words). */
static void verdict(const drill_expect *e, int pass, const char *says)
{
    drill_outcome o = judge(e);
    if (!o.pass != !pass || (says && !strstr(o.summary, says)))
        fail_msg("%s: pass %d (want %d), summary \"%s\" (want \"%s\")",
                 drill_expect_kind_name(e->kind), o.pass, pass, o.summary, says ? says : "");
    drill_outcome_clear(&o);
}

static double fig_num(const drill_outcome *o, const char *k)
{
    json_t *v = json_object_get(o->figures, k);
    if (!json_is_number(v))
        fail_msg("figure %s missing", k);
    return json_number_value(v);
}

/* ---------------------------------------------------------------- incident_opened */

static void add_reading(double at_min, const char *station, double value, int exceeded,
                        const char *incident)
{
    size_t i = W.f.n_injects++;
    drill_inject *in = &W.inj[i];
    in->kind = DRILL_INJECT_READING;
    in->at_s = at_min * 60;
    snprintf(in->station_id, sizeof in->station_id, "%s", station);
    snprintf(in->parameter, sizeof in->parameter, "苯");
    in->value = value;
    drill_inject_result *r = &W.res_inj[i];
    r->inject = in;
    r->sent = 1;
    r->due_ms = T0 + (int64_t)(at_min * 60000);
    r->exceeded = exceeded;
    r->value_mg_l = value;
    r->limit_mg_l = 0.01; /* GB 3838-2002 表3 item 19, benzene */
    snprintf(r->incident_id, sizeof r->incident_id, "%s", incident);
}

static void test_incident_opened(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_INCIDENT_OPENED, .within_s = 900};
    snprintf(e.station_id, sizeof e.station_id, "st-down");
    snprintf(e.parameter, sizeof e.parameter, "苯");

    /* Holds: 0.004 mg/L at 00:20 is within the limit, 0.085 at 00:30 exceeds it; opened
     * 0.15 s later. */
    world_reset();
    standard_plan();
    add_reading(20, "st-down", 0.004, 0, "");
    add_reading(30, "st-down", 0.085, 1, "inc-1");
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_true(fabs(fig_num(&o, "delay_s") - 0.15) < 1e-9);
    assert_true(fig_num(&o, "first_exceedance_ms") == (double)(T0 + MIN(30)));
    drill_outcome_clear(&o);

    /* Fails: opened 20 drill minutes after the exceedance, limit 15. */
    W.inc[0].opened_ms = T0 + MIN(50);
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "delay_s") == 1200.0);
    drill_outcome_clear(&o);

    /* Fails: no reading exceeded, so the clock never started. */
    world_reset();
    standard_plan();
    add_reading(20, "st-down", 0.004, 0, "");
    verdict(&e, 0, "no reading");

    /* Fails: the reading exceeded but no incident exists. */
    world_reset();
    add_reading(30, "st-down", 0.085, 1, "");
    verdict(&e, 0, "no incident");
}

/* A person's report of the release at km 22 at T0, sent at 00:05, that opened incident. */
static void add_report(const char *incident)
{
    size_t i = W.f.n_injects++;
    drill_inject *in = &W.inj[i];
    in->kind = DRILL_INJECT_REPORT;
    in->at_s = 300;
    in->released_at_s = 0;
    in->chainage_km = 22;
    snprintf(in->report_id, sizeof in->report_id, "r-1");
    drill_inject_result *r = &W.res_inj[i];
    r->inject = in;
    r->sent = 1;
    r->due_ms = T0 + MIN(5);
    r->incident_opened = 1;
    snprintf(r->incident_id, sizeof r->incident_id, "%s", incident);
}

/* The reading just added attached to the reported incident (ReadingResult.linked). */
static void mark_linked(void)
{
    drill_inject_result *r = &W.res_inj[W.f.n_injects - 1];
    r->linked = 1;
    snprintf(r->link_reason, sizeof r->link_reason, "same 苯 as reported incident inc-1");
}

static void test_incident_opened_attached(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_INCIDENT_OPENED, .within_s = 900};
    snprintf(e.station_id, sizeof e.station_id, "st-down");
    /* The report opened inc-1 at 00:05; the exceedance at 00:30 attached to it: no negative
     * delay, the 25 minutes it was open before are a figure of their own. */
    world_reset();
    standard_plan();
    W.inc[0].origin = "report";
    W.inc[0].opened_ms = T0 + MIN(5);
    add_report("inc-1");
    add_reading(30, "st-down", 0.085, 1, "inc-1");
    mark_linked();
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_string_equal(o.summary, "reading at st-down attached to incident inc-1 (opened from "
                                   "the report 1500 drill s earlier)");
    assert_true(fig_num(&o, "delay_s") == 0);
    assert_true(fig_num(&o, "opened_before_s") == 1500);
    assert_true(json_is_true(json_object_get(o.figures, "linked")));
    drill_outcome_clear(&o);
    /* An incident open before the exceedance but not linked (an earlier episode): holds,
     * and says how. */
    W.res_inj[1].linked = 0;
    verdict(&e, 1, "was recorded on incident inc-1, open since 1500 drill s before it");
}

/* ------------------------------------------------------ one_incident_per_release */

static void test_one_incident_per_release(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_ONE_INCIDENT_PER_RELEASE};
    Hl__IncidentEpisode ep = HL__INCIDENT_EPISODE__INIT, *epp = &ep;
    ep.station_id = "st-down";
    /* Holds: the report opened inc-1, both exceedances at st-down attached to it and its
     * episodes list st-down; a reading within the limit counts for nothing. */
    world_reset();
    W.inc[0].id = "inc-1";
    W.inc[0].origin = "report";
    W.inc[0].parameter = "苯";
    W.inc[0].opened_ms = T0 + MIN(5);
    W.inc[0].episodes = &epp;
    W.inc[0].n_episodes = 1;
    W.f.n_incidents = 1;
    add_report("inc-1");
    add_reading(20, "st-down", 0.004, 0, "");
    add_reading(30, "st-down", 0.085, 1, "inc-1");
    add_reading(40, "st-down", 0.42, 1, "inc-1");
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_string_equal(o.summary, "1 reported release, one incident each: inc-1 (origin report) "
                                   "holds the exceedances at st-down");
    json_t *rel = json_array_get(json_object_get(o.figures, "releases"), 0);
    assert_int_equal(json_array_size(json_object_get(rel, "attached_stations")), 1);
    assert_int_equal(json_integer_value(json_object_get(rel, "release_ms")), T0);
    drill_outcome_clear(&o);

    /* Fails: the incident lists no episode at the station whose readings attached to it. */
    W.inc[0].n_episodes = 0;
    verdict(&e, 0, "incident inc-1 lists no episode at st-down");
    W.inc[0].n_episodes = 1;

    /* Fails: the second exceedance opened its own incident of the same substance. */
    W.inc[1].id = "inc-2";
    W.inc[1].origin = "reading";
    W.inc[1].parameter = "苯";
    W.inc[1].station_id = "st-down";
    W.inc[1].opened_ms = T0 + MIN(40);
    W.f.n_incidents = 2;
    snprintf(W.res_inj[3].incident_id, sizeof W.res_inj[3].incident_id, "inc-2");
    verdict(&e, 0, "the exceedance at st-down at drill ms");
    o = judge(&e);
    assert_int_equal(
        json_array_size(json_object_get(json_array_get(json_object_get(o.figures, "releases"), 0),
                                        "other_incidents")),
        1);
    drill_outcome_clear(&o);

    /* Another substance's incident is another matter. */
    W.inc[1].parameter = "pH";
    verdict(&e, 1, "holds the exceedances at st-down");

    /* Fails: no report, nothing to judge. */
    world_reset();
    add_reading(30, "st-down", 0.085, 1, "inc-1");
    verdict(&e, 0, "no release was reported");

    /* Fails: the report's incident is not among the records. */
    world_reset();
    add_report("inc-9");
    verdict(&e, 0, "incident inc-9 of report r-1 is not among");
}

/* ---------------------------------------------------------------- intercept_before_front */

static void test_intercept(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_INTERCEPT_BEFORE_FRONT, .margin_s = 1800};

    world_reset();
    standard_plan();
    add_task("t-int", "inc-1", "u-corps", "intercept", "sp-b", T0 + MIN(31), T0 + MIN(32),
             T0 + MIN(36));
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    json_t *p0 = json_array_get(json_object_get(o.figures, "plans"), 0);
    assert_string_equal(json_string_value(json_object_get(p0, "first_reachable_space_id")), "sp-b");
    assert_true(json_number_value(json_object_get(p0, "lead_s")) == 123.0 * 60);
    drill_outcome_clear(&o);

    /* Fails: delivered 10 minutes before the front, 30 required. */
    W.task[0].delivered_ms = T0 + MIN(145);
    verdict(&e, 0, "600 drill s before the front");

    /* Fails: never delivered. */
    W.task[0].delivered_ms = 0;
    verdict(&e, 0, "never delivered");

    /* Fails: the plan chose sp-a, which the forecast says cannot be ready in time. */
    W.task[0].delivered_ms = T0 + MIN(32);
    W.plan[0].chosen_space_id = "sp-a";
    W.task[0].target_id = "sp-a";
    verdict(&e, 0, "first reachable space (ready in time, holds the plume) is sp-b");

    /* Fails: sp-b is ready in time but cannot hold the plume's volume (ForecastPoint.holds),
     * so no space is reachable and choosing it is wrong. */
    W.plan[0].chosen_space_id = "sp-b";
    W.task[0].target_id = "sp-b";
    W.pts[1].holds = 0;
    verdict(&e, 0, "is none");
    W.pts[1].holds = 1;

    /* Fails: the scenario demands a named space the plan did not choose. */
    W.plan[0].chosen_space_id = "sp-b";
    W.task[0].target_id = "sp-b";
    snprintf(e.space_id, sizeof e.space_id, "sp-a");
    verdict(&e, 0, NULL);

    /* Fails: no plan at all. */
    world_reset();
    e.space_id[0] = '\0';
    verdict(&e, 0, NULL);
}

/* ---------------------------------------------------------------- receptor_owners_tasked */

static void test_receptors(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_RECEPTOR_OWNERS_TASKED};
    world_reset();
    standard_plan();
    /* rc-reserve is threatened but is no drinking-water source: it needs no task here. */
    add_task("t-w", "inc-1", "u-corps", "warn_owner", "rc-well", T0 + MIN(31), 0, 0);
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "drinking_water_receptors_threatened") == 1);
    drill_outcome_clear(&o);

    /* Fails: the warning went to somebody else than the owner. */
    W.task[0].unit_id = "u-local";
    verdict(&e, 0, "u-corps");

    /* Fails: a threatened receptor the catalogue does not know. */
    W.task[0].unit_id = "u-corps";
    W.pts[3].point_id = "rc-mystery";
    verdict(&e, 0, NULL);

    /* Holds with nothing to do when the drinking source is not threatened. */
    world_reset();
    standard_plan();
    W.pts[2].threatened = 0;
    o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "drinking_water_receptors_threatened") == 0);
    drill_outcome_clear(&o);
}

/* ---------------------------------------------------------------- counterpart_notified */

static void test_counterpart(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_COUNTERPART_NOTIFIED};
    world_reset();
    standard_plan(); /* incident on the local side */
    add_task("t-n", "inc-1", "u-corps", "notify_counterpart", "inc-1", T0 + MIN(31), 0, 0);
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    drill_outcome_clear(&o);

    /* Fails: only the own side was told. */
    W.task[0].unit_id = "u-local";
    verdict(&e, 0, "corps");

    /* Dispatch's roster overrides the catalogue's side. */
    Hl__Unit u = HL__UNIT__INIT;
    Hl__Unit *up = &u;
    u.id = "u-local";
    u.side = "corps";
    W.f.units = &up;
    W.f.n_units = 1;
    verdict(&e, 1, NULL);

    /* An explicit side is honoured: asking for "local" fails with a corps notification. */
    W.f.n_units = 0;
    W.task[0].unit_id = "u-corps";
    snprintf(e.side, sizeof e.side, "local");
    verdict(&e, 0, NULL);

    /* Fails: nothing was planned. */
    world_reset();
    e.side[0] = '\0';
    verdict(&e, 0, NULL);
}

/* ---------------------------------------------------------------- all_acknowledged */

static void test_all_acknowledged(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_ALL_ACKNOWLEDGED, .within_s = 1800};
    world_reset();
    add_task("t1", "inc-1", "u-corps", "intercept", "sp-b", T0, T0 + 1000, T0 + 240000);
    add_task("t2", "inc-1", "u-local", "sample", "st-down", T0, T0 + 1000, T0 + 120000);
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "max_ack_latency_s") == 240.0);
    assert_true(fig_num(&o, "acknowledged") == 2);
    drill_outcome_clear(&o);

    /* Latency is acknowledged_ms − created_ms in drill seconds. */
    assert_true(drill_task_ack_latency_s(&W.task[1]) == 120.0);
    assert_true(drill_task_ack_latency_s(&W.task[2]) == -1.0);

    /* Fails: one was acknowledged after 40 minutes, the bound is 30. */
    W.task[0].acknowledged_ms = T0 + MIN(40);
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "late") == 1);
    drill_outcome_clear(&o);

    /* Fails: one was never acknowledged. */
    W.task[0].acknowledged_ms = 0;
    W.task[0].state = "delivered";
    o = judge(&e);
    assert_false(o.pass);
    assert_int_equal(json_array_size(json_object_get(o.figures, "not_acknowledged")), 1);
    drill_outcome_clear(&o);

    /* Holds: the unacknowledged task was withdrawn by a re-anchored plan, so it is owed no
     * acknowledgement; the other one still counts. */
    W.task[0].state = "withdrawn";
    o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "withdrawn_unacknowledged") == 1);
    assert_true(fig_num(&o, "acknowledged") == 1);
    drill_outcome_clear(&o);

    /* Fails: every task withdrawn leaves nothing acknowledged. */
    W.task[1].acknowledged_ms = 0;
    W.task[1].state = "withdrawn";
    o = judge(&e);
    assert_false(o.pass);
    drill_outcome_clear(&o);

    /* Fails: no task at all is not "all acknowledged". */
    world_reset();
    verdict(&e, 0, NULL);
}

/* ---------------------------------------------------------------- materials_covered */

static void one_reservation(double need, double reserved1, double reserved2, double short_q)
{
    Hl__Reservation *r = &W.res[0];
    r->id = "rv-1";
    r->state = short_q > 0 ? "partial" : "reserved";
    W.need[0].material_id = "activated-carbon";
    W.need[0].quantity = need;
    W.need[0].unit = "t";
    r->needs = W.needp;
    r->n_needs = 1;
    W.line[0].material_id = "activated-carbon";
    W.line[0].depot_id = "dp-a";
    W.line[0].quantity = reserved1;
    W.line[1].material_id = "activated-carbon";
    W.line[1].depot_id = "dp-b";
    W.line[1].quantity = reserved2;
    r->lines = W.linep;
    r->n_lines = reserved2 > 0 ? 2 : 1;
    if (short_q > 0) {
        W.shortfall[0].material_id = "activated-carbon";
        W.shortfall[0].quantity = short_q;
        r->shortfall = W.shortp;
        r->n_shortfall = 1;
    }
    W.f.n_reservations = 1;
}

static void test_materials(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_MATERIALS_COVERED};
    world_reset();
    one_reservation(20, 12, 8, 0); /* two depots cover it */
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    drill_outcome_clear(&o);

    world_reset();
    one_reservation(20, 15, 0, 5); /* short, and says so */
    o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "materials_short") == 1);
    drill_outcome_clear(&o);

    world_reset();
    one_reservation(20, 15, 0, 0); /* short, silently: fails */
    verdict(&e, 0, "15 reserved and 0 reported short");

    world_reset(); /* no reservation at all */
    verdict(&e, 0, NULL);
}

/* ---------------------------------------------------------------- delivered_once */

static void shown(const char *unit, const char *task, unsigned n)
{
    drill_shown *s = &W.shown[W.f.n_shown++];
    snprintf(s->unit_id, sizeof s->unit_id, "%s", unit);
    snprintf(s->task_id, sizeof s->task_id, "%s", task);
    s->shown_count = n;
}

static void test_delivered_once(void **state)
{
    (void)state;
    drill_expect e = {.kind = DRILL_EXPECT_DELIVERED_ONCE};
    world_reset();
    add_task("t1", "inc-1", "u-corps", "intercept", "sp-b", T0, T0 + 1, T0 + 2);
    add_task("t2", "inc-1", "u-local", "sample", "st-down", T0, T0 + 1, T0 + 2);
    W.exported[0] = "u-corps";
    W.exported[1] = "u-local";
    W.f.n_exported_units = 2;
    shown("u-corps", "t1", 1);
    shown("u-local", "t2", 1);
    drill_outcome o = judge(&e);
    assert_true(o.pass);
    assert_true(fig_num(&o, "shown_once") == 2);
    drill_outcome_clear(&o);

    /* Fails: shown twice (a redelivery after a restart that the partner did not dedupe). */
    W.shown[1].shown_count = 2;
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "shown_twice_or_more") == 1);
    drill_outcome_clear(&o);

    /* Fails: lost (dispatch has it, the partner never showed it). */
    W.f.n_shown = 1;
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "lost") == 1);
    drill_outcome_clear(&o);

    /* Fails: a partner shows a task dispatch does not have. */
    shown("u-local", "t2", 1);
    shown("u-local", "t-phantom", 1);
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "unknown_to_dispatch") == 1);
    drill_outcome_clear(&o);

    /* Fails: no export from a unit that has tasks. */
    W.f.n_shown = 2;
    W.f.n_exported_units = 1;
    o = judge(&e);
    assert_false(o.pass);
    assert_true(fig_num(&o, "without_export") == 1);
    drill_outcome_clear(&o);
}

static void test_unknown_kind(void **state)
{
    (void)state;
    world_reset();
    drill_expect e = {.kind = DRILL_EXPECT_KIND_COUNT};
    drill_outcome o;
    assert_int_equal(drill_expect_eval(&e, &W.f, &o), HL_EINVAL);
    assert_null(o.figures);
    drill_expect_kind k;
    for (int i = 0; i < DRILL_EXPECT_KIND_COUNT; i++) {
        assert_int_equal(drill_expect_kind_parse(drill_expect_kind_name((drill_expect_kind)i), &k),
                         0);
        assert_int_equal(k, i);
    }
    assert_null(drill_expect_kind_name(DRILL_EXPECT_KIND_COUNT));
    assert_int_equal(drill_expect_kind_parse("everything_fine", &k), HL_ENOTFOUND);
}

static int group_setup(void **state)
{
    (void)state;
    char err[512] = "";
    if (drill_catalog_load(HL_TEST_DATA_DIR "/plan", &cat, err, sizeof err) != 0)
        fail_msg("fixture plan: %s", err);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(cat);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incident_opened),
        cmocka_unit_test(test_intercept),
        cmocka_unit_test(test_receptors),
        cmocka_unit_test(test_counterpart),
        cmocka_unit_test(test_all_acknowledged),
        cmocka_unit_test(test_materials),
        cmocka_unit_test(test_delivered_once),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_incident_opened_attached),
        cmocka_unit_test(test_one_incident_per_release),
    };
    return cmocka_run_group_tests_name("drill_expect", tests, group_setup, group_teardown);
}
