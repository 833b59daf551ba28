/* hazdrill — run a scripted drill against the hazlink stack and write the drill report.
 *
 *   hazdrill run FILE [options]     play the scenario, judge it, write DIR/report.{json,md}
 *   hazdrill check FILE             load and check the scenario only
 *
 * Exit status: 0 every expectation held; 1 an expectation failed or the drill could not run;
 * 2 bad scenario file or bad command line.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_clock.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "run.h"
#include "scenario.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hazdrill run FILE [options]\n"
            "       hazdrill check FILE [--playbooks DIR]\n"
            "\n"
            "Plays a drill scenario (playbooks/drills/NAME.yaml) on a scaled clock against\n"
            "the five hazlink services and one hazpartner agent per scenario unit, shows\n"
            "progress, checks the expectations and writes DIR/report.json and DIR/report.md.\n"
            "Exit status 0 only if every expectation held (1 otherwise, 2 bad scenario).\n"
            "\n"
            "options:\n"
            "  --out DIR          report directory (default drill-out)\n"
            "  --scale N          drill seconds per real second (default: the scenario's)\n"
            "  --connect          use a stack already running at the configured ports\n"
            "  --no-partners      with --connect: partner agents run already\n"
            "  --ack-delay S      every partner acknowledges after S drill seconds\n"
            "  --kill NAME@HH:MM[:SS]  SIGKILL child NAME (a service, or hazpartner-UNIT)\n"
            "                     at that drill offset, then restart it\n"
            "  --kill-down S      drill seconds NAME stays down (default 60)\n"
            "  --preroll-ms N     real ms the stack gets to start (default %d)\n"
            "  --quiet            no progress lines\n"
            "  --config FILE  --data DIR  --base-port N  --playbooks DIR  --log LEVEL\n"
            "                     configuration (hl_config.h); the data dir defaults to\n"
            "                     DIR/data and is emptied before a started drill\n",
            DRILL_DEFAULT_PREROLL_MS);
}

static int parse_num(const char *opt, const char *s, double min, double max, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || end == s || *end != '\0' || errno || !isfinite(v) || v < min || v > max) {
        fprintf(stderr, "hazdrill: %s: '%s' is not a number in [%g, %g]\n", opt, s ? s : "", min,
                max);
        return HL_EINVAL;
    }
    *out = v;
    return 0;
}

static int set_str(const char *opt, const char *v, char *dst, size_t n)
{
    if (!v || strlen(v) >= n) {
        fprintf(stderr, "hazdrill: %s: %s\n", opt, v ? "too long" : "needs a value");
        return HL_EINVAL;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "check") != 0)) {
        usage(argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? stdout
                                                                                          : stderr);
        return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
    }
    int check_only = strcmp(argv[1], "check") == 0;
    drill_opts o;
    memset(&o, 0, sizeof o);
    o.scenario_path = argv[2];
    snprintf(o.out_dir, sizeof o.out_dir, "drill-out");
    o.ack_delay = -2;
    o.kill_down_s = 60;
    o.preroll_ms = DRILL_DEFAULT_PREROLL_MS;
    const char *config_path = NULL, *data = NULL, *playbooks = NULL, *log_level = NULL;
    double base_port = 0;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0, takes = 1;
        double d = 0;
        if (strcmp(a, "--out") == 0)
            rc = set_str(a, v, o.out_dir, sizeof o.out_dir);
        else if (strcmp(a, "--scale") == 0)
            rc = parse_num(a, v, 0.001, HL_CLOCK_MAX_SCALE, &o.scale);
        else if (strcmp(a, "--connect") == 0)
            o.connect = 1, takes = 0;
        else if (strcmp(a, "--no-partners") == 0)
            o.no_partners = 1, takes = 0;
        else if (strcmp(a, "--quiet") == 0)
            o.quiet = 1, takes = 0;
        else if (strcmp(a, "--ack-delay") == 0)
            rc = parse_num(a, v, 0, DRILL_MAX_ACK_DELAY_S, &o.ack_delay);
        else if (strcmp(a, "--kill-down") == 0)
            rc = parse_num(a, v, 0, 86400, &o.kill_down_s);
        else if (strcmp(a, "--preroll-ms") == 0) {
            rc = parse_num(a, v, 0, 600000, &d);
            o.preroll_ms = (int)d;
        } else if (strcmp(a, "--kill") == 0) {
            const char *at = v ? strrchr(v, '@') : NULL;
            if (!at || at == v || (size_t)(at - v) >= sizeof o.kill_name ||
                drill_offset_parse(at + 1, &o.kill_at_s) < 0) {
                fprintf(stderr, "hazdrill: --kill: '%s' is not NAME@HH:MM[:SS]\n", v ? v : "");
                rc = HL_EINVAL;
            } else {
                memcpy(o.kill_name, v, (size_t)(at - v));
                o.kill_name[at - v] = '\0';
                o.has_kill = 1;
            }
        } else if (strcmp(a, "--config") == 0)
            config_path = v, rc = v ? 0 : HL_EINVAL;
        else if (strcmp(a, "--data") == 0)
            data = v, rc = v ? 0 : HL_EINVAL;
        else if (strcmp(a, "--playbooks") == 0)
            playbooks = v, rc = v ? 0 : HL_EINVAL;
        else if (strcmp(a, "--log") == 0)
            log_level = v, rc = v ? 0 : HL_EINVAL;
        else if (strcmp(a, "--base-port") == 0)
            rc = parse_num(a, v, 1024, 65000, &base_port);
        else {
            fprintf(stderr, "hazdrill: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (rc < 0) {
            if (takes && !v)
                fprintf(stderr, "hazdrill: %s needs a value\n", a);
            return 2;
        }
        i += takes;
    }
    if (o.has_kill && o.connect) {
        fprintf(stderr, "hazdrill: --kill needs a stack hazdrill started (not --connect)\n");
        return 2;
    }

    int level = HL_LOG_INFO;
    if (log_level) {
        static const char *const names[] = {"debug", "info", "warn", "error"};
        level = -1;
        for (int k = 0; k < 4; k++)
            if (strcmp(log_level, names[k]) == 0)
                level = k;
        if (level < 0) {
            fprintf(stderr, "hazdrill: --log: '%s' is not debug, info, warn or error\n", log_level);
            return 2;
        }
    }
    hl_log_init("hazdrill", level);
    hl_config cfg;
    char err[1024] = "";
    int rc = hl_config_load(config_path, &cfg, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "hazdrill: configuration: %s\n", err);
        return 2;
    }
    if (playbooks &&
        set_str("--playbooks", playbooks, cfg.playbook_dir, sizeof cfg.playbook_dir) < 0)
        return 2;
    if (base_port > 0)
        cfg.base_port = (int)base_port;
    if (data || getenv("HAZLINK_DATA")) {
        o.data_explicit = 1;
        if (data && set_str("--data", data, cfg.data_dir, sizeof cfg.data_dir) < 0)
            return 2;
    } else {
        int w = snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/data", o.out_dir);
        if (w < 0 || (size_t)w >= sizeof cfg.data_dir) {
            fprintf(stderr, "hazdrill: --out: path too long\n");
            return 2;
        }
    }

    char plan_dir[HL_PATH_MAX + 80];
    snprintf(plan_dir, sizeof plan_dir, "%s/%s", cfg.playbook_dir, cfg.plan);
    drill_catalog *cat = NULL;
    if ((rc = drill_catalog_load(plan_dir, &cat, err, sizeof err)) < 0) {
        fprintf(stderr, "hazdrill: plan %s: %s\n", plan_dir, err);
        return 2;
    }
    drill_scenario *sc = NULL;
    if ((rc = drill_scenario_load(o.scenario_path, cat, &sc, err, sizeof err)) < 0) {
        fprintf(stderr, "hazdrill: %s\n", err);
        free(cat);
        return 2;
    }
    if (o.has_kill) {
        int known = 0;
        for (int k = 0; k < 5; k++)
            known |= strcmp(o.kill_name, hl_service_names[k]) == 0;
        for (size_t k = 0; k < sc->n_units; k++) {
            char name[96];
            snprintf(name, sizeof name, "hazpartner-%s", sc->units[k].id);
            known |= strcmp(o.kill_name, name) == 0;
        }
        if (!known) {
            fprintf(stderr,
                    "hazdrill: --kill: '%s' is neither a service (alert, playbook, stock, risk, "
                    "dispatch) nor hazpartner-UNIT for a unit of the scenario\n",
                    o.kill_name);
            free(sc);
            free(cat);
            return 2;
        }
    }
    if (o.has_kill && o.kill_at_s > sc->duration_s) {
        fprintf(stderr, "hazdrill: --kill: %s is after the end of the drill\n", o.kill_name);
        free(sc);
        free(cat);
        return 2;
    }
    if (check_only) {
        printf("%s: %s — %zu units, %zu injects, %zu expectations: ok\n", sc->file, sc->name,
               sc->n_units, sc->n_injects, sc->n_expects);
        free(sc);
        free(cat);
        return 0;
    }
    int pass = 0;
    rc = drill_run(&o, &cfg, sc, cat, &pass, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "hazdrill: %s (%s)\n", err[0] ? err : "the drill could not run",
                hl_strerror(rc));
    free(sc);
    free(cat);
    return rc == 0 && pass ? 0 : 1;
}
