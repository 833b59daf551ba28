/* hl_svc.h — the imperative shell every service shares.
 *
 * A service is one libuv loop with:
 *  - a ROUTER socket for requests (hl_config_endpoint(name,"req")) and a PUB socket for
 *    events ("pub"); optionally a partner gateway ROUTER (hl_svc_gateway);
 *  - one LMDB environment at data_dir/<name>;
 *  - a table of handlers by Envelope.type.
 *
 * Group commit. Requests received in one loop turn are applied in one write transaction:
 * each in its own nested transaction (an error undoes only that request), then one durable
 * commit, then the replies are sent and the events published. Nothing is answered before it
 * is on disk.
 *
 * Applied once. Unless a handler is registered with HL_H_QUERY, the request's idempotency
 * key (Envelope.idempotency_key, or msg_id when empty) is looked up in the inbox first: if
 * present, the stored reply is sent again (correlation id updated) and the handler is not
 * called; otherwise the reply is stored in the inbox in the same transaction as the effect.
 *
 * Outbox. hl_svc_send writes a request to another service into the outbox inside the
 * current transaction; after commit the pump sends it (DEALER to that service's "req"
 * endpoint) and resends every cfg->resend_ms until a reply arrives, across restarts too.
 * The reply is passed to the hl_svc_on_reply handler for its type inside a transaction that
 * also deletes the outbox entry. An error reply is final: it is logged, kept in the "_dead"
 * table, and also passed to the reply handler.
 *
 * Bad input: an undecodable, oversize or invalid envelope is counted (ServiceStatus
 * .bad_messages) and answered with an HL_EDECODE/HL_ETOOBIG/HL_EINVAL error reply when a
 * routing id is known; an unknown type gets HL_EUNKNOWN. The service keeps running.
 *
 * Built-in request types: "status" → ServiceStatus.
 */
#ifndef HL_SVC_H
#define HL_SVC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <protobuf-c/protobuf-c.h>
#include "common.pb-c.h"
#include "hazlink/hl_bus.h"
#include "hazlink/hl_check.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_store.h"
#include "hazlink/hl_zap.h"

typedef struct hl_svc hl_svc;
typedef struct hl_req hl_req;

/* What a handler sees. All pointers valid only during the handler call. */
struct hl_req {
    hl_svc *svc;
    hl_txn *txn;               /* write transaction of this request (nested) */
    const Hl__Envelope *env;   /* the request, event or reply; NULL for timers */
    const Hl__Envelope *orig;  /* reply handlers: the request it answers; else NULL */
    const char *peer;          /* printable routing id of the sender ("" for events) */
    const char *auth_unit;     /* gateway: authenticated unit id (ZAP User-Id, else the
                                  routing id); else NULL */
    int gateway;               /* received on the partner gateway */
    int64_t now_ms;            /* hl_now_ms() at the start of the batch */
    struct hl_req__reply *reply_; /* private */
};

typedef int (*hl_handler_fn)(hl_req *r, void *ud);

#define HL_H_QUERY 0x1    /* read-only query: no inbox record, may be answered any time */
#define HL_H_GATEWAY 0x2  /* may be called through the partner gateway (others are refused
                             there with HL_EDENIED) */

/* Create the service: opens the store, binds the sockets. err gets a sentence naming the
 * path or endpoint on failure. HL_EIO, HL_ESTORE, HL_EZMQ, HL_ENOMEM. */
int hl_svc_new(uv_loop_t *loop, const char *name, const hl_config *cfg, hl_svc **out,
               char *err, size_t errlen);
void hl_svc_destroy(hl_svc **s);

const char *hl_svc_name(const hl_svc *s);
const hl_config *hl_svc_config(const hl_svc *s);
hl_store *hl_svc_store(hl_svc *s);
hl_bus *hl_svc_bus(hl_svc *s);

/* Register a handler for request type (copied; at most HL_TYPE_MAX). HL_EEXIST. */
int hl_svc_on(hl_svc *s, const char *type, hl_handler_fn fn, void *ud, int flags);
/* Register a handler for replies to requests of type this service sent with hl_svc_send. */
int hl_svc_on_reply(hl_svc *s, const char *type, hl_handler_fn fn, void *ud);
/* Subscribe to events with topic prefix from endpoint (another service's "pub"); each event
 * is applied once (inbox by msg_id) inside a transaction. */
int hl_svc_subscribe(hl_svc *s, const char *endpoint, const char *topic_prefix,
                     hl_handler_fn fn, void *ud);
/* Run fn every interval_real_ms inside a batch transaction (r->env NULL). */
int hl_svc_every(hl_svc *s, int64_t interval_real_ms, hl_handler_fn fn, void *ud);
/* Bind the partner gateway ROUTER at endpoint with socket options opts (CURVE, ZAP domain)
 * set before bind. Handlers flagged HL_H_GATEWAY answer there. */
int hl_svc_gateway(hl_svc *s, const char *endpoint, const hl_sock_opt *opts, size_t nopts);

/* Added (issue 3): the partner gateway with CURVE, in one call. Checks zmq_has("curve"),
 * starts the ZAP handler (hl_zap.h) in the service's ZeroMQ context before binding, then
 * binds the gateway ROUTER at endpoint as a CURVE server with server_secret (z85),
 * ZMQ_ZAP_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN=1 (no handler = nobody gets in). kt is borrowed
 * (keep it alive until hl_svc_destroy; change it only from the loop thread, e.g. in a
 * handler). Only keys in kt get in; r->auth_unit is the unit kt maps the key to.
 *
 * On every gateway message, before any handler runs (a refusal is answered HL_EDENIED,
 * field "unit", logged, counted in hl_svc_stats.denied, and changes nothing):
 *  - the connection's key must still be in kt as that unit (revoked keys: refused);
 *  - the connection's routing id must equal its unit id (hazpartner sets ZMQ_ROUTING_ID
 *    to its unit): one unit cannot pose as another to receive its pushes.
 * Pushes (hl_svc_push) go only to a routing id whose last accepted message came from that
 * unit with a key kt still admits; others are dropped (debug log), since the peer behind a
 * routing id may have changed.
 *
 * Revocation cuts live connections: ZeroMQ keeps an authenticated connection open after
 * its key is gone, so after every batch the service compares hl_keytable_revision(kt) with
 * the one it last acted on and, if a key was revoked, unbinds and binds the gateway again
 * (hl_sock_rebind): every partner connection drops, partners reconnect by themselves and go
 * through ZAP again, and the revoked key is refused in the handshake. Pushes in flight are
 * lost (they are not durable; partners say hello again and get what is pending).
 *
 * ROUTER_HANDOVER is off under CURVE (a second connection cannot take over a connected
 * unit's routing id; it waits until the first one is gone) and ZMTP heartbeats (2 s, 6 s
 * timeout) end dead connections quickly so a reconnecting partner does not wait long; the
 * handshake must finish within 5 s.
 * Residual risk (documented for the README's trust model): a listed unit that sets another
 * unit's routing id while that unit is offline is refused on its first message, but could
 * receive pushes addressed to that routing id sent before then; only listed units can try.
 *  HL_EINVAL (no CURVE or bad key: err says so), HL_EEXIST (gateway already bound),
 *  HL_EZMQ (ZAP handler or bind failed: err names the endpoint), HL_ENOMEM. */
int hl_svc_gateway_curve(hl_svc *s, const char *endpoint, const char *server_secret,
                         hl_keytable *kt, char *err, size_t errlen);
/* Drop every gateway connection now (they reconnect and are authenticated again). Done
 * automatically after a revocation; for callers that revoke outside a batch. HL_ESTATE
 * without a CURVE gateway. */
int hl_svc_gateway_cut(hl_svc *s);
/* Rotate the gateway's own key: bind again with new_secret; every connection drops and
 * partners must use the new public key. HL_EINVAL (bad key), HL_ESTATE, HL_EZMQ. */
int hl_svc_gateway_rekey(hl_svc *s, const char *new_secret);
/* Name of the table whose record count ServiceStatus.records reports. */
void hl_svc_set_records_table(hl_svc *s, const char *table);

/* Inside a handler: set the reply (packed now; m may be NULL for an empty payload). */
int hl_req_reply(hl_req *r, const char *type, const ProtobufCMessage *m);
/* Inside a handler: make the reply an error and return code, so handlers can write
 * `return hl_req_fail(r, HL_EINVAL, "reading.unit", "unit '%s' cannot be converted", u);` */
int hl_req_fail(hl_req *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Added: answer the first failure recorded in c (hl_check.h) as the error reply: code
 * c->rc, field c->field, message c->why. Returns c->rc (HL_EINVAL if c holds none). */
int hl_req_fail_check(hl_req *r, const hl_check *c);

/* Added: unpack the request payload (r->env->payload) as descriptor d into *out (free with
 * protobuf_c_message_free_unpacked). The payload is bounded by the service's
 * max_msg_bytes before unpacking. On failure *out is NULL, the reply is made an HL_EDECODE
 * error (field "payload", naming the envelope type and the expected message, e.g.
 * "alert.reading payload (12 bytes) is not a hl.Reading") and HL_EDECODE is returned;
 * HL_ETOOBIG over the bound. An empty payload decodes as the message with every field
 * unset (proto3). */
int hl_req_payload(hl_req *r, const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);

/* Inside a handler: queue a request to service dest (a name from hl_service_names) in the
 * outbox of r->txn. idem_key NULL = the new msg_id. Undone if the request's txn aborts.
 * msg_id_out (HL_ID_MAX+1 bytes) may be NULL. */
int hl_svc_send(hl_req *r, const char *dest, const char *type, const ProtobufCMessage *m,
                const char *idem_key, char *msg_id_out);
/* Inside a handler: publish an event (topic = type) after the batch commits; dropped if the
 * request's txn aborts. */
int hl_svc_publish(hl_req *r, const char *topic, const ProtobufCMessage *m);
/* Inside a handler: after the batch commits, send an unsolicited envelope of type to gateway
 * peer (routing id). Not durable: the caller keeps its own delivery state. */
int hl_svc_push(hl_req *r, const char *peer, const char *type, const ProtobufCMessage *m);

/* Install SIGINT/SIGTERM handlers and run the loop until one arrives; then close
 * everything. Returns 0 or the error that stopped the loop. */
int hl_svc_run(hl_svc *s);
/* Ask a running service to stop (from a handler or another thread via uv_async). */
void hl_svc_stop(hl_svc *s);

/* Counters (for status and tests). */
typedef struct hl_svc_stats {
    uint64_t requests, errors, bad_messages, replays, commits, outbox_sent, outbox_acked;
    uint64_t denied;     /* added: gateway messages refused (revoked key, spoofed routing id) */
    uint64_t gw_cuts;    /* added: times every gateway connection was cut */
    uint64_t pushes_dropped; /* added: pushes not sent to an unauthenticated routing id */
} hl_svc_stats;
void hl_svc_stats_get(const hl_svc *s, hl_svc_stats *out);

/* Common command line of every program: [--config FILE] [--data DIR] [--base-port N]
 * [--playbooks DIR] [--clock SPEC] [--log LEVEL] [--help]; also sets the process clock and
 * log. Unknown options are left for the caller: *argi is the index of the first one not
 * consumed. On error prints a message naming the option and returns HL_EINVAL. */
int hl_main_args(int argc, char **argv, const char *program, hl_config *cfg, int *argi);

#endif
