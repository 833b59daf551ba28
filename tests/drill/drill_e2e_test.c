/* drill_e2e_test — the Kuitun benzene drill end to end: `hazdrill run
 * playbooks/drills/kuitun-benzene.yaml` starts the five services and one hazpartner agent per
 * unit as OS processes on a unique base port, plays the scenario at ×600 (the two drill hours
 * in 12 s), and must exit 0 with a report.json that records the whole chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "drill_harness.h"

#define SCENARIO HL_TEST_SOURCE_DIR "/playbooks/drills/kuitun-benzene.yaml"

static int is_level(const char *s)
{
    return s && (strcmp(s, "蓝") == 0 || strcmp(s, "黄") == 0 || strcmp(s, "橙") == 0 ||
                 strcmp(s, "红") == 0);
}

static void test_benzene_drill(void **state)
{
    (void)state;
    drill_harness h;
    drill_harness_init(&h, "drill_e2e");
    const char *extra[] = {"--scale", "600", "--preroll-ms", "3000", NULL};
    drill_harness_run(&h, SCENARIO, extra, 80);
    assert_non_null(h.report);
    json_t *r = h.report;
    json_t *sum = drill_harness_get(r, "summary");
    json_t *exps = drill_harness_get(r, "expectations");
    size_t i;
    json_t *v;
    json_array_foreach(exps, i, v)
    {
        if (!json_is_true(json_object_get(v, "pass")))
            fprintf(stderr, "expectation %s failed: %s\n",
                    json_string_value(json_object_get(v, "kind")),
                    json_string_value(json_object_get(v, "summary")));
    }
    assert_int_equal(h.exit_status, 0);
    assert_true(json_is_true(drill_harness_get(sum, "pass")));
    assert_int_equal(json_array_size(exps), 7);

    /* The clock and the wall time are recorded. */
    json_t *d = drill_harness_get(r, "drill");
    assert_true(json_number_value(drill_harness_get(d, "clock_scale")) == 600.0);
    assert_true(json_number_value(drill_harness_get(d, "wall_time_s")) > 0);
    assert_true(json_number_value(drill_harness_get(d, "wall_time_s")) < h.wall_s + 1);

    /* Incidents: the one from the first exceedance at st-dsz-down, judged against
     * GB 3838-2002 表3 item 19 (benzene, 0.01 mg/L). */
    json_t *incs = drill_harness_get(r, "incidents");
    assert_true(json_array_size(incs) >= 1);
    int at_station = 0;
    json_array_foreach(incs, i, v)
    {
        const char *st = json_string_value(json_object_get(v, "station_id"));
        if (st && strcmp(st, "st-dsz-down") == 0) {
            at_station++;
            assert_true(json_number_value(json_object_get(v, "limit_mg_l")) == 0.01);
            assert_true(json_number_value(json_object_get(v, "opened_ms")) > 0);
        }
    }
    assert_int_equal(at_station, 1); /* one incident per episode, not one per reading */

    /* Alerts carry a warning level. */
    json_t *alerts = drill_harness_get(r, "alerts");
    assert_true(json_array_size(alerts) >= 1);
    json_array_foreach(alerts, i, v)
        assert_true(is_level(json_string_value(json_object_get(v, "warning_level"))));

    /* Forecast arrival times at the downstream spaces and receptors. The plan intercepts
     * at 新渠首 (km 36): the G30 bridge site (km 30) needs 3 h to set up but the front reaches
     * it in about 1.5 h at the assumed summer velocity of 1.5 m/s, 新渠首 needs 1.5 h and the
     * front needs about 2 h there (playbooks/kuitun spaces.yaml, river.yaml). */
    json_t *plans = drill_harness_get(r, "plans");
    assert_true(json_array_size(plans) >= 1);
    json_array_foreach(plans, i, v)
    {
        assert_string_equal(json_string_value(json_object_get(v, "chosen_space_id")),
                            "sp-xinqushou");
        size_t k, spaces = 0, receptors = 0;
        json_t *p;
        json_array_foreach(json_object_get(v, "forecast"), k, p)
        {
            const char *kind = json_string_value(json_object_get(p, "kind"));
            if (json_is_true(json_object_get(p, "threatened"))) {
                assert_true(json_integer_value(json_object_get(p, "front_ms")) > 0);
                assert_true(json_is_string(json_object_get(p, "front")));
            }
            spaces += kind && strcmp(kind, "space") == 0;
            receptors += kind && strcmp(kind, "receptor") == 0;
        }
        assert_true(spaces >= 4); /* G30 bridge, 新渠首, 老渠首, 奎屯水库, 车排子水库 */
        assert_true(receptors >= 3); /* 奎屯, 达子庙, 高泉 groundwater sources, 甘家湖 */
    }

    /* Every task with unit, state and acknowledgement latency. */
    json_t *tasks = drill_harness_get(r, "tasks");
    assert_true(json_array_size(tasks) >= 4);
    json_array_foreach(tasks, i, v)
    {
        assert_true(strlen(json_string_value(json_object_get(v, "unit_id"))) > 0);
        assert_string_equal(json_string_value(json_object_get(v, "state")), "acknowledged");
        json_t *lat = json_object_get(v, "ack_latency_s");
        assert_true(json_is_number(lat));
        assert_true(json_number_value(lat) >= 0 && json_number_value(lat) <= 1800);
    }
    assert_int_equal(json_integer_value(drill_harness_get(sum, "tasks_acknowledged")),
                     json_array_size(tasks));

    /* Reservations with lines (and the shortfall, possibly empty). */
    json_t *res = drill_harness_get(r, "reservations");
    assert_true(json_array_size(res) >= 1);
    json_array_foreach(res, i, v)
    {
        assert_true(json_array_size(json_object_get(v, "lines")) >= 1);
        assert_true(json_is_array(json_object_get(v, "shortfall")));
    }
    assert_int_equal(json_array_size(drill_harness_get(r, "problems")), 0);
    assert_true(json_is_number(drill_harness_get(sum, "trigger_to_all_ack_real_ms")));
    drill_harness_done(&h);
}

static void test_bad_scenario_exits_2(void **state)
{
    (void)state;
    drill_harness h;
    drill_harness_init(&h, "drill_e2e_bad");
    drill_harness_run(&h, HL_TEST_DATA_DIR "/no-such-scenario.yaml", NULL, 20);
    assert_int_equal(h.exit_status, 2);
    assert_null(h.report);
    drill_harness_done(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scenario_exits_2),
        cmocka_unit_test(test_benzene_drill),
    };
    return cmocka_run_group_tests_name("drill_e2e", tests, NULL, NULL);
}
