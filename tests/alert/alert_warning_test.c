/* alert_warning_test — warning levels from playbooks/reference/warning_levels.csv
 * (hazlink rules, not a national table; services/alert/warning.h). Each case cites the row. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "warning.h"

#define TABLE HL_TEST_SOURCE_DIR "/playbooks/reference/warning_levels.csv"

typedef struct level_case {
    const char *row; /* the warning_levels.csv rule the case checks */
    double multiple;
    int drinking;
    warning_level want;
} level_case;

static const level_case cases[] = {
    {"warning_levels.csv reading,no,0,1 → 蓝 (lower edge inclusive)", 0.0, 0, WARNING_BLUE},
    {"warning_levels.csv reading,no,0,1 → 蓝", 0.5, 0, WARNING_BLUE},
    {"warning_levels.csv reading,no,1,3 → 黄 (1 is not in [0,1))", 1.0, 0, WARNING_YELLOW},
    {"warning_levels.csv reading,no,1,3 → 黄", 2.999, 0, WARNING_YELLOW},
    {"warning_levels.csv reading,no,3,10 → 橙", 3.0, 0, WARNING_ORANGE},
    {"warning_levels.csv reading,no,10, → 红 (unbounded)", 10.0, 0, WARNING_RED},
    {"warning_levels.csv reading,no,10, → 红", 1e6, 0, WARNING_RED},
    {"warning_levels.csv reading,yes,0,1 → 黄 (drinking source one level up)", 0.1, 1,
     WARNING_YELLOW},
    {"warning_levels.csv reading,yes,1,3 → 橙", 1.5, 1, WARNING_ORANGE},
    {"warning_levels.csv reading,yes,3, → 红", 3.0, 1, WARNING_RED},
};

static void test_levels(void **state)
{
    (void)state;
    char err[512] = "";
    warning_table *t = NULL;
    if (warning_load(TABLE, &t, err, sizeof err) != 0)
        fail_msg("load: %s", err);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        warning_level got = WARNING_NONE;
        int rc = warning_for_reading(t, cases[i].multiple, cases[i].drinking, &got);
        if (rc != 0 || got != cases[i].want)
            fail_msg("%s: rc %d level %s, want %s", cases[i].row, rc, warning_name(got),
                     warning_name(cases[i].want));
    }
    /* warning_levels.csv report,any → 橙 */
    assert_int_equal(warning_for_report(t), WARNING_ORANGE);
    /* A multiple below 0 or not finite is not an exceedance. */
    warning_level l;
    assert_int_equal(warning_for_reading(t, -0.1, 0, &l), HL_EINVAL);
    assert_int_equal(warning_for_reading(t, NAN, 0, &l), HL_EINVAL);
    assert_int_equal(warning_for_reading(t, INFINITY, 1, &l), HL_EINVAL);
    warning_destroy(&t);
    assert_null(t);
}

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *cn, *en;
        warning_level l;
    } names[] = {{"蓝", "blue", WARNING_BLUE},
                 {"黄", "yellow", WARNING_YELLOW},
                 {"橙", "orange", WARNING_ORANGE},
                 {"红", "red", WARNING_RED},
                 {"", "", WARNING_NONE}};
    for (size_t i = 0; i < 5; i++) {
        warning_level l = WARNING_RED;
        assert_string_equal(warning_name(names[i].l), names[i].cn);
        assert_string_equal(warning_name_en(names[i].l), names[i].en);
        assert_int_equal(warning_parse(names[i].cn, &l), 0);
        assert_int_equal(l, names[i].l);
        assert_int_equal(warning_parse(names[i].en, &l), 0);
        assert_int_equal(l, names[i].l);
    }
    warning_level l;
    assert_int_equal(warning_parse("紫", &l), HL_EINVAL);
    assert_int_equal(warning_parse(NULL, &l), HL_EINVAL);
    assert_string_equal(warning_name((warning_level)9), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
