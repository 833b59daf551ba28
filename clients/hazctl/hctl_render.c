/* hctl_render.c — see hctl_render.h. */
#include "hctl_render.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

/* ---- Helpers ---- */

const char *hctl_time_str(int64_t unix_ms, int tz_min, char *buf, size_t n)
{
    if (n < 2)
        return "-";
    if (unix_ms == 0 || hl_time_format(unix_ms, tz_min, buf, n) < 0)
        snprintf(buf, n, "-");
    return buf;
}

static const struct {
    const char *zh, *en, *label;
} levels[] = {
    {"蓝", "blue", "蓝 blue"},
    {"黄", "yellow", "黄 yellow"},
    {"橙", "orange", "橙 orange"},
    {"红", "red", "红 red"},
};

const char *hctl_level_str(const char *level)
{
    if (!level || !*level)
        return "-";
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (!strcmp(level, levels[i].zh) || !strcasecmp(level, levels[i].en))
            return levels[i].label;
    return level;
}

const char *hctl_num_str(double v, char *buf, size_t n)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.6g", v == 0.0 ? 0.0 : v); /* no "-0" */
    return buf;
}

static const char *str_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

/* A limit for a table cell: "0.01", or "0.01 (unverified)" when the clause it comes from is
 * marked unverified in our reference data (the flag travels with the value). */
static const char *limit_str(double limit, const char *source, char *buf, size_t n)
{
    char v[32];
    if (!(limit > 0))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%s%s", hctl_num_str(limit, v, sizeof v),
                 source && strstr(source, "unverified") ? " (unverified)" : "");
    return buf;
}

/* Join a repeated string field with ", "; "-" when empty. */
static void join(hctl_buf *b, char *const *items, size_t n)
{
    if (!n)
        hctl_buf_puts(b, "-");
    for (size_t i = 0; i < n; i++)
        hctl_buf_printf(b, "%s%s", i ? ", " : "", items[i]);
}

/* Label/value block: one line per pair, labels padded to one column, two spaces indent. */
typedef struct kv {
    hctl_table *t;
    int err;
} kv;

static void kv_begin(kv *k)
{
    k->t = hctl_table_new(NULL, 2);
    k->err = k->t ? 0 : HL_ENOMEM;
}

static void kv_add(kv *k, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void kv_add(kv *k, const char *label, const char *fmt, ...)
{
    if (k->err)
        return;
    hctl_buf v = {0};
    va_list ap;
    va_start(ap, fmt);
    hctl_buf_vprintf(&v, fmt, ap);
    va_end(ap);
    int rc = v.err;
    if (!rc)
        rc = hctl_table_cell(k->t, label);
    if (!rc)
        rc = hctl_table_cell(k->t, hctl_buf_str(&v));
    if (rc)
        k->err = rc;
    hctl_buf_free(&v);
}

static int kv_end(kv *k, int indent, hctl_buf *out)
{
    int rc = k->err;
    if (!rc)
        rc = hctl_table_render(k->t, indent, out);
    hctl_table_destroy(&k->t);
    return rc ? rc : out->err;
}

/* Finish a list: render the table, or "no <what>" when it has no rows. */
static int table_end(hctl_table *t, int rc, const char *what, hctl_buf *out)
{
    if (!rc && hctl_table_rows(t) == 0)
        hctl_buf_printf(out, "no %s\n", what);
    else if (!rc)
        rc = hctl_table_render(t, 0, out);
    hctl_table_destroy(&t);
    return rc ? rc : out->err;
}

#define TS(ms) hctl_time_str((ms), tz_min, (char[40]){0}, 40)
#define NUM(v) hctl_num_str((v), (char[32]){0}, 32)

/* Add cells and stop at the first failure; rc holds the outcome. */
#define CELL(s)                                                                                    \
    do {                                                                                           \
        if (!rc)                                                                                   \
            rc = hctl_table_cell(t, (s));                                                          \
    } while (0)
#define CELLF(...)                                                                                 \
    do {                                                                                           \
        if (!rc)                                                                                   \
            rc = hctl_table_cellf(t, __VA_ARGS__);                                                 \
    } while (0)

static hctl_table *table_new(const char *const *h, size_t n, const int *right, size_t nright)
{
    hctl_table *t = hctl_table_new(h, n);
    for (size_t i = 0; t && i < nright; i++)
        hctl_table_align_right(t, (size_t)right[i]);
    return t;
}

/* ---- Status ---- */

int hctl_render_status(const hctl_svc_view *v, size_t n, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"SERVICE",  "STATE",  "ENDPOINT", "REQUESTS", "ERRORS",
                              "BAD MSGS", "OUTBOX", "RECORDS",  "STARTED",  "CLOCK"};
    static const int right[] = {3, 4, 5, 6, 7};
    hctl_table *t = table_new(h, 10, right, 5);
    if (!t)
        return HL_ENOMEM;
    int rc = 0;
    size_t up = 0;
    for (size_t i = 0; i < n; i++) {
        const Hl__ServiceStatus *s = v[i].status;
        CELL(v[i].service);
        CELL(s ? "up" : "DOWN");
        CELL(v[i].endpoint);
        if (s) {
            up++;
            CELLF("%" PRIu64, s->requests);
            CELLF("%" PRIu64, s->errors);
            CELLF("%" PRIu64, s->bad_messages);
            CELLF("%" PRIu64, s->outbox_pending);
            CELLF("%" PRIu64, s->records);
            CELL(TS(s->started_ms));
            if (s->clock_scale > 0 && s->clock_scale != 1.0)
                CELLF("x%s (drill)", NUM(s->clock_scale));
            else
                CELL("real");
        } else {
            for (int k = 0; k < 7; k++)
                CELL("-");
        }
    }
    if (!rc)
        rc = hctl_table_render(t, 0, out);
    hctl_table_destroy(&t);
    if (rc)
        return rc;
    hctl_buf_printf(out, "%zu of %zu services up\n", up, n);
    for (size_t i = 0; i < n; i++)
        if (!v[i].status)
            hctl_buf_printf(out, "%s %s\n", v[i].service, str_or(v[i].problem, "did not answer"));
    return out->err;
}

json_t *hctl_json_status(const hctl_svc_view *v, size_t n, int tz_min)
{
    json_t *arr = json_array();
    json_t *root = json_object();
    size_t up = 0;
    if (!arr || !root)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *st = v[i].status ? hctl_json_message(&v[i].status->base, tz_min) : json_null();
        json_t *o =
            json_pack("{s:s, s:s, s:b, s:s?, s:o?}", "service", v[i].service, "endpoint",
                      v[i].endpoint, "up", v[i].status != NULL, "problem",
                      v[i].status ? NULL : str_or(v[i].problem, "did not answer"), "status", st);
        if (!o || json_array_append_new(arr, o) < 0)
            goto fail;
        if (v[i].status)
            up++;
    }
    if (json_object_set_new(root, "services", arr) < 0) {
        arr = NULL;
        goto fail;
    }
    arr = NULL;
    if (json_object_set_new(root, "up", json_integer((json_int_t)up)) < 0 ||
        json_object_set_new(root, "down", json_integer((json_int_t)(n - up))) < 0)
        goto fail;
    return root;
fail:
    json_decref(arr);
    json_decref(root);
    return NULL;
}

/* ---- Single records ---- */

int hctl_render_reading(const Hl__ReadingResult *r, int tz_min, hctl_buf *out)
{
    (void)tz_min; /* ReadingResult carries no time */
    kv k;
    kv_begin(&k);
    /* checked false: no GB 3838 limit applies at this section; limit_source says why. */
    kv_add(&k, "exceeded", "%s", r->exceeded ? "YES" : r->checked ? "no" : "not checked");
    kv_add(&k, "value", "%s mg/L", NUM(r->value_mg_l));
    if (!r->checked && !r->exceeded)
        kv_add(&k, "limit", "none applied (%s)", str_or(r->limit_source, "no reason given"));
    else if (r->limit_mg_l > 0)
        kv_add(&k, "limit", "%s mg/L (%s)", NUM(r->limit_mg_l),
               str_or(r->limit_source, "source not given"));
    else
        kv_add(&k, "limit", "-");
    if (r->exceeded)
        kv_add(&k, "multiple", "%s (超标倍数 = (value - limit) / limit)", NUM(r->multiple));
    else
        kv_add(&k, "multiple", "-");
    if (*str_or(r->incident_id, "") && r->linked)
        kv_add(&k, "incident", "%s (attached to the release reported upstream: %s)", r->incident_id,
               str_or(r->link_reason, "no reason given"));
    else if (*str_or(r->incident_id, ""))
        kv_add(&k, "incident", "%s (%s)", r->incident_id,
               r->incident_opened ? "opened by this reading" : "existing episode");
    else
        kv_add(&k, "incident", "-");
    kv_add(&k, "alert", "%s", str_or(r->alert_id, "-"));
    kv_add(&k, "warning level", "%s", hctl_level_str(r->warning_level));
    return kv_end(&k, 0, out);
}

/* Released mass and duration of a reported release: 0 means unknown / instantaneous. */
static const char *release_str(double mass_kg, double duration_s, char *buf, size_t n)
{
    char m[32], d[32];
    if (mass_kg <= 0)
        snprintf(buf, n, "mass unknown");
    else if (duration_s <= 0)
        snprintf(buf, n, "%s kg, instantaneous", hctl_num_str(mass_kg, m, sizeof m));
    else
        snprintf(buf, n, "%s kg over %s s", hctl_num_str(mass_kg, m, sizeof m),
                 hctl_num_str(duration_s, d, sizeof d));
    return buf;
}

/* ---- Grading (2014 national plan 附件1) and reporting duties (突发环境事件信息报告办法) ---- */

/* "III 较大", or "not graded" for a record made before grading. */
static const char *grade_str(const Hl__Incident *i, char *buf, size_t n)
{
    if (!*str_or(i->grade, ""))
        snprintf(buf, n, "not graded");
    else
        snprintf(buf, n, "%s %s", i->grade, str_or(i->grade_name, ""));
    return buf;
}

/* A criterion by its citation, marked "(unverified)" when its row is and the cite does not
 * say so already (the alert service appends it to the cite of such a row). */
static void cite_put(hctl_buf *b, const Hl__GradeCriterion *c)
{
    const char *cite = c ? str_or(c->cite, str_or(c->text, "-")) : "-";
    hctl_buf_puts(b, cite);
    if (c && !c->verified && !strstr(cite, "unverified"))
        hctl_buf_puts(b, " (unverified)");
}

/* Known facts as "deaths 0; drinking_water_interruption town", read through the
 * IncidentFacts descriptor: a fact not known yet is a oneof left unset and is not shown. */
static void facts_put(hctl_buf *b, const Hl__IncidentFacts *f)
{
    size_t shown = 0;
    for (unsigned k = 0; f && k < f->base.descriptor->n_fields; k++) {
        const ProtobufCFieldDescriptor *d = &f->base.descriptor->fields[k];
        const char *base = (const char *)f;
        if (!(d->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ||
            *(const uint32_t *)(base + d->quantifier_offset) != d->id)
            continue;
        hctl_buf_printf(b, "%s%s ", shown++ ? "; " : "", d->name);
        if (d->type == PROTOBUF_C_TYPE_UINT32)
            hctl_buf_printf(b, "%" PRIu32, *(const uint32_t *)(base + d->offset));
        else if (d->type == PROTOBUF_C_TYPE_DOUBLE)
            hctl_buf_puts(b, NUM(*(const double *)(base + d->offset)));
        else
            hctl_buf_puts(b, str_or(*(char *const *)(base + d->offset), "-"));
    }
    if (!shown)
        hctl_buf_puts(b, "none reported");
    if (f && *str_or(f->basis, ""))
        hctl_buf_printf(b, " (basis: %s)", f->basis);
}

/* One duty in a few words: "initial due by <deadline>", "notice OVERDUE", "final pending". */
static void duty_put(hctl_buf *b, const Hl__ReportDuty *d, int tz_min)
{
    const char *st = str_or(d->state, "-");
    hctl_buf_printf(b, "%s %s", str_or(d->id, "-"), strcmp(st, "overdue") ? st : "OVERDUE");
    if (!strcmp(st, "done"))
        hctl_buf_printf(b, " %s%s", TS(d->done_ms), d->late ? " (late)" : "");
    else if (d->deadline_ms && strcmp(st, "pending"))
        hctl_buf_printf(b, " by %s", TS(d->deadline_ms));
}

static int duties_unverified(const Hl__Incident *i)
{
    for (size_t k = 0; k < i->n_reports; k++)
        if (!i->reports[k]->verified)
            return 1;
    return 0;
}

static int render_duties(const Hl__Incident *i, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"REPORT", "KIND", "STATE", "GRADE",  "DUE", "DEADLINE",
                              "DONE",   "BY",   "TO",    "CLAUSE", "WHY"};
    hctl_table *t = table_new(h, 11, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 8, HCTL_CELL_MAX_WIDTH);  /* TO */
    hctl_table_max_width(t, 10, HCTL_CELL_MAX_WIDTH); /* WHY */
    int rc = 0;
    for (size_t n = 0; n < i->n_reports; n++) {
        const Hl__ReportDuty *d = i->reports[n];
        int overdue = !strcmp(str_or(d->state, ""), "overdue");
        CELL(d->id);
        CELL(d->kind);
        CELLF("%s%s", overdue ? "OVERDUE" : str_or(d->state, "-"), d->late ? " (late)" : "");
        CELL(d->grade);
        CELL(TS(d->due_ms));
        CELL(d->deadline_ms ? TS(d->deadline_ms) : "no fixed time");
        CELL(TS(d->done_ms));
        CELL(d->done_by);
        CELL(d->recipient);
        CELLF("%s%s", str_or(d->clause, "-"), d->verified ? "" : " (unverified)");
        CELL(d->why);
    }
    hctl_buf_printf(out, "reporting duties (%s; state as of the reply):\n",
                    "突发环境事件信息报告办法");
    return table_end(t, rc, "reporting duties", out);
}

static int render_episodes(const Hl__Incident *i, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"STATION",  "KM",        "SIDE",     "FIRST", "LAST",
                              "READINGS", "PEAK mg/L", "MULTIPLE", "ENDED", "ATTACHED"};
    static const int right[] = {1, 5, 6, 7};
    hctl_table *t = table_new(h, 10, right, 4);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 9, HCTL_CELL_MAX_WIDTH); /* ATTACHED: the reason, cut */
    int rc = 0;
    for (size_t n = 0; n < i->n_episodes; n++) {
        const Hl__IncidentEpisode *e = i->episodes[n];
        CELL(e->station_id);
        CELL(NUM(e->chainage_km));
        CELL(e->jurisdiction);
        CELL(TS(e->first_ms));
        CELL(TS(e->last_ms));
        CELLF("%" PRIu32, e->count);
        CELL(NUM(e->peak_value_mg_l));
        CELL(NUM(e->peak_multiple));
        CELL(e->ended_ms ? TS(e->ended_ms) : "not yet");
        if (e->linked)
            CELLF("yes: %s", str_or(e->link_reason, "to the reported release"));
        else
            CELL("no");
    }
    hctl_buf_puts(out, "exceedance episodes:\n");
    return table_end(t, rc, "exceedance episodes", out);
}

static int render_grade_history(const Hl__Incident *i, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"AT", "FROM", "TO", "BY", "HOW", "CRITERION OR REASON"};
    hctl_table *t = table_new(h, 6, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    int rc = 0;
    for (size_t n = 0; n < i->n_grade_history; n++) {
        const Hl__GradeChange *g = i->grade_history[n];
        CELL(TS(g->at_ms));
        CELL(*str_or(g->from, "") ? g->from : "-");
        CELL(g->to);
        CELL(g->actor);
        CELL(g->automatic ? "by the facts" : "duty officer");
        if (*str_or(g->reason, ""))
            CELLF("%s: %s", str_or(g->criterion, "-"), g->reason);
        else
            CELL(g->criterion);
    }
    hctl_buf_puts(out, "grade history:\n");
    return table_end(t, rc, "grade changes", out);
}

int hctl_render_incident(const Hl__Incident *i, int tz_min, hctl_buf *out)
{
    hctl_buf ups = {0};
    join(&ups, i->upstream_source_ids, i->n_upstream_source_ids);
    char rel[96];
    kv k;
    kv_begin(&k);
    kv_add(&k, "incident", "%s", str_or(i->id, "-"));
    kv_add(&k, "state", "%s", str_or(i->state, "-"));
    kv_add(&k, "origin", "%s", str_or(i->origin, "-"));
    kv_add(&k, "station", "%s", str_or(i->station_id, "-"));
    kv_add(&k, "section", "%s", str_or(i->section_id, "-"));
    kv_add(&k, "jurisdiction", "%s", str_or(i->jurisdiction, "-"));
    kv_add(&k, "parameter", "%s", str_or(i->parameter, "-"));
    kv_add(&k, "chainage", "km %s", NUM(i->chainage_km));
    kv_add(&k, "opened", "%s", TS(i->opened_ms));
    kv_add(&k, "first exceedance", "%s", TS(i->first_exceedance_ms));
    kv_add(&k, "last reading", "%s", TS(i->last_reading_ms));
    kv_add(&k, "readings", "%" PRIu32, i->reading_count);
    if (i->peak_value_mg_l > 0)
        kv_add(&k, "peak", "%s mg/L at %s", NUM(i->peak_value_mg_l), TS(i->peak_ms));
    else
        kv_add(&k, "peak", "-");
    if (i->limit_mg_l > 0)
        kv_add(&k, "limit", "%s mg/L (%s)", NUM(i->limit_mg_l),
               str_or(i->limit_source, "source not given"));
    else
        kv_add(&k, "limit", "-");
    kv_add(&k, "warning level", "%s", hctl_level_str(i->warning_level));
    kv_add(&k, "alerts", "%" PRIu32 " (latest %s)", i->alert_count,
           str_or(i->latest_alert_id, "-"));
    kv_add(&k, "episode ended", "%s", i->episode_ended_ms ? TS(i->episode_ended_ms) : "not yet");
    kv_add(&k, "upstream sources", "%s", hctl_buf_str(&ups));
    kv_add(&k, "source", "%s", str_or(i->source_id, "-"));
    kv_add(&k, "release", "%s", release_str(i->mass_kg, i->duration_s, rel, sizeof rel));
    kv_add(&k, "description", "%s", str_or(i->description, "-"));
    hctl_buf_free(&ups);
    char g[96];
    hctl_buf b = {0};
    kv_add(&k, "grade", "%s%s", grade_str(i, g, sizeof g),
           i->deciding && !strcmp(str_or(i->deciding->type, ""), "duty_officer")
               ? " (set by a duty officer)"
               : "");
    cite_put(&b, i->deciding);
    kv_add(&k, "decided by", "%s", hctl_buf_str(&b));
    hctl_buf_free(&b);
    kv_add(&k, "grade by facts", "%s", str_or(i->grade_by_facts, "-"));
    for (size_t n = 0; n < i->n_criteria_met; n++) {
        hctl_buf_puts(&b, n ? "; " : "");
        cite_put(&b, i->criteria_met[n]);
    }
    kv_add(&k, "criteria met", "%s", i->n_criteria_met ? hctl_buf_str(&b) : "-");
    hctl_buf_free(&b);
    facts_put(&b, i->facts);
    kv_add(&k, "facts known", "%s", hctl_buf_str(&b));
    hctl_buf_free(&b);
    join(&b, i->facts_unknown, i->n_facts_unknown);
    kv_add(&k, "facts unknown", "%s%s", hctl_buf_str(&b),
           i->n_facts_unknown ? " (the grade may still rise)" : "");
    hctl_buf_free(&b);
    kv_add(&k, "grading rules", "%s%s", str_or(i->grading_source, "-"),
           i->grading_unverified ? " (some rows shown are marked unverified)" : "");
    kv_add(&k, "discovered", "%s", TS(i->discovered_ms));
    int rc = kv_end(&k, 0, out);
    if (!rc && i->n_reports)
        rc = render_duties(i, tz_min, out);
    if (!rc && i->n_episodes)
        rc = render_episodes(i, tz_min, out);
    if (!rc && i->n_grade_history)
        rc = render_grade_history(i, tz_min, out);
    return rc ? rc : out->err;
}

int hctl_render_incident_details(const Hl__IncidentList *l, int tz_min, hctl_buf *out)
{
    if (l->n_incidents == 0)
        hctl_buf_puts(out, "no incidents\n");
    for (size_t n = 0; n < l->n_incidents; n++) {
        if (n)
            hctl_buf_puts(out, "\n");
        int rc = hctl_render_incident(l->incidents[n], tz_min, out);
        if (rc)
            return rc;
    }
    return out->err;
}

int hctl_render_alert(const Hl__Alert *a, int tz_min, hctl_buf *out)
{
    hctl_buf ups = {0};
    join(&ups, a->upstream_source_ids, a->n_upstream_source_ids);
    char rel[96];
    kv k;
    kv_begin(&k);
    kv_add(&k, "alert", "%s", str_or(a->id, "-"));
    kv_add(&k, "incident", "%s", str_or(a->incident_id, "-"));
    kv_add(&k, "warning level", "%s", hctl_level_str(a->warning_level));
    kv_add(&k, "raised", "%s", TS(a->raised_ms));
    kv_add(&k, "station", "%s", str_or(a->station_id, "-"));
    kv_add(&k, "section", "%s", str_or(a->section_id, "-"));
    kv_add(&k, "jurisdiction", "%s", str_or(a->jurisdiction, "-"));
    kv_add(&k, "chainage", "km %s", NUM(a->chainage_km));
    kv_add(&k, "parameter", "%s", str_or(a->parameter, "-"));
    kv_add(&k, "value", "%s mg/L", NUM(a->value_mg_l));
    if (a->limit_mg_l > 0)
        kv_add(&k, "limit", "%s mg/L (%s)", NUM(a->limit_mg_l),
               str_or(a->limit_source, "source not given"));
    else
        kv_add(&k, "limit", "-");
    kv_add(&k, "multiple", "%s", NUM(a->multiple));
    kv_add(&k, "reason", "%s", str_or(a->reason, "-"));
    kv_add(&k, "release at", "km %s, %s%s", NUM(a->release_chainage_km), TS(a->release_ms),
           a->reported ? " (as reported)" : "");
    kv_add(&k, "release", "%s", release_str(a->mass_kg, a->duration_s, rel, sizeof rel));
    kv_add(&k, "source", "%s", str_or(a->source_id, "-"));
    kv_add(&k, "upstream sources", "%s", hctl_buf_str(&ups));
    hctl_buf_free(&ups);
    return kv_end(&k, 0, out);
}

/* ---- Lists ---- */

int hctl_render_incidents(const Hl__IncidentList *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"ID",        "STATE",      "ORIGIN",  "STATION",
                              "PARAMETER", "KM",         "OPENED",  "READINGS",
                              "PEAK mg/L", "LIMIT mg/L", "LEVEL",   "GRADE",
                              "ALERTS",    "SIDE",       "REPORTS", "UPSTREAM SOURCES"};
    static const int right[] = {5, 7, 8, 9, 12};
    hctl_table *t = table_new(h, 16, right, 5);
    if (!t)
        return HL_ENOMEM;
    char lim[64];
    int rc = 0;
    char g[96];
    for (size_t n = 0; n < l->n_incidents; n++) {
        const Hl__Incident *i = l->incidents[n];
        hctl_buf ups = {0}, rep = {0};
        join(&ups, i->upstream_source_ids, i->n_upstream_source_ids);
        CELL(i->id);
        CELL(i->state);
        CELL(i->origin);
        CELL(i->station_id);
        CELL(i->parameter);
        CELL(NUM(i->chainage_km));
        CELL(TS(i->opened_ms));
        CELLF("%" PRIu32, i->reading_count);
        CELL(i->peak_value_mg_l > 0 ? NUM(i->peak_value_mg_l) : "-");
        CELL(limit_str(i->limit_mg_l, i->limit_source, lim, sizeof lim));
        CELL(hctl_level_str(i->warning_level));
        CELL(grade_str(i, g, sizeof g));
        CELLF("%" PRIu32, i->alert_count);
        CELL(i->jurisdiction);
        /* States only here; the deadlines are in the lines under the table. */
        for (size_t d = 0; d < i->n_reports; d++)
            hctl_buf_printf(&rep, "%s%s %s", d ? ", " : "", str_or(i->reports[d]->id, "-"),
                            strcmp(str_or(i->reports[d]->state, ""), "overdue")
                                ? str_or(i->reports[d]->state, "-")
                                : "OVERDUE");
        CELL(hctl_buf_str(&rep));
        CELL(hctl_buf_str(&ups));
        if (!rc)
            rc = ups.err ? ups.err : rep.err;
        hctl_buf_free(&ups);
        hctl_buf_free(&rep);
    }
    rc = table_end(t, rc, "incidents", out);
    /* Under the table: what decided each grade, and each report with its deadline. */
    for (size_t n = 0; !rc && n < l->n_incidents; n++) {
        const Hl__Incident *i = l->incidents[n];
        if (!*str_or(i->grade, "") && !i->n_reports)
            continue;
        hctl_buf_printf(out, "%s  grade %s, decided by ", str_or(i->id, "-"),
                        grade_str(i, g, sizeof g));
        cite_put(out, i->deciding);
        if (i->n_facts_unknown)
            hctl_buf_printf(out, "; %zu fact%s not known yet", i->n_facts_unknown,
                            i->n_facts_unknown == 1 ? "" : "s");
        hctl_buf_puts(out, "\n");
        if (!i->n_reports)
            continue;
        hctl_buf_printf(out, "%*s  reports: ", (int)strlen(str_or(i->id, "-")), "");
        for (size_t d = 0; d < i->n_reports; d++) {
            hctl_buf_puts(out, d ? "; " : "");
            duty_put(out, i->reports[d], tz_min);
        }
        hctl_buf_puts(out, duties_unverified(i) ? " (duty rows unverified)\n" : "\n");
    }
    if (!rc && l->n_incidents)
        hctl_buf_puts(out, "(hazctl incidents --id ID: criteria, facts, duties and episodes in "
                           "full)\n");
    return rc ? rc : out->err;
}

int hctl_render_alerts(const Hl__AlertList *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"ID",         "INCIDENT", "LEVEL",      "RAISED",     "STATION",
                              "PARAMETER",  "KM",       "VALUE mg/L", "LIMIT mg/L", "MULTIPLE",
                              "RELEASE KM", "SOURCE",   "REASON"};
    static const int right[] = {6, 7, 8, 9, 10};
    hctl_table *t = table_new(h, 13, right, 5);
    if (!t)
        return HL_ENOMEM;
    int rc = 0;
    char lim[64];
    for (size_t n = 0; n < l->n_alerts; n++) {
        const Hl__Alert *a = l->alerts[n];
        CELL(a->id);
        CELL(a->incident_id);
        CELL(hctl_level_str(a->warning_level));
        CELL(TS(a->raised_ms));
        CELL(a->station_id);
        CELL(a->parameter);
        CELL(NUM(a->chainage_km));
        CELL(NUM(a->value_mg_l));
        CELL(limit_str(a->limit_mg_l, a->limit_source, lim, sizeof lim));
        CELL(NUM(a->multiple));
        CELLF("%s%s", NUM(a->release_chainage_km), a->reported ? " (reported)" : "");
        CELL(a->source_id);
        CELL(a->reason);
    }
    return table_end(t, rc, "alerts", out);
}

static int render_points(const Hl__Plan *p, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"POINT",   "KIND",       "NAME",          "KM",
                              "ARRIVAL", "FRONT",      "PEAK",          "PEAK mg/L",
                              "CLEAR",   "THREATENED", "READY IN TIME", "HOLDS (m3 / capacity)",
                              "FROM"};
    static const int right[] = {3, 7};
    hctl_table *t = table_new(h, 13, right, 2);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 2, HCTL_CELL_MAX_WIDTH); /* NAME */
    int rc = 0;
    for (size_t n = 0; n < p->n_points; n++) {
        const Hl__ForecastPoint *f = p->points[n];
        int space = f->kind && !strcmp(f->kind, "space");
        CELL(f->point_id);
        CELL(f->kind);
        CELL(f->name);
        CELL(NUM(f->chainage_km));
        CELL(TS(f->arrival_ms));
        CELL(f->front_ms ? TS(f->front_ms) : "not reached");
        CELL(TS(f->peak_ms));
        /* 0 with concentration_known unset: the model has no figure (the point is assumed
         * to exceed); a plan made before the dispersion forecast shows its figure as is. */
        CELL(f->concentration_known || f->peak_mg_l > 0 ? NUM(f->peak_mg_l) : "unknown");
        CELL(f->open_ended && !f->clear_ms ? "open-ended" : TS(f->clear_ms));
        CELL(f->threatened ? "yes" : "no");
        CELL(space ? (f->ready_in_time ? "yes" : "NO") : "-");
        if (!space)
            CELL("-");
        else if (f->volume_m3 > 0)
            CELLF("%s (%s / %s)", f->holds ? "yes" : "NO", NUM(f->volume_m3), NUM(f->capacity_m3));
        else
            CELL("not checked (volume unknown)");
        CELL(*str_or(f->reanchored_by, "") ? f->reanchored_by : "model");
    }
    if (!rc && hctl_table_rows(t) == 0)
        hctl_buf_puts(out, "  no forecast points\n");
    else if (!rc)
        rc = hctl_table_render(t, 2, out);
    hctl_table_destroy(&t);
    /* The caveat travels with the numbers: said under the table too, not only above it. */
    if (!rc && p->velocities_unverified && p->n_points)
        hctl_buf_puts(out, "  (every time above is an estimate: the river velocities are hazlink "
                           "assumptions, unverified)\n");
    return rc ? rc : out->err;
}

int hctl_render_plans(const Hl__PlanList *l, int tz_min, hctl_buf *out)
{
    if (l->n_plans == 0) {
        hctl_buf_puts(out, "no plans\n");
        return out->err;
    }
    for (size_t n = 0; n < l->n_plans; n++) {
        const Hl__Plan *p = l->plans[n];
        if (n)
            hctl_buf_puts(out, "\n");
        hctl_buf_printf(out, "plan %s\n", str_or(p->id, "-"));
        kv k;
        kv_begin(&k);
        kv_add(&k, "incident", "%s (alert %s)", str_or(p->incident_id, "-"),
               str_or(p->alert_id, "-"));
        kv_add(&k, "created", "%s", TS(p->created_ms));
        kv_add(&k, "release", "%s at km %s, %s", str_or(p->parameter, "-"),
               NUM(p->release_chainage_km), TS(p->release_ms));
        kv_add(&k, "season", "%s%s", str_or(p->season, "-"),
               p->velocities_unverified ? " (velocities unverified: hazlink assumption)" : "");
        if (*str_or(p->chosen_space_id, ""))
            kv_add(&k, "interception", "%s %s (%s)", p->chosen_space_id,
                   str_or(p->chosen_space_name, ""),
                   p->space_ready_in_time ? "ready before the front"
                                          : "NOT ready before the front");
        else
            kv_add(&k, "interception", "none: %s", str_or(p->fallback, "no reason given"));
        if (*str_or(p->chosen_space_id, "") && *str_or(p->fallback, ""))
            kv_add(&k, "fallback", "%s", p->fallback);
        if (*str_or(p->spaces_passed_over, ""))
            kv_add(&k, "passed over", "%s", p->spaces_passed_over);
        kv_add(&k, "reservation", "%s (%s)", str_or(p->reservation_id, "-"),
               str_or(p->reservation_state, "-"));
        kv_add(&k, "tasks", "%zu", p->n_task_ids);
        if (p->limit_mg_l > 0)
            kv_add(&k, "limit", "%s mg/L (front and clear are against it)", NUM(p->limit_mg_l));
        if (*str_or(p->source, ""))
            kv_add(&k, "source", "%s, %s", p->source,
                   release_str(p->mass_kg, p->duration_s, (char[96]){0}, 96));
        if (*str_or(p->method, ""))
            kv_add(&k, "method", "%s", p->method);
        if (*str_or(p->forecast_caveats, ""))
            kv_add(&k, "caveats", "%s%s", p->forecast_caveats,
                   p->dispersion_unverified ? " (a dispersion coefficient is unverified)" : "");
        if (p->updates)
            kv_add(&k, "re-anchored", "%" PRIu32 " time%s, last %s: %s", p->updates,
                   p->updates == 1 ? "" : "s", TS(p->updated_ms), str_or(p->update_note, "-"));
        int rc = kv_end(&k, 2, out);
        if (!rc)
            rc = render_points(p, tz_min, out);
        if (rc)
            return rc;
    }
    return out->err;
}

int hctl_render_tasks(const Hl__TaskList *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"ID",  "INCIDENT",     "UNIT",  "KIND",  "STATE",
                              "DUE", "ACKNOWLEDGED", "ACTOR", "TITLE", "REASON"};
    hctl_table *t = table_new(h, 10, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 8, HCTL_CELL_MAX_WIDTH); /* TITLE: the JSON has it whole */
    int rc = 0;
    for (size_t n = 0; n < l->n_tasks; n++) {
        const Hl__Task *k = l->tasks[n];
        CELL(k->id);
        CELL(k->incident_id);
        CELL(k->unit_id);
        CELL(k->kind);
        CELL(k->state);
        CELL(TS(k->due_ms));
        CELL(TS(k->acknowledged_ms));
        CELL(k->actor);
        CELL(k->title);
        CELL(k->reason);
    }
    return table_end(t, rc, "tasks", out);
}

/* ---- Escalation chain ---- */

/* What chain position i has been told so far, from the steps taken (buf >= 96 bytes). */
static void chain_told(const Hl__Escalation *e, size_t i, char *buf, size_t n)
{
    unsigned reminders = 0;
    int told = i == 0;
    for (size_t k = 0; k < e->n_steps; k++) {
        if (e->steps[k]->position != i)
            continue;
        if (!strcmp(e->steps[k]->kind, "escalate"))
            told = 1;
        else
            reminders++;
    }
    int next = e->next_due_ms > 0 && !strcmp(e->next_unit, e->chain[i]);
    if (!told) {
        snprintf(buf, n, "%s", next ? "next to be notified" : "not told");
        return;
    }
    size_t w = (size_t)snprintf(buf, n, "%s", i == 0 ? "the task's unit" : "notified");
    if (reminders && w < n)
        w += (size_t)snprintf(buf + w, n - w, ", %u reminder%s", reminders,
                              reminders == 1 ? "" : "s");
    if (next && w < n)
        snprintf(buf + w, n - w, ", next to be reminded");
}

int hctl_render_chain(const Hl__Escalation *e, int tz_min, hctl_buf *out)
{
    kv k;
    kv_begin(&k);
    kv_add(&k, "task", "%s", e->task_id);
    kv_add(&k, "level", "%s%s", hctl_level_str(e->level),
           e->level_defaulted ? " (the task gave none: the roster's default level)" : "");
    kv_add(&k, "timeout", "%lld min to acknowledge, %u reminder%s per unit",
           (long long)(e->timeout_ms / 60000), e->repeats, e->repeats == 1 ? "" : "s");
    kv_add(&k, "started", "%s", TS(e->started_ms));
    if (!strcmp(e->status, "acknowledged"))
        kv_add(&k, "status", "acknowledged by %s at %s: no further step", e->ended_by,
               TS(e->ended_ms));
    else if (!strcmp(e->status, "exhausted"))
        kv_add(&k, "status", "exhausted: every unit of the chain was told; the task still waits");
    else
        kv_add(&k, "status", "waiting for an acknowledgement since %s", TS(e->since_ms));
    if (e->next_due_ms > 0)
        kv_add(&k, "next", "%s %s at %s",
               !strcmp(e->next_kind, "repeat") ? "remind" : "escalate to", e->next_unit,
               TS(e->next_due_ms));
    else
        kv_add(&k, "next", "none");
    kv_add(&k, "timeouts", "%s", str_or(e->assumption, "(no note in the roster)"));
    int rc = kv_end(&k, 0, out);
    if (rc)
        return rc;

    static const char *hc[] = {"#", "UNIT", "NAME", "TOLD"};
    hctl_table *t = table_new(hc, 4, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 2, HCTL_CELL_MAX_WIDTH);
    for (size_t i = 0; i < e->n_chain; i++) {
        char told[96];
        chain_told(e, i, told, sizeof told);
        CELLF("%zu", i);
        CELL(e->chain[i]);
        CELL(i < e->n_chain_names ? e->chain_names[i] : "");
        CELL(told);
    }
    hctl_buf_puts(out, "\nchain\n");
    if ((rc = table_end(t, rc, "units in the chain", out)) != 0)
        return rc;

    static const char *hs[] = {"STEP", "KIND", "UNIT", "DUE", "TAKEN", "NOTICE", "CAUSE"};
    t = table_new(hs, 7, (const int[]){0}, 1);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 6, HCTL_CELL_MAX_WIDTH);
    for (size_t i = 0; i < e->n_steps; i++) {
        const Hl__EscalationStep *st = e->steps[i];
        CELLF("%u", st->n);
        CELL(st->kind);
        CELL(st->unit_id);
        CELL(TS(st->due_ms));
        CELL(TS(st->at_ms));
        CELL(st->notice_task_id);
        CELL(st->cause);
    }
    hctl_buf_puts(out, "\nsteps taken\n");
    return table_end(t, rc, "steps taken yet", out);
}

/* ---- Partner keys ---- */

int hctl_render_keys(const hctl_key_view *v, size_t n, const char *gateway_pub, const char *table,
                     hctl_buf *out)
{
    hctl_buf_printf(out, "gateway public key  %s\n",
                    gateway_pub ? gateway_pub : "(none yet: dispatch makes it at its first start)");
    hctl_buf_printf(out, "key table           %s\n\n", table);
    static const char *h[] = {"UNIT", "NAME", "PUBLIC KEY", "KEY PAIR HERE"};
    hctl_table *t = table_new(h, 4, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 1, HCTL_CELL_MAX_WIDTH);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        CELL(v[i].unit);
        CELL(v[i].name ? v[i].name : "(not in the roster: not admitted)");
        CELL(v[i].pub);
        CELL(v[i].pair);
    }
    return table_end(t, rc, "keys admitted: every partner is refused", out);
}

static void needs_line(hctl_buf *b, const char *label, Hl__MaterialNeed *const *m, size_t n)
{
    hctl_buf_printf(b, "  %s: ", label);
    if (!n)
        hctl_buf_puts(b, "-");
    for (size_t i = 0; i < n; i++)
        hctl_buf_printf(b, "%s%s %s %s", i ? ", " : "", str_or(m[i]->material_id, "?"),
                        NUM(m[i]->quantity), str_or(m[i]->unit, ""));
    hctl_buf_puts(b, "\n");
}

/* A list reply that says more matched than it holds. */
static int truncated_note(int truncated, hctl_buf *out)
{
    if (truncated)
        hctl_buf_puts(out, "(truncated: more matched than one reply holds; narrow the query "
                           "or lower --limit)\n");
    return out->err;
}

/* "; "-joined notes for a NOTES column: the flags a reader must not miss. */
static void note(hctl_buf *b, const char *text)
{
    if (!text || !*text)
        return;
    hctl_buf_printf(b, "%s%s", b->len ? "; " : "", text);
}

int hctl_render_reservations(const Hl__ReservationList *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"MATERIAL", "DEPOT",       "DEPOT NAME",    "SIDE", "QUANTITY",
                              "UNIT",     "DISTANCE km", "HANDED OUT BY", "NOTES"};
    static const int right[] = {4, 6};
    if (l->n_reservations == 0) {
        hctl_buf_puts(out, "no reservations\n");
        return truncated_note(l->truncated, out);
    }
    for (size_t n = 0; n < l->n_reservations; n++) {
        const Hl__Reservation *r = l->reservations[n];
        if (n)
            hctl_buf_puts(out, "\n");
        hctl_buf_printf(out, "reservation %s  state %s  incident %s  plan %s  created %s\n",
                        str_or(r->id, "-"), str_or(r->state, "-"), str_or(r->incident_id, "-"),
                        str_or(r->plan_id, "-"), TS(r->created_ms));
        if (*str_or(r->purpose, ""))
            hctl_buf_printf(out, "  purpose: %s\n", r->purpose);
        if (r->updated_ms)
            hctl_buf_printf(out, "  last change: %s\n", TS(r->updated_ms));
        if (*str_or(r->near_confidence, ""))
            hctl_buf_printf(out, "  near point confidence: %s\n", r->near_confidence);
        needs_line(out, "needed", r->needs, r->n_needs);
        hctl_table *t = table_new(h, 9, right, 2);
        if (!t)
            return HL_ENOMEM;
        hctl_table_max_width(t, 2, HCTL_CELL_MAX_WIDTH); /* DEPOT NAME */
        int rc = 0;
        for (size_t i = 0; i < r->n_lines; i++) {
            const Hl__ReservationLine *x = r->lines[i];
            hctl_buf nb = {0};
            if (x->quantity_assumed)
                note(&nb, "stock figures assumed");
            if (x->material_unverified)
                note(&nb, "catalogue row unverified");
            if (*str_or(x->location_confidence, "")) {
                hctl_buf_printf(&nb, "%sdepot location: %s", nb.len ? "; " : "",
                                x->location_confidence);
            }
            CELL(x->material_id);
            CELL(x->depot_id);
            CELL(x->depot_name);
            CELL(x->depot_jurisdiction);
            CELL(NUM(x->quantity));
            CELL(x->unit);
            CELL(NUM(x->distance_km));
            CELL(x->owner_unit);
            CELL(hctl_buf_str(&nb));
            if (!rc)
                rc = nb.err;
            hctl_buf_free(&nb);
        }
        for (size_t i = 0; i < r->n_shortfall; i++) {
            const Hl__MaterialNeed *m = r->shortfall[i];
            CELL(m->material_id);
            CELL("(not covered)");
            CELL("-");
            CELL("-");
            CELL(NUM(m->quantity));
            CELL(m->unit);
            CELL("-");
            CELL("-");
            CELL("SHORTFALL");
        }
        if (!rc && hctl_table_rows(t) > 0)
            rc = hctl_table_render(t, 2, out);
        hctl_table_destroy(&t);
        if (rc)
            return rc;
        if (r->n_shortfall)
            needs_line(out, "SHORTFALL (could not be covered)", r->shortfall, r->n_shortfall);
    }
    return truncated_note(l->truncated, out);
}

int hctl_render_stock(const Hl__StockList *l, int tz_min, hctl_buf *out)
{
    (void)tz_min;
    static const char *h[] = {"DEPOT",         "DEPOT NAME", "SIDE",     "MATERIAL",
                              "MATERIAL NAME", "ON HAND",    "RESERVED", "AVAILABLE",
                              "ISSUED",        "UNIT",       "OWNER",    "NOTES"};
    static const int right[] = {5, 6, 7, 8};
    hctl_table *t = table_new(h, 12, right, 4);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 1, HCTL_CELL_MAX_WIDTH); /* DEPOT NAME */
    hctl_table_max_width(t, 4, HCTL_CELL_MAX_WIDTH); /* MATERIAL NAME */
    int rc = 0;
    for (size_t n = 0; n < l->n_items; n++) {
        const Hl__StockItem *s = l->items[n];
        hctl_buf nb = {0};
        if (s->below_minimum)
            hctl_buf_printf(&nb, "BELOW MINIMUM %s", NUM(s->minimum));
        if (s->expired > 0)
            hctl_buf_printf(&nb, "%s%s expired", nb.len ? "; " : "", NUM(s->expired));
        if (s->quantity_assumed)
            note(&nb, "on hand assumed");
        if (*str_or(s->location_confidence, ""))
            hctl_buf_printf(&nb, "%slocation: %s", nb.len ? "; " : "", s->location_confidence);
        CELL(s->depot_id);
        CELL(s->depot_name);
        CELL(s->jurisdiction);
        CELL(s->material_id);
        CELL(s->material_name);
        CELL(NUM(s->on_hand));
        CELL(NUM(s->reserved));
        CELL(NUM(s->available)); /* from the ledger: on hand not expired, minus reserved */
        CELL(NUM(s->issued));
        CELL(s->unit);
        CELL(s->owner_unit);
        CELL(hctl_buf_str(&nb));
        if (!rc)
            rc = nb.err;
        hctl_buf_free(&nb);
    }
    rc = table_end(t, rc, "stock", out);
    return rc ? rc : truncated_note(l->truncated, out);
}

int hctl_render_ledger(const Hl__LedgerTotals *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"DEPOT",       "MATERIAL",     "UNIT",     "RECEIVED",
                              "ISSUED",      "CONSUMED",     "RETURNED", "TRANSFERS +/-",
                              "WRITTEN OFF", "ADJUSTED +/-", "RESERVED", "ON HAND",
                              "EXPIRED",     "AVAILABLE",    "MINIMUM",  "NOTES"};
    static const int right[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14};
    hctl_table *t = table_new(h, 16, right, 12);
    if (!t)
        return HL_ENOMEM;
    hctl_buf_printf(out,
                    "stock ledger as of %s (on hand = in - out; available = on hand not "
                    "expired - reserved)\n",
                    TS(l->as_of_ms));
    int rc = 0;
    for (size_t n = 0; n < l->n_items; n++) {
        const Hl__LedgerTotal *x = l->items[n];
        hctl_buf nb = {0};
        if (x->below_minimum)
            note(&nb, "BELOW MINIMUM");
        if (x->quantity_assumed)
            note(&nb, "opening stock assumed");
        if (x->material_unverified)
            note(&nb, "catalogue row unverified");
        CELL(x->depot_id);
        CELL(x->material_id);
        CELL(x->unit);
        CELL(NUM(x->received));
        CELL(NUM(x->issued));
        CELL(NUM(x->consumed));
        CELL(NUM(x->returned));
        CELLF("+%s/-%s", NUM(x->transferred_in), NUM(x->transferred_out));
        CELL(NUM(x->written_off));
        CELLF("+%s/-%s", NUM(x->adjusted_in), NUM(x->adjusted_out));
        CELL(NUM(x->reserved));
        CELL(NUM(x->on_hand));
        CELL(NUM(x->expired));
        CELL(NUM(x->available));
        CELL(x->minimum > 0 ? NUM(x->minimum) : "-");
        CELL(hctl_buf_str(&nb));
        if (!rc)
            rc = nb.err;
        hctl_buf_free(&nb);
    }
    rc = table_end(t, rc, "ledger lines", out);
    return rc ? rc : truncated_note(l->truncated, out);
}

/* "44.3,84.9 (low)"; the confidence travels with the point (common.proto GeoPoint). Where the
 * source has no coordinates, its note says so. */
static const char *geo_str(const Hl__GeoPoint *g, const char *no_point_note, char *buf, size_t n)
{
    char a[32], b[32];
    if (!g || (g->lat == 0 && g->lon == 0)) {
        const char *why = g && g->confidence && *g->confidence ? g->confidence : no_point_note;
        snprintf(buf, n, "no coordinates%s%s", why && *why ? ": " : "", why ? why : "");
    } else {
        snprintf(buf, n, "%s,%s (%s)", hctl_num_str(g->lat, a, sizeof a),
                 hctl_num_str(g->lon, b, sizeof b), str_or(g->confidence, "confidence not given"));
    }
    return buf;
}

/* A critical quantity cell: "50", "5 (unverified)", "not listed". */
static void critical_cell(hctl_table *t, int *rc, double q, int unverified)
{
    char v[32];
    if (*rc)
        return;
    if (q > 0)
        *rc = hctl_table_cellf(t, "%s%s", hctl_num_str(q, v, sizeof v),
                               unverified ? " (unverified)" : "");
    else
        *rc = hctl_table_cell(t, unverified ? "not listed (unverified)" : "not listed");
}

/* One medium of HJ 941: "水 M 50 (M3) E1 → 重大-水(Q3-M3-E1)". */
static void hj941_medium_put(hctl_buf *b, const Hl__Hj941Medium *m)
{
    if (!m || !*str_or(m->medium, ""))
        return;
    hctl_buf_printf(b, "; %s ", m->medium);
    if (m->m > 0)
        hctl_buf_printf(b, "M %s (%s) ", NUM(m->m), str_or(m->m_band, "-"));
    hctl_buf_printf(b, "%s → %s%s", str_or(m->e, "E?"), str_or(m->label, "not determined"),
                    m->unverified ? " (unverified)" : "");
}

/* Two lines per source: HJ 941-2018 (Q and its band, M and E per medium, the level and its
 * label) and GB 18218-2018 (S, major or not, α, R and the grade, the other grade when a β is
 * disputed). Every flag the result carries is said in words. */
static void source_grades(const Hl__RiskSource *s, hctl_buf *out)
{
    int pad = (int)strlen(str_or(s->id, "-"));
    const Hl__Hj941Result *h = s->hj941;
    const Hl__Gb18218Result *g = s->gb18218;
    hctl_buf_printf(out, "%s  HJ 941-2018: ", str_or(s->id, "-"));
    if (!h) {
        hctl_buf_puts(out, "not graded\n");
    } else {
        hctl_buf_printf(out, "%s%s; Q %s (%s)%s",
                        h->graded ? str_or(h->label, "-") : "not determined",
                        h->unverified ? " (unverified)" : "", NUM(h->q), str_or(h->q_band, "-"),
                        h->q_unverified ? " (unverified)" : "");
        hj941_medium_put(out, h->air);
        hj941_medium_put(out, h->water);
        hctl_buf_puts(out, h->inputs_assumed ? "; M and E inputs assumed\n" : "\n");
    }
    hctl_buf_printf(out, "%*s  GB 18218-2018: ", pad, "");
    if (!g) {
        hctl_buf_puts(out, "not graded\n");
        return;
    }
    hctl_buf_printf(out, "S %s → %s", NUM(g->s),
                    g->major ? "major hazard source" : "not a major hazard source");
    if (g->graded) {
        hctl_buf_printf(out, "; R %s (α %s) → %s", NUM(g->r), NUM(g->alpha),
                        str_or(g->grade_name, "-"));
        if (g->depends_on_disputed)
            hctl_buf_printf(out, " (a β is disputed: R %s → grade %" PRIu32 " with the lower)",
                            NUM(g->r_alt), g->grade_alt);
    }
    hctl_buf_printf(out, "%s%s\n", g->unverified ? " (unverified)" : "",
                    g->inputs_assumed ? "; people within 500 m assumed" : "");
}

/* The terms behind one source's grades: one row per substance and standard. */
static int source_terms(const Hl__RiskSource *s, hctl_buf *out)
{
    static const char *h[] = {"STANDARD", "SUBSTANCE", "q t", "Q t", "q/Q", "β", "REFERENCE"};
    static const int right[] = {2, 3, 4};
    hctl_table *t = table_new(h, 7, right, 3);
    if (!t)
        return HL_ENOMEM;
    int rc = 0;
    for (size_t n = 0; s->hj941 && n < s->hj941->n_terms; n++) {
        const Hl__Hj941Term *x = s->hj941->terms[n];
        CELL("HJ 941-2018");
        CELL(x->substance);
        CELL(NUM(x->q_t));
        CELL(x->critical_t > 0 ? NUM(x->critical_t) : "not listed");
        CELL(NUM(x->ratio));
        CELL("-");
        CELLF("%s%s", str_or(x->ref, "-"),
              x->unverified && !strstr(str_or(x->ref, ""), "unverified") ? " (unverified)" : "");
    }
    for (size_t n = 0; s->gb18218 && n < s->gb18218->n_terms; n++) {
        const Hl__Gb18218Term *x = s->gb18218->terms[n];
        CELL("GB 18218-2018");
        CELL(x->substance);
        CELL(NUM(x->q_t));
        CELL(NUM(x->critical_t));
        CELL(NUM(x->ratio));
        if (x->beta_disputed)
            CELLF("%s or %s (disputed)", NUM(x->beta), NUM(x->beta_alt));
        else
            CELL(NUM(x->beta));
        CELLF("%s%s; %s%s", str_or(x->q_ref, "-"), x->q_unverified ? " (unverified)" : "",
              str_or(x->beta_ref, "-"), x->beta_unverified ? " (unverified)" : "");
    }
    return table_end(t, rc, "terms", out);
}

int hctl_render_source_details(const Hl__RiskSourceList *l, int tz_min, hctl_buf *out)
{
    int rc = hctl_render_sources(l, tz_min, out);
    for (size_t n = 0; !rc && n < l->n_sources; n++) {
        const Hl__RiskSource *s = l->sources[n];
        hctl_buf_printf(out, "\n%s terms:\n", str_or(s->id, "-"));
        rc = source_terms(s, out);
        if (!rc && s->hj941 && *str_or(s->hj941->note, ""))
            hctl_buf_printf(out, "HJ 941-2018 note: %s\n", s->hj941->note);
        if (!rc && s->gb18218 && *str_or(s->gb18218->note, ""))
            hctl_buf_printf(out, "GB 18218-2018 note: %s\n", s->gb18218->note);
        if (!rc && s->gb18218 && *str_or(s->gb18218->alpha_ref, ""))
            hctl_buf_printf(out, "α: %s\n", s->gb18218->alpha_ref);
    }
    return rc ? rc : out->err;
}

int hctl_render_sources(const Hl__RiskSourceList *l, int tz_min, hctl_buf *out)
{
    (void)tz_min;
    static const char *h[] = {"ID",
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
    static const int right[] = {4, 8};
    hctl_table *t = table_new(h, 12, right, 2);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 1, HCTL_CELL_MAX_WIDTH); /* NAME */
    int rc = 0;
    char geo[512];
    for (size_t n = 0; n < l->n_sources; n++) {
        const Hl__RiskSource *s = l->sources[n];
        size_t rows = s->n_substances ? s->n_substances : 1;
        for (size_t i = 0; i < rows; i++) {
            const Hl__RiskSubstance *x = s->n_substances ? s->substances[i] : NULL;
            if (i == 0) {
                CELL(s->id);
                CELL(s->name);
                CELL(s->kind);
                CELL(s->jurisdiction);
                CELL(NUM(s->outfall_chainage_km));
                CELL(s->unit_id);
            } else {
                for (int k = 0; k < 6 && !rc; k++)
                    rc = hctl_table_blank(t);
            }
            CELL(x ? x->name : "-");
            CELL(x ? x->cas : "-");
            if (x)
                CELLF("%s%s", NUM(x->max_quantity_t), x->max_quantity_assumed ? " (assumed)" : "");
            else
                CELL("-");
            if (x) {
                critical_cell(t, &rc, x->critical_quantity_t, x->unverified);
                critical_cell(t, &rc, x->hj941_critical_quantity_t, x->hj941_unverified);
            } else {
                CELL("-");
                CELL("-");
            }
            if (i == 0)
                CELL(geo_str(s->location, s->location_note, geo, sizeof geo));
            else if (!rc)
                rc = hctl_table_blank(t);
        }
    }
    rc = table_end(t, rc, "risk sources", out);
    if (rc)
        return rc;
    /* Under the table, per source: its grades with the figures behind them, then what is
     * assumed about it. */
    for (size_t n = 0; n < l->n_sources; n++) {
        const Hl__RiskSource *s = l->sources[n];
        source_grades(s, out);
        if (*str_or(s->assumption, ""))
            hctl_buf_printf(out, "%s: assumed: %s\n", s->id, s->assumption);
    }
    if (*str_or(l->note, ""))
        hctl_buf_printf(out, "note: %s\n", l->note);
    return truncated_note(l->truncated, out);
}

int hctl_render_units(const Hl__UnitList *l, int tz_min, hctl_buf *out)
{
    static const char *h[] = {"ID",         "NAME",      "NAME (EN)", "SIDE", "JURISDICTION",
                              "REPORTS TO", "CONNECTED", "LAST SEEN", "DUTY"};
    hctl_table *t = table_new(h, 9, NULL, 0);
    if (!t)
        return HL_ENOMEM;
    hctl_table_max_width(t, 1, HCTL_CELL_MAX_WIDTH); /* NAME */
    hctl_table_max_width(t, 2, HCTL_CELL_MAX_WIDTH); /* NAME (EN) */
    int rc = 0;
    for (size_t n = 0; n < l->n_units; n++) {
        const Hl__Unit *u = l->units[n];
        CELL(u->id);
        CELL(u->name);
        CELL(u->name_en);
        CELL(u->side);
        CELL(u->jurisdiction);
        CELL(u->reports_to);
        CELL(u->connected ? "yes" : "no");
        CELL(TS(u->last_seen_ms));
        CELL(u->duty);
    }
    return table_end(t, rc, "units", out);
}

/* ---- JSON by reflection over the protobuf-c descriptors ---- */

static json_t *json_str(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    /* Invalid UTF-8 (jansson refuses it): show it with replacement characters. */
    char *c = hctl_text_clean(s);
    if (!c)
        return NULL;
    j = json_string(c);
    free(c);
    return j;
}

static json_t *json_double(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* One value of field f stored at p (for repeated fields: one element). */
static json_t *json_value(const ProtobufCFieldDescriptor *f, const void *p, int tz_min)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        return json_integer(*(const int32_t *)p);
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return json_integer(*(const uint32_t *)p);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        return json_integer(*(const int64_t *)p);
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t u = *(const uint64_t *)p;
        /* JSON integers here are signed 64-bit; counters never get near 2^63. */
        return json_integer(u > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)u);
    }
    case PROTOBUF_C_TYPE_FLOAT:
        return json_double(*(const float *)p);
    case PROTOBUF_C_TYPE_DOUBLE:
        return json_double(*(const double *)p);
    case PROTOBUF_C_TYPE_BOOL:
        return json_boolean(*(const protobuf_c_boolean *)p);
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)p;
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        return ev ? json_string(ev->name) : json_integer(v);
    }
    case PROTOBUF_C_TYPE_STRING:
        return json_str(*(char *const *)p);
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = p;
        char *hex = malloc(b->len * 2 + 1);
        if (!hex)
            return NULL;
        for (size_t i = 0; i < b->len; i++)
            snprintf(hex + 2 * i, 3, "%02x", b->data[i]);
        hex[b->len * 2] = '\0';
        json_t *j = json_string(hex);
        free(hex);
        return j;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        const ProtobufCMessage *m = *(const ProtobufCMessage *const *)p;
        return m ? hctl_json_message(m, tz_min) : json_null();
    }
    }
    return json_null();
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        return 4;
    case PROTOBUF_C_TYPE_FLOAT:
        return sizeof(float);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return 8;
    case PROTOBUF_C_TYPE_DOUBLE:
        return sizeof(double);
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_ENUM:
        return sizeof(int);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* "opened_ms" → "opened_at" into buf; 0 when name does not end in "_ms". */
static int at_name(const char *name, char *buf, size_t n)
{
    size_t len = strlen(name);
    if (len < 4 || strcmp(name + len - 3, "_ms") || len + 1 > n)
        return 0;
    memcpy(buf, name, len - 3);
    memcpy(buf + len - 3, "_at", 4);
    return 1;
}

json_t *hctl_json_message(const ProtobufCMessage *m, int tz_min)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        const void *p = base + f->offset;
        json_t *v = NULL;
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            /* Only the member that is set appears. */
            if (*(const uint32_t *)(base + f->quantifier_offset) != f->id)
                continue;
        }
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)(base + f->quantifier_offset);
            const char *arr = *(const char *const *)p;
            size_t es = elem_size(f);
            v = json_array();
            for (size_t k = 0; v && k < n; k++) {
                json_t *e = json_value(f, arr + k * es, tz_min);
                if (!e || json_array_append_new(v, e) < 0) {
                    json_decref(v);
                    v = NULL;
                }
            }
        } else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                   !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && f->type != PROTOBUF_C_TYPE_STRING &&
                   f->type != PROTOBUF_C_TYPE_MESSAGE &&
                   !*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
            v = json_null(); /* proto3 optional scalar not given */
        } else {
            v = json_value(f, p, tz_min);
        }
        if (!v || json_object_set_new(o, f->name, v) < 0)
            goto fail;
        char at[128];
        if (f->type == PROTOBUF_C_TYPE_INT64 && f->label != PROTOBUF_C_LABEL_REPEATED &&
            json_is_integer(v) && at_name(f->name, at, sizeof at)) {
            int64_t ms = (int64_t)json_integer_value(v);
            char ts[40];
            json_t *a = ms && hl_time_format(ms, tz_min, ts, sizeof ts) == 0 ? json_string(ts)
                                                                             : json_null();
            if (!a || json_object_set_new(o, at, a) < 0)
                goto fail;
        }
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

const char *hctl_code_name(int code)
{
    static const char *names[] = {
        "HL_OK",     "HL_EINVAL",  "HL_ENOMEM",   "HL_EIO",      "HL_ENOTFOUND",
        "HL_EEXIST", "HL_EDECODE", "HL_ETOOBIG",  "HL_ETIMEOUT", "HL_EMAPFULL",
        "HL_EBUSY",  "HL_EUNIT",   "HL_ESTATE",   "HL_EPARSE",   "HL_EZMQ",
        "HL_ESTORE", "HL_EDENIED", "HL_EUNKNOWN", "HL_ECLOSED",
    };
    if (code <= 0 && -code < (int)(sizeof names / sizeof names[0]))
        return names[-code];
    return "unknown code";
}

json_t *hctl_json_error(const char *service, int code, const char *field, const char *message)
{
    json_t *e = json_object();
    json_t *root = json_object();
    if (!e || !root || json_object_set_new(root, "error", e) < 0) {
        json_decref(e);
        json_decref(root);
        return NULL;
    }
    if (json_object_set_new(e, "service", json_str(service)) < 0 ||
        json_object_set_new(e, "code", json_integer(code)) < 0 ||
        json_object_set_new(e, "code_name", json_string(hctl_code_name(code))) < 0 ||
        json_object_set_new(e, "field", json_str(field)) < 0 ||
        json_object_set_new(e, "message", json_str(message)) < 0) {
        json_decref(root);
        return NULL;
    }
    return root;
}

json_t *hctl_json_keys(const hctl_key_view *v, size_t n, const char *gateway_pub, const char *table)
{
    json_t *keys = json_array();
    for (size_t i = 0; keys && i < n; i++)
        json_array_append_new(keys,
                              json_pack("{s:s, s:o, s:s, s:b, s:o}", "unit", v[i].unit, "name",
                                        v[i].name ? json_str(v[i].name) : json_null(), "public_key",
                                        v[i].pub, "in_roster", v[i].name != NULL, "pair",
                                        v[i].pair ? json_str(v[i].pair) : json_null()));
    return json_pack("{s:o, s:s, s:o}", "gateway_public_key",
                     gateway_pub ? json_str(gateway_pub) : json_null(), "table", table, "keys",
                     keys ? keys : json_array());
}
