/* Fuzz target: the playbook loaders of lib/domain, one file kind per binary (FZ_FILE, set by
 * CMake: river.yaml, stations.yaml, spaces.yaml, receptors.yaml or plan.yaml). The plan
 * folder playbooks/kuitun is copied once to a private temp folder; each input replaces
 * FZ_FILE there and the folder is loaded with hl_network_load (and, for plan.yaml,
 * hl_plan_rules_load against the unchanged network). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hazlink/hl_error.h"
#include "hazlink/network.h"
#include "hazlink/plan.h"

#ifndef FZ_FILE
#error "FZ_FILE must name the plan file this target mutates"
#endif

static char g_path[512];
static hl_network *g_net; /* plan.yaml: the network it is checked against */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    fz_copy_files(HL_DEFAULT_PLAYBOOK_DIR "/kuitun", fz_tmpdir());
    snprintf(g_path, sizeof g_path, "%s/%s", fz_tmpdir(), FZ_FILE);
    if (strcmp(FZ_FILE, "plan.yaml") == 0) {
        char err[512];
        if (hl_network_load(fz_tmpdir(), &g_net, err, sizeof err) < 0) {
            fprintf(stderr, "fuzz: the real plan folder does not load: %s\n", err);
            abort();
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    fz_write(g_path, data, size);
    if (g_net) {
        hl_plan_rules *r = NULL;
        if (hl_plan_rules_load(fz_tmpdir(), g_net, &r, err, sizeof err) == 0)
            hl_plan_rules_destroy(&r);
        if (r) abort();
        return 0;
    }
    hl_network *net = NULL;
    if (hl_network_load(fz_tmpdir(), &net, err, sizeof err) < 0) {
        if (net) abort();
        return 0;
    }
    /* What the services ask of a loaded network. */
    for (double km = -1; km <= 260; km += 6.5) hl_network_reach_at(net, km);
    for (size_t i = 0; i < net->n_stations; i++)
        if (hl_network_station(net, net->stations[i].id) != &net->stations[i]) abort();
    for (size_t i = 0; i < net->n_receptors; i++)
        if (!hl_network_receptor(net, net->receptors[i].id)) abort();
    hl_network_velocities_unverified(net);
    hl_network_destroy(&net);
    return 0;
}
