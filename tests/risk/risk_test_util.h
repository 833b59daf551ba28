/* risk_test_util.h — helpers shared by the risk unit tests. */
#ifndef RISK_TEST_UTIL_H
#define RISK_TEST_UTIL_H

/* text with its line `line` (1-based) replaced by repl (a line without its newline), or
 * dropped when repl is NULL. The result lives in a static buffer until the next call; the
 * test fails if it does not fit. */
const char *risk_test_line(const char *text, int line, const char *repl);

#endif
