/* refcsv.h — the CSV files of playbooks/reference as rows of text with line numbers.
 *
 * The loaders of the reference tables (gb3838.h, warning.h) read files through this module so
 * that every error they report names "file:line: field: what" (DESIGN.md, "Data is data").
 *
 * Format: RFC 4180 (libcsv, strict mode), UTF-8. The first record is the header; column
 * names must be unique and non-empty. A line that starts with '#' outside a quoted field,
 * between records, is a comment; blank lines between records are skipped. Every record must
 * have exactly as many fields as the header. Leading and trailing spaces of unquoted fields
 * are removed (libcsv's default).
 *
 * Limits (exceeding one is an error naming the file and line): REFCSV_MAX_BYTES per file,
 * REFCSV_MAX_COLS columns, REFCSV_MAX_ROWS records, REFCSV_MAX_FIELD bytes per field.
 *
 * Ownership: refcsv_load allocates one refcsv; every string in it lives until
 * refcsv_destroy. The module does no I/O apart from reading the one file in refcsv_load.
 */
#ifndef ALERT_REFCSV_H
#define ALERT_REFCSV_H

#include <stddef.h>

#define REFCSV_MAX_BYTES (4u * 1024u * 1024u)
#define REFCSV_MAX_COLS 64
#define REFCSV_MAX_ROWS 20000
#define REFCSV_MAX_FIELD 4096
#define REFCSV_NAME_MAX 511 /* file name kept for messages (longer is cut) */

typedef struct refcsv_row {
    int line; /* 1-based line where the record starts */
    char **f; /* ncols fields, NUL-terminated, never NULL ("" when empty) */
} refcsv_row;

typedef struct refcsv {
    char file[REFCSV_NAME_MAX + 1]; /* as given, for messages */
    int header_line;
    size_t ncols;
    char **cols; /* header names */
    refcsv_row *rows;
    size_t nrows;
} refcsv;

/* Read and parse path. On error *out is untouched and err holds "file:line: what":
 *  HL_EIO      cannot open or read (err has the OS reason)
 *  HL_ETOOBIG  file, field, column count or row count over its limit
 *  HL_EPARSE   malformed CSV (unbalanced quote …), no header, empty or duplicate column
 *              name, a record with the wrong number of fields, invalid UTF-8
 *  HL_ENOMEM */
int refcsv_load(const char *path, refcsv **out, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
int refcsv_load_mem(const char *name, const void *buf, size_t len, refcsv **out, char *err,
                    size_t errlen);
/* Free; accepts NULL and *t == NULL; clears *t. */
void refcsv_destroy(refcsv **t);

/* Index of column name. HL_EPARSE with err "file:header_line: name: column missing". */
int refcsv_col(const refcsv *t, const char *name, size_t *idx, char *err, size_t errlen);

/* Indexes of n columns names[0..n) into idx[0..n); the first missing one fails as refcsv_col. */
int refcsv_cols(const refcsv *t, const char *const *names, size_t n, size_t *idx, char *err,
                size_t errlen);

/* Copy field col of row r into dst (n bytes, NUL included). HL_ETOOBIG with err
 * "file:line: column: N bytes, at most M" when it does not fit. */
int refcsv_copy(const refcsv *t, const refcsv_row *r, size_t col, char *dst, size_t n, char *err,
                size_t errlen);

/* Parse field col of row r as a finite double (strtod, the whole field). An empty field
 * gives HL_ENOTFOUND when !required (out untouched) and HL_EPARSE when required; anything
 * not a finite number gives HL_EPARSE. err is "file:line: column: what". */
int refcsv_double(const refcsv *t, const refcsv_row *r, size_t col, int required, double *out,
                  char *err, size_t errlen);

/* Field col of row r must be one of names (a NULL-terminated list): *out = its index.
 * HL_EPARSE otherwise, err "file:line: column: 'x' is not a, b or c". */
int refcsv_enum(const refcsv *t, const refcsv_row *r, size_t col, const char *const *names,
                int *out, char *err, size_t errlen);

/* Write "file:line: field: what" into err and return code (for loaders' own checks). */
int refcsv_fail(const refcsv *t, int line, const char *field, int code, char *err, size_t errlen,
                const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
