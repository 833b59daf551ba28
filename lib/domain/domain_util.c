/* domain_util.c — see domain_util.h. */
#include "domain_util.h"

#include <errno.h>
#include <math.h>
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
    return cut;
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
