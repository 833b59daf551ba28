/* hazctl — the duty officer's command line for hazlink. See `hazctl --help`.
 *
 * Thin on purpose: parse (hctl_args), load the configuration (hl_main_args), run
 * (hctl_cmd). Exit statuses: hctl_cmd.h. */
#include <stdio.h>

#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_svc.h"
#include "hctl_args.h"
#include "hctl_cmd.h"

int main(int argc, char **argv)
{
    static hctl_args a; /* large (option pool, partners): not on the stack */
    char err[512];
    if (hctl_args_parse(argc, argv, &a, err, sizeof err) < 0) {
        fprintf(stderr, "hazctl: %s\n", err);
        if (a.cmd_name)
            fprintf(stderr, "usage: %s\n", hctl_cmd_usage(a.cmd));
        else
            fprintf(stderr, "see: hazctl --help\n");
        return HCTL_EXIT_USAGE;
    }
    if (a.help) {
        if (a.cmd_name && a.cmd != HCTL_CMD_HELP)
            printf("usage: %s\n", hctl_cmd_usage(a.cmd));
        else
            fputs(hctl_help_text(), stdout);
        return HCTL_EXIT_OK;
    }
    if (!a.cmd_name || a.cmd == HCTL_CMD_HELP) {
        if (a.cmd == HCTL_CMD_HELP && a.cmd_name) {
            fputs(hctl_help_text(), stdout);
            return HCTL_EXIT_OK;
        }
        fprintf(stderr, "hazctl: missing command\n\n%s", hctl_help_text());
        return HCTL_EXIT_USAGE;
    }
    hl_config cfg;
    int argi = 0;
    /* The common options (--config, --data, --base-port, …) wherever they were typed; it
     * prints a message naming a bad one. */
    if (hl_main_args(a.common_argc, a.common_argv, "hazctl", &cfg, &argi) < 0)
        return HCTL_EXIT_USAGE;
    if (argi < a.common_argc) {
        fprintf(stderr, "hazctl: unexpected option '%s'\n", a.common_argv[argi]);
        return HCTL_EXIT_USAGE;
    }
    return hctl_run(&a, &cfg);
}
