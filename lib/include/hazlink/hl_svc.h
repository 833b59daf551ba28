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
#include "hazlink/hl_config.h"
#include "hazlink/hl_store.h"

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
/* Name of the table whose record count ServiceStatus.records reports. */
void hl_svc_set_records_table(hl_svc *s, const char *table);

/* Inside a handler: set the reply (packed now; m may be NULL for an empty payload). */
int hl_req_reply(hl_req *r, const char *type, const ProtobufCMessage *m);
/* Inside a handler: make the reply an error and return code, so handlers can write
 * `return hl_req_fail(r, HL_EINVAL, "reading.unit", "unit '%s' cannot be converted", u);` */
int hl_req_fail(hl_req *r, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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
} hl_svc_stats;
void hl_svc_stats_get(const hl_svc *s, hl_svc_stats *out);

/* Common command line of every program: [--config FILE] [--data DIR] [--base-port N]
 * [--playbooks DIR] [--clock SPEC] [--log LEVEL] [--help]; also sets the process clock and
 * log. Unknown options are left for the caller: *argi is the index of the first one not
 * consumed. On error prints a message naming the option and returns HL_EINVAL. */
int hl_main_args(int argc, char **argv, const char *program, hl_config *cfg, int *argi);

#endif
