/* hazctl_render_test — hazctl's text and JSON output from constructed payload messages
 * (hctl_render.h): table columns, Beijing-time (+08:00) times, JSON field names, and the
 * unverified flags that must reach the duty officer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hctl_args.h"
#include "hctl_render.h"

/* 2026-07-14T18:00:00Z = 2026-07-15T02:00:00+08:00: the Beijing date differs from the UTC
 * date, so a time shown without the +08:00 shift would be caught. */
#define T0 1784052000000LL
#define T0_BJ "2026-07-15T02:00:00+08:00"
/* T0 + 35 min */
#define T1 (T0 + 35LL * 60 * 1000)
#define T1_BJ "2026-07-15T02:35:00+08:00"

#define BJ HL_TZ_BEIJING_MIN

/* The first line of text (the header of a table) into buf. */
static const char *first_line(const char *s, char *buf, size_t n)
{
    const char *nl = strchr(s, '\n');
    size_t len = nl ? (size_t)(nl - s) : strlen(s);
    if (len >= n)
        len = n - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

/* Assert that the header line has exactly these column names, in order, separated by runs of
 * at least two spaces. */
static void assert_columns(const char *text, const char *const *cols, size_t n)
{
    char line[1024];
    first_line(text, line, sizeof line);
    const char *p = line;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(cols[i]);
        if (strncmp(p, cols[i], len) != 0)
            fail_msg("column %zu: want '%s' at '%s' (header '%s')", i, cols[i], p, line);
        p += len;
        if (i + 1 < n) {
            if (strncmp(p, "  ", 2) != 0)
                fail_msg("no gap after column '%s'", cols[i]);
            while (*p == ' ')
                p++;
        }
    }
    assert_string_equal(p, "");
}

/* strstr with the whole text in the failure message. */
#define assert_has(text, needle)                                                                   \
    do {                                                                                           \
        const char *t_ = (text);                                                                   \
        if (!strstr(t_, (needle)))                                                                 \
            fail_msg("missing:\n%s\nin:\n%s", (needle), t_);                                       \
    } while (0)

static char *json_text(json_t *j)
{
    assert_non_null(j);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_non_null(s);
    json_decref(j);
    return s;
}

/* ---- helpers ---- */

static void test_time_and_level_strings(void **state)
{
    (void)state;
    char b[40];
    assert_string_equal(hctl_time_str(T0, BJ, b, sizeof b), T0_BJ);
    assert_string_equal(hctl_time_str(T0, 0, b, sizeof b), "2026-07-14T18:00:00+00:00");
    assert_string_equal(hctl_time_str(0, BJ, b, sizeof b), "-"); /* 0 = not set */
    static const struct {
        const char *in, *out;
    } lv[] = {{"红", "红 red"},  {"red", "红 red"}, {"ORANGE", "橙 orange"}, {"黄", "黄 yellow"},
              {"蓝", "蓝 blue"}, {"", "-"},         {"purple", "purple"}};
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
        assert_string_equal(hctl_level_str(lv[i].in), lv[i].out);
    assert_string_equal(hctl_level_str(NULL), "-");
    assert_string_equal(hctl_num_str(0.01, b, sizeof b), "0.01");
    assert_string_equal(hctl_num_str(34.0, b, sizeof b), "34");
    assert_string_equal(hctl_num_str(-0.0, b, sizeof b), "0");
    assert_string_equal(hctl_num_str(1.0 / 0.0, b, sizeof b), "-");
    assert_string_equal(hctl_code_name(HL_ENOTFOUND), "HL_ENOTFOUND");
    assert_string_equal(hctl_code_name(HL_EUNIT), "HL_EUNIT");
    assert_string_equal(hctl_code_name(-999), "unknown code");
}

/* ---- status ---- */

static void test_status_table_and_json(void **state)
{
    (void)state;
    Hl__ServiceStatus st = HL__SERVICE_STATUS__INIT;
    st.service = "alert";
    st.started_ms = T0;
    st.now_ms = T1;
    st.requests = 42;
    st.errors = 3;
    st.bad_messages = 2;
    st.outbox_pending = 1;
    st.records = 7;
    st.clock_scale = 60;
    hctl_svc_view v[2] = {
        {"alert", "tcp://127.0.0.1:7100", &st, NULL},
        {"dispatch", "tcp://127.0.0.1:7140", NULL,
         "did not answer at tcp://127.0.0.1:7140 within 2000 ms"},
    };
    hctl_buf b = {0};
    assert_int_equal(hctl_render_status(v, 2, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"SERVICE",  "STATE",  "ENDPOINT", "REQUESTS", "ERRORS",
                                 "BAD MSGS", "OUTBOX", "RECORDS",  "STARTED",  "CLOCK"};
    assert_columns(s, cols, 10);
    assert_has(s, "alert     up     tcp://127.0.0.1:7100");
    assert_has(s, T0_BJ "  x60 (drill)");
    assert_has(s, "dispatch  DOWN   tcp://127.0.0.1:7140");
    assert_has(s, "1 of 2 services up\n");
    assert_has(s, "dispatch did not answer at tcp://127.0.0.1:7140 within 2000 ms\n");
    /* The counters are right-aligned under their headers: "REQUESTS" is 8 wide, "42" ends it. */
    assert_has(s, "tcp://127.0.0.1:7100        42       3         2       1        7");
    hctl_buf_free(&b);

    char *j = json_text(hctl_json_status(v, 2, BJ));
    assert_has(j, "\"services\":[{\"service\":\"alert\",\"endpoint\":"
                  "\"tcp://127.0.0.1:7100\",\"up\":true,\"problem\":null,"
                  "\"status\":{\"service\":\"alert\",\"now_ms\":");
    assert_has(j, "\"started_ms\":1784052000000,\"started_at\":\"" T0_BJ "\"");
    assert_has(j, "\"requests\":42,\"errors\":3,\"bad_messages\":2,"
                  "\"outbox_pending\":1,\"records\":7,\"clock_scale\":60.0");
    assert_has(j, "{\"service\":\"dispatch\",\"endpoint\":\"tcp://127.0.0.1:7140\","
                  "\"up\":false,\"problem\":\"did not answer at "
                  "tcp://127.0.0.1:7140 within 2000 ms\",\"status\":null}");
    assert_has(j, "\"up\":1,\"down\":1}");
    free(j);
}

/* ---- reading ---- */

static void test_reading_result(void **state)
{
    (void)state;
    /* Benzene 0.35 mg/L against GB 3838-2002 表3 item 19 (苯, 0.01 mg/L): 超标倍数 =
     * (0.35 - 0.01) / 0.01 = 34. */
    Hl__ReadingResult r = HL__READING_RESULT__INIT;
    r.exceeded = 1;
    r.value_mg_l = 0.35;
    r.limit_mg_l = 0.01;
    r.multiple = 34;
    r.limit_source = "GB 3838-2002 表3 item 19";
    r.incident_id = "inc-1";
    r.incident_opened = 1;
    r.alert_id = "al-1";
    r.warning_level = "红";
    r.checked = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_reading(&r, BJ, &b), 0);
    const char *want = "exceeded       YES\n"
                       "value          0.35 mg/L\n"
                       "limit          0.01 mg/L (GB 3838-2002 表3 item 19)\n"
                       "multiple       34 (超标倍数 = (value - limit) / limit)\n"
                       "incident       inc-1 (opened by this reading)\n"
                       "alert          al-1\n"
                       "warning level  红 red\n";
    assert_string_equal(hctl_buf_str(&b), want);
    hctl_buf_free(&b);

    /* Within the limit: no incident, no level. */
    Hl__ReadingResult ok = HL__READING_RESULT__INIT;
    ok.value_mg_l = 0.004;
    ok.limit_mg_l = 0.01;
    ok.limit_source = "GB 3838-2002 表3 item 19";
    ok.checked = 1;
    assert_int_equal(hctl_render_reading(&ok, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "exceeded       no\n");
    assert_has(hctl_buf_str(&b), "incident       -\n");
    assert_has(hctl_buf_str(&b), "warning level  -\n");
    hctl_buf_free(&b);

    /* Nothing compared (no limit at this section): said so, with the reason. */
    Hl__ReadingResult nc = HL__READING_RESULT__INIT;
    nc.value_mg_l = 0.2;
    nc.limit_source = "no GB 3838-2002 limit for 'xylene-ish' at this section";
    assert_int_equal(hctl_render_reading(&nc, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "exceeded       not checked\n");
    assert_has(hctl_buf_str(&b),
               "limit          none applied (no GB 3838-2002 limit for 'xylene-ish' at this "
               "section)\n");
    hctl_buf_free(&b);

    /* An exceedance that attached to the release a person reported upstream says so, with
     * the alert service's reason (services/alert/link.h). */
    Hl__ReadingResult ln = r;
    ln.incident_opened = 0;
    ln.linked = 1;
    ln.link_reason = "same 苯 as reported incident inc-1, released at km 22.0";
    assert_int_equal(hctl_render_reading(&ln, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "incident       inc-1 (attached to the release reported upstream: "
                                 "same 苯 as reported incident inc-1, released at km 22.0)\n");
    hctl_buf_free(&b);

    /* JSON: the proto field names, in proto order, the values unchanged. */
    char *j = json_text(hctl_json_message(&r.base, BJ));
    assert_has(j, "{\"exceeded\":true,\"value_mg_l\":0.34999999999999998,"
                  "\"limit_mg_l\":0.01,\"multiple\":34.0,\"limit_source\":"
                  "\"GB 3838-2002 表3 item 19\",\"incident_id\":\"inc-1\","
                  "\"incident_opened\":true,\"alert_id\":\"al-1\","
                  "\"warning_level\":\"红\"");
    assert_has(j, "\"checked\":true");
    free(j);
}

/* ---- incidents and alerts ---- */

static void fill_incident(Hl__Incident *i, char **ups)
{
    i->id = "inc-1";
    i->state = "open";
    i->origin = "reading";
    i->station_id = "st-dsz-down";
    i->section_id = "sec-dsz";
    i->parameter = "苯";
    i->chainage_km = 25;
    i->opened_ms = T0;
    i->first_exceedance_ms = T0;
    i->last_reading_ms = T1;
    i->reading_count = 3;
    i->peak_value_mg_l = 0.35;
    i->peak_ms = T1;
    i->limit_mg_l = 0.01;
    i->limit_source = "GB 3838-2002 表3 item 19";
    i->warning_level = "红";
    i->jurisdiction = "local";
    i->alert_count = 2;
    i->latest_alert_id = "al-2";
    ups[0] = "rs-dsz-petro";
    ups[1] = "rs-kd-etdz";
    i->upstream_source_ids = ups;
    i->n_upstream_source_ids = 2;
}

static void test_incidents(void **state)
{
    (void)state;
    Hl__Incident inc = HL__INCIDENT__INIT;
    char *ups[2];
    fill_incident(&inc, ups);
    Hl__Incident *arr[1] = {&inc};
    Hl__IncidentList l = HL__INCIDENT_LIST__INIT;
    l.incidents = arr;
    l.n_incidents = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_incidents(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"ID",        "STATE",      "ORIGIN",  "STATION",
                                 "PARAMETER", "KM",         "OPENED",  "READINGS",
                                 "PEAK mg/L", "LIMIT mg/L", "LEVEL",   "GRADE",
                                 "ALERTS",    "SIDE",       "REPORTS", "UPSTREAM SOURCES"};
    assert_columns(s, cols, 16);
    assert_has(s, "inc-1  open   reading  st-dsz-down  苯         ");
    assert_has(s, T0_BJ);
    assert_has(s, "红 red");
    assert_has(s, "rs-dsz-petro, rs-kd-etdz\n");
    /* Not graded (a record from before grading): said, not left blank. */
    assert_has(s, "not graded");
    hctl_buf_free(&b);

    /* The single-record view (hazctl report) names every field in words. */
    assert_int_equal(hctl_render_incident(&inc, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "incident          inc-1\n");
    assert_has(s, "opened            " T0_BJ "\n");
    assert_has(s, "peak              0.35 mg/L at " T1_BJ "\n");
    assert_has(s, "limit             0.01 mg/L (GB 3838-2002 表3 item 19)\n");
    assert_has(s, "alerts            2 (latest al-2)\n");
    assert_has(s, "episode ended     not yet\n");
    assert_has(s, "release           mass unknown\n");
    hctl_buf_free(&b);

    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "{\"incidents\":[{\"id\":\"inc-1\",\"state\":\"open\","
                  "\"origin\":\"reading\",\"station_id\":\"st-dsz-down\","
                  "\"parameter\":\"苯\",\"chainage_km\":25.0,"
                  "\"opened_ms\":1784052000000,\"opened_at\":\"" T0_BJ "\",");
    assert_has(j, "\"upstream_source_ids\":[\"rs-dsz-petro\",\"rs-kd-etdz\"]");
    /* A time of 0 (not set) is null in its _at twin. */
    assert_has(j, "\"reading_count\":3");
    free(j);

    Hl__IncidentList empty = HL__INCIDENT_LIST__INIT;
    assert_int_equal(hctl_render_incidents(&empty, BJ, &b), 0);
    assert_string_equal(hctl_buf_str(&b), "no incidents\n");
    hctl_buf_free(&b);
    j = json_text(hctl_json_message(&empty.base, BJ));
    assert_string_equal(j, "{\"incidents\":[]}");
    free(j);
}

/* The grade of the Kuitun drill's incident (国家突发环境事件应急预案 2014 附件1): III 较大,
 * decided by the 较大 row "乡镇集中式饮用水水源地取水中断"; the 一般 (IV) cross-county row is
 * met too (constructed here as unverified to show the flag travels). Reporting duties per
 * 突发环境事件信息报告办法 (every row unverified in playbooks/reference/reporting_duties.csv):
 * the initial report of a IV/III incident within 4 h of discovery. */
typedef struct graded {
    Hl__GradeCriterion dec, cross, officer;
    Hl__GradeCriterion *met[2];
    Hl__IncidentFacts facts;
    char *unknown[2];
    Hl__ReportDuty initial, notice, final;
    Hl__ReportDuty *reps[3];
    Hl__IncidentEpisode ep;
    Hl__IncidentEpisode *eps[1];
    Hl__GradeChange h1, h2;
    Hl__GradeChange *hist[2];
} graded;

static void fill_grade(Hl__Incident *i, graded *g)
{
    hl__grade_criterion__init(&g->dec);
    g->dec.grade = "III";
    g->dec.grade_name = "较大";
    g->dec.type = "drinking_water_interruption";
    g->dec.fact = "drinking_water_interruption";
    g->dec.value = "town";
    g->dec.verified = 1;
    g->dec.cite = "附件1 较大(III) drinking_water_interruption: 乡镇集中式饮用水水源地取水中断";
    hl__grade_criterion__init(&g->cross);
    g->cross.grade = "IV";
    g->cross.fact = "cross_boundary";
    g->cross.cite = "附件1 一般(IV) cross_boundary: 跨县级行政区域";
    g->met[0] = &g->dec;
    g->met[1] = &g->cross;
    hl__incident_facts__init(&g->facts);
    g->facts.deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
    g->facts.deaths = 0; /* known: nobody died (not the same as unknown) */
    g->facts.drinking_known_case = HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION;
    g->facts.drinking_water_interruption = "town";
    g->facts.basis = "131团 by telephone";
    g->unknown[0] = "direct_economic_loss";
    g->unknown[1] = "ecology";
    hl__report_duty__init(&g->initial);
    g->initial.id = "initial";
    g->initial.kind = "initial";
    g->initial.state = "due";
    g->initial.grade = "III";
    g->initial.due_ms = T0;
    g->initial.deadline_ms = T0 + 4LL * 3600 * 1000;
    g->initial.recipient = "上一级人民政府环境保护主管部门";
    g->initial.clause = "第三条第二款";
    g->initial.why = "incident discovered";
    hl__report_duty__init(&g->notice);
    g->notice.id = "notice";
    g->notice.kind = "notice";
    g->notice.state = "overdue";
    g->notice.grade = "III";
    g->notice.due_ms = T0;
    g->notice.deadline_ms = T1;
    g->notice.clause = "第八条";
    hl__report_duty__init(&g->final);
    g->final.id = "final";
    g->final.kind = "final";
    g->final.state = "pending";
    g->final.grade = "III";
    g->final.clause = "第十二条";
    g->reps[0] = &g->initial;
    g->reps[1] = &g->notice;
    g->reps[2] = &g->final;
    hl__incident_episode__init(&g->ep);
    g->ep.station_id = "st-dsz-down";
    g->ep.chainage_km = 25;
    g->ep.jurisdiction = "local";
    g->ep.first_ms = T0;
    g->ep.last_ms = T1;
    g->ep.count = 6;
    g->ep.peak_value_mg_l = 0.96;
    g->ep.peak_multiple = 95;
    g->ep.linked = 1;
    g->ep.link_reason = "same 苯 as reported incident inc-1";
    g->eps[0] = &g->ep;
    hl__grade_change__init(&g->h1);
    g->h1.at_ms = T0;
    g->h1.actor = "dsz-petro-ert";
    g->h1.to = "IV";
    g->h1.criterion = "附件1 一般(IV) catch_all";
    g->h1.automatic = 1;
    hl__grade_change__init(&g->h2);
    g->h2.at_ms = T1;
    g->h2.actor = "hazdrill";
    g->h2.from = "IV";
    g->h2.to = "III";
    g->h2.criterion = g->dec.cite;
    g->h2.automatic = 1;
    g->hist[0] = &g->h1;
    g->hist[1] = &g->h2;
    i->grade = "III";
    i->grade_name = "较大";
    i->grade_by_facts = "III";
    i->deciding = &g->dec;
    i->criteria_met = g->met;
    i->n_criteria_met = 2;
    i->facts = &g->facts;
    i->facts_unknown = g->unknown;
    i->n_facts_unknown = 2;
    i->reports = g->reps;
    i->n_reports = 3;
    i->episodes = g->eps;
    i->n_episodes = 1;
    i->grade_history = g->hist;
    i->n_grade_history = 2;
    i->grading_unverified = 1;
    i->grading_source = "国家突发环境事件应急预案 (国办函〔2014〕119号) 附件1";
    i->discovered_ms = T0;
}

#define T4_BJ "2026-07-15T06:00:00+08:00" /* T0 + 4 h */

static void test_incident_grade_and_duties(void **state)
{
    (void)state;
    Hl__Incident inc = HL__INCIDENT__INIT;
    char *ups[2];
    graded g;
    fill_incident(&inc, ups);
    fill_grade(&inc, &g);
    Hl__Incident *arr[1] = {&inc};
    Hl__IncidentList l = HL__INCIDENT_LIST__INIT;
    l.incidents = arr;
    l.n_incidents = 1;

    /* The list: the grade in its column, each duty's state, and under the table the
     * deciding criterion and each duty's deadline in +08:00. */
    hctl_buf b = {0};
    assert_int_equal(hctl_render_incidents(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "  III 较大  ");
    assert_has(s, "initial due, notice OVERDUE, final pending");
    assert_has(s, "inc-1  grade III 较大, decided by 附件1 较大(III) drinking_water_interruption: "
                  "乡镇集中式饮用水水源地取水中断; 2 facts not known yet\n");
    assert_has(s, "       reports: initial due by " T4_BJ "; notice OVERDUE by " T1_BJ
                  "; final pending (duty rows unverified)\n");
    assert_has(s, "hazctl incidents --id ID");
    hctl_buf_free(&b);

    /* One incident in full. */
    assert_int_equal(hctl_render_incident_details(&l, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "grade             III 较大\n");
    assert_has(s, "decided by        附件1 较大(III) drinking_water_interruption: "
                  "乡镇集中式饮用水水源地取水中断\n");
    assert_has(s, "grade by facts    III\n");
    /* A criterion whose row is unverified says so. */
    assert_has(s, "criteria met      附件1 较大(III) drinking_water_interruption: "
                  "乡镇集中式饮用水水源地取水中断; 附件1 一般(IV) cross_boundary: 跨县级行政区域 "
                  "(unverified)\n");
    /* Known facts only: deaths 0 is a fact, an unset one is not shown. */
    assert_has(s, "facts known       deaths 0; drinking_water_interruption town (basis: 131团 by "
                  "telephone)\n");
    assert_has(s, "facts unknown     direct_economic_loss, ecology (the grade may still rise)\n");
    assert_has(s, "(some rows shown are marked unverified)\n");
    assert_has(s, "discovered        " T0_BJ "\n");
    assert_has(s, "reporting duties (突发环境事件信息报告办法; state as of the reply):\n"
                  "REPORT   KIND     STATE    GRADE  DUE");
    assert_has(s, "initial  initial  due      III    " T0_BJ "  " T4_BJ);
    assert_has(s, "第三条第二款 (unverified)");
    assert_has(s, "notice   notice   OVERDUE  III    " T0_BJ "  " T1_BJ);
    assert_has(s, "final    final    pending  III    -                          no fixed time");
    assert_has(s, "exceedance episodes:\nSTATION      KM  SIDE   FIRST");
    assert_has(s, "st-dsz-down  25  local  " T0_BJ "  " T1_BJ "         6       0.96        95  "
                  "not yet  yes: same 苯 as reported incident inc-1\n");
    assert_has(s, "grade history:\n");
    assert_has(s, T1_BJ "  IV    III  hazdrill       by the facts  附件1 较大(III)");
    hctl_buf_free(&b);

    /* An officer's grade says who set it. */
    hl__grade_criterion__init(&g.officer);
    g.officer.type = "duty_officer";
    g.officer.verified = 1;
    g.officer.cite = "duty officer xj7-emb: the intake restarted";
    inc.deciding = &g.officer;
    inc.grade = "IV";
    inc.grade_name = "一般";
    assert_int_equal(hctl_render_incident(&inc, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "grade             IV 一般 (set by a duty officer)\n");
    assert_has(hctl_buf_str(&b), "decided by        duty officer xj7-emb: the intake restarted\n");
    hctl_buf_free(&b);

    /* JSON carries the known facts only (an unknown fact is absent, a known 0 is 0). */
    char *j = json_text(hctl_json_message(&inc.base, BJ));
    assert_has(j, "\"facts\":{\"incident_id\":\"\",\"deaths\":0,\"drinking_water_interruption\":"
                  "\"town\",\"actor\":\"\",\"basis\":\"131团 by telephone\"}");
    assert_has(j, "\"deadline_ms\":1784066400000,\"deadline_at\":\"" T4_BJ "\"");
    free(j);

    Hl__IncidentList empty = HL__INCIDENT_LIST__INIT;
    assert_int_equal(hctl_render_incident_details(&empty, BJ, &b), 0);
    assert_string_equal(hctl_buf_str(&b), "no incidents\n");
    hctl_buf_free(&b);
}

static void test_reported_incident_release(void **state)
{
    (void)state;
    Hl__Incident inc = HL__INCIDENT__INIT;
    inc.id = "inc-2";
    inc.origin = "report";
    inc.mass_kg = 5000;
    inc.duration_s = 1800;
    inc.source_id = "rs-dsz-petro";
    inc.description = "tank overflow\nto the outfall";
    hctl_buf b = {0};
    assert_int_equal(hctl_render_incident(&inc, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "release           5000 kg over 1800 s\n");
    /* A newline in free text stays inside its line. */
    assert_has(s, "description       tank overflow to the outfall\n");
    assert_has(s, "opened            -\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&inc.base, BJ));
    assert_has(j, "\"opened_ms\":0,\"opened_at\":null");
    assert_has(j, "\"description\":\"tank overflow\\nto the outfall\"");
    free(j);
}

static void test_alerts(void **state)
{
    (void)state;
    Hl__Alert a = HL__ALERT__INIT;
    a.id = "al-1";
    a.incident_id = "inc-1";
    a.warning_level = "橙";
    a.raised_ms = T0;
    a.station_id = "st-dsz-down";
    a.parameter = "苯";
    a.chainage_km = 25;
    a.value_mg_l = 0.12;
    a.limit_mg_l = 0.01;
    a.multiple = 11;
    a.release_chainage_km = 22;
    a.release_ms = T0;
    a.source_id = "rs-dsz-petro";
    a.limit_source = "GB 3838-2002 表3 item 19 苯 (unverified)"; /* as if the row were flagged */
    a.reason = "first exceedance";
    Hl__Alert *arr[1] = {&a};
    Hl__AlertList l = HL__ALERT_LIST__INIT;
    l.alerts = arr;
    l.n_alerts = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_alerts(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"ID",         "INCIDENT", "LEVEL",      "RAISED",     "STATION",
                                 "PARAMETER",  "KM",       "VALUE mg/L", "LIMIT mg/L", "MULTIPLE",
                                 "RELEASE KM", "SOURCE",   "REASON"};
    assert_columns(s, cols, 13);
    assert_has(s, "al-1  inc-1     橙 orange  " T0_BJ "  st-dsz-down");
    /* The unverified mark of the limit's row reaches the table. */
    assert_has(s, "0.01 (unverified)");
    assert_has(s, "rs-dsz-petro  first exceedance\n");
    hctl_buf_free(&b);
    assert_int_equal(hctl_render_alert(&a, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "warning level     橙 orange\n");
    assert_has(s, "release at        km 22, " T0_BJ "\n");
    assert_has(s, "limit             0.01 mg/L (GB 3838-2002 表3 item 19 苯 (unverified))\n");
    assert_has(s, "reason            first exceedance\n");
    hctl_buf_free(&b);
    a.reported = 1;
    assert_int_equal(hctl_render_alert(&a, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "release at        km 22, " T0_BJ " (as reported)\n");
    hctl_buf_free(&b);
}

/* ---- plans ---- */

static void test_plans_show_unverified_velocities(void **state)
{
    (void)state;
    Hl__ForecastPoint sp = HL__FORECAST_POINT__INIT;
    sp.point_id = "sp-xinqushou";
    sp.kind = "space";
    sp.name = "奎屯河新渠首";
    sp.chainage_km = 36;
    sp.front_ms = T1;
    sp.peak_ms = T1 + 600000;
    sp.peak_mg_l = 0.2;
    sp.threatened = 1;
    sp.ready_in_time = 1;
    Hl__ForecastPoint rc = HL__FORECAST_POINT__INIT;
    rc.point_id = "rc-ganjiahu";
    rc.kind = "receptor";
    rc.name = "甘家湖梭梭林国家级自然保护区";
    rc.chainage_km = 210;
    Hl__ForecastPoint *pts[2] = {&sp, &rc};
    char *tasks[3] = {"t1", "t2", "t3"};
    Hl__Plan p = HL__PLAN__INIT;
    p.id = "pl-1";
    p.incident_id = "inc-1";
    p.alert_id = "al-1";
    p.created_ms = T0;
    p.season = "summer";
    p.velocities_unverified = 1;
    p.chosen_space_id = "sp-xinqushou";
    p.chosen_space_name = "奎屯河新渠首";
    p.space_ready_in_time = 1;
    p.points = pts;
    p.n_points = 2;
    p.task_ids = tasks;
    p.n_task_ids = 3;
    p.reservation_id = "rv-1";
    p.reservation_state = "partial";
    p.parameter = "苯";
    p.release_chainage_km = 22;
    p.release_ms = T0;
    Hl__Plan *arr[1] = {&p};
    Hl__PlanList l = HL__PLAN_LIST__INIT;
    l.plans = arr;
    l.n_plans = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_plans(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "plan pl-1\n");
    assert_has(s, "  season        summer (velocities unverified: hazlink assumption)\n");
    assert_has(s, "  interception  sp-xinqushou 奎屯河新渠首 (ready before the front)\n");
    assert_has(s, "  release       苯 at km 22, " T0_BJ "\n");
    assert_has(s, "  reservation   rv-1 (partial)\n");
    assert_has(s, "  tasks         3\n");
    assert_has(s, "  POINT         KIND      NAME");
    assert_has(s, "  sp-xinqushou  space     奎屯河新渠首");
    assert_has(s, T1_BJ);
    /* A point the front never reaches says so; receptors have no readiness. */
    assert_has(s, "not reached");
    /* The caveat is said under the points as well as above them. */
    assert_has(s, "  (every time above is an estimate: the river velocities are hazlink "
                  "assumptions, unverified)\n");
    hctl_buf_free(&b);

    /* No space chosen: the fallback is what the officer reads. */
    p.chosen_space_id = "";
    p.fallback = "no space can be ready before the front; warn receptors downstream";
    p.velocities_unverified = 0;
    assert_int_equal(hctl_render_plans(&l, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "  interception  none: no space can be ready before the front;");
    assert_has(s, "  season        summer\n");
    hctl_buf_free(&b);

    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "\"velocities_unverified\":false");
    assert_has(j, "\"points\":[{\"point_id\":\"sp-xinqushou\",\"kind\":\"space\"");
    assert_has(j, "\"front_ms\":0,\"front_at\":null");
    assert_has(j, "\"task_ids\":[\"t1\",\"t2\",\"t3\"]");
    free(j);
}

/* The advection-dispersion forecast's figures at each point (playbook.proto, issue 4): the
 * columns, a space that cannot hold the plume, a concentration the model does not know, an
 * open-ended plume, a point re-anchored by a reading, and the plan's method and caveats. */
static void test_plan_forecast_points(void **state)
{
    (void)state;
    Hl__ForecastPoint sp = HL__FORECAST_POINT__INIT;
    sp.point_id = "sp-xinqushou";
    sp.kind = "space";
    sp.name = "奎屯河新渠首";
    sp.chainage_km = 36;
    sp.arrival_ms = T1;
    sp.front_ms = T0 + 1800000;
    sp.peak_ms = T1 + 600000;
    sp.peak_mg_l = 8.21;
    sp.concentration_known = 1;
    sp.clear_ms = T1 + 3600000;
    sp.threatened = 1;
    sp.ready_in_time = 1;
    sp.volume_m3 = 692022;
    sp.capacity_m3 = 500000;
    sp.holds = 0;
    Hl__ForecastPoint st = HL__FORECAST_POINT__INIT;
    st.point_id = "st-dsz-down";
    st.kind = "section";
    st.chainage_km = 25;
    st.arrival_ms = T0;
    st.front_ms = T0;
    st.peak_ms = T0 + 600000;
    st.threatened = 1;
    st.open_ended = 1;
    st.reanchored_by = "st-dsz-down";
    Hl__ForecastPoint res = HL__FORECAST_POINT__INIT;
    res.point_id = "sp-kuitun-res";
    res.kind = "space";
    res.chainage_km = 66;
    res.ready_in_time = 1;
    res.holds = 1;
    Hl__ForecastPoint *pts[3] = {&st, &sp, &res};
    Hl__Plan p = HL__PLAN__INIT;
    p.id = "pl-1";
    p.velocities_unverified = 1;
    p.chosen_space_id = "sp-kuitun-res";
    p.points = pts;
    p.n_points = 3;
    p.limit_mg_l = 0.01;
    p.source = "pulse";
    p.mass_kg = 2000;
    p.duration_s = 1800;
    p.method = "1-D advection-dispersion-decay (Ogata-Banks pulse)";
    p.forecast_caveats = "Velocities are hazlink assumptions (unverified)";
    p.dispersion_unverified = 1;
    p.spaces_passed_over = "sp-xinqushou (km 36): capacity 500000 m3 < 692022 m3 needed";
    p.updates = 2;
    p.updated_ms = T1;
    p.update_note = "model kept";
    Hl__Plan *arr[1] = {&p};
    Hl__PlanList l = HL__PLAN_LIST__INIT;
    l.plans = arr;
    l.n_plans = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_plans(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "  passed over   sp-xinqushou (km 36): capacity 500000 m3 < 692022 m3 needed\n");
    assert_has(s, "  limit         0.01 mg/L (front and clear are against it)\n");
    assert_has(s, "  source        pulse, 2000 kg over 1800 s\n");
    assert_has(s, "  method        1-D advection-dispersion-decay (Ogata-Banks pulse)\n");
    assert_has(s, "  caveats       Velocities are hazlink assumptions (unverified) (a dispersion "
                  "coefficient is unverified)\n");
    assert_has(s, "  re-anchored   2 times, last " T1_BJ ": model kept\n");
    /* The header: every figure of the forecast has its column. */
    char line[1024];
    const char *hdr = strstr(s, "  POINT");
    assert_non_null(hdr);
    first_line(hdr + 2, line, sizeof line);
    static const char *cols[] = {"POINT",   "KIND",       "NAME",          "KM",
                                 "ARRIVAL", "FRONT",      "PEAK",          "PEAK mg/L",
                                 "CLEAR",   "THREATENED", "READY IN TIME", "HOLDS (m3 / capacity)",
                                 "FROM"};
    assert_columns(line, cols, 13);
    /* The section: concentration unknown to the model, plume open-ended, re-anchored. */
    assert_has(s, "  st-dsz-down    section  -             25  " T0_BJ "  " T0_BJ
                  "  2026-07-15T02:10:00+08:00    unknown  open-ended ");
    assert_has(s, "  -              -                             st-dsz-down\n");
    /* The space that cannot hold the polluted water, with both volumes. */
    assert_has(s,
               "8.21  2026-07-15T03:35:00+08:00  yes         yes            NO (692022 / 500000) ");
    /* A space whose volume is unknown was not checked. */
    assert_has(s, "not reached");
    assert_has(s, "not checked (volume unknown)  model\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "\"holds\":false");
    assert_has(j, "\"arrival_ms\":"
                  "1784054100000"
                  ",\"arrival_at\":\"" T1_BJ "\"");
    assert_has(j, "\"dispersion_unverified\":true");
    free(j);
}

/* ---- tasks, reservations, stock, sources, units ---- */

static void test_tasks(void **state)
{
    (void)state;
    Hl__Task t = HL__TASK__INIT;
    /* A real task id (dispatch builds them from the plan): 64 bytes, shown whole because the
     * officer types it (hazpartner ack). */
    t.id = "pl-inc-001a22a5e1765b80151c6c62e7738-protect-rc-kuitun-gw-reg131";
    t.incident_id = "inc-1";
    t.unit_id = "reg-131";
    t.kind = "protect_receptor";
    t.state = "acknowledged";
    t.title = "Close the intake of 奎屯水源地";
    t.due_ms = T1;
    t.acknowledged_ms = T0;
    t.actor = "reg-131";
    Hl__Task d = HL__TASK__INIT;
    d.id = "tk-2";
    d.unit_id = "kt-eeb";
    d.kind = "notify_counterpart";
    d.state = "declined";
    d.reason = "not our jurisdiction";
    Hl__Task *arr[2] = {&t, &d};
    Hl__TaskList l = HL__TASK_LIST__INIT;
    l.tasks = arr;
    l.n_tasks = 2;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_tasks(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"ID",  "INCIDENT",     "UNIT",  "KIND",  "STATE",
                                 "DUE", "ACKNOWLEDGED", "ACTOR", "TITLE", "REASON"};
    assert_columns(s, cols, 10);
    assert_has(s, "pl-inc-001a22a5e1765b80151c6c62e7738-protect-rc-kuitun-gw-reg131  inc-1     "
                  "reg-131  protect_receptor    acknowledged  " T1_BJ "  " T0_BJ
                  "  reg-131  Close the intake of 奎屯水源地  -\n");
    assert_has(s, "not our jurisdiction\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "\"acknowledged_ms\":1784052000000,\"acknowledged_at\":\"" T0_BJ);
    assert_has(j, "\"seq\":0,\"delivery_attempts\":0");
    free(j);
}

static void test_reservations_show_shortfall_and_flags(void **state)
{
    (void)state;
    Hl__ReservationLine ln = HL__RESERVATION_LINE__INIT;
    ln.material_id = "activated-carbon";
    ln.material_name = "活性炭";
    ln.depot_id = "dp-kuitun";
    ln.depot_name = "奎屯市环境应急物资库";
    ln.quantity = 20;
    ln.unit = "t";
    ln.distance_km = 12.5;
    ln.depot_jurisdiction = "local";
    ln.owner_unit = "kt-eeb";
    ln.quantity_assumed = 1;
    ln.material_unverified = 1;
    ln.location_confidence = "low (proxy: 奎屯市 centre)";
    Hl__ReservationLine *lines[1] = {&ln};
    Hl__MaterialNeed need1 = HL__MATERIAL_NEED__INIT, need2 = HL__MATERIAL_NEED__INIT,
                     sf = HL__MATERIAL_NEED__INIT;
    need1.material_id = "activated-carbon";
    need1.quantity = 20;
    need1.unit = "t";
    need2.material_id = "boom";
    need2.quantity = 300;
    need2.unit = "m";
    sf = need2;
    sf.quantity = 100;
    Hl__MaterialNeed *needs[2] = {&need1, &need2};
    Hl__MaterialNeed *short_[1] = {&sf};
    Hl__Reservation r = HL__RESERVATION__INIT;
    r.id = "rv-1";
    r.incident_id = "inc-1";
    r.plan_id = "pl-1";
    r.state = "partial";
    r.created_ms = T0;
    r.lines = lines;
    r.n_lines = 1;
    r.needs = needs;
    r.n_needs = 2;
    r.shortfall = short_;
    r.n_shortfall = 1;
    r.purpose = "intercept at sp-xinqushou";
    Hl__Reservation *arr[1] = {&r};
    Hl__ReservationList l = HL__RESERVATION_LIST__INIT;
    l.reservations = arr;
    l.n_reservations = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_reservations(&l, BJ, &b), 0);
    const char *notes = "stock figures assumed; catalogue row unverified; depot location: low "
                        "(proxy: 奎屯市 centre)";
    char dashes[128] = "";
    for (size_t i = 0; i < hctl_text_width(notes); i++)
        strcat(dashes, "-");
    char want[2048];
    snprintf(want, sizeof want,
             "reservation rv-1  state partial  incident inc-1  plan pl-1  created " T0_BJ "\n"
             "  purpose: intercept at sp-xinqushou\n"
             "  needed: activated-carbon 20 t, boom 300 m\n"
             "  MATERIAL          DEPOT          DEPOT NAME            SIDE   QUANTITY  UNIT  "
             "DISTANCE km  HANDED OUT BY  NOTES\n"
             "  ----------------  -------------  --------------------  -----  --------  ----  "
             "-----------  -------------  %s\n"
             "  activated-carbon  dp-kuitun      奎屯市环境应急物资库  local        20  t     "
             "       12.5  kt-eeb         %s\n"
             "  boom              (not covered)  -                     -           100  m     "
             "          -  -              SHORTFALL\n"
             "  SHORTFALL (could not be covered): boom 100 m\n",
             dashes, notes);
    assert_string_equal(hctl_buf_str(&b), want);
    hctl_buf_free(&b);

    Hl__ReservationList empty = HL__RESERVATION_LIST__INIT;
    assert_int_equal(hctl_render_reservations(&empty, BJ, &b), 0);
    assert_string_equal(hctl_buf_str(&b), "no reservations\n");
    hctl_buf_free(&b);
}

static void test_stock(void **state)
{
    (void)state;
    Hl__StockItem it = HL__STOCK_ITEM__INIT;
    it.depot_id = "dp-xj7";
    it.depot_name = "第七师应急物资储备库";
    it.material_id = "sandbag";
    it.material_name = "编织袋/沙袋";
    it.unit = "bag";
    it.on_hand = 20000;
    it.reserved = 5000;
    it.available = 15000;
    it.issued = 1000;
    it.jurisdiction = "corps";
    it.owner_unit = "xj7-emb";
    it.quantity_assumed = 1;
    it.location_confidence = "medium";
    Hl__StockItem *arr[1] = {&it};
    Hl__StockList l = HL__STOCK_LIST__INIT;
    l.items = arr;
    l.n_items = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_stock(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"DEPOT",         "DEPOT NAME", "SIDE",     "MATERIAL",
                                 "MATERIAL NAME", "ON HAND",    "RESERVED", "AVAILABLE",
                                 "ISSUED",        "UNIT",       "OWNER",    "NOTES"};
    assert_columns(s, cols, 12);
    /* available as the ledger computes it: on hand not expired, minus reserved */
    assert_has(s, "  20000      5000      15000    1000  bag   xj7-emb  on hand assumed; "
                  "location: medium\n");
    assert_null(strstr(s, "truncated"));
    hctl_buf_free(&b);
    /* 500 bags past their expiry and available under the depot's minimum: both said first. */
    it.expired = 500;
    it.available = 3500;
    it.minimum = 4000;
    it.below_minimum = 1;
    assert_int_equal(hctl_render_stock(&l, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "3500    1000  bag   xj7-emb  BELOW MINIMUM 4000; 500 expired; on "
                                 "hand assumed; location: medium\n");
    hctl_buf_free(&b);
    /* A reply that could not hold everything says so. */
    l.truncated = 1;
    assert_int_equal(hctl_render_stock(&l, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "(truncated: more matched than one reply holds;");
    hctl_buf_free(&b);
}

static void test_sources_keep_unverified_and_confidence(void **state)
{
    (void)state;
    /* GB 18218-2018 table 1 seq 57: 苯 critical quantity 50 t (verified in our reference);
     * seq 8: 甲醛(含量>90%) 5 t, flagged unverified in playbooks/reference. The HJ 941 values
     * here are constructed for the test, flagged to show the flag travels. */
    Hl__RiskSubstance benzene = HL__RISK_SUBSTANCE__INIT;
    benzene.name = "苯";
    benzene.cas = "71-43-2";
    benzene.max_quantity_t = 3000;
    benzene.max_quantity_assumed = 1;
    benzene.critical_quantity_t = 50;
    benzene.hj941_critical_quantity_t = 10;
    benzene.hj941_unverified = 1;
    Hl__RiskSubstance hcho = HL__RISK_SUBSTANCE__INIT;
    hcho.name = "甲醛(含量>90%)";
    hcho.cas = "50-00-0";
    hcho.max_quantity_t = 10;
    hcho.critical_quantity_t = 5;
    hcho.unverified = 1;
    Hl__RiskSubstance crude = HL__RISK_SUBSTANCE__INIT;
    crude.name = "原油";
    crude.max_quantity_t = 300000;
    Hl__RiskSubstance *subs[3] = {&benzene, &hcho, &crude};
    Hl__GeoPoint loc = HL__GEO_POINT__INIT;
    loc.lat = 44.32637;
    loc.lon = 84.87991;
    loc.confidence = "low (proxy: 独山子区 district centre)";
    Hl__RiskSource src = HL__RISK_SOURCE__INIT;
    src.id = "rs-dsz-petro";
    src.name = "独山子石化";
    src.kind = "enterprise";
    src.jurisdiction = "local";
    src.unit_id = "dsz-petro-ert";
    src.outfall_chainage_km = 22;
    src.location = &loc;
    src.substances = subs;
    src.n_substances = 3;
    src.assumption = "outfall chainage (km 22) and every max_quantity_t";
    Hl__RiskSource park = HL__RISK_SOURCE__INIT;
    park.id = "rs-hyh-etdz";
    park.name = "胡杨河经济技术开发区";
    park.kind = "chemical_park";
    park.outfall_chainage_km = 75;
    park.location_note = "none found; placed by description";
    Hl__RiskSource *arr[2] = {&src, &park};
    Hl__RiskSourceList l = HL__RISK_SOURCE_LIST__INIT;
    l.sources = arr;
    l.n_sources = 2;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_sources(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    static const char *cols[] = {"ID",
                                 "NAME",
                                 "KIND",
                                 "SIDE",
                                 "OUTFALL KM",
                                 "UNIT",
                                 "SUBSTANCE",
                                 "CAS",
                                 "MAX t",
                                 "CRITICAL t (GB 18218)",
                                 "CRITICAL t (HJ 941)",
                                 "LOCATION"};
    assert_columns(s, cols, 12);
    /* One row per substance; the source's columns are not repeated. */
    assert_has(s, "rs-dsz-petro  独山子石化            enterprise     local");
    assert_has(s, "3000 (assumed)  50                     10 (unverified)      44.3264,84.8799 "
                  "(low (proxy: 独山子区 district centre))\n");
    assert_has(s, "5 (unverified)         not listed\n");
    assert_has(s, "not listed             not listed\n");
    /* A source without coordinates says so, with its note. */
    assert_has(s, "no coordinates: none found; placed by description\n");
    assert_has(s, "rs-dsz-petro: assumed: outfall chainage (km 22) and every max_quantity_t\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "\"critical_quantity_t\":5.0,\"unverified\":true");
    assert_has(j, "\"hj941_critical_quantity_t\":10.0,\"hj941_unverified\":true");
    assert_has(j, "\"confidence\":\"low (proxy: 独山子区 district centre)\"");
    assert_has(j, "\"location\":null");
    free(j);
}

/* A source's grades under the table, and its terms in the detail view. The figures are the
 * Dushanzi refinery's as risk grades them from playbooks/kuitun (hazlink assumptions for
 * quantities, M and E, people): HJ 941-2018 Q = Σ q/Q = 840 (Q3), 重大; GB 18218-2018 S =
 * Σ q/Q over 表1 (苯 50 t, 序号57), α = 2, R = 1228.8 → 一级. A disputed β (表4 J2: 1 or 2)
 * would give the other grade, shown beside. */
static void test_source_grades(void **state)
{
    (void)state;
    Hl__Hj941Term ht = HL__HJ941_TERM__INIT;
    ht.substance = "苯";
    ht.q_t = 3000;
    ht.critical_t = 10;
    ht.ratio = 300;
    ht.unverified = 1;
    ht.ref = "HJ 941-2018 附录A 苯 10 t [unverified]";
    Hl__Hj941Term *hts[1] = {&ht};
    Hl__Hj941Medium air = HL__HJ941_MEDIUM__INIT;
    air.medium = "大气";
    air.m = 45;
    air.m_band = "M3";
    air.e = "E1";
    air.label = "重大-大气(Q3-M3-E1)";
    air.unverified = 1;
    Hl__Hj941Medium water = HL__HJ941_MEDIUM__INIT;
    water.medium = "水";
    water.m = 50;
    water.m_band = "M3";
    water.e = "E1";
    water.label = "重大-水(Q3-M3-E1)";
    Hl__Hj941Result h = HL__HJ941_RESULT__INIT;
    h.graded = 1;
    h.q = 840;
    h.q_band = "Q3";
    h.terms = hts;
    h.n_terms = 1;
    h.air = &air;
    h.water = &water;
    h.level = "重大";
    h.label = "重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)]";
    h.unverified = 1;
    h.inputs_assumed = 1;
    h.note = "One Q serves both media";
    Hl__Gb18218Term gt = HL__GB18218_TERM__INIT;
    gt.substance = "苯";
    gt.q_t = 3000;
    gt.critical_t = 50;
    gt.q_ref = "GB 18218-2018 表1 序号57 苯 50 t";
    gt.ratio = 60;
    gt.beta = 2;
    gt.beta_alt = 1;
    gt.beta_disputed = 1;
    gt.beta_ref = "GB 18218-2018 表4 J2 β=2 (disputed: 1 or 2)";
    Hl__Gb18218Term *gts[1] = {&gt};
    Hl__Gb18218Result g = HL__GB18218_RESULT__INIT;
    g.s = 614.4;
    g.major = 1;
    g.graded = 1;
    g.alpha = 2;
    g.alpha_ref = "GB 18218-2018 表5 100人以上 α=2";
    g.r = 1228.8;
    g.grade = 1;
    g.grade_name = "一级";
    g.r_alt = 700;
    g.grade_alt = 2;
    g.depends_on_disputed = 1;
    g.terms = gts;
    g.n_terms = 1;
    g.inputs_assumed = 1;
    Hl__RiskSource src = HL__RISK_SOURCE__INIT;
    src.id = "rs-dsz-petro";
    src.name = "独山子石化";
    src.hj941 = &h;
    src.gb18218 = &g;
    Hl__RiskSource park = HL__RISK_SOURCE__INIT;
    park.id = "rs-hyh-etdz";
    Hl__RiskSource *arr[2] = {&src, &park};
    Hl__RiskSourceList l = HL__RISK_SOURCE_LIST__INIT;
    l.sources = arr;
    l.n_sources = 2;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_sources(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "rs-dsz-petro  HJ 941-2018: 重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)] "
                  "(unverified); Q 840 (Q3); 大气 M 45 (M3) E1 → 重大-大气(Q3-M3-E1) (unverified); "
                  "水 M 50 (M3) E1 → 重大-水(Q3-M3-E1); M and E inputs assumed\n");
    assert_has(s, "              GB 18218-2018: S 614.4 → major hazard source; R 1228.8 (α 2) → "
                  "一级 (a β is disputed: R 700 → grade 2 with the lower); people within 500 m "
                  "assumed\n");
    /* A source the service did not grade says so. */
    assert_has(s, "rs-hyh-etdz  HJ 941-2018: not graded\n             GB 18218-2018: not "
                  "graded\n");
    hctl_buf_free(&b);

    l.n_sources = 1;
    assert_int_equal(hctl_render_source_details(&l, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "rs-dsz-petro terms:\nSTANDARD       SUBSTANCE");
    /* The ref says [unverified] already: not said twice. */
    assert_has(s, "HJ 941-2018    苯         3000   10  300  -                  HJ 941-2018 附录A "
                  "苯 10 t [unverified]\n");
    assert_null(strstr(s, "[unverified] (unverified)"));
    assert_has(s, "GB 18218-2018  苯         3000   50   60  2 or 1 (disputed)  GB 18218-2018 表1 "
                  "序号57 苯 50 t; GB 18218-2018 表4 J2 β=2 (disputed: 1 or 2)\n");
    assert_has(s, "HJ 941-2018 note: One Q serves both media\n");
    assert_has(s, "α: GB 18218-2018 表5 100人以上 α=2\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "\"depends_on_disputed\":true");
    assert_has(j, "\"label\":\"重大[重大-大气(Q3-M3-E1)+重大-水(Q3-M3-E1)]\"");
    free(j);
}

/* stock.ledger: every total per depot and material, as of a time in +08:00, with the flags
 * the ledger carries. */
static void test_ledger(void **state)
{
    (void)state;
    Hl__LedgerTotal x = HL__LEDGER_TOTAL__INIT;
    x.depot_id = "dp-kuitun";
    x.material_id = "activated-carbon";
    x.unit = "t";
    x.received = 20;
    x.issued = 2;
    x.consumed = 1;
    x.returned = 0.5;
    x.transferred_in = 3;
    x.transferred_out = 4;
    x.written_off = 1.5;
    x.adjusted_in = 0;
    x.adjusted_out = 0.25;
    /* on hand = 20 + 0.5 + 3 + 0 - 2 - 1 - 4 - 1.5 - 0.25 = 14.75 */
    x.on_hand = 14.75;
    x.reserved = 10;
    x.expired = 1.75;
    x.available = 3; /* 14.75 - 1.75 - 10 */
    x.minimum = 4;
    x.below_minimum = 1;
    x.quantity_assumed = 1;
    x.material_unverified = 1;
    Hl__LedgerTotal *arr[1] = {&x};
    Hl__LedgerTotals l = HL__LEDGER_TOTALS__INIT;
    l.as_of_ms = T1;
    l.items = arr;
    l.n_items = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_ledger(&l, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "stock ledger as of " T1_BJ " (on hand = in - out; available = on hand not "
                  "expired - reserved)\n");
    static const char *cols[] = {"DEPOT",       "MATERIAL",     "UNIT",     "RECEIVED",
                                 "ISSUED",      "CONSUMED",     "RETURNED", "TRANSFERS +/-",
                                 "WRITTEN OFF", "ADJUSTED +/-", "RESERVED", "ON HAND",
                                 "EXPIRED",     "AVAILABLE",    "MINIMUM",  "NOTES"};
    assert_columns(strchr(s, '\n') + 1, cols, 16);
    assert_has(s, "dp-kuitun  activated-carbon  t           20       2         1       0.5  "
                  "        +3/-4          1.5      +0/-0.25        10    14.75     1.75          3"
                  "        4  BELOW MINIMUM; opening stock assumed; catalogue row unverified\n");
    assert_null(strstr(s, "truncated"));
    hctl_buf_free(&b);
    l.truncated = 1;
    assert_int_equal(hctl_render_ledger(&l, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "(truncated: more matched than one reply holds;");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&l.base, BJ));
    assert_has(j, "{\"as_of_ms\":1784054100000,\"as_of_at\":\"" T1_BJ "\",\"items\":[{");
    assert_has(j, "\"below_minimum\":true");
    free(j);
    Hl__LedgerTotals empty = HL__LEDGER_TOTALS__INIT;
    assert_int_equal(hctl_render_ledger(&empty, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "no ledger lines\n");
    hctl_buf_free(&b);
}

/* The ledger command and the one-record options (hctl_args.h). They are tested here, beside
 * what they show, because hazctl_args_test.c belongs to the command line's first author. */
static void test_ledger_and_id_options(void **state)
{
    (void)state;
    char *ok[] = {"hazctl", "ledger",  "--id", "dp-kuitun", "--unit",
                  "kt-eeb", "--limit", "5",    "--json",    NULL};
    hctl_args a;
    char err[256];
    assert_int_equal(hctl_args_parse(9, ok, &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, HCTL_CMD_LEDGER);
    assert_string_equal(a.id, "dp-kuitun");
    assert_string_equal(a.unit_id, "kt-eeb");
    assert_int_equal(a.limit, 5);
    assert_true(a.json);
    char *inc[] = {"hazctl", "incidents", "--id", "inc-1", NULL};
    assert_int_equal(hctl_args_parse(4, inc, &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, HCTL_CMD_INCIDENTS);
    assert_string_equal(a.id, "inc-1");
    char *incp[] = {"hazctl", "plans", "--incident", "inc-1", NULL};
    assert_int_equal(hctl_args_parse(4, incp, &a, err, sizeof err), 0);
    assert_string_equal(a.incident_id, "inc-1");
    char *src[] = {"hazctl", "sources", "--id=rs-dsz-petro", NULL};
    assert_int_equal(hctl_args_parse(3, src, &a, err, sizeof err), 0);
    assert_string_equal(a.id, "rs-dsz-petro");
    static const struct {
        char *argv[5];
        int argc;
        const char *want;
    } bad[] = {
        {{"hazctl", "alerts", "--id", "al-1", NULL}, 4, "alerts: option --id does not apply"},
        {{"hazctl", "ledger", "--id", "dp kuitun", NULL},
         4,
         "ledger: --id 'dp kuitun' is not an id"},
        {{"hazctl", "ledger", "--incident", "inc-1", NULL},
         4,
         "ledger: option --incident does not apply"},
        {{"hazctl", "ledger", "dp-kuitun", NULL}, 3, "ledger: unexpected argument 'dp-kuitun'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = hctl_args_parse(bad[i].argc, (char **)bad[i].argv, &a, err, sizeof err);
        if (rc != HL_EINVAL || !strstr(err, bad[i].want))
            fail_msg("%s: rc %d err '%s' (want '%s')", bad[i].argv[1], rc, err, bad[i].want);
    }
    assert_has(hctl_help_text(), "ledger [--id DEPOT|MATERIAL]");
    assert_has(hctl_cmd_usage(HCTL_CMD_LEDGER), "hazctl ledger");
}

static void test_units(void **state)
{
    (void)state;
    Hl__Unit u = HL__UNIT__INIT;
    u.id = "xj7-eeb";
    u.name = "第七师胡杨河市生态环境局";
    u.name_en = "7th Division EEB";
    u.side = "corps";
    u.jurisdiction = "第七师胡杨河市";
    u.connected = 1;
    u.last_seen_ms = T0;
    u.duty = "duty office, by the roster";
    Hl__Unit *arr[1] = {&u};
    Hl__UnitList l = HL__UNIT_LIST__INIT;
    l.units = arr;
    l.n_units = 1;
    hctl_buf b = {0};
    assert_int_equal(hctl_render_units(&l, BJ, &b), 0);
    const char *want =
        "ID       NAME                      NAME (EN)         SIDE   JURISDICTION    REPORTS TO  "
        "CONNECTED  LAST SEEN                  DUTY\n"
        "-------  ------------------------  ----------------  -----  --------------  ----------  "
        "---------  -------------------------  --------------------------\n"
        "xj7-eeb  第七师胡杨河市生态环境局  7th Division EEB  corps  第七师胡杨河市  -           "
        "yes        " T0_BJ "  duty office, by the roster\n";
    assert_string_equal(hctl_buf_str(&b), want);
    hctl_buf_free(&b);
}

static void test_chain(void **state)
{
    (void)state;
    char *chain[] = {"reg-131", "reg-131-cmd", "xj7-emb"};
    char *names[] = {"第七师一三一团", "第七师一三一团分管应急副团长", "第七师胡杨河市应急管理局"};
    Hl__EscalationStep s1 = HL__ESCALATION_STEP__INIT, s2 = HL__ESCALATION_STEP__INIT;
    s1.n = 1;
    s1.kind = "repeat";
    s1.unit_id = "reg-131";
    s1.due_ms = s1.at_ms = T0;
    s1.cause = "timeout: not acknowledged within 15 min (level 黄)";
    s2.n = 2;
    s2.kind = "escalate";
    s2.unit_id = "reg-131-cmd";
    s2.position = 1;
    s2.due_ms = T1;
    s2.at_ms = T1 + 1000;
    s2.notice_task_id = "t-1:esc1";
    s2.cause = "timeout: not acknowledged within 15 min (level 黄)";
    Hl__EscalationStep *steps[] = {&s1, &s2};
    Hl__Escalation e = HL__ESCALATION__INIT;
    e.task_id = "t-1";
    e.n_chain = 3;
    e.chain = chain;
    e.n_chain_names = 3;
    e.chain_names = names;
    e.level = "黄";
    e.level_defaulted = 1;
    e.timeout_ms = 15 * 60000;
    e.repeats = 1;
    e.position = 1;
    e.started_ms = T0 - 15 * 60000;
    e.since_ms = T1 + 1000;
    e.status = "waiting";
    e.n_steps = 2;
    e.steps = steps;
    e.next_kind = "repeat";
    e.next_unit = "reg-131-cmd";
    e.next_due_ms = T1;
    e.assumption = "hazlink assumption: no standard sets acknowledgement timeouts";
    hctl_buf b = {0};
    assert_int_equal(hctl_render_chain(&e, BJ, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "task      t-1\n");
    assert_has(s, "level     黄 yellow (the task gave none: the roster's default level)\n");
    assert_has(s, "timeout   15 min to acknowledge, 1 reminder per unit\n");
    assert_has(s, "next      remind reg-131-cmd at " T1_BJ "\n");
    /* The timeouts are an assumption: the reader is always told. */
    assert_has(s, "timeouts  hazlink assumption: no standard sets acknowledgement timeouts\n");
    assert_has(s, "0  reg-131      第七师一三一团                the task's unit, 1 reminder\n");
    assert_has(s, "1  reg-131-cmd  第七师一三一团分管应急副团长  notified, next to be reminded\n");
    assert_has(s, "2  xj7-emb      第七师胡杨河市应急管理局      not told\n");
    assert_has(s, "   2  escalate  reg-131-cmd  " T1_BJ "  2026-07-15T02:35:01+08:00  t-1:esc1  ");
    hctl_buf_free(&b);
    /* Acknowledged: who ended it, and no next step. */
    e.status = "acknowledged";
    e.ended_by = "reg-131-cmd";
    e.ended_ms = T1 + 60000;
    e.next_due_ms = 0;
    e.next_kind = e.next_unit = "";
    assert_int_equal(hctl_render_chain(&e, BJ, &b), 0);
    s = hctl_buf_str(&b);
    assert_has(s, "status    acknowledged by reg-131-cmd at 2026-07-15T02:36:00+08:00: no further "
                  "step\n");
    assert_has(s, "next      none\n");
    assert_has(s, "1  reg-131-cmd  第七师一三一团分管应急副团长  notified\n");
    hctl_buf_free(&b);
    /* No step yet. */
    e.n_steps = 0;
    assert_int_equal(hctl_render_chain(&e, BJ, &b), 0);
    assert_has(hctl_buf_str(&b), "no steps taken yet\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_message(&e.base, BJ));
    assert_has(j, "\"next_due_ms\":0,\"next_due_at\":null");
    assert_has(j, "\"chain\":[\"reg-131\",\"reg-131-cmd\",\"xj7-emb\"]");
    free(j);
}

static void test_keys(void **state)
{
    (void)state;
    hctl_key_view v[] = {
        {"reg-131", "第七师一三一团", "-)8G=Cctht6<oW%a1O/wsI4NhPyaPFT8wYWf%iGO",
         "/data/keys/units/reg-131"},
        {"gone-unit", NULL, "xyzurA-Ey&1GVfUIj1?nhpJXDLdM3(w^Fq5^.)7C", NULL},
    };
    hctl_buf b = {0};
    assert_int_equal(hctl_render_keys(v, 2, "(aS{wa1=i(IeNj[)vRk=G(he==<AZ4<qynXZF}^*",
                                      "/data/keys/partners.keys", &b),
                     0);
    const char *s = hctl_buf_str(&b);
    assert_has(s, "gateway public key  (aS{wa1=i(IeNj[)vRk=G(he==<AZ4<qynXZF}^*\n");
    assert_has(s, "key table           /data/keys/partners.keys\n");
    assert_has(
        s,
        "reg-131    第七师一三一团                     -)8G=Cctht6<oW%a1O/wsI4NhPyaPFT8wYWf%iGO  "
        "/data/keys/units/reg-131\n");
    assert_has(s, "gone-unit  (not in the roster: not admitted)  xyzurA");
    hctl_buf_free(&b);
    assert_int_equal(hctl_render_keys(v, 0, NULL, "/t", &b), 0);
    assert_has(hctl_buf_str(&b), "none yet: dispatch makes it at its first start");
    assert_has(hctl_buf_str(&b), "no keys admitted: every partner is refused\n");
    hctl_buf_free(&b);
    char *j = json_text(hctl_json_keys(v, 2, NULL, "/t"));
    assert_has(j, "\"gateway_public_key\":null,\"table\":\"/t\"");
    assert_has(j, "{\"unit\":\"gone-unit\",\"name\":null,\"public_key\":\"xyzurA-Ey&1GVfUIj1?"
                  "nhpJXDLdM3(w^Fq5^.)7C\","
                  "\"in_roster\":false,\"pair\":null}");
    free(j);
}

static void test_json_error(void **state)
{
    (void)state;
    char *j = json_text(hctl_json_error("alert", HL_ENOTFOUND, "reading.station_id",
                                        "unknown station 'st-nowhere'"));
    assert_string_equal(j, "{\"error\":{\"service\":\"alert\",\"code\":-4,\"code_name\":"
                           "\"HL_ENOTFOUND\",\"field\":\"reading.station_id\",\"message\":"
                           "\"unknown station 'st-nowhere'\"}}");
    free(j);
    /* Invalid UTF-8 in a message cannot break the JSON. */
    j = json_text(hctl_json_error(NULL, HL_ETIMEOUT, NULL, "bad \xFF byte"));
    assert_has(j, "\"service\":\"\"");
    assert_has(j, "\"message\":\"bad \xEF\xBF\xBD byte\"");
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_and_level_strings),
        cmocka_unit_test(test_status_table_and_json),
        cmocka_unit_test(test_reading_result),
        cmocka_unit_test(test_incidents),
        cmocka_unit_test(test_incident_grade_and_duties),
        cmocka_unit_test(test_reported_incident_release),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_plans_show_unverified_velocities),
        cmocka_unit_test(test_plan_forecast_points),
        cmocka_unit_test(test_tasks),
        cmocka_unit_test(test_reservations_show_shortfall_and_flags),
        cmocka_unit_test(test_stock),
        cmocka_unit_test(test_sources_keep_unverified_and_confidence),
        cmocka_unit_test(test_source_grades),
        cmocka_unit_test(test_ledger),
        cmocka_unit_test(test_ledger_and_id_options),
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_json_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
