/* hl_clock.h — the process clock, real or scaled for drills.
 *
 * All stored and transmitted times are Unix milliseconds UTC ("drill time" when a drill runs).
 * A scaled clock maps real time to drill time:
 *     drill_ms = origin_ms + (real_ms - origin_real_ms) * scale
 * Every process of a drill is given the same three numbers (HAZLINK_CLOCK, see
 * hl_clock_parse) so deadlines, ack timeouts and plume arrival times agree across processes.
 */
#ifndef HL_CLOCK_H
#define HL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct hl_clock {
    int64_t origin_real_ms; /* real Unix ms at which drill time was origin_ms */
    int64_t origin_ms;      /* drill Unix ms at origin_real_ms */
    double scale;           /* drill ms per real ms; 1.0 = real time; (0, 10000] */
} hl_clock;

#define HL_CLOCK_MAX_SCALE 10000.0

/* Real wall clock, Unix ms UTC. */
int64_t hl_real_now_ms(void);

/* Parse "scale=S,origin=MS,real=MS" (any order; missing origin/real = now).
 * "" or NULL gives the real clock. HL_EINVAL names nothing else: the caller reports spec. */
int hl_clock_parse(const char *spec, hl_clock *out);

/* Format c as a spec string hl_clock_parse accepts. Returns HL_ETOOBIG if n is short. */
int hl_clock_format(const hl_clock *c, char *buf, size_t n);

/* Set / read the process clock (default: real). Not thread-safe; set once at start. */
void hl_clock_set(const hl_clock *c);
const hl_clock *hl_clock_get(void);

/* Current drill time, Unix ms UTC. */
int64_t hl_now_ms(void);

/* Real milliseconds that drill_delta_ms of drill time takes (rounded up, >= 0). */
int64_t hl_clock_real_delay_ms(int64_t drill_delta_ms);

/* Format Unix ms as ISO 8601 with an explicit offset, e.g. "2026-11-30T10:00:00+08:00".
 * offset_min: minutes east of UTC (Beijing: 480). Returns HL_ETOOBIG if n < 32. */
#define HL_TZ_BEIJING_MIN 480
int hl_time_format(int64_t unix_ms, int offset_min, char *buf, size_t n);

/* Parse ISO 8601 "YYYY-MM-DDTHH:MM[:SS][.mmm](Z|+HH:MM|-HH:MM)" into Unix ms.
 * HL_EINVAL on anything else (an offset is required). */
int hl_time_parse(const char *s, int64_t *out_ms);

#endif
