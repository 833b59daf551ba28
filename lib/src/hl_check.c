/* hl_check.c — see hl_check.h. */
#include "hazlink/hl_check.h"
#include "hazlink/hl_error.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hl_check_fail(hl_check *c, int code, const char *field, const char *fmt, ...)
{
    if (!c) return code < 0 ? code : HL_EINVAL;
    if (c->rc < 0) return c->rc;
    c->rc = code < 0 ? code : HL_EINVAL;
    snprintf(c->field, sizeof c->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
    return c->rc;
}

/* A bad value shown in an error: at most 40 bytes, printable ASCII only, so the sentence
 * stays valid UTF-8 whatever came in (the error reply must pass hl_env_unpack). */
static const char *show(const char *v, char out[48])
{
    size_t k = 0;
    for (size_t i = 0; v[i] && k < 40; i++)
        out[k++] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
    if (strlen(v) > 40) {
        out[k++] = '.', out[k++] = '.', out[k++] = '.';
    }
    out[k] = '\0';
    return out;
}

#define SKIP_IF_FAILED(c) \
    do { \
        if (!(c)) return HL_EINVAL; \
        if ((c)->rc < 0) return (c)->rc; \
    } while (0)

static int finite_or_fail(hl_check *c, const char *field, double v)
{
    if (isnan(v)) return hl_check_fail(c, HL_EINVAL, field, "%s: is not a number (NaN)", field);
    if (isinf(v)) return hl_check_fail(c, HL_EINVAL, field, "%s: is infinite", field);
    return 0;
}

int hl_check_range(hl_check *c, const char *field, double v, double min, double max)
{
    SKIP_IF_FAILED(c);
    if (finite_or_fail(c, field, v) < 0) return c->rc;
    if (v < min || v > max)
        return hl_check_fail(c, HL_EINVAL, field, "%s: %g is outside [%g, %g]", field, v, min,
                             max);
    return 0;
}

int hl_check_nonneg(hl_check *c, const char *field, double v)
{
    SKIP_IF_FAILED(c);
    if (finite_or_fail(c, field, v) < 0) return c->rc;
    if (v < 0) return hl_check_fail(c, HL_EINVAL, field, "%s: %g is negative", field, v);
    return 0;
}

int hl_check_positive(hl_check *c, const char *field, double v)
{
    SKIP_IF_FAILED(c);
    if (finite_or_fail(c, field, v) < 0) return c->rc;
    if (v <= 0) return hl_check_fail(c, HL_EINVAL, field, "%s: %g is not above 0", field, v);
    return 0;
}

int hl_check_int(hl_check *c, const char *field, int64_t v, int64_t min, int64_t max)
{
    SKIP_IF_FAILED(c);
    if (v < min || v > max)
        return hl_check_fail(c, HL_EINVAL, field,
                             "%s: %" PRId64 " is outside [%" PRId64 ", %" PRId64 "]", field, v,
                             min, max);
    return 0;
}

int hl_check_time_opt(hl_check *c, const char *field, int64_t t, int64_t now_ms)
{
    SKIP_IF_FAILED(c);
    if (t == 0) return 0;
    /* Compare as differences from now so that no sum can overflow whatever t is. */
    if (t < now_ms && (uint64_t)now_ms - (uint64_t)t > (uint64_t)HL_CHECK_PAST_MS)
        return hl_check_fail(c, HL_EINVAL, field,
                             "%s: %" PRId64 " ms is more than 10 years before now (%" PRId64
                             " ms)", field, t, now_ms);
    if (t > now_ms && (uint64_t)t - (uint64_t)now_ms > (uint64_t)HL_CHECK_FUTURE_MS)
        return hl_check_fail(c, HL_EINVAL, field,
                             "%s: %" PRId64 " ms is more than 1 day after now (%" PRId64 " ms)",
                             field, t, now_ms);
    return 0;
}

int hl_check_time(hl_check *c, const char *field, int64_t t, int64_t now_ms)
{
    SKIP_IF_FAILED(c);
    if (t == 0) return hl_check_fail(c, HL_EINVAL, field, "%s: is missing (0)", field);
    return hl_check_time_opt(c, field, t, now_ms);
}

int hl_check_id(hl_check *c, const char *field, const char *v, int required)
{
    SKIP_IF_FAILED(c);
    char buf[48];
    if (!v || !v[0])
        return required ? hl_check_fail(c, HL_EINVAL, field, "%s: is empty", field) : 0;
    if (strlen(v) > HL_ID_MAX)
        return hl_check_fail(c, HL_ETOOBIG, field, "%s: '%s' is longer than %d bytes", field,
                             show(v, buf), HL_ID_MAX);
    if (hl_id_check(v) < 0)
        return hl_check_fail(c, HL_EINVAL, field,
                             "%s: '%s' is not an id (only A-Z a-z 0-9 . _ : -)", field,
                             show(v, buf));
    return 0;
}

int hl_check_str(hl_check *c, const char *field, const char *v, size_t max, int required)
{
    SKIP_IF_FAILED(c);
    if (!v || !v[0])
        return required ? hl_check_fail(c, HL_EINVAL, field, "%s: is empty", field) : 0;
    size_t n = strlen(v);
    if (n > max)
        return hl_check_fail(c, HL_ETOOBIG, field, "%s: %zu bytes is longer than %zu", field, n,
                             max);
    if (hl_str_check(v, max, required) < 0)
        return hl_check_fail(c, HL_EINVAL, field, "%s: is not valid UTF-8", field);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f)
            return hl_check_fail(c, HL_EINVAL, field,
                                 "%s: holds control character 0x%02x at byte %zu", field, ch, i);
    }
    return 0;
}

int hl_check_enum(hl_check *c, const char *field, const char *v, const char *const *allowed,
                  int required)
{
    SKIP_IF_FAILED(c);
    if (!v || !v[0])
        return required ? hl_check_fail(c, HL_EINVAL, field, "%s: is empty", field) : 0;
    if (allowed)
        for (size_t i = 0; allowed[i]; i++)
            if (strcmp(v, allowed[i]) == 0) return 0;
    char list[160] = "", buf[48];
    size_t k = 0;
    for (size_t i = 0; allowed && allowed[i] && k < sizeof list; i++) {
        int w = snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", allowed[i]);
        if (w < 0) break;
        k += (size_t)w;
    }
    if (k >= sizeof list) memcpy(list + sizeof list - 5, "...", 4);
    return hl_check_fail(c, HL_EINVAL, field, "%s: '%s' is not one of: %s", field, show(v, buf),
                         list);
}

int hl_check_count(hl_check *c, const char *field, size_t n, size_t min, size_t max)
{
    SKIP_IF_FAILED(c);
    if (n > max)
        return hl_check_fail(c, HL_ETOOBIG, field, "%s: %zu items, more than %zu", field, n, max);
    if (n < min)
        return hl_check_fail(c, HL_EINVAL, field, "%s: %zu items, fewer than %zu", field, n, min);
    return 0;
}
