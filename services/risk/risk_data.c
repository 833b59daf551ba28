/* risk_data.c — see risk_data.h. */
#include "risk_data.h"

#include <stdio.h>
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

/* A list of GB 18218 hazard class symbols (checked against 表2 when grading). */
static int rd__classes(const hl_yaml_doc *d, const hl_yaml_node *map, size_t *n,
                       char (*out)[RISK_CLASS_MAX + 1], char *err, size_t errlen)
{
    const hl_yaml_node *list;
    int rc = rd__list(d, map, "classes", 0, RISK_CLASSES_MAX, &list, err, errlen);
    if (rc < 0 || !list)
        return rc;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *a = list->items[i];
        if (a->kind != HL_YAML_SCALAR || a->value[0] == '\0' || strlen(a->value) > RISK_CLASS_MAX)
            return hl_yaml_errf(d, a, err, errlen,
                                "classes: expected a GB 18218-2018 表2 class such as W5.3");
        memcpy(out[(*n)++], a->value, strlen(a->value) + 1);
    }
    return 0;
}

/* gb18218: {row, critical_quantity_t, unverified, classes}: row (表1 序号) with its quantity
 * and flag as transcribed, and/or classes (表2). Absent: not graded under GB 18218 until
 * given (risk_grade_bind refuses a held substance without it). */
static int rd__gb18218(const hl_yaml_doc *d, const hl_yaml_node *subst, risk_substance *s,
                       char *err, size_t errlen)
{
    static const char *const keys[] = {"row", "critical_quantity_t", "unverified", "classes", NULL};
    const hl_yaml_node *n = hl_yaml_get(subst, "gb18218");
    int rc;
    if (!n)
        return 0;
    if ((rc = rd__map(d, n, "gb18218", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0)
        return rc;
    s->gb18218_given = 1;
    if (hl_yaml_get(n, "row")) {
        int64_t r = 0;
        if ((rc = hl_yaml_int(d, n, "row", 1, 1, 1000, &r, err, errlen)) < 0 ||
            (rc = hl_yaml_num(d, n, "critical_quantity_t", 1, 0, RISK_QTY_MAX, &s->gb18218_t, err,
                              errlen)) < 0 ||
            (rc = hl_yaml_bool(d, n, "unverified", 1, &s->gb18218_unverified, err, errlen)) < 0)
            return rc;
        s->gb18218_row = (int)r;
        s->gb18218_listed = 1;
    } else if (hl_yaml_get(n, "critical_quantity_t") || hl_yaml_get(n, "unverified")) {
        return hl_yaml_errf(d, n, err, errlen,
                            "gb18218: critical_quantity_t and unverified go with a 表1 row");
    } else if (!hl_yaml_get(n, "classes")) {
        return hl_yaml_errf(d, n, err, errlen,
                            "gb18218: give row (表1) or classes (表2, GB 18218-2018 §4.1.2)");
    }
    return rd__classes(d, n, &s->gb18218_nclasses, s->gb18218_classes, err, errlen);
}

/* hj941: {name, critical_quantity_t, unverified}. Absent means "not listed in appendix A as
 * transcribed". name: the appendix A row when it differs from the substance's name. */
static int rd__hj941(const hl_yaml_doc *d, const hl_yaml_node *subst, risk_substance *s, char *err,
                     size_t errlen)
{
    static const char *const keys[] = {"name", "critical_quantity_t", "unverified", NULL};
    const hl_yaml_node *n = hl_yaml_get(subst, "hj941");
    int rc;
    if (!n)
        return 0;
    if ((rc = rd__map(d, n, "hj941", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, n, "critical_quantity_t", 1, 0, RISK_QTY_MAX, &s->hj941_t, err,
                          errlen)) < 0 ||
        (rc = hl_yaml_bool(d, n, "unverified", 1, &s->hj941_unverified, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "name", 0, s->hj941_name, sizeof s->hj941_name, err, errlen)) < 0)
        return rc;
    s->hj941_listed = 1;
    return 0;
}

static int rd__substance(const hl_yaml_doc *d, const hl_yaml_node *n, risk_substance *s, char *err,
                         size_t errlen)
{
    static const char *const keys[] = {"name", "cas", "aliases", "gb18218", "hj941", "note", NULL};
    int rc;
    s->line = n->line;
    if ((rc = rd__map(d, n, "substances entry", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, n, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "name", 1, s->name, sizeof s->name, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "cas", 0, s->cas, sizeof s->cas, err, errlen)) < 0 ||
        (rc = rd__aliases(d, n, s, err, errlen)) < 0 ||
        (rc = rd__gb18218(d, n, s, err, errlen)) < 0 ||
        (rc = rd__hj941(d, n, s, err, errlen)) < 0 ||
        (rc = hl_yaml_str(d, n, "note", 0, s->note, sizeof s->note, err, errlen)) < 0)
        return rc;
    return 0;
}

/* The quantity of a holding in tonnes: max_quantity_t, or max_quantity with unit kg or t.
 * Both standards count tonnes; any other unit is refused (HL_EUNIT), naming the field. */
static int rd__quantity(const hl_yaml_doc *d, const hl_yaml_node *h, double *t, char *err,
                        size_t errlen)
{
    const hl_yaml_node *q = hl_yaml_get(h, "max_quantity"), *qt = hl_yaml_get(h, "max_quantity_t");
    char unit[16] = "";
    int rc;
    if (!q == !qt)
        return hl_yaml_errf(d, h, err, errlen,
                            "max_quantity: give max_quantity_t (tonnes) or max_quantity with "
                            "unit, one of them");
    if (qt)
        return hl_yaml_num(d, h, "max_quantity_t", 1, 0, RISK_QTY_MAX, t, err, errlen);
    if ((rc = hl_yaml_str(d, h, "unit", 1, unit, sizeof unit, err, errlen)) < 0) {
        if (rc == HL_ETOOBIG)
            rc = HL_EUNIT;
        return rc;
    }
    double scale = strcmp(unit, "t") == 0 ? 1 : strcmp(unit, "kg") == 0 ? 1e-3 : 0;
    if (scale == 0) {
        hl_yaml_errf(d, hl_yaml_get(h, "unit"), err, errlen,
                     "unit: '%s' is not kg or t (HJ 941 and GB 18218 count mass)", unit);
        return HL_EUNIT;
    }
    if ((rc = hl_yaml_num(d, h, "max_quantity", 1, 0, RISK_QTY_MAX / scale, t, err, errlen)) < 0)
        return rc;
    *t *= scale;
    return 0;
}

/* The substance named at key of map, by the register's table. */
static int rd__known(const hl_yaml_doc *d, const hl_yaml_node *map, const char *key,
                     const risk_register *reg, const risk_source *src, size_t *out, char *err,
                     size_t errlen)
{
    char name[HL_NAME_MAX + 1];
    int rc = hl_yaml_str(d, map, key, 1, name, sizeof name, err, errlen);
    if (rc < 0)
        return rc;
    int k = risk_substance_find(reg, name);
    if (k < 0)
        return hl_yaml_errf(d, hl_yaml_get(map, key), err, errlen,
                            "%s: substance '%s' of source %s is not in the substances table", key,
                            name, src->id);
    *out = (size_t)k;
    return 0;
}

/* components: [{name, fraction}], gb18218: {as: component} | {classes: [...]}. */
static int rd__mixture(const hl_yaml_doc *d, const hl_yaml_node *h, const risk_register *reg,
                       const risk_source *src, risk_holding *hd, char *err, size_t errlen)
{
    static const char *const ckeys[] = {"name", "fraction", NULL};
    static const char *const gkeys[] = {"as", "classes", NULL};
    const hl_yaml_node *list, *g = hl_yaml_get(h, "gb18218");
    int rc = hl_yaml_str(d, h, "mixture", 1, hd->mixture, sizeof hd->mixture, err, errlen);
    if (rc < 0 || (rc = rd__list(d, h, "components", 1, RISK_MIX_MAX, &list, err, errlen)) < 0)
        return rc;
    double sum = 0;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *c = list->items[i];
        risk_component *comp = &hd->components[hd->ncomponents];
        if ((rc = rd__map(d, c, "components entry", err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, c, ckeys, err, errlen)) < 0 ||
            (rc = rd__known(d, c, "name", reg, src, &comp->substance, err, errlen)) < 0 ||
            (rc = hl_yaml_num(d, c, "fraction", 1, 0, 1, &comp->fraction, err, errlen)) < 0)
            return rc;
        if (comp->fraction <= 0) {
            hl_yaml_errf(d, hl_yaml_get(c, "fraction"), err, errlen,
                         "fraction: a component must be present (fraction in (0, 1])");
            return HL_EINVAL;
        }
        for (size_t j = 0; j < hd->ncomponents; j++)
            if (hd->components[j].substance == comp->substance)
                return hl_yaml_errf(d, c, err, errlen, "name: '%s' is listed twice in mixture '%s'",
                                    reg->substances[comp->substance].name, hd->mixture);
        sum += comp->fraction;
        hd->ncomponents++;
    }
    if (sum > 1 + 1e-9) {
        hl_yaml_errf(d, list, err, errlen, "components: mass fractions add up to %g, more than 1",
                     sum);
        return HL_EINVAL;
    }
    /* GB 18218 needs to know how the mixture counts (see upstream.h). */
    if (!g)
        return hl_yaml_errf(d, h, err, errlen,
                            "gb18218: missing (mixture '%s': {as: <component>} when it has that "
                            "component's hazard class, else {classes: [...]})",
                            hd->mixture);
    if ((rc = rd__map(d, g, "gb18218", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, g, gkeys, err, errlen)) < 0)
        return rc;
    if (!hl_yaml_get(g, "as") == !hl_yaml_get(g, "classes"))
        return hl_yaml_errf(d, g, err, errlen, "gb18218: give as or classes, one of them");
    if (hl_yaml_get(g, "classes"))
        return rd__classes(d, g, &hd->gb18218_nclasses, hd->gb18218_classes, err, errlen);
    size_t k;
    if ((rc = rd__known(d, g, "as", reg, src, &k, err, errlen)) < 0)
        return rc;
    for (size_t j = 0; j < hd->ncomponents; j++)
        if (hd->components[j].substance == k)
            hd->gb18218_as = (int)j;
    if (hd->gb18218_as < 0)
        return hl_yaml_errf(d, hl_yaml_get(g, "as"), err, errlen,
                            "as: '%s' is not a component of mixture '%s'", reg->substances[k].name,
                            hd->mixture);
    return 0;
}

static int rd__holdings(const hl_yaml_doc *d, const hl_yaml_node *n, risk_register *reg,
                        risk_source *src, char *err, size_t errlen)
{
    static const char *const keys[] = {"name", "mixture",    "max_quantity_t", "max_quantity",
                                       "unit", "components", "gb18218",        NULL};
    const hl_yaml_node *list;
    int rc = rd__list(d, n, "substances", 1, RISK_SOURCE_SUBST_MAX, &list, err, errlen);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < list->n; i++) {
        const hl_yaml_node *h = list->items[i];
        risk_holding *hd = &src->holdings[src->nholdings];
        hd->gb18218_as = -1;
        hd->line = h->line;
        if ((rc = rd__map(d, h, "substances entry", err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, h, keys, err, errlen)) < 0)
            return rc;
        hd->is_mixture = hl_yaml_get(h, "mixture") != NULL;
        if (hd->is_mixture == (hl_yaml_get(h, "name") != NULL))
            return hl_yaml_errf(d, h, err, errlen,
                                "name: give name (one substance) or mixture, one of them");
        if (hd->is_mixture) {
            if ((rc = rd__mixture(d, h, reg, src, hd, err, errlen)) < 0)
                return rc;
            for (size_t j = 0; j < src->nholdings; j++)
                if (src->holdings[j].is_mixture &&
                    strcmp(src->holdings[j].mixture, hd->mixture) == 0)
                    return hl_yaml_errf(d, hl_yaml_get(h, "mixture"), err, errlen,
                                        "mixture: '%s' is listed twice in source %s", hd->mixture,
                                        src->id);
        } else {
            const char *only_mix = hl_yaml_get(h, "components") ? "components"
                                   : hl_yaml_get(h, "gb18218")  ? "gb18218"
                                                                : NULL;
            if (only_mix)
                return hl_yaml_errf(d, hl_yaml_get(h, only_mix), err, errlen,
                                    "%s: only a mixture has %s", only_mix, only_mix);
            if ((rc = rd__known(d, h, "name", reg, src, &hd->substance, err, errlen)) < 0)
                return rc;
            for (size_t j = 0; j < src->nholdings; j++)
                if (!src->holdings[j].is_mixture && src->holdings[j].substance == hd->substance)
                    return hl_yaml_errf(d, hl_yaml_get(h, "name"), err, errlen,
                                        "name: substance '%s' is listed twice in source %s",
                                        reg->substances[hd->substance].name, src->id);
        }
        if ((rc = rd__quantity(d, h, &hd->max_quantity_t, err, errlen)) < 0)
            return rc;
        /* risk_sources.yaml states that every maximum quantity in it is an assumption. */
        hd->max_quantity_assumed = 1;
        src->nholdings++;
    }
    return 0;
}

/* hj941: {assumed, process_score, air: {control_score, e}, water: {control_score, e}}. */
static int rd__hj941_in(const hl_yaml_doc *d, const hl_yaml_node *n, risk_source *s, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {"assumed", "process_score", "air", "water", NULL};
    static const char *const mkeys[] = {"control_score", "e", NULL};
    const hl_yaml_node *h = hl_yaml_get(n, "hj941");
    int rc;
    if (!h)
        return 0;
    s->hj941.line = h->line;
    if ((rc = rd__map(d, h, "hj941", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, h, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_bool(d, h, "assumed", 1, &s->hj941.assumed, err, errlen)) < 0 ||
        (rc = hl_yaml_num(d, h, "process_score", 1, 0, HJ941_PROCESS_MAX, &s->hj941.process_score,
                          err, errlen)) < 0)
        return rc;
    for (int k = 0; k < HJ941_MEDIA; k++) {
        const char *key = k == HJ941_AIR ? "air" : "water";
        const hl_yaml_node *m = hl_yaml_get(h, key);
        char e[8] = "";
        if (!m)
            return hl_yaml_errf(d, h, err, errlen, "%s: missing (HJ 941 grades air and water)",
                                key);
        if ((rc = rd__map(d, m, key, err, errlen)) < 0 ||
            (rc = hl_yaml_only(d, m, mkeys, err, errlen)) < 0 ||
            (rc = hl_yaml_num(d, m, "control_score", 1, 0, HJ941_CONTROL_MAX,
                              &s->hj941.control_score[k], err, errlen)) < 0 ||
            (rc = hl_yaml_str(d, m, "e", 1, e, sizeof e, err, errlen)) < 0)
            return rc;
        if (e[0] != 'E' || e[1] < '1' || e[1] > '3' || e[2])
            return hl_yaml_errf(d, hl_yaml_get(m, "e"), err, errlen, "e: '%s' is not E1, E2 or E3",
                                e);
        s->hj941.e[k] = e[1] - '0';
    }
    s->hj941.given = 1;
    return 0;
}

/* gb18218: {assumed, people_500m}. */
static int rd__gb18218_in(const hl_yaml_doc *d, const hl_yaml_node *n, risk_source *s, char *err,
                          size_t errlen)
{
    static const char *const keys[] = {"assumed", "people_500m", NULL};
    const hl_yaml_node *g = hl_yaml_get(n, "gb18218");
    int64_t people = 0;
    int rc;
    if (!g)
        return 0;
    s->gb18218.line = g->line;
    if ((rc = rd__map(d, g, "gb18218", err, errlen)) < 0 ||
        (rc = hl_yaml_only(d, g, keys, err, errlen)) < 0 ||
        (rc = hl_yaml_bool(d, g, "assumed", 1, &s->gb18218.assumed, err, errlen)) < 0 ||
        (rc = hl_yaml_int(d, g, "people_500m", 1, 0, 100000000, &people, err, errlen)) < 0)
        return rc;
    s->gb18218.people = (double)people;
    s->gb18218.given = 1;
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
                                       "hj941",
                                       "gb18218",
                                       NULL};
    int rc;
    s->line = n->line;
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
        (rc = rd__hj941_in(d, n, s, err, errlen)) < 0 ||
        (rc = rd__gb18218_in(d, n, s, err, errlen)) < 0 ||
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
    snprintf(reg->file, sizeof reg->file, "%s", doc->file);
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
