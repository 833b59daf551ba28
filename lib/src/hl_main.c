/* hl_main.c — the command line every program shares (hl_main_args, declared in hl_svc.h). */
#include "hazlink/hl_clock.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Copy an option's value (if given) into a fixed field, refusing what does not fit. */
static int opt_str(const char *program, const char *opt, const char *v, int nonempty, char *dst,
                   size_t n)
{
    if (!v) return 0;
    if ((nonempty && !v[0]) || strlen(v) >= n) {
        fprintf(stderr, "%s: %s: %s\n", program, opt,
                v[0] ? "value too long" : "value must not be empty");
        return HL_EINVAL;
    }
    snprintf(dst, n, "%s", v);
    return 0;
}

static void usage(FILE *f, const char *program)
{
    fprintf(f,
            "usage: %s [options] ...\n"
            "  --config FILE    configuration file (YAML; default $HAZLINK_CONFIG)\n"
            "  --data DIR       data folder (default ./hazlink-data, $HAZLINK_DATA)\n"
            "  --base-port N    first port of the services (default 7100, $HAZLINK_BASE_PORT)\n"
            "  --playbooks DIR  playbooks folder ($HAZLINK_PLAYBOOKS)\n"
            "  --clock SPEC     drill clock \"scale=S,origin=MS,real=MS\" ($HAZLINK_CLOCK)\n"
            "  --log LEVEL      debug, info, warn or error ($HAZLINK_LOG)\n"
            "  --help           this text\n",
            program);
}

int hl_main_args(int argc, char **argv, const char *program, hl_config *cfg, int *argi)
{
    if (!cfg || !argv) return HL_EINVAL;
    if (!program) program = argc > 0 ? argv[0] : "hazlink";
    const char *config = NULL, *data = NULL, *port = NULL, *playbooks = NULL, *clock = NULL,
               *log = NULL;
    static const char *const names[] = {"--config", "--data", "--base-port", "--playbooks",
                                        "--clock", "--log"};
    const char **slots[] = {&config, &data, &port, &playbooks, &clock, &log};
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, program);
            exit(0);
        }
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        int matched = 0;
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            size_t nl = strlen(names[k]);
            if (strncmp(a, names[k], nl) != 0) continue;
            if (a[nl] == '=') {
                *slots[k] = a + nl + 1;
            } else if (a[nl] == '\0') {
                if (i + 1 >= argc) {
                    fprintf(stderr, "%s: option %s needs a value\n", program, names[k]);
                    return HL_EINVAL;
                }
                *slots[k] = argv[++i];
            } else {
                continue;
            }
            matched = 1;
            break;
        }
        if (!matched) break;
    }
    if (argi) *argi = i;
    char err[512] = "";
    int rc = hl_config_load(config, cfg, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "%s: configuration: %s\n", program, err);
        return rc;
    }
    if ((rc = opt_str(program, "--data", data, 1, cfg->data_dir, sizeof cfg->data_dir)) < 0 ||
        (rc = opt_str(program, "--playbooks", playbooks, 1, cfg->playbook_dir,
                      sizeof cfg->playbook_dir)) < 0 ||
        (rc = opt_str(program, "--clock", clock, 0, cfg->clock, sizeof cfg->clock)) < 0)
        return rc;
    if (port) {
        char *end = NULL;
        errno = 0;
        long v = strtol(port, &end, 10);
        if (end == port || *end || errno || v < 1024 || v > 65000) {
            fprintf(stderr, "%s: --base-port: '%s' is not a port in [1024, 65000]\n", program,
                    port);
            return HL_EINVAL;
        }
        cfg->base_port = (int)v;
    }
    if (log) {
        int lv = hl_log_level_parse(log);
        if (lv < 0) {
            fprintf(stderr, "%s: --log: '%s' is not debug, info, warn or error\n", program, log);
            return HL_EINVAL;
        }
        cfg->log_level = lv;
    }
    hl_clock ck;
    if (hl_clock_parse(cfg->clock, &ck) < 0) {
        fprintf(stderr, "%s: --clock: '%s' is not \"scale=S,origin=MS,real=MS\" with S in (0, %g]\n",
                program, cfg->clock, HL_CLOCK_MAX_SCALE);
        return HL_EINVAL;
    }
    hl_clock_set(&ck);
    hl_log_init(program, cfg->log_level);
    return 0;
}
