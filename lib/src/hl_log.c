/* hl_log.c — one line per event on stderr, real wall clock in Beijing time. */
#include "hazlink/hl_log.h"
#include "hazlink/hl_clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static char g_program[32] = "hazlink";
static int g_level = HL_LOG_INFO;

/* Map a level name to HL_LOG_*; -1 if unknown. Shared with hl_config.c through
 * hl_log_level_parse (declared in hl_log.h). */
int hl_log_level_parse(const char *s)
{
    if (!s) return -1;
    if (strcasecmp(s, "debug") == 0) return HL_LOG_DEBUG;
    if (strcasecmp(s, "info") == 0) return HL_LOG_INFO;
    if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0) return HL_LOG_WARN;
    if (strcasecmp(s, "error") == 0) return HL_LOG_ERROR;
    return -1;
}

void hl_log_init(const char *program, int level)
{
    if (program) snprintf(g_program, sizeof g_program, "%s", program);
    if (level >= HL_LOG_DEBUG && level <= HL_LOG_ERROR) g_level = level;
    int env = hl_log_level_parse(getenv("HAZLINK_LOG"));
    if (env >= 0) g_level = env;
}

int hl_log_level(void)
{
    return g_level;
}

void hl_log(int level, const char *fmt, ...)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < g_level) return;
    if (level < HL_LOG_DEBUG) level = HL_LOG_DEBUG;
    if (level > HL_LOG_ERROR) level = HL_LOG_ERROR;
    int64_t now = hl_real_now_ms();
    char ts[40];
    if (hl_time_format(now, HL_TZ_BEIJING_MIN, ts, sizeof ts) < 0) ts[0] = '\0';
    /* hl_time_format prints whole seconds; insert the milliseconds before the offset so
     * that lines of several processes sort correctly. */
    char stamp[48];
    size_t tl = strlen(ts);
    if (tl > 6) {
        snprintf(stamp, sizeof stamp, "%.*s.%03d%s", (int)(tl - 6), ts, (int)(now % 1000),
                 ts + tl - 6);
    } else {
        snprintf(stamp, sizeof stamp, "%s", ts);
    }
    /* One write per line so lines of concurrent processes do not interleave. */
    char line[2048];
    int n = snprintf(line, sizeof line, "%s %s[%d] %s ", stamp, g_program, (int)getpid(),
                     names[level]);
    if (n < 0) return;
    if ((size_t)n < sizeof line) {
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0) n += m;
    }
    if ((size_t)n >= sizeof line - 1) n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}
