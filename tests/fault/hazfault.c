/* hazfault — the fault test of issue 3 ("Delivery: at least once, applied once").
 *
 *   hazfault [--seconds S] [--seed N] [--rate R] [--burst B] [--kills K] [--reports SHARE]
 *            [--dup SHARE] [--max-down S] [--settle S] [--base-port N] [--dir DIR] [--playbooks
 * DIR]
 *            [--json FILE] [--keep] [--quiet] [--log LEVEL]
 *
 * Starts the stack with one partner agent per unit, loads it with readings and incident
 * reports while killing services and partner agents with SIGKILL, lets it settle, and
 * checks from the stores that nothing was lost and nothing applied twice (fault_run.h).
 * Prints the seed first, so a failing run can be repeated.
 *
 * Exit status: 0 pass; 1 the stores show a problem (or a crash, or it did not settle);
 * 2 bad command line; 3 the stack could not be started.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fault_run.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: hazfault [options]\n"
               "  --seconds S     length of the load phase in real seconds (default 60)\n"
               "  --seed N        seed of the messages and kills (default: from the clock)\n"
               "  --rate R        client messages per second (default 15)\n"
               "  --burst B       messages sent together, 1..64 (default 16); kills land just\n"
               "                  after a burst\n"
               "  --kills K       processes killed with SIGKILL during the load (default S/6)\n"
               "  --reports F     share of incident reports among the messages (default 0.2)\n"
               "  --dup F         share of answered messages sent once more with the same msg_id,\n"
               "                  as if the reply had been lost (default 0.05)\n"
               "  --max-down S    longest a killed process stays down (default 2)\n"
               "  --settle S      longest wait for the stack to settle (default 120)\n"
               "  --base-port N   first service port (default: a free one below 32768)\n"
               "  --dir DIR       work dir for data and logs (default: a new one in /tmp)\n"
               "  --playbooks DIR playbooks folder (default: the built-in one)\n"
               "  --json FILE     also write the figures and the verdict as JSON\n"
               "  --keep          keep the work dir even when the run passes\n"
               "  --quiet         no progress lines\n"
               "  --log LEVEL     hazfault's own log level (debug, info, warn, error)\n"
               "Exit status 0 only when nothing was lost, nothing applied twice, nothing "
               "crashed.\n");
}

static int num(const char *opt, const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = v ? strtod(v, &end) : NAN;
    if (!v || end == v || *end || errno || !isfinite(x) || x < lo || x > hi) {
        fprintf(stderr, "hazfault: %s: '%s' is not a number in [%g, %g]\n", opt, v ? v : "", lo,
                hi);
        return -1;
    }
    *out = x;
    return 0;
}

static int str(const char *opt, const char *v, char *dst, size_t n)
{
    if (!v || !v[0] || strlen(v) >= n) {
        fprintf(stderr, "hazfault: %s: %s\n", opt, v && v[0] ? "too long" : "needs a value");
        return -1;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

int main(int argc, char **argv)
{
    fault_opts o;
    memset(&o, 0, sizeof o);
    o.seconds = 60;
    o.rate = 15;
    o.burst = 16;
    o.report_share = 0.2;
    o.dup_share = 0.05;
    o.max_down_s = 2;
    o.settle_s = 120;
    const char *json = NULL, *log = NULL;
    int have_seed = 0, have_kills = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double x = 0;
        int rc = 0, takes = 1;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--seconds") == 0) {
            rc = num(a, v, 1, FAULT_SECONDS_MAX, &o.seconds);
        } else if (strcmp(a, "--seed") == 0) {
            char *end = NULL;
            errno = 0;
            unsigned long long s = v ? strtoull(v, &end, 0) : 0;
            rc = !v || end == v || *end || errno ? -1 : 0;
            if (rc < 0)
                fprintf(stderr, "hazfault: --seed: '%s' is not an unsigned number\n", v ? v : "");
            o.seed = s;
            have_seed = 1;
        } else if (strcmp(a, "--rate") == 0) {
            rc = num(a, v, 0.1, FAULT_RATE_MAX, &o.rate);
        } else if (strcmp(a, "--burst") == 0) {
            rc = num(a, v, 1, FAULT_BURST_MAX, &x);
            o.burst = (size_t)x;
        } else if (strcmp(a, "--kills") == 0) {
            rc = num(a, v, 0, FAULT_MAX_KILLS, &x);
            o.kills = (size_t)x;
            have_kills = 1;
        } else if (strcmp(a, "--reports") == 0) {
            rc = num(a, v, 0, 1, &o.report_share);
        } else if (strcmp(a, "--dup") == 0) {
            rc = num(a, v, 0, 1, &o.dup_share);
        } else if (strcmp(a, "--max-down") == 0) {
            rc = num(a, v, 0.1, 600, &o.max_down_s);
        } else if (strcmp(a, "--settle") == 0) {
            rc = num(a, v, 1, 3600, &o.settle_s);
        } else if (strcmp(a, "--base-port") == 0) {
            rc = num(a, v, 1024, 65000, &x);
            o.base_port = (int)x;
        } else if (strcmp(a, "--dir") == 0) {
            rc = str(a, v, o.dir, sizeof o.dir);
        } else if (strcmp(a, "--playbooks") == 0) {
            rc = str(a, v, o.playbooks, sizeof o.playbooks);
        } else if (strcmp(a, "--json") == 0) {
            json = v;
            rc = v ? 0 : -1;
        } else if (strcmp(a, "--log") == 0) {
            log = v;
            rc = hl_log_level_parse(v) < 0 ? -1 : 0;
        } else if (strcmp(a, "--keep") == 0) {
            o.keep = 1, takes = 0;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = 1, takes = 0;
        } else {
            fprintf(stderr, "hazfault: unknown option '%s'\n", a);
            rc = -1;
        }
        if (rc < 0) {
            usage(stderr);
            return 2;
        }
        i += takes;
    }
    if (!have_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        o.seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
    }
    if (!have_kills)
        o.kills = (size_t)(o.seconds / 6.0);
    hl_log_init("hazfault", log ? hl_log_level_parse(log) : HL_LOG_WARN);
    printf("hazfault: seed %llu (repeat with --seed %llu)\n", (unsigned long long)o.seed,
           (unsigned long long)o.seed);
    fflush(stdout);

    fault_result *r = calloc(1, sizeof *r);
    if (!r)
        return 3;
    char err[1024] = "";
    int rc = fault_run(&o, r, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazfault: the stack could not be run: %s (%s)\n", err, hl_strerror(rc));
        free(r);
        return 3;
    }
    fault_result_print(&o, r);
    if (json && fault_result_write_json(&o, r, json) < 0)
        fprintf(stderr, "hazfault: cannot write %s\n", json);
    int ok = r->ok;
    free(r);
    return ok ? 0 : 1;
}
