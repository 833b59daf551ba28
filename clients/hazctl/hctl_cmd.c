/* hctl_cmd.c — see hctl_cmd.h. */
#include "hctl_cmd.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/stack.h"
#include "hctl_keys.h"
#include "hctl_render.h"

#define SENDER "hazctl"

typedef struct ctx {
    const hctl_args *a;
    const hl_config *cfg;
    void *zctx;
    int timeout_ms;
} ctx;

static void print_json(json_t *j)
{
    if (!j) {
        fprintf(stderr, "hazctl: out of memory building JSON\n");
        return;
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static int print_text(hctl_buf *b, int rc)
{
    if (rc < 0) {
        fprintf(stderr, "hazctl: cannot render the reply: %s\n", hl_strerror(rc));
        hctl_buf_free(b);
        return HCTL_EXIT_ERROR;
    }
    fputs(hctl_buf_str(b), stdout);
    hctl_buf_free(b);
    return HCTL_EXIT_OK;
}

/* Send one request to service and unpack the reply payload as rd. Prints what went wrong
 * and returns the exit status; on success *out is owned by the caller
 * (protobuf_c_message_free_unpacked). */
static int request(ctx *c, const char *service, const char *type, const ProtobufCMessage *payload,
                   const ProtobufCMessageDescriptor *rd, ProtobufCMessage **out)
{
    char ep[256], err[512] = "";
    *out = NULL;
    int rc = hl_config_endpoint(c->cfg, service, "req", ep, sizeof ep);
    if (rc < 0) {
        fprintf(stderr, "hazctl: no endpoint for service %s: %s\n", service, hl_strerror(rc));
        return HCTL_EXIT_ERROR;
    }
    Hl__Envelope *reply = NULL;
    rc = hl_call(c->zctx, ep, SENDER, type, payload, c->timeout_ms, &reply, err, sizeof err);
    if (rc == HL_ETIMEOUT || rc == HL_EZMQ) {
        char msg[512];
        if (rc == HL_ETIMEOUT)
            snprintf(msg, sizeof msg, "%s did not answer at %s within %d ms", service, ep,
                     c->timeout_ms);
        else
            snprintf(msg, sizeof msg, "%s could not be reached at %s: %.200s", service, ep,
                     err[0] ? err : hl_strerror(rc));
        fprintf(stderr, "hazctl: %s\n", msg);
        if (c->a->json)
            print_json(hctl_json_error(service, rc, "", msg));
        hl_env_free(&reply);
        return HCTL_EXIT_UNREACHABLE;
    }
    if (rc < 0 && reply && reply->error) {
        const Hl__Error *e = reply->error;
        fprintf(stderr, "hazctl: %s answered %s with an error: %s (%d, %s)%s%s: %s\n", service,
                type, hctl_code_name(e->code), e->code, hl_strerror(e->code),
                e->field && *e->field ? " in field " : "", e->field ? e->field : "",
                e->message && *e->message ? e->message : "(no message)");
        if (c->a->json)
            print_json(hctl_json_error(service, e->code, e->field, e->message));
        hl_env_free(&reply);
        return HCTL_EXIT_ERROR;
    }
    if (rc < 0) {
        fprintf(stderr, "hazctl: %s request to %s at %s failed: %s%s%s\n", type, service, ep,
                hl_strerror(rc), err[0] ? ": " : "", err);
        if (c->a->json)
            print_json(hctl_json_error(service, rc, "", err));
        hl_env_free(&reply);
        return HCTL_EXIT_ERROR;
    }
    ProtobufCMessage *m = hl_msg_unpack(rd, reply->payload.data, reply->payload.len);
    if (!m) {
        fprintf(stderr, "hazctl: the reply of %s to %s is not a valid %s\n", service, type,
                rd->name);
        hl_env_free(&reply);
        return HCTL_EXIT_ERROR;
    }
    hl_env_free(&reply);
    *out = m;
    return HCTL_EXIT_OK;
}

/* ---- status ---- */

/* One service being asked for its status. */
typedef struct status_slot {
    const char *service;
    char ep[256];
    int timeout_ms;
    int done;
    ProtobufCMessage *st; /* the ServiceStatus, or NULL when it is down */
    char problem[512];
} status_slot;

static void on_status_reply(int status, const Hl__Envelope *reply, void *ud)
{
    status_slot *s = ud;
    s->done = 1;
    if (status == HL_ETIMEOUT)
        snprintf(s->problem, sizeof s->problem, "did not answer at %s within %d ms", s->ep,
                 s->timeout_ms);
    else if (status < 0 || !reply)
        snprintf(s->problem, sizeof s->problem, "could not be asked at %s: %s", s->ep,
                 hl_strerror(status));
    else if (reply->error)
        snprintf(s->problem, sizeof s->problem, "answered status with an error: %s: %s",
                 hctl_code_name(reply->error->code), reply->error->message);
    else if (!(s->st = hl_msg_unpack(&hl__service_status__descriptor, reply->payload.data,
                                     reply->payload.len)))
        snprintf(s->problem, sizeof s->problem, "sent an undecodable status");
}

/* Ask every service at once (hl_client in one loop), so a dead stack costs one timeout, not
 * five. Every slot ends done: answered, timed out, or failed to send. */
static int ask_status(ctx *c, status_slot *slots, size_t n)
{
    uv_loop_t loop;
    hl_bus *bus = NULL;
    hl_client *cl[5] = {0};
    Hl__Empty empty = HL__EMPTY__INIT;
    int rc = uv_loop_init(&loop);
    if (rc < 0)
        return HL_EIO;
    rc = hl_bus_new(&loop, c->zctx, 0, &bus);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        status_slot *s = &slots[i];
        Hl__Envelope *env = NULL;
        int e = hl_client_new(bus, s->ep, NULL, 0, &cl[i]);
        if (e == 0)
            e = hl_env_build(SENDER, "status", &empty.base, NULL, NULL, &env);
        if (e == 0)
            e = hl_client_send(cl[i], env, s->timeout_ms, on_status_reply, s);
        hl_env_free(&env);
        if (e < 0) { /* the callback will not come: record why now */
            s->done = 1;
            snprintf(s->problem, sizeof s->problem, "could not be asked at %s: %s", s->ep,
                     hl_strerror(e));
        }
    }
    for (;;) {
        size_t left = 0;
        for (size_t i = 0; i < n; i++)
            left += !slots[i].done;
        if (!left || rc < 0)
            break;
        uv_run(&loop, UV_RUN_ONCE);
    }
    for (size_t i = 0; i < n; i++)
        hl_client_destroy(&cl[i]);
    hl_bus_destroy(&bus);
    if (uv_loop_close(&loop) < 0)
        hl_warn("status: the loop still had open handles");
    return rc;
}

static int run_status(ctx *c)
{
    status_slot slots[5];
    hctl_svc_view v[5];
    memset(slots, 0, sizeof slots);
    /* The services named on the command line, else all five in port order. */
    size_t n = 0;
    if (c->a->n_services)
        for (size_t i = 0; i < c->a->n_services; i++)
            slots[n++].service = c->a->services[i];
    else
        for (int i = 0; i < 5; i++)
            slots[n++].service = hl_service_names[i];
    for (size_t i = 0; i < n; i++) {
        slots[i].timeout_ms = c->timeout_ms;
        if (hl_config_endpoint(c->cfg, slots[i].service, "req", slots[i].ep, sizeof slots[i].ep) <
            0)
            snprintf(slots[i].ep, sizeof slots[i].ep, "?");
    }
    int rc = ask_status(c, slots, n);
    if (rc < 0) {
        fprintf(stderr, "hazctl: cannot set up the status requests: %s\n", hl_strerror(rc));
        return HCTL_EXIT_ERROR;
    }
    size_t down = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = (hctl_svc_view){slots[i].service, slots[i].ep,
                               (const Hl__ServiceStatus *)slots[i].st, slots[i].problem};
        down += slots[i].st == NULL;
    }
    int ex = HCTL_EXIT_OK;
    if (c->a->json) {
        print_json(hctl_json_status(v, n, HL_TZ_BEIJING_MIN));
    } else {
        hctl_buf b = {0};
        ex = print_text(&b, hctl_render_status(v, n, HL_TZ_BEIJING_MIN, &b));
    }
    for (size_t i = 0; i < n; i++)
        if (slots[i].st)
            protobuf_c_message_free_unpacked(slots[i].st, NULL);
    if (ex)
        return ex;
    return down ? HCTL_EXIT_ERROR : HCTL_EXIT_OK;
}

/* ---- requests with one reply ---- */

typedef int (*text_fn)(const ProtobufCMessage *m, int tz_min, hctl_buf *out);

/* Adapters from the typed renderers to one signature. */
#define ADAPT(fn, T)                                                                               \
    static int fn##_m(const ProtobufCMessage *m, int tz, hctl_buf *out)                            \
    {                                                                                              \
        return fn((const T *)m, tz, out);                                                          \
    }
ADAPT(hctl_render_reading, Hl__ReadingResult)
ADAPT(hctl_render_incident, Hl__Incident)
ADAPT(hctl_render_alert, Hl__Alert)
ADAPT(hctl_render_incidents, Hl__IncidentList)
ADAPT(hctl_render_alerts, Hl__AlertList)
ADAPT(hctl_render_plans, Hl__PlanList)
ADAPT(hctl_render_tasks, Hl__TaskList)
ADAPT(hctl_render_reservations, Hl__ReservationList)
ADAPT(hctl_render_stock, Hl__StockList)
ADAPT(hctl_render_sources, Hl__RiskSourceList)
ADAPT(hctl_render_units, Hl__UnitList)
ADAPT(hctl_render_chain, Hl__Escalation)
ADAPT(hctl_render_incident_details, Hl__IncidentList)
ADAPT(hctl_render_source_details, Hl__RiskSourceList)
ADAPT(hctl_render_ledger, Hl__LedgerTotals)

static int call_and_show(ctx *c, const char *service, const char *type,
                         const ProtobufCMessage *payload, const ProtobufCMessageDescriptor *rd,
                         text_fn show)
{
    ProtobufCMessage *m = NULL;
    int ex = request(c, service, type, payload, rd, &m);
    if (ex)
        return ex;
    if (c->a->json) {
        print_json(hctl_json_message(m, HL_TZ_BEIJING_MIN));
    } else {
        hctl_buf b = {0};
        ex = print_text(&b, show(m, HL_TZ_BEIJING_MIN, &b));
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return ex;
}

static int run_reading(ctx *c)
{
    const hctl_args *a = c->a;
    Hl__Reading r = HL__READING__INIT;
    r.station_id = (char *)a->station;
    r.parameter = (char *)a->parameter;
    r.value = a->value;
    r.unit = (char *)a->unit;
    r.measured_ms = a->has_at ? a->at_ms : hl_now_ms();
    return call_and_show(c, "alert", "alert.reading", &r.base, &hl__reading_result__descriptor,
                         hctl_render_reading_m);
}

static int run_report(ctx *c)
{
    const hctl_args *a = c->a;
    char id[HL_ID_MAX + 1];
    hl_id_new("rpt", id);
    Hl__IncidentReport r = HL__INCIDENT_REPORT__INIT;
    r.report_id = id;
    r.source_id = (char *)(a->source_id ? a->source_id : "");
    r.substance = (char *)a->substance;
    r.chainage_km = a->chainage_km;
    r.mass_kg = a->mass_kg;
    r.duration_s = a->duration_s;
    r.started_ms = a->has_at ? a->at_ms : hl_now_ms();
    r.reporter_unit = (char *)(a->reporter ? a->reporter : "");
    r.description = (char *)(a->text ? a->text : "");
    return call_and_show(c, "alert", "alert.report", &r.base, &hl__incident__descriptor,
                         hctl_render_incident_m);
}

static int run_trigger(ctx *c)
{
    Hl__TriggerRequest r = HL__TRIGGER_REQUEST__INIT;
    r.incident_id = (char *)c->a->incident_id;
    return call_and_show(c, "alert", "alert.trigger", &r.base, &hl__alert__descriptor,
                         hctl_render_alert_m);
}

static int run_chain(ctx *c)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)c->a->task_id;
    return call_and_show(c, "dispatch", "dispatch.chain", &q.base, &hl__escalation__descriptor,
                         hctl_render_chain_m);
}

static int run_list(ctx *c)
{
    static const struct {
        hctl_cmd cmd;
        const char *service, *type;
        const ProtobufCMessageDescriptor *rd;
        text_fn show;
    } lists[] = {
        {HCTL_CMD_INCIDENTS, "alert", "alert.incidents", &hl__incident_list__descriptor,
         hctl_render_incidents_m},
        {HCTL_CMD_ALERTS, "alert", "alert.alerts", &hl__alert_list__descriptor,
         hctl_render_alerts_m},
        {HCTL_CMD_PLANS, "playbook", "playbook.plans", &hl__plan_list__descriptor,
         hctl_render_plans_m},
        {HCTL_CMD_TASKS, "dispatch", "dispatch.list", &hl__task_list__descriptor,
         hctl_render_tasks_m},
        {HCTL_CMD_RESERVATIONS, "stock", "stock.reservations", &hl__reservation_list__descriptor,
         hctl_render_reservations_m},
        {HCTL_CMD_STOCK, "stock", "stock.list", &hl__stock_list__descriptor, hctl_render_stock_m},
        {HCTL_CMD_SOURCES, "risk", "risk.list", &hl__risk_source_list__descriptor,
         hctl_render_sources_m},
        {HCTL_CMD_UNITS, "dispatch", "dispatch.units", &hl__unit_list__descriptor,
         hctl_render_units_m},
        {HCTL_CMD_LEDGER, "stock", "stock.ledger", &hl__ledger_totals__descriptor,
         hctl_render_ledger_m},
    };
    const hctl_args *a = c->a;
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.limit = a->limit;
    q.incident_id = (char *)(a->incident_id ? a->incident_id : "");
    q.unit_id = (char *)(a->unit_id ? a->unit_id : "");
    q.id = (char *)(a->id ? a->id : "");
    /* One incident or source asked for by id: shown in full. */
    text_fn detail = a->cmd == HCTL_CMD_INCIDENTS && (a->id || a->incident_id)
                         ? hctl_render_incident_details_m
                     : a->cmd == HCTL_CMD_SOURCES && a->id ? hctl_render_source_details_m
                                                           : NULL;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        if (lists[i].cmd == a->cmd)
            return call_and_show(c, lists[i].service, lists[i].type, &q.base, lists[i].rd,
                                 detail ? detail : lists[i].show);
    fprintf(stderr, "hazctl: %s is not a list command\n", c->a->cmd_name);
    return HCTL_EXIT_USAGE;
}

/* ---- up ---- */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void print_endpoints(const hl_stack *st, const hctl_args *a, const hl_config *cfg)
{
    char ep[256];
    if (a->json) {
        json_t *svcs = json_array();
        for (int i = 0; svcs && i < 5; i++) {
            const char *n = hl_service_names[i];
            json_t *o = json_object();
            if (!o)
                break;
            json_object_set_new(o, "service", json_string(n));
            json_object_set_new(o, "pid", json_integer(hl_stack_pid(st, n)));
            static const char *kinds[] = {"req", "pub", "gw"};
            /* Only dispatch has a partner gateway (docs/protocol.md). */
            for (int k = 0; k < (strcmp(n, "dispatch") ? 2 : 3); k++)
                if (hl_config_endpoint(cfg, n, kinds[k], ep, sizeof ep) == 0)
                    json_object_set_new(o, kinds[k], json_string(ep));
            json_array_append_new(svcs, o);
        }
        json_t *parts = json_array();
        for (size_t i = 0; parts && i < a->n_partners; i++)
            json_array_append_new(parts, json_string(a->partners[i]));
        char logs[HL_PATH_MAX + 8];
        snprintf(logs, sizeof logs, "%s/logs", cfg->data_dir);
        print_json(json_pack("{s:o?, s:o?, s:s, s:s, s:s, s:i, s:I}", "services", svcs, "partners",
                             parts, "data_dir", cfg->data_dir, "logs", logs, "playbooks",
                             cfg->playbook_dir, "base_port", cfg->base_port, "pid",
                             (json_int_t)getpid()));
        fflush(stdout);
        return;
    }
    printf("hazlink stack is up (data %s, playbooks %s)\n", cfg->data_dir, cfg->playbook_dir);
    for (int i = 0; i < 5; i++) {
        const char *n = hl_service_names[i];
        char req[256] = "", pub[256] = "", gw[256] = "";
        hl_config_endpoint(cfg, n, "req", req, sizeof req);
        hl_config_endpoint(cfg, n, "pub", pub, sizeof pub);
        int has_gw = !strcmp(n, "dispatch") && hl_config_endpoint(cfg, n, "gw", gw, sizeof gw) == 0;
        printf("  %-9s pid %-7ld requests %s  events %s%s%s\n", n, (long)hl_stack_pid(st, n), req,
               pub, has_gw ? "  partner gateway " : "", has_gw ? gw : "");
    }
    for (size_t i = 0; i < a->n_partners; i++) {
        char name[HL_STACK_NAME_MAX + 1];
        snprintf(name, sizeof name, "hazpartner-%s", a->partners[i]);
        printf("  partner   pid %-7ld unit %s\n", (long)hl_stack_pid(st, name), a->partners[i]);
    }
    printf("logs: %s/logs/<name>.log\n", cfg->data_dir);
    printf("talk to it:  hazctl --base-port %d status   (or: hazctl --base-port %d incidents)\n",
           cfg->base_port, cfg->base_port);
    printf("stop it:     Ctrl-C here, or kill -TERM %ld\n", (long)getpid());
    fflush(stdout);
}

static int run_up(ctx *c)
{
    const hctl_args *a = c->a;
    char err[1024] = "";
    hl_stack *st = NULL;
    /* Ctrl-C and SIGTERM only set a flag; the loop below stops the children in order. No
     * SA_RESTART, so the sleep returns at once. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = hl_stack_new(c->cfg, NULL, &st, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazctl up: %s (%s)\n", err, hl_strerror(rc));
        return HCTL_EXIT_ERROR;
    }
    fprintf(stderr, "hazctl up: starting the five services on base port %d…\n", c->cfg->base_port);
    int ex = HCTL_EXIT_OK;
    rc = hl_stack_start_services(st, 0, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazctl up: %s (%s)\n", err, hl_strerror(rc));
        ex = HCTL_EXIT_ERROR;
    }
    for (size_t i = 0; !ex && i < a->n_partners; i++) {
        rc = hl_stack_start_partner(st, a->partners[i], a->ack_delay_s, NULL, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "hazctl up: partner %s: %s (%s)\n", a->partners[i], err,
                    hl_strerror(rc));
            ex = HCTL_EXIT_ERROR;
        }
    }
    if (!ex && !stop_signal)
        print_endpoints(st, a, c->cfg);
    while (!ex && !stop_signal) {
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
        char dead[HL_STACK_NAME_MAX + 1] = "";
        if (hl_stack_poll(st, dead, sizeof dead, err, sizeof err) > 0) {
            char log[HL_PATH_MAX + 128] = "";
            hl_stack_log_path(st, dead, log, sizeof log);
            fprintf(stderr, "hazctl up: %s %s (see %s); stopping the stack\n", dead, err, log);
            ex = HCTL_EXIT_ERROR;
        }
    }
    if (stop_signal)
        fprintf(stderr, "\nhazctl up: %s received, stopping…\n",
                stop_signal == SIGINT ? "Ctrl-C" : "SIGTERM");
    int killed = hl_stack_stop(st, -1);
    if (killed > 0)
        fprintf(stderr,
                "hazctl up: %d process(es) did not stop within the grace period and "
                "were killed\n",
                killed);
    else
        fprintf(stderr, "hazctl up: every process stopped cleanly\n");
    hl_stack_destroy(&st);
    return ex;
}

int hctl_run(const hctl_args *a, const hl_config *cfg)
{
    ctx c = {a, cfg, NULL, a->timeout_ms ? a->timeout_ms : cfg->request_timeout_ms};
    if (a->cmd == HCTL_CMD_UP)
        return run_up(&c);
    /* keys works on files; a running dispatch is only told, so a dead one costs little. */
    if (a->cmd == HCTL_CMD_KEYS)
        return hctl_keys_run(
            a, cfg,
            a->timeout_ms
                ? a->timeout_ms
                : (c.timeout_ms < HCTL_KEYS_TIMEOUT_MS ? c.timeout_ms : HCTL_KEYS_TIMEOUT_MS));
    if (a->cmd == HCTL_CMD_STATUS && !a->timeout_ms && c.timeout_ms > HCTL_STATUS_TIMEOUT_MS)
        c.timeout_ms = HCTL_STATUS_TIMEOUT_MS;
    c.zctx = zmq_ctx_new();
    if (!c.zctx) {
        fprintf(stderr, "hazctl: cannot create a ZeroMQ context: %s\n", zmq_strerror(errno));
        return HCTL_EXIT_ERROR;
    }
    int ex;
    switch (a->cmd) {
    case HCTL_CMD_STATUS:
        ex = run_status(&c);
        break;
    case HCTL_CMD_READING:
        ex = run_reading(&c);
        break;
    case HCTL_CMD_REPORT:
        ex = run_report(&c);
        break;
    case HCTL_CMD_TRIGGER:
        ex = run_trigger(&c);
        break;
    case HCTL_CMD_CHAIN:
        ex = run_chain(&c);
        break;
    default:
        ex = run_list(&c);
        break;
    }
    zmq_ctx_term(c.zctx);
    return ex;
}
