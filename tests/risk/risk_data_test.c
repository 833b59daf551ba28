/* risk_data_test — risk_sources.yaml (services/risk/risk_data.h) and the messages built from it
 * (risk_msg.h): the shipped register carries the reference values with their unverified
 * flags; bad files are refused with "file:line: field: what"; query checks name the field. */
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
#include "risk_msg.h"

static risk_register *shipped;

static int setup(void **state)
{
    (void)state;
    char err[512];
    int rc = risk_sources_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/risk_sources.yaml", &shipped,
                               err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    free(shipped);
    return 0;
}

static const risk_substance *subst(const char *key)
{
    int i = risk_substance_find(shipped, key);
    assert_true(i >= 0);
    return &shipped->substances[i];
}

static void risk_data_shipped_substances(void **state)
{
    (void)state;
    /* GB 18218-2018 表1 序号57 苯 50 t (row not flagged); HJ 941-2018 附录A 苯 10 t,
     * [unverified] in the reference. */
    const risk_substance *b = subst("苯");
    assert_string_equal(b->cas, "71-43-2");
    assert_true(b->gb18218_listed);
    assert_int_equal(b->gb18218_row, 57);
    assert_float_equal(b->gb18218_t, 50, 0);
    assert_false(b->gb18218_unverified);
    assert_true(b->hj941_listed);
    assert_float_equal(b->hj941_t, 10, 0);
    assert_true(b->hj941_unverified);
    /* GB 18218-2018 表1 序号64 甲苯 500 t; HJ 941 甲苯 10 t [unverified]. */
    const risk_substance *t = subst("108-88-3");
    assert_string_equal(t->name, "甲苯");
    assert_int_equal(t->gb18218_row, 64);
    assert_float_equal(t->gb18218_t, 500, 0);
    assert_float_equal(t->hj941_t, 10, 0);
    assert_true(t->hj941_unverified);
    /* 二甲苯 is not in GB 18218 table 1 as transcribed; HJ 941 二甲苯(混合) 10 t [unverified]. */
    const risk_substance *x = subst("二甲苯(混合)");
    assert_string_equal(x->name, "二甲苯");
    assert_false(x->gb18218_listed);
    assert_true(x->hj941_unverified);
    /* HJ 941 油类物质 2500 t, source-backed (HJ 169-2018 表B.1): not flagged. */
    const risk_substance *o = subst("石油类");
    assert_string_equal(o->name, "原油");
    assert_float_equal(o->hj941_t, 2500, 0);
    assert_false(o->hj941_unverified);
    assert_false(o->gb18218_listed);
}

static void risk_data_shipped_sources(void **state)
{
    (void)state;
    assert_int_equal(shipped->nsources, 3);
    static const char *const ids[] = {"rs-dsz-petro", "rs-kd-etdz", "rs-hyh-etdz"};
    static const double km[] = {22, 28, 75};
    static const char *const jur[] = {"local", "local", "corps"};
    for (size_t i = 0; i < 3; i++) {
        const risk_source *s = &shipped->sources[i];
        assert_string_equal(s->id, ids[i]);
        assert_float_equal(s->outfall_km, km[i], 0);
        assert_string_equal(s->jurisdiction, jur[i]);
        assert_true(s->assumption[0] != '\0');
        for (size_t j = 0; j < s->nholdings; j++)
            assert_true(s->holdings[j].max_quantity_assumed);
    }
    const risk_source *p = &shipped->sources[0];
    assert_string_equal(p->unit_id, "dsz-petro-ert");
    assert_string_equal(p->kind, "enterprise");
    /* No coordinates exist for the site: the district centre is a low-confidence proxy. */
    assert_true(p->has_location);
    assert_float_equal(p->lat, 44.32637, 1e-9);
    assert_non_null(strstr(p->confidence, "low"));
    assert_non_null(strstr(p->confidence, "proxy"));
    for (size_t i = 1; i < 3; i++) {
        assert_false(shipped->sources[i].has_location);
        assert_string_equal(shipped->sources[i].kind, "chemical_park");
        assert_non_null(strstr(shipped->sources[i].location_note, "No coordinates found"));
    }
    static const char *const petro[] = {"苯", "甲苯", "二甲苯", "原油"};
    for (size_t i = 0; i < 4; i++)
        assert_true(risk_source_holds(shipped, p, petro[i]));

    /* Benzene seen at 黄沟二库 (km 52): the park at km 28 is nearer than the refinery at km 22;
     * the corps park at km 75 is downstream and not named. */
    size_t idx[RISK_SOURCES_MAX], n;
    assert_int_equal(risk_upstream_find(shipped, 52, 0, "苯", idx, RISK_SOURCES_MAX, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(shipped->sources[idx[0]].id, "rs-kd-etdz");
    assert_string_equal(shipped->sources[idx[1]].id, "rs-dsz-petro");
}

static void risk_data_messages(void **state)
{
    (void)state;
    size_t idx[] = {1, 0};
    risk_msg_list m;
    assert_int_equal(risk_msg_list_build(shipped, NULL, idx, 2, 30, 0, 1 << 20, &m), 0);
    assert_int_equal(m.list.n_sources, 2);
    assert_false(m.list.truncated);
    const Hl__RiskSource *park = m.list.sources[0], *petro = m.list.sources[1];
    assert_string_equal(park->id, "rs-kd-etdz");
    assert_null(park->location);
    assert_non_null(strstr(park->location_note, "No coordinates found"));
    assert_float_equal(park->distance_km, 2, 1e-9);
    assert_float_equal(petro->distance_km, 8, 1e-9);
    assert_non_null(petro->location);
    assert_non_null(strstr(petro->location->confidence, "proxy"));
    const Hl__RiskSubstance *b = petro->substances[0];
    assert_string_equal(b->name, "苯");
    assert_float_equal(b->critical_quantity_t, 50, 0);
    assert_false(b->unverified);
    assert_string_equal(b->gb18218_ref, "GB 18218-2018 表1 序号57");
    assert_float_equal(b->hj941_critical_quantity_t, 10, 0);
    assert_true(b->hj941_unverified);
    assert_string_equal(b->hj941_ref, "HJ 941-2018 附录A");
    assert_true(b->max_quantity_assumed);
    const Hl__RiskSubstance *x = petro->substances[2];
    assert_string_equal(x->name, "二甲苯");
    assert_float_equal(x->critical_quantity_t, 0, 0);
    assert_string_equal(x->gb18218_ref, "");
    /* Packs; a byte budget too small for both keeps the first and says truncated. */
    size_t one = protobuf_c_message_get_packed_size(&park->base);
    risk_msg_list_free(&m);
    assert_int_equal(risk_msg_list_build(shipped, NULL, idx, 2, 30, 0, one + 20, &m), 0);
    assert_int_equal(m.list.n_sources, 1);
    assert_true(m.list.truncated);
    assert_true(protobuf_c_message_get_packed_size(&m.list.base) <= one + 20);
    risk_msg_list_free(&m);
    /* The list query form: no distance. */
    assert_int_equal(risk_msg_list_build(shipped, NULL, idx, 1, -1, 1, 1 << 20, &m), 0);
    assert_float_equal(m.list.sources[0]->distance_km, 0, 0);
    assert_true(m.list.truncated);
    risk_msg_list_free(&m);

    char field[RISK_FIELD_MAX], why[RISK_WHY_MAX];
    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    q.chainage_km = 52;
    assert_int_equal(risk_msg_check_upstream(&q, field, why), 0);
    q.chainage_km = -3;
    assert_int_equal(risk_msg_check_upstream(&q, field, why), HL_EINVAL);
    assert_string_equal(field, "upstream.chainage_km");
    q.chainage_km = 52;
    q.within_km = NAN;
    assert_int_equal(risk_msg_check_upstream(&q, field, why), HL_EINVAL);
    assert_string_equal(field, "upstream.within_km");
    q.within_km = 0;
    char name[HL_NAME_MAX + 2];
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    q.substance = name;
    assert_int_equal(risk_msg_check_upstream(&q, field, why), HL_ETOOBIG);
    assert_string_equal(field, "upstream.substance");
    name[HL_NAME_MAX] = '\0';
    assert_int_equal(risk_msg_check_upstream(&q, field, why), 0);
}

/* A one-source file whose line 14 is given. */
static int parse_with(const char *line11, const char *line14, char *err, size_t errlen)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "substances:\n"                                                        /* 1 */
             "  - name: 苯\n"                                                       /* 2 */
             "    cas: 71-43-2\n"                                                   /* 3 */
             "    gb18218: {row: 57, critical_quantity_t: 50, unverified: false}\n" /* 4 */
             "sources:\n"                                                           /* 5 */
             "  - id: rs-a\n"                                                       /* 6 */
             "    name: A\n"                                                        /* 7 */
             "    kind: enterprise\n"                                               /* 8 */
             "    jurisdiction: local\n"                                            /* 9 */
             "    unit: dsz-petro-ert\n"                                            /* 10 */
             "%s\n"                                                                 /* 11 */
             "    location_note: none found\n"                                      /* 12 */
             "    substances:\n"                                                    /* 13 */
             "%s\n",                                                                /* 14 */
             line11 ? line11 : "    outfall_chainage_km: 22", line14);
    hl_yaml_doc *doc = NULL;
    assert_int_equal(hl_yaml_load_mem("risk_sources.yaml", buf, strlen(buf), &doc, err, errlen), 0);
    risk_register *r = NULL;
    int rc = risk_sources_parse(doc, &r, err, errlen);
    if (rc == 0) {
        assert_int_equal(r->nsources, 1);
        assert_int_equal(r->sources[0].nholdings, 1);
    } else {
        assert_null(r);
    }
    free(r);
    hl_yaml_free(&doc);
    return rc;
}

static void risk_data_errors(void **state)
{
    (void)state;
    char err[512];
    static const struct {
        const char *line11, *line14;
        int rc;
        const char *where, *what;
    } cases[] = {
        {NULL, "      - {name: 苯, max_quantity_t: 10}", 0, NULL, NULL},
        {NULL, "      - {name: 71-43-2, max_quantity_t: 10}", 0, NULL, NULL},
        /* wrong field type at a line */
        {NULL, "      - {name: 苯, max_quantity_t: {t: 1}}", HL_EPARSE,
         "risk_sources.yaml:14:", "max_quantity_t: expected a single value"},
        {"    outfall_chainage_km: far", "      - {name: 苯, max_quantity_t: 1}", HL_EPARSE,
         "risk_sources.yaml:11:", "outfall_chainage_km: 'far' is not a number"},
        /* unknown key */
        {NULL, "      - {name: 苯, max_qty_t: 10}", HL_EPARSE,
         "risk_sources.yaml:14:", "max_qty_t: unknown key"},
        {"    outfall_km: 22", "      - {name: 苯, max_quantity_t: 1}", HL_EPARSE,
         "risk_sources.yaml:11:", "outfall_km: unknown key"},
        /* unknown substance: a critical quantity must never be invented */
        {NULL, "      - {name: 甲苯, max_quantity_t: 10}", HL_EPARSE,
         "risk_sources.yaml:14:", "substance '甲苯' of source rs-a is not in the substances table"},
        /* negative quantity, negative chainage */
        {NULL, "      - {name: 苯, max_quantity_t: -1}", HL_EINVAL,
         "risk_sources.yaml:14:", "max_quantity_t: -1 is outside"},
        {"    outfall_chainage_km: -2", "      - {name: 苯, max_quantity_t: 1}", HL_EINVAL,
         "risk_sources.yaml:11:", "outfall_chainage_km: -2 is outside"},
        {NULL, "      - {name: 苯, max_quantity_t: 1}\n      - {name: 71-43-2, max_quantity_t: 1}",
         HL_EPARSE, "risk_sources.yaml:15:", "listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc = parse_with(cases[i].line11, cases[i].line14, err, sizeof err);
        if (rc != cases[i].rc)
            fprintf(stderr, "case %zu: rc %d, err '%s'\n", i, rc, err);
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].where) {
            assert_non_null(strstr(err, cases[i].where));
            if (!strstr(err, cases[i].what))
                fprintf(stderr, "case %zu: err '%s'\n", i, err);
            assert_non_null(strstr(err, cases[i].what));
        }
    }
}

static int parse_text(const char *text, char *err, size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    assert_int_equal(hl_yaml_load_mem("r.yaml", text, strlen(text), &doc, err, errlen), 0);
    risk_register *r = NULL;
    int rc = risk_sources_parse(doc, &r, err, errlen);
    free(r);
    hl_yaml_free(&doc);
    return rc;
}

static void risk_data_other_errors(void **state)
{
    (void)state;
    char err[512];
    static const char alias_twice[] = "substances:\n"
                                      "  - {name: 苯, aliases: [纯苯]}\n"
                                      "  - {name: 甲苯, aliases: [纯苯]}\n"
                                      "sources: []\n";
    assert_int_equal(parse_text(alias_twice, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "r.yaml:3:"));
    assert_non_null(strstr(err, "'纯苯' already names another substance"));

    static const char no_loc[] = "substances:\n"
                                 "  - {name: 苯}\n"
                                 "sources:\n"
                                 "  - id: rs-a\n"
                                 "    name: A\n"
                                 "    kind: enterprise\n"
                                 "    jurisdiction: local\n"
                                 "    unit: u\n"
                                 "    outfall_chainage_km: 1\n"
                                 "    substances: [{name: 苯, max_quantity_t: 1}]\n";
    assert_int_equal(parse_text(no_loc, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "r.yaml:4: location_note: missing"));

    static const char kind[] = "substances:\n"
                               "  - {name: 苯}\n"
                               "sources:\n"
                               "  - id: rs-a\n"
                               "    name: A\n"
                               "    kind: factory\n";
    assert_int_equal(parse_text(kind, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "r.yaml:6: kind: 'factory'"));

    static const char flag[] = "substances:\n"
                               "  - name: 苯\n"
                               "    hj941: {critical_quantity_t: 10, unverified: perhaps}\n"
                               "sources: []\n";
    assert_int_equal(parse_text(flag, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "r.yaml:3: unverified"));

    /* RISK_ALIASES_MAX aliases pass, one more does not. */
    static const char aliases[] = "substances:\n"
                                  "  - {name: 苯, aliases: [a1, a2, a3, a4, a5, a6, a7, a8, a9]}\n"
                                  "sources: []\n";
    assert_int_equal(parse_text(aliases, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "limit of 8"));

    char path_err[512];
    risk_register *r = NULL;
    assert_int_equal(
        risk_sources_load("/nonexistent/risk_sources.yaml", &r, path_err, sizeof path_err), HL_EIO);
    assert_null(r);
    assert_non_null(strstr(path_err, "/nonexistent/risk_sources.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_data_shipped_substances), cmocka_unit_test(risk_data_shipped_sources),
        cmocka_unit_test(risk_data_messages),           cmocka_unit_test(risk_data_errors),
        cmocka_unit_test(risk_data_other_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
