/* hl_codec.c — envelope packing, bounds and field checks. */
#include "hazlink/hl_codec.h"
#include "hazlink/hl_clock.h"
#include "hazlink/hl_error.h"
#include "hl_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static int id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-';
}

void hl_id_new(const char *prefix, char out[HL_ID_MAX + 1])
{
    char p[17];
    size_t n = 0;
    if (!prefix || !prefix[0]) prefix = "id";
    for (; prefix[n] && n < 16; n++) p[n] = id_char((unsigned char)prefix[n]) ? prefix[n] : '_';
    p[n] = '\0';
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* No entropy yet (early boot): a counter mixed with time and address still keeps
         * ids of this process distinct. */
        static uint64_t ctr;
        r = (++ctr * 0x9E3779B97F4A7C15ull) ^ (uint64_t)hl_real_now_ms() ^ (uintptr_t)&r;
    }
    uint64_t ms = (uint64_t)hl_real_now_ms() & 0xFFFFFFFFFFFFFull; /* 13 hex digits */
    snprintf(out, HL_ID_MAX + 1, "%s-%013llx%016llx", p, (unsigned long long)ms,
             (unsigned long long)r);
}

int hl_id_check(const char *id)
{
    if (!id) return HL_EINVAL;
    size_t n = 0;
    for (; id[n]; n++) {
        if (n >= HL_ID_MAX || !id_char((unsigned char)id[n])) return HL_EINVAL;
    }
    return n == 0 ? HL_EINVAL : 0;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) {
            k = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            k = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i <= k) return 0; /* truncated sequence */
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
        i += k + 1;
    }
    return 1;
}

int hl_str_check(const char *s, size_t max, int required)
{
    if (!s || !s[0]) return required ? HL_EINVAL : 0;
    size_t n = strlen(s);
    if (n > max) return HL_ETOOBIG;
    return utf8_ok((const unsigned char *)s, n) ? 0 : HL_EINVAL;
}

static int type_check(const char *t)
{
    size_t n = 0;
    if (!t) return HL_EINVAL;
    for (; t[n]; n++) {
        unsigned char c = (unsigned char)t[n];
        if (n >= HL_TYPE_MAX) return HL_EINVAL;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return HL_EINVAL;
    }
    return n == 0 ? HL_EINVAL : 0;
}

static int opt_id_check(const char *s)
{
    return (!s || !s[0]) ? 0 : hl_id_check(s);
}

/* Field-by-field check of an unpacked envelope; names the first bad field in why. */
static int env_validate(const Hl__Envelope *e, char *why, size_t whylen)
{
    if (hl_id_check(e->msg_id) < 0) {
        hl__errf(why, whylen, "envelope.msg_id: must be 1..%d characters of [A-Za-z0-9._:-]",
                HL_ID_MAX);
        return HL_EINVAL;
    }
    if (type_check(e->type) < 0) {
        hl__errf(why, whylen, "envelope.type: must be 1..%d characters of [a-z0-9._-] "
                "(message %s)", HL_TYPE_MAX, e->msg_id);
        return HL_EINVAL;
    }
    if (opt_id_check(e->correlation_id) < 0) {
        hl__errf(why, whylen, "envelope.correlation_id: not a valid id (message %s)", e->msg_id);
        return HL_EINVAL;
    }
    if (opt_id_check(e->idempotency_key) < 0) {
        hl__errf(why, whylen, "envelope.idempotency_key: not a valid id (message %s)",
                e->msg_id);
        return HL_EINVAL;
    }
    if (opt_id_check(e->sender_unit) < 0) {
        hl__errf(why, whylen, "envelope.sender_unit: not a valid id (message %s)", e->msg_id);
        return HL_EINVAL;
    }
    if (e->error) {
        if (hl_str_check(e->error->message, HL_TEXT_MAX, 0) < 0) {
            hl__errf(why, whylen, "envelope.error.message: over %d bytes or not UTF-8 "
                    "(message %s)", HL_TEXT_MAX, e->msg_id);
            return HL_EINVAL;
        }
        if (hl_str_check(e->error->field, HL_NAME_MAX, 0) < 0) {
            hl__errf(why, whylen, "envelope.error.field: over %d bytes or not UTF-8 "
                    "(message %s)", HL_NAME_MAX, e->msg_id);
            return HL_EINVAL;
        }
    }
    return 0;
}

/* Drop the unknown fields of m and of every message inside it. protobuf-c keeps them to
 * pack them again, and its 1.4.1 handling of them has had memory bugs (protobuf-c PR 703,
 * PITFALLS.md); nothing of ours needs them, so they are freed on arrival and never re-sent.
 * Depth is bounded by our non-recursive message types. */
static void strip_unknown(ProtobufCMessage *m)
{
    if (!m) return;
    for (unsigned i = 0; i < m->n_unknown_fields; i++) free(m->unknown_fields[i].data);
    if (m->n_unknown_fields) free(m->unknown_fields);
    m->n_unknown_fields = 0;
    m->unknown_fields = NULL;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        char *base = (char *)m;
        if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*(uint32_t *)(base + fd->quantifier_offset) != fd->id) continue;
        }
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *)(base + fd->quantifier_offset);
            ProtobufCMessage **arr = *(ProtobufCMessage ***)(base + fd->offset);
            for (size_t k = 0; arr && k < n; k++) strip_unknown(arr[k]);
        } else {
            strip_unknown(*(ProtobufCMessage **)(base + fd->offset));
        }
    }
}

int hl_env_unpack(const void *buf, size_t len, size_t max_bytes, Hl__Envelope **out, char *why,
                  size_t whylen)
{
    if (!out) return HL_EINVAL;
    *out = NULL;
    if (max_bytes == 0) max_bytes = HL_MAX_MSG_BYTES;
    if (len > max_bytes) {
        hl__errf(why, whylen, "message of %zu bytes is over the limit of %zu bytes", len,
                max_bytes);
        return HL_ETOOBIG;
    }
    if (!buf && len) return HL_EINVAL;
    Hl__Envelope *e = hl__envelope__unpack(NULL, len, (const uint8_t *)buf);
    if (!e) {
        hl__errf(why, whylen, "message of %zu bytes is not a protobuf Envelope", len);
        return HL_EDECODE;
    }
    strip_unknown(&e->base);
    int rc = env_validate(e, why, whylen);
    if (rc < 0) {
        hl__envelope__free_unpacked(e, NULL);
        return rc;
    }
    *out = e;
    return 0;
}

void hl_env_free(Hl__Envelope **e)
{
    if (!e || !*e) return;
    /* Built and unpacked envelopes are laid out alike (every non-empty string, the payload
     * and the error are separate malloc blocks), so one free path serves both. */
    hl__envelope__free_unpacked(*e, NULL);
    *e = NULL;
}

int hl_msg_pack(const ProtobufCMessage *m, uint8_t **buf, size_t *len)
{
    if (!m || !buf || !len) return HL_EINVAL;
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *b = malloc(n ? n : 1);
    if (!b) return HL_ENOMEM;
    size_t w = protobuf_c_message_pack(m, b);
    if (w != n) {
        free(b);
        return HL_EINVAL;
    }
    *buf = b;
    *len = n;
    return 0;
}

int hl_env_pack(const Hl__Envelope *env, uint8_t **buf, size_t *len)
{
    return hl_msg_pack(env ? &env->base : NULL, buf, len);
}

ProtobufCMessage *hl_msg_unpack(const ProtobufCMessageDescriptor *d, const void *buf, size_t len)
{
    if (!d || (!buf && len)) return NULL;
    if (len > HL_MAX_MSG_BYTES * 256u) return NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, (const uint8_t *)buf);
    strip_unknown(m);
    return m;
}

/* Copy s into a malloc'd string, or the shared empty string for NULL/"". */
static int dup_field(char **dst, const char *s)
{
    if (!s || !s[0]) {
        *dst = (char *)protobuf_c_empty_string;
        return 0;
    }
    char *c = strdup(s);
    if (!c) return HL_ENOMEM;
    *dst = c;
    return 0;
}

static Hl__Envelope *env_alloc(void)
{
    Hl__Envelope *e = malloc(sizeof *e);
    if (e) hl__envelope__init(e);
    return e;
}

int hl_env_build(const char *sender, const char *type, const ProtobufCMessage *m,
                 const char *correlation_id, const char *idempotency_key, Hl__Envelope **out)
{
    if (!out || !type) return HL_EINVAL;
    *out = NULL;
    Hl__Envelope *e = env_alloc();
    if (!e) return HL_ENOMEM;
    char id[HL_ID_MAX + 1];
    hl_id_new(sender, id);
    if (dup_field(&e->msg_id, id) < 0 || dup_field(&e->type, type) < 0 ||
        dup_field(&e->sender_unit, sender) < 0 ||
        dup_field(&e->correlation_id, correlation_id) < 0 ||
        dup_field(&e->idempotency_key, idempotency_key) < 0)
        goto nomem;
    e->sent_ms = hl_now_ms();
    if (m) {
        uint8_t *p;
        size_t n;
        if (hl_msg_pack(m, &p, &n) < 0) goto nomem;
        if (n == 0) {
            free(p);
        } else {
            e->payload.data = p;
            e->payload.len = n;
        }
    }
    *out = e;
    return 0;
nomem:
    hl_env_free(&e);
    return HL_ENOMEM;
}

/* Copy at most max bytes of s, cut on a UTF-8 character boundary. */
static int dup_cut(char **dst, const char *s, size_t max)
{
    if (!s) s = "";
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    if (n == 0) {
        *dst = (char *)protobuf_c_empty_string;
        return 0;
    }
    char *c = strndup(s, n);
    if (!c) return HL_ENOMEM;
    *dst = c;
    return 0;
}

int hl_env_build_error(const char *sender, const Hl__Envelope *req, int code, const char *field,
                       const char *message, Hl__Envelope **out)
{
    if (!out) return HL_EINVAL;
    *out = NULL;
    const char *type = req && type_check(req->type) == 0 ? req->type : "error";
    const char *corr = req && hl_id_check(req->msg_id) == 0 ? req->msg_id : NULL;
    int rc = hl_env_build(sender, type, NULL, corr, NULL, out);
    if (rc < 0) return rc;
    Hl__Error *er = malloc(sizeof *er);
    if (!er) goto nomem;
    hl__error__init(er);
    (*out)->error = er;
    er->code = code < 0 ? code : HL_EINVAL;
    if (dup_cut(&er->message, message ? message : hl_strerror(code), HL_TEXT_MAX) < 0 ||
        dup_cut(&er->field, field, HL_NAME_MAX) < 0)
        goto nomem;
    return 0;
nomem:
    hl_env_free(out);
    return HL_ENOMEM;
}
