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

/* Make the temp dir and pick the base port: 20000 + (pid % 250) * 50, so the 43 ports a
 * stack uses stay below Linux's ephemeral range (32768-60999: a port there may be taken by
 * any outgoing connection on the machine) and do not overlap another drill test's. */
void drill_harness_init(drill_harness *h, const char *name);
/* Run `hazdrill run <scenario> --out <out> --base-port <port> --quiet` plus extra args
 * (NULL-terminated), kill it after timeout_s, then load the report. stdout/stderr of hazdrill
 * go to <dir>/hazdrill.log, which is printed when the run fails. When a service could not
 * bind its port (another program on the machine holds it), the run is repeated once on
 * another base port: that is the machine's state, not the drill's result. */
void drill_harness_run(drill_harness *h, const char *scenario, const char *const *extra,
                       int timeout_s);
/* Print a file (a service log) to stderr, for diagnosing a failure. */
void drill_harness_dump(const char *path, size_t max_bytes);
/* Remove the temp dir (unless HL_KEEP_TEST_DIRS is set) and free the report. */
void drill_harness_done(drill_harness *h);

/* Report accessors that fail the test with the path when the field is missing. */
json_t *drill_harness_get(json_t *obj, const char *key);

#endif
