/* playbook_service_test — the playbook service as a real process: real ZeroMQ sockets on
 * 127.0.0.1, a real LMDB environment in a temporary folder, the real Kuitun playbooks of the
 * source tree. When the stock and dispatch binaries are built, they run too, so the outbox's
 * stock.reserve and dispatch.tasks are answered and their replies recorded in the plan.
 *
 * The benzene alert: 苯 0.085 mg/L first exceeding at st-dsz-down (km 25) five minutes ago;
 * limit 0.01 mg/L (GB 3838-2002 表3 item 19). Season forced to summer (HAZLINK_SEASON) so the
 * forecast does not depend on the day the test runs: at 新渠首 (km 36) the limit is crossed
 * 6450 s after the first exceedance (playbook_plan_test.c test_kuitun_benzene), and its
 * 1.5 h set-up fits, so it is chosen. A second alert with a higher reading re-anchors the
 * plan: same id, same task ids, earlier fronts, and the re-timed tasks go to dispatch as
 * "dispatch.revise", which dispatch applies in place (the plan records it).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#include "alert.pb-c.h"
#include "common.pb-c.h"
#include "dispatch.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/forecast.h"
#include "hazlink/hl_error.h"
#include "playbook.pb-c.h"
#include "pb_testutil.h"

#define CALL_MS 5000
#define N_BENZENE_TASKS 12 /* playbook_plan_test.c test_kuitun_benzene lists them */

typedef struct fixture {
    char dir[256], log[300];
    int port;
    char req[64], stock_req[64], dispatch_req[64];
    pid_t pid, stock, dispatch;
    void *zctx;
    int64_t t0;
} fixture;

static fixture F;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int exists(const char *path)
{
    return access(path, X_OK) == 0;
}

/* Start HL_TEST_BIN_DIR/prog with the test's data dir, port and playbooks; output to F.log. */
static pid_t start(const char *prog, const char *playbooks)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char port[16], path[512];
    snprintf(port, sizeof port, "%d", F.port);
    snprintf(path, sizeof path, "%s/%s", HL_TEST_BIN_DIR, prog);
    setenv("HAZLINK_DATA", F.dir, 1);
    setenv("HAZLINK_BASE_PORT", port, 1);
    setenv("HAZLINK_PLAYBOOKS", playbooks, 1);
    setenv("HAZLINK_SEASON", "summer", 1);
    unsetenv("HAZLINK_CONFIG");
    unsetenv("HAZLINK_CLOCK");
    int fd = open(F.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execl(path, prog, (char *)NULL);
    _exit(127);
}

static int stop(pid_t pid)
{
    if (pid <= 0)
        return 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        int st;
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (w < 0)
            return -1; /* reaped already (wait_ready saw it exit) */
        sleep_ms(25);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* 1 when the service answers status, 0 when it exited first (e.g. its port was taken). */
static int wait_ready(const char *endpoint, pid_t pid, const char *name)
{
    for (int i = 0; i < 200; i++) {
        Hl__Envelope *rep = NULL;
        char err[256];
        int rc = hl_call(F.zctx, endpoint, "test", "status", NULL, 200, &rep, err, sizeof err);
        hl_env_free(&rep);
        if (rc == 0)
            return 1;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            print_message("    %s exited before it was ready (see %s)\n", name, F.log);
            return 0;
        }
        sleep_ms(50);
    }
    fail_msg("%s did not answer status within 10 s (see %s)", name, F.log);
    return 0;
}

/* The base port and the endpoints derived from it. Below the ephemeral range (32768 up),
 * where outgoing connections of other programs could hold a port; 50 apart so parallel
 * tests' five services (base+0..base+42) do not overlap. */
static void use_port(int attempt)
{
    F.port = 20000 + (int)((getpid() + attempt * 97) % 250) * 50;
    snprintf(F.req, sizeof F.req, "tcp://127.0.0.1:%d", F.port + 10);
    snprintf(F.stock_req, sizeof F.stock_req, "tcp://127.0.0.1:%d", F.port + 20);
    snprintf(F.dispatch_req, sizeof F.dispatch_req, "tcp://127.0.0.1:%d", F.port + 40);
}

static int stop(pid_t pid);

/* Start playbook (and stock and dispatch when with_peers) on a base port that is free: when
 * a service exits before it is ready, all are stopped and another base is tried. */
static void start_stack(const char *src, int with_peers)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        use_port(attempt);
        F.pid = start("playbook", src);
        int ok = wait_ready(F.req, F.pid, "playbook");
        if (ok && with_peers) {
            F.stock = start("stock", src);
            F.dispatch = start("dispatch", src);
            ok = wait_ready(F.stock_req, F.stock, "stock") &&
                 wait_ready(F.dispatch_req, F.dispatch, "dispatch");
        }
        if (ok)
            return;
        stop(F.pid);
        stop(F.stock);
        stop(F.dispatch);
        F.pid = F.stock = F.dispatch = 0;
        if (truncate(F.log, 0) != 0)
            fail_msg("cannot empty %s", F.log);
    }
    fail_msg("the services could not start on 5 base ports (see %s)", F.log);
}

static int rm_fn(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    snprintf(F.dir, sizeof F.dir, "/tmp/hl-pbsvc-XXXXXX");
    if (!mkdtemp(F.dir))
        return -1;
    snprintf(F.log, sizeof F.log, "%s/services.log", F.dir);
    use_port(0);
    F.zctx = zmq_ctx_new();
    F.t0 = hl_real_now_ms() - 5 * 60 * 1000;
    return F.zctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    int bad = stop(F.pid) != 0;
    bad |= stop(F.stock) != 0;
    bad |= stop(F.dispatch) != 0;
    zmq_ctx_term(F.zctx);
    /* The children run with the sanitizers too: their reports land in the log. */
    char *log = pb_read(F.log);
    if (log && (strstr(log, "AddressSanitizer") || strstr(log, "runtime error:") ||
                strstr(log, "LeakSanitizer")))
        bad = 1;
    if (bad)
        fprintf(stderr, "services did not stop cleanly; their log:\n%s\n", log ? log : "");
    free(log);
    if (getenv("HL_TEST_KEEP"))
        fprintf(stderr, "test folder kept: %s (log %s)\n", F.dir, F.log);
    else
        nftw(F.dir, rm_fn, 16, FTW_DEPTH | FTW_PHYS);
    return bad ? -1 : 0;
}

static void benzene_alert(Hl__Alert *a, const char *incident, const char *alert_id,
                          const char *level)
{
    hl__alert__init(a);
    a->id = (char *)alert_id;
    a->incident_id = (char *)incident;
    a->warning_level = (char *)level;
    a->raised_ms = F.t0 + 60000;
    a->station_id = "st-dsz-down";
    a->chainage_km = 25;
    a->parameter = "苯";
    a->value_mg_l = 0.085;
    a->limit_mg_l = 0.01;
    a->release_ms = F.t0;
    a->release_chainage_km = 22;
    a->source_id = "rs-dsz-petro";
    a->jurisdiction = "local";
}

/* Send one envelope on a fresh DEALER and wait for its reply: the way an outbox resends the
 * very same message (same msg_id) after a lost reply. */
static Hl__Envelope *send_raw(const Hl__Envelope *env)
{
    void *s = zmq_socket(F.zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(s, F.req), 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(hl_env_pack(env, &buf, &len), 0);
    assert_int_equal(zmq_send(s, buf, len, 0), (int)len);
    free(buf);
    zmq_pollitem_t it = {s, 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&it, 1, CALL_MS), 1);
    zmq_msg_t m;
    zmq_msg_init(&m);
    assert_true(zmq_msg_recv(&m, s, 0) >= 0);
    Hl__Envelope *rep = NULL;
    char why[256];
    assert_int_equal(hl_env_unpack(zmq_msg_data(&m), zmq_msg_size(&m), HL_MAX_MSG_BYTES, &rep,
                                   why, sizeof why),
                     0);
    zmq_msg_close(&m);
    zmq_close(s);
    return rep;
}

static Hl__Plan *plan_of(const Hl__Envelope *rep)
{
    assert_null(rep->error);
    Hl__Plan *p = hl__plan__unpack(NULL, rep->payload.len, rep->payload.data);
    assert_non_null(p);
    return p;
}

/* Send a PlanTrigger as the alert service does and return the Plan of the reply. */
static Hl__Plan *trigger(const Hl__PlanTrigger *t)
{
    Hl__Envelope *rep = NULL;
    char err[256];
    int rc = hl_call(F.zctx, F.req, "alert", "playbook.alert", &t->base, CALL_MS, &rep, err,
                     sizeof err);
    if (rc)
        fail_msg("playbook.alert: %s", err);
    Hl__Plan *p = plan_of(rep);
    hl_env_free(&rep);
    return p;
}

static Hl__ServiceStatus *status(const char *endpoint)
{
    Hl__Envelope *rep = NULL;
    char err[256];
    assert_int_equal(hl_call(F.zctx, endpoint, "test", "status", NULL, CALL_MS, &rep, err,
                             sizeof err),
                     0);
    Hl__ServiceStatus *s = hl__service_status__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(s);
    return s;
}

static Hl__PlanList *plans(const char *incident)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.incident_id = (char *)incident;
    Hl__Envelope *rep = NULL;
    char err[256];
    int rc = hl_call(F.zctx, F.req, "test", "playbook.plans", &q.base, CALL_MS, &rep, err,
                     sizeof err);
    if (rc)
        fail_msg("playbook.plans: %s", err);
    Hl__PlanList *l = hl__plan_list__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(l);
    return l;
}

/* A bad data file stops the service before it binds: exit status 2 and file:line: field. */
static void test_bad_file_exit_2(void **state)
{
    (void)state;
    char pbdir[300], kdir[320];
    snprintf(pbdir, sizeof pbdir, "%s/playbooks", F.dir);
    snprintf(kdir, sizeof kdir, "%s/kuitun", pbdir);
    assert_int_equal(mkdir(pbdir, 0700), 0);
    char *copy = pb_copy_dir(PB_KUITUN);
    assert_non_null(copy);
    assert_int_equal(rename(copy, kdir), 0);
    free(copy);
    assert_int_equal(pb_edit(kdir, "spaces.yaml", "    setup_h: 1.5\n",
                             "    setup_h: 1.5\n    setup_hours: 2\n"),
                     0);
    int line = pb_line_of(kdir, "spaces.yaml", "setup_hours");
    pid_t pid = start("playbook", pbdir);
    int st = 0;
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) != pid; i++)
        sleep_ms(50);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
    char *log = pb_read(F.log);
    char want[400];
    snprintf(want, sizeof want, "spaces.yaml:%d: setup_hours: unknown key", line);
    if (!log || !strstr(log, want))
        fail_msg("log does not say '%s':\n%s", want, log ? log : "(none)");
    free(log);
    if (truncate(F.log, 0) != 0)
        fail_msg("cannot empty %s", F.log);
}

static void test_alert_makes_one_plan(void **state)
{
    (void)state;
    const char *src = HL_TEST_SOURCE_DIR "/playbooks";
    int with_peers = exists(HL_TEST_BIN_DIR "/stock") && exists(HL_TEST_BIN_DIR "/dispatch");
    start_stack(src, with_peers);
    if (!with_peers) {
        print_message("    stock/dispatch not built: their replies are not checked\n");
    }

    Hl__Alert a;
    benzene_alert(&a, "inc-t1", "al-t1", "橙");
    Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
    t.alert = &a;
    Hl__Envelope *env = NULL;
    assert_int_equal(hl_env_build("alert", "playbook.alert", &t.base, NULL, NULL, &env), 0);

    Hl__Envelope *rep = send_raw(env);
    Hl__Plan *p = plan_of(rep);
    assert_string_equal(rep->correlation_id, env->msg_id);
    assert_string_equal(p->id, "pl-inc-t1");
    assert_string_equal(p->incident_id, "inc-t1");
    assert_string_equal(p->season, "summer");
    assert_true(p->velocities_unverified);
    assert_string_equal(p->chosen_space_id, "sp-xinqushou");
    assert_true(p->space_ready_in_time);
    assert_int_equal(p->n_task_ids, N_BENZENE_TASKS);
    assert_string_equal(p->task_ids[0], "pl-inc-t1-intercept-sp-xinqushou");
    assert_int_equal(p->revision, 1);
    /* Not graded: the tasks carry the warning level (pb_msg.h pb_msg_task_level). */
    assert_string_equal(p->task_level, "橙");
    int found = 0;
    for (size_t i = 0; i < p->n_points; i++)
        if (strcmp(p->points[i]->point_id, "sp-xinqushou") == 0) {
            found = 1;
            assert_true(llabs(p->points[i]->front_ms - (F.t0 + 6450227)) <= 1);
        }
    assert_true(found);
    hl__plan__free_unpacked(p, NULL);
    hl_env_free(&rep);

    Hl__ServiceStatus *s = status(F.req);
    assert_int_equal(s->records, 1);
    hl__service_status__free_unpacked(s, NULL);

    /* The same message again (an outbox resend): the same plan, nothing new stored. */
    rep = send_raw(env);
    p = plan_of(rep);
    assert_string_equal(p->id, "pl-inc-t1");
    hl__plan__free_unpacked(p, NULL);
    hl_env_free(&rep);
    /* A new alert for the same incident (level raised) with a higher reading 10 min after
     * the first: the plan is re-anchored in place (forecast.h): same id and revision, the
     * reading recorded, fronts earlier, the same task ids. */
    int64_t front1 = 0;
    Hl__Alert a2;
    benzene_alert(&a2, "inc-t1", "al-t2", "红");
    a2.value_mg_l = 0.42;
    a2.raised_ms = F.t0 + 600000;
    t.alert = &a2;
    char err[256];
    p = trigger(&t);
    assert_string_equal(p->id, "pl-inc-t1");
    assert_int_equal(p->revision, 1);
    assert_string_equal(p->alert_id, "al-t1"); /* the plan's first alert */
    assert_int_equal(p->updates, 1);
    assert_int_equal(p->n_observations, 1);
    assert_string_equal(p->observations[0]->alert_id, "al-t2");
    assert_true(p->observations[0]->value_mg_l == 0.42);
    assert_int_equal(p->n_task_ids, N_BENZENE_TASKS);
    assert_string_equal(p->task_ids[0], "pl-inc-t1-intercept-sp-xinqushou");
    for (size_t i = 0; i < p->n_points; i++)
        if (strcmp(p->points[i]->point_id, "sp-xinqushou") == 0)
            front1 = p->points[i]->front_ms;
    assert_true(front1 > 0 && front1 < F.t0 + 6450227);
    assert_non_null(strstr(p->update_note, "reading st-dsz-down 0.42 mg/L"));
    assert_non_null(strstr(p->update_note, "re-timed or reworded, 0 new, 0 withdrawn"));
    /* Sent at once when dispatch has confirmed the first batch already; else held until it
     * does (the outbox could deliver the revision first), then sent as a catch-up. */
    if (strcmp(p->revision_state, "sent (update 1)") != 0 &&
        strncmp(p->revision_state, "held: 12 task(s)", 16) != 0)
        fail_msg("revision_state '%s'", p->revision_state);
    print_message("    revision: %s\n", p->revision_state);
    /* The level rose (橙 → 红): every task sent goes into the revision with it. */
    assert_string_equal(p->task_level, "红");
    assert_non_null(strstr(p->update_note, "task level 橙 -> 红"));
    print_message("    re-anchored: %s\n", p->update_note);
    hl__plan__free_unpacked(p, NULL);
    s = status(F.req);
    assert_int_equal(s->records, 1);
    hl__service_status__free_unpacked(s, NULL);
    /* The same alert again under a new envelope: its reading is taken already. */
    p = trigger(&t);
    assert_int_equal(p->updates, 1);
    assert_int_equal(p->n_observations, 1);
    hl__plan__free_unpacked(p, NULL);

    if (with_peers) {
        /* The outbox delivered stock.reserve and dispatch.tasks; the replies are recorded. */
        Hl__PlanList *l = NULL;
        int done = 0;
        for (int i = 0; i < 200 && !done; i++) {
            l = plans("inc-t1");
            assert_int_equal(l->n_plans, 1);
            const Hl__Plan *q = l->plans[0];
            done = strcmp(q->reservation_state, "requested") != 0 &&
                   strncmp(q->tasks_state, "accepted", 8) == 0;
            if (done) {
                print_message("    reservation %s %s; tasks %s\n", q->reservation_id,
                              q->reservation_state, q->tasks_state);
                assert_true(q->reservation_id[0] != 0);
                assert_true(strcmp(q->reservation_state, "reserved") == 0 ||
                            strcmp(q->reservation_state, "partial") == 0);
            }
            hl__plan_list__free_unpacked(l, NULL);
            if (!done)
                sleep_ms(50);
        }
        if (!done)
            fail_msg("stock/dispatch replies were not recorded in 10 s (see %s)", F.log);
        /* The revision's answer is recorded: dispatch applied it. */
        done = 0;
        for (int i = 0; i < 200 && !done; i++) {
            l = plans("inc-t1");
            const char *rs = l->plans[0]->revision_state;
            done = strncmp(rs, "applied", 7) == 0 || strncmp(rs, "refused", 7) == 0;
            if (done) {
                print_message("    dispatch.revise: %s\n", rs);
                if (strncmp(rs, "applied", 7) != 0)
                    fail_msg("dispatch refused the revision: %s", rs);
            }
            hl__plan_list__free_unpacked(l, NULL);
            if (!done)
                sleep_ms(50);
        }
        if (!done)
            fail_msg("the dispatch.revise answer was not recorded in 10 s (see %s)", F.log);
        /* Dispatch holds exactly the plan's tasks: the resend and the second alert added
         * none; they were updated in place: the intercept task is due at the re-anchored
         * front, every task carries the new level. */
        Hl__ListQuery q = HL__LIST_QUERY__INIT;
        q.incident_id = "inc-t1";
        assert_int_equal(hl_call(F.zctx, F.dispatch_req, "test", "dispatch.list", &q.base,
                                 CALL_MS, &rep, err, sizeof err),
                         0);
        Hl__TaskList *tl = hl__task_list__unpack(NULL, rep->payload.len, rep->payload.data);
        assert_non_null(tl);
        assert_int_equal(tl->n_tasks, N_BENZENE_TASKS);
        for (size_t i = 0; i < tl->n_tasks; i++) {
            const Hl__Task *x = tl->tasks[i];
            assert_string_equal(x->level, "红");
            assert_int_equal(x->revisions, 1);
            assert_int_equal(x->plan_update, 1);
            if (strcmp(x->id, "pl-inc-t1-intercept-sp-xinqushou") == 0)
                assert_int_equal(x->due_ms, front1);
        }
        hl__task_list__free_unpacked(tl, NULL);
        hl_env_free(&rep);

        /* Dispatch has confirmed every task now: the next re-anchoring (a higher reading 20
         * min in, measured before it was raised) revises at once, and only the tasks whose
         * time or text moved. */
        Hl__Alert a3;
        benzene_alert(&a3, "inc-t1", "al-t3", "红");
        a3.value_mg_l = 0.96;
        a3.measured_ms = F.t0 + 1200000;
        a3.raised_ms = F.t0 + 1260000;
        t.alert = &a3;
        p = trigger(&t);
        assert_int_equal(p->updates, 2);
        assert_int_equal(p->observations[1]->at_ms, F.t0 + 1200000); /* measured, not raised */
        assert_string_equal(p->revision_state, "sent (update 2)");
        int64_t front2 = 0;
        for (size_t i = 0; i < p->n_points; i++)
            if (strcmp(p->points[i]->point_id, "sp-xinqushou") == 0)
                front2 = p->points[i]->front_ms;
        assert_true(front2 > 0 && front2 != front1);
        hl__plan__free_unpacked(p, NULL);
        done = 0;
        for (int i = 0; i < 200 && !done; i++) {
            l = plans("inc-t1");
            done = strncmp(l->plans[0]->revision_state, "applied", 7) == 0;
            hl__plan_list__free_unpacked(l, NULL);
            if (!done)
                sleep_ms(50);
        }
        if (!done)
            fail_msg("the second revision was not applied in 10 s (see %s)", F.log);
        assert_int_equal(hl_call(F.zctx, F.dispatch_req, "test", "dispatch.list", &q.base,
                                 CALL_MS, &rep, err, sizeof err),
                         0);
        tl = hl__task_list__unpack(NULL, rep->payload.len, rep->payload.data);
        assert_non_null(tl);
        assert_int_equal(tl->n_tasks, N_BENZENE_TASKS);
        for (size_t i = 0; i < tl->n_tasks; i++)
            if (strcmp(tl->tasks[i]->id, "pl-inc-t1-intercept-sp-xinqushou") == 0) {
                assert_int_equal(tl->tasks[i]->due_ms, front2);
                assert_int_equal(tl->tasks[i]->revisions, 2);
                assert_int_equal(tl->tasks[i]->plan_update, 2);
            }
        hl__task_list__free_unpacked(tl, NULL);
        hl_env_free(&rep);
        t.alert = &a2;
    }

    /* A duty officer's forced re-plan: revision 2, new id, new task ids. */
    t.force = 1;
    p = trigger(&t);
    assert_string_equal(p->id, "pl-inc-t1.r2");
    assert_int_equal(p->revision, 2);
    assert_string_equal(p->task_ids[0], "pl-inc-t1.r2-intercept-sp-xinqushou");
    /* Rebuilt from the first alert and the readings taken since (a3's too, with peers). */
    assert_string_equal(p->alert_id, "al-t2");
    assert_int_equal(p->n_observations, with_peers ? 2 : 1);
    assert_int_equal(p->updates, 0);
    hl__plan__free_unpacked(p, NULL);
    Hl__PlanList *l = plans("inc-t1");
    assert_int_equal(l->n_plans, 2);
    hl__plan_list__free_unpacked(l, NULL);
    hl_env_free(&env);

    /* A plan takes at most HL_FORECAST_MAX_OBS (64) readings: the 65th later alert is
     * answered with the plan as it is, and the service says so in its log. */
    Hl__Alert b;
    char id[32];
    benzene_alert(&b, "inc-t2", "al-b0", "橙");
    t.alert = &b;
    t.force = 0;
    for (int i = 0; i <= HL_FORECAST_MAX_OBS + 1; i++) {
        snprintf(id, sizeof id, "al-b%d", i);
        b.id = id;
        b.value_mg_l = 0.085 + 0.001 * i;
        b.raised_ms = F.t0 + 60000 + 1000 * i;
        p = trigger(&t);
        assert_int_equal(p->n_observations,
                         i < HL_FORECAST_MAX_OBS ? i : HL_FORECAST_MAX_OBS);
        hl__plan__free_unpacked(p, NULL);
    }
    char *log = pb_read(F.log);
    assert_non_null(log);
    assert_non_null(strstr(log, "64 readings taken already; alert al-b65 is not re-anchored"));
    free(log);

    /* A reported release (2000 kg over 30 min at the outfall, km 22), then a reading the
     * alert service links to it (st-dsz-down, 0.085 mg/L 30 min later): the plan is
     * re-anchored on the observation; the reading is below what the model has there while
     * the plume is still rising, so the model is kept (forecast.h: never scaled down before
     * the peak is seen). */
    Hl__Alert rep_a;
    benzene_alert(&rep_a, "inc-t3", "al-r1", "橙");
    rep_a.reported = 1;
    rep_a.station_id = "";
    rep_a.value_mg_l = 0;
    rep_a.mass_kg = 2000;
    rep_a.duration_s = 1800;
    t.alert = &rep_a;
    p = trigger(&t);
    assert_string_equal(p->anchor, "release");
    assert_string_equal(p->source, "pulse");
    hl__plan__free_unpacked(p, NULL);
    Hl__Alert lk;
    benzene_alert(&lk, "inc-t3", "al-r2", "橙");
    lk.raised_ms = F.t0 + 1800000;
    t.alert = &lk;
    p = trigger(&t);
    assert_string_equal(p->anchor, "release");
    assert_int_equal(p->updates, 1);
    assert_int_equal(p->n_reanchors, 1);
    assert_string_equal(p->reanchors[0]->station_id, "st-dsz-down");
    assert_false(p->reanchors[0]->applied);
    assert_non_null(strstr(p->reanchors[0]->note, "model kept"));
    print_message("    release re-anchored: %s\n", p->update_note);
    hl__plan__free_unpacked(p, NULL);
}

static void test_bad_alerts(void **state)
{
    (void)state;
    /* Each bad alert is answered with an error naming the field; the service keeps going. */
    const struct { const char *station; double km; int reported; const char *field; int code; } cases[] = {
        {"st-nowhere", 25, 0, "alert.station_id", HL_ENOTFOUND},
        {"", 500, 1, "alert.release_chainage_km", HL_ENOTFOUND},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Hl__Alert a;
        benzene_alert(&a, "inc-bad", "al-bad", "蓝");
        a.station_id = (char *)cases[i].station;
        a.release_chainage_km = cases[i].km;
        a.reported = cases[i].reported;
        Hl__PlanTrigger t = HL__PLAN_TRIGGER__INIT;
        t.alert = &a;
        Hl__Envelope *rep = NULL;
        char err[256];
        int rc = hl_call(F.zctx, F.req, "alert", "playbook.alert", &t.base, CALL_MS, &rep, err,
                         sizeof err);
        print_message("    %s\n", err);
        assert_int_equal(rc, cases[i].code);
        assert_non_null(rep);
        assert_non_null(rep->error);
        assert_string_equal(rep->error->field, cases[i].field);
        hl_env_free(&rep);
    }
    /* Not a PlanTrigger at all. */
    Hl__Envelope *env = NULL, *rep = NULL;
    assert_int_equal(hl_env_build("alert", "playbook.alert", NULL, NULL, NULL, &env), 0);
    env->payload.data = (uint8_t *)"\xff\xff\xff";
    env->payload.len = 3;
    rep = send_raw(env);
    assert_non_null(rep->error);
    assert_int_equal(rep->error->code, HL_EDECODE);
    hl_env_free(&rep);
    env->payload.data = NULL;
    env->payload.len = 0;
    hl_env_free(&env);
    Hl__ServiceStatus *s = status(F.req);
    assert_int_equal(s->records, 4); /* inc-t1 twice, inc-t2, inc-t3; none from bad input */
    hl__service_status__free_unpacked(s, NULL);
    assert_int_equal(stop(F.pid), 0);
    F.pid = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_file_exit_2),
        cmocka_unit_test(test_alert_makes_one_plan),
        cmocka_unit_test(test_bad_alerts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
