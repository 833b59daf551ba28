/* run.c — play a drill against the stack (see run.h). */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>
#include <zmq.h>

#include "alert.pb-c.h"
#include "common.pb-c.h"
#include "dispatch.pb-c.h"
#include "expect.h"
#include "hazlink/hl_bus.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/stack.h"
#include "playbook.pb-c.h"
#include "report.h"
#include "risk.pb-c.h"
#include "stock.pb-c.h"

#define DRILL_SENDER "hazdrill"

typedef struct drill_rt {
    const drill_opts *o;
    hl_config *cfg;
    const drill_scenario *sc;
    uv_loop_t loop;
    hl_bus *bus;
    hl_sock *subs[5];
    uv_timer_t inject_timer, tick_timer, kill_timer;
    uv_signal_t sigint, sigterm;
    hl_stack *stack;
    drill_inject_result results[DRILL_MAX_INJECTS];
    size_t next_inject;
    int kill_state; /* 0 none/pending, 1 killed, 2 restarted or given up */
    int64_t last_event_real_ms;
    int64_t last_check_real_ms;
    int done;
    drill_run_info ri;
} drill_rt;

/* ------------------------------------------------------------------ output */

static void run__problem(drill_rt *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run__problem(drill_rt *rt, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    hl_warn("%s", line);
    if (rt->ri.n_problems < DRILL_MAX_PROBLEMS)
        snprintf(rt->ri.problems[rt->ri.n_problems++], sizeof rt->ri.problems[0], "%s", line);
}

/* One progress line: drill time in Beijing time, offset from the start, type, text. */
static void run__say(drill_rt *rt, int64_t drill_ms, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void run__say(drill_rt *rt, int64_t drill_ms, const char *type, const char *fmt, ...)
{
    char text[DRILL_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rt->ri.n_events < DRILL_MAX_EVENTS) {
        drill_event_line *e = &rt->ri.events[rt->ri.n_events++];
        e->drill_ms = drill_ms;
        snprintf(e->type, sizeof e->type, "%s", type);
        snprintf(e->text, sizeof e->text, "%s", text);
    } else {
        rt->ri.events_dropped++;
    }
    if (rt->o->quiet)
        return;
    char iso[40], off[24];
    hl_time_format(drill_ms, HL_TZ_BEIJING_MIN, iso, sizeof iso);
    drill_offset_format((double)(drill_ms - rt->ri.start_ms) / 1000.0, off, sizeof off);
    printf("%s [%s] %-16s %s\n", iso, off, type, text);
    fflush(stdout);
}

static const char *run__s(const char *s)
{
    return s ? s : "";
}

/* ------------------------------------------------------------------ events */

static void run__grade_text(const Hl__Incident *x, char *buf, size_t n);

static void run__on_event(hl_sock *s, const hl_frame *frames, size_t n, void *ud)
{
    (void)s;
    drill_rt *rt = ud;
    if (n == 0)
        return;
    /* The last frame is the envelope; a first frame, when present, is the topic. */
    const hl_frame *f = &frames[n - 1];
    Hl__Envelope *env = NULL;
    char why[128];
    if (hl_env_unpack(f->data, f->len, rt->cfg->max_msg_bytes, &env, why, sizeof why) < 0) {
        hl_warn("undecodable event dropped: %s", why);
        return;
    }
    rt->last_event_real_ms = hl_real_now_ms();
    const char *type = env->type;
    int64_t at = env->sent_ms > 0 ? env->sent_ms : hl_now_ms();
    const void *p = env->payload.data;
    size_t len = env->payload.len;
    if (strcmp(type, "incident.graded") == 0) {
        Hl__Incident *x = (Hl__Incident *)hl_msg_unpack(&hl__incident__descriptor, p, len);
        if (x) {
            char g[400];
            run__grade_text(x, g, sizeof g);
            run__say(rt, at, type, "%s %s%s", run__s(x->id), g,
                     x->grading_unverified ? " (rests in part on rows marked unverified)" : "");
            protobuf_c_message_free_unpacked(&x->base, NULL);
        }
    } else if (strcmp(type, "stock.low") == 0) {
        Hl__StockAlert *a = (Hl__StockAlert *)hl_msg_unpack(&hl__stock_alert__descriptor, p, len);
        if (a) {
            run__say(rt, at, type, "%s %s: %s at %s available %g %s, minimum %g", run__s(a->id),
                     run__s(a->state), run__s(a->material_id), run__s(a->depot_id), a->available,
                     run__s(a->unit), a->minimum);
            protobuf_c_message_free_unpacked(&a->base, NULL);
        }
    } else if (strncmp(type, "incident.", 9) == 0) {
        Hl__Incident *x = (Hl__Incident *)hl_msg_unpack(&hl__incident__descriptor, p, len);
        if (x) {
            run__say(rt, at, type,
                     "%s %s %s at %s (km %g), peak %g mg/L vs limit %g mg/L (%s), "
                     "level %s, %s side%s%s",
                     run__s(x->id), run__s(x->origin), run__s(x->parameter),
                     run__s(x->station_id)[0] ? x->station_id : "report", x->chainage_km,
                     x->peak_value_mg_l, x->limit_mg_l, run__s(x->limit_source),
                     run__s(x->warning_level)[0] ? x->warning_level : "-",
                     run__s(x->jurisdiction)[0] ? x->jurisdiction : "?",
                     x->n_upstream_source_ids ? ", upstream source " : "",
                     x->n_upstream_source_ids ? x->upstream_source_ids[0] : "");
            protobuf_c_message_free_unpacked(&x->base, NULL);
        }
    } else if (strcmp(type, "alert.raised") == 0) {
        Hl__Alert *a = (Hl__Alert *)hl_msg_unpack(&hl__alert__descriptor, p, len);
        if (a) {
            run__say(rt, at, type, "%s level %s for %s: %s %g mg/L at %s = %.2f× over %g mg/L",
                     run__s(a->id), run__s(a->warning_level), run__s(a->incident_id),
                     run__s(a->parameter), a->value_mg_l, run__s(a->station_id), a->multiple,
                     a->limit_mg_l);
            protobuf_c_message_free_unpacked(&a->base, NULL);
        }
    } else if (strcmp(type, "plan.activated") == 0) {
        Hl__Plan *pl = (Hl__Plan *)hl_msg_unpack(&hl__plan__descriptor, p, len);
        if (pl) {
            char off[24] = "never";
            for (size_t i = 0; i < pl->n_points; i++)
                if (strcmp(run__s(pl->points[i]->point_id), run__s(pl->chosen_space_id)) == 0 &&
                    pl->points[i]->front_ms > 0)
                    drill_offset_format((double)(pl->points[i]->front_ms - rt->ri.start_ms) /
                                            1000.0,
                                        off, sizeof off);
            run__say(rt, at, type,
                     "%s for %s: intercept at %s %s (front %s), %zu points, "
                     "%zu tasks%s%s",
                     run__s(pl->id), run__s(pl->incident_id),
                     run__s(pl->chosen_space_id)[0] ? pl->chosen_space_id : "none",
                     run__s(pl->chosen_space_name), off, pl->n_points, pl->n_task_ids,
                     run__s(pl->fallback)[0] ? "; " : "", run__s(pl->fallback));
            protobuf_c_message_free_unpacked(&pl->base, NULL);
        }
    } else if (strcmp(type, "reservation.made") == 0) {
        Hl__Reservation *r = (Hl__Reservation *)hl_msg_unpack(&hl__reservation__descriptor, p, len);
        if (r) {
            run__say(rt, at, type, "%s %s: %zu lines from depots, %zu materials short",
                     run__s(r->id), run__s(r->state), r->n_lines, r->n_shortfall);
            protobuf_c_message_free_unpacked(&r->base, NULL);
        }
    } else if (strcmp(type, "task.state") == 0) {
        Hl__Task *t = (Hl__Task *)hl_msg_unpack(&hl__task__descriptor, p, len);
        if (t) {
            double lat = drill_task_ack_latency_s(t);
            if (strcmp(run__s(t->state), "acknowledged") == 0 &&
                rt->ri.n_acks < DRILL_MAX_ACKS_SEEN) {
                drill_ack_seen *a = &rt->ri.acks[rt->ri.n_acks++];
                snprintf(a->task_id, sizeof a->task_id, "%s", run__s(t->id));
                a->real_ms = rt->last_event_real_ms;
            }
            if (lat >= 0)
                run__say(rt, at, type, "%s %s → %s: %s %s (acknowledged %.0f s after creation)",
                         run__s(t->id), run__s(t->unit_id), run__s(t->state), run__s(t->kind),
                         run__s(t->target_id), lat);
            else
                run__say(rt, at, type, "%s %s → %s: %s %s", run__s(t->id), run__s(t->unit_id),
                         run__s(t->state), run__s(t->kind), run__s(t->target_id));
            protobuf_c_message_free_unpacked(&t->base, NULL);
        }
    } else {
        run__say(rt, at, type, "(%zu bytes)", len);
    }
    hl_env_free(&env);
}

/* ------------------------------------------------------------------ requests */

/* Blocking request to a service; *reply unpacked with d. Returns 0 or HL_E* with err. */
static int run__call(drill_rt *rt, const char *service, const char *type,
                     const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d,
                     ProtobufCMessage **reply, char *err, size_t errlen)
{
    char ep[128];
    int rc = hl_config_endpoint(rt->cfg, service, "req", ep, sizeof ep);
    if (rc < 0)
        return rc;
    Hl__Envelope *env = NULL;
    rc = hl_call(hl_bus_zctx(rt->bus), ep, DRILL_SENDER, type, req,
                 rt->cfg->request_timeout_ms > 0 ? rt->cfg->request_timeout_ms : 5000, &env, err,
                 errlen);
    if (rc == HL_ETIMEOUT)
        snprintf(err, errlen, "%s did not answer %s in time", service, type);
    else if (rc == 0) {
        *reply = d ? hl_msg_unpack(d, env->payload.data, env->payload.len) : NULL;
        if (d && !*reply) {
            snprintf(err, errlen, "%s answered %s with an undecodable payload", service, type);
            rc = HL_EDECODE;
        }
    }
    hl_env_free(&env);
    return rc;
}

/* The facts of a scenario inject as the IncidentFacts payload (strings point into in). */
static void run__facts_msg(const drill_facts_in *in, Hl__IncidentFacts *m)
{
    if (in->has[DRILL_FACT_DEATHS]) {
        m->deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
        m->deaths = (uint32_t)in->num[DRILL_FACT_DEATHS];
    }
    if (in->has[DRILL_FACT_POISONED]) {
        m->poisoned_known_case = HL__INCIDENT_FACTS__POISONED_KNOWN_POISONED_OR_SERIOUSLY_INJURED;
        m->poisoned_or_seriously_injured = (uint32_t)in->num[DRILL_FACT_POISONED];
    }
    if (in->has[DRILL_FACT_EVACUATED]) {
        m->evacuated_known_case = HL__INCIDENT_FACTS__EVACUATED_KNOWN_EVACUATED;
        m->evacuated = (uint32_t)in->num[DRILL_FACT_EVACUATED];
    }
    if (in->has[DRILL_FACT_LOSS]) {
        m->loss_known_case = HL__INCIDENT_FACTS__LOSS_KNOWN_DIRECT_ECONOMIC_LOSS_YUAN;
        m->direct_economic_loss_yuan = in->num[DRILL_FACT_LOSS];
    }
    if (in->has[DRILL_FACT_DRINKING]) {
        m->drinking_known_case = HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION;
        m->drinking_water_interruption = (char *)in->cat[DRILL_FACT_DRINKING];
    }
    if (in->has[DRILL_FACT_CROSS]) {
        m->cross_known_case = HL__INCIDENT_FACTS__CROSS_KNOWN_CROSS_BOUNDARY;
        m->cross_boundary = (char *)in->cat[DRILL_FACT_CROSS];
    }
    if (in->has[DRILL_FACT_ECOLOGY]) {
        m->ecology_known_case = HL__INCIDENT_FACTS__ECOLOGY_KNOWN_ECOLOGY;
        m->ecology = (char *)in->cat[DRILL_FACT_ECOLOGY];
    }
    if (in->has[DRILL_FACT_RADIATION]) {
        m->radiation_known_case = HL__INCIDENT_FACTS__RADIATION_KNOWN_RADIATION;
        m->radiation = (char *)in->cat[DRILL_FACT_RADIATION];
    }
    m->basis = (char *)in->basis;
}

/* "grade III 较大, decided by 附件1 …" of an incident reply, for a progress line. */
static void run__grade_text(const Hl__Incident *x, char *buf, size_t n)
{
    if (!x->grade || !x->grade[0]) {
        snprintf(buf, n, "not graded");
        return;
    }
    snprintf(buf, n, "grade %s %s, decided by %s", x->grade, run__s(x->grade_name),
             x->deciding && x->deciding->cite ? x->deciding->cite : "?");
}

/* A report's or facts' reply: the incident's id and grade into r, the grade in words into g. */
static const Hl__Incident *run__graded(drill_inject_result *r, const ProtobufCMessage *rep, char *g,
                                       size_t n)
{
    const Hl__Incident *x = (const Hl__Incident *)rep;
    run__grade_text(x, g, n);
    snprintf(r->incident_id, sizeof r->incident_id, "%s", run__s(x->id));
    snprintf(r->grade, sizeof r->grade, "%s", run__s(x->grade));
    return x;
}

/* The incident the report inject with report_id opened in this drill ("" if none). */
static const char *run__report_incident(const drill_rt *rt, const char *report_id)
{
    for (size_t i = 0; i < rt->next_inject; i++) {
        const drill_inject_result *r = &rt->results[i];
        if (r->inject->kind == DRILL_INJECT_REPORT && r->rc == 0 &&
            strcmp(r->inject->report_id, report_id) == 0)
            return r->incident_id;
    }
    return "";
}

static void run__send_inject(drill_rt *rt, size_t i)
{
    drill_inject_result *r = &rt->results[i];
    const drill_inject *in = r->inject;
    ProtobufCMessage *rep = NULL;
    r->sent = 1;
    r->sent_ms = hl_now_ms();
    r->sent_real_ms = hl_real_now_ms();
    if (in->kind == DRILL_INJECT_READING) {
        Hl__Reading m = HL__READING__INIT;
        char rid[HL_ID_MAX + 1];
        hl_id_new("drill", rid);
        m.station_id = (char *)in->station_id;
        m.parameter = (char *)in->parameter;
        m.value = in->value;
        m.unit = (char *)in->unit;
        m.measured_ms = r->due_ms;
        m.reading_id = rid;
        r->rc = run__call(rt, "alert", "alert.reading", &m.base, &hl__reading_result__descriptor,
                          &rep, r->error, sizeof r->error);
        r->reply_real_ms = hl_real_now_ms();
        if (r->rc == 0) {
            Hl__ReadingResult *x = (Hl__ReadingResult *)rep;
            r->exceeded = x->exceeded;
            r->value_mg_l = x->value_mg_l;
            r->limit_mg_l = x->limit_mg_l;
            r->multiple = x->multiple;
            snprintf(r->limit_source, sizeof r->limit_source, "%s", run__s(x->limit_source));
            snprintf(r->incident_id, sizeof r->incident_id, "%s", run__s(x->incident_id));
            snprintf(r->warning_level, sizeof r->warning_level, "%s", run__s(x->warning_level));
            r->incident_opened = x->incident_opened;
            r->linked = x->linked;
            snprintf(r->link_reason, sizeof r->link_reason, "%s", run__s(x->link_reason));
            run__say(rt, r->sent_ms, "inject", "reading %s %s %g %s = %g mg/L: %s%s%s%s%s%s%s%s",
                     in->station_id, in->parameter, in->value, in->unit, x->value_mg_l,
                     x->exceeded ? "EXCEEDS " : "within ", run__s(x->limit_source),
                     x->incident_id && x->incident_id[0] ? ", incident " : "",
                     run__s(x->incident_id), x->incident_opened ? " (opened)" : "",
                     x->linked ? " (attached to the reported release: " : "",
                     x->linked ? r->link_reason : "", x->linked ? ")" : "");
        }
    } else if (in->kind == DRILL_INJECT_FACTS) {
        Hl__IncidentFacts m = HL__INCIDENT_FACTS__INIT;
        run__facts_msg(&in->facts, &m);
        m.incident_id = (char *)run__report_incident(rt, in->report_id);
        snprintf(r->incident_id, sizeof r->incident_id, "%s", m.incident_id);
        if (!m.incident_id[0]) {
            r->rc = HL_ENOTFOUND;
            snprintf(r->error, sizeof r->error, "report %s opened no incident in this drill",
                     in->report_id);
        } else {
            r->rc = run__call(rt, "alert", "alert.facts", &m.base, &hl__incident__descriptor, &rep,
                              r->error, sizeof r->error);
        }
        r->reply_real_ms = hl_real_now_ms();
        if (r->rc == 0) {
            char g[400];
            const Hl__Incident *x = run__graded(r, rep, g, sizeof g);
            run__say(rt, r->sent_ms, "inject", "facts on %s (report %s): %zu fact%s → %s",
                     run__s(x->id), in->report_id, (size_t)in->facts.n, in->facts.n == 1 ? "" : "s",
                     g);
        }
    } else {
        Hl__IncidentReport m = HL__INCIDENT_REPORT__INIT;
        m.report_id = (char *)in->report_id;
        m.source_id = (char *)in->source_id;
        m.substance = (char *)in->substance;
        m.chainage_km = in->chainage_km;
        m.mass_kg = in->mass_kg;
        m.duration_s = in->duration_s;
        m.started_ms = rt->ri.start_ms + (int64_t)llround(in->released_at_s * 1000.0);
        m.reporter_unit = (char *)in->reporter_unit;
        m.description = (char *)in->description;
        Hl__IncidentFacts facts = HL__INCIDENT_FACTS__INIT;
        if (in->facts.n > 0) {
            run__facts_msg(&in->facts, &facts);
            m.facts = &facts;
        }
        r->rc = run__call(rt, "alert", "alert.report", &m.base, &hl__incident__descriptor, &rep,
                          r->error, sizeof r->error);
        r->reply_real_ms = hl_real_now_ms();
        if (r->rc == 0) {
            char g[400];
            const Hl__Incident *x = run__graded(r, rep, g, sizeof g);
            r->incident_opened = 1;
            run__say(rt, r->sent_ms, "inject",
                     "report %s by %s: %s at km %g (%g kg) → incident %s, %s", in->report_id,
                     in->reporter_unit, in->substance, in->chainage_km, in->mass_kg, run__s(x->id),
                     g);
        }
    }
    if (rep)
        protobuf_c_message_free_unpacked(rep, NULL);
    if (r->rc < 0) {
        run__say(rt, r->sent_ms, "inject", "%s (line %d) refused: %s",
                 in->kind == DRILL_INJECT_READING  ? "reading"
                 : in->kind == DRILL_INJECT_REPORT ? "report"
                                                   : "facts",
                 in->line, r->error);
        if (r->rc == HL_ETIMEOUT || r->rc == HL_EZMQ)
            run__problem(rt, "inject on line %d not delivered: %s", in->line, r->error);
    }
}

static void run__schedule_inject(drill_rt *rt);

static void run__on_inject_timer(uv_timer_t *t)
{
    drill_rt *rt = t->data;
    int64_t now = hl_now_ms();
    while (!rt->done && rt->next_inject < rt->sc->n_injects &&
           rt->results[rt->next_inject].due_ms <= now) {
        run__send_inject(rt, rt->next_inject++);
        now = hl_now_ms();
    }
    run__schedule_inject(rt);
}

static void run__schedule_inject(drill_rt *rt)
{
    if (rt->done || rt->next_inject >= rt->sc->n_injects)
        return;
    /* The loop's cached time is stale after a blocking call (a request, a restart): timers
     * are relative to it, so refresh it first or they fire early. */
    uv_update_time(&rt->loop);
    int64_t delta = rt->results[rt->next_inject].due_ms - hl_now_ms();
    uv_timer_start(&rt->inject_timer, run__on_inject_timer,
                   (uint64_t)(delta > 0 ? hl_clock_real_delay_ms(delta) : 0), 0);
}

/* ------------------------------------------------------------------ kill */

static void run__schedule_kill(drill_rt *rt, int64_t due_ms);

static void run__on_kill_timer(uv_timer_t *t)
{
    drill_rt *rt = t->data;
    if (rt->done)
        return;
    int64_t due = rt->kill_state == 0
                      ? rt->ri.start_ms + (int64_t)llround(rt->o->kill_at_s * 1000.0)
                      : rt->ri.killed_ms + (int64_t)llround(rt->o->kill_down_s * 1000.0);
    if (hl_now_ms() < due) { /* a timer may fire a little early: the drill clock decides */
        run__schedule_kill(rt, due);
        return;
    }
    if (rt->kill_state == 0) {
        int rc = hl_stack_kill(rt->stack, rt->o->kill_name, SIGKILL);
        rt->ri.killed_ms = hl_now_ms();
        if (rc < 0) {
            snprintf(rt->ri.kill_error, sizeof rt->ri.kill_error, "%s was not running",
                     rt->o->kill_name);
            run__problem(rt, "--kill: %s", rt->ri.kill_error);
            rt->kill_state = 2;
            return;
        }
        run__say(rt, rt->ri.killed_ms, "kill", "SIGKILL %s; restart in %.0f drill s",
                 rt->o->kill_name, rt->o->kill_down_s);
        rt->kill_state = 1;
        run__schedule_kill(rt, rt->ri.killed_ms + (int64_t)llround(rt->o->kill_down_s * 1000.0));
        return;
    }
    char err[512] = "";
    int rc = hl_stack_restart(rt->stack, rt->o->kill_name, 0, err, sizeof err);
    rt->ri.restarted_ms = hl_now_ms();
    rt->kill_state = 2;
    if (rc < 0) {
        snprintf(rt->ri.kill_error, sizeof rt->ri.kill_error, "restart failed: %.200s", err);
        run__problem(rt, "--kill: %s", rt->ri.kill_error);
        return;
    }
    rt->ri.kill_ok = 1;
    int service = strncmp(rt->o->kill_name, "hazpartner-", 11) != 0;
    run__say(rt, rt->ri.restarted_ms, "restart", "%s restarted (pid %d)%s", rt->o->kill_name,
             (int)hl_stack_pid(rt->stack, rt->o->kill_name),
             service ? " and answering status" : "");
}

static void run__schedule_kill(drill_rt *rt, int64_t due_ms)
{
    uv_update_time(&rt->loop);
    int64_t delta = due_ms - hl_now_ms();
    uv_timer_start(&rt->kill_timer, run__on_kill_timer,
                   (uint64_t)(delta > 0 ? hl_clock_real_delay_ms(delta) : 0), 0);
}

/* ------------------------------------------------------------------ end of drill */

static void run__finish(drill_rt *rt, const char *why)
{
    if (rt->done)
        return;
    rt->done = 1;
    snprintf(rt->ri.ended_by, sizeof rt->ri.ended_by, "%s", why);
    rt->ri.end_ms = hl_now_ms();
    uv_timer_stop(&rt->inject_timer);
    uv_timer_stop(&rt->kill_timer);
    uv_timer_stop(&rt->tick_timer);
    uv_stop(&rt->loop);
}

static int run__task_settled(const Hl__Task *t)
{
    const char *s = run__s(t->state);
    return strcmp(s, "acknowledged") == 0 || strcmp(s, "completed") == 0 ||
           strcmp(s, "declined") == 0 || strcmp(s, "withdrawn") == 0;
}

/* Everything the drill set in motion has come to rest: every task answered and no service
 * has anything left in its outbox. */
static int run__settled(drill_rt *rt)
{
    char err[256];
    ProtobufCMessage *rep = NULL;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.limit = HL_LIST_MAX;
    if (run__call(rt, "dispatch", "dispatch.list", &q.base, &hl__task_list__descriptor, &rep, err,
                  sizeof err) < 0)
        return 0;
    Hl__TaskList *tl = (Hl__TaskList *)rep;
    int ok = tl->n_tasks > 0;
    for (size_t i = 0; ok && i < tl->n_tasks; i++)
        ok = run__task_settled(tl->tasks[i]);
    protobuf_c_message_free_unpacked(rep, NULL);
    Hl__Empty e = HL__EMPTY__INIT;
    for (int i = 0; ok && i < 5; i++) {
        rep = NULL;
        if (run__call(rt, hl_service_names[i], "status", &e.base, &hl__service_status__descriptor,
                      &rep, err, sizeof err) < 0)
            return 0;
        ok = ((Hl__ServiceStatus *)rep)->outbox_pending == 0;
        protobuf_c_message_free_unpacked(rep, NULL);
    }
    return ok;
}

static void run__on_tick(uv_timer_t *t)
{
    drill_rt *rt = t->data;
    if (rt->done)
        return;
    char dead[HL_STACK_NAME_MAX + 1], why[256];
    if (rt->stack && hl_stack_poll(rt->stack, dead, sizeof dead, why, sizeof why) > 0) {
        char logp[1024] = "";
        hl_stack_log_path(rt->stack, dead, logp, sizeof logp);
        run__problem(rt, "%s (not killed by the drill); see %s", why, logp);
        run__say(rt, hl_now_ms(), "exit", "%s; see %s", why, logp);
    }
    int64_t now = hl_now_ms();
    if (now >= rt->ri.start_ms + (int64_t)(rt->sc->duration_s * 1000.0)) {
        run__finish(rt, "duration reached");
        return;
    }
    int64_t real = hl_real_now_ms();
    if (rt->next_inject < rt->sc->n_injects || (rt->o->has_kill && rt->kill_state != 2))
        return;
    if (real - rt->last_event_real_ms < DRILL_QUIET_MS || real - rt->last_check_real_ms < 500)
        return;
    rt->last_check_real_ms = real;
    if (run__settled(rt))
        run__finish(rt, "all tasks answered");
}

static void run__on_signal(uv_signal_t *s, int signum)
{
    drill_rt *rt = s->data;
    hl_warn("signal %d: ending the drill and writing the report", signum);
    run__finish(rt, "interrupted");
}

/* ------------------------------------------------------------------ collection */

typedef struct drill_collected {
    Hl__IncidentList *incidents;
    Hl__AlertList *alerts;
    Hl__PlanList *plans;
    Hl__TaskList *tasks;
    Hl__ReservationList *reservations;
    Hl__UnitList *units;
    Hl__RiskSourceList *sources;
    Hl__LedgerTotals *ledger;
    drill_shown *shown;
    size_t n_shown, cap_shown;
    const char *exported[DRILL_MAX_UNITS];
    size_t n_exported;
} drill_collected;

static void *run__query(drill_rt *rt, const char *service, const char *type,
                        const ProtobufCMessageDescriptor *d)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.limit = HL_LIST_MAX;
    ProtobufCMessage *rep = NULL;
    char err[256] = "";
    if (run__call(rt, service, type, &q.base, d, &rep, err, sizeof err) < 0) {
        run__problem(rt, "%s: %s", type, err);
        return NULL;
    }
    return rep;
}

/* Parse `hazpartner export --unit U --json`: an object with "tasks" (or a bare array) of
 * objects with "task_id" (or "id") and "shown_count". */
static int run__parse_export(drill_collected *c, const char *unit, const char *text, char *err,
                             size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "export is not JSON (line %d: %s)", je.line, je.text);
        return HL_EDECODE;
    }
    json_t *arr = json_is_array(doc) ? doc : json_object_get(doc, "tasks");
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "export has no \"tasks\" array");
        json_decref(doc);
        return HL_EDECODE;
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *id = json_string_value(json_object_get(v, "task_id"));
        if (!id)
            id = json_string_value(json_object_get(v, "id"));
        json_t *sc = json_object_get(v, "shown_count");
        if (!id || !json_is_integer(sc) || json_integer_value(sc) < 0) {
            snprintf(err, errlen, "export task %zu lacks task_id or shown_count", i);
            json_decref(doc);
            return HL_EDECODE;
        }
        if (c->n_shown == c->cap_shown) {
            size_t cap = c->cap_shown ? c->cap_shown * 2 : 64;
            drill_shown *p = realloc(c->shown, cap * sizeof *p);
            if (!p) {
                json_decref(doc);
                return HL_ENOMEM;
            }
            c->shown = p;
            c->cap_shown = cap;
        }
        drill_shown *s = &c->shown[c->n_shown++];
        snprintf(s->unit_id, sizeof s->unit_id, "%s", unit);
        snprintf(s->task_id, sizeof s->task_id, "%s", id);
        s->shown_count = (unsigned)json_integer_value(sc);
        json_t *dl = json_object_get(v, "deliveries");
        s->deliveries = json_is_integer(dl) && json_integer_value(dl) > 0
                            ? (unsigned)json_integer_value(dl)
                            : 0;
    }
    json_decref(doc);
    return 0;
}

static void run__exports(drill_rt *rt, drill_collected *c)
{
    for (size_t i = 0; i < rt->ri.n_partners; i++) {
        drill_partner_info *p = &rt->ri.partners[i];
        const char *args[] = {"export", "--unit", p->unit_id, "--json", NULL};
        char *out = NULL;
        int status = -1;
        int rc = hl_stack_capture(rt->stack, "hazpartner", args, 10000, DRILL_EXPORT_MAX, &out,
                                  &status, p->error, sizeof p->error);
        if (rc == 0 && status != 0)
            snprintf(p->error, sizeof p->error, "hazpartner export exited %d", status);
        else if (rc == 0 && run__parse_export(c, p->unit_id, out, p->error, sizeof p->error) == 0) {
            p->exported = 1;
            c->exported[c->n_exported++] = p->unit_id;
        }
        free(out);
    }
}

static void run__collected_free(drill_collected *c)
{
    if (c->incidents)
        protobuf_c_message_free_unpacked(&c->incidents->base, NULL);
    if (c->alerts)
        protobuf_c_message_free_unpacked(&c->alerts->base, NULL);
    if (c->plans)
        protobuf_c_message_free_unpacked(&c->plans->base, NULL);
    if (c->tasks)
        protobuf_c_message_free_unpacked(&c->tasks->base, NULL);
    if (c->reservations)
        protobuf_c_message_free_unpacked(&c->reservations->base, NULL);
    if (c->units)
        protobuf_c_message_free_unpacked(&c->units->base, NULL);
    if (c->sources)
        protobuf_c_message_free_unpacked(&c->sources->base, NULL);
    if (c->ledger)
        protobuf_c_message_free_unpacked(&c->ledger->base, NULL);
    free(c->shown);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------ set-up */

/* A drill starts from empty stores: an old run's incidents would be judged with the new. */
static int run__fresh_data_dir(const char *dir, char *err, size_t errlen)
{
    if (hl_stack_remove_tree(dir) < 0) {
        snprintf(err, errlen, "cannot clear the old drill data in %s: %s", dir, strerror(errno));
        return HL_EIO;
    }
    return 0;
}

/* Connected mode: take the running stack's clock from alert's status. */
static int run__adopt_clock(drill_rt *rt, hl_clock *clk, char *err, size_t errlen)
{
    Hl__Empty e = HL__EMPTY__INIT;
    ProtobufCMessage *rep = NULL;
    int rc = run__call(rt, "alert", "status", &e.base, &hl__service_status__descriptor, &rep, err,
                       errlen);
    if (rc < 0)
        return rc;
    Hl__ServiceStatus *s = (Hl__ServiceStatus *)rep;
    clk->origin_real_ms = hl_real_now_ms();
    clk->origin_ms = s->now_ms;
    clk->scale = s->clock_scale > 0 ? s->clock_scale : 1.0;
    protobuf_c_message_free_unpacked(rep, NULL);
    return 0;
}

static int run__open_subs(drill_rt *rt, char *err, size_t errlen)
{
    for (int i = 0; i < 5; i++) {
        char ep[128];
        int rc = hl_config_endpoint(rt->cfg, hl_service_names[i], "pub", ep, sizeof ep);
        if (rc == 0)
            rc = hl_sock_open(rt->bus, ZMQ_SUB, ep, 0, run__on_event, rt, &rt->subs[i]);
        if (rc == 0)
            rc = hl_sock_subscribe(rt->subs[i], "");
        if (rc < 0) {
            snprintf(err, errlen, "cannot subscribe to %s events at %s: %s", hl_service_names[i],
                     ep, hl_strerror(rc));
            return rc;
        }
    }
    return 0;
}

static int run__start_partners(drill_rt *rt, char *err, size_t errlen)
{
    for (size_t i = 0; i < rt->sc->n_units; i++) {
        const drill_unit *u = &rt->sc->units[i];
        drill_partner_info *p = &rt->ri.partners[rt->ri.n_partners++];
        snprintf(p->unit_id, sizeof p->unit_id, "%s", u->id);
        p->ack_delay_s = rt->o->ack_delay >= -1 ? rt->o->ack_delay : u->ack_delay_s;
        if (rt->o->no_partners)
            continue;
        int rc = hl_stack_start_partner(rt->stack, u->id, p->ack_delay_s, NULL, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void run__close_cb(uv_handle_t *h)
{
    (void)h;
}

static void run__close_handles(drill_rt *rt)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&rt->inject_timer, (uv_handle_t *)&rt->tick_timer,
                         (uv_handle_t *)&rt->kill_timer, (uv_handle_t *)&rt->sigint,
                         (uv_handle_t *)&rt->sigterm};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], run__close_cb);
    for (int i = 0; i < 5; i++)
        hl_sock_close(&rt->subs[i]);
    hl_bus_destroy(&rt->bus);
    while (uv_run(&rt->loop, UV_RUN_NOWAIT) != 0) {
    }
    if (uv_loop_close(&rt->loop) != 0)
        hl_warn("event loop closed with handles still open");
}

/* ------------------------------------------------------------------ the drill */

static void run__judge_and_write(drill_rt *rt, const drill_catalog *cat, drill_collected *c,
                                 int *pass, char *err, size_t errlen, int *rc_out)
{
    drill_facts f = {0};
    if (c->incidents)
        f.incidents = c->incidents->incidents, f.n_incidents = c->incidents->n_incidents;
    if (c->alerts)
        f.alerts = c->alerts->alerts, f.n_alerts = c->alerts->n_alerts;
    if (c->plans)
        f.plans = c->plans->plans, f.n_plans = c->plans->n_plans;
    if (c->tasks)
        f.tasks = c->tasks->tasks, f.n_tasks = c->tasks->n_tasks;
    if (c->reservations)
        f.reservations = c->reservations->reservations,
        f.n_reservations = c->reservations->n_reservations;
    if (c->units)
        f.units = c->units->units, f.n_units = c->units->n_units;
    if (c->sources)
        f.sources = c->sources->sources, f.n_sources = c->sources->n_sources;
    f.ledger = c->ledger;
    f.injects = rt->results;
    f.n_injects = rt->sc->n_injects;
    f.cat = cat;
    f.shown = c->shown;
    f.n_shown = c->n_shown;
    f.exported_units = c->exported;
    f.n_exported_units = c->n_exported;

    drill_outcome oc[DRILL_MAX_EXPECTS];
    size_t n = rt->sc->n_expects;
    for (size_t i = 0; i < n; i++)
        if (drill_expect_eval(&rt->sc->expects[i], &f, &oc[i]) < 0) {
            oc[i].expect = &rt->sc->expects[i];
            snprintf(oc[i].summary, sizeof oc[i].summary, "could not be judged (out of memory)");
        }
    rt->ri.wall_end_real_ms = hl_real_now_ms();
    json_t *doc = drill_report_json(&rt->ri, &f, oc, n);
    *rc_out = doc ? drill_report_write(doc, rt->o->out_dir, err, errlen) : HL_ENOMEM;
    *pass = doc && json_is_true(json_object_get(json_object_get(doc, "summary"), "pass"));
    if (!rt->o->quiet) {
        printf("\n%s — %s\n", rt->sc->name, *pass ? "PASS" : "FAIL");
        for (size_t i = 0; i < n; i++)
            printf("  [%s] %-24s %s\n", oc[i].pass ? "pass" : "FAIL",
                   drill_expect_kind_name(oc[i].expect->kind), oc[i].summary);
        for (size_t i = 0; i < rt->ri.n_problems; i++)
            printf("  [problem] %s\n", rt->ri.problems[i]);
        json_t *s = json_object_get(doc, "summary");
        if (json_object_get(s, "trigger_to_all_ack_real_ms"))
            printf("  trigger → all acknowledged: %.1f real ms (%.0f drill s at ×%g)\n",
                   json_number_value(json_object_get(s, "trigger_to_all_ack_real_ms")),
                   json_number_value(json_object_get(s, "trigger_to_all_ack_drill_s")),
                   rt->ri.scale);
        printf("  wall time %.1f s; report: %s/report.json, %s/report.md\n",
               (double)(rt->ri.wall_end_real_ms - rt->ri.wall_start_real_ms) / 1000.0,
               rt->o->out_dir, rt->o->out_dir);
        fflush(stdout);
    }
    json_decref(doc);
    for (size_t i = 0; i < n; i++)
        drill_outcome_clear(&oc[i]);
}

int drill_run(const drill_opts *o, hl_config *cfg, const drill_scenario *sc,
              const drill_catalog *cat, int *pass, char *err, size_t errlen)
{
    *pass = 0;
    drill_rt *rt = calloc(1, sizeof *rt);
    drill_event_line *events = calloc(DRILL_MAX_EVENTS, sizeof *events);
    drill_ack_seen *acks = calloc(DRILL_MAX_ACKS_SEEN, sizeof *acks);
    if (!rt || !events || !acks) {
        free(rt);
        free(events);
        free(acks);
        return HL_ENOMEM;
    }
    rt->ri.acks = acks;
    rt->o = o;
    rt->cfg = cfg;
    rt->sc = sc;
    rt->ri.sc = sc;
    rt->ri.events = events;
    rt->ri.mode = o->connect ? "connected" : "started";
    rt->ri.ack_delay_override = o->ack_delay;
    rt->ri.base_port = cfg->base_port;
    rt->ri.wall_start_real_ms = hl_real_now_ms();
    rt->ri.has_kill = o->has_kill;
    if (o->has_kill) {
        snprintf(rt->ri.kill_name, sizeof rt->ri.kill_name, "%s", o->kill_name);
        rt->ri.kill_at_s = o->kill_at_s;
        rt->ri.kill_down_s = o->kill_down_s;
    }
    if (sc->season[0])
        snprintf(cfg->season, sizeof cfg->season, "%s", sc->season);
    int rc = 0;
    if (uv_loop_init(&rt->loop) != 0) {
        free(rt);
        free(events);
        free(acks);
        return HL_ENOMEM;
    }
    if ((rc = hl_bus_new(&rt->loop, NULL, cfg->max_msg_bytes, &rt->bus)) < 0) {
        snprintf(err, errlen, "cannot create the message bus: %s", hl_strerror(rc));
        uv_loop_close(&rt->loop);
        free(rt);
        free(events);
        free(acks);
        return rc;
    }
    uv_timer_init(&rt->loop, &rt->inject_timer);
    uv_timer_init(&rt->loop, &rt->tick_timer);
    uv_timer_init(&rt->loop, &rt->kill_timer);
    uv_signal_init(&rt->loop, &rt->sigint);
    uv_signal_init(&rt->loop, &rt->sigterm);
    rt->inject_timer.data = rt->tick_timer.data = rt->kill_timer.data = rt;
    rt->sigint.data = rt->sigterm.data = rt;

    /* The drill clock. Started mode: drill 00:00 (the scenario's start) falls preroll real
     * ms from now, so the stack is up before the first inject; every child gets this spec.
     * Connected mode: the running stack's clock is adopted and 00:00 is now. */
    hl_clock clk = {0};
    double scale = o->scale > 0 ? o->scale : sc->scale;
    if (o->connect) {
        if ((rc = run__adopt_clock(rt, &clk, err, errlen)) < 0)
            goto out;
        scale = clk.scale;
        /* The running services chose their clock and season when they started. */
        if (o->scale > 0 && fabs(o->scale - scale) > 1e-9)
            hl_warn("--connect: the running stack's clock scale ×%g applies, not ×%g", scale,
                    o->scale);
        if (sc->season[0])
            hl_warn("--connect: the running stack's season applies, not the scenario's (%s)",
                    sc->season);
    } else {
        clk.scale = scale;
        clk.origin_ms = sc->start_ms;
        clk.origin_real_ms = hl_real_now_ms() + (o->preroll_ms > 0 ? o->preroll_ms : 0);
        if (!o->data_explicit && (rc = run__fresh_data_dir(cfg->data_dir, err, errlen)) < 0)
            goto out;
    }
    hl_clock_format(&clk, cfg->clock, sizeof cfg->clock);
    hl_clock_set(&clk);
    rt->ri.scale = scale;
    snprintf(rt->ri.clock_spec, sizeof rt->ri.clock_spec, "%s", cfg->clock);
    snprintf(rt->ri.data_dir, sizeof rt->ri.data_dir, "%s", cfg->data_dir);
    if (!o->quiet)
        printf("hazdrill: %s — clock ×%g, base port %d, data %s\n", sc->name, scale, cfg->base_port,
               cfg->data_dir);

    if ((rc = hl_stack_new(cfg, NULL, &rt->stack, err, errlen)) < 0)
        goto out;
    if ((rc = run__open_subs(rt, err, errlen)) < 0)
        goto out;
    if (!o->connect && (rc = hl_stack_start_services(rt->stack, 0, err, errlen)) < 0)
        goto out;
    if ((rc = run__start_partners(rt, err, errlen)) < 0)
        goto out;

    /* If the stack took longer than the preroll, the drill starts now rather than playing
     * the first injects late: the timetable stays as written, shifted as a whole. */
    rt->ri.start_ms = o->connect ? hl_now_ms() : sc->start_ms;
    if (!o->connect && hl_now_ms() > sc->start_ms) {
        rt->ri.start_ms = hl_now_ms();
        hl_warn("the stack was ready %.0f drill s after the scenario start; the timetable "
                "starts now",
                (double)(rt->ri.start_ms - sc->start_ms) / 1000.0);
    }
    for (size_t i = 0; i < sc->n_injects; i++) {
        rt->results[i].inject = &sc->injects[i];
        rt->results[i].due_ms = rt->ri.start_ms + (int64_t)llround(sc->injects[i].at_s * 1000.0);
    }
    rt->last_event_real_ms = hl_real_now_ms();
    run__say(rt, rt->ri.start_ms > hl_now_ms() ? rt->ri.start_ms : hl_now_ms(), "drill",
             "stack up (%s), %zu partner agents, %zu injects, %zu expectations", rt->ri.mode,
             o->no_partners ? (size_t)0 : sc->n_units, sc->n_injects, sc->n_expects);
    run__schedule_inject(rt);
    if (o->has_kill)
        run__schedule_kill(rt, rt->ri.start_ms + (int64_t)llround(o->kill_at_s * 1000.0));
    uv_timer_start(&rt->tick_timer, run__on_tick, DRILL_TICK_MS, DRILL_TICK_MS);
    uv_signal_start(&rt->sigint, run__on_signal, SIGINT);
    uv_signal_start(&rt->sigterm, run__on_signal, SIGTERM);
    uv_run(&rt->loop, UV_RUN_DEFAULT);
    if (!rt->done)
        run__finish(rt, "event loop ended");

    /* Partners stop first so nothing changes while the records are read; then the stores are
     * queried, then each partner's own record of what it showed is exported. */
    for (size_t i = 0; !o->no_partners && i < rt->ri.n_partners; i++) {
        char name[HL_STACK_NAME_MAX + 1];
        snprintf(name, sizeof name, "hazpartner-%s", rt->ri.partners[i].unit_id);
        hl_stack_kill(rt->stack, name, SIGTERM);
    }
    char dead[HL_STACK_NAME_MAX + 1], why[256];
    while (hl_stack_poll(rt->stack, dead, sizeof dead, why, sizeof why) > 0)
        run__problem(rt, "%s (not killed by the drill)", why);
    drill_collected c = {0};
    c.incidents = run__query(rt, "alert", "alert.incidents", &hl__incident_list__descriptor);
    c.alerts = run__query(rt, "alert", "alert.alerts", &hl__alert_list__descriptor);
    c.plans = run__query(rt, "playbook", "playbook.plans", &hl__plan_list__descriptor);
    c.tasks = run__query(rt, "dispatch", "dispatch.list", &hl__task_list__descriptor);
    c.reservations =
        run__query(rt, "stock", "stock.reservations", &hl__reservation_list__descriptor);
    c.units = run__query(rt, "dispatch", "dispatch.units", &hl__unit_list__descriptor);
    c.sources = run__query(rt, "risk", "risk.list", &hl__risk_source_list__descriptor);
    c.ledger = run__query(rt, "stock", "stock.ledger", &hl__ledger_totals__descriptor);
    run__exports(rt, &c);
    run__judge_and_write(rt, cat, &c, pass, err, errlen, &rc);
    run__collected_free(&c);

out:
    hl_stack_destroy(&rt->stack);
    run__close_handles(rt);
    free(events);
    free(acks);
    free(rt);
    return rc;
}
