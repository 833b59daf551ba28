/* risk_hj941_test — HJ 941-2018 enterprise risk grading (services/risk/hj941.h) on the shipped
 * tables of playbooks/reference: Q and M bands at their edges, the E/Q/M matrix, the labels,
 * the enterprise level as the higher of air and water, unverified flags, bad input, and the
 * loader's errors. Every case names the clause or table row it checks; nearly all of HJ 941
 * is [unverified] in the reference, and the tests check that the flag comes through. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "hj941.h"
#include "risk_test_util.h"

static hj941_tables *tab;
static int benzene; /* appendix A row 苯 10 t [unverified] */
static int oil;     /* appendix A row 油类物质 2500 t (source-backed) */

static int setup(void **state)
{
    (void)state;
    char err[512];
    int rc = hj941_tables_load(HL_TEST_SOURCE_DIR "/playbooks/reference", &tab, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s\n", err);
        return rc;
    }
    benzene = hj941_substance_find(tab, "苯");
    oil = hj941_substance_find(tab, "油类物质(矿物油类,如石油、汽油、柴油等;生物柴油等)");
    return benzene >= 0 && oil >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    hj941_tables_destroy(&tab);
    assert_null(tab);
    hj941_tables_destroy(&tab); /* NULL is fine */
    return 0;
}

static void risk_hj941_shipped_rows(void **state)
{
    (void)state;
    /* HJ 941-2018 附录A 苯 10 t [unverified]; 油类物质 2500 t sourced via HJ 169-2018 表B.1. */
    assert_true(tab->subst[benzene].listed);
    assert_float_equal(tab->subst[benzene].critical_t, 10, 0);
    assert_true(tab->subst[benzene].unverified);
    assert_float_equal(tab->subst[oil].critical_t, 2500, 0);
    assert_false(tab->subst[oil].unverified);
    /* 氢氧化钠: a row recording that it is believed NOT listed (empty quantity). */
    int naoh = hj941_substance_find(tab, "氢氧化钠");
    assert_true(naoh >= 0);
    assert_false(tab->subst[naoh].listed);
    /* CAS 7664-41-7 is on two rows, 氨(氨气) 5 t and 氨水(浓度≥20%) 10 t. */
    size_t first = 0;
    assert_int_equal(hj941_substance_find_cas(tab, "7664-41-7", &first), 2);
    assert_string_equal(tab->subst[first].name, "氨(氨气)");
    assert_int_equal(hj941_substance_find(tab, "nothing"), HL_ENOTFOUND);
}

/* One term of benzene (10 t) holding q_t tonnes: Q = q_t / 10. */
static void one_benzene(hj941_input *in, double q_t)
{
    memset(in, 0, sizeof *in);
    in->nterms = 1;
    in->terms[0].row = benzene;
    in->terms[0].q_t = q_t;
}

static void risk_hj941_q_bands(void **state)
{
    (void)state;
    /* HJ 941-2018 §6.1/§7.1 Q bands (hj941_2018_q_m_bands.csv, every row [unverified]):
     * Q0 Q<1, Q1 1≤Q<10, Q2 10≤Q<100, Q3 Q≥100; lower edges inclusive. */
    static const struct {
        double q_t; /* t of benzene (appendix A 苯 10 t): Q = q_t / 10 */
        int band;
        const char *cite;
    } cases[] = {
        {0, 0, "HJ 941 Q0: Q=0"},
        {9.99, 0, "HJ 941 Q0: Q=0.999 < 1"},
        {10, 1, "HJ 941 Q1: Q=1, lower edge inclusive"},
        {99.99, 1, "HJ 941 Q1: Q=9.999 < 10"},
        {100, 2, "HJ 941 Q2: Q=10, lower edge inclusive"},
        {999.9, 2, "HJ 941 Q2: Q=99.99 < 100"},
        {1000, 3, "HJ 941 Q3: Q=100, lower edge inclusive"},
        {1e7, 3, "HJ 941 Q3: open above"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hj941_input in;
        hj941_result r;
        one_benzene(&in, cases[i].q_t);
        assert_int_equal(hj941_assess(tab, &in, &r), 0);
        if (r.q_band != cases[i].band)
            fprintf(stderr, "case %zu (%s): band Q%d\n", i, cases[i].cite, r.q_band);
        assert_int_equal(r.q_band, cases[i].band);
        assert_float_equal(r.q, cases[i].q_t / 10, 1e-12);
        /* The band rows and the benzene row are [unverified]: Q says so (unless q is 0). */
        assert_int_equal(r.q_unverified, 1);
    }
    /* Floating-point sums: 3 × (10/3 t)/10 t is 0.9999999999999999 in doubles; the edge rule
     * of hj941.h (RISKREF_EDGE_REL) makes it Q1, as the exact sum is. */
    hj941_input in;
    hj941_result r;
    memset(&in, 0, sizeof in);
    in.nterms = 3;
    for (size_t i = 0; i < 3; i++) {
        in.terms[i].row = benzene;
        in.terms[i].q_t = 10.0 / 3.0;
    }
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_int_equal(r.q_band, 1);
    /* But a real shortfall stays below: Q = 0.99999 is Q0. */
    one_benzene(&in, 9.9999);
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_int_equal(r.q_band, 0);
}

static void risk_hj941_sum_and_unlisted(void **state)
{
    (void)state;
    /* HJ 941-2018 §6.1 Q = Σ qᵢ/Qᵢ: 苯 50 t / 10 t + 油类物质 5000 t / 2500 t = 5 + 2 = 7 (Q1).
     * A substance appendix A does not list (row -1) adds nothing. */
    hj941_input in;
    hj941_result r;
    memset(&in, 0, sizeof in);
    in.nterms = 3;
    in.terms[0] = (hj941_term_in){benzene, 50};
    in.terms[1] = (hj941_term_in){oil, 5000};
    in.terms[2] = (hj941_term_in){-1, 1e6};
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_float_equal(r.q, 7, 1e-12);
    assert_int_equal(r.q_band, 1);
    assert_int_equal(r.nterms, 3);
    assert_float_equal(r.terms[0].ratio, 5, 1e-12);
    assert_true(r.terms[0].unverified);
    assert_float_equal(r.terms[1].critical_t, 2500, 0);
    assert_false(r.terms[1].unverified);
    assert_float_equal(r.terms[2].critical_t, 0, 0);
    assert_float_equal(r.terms[2].ratio, 0, 0);
    /* Only the source-backed oil row counted: Q is still unverified through its band row. */
    in.nterms = 2;
    in.terms[0].q_t = 0;
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_false(r.terms[1].unverified);
    assert_true(r.q_unverified);
}

static void risk_hj941_m_bands(void **state)
{
    (void)state;
    /* HJ 941-2018 M bands (hj941_2018_q_m_bands.csv [unverified]): M1 M<25, M2 25≤M<45,
     * M3 45≤M<60, M4 M≥60; lower edges inclusive. */
    static const struct {
        double m;
        int band;
    } cases[] = {{0, 1}, {24.9, 1}, {25, 2}, {44.99, 2}, {45, 3}, {59.99, 3}, {60, 4}, {100, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hj941_band *row = NULL;
        assert_int_equal(hj941_m_band(tab, cases[i].m, &row), cases[i].band);
        assert_true(row->unverified);
        assert_int_equal(row->name[1] - '0', cases[i].band);
    }
    const hj941_band *row;
    assert_int_equal(hj941_m_band(tab, -1, &row), HL_EINVAL);
    assert_int_equal(hj941_q_band(tab, NAN, &row), HL_EINVAL);
}

static void risk_hj941_matrix(void **state)
{
    (void)state;
    /* HJ 941-2018 企业突发环境事件风险等级划分 (hj941_2018_risk_level_matrix.csv): one cell
     * per row as transcribed; all [unverified] except E3-Q2-M2 (a real filing label). */
    static const struct {
        int e, q, m, level, unverified;
        const char *cite;
    } cases[] = {
        {1, 1, 1, HJ941_LARGER, 1, "matrix row E1,Q1,M1 → 较大 [unverified]"},
        {1, 1, 3, HJ941_MAJOR, 1, "matrix row E1,Q1,M3 → 重大 [unverified]"},
        {1, 2, 2, HJ941_MAJOR, 1, "matrix row E1,Q2,M2 → 重大 [unverified]"},
        {2, 1, 1, HJ941_GENERAL, 1, "matrix row E2,Q1,M1 → 一般 [unverified]"},
        {2, 3, 1, HJ941_LARGER, 1, "matrix row E2,Q3,M1 → 较大 [unverified]"},
        {3, 1, 2, HJ941_GENERAL, 1, "matrix row E3,Q1,M2 → 一般 [unverified]"},
        {3, 2, 2, HJ941_LARGER, 0, "matrix row E3,Q2,M2 → 较大 (consistent with a filing label)"},
        {3, 3, 4, HJ941_MAJOR, 1, "matrix row E3,Q3,M4 → 重大 [unverified]"},
        {2, 0, 4, HJ941_GENERAL, 1, "matrix row Q0 (Q<1) → 一般 whatever E and M [unverified]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hj941_cell *c = NULL;
        assert_int_equal(hj941_matrix_cell(tab, cases[i].e, cases[i].q, cases[i].m, &c), 0);
        if (c->level != cases[i].level)
            fprintf(stderr, "case %zu (%s): level %d\n", i, cases[i].cite, c->level);
        assert_int_equal(c->level, cases[i].level);
        assert_int_equal(c->unverified, cases[i].unverified);
        assert_true(c->line > 1);
    }
    const hj941_cell *c;
    assert_int_equal(hj941_matrix_cell(tab, 4, 1, 1, &c), HL_EINVAL);
    assert_int_equal(hj941_matrix_cell(tab, 1, 1, 5, &c), HL_EINVAL);
    /* The level never falls as E gets more sensitive (E3 → E1) or Q or M grow. */
    for (int e = 1; e <= 3; e++)
        for (int q = 1; q <= 3; q++)
            for (int m = 1; m <= 4; m++) {
                const hj941_cell *a, *b;
                hj941_matrix_cell(tab, e, q, m, &a);
                if (m < 4) {
                    hj941_matrix_cell(tab, e, q, m + 1, &b);
                    assert_true(b->level >= a->level);
                }
                if (q < 3) {
                    hj941_matrix_cell(tab, e, q + 1, m, &b);
                    assert_true(b->level >= a->level);
                }
                if (e > 1) {
                    hj941_matrix_cell(tab, e - 1, q, m, &b);
                    assert_true(b->level >= a->level);
                }
            }
}

static void assessed(hj941_input *in, double process, double air, int e_air, double water,
                     int e_water)
{
    in->assessed = 1;
    in->process_score = process;
    in->control_score[HJ941_AIR] = air;
    in->control_score[HJ941_WATER] = water;
    in->e[HJ941_AIR] = e_air;
    in->e[HJ941_WATER] = e_water;
}

static void risk_hj941_levels_and_labels(void **state)
{
    (void)state;
    static const struct {
        double q_t, process, air, water;
        int e_air, e_water, level;
        const char *air_label, *water_label, *label, *cite;
    } cases[] = {
        /* Q = 15 (Q2). Air M 20+5 = 25 (M2), E3: E3-Q2-M2 较大; water M 20+30 = 50 (M3), E1:
         * E1-Q2-M3 重大. The enterprise takes the higher: 重大 (water). */
        {150, 20, 5, 30, 3, 1, HJ941_MAJOR, "较大-大气(Q2-M2-E3)", "重大-水(Q2-M3-E1)",
         "重大[较大-大气(Q2-M2-E3)+重大-水(Q2-M3-E1)]",
         "HJ 941-2018 enterprise level = max(air, water), water higher"},
        /* The same with the media swapped: air decides. */
        {150, 20, 30, 5, 1, 3, HJ941_MAJOR, "重大-大气(Q2-M3-E1)", "较大-水(Q2-M2-E3)",
         "重大[重大-大气(Q2-M3-E1)+较大-水(Q2-M2-E3)]",
         "HJ 941-2018 enterprise level = max(air, water), air higher"},
        /* Q = 1.2 (Q1), M 10 (M1) both, E3 and E2: E3-Q1-M1 一般, E2-Q1-M1 一般. */
        {12, 10, 0, 0, 3, 2, HJ941_GENERAL, "一般-大气(Q1-M1-E3)", "一般-水(Q1-M1-E2)",
         "一般[一般-大气(Q1-M1-E3)+一般-水(Q1-M1-E2)]", "matrix rows E3,Q1,M1 and E2,Q1,M1"},
        /* Q = 0.5 (Q0): 一般 whatever M and E (the Q0 rule). */
        {5, 30, 70, 70, 1, 1, HJ941_GENERAL, "一般-大气(Q0)", "一般-水(Q0)",
         "一般[一般-大气(Q0)+一般-水(Q0)]", "HJ 941-2018 Q<1 → 一般 (matrix row Q0)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hj941_input in;
        hj941_result r;
        one_benzene(&in, cases[i].q_t);
        assessed(&in, cases[i].process, cases[i].air, cases[i].e_air, cases[i].water,
                 cases[i].e_water);
        assert_int_equal(hj941_assess(tab, &in, &r), 0);
        if (strcmp(r.label, cases[i].label) != 0)
            fprintf(stderr, "case %zu (%s): '%s'\n", i, cases[i].cite, r.label);
        assert_string_equal(r.med[HJ941_AIR].label, cases[i].air_label);
        assert_string_equal(r.med[HJ941_WATER].label, cases[i].water_label);
        assert_string_equal(r.label, cases[i].label);
        assert_int_equal(r.level, cases[i].level);
        /* Every level here rests on unverified rows, and says so. */
        assert_true(r.unverified);
        assert_true(r.med[HJ941_AIR].unverified && r.med[HJ941_WATER].unverified);
        assert_true(r.med[HJ941_WATER].cell_line > 1);
    }
    /* The example form: 较大-水(Q2-M2-E1) needs E1-Q2-M2, which the matrix gives as
     * 重大 [unverified]; E2-Q2-M2 is 较大: "较大-水(Q2-M2-E2)". */
    hj941_input in;
    hj941_result r;
    one_benzene(&in, 150);
    assessed(&in, 25, 0, 2, 0, 2);
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_string_equal(r.med[HJ941_WATER].label, "较大-水(Q2-M2-E2)");
    assert_float_equal(r.med[HJ941_WATER].m, 25, 0);

    /* Not assessed: Q ≥ 1 leaves every level undetermined; Q0 still gives 一般. */
    one_benzene(&in, 150);
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_int_equal(r.level, HJ941_LEVEL_NONE);
    assert_string_equal(r.label, "");
    assert_int_equal(r.med[HJ941_AIR].level, HJ941_LEVEL_NONE);
    one_benzene(&in, 1);
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_int_equal(r.level, HJ941_GENERAL);
    assert_string_equal(r.label, "一般[一般-大气(Q0)+一般-水(Q0)]");
    assert_string_equal(hj941_level_name(HJ941_MAJOR), "重大");
    assert_string_equal(hj941_level_name(7), "");
    assert_string_equal(hj941_medium_name(HJ941_WATER), "水");
}

static void risk_hj941_bad_input(void **state)
{
    (void)state;
    static const struct {
        double process, air, q_t;
        int e, row_off;
        const char *why;
    } cases[] = {
        {31, 0, 1, 1, 0, "process score over 30 (HJ 941-2018 表1 caps it)"},
        {-1, 0, 1, 1, 0, "negative process score"},
        {10, 71, 1, 1, 0, "control score over 70 (M over 100)"},
        {10, NAN, 1, 1, 0, "control score not a number"},
        {10, 0, 1, 4, 0, "E4 does not exist"},
        {10, 0, 1, 0, 0, "E missing"},
        {10, 0, -1, 1, 0, "negative quantity"},
        {10, 0, INFINITY, 1, 0, "infinite quantity"},
        {10, 0, 1, 1, 100000, "row out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hj941_input in;
        hj941_result r;
        one_benzene(&in, cases[i].q_t);
        in.terms[0].row += cases[i].row_off;
        assessed(&in, cases[i].process, cases[i].air, cases[i].e, 0, 1);
        if (hj941_assess(tab, &in, &r) != HL_EINVAL)
            fprintf(stderr, "case %zu (%s) accepted\n", i, cases[i].why);
        assert_int_equal(hj941_assess(tab, &in, &r), HL_EINVAL);
        assert_float_equal(r.q, 0, 0);
    }
    hj941_input in;
    hj941_result r;
    one_benzene(&in, 1);
    in.nterms = HJ941_TERMS_MAX + 1;
    assert_int_equal(hj941_assess(tab, &in, &r), HL_EINVAL);
    in.nterms = HJ941_TERMS_MAX; /* the limit itself is fine */
    for (size_t i = 0; i < HJ941_TERMS_MAX; i++)
        in.terms[i] = (hj941_term_in){benzene, 1};
    assert_int_equal(hj941_assess(tab, &in, &r), 0);
    assert_float_equal(r.q, 3.2, 1e-12);
}

/* Build tables from three in-memory files; the bands and matrix default to good ones. */
static const char good_subst[] = "name_cn,cas,critical_quantity_t,verified\n苯,71-43-2,10,no\n";
static const char good_bands[] = "index,band,lower,upper,verified\n"
                                 "Q,Q0,,1,no\nQ,Q1,1,10,no\nQ,Q2,10,100,no\nQ,Q3,100,,no\n"
                                 "M,M1,,25,no\nM,M2,25,45,no\nM,M3,45,60,no\nM,M4,60,,no\n";

static char *good_matrix(void)
{
    static char buf[4096];
    size_t n =
        (size_t)snprintf(buf, sizeof buf, "E,Q,M,risk_level,verified\nany,Q0 (Q<1),any,一般,no\n");
    for (int e = 1; e <= 3; e++)
        for (int q = 1; q <= 3; q++)
            for (int m = 1; m <= 4; m++)
                n += (size_t)snprintf(buf + n, sizeof buf - n, "E%d,Q%d,M%d,较大,no\n", e, q, m);
    return buf;
}

static int from_mem(const char *subst, const char *matrix, const char *bands, char *err,
                    size_t errlen)
{
    refcsv *s = NULL, *m = NULL, *b = NULL;
    hj941_tables *t = NULL;
    assert_int_equal(refcsv_load_mem("subst.csv", subst, strlen(subst), &s, err, errlen), 0);
    assert_int_equal(refcsv_load_mem("matrix.csv", matrix, strlen(matrix), &m, err, errlen), 0);
    assert_int_equal(refcsv_load_mem("bands.csv", bands, strlen(bands), &b, err, errlen), 0);
    int rc = hj941_tables_from_csv(s, m, b, &t, err, errlen);
    if (rc < 0)
        assert_null(t);
    hj941_tables_destroy(&t);
    refcsv_destroy(&s);
    refcsv_destroy(&m);
    refcsv_destroy(&b);
    return rc;
}

static void risk_hj941_loader_errors(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(from_mem(good_subst, good_matrix(), good_bands, err, sizeof err), 0);
    static const struct {
        const char *subst, *bands;
        int mline;
        const char *mtext, *where, *what;
    } cases[] = {
        {"name_cn,cas,verified\n苯,71-43-2,no\n", NULL, 0, NULL,
         "subst.csv:1:", "critical_quantity_t: column missing"},
        {"name_cn,cas,critical_quantity_t,verified\n苯,71-43-2,10,maybe\n", NULL, 0, NULL,
         "subst.csv:2:", "verified: 'maybe' is not yes or no"},
        {"name_cn,cas,critical_quantity_t,verified\n苯,71-43-2,0,no\n", NULL, 0, NULL,
         "subst.csv:2:", "not a positive quantity"},
        {"name_cn,cas,critical_quantity_t,verified\n苯,,10,no\n苯,,5,no\n", NULL, 0, NULL,
         "subst.csv:3:", "'苯' is listed twice"},
        {NULL, NULL, 3, NULL, "matrix.csv:1:", "cell E1-Q1-M1 is missing"},
        {NULL, NULL, 4, "E1,Q1,M1,较大,no", "matrix.csv:4:", "E1-Q1-M1 is given twice"},
        {NULL, NULL, 3, "E1,Q1,M1,很大,no", "matrix.csv:3:", "'很大' is not 一般, 较大 or 重大"},
        {NULL, NULL, 3, "E4,Q1,M1,较大,no", "matrix.csv:3:", "E: 'E4'"},
        {NULL, NULL, 2, "E1,Q0,any,一般,no", "matrix.csv:2:", "the Q0 row applies to any E"},
        {NULL, NULL, 2, NULL, "matrix.csv:1:", "no Q0 row"},
        {NULL, NULL, 3, "any,Q1,M1,较大,no", "matrix.csv:3:", "'any' is allowed on the Q0 row"},
        {NULL, "index,band,lower,upper,verified\nQ,Q0,,1,no\nQ,Q1,2,10,no\n", 0, NULL,
         "bands.csv:3:", "lower: must equal the upper edge of Q0"},
        {NULL, "index,band,lower,upper,verified\nQ,Q1,,1,no\n", 0, NULL,
         "bands.csv:2:", "'Q1' where Q0 was expected"},
        {NULL, "index,band,lower,upper,verified\nQ,Q0,,1,no\nQ,Q1,1,,no\n", 0, NULL,
         "bands.csv:3:", "upper: required"},
        {NULL, "index,band,lower,upper,verified\nQ,Q0,,1,no\n", 0, NULL,
         "bands.csv:1:", "1 Q bands and 0 M bands"},
        {NULL, "index,band,lower,upper,verified\nX,Q0,,1,no\n", 0, NULL,
         "bands.csv:2:", "'X' is not Q or M"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc =
            from_mem(cases[i].subst ? cases[i].subst : good_subst,
                     cases[i].mline ? risk_test_line(good_matrix(), cases[i].mline, cases[i].mtext)
                                    : good_matrix(),
                     cases[i].bands ? cases[i].bands : good_bands, err, sizeof err);
        if (!strstr(err, cases[i].where) || !strstr(err, cases[i].what))
            fprintf(stderr, "case %zu: rc %d err '%s'\n", i, rc, err);
        assert_int_equal(rc, HL_EPARSE);
        assert_non_null(strstr(err, cases[i].where));
        assert_non_null(strstr(err, cases[i].what));
    }
    hj941_tables *t = NULL;
    assert_int_equal(hj941_tables_load("/nonexistent", &t, err, sizeof err), HL_EIO);
    assert_null(t);
    assert_non_null(strstr(err, "/nonexistent/" HJ941_FILE_SUBST));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_hj941_shipped_rows),
        cmocka_unit_test(risk_hj941_q_bands),
        cmocka_unit_test(risk_hj941_sum_and_unlisted),
        cmocka_unit_test(risk_hj941_m_bands),
        cmocka_unit_test(risk_hj941_matrix),
        cmocka_unit_test(risk_hj941_levels_and_labels),
        cmocka_unit_test(risk_hj941_bad_input),
        cmocka_unit_test(risk_hj941_loader_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
