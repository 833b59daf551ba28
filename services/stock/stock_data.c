/* stock_data.c — see stock_data.h. */
#include "stock_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cover.h"
#include "hazlink/hl_clock.h"
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

/* A time field "YYYY-MM-DDTHH:MM[:SS](Z|±HH:MM)" (an offset is required). */
static int data__time(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key, int required,
                      int64_t *out, char *err, size_t errlen)
{
    char buf[64] = "";
    int rc = hl_yaml_str(d, map, key, required, buf, sizeof buf, err, errlen);
    if (rc < 0 || buf[0] == '\0')
        return rc;
    if (hl_time_parse(buf, out) < 0)
        return hl_yaml_errf(d, hl_yaml_get(map, key), err, errlen,
                            "%s: '%s' is not an ISO 8601 time with its offset "
                            "(2026-01-01T00:00:00+08:00)",
                            key, buf);
    return 0;
}

/* The lots of one stock row; without "lots" the whole on_hand is one lot "opening" with no
 * expiry. Lots must add up to on_hand. */
static int depot__lots(const hl_yaml_doc *d, const hl_yaml_node *row, stock_depots *ds, size_t di,
                       size_t li, char *err, size_t errlen)
{
    static const char *const keys[] = {"lot", "quantity", "expiry", NULL};
    const stock_level *l = &ds->items[di].levels[li];
    const hl_yaml_node *list = NULL;
    int rc = hl_yaml_seq(d, row, "lots", 0, &list, err, errlen);
    if (rc < 0)
        return rc;
    if (!list) {
        if (l->on_hand <= STOCK_EPS)
            return 0;
        if (ds->nlots >= STOCK_SEED_LOTS_MAX) {
            hl_yaml_errf(d, row, err, errlen, "lots: more than %d lots in the file",
                         STOCK_SEED_LOTS_MAX);
            return HL_ETOOBIG;
        }
        stock_seed_lot *sl = &ds->lots[ds->nlots++];
        *sl = (stock_seed_lot){.depot = di, .level = li, .quantity = l->on_hand};
        snprintf(sl->lot_id, sizeof sl->lot_id, "opening");
        return 0;
    }
    if (list->n > STOCK_ROW_LOTS_MAX) {
        hl_yaml_errf(d, list, err, errlen, "lots: %zu lots, more than the limit of %d", list->n,
                     STOCK_ROW_LOTS_MAX);
        return HL_ETOOBIG;
    }
    size_t first = ds->nlots;
    double sum = 0;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *n = list->items[i];
        if (ds->nlots >= STOCK_SEED_LOTS_MAX) {
            hl_yaml_errf(d, n, err, errlen, "lots: more than %d lots in the file",
                         STOCK_SEED_LOTS_MAX);
            return HL_ETOOBIG;
        }
        stock_seed_lot *sl = &ds->lots[ds->nlots];
        *sl = (stock_seed_lot){.depot = di, .level = li};
        if ((rc = data__map(d, n, "lots entry", err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
            (rc = data__id(d, n, "lot", sl->lot_id, sizeof sl->lot_id, err, errlen)) < 0 ||
            (rc = hl_yaml_num(d, n, "quantity", 1, STOCK_EPS, STOCK_QTY_MAX, &sl->quantity, err,
                              errlen)) < 0 ||
            (rc = data__time(d, n, "expiry", 0, &sl->expiry_ms, err, errlen)) < 0)
            return rc;
        for (size_t j = first; j < ds->nlots; j++)
            if (strcmp(ds->lots[j].lot_id, sl->lot_id) == 0)
                return hl_yaml_errf(d, hl_yaml_get(n, "lot"), err, errlen,
                                    "lot: '%s' is listed twice for %s in depot %s", sl->lot_id,
                                    l->material_id, ds->items[di].id);
        sum += sl->quantity;
        ds->nlots++;
    }
    if (fabs(sum - l->on_hand) > STOCK_EPS * (1 + l->on_hand))
        return hl_yaml_errf(d, list, err, errlen,
                            "lots: the lots of %s add up to %g, but on_hand says %g",
                            l->material_id, sum, l->on_hand);
    return 0;
}

static int depot__stock(const hl_yaml_doc *d, const hl_yaml_node *depot, const stock_catalogue *cat,
                        stock_depots *ds, size_t di, char *err, size_t errlen)
{
    static const char *const keys[] = {"material", "on_hand", "minimum", "lots", NULL};
    stock_depot *dp = &ds->items[di];
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
        l->minimum = 0;
        if ((rc = hl_yaml_num(d, n, "on_hand", 1, 0, STOCK_QTY_MAX, &l->on_hand, err, errlen)) <
                0 ||
            (rc = hl_yaml_num(d, n, "minimum", 0, 0, STOCK_QTY_MAX, &l->minimum, err, errlen)) < 0)
            return rc;
        l->reserved = l->issued = 0;
        l->available = l->on_hand;
        if ((rc = depot__lots(d, n, ds, di, dp->nlevels, err, errlen)) < 0)
            return rc;
        dp->nlevels++;
    }
    return 0;
}

static int depot__parse(const hl_yaml_doc *d, const hl_yaml_node *n, const stock_catalogue *cat,
                        stock_depots *ds, size_t di, char *err, size_t errlen)
{
    static const char *const keys[] = {"id",         "name",         "jurisdiction",
                                       "owner_unit", "location",     "assumption",
                                       "stock",      "dispatch_min", NULL};
    stock_depot *dp = &ds->items[di];
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
        (rc = hl_yaml_num(d, n, "dispatch_min", 1, 0, STOCK_DISPATCH_MAX_MIN, &dp->dispatch_min,
                          err, errlen)) < 0 ||
        (rc = depot__stock(d, n, cat, ds, di, err, errlen)) < 0)
        return rc;
    /* depots.yaml states that every figure in it is an assumption; a future file with
     * surveyed inventories would add a per-depot flag. */
    dp->quantity_assumed = 1;
    return 0;
}

/* road: {detour_factor, speed_kmh, note}: the assumptions behind stock.cover (cover.h). */
static int depots__road(const hl_yaml_doc *d, stock_depots *ds, char *err, size_t errlen)
{
    static const char *const keys[] = {"detour_factor", "speed_kmh", "note", NULL};
    const hl_yaml_node *road = hl_yaml_get(d->root, "road");
    int rc;
    if (!road)
        return hl_yaml_errf(d, d->root, err, errlen,
                            "road: missing (detour_factor and speed_kmh, the stated assumptions "
                            "behind arrival times)");
    if ((rc = data__map(d, road, "road", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, road, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, road, "detour_factor", 1, STOCK_DETOUR_MIN, STOCK_DETOUR_MAX,
                          &ds->detour_factor, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, road, "speed_kmh", 1, 1, STOCK_SPEED_MAX_KMH, &ds->speed_kmh, err,
                          errlen)) < 0 ||
        (rc = hl_yaml_str(d, road, "note", 1, ds->road_note, sizeof ds->road_note, err, errlen)) <
            0)
        return rc;
    return 0;
}

int stock_depots_parse(const hl_yaml_doc *doc, const stock_catalogue *cat, stock_depots **out,
                       char *err, size_t errlen)
{
    static const char *const top[] = {"depots", "as_of", "road", NULL};
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
        rc = depot__parse(doc, list->items[i], cat, ds, i, err, errlen);
        if (rc == 0 && stock_depots_find(ds, dp->id) >= 0)
            rc = hl_yaml_errf(doc, hl_yaml_get(list->items[i], "id"), err, errlen,
                              "id: depot '%s' is listed twice", dp->id);
        if (rc == 0)
            ds->n++;
    }
    if (rc == 0)
        rc = data__time(doc, doc->root, "as_of", 1, &ds->as_of_ms, err, errlen);
    if (rc == 0)
        rc = depots__road(doc, ds, err, errlen);
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
