/* Tests of plan building (lib/domain/plan.c): the interception space, the fallback, threatened
 * receptors, materials, tasks and their deterministic ids, on the small fixture network
 * (data/small, travel times worked out in playbook_forecast_test.c) and on the Kuitun data for
 * the benzene case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"
#include "hazlink/plan.h"
#include "pb_testutil.h"

#define T0 1782864000000LL /* 2026-07-01T08:00:00+08:00 */
#define H (3600LL * 1000LL)

typedef pb_fx fx;

static int setup_small(void **state) { return pb_fx_load(state, PB_SMALL); }
static int setup_kuitun(void **state) { return pb_fx_load(state, PB_KUITUN); }
static int teardown(void **state) { return pb_fx_free(state); }

/* Benzene released at km 5 of the small network in summer, plan made at the release. */
static hl_plan_input small_input(const fx *f)
{
    hl_plan_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.incident_id, sizeof in.incident_id, "inc-1");
    hl_plan_id(in.incident_id, 1, in.plan_id);
    snprintf(in.parameter, sizeof in.parameter, "苯");
    snprintf(in.incident_side, sizeof in.incident_side, "local");
    in.fc.anchor = HL_ANCHOR_RELEASE;
    in.fc.chainage_km = 5;
    in.fc.start_ms = T0;
    in.fc.now_ms = T0;
    in.fc.season = HL_SEASON_SUMMER;
    in.fc.horizon_h = f->rules->horizon_h; /* 10 h in data/small/plan.yaml */
    in.fc.limit_mg_l = 0.01;               /* GB 3838-2002 表3 item 19 (benzene) */
    return in;
}

static const hl_plan_task *task(const hl_plan *p, const char *id)
{
    for (size_t i = 0; i < p->n_tasks; i++)
        if (strcmp(p->tasks[i].id, id) == 0)
            return &p->tasks[i];
    return NULL;
}

static double need(const hl_plan *p, const char *material)
{
    for (size_t i = 0; i < p->n_needs; i++)
        if (strcmp(p->needs[i].material_id, material) == 0)
            return p->needs[i].quantity;
    return 0;
}

static void test_space_ready_vs_not(void **state)
{
    fx *f = *state;
    hl_plan_input in = small_input(f);
    hl_plan *p = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    /* sp-near (km 8) is reached in 1500 s but needs 3 h: skipped. sp-res (km 11) is reached
     * in 12500 s (3.47 h) and needs 1 h: chosen. */
    const hl_forecast_point *near = hl_forecast_point_find(p->forecast, "sp-near");
    assert_true(near->threatened && !near->ready_in_time);
    assert_non_null(p->space);
    assert_string_equal(p->space->id, "sp-res");
    assert_true(p->space_ready_in_time);
    assert_string_equal(p->fallback, "");
    assert_string_equal(p->near_id, "sp-res");
    hl_plan_destroy(&p);

    /* Made 3 h late (now = T0 + 3 h): sp-res front at T0 + 3.47 h, set-up 1 h no longer fits;
     * sp-far (km 35) arrives at 2500 + 20000 + 23000/1.5 = 37833 s = 10.5 h, beyond the
     * 10 h horizon: no space → fallback, receptors protected directly. */
    in.fc.now_ms = T0 + 3 * H;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_null(p->space);
    assert_false(p->space_ready_in_time);
    assert_true(p->interception_needed);
    assert_non_null(strstr(p->fallback, "no emergency space can be made ready"));
    assert_non_null(strstr(p->fallback, "sp-near"));
    assert_non_null(strstr(p->fallback, "sp-res"));
    assert_non_null(strstr(p->fallback, "protect the threatened receptors directly"));
    /* No intercept task; materials from the "none" rule (sandbag 1000) plus one closed
     * intake (rc-gw, per_receptor sandbag 500) = 1500 bags. They go to the receptor, but
     * rc-gw has no coordinates: the first threatened point that has them stands in
     * (sp-near, 44.0/84.0), so the stock service can still find the nearest depots. */
    for (size_t i = 0; i < p->n_tasks; i++)
        assert_string_not_equal(p->tasks[i].kind, "intercept");
    assert_true(need(p, "sandbag") == 1500);
    assert_true(need(p, "activated-carbon") == 0);
    assert_string_equal(p->near_id, "sp-near");
    assert_true(p->near->lat == 44.0 && p->near->lon == 84.0);
    hl_plan_destroy(&p);
}

static void test_space_capacity(void **state)
{
    fx *f = *state;
    hl_plan_input in = small_input(f);
    hl_plan *p = NULL;
    /* 100 kg over 20000 s at km 5, summer: Q = 2.0 m/s × 50 m² = 100 m³/s, so the polluted
     * water is 100 × 20000 = 2 000 000 m³ (plug: 1000×100/(100×20000) = 0.05 mg/L > 0.01).
     * sp-res holds 1 000 000 m³: refused for capacity. */
    in.fc.mass_kg = 100;
    in.fc.duration_s = 20000;
    in.fc.horizon_h = 48;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_true(fabs(p->needed_volume_m3 - 2e6) < 1e-6);
    assert_null(p->space);
    assert_non_null(strstr(p->fallback, "sp-res (km 11): capacity 1000000 m3 < 2000000 m3"));
    assert_non_null(strstr(p->fallback, "sp-far (km 35): capacity 100 m3"));
    hl_plan_destroy(&p);
    /* 5000 s: 500 000 m³ fits. */
    in.fc.duration_s = 5000;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_non_null(p->space);
    assert_string_equal(p->space->id, "sp-res");
    hl_plan_destroy(&p);
    /* 0.5 kg over 1000 s: 0.005 mg/L, below the limit: nothing threatened, no interception;
     * the sections are still sampled at the arrival times to confirm an estimate built on
     * unverified velocities. */
    in.fc.mass_kg = 0.5;
    in.fc.duration_s = 1000;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_null(p->space);
    assert_false(p->interception_needed);
    assert_non_null(strstr(p->fallback, "no interception needed"));
    assert_int_equal(p->n_needs, 1);
    assert_true(need(p, "sampling-kit") == 2);
    for (size_t i = 0; i < p->n_tasks; i++)
        assert_string_equal(p->tasks[i].kind, "sample");
    hl_plan_destroy(&p);
}

static void test_threatened_and_tasks(void **state)
{
    fx *f = *state;
    hl_plan_input in = small_input(f);
    hl_plan *p = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    /* Horizon 10 h. rc-gw (km 20) at 27833 s = 7.7 h: threatened. rc-reserve (km 38) at
     * 39833 s = 11.1 h: not. st-mid (km 9) at 2000 s and st-down (km 30) at
     * 2500 + 20000 + 18000/1.5 = 34500 s = 9.6 h: both sampled. */
    assert_true(hl_forecast_point_find(p->forecast, "rc-gw")->threatened);
    assert_false(hl_forecast_point_find(p->forecast, "rc-reserve")->threatened);
    const char *want[][4] = {
        /* id, kind, unit, target */
        {"pl-inc-1-intercept-sp-res", "intercept", "c-water", "sp-res"},
        {"pl-inc-1-protect-rc-gw", "protect_receptor", "reg-x", "rc-gw"},
        {"pl-inc-1-warn-rc-gw", "warn_owner", "reg-x", "rc-gw"},
        {"pl-inc-1-sample-st-mid", "sample", "l-eeb", "st-mid"},
        {"pl-inc-1-sample-st-down", "sample", "c-eeb", "st-down"},
        /* Released on the local side; sp-res, rc-gw and st-down are corps: notify corps. */
        {"pl-inc-1-notify-c-eeb", "notify_counterpart", "c-eeb", "c-eeb"},
    };
    assert_int_equal(p->n_tasks, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < p->n_tasks; i++) {
        assert_string_equal(p->tasks[i].id, want[i][0]);
        assert_string_equal(p->tasks[i].kind, want[i][1]);
        assert_string_equal(p->tasks[i].unit_id, want[i][2]);
        assert_string_equal(p->tasks[i].target_id, want[i][3]);
        assert_true(p->tasks[i].title[0] != 0);
    }
    /* Due times: the intercept before the front at sp-res, the sample at its front time. */
    assert_int_equal(task(p, "pl-inc-1-intercept-sp-res")->due_ms, T0 + 12500000);
    assert_int_equal(task(p, "pl-inc-1-sample-st-down")->due_ms, T0 + 34500000);
    assert_int_equal(task(p, "pl-inc-1-notify-c-eeb")->due_ms, T0);
    /* The unverified velocities are said in what the units read. */
    assert_non_null(strstr(task(p, "pl-inc-1-protect-rc-gw")->detail, "unverified"));
    /* Materials: aromatics at a reservoir (30 t carbon, 800 m boom), 2 samples × 1 kit,
     * 1 closed intake × 500 bags. */
    assert_string_equal(p->group, "aromatics");
    assert_true(need(p, "activated-carbon") == 30);
    assert_true(need(p, "boom") == 800);
    assert_true(need(p, "sampling-kit") == 2);
    assert_true(need(p, "sandbag") == 500);
    hl_plan_destroy(&p);
}

static void test_counterparts(void **state)
{
    fx *f = *state;
    hl_plan_input in = small_input(f);
    hl_plan *p = NULL;
    /* Observed at st-down (corps, km 30); rc-reserve (local, km 38) is reached in
     * 8000/1.5 = 5333 s: notify its local bureau (local_by_point: l2-eeb). The incident is
     * reported on the local side from source rs-test: notify l3-eeb too. */
    in.fc.anchor = HL_ANCHOR_OBSERVED;
    snprintf(in.fc.station_id, sizeof in.fc.station_id, "st-down");
    snprintf(in.source_id, sizeof in.source_id, "rs-test");
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_string_equal(p->station_side, "corps");
    assert_non_null(task(p, "pl-inc-1-notify-l3-eeb"));
    assert_non_null(task(p, "pl-inc-1-notify-l2-eeb"));
    assert_null(task(p, "pl-inc-1-notify-c-eeb")); /* its own side */
    /* Warned, not closed: the reserve has no intake. */
    assert_non_null(task(p, "pl-inc-1-warn-rc-reserve"));
    assert_null(task(p, "pl-inc-1-protect-rc-reserve"));
    hl_plan_destroy(&p);
    /* All on one side: nobody to notify. */
    snprintf(in.source_id, sizeof in.source_id, "%s", "");
    snprintf(in.incident_side, sizeof in.incident_side, "corps");
    in.fc.horizon_h = 1; /* rc-reserve at 1.5 h is out */
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    for (size_t i = 0; i < p->n_tasks; i++)
        assert_string_not_equal(p->tasks[i].kind, "notify_counterpart");
    hl_plan_destroy(&p);
}

static void test_deterministic_ids(void **state)
{
    fx *f = *state;
    char id[HL_NET_ID_MAX + 1], id2[HL_NET_ID_MAX + 1];
    hl_plan_id("inc-abc", 1, id);
    assert_string_equal(id, "pl-inc-abc");
    hl_plan_id("inc-abc", 2, id);
    assert_string_equal(id, "pl-inc-abc.r2");
    /* A 64-byte incident id cannot take the prefix: hashed, still at most 64 bytes, and
     * still deterministic. */
    char longinc[65];
    memset(longinc, 'a', 64);
    longinc[64] = 0;
    hl_plan_id(longinc, 1, id);
    hl_plan_id(longinc, 1, id2);
    assert_string_equal(id, id2);
    assert_true(strlen(id) <= HL_NET_ID_MAX && strncmp(id, "pl-", 3) == 0);
    longinc[63] = 'b';
    hl_plan_id(longinc, 1, id2);
    assert_string_not_equal(id, id2);
    hl_plan_task_id("pl-x", "sample", "st-a", id);
    assert_string_equal(id, "pl-x-sample-st-a");
    hl_plan_task_id("pl-0123456789012345678901234567890123456789", "intercept",
                    "sp-0123456789", id);
    assert_int_equal(strlen(id), HL_NET_ID_MAX);
    hl_plan_task_id("pl-0123456789012345678901234567890123456789", "intercept",
                    "sp-0123456788", id2);
    assert_string_not_equal(id, id2); /* same 47-byte prefix, different hash */

    /* The same input builds the same tasks with the same ids: a replayed plan duplicates
     * nothing at dispatch. */
    hl_plan_input in = small_input(f);
    hl_plan *a = NULL, *b = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &a), 0);
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &b), 0);
    assert_int_equal(a->n_tasks, b->n_tasks);
    for (size_t i = 0; i < a->n_tasks; i++) {
        assert_string_equal(a->tasks[i].id, b->tasks[i].id);
        assert_int_equal(a->tasks[i].due_ms, b->tasks[i].due_ms);
    }
    hl_plan_destroy(&a);
    hl_plan_destroy(&b);
    assert_null(a);
}

static void test_rules_errors(void **state)
{
    (void)state;
    const struct { const char *from, *to, *needle, *want; int rc; } cases[] = {
        {"  - group: aromatics\n", "  - group: solvents\n", "group: solvents",
         "group: 'solvents' is not a substance group", HL_EPARSE},
        {"horizon_h: 10\n", "horizon_h: 10\nhorizon_days: 1\n", "horizon_days",
         "horizon_days: unknown key", HL_EPARSE},
        {"horizon_h: 10", "horizon_h: 100000", "horizon_h", "horizon_h", HL_EINVAL},
        {"space_kind: reservoir", "space_kind: lake", "space_kind: lake", "space_kind: 'lake'",
         HL_EPARSE},
        {"quantity: 30", "quantity: -3", "quantity: -3", "quantity", HL_EINVAL},
        {"    rc-reserve: l2-eeb", "    rc-nowhere: l2-eeb", "rc-nowhere", "rc-nowhere",
         HL_EPARSE},
    };
    hl_network *net = NULL;
    char err[512];
    assert_int_equal(hl_network_load(PB_SMALL, &net, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *dir = pb_copy_dir(PB_SMALL);
        assert_int_equal(pb_edit(dir, "plan.yaml", cases[i].from, cases[i].to), 0);
        int line = pb_line_of(dir, "plan.yaml", cases[i].needle);
        hl_plan_rules *r = NULL;
        int rc = hl_plan_rules_load(dir, net, &r, err, sizeof err);
        print_message("    %s -> %d %s\n", cases[i].to, rc, err);
        assert_int_equal(rc, cases[i].rc);
        assert_null(r);
        char prefix[1100];
        snprintf(prefix, sizeof prefix, "%s/plan.yaml:%d: ", dir, line);
        if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, cases[i].want))
            fail_msg("error '%s': want prefix '%s' and '%s'", err, prefix, cases[i].want);
        pb_rm_dir(dir);
    }
    /* Missing file. */
    hl_plan_rules *r = NULL;
    assert_int_equal(hl_plan_rules_load("/nonexistent-hazlink", net, &r, err, sizeof err),
                     HL_EIO);
    assert_non_null(strstr(err, "/nonexistent-hazlink/plan.yaml"));
    hl_network_destroy(&net);
}

/* The Kuitun benzene case: benzene (GB 3838-2002 表3 item 19, 0.01 mg/L) first exceeds at
 * st-dsz-down (km 25) at T0 with 0.5 mg/L, summer, plan made 10 min later. From km 25 in
 * summer (river.yaml):
 *   sp-g30-bridge km 30: 5000/1.5                    =  3333 s (0.93 h) — set-up 3 h: too late
 *   sp-xinqushou  km 36: 11000/1.5                   =  7333 s (2.04 h) — set-up 1.5 h: ready
 *   rc-kuitun-gw  km 58: 7333 + 8000/1.2 + 14000/1.2 = 25667 s (7.1 h)
 *   rc-dazimiao  km 110: … = 164333 s (45.6 h); rc-gaoquan km 125: 179333 s (49.8 h);
 *   rc-ganjiahu km 210: 281833 s (78.3 h): all within the 120 h horizon. */
static void test_kuitun_benzene(void **state)
{
    fx *f = *state;
    hl_plan_input in;
    memset(&in, 0, sizeof in);
    snprintf(in.incident_id, sizeof in.incident_id, "inc-benzene");
    hl_plan_id(in.incident_id, 1, in.plan_id);
    snprintf(in.parameter, sizeof in.parameter, "苯");
    snprintf(in.incident_side, sizeof in.incident_side, "local");
    snprintf(in.source_id, sizeof in.source_id, "rs-dsz-petro");
    in.fc.anchor = HL_ANCHOR_OBSERVED;
    snprintf(in.fc.station_id, sizeof in.fc.station_id, "st-dsz-down");
    in.fc.start_ms = T0;
    in.fc.now_ms = T0 + 600000;
    in.fc.observed_mg_l = 0.5;
    in.fc.limit_mg_l = 0.01;
    in.fc.season = HL_SEASON_SUMMER;
    in.fc.horizon_h = f->rules->horizon_h;
    hl_plan *p = NULL;
    assert_int_equal(hl_plan_build(f->net, f->rules, &in, &p), 0);
    assert_true(p->forecast->velocities_unverified);
    assert_false(hl_forecast_point_find(p->forecast, "sp-g30-bridge")->ready_in_time);
    assert_non_null(p->space);
    assert_string_equal(p->space->id, "sp-xinqushou");
    assert_int_equal(hl_forecast_point_find(p->forecast, "sp-xinqushou")->front_ms,
                     T0 + 7333333);
    assert_int_equal(hl_forecast_point_find(p->forecast, "rc-kuitun-gw")->front_ms,
                     T0 + 25666667);
    assert_int_equal(hl_forecast_point_find(p->forecast, "rc-ganjiahu")->front_ms,
                     T0 + 281833333);
    const char *want[][3] = {
        {"pl-inc-benzene-intercept-sp-xinqushou", "intercept", "xj7-water"},
        {"pl-inc-benzene-protect-rc-kuitun-gw", "protect_receptor", "reg-131"},
        {"pl-inc-benzene-warn-rc-kuitun-gw", "warn_owner", "reg-131"},
        {"pl-inc-benzene-protect-rc-dazimiao", "protect_receptor", "reg-125"},
        {"pl-inc-benzene-warn-rc-dazimiao", "warn_owner", "reg-125"},
        {"pl-inc-benzene-protect-rc-gaoquan", "protect_receptor", "reg-124"},
        {"pl-inc-benzene-warn-rc-gaoquan", "warn_owner", "reg-124"},
        {"pl-inc-benzene-warn-rc-ganjiahu", "warn_owner", "ws-eeb"},
        {"pl-inc-benzene-sample-st-xinqushou", "sample", "xj7-eeb"},
        {"pl-inc-benzene-sample-st-huanggou2", "sample", "xj7-eeb"},
        {"pl-inc-benzene-sample-st-chepaizi", "sample", "xj7-eeb"},
        /* Observed on the local side (Dushanzi); 新渠首 and the groundwater sources are
         * corps: the 7th Division's bureau is notified. */
        {"pl-inc-benzene-notify-xj7-eeb", "notify_counterpart", "xj7-eeb"},
    };
    assert_int_equal(p->n_tasks, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < p->n_tasks; i++) {
        assert_string_equal(p->tasks[i].id, want[i][0]);
        assert_string_equal(p->tasks[i].kind, want[i][1]);
        assert_string_equal(p->tasks[i].unit_id, want[i][2]);
    }
    /* aromatics at a headworks (plan.yaml): 20 t carbon, 300 m boom, 4 pumps, 2000 bags, 20
     * suits; + 3 closed intakes × 500 bags and 500 m² geomembrane; + 3 samples. */
    assert_true(need(p, "activated-carbon") == 20);
    assert_true(need(p, "boom") == 300);
    assert_true(need(p, "sandbag") == 2000 + 3 * 500);
    assert_true(need(p, "geomembrane") == 1500);
    assert_true(need(p, "sampling-kit") == 3);
    assert_true(need(p, "portable-analyzer") == 3);
    assert_string_equal(p->near_id, "sp-xinqushou");
    assert_true(p->near->has_coords);
    hl_plan_destroy(&p);
}

/* Every material plan.yaml asks for exists in materials.yaml (owned by the stock service) with
 * the same unit: a wrong id or unit would have the whole reservation refused. */
static void test_kuitun_materials_exist(void **state)
{
    fx *f = *state;
    hl_yaml_doc *d = NULL;
    char err[512];
    assert_int_equal(hl_yaml_load(PB_KUITUN "/materials.yaml", &d, err, sizeof err), 0);
    const hl_yaml_node *mats = hl_yaml_get(d->root, "materials");
    assert_non_null(mats);
    const hl_plan_rules *r = f->rules;
    const hl_need *lists[HL_PLAN_MAX_RULES + 2];
    size_t counts[HL_PLAN_MAX_RULES + 2], nl = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        lists[nl] = r->rules[i].needs;
        counts[nl++] = r->rules[i].n_needs;
    }
    lists[nl] = r->per_sample;
    counts[nl++] = r->n_per_sample;
    lists[nl] = r->per_receptor;
    counts[nl++] = r->n_per_receptor;
    size_t checked = 0;
    for (size_t l = 0; l < nl; l++) {
        for (size_t k = 0; k < counts[l]; k++) {
            const hl_need *n = &lists[l][k];
            int found = 0;
            for (size_t i = 0; i < mats->n && !found; i++) {
                const hl_yaml_node *id = hl_yaml_get(mats->items[i], "id");
                const hl_yaml_node *unit = hl_yaml_get(mats->items[i], "unit");
                if (id && strcmp(id->value, n->material_id) == 0) {
                    found = 1;
                    if (!unit || strcmp(unit->value, n->unit) != 0)
                        fail_msg("%s: plan.yaml unit '%s', materials.yaml '%s'", n->material_id,
                                 n->unit, unit ? unit->value : "?");
                }
            }
            if (!found)
                fail_msg("plan.yaml material '%s' is not in materials.yaml", n->material_id);
            checked++;
        }
    }
    assert_true(checked > 10);
    hl_yaml_free(&d);
}

/* Every unit the network and plan.yaml name is in units.yaml (owned by dispatch): a task for
 * an unknown unit could never be delivered. */
static void test_kuitun_units_exist(void **state)
{
    fx *f = *state;
    hl_yaml_doc *d = NULL;
    char err[512];
    assert_int_equal(hl_yaml_load(PB_KUITUN "/units.yaml", &d, err, sizeof err), 0);
    const hl_yaml_node *units = hl_yaml_get(d->root, "units");
    assert_non_null(units);
    const char *ids[HL_NET_MAX_STATIONS + HL_NET_MAX_SPACES + HL_NET_MAX_RECEPTORS +
                    HL_PLAN_MAX_COUNTERPARTS + 2];
    size_t n = 0;
    for (size_t i = 0; i < f->net->n_stations; i++)
        ids[n++] = f->net->stations[i].unit_id;
    for (size_t i = 0; i < f->net->n_spaces; i++)
        ids[n++] = f->net->spaces[i].unit_id;
    for (size_t i = 0; i < f->net->n_receptors; i++)
        ids[n++] = f->net->receptors[i].unit_id;
    for (size_t i = 0; i < f->rules->n_local_by_point; i++)
        ids[n++] = f->rules->local_by_point[i].unit_id;
    ids[n++] = f->rules->corps_counterpart;
    ids[n++] = f->rules->local_counterpart;
    for (size_t k = 0; k < n; k++) {
        int found = 0;
        for (size_t i = 0; i < units->n && !found; i++) {
            const hl_yaml_node *id = hl_yaml_get(units->items[i], "id");
            found = id && strcmp(id->value, ids[k]) == 0;
        }
        if (!found)
            fail_msg("unit '%s' is not in units.yaml", ids[k]);
    }
    assert_true(n >= 16);
    hl_yaml_free(&d);
}

int main(void)
{
    const struct CMUnitTest small_tests[] = {
        cmocka_unit_test(test_space_ready_vs_not),   cmocka_unit_test(test_space_capacity),
        cmocka_unit_test(test_threatened_and_tasks), cmocka_unit_test(test_counterparts),
        cmocka_unit_test(test_deterministic_ids),
    };
    const struct CMUnitTest kuitun_tests[] = {
        cmocka_unit_test(test_kuitun_benzene),
        cmocka_unit_test(test_kuitun_materials_exist),
        cmocka_unit_test(test_kuitun_units_exist),
    };
    const struct CMUnitTest other_tests[] = {
        cmocka_unit_test(test_rules_errors),
    };
    int fails = cmocka_run_group_tests_name("small", small_tests, setup_small, teardown);
    fails += cmocka_run_group_tests_name("kuitun", kuitun_tests, setup_kuitun, teardown);
    fails += cmocka_run_group_tests_name("rules", other_tests, NULL, NULL);
    return fails;
}
