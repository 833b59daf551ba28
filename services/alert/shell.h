/* shell.h — helpers the alert service's handler files share (handlers.c, grade_handlers.c,
 * incgrade.c): stored records, the audit log and protobuf-c memory.
 *
 * Messages returned by alert_store_get / alert_incident_get / alert_payload / alert_pb_clone
 * are unpacked with the default allocator: free them with alert_msg_free. Their string and
 * sub-message fields may be replaced only through alert_pb_set_str and alert_pb_set_msgs (or
 * with other heap copies), so that protobuf_c_message_free_unpacked frees exactly what was
 * allocated.
 */
#ifndef ALERT_SHELL_H
#define ALERT_SHELL_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "alert.pb-c.h"
#include "hazlink/hl_store.h"
#include "hazlink/hl_svc.h"

#define T_INCIDENTS "incidents"
#define T_ALERTS "alerts"
#define T_INC_ALERTS "incident_alerts"
#define T_EPISODES "episodes"
#define T_AUDIT "audit"

/* Pack m into table/key. */
int alert_store_put(hl_txn *t, const char *table, const char *key, const ProtobufCMessage *m);
/* Unpack the record at table/key. HL_ENOTFOUND, or HL_EDECODE for a damaged record. */
int alert_store_get(hl_txn *t, const char *table, const char *key,
                    const ProtobufCMessageDescriptor *d, ProtobufCMessage **out);
/* The incident id, or NULL with *rc set (HL_ENOTFOUND, HL_EDECODE …). */
Hl__Incident *alert_incident_get(hl_txn *t, const char *id, int *rc);
/* Append one state change of an incident to the audit table, actor = the request's sender. */
int alert_audit(hl_req *r, const char *incident_id, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, naming the actor. */
int alert_audit_by(hl_req *r, const char *incident_id, const char *event, const char *actor,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The request payload as d; NULL when undecodable. */
ProtobufCMessage *alert_payload(const hl_req *r, const ProtobufCMessageDescriptor *d);
void alert_msg_free(void *m);

/* Handle a request whose payload is a d: decode it (an undecodable payload is answered
 * HL_EDECODE, field "payload"), call apply(ud, r, payload) and free the payload. */
typedef int (*alert_apply_fn)(void *ud, hl_req *r, const ProtobufCMessage *m);
int alert_handle(hl_req *r, void *ud, const ProtobufCMessageDescriptor *d, alert_apply_fn apply);

/* Replace a string field of an unpacked message with a copy of v ("" for NULL). */
int alert_pb_set_str(char **field, const char *v);
/* Replace a repeated string field with copies of v[0..nv). */
int alert_pb_set_strs(char ***arr, size_t *n, char *const *v, size_t nv);
/* A heap copy of m (pack + unpack), or NULL. */
ProtobufCMessage *alert_pb_clone(const ProtobufCMessage *m);
/* Replace a repeated message field (*arr, *n) with heap copies of v[0..nv) (v may point to
 * stack messages). The old elements are freed. */
int alert_pb_set_msgs(ProtobufCMessage ***arr, size_t *n, const ProtobufCMessage *const *v,
                      size_t nv);
/* Replace a message field with a heap copy of v (NULL clears it). */
int alert_pb_set_msg(ProtobufCMessage **field, const ProtobufCMessage *v);

#endif
