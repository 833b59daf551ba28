/* hl_call.h — request/reply clients.
 *
 * Every request carries an id (Envelope.msg_id) and gets exactly one reply (correlation_id =
 * that id) or an error reply, or the caller's timeout fires. A reply that arrives after its
 * timeout is dropped and counted.
 */
#ifndef HL_CALL_H
#define HL_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "common.pb-c.h"
#include "hazlink/hl_bus.h"

/* ---- Blocking call, for command-line clients and tests (no loop needed). ----
 * Connects a DEALER on zctx to endpoint, sends type+payload from sender, waits up to
 * timeout_ms real ms.
 * Returns 0 with *reply owned by the caller (hl_env_free) when a reply with no error came;
 * the reply's error code (<0) with *reply still set and err filled ("code: message (field)")
 * when the service answered with an error; HL_ETIMEOUT (no reply, *reply NULL); HL_EZMQ;
 * HL_EDECODE (reply undecodable). */
/* zctx NULL: a context is made and terminated inside the call (added). */
int hl_call(void *zctx, const char *endpoint, const char *sender, const char *type,
            const ProtobufCMessage *payload, int timeout_ms, Hl__Envelope **reply, char *err,
            size_t errlen);
/* Added: the same with socket options set on the DEALER before it connects, e.g. CURVE
 * client keys from hl_curve_client_load + hl_curve_sockopts (hl_zap.h), or
 * ZMQ_ROUTING_ID for a partner. A CURVE server that refuses the key never answers: the
 * call then ends with HL_ETIMEOUT and err says the handshake may have been refused.
 * HL_EZMQ if an option is refused (err names it). */
int hl_call_opts(void *zctx, const char *endpoint, const hl_sock_opt *opts, size_t nopts,
                 const char *sender, const char *type, const ProtobufCMessage *payload,
                 int timeout_ms, Hl__Envelope **reply, char *err, size_t errlen);

/* ---- Asynchronous client in a bus (DEALER). ---- */
typedef struct hl_client hl_client;

/* status: 0 with reply set (reply->error may be set: an error reply), or HL_ETIMEOUT with
 * reply NULL, or HL_ECLOSED when the client is destroyed with the request pending.
 * reply is valid only during the call. */
typedef void (*hl_reply_fn)(int status, const Hl__Envelope *reply, void *ud);
/* Messages that are not replies to a pending request (pushed by the peer), except late
 * replies to requests that timed out, which are dropped and counted. env is valid only
 * during the call. */
typedef void (*hl_push_fn)(const Hl__Envelope *env, void *ud);

int hl_client_new(hl_bus *b, const char *endpoint, const hl_sock_opt *opts, size_t nopts,
                  hl_client **out);
/* destroy: pending requests get HL_ECLOSED; accepts NULL; clears *c. May be called from
 * inside the client's own reply or push callback. Destroy clients before their bus. */
void hl_client_destroy(hl_client **c);
void hl_client_on_push(hl_client *c, hl_push_fn fn, void *ud);

/* Send env (its msg_id must be set; see hl_env_build) and call fn once with the outcome.
 * If this returns <0 fn is never called: HL_EBUSY (socket would block), HL_EZMQ, HL_ENOMEM,
 * HL_EEXIST (a request with that msg_id is pending). */
int hl_client_send(hl_client *c, const Hl__Envelope *env, int64_t timeout_real_ms,
                   hl_reply_fn fn, void *ud);
/* Send without expecting a reply (e.g. a receipt); same errors. */
int hl_client_post(hl_client *c, const Hl__Envelope *env);
size_t hl_client_pending(const hl_client *c);
/* Added: replies that came after their request timed out (dropped; the last 64 timed-out
 * ids are remembered to tell such a reply from a push). */
uint64_t hl_client_late_dropped(const hl_client *c);

#endif
