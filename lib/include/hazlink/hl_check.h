/* hl_check.h — checks of values that arrive in messages (hostile input, issue 3).
 *
 * A well-formed protobuf can still carry a negative quantity, a NaN concentration, a time
 * in 1970 or next year, an unknown enum word, an empty id or a megabyte of text. Handlers
 * check every field they use with these helpers before changing anything, and answer the
 * first failure as an error naming the field (hl_req_fail_check in hl_svc.h).
 *
 * Pattern: one hl_check per message; each helper records the FIRST failure (code, field,
 * sentence) and later helpers on the same hl_check do nothing once it holds one, so a
 * handler writes the checks in a row and tests once:
 *
 *     hl_check c = HL_CHECK_INIT;
 *     hl_check_id(&c, "reading.station_id", m->station_id, 1);
 *     hl_check_range(&c, "reading.value", m->value, 0, 1e6);
 *     hl_check_time(&c, "reading.at_ms", m->at_ms, r->now_ms);
 *     if (c.rc < 0) return hl_req_fail_check(r, &c);
 *
 * Every helper returns c->rc after its own check (0 or the first failure). Pure: no clock,
 * no I/O (times are judged against the now_ms the caller passes).
 */
#ifndef HL_CHECK_H
#define HL_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "hazlink/hl_codec.h"

#define HL_CHECK_FIELD_MAX 128
#define HL_CHECK_WHY_MAX 256

/* Accepted window for times in messages, around the receiver's now (drill time): a
 * sensor clock can lag for years only by fault, and nothing is scheduled in messages more
 * than a day ahead. */
#define HL_CHECK_PAST_MS (3653LL * 24 * 3600 * 1000) /* 10 years (3653 days) */
#define HL_CHECK_FUTURE_MS (24LL * 3600 * 1000)      /* 1 day */

typedef struct hl_check {
    int rc;                            /* 0, or the first failure (HL_EINVAL, HL_ETOOBIG) */
    char field[HL_CHECK_FIELD_MAX];    /* e.g. "reading.value" or "tasks[3].unit_id" */
    char why[HL_CHECK_WHY_MAX];        /* a sentence naming the field and the bad value */
} hl_check;

#define HL_CHECK_INIT {0, "", ""}

/* Record a failure by hand (e.g. a rule only the handler knows); printf-style. Does
 * nothing if c already holds one. Returns c->rc. */
int hl_check_fail(hl_check *c, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Numbers. NaN and ±inf always fail (HL_EINVAL).
 * hl_check_range: min <= v <= max.  hl_check_nonneg: v >= 0 (quantities, concentrations,
 * flows).  hl_check_positive: v > 0. */
int hl_check_range(hl_check *c, const char *field, double v, double min, double max);
int hl_check_nonneg(hl_check *c, const char *field, double v);
int hl_check_positive(hl_check *c, const char *field, double v);
/* Integers: min <= v <= max. */
int hl_check_int(hl_check *c, const char *field, int64_t v, int64_t min, int64_t max);

/* A time in Unix ms: now_ms - HL_CHECK_PAST_MS <= t <= now_ms + HL_CHECK_FUTURE_MS.
 * 0 is "not given" and fails too (use hl_check_time_opt where it may be absent). */
int hl_check_time(hl_check *c, const char *field, int64_t t_ms, int64_t now_ms);
int hl_check_time_opt(hl_check *c, const char *field, int64_t t_ms, int64_t now_ms);

/* An id (hl_id_check: 1..HL_ID_MAX bytes of [A-Za-z0-9._:-]); required=0 lets NULL/""
 * pass. HL_EINVAL (empty when required, bad characters), HL_ETOOBIG (too long). */
int hl_check_id(hl_check *c, const char *field, const char *v, int required);
/* Text: valid UTF-8, at most max bytes, no control characters other than tab and newline
 * (a NUL cannot occur in a C string). HL_EINVAL / HL_ETOOBIG. */
int hl_check_str(hl_check *c, const char *field, const char *v, size_t max, int required);
/* One of the words in allowed (NULL-terminated list), compared exactly. required=0 lets
 * NULL/"" pass. The error lists the allowed words. HL_EINVAL. */
int hl_check_enum(hl_check *c, const char *field, const char *v, const char *const *allowed,
                  int required);
/* A repeated field's count: at most max (HL_ETOOBIG), at least min (HL_EINVAL). */
int hl_check_count(hl_check *c, const char *field, size_t n, size_t min, size_t max);

#endif
