/* network.c — loader and lookups for the river network (network.h). */
#include "hazlink/network.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hazlink/dispersion.h"
#include "hazlink/hl_error.h"
#include "hazlink/hl_yaml.h"
#include "domain_util.h"

/* ---- seasons ---- */

static const char *const season_names[HL_SEASON_COUNT] = {"spring", "summer", "autumn",
                                                          "winter"};

int hl_season_parse(const char *s, hl_season *out)
{
    if (!s)
        return HL_EINVAL;
    for (int i = 0; i < HL_SEASON_COUNT; i++) {
        if (strcmp(s, season_names[i]) == 0) {
            *out = (hl_season)i;
            return 0;
        }
    }
    return HL_EINVAL;
}

const char *hl_season_name(hl_season s)
{
    if ((int)s < 0 || s >= HL_SEASON_COUNT)
        return "?";
    return season_names[s];
}

int hl_season_of_month(int month, hl_season *out)
{
    if (month < 1 || month > 12)
        return HL_EINVAL;
    if (month >= 3 && month <= 5)
        *out = HL_SEASON_SPRING;
    else if (month >= 6 && month <= 8)
        *out = HL_SEASON_SUMMER;
    else if (month >= 9 && month <= 11)
        *out = HL_SEASON_AUTUMN;
    else
        *out = HL_SEASON_WINTER;
    return 0;
}

hl_season hl_season_of_ms(int64_t unix_ms)
{
    /* Civil month from days since 1970-01-01 (H. Hinnant's days_from_civil inverse), in
     * Beijing time because that is the calendar the seasons of the plan are written in. */
    int64_t secs = unix_ms / 1000 + 8 * 3600;
    int64_t days = secs / 86400;
    if (secs % 86400 < 0)
        days--;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int month = (int)(mp < 10 ? mp + 3 : mp - 9);
    hl_season s = HL_SEASON_WINTER;
    (void)hl_season_of_month(month, &s);
    return s;
}

/* ---- loader helpers ---- */

typedef hl_dom_yctx loadctx;

static int get_jurisdiction(loadctx *c, const hl_yaml_node *m, char *out, size_t n)
{
    int rc = hl_dom_ystr(c, m, "jurisdiction", 1, out, n);
    if (rc < 0)
        return rc;
    if (strcmp(out, "corps") != 0 && strcmp(out, "local") != 0)
        return hl_yaml_errf(c->d, hl_yaml_get(m, "jurisdiction"), c->err, c->errlen,
                            "jurisdiction: '%s' is neither corps nor local", out);
    return 0;
}

static int get_bool(loadctx *c, const hl_yaml_node *m, const char *key, int req, int *out)
{
    return hl_yaml_bool(c->d, m, key, req, out, c->err, c->errlen);
}

static int get_num(loadctx *c, const hl_yaml_node *m, const char *key, int req, double lo,
                   double hi, double *out)
{
    return hl_yaml_num(c->d, m, key, req, lo, hi, out, c->err, c->errlen);
}

static int get_map(loadctx *c, const hl_yaml_node *m, const char *key, int req,
                   const hl_yaml_node **out)
{
    const hl_yaml_node *v = hl_yaml_get(m, key);
    *out = NULL;
    if (!v) {
        if (req)
            return hl_yaml_errf(c->d, m, c->err, c->errlen, "%s: missing", key);
        return 0;
    }
    if (v->kind != HL_YAML_MAP)
        return hl_yaml_errf(c->d, v, c->err, c->errlen, "%s: expected a mapping", key);
    *out = v;
    return 0;
}

static int get_location(loadctx *c, const hl_yaml_node *m, hl_location *loc)
{
    static const char *const keys[] = {"lat", "lon", "confidence", "place", "note", NULL};
    const hl_yaml_node *l;
    int rc;
    memset(loc, 0, sizeof *loc);
    if ((rc = get_map(c, m, "location", 1, &l)) < 0)
        return rc;
    if ((rc = hl_yaml_only(c->d, l, keys, c->err, c->errlen)) < 0)
        return rc;
    int has_lat = hl_yaml_get(l, "lat") != NULL, has_lon = hl_yaml_get(l, "lon") != NULL;
    if (has_lat != has_lon)
        return hl_yaml_errf(c->d, l, c->err, c->errlen,
                            "location: lat and lon must be given together");
    if (has_lat) {
        if ((rc = get_num(c, l, "lat", 1, -90, 90, &loc->lat)) < 0 ||
            (rc = get_num(c, l, "lon", 1, -180, 180, &loc->lon)) < 0)
            return rc;
        loc->has_coords = 1;
    }
    if ((rc = hl_dom_ystr(c, l, "confidence", 1, loc->confidence, sizeof loc->confidence)) < 0 ||
        (rc = hl_dom_yid(c, l, "place", 0, loc->place, sizeof loc->place)) < 0 ||
        (rc = hl_dom_ystr(c, l, "note", 0, loc->note, sizeof loc->note)) < 0)
        return rc;
    /* Coordinates with confidence "none" can only be our own estimate: the reference gives
     * a confidence with every coordinate it has. The note must say how it was placed. */
    if (loc->has_coords && strncmp(loc->confidence, "none", 4) == 0) {
        loc->estimated = 1;
        if (!loc->note[0])
            return hl_yaml_errf(c->d, l, c->err, c->errlen,
                                "location.note: an estimated position must say how it was "
                                "placed");
    }
    return 0;
}

static int get_chainage(loadctx *c, const hl_yaml_node *m, int req, double *out)
{
    return get_num(c, m, "chainage_km", req, 0, HL_NET_MAX_KM, out);
}

/* Roman or Arabic GB 3838 class: I..V or 1..5. */
static int get_water_class(loadctx *c, const hl_yaml_node *m, int *out)
{
    static const char *const roman[] = {"I", "II", "III", "IV", "V"};
    char buf[8];
    int rc = hl_dom_ystr(c, m, "water_class", 1, buf, sizeof buf);
    if (rc < 0)
        return rc;
    for (int i = 0; i < 5; i++) {
        char arabic[2] = {(char)('1' + i), 0};
        if (strcmp(buf, roman[i]) == 0 || strcmp(buf, arabic) == 0) {
            *out = i + 1;
            return 0;
        }
    }
    return hl_yaml_errf(c->d, hl_yaml_get(m, "water_class"), c->err, c->errlen,
                        "water_class: '%s' is not a GB 3838-2002 class (I..V)", buf);
}

/* The top-level list under key of a file, with its count bounded. */
static int get_list(loadctx *c, const char *key, size_t max, const hl_yaml_node **out)
{
    const hl_yaml_node *root = c->d->root;
    int rc;
    if (!root || root->kind != HL_YAML_MAP)
        return hl_yaml_errf(c->d, root, c->err, c->errlen, "expected a mapping with '%s'",
                            key);
    if ((rc = hl_yaml_seq(c->d, root, key, 1, out, c->err, c->errlen)) < 0)
        return rc;
    if ((*out)->n > max) {
        hl_yaml_errf(c->d, *out, c->err, c->errlen, "%s: %zu entries, at most %zu", key,
                     (*out)->n, max);
        return HL_ETOOBIG;
    }
    return 0;
}

static int item_map(loadctx *c, const hl_yaml_node *it, const char *key)
{
    if (it->kind != HL_YAML_MAP)
        return hl_yaml_errf(c->d, it, c->err, c->errlen, "%s: each entry must be a mapping",
                            key);
    return 0;
}

/* ---- per-file loaders ---- */

static int load_place(loadctx *c, const hl_yaml_node *m, hl_place *p)
{
    static const char *const keys[] = {"id", "name", "name_en", "kind", "chainage_km",
                                       "location", "source", NULL};
    int rc;
    if ((rc = item_map(c, m, "places")) < 0 || (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "id", 1, p->id, sizeof p->id)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name", 1, p->name, sizeof p->name)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name_en", 0, p->name_en, sizeof p->name_en)) < 0 ||
        (rc = hl_dom_ystr(c, m, "kind", 1, p->kind, sizeof p->kind)) < 0 ||
        (rc = get_location(c, m, &p->location)) < 0 ||
        (rc = hl_dom_ystr(c, m, "source", 1, p->source, sizeof p->source)) < 0)
        return rc;
    p->has_chainage = hl_yaml_get(m, "chainage_km") != NULL;
    if (p->has_chainage && (rc = get_chainage(c, m, 1, &p->chainage_km)) < 0)
        return rc;
    p->line = m->line;
    return 0;
}

/* A dispersion_formula value of mapping m ("" = not given) must name a formula. */
static int check_formula(loadctx *c, const hl_yaml_node *m, const char *id)
{
    hl_disp_formula f;
    if (!id[0] || hl_disp_parse(id, &f) == 0)
        return 0;
    return hl_yaml_errf(c->d, hl_yaml_get(m, "dispersion_formula"), c->err, c->errlen,
                        "dispersion_formula: '%s' is not one of elder-1959, fischer-1975, "
                        "seo-cheong-1998, deng-2001, kashefipour-falconer-2002",
                        id);
}

static int load_reach(loadctx *c, const hl_yaml_node *m, hl_reach *r)
{
    static const char *const keys[] = {"id", "name", "kind", "from_km", "to_km",
                                       "velocity_m_s", "width_m", "depth_m", "area_m2",
                                       "slope", "dispersion_m2_s", "dispersion_formula",
                                       "decay_per_h", "velocity_unverified", "note", NULL};
    const hl_yaml_node *v;
    int rc;
    if ((rc = item_map(c, m, "reaches")) < 0 || (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "id", 1, r->id, sizeof r->id)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name", 1, r->name, sizeof r->name)) < 0 ||
        (rc = hl_dom_ystr(c, m, "kind", 1, r->kind, sizeof r->kind)) < 0 ||
        (rc = get_num(c, m, "from_km", 1, 0, HL_NET_MAX_KM, &r->from_km)) < 0 ||
        (rc = get_num(c, m, "to_km", 1, 0, HL_NET_MAX_KM, &r->to_km)) < 0 ||
        (rc = get_num(c, m, "width_m", 0, 0, 100000, &r->width_m)) < 0 ||
        (rc = get_num(c, m, "depth_m", 0, 0, 1000, &r->depth_m)) < 0 ||
        (rc = get_num(c, m, "area_m2", 0, 0, 1e8, &r->area_m2)) < 0 ||
        (rc = get_num(c, m, "slope", 0, 0, 1, &r->slope)) < 0 ||
        (rc = get_num(c, m, "dispersion_m2_s", 0, 0, 1e6, &r->dispersion_m2_s)) < 0 ||
        (rc = hl_dom_ystr(c, m, "dispersion_formula", 0, r->dispersion_formula,
                          sizeof r->dispersion_formula)) < 0 ||
        (rc = get_num(c, m, "decay_per_h", 0, 0, 100, &r->decay_per_h)) < 0 ||
        (rc = get_bool(c, m, "velocity_unverified", 1, &r->velocity_unverified)) < 0 ||
        (rc = hl_dom_ystr(c, m, "note", 0, r->note, sizeof r->note)) < 0)
        return rc;
    if (strcmp(r->kind, "channel") != 0 && strcmp(r->kind, "reservoir") != 0)
        return hl_yaml_errf(c->d, hl_yaml_get(m, "kind"), c->err, c->errlen,
                            "kind: '%s' is neither channel nor reservoir", r->kind);
    if (!(r->to_km > r->from_km))
        return hl_yaml_errf(c->d, hl_yaml_get(m, "to_km"), c->err, c->errlen,
                            "to_km: %g is not downstream of from_km %g", r->to_km, r->from_km);
    if ((rc = hl_yaml_seq(c->d, m, "velocity_m_s", 1, &v, c->err, c->errlen)) < 0)
        return rc;
    if (v->n != HL_SEASON_COUNT)
        return hl_yaml_errf(c->d, v, c->err, c->errlen,
                            "velocity_m_s: %zu values, expected 4 [spring, summer, autumn, "
                            "winter]", v->n);
    for (size_t i = 0; i < v->n; i++) {
        double x;
        if (v->items[i]->kind != HL_YAML_SCALAR || hl_dom_parse_double(v->items[i]->value, &x) < 0)
            return hl_yaml_errf(c->d, v->items[i], c->err, c->errlen,
                                "velocity_m_s[%zu] (%s): not a number", i, season_names[i]);
        if (!(x > 0 && x <= HL_NET_MAX_VELOCITY)) {
            hl_yaml_errf(c->d, v->items[i], c->err, c->errlen,
                         "velocity_m_s[%zu] (%s): %g m/s outside (0, %g]", i, season_names[i],
                         x, HL_NET_MAX_VELOCITY);
            return HL_EINVAL;
        }
        r->velocity_m_s[i] = x;
    }
    if (r->area_m2 == 0 && r->width_m > 0 && r->depth_m > 0)
        r->area_m2 = r->width_m * r->depth_m;
    r->dispersion_given = hl_yaml_get(m, "dispersion_m2_s") != NULL;
    if (r->dispersion_given && r->dispersion_formula[0])
        return hl_yaml_errf(c->d, hl_yaml_get(m, "dispersion_formula"), c->err, c->errlen,
                            "dispersion_formula: reach %s gives dispersion_m2_s too; give "
                            "one or the other",
                            r->id);
    if ((rc = check_formula(c, m, r->dispersion_formula)) < 0)
        return rc;
    r->shear_velocity_m_s =
        hl_disp_shear_velocity(hl_disp_hydraulic_radius(r->width_m, r->depth_m), r->slope);
    r->line = m->line;
    return 0;
}

/* K by season for every reach (network.h): given, or by the reach's or the plan-wide
 * formula, or 0. */
static int reach_dispersion(const char *dir, hl_network *n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n->n_reaches; i++) {
        hl_reach *r = &n->reaches[i];
        if (r->dispersion_given) {
            for (int s = 0; s < HL_SEASON_COUNT; s++)
                r->k_m2_s[s] = r->dispersion_m2_s;
            continue;
        }
        const char *id = r->dispersion_formula[0] ? r->dispersion_formula : n->dispersion_formula;
        if (!id[0])
            continue;
        hl_disp_formula f;
        (void)hl_disp_parse(id, &f); /* both ids were checked when read */
        const char *whose = r->dispersion_formula[0] ? "" : " (the plan-wide formula)";
        if (!(r->width_m > 0 && r->depth_m > 0 && r->slope > 0)) {
            snprintf(err, errlen,
                     "%s/river.yaml:%d: dispersion_formula: reach %s has no %s, so u* = "
                     "sqrt(g R S) cannot be computed and %s%s cannot be used; give "
                     "dispersion_m2_s",
                     dir, r->line, r->id,
                     !(r->width_m > 0) ? "width_m" : !(r->depth_m > 0) ? "depth_m" : "slope > 0",
                     id, whose);
            return HL_EPARSE;
        }
        if (!r->dispersion_formula[0])
            hl_dom_copy(r->dispersion_formula, sizeof r->dispersion_formula, id);
        for (int s = 0; s < HL_SEASON_COUNT; s++) {
            if (hl_disp_coefficient(f, r->velocity_m_s[s], r->width_m, r->depth_m,
                                    r->shear_velocity_m_s, &r->k_m2_s[s]) < 0) {
                snprintf(err, errlen,
                         "%s/river.yaml:%d: dispersion_formula: %s gives no finite K for reach "
                         "%s in %s",
                         dir, r->line, id, r->id, season_names[s]);
                return HL_EINVAL;
            }
        }
    }
    return 0;
}

static int load_station(loadctx *c, const hl_yaml_node *m, hl_station *s)
{
    static const char *const keys[] = {"id", "name", "chainage_km", "water_class",
                                       "drinking_source", "extra_items", "jurisdiction",
                                       "unit", "location", "assumption", NULL};
    const hl_yaml_node *x;
    int rc;
    if ((rc = item_map(c, m, "stations")) < 0 || (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "id", 1, s->id, sizeof s->id)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name", 1, s->name, sizeof s->name)) < 0 ||
        (rc = get_chainage(c, m, 1, &s->chainage_km)) < 0 ||
        (rc = get_water_class(c, m, &s->water_class)) < 0 ||
        (rc = get_bool(c, m, "drinking_source", 1, &s->drinking_source)) < 0 ||
        (rc = get_jurisdiction(c, m, s->jurisdiction, sizeof s->jurisdiction)) < 0 ||
        (rc = hl_dom_yid(c, m, "unit", 1, s->unit_id, sizeof s->unit_id)) < 0 ||
        (rc = get_location(c, m, &s->location)) < 0 ||
        (rc = hl_dom_ystr(c, m, "assumption", 1, s->assumption, sizeof s->assumption)) < 0 ||
        (rc = hl_yaml_seq(c->d, m, "extra_items", 0, &x, c->err, c->errlen)) < 0)
        return rc;
    if (x) {
        if (x->n > HL_NET_MAX_EXTRA) {
            hl_yaml_errf(c->d, x, c->err, c->errlen, "extra_items: %zu items, at most %d",
                         x->n, HL_NET_MAX_EXTRA);
            return HL_ETOOBIG;
        }
        for (size_t i = 0; i < x->n; i++) {
            const hl_yaml_node *it = x->items[i];
            if (it->kind != HL_YAML_SCALAR || !it->value[0])
                return hl_yaml_errf(c->d, it, c->err, c->errlen,
                                    "extra_items[%zu]: expected an item name", i);
            if (strlen(it->value) > HL_NET_ID_MAX) {
                hl_yaml_errf(c->d, it, c->err, c->errlen,
                             "extra_items[%zu]: longer than %d bytes", i, HL_NET_ID_MAX);
                return HL_ETOOBIG;
            }
            hl_dom_copy(s->extra_items[i], sizeof s->extra_items[i], it->value);
        }
        s->n_extra = x->n;
    }
    s->line = m->line;
    return 0;
}

static int load_space(loadctx *c, const hl_yaml_node *m, hl_space *s)
{
    static const char *const keys[] = {"id", "name", "kind", "chainage_km", "capacity_m3",
                                       "setup_h", "unit", "jurisdiction", "location",
                                       "assumption", NULL};
    int rc;
    if ((rc = item_map(c, m, "spaces")) < 0 || (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "id", 1, s->id, sizeof s->id)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name", 1, s->name, sizeof s->name)) < 0 ||
        (rc = hl_dom_ystr(c, m, "kind", 1, s->kind, sizeof s->kind)) < 0 ||
        (rc = get_chainage(c, m, 1, &s->chainage_km)) < 0 ||
        (rc = get_num(c, m, "capacity_m3", 1, 0, 1e11, &s->capacity_m3)) < 0 ||
        (rc = get_num(c, m, "setup_h", 1, 0, 720, &s->setup_h)) < 0 ||
        (rc = hl_dom_yid(c, m, "unit", 1, s->unit_id, sizeof s->unit_id)) < 0 ||
        (rc = get_jurisdiction(c, m, s->jurisdiction, sizeof s->jurisdiction)) < 0 ||
        (rc = get_location(c, m, &s->location)) < 0 ||
        (rc = hl_dom_ystr(c, m, "assumption", 1, s->assumption, sizeof s->assumption)) < 0)
        return rc;
    static const char *const kinds[] = {"headworks", "reservoir", "bridge", "dam", NULL};
    if (!hl_dom_in(s->kind, kinds))
        return hl_yaml_errf(c->d, hl_yaml_get(m, "kind"), c->err, c->errlen,
                            "kind: '%s' is not headworks, reservoir, bridge or dam", s->kind);
    s->line = m->line;
    return 0;
}

static int load_receptor(loadctx *c, const hl_yaml_node *m, hl_receptor *r)
{
    static const char *const keys[] = {"id", "name", "kind", "chainage_km", "unit",
                                       "drinking_source", "intake_closable", "jurisdiction",
                                       "location", "assumption", NULL};
    int rc;
    if ((rc = item_map(c, m, "receptors")) < 0 || (rc = hl_yaml_only(c->d, m, keys, c->err, c->errlen)) < 0 ||
        (rc = hl_dom_yid(c, m, "id", 1, r->id, sizeof r->id)) < 0 ||
        (rc = hl_dom_ystr(c, m, "name", 1, r->name, sizeof r->name)) < 0 ||
        (rc = hl_dom_ystr(c, m, "kind", 1, r->kind, sizeof r->kind)) < 0 ||
        (rc = get_chainage(c, m, 1, &r->chainage_km)) < 0 ||
        (rc = hl_dom_yid(c, m, "unit", 1, r->unit_id, sizeof r->unit_id)) < 0 ||
        (rc = get_bool(c, m, "drinking_source", 1, &r->drinking_source)) < 0 ||
        (rc = get_bool(c, m, "intake_closable", 1, &r->intake_closable)) < 0 ||
        (rc = get_jurisdiction(c, m, r->jurisdiction, sizeof r->jurisdiction)) < 0 ||
        (rc = get_location(c, m, &r->location)) < 0 ||
        (rc = hl_dom_ystr(c, m, "assumption", 1, r->assumption, sizeof r->assumption)) < 0)
        return rc;
    static const char *const kinds[] = {"groundwater_source", "surface_intake",
                                        "nature_reserve", NULL};
    if (!hl_dom_in(r->kind, kinds))
        return hl_yaml_errf(c->d, hl_yaml_get(m, "kind"), c->err, c->errlen,
                            "kind: '%s' is not groundwater_source, surface_intake or "
                            "nature_reserve", r->kind);
    r->line = m->line;
    return 0;
}

/* ---- whole-network checks ---- */

typedef struct idref {
    const char *id;
    const char *file;
    int line;
} idref;

static int cmp_idref(const void *a, const void *b)
{
    return strcmp(((const idref *)a)->id, ((const idref *)b)->id);
}

static int check_unique(const char *dir, hl_network *n, char *err, size_t errlen)
{
    size_t total = n->n_places + n->n_reaches + n->n_stations + n->n_spaces + n->n_receptors;
    idref *refs = calloc(total ? total : 1, sizeof *refs);
    size_t k = 0;
    if (!refs)
        return HL_ENOMEM;
    for (size_t i = 0; i < n->n_places; i++)
        refs[k++] = (idref){n->places[i].id, "river.yaml", n->places[i].line};
    for (size_t i = 0; i < n->n_reaches; i++)
        refs[k++] = (idref){n->reaches[i].id, "river.yaml", n->reaches[i].line};
    for (size_t i = 0; i < n->n_stations; i++)
        refs[k++] = (idref){n->stations[i].id, "stations.yaml", n->stations[i].line};
    for (size_t i = 0; i < n->n_spaces; i++)
        refs[k++] = (idref){n->spaces[i].id, "spaces.yaml", n->spaces[i].line};
    for (size_t i = 0; i < n->n_receptors; i++)
        refs[k++] = (idref){n->receptors[i].id, "receptors.yaml", n->receptors[i].line};
    qsort(refs, k, sizeof *refs, cmp_idref);
    int rc = 0;
    for (size_t i = 1; i < k; i++) {
        if (strcmp(refs[i - 1].id, refs[i].id) == 0) {
            snprintf(err, errlen, "%s/%s:%d: id: '%s' is used again (first at %s:%d)", dir,
                     refs[i].file, refs[i].line, refs[i].id, refs[i - 1].file,
                     refs[i - 1].line);
            rc = HL_EPARSE;
            break;
        }
    }
    free(refs);
    return rc;
}

static int check_place_ref(const char *dir, const hl_network *n, const hl_location *loc,
                           const char *file, int line, char *err, size_t errlen)
{
    if (loc->place[0] && !hl_network_place(n, loc->place)) {
        snprintf(err, errlen, "%s/%s:%d: location.place: no place '%s' in river.yaml", dir,
                 file, line, loc->place);
        return HL_EPARSE;
    }
    return 0;
}

static int check_in_reaches(const char *dir, const hl_network *n, double km, const char *file,
                            int line, const char *id, char *err, size_t errlen)
{
    if (!hl_network_reach_at(n, km)) {
        snprintf(err, errlen,
                 "%s/%s:%d: chainage_km: %s at %g km is outside the reaches (0..%g km)", dir,
                 file, line, id, km, n->n_reaches ? n->reaches[n->n_reaches - 1].to_km : 0.0);
        return HL_EPARSE;
    }
    return 0;
}

static int cmp_station(const void *a, const void *b)
{
    return hl_dom_cmp_double(((const hl_station *)a)->chainage_km,
                             ((const hl_station *)b)->chainage_km);
}
static int cmp_space(const void *a, const void *b)
{
    return hl_dom_cmp_double(((const hl_space *)a)->chainage_km,
                             ((const hl_space *)b)->chainage_km);
}
static int cmp_receptor(const void *a, const void *b)
{
    return hl_dom_cmp_double(((const hl_receptor *)a)->chainage_km,
                             ((const hl_receptor *)b)->chainage_km);
}

static int check_network(const char *dir, hl_network *n, char *err, size_t errlen)
{
    int rc;
    if (n->n_reaches == 0) {
        snprintf(err, errlen, "%s/river.yaml: reaches: at least one reach is needed", dir);
        return HL_EPARSE;
    }
    if ((rc = reach_dispersion(dir, n, err, errlen)) < 0)
        return rc;
    /* Reaches in file order must tile the river from km 0 with no gap or overlap: a gap would
     * silently make a travel time shorter than the river. */
    for (size_t i = 0; i < n->n_reaches; i++) {
        double expect = i ? n->reaches[i - 1].to_km : 0.0;
        if (fabs(n->reaches[i].from_km - expect) > 1e-9) {
            snprintf(err, errlen,
                     "%s/river.yaml:%d: from_km: reach %s starts at %g km, expected %g km "
                     "(reaches must be contiguous from km 0, in order)",
                     dir, n->reaches[i].line, n->reaches[i].id, n->reaches[i].from_km, expect);
            return HL_EPARSE;
        }
    }
    if ((rc = check_unique(dir, n, err, errlen)) < 0)
        return rc;
    for (size_t i = 0; i < n->n_stations; i++) {
        const hl_station *s = &n->stations[i];
        if ((rc = check_in_reaches(dir, n, s->chainage_km, "stations.yaml", s->line, s->id, err,
                                   errlen)) < 0 ||
            (rc = check_place_ref(dir, n, &s->location, "stations.yaml", s->line, err, errlen)) < 0)
            return rc;
    }
    for (size_t i = 0; i < n->n_spaces; i++) {
        const hl_space *s = &n->spaces[i];
        if ((rc = check_in_reaches(dir, n, s->chainage_km, "spaces.yaml", s->line, s->id, err,
                                   errlen)) < 0 ||
            (rc = check_place_ref(dir, n, &s->location, "spaces.yaml", s->line, err, errlen)) < 0)
            return rc;
    }
    for (size_t i = 0; i < n->n_receptors; i++) {
        const hl_receptor *r = &n->receptors[i];
        if ((rc = check_in_reaches(dir, n, r->chainage_km, "receptors.yaml", r->line, r->id, err,
                                   errlen)) < 0 ||
            (rc = check_place_ref(dir, n, &r->location, "receptors.yaml", r->line, err, errlen)) < 0)
            return rc;
    }
    /* Stable order by chainage so "nearest downstream" is a forward scan. qsort is not
     * stable, but ids are unique and ties only reorder equal chainages; the comparator
     * breaks no tie, so equal chainages keep an unspecified but deterministic order for the
     * same input (glibc qsort is deterministic). */
    qsort(n->stations, n->n_stations, sizeof *n->stations, cmp_station);
    qsort(n->spaces, n->n_spaces, sizeof *n->spaces, cmp_space);
    qsort(n->receptors, n->n_receptors, sizeof *n->receptors, cmp_receptor);
    return 0;
}

/* The list under key of an open file, into a freshly allocated array (*arr, *count). */
typedef int (*item_fn)(loadctx *c, const hl_yaml_node *m, void *item);

static int load_list(loadctx *c, const char *key, size_t max, size_t itemsz, item_fn fn,
                     void **arr, size_t *count)
{
    const hl_yaml_node *list;
    int rc;
    if ((rc = get_list(c, key, max, &list)) < 0)
        return rc;
    char *a = calloc(list->n ? list->n : 1, itemsz);
    if (!a) {
        snprintf(c->err, c->errlen, "%s: out of memory", c->d->file);
        return HL_ENOMEM;
    }
    for (size_t i = 0; i < list->n; i++) {
        if ((rc = fn(c, list->items[i], a + i * itemsz)) < 0) {
            free(a);
            return rc;
        }
    }
    *arr = a;
    *count = list->n;
    return 0;
}

static int fn_place(loadctx *c, const hl_yaml_node *m, void *it) { return load_place(c, m, it); }
static int fn_reach(loadctx *c, const hl_yaml_node *m, void *it) { return load_reach(c, m, it); }
static int fn_station(loadctx *c, const hl_yaml_node *m, void *it) { return load_station(c, m, it); }
static int fn_space(loadctx *c, const hl_yaml_node *m, void *it) { return load_space(c, m, it); }
static int fn_receptor(loadctx *c, const hl_yaml_node *m, void *it) { return load_receptor(c, m, it); }

/* Open dir/file, refuse top-level keys other than allowed, and run fn on it. */
typedef int (*file_fn)(loadctx *c, hl_network *n);

static int load_file(const char *dir, const char *file, const char *const *allowed, file_fn fn,
                     hl_network *n, char *err, size_t errlen)
{
    char path[1024];
    hl_yaml_doc *d = NULL;
    int rc;
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/%s: path too long", dir, file);
        return HL_ETOOBIG;
    }
    if ((rc = hl_yaml_load(path, &d, err, errlen)) < 0)
        return rc;
    loadctx c = {d, err, errlen};
    if (!d->root || d->root->kind != HL_YAML_MAP)
        rc = hl_yaml_errf(d, d->root, err, errlen, "expected a mapping with '%s'", allowed[0]);
    else if ((rc = hl_yaml_only(d, d->root, allowed, err, errlen)) >= 0)
        rc = fn(&c, n);
    hl_yaml_free(&d);
    return rc < 0 ? rc : 0;
}

static int file_river(loadctx *c, hl_network *n)
{
    void *p = NULL;
    int rc;
    if ((rc = hl_dom_ystr(c, c->d->root, "river", 1, n->river, sizeof n->river)) < 0 ||
        (rc = hl_dom_ystr(c, c->d->root, "km0", 1, n->km0, sizeof n->km0)) < 0 ||
        (rc = hl_dom_ystr(c, c->d->root, "dispersion_formula", 0, n->dispersion_formula,
                          sizeof n->dispersion_formula)) < 0 ||
        (rc = check_formula(c, c->d->root, n->dispersion_formula)) < 0)
        return rc;
    if ((rc = load_list(c, "places", HL_NET_MAX_PLACES, sizeof(hl_place), fn_place, &p,
                        &n->n_places)) < 0)
        return rc;
    n->places = p;
    if ((rc = load_list(c, "reaches", HL_NET_MAX_REACHES, sizeof(hl_reach), fn_reach, &p,
                        &n->n_reaches)) < 0)
        return rc;
    n->reaches = p;
    return 0;
}

static int file_stations(loadctx *c, hl_network *n)
{
    void *p = NULL;
    int rc = load_list(c, "stations", HL_NET_MAX_STATIONS, sizeof(hl_station), fn_station, &p,
                       &n->n_stations);
    n->stations = p;
    return rc;
}

static int file_spaces(loadctx *c, hl_network *n)
{
    void *p = NULL;
    int rc = load_list(c, "spaces", HL_NET_MAX_SPACES, sizeof(hl_space), fn_space, &p,
                       &n->n_spaces);
    n->spaces = p;
    return rc;
}

static int file_receptors(loadctx *c, hl_network *n)
{
    void *p = NULL;
    int rc = load_list(c, "receptors", HL_NET_MAX_RECEPTORS, sizeof(hl_receptor), fn_receptor,
                       &p, &n->n_receptors);
    n->receptors = p;
    return rc;
}

int hl_network_load(const char *plan_dir, hl_network **out, char *err, size_t errlen)
{
    static const char *const k_river[] = {"river", "km0", "dispersion_formula", "places",
                                          "reaches", NULL};
    static const char *const k_stations[] = {"stations", NULL};
    static const char *const k_spaces[] = {"spaces", NULL};
    static const char *const k_receptors[] = {"receptors", NULL};
    hl_network *n = calloc(1, sizeof *n);
    int rc;
    if (!n) {
        snprintf(err, errlen, "out of memory loading %s", plan_dir);
        return HL_ENOMEM;
    }
    if ((rc = load_file(plan_dir, "river.yaml", k_river, file_river, n, err, errlen)) < 0 ||
        (rc = load_file(plan_dir, "stations.yaml", k_stations, file_stations, n, err, errlen)) < 0 ||
        (rc = load_file(plan_dir, "spaces.yaml", k_spaces, file_spaces, n, err, errlen)) < 0 ||
        (rc = load_file(plan_dir, "receptors.yaml", k_receptors, file_receptors, n, err,
                        errlen)) < 0 ||
        (rc = check_network(plan_dir, n, err, errlen)) < 0) {
        hl_network_destroy(&n);
        return rc;
    }
    *out = n;
    return 0;
}

void hl_network_destroy(hl_network **net)
{
    if (!net || !*net)
        return;
    hl_network *n = *net;
    free(n->reaches);
    free(n->stations);
    free(n->spaces);
    free(n->receptors);
    free(n->places);
    free(n);
    *net = NULL;
}

/* ---- lookups ---- */

#define FIND(arr, cnt, id)                                  \
    do {                                                    \
        if (!net || !id)                                    \
            return NULL;                                    \
        for (size_t i_ = 0; i_ < net->cnt; i_++)            \
            if (strcmp(net->arr[i_].id, id) == 0)           \
                return &net->arr[i_];                       \
        return NULL;                                        \
    } while (0)

const hl_station *hl_network_station(const hl_network *net, const char *id)
{
    FIND(stations, n_stations, id);
}
const hl_space *hl_network_space(const hl_network *net, const char *id)
{
    FIND(spaces, n_spaces, id);
}
const hl_receptor *hl_network_receptor(const hl_network *net, const char *id)
{
    FIND(receptors, n_receptors, id);
}
const hl_place *hl_network_place(const hl_network *net, const char *id)
{
    FIND(places, n_places, id);
}

const hl_reach *hl_network_reach_at(const hl_network *net, double km)
{
    if (!net || net->n_reaches == 0 || !(km >= 0))
        return NULL;
    for (size_t i = 0; i < net->n_reaches; i++) {
        const hl_reach *r = &net->reaches[i];
        if (km >= r->from_km && km < r->to_km)
            return r;
    }
    const hl_reach *last = &net->reaches[net->n_reaches - 1];
    return km == last->to_km ? last : NULL;
}

int hl_network_velocities_unverified(const hl_network *net)
{
    for (size_t i = 0; net && i < net->n_reaches; i++)
        if (net->reaches[i].velocity_unverified)
            return 1;
    return 0;
}

double hl_reach_discharge(const hl_reach *r, hl_season season)
{
    if (!r || (int)season < 0 || season >= HL_SEASON_COUNT)
        return 0;
    return r->velocity_m_s[season] * r->area_m2;
}
