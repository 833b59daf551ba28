/* hazpartner's store (clients/hazpartner/pstore.h) on a real LMDB environment: records round
 * trip, the "due" index follows the owed answers, settling and superseding answers, replies
 * that cross, and the agent lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "pstore.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hl-pstore-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static Hl__Task task_of(const char *id, const char *state)
{
    Hl__Task t = HL__TASK__INIT;
    t.id = (char *)id;
    t.unit_id = "kt-eeb";
    t.kind = "warn_owner";
    t.title = "通知奎屯水源地管理单位";
    t.state = (char *)state;
    return t;
}

static int due_count(pstore *ps)
{
    hl_txn *t = NULL;
    char ids[8][HL_ID_MAX + 1];
    assert_int_equal(hl_txn_begin(pstore_store(ps), NULL, 1, &t), 0);
    int n = pstore_due_list(t, ids, 8);
    hl_txn_abort(&t);
    return n;
}

static void put_rec(pstore *ps, const pstore_rec *rec)
{
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(pstore_store(ps), NULL, 0, &t), 0);
    assert_int_equal(pstore_put(t, rec), 0);
    assert_int_equal(hl_txn_commit(&t), 0);
}

static void get_rec(pstore *ps, const char *id, pstore_rec *rec)
{
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(pstore_store(ps), NULL, 1, &t), 0);
    assert_int_equal(pstore_get(t, id, rec), 0);
    hl_txn_abort(&t);
}

static int count_fn(const pstore_rec *rec, void *ud)
{
    (void)rec;
    (*(int *)ud)++;
    return 0;
}

static void test_round_trip_and_due(void **state)
{
    (void)state;
    char err[512];
    pstore *ps = NULL;
    assert_int_equal(pstore_open(dir, "kt-eeb", 0, &ps, err, sizeof err), 0);
    assert_non_null(strstr(pstore_dir(ps), "/partner-kt-eeb"));

    Hl__Task t = task_of("task-a", "pending");
    pstore_rec rec = {0};
    rec.task = pstore_task_dup(&t);
    rec.shown_count = 1;
    rec.deliveries = 1;
    rec.received_ms = 1700000000000;
    assert_int_equal(pstore_rec_add_answer(&rec, "ack", NULL, 1700000030000, 1700000000000), 0);
    put_rec(ps, &rec);
    pstore_rec_clear(&rec);
    assert_int_equal(due_count(ps), 1);

    get_rec(ps, "task-a", &rec);
    assert_string_equal(rec.task->title, "通知奎屯水源地管理单位");
    assert_int_equal(rec.shown_count, 1);
    assert_int_equal(rec.received_ms, 1700000000000);
    assert_int_equal(rec.nans, 1);
    assert_string_equal(rec.ans[0].action, "ack");
    /* Not due before its time, due at it. */
    assert_int_equal(pstore_rec_next(&rec, 1700000029999), -1);
    assert_int_equal(pstore_rec_next(&rec, 1700000030000), 0);

    /* Settling needs an attempt: an answer never sent cannot have been confirmed. */
    assert_int_equal(pstore_rec_settle(&rec, "ack", NULL), -1);
    rec.ans[0].attempts = 1;
    assert_int_equal(pstore_rec_settle(&rec, "ack", NULL), 0);
    assert_true(rec.ans[0].confirmed);
    put_rec(ps, &rec);
    assert_int_equal(due_count(ps), 0);

    /* Limit: POLICY_ANSWERS_MAX answers, then HL_ETOOBIG. */
    while (rec.nans < POLICY_ANSWERS_MAX)
        assert_int_equal(pstore_rec_add_answer(&rec, "complete", NULL, 0, 0), 0);
    assert_int_equal(pstore_rec_add_answer(&rec, "complete", NULL, 0, 0), HL_ETOOBIG);
    pstore_rec_clear(&rec);

    hl_txn *tx = NULL;
    assert_int_equal(hl_txn_begin(pstore_store(ps), NULL, 1, &tx), 0);
    assert_int_equal(pstore_get(tx, "task-none", &rec), HL_ENOTFOUND);
    int n = 0;
    assert_int_equal(pstore_scan(tx, count_fn, &n), 0);
    assert_int_equal(n, 1);
    hl_txn_abort(&tx);
    pstore_close(&ps);
    assert_null(ps);
    pstore_close(&ps);

    /* A bad unit id is refused before anything is created. */
    assert_int_equal(pstore_open(dir, "../etc", 0, &ps, err, sizeof err), HL_EINVAL);
    assert_null(ps);
}

static void test_person_supersedes_and_refusal(void **state)
{
    (void)state;
    char err[512];
    pstore *ps = NULL;
    assert_int_equal(pstore_open(dir, "kt-eeb", 0, &ps, err, sizeof err), 0);
    Hl__Task t = task_of("task-b", "delivered");
    pstore_rec rec = {0};
    rec.task = pstore_task_dup(&t);
    /* The agent planned an ack (never sent) and a complete; a person declines. */
    pstore_rec_add_answer(&rec, "ack", NULL, 5000, 0);
    pstore_rec_add_answer(&rec, "complete", NULL, 9000, 0);
    pstore_rec_drop_unsent(&rec);
    assert_int_equal(rec.nans, 0);
    pstore_rec_add_answer(&rec, "decline", "道路中断", 0, 100);
    rec.ans[0].attempts = 1;
    /* An answer already sent is kept when a person answers after it. */
    pstore_rec_drop_unsent(&rec);
    assert_int_equal(rec.nans, 1);
    assert_int_equal(pstore_rec_settle(&rec, "decline", "-12 (not allowed in state): x"), 0);
    assert_string_equal(rec.ans[0].refused, "-12 (not allowed in state): x");
    /* A refusal is final: nothing open, nothing due. */
    assert_int_equal(pstore_rec_next(&rec, 1000000), -1);
    put_rec(ps, &rec);
    assert_int_equal(due_count(ps), 0);

    /* Replies cross: an older state never overwrites a newer one. */
    Hl__Task ack = task_of("task-b", "acknowledged");
    pstore_rec_take_task(&rec, &ack);
    assert_string_equal(rec.task->state, "acknowledged");
    Hl__Task old = task_of("task-b", "delivered");
    pstore_rec_take_task(&rec, &old);
    assert_string_equal(rec.task->state, "acknowledged");
    Hl__Task other = task_of("task-zzz", "completed");
    pstore_rec_take_task(&rec, &other);
    assert_string_equal(rec.task->id, "task-b");
    pstore_rec_take_task(&rec, NULL);
    /* Issue 4: a revision (Task.revisions higher) is newer news in the same state; a copy of
     * an earlier revision is older news, even when its state ranks as high. */
    Hl__Task rev = task_of("task-b", "acknowledged");
    rev.revisions = 2;
    rev.title = "新渠首拦截（提前）";
    pstore_rec_take_task(&rec, &rev);
    assert_string_equal(rec.task->title, "新渠首拦截（提前）");
    Hl__Task stale = task_of("task-b", "acknowledged");
    stale.revisions = 1;
    pstore_rec_take_task(&rec, &stale);
    assert_int_equal(rec.task->revisions, 2);
    Hl__Task wd = task_of("task-b", "withdrawn");
    wd.revisions = 3;
    pstore_rec_take_task(&rec, &wd);
    assert_string_equal(rec.task->state, "withdrawn");
    /* The record's own count of revisions shown round-trips. */
    rec.revisions = 2;
    rec.shown_count = 1;
    put_rec(ps, &rec);
    pstore_rec_clear(&rec);
    get_rec(ps, "task-b", &rec);
    assert_int_equal(rec.revisions, 2);
    assert_int_equal(rec.shown_count, 1);
    assert_int_equal(rec.task->revisions, 3);
    pstore_rec_clear(&rec);
    pstore_rec_clear(NULL);
    pstore_close(&ps);
}

static void test_agent_lock(void **state)
{
    (void)state;
    char err[512], path[512];
    pstore *ps = NULL;
    assert_int_equal(pstore_open(dir, "ws-eeb", 0, &ps, err, sizeof err), 0);
    assert_int_equal(pstore_agent_running(ps), 0);
    /* Another holder (as another agent process would be) makes the lock busy. */
    snprintf(path, sizeof path, "%s/agent.lock", pstore_dir(ps));
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    assert_int_equal(pstore_agent_running(ps), 1);
    assert_int_equal(pstore_agent_lock(ps), HL_EBUSY);
    close(fd);
    assert_int_equal(pstore_agent_running(ps), 0);
    assert_int_equal(pstore_agent_lock(ps), 0);
    assert_int_equal(pstore_agent_running(ps), 1);
    /* Held by us: another would-be agent is refused. */
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
    close(fd);
    pstore_close(&ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_due),
        cmocka_unit_test(test_person_supersedes_and_refusal),
        cmocka_unit_test(test_agent_lock),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
