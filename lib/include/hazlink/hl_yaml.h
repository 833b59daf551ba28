/* hl_yaml.h — YAML data files (playbooks, drills, configuration) as a tree with line numbers.
 *
 * Built on libyaml. Loaders walk the tree and report errors as "file:line: field: what".
 * Aliases/anchors are refused (a billion-laughs file is bad input, not a crash). Limits:
 * file size HL_YAML_MAX_BYTES, nesting depth HL_YAML_MAX_DEPTH, nodes HL_YAML_MAX_NODES.
 */
#ifndef HL_YAML_H
#define HL_YAML_H

#include <stddef.h>
#include <stdint.h>

#define HL_YAML_MAX_BYTES (8u * 1024u * 1024u)
#define HL_YAML_MAX_DEPTH 32
#define HL_YAML_MAX_NODES 200000

typedef enum { HL_YAML_SCALAR, HL_YAML_SEQ, HL_YAML_MAP } hl_yaml_kind;

typedef struct hl_yaml_node hl_yaml_node;
struct hl_yaml_node {
    hl_yaml_kind kind;
    int line;                 /* 1-based line in the file */
    char *value;              /* SCALAR: NUL-terminated text; else NULL */
    size_t n;                 /* SEQ: items; MAP: pairs */
    hl_yaml_node **items;     /* SEQ items */
    char **keys;              /* MAP keys (n) */
    hl_yaml_node **values;    /* MAP values (n) */
    int *key_lines;           /* MAP: 1-based line of each key (n) (added after v0) */
};

typedef struct hl_yaml_doc {
    char file[512];           /* as given to hl_yaml_load, for messages */
    hl_yaml_node *root;
} hl_yaml_doc;

/* An empty file (or one holding only comments) loads as an empty mapping at line 1.
 * Duplicate mapping keys and non-scalar keys are refused (HL_EPARSE); so is more than one
 * document per file. */
/* Load a file. On error returns HL_EIO (cannot read; err names the path and errno text),
 * HL_EPARSE (syntax: err is "file:line: what") or HL_ETOOBIG. *out owned by caller. */
int hl_yaml_load(const char *path, hl_yaml_doc **out, char *err, size_t errlen);
/* Same from memory; name is used in messages. */
int hl_yaml_load_mem(const char *name, const void *buf, size_t len, hl_yaml_doc **out,
                     char *err, size_t errlen);
void hl_yaml_free(hl_yaml_doc **doc);

/* Map lookup; NULL when node is not a map or key absent. */
const hl_yaml_node *hl_yaml_get(const hl_yaml_node *map, const char *key);

/* Typed field readers. All write "file:line: key: what" into err on failure.
 * hl_yaml_str: max is the size of out, NUL included (pass sizeof buf); a value of max bytes
 * or more is HL_ETOOBIG; an empty value for a required key is HL_EPARSE ("is empty").
 * hl_yaml_bool takes true/false/yes/no (any case). hl_yaml_num refuses nan, inf, hex.
 * required=0 and key absent: leave *out unchanged and return 0.
 *  HL_EPARSE  missing required key, wrong kind, not a number, trailing junk
 *  HL_EINVAL  number outside [min, max]
 *  HL_ETOOBIG string longer than max (bytes) */
int hl_yaml_str(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                char *out, size_t max, char *err, size_t errlen);
int hl_yaml_num(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                double min, double max, double *out, char *err, size_t errlen);
int hl_yaml_int(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);
int hl_yaml_bool(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                 int *out, char *err, size_t errlen);
/* A sequence under key (required or not); *out NULL when absent. HL_EPARSE if not a seq. */
int hl_yaml_seq(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                const hl_yaml_node **out, char *err, size_t errlen);
/* Refuse keys not in allowed (NULL-terminated): a misspelt field is an error, not ignored.
 * HL_EPARSE naming the first unknown key and its line. */
int hl_yaml_only(const hl_yaml_doc *d, const hl_yaml_node *map, const char *const *allowed,
                 char *err, size_t errlen);
/* Format "file:line: " + message for node into err. Returns HL_EPARSE for convenience. */
int hl_yaml_errf(const hl_yaml_doc *d, const hl_yaml_node *at, char *err, size_t errlen,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
