/* risk_service_test — the risk service as a real process over ZeroMQ: upstream queries on the
 * shipped register, the list query, the grade query (HJ 941-2018 and GB 18218-2018 grades with
 * their figures), bad queries answered with the field named, and a register that disagrees
 * with a reference table refused at start with file:line. */
#include <fcntl.h>
#include <signal.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "gb18218.h"
#include "hj941.h"
#include "risk.pb-c.h"
#include "svc_fixture.h"

static int setup(void **state)
{
    return svc_fx_setup(state, "risk");
}

static Hl__RiskSourceList *upstream(svc_fx *f, double km, double within, const char *substance)
{
    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    q.chainage_km = km;
    q.within_km = within;
    q.substance = (char *)(substance ? substance : "");
    int rc =
        svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor, &out, NULL, 0);
    if (rc < 0)
        fprintf(stderr, "risk.upstream: %s\n", f->err);
    assert_int_equal(rc, 0);
    return (Hl__RiskSourceList *)out;
}

static void risk_service_upstream(void **state)
{
    svc_fx *f = *state;
    /* Benzene at 黄沟二库 (km 52): the park outfall at km 28 (24 km up), then Dushanzi
     * Petrochemical at km 22 (30 km up); the corps park at km 75 lies downstream. */
    Hl__RiskSourceList *l = upstream(f, 52, 0, "苯");
    assert_int_equal(l->n_sources, 2);
    assert_false(l->truncated);
    assert_string_equal(l->sources[0]->id, "rs-kd-etdz");
    assert_float_equal(l->sources[0]->distance_km, 24, 1e-9);
    assert_null(l->sources[0]->location);
    assert_non_null(strstr(l->sources[0]->location_note, "No coordinates found"));
    const Hl__RiskSource *p = l->sources[1];
    assert_string_equal(p->id, "rs-dsz-petro");
    assert_float_equal(p->outfall_chainage_km, 22, 0);
    assert_string_equal(p->unit_id, "dsz-petro-ert");
    assert_string_equal(p->jurisdiction, "local");
    assert_non_null(p->location);
    assert_non_null(strstr(p->location->confidence, "proxy"));
    assert_true(p->assumption[0] != '\0');
    /* GB 18218-2018 表1 序号57 苯 50 t; HJ 941-2018 附录A 苯 10 t [unverified]. */
    assert_string_equal(p->substances[0]->name, "苯");
    assert_float_equal(p->substances[0]->critical_quantity_t, 50, 0);
    assert_false(p->substances[0]->unverified);
    assert_float_equal(p->substances[0]->hj941_critical_quantity_t, 10, 0);
    assert_true(p->substances[0]->hj941_unverified);
    assert_true(p->substances[0]->max_quantity_assumed);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    /* Within 5 km of the st-dsz-down station (km 25): only the refinery (3 km). */
    l = upstream(f, 25, 5, NULL);
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* Crude oil by an alias, from 车排子 (km 95): only the refinery holds it. */
    l = upstream(f, 95, 0, "石油类");
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* Everything from far downstream, nearest first. */
    l = upstream(f, 210, 0, NULL);
    assert_int_equal(l->n_sources, 3);
    assert_string_equal(l->sources[0]->id, "rs-hyh-etdz");
    assert_string_equal(l->sources[2]->id, "rs-dsz-petro");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* COD (化学需氧量) is no registered substance: not used to filter, and the note says so. */
    l = upstream(f, 52, 0, "化学需氧量");
    assert_int_equal(l->n_sources, 2);
    assert_non_null(strstr(l->note, "'化学需氧量' is not in the register's substance table"));
    protobuf_c_message_free_unpacked(&l->base, NULL);
    l = upstream(f, 52, 0, "甲醇"); /* known: only the park at km 28 holds it upstream */
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->note, "");
    protobuf_c_message_free_unpacked(&l->base, NULL);
    /* At 老龙口 (km 14), above every outfall: none. */
    l = upstream(f, 14, 0, NULL);
    assert_int_equal(l->n_sources, 0);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

static void risk_service_list_and_bad_queries(void **state)
{
    svc_fx *f = *state;
    Hl__ListQuery lq = HL__LIST_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    char field[128];
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    Hl__RiskSourceList *l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 3);
    assert_string_equal(l->sources[0]->id, "rs-dsz-petro");
    assert_string_equal(l->sources[2]->jurisdiction, "corps");
    protobuf_c_message_free_unpacked(out, NULL);
    lq.unit_id = "xj7-eeb";
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 1);
    assert_string_equal(l->sources[0]->id, "rs-hyh-etdz");
    protobuf_c_message_free_unpacked(out, NULL);
    lq.unit_id = "";
    lq.limit = 2;
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 2);
    assert_true(l->truncated);
    protobuf_c_message_free_unpacked(out, NULL);

    Hl__UpstreamQuery q = HL__UPSTREAM_QUERY__INIT;
    q.chainage_km = -1;
    assert_int_equal(svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor,
                                 &out, field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "upstream.chainage_km");
    q.chainage_km = 30;
    q.within_km = NAN;
    assert_int_equal(svc_fx_call(f, "risk.upstream", &q.base, &hl__risk_source_list__descriptor,
                                 &out, field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "upstream.within_km");
    lq.limit = 0;
    lq.id = "rs dsz";
    assert_int_equal(svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out,
                                 field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "query.id");
    /* Still answering after the refusals. */
    l = upstream(f, 30, 0, NULL);
    assert_int_equal(l->n_sources, 2);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

static void risk_service_grade(void **state)
{
    svc_fx *f = *state;
    Hl__RiskGradeQuery q = HL__RISK_GRADE_QUERY__INIT;
    ProtobufCMessage *out = NULL;
    char field[128];
    /* rs-kd-etdz (every input a hazlink assumption): HJ 941 Q = 5000/10 + 500/10 + 200/5 =
     * 590 (Q3), air E2-Q3-M2 and water E1-Q3-M2 both 重大 [unverified]; GB 18218 S = 40,
     * R = 1.5 × (10 + 10 + 2 × 20) = 90 → 二级 (表6 100 > R ≥ 50). */
    q.source_id = "rs-kd-etdz";
    int rc = svc_fx_call(f, "risk.grade", &q.base, &hl__risk_source__descriptor, &out, field,
                         sizeof field);
    if (rc < 0)
        fprintf(stderr, "risk.grade: %s\n", f->err);
    assert_int_equal(rc, 0);
    Hl__RiskSource *s = (Hl__RiskSource *)out;
    assert_string_equal(s->id, "rs-kd-etdz");
    assert_non_null(s->hj941);
    assert_float_equal(s->hj941->q, 590, 1e-9);
    assert_string_equal(s->hj941->label, "重大[重大-大气(Q3-M2-E2)+重大-水(Q3-M2-E1)]");
    assert_true(s->hj941->unverified);
    assert_true(s->hj941->inputs_assumed);
    assert_int_equal(s->hj941->n_terms, 3);
    assert_non_null(s->gb18218);
    assert_float_equal(s->gb18218->s, 40, 1e-9);
    assert_true(s->gb18218->major);
    assert_float_equal(s->gb18218->alpha, 1.5, 0);
    assert_float_equal(s->gb18218->r, 90, 1e-9);
    assert_int_equal(s->gb18218->grade, 2);
    assert_string_equal(s->gb18218->grade_name, "二级");
    assert_non_null(strstr(s->gb18218->terms[2]->beta_ref, "表3 氨 β=2"));
    protobuf_c_message_free_unpacked(out, NULL);

    q.source_id = "rs-nowhere";
    assert_int_equal(svc_fx_call(f, "risk.grade", &q.base, &hl__risk_source__descriptor, &out,
                                 field, sizeof field),
                     HL_ENOTFOUND);
    assert_string_equal(field, "grade.source_id");
    q.source_id = "rs dsz";
    assert_int_equal(svc_fx_call(f, "risk.grade", &q.base, &hl__risk_source__descriptor, &out,
                                 field, sizeof field),
                     HL_EINVAL);
    assert_string_equal(field, "grade.source_id");

    /* risk.list and risk.upstream carry the grades too. */
    Hl__ListQuery lq = HL__LIST_QUERY__INIT;
    lq.id = "rs-dsz-petro";
    assert_int_equal(
        svc_fx_call(f, "risk.list", &lq.base, &hl__risk_source_list__descriptor, &out, NULL, 0), 0);
    Hl__RiskSourceList *l = (Hl__RiskSourceList *)out;
    assert_int_equal(l->n_sources, 1);
    assert_int_equal(l->sources[0]->gb18218->grade, 1);
    assert_string_equal(l->sources[0]->hj941->level, "重大");
    protobuf_c_message_free_unpacked(out, NULL);
    l = upstream(f, 95, 0, NULL);
    assert_int_equal(l->n_sources, 3);
    for (size_t i = 0; i < l->n_sources; i++) {
        assert_non_null(l->sources[i]->hj941);
        assert_true(l->sources[i]->gb18218->graded);
    }
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

/* Copy src to dst with line `line` (1-based) replaced by text. */
static void copy_with_line(const char *src, const char *dst, int line, const char *text)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
    assert_non_null(in);
    assert_non_null(out);
    char buf[8192];
    for (int n = 1; fgets(buf, sizeof buf, in); n++)
        fputs(n == line ? text : buf, out);
    fclose(in);
    fclose(out);
}

static void risk_service_bad_table_refused(void **state)
{
    (void)state;
    /* A playbooks folder whose GB 18218 表1 says 苯 (序号57, line 58) is 40 t: the register's
     * 50 t no longer agrees, and the service refuses to start, naming both places. */
    char dir[] = "/tmp/risk_bad_table_XXXXXX", ref[128], path[256], log[160];
    assert_non_null(mkdtemp(dir));
    snprintf(ref, sizeof ref, "%s/reference", dir);
    assert_int_equal(mkdir(ref, 0700), 0);
    snprintf(path, sizeof path, "%s/kuitun", dir);
    assert_int_equal(symlink(HL_TEST_SOURCE_DIR "/playbooks/kuitun", path), 0);
    static const char *const same[] = {HJ941_FILE_SUBST, HJ941_FILE_MATRIX, HJ941_FILE_BANDS,
                                       GB18218_FILE_T24, GB18218_FILE_BAR};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, "%s/playbooks/reference/%s", HL_TEST_SOURCE_DIR, same[i]);
        snprintf(path, sizeof path, "%s/%s", ref, same[i]);
        assert_int_equal(symlink(src, path), 0);
    }
    snprintf(path, sizeof path, "%s/%s", ref, GB18218_FILE_T1);
    copy_with_line(HL_TEST_SOURCE_DIR "/playbooks/reference/" GB18218_FILE_T1, path, 58,
                   "57,苯,纯苯,71-43-2,40,苯,,test,yes\n");
    snprintf(log, sizeof log, "%s/risk.log", dir);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("HAZLINK_DATA", dir, 1);
        setenv("HAZLINK_PLAYBOOKS", dir, 1);
        /* A port of this test's own (the start should fail before binding it). */
        char port[16];
        snprintf(port, sizeof port, "%d", 20000 + (int)(getppid() % 2000) * 20 + 10);
        setenv("HAZLINK_BASE_PORT", port, 1);
        unsetenv("HAZLINK_CONFIG");
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(HL_TEST_BIN_DIR "/risk", "risk", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    for (int i = 0; i < 400 && waitpid(pid, &st, WNOHANG) != pid; i++)
        nanosleep(&(struct timespec){0, 25000000}, NULL);
    if (!WIFEXITED(st)) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("risk with a disagreeing table did not exit");
    }
    assert_int_equal(WEXITSTATUS(st), 1);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char text[4096] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    if (!strstr(text, "risk_sources.yaml:") ||
        !strstr(text, "gb18218.critical_quantity_t: 50 t, but GB 18218-2018 表1 序号57") ||
        !strstr(text, GB18218_FILE_T1 ":58) says 40 t") || strstr(text, "Sanitizer"))
        fail_msg("unexpected log: %s", text);
    /* Tidy up. */
    static const char *const files[] = {"kuitun", "risk.log"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", ref, same[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/%s", ref, GB18218_FILE_T1);
    unlink(path);
    rmdir(ref);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(risk_service_upstream, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(risk_service_list_and_bad_queries, setup, svc_fx_teardown),
        cmocka_unit_test_setup_teardown(risk_service_grade, setup, svc_fx_teardown),
        cmocka_unit_test(risk_service_bad_table_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
