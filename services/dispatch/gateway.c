/* gateway.c — the CURVE keys of dispatch's partner gateway (dispatch.h, dkeys.h): the
 * gateway's own key pair, the admitted keys (a live hl_keytable the gateway borrows) kept in
 * line with keys/partners.keys, and the requests that reload or rotate them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dispatch_int.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

typedef struct gateway__counts {
    unsigned added, revoked, skipped;
} gateway__counts;

static void gateway__stamp(const char *path, dispatch *d)
{
    struct stat st;
    memset(&d->table_stamp, 0, sizeof d->table_stamp);
    if (stat(path, &st) != 0)
        return;
    d->table_stamp.exists = 1;
    d->table_stamp.ino = st.st_ino;
    d->table_stamp.size = st.st_size;
    d->table_stamp.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* Keys of the live table that the file (restricted to the roster) no longer admits as the
 * same unit: collected first, since revoking reorders the table. */
static int gateway__stale(const dispatch *d, const hl_keytable *file,
                          char (**out)[HL_KEY_Z85_LEN + 1], size_t *n)
{
    size_t count = hl_keytable_count(d->kt);
    *n = 0;
    *out = count ? calloc(count, sizeof **out) : NULL;
    if (count && !*out)
        return HL_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        const char *pub, *unit;
        if (hl_keytable_entry(d->kt, i, &pub, &unit) < 0)
            break;
        const char *now = hl_keytable_unit(file, pub);
        if (!now || strcmp(now, unit) != 0 || !units_find(d->roster, unit))
            snprintf((*out)[(*n)++], HL_KEY_Z85_LEN + 1, "%s", pub);
    }
    return 0;
}

/* Bring d->kt in line with the table file. On error (a bad file) nothing changes. */
static int gateway__reload(dispatch *d, gateway__counts *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    /* The stamp first: a change made while reading is seen by the next look. */
    gateway__stamp(d->keys.table, d);
    hl_keytable *file = NULL;
    int rc = dkeys_table_read(&d->keys, &file, err, errlen);
    if (rc < 0)
        return rc;
    char(*stale)[HL_KEY_Z85_LEN + 1] = NULL;
    size_t nstale = 0;
    if ((rc = gateway__stale(d, file, &stale, &nstale)) < 0) {
        hl_keytable_destroy(&file);
        return rc;
    }
    for (size_t i = 0; i < nstale; i++)
        if (hl_keytable_revoke_key(d->kt, stale[i]) == 0)
            c->revoked++;
    free(stale);
    size_t count = hl_keytable_count(file);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *pub, *unit;
        if (hl_keytable_entry(file, i, &pub, &unit) < 0)
            break;
        if (!units_find(d->roster, unit)) {
            c->skipped++;
            hl_warn("%s: unit %s is not in the roster (%s): its key is not admitted", d->keys.table,
                    unit, d->roster->file);
            continue;
        }
        if (hl_keytable_unit(d->kt, pub))
            continue;
        if ((rc = hl_keytable_add(d->kt, pub, unit)) == 0)
            c->added++;
    }
    hl_keytable_destroy(&file);
    if (rc < 0)
        snprintf(err, errlen, "cannot admit the keys of %s: %s", d->keys.table, hl_strerror(rc));
    return rc;
}

static void gateway__log(const dispatch *d, const gateway__counts *c, const char *why)
{
    if (c->added || c->revoked)
        hl_info("key table %s %s: %u key(s) added, %u revoked%s; %zu admitted", d->keys.table, why,
                c->added, c->revoked,
                c->revoked ? " (every partner connection is cut and must authenticate again)" : "",
                hl_keytable_count(d->kt));
}

int gateway_start(dispatch *d, const char *endpoint, const char *data_dir, char *err, size_t errlen)
{
    int rc = dkeys_paths_of(data_dir, &d->keys);
    if (rc < 0) {
        snprintf(err, errlen, "data dir path too long for the keys: %s", data_dir);
        return rc;
    }
    hl_keypair kp;
    int made = 0;
    gateway__counts c;
    if ((rc = dkeys_dirs_make(&d->keys, err, errlen)) < 0 ||
        (rc = dkeys_gateway_ensure(&d->keys, &kp, &made, err, errlen)) < 0 ||
        (rc = hl_keytable_new(&d->kt)) < 0 || (rc = gateway__reload(d, &c, err, errlen)) < 0)
        goto out;
    if (made)
        hl_info("made the gateway's key pair %s.key/.pub; its public key (partners' "
                "--server-key) is %s",
                d->keys.gateway, kp.pub);
    if ((rc = hl_svc_gateway_curve(d->svc, endpoint, kp.sec, d->kt, err, errlen)) < 0)
        goto out;
    snprintf(d->gw_pub, sizeof d->gw_pub, "%s", kp.pub);
    if (hl_keytable_count(d->kt) == 0)
        hl_warn("no partner key is admitted (%s is %s): every partner is refused; "
                "admit one with `hazctl keys gen UNIT` or `hazctl keys add UNIT KEY`",
                d->keys.table, d->table_stamp.exists ? "empty" : "missing");
    else
        hl_info("%zu partner key(s) admitted from %s", hl_keytable_count(d->kt), d->keys.table);
out:
    memset(&kp, 0, sizeof kp); /* the secret stays in the socket only */
    return rc;
}

int gateway_watch(dispatch *d)
{
    if (!d->kt)
        return 0;
    struct stat st;
    int exists = stat(d->keys.table, &st) == 0;
    int64_t mt = exists ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
    if (exists == d->table_stamp.exists &&
        (!exists || (st.st_ino == d->table_stamp.ino && st.st_size == d->table_stamp.size &&
                     mt == d->table_stamp.mtime_ns)))
        return 0;
    gateway__counts c;
    char err[512];
    if (gateway__reload(d, &c, err, sizeof err) < 0)
        hl_error("key table changed but was not taken: %s (the keys admitted before stay)", err);
    else
        gateway__log(d, &c, "changed");
    return 0; /* a bad file must not stop the resend sweep */
}

static int gateway__reply(dispatch *d, hl_req *r, const gateway__counts *c)
{
    Hl__KeysStatus ks = HL__KEYS_STATUS__INIT;
    ks.admitted = (uint32_t)hl_keytable_count(d->kt);
    ks.added = c->added;
    ks.revoked = c->revoked;
    ks.skipped = c->skipped;
    ks.gateway_public_key = d->gw_pub;
    ks.table = d->keys.table;
    return hl_req_reply(r, r->env->type, &ks.base);
}

int gateway_on_reload(hl_req *r, void *ud)
{
    dispatch *d = ud;
    gateway__counts c;
    char err[512];
    int rc = gateway__reload(d, &c, err, sizeof err);
    if (rc < 0)
        return hl_req_fail(r, rc, "table", "%s (the keys admitted before stay)", err);
    gateway__log(d, &c, "reloaded");
    return gateway__reply(d, r, &c);
}

int gateway_on_rekey(hl_req *r, void *ud)
{
    dispatch *d = ud;
    hl_keypair kp;
    char err[512];
    int rc = hl_keys_load(d->keys.gateway, &kp, err, sizeof err);
    if (rc < 0)
        return hl_req_fail(r, rc, "gateway_key", "%s", err);
    if (strcmp(kp.pub, d->gw_pub) != 0) {
        rc = hl_svc_gateway_rekey(d->svc, kp.sec);
        if (rc < 0) {
            memset(&kp, 0, sizeof kp);
            return hl_req_fail(r, rc, "gateway_key", "cannot bind the gateway with the new key: %s",
                               hl_strerror(rc));
        }
        snprintf(d->gw_pub, sizeof d->gw_pub, "%s", kp.pub);
        hl_info("gateway key rotated: new public key %s (%s); every partner connection was cut "
                "and partners need the new public key",
                kp.pub, d->keys.gateway_pub);
    }
    memset(&kp, 0, sizeof kp);
    gateway__counts c = {0, 0, 0};
    return gateway__reply(d, r, &c);
}

void gateway_stop(dispatch *d)
{
    hl_keytable_destroy(&d->kt);
}
