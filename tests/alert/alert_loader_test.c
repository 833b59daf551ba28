/* alert_loader_test — reference CSV loaders (refcsv.h, gb3838.h, warning.h) on good and
 * broken files: every error names file:line and the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gb3838.h"
#include "hazlink/hl_error.h"
#include "refcsv.h"
#include "warning.h"

#define GBH                                                                                        \
    "table,seq,item,unit,comparison,I,II,III,IV,V,single_limit,note,source,alias,water_body,"      \
    "verified\n"
#define GB_BENZENE "表3 特定项目,19,苯,mg/L,<=,,,,,,0.01,,src,benzene,any,yes\n"
#define GB_DO "表1 基本项目,3,溶解氧,mg/L,>=,7.5,6.0,5.0,3.0,2.0,,,src,DO,any,yes\n"
#define WH "origin,drinking_source,min_multiple,max_multiple,level,level_en,basis\n"
#define W_OK_NO "reading,no,0,1,蓝,blue,r\nreading,no,1,,黄,yellow,r\n"
#define W_OK_YES "reading,yes,0,,橙,orange,r\n"
#define W_REPORT "report,any,,,橙,orange,r\n"

typedef enum { L_CSV, L_GB3838, L_WARNING } loader;

typedef struct bad_case {
    const char *what;
    loader which;
    const char *text;
    int rc;
    const char *err_has; /* "name:line: field" */
} bad_case;

static const bad_case cases[] = {
    /* refcsv: the CSV itself */
    {"unclosed quote", L_CSV, "a,b\n1,\"2\n", HL_EPARSE, "t.csv:2: malformed CSV"},
    {"quote inside an unquoted field (strict)", L_CSV, "a,b\n1,x\"y\n", HL_EPARSE,
     "t.csv:2: malformed CSV"},
    {"too few fields", L_CSV, "a,b,c\n1,2,3\n4,5\n", HL_EPARSE, "t.csv:3: 2 fields, the header"},
    {"too many fields", L_CSV, "a,b\n1,2,3\n", HL_EPARSE, "t.csv:2: 3 fields"},
    {"empty file", L_CSV, "", HL_EPARSE, "t.csv:1: no header line"},
    {"comments only", L_CSV, "# nothing\n# here\n", HL_EPARSE, "no header line"},
    {"empty column name", L_CSV, "a,,c\n", HL_EPARSE, "t.csv:1: header: column 2 has no name"},
    {"duplicate column name", L_CSV, "a,b,a\n", HL_EPARSE, "t.csv:1: a: header: duplicate"},
    {"invalid UTF-8", L_CSV, "a,b\n1,\xff\xfe\n", HL_EPARSE, "t.csv:2: b: not valid UTF-8"},
    {"line numbers count comments and blank lines", L_CSV, "# c\n\na,b\n\n1,2\n# c\n3\n", HL_EPARSE,
     "t.csv:7: 1 fields, the header (line 3) has 2"},
    /* GB 3838 */
    {"missing column", L_GB3838, "table,seq,item\n", HL_EPARSE, "t.csv:1: unit: column missing"},
    {"unknown table", L_GB3838, GBH "表4 其他,1,苯,mg/L,<=,,,,,,0.01,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: table: '表4 其他' is not 表1"},
    {"seq not a number", L_GB3838, GBH "表3 x,nineteen,苯,mg/L,<=,,,,,,0.01,,s,,any,yes\n",
     HL_EPARSE, "t.csv:2: seq: 'nineteen' is not a number"},
    {"unknown comparison", L_GB3838, GBH "表3 x,19,苯,mg/L,<,,,,,,0.01,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: comparison: '<' is not"},
    {"unknown unit", L_GB3838, GBH "表3 x,19,苯,ppm,<=,,,,,,0.01,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: unit: 'ppm'"},
    {"limit missing", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: single_limit: a number is required"},
    {"limit not a number", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0.0l,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: single_limit: '0.0l' is not a number"},
    {"limit zero", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0,,s,,any,yes\n", HL_EPARSE,
     "t.csv:2: single_limit: limit 0 is not positive"},
    {"class limit missing", L_GB3838, GBH "表1 x,3,溶解氧,mg/L,>=,7.5,6.0,,3.0,2.0,,,s,,any,yes\n",
     HL_EPARSE, "t.csv:2: III: a number is required"},
    {"bad range", L_GB3838, GBH "表1 x,2,pH值,无量纲,range,6~9,6~9,9~6,6~9,6~9,,,s,,any,yes\n",
     HL_EPARSE, "t.csv:2: III: '9~6' is not a range"},
    {"bad water_body", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0.01,,s,,sea,yes\n", HL_EPARSE,
     "t.csv:2: water_body: 'sea'"},
    {"bad verified", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0.01,,s,,any,maybe\n", HL_EPARSE,
     "t.csv:2: verified: 'maybe'"},
    {"empty alias", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0.01,,s,benzene;;x,any,yes\n",
     HL_EPARSE, "t.csv:2: alias: empty alias"},
    {"trailing ;", L_GB3838, GBH "表3 x,19,苯,mg/L,<=,,,,,,0.01,,s,benzene;,any,yes\n", HL_EPARSE,
     "t.csv:2: alias: empty alias"},
    {"alias used twice", L_GB3838,
     GBH GB_BENZENE "表3 x,20,甲苯,mg/L,<=,,,,,,0.7,,s,BENZENE,any,yes\n", HL_EPARSE,
     "t.csv:3: alias: 'BENZENE' is already a name or alias of '苯' (line 2)"},
    {"item twice", L_GB3838, GBH GB_BENZENE GB_BENZENE, HL_EPARSE,
     "t.csv:3: item: '苯' already has a row"},
    {"too many aliases", L_GB3838,
     GBH "表3 x,19,苯,mg/L,<=,,,,,,0.01,,s,a;b;c;d;e;f;g;h;i,any,yes\n", HL_ETOOBIG,
     "t.csv:2: alias: more than 8 aliases"},
    {"text rule on a concentration", L_GB3838, GBH "表3 x,19,苯,mg/L,text,,,,,,0.01,,s,,any,yes\n",
     HL_EPARSE, "t.csv:2: comparison: only the ℃ item"},
    {"no items", L_GB3838, GBH, HL_EPARSE, "t.csv:1: no items"},
    /* warning levels */
    {"warning: missing column", L_WARNING, "origin,drinking_source\n", HL_EPARSE,
     "t.csv:1: min_multiple: column missing"},
    {"warning: unknown level", L_WARNING, WH "reading,no,0,,紫,purple,r\n" W_OK_YES W_REPORT,
     HL_EPARSE, "t.csv:2: level: '紫'"},
    {"warning: English name does not match", L_WARNING,
     WH "reading,no,0,,蓝,red,r\n" W_OK_YES W_REPORT, HL_EPARSE, "t.csv:2: level_en: 'red'"},
    {"warning: gap", L_WARNING,
     WH "reading,no,0,1,蓝,blue,r\nreading,no,2,,黄,yellow,r\n" W_OK_YES W_REPORT, HL_EPARSE,
     "t.csv:3: min_multiple: 2 leaves a gap"},
    {"warning: not starting at 0", L_WARNING, WH "reading,no,0.5,,蓝,blue,r\n" W_OK_YES W_REPORT,
     HL_EPARSE, "t.csv:2: min_multiple: 0.5 leaves a gap"},
    {"warning: level falls", L_WARNING,
     WH "reading,no,0,1,黄,yellow,r\nreading,no,1,,蓝,blue,r\n" W_OK_YES W_REPORT, HL_EPARSE,
     "t.csv:3: level: 蓝 is lower than 黄"},
    {"warning: bounded last row", L_WARNING, WH "reading,no,0,1,蓝,blue,r\n" W_OK_YES W_REPORT,
     HL_EPARSE, "t.csv:2: max_multiple: the last row"},
    {"warning: row after the unbounded one", L_WARNING,
     WH "reading,no,0,,蓝,blue,r\nreading,no,1,2,黄,yellow,r\n" W_OK_YES W_REPORT, HL_EPARSE,
     "t.csv:3: min_multiple: comes after the unbounded row of line 2"},
    {"warning: max below min", L_WARNING, WH "reading,no,0,0,蓝,blue,r\n" W_OK_YES W_REPORT,
     HL_EPARSE, "t.csv:2: max_multiple: 0 is not above"},
    {"warning: no rows for drinking sources", L_WARNING, WH W_OK_NO W_REPORT, HL_EPARSE,
     "t.csv:1: drinking_source: no reading rows for drinking_source yes"},
    {"warning: no report row", L_WARNING, WH W_OK_NO W_OK_YES, HL_EPARSE,
     "t.csv:1: origin: no report"},
    {"warning: two report rows", L_WARNING, WH W_OK_NO W_OK_YES W_REPORT W_REPORT, HL_EPARSE,
     "t.csv:6: origin: a second report row (the first is line 5)"},
    {"warning: unknown origin", L_WARNING, WH "guess,no,0,,蓝,blue,r\n", HL_EPARSE,
     "t.csv:2: origin: 'guess'"},
    {"warning: bad drinking_source", L_WARNING, WH "reading,maybe,0,,蓝,blue,r\n", HL_EPARSE,
     "t.csv:2: drinking_source: 'maybe'"},
    {"warning: 'any' on a reading row", L_WARNING, WH "reading,any,0,,蓝,blue,r\n", HL_EPARSE,
     "t.csv:2: drinking_source: 'any' is for the report row"},
    {"warning: negative multiple", L_WARNING, WH "reading,no,-1,,蓝,blue,r\n", HL_EPARSE,
     "t.csv:2: min_multiple: -1 is negative"},
};

static int run_loader(const bad_case *c, char *err, size_t errlen)
{
    refcsv *csv = NULL;
    int rc = refcsv_load_mem("t.csv", c->text, strlen(c->text), &csv, err, errlen);
    if (rc < 0)
        return rc;
    gb3838_table *g = NULL;
    warning_table *w = NULL;
    switch (c->which) {
    case L_CSV:
        break;
    case L_GB3838:
        rc = gb3838_from_csv(csv, &g, err, errlen);
        assert_true(rc == 0 || g == NULL);
        break;
    case L_WARNING:
        rc = warning_from_csv(csv, &w, err, errlen);
        assert_true(rc == 0 || w == NULL);
        break;
    }
    gb3838_destroy(&g);
    warning_destroy(&w);
    refcsv_destroy(&csv);
    return rc;
}

static void test_bad_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        char err[512] = "";
        int rc = run_loader(c, err, sizeof err);
        if (rc != c->rc)
            fail_msg("%s: rc %d, want %d (%s)", c->what, rc, c->rc, err);
        if (!strstr(err, c->err_has))
            fail_msg("%s: error '%s' lacks '%s'", c->what, err, c->err_has);
    }
}

static void test_good_small(void **state)
{
    (void)state;
    /* Comments, blank lines, a BOM and CRLF line ends are all fine. */
    const char *text = "\xEF\xBB\xBF# comment\r\n\r\n" GBH "\r\n" GB_BENZENE GB_DO;
    char err[256] = "";
    refcsv *csv = NULL;
    assert_int_equal(refcsv_load_mem("ok.csv", text, strlen(text), &csv, err, sizeof err), 0);
    assert_int_equal(csv->header_line, 3);
    assert_int_equal(csv->nrows, 2);
    assert_int_equal(csv->rows[0].line, 5);
    assert_int_equal(csv->rows[1].line, 6);
    assert_string_equal(csv->cols[0], "table");
    gb3838_table *g = NULL;
    assert_int_equal(gb3838_from_csv(csv, &g, err, sizeof err), 0);
    assert_int_equal(g->n_items, 2);
    assert_non_null(gb3838_find(g, "benzene"));
    assert_int_equal(gb3838_find(g, "DO")->kind, GB3838_MIN);
    gb3838_destroy(&g);
    assert_null(g);
    refcsv_destroy(&csv);
    assert_null(csv);
    refcsv_destroy(NULL);
    gb3838_destroy(NULL);
    warning_destroy(NULL);
}

static void test_limits_of_reader(void **state)
{
    (void)state;
    char err[256] = "";
    refcsv *csv = NULL;
    /* A field of REFCSV_MAX_FIELD bytes is accepted, one more is not. */
    size_t n = REFCSV_MAX_FIELD + 16;
    char *buf = malloc(n + 16);
    assert_non_null(buf);
    memcpy(buf, "a\n", 2);
    memset(buf + 2, 'x', REFCSV_MAX_FIELD);
    buf[2 + REFCSV_MAX_FIELD] = '\n';
    assert_int_equal(refcsv_load_mem("f.csv", buf, 3 + REFCSV_MAX_FIELD, &csv, err, sizeof err), 0);
    refcsv_destroy(&csv);
    memset(buf + 2, 'x', REFCSV_MAX_FIELD + 1);
    buf[3 + REFCSV_MAX_FIELD] = '\n';
    assert_int_equal(refcsv_load_mem("f.csv", buf, 4 + REFCSV_MAX_FIELD, &csv, err, sizeof err),
                     HL_ETOOBIG);
    assert_non_null(strstr(err, "f.csv:2: a: field of"));
    free(buf);

    /* REFCSV_MAX_COLS columns are accepted, one more is not. */
    char line[REFCSV_MAX_COLS * 4 + 8];
    size_t o = 0;
    for (int i = 0; i < REFCSV_MAX_COLS + 1; i++)
        o += (size_t)snprintf(line + o, sizeof line - o, "%sc%d", i ? "," : "", i);
    line[o++] = '\n';
    assert_int_equal(refcsv_load_mem("c.csv", line, o, &csv, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "c.csv:1: more than"));

    /* A file over REFCSV_MAX_BYTES is refused before parsing. */
    assert_int_equal(refcsv_load_mem("big.csv", "", REFCSV_MAX_BYTES + 1, &csv, err, sizeof err),
                     HL_ETOOBIG);
    assert_non_null(strstr(err, "big.csv:1: file of"));
}

static void test_row_limit(void **state)
{
    (void)state;
    /* REFCSV_MAX_ROWS records are accepted, one more is not. */
    size_t cap = 8 + (size_t)(REFCSV_MAX_ROWS + 1) * 2;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t o = 0;
    buf[o++] = 'a';
    buf[o++] = '\n';
    for (int i = 0; i < REFCSV_MAX_ROWS; i++) {
        buf[o++] = '1';
        buf[o++] = '\n';
    }
    char err[256] = "";
    refcsv *csv = NULL;
    assert_int_equal(refcsv_load_mem("r.csv", buf, o, &csv, err, sizeof err), 0);
    assert_int_equal(csv->nrows, REFCSV_MAX_ROWS);
    refcsv_destroy(&csv);
    buf[o++] = '1';
    buf[o++] = '\n';
    assert_int_equal(refcsv_load_mem("r.csv", buf, o, &csv, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "more than"));
    free(buf);
}

/* Grow *buf by the printf result (test helper; aborts the test on overflow). */
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    assert_true(w >= 0 && (size_t)w < cap - *used);
    *used += (size_t)w;
}

static int load_text(loader which, const char *text, char *err, size_t errlen)
{
    bad_case c = {"", which, text, 0, ""};
    return run_loader(&c, err, errlen);
}

/* GB3838_NAME_MAX bytes of name or alias are accepted, one more is not; GB3838_MAX_ITEMS
 * rows are accepted, one more is not; WARNING_MAX_RULES reading rows likewise. */
static void test_loader_limits(void **state)
{
    (void)state;
    size_t cap = 200000, used = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    char err[512];
    char name[GB3838_NAME_MAX + 2];
    memset(name, 'n', sizeof name);
    name[GB3838_NAME_MAX] = '\0';
    used = 0;
    append(buf, cap, &used, GBH "表3 x,1,%s,mg/L,<=,,,,,,0.1,,s,a%s,any,yes\n", name, name + 1);
    assert_int_equal(load_text(L_GB3838, buf, err, sizeof err), 0);
    name[GB3838_NAME_MAX] = 'n';
    name[GB3838_NAME_MAX + 1] = '\0';
    used = 0;
    append(buf, cap, &used, GBH "表3 x,1,%s,mg/L,<=,,,,,,0.1,,s,,any,yes\n", name);
    assert_int_equal(load_text(L_GB3838, buf, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "t.csv:2: item: name longer than"));
    used = 0;
    append(buf, cap, &used, GBH "表3 x,1,x,mg/L,<=,,,,,,0.1,,s,%s,any,yes\n", name);
    assert_int_equal(load_text(L_GB3838, buf, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "t.csv:2: alias: alias longer than"));

    used = 0;
    append(buf, cap, &used, GBH);
    for (int i = 1; i <= GB3838_MAX_ITEMS; i++)
        append(buf, cap, &used, "表3 x,%d,item%d,mg/L,<=,,,,,,0.1,,s,,any,yes\n", i % 999 + 1, i);
    assert_int_equal(load_text(L_GB3838, buf, err, sizeof err), 0);
    append(buf, cap, &used, "表3 x,1,one-more,mg/L,<=,,,,,,0.1,,s,,any,yes\n");
    assert_int_equal(load_text(L_GB3838, buf, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "more than 512 items"));

    used = 0;
    append(buf, cap, &used, WH W_OK_YES W_REPORT);
    for (int i = 0; i < WARNING_MAX_RULES - 2; i++)
        append(buf, cap, &used, "reading,no,%d,%d,蓝,blue,r\n", i, i + 1);
    append(buf, cap, &used, "reading,no,%d,,红,red,r\n", WARNING_MAX_RULES - 2);
    assert_int_equal(load_text(L_WARNING, buf, err, sizeof err), 0);
    append(buf, cap, &used, "reading,yes,99,,红,red,r\n");
    assert_int_equal(load_text(L_WARNING, buf, err, sizeof err), HL_ETOOBIG);
    assert_non_null(strstr(err, "more than 64 reading rows"));
    free(buf);
}

/* Files on disk: the path appears in the message. */
static void test_files(void **state)
{
    (void)state;
    char err[1024] = "";
    gb3838_table *g = NULL;
    warning_table *w = NULL;
    assert_int_equal(gb3838_load(HL_TEST_DATA_DIR "/gb3838_bad_limit.csv", &g, err, sizeof err),
                     HL_EPARSE);
    assert_null(g);
    assert_non_null(strstr(err, "gb3838_bad_limit.csv:4: II: 'six' is not a number"));
    assert_int_equal(warning_load(HL_TEST_DATA_DIR "/warning_overlap.csv", &w, err, sizeof err),
                     HL_EPARSE);
    assert_null(w);
    assert_non_null(
        strstr(err, "warning_overlap.csv:4: min_multiple: 0.5 leaves a gap or overlap"));
    assert_int_equal(gb3838_load(HL_TEST_DATA_DIR "/no-such-file.csv", &g, err, sizeof err),
                     HL_EIO);
    assert_non_null(strstr(err, "no-such-file.csv: cannot open"));
    /* The shipped tables load. */
    assert_int_equal(warning_load(HL_TEST_SOURCE_DIR "/playbooks/reference/warning_levels.csv", &w,
                                  err, sizeof err),
                     0);
    assert_int_equal(w->n, 7);
    warning_destroy(&w);
    assert_null(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_good_small),
        cmocka_unit_test(test_limits_of_reader),
        cmocka_unit_test(test_row_limit),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_loader_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
