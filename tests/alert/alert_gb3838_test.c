/* alert_gb3838_test — GB 3838-2002 limits and reading checks (services/alert/gb3838.h),
 * against the real table playbooks/reference/gb3838_2002_surface_water_limits.csv.
 * Every case cites the clause and row it checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gb3838.h"
#include "hazlink/hl_error.h"

#define TABLE HL_TEST_SOURCE_DIR "/playbooks/reference/gb3838_2002_surface_water_limits.csv"

static gb3838_table *g_t;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    int rc = gb3838_load(TABLE, &g_t, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    gb3838_destroy(&g_t);
    return g_t == NULL ? 0 : -1;
}

/* Sites used by the cases. */
static gb3838_site site(int cls, int drinking, gb3838_body body)
{
    gb3838_site s;
    memset(&s, 0, sizeof s);
    s.water_class = cls;
    s.drinking_source = drinking;
    s.body = body;
    return s;
}

static void test_table_shape(void **state)
{
    (void)state;
    /* GB 3838-2002: 表1 24 items (总磷 in two rows: 河流, 湖、库), 表2 5, 表3 80 = 110 rows. */
    assert_int_equal(g_t->n_items, 110);
    int per[4] = {0};
    for (size_t i = 0; i < g_t->n_items; i++)
        per[g_t->items[i].table]++;
    assert_int_equal(per[1], 25);
    assert_int_equal(per[2], 5);
    assert_int_equal(per[3], 80);
}

/* ---- lookup by name and alias ---- */
typedef struct lookup_case {
    const char *clause;
    const char *query;
    const char *name; /* expected canonical name, NULL = unknown */
} lookup_case;

static const lookup_case lookups[] = {
    {"GB 3838-2002 表3 item 19 苯", "苯", "苯"},
    {"GB 3838-2002 表3 item 19 苯 (alias)", "benzene", "苯"},
    {"GB 3838-2002 表3 item 19 苯 (alias, case and blanks)", "  Benzene ", "苯"},
    {"GB 3838-2002 表1 item 21 石油类", "石油类", "石油类"},
    {"GB 3838-2002 表1 item 21 石油类 (alias)", "petroleum", "石油类"},
    {"GB 3838-2002 表1 item 3 溶解氧 (alias)", "DO", "溶解氧"},
    {"GB 3838-2002 表1 item 2 pH值 (alias)", "pH", "pH值"},
    {"GB 3838-2002 表1 item 7 氨氮(NH3-N) (alias without qualifier)", "氨氮", "氨氮(NH3-N)"},
    {"GB 3838-2002 表1 item 17 铬(六价) (alias)", "六价铬", "铬(六价)"},
    {"GB 3838-2002 表3 item 20 甲苯 (alias)", "toluene", "甲苯"},
    {"GB 3838-2002 表3 item 30 硝基苯", "硝基苯", "硝基苯"},
    {"not in GB 3838-2002", "unobtainium", NULL},
    {"not in GB 3838-2002 (empty)", "", NULL},
    {"not in GB 3838-2002 (prefix of 苯乙烯 is not 苯乙)", "苯乙", NULL},
};

static void test_lookup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
        const lookup_case *c = &lookups[i];
        const gb3838_item *it = gb3838_find(g_t, c->query);
        if (!c->name) {
            if (it)
                fail_msg("%s: '%s' found as %s", c->clause, c->query, it->name);
            continue;
        }
        if (!it)
            fail_msg("%s: '%s' not found", c->clause, c->query);
        assert_string_equal(it->name, c->name);
    }
}

/* ---- limits by class, table and section ---- */
typedef struct limit_case {
    const char *clause;
    const char *item;
    int cls, drinking;
    gb3838_body body;
    const char *extra; /* one selected 表3 item or NULL */
    int applies;
    gb3838_kind kind;
    double lo, hi;
    const char *source_has;
} limit_case;

static const limit_case limits[] = {
    /* 表1 by class I..V */
    {"GB 3838-2002 表1 item 4 高锰酸盐指数 class I 2", "CODMn", 1, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 2.0, "表1 item 4 高锰酸盐指数(CODMn) class I"},
    {"GB 3838-2002 表1 item 4 高锰酸盐指数 class II 4", "CODMn", 2, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 4.0, "class II"},
    {"GB 3838-2002 表1 item 4 高锰酸盐指数 class III 6", "CODMn", 3, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 6.0, "class III"},
    {"GB 3838-2002 表1 item 4 高锰酸盐指数 class IV 10", "CODMn", 4, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 10.0, "class IV"},
    {"GB 3838-2002 表1 item 4 高锰酸盐指数 class V 15", "CODMn", 5, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 15.0, "class V"},
    {"GB 3838-2002 表1 item 15 汞 class I 0.00005", "汞", 1, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 0.00005, "表1 item 15 汞 class I"},
    {"GB 3838-2002 表1 item 21 石油类 class III 0.05", "石油类", 3, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 0.05, "表1 item 21 石油类 class III"},
    {"GB 3838-2002 表1 item 21 石油类 class V 1", "petroleum", 5, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 1.0, "class V"},
    /* lower bound */
    {"GB 3838-2002 表1 item 3 溶解氧 class I >= 7.5", "溶解氧", 1, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MIN, 7.5, 0, "表1 item 3 溶解氧 class I"},
    {"GB 3838-2002 表1 item 3 溶解氧 class V >= 2", "DO", 5, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MIN, 2.0, 0, "class V"},
    /* range */
    {"GB 3838-2002 表1 item 2 pH 6~9", "pH", 3, 0, GB3838_BODY_RIVER, NULL, 1, GB3838_RANGE, 6, 9,
     "表1 item 2 pH值 class III"},
    /* water body: 总磷 河流 vs 湖、库; 总氮 湖、库 only */
    {"GB 3838-2002 表1 item 8 总磷 class III 河流 0.2", "总磷", 3, 0, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 0.2, "表1 item 8"},
    {"GB 3838-2002 表1 item 8 总磷 class III 湖、库 0.05", "总磷", 3, 0, GB3838_BODY_LAKE, NULL, 1,
     GB3838_MAX, 0, 0.05, "表1 item 8"},
    {"GB 3838-2002 表1 item 9 总氮 class III 湖、库 1.0", "总氮", 3, 0, GB3838_BODY_LAKE, NULL, 1,
     GB3838_MAX, 0, 1.0, "表1 item 9"},
    {"GB 3838-2002 表1 item 9 总氮: not for rivers", "总氮", 3, 0, GB3838_BODY_RIVER, NULL, 0,
     GB3838_MAX, 0, 0, "表1 item 9"},
    /* text rule */
    {"GB 3838-2002 表1 item 1 水温: text rule, not checked", "水温", 3, 0, GB3838_BODY_RIVER, NULL,
     0, GB3838_TEXT, 0, 0, "表1 item 1 水温 class III (unverified)"},
    /* 表2: drinking-water sources only (§4.2) */
    {"GB 3838-2002 表2 item 4 铁 0.3 at a drinking source", "铁", 2, 1, GB3838_BODY_RIVER, NULL, 1,
     GB3838_MAX, 0, 0.3, "表2 item 4 铁"},
    {"GB 3838-2002 表2 item 4 铁: not at other sections", "铁", 2, 0, GB3838_BODY_RIVER, "铁", 0,
     GB3838_MAX, 0, 0, "表2 item 4 铁"},
    /* 表3: drinking-water sources, or selected by the authority (§4.2) */
    {"GB 3838-2002 表3 item 19 苯 0.01 at a drinking source", "苯", 3, 1, GB3838_BODY_RIVER, NULL,
     1, GB3838_MAX, 0, 0.01, "GB 3838-2002 表3 item 19 苯"},
    {"GB 3838-2002 表3 item 19 苯 0.01 selected for the section", "benzene", 3, 0,
     GB3838_BODY_RIVER, "苯", 1, GB3838_MAX, 0, 0.01, "表3 item 19 苯"},
    {"GB 3838-2002 表3 item 19 苯 selected by alias", "苯", 3, 0, GB3838_BODY_RIVER, "Benzene", 1,
     GB3838_MAX, 0, 0.01, "表3 item 19 苯"},
    {"GB 3838-2002 表3 item 19 苯: not at a section that did not select it", "苯", 3, 0,
     GB3838_BODY_RIVER, "甲苯", 0, GB3838_MAX, 0, 0, "表3 item 19"},
    {"GB 3838-2002 表3 item 66 苯并(a)芘 0.0000028", "benzo(a)pyrene", 2, 1, GB3838_BODY_RIVER,
     NULL, 1, GB3838_MAX, 0, 0.0000028, "表3 item 66"},
};

static void test_limits(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        const limit_case *c = &limits[i];
        gb3838_site s = site(c->cls, c->drinking, c->body);
        if (c->extra) {
            s.extra[0] = c->extra;
            s.n_extra = 1;
        }
        gb3838_limit l;
        int rc = gb3838_limit_for(g_t, c->item, &s, &l);
        if (rc != 0)
            fail_msg("%s: rc %d (%s)", c->clause, rc, l.why);
        if (l.applies != c->applies)
            fail_msg("%s: applies %d, want %d (%s)", c->clause, l.applies, c->applies, l.why);
        if (!strstr(l.source, c->source_has))
            fail_msg("%s: source '%s' lacks '%s'", c->clause, l.source, c->source_has);
        if (!c->applies) {
            if (strncmp(l.why, "not checked: ", 13) != 0)
                fail_msg("%s: why '%s' does not say 'not checked: '", c->clause, l.why);
            continue;
        }
        assert_int_equal(l.kind, c->kind);
        assert_float_equal(l.lo, c->lo, 1e-12);
        assert_float_equal(l.hi, c->hi, 1e-12);
    }
}

/* ---- checks: comparison kinds, units, multiples ---- */
typedef struct check_case {
    const char *clause;
    const char *item;
    double value;
    const char *unit;
    int cls, drinking;
    const char *extra;
    int rc;
    int checked, exceeded;
    double value_std; /* in the item's unit */
    double bound, multiple;
} check_case;

static const check_case checks[] = {
    /* <= upper bound */
    {"GB 3838-2002 表3 item 19 苯 0.01 mg/L: 0.005 within", "苯", 0.005, "mg/L", 3, 1, NULL, 0, 1,
     0, 0.005, 0.01, 0},
    {"GB 3838-2002 表3 item 19 苯 0.01 mg/L: exactly the limit is within", "苯", 0.01, "mg/L", 3, 1,
     NULL, 0, 1, 0, 0.01, 0.01, 0},
    {"GB 3838-2002 表3 item 19 苯 0.01 mg/L: 0.05 exceeds 4x", "苯", 0.05, "mg/L", 3, 1, NULL, 0, 1,
     1, 0.05, 0.01, 4.0},
    {"GB 3838-2002 表3 item 19 苯 0.01 mg/L: 25 ug/L = 0.025 exceeds 1.5x", "benzene", 25, "ug/L",
     3, 0, "苯", 0, 1, 1, 0.025, 0.01, 1.5},
    {"GB 3838-2002 表3 item 19 苯: 25 µg/L (U+00B5)", "苯", 25, "\xC2\xB5g/L", 3, 1, NULL, 0, 1, 1,
     0.025, 0.01, 1.5},
    {"GB 3838-2002 表3 item 19 苯: 25 μg/L (U+03BC)", "苯", 25, "\xCE\xBCg/L", 3, 1, NULL, 0, 1, 1,
     0.025, 0.01, 1.5},
    {"GB 3838-2002 表3 item 19 苯: 9000 ng/L = 0.009 within", "苯", 9000, "ng/L", 3, 1, NULL, 0, 1,
     0, 0.009, 0.01, 0},
    {"GB 3838-2002 表1 item 21 石油类 class III 0.05: 0.2 mg/l exceeds 3x", "石油类", 0.2, "mg/l",
     3, 0, NULL, 0, 1, 1, 0.2, 0.05, 3.0},
    {"GB 3838-2002 表1 item 21 石油类 class IV 0.5: 0.2 within", "petroleum", 0.2, "mg/L", 4, 0,
     NULL, 0, 1, 0, 0.2, 0.5, 0},
    /* >= lower bound */
    {"GB 3838-2002 表1 item 3 溶解氧 class III >= 5: 6 within", "溶解氧", 6, "mg/L", 3, 0, NULL, 0,
     1, 0, 6, 5, 0},
    {"GB 3838-2002 表1 item 3 溶解氧 class III >= 5: 4 below, (5-4)/5", "DO", 4, "mg/L", 3, 0, NULL,
     0, 1, 1, 4, 5, 0.2},
    {"GB 3838-2002 表1 item 3 溶解氧 class II >= 6: 6000 ug/L exactly within", "DO", 6000, "ug/L",
     2, 0, NULL, 0, 1, 0, 6, 6, 0},
    /* pH range */
    {"GB 3838-2002 表1 item 2 pH 6~9: 7.2 within", "pH", 7.2, "", 3, 0, NULL, 0, 1, 0, 7.2, 6, 0},
    {"GB 3838-2002 表1 item 2 pH 6~9: 6 within (inclusive)", "pH值", 6, "pH", 3, 0, NULL, 0, 1, 0,
     6, 6, 0},
    {"GB 3838-2002 表1 item 2 pH 6~9: 10.8 above, (10.8-9)/9", "pH", 10.8, "无量纲", 3, 0, NULL, 0,
     1, 1, 10.8, 9, 0.2},
    {"GB 3838-2002 表1 item 2 pH 6~9: 4.5 below, (6-4.5)/6", "pH", 4.5, "dimensionless", 3, 0, NULL,
     0, 1, 1, 4.5, 6, 0.25},
    /* counts */
    {"GB 3838-2002 表1 item 24 粪大肠菌群 class III 10000: 30000 个/L exceeds 2x", "粪大肠菌群",
     30000, "个/L", 3, 0, NULL, 0, 1, 1, 30000, 10000, 2.0},
    /* text rule */
    {"GB 3838-2002 表1 item 1 水温: not checked", "水温", 25, "℃", 3, 0, NULL, 0, 0, 0, 25, 0, 0},
    /* not applicable */
    {"GB 3838-2002 表3 item 19 苯: no limit at a section that did not select it", "苯", 5, "mg/L",
     3, 0, NULL, 0, 0, 0, 5, 0, 0},
    /* errors: unknown unit */
    {"unit ppm? is not convertible (GB 3838-2002 表3 item 19 苯 in mg/L)", "苯", 1, "ppm?", 3, 1,
     NULL, HL_EUNIT, 0, 0, 0, 0, 0},
    {"unit kg is not a concentration", "苯", 1, "kg", 3, 1, NULL, HL_EUNIT, 0, 0, 0, 0, 0},
    {"unit MG/L is not accepted (case matters for the prefix)", "苯", 1, "MG/L", 3, 1, NULL,
     HL_EUNIT, 0, 0, 0, 0, 0},
    {"pH (GB 3838-2002 表1 item 2) has no concentration unit", "pH", 7, "mg/L", 3, 0, NULL,
     HL_EUNIT, 0, 0, 0, 0, 0},
    {"粪大肠菌群 (表1 item 24) is counted, not weighed", "粪大肠菌群", 7, "mg/L", 3, 0, NULL,
     HL_EUNIT, 0, 0, 0, 0, 0},
    /* errors: bad values, unknown parameter */
    {"NaN is not a measurement", "苯", NAN, "mg/L", 3, 1, NULL, HL_EINVAL, 0, 0, 0, 0, 0},
    {"infinity is not a measurement", "苯", INFINITY, "mg/L", 3, 1, NULL, HL_EINVAL, 0, 0, 0, 0, 0},
    {"a negative concentration is not a measurement", "苯", -0.1, "mg/L", 3, 1, NULL, HL_EINVAL, 0,
     0, 0, 0, 0},
    {"pH above 14 is not a measurement", "pH", 14.5, "", 3, 0, NULL, HL_EINVAL, 0, 0, 0, 0, 0},
    {"unknown parameter", "kryptonite", 1, "mg/L", 3, 0, NULL, HL_ENOTFOUND, 0, 0, 0, 0, 0},
    {"water class 6 does not exist (GB 3838-2002 §3: classes I..V)", "苯", 1, "mg/L", 6, 1, NULL,
     HL_EINVAL, 0, 0, 0, 0, 0},
};

static void test_checks(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        const check_case *c = &checks[i];
        gb3838_site s = site(c->cls, c->drinking, GB3838_BODY_RIVER);
        if (c->extra) {
            s.extra[0] = c->extra;
            s.n_extra = 1;
        }
        gb3838_result r;
        int rc = gb3838_check(g_t, c->item, c->value, c->unit, &s, &r);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->clause, rc, c->rc, r.limit.why);
        if (rc != 0) {
            if (!r.limit.why[0])
                fail_msg("%s: error without a reason", c->clause);
            continue;
        }
        if (r.checked != c->checked || r.exceeded != c->exceeded)
            fail_msg("%s: checked %d exceeded %d, want %d %d (%s)", c->clause, r.checked,
                     r.exceeded, c->checked, c->exceeded, r.limit.why);
        if (fabs(r.value - c->value_std) > 1e-12 || fabs(r.bound - c->bound) > 1e-12 ||
            fabs(r.multiple - c->multiple) > 1e-9)
            fail_msg("%s: value %g bound %g multiple %g, want %g %g %g", c->clause, r.value,
                     r.bound, r.multiple, c->value_std, c->bound, c->multiple);
    }
}

static void test_unit_factor(void **state)
{
    (void)state;
    /* 1 µg = 1e-3 mg, 1 ng = 1e-6 mg. */
    double f = 0;
    assert_int_equal(gb3838_unit_factor("mg/L", &f), 0);
    assert_float_equal(f, 1.0, 0);
    assert_int_equal(gb3838_unit_factor("ug/L", &f), 0);
    assert_float_equal(f, 1e-3, 0);
    assert_int_equal(gb3838_unit_factor("ng/L", &f), 0);
    assert_float_equal(f, 1e-6, 0);
    assert_int_equal(gb3838_unit_factor("ppm?", &f), HL_EUNIT);
    assert_int_equal(gb3838_unit_factor("kg", &f), HL_EUNIT);
    assert_int_equal(gb3838_unit_factor("", &f), HL_EUNIT);
    assert_int_equal(gb3838_unit_factor(NULL, &f), HL_EUNIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_shape), cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_limits),      cmocka_unit_test(test_checks),
        cmocka_unit_test(test_unit_factor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
