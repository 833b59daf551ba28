/* agent.c — the partner agent loop (agent.h). */
#include "agent.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <zmq.h>

#include "dispatch.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "pstore.h"
#include "task.h"

typedef struct agent {
    uv_loop_t loop;
    hl_bus *bus;
    hl_client *cli;
    agent_keys keys;
    hl_curve curve;  /* options of the current connection point here */
    int keys_warned; /* the key files could not be read: said once until they can */
    pstore *ps;
    const hl_config *cfg;
    policy pol;
    char unit[HL_ID_MAX + 1];
    char gw[160];
    uv_timer_t tick;
    uv_timer_t due_timer; /* fires when the earliest owed answer falls due */
    int64_t due_at;       /* drill ms the due timer is set for; INT64_MAX: not set */
    int64_t next_sweep_real;
    uv_signal_t sig_int, sig_term;
    int64_t next_hello_real;
    int hello_inflight, hello_misses, hello_ok, need_reconnect;
    size_t ninflight;
    char inflight[AGENT_INFLIGHT_MAX][HL_ID_MAX + 1];
} agent;

/* What a reply callback needs; refers to the task by id (it may be gone by then). */
typedef struct agent_cb {
    agent *a;
    char task_id[HL_ID_MAX + 1];
    char action[16];
} agent_cb;

/* ---- in-flight answers, by task id ---- */

static int agent__inflight_has(const agent *a, const char *id)
{
    for (size_t i = 0; i < a->ninflight; i++)
        if (strcmp(a->inflight[i], id) == 0)
            return 1;
    return 0;
}

static void agent__inflight_del(agent *a, const char *id)
{
    for (size_t i = 0; i < a->ninflight; i++)
        if (strcmp(a->inflight[i], id) == 0) {
            memmove(a->inflight[i], a->inflight[--a->ninflight], HL_ID_MAX + 1);
            return;
        }
}

/* ---- sending ---- */

static int agent__send(agent *a, const char *type, const ProtobufCMessage *m, int64_t timeout_ms,
                       hl_reply_fn fn, agent_cb *cb)
{
    Hl__Envelope *env = NULL;
    int rc = a->cli ? hl_env_build(a->unit, type, m, NULL, NULL, &env) : HL_ECLOSED;
    if (rc == 0)
        rc = hl_client_send(a->cli, env, timeout_ms, fn, cb);
    hl_env_free(&env);
    if (rc < 0) {
        hl_debug("cannot send %s: %s", type, hl_strerror(rc));
        free(cb);
    }
    return rc;
}

static agent_cb *agent__cb(agent *a, const char *task_id, const char *action)
{
    agent_cb *cb = calloc(1, sizeof *cb);
    if (!cb)
        return NULL;
    cb->a = a;
    snprintf(cb->task_id, sizeof cb->task_id, "%.64s", task_id ? task_id : "");
    snprintf(cb->action, sizeof cb->action, "%s", action ? action : "");
    return cb;
}

/* A refusal that concerns the connection, not the task: reconnect and try again. */
static int agent__is_conn_error(const Hl__Error *e)
{
    return e->code == HL_EDENIED &&
           (strcmp(e->field, "unit") == 0 || strcmp(e->field, "sender_unit") == 0);
}

/* ---- replies ---- */

static Hl__Task *agent__reply_task(const Hl__Envelope *reply)
{
    return (Hl__Task *)hl_msg_unpack(&hl__task__descriptor, reply->payload.data,
                                     reply->payload.len);
}

/* ---- receipts ---- */

static void agent__on_receipt_reply(int status, const Hl__Envelope *reply, void *ud)
{
    agent_cb *cb = ud;
    agent *a = cb->a;
    if (status < 0 || !reply) {
        hl_debug("receipt of %s: %s (dispatch pushes it again)", cb->task_id, hl_strerror(status));
    } else if (reply->error) {
        char why[HL_TEXT_MAX + 128];
        pstore_describe_error(reply->error, why, sizeof why);
        hl_warn("receipt of %s refused: %s", cb->task_id, why);
        if (agent__is_conn_error(reply->error))
            a->need_reconnect = 1;
    } else {
        Hl__Task *t = agent__reply_task(reply);
        if (t) {
            pstore_record_reply(a->ps, cb->task_id, NULL, NULL, t);
            hl__task__free_unpacked(t, NULL);
        }
    }
    free(cb);
}

static void agent__send_receipt(agent *a, const char *task_id, uint32_t revision)
{
    agent_cb *cb = agent__cb(a, task_id, "receipt");
    if (!cb)
        return;
    Hl__TaskReceipt m = HL__TASK_RECEIPT__INIT;
    m.task_id = (char *)task_id;
    m.revision = revision;
    agent__send(a, "task.receipt", &m.base, AGENT_REQ_TIMEOUT_MS, agent__on_receipt_reply, cb);
}

/* ---- deliveries ---- */

static void agent__show(const Hl__Task *t, int64_t at_ms)
{
    char when[40];
    if (hl_time_format(at_ms, HL_TZ_BEIJING_MIN, when, sizeof when) < 0)
        snprintf(when, sizeof when, "%lld", (long long)at_ms);
    printf("%s %s %s %s\n", when, t->id, t->kind, t->title);
    fflush(stdout);
}

static void agent__remind(const Hl__Task *t, uint32_t k)
{
    char when[40];
    if (hl_time_format(hl_now_ms(), HL_TZ_BEIJING_MIN, when, sizeof when) < 0)
        snprintf(when, sizeof when, "%lld", (long long)hl_now_ms());
    printf("%s %s REMINDER %u: not acknowledged yet: %s\n", when, t->id, k, t->title);
    fflush(stdout);
}

/* A revision of a task already shown: what changed, never a second new task. */
static void agent__show_revision(const Hl__Task *t)
{
    char when[40], due[40];
    if (hl_time_format(hl_now_ms(), HL_TZ_BEIJING_MIN, when, sizeof when) < 0)
        snprintf(when, sizeof when, "%lld", (long long)hl_now_ms());
    if (strcmp(t->state, "withdrawn") == 0) {
        printf("%s %s WITHDRAWN: %s\n", when, t->id, t->reason);
    } else {
        if (hl_time_format(t->due_ms, HL_TZ_BEIJING_MIN, due, sizeof due) < 0)
            snprintf(due, sizeof due, "%lld", (long long)t->due_ms);
        printf("%s %s UPDATED %u: due %s: %s\n", when, t->id, t->revisions, due, t->title);
    }
    fflush(stdout);
}

/* What a push does to the record: kind of line to print. */
enum { AGENT_SHOW_NONE = 0, AGENT_SHOW_NEW, AGENT_SHOW_REVISION, AGENT_SHOW_REMINDER };

/* Apply a push of task to the record (found: the record was in the store). A task newer than
 * the stored copy (Task.revisions) is a revision; a withdrawn one drops the answers not sent
 * yet, which dispatch would refuse. A withdrawn task never seen here is kept, not shown. */
static int agent__apply_push(agent *a, pstore_rec *rec, int found, const Hl__Task *task,
                             uint32_t reminder)
{
    int withdrawn = strcmp(task->state, "withdrawn") == 0;
    if (!found) {
        memset(rec, 0, sizeof *rec);
        rec->task = pstore_task_dup(task);
        rec->deliveries = 1;
        rec->received_ms = hl_now_ms();
        if (!rec->task)
            return HL_ENOMEM;
        if (withdrawn)
            return AGENT_SHOW_NONE;
        rec->shown_count = 1;
        policy_answer pa;
        if (policy_first_answer(&a->pol, task->kind, rec->received_ms, &pa))
            pstore_rec_add_answer(rec, pa.action, pa.reason, pa.due_ms, rec->received_ms);
        return AGENT_SHOW_NEW;
    }
    if (task->revisions > rec->task->revisions) {
        /* A revision is not a second delivery: it is counted on its own. */
        Hl__Task *copy = pstore_task_dup(task);
        if (!copy)
            return HL_ENOMEM;
        hl__task__free_unpacked(rec->task, NULL);
        rec->task = copy;
        rec->revisions++;
        if (withdrawn)
            pstore_rec_drop_unsent(rec);
        return AGENT_SHOW_REVISION;
    }
    rec->deliveries++;
    return reminder > 0 ? AGENT_SHOW_REMINDER : AGENT_SHOW_NONE;
}

static void agent__arm(agent *a, int64_t due_ms);
static void agent__send_due(agent *a);
static void agent__on_due(uv_timer_t *t);

static void agent__receive(agent *a, const Hl__Task *task, uint32_t reminder)
{
    hl_txn *txn = NULL;
    pstore_rec rec;
    memset(&rec, 0, sizeof rec);
    int rc = hl_txn_begin(pstore_store(a->ps), NULL, 0, &txn);
    if (rc < 0) {
        hl_error("partner store: %s", hl_strerror(rc));
        return;
    }
    rc = pstore_get(txn, task->id, &rec);
    int show = 0;
    if (rc == 0 || rc == HL_ENOTFOUND)
        rc = show = agent__apply_push(a, &rec, rc == 0, task, reminder);
    if (rc >= 0)
        rc = pstore_put(txn, &rec);
    if (rc == 0)
        rc = hl_txn_commit(&txn);
    hl_txn_abort(&txn);
    if (rc < 0) {
        /* Not stored, so not shown and not receipted: dispatch will push it again. */
        hl_error("task %s not stored: %s", task->id, hl_strerror(rc));
        pstore_rec_clear(&rec);
        return;
    }
    /* Shown only once it is on disk: a crash before this line leaves it in the store
     * (`hazpartner list` shows it), a crash after it cannot show it again. */
    if (show == AGENT_SHOW_NEW)
        agent__show(rec.task, rec.received_ms);
    else if (show == AGENT_SHOW_REVISION)
        agent__show_revision(rec.task);
    else if (show == AGENT_SHOW_REMINDER)
        agent__remind(rec.task, reminder);
    else
        hl_debug("task %s delivered again (%u deliveries); not shown again", task->id,
                 rec.deliveries);
    int64_t due = pstore_rec_next_due(&rec);
    pstore_rec_clear(&rec);
    agent__send_receipt(a, task->id, task->revisions);
    /* An answer due now goes right after the receipt, not at the next sweep. */
    if (due <= hl_now_ms())
        agent__send_due(a);
    else if (due != INT64_MAX)
        agent__arm(a, due);
}

static void agent__on_push(const Hl__Envelope *env, void *ud)
{
    agent *a = ud;
    if (strcmp(env->type, "task.deliver") != 0) {
        hl_warn("unexpected push '%s' from dispatch, ignored", env->type);
        return;
    }
    Hl__TaskDelivery *dv = (Hl__TaskDelivery *)hl_msg_unpack(&hl__task_delivery__descriptor,
                                                             env->payload.data, env->payload.len);
    if (!dv || !dv->task || hl_id_check(dv->task->id) < 0) {
        hl_warn("task.deliver %s: undecodable or without a task id, ignored", env->msg_id);
    } else if (strcmp(dv->task->unit_id, a->unit) != 0) {
        hl_warn("task.deliver %s: task %s is for unit %s, not %s; ignored", env->msg_id,
                dv->task->id, dv->task->unit_id, a->unit);
    } else {
        agent__receive(a, dv->task, dv->reminder);
    }
    if (dv)
        hl__task_delivery__free_unpacked(dv, NULL);
}

/* ---- answers ---- */

/* Settle an answer's reply in the record; after a confirmed ack, plan the completion. */
typedef struct agent__settled {
    agent *a;
    const char *action, *refused;
    const Hl__Task *t;
} agent__settled;

static int agent__settle_fn(pstore_rec *rec, void *ud)
{
    const agent__settled *st = ud;
    int k = pstore_rec_settle(rec, st->action, st->refused);
    policy_answer next;
    if (k >= 0 && !st->refused && strcmp(st->action, "ack") == 0 &&
        policy_after_ack(&st->a->pol, hl_now_ms(), &next))
        pstore_rec_add_answer(rec, next.action, NULL, next.due_ms, hl_now_ms());
    pstore_rec_take_task(rec, st->t);
    return 0;
}

static void agent__on_answer_reply(int status, const Hl__Envelope *reply, void *ud)
{
    agent_cb *cb = ud;
    agent *a = cb->a;
    agent__inflight_del(a, cb->task_id);
    if (status < 0 || !reply) {
        hl_debug("%s of %s: %s (sent again later)", cb->action, cb->task_id, hl_strerror(status));
        free(cb);
        return;
    }
    char why[HL_TEXT_MAX + 128] = "";
    int final_refusal = 0;
    if (reply->error) {
        pstore_describe_error(reply->error, why, sizeof why);
        if (agent__is_conn_error(reply->error)) {
            hl_warn("%s of %s: dispatch does not know this connection (%s); reconnecting",
                    cb->action, cb->task_id, why);
            a->need_reconnect = 1;
            free(cb);
            return;
        }
        int c = reply->error->code;
        final_refusal = c == HL_ESTATE || c == HL_EDENIED || c == HL_ENOTFOUND || c == HL_EINVAL ||
                        c == HL_ETOOBIG || c == HL_EUNKNOWN;
        if (!final_refusal) {
            hl_warn("%s of %s failed: %s (sent again later)", cb->action, cb->task_id, why);
            free(cb);
            return;
        }
        hl_warn("%s of %s refused by dispatch: %s", cb->action, cb->task_id, why);
    }
    Hl__Task *t = reply->error ? NULL : agent__reply_task(reply);
    agent__settled st = {
        .a = a, .action = cb->action, .refused = final_refusal ? why : NULL, .t = t};
    int rc = pstore_update(a->ps, cb->task_id, agent__settle_fn, &st);
    if (rc < 0)
        hl_error("task %s: cannot record the reply to %s: %s", cb->task_id, cb->action,
                 hl_strerror(rc));
    else if (!final_refusal)
        hl_info("task %s: %s confirmed, now %s", cb->task_id, cb->action,
                t ? t->state : "(unknown)");
    if (t)
        hl__task__free_unpacked(t, NULL);
    free(cb);
    /* The task's next answer (a completion planned after the ack) may be due already. */
    agent__send_due(a);
}

typedef struct agent__todo {
    char task_id[HL_ID_MAX + 1];
    pstore_answer ans;
} agent__todo;

/* Set the due timer for drill time due_ms, unless it is set for an earlier time already. */
static void agent__arm(agent *a, int64_t due_ms)
{
    if (!a->cli || due_ms >= a->due_at)
        return;
    a->due_at = due_ms;
    int64_t now = hl_now_ms();
    uint64_t delay = due_ms > now ? (uint64_t)hl_clock_real_delay_ms(due_ms - now) : 0;
    uv_timer_start(&a->due_timer, agent__on_due, delay, 0);
}

/* Send every answer that is due, at most one per task in flight, and set the due timer for
 * the earliest answer not due yet. The attempt is counted in the store before the send, so a
 * person's later answer knows this one may have gone. */
static void agent__send_due(agent *a)
{
    static char ids[AGENT_INFLIGHT_MAX][HL_ID_MAX + 1];
    static agent__todo todo[AGENT_INFLIGHT_MAX];
    size_t ntodo = 0;
    hl_txn *txn = NULL;
    if (!a->cli || a->ninflight >= AGENT_INFLIGHT_MAX ||
        hl_txn_begin(pstore_store(a->ps), NULL, 0, &txn) < 0)
        return;
    int n = pstore_due_list(txn, ids, AGENT_INFLIGHT_MAX);
    int64_t now = hl_now_ms(), next = INT64_MAX;
    for (int i = 0; i < n && a->ninflight + ntodo < AGENT_INFLIGHT_MAX; i++) {
        if (agent__inflight_has(a, ids[i]))
            continue;
        pstore_rec rec;
        if (pstore_get(txn, ids[i], &rec) < 0)
            continue;
        int k = pstore_rec_next(&rec, now);
        if (k < 0) {
            int64_t due = pstore_rec_next_due(&rec);
            if (due < next)
                next = due;
        } else {
            rec.ans[k].attempts++;
            if (pstore_put(txn, &rec) == 0) {
                snprintf(todo[ntodo].task_id, sizeof todo[ntodo].task_id, "%.64s", ids[i]);
                todo[ntodo++].ans = rec.ans[k];
            }
        }
        pstore_rec_clear(&rec);
    }
    if (next != INT64_MAX)
        agent__arm(a, next);
    if (ntodo == 0 || hl_txn_commit(&txn) < 0) {
        hl_txn_abort(&txn);
        return;
    }
    for (size_t i = 0; i < ntodo; i++) {
        agent_cb *cb = agent__cb(a, todo[i].task_id, todo[i].ans.action);
        if (!cb)
            break;
        Hl__TaskAnswer m = HL__TASK_ANSWER__INIT;
        m.task_id = todo[i].task_id;
        m.action = todo[i].ans.action;
        m.reason = todo[i].ans.reason;
        m.at_ms = todo[i].ans.at_ms;
        if (agent__send(a, "task.answer", &m.base, AGENT_REQ_TIMEOUT_MS, agent__on_answer_reply,
                        cb) == 0) {
            snprintf(a->inflight[a->ninflight++], HL_ID_MAX + 1, "%.64s", todo[i].task_id);
            hl_debug("sent %s of %s", todo[i].ans.action, todo[i].task_id);
        }
    }
}

/* ---- hello, connection ---- */

/* A hello went unanswered, or could not even be sent (a DEALER with no connection, which is
 * what a gateway that refuses the handshake leaves: the send would block). */
static void agent__hello_missed(agent *a)
{
    if (++a->hello_misses < AGENT_HELLO_MISSES)
        return;
    if (a->hello_ok)
        hl_warn("dispatch does not answer at %s; reconnecting", a->gw);
    else if (!a->keys_warned++)
        hl_warn("no answer from dispatch at %s: it is down, or its gateway refused this "
                "connection (%s); trying again",
                a->gw,
                a->keys.key_base[0] ? "is the unit's public key admitted (hazctl keys list), "
                                      "and is --server-key the gateway's current public key?"
                                    : "no --key/--server-key: the gateway admits CURVE keys only");
    a->hello_ok = 0;
    a->need_reconnect = 1;
}

static void agent__on_hello_reply(int status, const Hl__Envelope *reply, void *ud)
{
    agent_cb *cb = ud;
    agent *a = cb->a;
    free(cb);
    a->hello_inflight = 0;
    if (status == HL_ECLOSED)
        return;
    if (status < 0 || !reply) {
        agent__hello_missed(a);
        return;
    }
    if (reply->error) {
        char why[HL_TEXT_MAX + 128];
        pstore_describe_error(reply->error, why, sizeof why);
        hl_error("dispatch refused hello: %s", why);
        a->hello_ok = 0;
        a->need_reconnect = agent__is_conn_error(reply->error);
        return;
    }
    if (!a->hello_ok)
        hl_info("connected to dispatch at %s as %s%s", a->gw, a->unit,
                a->keys.key_base[0] ? " (CURVE)" : "");
    a->hello_ok = 1;
    a->keys_warned = 0;
    a->hello_misses = 0;
}

static void agent__send_hello(agent *a)
{
    agent_cb *cb = agent__cb(a, NULL, "hello");
    if (!cb)
        return;
    Hl__PartnerHello m = HL__PARTNER_HELLO__INIT;
    m.unit_id = a->unit;
    m.agent_version = AGENT_VERSION;
    if (agent__send(a, "partner.hello", &m.base, AGENT_HELLO_TIMEOUT_MS, agent__on_hello_reply,
                    cb) == 0)
        a->hello_inflight = 1;
    else
        agent__hello_missed(a);
}

int agent_keys_set(agent_keys *keys, const char *key, const char *server, char *err, size_t errlen)
{
    memset(keys, 0, sizeof *keys);
    if (!key && !server)
        return 0;
    if (!key || !server || !key[0] || !server[0]) {
        snprintf(err, errlen,
                 "--key and --server-key go together (the unit's key pair and the "
                 "gateway's public key)");
        return HL_EINVAL;
    }
    size_t n = strlen(key);
    if (n > 4 && strcmp(key + n - 4, ".key") == 0)
        n -= 4; /* the secret key's file named instead of the pair's base */
    if (n >= sizeof keys->key_base - 4 || strlen(server) >= sizeof keys->server_pub) {
        snprintf(err, errlen, "--key or --server-key: path too long");
        return HL_EINVAL;
    }
    memcpy(keys->key_base, key, n);
    keys->key_base[n] = '\0';
    snprintf(keys->server_pub, sizeof keys->server_pub, "%s", server);
    return 0;
}

int agent_sock_opts(const agent_keys *keys, const char *unit, hl_curve *curve,
                    hl_sock_opt opts[AGENT_SOCK_OPTS], char *err, size_t errlen)
{
    memset(curve, 0, sizeof *curve);
    opts[0] = (hl_sock_opt){ZMQ_ROUTING_ID, unit, strlen(unit)};
    if (!keys || !keys->key_base[0])
        return 1;
    int rc = hl_curve_client_load(keys->server_pub, keys->key_base, curve, err, errlen);
    if (rc < 0)
        return rc;
    return 1 + (int)hl_curve_sockopts(curve, opts + 1);
}

static int agent__connect(agent *a)
{
    hl_sock_opt opts[AGENT_SOCK_OPTS];
    char err[512];
    int n = agent_sock_opts(&a->keys, a->unit, &a->curve, opts, err, sizeof err);
    if (n < 0) {
        /* Keys that cannot be read now (a rotation half done, a file being replaced) are
         * tried again at the next tick. */
        if (!a->keys_warned++)
            hl_error("cannot read the keys: %s; trying again", err);
        return n;
    }
    int rc = hl_client_new(a->bus, a->gw, opts, (size_t)n, &a->cli);
    if (rc < 0) {
        hl_error("cannot connect to %s: %s", a->gw, hl_strerror(rc));
        return rc;
    }
    hl_client_on_push(a->cli, agent__on_push, a);
    a->hello_misses = 0;
    a->next_hello_real = 0; /* say hello at the next tick */
    return 0;
}

static void agent__reconnect(agent *a)
{
    a->need_reconnect = 0;
    /* Pending requests are called back with HL_ECLOSED: answers are sent again later. */
    hl_client_destroy(&a->cli);
    a->hello_inflight = 0;
    agent__connect(a);
}

static void agent__on_tick(uv_timer_t *t)
{
    agent *a = t->data;
    if (a->need_reconnect || !a->cli)
        agent__reconnect(a);
    if (!a->cli)
        return;
    int64_t now_real = hl_real_now_ms();
    if (now_real >= a->next_hello_real && !a->hello_inflight) {
        agent__send_hello(a);
        a->next_hello_real = now_real + AGENT_HELLO_MS;
    }
    /* The safety sweep: answers a person queued with `hazpartner ack` (another process),
     * answers to send again after a lost reply. Planned answers go by the due timer. */
    if (now_real >= a->next_sweep_real) {
        a->next_sweep_real = now_real + AGENT_SWEEP_MS;
        agent__send_due(a);
    }
}

static void agent__on_due(uv_timer_t *t)
{
    agent *a = t->data;
    a->due_at = INT64_MAX;
    agent__send_due(a);
}

static void agent__on_signal(uv_signal_t *s, int signum)
{
    agent *a = s->data;
    hl_info("signal %d: stopping", signum);
    uv_stop(&a->loop);
}

int agent_run(const hl_config *cfg, const char *unit, const policy *pol, const agent_keys *keys)
{
    agent *a = calloc(1, sizeof *a);
    if (!a)
        return HL_ENOMEM;
    a->cfg = cfg;
    a->pol = *pol;
    a->keys = *keys;
    snprintf(a->unit, sizeof a->unit, "%s", unit);
    char err[1024];
    int rc = hl_config_endpoint(cfg, "dispatch", "gw", a->gw, sizeof a->gw);
    if (rc < 0) {
        hl_error("gateway endpoint: %s", hl_strerror(rc));
        free(a);
        return rc;
    }
    /* Keys that are wrong at start (a secret readable by others, a missing file) are the
     * operator's to fix now: say so and stop rather than retry forever. */
    hl_sock_opt probe[AGENT_SOCK_OPTS];
    if (keys->key_base[0] &&
        (rc = agent_sock_opts(keys, unit, &a->curve, probe, err, sizeof err)) < 0) {
        hl_error("keys: %s", err);
        free(a);
        return rc;
    }
    if (!keys->key_base[0])
        hl_warn("no --key/--server-key: connecting without CURVE; a dispatch gateway admits "
                "only listed CURVE keys and will not answer");
    if ((rc = pstore_open(cfg->data_dir, unit, cfg->map_size, &a->ps, err, sizeof err)) < 0) {
        hl_error("%s", err);
        free(a);
        return rc;
    }
    if ((rc = pstore_agent_lock(a->ps)) < 0) {
        hl_error("%s: %s", pstore_dir(a->ps),
                 rc == HL_EBUSY ? "another agent of this unit is running on this data dir"
                                : "cannot take the agent lock");
        pstore_close(&a->ps);
        free(a);
        return rc;
    }
    if (uv_loop_init(&a->loop) != 0) {
        pstore_close(&a->ps);
        free(a);
        return HL_ENOMEM;
    }
    if ((rc = hl_bus_new(&a->loop, NULL, cfg->max_msg_bytes, &a->bus)) < 0 ||
        (rc = agent__connect(a)) < 0)
        goto out;
    uv_timer_init(&a->loop, &a->tick);
    a->tick.data = a;
    uv_timer_init(&a->loop, &a->due_timer);
    a->due_timer.data = a;
    a->due_at = INT64_MAX;
    uv_signal_init(&a->loop, &a->sig_int);
    uv_signal_init(&a->loop, &a->sig_term);
    a->sig_int.data = a->sig_term.data = a;
    uv_signal_start(&a->sig_int, agent__on_signal, SIGINT);
    uv_signal_start(&a->sig_term, agent__on_signal, SIGTERM);
    uv_timer_start(&a->tick, agent__on_tick, 0, AGENT_TICK_MS);
    hl_info("partner agent of %s: store %s, gateway %s", unit, pstore_dir(a->ps), a->gw);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&a->tick, NULL);
    uv_close((uv_handle_t *)&a->due_timer, NULL);
    uv_close((uv_handle_t *)&a->sig_int, NULL);
    uv_close((uv_handle_t *)&a->sig_term, NULL);
    rc = 0;
out:
    hl_client_destroy(&a->cli);
    hl_bus_destroy(&a->bus);
    uv_run(&a->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&a->loop) != 0)
        hl_warn("partner agent: loop not closed cleanly");
    pstore_close(&a->ps);
    memset(&a->curve, 0, sizeof a->curve);
    free(a);
    return rc;
}
