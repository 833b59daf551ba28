/* risk_test_util.c — see risk_test_util.h. */
#include "risk_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

/* Append len bytes of p to out (n used), failing the test when they do not fit. */
static void risk_test__put(char *out, size_t cap, size_t *n, const char *p, size_t len)
{
    assert_true(*n + len < cap);
    memcpy(out + *n, p, len);
    *n += len;
}

const char *risk_test_line(const char *text, int line, const char *repl)
{
    static char out[8192];
    size_t n = 0;
    for (int l = 1; *text; l++) {
        const char *nl = strchr(text, '\n');
        size_t len = nl ? (size_t)(nl - text) + 1 : strlen(text);
        if (l != line) {
            risk_test__put(out, sizeof out, &n, text, len);
        } else if (repl) {
            risk_test__put(out, sizeof out, &n, repl, strlen(repl));
            risk_test__put(out, sizeof out, &n, "\n", 1);
        }
        text += len;
    }
    out[n] = '\0';
    return out;
}
