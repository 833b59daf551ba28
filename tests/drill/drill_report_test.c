/* drill_report_test — report.json and report.md built from constructed service records
 * (report.h): the incident's grade with its deciding criterion and reporting duties, each
 * risk source's grades, the ledger totals with their two checks, and the forecast at every
 * point; every unverified value says so in both, and every time is in Beijing time (+08:00).
 *
 * The figures are the Kuitun benzene drill's (playbooks/drills/kuitun-benzene.yaml): grade
 * III by 国家突发环境事件应急预案 (2014) 附件1 较大 "乡镇集中式饮用水水源地取水中断", the
 * initial report due within 4 h of discovery (突发环境事件信息报告办法, rows unverified), the
 * Dushanzi refinery a GB 18218-2018 major hazard source (苯 表1 序号57, 50 t).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define T0 INT64_C(1784080800000) /* 2026-07-15T10:00:00+08:00, the drill's start */
#define MIN(m) ((int64_t)(m)*60000)

#define assert_has(text, needle)                                                                   \
    do {                                                                                           \
        const char *t_ = (text);                                                                   \
        if (!t_ || !strstr(t_, (needle)))                                                          \
            fail_msg("missing \"%s\" in:\n%s", (needle), t_ ? t_ : "(null)");                      \
    } while (0)

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The records of one drill, all in static storage. */
typedef struct world {
    drill_scenario sc;
    drill_run_info ri;
    drill_facts f;
    Hl__Incident inc;
    Hl__Incident *incp[1];
    Hl__GradeCriterion dec;
    Hl__GradeCriterion *met[1];
    Hl__IncidentFacts facts;
    char *unknown[1];
    Hl__ReportDuty initial;
    Hl__ReportDuty *reps[1];
    Hl__IncidentEpisode ep;
    Hl__IncidentEpisode *eps[1];
    Hl__Plan plan;
    Hl__Plan *planp[1];
    Hl__ForecastPoint pt;
    Hl__ForecastPoint *ptp[1];
    Hl__RiskSource src;
    Hl__RiskSource *srcp[1];
    Hl__Hj941Result hj;
    Hl__Gb18218Result gb;
    Hl__LedgerTotals ledger;
    Hl__LedgerTotal line;
    Hl__LedgerTotal *linep[1];
    Hl__Reservation res;
    Hl__Reservation *resp[1];
    Hl__ReservationLine rl;
    Hl__ReservationLine *rlp[1];
} world;

static world W;

static void world_build(void)
{
    memset(&W, 0, sizeof W);
    snprintf(W.sc.name, sizeof W.sc.name, "benzene");
    snprintf(W.sc.start_text, sizeof W.sc.start_text, "2026-07-15T10:00:00+08:00");
    W.sc.start_ms = T0;
    W.sc.duration_s = 7200;
    W.ri.sc = &W.sc;
    W.ri.mode = "started";
    W.ri.scale = 600;
    W.ri.start_ms = T0;
    W.ri.end_ms = T0 + MIN(104);
    W.ri.ack_delay_override = -2;

    hl__incident__init(&W.inc);
    W.inc.id = "inc-1";
    W.inc.origin = "report";
    W.inc.station_id = "st-dsz-down";
    W.inc.opened_ms = T0 + MIN(5);
    W.inc.grade = "III";
    W.inc.grade_name = "较大";
    hl__grade_criterion__init(&W.dec);
    W.dec.grade = "III";
    W.dec.fact = "drinking_water_interruption";
    W.dec.verified = 1;
    W.dec.cite = "附件1 较大(III) drinking_water_interruption: 乡镇集中式饮用水水源地取水中断";
    W.met[0] = &W.dec;
    W.inc.deciding = &W.dec;
    W.inc.criteria_met = W.met;
    W.inc.n_criteria_met = 1;
    hl__incident_facts__init(&W.facts);
    W.facts.deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
    W.facts.deaths = 0;
    W.facts.drinking_known_case = HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION;
    W.facts.drinking_water_interruption = "town";
    W.inc.facts = &W.facts;
    W.unknown[0] = "direct_economic_loss";
    W.inc.facts_unknown = W.unknown;
    W.inc.n_facts_unknown = 1;
    hl__report_duty__init(&W.initial);
    W.initial.id = "initial";
    W.initial.kind = "initial";
    W.initial.state = "due";
    W.initial.grade = "III";
    W.initial.due_ms = T0 + MIN(5);
    W.initial.deadline_ms = T0 + MIN(5) + MIN(240);
    W.initial.clause = "第三条第二款";
    W.initial.verified = 0;
    W.reps[0] = &W.initial;
    W.inc.reports = W.reps;
    W.inc.n_reports = 1;
    W.inc.grading_unverified = 1;
    hl__incident_episode__init(&W.ep);
    W.ep.station_id = "st-dsz-down";
    W.ep.chainage_km = 25;
    W.ep.first_ms = T0 + MIN(30);
    W.ep.count = 6;
    W.ep.linked = 1;
    W.ep.link_reason = "same 苯 as reported incident inc-1";
    W.eps[0] = &W.ep;
    W.inc.episodes = W.eps;
    W.inc.n_episodes = 1;
    W.incp[0] = &W.inc;

    hl__plan__init(&W.plan);
    W.plan.id = "pl-inc-1";
    W.plan.incident_id = "inc-1";
    W.plan.velocities_unverified = 1;
    hl__forecast_point__init(&W.pt);
    W.pt.point_id = "sp-kuitun-res";
    W.pt.kind = "space";
    W.pt.chainage_km = 66;
    W.pt.arrival_ms = T0 + MIN(961);
    W.pt.front_ms = T0 + MIN(608);
    W.pt.peak_ms = T0 + MIN(945);
    W.pt.peak_mg_l = 0.99;
    W.pt.concentration_known = 1;
    W.pt.clear_ms = T0 + MIN(1472);
    W.pt.ready_in_time = 1;
    W.pt.holds = 1;
    W.pt.volume_m3 = 1492410;
    W.pt.capacity_m3 = 5e6;
    W.pt.threatened = 1;
    W.ptp[0] = &W.pt;
    W.plan.points = W.ptp;
    W.plan.n_points = 1;
    W.planp[0] = &W.plan;

    hl__risk_source__init(&W.src);
    W.src.id = "rs-dsz-petro";
    hl__hj941_result__init(&W.hj);
    W.hj.graded = 1;
    W.hj.level = "重大";
    W.hj.label = "重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)]";
    W.hj.q = 840;
    W.hj.q_band = "Q3";
    W.hj.unverified = 1;
    W.hj.inputs_assumed = 1;
    hl__gb18218_result__init(&W.gb);
    W.gb.s = 614.4;
    W.gb.major = 1;
    W.gb.graded = 1;
    W.gb.r = 1228.8;
    W.gb.grade = 1;
    W.gb.grade_name = "一级";
    W.gb.r_alt = 700;
    W.gb.grade_alt = 2;
    W.gb.depends_on_disputed = 1;
    W.src.hj941 = &W.hj;
    W.src.gb18218 = &W.gb;
    W.srcp[0] = &W.src;

    /* dp-kuitun activated carbon: 20 t received, 20 t reserved by rsv-1 (on hand 20). */
    hl__ledger_totals__init(&W.ledger);
    W.ledger.as_of_ms = W.ri.end_ms;
    hl__ledger_total__init(&W.line);
    W.line.depot_id = "dp-kuitun";
    W.line.material_id = "activated-carbon";
    W.line.unit = "t";
    W.line.received = 20;
    W.line.reserved = 20;
    W.line.on_hand = 20;
    W.line.minimum = 4;
    W.line.below_minimum = 1;
    W.line.quantity_assumed = 1;
    W.linep[0] = &W.line;
    W.ledger.items = W.linep;
    W.ledger.n_items = 1;
    hl__reservation__init(&W.res);
    W.res.id = "rsv-1";
    W.res.state = "reserved";
    hl__reservation_line__init(&W.rl);
    W.rl.depot_id = "dp-kuitun";
    W.rl.material_id = "activated-carbon";
    W.rl.quantity = 20;
    W.rlp[0] = &W.rl;
    W.res.lines = W.rlp;
    W.res.n_lines = 1;
    W.resp[0] = &W.res;

    W.f.incidents = W.incp;
    W.f.n_incidents = 1;
    W.f.plans = W.planp;
    W.f.n_plans = 1;
    W.f.sources = W.srcp;
    W.f.n_sources = 1;
    W.f.ledger = &W.ledger;
    W.f.reservations = W.resp;
    W.f.n_reservations = 1;
}

static char *markdown(const json_t *doc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    assert_int_equal(drill_report_markdown(doc, m), 0);
    assert_int_equal(fclose(m), 0);
    return text;
}

static void test_grade_and_duties(void **state)
{
    (void)state;
    world_build();
    json_t *doc = drill_report_json(&W.ri, &W.f, NULL, 0);
    assert_non_null(doc);
    json_t *inc = json_array_get(json_object_get(doc, "incidents"), 0);
    assert_string_equal(jstr(inc, "grade"), "III");
    assert_string_equal(jstr(json_object_get(inc, "deciding"), "cite"), W.dec.cite);
    /* A fact known to be 0 is there; a fact not known is absent (not 0). */
    json_t *facts = json_object_get(inc, "facts");
    assert_true(json_is_integer(json_object_get(facts, "deaths")));
    assert_null(json_object_get(facts, "evacuated"));
    /* The duty's deadline: discovery (00:05) + 4 h, in +08:00 and as an offset. */
    json_t *d = json_array_get(json_object_get(inc, "reports"), 0);
    assert_string_equal(jstr(d, "deadline"), "2026-07-15T14:05:00+08:00");
    assert_string_equal(jstr(d, "deadline_offset"), "+04:05:00");
    assert_true(json_is_true(json_object_get(inc, "unverified")));
    json_t *sum = json_object_get(doc, "summary");
    assert_has(json_string_value(json_array_get(json_object_get(sum, "incident_grades"), 0)),
               "inc-1: III 较大 (附件1 较大(III) drinking_water_interruption");

    char *md = markdown(doc);
    assert_has(md, "### Incident inc-1 — grade III 较大");
    assert_has(md, "- Deciding criterion: 附件1 较大(III) drinking_water_interruption: "
                   "乡镇集中式饮用水水源地取水中断\n");
    assert_has(md, "- Facts known: deaths 0; drinking_water_interruption town\n");
    assert_has(md, "- Facts not reported yet (the grade may still rise): direct_economic_loss\n");
    assert_has(md, "*A criterion or a reporting duty shown here comes from a row marked "
                   "unverified.*");
    assert_has(md, "| initial (initial) | due | III | 2026-07-15T10:05:00+08:00 (+00:05:00) | "
                   "2026-07-15T14:05:00+08:00 (+04:05:00) | — |");
    assert_has(md, "| 第三条第二款 (unverified) |");
    assert_has(md, "| st-dsz-down | 25 |");
    assert_has(md, "yes: same 苯 as reported incident inc-1 |");
    free(md);
    json_decref(doc);

    /* A criterion from a row marked unverified says so, even when its cite does not. */
    W.dec.verified = 0;
    doc = drill_report_json(&W.ri, &W.f, NULL, 0);
    md = markdown(doc);
    assert_has(md, "乡镇集中式饮用水水源地取水中断 (unverified)\n");
    free(md);
    json_decref(doc);
}

static void test_sources_ledger_forecast(void **state)
{
    (void)state;
    world_build();
    json_t *doc = drill_report_json(&W.ri, &W.f, NULL, 0);
    json_t *src = json_array_get(json_object_get(doc, "sources"), 0);
    assert_string_equal(jstr(json_object_get(src, "gb18218"), "grade_name"), "一级");
    json_t *flags = json_object_get(src, "flags");
    assert_int_equal(json_array_size(flags), 3);
    assert_has(json_string_value(json_array_get(flags, 0)), "HJ 941-2018 level rests on rows "
                                                            "marked unverified");
    assert_has(json_string_value(json_array_get(flags, 2)),
               "GB 18218-2018 grade depends on a disputed beta: 一级 (R 1229) with the higher "
               "reading, grade 2 (R 700) with the lower");
    json_t *ledger = json_object_get(doc, "ledger");
    assert_true(json_is_true(json_object_get(ledger, "balanced")));
    assert_true(json_is_true(json_object_get(ledger, "reserved_matches_reservations")));
    assert_string_equal(jstr(ledger, "as_of"), "2026-07-15T11:44:00+08:00");
    json_t *pt = json_array_get(
        json_object_get(json_array_get(json_object_get(doc, "plans"), 0), "forecast"), 0);
    assert_true(json_is_true(json_object_get(pt, "velocities_unverified")));
    assert_string_equal(jstr(pt, "front"), "2026-07-15T20:08:00+08:00");
    char *md = markdown(doc);
    assert_has(
        md, "| rs-dsz-petro  |  | 0 | 重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)] (unverified) | "
            "840 (Q3) | 614.4 | yes | 1229 | 一级 (disputed β: see flags) |");
    assert_has(md, "- *HJ 941-2018 M and E inputs are hazlink assumptions*");
    assert_has(md, "every line's on hand equals the sum of its movements; reserved matches the "
                   "open reservations.");
    assert_has(md, "| dp-kuitun | activated-carbon | t | 20 | 0 | 0 | 0 | 0 / 0 | 0 | 0 / 0 | 20 | "
                   "20 | 0 | 0 | 4 | **below minimum**; opening stock assumed |");
    assert_has(md, "*River velocities are hazlink assumptions (unverified): every arrival, peak "
                   "and clear time is an estimate.*");
    assert_has(md, "| sp-kuitun-res  | space | 66 |  | 2026-07-16T02:01:00+08:00 (+16:01:00) | "
                   "2026-07-15T20:08:00+08:00 (+10:08:00) |");
    assert_has(md, "| 0.99 | 2026-07-16T10:32:00+08:00 (+24:32:00) | yes | yes | yes (1492410 / "
                   "5000000) | model | unverified |");
    free(md);
    json_decref(doc);

    /* A ledger that does not add up, or holds more reserved than the reservations: the
     * checks fail and the markdown says where. */
    W.line.on_hand = 19;
    W.line.reserved = 15;
    doc = drill_report_json(&W.ri, &W.f, NULL, 0);
    ledger = json_object_get(doc, "ledger");
    assert_false(json_is_true(json_object_get(ledger, "balanced")));
    assert_false(json_is_true(json_object_get(ledger, "reserved_matches_reservations")));
    md = markdown(doc);
    assert_has(md, "does NOT equal the sum of its movements; reserved does NOT match");
    assert_has(md, "**movements sum to 20**; **reservations hold 20**");
    free(md);
    json_decref(doc);

    /* No ledger answer: said so. */
    W.f.ledger = NULL;
    doc = drill_report_json(&W.ri, &W.f, NULL, 0);
    assert_true(json_is_null(json_object_get(doc, "ledger")));
    md = markdown(doc);
    assert_has(md, "The stock service did not answer stock.ledger.");
    free(md);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grade_and_duties),
        cmocka_unit_test(test_sources_ledger_forecast),
    };
    return cmocka_run_group_tests_name("drill_report", tests, NULL, NULL);
}
