/* The partner gateway's security (issue 3 "Partner security"), against dispatch and hazpartner
 * as real processes with key files in a temporary data dir (dfix.h), drill clock at 60×:
 *  - an unlisted key, a missing key (plain connection) and a key listed for a unit outside
 *    the roster are all refused in the handshake: no reply ever comes, while an admitted key
 *    gets its answer;
 *  - the unit is the one the key is listed for: a claimed unit (hello payload), another
 *    unit's routing id, another unit's task are refused, and acting on another unit's task
 *    is written to the audit log;
 *  - a listed key gets only its own tasks;
 *  - revocation cuts an existing connection (by the reload request, and by the file watch);
 *  - secret key files are 0600, dispatch refuses a readable one, and no secret reaches a log;
 *  - dispatch's sockets listen on loopback only by default.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "dfix.h"
#include "dkeys.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

#define REFUSED_WAIT_MS 2500 /* a refused handshake: no reply within this */

static int setup(void **state)
{
    (void)state;
    return dfix_setup("dispatch-security", 60);
}

static int teardown(void **state)
{
    (void)state;
    return dfix_teardown();
}

static Hl__PartnerHello hello(const char *claimed)
{
    Hl__PartnerHello h = HL__PARTNER_HELLO__INIT;
    h.unit_id = (char *)claimed;
    h.agent_version = "security-test";
    return h;
}

/* A hello as `as` with key_base (NULL: plain) gets no reply at all. */
static void assert_refused(const char *as, const char *key_base, const char *what)
{
    Hl__PartnerHello h = hello(as);
    dfix_reply w;
    dfix_gw_call(as, key_base, "partner.hello", &h.base, NULL, 0, REFUSED_WAIT_MS, &w);
    if (w.status != HL_ETIMEOUT)
        fail_msg("%s: got a reply (status %d, code %d): the gateway let it in", what, w.status,
                 w.code);
}

static int edit_revoke(hl_keytable *kt, void *ud, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    return hl_keytable_revoke_unit(kt, ud);
}

static int edit_add(hl_keytable *kt, void *ud, char *err, size_t errlen)
{
    const char *const *pair = ud;
    (void)err, (void)errlen;
    return hl_keytable_add(kt, pair[1], pair[0]);
}

static void table_edit(dkeys_edit_fn fn, void *ud)
{
    dkeys_paths p;
    char err[512];
    assert_int_equal(dkeys_paths_of(F.dir, &p), 0);
    if (dkeys_table_edit(&p, fn, ud, err, sizeof err) < 0)
        fail_msg("%s", err);
}

/* The local address (host byte order) dispatch's socket on TCP port listens on, from
 * /proc/net/tcp; 0 when nothing listens there. */
static unsigned listen_addr(int port)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    assert_non_null(f);
    char line[512];
    unsigned found = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned addr, p, st;
        if (sscanf(line, " %*d: %8x:%4x %*8x:%*4x %2x", &addr, &p, &st) == 3 && (int)p == port &&
            st == 0x0A /* LISTEN */)
            found = addr;
    }
    fclose(f);
    return found;
}

static void test_who_gets_in(void **state)
{
    (void)state;
    char ws[600], stray[600], nobody[600], field[64], err[512];
    dfix_start_dispatch();
    /* By default every socket, the gateway included, listens on loopback only
     * (docs/trust-model.md): /proc/net/tcp holds 127.0.0.1 as 0x0100007F. */
    for (int k = 40; k <= 42; k++)
        assert_int_equal(listen_addr(F.cfg.base_port + k), 0x0100007F);
    dfix_keys_admit("ws-eeb", ws, sizeof ws);
    Hl__Task t = dfix_task("s1-kt", "kt-eeb", "sample", "采样");
    assert_int_equal(dfix_submit(&t, 1, NULL, NULL, field, sizeof field, err, sizeof err), 0);

    /* Control: an admitted key gets its answer. */
    Hl__PartnerHello h = hello("ws-eeb");
    dfix_reply w;
    dfix_gw_call("ws-eeb", ws, "partner.hello", &h.base, NULL, 0, 5000, &w);
    assert_int_equal(w.status, 0);
    assert_int_equal(w.code, 0);

    /* An unlisted key, whatever unit it says it is. */
    dfix_keys_stray("stray", stray, sizeof stray);
    assert_refused("kt-eeb", stray, "an unlisted key");
    /* No key at all: a plain connection. */
    assert_refused("kt-eeb", NULL, "a plain connection");
    /* A key listed for a unit outside the roster is not admitted. */
    dfix_keys_stray("nobody", nobody, sizeof nobody);
    char pub[HL_KEY_Z85_LEN + 1], path[700];
    snprintf(path, sizeof path, "%s.pub", nobody);
    assert_int_equal(hl_keys_load_public(path, pub, err, sizeof err), 0);
    const char *pair[] = {"nobody", pub};
    table_edit(edit_add, (void *)pair);
    Hl__KeysStatus *ks = NULL;
    assert_int_equal(dfix_keys_reload(&ks), 0);
    assert_int_equal(ks->skipped, 1);
    assert_int_equal(ks->admitted, 1);
    hl__keys_status__free_unpacked(ks, NULL);
    assert_refused("nobody", nobody, "a key of a unit outside the roster");

    /* Nothing they sent changed anything. */
    dfix_assert_state("s1-kt", "pending");
    assert_int_equal(dfix_unit_connected("kt-eeb"), 0);
    assert_int_equal(dfix_unit_connected("ws-eeb"), 1);
}

/* The "denied" audit entries of task by actor whose reason holds what, once there are want of
 * them (or after 5 s, however many there are). */
static int wait_denied(const char *task, const char *actor, const char *what, int want)
{
    int64_t deadline = hl_real_now_ms() + 5000;
    for (;;) {
        Hl__AuditList *au = dfix_audit(task);
        int n = 0;
        for (size_t i = 0; i < au->n_entries; i++) {
            const Hl__AuditEntry *e = au->entries[i];
            if (strcmp(e->event, "denied") != 0 || !strstr(e->reason, what))
                continue;
            n++;
            assert_string_equal(e->actor, actor);
            assert_true(e->at_ms > 0);
            assert_string_equal(e->to, ""); /* not a change of state */
        }
        hl__audit_list__free_unpacked(au, NULL);
        if (n >= want || hl_real_now_ms() > deadline)
            return n;
        dfix_sleep_ms(100);
    }
}

static void test_unit_from_key_only(void **state)
{
    (void)state;
    char ws[600], field[64], err[512];
    dfix_start_dispatch();
    dfix_keys_admit("ws-eeb", ws, sizeof ws);
    dfix_start_partner("kt-eeb", -1, NULL);
    dfix_start_partner("xj7-eeb", -1, NULL);
    Hl__Task t[] = {dfix_task("s2-kt", "kt-eeb", "sample", "奎屯采样"),
                    dfix_task("s2-xj", "xj7-eeb", "intercept", "兵团拦截"),
                    dfix_task("s2-ws", "ws-eeb", "warn_owner", "乌苏通知")};
    assert_int_equal(dfix_submit(t, 3, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    const char *delivered[] = {"s2-kt", "s2-xj"};
    Hl__TaskList *l = dfix_wait_state(delivered, 2, "delivered");
    hl__task_list__free_unpacked(l, NULL);

    /* A listed key gets only its own tasks. */
    json_t *kt = dfix_export("kt-eeb"), *xj = dfix_export("xj7-eeb");
    assert_int_equal(json_array_size(json_object_get(kt, "tasks")), 1);
    assert_non_null(dfix_export_task(kt, "s2-kt"));
    assert_int_equal(json_array_size(json_object_get(xj, "tasks")), 1);
    assert_non_null(dfix_export_task(xj, "s2-xj"));
    json_decref(kt);
    json_decref(xj);

    /* ws-eeb's key with another unit's routing id (one that is not connected: a connected
     * unit's id cannot be taken over at all): refused, naming the connection's unit. */
    Hl__PartnerHello h = hello("kt-eeb");
    dfix_reply w;
    dfix_gw_call("reg-123", ws, "partner.hello", &h.base, NULL, 0, 5000, &w);
    assert_int_equal(w.status, 0);
    assert_int_equal(w.code, HL_EDENIED);
    assert_string_equal(w.field, "unit");
    /* ws-eeb's key claiming kt-eeb in the payload: it is ws-eeb that says hello. */
    assert_int_equal(dfix_unit_connected("ws-eeb"), 0);
    dfix_gw_call("ws-eeb", ws, "partner.hello", &h.base, NULL, 0, 5000, &w);
    assert_int_equal(w.status, 0);
    assert_int_equal(w.code, 0);
    assert_int_equal(dfix_unit_connected("ws-eeb"), 1);

    /* Acting on another unit's task: refused, changes nothing, and is audited. */
    static const char *const actions[] = {"ack", "decline", "complete"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(
            dfix_gw_answer("ws-eeb", ws, "s2-kt", actions[i], "不是我的", field, sizeof field),
            HL_EDENIED);
    Hl__TaskReceipt rc = HL__TASK_RECEIPT__INIT;
    rc.task_id = "s2-xj";
    dfix_gw_call("ws-eeb", ws, "task.receipt", &rc.base, NULL, 0, 5000, &w);
    assert_int_equal(w.code, HL_EDENIED);
    l = dfix_list(NULL);
    assert_string_equal(dfix_find(l, "s2-kt")->state, "delivered");
    assert_string_equal(dfix_find(l, "s2-kt")->actor, "kt-eeb");
    hl__task_list__free_unpacked(l, NULL);
    /* Refusals reach the audit log within a fast tick. */
    assert_int_equal(wait_denied("s2-kt", "ws-eeb", "of a task of kt-eeb", 3), 3);
    assert_int_equal(wait_denied("s2-xj", "ws-eeb", "receipt of a task of xj7-eeb", 1), 1);
}

static void test_revocation_cuts(void **state)
{
    (void)state;
    char field[64], err[512];
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", 10, NULL);
    dfix_start_partner("xj7-eeb", 10, NULL);
    dfix_wait_connected("kt-eeb");
    dfix_wait_connected("xj7-eeb");

    /* Revoked through hazctl's path: the table, then the reload request. */
    table_edit(edit_revoke, "kt-eeb");
    Hl__KeysStatus *ks = NULL;
    assert_int_equal(dfix_keys_reload(&ks), 0);
    assert_int_equal(ks->revoked, 1);
    hl__keys_status__free_unpacked(ks, NULL);
    Hl__Task t[] = {dfix_task("s3-kt", "kt-eeb", "sample", "撤销后"),
                    dfix_task("s3-xj", "xj7-eeb", "sample", "撤销后")};
    assert_int_equal(dfix_submit(t, 2, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    /* xj7-eeb's agent, cut too, comes back and acknowledges; kt-eeb's cannot. */
    const char *xj[] = {"s3-xj"};
    Hl__TaskList *l = dfix_wait_state(xj, 1, "acknowledged");
    hl__task_list__free_unpacked(l, NULL);
    dfix_sleep_ms(2000);
    dfix_assert_state("s3-kt", "pending");
    json_t *kt = dfix_export("kt-eeb");
    assert_null(dfix_export_task(kt, "s3-kt"));
    json_decref(kt);
    char *log = dfix_log("hazpartner-kt-eeb");
    assert_non_null(strstr(log, "dispatch does not answer"));
    free(log);

    /* Revoked by editing the file alone: dispatch notices within its 500 ms sweep. */
    table_edit(edit_revoke, "xj7-eeb");
    dfix_sleep_ms(1500);
    Hl__Task t2 = dfix_task("s3-xj-2", "xj7-eeb", "sample", "文件撤销后");
    assert_int_equal(dfix_submit(&t2, 1, NULL, NULL, field, sizeof field, err, sizeof err), 0);
    dfix_sleep_ms(3000);
    dfix_assert_state("s3-xj-2", "pending");
    char *dlog = dfix_log("dispatch");
    assert_non_null(strstr(dlog, "changed: 0 key(s) added, 1 revoked"));
    free(dlog);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        fail_msg("no %s", path);
    return st.st_mode & 0777;
}

static void test_key_files(void **state)
{
    (void)state;
    char err[512];
    dfix_start_dispatch();
    dfix_start_partner("kt-eeb", 10, NULL);
    dfix_wait_connected("kt-eeb");
    dkeys_paths p;
    assert_int_equal(dkeys_paths_of(F.dir, &p), 0);
    char sec[800], unit_sec[800], unit_base[700];
    snprintf(sec, sizeof sec, "%s.key", p.gateway);
    assert_int_equal(dkeys_unit_base(&p, "kt-eeb", unit_base, sizeof unit_base), 0);
    snprintf(unit_sec, sizeof unit_sec, "%s.key", unit_base);
    assert_int_equal(mode_of(p.dir), 0700);
    assert_int_equal(mode_of(p.units), 0700);
    assert_int_equal(mode_of(sec), 0600);
    assert_int_equal(mode_of(unit_sec), 0600);
    assert_int_equal(mode_of(p.gateway_pub), 0644);

    /* No secret key in any log. */
    hl_keypair gw, unit;
    assert_int_equal(hl_keys_load(p.gateway, &gw, err, sizeof err), 0);
    assert_int_equal(hl_keys_load(unit_base, &unit, err, sizeof err), 0);
    static const char *const logs[] = {"dispatch", "hazpartner-kt-eeb"};
    for (size_t i = 0; i < 2; i++) {
        char *log = dfix_log(logs[i]);
        assert_null(strstr(log, gw.sec));
        assert_null(strstr(log, unit.sec));
        assert_non_null(strstr(log, logs[i][0] == 'd' ? gw.pub : "(CURVE)"));
        free(log);
    }

    /* A gateway secret others may read: dispatch refuses to start, saying what to do. */
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(chmod(sec, 0644), 0);
    assert_true(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err) < 0);
    char *log = dfix_log("dispatch");
    assert_non_null(strstr(log, "chmod 600"));
    free(log);
    assert_int_equal(chmod(sec, 0600), 0);
    if (hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err) < 0)
        fail_msg("restart: %s", err);
    /* The same key as before: the partner comes back without being told anything. */
    dfix_wait_connected("kt-eeb");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_who_gets_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unit_from_key_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revocation_cuts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
