/* Bus: ZeroMQ sockets in a libuv loop over real TCP on 127.0.0.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "hazlink/hl_bus.h"
#include "hazlink/hl_error.h"
#include "lib_test.h"

/* Bind on an ephemeral port and return the endpoint actually bound. */
static hl_sock *bind_any(hl_bus *b, int type, hl_sock_recv_fn fn, void *ud, char *ep, size_t n)
{
    hl_sock *s = NULL;
    assert_int_equal(hl_sock_open(b, type, "tcp://127.0.0.1:*", 1, fn, ud, &s), 0);
    size_t len = n;
    assert_int_equal(zmq_getsockopt(hl_sock_zsock(s), ZMQ_LAST_ENDPOINT, ep, &len), 0);
    return s;
}

static void close_loop(uv_loop_t *loop)
{
    /* Everything the bus opened must be closed: the loop closes with nothing left. */
    assert_int_equal(uv_loop_close(loop), 0);
}

/* ---- ping-pong ---- */
typedef struct pp {
    hl_sock *router, *dealer;
    int rounds, done;
} pp;

static void pp_router(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)ud;
    assert_int_equal(n, 2);
    assert_int_equal(hl_sock_sendv(s, f, 2), 0); /* echo [id, payload] */
}

static void pp_dealer(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    pp *p = ud;
    assert_int_equal(n, 1);
    uint32_t v;
    assert_int_equal(f[0].len, sizeof v);
    memcpy(&v, f[0].data, sizeof v);
    assert_int_equal(v, (uint32_t)p->rounds);
    if (++p->rounds == 10000) {
        p->done = 1;
        return;
    }
    v = (uint32_t)p->rounds;
    hl_frame out = {&v, sizeof v};
    assert_int_equal(hl_sock_sendv(s, &out, 1), 0);
}

static void test_ping_pong(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    pp p = {0};
    char ep[128];
    p.router = bind_any(b, ZMQ_ROUTER, pp_router, &p, ep, sizeof ep);
    assert_int_equal(hl_sock_open(b, ZMQ_DEALER, ep, 0, pp_dealer, &p, &p.dealer), 0);
    uint32_t v = 0;
    hl_frame f = {&v, sizeof v};
    assert_int_equal(hl_sock_sendv(p.dealer, &f, 1), 0);
    lt_run_until(&loop, &p.done, 20000);
    assert_int_equal(p.rounds, 10000);
    hl_bus_stats st;
    hl_bus_stats_get(b, &st);
    assert_int_equal(st.received, 20000);
    assert_int_equal(st.sent, 20000);
    assert_int_equal(st.send_errors, 0);
    hl_bus_destroy(&b);
    assert_null(b);
    close_loop(&loop);
}

/* ---- burst ---- */
typedef struct burst {
    int got, done;
    uint8_t seen[5000];
} burst;

static void burst_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s;
    burst *bu = ud;
    assert_int_equal(n, 2); /* ROUTER: [id, payload] */
    uint32_t v;
    memcpy(&v, f[1].data, sizeof v);
    assert_true(v < 5000);
    assert_int_equal(bu->seen[v], 0);
    bu->seen[v] = 1;
    if (++bu->got == 5000) bu->done = 1;
}

static void test_burst(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    burst bu = {0};
    char ep[128];
    hl_sock *r = bind_any(b, ZMQ_ROUTER, burst_recv, &bu, ep, sizeof ep);
    hl_sock *d = NULL;
    /* The default send HWM is 1000: raise it so the whole burst is queued at once. */
    int hwm = 10000;
    hl_sock_opt o = {ZMQ_SNDHWM, &hwm, sizeof hwm};
    assert_int_equal(hl_sock_open_opts(b, ZMQ_DEALER, ep, 0, &o, 1, NULL, NULL, &d), 0);
    for (uint32_t i = 0; i < 5000; i++) {
        hl_frame f = {&i, sizeof i};
        assert_int_equal(hl_sock_sendv(d, &f, 1), 0);
    }
    lt_run_until(&loop, &bu.done, 20000);
    hl_bus_stats st;
    hl_bus_stats_get(b, &st);
    assert_int_equal(st.received, 5000);
    /* At most HL_BUS_BATCH per drain: more than 5000/256 drains happened. */
    assert_true(st.drains >= 5000 / HL_BUS_BATCH);
    hl_sock_close(&r);
    assert_null(r);
    hl_sock_close(&r); /* NULL is fine */
    hl_bus_destroy(&b);
    close_loop(&loop);
}

/* ---- send from a timer while replies arrive asynchronously (edge-trigger stall) ---- */
typedef struct echo_thread {
    void *zctx;
    char ep[128];
    pthread_t th;
} echo_thread;

static void *echo_main(void *arg)
{
    echo_thread *e = arg;
    void *z = zmq_socket(e->zctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_bind(z, "tcp://127.0.0.1:*");
    size_t len = sizeof e->ep;
    zmq_getsockopt(z, ZMQ_LAST_ENDPOINT, e->ep, &len);
    __atomic_store_n(&e->ep[127], 1, __ATOMIC_RELEASE);
    for (;;) {
        char id[256], body[64];
        int il = zmq_recv(z, id, sizeof id, 0);
        if (il < 0) break;
        int bl = zmq_recv(z, body, sizeof body, 0);
        if (bl < 0) break;
        if (bl == 4 && memcmp(body, "quit", 4) == 0) break;
        zmq_send(z, id, (size_t)il, ZMQ_SNDMORE);
        zmq_send(z, body, (size_t)bl, 0);
    }
    zmq_close(z);
    return NULL;
}

typedef struct tick {
    hl_sock *d;
    uv_timer_t timer;
    int sent, got, done;
    uint64_t sent_at[200];
    uint64_t max_latency_ns;
} tick;

static void tick_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s;
    tick *t = ud;
    assert_int_equal(n, 1);
    uint32_t v;
    memcpy(&v, f[0].data, sizeof v);
    uint64_t lat = uv_hrtime() - t->sent_at[v];
    if (lat > t->max_latency_ns) t->max_latency_ns = lat;
    if (++t->got == 200) t->done = 1;
}

static void tick_send(tick *t)
{
    uint32_t v = (uint32_t)t->sent;
    t->sent_at[v] = uv_hrtime();
    hl_frame f = {&v, sizeof v};
    assert_int_equal(hl_sock_sendv(t->d, &f, 1), 0);
    t->sent++;
}

static void tick_cb(uv_timer_t *h)
{
    tick *t = h->data;
    if (t->sent == 200) {
        uv_timer_stop(h);
        return;
    }
    /* Send, stay busy while the echo arrives and signals ZMQ_FD, then send again: the
     * second send takes that signal, and the loop then polls an fd that stays quiet. */
    tick_send(t);
    uv_sleep(2);
    tick_send(t);
}

static void test_send_from_timer(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    echo_thread e = {.zctx = hl_bus_zctx(b)};
    assert_int_equal(pthread_create(&e.th, NULL, echo_main, &e), 0);
    while (!__atomic_load_n(&e.ep[127], __ATOMIC_ACQUIRE)) uv_sleep(1);
    e.ep[127] = '\0';
    tick t = {0};
    assert_int_equal(hl_sock_open(b, ZMQ_DEALER, e.ep, 0, tick_recv, &t, &t.d), 0);
    uv_timer_init(&loop, &t.timer);
    t.timer.data = &t;
    uv_timer_start(&t.timer, tick_cb, 3, 3);
    lt_run_until(&loop, &t.done, 15000);
    assert_int_equal(t.got, 200);
    fprintf(stderr, "max latency %.3f ms\n", t.max_latency_ns / 1e6);
    /* Without the re-check after each send, a stalled reply waits for the safety timer
     * (HL_BUS_SAFETY_MS = 250 ms); with it every reply comes within a few ms. */
    assert_true(t.max_latency_ns < (uint64_t)HL_BUS_SAFETY_MS / 2 * 1000000u);
    uint32_t q;
    memcpy(&q, "quit", 4);
    hl_frame f = {&q, 4};
    assert_int_equal(hl_sock_sendv(t.d, &f, 1), 0);
    pthread_join(e.th, NULL);
    uv_close((uv_handle_t *)&t.timer, NULL);
    hl_bus_destroy(&b);
    close_loop(&loop);
}

/* ---- limits: oversize and too many frames are counted and dropped ---- */
typedef struct lim {
    int got, done;
    size_t last_len;
} lim;

static void lim_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s;
    lim *l = ud;
    l->got++;
    l->last_len = f[n - 1].len;
    if (f[n - 1].len == 5 && memcmp(f[n - 1].data, "final", 5) == 0) l->done = 1;
}

static void test_limits(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 1000, &b), 0);
    assert_int_equal(hl_bus_max_msg(b), 1000);
    lim l = {0};
    char ep[128];
    hl_sock *r = bind_any(b, ZMQ_ROUTER, lim_recv, &l, ep, sizeof ep);
    (void)r;
    hl_sock *d = NULL;
    assert_int_equal(hl_sock_open(b, ZMQ_DEALER, ep, 0, NULL, NULL, &d), 0);
    static uint8_t big[1001];
    memset(big, 'x', sizeof big);
    hl_frame f1 = {big, 1000 - 32}; /* with the routing id (up to 5 bytes) under 1000 */
    assert_int_equal(hl_sock_sendv(d, &f1, 1), 0);
    hl_frame f2 = {big, sizeof big}; /* over */
    assert_int_equal(hl_sock_sendv(d, &f2, 1), 0);
    /* ROUTER adds the id frame: 4 sent frames arrive as 5. */
    hl_frame four[4] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
    assert_int_equal(hl_sock_sendv(d, four, 4), 0);
    hl_frame three[3] = {{"a", 1}, {"b", 1}, {"c", 1}};
    assert_int_equal(hl_sock_sendv(d, three, 3), 0);
    hl_frame fin = {"final", 5};
    assert_int_equal(hl_sock_sendv(d, &fin, 1), 0);
    lt_run_until(&loop, &l.done, 10000);
    assert_int_equal(l.got, 3); /* 968-byte, three-frame, final */
    hl_bus_stats st;
    hl_bus_stats_get(b, &st);
    assert_int_equal(st.dropped_oversize, 1);
    assert_int_equal(st.dropped_frames, 1);
    assert_int_equal(st.received, 3);
    /* Too many frames to send is refused up front. */
    hl_frame five[5] = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}, {"e", 1}};
    assert_int_equal(hl_sock_sendv(d, five, 5), HL_EINVAL);
    /* The limit is per socket (the ZAP handler needs 9 frames), capped. */
    assert_int_equal(hl_sock_set_max_frames(d, 0), HL_EINVAL);
    assert_int_equal(hl_sock_set_max_frames(d, HL_BUS_FRAMES_CAP + 1), HL_EINVAL);
    assert_int_equal(hl_sock_set_max_frames(d, 5), 0);
    assert_int_equal(hl_sock_sendv(d, five, 5), 0);
    /* Not bound: nothing to bind again. */
    assert_int_equal(hl_sock_rebind(d, NULL, 0), HL_EINVAL);
    /* ROUTER_MANDATORY: an unknown peer is an error, not a silent drop. */
    hl_frame to_nobody[2] = {{"nobody", 6}, {"x", 1}};
    assert_int_equal(hl_sock_sendv(r, to_nobody, 2), HL_ENOTFOUND);
    hl_bus_stats_get(b, &st);
    assert_int_equal(st.send_errors, 1);
    hl_bus_destroy(&b);
    close_loop(&loop);
}

/* ---- pub/sub, closing from inside a callback, bind errors ---- */
typedef struct ps {
    hl_sock *sub, *pub;
    int got, done;
    char topic[32];
} ps;

static void ps_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    ps *p = ud;
    assert_int_equal(n, 2);
    snprintf(p->topic, sizeof p->topic, "%.*s", (int)f[0].len, (const char *)f[0].data);
    p->got++;
    p->done = 1;
    hl_sock_close(&p->sub); /* closing its own socket from its callback */
    assert_null(p->sub);
    (void)s;
}

static void ps_send(uv_timer_t *h)
{
    ps *p = h->data;
    hl_frame other[2] = {{"task.state", 10}, {"x", 1}};
    hl_frame f[2] = {{"alert.raised", 12}, {"x", 1}};
    if (p->pub) {
        hl_sock_sendv(p->pub, other, 2);
        hl_sock_sendv(p->pub, f, 2);
    }
}

static void test_pubsub_and_errors(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    ps p = {0};
    char ep[128];
    p.pub = bind_any(b, ZMQ_PUB, NULL, NULL, ep, sizeof ep);
    assert_int_equal(hl_sock_open(b, ZMQ_SUB, ep, 0, ps_recv, &p, &p.sub), 0);
    assert_int_equal(hl_sock_subscribe(p.sub, "alert."), 0);
    /* A slow joiner misses what is published before the subscription reaches the
     * publisher: publish on a timer until something arrives. */
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &p;
    uv_timer_start(&t, ps_send, 10, 10);
    lt_run_until(&loop, &p.done, 10000);
    assert_string_equal(p.topic, "alert.raised");
    assert_int_equal(p.got, 1);
    uv_close((uv_handle_t *)&t, NULL);

    /* Address in use. */
    hl_sock *s2 = NULL;
    assert_int_equal(hl_sock_open(b, ZMQ_PUB, ep, 1, NULL, NULL, &s2), HL_EZMQ);
    assert_null(s2);
    assert_int_equal(hl_sock_open(b, ZMQ_DEALER, "nonsense://x", 0, NULL, NULL, &s2), HL_EZMQ);
    hl_bus_destroy(&b);
    close_loop(&loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_pong),
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_send_from_timer),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_pubsub_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
