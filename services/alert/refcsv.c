/* refcsv.c — see refcsv.h. */
#include "refcsv.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

typedef struct refcsv__ctx {
    refcsv *t;
    char *cur[REFCSV_MAX_COLS];
    size_t ncur;
    size_t cap_rows;
    int cur_line;  /* line being fed to the parser */
    int rec_line;  /* line where the current record started */
    int in_record; /* a record has started and not yet ended */
    int rc;        /* first error, 0 = none */
    char *err;
    size_t errlen;
} refcsv__ctx;

int refcsv_fail(const refcsv *t, int line, const char *field, int code, char *err, size_t errlen,
                const char *fmt, ...)
{
    if (err && errlen) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        if (field && field[0])
            snprintf(err, errlen, "%s:%d: %s: %s", t->file, line, field, what);
        else
            snprintf(err, errlen, "%s:%d: %s", t->file, line, what);
    }
    return code;
}

static void refcsv__free_cur(refcsv__ctx *c)
{
    for (size_t i = 0; i < c->ncur; i++) {
        free(c->cur[i]);
        c->cur[i] = NULL;
    }
    c->ncur = 0;
}

/* Name of column i for messages: the header name once the header is known. */
static const char *refcsv__colname(const refcsv__ctx *c, size_t i, char *buf, size_t n)
{
    if (c->t->cols && i < c->t->ncols)
        return c->t->cols[i];
    snprintf(buf, n, "column %zu", i + 1);
    return buf;
}

static void refcsv__on_field(void *s, size_t len, void *ud)
{
    refcsv__ctx *c = ud;
    char nb[32];
    if (c->rc)
        return;
    if (c->ncur >= REFCSV_MAX_COLS) {
        c->rc = refcsv_fail(c->t, c->rec_line, NULL, HL_ETOOBIG, c->err, c->errlen,
                            "more than %d fields in one record", REFCSV_MAX_COLS);
        return;
    }
    if (len > REFCSV_MAX_FIELD) {
        c->rc =
            refcsv_fail(c->t, c->rec_line, refcsv__colname(c, c->ncur, nb, sizeof nb), HL_ETOOBIG,
                        c->err, c->errlen, "field of %zu bytes (limit %d)", len, REFCSV_MAX_FIELD);
        return;
    }
    char *f = malloc(len + 1);
    if (!f) {
        c->rc = HL_ENOMEM;
        return;
    }
    if (len)
        memcpy(f, s, len);
    f[len] = '\0';
    if (strlen(f) != len || hl_str_check(f, REFCSV_MAX_FIELD, 0) < 0) {
        c->rc = refcsv_fail(c->t, c->rec_line, refcsv__colname(c, c->ncur, nb, sizeof nb),
                            HL_EPARSE, c->err, c->errlen, "not valid UTF-8 text");
        free(f);
        return;
    }
    c->cur[c->ncur++] = f;
}

static void refcsv__on_record(int term, void *ud)
{
    refcsv__ctx *c = ud;
    refcsv *t = c->t;
    (void)term;
    c->in_record = 0;
    if (c->rc) {
        refcsv__free_cur(c);
        return;
    }
    if (!t->cols) {
        for (size_t i = 0; i < c->ncur; i++) {
            if (!c->cur[i][0]) {
                c->rc = refcsv_fail(t, c->rec_line, NULL, HL_EPARSE, c->err, c->errlen,
                                    "header: column %zu has no name", i + 1);
                refcsv__free_cur(c);
                return;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(c->cur[i], c->cur[j]) == 0) {
                    c->rc = refcsv_fail(t, c->rec_line, c->cur[i], HL_EPARSE, c->err, c->errlen,
                                        "header: duplicate column name");
                    refcsv__free_cur(c);
                    return;
                }
        }
        t->cols = calloc(c->ncur ? c->ncur : 1, sizeof *t->cols);
        if (!t->cols) {
            c->rc = HL_ENOMEM;
            refcsv__free_cur(c);
            return;
        }
        memcpy(t->cols, c->cur, c->ncur * sizeof *c->cur);
        t->ncols = c->ncur;
        t->header_line = c->rec_line;
        c->ncur = 0;
        return;
    }
    if (c->ncur != t->ncols) {
        c->rc = refcsv_fail(t, c->rec_line, NULL, HL_EPARSE, c->err, c->errlen,
                            "%zu fields, the header (line %d) has %zu", c->ncur, t->header_line,
                            t->ncols);
        refcsv__free_cur(c);
        return;
    }
    if (t->nrows >= REFCSV_MAX_ROWS) {
        c->rc = refcsv_fail(t, c->rec_line, NULL, HL_ETOOBIG, c->err, c->errlen,
                            "more than %d records", REFCSV_MAX_ROWS);
        refcsv__free_cur(c);
        return;
    }
    if (t->nrows == c->cap_rows) {
        size_t cap = c->cap_rows ? c->cap_rows * 2 : 64;
        refcsv_row *r = realloc(t->rows, cap * sizeof *r);
        if (!r) {
            c->rc = HL_ENOMEM;
            refcsv__free_cur(c);
            return;
        }
        t->rows = r;
        c->cap_rows = cap;
    }
    char **f = malloc(c->ncur * sizeof *f + 1);
    if (!f) {
        c->rc = HL_ENOMEM;
        refcsv__free_cur(c);
        return;
    }
    memcpy(f, c->cur, c->ncur * sizeof *f);
    t->rows[t->nrows].line = c->rec_line;
    t->rows[t->nrows].f = f;
    t->nrows++;
    c->ncur = 0;
}

void refcsv_destroy(refcsv **tp)
{
    if (!tp || !*tp)
        return;
    refcsv *t = *tp;
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++)
            free(t->rows[i].f[j]);
        free(t->rows[i].f);
    }
    free(t->rows);
    if (t->cols)
        for (size_t j = 0; j < t->ncols; j++)
            free(t->cols[j]);
    free(t->cols);
    free(t);
    *tp = NULL;
}

/* Only blanks and a CR before the newline: nothing for libcsv to see. */
static int refcsv__blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

int refcsv_load_mem(const char *name, const void *buf, size_t len, refcsv **out, char *err,
                    size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    refcsv *t = calloc(1, sizeof *t);
    if (!t)
        return HL_ENOMEM;
    snprintf(t->file, sizeof t->file, "%s", name ? name : "(memory)");
    if (len > REFCSV_MAX_BYTES) {
        int rc = refcsv_fail(t, 1, NULL, HL_ETOOBIG, err, errlen, "file of %zu bytes (limit %u)",
                             len, REFCSV_MAX_BYTES);
        refcsv_destroy(&t);
        return rc;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        refcsv_destroy(&t);
        return HL_ENOMEM;
    }
    refcsv__ctx c = {.t = t, .err = err, .errlen = errlen};
    const char *s = buf;
    size_t pos = 0;
    /* A UTF-8 byte-order mark is not part of the first column's name. */
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    /* Feed line by line so that records know where they start and comments can be
     * recognised before libcsv sees them. */
    while (pos < len && !c.rc) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (s + pos)) + 1 : len - pos;
        c.cur_line++;
        if (!c.in_record) {
            if (s[pos] == '#' || refcsv__blank(s + pos, n)) {
                pos += n;
                continue;
            }
            c.in_record = 1;
            c.rec_line = c.cur_line;
        }
        if (csv_parse(&p, s + pos, n, refcsv__on_field, refcsv__on_record, &c) != n && !c.rc) {
            c.rc = refcsv_fail(t, c.cur_line, NULL, HL_EPARSE, err, errlen, "malformed CSV: %s",
                               csv_strerror(csv_error(&p)));
        }
        pos += n;
    }
    if (!c.rc && csv_fini(&p, refcsv__on_field, refcsv__on_record, &c) != 0 && !c.rc)
        c.rc = refcsv_fail(t, c.rec_line, NULL, HL_EPARSE, err, errlen,
                           "malformed CSV: %s (a quoted field is not closed)",
                           csv_strerror(csv_error(&p)));
    csv_free(&p);
    refcsv__free_cur(&c);
    if (!c.rc && !t->cols)
        c.rc = refcsv_fail(t, 1, NULL, HL_EPARSE, err, errlen, "no header line");
    if (c.rc) {
        if (c.rc == HL_ENOMEM && err && errlen)
            snprintf(err, errlen, "%s: out of memory", t->file);
        int rc = c.rc;
        refcsv_destroy(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int refcsv_load(const char *path, refcsv **out, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return HL_EIO;
    }
    /* Read at most one byte more than allowed, to tell "too big" from "exactly the limit". */
    size_t cap = REFCSV_MAX_BYTES + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        return HL_ENOMEM;
    }
    while (len < cap) {
        size_t n = fread(buf + len, 1, cap - len, fp);
        if (n == 0)
            break;
        len += n;
    }
    int rd_err = ferror(fp);
    fclose(fp);
    if (rd_err) {
        if (err && errlen)
            snprintf(err, errlen, "%s: read error", path);
        free(buf);
        return HL_EIO;
    }
    int rc = refcsv_load_mem(path, buf, len, out, err, errlen);
    free(buf);
    return rc;
}

int refcsv_col(const refcsv *t, const char *name, size_t *idx, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i], name) == 0) {
            *idx = i;
            return 0;
        }
    return refcsv_fail(t, t->header_line, name, HL_EPARSE, err, errlen,
                       "column missing from the header");
}

int refcsv_cols(const refcsv *t, const char *const *names, size_t n, size_t *idx, char *err,
                size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int rc = refcsv_col(t, names[i], &idx[i], err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int refcsv_copy(const refcsv *t, const refcsv_row *r, size_t col, char *dst, size_t n, char *err,
                size_t errlen)
{
    size_t len = strlen(r->f[col]);
    if (len >= n)
        return refcsv_fail(t, r->line, t->cols[col], HL_ETOOBIG, err, errlen,
                           "%zu bytes, at most %zu", len, n - 1);
    memcpy(dst, r->f[col], len + 1);
    return 0;
}

int refcsv_double(const refcsv *t, const refcsv_row *r, size_t col, int required, double *out,
                  char *err, size_t errlen)
{
    const char *s = r->f[col];
    if (!s[0]) {
        if (!required)
            return HL_ENOTFOUND;
        return refcsv_fail(t, r->line, t->cols[col], HL_EPARSE, err, errlen,
                           "a number is required");
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
        return refcsv_fail(t, r->line, t->cols[col], HL_EPARSE, err, errlen, "'%s' is not a number",
                           s);
    *out = v;
    return 0;
}

int refcsv_enum(const refcsv *t, const refcsv_row *r, size_t col, const char *const *names,
                int *out, char *err, size_t errlen)
{
    const char *v = r->f[col];
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; names[i]; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
        /* "a, b or c" for the message. */
        const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";
        int w = snprintf(list + used, sizeof list - used, "%s%s", sep, names[i]);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    return refcsv_fail(t, r->line, t->cols[col], HL_EPARSE, err, errlen, "'%s' is not %s", v, list);
}
