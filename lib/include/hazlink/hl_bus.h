/* hl_bus.h — ZeroMQ sockets inside a libuv loop.
 *
 * ZMQ_FD is edge-triggered and is signalled by sends as well as receives (PITFALLS.md,
 * libzmq #1434). The bus therefore: polls the fd for readability with one uv_poll per
 * socket; after every callback, send and receive re-reads ZMQ_EVENTS and drains until
 * nothing is pending (at most HL_BUS_BATCH messages per socket per turn, the rest on the
 * next turn via a uv_idle/uv_check); and keeps a slow safety timer (HL_BUS_SAFETY_MS) that
 * drains every socket. No other code touches ZMQ_FD.
 *
 * Every socket gets ZMQ_LINGER 0, ZMQ_MAXMSGSIZE (max_msg_bytes), ROUTER sockets get
 * ZMQ_ROUTER_MANDATORY. Messages are multipart: up to HL_BUS_MAX_FRAMES frames; a message
 * with more is dropped and counted.
 */
#ifndef HL_BUS_H
#define HL_BUS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define HL_BUS_MAX_FRAMES 4       /* default frames per message, per socket */
#define HL_BUS_FRAMES_CAP 10      /* the most hl_sock_set_max_frames allows (a ZAP request
                                     on a ROUTER is 9 frames, its reply 8: RFC 27) */
#define HL_BUS_BATCH 256
#define HL_BUS_SAFETY_MS 250

typedef struct hl_bus hl_bus;
typedef struct hl_sock hl_sock;

typedef struct hl_frame {
    const void *data;
    size_t len;
} hl_frame;

/* Receive callback: frames valid only during the call. For ROUTER sockets frames[0] is the
 * peer routing id. Frames carry no empty delimiter: DEALER sends [envelope], ROUTER
 * receives [routing id, envelope] and answers [routing id, envelope]. The callback may send
 * on any socket and may close any socket, its own included. */
typedef void (*hl_sock_recv_fn)(hl_sock *s, const hl_frame *frames, size_t n, void *ud);

/* A bus owns one ZeroMQ context (or uses zctx if not NULL, not owning it).
 * max_msg_bytes 0 = HL_MAX_MSG_BYTES. HL_ENOMEM / HL_EZMQ. */
int hl_bus_new(uv_loop_t *loop, void *zctx, size_t max_msg_bytes, hl_bus **out);
/* Close every socket and uv handle; the loop must then run until handles close
 * (hl_bus_destroy runs uv_run(UV_RUN_NOWAIT) until they have). Accepts NULL; clears *b.
 * Call it outside uv_run (never from a callback of the same loop), after destroying the
 * hl_clients that use this bus. */
void hl_bus_destroy(hl_bus **b);
void *hl_bus_zctx(hl_bus *b);
/* Added: the per-message limit in bytes (max_msg_bytes given to hl_bus_new, or the
 * default). A message whose frames add up to more is dropped and counted
 * (dropped_oversize); libzmq's own ZMQ_MAXMSGSIZE is set to 2*limit+4096 per frame, above
 * which the sender is disconnected without a count. */
size_t hl_bus_max_msg(const hl_bus *b);
uv_loop_t *hl_bus_loop(hl_bus *b);

/* Counters for status and tests. */
typedef struct hl_bus_stats {
    uint64_t received, sent, dropped_oversize, dropped_frames, send_errors, drains;
} hl_bus_stats;
void hl_bus_stats_get(const hl_bus *b, hl_bus_stats *out);

/* Open a socket of ZMQ type (ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PUB, ZMQ_SUB) and bind (bind=1) or
 * connect (bind=0) to endpoint. recv may be NULL for send-only sockets. A SUB socket
 * subscribes to nothing until hl_sock_subscribe.
 *  HL_EZMQ (message logged with zmq_strerror, e.g. address in use), HL_ENOMEM. */
int hl_sock_open(hl_bus *b, int type, const char *endpoint, int bind, hl_sock_recv_fn recv,
                 void *ud, hl_sock **out);
/* Apply a socket option before connect/bind is not possible here, so options that must
 * precede bind (CURVE, ZAP domain, routing id) are set through this variant: */
typedef struct hl_sock_opt { int name; const void *val; size_t len; } hl_sock_opt;
int hl_sock_open_opts(hl_bus *b, int type, const char *endpoint, int bind,
                      const hl_sock_opt *opts, size_t nopts, hl_sock_recv_fn recv, void *ud,
                      hl_sock **out);
void hl_sock_close(hl_sock **s);
/* Added: allow up to n frames per message on s, both ways (1..HL_BUS_FRAMES_CAP; default
 * HL_BUS_MAX_FRAMES). Only the ZAP handler needs more. HL_EINVAL. */
int hl_sock_set_max_frames(hl_sock *s, size_t n);
/* Added: for a socket that was bound (bind=1): set opts (may be NULL/0), unbind and bind
 * the same endpoint again. Every connection accepted so far is dropped (libzmq closes the
 * sessions of an unbound listener); peers reconnect by themselves and go through the
 * handshake (and ZAP) again; messages queued for them are lost. The port is reused at
 * once; if the OS still holds it the bind is retried for up to 2 s (blocking).
 *  HL_EINVAL (not bound by hl_sock_open*), HL_EZMQ (option refused or bind failed: the
 *  socket is then not bound at all and the error is logged). */
int hl_sock_rebind(hl_sock *s, const hl_sock_opt *opts, size_t nopts);
int hl_sock_subscribe(hl_sock *s, const char *prefix);
void *hl_sock_zsock(hl_sock *s); /* the raw ZeroMQ socket, for getsockopt only */
/* During a receive callback: the ZAP "User-Id" metadata of the message being delivered
 * (the authenticated peer under CURVE), or NULL. Valid only during the callback. */
const char *hl_sock_user_id(hl_sock *s);
/* Added: during a receive callback, any other metadata property of the message being
 * delivered (ZAP metadata such as "X-Curve-Key", or "Peer-Address"), or NULL. */
const char *hl_sock_msg_prop(hl_sock *s, const char *name);

/* Send n frames (non-blocking; n at most the socket's frame limit, else HL_EINVAL). HL_EBUSY (EAGAIN: HWM reached or no peer), HL_ENOTFOUND
 * (ROUTER: EHOSTUNREACH, unknown peer), HL_EZMQ. Nothing is kept on failure: the caller's
 * outbox is what retries. */
int hl_sock_sendv(hl_sock *s, const hl_frame *frames, size_t n);

#endif
