/* stock_data.c — see stock_data.h. */
#include "stock_data.h"

#include <stdlib.h>
#include <string.h>

#include "hazlink/hl_error.h"

const stock_material *stock_catalogue_find(const stock_catalogue *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].id, id) == 0)
            return &c->items[i];
    return NULL;
}

int stock_material_unit_ok(const stock_material *m, const char *unit)
{
    return !unit || unit[0] == '\0' || strcmp(unit, m->unit) == 0 || strcmp(unit, m->unit_cn) == 0;
}

/* A required id field: present, short enough, and of the id alphabet (hl_codec.h). */
static int data__id(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, char *out,
                    size_t outlen, char *err, size_t errlen)
{
    int rc = hl_yaml_str(d, map, key, 1, out, outlen, err, errlen);
    if (rc < 0)
        return rc;
    if (hl_id_check(out) < 0)
        return hl_yaml_errf(d, hl_yaml_get(map, key), err, errlen,
                            "%s: '%s' is not an id (1-%d of A-Z a-z 0-9 . _ : -)", key, out,
                            HL_ID_MAX);
    return 0;
}

static int data__map(const hl_yaml_doc *d, const hl_yaml_node *n, const char *what, char *err,
                     size_t errlen)
{
    if (!n || n->kind != HL_YAML_MAP)
        return hl_yaml_errf(d, n, err, errlen, "%s: expected a mapping", what);
    return 0;
}

/* The top-level list under key, bounded by max entries. */
static int data__top_list(const hl_yaml_doc *d, const char *key, size_t max,
                          const char *const *allowed_top, const hl_yaml_node **out, char *err,
                          size_t errlen)
{
    int rc = data__map(d, d->root, "top level", err, errlen);
    if (rc < 0)
        return rc;
    if ((rc = hl_yaml_only(d, d->root, allowed_top, err, errlen)) < 0)
        return rc;
    if ((rc = hl_yaml_seq(d, d->root, key, 1, out, err, errlen)) < 0)
        return rc;
    if ((*out)->n == 0)
        return hl_yaml_errf(d, *out, err, errlen, "%s: the list is empty", key);
    if ((*out)->n > max) {
        hl_yaml_errf(d, *out, err, errlen, "%s: %zu entries, more than the limit of %zu", key,
                     (*out)->n, max);
        return HL_ETOOBIG;
    }
    return 0;
}

static int material__parse(const hl_yaml_doc *d, const hl_yaml_node *n, stock_material *m,
                           char *err, size_t errlen)
{
    static const char *const keys[] = {"id",        "name",       "unit", "unit_cn", "category",
                                       "catalogue", "unverified", "note", NULL};
    int rc;
    if ((rc = data__map(d, n, "materials entry", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = data__id(d, n, "id", m->id, sizeof m->id, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "name", 1, m->name, sizeof m->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "unit", 1, m->unit, sizeof m->unit, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "unit_cn", 1, m->unit_cn, sizeof m->unit_cn, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "category", 1, m->category, sizeof m->category, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "catalogue", 1, m->catalogue, sizeof m->catalogue, err, errlen)) <
            0 ||
        (rc = hl_yaml_bool(d, n, "unverified", 1, &m->unverified, err, errlen)) < 0)
        return rc;
    return 0;
}

int stock_materials_parse(const hl_yaml_doc *doc, stock_catalogue *out, char *err, size_t errlen)
{
    static const char *const top[] = {"materials", NULL};
    const hl_yaml_node *list;
    int rc = data__top_list(doc, "materials", STOCK_MATERIALS_MAX, top, &list, err, errlen);
    if (rc < 0)
        return rc;
    stock_catalogue *c = calloc(1, sizeof *c);
    if (!c)
        return HL_ENOMEM;
    for (size_t i = 0; i < list->n && rc == 0; i++) {
        stock_material *m = &c->items[i];
        rc = material__parse(doc, list->items[i], m, err, errlen);
        if (rc == 0 && stock_catalogue_find(c, m->id))
            rc = hl_yaml_errf(doc, hl_yaml_get(list->items[i], "id"), err, errlen,
                              "id: material '%s' is listed twice", m->id);
        if (rc == 0)
            c->n++;
    }
    if (rc == 0)
        *out = *c;
    free(c);
    return rc;
}

int stock_materials_load(const char *path, stock_catalogue *out, char *err, size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    int rc = hl_yaml_load(path, &doc, err, errlen);
    if (rc == 0)
        rc = stock_materials_parse(doc, out, err, errlen);
    hl_yaml_free(&doc);
    return rc;
}

static int depot__location(const hl_yaml_doc *d, const hl_yaml_node *depot, stock_depot *dp,
                           char *err, size_t errlen)
{
    static const char *const keys[] = {"lat", "lon", "confidence", "note", NULL};
    const hl_yaml_node *loc = hl_yaml_get(depot, "location");
    int rc;
    if (!loc)
        return hl_yaml_errf(d, depot, err, errlen,
                            "location: missing (a depot without a point cannot be ranked by "
                            "distance)");
    if ((rc = data__map(d, loc, "location", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, loc, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, loc, "lat", 1, -90, 90, &dp->lat, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, loc, "lon", 1, -180, 180, &dp->lon, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, loc, "confidence", 1, dp->confidence, sizeof dp->confidence, err,
                          errlen)) < 0)
        return rc;
    return 0;
}

static int depot__stock(const hl_yaml_doc *d, const hl_yaml_node *depot, const stock_catalogue *cat,
                        stock_depot *dp, char *err, size_t errlen)
{
    static const char *const keys[] = {"material", "on_hand", NULL};
    const hl_yaml_node *list;
    int rc = hl_yaml_seq(d, depot, "stock", 1, &list, err, errlen);
    if (rc < 0)
        return rc;
    if (list->n > STOCK_MATERIALS_MAX) {
        hl_yaml_errf(d, list, err, errlen, "stock: %zu materials, more than the limit of %d",
                     list->n, STOCK_MATERIALS_MAX);
        return HL_ETOOBIG;
    }
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *n = list->items[i];
        stock_level *l = &dp->levels[dp->nlevels];
        if ((rc = data__map(d, n, "stock entry", err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
            (rc = hl_yaml_str(d, n, "material", 1, l->material_id, sizeof l->material_id, err,
                              errlen)) < 0)
            return rc;
        if (!stock_catalogue_find(cat, l->material_id))
            return hl_yaml_errf(d, hl_yaml_get(n, "material"), err, errlen,
                                "material: unknown material id '%s' in depot %s (not in "
                                "materials.yaml)",
                                l->material_id, dp->id);
        if (stock_depot_level(dp, l->material_id))
            return hl_yaml_errf(d, hl_yaml_get(n, "material"), err, errlen,
                                "material: '%s' is listed twice in depot %s", l->material_id,
                                dp->id);
        if ((rc = hl_yaml_num(d, n, "on_hand", 1, 0, STOCK_QTY_MAX, &l->on_hand, err, errlen)) < 0)
            return rc;
        l->reserved = l->issued = 0;
        dp->nlevels++;
    }
    return 0;
}

static int depot__parse(const hl_yaml_doc *d, const hl_yaml_node *n, const stock_catalogue *cat,
                        stock_depot *dp, char *err, size_t errlen)
{
    static const char *const keys[] = {"id",       "name",       "jurisdiction", "owner_unit",
                                       "location", "assumption", "stock",        NULL};
    int rc;
    if ((rc = data__map(d, n, "depots entry", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = data__id(d, n, "id", dp->id, sizeof dp->id, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "name", 1, dp->name, sizeof dp->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "jurisdiction", 1, dp->jurisdiction, sizeof dp->jurisdiction, err,
                          errlen)) < 0)
        return rc;
    if (strcmp(dp->jurisdiction, "corps") != 0 && strcmp(dp->jurisdiction, "local") != 0 &&
        strcmp(dp->jurisdiction, "enterprise") != 0)
        return hl_yaml_errf(d, hl_yaml_get(n, "jurisdiction"), err, errlen,
                            "jurisdiction: '%s' is not corps, local or enterprise",
                            dp->jurisdiction);
    if ((rc = data__id(d, n, "owner_unit", dp->owner_unit, sizeof dp->owner_unit, err, errlen)) <
            0 ||
        (rc = depot__location(d, n, dp, err, errlen)) < 0 ||
        (rc = depot__stock(d, n, cat, dp, err, errlen)) < 0)
        return rc;
    /* depots.yaml states that every figure in it is an assumption; a future file with
     * surveyed inventories would add a per-depot flag. */
    dp->quantity_assumed = 1;
    return 0;
}

int stock_depots_parse(const hl_yaml_doc *doc, const stock_catalogue *cat, stock_depots **out,
                       char *err, size_t errlen)
{
    static const char *const top[] = {"depots", NULL};
    const hl_yaml_node *list;
    *out = NULL;
    int rc = data__top_list(doc, "depots", STOCK_DEPOTS_MAX, top, &list, err, errlen);
    if (rc < 0)
        return rc;
    stock_depots *ds = calloc(1, sizeof *ds);
    if (!ds)
        return HL_ENOMEM;
    for (size_t i = 0; i < list->n && rc == 0; i++) {
        stock_depot *dp = &ds->items[i];
        rc = depot__parse(doc, list->items[i], cat, dp, err, errlen);
        if (rc == 0 && stock_depots_find(ds, dp->id) >= 0)
            rc = hl_yaml_errf(doc, hl_yaml_get(list->items[i], "id"), err, errlen,
                              "id: depot '%s' is listed twice", dp->id);
        if (rc == 0)
            ds->n++;
    }
    if (rc < 0) {
        free(ds);
        return rc;
    }
    *out = ds;
    return 0;
}

int stock_depots_load(const char *path, const stock_catalogue *cat, stock_depots **out, char *err,
                      size_t errlen)
{
    hl_yaml_doc *doc = NULL;
    *out = NULL;
    int rc = hl_yaml_load(path, &doc, err, errlen);
    if (rc == 0)
        rc = stock_depots_parse(doc, cat, out, err, errlen);
    hl_yaml_free(&doc);
    return rc;
}
