/* YAML loader: tree, line numbers, typed readers, refusals and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"

static int load(const char *text, hl_yaml_doc **d, char *err, size_t n)
{
    return hl_yaml_load_mem("t.yaml", text, strlen(text), d, err, n);
}

static void test_tree_and_readers(void **state)
{
    (void)state;
    const char *text = "# stations\n"
                       "name: 老龙口\n"
                       "km: 14.5\n"
                       "class: 3\n"
                       "national: yes\n"
                       "items:\n"
                       "  - a\n"
                       "  - {x: 1}\n";
    hl_yaml_doc *d = NULL;
    char err[256] = "";
    assert_int_equal(load(text, &d, err, sizeof err), 0);
    const hl_yaml_node *r = d->root;
    assert_int_equal(r->kind, HL_YAML_MAP);
    assert_int_equal(r->n, 5);
    assert_int_equal(hl_yaml_get(r, "km")->line, 3);
    assert_null(hl_yaml_get(r, "nope"));
    char name[32];
    assert_int_equal(hl_yaml_str(d, r, "name", 1, name, sizeof name, err, sizeof err), 0);
    assert_string_equal(name, "老龙口");
    double km;
    assert_int_equal(hl_yaml_num(d, r, "km", 1, 0, 300, &km, err, sizeof err), 0);
    assert_true(km == 14.5);
    int64_t cls;
    assert_int_equal(hl_yaml_int(d, r, "class", 1, 1, 5, &cls, err, sizeof err), 0);
    assert_int_equal(cls, 3);
    int b = 0;
    assert_int_equal(hl_yaml_bool(d, r, "national", 1, &b, err, sizeof err), 0);
    assert_int_equal(b, 1);
    const hl_yaml_node *items;
    assert_int_equal(hl_yaml_seq(d, r, "items", 1, &items, err, sizeof err), 0);
    assert_int_equal(items->n, 2);
    assert_string_equal(items->items[0]->value, "a");
    assert_int_equal(items->items[1]->kind, HL_YAML_MAP);
    assert_int_equal(items->items[1]->line, 8);

    /* Optional and absent: unchanged, 0. */
    int64_t keep = 77;
    assert_int_equal(hl_yaml_int(d, r, "absent", 0, 0, 100, &keep, err, sizeof err), 0);
    assert_int_equal(keep, 77);
    assert_int_equal(hl_yaml_seq(d, r, "absent", 0, &items, err, sizeof err), 0);
    assert_null(items);

    /* Errors name file:line: key. */
    assert_int_equal(hl_yaml_int(d, r, "absent", 1, 0, 100, &keep, err, sizeof err), HL_EPARSE);
    assert_string_equal(err, "t.yaml:2: absent: missing");
    assert_int_equal(hl_yaml_int(d, r, "class", 1, 4, 5, &cls, err, sizeof err), HL_EINVAL);
    assert_string_equal(err, "t.yaml:4: class: 3 is outside [4, 5]");
    assert_int_equal(hl_yaml_int(d, r, "km", 1, 0, 100, &cls, err, sizeof err), HL_EPARSE);
    assert_string_equal(err, "t.yaml:3: km: '14.5' is not a whole number");
    assert_int_equal(hl_yaml_num(d, r, "name", 1, 0, 1, &km, err, sizeof err), HL_EPARSE);
    assert_non_null(strstr(err, "t.yaml:2: name:"));
    assert_int_equal(hl_yaml_bool(d, r, "class", 1, &b, err, sizeof err), HL_EPARSE);
    assert_int_equal(hl_yaml_str(d, r, "items", 1, name, sizeof name, err, sizeof err),
                     HL_EPARSE);
    assert_string_equal(err, "t.yaml:7: items: expected a single value, found a list");
    char small[4];
    assert_int_equal(hl_yaml_str(d, r, "name", 1, small, sizeof small, err, sizeof err),
                     HL_ETOOBIG);
    assert_non_null(strstr(err, "t.yaml:2: name:"));
    assert_int_equal(hl_yaml_seq(d, r, "name", 1, &items, err, sizeof err), HL_EPARSE);

    static const char *const allowed[] = {"name", "km", "class", "national", "items", NULL};
    assert_int_equal(hl_yaml_only(d, r, allowed, err, sizeof err), 0);
    static const char *const fewer[] = {"name", "km", "class", "items", NULL};
    assert_int_equal(hl_yaml_only(d, r, fewer, err, sizeof err), HL_EPARSE);
    assert_string_equal(err, "t.yaml:5: national: unknown key");
    hl_yaml_free(&d);
    assert_null(d);
    hl_yaml_free(&d);
}

static void test_numbers(void **state)
{
    (void)state;
    hl_yaml_doc *d = NULL;
    char err[256];
    assert_int_equal(load("a: nan\nb: inf\nc: 0x10\nd: 1e3\ne: 12abc\nf: -2.5\n", &d, err,
                          sizeof err), 0);
    double v;
    assert_int_equal(hl_yaml_num(d, d->root, "a", 1, -1e9, 1e9, &v, err, sizeof err), HL_EPARSE);
    assert_int_equal(hl_yaml_num(d, d->root, "b", 1, -1e9, 1e9, &v, err, sizeof err), HL_EPARSE);
    assert_int_equal(hl_yaml_num(d, d->root, "c", 1, -1e9, 1e9, &v, err, sizeof err), HL_EPARSE);
    assert_int_equal(hl_yaml_num(d, d->root, "d", 1, -1e9, 1e9, &v, err, sizeof err), 0);
    assert_true(v == 1000.0);
    assert_int_equal(hl_yaml_num(d, d->root, "e", 1, -1e9, 1e9, &v, err, sizeof err), HL_EPARSE);
    assert_string_equal(err, "t.yaml:5: e: '12abc' is not a number");
    assert_int_equal(hl_yaml_num(d, d->root, "f", 1, -1e9, 1e9, &v, err, sizeof err), 0);
    assert_true(v == -2.5);
    hl_yaml_free(&d);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct { const char *text; int rc; const char *msg; } cases[] = {
        {"a: 1\nb: [1, 2\n", HL_EPARSE, "t.yaml:3:"},
        {"a: 1\n  b: 2\n", HL_EPARSE, "t.yaml:2:"},
        {"a: &x 1\nb: *x\n", HL_EPARSE, "t.yaml:1: anchors are not allowed"},
        {"a: [1]\nb: *x\n", HL_EPARSE, "t.yaml:2: aliases are not allowed"},
        {"a: 1\na: 2\n", HL_EPARSE, "t.yaml:2: a: duplicate key"},
        {"? [1]\n: 2\n", HL_EPARSE, "keys must be plain scalars"},
        {"a: 1\n---\nb: 2\n", HL_EPARSE, "only one document"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hl_yaml_doc *d = (hl_yaml_doc *)1;
        char err[256] = "";
        assert_int_equal(load(cases[i].text, &d, err, sizeof err), cases[i].rc);
        assert_null(d);
        if (!strstr(err, cases[i].msg)) fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
    }
}

static void test_limits(void **state)
{
    (void)state;
    char err[256];
    hl_yaml_doc *d = NULL;
    /* Depth: HL_YAML_MAX_DEPTH nested lists load, one more does not. */
    char deep[200];
    size_t k = 0;
    for (int i = 0; i < HL_YAML_MAX_DEPTH; i++) deep[k++] = '[';
    for (int i = 0; i < HL_YAML_MAX_DEPTH; i++) deep[k++] = ']';
    deep[k] = '\0';
    assert_int_equal(load(deep, &d, err, sizeof err), 0);
    hl_yaml_free(&d);
    k = 0;
    for (int i = 0; i <= HL_YAML_MAX_DEPTH; i++) deep[k++] = '[';
    for (int i = 0; i <= HL_YAML_MAX_DEPTH; i++) deep[k++] = ']';
    deep[k] = '\0';
    assert_int_equal(load(deep, &d, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "nesting deeper than 32"));

    /* Node count: a flow list of HL_YAML_MAX_NODES + 1 items. */
    size_t n = HL_YAML_MAX_NODES + 1;
    char *big = malloc(n * 2 + 3);
    assert_non_null(big);
    k = 0;
    big[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        big[k++] = '1';
        big[k++] = ',';
    }
    big[k - 1] = ']';
    big[k] = '\0';
    assert_int_equal(load(big, &d, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "more than 200000 nodes"));
    free(big);

    /* Size: over HL_YAML_MAX_BYTES is refused before parsing. */
    assert_int_equal(hl_yaml_load_mem("big.yaml", "", (size_t)HL_YAML_MAX_BYTES + 1, &d, err,
                                      sizeof err), HL_ETOOBIG);
    assert_null(d);
}

static void test_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/hl-yaml-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("ok: 1\nbad: [\n", f);
    fclose(f);
    hl_yaml_doc *d = NULL;
    char err[512];
    assert_int_equal(hl_yaml_load(path, &d, err, sizeof err), HL_EPARSE);
    char want[300];
    snprintf(want, sizeof want, "%s:3:", path);
    assert_non_null(strstr(err, want));
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none.yaml", dir);
    assert_int_equal(hl_yaml_load(missing, &d, err, sizeof err), HL_EIO);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file"));
    /* Empty file: an empty mapping. */
    f = fopen(path, "w");
    fclose(f);
    assert_int_equal(hl_yaml_load(path, &d, err, sizeof err), 0);
    assert_int_equal(d->root->kind, HL_YAML_MAP);
    assert_int_equal(d->root->n, 0);
    hl_yaml_free(&d);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_readers), cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_syntax_errors),    cmocka_unit_test(test_limits),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
