/* risk_upstream_test — the upstream trace-back (services/risk/upstream.h): ordering, the
 * inclusive bound, the distance and substance filters, limits and bad input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "upstream.h"

/* Substances: 0 苯 (71-43-2, alias 纯苯), 1 甲醇 (67-56-1).
 * Sources (file order deliberately not chainage order):
 *   rs-far    km 75  甲醇
 *   rs-petro  km 22  苯
 *   rs-park   km 28  苯, 甲醇
 *   rs-twin   km 28  甲醇       (same chainage as rs-park: tie broken by id)
 *   rs-down   km 120 苯 */
static risk_register *reg_new(void)
{
    risk_register *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->substances[0].name, sizeof r->substances[0].name, "苯");
    snprintf(r->substances[0].cas, sizeof r->substances[0].cas, "71-43-2");
    snprintf(r->substances[0].aliases[0], sizeof r->substances[0].aliases[0], "纯苯");
    r->substances[0].naliases = 1;
    snprintf(r->substances[1].name, sizeof r->substances[1].name, "甲醇");
    snprintf(r->substances[1].cas, sizeof r->substances[1].cas, "67-56-1");
    r->nsubstances = 2;
    static const struct {
        const char *id;
        double km;
        int subst[2];
    } src[] = {{"rs-far", 75, {1, -1}},
               {"rs-petro", 22, {0, -1}},
               {"rs-park", 28, {0, 1}},
               {"rs-twin", 28, {1, -1}},
               {"rs-down", 120, {0, -1}}};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++) {
        risk_source *s = &r->sources[r->nsources++];
        snprintf(s->id, sizeof s->id, "%s", src[i].id);
        s->outfall_km = src[i].km;
        for (int j = 0; j < 2 && src[i].subst[j] >= 0; j++) {
            s->holdings[s->nholdings].substance = (size_t)src[i].subst[j];
            s->holdings[s->nholdings++].max_quantity_t = 10;
        }
    }
    return r;
}

static void expect_ids(const risk_register *r, const size_t *idx, size_t n, const char *const *ids,
                       size_t nids)
{
    assert_int_equal(n, nids);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(r->sources[idx[i]].id, ids[i]);
}

static void risk_upstream_order_nearest_first(void **state)
{
    (void)state;
    risk_register *r = reg_new();
    size_t idx[RISK_SOURCES_MAX], n = 99;
    /* At km 80 everything but rs-down is upstream: 75 (5 km), 28 (52 km, by id), 22 (58). */
    assert_int_equal(risk_upstream_find(r, 80, 0, NULL, idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const all[] = {"rs-far", "rs-park", "rs-twin", "rs-petro"};
    expect_ids(r, idx, n, all, 4);
    /* Upstream means less than or equal: a source at the station itself counts. */
    assert_int_equal(risk_upstream_find(r, 22, 0, "", idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const at22[] = {"rs-petro"};
    expect_ids(r, idx, n, at22, 1);
    /* Above every outfall: nothing. */
    assert_int_equal(risk_upstream_find(r, 21.99, 0, NULL, idx, RISK_SOURCES_MAX, &n), 0);
    assert_int_equal(n, 0);
    free(r);
}

static void risk_upstream_within_distance(void **state)
{
    (void)state;
    risk_register *r = reg_new();
    size_t idx[RISK_SOURCES_MAX], n;
    /* From km 30 within 6 km: 28 (2 km) yes, 22 (8 km) no. */
    assert_int_equal(risk_upstream_find(r, 30, 6, NULL, idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const near[] = {"rs-park", "rs-twin"};
    expect_ids(r, idx, n, near, 2);
    /* The bound is inclusive: exactly 8 km reaches km 22. */
    assert_int_equal(risk_upstream_find(r, 30, 8, NULL, idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const incl[] = {"rs-park", "rs-twin", "rs-petro"};
    expect_ids(r, idx, n, incl, 3);
    free(r);
}

static void risk_upstream_substance_filter(void **state)
{
    (void)state;
    risk_register *r = reg_new();
    size_t idx[RISK_SOURCES_MAX], n;
    static const char *const benzene[] = {"rs-park", "rs-petro"};
    /* By name, by CAS and by alias alike. */
    assert_int_equal(risk_upstream_find(r, 80, 0, "苯", idx, RISK_SOURCES_MAX, &n), 0);
    expect_ids(r, idx, n, benzene, 2);
    assert_int_equal(risk_upstream_find(r, 80, 0, "71-43-2", idx, RISK_SOURCES_MAX, &n), 0);
    expect_ids(r, idx, n, benzene, 2);
    assert_int_equal(risk_upstream_find(r, 80, 0, "纯苯", idx, RISK_SOURCES_MAX, &n), 0);
    expect_ids(r, idx, n, benzene, 2);
    /* Combined with distance. */
    assert_int_equal(risk_upstream_find(r, 80, 10, "甲醇", idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const meoh[] = {"rs-far"};
    expect_ids(r, idx, n, meoh, 1);
    /* A known substance no upstream source holds: none. */
    assert_int_equal(risk_upstream_find(r, 30, 0, "甲醇", idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const meoh30[] = {"rs-park", "rs-twin"};
    expect_ids(r, idx, n, meoh30, 2);
    assert_int_equal(risk_upstream_find(r, 25, 0, "甲醇", idx, RISK_SOURCES_MAX, &n), 0);
    assert_int_equal(n, 0);
    /* A substance the register does not know does not filter: every upstream source. */
    assert_int_equal(risk_substance_find(r, "硝基苯"), HL_ENOTFOUND);
    assert_int_equal(risk_upstream_find(r, 80, 0, "硝基苯", idx, RISK_SOURCES_MAX, &n), 0);
    static const char *const all[] = {"rs-far", "rs-park", "rs-twin", "rs-petro"};
    expect_ids(r, idx, n, all, 4);
    assert_int_equal(risk_substance_find(r, ""), HL_ENOTFOUND);
    assert_int_equal(risk_substance_find(r, "67-56-1"), 1);
    free(r);
}

static void risk_upstream_limits_and_bad_input(void **state)
{
    (void)state;
    risk_register *r = reg_new();
    size_t idx[RISK_SOURCES_MAX], n;
    /* Room for 2 of 4: the nearest 2 are kept and the overflow reported. */
    assert_int_equal(risk_upstream_find(r, 80, 0, NULL, idx, 2, &n), HL_ETOOBIG);
    static const char *const two[] = {"rs-far", "rs-park"};
    expect_ids(r, idx, n, two, 2);
    assert_int_equal(risk_upstream_find(r, 80, 0, NULL, idx, 0, &n), HL_ETOOBIG);
    assert_int_equal(n, 0);
    assert_int_equal(risk_upstream_find(r, -1, 0, NULL, idx, 4, &n), HL_EINVAL);
    assert_int_equal(risk_upstream_find(r, NAN, 0, NULL, idx, 4, &n), HL_EINVAL);
    assert_int_equal(risk_upstream_find(r, RISK_CHAINAGE_MAX + 1, 0, NULL, idx, 4, &n), HL_EINVAL);
    assert_int_equal(risk_upstream_find(r, 30, -5, NULL, idx, 4, &n), HL_EINVAL);
    assert_int_equal(risk_upstream_find(r, 30, INFINITY, NULL, idx, 4, &n), HL_EINVAL);
    assert_int_equal(n, 0);
    /* Bounds themselves are accepted. */
    assert_int_equal(risk_upstream_find(r, 0, 0, NULL, idx, 4, &n), 0);
    assert_int_equal(risk_upstream_find(r, RISK_CHAINAGE_MAX, RISK_CHAINAGE_MAX, NULL, idx, 5, &n),
                     0);
    assert_int_equal(n, 5);
    assert_string_equal(r->sources[idx[0]].id, "rs-down");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_upstream_order_nearest_first),
        cmocka_unit_test(risk_upstream_within_distance),
        cmocka_unit_test(risk_upstream_substance_filter),
        cmocka_unit_test(risk_upstream_limits_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
