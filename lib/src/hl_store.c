/* hl_store.c — LMDB environment per service: tables, nested transactions, outbox, inbox.
 *
 * Tables are LMDB named databases. A handle opened inside a transaction that is later
 * aborted is closed by LMDB, so handles are not cached here: mdb_dbi_open finds an already
 * open name in the environment's own list at the cost of a short scan, which is cheap next
 * to a durable commit.
 */
#include "hazlink/hl_store.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hl_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TABLE_NAME_MAX 32
#define OUTBOX "_outbox"
#define OUTBOX_BY_ID "_outbox_id" /* msg_id -> seq key, for hl_outbox_find */
#define INBOX "_inbox"
#define SEQ "_seq"

struct hl_store {
    MDB_env *env;
    size_t map_size;
    int open_txns;   /* top-level transactions alive (read or write) */
    int write_open;  /* a top-level write transaction is alive */
    char dir[512];
};

struct hl_txn {
    hl_store *st;
    MDB_txn *txn;
    hl_txn *parent;
    int readonly;
    int children; /* nested transaction alive: this one must not be used meanwhile */
    char ob_dest[256], ob_id[256]; /* strings of the last hl_outbox_get */
};

/* Map an LMDB return code to ours, logging what is not ordinary. */
static int map_rc(int rc, const char *what)
{
    switch (rc) {
    case MDB_SUCCESS: return 0;
    case MDB_NOTFOUND: return HL_ENOTFOUND;
    case MDB_MAP_FULL: return HL_EMAPFULL;
    case MDB_KEYEXIST: return HL_EEXIST;
    case ENOMEM: return HL_ENOMEM;
    case MDB_BAD_VALSIZE: return HL_ETOOBIG;
    default:
        hl_error("store: %s: %s", what, mdb_strerror(rc));
        return HL_ESTORE;
    }
}

/* mkdir -p with mode 0700 for the folders it creates. */
static int mkdir_p(const char *dir, char *err, size_t errlen)
{
    char path[512];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        hl__errf(err, errlen, "data folder path too long: %s", dir);
        return HL_EIO;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            hl__errf(err, errlen, "cannot create data folder %s (at %s): %s", dir, path,
                    strerror(errno));
            return HL_EIO;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        hl__errf(err, errlen, "cannot create data folder %s: %s", dir, strerror(errno));
        return HL_EIO;
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        hl__errf(err, errlen, "data folder %s: not a folder", dir);
        return HL_EIO;
    }
    if (access(path, W_OK | X_OK) != 0) {
        hl__errf(err, errlen, "data folder %s is not writable: %s", dir, strerror(errno));
        return HL_EIO;
    }
    return 0;
}

static size_t round_page(size_t n)
{
    size_t pg = 4096;
    long sc = sysconf(_SC_PAGESIZE);
    if (sc > 0) pg = (size_t)sc;
    return (n + pg - 1) / pg * pg;
}

static void refresh_map_size(hl_store *st)
{
    MDB_envinfo info;
    if (mdb_env_info(st->env, &info) == 0) st->map_size = info.me_mapsize;
}

int hl_store_open(const char *dir, size_t map_size, hl_store **out, char *err, size_t errlen)
{
    if (!dir || !dir[0] || !out) return HL_EINVAL;
    *out = NULL;
    int rc = mkdir_p(dir, err, errlen);
    if (rc < 0) return rc;
    hl_store *st = calloc(1, sizeof *st);
    if (!st) return HL_ENOMEM;
    snprintf(st->dir, sizeof st->dir, "%s", dir);
    if (map_size == 0) map_size = (size_t)1 << 30;
    map_size = round_page(map_size);
    int m;
    if ((m = mdb_env_create(&st->env)) != 0) goto lmdb_fail;
    if ((m = mdb_env_set_maxdbs(st->env, HL_STORE_MAX_TABLES + 4)) != 0) goto lmdb_fail;
    if ((m = mdb_env_set_mapsize(st->env, map_size)) != 0) goto lmdb_fail;
    /* MDB_NOTLS: reader slots belong to transactions, not threads, so a read transaction
     * may be opened while the loop thread holds another (PITFALLS.md). */
    if ((m = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0) {
        if (m == EACCES || m == EROFS || m == ENOENT || m == ENOTDIR) {
            hl__errf(err, errlen, "cannot open store in %s: %s", dir, mdb_strerror(m));
            mdb_env_close(st->env);
            free(st);
            return HL_EIO;
        }
        goto lmdb_fail;
    }
    /* A process killed with a read transaction open leaves its reader slot taken, which
     * keeps free pages from being reused until someone clears it. */
    hl_store_reader_check(st, NULL);
    refresh_map_size(st);
    *out = st;
    return 0;
lmdb_fail:
    hl__errf(err, errlen, "cannot open store in %s: %s", dir, mdb_strerror(m));
    if (st->env) mdb_env_close(st->env);
    free(st);
    return HL_ESTORE;
}

void hl_store_destroy(hl_store **stp)
{
    if (!stp || !*stp) return;
    hl_store *st = *stp;
    if (st->open_txns) hl_warn("store %s: closed with %d transaction(s) open", st->dir,
                               st->open_txns);
    mdb_env_close(st->env);
    free(st);
    *stp = NULL;
}

int hl_store_reader_check(hl_store *st, int *dead)
{
    if (!st) return HL_EINVAL;
    int n = 0;
    int rc = mdb_reader_check(st->env, &n);
    if (rc != 0) return map_rc(rc, "reader check");
    if (n > 0) hl_info("store %s: cleared %d stale reader slot(s)", st->dir, n);
    if (dead) *dead = n;
    return 0;
}

int hl_store_grow(hl_store *st)
{
    if (!st) return HL_EINVAL;
    if (st->open_txns) return HL_EBUSY;
    refresh_map_size(st);
    size_t n = st->map_size * 2;
    int rc = mdb_env_set_mapsize(st->env, n);
    if (rc != 0) return map_rc(rc, "grow map");
    refresh_map_size(st);
    hl_info("store %s: map grown to %zu bytes", st->dir, st->map_size);
    return 0;
}

size_t hl_store_map_size(const hl_store *st)
{
    return st ? st->map_size : 0;
}

int hl_txn_begin(hl_store *st, hl_txn *parent, int readonly, hl_txn **out)
{
    if (!st || !out) return HL_EINVAL;
    *out = NULL;
    if (parent) {
        /* LMDB nests write transactions only. */
        if (readonly || parent->readonly || parent->st != st) return HL_EINVAL;
        if (parent->children) return HL_EBUSY;
    } else if (!readonly && st->write_open) {
        /* A second write transaction on this thread would wait forever for LMDB's writer
         * lock, which this thread already holds. */
        return HL_EBUSY;
    }
    hl_txn *t = calloc(1, sizeof *t);
    if (!t) return HL_ENOMEM;
    int rc = mdb_txn_begin(st->env, parent ? parent->txn : NULL, readonly ? MDB_RDONLY : 0,
                           &t->txn);
    if (rc == MDB_MAP_RESIZED && !parent) {
        /* Another process grew the map: adopt its size and try again. */
        mdb_env_set_mapsize(st->env, 0);
        refresh_map_size(st);
        rc = mdb_txn_begin(st->env, NULL, readonly ? MDB_RDONLY : 0, &t->txn);
    }
    if (rc != 0) {
        free(t);
        return rc == MDB_READERS_FULL ? HL_EBUSY : map_rc(rc, "begin transaction");
    }
    t->st = st;
    t->parent = parent;
    t->readonly = readonly != 0;
    if (parent) {
        parent->children++;
    } else {
        st->open_txns++;
        if (!readonly) st->write_open = 1;
    }
    *out = t;
    return 0;
}

static void txn_release(hl_txn *t)
{
    if (t->parent) {
        t->parent->children--;
    } else {
        t->st->open_txns--;
        if (!t->readonly) t->st->write_open = 0;
    }
    free(t);
}

int hl_txn_commit(hl_txn **tp)
{
    if (!tp || !*tp) return HL_EINVAL;
    hl_txn *t = *tp;
    *tp = NULL;
    int rc = mdb_txn_commit(t->txn);
    txn_release(t);
    return map_rc(rc, "commit");
}

void hl_txn_abort(hl_txn **tp)
{
    if (!tp || !*tp) return;
    hl_txn *t = *tp;
    *tp = NULL;
    mdb_txn_abort(t->txn);
    txn_release(t);
}

static int table_check(const char *table)
{
    if (!table || !table[0]) return HL_EINVAL;
    if (strlen(table) > TABLE_NAME_MAX) return HL_ETOOBIG;
    return 0;
}

static int key_check(const char *key)
{
    if (!key || !key[0]) return HL_EINVAL;
    if (strlen(key) > HL_STORE_KEY_MAX) return HL_ETOOBIG;
    return 0;
}

/* Open table in t; create only when writing. HL_ENOTFOUND if it does not exist. */
static int dbi_get(hl_txn *t, const char *table, int create, MDB_dbi *dbi)
{
    int rc = table_check(table);
    if (rc < 0) return rc;
    if (t->children) {
        hl_error("store: transaction used while a nested one is open");
        return HL_EBUSY;
    }
    rc = mdb_dbi_open(t->txn, table, (create && !t->readonly) ? MDB_CREATE : 0, dbi);
    if (rc == MDB_NOTFOUND) return HL_ENOTFOUND;
    if (rc == MDB_DBS_FULL) {
        hl_error("store %s: more than %d tables (opening %s)", t->st->dir, HL_STORE_MAX_TABLES,
                 table);
        return HL_ETOOBIG;
    }
    return map_rc(rc, "open table");
}

int hl_kv_put(hl_txn *t, const char *table, const char *key, const void *val, size_t len)
{
    if (!t) return HL_EINVAL;
    if (t->readonly) return HL_EINVAL;
    int rc = key_check(key);
    if (rc < 0) return rc;
    MDB_dbi dbi;
    if ((rc = dbi_get(t, table, 1, &dbi)) < 0) return rc;
    MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
    return map_rc(mdb_put(t->txn, dbi, &k, &v, 0), "put");
}

int hl_kv_get(hl_txn *t, const char *table, const char *key, const void **val, size_t *len)
{
    if (!t || !val || !len) return HL_EINVAL;
    int rc = key_check(key);
    if (rc < 0) return rc;
    MDB_dbi dbi;
    if ((rc = dbi_get(t, table, 0, &dbi)) < 0) return rc;
    MDB_val k = {strlen(key), (void *)key}, v;
    if ((rc = map_rc(mdb_get(t->txn, dbi, &k, &v), "get")) < 0) return rc;
    *val = v.mv_data;
    *len = v.mv_size;
    return 0;
}

int hl_kv_del(hl_txn *t, const char *table, const char *key)
{
    if (!t || t->readonly) return HL_EINVAL;
    int rc = key_check(key);
    if (rc < 0) return rc;
    MDB_dbi dbi;
    if ((rc = dbi_get(t, table, 0, &dbi)) < 0) return rc;
    MDB_val k = {strlen(key), (void *)key};
    return map_rc(mdb_del(t->txn, dbi, &k, NULL), "delete");
}

int hl_kv_scan(hl_txn *t, const char *table, const char *prefix, hl_kv_fn fn, void *ud)
{
    if (!t || !fn) return HL_EINVAL;
    if (!prefix) prefix = "";
    size_t plen = strlen(prefix);
    if (plen > HL_STORE_KEY_MAX) return HL_ETOOBIG;
    MDB_dbi dbi;
    int rc = dbi_get(t, table, 0, &dbi);
    if (rc == HL_ENOTFOUND) return 0;
    if (rc < 0) return rc;
    MDB_cursor *cur;
    if ((rc = mdb_cursor_open(t->txn, dbi, &cur)) != 0) return map_rc(rc, "cursor");
    MDB_val k = {plen, (void *)prefix}, v;
    int m = plen ? mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)
                 : mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    rc = 0;
    char key[512];
    while (m == 0) {
        if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0) break;
        if (k.mv_size >= sizeof key) {
            m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
            continue;
        }
        memcpy(key, k.mv_data, k.mv_size);
        key[k.mv_size] = '\0';
        int r = fn(key, v.mv_data, v.mv_size, ud);
        if (r != 0) {
            rc = r < 0 ? r : 0;
            break;
        }
        m = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (m != 0 && m != MDB_NOTFOUND) rc = map_rc(m, "scan");
    mdb_cursor_close(cur);
    return rc;
}

int hl_kv_count(hl_txn *t, const char *table, uint64_t *out)
{
    if (!t || !out) return HL_EINVAL;
    *out = 0;
    MDB_dbi dbi;
    int rc = dbi_get(t, table, 0, &dbi);
    if (rc == HL_ENOTFOUND) return 0;
    if (rc < 0) return rc;
    MDB_stat s;
    if ((rc = mdb_stat(t->txn, dbi, &s)) != 0) return map_rc(rc, "stat");
    *out = s.ms_entries;
    return 0;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

int hl_seq_next(hl_txn *t, const char *name, uint64_t *out)
{
    if (!t || !out) return HL_EINVAL;
    const void *v;
    size_t len;
    uint64_t cur = 0;
    int rc = hl_kv_get(t, SEQ, name, &v, &len);
    if (rc == 0) {
        if (len != 8) return HL_ESTORE;
        cur = get_u64(v);
    } else if (rc != HL_ENOTFOUND) {
        return rc;
    }
    uint8_t b[8];
    put_u64(b, cur + 1);
    if ((rc = hl_kv_put(t, SEQ, name, b, sizeof b)) < 0) return rc;
    *out = cur + 1;
    return 0;
}

/* ---- Outbox ----
 * Value layout (big-endian): u8 version=1, u32 attempts, i64 next_attempt_real_ms,
 * u8 dest_len, dest, u8 id_len, msg_id, then the packed envelope. */
#define OB_VERSION 1
#define OB_FIXED (1 + 4 + 8)

static void seq_key(uint64_t seq, char key[21])
{
    snprintf(key, 21, "%020" PRIu64, seq);
}

typedef struct ob_rec {
    uint32_t attempts;
    int64_t next;
    const char *dest;
    size_t dest_len;
    const char *id;
    size_t id_len;
    const uint8_t *env;
    size_t env_len;
} ob_rec;

static int ob_decode(const void *val, size_t len, ob_rec *r)
{
    const uint8_t *p = val;
    if (len < OB_FIXED + 2 || p[0] != OB_VERSION) return HL_ESTORE;
    r->attempts = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
    r->next = (int64_t)get_u64(p + 5);
    size_t off = OB_FIXED;
    r->dest_len = p[off++];
    if (off + r->dest_len + 1 > len) return HL_ESTORE;
    r->dest = (const char *)p + off;
    off += r->dest_len;
    r->id_len = p[off++];
    if (off + r->id_len > len) return HL_ESTORE;
    r->id = (const char *)p + off;
    off += r->id_len;
    r->env = p + off;
    r->env_len = len - off;
    return 0;
}

static int ob_write(hl_txn *t, const char *key, uint32_t attempts, int64_t next,
                    const char *dest, size_t dest_len, const char *id, size_t id_len,
                    const void *env, size_t env_len)
{
    size_t len = OB_FIXED + 1 + dest_len + 1 + id_len + env_len;
    uint8_t *b = malloc(len);
    if (!b) return HL_ENOMEM;
    b[0] = OB_VERSION;
    b[1] = (uint8_t)(attempts >> 24);
    b[2] = (uint8_t)(attempts >> 16);
    b[3] = (uint8_t)(attempts >> 8);
    b[4] = (uint8_t)attempts;
    put_u64(b + 5, (uint64_t)next);
    size_t off = OB_FIXED;
    b[off++] = (uint8_t)dest_len;
    memcpy(b + off, dest, dest_len);
    off += dest_len;
    b[off++] = (uint8_t)id_len;
    memcpy(b + off, id, id_len);
    off += id_len;
    if (env_len) memcpy(b + off, env, env_len);
    int rc = hl_kv_put(t, OUTBOX, key, b, len);
    free(b);
    return rc;
}

/* The stored bytes of entry seq, and its key. */
static int ob_get(hl_txn *t, uint64_t seq, char key[21], const void **v, size_t *len)
{
    if (!t) return HL_EINVAL;
    seq_key(seq, key);
    return hl_kv_get(t, OUTBOX, key, v, len);
}

int hl_outbox_put(hl_txn *t, const char *dest, const char *msg_id, const void *env_bytes,
                  size_t env_len, uint64_t *seq_out)
{
    if (!t || !dest || !msg_id || (!env_bytes && env_len)) return HL_EINVAL;
    size_t dl = strlen(dest), il = strlen(msg_id);
    if (dl == 0 || il == 0) return HL_EINVAL;
    if (dl > 64 || il > HL_STORE_KEY_MAX || il > 255) return HL_ETOOBIG;
    uint64_t seq;
    int rc = hl_seq_next(t, OUTBOX, &seq);
    if (rc < 0) return rc;
    char key[21];
    seq_key(seq, key);
    if ((rc = ob_write(t, key, 0, 0, dest, dl, msg_id, il, env_bytes, env_len)) < 0) return rc;
    if ((rc = hl_kv_put(t, OUTBOX_BY_ID, msg_id, key, 20)) < 0) return rc;
    if (seq_out) *seq_out = seq;
    return 0;
}

/* Fill an item from a decoded record; dest and id (256 bytes each) receive the strings. */
static void ob_item(const ob_rec *r, uint64_t seq, char *dest, char *id, hl_outbox_item *out)
{
    memcpy(dest, r->dest, r->dest_len);
    dest[r->dest_len] = '\0';
    memcpy(id, r->id, r->id_len);
    id[r->id_len] = '\0';
    *out = (hl_outbox_item){
        .seq = seq,
        .dest = dest,
        .msg_id = id,
        .env_bytes = r->env,
        .env_len = r->env_len,
        .next_attempt_real_ms = r->next,
        .attempts = r->attempts,
    };
}

typedef struct ob_scan {
    hl_outbox_fn fn;
    void *ud;
} ob_scan;

static int ob_scan_one(const char *key, const void *val, size_t len, void *ud)
{
    ob_scan *s = ud;
    ob_rec r;
    if (ob_decode(val, len, &r) < 0) {
        hl_error("store: outbox entry %s is damaged; skipped", key);
        return 0;
    }
    char dest[256], id[256];
    hl_outbox_item it;
    ob_item(&r, strtoull(key, NULL, 10), dest, id, &it);
    return s->fn(&it, s->ud);
}

int hl_outbox_scan(hl_txn *t, hl_outbox_fn fn, void *ud)
{
    if (!fn) return HL_EINVAL;
    ob_scan s = {fn, ud};
    return hl_kv_scan(t, OUTBOX, "", ob_scan_one, &s);
}

int hl_outbox_touch(hl_txn *t, uint64_t seq, int64_t next_attempt_real_ms)
{
    char key[21];
    const void *v;
    size_t len;
    int rc = ob_get(t, seq, key, &v, &len);
    if (rc < 0) return rc;
    uint8_t *copy = malloc(len);
    if (!copy) return HL_ENOMEM;
    memcpy(copy, v, len); /* v points into the map and dies with the next write */
    ob_rec r;
    if ((rc = ob_decode(copy, len, &r)) == 0)
        rc = ob_write(t, key, r.attempts + 1, next_attempt_real_ms, r.dest, r.dest_len, r.id,
                      r.id_len, r.env, r.env_len);
    free(copy);
    return rc;
}

int hl_outbox_del(hl_txn *t, uint64_t seq)
{
    char key[21];
    const void *v;
    size_t len;
    int rc = ob_get(t, seq, key, &v, &len);
    if (rc < 0) return rc;
    ob_rec r;
    char id[256] = "";
    if (ob_decode(v, len, &r) == 0) {
        memcpy(id, r.id, r.id_len);
        id[r.id_len] = '\0';
    }
    if ((rc = hl_kv_del(t, OUTBOX, key)) < 0) return rc;
    if (id[0]) {
        rc = hl_kv_del(t, OUTBOX_BY_ID, id);
        if (rc < 0 && rc != HL_ENOTFOUND) return rc;
    }
    return 0;
}

int hl_outbox_find(hl_txn *t, const char *msg_id, uint64_t *seq_out)
{
    if (!t || !msg_id) return HL_EINVAL;
    if (!msg_id[0] || strlen(msg_id) > HL_STORE_KEY_MAX) return HL_ENOTFOUND;
    const void *v;
    size_t len;
    int rc = hl_kv_get(t, OUTBOX_BY_ID, msg_id, &v, &len);
    if (rc < 0) return rc;
    char key[21];
    if (len != 20) return HL_ESTORE;
    memcpy(key, v, 20);
    key[20] = '\0';
    if (seq_out) *seq_out = strtoull(key, NULL, 10);
    return 0;
}

int hl_inbox_get(hl_txn *t, const char *key, const void **reply, size_t *len)
{
    return hl_kv_get(t, INBOX, key, reply, len);
}

int hl_inbox_put(hl_txn *t, const char *key, const void *reply, size_t len)
{
    return hl_kv_put(t, INBOX, key, reply, len);
}

int hl_outbox_get(hl_txn *t, uint64_t seq, hl_outbox_item *out)
{
    if (!out) return HL_EINVAL;
    char key[21];
    const void *v;
    size_t len;
    int rc = ob_get(t, seq, key, &v, &len);
    if (rc < 0) return rc;
    ob_rec r;
    if ((rc = ob_decode(v, len, &r)) < 0) return rc;
    ob_item(&r, seq, t->ob_dest, t->ob_id, out);
    return 0;
}
