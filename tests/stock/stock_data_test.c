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

#include "hazlink/hl_clock.h"
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
    /* Issue 4 additions, all hazlink assumptions stated in the file. */
    char when[40];
    assert_int_equal(hl_time_format(ds->as_of_ms, 480, when, sizeof when), 0);
    assert_string_equal(when, "2026-01-01T00:00:00+08:00");
    assert_float_equal(ds->detour_factor, 1.3, 0);
    assert_float_equal(ds->speed_kmh, 50, 0);
    assert_non_null(strstr(ds->road_note, "ASSUMPTION"));
    static const double dispatch[] = {60, 45, 30, 20, 40};
    for (size_t i = 0; i < 5; i++)
        assert_float_equal(ds->items[i].dispatch_min, dispatch[i], 0);
    const stock_level *carbon = stock_depot_level_c(&ds->items[0], "activated-carbon");
    assert_non_null(carbon);
    assert_float_equal(carbon->minimum, 10, 0);
    assert_float_equal(stock_depot_level_c(&ds->items[0], "pump")->minimum, 0, 0);
    /* 49 rows: 44 without lots (one "opening" lot each) and 5 carbon rows with 7 lots. */
    assert_int_equal(ds->nlots, 51);
    size_t carbon_lots = 0;
    double xj7_carbon = 0;
    for (size_t i = 0; i < ds->nlots; i++) {
        const stock_seed_lot *l = &ds->lots[i];
        const stock_level *lv = &ds->items[l->depot].levels[l->level];
        if (strcmp(lv->material_id, "activated-carbon") == 0) {
            carbon_lots++;
            assert_true(l->expiry_ms > ds->as_of_ms);
            if (l->depot == 0)
                xj7_carbon += l->quantity;
        } else {
            assert_string_equal(l->lot_id, "opening");
            assert_int_equal(l->expiry_ms, 0);
            assert_float_equal(l->quantity, lv->on_hand, 0);
        }
    }
    assert_int_equal(carbon_lots, 7);
    assert_float_equal(xj7_carbon, 50, 0);

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

/* The top-level keys beside depots, appended after the depot so line numbers hold. */
#define TOP_OK                                                                                     \
    "as_of: 2026-01-01T00:00:00+08:00\n"                                                           \
    "road: {detour_factor: 1.3, speed_kmh: 50, note: assumed}\n"

/* A one-depot file whose line 9 is line9 (and line 10 line10 when given), then tail (the
 * top-level keys; NULL = TOP_OK). */
static int parse_depots_tail(const char *line9, const char *line10, const char *tail, char *err,
                             size_t errlen)
{
    size_t cap = 1024 + strlen(line9) + (line10 ? strlen(line10) : 0) + (tail ? strlen(tail) : 0);
    char *buf = malloc(cap);
    assert_non_null(buf);
    snprintf(buf, cap,
             "depots:\n"                                                /* 1 */
             "  - id: dp-a\n"                                           /* 2 */
             "    name: A\n"                                            /* 3 */
             "    jurisdiction: corps\n"                                /* 4 */
             "    owner_unit: xj7-emb\n"                                /* 5 */
             "    location: {lat: 44.0, lon: 85.0, confidence: high}\n" /* 6 */
             "    dispatch_min: 30\n"                                   /* 7 */
             "    stock:\n"                                             /* 8 */
             "%s\n%s%s%s",
             line9, line10 ? line10 : "", line10 ? "\n" : "", tail ? tail : TOP_OK);
    hl_yaml_doc *doc = NULL;
    int rc = hl_yaml_load_mem("depots.yaml", buf, strlen(buf), &doc, err, errlen);
    free(buf);
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

static int parse_depots(const char *line9, const char *line10, char *err, size_t errlen)
{
    return parse_depots_tail(line9, line10, NULL, err, errlen);
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
         "depots.yaml:9:", "on_hand"},
        {"      - {material: sandbag, on_hand: ten}", NULL, HL_EPARSE,
         "depots.yaml:9:", "on_hand: 'ten' is not a number"},
        /* unknown key (a misspelling is not a missing quantity) */
        {"      - {material: sandbag, on_hnad: 10}", NULL, HL_EPARSE,
         "depots.yaml:9:", "on_hnad: unknown key"},
        /* unknown material id in a depot */
        {"      - {material: sand-bag, on_hand: 10}", NULL, HL_EPARSE,
         "depots.yaml:9:", "unknown material id 'sand-bag'"},
        /* negative quantity */
        {"      - {material: sandbag, on_hand: -5}", NULL, HL_EINVAL,
         "depots.yaml:9:", "on_hand: -5 is outside"},
        {"      - {material: sandbag, on_hand: 10}", "      - {material: sandbag, on_hand: 3}",
         HL_EPARSE, "depots.yaml:10:", "'sandbag' is listed twice in depot dp-a"},
        {"      - {material: sandbag}", NULL, HL_EPARSE, "depots.yaml:9:", "on_hand: missing"},
        {"    colour: red", NULL, HL_EPARSE, "depots.yaml:9:", "colour: unknown key"},
        /* minimum levels and lots (issue 4) */
        {"      - {material: sandbag, on_hand: 10, minimum: 2}", NULL, 0, NULL, NULL},
        {"      - {material: sandbag, on_hand: 10, minimum: -2}", NULL, HL_EINVAL,
         "depots.yaml:9:", "minimum: -2 is outside"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, quantity: 4}, {lot: B, "
         "quantity: 6, expiry: 2027-01-01T00:00:00+08:00}]}",
         NULL, 0, NULL, NULL},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, quantity: 4}]}", NULL, HL_EPARSE,
         "depots.yaml:9:", "the lots of sandbag add up to 4, but on_hand says 10"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, quantity: 5}, {lot: A, "
         "quantity: 5}]}",
         NULL, HL_EPARSE, "depots.yaml:9:", "lot: 'A' is listed twice for sandbag"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, quantity: 10, expiry: "
         "tomorrow}]}",
         NULL, HL_EPARSE, "depots.yaml:9:", "expiry: 'tomorrow' is not an ISO 8601 time"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: 'A A', quantity: 10}]}", NULL,
         HL_EPARSE, "depots.yaml:9:", "lot: 'A A' is not an id"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, quantity: 0}]}", NULL, HL_EINVAL,
         "depots.yaml:9:", "quantity: 0 is outside"},
        {"      - {material: sandbag, on_hand: 10, lots: [{lot: A, qty: 10}]}", NULL, HL_EPARSE,
         "depots.yaml:9:", "qty: unknown key"},
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

    /* The top-level assumptions (issue 4): as_of and road are required and bounded. */
    static const char row[] = "      - {material: sandbag, on_hand: 10}";
    assert_int_equal(parse_depots_tail(row, NULL,
                                       "road: {detour_factor: 1.3, speed_kmh: 50, "
                                       "note: n}\n",
                                       err, sizeof err),
                     HL_EPARSE);
    assert_non_null(strstr(err, "as_of"));
    assert_int_equal(parse_depots_tail(row, NULL, "as_of: 2026-01-01\n", err, sizeof err),
                     HL_EPARSE);
    assert_non_null(strstr(err, "depots.yaml:10: as_of: '2026-01-01' is not an ISO 8601 time"));
    assert_int_equal(
        parse_depots_tail(row, NULL, "as_of: 2026-01-01T00:00:00+08:00\n", err, sizeof err),
        HL_EPARSE);
    assert_non_null(strstr(err, "road: missing"));
    assert_int_equal(parse_depots_tail(row, NULL,
                                       "as_of: 2026-01-01T00:00:00+08:00\n"
                                       "road: {detour_factor: 0.9, speed_kmh: 50, note: n}\n",
                                       err, sizeof err),
                     HL_EINVAL);
    assert_non_null(strstr(err, "depots.yaml:11: detour_factor: 0.9 is outside"));
    assert_int_equal(parse_depots_tail(row, NULL,
                                       "as_of: 2026-01-01T00:00:00+08:00\n"
                                       "road: {detour_factor: 1.3, speed_kmh: 500, note: n}\n",
                                       err, sizeof err),
                     HL_EINVAL);
    assert_non_null(strstr(err, "speed_kmh: 500 is outside"));
    assert_int_equal(parse_depots_tail(row, NULL,
                                       "as_of: 2026-01-01T00:00:00+08:00\n"
                                       "road: {detour_factor: 1.3, speed_kmh: 50}\n",
                                       err, sizeof err),
                     HL_EPARSE);
    assert_non_null(strstr(err, "note: missing"));

    static const char nodispatch[] = "depots:\n"
                                     "  - id: dp-a\n"
                                     "    name: A\n"
                                     "    jurisdiction: local\n"
                                     "    owner_unit: u\n"
                                     "    location: {lat: 44, lon: 85, confidence: high}\n"
                                     "    stock: []\n" TOP_OK;
    assert_int_equal(parse_text("depots.yaml", nodispatch, 0, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "dispatch_min: missing"));

    /* STOCK_ROW_LOTS_MAX lots in one row, and STOCK_SEED_LOTS_MAX in the file. */
    size_t lcap = 64 * (STOCK_SEED_LOTS_MAX + 8) + 1024;
    char *lots = malloc(lcap);
    assert_non_null(lots);
    size_t lo = (size_t)snprintf(lots, lcap, "      - {material: sandbag, on_hand: %d, lots: [",
                                 STOCK_ROW_LOTS_MAX + 1);
    for (int i = 0; i <= STOCK_ROW_LOTS_MAX; i++)
        lo += (size_t)snprintf(lots + lo, lcap - lo, "%s{lot: L%d, quantity: 1}", i ? ", " : "", i);
    snprintf(lots + lo, lcap - lo, "]}");
    assert_int_equal(parse_depots(lots, NULL, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "65 lots, more than the limit of 64"));
    /* Five rows of 52 lots: 260 > 256 in the file. */
    static const char *const mats[] = {"sandbag", "boom", "pump", "tanker", "geomembrane"};
    lo = 0;
    for (int r = 0; r < 5; r++) {
        lo +=
            (size_t)snprintf(lots + lo, lcap - lo, "%s      - {material: %s, on_hand: 52, lots: [",
                             r ? "\n" : "", mats[r]);
        for (int i = 0; i < 52; i++)
            lo += (size_t)snprintf(lots + lo, lcap - lo, "%s{lot: L%d, quantity: 1}", i ? ", " : "",
                                   i);
        lo += (size_t)snprintf(lots + lo, lcap - lo, "]}");
    }
    assert_int_equal(parse_depots(lots, NULL, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "more than 256 lots in the file"));
    free(lots);

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
