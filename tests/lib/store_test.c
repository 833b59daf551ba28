/* Store: real LMDB files in a temporary folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"

static char g_tmp[64];

static int make_tmp(void **state)
{
    (void)state;
    snprintf(g_tmp, sizeof g_tmp, "/tmp/hl-store-XXXXXX");
    return mkdtemp(g_tmp) ? 0 : -1;
}

static int rm_tmp(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static hl_store *open_store(const char *sub, size_t map)
{
    char dir[256], err[256] = "";
    snprintf(dir, sizeof dir, "%s/%s", g_tmp, sub);
    hl_store *st = NULL;
    int rc = hl_store_open(dir, map, &st, err, sizeof err);
    if (rc < 0) fail_msg("open %s: %s", dir, err);
    return st;
}

static int collect(const char *key, const void *val, size_t len, void *ud)
{
    char *acc = ud;
    size_t n = strlen(acc);
    snprintf(acc + n, 256 - n, "%s=%.*s;", key, (int)len, (const char *)val);
    return 0;
}

static int stop_after_one(const char *key, const void *val, size_t len, void *ud)
{
    (void)key, (void)val, (void)len;
    (*(int *)ud)++;
    return 1;
}

static int fail_scan(const char *key, const void *val, size_t len, void *ud)
{
    (void)key, (void)val, (void)len, (void)ud;
    return HL_EIO;
}

static void test_kv(void **state)
{
    (void)state;
    hl_store *st = open_store("kv", 0);
    assert_int_equal(hl_store_map_size(st), (size_t)1 << 30);
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    assert_int_equal(hl_kv_put(t, "stations", "st-b", "2", 1), 0);
    assert_int_equal(hl_kv_put(t, "stations", "st-a", "1", 1), 0);
    assert_int_equal(hl_kv_put(t, "stations", "zz", "3", 1), 0);
    assert_int_equal(hl_kv_put(t, "stations", "st-a", "11", 2), 0); /* replace */
    assert_int_equal(hl_kv_put(t, "stations", "", "x", 1), HL_EINVAL);
    char longkey[HL_STORE_KEY_MAX + 2];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[HL_STORE_KEY_MAX + 1] = '\0';
    assert_int_equal(hl_kv_put(t, "stations", longkey, "x", 1), HL_ETOOBIG);
    longkey[HL_STORE_KEY_MAX] = '\0';
    assert_int_equal(hl_kv_put(t, "stations", longkey, "x", 1), 0);
    assert_int_equal(hl_kv_put(t, "a-table-name-longer-than-32-bytes!", "k", "x", 1),
                     HL_ETOOBIG);
    /* A second top-level write transaction would deadlock: refused. */
    hl_txn *t2 = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t2), HL_EBUSY);
    assert_null(t2);
    assert_int_equal(hl_store_grow(st), HL_EBUSY);
    assert_int_equal(hl_txn_commit(&t), 0);
    assert_null(t);

    assert_int_equal(hl_txn_begin(st, NULL, 1, &t), 0);
    const void *v;
    size_t len;
    assert_int_equal(hl_kv_get(t, "stations", "st-a", &v, &len), 0);
    assert_int_equal(len, 2);
    assert_memory_equal(v, "11", 2);
    assert_int_equal(hl_kv_get(t, "stations", "none", &v, &len), HL_ENOTFOUND);
    assert_int_equal(hl_kv_get(t, "no-table", "k", &v, &len), HL_ENOTFOUND);
    assert_int_equal(hl_kv_put(t, "stations", "k", "x", 1), HL_EINVAL); /* read-only */
    char acc[256] = "";
    assert_int_equal(hl_kv_scan(t, "stations", "st-", collect, acc), 0);
    assert_string_equal(acc, "st-a=11;st-b=2;");
    acc[0] = '\0';
    assert_int_equal(hl_kv_scan(t, "no-table", "", collect, acc), 0);
    assert_string_equal(acc, "");
    int calls = 0;
    assert_int_equal(hl_kv_scan(t, "stations", "", stop_after_one, &calls), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(hl_kv_scan(t, "stations", "", fail_scan, NULL), HL_EIO);
    uint64_t n;
    assert_int_equal(hl_kv_count(t, "stations", &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(hl_kv_count(t, "no-table", &n), 0);
    assert_int_equal(n, 0);
    /* A second read transaction alongside (MDB_NOTLS). */
    hl_txn *r2 = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 1, &r2), 0);
    assert_int_equal(hl_kv_get(r2, "stations", "zz", &v, &len), 0);
    hl_txn_abort(&r2);
    hl_txn_abort(&t);
    assert_null(t);
    hl_txn_abort(&t); /* NULL is fine */

    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    assert_int_equal(hl_kv_del(t, "stations", "zz"), 0);
    assert_int_equal(hl_kv_del(t, "stations", "zz"), HL_ENOTFOUND);
    assert_int_equal(hl_txn_commit(&t), 0);
    int dead = -1;
    assert_int_equal(hl_store_reader_check(st, &dead), 0);
    assert_int_equal(dead, 0);
    hl_store_destroy(&st);
    assert_null(st);
    hl_store_destroy(&st);

    /* Reopen after close keeps the data. */
    st = open_store("kv", 0);
    assert_int_equal(hl_txn_begin(st, NULL, 1, &t), 0);
    assert_int_equal(hl_kv_get(t, "stations", "st-b", &v, &len), 0);
    assert_memory_equal(v, "2", 1);
    assert_int_equal(hl_kv_get(t, "stations", "zz", &v, &len), HL_ENOTFOUND);
    hl_txn_abort(&t);
    hl_store_destroy(&st);
}

static void test_nested(void **state)
{
    (void)state;
    hl_store *st = open_store("nested", 0);
    hl_txn *p = NULL, *c = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &p), 0);
    assert_int_equal(hl_kv_put(p, "t", "parent", "p", 1), 0);
    /* Child 1 commits into the parent. */
    assert_int_equal(hl_txn_begin(st, p, 0, &c), 0);
    assert_int_equal(hl_kv_put(p, "t", "x", "x", 1), HL_EBUSY); /* parent idle meanwhile */
    assert_int_equal(hl_kv_put(c, "t", "child1", "1", 1), 0);
    assert_int_equal(hl_txn_commit(&c), 0);
    /* Child 2 writes, creates a table, and aborts: only its own writes are undone. */
    assert_int_equal(hl_txn_begin(st, p, 0, &c), 0);
    assert_int_equal(hl_kv_put(c, "t", "child2", "2", 1), 0);
    assert_int_equal(hl_kv_put(c, "t", "parent", "overwritten", 11), 0);
    assert_int_equal(hl_kv_put(c, "newtable", "k", "v", 1), 0);
    hl_txn_abort(&c);
    /* Nested read-only is not a thing in LMDB. */
    assert_int_equal(hl_txn_begin(st, p, 1, &c), HL_EINVAL);
    const void *v;
    size_t len;
    assert_int_equal(hl_kv_get(p, "t", "parent", &v, &len), 0);
    assert_memory_equal(v, "p", 1);
    assert_int_equal(hl_kv_get(p, "t", "child1", &v, &len), 0);
    assert_int_equal(hl_kv_get(p, "t", "child2", &v, &len), HL_ENOTFOUND);
    assert_int_equal(hl_kv_get(p, "newtable", "k", &v, &len), HL_ENOTFOUND);
    assert_int_equal(hl_txn_commit(&p), 0);
    assert_int_equal(hl_txn_begin(st, NULL, 1, &p), 0);
    uint64_t n;
    assert_int_equal(hl_kv_count(p, "t", &n), 0);
    assert_int_equal(n, 2);
    hl_txn_abort(&p);
    hl_store_destroy(&st);
}

typedef struct ob_acc {
    char text[512];
    uint64_t seqs[8];
    int n;
} ob_acc;

static int ob_collect(const hl_outbox_item *it, void *ud)
{
    ob_acc *a = ud;
    size_t k = strlen(a->text);
    snprintf(a->text + k, sizeof a->text - k, "%s/%s/%.*s/%u/%lld;", it->dest, it->msg_id,
             (int)it->env_len, (const char *)it->env_bytes, it->attempts,
             (long long)it->next_attempt_real_ms);
    if (a->n < 8) a->seqs[a->n++] = it->seq;
    return 0;
}

static void test_outbox_inbox_seq(void **state)
{
    (void)state;
    hl_store *st = open_store("ob", 0);
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    uint64_t s1, s2, s3, s;
    /* More than 9 entries so that zero padding matters for key order. */
    for (int i = 0; i < 9; i++) assert_int_equal(hl_seq_next(t, "filler", &s), 0);
    assert_int_equal(s, 9);
    assert_int_equal(hl_seq_next(t, "other", &s), 0);
    assert_int_equal(s, 1);
    for (int i = 0; i < 9; i++) {
        char id[16];
        snprintf(id, sizeof id, "pre-%d", i);
        assert_int_equal(hl_outbox_put(t, "stock", id, "e", 1, &s), 0);
        assert_int_equal(hl_outbox_del(t, s), 0);
    }
    assert_int_equal(hl_outbox_put(t, "stock", "m-1", "AAA", 3, &s1), 0);
    assert_int_equal(hl_outbox_put(t, "dispatch", "m-2", "BB", 2, &s2), 0);
    assert_int_equal(hl_outbox_put(t, "pub", "m-3", "C", 1, &s3), 0);
    assert_int_equal(s1, 10);
    assert_true(s1 < s2 && s2 < s3);
    assert_int_equal(hl_txn_commit(&t), 0);

    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    ob_acc a = {0};
    assert_int_equal(hl_outbox_scan(t, ob_collect, &a), 0);
    assert_string_equal(a.text, "stock/m-1/AAA/0/0;dispatch/m-2/BB/0/0;pub/m-3/C/0/0;");
    assert_int_equal(a.seqs[0], s1);
    assert_int_equal(hl_outbox_touch(t, s2, 123456789), 0);
    assert_int_equal(hl_outbox_touch(t, s2, 223456789), 0);
    assert_int_equal(hl_outbox_touch(t, 999, 1), HL_ENOTFOUND);
    uint64_t f;
    assert_int_equal(hl_outbox_find(t, "m-2", &f), 0);
    assert_int_equal(f, s2);
    assert_int_equal(hl_outbox_find(t, "m-9", &f), HL_ENOTFOUND);
    hl_outbox_item it;
    assert_int_equal(hl_outbox_get(t, s2, &it), 0);
    assert_string_equal(it.dest, "dispatch");
    assert_string_equal(it.msg_id, "m-2");
    assert_int_equal(it.env_len, 2);
    assert_memory_equal(it.env_bytes, "BB", 2);
    assert_int_equal(it.attempts, 2);
    assert_int_equal(it.next_attempt_real_ms, 223456789);
    assert_int_equal(hl_outbox_get(t, 999, &it), HL_ENOTFOUND);
    assert_int_equal(hl_outbox_del(t, s1), 0);
    assert_int_equal(hl_outbox_del(t, s1), HL_ENOTFOUND); /* duplicate ack */
    assert_int_equal(hl_outbox_find(t, "m-1", &f), HL_ENOTFOUND);
    memset(&a, 0, sizeof a);
    assert_int_equal(hl_outbox_scan(t, ob_collect, &a), 0);
    assert_string_equal(a.text, "dispatch/m-2/BB/2/223456789;pub/m-3/C/0/0;");

    /* Inbox. */
    const void *v;
    size_t len;
    assert_int_equal(hl_inbox_get(t, "idem-1", &v, &len), HL_ENOTFOUND);
    assert_int_equal(hl_inbox_put(t, "idem-1", "reply", 5), 0);
    assert_int_equal(hl_inbox_get(t, "idem-1", &v, &len), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "reply", 5);
    assert_int_equal(hl_txn_commit(&t), 0);
    hl_store_destroy(&st);

    /* Everything survives a reopen: outbox order, attempts, inbox, counters. */
    st = open_store("ob", 0);
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    memset(&a, 0, sizeof a);
    assert_int_equal(hl_outbox_scan(t, ob_collect, &a), 0);
    assert_string_equal(a.text, "dispatch/m-2/BB/2/223456789;pub/m-3/C/0/0;");
    assert_int_equal(hl_inbox_get(t, "idem-1", &v, &len), 0);
    assert_int_equal(hl_seq_next(t, "other", &s), 0);
    assert_int_equal(s, 2);
    hl_txn_abort(&t);
    hl_store_destroy(&st);
}

static void test_map_full(void **state)
{
    (void)state;
    hl_store *st = open_store("full", 64 * 1024);
    size_t map0 = hl_store_map_size(st);
    assert_int_equal(map0, 64 * 1024);
    hl_txn *t = NULL;
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    assert_int_equal(hl_kv_put(t, "t", "keep", "kept", 4), 0);
    assert_int_equal(hl_txn_commit(&t), 0);

    /* 100 KiB does not fit in a 64 KiB map. */
    static char blob[100 * 1024];
    memset(blob, 'b', sizeof blob);
    assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
    int rc = hl_kv_put(t, "t", "big", blob, sizeof blob);
    if (rc == 0) rc = hl_txn_commit(&t);
    else hl_txn_abort(&t);
    assert_int_equal(rc, HL_EMAPFULL);
    assert_null(t);

    /* Reads still work. */
    const void *v;
    size_t len;
    assert_int_equal(hl_txn_begin(st, NULL, 1, &t), 0);
    assert_int_equal(hl_kv_get(t, "t", "keep", &v, &len), 0);
    assert_memory_equal(v, "kept", 4);
    assert_int_equal(hl_kv_get(t, "t", "big", &v, &len), HL_ENOTFOUND);
    hl_txn_abort(&t);

    /* Grow until it fits: each grow doubles the map. */
    int grows = 0;
    for (;;) {
        assert_int_equal(hl_store_grow(st), 0);
        grows++;
        assert_int_equal(hl_store_map_size(st), map0 << grows);
        assert_int_equal(hl_txn_begin(st, NULL, 0, &t), 0);
        rc = hl_kv_put(t, "t", "big", blob, sizeof blob);
        if (rc == 0) rc = hl_txn_commit(&t);
        else hl_txn_abort(&t);
        if (rc == 0) break;
        assert_int_equal(rc, HL_EMAPFULL);
        assert_true(grows < 4);
    }
    assert_int_equal(hl_txn_begin(st, NULL, 1, &t), 0);
    assert_int_equal(hl_kv_get(t, "t", "big", &v, &len), 0);
    assert_int_equal(len, sizeof blob);
    hl_txn_abort(&t);
    hl_store_destroy(&st);
}

static void test_stale_reader(void **state)
{
    (void)state;
    /* A process killed inside a read transaction leaves its reader slot taken until
     * someone runs mdb_reader_check. */
    hl_store *st = open_store("readers", 0);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child opens its own environment; it never touches the parent's. */
        hl_store *mine = open_store("readers", 0);
        hl_txn *t = NULL;
        if (hl_txn_begin(mine, NULL, 1, &t) < 0) _exit(1);
        if (write(fds[1], "r", 1) != 1) _exit(1);
        pause();
        _exit(0);
    }
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    int dead = -1;
    assert_int_equal(hl_store_reader_check(st, &dead), 0);
    assert_int_equal(dead, 1);
    assert_int_equal(hl_store_reader_check(st, &dead), 0);
    assert_int_equal(dead, 0);
    close(fds[0]);
    close(fds[1]);
    hl_store_destroy(&st);
}

static void test_unwritable(void **state)
{
    (void)state;
    /* Tests run as root, for whom permission bits do not bite: a path under a regular file
     * cannot be created by anyone. */
    char file[256], dir[300], err[512] = "";
    snprintf(file, sizeof file, "%s/file", g_tmp);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(dir, sizeof dir, "%s/sub/store", file);
    hl_store *st = NULL;
    assert_int_equal(hl_store_open(dir, 0, &st, err, sizeof err), HL_EIO);
    assert_null(st);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "Not a directory"));
    /* The file itself as the folder. */
    assert_int_equal(hl_store_open(file, 0, &st, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, file));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_outbox_inbox_seq),
        cmocka_unit_test(test_map_full),
        cmocka_unit_test(test_stale_reader),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, make_tmp, rm_tmp);
}
