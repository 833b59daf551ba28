/* risk_grade_test — the register graded by the reference tables (services/risk/risk_grade.h):
 * the shipped sources' HJ 941 and GB 18218 grades with their figures, mixtures by component
 * fraction (HJ 941) and whole (GB 18218), quantities in kg or t, the checks that the register
 * agrees with the tables (errors "file:line: field: what"), and the grades in the messages. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "risk_data.h"
#include "risk_grade.h"
#include "risk_msg.h"

static risk_tables tables;

static int setup(void **state)
{
    (void)state;
    char err[512];
    int rc = risk_tables_load(HL_TEST_SOURCE_DIR "/playbooks/reference", &tables, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    risk_tables_free(&tables);
    assert_null(tables.hj);
    return 0;
}

static risk_register *shipped(void)
{
    char err[512];
    risk_register *reg = NULL;
    int rc = risk_sources_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/risk_sources.yaml", &reg, err,
                               sizeof err);
    if (rc == 0 && (rc = risk_grade_bind(reg, &tables, err, sizeof err)) < 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    return reg;
}

static const risk_source *source(const risk_register *reg, const char *id)
{
    for (size_t i = 0; i < reg->nsources; i++)
        if (strcmp(reg->sources[i].id, id) == 0)
            return &reg->sources[i];
    fail_msg("no source %s", id);
    return NULL;
}

static void risk_grade_shipped(void **state)
{
    (void)state;
    risk_register *reg = shipped();
    /* Expected figures computed by hand from risk_sources.yaml (every quantity and input a
     * hazlink assumption) and the reference tables:
     * rs-dsz-petro  HJ 941 Q = 3000/10 + 2000/10 + 2000/10 + 300000/2500 + 50000/2500
     *                        = 300 + 200 + 200 + 120 + 20 = 840 (Q3);
     *               air M 30+15 = 45 (M3), E1 → E1-Q3-M3 重大; water M 30+20 = 50 (M3), E1 → 重大.
     *               GB 18218 S = 3000/50 (表1 57) + 2000/500 (表1 64) + 2000/5000 (表2 W5.4)
     *                        + 300000/1000 (表2 W5.3) + 50000/200 (表1 66) = 614.4; β 1 each;
     *               500 people → α 2.0; R = 1228.8 → 一级.
     * rs-kd-etdz    HJ 941 Q = 5000/10 + 500/10 + 200/5 = 590 (Q3); air 20+15 = 35 (M2), E2 →
     *               E2-Q3-M2 重大; water 40 (M2), E1 → 重大. GB S = 10 + 10 + 20 = 40;
     *               R = 1.5 (60 people) × (10 + 10 + 2×20 (表3 氨 β=2)) = 90 → 二级.
     * rs-hyh-etdz   HJ 941 Q = 300 + 100 + 20 = 420 (Q3); air 15+10 = 25 (M2), E3 → E3-Q3-M2
     *               较大; water 30 (M2), E2 → E2-Q3-M2 重大: the enterprise takes the higher,
     *               重大. GB S = 6 + 50 + 4 = 60; R = 1.0 (20 people) × (6 + 100 + 4) = 110 → 一级.
     */
    static const struct {
        const char *id;
        double q, s, r;
        const char *label;
        int grade;
        double alpha;
    } cases[] = {
        {"rs-dsz-petro", 840, 614.4, 1228.8, "重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)]", 1, 2.0},
        {"rs-kd-etdz", 590, 40, 90, "重大[重大-大气(Q3-M2-E2)+重大-水(Q3-M2-E1)]", 2, 1.5},
        {"rs-hyh-etdz", 420, 60, 110, "重大[较大-大气(Q3-M2-E3)+重大-水(Q3-M2-E2)]", 1, 1.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const risk_source *s = source(reg, cases[i].id);
        const risk_grades *g = &s->grades;
        assert_true(g->done);
        assert_float_equal(g->hj.q, cases[i].q, 1e-9);
        assert_int_equal(g->hj.q_band, 3);
        if (strcmp(g->hj.label, cases[i].label) != 0)
            fprintf(stderr, "%s: '%s'\n", cases[i].id, g->hj.label);
        assert_string_equal(g->hj.label, cases[i].label);
        assert_int_equal(g->hj.level, HJ941_MAJOR);
        assert_true(g->hj.unverified);
        assert_non_null(strstr(g->hj_note, "One Q serves both media"));
        assert_non_null(strstr(g->hj_note, "hazlink assumptions"));
        assert_float_equal(g->gb.s, cases[i].s, 1e-9);
        assert_true(g->gb.major);
        assert_true(g->gb.graded);
        assert_float_equal(g->gb.alpha, cases[i].alpha, 0);
        assert_float_equal(g->gb.r, cases[i].r, 1e-9);
        assert_int_equal(g->gb.grade, cases[i].grade);
        assert_false(g->gb.depends_on_disputed);
        assert_non_null(strstr(g->gb_note, "one unit"));
        assert_non_null(strstr(g->gb_note, "people within 500 m is a hazlink assumption"));
    }
    /* Terms name their substance; 二甲苯 takes 表2 W5.4 (not in 表1). */
    const risk_source *p = source(reg, "rs-dsz-petro");
    assert_int_equal(p->grades.gb.nterms, 5);
    assert_string_equal(p->grades.gb_names[2], "二甲苯");
    assert_int_equal(p->grades.gb.terms[2].q_t1, -1);
    assert_string_equal(tables.gb->classes[p->grades.gb.terms[2].q_class].symbol, "W5.4");
    assert_string_equal(p->grades.hj_names[3], "原油");
    assert_false(p->grades.hj.terms[3].unverified); /* 油类物质 2500 t is source-backed */
    /* The parks are graded as if they were enterprises, and say so. */
    assert_non_null(strstr(source(reg, "rs-kd-etdz")->grades.hj_note, "chemical park"));
    assert_null(strstr(p->grades.hj_note, "chemical park"));
    free(reg);
}

/* A register text with one source whose substances list is `holdings` and whose extra
 * source keys are `extra`; the substance table is `table` (or a default one). */
static int grade_text(const char *table, const char *holdings, const char *extra,
                      risk_register **out, char *err, size_t errlen)
{
    static const char def_table[] =
        "  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
        "false, classes: [W5.3]}, hj941: {critical_quantity_t: 10, unverified: true}}\n"
        "  - {name: 甲苯, cas: 108-88-3, gb18218: {row: 64, critical_quantity_t: 500, "
        "unverified: false, classes: [W5.3]}, hj941: {critical_quantity_t: 10, unverified: "
        "true}}\n"
        "  - {name: 某J2物质, gb18218: {classes: [J2]}}\n"
        "  - {name: 氢氧化钠, cas: 1310-73-2, gb18218: {classes: []}}\n";
    char buf[8192];
    snprintf(buf, sizeof buf,
             "substances:\n%s"
             "sources:\n"
             "  - id: rs-a\n"
             "    name: A\n"
             "    kind: enterprise\n"
             "    jurisdiction: local\n"
             "    unit: dsz-petro-ert\n"
             "    outfall_chainage_km: 22\n"
             "    location_note: none found\n"
             "%s"
             "    substances:\n%s",
             table ? table : def_table, extra ? extra : "    note: x\n", holdings);
    hl_yaml_doc *doc = NULL;
    risk_register *reg = NULL;
    *out = NULL;
    int rc = hl_yaml_load_mem("r.yaml", buf, strlen(buf), &doc, err, errlen);
    if (rc == 0)
        rc = risk_sources_parse(doc, &reg, err, errlen);
    if (rc == 0)
        rc = risk_grade_bind(reg, &tables, err, errlen);
    hl_yaml_free(&doc);
    if (rc < 0) {
        if (reg)
            for (size_t i = 0; i < reg->nsources; i++)
                assert_false(reg->sources[i].grades.done);
        free(reg);
        return rc;
    }
    *out = reg;
    return 0;
}

static void risk_grade_mixtures_and_units(void **state)
{
    (void)state;
    char err[512];
    risk_register *reg = NULL;
    /* 混合芳烃 100 t: 30 % 苯, 70 % 甲苯, with 苯's hazard class; plus 10 t of 苯 alone,
     * 2000 kg of 甲苯 and 0.5 t of sodium hydroxide (no GB 18218 class).
     *  HJ 941-2018 §7.1 (by component fraction): 苯 10 + 30 = 40 t → 4; 甲苯 2 + 70 = 72 t →
     *  7.2; Q = 11.2 (Q2). 氢氧化钠 is not in 附录A as transcribed: not counted.
     *  GB 18218-2018 (a mixture with its pure substance's class counts whole as it): 苯 10 +
     *  100 = 110 t / 50 t = 2.2; 甲苯 2 t / 500 t = 0.004; S = 2.204 (major). */
    static const char holdings[] = "      - {name: 苯, max_quantity_t: 10}\n"
                                   "      - {name: 甲苯, max_quantity: 2000, unit: kg}\n"
                                   "      - {name: 氢氧化钠, max_quantity: 0.5, unit: t}\n"
                                   "      - mixture: 混合芳烃\n"
                                   "        max_quantity: 100\n"
                                   "        unit: t\n"
                                   "        components: [{name: 苯, fraction: 0.3}, {name: 甲苯, "
                                   "fraction: 0.7}]\n"
                                   "        gb18218: {as: 苯}\n";
    int rc = grade_text(NULL, holdings, NULL, &reg, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    const risk_grades *g = &reg->sources[0].grades;
    assert_float_equal(reg->sources[0].holdings[1].max_quantity_t, 2, 1e-12); /* 2000 kg */
    assert_int_equal(g->hj.nterms, 3);
    assert_string_equal(g->hj_names[0], "苯");
    assert_float_equal(g->hj.terms[0].q_t, 40, 1e-9);
    assert_float_equal(g->hj.terms[1].q_t, 72, 1e-9);
    assert_float_equal(g->hj.terms[2].ratio, 0, 0);
    assert_float_equal(g->hj.q, 11.2, 1e-9);
    assert_int_equal(g->hj.q_band, 2);
    assert_non_null(strstr(g->hj_note, "氢氧化钠 is not in HJ 941-2018 附录A"));
    assert_non_null(strstr(g->hj_note, "M and E are not assessed"));
    assert_int_equal(g->hj.level, HJ941_LEVEL_NONE); /* Q ≥ 1 and no M, E */
    assert_int_equal(g->gb.nterms, 2);
    assert_float_equal(g->gb.terms[0].q_t, 110, 1e-9);
    assert_float_equal(g->gb.s, 2.204, 1e-9);
    assert_true(g->gb.major);
    assert_false(g->gb.graded); /* no people_500m */
    assert_non_null(strstr(g->gb_note, "氢氧化钠 has no GB 18218 hazard class"));
    assert_non_null(strstr(g->gb_note, "people within 500 m are not given"));
    /* Upstream: the source holds 甲苯 alone and in the mixture. */
    assert_true(risk_source_holds(reg, &reg->sources[0], "甲苯"));
    free(reg);

    /* A mixture with its own class (表2 W5.3 1000 t), counted whole under that class; its
     * components still count by fraction for HJ 941. 0 people → α 0.5. 50 % J2 substance:
     * GB 18218 does not count it separately. S = 2000/1000 = 2, R = 0.5 × 1 × 2 = 1 → 四级. */
    static const char own[] = "      - mixture: 溶剂油\n"
                              "        max_quantity_t: 2000\n"
                              "        components: [{name: 甲苯, fraction: 0.5}, {name: 某J2物质, "
                              "fraction: 0.5}]\n"
                              "        gb18218: {classes: [W5.3]}\n";
    rc = grade_text(NULL, own, "    gb18218: {assumed: false, people_500m: 0}\n", &reg, err,
                    sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    g = &reg->sources[0].grades;
    assert_int_equal(g->gb.nterms, 1);
    assert_string_equal(g->gb_names[0], "溶剂油");
    assert_float_equal(g->gb.s, 2, 1e-12);
    assert_int_equal(g->gb.grade, 4);
    assert_null(strstr(g->gb_note, "hazlink assumption"));
    assert_float_equal(g->hj.q, 100, 1e-9); /* 甲苯 1000 t / 10 t; 某J2物质 not in 附录A */
    free(reg);

    /* The J2 substance held alone: R = 0.5 × β × 500/50; β 2 or 1 (disputed) → 三级 or 四级,
     * and the note says the grade depends on it. */
    rc = grade_text(NULL, "      - {name: 某J2物质, max_quantity_t: 500}\n",
                    "    gb18218: {assumed: true, people_500m: 0}\n", &reg, err, sizeof err);
    assert_int_equal(rc, 0);
    g = &reg->sources[0].grades;
    assert_true(g->gb.depends_on_disputed);
    assert_int_equal(g->gb.grade, 3);
    assert_int_equal(g->gb.grade_alt, 4);
    assert_non_null(strstr(g->gb_note, "depends on a disputed β"));
    assert_non_null(strstr(g->gb_note, "三级 with the higher value (R 10)"));
    assert_non_null(strstr(g->gb_note, "四级 with the lower (R 5)"));
    free(reg);
}

static void risk_grade_errors(void **state)
{
    (void)state;
    static const char one_benzene[] = "      - {name: 苯, max_quantity_t: 10}\n";
    static const struct {
        const char *table, *holdings, *extra;
        int rc;
        const char *where, *what;
    } cases[] = {
        /* quantities */
        {NULL, "      - {name: 苯, max_quantity: 10, unit: L}\n", NULL, HL_EUNIT,
         "r.yaml:16:", "unit: 'L' is not kg or t"},
        {NULL, "      - {name: 苯, max_quantity: 10}\n", NULL, HL_EPARSE,
         "r.yaml:16:", "unit: missing"},
        {NULL, "      - {name: 苯, max_quantity: 10, unit: t, max_quantity_t: 10}\n", NULL,
         HL_EPARSE, "r.yaml:16:", "one of them"},
        {NULL, "      - {name: 苯, max_quantity: -4, unit: kg}\n", NULL, HL_EINVAL,
         "r.yaml:16:", "max_quantity: -4 is outside"},
        /* mixtures */
        {NULL,
         "      - {mixture: M, max_quantity_t: 1, components: [{name: 苯, fraction: 0.6}, {name: "
         "甲苯, fraction: 0.6}], gb18218: {as: 苯}}\n",
         NULL, HL_EINVAL, "r.yaml:16:", "mass fractions add up to 1.2"},
        {NULL,
         "      - {mixture: M, max_quantity_t: 1, components: [{name: 苯, fraction: 0.5}], "
         "gb18218: {as: 甲苯}}\n",
         NULL, HL_EPARSE, "r.yaml:16:", "as: '甲苯' is not a component of mixture 'M'"},
        {NULL, "      - {mixture: M, max_quantity_t: 1, components: [{name: 苯, fraction: 0.5}]}\n",
         NULL, HL_EPARSE, "r.yaml:16:", "gb18218: missing (mixture 'M'"},
        {NULL,
         "      - {mixture: M, max_quantity_t: 1, components: [{name: 苯, fraction: 0}], "
         "gb18218: {as: 苯}}\n",
         NULL, HL_EINVAL, "r.yaml:16:", "a component must be present"},
        {NULL, "      - {name: 苯, max_quantity_t: 1, components: []}\n", NULL, HL_EPARSE,
         "r.yaml:16:", "components: only a mixture has components"},
        {NULL, "      - {name: 苯, mixture: M, max_quantity_t: 1}\n", NULL, HL_EPARSE,
         "r.yaml:16:", "give name (one substance) or mixture"},
        {NULL,
         "      - {mixture: M, max_quantity_t: 1, components: [{name: 苯, fraction: 1}], "
         "gb18218: {classes: [W9.9]}}\n",
         NULL, HL_EPARSE, "r.yaml:16:", "'W9.9' is not a GB 18218-2018 表2 class"},
        /* the register disagrees with the tables */
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 40, unverified: "
         "false, classes: [W5.3]}}\n",
         one_benzene, NULL, HL_EPARSE,
         "r.yaml:2:", "gb18218.critical_quantity_t: 40 t, but GB 18218-2018 表1 序号57"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
         "true, classes: [W5.3]}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "gb18218.unverified: true, but"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 64, critical_quantity_t: 500, unverified: "
         "false, classes: [W5.3]}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "表1 序号64 ("},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {classes: [W5.3]}}\n", one_benzene, NULL, HL_EPARSE,
         "r.yaml:2:", "CAS 71-43-2 is GB 18218-2018 表1 序号57"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 99, critical_quantity_t: 50, unverified: "
         "false}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "序号99 is not in GB 18218-2018 表1"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
         "false}, hj941: {critical_quantity_t: 10, unverified: true}}\n",
         one_benzene, NULL, HL_EPARSE,
         "r.yaml:2:", "'苯' is not a 表3 toxic gas, so β needs its classes"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
         "false, classes: [W5.3]}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "hj941: '苯' is listed in HJ 941-2018 附录A"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
         "false, classes: [W5.3]}, hj941: {critical_quantity_t: 5, unverified: true}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "hj941.critical_quantity_t: 5 t, but"},
        {"  - {name: 苯, cas: 71-43-2, gb18218: {row: 57, critical_quantity_t: 50, unverified: "
         "false, classes: [W5.3]}, hj941: {name: 纯苯, critical_quantity_t: 10, unverified: "
         "true}}\n",
         one_benzene, NULL, HL_EPARSE, "r.yaml:2:", "'纯苯' is not a row of HJ 941-2018 附录A"},
        {"  - {name: 液氨, cas: 7664-41-7, gb18218: {row: 1, critical_quantity_t: 10, "
         "unverified: false}, hj941: {critical_quantity_t: 5, unverified: true}}\n",
         "      - {name: 液氨, max_quantity_t: 1}\n", NULL, HL_EPARSE,
         "r.yaml:2:", "CAS 7664-41-7 is on 2 rows of HJ 941-2018 附录A"},
        {"  - {name: 苯, hj941: {critical_quantity_t: 10, unverified: true}}\n", one_benzene, NULL,
         HL_EPARSE, "r.yaml:16:", "substance '苯' (line 2) held by rs-a has no gb18218 entry"},
        {"  - {name: X, gb18218: {critical_quantity_t: 5}}\n", NULL, NULL, HL_EPARSE,
         "r.yaml:2:", "critical_quantity_t and unverified go with a 表1 row"},
        {"  - {name: X, gb18218: {}}\n", NULL, NULL, HL_EPARSE,
         "r.yaml:2:", "give row (表1) or classes"},
        /* source inputs */
        {NULL, one_benzene,
         "    hj941: {assumed: true, process_score: 31, air: {control_score: 1, e: E1}, water: "
         "{control_score: 1, e: E1}}\n",
         HL_EINVAL, "r.yaml:14:", "process_score: 31 is outside"},
        {NULL, one_benzene,
         "    hj941: {assumed: true, process_score: 3, air: {control_score: 1, e: E4}, water: "
         "{control_score: 1, e: E1}}\n",
         HL_EPARSE, "r.yaml:14:", "e: 'E4' is not E1, E2 or E3"},
        {NULL, one_benzene,
         "    hj941: {assumed: true, process_score: 3, air: {control_score: 1, e: E1}}\n",
         HL_EPARSE, "r.yaml:14:", "water: missing"},
        {NULL, one_benzene, "    gb18218: {assumed: true, people_500m: -1}\n", HL_EINVAL,
         "r.yaml:14:", "people_500m: -1 is outside"},
        {NULL, one_benzene, "    gb18218: {people_500m: 10}\n", HL_EPARSE, "r.yaml:14:", "assumed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[768] = "";
        risk_register *reg = NULL;
        /* Cases with their own table add a padding line per missing default row so that the
         * source's lines stay where the expectations say (14: extra, 16: holdings). */
        char table[2048];
        if (cases[i].table)
            snprintf(table, sizeof table,
                     "%s  - {name: pad1}\n  - {name: pad2}\n  - {name: pad3}\n", cases[i].table);
        int rc = grade_text(cases[i].table ? table : NULL,
                            cases[i].holdings ? cases[i].holdings : one_benzene, cases[i].extra,
                            &reg, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].where) || !strstr(err, cases[i].what))
            fprintf(stderr, "case %zu: rc %d err '%s'\n", i, rc, err);
        assert_int_equal(rc, cases[i].rc);
        assert_null(reg);
        assert_non_null(strstr(err, cases[i].where));
        assert_non_null(strstr(err, cases[i].what));
    }
}

static void risk_grade_limits(void **state)
{
    (void)state;
    /* RISK_SOURCE_TERMS_MAX distinct substances per source: 32 pass, 33 are refused. */
    char table[16384], holdings[8192];
    for (int n = RISK_SOURCE_TERMS_MAX; n <= RISK_SOURCE_TERMS_MAX + 1; n++) {
        size_t lt = 0, lh = 0;
        lt += (size_t)snprintf(table + lt, sizeof table - lt,
                               "  - {name: M, gb18218: {classes: [W5.3]}}\n  - {name: pad2}\n  "
                               "- {name: pad3}\n  - {name: pad4}\n");
        for (int i = 0; i < n; i++)
            lt += (size_t)snprintf(table + lt, sizeof table - lt,
                                   "  - {name: s%d, gb18218: {classes: [W5.3]}}\n", i);
        /* 31 holdings of one substance each (the holding limit is 32) plus a mixture of the
         * rest. */
        int alone = n - 2;
        for (int i = 0; i < alone; i++)
            lh += (size_t)snprintf(holdings + lh, sizeof holdings - lh,
                                   "      - {name: s%d, max_quantity_t: 1}\n", i);
        lh += (size_t)snprintf(holdings + lh, sizeof holdings - lh,
                               "      - {mixture: mx, max_quantity_t: 1, gb18218: {as: s%d}, "
                               "components: [",
                               alone);
        for (int i = alone; i < n; i++)
            lh += (size_t)snprintf(holdings + lh, sizeof holdings - lh,
                                   "%s{name: s%d, fraction: 0.5}", i > alone ? ", " : "", i);
        snprintf(holdings + lh, sizeof holdings - lh, "]}\n");
        char err[768] = "";
        risk_register *reg = NULL;
        int rc = grade_text(table, holdings, NULL, &reg, err, sizeof err);
        if (n == RISK_SOURCE_TERMS_MAX) {
            if (rc < 0)
                fprintf(stderr, "%s\n", err);
            assert_int_equal(rc, 0);
            assert_int_equal(reg->sources[0].grades.hj.nterms, RISK_SOURCE_TERMS_MAX);
        } else {
            assert_int_equal(rc, HL_ETOOBIG);
            assert_non_null(strstr(err, "more than 32 distinct substances"));
        }
        free(reg);
    }
}

static void risk_grade_messages(void **state)
{
    (void)state;
    risk_register *reg = shipped();
    size_t idx[] = {2, 0};
    risk_msg_list m;
    assert_int_equal(risk_msg_list_build(reg, &tables, idx, 2, -1, 0, 1 << 20, &m), 0);
    assert_int_equal(m.list.n_sources, 2);
    const Hl__RiskSource *hyh = m.list.sources[0], *petro = m.list.sources[1];
    /* HJ 941 for rs-hyh-etdz: the enterprise level is the higher of air (较大) and water (重大). */
    const Hl__Hj941Result *h = hyh->hj941;
    assert_non_null(h);
    assert_true(h->graded);
    assert_string_equal(h->q_band, "Q3");
    assert_string_equal(h->level, "重大");
    assert_string_equal(h->air->level, "较大");
    assert_string_equal(h->air->label, "较大-大气(Q3-M2-E3)");
    assert_string_equal(h->water->label, "重大-水(Q3-M2-E2)");
    assert_string_equal(h->water->m_band, "M2");
    assert_string_equal(h->water->e, "E2");
    assert_string_equal(h->label, "重大[较大-大气(Q3-M2-E3)+重大-水(Q3-M2-E2)]");
    assert_true(h->unverified);
    assert_true(h->inputs_assumed);
    assert_non_null(strstr(h->water->ref, "E2-Q3-M2 → 重大 (hj941_2018_risk_level_matrix.csv:"));
    assert_non_null(strstr(h->water->ref, "[unverified]"));
    assert_non_null(strstr(h->water->ref, "M 30 = 15 + 15 → M2"));
    assert_int_equal(h->n_terms, 3);
    assert_string_equal(h->terms[0]->substance, "甲醇");
    assert_float_equal(h->terms[0]->ratio, 300, 1e-9);
    assert_non_null(strstr(h->terms[0]->ref, "HJ 941-2018 附录A 甲醇 10 t"));
    assert_non_null(strstr(h->terms[0]->ref, "[unverified]"));
    /* GB 18218 for rs-hyh-etdz: 氨's β from 表3. */
    const Hl__Gb18218Result *g = hyh->gb18218;
    assert_non_null(g);
    assert_true(g->major);
    assert_true(g->graded);
    assert_int_equal(g->grade, 1);
    assert_string_equal(g->grade_name, "一级");
    assert_float_equal(g->r, 110, 1e-9);
    assert_float_equal(g->people, 20, 0);
    assert_non_null(strstr(g->alpha_ref, "GB 18218-2018 表5 1~29人 α=1"));
    assert_string_equal(g->terms[1]->substance, "氨");
    assert_non_null(strstr(g->terms[1]->q_ref, "GB 18218-2018 表1 序号1 氨 10 t"));
    assert_non_null(strstr(g->terms[1]->beta_ref, "GB 18218-2018 表3 氨 β=2"));
    assert_true(g->inputs_assumed);
    assert_non_null(strstr(g->note, "one unit"));
    /* rs-dsz-petro: 二甲苯 from 表2 W5.4; 苯 from 表1 序号57 and 表4 W5.3. */
    const Hl__Gb18218Result *pg = petro->gb18218;
    assert_non_null(strstr(pg->terms[2]->q_ref, "GB 18218-2018 表2 W5.4 5000 t"));
    assert_non_null(strstr(pg->terms[0]->q_ref, "表1 序号57 苯 50 t"));
    assert_non_null(strstr(pg->terms[0]->beta_ref, "表4 W5.3 β=1"));
    assert_null(strstr(pg->terms[0]->q_ref, "[unverified]"));
    /* It packs and unpacks. */
    size_t len = protobuf_c_message_get_packed_size(&m.list.base);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    protobuf_c_message_pack(&m.list.base, buf);
    Hl__RiskSourceList *back = hl__risk_source_list__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_string_equal(back->sources[1]->hj941->label,
                        "重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)]");
    hl__risk_source_list__free_unpacked(back, NULL);
    free(buf);
    risk_msg_list_free(&m);
    /* Without tables: no grades. */
    assert_int_equal(risk_msg_list_build(reg, NULL, idx, 1, -1, 0, 1 << 20, &m), 0);
    assert_null(m.list.sources[0]->hj941);
    assert_null(m.list.sources[0]->gb18218);
    risk_msg_list_free(&m);
    free(reg);

    /* A mixture goes out with its components; the disputed J2 β is cited as such. */
    char err[512];
    static const char holdings[] = "      - {name: 某J2物质, max_quantity_t: 500}\n"
                                   "      - mixture: 混合芳烃\n"
                                   "        max_quantity_t: 100\n"
                                   "        components: [{name: 苯, fraction: 0.3}, {name: 甲苯, "
                                   "fraction: 0.7}]\n"
                                   "        gb18218: {as: 苯}\n";
    assert_int_equal(grade_text(NULL, holdings, "    gb18218: {assumed: true, people_500m: 0}\n",
                                &reg, err, sizeof err),
                     0);
    size_t zero = 0;
    assert_int_equal(risk_msg_list_build(reg, &tables, &zero, 1, -1, 0, 1 << 20, &m), 0);
    const Hl__RiskSource *a = m.list.sources[0];
    assert_true(a->substances[1]->mixture);
    assert_string_equal(a->substances[1]->name, "混合芳烃");
    assert_int_equal(a->substances[1]->n_components, 2);
    assert_string_equal(a->substances[1]->components[1]->name, "甲苯");
    assert_float_equal(a->substances[1]->components[1]->fraction, 0.7, 0);
    assert_true(a->gb18218->depends_on_disputed);
    assert_int_equal(a->gb18218->grade_alt, 4);
    assert_non_null(strstr(a->gb18218->terms[0]->beta_ref,
                           "表4 J2 β=2 (disputed: the sources give 1 and 2; R also with β=1)"));
    assert_true(a->gb18218->terms[0]->beta_disputed);
    risk_msg_list_free(&m);
    free(reg);

    char field[RISK_FIELD_MAX], why[RISK_WHY_MAX];
    Hl__RiskGradeQuery q = HL__RISK_GRADE_QUERY__INIT;
    q.source_id = "rs-dsz-petro";
    assert_int_equal(risk_msg_check_grade(&q, field, why), 0);
    q.source_id = "rs dsz";
    assert_int_equal(risk_msg_check_grade(&q, field, why), HL_EINVAL);
    assert_string_equal(field, "grade.source_id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_grade_shipped),  cmocka_unit_test(risk_grade_mixtures_and_units),
        cmocka_unit_test(risk_grade_errors),   cmocka_unit_test(risk_grade_limits),
        cmocka_unit_test(risk_grade_messages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
