/* playbook — the river playbook service (一河一策一图): on an alert, forecast where the
 * pollution goes, choose the interception space, reserve materials and dispatch the tasks.
 * Handlers: pb_service.h. Domain: lib/domain (network.h, forecast.h, plan.h).
 *
 * Data: <playbooks>/<plan>/river.yaml, stations.yaml, spaces.yaml, receptors.yaml and
 * plan.yaml, read at start. A bad file stops the service with "file:line: field: what" and
 * exit status 2, before anything is bound or stored.
 */
#include <stdio.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hazlink/hl_svc.h"
#include "hazlink/plan.h"
#include "pb_service.h"

int main(int argc, char **argv)
{
    hl_config cfg;
    int argi = 0;
    char err[1024], dir[HL_PATH_MAX + 80];
    hl_network *net = NULL;
    hl_plan_rules *rules = NULL;
    pb_app app;
    hl_season season;
    memset(&app, 0, sizeof app);
    if (hl_main_args(argc, argv, "playbook", &cfg, &argi) < 0)
        return 2;
    if (argi < argc) {
        fprintf(stderr, "playbook: unknown argument '%s' (see --help)\n", argv[argi]);
        return 2;
    }
    if (cfg.season[0] && hl_season_parse(cfg.season, &season) < 0) {
        hl_error("season '%s' is not spring, summer, autumn or winter", cfg.season);
        return 2;
    }
    snprintf(dir, sizeof dir, "%s/%s", cfg.playbook_dir, cfg.plan);
    if (hl_network_load(dir, &net, err, sizeof err) < 0 ||
        hl_plan_rules_load(dir, net, &rules, err, sizeof err) < 0) {
        hl_error("%s", err);
        hl_network_destroy(&net);
        return 2;
    }
    hl_info("plan %s: %zu reaches, %zu stations, %zu spaces, %zu receptors; dispersion "
            "formula %s%s",
            rules->plan, net->n_reaches, net->n_stations, net->n_spaces, net->n_receptors,
            net->dispersion_formula[0] ? net->dispersion_formula : "none (plan-wide)",
            hl_network_velocities_unverified(net) ? "; velocities are unverified assumptions"
                                                  : "");
    app.net = net;
    app.rules = rules;
    snprintf(app.season, sizeof app.season, "%s", cfg.season);
    /* Leave room for the envelope around a list reply. */
    app.max_reply = cfg.max_msg_bytes > 8192 ? cfg.max_msg_bytes - 8192 : cfg.max_msg_bytes / 2;

    uv_loop_t loop;
    hl_svc *svc = NULL;
    int rc = uv_loop_init(&loop);
    if (rc == 0 && (rc = hl_svc_new(&loop, "playbook", &cfg, &svc, err, sizeof err)) < 0)
        hl_error("%s", err);
    if (rc == 0 && (rc = pb_service_register(svc, &app)) < 0)
        hl_error("playbook: cannot register handlers: %s", hl_strerror(rc));
    if (rc == 0)
        rc = hl_svc_run(svc);
    hl_svc_destroy(&svc);
    uv_loop_close(&loop);
    hl_plan_rules_destroy(&rules);
    hl_network_destroy(&net);
    return rc == 0 ? 0 : 1;
}
