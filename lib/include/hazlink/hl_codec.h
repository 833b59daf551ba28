/* hl_codec.h — the Envelope on the wire, its bounds, and payload packing.
 *
 * Bounds are the first defence against hostile input: a message longer than max bytes is not
 * unpacked at all (protobuf-c 1.4.1 has known memory bugs on odd input, PITFALLS.md), and
 * an unpacked envelope is checked field by field before anyone sees it.
 */
#ifndef HL_CODEC_H
#define HL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "common.pb-c.h"

#define HL_MAX_MSG_BYTES (1024u * 1024u) /* default ZMQ_MAXMSGSIZE and decode bound */
#define HL_ID_MAX 64                      /* msg ids, record ids, unit ids (bytes, incl. none of NUL) */
#define HL_TYPE_MAX 48                    /* Envelope.type */
#define HL_TEXT_MAX 2048                  /* free text fields (description, reason) */
#define HL_NAME_MAX 256                   /* names of places, units, materials */
#define HL_LIST_MAX 1000                  /* repeated fields */

/* A fresh id "<prefix>-<13 hex ms><16 hex random>", NUL-terminated in out (HL_ID_MAX+1 bytes).
 * prefix at most 16 bytes (longer is cut). */
void hl_id_new(const char *prefix, char out[HL_ID_MAX + 1]);

/* Check an id: 1..HL_ID_MAX bytes of [A-Za-z0-9._:-]. 0 or HL_EINVAL. */
int hl_id_check(const char *id);

/* Unpack and validate an envelope from len bytes.
 *  HL_ETOOBIG  len > max_bytes
 *  HL_EDECODE  not a protobuf Envelope
 *  HL_EINVAL   msg_id invalid, type empty or longer than HL_TYPE_MAX, other id fields
 *              invalid, error text over HL_TEXT_MAX
 * On success *out is owned by the caller: free with hl_env_free. On error *out is NULL and,
 * if why is not NULL, a sentence naming the field is written there. */
int hl_env_unpack(const void *buf, size_t len, size_t max_bytes, Hl__Envelope **out, char *why,
                  size_t whylen);

/* Free an unpacked envelope; accepts NULL and *e == NULL; clears *e. */
void hl_env_free(Hl__Envelope **e);

/* Pack env into a malloc'd buffer (*buf, *len), caller frees. HL_ENOMEM. */
int hl_env_pack(const Hl__Envelope *env, uint8_t **buf, size_t *len);

/* Pack any protobuf-c message into a malloc'd buffer. HL_ENOMEM. */
int hl_msg_pack(const ProtobufCMessage *m, uint8_t **buf, size_t *len);

/* Unknown fields (a newer sender's, or junk) are dropped by both unpack calls, at every
 * depth, so they are never packed again (protobuf-c 1.4.1 has had memory bugs there,
 * PITFALLS.md). */

/* Unpack payload bytes of the given descriptor. NULL on failure (undecodable).
 * Free with protobuf_c_message_free_unpacked(m, NULL). */
ProtobufCMessage *hl_msg_unpack(const ProtobufCMessageDescriptor *d, const void *buf, size_t len);

/* Build a complete envelope ready to pack: new msg_id (prefix sender), sent_ms = hl_now_ms(),
 * type, packed payload (m may be NULL = empty). Strings are copied; free with
 * hl_env_free. correlation_id and idempotency_key may be NULL. */
int hl_env_build(const char *sender, const char *type, const ProtobufCMessage *m,
                 const char *correlation_id, const char *idempotency_key, Hl__Envelope **out);

/* Build an error reply to req (correlation_id = req->msg_id, type = req->type). */
int hl_env_build_error(const char *sender, const Hl__Envelope *req, int code, const char *field,
                       const char *message, Hl__Envelope **out);

/* Check a string field: NULL/"" allowed iff !required; at most max bytes; valid UTF-8.
 * HL_EINVAL (empty or bad UTF-8) or HL_ETOOBIG. */
int hl_str_check(const char *s, size_t max, int required);

#endif
