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
 *    (unknown task, wrong state, decline without reason, unknown connection); a person's
 *    decline through the running agent.
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

#include "dispatch.pb-c.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/stack.h"

#define WAIT_MS 30000

static struct {
    char dir[256];
    hl_config cfg;
    hl_stack *st;
    char req[128], gw[128];
} F;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 when TCP port p on 127.0.0.1 can be bound now. */
static int port_free(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A stack on a base port whose dispatch ports (base+40..42) are free, chosen apart from
 * other tests running at the same time (pid, then attempt). */
static int new_stack(int attempt)
{
    char port[16], err[512];
    int base = 0;
    for (int k = 0; k < 50 && !base; k++) {
        int b = 40000 + (int)((getpid() + 97 * (attempt * 50 + k)) % 500) * 50;
        if (port_free(b + 40) && port_free(b + 41) && port_free(b + 42))
            base = b;
    }
    if (!base)
        return -1;
    snprintf(port, sizeof port, "%d", base);
    setenv("HAZLINK_BASE_PORT", port, 1);
    if (hl_config_load(NULL, &F.cfg, err, sizeof err) < 0) {
        fprintf(stderr, "config: %s\n", err);
        return -1;
    }
    if (hl_stack_new(&F.cfg, HL_TEST_BIN_DIR, &F.st, err, sizeof err) < 0) {
        fprintf(stderr, "stack: %s\n", err);
        return -1;
    }
    hl_config_endpoint(&F.cfg, "dispatch", "req", F.req, sizeof F.req);
    hl_config_endpoint(&F.cfg, "dispatch", "gw", F.gw, sizeof F.gw);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(F.dir, sizeof F.dir, "/tmp/hl-dispatch-flow-XXXXXX");
    if (!mkdtemp(F.dir))
        return -1;
    char spec[128];
    setenv("HAZLINK_DATA", F.dir, 1);
    setenv("HAZLINK_PLAYBOOKS", HL_TEST_SOURCE_DIR "/playbooks", 1);
    unsetenv("HAZLINK_CONFIG");
    /* One drill clock for every process: origin and real fixed here, scale 60. */
    hl_clock c;
    if (hl_clock_parse("scale=60", &c) < 0 || hl_clock_format(&c, spec, sizeof spec) < 0)
        return -1;
    setenv("HAZLINK_CLOCK", spec, 1);
    hl_clock_set(&c);
    return new_stack(0);
}

static int teardown(void **state)
{
    (void)state;
    hl_stack_destroy(&F.st);
    if (getenv("HL_KEEP_TEST_DATA"))
        return 0;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Start dispatch; a port taken between the check and the bind (another test) moves the
 * stack to another base port, up to three times. */
static void start_dispatch(void)
{
    char err[512];
    for (int attempt = 1;; attempt++) {
        if (hl_stack_start_service(F.st, "dispatch", 15000, err, sizeof err) == 0)
            return;
        char path[1024], log[2048] = "";
        if (hl_stack_log_path(F.st, "dispatch", path, sizeof path) == 0) {
            FILE *f = fopen(path, "r");
            if (f) {
                log[fread(log, 1, sizeof log - 1, f)] = '\0';
                fclose(f);
            }
        }
        if (attempt == 3 || !strstr(log, "in use"))
            fail_msg("dispatch did not start: %s\n%s", err, log);
        fprintf(stderr, "  dispatch ports in use; moving to other ports\n");
        hl_stack_destroy(&F.st);
        assert_int_equal(new_stack(attempt), 0);
    }
}

static void start_partner(const char *unit, double ack_delay_s, const char *const *extra)
{
    char err[512];
    if (hl_stack_start_partner(F.st, unit, ack_delay_s, extra, err, sizeof err) < 0)
        fail_msg("hazpartner %s did not start: %s", unit, err);
}

/* ---- talking to dispatch ---- */

static Hl__Task mk(const char *id, const char *unit, const char *kind, const char *title)
{
    Hl__Task t = HL__TASK__INIT;
    t.id = (char *)id;
    t.unit_id = (char *)unit;
    t.kind = (char *)kind;
    t.title = (char *)title;
    t.chainage_km = 36;
    return t;
}

/* dispatch.tasks; returns hl_call's code, *out the TaskList (or NULL), err its message. */
static int submit(Hl__Task *tasks, size_t n, Hl__TaskList **out, char *field, size_t fieldlen,
                  char *err, size_t errlen)
{
    Hl__Task *ptrs[256];
    assert_true(n <= 256);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &tasks[i];
    Hl__TaskBatch b = HL__TASK_BATCH__INIT;
    b.plan_id = "plan-test";
    b.incident_id = "inc-test";
    b.n_tasks = n;
    b.tasks = ptrs;
    Hl__Envelope *reply = NULL;
    int rc = hl_call(NULL, F.req, "playbook", "dispatch.tasks", &b.base, 5000, &reply, err, errlen);
    if (out)
        *out = NULL;
    if (field && fieldlen)
        snprintf(field, fieldlen, "%s", reply && reply->error ? reply->error->field : "");
    if (rc == 0 && out)
        *out = (Hl__TaskList *)hl_msg_unpack(&hl__task_list__descriptor, reply->payload.data,
                                             reply->payload.len);
    hl_env_free(&reply);
    return rc;
}

static ProtobufCMessage *query(const char *type, const char *unit, const char *id,
                               const ProtobufCMessageDescriptor *d)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.unit_id = (char *)(unit ? unit : "");
    q.id = (char *)(id ? id : "");
    Hl__Envelope *reply = NULL;
    char err[512];
    int rc = hl_call(NULL, F.req, "test", type, &q.base, 5000, &reply, err, sizeof err);
    if (rc < 0) {
        hl_env_free(&reply);
        fail_msg("%s: %s", type, err);
    }
    ProtobufCMessage *m = hl_msg_unpack(d, reply->payload.data, reply->payload.len);
    hl_env_free(&reply);
    assert_non_null(m);
    return m;
}

static Hl__TaskList *list(const char *unit)
{
    return (Hl__TaskList *)query("dispatch.list", unit, NULL, &hl__task_list__descriptor);
}

static const Hl__Task *find(const Hl__TaskList *l, const char *id)
{
    for (size_t i = 0; i < l->n_tasks; i++)
        if (strcmp(l->tasks[i]->id, id) == 0)
            return l->tasks[i];
    return NULL;
}

/* Wait until every task of ids is in state; returns the last list (caller frees). */
static Hl__TaskList *wait_state(const char *const *ids, size_t n, const char *state)
{
    int64_t deadline = hl_real_now_ms() + WAIT_MS;
    for (;;) {
        Hl__TaskList *l = list(NULL);
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) {
            const Hl__Task *t = find(l, ids[i]);
            ok += t && strcmp(t->state, state) == 0;
        }
        if (ok == n)
            return l;
        if (hl_real_now_ms() > deadline) {
            for (size_t i = 0; i < n; i++) {
                const Hl__Task *t = find(l, ids[i]);
                fprintf(stderr, "  %s: %s\n", ids[i], t ? t->state : "(missing)");
            }
            hl__task_list__free_unpacked(l, NULL);
            fail_msg("tasks not all %s within %d ms", state, WAIT_MS);
        }
        hl__task_list__free_unpacked(l, NULL);
        sleep_ms(100);
    }
}

static int unit_connected(const char *unit)
{
    Hl__UnitList *l =
        (Hl__UnitList *)query("dispatch.units", NULL, NULL, &hl__unit_list__descriptor);
    int c = -1;
    for (size_t i = 0; i < l->n_units; i++)
        if (strcmp(l->units[i]->id, unit) == 0)
            c = l->units[i]->connected;
    hl__unit_list__free_unpacked(l, NULL);
    return c;
}

static void wait_connected(const char *unit)
{
    int64_t deadline = hl_real_now_ms() + WAIT_MS;
    while (unit_connected(unit) != 1) {
        if (hl_real_now_ms() > deadline)
            fail_msg("unit %s never connected", unit);
        sleep_ms(100);
    }
}

static Hl__AuditList *audit(const char *task_id)
{
    return (Hl__AuditList *)query("dispatch.audit", NULL, task_id, &hl__audit_list__descriptor);
}

/* ---- the partner gateway, as a partner would use it ---- */

typedef struct gw_wait {
    int done, status;
    int code;
    char field[64];
    Hl__Task *task;
} gw_wait;

static void gw_on_reply(int status, const Hl__Envelope *reply, void *ud)
{
    gw_wait *w = ud;
    w->done = 1;
    w->status = status;
    if (status == 0 && reply && reply->error) {
        w->code = reply->error->code;
        snprintf(w->field, sizeof w->field, "%s", reply->error->field);
    } else if (status == 0 && reply && reply->payload.len > 0) {
        w->task = (Hl__Task *)hl_msg_unpack(&hl__task__descriptor, reply->payload.data,
                                            reply->payload.len);
    }
}

/* One request from a fresh DEALER on endpoint, with routing id `as` (NULL: none), payload m
 * or, when raw is not NULL, those bytes as they are. */
static void client_call(const char *endpoint, const char *as, const char *type,
                        const ProtobufCMessage *m, const void *raw, size_t rawlen, gw_wait *wp)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    hl_bus *bus = NULL;
    hl_client *cli = NULL;
    Hl__Envelope *env = NULL;
    gw_wait w = {0};
    hl_sock_opt opts[] = {{ZMQ_ROUTING_ID, as, as ? strlen(as) : 0}};
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &bus), 0);
    assert_int_equal(hl_client_new(bus, endpoint, opts, as ? 1 : 0, &cli), 0);
    assert_int_equal(hl_env_build(as ? as : "test", type, m, NULL, NULL, &env), 0);
    ProtobufCBinaryData keep = env->payload;
    if (raw) {
        env->payload.data = (uint8_t *)raw;
        env->payload.len = rawlen;
    }
    assert_int_equal(hl_client_send(cli, env, 2000, gw_on_reply, &w), 0);
    env->payload = keep;
    while (!w.done)
        uv_run(&loop, UV_RUN_ONCE);
    hl_env_free(&env);
    hl_client_destroy(&cli);
    hl_bus_destroy(&bus);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    *wp = w;
}

/* Send type+m through the gateway as `as`; returns the error code of the reply (0 if none),
 * field gets the error's field. Borrowing a running agent's routing id (ZMQ_ROUTER_HANDOVER)
 * can lose a reply to the agent when it reconnects at that moment: then ask again (every
 * request here is idempotent). */
static int gw_send(const char *as, const char *type, const ProtobufCMessage *m, char *field,
                   size_t fieldlen, Hl__Task **task)
{
    gw_wait w = {0};
    for (int attempt = 0; attempt < 3; attempt++) {
        client_call(F.gw, as, type, m, NULL, 0, &w);
        if (w.status != HL_ETIMEOUT)
            break;
    }
    assert_int_equal(w.status, 0);
    if (field)
        snprintf(field, fieldlen, "%s", w.field);
    if (task)
        *task = w.task;
    else if (w.task)
        hl__task__free_unpacked(w.task, NULL);
    return w.code;
}

static int gw_answer(const char *as, const char *task_id, const char *action, const char *reason,
                     char *field, size_t fieldlen)
{
    Hl__TaskAnswer a = HL__TASK_ANSWER__INIT;
    a.task_id = (char *)task_id;
    a.action = (char *)action;
    a.reason = (char *)(reason ? reason : "");
    return gw_send(as, "task.answer", &a.base, field, fieldlen, NULL);
}

/* Send type with raw payload bytes to dispatch's request socket; returns the reply's error
 * code (0 if none) and its field. */
static int raw_call(const char *type, const void *payload, size_t len, char *field, size_t fieldlen)
{
    gw_wait w = {0};
    client_call(F.req, NULL, type, NULL, payload, len, &w);
    assert_int_equal(w.status, 0);
    if (w.task)
        hl__task__free_unpacked(w.task, NULL);
    snprintf(field, fieldlen, "%s", w.field);
    return w.code;
}

/* ---- the partner's own store and output ---- */

static json_t *export_of(const char *unit)
{
    const char *args[] = {"export", "--unit", unit, "--json", NULL};
    char *out = NULL, err[512];
    int status = -1;
    int rc =
        hl_stack_capture(F.st, "hazpartner", args, 15000, 4u << 20, &out, &status, err, sizeof err);
    if (rc < 0 || status != 0) {
        free(out);
        fail_msg("hazpartner export --unit %s: rc %d status %d %s", unit, rc, status, err);
    }
    json_error_t je;
    json_t *doc = json_loads(out, 0, &je);
    if (!doc)
        fail_msg("export of %s is not JSON: %s", unit, je.text);
    free(out);
    return doc;
}

static json_t *export_task(json_t *doc, const char *id)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(doc, "tasks"), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
            return t;
    }
    return NULL;
}

static long jint(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

/* Whole content of a child's log (stdout and stderr). */
static char *log_of(const char *child)
{
    char path[1024];
    assert_int_equal(hl_stack_log_path(F.st, child, path, sizeof path), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = '\0';
    fclose(f);
    return buf;
}

/* How many lines the partner printed for task id ("<time> <id> <kind> <title>"). */
static int shown_lines(const char *log, const char *id, const char *kind)
{
    char pat[160];
    snprintf(pat, sizeof pat, "+08:00 %s %s ", id, kind);
    int n = 0;
    for (const char *p = log; (p = strstr(p, pat)); p += strlen(pat))
        n++;
    return n;
}

/* ---- tests ---- */

static void test_deliver_ack_list_resend(void **state)
{
    (void)state;
    start_dispatch();
    start_partner("kt-eeb", 30, NULL);
    start_partner("xj7-eeb", 30, NULL);
    Hl__Task tasks[] = {
        mk("t1-a", "kt-eeb", "warn_owner", "通知奎屯水源地管理单位"),
        mk("t1-b", "kt-eeb", "sample", "黄沟二库断面加密采样"),
        mk("t1-c", "kt-eeb", "intercept", "奎屯河特大桥设置拦油索"),
        mk("t1-d", "xj7-eeb", "intercept", "在奎屯河新渠首拦截"),
        mk("t1-e", "xj7-eeb", "notify_counterpart", "通报奎屯市生态环境局"),
    };
    const char *ids[] = {"t1-a", "t1-b", "t1-c", "t1-d", "t1-e"};
    Hl__TaskList *got = NULL;
    char err[512], field[64];
    assert_int_equal(submit(tasks, 5, &got, field, sizeof field, err, sizeof err), 0);
    assert_int_equal(got->n_tasks, 5);
    /* Per-unit seq in batch order; every task stored pending by the sender. */
    assert_int_equal(got->tasks[0]->seq, 1);
    assert_int_equal(got->tasks[2]->seq, 3);
    assert_int_equal(got->tasks[3]->seq, 1);
    assert_string_equal(got->tasks[0]->state, "pending");
    assert_string_equal(got->tasks[0]->incident_id, "inc-test");
    hl__task_list__free_unpacked(got, NULL);

    Hl__TaskList *l = wait_state(ids, 5, "acknowledged");
    for (size_t i = 0; i < 5; i++) {
        const Hl__Task *t = find(l, ids[i]);
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
    l = list("kt-eeb");
    assert_int_equal(l->n_tasks, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(l->tasks[i]->seq, i + 1);
    hl__task_list__free_unpacked(l, NULL);

    /* Each partner got exactly its own tasks, each shown once. */
    json_t *kt = export_of("kt-eeb"), *xj = export_of("xj7-eeb");
    assert_int_equal(json_array_size(json_object_get(kt, "tasks")), 3);
    assert_int_equal(json_array_size(json_object_get(xj, "tasks")), 2);
    for (size_t i = 0; i < 5; i++) {
        json_t *mine = i < 3 ? kt : xj, *other = i < 3 ? xj : kt;
        json_t *t = export_task(mine, ids[i]);
        assert_non_null(t);
        assert_null(export_task(other, ids[i]));
        assert_int_equal(jint(t, "shown_count"), 1);
        assert_string_equal(json_string_value(json_object_get(t, "state")), "acknowledged");
    }
    json_decref(kt);
    json_decref(xj);
    char *log = log_of("hazpartner-kt-eeb");
    assert_int_equal(shown_lines(log, "t1-a", "warn_owner"), 1);
    assert_int_equal(shown_lines(log, "t1-d", "intercept"), 0);
    free(log);

    /* The audit has each change once, with actor and time. */
    Hl__AuditList *au = audit("t1-a");
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
    assert_int_equal(submit(tasks, 5, &got, field, sizeof field, err, sizeof err), 0);
    assert_int_equal(got->n_tasks, 5);
    assert_string_equal(got->tasks[1]->state, "acknowledged");
    assert_int_equal(got->tasks[1]->seq, 2);
    hl__task_list__free_unpacked(got, NULL);
    l = list(NULL);
    assert_int_equal(l->n_tasks, 5);
    hl__task_list__free_unpacked(l, NULL);
    au = audit("t1-b");
    assert_int_equal(au->n_entries, 3);
    hl__audit_list__free_unpacked(au, NULL);

    /* A batch naming a unit outside the roster is refused whole, naming task and unit. */
    Hl__Task bad[] = {mk("t1-x", "kt-eeb", "sample", "采样"),
                      mk("t1-y", "nobody", "sample", "采样")};
    int rc = submit(bad, 2, NULL, field, sizeof field, err, sizeof err);
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "tasks[1].unit_id");
    assert_non_null(strstr(err, "t1-y"));
    assert_non_null(strstr(err, "nobody"));
    l = list(NULL);
    assert_null(find(l, "t1-x"));
    hl__task_list__free_unpacked(l, NULL);
    /* An unknown kind is refused naming the field. */
    Hl__Task badkind[] = {mk("t1-z", "kt-eeb", "evacuate", "撤离")};
    assert_int_equal(submit(badkind, 1, NULL, field, sizeof field, err, sizeof err), HL_EINVAL);
    assert_string_equal(field, "tasks[0].kind");

    assert_int_equal(unit_connected("kt-eeb"), 1);
    assert_int_equal(unit_connected("reg-123"), 0);
}

static void test_late_unit_gets_all_in_order(void **state)
{
    (void)state;
    start_dispatch();
    /* Ids in reverse alphabetical order, so that seq order and id order differ. */
    Hl__Task tasks[] = {
        mk("t2-e", "ws-eeb", "sample", "老龙口断面采样 1"),
        mk("t2-d", "ws-eeb", "sample", "老龙口断面采样 2"),
        mk("t2-c", "ws-eeb", "warn_owner", "通知下游用水单位"),
        mk("t2-b", "ws-eeb", "sample", "老龙口断面采样 3"),
        mk("t2-a", "ws-eeb", "notify_counterpart", "通报第七师生态环境局"),
        mk("t2-other", "kt-eeb", "sample", "别的单位"),
    };
    char err[512], field[64];
    assert_int_equal(submit(tasks, 6, NULL, field, sizeof field, err, sizeof err), 0);
    sleep_ms(300);
    Hl__TaskList *l = list("ws-eeb");
    assert_int_equal(l->n_tasks, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(l->tasks[i]->state, "pending");
    hl__task_list__free_unpacked(l, NULL);

    start_partner("ws-eeb", -1, NULL); /* receives only */
    const char *ids[] = {"t2-e", "t2-d", "t2-c", "t2-b", "t2-a"};
    l = wait_state(ids, 5, "delivered");
    assert_string_equal(find(l, "t2-other")->state, "pending");
    hl__task_list__free_unpacked(l, NULL);

    /* Shown once each, in seq order. */
    char *log = log_of("hazpartner-ws-eeb");
    const char *prev = log;
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(shown_lines(log, ids[i], tasks[i].kind), 1);
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
    json_t *ws = export_of("ws-eeb");
    assert_int_equal(json_array_size(json_object_get(ws, "tasks")), 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(jint(export_task(ws, ids[i]), "shown_count"), 1);
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
        all[i] = mk(ids_buf[i], i % 2 ? "xj7-eeb" : "kt-eeb", kinds[i % 4], "杀进程期间的任务");
    }
    start_dispatch();
    start_partner("kt-eeb", 20, NULL);
    start_partner("xj7-eeb", 20, NULL);
    wait_connected("kt-eeb");
    wait_connected("xj7-eeb");
    assert_int_equal(submit(all, KILL_A, NULL, field, sizeof field, err, sizeof err), 0);
    sleep_ms(20); /* pushes and receipts in flight */
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    sleep_ms(2300); /* hellos come back, pushes again; acks (20 drill s = 0.33 s) under way */
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    assert_int_equal(submit(all + KILL_A, KILL_B, NULL, field, sizeof field, err, sizeof err), 0);
    sleep_ms(2200);
    assert_int_equal(hl_stack_kill(F.st, "dispatch", SIGKILL), 0);
    assert_int_equal(hl_stack_restart(F.st, "dispatch", 15000, err, sizeof err), 0);
    /* A batch that may have been in flight is sent again, as the playbook's outbox would. */
    assert_int_equal(submit(all + KILL_A, KILL_B, NULL, field, sizeof field, err, sizeof err), 0);

    Hl__TaskList *l = wait_state(ids, KILL_N, "acknowledged");
    assert_int_equal(l->n_tasks, KILL_N);
    hl__task_list__free_unpacked(l, NULL);

    /* Dispatch's side: each transition recorded once despite the kills. */
    Hl__AuditList *au = audit(NULL);
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
    assert_int_equal(au->n_entries, 3 * KILL_N);
    hl__audit_list__free_unpacked(au, NULL);
    /* The partners' side: every task shown exactly once, and its ack confirmed. */
    int64_t deadline = hl_real_now_ms() + WAIT_MS;
    long redelivered = 0;
    for (;;) {
        json_t *kt = export_of("kt-eeb"), *xj = export_of("xj7-eeb");
        size_t confirmed = 0;
        redelivered = 0;
        for (size_t i = 0; i < KILL_N; i++) {
            json_t *t = export_task(i % 2 ? xj : kt, ids[i]);
            if (!t)
                fail_msg("%s missing from its partner's store", ids[i]);
            assert_int_equal(jint(t, "shown_count"), 1);
            redelivered += jint(t, "deliveries") - 1;
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
        sleep_ms(200);
    }
    /* Redeliveries are what at-least-once costs; they never show a task twice. */
    fprintf(stderr, "  %ld redeliveries absorbed by the partners' stores\n", redelivered);
    char *log = log_of("hazpartner-kt-eeb");
    for (size_t i = 0; i < KILL_N; i += 2)
        assert_int_equal(shown_lines(log, ids[i], all[i].kind), 1);
    free(log);
}

static void test_partner_killed(void **state)
{
    (void)state;
    char err[512], field[64];
    start_dispatch();
    start_partner("kt-eeb", 240, NULL); /* 4 real seconds before it acknowledges */
    Hl__Task t[] = {mk("t5-a", "kt-eeb", "sample", "采样 A"),
                    mk("t5-b", "kt-eeb", "warn_owner", "通知 B"),
                    mk("t5-c", "kt-eeb", "intercept", "拦截 C")};
    const char *ids[] = {"t5-a", "t5-b", "t5-c"};
    assert_int_equal(submit(t, 3, NULL, field, sizeof field, err, sizeof err), 0);
    Hl__TaskList *l = wait_state(ids, 3, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    assert_int_equal(hl_stack_kill(F.st, "hazpartner-kt-eeb", SIGKILL), 0);
    /* While it is down, dispatch has nobody to push to; the acks are owed by the store. */
    assert_int_equal(hl_stack_restart(F.st, "hazpartner-kt-eeb", 0, err, sizeof err), 0);
    l = wait_state(ids, 3, "acknowledged");
    hl__task_list__free_unpacked(l, NULL);
    json_t *kt = export_of("kt-eeb");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(jint(export_task(kt, ids[i]), "shown_count"), 1);
    json_decref(kt);
    char *log = log_of("hazpartner-kt-eeb");
    assert_int_equal(shown_lines(log, "t5-a", "sample"), 1);
    assert_int_equal(shown_lines(log, "t5-c", "intercept"), 1);
    free(log);
}

static void test_refusals_and_person(void **state)
{
    (void)state;
    char err[512], field[64];
    start_dispatch();
    start_partner("kt-eeb", -1, NULL); /* a person answers */
    Hl__Task t[] = {mk("t4-own", "kt-eeb", "sample", "本单位采样"),
                    mk("t4-foreign", "xj7-eeb", "intercept", "兵团拦截")};
    assert_int_equal(submit(t, 2, NULL, field, sizeof field, err, sizeof err), 0);
    const char *own[] = {"t4-own"};
    Hl__TaskList *l = wait_state(own, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);

    /* Through the hazpartner command: refused, exit 1, the code in its message. */
    const char *args[] = {"ack", "--unit", "kt-eeb", "t4-foreign", NULL};
    char *out = NULL;
    int status = -1;
    assert_int_equal(
        hl_stack_capture(F.st, "hazpartner", args, 20000, 1 << 16, &out, &status, err, sizeof err),
        0);
    free(out);
    assert_int_equal(status, 1);
    char path[1024];
    snprintf(path, sizeof path, "%s/logs/hazpartner.capture.log", F.dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "-16 (")); /* HL_EDENIED */

    /* Straight through the gateway as kt-eeb. */
    assert_int_equal(gw_answer("kt-eeb", "t4-foreign", "ack", NULL, field, sizeof field),
                     HL_EDENIED);
    assert_string_equal(field, "task_id");
    assert_int_equal(gw_answer("kt-eeb", "t4-nope", "ack", NULL, field, sizeof field),
                     HL_ENOTFOUND);
    assert_int_equal(gw_answer("kt-eeb", "t4-own", "complete", NULL, field, sizeof field),
                     HL_ESTATE);
    assert_int_equal(gw_answer("kt-eeb", "t4-own", "decline", "", field, sizeof field), HL_EINVAL);
    assert_string_equal(field, "reason");
    assert_int_equal(gw_answer("kt-eeb", "t4-own", "shrug", NULL, field, sizeof field), HL_EINVAL);
    assert_string_equal(field, "action");
    /* A connection that is no unit of the roster is refused, whatever its payload claims. */
    Hl__PartnerHello h = HL__PARTNER_HELLO__INIT;
    h.unit_id = "kt-eeb";
    assert_int_equal(gw_send("nobody", "partner.hello", &h.base, field, sizeof field, NULL),
                     HL_EDENIED);
    assert_string_equal(field, "unit");
    /* Requests that are not for partners are refused on the gateway. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    assert_int_equal(gw_send("kt-eeb", "dispatch.list", &q.base, field, sizeof field, NULL),
                     HL_EDENIED);
    l = list(NULL);
    assert_string_equal(find(l, "t4-foreign")->state, "pending");
    assert_string_equal(find(l, "t4-own")->state, "delivered");
    hl__task_list__free_unpacked(l, NULL);

    /* A person declines through the running agent (which got its connection back after the
     * calls above borrowed its routing id). */
    const char *dargs[] = {"decline", "--unit", "kt-eeb", "t4-own", "--reason", "采样船检修", NULL};
    assert_int_equal(
        hl_stack_capture(F.st, "hazpartner", dargs, 20000, 1 << 16, &out, &status, err, sizeof err),
        0);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "declined"));
    free(out);
    l = list("kt-eeb");
    const Hl__Task *d = find(l, "t4-own");
    assert_string_equal(d->state, "declined");
    assert_string_equal(d->reason, "采样船检修");
    assert_string_equal(d->actor, "kt-eeb");
    assert_true(d->declined_ms >= d->delivered_ms);
    hl__task_list__free_unpacked(l, NULL);
    Hl__AuditList *au = audit("t4-own");
    assert_string_equal(au->entries[au->n_entries - 1]->to, "declined");
    assert_string_equal(au->entries[au->n_entries - 1]->reason, "采样船检修");
    hl__audit_list__free_unpacked(au, NULL);
    /* A duplicate decline changes nothing; an ack after it is refused. */
    assert_int_equal(gw_answer("kt-eeb", "t4-own", "decline", "again", field, sizeof field), 0);
    assert_int_equal(gw_answer("kt-eeb", "t4-own", "ack", NULL, field, sizeof field), HL_ESTATE);

    /* The agent still receives: a new task reaches it. */
    Hl__Task late[] = {mk("t4-late", "kt-eeb", "warn_owner", "后续任务")};
    assert_int_equal(submit(late, 1, NULL, field, sizeof field, err, sizeof err), 0);
    const char *lid[] = {"t4-late"};
    l = wait_state(lid, 1, "delivered");
    hl__task_list__free_unpacked(l, NULL);
    json_t *kt = export_of("kt-eeb");
    assert_int_equal(jint(export_task(kt, "t4-late"), "shown_count"), 1);
    assert_null(export_task(kt, "t4-foreign"));
    json_decref(kt);
}

static void test_limits_and_bad_payloads(void **state)
{
    (void)state;
    char err[512], field[64];
    start_dispatch();
    /* HL_LIST_MAX tasks in one batch pass; one more is refused whole. */
    static char idb[HL_LIST_MAX + 1][16];
    static Hl__Task big[HL_LIST_MAX + 1];
    static Hl__Task *ptrs[HL_LIST_MAX + 1];
    for (size_t i = 0; i <= HL_LIST_MAX; i++) {
        snprintf(idb[i], sizeof idb[i], "t6-%04zu", i);
        big[i] = mk(idb[i], "reg-128", "sample", "批量");
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
    assert_int_equal(raw_call("dispatch.tasks", junk, sizeof junk, field, sizeof field),
                     HL_EDECODE);
    assert_string_equal(field, "payload");
    assert_int_equal(raw_call("dispatch.list", junk, sizeof junk, field, sizeof field), HL_EDECODE);
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
    Hl__Task longt[] = {mk("t6-long", "reg-128", "sample", title)};
    assert_int_equal(submit(longt, 1, NULL, field, sizeof field, err, sizeof err), HL_ETOOBIG);
    assert_string_equal(field, "tasks[0].title");
    assert_int_equal(hl_stack_pid(F.st, "dispatch") > 0, 1);
    Hl__TaskList *l = list("reg-128");
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
