/* risk_data.c — see risk_data.h. */
#include "risk_data.h"

#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

static int rd__map(const hl_yaml_doc *d, const hl_yaml_node *n, const char *what, char *err,
                   size_t errlen)
{
    if (!n || n->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, n, err, errlen, "%s: expected a mapping", what);
    return 0;
}

/* A list under key of at most max entries (required: at least one). */
static int rd__list(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                    size_t max, const hl_yaml_node **out, char *err, size_t errlen)
{
    int rc = hl_yaml_seq(d, map, key, required, out, err, errlen);
    if (rc < 0 || !*out)
        return rc;
    if (required && (*out)->n == 0)
        return hl_yaml_errf(d, *out, err, errlen, "%s: the list is empty", key);
    if ((*out)->n > max) {
        hl_yaml_errf(d, *out, err, errlen, "%s: %zu entries, more than the limit of %zu", key,
                     (*out)->n, max);
        return HL_ETOOBIG;
    }
    return 0;
}

/* A list of scalars (aliases) into fixed slots. */
static int rd__aliases(const hl_yaml_doc *d, const hl_yaml_node *map, risk_substance *s, char *err,
                       size_t errlen)
{
    const hl_yaml_node *list;
    int rc = rd__list(d, map, "aliases", 0, RISK_ALIASES_MAX, &list, err, errlen);
    if (rc < 0 || !list)
        return rc;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *a = list->items[i];
        if (a->kind != HL_YAML_SCALAR || a->value[0] == '\0')
            return hl_yaml_errf(d, a, err, errlen, "aliases: expected a non-empty name");
        size_t len = strlen(a->value);
        if (len > HL_NAME_MAX) {
            hl_yaml_errf(d, a, err, errlen, "aliases: %zu bytes is longer than the limit of %d",
                         len, HL_NAME_MAX);
            return HL_ETOOBIG;
        }
        memcpy(s->aliases[s->naliases++], a->value, len + 1);
    }
    return 0;
}

/* gb18218: {row, critical_quantity_t, unverified} / hj941: {critical_quantity_t, unverified}.
 * Absent means "not listed in that table as transcribed". */
static int rd__critical(const hl_yaml_doc *d, const hl_yaml_node *subst, const char *key,
                        int with_row, int *listed, int *row, double *qty, int *unverified,
                        char *err, size_t errlen)
{
    static const char *const keys_row[] = {"row", "critical_quantity_t", "unverified", NULL};
    static const char *const keys[] = {"critical_quantity_t", "unverified", NULL};
    const hl_yaml_node *n = hl_yaml_get(subst, key);
    int rc;
    *listed = 0;
    if (!n)
        return 0;
    if ((rc = rd__map(d, n, key, err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, with_row ? keys_row : keys, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, n, "critical_quantity_t", 1, 0, RISK_QTY_MAX, qty, err, errlen)) < 0 ||
        (rc = hl_yaml_bool(d, n, "unverified", 1, unverified, err, errlen)) < 0)
        return rc;
    if (with_row) {
        int64_t r = 0;
        if ((rc = hl_yaml_int(d, n, "row", 1, 1, 1000, &r, err, errlen)) < 0)
            return rc;
        *row = (int)r;
    }
    *listed = 1;
    return 0;
}

static int rd__substance(const hl_yaml_doc *d, const hl_yaml_node *n, risk_substance *s, char *err,
                         size_t errlen)
{
    static const char *const keys[] = {"name", "cas", "aliases", "gb18218", "hj941", "note", NULL};
    int rc, unused_row = 0;
    if ((rc = rd__map(d, n, "substances entry", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "name", 1, s->name, sizeof s->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "cas", 0, s->cas, sizeof s->cas, err, errlen)) < 0 ||
        (rc = rd__aliases(d, n, s, err, errlen)) < 0 ||
        (rc = rd__critical(d, n, "gb18218", 1, &s->gb18218_listed, &s->gb18218_row, &s->gb18218_t,
                           &s->gb18218_unverified, err, errlen)) < 0 ||
        (rc = rd__critical(d, n, "hj941", 0, &s->hj941_listed, &unused_row, &s->hj941_t,
                           &s->hj941_unverified, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "note", 0, s->note, sizeof s->note, err, errlen)) < 0)
        return rc;
    return 0;
}

static int rd__holdings(const hl_yaml_doc *d, const hl_yaml_node *n, risk_register *reg,
                        risk_source *src, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "max_quantity_t", NULL};
    const hl_yaml_node *list;
    int rc = rd__list(d, n, "substances", 1, RISK_SOURCE_SUBST_MAX, &list, err, errlen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *h = list->items[i];
        char name[HL_NAME_MAX + 1];
        risk_holding *hd = &src->holdings[src->nholdings];
        if ((rc = rd__map(d, h, "substances entry", err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, h, keys, err, errlen)) < 0 ||
            (rc = hl_yaml_str(d, h, "name", 1, name, sizeof name, err, errlen)) < 0)
            return rc;
        int k = risk_substance_find(reg, name);
        if (k < 0)
            return hl_yaml_errf(d, hl_yaml_get(h, "name"), err, errlen,
                                "name: substance '%s' of source %s is not in the substances "
                                "table",
                                name, src->id);
        for (size_t j = 0; j < src->nholdings; j++)
            if (src->holdings[j].substance == (size_t)k)
                return hl_yaml_errf(d, hl_yaml_get(h, "name"), err, errlen,
                                    "name: substance '%s' is listed twice in source %s", name,
                                    src->id);
        hd->substance = (size_t)k;
        if ((rc = hl_yaml_num(d, h, "max_quantity_t", 1, 0, RISK_QTY_MAX, &hd->max_quantity_t, err,
                              errlen)) < 0)
            return rc;
        /* risk_sources.yaml states that every maximum quantity in it is an assumption. */
        hd->max_quantity_assumed = 1;
        src->nholdings++;
    }
    return 0;
}

static int rd__location(const hl_yaml_doc *d, const hl_yaml_node *n, risk_source *s, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {"lat", "lon", "confidence", "note", NULL};
    const hl_yaml_node *loc = hl_yaml_get(n, "location");
    int rc = hl_yaml_str(d, n, "location_note", 0, s->location_note, sizeof s->location_note, err,
                         errlen);
    if (rc < 0)
        return rc;
    if (!loc) {
        if (s->location_note[0] == '\0')
            return hl_yaml_errf(d, n, err, errlen,
                                "location_note: missing (source %s has no location: say why)",
                                s->id);
        return 0;
    }
    if ((rc = rd__map(d, loc, "location", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, loc, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, loc, "lat", 1, -90, 90, &s->lat, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, loc, "lon", 1, -180, 180, &s->lon, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, loc, "confidence", 1, s->confidence, sizeof s->confidence, err,
                          errlen)) < 0)
        return rc;
    /* The location's note says where the point comes from; keep it unless the source already
     * has a location_note of its own. */
    if (s->location_note[0] == '\0' && (rc = hl_yaml_str(d, loc, "note", 0, s->location_note,
                                                         sizeof s->location_note, err, errlen)) < 0)
        return rc;
    s->has_location = 1;
    return 0;
}

static int rd__source(const hl_yaml_doc *d, const hl_yaml_node *n, risk_register *reg,
                      risk_source *s, char *err, size_t errlen)
{
    static const char *const keys[] = {"id",
                                       "name",
                                       "kind",
                                       "park",
                                       "jurisdiction",
                                       "unit",
                                       "outfall_chainage_km",
                                       "location",
                                       "location_note",
                                       "substances",
                                       "assumption",
                                       "note",
                                       NULL};
    int rc;
    if ((rc = rd__map(d, n, "sources entry", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "id", 1, s->id, sizeof s->id, err, errlen)) < 0)
        return rc;
    if (hl_id_check(s->id) < 0)
        return hl_yaml_errf(d, hl_yaml_get(n, "id"), err, errlen, "id: '%s' is not an id", s->id);
    if ((rc = hl_yaml_str(d, n, "name", 1, s->name, sizeof s->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "kind", 1, s->kind, sizeof s->kind, err, errlen)) < 0)
        return rc;
    if (strcmp(s->kind, "enterprise") != 0 && strcmp(s->kind, "chemical_park") != 0)
        return hl_yaml_errf(d, hl_yaml_get(n, "kind"), err, errlen,
                            "kind: '%s' is not enterprise or chemical_park", s->kind);
    if ((rc = hl_yaml_str(d, n, "park", 0, s->park, sizeof s->park, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "jurisdiction", 1, s->jurisdiction, sizeof s->jurisdiction, err,
                          errlen)) < 0)
        return rc;
    if (strcmp(s->jurisdiction, "corps") != 0 && strcmp(s->jurisdiction, "local") != 0)
        return hl_yaml_errf(d, hl_yaml_get(n, "jurisdiction"), err, errlen,
                            "jurisdiction: '%s' is not corps or local", s->jurisdiction);
    if ((rc = hl_yaml_str(d, n, "unit", 1, s->unit_id, sizeof s->unit_id, err, errlen)) < 0)
        return rc;
    if (hl_id_check(s->unit_id) < 0)
        return hl_yaml_errf(d, hl_yaml_get(n, "unit"), err, errlen, "unit: '%s' is not an id",
                            s->unit_id);
    if ((rc = hl_yaml_num(d, n, "outfall_chainage_km", 1, 0, RISK_CHAINAGE_MAX, &s->outfall_km, err,
                          errlen)) < 0 ||
        (rc = rd__location(d, n, s, err, errlen)) < 0 ||
        (rc = rd__holdings(d, n, reg, s, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "assumption", 0, s->assumption, sizeof s->assumption, err,
                          errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "note", 0, s->note, sizeof s->note, err, errlen)) < 0)
        return rc;
    return 0;
}

int risk_sources_parse(const hl_yaml_doc *doc, risk_register **out, char *err, size_t errlen)
{
    static const char *const top[] = {"substances", "sources", NULL};
    const hl_yaml_node *subst, *srcs = NULL;
    int rc;
    *out = NULL;
    if ((rc = rd__map(doc, doc->root, "top level", err, errlen)) < 0 ||
        (rc = hl_yaml_only(doc, doc->root, top, err, errlen)) < 0 ||
        (rc = rd__list(doc, doc->root, "substances", 1, RISK_SUBSTANCES_MAX, &subst, err, errlen)) <
            0)
        return rc;
    risk_register *reg = calloc(1, sizeof *reg);
    if (!reg)
        return HL_ENOMEM;
    for (size_t i = 0; i < subst->n && rc == 0; i++) {
        risk_substance *s = &reg->substances[i];
        rc = rd__substance(doc, subst->items[i], s, err, errlen);
        /* Every name, CAS and alias must find exactly this row: a key shared by two rows
         * would make a query answer depend on file order. */
        if (rc == 0 && risk_substance_find(reg, s->name) >= 0)
            rc = hl_yaml_errf(doc, subst->items[i], err, errlen,
                              "name: substance '%s' is already in the table", s->name);
        for (size_t a = 0; rc == 0 && a < s->naliases; a++)
            if (risk_substance_find(reg, s->aliases[a]) >= 0)
                rc = hl_yaml_errf(doc, subst->items[i], err, errlen,
                                  "aliases: '%s' already names another substance", s->aliases[a]);
        if (rc == 0 && s->cas[0] && risk_substance_find(reg, s->cas) >= 0)
            rc = hl_yaml_errf(doc, subst->items[i], err, errlen,
                              "cas: %s already belongs to another substance", s->cas);
        if (rc == 0)
            reg->nsubstances++;
    }
    /* Sources after the table they refer to, so a table error is reported first. */
    if (rc == 0)
        rc = rd__list(doc, doc->root, "sources", 1, RISK_SOURCES_MAX, &srcs, err, errlen);
    for (size_t i = 0; rc == 0 && i < srcs->n; i++) {
        risk_source *s = &reg->sources[i];
        rc = rd__source(doc, srcs->items[i], reg, s, err, errlen);
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (strcmp(reg->sources[j].id, s->id) == 0)
                rc = hl_yaml_errf(doc, hl_yaml_get(srcs->items[i], "id"), err, errlen,
                                  "id: source '%s' is listed twice", s->id);
        if (rc == 0)
            reg->nsources++;
    }
    if (rc < 0) {
        free(reg);
        return rc;
    }
    *out = reg;
    return 0;
}

int risk_sources_load(const char *path, risk_register **out, char *err, size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    *out = NULL;
    int rc = hl_yaml_load(path, &doc, err, errlen);
    if (rc == 0)
        rc = risk_sources_parse(doc, out, err, errlen);
    hl_yaml_free(&doc);
    return rc;
}
