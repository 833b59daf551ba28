/* dispatch — stores tasks, delivers them to the units' partner agents, records their
 * answers, escalates what is not acknowledged. The handlers are in dispatch.c, escalate.c
 * and gateway.c; this file wires configuration, roster and service. The partner gateway's
 * keys are under <data>/keys (dkeys.h).
 *
 *   dispatch [common options (hl_main_args)] [--units FILE]
 *
 * FILE defaults to <playbook_dir>/<plan>/units.yaml. */
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "dispatch.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "units.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: dispatch [--config FILE] [--data DIR] [--base-port N] [--playbooks DIR]\n"
               "                [--clock SPEC] [--log LEVEL] [--units FILE]\n"
               "  --units FILE  unit roster (default <playbooks>/<plan>/units.yaml)\n");
}

int main(int argc, char **argv)
{
    hl_config cfg;
    int argi = 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
    if (hl_main_args(argc, argv, "dispatch", &cfg, &argi) < 0)
        return 2;
    char units_path[HL_PATH_MAX + 80] = "";
    for (; argi < argc; argi++) {
        if (strcmp(argv[argi], "--units") == 0 && argi + 1 < argc) {
            snprintf(units_path, sizeof units_path, "%s", argv[++argi]);
        } else {
            fprintf(stderr, "dispatch: unknown option '%s'\n", argv[argi]);
            usage(stderr);
            return 2;
        }
    }
    if (!units_path[0])
        snprintf(units_path, sizeof units_path, "%s/%s/units.yaml", cfg.playbook_dir, cfg.plan);

    char err[1024];
    units_roster *roster = NULL;
    int rc = units_load(units_path, &roster, err, sizeof err);
    if (rc < 0) {
        hl_error("unit roster: %s", err);
        return 1;
    }
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) {
        units_destroy(&roster);
        return 1;
    }
    hl_svc *svc = NULL;
    dispatch *d = NULL;
    char gw[128];
    if ((rc = hl_svc_new(&loop, "dispatch", &cfg, &svc, err, sizeof err)) < 0) {
        hl_error("%s", err);
    } else if ((rc = hl_config_bind_endpoint(&cfg, "dispatch", "gw", gw, sizeof gw)) < 0) {
        hl_error("gateway endpoint: %s", hl_strerror(rc));
    } else if ((rc = dispatch_new(svc, roster, gw, cfg.data_dir, &d, err, sizeof err)) < 0) {
        hl_error("dispatch: cannot start the partner gateway on %s: %s (%s)", gw, err,
                 hl_strerror(rc));
    } else {
        hl_info("%zu units from %s; partner gateway %s", roster->n, units_path, gw);
        rc = hl_svc_run(svc);
    }
    hl_svc_destroy(&svc);
    dispatch_destroy(&d);
    units_destroy(&roster);
    int lc = uv_loop_close(&loop);
    if (lc != 0)
        hl_warn("loop not closed cleanly: %s", uv_strerror(lc));
    return rc < 0 ? 1 : 0;
}
