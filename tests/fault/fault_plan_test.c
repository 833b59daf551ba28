/* fault_plan_test — the seeded load and kill plan of the fault test (fault_plan.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "fault_plan.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

static const char *const units[] = {"xj7-eeb", "reg-130", "kt-eeb", "dsz-petro-ert"};

static fault_plan_params params(uint64_t seed)
{
    fault_plan_params p = {.seed = seed,
                           .seconds = 60,
                           .rate = 12,
                           .burst = 16,
                           .report_share = 0.2,
                           .kills = 10,
                           .max_down_s = 2,
                           .units = units,
                           .n_units = 4};
    return p;
}

/* The reference generator of splitmix64 (Steele, Lea, Flood 2014; the constants of Java's
 * SplittableRandom): seed 0 gives these first outputs. */
static void test_rng_known_sequence(void **state)
{
    (void)state;
    fault_rng r;
    fault_rng_seed(&r, 0);
    assert_true(fault_rng_next(&r) == 0xE220A8397B1DCDAFULL);
    assert_true(fault_rng_next(&r) == 0x6E789E6AA1B965F4ULL);
    assert_true(fault_rng_next(&r) == 0x06C45D188009454FULL);
    for (int i = 0; i < 10000; i++) {
        double u = fault_rng_unit(&r);
        assert_true(u >= 0.0 && u < 1.0);
        size_t k = fault_rng_below(&r, 7);
        assert_true(k < 7);
        double x = fault_rng_range(&r, -3.0, 5.0);
        assert_true(x >= -3.0 && x < 5.0);
    }
    assert_int_equal(fault_rng_below(&r, 0), 0);
}

static void test_same_seed_same_plan(void **state)
{
    (void)state;
    fault_plan_params p = params(42);
    fault_plan a, b, c;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    assert_int_equal(fault_plan_make(&p, &b), 0);
    assert_int_equal(a.n_msgs, 720); /* 60 s × 12 messages/s */
    assert_int_equal(a.n_msgs, b.n_msgs);
    assert_int_equal(a.n_kills, 10);
    for (size_t i = 0; i < a.n_msgs; i++) {
        assert_string_equal(a.msgs[i].msg_id, b.msgs[i].msg_id);
        assert_true(a.msgs[i].at_s == b.msgs[i].at_s);
        assert_true(a.msgs[i].value_mg_l == b.msgs[i].value_mg_l);
    }
    for (size_t i = 0; i < a.n_kills; i++) {
        assert_string_equal(a.kills[i].target, b.kills[i].target);
        assert_true(a.kills[i].at_s == b.kills[i].at_s);
    }
    /* Another seed, another plan; and the kills do not change the messages. */
    p.seed = 43;
    assert_int_equal(fault_plan_make(&p, &c), 0);
    size_t same = 0;
    for (size_t i = 0; i < a.n_msgs; i++)
        same += a.msgs[i].value_mg_l == c.msgs[i].value_mg_l;
    assert_true(same < a.n_msgs / 10);
    fault_plan_free(&c);
    p.seed = 42;
    p.kills = 3;
    assert_int_equal(fault_plan_make(&p, &c), 0);
    for (size_t i = 0; i < a.n_msgs; i++)
        assert_string_equal(a.msgs[i].msg_id, c.msgs[i].msg_id);
    fault_plan_free(&a);
    fault_plan_free(&b);
    fault_plan_free(&c);
}

static void test_messages(void **state)
{
    (void)state;
    fault_plan_params p = params(7);
    fault_plan a;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    size_t reports = 0;
    double last = -1;
    for (size_t i = 0; i < a.n_msgs; i++) {
        const fault_msg *m = &a.msgs[i];
        assert_true(m->at_s >= last && m->at_s < p.seconds);
        last = m->at_s;
        assert_int_equal(hl_id_check(m->msg_id), 0);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(m->msg_id, a.msgs[k].msg_id);
        if (m->kind == FAULT_MSG_REPORT) {
            reports++;
            assert_int_equal(hl_id_check(m->report_id), 0);
            assert_true(m->chainage_km >= 2 && m->chainage_km < 120);
            assert_true(m->mass_kg >= 50 && m->duration_s >= 0);
            /* Started before it is reported, at most half an hour. */
            assert_true(m->measured_offset_ms <= (int64_t)(m->at_s * 1000));
            assert_true(m->measured_offset_ms >= (int64_t)(m->at_s * 1000) - 1800000);
        } else {
            /* Above the loosest limit of the item: GB 3838-2002 表1 class V for table 1
             * items (石油类 item 21: 1.0 mg/L), 表3 item 19 苯 0.01 mg/L. */
            if (strcmp(m->parameter, "petroleum") == 0)
                assert_true(m->value_mg_l > 1.0);
            if (strcmp(m->parameter, "benzene") == 0) {
                assert_true(m->value_mg_l > 0.01);
                /* Only where the station selected 苯 from table 3. */
                assert_string_not_equal(m->station_id, "st-laolongkou");
            }
            assert_true(m->value_mg_l > 0 && isfinite(m->value_mg_l));
            assert_true(m->measured_offset_ms == (int64_t)(m->at_s * 1000));
        }
    }
    /* 20% reports, within a generous margin. */
    assert_true(reports > a.n_msgs / 10 && reports < a.n_msgs * 3 / 10);
    assert_true(a.n_keys >= 40); /* 5 stations × 10 table-1 items + 4 with 苯 = 54 pairs */
    /* In bursts of 16, one every 16/12 s. */
    for (size_t i = 0; i < a.n_msgs; i++)
        assert_true(fabs(a.msgs[i].at_s - (double)(i / 16) * 16.0 / 12.0) < 1e-9);
    fault_plan_free(&a);
}

static void test_kills(void **state)
{
    (void)state;
    fault_plan_params p = params(11);
    p.kills = 25;
    p.burst = 4; /* a burst every 1/3 s: one in every kill's window */
    fault_plan a;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    int services[5] = {0};
    size_t partners = 0;
    for (size_t i = 0; i < a.n_kills; i++) {
        const fault_kill *k = &a.kills[i];
        assert_true(k->at_s >= 0 && k->at_s < p.seconds);
        assert_true(k->down_s >= 0 && k->down_s <= p.max_down_s);
        /* Back up before the next kill. */
        if (i + 1 < a.n_kills)
            assert_true(k->at_s + k->down_s < a.kills[i + 1].at_s);
        /* Just after a burst went out. */
        double since = fmod(k->at_s + 1e-9, 4.0 / 12.0);
        assert_true(since >= 0 && since <= FAULT_KILL_LAG_S + 2e-9);
        int found = 0;
        for (int s = 0; s < 5; s++)
            if (strcmp(k->target, fault_services[s]) == 0) {
                found = 1;
                services[s]++;
                if (i < 5)
                    assert_int_equal(services[s], 1); /* the first five: each service once */
            }
        assert_int_equal(found, k->service);
        if (!found) {
            assert_true(strncmp(k->target, "hazpartner-", 11) == 0);
            partners++;
        }
    }
    for (int s = 0; s < 5; s++)
        assert_true(services[s] >= 1);
    assert_true(partners >= 1);
    fault_plan_free(&a);
    /* Without units only services are killed. */
    p.n_units = 0;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    for (size_t i = 0; i < a.n_kills; i++)
        assert_int_equal(a.kills[i].service, 1);
    fault_plan_free(&a);
}

/* Limits: each parameter outside its range is refused and nothing is allocated. */
static void test_limits(void **state)
{
    (void)state;
    fault_plan a;
    fault_plan_params p = params(1);
    p.seconds = 0;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    assert_null(a.msgs);
    p = params(1);
    p.seconds = FAULT_SECONDS_MAX + 1;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.rate = NAN;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.rate = FAULT_RATE_MAX * 2;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.report_share = 1.5;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.max_down_s = 0;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.n_units = FAULT_MAX_UNITS + 1;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.units = NULL;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    p = params(1);
    p.burst = FAULT_BURST_MAX + 1;
    assert_int_equal(fault_plan_make(&p, &a), HL_EINVAL);
    /* FAULT_MAX_MSGS and FAULT_MAX_KILLS. */
    p = params(1);
    p.seconds = FAULT_SECONDS_MAX;
    p.rate = FAULT_RATE_MAX;
    assert_int_equal(fault_plan_make(&p, &a), HL_ETOOBIG);
    p = params(1);
    p.kills = FAULT_MAX_KILLS + 1;
    assert_int_equal(fault_plan_make(&p, &a), HL_ETOOBIG);
    /* At the limits themselves: accepted. */
    p = params(1);
    p.seconds = FAULT_MAX_MSGS / p.rate;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    assert_int_equal(a.n_msgs, FAULT_MAX_MSGS);
    fault_plan_free(&a);
    p = params(1);
    p.kills = 0;
    assert_int_equal(fault_plan_make(&p, &a), 0);
    assert_int_equal(a.n_kills, 0);
    fault_plan_free(&a);
    fault_plan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_known_sequence),
        cmocka_unit_test(test_same_seed_same_plan),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_kills),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests_name("fault_plan", tests, NULL, NULL);
}
