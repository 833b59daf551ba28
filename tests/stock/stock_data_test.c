/* stock_data_test — materials.yaml and depots.yaml loaders (services/stock/stock_data.h):
 * the shipped files load with the values the reference gives, and bad files are refused
 * with "file:line: field: what". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "reserve.h"
#include "stock_data.h"

static stock_catalogue cat;

static int load_catalogue(void **state)
{
    (void)state;
    char err[512];
    int rc = stock_materials_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/materials.yaml", &cat, err,
                                  sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    return rc;
}

static void stock_data_materials_shipped(void **state)
{
    (void)state;
    static const char *const ids[] = {
        "sandbag",     "activated-carbon", "boom",         "absorbent-pad",   "pump",
        "geomembrane", "tanker",           "sampling-kit", "protective-suit", "portable-analyzer"};
    /* Catalogue rows marked [unverified] in the reference (emergency_materials.csv): 卸载泵/
     * 潜水泵/抽水泵 ("pumps [unverified]"), 土工布/防渗膜, 槽罐车/吸污车, 采样器具,
     * 便携式多参数水质分析仪. */
    static const int unverified[] = {0, 0, 0, 0, 1, 1, 1, 1, 0, 1};
    assert_int_equal(cat.n, 10);
    for (size_t i = 0; i < 10; i++) {
        assert_string_equal(cat.items[i].id, ids[i]);
        assert_int_equal(cat.items[i].unverified, unverified[i]);
        assert_true(cat.items[i].catalogue[0] != '\0');
    }
    const stock_material *m = stock_catalogue_find(&cat, "activated-carbon");
    assert_non_null(m);
    assert_string_equal(m->unit, "t");
    assert_string_equal(m->unit_cn, "吨");
    assert_string_equal(m->category, "污染物降解");
    assert_true(stock_material_unit_ok(m, "t"));
    assert_true(stock_material_unit_ok(m, "吨"));
    assert_true(stock_material_unit_ok(m, ""));
    assert_false(stock_material_unit_ok(m, "kg"));
    assert_null(stock_catalogue_find(&cat, "sand-bag"));
}

static void stock_data_depots_shipped(void **state)
{
    (void)state;
    char err[512];
    stock_depots *ds = NULL;
    int rc = stock_depots_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun/depots.yaml", &cat, &ds, err,
                               sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(ds->n, 5);
    static const char *const ids[] = {"dp-xj7", "dp-reg130", "dp-kuitun", "dp-dsz-petro",
                                      "dp-wusu"};
    static const char *const jur[] = {"corps", "corps", "local", "enterprise", "local"};
    static const char *const owner[] = {"xj7-emb", "reg-130", "kt-eeb", "dsz-petro-ert", "ws-eeb"};
    /* Points from reference kuitun-places.csv (胡杨河市, 兵团一三零团, 奎屯市, 独山子区 as
     * the Petrochemical proxy, 乌苏市). */
    static const double lat[] = {44.6925, 44.61565, 44.41963, 44.32637, 44.42923};
    static const double lon[] = {84.825, 84.87413, 84.90118, 84.87991, 84.67517};
    for (size_t i = 0; i < 5; i++) {
        const stock_depot *d = &ds->items[i];
        assert_string_equal(d->id, ids[i]);
        assert_string_equal(d->jurisdiction, jur[i]);
        assert_string_equal(d->owner_unit, owner[i]);
        assert_float_equal(d->lat, lat[i], 1e-9);
        assert_float_equal(d->lon, lon[i], 1e-9);
        assert_int_equal(d->quantity_assumed, 1);
        assert_true(d->nlevels >= 9);
        for (size_t j = 0; j < d->nlevels; j++)
            assert_float_equal(d->levels[j].reserved, 0, 0);
    }
    assert_string_equal(ds->items[0].confidence, "high");
    assert_string_equal(ds->items[1].confidence, "medium");
    assert_non_null(strstr(ds->items[2].confidence, "proxy"));
    assert_non_null(strstr(ds->items[3].confidence, "low"));
    assert_non_null(strstr(ds->items[3].confidence, "proxy"));

    /* A reservation on the shipped data, at the G30 Kuitun River bridge (44.38, 84.85 in
     * kuitun-places.csv). Hand-computed haversine distances: dp-kuitun 5.996 km (Δφ =
     * 0.03963°, Δλ = 0.05118°), dp-dsz-petro 6.420 km, dp-wusu 14.928 km, dp-reg130
     * 26.273 km, dp-xj7 34.805 km. 15000 sandbags: 10000 from dp-kuitun, then 5000 of the
     * 8000 at dp-dsz-petro. */
    stock_plan *p = stock_plan_new();
    stock_need n = {.material_id = "sandbag", .quantity = 15000};
    assert_int_equal(stock_reserve_plan(ds, 44.38, 84.85, &n, 1, p), 0);
    assert_int_equal(p->nlines, 2);
    assert_string_equal(p->lines[0].depot_id, "dp-kuitun");
    assert_float_equal(p->lines[0].quantity, 10000, 1e-9);
    assert_float_equal(p->lines[0].distance_km, 5.996, 1e-3);
    assert_string_equal(p->lines[1].depot_id, "dp-dsz-petro");
    assert_float_equal(p->lines[1].quantity, 5000, 1e-9);
    assert_float_equal(p->lines[1].distance_km, 6.420, 1e-3);
    assert_int_equal(p->nshort, 0);
    stock_plan_destroy(&p);
    free(ds);
}

/* A one-depot file whose line 8 is replaced by line8 (and line 9 appended when given). */
static int parse_depots(const char *line8, const char *line9, char *err, size_t errlen)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "depots:\n"                                                /* 1 */
             "  - id: dp-a\n"                                           /* 2 */
             "    name: A\n"                                            /* 3 */
             "    jurisdiction: corps\n"                                /* 4 */
             "    owner_unit: xj7-emb\n"                                /* 5 */
             "    location: {lat: 44.0, lon: 85.0, confidence: high}\n" /* 6 */
             "    stock:\n"                                             /* 7 */
             "%s\n%s",
             line8, line9 ? line9 : "");
    hl_yaml_doc *doc = NULL;
    int rc = hl_yaml_load_mem("depots.yaml", buf, strlen(buf), &doc, err, errlen);
    assert_int_equal(rc, 0);
    stock_depots *ds = NULL;
    rc = stock_depots_parse(doc, &cat, &ds, err, errlen);
    if (rc == 0) {
        assert_non_null(ds);
        assert_int_equal(ds->n, 1);
    } else {
        assert_null(ds);
    }
    free(ds);
    hl_yaml_free(&doc);
    return rc;
}

static void stock_data_depot_errors(void **state)
{
    (void)state;
    char err[512];
    static const struct {
        const char *line8, *line9;
        int rc;
        const char *where, *what;
    } cases[] = {
        {"      - {material: sandbag, on_hand: 10}", NULL, 0, NULL, NULL},
        /* wrong field type at a line */
        {"      - {material: sandbag, on_hand: [1, 2]}", NULL, HL_EPARSE,
         "depots.yaml:8:", "on_hand"},
        {"      - {material: sandbag, on_hand: ten}", NULL, HL_EPARSE,
         "depots.yaml:8:", "on_hand: 'ten' is not a number"},
        /* unknown key (a misspelling is not a missing quantity) */
        {"      - {material: sandbag, on_hnad: 10}", NULL, HL_EPARSE,
         "depots.yaml:8:", "on_hnad: unknown key"},
        /* unknown material id in a depot */
        {"      - {material: sand-bag, on_hand: 10}", NULL, HL_EPARSE,
         "depots.yaml:8:", "unknown material id 'sand-bag'"},
        /* negative quantity */
        {"      - {material: sandbag, on_hand: -5}", NULL, HL_EINVAL,
         "depots.yaml:8:", "on_hand: -5 is outside"},
        {"      - {material: sandbag, on_hand: 10}", "      - {material: sandbag, on_hand: 3}",
         HL_EPARSE, "depots.yaml:9:", "'sandbag' is listed twice in depot dp-a"},
        {"      - {material: sandbag}", NULL, HL_EPARSE, "depots.yaml:8:", "on_hand: missing"},
        {"    colour: red", NULL, HL_EPARSE, "depots.yaml:8:", "colour: unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        int rc = parse_depots(cases[i].line8, cases[i].line9, err, sizeof err);
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

static int parse_text(const char *name, const char *text, int materials, char *err, size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    assert_int_equal(hl_yaml_load_mem(name, text, strlen(text), &doc, err, errlen), 0);
    int rc;
    if (materials) {
        stock_catalogue c;
        rc = stock_materials_parse(doc, &c, err, errlen);
    } else {
        stock_depots *ds = NULL;
        rc = stock_depots_parse(doc, &cat, &ds, err, errlen);
        free(ds);
    }
    hl_yaml_free(&doc);
    return rc;
}

static void stock_data_other_errors(void **state)
{
    (void)state;
    char err[512];
    static const char m_ok[] = "materials:\n"
                               "  - {id: sandbag, name: 沙袋, unit: bag, unit_cn: 条, "
                               "category: c, catalogue: c, unverified: false}\n";
    assert_int_equal(parse_text("materials.yaml", m_ok, 1, err, sizeof err), 0);

    static const char m_dup[] = "materials:\n"
                                "  - {id: sandbag, name: 沙袋, unit: bag, unit_cn: 条, "
                                "category: c, catalogue: c, unverified: false}\n"
                                "  - {id: sandbag, name: 沙袋, unit: bag, unit_cn: 条, "
                                "category: c, catalogue: c, unverified: false}\n";
    assert_int_equal(parse_text("materials.yaml", m_dup, 1, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "materials.yaml:3:"));
    assert_non_null(strstr(err, "listed twice"));

    static const char m_flag[] = "materials:\n"
                                 "  - {id: sandbag, name: 沙袋, unit: bag, unit_cn: 条,\n"
                                 "     category: c, catalogue: c, unverified: maybe}\n";
    assert_int_equal(parse_text("materials.yaml", m_flag, 1, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "materials.yaml:3:"));
    assert_non_null(strstr(err, "unverified"));

    static const char m_id[] = "materials:\n"
                               "  - {id: 'sand bag', name: 沙袋, unit: bag, unit_cn: 条, "
                               "category: c, catalogue: c, unverified: false}\n";
    assert_int_equal(parse_text("materials.yaml", m_id, 1, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "materials.yaml:2: id:"));

    static const char empty[] = "materials: []\n";
    assert_int_equal(parse_text("materials.yaml", empty, 1, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "empty"));

    static const char top[] = "depot:\n  - id: dp-a\n";
    assert_int_equal(parse_text("depots.yaml", top, 0, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "depot: unknown key"));

    static const char jur[] = "depots:\n"
                              "  - id: dp-a\n"
                              "    name: A\n"
                              "    jurisdiction: county\n"
                              "    owner_unit: u\n"
                              "    location: {lat: 44, lon: 85, confidence: high}\n"
                              "    stock: []\n";
    assert_int_equal(parse_text("depots.yaml", jur, 0, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "depots.yaml:4: jurisdiction: 'county'"));

    static const char lat[] = "depots:\n"
                              "  - id: dp-a\n"
                              "    name: A\n"
                              "    jurisdiction: local\n"
                              "    owner_unit: u\n"
                              "    location:\n"
                              "      lat: 144\n"
                              "      lon: 85\n"
                              "      confidence: high\n"
                              "    stock: []\n";
    assert_int_equal(parse_text("depots.yaml", lat, 0, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "depots.yaml:7: lat: 144 is outside"));

    static const char noloc[] = "depots:\n"
                                "  - id: dp-a\n"
                                "    name: A\n"
                                "    jurisdiction: local\n"
                                "    owner_unit: u\n"
                                "    stock: []\n";
    assert_int_equal(parse_text("depots.yaml", noloc, 0, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "location: missing"));

    /* STOCK_DEPOTS_MAX: one more depot than allowed is refused as too big. */
    size_t cap = 64 * (STOCK_DEPOTS_MAX + 1) + 32;
    char *big = malloc(cap);
    assert_non_null(big);
    size_t off = (size_t)snprintf(big, cap, "depots:\n");
    for (int i = 0; i <= STOCK_DEPOTS_MAX; i++)
        off += (size_t)snprintf(big + off, cap - off, "  - {id: dp-%d}\n", i);
    assert_int_equal(parse_text("depots.yaml", big, 0, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "limit of 64"));
    free(big);

    /* A missing file names its path. */
    stock_catalogue c;
    assert_int_equal(stock_materials_load("/nonexistent/materials.yaml", &c, err, sizeof err),
                     HL_EIO);
    assert_non_null(strstr(err, "/nonexistent/materials.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_data_materials_shipped),
        cmocka_unit_test(stock_data_depots_shipped),
        cmocka_unit_test(stock_data_depot_errors),
        cmocka_unit_test(stock_data_other_errors),
    };
    return cmocka_run_group_tests(tests, load_catalogue, NULL);
}
