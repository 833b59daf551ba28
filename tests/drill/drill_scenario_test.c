/* drill_scenario_test — the drill scenario loader: a good file, and one named case per kind
 * of bad input, each asserting the error code and that the message names file:line: field.
 *
 * The catalogue is the fixture plan in tests/drill/data/plan (ids only), so these cases do not
 * move when the real Kuitun data changes; one case loads the real scenario against the real
 * plan to keep playbooks/drills/kuitun-benzene.yaml valid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hazlink/hl_error.h"
#include "scenario.h"

/* Line numbers matter: the error cases below name them. */
static const char base[] =
    "name: test drill\n"                   /* 1 */
    "start: 2026-07-15T10:00:00+08:00\n"   /* 2 */
    "scale: 120\n"                         /* 3 */
    "duration: \"02:00\"\n"                /* 4 */
    "units:\n"                             /* 5 */
    "  - {id: u-corps, ack_delay_s: 60}\n" /* 6 */
    "  - {id: u-local, ack_delay_s: 30}\n" /* 7 */
    "injects:\n"                           /* 8 */
    "  - {at: \"00:30\", kind: reading, station: st-down, parameter: 苯, value: 0.085, "
    "unit: mg/L}\n" /* 9 */
    "  - {at: \"00:05\", kind: report, report_id: r-1, released_at: \"00:00\", source: "
    "rs-plant, substance: 苯, chainage_km: 22, mass_kg: 2000, duration_s: 1800, reporter: "
    "u-ent}\n"                                                                          /* 10 */
    "expectations:\n"                                                                   /* 11 */
    "  - {kind: incident_opened, station: st-down, parameter: 苯, within: \"00:15\"}\n" /* 12 */
    "  - {kind: all_acknowledged}\n";                                                   /* 13 */

typedef struct fx {
    char dir[64];
    char path[128];
    drill_catalog *cat;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/drill_scenario_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/s.yaml", f->dir);
    char err[512] = "";
    int rc = drill_catalog_load(HL_TEST_DATA_DIR "/plan", &f->cat, err, sizeof err);
    if (rc != 0)
        fail_msg("fixture plan: %s", err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f->cat);
    free(f);
    return 0;
}

/* Write base with the first occurrence of find replaced by repl (find NULL: base as is). */
static void write_variant(const fx *f, const char *find, const char *repl)
{
    FILE *o = fopen(f->path, "w");
    assert_non_null(o);
    if (!find) {
        fputs(base, o);
    } else {
        const char *at = strstr(base, find);
        if (!at)
            fail_msg("test case: '%s' not in the base scenario", find);
        fwrite(base, 1, (size_t)(at - base), o);
        fputs(repl, o);
        fputs(at + strlen(find), o);
    }
    assert_int_equal(fclose(o), 0);
}

static void test_good_file(void **state)
{
    fx *f = *state;
    write_variant(f, NULL, NULL);
    drill_scenario *s = NULL;
    char err[512] = "";
    int rc = drill_scenario_load(f->path, f->cat, &s, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    assert_string_equal(s->name, "test drill");
    /* 2026-07-15T10:00:00+08:00 = 02:00:00 UTC */
    assert_int_equal(s->start_ms, INT64_C(1784080800000));
    assert_true(s->scale == 120.0);
    assert_true(s->duration_s == 7200.0);
    assert_int_equal(s->n_units, 2);
    assert_string_equal(s->units[1].id, "u-local");
    assert_true(s->units[1].ack_delay_s == 30.0);
    assert_int_equal(s->n_injects, 2);
    /* Played in time order, whatever the file order: the report (00:05) comes first. */
    assert_int_equal(s->injects[0].kind, DRILL_INJECT_REPORT);
    assert_true(s->injects[0].at_s == 300.0);
    assert_true(s->injects[0].released_at_s == 0.0);
    assert_int_equal(s->injects[0].line, 10);
    assert_int_equal(s->injects[1].kind, DRILL_INJECT_READING);
    assert_string_equal(s->injects[1].station_id, "st-down");
    assert_true(s->injects[1].value == 0.085);
    assert_string_equal(s->injects[1].unit, "mg/L");
    assert_int_equal(s->n_expects, 2);
    assert_int_equal(s->expects[0].kind, DRILL_EXPECT_INCIDENT_OPENED);
    assert_true(s->expects[0].within_s == 900.0);
    assert_int_equal(s->expects[1].line, 13);
    free(s);
}

typedef struct bad_case {
    const char *name;
    const char *find, *repl;
    int rc;
    const char *want1, *want2; /* substrings of the error */
} bad_case;

static const bad_case bad_cases[] = {
    {"wrong type: scale is not a number", "scale: 120", "scale: fast", HL_EPARSE,
     "s.yaml:3:", "scale"},
    {"wrong type: reading value", "value: 0.085", "value: high", HL_EPARSE,
     "s.yaml:9:", "value: 'high' is not a number"},
    {"wrong type: units is not a list",
     "units:\n  - {id: u-corps, ack_delay_s: 60}\n"
     "  - {id: u-local, ack_delay_s: 30}\n",
     "units: u-corps\n\n\n", HL_EPARSE, "s.yaml:5:", "units"},
    {"out of range: scale", "scale: 120", "scale: 20000", HL_EINVAL, "s.yaml:3:", "scale"},
    {"unknown top-level key", "scale: 120", "colour: red\nscale: 120", HL_EPARSE,
     "s.yaml:3:", "colour: unknown key"},
    {"unknown key in an inject", "station: st-down", "stn: st-down", HL_EPARSE,
     "s.yaml:9:", "stn: unknown key"},
    {"unknown unit id", "id: u-local", "id: u-nobody", HL_EPARSE,
     "s.yaml:7:", "units[1].id: unknown unit 'u-nobody'"},
    {"unknown station id in an inject", "station: st-down, parameter: 苯, value",
     "station: st-nowhere, parameter: 苯, value", HL_EPARSE,
     "s.yaml:9:", "injects[0].station: unknown station 'st-nowhere'"},
    {"unknown station id in an expectation", "station: st-down, parameter: 苯, within",
     "station: st-gone, parameter: 苯, within", HL_EPARSE,
     "s.yaml:12:", "expectations[0].station: unknown station 'st-gone'"},
    {"unknown reporter unit", "reporter: u-ent", "reporter: u-ghost", HL_EPARSE,
     "s.yaml:10:", "injects[1].reporter: unknown unit 'u-ghost'"},
    {"unknown risk source", "source: rs-plant", "source: rs-none", HL_EPARSE,
     "s.yaml:10:", "injects[1].source: unknown risk source 'rs-none'"},
    {"bad drill offset", "at: \"00:30\"", "at: 30 minutes", HL_EINVAL,
     "s.yaml:9:", "at: '30 minutes' is not a drill offset"},
    {"start without an offset", "start: 2026-07-15T10:00:00+08:00", "start: 2026-07-15T10:00:00",
     HL_EPARSE, "s.yaml:2:", "start: '2026-07-15T10:00:00'"},
    {"unknown expectation kind", "kind: all_acknowledged", "kind: all_happy", HL_EPARSE,
     "s.yaml:13:", "expectations[1].kind: unknown kind 'all_happy'"},
    {"missing required key", "name: test drill\n", "", HL_EPARSE, "s.yaml:", "name: missing"},
    {"unit listed twice", "id: u-local", "id: u-corps", HL_EPARSE,
     "s.yaml:7:", "'u-corps' listed twice (first on line 6)"},
    {"release after its report", "released_at: \"00:00\"", "released_at: \"00:10\"", HL_EPARSE,
     "s.yaml:10:", "released_at"},
    {"inject after the end of the drill", "at: \"00:30\"", "at: \"03:00\"", HL_EPARSE,
     "s.yaml:9:", "after the end of the drill"},
    {"unit of measurement not accepted", "unit: mg/L", "unit: ppm", HL_EPARSE,
     "s.yaml:9:", "injects[0].unit: 'ppm'"},
    {"reading kind misspelt", "kind: reading", "kind: readings", HL_EPARSE,
     "s.yaml:9:", "injects[0].kind: 'readings'"},
    {"YAML syntax error", "scale: 120", "scale: [120", HL_EPARSE, "s.yaml:", ""},
    /* Facts that grade an incident (IncidentFacts; 2014 national plan 附件1). */
    {"facts: unknown fact", "reporter: u-ent}", "reporter: u-ent, facts: {injured: 2}}", HL_EPARSE,
     "s.yaml:10:", "injured: unknown key"},
    {"facts: people are whole numbers", "reporter: u-ent}",
     "reporter: u-ent, facts: {deaths: 1.5}}", HL_EPARSE,
     "s.yaml:10:", "injects[1].facts.deaths: 1.5 is not a whole number of people"},
    {"facts: a count below zero", "reporter: u-ent}", "reporter: u-ent, facts: {evacuated: -1}}",
     HL_EINVAL, "s.yaml:10:", "evacuated"},
    {"facts: a loss above the grading table's bound", "reporter: u-ent}",
     "reporter: u-ent, facts: {direct_economic_loss_yuan: 2e15}}", HL_EINVAL,
     "s.yaml:10:", "direct_economic_loss_yuan"},
    {"facts: a keyword with spaces", "reporter: u-ent}",
     "reporter: u-ent, facts: {cross_boundary: two counties}}", HL_EPARSE,
     "s.yaml:10:", "facts.cross_boundary: 'two counties' is not a keyword"},
    {"facts: a basis and no fact", "reporter: u-ent}", "reporter: u-ent, facts: {basis: call}}",
     HL_EPARSE, "s.yaml:10:", "injects[1].facts: gives no fact"},
    {"facts: not a mapping", "reporter: u-ent}", "reporter: u-ent, facts: [deaths]}", HL_EPARSE,
     "s.yaml:10:", "injects[1].facts: expected a mapping"},
    {"facts inject naming no report", "expectations:\n",
     "  - {at: \"01:00\", kind: facts, report: r-9, facts: {deaths: 1}}\nexpectations:\n",
     HL_EPARSE, "s.yaml:11:", "facts name report 'r-9'"},
    {"facts inject before its report", "expectations:\n",
     "  - {at: \"00:01\", kind: facts, report: r-1, facts: {deaths: 1}}\nexpectations:\n",
     HL_EPARSE, "s.yaml:11:", "facts name report 'r-1'"},
    {"facts inject without facts", "expectations:\n",
     "  - {at: \"01:00\", kind: facts, report: r-1}\nexpectations:\n", HL_EPARSE,
     "s.yaml:11:", "injects[2].facts: missing"},
    {"report_id used twice", "expectations:\n",
     "  - {at: \"00:50\", kind: report, report_id: r-1, substance: 苯, chainage_km: 30, "
     "reporter: u-ent}\nexpectations:\n",
     HL_EPARSE, "s.yaml:11:", "report_id: 'r-1' is used twice (first on line 10)"},
};

static void test_bad_cases(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        write_variant(f, c->find, c->repl);
        drill_scenario *s = NULL;
        char err[512] = "";
        int rc = drill_scenario_load(f->path, f->cat, &s, err, sizeof err);
        if (rc != c->rc || !strstr(err, c->want1) || !strstr(err, c->want2))
            fail_msg("case '%s': rc %d (want %d), err \"%s\" (want \"%s\" and \"%s\")", c->name, rc,
                     c->rc, err, c->want1, c->want2);
        assert_null(s);
    }
}

/* Facts on a report, a later facts inject naming that report, and the
 * one_incident_per_release expectation. */
static void test_facts(void **state)
{
    fx *f = *state;
    FILE *o = fopen(f->path, "w");
    assert_non_null(o);
    const char *rep = strstr(base, "reporter: u-ent}");
    const char *exp = strstr(base, "expectations:\n");
    const char *ack = strstr(base, "  - {kind: all_acknowledged}\n");
    assert_non_null(rep);
    assert_non_null(exp);
    assert_non_null(ack);
    fwrite(base, 1, (size_t)(rep - base), o);
    fputs("reporter: u-ent, facts: {deaths: 0, evacuated: 120, basis: first call}}", o);
    rep += strlen("reporter: u-ent}");
    fwrite(rep, 1, (size_t)(exp - rep), o);
    fputs("  - {at: \"01:00\", kind: facts, report: r-1, facts: {drinking_water_interruption: "
          "town, direct_economic_loss_yuan: 6000000}}\n",
          o);
    fwrite(exp, 1, (size_t)(ack - exp), o);
    fputs("  - {kind: one_incident_per_release}\n", o);
    assert_int_equal(fclose(o), 0);
    drill_scenario *s = NULL;
    char err[512] = "";
    if (drill_scenario_load(f->path, f->cat, &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(s->n_injects, 3);
    const drill_inject *r = &s->injects[0], *x = &s->injects[2];
    assert_int_equal(r->kind, DRILL_INJECT_REPORT);
    assert_int_equal(r->facts.n, 2);
    assert_true(r->facts.has[DRILL_FACT_DEATHS] && r->facts.num[DRILL_FACT_DEATHS] == 0);
    assert_true(r->facts.has[DRILL_FACT_EVACUATED] && r->facts.num[DRILL_FACT_EVACUATED] == 120);
    assert_false(r->facts.has[DRILL_FACT_POISONED]); /* not given = not known yet */
    assert_string_equal(r->facts.basis, "first call");
    assert_int_equal(x->kind, DRILL_INJECT_FACTS);
    assert_string_equal(x->report_id, "r-1");
    assert_true(x->at_s == 3600.0);
    assert_int_equal(x->facts.n, 2);
    assert_string_equal(x->facts.cat[DRILL_FACT_DRINKING], "town");
    assert_true(x->facts.num[DRILL_FACT_LOSS] == 6e6);
    assert_int_equal(s->expects[1].kind, DRILL_EXPECT_ONE_INCIDENT_PER_RELEASE);
    assert_string_equal(drill_fact_name(DRILL_FACT_LOSS), "direct_economic_loss_yuan");
    assert_null(drill_fact_name(DRILL_FACT_COUNT));
    free(s);
}

static void test_missing_file(void **state)
{
    fx *f = *state;
    drill_scenario *s = NULL;
    char err[512] = "";
    char path[160];
    snprintf(path, sizeof path, "%s/no-such-drill.yaml", f->dir);
    assert_int_equal(drill_scenario_load(path, f->cat, &s, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "no-such-drill.yaml"));
    assert_null(s);
    drill_catalog *cat = NULL;
    assert_int_equal(drill_catalog_load(f->dir, &cat, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "stations.yaml"));
    assert_null(cat);
}

static void test_offsets(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        double s;
    } cases[] = {
        {"00:00", 0, 0},          {"+00:15", 0, 900},       {"02:00", 0, 7200},
        {"1:30", 0, 5400},        {"01:02:03", 0, 3723},    {"168:00", 0, 604800},
        {"169:00", HL_EINVAL, 0}, {"00:60", HL_EINVAL, 0},  {"00:05:60", HL_EINVAL, 0},
        {"5", HL_EINVAL, 0},      {"", HL_EINVAL, 0},       {"00:5", HL_EINVAL, 0},
        {"00:05x", HL_EINVAL, 0}, {"-00:05", HL_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double s = -1;
        int rc = drill_offset_parse(cases[i].text, &s);
        if (rc != cases[i].rc || (rc == 0 && s != cases[i].s))
            fail_msg("offset '%s': rc %d s %g", cases[i].text, rc, s);
    }
    char buf[24];
    assert_int_equal(drill_offset_format(3723, buf, sizeof buf), 0);
    assert_string_equal(buf, "+01:02:03");
    assert_int_equal(drill_offset_format(-90, buf, sizeof buf), 0);
    assert_string_equal(buf, "-00:01:30");
    assert_int_equal(drill_offset_format(1, buf, 8), HL_ETOOBIG);
}

static void test_limits(void **state)
{
    fx *f = *state;
    /* More units than DRILL_MAX_UNITS is refused with the count, not truncated. */
    FILE *o = fopen(f->path, "w");
    assert_non_null(o);
    fputs("name: x\nstart: 2026-07-15T10:00:00+08:00\nscale: 1\nduration: \"01:00\"\nunits:\n", o);
    for (int i = 0; i <= DRILL_MAX_UNITS; i++)
        fputs("  - {id: u-corps}\n", o);
    fputs("injects:\n  - {at: \"00:01\", kind: reading, station: st-up, parameter: pH, value: 7, "
          "unit: mg/L}\nexpectations: []\n",
          o);
    assert_int_equal(fclose(o), 0);
    drill_scenario *s = NULL;
    char err[512] = "";
    assert_int_equal(drill_scenario_load(f->path, f->cat, &s, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "at most 64"));
    /* A name longer than HL_NAME_MAX bytes. */
    o = fopen(f->path, "w");
    assert_non_null(o);
    fputs("name: ", o);
    for (int i = 0; i < HL_NAME_MAX + 1; i++)
        fputc('n', o);
    fputs("\n", o);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(drill_scenario_load(f->path, f->cat, &s, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "s.yaml:1: name"));
}

static void test_real_scenario(void **state)
{
    (void)state;
    drill_catalog *cat = NULL;
    char err[512] = "";
    int rc = drill_catalog_load(HL_TEST_SOURCE_DIR "/playbooks/kuitun", &cat, err, sizeof err);
    if (rc != 0)
        fail_msg("playbooks/kuitun: %s", err);
    drill_scenario *s = NULL;
    rc = drill_scenario_load(HL_TEST_SOURCE_DIR "/playbooks/drills/kuitun-benzene.yaml", cat, &s,
                             err, sizeof err);
    if (rc != 0)
        fail_msg("kuitun-benzene.yaml: %s", err);
    /* The drill's first exceedance is at st-dsz-down against GB 3838-2002 表3 item 19
     * (benzene, 0.01 mg/L): the 00:30 reading of 0.085 mg/L is the first one above it. */
    int found = 0;
    for (size_t i = 0; i < s->n_injects && !found; i++) {
        const drill_inject *in = &s->injects[i];
        if (in->kind == DRILL_INJECT_READING && strcmp(in->station_id, "st-dsz-down") == 0 &&
            in->value > 0.01) {
            assert_true(in->at_s == 1800.0);
            found = 1;
        }
    }
    assert_true(found);
    /* Station chainage comes from stations.yaml (st-dsz-down: km 25, docs/protocol.md). */
    assert_true(drill_catalog_station_km(cat, "st-dsz-down") == 25.0);
    assert_true(isnan(drill_catalog_station_km(cat, "st-nowhere")));
    /* The facts inject names the refinery's report. */
    int facts = 0;
    for (size_t i = 0; i < s->n_injects; i++)
        facts += s->injects[i].kind == DRILL_INJECT_FACTS &&
                 strcmp(s->injects[i].report_id, "dsz-petro-20260715-01") == 0;
    assert_int_equal(facts, 1);
    /* Every unit the drill runs an agent for is in the roster with a side. */
    for (size_t i = 0; i < s->n_units; i++)
        assert_true(drill_catalog_unit_side(cat, s->units[i].id)[0] != '\0');
    free(s);
    free(cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test(test_real_scenario),
    };
    return cmocka_run_group_tests_name("drill_scenario", tests, NULL, NULL);
}
