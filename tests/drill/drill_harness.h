/* drill_harness.h — run the real hazdrill binary (which starts the real services and partner
 * agents as OS processes) from a test, and read the report it wrote. */
#ifndef DRILL_HARNESS_H
#define DRILL_HARNESS_H

#include <jansson.h>

typedef struct drill_harness {
    char dir[128];   /* mkdtemp: out dir and the drill's data live here */
    char out[160];   /* <dir>/out */
    int base_port;   /* unique per test process */
    int exit_status; /* hazdrill's exit status, 128+signal if killed */
    double wall_s;
    json_t *report; /* <out>/report.json, or NULL */
} drill_harness;

/* Make the temp dir and pick the base port: 20000 + (pid % 900) * 50, so the 43 ports a
 * stack uses never overlap another test process's. */
void drill_harness_init(drill_harness *h, const char *name);
/* Run `hazdrill run <scenario> --out <out> --base-port <port> --quiet` plus extra args
 * (NULL-terminated), kill it after timeout_s, then load the report. stdout/stderr of hazdrill
 * go to <dir>/hazdrill.log, which is printed when the run fails. */
void drill_harness_run(drill_harness *h, const char *scenario, const char *const *extra,
                       int timeout_s);
/* Print a file (a service log) to stderr, for diagnosing a failure. */
void drill_harness_dump(const char *path, size_t max_bytes);
/* Remove the temp dir (unless HL_KEEP_TEST_DIRS is set) and free the report. */
void drill_harness_done(drill_harness *h);

/* Report accessors that fail the test with the path when the field is missing. */
json_t *drill_harness_get(json_t *obj, const char *key);

#endif
