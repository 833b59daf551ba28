/* units.c — load and validate the unit roster (units.h). */
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"

static const char *const units__keys[] = {"id",           "name",       "name_en", "side",
                                          "jurisdiction", "reports_to", "duty",    "assumption",
                                          "escalation",   NULL};
static const char *const units__section_keys[] = {"ack_timeout_min", "repeats", "default_level",
                                                  "assumption", NULL};

static int units__side_ok(const char *s)
{
    return strcmp(s, "corps") == 0 || strcmp(s, "local") == 0 || strcmp(s, "enterprise") == 0;
}

/* The node holding key's value, for error lines; the map itself when the key is absent. */
static const hl_yaml_node *units__at(const hl_yaml_node *map, const char *key)
{
    const hl_yaml_node *v = hl_yaml_get(map, key);
    return v ? v : map;
}

/* A unit's escalation: a sequence of unit ids (resolved in units__links). */
static int units__escalation(const hl_yaml_doc *d, const hl_yaml_node *m, unit_info *u, char *err,
                             size_t errlen)
{
    const hl_yaml_node *seq = NULL;
    int rc = hl_yaml_seq(d, m, "escalation", 0, &seq, err, errlen);
    if (rc < 0)
        return rc;
    if (!seq)
        return 0;
    if (seq->n > UNITS_ESC_MAX) {
        hl_yaml_errf(d, seq, err, errlen, "escalation: %zu units, at most %d", seq->n,
                     UNITS_ESC_MAX);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *it = seq->items[i];
        if (it->kind != HL_YAML_SCALAR || hl_id_check(it->value) < 0)
            return hl_yaml_errf(d, it, err, errlen, "escalation[%zu]: not a unit id", i);
        snprintf(u->esc[i], sizeof u->esc[i], "%s", it->value);
        for (size_t j = 0; j < i; j++)
            if (strcmp(u->esc[j], u->esc[i]) == 0)
                return hl_yaml_errf(d, it, err, errlen, "escalation[%zu]: '%s' is named twice", i,
                                    it->value);
        u->nesc = i + 1;
    }
    return 0;
}

/* The top-level escalation section (units.h). */
static int units__section(const hl_yaml_doc *d, const hl_yaml_node *root, units_roster *r,
                          char *err, size_t errlen)
{
    const hl_yaml_node *sec = hl_yaml_get(root, "escalation");
    if (!sec)
        return 0;
    if (sec->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, sec, err, errlen, "escalation: not a map");
    int rc = hl_yaml_only(d, sec, units__section_keys, err, errlen);
    if (rc < 0)
        return rc;
    esc_policy *p = &r->esc;
    const hl_yaml_node *tm = hl_yaml_get(sec, "ack_timeout_min");
    if (!tm || tm->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, tm ? tm : sec, err, errlen,
                            "escalation.ack_timeout_min: missing or not a map of the levels "
                            "蓝 黄 橙 红 to minutes");
    int seen[ESC_LEVEL_N] = {0};
    for (size_t i = 0; i < tm->n; i++) {
        esc_level l = ESC_BLUE;
        int line = tm->key_lines ? tm->key_lines[i] : tm->line;
        int known = esc_level_parse(tm->keys[i], &l) == 0;
        if (!known || seen[l]) {
            snprintf(err, errlen, "%s:%d: escalation.ack_timeout_min: '%s' is %s", d->file, line,
                     tm->keys[i], known ? "given twice" : "not a warning level (蓝 黄 橙 红)");
            return HL_EPARSE;
        }
        int64_t v = 0;
        if ((rc = hl_yaml_int(d, tm, tm->keys[i], 1, 1, ESC_TIMEOUT_MAX_MIN, &v, err, errlen)) < 0)
            return rc;
        p->timeout_min[l] = (int)v;
        seen[l] = 1;
    }
    for (int l = 0; l < ESC_LEVEL_N; l++)
        if (!seen[l])
            return hl_yaml_errf(d, tm, err, errlen, "escalation.ack_timeout_min: no timeout for %s",
                                esc_level_name((esc_level)l));
    int64_t repeats = 0;
    if ((rc = hl_yaml_int(d, sec, "repeats", 1, 0, ESC_REPEATS_MAX, &repeats, err, errlen)) < 0)
        return rc;
    p->repeats = (unsigned)repeats;
    char level[32];
    if ((rc = hl_yaml_str(d, sec, "default_level", 1, level, sizeof level, err, errlen)) < 0)
        return rc;
    if (esc_level_parse(level, &p->default_level) < 0)
        return hl_yaml_errf(d, units__at(sec, "default_level"), err, errlen,
                            "escalation.default_level: '%s' is not a warning level (蓝 黄 橙 红)",
                            level);
    if ((rc = hl_yaml_str(d, sec, "assumption", 0, r->esc_assumption, sizeof r->esc_assumption, err,
                          errlen)) < 0)
        return rc;
    p->enabled = 1;
    char why[256];
    if (esc_policy_check(p, why, sizeof why) < 0)
        return hl_yaml_errf(d, tm, err, errlen, "escalation.ack_timeout_min: %s", why);
    return 0;
}

static int units__one(const hl_yaml_doc *d, const hl_yaml_node *m, size_t idx, unit_info *u,
                      char *err, size_t errlen)
{
    int rc;
    if (m->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, m, err, errlen, "units[%zu]: not a map", idx);
    if ((rc = hl_yaml_only(d, m, units__keys, err, errlen)) < 0)
        return rc;
    u->line = m->line;
    if ((rc = hl_yaml_str(d, m, "id", 1, u->id, sizeof u->id, err, errlen)) < 0)
        return rc;
    if (hl_id_check(u->id) < 0)
        return hl_yaml_errf(d, units__at(m, "id"), err, errlen,
                            "id: '%s' is not a valid id (1..%d bytes of A-Z a-z 0-9 . _ : -)",
                            u->id, HL_ID_MAX);
    if ((rc = hl_yaml_str(d, m, "name", 1, u->name, sizeof u->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "name_en", 0, u->name_en, sizeof u->name_en, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "side", 1, u->side, sizeof u->side, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "jurisdiction", 0, u->jurisdiction, sizeof u->jurisdiction, err,
                          errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "duty", 1, u->duty, sizeof u->duty, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, m, "assumption", 0, u->assumption, sizeof u->assumption, err,
                          errlen)) < 0)
        return rc;
    if (!units__side_ok(u->side))
        return hl_yaml_errf(d, units__at(m, "side"), err, errlen,
                            "side: '%s' is not corps, local or enterprise", u->side);
    /* reports_to must be present even at the top of a chain (""), so that a forgotten line
     * is an error rather than a unit that silently answers to nobody. */
    if (!hl_yaml_get(m, "reports_to"))
        return hl_yaml_errf(d, m, err, errlen,
                            "reports_to: missing (use \"\" at the top of a chain)");
    if ((rc = hl_yaml_str(d, m, "reports_to", 0, u->reports_to, sizeof u->reports_to, err,
                          errlen)) < 0)
        return rc;
    return units__escalation(d, m, u, err, errlen);
}

/* Second pass, once every id is known: references resolve and chains end. */
static int units__links(const hl_yaml_doc *d, const hl_yaml_node *seq, const units_roster *r,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < r->n; i++) {
        const unit_info *u = &r->units[i];
        const hl_yaml_node *m = seq->items[i];
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->units[j].id, u->id) == 0)
                return hl_yaml_errf(d, units__at(m, "id"), err, errlen,
                                    "id: '%s' repeats the unit of line %d", u->id,
                                    r->units[j].line);
        if (u->reports_to[0]) {
            if (strcmp(u->reports_to, u->id) == 0)
                return hl_yaml_errf(d, units__at(m, "reports_to"), err, errlen,
                                    "reports_to: unit '%s' cannot answer to itself", u->id);
            if (!units_find(r, u->reports_to))
                return hl_yaml_errf(d, units__at(m, "reports_to"), err, errlen,
                                    "reports_to: unknown unit '%s'", u->reports_to);
        }
        /* Following reports_to from any unit must reach a top within n steps. */
        const unit_info *p = u;
        size_t steps = 0;
        while (p && p->reports_to[0] && steps <= r->n) {
            p = units_find(r, p->reports_to);
            steps++;
        }
        if (steps > r->n)
            return hl_yaml_errf(d, units__at(m, "reports_to"), err, errlen,
                                "reports_to: the chain from '%s' comes back to itself", u->id);
        const hl_yaml_node *esc = hl_yaml_get(m, "escalation");
        for (size_t k = 0; k < u->nesc; k++) {
            const hl_yaml_node *at = esc && k < esc->n ? esc->items[k] : m;
            if (!units_find(r, u->esc[k]))
                return hl_yaml_errf(d, at, err, errlen, "escalation[%zu]: unknown unit '%s'", k,
                                    u->esc[k]);
            if (strcmp(u->esc[k], u->id) == 0)
                return hl_yaml_errf(d, at, err, errlen,
                                    "escalation[%zu]: a unit cannot escalate to itself", k);
        }
    }
    return 0;
}

static int units__from_doc(const hl_yaml_doc *d, units_roster **out, char *err, size_t errlen)
{
    static const char *const top_keys[] = {"units", "escalation", NULL};
    const hl_yaml_node *root = d->root;
    if (!root || root->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, root, err, errlen, "units: the file must be a map with 'units'");
    int rc = hl_yaml_only(d, root, top_keys, err, errlen);
    if (rc < 0)
        return rc;
    const hl_yaml_node *seq = NULL;
    if ((rc = hl_yaml_seq(d, root, "units", 1, &seq, err, errlen)) < 0)
        return rc;
    if (seq->n == 0)
        return hl_yaml_errf(d, seq, err, errlen, "units: empty roster");
    if (seq->n > UNITS_MAX) {
        hl_yaml_errf(d, seq, err, errlen, "units: %zu units, at most %d", seq->n, UNITS_MAX);
        return HL_ETOOBIG;
    }
    units_roster *r = calloc(1, sizeof *r);
    if (!r)
        return HL_ENOMEM;
    r->units = calloc(seq->n, sizeof *r->units);
    if (!r->units) {
        free(r);
        return HL_ENOMEM;
    }
    snprintf(r->file, sizeof r->file, "%s", d->file);
    for (size_t i = 0; i < seq->n; i++) {
        if ((rc = units__one(d, seq->items[i], i, &r->units[i], err, errlen)) < 0)
            break;
        r->n = i + 1;
    }
    if (rc == 0)
        rc = units__links(d, seq, r, err, errlen);
    if (rc == 0)
        rc = units__section(d, root, r, err, errlen);
    if (rc < 0) {
        units_destroy(&r);
        return rc;
    }
    *out = r;
    return 0;
}

int units_load(const char *path, units_roster **out, char *err, size_t errlen)
{
    *out = NULL;
    hl_yaml_doc *d = NULL;
    int rc = hl_yaml_load(path, &d, err, errlen);
    if (rc < 0)
        return rc;
    rc = units__from_doc(d, out, err, errlen);
    hl_yaml_free(&d);
    return rc;
}

int units_load_mem(const char *name, const void *buf, size_t len, units_roster **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    hl_yaml_doc *d = NULL;
    int rc = hl_yaml_load_mem(name, buf, len, &d, err, errlen);
    if (rc < 0)
        return rc;
    rc = units__from_doc(d, out, err, errlen);
    hl_yaml_free(&d);
    return rc;
}

void units_destroy(units_roster **r)
{
    if (!r || !*r)
        return;
    free((*r)->units);
    free(*r);
    *r = NULL;
}

const unit_info *units_find(const units_roster *r, const char *id)
{
    if (!r || !id || !id[0])
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->units[i].id, id) == 0)
            return &r->units[i];
    return NULL;
}

int units_chain(const units_roster *r, const char *unit, char (*chain)[HL_ID_MAX + 1], size_t *n)
{
    *n = 0;
    const unit_info *u = units_find(r, unit);
    if (!u)
        return HL_ENOTFOUND;
    snprintf(chain[(*n)++], HL_ID_MAX + 1, "%s", u->id);
    if (u->nesc > 0) {
        for (size_t i = 0; i < u->nesc; i++)
            snprintf(chain[(*n)++], HL_ID_MAX + 1, "%s", u->esc[i]);
        return 0;
    }
    /* reports_to has no cycles (checked at load), so this ends at a top or at the bound. */
    for (const unit_info *p = units_find(r, u->reports_to); p && *n < ESC_CHAIN_MAX;
         p = units_find(r, p->reports_to))
        snprintf(chain[(*n)++], HL_ID_MAX + 1, "%s", p->id);
    return 0;
}
