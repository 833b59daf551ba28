/* risk_gb18218_test — GB 18218-2018 major hazard sources (services/risk/gb18218.h) on the
 * shipped tables of playbooks/reference: critical quantities from 表1 and the 表2 fallback
 * (lowest Q), S at its edge, β from 表3 and 表4, the disputed J2 β, α and the R grades at
 * their edges, a worked R example, bad input and the loader's errors. Each case names the
 * clause or row it checks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gb18218.h"
#include "hazlink/hl_error.h"
#include "risk_test_util.h"

static gb18218_tables *tab;

static int setup(void **state)
{
    (void)state;
    char err[512];
    int rc = gb18218_tables_load(HL_TEST_SOURCE_DIR "/playbooks/reference", &tab, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    gb18218_tables_destroy(&tab);
    assert_null(tab);
    return 0;
}

static int t1(int seq)
{
    int i = gb18218_t1_find(tab, seq);
    assert_true(i >= 0);
    return i;
}

static int cls(const char *symbol)
{
    int i = gb18218_class_find(tab, symbol);
    assert_true(i >= 0);
    return i;
}

static void risk_gb18218_shipped_rows(void **state)
{
    (void)state;
    /* GB 18218-2018 表1 row 57 苯 50 t; row 1 氨 10 t; row 10 硫化氢 5 t [unverified] (name
     * corrected from CAS). */
    static const struct {
        int seq;
        const char *name;
        double q;
        int unverified;
    } rows[] = {{57, "苯", 50, 0},
                {1, "氨", 10, 0},
                {64, "甲苯", 500, 0},
                {10, "硫化氢", 5, 1},
                {66, "汽油(乙醇汽油、甲醇汽油)", 200, 0}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const gb18218_t1 *r = &tab->t1[t1(rows[i].seq)];
        assert_string_equal(r->name, rows[i].name);
        assert_float_equal(r->critical_t, rows[i].q, 0);
        assert_int_equal(r->unverified, rows[i].unverified);
    }
    assert_int_equal(tab->nt1, 85);
    /* GB 18218-2018 表2: W5.4 5000 t, J1 5 t; 表4 J2 β 1 or 2 (disputed, row flagged). */
    assert_float_equal(tab->classes[cls("W5.4")].critical_t, 5000, 0);
    assert_float_equal(tab->classes[cls("J1")].critical_t, 5, 0);
    const gb18218_class *j2 = &tab->classes[cls("J2")];
    assert_float_equal(j2->beta[0], 1, 0);
    assert_float_equal(j2->beta[1], 2, 0);
    assert_true(j2->unverified);
    /* 表3: 氨 β=2 (by CAS), 氯 β=4 (by name). */
    assert_float_equal(tab->gases[gb18218_gas_find(tab, "7664-41-7", NULL)].beta, 2, 0);
    assert_float_equal(tab->gases[gb18218_gas_find(tab, "", "氯")].beta, 4, 0);
    assert_int_equal(gb18218_gas_find(tab, "71-43-2", "苯"), HL_ENOTFOUND);
    /* 表1 row 49 lists two CAS numbers: 74-82-8(甲烷);8006-14-2(天然气). */
    assert_true(gb18218_t1_has_cas(tab, t1(49), "8006-14-2"));
    assert_true(gb18218_t1_has_cas(tab, t1(49), "74-82-8"));
    assert_false(gb18218_t1_has_cas(tab, t1(49), "74-82"));
    assert_false(gb18218_t1_has_cas(tab, t1(57), ""));
    assert_int_equal(gb18218_t1_find(tab, 86), HL_ENOTFOUND);
    assert_int_equal(gb18218_class_find(tab, "W12"), HL_ENOTFOUND);
}

static gb18218_term_in term(double q_t, int t1_row, int gas, int c1, int c2, int c3)
{
    gb18218_term_in t = {.q_t = q_t, .t1 = t1_row, .gas = gas};
    int cs[3] = {c1, c2, c3};
    for (int i = 0; i < 3; i++)
        if (cs[i] >= 0)
            t.classes[t.nclasses++] = cs[i];
    return t;
}

static void risk_gb18218_critical_quantity(void **state)
{
    (void)state;
    static const struct {
        const char *cite;
        int seq;
        const char *c1, *c2, *c3;
        double q;
        const char *from; /* class the Q came from, or NULL for 表1 */
    } cases[] = {
        {"GB 18218-2018 §4.1.2 a) 表1 row 57 苯 50 t (表1 before its class W5.1 10 t)", 57, "W5.1",
         NULL, NULL, 50, NULL},
        {"§4.1.2 b) 表2 W5.4 5000 t (二甲苯, one class)", 0, "W5.4", NULL, NULL, 5000, "W5.4"},
        {"§4.1.2 b) lowest Q of W5.4 5000 t, W5.3 1000 t, J5 500 t → J5", 0, "W5.4", "W5.3", "J5",
         500, "J5"},
        {"§4.1.2 b) lowest Q of J3 50 t and W2 10 t → W2", 0, "J3", "W2", NULL, 10, "W2"},
        {"§4.1.2 b) lowest Q of W1.3 50 t and W1.1 1 t → W1.1", 0, "W1.3", "W1.1", NULL, 1, "W1.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gb18218_input in = {.nterms = 1};
        gb18218_result r;
        in.terms[0] =
            term(1, cases[i].seq ? t1(cases[i].seq) : -1, -1, cls(cases[i].c1),
                 cases[i].c2 ? cls(cases[i].c2) : -1, cases[i].c3 ? cls(cases[i].c3) : -1);
        assert_int_equal(gb18218_assess(tab, &in, &r), 0);
        if (r.terms[0].critical_t != cases[i].q)
            fprintf(stderr, "case %zu (%s): Q %g\n", i, cases[i].cite, r.terms[0].critical_t);
        assert_float_equal(r.terms[0].critical_t, cases[i].q, 0);
        if (cases[i].from) {
            assert_int_equal(r.terms[0].q_t1, -1);
            assert_string_equal(tab->classes[r.terms[0].q_class].symbol, cases[i].from);
        } else {
            assert_int_equal(r.terms[0].q_t1, t1(cases[i].seq));
            assert_int_equal(r.terms[0].q_class, -1);
        }
    }
}

static void risk_gb18218_s_edge(void **state)
{
    (void)state;
    static const struct {
        double benzene_t, toluene_t, s;
        int major;
        const char *cite;
    } cases[] = {
        {25, 250, 1.0, 1, "§4.2.2 式1: 苯 25/50 + 甲苯 250/500 = 1 → major (S ≥ 1 inclusive)"},
        {24.9, 250, 0.998, 0, "§4.2.2: S = 0.998 < 1 → not major"},
        {50, 0, 1.0, 1, "§4.2.2 a) single substance q = Q (表1 row 57 苯 50 t) → major"},
        {49.99, 0, 0.9998, 0, "§4.2.2 a) q < Q → not major"},
        {0, 0, 0, 0, "nothing held"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gb18218_input in = {.nterms = 2, .has_people = 1, .people = 10};
        gb18218_result r;
        in.terms[0] = term(cases[i].benzene_t, t1(57), -1, cls("W5.3"), -1, -1);
        in.terms[1] = term(cases[i].toluene_t, t1(64), -1, cls("W5.3"), -1, -1);
        assert_int_equal(gb18218_assess(tab, &in, &r), 0);
        if (r.major != cases[i].major)
            fprintf(stderr, "case %zu (%s): S %.17g\n", i, cases[i].cite, r.s);
        assert_float_equal(r.s, cases[i].s, 1e-12);
        assert_int_equal(r.major, cases[i].major);
        /* §4.3: only a major hazard source is graded. */
        assert_int_equal(r.graded, cases[i].major);
        if (!r.major)
            assert_int_equal(r.grade, 0);
    }
    /* Floating-point sums: three thirds of 苯's 50 t reach S = 1. */
    gb18218_input in = {.nterms = 3};
    gb18218_result r;
    for (size_t i = 0; i < 3; i++)
        in.terms[i] = term(50.0 / 3.0, t1(57), -1, cls("W5.3"), -1, -1);
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_true(r.major);
    assert_false(r.graded); /* no people given: not graded */
}

static void risk_gb18218_beta(void **state)
{
    (void)state;
    int ammonia = gb18218_gas_find(tab, "7664-41-7", "氨");
    int chlorine = gb18218_gas_find(tab, "7782-50-5", "氯");
    static const struct {
        const char *cite;
        int gas; /* 0 none, 1 氨, 2 氯 */
        const char *c1, *c2;
        double beta, beta_alt;
        int disputed;
    } cases[] = {
        {"表3 氨 β=2 (a named toxic gas: its classes do not matter)", 1, "W2", NULL, 2, 2, 0},
        {"表3 氯 β=4", 2, NULL, NULL, 4, 4, 0},
        {"表4 W5.3 β=1 (苯 by its class)", 0, "W5.3", NULL, 1, 1, 0},
        {"表4 W2 β=1.5", 0, "W2", NULL, 1.5, 1.5, 0},
        {"表4: highest β of W5.3 (1) and W2 (1.5)", 0, "W5.3", "W2", 1.5, 1.5, 0},
        {"表4 J2 β disputed: source 1 gives 1, source 2 gives 2", 0, "J2", NULL, 2, 1, 1},
        {"表4 J2 with W5.1 (1.5): readings 2 and 1.5, still disputed", 0, "J2", "W5.1", 2, 1.5, 1},
        {"表4 J2 with J1 (4): the dispute does not count", 0, "J2", "J1", 4, 4, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gb18218_input in = {.nterms = 1};
        gb18218_result r;
        int gas = cases[i].gas == 1 ? ammonia : cases[i].gas == 2 ? chlorine : -1;
        in.terms[0] = term(1, t1(57), gas, cases[i].c1 ? cls(cases[i].c1) : -1,
                           cases[i].c2 ? cls(cases[i].c2) : -1, -1);
        assert_int_equal(gb18218_assess(tab, &in, &r), 0);
        if (r.terms[0].beta != cases[i].beta || r.terms[0].beta_alt != cases[i].beta_alt)
            fprintf(stderr, "case %zu (%s): β %g/%g\n", i, cases[i].cite, r.terms[0].beta,
                    r.terms[0].beta_alt);
        assert_float_equal(r.terms[0].beta, cases[i].beta, 0);
        assert_float_equal(r.terms[0].beta_alt, cases[i].beta_alt, 0);
        assert_int_equal(r.terms[0].beta_disputed, cases[i].disputed);
        assert_int_equal(r.depends_on_disputed, cases[i].disputed);
        assert_int_equal(r.terms[0].beta_gas, gas);
    }
}

static void risk_gb18218_alpha_and_grade_edges(void **state)
{
    (void)state;
    /* GB 18218-2018 表5 α by people outside the site within 500 m (以上含本数). */
    static const struct {
        double people, alpha;
    } alphas[] = {{0, 0.5},  {1, 1.0},  {29, 1.0},  {30, 1.2}, {49, 1.2},
                  {50, 1.5}, {99, 1.5}, {100, 2.0}, {1e6, 2.0}};
    for (size_t i = 0; i < sizeof alphas / sizeof alphas[0]; i++) {
        const gb18218_band *row = NULL;
        assert_int_equal(gb18218_alpha(tab, alphas[i].people, &row), 0);
        if (row->value != alphas[i].alpha)
            fprintf(stderr, "表5 %g people: α %g (%s)\n", alphas[i].people, row->value, row->name);
        assert_float_equal(row->value, alphas[i].alpha, 0);
    }
    /* GB 18218-2018 表6: 一级 R ≥ 100, 二级 100 > R ≥ 50, 三级 50 > R ≥ 10, 四级 R < 10. */
    static const struct {
        double r;
        int grade;
    } grades[] = {{1000, 1}, {100, 1}, {99.99, 2}, {50, 2}, {49.99, 3}, {10, 3}, {9.99, 4}, {0, 4}};
    for (size_t i = 0; i < sizeof grades / sizeof grades[0]; i++) {
        const gb18218_band *row = NULL;
        int g = gb18218_grade(tab, grades[i].r, &row);
        if (g != grades[i].grade)
            fprintf(stderr, "表6 R %g: grade %d\n", grades[i].r, g);
        assert_int_equal(g, grades[i].grade);
        assert_string_equal(row->name, gb18218_grade_name(grades[i].grade));
    }
    const gb18218_band *row;
    assert_int_equal(gb18218_alpha(tab, -1, &row), HL_EINVAL);
    assert_int_equal(gb18218_grade(tab, NAN, &row), HL_EINVAL);
    assert_string_equal(gb18218_grade_name(0), "");
}

static void risk_gb18218_worked_example(void **state)
{
    (void)state;
    /* Worked example (hazlink's own, computed by hand from the formula of GB 18218-2018 §4.3
     * 式2 and checked here): a storage unit holds 液氨 50 t and 甲醇 1000 t, 120 people live
     * within 500 m.
     *   氨:   表1 row 1 Q = 10 t, 表3 β = 2     → β q/Q = 2 × 50/10    = 10
     *   甲醇: 表1 row 65 Q = 500 t, 表4 W5.3 β = 1 → β q/Q = 1 × 1000/500 = 2
     *   S = 5 + 2 = 7 ≥ 1 (major); α = 2.0 (表5 100人以上)
     *   R = 2.0 × (10 + 2) = 24 → 三级 (表6 50 > R ≥ 10). */
    gb18218_input in = {.nterms = 2, .has_people = 1, .people = 120};
    gb18218_result r;
    in.terms[0] = term(50, t1(1), gb18218_gas_find(tab, "7664-41-7", NULL), -1, -1, -1);
    in.terms[1] = term(1000, t1(65), -1, cls("W5.3"), -1, -1);
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_float_equal(r.s, 7, 1e-12);
    assert_true(r.major);
    assert_true(r.graded);
    assert_float_equal(r.alpha, 2.0, 0);
    assert_string_equal(r.alpha_row->name, "100人以上");
    assert_float_equal(r.r, 24, 1e-12);
    assert_float_equal(r.r_alt, 24, 1e-12);
    assert_int_equal(r.grade, 3);
    assert_int_equal(r.grade_alt, 3);
    assert_string_equal(r.grade_row->name, "三级");
    assert_false(r.depends_on_disputed);
    assert_false(r.unverified); /* rows 1 and 65, 表3 氨, W5.3, 表5, 表6: none flagged */
    /* The same unit with 25 people: α = 1.0 (表5 1~29人), R = 12 → 三级; with 0: α 0.5, R 6
     * → 四级. */
    in.people = 25;
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_float_equal(r.r, 12, 1e-12);
    assert_int_equal(r.grade, 3);
    in.people = 0;
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_float_equal(r.r, 6, 1e-12);
    assert_int_equal(r.grade, 4);
}

static void risk_gb18218_disputed_j2(void **state)
{
    (void)state;
    /* A substance outside 表1 of class J2 only (表2 J2 50 t; 表4 J2 β 1 or 2, flagged):
     * 500 t → q/Q = 10; 0 people → α 0.5. R = 0.5 × 2 × 10 = 10 → 三级 with β=2; with β=1,
     * R = 5 → 四级. The grade must say it depends on the disputed value. */
    gb18218_input in = {.nterms = 1, .has_people = 1, .people = 0};
    gb18218_result r;
    in.terms[0] = term(500, -1, -1, cls("J2"), -1, -1);
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_float_equal(r.terms[0].critical_t, 50, 0);
    assert_true(r.terms[0].q_unverified); /* the J2 row is flagged */
    assert_true(r.terms[0].beta_disputed);
    assert_true(r.depends_on_disputed);
    assert_float_equal(r.r, 10, 1e-12);
    assert_float_equal(r.r_alt, 5, 1e-12);
    assert_int_equal(r.grade, 3);
    assert_int_equal(r.grade_alt, 4);
    assert_true(r.unverified);
    /* Both readings in one band (R 40 and 20 → both 三级): still flagged as depending on it. */
    in.terms[0].q_t = 2000;
    assert_int_equal(gb18218_assess(tab, &in, &r), 0);
    assert_int_equal(r.grade, 3);
    assert_int_equal(r.grade_alt, 3);
    assert_true(r.depends_on_disputed);
}

static void risk_gb18218_bad_input(void **state)
{
    (void)state;
    static const struct {
        gb18218_term_in t;
        const char *why;
    } cases[] = {
        {{.q_t = 1, .t1 = -1, .gas = -1}, "no 表1 row and no class: no critical quantity"},
        {{.q_t = 1, .t1 = 0, .gas = -1}, "表1 row but not a 表3 gas and no class: no β"},
        {{.q_t = -1, .t1 = 0, .gas = 0}, "negative quantity"},
        {{.q_t = NAN, .t1 = 0, .gas = 0}, "quantity not a number"},
        {{.q_t = 1, .t1 = 100000, .gas = 0}, "表1 row out of range"},
        {{.q_t = 1, .t1 = -1, .gas = -1, .nclasses = 1, .classes = {999}}, "class out of range"},
        {{.q_t = 1, .t1 = 0, .gas = 0, .nclasses = GB18218_TERM_CLASSES + 1}, "too many classes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gb18218_input in = {.nterms = 1};
        gb18218_result r;
        in.terms[0] = cases[i].t;
        if (gb18218_assess(tab, &in, &r) != HL_EINVAL)
            fprintf(stderr, "case %zu (%s) accepted\n", i, cases[i].why);
        assert_int_equal(gb18218_assess(tab, &in, &r), HL_EINVAL);
        assert_int_equal(r.nterms, 0);
    }
    gb18218_input in = {.nterms = 1, .has_people = 1, .people = -3};
    gb18218_result r;
    in.terms[0] = term(1, t1(57), -1, cls("W5.3"), -1, -1);
    assert_int_equal(gb18218_assess(tab, &in, &r), HL_EINVAL);
    in.people = 3;
    in.nterms = GB18218_TERMS_MAX + 1;
    assert_int_equal(gb18218_assess(tab, &in, &r), HL_EINVAL);
}

static const char g_t1[] = "seq,name_cn,cas,critical_quantity_t,verified\n57,苯,71-43-2,50,yes\n";
static const char g_t24[] =
    "symbol,critical_quantity_t(Table2),beta_table4_source1,beta_table4_source2,verified\n"
    "W5.3,1000,1,1,yes\n";
static const char g_bar[] = "table,item,cas,value,verified,lower,upper\n"
                            "Table3 beta,氨,7664-41-7,2,yes,,\n"
                            "Table5 alpha,100人以上,,2.0,yes,100,\n"
                            "Table5 alpha,0~99人,,1.0,yes,0,100\n"
                            "Table6 grade,一级,,,yes,100,\n"
                            "Table6 grade,二级,,,yes,50,100\n"
                            "Table6 grade,三级,,,yes,10,50\n"
                            "Table6 grade,四级,,,yes,,10\n";

static int from_mem(const char *a, const char *b, const char *c, char *err, size_t errlen)
{
    refcsv *x = NULL, *y = NULL, *z = NULL;
    gb18218_tables *t = NULL;
    assert_int_equal(refcsv_load_mem("t1.csv", a, strlen(a), &x, err, errlen), 0);
    assert_int_equal(refcsv_load_mem("t24.csv", b, strlen(b), &y, err, errlen), 0);
    assert_int_equal(refcsv_load_mem("bar.csv", c, strlen(c), &z, err, errlen), 0);
    int rc = gb18218_tables_from_csv(x, y, z, &t, err, errlen);
    if (rc < 0)
        assert_null(t);
    gb18218_tables_destroy(&t);
    refcsv_destroy(&x);
    refcsv_destroy(&y);
    refcsv_destroy(&z);
    return rc;
}

static void risk_gb18218_loader_errors(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(from_mem(g_t1, g_t24, g_bar, err, sizeof err), 0);
    static const struct {
        const char *t1, *t24;
        int bline;
        const char *btext, *where, *what;
    } cases[] = {
        {"seq,name_cn,critical_quantity_t,verified\n57,苯,50,yes\n", NULL, 0, NULL,
         "t1.csv:1:", "cas: column missing"},
        {"seq,name_cn,cas,critical_quantity_t,verified\n57,苯,,50,yes\n57,甲苯,,500,yes\n", NULL, 0,
         NULL, "t1.csv:3:", "seq: 57 is given twice"},
        {"seq,name_cn,cas,critical_quantity_t,verified\n57,苯,,-5,yes\n", NULL, 0, NULL,
         "t1.csv:2:", "not a positive number"},
        {"seq,name_cn,cas,critical_quantity_t,verified\nx,苯,,5,yes\n", NULL, 0, NULL,
         "t1.csv:2:", "seq: 'x' is not a number"},
        {NULL,
         "symbol,critical_quantity_t(Table2),beta_table4_source1,beta_table4_source2,verified\n"
         "J2,50,1,,no\n",
         0, NULL, "t24.csv:2:", "beta_table4_source2: a number is required"},
        {NULL,
         "symbol,critical_quantity_t(Table2),beta_table4_source1,beta_table4_source2,verified\n"
         "J2,50,1,2,no\nJ2,50,1,2,no\n",
         0, NULL, "t24.csv:3:", "J2 is given twice"},
        {NULL, NULL, 2, "Table9 beta,氨,,2,yes,,", "bar.csv:2:", "'Table9 beta' is not Table3"},
        {NULL, NULL, 4, "Table5 alpha,0~99人,,1.0,yes,1,100",
         "bar.csv:4:", "bands must cover 0 upwards"},
        {NULL, NULL, 3, "Table5 alpha,100人以上,,2.0,yes,90,",
         "bar.csv:3:", "bands must cover 0 upwards"},
        {NULL, NULL, 5, "Table6 grade,特级,,,yes,100,", "bar.csv:5:", "'特级' is not 一级"},
        {NULL, NULL, 5, NULL, "bar.csv:1:", "3 table 6 grades"},
        {NULL, NULL, 3, "Table5 alpha,100人以上,,2.0,yes,100,200",
         "bar.csv:3:", "only the highest table 5 (α) band is open"},
        {NULL, NULL, 2, "Table3 beta,氨,7664-41-7,2,perhaps,,",
         "bar.csv:2:", "'perhaps' is not yes or no"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc =
            from_mem(cases[i].t1 ? cases[i].t1 : g_t1, cases[i].t24 ? cases[i].t24 : g_t24,
                     cases[i].bline ? risk_test_line(g_bar, cases[i].bline, cases[i].btext) : g_bar,
                     err, sizeof err);
        if (!strstr(err, cases[i].where) || !strstr(err, cases[i].what))
            fprintf(stderr, "case %zu: rc %d err '%s'\n", i, rc, err);
        assert_int_equal(rc, HL_EPARSE);
        assert_non_null(strstr(err, cases[i].where));
        assert_non_null(strstr(err, cases[i].what));
    }
    /* 表6 grades whose R bands run the wrong way round. */
    static const char swapped[] = "table,item,cas,value,verified,lower,upper\n"
                                  "Table5 alpha,any,,1.0,yes,0,\n"
                                  "Table6 grade,四级,,,yes,100,\n"
                                  "Table6 grade,二级,,,yes,50,100\n"
                                  "Table6 grade,三级,,,yes,10,50\n"
                                  "Table6 grade,一级,,,yes,,10\n";
    assert_int_equal(from_mem(g_t1, g_t24, swapped, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "bar.csv:6: item: 一级 is out of order"));
    gb18218_tables *t = NULL;
    assert_int_equal(gb18218_tables_load("/nonexistent", &t, err, sizeof err), HL_EIO);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_gb18218_shipped_rows),
        cmocka_unit_test(risk_gb18218_critical_quantity),
        cmocka_unit_test(risk_gb18218_s_edge),
        cmocka_unit_test(risk_gb18218_beta),
        cmocka_unit_test(risk_gb18218_alpha_and_grade_edges),
        cmocka_unit_test(risk_gb18218_worked_example),
        cmocka_unit_test(risk_gb18218_disputed_j2),
        cmocka_unit_test(risk_gb18218_bad_input),
        cmocka_unit_test(risk_gb18218_loader_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
