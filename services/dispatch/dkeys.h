/* dkeys.h — the partner gateway's keys in the data dir (docs/trust-model.md).
 *
 * Layout, all under the data dir of the dispatch that serves the gateway:
 *   keys/                      mode 0700
 *   keys/gateway.key, .pub     the gateway's CURVE key pair (secret 0600); made by dispatch
 *                              on its first start, replaced by `hazctl keys rotate-server`
 *   keys/partners.keys         the key table: one "<unit id> <z85 public key>" per line
 *                              (hl_keytable_load); only these keys are admitted, each as its
 *                              unit; written by `hazctl keys` and by the stack for the
 *                              partner agents it starts (clients/common/stack.c)
 *   keys/units/<unit>.key,.pub key pairs made by `hazctl keys gen UNIT` (secret 0600), for a
 *                              partner agent run with --key keys/units/<unit>
 * The table lives in the data dir, not in playbooks/: playbooks are data shipped with the
 * code, while which keys a site admits is that site's decision and changes at run time.
 *
 * Writers of the table take an exclusive flock on keys/partners.keys.lock around their
 * read-modify-write, and write it through a temporary file renamed into place
 * (hl_keytable_save), so a reader (dispatch) never sees half a table.
 *
 * Secret keys are never logged or printed by these functions.
 */
#ifndef DISPATCH_DKEYS_H
#define DISPATCH_DKEYS_H

#include <stddef.h>
#include "hazlink/hl_config.h"
#include "hazlink/hl_zap.h"

#define DKEYS_DIR "keys"
#define DKEYS_GATEWAY "gateway"
#define DKEYS_TABLE "partners.keys"
#define DKEYS_UNITS "units"

typedef struct dkeys_paths {
    char dir[HL_PATH_MAX + 8];          /* <data>/keys */
    char gateway[HL_PATH_MAX + 24];     /* <data>/keys/gateway (base of the pair) */
    char gateway_pub[HL_PATH_MAX + 32]; /* <data>/keys/gateway.pub */
    char table[HL_PATH_MAX + 32];       /* <data>/keys/partners.keys */
    char lock[HL_PATH_MAX + 40];        /* <data>/keys/partners.keys.lock */
    char units[HL_PATH_MAX + 16];       /* <data>/keys/units */
} dkeys_paths;

/* The paths for data_dir. HL_ETOOBIG when data_dir is longer than HL_PATH_MAX - 1. */
int dkeys_paths_of(const char *data_dir, dkeys_paths *out);
/* <data>/keys/units/<unit> into out (n bytes). HL_EINVAL (unit not an id), HL_ETOOBIG. */
int dkeys_unit_base(const dkeys_paths *p, const char *unit, char *out, size_t n);
/* Create keys/ and keys/units/ (mode 0700) if missing. HL_EIO (err names the folder). */
int dkeys_dirs_make(const dkeys_paths *p, char *err, size_t errlen);

/* The gateway's key pair: loaded, or made and saved when keys/gateway.key does not exist
 * (*made = 1). HL_EDENIED (secret readable by others: err says chmod 600), HL_EINVAL,
 * HL_EIO (err names the path). */
int dkeys_gateway_ensure(const dkeys_paths *p, hl_keypair *out, int *made, char *err,
                         size_t errlen);
/* A new gateway pair saved over the old one (atomically). HL_EIO, HL_EINVAL. */
int dkeys_gateway_rotate(const dkeys_paths *p, hl_keypair *out, char *err, size_t errlen);

/* The key table as it is on disk: a new table (hl_keytable_destroy), empty when the file
 * does not exist. Errors of hl_keytable_load (err names file and line). */
int dkeys_table_read(const dkeys_paths *p, hl_keytable **out, char *err, size_t errlen);

/* Read-modify-write the table under the lock: fn changes kt and returns 0 to save it, > 0 to
 * leave the file as it is, < 0 to stop with that error (its sentence in err). Returns fn's
 * result, or HL_EIO (lock, read or write failed: err names the path), or the table's
 * parse errors. */
typedef int (*dkeys_edit_fn)(hl_keytable *kt, void *ud, char *err, size_t errlen);
int dkeys_table_edit(const dkeys_paths *p, dkeys_edit_fn fn, void *ud, char *err, size_t errlen);

#endif
