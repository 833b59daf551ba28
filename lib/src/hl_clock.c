/* hl_clock.c — real and drill-scaled clocks, ISO 8601 with explicit offsets. */
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static hl_clock g_clock = {0, 0, 1.0};

int64_t hl_real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Parse a whole decimal int64; 0 or HL_EINVAL. */
static int parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf) return HL_EINVAL;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end != '\0') return HL_EINVAL;
    *out = (int64_t)v;
    return 0;
}

int hl_clock_parse(const char *spec, hl_clock *out)
{
    int64_t now = hl_real_now_ms();
    hl_clock c = {now, now, 1.0};
    int have_origin = 0, have_real = 0, have_scale = 0;
    if (!out) return HL_EINVAL;
    if (spec == NULL || spec[0] == '\0') {
        *out = c;
        return 0;
    }
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq) return HL_EINVAL;
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vlen = len - klen - 1;
        if (klen == 5 && memcmp(p, "scale", 5) == 0 && !have_scale) {
            char buf[64];
            if (vlen == 0 || vlen >= sizeof buf) return HL_EINVAL;
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            char *end = NULL;
            errno = 0;
            double s = strtod(buf, &end);
            if (errno || *end != '\0' || !isfinite(s) || s <= 0.0 || s > HL_CLOCK_MAX_SCALE)
                return HL_EINVAL;
            c.scale = s;
            have_scale = 1;
        } else if (klen == 6 && memcmp(p, "origin", 6) == 0 && !have_origin) {
            if (parse_i64(v, vlen, &c.origin_ms) < 0) return HL_EINVAL;
            have_origin = 1;
        } else if (klen == 4 && memcmp(p, "real", 4) == 0 && !have_real) {
            if (parse_i64(v, vlen, &c.origin_real_ms) < 0) return HL_EINVAL;
            have_real = 1;
        } else {
            return HL_EINVAL;
        }
        if (!comma) break;
        p = comma + 1;
        if (*p == '\0') return HL_EINVAL; /* trailing comma */
    }
    *out = c;
    return 0;
}

int hl_clock_format(const hl_clock *c, char *buf, size_t n)
{
    if (!c || !buf) return HL_EINVAL;
    /* %.17g keeps every bit of the scale so parse(format(c)) == c. */
    int k = snprintf(buf, n, "scale=%.17g,origin=%lld,real=%lld", c->scale,
                     (long long)c->origin_ms, (long long)c->origin_real_ms);
    if (k < 0 || (size_t)k >= n) return HL_ETOOBIG;
    return 0;
}

void hl_clock_set(const hl_clock *c)
{
    if (c) g_clock = *c;
}

const hl_clock *hl_clock_get(void)
{
    return &g_clock;
}

int64_t hl_now_ms(void)
{
    int64_t real = hl_real_now_ms();
    if (g_clock.scale == 1.0 && g_clock.origin_ms == g_clock.origin_real_ms) return real;
    double d = (double)(real - g_clock.origin_real_ms) * g_clock.scale;
    return g_clock.origin_ms + (int64_t)floor(d);
}

int64_t hl_clock_real_delay_ms(int64_t drill_delta_ms)
{
    if (drill_delta_ms <= 0) return 0;
    double s = g_clock.scale > 0 ? g_clock.scale : 1.0;
    double r = ceil((double)drill_delta_ms / s);
    if (r > 9.0e15) r = 9.0e15;
    return (int64_t)r;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

int hl_time_format(int64_t unix_ms, int offset_min, char *buf, size_t n)
{
    if (!buf || n < 32) return HL_ETOOBIG;
    if (offset_min < -24 * 60 || offset_min > 24 * 60) return HL_EINVAL;
    int64_t local_s = floor_div(unix_ms, 1000) + (int64_t)offset_min * 60;
    int64_t days = floor_div(local_s, 86400);
    int64_t sod = local_s - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) return HL_EINVAL;
    int off = offset_min < 0 ? -offset_min : offset_min;
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", (int)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
             offset_min < 0 ? '-' : '+', off / 60, off % 60);
    return 0;
}

/* Read exactly k digits at *p into *v; advance. */
static int digits(const char **p, int k, int *v)
{
    int r = 0;
    for (int i = 0; i < k; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return HL_EINVAL;
        r = r * 10 + (c - '0');
    }
    *p += k;
    *v = r;
    return 0;
}

int hl_time_parse(const char *s, int64_t *out_ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || !out_ms) return HL_EINVAL;
    const char *p = s;
    int Y, M, D, h, mi, sec = 0, ms = 0;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
        digits(&p, 2, &D) || *p++ != 'T' || digits(&p, 2, &h) || *p++ != ':' ||
        digits(&p, 2, &mi))
        return HL_EINVAL;
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &sec)) return HL_EINVAL;
        if (*p == '.') {
            p++;
            int nd = 0;
            while (*p >= '0' && *p <= '9') {
                if (nd < 3) ms = ms * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd == 0 || nd > 9) return HL_EINVAL;
            for (int i = nd; i < 3; i++) ms *= 10;
        }
    }
    if (M < 1 || M > 12 || h > 23 || mi > 59 || sec > 59) return HL_EINVAL;
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    int md = mdays[M - 1] + (M == 2 && leap);
    if (D < 1 || D > md) return HL_EINVAL;
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om)) return HL_EINVAL;
        if (oh > 23 || om > 59) return HL_EINVAL;
        off = sign * (oh * 60 + om);
    } else {
        return HL_EINVAL;
    }
    if (*p != '\0') return HL_EINVAL;
    int64_t days = days_from_civil(Y, M, D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off * 60;
    *out_ms = secs * 1000 + ms;
    return 0;
}
