/* domain_util.c — see domain_util.h. */
#include "domain_util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

int hl_dom_id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

int hl_dom_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s)
        return HL_EINVAL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return HL_EINVAL;
    *out = v;
    return 0;
}

int hl_dom_copy(char *dst, size_t n, const char *src)
{
    if (n == 0)
        return 1;
    size_t len = strlen(src);
    int cut = len >= n;
    if (cut)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = 0;
    if (cut)
        hl_dom_utf8_trim(dst, len);
    return cut;
}

void hl_dom_utf8_trim(char *s, size_t len)
{
    /* Walk back over continuation bytes (10xxxxxx) to the lead byte of the last character;
     * keep it only if all its bytes are there. */
    size_t i = len;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                                                            : (lead & 0xF8) == 0xF0 ? 4 : 0;
    if (need == 0 || len - (i - 1) < need)
        s[i - 1] = 0;
}

int hl_dom_fmt(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    if (n == 0)
        return 1;
    va_start(ap, fmt);
    int k = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    if (k < 0) {
        buf[0] = 0;
        return 1;
    }
    if ((size_t)k >= n) {
        hl_dom_utf8_trim(buf, n - 1);
        return 1;
    }
    return 0;
}

int hl_dom_in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int hl_dom_cmp_double(double a, double b)
{
    return (a > b) - (a < b);
}

uint64_t hl_dom_fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

int hl_dom_ystr(hl_dom_yctx *c, const hl_yaml_node *m, const char *key, int req, char *out,
                size_t n)
{
    return hl_yaml_str(c->d, m, key, req, out, n, c->err, c->errlen);
}

int hl_dom_yid(hl_dom_yctx *c, const hl_yaml_node *m, const char *key, int req, char *out,
               size_t n)
{
    int rc = hl_dom_ystr(c, m, key, req, out, n);
    if (rc < 0)
        return rc;
    if ((req || out[0]) && !hl_dom_id_ok(out)) {
        const hl_yaml_node *v = hl_yaml_get(m, key);
        return hl_yaml_errf(c->d, v ? v : m, c->err, c->errlen,
                            "%s: '%s' is not an id (1..64 of A-Za-z0-9._:-)", key, out);
    }
    return 0;
}

int hl_dom_ymap(hl_dom_yctx *c, const hl_yaml_node *n, const char *what)
{
    if (!n || n->kind != HL_YAML_MAP)
        return hl_yaml_errf(c->d, n, c->err, c->errlen, "%s: expected a mapping", what);
    return 0;
}
