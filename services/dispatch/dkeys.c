/* dkeys.c — the partner gateway's key files (dkeys.h). */
#include "dkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

#define DKEYS__FMT(buf, ...)                                                                       \
    ((size_t)snprintf((buf), sizeof(buf), __VA_ARGS__) >= sizeof(buf) ? HL_ETOOBIG : 0)

int dkeys_paths_of(const char *data_dir, dkeys_paths *out)
{
    memset(out, 0, sizeof *out);
    if (!data_dir || strlen(data_dir) >= HL_PATH_MAX)
        return HL_ETOOBIG;
    if (DKEYS__FMT(out->dir, "%s/" DKEYS_DIR, data_dir) ||
        DKEYS__FMT(out->gateway, "%s/" DKEYS_GATEWAY, out->dir) ||
        DKEYS__FMT(out->gateway_pub, "%s.pub", out->gateway) ||
        DKEYS__FMT(out->table, "%s/" DKEYS_TABLE, out->dir) ||
        DKEYS__FMT(out->lock, "%s.lock", out->table) ||
        DKEYS__FMT(out->units, "%s/" DKEYS_UNITS, out->dir))
        return HL_ETOOBIG;
    return 0;
}

int dkeys_unit_base(const dkeys_paths *p, const char *unit, char *out, size_t n)
{
    if (hl_id_check(unit) < 0)
        return HL_EINVAL;
    int w = snprintf(out, n, "%s/%s", p->units, unit);
    return w < 0 || (size_t)w >= n ? HL_ETOOBIG : 0;
}

static int dkeys__mkdir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0 || errno == EEXIST)
        return 0;
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    return HL_EIO;
}

int dkeys_dirs_make(const dkeys_paths *p, char *err, size_t errlen)
{
    int rc = dkeys__mkdir(p->dir, err, errlen);
    return rc < 0 ? rc : dkeys__mkdir(p->units, err, errlen);
}

int dkeys_gateway_ensure(const dkeys_paths *p, hl_keypair *out, int *made, char *err, size_t errlen)
{
    char sec[sizeof p->gateway + 8];
    snprintf(sec, sizeof sec, "%s.key", p->gateway);
    *made = 0;
    if (access(sec, F_OK) == 0)
        return hl_keys_load(p->gateway, out, err, errlen);
    int rc = dkeys_gateway_rotate(p, out, err, errlen);
    *made = rc == 0;
    return rc;
}

int dkeys_gateway_rotate(const dkeys_paths *p, hl_keypair *out, char *err, size_t errlen)
{
    int rc = dkeys_dirs_make(p, err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = hl_keys_generate(out)) < 0) {
        snprintf(err, errlen, "cannot make a CURVE key pair: %s", hl_strerror(rc));
        return rc;
    }
    rc = hl_keys_save(p->gateway, out, err, errlen);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int dkeys_table_read(const dkeys_paths *p, hl_keytable **out, char *err, size_t errlen)
{
    int rc = hl_keytable_new(out);
    if (rc < 0)
        return rc;
    if (access(p->table, F_OK) != 0 && errno == ENOENT)
        return 0;
    if ((rc = hl_keytable_load(*out, p->table, err, errlen)) < 0)
        hl_keytable_destroy(out);
    return rc;
}

int dkeys_table_edit(const dkeys_paths *p, dkeys_edit_fn fn, void *ud, char *err, size_t errlen)
{
    int rc = dkeys_dirs_make(p, err, errlen);
    if (rc < 0)
        return rc;
    int fd = open(p->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        snprintf(err, errlen, "cannot lock %s: %s", p->lock, strerror(errno));
        if (fd >= 0)
            close(fd);
        return HL_EIO;
    }
    hl_keytable *kt = NULL;
    rc = dkeys_table_read(p, &kt, err, errlen);
    if (rc == 0)
        rc = fn(kt, ud, err, errlen);
    if (rc == 0)
        rc = hl_keytable_save(kt, p->table, err, errlen);
    hl_keytable_destroy(&kt);
    close(fd); /* releases the lock */
    return rc;
}
