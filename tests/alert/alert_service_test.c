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
     * same incident, no new warning level; but it is the first reading after the peak
     * (0.05 mg/L) and below it, so a "peak update" alert goes to the playbook (episode.h
     * rule 5: the forecast can take the observed peak). */
    r = reading("st-dsz-down", "苯", 30, "ug/L", T0 + 20 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->exceeded);
    assert_false(r.res->incident_opened);
    assert_string_equal(r.res->incident_id, g_incident);
    assert_float_equal(r.res->value_mg_l, 0.03, 1e-12);
    assert_float_equal(r.res->multiple, 2.0, 1e-9);
    assert_true(r.res->alert_id[0] != '\0');
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
    assert_int_equal(inc->alert_count, 3);
    assert_float_equal(inc->chainage_km, 25.0, 1e-9);
    hl__incident_list__free_unpacked(l, NULL);

    Hl__AlertList *al = alerts(g_incident);
    assert_int_equal(al->n_alerts, 3);
    assert_string_equal(al->alerts[0]->warning_level, "橙");
    /* The peak update stands at the incident's level (橙), not the reading's (黄). */
    assert_string_equal(al->alerts[1]->warning_level, "橙");
    assert_non_null(strstr(al->alerts[1]->reason, "peak update: first reading below the peak"));
    assert_float_equal(al->alerts[1]->value_mg_l, 0.03, 1e-12);
    assert_string_equal(al->alerts[2]->warning_level, "红");
    assert_non_null(strstr(al->alerts[2]->reason, "warning level 橙 → 红"));
    /* Each alert carries its reading's measured time (the playbook re-anchors on it, not on
     * when the alert was raised) and the incident's grade (IV by the 附件1 catch-all until
     * facts arrive): the playbook's tasks take it as their response level. */
    assert_int_equal(al->alerts[0]->measured_ms, T0 + 10 * MINUTE);
    assert_int_equal(al->alerts[1]->measured_ms, T0 + 20 * MINUTE);
    assert_int_equal(al->alerts[2]->measured_ms, T0 + 30 * MINUTE);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(al->alerts[i]->grade, "IV");
    assert_float_equal(al->alerts[0]->release_chainage_km, 25.0, 1e-9);
    assert_int_equal(al->alerts[0]->release_ms, T0 + 10 * MINUTE);
    assert_non_null(strstr(al->alerts[0]->limit_source, "表3 item 19"));
    hl__alert_list__free_unpacked(al, NULL);

    /* playbook and risk are not running: their requests wait in the outbox (three alerts to
     * playbook, one upstream query to risk). */
    Hl__ServiceStatus *s = status();
    assert_non_null(s);
    assert_int_equal(s->records, 1);
    assert_true(s->outbox_pending >= 4);
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
    /* Times far from the service's clock (issue 3, hostile input): refused, naming the field. */
    reading_reply far = reading("st-dsz-down", "苯", 0.5, "mg/L", 32472144000000LL); /* 2999 */
    assert_int_equal(far.rc, HL_EINVAL);
    assert_non_null(strstr(far.err, "reading.measured_ms"));
    reading_free(&far);
    far = reading("st-dsz-down", "苯", 0.5, "mg/L", 1000); /* 1970 */
    assert_int_equal(far.rc, HL_EINVAL);
    assert_non_null(strstr(far.err, "reading.measured_ms"));
    reading_free(&far);
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

/* ---- peak updates for re-anchoring (issue 4) ---- */

/* The alerts of incident id, as a count and the newest one's reason. */
static size_t alert_count(const char *id, char *reason, size_t n)
{
    Hl__AlertList *al = alerts(id);
    size_t k = al->n_alerts;
    if (reason && n)
        snprintf(reason, n, "%s", k ? al->alerts[k - 1]->reason : "");
    hl__alert_list__free_unpacked(al, NULL);
    return k;
}

/* A new peak at the same warning level and the first reading below a peak each send the
 * playbook one alert ("peak update"); other readings send none: at most one alert per
 * reading. The benzene episode of test_episode_over_the_wire peaked at 0.2 mg/L (+30 min);
 * test_restart_keeps_episode's 0.02 at +40 min was its descent. */
static void test_peak_updates(void **state)
{
    (void)state;
    char why[512];
    size_t n0 = alert_count(g_incident, NULL, 0);
    /* +50 min: 0.3 mg/L, a new peak (29 ×, 红 as before). */
    reading_reply r = reading("st-dsz-down", "苯", 0.3, "mg/L", T0 + 50 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->alert_id[0] != '\0');
    reading_free(&r);
    assert_int_equal(alert_count(g_incident, why, sizeof why), n0 + 1);
    assert_non_null(strstr(why, "peak update: new peak at st-dsz-down"));
    /* +60 min: 0.25, below the new peak: its descent. */
    r = reading("st-dsz-down", "苯", 0.25, "mg/L", T0 + 60 * MINUTE);
    assert_true(r.res->alert_id[0] != '\0');
    reading_free(&r);
    assert_int_equal(alert_count(g_incident, why, sizeof why), n0 + 2);
    assert_non_null(strstr(why, "first reading below the peak"));
    assert_non_null(strstr(why, "after the peak 0.3 mg/L"));
    /* +70 min 0.22 and +80 min within the limit: the descent was told already. */
    r = reading("st-dsz-down", "苯", 0.22, "mg/L", T0 + 70 * MINUTE);
    assert_string_equal(r.res->alert_id, "");
    reading_free(&r);
    r = reading("st-dsz-down", "苯", 0.004, "mg/L", T0 + 80 * MINUTE);
    assert_string_equal(r.res->alert_id, "");
    reading_free(&r);
    assert_int_equal(alert_count(g_incident, NULL, 0), n0 + 2);

    /* 二甲苯 (GB 3838-2002 表3 item 22, 0.5 mg/L): 1.0 mg/L opens an incident (1 × over,
     * 黄); the next reading is within the limit: still the peak's descent, sent with the
     * incident's level, and the reading joins no incident (incident_id ""). */
    const int64_t t3 = T0 + 10LL * 24 * 60 * MINUTE;
    r = reading("st-dsz-down", "二甲苯", 1.0, "mg/L", t3);
    assert_true(r.res->incident_opened);
    char id[HL_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", r.res->incident_id);
    reading_free(&r);
    r = reading("st-dsz-down", "二甲苯", 0.1, "mg/L", t3 + 10 * MINUTE);
    assert_false(r.res->exceeded);
    assert_string_equal(r.res->incident_id, "");
    assert_true(r.res->alert_id[0] != '\0');
    reading_free(&r);
    r = reading("st-dsz-down", "二甲苯", 0.05, "mg/L", t3 + 20 * MINUTE);
    assert_string_equal(r.res->alert_id, "");
    reading_free(&r);
    Hl__AlertList *al = alerts(id);
    assert_int_equal(al->n_alerts, 2);
    assert_string_equal(al->alerts[1]->incident_id, id);
    assert_string_equal(al->alerts[1]->warning_level, "黄");
    assert_float_equal(al->alerts[1]->value_mg_l, 0.1, 1e-12);
    assert_int_equal(al->alerts[1]->measured_ms, t3 + 10 * MINUTE);
    assert_non_null(strstr(al->alerts[1]->reason, "first reading below the peak"));
    hl__alert_list__free_unpacked(al, NULL);
}

/* ---- grade, facts and reporting duties (issue 4) ---- */

/* Call type with m; on success the reply unpacked as an Incident, else NULL with *rc and the
 * reply's error field in field. */
static Hl__Incident *incident_call(const char *type, const ProtobufCMessage *m, int *rc,
                                   char *field, size_t fieldlen)
{
    Hl__Envelope *rep = NULL;
    char err[512] = "";
    *rc = call(type, m, &rep, err, sizeof err);
    if (field && fieldlen)
        snprintf(field, fieldlen, "%s", rep && rep->error ? rep->error->field : "");
    Hl__Incident *inc = NULL;
    if (*rc == 0) {
        inc = hl__incident__unpack(NULL, rep->payload.len, rep->payload.data);
        assert_non_null(inc);
    }
    hl_env_free(&rep);
    return inc;
}

static const Hl__ReportDuty *report_of(const Hl__Incident *inc, const char *id)
{
    for (size_t i = 0; i < inc->n_reports; i++)
        if (strcmp(inc->reports[i]->id, id) == 0)
            return inc->reports[i];
    fail_msg("incident %s has no report %s", inc->id, id);
    return NULL;
}

/* Count "incident.graded" events for id that arrive on sub within ms. */
static int graded_events(void *sub, const char *id, int ms)
{
    int n = 0;
    zmq_pollitem_t it = {sub, 0, ZMQ_POLLIN, 0};
    while (zmq_poll(&it, 1, ms) > 0) {
        char topic[64] = "";
        int tl = zmq_recv(sub, topic, sizeof topic - 1, 0);
        zmq_msg_t env;
        zmq_msg_init(&env);
        int more = 0;
        size_t ml = sizeof more;
        zmq_getsockopt(sub, ZMQ_RCVMORE, &more, &ml);
        if (more && zmq_msg_recv(&env, sub, 0) >= 0 && tl > 0) {
            topic[tl] = '\0';
            Hl__Envelope *e = hl__envelope__unpack(NULL, zmq_msg_size(&env), zmq_msg_data(&env));
            if (e && strcmp(topic, "incident.graded") == 0) {
                Hl__Incident *inc = hl__incident__unpack(NULL, e->payload.len, e->payload.data);
                if (inc && strcmp(inc->id, id) == 0)
                    n++;
                if (inc)
                    hl__incident__free_unpacked(inc, NULL);
            }
            if (e)
                hl__envelope__free_unpacked(e, NULL);
        }
        zmq_msg_close(&env);
        ms = 100;
    }
    return n;
}

static Hl__Incident *facts_call(Hl__IncidentFacts *f, int *rc, char *field, size_t fl)
{
    return incident_call("alert.facts", &f->base, rc, field, fl);
}

static char g_graded[HL_ID_MAX + 1];

/* A reported release is graded from its facts per 国家突发环境事件应急预案 (2014) 附件1, up
 * automatically, down only by a duty officer with a reason, and owes its reports per
 * 突发环境事件信息报告办法 (2011; table rows unverified). */
static void test_grade_and_duties(void **state)
{
    (void)state;
    void *sub = zmq_socket(F.zctx, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    char pub[64];
    snprintf(pub, sizeof pub, "tcp://127.0.0.1:%d", F.port + 1);
    assert_int_equal(zmq_connect(sub, pub), 0);
    assert_int_equal(zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "incident.graded", 15), 0);
    sleep_ms(300); /* let the subscription reach the publisher */

    /* 石油类 (GB 3838-2002 表1 item 21) reported at the 奎屯-独山子 chemical park outfall (km 28,
     * local side; corps sections and receptors lie downstream), with 2 poisoned. */
    Hl__IncidentReport rp = HL__INCIDENT_REPORT__INIT;
    rp.report_id = "rep-grade";
    rp.substance = "石油类";
    rp.chainage_km = 28;
    rp.started_ms = T0;
    rp.reporter_unit = "kt-eeb";
    Hl__IncidentFacts rf = HL__INCIDENT_FACTS__INIT;
    rf.poisoned_known_case = HL__INCIDENT_FACTS__POISONED_KNOWN_POISONED_OR_SERIOUSLY_INJURED;
    rf.poisoned_or_seriously_injured = 2;
    rp.facts = &rf;
    int rc;
    char field[64];
    Hl__Incident *inc = incident_call("alert.report", &rp.base, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    snprintf(g_graded, sizeof g_graded, "%s", inc->id);
    /* 附件1 一般(1) "10人以下中毒或重伤": IV, decided by that row; deaths etc. unknown. */
    assert_string_equal(inc->grade, "IV");
    assert_string_equal(inc->grade_name, "一般");
    assert_string_equal(inc->deciding->type, "poisoned_or_seriously_injured");
    assert_string_equal(inc->deciding->value, "2 人");
    assert_non_null(strstr(inc->deciding->cite, "附件1 一般(IV) poisoned_or_seriously_injured"));
    assert_int_equal(inc->n_facts_unknown, 7);
    assert_int_equal(inc->n_grade_history, 1);
    assert_string_equal(inc->grade_history[0]->from, "");
    assert_string_equal(inc->grade_history[0]->to, "IV");
    assert_string_equal(inc->grade_history[0]->actor, "kt-eeb");
    assert_non_null(strstr(inc->grading_source, "国办函〔2014〕119号"));
    /* Reports (第三条第二款, unverified): initial due 4 h after discovery; the corps side
     * downstream may be affected, so the notice (第八条) is due now; final pending. */
    assert_true(inc->discovered_ms > 0);
    const Hl__ReportDuty *d = report_of(inc, "initial");
    assert_string_equal(d->state, "due");
    assert_int_equal(d->deadline_ms, inc->discovered_ms + 4 * 3600 * 1000LL);
    assert_false(d->verified);
    assert_string_equal(d->clause, "第三条第二款");
    assert_string_equal(report_of(inc, "notice")->state, "due");
    assert_string_equal(report_of(inc, "final")->state, "pending");
    assert_true(inc->grading_unverified); /* the duties' rows are unverified */
    int64_t discovered = inc->discovered_ms;
    hl__incident__free_unpacked(inc, NULL);

    /* 12000 evacuated (附件1 重大(2) 1万人以上5万人以下): II automatically; the initial report
     * is now due 2 h after discovery (第三条第三款, unverified). */
    Hl__IncidentFacts f = HL__INCIDENT_FACTS__INIT;
    f.incident_id = g_graded;
    f.evacuated_known_case = HL__INCIDENT_FACTS__EVACUATED_KNOWN_EVACUATED;
    f.evacuated = 12000;
    f.basis = "county government count";
    inc = facts_call(&f, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    assert_string_equal(inc->grade, "II");
    assert_string_equal(inc->grade_by_facts, "II");
    assert_string_equal(inc->deciding->type, "evacuated");
    assert_int_equal(inc->n_criteria_met, 2); /* evacuated (II), poisoned (IV) */
    assert_string_equal(inc->criteria_met[1]->type, "poisoned_or_seriously_injured");
    assert_int_equal(inc->n_grade_history, 2);
    assert_string_equal(inc->grade_history[1]->from, "IV");
    assert_string_equal(inc->grade_history[1]->to, "II");
    assert_true(inc->grade_history[1]->automatic);
    assert_string_equal(inc->grade_history[1]->actor, "test");
    assert_non_null(strstr(inc->grade_history[1]->criterion, "重大(II) evacuated"));
    assert_int_equal(report_of(inc, "initial")->deadline_ms, discovered + 2 * 3600 * 1000LL);
    assert_int_equal(inc->facts->evacuated, 12000);
    assert_int_equal(inc->facts->poisoned_or_seriously_injured, 2);
    hl__incident__free_unpacked(inc, NULL);
    assert_int_equal(graded_events(sub, g_graded, 1000), 2); /* opened IV, raised to II */

    /* Refusals, each naming the field. */
    Hl__RegradeRequest rg = HL__REGRADE_REQUEST__INIT;
    rg.incident_id = g_graded;
    rg.grade = "III";
    rg.actor = "duty-officer-1";
    rg.reason = "";
    assert_null(incident_call("alert.regrade", &rg.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "regrade.reason");
    rg.reason = "evacuation was precautionary; county confirms 3000 moved";
    rg.actor = "";
    assert_null(incident_call("alert.regrade", &rg.base, &rc, field, sizeof field));
    assert_string_equal(field, "regrade.actor");
    rg.actor = "duty-officer-1";
    rg.grade = "V";
    assert_null(incident_call("alert.regrade", &rg.base, &rc, field, sizeof field));
    assert_string_equal(field, "regrade.grade");
    rg.grade = "II";
    assert_null(incident_call("alert.regrade", &rg.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_ESTATE);
    rg.incident_id = "inc-none";
    rg.grade = "III";
    assert_null(incident_call("alert.regrade", &rg.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "regrade.incident_id");

    /* Down by a duty officer, with the reason: III; the deciding criterion names the officer;
     * the initial report's deadline does not loosen. */
    rg.incident_id = g_graded;
    inc = incident_call("alert.regrade", &rg.base, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    assert_string_equal(inc->grade, "III");
    assert_string_equal(inc->deciding->type, "duty_officer");
    assert_string_equal(inc->deciding->value, "duty-officer-1");
    assert_string_equal(inc->grade_history[2]->reason, rg.reason);
    assert_false(inc->grade_history[2]->automatic);
    assert_int_equal(report_of(inc, "initial")->deadline_ms, discovered + 2 * 3600 * 1000LL);
    hl__incident__free_unpacked(inc, NULL);

    /* The same facts again do not undo the officer's decision; the record shows what the
     * facts give. */
    inc = facts_call(&f, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    assert_string_equal(inc->grade, "III");
    assert_string_equal(inc->grade_by_facts, "II");
    assert_string_equal(inc->deciding->type, "duty_officer");
    hl__incident__free_unpacked(inc, NULL);

    /* Facts that get worse raise it: 30 deaths (附件1 特别重大(1) 30人以上死亡) → I. */
    Hl__IncidentFacts f2 = HL__INCIDENT_FACTS__INIT;
    f2.incident_id = g_graded;
    f2.deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
    f2.deaths = 30;
    inc = facts_call(&f2, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    assert_string_equal(inc->grade, "I");
    assert_string_equal(inc->deciding->type, "deaths");
    assert_string_equal(inc->grade_history[inc->n_grade_history - 1]->from, "III");
    hl__incident__free_unpacked(inc, NULL);
    /* A correction to 29 deaths (附件1 重大(1)) never lowers it by itself. */
    f2.deaths = 29;
    inc = facts_call(&f2, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    assert_string_equal(inc->grade, "I");
    assert_string_equal(inc->grade_by_facts, "II");
    hl__incident__free_unpacked(inc, NULL);

    /* Bad facts name their field. Zero is a fact ("0 deaths"), not "unknown". */
    Hl__IncidentFacts bad = HL__INCIDENT_FACTS__INIT;
    bad.incident_id = g_graded;
    bad.cross_known_case = HL__INCIDENT_FACTS__CROSS_KNOWN_CROSS_BOUNDARY;
    bad.cross_boundary = "planet";
    assert_null(facts_call(&bad, &rc, field, sizeof field));
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "facts.cross_boundary");
    bad.cross_known_case = HL__INCIDENT_FACTS__CROSS_KNOWN__NOT_SET;
    bad.loss_known_case = HL__INCIDENT_FACTS__LOSS_KNOWN_DIRECT_ECONOMIC_LOSS_YUAN;
    bad.direct_economic_loss_yuan = -5;
    assert_null(facts_call(&bad, &rc, field, sizeof field));
    assert_string_equal(field, "facts.direct_economic_loss_yuan");
    bad.loss_known_case = HL__INCIDENT_FACTS__LOSS_KNOWN__NOT_SET;
    assert_null(facts_call(&bad, &rc, field, sizeof field));
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "facts");
    bad.incident_id = "inc-none";
    bad.deaths_known_case = HL__INCIDENT_FACTS__DEATHS_KNOWN_DEATHS;
    bad.deaths = 0;
    assert_null(facts_call(&bad, &rc, field, sizeof field));
    assert_int_equal(rc, HL_ENOTFOUND);
    assert_string_equal(field, "facts.incident_id");

    /* Reports done: the initial one; again is refused; an unknown one too; not in the
     * future. */
    Hl__ReportDone rd = HL__REPORT_DONE__INIT;
    rd.incident_id = g_graded;
    rd.report_id = "initial";
    rd.actor = "kt-eeb-duty";
    inc = incident_call("alert.report_done", &rd.base, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    d = report_of(inc, "initial");
    assert_string_equal(d->state, "done");
    assert_string_equal(d->done_by, "kt-eeb-duty");
    assert_false(d->late);
    hl__incident__free_unpacked(inc, NULL);
    assert_null(incident_call("alert.report_done", &rd.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_ESTATE);
    assert_string_equal(field, "report_done.report_id");
    rd.report_id = "interim";
    assert_null(incident_call("alert.report_done", &rd.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_ENOTFOUND);
    rd.report_id = "notice";
    rd.done_ms = INT64_C(4000000000000); /* year 2096 */
    assert_null(incident_call("alert.report_done", &rd.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "report_done.done_ms");

    /* After the initial report, new facts owe a follow-up (第十二条, unverified). */
    Hl__IncidentFacts f3 = HL__INCIDENT_FACTS__INIT;
    f3.incident_id = g_graded;
    f3.drinking_known_case = HL__INCIDENT_FACTS__DRINKING_KNOWN_DRINKING_WATER_INTERRUPTION;
    f3.drinking_water_interruption = "none";
    inc = facts_call(&f3, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    d = report_of(inc, "followup-1");
    assert_string_equal(d->state, "due");
    assert_non_null(strstr(d->why, "drinking_water_interruption ? → none"));
    hl__incident__free_unpacked(inc, NULL);

    /* A report's facts are checked like alert.facts, naming report.facts.<fact>. */
    Hl__IncidentReport brp = HL__INCIDENT_REPORT__INIT;
    brp.substance = "石油类";
    brp.chainage_km = 28;
    Hl__IncidentFacts bf = HL__INCIDENT_FACTS__INIT;
    bf.ecology_known_case = HL__INCIDENT_FACTS__ECOLOGY_KNOWN_ECOLOGY;
    bf.ecology = "sad fish";
    brp.facts = &bf;
    assert_null(incident_call("alert.report", &brp.base, &rc, field, sizeof field));
    assert_int_equal(rc, HL_EINVAL);
    assert_string_equal(field, "report.facts.ecology");

    /* The record keeps the newest 64 grade changes (INCGRADE_HISTORY_MAX; the audit keeps
     * all): 70 officer regrades alternate II and III. */
    size_t hist = 0;
    for (int i = 0; i < 70; i++) {
        Hl__RegradeRequest q = HL__REGRADE_REQUEST__INIT;
        q.incident_id = g_graded;
        q.grade = i % 2 ? "III" : "II";
        q.actor = "duty-officer-2";
        char reason[32];
        snprintf(reason, sizeof reason, "round %d", i);
        q.reason = reason;
        inc = incident_call("alert.regrade", &q.base, &rc, field, sizeof field);
        assert_int_equal(rc, 0);
        hist = inc->n_grade_history;
        if (i == 69)
            assert_string_equal(inc->grade_history[hist - 1]->reason, "round 69");
        hl__incident__free_unpacked(inc, NULL);
    }
    assert_int_equal(hist, 64);
    /* Back to I by the officer for what follows. */
    Hl__RegradeRequest back = HL__REGRADE_REQUEST__INIT;
    back.incident_id = g_graded;
    back.grade = "I";
    back.actor = "duty-officer-2";
    back.reason = "30 deaths confirmed";
    inc = incident_call("alert.regrade", &back.base, &rc, field, sizeof field);
    assert_int_equal(rc, 0);
    hl__incident__free_unpacked(inc, NULL);

    /* The list shows the same record. */
    Hl__IncidentList *l = incidents(g_graded);
    assert_int_equal(l->n_incidents, 1);
    assert_string_equal(l->incidents[0]->grade, "I");
    assert_string_equal(report_of(l->incidents[0], "initial")->state, "done");
    assert_string_equal(report_of(l->incidents[0], "followup-1")->state, "due");
    hl__incident_list__free_unpacked(l, NULL);
    /* officer's III, facts' I, 70 officer regrades and the last one */
    assert_int_equal(graded_events(sub, g_graded, 500), 2 + 70 + 1);
    zmq_close(sub);
}

/* One incident per release (services/alert/link.h): toluene (GB 3838-2002 表3 item 20,
 * 0.7 mg/L) reported at the Dushanzi Petrochemical outfall, km 22, at T1 for 30 min. */
#define T1 (T0 + 2 * 24 * 60 * MINUTE)
static void test_reading_links_to_report(void **state)
{
    (void)state;
    Hl__IncidentReport rp = HL__INCIDENT_REPORT__INIT;
    rp.report_id = "rep-link";
    rp.source_id = "rs-dsz-petro";
    rp.substance = "toluene";
    rp.chainage_km = 22;
    rp.mass_kg = 800;
    rp.duration_s = 1800;
    rp.started_ms = T1;
    rp.reporter_unit = "dsz-petro-ert";
    int rc;
    Hl__Incident *inc = incident_call("alert.report", &rp.base, &rc, NULL, 0);
    assert_int_equal(rc, 0);
    char id[HL_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", inc->id);
    assert_int_equal(inc->release_ms, T1);
    hl__incident__free_unpacked(inc, NULL);
    Hl__IncidentList *l = incidents(NULL);
    size_t before = l->n_incidents;
    hl__incident_list__free_unpacked(l, NULL);

    /* st-dsz-down (km 25) 30 min later: 3 km at 1.5 m/s = 33 min, window T1 − 13 min ..
     * T1 + 160 min. 1.4 mg/L = 1 × over (黄) attaches to the report instead of opening. */
    reading_reply r = reading("st-dsz-down", "甲苯", 1.4, "mg/L", T1 + 30 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->exceeded);
    assert_true(r.res->linked);
    assert_false(r.res->incident_opened);
    assert_string_equal(r.res->incident_id, id);
    assert_true(r.res->alert_id[0] != '\0'); /* the playbook re-anchors on it */
    assert_non_null(strstr(r.res->link_reason, "released at km 22.0"));
    reading_free(&r);
    /* A second, higher reading of the same episode: same incident, level 红. */
    r = reading("st-dsz-down", "甲苯", 8.0, "mg/L", T1 + 40 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.res->incident_id, id);
    assert_string_equal(r.res->warning_level, "红");
    reading_free(&r);
    /* The corps section at km 36 (新渠首) 3 h later: 14 km, window from T1 + 48 min to
     * T1 + 8.8 h; same incident, second episode. */
    r = reading("st-xinqushou", "甲苯", 0.9, "mg/L", T1 + 180 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->linked);
    assert_string_equal(r.res->incident_id, id);
    reading_free(&r);
    /* 车排子 (km 95) one hour after the release: the fastest front needs ~37 h through the
     * reservoirs; this cannot be that release: a new incident opens. */
    r = reading("st-chepaizi", "甲苯", 0.9, "mg/L", T1 + 60 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_false(r.res->linked);
    assert_true(r.res->incident_opened);
    assert_string_not_equal(r.res->incident_id, id);
    reading_free(&r);

    l = incidents(NULL);
    assert_int_equal(l->n_incidents, before + 1); /* only the 车排子 one */
    hl__incident_list__free_unpacked(l, NULL);
    l = incidents(id);
    inc = l->incidents[0];
    assert_string_equal(inc->origin, "report");
    assert_string_equal(inc->station_id, "st-dsz-down"); /* confirmed there first */
    assert_int_equal(inc->n_episodes, 2);
    assert_string_equal(inc->episodes[0]->station_id, "st-dsz-down");
    assert_true(inc->episodes[0]->linked);
    assert_int_equal(inc->episodes[0]->count, 2);
    assert_string_equal(inc->episodes[1]->station_id, "st-xinqushou");
    assert_string_equal(inc->episodes[1]->jurisdiction, "corps");
    assert_int_equal(inc->reading_count, 3);
    assert_float_equal(inc->peak_value_mg_l, 8.0, 1e-12);
    assert_int_equal(inc->first_exceedance_ms, T1 + 30 * MINUTE);
    assert_string_equal(inc->warning_level, "红");
    hl__incident_list__free_unpacked(l, NULL);
    /* Alerts of the incident: the report's, the linked first reading's, the 红 one's, and
     * the 新渠首 episode's. */
    Hl__AlertList *al = alerts(id);
    assert_int_equal(al->n_alerts, 4);
    assert_true(al->alerts[0]->reported);
    assert_false(al->alerts[1]->reported);
    assert_string_equal(al->alerts[1]->station_id, "st-dsz-down");
    hl__alert_list__free_unpacked(al, NULL);
}

/* At most the newest 256 open reported incidents of a substance are considered for a link
 * (handlers.c ALERT_LINK_MAX): with 260 reports of 乙苯 (GB 3838-2002 表3 item 21) at km 22,
 * one a minute, a reading at km 25 links to the newest (the latest release at the nearest
 * point), which a scan keeping the oldest 256 would miss. */
#define T2 (T0 + 5 * 24 * 60 * MINUTE)
static void test_link_considers_newest(void **state)
{
    (void)state;
    char last[HL_ID_MAX + 1] = "";
    for (int i = 0; i < 260; i++) {
        Hl__IncidentReport rp = HL__INCIDENT_REPORT__INIT;
        rp.substance = "乙苯";
        rp.chainage_km = 22;
        rp.started_ms = T2 + i * MINUTE;
        int rc;
        Hl__Incident *inc = incident_call("alert.report", &rp.base, &rc, NULL, 0);
        assert_int_equal(rc, 0);
        snprintf(last, sizeof last, "%s", inc->id);
        hl__incident__free_unpacked(inc, NULL);
    }
    reading_reply r = reading("st-dsz-down", "乙苯", 2.0, "mg/L", T2 + 270 * MINUTE);
    assert_int_equal(r.rc, 0);
    assert_true(r.res->linked);
    assert_string_equal(r.res->incident_id, last);
    reading_free(&r);
}

/* Against a drill clock running 10000 × real time, the initial report of a new incident
 * (4 h, 第三条第二款, unverified) is overdue after ~1.5 s of real time. */
static void test_overdue_on_drill_clock(void **state)
{
    (void)state;
    assert_int_equal(stop_program(F.pid), 0);
    F.pid = start_alert(HL_TEST_SOURCE_DIR "/playbooks", "--clock", "scale=10000");
    assert_int_equal(wait_ready(), 0);
    Hl__IncidentReport rp = HL__INCIDENT_REPORT__INIT;
    rp.report_id = "rep-clock";
    rp.substance = "氨氮";
    rp.chainage_km = 50;
    rp.reporter_unit = "xj7-eeb";
    int rc;
    Hl__Incident *inc = incident_call("alert.report", &rp.base, &rc, NULL, 0);
    assert_int_equal(rc, 0);
    char id[HL_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", inc->id);
    assert_string_equal(report_of(inc, "initial")->state, "due");
    hl__incident__free_unpacked(inc, NULL);
    sleep_ms(2000); /* 20 000 s of drill time > 4 h */
    Hl__IncidentList *l = incidents(id);
    assert_int_equal(l->n_incidents, 1);
    assert_string_equal(report_of(l->incidents[0], "initial")->state, "overdue");
    /* km 50 is corps; the only local point below is the 甘家湖 reserve (km 210): notice due. */
    assert_string_equal(report_of(l->incidents[0], "notice")->state, "due");
    hl__incident_list__free_unpacked(l, NULL);
    /* Done now: done and late. */
    Hl__ReportDone rd = HL__REPORT_DONE__INIT;
    rd.incident_id = id;
    rd.report_id = "initial";
    inc = incident_call("alert.report_done", &rd.base, &rc, NULL, 0);
    assert_int_equal(rc, 0);
    assert_true(report_of(inc, "initial")->late);
    assert_string_equal(report_of(inc, "initial")->done_by, "test"); /* the sender */
    hl__incident__free_unpacked(inc, NULL);
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

/* Start alert on playbooks (with an optional option), expect exit status 2 within 5 s and
 * want in what it wrote (F.log is emptied first). */
static void expect_exit_2(const char *playbooks, const char *opt, const char *val, const char *want)
{
    FILE *f = fopen(F.log, "w"); /* this start's messages only */
    if (f)
        fclose(f);
    pid_t pid = start_alert(playbooks, opt, val);
    int st = 0;
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) != pid; i++)
        sleep_ms(25);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 2) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("alert did not exit 2 (wanted '%s')", want);
    }
    f = fopen(F.log, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    if (!strstr(text, want))
        fail_msg("message '%s' lacks '%s'", text, want);
}

static void test_bad_data_file_exits_2(void **state)
{
    (void)state;
    /* A playbooks folder with copies of the reference tables, one broken at a time; each
     * start exits 2 naming file:line: field. */
    char pb[400], ref[420], path[480];
    snprintf(pb, sizeof pb, "%s/pb", F.dir);
    snprintf(ref, sizeof ref, "%s/reference", pb);
    assert_int_equal(mkdir(pb, 0700), 0);
    assert_int_equal(mkdir(ref, 0700), 0);
    snprintf(path, sizeof path, "%s/kuitun", pb);
    assert_int_equal(symlink(HL_TEST_SOURCE_DIR "/playbooks/kuitun", path), 0);
    static const struct {
        const char *file; /* in playbooks/reference */
        int line;         /* replaced by text (0: none) */
        const char *text, *want;
    } cases[] = {
        /* GB 3838 表1 item 3 溶解氧 with a class II limit that is not a number. */
        {"gb3838_2002_surface_water_limits.csv", 4,
         "表1 基本项目,3,溶解氧,mg/L,>=,7.5,six,5.0,3.0,2.0,,,x,DO,any,yes\n",
         "gb3838_2002_surface_water_limits.csv:4: II: 'six' is not a number"},
        /* A grading criterion of grade "V". */
        {"incident_grading_national_plan_2014.csv", 3,
         "特别重大,V,deaths,x,100,,人,s,poisoned_or_seriously_injured,,yes\n",
         "incident_grading_national_plan_2014.csv:3: roman: 'V' is not I, II, III or IV"},
        /* The first reporting duty with 0 hours. */
        {"reporting_duties.csv", 29, "initial,IV;III,discovered,0,r,q,c,s,no\n",
         "reporting_duties.csv:29: deadline_h: 0 is not in (0, 720] hours"},
    };
    static const char *const files[] = {
        "gb3838_2002_surface_water_limits.csv", "warning_levels.csv",
        "incident_grading_national_plan_2014.csv", "reporting_duties.csv"};
    /* The children of this case write to their own log, so the running service's log
     * stays whole for the sanitizer check. */
    char main_log[sizeof F.log];
    memcpy(main_log, F.log, sizeof main_log);
    snprintf(F.log, sizeof F.log, "%s/bad-data.log", F.dir);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
            char src[512];
            snprintf(src, sizeof src, HL_TEST_SOURCE_DIR "/playbooks/reference/%s", files[k]);
            snprintf(path, sizeof path, "%s/%s", ref, files[k]);
            int broken = strcmp(files[k], cases[c].file) == 0;
            copy_with_line(src, path, broken ? cases[c].line : 0, broken ? cases[c].text : "");
        }
        expect_exit_2(pb, NULL, NULL, cases[c].want);
    }
    /* A bad option exits 2 as well. */
    expect_exit_2(HL_TEST_SOURCE_DIR "/playbooks", "--quiet-hours", "-3", "--quiet-hours");
    memcpy(F.log, main_log, sizeof F.log);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_episode_over_the_wire),
        cmocka_unit_test(test_upstream_from_risk),
        cmocka_unit_test(test_bad_readings),
        cmocka_unit_test(test_undecodable_envelope),
        cmocka_unit_test(test_report_and_trigger),
        cmocka_unit_test(test_limits_over_the_wire),
        cmocka_unit_test(test_restart_keeps_episode),
        cmocka_unit_test(test_peak_updates),
        cmocka_unit_test(test_grade_and_duties),
        cmocka_unit_test(test_reading_links_to_report),
        cmocka_unit_test(test_link_considers_newest),
        cmocka_unit_test(test_overdue_on_drill_clock),
        cmocka_unit_test(test_bad_data_file_exits_2),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
