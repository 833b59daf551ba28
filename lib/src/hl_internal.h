/* hl_internal.h — helpers shared by the lib's own .c files; not installed, not public. */
#ifndef HL_INTERNAL_H
#define HL_INTERNAL_H

#include <stddef.h>

/* printf into err (errlen bytes, always NUL-terminated); no-op when err is NULL or errlen 0.
 * Every "err, errlen" out-parameter of the public API is filled through this. */
void hl__errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
