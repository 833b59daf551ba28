/* hl_svc.c — the imperative shell every service shares.
 *
 * One loop turn's work is one batch: messages received on the request ROUTER, the partner
 * gateway, the outbox DEALERs (replies) and the SUB sockets (events), and timer ticks, are
 * queued by the socket callbacks and applied by one idle callback inside one LMDB write
 * transaction, each in its own nested transaction. Only after the durable commit are the
 * replies sent, the events published, gateway pushes sent and the outbox pumped: nothing
 * is said before it is on disk (DESIGN.md "How nothing gets lost").
 *
 * The outbox pump reads due entries (read transaction), sends them, and keeps the time of
 * the next try in memory; the attempts it made are written to the store by the next batch.
 * After a restart the memory is empty and the stored next-attempt times rule, so whatever
 * was not acknowledged is sent again.
 */
#include "hazlink/hl_svc.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hl_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define BATCH_MAX 2048        /* items applied in one transaction */
#define PUMP_MAX 1000         /* outbox entries sent in one pump */
#define BUSY_RETRY_MS 100     /* retry of a send refused with EAGAIN (peer not connected) */
#define DEAD_TABLE "_dead"
#define READER_CHECK_MS 60000 /* PITFALLS.md: mdb_reader_check at start and now and then */

/* ---- queued work ---- */

typedef enum { IT_REQ, IT_REPLY, IT_EVENT, IT_TIMER } item_kind;

typedef struct sub sub;
typedef struct every every;

typedef struct item {
    item_kind kind;
    int gateway;
    uint8_t *peer; /* routing id (IT_REQ) */
    size_t peer_len;
    uint8_t *data; /* envelope bytes */
    size_t len;
    char *user_id; /* ZAP User-Id, gateway only */
    char *key;     /* ZAP metadata HL_ZAP_PROP_KEY (CURVE gateway only) */
    sub *sub;
    every *every;
    struct item *next;
} item;

/* Something to send once the batch is on disk. */
typedef enum { OUT_REQ, OUT_GW, OUT_PUSH, OUT_PUB } out_kind; /* OUT_PUSH: unsolicited, to
                                                                   the gateway */
typedef struct outmsg {
    out_kind kind;
    uint8_t *peer; /* OUT_REQ/OUT_GW/OUT_PUSH: routing id; OUT_PUB: topic */
    size_t peer_len;
    uint8_t *buf;
    size_t len;
    struct outmsg *next;
} outmsg;

typedef struct outlist {
    outmsg *head, **tail;
} outlist;

struct hl_req__reply {
    char type[HL_TYPE_MAX + 1];
    uint8_t *payload;
    size_t plen;
    int err_code;
    char err_field[HL_NAME_MAX + 1];
    char *err_msg;
    outlist outs; /* events and pushes: kept only if the request's txn commits */
    int sent;     /* hl_svc_send was called */
};

typedef struct handler {
    char type[HL_TYPE_MAX + 1];
    hl_handler_fn fn;
    void *ud;
    int flags;
} handler;

struct sub {
    hl_svc *svc;
    hl_sock *sock;
    hl_handler_fn fn;
    void *ud;
    sub *next;
};

struct every {
    hl_svc *svc;
    uv_timer_t timer;
    hl_handler_fn fn;
    void *ud;
    int queued;
    every *next;
};

typedef struct dest_sock {
    char name[32];
    hl_sock *sock;
} dest_sock;

typedef struct sched {
    uint64_t seq;
    int64_t next_try; /* real ms */
} sched;

/* CURVE gateway: who spoke last from a routing id (printable), to gate pushes. */
typedef struct gw_peer {
    char id[HL_ID_MAX + 1];
    char key[HL_KEY_Z85_LEN + 1];
} gw_peer;

typedef struct touch {
    uint64_t seq;
    int64_t next;
    int dead; /* move to _dead and delete (unknown destination) */
    int del;  /* delete ("pub" entries once published) */
} touch;

struct hl_svc {
    uv_loop_t *loop;
    char name[32];
    hl_config cfg;
    hl_store *store;
    hl_bus *bus;
    hl_sock *req, *pub, *gw;
    hl_keytable *kt;   /* CURVE gateway: borrowed key table; NULL otherwise */
    hl_zap *zap;
    hl_curve gw_curve; /* the gateway's server options, for rebinds */
    uint64_t kt_rev;   /* revision of kt last acted on */
    gw_peer *peers;
    size_t npeers, cappeers;
    handler *handlers;
    size_t nhandlers;
    handler *rhandlers; /* reply handlers */
    size_t nrhandlers;
    sub *subs;
    every *everys;
    dest_sock dests[8];
    size_t ndests;
    item *q_head, **q_tail;
    size_t q_len;
    uv_idle_t work;
    int work_on;
    uv_timer_t pump_timer;
    uv_timer_t reader_timer;
    uv_async_t stop_async;
    uv_signal_t sigint, sigterm;
    int signals_on;
    int handles_open;
    sched *sched;
    size_t nsched, capsched;
    touch *touches;
    size_t ntouches, captouches;
    int pump_wanted;
    char records_table[40];
    int64_t started_ms;
    hl_svc_stats st;
    int stop_rc;
};

/* ---- small helpers ---- */

static void outlist_init(outlist *l)
{
    l->head = NULL;
    l->tail = &l->head;
}

static void outlist_free(outlist *l)
{
    outmsg *m = l->head;
    while (m) {
        outmsg *n = m->next;
        free(m->peer);
        free(m->buf);
        free(m);
        m = n;
    }
    outlist_init(l);
}

/* Move all of src to the end of dst. */
static void outlist_take(outlist *dst, outlist *src)
{
    if (!src->head) return;
    *dst->tail = src->head;
    dst->tail = src->tail;
    outlist_init(src);
}

/* Append a message; buf ownership passes to the list (freed on failure too). */
static int outlist_add(outlist *l, out_kind kind, const void *peer, size_t peer_len,
                       uint8_t *buf, size_t len)
{
    outmsg *m = calloc(1, sizeof *m);
    if (!m) {
        free(buf);
        return HL_ENOMEM;
    }
    m->kind = kind;
    if (peer_len) {
        m->peer = malloc(peer_len);
        if (!m->peer) {
            free(m);
            free(buf);
            return HL_ENOMEM;
        }
        memcpy(m->peer, peer, peer_len);
        m->peer_len = peer_len;
    }
    m->buf = buf;
    m->len = len;
    *l->tail = m;
    l->tail = &m->next;
    return 0;
}

/* Routing ids are bytes; handlers see them printable, with other bytes as \xHH. */
static void peer_print(const uint8_t *p, size_t n, char *out, size_t outn)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < outn; i++) {
        uint8_t c = p[i];
        if (c >= 0x21 && c <= 0x7e && c != '\\') {
            out[k++] = (char)c;
        } else {
            out[k++] = '\\';
            out[k++] = 'x';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = '\0';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Inverse of peer_print. Returns the byte count, or -1. */
static int peer_parse(const char *s, uint8_t *out, size_t outn)
{
    size_t k = 0;
    for (size_t i = 0; s[i]; i++) {
        if (k >= outn) return -1;
        if (s[i] == '\\' && s[i + 1] == 'x') {
            int h = hexval(s[i + 2]), l = h >= 0 ? hexval(s[i + 3]) : -1;
            if (h < 0 || l < 0) return -1;
            out[k++] = (uint8_t)(h << 4 | l);
            i += 3;
        } else {
            out[k++] = (uint8_t)s[i];
        }
    }
    return (int)k;
}

static void replace_str(char **field, const char *v)
{
    if (*field && *field != protobuf_c_empty_string) free(*field);
    *field = (char *)protobuf_c_empty_string;
    if (v && v[0]) {
        char *c = strdup(v);
        if (c) *field = c;
    }
}

static void on_work(uv_idle_t *h);

static void work_kick(hl_svc *s)
{
    if (!s->work_on) {
        s->work_on = 1;
        uv_idle_start(&s->work, on_work);
    }
}

static handler *find_handler(handler *hs, size_t n, const char *type)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(hs[i].type, type) == 0) return &hs[i];
    return NULL;
}

/* ---- the queue ---- */

static void item_free(item *it)
{
    if (!it) return;
    free(it->peer);
    free(it->data);
    free(it->user_id);
    free(it->key);
    free(it);
}

static void enqueue(hl_svc *s, item *it)
{
    it->next = NULL;
    *s->q_tail = it;
    s->q_tail = &it->next;
    s->q_len++;
    work_kick(s);
}

static item *item_from_frame(item_kind kind, const hl_frame *f)
{
    item *it = calloc(1, sizeof *it);
    if (!it) return NULL;
    it->kind = kind;
    it->len = f->len;
    it->data = malloc(f->len ? f->len : 1);
    if (!it->data) {
        free(it);
        return NULL;
    }
    if (f->len) memcpy(it->data, f->data, f->len);
    return it;
}

static void recv_router(hl_sock *sk, const hl_frame *f, size_t n, void *ud, int gateway)
{
    hl_svc *s = ud;
    if (n != 2) {
        /* A DEALER sends one frame, which the ROUTER prefixes with the routing id. */
        s->st.bad_messages++;
        hl_warn("%s: request with %zu frames dropped (expected 2)", s->name, n);
        return;
    }
    item *it = item_from_frame(IT_REQ, &f[1]);
    if (!it) return;
    it->gateway = gateway;
    it->peer = malloc(f[0].len ? f[0].len : 1);
    if (!it->peer) {
        item_free(it);
        return;
    }
    memcpy(it->peer, f[0].data, f[0].len);
    it->peer_len = f[0].len;
    const char *uid = gateway ? hl_sock_user_id(sk) : NULL;
    const char *key = gateway && s->kt ? hl_sock_msg_prop(sk, HL_ZAP_PROP_KEY) : NULL;
    if ((uid && uid[0] && !(it->user_id = strdup(uid))) ||
        (key && key[0] && !(it->key = strdup(key)))) {
        item_free(it);
        return;
    }
    enqueue(s, it);
}

static void recv_req(hl_sock *sk, const hl_frame *f, size_t n, void *ud)
{
    recv_router(sk, f, n, ud, 0);
}

static void recv_gw(hl_sock *sk, const hl_frame *f, size_t n, void *ud)
{
    recv_router(sk, f, n, ud, 1);
}

static void recv_dest(hl_sock *sk, const hl_frame *f, size_t n, void *ud)
{
    (void)sk;
    hl_svc *s = ud;
    item *it = item_from_frame(IT_REPLY, &f[n - 1]);
    if (it) enqueue(s, it);
}

static void recv_sub(hl_sock *sk, const hl_frame *f, size_t n, void *ud)
{
    (void)sk;
    sub *sb = ud;
    if (n != 2) {
        sb->svc->st.bad_messages++;
        hl_warn("%s: event with %zu frames dropped (expected topic and envelope)",
                sb->svc->name, n);
        return;
    }
    item *it = item_from_frame(IT_EVENT, &f[1]);
    if (!it) return;
    it->sub = sb;
    enqueue(sb->svc, it);
}

/* ---- reply building ---- */

/* Pack a reply {new msg_id, correlation_id = corr, type, payload}. */
static int pack_reply(hl_svc *s, const char *corr, const char *type, const uint8_t *payload,
                      size_t plen, uint8_t **buf, size_t *len)
{
    Hl__Envelope *e = NULL;
    int rc = hl_env_build(s->name, type, NULL, corr, NULL, &e);
    if (rc < 0) return rc;
    e->payload.data = (uint8_t *)payload;
    e->payload.len = plen;
    rc = hl_env_pack(e, buf, len);
    e->payload.data = NULL; /* not ours */
    e->payload.len = 0;
    hl_env_free(&e);
    return rc;
}

static int pack_error(hl_svc *s, const Hl__Envelope *req, int code, const char *field,
                      const char *msg, uint8_t **buf, size_t *len)
{
    Hl__Envelope *e = NULL;
    int rc = hl_env_build_error(s->name, req, code, field, msg, &e);
    if (rc < 0) return rc;
    rc = hl_env_pack(e, buf, len);
    hl_env_free(&e);
    return rc;
}

/* ---- handlers' API ---- */

int hl_req_reply(hl_req *r, const char *type, const ProtobufCMessage *m)
{
    if (!r || !r->reply_ || !type) return HL_EINVAL;
    struct hl_req__reply *rp = r->reply_;
    if (strlen(type) > HL_TYPE_MAX) return HL_ETOOBIG;
    uint8_t *p = NULL;
    size_t n = 0;
    if (m) {
        int rc = hl_msg_pack(m, &p, &n);
        if (rc < 0) return rc;
    }
    free(rp->payload);
    rp->payload = p;
    rp->plen = n;
    snprintf(rp->type, sizeof rp->type, "%s", type);
    return 0;
}

int hl_req_fail(hl_req *r, int code, const char *field, const char *fmt, ...)
{
    if (code >= 0) code = HL_EINVAL;
    if (!r || !r->reply_) return code;
    struct hl_req__reply *rp = r->reply_;
    rp->err_code = code;
    snprintf(rp->err_field, sizeof rp->err_field, "%s", field ? field : "");
    free(rp->err_msg);
    rp->err_msg = malloc(HL_TEXT_MAX + 1);
    if (rp->err_msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rp->err_msg, HL_TEXT_MAX + 1, fmt, ap);
        va_end(ap);
    }
    return code;
}

int hl_req_fail_check(hl_req *r, const hl_check *c)
{
    if (!c || c->rc >= 0) return hl_req_fail(r, HL_EINVAL, "", "invalid request");
    return hl_req_fail(r, c->rc, c->field, "%s", c->why);
}

int hl_req_payload(hl_req *r, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    if (!out) return HL_EINVAL;
    *out = NULL;
    if (!r || !r->env || !d) return HL_EINVAL;
    const Hl__Envelope *e = r->env;
    size_t max = r->svc ? r->svc->cfg.max_msg_bytes : HL_MAX_MSG_BYTES;
    if (e->payload.len > max)
        return hl_req_fail(r, HL_ETOOBIG, "payload", "%s payload of %zu bytes is over the limit "
                           "of %zu bytes", e->type, e->payload.len, max);
    ProtobufCMessage *m = hl_msg_unpack(d, e->payload.data, e->payload.len);
    if (!m)
        return hl_req_fail(r, HL_EDECODE, "payload", "%s payload (%zu bytes) is not a %s",
                           e->type, e->payload.len, d->name);
    *out = m;
    return 0;
}

static int known_service(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, hl_service_names[i]) == 0) return 1;
    return 0;
}

int hl_svc_send(hl_req *r, const char *dest, const char *type, const ProtobufCMessage *m,
                const char *idem_key, char *msg_id_out)
{
    if (!r || !r->reply_ || !r->txn || !dest || !type) return HL_EINVAL;
    if (!known_service(dest)) return HL_EINVAL;
    if (idem_key && idem_key[0] && hl_id_check(idem_key) < 0) return HL_EINVAL;
    Hl__Envelope *e = NULL;
    int rc = hl_env_build(r->svc->name, type, m, NULL, idem_key, &e);
    if (rc < 0) return rc;
    uint8_t *buf;
    size_t len;
    if ((rc = hl_env_pack(e, &buf, &len)) == 0) {
        rc = hl_outbox_put(r->txn, dest, e->msg_id, buf, len, NULL);
        free(buf);
    }
    if (rc == 0) {
        if (msg_id_out) snprintf(msg_id_out, HL_ID_MAX + 1, "%s", e->msg_id);
        r->reply_->sent = 1;
    }
    hl_env_free(&e);
    return rc;
}

/* Pack a new unsolicited envelope (event or push) from this service. */
static int pack_new(hl_svc *s, const char *type, const ProtobufCMessage *m, uint8_t **buf,
                    size_t *len)
{
    Hl__Envelope *e = NULL;
    int rc = hl_env_build(s->name, type, m, NULL, NULL, &e);
    if (rc < 0) return rc;
    rc = hl_env_pack(e, buf, len);
    hl_env_free(&e);
    return rc;
}

int hl_svc_publish(hl_req *r, const char *topic, const ProtobufCMessage *m)
{
    if (!r || !r->reply_ || !topic) return HL_EINVAL;
    uint8_t *buf;
    size_t len;
    int rc = pack_new(r->svc, topic, m, &buf, &len);
    if (rc < 0) return rc;
    return outlist_add(&r->reply_->outs, OUT_PUB, topic, strlen(topic), buf, len);
}

int hl_svc_push(hl_req *r, const char *peer, const char *type, const ProtobufCMessage *m)
{
    if (!r || !r->reply_ || !peer || !type) return HL_EINVAL;
    if (!r->svc->gw) return HL_ESTATE;
    uint8_t id[256];
    int n = peer_parse(peer, id, sizeof id);
    if (n <= 0) return HL_EINVAL;
    uint8_t *buf;
    size_t len;
    int rc = pack_new(r->svc, type, m, &buf, &len);
    if (rc < 0) return rc;
    return outlist_add(&r->reply_->outs, OUT_PUSH, id, (size_t)n, buf, len);
}

/* ---- built-in status ---- */

static int status_handler(hl_req *r, void *ud)
{
    (void)ud;
    hl_svc *s = r->svc;
    Hl__ServiceStatus st = HL__SERVICE_STATUS__INIT;
    st.service = s->name;
    st.now_ms = hl_now_ms();
    st.started_ms = s->started_ms;
    st.requests = s->st.requests;
    st.errors = s->st.errors;
    hl_bus_stats bs;
    hl_bus_stats_get(s->bus, &bs);
    st.bad_messages = s->st.bad_messages + bs.dropped_oversize + bs.dropped_frames;
    uint64_t n = 0;
    hl_kv_count(r->txn, "_outbox", &n);
    st.outbox_pending = n;
    n = 0;
    if (s->records_table[0]) hl_kv_count(r->txn, s->records_table, &n);
    st.records = n;
    st.clock_scale = hl_clock_get()->scale;
    return hl_req_reply(r, "status", &st.base);
}

/* ---- the batch ---- */

typedef struct batch {
    hl_svc *s;
    hl_txn *txn;
    outlist outs;
    hl_svc_stats d; /* counters of this attempt, added on success */
    int pump;
    int fatal;      /* HL_EMAPFULL / HL_ESTORE: the whole batch must go */
} batch;

static void reply_free(struct hl_req__reply *rp)
{
    free(rp->payload);
    free(rp->err_msg);
    outlist_free(&rp->outs);
}

static int is_fatal(int rc)
{
    return rc == HL_EMAPFULL || rc == HL_ESTORE;
}

/* Errors worth answering the same way on a resend; transient ones are not remembered. */
static int is_final_error(int code)
{
    return !(code == HL_EBUSY || code == HL_EMAPFULL || code == HL_ESTORE ||
             code == HL_ENOMEM || code == HL_ECLOSED || code == HL_ETIMEOUT);
}

static void queue_error(batch *b, const item *it, const Hl__Envelope *req, int code,
                        const char *field, const char *msg)
{
    uint8_t *buf;
    size_t len;
    b->d.errors++;
    if (pack_error(b->s, req, code, field, msg, &buf, &len) < 0) return;
    outlist_add(&b->outs, it->gateway ? OUT_GW : OUT_REQ, it->peer, it->peer_len, buf, len);
}

/* Run fn in a nested transaction of b->txn. Returns the handler's result (or the error it
 * set with hl_req_fail); *ok says it succeeded. On success keep() (the inbox record, the
 * packed reply) runs in the same nested transaction, which is then committed, or aborted
 * when discard is set (queries: whatever they wrote is dropped). A store failure sets
 * b->fatal: the whole batch is then undone. */
typedef int (*keep_fn)(batch *b, hl_txn *child, struct hl_req__reply *rp, void *ud);

static int run_nested(batch *b, hl_req *r, hl_handler_fn fn, void *ud, int discard,
                      keep_fn keep, void *keep_ud, int *ok)
{
    *ok = 0;
    hl_txn *child = NULL;
    int rc = hl_txn_begin(b->s->store, b->txn, 0, &child);
    if (rc < 0) {
        b->fatal = HL_ESTORE;
        return rc;
    }
    r->txn = child;
    rc = fn(r, ud);
    r->txn = NULL;
    if (is_fatal(rc)) {
        hl_txn_abort(&child);
        b->fatal = rc;
        return rc;
    }
    if (rc < 0 || r->reply_->err_code < 0) {
        hl_txn_abort(&child);
        return rc < 0 ? rc : r->reply_->err_code;
    }
    if (keep && (rc = keep(b, child, r->reply_, keep_ud)) < 0) {
        hl_txn_abort(&child);
        b->fatal = is_fatal(rc) ? rc : HL_ESTORE;
        return rc;
    }
    if (discard) {
        hl_txn_abort(&child);
    } else if ((rc = hl_txn_commit(&child)) < 0) {
        b->fatal = is_fatal(rc) ? rc : HL_ESTORE;
        return rc;
    }
    *ok = 1;
    return 0;
}

typedef struct inbox_keep {
    const char *key;
    const char *corr;
    uint8_t *buf; /* packed reply, kept for sending */
    size_t len;
} inbox_keep;

static int keep_inbox(batch *b, hl_txn *child, struct hl_req__reply *rp, void *ud)
{
    inbox_keep *k = ud;
    int rc = pack_reply(b->s, k->corr, rp->type, rp->payload, rp->plen, &k->buf, &k->len);
    if (rc < 0) return rc;
    if (k->key) rc = hl_inbox_put(child, k->key, k->buf, k->len);
    return rc;
}

/* Replay a stored reply to a repeated request: same reply, correlated to this msg_id. */
static void replay(batch *b, const item *it, const Hl__Envelope *req, const void *stored,
                   size_t slen)
{
    Hl__Envelope *e = NULL;
    if (hl_env_unpack(stored, slen, 0, &e, NULL, 0) < 0) {
        queue_error(b, it, req, HL_ESTORE, "", "stored reply is damaged");
        return;
    }
    if (strcmp(e->correlation_id, req->msg_id) != 0) replace_str(&e->correlation_id, req->msg_id);
    uint8_t *buf;
    size_t len;
    if (hl_env_pack(e, &buf, &len) == 0)
        outlist_add(&b->outs, it->gateway ? OUT_GW : OUT_REQ, it->peer, it->peer_len, buf, len);
    if (e->error) b->d.errors++;
    hl_env_free(&e);
    b->d.replays++;
}

/* ---- CURVE gateway: who may speak, who may be pushed to ---- */

static gw_peer *gw_peer_find(hl_svc *s, const char *id)
{
    for (size_t i = 0; i < s->npeers; i++)
        if (strcmp(s->peers[i].id, id) == 0) return &s->peers[i];
    return NULL;
}

static void gw_peer_forget(hl_svc *s, const char *id)
{
    gw_peer *p = gw_peer_find(s, id);
    if (p) *p = s->peers[--s->npeers];
}

static void gw_peer_set(hl_svc *s, const char *id, const char *key)
{
    gw_peer *p = gw_peer_find(s, id);
    if (!p) {
        /* Bounded: one entry per admitted unit (routing id == unit id is enforced). */
        if (s->npeers == s->cappeers) {
            size_t cap = s->cappeers ? s->cappeers * 2 : 16;
            gw_peer *np = realloc(s->peers, cap * sizeof *np);
            if (!np) return; /* no record: pushes to it are dropped, never misdirected */
            s->peers = np;
            s->cappeers = cap;
        }
        p = &s->peers[s->npeers++];
        snprintf(p->id, sizeof p->id, "%.*s", HL_ID_MAX, id);
    }
    snprintf(p->key, sizeof p->key, "%s", key);
}

/* May this gateway message be handled? 0, or HL_EDENIED with why. */
static int gw_admit(hl_svc *s, const item *it, const char *peer, char *why, size_t whylen)
{
    if (!it->user_id || !it->key) {
        snprintf(why, whylen, "this connection is not authenticated");
        return HL_EDENIED;
    }
    const char *unit = hl_keytable_unit(s->kt, it->key);
    if (!unit || strcmp(unit, it->user_id) != 0) {
        snprintf(why, whylen, "the key unit %s connected with has been revoked", it->user_id);
        return HL_EDENIED;
    }
    if (strcmp(peer, it->user_id) != 0) {
        /* Someone may be holding another unit's routing id: stop pushing to it. */
        gw_peer_forget(s, peer);
        snprintf(why, whylen, "routing id '%.64s' is not the authenticated unit '%s': a "
                 "partner must connect with ZMQ_ROUTING_ID set to its unit id", peer,
                 it->user_id);
        return HL_EDENIED;
    }
    gw_peer_set(s, peer, it->key);
    return 0;
}

/* A push to routing id peer is allowed when its last accepted message came from that unit
 * with a key still admitted. */
static int gw_push_allowed(hl_svc *s, const char *peer)
{
    if (!s->kt) return 1;
    gw_peer *p = gw_peer_find(s, peer);
    if (!p) return 0;
    const char *unit = hl_keytable_unit(s->kt, p->key);
    return unit && strcmp(unit, p->id) == 0;
}

static int gw_rebind(hl_svc *s, const hl_sock_opt *opts, size_t nopts)
{
    int rc = hl_sock_rebind(s->gw, opts, nopts);
    s->npeers = 0;
    s->st.gw_cuts++;
    return rc;
}

/* After a batch: a key revoked since the last look cuts every connection. */
static void gw_check_revocations(hl_svc *s)
{
    if (!s->kt || !s->gw) return;
    uint64_t rev = hl_keytable_revision(s->kt);
    if (rev == s->kt_rev) return;
    s->kt_rev = rev;
    int rc = gw_rebind(s, NULL, 0);
    if (rc < 0)
        hl_error("%s: gateway: cutting connections after a revocation failed: %s", s->name,
                 hl_strerror(rc));
    else
        hl_info("%s: gateway: a key was revoked; every partner connection was cut and must "
                "authenticate again", s->name);
}

static void apply_request(batch *b, item *it)
{
    hl_svc *s = b->s;
    char why[256] = "";
    Hl__Envelope *req = NULL;
    int rc = hl_env_unpack(it->data, it->len, s->cfg.max_msg_bytes, &req, why, sizeof why);
    char peer[HL_ID_MAX * 4 + 8];
    peer_print(it->peer, it->peer_len, peer, sizeof peer);
    if (rc < 0) {
        b->d.bad_messages++;
        hl_warn("%s: bad message from %s: %s", s->name, peer, why);
        /* Correlate the error when the id at least is readable. */
        Hl__Envelope *raw = rc == HL_EINVAL ? hl__envelope__unpack(NULL, it->len, it->data) : NULL;
        queue_error(b, it, raw, rc, "envelope", why);
        if (raw) hl__envelope__free_unpacked(raw, NULL);
        return;
    }
    b->d.requests++;
    const char *auth = NULL;
    if (it->gateway) {
        auth = it->user_id ? it->user_id : peer;
        /* The authenticated unit replaces whatever the partner claims (common.proto). */
        replace_str(&req->sender_unit, auth);
    }
    handler *h = find_handler(s->handlers, s->nhandlers, req->type);
    if (!h) {
        char msg[128];
        snprintf(msg, sizeof msg, "unknown message type '%s'", req->type);
        queue_error(b, it, req, HL_EUNKNOWN, "type", msg);
        goto out;
    }
    if (it->gateway && !(h->flags & HL_H_GATEWAY)) {
        char msg[128];
        snprintf(msg, sizeof msg, "'%s' is not served on the partner gateway", req->type);
        queue_error(b, it, req, HL_EDENIED, "type", msg);
        goto out;
    }
    if (it->gateway && s->kt) {
        char why[256];
        if (gw_admit(s, it, peer, why, sizeof why) < 0) {
            b->d.denied++;
            hl_warn("%s: gateway: %s %s from %s refused: %s", s->name, req->type, req->msg_id,
                    peer, why);
            queue_error(b, it, req, HL_EDENIED, "unit", why);
            goto out;
        }
    }
    if (it->gateway && hl_id_check(auth) < 0) {
        /* The unit is what the inbox and every handler key on: it must be an id. */
        queue_error(b, it, req, HL_EDENIED, "sender_unit",
                    "the connection's identity is not a valid unit id");
        goto out;
    }
    int query = (h->flags & HL_H_QUERY) != 0;
    /* Inbox keys: "r:<key>" for the request socket, "g:<unit>:<key>" on the gateway so one
     * partner cannot collide with (or replay) another's keys; both fit HL_STORE_KEY_MAX. */
    char key[2 * HL_ID_MAX + 8];
    const char *idem = req->idempotency_key[0] ? req->idempotency_key : req->msg_id;
    if (it->gateway)
        snprintf(key, sizeof key, "g:%.*s:%.*s", HL_ID_MAX, auth, HL_ID_MAX, idem);
    else
        snprintf(key, sizeof key, "r:%.*s", HL_ID_MAX, idem);
    if (!query) {
        const void *stored;
        size_t slen;
        rc = hl_inbox_get(b->txn, key, &stored, &slen);
        if (rc == 0) {
            replay(b, it, req, stored, slen);
            goto out;
        }
        if (rc != HL_ENOTFOUND) {
            b->fatal = HL_ESTORE;
            goto out;
        }
    }
    struct hl_req__reply rp;
    memset(&rp, 0, sizeof rp);
    outlist_init(&rp.outs);
    snprintf(rp.type, sizeof rp.type, "%s", req->type);
    hl_req r = {.svc = s, .env = req, .peer = peer, .auth_unit = auth,
                .gateway = it->gateway, .now_ms = hl_now_ms(), .reply_ = &rp};
    inbox_keep k = {.key = query ? NULL : key, .corr = req->msg_id};
    int committed = 0;
    rc = run_nested(b, &r, h->fn, h->ud, query, keep_inbox, &k, &committed);
    if (b->fatal) {
        free(k.buf);
        reply_free(&rp);
        goto out;
    }
    if (committed) {
        outlist_add(&b->outs, it->gateway ? OUT_GW : OUT_REQ, it->peer, it->peer_len, k.buf,
                    k.len);
        if (!query) outlist_take(&b->outs, &rp.outs);
        if (rp.sent) b->pump = 1;
    } else {
        free(k.buf);
        int code = rp.err_code < 0 ? rp.err_code : (rc < 0 ? rc : HL_EINVAL);
        const char *msg = rp.err_msg ? rp.err_msg : hl_strerror(code);
        hl_info("%s: %s %s from %s failed: %s (%s)", s->name, req->type, req->msg_id, peer,
                msg, rp.err_field);
        uint8_t *buf;
        size_t len;
        b->d.errors++;
        if (pack_error(s, req, code, rp.err_field, msg, &buf, &len) == 0) {
            /* A refused request is answered the same way when it comes again. */
            if (!query && is_final_error(code)) {
                int prc = hl_inbox_put(b->txn, key, buf, len);
                if (prc < 0) b->fatal = is_fatal(prc) ? prc : HL_ESTORE;
            }
            outlist_add(&b->outs, it->gateway ? OUT_GW : OUT_REQ, it->peer, it->peer_len, buf,
                        len);
        }
    }
    reply_free(&rp);
out:
    hl_env_free(&req);
}

static handler *find_reply_handler(hl_svc *s, const char *type)
{
    return find_handler(s->rhandlers, s->nrhandlers, type);
}

static void sched_remove(hl_svc *s, uint64_t seq)
{
    for (size_t i = 0; i < s->nsched; i++) {
        if (s->sched[i].seq == seq) {
            s->sched[i] = s->sched[--s->nsched];
            return;
        }
    }
}

/* Keep a failed request in "_dead": the original envelope with the error attached. */
static int put_dead(hl_txn *t, const Hl__Envelope *orig, const Hl__Error *error)
{
    Hl__Envelope copy = *orig;
    Hl__Error none = HL__ERROR__INIT;
    copy.error = (Hl__Error *)(error ? error : &none);
    uint8_t *buf;
    size_t len;
    int rc = hl_env_pack(&copy, &buf, &len);
    if (rc < 0) return rc;
    rc = hl_kv_put(t, DEAD_TABLE, orig->msg_id, buf, len);
    free(buf);
    return rc;
}

static int sched_set(hl_svc *s, uint64_t seq, int64_t next);

static void apply_reply(batch *b, item *it)
{
    hl_svc *s = b->s;
    char why[256] = "";
    Hl__Envelope *rep = NULL, *orig = NULL;
    int rc = hl_env_unpack(it->data, it->len, s->cfg.max_msg_bytes, &rep, why, sizeof why);
    if (rc < 0) {
        b->d.bad_messages++;
        hl_warn("%s: bad reply dropped: %s", s->name, why);
        return;
    }
    uint64_t seq;
    rc = hl_outbox_find(b->txn, rep->correlation_id, &seq);
    if (rc == HL_ENOTFOUND) {
        /* A second reply to a resent request, or to something already handled. */
        hl_debug("%s: reply %s to %s matches no outbox entry; dropped", s->name, rep->msg_id,
                 rep->correlation_id);
        goto out;
    }
    hl_outbox_item ob;
    if (rc < 0 || (rc = hl_outbox_get(b->txn, seq, &ob)) < 0) {
        b->fatal = HL_ESTORE;
        goto out;
    }
    if (hl_env_unpack(ob.env_bytes, ob.env_len, 0, &orig, why, sizeof why) < 0) {
        hl_error("%s: outbox entry %llu is damaged (%s); dropped", s->name,
                 (unsigned long long)seq, why);
    }
    if (rep->error && !is_final_error(rep->error->code)) {
        /* The receiver could not apply it now (storage full, busy …) and did not remember the
         * answer: the message stays in the outbox and goes again after the resend interval. */
        hl_warn("%s: %s %s to %s not applied yet: %s: %s; resending in %d ms", s->name,
                orig ? orig->type : "?", rep->correlation_id, ob.dest,
                hl_strerror(rep->error->code), rep->error->message, s->cfg.resend_ms);
        if (sched_set(s, seq, hl_real_now_ms() + s->cfg.resend_ms) < 0) b->fatal = HL_ENOMEM;
        b->pump = 1;
        goto out;
    }
    if (rep->error) {
        hl_warn("%s: %s %s to %s refused: %s: %s (%s)", s->name, orig ? orig->type : "?",
                rep->correlation_id, ob.dest, hl_strerror(rep->error->code),
                rep->error->message, rep->error->field);
        if (orig && (rc = put_dead(b->txn, orig, rep->error)) < 0) {
            b->fatal = is_fatal(rc) ? rc : HL_ESTORE;
            goto out;
        }
    }
    handler *h = orig ? find_reply_handler(s, orig->type) : NULL;
    if (h) {
        struct hl_req__reply rp;
        memset(&rp, 0, sizeof rp);
        outlist_init(&rp.outs);
        hl_req r = {.svc = s, .env = rep, .orig = orig, .peer = "", .now_ms = hl_now_ms(),
                    .reply_ = &rp};
        int committed = 0;
        rc = run_nested(b, &r, h->fn, h->ud, 0, NULL, NULL, &committed);
        if (b->fatal) {
            reply_free(&rp);
            goto out;
        }
        if (committed) {
            outlist_take(&b->outs, &rp.outs);
            if (rp.sent) b->pump = 1;
        } else {
            hl_error("%s: reply handler for %s failed: %s", s->name, orig->type,
                     rp.err_msg ? rp.err_msg : hl_strerror(rc));
        }
        reply_free(&rp);
    }
    if ((rc = hl_outbox_del(b->txn, seq)) < 0 && rc != HL_ENOTFOUND) {
        b->fatal = is_fatal(rc) ? rc : HL_ESTORE;
        goto out;
    }
    b->d.outbox_acked++;
out:
    hl_env_free(&orig);
    hl_env_free(&rep);
}

static int keep_event(batch *b, hl_txn *child, struct hl_req__reply *rp, void *ud)
{
    (void)b, (void)rp;
    return hl_inbox_put(child, ud, "", 0);
}

static void apply_event(batch *b, item *it)
{
    hl_svc *s = b->s;
    char why[256] = "";
    Hl__Envelope *ev = NULL;
    if (hl_env_unpack(it->data, it->len, s->cfg.max_msg_bytes, &ev, why, sizeof why) < 0) {
        b->d.bad_messages++;
        hl_warn("%s: bad event dropped: %s", s->name, why);
        return;
    }
    char key[HL_ID_MAX + 8];
    snprintf(key, sizeof key, "e:%s", ev->msg_id);
    const void *v;
    size_t n;
    int rc = hl_inbox_get(b->txn, key, &v, &n);
    if (rc == 0) {
        b->d.replays++;
        goto out;
    }
    struct hl_req__reply rp;
    memset(&rp, 0, sizeof rp);
    outlist_init(&rp.outs);
    hl_req r = {.svc = s, .env = ev, .peer = "", .now_ms = hl_now_ms(), .reply_ = &rp};
    int committed = 0;
    rc = run_nested(b, &r, it->sub->fn, it->sub->ud, 0, keep_event, key, &committed);
    if (!b->fatal) {
        if (committed) {
            outlist_take(&b->outs, &rp.outs);
            if (rp.sent) b->pump = 1;
        } else {
            hl_error("%s: event %s %s not applied: %s", s->name, ev->type, ev->msg_id,
                     rp.err_msg ? rp.err_msg : hl_strerror(rc));
        }
    }
    reply_free(&rp);
out:
    hl_env_free(&ev);
}

static void apply_timer(batch *b, item *it)
{
    hl_svc *s = b->s;
    struct hl_req__reply rp;
    memset(&rp, 0, sizeof rp);
    outlist_init(&rp.outs);
    hl_req r = {.svc = s, .peer = "", .now_ms = hl_now_ms(), .reply_ = &rp};
    int committed = 0;
    int rc = run_nested(b, &r, it->every->fn, it->every->ud, 0, NULL, NULL, &committed);
    if (!b->fatal) {
        if (committed) {
            outlist_take(&b->outs, &rp.outs);
            if (rp.sent) b->pump = 1;
        } else {
            hl_error("%s: timer handler failed: %s", s->name,
                     rp.err_msg ? rp.err_msg : hl_strerror(rc));
        }
    }
    reply_free(&rp);
}

/* Write the pump's attempts (and drops) into the batch transaction. */
static int apply_touches(batch *b)
{
    hl_svc *s = b->s;
    for (size_t i = 0; i < s->ntouches; i++) {
        touch *t = &s->touches[i];
        int rc;
        if (t->dead) {
            hl_outbox_item ob;
            rc = hl_outbox_get(b->txn, t->seq, &ob);
            if (rc == 0) {
                Hl__Envelope *orig = NULL;
                if (hl_env_unpack(ob.env_bytes, ob.env_len, 0, &orig, NULL, 0) == 0) {
                    Hl__Error er = HL__ERROR__INIT;
                    er.code = HL_ENOTFOUND;
                    er.message = "unknown destination service";
                    rc = put_dead(b->txn, orig, &er);
                    hl_env_free(&orig);
                    if (rc < 0) return rc;
                }
                rc = hl_outbox_del(b->txn, t->seq);
            }
        } else if (t->del) {
            rc = hl_outbox_del(b->txn, t->seq);
        } else {
            rc = hl_outbox_touch(b->txn, t->seq, t->next);
        }
        if (rc < 0 && rc != HL_ENOTFOUND) return rc;
    }
    return 0;
}

static void pump(hl_svc *s);

static void send_outs(hl_svc *s, outlist *l)
{
    for (outmsg *m = l->head; m; m = m->next) {
        int rc;
        if (m->kind == OUT_PUB) {
            hl_frame f[2] = {{m->peer, m->peer_len}, {m->buf, m->len}};
            rc = hl_sock_sendv(s->pub, f, 2);
            if (rc < 0) hl_debug("%s: event not published: %s", s->name, hl_strerror(rc));
            continue;
        }
        hl_sock *sk = m->kind == OUT_REQ ? s->req : s->gw;
        if (!sk) continue;
        char peer[HL_ID_MAX * 4 + 8];
        peer_print(m->peer, m->peer_len, peer, sizeof peer);
        if (m->kind == OUT_PUSH && !gw_push_allowed(s, peer)) {
            s->st.pushes_dropped++;
            hl_debug("%s: push to %s dropped: no authenticated message from it since its "
                     "last connection change", s->name, peer);
            continue;
        }
        hl_frame f[2] = {{m->peer, m->peer_len}, {m->buf, m->len}};
        rc = hl_sock_sendv(sk, f, 2);
        if (rc < 0) {
            if (rc == HL_ENOTFOUND && m->kind != OUT_REQ) gw_peer_forget(s, peer);
            /* The peer went away: it will ask again and get the stored reply. */
            if (rc == HL_ENOTFOUND)
                hl_debug("%s: peer %s gone; message not sent", s->name, peer);
            else
                hl_warn("%s: send to %s: %s", s->name, peer, hl_strerror(rc));
        }
    }
}

/* One attempt at the batch; returns 0 or the fatal error. */
static int batch_try(hl_svc *s, item *items, batch *b)
{
    memset(b, 0, sizeof *b);
    b->s = s;
    outlist_init(&b->outs);
    int rc = hl_txn_begin(s->store, NULL, 0, &b->txn);
    if (rc < 0) return rc == HL_EBUSY ? HL_ESTORE : rc;
    if ((rc = apply_touches(b)) < 0) {
        b->fatal = is_fatal(rc) ? rc : HL_ESTORE;
    }
    for (item *it = items; it && !b->fatal; it = it->next) {
        switch (it->kind) {
        case IT_REQ: apply_request(b, it); break;
        case IT_REPLY: apply_reply(b, it); break;
        case IT_EVENT: apply_event(b, it); break;
        case IT_TIMER: apply_timer(b, it); break;
        }
    }
    if (b->fatal) {
        hl_txn_abort(&b->txn);
        outlist_free(&b->outs);
        return b->fatal;
    }
    rc = hl_txn_commit(&b->txn);
    if (rc < 0) {
        outlist_free(&b->outs);
        return is_fatal(rc) ? rc : HL_ESTORE;
    }
    return 0;
}

static void process_batch(hl_svc *s)
{
    /* Take up to BATCH_MAX items off the queue. */
    item *items = s->q_head, *last = NULL;
    size_t n = 0;
    for (item *it = items; it && n < BATCH_MAX; it = it->next) last = it, n++;
    if (last) {
        s->q_head = last->next;
        last->next = NULL;
        if (!s->q_head) s->q_tail = &s->q_head;
        s->q_len -= n;
    } else {
        items = NULL;
    }
    for (item *it = items; it; it = it->next)
        if (it->kind == IT_TIMER) it->every->queued = 0;

    batch b;
    int rc = batch_try(s, items, &b);
    if (rc == HL_EMAPFULL) {
        hl_warn("%s: store map full; growing and retrying the batch", s->name);
        if (hl_store_grow(s->store) == 0) rc = batch_try(s, items, &b);
    }
    if (rc < 0) {
        /* Nothing of the batch was applied: say so to every requester. */
        hl_error("%s: batch of %zu not applied: %s", s->name, n, hl_strerror(rc));
        outlist fails;
        outlist_init(&fails);
        for (item *it = items; it; it = it->next) {
            if (it->kind != IT_REQ) continue;
            Hl__Envelope *req = NULL;
            hl_env_unpack(it->data, it->len, s->cfg.max_msg_bytes, &req, NULL, 0);
            uint8_t *buf;
            size_t len;
            if (pack_error(s, req, rc, "", "the service could not store this request; try again",
                           &buf, &len) == 0)
                outlist_add(&fails, it->gateway ? OUT_GW : OUT_REQ, it->peer, it->peer_len,
                            buf, len);
            hl_env_free(&req);
            s->st.errors++;
        }
        send_outs(s, &fails);
        outlist_free(&fails);
        /* The pump's records are lost with the batch; what they dropped is tried again. */
        for (size_t i = 0; i < s->ntouches; i++)
            if (s->touches[i].dead || s->touches[i].del) sched_remove(s, s->touches[i].seq);
        s->ntouches = 0;
    } else {
        s->ntouches = 0;
        s->st.requests += b.d.requests;
        s->st.errors += b.d.errors;
        s->st.bad_messages += b.d.bad_messages;
        s->st.replays += b.d.replays;
        s->st.outbox_acked += b.d.outbox_acked;
        s->st.denied += b.d.denied;
        s->st.commits++;
        send_outs(s, &b.outs);
        outlist_free(&b.outs);
        if (b.pump) s->pump_wanted = 1;
    }
    gw_check_revocations(s);
    while (items) {
        item *nx = items->next;
        item_free(items);
        items = nx;
    }
}

static void on_work(uv_idle_t *h)
{
    hl_svc *s = h->data;
    if (s->q_head || s->ntouches) process_batch(s);
    if (s->pump_wanted) {
        s->pump_wanted = 0;
        pump(s);
    }
    if (!s->q_head && !s->ntouches && !s->pump_wanted && s->work_on) {
        s->work_on = 0;
        uv_idle_stop(&s->work);
    }
}

/* ---- outbox pump ---- */

static hl_sock *dest_sock_get(hl_svc *s, const char *dest)
{
    for (size_t i = 0; i < s->ndests; i++)
        if (strcmp(s->dests[i].name, dest) == 0) return s->dests[i].sock;
    if (s->ndests == sizeof s->dests / sizeof *s->dests) return NULL;
    char ep[128];
    if (hl_config_endpoint(&s->cfg, dest, "req", ep, sizeof ep) < 0) return NULL;
    /* IMMEDIATE: while the destination is down, sends fail at once instead of piling up
     * copies in a queue; the outbox is what keeps the message. */
    int one = 1;
    hl_sock_opt o = {ZMQ_IMMEDIATE, &one, sizeof one};
    hl_sock *sk = NULL;
    if (hl_sock_open_opts(s->bus, ZMQ_DEALER, ep, 0, &o, 1, recv_dest, s, &sk) < 0) return NULL;
    snprintf(s->dests[s->ndests].name, sizeof s->dests[0].name, "%s", dest);
    s->dests[s->ndests++].sock = sk;
    return sk;
}

static int sched_set(hl_svc *s, uint64_t seq, int64_t next)
{
    for (size_t i = 0; i < s->nsched; i++) {
        if (s->sched[i].seq == seq) {
            s->sched[i].next_try = next;
            return 0;
        }
    }
    if (s->nsched == s->capsched) {
        size_t cap = s->capsched ? s->capsched * 2 : 64;
        sched *p = realloc(s->sched, cap * sizeof *p);
        if (!p) return HL_ENOMEM;
        s->sched = p;
        s->capsched = cap;
    }
    s->sched[s->nsched++] = (sched){seq, next};
    return 0;
}

static int64_t sched_get(hl_svc *s, uint64_t seq, int64_t stored)
{
    for (size_t i = 0; i < s->nsched; i++)
        if (s->sched[i].seq == seq) return s->sched[i].next_try;
    return stored;
}

static int touch_add(hl_svc *s, touch t)
{
    if (s->ntouches == s->captouches) {
        size_t cap = s->captouches ? s->captouches * 2 : 64;
        touch *p = realloc(s->touches, cap * sizeof *p);
        if (!p) return HL_ENOMEM;
        s->touches = p;
        s->captouches = cap;
    }
    s->touches[s->ntouches++] = t;
    return 0;
}

typedef struct due {
    uint64_t seq;
    char dest[32];
    uint8_t *buf;
    size_t len;
    char type[HL_TYPE_MAX + 1];
} due;

typedef struct pump_scan {
    hl_svc *s;
    int64_t now;
    int64_t next_due;
    due *due;
    size_t ndue;
} pump_scan;

static int pump_collect(const hl_outbox_item *ob, void *ud)
{
    pump_scan *ps = ud;
    int64_t t = sched_get(ps->s, ob->seq, ob->next_attempt_real_ms);
    if (t > ps->now || ps->ndue >= PUMP_MAX) {
        if (t < ps->next_due) ps->next_due = t > ps->now ? t : ps->now + 1;
        return 0;
    }
    due *d = &ps->due[ps->ndue];
    d->seq = ob->seq;
    snprintf(d->dest, sizeof d->dest, "%s", ob->dest);
    d->buf = malloc(ob->env_len ? ob->env_len : 1);
    if (!d->buf) return HL_ENOMEM;
    memcpy(d->buf, ob->env_bytes, ob->env_len);
    d->len = ob->env_len;
    d->type[0] = '\0';
    ps->ndue++;
    return 0;
}

static void on_pump_timer(uv_timer_t *h)
{
    hl_svc *s = h->data;
    s->pump_wanted = 1;
    work_kick(s);
}

static void pump(hl_svc *s)
{
    pump_scan ps = {.s = s, .now = hl_real_now_ms(), .next_due = INT64_MAX};
    ps.due = calloc(PUMP_MAX, sizeof *ps.due);
    if (!ps.due) return;
    hl_txn *t = NULL;
    if (hl_txn_begin(s->store, NULL, 1, &t) < 0) {
        free(ps.due);
        uv_timer_start(&s->pump_timer, on_pump_timer, (uint64_t)s->cfg.resend_ms, 0);
        return;
    }
    hl_outbox_scan(t, pump_collect, &ps);
    hl_txn_abort(&t);
    for (size_t i = 0; i < ps.ndue; i++) {
        due *d = &ps.due[i];
        int64_t next = ps.now + s->cfg.resend_ms;
        if (strcmp(d->dest, "pub") == 0) {
            /* An event written to the outbox by hand: publish once, then forget. */
            Hl__Envelope *e = NULL;
            if (hl_env_unpack(d->buf, d->len, 0, &e, NULL, 0) == 0) {
                hl_frame f[2] = {{e->type, strlen(e->type)}, {d->buf, d->len}};
                hl_sock_sendv(s->pub, f, 2);
                hl_env_free(&e);
            }
            touch_add(s, (touch){.seq = d->seq, .del = 1});
            sched_set(s, d->seq, INT64_MAX);
            continue;
        }
        hl_sock *sk = known_service(d->dest) ? dest_sock_get(s, d->dest) : NULL;
        if (!sk) {
            hl_error("%s: outbox entry %llu for unknown destination '%s' moved to %s", s->name,
                     (unsigned long long)d->seq, d->dest, DEAD_TABLE);
            touch_add(s, (touch){.seq = d->seq, .dead = 1});
            sched_set(s, d->seq, INT64_MAX);
            continue;
        }
        hl_frame f = {d->buf, d->len};
        int rc = hl_sock_sendv(sk, &f, 1);
        if (rc == 0) {
            s->st.outbox_sent++;
            touch_add(s, (touch){.seq = d->seq, .next = next});
        } else if (rc == HL_EBUSY) {
            /* Not connected (yet): nothing was sent, try again soon. */
            next = ps.now + (s->cfg.resend_ms < BUSY_RETRY_MS ? s->cfg.resend_ms : BUSY_RETRY_MS);
        } else {
            hl_warn("%s: outbox send to %s: %s", s->name, d->dest, hl_strerror(rc));
        }
        sched_set(s, d->seq, next);
        if (next < ps.next_due) ps.next_due = next;
    }
    for (size_t i = 0; i < ps.ndue; i++) free(ps.due[i].buf);
    free(ps.due);
    if (ps.ndue == PUMP_MAX) ps.next_due = ps.now; /* more waiting */
    if (ps.next_due != INT64_MAX) {
        int64_t wait = ps.next_due - hl_real_now_ms();
        uv_timer_start(&s->pump_timer, on_pump_timer, wait > 0 ? (uint64_t)wait : 0, 0);
    } else {
        uv_timer_stop(&s->pump_timer);
    }
    if (s->ntouches) work_kick(s);
}

/* ---- timers ---- */

static void on_every(uv_timer_t *h)
{
    every *e = h->data;
    if (e->queued) return; /* the previous tick has not run yet */
    item *it = calloc(1, sizeof *it);
    if (!it) return;
    it->kind = IT_TIMER;
    it->every = e;
    e->queued = 1;
    enqueue(e->svc, it);
}

/* ---- life cycle ---- */

static void on_handle_closed(uv_handle_t *h)
{
    hl_svc *s = h->data;
    s->handles_open--;
}

static void on_every_closed(uv_handle_t *h)
{
    every *e = h->data;
    e->svc->handles_open--;
    free(e);
}

static void on_reader_check(uv_timer_t *h)
{
    hl_svc *s = h->data;
    hl_store_reader_check(s->store, NULL);
}

static void on_stop(uv_async_t *a)
{
    hl_svc *s = a->data;
    uv_stop(s->loop);
}

int hl_svc_new(uv_loop_t *loop, const char *name, const hl_config *cfg, hl_svc **out,
               char *err, size_t errlen)
{
    if (!loop || !name || !cfg || !out) return HL_EINVAL;
    *out = NULL;
    char ep[128], dir[HL_PATH_MAX + 40];
    if (!known_service(name)) {
        hl__errf(err, errlen, "unknown service name '%s'", name);
        return HL_EINVAL;
    }
    hl_svc *s = calloc(1, sizeof *s);
    if (!s) return HL_ENOMEM;
    s->loop = loop;
    snprintf(s->name, sizeof s->name, "%s", name);
    s->cfg = *cfg;
    if (s->cfg.max_msg_bytes == 0) s->cfg.max_msg_bytes = HL_MAX_MSG_BYTES;
    if (s->cfg.resend_ms <= 0) s->cfg.resend_ms = 1000;
    s->q_tail = &s->q_head;
    s->started_ms = hl_now_ms();
    int rc = hl_config_path(cfg, name, dir, sizeof dir);
    if (rc < 0) {
        hl__errf(err, errlen, "data folder path for %s is too long", name);
        free(s);
        return rc;
    }
    if ((rc = hl_store_open(dir, cfg->map_size, &s->store, err, errlen)) < 0) {
        free(s);
        return rc;
    }
    /* The bus lets through twice the envelope limit so that an oversize envelope reaches
     * the service and gets an HL_ETOOBIG reply; beyond that the bus drops and counts. */
    if ((rc = hl_bus_new(loop, NULL, s->cfg.max_msg_bytes * 2, &s->bus)) < 0) {
        hl__errf(err, errlen, "cannot start ZeroMQ: %s", hl_strerror(rc));
        hl_store_destroy(&s->store);
        free(s);
        return rc;
    }
    hl_config_bind_endpoint(cfg, name, "req", ep, sizeof ep);
    if ((rc = hl_sock_open(s->bus, ZMQ_ROUTER, ep, 1, recv_req, s, &s->req)) < 0) {
        hl__errf(err, errlen, "cannot bind %s requests at %s: %s", name, ep, zmq_strerror(errno));
        goto fail;
    }
    hl_config_bind_endpoint(cfg, name, "pub", ep, sizeof ep);
    if ((rc = hl_sock_open(s->bus, ZMQ_PUB, ep, 1, NULL, NULL, &s->pub)) < 0) {
        hl__errf(err, errlen, "cannot bind %s events at %s: %s", name, ep, zmq_strerror(errno));
        goto fail;
    }
    uv_idle_init(loop, &s->work);
    s->work.data = s;
    uv_timer_init(loop, &s->pump_timer);
    s->pump_timer.data = s;
    uv_async_init(loop, &s->stop_async, on_stop);
    s->stop_async.data = s;
    uv_timer_init(loop, &s->reader_timer);
    s->reader_timer.data = s;
    uv_timer_start(&s->reader_timer, on_reader_check, READER_CHECK_MS, READER_CHECK_MS);
    uv_unref((uv_handle_t *)&s->reader_timer);
    s->handles_open = 4;
    hl_svc_on(s, "status", status_handler, NULL, HL_H_QUERY);
    /* Connect to the other services now rather than on the first message for each: ZeroMQ
     * connects in the background, so the first outbox message of an incident finds the
     * connection up instead of waiting BUSY_RETRY_MS (ZMQ_IMMEDIATE refuses sends until then). */
    for (int i = 0; i < 5; i++)
        if (strcmp(hl_service_names[i], name) != 0) (void)dest_sock_get(s, hl_service_names[i]);
    /* Whatever a previous run left in the outbox goes out now. */
    s->pump_wanted = 1;
    work_kick(s);
    *out = s;
    return 0;
fail:
    hl_bus_destroy(&s->bus);
    hl_store_destroy(&s->store);
    free(s);
    return rc;
}

void hl_svc_destroy(hl_svc **sp)
{
    if (!sp || !*sp) return;
    hl_svc *s = *sp;
    *sp = NULL;
    if (s->signals_on) {
        uv_close((uv_handle_t *)&s->sigint, on_handle_closed);
        uv_close((uv_handle_t *)&s->sigterm, on_handle_closed);
        s->signals_on = 0;
    }
    uv_close((uv_handle_t *)&s->work, on_handle_closed);
    uv_close((uv_handle_t *)&s->pump_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->reader_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->stop_async, on_handle_closed);
    for (every *e = s->everys; e;) {
        every *nx = e->next;
        uv_close((uv_handle_t *)&e->timer, on_every_closed);
        e = nx;
    }
    hl_zap_destroy(&s->zap);
    hl_bus_destroy(&s->bus);
    while (s->handles_open > 0) uv_run(s->loop, UV_RUN_NOWAIT);
    hl_store_destroy(&s->store);
    while (s->q_head) {
        item *nx = s->q_head->next;
        item_free(s->q_head);
        s->q_head = nx;
    }
    for (sub *b = s->subs; b;) {
        sub *nx = b->next;
        free(b);
        b = nx;
    }
    free(s->handlers);
    free(s->rhandlers);
    free(s->sched);
    free(s->touches);
    free(s->peers);
    memset(&s->gw_curve, 0, sizeof s->gw_curve); /* holds the gateway's secret key */
    free(s);
}

const char *hl_svc_name(const hl_svc *s)
{
    return s ? s->name : NULL;
}

const hl_config *hl_svc_config(const hl_svc *s)
{
    return s ? &s->cfg : NULL;
}

hl_store *hl_svc_store(hl_svc *s)
{
    return s ? s->store : NULL;
}

hl_bus *hl_svc_bus(hl_svc *s)
{
    return s ? s->bus : NULL;
}

static int add_handler(handler **hs, size_t *n, const char *type, hl_handler_fn fn, void *ud,
                       int flags)
{
    if (!type || !fn) return HL_EINVAL;
    if (strlen(type) == 0) return HL_EINVAL;
    if (strlen(type) > HL_TYPE_MAX) return HL_ETOOBIG;
    if (find_handler(*hs, *n, type)) return HL_EEXIST;
    handler *p = realloc(*hs, (*n + 1) * sizeof *p);
    if (!p) return HL_ENOMEM;
    *hs = p;
    snprintf(p[*n].type, sizeof p[*n].type, "%s", type);
    p[*n].fn = fn;
    p[*n].ud = ud;
    p[*n].flags = flags;
    (*n)++;
    return 0;
}

int hl_svc_on(hl_svc *s, const char *type, hl_handler_fn fn, void *ud, int flags)
{
    if (!s) return HL_EINVAL;
    return add_handler(&s->handlers, &s->nhandlers, type, fn, ud, flags);
}

int hl_svc_on_reply(hl_svc *s, const char *type, hl_handler_fn fn, void *ud)
{
    if (!s) return HL_EINVAL;
    return add_handler(&s->rhandlers, &s->nrhandlers, type, fn, ud, 0);
}

int hl_svc_subscribe(hl_svc *s, const char *endpoint, const char *topic_prefix,
                     hl_handler_fn fn, void *ud)
{
    if (!s || !endpoint || !fn) return HL_EINVAL;
    sub *b = calloc(1, sizeof *b);
    if (!b) return HL_ENOMEM;
    b->svc = s;
    b->fn = fn;
    b->ud = ud;
    int rc = hl_sock_open(s->bus, ZMQ_SUB, endpoint, 0, recv_sub, b, &b->sock);
    if (rc == 0) rc = hl_sock_subscribe(b->sock, topic_prefix ? topic_prefix : "");
    if (rc < 0) {
        hl_sock_close(&b->sock);
        free(b);
        return rc;
    }
    b->next = s->subs;
    s->subs = b;
    return 0;
}

int hl_svc_every(hl_svc *s, int64_t interval_real_ms, hl_handler_fn fn, void *ud)
{
    if (!s || !fn || interval_real_ms <= 0) return HL_EINVAL;
    every *e = calloc(1, sizeof *e);
    if (!e) return HL_ENOMEM;
    e->svc = s;
    e->fn = fn;
    e->ud = ud;
    uv_timer_init(s->loop, &e->timer);
    e->timer.data = e;
    s->handles_open++;
    uv_timer_start(&e->timer, on_every, (uint64_t)interval_real_ms, (uint64_t)interval_real_ms);
    e->next = s->everys;
    s->everys = e;
    return 0;
}

int hl_svc_gateway(hl_svc *s, const char *endpoint, const hl_sock_opt *opts, size_t nopts)
{
    if (!s || !endpoint || (nopts && !opts)) return HL_EINVAL;
    if (s->gw) return HL_EEXIST;
    hl_sock_opt *all = calloc(nopts + 1, sizeof *all);
    if (!all) return HL_ENOMEM;
    /* A partner that reconnects with the same routing id (after a network cut, before
     * the old connection timed out) takes the id over instead of being refused. */
    static const int one = 1;
    all[0] = (hl_sock_opt){ZMQ_ROUTER_HANDOVER, &one, sizeof one};
    if (nopts) memcpy(all + 1, opts, nopts * sizeof *opts);
    int rc = hl_sock_open_opts(s->bus, ZMQ_ROUTER, endpoint, 1, all, nopts + 1, recv_gw, s,
                               &s->gw);
    free(all);
    return rc;
}

int hl_svc_gateway_curve(hl_svc *s, const char *endpoint, const char *server_secret,
                         hl_keytable *kt, char *err, size_t errlen)
{
    if (!s || !endpoint || !kt) return HL_EINVAL;
    if (s->gw) return HL_EEXIST;
    int rc = hl_curve_available(err, errlen);
    if (rc < 0) return rc;
    if (hl_curve_server(server_secret, &s->gw_curve) < 0) {
        hl__errf(err, errlen, "the gateway's secret key is not a z85 CURVE key");
        return HL_EINVAL;
    }
    /* The handler first: a CURVE server bound before it would have nobody to ask, and with
     * ZAP_ENFORCE_DOMAIN it would refuse everyone (RFC 27). */
    if ((rc = hl_zap_start(s->bus, kt, &s->zap, err, errlen)) < 0) return rc;
    hl_sock_opt opts[HL_CURVE_MAX_OPTS + 4];
    size_t n = hl_curve_sockopts(&s->gw_curve, opts);
    static const int zero = 0, hb_ivl = 2000, hb_timeout = 6000, handshake = 5000;
    opts[n++] = (hl_sock_opt){ZMQ_ROUTER_HANDOVER, &zero, sizeof zero};
    opts[n++] = (hl_sock_opt){ZMQ_HEARTBEAT_IVL, &hb_ivl, sizeof hb_ivl};
    opts[n++] = (hl_sock_opt){ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout};
    opts[n++] = (hl_sock_opt){ZMQ_HANDSHAKE_IVL, &handshake, sizeof handshake};
    if ((rc = hl_svc_gateway(s, endpoint, opts, n)) < 0) {
        hl__errf(err, errlen, "cannot bind the partner gateway at %s: %s", endpoint,
                 zmq_strerror(errno));
        hl_zap_destroy(&s->zap);
        memset(&s->gw_curve, 0, sizeof s->gw_curve);
        return rc;
    }
    s->kt = kt;
    s->kt_rev = hl_keytable_revision(kt);
    hl_info("%s: partner gateway at %s with CURVE; %zu key(s) admitted", s->name, endpoint,
            hl_keytable_count(kt));
    return 0;
}

int hl_svc_gateway_cut(hl_svc *s)
{
    if (!s) return HL_EINVAL;
    if (!s->kt || !s->gw) return HL_ESTATE;
    s->kt_rev = hl_keytable_revision(s->kt);
    return gw_rebind(s, NULL, 0);
}

int hl_svc_gateway_rekey(hl_svc *s, const char *new_secret)
{
    if (!s) return HL_EINVAL;
    if (!s->kt || !s->gw) return HL_ESTATE;
    hl_curve c;
    if (hl_curve_server(new_secret, &c) < 0) return HL_EINVAL;
    s->gw_curve = c;
    memset(&c, 0, sizeof c);
    hl_sock_opt opts[HL_CURVE_MAX_OPTS];
    size_t n = hl_curve_sockopts(&s->gw_curve, opts);
    int rc = gw_rebind(s, opts, n);
    if (rc == 0) hl_info("%s: gateway key rotated; partners need the new public key", s->name);
    return rc;
}

void hl_svc_set_records_table(hl_svc *s, const char *table)
{
    if (s) snprintf(s->records_table, sizeof s->records_table, "%s", table ? table : "");
}

static void on_signal(uv_signal_t *h, int signum)
{
    hl_svc *s = h->data;
    hl_info("%s: signal %d, stopping", s->name, signum);
    uv_stop(s->loop);
}

int hl_svc_run(hl_svc *s)
{
    if (!s) return HL_EINVAL;
    if (!s->signals_on) {
        uv_signal_init(s->loop, &s->sigint);
        uv_signal_init(s->loop, &s->sigterm);
        s->sigint.data = s->sigterm.data = s;
        s->handles_open += 2;
        s->signals_on = 1;
    }
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
    hl_info("%s: running", s->name);
    uv_run(s->loop, UV_RUN_DEFAULT);
    uv_signal_stop(&s->sigint);
    uv_signal_stop(&s->sigterm);
    /* Anything already received is applied and answered before returning. */
    if (s->q_head || s->ntouches) process_batch(s);
    return s->stop_rc;
}

void hl_svc_stop(hl_svc *s)
{
    if (s) uv_async_send(&s->stop_async);
}

void hl_svc_stats_get(const hl_svc *s, hl_svc_stats *out)
{
    if (!out) return;
    if (!s) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = s->st;
    hl_bus_stats bs;
    hl_bus_stats_get(s->bus, &bs);
    out->bad_messages += bs.dropped_oversize + bs.dropped_frames;
}
