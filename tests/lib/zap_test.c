/* CURVE + ZAP on the partner gateway (issue 3 "Partner security"): real service on a thread,
 * real CURVE sockets on 127.0.0.1, real key files in a mkdtemp folder.
 *
 * Handlers of the service under test ("dispatch"):
 *   t.gw    gateway: reply ListQuery{unit_id = r->auth_unit, id = r->peer}, push "t.note"
 *           to the caller
 *   t.push  request socket: push "t.note" to routing id ListQuery.id (to try pushing to a
 *           revoked unit)
 * The test thread asks the service's loop to revoke keys or rotate the gateway key through a
 * uv_async (the key table belongs to the loop thread, hl_zap.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>
#include <zmq.h>

#include "hazlink/hl_bus.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "hazlink/hl_zap.h"
#include "lib_test.h"

static char g_tmp[64];
static int g_base_port;
static int g_gw_calls;

/* ---- keys on disk ---- */

static void path_of(const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", g_tmp, name);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 0777;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_keys_files(void **state)
{
    (void)state;
    char err[512], base[128], p[160];
    assert_int_equal(hl_curve_available(err, sizeof err), 0);
    hl_keypair kp, back;
    assert_int_equal(hl_keys_generate(&kp), 0);
    assert_int_equal(hl_key_check(kp.pub), 0);
    assert_int_equal(hl_key_check(kp.sec), 0);
    char derived[HL_KEY_Z85_LEN + 1];
    assert_int_equal(hl_keys_public_of(kp.sec, derived), 0);
    assert_string_equal(derived, kp.pub);

    /* The secret key is 0600 whatever the umask (0 here would give 0666 to a plain fopen). */
    mode_t old = umask(0);
    path_of("reg-123", base, sizeof base);
    assert_int_equal(hl_keys_save(base, &kp, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s.key", base);
    assert_int_equal(mode_of(p), 0600);
    snprintf(p, sizeof p, "%s.pub", base);
    assert_int_equal(mode_of(p), 0644);
    /* Rotation: saving again replaces the pair atomically, mode kept. */
    hl_keypair kp2;
    assert_int_equal(hl_keys_generate(&kp2), 0);
    assert_int_equal(hl_keys_save(base, &kp2, err, sizeof err), 0);
    snprintf(p, sizeof p, "%s.key", base);
    assert_int_equal(mode_of(p), 0600);
    umask(old);
    assert_int_equal(hl_keys_load(base, &back, err, sizeof err), 0);
    assert_string_equal(back.pub, kp2.pub);
    assert_string_equal(back.sec, kp2.sec);
    /* Through symlinks (container secret mounts): the target's mode is what counts. */
    char lbase[128], lk[160], tk[160];
    path_of("link", lbase, sizeof lbase);
    snprintf(lk, sizeof lk, "%s.key", lbase);
    snprintf(tk, sizeof tk, "%s.key", base);
    assert_int_equal(symlink(tk, lk), 0);
    assert_int_equal(hl_keys_load(lbase, &back, err, sizeof err), 0);
    assert_string_equal(back.pub, kp2.pub);
    /* No temporary file left behind. */
    snprintf(p, sizeof p, "%s.key.tmp-%ld", base, (long)getpid());
    assert_int_not_equal(access(p, F_OK), 0);

    /* A secret key readable by others is refused, naming the file and the fix. */
    snprintf(p, sizeof p, "%s.key", base);
    assert_int_equal(chmod(p, 0644), 0);
    assert_int_equal(hl_keys_load(base, &back, err, sizeof err), HL_EDENIED);
    assert_non_null(strstr(err, "chmod 600"));
    assert_non_null(strstr(err, p));
    assert_int_equal(chmod(p, 0600), 0);
    /* A .pub that does not belong to the .key. */
    snprintf(p, sizeof p, "%s.pub", base);
    write_text(p, kp.pub);
    assert_int_equal(hl_keys_load(base, &back, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "does not hold the public key"));
    /* Not a key: the error names the file but never echoes its content. */
    write_text(p, "not-a-key\n");
    assert_int_equal(hl_keys_load_public(p, derived, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, p));
    assert_null(strstr(err, "not-a-key\n"));
    /* Missing files. */
    path_of("nobody", base, sizeof base);
    assert_int_equal(hl_keys_load(base, &back, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "nobody.key"));

    /* Key syntax: 40 characters of the Z85 alphabet. */
    assert_int_equal(hl_key_check(NULL), HL_EINVAL);
    assert_int_equal(hl_key_check(""), HL_EINVAL);
    char bad[HL_KEY_Z85_LEN + 2];
    memcpy(bad, kp.pub, sizeof kp.pub);
    bad[5] = '"'; /* not in the alphabet */
    assert_int_equal(hl_key_check(bad), HL_EINVAL);
    memcpy(bad, kp.pub, sizeof kp.pub);
    bad[HL_KEY_Z85_LEN] = 'a', bad[HL_KEY_Z85_LEN + 1] = '\0';
    assert_int_equal(hl_key_check(bad), HL_EINVAL);
    /* "#####" is 84*85^4+... > 2^32: not a valid group. */
    assert_int_equal(hl_key_check("################################\x23\x23\x23\x23\x23\x23\x23\x23"),
                     HL_EINVAL);
}

static void test_keytable(void **state)
{
    (void)state;
    hl_keytable *kt = NULL;
    assert_int_equal(hl_keytable_new(&kt), 0);
    hl_keypair a, b, c;
    hl_keys_generate(&a), hl_keys_generate(&b), hl_keys_generate(&c);
    assert_int_equal(hl_keytable_add(kt, a.pub, "reg-123"), 0);
    assert_int_equal(hl_keytable_add(kt, a.pub, "reg-123"), 0); /* same pair again */
    assert_int_equal(hl_keytable_add(kt, a.pub, "reg-124"), HL_EEXIST);
    assert_int_equal(hl_keytable_add(kt, b.pub, "reg-123"), 0); /* a second key (rotation) */
    assert_int_equal(hl_keytable_add(kt, c.pub, "bad id!"), HL_EINVAL);
    assert_int_equal(hl_keytable_add(kt, "short", "reg-125"), HL_EINVAL);
    assert_int_equal(hl_keytable_count(kt), 2);
    assert_string_equal(hl_keytable_unit(kt, b.pub), "reg-123");
    assert_null(hl_keytable_unit(kt, c.pub));
    assert_int_equal(hl_keytable_revision(kt), 0);
    assert_int_equal(hl_keytable_revoke_key(kt, a.pub), 0);
    assert_int_equal(hl_keytable_revision(kt), 1);
    assert_null(hl_keytable_unit(kt, a.pub));
    assert_int_equal(hl_keytable_revoke_key(kt, a.pub), HL_ENOTFOUND);
    assert_int_equal(hl_keytable_add(kt, c.pub, "reg-125"), 0);
    assert_int_equal(hl_keytable_revoke_unit(kt, "reg-123"), 0);
    assert_int_equal(hl_keytable_revoke_unit(kt, "reg-123"), HL_ENOTFOUND);
    assert_int_equal(hl_keytable_count(kt), 1);
    assert_int_equal(hl_keytable_revision(kt), 2);

    /* Save and load back. */
    char path[128], err[512];
    path_of("keys.txt", path, sizeof path);
    assert_int_equal(hl_keytable_add(kt, a.pub, "kt-eeb"), 0);
    assert_int_equal(hl_keytable_save(kt, path, err, sizeof err), 0);
    hl_keytable *kt2 = NULL;
    assert_int_equal(hl_keytable_new(&kt2), 0);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), 0);
    assert_int_equal(hl_keytable_count(kt2), 2);
    assert_string_equal(hl_keytable_unit(kt2, a.pub), "kt-eeb");
    assert_string_equal(hl_keytable_unit(kt2, c.pub), "reg-125");

    /* Bad files: "file:line: what", and the table is unchanged. */
    char text[512];
    snprintf(text, sizeof text, "# partners\n\nreg-128 %s\nreg-129 %s\n", b.pub, "xyz");
    write_text(path, text);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), HL_EPARSE);
    char want[160];
    snprintf(want, sizeof want, "%s:4: key", path);
    assert_non_null(strstr(err, want));
    assert_int_equal(hl_keytable_count(kt2), 2);
    assert_null(hl_keytable_unit(kt2, b.pub));
    snprintf(text, sizeof text, "reg-128 %s\n", a.pub); /* a is kt-eeb's */
    write_text(path, text);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), HL_EEXIST);
    assert_non_null(strstr(err, ":1: key already admitted as unit kt-eeb"));
    snprintf(text, sizeof text, "reg 128 %s\n", b.pub);
    write_text(path, text);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), HL_EPARSE);
    char line[400];
    memset(line, 'a', sizeof line - 2);
    line[sizeof line - 2] = '\n', line[sizeof line - 1] = '\0';
    write_text(path, line);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, ":1: line longer than"));
    assert_int_equal(hl_keytable_count(kt2), 2);
    path_of("absent.txt", path, sizeof path);
    assert_int_equal(hl_keytable_load(kt2, path, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "absent.txt"));
    hl_keytable_destroy(&kt);
    hl_keytable_destroy(&kt2);
    assert_null(kt);
}

/* ---- the gateway under test ---- */

typedef enum { ACT_NONE, ACT_REVOKE_UNIT, ACT_REKEY } action;

typedef struct gw_th {
    uv_loop_t loop;
    hl_svc *svc;
    hl_keytable *kt;
    pthread_t th;
    uv_async_t async;
    pthread_mutex_t mu;
    action act;
    char arg[64];
    int done;
} gw_th;

static int h_gw(hl_req *r, void *ud)
{
    (void)ud;
    __atomic_add_fetch(&g_gw_calls, 1, __ATOMIC_SEQ_CST);
    Hl__ListQuery a = HL__LIST_QUERY__INIT;
    a.unit_id = (char *)r->auth_unit;
    a.id = (char *)r->peer;
    int rc = hl_svc_push(r, r->peer, "t.note", NULL);
    if (rc == 0) rc = hl_req_reply(r, "t.gw.ok", &a.base);
    return rc;
}

static int h_push(hl_req *r, void *ud)
{
    (void)ud;
    ProtobufCMessage *m = NULL;
    int rc = hl_req_payload(r, &hl__list_query__descriptor, &m);
    if (rc < 0) return rc;
    Hl__ListQuery *q = (Hl__ListQuery *)m;
    rc = hl_svc_push(r, q->id, "t.note", NULL);
    if (rc == 0) rc = hl_req_reply(r, "t.push.ok", NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static void on_async(uv_async_t *a)
{
    gw_th *t = a->data;
    pthread_mutex_lock(&t->mu);
    if (t->act == ACT_REVOKE_UNIT)
        assert_int_equal(hl_keytable_revoke_unit(t->kt, t->arg), 0);
    else if (t->act == ACT_REKEY)
        assert_int_equal(hl_svc_gateway_rekey(t->svc, t->arg), 0);
    t->act = ACT_NONE;
    t->done = 1;
    pthread_mutex_unlock(&t->mu);
}

/* Run act in the service's loop and wait for it. */
static void gw_do(gw_th *t, action act, const char *arg)
{
    pthread_mutex_lock(&t->mu);
    t->act = act;
    t->done = 0;
    snprintf(t->arg, sizeof t->arg, "%s", arg);
    pthread_mutex_unlock(&t->mu);
    uv_async_send(&t->async);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&t->mu);
        int d = t->done;
        pthread_mutex_unlock(&t->mu);
        if (d) return;
        usleep(10000);
    }
    fail_msg("the service loop did not run the action");
}

static void *gw_th_main(void *arg)
{
    gw_th *t = arg;
    uv_run(&t->loop, UV_RUN_DEFAULT);
    return NULL;
}

static hl_config test_config(void)
{
    hl_config c;
    char err[256];
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    snprintf(c.data_dir, sizeof c.data_dir, "%s/data", g_tmp);
    c.base_port = g_base_port;
    c.resend_ms = 200;
    return c;
}

static char *ep_of(const char *kind)
{
    static char ep[2][64];
    static int k;
    hl_config c = test_config();
    k ^= 1;
    assert_int_equal(hl_config_endpoint(&c, "dispatch", kind, ep[k], sizeof ep[k]), 0);
    return ep[k];
}

static void gw_start(gw_th *t, const char *server_secret, hl_keytable *kt)
{
    memset(t, 0, sizeof *t);
    uv_loop_init(&t->loop);
    pthread_mutex_init(&t->mu, NULL);
    hl_config cfg = test_config();
    char err[512] = "";
    if (hl_svc_new(&t->loop, "dispatch", &cfg, &t->svc, err, sizeof err) < 0)
        fail_msg("hl_svc_new: %s", err);
    assert_int_equal(hl_svc_on(t->svc, "t.gw", h_gw, NULL, HL_H_GATEWAY), 0);
    assert_int_equal(hl_svc_on(t->svc, "t.push", h_push, NULL, 0), 0);
    t->kt = kt;
    int rc = hl_svc_gateway_curve(t->svc, ep_of("gw"), server_secret, kt, err, sizeof err);
    if (rc < 0) fail_msg("hl_svc_gateway_curve: %s", err);
    /* A second gateway (or a second ZAP handler) is refused. */
    assert_int_equal(hl_svc_gateway_curve(t->svc, ep_of("gw"), server_secret, kt, err,
                                          sizeof err), HL_EEXIST);
    uv_async_init(&t->loop, &t->async, on_async);
    t->async.data = t;
    assert_int_equal(pthread_create(&t->th, NULL, gw_th_main, t), 0);
}

static void gw_stop(gw_th *t, hl_svc_stats *st)
{
    hl_svc_stop(t->svc);
    pthread_join(t->th, NULL);
    hl_svc_stats_get(t->svc, st);
    uv_close((uv_handle_t *)&t->async, NULL);
    hl_svc_destroy(&t->svc);
    assert_int_equal(uv_loop_close(&t->loop), 0);
    pthread_mutex_destroy(&t->mu);
}

/* A DEALER on ctx with CURVE keys (own NULL: no CURVE) and routing id. */
static void *dealer(void *ctx, const char *server_pub, const hl_keypair *own, const char *rid)
{
    void *z = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    if (own) {
        hl_curve c;
        assert_int_equal(hl_curve_client(server_pub, own, &c), 0);
        hl_sock_opt o[HL_CURVE_MAX_OPTS];
        size_t n = hl_curve_sockopts(&c, o);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(zmq_setsockopt(z, o[i].name, o[i].val, o[i].len), 0);
    }
    if (rid) zmq_setsockopt(z, ZMQ_ROUTING_ID, rid, strlen(rid));
    assert_int_equal(zmq_connect(z, ep_of("gw")), 0);
    return z;
}

static void send_type(void *z, const char *type)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("tester", type, &q.base, NULL, NULL, &e), 0);
    uint8_t *buf;
    size_t len;
    assert_int_equal(hl_env_pack(e, &buf, &len), 0);
    assert_int_equal(zmq_send(z, buf, len, ZMQ_DONTWAIT), (int)len);
    free(buf);
    hl_env_free(&e);
}

/* Next envelope on z within ms, or NULL. */
static Hl__Envelope *recv_within(void *z, int ms)
{
    zmq_pollitem_t it = {z, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&it, 1, ms) <= 0) return NULL;
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, z, 0) >= 0);
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), 0, &e, NULL, 0), 0);
    zmq_msg_close(&m);
    return e;
}

/* Send t.gw and expect the reply (auth unit = unit) and the push, in either order. */
static void expect_admitted(void *z, const char *unit)
{
    send_type(z, "t.gw");
    Hl__Envelope *a = recv_within(z, 5000), *b = a ? recv_within(z, 5000) : NULL;
    if (!a || !b) fail_msg("%s: no reply and push", unit);
    Hl__Envelope *reply = a->correlation_id[0] ? a : b, *push = a->correlation_id[0] ? b : a;
    if (reply->error) fail_msg("%s refused: %s", unit, reply->error->message);
    Hl__ListQuery *q = (Hl__ListQuery *)hl_msg_unpack(&hl__list_query__descriptor,
                                                      reply->payload.data, reply->payload.len);
    assert_non_null(q);
    assert_string_equal(q->unit_id, unit);
    protobuf_c_message_free_unpacked(&q->base, NULL);
    assert_string_equal(push->type, "t.note");
    hl_env_free(&a);
    hl_env_free(&b);
}

static void test_gateway_admission(void **state)
{
    (void)state;
    hl_keypair server, listed, unlisted;
    hl_keys_generate(&server), hl_keys_generate(&listed), hl_keys_generate(&unlisted);
    hl_keytable *kt = NULL;
    assert_int_equal(hl_keytable_new(&kt), 0);
    assert_int_equal(hl_keytable_add(kt, listed.pub, "reg-123"), 0);
    gw_th t;
    gw_start(&t, server.sec, kt);
    void *ctx = zmq_ctx_new();
    g_gw_calls = 0;

    /* A listed key gets in; the handler sees the unit the key maps to, not the claim. */
    void *ok = dealer(ctx, server.pub, &listed, "reg-123");
    expect_admitted(ok, "reg-123");
    assert_int_equal(g_gw_calls, 1);

    /* An unlisted key: refused in the handshake, nothing reaches a handler. */
    void *no = dealer(ctx, server.pub, &unlisted, "reg-124");
    send_type(no, "t.gw");
    assert_null(recv_within(no, 1500));
    /* No CURVE at all: refused too. */
    void *plain = dealer(ctx, NULL, NULL, "reg-123x");
    send_type(plain, "t.gw");
    assert_null(recv_within(plain, 1000));
    /* CURVE with a wrong server key: the handshake fails. */
    hl_keypair other;
    hl_keys_generate(&other);
    void *wrong = dealer(ctx, other.pub, &listed, "reg-123y");
    send_type(wrong, "t.gw");
    assert_null(recv_within(wrong, 1000));
    assert_int_equal(g_gw_calls, 1);

    /* A listed key posing as another unit's routing id: refused with HL_EDENIED. */
    hl_keypair second;
    hl_keys_generate(&second);
    void *spoof = dealer(ctx, server.pub, &listed, "reg-125");
    send_type(spoof, "t.gw");
    Hl__Envelope *e = recv_within(spoof, 5000);
    assert_non_null(e);
    assert_non_null(e->error);
    assert_int_equal(e->error->code, HL_EDENIED);
    assert_string_equal(e->error->field, "unit");
    assert_non_null(strstr(e->error->message, "routing id 'reg-125'"));
    hl_env_free(&e);
    assert_int_equal(g_gw_calls, 1);
    /* The legitimate client still works. */
    expect_admitted(ok, "reg-123");

    zmq_close(ok), zmq_close(no), zmq_close(plain), zmq_close(wrong), zmq_close(spoof);
    zmq_ctx_term(ctx);
    hl_svc_stats st;
    gw_stop(&t, &st);
    assert_int_equal(st.denied, 1);
    hl_keytable_destroy(&kt);
}

/* With ZMQ_ZAP_ENFORCE_DOMAIN and no ZAP handler the CURVE server admits nobody; the same
 * socket without enforcement lets any holder of the server key in (why it must be set). */
typedef struct raw_srv {
    int got;
} raw_srv;

static void raw_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    (void)s, (void)f, (void)n;
    ((raw_srv *)ud)->got++;
}

static int try_without_handler(int enforce, int port)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    hl_keypair server, client;
    hl_keys_generate(&server), hl_keys_generate(&client);
    hl_curve c;
    assert_int_equal(hl_curve_server(server.sec, &c), 0);
    hl_sock_opt o[HL_CURVE_MAX_OPTS];
    size_t n = hl_curve_sockopts(&c, o);
    assert_int_equal(n, 4);
    assert_int_equal(o[3].name, ZMQ_ZAP_ENFORCE_DOMAIN);
    int zero = 0;
    if (!enforce) o[3].val = &zero;
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    raw_srv rs = {0};
    hl_sock *srv = NULL;
    assert_int_equal(hl_sock_open_opts(b, ZMQ_ROUTER, ep, 1, o, n, raw_recv, &rs, &srv), 0);
    hl_curve cc;
    assert_int_equal(hl_curve_client(server.pub, &client, &cc), 0);
    n = hl_curve_sockopts(&cc, o);
    hl_sock *cl = NULL;
    assert_int_equal(hl_sock_open_opts(b, ZMQ_DEALER, ep, 0, o, n, NULL, NULL, &cl), 0);
    hl_frame f = {"hello", 5};
    hl_sock_sendv(cl, &f, 1);
    uint64_t end = uv_hrtime() + 1500000000ull;
    while (!rs.got && uv_hrtime() < end) uv_run(&loop, UV_RUN_NOWAIT), usleep(5000);
    hl_bus_destroy(&b);
    assert_int_equal(uv_loop_close(&loop), 0);
    return rs.got;
}

static void test_fail_closed(void **state)
{
    (void)state;
    assert_int_equal(try_without_handler(1, g_base_port + 5), 0);
    assert_int_equal(try_without_handler(0, g_base_port + 6), 1);
}

static void test_revocation(void **state)
{
    (void)state;
    hl_keypair server, k123, k124;
    hl_keys_generate(&server), hl_keys_generate(&k123), hl_keys_generate(&k124);
    hl_keytable *kt = NULL;
    assert_int_equal(hl_keytable_new(&kt), 0);
    assert_int_equal(hl_keytable_add(kt, k123.pub, "reg-123"), 0);
    assert_int_equal(hl_keytable_add(kt, k124.pub, "reg-124"), 0);
    gw_th t;
    gw_start(&t, server.sec, kt);
    void *ctx = zmq_ctx_new();
    void *a = dealer(ctx, server.pub, &k123, "reg-123");
    void *b = dealer(ctx, server.pub, &k124, "reg-124");
    expect_admitted(a, "reg-123");
    expect_admitted(b, "reg-124");

    /* Revoke reg-124 while its connection is up (outside any batch, so the connection is
     * not cut yet): its next request is refused by the per-message check. */
    gw_do(&t, ACT_REVOKE_UNIT, "reg-124");
    int calls = g_gw_calls;
    send_type(b, "t.gw");
    Hl__Envelope *e = recv_within(b, 5000);
    assert_non_null(e);
    assert_non_null(e->error);
    assert_int_equal(e->error->code, HL_EDENIED);
    assert_non_null(strstr(e->error->message, "revoked"));
    hl_env_free(&e);
    assert_int_equal(g_gw_calls, calls); /* no handler ran, so nothing changed */
    /* That batch cut every connection: reg-124's next request never arrives (its
     * reconnection is refused by ZAP) and gets no answer. */
    send_type(b, "t.gw");
    assert_null(recv_within(b, 1500));
    assert_int_equal(g_gw_calls, calls);

    /* No more pushes reach it: dispatch's pushes to routing id reg-124 are dropped. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = "reg-124";
    Hl__Envelope *r = NULL;
    char err[512];
    assert_int_equal(hl_call(NULL, ep_of("req"), "tester", "t.push", &q.base, 5000, &r, err,
                             sizeof err), 0);
    hl_env_free(&r);
    assert_null(recv_within(b, 1000));

    /* reg-123 reconnected by itself and is served again, pushes included. */
    expect_admitted(a, "reg-123");
    q.id = "reg-123";
    assert_int_equal(hl_call(NULL, ep_of("req"), "tester", "t.push", &q.base, 5000, &r, err,
                             sizeof err), 0);
    hl_env_free(&r);
    e = recv_within(a, 5000);
    assert_non_null(e);
    assert_string_equal(e->type, "t.note");
    hl_env_free(&e);

    /* Rotating the gateway key: old server key no longer works, the new one does. */
    hl_keypair server2;
    hl_keys_generate(&server2);
    gw_do(&t, ACT_REKEY, server2.sec);
    send_type(a, "t.gw");
    assert_null(recv_within(a, 1500));
    void *a2 = dealer(ctx, server2.pub, &k123, "reg-123");
    zmq_close(a); /* frees the routing id (handover is off under CURVE) */
    expect_admitted(a2, "reg-123");

    zmq_close(a2), zmq_close(b);
    zmq_ctx_term(ctx);
    hl_svc_stats st;
    gw_stop(&t, &st);
    assert_int_equal(st.denied, 1);
    assert_int_equal(st.gw_cuts, 2); /* revocation, rotation */
    assert_true(st.pushes_dropped >= 1);
    hl_keytable_destroy(&kt);
}

/* Blocking calls and async clients speak CURVE with options built from key files. */
typedef struct cl_wait {
    int done, status;
    char unit[HL_ID_MAX + 1];
} cl_wait;

static void cl_reply(int status, const Hl__Envelope *reply, void *ud)
{
    cl_wait *w = ud;
    w->status = status;
    if (status == 0 && !reply->error) {
        Hl__ListQuery *q = (Hl__ListQuery *)hl_msg_unpack(&hl__list_query__descriptor,
                                                          reply->payload.data,
                                                          reply->payload.len);
        if (q) {
            snprintf(w->unit, sizeof w->unit, "%s", q->unit_id);
            protobuf_c_message_free_unpacked(&q->base, NULL);
        }
    } else if (status == 0) {
        w->status = reply->error->code;
    }
    w->done = 1;
}

static void test_clients_from_files(void **state)
{
    (void)state;
    char err[512], sbase[128], cbase[128], spub[160];
    hl_keypair server, client;
    hl_keys_generate(&server), hl_keys_generate(&client);
    path_of("gateway", sbase, sizeof sbase);
    path_of("kt-eeb", cbase, sizeof cbase);
    assert_int_equal(hl_keys_save(sbase, &server, err, sizeof err), 0);
    assert_int_equal(hl_keys_save(cbase, &client, err, sizeof err), 0);
    snprintf(spub, sizeof spub, "%s.pub", sbase);
    hl_keytable *kt = NULL;
    assert_int_equal(hl_keytable_new(&kt), 0);
    assert_int_equal(hl_keytable_add(kt, client.pub, "kt-eeb"), 0);
    gw_th t;
    gw_start(&t, server.sec, kt);

    hl_curve c;
    assert_int_equal(hl_curve_client_load(spub, cbase, &c, err, sizeof err), 0);
    hl_sock_opt o[HL_CURVE_MAX_OPTS + 1];
    size_t n = hl_curve_sockopts(&c, o);
    o[n++] = (hl_sock_opt){ZMQ_ROUTING_ID, "kt-eeb", 6};
    Hl__Envelope *r = NULL;
    assert_int_equal(hl_call_opts(NULL, ep_of("gw"), o, n, "kt-eeb", "t.gw", NULL, 5000, &r,
                                  err, sizeof err), 0);
    assert_null(strstr(err, c.sec)); /* nothing secret in messages */
    Hl__ListQuery *q = (Hl__ListQuery *)hl_msg_unpack(&hl__list_query__descriptor,
                                                      r->payload.data, r->payload.len);
    assert_string_equal(q->unit_id, "kt-eeb");
    protobuf_c_message_free_unpacked(&q->base, NULL);
    hl_env_free(&r);
    /* CURVE but no routing id: admitted by ZAP, refused by the gateway (the routing id
     * must be the unit). */
    assert_int_equal(hl_call_opts(NULL, ep_of("gw"), o, n - 1, "x", "t.gw", NULL, 5000, &r, err,
                                  sizeof err), HL_EDENIED);
    assert_non_null(strstr(err, "ZMQ_ROUTING_ID"));
    hl_env_free(&r);
    /* Without CURVE: no answer, and the message says why that may be. */
    assert_int_equal(hl_call(NULL, ep_of("gw"), "x", "t.gw", NULL, 800, &r, err, sizeof err),
                     HL_ETIMEOUT);
    assert_null(r);
    /* A bad option is reported, naming the endpoint. */
    hl_sock_opt bad = {ZMQ_CURVE_SERVERKEY, "short", 5};
    assert_int_equal(hl_call_opts(NULL, ep_of("gw"), &bad, 1, "x", "t.gw", NULL, 800, &r, err,
                                  sizeof err), HL_EZMQ);
    assert_non_null(strstr(err, ep_of("gw")));

    /* Asynchronous client in a bus. */
    uv_loop_t loop;
    uv_loop_init(&loop);
    hl_bus *b = NULL;
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &b), 0);
    hl_client *cl = NULL;
    assert_int_equal(hl_client_new(b, ep_of("gw"), o, n, &cl), 0);
    Hl__Envelope *e = NULL;
    assert_int_equal(hl_env_build("kt-eeb", "t.gw", NULL, NULL, NULL, &e), 0);
    cl_wait w = {0};
    assert_int_equal(hl_client_send(cl, e, 5000, cl_reply, &w), 0);
    hl_env_free(&e);
    lt_run_until(&loop, &w.done, 8000);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.unit, "kt-eeb");
    hl_client_destroy(&cl);
    hl_bus_destroy(&b);
    assert_int_equal(uv_loop_close(&loop), 0);

    hl_svc_stats st;
    gw_stop(&t, &st);
    hl_keytable_destroy(&kt);
}

static int setup(void **state)
{
    (void)state;
    g_base_port = lt_base_port();
    return lt_tmpdir(g_tmp, sizeof g_tmp, "hl-zap");
}

static int teardown(void **state)
{
    (void)state;
    return lt_rmtree(g_tmp);
}

int main(void)
{
    hl_log_init("lib_zap", HL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_files),
        cmocka_unit_test(test_keytable),
        cmocka_unit_test(test_gateway_admission),
        cmocka_unit_test(test_fail_closed),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_clients_from_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
