/* hazbench — what the drill's chain costs next to its two floors, measured in one run:
 *
 *   (a) a raw ZeroMQ DEALER↔ROUTER round trip over 127.0.0.1 TCP (a message the size of a
 *       packed reading envelope, echoed by a ROUTER in another thread);
 *   (b) one durable LMDB commit of a small put through hl_store (synced, as every service
 *       commits), in a temp dir on the disk the data would live on;
 *   (c) the Kuitun benzene drill's trigger → all-acknowledged time: hazdrill runs the real
 *       scenario with every partner acknowledging at once (--ack-delay 0) at a high scale;
 *       the time is taken from the inject that opened the incident to the last acknowledgement
 *       of that incident's tasks (report.json "chains");
 *
 * and prints (c) as multiples of (a) and (b). Not a ctest test: numbers, not verdicts.
 *
 *   hazbench [--rt N] [--commits N] [--dir DIR] [--scale S] [--no-drill] [--keep]
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_store.h"
#include "hazlink/stack.h"

#define BENCH_MSG_BYTES 160 /* about a packed Envelope carrying a Reading */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, size_t n, double p)
{
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    return v[k == 0 ? 0 : k - 1];
}

/* ------------------------------------------------------------------ (a) ZeroMQ */

typedef struct echo_arg {
    void *ctx;
    char endpoint[128];
    int ready;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} echo_arg;

/* ROUTER echo: every message (routing id + body) goes straight back, until "stop". */
static void *echo_main(void *p)
{
    echo_arg *a = p;
    void *r = zmq_socket(a->ctx, ZMQ_ROUTER);
    int linger = 0;
    zmq_setsockopt(r, ZMQ_LINGER, &linger, sizeof linger);
    int rc = zmq_bind(r, "tcp://127.0.0.1:*");
    size_t len = sizeof a->endpoint;
    if (rc == 0)
        zmq_getsockopt(r, ZMQ_LAST_ENDPOINT, a->endpoint, &len);
    pthread_mutex_lock(&a->mu);
    a->ready = rc == 0 ? 1 : -1;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (rc != 0) {
        zmq_close(r);
        return NULL;
    }
    char id[256], body[BENCH_MSG_BYTES + 16];
    for (;;) {
        int il = zmq_recv(r, id, sizeof id, 0);
        int bl = zmq_recv(r, body, sizeof body, 0);
        if (il < 0 || bl < 0)
            break;
        if (bl == 4 && memcmp(body, "stop", 4) == 0)
            break;
        zmq_send(r, id, (size_t)il, ZMQ_SNDMORE);
        zmq_send(r, body, (size_t)bl, 0);
    }
    zmq_close(r);
    return NULL;
}

static int bench_zmq(int n, double *median_us, double *p99_us)
{
    void *ctx = zmq_ctx_new();
    echo_arg a = {.ctx = ctx};
    pthread_mutex_init(&a.mu, NULL);
    pthread_cond_init(&a.cv, NULL);
    pthread_t th;
    if (pthread_create(&th, NULL, echo_main, &a) != 0)
        return HL_EIO;
    pthread_mutex_lock(&a.mu);
    while (!a.ready)
        pthread_cond_wait(&a.cv, &a.mu);
    pthread_mutex_unlock(&a.mu);
    if (a.ready < 0) {
        pthread_join(th, NULL);
        zmq_ctx_term(ctx);
        return HL_EZMQ;
    }
    void *d = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(d, a.endpoint);
    char msg[BENCH_MSG_BYTES], back[BENCH_MSG_BYTES + 16];
    memset(msg, 'r', sizeof msg);
    double *v = calloc((size_t)n, sizeof *v);
    if (!v)
        return HL_ENOMEM;
    int warm = n / 10 + 10, rc = 0;
    for (int i = -warm; i < n; i++) {
        double t = now_us();
        if (zmq_send(d, msg, sizeof msg, 0) < 0 || zmq_recv(d, back, sizeof back, 0) < 0) {
            rc = HL_EZMQ;
            break;
        }
        if (i >= 0)
            v[i] = now_us() - t;
    }
    zmq_send(d, "stop", 4, 0);
    pthread_join(th, NULL);
    zmq_close(d);
    zmq_ctx_term(ctx);
    if (rc == 0) {
        qsort(v, (size_t)n, sizeof *v, cmp_double);
        *median_us = pct(v, (size_t)n, 50);
        *p99_us = pct(v, (size_t)n, 99);
    }
    free(v);
    return rc;
}

/* ------------------------------------------------------------------ (b) LMDB */

static const char *fs_name(const char *dir)
{
    struct statfs sf;
    if (statfs(dir, &sf) != 0)
        return "unknown";
    switch ((unsigned long)sf.f_type) {
    case 0x01021994UL:
        return "tmpfs (fsync is nearly free here: not a disk)";
    case 0xEF53UL:
        return "ext4";
    case 0x58465342UL:
        return "xfs";
    case 0x9123683EUL:
        return "btrfs";
    case 0x794C7630UL:
        return "overlayfs";
    default:
        return "other";
    }
}

static int bench_lmdb(const char *parent, int n, double *median_us, double *p99_us, char *dir_out,
                      size_t dir_len)
{
    snprintf(dir_out, dir_len, "%s/hazbench-lmdb-XXXXXX", parent);
    if (!mkdtemp(dir_out))
        return HL_EIO;
    hl_store *st = NULL;
    char err[256];
    int rc = hl_store_open(dir_out, 0, &st, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazbench: %s\n", err);
        return rc;
    }
    double *v = calloc((size_t)n, sizeof *v);
    if (!v)
        return HL_ENOMEM;
    char val[64];
    memset(val, 'v', sizeof val);
    int warm = 10;
    for (int i = -warm; i < n && rc == 0; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%08d", i + warm);
        double t = now_us();
        hl_txn *tx = NULL;
        if ((rc = hl_txn_begin(st, NULL, 0, &tx)) < 0)
            break;
        if ((rc = hl_kv_put(tx, "bench", key, val, sizeof val)) < 0) {
            hl_txn_abort(&tx);
            break;
        }
        rc = hl_txn_commit(&tx);
        if (i >= 0)
            v[i] = now_us() - t;
    }
    hl_store_destroy(&st);
    if (rc == 0) {
        qsort(v, (size_t)n, sizeof *v, cmp_double);
        *median_us = pct(v, (size_t)n, 50);
        *p99_us = pct(v, (size_t)n, 99);
    }
    free(v);
    return rc;
}

/* ------------------------------------------------------------------ (c) the drill */

static int bench_drill(const char *bin, const char *work, double scale, json_t **chains,
                       double *wall_s)
{
    char out[600], logp[640], sc[32], port[16];
    snprintf(out, sizeof out, "%s/drill", work);
    snprintf(logp, sizeof logp, "%s/hazdrill.log", work);
    snprintf(sc, sizeof sc, "%g", scale);
    snprintf(port, sizeof port, "%d", 20000 + (int)(getpid() % 250) * 50);
    char prog[600];
    snprintf(prog, sizeof prog, "%s/hazdrill", bin);
    const char *argv[] = {
        prog,          "run", HL_BENCH_SCENARIO, "--out", out,       "--scale", sc,
        "--ack-delay", "0",   "--base-port",     port,    "--quiet", NULL};
    double t0 = now_us();
    pid_t pid = fork();
    if (pid < 0)
        return HL_EIO;
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0)
            dup2(fd, 1), dup2(fd, 2);
        unsetenv("HAZLINK_DATA");
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    *wall_s = (now_us() - t0) / 1e6;
    char rp[640];
    snprintf(rp, sizeof rp, "%s/report.json", out);
    json_error_t je;
    json_t *doc = json_load_file(rp, 0, &je);
    if (!doc) {
        fprintf(stderr, "hazbench: the drill wrote no report (exit %d); see %s\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1, logp);
        return HL_EIO;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fprintf(stderr,
                "hazbench: note: the drill's expectations did not all hold (exit %d); "
                "see %s/report.md\n",
                WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
    *chains = json_incref(json_object_get(json_object_get(doc, "summary"), "chains"));
    json_decref(doc);
    return *chains ? 0 : HL_EDECODE;
}

int main(int argc, char **argv)
{
    int rt_n = 2000, commits = 200, drill = 1, keep = 0;
    double scale = 1000;
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--rt") == 0 && v)
            rt_n = (int)strtol(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--commits") == 0 && v)
            commits = (int)strtol(v, NULL, 10), i++;
        else if (strcmp(argv[i], "--dir") == 0 && v)
            dir = v, i++;
        else if (strcmp(argv[i], "--scale") == 0 && v)
            scale = strtod(v, NULL), i++;
        else if (strcmp(argv[i], "--no-drill") == 0)
            drill = 0;
        else if (strcmp(argv[i], "--keep") == 0)
            keep = 1;
        else {
            fprintf(stderr, "usage: hazbench [--rt N] [--commits N] [--dir DIR] [--scale S] "
                            "[--no-drill] [--keep]\n");
            return 2;
        }
    }
    if (rt_n < 10 || rt_n > 1000000 || commits < 10 || commits > 100000 || !(scale > 0) ||
        scale > HL_CLOCK_MAX_SCALE) {
        fprintf(stderr, "hazbench: --rt 10..1000000, --commits 10..100000, --scale (0, %g]\n",
                HL_CLOCK_MAX_SCALE);
        return 2;
    }
    char work[512];
    snprintf(work, sizeof work, "%s/hazbench-XXXXXX", dir);
    if (!mkdtemp(work)) {
        fprintf(stderr, "hazbench: cannot create a work dir under %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char bin[512];
    if (hl_stack_self_dir(bin, sizeof bin) < 0) {
        fprintf(stderr, "hazbench: cannot find my own directory\n");
        return 1;
    }

    double zmed = 0, zp99 = 0, lmed = 0, lp99 = 0;
    int rc = bench_zmq(rt_n, &zmed, &zp99);
    if (rc < 0) {
        fprintf(stderr, "hazbench: ZeroMQ round trip failed: %s\n", hl_strerror(rc));
        return 1;
    }
    printf("(a) ZeroMQ DEALER<->ROUTER round trip, 127.0.0.1 TCP, %d B, %d round trips:\n"
           "      median %.1f us, p99 %.1f us\n",
           BENCH_MSG_BYTES, rt_n, zmed, zp99);
    char ldir[600];
    rc = bench_lmdb(work, commits, &lmed, &lp99, ldir, sizeof ldir);
    if (rc < 0) {
        fprintf(stderr, "hazbench: LMDB commit failed: %s\n", hl_strerror(rc));
        return 1;
    }
    printf("(b) durable LMDB commit (hl_store, one 64 B put, synced), %d commits on %s:\n"
           "      median %.1f us, p99 %.1f us\n",
           commits, fs_name(work), lmed, lp99);
    fflush(stdout);
    int status = 0;
    if (drill) {
        json_t *chains = NULL;
        double wall = 0;
        rc = bench_drill(bin, work, scale, &chains, &wall);
        if (rc < 0) {
            status = 1;
        } else {
            printf("(c) Kuitun benzene drill, trigger -> all acknowledged (ack delay 0, clock "
                   "x%g, drill wall time %.1f s):\n",
                   scale, wall);
            size_t i;
            json_t *c;
            int any = 0;
            json_array_foreach(chains, i, c)
            {
                const char *trig = json_string_value(json_object_get(c, "trigger"));
                json_t *ms = json_object_get(c, "trigger_to_all_ack_real_ms");
                json_t *seen = json_object_get(c, "trigger_to_all_ack_seen_real_ms");
                if (!json_is_number(ms)) {
                    printf("      %s -> %s: not all %lld tasks acknowledged\n", trig,
                           json_string_value(json_object_get(c, "incident_id")),
                           (long long)json_integer_value(json_object_get(c, "tasks")));
                    status = 1;
                    continue;
                }
                double c_us = json_number_value(ms) * 1000.0;
                printf("      %s -> incident %s, %lld tasks: %.1f ms (stamps), %s%lld ms "
                       "(events seen)\n"
                       "        = %.0f x the ZeroMQ round trip, %.0f x one durable commit\n",
                       trig, json_string_value(json_object_get(c, "incident_id")),
                       (long long)json_integer_value(json_object_get(c, "tasks")),
                       json_number_value(ms), seen ? "" : "n/a ",
                       seen ? (long long)json_integer_value(seen) : 0LL, c_us / zmed, c_us / lmed);
                any = 1;
            }
            if (!any)
                status = 1;
            json_decref(chains);
        }
    }
    if (!keep)
        hl_stack_remove_tree(work);
    else
        printf("kept %s\n", work);
    return status;
}
