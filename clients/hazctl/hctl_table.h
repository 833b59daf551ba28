/* hctl_table.h — text tables for a terminal, and the string builder they render into.
 *
 * Pure: no I/O. Everything the duty officer reads from hazctl goes through here, so the
 * rules that keep a table readable live once:
 *  - columns are aligned by display width, not bytes: CJK names (独山子石化, 奎屯河新渠首)
 *    take two terminal cells per character (Unicode UAX #11 East Asian Wide/Fullwidth);
 *  - control characters in data (a newline in a free-text report) become spaces, so one
 *    record is always one line;
 *  - columns are shown whole unless the caller gives one a width limit (free-text columns:
 *    names, titles, HCTL_CELL_MAX_WIDTH); a cell wider than its column's limit is cut and
 *    ends with "…" (the JSON output carries the full text). Ids, numbers and the columns
 *    that carry a flag the reader must see (an "(unverified)" mark, a location's confidence)
 *    keep no limit, so an id is never shortened and a flag is never the part that is cut;
 *  - an empty or NULL cell shows "-".
 */
#ifndef HCTL_TABLE_H
#define HCTL_TABLE_H

#include <stdarg.h>
#include <stddef.h>

/* ---- String builder ---- */

/* Growable NUL-terminated text. Zero-initialise ({0}) before first use. After an allocation
 * failure every further append is ignored and err is HL_ENOMEM, so callers may append freely
 * and check once at the end. */
typedef struct hctl_buf {
    char *p;    /* NUL-terminated text (NULL until the first append) */
    size_t len; /* bytes, excluding the NUL */
    size_t cap;
    int err; /* 0 or HL_ENOMEM */
} hctl_buf;

/* Append formatted text. Returns 0 or HL_ENOMEM (also latched in b->err). */
int hctl_buf_printf(hctl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int hctl_buf_vprintf(hctl_buf *b, const char *fmt, va_list ap);
int hctl_buf_puts(hctl_buf *b, const char *s);
/* The text so far ("" when nothing was appended); valid until the next append or free. */
const char *hctl_buf_str(const hctl_buf *b);
/* Free the text and reset b to empty. */
void hctl_buf_free(hctl_buf *b);

/* ---- Display width ---- */

/* Terminal cells needed to show the UTF-8 string s (NULL counts 0): East Asian Wide and
 * Fullwidth code points count 2, combining marks 0, other printable code points 1. An
 * invalid byte counts 1 (it is shown as one replacement character). */
size_t hctl_text_width(const char *s);

/* A malloc'd copy of s in which every invalid UTF-8 byte is replaced by U+FFFD, so that it
 * can go into JSON (jansson refuses invalid UTF-8). NULL → "". NULL only on ENOMEM. */
char *hctl_text_clean(const char *s);

/* ---- Tables ---- */

#define HCTL_TABLE_MAX_COLS 16     /* columns per table */
#define HCTL_TABLE_MAX_ROWS 100000 /* rows per table (lists are at most HL_LIST_MAX) */
#define HCTL_CELL_MAX_WIDTH 48     /* usual limit of a free-text column, in display cells */
#define HCTL_CELL_MAX_BYTES 1024   /* bytes kept from one formatted cell */

typedef struct hctl_table hctl_table;

/* A table with ncols columns (1..HCTL_TABLE_MAX_COLS). headers may be NULL for a table
 * shown without a header line (key/value blocks); otherwise ncols strings, copied.
 * Returns NULL on a bad ncols or when out of memory. */
hctl_table *hctl_table_new(const char *const *headers, size_t ncols);
/* Free; accepts NULL and *t == NULL; clears *t. */
void hctl_table_destroy(hctl_table **t);

/* Widest cell of column col in display cells, before it is cut with "…"; 0 = no limit (the
 * default). Applies to cells added afterwards. HL_EINVAL if col is out of range. */
int hctl_table_max_width(hctl_table *t, size_t col, size_t width);

/* Right-align column col (numbers). HL_EINVAL if col is out of range. */
int hctl_table_align_right(hctl_table *t, size_t col);

/* Append one cell to the current row; after ncols cells the next cell starts a new row.
 * text NULL or "" shows "-". Returns 0, HL_ENOMEM, or HL_ETOOBIG past HCTL_TABLE_MAX_ROWS. */
int hctl_table_cell(hctl_table *t, const char *text);
int hctl_table_cellf(hctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append an empty cell (continuation rows, e.g. a risk source's second substance). */
int hctl_table_blank(hctl_table *t);

/* Rows completed so far. */
size_t hctl_table_rows(const hctl_table *t);

/* Render into out: header line, a line of dashes under each header, then one line per row;
 * indent spaces before every line; columns separated by two spaces; no trailing spaces.
 * A row left incomplete is padded with "-". Returns 0 or HL_ENOMEM. */
int hctl_table_render(const hctl_table *t, int indent, hctl_buf *out);

#endif
