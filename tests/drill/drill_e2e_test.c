/* drill_e2e_test — the Kuitun benzene drill end to end: `hazdrill run
 * playbooks/drills/kuitun-benzene.yaml` starts the five services and one hazpartner agent per
 * unit as OS processes on a unique base port, plays the scenario at ×600 (the two drill hours
 * in 12 s), and must exit 0 with a report.json that records the whole chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "drill_harness.h"
#include "hazlink/hl_config.h"
#include "hazlink/stack.h"

#define SCENARIO HL_TEST_SOURCE_DIR "/playbooks/drills/kuitun-benzene.yaml"

/* Every point downstream of the release at km 22 that the Kuitun plan names: sections,
 * spaces and receptors (docs/protocol.md, shared identifiers; playbooks/kuitun). */
static const char *const downstream_points[] = {
    "st-dsz-down",  "sp-g30-bridge", "sp-xinqushou",  "st-xinqushou",    "sp-laoqushou",
    "st-huanggou2", "rc-kuitun-gw",  "sp-kuitun-res", "sp-chepaizi-res", "st-chepaizi",
    "rc-dazimiao",  "rc-gaoquan",    "rc-ganjiahu",
};

static int ends_with(const char *s, const char *tail)
{
    size_t n = s ? strlen(s) : 0, t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The element of arr whose string field key equals value, or NULL. */
static json_t *find_by(json_t *arr, const char *key, const char *value)
{
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(str(json_array_get(arr, i), key), value) == 0)
            return json_array_get(arr, i);
    return NULL;
}

/* 1 when a string of arr contains part. */
static int has_text(json_t *arr, const char *part)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s && strstr(s, part))
            return 1;
    }
    return 0;
}

/* ---- hazctl against the drill's stack, restarted on the drill's data ---- */

typedef struct ctl {
    hl_stack *st;
    int base_port;
} ctl;

/* `hazctl --base-port N WORDS...` against the stack (words NULL-terminated): stdout (caller
 * frees), exit status 0 asserted. */
static char *hazctl_words(ctl *c, const char *const *words)
{
    char port[16];
    snprintf(port, sizeof port, "%d", c->base_port);
    const char *args[16] = {"--base-port", port};
    size_t n = 2;
    for (size_t i = 0; words[i] && n < 15; i++)
        args[n++] = words[i];
    args[n] = NULL;
    char *out = NULL, err[512] = "";
    int status = -1;
    int rc =
        hl_stack_capture(c->st, "hazctl", args, 20000, 4 << 20, &out, &status, err, sizeof err);
    if (rc != 0 || status != 0)
        fail_msg("hazctl %s %s: rc %d status %d %s\n%s", words[0], words[1] ? words[1] : "", rc,
                 status, err, out ? out : "");
    return out;
}
#define HAZCTL(c, ...) hazctl_words((c), (const char *const[]){__VA_ARGS__, NULL})

/* The same with --json, parsed. */
static json_t *hazctl_json_words(ctl *c, const char *const *words)
{
    const char *w[12];
    size_t n = 0;
    while (words[n] && n < 10) {
        w[n] = words[n];
        n++;
    }
    w[n++] = "--json";
    w[n] = NULL;
    char *out = hazctl_words(c, w);
    json_error_t je;
    json_t *j = json_loads(out, 0, &je);
    if (!j)
        fail_msg("hazctl %s --json: not JSON (%s): %.300s", words[0], je.text, out);
    free(out);
    return j;
}
#define HAZCTL_JSON(c, ...) hazctl_json_words((c), (const char *const[]){__VA_ARGS__, NULL})

static void has(const char *text, const char *part, const char *what)
{
    if (!strstr(text, part))
        fail_msg("hazctl %s lacks \"%s\":\n%s", what, part, text);
}

/* The records the drill left in its stores, served again by the five services: hazctl shows
 * each incident's grade with its deciding criterion and reporting duties, each source's
 * grades, the plan's forecast at every downstream point and the ledger totals, and its JSON
 * holds the same figures as the drill report. Duty states are computed against the clock of
 * the reply (real time now, long after the drill's morning), so only their ids are compared. */
static void hazctl_shows_the_same(drill_harness *h, json_t *r)
{
    hl_config cfg;
    char err[1024];
    assert_int_equal(hl_config_load(NULL, &cfg, err, sizeof err), 0);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/data", h->out);
    snprintf(cfg.playbook_dir, sizeof cfg.playbook_dir, "%s/playbooks", HL_TEST_SOURCE_DIR);
    cfg.base_port = h->base_port;
    cfg.clock[0] = '\0';
    ctl c = {NULL, h->base_port};
    if (hl_stack_new(&cfg, HL_TEST_BIN_DIR, &c.st, err, sizeof err) < 0 ||
        hl_stack_start_services(c.st, 30000, err, sizeof err) < 0)
        fail_msg("restarting the drill's stack: %s", err);

    json_t *inc = json_array_get(drill_harness_get(r, "incidents"), 0);
    const char *id = str(inc, "id");
    char *text = HAZCTL(&c, "incidents");
    char want[600];
    snprintf(want, sizeof want, "%s  grade III 较大, decided by %s", id,
             str(drill_harness_get(inc, "deciding"), "cite"));
    has(text, want, "incidents");
    has(text, "reports: initial ", "incidents");
    has(text, "(duty rows unverified)", "incidents");
    free(text);
    text = HAZCTL(&c, "incidents", "--id", id);
    has(text, "decided by        附件1 较大(III) drinking_water_interruption", "incidents --id");
    has(text, "facts unknown     direct_economic_loss", "incidents --id");
    has(text, "reporting duties (", "incidents --id");
    has(text, "(unverified)", "incidents --id");
    has(text, "exceedance episodes:", "incidents --id");
    has(text, "st-dsz-down", "incidents --id");
    free(text);
    json_t *j = HAZCTL_JSON(&c, "incidents");
    json_t *ji = json_array_get(json_object_get(j, "incidents"), 0);
    assert_string_equal(str(ji, "grade"), str(inc, "grade"));
    assert_string_equal(str(json_object_get(ji, "deciding"), "cite"),
                        str(json_object_get(inc, "deciding"), "cite"));
    json_t *rr = json_object_get(inc, "reports"), *jr = json_object_get(ji, "reports");
    assert_int_equal(json_array_size(jr), json_array_size(rr));
    for (size_t k = 0; k < json_array_size(rr); k++)
        assert_string_equal(str(json_array_get(jr, k), "id"), str(json_array_get(rr, k), "id"));
    json_decref(j);

    text = HAZCTL(&c, "sources");
    has(text, "rs-dsz-petro  HJ 941-2018: ", "sources");
    has(text, "GB 18218-2018: S ", "sources");
    free(text);
    j = HAZCTL_JSON(&c, "sources");
    json_t *rs = drill_harness_get(r, "sources"), *js = json_object_get(j, "sources");
    assert_int_equal(json_array_size(js), json_array_size(rs));
    for (size_t k = 0; k < json_array_size(rs); k++) {
        json_t *a = json_array_get(rs, k), *b = find_by(js, "id", str(a, "id"));
        assert_non_null(b);
        assert_string_equal(str(json_object_get(b, "hj941"), "label"),
                            str(json_object_get(a, "hj941"), "label"));
        assert_string_equal(str(json_object_get(b, "gb18218"), "grade_name"),
                            str(json_object_get(a, "gb18218"), "grade_name"));
    }
    json_decref(j);

    text = HAZCTL(&c, "plans");
    has(text,
        "(every time above is an estimate: the river velocities are hazlink assumptions, "
        "unverified)",
        "plans");
    for (size_t d = 0; d < sizeof downstream_points / sizeof downstream_points[0]; d++)
        has(text, downstream_points[d], "plans");
    free(text);
    j = HAZCTL_JSON(&c, "plans");
    json_t *rf = drill_harness_get(json_array_get(drill_harness_get(r, "plans"), 0), "forecast");
    json_t *jp = json_object_get(json_array_get(json_object_get(j, "plans"), 0), "points");
    assert_int_equal(json_array_size(jp), json_array_size(rf));
    for (size_t k = 0; k < json_array_size(rf); k++) {
        json_t *a = json_array_get(rf, k), *b = find_by(jp, "point_id", str(a, "point_id"));
        assert_non_null(b);
        assert_int_equal(json_integer_value(json_object_get(b, "front_ms")),
                         json_integer_value(json_object_get(a, "front_ms")));
        assert_int_equal(json_integer_value(json_object_get(b, "clear_ms")),
                         json_integer_value(json_object_get(a, "clear_ms")));
    }
    json_decref(j);

    text = HAZCTL(&c, "ledger");
    has(text, "stock ledger as of ", "ledger");
    has(text, "+08:00", "ledger");
    free(text);
    j = HAZCTL_JSON(&c, "ledger");
    json_t *ri = drill_harness_get(drill_harness_get(r, "ledger"), "items");
    json_t *li = json_object_get(j, "items");
    assert_int_equal(json_array_size(li), json_array_size(ri));
    for (size_t k = 0; k < json_array_size(ri); k++) {
        json_t *a = json_array_get(ri, k), *b = json_array_get(li, k);
        assert_string_equal(str(b, "depot_id"), str(a, "depot_id"));
        assert_string_equal(str(b, "material_id"), str(a, "material_id"));
        assert_true(json_number_value(json_object_get(b, "on_hand")) ==
                    json_number_value(json_object_get(a, "on_hand")));
        assert_true(json_number_value(json_object_get(b, "reserved")) ==
                    json_number_value(json_object_get(a, "reserved")));
    }
    json_decref(j);
    /* One depot's lines by --id. */
    j = HAZCTL_JSON(&c, "ledger", "--id", "dp-kuitun");
    li = json_object_get(j, "items");
    assert_true(json_array_size(li) >= 1);
    for (size_t k = 0; k < json_array_size(li); k++)
        assert_string_equal(str(json_array_get(li, k), "depot_id"), "dp-kuitun");
    json_decref(j);
    hl_stack_destroy(&c.st);
}

static int is_level(const char *s)
{
    return s && (strcmp(s, "蓝") == 0 || strcmp(s, "黄") == 0 || strcmp(s, "橙") == 0 ||
                 strcmp(s, "红") == 0);
}

static void test_benzene_drill(void **state)
{
    (void)state;
    drill_harness h;
    drill_harness_init(&h, "drill_e2e");
    const char *extra[] = {"--scale", "600", "--preroll-ms", "3000", NULL};
    drill_harness_run(&h, SCENARIO, extra, 80);
    assert_non_null(h.report);
    json_t *r = h.report;
    json_t *sum = drill_harness_get(r, "summary");
    json_t *exps = drill_harness_get(r, "expectations");
    size_t i;
    json_t *v;
    json_array_foreach(exps, i, v)
    {
        if (!json_is_true(json_object_get(v, "pass")))
            fprintf(stderr, "expectation %s failed: %s\n",
                    json_string_value(json_object_get(v, "kind")),
                    json_string_value(json_object_get(v, "summary")));
    }
    assert_int_equal(h.exit_status, 0);
    assert_true(json_is_true(drill_harness_get(sum, "pass")));
    assert_int_equal(json_array_size(exps), 8);

    /* The clock and the wall time are recorded. */
    json_t *d = drill_harness_get(r, "drill");
    assert_true(json_number_value(drill_harness_get(d, "clock_scale")) == 600.0);
    assert_true(json_number_value(drill_harness_get(d, "wall_time_s")) > 0);
    assert_true(json_number_value(drill_harness_get(d, "wall_time_s")) < h.wall_s + 1);

    /* One incident per release: the refinery's report opened it at 00:05 and every
     * exceedance at st-dsz-down (GB 3838-2002 表3 item 19, benzene 0.01 mg/L) attached to it
     * (services/alert/link.h) instead of opening a second one. */
    json_t *incs = drill_harness_get(r, "incidents");
    assert_int_equal(json_array_size(incs), 1);
    json_t *inc = json_array_get(incs, 0);
    assert_string_equal(str(inc, "origin"), "report");
    assert_string_equal(str(inc, "station_id"), "st-dsz-down");
    assert_true(json_number_value(json_object_get(inc, "limit_mg_l")) == 0.01);
    json_t *ep = find_by(drill_harness_get(inc, "episodes"), "station_id", "st-dsz-down");
    assert_non_null(ep);
    assert_true(json_is_true(json_object_get(ep, "linked")));
    assert_int_equal(json_integer_value(json_object_get(ep, "count")), 6); /* 00:30 .. 01:40 */
    json_t *opened = find_by(exps, "kind", "incident_opened");
    assert_non_null(opened);
    assert_non_null(strstr(str(opened, "summary"), "reading at st-dsz-down attached to incident"));
    json_t *fig = drill_harness_get(opened, "figures");
    assert_true(json_is_true(json_object_get(fig, "linked")));
    assert_true(json_number_value(json_object_get(fig, "delay_s")) == 0);
    /* The report went in at 00:05, the first exceedance at 00:30: 25 drill minutes earlier
     * (the service stamps the incident a moment after the report was sent). */
    double before = json_number_value(json_object_get(fig, "opened_before_s"));
    assert_true(before > 1400 && before <= 1500);
    json_t *one = find_by(exps, "kind", "one_incident_per_release");
    assert_non_null(one);
    assert_true(json_is_true(json_object_get(one, "pass")));

    /* The grade (国家突发环境事件应急预案 2014 附件1): IV by the catch-all while only "no
     * casualties, nobody moved" was known, raised automatically to III at 01:15 by "乡镇集中式
     * 饮用水水源地取水中断" (较大 row drinking_water_interruption), which decides it; the
     * cross-county effect meets the 一般 (IV) row as well. */
    assert_string_equal(str(inc, "grade"), "III");
    assert_string_equal(str(inc, "grade_name"), "较大");
    json_t *dec = drill_harness_get(inc, "deciding");
    assert_string_equal(str(dec, "fact"), "drinking_water_interruption");
    assert_non_null(strstr(str(dec, "cite"), "附件1 较大(III)"));
    json_t *met = drill_harness_get(inc, "criteria_met");
    assert_int_equal(json_array_size(met), 2);
    assert_string_equal(str(json_array_get(met, 1), "fact"), "cross_boundary");
    assert_string_equal(str(json_array_get(met, 1), "grade"), "IV");
    json_t *hist = drill_harness_get(inc, "grade_history");
    assert_int_equal(json_array_size(hist), 2);
    assert_string_equal(str(json_array_get(hist, 0), "to"), "IV");
    assert_string_equal(str(json_array_get(hist, 1), "from"), "IV");
    assert_string_equal(str(json_array_get(hist, 1), "to"), "III");
    assert_true(has_text(drill_harness_get(inc, "facts_unknown"), "direct_economic_loss"));

    /* Reporting duties (突发环境事件信息报告办法 2011, every row unverified in
     * playbooks/reference/reporting_duties.csv): the initial report of a IV/III incident is
     * due within 4 h of discovery, and is still "due" when the two-hour drill ends; the
     * neighbour (corps side) must be notified; every duty says it is unverified. */
    json_t *reps = drill_harness_get(inc, "reports");
    json_t *initial = find_by(reps, "id", "initial");
    assert_non_null(initial);
    assert_string_equal(str(initial, "state"), "due");
    assert_true(ends_with(str(initial, "deadline"), "+08:00"));
    assert_int_equal(json_integer_value(json_object_get(initial, "deadline_ms")) -
                         json_integer_value(json_object_get(inc, "discovered_ms")),
                     4 * 3600 * 1000);
    assert_false(json_is_true(json_object_get(initial, "verified")));
    assert_non_null(find_by(reps, "kind", "notice"));
    assert_true(json_is_true(json_object_get(inc, "grading_unverified")));
    assert_true(json_is_true(json_object_get(inc, "unverified")));

    /* Alerts carry a warning level. */
    json_t *alerts = drill_harness_get(r, "alerts");
    assert_true(json_array_size(alerts) >= 1);
    json_array_foreach(alerts, i, v)
        assert_true(is_level(json_string_value(json_object_get(v, "warning_level"))));

    /* The forecast at every downstream space, receptor and section. The plan intercepts at
     * the first space below the outfall that can be set up before the front and can hold the
     * polluted water passing above the limit; the G30 bridge site (km 30) needs 3 h to set
     * up and the front reaches it sooner at the assumed summer velocities (playbooks/kuitun
     * spaces.yaml, river.yaml), so it is never the one. */
    json_t *plans = drill_harness_get(r, "plans");
    assert_true(json_array_size(plans) >= 1);
    json_array_foreach(plans, i, v)
    {
        size_t k, spaces = 0, receptors = 0;
        json_t *p;
        json_t *fc = drill_harness_get(v, "forecast");
        const char *first = NULL;
        double first_km = 1e9;
        json_array_foreach(fc, k, p)
        {
            double km = json_number_value(json_object_get(p, "chainage_km"));
            if (strcmp(str(p, "kind"), "space") == 0 &&
                json_is_true(json_object_get(p, "ready_in_time")) &&
                json_is_true(json_object_get(p, "holds")) && km >= 22 && km < first_km) {
                first = str(p, "point_id");
                first_km = km;
            }
        }
        assert_non_null(first);
        assert_string_equal(str(v, "chosen_space_id"), first);
        assert_false(json_is_true(
            json_object_get(find_by(fc, "point_id", "sp-g30-bridge"), "ready_in_time")));
        json_array_foreach(fc, k, p)
        {
            const char *kind = json_string_value(json_object_get(p, "kind"));
            if (json_is_true(json_object_get(p, "threatened"))) {
                assert_true(json_integer_value(json_object_get(p, "front_ms")) > 0);
                assert_true(ends_with(str(p, "front"), "+08:00"));
                assert_true(ends_with(str(p, "peak"), "+08:00"));
            }
            assert_true(ends_with(str(p, "arrival"), "+08:00"));
            /* The plan's velocities are hazlink assumptions: every point says so. */
            assert_true(json_is_true(json_object_get(p, "velocities_unverified")));
            spaces += kind && strcmp(kind, "space") == 0;
            receptors += kind && strcmp(kind, "receptor") == 0;
        }
        assert_true(spaces >= 4); /* G30 bridge, 新渠首, 老渠首, 奎屯水库, 车排子水库 */
        assert_true(receptors >= 3); /* 奎屯, 达子庙, 高泉 groundwater sources, 甘家湖 */
        for (size_t d = 0; d < sizeof downstream_points / sizeof downstream_points[0]; d++)
            if (!find_by(fc, "point_id", downstream_points[d]))
                fail_msg("no forecast at downstream point %s", downstream_points[d]);
        assert_true(json_is_true(json_object_get(v, "velocities_unverified")));
        assert_non_null(strstr(str(v, "forecast_note"), "unverified"));
    }

    /* The risk register with its grades: HJ 941-2018 level for each source and GB 18218-2018
     * S = Σ q/Q; the Dushanzi refinery holds far more than the 50 t of benzene of GB
     * 18218-2018 表1 序号57, so it is a major hazard source. */
    json_t *srcs = drill_harness_get(r, "sources");
    assert_int_equal(json_array_size(srcs), 3);
    json_array_foreach(srcs, i, v)
    {
        json_t *h = drill_harness_get(v, "hj941"), *g = drill_harness_get(v, "gb18218");
        assert_true(strlen(str(h, "level")) > 0);
        assert_true(strlen(str(h, "label")) > 0);
        assert_true(json_array_size(json_object_get(h, "terms")) >= 1);
        assert_true(json_is_number(json_object_get(g, "s")));
        assert_true(json_is_array(json_object_get(v, "flags")));
    }
    json_t *dsz = find_by(srcs, "id", "rs-dsz-petro");
    assert_non_null(dsz);
    json_t *g = drill_harness_get(dsz, "gb18218");
    assert_true(json_is_true(json_object_get(g, "major")));
    assert_true(json_number_value(json_object_get(g, "s")) >= 1);
    json_t *benzene = find_by(drill_harness_get(g, "terms"), "substance", "苯");
    assert_non_null(benzene);
    assert_true(json_number_value(json_object_get(benzene, "critical_t")) == 50);
    /* The HJ 941 M and E inputs are hazlink assumptions: the flag reaches the report. */
    assert_true(
        has_text(drill_harness_get(dsz, "flags"), "M and E inputs are hazlink assumptions"));

    /* The stock ledger's totals: each line's on hand is the sum of its movements, and what
     * it holds reserved is exactly what the open reservations hold, line by line. */
    json_t *ledger = drill_harness_get(r, "ledger");
    assert_true(json_is_true(json_object_get(ledger, "balanced")));
    assert_true(json_is_true(json_object_get(ledger, "reserved_matches_reservations")));
    assert_true(ends_with(str(ledger, "as_of"), "+08:00"));
    json_t *items = drill_harness_get(ledger, "items");
    assert_true(json_array_size(items) >= 10);
    double reserved = 0;
    json_array_foreach(items, i, v)
    {
        double on_hand = json_number_value(json_object_get(v, "on_hand"));
        double res_q = json_number_value(json_object_get(v, "reserved"));
        double avail = json_number_value(json_object_get(v, "available"));
        double exp_q = json_number_value(json_object_get(v, "expired"));
        assert_true(on_hand >= 0 && avail >= 0);
        assert_true(fabs(avail - (on_hand - exp_q - res_q)) < 1e-6);
        reserved += res_q;
    }
    double lines = 0;
    json_array_foreach(drill_harness_get(r, "reservations"), i, v)
    {
        json_t *ls = json_object_get(v, "lines");
        for (size_t k = 0; k < json_array_size(ls); k++)
            lines += json_number_value(json_object_get(json_array_get(ls, k), "quantity"));
    }
    assert_true(lines > 0);
    assert_true(fabs(reserved - lines) < 1e-6);

    /* Every task with unit, state and acknowledgement latency. */
    json_t *tasks = drill_harness_get(r, "tasks");
    assert_true(json_array_size(tasks) >= 4);
    json_array_foreach(tasks, i, v)
    {
        assert_true(strlen(json_string_value(json_object_get(v, "unit_id"))) > 0);
        assert_string_equal(json_string_value(json_object_get(v, "state")), "acknowledged");
        json_t *lat = json_object_get(v, "ack_latency_s");
        assert_true(json_is_number(lat));
        assert_true(json_number_value(lat) >= 0 && json_number_value(lat) <= 1800);
    }
    assert_int_equal(json_integer_value(drill_harness_get(sum, "tasks_acknowledged")),
                     json_array_size(tasks));

    /* Reservations with lines (and the shortfall, possibly empty). */
    json_t *res = drill_harness_get(r, "reservations");
    assert_true(json_array_size(res) >= 1);
    json_array_foreach(res, i, v)
    {
        assert_true(json_array_size(json_object_get(v, "lines")) >= 1);
        assert_true(json_is_array(json_object_get(v, "shortfall")));
    }
    /* report.md carries the same sections for people, with the unverified marks. */
    char mdp[256];
    snprintf(mdp, sizeof mdp, "%s/report.md", h.out);
    FILE *mf = fopen(mdp, "r");
    assert_non_null(mf);
    static char md[1 << 20];
    size_t mdn = fread(md, 1, sizeof md - 1, mf);
    fclose(mf);
    md[mdn] = '\0';
    static const char *const md_has[] = {"### Incident ",
                                         "grade III 较大",
                                         "- Deciding criterion: 附件1 较大(III)",
                                         "Reporting duties",
                                         "(unverified)",
                                         "Exceedance episodes",
                                         "## Risk sources",
                                         "## Stock ledger",
                                         "reserved matches the open reservations",
                                         "River velocities are "
                                         "hazlink assumptions (unverified)",
                                         "+08:00"};
    for (size_t m = 0; m < sizeof md_has / sizeof md_has[0]; m++)
        if (!strstr(md, md_has[m]))
            fail_msg("report.md lacks \"%s\"", md_has[m]);
    assert_int_equal(json_array_size(drill_harness_get(r, "problems")), 0);
    assert_true(json_is_number(drill_harness_get(sum, "trigger_to_all_ack_real_ms")));
    hazctl_shows_the_same(&h, r);
    drill_harness_done(&h);
}

static void test_bad_scenario_exits_2(void **state)
{
    (void)state;
    drill_harness h;
    drill_harness_init(&h, "drill_e2e_bad");
    drill_harness_run(&h, HL_TEST_DATA_DIR "/no-such-scenario.yaml", NULL, 20);
    assert_int_equal(h.exit_status, 2);
    assert_null(h.report);
    drill_harness_done(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_scenario_exits_2),
        cmocka_unit_test(test_benzene_drill),
    };
    return cmocka_run_group_tests_name("drill_e2e", tests, NULL, NULL);
}
