/* hazpartner's own answers (clients/hazpartner/policy.h): option parsing, what is planned
 * for a new task, and which owed answer goes out next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "policy.h"

static void test_seconds(void **state)
{
    (void)state;
    char err[256];
    int64_t ms = -7;
    assert_int_equal(policy_parse_seconds("--ack-delay", "30", &ms, err, sizeof err), 0);
    assert_int_equal(ms, 30000);
    assert_int_equal(policy_parse_seconds("--ack-delay", "2.5", &ms, err, sizeof err), 0);
    assert_int_equal(ms, 2500);
    assert_int_equal(policy_parse_seconds("--ack-delay", "0", &ms, err, sizeof err), 0);
    assert_int_equal(ms, 0);
    /* The limit: a week passes, a second more does not. */
    assert_int_equal(policy_parse_seconds("--ack-delay", "604800", &ms, err, sizeof err), 0);
    const char *bad[] = {"", "abc", "5s", "-1", "nan", "inf", "604801", "1e400"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (policy_parse_seconds("--auto-complete", bad[i], &ms, err, sizeof err) != HL_EINVAL)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err, "--auto-complete"));
    }
    assert_int_equal(policy_parse_seconds("--ack-delay", NULL, &ms, err, sizeof err), HL_EINVAL);
}

static void test_kinds(void **state)
{
    (void)state;
    policy p;
    char err[256];
    policy_init(&p);
    assert_int_equal(policy_parse_kinds(&p, "sample,warn_owner", err, sizeof err), 0);
    assert_int_equal(p.nkinds, 2);
    assert_string_equal(p.kinds[1], "warn_owner");
    assert_int_equal(policy_parse_kinds(&p, "sample,evacuate", err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "evacuate"));
    assert_int_equal(policy_parse_kinds(&p, "sample,,intercept", err, sizeof err), HL_EINVAL);
    /* POLICY_KINDS_MAX kinds pass (repeats allowed), one more is HL_ETOOBIG. */
    char many[512] = "";
    for (int i = 0; i < POLICY_KINDS_MAX; i++)
        strncat(many, i ? ",sample" : "sample", sizeof many - strlen(many) - 1);
    assert_int_equal(policy_parse_kinds(&p, many, err, sizeof err), 0);
    assert_int_equal(p.nkinds, POLICY_KINDS_MAX);
    strncat(many, ",sample", sizeof many - strlen(many) - 1);
    assert_int_equal(policy_parse_kinds(&p, many, err, sizeof err), HL_ETOOBIG);

    /* Declining needs a reason. */
    policy_init(&p);
    assert_int_equal(policy_parse_kinds(&p, "sample", err, sizeof err), 0);
    assert_int_equal(policy_check(&p, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "--reason"));
    snprintf(p.reason, sizeof p.reason, "无采样船");
    assert_int_equal(policy_check(&p, err, sizeof err), 0);
}

static void test_plans(void **state)
{
    (void)state;
    policy p;
    policy_answer a;
    policy_init(&p);
    /* No options: the agent only receives. */
    assert_int_equal(policy_first_answer(&p, "intercept", 1000, &a), 0);
    assert_int_equal(policy_after_ack(&p, 1000, &a), 0);

    p.ack_delay_ms = 30000;
    assert_int_equal(policy_first_answer(&p, "intercept", 1000, &a), 1);
    assert_string_equal(a.action, "ack");
    assert_int_equal(a.due_ms, 31000);
    assert_null(a.reason);

    char err[64];
    assert_int_equal(policy_parse_kinds(&p, "sample", err, sizeof err), 0);
    snprintf(p.reason, sizeof p.reason, "no boat");
    assert_int_equal(policy_first_answer(&p, "sample", 1000, &a), 1);
    assert_string_equal(a.action, "decline");
    assert_string_equal(a.reason, "no boat");
    assert_int_equal(a.due_ms, 31000);
    /* Other kinds are still acknowledged. */
    assert_int_equal(policy_first_answer(&p, "warn_owner", 1000, &a), 1);
    assert_string_equal(a.action, "ack");

    /* Declining without --ack-delay declines at once and acknowledges nothing else. */
    p.ack_delay_ms = -1;
    assert_int_equal(policy_first_answer(&p, "sample", 5000, &a), 1);
    assert_int_equal(a.due_ms, 5000);
    assert_int_equal(policy_first_answer(&p, "intercept", 5000, &a), 0);

    p.complete_ms = 600000;
    assert_int_equal(policy_after_ack(&p, 40000, &a), 1);
    assert_string_equal(a.action, "complete");
    assert_int_equal(a.due_ms, 640000);
}

static void test_next(void **state)
{
    (void)state;
    policy_owed o[3] = {{.due_ms = 100}, {.due_ms = 50}, {.due_ms = 10}};
    /* Strictly in order: the first open answer decides, even if a later one is due. */
    assert_int_equal(policy_next(o, 3, 60), -1);
    assert_int_equal(policy_next(o, 3, 100), 0);
    o[0].confirmed = 1;
    assert_int_equal(policy_next(o, 3, 100), 1);
    o[1].refused = 1;
    assert_int_equal(policy_next(o, 3, 100), 2);
    o[2].confirmed = 1;
    assert_int_equal(policy_next(o, 3, 100), -1);
    assert_int_equal(policy_next(o, 0, 100), -1);
}

/* The agent's timer (agent.h): set to the first open answer's due time, nothing when none. */
static void test_next_due(void **state)
{
    (void)state;
    policy_owed o[3] = {{.due_ms = 100}, {.due_ms = 50}, {.due_ms = 10}};
    assert_int_equal(policy_next_due(o, 3), 100); /* in order: not the earliest of all */
    o[0].confirmed = 1;
    assert_int_equal(policy_next_due(o, 3), 50);
    o[1].refused = 1;
    o[2].confirmed = 1;
    assert_int_equal(policy_next_due(o, 3), INT64_MAX);
    assert_int_equal(policy_next_due(o, 0), INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seconds),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_plans),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_next_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
