/* Configuration: defaults, file, environment, endpoints, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

static const char *const env_vars[] = {"HAZLINK_CONFIG", "HAZLINK_DATA", "HAZLINK_HOST",
                                       "HAZLINK_BASE_PORT", "HAZLINK_PLAYBOOKS",
                                       "HAZLINK_CLOCK", "HAZLINK_SEASON", "HAZLINK_BIND",
                                       "HAZLINK_HOST_DISPATCH", NULL};

static int clear_env(void **state)
{
    (void)state;
    for (const char *const *v = env_vars; *v; v++) unsetenv(*v);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void **state)
{
    (void)state;
    hl_config c;
    char err[256] = "";
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    assert_string_equal(c.data_dir, "./hazlink-data");
    assert_string_equal(c.playbook_dir, HL_DEFAULT_PLAYBOOK_DIR);
    assert_string_equal(c.plan, "kuitun");
    assert_string_equal(c.host, "127.0.0.1");
    assert_int_equal(c.base_port, 7100);
    assert_string_equal(c.clock, "");
    assert_string_equal(c.season, "");
    assert_int_equal(c.log_level, HL_LOG_INFO);
    assert_int_equal(c.max_msg_bytes, 1024 * 1024);
    assert_int_equal(c.map_size, (size_t)1 << 30);
    assert_int_equal(c.request_timeout_ms, 5000);
    assert_int_equal(c.resend_ms, 1000);

    char ep[64];
    assert_int_equal(hl_config_endpoint(&c, "alert", "req", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7100");
    assert_int_equal(hl_config_endpoint(&c, "stock", "pub", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7121");
    assert_int_equal(hl_config_endpoint(&c, "dispatch", "gw", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7142");
    assert_int_equal(hl_config_endpoint(&c, "nope", "req", ep, sizeof ep), HL_ENOTFOUND);
    assert_int_equal(hl_config_endpoint(&c, "alert", "sub", ep, sizeof ep), HL_ENOTFOUND);
    assert_int_equal(hl_config_endpoint(&c, "alert", "req", ep, 10), HL_ETOOBIG);
    char p[64];
    assert_int_equal(hl_config_path(&c, "alert", p, sizeof p), 0);
    assert_string_equal(p, "./hazlink-data/alert");
    assert_int_equal(hl_config_path(&c, "alert", p, 8), HL_ETOOBIG);
}

static void test_file_and_env(void **state)
{
    (void)state;
    char dir[] = "/tmp/hl-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/hazlink.yaml", dir);
    write_file(path, "data_dir: /var/lib/hazlink\n"
                     "base_port: 9000\n"
                     "season: winter\n"
                     "log_level: warn\n"
                     "max_msg_bytes: 65536\n"
                     "map_size: 1048576\n"
                     "request_timeout_ms: 250\n"
                     "resend_ms: 100\n"
                     "clock: scale=60,origin=1700000000000,real=1700000000000\n");
    hl_config c;
    char err[512] = "";
    assert_int_equal(hl_config_load(path, &c, err, sizeof err), 0);
    assert_string_equal(c.data_dir, "/var/lib/hazlink");
    assert_int_equal(c.base_port, 9000);
    assert_string_equal(c.season, "winter");
    assert_int_equal(c.log_level, HL_LOG_WARN);
    assert_int_equal(c.max_msg_bytes, 65536);
    assert_int_equal(c.map_size, 1048576);
    assert_int_equal(c.request_timeout_ms, 250);
    assert_int_equal(c.resend_ms, 100);
    assert_string_equal(c.host, "127.0.0.1"); /* not in the file: default */

    /* The environment overrides the file; HAZLINK_CONFIG names the file for NULL. */
    setenv("HAZLINK_CONFIG", path, 1);
    setenv("HAZLINK_BASE_PORT", "9100", 1);
    setenv("HAZLINK_DATA", "/srv/hl", 1);
    setenv("HAZLINK_SEASON", "summer", 1);
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    assert_int_equal(c.base_port, 9100);
    assert_string_equal(c.data_dir, "/srv/hl");
    assert_string_equal(c.season, "summer");
    assert_int_equal(c.resend_ms, 100);

    setenv("HAZLINK_BASE_PORT", "80", 1);
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "HAZLINK_BASE_PORT"));
    setenv("HAZLINK_BASE_PORT", "9100x", 1);
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), HL_EINVAL);
    unsetenv("HAZLINK_BASE_PORT");
    setenv("HAZLINK_SEASON", "monsoon", 1);
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "HAZLINK_SEASON"));
    unsetenv("HAZLINK_SEASON");
    setenv("HAZLINK_CLOCK", "scale=0", 1);
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), HL_EINVAL);
    assert_non_null(strstr(err, "HAZLINK_CLOCK"));
    clear_env(NULL);
    unlink(path);
    rmdir(dir);
}

/* Containers: services bind every interface but reach each other by service name. */
static void test_hosts(void **state)
{
    (void)state;
    char dir[] = "/tmp/hl-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/hosts.yaml", dir);
    write_file(path, "bind_host: 0.0.0.0\nhost_stock: stock\n");
    hl_config c;
    char err[512] = "";
    char ep[64];
    assert_int_equal(hl_config_load(path, &c, err, sizeof err), 0);
    assert_int_equal(hl_config_bind_endpoint(&c, "stock", "req", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://0.0.0.0:7120");
    assert_int_equal(hl_config_endpoint(&c, "stock", "req", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://stock:7120");
    assert_int_equal(hl_config_endpoint(&c, "alert", "req", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7100");

    setenv("HAZLINK_HOST_DISPATCH", "dispatch", 1);
    setenv("HAZLINK_BIND", "127.0.0.2", 1);
    assert_int_equal(hl_config_load(path, &c, err, sizeof err), 0);
    assert_int_equal(hl_config_endpoint(&c, "dispatch", "gw", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://dispatch:7142");
    assert_int_equal(hl_config_bind_endpoint(&c, "dispatch", "gw", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.2:7142");
    /* Without a bind host the service binds where others connect by default. */
    unsetenv("HAZLINK_BIND");
    unsetenv("HAZLINK_HOST_DISPATCH");
    assert_int_equal(hl_config_load(NULL, &c, err, sizeof err), 0);
    assert_int_equal(hl_config_bind_endpoint(&c, "alert", "pub", ep, sizeof ep), 0);
    assert_string_equal(ep, "tcp://127.0.0.1:7101");
    assert_int_equal(hl_config_bind_endpoint(&c, "alert", "nope", ep, sizeof ep), HL_ENOTFOUND);
    unlink(path);
    rmdir(dir);
}

static void test_bad_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/hl-cfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    static const struct { const char *text; int rc; const char *msg; } cases[] = {
        {"data_dir: x\nbase_prot: 7000\n", HL_EPARSE, ":2: base_prot: unknown key"},
        {"base_port: 80\n", HL_EINVAL, ":1: base_port: 80 is outside [1024, 65000]"},
        {"base_port: many\n", HL_EPARSE, ":1: base_port: 'many' is not a whole number"},
        {"\nlog_level: loud\n", HL_EPARSE, ":2: log_level: expected debug"},
        {"season: monsoon\n", HL_EPARSE, ":1: season:"},
        {"clock: fast\n", HL_EPARSE, ":1: clock:"},
        {"- a\n- b\n", HL_EPARSE, ":1: expected a mapping"},
        {"host: [a]\n", HL_EPARSE, ":1: host: expected a single value"},
        {"resend_ms: 0\n", HL_EINVAL, ":1: resend_ms:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_file(path, cases[i].text);
        hl_config c;
        char err[512] = "";
        assert_int_equal(hl_config_load(path, &c, err, sizeof err), cases[i].rc);
        char want[400];
        snprintf(want, sizeof want, "%s%s", path, cases[i].msg);
        if (!strstr(err, want)) fail_msg("case %zu: '%s' lacks '%s'", i, err, want);
    }
    hl_config c;
    char err[512];
    char none[300];
    snprintf(none, sizeof none, "%s/absent.yaml", dir);
    assert_int_equal(hl_config_load(none, &c, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, none));
    unlink(path);
    rmdir(dir);
}

/* From memory: the file's keys over the defaults, the environment left out. */
static void test_from_memory(void **state)
{
    (void)state;
    setenv("HAZLINK_BASE_PORT", "9000", 1);
    hl_config c;
    char err[256];
    static const char text[] = "base_port: 8100\nseason: winter\n";
    assert_int_equal(hl_config_load_mem("mem.yaml", text, sizeof text - 1, &c, err, sizeof err),
                     0);
    assert_int_equal(c.base_port, 8100);
    assert_string_equal(c.season, "winter");
    assert_string_equal(c.host, "127.0.0.1");
    static const char bad[] = "base_port: 8100\nbase_port: 8200\n";
    assert_int_equal(hl_config_load_mem("mem.yaml", bad, sizeof bad - 1, &c, err, sizeof err),
                     HL_EPARSE);
    assert_non_null(strstr(err, "mem.yaml:2"));
    static const char empty_host[] = "host: \"\"\n";
    assert_true(hl_config_load_mem("mem.yaml", empty_host, sizeof empty_host - 1, &c, err,
                                   sizeof err) < 0);
    assert_non_null(strstr(err, "host"));
    assert_int_equal(hl_config_load_mem("m", NULL, 0, &c, err, sizeof err), 0);
    assert_int_equal(c.base_port, 7100);
    unsetenv("HAZLINK_BASE_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clear_env),
        cmocka_unit_test_setup(test_file_and_env, clear_env),
        cmocka_unit_test_setup(test_hosts, clear_env),
        cmocka_unit_test_setup(test_bad_files, clear_env),
        cmocka_unit_test_setup(test_from_memory, clear_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
