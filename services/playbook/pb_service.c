/* pb_service.c — see pb_service.h. */
#include "pb_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Build, store and send a new plan (revision rev) for the trigger's incident. */
static int make_plan(hl_req *r, pb_app *app, const Hl__PlanTrigger *t, hl_plan_input *in,
                     unsigned rev)
{
    hl_plan *plan = NULL;
    pb_plan_msg pm;
    pb_batch_msg bm;
    pb_reserve_msg rm;
    char why[PB_WHY_MAX], key[HL_NET_ID_MAX + 1];
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
    if ((rc = pb_batch_msg_init(&bm, plan, in, r->now_ms)) < 0)
        goto nomem;
    have_bm = 1;

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
    if ((rc = pb_store_plan_put(r->txn, &pm.plan)) < 0 ||
        (rc = pb_store_index_put(r->txn, in->incident_id, in->plan_id, rev)) < 0) {
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
    if (have_rm)
        pb_reserve_msg_free(&rm);
    if (have_bm)
        pb_batch_msg_free(&bm);
    if (have_pm)
        pb_plan_msg_free(&pm);
    hl_plan_destroy(&plan);
    return rc;
}

static int on_alert(hl_req *r, void *ud)
{
    pb_app *app = ud;
    char field[PB_FIELD_MAX], why[PB_WHY_MAX], existing[65];
    unsigned rev = 0;
    Hl__PlanTrigger *t = (Hl__PlanTrigger *)payload(r, &hl__plan_trigger__descriptor);
    if (!t)
        return HL_EDECODE;
    hl_plan_input *in = calloc(1, sizeof *in);
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
    rc = pb_store_index_get(r->txn, in->incident_id, existing, &rev);
    if (rc < 0 && rc != HL_ENOTFOUND) {
        rc = hl_req_fail(r, rc, "alert.incident_id", "the plan index cannot be read: %s",
                         hl_strerror(rc));
        goto out;
    }
    if (rc == 0 && !t->force) {
        hl_info("incident %s already has plan %s: alert %s changes nothing (force re-plans)",
                in->incident_id, existing, t->alert->id ? t->alert->id : "");
        rc = reply_existing(r, existing);
        goto out;
    }
    rc = make_plan(r, app, t, in, rc == 0 ? rev + 1 : 1);
out:
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

static int on_tasks_reply(hl_req *r, void *ud)
{
    (void)ud;
    char plan_id[65], state[HL_TEXT_MAX + 16];
    if (orig_plan_id(r, &hl__task_batch__descriptor, plan_id) < 0) {
        hl_warn("dispatch.tasks reply to a request without a plan id: ignored");
        return 0;
    }
    if (r->env->error) {
        snprintf(state, sizeof state, "refused: %s (%s)",
                 r->env->error->message ? r->env->error->message : "",
                 r->env->error->field ? r->env->error->field : "");
        hl_warn("dispatch refused the tasks of plan %s: %s", plan_id, state);
    } else {
        Hl__TaskList *tl = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor,
                                                         r->env->payload.data,
                                                         r->env->payload.len);
        snprintf(state, sizeof state, "accepted (%zu tasks)", tl ? tl->n_tasks : (size_t)0);
        if (tl)
            protobuf_c_message_free_unpacked(&tl->base, NULL);
    }
    return edit_plan(r, plan_id, apply_tasks, state);
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
        (rc = hl_svc_on_reply(s, "dispatch.tasks", on_tasks_reply, app)) < 0)
        return rc;
    hl_svc_set_records_table(s, PB_T_PLANS);
    return 0;
}
