/* stock_rm_test — the inter-agency request chain (services/stock/rm.h) against OASIS EDXL-RM
 * 1.0: every (state, step, answer) against the diagram, the Provisional rule of
 * ResponseInformationType, offers and commitments within what was asked, and the element
 * names and values of three real EDXL-RM messages (tests/data/edxl-rm, XchangeCore fixtures). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "rm.h"

#define RM_DATA HL_TEST_SOURCE_DIR "/tests/data/edxl-rm/"

/* Every transition: EDXL-RM keeps request, response, commitment and report apart. */
static void stock_rm_transitions(void **state)
{
    (void)state;
    enum { X = -1 };
    static const struct {
        stock_rm_state from;
        stock_rm_step step;
        stock_rm_answer answer;
        int to; /* X: refused */
    } cases[] = {
        {STOCK_RM_REQUESTED, STOCK_RM_RESPOND, STOCK_RM_ACCEPT, STOCK_RM_ACCEPTED},
        {STOCK_RM_REQUESTED, STOCK_RM_RESPOND, STOCK_RM_DECLINE, STOCK_RM_DECLINED},
        {STOCK_RM_REQUESTED, STOCK_RM_RESPOND, STOCK_RM_PROVISIONAL_ANSWER, STOCK_RM_PROVISIONAL},
        {STOCK_RM_PROVISIONAL, STOCK_RM_RESPOND, STOCK_RM_ACCEPT, STOCK_RM_ACCEPTED},
        {STOCK_RM_PROVISIONAL, STOCK_RM_RESPOND, STOCK_RM_DECLINE, STOCK_RM_DECLINED},
        {STOCK_RM_PROVISIONAL, STOCK_RM_RESPOND, STOCK_RM_PROVISIONAL_ANSWER, STOCK_RM_PROVISIONAL},
        {STOCK_RM_ACCEPTED, STOCK_RM_RESPOND, STOCK_RM_DECLINE, X},
        {STOCK_RM_DECLINED, STOCK_RM_RESPOND, STOCK_RM_ACCEPT, X},
        {STOCK_RM_COMMITTED, STOCK_RM_RESPOND, STOCK_RM_ACCEPT, X},
        /* A commitment needs an answer first (the XchangeCore fixture commits straight after
         * the request, with the answer inside CommitResource; hazlink keeps the
         * ResponseToRequestResource step apart, as the issue asks). */
        {STOCK_RM_REQUESTED, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, X},
        {STOCK_RM_ACCEPTED, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, STOCK_RM_COMMITTED},
        {STOCK_RM_PROVISIONAL, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, STOCK_RM_COMMITTED},
        {STOCK_RM_DECLINED, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, X},
        {STOCK_RM_COMMITTED, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, X},
        {STOCK_RM_FULFILLED, STOCK_RM_COMMIT, STOCK_RM_ACCEPT, X},
        {STOCK_RM_COMMITTED, STOCK_RM_FULFIL, STOCK_RM_ACCEPT, STOCK_RM_FULFILLED},
        {STOCK_RM_ACCEPTED, STOCK_RM_FULFIL, STOCK_RM_ACCEPT, X},
        {STOCK_RM_REQUESTED, STOCK_RM_FULFIL, STOCK_RM_ACCEPT, X},
        {STOCK_RM_FULFILLED, STOCK_RM_FULFIL, STOCK_RM_ACCEPT, X},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        stock_rm_state to = (stock_rm_state)99;
        int rc = stock_rm_transition(cases[i].from, cases[i].step, cases[i].answer, &to);
        if (cases[i].to == X) {
            if (rc != HL_ESTATE || to != 99)
                fail_msg("case %zu: %s step %d should be refused", i,
                         stock_rm_state_name(cases[i].from), cases[i].step);
        } else if (rc != 0 || (int)to != cases[i].to) {
            fail_msg("case %zu: %s step %d: rc %d to %s, want %s", i,
                     stock_rm_state_name(cases[i].from), cases[i].step, rc, stock_rm_state_name(to),
                     stock_rm_state_name((stock_rm_state)cases[i].to));
        }
    }
    for (int s = 0; s < STOCK_RM_STATE_N; s++) {
        stock_rm_state back;
        assert_int_equal(stock_rm_state_parse(stock_rm_state_name((stock_rm_state)s), &back), 0);
        assert_int_equal(back, s);
    }
    stock_rm_state back;
    assert_int_equal(stock_rm_state_parse("cancelled", &back), HL_EINVAL);
    assert_string_equal(stock_rm_state_name(STOCK_RM_STATE_N), "?");
}

/* EDXL-RM 1.0 EDXL-RMCommonTypes.xsd, ResponseInformationType: "If the ResponseType element
 * has the value "Provisional", one (or both) of ReasonCode and ResponseReason must be
 * present". ResponseTypeType enumerates Accept, Decline, Provisional. */
static void stock_rm_answers(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        stock_rm_answer a;
    } names[] = {
        {"Accept", 0, STOCK_RM_ACCEPT},
        {"accept", 0, STOCK_RM_ACCEPT},
        {"Decline", 0, STOCK_RM_DECLINE},
        {"Provisional", 0, STOCK_RM_PROVISIONAL_ANSWER},
        {"PROVISIONAL", 0, STOCK_RM_PROVISIONAL_ANSWER},
        {"Maybe", HL_EINVAL, 0},
        {"", HL_EINVAL, 0},
        {NULL, HL_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        stock_rm_answer a = (stock_rm_answer)9;
        assert_int_equal(stock_rm_answer_parse(names[i].in, &a), names[i].rc);
        if (names[i].rc == 0)
            assert_int_equal(a, names[i].a);
    }
    assert_string_equal(stock_rm_answer_name(STOCK_RM_ACCEPT), "Accept");
    assert_string_equal(stock_rm_answer_name(STOCK_RM_DECLINE), "Decline");
    assert_string_equal(stock_rm_answer_name(STOCK_RM_PROVISIONAL_ANSWER), "Provisional");
    assert_int_equal(stock_rm_answer_check(STOCK_RM_PROVISIONAL_ANSWER, NULL, NULL), HL_EINVAL);
    assert_int_equal(stock_rm_answer_check(STOCK_RM_PROVISIONAL_ANSWER, "", ""), HL_EINVAL);
    assert_int_equal(stock_rm_answer_check(STOCK_RM_PROVISIONAL_ANSWER, "PARTIAL", NULL), 0);
    assert_int_equal(stock_rm_answer_check(STOCK_RM_PROVISIONAL_ANSWER, NULL, "only 4 t"), 0);
    assert_int_equal(stock_rm_answer_check(STOCK_RM_ACCEPT, NULL, NULL), 0);
    assert_int_equal(stock_rm_answer_check(STOCK_RM_DECLINE, NULL, NULL), 0);
}

static stock_need nd(const char *m, double q)
{
    stock_need n;
    memset(&n, 0, sizeof n);
    snprintf(n.material_id, sizeof n.material_id, "%s", m);
    n.quantity = q;
    return n;
}

static void stock_rm_within_asked(void **state)
{
    (void)state;
    stock_need asked[] = {nd("activated-carbon", 5), nd("sandbag", 500)};
    stock_need ok[] = {nd("activated-carbon", 4), nd("sandbag", 500)};
    stock_need split[] = {nd("sandbag", 300), nd("sandbag", 200)};
    stock_need over_split[] = {nd("sandbag", 300), nd("sandbag", 201)};
    stock_need other[] = {nd("boom", 1)};
    size_t bad = 99;
    assert_int_equal(stock_rm_within(ok, 2, asked, 2, &bad), 0);
    assert_int_equal(stock_rm_within(split, 2, asked, 2, &bad), 0);
    assert_int_equal(stock_rm_within(NULL, 0, asked, 2, &bad), 0);
    /* Totals per material count, not single lines. */
    assert_int_equal(stock_rm_within(over_split, 2, asked, 2, &bad), HL_ESTATE);
    assert_int_equal(bad, 0);
    assert_int_equal(stock_rm_within(other, 1, asked, 2, &bad), HL_EINVAL);
    assert_int_equal(bad, 0);
    assert_int_equal(stock_rm_within(asked, 2, ok, 2, &bad), HL_ESTATE);
    assert_int_equal(bad, 0);
}

/* ---- The element values of real EDXL-RM messages ---- */

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open %s", path);
    static char buf[64 * 1024];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    char *copy = malloc(n + 1);
    assert_non_null(copy);
    memcpy(copy, buf, n + 1);
    return copy;
}

/* Text of the k-th (0-based) element named <prefix:name> in xml, trimmed, into out. */
static int element(const char *xml, const char *qname, int k, char *out, size_t n)
{
    char open[96], close[96];
    snprintf(open, sizeof open, "<%s>", qname);
    snprintf(close, sizeof close, "</%s>", qname);
    const char *p = xml;
    for (int i = 0; i <= k; i++) {
        p = strstr(p, open);
        if (!p)
            return 0;
        p += strlen(open);
    }
    const char *e = strstr(p, close);
    if (!e)
        return 0;
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    snprintf(out, n, "%.*s", (int)(e - p), p);
    return 1;
}

static void stock_rm_edxl_fixtures(void **state)
{
    (void)state;
    char v[256], req_id[256];
    char *rq = slurp(RM_DATA "RequestResource.1.xml");
    char *cm = slurp(RM_DATA "CommitResource.1.xml");
    char *dc = slurp(RM_DATA "CommitResource-Decline.xml");

    /* A request names itself as the origin of its chain; its type and schedule are ours. */
    assert_true(element(rq, "rmsg:MessageContentType", 0, v, sizeof v));
    assert_string_equal(v, stock_rm_message_type(1, STOCK_RM_RESPOND));
    assert_true(element(rq, "rmsg:MessageID", 0, req_id, sizeof req_id));
    assert_true(element(rq, "rmsg:OriginatingMessageID", 0, v, sizeof v));
    assert_string_equal(v, req_id);
    assert_false(element(rq, "rmsg:PrecedingMessageID", 0, v, sizeof v));
    assert_true(element(rq, "rmsg:ScheduleType", 0, v, sizeof v));
    assert_string_equal(v, "RequestedArrival"); /* ResourceStep.schedule_type of a request */

    /* The commitment: its own MessageID, the request as origin and as preceding message,
     * each resource line answering the request's line by PrecedingResourceInfoElementID. */
    assert_true(element(cm, "rmsg:MessageContentType", 0, v, sizeof v));
    assert_string_equal(v, stock_rm_message_type(0, STOCK_RM_COMMIT));
    assert_true(element(cm, "rmsg:OriginatingMessageID", 0, v, sizeof v));
    assert_string_equal(v, req_id);
    assert_true(element(cm, "rmsg:PrecedingMessageID", 0, v, sizeof v));
    assert_string_equal(v, req_id);
    assert_true(element(cm, "rmsg:MessageID", 0, v, sizeof v));
    assert_string_not_equal(v, req_id);
    assert_true(element(rq, "rmsg:ResourceInfoElementID", 0, req_id, sizeof req_id));
    assert_true(element(cm, "rm:PrecedingResourceInfoElementID", 0, v, sizeof v));
    assert_string_equal(v, req_id);
    for (int k = 0; k < 2; k++) {
        stock_rm_answer a;
        assert_true(element(cm, "rm:ResponseType", k, v, sizeof v));
        assert_int_equal(stock_rm_answer_parse(v, &a), 0);
        assert_int_equal(a, STOCK_RM_ACCEPT);
        assert_string_equal(stock_rm_answer_name(a), v);
    }
    assert_true(element(cm, "rmsg:ScheduleType", 0, v, sizeof v));
    assert_string_equal(v, "Committed"); /* ResourceStep.schedule_type of a commitment */

    /* The declining message: Decline parses, and the chain still points at the request. */
    stock_rm_answer a;
    assert_true(element(dc, "rm:ResponseType", 0, v, sizeof v));
    assert_int_equal(stock_rm_answer_parse(v, &a), 0);
    assert_int_equal(a, STOCK_RM_DECLINE);
    assert_true(element(dc, "rmsg:OriginatingMessageID", 0, v, sizeof v));
    assert_string_equal(v, "RequestResource.1");
    free(rq);
    free(cm);
    free(dc);

    /* The step names hazlink stores, and their id prefixes. */
    assert_string_equal(stock_rm_message_type(0, STOCK_RM_RESPOND), "ResponseToRequestResource");
    assert_string_equal(stock_rm_message_type(0, STOCK_RM_FULFIL),
                        "ReportResourceDeploymentStatus");
    assert_string_equal(stock_rm_id_prefix(1, STOCK_RM_COMMIT), "rq");
    assert_string_equal(stock_rm_id_prefix(0, STOCK_RM_RESPOND), "rp");
    assert_string_equal(stock_rm_id_prefix(0, STOCK_RM_COMMIT), "cm");
    assert_string_equal(stock_rm_id_prefix(0, STOCK_RM_FULFIL), "ff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stock_rm_transitions),
        cmocka_unit_test(stock_rm_answers),
        cmocka_unit_test(stock_rm_within_asked),
        cmocka_unit_test(stock_rm_edxl_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
