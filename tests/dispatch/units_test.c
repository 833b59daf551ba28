/* Unit roster (services/dispatch/units.h): the shipped playbooks/kuitun/units.yaml, and every
 * refusal with its file:line: field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "units.h"

/* docs/protocol.md "Units": every id there must be in the roster with its side. */
static const struct {
    const char *id, *side;
} protocol_units[] = {
    {"xj7-eeb", "corps"},
    {"xj7-emb", "corps"},
    {"xj7-water", "corps"},
    {"reg-123", "corps"},
    {"reg-124", "corps"},
    {"reg-125", "corps"},
    {"reg-128", "corps"},
    {"reg-129", "corps"},
    {"reg-130", "corps"},
    {"reg-131", "corps"},
    {"kt-eeb", "local"},
    {"dsz-eeb", "local"},
    {"ws-eeb", "local"},
    {"kt-emb", "local"},
    {"dsz-emb", "local"},
    {"kt-water", "local"},
    {"dsz-petro-ert", "enterprise"},
};

static void test_shipped_roster(void **state)
{
    (void)state;
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/playbooks/kuitun/units.yaml", HL_TEST_SOURCE_DIR);
    units_roster *r = NULL;
    int rc = units_load(path, &r, err, sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    for (size_t i = 0; i < sizeof protocol_units / sizeof protocol_units[0]; i++) {
        const unit_info *u = units_find(r, protocol_units[i].id);
        if (!u)
            fail_msg("unit %s of docs/protocol.md is missing", protocol_units[i].id);
        assert_string_equal(u->side, protocol_units[i].side);
        assert_true(u->name[0] != '\0');
        /* No invented numbers: a duty text says in words how to reach the unit. */
        for (const char *p = u->duty; *p; p++)
            if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                p[2] <= '9' && p[3] >= '0' && p[3] <= '9')
                fail_msg("unit %s duty holds a number: %s", u->id, u->duty);
    }
    /* Who answers to whom (docs/protocol.md; units.yaml header). */
    const char *regs[] = {"reg-123", "reg-124", "reg-125", "reg-128",
                          "reg-129", "reg-130", "reg-131"};
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(units_find(r, regs[i])->reports_to, "xj7-emb");
    assert_string_equal(units_find(r, "xj7-eeb")->reports_to, "xj7-div");
    assert_string_equal(units_find(r, "xj7-emb")->reports_to, "xj7-div");
    assert_string_equal(units_find(r, "xj7-water")->reports_to, "xj7-div");
    assert_string_equal(units_find(r, "xj7-div")->reports_to, "");
    assert_string_equal(units_find(r, "kt-eeb")->reports_to, "kt-gov");
    assert_string_equal(units_find(r, "ws-eeb")->reports_to, "ws-gov");
    assert_string_equal(units_find(r, "dsz-eeb")->reports_to, "dsz-gov");
    assert_string_equal(units_find(r, "dsz-gov")->reports_to, "kmy-gov");
    /* The 123rd Regiment's place is unverified in the reference: the roster says so. */
    assert_non_null(strstr(units_find(r, "reg-123")->assumption, "unverified"));
    /* Every chain ends at a top of its own side's government (corps never reports to local). */
    for (size_t i = 0; i < r->n; i++) {
        const unit_info *u = &r->units[i];
        if (strcmp(u->side, "enterprise") == 0 || !u->reports_to[0])
            continue;
        assert_string_equal(units_find(r, u->reports_to)->side, u->side);
    }
    /* Escalation (units.yaml escalation section, escalation.h): a regiment's duty office,
     * then its deputy commander, then the division's emergency management bureau. */
    assert_int_equal(r->esc.enabled, 1);
    assert_int_equal(r->esc.timeout_min[ESC_RED], 5);
    assert_int_equal(r->esc.timeout_min[ESC_ORANGE], 10);
    assert_int_equal(r->esc.timeout_min[ESC_YELLOW], 15);
    assert_int_equal(r->esc.timeout_min[ESC_BLUE], 30);
    assert_int_equal(r->esc.repeats, 1);
    assert_int_equal(r->esc.default_level, ESC_YELLOW);
    assert_non_null(strstr(r->esc_assumption, "hazlink assumption"));
    char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1];
    size_t n = 0;
    for (size_t i = 0; i < 7; i++) {
        char cmd[32];
        snprintf(cmd, sizeof cmd, "%s-cmd", regs[i]);
        assert_int_equal(units_chain(r, regs[i], chain, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(chain[0], regs[i]);
        assert_string_equal(chain[1], cmd);
        assert_string_equal(chain[2], "xj7-emb");
        assert_non_null(strstr(units_find(r, cmd)->assumption, "hazlink"));
    }
    /* Without a list, the chain is the reports_to line upwards. */
    assert_int_equal(units_chain(r, "dsz-petro-ert", chain, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(chain[1], "dsz-emb");
    assert_string_equal(chain[2], "dsz-gov");
    assert_string_equal(chain[3], "kmy-gov");
    assert_int_equal(units_chain(r, "xj7-div", chain, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(units_chain(r, "nobody", chain, &n), HL_ENOTFOUND);
    assert_null(units_find(r, "nobody"));
    assert_null(units_find(r, ""));
    assert_null(units_find(r, NULL));
    units_destroy(&r);
    assert_null(r);
    units_destroy(&r);
    units_destroy(NULL);
}

#define U(id, to)                                                                                  \
    "  - id: " id "\n    name: 名\n    side: corps\n    reports_to: \"" to "\"\n    duty: "        \
    "office\n"

typedef struct bad_case {
    const char *name;
    const char *text;
    int rc;
    const char *err_prefix; /* start of the message: "t.yaml:LINE: field" */
} bad_case;

static const bad_case bad[] = {
    {"not a map", "- a\n", HL_EPARSE, "t.yaml:1:"},
    {"unknown top key", "unit:\n  - id: a\n", HL_EPARSE, "t.yaml:1: unit: unknown key"},
    {"empty roster", "units: []\n", HL_EPARSE, "t.yaml:1: units: empty"},
    {"unknown unit key", "units:\n" U("a", "") "    phone: 110\n", HL_EPARSE,
     "t.yaml:7: phone: unknown key"},
    {"missing name", "units:\n  - id: a\n    side: corps\n    reports_to: \"\"\n    duty: d\n",
     HL_EPARSE, "t.yaml:2: name"},
    {"bad id", "units:\n" U("a b", ""), HL_EPARSE, "t.yaml:2: id: 'a b'"},
    {"bad side",
     "units:\n  - id: a\n    name: n\n    side: army\n    reports_to: \"\"\n    duty: d\n",
     HL_EPARSE, "t.yaml:4: side: 'army'"},
    {"missing reports_to", "units:\n  - id: a\n    name: n\n    side: local\n    duty: d\n",
     HL_EPARSE, "t.yaml:2: reports_to: missing"},
    {"unknown reports_to", "units:\n" U("a", "") U("b", "zz"), HL_EPARSE,
     "t.yaml:10: reports_to: unknown unit 'zz'"},
    {"duplicate id", "units:\n" U("a", "") U("a", ""), HL_EPARSE,
     "t.yaml:7: id: 'a' repeats the unit of line 2"},
    {"self report", "units:\n" U("a", "a"), HL_EPARSE, "t.yaml:5: reports_to: unit 'a'"},
    {"cycle", "units:\n" U("a", "b") U("b", "a"), HL_EPARSE,
     "t.yaml:5: reports_to: the chain from 'a'"},
    {"escalation unknown unit", "units:\n" U("a", "") "    escalation: [zz]\n", HL_EPARSE,
     "t.yaml:7: escalation[0]: unknown unit 'zz'"},
    {"escalation to itself", "units:\n" U("a", "") U("b", "a") "    escalation: [a, b]\n",
     HL_EPARSE, "t.yaml:12: escalation[1]: a unit cannot escalate to itself"},
    {"escalation names a unit twice", "units:\n" U("a", "") U("b", "a") "    escalation: [a, a]\n",
     HL_EPARSE, "t.yaml:12: escalation[1]: 'a' is named twice"},
    {"escalation item not an id",
     "units:\n" U("a", "") U("b", "a") "    escalation:\n      - {after_min: 30, to: a}\n",
     HL_EPARSE, "t.yaml:13: escalation[0]: not a unit id"},
    {"escalation not a list", "units:\n" U("a", "") "    escalation: a\n", HL_EPARSE,
     "t.yaml:7: escalation"},
    {"section: unknown key", "escalation:\n  repeat: 1\nunits:\n" U("a", ""), HL_EPARSE,
     "t.yaml:2: repeat: unknown key"},
    {"section: timeouts missing",
     "escalation:\n  repeats: 1\n  default_level: 黄\nunits:\n" U("a", ""), HL_EPARSE,
     "t.yaml:2: escalation.ack_timeout_min: missing"},
    {"section: a level missing",
     "escalation:\n  ack_timeout_min: {红: 5, 橙: 10, 黄: 15}\n  repeats: 1\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EPARSE, "t.yaml:2: escalation.ack_timeout_min: no timeout for 蓝"},
    {"section: not a level",
     "escalation:\n  ack_timeout_min:\n    红: 5\n    紫: 10\n  repeats: 1\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EPARSE, "t.yaml:4: escalation.ack_timeout_min: '紫' is not a warning level"},
    {"section: a level twice",
     "escalation:\n  ack_timeout_min: {红: 5, red: 5, 橙: 10, 黄: 15, 蓝: 30}\n  repeats: 1\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EPARSE, "t.yaml:2: escalation.ack_timeout_min: 'red' is given twice"},
    {"section: minutes out of range",
     "escalation:\n  ack_timeout_min: {红: 0, 橙: 10, 黄: 15, 蓝: 30}\n  repeats: 1\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EINVAL, "t.yaml:2: 红"},
    {"section: red waits longer than yellow",
     "escalation:\n  ack_timeout_min: {红: 20, 橙: 10, 黄: 15, 蓝: 30}\n  repeats: 1\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EPARSE,
     "t.yaml:2: escalation.ack_timeout_min: timeout for 红 (20 min) is longer than for the less "
     "severe 橙"},
    {"section: repeats out of range",
     "escalation:\n  ack_timeout_min: {红: 5, 橙: 10, 黄: 15, 蓝: 30}\n  repeats: 6\n"
     "  default_level: 黄\nunits:\n" U("a", ""),
     HL_EINVAL, "t.yaml:3: repeats"},
    {"section: default level unknown",
     "escalation:\n  ack_timeout_min: {红: 5, 橙: 10, 黄: 15, 蓝: 30}\n  repeats: 1\n"
     "  default_level: grey\nunits:\n" U("a", ""),
     HL_EPARSE, "t.yaml:4: escalation.default_level: 'grey'"},
};

static void test_bad_rosters(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        units_roster *r = (units_roster *)1;
        int rc = units_load_mem("t.yaml", bad[i].text, strlen(bad[i].text), &r, err, sizeof err);
        if (rc != bad[i].rc || strncmp(err, bad[i].err_prefix, strlen(bad[i].err_prefix)) != 0)
            fail_msg("%s: rc %d want %d; err '%s' want '%s…'", bad[i].name, rc, bad[i].rc, err,
                     bad[i].err_prefix);
        assert_null(r);
    }
}

static void test_limits(void **state)
{
    (void)state;
    char err[512];
    units_roster *r = NULL;
    /* A name of HL_NAME_MAX bytes passes; one more byte is HL_ETOOBIG naming the line. */
    size_t cap = 4096;
    char *text = malloc(cap);
    char *name = malloc(HL_NAME_MAX + 2);
    assert_non_null(text);
    assert_non_null(name);
    memset(name, 'n', HL_NAME_MAX);
    name[HL_NAME_MAX] = '\0';
    snprintf(text, cap,
             "units:\n  - id: a\n    name: %s\n    side: corps\n"
             "    reports_to: \"\"\n    duty: d\n",
             name);
    assert_int_equal(units_load_mem("t.yaml", text, strlen(text), &r, err, sizeof err), 0);
    assert_int_equal(strlen(r->units[0].name), HL_NAME_MAX);
    units_destroy(&r);
    name[HL_NAME_MAX] = 'n';
    name[HL_NAME_MAX + 1] = '\0';
    snprintf(text, cap,
             "units:\n  - id: a\n    name: %s\n    side: corps\n"
             "    reports_to: \"\"\n    duty: d\n",
             name);
    assert_int_equal(units_load_mem("t.yaml", text, strlen(text), &r, err, sizeof err), HL_ETOOBIG);
    assert_true(strncmp(err, "t.yaml:3: name", 14) == 0);
    free(name);

    /* UNITS_MAX units pass; one more is HL_ETOOBIG. */
    size_t big = (UNITS_MAX + 1) * 96 + 16;
    char *many = malloc(big);
    assert_non_null(many);
    for (int n = UNITS_MAX; n <= UNITS_MAX + 1; n++) {
        size_t off = (size_t)snprintf(many, big, "units:\n");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(many + off, big - off,
                                    "  - {id: u%d, name: n, side: local, reports_to: \"\", "
                                    "duty: d}\n",
                                    i);
        int rc = units_load_mem("t.yaml", many, off, &r, err, sizeof err);
        if (n == UNITS_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(r->n, UNITS_MAX);
            units_destroy(&r);
        } else {
            assert_int_equal(rc, HL_ETOOBIG);
            assert_non_null(strstr(err, "at most"));
        }
    }
    free(many);

    /* UNITS_ESC_MAX units in an escalation list pass; one more is HL_ETOOBIG. */
    for (int n = UNITS_ESC_MAX; n <= UNITS_ESC_MAX + 1; n++) {
        size_t off = (size_t)snprintf(text, cap, "units:\n" U("a", ""));
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(text + off, cap - off,
                                    "  - {id: e%d, name: n, side: local, reports_to: a, duty: d}\n",
                                    i);
        off += (size_t)snprintf(text + off, cap - off, U("b", "a") "    escalation: [");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(text + off, cap - off, "%se%d", i ? ", " : "", i);
        off += (size_t)snprintf(text + off, cap - off, "]\n");
        int rc = units_load_mem("t.yaml", text, off, &r, err, sizeof err);
        if (n == UNITS_ESC_MAX) {
            if (rc != 0)
                fail_msg("%s", err);
            assert_int_equal(units_find(r, "b")->nesc, UNITS_ESC_MAX);
            assert_string_equal(units_find(r, "b")->esc[1], "e1");
            char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1];
            size_t len = 0;
            assert_int_equal(units_chain(r, "b", chain, &len), 0);
            assert_int_equal(len, ESC_CHAIN_MAX);
            assert_int_equal(r->esc.enabled, 0); /* no section: no escalation */
            units_destroy(&r);
        } else {
            assert_int_equal(rc, HL_ETOOBIG);
        }
    }
    /* A reports_to line longer than a chain is cut at ESC_CHAIN_MAX units. */
    size_t off = (size_t)snprintf(text, cap, "units:\n" U("u0", ""));
    for (int i = 1; i < 12; i++)
        off += (size_t)snprintf(text + off, cap - off,
                                "  - {id: u%d, name: n, side: local, reports_to: u%d, duty: d}\n",
                                i, i - 1);
    assert_int_equal(units_load_mem("t.yaml", text, off, &r, err, sizeof err), 0);
    char chain[ESC_CHAIN_MAX][HL_ID_MAX + 1];
    size_t len = 0;
    assert_int_equal(units_chain(r, "u11", chain, &len), 0);
    assert_int_equal(len, ESC_CHAIN_MAX);
    assert_string_equal(chain[1], "u10");
    units_destroy(&r);
    free(text);

    /* A file that cannot be read names its path. */
    assert_int_equal(units_load("/nonexistent/units.yaml", &r, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, "/nonexistent/units.yaml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_roster),
        cmocka_unit_test(test_bad_rosters),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
