/* handlers.c — see handlers.h. */
#include "handlers.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.pb-c.h"
#include "episode.h"
#include "incgrade.h"
#include "link.h"
#include "shell.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_store.h"
#include "playbook.pb-c.h"
#include "risk.pb-c.h"

#define UPSTREAM_KEY "upstream:" /* idempotency key prefix of risk.upstream requests */
#define UNIT_MAX 32              /* bytes of a reading's unit */
#define REPORT_MAX_DURATION_S (30.0 * 24 * 3600)
#define REPORT_MAX_MASS_KG 1e9
#define ALERT_LINK_MAX                                                                             \
    256 /* newest open reported incidents of one substance considered for a link */

/* ---------------------------------------------------------------- small helpers ---- */

void alert_site_of(const hl_network *net, const hl_station *st, gb3838_site *out)
{
    memset(out, 0, sizeof *out);
    out->water_class = st->water_class;
    out->drinking_source = st->drinking_source;
    const hl_reach *reach = hl_network_reach_at(net, st->chainage_km);
    out->body =
        (reach && strcmp(reach->kind, "reservoir") == 0) ? GB3838_BODY_LAKE : GB3838_BODY_RIVER;
    for (size_t i = 0; i < st->n_extra && i < GB3838_SITE_MAX_EXTRA; i++)
        out->extra[out->n_extra++] = st->extra_items[i];
}


/* Times a reading or report may carry, relative to the service's (drill) clock: a reading
 * from a year 2999 would hold its episode open for ever, one from 1970 would rewrite history.
 * The future allowance is generous on purpose (clock skew, drills set ahead). */
#define ALERT_PAST_YEARS 10
#define ALERT_FUTURE_DAYS 366
static int alert__time_plausible(int64_t t, int64_t now_ms)
{
    const int64_t day = 24LL * 3600 * 1000;
    return t >= now_ms - ALERT_PAST_YEARS * 366LL * day && t <= now_ms + ALERT_FUTURE_DAYS * day;
}

static Hl__Alert *alert_get(hl_txn *t, const char *id, int *rc)
{
    ProtobufCMessage *m = NULL;
    *rc = alert_store_get(t, T_ALERTS, id, &hl__alert__descriptor, &m);
    return (Hl__Alert *)m;
}

/* ------------------------------------------------------------ alerts to playbook ---- */

/* Store a new alert, index it under its incident, publish "alert.raised" and send it to the
 * playbook service (PlanTrigger) through the outbox. */
static int alert_raise(hl_req *r, Hl__Alert *al, int force)
{
    int rc;
    char ikey[HL_STORE_KEY_MAX + 1];
    snprintf(ikey, sizeof ikey, "%s|%s", al->incident_id, al->id);
    if ((rc = alert_store_put(r->txn, T_ALERTS, al->id, &al->base)) < 0 ||
        (rc = hl_kv_put(r->txn, T_INC_ALERTS, ikey, "", 0)) < 0 ||
        (rc = hl_svc_publish(r, "alert.raised", &al->base)) < 0)
        return rc;
    Hl__PlanTrigger pt = HL__PLAN_TRIGGER__INIT;
    pt.alert = al;
    pt.force = force;
    return hl_svc_send(r, "playbook", "playbook.alert", &pt.base, NULL, NULL);
}

/* Ask risk which registered sources lie upstream; the reply finds the incident through the
 * idempotency key. */
static int upstream_ask(hl_req *r, const char *incident_id, double chainage_km,
                        const char *substance)
{
    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    q.chainage_km = chainage_km;
    q.within_km = 0; /* any distance: the whole river above the point */
    q.substance = (char *)substance;
    char key[HL_ID_MAX + 1];
    if (snprintf(key, sizeof key, UPSTREAM_KEY "%s", incident_id) >= (int)sizeof key)
        return HL_ETOOBIG;
    return hl_svc_send(r, "risk", "risk.upstream", &q.base, key, NULL);
}

/* --------------------------------------------------------------- alert.reading ---- */

static int episodes_load(hl_txn *t, const char *key, episode_set *set)
{
    memset(set, 0, sizeof *set);
    ProtobufCMessage *m = NULL;
    int rc = alert_store_get(t, T_EPISODES, key, &hl__episode_set__descriptor, &m);
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    Hl__EpisodeSet *es = (Hl__EpisodeSet *)m;
    for (size_t i = 0; i < es->n_episodes && set->n < EPISODE_KEEP; i++) {
        const Hl__Episode *p = es->episodes[i];
        episode *e = &set->ep[set->n++];
        snprintf(e->incident_id, sizeof e->incident_id, "%s", p->incident_id);
        e->first_ms = p->first_ms;
        e->last_ms = p->last_ms;
        e->peak_ms = p->peak_ms;
        e->peak_value = p->peak_value;
        e->peak_multiple = p->peak_multiple;
        e->count = p->count;
        e->has_clean = p->has_clean;
        e->clean_since_ms = p->clean_since_ms;
        e->clean_latest_ms = p->clean_latest_ms;
        e->ended = p->ended;
        e->end_ms = p->end_ms;
        e->descent_ms = p->descent_ms;
    }
    alert_msg_free(es);
    return 0;
}

static int episodes_save(hl_txn *t, const char *key, const episode_set *set)
{
    Hl__Episode eps[EPISODE_KEEP];
    Hl__Episode *ptrs[EPISODE_KEEP];
    for (size_t i = 0; i < set->n; i++) {
        const episode *e = &set->ep[i];
        Hl__Episode *p = &eps[i];
        hl__episode__init(p);
        p->incident_id = (char *)e->incident_id;
        p->first_ms = e->first_ms;
        p->last_ms = e->last_ms;
        p->peak_ms = e->peak_ms;
        p->peak_value = e->peak_value;
        p->peak_multiple = e->peak_multiple;
        p->count = e->count;
        p->has_clean = e->has_clean;
        p->clean_since_ms = e->clean_since_ms;
        p->clean_latest_ms = e->clean_latest_ms;
        p->ended = e->ended;
        p->end_ms = e->end_ms;
        p->descent_ms = e->descent_ms;
        ptrs[i] = p;
    }
    Hl__EpisodeSet es = HL__EPISODE_SET__INIT;
    es.n_episodes = set->n;
    es.episodes = ptrs;
    return alert_store_put(t, T_EPISODES, key, &es.base);
}

/* What one reading found, for the incident and alert builders. */
typedef struct reading_ctx {
    const hl_station *st;
    const gb3838_result *res;
    warning_level level;
    int64_t measured_ms;
} reading_ctx;

static void alert_from_reading(hl_req *r, const reading_ctx *rc, const char *alert_id,
                               const char *incident_id, int64_t release_ms, const char *reason,
                               Hl__Alert *al)
{
    hl__alert__init(al);
    al->id = (char *)alert_id;
    al->incident_id = (char *)incident_id;
    al->warning_level = (char *)warning_name(rc->level);
    al->raised_ms = r->now_ms;
    al->measured_ms = rc->measured_ms;
    al->station_id = (char *)rc->st->id;
    al->section_id = (char *)rc->st->id;
    al->chainage_km = rc->st->chainage_km;
    al->parameter = (char *)rc->res->limit.item->name;
    al->value_mg_l = rc->res->value;
    al->limit_mg_l = rc->res->bound;
    al->multiple = rc->res->multiple;
    al->release_ms = release_ms;
    al->release_chainage_km = rc->st->chainage_km;
    al->jurisdiction = (char *)rc->st->jurisdiction;
    al->limit_source = (char *)rc->res->limit.source;
    al->reason = (char *)reason;
}

/* Record episode ep of station st against the incident (one entry per station and
 * parameter: its latest episode), then recompute what the incident shows from all its
 * episodes: readings counted, first and last exceedance, the peak (largest multiple), and
 * the end (when every episode has ended). */
static int incident_note_episode(Hl__Incident *inc, const hl_station *st, const char *parameter,
                                 const episode *ep, int linked, const char *link_reason)
{
    size_t i;
    for (i = 0; i < inc->n_episodes; i++)
        if (strcmp(inc->episodes[i]->station_id, st->id) == 0 &&
            strcmp(inc->episodes[i]->parameter, parameter) == 0)
            break;
    if (i == inc->n_episodes) {
        if (inc->n_episodes >= HL_LIST_MAX)
            return HL_ETOOBIG;
        Hl__IncidentEpisode blank = HL__INCIDENT_EPISODE__INIT;
        Hl__IncidentEpisode *n = (Hl__IncidentEpisode *)alert_pb_clone(&blank.base);
        Hl__IncidentEpisode **arr =
            n ? realloc(inc->episodes, (inc->n_episodes + 1) * sizeof *arr) : NULL;
        if (!arr) {
            alert_msg_free(n);
            return HL_ENOMEM;
        }
        inc->episodes = arr;
        inc->episodes[inc->n_episodes++] = n;
        int e;
        if ((e = alert_pb_set_str(&n->station_id, st->id)) < 0 ||
            (e = alert_pb_set_str(&n->parameter, parameter)) < 0 ||
            (e = alert_pb_set_str(&n->jurisdiction, st->jurisdiction)) < 0 ||
            (e = alert_pb_set_str(&n->link_reason, link_reason ? link_reason : "")) < 0)
            return e;
        n->chainage_km = st->chainage_km;
        n->linked = linked;
    }
    Hl__IncidentEpisode *x = inc->episodes[i];
    x->first_ms = ep->first_ms;
    x->last_ms = ep->last_ms;
    x->count = ep->count;
    x->peak_value_mg_l = ep->peak_value;
    x->peak_multiple = ep->peak_multiple;
    x->peak_ms = ep->peak_ms;
    x->ended_ms = ep->ended ? ep->end_ms : 0;

    uint32_t count = 0;
    int64_t first = 0, ended = 0;
    int all_ended = 1;
    const Hl__IncidentEpisode *peak = NULL;
    for (size_t k = 0; k < inc->n_episodes; k++) {
        const Hl__IncidentEpisode *y = inc->episodes[k];
        count += y->count;
        if (!first || y->first_ms < first)
            first = y->first_ms;
        if (y->last_ms > inc->last_reading_ms)
            inc->last_reading_ms = y->last_ms;
        if (!peak || y->peak_multiple > peak->peak_multiple)
            peak = y;
        if (!y->ended_ms)
            all_ended = 0;
        else if (y->ended_ms > ended)
            ended = y->ended_ms;
    }
    inc->reading_count = count;
    inc->first_exceedance_ms = first;
    inc->peak_value_mg_l = peak->peak_value_mg_l;
    inc->peak_ms = peak->peak_ms;
    inc->episode_ended_ms = all_ended ? ended : 0;
    return 0;
}

static int incident_open_from_reading(alert_ctx *a, hl_req *r, const reading_ctx *rc,
                                      const episode *ep, char *alert_id_out)
{
    char alert_id[HL_ID_MAX + 1];
    hl_id_new("al", alert_id);
    char reason[256];
    snprintf(reason, sizeof reason, "first exceedance at %s: %s %.4g × the limit", rc->st->id,
             rc->res->limit.item->name, rc->res->multiple);

    Hl__Incident tmp = HL__INCIDENT__INIT;
    tmp.id = (char *)ep->incident_id;
    tmp.state = "open";
    tmp.origin = "reading";
    tmp.station_id = (char *)rc->st->id;
    tmp.section_id = (char *)rc->st->id;
    tmp.parameter = (char *)rc->res->limit.item->name;
    tmp.chainage_km = rc->st->chainage_km;
    tmp.opened_ms = r->now_ms;
    tmp.limit_mg_l = rc->res->bound;
    tmp.limit_source = (char *)rc->res->limit.source;
    tmp.warning_level = (char *)warning_name(rc->level);
    tmp.jurisdiction = (char *)rc->st->jurisdiction;
    tmp.latest_alert_id = alert_id;
    tmp.alert_count = 1;
    /* The record is built on the heap so the grade and episodes can be added to it. */
    Hl__Incident *inc = (Hl__Incident *)alert_pb_clone(&tmp.base);
    if (!inc)
        return HL_ENOMEM;

    grading_facts none;
    memset(&none, 0, sizeof none);
    int neighbour = alert_neighbour_downstream(a->net, inc->chainage_km, inc->jurisdiction);
    Hl__Alert al;
    alert_from_reading(r, rc, alert_id, ep->incident_id, ep->first_ms, reason, &al);
    int e;
    if ((e = incident_note_episode(inc, rc->st, inc->parameter, ep, 0, NULL)) < 0 ||
        (e = alert_grade_open(a, r, inc, &none, "alert", r->now_ms, neighbour)) < 0)
        goto out;
    al.grade = inc->grade; /* the playbook's tasks carry its response level */
    if ((e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.opened", &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.graded", &inc->base)) < 0 ||
        (e = alert_raise(r, &al, 0)) < 0 ||
        (e = upstream_ask(r, inc->id, inc->chainage_km, inc->parameter)) < 0 ||
        (e = alert_audit(r, inc->id, "opened", "%s; warning %s; limit %s", reason,
                         inc->warning_level, inc->limit_source)) < 0)
        goto out;
    snprintf(alert_id_out, HL_ID_MAX + 1, "%s", alert_id);
    hl_info("incident %s opened: %s %s %.6g mg/L (limit %.6g, %s), warning %s, grade %s", inc->id,
            rc->st->id, inc->parameter, rc->res->value, rc->res->bound, inc->limit_source,
            inc->warning_level, inc->grade);
out:
    alert_msg_free(inc);
    return e;
}

/* Raise an alert for the incident from this reading (why says why), remember it as the
 * incident's latest and raise the incident's warning level when the reading's is higher. */
static int incident_alert_from_reading(hl_req *r, const reading_ctx *rc, Hl__Incident *inc,
                                       const char *why, char *alert_id_out)
{
    char alert_id[HL_ID_MAX + 1];
    hl_id_new("al", alert_id);
    warning_level cur = WARNING_NONE;
    if (warning_parse(inc->warning_level, &cur) < 0)
        cur = WARNING_NONE;
    Hl__Alert al;
    alert_from_reading(r, rc, alert_id, inc->id, inc->first_exceedance_ms, why, &al);
    al.n_upstream_source_ids = inc->n_upstream_source_ids;
    al.upstream_source_ids = inc->upstream_source_ids;
    al.grade = inc->grade;
    /* The alert stands at the incident's level: a peak update from a lower reading does
     * not lower it. */
    if (rc->level < cur)
        al.warning_level = (char *)warning_name(cur);
    int e;
    if ((rc->level > cur &&
         (e = alert_pb_set_str(&inc->warning_level, warning_name(rc->level))) < 0) ||
        (e = alert_pb_set_str(&inc->latest_alert_id, alert_id)) < 0 ||
        (e = alert_raise(r, &al, 0)) < 0)
        return e;
    inc->alert_count++;
    snprintf(alert_id_out, HL_ID_MAX + 1, "%s", alert_id);
    return 0;
}

/* Why a reading at an episode's station goes to the playbook as a "peak update" (issue 4:
 * the forecast re-anchors on the observed peak): the episode's peak rose (peak_changed), or
 * this is the first reading after the peak and below it (descent: the peak was passed, so
 * the observed one can stand for the forecast's). 0 when neither. */
static int peak_update_reason(const reading_ctx *rc, const episode *ep, int peak_changed,
                              int descent, char *out, size_t n)
{
    if (peak_changed)
        snprintf(out, n, "peak update: new peak at %s: %s %.4g mg/L (%.4g × the limit)",
                 rc->st->id, rc->res->limit.item->name, rc->res->value, rc->res->multiple);
    else if (descent)
        snprintf(out, n,
                 "peak update: first reading below the peak at %s: %s %.4g mg/L after the peak "
                 "%.4g mg/L (the peak was passed)",
                 rc->st->id, rc->res->limit.item->name, rc->res->value, ep->peak_value);
    return peak_changed || descent;
}

/* A reading of an episode that has an incident (attached to it, or within the limit after
 * its peak): the incident's record, a new alert when the warning level rises, else a "peak
 * update" alert (peak_update_reason). At most one alert per reading, so the playbook
 * re-anchors at most once per reading of a station. */
static int incident_attach_reading(hl_req *r, const reading_ctx *rc, const episode *ep,
                                   int peak_changed, int descent, char *alert_id_out)
{
    int e;
    Hl__Incident *inc = alert_incident_get(r->txn, ep->incident_id, &e);
    if (!inc)
        return hl_req_fail(r, e, "reading", "incident %s of this episode cannot be read (%s)",
                           ep->incident_id, hl_strerror(e));
    if ((e = incident_note_episode(inc, rc->st, rc->res->limit.item->name, ep, 0, NULL)) < 0)
        goto out;
    warning_level cur = WARNING_NONE;
    if (warning_parse(inc->warning_level, &cur) < 0)
        cur = WARNING_NONE;
    int raised = rc->level > cur;
    char reason[320];
    if (raised) {
        snprintf(reason, sizeof reason, "warning level %s → %s at %s: %s %.4g × the limit",
                 warning_name(cur)[0] ? warning_name(cur) : "none", warning_name(rc->level),
                 rc->st->id, rc->res->limit.item->name, rc->res->multiple);
        if ((e = incident_alert_from_reading(r, rc, inc, reason, alert_id_out)) < 0 ||
            (e = alert_audit(r, inc->id, "level_raised", "%s", reason)) < 0)
            goto out;
        hl_info("incident %s: %s", inc->id, reason);
    } else if (peak_update_reason(rc, ep, peak_changed, descent, reason, sizeof reason)) {
        if ((e = incident_alert_from_reading(r, rc, inc, reason, alert_id_out)) < 0 ||
            (e = alert_audit(r, inc->id, "peak_update", "%s", reason)) < 0)
            goto out;
        hl_info("incident %s: %s", inc->id, reason);
    }
    if ((e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) < 0)
        goto out;
    if (raised || peak_changed || descent)
        e = hl_svc_publish(r, "incident.updated", &inc->base);
out:
    alert_msg_free(inc);
    return e;
}

/* One incident per release (link.h): the open incidents reported by a person for
 * parameter, as link candidates. Strings are copied into c (the records are freed). */
typedef struct link_scan {
    const char *parameter;
    link_candidate c[ALERT_LINK_MAX];
    char ids[ALERT_LINK_MAX][HL_ID_MAX + 1];
    size_t n;
    size_t skipped;
} link_scan;

static int link_scan_fn(const char *key, const void *val, size_t len, void *ud)
{
    link_scan *ls = ud;
    (void)key;
    Hl__Incident *inc = (Hl__Incident *)hl_msg_unpack(&hl__incident__descriptor, val, len);
    if (!inc)
        return 0; /* a damaged record is reported where it is read for itself */
    if (strcmp(inc->origin, "report") == 0 && strcmp(inc->state, "open") == 0 &&
        strcmp(inc->parameter, ls->parameter) == 0 && hl_id_check(inc->id) == 0) {
        if (ls->n == ALERT_LINK_MAX) {
            /* Keys begin with the creation time: keep the newest, drop the oldest (its
             * arrival window is the likeliest to have closed). */
            ls->skipped++;
            memmove(&ls->c[0], &ls->c[1], (ALERT_LINK_MAX - 1) * sizeof ls->c[0]);
            memmove(&ls->ids[0], &ls->ids[1], (ALERT_LINK_MAX - 1) * sizeof ls->ids[0]);
            ls->n--;
            for (size_t k = 0; k < ls->n; k++)
                ls->c[k].incident_id = ls->ids[k];
        }
        {
            link_candidate *c = &ls->c[ls->n];
            snprintf(ls->ids[ls->n], sizeof ls->ids[0], "%s", inc->id);
            c->incident_id = ls->ids[ls->n];
            c->parameter = ls->parameter;
            c->release_km = inc->chainage_km;
            /* Records made before release_ms existed: the report's arrival. */
            c->release_ms = inc->release_ms ? inc->release_ms : inc->opened_ms;
            c->duration_s = inc->duration_s;
            ls->n++;
        }
    }
    alert_msg_free(inc);
    return 0;
}

/* 1 with the chosen incident in id_out and the reason, 0 when none fits. */
static int link_find(alert_ctx *a, hl_req *r, const hl_station *st, const char *parameter,
                     int64_t first_ms, char *id_out, char *reason, size_t reasonlen)
{
    link_scan *ls = calloc(1, sizeof *ls);
    if (!ls)
        return HL_ENOMEM;
    ls->parameter = parameter;
    int e = hl_kv_scan(r->txn, T_INCIDENTS, "", link_scan_fn, ls);
    if (e >= 0) {
        if (ls->skipped)
            hl_warn("link: %zu older open reported incidents of %s left out (the newest %d "
                    "are considered)",
                    ls->skipped, parameter, ALERT_LINK_MAX);
        int i = link_choose(a->net, ls->c, ls->n, parameter, st->chainage_km, first_ms, NULL,
                            reason, reasonlen);
        e = 0;
        if (i >= 0) {
            snprintf(id_out, HL_ID_MAX + 1, "%s", ls->c[i].incident_id);
            e = 1;
        }
    }
    free(ls);
    return e;
}

/* A new episode attached to a reported incident: recorded against it, and its first reading
 * raises an alert for the incident so the playbook re-anchors the plan on the observation. */
static int incident_link_reading(alert_ctx *a, hl_req *r, const reading_ctx *rc, const episode *ep,
                                 const char *link_reason, char *alert_id_out)
{
    int e;
    Hl__Incident *inc = alert_incident_get(r->txn, ep->incident_id, &e);
    if (!inc)
        return hl_req_fail(r, e, "reading", "reported incident %s cannot be read (%s)",
                           ep->incident_id, hl_strerror(e));
    char why[LINK_REASON_MAX + 160];
    snprintf(why, sizeof why, "exceedance at %s (%s %.4g × the limit) attached: %s", rc->st->id,
             rc->res->limit.item->name, rc->res->multiple, link_reason);
    /* A reported incident is confirmed at the first station whose episode links to it: that
     * station becomes its station_id (the section where it was observed). */
    if (!inc->station_id[0] && (e = alert_pb_set_str(&inc->station_id, rc->st->id)) < 0)
        goto out;
    if ((e = incident_note_episode(inc, rc->st, rc->res->limit.item->name, ep, 1, link_reason)) <
            0 ||
        (e = incident_alert_from_reading(r, rc, inc, why, alert_id_out)) < 0 ||
        (e = alert_audit(r, inc->id, "linked", "%s", why)) < 0)
        goto out;
    /* A station on the other side (corps/local) is affected: the notice is due. */
    if (inc->jurisdiction[0] && strcmp(rc->st->jurisdiction, inc->jurisdiction) != 0 &&
        incgrade_current(inc) != GRADE_NONE) {
        reporting_state st;
        char nb[160];
        snprintf(nb, sizeof nb, "exceedance at %s (%s side)", rc->st->id, rc->st->jurisdiction);
        if ((e = incgrade_reports_read(inc, &st)) < 0 ||
            (e = reporting_neighbour(a->duties, &st, incgrade_current(inc), r->now_ms, nb)) < 0 ||
            (e = incgrade_reports_write(inc, a->duties, &st, r->now_ms)) < 0)
            goto out;
    }
    if ((e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.updated", &inc->base)) < 0)
        goto out;
    hl_info("incident %s: %s", inc->id, why);
out:
    alert_msg_free(inc);
    return e;
}

static int incident_mark_ended(hl_req *r, const hl_station *st, const char *parameter,
                               const episode_set *set, const char *incident_id)
{
    int idx = episode_find(set, incident_id);
    if (idx < 0)
        return 0;
    int e;
    Hl__Incident *inc = alert_incident_get(r->txn, incident_id, &e);
    if (!inc) {
        hl_warn("episode of incident %s ended but the incident cannot be read (%s)", incident_id,
                hl_strerror(e));
        return 0;
    }
    if ((e = incident_note_episode(inc, st, parameter, &set->ep[idx], 0, NULL)) == 0 &&
        (e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) == 0 &&
        (e = hl_svc_publish(r, "incident.updated", &inc->base)) == 0)
        e = alert_audit(r, inc->id, "episode_ended",
                        "%s at %s within the limit for the quiet period since %" PRId64, parameter,
                        st->id, set->ep[idx].clean_since_ms);
    alert_msg_free(inc);
    return e;
}

static int reading_apply(void *ud, hl_req *r, const ProtobufCMessage *m)
{
    alert_ctx *a = ud;
    const Hl__Reading *rd = (const Hl__Reading *)m;
    if (hl_id_check(rd->station_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "reading.station_id",
                           "station_id must be 1..%d characters of [A-Za-z0-9._:-]", HL_ID_MAX);
    const hl_station *st = hl_network_station(a->net, rd->station_id);
    if (!st)
        return hl_req_fail(r, HL_ENOTFOUND, "reading.station_id",
                           "station '%s' is not a monitoring station of plan %s "
                           "(playbooks/%s/stations.yaml)",
                           rd->station_id, a->plan, a->plan);
    if (hl_str_check(rd->parameter, HL_NAME_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "reading.parameter",
                           "parameter must be 1..%d bytes of UTF-8 text", HL_NAME_MAX);
    if (!isfinite(rd->value) || rd->value < 0)
        return hl_req_fail(r, HL_EINVAL, "reading.value",
                           "value %g is not a measurement (NaN, infinite or negative)", rd->value);
    if (hl_str_check(rd->unit, UNIT_MAX, 0) < 0)
        return hl_req_fail(r, HL_EUNIT, "reading.unit",
                           "unit must be at most %d bytes of UTF-8 text", UNIT_MAX);
    if (rd->reading_id && rd->reading_id[0] && hl_id_check(rd->reading_id) < 0)
        return hl_req_fail(r, HL_EINVAL, "reading.reading_id",
                           "reading_id must be 1..%d characters of [A-Za-z0-9._:-]", HL_ID_MAX);
    int64_t t = rd->measured_ms ? rd->measured_ms : r->now_ms;
    if (t < 0 || t > EPISODE_MS_MAX)
        return hl_req_fail(r, HL_EINVAL, "reading.measured_ms",
                           "measured_ms %" PRId64 " is not a time (Unix ms UTC, 0 = now)",
                           rd->measured_ms);
    if (!alert__time_plausible(t, r->now_ms))
        return hl_req_fail(r, HL_EINVAL, "reading.measured_ms",
                           "measured_ms %" PRId64 " is more than %d years before or %d days "
                           "after the service's clock %" PRId64,
                           rd->measured_ms, ALERT_PAST_YEARS, ALERT_FUTURE_DAYS, r->now_ms);

    gb3838_site site;
    alert_site_of(a->net, st, &site);
    gb3838_result res;
    int e = gb3838_check(a->gb, rd->parameter, rd->value, rd->unit, &site, &res);
    if (e < 0) {
        const char *field = e == HL_ENOTFOUND ? "reading.parameter"
                            : e == HL_EUNIT   ? "reading.unit"
                                              : "reading.value";
        return hl_req_fail(r, e, field, "%s", res.limit.why);
    }

    Hl__ReadingResult out = HL__READING_RESULT__INIT;
    out.exceeded = res.exceeded;
    out.value_mg_l = res.value;
    out.limit_mg_l = res.bound;
    out.multiple = res.multiple;
    out.checked = res.checked;
    out.limit_source = res.checked ? res.limit.source : res.limit.why;
    if (!res.checked)
        return hl_req_reply(r, r->env->type, &out.base);

    reading_ctx rc = {.st = st, .res = &res, .level = WARNING_NONE, .measured_ms = t};
    if (res.exceeded &&
        warning_for_reading(a->warn, res.multiple, st->drinking_source, &rc.level) < 0)
        return hl_req_fail(r, HL_EINVAL, "reading.value",
                           "no warning level for exceedance multiple %g", res.multiple);

    char key[HL_STORE_KEY_MAX + 1];
    if (snprintf(key, sizeof key, "%s|%s", st->id, res.limit.item->name) >= (int)sizeof key)
        return hl_req_fail(r, HL_ETOOBIG, "reading.parameter", "episode key too long");
    episode_set set;
    if ((e = episodes_load(r->txn, key, &set)) < 0)
        return hl_req_fail(r, e, "reading", "episodes of %s cannot be read", key);
    char new_id[HL_ID_MAX + 1];
    hl_id_new("inc", new_id);
    episode_reading er = {t, res.exceeded, res.value, res.multiple};
    episode_outcome eo;
    if ((e = episode_apply(&set, &er, a->quiet_ms, new_id, &eo)) < 0)
        return hl_req_fail(r, e, "reading", "episode rules refused the reading");

    char alert_id[HL_ID_MAX + 1] = "";
    if (eo.ended &&
        (e = incident_mark_ended(r, st, res.limit.item->name, &set, eo.ended_incident_id)) < 0)
        return e;
    char link_id[HL_ID_MAX + 1], link_reason[LINK_REASON_MAX + 1] = "";
    int linked = 0;
    if (eo.action == EPISODE_OPENED) {
        episode *ep = &set.ep[eo.index];
        if ((linked = link_find(a, r, st, res.limit.item->name, ep->first_ms, link_id, link_reason,
                                sizeof link_reason)) < 0)
            return hl_req_fail(r, linked, "reading", "open reported incidents cannot be read");
        if (linked) {
            /* The episode is the reported incident's, not a new one. */
            snprintf(ep->incident_id, sizeof ep->incident_id, "%s", link_id);
            e = incident_link_reading(a, r, &rc, ep, link_reason, alert_id);
        } else {
            e = incident_open_from_reading(a, r, &rc, ep, alert_id);
        }
    } else if (eo.action == EPISODE_ATTACHED) {
        episode *ep = &set.ep[eo.index];
        int descent = !eo.peak_changed && episode_descent(ep, t, res.multiple);
        e = incident_attach_reading(r, &rc, ep, eo.peak_changed, descent, alert_id);
    } else if (set.n > 0 && (!set.ep[set.n - 1].ended || eo.ended) &&
               episode_descent(&set.ep[set.n - 1], t, res.multiple)) {
        /* Within the limit after the open episode's peak: the peak was passed. */
        e = incident_attach_reading(r, &rc, &set.ep[set.n - 1], 0, 1, alert_id);
    }
    if (e < 0)
        return e;
    if ((e = episodes_save(r->txn, key, &set)) < 0)
        return e;

    if (eo.action != EPISODE_NOOP) {
        out.incident_id = set.ep[eo.index].incident_id;
        out.incident_opened = eo.action == EPISODE_OPENED && !linked;
    }
    out.linked = linked;
    out.link_reason = link_reason;
    out.alert_id = alert_id;
    out.warning_level = (char *)warning_name(rc.level);
    return hl_req_reply(r, r->env->type, &out.base);
}

static int h_reading(hl_req *r, void *ud)
{
    return alert_handle(r, ud, &hl__reading__descriptor, reading_apply);
}

/* ---------------------------------------------------------------- alert.report ---- */

/* The first station at or below chainage (where the release will be seen), else the
 * last one above it. */
static const hl_station *station_below(const hl_network *net, double km)
{
    for (size_t i = 0; i < net->n_stations; i++)
        if (net->stations[i].chainage_km >= km)
            return &net->stations[i];
    return net->n_stations ? &net->stations[net->n_stations - 1] : NULL;
}

static int report_apply(void *ud, hl_req *r, const ProtobufCMessage *m)
{
    alert_ctx *a = ud;
    const Hl__IncidentReport *rp = (const Hl__IncidentReport *)m;
    if (hl_str_check(rp->substance, HL_NAME_MAX, 1) < 0)
        return hl_req_fail(r, HL_EINVAL, "report.substance",
                           "substance must be 1..%d bytes of UTF-8 text", HL_NAME_MAX);
    if (!isfinite(rp->chainage_km) || !hl_network_reach_at(a->net, rp->chainage_km))
        return hl_req_fail(r, HL_EINVAL, "report.chainage_km",
                           "chainage %g km is not on the river of plan %s", rp->chainage_km,
                           a->plan);
    if (!isfinite(rp->mass_kg) || rp->mass_kg < 0 || rp->mass_kg > REPORT_MAX_MASS_KG)
        return hl_req_fail(r, HL_EINVAL, "report.mass_kg", "mass %g kg is not 0 (unknown) .. %g",
                           rp->mass_kg, REPORT_MAX_MASS_KG);
    if (!isfinite(rp->duration_s) || rp->duration_s < 0 || rp->duration_s > REPORT_MAX_DURATION_S)
        return hl_req_fail(r, HL_EINVAL, "report.duration_s",
                           "duration %g s is not 0 (instantaneous) .. %g", rp->duration_s,
                           REPORT_MAX_DURATION_S);
    if (rp->started_ms < 0 || rp->started_ms > EPISODE_MS_MAX)
        return hl_req_fail(r, HL_EINVAL, "report.started_ms",
                           "started_ms %" PRId64 " is not a time (Unix ms UTC, 0 = now)",
                           rp->started_ms);
    if (rp->started_ms && !alert__time_plausible(rp->started_ms, r->now_ms))
        return hl_req_fail(r, HL_EINVAL, "report.started_ms",
                           "started_ms %" PRId64 " is more than %d years before or %d days "
                           "after the service's clock %" PRId64,
                           rp->started_ms, ALERT_PAST_YEARS, ALERT_FUTURE_DAYS, r->now_ms);
    static const char *const idf[] = {"report.report_id", "report.source_id",
                                      "report.reporter_unit"};
    const char *ids[] = {rp->report_id, rp->source_id, rp->reporter_unit};
    for (size_t i = 0; i < 3; i++)
        if (ids[i] && ids[i][0] && hl_id_check(ids[i]) < 0)
            return hl_req_fail(r, HL_EINVAL, idf[i],
                               "must be empty or 1..%d characters of [A-Za-z0-9._:-]", HL_ID_MAX);
    if (hl_str_check(rp->description, HL_TEXT_MAX, 0) < 0)
        return hl_req_fail(r, HL_EINVAL, "report.description",
                           "description must be at most %d bytes of UTF-8 text", HL_TEXT_MAX);
    /* What the reporter knows that grades the incident (optional, each fact optional). */
    grading_facts facts;
    memset(&facts, 0, sizeof facts);
    if (rp->facts) {
        char field[64], why[640];
        int fe = incgrade_facts_merge(a->grading, rp->facts, &facts, "report.facts", field,
                                      sizeof field, why, sizeof why, NULL, 0);
        if (fe < 0 && fe != HL_ENOTFOUND) /* a facts message with no fact is no fact */
            return hl_req_fail(r, fe, field, "%s", why);
    }

    /* A GB 3838 item is named as the standard does; anything else is kept as reported. */
    const gb3838_item *item = gb3838_find(a->gb, rp->substance);
    const char *param = item ? item->name : rp->substance;
    const hl_station *st = station_below(a->net, rp->chainage_km);
    gb3838_limit lim;
    memset(&lim, 0, sizeof lim);
    if (item && st) {
        gb3838_site site;
        alert_site_of(a->net, st, &site);
        if (gb3838_limit_for(a->gb, param, &site, &lim) < 0)
            lim.applies = 0;
    }
    double limit = 0;
    if (lim.applies)
        limit = lim.kind == GB3838_MIN ? lim.lo : lim.hi;
    const char *limit_source = lim.applies ? lim.source : item ? lim.why : "";
    int64_t started = rp->started_ms ? rp->started_ms : r->now_ms;
    warning_level level = warning_for_report(a->warn);

    char inc_id[HL_ID_MAX + 1], alert_id[HL_ID_MAX + 1], reason[256];
    hl_id_new("inc", inc_id);
    hl_id_new("al", alert_id);
    snprintf(reason, sizeof reason, "incident report%s%s: %s at km %.3f",
             rp->reporter_unit[0] ? " by " : "", rp->reporter_unit, param, rp->chainage_km);

    Hl__Incident tmp = HL__INCIDENT__INIT;
    tmp.id = inc_id;
    tmp.state = "open";
    tmp.origin = "report";
    tmp.station_id = "";
    tmp.section_id = st ? (char *)st->id : "";
    tmp.parameter = (char *)param;
    tmp.chainage_km = rp->chainage_km;
    tmp.opened_ms = r->now_ms;
    tmp.limit_mg_l = limit;
    tmp.limit_source = (char *)limit_source;
    tmp.warning_level = (char *)warning_name(level);
    /* The section where the release will be measured decides the side (corps/local). */
    tmp.jurisdiction = st ? (char *)st->jurisdiction : "";
    tmp.mass_kg = rp->mass_kg;
    tmp.duration_s = rp->duration_s;
    tmp.source_id = rp->source_id;
    tmp.description = rp->description;
    tmp.latest_alert_id = alert_id;
    tmp.alert_count = 1;

    Hl__Alert al = HL__ALERT__INIT;
    al.id = alert_id;
    al.incident_id = inc_id;
    al.warning_level = tmp.warning_level;
    al.raised_ms = r->now_ms;
    al.station_id = "";
    al.section_id = tmp.section_id;
    al.chainage_km = rp->chainage_km;
    al.parameter = tmp.parameter;
    al.limit_mg_l = limit;
    al.mass_kg = rp->mass_kg;
    al.duration_s = rp->duration_s;
    al.release_ms = started;
    al.release_chainage_km = rp->chainage_km;
    al.source_id = rp->source_id;
    al.jurisdiction = tmp.jurisdiction;
    al.limit_source = tmp.limit_source;
    al.reason = reason;
    al.reported = 1;

    tmp.release_ms = started;
    int neighbour = alert_neighbour_downstream(a->net, rp->chainage_km, tmp.jurisdiction);
    /* The record is built on the heap so the grade can be added to it. */
    Hl__Incident *inc = (Hl__Incident *)alert_pb_clone(&tmp.base);
    if (!inc)
        return HL_ENOMEM;
    const char *actor = rp->reporter_unit[0]  ? rp->reporter_unit
                        : r->env->sender_unit ? r->env->sender_unit
                                              : "";
    int e;
    if ((e = alert_grade_open(a, r, inc, &facts, actor, r->now_ms, neighbour)) < 0)
        goto out;
    al.grade = inc->grade; /* the playbook's tasks carry its response level */
    if ((e = alert_store_put(r->txn, T_INCIDENTS, inc_id, &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.opened", &inc->base)) < 0 ||
        (e = hl_svc_publish(r, "incident.graded", &inc->base)) < 0 ||
        (e = alert_raise(r, &al, 0)) < 0 ||
        (e = upstream_ask(r, inc_id, rp->chainage_km, param)) < 0 ||
        (e = alert_audit(r, inc_id, "opened", "%s; mass %g kg, duration %g s; warning %s", reason,
                         rp->mass_kg, rp->duration_s, inc->warning_level)) < 0)
        goto out;
    hl_info("incident %s opened from a report: %s; grade %s (%s)", inc_id, reason, inc->grade,
            inc->deciding->cite);
    e = hl_req_reply(r, r->env->type, &inc->base);
out:
    alert_msg_free(inc);
    return e;
}

static int h_report(hl_req *r, void *ud)
{
    return alert_handle(r, ud, &hl__incident_report__descriptor, report_apply);
}

/* --------------------------------------------------------------- alert.trigger ---- */

static int h_trigger(hl_req *r, void *ud)
{
    (void)ud;
    Hl__TriggerRequest *tr =
        (Hl__TriggerRequest *)alert_payload(r, &hl__trigger_request__descriptor);
    if (!tr)
        return hl_req_fail(r, HL_EDECODE, "payload", "payload of %s is not a TriggerRequest",
                           r->env->msg_id);
    int e = 0;
    Hl__Incident *inc = NULL;
    Hl__Alert *al = NULL;
    if (hl_id_check(tr->incident_id) < 0) {
        e = hl_req_fail(r, HL_EINVAL, "trigger.incident_id",
                        "incident_id must be 1..%d characters of [A-Za-z0-9._:-]", HL_ID_MAX);
        goto out;
    }
    inc = alert_incident_get(r->txn, tr->incident_id, &e);
    if (!inc) {
        e = hl_req_fail(r, e == HL_ENOTFOUND ? HL_ENOTFOUND : e, "trigger.incident_id",
                        "incident '%s' %s", tr->incident_id,
                        e == HL_ENOTFOUND ? "does not exist" : "cannot be read");
        goto out;
    }
    al = alert_get(r->txn, inc->latest_alert_id, &e);
    if (!al) {
        e = hl_req_fail(r, HL_ENOTFOUND, "trigger.incident_id",
                        "incident '%s' has no alert to act on", tr->incident_id);
        goto out;
    }
    /* The re-plan's tasks carry the incident's grade as it is now. */
    if ((e = alert_pb_set_str(&al->grade, inc->grade)) < 0)
        goto out;
    Hl__PlanTrigger pt = HL__PLAN_TRIGGER__INIT;
    pt.alert = al;
    pt.force = 1;
    if ((e = hl_svc_send(r, "playbook", "playbook.alert", &pt.base, NULL, NULL)) < 0 ||
        (e = alert_audit(r, inc->id, "triggered", "alert %s re-sent to playbook (force)", al->id)) <
            0)
        goto out;
    hl_info("incident %s: alert %s re-sent to playbook by %s", inc->id, al->id,
            r->env->sender_unit);
    e = hl_req_reply(r, r->env->type, &al->base);
out:
    alert_msg_free(al);
    alert_msg_free(inc);
    alert_msg_free(tr);
    return e;
}

/* --------------------------------------------------------------------- queries ---- */

typedef struct list_ctx {
    const ProtobufCMessageDescriptor *d;
    const char *incident_id; /* alerts: filter */
    size_t skip, limit;
    ProtobufCMessage **items;
    size_t n;
    size_t seen;
} list_ctx;

static int list_count_fn(const char *key, const void *val, size_t len, void *ud)
{
    (void)key;
    (void)val;
    (void)len;
    ((list_ctx *)ud)->seen++;
    return 0;
}

static int list_collect_fn(const char *key, const void *val, size_t len, void *ud)
{
    list_ctx *c = ud;
    (void)key;
    if (c->seen++ < c->skip)
        return 0;
    if (c->n >= c->limit)
        return 1;
    ProtobufCMessage *m = hl_msg_unpack(c->d, val, len);
    if (!m) {
        hl_warn("store: record %s is not a %s; left out of the list", key, c->d->name);
        return 0;
    }
    c->items[c->n++] = m;
    return 0;
}

static size_t list_limit(const Hl__ListQuery *q)
{
    if (!q || q->limit == 0)
        return ALERT_LIST_DEFAULT;
    return q->limit > ALERT_LIST_MAX ? ALERT_LIST_MAX : q->limit;
}

/* Newest `limit` records of table (keys begin with the creation time), oldest first. */
static int list_table(hl_txn *t, const char *table, const char *prefix, list_ctx *c)
{
    int rc = hl_kv_scan(t, table, prefix, list_count_fn, c);
    if (rc < 0)
        return rc;
    c->skip = c->seen > c->limit ? c->seen - c->limit : 0;
    c->seen = 0;
    c->items = calloc(c->limit ? c->limit : 1, sizeof *c->items);
    if (!c->items)
        return HL_ENOMEM;
    return hl_kv_scan(t, table, prefix, list_collect_fn, c);
}

static void list_free(list_ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        alert_msg_free(c->items[i]);
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

typedef struct key_list {
    char (*keys)[HL_ID_MAX + 1];
    size_t n, cap;
} key_list;

/* incident_alerts keys are "<incident>|<alert>": collect the alert ids. */
static int alert_ids_fn(const char *key, const void *val, size_t len, void *ud)
{
    (void)val;
    (void)len;
    key_list *k = ud;
    const char *bar = strchr(key, '|');
    if (!bar || strlen(bar + 1) > HL_ID_MAX)
        return 0;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        if (cap > HL_LIST_MAX)
            return 1;
        void *p = realloc(k->keys, cap * sizeof *k->keys);
        if (!p)
            return HL_ENOMEM;
        k->keys = p;
        k->cap = cap;
    }
    snprintf(k->keys[k->n++], HL_ID_MAX + 1, "%s", bar + 1);
    return 0;
}

static int alert_ids_of(hl_txn *t, const char *incident_id, key_list *out)
{
    char prefix[HL_ID_MAX + 2];
    snprintf(prefix, sizeof prefix, "%s|", incident_id);
    memset(out, 0, sizeof *out);
    return hl_kv_scan(t, T_INC_ALERTS, prefix, alert_ids_fn, out);
}

/* Records a list query selects (c->items): one incident by id (an empty list when there is
 * none), the alerts of one incident, or the newest of a whole table. */
static int list_select(hl_txn *t, int alerts, const Hl__ListQuery *q, list_ctx *c)
{
    const char *one = alerts ? q->incident_id : (q->id[0] ? q->id : q->incident_id);
    if (!one[0])
        return list_table(t, alerts ? T_ALERTS : T_INCIDENTS, "", c);
    c->items = calloc(c->limit, sizeof *c->items);
    if (!c->items)
        return HL_ENOMEM;
    if (hl_id_check(one) < 0)
        return 0;
    if (!alerts) {
        ProtobufCMessage *m = NULL;
        int e = alert_store_get(t, T_INCIDENTS, one, c->d, &m);
        if (e == 0)
            c->items[c->n++] = m;
        return e == HL_ENOTFOUND ? 0 : e;
    }
    key_list k = {0};
    int e = alert_ids_of(t, one, &k);
    /* Alert ids begin with their creation time: the newest `limit`, oldest first. */
    size_t from = k.n > c->limit ? k.n - c->limit : 0;
    for (size_t i = from; e == 0 && i < k.n; i++) {
        ProtobufCMessage *m = NULL;
        if (alert_store_get(t, T_ALERTS, k.keys[i], c->d, &m) == 0)
            c->items[c->n++] = m;
    }
    free(k.keys);
    return e;
}

static int list_handle(hl_req *r, int alerts)
{
    Hl__ListQuery *q = (Hl__ListQuery *)alert_payload(r, &hl__list_query__descriptor);
    if (!q)
        return hl_req_fail(r, HL_EDECODE, "payload", "payload of %s is not a ListQuery",
                           r->env->msg_id);
    list_ctx c = {.d = alerts ? &hl__alert__descriptor : &hl__incident__descriptor,
                  .limit = list_limit(q)};
    int e = list_select(r->txn, alerts, q, &c);
    if (e < 0) {
        e = hl_req_fail(r, e, "query", "%s cannot be listed: %s", alerts ? "alerts" : "incidents",
                        hl_strerror(e));
    } else if (alerts) {
        Hl__AlertList out = HL__ALERT_LIST__INIT;
        out.n_alerts = c.n;
        out.alerts = (Hl__Alert **)c.items;
        e = hl_req_reply(r, r->env->type, &out.base);
    } else {
        /* Each report's state is as of now (the drill clock), not as stored. */
        for (size_t i = 0; e >= 0 && i < c.n; i++)
            e = incgrade_reports_refresh((Hl__Incident *)c.items[i], r->now_ms);
        Hl__IncidentList out = HL__INCIDENT_LIST__INIT;
        out.n_incidents = c.n;
        out.incidents = (Hl__Incident **)c.items;
        e = e < 0 ? hl_req_fail(r, e, "query", "incidents cannot be listed: %s", hl_strerror(e))
                  : hl_req_reply(r, r->env->type, &out.base);
    }
    list_free(&c);
    alert_msg_free(q);
    return e;
}

static int h_incidents(hl_req *r, void *ud)
{
    (void)ud;
    return list_handle(r, 0);
}

static int h_alerts(hl_req *r, void *ud)
{
    (void)ud;
    return list_handle(r, 1);
}

/* ------------------------------------------------------------------- replies ---- */

static int h_upstream_reply(hl_req *r, void *ud)
{
    (void)ud;
    const char *key = r->orig ? r->orig->idempotency_key : NULL;
    if (!key || strncmp(key, UPSTREAM_KEY, strlen(UPSTREAM_KEY)) != 0) {
        hl_warn("risk.upstream reply %s does not name an incident; ignored", r->env->msg_id);
        return 0;
    }
    const char *incident_id = key + strlen(UPSTREAM_KEY);
    if (r->env->error) {
        hl_warn("risk.upstream for incident %s failed: %d %s (%s)", incident_id,
                r->env->error->code, r->env->error->message, r->env->error->field);
        return alert_audit(r, incident_id, "upstream", "risk could not answer: %s",
                           r->env->error->message);
    }
    Hl__RiskSourceList *l =
        (Hl__RiskSourceList *)alert_payload(r, &hl__risk_source_list__descriptor);
    if (!l) {
        hl_warn("risk.upstream reply for incident %s is not a RiskSourceList", incident_id);
        return 0;
    }
    size_t n = l->n_sources < HL_LIST_MAX ? l->n_sources : HL_LIST_MAX;
    char **ids = calloc(n ? n : 1, sizeof *ids);
    int e = ids ? 0 : HL_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; e == 0 && i < n; i++)
        if (hl_id_check(l->sources[i]->id) == 0)
            ids[k++] = l->sources[i]->id;
    Hl__Incident *inc = NULL;
    key_list al = {0};
    if (e == 0) {
        inc = alert_incident_get(r->txn, incident_id, &e);
        if (!inc)
            hl_warn("risk.upstream: incident %s cannot be read (%s)", incident_id, hl_strerror(e));
    }
    if (inc &&
        (e = alert_pb_set_strs(&inc->upstream_source_ids, &inc->n_upstream_source_ids, ids, k)) ==
            0 &&
        (e = alert_store_put(r->txn, T_INCIDENTS, inc->id, &inc->base)) == 0 &&
        (e = hl_svc_publish(r, "incident.updated", &inc->base)) == 0 &&
        (e = alert_ids_of(r->txn, inc->id, &al)) == 0) {
        for (size_t i = 0; e == 0 && i < al.n; i++) {
            Hl__Alert *a = alert_get(r->txn, al.keys[i], &e);
            if (!a) {
                /* An index entry without its alert is logged, not fatal: the reply must be
                 * consumed or it would be resent forever. */
                hl_warn("incident %s: alert %s cannot be read (%s)", inc->id, al.keys[i],
                        hl_strerror(e));
                e = e == HL_ENOTFOUND || e == HL_EDECODE ? 0 : e;
                continue;
            }
            if ((e = alert_pb_set_strs(&a->upstream_source_ids, &a->n_upstream_source_ids, ids,
                                       k)) == 0)
                e = alert_store_put(r->txn, T_ALERTS, a->id, &a->base);
            alert_msg_free(a);
        }
        if (e == 0)
            e = alert_audit(r, inc->id, "upstream", "%zu registered source(s) upstream", k);
        if (e == 0)
            hl_info("incident %s: %zu registered risk source(s) upstream", inc->id, k);
    }
    if (!inc)
        e = 0; /* nothing to update; the reply is consumed */
    free(al.keys);
    free(ids);
    alert_msg_free(inc);
    alert_msg_free(l);
    return e;
}

static int h_playbook_reply(hl_req *r, void *ud)
{
    (void)ud;
    if (r->env->error)
        hl_warn("playbook.alert %s refused: %d %s (%s)", r->orig ? r->orig->msg_id : "?",
                r->env->error->code, r->env->error->message, r->env->error->field);
    else
        hl_info("playbook.alert %s answered", r->orig ? r->orig->msg_id : "?");
    return 0;
}

int alert_handlers_register(hl_svc *s, alert_ctx *a)
{
    int rc;
    if ((rc = hl_svc_on(s, "alert.reading", h_reading, a, 0)) < 0 ||
        (rc = hl_svc_on(s, "alert.report", h_report, a, 0)) < 0 ||
        (rc = hl_svc_on(s, "alert.trigger", h_trigger, a, 0)) < 0 ||
        (rc = hl_svc_on(s, "alert.incidents", h_incidents, a, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on(s, "alert.alerts", h_alerts, a, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on_reply(s, "risk.upstream", h_upstream_reply, a)) < 0 ||
        (rc = hl_svc_on_reply(s, "playbook.alert", h_playbook_reply, a)) < 0 ||
        (rc = alert_grade_handlers_register(s, a)) < 0)
        return rc;
    hl_svc_set_records_table(s, T_INCIDENTS);
    return 0;
}
