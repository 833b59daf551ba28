/* hl_yaml.c — YAML files as a small tree with line numbers, built from libyaml events.
 *
 * The event API is used rather than libyaml's document loader so that limits are enforced
 * while parsing: an alias, an over-deep nesting or too many nodes stops the parse at once
 * instead of after a billion-laughs expansion has been built in memory.
 */
#include "hazlink/hl_yaml.h"
#include "hazlink/hl_error.h"
#include "hl_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

static void node_free(hl_yaml_node *n)
{
    if (!n) return;
    free(n->value);
    if (n->kind == HL_YAML_SEQ) {
        for (size_t i = 0; i < n->n; i++) node_free(n->items[i]);
        free(n->items);
    } else if (n->kind == HL_YAML_MAP) {
        for (size_t i = 0; i < n->n; i++) {
            free(n->keys[i]);
            node_free(n->values[i]);
        }
        free(n->keys);
        free(n->values);
        free(n->key_lines);
    }
    free(n);
}

void hl_yaml_free(hl_yaml_doc **doc)
{
    if (!doc || !*doc) return;
    node_free((*doc)->root);
    free(*doc);
    *doc = NULL;
}

/* Parser state: a stack of open collections and, for maps, the key waiting for a value. */
typedef struct frame {
    hl_yaml_node *node;
    char *pending_key; /* MAP: key read, value not yet */
    int key_line;
} frame;

typedef struct builder {
    const char *name;
    frame stack[HL_YAML_MAX_DEPTH + 1];
    int depth;
    size_t nodes;
    hl_yaml_node *root;
    char *err;
    size_t errlen;
} builder;

/* Make room for element n of an array whose capacity is implied by its count: 4, then
 * doubling (so a reallocation is due exactly when n is 0 or a power of two >= 4). */
static int grow(void **arr, size_t elem, size_t n)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0)) return 0;
    size_t cap = n ? n * 2 : 4;
    void *p = realloc(*arr, cap * elem);
    if (!p) return HL_ENOMEM;
    *arr = p;
    return 0;
}

/* Attach a finished node to the open collection (or make it the root). */
static int attach(builder *b, hl_yaml_node *n, int line)
{
    if (b->depth == 0) {
        b->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    hl_yaml_node *p = f->node;
    if (p->kind == HL_YAML_SEQ) {
        if (grow((void **)&p->items, sizeof *p->items, p->n) < 0) return HL_ENOMEM;
        p->items[p->n++] = n;
        return 0;
    }
    if (!f->pending_key) {
        /* A collection used as a mapping key. */
        hl__errf(b->err, b->errlen, "%s:%d: mapping keys must be plain scalars", b->name, line);
        return HL_EPARSE;
    }
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->keys[i], f->pending_key) == 0) {
            hl__errf(b->err, b->errlen, "%s:%d: %s: duplicate key", b->name, f->key_line,
                    f->pending_key);
            return HL_EPARSE;
        }
    }
    if (grow((void **)&p->keys, sizeof *p->keys, p->n) < 0 ||
        grow((void **)&p->values, sizeof *p->values, p->n) < 0 ||
        grow((void **)&p->key_lines, sizeof *p->key_lines, p->n) < 0)
        return HL_ENOMEM;
    p->key_lines[p->n] = f->key_line;
    p->keys[p->n] = f->pending_key;
    p->values[p->n] = n;
    p->n++;
    f->pending_key = NULL;
    return 0;
}

static hl_yaml_node *node_new(builder *b, hl_yaml_kind kind, int line)
{
    if (++b->nodes > HL_YAML_MAX_NODES) return NULL;
    hl_yaml_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->kind = kind;
    n->line = line;
    return n;
}

/* Free whatever is still open after an error. */
static void builder_clear(builder *b)
{
    for (int i = b->depth - 1; i >= 0; i--) {
        free(b->stack[i].pending_key);
        node_free(b->stack[i].node);
    }
    b->depth = 0;
    node_free(b->root);
    b->root = NULL;
}

static int handle_event(builder *b, const yaml_event_t *ev)
{
    int line = (int)ev->start_mark.line + 1;
    const yaml_char_t *anchor = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT:
        hl__errf(b->err, b->errlen, "%s:%d: aliases are not allowed", b->name, line);
        return HL_EPARSE;
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        break;
    default:
        break;
    }
    if (anchor) {
        hl__errf(b->err, b->errlen, "%s:%d: anchors are not allowed (aliases are not allowed)",
                b->name, line);
        return HL_EPARSE;
    }
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->root) {
            hl__errf(b->err, b->errlen, "%s:%d: only one document per file", b->name, line);
            return HL_EPARSE;
        }
        return 0;
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (memchr(v, '\0', len)) {
            hl__errf(b->err, b->errlen, "%s:%d: NUL character in a value", b->name, line);
            return HL_EPARSE;
        }
        if (b->depth > 0) {
            frame *f = &b->stack[b->depth - 1];
            if (f->node->kind == HL_YAML_MAP && !f->pending_key) {
                if (++b->nodes > HL_YAML_MAX_NODES) goto too_many;
                f->pending_key = strndup(v, len);
                if (!f->pending_key) return HL_ENOMEM;
                f->key_line = line;
                return 0;
            }
        }
        hl_yaml_node *n = node_new(b, HL_YAML_SCALAR, line);
        if (!n) {
            if (b->nodes > HL_YAML_MAX_NODES) goto too_many;
            return HL_ENOMEM;
        }
        n->value = strndup(v, len);
        if (!n->value) {
            free(n);
            return HL_ENOMEM;
        }
        int rc = attach(b, n, line);
        if (rc < 0) node_free(n);
        return rc;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        if (b->depth >= HL_YAML_MAX_DEPTH) {
            hl__errf(b->err, b->errlen, "%s:%d: nesting deeper than %d levels", b->name, line,
                    HL_YAML_MAX_DEPTH);
            return HL_ETOOBIG;
        }
        if (b->depth > 0) {
            frame *f = &b->stack[b->depth - 1];
            if (f->node->kind == HL_YAML_MAP && !f->pending_key) {
                hl__errf(b->err, b->errlen, "%s:%d: mapping keys must be plain scalars",
                        b->name, line);
                return HL_EPARSE;
            }
        }
        hl_yaml_node *n = node_new(b, ev->type == YAML_SEQUENCE_START_EVENT ? HL_YAML_SEQ
                                                                          : HL_YAML_MAP,
                                   line);
        if (!n) {
            if (b->nodes > HL_YAML_MAX_NODES) goto too_many;
            return HL_ENOMEM;
        }
        b->stack[b->depth].node = n;
        b->stack[b->depth].pending_key = NULL;
        b->depth++;
        return 0;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: {
        frame f = b->stack[--b->depth];
        int rc = attach(b, f.node, f.node->line);
        if (rc < 0) {
            free(f.pending_key);
            node_free(f.node);
        }
        return rc;
    }
    default:
        return 0;
    }
too_many:
    hl__errf(b->err, b->errlen, "%s:%d: more than %d nodes", b->name, line, HL_YAML_MAX_NODES);
    return HL_ETOOBIG;
}

int hl_yaml_load_mem(const char *name, const void *buf, size_t len, hl_yaml_doc **out,
                     char *err, size_t errlen)
{
    if (!out) return HL_EINVAL;
    *out = NULL;
    if (!name) name = "(memory)";
    if (!buf && len) return HL_EINVAL;
    /* libyaml asserts on a NULL input even of length 0: an empty text is "". */
    if (!buf) buf = "";
    if (len > HL_YAML_MAX_BYTES) {
        hl__errf(err, errlen, "%s: %zu bytes is over the limit of %u bytes", name, len,
                HL_YAML_MAX_BYTES);
        return HL_ETOOBIG;
    }
    hl_yaml_doc *d = calloc(1, sizeof *d);
    if (!d) return HL_ENOMEM;
    snprintf(d->file, sizeof d->file, "%s", name);
    builder b;
    memset(&b, 0, sizeof b);
    b.name = d->file;
    b.err = err;
    b.errlen = errlen;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        free(d);
        return HL_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = 0, done = 0;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            hl__errf(err, errlen, "%s:%d: %s%s%s", d->file, (int)parser.problem_mark.line + 1,
                    parser.problem ? parser.problem : "syntax error",
                    parser.context ? " " : "", parser.context ? parser.context : "");
            rc = parser.error == YAML_MEMORY_ERROR ? HL_ENOMEM : HL_EPARSE;
            break;
        }
        done = ev.type == YAML_STREAM_END_EVENT;
        rc = handle_event(&b, &ev);
        yaml_event_delete(&ev);
        if (rc < 0) break;
    }
    yaml_parser_delete(&parser);
    if (rc < 0) {
        builder_clear(&b);
        free(d);
        return rc;
    }
    if (!b.root) {
        /* An empty file is an empty mapping: loaders then report missing keys by name. */
        b.root = calloc(1, sizeof *b.root);
        if (!b.root) {
            free(d);
            return HL_ENOMEM;
        }
        b.root->kind = HL_YAML_MAP;
        b.root->line = 1;
    }
    d->root = b.root;
    *out = d;
    return 0;
}

int hl_yaml_load(const char *path, hl_yaml_doc **out, char *err, size_t errlen)
{
    if (!out || !path) return HL_EINVAL;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        hl__errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return HL_EIO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        hl__errf(err, errlen, "%s: not a regular file", path);
        fclose(f);
        return HL_EIO;
    }
    if ((uintmax_t)st.st_size > HL_YAML_MAX_BYTES) {
        hl__errf(err, errlen, "%s: %lld bytes is over the limit of %u bytes", path,
                (long long)st.st_size, HL_YAML_MAX_BYTES);
        fclose(f);
        return HL_ETOOBIG;
    }
    size_t size = (size_t)st.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return HL_ENOMEM;
    }
    size_t got = fread(buf, 1, size, f);
    int rd_err = ferror(f);
    fclose(f);
    if (got != size || rd_err) {
        hl__errf(err, errlen, "%s: read error", path);
        free(buf);
        return HL_EIO;
    }
    int rc = hl_yaml_load_mem(path, buf, size, out, err, errlen);
    free(buf);
    return rc;
}

const hl_yaml_node *hl_yaml_get(const hl_yaml_node *map, const char *key)
{
    if (!map || map->kind != HL_YAML_MAP || !key) return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) return map->values[i];
    return NULL;
}

static const char *doc_name(const hl_yaml_doc *d)
{
    return d ? d->file : "(yaml)";
}

int hl_yaml_errf(const hl_yaml_doc *d, const hl_yaml_node *at, char *err, size_t errlen,
                 const char *fmt, ...)
{
    if (err && errlen) {
        int k;
        if (at)
            k = snprintf(err, errlen, "%s:%d: ", doc_name(d), at->line);
        else
            k = snprintf(err, errlen, "%s: ", doc_name(d));
        if (k >= 0 && (size_t)k < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return HL_EPARSE;
}

/* Common start of the typed readers: find key, check it is a scalar.
 * Returns 1 when absent and optional (caller returns 0), 0 with *v set, or <0. */
static int scalar_of(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key,
                     int required, const hl_yaml_node **v, char *err, size_t errlen)
{
    if (!map || map->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, map, err, errlen, "%s: expected a mapping around this key", key);
    *v = hl_yaml_get(map, key);
    if (!*v) {
        if (!required) return 1;
        return hl_yaml_errf(d, map, err, errlen, "%s: missing", key);
    }
    if ((*v)->kind != HL_YAML_SCALAR)
        return hl_yaml_errf(d, *v, err, errlen, "%s: expected a single value, found a %s", key,
                            (*v)->kind == HL_YAML_SEQ ? "list" : "mapping");
    return 0;
}

int hl_yaml_str(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                char *out, size_t max, char *err, size_t errlen)
{
    const hl_yaml_node *v;
    int rc = scalar_of(d, map, key, required, &v, err, errlen);
    if (rc) return rc < 0 ? rc : 0;
    size_t len = strlen(v->value);
    if (required && len == 0) return hl_yaml_errf(d, v, err, errlen, "%s: is empty", key);
    if (len >= max) {
        hl_yaml_errf(d, v, err, errlen, "%s: %zu bytes is longer than the limit of %zu", key,
                     len, max ? max - 1 : 0);
        return HL_ETOOBIG;
    }
    memcpy(out, v->value, len + 1);
    return 0;
}

int hl_yaml_num(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                double min, double max, double *out, char *err, size_t errlen)
{
    const hl_yaml_node *v;
    int rc = scalar_of(d, map, key, required, &v, err, errlen);
    if (rc) return rc < 0 ? rc : 0;
    const char *s = v->value;
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    /* strtod also takes "nan", "inf" and hex floats; a data file means none of them. */
    if (end == s || *end != '\0' || errno == ERANGE || !isfinite(x) ||
        strpbrk(s, "xXnNiI") != NULL)
        return hl_yaml_errf(d, v, err, errlen, "%s: '%s' is not a number", key, s);
    if (x < min || x > max) {
        hl_yaml_errf(d, v, err, errlen, "%s: %g is outside [%g, %g]", key, x, min, max);
        return HL_EINVAL;
    }
    *out = x;
    return 0;
}

int hl_yaml_int(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
    const hl_yaml_node *v;
    int rc = scalar_of(d, map, key, required, &v, err, errlen);
    if (rc) return rc < 0 ? rc : 0;
    const char *s = v->value;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE)
        return hl_yaml_errf(d, v, err, errlen, "%s: '%s' is not a whole number", key, s);
    if (x < min || x > max) {
        hl_yaml_errf(d, v, err, errlen, "%s: %lld is outside [%lld, %lld]", key, x,
                     (long long)min, (long long)max);
        return HL_EINVAL;
    }
    *out = (int64_t)x;
    return 0;
}

int hl_yaml_bool(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                 int *out, char *err, size_t errlen)
{
    const hl_yaml_node *v;
    int rc = scalar_of(d, map, key, required, &v, err, errlen);
    if (rc) return rc < 0 ? rc : 0;
    const char *s = v->value;
    if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0) {
        *out = 1;
    } else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0) {
        *out = 0;
    } else {
        return hl_yaml_errf(d, v, err, errlen, "%s: '%s' is not true or false", key, s);
    }
    return 0;
}

int hl_yaml_seq(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                const hl_yaml_node **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!map || map->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, map, err, errlen, "%s: expected a mapping around this key", key);
    const hl_yaml_node *v = hl_yaml_get(map, key);
    if (!v) {
        if (!required) return 0;
        return hl_yaml_errf(d, map, err, errlen, "%s: missing", key);
    }
    if (v->kind != HL_YAML_SEQ) return hl_yaml_errf(d, v, err, errlen, "%s: expected a list", key);
    *out = v;
    return 0;
}

int hl_yaml_only(const hl_yaml_doc *d, const hl_yaml_node *map, const char *const *allowed,
                 char *err, size_t errlen)
{
    if (!map || map->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, map, err, errlen, "expected a mapping");
    for (size_t i = 0; i < map->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; a && *a; a++) {
            if (strcmp(*a, map->keys[i]) == 0) {
                ok = 1;
                break;
            }
        }
        if (!ok) {
            hl_yaml_node at = {.line = map->key_lines ? map->key_lines[i] : map->line};
            return hl_yaml_errf(d, &at, err, errlen, "%s: unknown key", map->keys[i]);
        }
    }
    return 0;
}
