/* hctl_keys.h — `hazctl keys …`: the partner gateway's keys in the data dir (the imperative
 * shell over services/dispatch/dkeys.h; docs/trust-model.md says who may do this and why).
 *
 *   keys gen UNIT [--out BASE] [--print-secret] [--force]
 *       A new CURVE key pair for UNIT's partner agent at BASE.key (mode 0600) and BASE.pub
 *       (BASE defaults to <data>/keys/units/UNIT), and its public key admitted in the table.
 *       Prints the public key; the secret key only with --print-secret (for a partner that
 *       cannot be given the file). An existing pair at BASE is kept and the command fails,
 *       unless --force: then the pair is replaced and its old public key revoked.
 *   keys add UNIT PUBLIC-KEY-FILE|Z85
 *       Admit a public key a partner made itself (the secret never leaves the partner).
 *   keys revoke UNIT
 *       Remove every key of UNIT from the table.
 *   keys list
 *       The table, the roster's name of each unit, and the gateway's public key.
 *   keys rotate-server
 *       A new key pair for the gateway (keys/gateway.key, .pub, replaced atomically).
 * UNIT must be in the roster (<playbooks>/<plan>/units.yaml) for gen and add. After every
 * change a running dispatch is asked to apply it (dispatch.keys_reload, or
 * dispatch.gateway_rekey), which cuts the connections a revocation or rotation concerns; a
 * dispatch that is not running reads the keys when it starts (and notices a changed table by
 * itself while it runs).
 *
 * Exit statuses as hctl_cmd.h: 0 done; 1 refused (unknown unit, a key admitted as another
 * unit, an existing pair, a file that cannot be read or written: the message names it).
 */
#ifndef HCTL_KEYS_H
#define HCTL_KEYS_H

#include "hazlink/hl_config.h"
#include "hctl_args.h"

int hctl_keys_run(const hctl_args *a, const hl_config *cfg, int timeout_ms);

#endif
