/* fuzz_util.h — helpers shared by the libFuzzer targets (tests/fuzz). */
#ifndef HL_FUZZ_UTIL_H
#define HL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A private folder for this fuzzing process (created on first use under /tmp, removed at
 * exit). Never NULL: aborts if it cannot be made. */
const char *fz_tmpdir(void);
/* Write data to path (truncating). Aborts on failure: the harness, not the input, is wrong. */
void fz_write(const char *path, const uint8_t *data, size_t size);
/* Copy the regular files of folder from into folder to. Aborts on failure. */
void fz_copy_files(const char *from, const char *to);
/* Silence the lib's log (loaders may log what they refuse). */
void fz_quiet(void);

#endif
