/* hl_log.h — logging to stderr, one line per event:
 *   2026-11-30T10:00:00.123+08:00 alert[1234] WARN message
 * The time shown is the real wall clock in Beijing time (+08:00), never the drill clock,
 * so logs of several processes interleave correctly. Secret keys must never be logged.
 */
#ifndef HL_LOG_H
#define HL_LOG_H

enum hl_log_level { HL_LOG_DEBUG = 0, HL_LOG_INFO = 1, HL_LOG_WARN = 2, HL_LOG_ERROR = 3 };

/* Name shown in every line (copied, at most 31 bytes) and the lowest level printed.
 * HAZLINK_LOG=debug|info|warn|error in the environment overrides level. */
void hl_log_init(const char *program, int level);

/* Added: "debug"|"info"|"warn"|"warning"|"error" (any case) to HL_LOG_*, or -1 (also for
 * NULL). */
int hl_log_level_parse(const char *s);
/* Added: the lowest level currently printed. */
int hl_log_level(void);

void hl_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define hl_debug(...) hl_log(HL_LOG_DEBUG, __VA_ARGS__)
#define hl_info(...) hl_log(HL_LOG_INFO, __VA_ARGS__)
#define hl_warn(...) hl_log(HL_LOG_WARN, __VA_ARGS__)
#define hl_error(...) hl_log(HL_LOG_ERROR, __VA_ARGS__)

#endif
