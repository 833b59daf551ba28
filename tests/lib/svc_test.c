/* Service shell: real services on 127.0.0.1 (in-process threads and a child process that is
 * killed with SIGKILL and restarted), real LMDB files.
 *
 * Test handlers (payload hl.ListQuery):
 *   t.put   records[id] = unit_id; id "fail" writes and then fails (must be undone)
 *   t.get   query: reply unit_id = records[id] (or the table named by incident_id),
 *           HL_ENOTFOUND if absent
 *   t.big   writes 100 KiB under id (map-full test)
 *   t.send  queue t.put{id, unit_id} to service "stock" through the outbox
 *   t.gw    gateway: reply unit_id = r->auth_unit and push "t.note" to the caller
 * Reply handler for t.put: acked[id] = "1".
 * Run as "lib_svc --data DIR --base-port N child" it is the child service "alert". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "lib_test.h"

static int g_put_calls_dup; /* t.put calls with id "dup" */
static int g_put_calls_x[4]; /* t.put calls with ids "x0".."x3" */
static int g_put_calls_busy; /* t.put calls with id "busy": the first two answer HL_EBUSY */
static int g_base_port;
static char g_tmp[64];

static Hl__ListQuery *payload_of(const Hl__Envelope *e)
{
    return (Hl__ListQuery *)hl_msg_unpack(&hl__list_query__descriptor, e->payload.data,
                                          e->payload.len);
}

static int h_put(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery *q = payload_of(r->env);
    if (!q) return hl_req_fail(r, HL_EDECODE, "payload", "not a ListQuery");
    if (strcmp(q->id, "dup") == 0) __atomic_add_fetch(&g_put_calls_dup, 1, __ATOMIC_SEQ_CST);
    if (q->id[0] == 'x' && q->id[1] >= '0' && q->id[1] <= '3' && !q->id[2])
        __atomic_add_fetch(&g_put_calls_x[q->id[1] - '0'], 1, __ATOMIC_SEQ_CST);
    if (strcmp(q->id, "busy") == 0 &&
        __atomic_add_fetch(&g_put_calls_busy, 1, __ATOMIC_SEQ_CST) <= 2) {
        protobuf_c_message_free_unpacked(&q->base, NULL);
        return hl_req_fail(r, HL_EBUSY, "", "busy, try again");
    }
    int rc = hl_kv_put(r->txn, "records", q->id, q->unit_id, strlen(q->unit_id));
    if (rc == 0 && strcmp(q->id, "fail") == 0)
        rc = hl_req_fail(r, HL_EINVAL, "list_query.id", "id '%s' is refused", q->id);
    if (rc == 0) rc = hl_svc_publish(r, "t.changed", &q->base);
    if (rc == 0) rc = hl_req_reply(r, "t.put.ok", &q->base);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int h_get(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery *q = payload_of(r->env);
    if (!q) return hl_req_fail(r, HL_EDECODE, "payload", "not a ListQuery");
    const void *v;
    size_t len;
    int rc = hl_kv_get(r->txn, q->incident_id[0] ? q->incident_id : "records", q->id, &v, &len);
    if (rc == 0) {
        char val[128];
        snprintf(val, sizeof val, "%.*s", (int)len, (const char *)v);
        Hl__ListQuery a = HL__LIST_QUERY__INIT;
        a.id = q->id;
        a.unit_id = val;
        rc = hl_req_reply(r, "t.get.ok", &a.base);
    } else {
        rc = hl_req_fail(r, rc, "list_query.id", "no record '%s'", q->id);
    }
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int h_big(hl_req *r, void *ud)
{
    (void)ud;
    static char blob[100 * 1024];
    memset(blob, 'b', sizeof blob);
    Hl__ListQuery *q = payload_of(r->env);
    if (!q) return HL_EDECODE;
    int rc = hl_kv_put(r->txn, "records", q->id, blob, sizeof blob);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int h_send(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery *q = payload_of(r->env);
    if (!q) return HL_EDECODE;
    char id[HL_ID_MAX + 1];
    int rc = hl_svc_send(r, "stock", "t.put", &q->base, NULL, id);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int h_put_reply(hl_req *r, void *ud)
{
    (void)ud;
    assert_non_null(r->orig);
    Hl__ListQuery *q = payload_of(r->orig);
    if (!q) return HL_EDECODE;
    int rc = hl_kv_put(r->txn, "acked", q->id, r->env->error ? "0" : "1", 1);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

static int h_gw(hl_req *r, void *ud)
{
    (void)ud;
    Hl__ListQuery a = HL__LIST_QUERY__INIT;
    a.unit_id = (char *)r->auth_unit;
    a.id = (char *)r->env->sender_unit;
    int rc = hl_svc_push(r, r->peer, "t.note", NULL);
    if (rc == 0) rc = hl_req_reply(r, "t.gw.ok", &a.base);
    return rc;
}

static int g_seen_calls[2]; /* event handler calls for ids "e0", "e1" */

/* Event handler: seen[id] = event type. */
static int h_seen(hl_req *r, void *ud)
{
    (void)ud;
    assert_string_equal(r->peer, "");
    Hl__ListQuery *q = payload_of(r->env);
    if (!q) return HL_EDECODE;
    if (q->id[0] == 'e' && (q->id[1] == '0' || q->id[1] == '1') && !q->id[2])
        __atomic_add_fetch(&g_seen_calls[q->id[1] - '0'], 1, __ATOMIC_SEQ_CST);
    int rc = hl_kv_put(r->txn, "seen", q->id, r->env->type, strlen(r->env->type));
    protobuf_c_message_free_unpacked(&q->base, NULL);
    return rc;
}

/* Timer handler: ticks["n"] += 1, inside the batch transaction. */
static int h_tick(hl_req *r, void *ud)
{
    (void)ud;
    assert_null(r->env);
    const void *v;
    size_t len;
    uint64_t n = 0;
    if (hl_kv_get(r->txn, "ticks", "n", &v, &len) == 0 && len == sizeof n) memcpy(&n, v, len);
    n++;
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)n);
    int rc = hl_kv_put(r->txn, "ticks", "n", &n, sizeof n);
    if (rc == 0) rc = hl_kv_put(r->txn, "ticks", "text", text, strlen(text));
    return rc;
}

static void register_all(hl_svc *s)
{
    assert_int_equal(hl_svc_on(s, "t.put", h_put, NULL, 0), 0);
    assert_int_equal(hl_svc_on(s, "t.put", h_put, NULL, 0), HL_EEXIST);
    assert_int_equal(hl_svc_on(s, "t.get", h_get, NULL, HL_H_QUERY), 0);
    assert_int_equal(hl_svc_on(s, "t.big", h_big, NULL, 0), 0);
    assert_int_equal(hl_svc_on(s, "t.send", h_send, NULL, 0), 0);
    assert_int_equal(hl_svc_on(s, "t.gw", h_gw, NULL, HL_H_GATEWAY), 0);
    assert_int_equal(hl_svc_on_reply(s, "t.put", h_put_reply, NULL), 0);
    hl_svc_set_records_table(s, "records");
}

/* ---- services on threads ---- */

typedef struct svc_th {
    uv_loop_t loop;
    hl_svc *svc;
    pthread_t th;
} svc_th;

static void *svc_th_main(void *arg)
{
    svc_th *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    return NULL;
}

static hl_config test_config(size_t map_size)
{
    hl_config c;
    char err[256];
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", g_tmp);
    c.base_port = g_base_port;
    c.resend_ms = 200;
    if (map_size) c.map_size = map_size;
    return c;
}

static void svc_th_start_x(svc_th *t, const char *name, const hl_config *cfg, int gateway,
                           void (*extra)(hl_svc *, void *), void *extra_ud)
{
    memset(t, 0, sizeof *t);
    uv_loop_init(&t->loop);
    char err[256] = "";
    int rc = hl_svc_new(&t->loop, name, cfg, &t->svc, err, sizeof err);
    if (rc < 0) fail_msg("hl_svc_new: %s", err);
    register_all(t->svc);
    if (gateway) {
        char ep[64];
        assert_int_equal(hl_config_endpoint(cfg, "dispatch", "gw", ep, sizeof ep), 0);
        assert_int_equal(hl_svc_gateway(t->svc, ep, NULL, 0), 0);
    }
    if (extra) extra(t->svc, extra_ud);
    assert_int_equal(pthread_create(&t->th, NULL, svc_th_main, t), 0);
}

static void svc_th_start(svc_th *t, const char *name, const hl_config *cfg, int gateway)
{
    svc_th_start_x(t, name, cfg, gateway, NULL, NULL);
}

static void svc_th_stop(svc_th *t)
{
    hl_svc_stop(t->svc);
    pthread_join(t->th, NULL);
    hl_svc_destroy(&t->svc);
    assert_null(t->svc);
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

/* ---- calling ---- */

static char *ep_of(const char *svc, const char *kind)
{
    static char ep[4][64];
    static int k;
    hl_config c = test_config(0);
    k = (k + 1) % 4;
    assert_int_equal(hl_config_endpoint(&c, svc, kind, ep[k], sizeof ep[k]), 0);
    return ep[k];
}

static int call(const char *svc, const char *type, const char *id, const char *unit,
                Hl__Envelope **reply, char *err, size_t errlen)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)id;
    q.unit_id = (char *)(unit ? unit : "");
    return hl_call(NULL, ep_of(svc, "req"), "tester", type, &q.base, 5000, reply, err, errlen);
}

/* The record's value in table ("records" if NULL), or "" if absent. */
static void get_from(const char *svc, const char *table, const char *id, char *out, size_t n)
{
    Hl__Envelope *r = NULL;
    char err[256];
    out[0] = '\0';
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)id;
    q.incident_id = (char *)(table ? table : "");
    int rc = hl_call(NULL, ep_of(svc, "req"), "tester", "t.get", &q.base, 5000, &r, err,
                     sizeof err);
    if (rc == 0) {
        Hl__ListQuery *q = payload_of(r);
        assert_non_null(q);
        snprintf(out, n, "%s", q->unit_id);
        protobuf_c_message_free_unpacked(&q->base, NULL);
    }
    hl_env_free(&r);
}

static void get_record(const char *svc, const char *id, char *out, size_t n)
{
    get_from(svc, NULL, id, out, n);
}

/* v is a decimal number >= min. */
static int atoi_checked_ge(const char *v, long min)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    return end != v && *end == '\0' && n >= min;
}

static Hl__ServiceStatus *status_of(const char *svc)
{
    Hl__Envelope *r = NULL;
    char err[256];
    int rc = hl_call(NULL, ep_of(svc, "req"), "tester", "status", NULL, 5000, &r, err,
                     sizeof err);
    if (rc < 0) fail_msg("status of %s: %s", svc, err);
    Hl__ServiceStatus *st = (Hl__ServiceStatus *)hl_msg_unpack(&hl__service_status__descriptor,
                                                               r->payload.data, r->payload.len);
    assert_non_null(st);
    hl_env_free(&r);
    return st;
}

/* A raw DEALER with a chosen routing id, for duplicates, garbage and the gateway. */
static void *raw_dealer(void *ctx, const char *ep, const char *routing_id)
{
    void *z = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, ms = 5000;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_RCVTIMEO, &ms, sizeof ms);
    if (routing_id) zmq_setsockopt(z, ZMQ_ROUTING_ID, routing_id, strlen(routing_id));
    assert_int_equal(zmq_connect(z, ep), 0);
    return z;
}

static Hl__Envelope *raw_recv(void *z, uint8_t **bytes, size_t *len)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, z, 0) < 0) fail_msg("no reply: %s", zmq_strerror(errno));
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &e, NULL, 0), 0);
    if (bytes) {
        *len = zmq_msg_size(&m);
        *bytes = malloc(*len);
        memcpy(*bytes, zmq_msg_data(&m), *len);
    }
    zmq_msg_close(&m);
    return e;
}

static void raw_send_env(void *z, const char *type, const char *id, Hl__Envelope **keep)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)id;
    q.unit_id = "u";
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("tester", type, &q.base, NULL, NULL, &e), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    assert_int_equal(zmq_send(z, buf, len, 0), (int)len);
    free(buf);
    if (keep)
        *keep = e;
    else
        hl_env_free(&e);
}

/* ---- tests ---- */

static void test_request_reply(void **state)
{
    (void)state;
    hl_config cfg = test_config(0);
    svc_th t;
    svc_th_start(&t, "alert", &cfg, 0);
    Hl__Envelope *r = NULL;
    char err[256];
    assert_int_equal(call("alert", "t.put", "st-laolongkou", "kt-eeb", &r, err, sizeof err), 0);
    assert_string_equal(r->type, "t.put.ok");
    assert_string_equal(r->sender_unit, "alert");
    assert_null(r->error);
    hl_env_free(&r);
    char v[64];
    get_record("alert", "st-laolongkou", v, sizeof v);
    assert_string_equal(v, "kt-eeb");

    /* Unknown type. */
    assert_int_equal(call("alert", "t.nothing", "x", NULL, &r, err, sizeof err), HL_EUNKNOWN);
    assert_non_null(r);
    assert_int_equal(r->error->code, HL_EUNKNOWN);
    assert_string_equal(r->error->field, "type");
    assert_string_equal(r->type, "t.nothing");
    hl_env_free(&r);
    /* A query's failure. */
    assert_int_equal(call("alert", "t.get", "absent", NULL, &r, err, sizeof err), HL_ENOTFOUND);
    assert_non_null(strstr(err, "no record 'absent' (list_query.id)"));
    hl_env_free(&r);

    Hl__ServiceStatus *st = status_of("alert");
    assert_string_equal(st->service, "alert");
    assert_int_equal(st->records, 1);
    assert_true(st->requests >= 3);
    assert_true(st->errors >= 2);
    assert_true(st->clock_scale == 1.0);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    svc_th_stop(&t);

    /* Restart: the data is still there. */
    svc_th_start(&t, "alert", &cfg, 0);
    get_record("alert", "st-laolongkou", v, sizeof v);
    assert_string_equal(v, "kt-eeb");
    svc_th_stop(&t);
}

static void test_duplicates_and_batches(void **state)
{
    (void)state;
    hl_config cfg = test_config(0);
    svc_th t;
    svc_th_start(&t, "alert", &cfg, 0);
    void *ctx = zmq_ctx_new();
    void *z = raw_dealer(ctx, ep_of("alert", "req"), NULL);

    /* The same envelope twice: applied once, answered twice, identically. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "dup";
    q.unit_id = "first";
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("tester", "t.put", &q.base, NULL, NULL, &e), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    assert_int_equal(zmq_send(z, buf, len, 0), (int)len);
    uint8_t *r1, *r2;
    size_t l1, l2;
    Hl__Envelope *a = raw_recv(z, &r1, &l1);
    assert_int_equal(zmq_send(z, buf, len, 0), (int)len);
    Hl__Envelope *b = raw_recv(z, &r2, &l2);
    assert_string_equal(a->correlation_id, e->msg_id);
    assert_int_equal(l1, l2);
    assert_memory_equal(r1, r2, l1);
    assert_int_equal(__atomic_load_n(&g_put_calls_dup, __ATOMIC_SEQ_CST), 1);
    /* A new message with the same idempotency key: the stored reply, correlated anew. */
    Hl__Envelope *e2 = NULL;
    q.unit_id = "second";
    assert_int_equal(hl_env_build("tester", "t.put", &q.base, NULL, e->msg_id, &e2), 0);
    uint8_t *buf2;
    size_t len2;
    assert_int_equal(hl_env_pack(e2, &buf2, &len2), 0);
    assert_int_equal(zmq_send(z, buf2, len2, 0), (int)len2);
    Hl__Envelope *c = raw_recv(z, NULL, NULL);
    assert_string_equal(c->correlation_id, e2->msg_id);
    assert_memory_equal(c->payload.data, a->payload.data, a->payload.len);
    assert_int_equal(__atomic_load_n(&g_put_calls_dup, __ATOMIC_SEQ_CST), 1);
    char v[64];
    get_record("alert", "dup", v, sizeof v);
    assert_string_equal(v, "first");
    free(buf), free(buf2), free(r1), free(r2);
    hl_env_free(&a), hl_env_free(&b), hl_env_free(&c), hl_env_free(&e), hl_env_free(&e2);

    /* Three requests back to back: the failing one is undone, its neighbours are not. */
    raw_send_env(z, "t.put", "keep-a", NULL);
    raw_send_env(z, "t.put", "fail", NULL);
    raw_send_env(z, "t.put", "keep-b", NULL);
    int errors = 0;
    for (int i = 0; i < 3; i++) {
        Hl__Envelope *x = raw_recv(z, NULL, NULL);
        if (x->error) {
            errors++;
            assert_int_equal(x->error->code, HL_EINVAL);
            assert_string_equal(x->error->field, "list_query.id");
            assert_string_equal(x->error->message, "id 'fail' is refused");
        }
        hl_env_free(&x);
    }
    assert_int_equal(errors, 1);
    get_record("alert", "keep-a", v, sizeof v);
    assert_string_equal(v, "u");
    get_record("alert", "keep-b", v, sizeof v);
    assert_string_equal(v, "u");
    get_record("alert", "fail", v, sizeof v);
    assert_string_equal(v, "");

    /* Group commit: 300 pipelined requests need far fewer than 300 commits. */
    hl_svc_stats before, after;
    hl_svc_stats_get(t.svc, &before);
    for (int i = 0; i < 300; i++) {
        char id[16];
        snprintf(id, sizeof id, "g%d", i);
        raw_send_env(z, "t.put", id, NULL);
    }
    for (int i = 0; i < 300; i++) {
        Hl__Envelope *x = raw_recv(z, NULL, NULL);
        assert_null(x->error);
        hl_env_free(&x);
    }
    hl_svc_stats_get(t.svc, &after);
    assert_int_equal(after.requests - before.requests, 300);
    assert_true(after.commits - before.commits < 150);

    /* Garbage: an error reply, counted, and the service still answers. */
    assert_int_equal(zmq_send(z, "\xff\xff\xff garbage", 11, 0), 11);
    Hl__Envelope *g = raw_recv(z, NULL, NULL);
    assert_non_null(g->error);
    assert_int_equal(g->error->code, HL_EDECODE);
    assert_string_equal(g->type, "error");
    hl_env_free(&g);
    /* An invalid envelope whose msg_id is readable: the error is correlated to it. */
    Hl__Envelope bad = HL__ENVELOPE__INIT;
    bad.msg_id = "bad-1";
    bad.type = "Not A Type";
    assert_int_equal(hl_env_pack(&bad, &buf, &len), 0);
    assert_int_equal(zmq_send(z, buf, len, 0), (int)len);
    free(buf);
    g = raw_recv(z, NULL, NULL);
    assert_int_equal(g->error->code, HL_EINVAL);
    assert_string_equal(g->correlation_id, "bad-1");
    assert_non_null(strstr(g->error->message, "type"));
    hl_env_free(&g);
    /* Oversize: over max_msg_bytes gets HL_ETOOBIG. */
    size_t big = cfg.max_msg_bytes + 10;
    uint8_t *blob = calloc(1, big);
    assert_int_equal(zmq_send(z, blob, big, 0), (int)big);
    free(blob);
    g = raw_recv(z, NULL, NULL);
    assert_int_equal(g->error->code, HL_ETOOBIG);
    hl_env_free(&g);
    Hl__ServiceStatus *st = status_of("alert");
    assert_int_equal(st->bad_messages, 3);
    protobuf_c_message_free_unpacked(&st->base, NULL);

    zmq_close(z);
    zmq_ctx_term(ctx);
    svc_th_stop(&t);
}

static void test_gateway(void **state)
{
    (void)state;
    hl_config cfg = test_config(0);
    svc_th t;
    svc_th_start(&t, "dispatch", &cfg, 1);
    void *ctx = zmq_ctx_new();
    void *z = raw_dealer(ctx, ep_of("dispatch", "gw"), "kt-eeb");
    /* A gateway type: the unit is the connection's, whatever the partner claims. */
    raw_send_env(z, "t.gw", "x", NULL);
    Hl__Envelope *a = raw_recv(z, NULL, NULL), *b = raw_recv(z, NULL, NULL);
    Hl__Envelope *reply = a->correlation_id[0] ? a : b, *push = a->correlation_id[0] ? b : a;
    assert_null(reply->error);
    Hl__ListQuery *q = payload_of(reply);
    assert_string_equal(q->unit_id, "kt-eeb");
    assert_string_equal(q->id, "kt-eeb"); /* sender_unit "tester" was replaced */
    protobuf_c_message_free_unpacked(&q->base, NULL);
    assert_string_equal(push->type, "t.note");
    hl_env_free(&a), hl_env_free(&b);
    /* Not gateway types: refused there. */
    static const char *const refused[] = {"t.put", "status"};
    for (int i = 0; i < 2; i++) {
        raw_send_env(z, refused[i], "y", NULL);
        a = raw_recv(z, NULL, NULL);
        assert_non_null(a->error);
        assert_int_equal(a->error->code, HL_EDENIED);
        hl_env_free(&a);
    }
    char v[64];
    get_record("dispatch", "y", v, sizeof v);
    assert_string_equal(v, "");
    /* The same types are served on the request socket. */
    Hl__Envelope *r = NULL;
    char err[256];
    assert_int_equal(call("dispatch", "t.put", "y", "z", &r, err, sizeof err), 0);
    hl_env_free(&r);
    zmq_close(z);
    zmq_ctx_term(ctx);
    svc_th_stop(&t);
}

static void test_map_full(void **state)
{
    (void)state;
    /* A 64 KiB map: the 100 KiB write fails, the service grows the map and retries the
     * batch once; it answers HL_EMAPFULL until the map is big enough, and nothing is
     * half-applied meanwhile. */
    hl_config cfg = test_config(64 * 1024);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/small", g_tmp);
    svc_th t;
    svc_th_start(&t, "risk", &cfg, 0);
    Hl__Envelope *r = NULL;
    char err[256];
    int rc = 0, tries = 0;
    do {
        rc = call("risk", "t.big", "blob", NULL, &r, err, sizeof err);
        hl_env_free(&r);
        if (rc < 0) assert_int_equal(rc, HL_EMAPFULL);
        tries++;
    } while (rc < 0 && tries < 4);
    assert_int_equal(rc, 0);
    assert_true(hl_store_map_size(hl_svc_store(t.svc)) >= 128 * 1024);
    Hl__ServiceStatus *st = status_of("risk");
    assert_int_equal(st->records, 1);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    svc_th_stop(&t);
}

/* ---- the outbox across a destination outage and a SIGKILL of the sender ---- */

static pid_t spawn_child(void)
{
    char port[16];
    snprintf(port, sizeof port, "%d", g_base_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "lib_svc", "--data", g_tmp, "--base-port", port, "child",
              (char *)NULL);
        _exit(127);
    }
    /* Ready when it answers status. */
    for (int i = 0; i < 100; i++) {
        Hl__Envelope *r = NULL;
        char err[256];
        if (hl_call(NULL, ep_of("alert", "req"), "tester", "status", NULL, 200, &r, err,
                    sizeof err) == 0) {
            hl_env_free(&r);
            return pid;
        }
        hl_env_free(&r);
    }
    fail_msg("child service did not start");
    return -1;
}

static void wait_record(const char *svc, const char *id, const char *want, int timeout_ms)
{
    char v[64] = "";
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    while (uv_hrtime() < end) {
        get_record(svc, id, v, sizeof v);
        if (strcmp(v, want) == 0) return;
        uv_sleep(50);
    }
    fail_msg("%s: record %s is '%s', expected '%s'", svc, id, v, want);
}

static void wait_outbox_empty(int timeout_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    for (;;) {
        Hl__ServiceStatus *st = status_of("alert");
        uint64_t n = st->outbox_pending;
        protobuf_c_message_free_unpacked(&st->base, NULL);
        if (n == 0) return;
        if (uv_hrtime() > end) fail_msg("outbox still holds %llu", (unsigned long long)n);
        uv_sleep(50);
    }
}

static void test_outbox(void **state)
{
    (void)state;
    hl_config cfg = test_config(0);
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", g_tmp);
    pid_t child = spawn_child();
    Hl__Envelope *r = NULL;
    char err[256];

    /* Phase 1: stock is down when alert queues the request; it arrives once stock is up. */
    assert_int_equal(call("alert", "t.send", "x0", "kt-eeb", &r, err, sizeof err), 0);
    hl_env_free(&r);
    uv_sleep(400); /* two resend periods with nobody there */
    Hl__ServiceStatus *st = status_of("alert");
    assert_int_equal(st->outbox_pending, 1);
    protobuf_c_message_free_unpacked(&st->base, NULL);
    svc_th stock;
    svc_th_start(&stock, "stock", &cfg, 0);
    wait_record("stock", "x0", "kt-eeb", 10000);
    wait_outbox_empty(10000);
    char v[64];
    get_record("alert", "x0", v, sizeof v);
    assert_string_equal(v, ""); /* alert's own records untouched */
    get_from("alert", "acked", "x0", v, sizeof v); /* the reply handler ran */
    assert_string_equal(v, "1");
    assert_int_equal(__atomic_load_n(&g_put_calls_x[0], __ATOMIC_SEQ_CST), 1);

    /* An error reply is final: kept in _dead, passed to the reply handler, not resent. */
    assert_int_equal(call("alert", "t.send", "fail", "kt-eeb", &r, err, sizeof err), 0);
    hl_env_free(&r);
    wait_outbox_empty(10000);
    get_from("alert", "acked", "fail", v, sizeof v);
    assert_string_equal(v, "0");

    /* A transient error reply (HL_EBUSY: not applied, not remembered) is not final: the
     * request stays in the outbox and is resent until it is applied, once. */
    assert_int_equal(call("alert", "t.send", "busy", "kt-eeb", &r, err, sizeof err), 0);
    hl_env_free(&r);
    wait_record("stock", "busy", "kt-eeb", 10000);
    wait_outbox_empty(10000);
    get_from("alert", "acked", "busy", v, sizeof v);
    assert_string_equal(v, "1");
    assert_int_equal(__atomic_load_n(&g_put_calls_busy, __ATOMIC_SEQ_CST), 3);
    svc_th_stop(&stock);

    /* Phase 2: queued while stock is down, then alert is killed with SIGKILL before it
     * could deliver; both come back and the request is delivered exactly once. */
    assert_int_equal(call("alert", "t.send", "x1", "ws-eeb", &r, err, sizeof err), 0);
    hl_env_free(&r);
    uv_sleep(300);
    kill(child, SIGKILL);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    svc_th_start(&stock, "stock", &cfg, 0);
    child = spawn_child();
    wait_record("stock", "x1", "ws-eeb", 10000);
    wait_outbox_empty(10000);
    get_from("alert", "acked", "x1", v, sizeof v);
    assert_string_equal(v, "1");
    uv_sleep(500); /* resends, if any were still under way, would arrive now */
    assert_int_equal(__atomic_load_n(&g_put_calls_x[1], __ATOMIC_SEQ_CST), 1);
    assert_int_equal(__atomic_load_n(&g_put_calls_x[0], __ATOMIC_SEQ_CST), 1);
    st = status_of("stock");
    assert_int_equal(st->records, 3); /* x0, busy and x1 */
    protobuf_c_message_free_unpacked(&st->base, NULL);
    svc_th_stop(&stock);

    kill(child, SIGTERM);
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void add_sub_and_timer(hl_svc *s, void *ud)
{
    assert_int_equal(hl_svc_subscribe(s, ud, "t.", h_seen, NULL), 0);
    assert_int_equal(hl_svc_every(s, 50, h_tick, NULL), 0);
    assert_int_equal(hl_svc_every(s, 0, h_tick, NULL), HL_EINVAL);
}

static void pub_env(void *pub, const char *topic, const uint8_t *buf, size_t len)
{
    assert_int_equal(zmq_send(pub, topic, strlen(topic), ZMQ_SNDMORE), (int)strlen(topic));
    assert_int_equal(zmq_send(pub, buf, len, 0), (int)len);
}

static void test_events_and_timers(void **state)
{
    (void)state;
    hl_config cfg = test_config(0);
    void *ctx = zmq_ctx_new();

    /* Subscriber side: stock subscribes to a publisher of ours. */
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    int zero = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_bind(pub, "tcp://127.0.0.1:*"), 0);
    char pub_ep[128];
    size_t epl = sizeof pub_ep;
    zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, pub_ep, &epl);
    svc_th stock;
    svc_th_start_x(&stock, "stock", &cfg, 0, add_sub_and_timer, pub_ep);

    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "e0";
    Hl__Envelope *e0 = NULL, *e1 = NULL;
    assert_int_equal(hl_env_build("tester", "t.changed", &q.base, NULL, NULL, &e0), 0);
    q.id = "e1";
    assert_int_equal(hl_env_build("tester", "t.changed", &q.base, NULL, NULL, &e1), 0);
    uint8_t *b0, *b1;
    size_t l0, l1;
    assert_int_equal(hl_env_pack(e0, &b0, &l0), 0);
    assert_int_equal(hl_env_pack(e1, &b1, &l1), 0);
    /* A subscription takes a moment to reach the publisher: publish until seen. */
    char v[64] = "";
    for (int i = 0; i < 200 && strcmp(v, "t.changed") != 0; i++) {
        pub_env(pub, "t.changed", b0, l0);
        pub_env(pub, "x.other", b1, l1); /* not subscribed */
        uv_sleep(20);
        get_from("stock", "seen", "e0", v, sizeof v);
    }
    assert_string_equal(v, "t.changed");
    /* The same event again and again: applied once (inbox by msg_id). */
    for (int i = 0; i < 5; i++) pub_env(pub, "t.changed", b0, l0);
    pub_env(pub, "t.changed", b1, l1);
    for (int i = 0; i < 100; i++) {
        get_from("stock", "seen", "e1", v, sizeof v);
        if (v[0]) break;
        uv_sleep(20);
    }
    assert_string_equal(v, "t.changed");
    assert_int_equal(__atomic_load_n(&g_seen_calls[0], __ATOMIC_SEQ_CST), 1);
    assert_int_equal(__atomic_load_n(&g_seen_calls[1], __ATOMIC_SEQ_CST), 1);
    /* Bad bytes on the event socket are counted, not applied. */
    Hl__ServiceStatus *st0 = status_of("stock");
    pub_env(pub, "t.junk", (const uint8_t *)"\xff\xff", 2);
    Hl__ServiceStatus *st1 = NULL;
    for (int i = 0; i < 100; i++) {
        if (st1) protobuf_c_message_free_unpacked(&st1->base, NULL);
        st1 = status_of("stock");
        if (st1->bad_messages > st0->bad_messages) break;
        uv_sleep(20);
    }
    assert_int_equal(st1->bad_messages, st0->bad_messages + 1);
    protobuf_c_message_free_unpacked(&st0->base, NULL);
    protobuf_c_message_free_unpacked(&st1->base, NULL);

    /* The timer ran several times, each inside a committed transaction. */
    uv_sleep(300);
    get_from("stock", "ticks", "text", v, sizeof v);
    assert_true(atoi_checked_ge(v, 3));
    svc_th_stop(&stock);
    free(b0), free(b1);
    hl_env_free(&e0), hl_env_free(&e1);
    zmq_close(pub);

    /* Publisher side: alert publishes t.changed after commit, nothing for a failed put. */
    svc_th alert;
    svc_th_start(&alert, "alert", &cfg, 0);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int ms = 50;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &ms, sizeof ms);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "t.", 2);
    assert_int_equal(zmq_connect(sub, ep_of("alert", "pub")), 0);
    Hl__Envelope *r = NULL;
    char err[256], topic[32] = "";
    int got = 0;
    for (int i = 0; i < 100 && !got; i++) {
        assert_int_equal(call("alert", "t.put", "p0", "u", &r, err, sizeof err), 0);
        hl_env_free(&r);
        int n = zmq_recv(sub, topic, sizeof topic - 1, 0);
        if (n > 0) {
            topic[n] = '\0';
            got = 1;
        }
    }
    assert_int_equal(got, 1);
    assert_string_equal(topic, "t.changed");
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, sub, 0) > 0);
    Hl__Envelope *ev = NULL;
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &ev, NULL, 0), 0);
    assert_string_equal(ev->type, "t.changed");
    assert_string_equal(ev->sender_unit, "alert");
    hl_env_free(&ev);
    zmq_msg_close(&m);
    /* Drain what the repeated puts published, then: a failed put publishes nothing, the
     * next good one does. */
    uv_sleep(100);
    while (zmq_recv(sub, topic, sizeof topic, ZMQ_DONTWAIT) >= 0) {}
    assert_int_equal(call("alert", "t.put", "fail", "u", &r, err, sizeof err), HL_EINVAL);
    hl_env_free(&r);
    assert_int_equal(call("alert", "t.put", "p1", "u", &r, err, sizeof err), 0);
    hl_env_free(&r);
    ms = 2000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &ms, sizeof ms);
    assert_int_equal(zmq_recv(sub, topic, sizeof topic, 0), 9);
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, sub, 0) > 0);
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &ev, NULL, 0), 0);
    Hl__ListQuery *pq = payload_of(ev);
    assert_string_equal(pq->id, "p1");
    protobuf_c_message_free_unpacked(&pq->base, NULL);
    hl_env_free(&ev);
    zmq_msg_close(&m);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    svc_th_stop(&alert);
}

static void test_main_args(void **state)
{
    (void)state;
    hl_config c;
    char *argv1[] = {"prog", "--data", "/tmp/x", "--base-port=9000", "--log", "warn",
                     "--clock", "scale=60", "extra", "--data", "ignored", NULL};
    int argi = 0;
    assert_int_equal(hl_main_args(11, argv1, "prog", &c, &argi), 0);
    assert_int_equal(argi, 8);
    assert_string_equal(c.data_dir, "/tmp/x");
    assert_int_equal(c.base_port, 9000);
    assert_int_equal(c.log_level, HL_LOG_WARN);
    assert_true(hl_clock_get()->scale == 60.0);
    hl_clock real;
    hl_clock_parse(NULL, &real);
    hl_clock_set(&real);
    hl_log_init("lib_svc", HL_LOG_INFO);
    char *argv2[] = {"prog", "--base-port", "80", NULL};
    assert_int_equal(hl_main_args(3, argv2, "prog", &c, &argi), HL_EINVAL);
    char *argv3[] = {"prog", "--log", NULL};
    assert_int_equal(hl_main_args(2, argv3, "prog", &c, &argi), HL_EINVAL);
    char *argv4[] = {"prog", "--clock", "scale=0", NULL};
    assert_int_equal(hl_main_args(3, argv4, "prog", &c, &argi), HL_EINVAL);
    char *argv5[] = {"prog", "--log", "loud", NULL};
    assert_int_equal(hl_main_args(3, argv5, "prog", &c, &argi), HL_EINVAL);
}

static int child_main(int argc, char **argv)
{
    hl_config cfg;
    int argi;
    if (hl_main_args(argc, argv, "lib_svc-child", &cfg, &argi) < 0) return 2;
    cfg.resend_ms = 200;
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_svc *s = NULL;
    char err[256];
    if (hl_svc_new(&loop, "alert", &cfg, &s, err, sizeof err) < 0) {
        fprintf(stderr, "child: %s\n", err);
        return 2;
    }
    register_all(s);
    int rc = hl_svc_run(s);
    hl_svc_destroy(&s);
    return rc == 0 && uv_loop_close(&loop) == 0 ? 0 : 1;
}

static int setup(void **state)
{
    (void)state;
    g_base_port = lt_base_port();
    return lt_tmpdir(g_tmp, sizeof g_tmp, "hl-svc");
}

static int teardown(void **state)
{
    (void)state;
    return lt_rmtree(g_tmp);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[argc - 1], "child") == 0) return child_main(argc, argv);
    hl_log_init("lib_svc", HL_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_reply),
        cmocka_unit_test(test_duplicates_and_batches),
        cmocka_unit_test(test_gateway),
        cmocka_unit_test(test_map_full),
        cmocka_unit_test(test_outbox),
        cmocka_unit_test(test_events_and_timers),
        cmocka_unit_test(test_main_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
