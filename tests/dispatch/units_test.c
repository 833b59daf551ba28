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
    {"escalation unknown unit",
     "units:\n" U("a", "") "    escalation:\n      - {after_min: 30, to: zz}\n", HL_EPARSE,
     "t.yaml:8: escalation[0].to: unknown unit 'zz'"},
    {"escalation out of order",
     "units:\n" U("a", "") U("b", "a") "    escalation:\n      - {after_min: 30, to: a}\n"
                                       "      - {after_min: 20, to: a}\n",
     HL_EPARSE, "t.yaml:14: escalation[1].after_min"},
    {"escalation after_min range",
     "units:\n" U("a", "") U("b", "a") "    escalation:\n      - {after_min: 0, to: a}\n",
     HL_EINVAL, "t.yaml:13: after_min"},
    {"escalation unknown key",
     "units:\n" U("a", "") U("b", "a") "    escalation:\n      - {after: 5, to: a}\n", HL_EPARSE,
     "t.yaml:13: after: unknown key"},
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

    /* UNITS_ESC_MAX escalation steps pass; one more is HL_ETOOBIG. */
    for (int n = UNITS_ESC_MAX; n <= UNITS_ESC_MAX + 1; n++) {
        size_t off =
            (size_t)snprintf(text, cap, "units:\n" U("a", "") U("b", "a") "    escalation:\n");
        for (int i = 0; i < n; i++)
            off += (size_t)snprintf(text + off, cap - off, "      - {after_min: %d, to: a}\n",
                                    10 * (i + 1));
        int rc = units_load_mem("t.yaml", text, off, &r, err, sizeof err);
        if (n == UNITS_ESC_MAX) {
            assert_int_equal(rc, 0);
            assert_int_equal(units_find(r, "b")->nesc, UNITS_ESC_MAX);
            assert_int_equal(units_find(r, "b")->esc[1].after_min, 20);
            units_destroy(&r);
        } else {
            assert_int_equal(rc, HL_ETOOBIG);
        }
    }
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
