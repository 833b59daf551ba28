/* hl_bus.c — ZeroMQ sockets inside a libuv loop.
 *
 * ZMQ_FD is not a socket's data fd but the fd of its command mailbox: it becomes readable
 * when the socket's state *changes*, and any zmq_send, zmq_recv or ZMQ_EVENTS read on the
 * socket may consume that signal. So a readable fd means "look", and an unreadable one
 * means nothing: a send from a timer can swallow the signal of a message that arrived a
 * moment before, and the loop then sleeps with the message waiting (libzmq #1434).
 *
 * The rule kept here: after every receive callback and every send, read ZMQ_EVENTS; if it
 * shows POLLIN the socket is marked pending and a uv_idle handle is started, whose callback
 * drains every pending socket (at most HL_BUS_BATCH messages each per turn, so one busy
 * peer cannot starve the loop). Reading ZMQ_EVENTS re-arms the edge: once it says "no
 * input", the next arrival signals the fd again. A slow safety timer drains everything in
 * case some path was missed.
 *
 * Handles are freed only in their close callbacks; a socket closed inside a callback is
 * marked closed at once and freed when libuv has closed its poll handle.
 */
#include "hazlink/hl_bus.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

struct hl_sock {
    hl_bus *bus;
    void *z;
    int type;
    uv_poll_t poll;
    hl_sock_recv_fn recv;
    void *ud;
    zmq_msg_t *cur;      /* during a receive callback: the last frame, for properties */
    int max_frames;      /* per message, both ways */
    int bound;           /* opened with bind=1: hl_sock_rebind may unbind/bind again */
    int closed;
    int pending; /* ZMQ_EVENTS showed input not yet drained */
    hl_sock *next;
    char endpoint[128];
};

struct hl_bus {
    uv_loop_t *loop;
    void *zctx;
    int own_ctx;
    size_t max_msg;
    hl_sock *socks;
    uv_timer_t safety;
    uv_idle_t idle;
    int idle_on;
    int handles_open; /* uv handles not yet closed (timer, idle, polls) */
    hl_bus_stats stats;
};

static void drain(hl_sock *s);
static void on_idle(uv_idle_t *h);

static int has_input(hl_sock *s)
{
    int ev = 0;
    size_t sz = sizeof ev;
    if (s->closed) return 0;
    if (zmq_getsockopt(s->z, ZMQ_EVENTS, &ev, &sz) != 0) return 0;
    return (ev & ZMQ_POLLIN) != 0;
}

/* Mark s for draining on the next idle turn if it has input. */
static void recheck(hl_sock *s)
{
    if (!has_input(s)) return;
    s->pending = 1;
    hl_bus *b = s->bus;
    if (!b->idle_on) {
        b->idle_on = 1;
        uv_idle_start(&b->idle, on_idle);
    }
}

static void on_idle(uv_idle_t *h)
{
    hl_bus *b = h->data;
    for (hl_sock *s = b->socks; s; s = s->next) {
        if (s->pending && !s->closed) {
            s->pending = 0;
            drain(s);
        }
    }
    int any = 0;
    for (hl_sock *s = b->socks; s; s = s->next) any |= s->pending && !s->closed;
    if (!any && b->idle_on) {
        b->idle_on = 0;
        uv_idle_stop(&b->idle);
    }
}

static void on_safety(uv_timer_t *h)
{
    hl_bus *b = h->data;
    for (hl_sock *s = b->socks; s; s = s->next)
        if (!s->closed) drain(s);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)events;
    hl_sock *s = h->data;
    if (status < 0) hl_warn("bus: poll %s: %s", s->endpoint, uv_strerror(status));
    drain(s);
}

/* Receive one whole multipart message into msgs; returns frame count, 0 if nothing was
 * waiting, -1 on error. Frames beyond the socket's limit are read and discarded, and the
 * count returned is that limit + 1 to say so. */
static int recv_message(hl_sock *s, zmq_msg_t *msgs, size_t *total)
{
    int n = 0;
    *total = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        int rc = zmq_msg_recv(&m, s->z, ZMQ_DONTWAIT);
        if (rc < 0) {
            zmq_msg_close(&m);
            if (n == 0 && errno == EAGAIN) return 0;
            if (errno != EAGAIN && errno != EINTR && errno != ETERM)
                hl_warn("bus: receive on %s: %s", s->endpoint, zmq_strerror(errno));
            for (int i = 0; i < n && i < s->max_frames; i++) zmq_msg_close(&msgs[i]);
            return -1;
        }
        int more = zmq_msg_more(&m);
        *total += zmq_msg_size(&m);
        if (n < s->max_frames) {
            msgs[n] = m; /* zmq_msg_t may be moved by value before further use */
        } else {
            zmq_msg_close(&m);
        }
        n++;
        if (!more) break;
    }
    return n > s->max_frames ? s->max_frames + 1 : n;
}

static void drain(hl_sock *s)
{
    hl_bus *b = s->bus;
    b->stats.drains++;
    for (int i = 0; i < HL_BUS_BATCH && !s->closed; i++) {
        if (!has_input(s)) return;
        zmq_msg_t msgs[HL_BUS_FRAMES_CAP];
        size_t total;
        int n = recv_message(s, msgs, &total);
        if (n <= 0) return;
        if (n > s->max_frames) {
            for (int k = 0; k < s->max_frames; k++) zmq_msg_close(&msgs[k]);
            b->stats.dropped_frames++;
            hl_warn("bus: %s: message with more than %d frames dropped", s->endpoint,
                    s->max_frames);
            continue;
        }
        if (total > b->max_msg) {
            for (int k = 0; k < n; k++) zmq_msg_close(&msgs[k]);
            b->stats.dropped_oversize++;
            hl_warn("bus: %s: message of %zu bytes over the limit of %zu dropped", s->endpoint,
                    total, b->max_msg);
            continue;
        }
        b->stats.received++;
        hl_frame frames[HL_BUS_FRAMES_CAP];
        for (int k = 0; k < n; k++) {
            frames[k].data = zmq_msg_data(&msgs[k]);
            frames[k].len = zmq_msg_size(&msgs[k]);
        }
        /* Under CURVE the ZAP handler's User-Id rides on every frame; read it from the
         * last, which for ROUTER is the payload and not the routing id. */
        s->cur = &msgs[n - 1];
        if (s->recv) s->recv(s, frames, (size_t)n, s->ud);
        s->cur = NULL;
        for (int k = 0; k < n; k++) zmq_msg_close(&msgs[k]);
    }
    /* Batch used up: continue next turn rather than hold the loop. */
    recheck(s);
}

int hl_bus_new(uv_loop_t *loop, void *zctx, size_t max_msg_bytes, hl_bus **out)
{
    if (!loop || !out) return HL_EINVAL;
    *out = NULL;
    hl_bus *b = calloc(1, sizeof *b);
    if (!b) return HL_ENOMEM;
    b->loop = loop;
    b->max_msg = max_msg_bytes ? max_msg_bytes : HL_MAX_MSG_BYTES;
    if (zctx) {
        b->zctx = zctx;
    } else {
        b->zctx = zmq_ctx_new();
        if (!b->zctx) {
            hl_error("bus: zmq_ctx_new: %s", zmq_strerror(errno));
            free(b);
            return HL_EZMQ;
        }
        b->own_ctx = 1;
    }
    uv_timer_init(loop, &b->safety);
    b->safety.data = b;
    uv_idle_init(loop, &b->idle);
    b->idle.data = b;
    b->handles_open = 2;
    uv_timer_start(&b->safety, on_safety, HL_BUS_SAFETY_MS, HL_BUS_SAFETY_MS);
    /* The safety timer alone must not keep a loop alive whose sockets are all closed. */
    uv_unref((uv_handle_t *)&b->safety);
    *out = b;
    return 0;
}

static void on_sock_closed(uv_handle_t *h)
{
    hl_sock *s = h->data;
    hl_bus *b = s->bus;
    for (hl_sock **pp = &b->socks; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    b->handles_open--;
    free(s);
}

static void on_bus_handle_closed(uv_handle_t *h)
{
    hl_bus *b = h->data;
    b->handles_open--;
}

void hl_sock_close(hl_sock **sp)
{
    if (!sp || !*sp) return;
    hl_sock *s = *sp;
    *sp = NULL;
    if (s->closed) return;
    s->closed = 1;
    s->pending = 0;
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_sock_closed);
    /* LINGER 0 was set at open, so this never waits for unsent messages. */
    zmq_close(s->z);
    s->z = NULL;
}

void hl_bus_destroy(hl_bus **bp)
{
    if (!bp || !*bp) return;
    hl_bus *b = *bp;
    *bp = NULL;
    for (hl_sock *s = b->socks; s; s = s->next) {
        if (!s->closed) {
            hl_sock *tmp = s;
            hl_sock_close(&tmp);
        }
    }
    uv_close((uv_handle_t *)&b->safety, on_bus_handle_closed);
    uv_close((uv_handle_t *)&b->idle, on_bus_handle_closed);
    /* Close callbacks run only inside uv_run; give them their turns here so the caller's
     * loop is closable. Must not be called from inside that loop's callbacks. */
    while (b->handles_open > 0) uv_run(b->loop, UV_RUN_NOWAIT);
    if (b->own_ctx) zmq_ctx_term(b->zctx);
    free(b);
}

void *hl_bus_zctx(hl_bus *b)
{
    return b ? b->zctx : NULL;
}

uv_loop_t *hl_bus_loop(hl_bus *b)
{
    return b ? b->loop : NULL;
}

size_t hl_bus_max_msg(const hl_bus *b)
{
    return b ? b->max_msg : 0;
}

void hl_bus_stats_get(const hl_bus *b, hl_bus_stats *out)
{
    if (!out) return;
    if (!b) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = b->stats;
}

int hl_sock_open_opts(hl_bus *b, int type, const char *endpoint, int bind,
                      const hl_sock_opt *opts, size_t nopts, hl_sock_recv_fn recv, void *ud,
                      hl_sock **out)
{
    if (!b || !endpoint || !out || (nopts && !opts)) return HL_EINVAL;
    *out = NULL;
    hl_sock *s = calloc(1, sizeof *s);
    if (!s) return HL_ENOMEM;
    s->bus = b;
    s->type = type;
    s->recv = recv;
    s->ud = ud;
    s->max_frames = HL_BUS_MAX_FRAMES;
    snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint);
    s->z = zmq_socket(b->zctx, type);
    if (!s->z) {
        hl_error("bus: socket for %s: %s", endpoint, zmq_strerror(errno));
        free(s);
        return HL_EZMQ;
    }
    int zero = 0, one = 1;
    /* libzmq enforces its limit per frame by dropping the connection; ours (per message,
     * counted) must bite first, so libzmq's is set above it. */
    int64_t zmax = (int64_t)b->max_msg * 2 + 4096;
    int rc = zmq_setsockopt(s->z, ZMQ_LINGER, &zero, sizeof zero);
    if (rc == 0) rc = zmq_setsockopt(s->z, ZMQ_MAXMSGSIZE, &zmax, sizeof zmax);
    if (rc == 0 && type == ZMQ_ROUTER)
        rc = zmq_setsockopt(s->z, ZMQ_ROUTER_MANDATORY, &one, sizeof one);
    for (size_t i = 0; rc == 0 && i < nopts; i++)
        rc = zmq_setsockopt(s->z, opts[i].name, opts[i].val, opts[i].len);
    if (rc != 0) {
        hl_error("bus: socket option for %s: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    rc = bind ? zmq_bind(s->z, endpoint) : zmq_connect(s->z, endpoint);
    if (rc != 0) {
        hl_error("bus: %s %s: %s", bind ? "bind" : "connect", endpoint, zmq_strerror(errno));
        goto fail;
    }
    if (bind) {
        /* Remember the endpoint as resolved ("tcp://127.0.0.1:*" becomes the real port) so
         * that hl_sock_rebind can unbind it. */
        char last[sizeof s->endpoint];
        size_t lsz = sizeof last;
        if (zmq_getsockopt(s->z, ZMQ_LAST_ENDPOINT, last, &lsz) == 0 && lsz > 1)
            snprintf(s->endpoint, sizeof s->endpoint, "%s", last);
        s->bound = 1;
    }
    int fd;
    size_t fsz = sizeof fd;
    if (zmq_getsockopt(s->z, ZMQ_FD, &fd, &fsz) != 0) {
        hl_error("bus: ZMQ_FD for %s: %s", endpoint, zmq_strerror(errno));
        goto fail;
    }
    if ((rc = uv_poll_init(b->loop, &s->poll, fd)) != 0) {
        hl_error("bus: uv_poll_init for %s: %s", endpoint, uv_strerror(rc));
        goto fail;
    }
    s->poll.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    b->handles_open++;
    s->next = b->socks;
    b->socks = s;
    /* Send-only sockets (PUB) still need their mailbox read, or the fd stays signalled
     * and the loop spins; draining reads ZMQ_EVENTS, which does that. */
    s->pending = 1;
    if (!b->idle_on) {
        b->idle_on = 1;
        uv_idle_start(&b->idle, on_idle);
    }
    *out = s;
    return 0;
fail:
    zmq_close(s->z);
    free(s);
    return HL_EZMQ;
}

int hl_sock_open(hl_bus *b, int type, const char *endpoint, int bind, hl_sock_recv_fn recv,
                 void *ud, hl_sock **out)
{
    return hl_sock_open_opts(b, type, endpoint, bind, NULL, 0, recv, ud, out);
}

int hl_sock_subscribe(hl_sock *s, const char *prefix)
{
    if (!s || s->closed || !prefix) return HL_EINVAL;
    if (zmq_setsockopt(s->z, ZMQ_SUBSCRIBE, prefix, strlen(prefix)) != 0) {
        hl_error("bus: subscribe on %s: %s", s->endpoint, zmq_strerror(errno));
        return HL_EZMQ;
    }
    recheck(s);
    return 0;
}

void *hl_sock_zsock(hl_sock *s)
{
    return s && !s->closed ? s->z : NULL;
}

const char *hl_sock_user_id(hl_sock *s)
{
    return hl_sock_msg_prop(s, "User-Id");
}

const char *hl_sock_msg_prop(hl_sock *s, const char *name)
{
    if (!s || !s->cur || !name) return NULL;
    return zmq_msg_gets(s->cur, name);
}

int hl_sock_set_max_frames(hl_sock *s, size_t n)
{
    if (!s || n < 1 || n > HL_BUS_FRAMES_CAP) return HL_EINVAL;
    s->max_frames = (int)n;
    return 0;
}

int hl_sock_rebind(hl_sock *s, const hl_sock_opt *opts, size_t nopts)
{
    if (!s || s->closed || !s->bound || (nopts && !opts)) return HL_EINVAL;
    for (size_t i = 0; i < nopts; i++) {
        if (zmq_setsockopt(s->z, opts[i].name, opts[i].val, opts[i].len) != 0) {
            hl_error("bus: socket option for %s: %s", s->endpoint, zmq_strerror(errno));
            return HL_EZMQ;
        }
    }
    if (zmq_unbind(s->z, s->endpoint) != 0 && errno != ENOENT) {
        hl_error("bus: unbind %s: %s", s->endpoint, zmq_strerror(errno));
        return HL_EZMQ;
    }
    /* The listener is closed by libzmq's I/O thread, usually within a millisecond; until
     * then the port may still be taken. */
    int rc = -1;
    for (int i = 0; i < 400 && rc != 0; i++) {
        rc = zmq_bind(s->z, s->endpoint);
        if (rc != 0 && errno != EADDRINUSE) break;
        if (rc != 0) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc != 0) {
        hl_error("bus: bind %s again: %s", s->endpoint, zmq_strerror(errno));
        s->bound = 0;
        return HL_EZMQ;
    }
    recheck(s);
    return 0;
}

int hl_sock_sendv(hl_sock *s, const hl_frame *frames, size_t n)
{
    if (!s || !frames || n == 0 || n > (size_t)s->max_frames) return HL_EINVAL;
    if (s->closed) return HL_ECLOSED;
    hl_bus *b = s->bus;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(s->z, frames[i].data, frames[i].len, flags) < 0) {
            int e = errno;
            if (e == EAGAIN) {
                rc = HL_EBUSY;
            } else if (e == EHOSTUNREACH) {
                rc = HL_ENOTFOUND;
            } else {
                hl_warn("bus: send on %s: %s", s->endpoint, zmq_strerror(e));
                rc = HL_EZMQ;
            }
            /* libzmq sends multipart messages atomically: only the first frame can fail,
             * and then nothing was queued. */
            break;
        }
    }
    if (rc < 0)
        b->stats.send_errors++;
    else
        b->stats.sent++;
    /* The send may have consumed the fd's edge for input that is now waiting. */
    recheck(s);
    return rc;
}
