/* dstore.c — dispatch's tables (dstore.h). */
#include "dstore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

/* A "pending" value: 8 bytes of last push time (little endian), then the task id. A fixed
 * layout rather than a message: it is private to this file and never crosses a socket. */
#define DSTORE__PENDING_HDR 8

void dstore_unit_key(const char *unit, uint64_t seq, char key[DSTORE_KEY_MAX + 1])
{
    snprintf(key, DSTORE_KEY_MAX + 1, "%.64s/%020" PRIu64, unit, seq);
}

int dstore_task_get(hl_txn *t, const char *id, Hl__Task **out)
{
    const void *v;
    size_t len;
    *out = NULL;
    int rc = hl_kv_get(t, "tasks", id, &v, &len);
    if (rc < 0)
        return rc;
    *out = hl__task__unpack(NULL, len, v);
    return *out ? 0 : HL_EDECODE;
}

int dstore_task_put(hl_txn *t, const Hl__Task *task)
{
    uint8_t *buf;
    size_t len;
    int rc = hl_msg_pack(&task->base, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, "tasks", task->id, buf, len);
    free(buf);
    return rc;
}

int dstore_pending_put(hl_txn *t, const char *unit, uint64_t seq, const char *task_id,
                       int64_t last_push_real_ms)
{
    char key[DSTORE_KEY_MAX + 1];
    uint8_t val[DSTORE__PENDING_HDR + HL_ID_MAX];
    size_t idlen = strlen(task_id);
    if (idlen == 0 || idlen > HL_ID_MAX)
        return HL_EINVAL;
    uint64_t u = (uint64_t)last_push_real_ms;
    for (int i = 0; i < DSTORE__PENDING_HDR; i++)
        val[i] = (uint8_t)(u >> (8 * i));
    memcpy(val + DSTORE__PENDING_HDR, task_id, idlen);
    dstore_unit_key(unit, seq, key);
    return hl_kv_put(t, "pending", key, val, DSTORE__PENDING_HDR + idlen);
}

int dstore_pending_del(hl_txn *t, const char *unit, uint64_t seq)
{
    char key[DSTORE_KEY_MAX + 1];
    dstore_unit_key(unit, seq, key);
    int rc = hl_kv_del(t, "pending", key);
    return rc == HL_ENOTFOUND ? 0 : rc;
}

typedef struct dstore__scan {
    int64_t before;
    dstore_pending *out;
    size_t max, n;
} dstore__scan;

static int dstore__pending_fn(const char *key, const void *val, size_t len, void *ud)
{
    dstore__scan *s = ud;
    if (s->n >= s->max)
        return 1;
    if (len <= DSTORE__PENDING_HDR || len > DSTORE__PENDING_HDR + HL_ID_MAX)
        return HL_EDECODE;
    const uint8_t *b = val;
    uint64_t u = 0;
    for (int i = 0; i < DSTORE__PENDING_HDR; i++)
        u |= (uint64_t)b[i] << (8 * i);
    int64_t last = (int64_t)u;
    if (last > s->before)
        return 0;
    dstore_pending *p = &s->out[s->n++];
    snprintf(p->key, sizeof p->key, "%s", key);
    memcpy(p->task_id, b + DSTORE__PENDING_HDR, len - DSTORE__PENDING_HDR);
    p->task_id[len - DSTORE__PENDING_HDR] = '\0';
    p->last_push_real_ms = last;
    return 0;
}

int dstore_pending_list(hl_txn *t, const char *unit, int64_t pushed_before_real_ms,
                        dstore_pending *out, size_t max)
{
    char prefix[HL_ID_MAX + 2];
    snprintf(prefix, sizeof prefix, "%.64s/", unit);
    dstore__scan s = {.before = pushed_before_real_ms, .out = out, .max = max};
    int rc = hl_kv_scan(t, "pending", prefix, dstore__pending_fn, &s);
    return rc < 0 ? rc : (int)s.n;
}

int dstore_audit_append(hl_txn *t, Hl__AuditEntry *e)
{
    uint64_t seq;
    int rc = hl_seq_next(t, "audit", &seq);
    if (rc < 0)
        return rc;
    e->seq = seq;
    char key[24];
    snprintf(key, sizeof key, "%020" PRIu64, seq);
    uint8_t *buf;
    size_t len;
    if ((rc = hl_msg_pack(&e->base, &buf, &len)) < 0)
        return rc;
    rc = hl_kv_put(t, "audit", key, buf, len);
    free(buf);
    return rc;
}

int dstore_unit_seen_get(hl_txn *t, const char *unit, int64_t *out)
{
    const void *v;
    size_t len;
    *out = 0;
    int rc = hl_kv_get(t, "units", unit, &v, &len);
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    Hl__Unit *u = hl__unit__unpack(NULL, len, v);
    if (!u)
        return HL_EDECODE;
    *out = u->last_seen_ms;
    hl__unit__free_unpacked(u, NULL);
    return 0;
}

int dstore_unit_seen_put(hl_txn *t, const char *unit, int64_t last_seen_ms)
{
    Hl__Unit u = HL__UNIT__INIT;
    u.id = (char *)unit;
    u.last_seen_ms = last_seen_ms;
    uint8_t *buf;
    size_t len;
    int rc = hl_msg_pack(&u.base, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, "units", unit, buf, len);
    free(buf);
    return rc;
}

/* ---- escalation chains ---- */

static void dstore__due_key(int64_t due_ms, const char *task_id, char *key, size_t n)
{
    snprintf(key, n, "%020" PRId64 "/%.64s", due_ms, task_id);
}

int dstore_esc_get(hl_txn *t, const char *task_id, Hl__Escalation **out)
{
    const void *v;
    size_t len;
    *out = NULL;
    int rc = hl_kv_get(t, "escal", task_id, &v, &len);
    if (rc < 0)
        return rc;
    *out = hl__escalation__unpack(NULL, len, v);
    return *out ? 0 : HL_EDECODE;
}

int dstore_esc_put(hl_txn *t, const Hl__Escalation *e, int64_t old_due_ms)
{
    char key[DSTORE_KEY_MAX + 8];
    uint8_t *buf;
    size_t len;
    int rc = hl_msg_pack(&e->base, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, "escal", e->task_id, buf, len);
    free(buf);
    if (rc == 0 && old_due_ms > 0 && old_due_ms != e->next_due_ms) {
        dstore__due_key(old_due_ms, e->task_id, key, sizeof key);
        rc = hl_kv_del(t, "esc_due", key);
        if (rc == HL_ENOTFOUND)
            rc = 0;
    }
    if (rc == 0 && e->next_due_ms > 0) {
        dstore__due_key(e->next_due_ms, e->task_id, key, sizeof key);
        rc = hl_kv_put(t, "esc_due", key, "1", 1);
    }
    return rc;
}

typedef struct dstore__due_scan {
    int64_t now;
    dstore_due *out;
    size_t max, n;
    int64_t first;
} dstore__due_scan;

/* The due time and task id of an "esc_due" key; HL_EDECODE for anything else. */
static int dstore__due_parse(const char *key, int64_t *due, const char **id)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(key, &end, 10);
    if (errno || end != key + 20 || *end != '/' || v < 0 || hl_id_check(end + 1) < 0)
        return HL_EDECODE;
    *due = v;
    *id = end + 1;
    return 0;
}

static int dstore__due_fn(const char *key, const void *val, size_t len, void *ud)
{
    (void)val, (void)len;
    dstore__due_scan *s = ud;
    int64_t due;
    const char *id;
    if (dstore__due_parse(key, &due, &id) < 0)
        return HL_EDECODE;
    if (s->max == 0) { /* first_due: only the first key matters */
        s->first = due;
        return 1;
    }
    if (due > s->now || s->n >= s->max)
        return 1;
    s->out[s->n].due_ms = due;
    snprintf(s->out[s->n++].task_id, HL_ID_MAX + 1, "%s", id);
    return 0;
}

int dstore_esc_due(hl_txn *t, int64_t now_ms, dstore_due *out, size_t max)
{
    if (max == 0)
        return 0;
    dstore__due_scan s = {.now = now_ms, .out = out, .max = max};
    int rc = hl_kv_scan(t, "esc_due", "", dstore__due_fn, &s);
    return rc < 0 ? rc : (int)s.n;
}

int dstore_esc_first_due(hl_txn *t, int64_t *out)
{
    dstore__due_scan s = {.first = INT64_MAX};
    int rc = hl_kv_scan(t, "esc_due", "", dstore__due_fn, &s);
    *out = s.first;
    return rc < 0 ? rc : 0;
}

int dstore_esc_unindex(hl_txn *t, const dstore_due *due)
{
    char key[DSTORE_KEY_MAX + 8];
    dstore__due_key(due->due_ms, due->task_id, key, sizeof key);
    int rc = hl_kv_del(t, "esc_due", key);
    return rc == HL_ENOTFOUND ? 0 : rc;
}

/* ---- revisions (dispatch.revise) ---- */

int dstore_plan_update_get(hl_txn *t, const char *plan_id, uint32_t *out)
{
    const void *v;
    size_t len;
    char buf[16];
    *out = 0;
    int rc = hl_kv_get(t, "plan_rev", plan_id, &v, &len);
    if (rc == HL_ENOTFOUND)
        return 0;
    if (rc < 0)
        return rc;
    if (len == 0 || len >= sizeof buf)
        return HL_EDECODE;
    memcpy(buf, v, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long u = strtoul(buf, &end, 10);
    if (errno || *end || u > UINT32_MAX)
        return HL_EDECODE;
    *out = (uint32_t)u;
    return 0;
}

int dstore_plan_update_put(hl_txn *t, const char *plan_id, uint32_t update)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%" PRIu32, update);
    return hl_kv_put(t, "plan_rev", plan_id, buf, (size_t)n);
}
