/* lib_test.h — helpers shared by the tests in tests/lib (include after cmocka.h). */
#ifndef HL_LIB_TEST_H
#define HL_LIB_TEST_H

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

#endif
