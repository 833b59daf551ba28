/* hl_store.h — one LMDB environment per service: records, outbox, inbox, counters.
 *
 * Keys are NUL-free byte strings (ids); values are bytes (packed protobuf messages).
 * Tables are LMDB named databases created on first use (at most HL_STORE_MAX_TABLES,
 * names at most 32 bytes). Reserved table names start with "_": "_outbox", "_inbox",
 * "_seq", "_meta".
 *
 * Threading: one write transaction at a time; use only from the loop thread (PITFALLS.md).
 * Durability: every commit is synced (no MDB_NOSYNC); callers group work into one commit
 * per loop turn (hl_svc does this).
 * Map full: a write returns HL_EMAPFULL, the transaction must be aborted; hl_store_grow
 * doubles the map (only with no transaction open) so the caller may retry.
 */
#ifndef HL_STORE_H
#define HL_STORE_H

#include <stddef.h>
#include <stdint.h>

#define HL_STORE_MAX_TABLES 32
#define HL_STORE_KEY_MAX 200   /* LMDB's default max key is 511; ours is smaller and tested */

typedef struct hl_store hl_store;
typedef struct hl_txn hl_txn;

/* Open (creating the folder, mode 0700) the environment in dir with map_size bytes
 * (0 = 1 GiB). Runs mdb_reader_check to clear slots left by crashed processes.
 *  HL_EIO     dir cannot be created or written (err names the path and the OS reason)
 *  HL_ESTORE  LMDB refused (err says why) */
int hl_store_open(const char *dir, size_t map_size, hl_store **out, char *err, size_t errlen);
void hl_store_destroy(hl_store **st);

/* Added: clear reader slots left by processes that died (mdb_reader_check); *dead (may be
 * NULL) gets how many. hl_store_open does this once; hl_svc repeats it every minute,
 * because a partner tool that reads the store and is killed leaves a slot behind. */
int hl_store_reader_check(hl_store *st, int *dead);

/* Double the map size. HL_EBUSY if a transaction is open. */
int hl_store_grow(hl_store *st);
size_t hl_store_map_size(const hl_store *st);

/* Begin a transaction (readonly != 0 for a read-only one); parent non-NULL begins a nested
 * write transaction whose abort undoes only its own writes. HL_ESTORE / HL_EBUSY. */
int hl_txn_begin(hl_store *st, hl_txn *parent, int readonly, hl_txn **out);
/* Commit and free; clears *t. HL_EMAPFULL or HL_ESTORE (the txn is gone either way). */
int hl_txn_commit(hl_txn **t);
/* Abort and free; accepts NULL; clears *t. */
void hl_txn_abort(hl_txn **t);

/* Put/replace. HL_ETOOBIG (key > HL_STORE_KEY_MAX or empty key -> HL_EINVAL),
 * HL_EMAPFULL, HL_ESTORE. */
int hl_kv_put(hl_txn *t, const char *table, const char *key, const void *val, size_t len);
/* Get: *val points into the map, valid until the next write in t or t ends; copy or unpack
 * before. HL_ENOTFOUND. */
int hl_kv_get(hl_txn *t, const char *table, const char *key, const void **val, size_t *len);
/* Delete. HL_ENOTFOUND if absent. */
int hl_kv_del(hl_txn *t, const char *table, const char *key);

/* Call fn for every record whose key starts with prefix ("" = all), in key order.
 * fn returns 0 to go on, >0 to stop (scan returns 0), <0 to stop with that error.
 * val is valid only during the call; fn must not write to table. */
typedef int (*hl_kv_fn)(const char *key, const void *val, size_t len, void *ud);
int hl_kv_scan(hl_txn *t, const char *table, const char *prefix, hl_kv_fn fn, void *ud);
/* Number of records in table (0 if it does not exist). */
int hl_kv_count(hl_txn *t, const char *table, uint64_t *out);

/* Next value of a named counter, starting at 1; stored in "_seq". */
int hl_seq_next(hl_txn *t, const char *name, uint64_t *out);

/* ---- Outbox: messages to send, written in the same transaction as the state change. ----
 * Key: zero-padded sequence so scans come in write order. dest is a service name, or
 * "pub" for an event published after commit (fire and forget). env_bytes is a packed
 * Envelope. */
typedef struct hl_outbox_item {
    uint64_t seq;
    const char *dest;            /* valid during the scan callback */
    const char *msg_id;
    const void *env_bytes;
    size_t env_len;
    int64_t next_attempt_real_ms;/* when to (re)send; 0 = now */
    uint32_t attempts;
} hl_outbox_item;
typedef int (*hl_outbox_fn)(const hl_outbox_item *it, void *ud);

int hl_outbox_put(hl_txn *t, const char *dest, const char *msg_id, const void *env_bytes,
                  size_t env_len, uint64_t *seq_out);
int hl_outbox_scan(hl_txn *t, hl_outbox_fn fn, void *ud);
/* Record a send attempt (attempts+1, next attempt time). HL_ENOTFOUND. */
int hl_outbox_touch(hl_txn *t, uint64_t seq, int64_t next_attempt_real_ms);
/* Remove once acknowledged. HL_ENOTFOUND if already gone (a duplicate ack: not an error
 * for callers, who ignore it). */
int hl_outbox_del(hl_txn *t, uint64_t seq);
/* Find the outbox entry carrying msg_id. HL_ENOTFOUND. */
int hl_outbox_find(hl_txn *t, const char *msg_id, uint64_t *seq_out);
/* Added: read entry seq into *out. dest and msg_id point into a buffer owned by the
 * transaction handle that is reused by the next hl_outbox_get on it; env_bytes points into
 * the map (valid until the next write in t or its end). HL_ENOTFOUND. */
int hl_outbox_get(hl_txn *t, uint64_t seq, hl_outbox_item *out);

/* ---- Inbox: idempotency keys applied, with the reply sent, so a resend is answered the
 * same way and applied once. */
int hl_inbox_get(hl_txn *t, const char *key, const void **reply, size_t *len);
int hl_inbox_put(hl_txn *t, const char *key, const void *reply, size_t len);

#endif
