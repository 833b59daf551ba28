/* grade_handlers.c — the grade and the reporting duties of incidents: alert.facts,
 * alert.regrade, alert.report_done, and the grading of every new incident (handlers.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "incgrade.h"
#include "shell.h"

int alert_neighbour_downstream(const hl_network *net, double km, const char *jurisdiction)
{
    if (!jurisdiction || !jurisdiction[0])
        return 0;
    for (size_t i = 0; i < net->n_stations; i++)
        if (net->stations[i].chainage_km >= km && net->stations[i].jurisdiction[0] &&
            strcmp(net->stations[i].jurisdiction, jurisdiction) != 0)
            return 1;
    for (size_t i = 0; i < net->n_spaces; i++)
        if (net->spaces[i].chainage_km >= km && net->spaces[i].jurisdiction[0] &&
            strcmp(net->spaces[i].jurisdiction, jurisdiction) != 0)
            return 1;
    for (size_t i = 0; i < net->n_receptors; i++)
        if (net->receptors[i].chainage_km >= km && net->receptors[i].jurisdiction[0] &&
            strcmp(net->receptors[i].jurisdiction, jurisdiction) != 0)
            return 1;
    return 0;
}

static const char *actor_of(const hl_req *r, const char *given)
{
    if (given && given[0])
        return given;
    return r->env && r->env->sender_unit ? r->env->sender_unit : "";
}

int alert_grade_open(alert_ctx *a, hl_req *r, Hl__Incident *inc, const grading_facts *f,
                     const char *actor, int64_t discovered_ms, int neighbour)
{
    grading_result res;
    reporting_state st;
    int e;
    if ((e = grading_grade(a->grading, f, &res)) < 0 ||
        (e = reporting_open(a->duties, res.grade, discovered_ms, neighbour, &st)) < 0 ||
        (e = incgrade_facts_write(inc, f, actor, "")) < 0 ||
        (e = incgrade_reports_write(inc, a->duties, &st, r->now_ms)) < 0 ||
        (e = incgrade_set_result(inc, a->grading, f, &res, res.grade, 1)) < 0 ||
        (e = incgrade_history_add(inc, r->now_ms, actor, GRADE_NONE, res.grade, inc->deciding->cite,
                                  "", 1)) < 0)
        return e;
    return alert_audit_by(r, inc->id, "graded", actor, "graded %s (%s): %s%s", inc->grade,
                          inc->grade_name, inc->deciding->cite,
                          neighbour ? "; the neighbouring side may be affected: notice due" : "");
}

/* A record made before grading existed is graded on first use, from its opening time. */
static int grade_ensure(alert_ctx *a, hl_req *r, Hl__Incident *inc)
{
    if (incgrade_current(inc) != GRADE_NONE)
        return 0;
    grading_facts f;
    incgrade_facts_read(inc, &f);
    int neighbour = alert_neighbour_downstream(a->net, inc->chainage_km, inc->jurisdiction);
    return alert_grade_open(a, r, inc, &f, "alert", inc->opened_ms > 0 ? inc->opened_ms : r->now_ms,
                            neighbour);
}

/* Fetch the incident a grading request names; on failure the reply is set and NULL
 * returned with *e the code. */
static Hl__Incident *incident_for(alert_ctx *a, hl_req *r, const char *id, const char *field,
                                  int *e)
{
    if (hl_id_check(id) < 0) {
        *e = hl_req_fail(r, HL_EINVAL, field,
                         "incident_id must be 1..%d characters of "
                         "[A-Za-z0-9._:-]",
                         HL_ID_MAX);
        return NULL;
    }
    Hl__Incident *inc = alert_incident_get(r->txn, id, e);
    if (!inc) {
        *e = hl_req_fail(r, *e == HL_ENOTFOUND ? HL_ENOTFOUND : *e, field, "incident '%s' %s", id,
                         *e == HL_ENOTFOUND ? "does not exist" : "cannot be read");
        return NULL;
    }
    if ((*e = grade_ensure(a, r, inc)) < 0) {
        *e = hl_req_fail(r, *e, field, "incident '%s' cannot be graded: %s", id, hl_strerror(*e));
        alert_msg_free(inc);
        return NULL;
    }
    return inc;
}

/* Store, publish and answer with the incident (report states as of now). */
static int incident_done(hl_req *r, Hl__Incident *inc, int graded)
{
    int e;
    if ((e = incgrade_reports_refresh(inc, r->now_ms)) < 0 ||
        (e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.updated", &inc->base)) < 0 ||
        (graded && (e = hl_svc_publish(r, "incident.graded", &inc->base)) < 0))
        return e;
    return hl_req_reply(r, r->env->type, &inc->base);
}

/* ---------------------------------------------------------------- alert.facts ---- */

static int facts_apply(void *ud, hl_req *r, const ProtobufCMessage *m)
{
    alert_ctx *a = ud;
    const Hl__IncidentFacts *in = (const Hl__IncidentFacts *)m;
    const char *actor = actor_of(r, in->actor);
    if (hl_str_check(actor, REPORTING_ACTOR_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "facts.actor", "actor must be 1..%d bytes of UTF-8 text",
                           REPORTING_ACTOR_MAX);
    if (hl_str_check(in->basis, HL_TEXT_MAX, 0) < 0)
        return hl_req_fail(r, HL_EINVAL, "facts.basis", "basis must be at most %d bytes of text",
                           HL_TEXT_MAX);
    int e;
    Hl__Incident *inc = incident_for(a, r, in->incident_id, "facts.incident_id", &e);
    if (!inc)
        return e;
    grading_facts f;
    incgrade_facts_read(inc, &f);
    char field[64], why[640], changes[640];
    if ((e = incgrade_facts_merge(a->grading, in, &f, "facts", field, sizeof field, why, sizeof why,
                                  changes, sizeof changes)) < 0) {
        e = hl_req_fail(r, e == HL_ENOTFOUND ? HL_EINVAL : e, field, "%s", why);
        goto out;
    }
    grading_result res;
    reporting_state st;
    if ((e = grading_grade(a->grading, &f, &res)) < 0 ||
        (e = incgrade_reports_read(inc, &st)) < 0 ||
        (e = incgrade_facts_write(inc, &f, actor, in->basis)) < 0)
        goto fail;
    grade_level cur = incgrade_current(inc), before = incgrade_by_facts(inc);
    int raised = res.grade > cur && res.grade > before;
    if (raised) {
        if ((e = incgrade_set_result(inc, a->grading, &f, &res, res.grade, 1)) < 0)
            goto fail;
        char why_up[1024];
        snprintf(why_up, sizeof why_up, "grade %s → %s: %s", grading_roman(cur),
                 grading_roman(res.grade), inc->deciding->cite);
        if ((e = incgrade_history_add(inc, r->now_ms, actor, cur, res.grade, inc->deciding->cite,
                                      "", 1)) < 0 ||
            (e = reporting_grade_changed(a->duties, &st, cur, res.grade, r->now_ms, why_up)) < 0 ||
            (e = alert_audit_by(r, inc->id, "graded", actor, "%s (facts: %s)", why_up, changes)) <
                0)
            goto fail;
        hl_info("incident %s: %s", inc->id, why_up);
    } else {
        /* Facts never lower the grade; the deciding criterion follows them only while they
         * still give the grade in force and no officer set it. */
        int follow = !incgrade_manual(inc) && res.grade == cur;
        if ((e = incgrade_set_result(inc, a->grading, &f, &res, cur, follow)) < 0)
            goto fail;
    }
    grade_level now_grade = incgrade_current(inc);
    if ((e = reporting_facts_changed(a->duties, &st, now_grade, r->now_ms, changes)) < 0)
        goto fail;
    if (f.known[GF_CROSS] && strcmp(f.cat[GF_CROSS], "none") != 0) {
        char nb[128];
        snprintf(nb, sizeof nb, "cross-boundary effect reported: %s", f.cat[GF_CROSS]);
        if ((e = reporting_neighbour(a->duties, &st, now_grade, r->now_ms, nb)) < 0)
            goto fail;
    }
    if ((e = incgrade_reports_write(inc, a->duties, &st, r->now_ms)) < 0 ||
        (e = alert_audit_by(r, inc->id, "facts", actor, "%s; facts give %s, grade %s%s%s", changes,
                            grading_roman(res.grade), inc->grade, in->basis[0] ? "; basis: " : "",
                            in->basis)) < 0)
        goto fail;
    e = incident_done(r, inc, raised);
    goto out;
fail:
    e = hl_req_fail(r, e, "facts", "the facts of incident %s cannot be applied: %s", inc->id,
                    hl_strerror(e));
out:
    alert_msg_free(inc);
    return e;
}

static int h_facts(hl_req *r, void *ud)
{
    return alert_handle(r, ud, &hl__incident_facts__descriptor, facts_apply);
}

/* --------------------------------------------------------------- alert.regrade ---- */

static int regrade_apply(void *ud, hl_req *r, const ProtobufCMessage *m)
{
    alert_ctx *a = ud;
    const Hl__RegradeRequest *q = (const Hl__RegradeRequest *)m;
    grade_level g;
    if (grading_parse(q->grade, &g) < 0)
        return hl_req_fail(r, HL_EINVAL, "regrade.grade",
                           "grade '%.40s' is not I, II, III, IV (特别重大, 重大, 较大, 一般)",
                           q->grade);
    if (hl_str_check(q->actor, REPORTING_ACTOR_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "regrade.actor",
                           "the duty officer must be named (1..%d bytes)", REPORTING_ACTOR_MAX);
    if (hl_str_check(q->reason, HL_TEXT_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "regrade.reason",
                           "a duty officer's regrade needs a reason (1..%d bytes of text)",
                           HL_TEXT_MAX);
    int e;
    Hl__Incident *inc = incident_for(a, r, q->incident_id, "regrade.incident_id", &e);
    if (!inc)
        return e;
    grade_level cur = incgrade_current(inc);
    if (g == cur) {
        e = hl_req_fail(r, HL_ESTATE, "regrade.grade", "incident %s is already %s (%s)", inc->id,
                        grading_roman(g), grading_name(g));
        goto out;
    }
    reporting_state st;
    char why[HL_TEXT_MAX + 256];
    snprintf(why, sizeof why, "grade %s → %s by duty officer %s: %s", grading_roman(cur),
             grading_roman(g), q->actor, q->reason);
    if ((e = incgrade_reports_read(inc, &st)) < 0 ||
        (e = incgrade_set_manual(inc, g, q->actor, q->reason)) < 0 ||
        (e = incgrade_history_add(inc, r->now_ms, q->actor, cur, g, inc->deciding->cite, q->reason,
                                  0)) < 0 ||
        (e = reporting_grade_changed(a->duties, &st, cur, g, r->now_ms, why)) < 0 ||
        (e = incgrade_reports_write(inc, a->duties, &st, r->now_ms)) < 0 ||
        (e = alert_audit_by(r, inc->id, "graded", q->actor, "%s", why)) < 0) {
        e = hl_req_fail(r, e, "regrade", "incident %s cannot be regraded: %s", inc->id,
                        hl_strerror(e));
        goto out;
    }
    hl_info("incident %s: %s", inc->id, why);
    e = incident_done(r, inc, 1);
out:
    alert_msg_free(inc);
    return e;
}

static int h_regrade(hl_req *r, void *ud)
{
    return alert_handle(r, ud, &hl__regrade_request__descriptor, regrade_apply);
}

/* ----------------------------------------------------------- alert.report_done ---- */

static int report_done_apply(void *ud, hl_req *r, const ProtobufCMessage *m)
{
    alert_ctx *a = ud;
    const Hl__ReportDone *q = (const Hl__ReportDone *)m;
    const char *actor = actor_of(r, q->actor);
    if (hl_str_check(actor, REPORTING_ACTOR_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "report_done.actor",
                           "actor must be 1..%d bytes of UTF-8 text", REPORTING_ACTOR_MAX);
    if (hl_str_check(q->report_id, REPORTING_ID_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "report_done.report_id",
                           "report_id must be 1..%d bytes (initial, notice, followup, "
                           "followup-N, final)",
                           REPORTING_ID_MAX);
    int64_t at = q->done_ms ? q->done_ms : r->now_ms;
    if (at <= 0 || at > r->now_ms)
        return hl_req_fail(r, HL_EINVAL, "report_done.done_ms",
                           "done_ms %" PRId64 " is not a time up to now (Unix ms UTC, 0 = now)",
                           q->done_ms);
    int e;
    Hl__Incident *inc = incident_for(a, r, q->incident_id, "report_done.incident_id", &e);
    if (!inc)
        return e;
    reporting_state st;
    char why[256];
    if ((e = incgrade_reports_read(inc, &st)) < 0) {
        e = hl_req_fail(r, e, "report_done", "reports of incident %s cannot be read", inc->id);
        goto out;
    }
    e = reporting_done(a->duties, &st, q->report_id, incgrade_current(inc), at, actor, why,
                       sizeof why);
    if (e < 0) {
        e = hl_req_fail(r, e, e == HL_EINVAL ? "report_done.actor" : "report_done.report_id", "%s",
                        why);
        goto out;
    }
    if ((e = incgrade_reports_write(inc, a->duties, &st, r->now_ms)) < 0 ||
        (e = alert_audit_by(r, inc->id, "report_done", actor, "report %s done at %" PRId64,
                            q->report_id, at)) < 0) {
        e = hl_req_fail(r, e, "report_done", "incident %s cannot be updated: %s", inc->id,
                        hl_strerror(e));
        goto out;
    }
    hl_info("incident %s: report %s done by %s", inc->id, q->report_id, actor);
    e = incident_done(r, inc, 0);
out:
    alert_msg_free(inc);
    return e;
}

static int h_report_done(hl_req *r, void *ud)
{
    return alert_handle(r, ud, &hl__report_done__descriptor, report_done_apply);
}

int alert_grade_handlers_register(hl_svc *s, alert_ctx *a)
{
    int rc;
    if ((rc = hl_svc_on(s, "alert.facts", h_facts, a, 0)) < 0 ||
        (rc = hl_svc_on(s, "alert.regrade", h_regrade, a, 0)) < 0 ||
        (rc = hl_svc_on(s, "alert.report_done", h_report_done, a, 0)) < 0)
        return rc;
    return 0;
}
