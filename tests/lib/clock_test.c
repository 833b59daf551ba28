/* Clock: scaled drill time, spec round trip, ISO 8601 with offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

static void test_scale(void **state)
{
    (void)state;
    int64_t real = hl_real_now_ms();
    /* A two-hour drill in two minutes: scale 60, drill time origin 2026-11-30T10:00+08:00. */
    hl_clock c = {real - 1000, INT64_C(1796004000000), 60.0};
    hl_clock_set(&c);
    int64_t now = hl_now_ms();
    /* 1 real second after the origin = 60 drill seconds (allow scheduling slack). */
    assert_true(now >= c.origin_ms + 60000);
    assert_true(now < c.origin_ms + 60000 + 60 * 500);
    assert_int_equal(hl_clock_real_delay_ms(60000), 1000);
    assert_int_equal(hl_clock_real_delay_ms(61), 2); /* rounded up */
    assert_int_equal(hl_clock_real_delay_ms(0), 0);
    assert_int_equal(hl_clock_real_delay_ms(-5), 0);
    assert_true(hl_clock_get()->scale == 60.0);
    hl_clock real_clock;
    assert_int_equal(hl_clock_parse(NULL, &real_clock), 0);
    hl_clock_set(&real_clock);
    int64_t a = hl_real_now_ms(), b = hl_now_ms();
    assert_true(b - a >= 0 && b - a < 100);
    assert_int_equal(hl_clock_real_delay_ms(1234), 1234);
}

static void test_parse_format(void **state)
{
    (void)state;
    hl_clock c;
    assert_int_equal(hl_clock_parse("scale=120,origin=1796004000000,real=1700000000000", &c), 0);
    assert_true(c.scale == 120.0);
    assert_int_equal(c.origin_ms, INT64_C(1796004000000));
    assert_int_equal(c.origin_real_ms, INT64_C(1700000000000));
    char buf[128];
    assert_int_equal(hl_clock_format(&c, buf, sizeof buf), 0);
    hl_clock d;
    assert_int_equal(hl_clock_parse(buf, &d), 0);
    assert_memory_equal(&c, &d, sizeof c);
    assert_int_equal(hl_clock_format(&c, buf, 10), HL_ETOOBIG);
    /* Any order; missing origin/real = now. */
    int64_t before = hl_real_now_ms();
    assert_int_equal(hl_clock_parse("real=5,scale=0.5", &c), 0);
    assert_int_equal(c.origin_real_ms, 5);
    assert_true(c.origin_ms >= before);
    assert_true(c.scale == 0.5);
    static const char *const bad[] = {"scale=0", "scale=-1", "scale=10001", "scale=nan",
                                      "scale=2x", "speed=2", "scale=2,", "scale=2,scale=3",
                                      "origin=", "origin=12a", "=1", "scale"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(hl_clock_parse(bad[i], &c), HL_EINVAL);
    assert_int_equal(hl_clock_parse("scale=10000", &c), 0);
}

static void test_time_format_parse(void **state)
{
    (void)state;
    char buf[40];
    /* 2026-11-30T02:00:00Z is 1796004000 s. */
    assert_int_equal(hl_time_format(INT64_C(1796004000000), HL_TZ_BEIJING_MIN, buf, sizeof buf),
                     0);
    assert_string_equal(buf, "2026-11-30T10:00:00+08:00");
    assert_int_equal(hl_time_format(INT64_C(1796004000999), 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "2026-11-30T02:00:00+00:00");
    assert_int_equal(hl_time_format(0, -330, buf, sizeof buf), 0);
    assert_string_equal(buf, "1969-12-31T18:30:00-05:30");
    assert_int_equal(hl_time_format(-1, 0, buf, sizeof buf), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59+00:00");
    assert_int_equal(hl_time_format(INT64_C(951782400000), 0, buf, sizeof buf), 0); /* leap day */
    assert_string_equal(buf, "2000-02-29T00:00:00+00:00");
    assert_int_equal(hl_time_format(0, 0, buf, 31), HL_ETOOBIG);

    static const struct { const char *s; int64_t ms; } good[] = {
        {"2026-11-30T10:00:00+08:00", INT64_C(1796004000000)},
        {"2026-11-30T02:00Z", INT64_C(1796004000000)},
        {"2026-11-30T02:00:00.5Z", INT64_C(1796004000500)},
        {"2026-11-30T02:00:00.123456Z", INT64_C(1796004000123)},
        {"1969-12-31T18:30:00-05:30", 0},
        {"2000-02-29T00:00:00Z", INT64_C(951782400000)},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        int64_t ms = -1;
        assert_int_equal(hl_time_parse(good[i].s, &ms), 0);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {"2026-11-30T10:00:00",     /* no offset */
                                      "2026-11-30 10:00:00Z",    "2026-13-01T00:00Z",
                                      "2026-02-29T00:00Z",       "2026-11-30T24:00Z",
                                      "2026-11-30T10:00:00+8:00", "2026-11-30T10:00:00Zjunk",
                                      "2026-11-30T10:00:00.Z",   "", "2026-11"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms;
        if (hl_time_parse(bad[i], &ms) != HL_EINVAL) fail_msg("accepted '%s'", bad[i]);
    }
    /* Round trip through the Beijing offset. */
    int64_t t = INT64_C(1796011234000), back;
    assert_int_equal(hl_time_format(t, HL_TZ_BEIJING_MIN, buf, sizeof buf), 0);
    assert_int_equal(hl_time_parse(buf, &back), 0);
    assert_int_equal(back, t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_parse_format),
        cmocka_unit_test(test_time_format_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
