/* hl_zap.h — CURVE keys, the key table of admitted partners, and the ZAP handler.
 *
 * Trust model of the partner gateway (the only port meant to be reached from other
 * machines): the gateway is a CURVE server (ZeroMQ RFC 26, CurveZMQ). A partner must
 * know the gateway's public key and hold a key pair whose public key is listed in the key
 * table (z85 public key → unit id). Admission is decided by a ZAP handler (RFC 27) that
 * runs in the service's own ZeroMQ context and libuv loop; every message of an admitted
 * connection carries the handler's User-Id (the unit id) and the metadata property
 * HL_ZAP_PROP_KEY (the z85 public key it authenticated with), and the service takes the
 * unit from there, never from a payload.
 *
 * Failing closed: server sockets set ZMQ_ZAP_DOMAIN and ZMQ_ZAP_ENFORCE_DOMAIN=1, so if the
 * handler is missing (not bound, or closed) libzmq refuses every connection instead of
 * letting any holder of the server's public key in (PITFALLS.md, RFC 27). A CURVE client
 * that does not know the server key, a client without CURVE (NULL mechanism) and a key
 * not in the table are all refused during the handshake: nothing reaches a handler.
 *
 * Keys on disk are z85 text (40 characters and a newline, RFC 32). A key pair saved under
 * a base path is two files: "<base>.pub" (public, mode 0644) and "<base>.key" (secret,
 * mode 0600, created with O_CREAT|O_EXCL and renamed into place, so it is never readable
 * by others even for a moment). hl_keys_load refuses a secret file readable by group or
 * others. Secret keys are never logged by the lib; callers must not log them either.
 *
 * Threading: a key table and a ZAP handler belong to the loop thread of their bus.
 */
#ifndef HL_ZAP_H
#define HL_ZAP_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_bus.h"

#define HL_KEY_Z85_LEN 40            /* a CURVE key in z85 text, without NUL */
#define HL_KEYTABLE_MAX 4096         /* keys in one table */
#define HL_ZAP_DOMAIN "hazlink"      /* ZAP domain of the partner gateway */
#define HL_ZAP_ENDPOINT "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define HL_ZAP_PROP_KEY "X-Curve-Key" /* message property: the peer's z85 public key */

/* ZMQ_ZAP_ENFORCE_DOMAIN is in the DRAFT section of libzmq 4.3.4's zmq.h, but the stable
 * library implements it (option 93); lib_zap tests that it makes a missing handler fail
 * closed. */
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

/* ---- CURVE availability and keys ---- */

/* 0 if this libzmq was built with CURVE (zmq_has("curve")); else HL_EINVAL with a sentence
 * in err saying so. Every CURVE entry point below checks it. */
int hl_curve_available(char *err, size_t errlen);

/* 0 if z85 is a CURVE key in z85 text: exactly HL_KEY_Z85_LEN characters of the Z85
 * alphabet that decode to 32 bytes. HL_EINVAL otherwise. */
int hl_key_check(const char *z85);

typedef struct hl_keypair {
    char pub[HL_KEY_Z85_LEN + 1]; /* z85, NUL-terminated */
    char sec[HL_KEY_Z85_LEN + 1]; /* z85, NUL-terminated: never log it */
} hl_keypair;

/* A fresh key pair (zmq_curve_keypair). HL_EINVAL (no CURVE), HL_EZMQ. */
int hl_keys_generate(hl_keypair *out);

/* The public key of a secret key (zmq_curve_public). HL_EINVAL (bad key or no CURVE). */
int hl_keys_public_of(const char *sec_z85, char pub_out[HL_KEY_Z85_LEN + 1]);

/* Write kp as "<base>.pub" (0644) and "<base>.key" (0600). Each file is written to a new
 * temporary file (O_CREAT|O_EXCL, mode fixed at creation and by fchmod, so the umask cannot
 * widen it), synced, and renamed over the target: an existing pair is replaced atomically
 * (key rotation). base at most HL_PATH_MAX-8 bytes; its folder must exist.
 *  HL_EINVAL (bad key or path), HL_EIO (err names the path and the OS reason). */
int hl_keys_save(const char *base, const hl_keypair *kp, char *err, size_t errlen);

/* Read "<base>.key" and, if present, "<base>.pub" into out. The secret file must be a
 * regular file not readable or writable by group or others (HL_EDENIED otherwise: err says
 * "chmod 600 <path>"); the public key is derived from the secret one and, when the .pub
 * file exists, must match it (HL_EINVAL).
 *  HL_EIO (cannot read; err names the path), HL_EINVAL (not a z85 key: err names
 *  the path). */
int hl_keys_load(const char *base, hl_keypair *out, char *err, size_t errlen);

/* Read one public key file (any name, e.g. the gateway's "gateway.pub"): one z85 key,
 * optional trailing newline. HL_EIO, HL_EINVAL as above. */
int hl_keys_load_public(const char *path, char out[HL_KEY_Z85_LEN + 1], char *err,
                        size_t errlen);

/* ---- The key table: which public keys are admitted, as which unit ---- */

typedef struct hl_keytable hl_keytable;

int hl_keytable_new(hl_keytable **out);                 /* HL_ENOMEM */
void hl_keytable_destroy(hl_keytable **kt);             /* accepts NULL; clears *kt */

/* Admit pub as unit. A unit may hold several keys (while a partner rotates its key); a key
 * belongs to one unit. Adding the same pair again is a no-op.
 *  HL_EINVAL (pub not a key, unit not an id: hl_id_check), HL_EEXIST (pub is already
 *  admitted as another unit), HL_ETOOBIG (HL_KEYTABLE_MAX keys), HL_ENOMEM. */
int hl_keytable_add(hl_keytable *kt, const char *pub, const char *unit);
/* Revoke one key / every key of a unit. HL_ENOTFOUND if there was none.
 * Revocation bumps hl_keytable_revision; a gateway using the table (hl_svc_gateway_curve)
 * notices it after the current batch and cuts every connection (see hl_svc.h). */
int hl_keytable_revoke_key(hl_keytable *kt, const char *pub);
int hl_keytable_revoke_unit(hl_keytable *kt, const char *unit);
/* The unit pub is admitted as, or NULL. Valid until the table changes. */
const char *hl_keytable_unit(const hl_keytable *kt, const char *pub);
size_t hl_keytable_count(const hl_keytable *kt);
/* Entry i (0..count-1) in key order; NULL past the end. Pointers valid until a change. */
int hl_keytable_entry(const hl_keytable *kt, size_t i, const char **pub, const char **unit);
/* Incremented by every revocation (not by additions). */
uint64_t hl_keytable_revision(const hl_keytable *kt);

/* Load entries from a text file, adding them to kt: one "<unit-id> <z85 public key>" per
 * line; blank lines and lines starting with '#' are skipped. Limits: HL_KEYTABLE_MAX
 * entries, lines of at most 256 bytes, file at most 1 MiB.
 *  HL_EIO (cannot read: err names the path), HL_EPARSE ("file:line: what"), HL_EEXIST
 *  ("file:line: key already admitted as unit X"), HL_ETOOBIG. On error kt is unchanged. */
int hl_keytable_load(hl_keytable *kt, const char *path, char *err, size_t errlen);
/* Write kt in the format above (mode 0644, temporary file renamed into place). HL_EIO. */
int hl_keytable_save(const hl_keytable *kt, const char *path, char *err, size_t errlen);

/* ---- The ZAP handler ---- */

typedef struct hl_zap hl_zap;

typedef struct hl_zap_stats {
    uint64_t admitted, refused, malformed;
} hl_zap_stats;

/* Bind the ZAP handler at HL_ZAP_ENDPOINT in b's ZeroMQ context (one per context) as a
 * ROUTER socket of the bus, so it runs in b's loop. Call it BEFORE binding any CURVE
 * server socket of that context. For a request of domain HL_ZAP_DOMAIN with mechanism
 * CURVE whose key kt admits it answers 200 with User-Id = the unit id and metadata
 * HL_ZAP_PROP_KEY = the z85 key; to everything else 400 (a NULL-mechanism socket with no
 * ZAP domain never asks). kt is borrowed: it must outlive the handler.
 *  HL_EINVAL (no CURVE; err says so), HL_EZMQ (e.g. a handler is already bound in this
 *  context), HL_ENOMEM. */
int hl_zap_start(hl_bus *b, hl_keytable *kt, hl_zap **out, char *err, size_t errlen);
/* Close the handler; from then on CURVE server sockets with ZMQ_ZAP_ENFORCE_DOMAIN refuse
 * every new connection. Accepts NULL; clears *z. */
void hl_zap_destroy(hl_zap **z);
void hl_zap_stats_get(const hl_zap *z, hl_zap_stats *out);

/* ---- Socket options ---- */

#define HL_CURVE_MAX_OPTS 6

/* Options for a CURVE socket, built once and turned into hl_sock_opt with
 * hl_curve_sockopts (the options point into this struct: keep it alive while using them). */
typedef struct hl_curve {
    int server;                          /* 1: CURVE server; 0: client */
    char server_key[HL_KEY_Z85_LEN + 1]; /* server: its secret key; client: server public */
    char pub[HL_KEY_Z85_LEN + 1];        /* client: own public key */
    char sec[HL_KEY_Z85_LEN + 1];        /* client: own secret key */
    int one;
} hl_curve;

/* Server: ZMQ_CURVE_SERVER=1, ZMQ_CURVE_SECRETKEY, ZMQ_ZAP_DOMAIN=HL_ZAP_DOMAIN,
 * ZMQ_ZAP_ENFORCE_DOMAIN=1. HL_EINVAL (bad key or no CURVE). */
int hl_curve_server(const char *server_secret, hl_curve *out);
/* Client: ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY. HL_EINVAL. */
int hl_curve_client(const char *server_public, const hl_keypair *own, hl_curve *out);
/* Client from key files: the server's public key file and the base path of the client's
 * pair (hl_keys_load). Errors of hl_keys_load / hl_keys_load_public. */
int hl_curve_client_load(const char *server_pub_path, const char *own_base, hl_curve *out,
                         char *err, size_t errlen);
/* Fill out (HL_CURVE_MAX_OPTS entries) with c's options; returns how many. The values
 * point into c. Give them to hl_client_new, hl_call_opts or hl_sock_open_opts. */
size_t hl_curve_sockopts(const hl_curve *c, hl_sock_opt out[HL_CURVE_MAX_OPTS]);

#endif
