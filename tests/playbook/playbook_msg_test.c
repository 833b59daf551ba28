/* Tests of the playbook service's pure message module (services/playbook/pb_msg.c) and its
 * LMDB records (pb_store.c, on a real LMDB environment in a temp dir), on the Kuitun data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"
#include "pb_msg.h"
#include "pb_store.h"
#include "pb_testutil.h"

#define T0 1782864000000LL /* 2026-07-01T08:00:00+08:00: summer */

typedef pb_fx fx;

static int setup(void **state) { return pb_fx_load(state, PB_KUITUN); }
static int teardown(void **state) { return pb_fx_free(state); }

/* The benzene alert the alert service raises from readings at st-dsz-down. */
static void benzene_alert(Hl__Alert *a)
{
    hl__alert__init(a);
    a->id = "al-1";
    a->incident_id = "inc-1";
    a->warning_level = "橙";
    a->raised_ms = T0 + 60000;
    a->station_id = "st-dsz-down";
    a->chainage_km = 25;
    a->parameter = "苯";
    a->value_mg_l = 0.085;
    a->limit_mg_l = 0.01; /* GB 3838-2002 表3 item 19 */
    a->release_ms = T0;   /* first exceedance */
    a->release_chainage_km = 22; /* suspected source rs-dsz-petro */
    a->source_id = "rs-dsz-petro";
    a->jurisdiction = "local";
}

static void test_input_anchor(void **state)
{
    fx *f = *state;
    Hl__Alert a;
    Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
    hl_plan_input in;
    char field[PB_FIELD_MAX], why[PB_WHY_MAX];
    benzene_alert(&a);
    t.alert = &a;
    /* From readings: anchored at the station's first exceedance, not at the suspected
     * outfall upstream (that would make every arrival 3 km late). */
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "", T0 + 120000, 1, &in, field, why), 0);
    assert_int_equal(in.fc.anchor, HL_ANCHOR_OBSERVED);
    assert_string_equal(in.fc.station_id, "st-dsz-down");
    assert_true(in.fc.chainage_km == 25);
    assert_int_equal(in.fc.start_ms, T0);
    assert_true(in.fc.observed_mg_l == 0.085);
    assert_int_equal(in.fc.season, HL_SEASON_SUMMER); /* July, by the clock */
    assert_true(in.fc.horizon_h == f->rules->horizon_h);
    assert_string_equal(in.plan_id, "pl-inc-1");
    assert_string_equal(in.incident_side, "local");
    /* A configured season wins over the date. */
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "winter", T0, 2, &in, field, why), 0);
    assert_int_equal(in.fc.season, HL_SEASON_WINTER);
    assert_string_equal(in.plan_id, "pl-inc-1.r2");
    /* From a report: the release point, mass and duration the reporter gave. */
    a.reported = 1;
    a.mass_kg = 500;
    a.duration_s = 3600;
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "", T0, 1, &in, field, why), 0);
    assert_int_equal(in.fc.anchor, HL_ANCHOR_RELEASE);
    assert_true(in.fc.chainage_km == 22);
    assert_true(in.fc.mass_kg == 500 && in.fc.duration_s == 3600);
    /* A report without a station. */
    a.station_id = "";
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "", T0, 1, &in, field, why), 0);
    assert_int_equal(in.fc.anchor, HL_ANCHOR_RELEASE);
}

static void test_input_errors(void **state)
{
    fx *f = *state;
    const struct { const char *field; int rc; } cases[] = {
        {"trigger.alert", HL_EINVAL},       {"alert.incident_id", HL_EINVAL},
        {"alert.parameter", HL_EINVAL},     {"alert.station_id", HL_ENOTFOUND},
        {"alert.release_chainage_km", HL_ENOTFOUND}, {"alert.mass_kg", HL_EINVAL},
        {"alert.jurisdiction", HL_EINVAL},  {"config.season", HL_EINVAL},
        {"alert.limit_mg_l", HL_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Hl__Alert a;
        Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
        hl_plan_input in;
        char field[PB_FIELD_MAX], why[PB_WHY_MAX];
        const char *season = "";
        benzene_alert(&a);
        t.alert = &a;
        switch (i) {
        case 0: t.alert = NULL; break;
        case 1: a.incident_id = "inc 1"; break;
        case 2: a.parameter = ""; break;
        case 3: a.station_id = "st-nowhere"; break;
        case 4: a.reported = 1; a.release_chainage_km = 999; break;
        case 5: a.mass_kg = -1; break;
        case 6: a.jurisdiction = "army"; break;
        case 7: season = "monsoon"; break;
        case 8: a.limit_mg_l = NAN; break;
        }
        int rc = pb_msg_input(&t, f->net, f->rules, season, T0, 1, &in, field, why);
        print_message("    %s: %d %s\n", field, rc, why);
        assert_int_equal(rc, cases[i].rc);
        assert_string_equal(field, cases[i].field);
        assert_true(why[0] != 0);
    }
}

/* Build the benzene plan and its three messages; check what they carry. */
static void test_messages(void **state)
{
    fx *f = *state;
    Hl__Alert a;
    Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
    hl_plan_input in;
    char field[PB_FIELD_MAX], why[PB_WHY_MAX];
    benzene_alert(&a);
    t.alert = &a;
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "", T0 + 600000, 1, &in, field, why), 0);
    hl_plan *p = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);

    pb_plan_msg pm;
    assert_int_equal(pb_plan_msg_init(&pm, p, f->net, &in, &a, 1, T0 + 600000), 0);
    /* Round trip through the wire format, as it is stored and sent. */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hl_msg_pack(&pm.plan.base, &buf, &len), 0);
    Hl__Plan *pl = (Hl__Plan *)hl_msg_unpack(&hl__plan__descriptor, buf, len);
    free(buf);
    assert_non_null(pl);
    assert_string_equal(pl->id, "pl-inc-1");
    assert_string_equal(pl->alert_id, "al-1");
    assert_string_equal(pl->season, "summer");
    assert_true(pl->velocities_unverified); /* the assumption travels into the Plan */
    assert_non_null(strstr(pl->assumptions, "unverified"));
    assert_string_equal(pl->chosen_space_id, "sp-xinqushou");
    assert_true(pl->space_ready_in_time);
    assert_string_equal(pl->anchor, "observed");
    assert_string_equal(pl->anchor_station_id, "st-dsz-down");
    assert_int_equal(pl->release_ms, T0);
    assert_int_equal(pl->n_task_ids, p->n_tasks);
    assert_string_equal(pl->reservation_state, "requested");
    assert_string_equal(pl->tasks_state, "queued");
    assert_non_null(strstr(pl->method, "advection-dispersion-decay"));
    assert_non_null(strstr(pl->method, "r02-dsz-kuitun 88.9 (kashefipour-falconer-2002)"));
    assert_true(strncmp(pl->forecast_caveats, "Velocities are hazlink assumptions (unverified)",
                        47) == 0);
    assert_string_equal(pl->source, "steps");
    assert_true(pl->limit_mg_l == 0.01);
    assert_true(pl->volume_unknown); /* the reading's end is not known */
    assert_non_null(strstr(pl->assumptions, "capacity was not checked"));
    assert_non_null(strstr(pl->spaces_passed_over, "sp-g30-bridge"));
    assert_false(pl->dispersion_unverified);
    assert_int_equal(pl->n_reanchors, 0);
    /* Every point downstream of km 25, with its forecast. */
    assert_int_equal(pl->n_points, p->forecast->n_points);
    int seen_xq = 0;
    for (size_t i = 0; i < pl->n_points; i++) {
        const Hl__ForecastPoint *x = pl->points[i];
        assert_true(x->chainage_km >= 25);
        if (strcmp(x->point_id, "sp-xinqushou") == 0) {
            seen_xq = 1;
            assert_string_equal(x->kind, "space");
            /* Before the advective arrival (11 km at 1.5 m/s = 7333 s): dispersion. */
            assert_true(llabs(x->front_ms - (T0 + 6450227)) <= 1);
            assert_int_equal(x->arrival_ms, T0 + 7333333);
            assert_true(x->ready_in_time);
            assert_true(x->concentration_known && x->open_ended);
            assert_true(x->capacity_m3 == 500000 && x->holds && x->volume_m3 == 0);
            assert_true(x->discharge_m3_s == 96);
            assert_string_equal(x->reanchored_by, "");
            assert_string_equal(x->jurisdiction, "corps");
            assert_string_equal(x->unit_id, "xj7-water");
            assert_true(x->setup_h == 1.5);
            assert_non_null(x->location);
            assert_string_equal(x->location->confidence, "none (placed by description)");
        }
        if (strcmp(x->point_id, "rc-dazimiao") == 0)
            assert_null(x->location); /* the reference has no coordinates */
    }
    assert_true(seen_xq);
    assert_non_null(pl->near);
    assert_string_equal(pl->near_id, "sp-xinqushou");
    protobuf_c_message_free_unpacked(&pl->base, NULL);

    pb_batch_msg bm;
    assert_int_equal(pb_batch_msg_init(&bm, p, &in, T0 + 600000), 0);
    assert_int_equal(bm.batch.n_tasks, p->n_tasks);
    assert_string_equal(bm.batch.plan_id, "pl-inc-1");
    for (size_t i = 0; i < bm.batch.n_tasks; i++) {
        const Hl__Task *x = bm.batch.tasks[i];
        assert_string_equal(x->state, "pending");
        assert_string_equal(x->incident_id, "inc-1");
        assert_int_equal(hl_id_check(x->id), 0);
        assert_int_equal(hl_id_check(x->unit_id), 0);
        assert_int_equal(hl_str_check(x->title, HL_NAME_MAX, 1), 0);
        assert_int_equal(hl_str_check(x->detail, HL_TEXT_MAX, 0), 0);
    }
    assert_string_equal(bm.batch.tasks[0]->id, "pl-inc-1-intercept-sp-xinqushou");

    pb_reserve_msg rm;
    assert_int_equal(pb_reserve_msg_init(&rm, p, &in, why), 0);
    assert_string_equal(rm.req.plan_id, "pl-inc-1");
    assert_true(rm.req.near->lat == 44.42 && rm.req.near->lon == 84.86);
    assert_int_equal(rm.req.n_needs, p->n_needs);
    assert_string_equal(rm.req.needs[0]->material_id, "activated-carbon");
    assert_string_equal(rm.req.needs[0]->unit, "t");

    pb_reserve_msg_free(&rm);
    pb_batch_msg_free(&bm);
    pb_plan_msg_free(&pm);
    hl_plan_destroy(&p);
}

/* A later alert's reading as an observation; adding stored ones to a request; the split of
 * a re-anchored plan's tasks into new ones and ones already sent. */
static void test_observations(void **state)
{
    fx *f = *state;
    Hl__Alert a;
    benzene_alert(&a);
    hl_observation o;
    assert_int_equal(pb_msg_observation(&a, f->net, T0, &o), 1);
    assert_string_equal(o.station_id, "st-dsz-down");
    assert_true(o.value_mg_l == 0.085);
    /* An alert made before measured_ms existed: its raised_ms stands in. */
    assert_int_equal(o.at_ms, T0 + 60000);
    /* The reading's own time when the alert carries it (issue 4): an alert raised late
     * (outbox resend, a restart) must not move the observation. */
    a.measured_ms = T0 + 30000;
    assert_int_equal(pb_msg_observation(&a, f->net, T0, &o), 1);
    assert_int_equal(o.at_ms, T0 + 30000);
    a.measured_ms = 0;
    a.raised_ms = 0;
    assert_int_equal(pb_msg_observation(&a, f->net, T0 + 5, &o), 1);
    assert_int_equal(o.at_ms, T0 + 5);
    a.reported = 1; /* a person's report carries no measurement */
    assert_int_equal(pb_msg_observation(&a, f->net, T0, &o), 0);
    a.reported = 0;
    a.station_id = "st-nowhere";
    assert_int_equal(pb_msg_observation(&a, f->net, T0, &o), 0);
    a.station_id = "st-dsz-down";
    a.value_mg_l = 0;
    assert_int_equal(pb_msg_observation(&a, f->net, T0, &o), 0);

    hl_forecast_req q;
    memset(&q, 0, sizeof q);
    Hl__Observation ob = HL__OBSERVATION__INIT, *obs[HL_FORECAST_MAX_OBS + 1];
    ob.station_id = "st-xinqushou";
    ob.value_mg_l = 0.2;
    ob.at_ms = T0 + 7200000;
    for (size_t i = 0; i <= HL_FORECAST_MAX_OBS; i++)
        obs[i] = &ob;
    assert_int_equal(pb_msg_add_observations(&q, obs, 2), 0);
    assert_int_equal(q.n_obs, 2);
    assert_string_equal(q.obs[1].station_id, "st-xinqushou");
    assert_int_equal(q.obs[1].at_ms, T0 + 7200000);
    /* Over the limit: refused whole, nothing added. */
    assert_int_equal(pb_msg_add_observations(&q, obs, HL_FORECAST_MAX_OBS - 1), HL_ETOOBIG);
    assert_int_equal(q.n_obs, 2);

    Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
    hl_plan_input in;
    char field[PB_FIELD_MAX], why[PB_WHY_MAX];
    benzene_alert(&a);
    t.alert = &a;
    assert_int_equal(pb_msg_input(&t, f->net, f->rules, "", T0, 1, &in, field, why), 0);
    hl_plan *p = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    char *sent[] = {p->tasks[0].id, p->tasks[2].id};
    pb_batch_msg nb, rb;
    assert_int_equal(pb_batch_msg_subset(&nb, p, &in, T0, sent, 2, 0), 0);
    assert_int_equal(pb_batch_msg_subset(&rb, p, &in, T0, sent, 2, 1), 0);
    assert_int_equal(nb.batch.n_tasks, p->n_tasks - 2);
    assert_int_equal(rb.batch.n_tasks, 2);
    assert_string_equal(rb.batch.tasks[0]->id, p->tasks[0].id);
    assert_string_equal(rb.batch.tasks[1]->id, p->tasks[2].id);
    assert_string_equal(nb.batch.tasks[0]->id, p->tasks[1].id);
    /* The level goes on the batch and on every task of it. */
    pb_batch_msg_set_level(&rb, "III");
    assert_string_equal(rb.batch.level, "III");
    for (size_t i = 0; i < rb.batch.n_tasks; i++)
        assert_string_equal(rb.batch.tasks[i]->level, "III");
    pb_batch_msg_free(&nb);
    pb_batch_msg_free(&rb);
    hl_plan_destroy(&p);
}

/* The tasks' level: the incident's grade as its response level (2014 national plan: a
 * 较大 incident gets a III response), else the warning level, else none. */
static void test_task_level(void **state)
{
    (void)state;
    static const struct {
        const char *grade, *warning, *want;
    } cases[] = {
        {"III", "红", "III"}, /* graded: the response level, whatever the warning colour */
        {"I", "", "I"},       {"IV", "蓝", "IV"},
        {"", "橙", "橙"},     /* not graded: the warning level */
        {"V", "黄", "黄"},    /* not a grade: ignored */
        {"", "purple", ""},   /* nothing known: dispatch's default */
        {"", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Hl__Alert a;
        benzene_alert(&a);
        a.grade = (char *)cases[i].grade;
        a.warning_level = (char *)cases[i].warning;
        assert_string_equal(pb_msg_task_level(&a), cases[i].want);
    }
    assert_string_equal(pb_msg_task_level(NULL), "");
}

static void test_shortfall(void **state)
{
    (void)state;
    Hl__Reservation res = HL__RESERVATION__INIT;
    Hl__MaterialNeed n = HL__MATERIAL_NEED__INIT, *pn = &n;
    n.material_id = "activated-carbon";
    n.quantity = 7.5;
    n.unit = "t";
    char **lines = NULL;
    size_t k = 9;
    assert_int_equal(pb_msg_shortfall(&res, &lines, &k), 0);
    assert_int_equal(k, 0);
    assert_null(lines);
    res.shortfall = &pn;
    res.n_shortfall = 1;
    assert_int_equal(pb_msg_shortfall(&res, &lines, &k), 0);
    assert_int_equal(k, 1);
    assert_string_equal(lines[0], "activated-carbon 7.5 t");
    free(lines[0]);
    free(lines);
}

static void test_store(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/hl-pbstore-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char dir[128], err[256];
    snprintf(dir, sizeof dir, "%s/playbook", tmpl);
    hl_store *st = NULL;
    assert_int_equal(hl_store_open(dir, 0, &st, err, sizeof err), 0);
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    Hl__PlanIndex *ix = NULL;
    assert_int_equal(pb_store_index_get(t, "inc-1", &ix), HL_ENOTFOUND);
    assert_null(ix);
    Hl__Plan p = HL__PLAN__INIT;
    p.id = "pl-inc-1";
    p.incident_id = "inc-1";
    p.season = "summer";
    assert_int_equal(pb_store_plan_put(t, &p), 0);
    p.id = "pl-inc-2";
    p.incident_id = "inc-2";
    assert_int_equal(pb_store_plan_put(t, &p), 0);
    /* The index keeps what re-anchoring rebuilds the plan from: the alert, the readings
     * since, when it was made, the task ids sent. */
    Hl__PlanIndex w = HL__PLAN_INDEX__INIT;
    Hl__Alert a = HL__ALERT__INIT;
    Hl__Observation o = HL__OBSERVATION__INIT, *op = &o;
    char *tid = "pl-inc-1-sample-st-a";
    a.id = "al-1";
    a.incident_id = "inc-1";
    o.station_id = "st-a";
    o.value_mg_l = 0.42;
    o.at_ms = 1000;
    o.alert_id = "al-2";
    w.plan_id = "pl-inc-1";
    w.revision = 1;
    w.alert = &a;
    w.observations = &op;
    w.n_observations = 1;
    w.created_ms = 900;
    w.season = "summer";
    w.task_ids = &tid;
    w.n_task_ids = 1;
    assert_int_equal(pb_store_index_put(t, "inc-1", &w), 0);
    assert_int_equal(hl_txn_commit(&t), 0);

    assert_int_equal(hl_txn_begin(st, NULL, 1, &t), 0);
    assert_int_equal(pb_store_index_get(t, "inc-1", &ix), 0);
    assert_string_equal(ix->plan_id, "pl-inc-1");
    assert_int_equal(ix->revision, 1);
    assert_string_equal(ix->alert->id, "al-1");
    assert_int_equal(ix->n_observations, 1);
    assert_true(ix->observations[0]->value_mg_l == 0.42);
    assert_string_equal(ix->observations[0]->alert_id, "al-2");
    assert_int_equal(ix->created_ms, 900);
    assert_string_equal(ix->task_ids[0], "pl-inc-1-sample-st-a");
    protobuf_c_message_free_unpacked(&ix->base, NULL);
    Hl__Plan *got = NULL;
    assert_int_equal(pb_store_plan_get(t, "pl-inc-1", &got), 0);
    assert_string_equal(got->season, "summer");
    protobuf_c_message_free_unpacked(&got->base, NULL);
    assert_int_equal(pb_store_plan_get(t, "pl-nope", &got), HL_ENOTFOUND);
    Hl__Plan **list = NULL;
    size_t n = 0;
    assert_int_equal(pb_store_list(t, NULL, NULL, 0, 1 << 20, &list, &n), 0);
    assert_int_equal(n, 2);
    pb_store_list_free(&list, n);
    assert_int_equal(pb_store_list(t, NULL, "inc-2", 0, 1 << 20, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->id, "pl-inc-2");
    pb_store_list_free(&list, n);
    assert_int_equal(pb_store_list(t, "pl-inc-1", NULL, 0, 1 << 20, &list, &n), 0);
    assert_int_equal(n, 1);
    pb_store_list_free(&list, n);
    assert_int_equal(pb_store_list(t, "pl-nope", NULL, 0, 1 << 20, &list, &n), 0);
    assert_int_equal(n, 0);
    pb_store_list_free(&list, n);
    /* limit 1, and a byte budget smaller than one plan: bounded either way. */
    assert_int_equal(pb_store_list(t, NULL, NULL, 1, 1 << 20, &list, &n), 0);
    assert_int_equal(n, 1);
    pb_store_list_free(&list, n);
    assert_int_equal(pb_store_list(t, NULL, NULL, 0, 4, &list, &n), 0);
    assert_int_equal(n, 0);
    pb_store_list_free(&list, n);
    hl_txn_abort(&t);
    hl_store_destroy(&st);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_anchor), cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_messages),     cmocka_unit_test(test_shortfall),
        cmocka_unit_test(test_store),        cmocka_unit_test(test_observations),
        cmocka_unit_test(test_task_level),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
