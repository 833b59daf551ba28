/* pb_service.c — see pb_service.h. */
#include "pb_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "pb_msg.h"
#include "pb_store.h"

static ProtobufCMessage *payload(hl_req *r, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *m = hl_msg_unpack(desc, r->env->payload.data, r->env->payload.len);
    if (!m)
        hl_req_fail(r, HL_EDECODE, "payload", "%s payload is not a %s", r->env->type,
                    desc->short_name);
    return m;
}

/* An incident that already has a plan: answer with it, change nothing. */
static int reply_existing(hl_req *r, const char *plan_id)
{
    Hl__Plan *p = NULL;
    int rc = pb_store_plan_get(r->txn, plan_id, &p);
    if (rc < 0)
        return hl_req_fail(r, rc, "alert.incident_id", "the incident's plan %s cannot be read: %s",
                           plan_id, hl_strerror(rc));
    rc = hl_req_reply(r, r->env->type, &p->base);
    protobuf_c_message_free_unpacked(&p->base, NULL);
    return rc;
}

/* The plan's task ids as pointers into it (for the index); *out NULL when there are none. */
static int task_id_list(const hl_plan *plan, char ***out)
{
    *out = NULL;
    if (!plan->n_tasks)
        return 0;
    if (!(*out = calloc(plan->n_tasks, sizeof **out)))
        return HL_ENOMEM;
    for (size_t i = 0; i < plan->n_tasks; i++)
        (*out)[i] = (char *)plan->tasks[i].id;
    return 0;
}

/* The spaces already tasked for interception (PlanIndex.intercept_spaces) as the plan
 * input's kept spaces (plan.h: further barriers while they qualify). */
static void kept_from_index(hl_plan_input *in, const Hl__PlanIndex *ix)
{
    in->n_kept = 0;
    for (size_t i = 0; i < ix->n_intercept_spaces && in->n_kept < HL_PLAN_MAX_KEPT; i++)
        snprintf(in->kept_spaces[in->n_kept++], sizeof in->kept_spaces[0], "%s",
                 ix->intercept_spaces[i]);
}

/* Build, store and send a new plan (revision rev) for the trigger's incident, from the input
 * made of alert base and the observations obs (kept in the index for re-anchoring). */
static int make_plan(hl_req *r, pb_app *app, const Hl__PlanTrigger *t, hl_plan_input *in,
                     unsigned rev, const Hl__Alert *base, Hl__Observation **obs, size_t n_obs)
{
    hl_plan *plan = NULL;
    pb_plan_msg pm;
    pb_batch_msg bm;
    pb_reserve_msg rm;
    char why[PB_WHY_MAX], key[HL_NET_ID_MAX + 1];
    char **ids = NULL;
    int rc, have_pm = 0, have_bm = 0, have_rm = 0;
    memset(&pm, 0, sizeof pm);

    hl_plan_id(in->incident_id, rev, in->plan_id);
    if ((rc = hl_plan_build(app->net, app->rules, in, &plan)) < 0) {
        rc = hl_req_fail(r, rc, "alert", "no plan can be built for incident %s: %s",
                         in->incident_id, hl_strerror(rc));
        goto out;
    }
    if ((rc = pb_plan_msg_init(&pm, plan, app->net, in, t->alert, rev, r->now_ms)) < 0)
        goto nomem;
    have_pm = 1;
    pm.plan.observations = obs;
    pm.plan.n_observations = n_obs;
    if ((rc = pb_batch_msg_init(&bm, plan, in, r->now_ms)) < 0)
        goto nomem;
    have_bm = 1;
    /* The level of the incident as the latest alert says (a forced re-plan's alert carries
     * the grade as it is now). */
    const char *level = pb_msg_task_level(t->alert);
    pb_batch_msg_set_level(&bm, level);
    pm.plan.task_level = (char *)level;
    if ((rc = task_id_list(plan, &ids)) < 0)
        goto nomem;

    rc = pb_reserve_msg_init(&rm, plan, in, why);
    if (rc == HL_ENOMEM)
        goto nomem;
    have_rm = rc == 0;
    char state[PB_WHY_MAX + 32];
    if (have_rm) {
        hl_plan_task_id(in->plan_id, "msg", "reserve", key);
        if ((rc = hl_svc_send(r, "stock", "stock.reserve", &rm.req.base, key, NULL)) < 0)
            goto sendfail;
    } else {
        snprintf(state, sizeof state, "not requested: %s", why);
        pm.plan.reservation_state = state;
    }
    if (plan->n_tasks) {
        hl_plan_task_id(in->plan_id, "msg", "tasks", key);
        if ((rc = hl_svc_send(r, "dispatch", "dispatch.tasks", &bm.batch.base, key, NULL)) < 0)
            goto sendfail;
    }
    Hl__PlanIndex ix = HL__PLAN_INDEX__INIT;
    ix.plan_id = in->plan_id;
    ix.revision = rev;
    ix.alert = (Hl__Alert *)base;
    ix.observations = obs;
    ix.n_observations = n_obs;
    ix.created_ms = r->now_ms;
    ix.season = (char *)hl_season_name(in->fc.season);
    ix.task_ids = ids;
    ix.n_task_ids = plan->n_tasks;
    ix.task_level = (char *)level;
    char *space_id = plan->space ? (char *)plan->space->id : NULL;
    ix.intercept_spaces = &space_id;
    ix.n_intercept_spaces = space_id ? 1 : 0;
    if ((rc = pb_store_plan_put(r->txn, &pm.plan)) < 0 ||
        (rc = pb_store_index_put(r->txn, in->incident_id, &ix)) < 0) {
        rc = hl_req_fail(r, rc, "", "plan %s cannot be stored: %s", in->plan_id, hl_strerror(rc));
        goto out;
    }
    if ((rc = hl_svc_publish(r, "plan.activated", &pm.plan.base)) < 0 ||
        (rc = hl_req_reply(r, r->env->type, &pm.plan.base)) < 0)
        goto out;
    hl_info("plan %s for incident %s (%s, %s, anchor %s km %g): space %s, %zu tasks, %zu "
            "materials%s",
            in->plan_id, in->incident_id, in->parameter, hl_season_name(in->fc.season),
            pm.plan.anchor, in->fc.chainage_km, plan->space ? plan->space->id : "none",
            plan->n_tasks, plan->n_needs,
            plan->forecast->velocities_unverified ? " (velocities unverified)" : "");
    goto out;
nomem:
    rc = hl_req_fail(r, HL_ENOMEM, "", "out of memory building plan %s", in->plan_id);
    goto out;
sendfail:
    rc = hl_req_fail(r, rc, "", "plan %s cannot be queued for sending: %s", in->plan_id,
                     hl_strerror(rc));
out:
    free(ids);
    if (have_rm)
        pb_reserve_msg_free(&rm);
    if (have_bm)
        pb_batch_msg_free(&bm);
    if (have_pm)
        pb_plan_msg_free(&pm);
    hl_plan_destroy(&plan);
    return rc;
}

/* ---- re-anchoring ---- */

static const hl_plan_task *task_of(const hl_plan *p, const char *id)
{
    for (size_t i = 0; p && i < p->n_tasks; i++)
        if (strcmp(p->tasks[i].id, id) == 0)
            return &p->tasks[i];
    return NULL;
}

static int ids_have(char *const *ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

static int needs_differ(const hl_plan *a, const hl_plan *b)
{
    if (a->n_needs != b->n_needs)
        return 1;
    for (size_t i = 0; i < a->n_needs; i++)
        if (strcmp(a->needs[i].material_id, b->needs[i].material_id) != 0 ||
            a->needs[i].quantity != b->needs[i].quantity)
            return 1;
    return 0;
}

/* What a re-anchoring changes, worked out by comparing the plan built without the new
 * reading (what was sent) with the plan built with it. */
typedef struct reanchor_diff {
    char **revised, **withdrawn, **sent; /* ids; sent = the index's ids plus the new ones */
    size_t n_revised, n_withdrawn, n_new, n_sent;
    /* Of revised and withdrawn, those dispatch confirmed it stored: the revision names only
     * these; the others are held (PlanIndex.revise_held) for a catch-up revision. */
    char **rev_now, **wd_now;
    size_t n_rev_now, n_wd_now;
} reanchor_diff;

static void diff_free(reanchor_diff *d)
{
    free(d->revised);
    free(d->withdrawn);
    free(d->sent);
    free(d->rev_now);
    free(d->wd_now);
    memset(d, 0, sizeof *d);
}

/* The ids of ids[0..n) dispatch confirmed it stored (ix->stored_task_ids) into ok[]. */
static size_t ids_stored(char *const *ids, size_t n, const Hl__PlanIndex *ix, char **ok)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ids_have(ix->stored_task_ids, ix->n_stored_task_ids, ids[i]))
            ok[k++] = ids[i];
    return k;
}

/* level_changed: the incident's level moved, so every task sent and still needed is
 * revised (its escalation timeout follows the level). */
static int diff_plans(const Hl__PlanIndex *ix, const hl_plan *before, const hl_plan *after,
                      int level_changed, reanchor_diff *d)
{
    memset(d, 0, sizeof *d);
    size_t cap = ix->n_task_ids + after->n_tasks + 1;
    d->revised = calloc(cap, sizeof *d->revised);
    d->withdrawn = calloc(cap, sizeof *d->withdrawn);
    d->sent = calloc(cap, sizeof *d->sent);
    d->rev_now = calloc(cap, sizeof *d->rev_now);
    d->wd_now = calloc(cap, sizeof *d->wd_now);
    if (!d->revised || !d->withdrawn || !d->sent || !d->rev_now || !d->wd_now) {
        diff_free(d);
        return HL_ENOMEM;
    }
    for (size_t i = 0; i < ix->n_task_ids; i++) {
        const char *id = ix->task_ids[i];
        d->sent[d->n_sent++] = (char *)id;
        const hl_plan_task *a = task_of(before, id), *b = task_of(after, id);
        if (!b) {
            if (!ids_have(ix->withdrawn_task_ids, ix->n_withdrawn_task_ids, id))
                d->withdrawn[d->n_withdrawn++] = (char *)id;
        } else if (level_changed || !a || a->due_ms != b->due_ms ||
                   strcmp(a->title, b->title) != 0 || strcmp(a->detail, b->detail) != 0) {
            d->revised[d->n_revised++] = (char *)id;
        }
    }
    for (size_t i = 0; i < after->n_tasks; i++)
        if (!ids_have(ix->task_ids, ix->n_task_ids, after->tasks[i].id)) {
            d->sent[d->n_sent++] = (char *)after->tasks[i].id;
            d->n_new++;
        }
    d->n_rev_now = ids_stored(d->revised, d->n_revised, ix, d->rev_now);
    d->n_wd_now = ids_stored(d->withdrawn, d->n_withdrawn, ix, d->wd_now);
    return 0;
}

static void fmt_ms(int64_t ms, char *buf, size_t n)
{
    if (hl_time_format(ms, HL_TZ_BEIJING_MIN, buf, n) < 0)
        snprintf(buf, n, "%" PRId64 " ms", ms);
}

/* The update note: the reading, what the forecast did with it, what changed for the units. */
static void update_note(const hl_observation *o, const hl_plan *before, const hl_plan *after,
                        const reanchor_diff *d, char *out, size_t n)
{
    char t[40];
    fmt_ms(o->at_ms, t, sizeof t);
    int k = snprintf(out, n, "reading %s %.4g mg/L at %s", o->station_id, o->value_mg_l, t);
    const hl_forecast *f = after->forecast;
    for (size_t i = 0; i < f->n_reanchors && k > 0 && (size_t)k < n; i++)
        if (strcmp(f->reanchors[i].station_id, o->station_id) == 0)
            k += snprintf(out + k, n - (size_t)k, ": %s", f->reanchors[i].note);
    if (k > 0 && (size_t)k < n)
        k += snprintf(out + k, n - (size_t)k,
                      "; tasks: %zu re-timed or reworded, %zu new, %zu withdrawn; space %s%s",
                      d->n_revised, d->n_new, d->n_withdrawn,
                      after->space ? after->space->id : "none",
                      needs_differ(before, after)
                          ? "; materials now differ from the reservation (not re-reserved: a "
                            "forced re-plan reserves again)"
                          : "");
    if (k >= (int)n && n > 0)
        out[n - 1] = 0;
}

/* A later alert of an incident that has a plan brings a new reading: rebuild the plan (same
 * id, same revision, same task ids) with it, send the new tasks, revise the others. */
static int reanchor(hl_req *r, pb_app *app, const Hl__PlanIndex *ix, const Hl__Alert *a,
                    const hl_observation *o)
{
    char field[PB_FIELD_MAX], why[PB_WHY_MAX], key[HL_NET_ID_MAX + 1], tag[32];
    char note[1024], state[160] = "";
    hl_plan_input *in = calloc(1, sizeof *in);
    hl_plan *before = NULL, *after = NULL;
    Hl__Observation **obs = calloc(ix->n_observations + 1, sizeof *obs);
    Hl__Observation nob = HL__OBSERVATION__INIT;
    Hl__Plan *prev = NULL;
    pb_plan_msg pm;
    pb_batch_msg nb, rb;
    reanchor_diff d;
    char **wdn = NULL;
    int rc, have_pm = 0, have_nb = 0, have_rb = 0;
    memset(&d, 0, sizeof d);
    if (!in || !obs) {
        rc = hl_req_fail(r, HL_ENOMEM, "", "out of memory");
        goto out;
    }
    Hl__PlanTrigger base = HL__PLAN_TRIGGER__INIT;
    base.alert = ix->alert;
    if ((rc = pb_msg_input(&base, app->net, app->rules, ix->season, ix->created_ms,
                           ix->revision, in, field, why)) < 0) {
        rc = hl_req_fail(r, rc, field, "the stored alert of plan %s: %s", ix->plan_id, why);
        goto out;
    }
    kept_from_index(in, ix);
    if (pb_msg_add_observations(&in->fc, ix->observations, ix->n_observations) < 0 ||
        in->fc.n_obs == HL_FORECAST_MAX_OBS) {
        hl_warn("plan %s: %d readings taken already; alert %s is not re-anchored",
                ix->plan_id, HL_FORECAST_MAX_OBS, a->id);
        rc = reply_existing(r, ix->plan_id);
        goto out;
    }
    if ((rc = hl_plan_build(app->net, app->rules, in, &before)) < 0)
        goto buildfail;
    in->fc.obs[in->fc.n_obs++] = *o;
    if ((rc = hl_plan_build(app->net, app->rules, in, &after)) < 0)
        goto buildfail;
    /* An alert without a level (none known) keeps the level the tasks were sent with. */
    const char *level = pb_msg_task_level(a);
    if (!level[0])
        level = ix->task_level;
    int level_changed = strcmp(level, ix->task_level) != 0;
    if ((rc = diff_plans(ix, before, after, level_changed, &d)) < 0)
        goto nomem;

    for (size_t i = 0; i < ix->n_observations; i++)
        obs[i] = ix->observations[i];
    nob.station_id = (char *)o->station_id;
    nob.value_mg_l = o->value_mg_l;
    nob.at_ms = o->at_ms;
    nob.alert_id = a->id;
    obs[ix->n_observations] = &nob;
    unsigned update = ix->updates + 1;

    if (pb_store_plan_get(r->txn, ix->plan_id, &prev) < 0)
        prev = NULL;
    if ((rc = pb_plan_msg_init(&pm, after, app->net, in, a, ix->revision,
                               prev ? prev->created_ms : ix->created_ms)) < 0)
        goto nomem;
    have_pm = 1;
    Hl__Plan *pl = &pm.plan;
    if (prev) {
        /* What the first build asked for stands: the same reservation and task batch. */
        pl->alert_id = prev->alert_id;
        pl->reservation_id = prev->reservation_id;
        pl->reservation_state = prev->reservation_state;
        pl->shortfall = prev->shortfall;
        pl->n_shortfall = prev->n_shortfall;
        pl->tasks_state = prev->tasks_state;
    }
    pl->observations = obs;
    pl->n_observations = ix->n_observations + 1;
    pl->task_level = (char *)level;
    pl->updates = update;
    pl->updated_ms = r->now_ms;
    update_note(o, before, after, &d, note, sizeof note);
    size_t used = strlen(note);
    if (level_changed && used + 1 < sizeof note)
        snprintf(note + used, sizeof note - used, "; task level %s -> %s",
                 ix->task_level[0] ? ix->task_level : "(none)", level[0] ? level : "(none)");
    pl->update_note = note;
    pl->revision_state = "";

    if ((rc = pb_batch_msg_subset(&nb, after, in, r->now_ms, ix->task_ids, ix->n_task_ids,
                                  0)) < 0)
        goto nomem;
    have_nb = 1;
    if ((rc = pb_batch_msg_subset(&rb, after, in, r->now_ms, d.rev_now, d.n_rev_now, 1)) < 0)
        goto nomem;
    have_rb = 1;
    pb_batch_msg_set_level(&nb, level);
    pb_batch_msg_set_level(&rb, level);
    if (nb.batch.n_tasks) {
        snprintf(tag, sizeof tag, "tasks-u%u", update);
        hl_plan_task_id(in->plan_id, "msg", tag, key);
        if ((rc = hl_svc_send(r, "dispatch", "dispatch.tasks", &nb.batch.base, key, NULL)) < 0)
            goto sendfail;
    }
    /* Tasks whose dispatch.tasks is not confirmed yet wait: their revision could overtake
     * them in the outbox and be refused ("not stored"). A catch-up follows the reply. */
    size_t held = (d.n_revised - d.n_rev_now) + (d.n_withdrawn - d.n_wd_now);
    uint32_t seq = ix->revise_seq;
    if (rb.batch.n_tasks || d.n_wd_now) {
        Hl__TaskRevision rv = HL__TASK_REVISION__INIT;
        rv.plan_id = in->plan_id;
        rv.incident_id = in->incident_id;
        rv.update = ++seq;
        rv.tasks = rb.batch.tasks;
        rv.n_tasks = rb.batch.n_tasks;
        rv.withdrawn_task_ids = d.wd_now;
        rv.n_withdrawn_task_ids = d.n_wd_now;
        rv.reason = note;
        snprintf(tag, sizeof tag, "revise-s%" PRIu32, seq);
        hl_plan_task_id(in->plan_id, "msg", tag, key);
        if ((rc = hl_svc_send(r, "dispatch", "dispatch.revise", &rv.base, key, NULL)) < 0)
            goto sendfail;
        snprintf(state, sizeof state, "sent (update %" PRIu32 ")", seq);
    }
    if (held) {
        size_t k = strlen(state);
        snprintf(state + k, sizeof state - k,
                 "%sheld: %zu task(s) until dispatch confirms it stored them", k ? "; " : "",
                 held);
    }
    if (state[0])
        pl->revision_state = state;
    Hl__PlanIndex nix = *ix;
    nix.revise_seq = seq;
    nix.revise_held = ix->revise_held || held > 0;
    /* A newly chosen space joins the tasked ones; withdrawals sent are not sent again. */
    char *spaces[HL_PLAN_MAX_KEPT];
    size_t ns = 0;
    for (size_t i = 0; i < ix->n_intercept_spaces && ns < HL_PLAN_MAX_KEPT; i++)
        spaces[ns++] = ix->intercept_spaces[i];
    if (after->space && ns < HL_PLAN_MAX_KEPT &&
        !ids_have(ix->intercept_spaces, ix->n_intercept_spaces, after->space->id))
        spaces[ns++] = (char *)after->space->id;
    nix.intercept_spaces = spaces;
    nix.n_intercept_spaces = ns;
    wdn = calloc(ix->n_withdrawn_task_ids + d.n_wd_now + 1, sizeof *wdn);
    if (!wdn)
        goto nomem;
    for (size_t i = 0; i < ix->n_withdrawn_task_ids; i++)
        wdn[i] = ix->withdrawn_task_ids[i];
    for (size_t i = 0; i < d.n_wd_now; i++)
        wdn[ix->n_withdrawn_task_ids + i] = d.wd_now[i];
    nix.withdrawn_task_ids = wdn;
    nix.n_withdrawn_task_ids = ix->n_withdrawn_task_ids + d.n_wd_now;
    nix.observations = obs;
    nix.n_observations = ix->n_observations + 1;
    nix.updates = update;
    nix.task_ids = d.sent;
    nix.n_task_ids = d.n_sent;
    nix.task_level = (char *)level;
    if ((rc = pb_store_plan_put(r->txn, pl)) < 0 ||
        (rc = pb_store_index_put(r->txn, in->incident_id, &nix)) < 0) {
        rc = hl_req_fail(r, rc, "", "plan %s cannot be stored: %s", in->plan_id, hl_strerror(rc));
        goto out;
    }
    if ((rc = hl_svc_publish(r, "plan.updated", &pl->base)) < 0 ||
        (rc = hl_req_reply(r, r->env->type, &pl->base)) < 0)
        goto out;
    hl_info("plan %s re-anchored (update %u) by alert %s: %s", in->plan_id, update, a->id, note);
    goto out;
buildfail:
    rc = hl_req_fail(r, rc, "alert", "plan %s cannot be re-anchored: %s", ix->plan_id,
                     hl_strerror(rc));
    goto out;
nomem:
    rc = hl_req_fail(r, HL_ENOMEM, "", "out of memory re-anchoring plan %s", ix->plan_id);
    goto out;
sendfail:
    rc = hl_req_fail(r, rc, "", "plan %s cannot be queued for sending: %s", ix->plan_id,
                     hl_strerror(rc));
out:
    if (have_rb)
        pb_batch_msg_free(&rb);
    if (have_nb)
        pb_batch_msg_free(&nb);
    if (have_pm)
        pb_plan_msg_free(&pm);
    if (prev)
        protobuf_c_message_free_unpacked(&prev->base, NULL);
    diff_free(&d);
    free(wdn);
    hl_plan_destroy(&before);
    hl_plan_destroy(&after);
    free(obs);
    free(in);
    return rc;
}

/* 1 when the index already holds this alert's reading (a resend under a new envelope). */
static int seen(const Hl__PlanIndex *ix, const Hl__Alert *a)
{
    if (ix->alert && ix->alert->id && a->id && strcmp(ix->alert->id, a->id) == 0)
        return 1;
    for (size_t i = 0; i < ix->n_observations; i++)
        if (a->id && a->id[0] && strcmp(ix->observations[i]->alert_id, a->id) == 0)
            return 1;
    return 0;
}

static int on_alert(hl_req *r, void *ud)
{
    pb_app *app = ud;
    char field[PB_FIELD_MAX], why[PB_WHY_MAX];
    Hl__PlanTrigger *t = (Hl__PlanTrigger *)payload(r, &hl__plan_trigger__descriptor);
    if (!t)
        return HL_EDECODE;
    hl_plan_input *in = calloc(1, sizeof *in);
    Hl__PlanIndex *ix = NULL;
    Hl__Observation one = HL__OBSERVATION__INIT, **obs = NULL;
    hl_observation o;
    int rc;
    if (!in) {
        rc = hl_req_fail(r, HL_ENOMEM, "", "out of memory");
        goto out;
    }
    if ((rc = pb_msg_input(t, app->net, app->rules, app->season, r->now_ms, 1, in, field,
                           why)) < 0) {
        rc = hl_req_fail(r, rc, field, "%s", why);
        goto out;
    }
    rc = pb_store_index_get(r->txn, in->incident_id, &ix);
    if (rc < 0 && rc != HL_ENOTFOUND) {
        rc = hl_req_fail(r, rc, "alert.incident_id", "the plan index cannot be read: %s",
                         hl_strerror(rc));
        goto out;
    }
    if (rc == HL_ENOTFOUND) {
        rc = make_plan(r, app, t, in, 1, t->alert, NULL, 0);
        goto out;
    }
    int fresh = !seen(ix, t->alert) &&
                pb_msg_observation(t->alert, app->net, r->now_ms, &o) == 1;
    if (t->force) {
        /* A duty officer's re-plan: revision N+1, new ids, built now from the first alert and
         * every reading taken since (this one too). */
        const Hl__Alert *base = ix->alert ? ix->alert : t->alert;
        Hl__PlanTrigger bt = *t;
        bt.alert = (Hl__Alert *)base;
        size_t n = ix->n_observations;
        if (!(obs = calloc(n + 1, sizeof *obs))) {
            rc = hl_req_fail(r, HL_ENOMEM, "", "out of memory");
            goto out;
        }
        for (size_t i = 0; i < n; i++)
            obs[i] = ix->observations[i];
        if (fresh && ix->alert) {
            one.station_id = o.station_id;
            one.value_mg_l = o.value_mg_l;
            one.at_ms = o.at_ms;
            one.alert_id = t->alert->id;
            obs[n++] = &one;
        }
        if (ix->alert && ((rc = pb_msg_input(&bt, app->net, app->rules, app->season, r->now_ms,
                                             1, in, field, why)) < 0 ||
                          (rc = pb_msg_add_observations(&in->fc, obs, n)) < 0)) {
            rc = hl_req_fail(r, rc, field[0] ? field : "alert", "%s",
                             why[0] ? why : "too many readings to re-plan with");
            goto out;
        }
        rc = make_plan(r, app, t, in, ix->revision + 1, base, obs, n);
    } else if (fresh && ix->alert) {
        rc = reanchor(r, app, ix, t->alert, &o);
    } else {
        hl_info("incident %s already has plan %s: alert %s brings no new reading (force "
                "re-plans)",
                in->incident_id, ix->plan_id, t->alert->id ? t->alert->id : "");
        rc = reply_existing(r, ix->plan_id);
    }
out:
    free(obs);
    if (ix)
        protobuf_c_message_free_unpacked(&ix->base, NULL);
    free(in);
    protobuf_c_message_free_unpacked(&t->base, NULL);
    return rc;
}

/* Rewrite the stored plan plan_id with fn applied to a shallow copy (the copy's new strings
 * live in the caller's buffers; the unpacked original owns the rest). */
typedef void (*plan_edit_fn)(Hl__Plan *copy, void *ud);

static int edit_plan(hl_req *r, const char *plan_id, plan_edit_fn fn, void *ud)
{
    Hl__Plan *p = NULL;
    int rc = pb_store_plan_get(r->txn, plan_id, &p);
    if (rc < 0) {
        hl_warn("reply for plan %s, which cannot be read: %s", plan_id, hl_strerror(rc));
        return 0; /* nothing to update; the reply is consumed */
    }
    Hl__Plan copy = *p;
    fn(&copy, ud);
    rc = pb_store_plan_put(r->txn, &copy);
    protobuf_c_message_free_unpacked(&p->base, NULL);
    return rc;
}

typedef struct reserve_edit {
    const char *id, *state;
    char **shortfall;
    size_t n_shortfall;
} reserve_edit;

static void apply_reserve(Hl__Plan *p, void *ud)
{
    reserve_edit *e = ud;
    p->reservation_id = (char *)e->id;
    p->reservation_state = (char *)e->state;
    p->shortfall = e->shortfall;
    p->n_shortfall = e->n_shortfall;
}

/* The plan id of the request a reply answers (its payload names it). */
static int orig_plan_id(hl_req *r, const ProtobufCMessageDescriptor *d, char out[65])
{
    out[0] = 0;
    if (!r->orig)
        return HL_ENOTFOUND;
    ProtobufCMessage *m = hl_msg_unpack(d, r->orig->payload.data, r->orig->payload.len);
    if (!m)
        return HL_EDECODE;
    const char *id = d == &hl__reserve_request__descriptor ? ((Hl__ReserveRequest *)m)->plan_id
                     : d == &hl__task_revision__descriptor ? ((Hl__TaskRevision *)m)->plan_id
                                                           : ((Hl__TaskBatch *)m)->plan_id;
    snprintf(out, 65, "%s", id ? id : "");
    protobuf_c_message_free_unpacked(m, NULL);
    return out[0] ? 0 : HL_ENOTFOUND;
}

static int on_reserve_reply(hl_req *r, void *ud)
{
    (void)ud;
    char plan_id[65], state[HL_TEXT_MAX + 16];
    reserve_edit e;
    memset(&e, 0, sizeof e);
    if (orig_plan_id(r, &hl__reserve_request__descriptor, plan_id) < 0) {
        hl_warn("stock.reserve reply to a request without a plan id: ignored");
        return 0;
    }
    Hl__Reservation *res = NULL;
    int rc = 0;
    if (r->env->error) {
        snprintf(state, sizeof state, "refused: %s (%s)",
                 r->env->error->message ? r->env->error->message : "",
                 r->env->error->field ? r->env->error->field : "");
        e.id = "";
        e.state = state;
        hl_warn("stock refused the reservation of plan %s: %s", plan_id, state);
    } else {
        res = (Hl__Reservation *)hl_msg_unpack(&hl__reservation__descriptor,
                                               r->env->payload.data, r->env->payload.len);
        if (!res) {
            hl_warn("stock.reserve reply for plan %s is not a Reservation: ignored", plan_id);
            return 0;
        }
        e.id = res->id;
        e.state = res->state;
        if ((rc = pb_msg_shortfall(res, &e.shortfall, &e.n_shortfall)) < 0)
            goto out;
        hl_info("plan %s: reservation %s %s (%zu materials short)", plan_id, res->id,
                res->state, res->n_shortfall);
    }
    rc = edit_plan(r, plan_id, apply_reserve, &e);
out:
    for (size_t i = 0; i < e.n_shortfall; i++)
        free(e.shortfall[i]);
    free(e.shortfall);
    if (res)
        protobuf_c_message_free_unpacked(&res->base, NULL);
    return rc;
}

static void apply_tasks(Hl__Plan *p, void *ud)
{
    p->tasks_state = ud;
}

static void apply_revision(Hl__Plan *p, void *ud)
{
    p->revision_state = ud;
}

/* How a reply from dispatch is recorded in the plan its request named. */
typedef struct dispatch_reply {
    const ProtobufCMessageDescriptor *request; /* TaskBatch or TaskRevision */
    const char *type, *what, *done;            /* "dispatch.tasks", "tasks", "accepted" */
    plan_edit_fn apply;                        /* the Plan field it sets */
} dispatch_reply;

static int record_dispatch_reply(hl_req *r, const dispatch_reply *d)
{
    char plan_id[65], state[HL_TEXT_MAX + 16];
    if (orig_plan_id(r, d->request, plan_id) < 0) {
        hl_warn("%s reply to a request without a plan id: ignored", d->type);
        return 0;
    }
    if (r->env->error) {
        snprintf(state, sizeof state, "refused: %s (%s)",
                 r->env->error->message ? r->env->error->message : "",
                 r->env->error->field ? r->env->error->field : "");
        hl_warn("dispatch refused the %s of plan %s: %s", d->what, plan_id, state);
    } else {
        Hl__TaskList *tl = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor,
                                                         r->env->payload.data,
                                                         r->env->payload.len);
        snprintf(state, sizeof state, "%s (%zu tasks)", d->done, tl ? tl->n_tasks : (size_t)0);
        if (tl)
            protobuf_c_message_free_unpacked(&tl->base, NULL);
    }
    return edit_plan(r, plan_id, d->apply, state);
}

/* The revision held for tasks dispatch had not confirmed (reanchor): now that a dispatch.tasks
 * reply confirmed more, revise every confirmed task to the plan as it stands (dispatch
 * changes only those that differ) and withdraw the confirmed ones it no longer has. Tasks
 * still unconfirmed keep the revision held. Changes nix (revise_seq, revise_held, and
 * withdrawn_task_ids, which must have room for n_task_ids more). */
static int catch_up(hl_req *r, pb_app *app, Hl__PlanIndex *nix)
{
    char field[PB_FIELD_MAX], why[PB_WHY_MAX] = "", key[HL_NET_ID_MAX + 1], tag[32];
    char state[160] = "", reason[160];
    hl_plan_input *in = calloc(1, sizeof *in);
    char **rv = calloc(nix->n_task_ids + 1, sizeof *rv);
    char **wd = calloc(nix->n_task_ids + 1, sizeof *wd);
    hl_plan *cur = NULL;
    pb_batch_msg rb;
    int rc, have_rb = 0;
    size_t nrv = 0, nwd = 0, held = 0;
    if (!in || !rv || !wd) {
        rc = HL_ENOMEM;
        goto out;
    }
    Hl__PlanTrigger base = HL__PLAN_TRIGGER__INIT;
    base.alert = nix->alert;
    rc = pb_msg_input(&base, app->net, app->rules, nix->season, nix->created_ms, nix->revision,
                      in, field, why);
    if (rc == 0) {
        kept_from_index(in, nix);
        rc = pb_msg_add_observations(&in->fc, nix->observations, nix->n_observations);
    }
    if (rc == 0)
        rc = hl_plan_build(app->net, app->rules, in, &cur);
    if (rc < 0) {
        /* It was built from the same data before: nothing to revise with now. */
        hl_warn("plan %s: the held revision cannot be rebuilt: %s", nix->plan_id,
                why[0] ? why : hl_strerror(rc));
        rc = 0;
        goto out;
    }
    for (size_t i = 0; i < nix->n_task_ids; i++) {
        char *id = nix->task_ids[i];
        if (!ids_have(nix->stored_task_ids, nix->n_stored_task_ids, id))
            held++;
        else if (task_of(cur, id))
            rv[nrv++] = id;
        else if (!ids_have(nix->withdrawn_task_ids, nix->n_withdrawn_task_ids, id))
            wd[nwd++] = id;
    }
    if ((rc = pb_batch_msg_subset(&rb, cur, in, r->now_ms, rv, nrv, 1)) < 0)
        goto out;
    have_rb = 1;
    pb_batch_msg_set_level(&rb, nix->task_level);
    if (rb.batch.n_tasks || nwd) {
        Hl__TaskRevision m = HL__TASK_REVISION__INIT;
        m.plan_id = nix->plan_id;
        m.incident_id = in->incident_id;
        m.update = ++nix->revise_seq;
        m.tasks = rb.batch.tasks;
        m.n_tasks = rb.batch.n_tasks;
        m.withdrawn_task_ids = wd;
        m.n_withdrawn_task_ids = nwd;
        snprintf(reason, sizeof reason,
                 "catch-up: dispatch confirmed the tasks; the plan as of its update %" PRIu32,
                 nix->updates);
        m.reason = reason;
        snprintf(tag, sizeof tag, "revise-s%" PRIu32, nix->revise_seq);
        hl_plan_task_id(nix->plan_id, "msg", tag, key);
        if ((rc = hl_svc_send(r, "dispatch", "dispatch.revise", &m.base, key, NULL)) < 0)
            goto out;
        snprintf(state, sizeof state, "sent (update %" PRIu32 ", catch-up)", nix->revise_seq);
        /* The caller made room for every task id in withdrawn_task_ids. */
        for (size_t i = 0; i < nwd; i++)
            nix->withdrawn_task_ids[nix->n_withdrawn_task_ids++] = wd[i];
    }
    if (held) {
        size_t k = strlen(state);
        snprintf(state + k, sizeof state - k,
                 "%sheld: %zu task(s) until dispatch confirms it stored them", k ? "; " : "",
                 held);
    }
    nix->revise_held = held > 0;
    if (state[0])
        rc = edit_plan(r, nix->plan_id, apply_revision, state);
    hl_info("plan %s: catch-up revision: %zu task(s) revised, %zu withdrawn, %zu still held",
            nix->plan_id, nrv, nwd, held);
out:
    if (have_rb)
        pb_batch_msg_free(&rb);
    hl_plan_destroy(&cur);
    free(rv);
    free(wd);
    free(in);
    return rc;
}

/* dispatch.tasks answered with the tasks it stored: they are confirmed in the incident's
 * index (of the same plan), and a revision held for them goes out. */
static int tasks_confirmed(hl_req *r, pb_app *app, const Hl__TaskList *tl)
{
    if (!r->orig)
        return 0;
    Hl__TaskBatch *b = (Hl__TaskBatch *)hl_msg_unpack(&hl__task_batch__descriptor,
                                                      r->orig->payload.data, r->orig->payload.len);
    if (!b)
        return 0;
    Hl__PlanIndex *ix = NULL;
    char **ids = NULL, **wdn = NULL;
    int rc = 0;
    if (hl_id_check(b->incident_id) < 0 || pb_store_index_get(r->txn, b->incident_id, &ix) < 0 ||
        strcmp(ix->plan_id, b->plan_id) != 0)
        goto out; /* no index, or an earlier revision's batch: nothing to confirm */
    size_t n = ix->n_stored_task_ids;
    if (!(ids = calloc(n + tl->n_tasks + 1, sizeof *ids))) {
        rc = HL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = ix->stored_task_ids[i];
    if (!(wdn = calloc(ix->n_withdrawn_task_ids + ix->n_task_ids + 1, sizeof *wdn))) {
        rc = HL_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < ix->n_withdrawn_task_ids; i++)
        wdn[i] = ix->withdrawn_task_ids[i];
    for (size_t i = 0; i < tl->n_tasks; i++) {
        char *id = tl->tasks[i]->id;
        if (ids_have(ix->task_ids, ix->n_task_ids, id) && !ids_have(ids, n, id))
            ids[n++] = id;
    }
    Hl__PlanIndex nix = *ix;
    nix.stored_task_ids = ids;
    nix.n_stored_task_ids = n;
    nix.withdrawn_task_ids = wdn;
    if (ix->revise_held && (rc = catch_up(r, app, &nix)) < 0)
        goto out;
    rc = pb_store_index_put(r->txn, b->incident_id, &nix);
out:
    free(ids);
    free(wdn);
    if (ix)
        protobuf_c_message_free_unpacked(&ix->base, NULL);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    return rc;
}

static int on_tasks_reply(hl_req *r, void *ud)
{
    static const dispatch_reply d = {&hl__task_batch__descriptor, "dispatch.tasks", "tasks",
                                     "accepted", apply_tasks};
    int rc = record_dispatch_reply(r, &d);
    if (rc < 0 || r->env->error)
        return rc;
    Hl__TaskList *tl = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor,
                                                     r->env->payload.data, r->env->payload.len);
    if (!tl)
        return 0;
    rc = tasks_confirmed(r, ud, tl);
    protobuf_c_message_free_unpacked(&tl->base, NULL);
    return rc;
}

/* dispatch.revise answered: applied, or refused (a dispatch without the handler answers
 * "unknown message type": the plan says so, and the units keep the first due times). */
static int on_revise_reply(hl_req *r, void *ud)
{
    (void)ud;
    static const dispatch_reply d = {&hl__task_revision__descriptor, "dispatch.revise",
                                     "revised tasks", "applied", apply_revision};
    return record_dispatch_reply(r, &d);
}

static int on_plans(hl_req *r, void *ud)
{
    pb_app *app = ud;
    Hl__ListQuery *q = (Hl__ListQuery *)payload(r, &hl__list_query__descriptor);
    if (!q)
        return HL_EDECODE;
    int rc = 0;
    Hl__Plan **plans = NULL;
    size_t n = 0;
    if (q->id && q->id[0] && hl_id_check(q->id) < 0)
        rc = hl_req_fail(r, HL_EINVAL, "query.id", "id is not an id");
    else if (q->incident_id && q->incident_id[0] && hl_id_check(q->incident_id) < 0)
        rc = hl_req_fail(r, HL_EINVAL, "query.incident_id", "incident_id is not an id");
    else if ((rc = pb_store_list(r->txn, q->id, q->incident_id, q->limit, app->max_reply,
                                 &plans, &n)) < 0)
        rc = hl_req_fail(r, rc, "", "the plans cannot be read: %s", hl_strerror(rc));
    if (rc == 0) {
        Hl__PlanList list = HL__PLAN_LIST__INIT;
        list.plans = plans;
        list.n_plans = n;
        rc = hl_req_reply(r, r->env->type, &list.base);
    }
    pb_store_list_free(&plans, n);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

int pb_service_register(hl_svc *s, pb_app *app)
{
    int rc;
    if ((rc = hl_svc_on(s, "playbook.alert", on_alert, app, 0)) < 0 ||
        (rc = hl_svc_on(s, "playbook.plans", on_plans, app, HL_H_QUERY)) < 0 ||
        (rc = hl_svc_on_reply(s, "stock.reserve", on_reserve_reply, app)) < 0 ||
        (rc = hl_svc_on_reply(s, "dispatch.tasks", on_tasks_reply, app)) < 0 ||
        (rc = hl_svc_on_reply(s, "dispatch.revise", on_revise_reply, app)) < 0)
        return rc;
    hl_svc_set_records_table(s, PB_T_PLANS);
    return 0;
}
