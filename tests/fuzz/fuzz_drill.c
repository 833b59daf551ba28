/* Fuzz target: the drill scenario loader of hazdrill (drill_scenario_load), checked against
 * the catalogue of playbooks/kuitun as hazdrill does. The loader takes a path, so each input
 * is written to a file in a private temp folder. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "hazlink/hl_error.h"
#include "scenario.h"

static drill_catalog *g_cat;
static char g_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    char err[512];
    if (drill_catalog_load(HL_DEFAULT_PLAYBOOK_DIR "/kuitun", &g_cat, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz: catalogue: %s\n", err);
        abort();
    }
    snprintf(g_path, sizeof g_path, "%s/scenario.yaml", fz_tmpdir());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(g_path, data, size);
    drill_scenario *s = NULL;
    char err[1024];
    if (drill_scenario_load(g_path, g_cat, &s, err, sizeof err) == 0) {
        if (!s) abort();
        for (size_t i = 1; i < s->n_injects; i++)
            if (s->injects[i].at_s < s->injects[i - 1].at_s) abort(); /* sorted, per header */
        free(s);
    }
    return 0;
}
