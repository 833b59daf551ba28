/* shell.c — see shell.h. */
#include "shell.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_log.h"

int alert_pb_set_str(char **field, const char *v)
{
    char *copy = strdup(v ? v : "");
    if (!copy)
        return HL_ENOMEM;
    /* protobuf-c's shared empty string is the default of every unset string field. */
    if (*field && *field != (char *)protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

int alert_pb_set_strs(char ***arr, size_t *n, char *const *v, size_t nv)
{
    char **copy = calloc(nv ? nv : 1, sizeof *copy);
    if (!copy)
        return HL_ENOMEM;
    for (size_t i = 0; i < nv; i++) {
        copy[i] = strdup(v[i]);
        if (!copy[i]) {
            while (i-- > 0)
                free(copy[i]);
            free(copy);
            return HL_ENOMEM;
        }
    }
    for (size_t i = 0; i < *n; i++)
        free((*arr)[i]);
    free(*arr);
    *arr = copy;
    *n = nv;
    return 0;
}

ProtobufCMessage *alert_pb_clone(const ProtobufCMessage *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (!m || hl_msg_pack(m, &buf, &len) < 0)
        return NULL;
    ProtobufCMessage *c = hl_msg_unpack(m->descriptor, buf, len);
    free(buf);
    return c;
}

int alert_pb_set_msgs(ProtobufCMessage ***arr, size_t *n, const ProtobufCMessage *const *v,
                      size_t nv)
{
    ProtobufCMessage **copy = calloc(nv ? nv : 1, sizeof *copy);
    if (!copy)
        return HL_ENOMEM;
    for (size_t i = 0; i < nv; i++) {
        copy[i] = alert_pb_clone(v[i]);
        if (!copy[i]) {
            while (i-- > 0)
                alert_msg_free(copy[i]);
            free(copy);
            return HL_ENOMEM;
        }
    }
    for (size_t i = 0; i < *n; i++)
        alert_msg_free((*arr)[i]);
    free(*arr);
    *arr = copy;
    *n = nv;
    return 0;
}

int alert_pb_set_msg(ProtobufCMessage **field, const ProtobufCMessage *v)
{
    ProtobufCMessage *copy = NULL;
    if (v && !(copy = alert_pb_clone(v)))
        return HL_ENOMEM;
    alert_msg_free(*field);
    *field = copy;
    return 0;
}

int alert_store_put(hl_txn *t, const char *table, const char *key, const ProtobufCMessage *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(m, &buf, &len);
    if (rc < 0)
        return rc;
    rc = hl_kv_put(t, table, key, buf, len);
    free(buf);
    return rc;
}

int alert_store_get(hl_txn *t, const char *table, const char *key,
                    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out)
{
    const void *val;
    size_t len;
    int rc = hl_kv_get(t, table, key, &val, &len);
    if (rc < 0)
        return rc;
    *out = hl_msg_unpack(d, val, len);
    if (!*out) {
        hl_error("store: %s/%s is not a %s record", table, key, d->name);
        return HL_EDECODE;
    }
    return 0;
}

Hl__Incident *alert_incident_get(hl_txn *t, const char *id, int *rc)
{
    ProtobufCMessage *m = NULL;
    *rc = alert_store_get(t, T_INCIDENTS, id, &hl__incident__descriptor, &m);
    return (Hl__Incident *)m;
}

void alert_msg_free(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

static int alert__vaudit(hl_req *r, const char *incident_id, const char *event, const char *actor,
                         const char *fmt, va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof detail, fmt, ap);
    uint64_t seq;
    int rc = hl_seq_next(r->txn, T_AUDIT, &seq);
    if (rc < 0)
        return rc;
    char key[24];
    snprintf(key, sizeof key, "%020" PRIu64, seq);
    Hl__IncidentAudit a = HL__INCIDENT_AUDIT__INIT;
    a.seq = seq;
    a.incident_id = (char *)incident_id;
    a.event = (char *)event;
    a.actor = (char *)actor;
    a.at_ms = r->now_ms;
    a.detail = detail;
    return alert_store_put(r->txn, T_AUDIT, key, &a.base);
}

int alert_audit(hl_req *r, const char *incident_id, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *actor = r->env && r->env->sender_unit ? r->env->sender_unit : "";
    int rc = alert__vaudit(r, incident_id, event, actor, fmt, ap);
    va_end(ap);
    return rc;
}

int alert_audit_by(hl_req *r, const char *incident_id, const char *event, const char *actor,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = alert__vaudit(r, incident_id, event, actor ? actor : "", fmt, ap);
    va_end(ap);
    return rc;
}

ProtobufCMessage *alert_payload(const hl_req *r, const ProtobufCMessageDescriptor *d)
{
    return hl_msg_unpack(d, r->env->payload.data, r->env->payload.len);
}

int alert_handle(hl_req *r, void *ud, const ProtobufCMessageDescriptor *d, alert_apply_fn apply)
{
    ProtobufCMessage *m = alert_payload(r, d);
    if (!m)
        return hl_req_fail(r, HL_EDECODE, "payload", "payload of %s is not a %s", r->env->msg_id,
                           d->short_name);
    int rc = apply(ud, r, m);
    alert_msg_free(m);
    return rc;
}
