/* lib_test.h — helpers shared by the tests in tests/lib (include after cmocka.h). */
#ifndef HL_LIB_TEST_H
#define HL_LIB_TEST_H

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
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

/* 1 if TCP port p on 127.0.0.1 can be bound now. */
static inline int lt_port_free(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* Ports base..base+49 for this process: spaced by pid so that test programs running side by
 * side do not meet, below 32768 where Linux starts handing out ports to outgoing connections
 * (a client elsewhere on the machine could otherwise hold one of ours), and free right now. */
static inline int lt_base_port(void)
{
    for (int k = 0; k < 250; k++) {
        int base = 20000 + (int)((getpid() + 7 * k) % 250) * 50;
        int ok = 1;
        for (int p = base; ok && p < base + 50; p++) ok = lt_port_free(p);
        if (ok) return base;
    }
    return 20000 + (int)(getpid() % 250) * 50;
}

#endif
