/* svc_fixture.c — see svc_fixture.h. */
#define _XOPEN_SOURCE 700
#include "svc_fixture.h"

#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>
#include <cmocka.h>

#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

#define SVC_FX_PORT_TRIES 4 /* base-port slots tried before a start counts as failed */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void svc_fx_start(svc_fx *f, const char *service)
{
    memset(f, 0, sizeof *f);
    snprintf(f->service, sizeof f->service, "%s", service);
    snprintf(f->dir, sizeof f->dir, "/tmp/%s_svc_XXXXXX", service);
    assert_non_null(mkdtemp(f->dir));
    unsetenv("HAZLINK_CONFIG");
    assert_int_equal(hl_config_load(NULL, &f->cfg, f->err, sizeof f->err), 0);
    snprintf(f->cfg.data_dir, sizeof f->cfg.data_dir, "%s", f->dir);
    snprintf(f->cfg.playbook_dir, sizeof f->cfg.playbook_dir, "%s",
             HL_TEST_SOURCE_DIR "/playbooks");
    /* Ports base..base+42, 50 apart per process slot so parallel tests do not collide, and
     * all below 32768 where Linux hands out ephemeral ports (net.ipv4.ip_local_port_range
     * starts there): a busy machine's outgoing connections would otherwise take ours now and
     * then. A port still taken by someone else's process costs another slot, a few times. */
    int rc = HL_EIO;
    for (int attempt = 0; attempt < SVC_FX_PORT_TRIES && rc < 0; attempt++) {
        hl_stack_destroy(&f->stack);
        f->cfg.base_port = 20000 + (int)((getpid() + attempt * 97) % 255) * 50;
        rc = hl_stack_new(&f->cfg, HL_TEST_BIN_DIR, &f->stack, f->err, sizeof f->err);
        if (rc == 0)
            rc = hl_stack_start_service(f->stack, service, 15000, f->err, sizeof f->err);
        if (rc < 0)
            fprintf(stderr, "starting %s on base port %d: %s\n", service, f->cfg.base_port, f->err);
    }
    assert_int_equal(rc, 0);
    f->zctx = zmq_ctx_new();
    assert_non_null(f->zctx);
    assert_int_equal(hl_config_endpoint(&f->cfg, service, "req", f->ep, sizeof f->ep), 0);
}

void svc_fx_stop(svc_fx *f)
{
    if (f->stack) {
        char log[HL_PATH_MAX + 64];
        /* Stopped cleanly by SIGTERM within the grace period: 0 needed SIGKILL. */
        assert_int_equal(hl_stack_stop(f->stack, 5000), 0);
        /* The child's own sanitizer reports (leaks at exit, UB) land in its log: any is a
         * failure of this test. */
        assert_int_equal(hl_stack_log_path(f->stack, f->service, log, sizeof log), 0);
        FILE *fp = fopen(log, "r");
        char line[1024];
        int bad = 0;
        while (fp && fgets(line, sizeof line, fp)) {
            if (getenv("SVC_FX_SHOW_LOG"))
                fputs(line, stderr);
            if (strstr(line, "Sanitizer") || strstr(line, "runtime error:")) {
                fprintf(stderr, "%s: %s", log, line);
                bad = 1;
            }
        }
        if (fp)
            fclose(fp);
        assert_int_equal(bad, 0);
        hl_stack_destroy(&f->stack);
    }
    if (f->zctx)
        zmq_ctx_term(f->zctx);
    f->zctx = NULL;
    nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

int svc_fx_setup(void **state, const char *service)
{
    svc_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    svc_fx_start(f, service);
    *state = f;
    return 0;
}

int svc_fx_teardown(void **state)
{
    svc_fx *f = *state;
    svc_fx_stop(f);
    free(f);
    return 0;
}

int svc_fx_call(svc_fx *f, const char *type, const ProtobufCMessage *m,
                const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **out, char *field,
                size_t fieldlen)
{
    Hl__Envelope *reply = NULL;
    *out = NULL;
    if (field && fieldlen)
        field[0] = '\0';
    int rc = hl_call(f->zctx, f->ep, "test", type, m, 10000, &reply, f->err, sizeof f->err);
    if (rc == 0) {
        *out = hl_msg_unpack(reply_desc, reply->payload.data, reply->payload.len);
        if (!*out)
            rc = HL_EDECODE;
    } else if (reply && reply->error && field && fieldlen) {
        snprintf(field, fieldlen, "%s", reply->error->field ? reply->error->field : "");
    }
    hl_env_free(&reply);
    return rc;
}

int svc_fx_send_raw(svc_fx *f, const void *env_bytes, size_t len, const char *msg_id,
                    Hl__Envelope **reply)
{
    *reply = NULL;
    void *z = zmq_socket(f->zctx, ZMQ_DEALER);
    if (!z)
        return HL_EZMQ;
    int zero = 0, rc = HL_ETIMEOUT;
    zmq_setsockopt(z, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(z, f->ep) != 0 || zmq_send(z, env_bytes, len, 0) < 0) {
        zmq_close(z);
        return HL_EZMQ;
    }
    int64_t deadline = hl_real_now_ms() + 10000;
    while (hl_real_now_ms() < deadline) {
        zmq_pollitem_t it = {z, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 200) <= 0)
            continue;
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, z, 0) < 0) {
            zmq_msg_close(&m);
            continue;
        }
        Hl__Envelope *r = NULL;
        int urc = hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), HL_MAX_MSG_BYTES, &r, NULL, 0);
        zmq_msg_close(&m);
        if (urc == 0 && strcmp(r->correlation_id, msg_id) == 0) {
            *reply = r;
            rc = 0;
            break;
        }
        hl_env_free(&r);
    }
    zmq_close(z);
    return rc;
}
