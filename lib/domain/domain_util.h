/* domain_util.h — small helpers shared by the lib/domain modules (private). */
#ifndef HL_DOMAIN_UTIL_H
#define HL_DOMAIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "hazlink/hl_yaml.h"

/* 1 when s is 1..64 bytes of [A-Za-z0-9._:-] (the project's id rule, hl_codec.h). */
int hl_dom_id_ok(const char *s);
/* Strict decimal number: whole string, finite. 0 or HL_EINVAL. */
int hl_dom_parse_double(const char *s, double *out);
/* Copy src into dst of size n, cutting at n-1 bytes on a UTF-8 boundary; 1 if it was cut. */
int hl_dom_copy(char *dst, size_t n, const char *src);
/* 1 when s equals one of the NULL-terminated list. */
int hl_dom_in(const char *s, const char *const *list);
/* snprintf that, when it must cut, cuts at a UTF-8 character boundary (names here are
 * Chinese: a cut inside a character would make the text invalid UTF-8, which the codec
 * refuses). Returns 1 if the text was cut, 0 if not. */
int hl_dom_fmt(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Cut s (NUL-terminated, len bytes) back to the last complete UTF-8 character. */
void hl_dom_utf8_trim(char *s, size_t len);
/* qsort-style three-way compare of doubles. */
int hl_dom_cmp_double(double a, double b);
/* 64-bit FNV-1a of s, for short deterministic ids. */
uint64_t hl_dom_fnv1a(const char *s);

/* A loader's context: the document and where errors go ("file:line: field: what"). */
typedef struct hl_dom_yctx {
    const hl_yaml_doc *d;
    char *err;
    size_t errlen;
} hl_dom_yctx;

/* A string field into a buffer of n bytes (at most n-1; hl_yaml_str takes the buffer size). */
int hl_dom_ystr(hl_dom_yctx *c, const hl_yaml_node *m, const char *key, int req, char *out,
                size_t n);
/* The same, and it must be an id (hl_dom_id_ok) when required or given. */
int hl_dom_yid(hl_dom_yctx *c, const hl_yaml_node *m, const char *key, int req, char *out,
               size_t n);
/* HL_EPARSE naming what unless n is a mapping. */
int hl_dom_ymap(hl_dom_yctx *c, const hl_yaml_node *n, const char *what);

#endif
