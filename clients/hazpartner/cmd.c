/* cmd.c — hazpartner list | export | ack | decline | complete (cmd.h). */
#include "cmd.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>
#include <zmq.h>

#include "agent.h"
#include "dispatch.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "pstore.h"
#include "task.h"

#define CMD_POLL_MS 100

static int cmd__open(const hl_config *cfg, const char *unit, pstore **ps)
{
    char err[1024];
    int rc = pstore_open(cfg->data_dir, unit, cfg->map_size, ps, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "hazpartner: %s\n", err);
    return rc;
}

static void cmd__time(int64_t ms, char *buf, size_t n)
{
    if (ms <= 0 || hl_time_format(ms, HL_TZ_BEIJING_MIN, buf, n) < 0)
        snprintf(buf, n, "-");
}

static const char *cmd__answer_status(const pstore_answer *a)
{
    return a->confirmed ? "confirmed" : a->refused[0] ? "refused" : "owed";
}

/* ---- list ---- */

static int cmd__list_row(const pstore_rec *rec, void *ud)
{
    FILE *out = ud;
    char when[40], answers[160] = "";
    cmd__time(rec->received_ms, when, sizeof when);
    size_t off = 0;
    for (size_t i = 0; i < rec->nans && off < sizeof answers; i++) {
        int k = snprintf(answers + off, sizeof answers - off, "%s%s:%s", i ? " " : "",
                         rec->ans[i].action, cmd__answer_status(&rec->ans[i]));
        if (k < 0)
            break;
        off += (size_t)k;
    }
    fprintf(out, "%-28s %-18s %-12s %5u %5u  %-25s %-28s %s\n", rec->task->id, rec->task->kind,
            rec->task->state, rec->shown_count, rec->deliveries, when, answers[0] ? answers : "-",
            rec->task->title);
    return 0;
}

int cmd_list(const hl_config *cfg, const char *unit, FILE *out)
{
    pstore *ps = NULL;
    if (cmd__open(cfg, unit, &ps) < 0)
        return 1;
    hl_txn *t = NULL;
    int rc = hl_txn_begin(pstore_store(ps), NULL, 1, &t);
    if (rc == 0) {
        fprintf(out, "%-28s %-18s %-12s %5s %5s  %-25s %-28s %s\n", "TASK", "KIND", "STATE",
                "SHOWN", "DELIV", "RECEIVED (+08:00)", "ANSWERS", "TITLE");
        rc = pstore_scan(t, cmd__list_row, out);
    }
    hl_txn_abort(&t);
    pstore_close(&ps);
    if (rc < 0) {
        fprintf(stderr, "hazpartner: cannot read the partner store: %s\n", hl_strerror(rc));
        return 1;
    }
    return 0;
}

/* ---- export ---- */

static int cmd__json_row(const pstore_rec *rec, void *ud)
{
    json_t *arr = ud;
    const Hl__Task *t = rec->task;
    char received[40], due[40];
    cmd__time(rec->received_ms, received, sizeof received);
    cmd__time(t->due_ms, due, sizeof due);
    json_t *answers = json_array();
    for (size_t i = 0; answers && i < rec->nans; i++) {
        const pstore_answer *a = &rec->ans[i];
        json_array_append_new(
            answers,
            json_pack("{s:s, s:s, s:I, s:I, s:b, s:s, s:i, s:s}", "action", a->action, "reason",
                      a->reason, "due_ms", (json_int_t)a->due_ms, "at_ms", (json_int_t)a->at_ms,
                      "confirmed", a->confirmed, "refused", a->refused, "attempts",
                      (int)a->attempts, "status", cmd__answer_status(a)));
    }
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:I, s:s, s:s, s:I, s:i, s:i, s:I, s:s, "
        "s:I, s:I, s:I, s:I, s:s, s:s, s:o}",
        "id", t->id, "incident_id", t->incident_id, "plan_id", t->plan_id, "unit_id", t->unit_id,
        "kind", t->kind, "title", t->title, "target_id", t->target_id, "chainage_km",
        t->chainage_km, "due_ms", (json_int_t)t->due_ms, "due", due, "state", t->state, "seq",
        (json_int_t)t->seq, "shown_count", (int)rec->shown_count, "deliveries",
        (int)rec->deliveries, "received_ms", (json_int_t)rec->received_ms, "received", received,
        "delivered_ms", (json_int_t)t->delivered_ms, "acknowledged_ms",
        (json_int_t)t->acknowledged_ms, "declined_ms", (json_int_t)t->declined_ms, "completed_ms",
        (json_int_t)t->completed_ms, "reason", t->reason, "detail", t->detail, "answers",
        answers ? answers : json_array());
    if (!o)
        return HL_ENOMEM;
    /* Issue 4: revisions shown here (never in shown_count), and dispatch's own count. */
    if (json_object_set_new(o, "revisions", json_integer(rec->revisions)) < 0 ||
        json_object_set_new(o, "task_revisions", json_integer(t->revisions)) < 0 ||
        json_object_set_new(o, "withdrawn_ms", json_integer(t->withdrawn_ms)) < 0 ||
        json_object_set_new(o, "level", json_string(t->level)) < 0) {
        json_decref(o);
        return HL_ENOMEM;
    }
    return json_array_append_new(arr, o) == 0 ? 0 : HL_ENOMEM;
}

int cmd_export(const hl_config *cfg, const char *unit, FILE *out)
{
    pstore *ps = NULL;
    if (cmd__open(cfg, unit, &ps) < 0)
        return 1;
    json_t *tasks = json_array();
    hl_txn *t = NULL;
    int rc = tasks ? hl_txn_begin(pstore_store(ps), NULL, 1, &t) : HL_ENOMEM;
    if (rc == 0)
        rc = pstore_scan(t, cmd__json_row, tasks);
    hl_txn_abort(&t);
    json_t *doc = NULL;
    if (rc == 0)
        doc = json_pack("{s:s, s:s, s:O}", "unit", unit, "store", pstore_dir(ps), "tasks", tasks);
    pstore_close(&ps);
    json_decref(tasks);
    if (rc < 0 || !doc) {
        fprintf(stderr, "hazpartner: cannot export the partner store: %s\n",
                hl_strerror(rc < 0 ? rc : HL_ENOMEM));
        json_decref(doc);
        return 1;
    }
    json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    json_decref(doc);
    return 0;
}

/* ---- answers ---- */

typedef struct cmd__wait {
    int done;
    int status;
    Hl__Envelope *reply; /* a copy, owned */
} cmd__wait;

static void cmd__on_reply(int status, const Hl__Envelope *reply, void *ud)
{
    cmd__wait *w = ud;
    w->done = 1;
    w->status = status;
    if (status == 0 && reply) {
        uint8_t *buf = NULL;
        size_t len = 0;
        if (hl_env_pack(reply, &buf, &len) == 0) {
            hl_env_unpack(buf, len, HL_MAX_MSG_BYTES, &w->reply, NULL, 0);
            free(buf);
        }
        if (!w->reply)
            w->status = HL_ENOMEM;
    }
}

/* Send the answer through the gateway as the unit and wait for the reply (or timeout). */
static int cmd__send_direct(const hl_config *cfg, const char *unit, const agent_keys *keys,
                            const Hl__TaskAnswer *m, Hl__Envelope **reply)
{
    *reply = NULL;
    char gw[160];
    int rc = hl_config_endpoint(cfg, "dispatch", "gw", gw, sizeof gw);
    if (rc < 0)
        return rc;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return HL_ENOMEM;
    hl_bus *bus = NULL;
    hl_client *cli = NULL;
    Hl__Envelope *env = NULL;
    cmd__wait w = {0};
    hl_sock_opt opts[AGENT_SOCK_OPTS];
    hl_curve curve;
    char err[512];
    int nopts = agent_sock_opts(keys, unit, &curve, opts, err, sizeof err);
    if (nopts < 0) {
        fprintf(stderr, "hazpartner: keys: %s\n", err);
        uv_loop_close(&loop);
        return nopts;
    }
    int timeout = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 5000;
    if ((rc = hl_bus_new(&loop, NULL, cfg->max_msg_bytes, &bus)) == 0 &&
        (rc = hl_client_new(bus, gw, opts, (size_t)nopts, &cli)) == 0 &&
        (rc = hl_env_build(unit, "task.answer", &m->base, NULL, NULL, &env)) == 0 &&
        (rc = hl_client_send(cli, env, timeout, cmd__on_reply, &w)) == 0) {
        while (!w.done)
            uv_run(&loop, UV_RUN_ONCE);
        rc = w.status;
        *reply = w.reply;
    }
    hl_env_free(&env);
    hl_client_destroy(&cli);
    hl_bus_destroy(&bus);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    memset(&curve, 0, sizeof curve);
    return rc;
}

static void cmd__print_task(FILE *out, const char *what, const Hl__Task *t)
{
    if (t)
        fprintf(out, "task %s: %s; state %s (actor %s)\n", t->id, what, t->state, t->actor);
}

/* Record the outcome of a direct send in the record (if any) and report it. */
static int cmd__settle(pstore *ps, const char *task_id, const char *action, int recorded, int rc,
                       const Hl__Envelope *reply, FILE *out)
{
    char why[HL_TEXT_MAX + 128] = "";
    Hl__Task *t = NULL;
    if (rc == 0 && reply && !reply->error)
        t = (Hl__Task *)hl_msg_unpack(&hl__task__descriptor, reply->payload.data,
                                      reply->payload.len);
    if (reply && reply->error)
        pstore_describe_error(reply->error, why, sizeof why);
    int exit_code;
    if (t) {
        cmd__print_task(out, "confirmed by dispatch", t);
        exit_code = 0;
    } else if (why[0]) {
        fprintf(stderr, "hazpartner: %s of %s refused by dispatch: %s\n", action, task_id, why);
        exit_code = 1;
    } else {
        fprintf(stderr, "hazpartner: no word from dispatch about %s of %s: %s%s\n", action, task_id,
                hl_strerror(rc),
                recorded ? "; the answer stays in the partner store and `hazpartner run` "
                           "sends it"
                         : "");
        exit_code = 3;
    }
    if (recorded && (t || why[0]))
        pstore_record_reply(ps, task_id, action, t ? NULL : why, t);
    if (t)
        hl__task__free_unpacked(t, NULL);
    return exit_code;
}

/* Wait for the running agent to settle the answer recorded at at_ms. */
static int cmd__wait_agent(const hl_config *cfg, pstore *ps, const char *task_id,
                           const char *action, int64_t at_ms, FILE *out)
{
    int timeout = (cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : 5000) + AGENT_HELLO_MS;
    int64_t deadline = hl_real_now_ms() + timeout;
    while (hl_real_now_ms() < deadline) {
        hl_txn *txn = NULL;
        pstore_rec rec;
        int found = -1;
        if (hl_txn_begin(pstore_store(ps), NULL, 1, &txn) == 0 &&
            pstore_get(txn, task_id, &rec) == 0) {
            for (size_t i = 0; i < rec.nans; i++)
                if (rec.ans[i].at_ms == at_ms && strcmp(rec.ans[i].action, action) == 0)
                    found = (int)i;
            if (found >= 0 && rec.ans[found].confirmed) {
                cmd__print_task(out, "confirmed by dispatch (sent by the running agent)", rec.task);
                pstore_rec_clear(&rec);
                hl_txn_abort(&txn);
                return 0;
            }
            if (found >= 0 && rec.ans[found].refused[0]) {
                fprintf(stderr, "hazpartner: %s of %s refused by dispatch: %s\n", action, task_id,
                        rec.ans[found].refused);
                pstore_rec_clear(&rec);
                hl_txn_abort(&txn);
                return 1;
            }
            pstore_rec_clear(&rec);
        }
        hl_txn_abort(&txn);
        struct timespec ts = {0, CMD_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr,
            "hazpartner: the running agent has not had word from dispatch about %s of %s "
            "within %d ms; the answer stays in the partner store and is resent\n",
            action, task_id, timeout);
    return 3;
}

typedef struct cmd__owed {
    const char *action, *reason;
    int64_t at;
} cmd__owed;

/* A person's answer replaces the agent's unsent plans and is counted as attempted at once:
 * this command's send or the running agent's carries it. */
static int cmd__owe_fn(pstore_rec *rec, void *ud)
{
    const cmd__owed *o = ud;
    pstore_rec_drop_unsent(rec);
    int rc = pstore_rec_add_answer(rec, o->action, o->reason, 0, o->at);
    if (rc == 0)
        rec->ans[rec->nans - 1].attempts = 1;
    return rc;
}

int cmd_answer(const hl_config *cfg, const char *unit, const char *task_id, const char *action,
               const char *reason, const agent_keys *keys, FILE *out)
{
    task_event ev;
    if (task_action_parse(action, &ev) < 0 || hl_id_check(task_id) < 0) {
        fprintf(stderr, "hazpartner: %s: '%s' is not a task id\n", action, task_id ? task_id : "");
        return 2;
    }
    int rrc = hl_str_check(reason, HL_TEXT_MAX, ev == TASK_EV_DECLINE);
    if (rrc < 0) {
        fprintf(stderr, "hazpartner: --reason %s (1..%d bytes of UTF-8)\n",
                ev == TASK_EV_DECLINE && (!reason || !reason[0]) ? "is required to decline"
                                                                 : "is not acceptable",
                HL_TEXT_MAX);
        return 2;
    }
    hl_sock_opt probe[AGENT_SOCK_OPTS];
    hl_curve curve;
    char kerr[512];
    if (agent_sock_opts(keys, unit, &curve, probe, kerr, sizeof kerr) < 0) {
        fprintf(stderr, "hazpartner: keys: %s\n", kerr);
        return 2;
    }
    memset(&curve, 0, sizeof curve);
    pstore *ps = NULL;
    if (cmd__open(cfg, unit, &ps) < 0)
        return 1;
    int64_t at = hl_now_ms();
    /* Record the answer first: it is owed to dispatch from now on, whatever happens next. */
    cmd__owed owed = {.action = action, .reason = reason, .at = at};
    int rc = pstore_update(ps, task_id, cmd__owe_fn, &owed);
    int recorded = rc == 0;
    if (rc < 0 && rc != HL_ENOTFOUND) {
        fprintf(stderr, "hazpartner: cannot record %s of %s in %s: %s\n", action, task_id,
                pstore_dir(ps), hl_strerror(rc));
        pstore_close(&ps);
        return 1;
    }
    int code;
    if (recorded && pstore_agent_running(ps) == 1) {
        /* The agent owns the unit's connection: let it carry the answer rather than take
         * its routing id away from it. */
        code = cmd__wait_agent(cfg, ps, task_id, action, at, out);
    } else {
        Hl__TaskAnswer m = HL__TASK_ANSWER__INIT;
        m.task_id = (char *)task_id;
        m.action = (char *)action;
        m.reason = (char *)(reason ? reason : "");
        m.at_ms = at;
        Hl__Envelope *reply = NULL;
        rc = cmd__send_direct(cfg, unit, keys, &m, &reply);
        code = cmd__settle(ps, task_id, action, recorded, rc, reply, out);
        hl_env_free(&reply);
    }
    pstore_close(&ps);
    return code;
}
