/* hctl_cmd.h — run one parsed hazctl command against the stack (the imperative shell).
 *
 * Each remote command sends one request with hl_call (hl_call.h) to the service that serves
 * its type (docs/protocol.md), waits at most the timeout, and prints the reply with
 * hctl_render.h: a table to stdout, or JSON with --json. Diagnostics go to stderr.
 */
#ifndef HCTL_CMD_H
#define HCTL_CMD_H

#include "hazlink/hl_config.h"
#include "hctl_args.h"

/* Exit statuses of hazctl (also listed in hazctl --help). */
enum {
    HCTL_EXIT_OK = 0,
    HCTL_EXIT_ERROR = 1,       /* a service answered with an error; status: a service down */
    HCTL_EXIT_USAGE = 2,       /* bad command line */
    HCTL_EXIT_UNREACHABLE = 3, /* a service did not answer within the timeout */
};

/* Default wait for `hazctl status` when --timeout is not given: the configuration's request
 * timeout, but at most this. The services are asked at once, so a dead stack costs one wait. */
#define HCTL_STATUS_TIMEOUT_MS 2000
/* Default wait for dispatch to apply a `hazctl keys` change (it may not be running). */
#define HCTL_KEYS_TIMEOUT_MS 2000

/* Run a->cmd (not HCTL_CMD_HELP) with configuration cfg. Returns an exit status. */
int hctl_run(const hctl_args *a, const hl_config *cfg);

#endif
