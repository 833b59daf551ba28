/* fault_run.c — drive the stack under kills and judge the stores (fault_run.h). */
#include "fault_run.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>

#include "alert.pb-c.h"
#include "common.pb-c.h"
#include "dispatch.pb-c.h"
#include "fault_plan.h"
#include "fault_store.h"
#include "hazlink/hl_bus.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/stack.h"
#include "stock.pb-c.h"

#define FAULT_SENDER "hazfault"
#define FAULT_EXPORT_MAX (16u * 1024u * 1024u)

typedef enum { FM_WAIT = 0, FM_INFLIGHT, FM_RETRY, FM_ACCEPTED, FM_REFUSED } fm_state;

struct fault_drv;

/* One client message and where it stands. Lives in a fixed array: its address is the
 * reply callback's user data. */
typedef struct fm {
    struct fault_drv *d;
    const fault_msg *m; /* plan message, or NULL for a stock action */
    int stock;          /* 1: stock.release to stock */
    char msg_id[FAULT_ID_MAX + 1];
    char rsv_id[FAULT_ID_MAX + 1];
    char action[16];
    fm_state st;
    int64_t next_real_ms;
    uint32_t attempts;
    char incident_id[FAULT_ID_MAX + 1];
    int err_code;
    int dup; /* sent again after its answer: 0 no, 1 due, 2 in flight, 3 answered */
    uint32_t attempts_dup;
} fm;

typedef enum { PH_LOAD = 0, PH_DRAIN, PH_SETTLE, PH_DONE } phase;

typedef struct fault_drv {
    const fault_opts *o;
    fault_result *res;
    hl_config cfg;
    hl_stack *stack;
    uv_loop_t loop;
    uv_timer_t tick;
    hl_bus *bus;
    hl_client *alert, *stockc;
    void *zctx; /* blocking calls (status, lists) */
    fault_plan plan;
    fm *msgs;
    size_t n_msgs, next_new; /* messages [0, next_new) have been released */
    fm *acts;
    size_t n_acts;
    size_t *retry; /* indices into msgs (< n_msgs) or acts (n_msgs + i) */
    size_t n_retry, cap_retry;
    size_t *dups; /* the same, of messages to send again after their answer */
    size_t n_dups, cap_dups;
    size_t inflight;
    int64_t load_start_real, base_ms;
    phase ph;
    /* kills */
    size_t next_kill;
    int down; /* the kill target is down, waiting for its restart */
    int64_t restart_at_real;
    /* stock */
    int64_t next_stock_real;
    fault_rng rng;
    Hl__StockList *stock_first;
    char last_rsv_seen[FAULT_ID_MAX + 1]; /* reservations up to this id were considered */
    /* settle */
    int64_t settle_start_real, next_poll_real;
    int calm_polls;
    uint64_t last_sig;
    /* units */
    char (*units)[FAULT_ID_MAX + 1];
    size_t n_units;
    const char *unit_ptrs[FAULT_MAX_UNITS];
    int tick_init;
} fault_drv;

static void fault__problem(fault_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fault__problem(fault_result *r, const char *fmt, ...)
{
    size_t used = strlen(r->problems);
    if (used + 8 >= sizeof r->problems)
        return;
    if (used)
        r->problems[used++] = ';', r->problems[used++] = ' ', r->problems[used] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->problems + used, sizeof r->problems - used, fmt, ap);
    va_end(ap);
}

static void fault__say(const fault_drv *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fault__say(const fault_drv *d, const char *fmt, ...)
{
    if (d->o->quiet)
        return;
    double t = d->load_start_real ? (double)(hl_real_now_ms() - d->load_start_real) / 1000.0 : 0;
    printf("[%7.2f s] ", t);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* ---------------------------------------------------------------- ports ---- */

/* 1 when port is free on the loopback interface now. */
static int fault__port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A base port whose eleven service ports are free: below the ephemeral range (32768), away
 * from the drill tests' bases (20000 + k*50) by starting at an odd 25. */
static int fault__pick_base(int attempt)
{
    for (int k = 0; k < 240; k++) {
        int slot = (int)((getpid() + attempt * 97 + k * 13) % 240);
        int base = 20025 + slot * 50;
        int ok = 1;
        for (int s = 0; s < 5 && ok; s++)
            for (int p = 0; p < (s == 4 ? 3 : 2) && ok; p++)
                ok = fault__port_free(base + 10 * s + p);
        if (ok)
            return base;
    }
    return 20025 + (int)(getpid() % 240) * 50;
}

/* 1 when some service log says its port was taken. */
static int fault__port_taken(const fault_drv *d)
{
    for (int i = 0; i < 5; i++) {
        char p[HL_PATH_MAX + 64], line[512];
        hl_stack_log_path(d->stack, fault_services[i], p, sizeof p);
        FILE *f = fopen(p, "r");
        int hit = 0;
        while (f && !hit && fgets(line, sizeof line, f))
            hit = strstr(line, "Address already in use") != NULL;
        if (f)
            fclose(f);
        if (hit)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ blocking calls ---- */

/* A request to service; on success *out is the reply payload unpacked with desc. */
static int fault__call(fault_drv *d, const char *service, const char *type,
                       const ProtobufCMessage *req, const ProtobufCMessageDescriptor *desc,
                       int timeout_ms, ProtobufCMessage **out)
{
    *out = NULL;
    char ep[160], err[256];
    int rc = hl_config_endpoint(&d->cfg, service, "req", ep, sizeof ep);
    if (rc < 0)
        return rc;
    Hl__Envelope *reply = NULL;
    rc = hl_call(d->zctx, ep, FAULT_SENDER, type, req, timeout_ms, &reply, err, sizeof err);
    if (rc == 0) {
        *out = hl_msg_unpack(desc, reply->payload.data, reply->payload.len);
        if (!*out)
            rc = HL_EDECODE;
    }
    hl_env_free(&reply);
    return rc;
}

/* --------------------------------------------------------------- sending ---- */

static fm *fault__fm(fault_drv *d, size_t k)
{
    return k < d->n_msgs ? &d->msgs[k] : &d->acts[k - d->n_msgs];
}

static int fault__index_add(size_t **arr, size_t *n, size_t *cap, size_t k)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        size_t *p = realloc(*arr, c * sizeof *p);
        if (!p)
            return HL_ENOMEM;
        *arr = p;
        *cap = c;
    }
    (*arr)[(*n)++] = k;
    return 0;
}

static int fault__retry_add(fault_drv *d, size_t k)
{
    return fault__index_add(&d->retry, &d->n_retry, &d->cap_retry, k);
}

/* Whether message k is sent once more after its answer, as if the reply had been lost on
 * the way: decided by the seed, so a run can be repeated. */
static int fault__dup_chosen(const fault_drv *d, size_t k)
{
    fault_rng r;
    fault_rng_seed(&r, d->o->seed ^ (0x6475700000000000ULL + k));
    return fault_rng_unit(&r) < d->o->dup_share;
}

static int fault__transient(int code)
{
    return code == HL_EBUSY || code == HL_ESTORE || code == HL_ENOMEM || code == HL_ETIMEOUT ||
           code == HL_ECLOSED || code == HL_EMAPFULL;
}

static void fault__on_reply(int status, const Hl__Envelope *reply, void *ud)
{
    fm *x = ud;
    fault_drv *d = x->d;
    d->inflight--;
    size_t k = x->stock ? d->n_msgs + (size_t)(x - d->acts) : (size_t)(x - d->msgs);
    if (status < 0 || !reply || (reply->error && fault__transient(reply->error->code))) {
        /* No answer (timeout, closed), or "try again": the same msg_id goes out again. */
        x->st = FM_RETRY;
        x->next_real_ms = hl_real_now_ms() + FAULT_RETRY_MS;
        if (fault__retry_add(d, k) < 0)
            x->st = FM_WAIT;
        return;
    }
    if (reply->error) {
        x->st = FM_REFUSED;
        x->err_code = reply->error->code;
        if (x->stock)
            d->res->f.actions_refused++;
        else
            d->res->f.msgs_refused++;
        fault__problem(d->res, "%s %s refused: %s (%s)", reply->type, x->msg_id,
                       reply->error->message, reply->error->field);
        return;
    }
    x->st = FM_ACCEPTED;
    if (fault__dup_chosen(d, k) && fault__index_add(&d->dups, &d->n_dups, &d->cap_dups, k) == 0)
        x->dup = 1;
    if (x->stock) {
        d->res->f.actions_accepted++;
        return;
    }
    d->res->f.msgs_accepted++;
    const char *id = NULL;
    ProtobufCMessage *m = NULL;
    if (x->m->kind == FAULT_MSG_READING) {
        m = hl_msg_unpack(&hl__reading_result__descriptor, reply->payload.data, reply->payload.len);
        if (m)
            id = ((Hl__ReadingResult *)m)->incident_id;
    } else {
        m = hl_msg_unpack(&hl__incident__descriptor, reply->payload.data, reply->payload.len);
        if (m)
            id = ((Hl__Incident *)m)->id;
    }
    snprintf(x->incident_id, sizeof x->incident_id, "%s", id ? id : "");
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

/* The answer to a message sent again after it was answered: the receiver must have applied
 * it once and answer it the same way (its inbox), not apply it again nor refuse it. */
static void fault__on_dup_reply(int status, const Hl__Envelope *reply, void *ud)
{
    fm *x = ud;
    fault_drv *d = x->d;
    d->inflight--;
    if (status < 0 || !reply || (reply->error && fault__transient(reply->error->code))) {
        x->dup = 1; /* sent again at the next tick */
        return;
    }
    x->dup = 3;
    const char *again = "";
    ProtobufCMessage *m = NULL;
    if (!reply->error && !x->stock) {
        int reading = x->m->kind == FAULT_MSG_READING;
        m = hl_msg_unpack(reading ? &hl__reading_result__descriptor : &hl__incident__descriptor,
                          reply->payload.data, reply->payload.len);
        if (m)
            again = reading ? ((Hl__ReadingResult *)m)->incident_id : ((Hl__Incident *)m)->id;
    }
    if (reply->error || (!x->stock && strcmp(again, x->incident_id) != 0)) {
        d->res->f.dups_differ++;
        if (reply->error)
            fault__problem(d->res, "%s %s sent again was answered %s: %s", reply->type, x->msg_id,
                           hl_strerror(reply->error->code), reply->error->message);
        else
            fault__problem(d->res,
                           "%s %s sent again was answered with incident '%s', first "
                           "with '%s'",
                           reply->type, x->msg_id, again, x->incident_id);
    } else {
        d->res->f.dups_same++;
    }
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

/* The envelope of x, always with x's own msg_id. */
static int fault__envelope(fault_drv *d, fm *x, Hl__Envelope **env)
{
    int rc;
    if (x->stock) {
        Hl__ReservationAction a = HL__RESERVATION_ACTION__INIT;
        a.reservation_id = x->rsv_id;
        a.action = x->action;
        rc = hl_env_build(FAULT_SENDER, "stock.release", &a.base, NULL, NULL, env);
    } else if (x->m->kind == FAULT_MSG_READING) {
        Hl__Reading r = HL__READING__INIT;
        r.station_id = (char *)x->m->station_id;
        r.parameter = (char *)x->m->parameter;
        r.value = x->m->value_mg_l;
        r.unit = "mg/L";
        r.measured_ms = d->base_ms + x->m->measured_offset_ms;
        r.reading_id = x->msg_id;
        rc = hl_env_build(FAULT_SENDER, "alert.reading", &r.base, NULL, NULL, env);
    } else {
        Hl__IncidentReport p = HL__INCIDENT_REPORT__INIT;
        p.report_id = (char *)x->m->report_id;
        p.substance = (char *)x->m->substance;
        p.chainage_km = x->m->chainage_km;
        p.mass_kg = x->m->mass_kg;
        p.duration_s = x->m->duration_s;
        p.started_ms = d->base_ms + x->m->measured_offset_ms;
        p.reporter_unit = (char *)x->m->reporter_unit;
        p.description = "hazfault: incident report under fault injection";
        rc = hl_env_build(FAULT_SENDER, "alert.report", &p.base, NULL, NULL, env);
    }
    if (rc < 0)
        return rc;
    char *id = strdup(x->msg_id);
    if (!id) {
        hl_env_free(env);
        return HL_ENOMEM;
    }
    free((*env)->msg_id); /* hl_env_build's ids are separate malloc blocks (hl_env_free) */
    (*env)->msg_id = id;
    return 0;
}

/* Send x now (again after its answer when dup). 0 sent; HL_EBUSY nothing sent (try at the
 * next tick); other errors logged. */
static int fault__send(fault_drv *d, fm *x, int dup)
{
    Hl__Envelope *env = NULL;
    int rc = fault__envelope(d, x, &env);
    if (rc == 0)
        rc = hl_client_send(x->stock ? d->stockc : d->alert, env, FAULT_REQ_TIMEOUT_MS,
                            dup ? fault__on_dup_reply : fault__on_reply, x);
    hl_env_free(&env);
    if (rc < 0)
        return rc;
    d->inflight++;
    d->res->f.sends++;
    if (dup) {
        d->res->f.dups_sent += x->dup == 1 && !x->attempts_dup++;
        x->dup = 2;
        return 0;
    }
    if (x->attempts++)
        d->res->f.resends++;
    if (x->stock)
        d->res->f.actions_sent += x->attempts == 1;
    x->st = FM_INFLIGHT;
    return 0;
}

static void fault__send_due(fault_drv *d, int64_t now, double t)
{
    /* Resends first: they are the oldest. */
    size_t keep = 0;
    for (size_t i = 0; i < d->n_retry; i++) {
        fm *x = fault__fm(d, d->retry[i]);
        if (x->st == FM_RETRY && x->next_real_ms <= now && d->inflight < FAULT_WINDOW &&
            fault__send(d, x, 0) == 0)
            continue;
        if (x->st == FM_RETRY)
            d->retry[keep++] = d->retry[i];
    }
    d->n_retry = keep;
    while (d->next_new < d->n_msgs && d->inflight < FAULT_WINDOW &&
           d->msgs[d->next_new].m->at_s <= t) {
        fm *x = &d->msgs[d->next_new];
        int rc = fault__send(d, x, 0);
        if (rc == HL_EBUSY)
            break;
        if (rc < 0) {
            x->st = FM_RETRY;
            x->next_real_ms = now + FAULT_RETRY_MS;
            fault__retry_add(d, d->next_new);
        }
        d->next_new++;
    }
    for (size_t i = 0; i < d->n_acts && d->inflight < FAULT_WINDOW; i++)
        if (d->acts[i].st == FM_WAIT && fault__send(d, &d->acts[i], 0) == HL_EBUSY)
            break;
    keep = 0;
    for (size_t i = 0; i < d->n_dups; i++) {
        fm *x = fault__fm(d, d->dups[i]);
        if (x->dup == 1 && d->inflight < FAULT_WINDOW)
            fault__send(d, x, 1);
        if (x->dup != 3)
            d->dups[keep++] = d->dups[i];
    }
    d->n_dups = keep;
}

static size_t fault__unanswered(const fault_drv *d)
{
    size_t n = d->n_msgs - d->next_new;
    for (size_t i = 0; i < d->next_new; i++)
        n += d->msgs[i].st != FM_ACCEPTED && d->msgs[i].st != FM_REFUSED;
    for (size_t i = 0; i < d->n_acts; i++)
        n += d->acts[i].st != FM_ACCEPTED && d->acts[i].st != FM_REFUSED;
    return n + d->n_dups;
}

/* ------------------------------------------------------------ stock actions ---- */

/* Issue or release about half of the reservations stock holds that the driver has not acted
 * on yet. They are read from stock's store (read-only, while it runs): the list query stops
 * at its first thousand, and the store also answers while stock is down. */
static void fault__stock_actions(fault_drv *d)
{
    fault_world w;
    memset(&w, 0, sizeof w);
    if (fault_store_read_reservations(d->cfg.data_dir, &w, NULL, 0) < 0) {
        fault_world_free(&w);
        return;
    }
    uint32_t tag = (uint32_t)(d->o->seed ^ (d->o->seed >> 32));
    /* Reservations are scanned in id order and acted on in that order, so the ones acted on
     * so far are a prefix of what the driver saw held: remember where it stopped. */
    for (size_t i = 0; i < w.n_rsv && d->n_acts < FAULT_MAX_ACTIONS; i++) {
        const fault_rsv *r = &w.rsv[i];
        if (strcmp(r->id, d->last_rsv_seen) <= 0)
            continue;
        snprintf(d->last_rsv_seen, sizeof d->last_rsv_seen, "%s", r->id);
        if (strcmp(r->state, "reserved") != 0 && strcmp(r->state, "partial") != 0)
            continue;
        /* Half of the held reservations are acted on: a third of those released. */
        if (fault_rng_below(&d->rng, 2))
            continue;
        fm *x = &d->acts[d->n_acts++];
        memset(x, 0, sizeof *x);
        x->d = d;
        x->stock = 1;
        snprintf(x->msg_id, sizeof x->msg_id, "fz%08x-s%06zu", tag, d->n_acts);
        snprintf(x->rsv_id, sizeof x->rsv_id, "%s", r->id);
        snprintf(x->action, sizeof x->action, "%s",
                 fault_rng_below(&d->rng, 3) == 0 ? "release" : "issue");
    }
    fault_world_free(&w);
}

/* ------------------------------------------------------------------ kills ---- */

static int fault__service_index(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(fault_services[i], name) == 0)
            return i;
    return -1;
}

static void fault__kills(fault_drv *d, int64_t now, double t)
{
    fault_figures *f = &d->res->f;
    if (!d->down && d->next_kill < d->plan.n_kills && d->plan.kills[d->next_kill].at_s <= t &&
        d->ph == PH_LOAD) {
        const fault_kill *k = &d->plan.kills[d->next_kill];
        pid_t pid = hl_stack_pid(d->stack, k->target);
        int rc = hl_stack_kill(d->stack, k->target, SIGKILL);
        if (rc < 0) {
            fault__problem(d->res, "kill %zu: %s was not running", d->next_kill + 1, k->target);
            d->next_kill++;
            return;
        }
        f->kills_done++;
        int si = fault__service_index(k->target);
        if (si >= 0)
            f->kills_by_service[si]++;
        else
            f->kills_of_partners++;
        fault__say(d, "kill %zu/%zu: SIGKILL %s (pid %d), down %.1f s", d->next_kill + 1,
                   d->plan.n_kills, k->target, (int)pid, k->down_s);
        d->down = 1;
        d->restart_at_real = now + (int64_t)(k->down_s * 1000.0);
        return;
    }
    if (d->down && now >= d->restart_at_real) {
        const fault_kill *k = &d->plan.kills[d->next_kill];
        char err[512] = "";
        int64_t t0 = hl_real_now_ms();
        int rc = hl_stack_restart(d->stack, k->target, FAULT_READY_MS, err, sizeof err);
        if (rc < 0) {
            fault__problem(d->res, "restart of %s failed: %s", k->target, err);
            fault__say(d, "restart of %s FAILED: %s", k->target, err);
        } else {
            f->kills_survived++;
            fault__say(d, "restarted %s (pid %d) in %lld ms", k->target,
                       (int)hl_stack_pid(d->stack, k->target), (long long)(hl_real_now_ms() - t0));
        }
        d->down = 0;
        d->next_kill++;
    }
}

/* A child that died by itself is a crash: count it, say where its log is, restart it. */
static void fault__watch(fault_drv *d)
{
    char dead[HL_STACK_NAME_MAX + 1], why[256];
    while (hl_stack_poll(d->stack, dead, sizeof dead, why, sizeof why) > 0) {
        char logp[HL_PATH_MAX + 100];
        hl_stack_log_path(d->stack, dead, logp, sizeof logp);
        d->res->f.crashes++;
        fault__problem(d->res, "crash: %s (see %s)", why, logp);
        fault__say(d, "CRASH: %s; see %s; restarting it", why, logp);
        char err[512];
        if (hl_stack_restart(d->stack, dead, FAULT_READY_MS, err, sizeof err) < 0)
            fault__problem(d->res, "restart of %s after its crash failed: %s", dead, err);
    }
}

/* ---------------------------------------------------------------- settle ---- */

/* Nothing left to do anywhere: every service's outbox empty, no task waiting for delivery,
 * no answer owed by a partner. *sig gets a signature of the stores' sizes so two calm polls
 * in a row with the same signature mean nothing moved in between. */
static int fault__calm(fault_drv *d, uint64_t *sig)
{
    uint64_t s = 0;
    for (int i = 0; i < 5; i++) {
        Hl__Empty e = HL__EMPTY__INIT;
        ProtobufCMessage *m = NULL;
        if (fault__call(d, fault_services[i], "status", &e.base, &hl__service_status__descriptor,
                        2000, &m) < 0)
            return 0;
        Hl__ServiceStatus *st = (Hl__ServiceStatus *)m;
        int busy = st->outbox_pending > 0;
        s = s * 1000003u + st->records;
        protobuf_c_message_free_unpacked(m, NULL);
        if (busy)
            return 0;
    }
    uint64_t n = 0;
    if (fault_store_count(d->cfg.data_dir, "dispatch", "pending", &n) < 0 || n > 0)
        return 0;
    for (size_t u = 0; u < d->n_units; u++) {
        char env[FAULT_ID_MAX + 16];
        snprintf(env, sizeof env, "partner-%s", d->units[u]);
        if (fault_store_count(d->cfg.data_dir, env, "due", &n) < 0 || n > 0)
            return 0;
        uint64_t tasks = 0;
        fault_store_count(d->cfg.data_dir, env, "tasks", &tasks);
        s = s * 1000003u + tasks;
    }
    *sig = s;
    return 1;
}

/* ------------------------------------------------------------------ tick ---- */

static void fault__on_tick(uv_timer_t *h)
{
    fault_drv *d = h->data;
    int64_t now = hl_real_now_ms();
    double t = (double)(now - d->load_start_real) / 1000.0;
    fault__watch(d);
    if (d->ph == PH_LOAD && now >= d->next_stock_real && t >= 2.0) {
        fault__stock_actions(d);
        d->next_stock_real = now + (int64_t)(FAULT_STOCK_EVERY_S * 1000.0);
    }
    /* Send first: a kill planned right after a burst then finds it in the works. */
    fault__send_due(d, now, t);
    fault__kills(d, hl_real_now_ms(), t);

    if (d->ph == PH_LOAD && t >= d->o->seconds && d->next_kill >= d->plan.n_kills && !d->down) {
        d->ph = PH_DRAIN;
        d->settle_start_real = now;
        fault__say(d, "load phase over: %zu messages planned, %zu unanswered; settling", d->n_msgs,
                   fault__unanswered(d));
    }
    if (d->ph == PH_DRAIN && fault__unanswered(d) == 0) {
        d->ph = PH_SETTLE;
        d->next_poll_real = now;
        fault__say(d, "every client message answered (%llu accepted, %llu refused)",
                   (unsigned long long)d->res->f.msgs_accepted,
                   (unsigned long long)d->res->f.msgs_refused);
    }
    if (d->ph == PH_SETTLE && now >= d->next_poll_real) {
        uint64_t sig = 0;
        if (fault__calm(d, &sig)) {
            d->calm_polls = d->calm_polls && sig == d->last_sig ? d->calm_polls + 1 : 1;
            d->last_sig = sig;
        } else {
            d->calm_polls = 0;
        }
        d->next_poll_real = hl_real_now_ms() + 500;
        if (d->calm_polls >= 2) {
            d->res->f.converged = 1;
            d->ph = PH_DONE;
        }
    }
    if ((d->ph == PH_DRAIN || d->ph == PH_SETTLE) &&
        now - d->settle_start_real > (int64_t)(d->o->settle_s * 1000.0)) {
        fault__problem(d->res,
                       "did not settle within %.0f s after the load phase (%zu client "
                       "messages unanswered)",
                       d->o->settle_s, fault__unanswered(d));
        d->ph = PH_DONE;
    }
    if (d->ph == PH_DONE) {
        d->res->f.settle_s = (double)(now - d->settle_start_real) / 1000.0;
        uv_timer_stop(&d->tick);
        uv_stop(&d->loop);
    }
}

/* ------------------------------------------------------------------ setup ---- */

static int fault__start(fault_drv *d, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        d->cfg.base_port =
            d->o->base_port && attempt == 0 ? d->o->base_port : fault__pick_base(attempt);
        int rc = hl_stack_new(&d->cfg, NULL, &d->stack, err, errlen);
        if (rc < 0)
            return rc;
        rc = hl_stack_start_services(d->stack, FAULT_READY_MS, err, errlen);
        if (rc == 0)
            return 0;
        int taken = fault__port_taken(d);
        hl_stack_destroy(&d->stack);
        if (!taken)
            return rc;
        fprintf(stderr, "hazfault: a port of base %d was taken; trying another base\n",
                d->cfg.base_port);
    }
    return HL_EBUSY;
}

/* The roster's units, from dispatch. */
static int fault__units(fault_drv *d, char *err, size_t errlen)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *m = NULL;
    int rc =
        fault__call(d, "dispatch", "dispatch.units", &q.base, &hl__unit_list__descriptor, 5000, &m);
    if (rc < 0) {
        snprintf(err, errlen, "dispatch.units: %s", hl_strerror(rc));
        return rc;
    }
    Hl__UnitList *l = (Hl__UnitList *)m;
    size_t n = l->n_units < FAULT_MAX_UNITS ? l->n_units : FAULT_MAX_UNITS;
    d->units = calloc(n ? n : 1, sizeof *d->units);
    if (!d->units) {
        protobuf_c_message_free_unpacked(m, NULL);
        return HL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(d->units[i], sizeof d->units[i], "%s", l->units[i]->id);
        d->unit_ptrs[i] = d->units[i];
    }
    d->n_units = n;
    protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}

/* One agent per unit: a quick acknowledgement (0 to 1.5 s), and every third unit also
 * reports completion, so both kinds of answer cross the gateway. */
static int fault__partners(fault_drv *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->n_units; i++) {
        double delay = floor(fault_rng_range(&d->rng, 0.0, 1.5) * 10.0) / 10.0;
        const char *complete[] = {"--auto-complete", "1", NULL};
        int rc = hl_stack_start_partner(d->stack, d->units[i], delay, i % 3 == 0 ? complete : NULL,
                                        err, errlen);
        if (rc < 0)
            return rc;
    }
    d->res->f.units = d->n_units;
    return 0;
}

/* --------------------------------------------------------------- collect ---- */

static int fault__collect_stock(fault_drv *d, fault_world *w, char *err, size_t errlen)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *m = NULL;
    int rc = fault__call(d, "stock", "stock.list", &q.base, &hl__stock_list__descriptor, 5000, &m);
    if (rc < 0) {
        snprintf(err, errlen, "stock.list: %s", hl_strerror(rc));
        return rc;
    }
    Hl__StockList *now = (Hl__StockList *)m;
    if (now->truncated)
        fault__problem(d->res, "stock.list was truncated: some levels were not checked");
    ProtobufCMessage *lm = NULL;
    rc =
        fault__call(d, "stock", "stock.ledger", &q.base, &hl__ledger_totals__descriptor, 5000, &lm);
    if (rc < 0)
        fault__problem(d->res, "stock.ledger: %s (received taken from the first list)",
                       hl_strerror(rc));
    else if (((Hl__LedgerTotals *)lm)->truncated)
        fault__problem(d->res, "stock.ledger was truncated: some totals were not checked");
    rc = fault_store_add_stock(w, d->stock_first, now, (Hl__LedgerTotals *)lm);
    protobuf_c_message_free_unpacked(m, NULL);
    if (lm)
        protobuf_c_message_free_unpacked(lm, NULL);
    return rc;
}

static int fault__collect_client(fault_drv *d, fault_world *w)
{
    w->acc = calloc(d->n_msgs ? d->n_msgs : 1, sizeof *w->acc);
    w->act = calloc(d->n_acts ? d->n_acts : 1, sizeof *w->act);
    if (!w->acc || !w->act)
        return HL_ENOMEM;
    for (size_t i = 0; i < d->n_msgs; i++) {
        const fm *x = &d->msgs[i];
        if (x->st != FM_ACCEPTED)
            continue;
        fault_accepted *a = &w->acc[w->n_acc++];
        a->report = x->m->kind == FAULT_MSG_REPORT;
        snprintf(a->msg_id, sizeof a->msg_id, "%s", x->msg_id);
        snprintf(a->incident_id, sizeof a->incident_id, "%s", x->incident_id);
    }
    for (size_t i = 0; i < d->n_acts; i++) {
        const fm *x = &d->acts[i];
        if (x->st != FM_ACCEPTED)
            continue;
        fault_action *a = &w->act[w->n_act++];
        snprintf(a->reservation_id, sizeof a->reservation_id, "%s", x->rsv_id);
        snprintf(a->action, sizeof a->action, "%s", x->action);
    }
    return 0;
}

static int fault__collect_exports(fault_drv *d, fault_world *w)
{
    for (size_t u = 0; u < d->n_units; u++) {
        const char *args[] = {"export", "--unit", d->units[u], "--json", NULL};
        char *out = NULL, err[512] = "";
        int status = 0;
        int rc = hl_stack_capture(d->stack, "hazpartner", args, 30000, FAULT_EXPORT_MAX, &out,
                                  &status, err, sizeof err);
        if (rc == 0 && status == 0)
            rc = fault_store_add_export(w, d->units[u], out, err, sizeof err);
        else if (rc == 0)
            snprintf(err, sizeof err, "hazpartner export exited %d", status), rc = HL_EIO;
        if (rc < 0)
            fault__problem(d->res, "partner %s: %s", d->units[u], err);
        free(out);
    }
    return 0;
}

/* Sanitizer reports in the children's logs (ASan, UBSan, LSan). */
static void fault__scan_logs(fault_drv *d)
{
    char dir[HL_PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/logs", d->cfg.data_dir);
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *de;
    while ((de = readdir(dh))) {
        if (!strstr(de->d_name, ".log"))
            continue;
        char p[HL_PATH_MAX + 300], line[1024];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        FILE *f = fopen(p, "r");
        while (f && fgets(line, sizeof line, f)) {
            if (strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error:") ||
                strstr(line, "ERROR: LeakSanitizer")) {
                d->res->f.sanitizer_reports++;
                line[strcspn(line, "\n")] = '\0';
                fault__problem(d->res, "sanitizer in %s: %.200s", de->d_name, line);
            }
        }
        if (f)
            fclose(f);
    }
    closedir(dh);
}

static void fault__figures(fault_drv *d, const fault_world *w)
{
    fault_figures *f = &d->res->f;
    f->msgs_planned = d->n_msgs;
    f->msgs_unanswered = fault__unanswered(d);
    for (size_t i = 0; i < d->n_msgs; i++)
        d->msgs[i].m->kind == FAULT_MSG_READING ? f->readings++ : f->reports++;
    f->incidents = w->n_inc;
    for (size_t i = 0; i < w->n_inc; i++)
        f->incidents_from_reports += w->inc[i].report;
    uint64_t n = 0;
    if (fault_store_count(d->cfg.data_dir, "alert", "alerts", &n) == 0)
        f->alerts = n;
    f->plans = w->n_plans;
    for (size_t i = 0; i < w->n_stock; i++)
        f->stock_rows_in_ledger += w->stock[i].in_ledger;
    f->reservations = w->n_rsv;
    f->tasks = w->n_tasks;
    for (size_t i = 0; i < w->n_tasks; i++) {
        f->revisions += w->tasks[i].revisions;
        f->withdrawn += fault_task_state_parse(w->tasks[i].state) == FAULT_TS_WITHDRAWN;
    }
    for (size_t i = 0; i < w->n_plans; i++) {
        f->batches += w->plans[i].n_task_ids > 0;
        f->plan_updates += w->plans[i].updates;
    }
    for (size_t i = 0; i < w->n_shown; i++) {
        f->deliveries += w->shown[i].deliveries;
        for (int s = 0; s < FAULT_TS_N; s++)
            f->answers_confirmed += w->shown[i].confirmed[s];
    }
    /* Each applied once: alert → playbook (one per alert), alert → risk (one per incident),
     * playbook → stock, playbook → dispatch (one batch per plan with tasks), dispatch →
     * partner (pushes), partner → dispatch (one receipt per task, and the answers). */
    f->service_messages = f->alerts + f->incidents + f->reservations + f->batches +
                          f->plan_updates + f->deliveries + f->tasks + f->answers_confirmed;
}

/* ------------------------------------------------------------------- run ---- */

static int fault__setup(fault_drv *d, char *err, size_t errlen)
{
    const fault_opts *o = d->o;
    int rc = hl_config_load(NULL, &d->cfg, err, errlen);
    if (rc < 0)
        return rc;
    if (o->dir[0]) {
        snprintf(d->res->dir, sizeof d->res->dir, "%s", o->dir);
    } else {
        snprintf(d->res->dir, sizeof d->res->dir, "/tmp/hazfault_XXXXXX");
        if (!mkdtemp(d->res->dir)) {
            snprintf(err, errlen, "cannot make a temp dir: %s", strerror(errno));
            return HL_EIO;
        }
    }
    snprintf(d->cfg.data_dir, sizeof d->cfg.data_dir, "%s/data", d->res->dir);
    if (o->playbooks[0])
        snprintf(d->cfg.playbook_dir, sizeof d->cfg.playbook_dir, "%s", o->playbooks);
    d->cfg.clock[0] = '\0'; /* real time: no escalation or deadline fires within the run */
    if (hl_stack_remove_tree(d->cfg.data_dir) < 0) {
        snprintf(err, errlen, "cannot empty %s: %s", d->cfg.data_dir, strerror(errno));
        return HL_EIO;
    }
    if (!(d->zctx = zmq_ctx_new()))
        return HL_EZMQ;
    int zero = 0;
    zmq_ctx_set(d->zctx, ZMQ_BLOCKY, zero);
    return 0;
}

static int fault__load(fault_drv *d, char *err, size_t errlen)
{
    const fault_opts *o = d->o;
    fault_plan_params pp = {.seed = o->seed,
                            .seconds = o->seconds,
                            .rate = o->rate,
                            .burst = o->burst,
                            .report_share = o->report_share,
                            .kills = o->kills,
                            .max_down_s = o->max_down_s,
                            .units = d->unit_ptrs,
                            .n_units = d->n_units};
    int rc = fault_plan_make(&pp, &d->plan);
    if (rc < 0) {
        snprintf(err, errlen, "cannot plan the run: %s", hl_strerror(rc));
        return rc;
    }
    d->n_msgs = d->plan.n_msgs;
    d->msgs = calloc(d->n_msgs ? d->n_msgs : 1, sizeof *d->msgs);
    d->acts = calloc(FAULT_MAX_ACTIONS, sizeof *d->acts);
    if (!d->msgs || !d->acts)
        return HL_ENOMEM;
    for (size_t i = 0; i < d->n_msgs; i++) {
        d->msgs[i].d = d;
        d->msgs[i].m = &d->plan.msgs[i];
        snprintf(d->msgs[i].msg_id, sizeof d->msgs[i].msg_id, "%s", d->plan.msgs[i].msg_id);
    }
    /* Stock as it was received, before anything could reserve or issue. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    ProtobufCMessage *m = NULL;
    if ((rc = fault__call(d, "stock", "stock.list", &q.base, &hl__stock_list__descriptor, 5000,
                          &m)) < 0) {
        snprintf(err, errlen, "stock.list before the load: %s", hl_strerror(rc));
        return rc;
    }
    d->stock_first = (Hl__StockList *)m;
    if ((rc = hl_bus_new(&d->loop, NULL, d->cfg.max_msg_bytes, &d->bus)) < 0)
        return rc;
    char ep[160];
    if ((rc = hl_config_endpoint(&d->cfg, "alert", "req", ep, sizeof ep)) < 0 ||
        (rc = hl_client_new(d->bus, ep, NULL, 0, &d->alert)) < 0 ||
        (rc = hl_config_endpoint(&d->cfg, "stock", "req", ep, sizeof ep)) < 0 ||
        (rc = hl_client_new(d->bus, ep, NULL, 0, &d->stockc)) < 0)
        return rc;
    return 0;
}

static void fault__teardown(fault_drv *d)
{
    hl_client_destroy(&d->alert);
    hl_client_destroy(&d->stockc);
    hl_bus_destroy(&d->bus);
    if (d->loop.data == d) {
        if (d->tick_init)
            uv_close((uv_handle_t *)&d->tick, NULL);
        uv_run(&d->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&d->loop) != 0)
            hl_warn("hazfault: loop not closed cleanly");
    }
    hl_stack_destroy(&d->stack);
    if (d->stock_first)
        protobuf_c_message_free_unpacked(&d->stock_first->base, NULL);
    if (d->zctx)
        zmq_ctx_term(d->zctx);
    fault_plan_free(&d->plan);
    free(d->msgs);
    free(d->acts);
    free(d->retry);
    free(d->dups);
    free(d->units);
}

int fault_run(const fault_opts *o, fault_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    fault_drv *d = calloc(1, sizeof *d);
    if (!d)
        return HL_ENOMEM;
    d->o = o;
    d->res = out;
    fault_rng_seed(&d->rng, o->seed ^ 0x73746F636B000000ULL);
    int64_t t0 = hl_real_now_ms();
    fault_world w;
    memset(&w, 0, sizeof w);
    int rc = fault__setup(d, err, errlen);
    if (rc == 0 && uv_loop_init(&d->loop) != 0)
        rc = HL_ENOMEM;
    else if (rc == 0)
        d->loop.data = d;
    if (rc == 0 && (rc = fault__start(d, err, errlen)) == 0 &&
        (rc = fault__units(d, err, errlen)) == 0 && (rc = fault__partners(d, err, errlen)) == 0)
        rc = fault__load(d, err, errlen);
    if (rc < 0) {
        fault__teardown(d);
        free(d);
        return rc;
    }
    out->f.base_port = d->cfg.base_port;
    out->f.kills_planned = d->plan.n_kills;
    if (!o->quiet)
        printf("hazfault: seed %llu, %.0f s of load at %.1f messages/s in bursts of %zu (%zu "
               "planned: readings at %zu station+parameter pairs, incident reports), %zu kills, "
               "%zu partner agents, base port %d, data %s\n",
               (unsigned long long)o->seed, o->seconds, o->rate, o->burst ? o->burst : 1, d->n_msgs,
               d->plan.n_keys, d->plan.n_kills, d->n_units, d->cfg.base_port, d->cfg.data_dir);
    /* Give the partner agents a moment to say hello before the first task exists. */
    usleep(300000);

    d->load_start_real = hl_real_now_ms();
    d->base_ms = hl_now_ms();
    d->next_stock_real = d->load_start_real;
    uv_timer_init(&d->loop, &d->tick);
    d->tick_init = 1;
    d->tick.data = d;
    uv_timer_start(&d->tick, fault__on_tick, 0, FAULT_TICK_MS);
    uv_run(&d->loop, UV_RUN_DEFAULT);

    fault__say(d, "%s after %.1f s; reading the stores",
               out->f.converged ? "settled" : "NOT settled",
               (double)(hl_real_now_ms() - d->settle_start_real) / 1000.0);
    /* Judge: stock's levels while it runs, the rest from the stores once everything has
     * stopped. */
    char why[1024] = "";
    if ((rc = fault__collect_stock(d, &w, why, sizeof why)) < 0)
        fault__problem(out, "stock could not be read: %s", why);
    int killed = hl_stack_stop(d->stack, -1);
    if (killed)
        fault__say(d, "%d process(es) needed SIGKILL to stop", killed);
    why[0] = '\0';
    if ((rc = fault_store_read_alert(d->cfg.data_dir, &w, why, sizeof why)) < 0 ||
        (rc = fault_store_read_playbook(d->cfg.data_dir, &w, why, sizeof why)) < 0 ||
        (rc = fault_store_read_dispatch(d->cfg.data_dir, &w, why, sizeof why)) < 0 ||
        (rc = fault_store_read_reservations(d->cfg.data_dir, &w, why, sizeof why)) < 0)
        fault__problem(out, "a store could not be read: %s", why);
    fault__collect_exports(d, &w);
    if (fault__collect_client(d, &w) < 0)
        fault__problem(out, "out of memory collecting the client's records");
    fault_check_run(&w, &out->v);
    fault__figures(d, &w);
    fault__scan_logs(d);
    out->f.wall_s = (double)(hl_real_now_ms() - t0) / 1000.0;
    out->ok = out->v.ok && out->f.converged && out->f.crashes == 0 &&
              out->f.sanitizer_reports == 0 && out->f.msgs_unanswered == 0 &&
              out->f.msgs_refused == 0 && out->f.kills_survived == out->f.kills_planned &&
              out->f.actions_refused == 0 && out->f.dups_differ == 0 && !out->problems[0];
    fault_world_free(&w);
    fault__teardown(d);
    if (out->ok && !o->keep && !o->dir[0])
        hl_stack_remove_tree(out->dir);
    free(d);
    return 0;
}

/* -------------------------------------------------------------- reporting ---- */

void fault_result_print(const fault_opts *o, const fault_result *r)
{
    const fault_figures *f = &r->f;
    typedef unsigned long long ull;
    printf("\n== hazfault, seed %llu: %s ==\n", (ull)o->seed, r->ok ? "PASS" : "FAIL");
    printf("kills survived:  %zu of %zu (alert %zu, playbook %zu, stock %zu, risk %zu, "
           "dispatch %zu, partner agents %zu)\n",
           f->kills_survived, f->kills_planned, f->kills_by_service[0], f->kills_by_service[1],
           f->kills_by_service[2], f->kills_by_service[3], f->kills_by_service[4],
           f->kills_of_partners);
    printf("messages sent:   %llu client messages (%llu readings and %llu incident reports to "
           "alert, %llu issue/release to stock) in %llu sends: %llu resent with the same "
           "msg_id after no answer, %llu sent again after their answer as if the reply was "
           "lost (%llu answered the same, %llu differently)\n",
           (ull)(f->msgs_planned + f->actions_sent), (ull)f->readings, (ull)f->reports,
           (ull)f->actions_sent, (ull)f->sends, (ull)f->resends, (ull)f->dups_sent,
           (ull)f->dups_same, (ull)f->dups_differ);
    printf("                 %llu accepted, %llu refused, %llu unanswered\n",
           (ull)(f->msgs_accepted + f->actions_accepted),
           (ull)(f->msgs_refused + f->actions_refused), (ull)f->msgs_unanswered);
    printf("                 %llu applied between services and partners: %llu alerts to "
           "playbook, %llu risk queries, %llu reservations, %llu task batches, %llu plan "
           "revisions, %llu pushes (new tasks, revisions, reminders), %llu receipts of new "
           "tasks, %llu answers\n",
           (ull)f->service_messages, (ull)f->alerts, (ull)f->incidents, (ull)f->reservations,
           (ull)f->batches, (ull)f->plan_updates, (ull)f->deliveries, (ull)f->tasks,
           (ull)f->answers_confirmed);
    printf("                 %llu task revisions made by dispatch, %llu tasks withdrawn\n",
           (ull)f->revisions, (ull)f->withdrawn);
    printf("stores:          %llu incidents (%llu from reports), %llu plans, %llu reservations, "
           "%llu tasks to %llu partner agents; %llu stock rows checked against the ledger\n",
           (ull)f->incidents, (ull)f->incidents_from_reports, (ull)f->plans, (ull)f->reservations,
           (ull)f->tasks, (ull)f->units, (ull)f->stock_rows_in_ledger);
    printf("settled:         %s, %.1f s after the load phase; crashes %llu, sanitizer reports "
           "%llu; wall time %.1f s\n",
           f->converged ? "yes" : "NO", f->settle_s, (ull)f->crashes, (ull)f->sanitizer_reports,
           f->wall_s);
    printf("lost:            %llu\n", (ull)r->v.lost);
    printf("applied twice:   %llu\n", (ull)r->v.twice);
    if (r->v.refused)
        printf("refused by playbook (on record, not lost): %llu incidents\n", (ull)r->v.refused);
    printf("invariants:\n");
    for (int i = 0; i < FAULT_INV_N; i++) {
        const fault_inv_result *x = &r->v.inv[i];
        printf("  [%s] %-9s %s (%llu checked", x->problems ? "FAIL" : " ok ", x->name, x->says,
               (ull)x->checked);
        if (x->problems)
            printf("; %llu lost, %llu twice: %s", (ull)x->lost, (ull)x->twice, x->first);
        printf(")\n");
    }
    if (r->problems[0])
        printf("problems: %s\n", r->problems);
    if (!r->ok || o->keep || o->dir[0])
        printf("data and logs kept in %s\n", r->dir);
    fflush(stdout);
}

int fault_result_write_json(const fault_opts *o, const fault_result *r, const char *path)
{
    const fault_figures *f = &r->f;
    json_t *inv = json_array();
    for (int i = 0; inv && i < FAULT_INV_N; i++) {
        const fault_inv_result *x = &r->v.inv[i];
        json_array_append_new(
            inv, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:s}", "name", x->name, "says",
                           x->says, "ok", x->problems == 0, "checked", (json_int_t)x->checked,
                           "lost", (json_int_t)x->lost, "twice", (json_int_t)x->twice, "problems",
                           (json_int_t)x->problems, "first", x->first));
    }
    json_t *kills = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "planned", (json_int_t)f->kills_planned,
        "done", (json_int_t)f->kills_done, "survived", (json_int_t)f->kills_survived, "alert",
        (json_int_t)f->kills_by_service[0], "playbook", (json_int_t)f->kills_by_service[1], "stock",
        (json_int_t)f->kills_by_service[2], "risk", (json_int_t)f->kills_by_service[3], "dispatch",
        (json_int_t)f->kills_by_service[4], "partners", (json_int_t)f->kills_of_partners);
    json_t *msgs = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "planned",
        (json_int_t)f->msgs_planned, "readings", (json_int_t)f->readings, "reports",
        (json_int_t)f->reports, "sends", (json_int_t)f->sends, "resends", (json_int_t)f->resends,
        "accepted", (json_int_t)f->msgs_accepted, "refused", (json_int_t)f->msgs_refused,
        "unanswered", (json_int_t)f->msgs_unanswered, "stock_actions_sent",
        (json_int_t)f->actions_sent, "stock_actions_accepted", (json_int_t)f->actions_accepted,
        "stock_actions_refused", (json_int_t)f->actions_refused, "between_services",
        (json_int_t)f->service_messages, "sent_again_after_answer", (json_int_t)f->dups_sent,
        "answered_the_same", (json_int_t)f->dups_same, "answered_differently",
        (json_int_t)f->dups_differ);
    json_t *stores = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "incidents",
        (json_int_t)f->incidents, "incidents_from_reports", (json_int_t)f->incidents_from_reports,
        "alerts", (json_int_t)f->alerts, "plans", (json_int_t)f->plans, "reservations",
        (json_int_t)f->reservations, "tasks", (json_int_t)f->tasks, "deliveries",
        (json_int_t)f->deliveries, "answers_confirmed", (json_int_t)f->answers_confirmed,
        "plan_updates", (json_int_t)f->plan_updates, "task_revisions", (json_int_t)f->revisions,
        "tasks_withdrawn", (json_int_t)f->withdrawn, "partner_agents", (json_int_t)f->units,
        "stock_rows_in_ledger", (json_int_t)f->stock_rows_in_ledger);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    json_t *doc = json_pack(
        "{s:s, s:f, s:f, s:b, s:o, s:o, s:o, s:I, s:I, s:I, s:b, s:f, s:I, s:I, s:f, s:i, s:o, "
        "s:s, s:s}",
        "seed", seed, "seconds", o->seconds, "rate", o->rate, "ok", r->ok, "kills",
        kills ? kills : json_null(), "messages", msgs ? msgs : json_null(), "stores",
        stores ? stores : json_null(), "lost", (json_int_t)r->v.lost, "applied_twice",
        (json_int_t)r->v.twice, "refused_by_playbook", (json_int_t)r->v.refused, "converged",
        f->converged, "settle_s", f->settle_s, "crashes", (json_int_t)f->crashes,
        "sanitizer_reports", (json_int_t)f->sanitizer_reports, "wall_s", f->wall_s, "base_port",
        f->base_port, "invariants", inv ? inv : json_array(), "problems", r->problems, "dir",
        r->dir);
    if (!doc)
        return HL_ENOMEM;
    int rc = json_dump_file(doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : HL_EIO;
    json_decref(doc);
    return rc;
}
