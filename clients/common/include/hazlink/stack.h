/* stack.h — start, watch, kill, restart and stop the hazlink stack as child processes.
 *
 * Used by `hazctl up`, `hazdrill run` and the integration tests. The five services (alert,
 * playbook, stock, risk, dispatch) and any hazpartner agents are separate OS processes,
 * started from the binaries that sit in the same directory as the calling program (found
 * through /proc/self/exe, so a build tree or an install prefix both work). Each child gets
 * the caller's hl_config through the environment (hl_config.h):
 *     HAZLINK_DATA, HAZLINK_HOST, HAZLINK_BASE_PORT, HAZLINK_PLAYBOOKS, HAZLINK_CLOCK,
 *     HAZLINK_SEASON (when set), and HAZLINK_CONFIG is removed so a stray file cannot
 *     contradict what the caller chose.
 * stdout and stderr of each child are appended to <data_dir>/logs/<child name>.log.
 *
 * Child names: a service is named like its binary ("alert" … "dispatch"); a partner agent
 * for unit U is named "hazpartner-U". Names are at most HL_STACK_NAME_MAX bytes.
 *
 * Readiness: a service is ready when it answers the built-in "status" request (hl_call)
 * on its request endpoint. Waiting polls every 50 real ms until the deadline.
 *
 * Stopping: SIGTERM to every live child, then SIGKILL to those still alive after the grace
 * period; every child is reaped (no zombies). A child that exits by itself is noticed by
 * hl_stack_poll and reported, never restarted behind the caller's back.
 *
 * Lifetime: each child runs in its own process group (a terminal's Ctrl-C reaches only the
 * caller, which stops the children in order) and gets PR_SET_PDEATHSIG = SIGTERM, so the
 * children of a program that crashes or is killed stop too and free their ports.
 *
 * Threading: one thread. The stack installs no signal handlers; the caller decides what
 * SIGINT does (and should call hl_stack_destroy on its way out).
 */
#ifndef HAZLINK_STACK_H
#define HAZLINK_STACK_H

#include <stddef.h>
#include <sys/types.h>
#include "hazlink/hl_config.h"

#define HL_STACK_NAME_MAX 80     /* "hazpartner-" + a unit id of HL_ID_MAX bytes */
#define HL_STACK_MAX_CHILDREN 64 /* services + partner agents */
#define HL_STACK_MAX_ARGS 16     /* argv entries of one child, program name included */
#define HL_STACK_GRACE_MS 3000   /* default SIGTERM→SIGKILL grace, real ms */
#define HL_STACK_READY_MS 15000  /* default readiness deadline per service, real ms */

typedef struct hl_stack hl_stack;

/* Create a stack for cfg (copied). Finds the bin dir from /proc/self/exe (override with
 * bin_dir, may be NULL) and creates <data_dir> and <data_dir>/logs (mode 0700).
 * Starts nothing. HL_EIO (err names the path and the OS reason), HL_ENOMEM, HL_ETOOBIG. */
int hl_stack_new(const hl_config *cfg, const char *bin_dir, hl_stack **out, char *err,
                 size_t errlen);
/* Stop every child (hl_stack_stop with HL_STACK_GRACE_MS), free, clear *s. Accepts NULL. */
void hl_stack_destroy(hl_stack **s);

/* Directory of the calling program's binary (no trailing slash). HL_EIO, HL_ETOOBIG. */
int hl_stack_self_dir(char *buf, size_t n);
const char *hl_stack_bin_dir(const hl_stack *s);
const hl_config *hl_stack_config(const hl_stack *s);

/* Start one service by name (one of hl_service_names) and, if ready_ms > 0, wait up to
 * ready_ms real ms until it answers "status". HL_ENOTFOUND (unknown name, or binary missing:
 * err names the path), HL_EEXIST (already running), HL_EIO (fork/exec/log file failed),
 * HL_ETIMEOUT (not ready in time: err names the service and its log file; the child is
 * left running for the caller to inspect or stop), HL_ECLOSED (it exited while we waited:
 * err says how, and names the log). */
int hl_stack_start_service(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen);
/* Start all five services in port order and wait for each (ready_ms each, 0 =
 * HL_STACK_READY_MS). Stops at the first failure with that error (those started stay up). */
int hl_stack_start_services(hl_stack *s, int ready_ms, char *err, size_t errlen);

/* Start `hazpartner run --unit UNIT --key K --server-key G --ack-delay S [extra...]` named
 * "hazpartner-UNIT". The partner gateway admits only listed CURVE keys (docs/trust-model.md),
 * so first the unit's key pair K = <data>/keys/units/UNIT (.key 0600, .pub) is made if
 * missing and admitted in <data>/keys/partners.keys, the gateway's pair (G =
 * <data>/keys/gateway.pub) is made if dispatch has not made it yet, and a running dispatch
 * is asked to read the table again (dispatch.keys_reload).
 * ack_delay_s is in drill seconds (< 0 = do not auto-acknowledge: "--ack-delay" omitted).
 * extra: NULL-terminated further arguments, or NULL. Does not wait for anything (a partner
 * proves itself by acknowledging). HL_EINVAL (bad unit id), HL_EEXIST, HL_ENOTFOUND,
 * HL_EIO (also: a key file could not be written or read; err names it), HL_EDENIED (a secret
 * key file readable by others), HL_ETOOBIG (too many args). */
int hl_stack_start_partner(hl_stack *s, const char *unit_id, double ack_delay_s,
                           const char *const *extra, char *err, size_t errlen);

/* Start any program from the bin dir as a child called name, with argv[0] = program and
 * args (NULL-terminated, may be NULL). Same errors as hl_stack_start_partner. */
int hl_stack_spawn(hl_stack *s, const char *name, const char *program, const char *const *args,
                   char *err, size_t errlen);

/* Run program (from the bin dir, with the stack's environment) with args (NULL-terminated,
 * may be NULL) to completion and capture its stdout: *out is a malloc'd NUL-terminated buffer
 * (caller frees) of at most max bytes; stderr goes to <data_dir>/logs/<program>.capture.log.
 * Waits up to timeout_ms real ms, then SIGKILLs it. Returns 0 with *exit_status set to the
 * exit code (or 128+signal), HL_ENOTFOUND (binary missing), HL_EIO (fork/pipe failed),
 * HL_ETIMEOUT (killed at the deadline; *out holds what came), HL_ETOOBIG (more than max bytes
 * of output: the rest is discarded, *out holds the first max), HL_ENOMEM. */
int hl_stack_capture(hl_stack *s, const char *program, const char *const *args, int timeout_ms,
                     size_t max, char **out, int *exit_status, char *err, size_t errlen);

/* Wait up to ready_ms real ms until service name answers "status". 0, HL_ETIMEOUT,
 * HL_ECLOSED (the child died meanwhile), HL_ENOTFOUND. */
int hl_stack_wait_ready(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen);

/* Send sig to child name and, for SIGKILL/SIGTERM, reap it (waits up to the grace period,
 * then SIGKILL). The child's start recipe is kept so hl_stack_restart can start it again.
 * HL_ENOTFOUND (no such child or not running). */
int hl_stack_kill(hl_stack *s, const char *name, int sig);
/* Start child name again with the recipe it was first started with; services are waited
 * for (ready_ms, 0 = default). HL_ENOTFOUND (never started), HL_EEXIST (still running), and
 * the errors of the start calls. */
int hl_stack_restart(hl_stack *s, const char *name, int ready_ms, char *err, size_t errlen);

/* Reap children that exited by themselves (non-blocking). Returns how many were found dead
 * since the last call; the name of the first goes into dead (if not NULL), with its exit
 * status described in err ("exited 1", "killed by signal 11"). Children stopped through
 * hl_stack_kill/hl_stack_stop do not count. */
int hl_stack_poll(hl_stack *s, char *dead, size_t deadlen, char *err, size_t errlen);

/* pid of running child name, or 0 (unknown or not running). */
pid_t hl_stack_pid(const hl_stack *s, const char *name);
/* Number of children currently running. */
size_t hl_stack_running(const hl_stack *s);
/* Path of child name's log file into buf. HL_ETOOBIG. */
int hl_stack_log_path(const hl_stack *s, const char *name, char *buf, size_t n);

/* Remove dir and everything below it, following no symbolic link (a drill's old data dir,
 * a test's temp dir). A missing dir is not an error. 0 or HL_EIO (errno tells why). */
int hl_stack_remove_tree(const char *dir);

/* SIGTERM every running child (partners first, then services in reverse port order, so
 * nothing is cut off mid-delivery by its server going first), wait up to grace_ms real ms
 * (< 0 = HL_STACK_GRACE_MS), then SIGKILL the rest; reap all. Returns how many needed
 * SIGKILL (0 = all stopped cleanly). */
int hl_stack_stop(hl_stack *s, int grace_ms);

#endif
