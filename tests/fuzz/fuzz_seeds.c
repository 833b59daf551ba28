/* fuzz_seeds — writes the packed-message seed corpora of fuzz_envelope and fuzz_payload:
 * every message type of proto/ (every .proto file) with every field set to a plausible value (ids of the
 * Kuitun plan, benzene readings, drill times), and envelopes carrying them under the request
 * types of docs/protocol.md. Run by scripts/fuzz.sh --seeds; the output is committed under
 * tests/fuzz/corpus/{envelope,payload}.
 * Usage: fuzz_seeds CORPUS_DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_descriptors.h"
#include "hazlink/hl_codec.h"
#include "hazlink/hl_error.h"

/* Every allocation of a built message, freed together. */
static void *g_blocks[100000];
static size_t g_nblocks;

static void *arena(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p || g_nblocks == sizeof g_blocks / sizeof *g_blocks) abort();
    g_blocks[g_nblocks++] = p;
    return p;
}

static void arena_free(void)
{
    while (g_nblocks) free(g_blocks[--g_nblocks]);
}

static const char *string_for(const char *field)
{
    static const struct {
        const char *name, *value;
    } k[] = {
        {"station_id", "st-dsz-down"},   {"parameter", "苯"},         {"unit", "mg/L"},
        {"unit_id", "reg-130"},          {"source_id", "rs-dsz-petro"}, {"space_id", "sp-g30-bridge"},
        {"depot_id", "dp-xj7"},          {"material_id", "activated-carbon"},
        {"incident_id", "inc-st-dsz-down-1"}, {"substance", "benzene"}, {"action", "ack"},
        {"state", "pending"},            {"season", "winter"},         {"level", "II"},
        {"reason", "宿舍楼停水，人员不足"}, {"receptor_id", "rc-kuitun-gw"},
    };
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        if (strcmp(field, k[i].name) == 0) return k[i].value;
    size_t n = strlen(field);
    if (n >= 3 && strcmp(field + n - 3, "_id") == 0) return "kt-eeb";
    if (strcmp(field, "id") == 0) return "task-pl-inc-1-intercept-sp-g30-bridge";
    return "奎屯河 G30 bridge";
}

static void fill(ProtobufCMessage *m, int depth);

static void set_one(const ProtobufCFieldDescriptor *f, void *at, int depth)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32: *(int32_t *)at = 3; break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: *(uint32_t *)at = 5; break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: *(int64_t *)at = 1796090400000LL; break;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: *(uint64_t *)at = 42; break;
    case PROTOBUF_C_TYPE_FLOAT: *(float *)at = 1.5f; break;
    case PROTOBUF_C_TYPE_DOUBLE: *(double *)at = 0.05; break;
    case PROTOBUF_C_TYPE_BOOL: *(protobuf_c_boolean *)at = 1; break;
    case PROTOBUF_C_TYPE_ENUM: {
        const ProtobufCEnumDescriptor *e = f->descriptor;
        *(int *)at = e->n_values > 1 ? e->values[1].value : e->values[0].value;
        break;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *v = string_for(f->name);
        char *s = arena(strlen(v) + 1);
        memcpy(s, v, strlen(v) + 1);
        *(char **)at = s;
        break;
    }
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = at;
        b->data = arena(3);
        memcpy(b->data, "abc", 3);
        b->len = 3;
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE: {
        if (depth > 3) break;
        const ProtobufCMessageDescriptor *d = f->descriptor;
        ProtobufCMessage *sub = arena(d->sizeof_message);
        d->message_init(sub);
        fill(sub, depth + 1);
        *(ProtobufCMessage **)at = sub;
        break;
    }
    }
}

static size_t type_size(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: return 8;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
    default: return 4;
    }
}

static void fill(ProtobufCMessage *m, int depth)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char *base = (char *)m;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth > 3) continue;
            size_t n = 2, sz = type_size(f);
            char *arr = arena(n * sz);
            for (size_t k = 0; k < n; k++) set_one(f, arr + k * sz, depth);
            *(size_t *)(base + f->quantifier_offset) = n;
            *(void **)(base + f->offset) = arr;
        } else {
            set_one(f, base + f->offset, depth);
            if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset &&
                f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
                *(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
        }
    }
}

static void write_seed(const char *dir, const char *name, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
        perror(path);
        exit(1);
    }
    fclose(f);
}

/* Request types of docs/protocol.md and the payload each carries. */
static const struct {
    const char *type;
    const ProtobufCMessageDescriptor *d;
} k_requests[] = {
    {"alert.reading", &hl__reading__descriptor},
    {"alert.report", &hl__incident_report__descriptor},
    {"alert.incidents", &hl__list_query__descriptor},
    {"playbook.alert", &hl__plan_trigger__descriptor},
    {"stock.reserve", &hl__reserve_request__descriptor},
    {"dispatch.tasks", &hl__task_batch__descriptor},
    {"risk.upstream", &hl__upstream_query__descriptor},
    {"partner.hello", &hl__partner_hello__descriptor},
    {"task.receipt", &hl__task_receipt__descriptor},
    {"task.answer", &hl__task_answer__descriptor},
    {"task.deliver", &hl__task_delivery__descriptor},
    {"status", &hl__service_status__descriptor},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_seeds CORPUS_DIR\n");
        return 2;
    }
    char pdir[1024], edir[1024];
    snprintf(pdir, sizeof pdir, "%s/fuzz_payload", argv[1]);
    snprintf(edir, sizeof edir, "%s/fuzz_envelope", argv[1]);
    mkdir(pdir, 0755);
    mkdir(edir, 0755);
    for (size_t i = 0; i < FZ_N_DESCRIPTORS; i++) {
        const ProtobufCMessageDescriptor *d = fz_descriptors[i];
        ProtobufCMessage *m = arena(d->sizeof_message);
        d->message_init(m);
        fill(m, 0);
        uint8_t *buf;
        size_t len;
        if (hl_msg_pack(m, &buf, &len) < 0) abort();
        uint8_t idx = (uint8_t)i;
        char name[256];
        snprintf(name, sizeof name, "%03zu-%s", i, d->short_name);
        write_seed(pdir, name, &idx, 1, buf, len);
        free(buf);
        arena_free();
    }
    for (size_t i = 0; i < sizeof k_requests / sizeof *k_requests; i++) {
        ProtobufCMessage *m = arena(k_requests[i].d->sizeof_message);
        k_requests[i].d->message_init(m);
        fill(m, 0);
        Hl__Envelope *e = NULL;
        if (hl_env_build("reg-130", k_requests[i].type, m, "call-0190abcdef0123456789abcdef",
                         "idem-1", &e) < 0)
            abort();
        uint8_t *buf;
        size_t len;
        if (hl_env_pack(e, &buf, &len) < 0) abort();
        char name[128];
        snprintf(name, sizeof name, "%s", k_requests[i].type);
        write_seed(edir, name, buf, len, NULL, 0);
        free(buf);
        if (i == 0) {
            Hl__Envelope *er = NULL;
            if (hl_env_build_error("alert", e, HL_EINVAL, "reading.value",
                                   "reading.value: NaN is not a number", &er) < 0)
                abort();
            if (hl_env_pack(er, &buf, &len) < 0) abort();
            write_seed(edir, "error-reply", buf, len, NULL, 0);
            free(buf);
            hl_env_free(&er);
        }
        hl_env_free(&e);
        arena_free();
    }
    printf("fuzz_seeds: %d payload seeds in %s, %zu envelope seeds in %s\n", FZ_N_DESCRIPTORS,
           pdir, sizeof k_requests / sizeof *k_requests + 1, edir);
    return 0;
}
