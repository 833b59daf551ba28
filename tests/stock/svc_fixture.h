/* svc_fixture.h — start one hazlink service as a real process for an integration test and
 * call it (used by tests/stock and tests/risk).
 *
 * The service runs from HL_TEST_BIN_DIR with HAZLINK_DATA a fresh mkdtemp dir,
 * HAZLINK_BASE_PORT unique to this test process and HAZLINK_PLAYBOOKS the source tree's
 * playbooks (through clients/common stack.h, which passes the config in the environment).
 */
#ifndef SVC_FIXTURE_H
#define SVC_FIXTURE_H

#include <protobuf-c/protobuf-c.h>
#include "common.pb-c.h"
#include "hazlink/hl_config.h"
#include "hazlink/stack.h"

typedef struct svc_fx {
    char dir[64];
    char service[16];
    hl_config cfg;
    hl_stack *stack;
    void *zctx;
    char ep[128];
    char err[1024]; /* last error text (start, call) */
} svc_fx;

/* Make the data dir, choose the base port (below 32768; another slot, up to 4 tries, when
 * the service cannot start on one, e.g. a port taken by another process), start service
 * and wait until it answers status. Fails the test on any other error. */
void svc_fx_start(svc_fx *f, const char *service);
/* Stop the service (SIGTERM, then SIGKILL), remove the data dir. */
void svc_fx_stop(svc_fx *f);

/* cmocka setup/teardown: a calloc'd svc_fx started for service in *state; stop and free. */
int svc_fx_setup(void **state, const char *service);
int svc_fx_teardown(void **state);

/* Call type with m and wait up to 10 s. On a reply without error, *out is the payload
 * unpacked as reply_desc (free with protobuf_c_message_free_unpacked) and 0 is returned.
 * On an error reply returns its code and copies Error.field into field (fieldlen bytes) and
 * the message into f->err; *out is NULL. */
int svc_fx_call(svc_fx *f, const char *type, const ProtobufCMessage *m,
                const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **out, char *field,
                size_t fieldlen);

/* Send an already packed envelope on a fresh DEALER and wait for the reply with its
 * msg_id (a resend carries the same bytes). Returns 0 and *reply (hl_env_free) or an error. */
int svc_fx_send_raw(svc_fx *f, const void *env_bytes, size_t len, const char *msg_id,
                    Hl__Envelope **reply);

#endif
