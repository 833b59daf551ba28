/* alert — the alert service: monitoring readings and incident reports in, incidents and
 * alerts out (handlers.h). This file only wires it up.
 *
 * Usage: alert [common options, hl_svc.h hl_main_args] [--quiet-hours H]
 *   --quiet-hours H  episode quiet period in hours of drill time (episode.h; hazlink rule,
 *                    default 24; also $HAZLINK_ALERT_QUIET_HOURS), 0 < H <= 8784.
 * Data read at start, from the playbooks folder (hl_config.h):
 *   reference/gb3838_2002_surface_water_limits.csv, reference/warning_levels.csv,
 *   reference/incident_grading_national_plan_2014.csv, reference/reporting_duties.csv,
 *   <plan>/ (river network: river.yaml, stations.yaml, spaces.yaml, receptors.yaml).
 * Exit status: 0 after SIGINT/SIGTERM; 2 for a bad option or data file (the message names
 * file:line: field); 1 when the service cannot start (store, sockets).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "episode.h"
#include "gb3838.h"
#include "grading.h"
#include "handlers.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "hazlink/network.h"
#include "reporting.h"
#include "warning.h"

#define QUIET_HOURS_MAX (EPISODE_QUIET_MAX_MS / 3600000.0)

static int parse_hours(const char *s, int64_t *out_ms)
{
    char *end = NULL;
    errno = 0;
    double h = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(h) || h <= 0 || h > QUIET_HOURS_MAX)
        return HL_EINVAL;
    *out_ms = (int64_t)llround(h * 3600000.0);
    return *out_ms > 0 ? 0 : HL_EINVAL;
}

/* Every station's selected items must be GB 3838-2002 表3 items: a typo there would
 * silently leave a section unwatched. */
static int check_extra_items(const hl_network *net, const gb3838_table *gb, const char *plan_dir,
                             char *err, size_t errlen)
{
    for (size_t i = 0; i < net->n_stations; i++) {
        const hl_station *st = &net->stations[i];
        for (size_t k = 0; k < st->n_extra; k++) {
            const gb3838_item *it = gb3838_find(gb, st->extra_items[k]);
            if (!it || it->table != 3) {
                const char *base = strrchr(gb->file, '/');
                snprintf(err, errlen,
                         "%.400s/stations.yaml:%d: extra_items: '%.64s' (station %.64s) is "
                         "not a GB 3838-2002 表3 item of %.200s",
                         plan_dir, st->line, st->extra_items[k], st->id,
                         base ? base + 1 : gb->file);
                return HL_EPARSE;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    hl_log_init("alert", HL_LOG_INFO);
    hl_config cfg;
    int argi = 1;
    if (hl_main_args(argc, argv, "alert", &cfg, &argi) < 0)
        return 2;
    int64_t quiet_ms = EPISODE_QUIET_DEFAULT_MS;
    const char *env_quiet = getenv("HAZLINK_ALERT_QUIET_HOURS");
    if (env_quiet && env_quiet[0] && parse_hours(env_quiet, &quiet_ms) < 0) {
        fprintf(stderr,
                "alert: HAZLINK_ALERT_QUIET_HOURS: '%s' is not a number of hours "
                "in (0, %.0f]\n",
                env_quiet, QUIET_HOURS_MAX);
        return 2;
    }
    for (; argi < argc; argi++) {
        if (strcmp(argv[argi], "--quiet-hours") == 0 && argi + 1 < argc) {
            if (parse_hours(argv[++argi], &quiet_ms) < 0) {
                fprintf(stderr,
                        "alert: --quiet-hours: '%s' is not a number of hours in "
                        "(0, %.0f]\n",
                        argv[argi], QUIET_HOURS_MAX);
                return 2;
            }
        } else {
            fprintf(stderr,
                    "alert: unknown option '%s' (alert --help lists the common "
                    "options; this program adds --quiet-hours H)\n",
                    argv[argi]);
            return 2;
        }
    }

    char path[HL_PATH_MAX + 128], plan_dir[HL_PATH_MAX + 128], err[1024] = "";
    gb3838_table *gb = NULL;
    warning_table *warn = NULL;
    grading_table *grading = NULL;
    reporting_table *duties = NULL;
    hl_network *net = NULL;
    int rc;
    snprintf(path, sizeof path, "%s/reference/gb3838_2002_surface_water_limits.csv",
             cfg.playbook_dir);
    if ((rc = gb3838_load(path, &gb, err, sizeof err)) < 0)
        goto bad_data;
    snprintf(path, sizeof path, "%s/reference/warning_levels.csv", cfg.playbook_dir);
    if ((rc = warning_load(path, &warn, err, sizeof err)) < 0)
        goto bad_data;
    snprintf(path, sizeof path, "%s/reference/incident_grading_national_plan_2014.csv",
             cfg.playbook_dir);
    if ((rc = grading_load(path, &grading, err, sizeof err)) < 0)
        goto bad_data;
    snprintf(path, sizeof path, "%s/reference/reporting_duties.csv", cfg.playbook_dir);
    if ((rc = reporting_load(path, &duties, err, sizeof err)) < 0)
        goto bad_data;
    snprintf(plan_dir, sizeof plan_dir, "%s/%s", cfg.playbook_dir, cfg.plan);
    if ((rc = hl_network_load(plan_dir, &net, err, sizeof err)) < 0 ||
        (rc = check_extra_items(net, gb, plan_dir, err, sizeof err)) < 0)
        goto bad_data;

    alert_ctx ctx = {.net = net,
                     .gb = gb,
                     .warn = warn,
                     .grading = grading,
                     .duties = duties,
                     .quiet_ms = quiet_ms};
    snprintf(ctx.plan, sizeof ctx.plan, "%s", cfg.plan);

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        fprintf(stderr, "alert: cannot create the event loop\n");
        rc = 1;
        goto out;
    }
    hl_svc *svc = NULL;
    if ((rc = hl_svc_new(&loop, "alert", &cfg, &svc, err, sizeof err)) < 0) {
        fprintf(stderr, "alert: %s\n", err);
        uv_loop_close(&loop);
        rc = 1;
        goto out;
    }
    if ((rc = alert_handlers_register(svc, &ctx)) < 0) {
        fprintf(stderr, "alert: cannot register handlers: %s\n", hl_strerror(rc));
        rc = 1;
    } else {
        hl_info("alert: %zu GB 3838 rows, %zu grading criteria, %zu reporting duties, %zu "
                "stations of plan %s, quiet period %.3g h",
                gb->n_items, grading->n, duties->n, net->n_stations, cfg.plan,
                (double)quiet_ms / 3600000.0);
        rc = hl_svc_run(svc) < 0 ? 1 : 0;
    }
    hl_svc_destroy(&svc);
    uv_loop_close(&loop);
    goto out;

bad_data:
    fprintf(stderr, "alert: %s\n", err[0] ? err : hl_strerror(rc));
    rc = 2;
out:
    hl_network_destroy(&net);
    reporting_destroy(&duties);
    grading_destroy(&grading);
    warning_destroy(&warn);
    gb3838_destroy(&gb);
    return rc;
}
