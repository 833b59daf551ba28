/* dispatch + hazpartner as real processes: real sockets on 127.0.0.1, real LMDB files in a
 * temporary data dir, a drill clock at 60× (30 drill seconds = 0.5 real seconds).
 *
 *  - tasks reach the right unit only, are acknowledged after the delay, states and audit are
 *    visible through dispatch.list / dispatch.audit; a resent batch creates no duplicate; a
 *    batch naming an unknown unit is refused whole, naming the task and the unit;
 *  - a unit that connects late receives all its pending tasks once, in seq order;
 *  - dispatch killed with SIGKILL (three times) while tasks are in flight: every task ends
 *    shown exactly once to the partner application and acknowledged, each transition
 *    audited once;
 *  - a partner killed with SIGKILL shows nothing twice after restart and still acknowledges;
 *  - a partner answering another unit's task is refused with HL_EDENIED; other refusals
 *    (unknown task, wrong state, decline without reason, a request not for partners); a
 *    person's decline through the running agent.
 * Every partner connection speaks CURVE with a key admitted in the data dir (dfix.h); the
 * gateway's own refusals (unlisted and missing keys, revocation) are in security_test.c,
 * escalation in escal_flow_test.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zmq.h>
#include <cmocka.h>

#include "dfix.h"
#include "dispatch.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/stack.h"

static int setup(void **state)
{
    (void)state;
    return dfix_setup("dispatch-flow", 60);
}

static int teardown(void **state)
{
    (void)state;
    return dfix_teardown();
}

/* ---- tests ---- */

static void test_deliver_ack_list_resend(void **state)
{
    (void)state;
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", 30, NULL);
    dfix_start_partner("xj7-eeb", 30, NULL);
    Hl__Task tasks[] = {
        dfix_task("t1-a", "kt-eeb", "warn_owner", "通知奎屯水源地管理单位"),
        dfix_task("t1-b", "kt-eeb", "sample", "黄沟二库断面加密采样"),
        dfix_task("t1-c", "kt-eeb", "intercept", "奎屯河特大桥设置拦油索"),
        dfix_task("t1-d", "xj7-eeb", "intercept", "在奎屯河新渠首拦截"),
        dfix_task("t1-e", "xj7-eeb", "notify_counterpart", "通报奎屯市生态环境局"),
    };
    const char *ids[] = {"t1-a", "t1-b", "t1-c", "t1-d", "t1-e"};
    Hl__TaskList *got = NULL;
    char err[512], field[64];
    assert_int_equal(dfix_submit(tasks, 5, NULL, &got, field, sizeof field, err, sizeof err), 0);
    assert_int_equal(got->n_tasks, 5);
    /* Per-unit seq in batch order; every task stored pending by the sender. */
    assert_int_equal(got->tasks[0]->seq, 1);
    assert_int_equal(got->tasks[2]->seq, 3);
    assert_int_equal(got->tasks[3]->seq, 1);
    assert_string_equal(got->tasks[0]->state, "pending");
    assert_string_equal(got->tasks[0]->incident_id, "inc-test");
    hl__task_list__free_unpacked(got, NULL);

    Hl__TaskList *l = dfix_wait_state(ids, 5, "acknowledged");
    for (size_t i = 0; i < 5; i++) {
        const Hl__Task *t = dfix_find(l, ids[i]);
        assert_string_equal(t->unit_id, tasks[i].unit_id);
        assert_string_equal(t->actor, tasks[i].unit_id);
        assert_true(t->delivered_ms > 0);
        /* Acknowledged after the 30 s drill delay counted from arrival at the partner; the
         * receipt reaches dispatch a moment after arrival, so allow 5 s of drill time. */
        if (t->acknowledged_ms - t->delivered_ms < 25000)
            fail_msg("%s acknowledged %lld ms after delivery", t->id,
                     (long long)(t->acknowledged_ms - t->delivered_ms));
        assert_true(t->delivery_attempts >= 1);
    }
    hl__task_list__free_unpacked(l, NULL);

    /* The unit filter gives that unit's tasks only, in seq order. */
    l = dfix_list("kt-eeb");
    assert_int_equal(l->n_tasks, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(l->tasks[i]->seq, i + 1);
    hl__task_list__free_unpacked(l, NULL);

    /* Each partner got exactly its own tasks, each shown once. */
    json_t *kt = dfix_export("kt-eeb"), *xj = dfix_export("xj7-eeb");
    assert_int_equal(json_array_size(json_object_get(kt, "tasks")), 3);
    assert_int_equal(json_array_size(json_object_get(xj, "tasks")), 2);
    for (size_t i = 0; i < 5; i++) {
        json_t *mine = i < 3 ? kt : xj, *other = i < 3 ? xj : kt;
        json_t *t = dfix_export_task(mine, ids[i]);
        assert_non_null(t);
        assert_null(dfix_export_task(other, ids[i]));
        assert_int_equal(dfix_jint(t, "shown_count"), 1);
        assert_string_equal(json_string_value(json_object_get(t, "state")), "acknowledged");
    }
    json_decref(kt);
    json_decref(xj);
    char *log = dfix_log("hazpartner-kt-eeb");
    assert_int_equal(dfix_shown_lines(log, "t1-a", "warn_owner"), 1);
    assert_int_equal(dfix_shown_lines(log, "t1-d", "intercept"), 0);
    free(log);

    /* The audit has each change once, with actor and time. */
    Hl__AuditList *au = dfix_audit("t1-a");
    assert_int_equal(au->n_entries, 3);
    assert_string_equal(au->entries[0]->from, "");
    assert_string_equal(au->entries[0]->to, "pending");
    assert_string_equal(au->entries[0]->actor, "playbook");
    assert_string_equal(au->entries[1]->to, "delivered");
    assert_string_equal(au->entries[2]->from, "delivered");
    assert_string_equal(au->entries[2]->to, "acknowledged");
    assert_string_equal(au->entries[2]->actor, "kt-eeb");
    assert_true(au->entries[2]->at_ms >= au->entries[1]->at_ms);
    hl__audit_list__free_unpacked(au, NULL);

    /* A resent batch (new message id) creates nothing new and changes nothing. */
    assert_int_equal(dfix_submit(tasks, 5, NULL, &got, field, sizeof field, err, sizeof err), 0);
    assert_int_equal(got->n_tasks, 5);
    assert_string_equal(got->tasks[1]->state, "acknowledged");
    assert_int_equal(got->tasks[1]->seq, 2);
    hl__task_list__free_unpacked(got, NULL);
    l = dfix_list(NULL);
    assert_int_equal(l->n_tasks, 5);
    hl__task_list__free_unpacked(l, NULL);
    au = dfix_audit("t1-b");
    assert_int_equal(au->n_entries, 3);
    hl__audit_list__free_unpacked(au, NULL);

    /* A batch naming a unit outside the roster is refused whole, naming task and unit. */
    Hl__Task bad[] = {dfix_task("t1-x", "kt-eeb", "sample", "采样"),
                      dfix_task("t1-y", "nobody", "sample", "采样")};
    int rc = dfix_submit(bad, 2, NULL, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "tasks[1].unit_id");
    assert_non_null(strstr(err, "t1-y"));
    assert_non_null(strstr(err, "nobody"));
    l = dfix_list(NULL);
    assert_null(dfix_find(l, "t1-x"));
    hl__task_list__free_unpacked(l, NULL);
    /* An unknown kind is refused naming the field. */
    Hl__Task badkind[] = {dfix_task("t1-z", "kt-eeb", "evacuate", "撤离")};
    assert_int_equal(dfix_submit(badkind, 1, NULL, NULL, field, sizeof field, err, sizeof err),
                     HL_EINVAL);
    assert_string_equal(field, "tasks[0].kind");

    assert_int_equal(dfix_unit_connected("kt-eeb"), 1);
    assert_int_equal(dfix_unit_connected("reg-123"), 0);
}

static void test_late_unit_gets_all_in_order(void **state)
{
    (void)state;
    dfix_start_dispatch();
    /* Ids in reverse alphabetical order, so that seq order and id order differ. */
    Hl__Task tasks[] = {
        dfix_task("t2-e", "ws-eeb", "sample", "老龙口断面采样 1"),
        dfix_task("t2-d", "ws-eeb", "sample", "老龙口断面采样 2"),
        dfix_task("t2-c", "ws-eeb", "warn_owner", "通知下游用水单位"),
        dfix_task("t2-b", "ws-eeb", "sample", "老龙口断面采样 3"),
        dfix_task("t2-a", "ws-eeb", "notify_counterpart", "通报第七师生态环境局"),
        dfix_task("t2-other", "kt-eeb", "sample", "别的单位"),
    };
    char err[512], field[64];
    assert_int_equal(dfix_submit(tasks, 6, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    dfix_sleep_ms(300);
    Hl__TaskList *l = dfix_list("ws-eeb");
    assert_int_equal(l->n_tasks, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(l->tasks[i]->state, "pending");
    hl__task_list__free_unpacked(l, NULL);

    dfix_start_partner("ws-eeb", -1, NULL); /* receives only */
    const char *ids[] = {"t2-e", "t2-d", "t2-c", "t2-b", "t2-a"};
    l = dfix_wait_state(ids, 5, "delivered");
    assert_string_equal(dfix_find(l, "t2-other")->state, "pending");
    hl__task_list__free_unpacked(l, NULL);

    /* Shown once each, in seq order. */
    char *log = dfix_log("hazpartner-ws-eeb");
    const char *prev = log;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(dfix_shown_lines(log, ids[i], tasks[i].kind), 1);
        char pat[64];
        snprintf(pat, sizeof pat, " %s %s ", ids[i], tasks[i].kind);
        const char *at = strstr(log, pat);
        assert_non_null(at);
        if (at < prev)
            fail_msg("%s shown before the task of lower seq", ids[i]);
        prev = at;
    }
    assert_null(strstr(log, "t2-other"));
    free(log);
    json_t *ws = dfix_export("ws-eeb");
    assert_int_equal(json_array_size(json_object_get(ws, "tasks")), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(dfix_jint(dfix_export_task(ws, ids[i]), "shown_count"), 1);
    json_decref(ws);
}

#define KILL_A 100 /* tasks in the first batch, alternating between two units */
#define KILL_B 40
#define KILL_N (KILL_A + KILL_B)

static void test_dispatch_killed_in_flight(void **state)
{
    (void)state;
    char err[512], field[64];
    static char ids_buf[KILL_N][16];
    static Hl__Task all[KILL_N];
    const char *ids[KILL_N];
    static const char *const kinds[] = {"sample", "intercept", "warn_owner", "notify_counterpart"};
    for (size_t i = 0; i < KILL_N; i++) {
        snprintf(ids_buf[i], sizeof ids_buf[i], "t3-%03zu", i);
        ids[i] = ids_buf[i];
        all[i] =
            dfix_task(ids_buf[i], i % 2 ? "xj7-eeb" : "kt-eeb", kinds[i % 4], "杀进程期间的任务");
    }
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", 20, NULL);
    dfix_start_partner("xj7-eeb", 20, NULL);
    dfix_wait_connected("kt-eeb");
    dfix_wait_connected("xj7-eeb");
    assert_int_equal(dfix_submit(all, KILL_A, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    dfix_sleep_ms(20); /* pushes and receipts in flight */
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    dfix_sleep_ms(2300); /* hellos come back, pushes again; acks (20 drill s = 0.33 s) under way */
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    assert_int_equal(
        dfix_submit(all + KILL_A, KILL_B, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    dfix_sleep_ms(2200);
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    /* A batch that may have been in flight is sent again, as the playbook's outbox would. */
    assert_int_equal(
        dfix_submit(all + KILL_A, KILL_B, NULL, NULL, field, sizeof field, err, sizeof err), 0);

    Hl__TaskList *l = dfix_wait_state(ids, KILL_N, "acknowledged");
    assert_int_equal(l->n_tasks, KILL_N);
    hl__task_list__free_unpacked(l, NULL);

    /* Dispatch's side: each transition recorded once despite the kills. */
    Hl__AuditList *au = dfix_audit(NULL);
    for (size_t i = 0; i < KILL_N; i++) {
        int pend = 0, deliv = 0, ack = 0;
        for (size_t k = 0; k < au->n_entries; k++) {
            if (strcmp(au->entries[k]->task_id, ids[i]) != 0)
                continue;
            pend += strcmp(au->entries[k]->to, "pending") == 0;
            deliv += strcmp(au->entries[k]->to, "delivered") == 0;
            ack += strcmp(au->entries[k]->to, "acknowledged") == 0;
        }
        if (pend != 1 || deliv != 1 || ack != 1)
            fail_msg("%s audited pending %d delivered %d acknowledged %d times", ids[i], pend,
                     deliv, ack);
    }
    /* Only state changes: an escalation reminder (15 drill min = 15 real s here) may come
     * on a slow machine and is not what this counts. */
    size_t changes = 0;
    for (size_t k = 0; k < au->n_entries; k++)
        changes += au->entries[k]->event[0] == '\0';
    assert_int_equal(changes, 3 * KILL_N);
    hl__audit_list__free_unpacked(au, NULL);
    /* The partners' side: every task shown exactly once, and its ack confirmed. */
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    long redelivered = 0;
    for (;;) {
        json_t *kt = dfix_export("kt-eeb"), *xj = dfix_export("xj7-eeb");
        size_t confirmed = 0;
        redelivered = 0;
        for (size_t i = 0; i < KILL_N; i++) {
            json_t *t = dfix_export_task(i % 2 ? xj : kt, ids[i]);
            if (!t)
                fail_msg("%s missing from its partner's store", ids[i]);
            assert_int_equal(dfix_jint(t, "shown_count"), 1);
            redelivered += dfix_jint(t, "deliveries") - 1;
            json_t *ans = json_array_get(json_object_get(t, "answers"), 0);
            confirmed += ans && json_is_true(json_object_get(ans, "confirmed"));
        }
        assert_int_equal(json_array_size(json_object_get(kt, "tasks")), KILL_N / 2);
        assert_int_equal(json_array_size(json_object_get(xj, "tasks")), KILL_N / 2);
        json_decref(kt);
        json_decref(xj);
        if (confirmed == KILL_N)
            break;
        if (hl_real_now_ms() > deadline)
            fail_msg("only %zu of %d acknowledgements confirmed to the partners", confirmed,
                     KILL_N);
        dfix_sleep_ms(200);
    }
    /* Redeliveries are what at-least-once costs; they never show a task twice. */
    fprintf(stderr, "  %ld redeliveries absorbed by the partners' stores\n", redelivered);
    char *log = dfix_log("hazpartner-kt-eeb");
    for (size_t i = 0; i < KILL_N; i += 2)
        assert_int_equal(dfix_shown_lines(log, ids[i], all[i].kind), 1);
    free(log);
}

static void test_partner_killed(void **state)
{
    (void)state;
    char err[512], field[64];
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", 240, NULL); /* 4 real seconds before it acknowledges */
    Hl__Task t[] = {dfix_task("t5-a", "kt-eeb", "sample", "采样 A"),
                    dfix_task("t5-b", "kt-eeb", "warn_owner", "通知 B"),
                    dfix_task("t5-c", "kt-eeb", "intercept", "拦截 C")};
    const char *ids[] = {"t5-a", "t5-b", "t5-c"};
    assert_int_equal(dfix_submit(t, 3, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    Hl__TaskList *l = dfix_wait_state(ids, 3, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    assert_int_equal(hl_stack_kill(F.st, "hazpartner-kt-eeb", SIGKILL), 0);
    /* While it is down, dispatch has nobody to push to; the acks are owed by the store. */
    assert_int_equal(hl_stack_restart(F.st, "hazpartner-kt-eeb", 0, err, sizeof err), 0);
    l = dfix_wait_state(ids, 3, "acknowledged");
    hl__task_list__free_unpacked(l, NULL);
    json_t *kt = dfix_export("kt-eeb");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(dfix_jint(dfix_export_task(kt, ids[i]), "shown_count"), 1);
    json_decref(kt);
    char *log = dfix_log("hazpartner-kt-eeb");
    assert_int_equal(dfix_shown_lines(log, "t5-a", "sample"), 1);
    assert_int_equal(dfix_shown_lines(log, "t5-c", "intercept"), 1);
    free(log);
}

/* Run hazpartner with args to completion; returns its exit status, *out its stdout (free). */
static int partner_cmd(const char *const *args, char **out)
{
    char err[512];
    int status = -1;
    assert_int_equal(
        hl_stack_capture(F.st, "hazpartner", args, 20000, 1 << 16, out, &status, err, sizeof err),
        0);
    return status;
}

static void test_refusals_and_person(void **state)
{
    (void)state;
    char err[512], field[64], ws[600];
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", -1, NULL);   /* a person answers */
    dfix_keys_admit("ws-eeb", ws, sizeof ws); /* a unit with a key and no agent running */
    Hl__Task t[] = {dfix_task("t4-own", "kt-eeb", "sample", "本单位采样"),
                    dfix_task("t4-foreign", "xj7-eeb", "intercept", "兵团拦截"),
                    dfix_task("t4-ws", "ws-eeb", "warn_owner", "乌苏通知")};
    assert_int_equal(dfix_submit(t, 3, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    const char *own[] = {"t4-own"};
    Hl__TaskList *l = dfix_wait_state(own, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);

    /* Through the hazpartner command, with the unit's key: refused, exit 1, the code in its
     * message. */
    const char *args[] = {"ack", "--unit",       "ws-eeb",           "t4-foreign", "--key",
                          ws,    "--server-key", dfix_gateway_pub(), NULL};
    char *out = NULL;
    assert_int_equal(partner_cmd(args, &out), 1);
    free(out);
    char *cap = dfix_log("hazpartner.capture");
    assert_non_null(strstr(cap, "-16 (")); /* HL_EDENIED */
    free(cap);

    /* Straight through the gateway as ws-eeb. */
    assert_int_equal(dfix_gw_answer("ws-eeb", ws, "t4-foreign", "ack", NULL, field, sizeof field),
                     HL_EDENIED);
    assert_string_equal(field, "task_id");
    assert_int_equal(dfix_gw_answer("ws-eeb", ws, "t4-nope", "ack", NULL, field, sizeof field),
                     HL_ENOTFOUND);
    assert_int_equal(dfix_gw_answer("ws-eeb", ws, "t4-ws", "complete", NULL, field, sizeof field),
                     HL_ESTATE);
    assert_int_equal(dfix_gw_answer("ws-eeb", ws, "t4-ws", "decline", "", field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "reason");
    assert_int_equal(dfix_gw_answer("ws-eeb", ws, "t4-ws", "shrug", NULL, field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "action");
    /* Requests that are not for partners are refused on the gateway. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    dfix_reply w;
    dfix_gw_call("ws-eeb", ws, "dispatch.list", &q.base, NULL, 0, 3000, &w);
    assert_int_equal(w.status, 0);
    assert_int_equal(w.code, HL_EDENIED);
    l = dfix_list(NULL);
    assert_string_equal(dfix_find(l, "t4-foreign")->state, "pending");
    assert_string_equal(dfix_find(l, "t4-own")->state, "delivered");
    assert_string_equal(dfix_find(l, "t4-ws")->state, "pending");
    hl__task_list__free_unpacked(l, NULL);

    /* A person declines through the running agent. */
    const char *dargs[] = {"decline", "--unit", "kt-eeb", "t4-own", "--reason", "采样船检修", NULL};
    assert_int_equal(partner_cmd(dargs, &out), 0);
    assert_non_null(strstr(out, "declined"));
    free(out);
    l = dfix_list("kt-eeb");
    const Hl__Task *d = dfix_find(l, "t4-own");
    assert_string_equal(d->state, "declined");
    assert_string_equal(d->reason, "采样船检修");
    assert_string_equal(d->actor, "kt-eeb");
    assert_true(d->declined_ms >= d->delivered_ms);
    hl__task_list__free_unpacked(l, NULL);
    Hl__AuditList *au = dfix_audit("t4-own");
    int declined = 0;
    for (size_t i = 0; i < au->n_entries; i++)
        if (strcmp(au->entries[i]->to, "declined") == 0) {
            declined++;
            assert_string_equal(au->entries[i]->reason, "采样船检修");
        }
    assert_int_equal(declined, 1);
    hl__audit_list__free_unpacked(au, NULL);
    /* A duplicate decline changes nothing; an ack after it is refused. */
    assert_int_equal(partner_cmd(dargs, &out), 0);
    free(out);
    const char *aargs[] = {"ack", "--unit", "kt-eeb", "t4-own", NULL};
    assert_int_equal(partner_cmd(aargs, &out), 1);
    free(out);
    cap = dfix_log("hazpartner.capture");
    assert_non_null(strstr(cap, "-12 (")); /* HL_ESTATE */
    free(cap);

    /* The agent still receives: a new task reaches it. */
    Hl__Task late[] = {dfix_task("t4-late", "kt-eeb", "warn_owner", "后续任务")};
    assert_int_equal(dfix_submit(late, 1, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    const char *lid[] = {"t4-late"};
    l = dfix_wait_state(lid, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    json_t *kt = dfix_export("kt-eeb");
    assert_int_equal(dfix_jint(dfix_export_task(kt, "t4-late"), "shown_count"), 1);
    assert_null(dfix_export_task(kt, "t4-foreign"));
    json_decref(kt);
}

static void test_limits_and_bad_payloads(void **state)
{
    (void)state;
    char err[512], field[64];
    dfix_start_dispatch();
    /* HL_LIST_MAX tasks in one batch pass; one more is refused whole. */
    static char idb[HL_LIST_MAX + 1][16];
    static Hl__Task big[HL_LIST_MAX + 1];
    static Hl__Task *ptrs[HL_LIST_MAX + 1];
    for (size_t i = 0; i <= HL_LIST_MAX; i++) {
        snprintf(idb[i], sizeof idb[i], "t6-%04zu", i);
        big[i] = dfix_task(idb[i], "reg-128", "sample", "批量");
        ptrs[i] = &big[i];
    }
    Hl__TaskBatch b = HL__TASK_BATCH__INIT;
    b.tasks = ptrs;
    b.n_tasks = HL_LIST_MAX + 1;
    Hl__Envelope *reply = NULL;
    int rc =
        hl_call(NULL, F.req, "playbook", "dispatch.tasks", &b.base, 10000, &reply, err, sizeof err);
    assert_int_equal(rc, HL_ETOOBIG);
    assert_string_equal(reply->error->field, "tasks");
    hl_env_free(&reply);
    b.n_tasks = HL_LIST_MAX;
    rc =
        hl_call(NULL, F.req, "playbook", "dispatch.tasks", &b.base, 10000, &reply, err, sizeof err);
    assert_int_equal(rc, 0);
    Hl__TaskList *got = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor,
                                                      reply->payload.data, reply->payload.len);
    hl_env_free(&reply);
    assert_int_equal(got->n_tasks, HL_LIST_MAX);
    assert_int_equal(got->tasks[HL_LIST_MAX - 1]->seq, HL_LIST_MAX);
    hl__task_list__free_unpacked(got, NULL);
    /* A list answers at most its limit. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.limit = 7;
    q.unit_id = "reg-128";
    rc = hl_call(NULL, F.req, "test", "dispatch.list", &q.base, 5000, &reply, err, sizeof err);
    assert_int_equal(rc, 0);
    got = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor, reply->payload.data,
                                        reply->payload.len);
    hl_env_free(&reply);
    assert_int_equal(got->n_tasks, 7);
    assert_string_equal(got->tasks[0]->id, "t6-0000");
    hl__task_list__free_unpacked(got, NULL);

    /* Undecodable payloads are refused naming the payload; dispatch keeps running. */
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12};
    assert_int_equal(dfix_raw_call("dispatch.tasks", junk, sizeof junk, field, sizeof field),
                     HL_EDECODE);
    assert_string_equal(field, "payload");
    assert_int_equal(dfix_raw_call("dispatch.list", junk, sizeof junk, field, sizeof field),
                     HL_EDECODE);
    /* Gateway messages are refused on the request socket: no unit speaks there. */
    Hl__TaskAnswer a = HL__TASK_ANSWER__INIT;
    a.task_id = "t6-0000";
    a.action = "ack";
    rc = hl_call(NULL, F.req, "reg-128", "task.answer", &a.base, 5000, &reply, err, sizeof err);
    assert_int_equal(rc, HL_EDENIED);
    hl_env_free(&reply);
    /* A task with a title over HL_NAME_MAX is refused naming the field. */
    char title[HL_NAME_MAX + 2];
    memset(title, 'x', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    Hl__Task longt[] = {dfix_task("t6-long", "reg-128", "sample", title)};
    assert_int_equal(dfix_submit(longt, 1, NULL, NULL, field, sizeof field, err, sizeof err),
                     HL_ETOOBIG);
    assert_string_equal(field, "tasks[0].title");
    assert_int_equal(hl_stack_pid(F.st, "dispatch") > 0, 1);
    Hl__TaskList *l = dfix_list("reg-128");
    assert_int_equal(l->n_tasks, HL_LIST_MAX);
    hl__task_list__free_unpacked(l, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_deliver_ack_list_resend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_unit_gets_all_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dispatch_killed_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partner_killed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals_and_person, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_and_bad_payloads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
