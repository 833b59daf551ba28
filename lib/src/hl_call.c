/* hl_call.c — request/reply clients: a blocking call and an asynchronous client. */
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* ---- Blocking call ---- */

static void err_from_reply(const Hl__Envelope *r, char *err, size_t errlen)
{
    if (!err || !errlen) return;
    const Hl__Error *e = r->error;
    if (e->field && e->field[0])
        snprintf(err, errlen, "%s: %s (%s)", hl_strerror(e->code), e->message, e->field);
    else
        snprintf(err, errlen, "%s: %s", hl_strerror(e->code), e->message);
}

int hl_call(void *zctx, const char *endpoint, const char *sender, const char *type,
            const ProtobufCMessage *payload, int timeout_ms, Hl__Envelope **reply, char *err,
            size_t errlen)
{
    return hl_call_opts(zctx, endpoint, NULL, 0, sender, type, payload, timeout_ms, reply, err,
                        errlen);
}

int hl_call_opts(void *zctx, const char *endpoint, const hl_sock_opt *opts, size_t nopts,
                 const char *sender, const char *type, const ProtobufCMessage *payload,
                 int timeout_ms, Hl__Envelope **reply, char *err, size_t errlen)
{
    if (!endpoint || !type || !reply || (nopts && !opts)) return HL_EINVAL;
    *reply = NULL;
    if (err && errlen) err[0] = '\0';
    void *own = NULL;
    if (!zctx) {
        zctx = own = zmq_ctx_new();
        if (!zctx) return HL_EZMQ;
    }
    Hl__Envelope *req = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    void *z = NULL;
    int rc = hl_env_build(sender ? sender : "call", type, payload, NULL, NULL, &req);
    if (rc == 0) rc = hl_env_pack(req, &buf, &len);
    if (rc < 0) goto out;
    z = zmq_socket(zctx, ZMQ_DEALER);
    if (!z) {
        rc = HL_EZMQ;
        goto out;
    }
    int zero = 0;
    int64_t zmax = (int64_t)HL_MAX_MSG_BYTES * 2 + 4096;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_MAXMSGSIZE, &zmax, sizeof zmax);
    for (size_t i = 0; i < nopts; i++) {
        if (zmq_setsockopt(z, opts[i].name, opts[i].val, opts[i].len) != 0) {
            if (err && errlen)
                snprintf(err, errlen, "socket option %d for %s: %s", opts[i].name, endpoint,
                         zmq_strerror(errno));
            rc = HL_EZMQ;
            goto out;
        }
    }
    int curve = 0;
    size_t csz = sizeof curve;
    zmq_getsockopt(z, ZMQ_MECHANISM, &curve, &csz);
    curve = curve == ZMQ_CURVE;
    if (zmq_connect(z, endpoint) != 0) {
        if (err && errlen)
            snprintf(err, errlen, "connect %s: %s", endpoint, zmq_strerror(errno));
        rc = HL_EZMQ;
        goto out;
    }
    int64_t deadline = hl_real_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    /* A connecting DEALER queues the message until the connection is up. */
    if (zmq_send(z, buf, len, ZMQ_DONTWAIT) < 0) {
        if (err && errlen) snprintf(err, errlen, "send to %s: %s", endpoint, zmq_strerror(errno));
        rc = errno == EAGAIN ? HL_EBUSY : HL_EZMQ;
        goto out;
    }
    for (;;) {
        int64_t left = deadline - hl_real_now_ms();
        if (left <= 0) {
            if (err && errlen)
                snprintf(err, errlen, "no reply from %s to %s within %d ms%s", endpoint, type,
                         timeout_ms,
                         curve ? " (with CURVE this is also what a refused key looks like)"
                               : "");
            rc = HL_ETIMEOUT;
            goto out;
        }
        zmq_pollitem_t it = {z, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&it, 1, (long)left);
        if (n < 0) {
            if (errno == EINTR) continue;
            rc = HL_EZMQ;
            goto out;
        }
        if (n == 0) continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        /* Skip any further frames: replies are one frame. */
        int more = zmq_msg_more(&m);
        while (more) {
            zmq_msg_t x;
            zmq_msg_init(&x);
            if (zmq_msg_recv(&x, z, 0) < 0) {
                zmq_msg_close(&x);
                break;
            }
            more = zmq_msg_more(&x);
            zmq_msg_close(&x);
        }
        Hl__Envelope *r = NULL;
        char why[256];
        rc = hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), HL_MAX_MSG_BYTES, &r, why,
                           sizeof why);
        zmq_msg_close(&m);
        if (rc < 0) {
            if (err && errlen) snprintf(err, errlen, "reply from %s: %s", endpoint, why);
            rc = HL_EDECODE;
            goto out;
        }
        if (strcmp(r->correlation_id, req->msg_id) != 0) {
            hl_env_free(&r); /* not ours (a stale reply): keep waiting */
            continue;
        }
        *reply = r;
        if (r->error) {
            err_from_reply(r, err, errlen);
            rc = r->error->code < 0 ? r->error->code : HL_EINVAL;
        } else {
            rc = 0;
        }
        goto out;
    }
out:
    if (z) zmq_close(z);
    free(buf);
    hl_env_free(&req);
    if (own) zmq_ctx_term(own);
    return rc;
}

/* ---- Asynchronous client ---- */

#define LATE_RING 64 /* remembered timed-out ids, to tell a late reply from a push */

typedef struct pending {
    char id[HL_ID_MAX + 1];
    int64_t deadline; /* uv_now ms */
    hl_reply_fn fn;
    void *ud;
} pending;

struct hl_client {
    hl_bus *bus;
    hl_sock *sock;
    uv_timer_t timer;
    pending *p;
    size_t n, cap;
    hl_push_fn push;
    void *push_ud;
    char late[LATE_RING][HL_ID_MAX + 1];
    size_t late_next;
    uint64_t late_dropped;
    int dead;
    char endpoint[128];
};

static void client_on_timer(uv_timer_t *h);

/* One timer per client, set to the earliest deadline among pending requests. */
static void client_arm(hl_client *c)
{
    if (c->dead) return;
    if (c->n == 0) {
        uv_timer_stop(&c->timer);
        return;
    }
    int64_t first = c->p[0].deadline;
    for (size_t i = 1; i < c->n; i++)
        if (c->p[i].deadline < first) first = c->p[i].deadline;
    int64_t now = (int64_t)uv_now(hl_bus_loop(c->bus));
    uv_timer_start(&c->timer, client_on_timer, first > now ? (uint64_t)(first - now) : 0, 0);
}

/* Remove entry i (order is not kept). */
static pending take(hl_client *c, size_t i)
{
    pending p = c->p[i];
    c->p[i] = c->p[--c->n];
    return p;
}

static void client_on_timer(uv_timer_t *h)
{
    hl_client *c = h->data;
    int64_t now = (int64_t)uv_now(hl_bus_loop(c->bus));
    /* A callback may send (changing the table) or destroy the client: take the entry out
     * before calling, and rescan from the start afterwards. */
    size_t i = 0;
    while (i < c->n && !c->dead) {
        if (c->p[i].deadline <= now) {
            pending p = take(c, i);
            snprintf(c->late[c->late_next], HL_ID_MAX + 1, "%s", p.id);
            c->late_next = (c->late_next + 1) % LATE_RING;
            p.fn(HL_ETIMEOUT, NULL, p.ud);
            i = 0; /* the table may have changed under us */
        } else {
            i++;
        }
    }
    client_arm(c);
}

static void client_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s;
    hl_client *c = ud;
    if (c->dead || n == 0) return;
    Hl__Envelope *e = NULL;
    char why[256];
    const hl_frame *last = &f[n - 1];
    if (hl_env_unpack(last->data, last->len, hl_bus_max_msg(c->bus), &e, why, sizeof why) < 0) {
        hl_warn("client %s: dropped a message: %s", c->endpoint, why);
        return;
    }
    if (e->correlation_id[0]) {
        for (size_t i = 0; i < c->n; i++) {
            if (strcmp(c->p[i].id, e->correlation_id) == 0) {
                pending p = take(c, i);
                p.fn(0, e, p.ud);
                hl_env_free(&e);
                client_arm(c);
                return;
            }
        }
        for (size_t i = 0; i < LATE_RING; i++) {
            if (strcmp(c->late[i], e->correlation_id) == 0) {
                c->late_dropped++;
                hl_debug("client %s: late reply to %s dropped", c->endpoint, e->correlation_id);
                hl_env_free(&e);
                return;
            }
        }
    }
    if (c->push)
        c->push(e, c->push_ud);
    else
        hl_debug("client %s: unsolicited %s dropped", c->endpoint, e->type);
    hl_env_free(&e);
}

int hl_client_new(hl_bus *b, const char *endpoint, const hl_sock_opt *opts, size_t nopts,
                  hl_client **out)
{
    if (!b || !endpoint || !out) return HL_EINVAL;
    *out = NULL;
    hl_client *c = calloc(1, sizeof *c);
    if (!c) return HL_ENOMEM;
    c->bus = b;
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    int rc = hl_sock_open_opts(b, ZMQ_DEALER, endpoint, 0, opts, nopts, client_recv, c,
                               &c->sock);
    if (rc < 0) {
        free(c);
        return rc;
    }
    uv_timer_init(hl_bus_loop(b), &c->timer);
    c->timer.data = c;
    *out = c;
    return 0;
}

static void client_free(uv_handle_t *h)
{
    hl_client *c = h->data;
    free(c->p);
    free(c);
}

void hl_client_destroy(hl_client **cp)
{
    if (!cp || !*cp) return;
    hl_client *c = *cp;
    *cp = NULL;
    if (c->dead) return;
    c->dead = 1;
    hl_sock_close(&c->sock);
    uv_timer_stop(&c->timer);
    while (c->n > 0) {
        pending p = take(c, c->n - 1);
        p.fn(HL_ECLOSED, NULL, p.ud);
    }
    /* Freed in the timer's close callback: a destroy from inside one of this client's own
     * callbacks leaves the memory valid until that callback has returned. */
    uv_close((uv_handle_t *)&c->timer, client_free);
}

void hl_client_on_push(hl_client *c, hl_push_fn fn, void *ud)
{
    if (!c) return;
    c->push = fn;
    c->push_ud = ud;
}

static int client_send_env(hl_client *c, const Hl__Envelope *env)
{
    uint8_t *buf;
    size_t len;
    int rc = hl_env_pack(env, &buf, &len);
    if (rc < 0) return rc;
    hl_frame f = {buf, len};
    rc = hl_sock_sendv(c->sock, &f, 1);
    free(buf);
    return rc;
}

int hl_client_send(hl_client *c, const Hl__Envelope *env, int64_t timeout_real_ms,
                   hl_reply_fn fn, void *ud)
{
    if (!c || !env || !fn || hl_id_check(env->msg_id) < 0) return HL_EINVAL;
    if (c->dead) return HL_ECLOSED;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->p[i].id, env->msg_id) == 0) return HL_EEXIST;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        pending *p = realloc(c->p, cap * sizeof *p);
        if (!p) return HL_ENOMEM;
        c->p = p;
        c->cap = cap;
    }
    int rc = client_send_env(c, env);
    if (rc < 0) return rc;
    pending *p = &c->p[c->n++];
    snprintf(p->id, sizeof p->id, "%s", env->msg_id);
    p->deadline = (int64_t)uv_now(hl_bus_loop(c->bus)) + (timeout_real_ms > 0 ? timeout_real_ms : 0);
    p->fn = fn;
    p->ud = ud;
    client_arm(c);
    return 0;
}

int hl_client_post(hl_client *c, const Hl__Envelope *env)
{
    if (!c || !env) return HL_EINVAL;
    if (c->dead) return HL_ECLOSED;
    return client_send_env(c, env);
}

size_t hl_client_pending(const hl_client *c)
{
    return c ? c->n : 0;
}

uint64_t hl_client_late_dropped(const hl_client *c)
{
    return c ? c->late_dropped : 0;
}
