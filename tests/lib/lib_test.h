/* lib_test.h — helpers shared by the tests in tests/lib (include after cmocka.h). */
#ifndef HL_LIB_TEST_H
#define HL_LIB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

/* Run loop until *flag is set; fail the test after timeout_ms of real time. */
static inline void lt_run_until(uv_loop_t *loop, const int *flag, int timeout_ms)
{
    uint64_t end = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
    while (!*flag) {
        uv_run(loop, UV_RUN_ONCE);
        if (uv_hrtime() > end) fail_msg("timed out after %d ms", timeout_ms);
    }
}

/* A fresh folder "/tmp/<prefix>-XXXXXX" written into dir (n bytes). 0 or -1. */
static inline int lt_tmpdir(char *dir, size_t n, const char *prefix)
{
    snprintf(dir, n, "/tmp/%s-XXXXXX", prefix);
    return mkdtemp(dir) ? 0 : -1;
}

/* Remove a folder made by lt_tmpdir and everything in it. 0 or -1. */
static inline int lt_rmtree(const char *dir)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Ports base..base+49 of this process, spaced so that test programs running side by side
 * (different pids) do not meet. */
static inline int lt_base_port(void)
{
    return 20000 + (int)(getpid() % 800) * 50;
}

#endif
