/* hl_zap.c — CURVE keys, key table and the ZAP handler (RFC 27). See hl_zap.h. */
#include "hazlink/hl_zap.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_config.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"
#include "hl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* ---- CURVE and keys ---- */

int hl_curve_available(char *err, size_t errlen)
{
    if (zmq_has("curve")) return 0;
    hl__errf(err, errlen, "this libzmq was built without CURVE security (zmq_has(\"curve\") "
             "is false): the partner gateway cannot authenticate anyone; install a libzmq "
             "built with libsodium or its own tweetnacl");
    return HL_EINVAL;
}

/* Value of a Z85 character (RFC 32), or -1. */
static int z85_value(unsigned char c)
{
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"
                                   "XYZ.-:+=^!/*?&<>()[]{}@%$#";
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

int hl_key_check(const char *z85)
{
    if (!z85) return HL_EINVAL;
    size_t n = 0;
    uint64_t group = 0;
    for (; z85[n]; n++) {
        int v = n < HL_KEY_Z85_LEN ? z85_value((unsigned char)z85[n]) : -1;
        if (v < 0) return HL_EINVAL;
        group = group * 85 + (uint64_t)v;
        /* Five characters encode four bytes: a group above 2^32-1 is no encoding at all. */
        if (n % 5 == 4) {
            if (group > UINT32_MAX) return HL_EINVAL;
            group = 0;
        }
    }
    return n == HL_KEY_Z85_LEN ? 0 : HL_EINVAL;
}

int hl_keys_generate(hl_keypair *out)
{
    if (!out) return HL_EINVAL;
    memset(out, 0, sizeof *out);
    if (hl_curve_available(NULL, 0) < 0) return HL_EINVAL;
    if (zmq_curve_keypair(out->pub, out->sec) != 0) {
        hl_error("zap: zmq_curve_keypair: %s", zmq_strerror(errno));
        return HL_EZMQ;
    }
    return 0;
}

int hl_keys_public_of(const char *sec_z85, char pub_out[HL_KEY_Z85_LEN + 1])
{
    if (!pub_out || hl_key_check(sec_z85) < 0 || hl_curve_available(NULL, 0) < 0)
        return HL_EINVAL;
    return zmq_curve_public(pub_out, sec_z85) == 0 ? 0 : HL_EINVAL;
}

/* Write text to path through "<path>.tmp-<pid>" created with mode and renamed in place. */
static int write_file_atomic(const char *path, const char *text, size_t len, mode_t mode,
                             char *err, size_t errlen)
{
    char tmp[HL_PATH_MAX + 32];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= sizeof tmp) {
        hl__errf(err, errlen, "%s: path too long", path);
        return HL_EINVAL;
    }
    unlink(tmp); /* a leftover of a crashed run of this pid */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        hl__errf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        return HL_EIO;
    }
    /* open() applies the umask, which can only narrow; fchmod makes the mode exact. */
    int ok = fchmod(fd, mode) == 0;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) ok = 0;
        else off += (size_t)w;
    }
    if (ok && fsync(fd) != 0) ok = 0;
    int e = errno;
    if (close(fd) != 0 && ok) ok = 0, e = errno;
    if (ok && rename(tmp, path) != 0) ok = 0, e = errno;
    if (!ok) {
        unlink(tmp);
        hl__errf(err, errlen, "%s: cannot write: %s", path, strerror(e));
        return HL_EIO;
    }
    return 0;
}

static int key_path(const char *base, const char *ext, char *out, size_t n, char *err,
                    size_t errlen)
{
    if (!base || !base[0] || (size_t)snprintf(out, n, "%s%s", base, ext) >= n ||
        strlen(base) > HL_PATH_MAX - 8) {
        hl__errf(err, errlen, "key path '%s' is empty or too long", base ? base : "");
        return HL_EINVAL;
    }
    return 0;
}

int hl_keys_save(const char *base, const hl_keypair *kp, char *err, size_t errlen)
{
    if (!kp || hl_key_check(kp->pub) < 0 || hl_key_check(kp->sec) < 0) {
        hl__errf(err, errlen, "key pair for '%s' is not two z85 keys", base ? base : "");
        return HL_EINVAL;
    }
    char pub[HL_PATH_MAX + 8], sec[HL_PATH_MAX + 8], line[HL_KEY_Z85_LEN + 2];
    int rc;
    if ((rc = key_path(base, ".pub", pub, sizeof pub, err, errlen)) < 0 ||
        (rc = key_path(base, ".key", sec, sizeof sec, err, errlen)) < 0)
        return rc;
    snprintf(line, sizeof line, "%s\n", kp->sec);
    rc = write_file_atomic(sec, line, HL_KEY_Z85_LEN + 1, 0600, err, errlen);
    memset(line, 0, sizeof line);
    if (rc < 0) return rc;
    snprintf(line, sizeof line, "%s\n", kp->pub);
    return write_file_atomic(pub, line, HL_KEY_Z85_LEN + 1, 0644, err, errlen);
}

/* Read one z85 key from path (at most 128 bytes; trailing whitespace ignored). secret=1
 * also checks the file mode. */
static int read_key_file(const char *path, int secret, char out[HL_KEY_Z85_LEN + 1], char *err,
                         size_t errlen)
{
    /* Symlinks are followed (container secret mounts use them); the mode checked is that of
     * the file actually opened. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        hl__errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return HL_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        hl__errf(err, errlen, "%s: not a regular file", path);
        return HL_EIO;
    }
    if (secret && (st.st_mode & 077)) {
        close(fd);
        hl__errf(err, errlen, "%s: secret key file is accessible by group or others (mode "
                 "%03o); refusing it: chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
        return HL_EDENIED;
    }
    char buf[129];
    ssize_t n;
    do n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (n < 0) {
        hl__errf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return HL_EIO;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                     buf[n - 1] == '\t'))
        buf[--n] = '\0';
    int rc = 0;
    if (hl_key_check(buf) < 0) {
        /* Say what is wrong without echoing the content: it may be a secret key. */
        hl__errf(err, errlen, "%s: not a z85 CURVE key (%d characters of the Z85 alphabet "
                 "expected)", path, HL_KEY_Z85_LEN);
        rc = HL_EINVAL;
    } else {
        memcpy(out, buf, HL_KEY_Z85_LEN + 1);
    }
    memset(buf, 0, sizeof buf);
    return rc;
}

int hl_keys_load(const char *base, hl_keypair *out, char *err, size_t errlen)
{
    if (!out) return HL_EINVAL;
    memset(out, 0, sizeof *out);
    if (hl_curve_available(err, errlen) < 0) return HL_EINVAL;
    char pub[HL_PATH_MAX + 8], sec[HL_PATH_MAX + 8];
    int rc;
    if ((rc = key_path(base, ".pub", pub, sizeof pub, err, errlen)) < 0 ||
        (rc = key_path(base, ".key", sec, sizeof sec, err, errlen)) < 0)
        return rc;
    if ((rc = read_key_file(sec, 1, out->sec, err, errlen)) < 0) return rc;
    if (zmq_curve_public(out->pub, out->sec) != 0) {
        memset(out, 0, sizeof *out);
        hl__errf(err, errlen, "%s: not a CURVE secret key", sec);
        return HL_EINVAL;
    }
    if (access(pub, F_OK) == 0) {
        char filed[HL_KEY_Z85_LEN + 1];
        if ((rc = read_key_file(pub, 0, filed, err, errlen)) < 0) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        if (strcmp(filed, out->pub) != 0) {
            memset(out, 0, sizeof *out);
            hl__errf(err, errlen, "%s does not hold the public key of %s", pub, sec);
            return HL_EINVAL;
        }
    }
    return 0;
}

int hl_keys_load_public(const char *path, char out[HL_KEY_Z85_LEN + 1], char *err,
                        size_t errlen)
{
    if (!path || !out) return HL_EINVAL;
    return read_key_file(path, 0, out, err, errlen);
}

/* ---- key table: an array sorted by key ---- */

typedef struct kt_entry {
    char pub[HL_KEY_Z85_LEN + 1];
    char unit[HL_ID_MAX + 1];
} kt_entry;

struct hl_keytable {
    kt_entry *e;
    size_t n, cap;
    uint64_t revision;
};

int hl_keytable_new(hl_keytable **out)
{
    if (!out) return HL_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? 0 : HL_ENOMEM;
}

void hl_keytable_destroy(hl_keytable **kt)
{
    if (!kt || !*kt) return;
    free((*kt)->e);
    free(*kt);
    *kt = NULL;
}

/* Index of pub, or -(insertion point)-1. */
static long kt_find(const hl_keytable *kt, const char *pub)
{
    size_t lo = 0, hi = kt->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(kt->e[mid].pub, pub);
        if (c == 0) return (long)mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -(long)lo - 1;
}

int hl_keytable_add(hl_keytable *kt, const char *pub, const char *unit)
{
    if (!kt || hl_key_check(pub) < 0 || hl_id_check(unit) < 0) return HL_EINVAL;
    long i = kt_find(kt, pub);
    if (i >= 0) return strcmp(kt->e[i].unit, unit) == 0 ? 0 : HL_EEXIST;
    if (kt->n >= HL_KEYTABLE_MAX) return HL_ETOOBIG;
    if (kt->n == kt->cap) {
        size_t cap = kt->cap ? kt->cap * 2 : 16;
        kt_entry *p = realloc(kt->e, cap * sizeof *p);
        if (!p) return HL_ENOMEM;
        kt->e = p;
        kt->cap = cap;
    }
    size_t at = (size_t)(-i - 1);
    memmove(&kt->e[at + 1], &kt->e[at], (kt->n - at) * sizeof *kt->e);
    snprintf(kt->e[at].pub, sizeof kt->e[at].pub, "%s", pub);
    snprintf(kt->e[at].unit, sizeof kt->e[at].unit, "%s", unit);
    kt->n++;
    return 0;
}

int hl_keytable_revoke_key(hl_keytable *kt, const char *pub)
{
    if (!kt || !pub) return HL_EINVAL;
    long i = kt_find(kt, pub);
    if (i < 0) return HL_ENOTFOUND;
    memmove(&kt->e[i], &kt->e[i + 1], (kt->n - (size_t)i - 1) * sizeof *kt->e);
    kt->n--;
    kt->revision++;
    return 0;
}

int hl_keytable_revoke_unit(hl_keytable *kt, const char *unit)
{
    if (!kt || !unit) return HL_EINVAL;
    size_t w = 0;
    for (size_t r = 0; r < kt->n; r++)
        if (strcmp(kt->e[r].unit, unit) != 0) kt->e[w++] = kt->e[r];
    if (w == kt->n) return HL_ENOTFOUND;
    kt->n = w;
    kt->revision++;
    return 0;
}

const char *hl_keytable_unit(const hl_keytable *kt, const char *pub)
{
    if (!kt || !pub) return NULL;
    long i = kt_find(kt, pub);
    return i >= 0 ? kt->e[i].unit : NULL;
}

size_t hl_keytable_count(const hl_keytable *kt)
{
    return kt ? kt->n : 0;
}

int hl_keytable_entry(const hl_keytable *kt, size_t i, const char **pub, const char **unit)
{
    if (!kt || i >= kt->n) return HL_ENOTFOUND;
    if (pub) *pub = kt->e[i].pub;
    if (unit) *unit = kt->e[i].unit;
    return 0;
}

uint64_t hl_keytable_revision(const hl_keytable *kt)
{
    return kt ? kt->revision : 0;
}

#define KT_LINE_MAX 256
#define KT_FILE_MAX (1024 * 1024)

int hl_keytable_load(hl_keytable *kt, const char *path, char *err, size_t errlen)
{
    if (!kt || !path) return HL_EINVAL;
    FILE *f = fopen(path, "re");
    if (!f) {
        hl__errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return HL_EIO;
    }
    /* Work on a copy so that a bad line leaves kt as it was. */
    hl_keytable tmp = {.revision = kt->revision};
    int rc = 0;
    if (kt->n) {
        tmp.e = malloc(kt->n * sizeof *tmp.e);
        if (!tmp.e) {
            fclose(f);
            return HL_ENOMEM;
        }
        memcpy(tmp.e, kt->e, kt->n * sizeof *tmp.e);
        tmp.n = tmp.cap = kt->n;
    }
    char line[KT_LINE_MAX + 2];
    size_t total = 0;
    for (int ln = 1; fgets(line, sizeof line, f); ln++) {
        size_t len = strlen(line);
        total += len;
        if (total > KT_FILE_MAX) {
            hl__errf(err, errlen, "%s: over %d bytes", path, KT_FILE_MAX);
            rc = HL_ETOOBIG;
            break;
        }
        if (len > KT_LINE_MAX || (len == KT_LINE_MAX + 1 && line[len - 1] != '\n')) {
            hl__errf(err, errlen, "%s:%d: line longer than %d bytes", path, ln, KT_LINE_MAX);
            rc = HL_EPARSE;
            break;
        }
        char *save = NULL, *unit = strtok_r(line, " \t\r\n", &save);
        if (!unit || unit[0] == '#') continue;
        char *pub = strtok_r(NULL, " \t\r\n", &save), *extra = strtok_r(NULL, " \t\r\n", &save);
        if (hl_id_check(unit) < 0) {
            hl__errf(err, errlen, "%s:%d: unit: '%.64s' is not a unit id", path, ln, unit);
            rc = HL_EPARSE;
        } else if (!pub || hl_key_check(pub) < 0) {
            hl__errf(err, errlen, "%s:%d: key: not a z85 CURVE public key", path, ln);
            rc = HL_EPARSE;
        } else if (extra) {
            hl__errf(err, errlen, "%s:%d: more than '<unit-id> <public key>' on the line",
                     path, ln);
            rc = HL_EPARSE;
        } else if ((rc = hl_keytable_add(&tmp, pub, unit)) == HL_EEXIST) {
            hl__errf(err, errlen, "%s:%d: key already admitted as unit %s", path, ln,
                     hl_keytable_unit(&tmp, pub));
        } else if (rc == HL_ETOOBIG) {
            hl__errf(err, errlen, "%s:%d: more than %d keys", path, ln, HL_KEYTABLE_MAX);
        }
        if (rc < 0) break;
    }
    if (rc == 0 && ferror(f)) {
        hl__errf(err, errlen, "%s: read error", path);
        rc = HL_EIO;
    }
    fclose(f);
    if (rc < 0) {
        free(tmp.e);
        return rc;
    }
    free(kt->e);
    *kt = tmp;
    return 0;
}

int hl_keytable_save(const hl_keytable *kt, const char *path, char *err, size_t errlen)
{
    if (!kt || !path) return HL_EINVAL;
    static const char head[] = "# hazlink partner keys: <unit-id> <z85 CURVE public key>\n";
    size_t cap = sizeof head + kt->n * (HL_ID_MAX + HL_KEY_Z85_LEN + 3);
    char *buf = malloc(cap);
    if (!buf) return HL_ENOMEM;
    size_t off = (size_t)snprintf(buf, cap, "%s", head);
    for (size_t i = 0; i < kt->n; i++)
        off += (size_t)snprintf(buf + off, cap - off, "%s %s\n", kt->e[i].unit, kt->e[i].pub);
    int rc = write_file_atomic(path, buf, off, 0644, err, errlen);
    free(buf);
    return rc;
}

/* ---- ZAP handler ---- */

struct hl_zap {
    hl_sock *sock;
    hl_keytable *kt;
    hl_zap_stats st;
};

/* Append a ZMTP property (RFC 23/37: name-size octet, name, 4-octet value size, value). */
static size_t put_prop(uint8_t *out, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), k = 0;
    out[k++] = (uint8_t)nl;
    memcpy(out + k, name, nl);
    k += nl;
    out[k++] = (uint8_t)(vl >> 24);
    out[k++] = (uint8_t)(vl >> 16);
    out[k++] = (uint8_t)(vl >> 8);
    out[k++] = (uint8_t)vl;
    memcpy(out + k, value, vl);
    return k + vl;
}

static int frame_is(const hl_frame *f, const char *s)
{
    size_t n = strlen(s);
    return f->len == n && memcmp(f->data, s, n) == 0;
}

/* Request on a ROUTER: [peer][empty][version][request id][domain][address][identity]
 * [mechanism][credentials...]. Reply: [peer][empty][version][request id][status code]
 * [status text][user id][metadata]. */
static void zap_recv(hl_sock *s, const hl_frame *f, size_t n, void *ud)
{
    hl_zap *z = ud;
    if (n < 4 || f[1].len != 0) {
        /* Not even a request id to answer: libzmq never sends this. */
        z->st.malformed++;
        hl_warn("zap: malformed request of %zu frames dropped", n);
        return;
    }
    const char *status = "400", *text = "not admitted";
    char unit[HL_ID_MAX + 1] = "", key[HL_KEY_Z85_LEN + 1] = "";
    if (n < 9 || !frame_is(&f[2], "1.0")) {
        z->st.malformed++;
        text = "malformed ZAP request";
    } else if (!frame_is(&f[4], HL_ZAP_DOMAIN)) {
        text = "unknown ZAP domain";
    } else if (!frame_is(&f[7], "CURVE") || n != 9 || f[8].len != 32) {
        text = "CURVE required";
    } else {
        zmq_z85_encode(key, f[8].data, 32);
        const char *u = hl_keytable_unit(z->kt, key);
        if (u) {
            snprintf(unit, sizeof unit, "%s", u);
            status = "200";
            text = "OK";
        } else {
            text = "key not in the key table";
        }
    }
    char addr[64] = "?";
    if (n >= 6) snprintf(addr, sizeof addr, "%.*s", (int)(f[5].len < 60 ? f[5].len : 60),
                         (const char *)f[5].data);
    if (status[0] == '2') {
        z->st.admitted++;
        hl_info("zap: %s admitted as unit %s", addr, unit);
    } else {
        z->st.refused++;
        /* The public key is not secret: log it so an operator can add it if it is right. */
        hl_warn("zap: %s refused: %s%s%s%s", addr, text, key[0] ? " (key " : "", key,
                key[0] ? ")" : "");
    }
    uint8_t meta[1 + sizeof HL_ZAP_PROP_KEY + 4 + HL_KEY_Z85_LEN];
    size_t mlen = status[0] == '2' ? put_prop(meta, HL_ZAP_PROP_KEY, key) : 0;
    hl_frame r[8] = {
        f[0], {"", 0}, {"1.0", 3}, f[3], {status, 3}, {text, strlen(text)},
        {unit, strlen(unit)}, {meta, mlen},
    };
    int rc = hl_sock_sendv(s, r, 8);
    if (rc < 0) hl_warn("zap: reply not sent: %s", hl_strerror(rc));
}

int hl_zap_start(hl_bus *b, hl_keytable *kt, hl_zap **out, char *err, size_t errlen)
{
    if (!b || !kt || !out) return HL_EINVAL;
    *out = NULL;
    int rc = hl_curve_available(err, errlen);
    if (rc < 0) return rc;
    hl_zap *z = calloc(1, sizeof *z);
    if (!z) return HL_ENOMEM;
    z->kt = kt;
    rc = hl_sock_open(b, ZMQ_ROUTER, HL_ZAP_ENDPOINT, 1, zap_recv, z, &z->sock);
    if (rc < 0) {
        hl__errf(err, errlen, "cannot bind the ZAP handler at %s (is another one bound in "
                 "this context?)", HL_ZAP_ENDPOINT);
        free(z);
        return rc;
    }
    hl_sock_set_max_frames(z->sock, HL_BUS_FRAMES_CAP);
    *out = z;
    return 0;
}

void hl_zap_destroy(hl_zap **z)
{
    if (!z || !*z) return;
    hl_sock_close(&(*z)->sock);
    free(*z);
    *z = NULL;
}

void hl_zap_stats_get(const hl_zap *z, hl_zap_stats *out)
{
    if (!out) return;
    if (!z) memset(out, 0, sizeof *out);
    else *out = z->st;
}

/* ---- socket options ---- */

int hl_curve_server(const char *server_secret, hl_curve *out)
{
    if (!out) return HL_EINVAL;
    memset(out, 0, sizeof *out);
    if (hl_curve_available(NULL, 0) < 0 || hl_key_check(server_secret) < 0) return HL_EINVAL;
    out->server = 1;
    out->one = 1;
    memcpy(out->server_key, server_secret, HL_KEY_Z85_LEN + 1);
    return 0;
}

int hl_curve_client(const char *server_public, const hl_keypair *own, hl_curve *out)
{
    if (!out) return HL_EINVAL;
    memset(out, 0, sizeof *out);
    if (hl_curve_available(NULL, 0) < 0 || !own || hl_key_check(server_public) < 0 ||
        hl_key_check(own->pub) < 0 || hl_key_check(own->sec) < 0)
        return HL_EINVAL;
    memcpy(out->server_key, server_public, HL_KEY_Z85_LEN + 1);
    memcpy(out->pub, own->pub, HL_KEY_Z85_LEN + 1);
    memcpy(out->sec, own->sec, HL_KEY_Z85_LEN + 1);
    return 0;
}

int hl_curve_client_load(const char *server_pub_path, const char *own_base, hl_curve *out,
                         char *err, size_t errlen)
{
    if (!out) return HL_EINVAL;
    memset(out, 0, sizeof *out);
    char spub[HL_KEY_Z85_LEN + 1];
    hl_keypair kp;
    int rc = hl_keys_load_public(server_pub_path, spub, err, errlen);
    if (rc == 0) rc = hl_keys_load(own_base, &kp, err, errlen);
    if (rc == 0) rc = hl_curve_client(spub, &kp, out);
    memset(&kp, 0, sizeof kp);
    return rc;
}

size_t hl_curve_sockopts(const hl_curve *c, hl_sock_opt out[HL_CURVE_MAX_OPTS])
{
    if (!c || !out) return 0;
    size_t n = 0;
    if (c->server) {
        out[n++] = (hl_sock_opt){ZMQ_CURVE_SERVER, &c->one, sizeof c->one};
        out[n++] = (hl_sock_opt){ZMQ_CURVE_SECRETKEY, c->server_key, HL_KEY_Z85_LEN};
        out[n++] = (hl_sock_opt){ZMQ_ZAP_DOMAIN, HL_ZAP_DOMAIN, strlen(HL_ZAP_DOMAIN)};
        out[n++] = (hl_sock_opt){ZMQ_ZAP_ENFORCE_DOMAIN, &c->one, sizeof c->one};
    } else if (c->server_key[0]) {
        out[n++] = (hl_sock_opt){ZMQ_CURVE_SERVERKEY, c->server_key, HL_KEY_Z85_LEN};
        out[n++] = (hl_sock_opt){ZMQ_CURVE_PUBLICKEY, c->pub, HL_KEY_Z85_LEN};
        out[n++] = (hl_sock_opt){ZMQ_CURVE_SECRETKEY, c->sec, HL_KEY_Z85_LEN};
    }
    return n;
}
