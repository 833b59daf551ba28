/* alert_grading_test — incident grade I..IV (services/alert/grading.h) against the real table
 * playbooks/reference/incident_grading_national_plan_2014.csv, transcribed from
 * 国家突发环境事件应急预案 (国办函〔2014〕119号) 附件1 突发环境事件分级标准.
 *
 * Every case cites the annex row it checks as "附件1 <grade>(<item>)": the annex numbers the
 * criteria of each grade (1) deaths or poisoned/seriously injured, (2) evacuated, (3) direct
 * economic loss, (4) ecology / protected species, (5) drinking-water intake interrupted,
 * (6) radiation, (7) cross-boundary (一般 IV: (4) cross-county dispute, (5) radiation,
 * (6) the catch-all). The boundary rule of the annex, "以上含本数，以下不含本数", is checked at
 * every bound: the lower bound belongs to the grade, the upper bound to the next.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "grading.h"
#include "hazlink/hl_error.h"

#define TABLE HL_TEST_SOURCE_DIR "/playbooks/reference/incident_grading_national_plan_2014.csv"

static grading_table *g_t;

static int setup(void **state)
{
    (void)state;
    char err[512] = "";
    int rc = grading_load(TABLE, &g_t, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "load: %s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    grading_destroy(&g_t);
    return g_t == NULL ? 0 : -1;
}

static void test_table_shape(void **state)
{
    (void)state;
    /* 附件1: I 8 criteria rows, II 8, III 8, IV 7 (deaths and poisoned are one annex item but
     * two rows of the table) = 31; one catch-all. */
    assert_int_equal(g_t->n, 31);
    int per[5] = {0};
    for (size_t i = 0; i < g_t->n; i++)
        per[g_t->c[i].grade]++;
    assert_int_equal(per[GRADE_I], 8);
    assert_int_equal(per[GRADE_II], 8);
    assert_int_equal(per[GRADE_III], 8);
    assert_int_equal(per[GRADE_IV], 7);
    assert_int_equal(g_t->c[g_t->catch_all].fact, GF_NONE);
    assert_int_equal(g_t->c[g_t->catch_all].grade, GRADE_IV);
}

/* ---- one fact at a time, every bound ---- */

typedef struct grade_case {
    const char *cite; /* annex row and what is checked */
    grading_fact fact;
    double num;      /* numeric facts */
    const char *cat; /* categorical facts */
    grade_level want;
    const char *type; /* criterion_type of the deciding row */
} grade_case;

#define N(f, v) f, (v), NULL
#define C(f, s) f, 0, (s)

static const grade_case cases[] = {
    /* deaths: I [30,∞), II [10,30), III [3,10), IV (0,3) */
    {"附件1 特别重大(1): 30人以上死亡 — 30 is I", N(GF_DEATHS, 30), GRADE_I, "deaths"},
    {"附件1 特别重大(1): 31 deaths is I", N(GF_DEATHS, 31), GRADE_I, "deaths"},
    {"附件1 重大(1): 10人以上30人以下 — 29 is II (30 excluded)", N(GF_DEATHS, 29), GRADE_II,
     "deaths"},
    {"附件1 重大(1): 10 is II (10 included)", N(GF_DEATHS, 10), GRADE_II, "deaths"},
    {"附件1 较大(1): 3人以上10人以下 — 9 is III", N(GF_DEATHS, 9), GRADE_III, "deaths"},
    {"附件1 较大(1): 3 is III (3 included)", N(GF_DEATHS, 3), GRADE_III, "deaths"},
    {"附件1 一般(1): 3人以下死亡 — 2 is IV", N(GF_DEATHS, 2), GRADE_IV, "deaths"},
    {"附件1 一般(1): 1 death is IV by the deaths row", N(GF_DEATHS, 1), GRADE_IV, "deaths"},
    {"附件1 一般(6): no deaths meets no deaths row; the catch-all decides", N(GF_DEATHS, 0),
     GRADE_IV, "catch_all"},
    /* poisoned or seriously injured: I [100,∞), II [50,100), III [10,50), IV (0,10) */
    {"附件1 特别重大(1): 100人以上中毒或重伤 — 100 is I", N(GF_POISONED, 100), GRADE_I,
     "poisoned_or_seriously_injured"},
    {"附件1 重大(1): 50人以上100人以下 — 99 is II", N(GF_POISONED, 99), GRADE_II,
     "poisoned_or_seriously_injured"},
    {"附件1 重大(1): 50 is II", N(GF_POISONED, 50), GRADE_II, "poisoned_or_seriously_injured"},
    {"附件1 较大(1): 10人以上50人以下 — 49 is III", N(GF_POISONED, 49), GRADE_III,
     "poisoned_or_seriously_injured"},
    {"附件1 较大(1): 10 is III", N(GF_POISONED, 10), GRADE_III, "poisoned_or_seriously_injured"},
    {"附件1 一般(1): 10人以下 — 9 is IV", N(GF_POISONED, 9), GRADE_IV,
     "poisoned_or_seriously_injured"},
    /* evacuated: I [50000,∞), II [10000,50000), III [5000,10000), IV (0,5000) */
    {"附件1 特别重大(2): 5万人以上 — 50000 is I", N(GF_EVACUATED, 50000), GRADE_I, "evacuated"},
    {"附件1 重大(2): 1万人以上5万人以下 — 49999 is II", N(GF_EVACUATED, 49999), GRADE_II,
     "evacuated"},
    {"附件1 重大(2): 10000 is II", N(GF_EVACUATED, 10000), GRADE_II, "evacuated"},
    {"附件1 较大(2): 5000人以上1万人以下 — 9999 is III", N(GF_EVACUATED, 9999), GRADE_III,
     "evacuated"},
    {"附件1 较大(2): 5000 is III", N(GF_EVACUATED, 5000), GRADE_III, "evacuated"},
    {"附件1 一般(2): 5000人以下 — 4999 is IV", N(GF_EVACUATED, 4999), GRADE_IV, "evacuated"},
    /* direct economic loss, 元: I [1亿,∞), II [2000万,1亿), III [500万,2000万), IV (0,500万) */
    {"附件1 特别重大(3): 1亿元以上 — 100000000 is I", N(GF_LOSS, 1e8), GRADE_I,
     "direct_economic_loss"},
    {"附件1 重大(3): 2000万元以上1亿元以下 — 99999999 is II", N(GF_LOSS, 99999999), GRADE_II,
     "direct_economic_loss"},
    {"附件1 重大(3): 20000000 is II", N(GF_LOSS, 2e7), GRADE_II, "direct_economic_loss"},
    {"附件1 较大(3): 500万元以上2000万元以下 — 19999999.99 is III", N(GF_LOSS, 19999999.99),
     GRADE_III, "direct_economic_loss"},
    {"附件1 较大(3): 5000000 is III", N(GF_LOSS, 5e6), GRADE_III, "direct_economic_loss"},
    {"附件1 一般(3): 500万元以下 — 4999999 is IV", N(GF_LOSS, 4999999), GRADE_IV,
     "direct_economic_loss"},
    /* ecology and protected species */
    {"附件1 特别重大(4): 该区域国家重点保护物种灭绝", C(GF_ECOLOGY, "species_extinct"), GRADE_I,
     "ecology"},
    {"附件1 特别重大(4): 区域生态功能丧失", C(GF_ECOLOGY, "function_lost"), GRADE_I, "ecology"},
    {"附件1 重大(4): 国家重点保护野生动植物种群大批死亡", C(GF_ECOLOGY, "population_mass_death"),
     GRADE_II, "ecology"},
    {"附件1 重大(4): 区域生态功能部分丧失", C(GF_ECOLOGY, "function_partly_lost"), GRADE_II,
     "ecology"},
    {"附件1 较大(4): 国家重点保护的动植物物种受到破坏", C(GF_ECOLOGY, "species_damaged"), GRADE_III,
     "ecology"},
    /* drinking-water intake interrupted */
    {"附件1 特别重大(5): 设区的市级以上城市集中式饮用水水源地取水中断", C(GF_DRINKING, "city"),
     GRADE_I, "drinking_water_interruption"},
    {"附件1 重大(5): 县级城市集中式饮用水水源地取水中断", C(GF_DRINKING, "county"), GRADE_II,
     "drinking_water_interruption"},
    {"附件1 较大(5): 乡镇集中式饮用水水源地取水中断", C(GF_DRINKING, "town"), GRADE_III,
     "drinking_water_interruption"},
    {"附件1 一般(6): no intake interrupted (none) — catch-all", C(GF_DRINKING, "none"), GRADE_IV,
     "catch_all"},
    /* radiation */
    {"附件1 特别重大(6): Ⅰ、Ⅱ类放射源失控并造成大范围严重辐射污染后果",
     C(GF_RADIATION, "source_I_II_widespread"), GRADE_I, "radiation"},
    {"附件1 重大(6): Ⅰ、Ⅱ类放射源丢失、被盗", C(GF_RADIATION, "source_I_II_lost"), GRADE_II,
     "radiation"},
    {"附件1 较大(6): Ⅲ类放射源丢失、被盗", C(GF_RADIATION, "source_III_lost"), GRADE_III,
     "radiation"},
    {"附件1 一般(5): Ⅳ、Ⅴ类放射源丢失、被盗", C(GF_RADIATION, "source_IV_V_lost"), GRADE_IV,
     "radiation"},
    /* cross-boundary */
    {"附件1 特别重大(7): 造成重大跨国境影响", C(GF_CROSS, "national"), GRADE_I, "transboundary"},
    {"附件1 重大(7): 跨省级行政区域影响", C(GF_CROSS, "province"), GRADE_II, "cross_boundary"},
    {"附件1 较大(7): 跨设区的市级行政区域影响", C(GF_CROSS, "prefecture"), GRADE_III,
     "cross_boundary"},
    {"附件1 一般(4): 跨县级行政区域纠纷，引起一般性群体影响", C(GF_CROSS, "county"), GRADE_IV,
     "cross_boundary"},
};

static void test_one_fact(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const grade_case *c = &cases[i];
        grading_facts f;
        memset(&f, 0, sizeof f);
        f.known[c->fact] = 1;
        f.num[c->fact] = c->num;
        if (c->cat)
            snprintf(f.cat[c->fact], sizeof f.cat[c->fact], "%s", c->cat);
        grading_result r;
        int rc = grading_grade(g_t, &f, &r);
        if (rc != 0)
            fail_msg("%s: rc %d", c->cite, rc);
        const grading_criterion *d = &g_t->c[r.decided_by];
        if (r.grade != c->want || strcmp(d->type, c->type) != 0)
            fail_msg("%s: grade %s by %s (line %d), want %s by %s", c->cite, grading_roman(r.grade),
                     d->type, d->line, grading_roman(c->want), c->type);
        /* The deciding row is the grade's own and the only one met: at an upper bound the
         * lower grade's row (以下不含本数) is not met too (30 deaths meets I, not also II). */
        assert_int_equal(d->grade, r.grade);
        if (r.n_met != 1 || r.met[0] != r.decided_by)
            fail_msg("%s: %zu criteria met, want only the deciding one", c->cite, r.n_met);
        /* Every other fact is unknown and listed so. */
        assert_int_equal(r.n_unknown, GF_COUNT - 1);
        assert_false(r.unverified); /* every row of the 2014 table is verified */
    }
}

/* ---- nothing known, several facts, the catch-all ---- */

static void test_nothing_known_is_iv(void **state)
{
    (void)state;
    /* 附件1 一般(6) "对环境造成一定影响，尚未达到较大突发环境事件级别的": an incident with no
     * facts yet is IV, decided by the catch-all, every fact listed unknown. */
    grading_facts f;
    memset(&f, 0, sizeof f);
    grading_result r;
    assert_int_equal(grading_grade(g_t, &f, &r), 0);
    assert_int_equal(r.grade, GRADE_IV);
    assert_int_equal(r.decided_by, g_t->catch_all);
    assert_int_equal(r.n_met, 1);
    assert_int_equal(r.n_unknown, GF_COUNT);
    char cite[600];
    grading_cite(g_t, r.decided_by, cite, sizeof cite);
    assert_non_null(strstr(cite, "附件1 一般(IV) catch_all: 对环境造成一定影响"));
}

static void test_highest_grade_wins(void **state)
{
    (void)state;
    /* 2 deaths (一般(1)), 12000 evacuated (重大(2)), cross-prefecture (较大(7)): II, decided by
     * evacuated; all three criteria listed, highest grade first; the catch-all is not. */
    grading_facts f;
    memset(&f, 0, sizeof f);
    f.known[GF_DEATHS] = 1;
    f.num[GF_DEATHS] = 2;
    f.known[GF_EVACUATED] = 1;
    f.num[GF_EVACUATED] = 12000;
    f.known[GF_CROSS] = 1;
    snprintf(f.cat[GF_CROSS], sizeof f.cat[GF_CROSS], "prefecture");
    grading_result r;
    assert_int_equal(grading_grade(g_t, &f, &r), 0);
    assert_int_equal(r.grade, GRADE_II);
    assert_string_equal(g_t->c[r.decided_by].type, "evacuated");
    assert_int_equal(r.n_met, 3);
    assert_int_equal(g_t->c[r.met[0]].grade, GRADE_II);
    assert_int_equal(g_t->c[r.met[1]].grade, GRADE_III);
    assert_string_equal(g_t->c[r.met[1]].type, "cross_boundary");
    assert_int_equal(g_t->c[r.met[2]].grade, GRADE_IV);
    assert_string_equal(g_t->c[r.met[2]].type, "deaths");
    assert_int_equal(r.n_unknown, GF_COUNT - 3);

    /* Two criteria of one grade (附件1 重大(1) 12 deaths, 60 poisoned): the first row of the
     * table decides (deaths), both are listed. */
    memset(&f, 0, sizeof f);
    f.known[GF_POISONED] = 1;
    f.num[GF_POISONED] = 60;
    f.known[GF_DEATHS] = 1;
    f.num[GF_DEATHS] = 12;
    assert_int_equal(grading_grade(g_t, &f, &r), 0);
    assert_int_equal(r.grade, GRADE_II);
    assert_string_equal(g_t->c[r.decided_by].type, "deaths");
    assert_int_equal(r.n_met, 2);
    assert_string_equal(g_t->c[r.met[1]].type, "poisoned_or_seriously_injured");
}

static void test_bad_facts(void **state)
{
    (void)state;
    char why[512];
    /* A keyword no row uses is refused, and the message lists those that exist. */
    assert_int_equal(grading_fact_check(g_t, GF_CROSS, 0, "planet", why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "cross_boundary 'planet' is not one of: none, national"));
    assert_int_equal(grading_fact_check(g_t, GF_CROSS, 0, "none", why, sizeof why), 0);
    assert_int_equal(grading_fact_check(g_t, GF_DRINKING, 0, "", why, sizeof why), HL_EINVAL);
    assert_int_equal(grading_fact_check(g_t, GF_LOSS, -1, NULL, why, sizeof why), HL_EINVAL);
    assert_non_null(strstr(why, "direct_economic_loss -1"));
    assert_int_equal(grading_fact_check(g_t, GF_LOSS, NAN, NULL, why, sizeof why), HL_EINVAL);
    assert_int_equal(grading_fact_check(g_t, GF_LOSS, GRADING_AMOUNT_MAX, NULL, why, sizeof why),
                     0);
    assert_int_equal(
        grading_fact_check(g_t, GF_LOSS, GRADING_AMOUNT_MAX * 10, NULL, why, sizeof why),
        HL_EINVAL);
    /* grading_grade refuses a malformed known fact too. */
    grading_facts f;
    memset(&f, 0, sizeof f);
    f.known[GF_RADIATION] = 1;
    snprintf(f.cat[GF_RADIATION], sizeof f.cat[GF_RADIATION], "glowing");
    grading_result r;
    assert_int_equal(grading_grade(g_t, &f, &r), HL_EINVAL);
}

static void test_names(void **state)
{
    (void)state;
    grade_level g;
    assert_int_equal(grading_parse("II", &g), 0);
    assert_int_equal(g, GRADE_II);
    assert_int_equal(grading_parse("特别重大", &g), 0);
    assert_int_equal(g, GRADE_I);
    assert_int_equal(grading_parse("V", &g), HL_EINVAL);
    assert_int_equal(grading_parse("", &g), HL_EINVAL);
    assert_string_equal(grading_name(GRADE_III), "较大");
    assert_string_equal(grading_roman(GRADE_IV), "IV");
    assert_true(GRADE_I > GRADE_II && GRADE_II > GRADE_III && GRADE_III > GRADE_IV);
}

/* ---- loader: broken tables name file:line: field ---- */

#define HDR                                                                                        \
    "level,roman,criterion_type,criterion_text_cn,lower_bound_inclusive,upper_bound_exclusive,"    \
    "unit,source,fact,match,verified\n"
#define CATCH "一般,IV,catch_all,x,,,,s,none,,yes\n"

typedef struct bad_table {
    const char *what;
    const char *csv;
    int rc;
    const char *err; /* expected in the message */
} bad_table;

static const bad_table bad_tables[] = {
    {"roman and level disagree", HDR "重大,III,deaths,x,3,10,人,s,deaths,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: level: '重大' is not 较大"},
    {"unknown roman", HDR "重大,V,deaths,x,3,10,人,s,deaths,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: roman: 'V' is not I, II, III or IV"},
    {"unknown fact", HDR "重大,II,deaths,x,10,30,人,s,dead,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: fact: 'dead' is not a fact"},
    {"bounds upside down", HDR "重大,II,deaths,x,30,10,人,s,deaths,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: upper_bound_exclusive: 10 is not above the lower bound 30"},
    {"not a number", HDR "重大,II,deaths,x,ten,30,人,s,deaths,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: lower_bound_inclusive: 'ten' is not a number"},
    {"numeric row without unit", HDR "重大,II,deaths,x,10,30,,s,deaths,,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: unit"},
    {"numeric row with keywords", HDR "重大,II,deaths,x,10,30,人,s,deaths,many,yes\n" CATCH,
     HL_EPARSE, "t.csv:2: match"},
    {"categorical row with bounds", HDR "重大,II,x,x,1,,,s,cross_boundary,province,yes\n" CATCH,
     HL_EPARSE, "t.csv:2: lower_bound_inclusive"},
    {"categorical row without keywords", HDR "重大,II,x,x,,,,s,cross_boundary,,yes\n" CATCH,
     HL_EPARSE, "t.csv:2: match"},
    {"keyword 'none'", HDR "重大,II,x,x,,,,s,cross_boundary,none,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: match: 'none'"},
    {"empty keyword", HDR "重大,II,x,x,,,,s,cross_boundary,a;;b,yes\n" CATCH, HL_EPARSE,
     "t.csv:2: match: keyword 2 is empty"},
    {"ranges overlap (II from 9 while III ends at 10)",
     HDR "重大,II,deaths,x,9,30,人,s,deaths,,yes\n较大,III,deaths,x,3,10,人,s,deaths,,yes\n" CATCH,
     HL_EPARSE, "t.csv:3: lower_bound_inclusive: deaths of grade III overlaps grade II (line 2)"},
    {"two rows of one fact for one grade",
     HDR "重大,II,deaths,x,10,20,人,s,deaths,,yes\n重大,II,deaths,x,20,30,人,s,deaths,,yes\n" CATCH,
     HL_EPARSE, "t.csv:3: fact: a second deaths row for grade II (line 2)"},
    {"one keyword, two grades",
     HDR "重大,II,x,x,,,,s,cross_boundary,province,yes\n较大,III,x,x,,,,s,cross_boundary,province,"
         "yes\n" CATCH,
     HL_EPARSE, "t.csv:3: match: 'province' already meets grade II on line 2"},
    {"no catch-all", HDR "重大,II,deaths,x,10,30,人,s,deaths,,yes\n", HL_EPARSE,
     "t.csv:1: fact: no catch-all row"},
    {"two catch-alls", HDR CATCH CATCH, HL_EPARSE, "t.csv:3: fact: a second catch-all row"},
    {"criterion_type over 63 bytes",
     HDR
     "重大,II,deaths_deaths_deaths_deaths_deaths_deaths_deaths_deaths_deaths_deaths,x,10,30,人,s,"
     "deaths,,yes\n" CATCH,
     HL_ETOOBIG, "t.csv:2: criterion_type: 69 bytes, at most 63"},
    {"verified maybe", HDR "一般,IV,catch_all,x,,,,s,none,,maybe\n", HL_EPARSE,
     "t.csv:2: verified: 'maybe' is not no or yes"},
    {"missing column", "level,roman\n一般,IV\n", HL_EPARSE,
     "t.csv:1: criterion_type: column missing"},
};

static void test_bad_tables(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_tables / sizeof bad_tables[0]; i++) {
        const bad_table *b = &bad_tables[i];
        refcsv *c = NULL;
        char err[512] = "";
        int rc = refcsv_load_mem("t.csv", b->csv, strlen(b->csv), &c, err, sizeof err);
        if (rc != 0)
            fail_msg("%s: the CSV itself did not parse: %s", b->what, err);
        grading_table *t = NULL;
        rc = grading_from_csv(c, &t, err, sizeof err);
        refcsv_destroy(&c);
        if (rc != b->rc || !strstr(err, b->err))
            fail_msg("%s: rc %d '%s', want %d '%s'", b->what, rc, err, b->rc, b->err);
        assert_null(t);
    }
}

static void test_limit_rows(void **state)
{
    (void)state;
    /* GRADING_MAX_CRITERIA rows load; one more is refused (the stated limit). */
    static char buf[64 * 1024];
    for (int extra = 0; extra <= 1; extra++) {
        size_t used = (size_t)snprintf(buf, sizeof buf, HDR CATCH);
        for (int i = 0; i < GRADING_MAX_CRITERIA - 1 + extra; i++)
            used += (size_t)snprintf(buf + used, sizeof buf - used,
                                     "一般,IV,radiation,x,,,,s,radiation,k%d,yes\n", i);
        refcsv *c = NULL;
        char err[512] = "";
        assert_int_equal(refcsv_load_mem("t.csv", buf, used, &c, err, sizeof err), 0);
        grading_table *t = NULL;
        int rc = grading_from_csv(c, &t, err, sizeof err);
        refcsv_destroy(&c);
        if (!extra) {
            assert_int_equal(rc, 0);
            assert_int_equal(t->n, GRADING_MAX_CRITERIA);
            grading_destroy(&t);
        } else {
            assert_int_equal(rc, HL_ETOOBIG);
            assert_non_null(strstr(err, "more than 64 criteria"));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_shape),         cmocka_unit_test(test_one_fact),
        cmocka_unit_test(test_nothing_known_is_iv), cmocka_unit_test(test_highest_grade_wins),
        cmocka_unit_test(test_bad_facts),           cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_tables),          cmocka_unit_test(test_limit_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
