/* Fuzz target: the YAML loader (hl_yaml_load_mem) and the typed field readers every data
 * file loader uses, applied to every key of every mapping of what loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fz_quiet();
    return 0;
}

static const char *const k_allowed[] = {"id", "name", "chainage_km", "unit", NULL};

static void walk(const hl_yaml_doc *d, const hl_yaml_node *n, int depth)
{
    if (!n || depth > HL_YAML_MAX_DEPTH + 1) abort(); /* the loader bounds the depth */
    if (n->line < 1) abort();
    char err[512], s[64];
    double v;
    int64_t i;
    int b;
    const hl_yaml_node *seq;
    switch (n->kind) {
    case HL_YAML_SCALAR:
        if (!n->value) abort();
        break;
    case HL_YAML_SEQ:
        for (size_t k = 0; k < n->n; k++) walk(d, n->items[k], depth + 1);
        break;
    case HL_YAML_MAP:
        hl_yaml_only(d, n, k_allowed, err, sizeof err);
        for (size_t k = 0; k < n->n; k++) {
            const char *key = n->keys[k];
            if (hl_yaml_get(n, key) != n->values[k]) abort(); /* keys are unique */
            hl_yaml_str(d, n, key, 1, s, sizeof s, err, sizeof err);
            hl_yaml_num(d, n, key, 1, -1e9, 1e9, &v, err, sizeof err);
            hl_yaml_int(d, n, key, 1, INT64_MIN, INT64_MAX, &i, err, sizeof err);
            hl_yaml_int(d, n, key, 1, 0, 100, &i, err, sizeof err);
            hl_yaml_bool(d, n, key, 1, &b, err, sizeof err);
            hl_yaml_seq(d, n, key, 1, &seq, err, sizeof err);
            walk(d, n->values[k], depth + 1);
        }
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hl_yaml_doc *d = NULL;
    char err[512];
    int rc = hl_yaml_load_mem("fuzz.yaml", data, size, &d, err, sizeof err);
    if (rc < 0) {
        if (d) abort();
        return 0;
    }
    walk(d, d->root, 0);
    hl_yaml_free(&d);
    if (d) abort();
    return 0;
}
