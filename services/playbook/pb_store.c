/* pb_store.c — see pb_store.h. */
#include "pb_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

int pb_store_index_get(hl_txn *t, const char *incident_id, Hl__PlanIndex **out)
{
    const void *v;
    size_t len;
    int rc = hl_kv_get(t, PB_T_INDEX, incident_id, &v, &len);
    if (rc < 0)
        return rc;
    *out = (Hl__PlanIndex *)hl_msg_unpack(&hl__plan_index__descriptor, v, len);
    return *out ? 0 : HL_EDECODE;
}

static int put_msg(hl_txn *t, const char *table, const char *key, const ProtobufCMessage *m)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = hl_msg_pack(m, &buf, &len);
    if (rc == 0)
        rc = hl_kv_put(t, table, key, buf, len);
    free(buf);
    return rc;
}

int pb_store_index_put(hl_txn *t, const char *incident_id, const Hl__PlanIndex *ix)
{
    return put_msg(t, PB_T_INDEX, incident_id, &ix->base);
}

int pb_store_plan_get(hl_txn *t, const char *plan_id, Hl__Plan **out)
{
    const void *v;
    size_t len;
    int rc = hl_kv_get(t, PB_T_PLANS, plan_id, &v, &len);
    if (rc < 0)
        return rc;
    *out = (Hl__Plan *)hl_msg_unpack(&hl__plan__descriptor, v, len);
    return *out ? 0 : HL_EDECODE;
}

int pb_store_plan_put(hl_txn *t, const Hl__Plan *p)
{
    return put_msg(t, PB_T_PLANS, p->id, &p->base);
}

typedef struct list_ctx {
    const char *incident_id;
    size_t limit, max_bytes, bytes, n;
    Hl__Plan **plans;
    int rc;
} list_ctx;

static int list_one(const char *key, const void *val, size_t len, void *ud)
{
    list_ctx *c = ud;
    (void)key;
    if (c->n == c->limit || c->bytes + len > c->max_bytes)
        return 1;
    Hl__Plan *p = (Hl__Plan *)hl_msg_unpack(&hl__plan__descriptor, val, len);
    if (!p) {
        c->rc = HL_EDECODE;
        return HL_EDECODE;
    }
    if (c->incident_id && strcmp(p->incident_id, c->incident_id) != 0) {
        protobuf_c_message_free_unpacked(&p->base, NULL);
        return 0;
    }
    c->plans[c->n++] = p;
    c->bytes += len;
    return 0;
}

int pb_store_list(hl_txn *t, const char *id, const char *incident_id, unsigned limit,
                  size_t max_bytes, Hl__Plan ***out, size_t *n)
{
    list_ctx c;
    memset(&c, 0, sizeof c);
    c.limit = limit == 0 ? PB_LIST_DEFAULT : limit > PB_LIST_MAX ? PB_LIST_MAX : limit;
    c.max_bytes = max_bytes;
    c.incident_id = incident_id && incident_id[0] ? incident_id : NULL;
    *out = NULL;
    *n = 0;
    if (!(c.plans = calloc(c.limit, sizeof *c.plans)))
        return HL_ENOMEM;
    int rc;
    if (id && id[0]) {
        const void *v;
        size_t len;
        rc = hl_kv_get(t, PB_T_PLANS, id, &v, &len);
        if (rc == 0)
            rc = list_one(id, v, len, &c) < 0 ? c.rc : 0;
        else if (rc == HL_ENOTFOUND)
            rc = 0; /* an empty list, not an error: the same as a filter that matches nothing */
    } else {
        rc = hl_kv_scan(t, PB_T_PLANS, "", list_one, &c);
    }
    if (rc < 0) {
        pb_store_list_free(&c.plans, c.n);
        return rc;
    }
    *out = c.plans;
    *n = c.n;
    return 0;
}

void pb_store_list_free(Hl__Plan ***plans, size_t n)
{
    if (!plans || !*plans)
        return;
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&(*plans)[i]->base, NULL);
    free(*plans);
    *plans = NULL;
}
