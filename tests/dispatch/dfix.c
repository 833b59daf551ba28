/* dfix.c — see dfix.h. */
#include "dfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

#include "dkeys.h"
#include "hazlink/hl_call.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "playbook.pb-c.h"

dfix F;

void dfix_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 when TCP port p on 127.0.0.1 can be bound now. */
static int dfix__port_free(int p)
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
static int dfix__new_stack(int attempt)
{
    char port[16], err[512];
    int base = 0;
    for (int k = 0; k < 50 && !base; k++) {
        int b = 40000 + (int)((getpid() + 97 * (attempt * 50 + k)) % 500) * 50;
        if (dfix__port_free(b + 40) && dfix__port_free(b + 41) && dfix__port_free(b + 42))
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

int dfix_setup(const char *name, double scale)
{
    memset(&F, 0, sizeof F);
    snprintf(F.dir, sizeof F.dir, "/tmp/hl-%s-XXXXXX", name);
    if (!mkdtemp(F.dir))
        return -1;
    char spec[128], want[64];
    setenv("HAZLINK_DATA", F.dir, 1);
    setenv("HAZLINK_PLAYBOOKS", HL_TEST_SOURCE_DIR "/playbooks", 1);
    unsetenv("HAZLINK_CONFIG");
    /* One drill clock for every process: origin and real fixed here. */
    hl_clock c;
    snprintf(want, sizeof want, "scale=%g", scale);
    if (hl_clock_parse(want, &c) < 0 || hl_clock_format(&c, spec, sizeof spec) < 0)
        return -1;
    setenv("HAZLINK_CLOCK", spec, 1);
    hl_clock_set(&c);
    return dfix__new_stack(0);
}

const char DFIX_ESC_ROSTER[] =
    "escalation:\n"
    "  ack_timeout_min: {蓝: 4, 黄: 3, 橙: 2, 红: 1}\n"
    "  repeats: 1\n"
    "  default_level: 黄\n"
    "  assumption: test timings\n"
    "units:\n"
    "  - {id: ea, name: 甲, side: corps, reports_to: \"\", duty: d, escalation: [eb, ec]}\n"
    "  - {id: eb, name: 乙, side: corps, reports_to: \"\", duty: d}\n"
    "  - {id: ec, name: 丙, side: corps, reports_to: \"\", duty: d}\n";

static char dfix__units_path[600];
static const char *dfix__dispatch_args[3];

int dfix_setup_roster(const char *name, double scale, const char *roster)
{
    if (dfix_setup(name, scale) < 0)
        return -1;
    snprintf(dfix__units_path, sizeof dfix__units_path, "%s/units.yaml", F.dir);
    FILE *f = fopen(dfix__units_path, "w");
    if (!f)
        return -1;
    int ok = fputs(roster, f) >= 0;
    if (fclose(f) != 0 || !ok)
        return -1;
    dfix__dispatch_args[0] = "--units";
    dfix__dispatch_args[1] = dfix__units_path;
    dfix__dispatch_args[2] = NULL;
    F.dispatch_args = dfix__dispatch_args;
    return 0;
}

int dfix_teardown(void)
{
    hl_stack_destroy(&F.st);
    if (getenv("HL_KEEP_TEST_DATA")) {
        fprintf(stderr, "  kept %s\n", F.dir);
        return 0;
    }
    return hl_stack_remove_tree(F.dir) == 0 ? 0 : -1;
}

static int dfix__start_once(char *err, size_t errlen)
{
    if (!F.dispatch_args)
        return hl_stack_start_service(F.st, "dispatch", 15000, err, errlen);
    int rc = hl_stack_spawn(F.st, "dispatch", "dispatch", F.dispatch_args, err, errlen);
    return rc < 0 ? rc : hl_stack_wait_ready(F.st, "dispatch", 15000, err, errlen);
}

void dfix_start_dispatch(void)
{
    char err[512];
    for (int attempt = 1;; attempt++) {
        if (dfix__start_once(err, sizeof err) == 0)
            return;
        char *log = dfix_log("dispatch");
        if (attempt == 3 || !strstr(log, "in use")) {
            fprintf(stderr, "%s\n", log);
            free(log);
            fail_msg("dispatch did not start: %s", err);
        }
        free(log);
        fprintf(stderr, "  dispatch ports in use; moving to other ports\n");
        hl_stack_destroy(&F.st);
        assert_int_equal(dfix__new_stack(attempt), 0);
    }
}

void dfix_start_partner(const char *unit, double ack_delay_s, const char *const *extra)
{
    char err[512];
    if (hl_stack_start_partner(F.st, unit, ack_delay_s, extra, err, sizeof err) < 0)
        fail_msg("hazpartner %s did not start: %s", unit, err);
}

/* ---- requests ---- */

Hl__Task dfix_task(const char *id, const char *unit, const char *kind, const char *title)
{
    Hl__Task t = HL__TASK__INIT;
    t.id = (char *)id;
    t.unit_id = (char *)unit;
    t.kind = (char *)kind;
    t.title = (char *)title;
    t.chainage_km = 36;
    return t;
}

/* A request from "playbook" whose reply is a TaskList (dispatch.tasks, dispatch.revise). */
static int dfix__call_tasks(const char *type, const ProtobufCMessage *m, Hl__TaskList **out,
                            char *field, size_t fieldlen, char *err, size_t errlen)
{
    Hl__Envelope *reply = NULL;
    int rc = hl_call(NULL, F.req, "playbook", type, m, 5000, &reply, err, errlen);
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

int dfix_submit(Hl__Task *tasks, size_t n, const char *level, Hl__TaskList **out, char *field,
                size_t fieldlen, char *err, size_t errlen)
{
    Hl__Task *ptrs[256];
    assert_true(n <= 256);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &tasks[i];
    Hl__TaskBatch b = HL__TASK_BATCH__INIT;
    b.plan_id = "plan-test";
    b.incident_id = "inc-test";
    b.level = (char *)(level ? level : "");
    b.n_tasks = n;
    b.tasks = ptrs;
    return dfix__call_tasks("dispatch.tasks", &b.base, out, field, fieldlen, err, errlen);
}

int dfix_revise(uint32_t update, const char *plan_id, Hl__Task *tasks, size_t n,
                const char *const *withdrawn, size_t nw, Hl__TaskList **out, char *field,
                size_t fieldlen, char *err, size_t errlen)
{
    Hl__Task *ptrs[64];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &tasks[i];
    Hl__TaskRevision rv = HL__TASK_REVISION__INIT;
    rv.plan_id = (char *)(plan_id ? plan_id : "plan-test");
    rv.incident_id = "inc-test";
    rv.update = update;
    rv.n_tasks = n;
    rv.tasks = ptrs;
    rv.n_withdrawn_task_ids = nw;
    rv.withdrawn_task_ids = (char **)withdrawn;
    rv.reason = "reading st-dsz-down 0.96 mg/L: observed peak replaces the model's";
    return dfix__call_tasks("dispatch.revise", &rv.base, out, field, fieldlen, err, errlen);
}

ProtobufCMessage *dfix_query(const char *type, const char *unit, const char *id,
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

Hl__TaskList *dfix_list(const char *unit)
{
    return (Hl__TaskList *)dfix_query("dispatch.list", unit, NULL, &hl__task_list__descriptor);
}

const Hl__Task *dfix_find(const Hl__TaskList *l, const char *id)
{
    for (size_t i = 0; i < l->n_tasks; i++)
        if (strcmp(l->tasks[i]->id, id) == 0)
            return l->tasks[i];
    return NULL;
}

Hl__TaskList *dfix_wait_state(const char *const *ids, size_t n, const char *state)
{
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    for (;;) {
        Hl__TaskList *l = dfix_list(NULL);
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) {
            const Hl__Task *t = dfix_find(l, ids[i]);
            ok += t && strcmp(t->state, state) == 0;
        }
        if (ok == n)
            return l;
        if (hl_real_now_ms() > deadline) {
            for (size_t i = 0; i < n; i++) {
                const Hl__Task *t = dfix_find(l, ids[i]);
                fprintf(stderr, "  %s: %s\n", ids[i], t ? t->state : "(missing)");
            }
            hl__task_list__free_unpacked(l, NULL);
            fail_msg("tasks not all %s within %d ms", state, DFIX_WAIT_MS);
        }
        hl__task_list__free_unpacked(l, NULL);
        dfix_sleep_ms(100);
    }
}

void dfix_assert_state(const char *id, const char *state)
{
    Hl__TaskList *l = dfix_list(NULL);
    const Hl__Task *t = dfix_find(l, id);
    char got[32];
    snprintf(got, sizeof got, "%s", t ? t->state : "(missing)");
    hl__task_list__free_unpacked(l, NULL);
    if (strcmp(got, state) != 0)
        fail_msg("task %s is %s, want %s", id, got, state);
}

int dfix_unit_connected(const char *unit)
{
    Hl__UnitList *l =
        (Hl__UnitList *)dfix_query("dispatch.units", NULL, NULL, &hl__unit_list__descriptor);
    int c = -1;
    for (size_t i = 0; i < l->n_units; i++)
        if (strcmp(l->units[i]->id, unit) == 0)
            c = l->units[i]->connected;
    hl__unit_list__free_unpacked(l, NULL);
    return c;
}

void dfix_wait_connected(const char *unit)
{
    int64_t deadline = hl_real_now_ms() + DFIX_WAIT_MS;
    while (dfix_unit_connected(unit) != 1) {
        if (hl_real_now_ms() > deadline)
            fail_msg("unit %s never connected", unit);
        dfix_sleep_ms(100);
    }
}

Hl__AuditList *dfix_audit(const char *task_id)
{
    return (Hl__AuditList *)dfix_query("dispatch.audit", NULL, task_id,
                                       &hl__audit_list__descriptor);
}

int dfix_audit_events(const char *task_id, const char *event)
{
    Hl__AuditList *au = dfix_audit(task_id);
    int n = 0;
    for (size_t i = 0; i < au->n_entries; i++)
        n += strcmp(au->entries[i]->event, event) == 0;
    hl__audit_list__free_unpacked(au, NULL);
    return n;
}

Hl__Escalation *dfix_chain_of(const char *task_id)
{
    int rc;
    Hl__Escalation *e = dfix_chain(task_id, &rc);
    if (rc != 0)
        fail_msg("dispatch.chain %s: %d", task_id, rc);
    return e;
}

Hl__Escalation *dfix_chain(const char *task_id, int *rc)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)task_id;
    Hl__Envelope *reply = NULL;
    char err[512];
    *rc = hl_call(NULL, F.req, "test", "dispatch.chain", &q.base, 5000, &reply, err, sizeof err);
    Hl__Escalation *e = NULL;
    if (*rc == 0)
        e = (Hl__Escalation *)hl_msg_unpack(&hl__escalation__descriptor, reply->payload.data,
                                            reply->payload.len);
    hl_env_free(&reply);
    if (*rc == 0 && !e)
        fail_msg("dispatch.chain %s: undecodable reply", task_id);
    return e;
}

/* ---- keys ---- */

static void dfix__paths(dkeys_paths *p)
{
    assert_int_equal(dkeys_paths_of(F.dir, p), 0);
    char err[512];
    if (dkeys_dirs_make(p, err, sizeof err) < 0)
        fail_msg("%s", err);
}

static int dfix__admit_fn(hl_keytable *kt, void *ud, char *err, size_t errlen)
{
    const char *const *pair = ud; /* {unit, pub} */
    (void)err, (void)errlen;
    return hl_keytable_unit(kt, pair[1]) ? 1 : hl_keytable_add(kt, pair[1], pair[0]);
}

void dfix_keys_admit(const char *unit, char *base, size_t n)
{
    dkeys_paths p;
    dfix__paths(&p);
    assert_int_equal(dkeys_unit_base(&p, unit, base, n), 0);
    char sec[600], err[512];
    snprintf(sec, sizeof sec, "%s.key", base);
    hl_keypair kp;
    if (access(sec, F_OK) != 0) {
        assert_int_equal(hl_keys_generate(&kp), 0);
        if (hl_keys_save(base, &kp, err, sizeof err) < 0)
            fail_msg("%s", err);
    } else if (hl_keys_load(base, &kp, err, sizeof err) < 0) {
        fail_msg("%s", err);
    }
    const char *pair[] = {unit, kp.pub};
    if (dkeys_table_edit(&p, dfix__admit_fn, (void *)pair, err, sizeof err) < 0)
        fail_msg("admit %s: %s", unit, err);
    if (hl_stack_pid(F.st, "dispatch") > 0) {
        Hl__KeysStatus *st = NULL;
        assert_int_equal(dfix_keys_reload(&st), 0);
        hl__keys_status__free_unpacked(st, NULL);
    }
}

void dfix_keys_stray(const char *name, char *base, size_t n)
{
    snprintf(base, n, "%s/%s", F.dir, name);
    hl_keypair kp;
    char err[512];
    assert_int_equal(hl_keys_generate(&kp), 0);
    if (hl_keys_save(base, &kp, err, sizeof err) < 0)
        fail_msg("%s", err);
}

const char *dfix_gateway_pub(void)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/" DKEYS_DIR "/" DKEYS_GATEWAY ".pub", F.dir);
    return path;
}

int dfix_keys_reload(Hl__KeysStatus **st)
{
    Hl__Empty e = HL__EMPTY__INIT;
    Hl__Envelope *reply = NULL;
    char err[512];
    *st = NULL;
    int rc = hl_call(NULL, F.req, "test", "dispatch.keys_reload", &e.base, 5000, &reply, err,
                     sizeof err);
    if (rc == 0)
        *st = (Hl__KeysStatus *)hl_msg_unpack(&hl__keys_status__descriptor, reply->payload.data,
                                              reply->payload.len);
    hl_env_free(&reply);
    return rc;
}

/* ---- gateway and request socket calls from a fresh DEALER ---- */

static void dfix__on_reply(int status, const Hl__Envelope *reply, void *ud)
{
    dfix_reply *w = ud;
    w->done = 1;
    w->status = status;
    if (status == 0 && reply && reply->error) {
        w->code = reply->error->code;
        snprintf(w->field, sizeof w->field, "%s", reply->error->field);
    } else if (status == 0 && reply && reply->payload.len > 0 &&
               strncmp(reply->type, "task.", 5) == 0) {
        w->task = (Hl__Task *)hl_msg_unpack(&hl__task__descriptor, reply->payload.data,
                                            reply->payload.len);
    }
}

static void dfix__call(const char *endpoint, const char *as, const char *key_base, const char *type,
                       const ProtobufCMessage *m, const void *raw, size_t rawlen, int timeout_ms,
                       dfix_reply *out)
{
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    hl_bus *bus = NULL;
    hl_client *cli = NULL;
    Hl__Envelope *env = NULL;
    dfix_reply w;
    memset(&w, 0, sizeof w);
    hl_sock_opt opts[1 + HL_CURVE_MAX_OPTS];
    size_t n = 0;
    hl_curve curve;
    if (as)
        opts[n++] = (hl_sock_opt){ZMQ_ROUTING_ID, as, strlen(as)};
    if (key_base) {
        char err[512];
        if (hl_curve_client_load(dfix_gateway_pub(), key_base, &curve, err, sizeof err) < 0)
            fail_msg("keys %s: %s", key_base, err);
        n += hl_curve_sockopts(&curve, opts + n);
    }
    assert_int_equal(hl_bus_new(&loop, NULL, 0, &bus), 0);
    assert_int_equal(hl_client_new(bus, endpoint, opts, n, &cli), 0);
    assert_int_equal(hl_env_build(as ? as : "test", type, m, NULL, NULL, &env), 0);
    ProtobufCBinaryData keep = env->payload;
    if (raw) {
        env->payload.data = (uint8_t *)raw;
        env->payload.len = rawlen;
    }
    assert_int_equal(hl_client_send(cli, env, timeout_ms, dfix__on_reply, &w), 0);
    env->payload = keep;
    while (!w.done)
        uv_run(&loop, UV_RUN_ONCE);
    hl_env_free(&env);
    hl_client_destroy(&cli);
    hl_bus_destroy(&bus);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    *out = w;
}

void dfix_gw_call(const char *as, const char *key_base, const char *type, const ProtobufCMessage *m,
                  const void *raw, size_t rawlen, int timeout_ms, dfix_reply *out)
{
    dfix__call(F.gw, as, key_base, type, m, raw, rawlen, timeout_ms, out);
}

int dfix_gw_answer(const char *as, const char *key_base, const char *task_id, const char *action,
                   const char *reason, char *field, size_t fieldlen)
{
    Hl__TaskAnswer a = HL__TASK_ANSWER__INIT;
    a.task_id = (char *)task_id;
    a.action = (char *)action;
    a.reason = (char *)(reason ? reason : "");
    dfix_reply w;
    /* A fresh connection may meet the gateway just as it is cut (a key reload that revoked
     * a key): ask again, every answer here is idempotent. */
    for (int attempt = 0; attempt < 3; attempt++) {
        dfix_gw_call(as, key_base, "task.answer", &a.base, NULL, 0, 3000, &w);
        if (w.status != HL_ETIMEOUT)
            break;
    }
    if (w.status != 0)
        fail_msg("task.answer %s of %s as %s: no reply (%d)", action, task_id, as, w.status);
    if (field)
        snprintf(field, fieldlen, "%s", w.field);
    if (w.task)
        hl__task__free_unpacked(w.task, NULL);
    return w.code;
}

int dfix_raw_call(const char *type, const void *payload, size_t len, char *field, size_t fieldlen)
{
    dfix_reply w;
    dfix__call(F.req, NULL, NULL, type, NULL, payload, len, 2000, &w);
    assert_int_equal(w.status, 0);
    if (w.task)
        hl__task__free_unpacked(w.task, NULL);
    snprintf(field, fieldlen, "%s", w.field);
    return w.code;
}

/* ---- the partner's own store and output ---- */

json_t *dfix_export(const char *unit)
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

json_t *dfix_export_task(json_t *doc, const char *id)
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

long dfix_jint(json_t *o, const char *k)
{
    return (long)json_integer_value(json_object_get(o, k));
}

char *dfix_log(const char *child)
{
    char path[1024];
    assert_int_equal(hl_stack_log_path(F.st, child, path, sizeof path), 0);
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
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

int dfix_count(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = hay; len && (p = strstr(p, needle)); p += len)
        n++;
    return n;
}

int dfix_shown_lines(const char *log, const char *id, const char *kind)
{
    char pat[160];
    snprintf(pat, sizeof pat, "+08:00 %s %s ", id, kind);
    return dfix_count(log, pat);
}
