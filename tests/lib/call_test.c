/* Request/reply clients: hl_client in a loop and the blocking hl_call. */
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

#include "hazlink/hl_call.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "lib_test.h"

/* A test server on a ROUTER in a bus: answers by request type.
 *   "echo"  reply at once (type "echo.ok")
 *   "slow"  reply after 300 ms
 *   "fail"  error reply HL_ESTATE
 *   "push"  reply, then an unsolicited "note" with no correlation id
 *   "never" no reply */
typedef struct server {
    hl_bus *bus;
    hl_sock *r;
    uv_timer_t slow;
    char slow_peer[64];
    size_t slow_peer_len;
    Hl__Envelope *slow_req;
    char ep[128];
} server;

static void send_to(server *sv, const void *peer, size_t plen, const Hl__Envelope *e)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    hl_frame f[2] = {{peer, plen}, {buf, len}};
    assert_int_equal(hl_sock_sendv(sv->r, f, 2), 0);
    free(buf);
}

static void on_slow(uv_timer_t *h)
{
    server *sv = h->data;
    Hl__Envelope *rep = NULL;
    assert_int_equal(hl_env_build("srv", "slow.ok", NULL, sv->slow_req->msg_id, NULL, &rep), 0);
    send_to(sv, sv->slow_peer, sv->slow_peer_len, rep);
    hl_env_free(&rep);
    hl_env_free(&sv->slow_req);
}

static void server_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s;
    server *sv = ud;
    assert_int_equal(n, 2);
    Hl__Envelope *req = NULL;
    assert_int_equal(hl_env_unpack(f[1].data, f[1].len, 0, &req, NULL, 0), 0);
    Hl__Envelope *rep = NULL;
    if (strcmp(req->type, "echo") == 0 || strcmp(req->type, "push") == 0) {
        assert_int_equal(hl_env_build("srv", "echo.ok", NULL, req->msg_id, NULL, &rep), 0);
        send_to(sv, f[0].data, f[0].len, rep);
        hl_env_free(&rep);
        if (strcmp(req->type, "push") == 0) {
            assert_int_equal(hl_env_build("srv", "note", NULL, NULL, NULL, &rep), 0);
            send_to(sv, f[0].data, f[0].len, rep);
            hl_env_free(&rep);
        }
    } else if (strcmp(req->type, "fail") == 0) {
        assert_int_equal(hl_env_build_error("srv", req, HL_ESTATE, "task.state",
                                            "task is closed", &rep), 0);
        send_to(sv, f[0].data, f[0].len, rep);
        hl_env_free(&rep);
    } else if (strcmp(req->type, "slow") == 0) {
        memcpy(sv->slow_peer, f[0].data, f[0].len);
        sv->slow_peer_len = f[0].len;
        sv->slow_req = req;
        req = NULL;
        uv_timer_start(&sv->slow, on_slow, 300, 0);
    }
    hl_env_free(&req);
}

static void server_start(uv_loop_t *loop, hl_bus *b, server *sv)
{
    memset(sv, 0, sizeof *sv);
    sv->bus = b;
    assert_int_equal(hl_sock_open(b, ZMQ_ROUTER, "tcp://127.0.0.1:*", 1, server_recv, sv, &sv->r),
                     0);
    size_t len = sizeof sv->ep;
    assert_int_equal(zmq_getsockopt(hl_sock_zsock(sv->r), ZMQ_LAST_ENDPOINT, sv->ep, &len), 0);
    uv_timer_init(loop, &sv->slow);
    sv->slow.data = sv;
}

/* A loop with a bus and the test server on it. */
static hl_bus *loop_with_server(uv_loop_t *loop, server *sv)
{
    uv_loop_init(loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(loop, NULL, 0, &b), 0);
    server_start(loop, b, sv);
    return b;
}

/* Close all of it; the loop must close with nothing left open. */
static void loop_close(uv_loop_t *loop, server *sv, hl_bus **b)
{
    uv_close((uv_handle_t *)&sv->slow, NULL);
    hl_bus_destroy(b);
    assert_int_equal(uv_loop_close(loop), 0);
}

static void run_for(uv_loop_t *loop, int ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000u;
    while (uv_hrtime() < end) uv_run(loop, UV_RUN_NOWAIT), uv_sleep(1);
}

typedef struct outcome {
    int calls, status, done, has_error;
    char type[32];
} outcome;

static void on_reply(int status, const Hl__Envelope *reply, void *ud)
{
    outcome *o = ud;
    o->calls++;
    o->status = status;
    o->done = 1;
    if (reply) {
        snprintf(o->type, sizeof o->type, "%s", reply->type);
        o->has_error = reply->error != NULL;
    }
}

typedef struct pushes {
    int n;
    char type[32];
} pushes;

static void on_push(const Hl__Envelope *env, void *ud)
{
    pushes *p = ud;
    p->n++;
    snprintf(p->type, sizeof p->type, "%s", env->type);
}

static Hl__Envelope *req(const char *type)
{
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("cli", type, NULL, NULL, NULL, &e), 0);
    return e;
}

static void test_client(void **state)
{
    (void)state;
    uv_loop_t loop;
    server sv;
    hl_bus *b = loop_with_server(&loop, &sv);
    hl_client *c = NULL;
    assert_int_equal(hl_client_new(b, sv.ep, NULL, 0, &c), 0);
    pushes ps = {0};
    hl_client_on_push(c, on_push, &ps);

    /* A reply. */
    outcome o1 = {0};
    Hl__Envelope *e = req("echo");
    assert_int_equal(hl_client_send(c, e, 2000, on_reply, &o1), 0);
    assert_int_equal(hl_client_send(c, e, 2000, on_reply, &o1), HL_EEXIST);
    assert_int_equal(hl_client_pending(c), 1);
    lt_run_until(&loop, &o1.done, 5000);
    assert_int_equal(o1.calls, 1);
    assert_int_equal(o1.status, 0);
    assert_string_equal(o1.type, "echo.ok");
    assert_int_equal(hl_client_pending(c), 0);
    hl_env_free(&e);

    /* An error reply comes as status 0 with reply->error set. */
    outcome o2 = {0};
    e = req("fail");
    assert_int_equal(hl_client_send(c, e, 2000, on_reply, &o2), 0);
    lt_run_until(&loop, &o2.done, 5000);
    assert_int_equal(o2.status, 0);
    assert_int_equal(o2.has_error, 1);
    hl_env_free(&e);

    /* Timeout fires once; the late reply is dropped and counted, not pushed. */
    outcome o3 = {0};
    e = req("slow");
    assert_int_equal(hl_client_send(c, e, 100, on_reply, &o3), 0);
    lt_run_until(&loop, &o3.done, 5000);
    assert_int_equal(o3.status, HL_ETIMEOUT);
    run_for(&loop, 500); /* the server answers at 300 ms */
    assert_int_equal(o3.calls, 1);
    assert_int_equal(hl_client_late_dropped(c), 1);
    assert_int_equal(ps.n, 0);
    hl_env_free(&e);

    /* A push: a message that answers nothing pending. */
    outcome o4 = {0};
    e = req("push");
    assert_int_equal(hl_client_send(c, e, 2000, on_reply, &o4), 0);
    lt_run_until(&loop, &o4.done, 5000);
    while (ps.n == 0) uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(ps.n, 1);
    assert_string_equal(ps.type, "note");
    hl_env_free(&e);

    /* Post: no reply expected, nothing pending. */
    e = req("never");
    assert_int_equal(hl_client_post(c, e), 0);
    assert_int_equal(hl_client_pending(c), 0);
    hl_env_free(&e);

    /* Destroy with a request pending: HL_ECLOSED, exactly once. */
    outcome o5 = {0};
    e = req("never");
    assert_int_equal(hl_client_send(c, e, 10000, on_reply, &o5), 0);
    hl_client_destroy(&c);
    assert_null(c);
    assert_int_equal(o5.calls, 1);
    assert_int_equal(o5.status, HL_ECLOSED);
    hl_env_free(&e);
    hl_client_destroy(&c);

    loop_close(&loop, &sv, &b);
}

/* Destroying the client from its own reply callback is allowed. */
typedef struct selfkill {
    hl_client *c;
    int done;
} selfkill;

static void kill_in_cb(int status, const Hl__Envelope *reply, void *ud)
{
    (void)reply;
    selfkill *k = ud;
    assert_int_equal(status, 0);
    hl_client_destroy(&k->c);
    k->done = 1;
}

static void test_destroy_in_callback(void **state)
{
    (void)state;
    uv_loop_t loop;
    server sv;
    hl_bus *b = loop_with_server(&loop, &sv);
    selfkill k = {0};
    assert_int_equal(hl_client_new(b, sv.ep, NULL, 0, &k.c), 0);
    Hl__Envelope *e = req("echo");
    assert_int_equal(hl_client_send(k.c, e, 2000, kill_in_cb, &k), 0);
    lt_run_until(&loop, &k.done, 5000);
    assert_null(k.c);
    hl_env_free(&e);
    loop_close(&loop, &sv, &b);
}

/* ---- blocking hl_call against the server running in another thread ---- */
typedef struct bg {
    uv_loop_t loop;
    hl_bus *b;
    server sv;
    uv_async_t stop;
    pthread_t th;
    int ready;
} bg;

static void bg_stop(uv_async_t *a)
{
    bg *g = a->data;
    uv_close((uv_handle_t *)&g->stop, NULL);
    uv_close((uv_handle_t *)&g->sv.slow, NULL);
    uv_stop(&g->loop);
}

static void *bg_main(void *arg)
{
    bg *g = arg;
    uv_run(&g->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void test_blocking_call(void **state)
{
    (void)state;
    bg g;
    memset(&g, 0, sizeof g);
    uv_loop_init(&g.loop);
    assert_int_equal(hl_bus_new(&g.loop, NULL, 0, &g.b), 0);
    server_start(&g.loop, g.b, &g.sv);
    uv_async_init(&g.loop, &g.stop, bg_stop);
    g.stop.data = &g;
    assert_int_equal(pthread_create(&g.th, NULL, bg_main, &g), 0);

    Hl__Envelope *r = NULL;
    char err[256];
    assert_int_equal(hl_call(NULL, g.sv.ep, "cli", "echo", NULL, 2000, &r, err, sizeof err), 0);
    assert_non_null(r);
    assert_string_equal(r->type, "echo.ok");
    hl_env_free(&r);

    void *ctx = zmq_ctx_new();
    assert_int_equal(hl_call(ctx, g.sv.ep, "cli", "fail", NULL, 2000, &r, err, sizeof err),
                     HL_ESTATE);
    assert_non_null(r);
    assert_non_null(r->error);
    assert_string_equal(err, "not allowed in the current state: task is closed (task.state)");
    hl_env_free(&r);

    uint64_t t0 = uv_hrtime();
    assert_int_equal(hl_call(ctx, g.sv.ep, "cli", "never", NULL, 200, &r, err, sizeof err),
                     HL_ETIMEOUT);
    uint64_t ms = (uv_hrtime() - t0) / 1000000u;
    assert_true(ms >= 200 && ms < 1500);
    assert_null(r);
    assert_non_null(strstr(err, "within 200 ms"));

    /* Nobody listening: a timeout, not a hang. */
    assert_int_equal(hl_call(ctx, "tcp://127.0.0.1:1", "cli", "echo", NULL, 100, &r, err,
                             sizeof err), HL_ETIMEOUT);
    assert_int_equal(hl_call(ctx, "bogus://", "cli", "echo", NULL, 100, &r, err, sizeof err),
                     HL_EZMQ);
    zmq_ctx_term(ctx);

    uv_async_send(&g.stop);
    pthread_join(g.th, NULL);
    hl_bus_destroy(&g.b);
    assert_int_equal(uv_loop_close(&g.loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_destroy_in_callback),
        cmocka_unit_test(test_blocking_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
