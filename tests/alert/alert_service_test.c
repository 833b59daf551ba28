/* alert_service_test — the alert service as a real process: real ZeroMQ sockets on
 * 127.0.0.1, a real LMDB environment in a temporary folder, the real playbooks of the
 * source tree (kuitun plan, GB 3838-2002 table, warning levels).
 *
 * Station st-dsz-down (playbooks/kuitun/stations.yaml: class III, not a drinking source,
 * 表3 items 苯 甲苯 乙苯 二甲苯 苯乙烯 selected), so 苯 is limited to 0.01 mg/L
 * (GB 3838-2002 表3 item 19) and the warning levels are those of warning_levels.csv for
 * drinking_source no.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
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
#include "hazlink/hl_call.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

#define T0 1800000000000LL /* measured times: a fixed drill day */
#define MINUTE (60LL * 1000)
#define CALL_MS 5000

typedef struct fixture {
    char dir[256];
    char log[300];
    int port;
    char req[64];
    pid_t pid;
    void *zctx;
} fixture;

static fixture F;

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Start bin/<program> with the given playbooks folder; stdout and stderr go to F.log. */
static pid_t start_program(const char *program, const char *playbooks, const char *extra_arg,
                           const char *extra_val)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char port[16];
    snprintf(port, sizeof port, "%d", F.port);
    setenv("HAZLINK_DATA", F.dir, 1);
    setenv("HAZLINK_BASE_PORT", port, 1);
    setenv("HAZLINK_PLAYBOOKS", playbooks, 1);
    unsetenv("HAZLINK_CONFIG");
    unsetenv("HAZLINK_CLOCK");
    unsetenv("HAZLINK_ALERT_QUIET_HOURS");
    int fd = open(F.log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", HL_TEST_BIN_DIR, program);
    if (extra_arg)
        execl(path, program, extra_arg, extra_val, (char *)NULL);
    else
        execl(path, program, (char *)NULL);
    _exit(127);
}

static pid_t start_alert(const char *playbooks, const char *extra_arg, const char *extra_val)
{
    return start_program("alert", playbooks, extra_arg, extra_val);
}

/* 0 with *st filled, or the hl_call error. */
static int call(const char *type, const ProtobufCMessage *m, Hl__Envelope **reply, char *err,
                size_t errlen)
{
    return hl_call(F.zctx, F.req, "test", type, m, CALL_MS, reply, err, errlen);
}

static Hl__ServiceStatus *status(void)
{
    Hl__Envelope *rep = NULL;
    char err[512] = "";
    if (call("status", NULL, &rep, err, sizeof err) != 0) {
        hl_env_free(&rep);
        return NULL;
    }
    Hl__ServiceStatus *s = hl__service_status__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    return s;
}

/* 0 when the service answers status; HL_EIO when it exited first (e.g. its port was
 * taken); fails the test when it neither answers nor exits within 10 s. */
static int wait_ready(void)
{
    for (int i = 0; i < 200; i++) {
        Hl__Envelope *rep = NULL;
        char err[256];
        if (hl_call(F.zctx, F.req, "test", "status", NULL, 200, &rep, err, sizeof err) == 0) {
            hl_env_free(&rep);
            return 0;
        }
        hl_env_free(&rep);
        int st;
        if (waitpid(F.pid, &st, WNOHANG) == F.pid) {
            F.pid = -1;
            return HL_EIO;
        }
        sleep_ms(50);
    }
    fail_msg("alert did not answer status within 10 s (see %s)", F.log);
    return HL_ETIMEOUT;
}

static int stop_program(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        sleep_ms(25);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

static int rm_fn(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(F.dir, sizeof F.dir, "/tmp/hl-alert-test-XXXXXX");
    if (!mkdtemp(F.dir))
        return -1;
    snprintf(F.log, sizeof F.log, "%s/alert.log", F.dir);
    F.zctx = zmq_ctx_new();
    /* Ports below the ephemeral range (32768..) so no outgoing connection holds ours; a port
     * another test took makes the service exit at bind, and the next base is tried. */
    for (int attempt = 0; attempt < 8; attempt++) {
        F.port = 20000 + (int)((getpid() + attempt * 97) % 600) * 20;
        snprintf(F.req, sizeof F.req, "tcp://127.0.0.1:%d", F.port);
        F.pid = start_alert(HL_TEST_SOURCE_DIR "/playbooks", NULL, NULL);
        if (F.pid < 0)
            return -1;
        if (wait_ready() == 0)
            return 0;
        fprintf(stderr, "alert could not start on base port %d (see %s); trying another\n", F.port,
                F.log);
    }
    return -1;
}

/* 1 when the service's log holds a sanitizer report (a leak or undefined behaviour in a
 * run that otherwise passed). */
static int log_has_sanitizer_report(void)
{
    FILE *f = fopen(F.log, "r");
    if (!f)
        return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "AddressSanitizer") || strstr(line, "LeakSanitizer") ||
                strstr(line, "runtime error:");
    fclose(f);
    return found;
}

static int teardown(void **state)
{
    (void)state;
    int rc = 0;
    if (F.pid > 0 && stop_program(F.pid) != 0) {
        fprintf(stderr, "alert did not exit 0 on SIGTERM\n");
        rc = -1;
    }
    if (log_has_sanitizer_report()) {
        fprintf(stderr, "the alert service's log holds a sanitizer report\n");
        rc = -1;
    }
    zmq_ctx_term(F.zctx);
    if (rc == 0 && !getenv("HL_TEST_KEEP"))
        nftw(F.dir, rm_fn, 16, FTW_DEPTH | FTW_PHYS);
    else
        fprintf(stderr, "test folder kept: %s (log %s)\n", F.dir, F.log);
    return rc;
}

/* ---- readings ---- */

typedef struct reading_reply {
    int rc;
    char err[512];
    Hl__ReadingResult *res;
} reading_reply;

static reading_reply reading(const char *station, const char *param, double value, const char *unit,
                             int64_t at)
{
    reading_reply out = {0};
    Hl__Reading rd = HL__READING__INIT;
    rd.station_id = (char *)station;
    rd.parameter = (char *)param;
    rd.value = value;
    rd.unit = (char *)unit;
    rd.measured_ms = at;
    Hl__Envelope *rep = NULL;
    out.rc = call("alert.reading", &rd.base, &rep, out.err, sizeof out.err);
    if (out.rc == 0) {
        out.res = hl__reading_result__unpack(NULL, rep->payload.len, rep->payload.data);
        assert_non_null(out.res);
    } else if (rep && rep->error) {
        /* hl_call wrote "code: message (field)" into err; check the field itself too. */
        if (!strstr(out.err, rep->error->field))
            fail_msg("err '%s' lacks the reply's field '%s'", out.err, rep->error->field);
    }
    hl_env_free(&rep);
    return out;
}

static void reading_free(reading_reply *r)
{
    if (r->res)
        hl__reading_result__free_unpacked(r->res, NULL);
    r->res = NULL;
}

/* A list query (alert.incidents by id, alert.alerts by incident) and its unpacked reply. */
static ProtobufCMessage *list_call(const char *type, const char *id, const char *incident_id,
                                   const ProtobufCMessageDescriptor *d)
{
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.id = (char *)(id ? id : "");
    q.incident_id = (char *)(incident_id ? incident_id : "");
    Hl__Envelope *rep = NULL;
    char err[512];
    if (call(type, &q.base, &rep, err, sizeof err) != 0)
        fail_msg("%s: %s", type, err);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(m);
    return m;
}

static Hl__IncidentList *incidents(const char *id)
{
    return (Hl__IncidentList *)list_call("alert.incidents", id, NULL,
                                         &hl__incident_list__descriptor);
}

static Hl__AlertList *alerts(const char *incident_id)
{
    return (Hl__AlertList *)list_call("alert.alerts", NULL, incident_id,
                                      &hl__alert_list__descriptor);
}

static char g_incident[HL_ID_MAX + 1];

static void test_episode_over_the_wire(void **state)
{
    (void)state;
    /* Clean: 0.005 mg/L 苯 is within GB 3838-2002 表3 item 19 (0.01 mg/L): no incident. */
    reading_reply r = reading("st-dsz-down", "苯", 0.005, "mg/L", T0);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->checked);
    assert_false(r.res->exceeded);
    assert_string_equal(r.res->incident_id, "");
    assert_float_equal(r.res->limit_mg_l, 0.01, 1e-12);
    assert_non_null(strstr(r.res->limit_source, "GB 3838-2002 表3 item 19 苯"));
    reading_free(&r);
    /* 老龙口 (class II, no 表3 items selected): no limit for 苯 there (GB 3838-2002 §4.2),
     * whatever the value; the reply says it was not checked and why. */
    r = reading("st-laolongkou", "苯", 5, "mg/L", T0);
    assert_int_equal(r.rc, 0);
    assert_false(r.res->checked);
    assert_false(r.res->exceeded);
    assert_string_equal(r.res->incident_id, "");
    assert_non_null(strstr(r.res->limit_source, "not checked: GB 3838-2002 表3 item 19"));
    reading_free(&r);
    Hl__IncidentList *l = incidents(NULL);
    assert_int_equal(l->n_incidents, 0);
    hl__incident_list__free_unpacked(l, NULL);

    /* Exceeding: 0.05 mg/L = 4 × over 0.01 (超标倍数 (0.05-0.01)/0.01); warning_levels.csv
     * reading,no,3,10 → 橙. An incident opens. */
    r = reading("st-dsz-down", "benzene", 0.05, "mg/L", T0 + 10 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->exceeded);
    assert_true(r.res->incident_opened);
    assert_float_equal(r.res->limit_mg_l, 0.01, 1e-12);
    assert_float_equal(r.res->multiple, 4.0, 1e-9);
    assert_string_equal(r.res->warning_level, "橙");
    assert_true(r.res->incident_id[0] != '\0');
    assert_true(r.res->alert_id[0] != '\0');
    snprintf(g_incident, sizeof g_incident, "%s", r.res->incident_id);
    reading_free(&r);

    /* Second exceeding reading, in µg/L: 30 ug/L = 0.03 mg/L, 2 × → 黄, lower than 橙: the
     * same incident, no new alert. */
    r = reading("st-dsz-down", "苯", 30, "ug/L", T0 + 20 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->exceeded);
    assert_false(r.res->incident_opened);
    assert_string_equal(r.res->incident_id, g_incident);
    assert_float_equal(r.res->value_mg_l, 0.03, 1e-12);
    assert_float_equal(r.res->multiple, 2.0, 1e-9);
    assert_string_equal(r.res->alert_id, "");
    reading_free(&r);

    /* Third, 0.2 mg/L = 19 × → 红 (reading,no,10,): the level rises, a new alert. */
    r = reading("st-dsz-down", "苯", 0.2, "mg/L", T0 + 30 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.res->incident_id, g_incident);
    assert_false(r.res->incident_opened);
    assert_string_equal(r.res->warning_level, "红");
    assert_true(r.res->alert_id[0] != '\0');
    reading_free(&r);

    l = incidents(NULL);
    assert_int_equal(l->n_incidents, 1);
    Hl__Incident *inc = l->incidents[0];
    assert_string_equal(inc->id, g_incident);
    assert_string_equal(inc->origin, "reading");
    assert_string_equal(inc->station_id, "st-dsz-down");
    assert_string_equal(inc->parameter, "苯");
    assert_string_equal(inc->jurisdiction, "local");
    assert_int_equal(inc->reading_count, 3);
    assert_float_equal(inc->peak_value_mg_l, 0.2, 1e-12);
    assert_int_equal(inc->peak_ms, T0 + 30 * MINUTE);
    assert_int_equal(inc->first_exceedance_ms, T0 + 10 * MINUTE);
    assert_float_equal(inc->limit_mg_l, 0.01, 1e-12);
    assert_string_equal(inc->warning_level, "红");
    assert_int_equal(inc->alert_count, 2);
    assert_float_equal(inc->chainage_km, 25.0, 1e-9);
    hl__incident_list__free_unpacked(l, NULL);

    Hl__AlertList *al = alerts(g_incident);
    assert_int_equal(al->n_alerts, 2);
    assert_string_equal(al->alerts[0]->warning_level, "橙");
    assert_string_equal(al->alerts[1]->warning_level, "红");
    assert_float_equal(al->alerts[0]->release_chainage_km, 25.0, 1e-9);
    assert_int_equal(al->alerts[0]->release_ms, T0 + 10 * MINUTE);
    assert_non_null(strstr(al->alerts[0]->limit_source, "表3 item 19"));
    hl__alert_list__free_unpacked(al, NULL);

    /* playbook and risk are not running: their requests wait in the outbox (two alerts to
     * playbook, one upstream query to risk). */
    Hl__ServiceStatus *s = status();
    assert_non_null(s);
    assert_int_equal(s->records, 1);
    assert_true(s->outbox_pending >= 3);
    hl__service_status__free_unpacked(s, NULL);
}

/* With the risk service running, the upstream query waiting in the outbox is answered and
 * the incident names the registered sources above st-dsz-down (km 25): the Dushanzi
 * Petrochemical outfall rs-dsz-petro at km 22 (docs/protocol.md), which holds 苯. */
static void test_upstream_from_risk(void **state)
{
    (void)state;
    if (access(HL_TEST_BIN_DIR "/risk", X_OK) != 0)
        skip();
    pid_t risk = start_program("risk", HL_TEST_SOURCE_DIR "/playbooks", NULL, NULL);
    int found = 0;
    for (int i = 0; i < 150 && !found; i++) {
        sleep_ms(100);
        Hl__IncidentList *l = incidents(g_incident);
        assert_int_equal(l->n_incidents, 1);
        for (size_t k = 0; k < l->incidents[0]->n_upstream_source_ids; k++)
            found |= strcmp(l->incidents[0]->upstream_source_ids[k], "rs-dsz-petro") == 0;
        hl__incident_list__free_unpacked(l, NULL);
    }
    int risk_rc = stop_program(risk);
    if (!found)
        fail_msg("incident %s never named rs-dsz-petro upstream (logs in %s)", g_incident, F.dir);
    assert_int_equal(risk_rc, 0);
    /* The alerts of the incident carry the same ids. */
    Hl__AlertList *al = alerts(g_incident);
    assert_true(al->n_alerts >= 1);
    for (size_t i = 0; i < al->n_alerts; i++) {
        int has = 0;
        for (size_t k = 0; k < al->alerts[i]->n_upstream_source_ids; k++)
            has |= strcmp(al->alerts[i]->upstream_source_ids[k], "rs-dsz-petro") == 0;
        assert_true(has);
    }
    hl__alert_list__free_unpacked(al, NULL);
}

typedef struct bad_case {
    const char *what;
    const char *station, *param;
    double value;
    const char *unit;
    int rc;
    const char *field;    /* the error names this field */
    const char *mentions; /* … and this text */
} bad_case;

static const bad_case bad[] = {
    {"unknown station", "st-nowhere", "苯", 0.05, "mg/L", HL_ENOTFOUND, "reading.station_id",
     "st-nowhere"},
    {"empty station", "", "苯", 0.05, "mg/L", HL_EINVAL, "reading.station_id", "station_id"},
    {"empty parameter", "st-dsz-down", "", 0.05, "mg/L", HL_EINVAL, "reading.parameter",
     "parameter"},
    {"unknown parameter", "st-dsz-down", "kryptonite", 0.05, "mg/L", HL_ENOTFOUND,
     "reading.parameter", "kryptonite"},
    {"unit that cannot be converted", "st-dsz-down", "苯", 0.05, "ppm?", HL_EUNIT, "reading.unit",
     "ppm?"},
    {"unit kg", "st-dsz-down", "苯", 0.05, "kg", HL_EUNIT, "reading.unit", "kg"},
    {"NaN", "st-dsz-down", "苯", NAN, "mg/L", HL_EINVAL, "reading.value", "nan"},
    {"negative value", "st-dsz-down", "苯", -1, "mg/L", HL_EINVAL, "reading.value", "-1"},
};

static void test_bad_readings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const bad_case *c = &bad[i];
        reading_reply r = reading(c->station, c->param, c->value, c->unit, T0);
        if (r.rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->what, r.rc, c->rc, r.err);
        if (!strstr(r.err, c->field) || !strstr(r.err, c->mentions))
            fail_msg("%s: error '%s' does not name %s and %s", c->what, r.err, c->field,
                     c->mentions);
        reading_free(&r);
    }
    /* The service still answers. */
    Hl__ServiceStatus *s = status();
    assert_non_null(s);
    assert_string_equal(s->service, "alert");
    assert_true(s->errors >= sizeof bad / sizeof bad[0]);
    hl__service_status__free_unpacked(s, NULL);
}

/* Stated limits of a reading: unit at most 32 bytes, parameter at most HL_NAME_MAX; and of
 * a list query: limit caps the answer to the newest records. */
static void test_limits_over_the_wire(void **state)
{
    (void)state;
    char unit[34], param[HL_NAME_MAX + 2];
    memset(unit, 'u', sizeof unit - 1);
    unit[sizeof unit - 1] = '\0'; /* 33 bytes */
    reading_reply r = reading("st-dsz-down", "苯", 0.001, unit, T0);
    assert_int_equal(r.rc, HL_EUNIT);
    assert_non_null(strstr(r.err, "reading.unit"));
    unit[32] = '\0'; /* 32 bytes: long enough to pass the bound, still not a unit */
    r = reading("st-dsz-down", "苯", 0.001, unit, T0);
    assert_int_equal(r.rc, HL_EUNIT);
    assert_non_null(strstr(r.err, "cannot be converted"));
    memset(param, 'p', sizeof param - 1);
    param[sizeof param - 1] = '\0'; /* HL_NAME_MAX + 1 bytes */
    r = reading("st-dsz-down", param, 0.001, "mg/L", T0);
    assert_int_equal(r.rc, HL_EINVAL);
    assert_non_null(strstr(r.err, "reading.parameter"));
    param[HL_NAME_MAX] = '\0'; /* HL_NAME_MAX bytes: passes the bound, unknown item */
    r = reading("st-dsz-down", param, 0.001, "mg/L", T0);
    assert_int_equal(r.rc, HL_ENOTFOUND);

    /* Two incidents exist by now (the reading episode and the report); limit 1 gives the
     * newest only. */
    Hl__ListQuery q = HL__LIST_QUERY__INIT;
    q.limit = 1;
    Hl__Envelope *rep = NULL;
    char err[512];
    assert_int_equal(call("alert.incidents", &q.base, &rep, err, sizeof err), 0);
    Hl__IncidentList *l = hl__incident_list__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(l);
    assert_int_equal(l->n_incidents, 1);
    assert_string_equal(l->incidents[0]->origin, "report");
    hl__incident_list__free_unpacked(l, NULL);
    Hl__IncidentList *all = incidents(NULL);
    assert_int_equal(all->n_incidents, 2);
    hl__incident_list__free_unpacked(all, NULL);
}

static void test_undecodable_envelope(void **state)
{
    (void)state;
    Hl__ServiceStatus *s = status();
    assert_non_null(s);
    uint64_t before = s->bad_messages;
    hl__service_status__free_unpacked(s, NULL);

    void *d = zmq_socket(F.zctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    assert_int_equal(zmq_connect(d, F.req), 0);
    static const unsigned char junk[] = {0xff, 0xff, 0xff, 0x07, 'n',  'o',
                                         't',  ' ',  'p',  'b',  0x00, 0x9a};
    assert_int_equal(zmq_send(d, junk, sizeof junk, 0), (int)sizeof junk);
    /* An error reply may come back; either way the message is counted. */
    for (int i = 0; i < 100; i++) {
        s = status();
        assert_non_null(s);
        uint64_t now = s->bad_messages;
        hl__service_status__free_unpacked(s, NULL);
        if (now > before)
            break;
        if (i == 99)
            fail_msg("bad_messages stayed at %llu", (unsigned long long)before);
        sleep_ms(20);
    }
    zmq_close(d);
}

static void test_report_and_trigger(void **state)
{
    (void)state;
    /* A release reported at the Dushanzi Petrochemical outfall (km 22, docs/protocol.md). */
    Hl__IncidentReport rp = HL__INCIDENT_REPORT__INIT;
    rp.report_id = "rep-1";
    rp.source_id = "rs-dsz-petro";
    rp.substance = "benzene";
    rp.chainage_km = 22;
    rp.mass_kg = 500;
    rp.duration_s = 1800;
    rp.started_ms = T0;
    rp.reporter_unit = "dsz-eeb";
    Hl__Envelope *rep = NULL;
    char err[512] = "";
    assert_int_equal(call("alert.report", &rp.base, &rep, err, sizeof err), 0);
    Hl__Incident *inc = hl__incident__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(inc);
    assert_string_equal(inc->origin, "report");
    assert_string_equal(inc->parameter, "苯");
    assert_string_equal(inc->section_id, "st-dsz-down"); /* first station below km 22 */
    assert_float_equal(inc->limit_mg_l, 0.01, 1e-12);    /* GB 3838-2002 表3 item 19 */
    assert_string_equal(inc->warning_level, "橙");       /* warning_levels.csv report,any */
    char id[HL_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", inc->id);
    hl__incident__free_unpacked(inc, NULL);

    Hl__AlertList *al = alerts(id);
    assert_int_equal(al->n_alerts, 1);
    assert_true(al->alerts[0]->reported);
    assert_float_equal(al->alerts[0]->release_chainage_km, 22, 1e-9);
    assert_float_equal(al->alerts[0]->mass_kg, 500, 1e-9);
    assert_float_equal(al->alerts[0]->duration_s, 1800, 1e-9);
    assert_int_equal(al->alerts[0]->release_ms, T0);
    assert_string_equal(al->alerts[0]->source_id, "rs-dsz-petro");
    char alert_id[HL_ID_MAX + 1];
    snprintf(alert_id, sizeof alert_id, "%s", al->alerts[0]->id);
    hl__alert_list__free_unpacked(al, NULL);

    /* A report off the river is refused, naming the field. */
    rp.chainage_km = -5;
    assert_int_equal(call("alert.report", &rp.base, &rep, err, sizeof err), HL_EINVAL);
    assert_non_null(rep);
    assert_string_equal(rep->error->field, "report.chainage_km");
    hl_env_free(&rep);

    /* Trigger: the latest alert is re-sent (and returned). */
    Hl__TriggerRequest tr = HL__TRIGGER_REQUEST__INIT;
    tr.incident_id = id;
    assert_int_equal(call("alert.trigger", &tr.base, &rep, err, sizeof err), 0);
    Hl__Alert *a = hl__alert__unpack(NULL, rep->payload.len, rep->payload.data);
    hl_env_free(&rep);
    assert_non_null(a);
    assert_string_equal(a->id, alert_id);
    hl__alert__free_unpacked(a, NULL);
    tr.incident_id = "inc-none";
    assert_int_equal(call("alert.trigger", &tr.base, &rep, err, sizeof err), HL_ENOTFOUND);
    assert_non_null(rep);
    assert_string_equal(rep->error->field, "trigger.incident_id");
    hl_env_free(&rep);
}

/* After a restart the incident and its episode are still there: a new exceeding reading
 * attaches to the same incident. */
static void test_restart_keeps_episode(void **state)
{
    (void)state;
    assert_int_equal(stop_program(F.pid), 0);
    F.pid = start_alert(HL_TEST_SOURCE_DIR "/playbooks", NULL, NULL);
    assert_int_equal(wait_ready(), 0);
    reading_reply r = reading("st-dsz-down", "苯", 0.02, "mg/L", T0 + 40 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.res->incident_id, g_incident);
    assert_false(r.res->incident_opened);
    reading_free(&r);
}

/* Write dst as a copy of src with line `line` (1-based) replaced by text. */
static void copy_with_line(const char *src, const char *dst, int line, const char *text)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    char buf[8192];
    int n = 0;
    while (fgets(buf, sizeof buf, in)) {
        n++;
        fputs(n == line ? text : buf, out);
    }
    fclose(in);
    fclose(out);
}

static void test_bad_data_file_exits_2(void **state)
{
    (void)state;
    /* A playbooks folder whose GB 3838 table has a broken limit on line 4 (表1 item 3 溶解氧). */
    char pb[400], ref[420], path[480];
    snprintf(pb, sizeof pb, "%s/pb", F.dir);
    snprintf(ref, sizeof ref, "%s/reference", pb);
    assert_int_equal(mkdir(pb, 0700), 0);
    assert_int_equal(mkdir(ref, 0700), 0);
    snprintf(path, sizeof path, "%s/kuitun", pb);
    assert_int_equal(symlink(HL_TEST_SOURCE_DIR "/playbooks/kuitun", path), 0);
    snprintf(path, sizeof path, "%s/warning_levels.csv", ref);
    copy_with_line(HL_TEST_SOURCE_DIR "/playbooks/reference/warning_levels.csv", path, 0, "");
    snprintf(path, sizeof path, "%s/gb3838_2002_surface_water_limits.csv", ref);
    copy_with_line(HL_TEST_SOURCE_DIR "/playbooks/reference/gb3838_2002_surface_water_limits.csv",
                   path, 4, "表1 基本项目,3,溶解氧,mg/L,>=,7.5,six,5.0,3.0,2.0,,,x,DO,any,yes\n");
    /* The children of this case write to their own log, so the running service's log
     * stays whole for the sanitizer check. */
    char main_log[sizeof F.log];
    memcpy(main_log, F.log, sizeof main_log);
    snprintf(F.log, sizeof F.log, "%s/bad-data.log", F.dir);
    pid_t pid = start_alert(pb, NULL, NULL);
    int st = 0;
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) != pid; i++)
        sleep_ms(25);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("alert with a broken table did not exit 2");
    }
    FILE *f = fopen(F.log, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    if (!strstr(text, "gb3838_2002_surface_water_limits.csv:4: II: 'six' is not a number"))
        fail_msg("message does not name file:line: field: %s", text);

    /* A bad option exits 2 as well. */
    pid = start_alert(HL_TEST_SOURCE_DIR "/playbooks", "--quiet-hours", "-3");
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) != pid; i++)
        sleep_ms(25);
    memcpy(F.log, main_log, sizeof F.log);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 2);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_episode_over_the_wire), cmocka_unit_test(test_upstream_from_risk),
        cmocka_unit_test(test_bad_readings),          cmocka_unit_test(test_undecodable_envelope),
        cmocka_unit_test(test_report_and_trigger),    cmocka_unit_test(test_limits_over_the_wire),
        cmocka_unit_test(test_restart_keeps_episode), cmocka_unit_test(test_bad_data_file_exits_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
