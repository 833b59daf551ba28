/* Tests of the river network loader (lib/domain/network.c): the real Kuitun data loads with
 * its assumption flags, and every kind of bad file is refused with file:line: field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "hazlink/hl_error.h"
#include "hazlink/network.h"
#include "pb_testutil.h"

static void test_kuitun_loads(void **state)
{
    (void)state;
    hl_network *n = NULL;
    char err[512] = "";
    int rc = hl_network_load(PB_KUITUN, &n, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_non_null(n);
    /* docs/protocol.md shared identifiers and chainages. */
    const struct { const char *id; double km; const char *side; } st[] = {
        {"st-laolongkou", 14, "local"}, {"st-dsz-down", 25, "local"},
        {"st-xinqushou", 36, "corps"},  {"st-huanggou2", 52, "corps"},
        {"st-chepaizi", 95, "corps"}};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        const hl_station *s = hl_network_station(n, st[i].id);
        assert_non_null(s);
        assert_true(s->chainage_km == st[i].km);
        assert_string_equal(s->jurisdiction, st[i].side);
        assert_true(s->assumption[0] != 0);
    }
    const struct { const char *id; double km; } sp[] = {
        {"sp-g30-bridge", 30}, {"sp-xinqushou", 36}, {"sp-laoqushou", 44},
        {"sp-kuitun-res", 66}, {"sp-chepaizi-res", 95}};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++) {
        const hl_space *s = hl_network_space(n, sp[i].id);
        assert_non_null(s);
        assert_true(s->chainage_km == sp[i].km);
        assert_true(s->setup_h > 0);
    }
    const struct { const char *id; double km; } rc_[] = {
        {"rc-kuitun-gw", 58}, {"rc-dazimiao", 110}, {"rc-gaoquan", 125}, {"rc-ganjiahu", 210}};
    for (size_t i = 0; i < sizeof rc_ / sizeof rc_[0]; i++) {
        const hl_receptor *r = hl_network_receptor(n, rc_[i].id);
        assert_non_null(r);
        assert_true(r->chainage_km == rc_[i].km);
    }
    /* Benzene is GB 3838-2002 表3 item 19: selected for the section below the refinery. */
    const hl_station *dsz = hl_network_station(n, "st-dsz-down");
    assert_int_equal(dsz->water_class, 3);
    assert_false(dsz->drinking_source);
    assert_string_equal(dsz->extra_items[0], "苯");
    assert_string_equal(dsz->unit_id, "dsz-eeb");
    /* Reference coordinates kept exactly, with their confidence (kuitun-places.csv). */
    const hl_space *g30 = hl_network_space(n, "sp-g30-bridge");
    assert_true(g30->location.has_coords && !g30->location.estimated);
    assert_true(g30->location.lat == 44.38 && g30->location.lon == 84.85);
    assert_string_equal(g30->location.confidence, "low");
    const hl_place *kt = hl_network_place(n, "pl-kuitun-city");
    assert_non_null(kt);
    assert_true(kt->location.lat == 44.41963 && kt->location.lon == 84.90118);
    assert_string_equal(kt->location.confidence, "high");
    /* A place the reference cannot locate stays unlocated and says so. */
    const hl_place *jjm = hl_network_place(n, "pl-jiangjunmiao");
    assert_false(jjm->location.has_coords);
    assert_string_equal(jjm->location.confidence, "none");
    const hl_receptor *dzm = hl_network_receptor(n, "rc-dazimiao");
    assert_false(dzm->location.has_coords);
    /* Positions placed by description are flagged as estimates. */
    assert_true(dsz->location.estimated);
    /* Velocities are assumptions: the flag must be there to travel into the Plan. */
    assert_true(hl_network_velocities_unverified(n));
    /* Reaches tile the river from km 0 to past 甘家湖 (km 210). */
    assert_true(n->reaches[0].from_km == 0);
    assert_non_null(hl_network_reach_at(n, 210));
    assert_string_equal(hl_network_reach_at(n, 64)->kind, "reservoir");
    hl_network_destroy(&n);
    assert_null(n);
    hl_network_destroy(&n); /* accepts NULL */
}

/* Edit one file of the small fixture, load, expect rc and an error starting with
 * "<dir>/<file>:<line of needle>: " and containing want. */
static void expect_error(const char *file, const char *from, const char *to, const char *needle,
                         int want_rc, const char *want)
{
    char *dir = pb_copy_dir(PB_SMALL);
    assert_non_null(dir);
    assert_int_equal(pb_edit(dir, file, from, to), 0);
    int line = needle ? pb_line_of(dir, file, needle) : 0;
    hl_network *n = NULL;
    char err[512] = "";
    int rc = hl_network_load(dir, &n, err, sizeof err);
    print_message("    %s -> %d %s\n", to, rc, err);
    assert_int_equal(rc, want_rc);
    assert_null(n);
    char prefix[1100];
    if (line)
        snprintf(prefix, sizeof prefix, "%s/%s:%d: ", dir, file, line);
    else
        snprintf(prefix, sizeof prefix, "%s/%s", dir, file);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("error '%s' does not start with '%s'", err, prefix);
    if (!strstr(err, want))
        fail_msg("error '%s' does not say '%s'", err, want);
    pb_rm_dir(dir);
}

static void test_small_loads(void **state)
{
    (void)state;
    hl_network *n = NULL;
    char err[512] = "";
    int rc = hl_network_load(PB_SMALL, &n, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(n->n_reaches, 3);
    assert_int_equal(n->n_stations, 3);
    /* Arabic class "3" is accepted as well as Roman "III". */
    assert_int_equal(hl_network_station(n, "st-down")->water_class, 3);
    assert_int_equal(hl_network_station(n, "st-up")->water_class, 2);
    /* area = width * depth when not given. */
    assert_true(n->reaches[0].area_m2 == 50.0);
    hl_network_destroy(&n);
}

static void test_wrong_field(void **state)
{
    (void)state;
    /* GB 3838-2002 has five classes I..V: VI is a wrong value. */
    expect_error("stations.yaml", "water_class: II\n", "water_class: VI\n", "water_class: VI",
                 HL_EPARSE, "water_class");
    expect_error("stations.yaml", "jurisdiction: corps", "jurisdiction: army",
                 "jurisdiction: army", HL_EPARSE, "jurisdiction");
    expect_error("spaces.yaml", "setup_h: 3", "setup_h: three", "setup_h: three", HL_EPARSE,
                 "setup_h");
    expect_error("spaces.yaml", "setup_h: 3", "setup_h: -1", "setup_h: -1", HL_EINVAL,
                 "setup_h");
    expect_error("receptors.yaml", "intake_closable: true", "intake_closable: maybe",
                 "intake_closable: maybe", HL_EPARSE, "intake_closable");
    expect_error("river.yaml", "velocity_m_s: [1.0, 2.0, 0.5, 0.25]",
                 "velocity_m_s: [1.0, 2.0, 0.5]", "velocity_m_s: [1.0, 2.0, 0.5]", HL_EPARSE,
                 "velocity_m_s");
    expect_error("river.yaml", "velocity_m_s: [1.0, 2.0, 0.5, 0.25]",
                 "velocity_m_s: [1.0, 2.0, 0, 0.25]", "velocity_m_s: [1.0, 2.0, 0, 0.25]",
                 HL_EINVAL, "velocity_m_s[2] (autumn)");
    expect_error("stations.yaml", "unit: l-eeb", "unit: \"l eeb\"", "unit: \"l eeb\"",
                 HL_EPARSE, "unit");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error("stations.yaml", "    water_class: II\n", "    water_class: II\n    colour: red\n",
                 "colour: red", HL_EPARSE, "colour: unknown key");
    expect_error("spaces.yaml", "    capacity_m3: 10000\n",
                 "    capacity_m3: 10000\n    capcity_m3: 5\n", "capcity_m3", HL_EPARSE,
                 "capcity_m3: unknown key");
    expect_error("river.yaml", "river: test river\n", "river: test river\nlength_km: 9\n",
                 "length_km", HL_EPARSE, "length_km: unknown key");
}

static void test_missing(void **state)
{
    (void)state;
    /* A missing file names the path. */
    char *dir = pb_copy_dir(PB_SMALL);
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/receptors.yaml", dir);
    assert_int_equal(unlink(path), 0);
    hl_network *n = NULL;
    assert_int_equal(hl_network_load(dir, &n, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "receptors.yaml"));
    assert_null(n);
    pb_rm_dir(dir);
    /* A missing required field names it and the entry's line. */
    expect_error("stations.yaml", "    unit: c-eeb\n", "", "  - id: st-down", HL_EPARSE,
                 "unit: missing");
}

static void test_network_rules(void **state)
{
    (void)state;
    /* A gap between reaches would make the river shorter than it is. */
    expect_error("river.yaml", "from_km: 10", "from_km: 11", "id: r2", HL_EPARSE,
                 "expected 10 km");
    /* Ids are unique across stations, spaces, receptors, places and reaches. */
    expect_error("spaces.yaml", "id: sp-far", "id: st-up", NULL, HL_EPARSE,
                 "'st-up' is used again");
    /* Outside the reaches. */
    expect_error("receptors.yaml", "chainage_km: 38", "chainage_km: 41", NULL, HL_EPARSE,
                 "outside the reaches");
    /* A reference to a place that does not exist. */
    expect_error("spaces.yaml", "place: pl-a", "place: pl-b", NULL, HL_EPARSE,
                 "no place 'pl-b'");
    /* An estimate without saying how it was placed. */
    expect_error("stations.yaml", ", note: \"test estimate\"", "", NULL, HL_EPARSE,
                 "location.note");
}

/* Dispersion (network.h): the Kuitun reaches get K by season from the plan-wide formula
 * (Kashefipour & Falconer 2002), the reservoirs the K they give; a formula that cannot be
 * used is refused naming the reach's line. */
static void test_dispersion(void **state)
{
    (void)state;
    hl_network *n = NULL;
    char err[512] = "";
    if (hl_network_load(PB_KUITUN, &n, err, sizeof err))
        fail_msg("%s", err);
    assert_string_equal(n->dispersion_formula, "kashefipour-falconer-2002");
    for (size_t i = 0; i < n->n_reaches; i++) {
        const hl_reach *r = &n->reaches[i];
        for (int k = 0; k < HL_SEASON_COUNT; k++)
            assert_true(r->k_m2_s[k] > 0);
        if (strcmp(r->kind, "reservoir") == 0) {
            assert_true(r->dispersion_given && r->k_m2_s[HL_SEASON_SUMMER] == 30);
            assert_string_equal(r->dispersion_formula, "");
        } else {
            assert_string_equal(r->dispersion_formula, "kashefipour-falconer-2002");
        }
    }
    /* r02 in summer: u* = 0.214860 m/s, K = 10.612 h U²/u* = 88.903 m²/s (the hand value of
     * playbook_plume_test.c test_dispersion_formulas). */
    const hl_reach *r02 = hl_network_reach_at(n, 25);
    assert_true(fabs(r02->shear_velocity_m_s - 0.214860) < 1e-6);
    assert_true(fabs(r02->k_m2_s[HL_SEASON_SUMMER] - 88.903) < 1e-3);
    assert_true(r02->k_m2_s[HL_SEASON_WINTER] < r02->k_m2_s[HL_SEASON_SUMMER]);
    hl_network_destroy(&n);

    /* Per reach: Elder 1959 for r3 of the small fixture (W 20 m, h 1 m, slope 0.001):
     * R = 20/22 = 0.909091 m, u* = sqrt(9.81 · 0.909091 · 0.001) = 0.094436 m/s,
     * K = 5.93 · 1 · 0.094436 = 0.560006 m²/s in every season (Elder has no U). */
    char *dir = pb_copy_dir(PB_SMALL);
    assert_int_equal(pb_edit(dir, "river.yaml", "    velocity_unverified: false\n",
                             "    velocity_unverified: false\n    slope: 0.001\n"
                             "    dispersion_formula: elder-1959\n"),
                     0);
    if (hl_network_load(dir, &n, err, sizeof err))
        fail_msg("%s", err);
    const hl_reach *r3 = &n->reaches[2];
    assert_string_equal(r3->dispersion_formula, "elder-1959");
    for (int k = 0; k < HL_SEASON_COUNT; k++)
        assert_true(fabs(r3->k_m2_s[k] - 0.560006) < 1e-6);
    assert_true(n->reaches[0].k_m2_s[HL_SEASON_SUMMER] == 0); /* nothing chosen: plug flow */
    hl_network_destroy(&n);
    pb_rm_dir(dir);

    expect_error("river.yaml", "km0: test origin\n", "km0: test origin\ndispersion_formula: liu-1977\n",
                 "dispersion_formula", HL_EPARSE,
                 "dispersion_formula: 'liu-1977' is not one of elder-1959");
    expect_error("river.yaml", "km0: test origin\n",
                 "km0: test origin\ndispersion_formula: fischer-1975\n", "id: r1", HL_EPARSE,
                 "dispersion_formula: reach r1 has no slope > 0, so u* = sqrt(g R S) cannot be "
                 "computed and fischer-1975 (the plan-wide formula) cannot be used; give "
                 "dispersion_m2_s");
    expect_error("river.yaml", "    velocity_unverified: false\n",
                 "    velocity_unverified: false\n    dispersion_m2_s: 5\n"
                 "    dispersion_formula: elder-1959\n",
                 "dispersion_formula", HL_EPARSE, "gives dispersion_m2_s too");
    expect_error("river.yaml", "    velocity_unverified: false\n",
                 "    velocity_unverified: false\n    dispersion_m2_s: -5\n",
                 "dispersion_m2_s", HL_EINVAL, "dispersion_m2_s");
}

static void test_limits(void **state)
{
    (void)state;
    char longname[400];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    char to[450];
    snprintf(to, sizeof to, "name: %s", longname);
    /* HL_NET_NAME_MAX = 256 bytes. */
    expect_error("stations.yaml", "name: upstream station", to, "name: xxx", HL_ETOOBIG,
                 "name");
    /* HL_NET_MAX_EXTRA = 16 items. */
    expect_error("stations.yaml", "extra_items: [苯, 甲苯]",
                 "extra_items: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, "
                 "a15, a16, a17]",
                 "extra_items: [a1", HL_ETOOBIG, "at most 16");
    /* Exactly 16 is fine. */
    char *dir = pb_copy_dir(PB_SMALL);
    assert_int_equal(pb_edit(dir, "stations.yaml", "extra_items: [苯, 甲苯]",
                             "extra_items: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, "
                             "a13, a14, a15, a16]"),
                     0);
    hl_network *n = NULL;
    char err[512];
    assert_int_equal(hl_network_load(dir, &n, err, sizeof err), 0);
    assert_int_equal(hl_network_station(n, "st-down")->n_extra, 16);
    hl_network_destroy(&n);
    pb_rm_dir(dir);
}

static void test_lookups(void **state)
{
    (void)state;
    hl_network *n = NULL;
    char err[512];
    assert_int_equal(hl_network_load(PB_SMALL, &n, err, sizeof err), 0);
    assert_null(hl_network_station(n, "st-nope"));
    assert_null(hl_network_space(n, NULL));
    assert_string_equal(hl_network_reach_at(n, 0)->id, "r1");
    assert_string_equal(hl_network_reach_at(n, 10)->id, "r2"); /* boundary belongs downstream */
    assert_string_equal(hl_network_reach_at(n, 40)->id, "r3"); /* the very end */
    assert_null(hl_network_reach_at(n, 40.001));
    assert_null(hl_network_reach_at(n, -1));
    hl_network_destroy(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kuitun_loads), cmocka_unit_test(test_small_loads),
        cmocka_unit_test(test_wrong_field),  cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_missing),      cmocka_unit_test(test_network_rules),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_dispersion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
