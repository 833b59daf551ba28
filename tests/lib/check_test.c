/* hl_check (values in messages) and hl_req_payload (payload decoding in handlers).
 * Hostile input, issue 3: negative or NaN quantities, times far in the past or future,
 * unknown enum words, empty ids, huge strings, undecodable payloads: each gets an error
 * naming the field and changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "hazlink/hl_call.h"
#include "hazlink/hl_check.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "lib_test.h"

#define NOW 1796090400000LL /* 2026-12-01T10:00:00+08:00 */
#define DAY (24LL * 3600 * 1000)

static const char *const k_actions[] = {"ack", "decline", "complete", NULL};

/* ---- the table of cases ---- */

typedef enum { K_RANGE, K_NONNEG, K_POS, K_INT, K_TIME, K_TIME_OPT, K_ID, K_STR, K_ENUM, K_COUNT } kind;

typedef struct ccase {
    const char *name;
    kind k;
    double d;       /* numbers */
    int64_t i;      /* integers, times, counts */
    const char *s;  /* strings */
    int required;
    int want;       /* 0 or the code */
    const char *in_why; /* a piece the sentence must hold */
} ccase;

static char g_long_id[HL_ID_MAX + 2];
static char g_long_text[HL_TEXT_MAX + 2];

static const ccase k_cases[] = {
    {"range inside", K_RANGE, 7.5, 0, NULL, 0, 0, NULL},
    {"range low edge", K_RANGE, 0, 0, NULL, 0, 0, NULL},
    {"range above", K_RANGE, 100.5, 0, NULL, 0, HL_EINVAL, "100.5 is outside [0, 100]"},
    {"range NaN", K_RANGE, NAN, 0, NULL, 0, HL_EINVAL, "NaN"},
    {"range inf", K_RANGE, INFINITY, 0, NULL, 0, HL_EINVAL, "infinite"},
    {"nonneg zero", K_NONNEG, 0, 0, NULL, 0, 0, NULL},
    {"nonneg negative quantity", K_NONNEG, -1, 0, NULL, 0, HL_EINVAL, "-1 is negative"},
    {"nonneg NaN concentration", K_NONNEG, NAN, 0, NULL, 0, HL_EINVAL, "NaN"},
    {"nonneg -inf", K_NONNEG, -INFINITY, 0, NULL, 0, HL_EINVAL, "infinite"},
    {"positive zero", K_POS, 0, 0, NULL, 0, HL_EINVAL, "not above 0"},
    {"positive tiny", K_POS, 1e-9, 0, NULL, 0, 0, NULL},
    {"int inside", K_INT, 0, 5, NULL, 0, 0, NULL},
    {"int above", K_INT, 0, 11, NULL, 0, HL_EINVAL, "11 is outside [1, 10]"},
    {"time now", K_TIME, 0, NOW, NULL, 0, 0, NULL},
    {"time 9 years ago", K_TIME, 0, NOW - 9 * 365 * DAY, NULL, 0, 0, NULL},
    {"time 11 years ago", K_TIME, 0, NOW - 11 * 365 * DAY, NULL, 0, HL_EINVAL, "10 years before"},
    {"time in 1970", K_TIME, 0, 1000, NULL, 0, HL_EINVAL, "10 years before"},
    {"time in 23 hours", K_TIME, 0, NOW + 23 * 3600 * 1000LL, NULL, 0, 0, NULL},
    {"time in 2 days", K_TIME, 0, NOW + 2 * DAY, NULL, 0, HL_EINVAL, "1 day after"},
    {"time INT64_MAX", K_TIME, 0, INT64_MAX, NULL, 0, HL_EINVAL, "1 day after"},
    {"time INT64_MIN", K_TIME, 0, INT64_MIN, NULL, 0, HL_EINVAL, "10 years before"},
    {"time missing", K_TIME, 0, 0, NULL, 0, HL_EINVAL, "missing"},
    {"time_opt missing", K_TIME_OPT, 0, 0, NULL, 0, 0, NULL},
    {"time_opt negative", K_TIME_OPT, 0, -5, NULL, 0, HL_EINVAL, "10 years before"},
    {"id ok", K_ID, 0, 0, "reg-123", 1, 0, NULL},
    {"id empty required", K_ID, 0, 0, "", 1, HL_EINVAL, "is empty"},
    {"id NULL optional", K_ID, 0, 0, NULL, 0, 0, NULL},
    {"id bad char", K_ID, 0, 0, "reg 123", 1, HL_EINVAL, "'reg 123' is not an id"},
    {"id binary shown safely", K_ID, 0, 0, "a\xff\x01z", 1, HL_EINVAL, "'a??z'"},
    {"id too long", K_ID, 0, 0, g_long_id, 1, HL_ETOOBIG, "longer than 64"},
    {"str ok", K_STR, 0, 0, "泄漏 benzene\tline\nline", 1, 0, NULL},
    {"str empty optional", K_STR, 0, 0, "", 0, 0, NULL},
    {"str huge", K_STR, 0, 0, g_long_text, 1, HL_ETOOBIG, "2049 bytes is longer than 2048"},
    {"str bad UTF-8", K_STR, 0, 0, "ab\xc3", 1, HL_EINVAL, "UTF-8"},
    {"str control", K_STR, 0, 0, "ab\x1b[2J", 1, HL_EINVAL, "control character 0x1b"},
    {"enum ok", K_ENUM, 0, 0, "decline", 1, 0, NULL},
    {"enum unknown", K_ENUM, 0, 0, "approve", 1, HL_EINVAL, "'approve' is not one of: ack, decline, complete"},
    {"enum case", K_ENUM, 0, 0, "ACK", 1, HL_EINVAL, "not one of"},
    {"enum empty required", K_ENUM, 0, 0, "", 1, HL_EINVAL, "is empty"},
    {"enum empty optional", K_ENUM, 0, 0, "", 0, 0, NULL},
    {"count ok", K_COUNT, 0, 3, NULL, 0, 0, NULL},
    {"count over", K_COUNT, 0, HL_LIST_MAX + 1, NULL, 0, HL_ETOOBIG, "1001 items, more than 1000"},
    {"count under", K_COUNT, 0, 0, NULL, 0, HL_EINVAL, "fewer than 1"},
};

static int run_case(hl_check *c, const ccase *t)
{
    const char *f = "msg.field";
    switch (t->k) {
    case K_RANGE: return hl_check_range(c, f, t->d, 0, 100);
    case K_NONNEG: return hl_check_nonneg(c, f, t->d);
    case K_POS: return hl_check_positive(c, f, t->d);
    case K_INT: return hl_check_int(c, f, t->i, 1, 10);
    case K_TIME: return hl_check_time(c, f, t->i, NOW);
    case K_TIME_OPT: return hl_check_time_opt(c, f, t->i, NOW);
    case K_ID: return hl_check_id(c, f, t->s, t->required);
    case K_STR: return hl_check_str(c, f, t->s, HL_TEXT_MAX, t->required);
    case K_ENUM: return hl_check_enum(c, f, t->s, k_actions, t->required);
    case K_COUNT: return hl_check_count(c, f, (size_t)t->i, 1, HL_LIST_MAX);
    }
    return 0;
}

static void test_cases(void **state)
{
    (void)state;
    memset(g_long_id, 'a', HL_ID_MAX + 1);
    memset(g_long_text, 'x', HL_TEXT_MAX + 1);
    for (size_t i = 0; i < sizeof k_cases / sizeof *k_cases; i++) {
        const ccase *t = &k_cases[i];
        hl_check c = HL_CHECK_INIT;
        int rc = run_case(&c, t);
        if (rc != t->want || c.rc != t->want)
            fail_msg("case '%s': got %d (%s), want %d", t->name, rc, c.why, t->want);
        if (t->want == 0) {
            assert_string_equal(c.field, "");
            continue;
        }
        /* The error names the field, in the field and in the sentence. */
        assert_string_equal(c.field, "msg.field");
        if (strncmp(c.why, "msg.field: ", 11) != 0)
            fail_msg("case '%s': sentence '%s' does not start with the field", t->name, c.why);
        if (t->in_why && !strstr(c.why, t->in_why))
            fail_msg("case '%s': '%s' does not say '%s'", t->name, c.why, t->in_why);
        /* Whatever came in, the sentence is valid UTF-8 and fits an error reply. */
        assert_int_equal(hl_str_check(c.why, HL_TEXT_MAX, 1), 0);
    }
}

/* The first failure wins; later checks do nothing. */
static void test_first_failure_wins(void **state)
{
    (void)state;
    hl_check c = HL_CHECK_INIT;
    assert_int_equal(hl_check_id(&c, "a.id", "ok-1", 1), 0);
    assert_int_equal(hl_check_nonneg(&c, "a.qty", -3), HL_EINVAL);
    assert_int_equal(hl_check_id(&c, "a.other", "", 1), HL_EINVAL);
    assert_int_equal(hl_check_count(&c, "a.list", 5000, 0, 10), HL_EINVAL);
    assert_string_equal(c.field, "a.qty");
    assert_non_null(strstr(c.why, "-3 is negative"));
    assert_int_equal(hl_check_fail(&c, HL_ESTATE, "x", "y"), HL_EINVAL);
    hl_check d = HL_CHECK_INIT;
    assert_int_equal(hl_check_fail(&d, HL_ESTATE, "task.state", "task %s is %s", "t1", "done"),
                     HL_ESTATE);
    assert_string_equal(d.why, "task t1 is done");
    assert_int_equal(hl_check_id(NULL, "x", "y", 1), HL_EINVAL);
}

/* ---- hl_req_payload outside a service: bound and decode ---- */

static void test_payload_unit(void **state)
{
    (void)state;
    Hl__Envelope env = HL__ENVELOPE__INIT;
    env.type = "t.q";
    hl_req r = {0};
    r.env = &env;
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    /* Empty payload: every field unset. */
    assert_int_equal(hl_req_payload(&r, &hl__list_query__descriptor, &m), 0);
    assert_non_null(m);
    assert_string_equal(((Hl__ListQuery *)m)->id, "");
    protobuf_c_message_free_unpacked(m, NULL);
    /* Truncated varint. */
    uint8_t junk[] = {0x08, 0xff, 0xff};
    env.payload.data = junk;
    env.payload.len = sizeof junk;
    assert_int_equal(hl_req_payload(&r, &hl__list_query__descriptor, &m), HL_EDECODE);
    assert_null(m);
    /* Over the bound (no service: HL_MAX_MSG_BYTES): refused before unpacking. */
    uint8_t *big = calloc(1, HL_MAX_MSG_BYTES + 1);
    assert_non_null(big);
    env.payload.data = big;
    env.payload.len = HL_MAX_MSG_BYTES + 1;
    assert_int_equal(hl_req_payload(&r, &hl__list_query__descriptor, &m), HL_ETOOBIG);
    assert_null(m);
    free(big);
    assert_int_equal(hl_req_payload(&r, NULL, &m), HL_EINVAL);
    assert_int_equal(hl_req_payload(NULL, &hl__list_query__descriptor, &m), HL_EINVAL);
}

/* ---- in a service: the error replies ---- */

static char g_tmp[64];
static int g_base_port;
static int g_effects;

/* t.check: ListQuery; id must be an id, unit_id one of k_actions, limit 1..100; on success
 * writes records[id]. */
static int h_check(hl_req *r, void *ud)
{
    (void)ud;
    ProtobufCMessage *m = NULL;
    int rc = hl_req_payload(r, &hl__list_query__descriptor, &m);
    if (rc < 0) return rc;
    Hl__ListQuery *q = (Hl__ListQuery *)m;
    hl_check c = HL_CHECK_INIT;
    hl_check_id(&c, "query.id", q->id, 1);
    hl_check_enum(&c, "query.unit_id", q->unit_id, k_actions, 1);
    hl_check_int(&c, "query.limit", q->limit, 1, 100);
    if (c.rc < 0) {
        rc = hl_req_fail_check(r, &c);
    } else {
        rc = hl_kv_put(r->txn, "records", q->id, "1", 1);
        if (rc == 0) __atomic_add_fetch(&g_effects, 1, __ATOMIC_SEQ_CST);
        if (rc == 0) rc = hl_req_reply(r, "t.check.ok", NULL);
    }
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

typedef struct svc_th {
    uv_loop_t loop;
    hl_svc *svc;
    pthread_t th;
} svc_th;

static void *svc_main(void *arg)
{
    svc_th *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    return NULL;
}

static hl_config cfg_of(void)
{
    hl_config c;
    char err[256];
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    snprintf(c.data_dir, sizeof c.data_dir, "%s", g_tmp);
    c.base_port = g_base_port;
    return c;
}

/* Send a raw payload as t.check; returns the reply (caller frees). */
static Hl__Envelope *send_raw(const char *ep, const uint8_t *payload, size_t len)
{
    void *ctx = zmq_ctx_new();
    void *z = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, ms = 5000;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(z, ZMQ_RCVTIMEO, &ms, sizeof ms);
    assert_int_equal(zmq_connect(z, ep), 0);
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("tester", "t.check", NULL, NULL, NULL, &e), 0);
    e->payload.data = (uint8_t *)payload;
    e->payload.len = len;
    uint8_t *buf;
    size_t blen;
    assert_int_equal(hl_env_pack(e, &buf, &blen), 0);
    e->payload.data = NULL;
    e->payload.len = 0;
    hl_env_free(&e);
    assert_int_equal(zmq_send(z, buf, blen, 0), (int)blen);
    free(buf);
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, z, 0) < 0) fail_msg("no reply");
    Hl__Envelope *r = NULL;
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &r, NULL, 0), 0);
    zmq_msg_close(&m);
    zmq_close(z);
    zmq_ctx_term(ctx);
    return r;
}

static void test_payload_service(void **state)
{
    (void)state;
    svc_th t;
    uv_loop_init(&t.loop);
    hl_config cfg = cfg_of();
    char err[512] = "";
    if (hl_svc_new(&t.loop, "stock", &cfg, &t.svc, err, sizeof err) < 0) fail_msg("%s", err);
    assert_int_equal(hl_svc_on(t.svc, "t.check", h_check, NULL, 0), 0);
    assert_int_equal(pthread_create(&t.th, NULL, svc_main, &t), 0);
    char ep[64];
    assert_int_equal(hl_config_endpoint(&cfg, "stock", "req", ep, sizeof ep), 0);
    g_effects = 0;

    /* Undecodable payload: HL_EDECODE naming the type and the message expected. */
    uint8_t junk[] = {0x12, 0x40, 'a'}; /* field 2, 64 bytes announced, 1 present */
    Hl__Envelope *r = send_raw(ep, junk, sizeof junk);
    assert_non_null(r->error);
    assert_int_equal(r->error->code, HL_EDECODE);
    assert_string_equal(r->error->field, "payload");
    assert_non_null(strstr(r->error->message, "t.check payload (3 bytes) is not a hl.ListQuery"));
    hl_env_free(&r);

    /* Well-formed but wrong values: each named, nothing written. */
    static const struct {
        const char *id, *unit;
        uint32_t limit;
        const char *field, *say;
    } bad[] = {
        {"", "ack", 5, "query.id", "is empty"},
        {"x y", "ack", 5, "query.id", "not an id"},
        {"ok-1", "approve", 5, "query.unit_id", "not one of"},
        {"ok-1", "ack", 1000000, "query.limit", "outside [1, 100]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Hl__ListQuery q = HL__LIST_QUERY__INIT;
        q.id = (char *)bad[i].id;
        q.unit_id = (char *)bad[i].unit;
        q.limit = bad[i].limit;
        Hl__Envelope *rep = NULL;
        int rc = hl_call(NULL, ep, "tester", "t.check", &q.base, 5000, &rep, err, sizeof err);
        assert_int_equal(rc, HL_EINVAL);
        assert_string_equal(rep->error->field, bad[i].field);
        if (!strstr(rep->error->message, bad[i].say))
            fail_msg("'%s' does not say '%s'", rep->error->message, bad[i].say);
        hl_env_free(&rep);
    }
    assert_int_equal(g_effects, 0);
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "ok-1";
    q.unit_id = "ack";
    q.limit = 5;
    assert_int_equal(hl_call(NULL, ep, "tester", "t.check", &q.base, 5000, &r, err, sizeof err),
                     0);
    hl_env_free(&r);
    assert_int_equal(g_effects, 1);

    hl_svc_stop(t.svc);
    pthread_join(t.th, NULL);
    hl_svc_destroy(&t.svc);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

static int setup(void **state)
{
    (void)state;
    g_base_port = lt_base_port();
    return lt_tmpdir(g_tmp, sizeof g_tmp, "hl-check");
}

static int teardown(void **state)
{
    (void)state;
    return lt_rmtree(g_tmp);
}

int main(void)
{
    hl_log_init("lib_check", HL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_first_failure_wins),
        cmocka_unit_test(test_payload_unit),
        cmocka_unit_test(test_payload_service),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
