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
static const char *const units__esc_keys[] = {"after_min", "to", NULL};

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
        hl_yaml_errf(d, seq, err, errlen, "escalation: %zu steps, at most %d", seq->n,
                     UNITS_ESC_MAX);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < seq->n; i++) {
        const hl_yaml_node *st = seq->items[i];
        if (st->kind != HL_YAML_MAP)
            return hl_yaml_errf(d, st, err, errlen, "escalation[%zu]: not a map", i);
        if ((rc = hl_yaml_only(d, st, units__esc_keys, err, errlen)) < 0)
            return rc;
        int64_t after = 0;
        rc = hl_yaml_int(d, st, "after_min", 1, 1, UNITS_ESC_MAX_MIN, &after, err, errlen);
        if (rc < 0)
            return rc;
        unit_esc_step *s = &u->esc[i];
        s->after_min = (int)after;
        rc = hl_yaml_str(d, st, "to", 1, s->to, sizeof s->to, err, errlen);
        if (rc < 0)
            return rc;
        if (i > 0 && s->after_min <= u->esc[i - 1].after_min)
            return hl_yaml_errf(d, units__at(st, "after_min"), err, errlen,
                                "escalation[%zu].after_min: %d is not after the step before "
                                "(%d)",
                                i, s->after_min, u->esc[i - 1].after_min);
        u->nesc = i + 1;
    }
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
        for (size_t k = 0; k < u->nesc; k++) {
            const hl_yaml_node *esc = hl_yaml_get(m, "escalation");
            const hl_yaml_node *at = esc && k < esc->n ? units__at(esc->items[k], "to") : m;
            if (!units_find(r, u->esc[k].to))
                return hl_yaml_errf(d, at, err, errlen, "escalation[%zu].to: unknown unit '%s'", k,
                                    u->esc[k].to);
            if (strcmp(u->esc[k].to, u->id) == 0)
                return hl_yaml_errf(d, at, err, errlen,
                                    "escalation[%zu].to: a unit cannot escalate to itself", k);
        }
    }
    return 0;
}

static int units__from_doc(const hl_yaml_doc *d, units_roster **out, char *err, size_t errlen)
{
    static const char *const top_keys[] = {"units", NULL};
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
