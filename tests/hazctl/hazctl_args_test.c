/* hazctl_args_test — the hazctl command line (hctl_args.h): what each command accepts, and a
 * message naming the bad word for everything it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "hctl_args.h"

#define MAXW 32

/* Split a space-separated command line (no quoting; "_" stands for a space inside a word)
 * into argv and parse it. */
static int parse(const char *line, hctl_args *a, char *err, size_t n)
{
    static char buf[1024];
    static char *argv[MAXW];
    int argc = 0;
    snprintf(buf, sizeof buf, "hazctl %s", line);
    for (char *p = strtok(buf, " "); p && argc < MAXW; p = strtok(NULL, " ")) {
        for (char *q = p; *q; q++)
            if (*q == '_')
                *q = ' ';
        argv[argc++] = p;
    }
    return hctl_args_parse(argc, argv, a, err, n);
}

static void test_numbers(void **state)
{
    (void)state;
    double d;
    long l;
    assert_int_equal(hctl_parse_double("0.35", 0, 10, &d), 0);
    assert_true(d == 0.35);
    assert_int_equal(hctl_parse_double("1e-3", 0, 10, &d), 0);
    assert_true(d == 0.001);
    assert_int_equal(hctl_parse_double("0.35x", 0, 10, &d), HL_EINVAL); /* trailing junk */
    assert_int_equal(hctl_parse_double("", 0, 10, &d), HL_EINVAL);
    assert_int_equal(hctl_parse_double("abc", 0, 10, &d), HL_EINVAL);
    assert_int_equal(hctl_parse_double("nan", 0, 10, &d), HL_EINVAL);
    assert_int_equal(hctl_parse_double("inf", 0, 10, &d), HL_EINVAL);
    assert_int_equal(hctl_parse_double("0.35 ", 0, 10, &d), HL_EINVAL);
    assert_int_equal(hctl_parse_double("11", 0, 10, &d), HL_ETOOBIG);
    assert_int_equal(hctl_parse_double("-1", 0, 10, &d), HL_ETOOBIG);
    assert_int_equal(hctl_parse_double("1e999", 0, 1e300, &d), HL_EINVAL); /* inf */
    assert_int_equal(hctl_parse_long("2000", 1, 600000, &l), 0);
    assert_int_equal(l, 2000);
    assert_int_equal(hctl_parse_long("2000ms", 1, 600000, &l), HL_EINVAL);
    assert_int_equal(hctl_parse_long("2.5", 1, 600000, &l), HL_EINVAL);
    assert_int_equal(hctl_parse_long("0", 1, 600000, &l), HL_ETOOBIG);
    assert_int_equal(hctl_parse_long("99999999999999999999", 1, 600000, &l), HL_ETOOBIG);
}

static void test_reading(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("reading st-dsz-down 苯 0.35 mg/L", &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, HCTL_CMD_READING);
    assert_string_equal(a.station, "st-dsz-down");
    assert_string_equal(a.parameter, "苯");
    assert_true(a.value == 0.35);
    assert_string_equal(a.unit, "mg/L");
    assert_false(a.has_at);
    /* --at in Beijing time is Unix ms UTC: 2026-07-15T02:00:00+08:00 = 1784052000000. */
    assert_int_equal(parse("reading st-dsz-down benzene 350 ug/L --at 2026-07-15T02:00:00+08:00 "
                           "--json",
                           &a, err, sizeof err),
                     0);
    assert_true(a.has_at);
    assert_int_equal(a.at_ms, 1784052000000LL);
    assert_true(a.json);
    /* Options may come before the command and in --opt=value form. */
    assert_int_equal(parse("--json --timeout=1500 reading st-x 苯 1 mg/L", &a, err, sizeof err), 0);
    assert_true(a.json);
    assert_int_equal(a.timeout_ms, 1500);
}

static void test_report(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("report --chainage 22 --substance 苯 --mass-kg 5000 --duration-s 1800 "
                           "--source rs-dsz-petro --text tank_overflow --reporter dsz-petro-ert",
                           &a, err, sizeof err),
                     0);
    assert_int_equal(a.cmd, HCTL_CMD_REPORT);
    assert_true(a.chainage_km == 22);
    assert_string_equal(a.substance, "苯");
    assert_true(a.mass_kg == 5000);
    assert_true(a.duration_s == 1800);
    assert_string_equal(a.source_id, "rs-dsz-petro");
    assert_string_equal(a.text, "tank overflow");
    assert_string_equal(a.reporter, "dsz-petro-ert");
    /* km 0 (the mountain outlet at 将军庙) is a valid place. */
    assert_int_equal(parse("report --chainage=0 --substance 苯", &a, err, sizeof err), 0);
    assert_true(a.chainage_km == 0);
}

static void test_lists_trigger_up(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("tasks --incident inc-1 --unit reg-131 --limit 50", &a, err, sizeof err),
                     0);
    assert_int_equal(a.cmd, HCTL_CMD_TASKS);
    assert_string_equal(a.incident_id, "inc-1");
    assert_string_equal(a.unit_id, "reg-131");
    assert_int_equal(a.limit, 50);
    static const struct {
        const char *w;
        hctl_cmd c;
    } lists[] = {{"status", HCTL_CMD_STATUS},
                 {"incidents", HCTL_CMD_INCIDENTS},
                 {"alerts", HCTL_CMD_ALERTS},
                 {"plans", HCTL_CMD_PLANS},
                 {"reservations", HCTL_CMD_RESERVATIONS},
                 {"stock", HCTL_CMD_STOCK},
                 {"sources", HCTL_CMD_SOURCES},
                 {"units", HCTL_CMD_UNITS}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        assert_int_equal(parse(lists[i].w, &a, err, sizeof err), 0);
        assert_int_equal(a.cmd, lists[i].c);
        assert_string_equal(a.cmd_name, lists[i].w);
    }
    assert_int_equal(parse("status dispatch alert", &a, err, sizeof err), 0);
    assert_int_equal(a.n_services, 2);
    assert_string_equal(a.services[0], "dispatch");
    assert_string_equal(a.services[1], "alert");
    assert_int_equal(parse("trigger inc-7", &a, err, sizeof err), 0);
    assert_string_equal(a.incident_id, "inc-7");
    assert_int_equal(parse("up --partners xj7-eeb,kt-eeb,reg-131", &a, err, sizeof err), 0);
    assert_int_equal(a.n_partners, 3);
    assert_string_equal(a.partners[2], "reg-131");
}

static void test_common_options_are_collected(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("--base-port 23000 status --data=/tmp/x --playbooks /p --clock "
                           "scale=60",
                           &a, err, sizeof err),
                     0);
    assert_int_equal(a.common_argc, 9);
    assert_string_equal(a.common_argv[0], "hazctl");
    assert_string_equal(a.common_argv[1], "--base-port");
    assert_string_equal(a.common_argv[2], "23000");
    assert_string_equal(a.common_argv[3], "--data"); /* split from --data=/tmp/x */
    assert_string_equal(a.common_argv[4], "/tmp/x");
    assert_string_equal(a.common_argv[5], "--playbooks");
    assert_string_equal(a.common_argv[7], "--clock");
    assert_string_equal(a.common_argv[8], "scale=60");
    assert_null(a.common_argv[9]);
}

static void test_help(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("--help", &a, err, sizeof err), 0);
    assert_true(a.help);
    assert_null(a.cmd_name);
    assert_int_equal(parse("help reading", &a, err, sizeof err), 0);
    assert_true(a.help);
    assert_int_equal(a.cmd, HCTL_CMD_READING);
    assert_int_equal(parse("tasks -h", &a, err, sizeof err), 0);
    assert_true(a.help);
    assert_int_equal(a.cmd, HCTL_CMD_TASKS);
    assert_non_null(strstr(hctl_cmd_usage(HCTL_CMD_READING), "STATION PARAMETER VALUE UNIT"));
    assert_non_null(strstr(hctl_help_text(), "exit status"));
    /* No command at all: not an error for the parser, cmd_name stays NULL for the caller. */
    assert_int_equal(parse("--json", &a, err, sizeof err), 0);
    assert_null(a.cmd_name);
    assert_false(a.help);
}

/* Every refusal, with the words its message must contain. */
static void test_bad_input_names_the_word(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        const char *want;
    } bad[] = {
        {"frobnicate", "unknown command 'frobnicate'"},
        {"--frob status", "unknown option '--frob'"},
        {"status --frob", "status: unknown option '--frob'"},
        {"status extra", "status: unknown service 'extra'"},
        {"status alert alert", "status: service 'alert' named twice"},
        {"status alert playbook stock risk dispatch x", "status: unexpected argument 'x'"},
        {"status --incident inc-1", "status: option --incident does not apply"},
        {"reading st-x 苯 1", "reading: missing argument UNIT"},
        {"reading st-x", "reading: missing argument PARAMETER"},
        {"reading", "reading: missing argument STATION"},
        {"reading st-x 苯 abc mg/L", "reading: VALUE 'abc' is not a number"},
        {"reading st-x 苯 0.35x mg/L", "reading: VALUE '0.35x' is not a number"},
        {"reading st-x 苯 -1 mg/L", "reading: VALUE '-1' is out of range"},
        {"reading st-x 苯 nan mg/L", "reading: VALUE 'nan' is not a number"},
        {"reading st-x 苯 1 mg/L extra", "reading: unexpected argument 'extra'"},
        {"reading st/x 苯 1 mg/L", "reading: STATION 'st/x' is not an id"},
        {"reading st-x 苯 1 mg/L --at 2026-07-15_02:00", "reading: --at '2026-07-15 02:00' is not "
                                                         "an ISO 8601 time with an offset"},
        {"reading st-x 苯 1 mg/L --at 2026-07-15T02:00:00", "is not an ISO 8601 time with an "
                                                            "offset"},
        {"reading st-x 苯 1 mg/L --at", "reading: option --at needs a value"},
        {"report --substance 苯", "report: missing option --chainage KM"},
        {"report --chainage 22", "report: missing option --substance NAME"},
        {"report --chainage 22km --substance 苯", "report: --chainage '22km' is not a number"},
        {"report --chainage 22 --substance 苯 --mass-kg lots", "report: --mass-kg 'lots' is not a "
                                                               "number"},
        {"report --chainage 22 --substance 苯 --duration-s -5", "report: --duration-s '-5' is out "
                                                                "of range"},
        {"report --chainage 22 --substance 苯 --source bad_id", "report: --source 'bad id' is not "
                                                                "an id"},
        {"report --chainage 99999 --substance 苯", "report: --chainage '99999' is out of range"},
        {"tasks --limit 0", "tasks: --limit '0' is out of range (1 to 1000)"},
        {"tasks --limit 10x", "tasks: --limit '10x' is not a whole number"},
        {"status --timeout 5s", "status: --timeout '5s' is not a whole number"},
        {"status --json=yes", "status: option --json takes no value"},
        {"trigger", "trigger: missing argument INCIDENT"},
        {"trigger inc-1 inc-2", "trigger: unexpected argument 'inc-2'"},
        {"up --partners a,,b", "up: --partners 'a,,b' has an empty unit id"},
        {"up --partners a,b,a", "up: --partners names unit 'a' twice"},
        {"up --timeout 10", "up: option --timeout does not apply"},
        {"help nothing", "help: unknown command 'nothing'"},
        /* issue 3: chain and keys */
        {"chain", "chain: missing argument TASK"},
        {"chain t/1", "chain: TASK 't/1' is not an id"},
        {"chain t-1 t-2", "chain: unexpected argument 't-2'"},
        {"keys", "keys: missing argument SUBCOMMAND"},
        {"keys mint reg-131", "keys: unknown subcommand 'mint'"},
        {"keys gen", "keys gen: missing argument UNIT"},
        {"keys gen reg_131", "keys: UNIT 'reg 131' is not an id"},
        {"keys gen reg-131 extra", "keys gen: unexpected argument 'extra'"},
        {"keys add reg-131", "keys add: missing argument PUBLIC-KEY-FILE|Z85"},
        {"keys revoke", "keys revoke: missing argument UNIT"},
        {"keys list reg-131", "keys list: unexpected argument 'reg-131'"},
        {"keys rotate-server --force", "keys rotate-server: --out, --print-secret and --force "
                                       "belong to keys gen"},
        {"keys revoke reg-131 --print-secret", "belong to keys gen"},
        {"keys gen reg-131 --out", "keys: option --out needs a value"},
        {"status --print-secret", "status: option --print-secret does not apply"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hctl_args a;
        char err[256] = "";
        int rc = parse(bad[i].line, &a, err, sizeof err);
        if (rc != HL_EINVAL)
            fail_msg("'%s' was accepted (rc %d)", bad[i].line, rc);
        if (!strstr(err, bad[i].want))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].line, err, bad[i].want);
    }
}

static void test_chain_and_keys(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    assert_int_equal(parse("chain pl-1-intercept:esc1 --json", &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, HCTL_CMD_CHAIN);
    assert_string_equal(a.task_id, "pl-1-intercept:esc1");
    assert_true(a.json);
    assert_int_equal(parse("keys gen reg-131", &a, err, sizeof err), 0);
    assert_int_equal(a.cmd, HCTL_CMD_KEYS);
    assert_int_equal(a.keys_sub, HCTL_KEYS_GEN);
    assert_string_equal(a.keys_unit, "reg-131");
    assert_null(a.out_base);
    assert_false(a.print_secret);
    assert_false(a.force);
    assert_int_equal(
        parse("keys gen reg-131 --out /tmp/k/reg-131 --print-secret --force", &a, err, sizeof err),
        0);
    assert_string_equal(a.out_base, "/tmp/k/reg-131");
    assert_true(a.print_secret);
    assert_true(a.force);
    assert_int_equal(parse("keys add kt-eeb /tmp/kt-eeb.pub", &a, err, sizeof err), 0);
    assert_int_equal(a.keys_sub, HCTL_KEYS_ADD);
    assert_string_equal(a.keys_unit, "kt-eeb");
    assert_string_equal(a.keys_key, "/tmp/kt-eeb.pub");
    assert_int_equal(parse("keys revoke kt-eeb --json", &a, err, sizeof err), 0);
    assert_int_equal(a.keys_sub, HCTL_KEYS_REVOKE);
    assert_int_equal(parse("keys list", &a, err, sizeof err), 0);
    assert_int_equal(a.keys_sub, HCTL_KEYS_LIST);
    assert_int_equal(parse("--data /tmp/d keys rotate-server --timeout 500", &a, err, sizeof err),
                     0);
    assert_int_equal(a.keys_sub, HCTL_KEYS_ROTATE_SERVER);
    assert_int_equal(a.timeout_ms, 500);
    assert_int_equal(a.common_argc, 3);
    assert_non_null(strstr(hctl_help_text(), "keys rotate-server"));
    assert_non_null(strstr(hctl_help_text(), "chain TASK"));
}

static void test_limits(void **state)
{
    (void)state;
    hctl_args a;
    char err[256];
    /* More than HCTL_MAX_PARTNERS units. */
    char line[1024] = "up --partners ";
    for (int i = 0; i <= HCTL_MAX_PARTNERS; i++) {
        char w[16];
        snprintf(w, sizeof w, "%su%d", i ? "," : "", i);
        strcat(line, w);
    }
    assert_int_equal(parse(line, &a, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "more than 32 units"));
    /* An id of HL_ID_MAX bytes is fine, one more is not. */
    char id[HL_ID_MAX + 2];
    memset(id, 'a', HL_ID_MAX);
    id[HL_ID_MAX] = '\0';
    snprintf(line, sizeof line, "trigger %s", id);
    assert_int_equal(parse(line, &a, err, sizeof err), 0);
    id[HL_ID_MAX] = 'a';
    id[HL_ID_MAX + 1] = '\0';
    snprintf(line, sizeof line, "trigger %s", id);
    assert_int_equal(parse(line, &a, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "is not an id"));
    /* Too many words. */
    char *argv[HCTL_MAX_ARGS + 2];
    for (int i = 0; i < HCTL_MAX_ARGS + 1; i++)
        argv[i] = "status";
    assert_int_equal(hctl_args_parse(HCTL_MAX_ARGS + 1, argv, &a, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "more than 128 arguments"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_reading),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_lists_trigger_up),
        cmocka_unit_test(test_common_options_are_collected),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_input_names_the_word),
        cmocka_unit_test(test_chain_and_keys),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
