/* pstore.c — the partner agent's store (pstore.h). */
#include "pstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "task.h"

struct pstore {
    hl_store *st;
    char dir[HL_PATH_MAX + HL_ID_MAX + 16];
    int lock_fd; /* held while this process is the agent; -1 otherwise */
};

int pstore_open(const char *data_dir, const char *unit, size_t map_size, pstore **out, char *err,
                size_t errlen)
{
    *out = NULL;
    if (hl_id_check(unit) < 0) {
        snprintf(err, errlen, "unit '%s' is not a unit id", unit ? unit : "");
        return HL_EINVAL;
    }
    pstore *ps = calloc(1, sizeof *ps);
    if (!ps)
        return HL_ENOMEM;
    ps->lock_fd = -1;
    int n = snprintf(ps->dir, sizeof ps->dir, "%s/partner-%s", data_dir, unit);
    if (n < 0 || (size_t)n >= sizeof ps->dir) {
        snprintf(err, errlen, "partner store path under '%s' is too long", data_dir);
        free(ps);
        return HL_ETOOBIG;
    }
    int rc = hl_store_open(ps->dir, map_size, &ps->st, err, errlen);
    if (rc < 0) {
        free(ps);
        return rc;
    }
    *out = ps;
    return 0;
}

void pstore_close(pstore **ps)
{
    if (!ps || !*ps)
        return;
    hl_store_destroy(&(*ps)->st);
    if ((*ps)->lock_fd >= 0)
        close((*ps)->lock_fd);
    free(*ps);
    *ps = NULL;
}

hl_store *pstore_store(pstore *ps)
{
    return ps->st;
}

const char *pstore_dir(const pstore *ps)
{
    return ps->dir;
}

static int pstore__lock_open(pstore *ps)
{
    char path[sizeof ps->dir + 16];
    snprintf(path, sizeof path, "%s/agent.lock", ps->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        hl_error("cannot open %s: %s", path, strerror(errno));
    return fd;
}

int pstore_agent_lock(pstore *ps)
{
    if (ps->lock_fd >= 0)
        return 0;
    int fd = pstore__lock_open(ps);
    if (fd < 0)
        return HL_EIO;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        close(fd);
        return e == EWOULDBLOCK ? HL_EBUSY : HL_EIO;
    }
    ps->lock_fd = fd;
    return 0;
}

int pstore_agent_running(pstore *ps)
{
    if (ps->lock_fd >= 0)
        return 1;
    int fd = pstore__lock_open(ps);
    if (fd < 0)
        return HL_EIO;
    int running = 0;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0)
        running = errno == EWOULDBLOCK ? 1 : HL_EIO;
    close(fd); /* also drops the shared lock we may have taken */
    return running;
}

Hl__Task *pstore_task_dup(const Hl__Task *task)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (hl_msg_pack(&task->base, &buf, &len) < 0)
        return NULL;
    Hl__Task *t = hl__task__unpack(NULL, len, buf);
    free(buf);
    return t;
}

void pstore_rec_clear(pstore_rec *rec)
{
    if (!rec)
        return;
    if (rec->task)
        hl__task__free_unpacked(rec->task, NULL);
    memset(rec, 0, sizeof *rec);
}

static int pstore__decode(const void *v, size_t len, pstore_rec *out)
{
    memset(out, 0, sizeof *out);
    Hl__PartnerTaskRecord *pr = hl__partner_task_record__unpack(NULL, len, v);
    if (!pr)
        return HL_EDECODE;
    if (!pr->task || pr->n_answers > POLICY_ANSWERS_MAX) {
        hl__partner_task_record__free_unpacked(pr, NULL);
        return HL_EDECODE;
    }
    out->task = pstore_task_dup(pr->task);
    out->shown_count = pr->shown_count;
    out->deliveries = pr->deliveries;
    out->received_ms = pr->received_ms;
    out->revisions = pr->revisions;
    out->nans = pr->n_answers;
    for (size_t i = 0; i < pr->n_answers; i++) {
        const Hl__PartnerAnswer *a = pr->answers[i];
        pstore_answer *x = &out->ans[i];
        snprintf(x->action, sizeof x->action, "%s", a->action);
        snprintf(x->reason, sizeof x->reason, "%s", a->reason);
        x->due_ms = a->due_ms;
        x->at_ms = a->at_ms;
        x->confirmed = a->confirmed;
        snprintf(x->refused, sizeof x->refused, "%s", a->refused);
        x->attempts = a->attempts;
    }
    hl__partner_task_record__free_unpacked(pr, NULL);
    if (!out->task)
        return HL_ENOMEM;
    return 0;
}

int pstore_get(hl_txn *t, const char *task_id, pstore_rec *out)
{
    memset(out, 0, sizeof *out);
    const void *v;
    size_t len;
    int rc = hl_kv_get(t, "tasks", task_id, &v, &len);
    if (rc < 0)
        return rc;
    return pstore__decode(v, len, out);
}

static int pstore__open_answer(const pstore_answer *a)
{
    return !a->confirmed && !a->refused[0];
}

int pstore_put(hl_txn *t, const pstore_rec *rec)
{
    if (!rec->task || hl_id_check(rec->task->id) < 0 || rec->nans > POLICY_ANSWERS_MAX)
        return HL_EINVAL;
    Hl__PartnerAnswer ans[POLICY_ANSWERS_MAX];
    Hl__PartnerAnswer *ptrs[POLICY_ANSWERS_MAX];
    int open = 0;
    for (size_t i = 0; i < rec->nans; i++) {
        const pstore_answer *a = &rec->ans[i];
        hl__partner_answer__init(&ans[i]);
        ans[i].action = (char *)a->action;
        ans[i].reason = (char *)a->reason;
        ans[i].due_ms = a->due_ms;
        ans[i].at_ms = a->at_ms;
        ans[i].confirmed = a->confirmed;
        ans[i].refused = (char *)a->refused;
        ans[i].attempts = a->attempts;
        ptrs[i] = &ans[i];
        open |= pstore__open_answer(a);
    }
    Hl__PartnerTaskRecord pr = HL__PARTNER_TASK_RECORD__INIT;
    pr.task = rec->task;
    pr.shown_count = rec->shown_count;
    pr.deliveries = rec->deliveries;
    pr.received_ms = rec->received_ms;
    pr.revisions = rec->revisions;
    pr.n_answers = rec->nans;
    pr.answers = ptrs;
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(&pr.base, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, "tasks", rec->task->id, buf, len);
    free(buf);
    if (rc < 0)
        return rc;
    if (open)
        return hl_kv_put(t, "due", rec->task->id, "1", 1);
    rc = hl_kv_del(t, "due", rec->task->id);
    return rc == HL_ENOTFOUND ? 0 : rc;
}

int pstore_rec_add_answer(pstore_rec *rec, const char *action, const char *reason, int64_t due_ms,
                          int64_t at_ms)
{
    if (rec->nans >= POLICY_ANSWERS_MAX)
        return HL_ETOOBIG;
    pstore_answer *a = &rec->ans[rec->nans++];
    memset(a, 0, sizeof *a);
    snprintf(a->action, sizeof a->action, "%s", action);
    snprintf(a->reason, sizeof a->reason, "%s", reason ? reason : "");
    a->due_ms = due_ms;
    a->at_ms = at_ms;
    return 0;
}

void pstore_rec_drop_unsent(pstore_rec *rec)
{
    size_t k = 0;
    for (size_t i = 0; i < rec->nans; i++) {
        const pstore_answer *a = &rec->ans[i];
        if (pstore__open_answer(a) && a->attempts == 0)
            continue;
        if (k != i)
            rec->ans[k] = *a;
        k++;
    }
    rec->nans = k;
}

static void pstore__owed(const pstore_rec *rec, policy_owed *owed)
{
    for (size_t i = 0; i < rec->nans; i++) {
        owed[i].due_ms = rec->ans[i].due_ms;
        owed[i].confirmed = rec->ans[i].confirmed;
        owed[i].refused = rec->ans[i].refused[0] != '\0';
    }
}

int pstore_rec_next(const pstore_rec *rec, int64_t now_ms)
{
    policy_owed owed[POLICY_ANSWERS_MAX];
    pstore__owed(rec, owed);
    return policy_next(owed, rec->nans, now_ms);
}

int64_t pstore_rec_next_due(const pstore_rec *rec)
{
    policy_owed owed[POLICY_ANSWERS_MAX];
    pstore__owed(rec, owed);
    return policy_next_due(owed, rec->nans);
}

static int pstore__rank(const char *state)
{
    static const int rank[TASK_STATE_N] = {0, 1, 2, 2, 3, 3};
    task_state s;
    return task_state_parse(state, &s) < 0 ? -1 : rank[s];
}

void pstore_rec_take_task(pstore_rec *rec, const Hl__Task *t)
{
    if (!t || !rec->task || strcmp(t->id, rec->task->id) != 0)
        return;
    if (pstore__rank(t->state) < pstore__rank(rec->task->state) ||
        t->revisions < rec->task->revisions)
        return;
    Hl__Task *copy = pstore_task_dup(t);
    if (!copy)
        return;
    hl__task__free_unpacked(rec->task, NULL);
    rec->task = copy;
}

int pstore_rec_settle(pstore_rec *rec, const char *action, const char *refused)
{
    for (size_t i = 0; i < rec->nans; i++) {
        pstore_answer *x = &rec->ans[i];
        if (!pstore__open_answer(x) || x->attempts == 0 || strcmp(x->action, action) != 0)
            continue;
        if (refused)
            snprintf(x->refused, sizeof x->refused, "%s", refused[0] ? refused : "refused");
        else
            x->confirmed = 1;
        return (int)i;
    }
    return -1;
}

int pstore_update(pstore *ps, const char *task_id, pstore_update_fn fn, void *ud)
{
    hl_txn *txn = NULL;
    pstore_rec rec;
    int rc = hl_txn_begin(ps->st, NULL, 0, &txn);
    if (rc < 0)
        return rc;
    if ((rc = pstore_get(txn, task_id, &rec)) == 0) {
        rc = fn(&rec, ud);
        if (rc == 0 && (rc = pstore_put(txn, &rec)) == 0)
            rc = hl_txn_commit(&txn);
        pstore_rec_clear(&rec);
    }
    hl_txn_abort(&txn);
    return rc > 0 ? 0 : rc;
}

typedef struct pstore__reply {
    const char *action, *refused;
    const Hl__Task *t;
} pstore__reply;

static int pstore__reply_fn(pstore_rec *rec, void *ud)
{
    const pstore__reply *r = ud;
    if (r->action)
        pstore_rec_settle(rec, r->action, r->refused);
    pstore_rec_take_task(rec, r->t);
    return 0;
}

int pstore_record_reply(pstore *ps, const char *task_id, const char *action, const char *refused,
                        const Hl__Task *t)
{
    pstore__reply r = {.action = action, .refused = refused, .t = t};
    return pstore_update(ps, task_id, pstore__reply_fn, &r);
}

void pstore_describe_error(const Hl__Error *e, char *buf, size_t n)
{
    snprintf(buf, n, "%d (%s): %s [%s]", e->code, hl_strerror(e->code), e->message, e->field);
}

typedef struct pstore__ids {
    char (*ids)[HL_ID_MAX + 1];
    size_t max, n;
} pstore__ids;

static int pstore__due_fn(const char *key, const void *val, size_t len, void *ud)
{
    (void)val;
    (void)len;
    pstore__ids *s = ud;
    if (s->n >= s->max)
        return 1;
    snprintf(s->ids[s->n++], HL_ID_MAX + 1, "%s", key);
    return 0;
}

int pstore_due_list(hl_txn *t, char (*ids)[HL_ID_MAX + 1], size_t max)
{
    pstore__ids s = {.ids = ids, .max = max};
    int rc = hl_kv_scan(t, "due", "", pstore__due_fn, &s);
    return rc < 0 ? rc : (int)s.n;
}

typedef struct pstore__scan {
    pstore_fn fn;
    void *ud;
} pstore__scan;

static int pstore__scan_fn(const char *key, const void *val, size_t len, void *ud)
{
    pstore__scan *s = ud;
    pstore_rec *rec = calloc(1, sizeof *rec);
    if (!rec)
        return HL_ENOMEM;
    int rc = pstore__decode(val, len, rec);
    if (rc < 0)
        hl_error("partner store: record %s cannot be read: %s", key, hl_strerror(rc));
    else
        rc = s->fn(rec, s->ud);
    pstore_rec_clear(rec);
    free(rec);
    return rc;
}

int pstore_scan(hl_txn *t, pstore_fn fn, void *ud)
{
    pstore__scan s = {.fn = fn, .ud = ud};
    return hl_kv_scan(t, "tasks", "", pstore__scan_fn, &s);
}
