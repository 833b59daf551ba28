/* hazctl_table_test — string builder, display width and table layout (hctl_table.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "hctl_table.h"

static void test_buf_grows_and_frees(void **state)
{
    (void)state;
    hctl_buf b = {0};
    assert_string_equal(hctl_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(hctl_buf_printf(&b, "%04d", i), 0);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.p + 3996, "0999", 4);
    assert_int_equal(hctl_buf_puts(&b, "!"), 0);
    assert_int_equal(b.p[b.len - 1], '!');
    hctl_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.len, 0);
}

/* Display width: one table of cases. CJK ideographs are East Asian Wide (UAX #11): 2 cells. */
static void test_text_width(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t w;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"独山子石化", 10},         /* 5 ideographs */
        {"奎屯河新渠首 km 36", 18}, /* 6 wide + " km 36" */
        {"µg/L", 4},                /* U+00B5 is narrow */
        {"（注）", 6},              /* fullwidth parentheses U+FF08/U+FF09 */
        {"e\xCC\x81", 1},           /* e + combining acute: one cell */
        {"\xFF\xFE", 2},            /* two invalid bytes: one cell each */
        {"…", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t w = hctl_text_width(cases[i].s);
        if (w != cases[i].w)
            fail_msg("case %zu '%s': width %zu, want %zu", i, cases[i].s, w, cases[i].w);
    }
    assert_int_equal(hctl_text_width(NULL), 0);
}

static void test_table_aligns_by_display_width(void **state)
{
    (void)state;
    const char *h[] = {"ID", "NAME", "KM"};
    hctl_table *t = hctl_table_new(h, 3);
    assert_non_null(t);
    assert_int_equal(hctl_table_align_right(t, 2), 0);
    assert_int_equal(hctl_table_align_right(t, 3), HL_EINVAL);
    assert_int_equal(hctl_table_cell(t, "sp-xinqushou"), 0);
    assert_int_equal(hctl_table_cell(t, "奎屯河新渠首"), 0);
    assert_int_equal(hctl_table_cellf(t, "%d", 36), 0);
    assert_int_equal(hctl_table_cell(t, "sp-g30-bridge"), 0);
    assert_int_equal(hctl_table_cell(t, "G30 bridge"), 0);
    assert_int_equal(hctl_table_cell(t, "30.5"), 0);
    assert_int_equal(hctl_table_rows(t), 2);
    hctl_buf b = {0};
    assert_int_equal(hctl_table_render(t, 0, &b), 0);
    const char *want = "ID             NAME            KM\n"
                       "-------------  ------------  ----\n"
                       "sp-xinqushou   奎屯河新渠首    36\n"
                       "sp-g30-bridge  G30 bridge    30.5\n";
    assert_string_equal(hctl_buf_str(&b), want);
    hctl_buf_free(&b);
    hctl_table_destroy(&t);
    assert_null(t);
    hctl_table_destroy(&t); /* NULL is accepted */
}

static void test_cells_are_sanitised_and_cut(void **state)
{
    (void)state;
    hctl_table *t = hctl_table_new(NULL, 2);
    assert_non_null(t);
    assert_int_equal(hctl_table_max_width(t, 0, HCTL_CELL_MAX_WIDTH), 0);
    assert_int_equal(hctl_table_max_width(t, 1, HCTL_CELL_MAX_WIDTH), 0);
    assert_int_equal(hctl_table_cell(t, "line1\nline2\tx"), 0); /* controls → spaces */
    assert_int_equal(hctl_table_cell(t, NULL), 0);              /* NULL → "-" */
    assert_int_equal(hctl_table_cell(t, ""), 0);                /* "" → "-" */
    assert_int_equal(hctl_table_blank(t), 0);                   /* blank stays empty */
    char longtxt[200];
    memset(longtxt, 'x', sizeof longtxt - 1);
    longtxt[sizeof longtxt - 1] = '\0';
    assert_int_equal(hctl_table_cell(t, longtxt), 0);
    /* 30 wide characters = 60 cells: cut to 47 cells (23 chars + nothing half-wide) + … */
    char wide[30 * 3 + 1] = "";
    for (int i = 0; i < 30; i++)
        strcat(wide, "苯");
    assert_int_equal(hctl_table_cell(t, wide), 0);
    assert_int_equal(hctl_table_cell(t, "bad\xFFutf8"), 0); /* an incomplete row */
    hctl_buf b = {0};
    assert_int_equal(hctl_table_render(t, 2, &b), 0);
    /* Expected: no header line (NULL headers); every line indented by 2; column 0 as wide as
     * the cut long cell (HCTL_CELL_MAX_WIDTH); the long cell cut to 47 x and "…"; the wide
     * cell cut to 23 ideographs (46 cells) and "…"; controls turned into spaces; the invalid
     * byte shown as U+FFFD; "" and NULL as "-"; the blank cell as nothing (and no trailing
     * space); the missing last cell as "-". */
    char cut[HCTL_CELL_MAX_WIDTH + 8];
    memset(cut, 'x', HCTL_CELL_MAX_WIDTH - 1);
    strcpy(cut + HCTL_CELL_MAX_WIDTH - 1, "…");
    char wantwide[30 * 3 + 8] = "";
    for (int i = 0; i < (HCTL_CELL_MAX_WIDTH - 1) / 2; i++)
        strcat(wantwide, "苯");
    strcat(wantwide, "…");
    assert_int_equal(hctl_text_width(wantwide), HCTL_CELL_MAX_WIDTH - 1);
    char want[1024];
    snprintf(want, sizeof want,
             "  %-*s  -\n"
             "  -\n"
             "  %s  %s\n"
             "  bad\xEF\xBF\xBDutf8%*s  -\n",
             HCTL_CELL_MAX_WIDTH, "line1 line2 x", cut, wantwide, HCTL_CELL_MAX_WIDTH - 8, "");
    assert_string_equal(hctl_buf_str(&b), want);
    hctl_buf_free(&b);
    hctl_table_destroy(&t);
}

/* A column without a limit (the default) keeps its whole text: an id is never shortened and a
 * flag at the end is never cut. */
static void test_unlimited_column_keeps_flags(void **state)
{
    (void)state;
    const char *h[] = {"A", "B"};
    hctl_table *t = hctl_table_new(h, 2);
    assert_non_null(t);
    assert_int_equal(hctl_table_max_width(t, 2, 0), HL_EINVAL);
    assert_int_equal(hctl_table_max_width(t, 0, 5), 0);
    char longtxt[120];
    memset(longtxt, 'y', 100);
    strcpy(longtxt + 100, " (unverified)");
    assert_int_equal(hctl_table_cell(t, "abcdefgh"), 0);
    assert_int_equal(hctl_table_cell(t, longtxt), 0);
    hctl_buf b = {0};
    assert_int_equal(hctl_table_render(t, 0, &b), 0);
    const char *s = hctl_buf_str(&b);
    assert_non_null(strstr(s, "abcd…  yyyy"));
    assert_non_null(strstr(s, longtxt));
    hctl_buf_free(&b);
    hctl_table_destroy(&t);
}

static void test_table_limits(void **state)
{
    (void)state;
    const char *h[HCTL_TABLE_MAX_COLS + 1] = {0};
    for (int i = 0; i <= HCTL_TABLE_MAX_COLS; i++)
        h[i] = "H";
    assert_null(hctl_table_new(h, 0));
    assert_null(hctl_table_new(h, HCTL_TABLE_MAX_COLS + 1));
    hctl_table *t = hctl_table_new(h, HCTL_TABLE_MAX_COLS);
    assert_non_null(t);
    hctl_table_destroy(&t);
    /* Rows are bounded: the cell past the last row is refused. */
    t = hctl_table_new(NULL, 1);
    for (size_t i = 0; i < HCTL_TABLE_MAX_ROWS; i++)
        assert_int_equal(hctl_table_cell(t, "a"), 0);
    assert_int_equal(hctl_table_cell(t, "a"), HL_ETOOBIG);
    assert_int_equal(hctl_table_rows(t), HCTL_TABLE_MAX_ROWS);
    hctl_table_destroy(&t);
}

static void test_text_clean(void **state)
{
    (void)state;
    char *c = hctl_text_clean("ok \xC3(苯)");
    assert_non_null(c);
    assert_string_equal(c, "ok \xEF\xBF\xBD(苯)");
    free(c);
    c = hctl_text_clean(NULL);
    assert_string_equal(c, "");
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_grows_and_frees),
        cmocka_unit_test(test_text_width),
        cmocka_unit_test(test_table_aligns_by_display_width),
        cmocka_unit_test(test_cells_are_sanitised_and_cut),
        cmocka_unit_test(test_unlimited_column_keeps_flags),
        cmocka_unit_test(test_table_limits),
        cmocka_unit_test(test_text_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
