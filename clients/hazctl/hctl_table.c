/* hctl_table.c — see hctl_table.h. */
#include "hctl_table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

/* ---- String builder ---- */

static int buf_reserve(hctl_buf *b, size_t extra)
{
    if (b->err)
        return b->err;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > SIZE_MAX / 2)
            return b->err = HL_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p)
        return b->err = HL_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

int hctl_buf_vprintf(hctl_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return b->err = HL_EINVAL;
    int rc = buf_reserve(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int hctl_buf_printf(hctl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = hctl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int hctl_buf_puts(hctl_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int rc = buf_reserve(b, n);
    if (rc < 0)
        return rc;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

const char *hctl_buf_str(const hctl_buf *b)
{
    return b->p ? b->p : "";
}

void hctl_buf_free(hctl_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- UTF-8 and display width ---- */

/* Decode one code point at s (NUL-terminated). Sets *cp and returns the bytes used; an
 * invalid or truncated sequence yields U+FFFD and consumes one byte. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = v;
    return n;
}

struct range {
    uint32_t lo, hi;
};

/* East Asian Wide (W) and Fullwidth (F) blocks of UAX #11, coarse but covering every CJK
 * ideograph, kana, hangul, CJK punctuation and fullwidth form that our data uses. */
static const struct range wide[] = {
    {0x1100, 0x115F},   {0x2329, 0x232A},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
    {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},
    {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
    {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD},
    {0x30000, 0x3FFFD},
};
/* Combining marks and zero-width characters: they take no cell of their own. */
static const struct range zero[] = {
    {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
};

static int in_ranges(uint32_t cp, const struct range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return 1;
    return 0;
}

static size_t cp_width(uint32_t cp)
{
    if (in_ranges(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    if (in_ranges(cp, wide, sizeof wide / sizeof wide[0]))
        return 2;
    return 1;
}

size_t hctl_text_width(const char *s)
{
    size_t w = 0;
    if (!s)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        p += utf8_next(p, &cp);
        w += cp_width(cp);
    }
    return w;
}

/* ---- Tables ---- */

typedef struct cell {
    char *text;   /* sanitized, possibly cut */
    size_t width; /* display width of text */
} cell;

struct hctl_table {
    size_t ncols;
    int has_header;
    cell header[HCTL_TABLE_MAX_COLS];
    int right[HCTL_TABLE_MAX_COLS];
    size_t max_width[HCTL_TABLE_MAX_COLS]; /* SIZE_MAX = no limit */
    cell *cells;                           /* row-major, ncells used */
    size_t ncells, cap;
};

/* Copy s into a fresh cell: invalid UTF-8 becomes U+FFFD, control characters become spaces
 * when ctrl_to_space, and text wider than max_width is cut to max_width-1 cells plus "…". */
static int clean_copy(const char *s, size_t max_width, int ctrl_to_space, cell *out)
{
    size_t n = strlen(s);
    /* Each input byte becomes at most 3 output bytes (U+FFFD), plus "…" and NUL. */
    char *t = malloc(n * 3 + 4);
    if (!t)
        return HL_ENOMEM;
    size_t o = 0, w = 0;
    const unsigned char *p = (const unsigned char *)s;
    int cut = 0;
    while (*p) {
        uint32_t cp;
        size_t k = utf8_next(p, &cp);
        int ctrl = ctrl_to_space && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0));
        int invalid = cp == 0xFFFD && k == 1; /* a real U+FFFD takes 3 bytes */
        size_t cw = ctrl ? 1 : cp_width(cp);
        if (w + cw > max_width) {
            cut = 1;
            break;
        }
        if (ctrl) {
            t[o++] = ' ';
        } else if (invalid) {
            memcpy(t + o, "\xEF\xBF\xBD", 3);
            o += 3;
        } else {
            memcpy(t + o, p, k);
            o += k;
        }
        w += cw;
        p += k;
    }
    if (cut) {
        /* Step back until "…" fits within max_width. */
        while (w + 1 > max_width && o > 0) {
            size_t start = o - 1;
            while (start > 0 && ((unsigned char)t[start] & 0xC0) == 0x80)
                start--;
            uint32_t cp;
            utf8_next((const unsigned char *)t + start, &cp);
            w -= cp_width(cp);
            o = start;
        }
        memcpy(t + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
        w += 1;
    }
    t[o] = '\0';
    out->text = t;
    out->width = w;
    return 0;
}

/* A table cell: NULL or "" shows "-", one line, at most max_width cells. */
static int cell_make(const char *s, size_t max_width, cell *out)
{
    return clean_copy(s && *s ? s : "-", max_width, 1, out);
}

char *hctl_text_clean(const char *s)
{
    cell c;
    return clean_copy(s ? s : "", SIZE_MAX, 0, &c) < 0 ? NULL : c.text;
}

hctl_table *hctl_table_new(const char *const *headers, size_t ncols)
{
    if (ncols == 0 || ncols > HCTL_TABLE_MAX_COLS)
        return NULL;
    hctl_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->ncols = ncols;
    t->has_header = headers != NULL;
    for (size_t i = 0; i < ncols; i++)
        t->max_width[i] = SIZE_MAX;
    if (headers) {
        for (size_t i = 0; i < ncols; i++) {
            if (cell_make(headers[i], SIZE_MAX, &t->header[i]) < 0) {
                hctl_table_destroy(&t);
                return NULL;
            }
        }
    }
    return t;
}

void hctl_table_destroy(hctl_table **tp)
{
    if (!tp || !*tp)
        return;
    hctl_table *t = *tp;
    for (size_t i = 0; i < t->ncols; i++)
        free(t->header[i].text);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i].text);
    free(t->cells);
    free(t);
    *tp = NULL;
}

int hctl_table_max_width(hctl_table *t, size_t col, size_t width)
{
    if (!t || col >= t->ncols)
        return HL_EINVAL;
    t->max_width[col] = width ? width : SIZE_MAX;
    return 0;
}

int hctl_table_align_right(hctl_table *t, size_t col)
{
    if (!t || col >= t->ncols)
        return HL_EINVAL;
    t->right[col] = 1;
    return 0;
}

static int table_push(hctl_table *t, const char *text, int blank)
{
    if (t->ncells / t->ncols >= HCTL_TABLE_MAX_ROWS)
        return HL_ETOOBIG;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : t->ncols * 8;
        cell *c = realloc(t->cells, cap * sizeof *c);
        if (!c)
            return HL_ENOMEM;
        t->cells = c;
        t->cap = cap;
    }
    cell *c = &t->cells[t->ncells];
    if (blank) {
        c->text = calloc(1, 1);
        c->width = 0;
        if (!c->text)
            return HL_ENOMEM;
    } else {
        int rc = cell_make(text, t->max_width[t->ncells % t->ncols], c);
        if (rc < 0)
            return rc;
    }
    t->ncells++;
    return 0;
}

int hctl_table_cell(hctl_table *t, const char *text)
{
    return table_push(t, text, 0);
}

int hctl_table_blank(hctl_table *t)
{
    return table_push(t, NULL, 1);
}

int hctl_table_cellf(hctl_table *t, const char *fmt, ...)
{
    char tmp[HCTL_CELL_MAX_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return hctl_table_cell(t, tmp);
}

size_t hctl_table_rows(const hctl_table *t)
{
    return t->ncells / t->ncols;
}

static void pad(hctl_buf *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hctl_buf_puts(out, " ");
}

/* One line: cells[0..ncols), "-" for a missing cell (incomplete last row). */
static void render_line(const hctl_table *t, const cell *cells, size_t have, const size_t *width,
                        int indent, hctl_buf *out)
{
    pad(out, (size_t)indent);
    for (size_t c = 0; c < t->ncols; c++) {
        const char *s = c < have ? cells[c].text : "-";
        size_t w = c < have ? cells[c].width : 1;
        int last = c + 1 == t->ncols;
        if (c)
            hctl_buf_puts(out, "  ");
        if (t->right[c])
            pad(out, width[c] - w);
        hctl_buf_puts(out, s);
        if (!t->right[c] && !last)
            pad(out, width[c] - w);
    }
    /* Trailing spaces can remain when the last cells are short and right-aligned never;
     * trim them so output compares cleanly. */
    while (out->len && out->p[out->len - 1] == ' ')
        out->p[--out->len] = '\0';
    hctl_buf_puts(out, "\n");
}

int hctl_table_render(const hctl_table *t, int indent, hctl_buf *out)
{
    size_t width[HCTL_TABLE_MAX_COLS] = {0};
    for (size_t c = 0; c < t->ncols; c++)
        if (t->has_header)
            width[c] = t->header[c].width;
    for (size_t i = 0; i < t->ncells; i++) {
        size_t c = i % t->ncols;
        if (t->cells[i].width > width[c])
            width[c] = t->cells[i].width;
    }
    if (t->has_header) {
        render_line(t, t->header, t->ncols, width, indent, out);
        pad(out, (size_t)indent);
        for (size_t c = 0; c < t->ncols; c++) {
            if (c)
                hctl_buf_puts(out, "  ");
            for (size_t k = 0; k < width[c]; k++)
                hctl_buf_puts(out, "-");
        }
        hctl_buf_puts(out, "\n");
    }
    for (size_t r = 0; r * t->ncols < t->ncells; r++) {
        size_t have = t->ncells - r * t->ncols;
        if (have > t->ncols)
            have = t->ncols;
        render_line(t, t->cells + r * t->ncols, have, width, indent, out);
    }
    return out->err;
}
